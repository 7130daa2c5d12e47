# make install and make uninstall, and the bash completion against the
# program it completes.  Installs the binary the tests were given
# ($NETACL: NETACL_BIN=), so nothing is built here; no root needed.

# inst_make DIR ARGS...: make in DIR, without the flags of a make this runs
# under (make check: its jobserver, O= and CFLAGS= are not for this make)
inst_make() {
  local dir=$1; shift
  env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s --no-print-directory -C "$dir" \
    NETACL_BIN="$NETACL" "$@"
}

# inst_expected SRC PREFIX SBINDIR MANDIR: the files install puts under
# DESTDIR, from the tree SRC, one path a line, sorted
inst_expected() {
  local src=$1 prefix=$2 sbin=$3 man=$4 f doc=$2/share/doc/netacl/examples
  {
    echo "$sbin/netacl"
    echo "$man/man5/netacl-policy.5"
    echo "$man/man8/netacl.8"
    echo "$prefix/share/bash-completion/completions/netacl"
    for f in "$src"/examples/*.yaml "$src"/examples/*.hosts "$src"/examples/systemd/* \
             "$src"/examples/oci/*; do
      [ -f "$f" ] && echo "$doc/${f#"$src"/examples/}"
    done
  } | sort
}

# inst_files DIR: the files and links under DIR, relative, sorted
inst_files() { (cd "$1" && find . ! -type d | sed 's|^\.||' | sort); }

# inst_same_files DESTDIR EXPECTED-FILE WHAT
inst_same_files() {
  inst_files "$1" >"$T/got"
  diff -u "$2" "$T/got" >&2 || fail "$3: the installed files are not the expected ones"
}

# inst_example_ok SRC-FILE INSTALLED SBINDIR: the example as installed,
# naming the binary where it is
inst_example_ok() {
  cmp -s <(sed "s|/usr/local/sbin/netacl|$3/netacl|g" "$1") "$2" ||
    fail "$2 is not $1 with the binary at $3"
  ! grep -q /usr/local/sbin/netacl "$2" || [ "$3" = /usr/local/sbin ] ||
    fail "$2 still names /usr/local/sbin/netacl"
}

# inst_foreign DESTDIR: files of other packages, which uninstall leaves
inst_foreign() {
  local d=$1 f
  for f in usr/sbin/other usr/share/man/man8/other.8 usr/share/bash-completion/completions/other \
           usr/share/doc/other/README; do
    mkdir -p "$d/$(dirname "$f")" && echo other >"$d/$f"
  done
}

test_install_tree_and_uninstall() {
  local d=$T/d p=$T/d/usr f
  inst_foreign "$d"
  # installs what it is given, builds nothing
  run inst_make "$ROOT" -n install PREFIX=/usr DESTDIR="$d"; expect_rc 0 || return 1
  ! grep -E '(^|[ /;])(cc|gcc|clang|bpftool|cp) ' "$T/out" >&2 || { fail "make install would build"; return 1; }
  run inst_make "$ROOT" install PREFIX=/usr DESTDIR="$d"; expect_rc 0 || return 1
  { inst_expected "$ROOT" /usr /usr/sbin /usr/share/man
    inst_files "$d" | grep other; } | sort >"$T/want"
  inst_same_files "$d" "$T/want" "make install PREFIX=/usr"

  # modes, and the binary is the one built
  for f in $(inst_files "$d" | grep -v other); do
    case $f in
      */sbin/netacl) want=755 ;;
      *) want=644 ;;
    esac
    [ "$(stat -c %a "$d$f")" = "$want" ] || fail "$f: mode $(stat -c %a "$d$f"), want $want"
  done
  for f in $(cd "$d" && find . -type d -path '*netacl*'); do
    [ "$(stat -c %a "$d/$f")" = 755 ] || fail "$f: mode $(stat -c %a "$d/$f"), want 755"
  done
  cmp -s "$NETACL" "$p/sbin/netacl" || fail "the installed binary is not \$NETACL"
  run "$p/sbin/netacl" --version; expect_rc 0 && expect_out "netacl "

  # man pages: man(1) reads them
  command -v man >/dev/null || fail "no man(1) to read the pages with (man-db)"
  for f in man8/netacl.8:NETACL man5/netacl-policy.5:NETACL-POLICY; do
    MANWIDTH=80 MAN_DISABLE_SECCOMP=1 run man -l "$p/share/man/${f%%:*}"
    expect_rc 0 || continue
    head -1 "$T/out" | grep -q "^${f#*:}(" || fail "man -l ${f%%:*}: no ${f#*:}( header"
    expect_out "NAME" && expect_out "SYNOPSIS"
  done

  # the completion: sources cleanly, registers for netacl
  f=$p/share/bash-completion/completions/netacl
  run bash -n "$f"; expect_rc 0
  run bash --norc --noprofile -c '. "$1" && complete -p netacl' - "$f"
  expect_rc 0 && expect_out "complete -F _netacl netacl"
  [ ! -s "$T/err" ] || fail "sourcing the completion printed on stderr"
  # and bash-completion's loader finds it where it is installed
  if [ -r /usr/share/bash-completion/bash_completion ]; then
    XDG_DATA_DIRS=$p/share run bash --norc --noprofile -c \
      '. /usr/share/bash-completion/bash_completion; _completion_loader netacl; complete -p netacl'
    expect_out "complete -F _netacl netacl"
  else
    echo "    (no bash-completion: its loader not tried)" >&2
  fi

  # the examples name the installed binary
  for f in "$ROOT"/examples/systemd/* "$ROOT"/examples/oci/*; do
    [ -f "$f" ] && inst_example_ok "$f" "$p/share/doc/netacl/examples/${f#"$ROOT"/examples/}" /usr/sbin
  done
  for f in "$ROOT"/examples/*.yaml; do
    cmp -s "$f" "$p/share/doc/netacl/examples/${f##*/}" || fail "examples/${f##*/} differs installed"
  done

  # uninstall: nothing of netacl's is left, the others' files are
  run inst_make "$ROOT" uninstall PREFIX=/usr DESTDIR="$d"; expect_rc 0 || return 1
  inst_files "$d" | grep other >"$T/want"
  inst_same_files "$d" "$T/want" "make uninstall"
  [ -z "$(cd "$d" && find . -path '*netacl*')" ] ||
    fail "left after uninstall: $(cd "$d" && find . -path '*netacl*' | tr '\n' ' ')"
  [ -d "$p/share/bash-completion/completions" ] && [ -d "$p/share/doc/other" ] ||
    fail "uninstall removed a directory that is not netacl's own"
}

test_install_respects_prefix_sbindir_mandir() {
  local d=$T/d
  run inst_make "$ROOT" install DESTDIR="$d" PREFIX=/opt/n SBINDIR=/opt/bin MANDIR=/opt/man
  expect_rc 0 || return 1
  inst_expected "$ROOT" /opt/n /opt/bin /opt/man >"$T/want"
  inst_same_files "$d" "$T/want" "make install SBINDIR= MANDIR="
  for f in "$ROOT"/examples/systemd/*; do
    inst_example_ok "$f" "$d/opt/n/share/doc/netacl/examples/systemd/${f##*/}" /opt/bin
  done
  run inst_make "$ROOT" uninstall DESTDIR="$d" PREFIX=/opt/n SBINDIR=/opt/bin MANDIR=/opt/man
  expect_rc 0 || return 1
  [ -z "$(inst_files "$d")" ] || fail "left after uninstall: $(inst_files "$d" | tr '\n' ' ')"
  for f in /opt/bin /opt/man/man8 /opt/man/man5 /opt/n/share/bash-completion/completions /opt/n/share/doc; do
    [ -d "$d$f" ] || fail "uninstall removed $f, which is not netacl's own"
  done
  # the default prefix is /usr/local
  run inst_make "$ROOT" install DESTDIR="$T/e"; expect_rc 0 || return 1
  [ -x "$T/e/usr/local/sbin/netacl" ] && [ -f "$T/e/usr/local/share/man/man8/netacl.8" ] ||
    fail "the default PREFIX is not /usr/local"
}

# examples/oci/ is installed when there, every file in it; in a copy of the
# tree, with and without it
test_install_oci_examples_when_present() {
  local s=$T/src d=$T/d
  mkdir -p "$s" && cp -r "$ROOT/Makefile" "$ROOT/man" "$ROOT/completion" "$ROOT/examples" "$s/" ||
    return 1
  rm -rf "$s/examples/oci"
  run inst_make "$s" install PREFIX=/usr DESTDIR="$d"; expect_rc 0 || return 1
  [ ! -e "$d/usr/share/doc/netacl/examples/oci" ] || fail "an oci/ directory without examples/oci"
  run inst_make "$s" uninstall PREFIX=/usr DESTDIR="$d"; expect_rc 0

  mkdir "$s/examples/oci"
  printf '{"version": "1.0.0", "hook": {"path": "/usr/local/sbin/netacl", "args": ["netacl", "oci-hook", "createRuntime"]}}\n' \
    >"$s/examples/oci/netacl.json"
  echo "how to use it" >"$s/examples/oci/README"
  run inst_make "$s" install PREFIX=/usr DESTDIR="$d"; expect_rc 0 || return 1
  inst_expected "$s" /usr /usr/sbin /usr/share/man >"$T/want"
  grep -q /oci/netacl.json "$T/want" && grep -q /oci/README "$T/want" || fail "the test expects no oci files"
  inst_same_files "$d" "$T/want" "make install with examples/oci"
  inst_example_ok "$s/examples/oci/netacl.json" "$d/usr/share/doc/netacl/examples/oci/netacl.json" /usr/sbin
  [ "$(stat -c %a "$d/usr/share/doc/netacl/examples/oci/README")" = 644 ] || fail "oci/README mode"
  run inst_make "$s" uninstall PREFIX=/usr DESTDIR="$d"; expect_rc 0 || return 1
  [ -z "$(inst_files "$d")" ] || fail "left after uninstall: $(inst_files "$d" | tr '\n' ' ')"
  [ -z "$(cd "$d" && find . -path '*netacl*')" ] || fail "a netacl directory left after uninstall"
}

# --- the completion, driven as bash drives it ---

# comp WORD...: complete the last WORD of the command line WORD...;
# the candidates in $T/out, one a line.  Nothing on stderr, ever.
comp() {
  cat >"$T/comp.sh" <<'B'
. "$COMPLETION" || exit 9
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
_netacl || exit 8
printf '%s\n' "${COMPREPLY[@]}"
B
  COMPLETION=${COMPLETION:-$ROOT/completion/netacl.bash} \
    run bash --norc --noprofile "$T/comp.sh" "$@"
  [ "$rc" = 0 ] || fail "completing '$*': exit $rc"
  [ ! -s "$T/err" ] || fail "completing '$*' printed on stderr"
  sed -i '/^$/d' "$T/out"
}
offers() { grep -qxF -- "$2" "$T/out" || fail "completing '$1' does not offer '$2' ($3)"; }

# the verbs: main.c's table, and what the program lists
inst_verbs() {
  {
    sed -n 's/^[[:space:]]*{ "\([a-z0-9-]*\)", cmd_[a-z_0-9]*,.*/\1/p' "$ROOT/compiler/cmd/main.c"
    "$NETACL" --help | sed -n '/^verbs:/,/^$/s/^  \([a-z0-9-]*\) .*/\1/p'
  } | sort -u
}

# cli.c's option table: "NAME no|required OPT_FLAG" a line
inst_option_table() {
  sed -n 's/.*{ { "\([a-z0-9-]*\)", \([a-z]*\)_argument, NULL, [^}]*}, \(OPT_[A-Z_]*\) }.*/\1 \2 \3/p' \
    "$ROOT/compiler/cmd/cli.c"
}

# the options VERB takes: its --help text, and its cli_parse() flags in
# compiler/cmd/cmd-VERB.c mapped through cli.c's tables
inst_verb_options() {
  local v=$1 src=$ROOT/compiler/cmd/cmd-$1.c flag
  {
    if "$NETACL" "$v" --help >"$T/help" 2>/dev/null; then
      grep -oE -- '(^|[[:space:][(|])--?[a-z][a-z0-9-]*' "$T/help" | sed 's/^[^-]*//'
    fi
    [ -f "$src" ] || exit 0
    for flag in $(awk '/cli_parse\(/ { p = 1 } p { print } p && /;/ { exit }' "$src" |
                  grep -oE 'OPT_[A-Z_]+'); do
      inst_option_table | awk -v f="$flag" '$3 == f { print "--" $1 }'
      awk -v f="$flag" '$0 ~ "allowed & " f "\\)" { getline; if (match($0, /strcat\(shorts, "[a-z]/))
                          print "-" substr($0, RSTART + RLENGTH - 1, 1) }' "$ROOT/compiler/cmd/cli.c"
    done
    echo --help
  } | sort -u
}

test_install_completion_knows_every_verb() {
  local v n=0
  comp netacl ""
  for v in $(inst_verbs) help; do
    offers "netacl " "$v" "a verb"; n=$((n + 1))
  done
  [ "$n" -ge 15 ] || fail "found only $n verbs in main.c and netacl --help"
  comp netacl co; offers "netacl co" compile "a verb"
  [ "$(wc -l <"$T/out")" = 1 ] || fail "netacl co: more than compile offered"
  comp netacl help ""
  for v in $(inst_verbs); do offers "netacl help " "$v" "help VERB"; done
  comp netacl -; offers "netacl -" --help "" && offers "netacl -" --version ""
}

test_install_completion_knows_every_option_of_every_verb() {
  local v o all=$T/all n=0
  : >"$all"
  for v in $(inst_verbs); do
    inst_verb_options "$v" >"$T/want.$v"
    comp netacl "$v" -
    for o in $(cat "$T/want.$v"); do
      offers "netacl $v -" "$o" "netacl $v --help or cmd-$v.c's cli_parse() takes it"
      n=$((n + 1))
    done
    cat "$T/out" >>"$all"
  done
  [ "$n" -ge 60 ] || fail "found only $n options of verbs: is the derivation broken?"
  grep -qxF -- --proto "$T/want.explain" && grep -qxF -- -o "$T/want.compile" &&
    grep -qxF -- --dns-grace "$T/want.run" || fail "the options derived for explain, compile, run are wrong"
  # every option of cli.c's table, for some verb
  [ "$(inst_option_table | wc -l)" -ge 20 ] || fail "cli.c's option table not found"
  while read -r o _ _; do
    grep -qxF -- "--$o" "$all" || fail "no verb's completion offers --$o (cli.c's table)"
  done < <(inst_option_table)
}

# after an option that takes a value (cli.c: required_argument, or a value
# in the verb's --help) no option is offered; after one that does not, the
# options are
test_install_completion_knows_which_options_take_values() {
  local o arg flag v n=0
  for v in $(inst_verbs); do
    "$NETACL" "$v" --help 2>/dev/null | grep -oE -- '(^|[[:space:][(])--?[a-z][a-z0-9-]* [A-Z]' |
      sed "s/^[^-]*/$v /; s/ [A-Z]$//"
  done | sort -u >"$T/valopts"
  while read -r v o; do
    comp netacl "$v" "$o" -; n=$((n + 1))
    ! grep -qxF -- --help "$T/out" || fail "netacl $v $o -: options offered for its value"
  done <"$T/valopts"
  [ "$n" -ge 20 ] || fail "found only $n options with values in the usage texts"
  # a DIR is a directory
  mkdir -p dd/sub
  for v in $(inst_verbs); do
    "$NETACL" "$v" --help 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]* DIR' | sed "s/^/$v /; s/ DIR$//"
  done | while read -r v o; do
    comp netacl "$v" "$o" "$T/dd/s"; offers "netacl $v $o dd/s" "$T/dd/sub" "$o takes a DIR"
  done
  while read -r o arg flag; do
    v=
    for v in $(inst_verbs); do
      inst_verb_options "$v" | grep -qxF -- "--$o" && break
      v=
    done
    if [ -z "$v" ]; then  # no verb takes it yet: one that the completion offers it for
      for v in $(inst_verbs); do comp netacl "$v" -; grep -qxF -- "--$o" "$T/out" && break; v=; done
    fi
    [ -n "$v" ] || { fail "--$o: no verb to try it with"; continue; }
    comp netacl "$v" "--$o" -
    if [ "$arg" = required ]; then
      ! grep -qxF -- --help "$T/out" || fail "netacl $v --$o -: options offered for its value"
    else
      grep -qxF -- --help "$T/out" || fail "netacl $v --$o -: no options offered after it"
    fi
  done < <(inst_option_table)
}

test_install_completion_values() {
  local v o vals x
  # the values a verb's usage names (--proto tcp|udp, --format a|b|c), and
  # at least those the completion promises
  for v in $(inst_verbs); do
    "$NETACL" "$v" --help 2>/dev/null |
      grep -oE -- '--[a-z-]+ [a-z]+(\|[a-z]+)+' | sed "s/^/$v /"
  done | sort -u >"$T/vals"
  printf '%s\n' "explain --proto tcp|udp" "status --format text|json|prometheus" >>"$T/vals"
  while read -r v o vals; do
    comp netacl "$v" "$o" ""
    for x in ${vals//|/ }; do offers "netacl $v $o" "$x" "its usage names it"; done
    comp netacl "$v" "$o" = ""   # --opt=VALUE, as bash splits it
    for x in ${vals//|/ }; do offers "netacl $v $o=" "$x" "its usage names it"; done
  done <"$T/vals"
  comp netacl explain p.yaml --proto u
  [ "$(cat "$T/out")" = udp ] || fail "--proto u: not just udp"
  # a verb's first argument from a list: [createRuntime|prestart|poststop]
  for v in $(inst_verbs); do
    "$NETACL" "$v" --help 2>/dev/null | head -1 |
      grep -oE -- '\[[a-zA-Z]+(\|[a-zA-Z]+)+\]' | tr -d '[]' | sed "s/^/$v /"
  done | sort -u >"$T/vals"
  echo "oci-hook createRuntime|poststop" >>"$T/vals"
  while read -r v vals; do
    comp netacl "$v" ""
    for x in ${vals//|/ }; do offers "netacl $v" "$x" "its usage names it"; done
  done <"$T/vals"
}

test_install_completion_targets_from_status() {
  mkdir bin
  # as netacl status --json prints it
  cat >bin/netacl <<'S'
#!/bin/sh
[ "$1 $2" = "status --json" ] || exit 64
printf '{\n  "targets": [\n    {\n      "target": "demo/fetch",\n      "acl": "web",\n'
printf '      "cgroup": "/sys/fs/cgroup/netacl/demo-fetch"\n    },\n'
printf '    {\n      "target": "web@run-42",\n      "acl": "target"\n    }\n  ]\n}\n'
S
  printf '#!/bin/sh\necho "netacl: not permitted" >&2\nexit 77\n' >bin/failing
  chmod +x bin/netacl bin/failing
  comp "$T/bin/netacl" unload --target ""
  offers "unload --target" demo/fetch "status --json has it" && offers "unload --target" web@run-42 "status --json has it"
  [ "$(wc -l <"$T/out")" = 2 ] || fail "unload --target: not just the two targets"
  comp "$T/bin/netacl" inspect -t w; [ "$(cat "$T/out")" = web@run-42 ] || fail "-t w: not web@run-42"
  # bash splits at @ and keeps the @ in the word it replaces
  comp "$T/bin/netacl" load p.yaml --target web @ r; [ "$(cat "$T/out")" = @run-42 ] || fail "web@r: not @run-42"
  comp "$T/bin/netacl" trace --target = d; [ "$(cat "$T/out")" = demo/fetch ] || fail "--target=d: not demo/fetch"
  PATH=$T/bin:$PATH comp netacl run p.yaml --target d; offers "run --target d" demo/fetch "netacl in PATH"
  # quietly nothing when status fails, or there is no netacl
  comp "$T/bin/failing" unload --target ""; [ ! -s "$T/out" ] || fail "targets from a failing status"
  comp "$T/nonexistent" unload --target ""; [ ! -s "$T/out" ] || fail "targets from nothing"
}

test_install_completion_files_and_commands() {
  local v
  mkdir f && : >f/pol.yaml && : >f/other.json
  # verbs' file arguments: the first, and the second of diff and test
  for v in compile check explain load run refresh serve diff test; do
    comp netacl "$v" "$T/f/po"; offers "netacl $v f/po" "$T/f/pol.yaml" "a policy argument"
  done
  for v in diff test; do
    comp netacl "$v" a.json "$T/f/ot"; offers "netacl $v a.json f/ot" "$T/f/other.json" "a second file"
  done
  comp netacl check "$T/f/pol.yaml" "$T/f/"; [ ! -s "$T/out" ] || fail "check: a second file offered"
  # options whose value is a file (VERB --help: --opt FILE)
  for v in $(inst_verbs); do
    "$NETACL" "$v" --help 2>/dev/null | grep -oE -- '(^|[[:space:][(])--?[a-z][a-z0-9-]* (FILE|[A-Z]+\|FILE)' |
      sed "s/^[^-]*/$v /; s/ [^ ]*$//"
  done | sort -u >"$T/fileopts"
  grep -q "compile -o" "$T/fileopts" && grep -q "compile --hosts-file" "$T/fileopts" ||
    fail "no FILE options found in the usage texts"
  while read -r v o; do
    comp netacl "$v" "$o" "$T/f/po"; offers "netacl $v $o f/po" "$T/f/pol.yaml" "$o takes a FILE"
  done <"$T/fileopts"
  # run: the command after --, then its arguments
  comp netacl run p.yaml --target x -- ba; offers "netacl run ... -- ba" bash "a command"
  comp netacl run p.yaml --target x -- bash "$T/f/po"; offers "netacl run ... -- bash f/po" "$T/f/pol.yaml" "a file"
}
