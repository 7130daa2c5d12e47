# bash completion for netacl(8)                            -*- shell-script -*-
#
# Installed as share/bash-completion/completions/netacl, where
# bash-completion loads it the first time `netacl` is completed; or source
# it from ~/.bashrc.  Plain bash: it needs nothing of bash-completion, and
# uses its _command_offset for `run ... -- COMMAND` when that is there.
#
# The verbs are the table in compiler/cmd/main.c; the options of each verb
# are those its cli_parse() flags allow (compiler/cmd/cmd-VERB.c), named as
# in compiler/cmd/cli.c's table (oci-hook reads its own arguments).
# tests/integration/t-install.sh fails when this file falls behind them or
# behind what `netacl VERB --help` lists.

# The options of VERB, one word each.
_netacl_options()
{
    local resolve='--hosts-file --offline --resolver --timeout --max-addrs --strict'
    local dns='--dns-min-ttl --dns-max-ttl --dns-grace --dns-max-per-name --dns-max-total'
    local watch='--watch --min-interval --max-interval'
    local o
    case $1 in
        compile) o="-o --output --digest -t --target $resolve" ;;
        check) o= ;;
        explain) o="-t --target --proto --bind $resolve" ;;
        diff) o= ;;
        load) o="-t --target --cgroup --audit --expect-digest $resolve" ;;
        unload) o="-t --target --all" ;;
        status) o="-o --output --format --json" ;;
        inspect) o="-t --target --json" ;;
        run) o="-t --target --audit --keep-fd --expect-digest $resolve $dns" ;;
        trace) o="-t --target --json" ;;
        refresh) o="-t --target --all $watch $resolve" ;;
        serve) o="-t --target --all $resolve $dns" ;;
        test) o="--junit $resolve" ;;
        oci-hook) o="--policy-dir" ;;
        *) return 1 ;;
    esac
    echo "${o:+$o }--help"
}

# Whether option $1 takes a value in the next word (cli.c: required_argument;
# oci-hook reads its own).
_netacl_takes_value()
{
    case $1 in
        -o | --output | -t | --target | --hosts-file | --resolver | --timeout | \
        --max-addrs | --proto | --cgroup | --min-interval | --max-interval | \
        --keep-fd | --dns-min-ttl | --dns-max-ttl | --dns-grace | \
        --dns-max-per-name | --dns-max-total | --expect-digest | --format | --junit | \
        --policy-dir)
            return 0 ;;
    esac
    return 1
}

# Whether word $1 is one character that bash splits words at (=, @ or :).
_netacl_break()
{
    [[ ${#1} -eq 1 && $1 == [=@:] && ${COMP_WORDBREAKS-=@:} == *"$1"* ]]
}

# The names of the loaded targets, from `netacl status --json`; nothing,
# quietly, when that fails (not root, no bpffs, no netacl in PATH).
_netacl_targets()
{
    local bin=$1 json re='"target"[[:space:]]*:[[:space:]]*"([^"\\]*)"'
    type -P -- "$bin" >/dev/null 2>&1 || [[ -x $bin && ! -d $bin ]] || return 0
    if type -P timeout >/dev/null 2>&1; then
        json=$(timeout 5 "$bin" status --json 2>/dev/null </dev/null) || return 0
    else
        json=$("$bin" status --json 2>/dev/null </dev/null) || return 0
    fi
    while [[ $json =~ $re ]]; do
        printf '%s\n' "${BASH_REMATCH[1]}"
        json=${json#*"${BASH_REMATCH[0]}"}
    done
}

# Directories under the cgroup2 mount, relative to it, as --cgroup takes
# them; an absolute path completes as a path.
_netacl_cgroups()
{
    local cur=$1 mnt='' _a fs _b d
    if [[ $cur == /* ]]; then
        compgen -d -S / -- "$cur"
        return
    fi
    while read -r _a d fs _b; do
        [[ $fs == cgroup2 ]] && { mnt=$d; break; }
    done </proc/mounts 2>/dev/null
    [[ -n $mnt ]] || return 0
    while IFS= read -r d; do
        printf '%s/\n' "${d#"$mnt"/}"
    done < <(compgen -d -- "$mnt/$cur")
}

_netacl()
{
    local IFS=$' \t\n' i t glue=0 w=() cur prev verb opt val
    local -a cands=()
    local mode='' dashdash=-1 npos=0
    COMPREPLY=()

    # Words as the user typed them: bash splits at = @ : (COMP_WORDBREAKS),
    # so --proto=tcp and web@run-42 come in pieces; join them again.
    for ((i = 0; i <= COMP_CWORD; i++)); do
        t=${COMP_WORDS[i]-}
        if ((i > 0)) && { ((glue)) || _netacl_break "$t"; }; then
            w[${#w[@]} - 1]+=$t
        else
            w+=("$t")
        fi
        glue=0
        _netacl_break "$t" && glue=1
    done
    cur=${w[${#w[@]} - 1]}
    prev=
    ((${#w[@]} > 1)) && prev=${w[${#w[@]} - 2]}

    if ((${#w[@]} == 2)); then
        if [[ $cur == -* ]]; then
            cands=(--help --version)
        else
            cands=(compile check explain diff load unload status inspect run
                   trace refresh serve test oci-hook help)
        fi
        mode=words
    else
        verb=${w[1]}
        if [[ $verb == help ]]; then
            ((${#w[@]} == 3)) && cands=(compile check explain diff load unload status
                                        inspect run trace refresh serve test oci-hook)
            mode=words
        elif ! _netacl_options "$verb" >/dev/null; then
            return 0
        fi
    fi

    if [[ -z $mode ]]; then
        # what is before the current word: "--", option values, positionals
        for ((i = 2; i < ${#w[@]} - 1; i++)); do
            t=${w[i]}
            if [[ $t == -- ]]; then
                dashdash=$i
                break
            elif [[ $t == -?* && $t != *=* ]] && _netacl_takes_value "$t"; then
                ((i++))
            elif [[ $t != -?* ]]; then
                ((npos++))
            fi
        done

        if ((dashdash >= 0)); then
            # run ... -- COMMAND [ARG...]
            [[ $verb == run ]] || return 0
            if declare -F _command_offset >/dev/null; then
                for ((i = 2; i < COMP_CWORD; i++)); do
                    [[ ${COMP_WORDS[i]} == -- ]] && { _command_offset $((i + 1)); return 0; }
                done
            fi
            if ((dashdash == ${#w[@]} - 2)); then
                mapfile -t cands < <(compgen -c -- "$cur")
                mode=words
            else
                mode=files
            fi
        elif [[ $cur == --?*=* ]]; then
            opt=${cur%%=*} val=${cur#*=}
        elif [[ $prev == -?* && $prev != *=* ]] && _netacl_takes_value "$prev"; then
            opt=$prev val=$cur
        fi
    fi

    if [[ -n $opt ]]; then
        cur=$val
        case $opt in
            -o | --output | --hosts-file | --junit | --expect-digest) mode=files ;;
            --policy-dir) mode=dirs ;;
            --proto) cands=(tcp udp) mode=words ;;
            --format) cands=(text json prometheus openmetrics) mode=words ;;
            -t | --target)
                mapfile -t cands < <(_netacl_targets "${w[0]}")
                mode=words ;;
            --cgroup)
                mapfile -t cands < <(_netacl_cgroups "$cur")
                compopt -o nospace 2>/dev/null
                mode=list ;;
            *) return 0 ;;   # a number, an address: nothing to offer
        esac
    elif [[ -z $mode ]]; then
        # a positional, or an option
        case $verb:$npos in
            compile:0 | check:0 | explain:0 | load:0 | run:0 | refresh:0 | serve:0 | \
            diff:[01] | test:[01])
                mode=files ;;
            oci-hook:0) cands=(createRuntime prestart poststop) mode=words ;;
        esac
        if [[ $cur == -* || -z $mode ]]; then
            read -ra cands <<<"$(_netacl_options "$verb")"
            mode=words
        fi
    fi

    case $mode in
        files)
            compopt -o filenames 2>/dev/null
            mapfile -t cands < <(compgen -f -- "$cur")
            ;;
        dirs)
            compopt -o filenames 2>/dev/null
            mapfile -t cands < <(compgen -d -- "$cur")
            ;;
        words)
            # compgen expands the list itself, once: a target's name is
            # never expanded as shell words
            # shellcheck disable=SC2016
            mapfile -t cands < <(compgen -W '${cands[*]}' -- "$cur")
            ;;
    esac
    # bash replaces only the text after the last = or : of the word, and
    # from its last @ on (readline keeps @ with the word: bash's
    # rl_special_prefixes): drop what comes before that from each candidate
    t=${cur%"${cur##*[=@:]}"}
    if [[ -n $t && ${COMP_WORDBREAKS-} == *"${t: -1}"* ]]; then
        t=${t%@}
        for i in "${!cands[@]}"; do
            cands[i]=${cands[i]#"$t"}
        done
    fi
    COMPREPLY=("${cands[@]}")
    return 0
}

complete -F _netacl netacl
