# The command line: verbs, usage errors, exit statuses, output files.

Q="$ROOT/examples/quickstart.yaml"
QH="--offline --hosts-file $ROOT/examples/quickstart.hosts"

test_version_and_help() {
  run "$NETACL" --version; expect_rc 0 && expect_out "netacl "
  run "$NETACL" --help; expect_rc 0 && expect_out "compile" && expect_out "explain"
}

test_unknown_verb_and_flag_are_usage_errors() {
  run "$NETACL" frobnicate; expect_rc 64 && expect_err "unknown verb"
  run "$NETACL" compile --frobnicate "$Q"; expect_rc 64 && expect_err "usage:"
  run "$NETACL" compile; expect_rc 64
  run "$NETACL" compile "$Q" --timeout nope; expect_rc 64
  run "$NETACL" explain "$Q" --target web-client 1.2.3.4 80 --proto sctp; expect_rc 64
  run "$NETACL"; expect_rc 64
}

test_missing_input_is_66() {
  run "$NETACL" compile /nonexistent/policy.yaml --offline; expect_rc 66 && expect_err "/nonexistent/policy.yaml"
  run "$NETACL" compile "$Q" --hosts-file /nonexistent/hosts --offline; expect_rc 66
}

test_compile_writes_file_atomically() {
  run "$NETACL" compile "$Q" $QH -o out.json; expect_rc 0 || return 1
  [ -s out.json ] || fail "no out.json"
  [ "$(jget out.json 'd["schema"]')" = 1 ] || fail "schema"
  # an unwritable destination: 73, nothing left behind
  run "$NETACL" compile "$Q" $QH -o /nonexistent/dir/out.json; expect_rc 73
}

test_compile_is_byte_identical() {
  "$NETACL" compile "$Q" $QH -o a.json && "$NETACL" compile "$Q" $QH -o b.json || return 1
  cmp a.json b.json || fail "two compiles differ"
}

test_target_selection() {
  run "$NETACL" compile "$Q" $QH --target demo/fetch -o o.json; expect_rc 0 || return 1
  [ "$(jget o.json 'sorted(d["targets"])')" = "['demo/fetch']" ] || fail "targets"
  run "$NETACL" compile "$Q" $QH --target nope; expect_rc 64 && expect_err "no target named 'nope'"
}

test_check_needs_no_dns() {
  run "$NETACL" check "$Q"; expect_rc 0 && expect_err "ok"
}

test_explain_allow_and_deny_reasons() {
  run "$NETACL" explain "$Q" $QH --target demo/fetch 93.184.216.40 443
  expect_rc 0 && expect_out "allow" && expect_out "*.cdn.example.com" && expect_out "quickstart.yaml:10:9" || return 1
  run "$NETACL" explain "$Q" $QH --target demo/fetch 10.0.0.5 443
  expect_rc 1 && expect_out "private-use" || return 1
  run "$NETACL" explain "$Q" $QH --target demo/fetch 93.184.216.40 80
  expect_rc 1 && expect_out "not this port" || return 1
  run "$NETACL" explain "$Q" $QH --target demo/fetch 2001:db8::10 8050 --proto udp
  expect_rc 1 && expect_out "not for udp" || return 1
  run "$NETACL" explain "$Q" $QH --target web-client 1.1.1.1
  expect_rc 1 && expect_out "no rule" || return 1
  # IPv4-mapped form is judged as the IPv4 address, as the kernel does
  run "$NETACL" explain "$Q" $QH --target web-client ::ffff:93.184.216.34 443
  expect_rc 0 || return 1
  run "$NETACL" explain "$Q" $QH --target web-client not-an-ip; expect_rc 64
}

test_explain_reads_compiled_json() {
  "$NETACL" compile "$Q" $QH -o c.json || return 1
  run "$NETACL" explain c.json --target demo/fetch 93.184.216.40 443; expect_rc 0 || return 1
  run "$NETACL" explain c.json --target demo/fetch 93.184.216.99 443; expect_rc 1
}

test_diff() {
  "$NETACL" compile "$Q" $QH -o a.json || return 1
  run "$NETACL" diff a.json a.json; expect_rc 0 || return 1
  [ ! -s "$T/out" ] || fail "diff of identical files printed something"
  sed 's/93.184.216.40/93.184.216.42/' a.json > b.json
  run "$NETACL" diff a.json b.json; expect_rc 1 || return 1
  expect_out "- demo/fetch: 93.184.216.40/32 ports 443 any" && expect_out "+ demo/fetch: 93.184.216.42/32 ports 443 any"
}

test_bad_json_is_located() {
  printf '{"schema": 1,\n "targets": {,}}\n' > bad.json
  run "$NETACL" explain bad.json --target x 1.2.3.4; expect_rc 65 && expect_err "bad.json:2:" || return 1
  printf '{"schema": 1, "targets": {"t": {"acl": "a", "cgroup": null, "allow_all": false, "private": [], "rules": [], "allow": [{"addr": "10.0.0.1/8", "ports": [], "proto": "tcp", "via": []}], "dropped": [], "unresolved": []}}}' > bad2.json
  run "$NETACL" explain bad2.json --target t 10.0.0.1; expect_rc 65 && expect_err 'allow[0]' && expect_err "10.0.0.0/8" || return 1
  printf '{"schema": 2, "targets": {}}' > bad3.json
  run "$NETACL" diff bad3.json bad3.json; expect_rc 65
}

# The compiled file is read as a stream: every error still has its line
# and column (the value's, not the end of the file), and its JSON path.
test_json_errors_have_line_and_column() {
  "$NETACL" compile "$Q" $QH --target demo/fetch -o c.json || return 1
  local n; n=$(grep -n '"addr": "93.184.216.40/32"' c.json | cut -d: -f1)
  sed 's|"addr": "93.184.216.40/32"|"addr": "93.184.216.40/33"|' c.json > e1.json
  run "$NETACL" explain e1.json --target demo/fetch 1.2.3.4; expect_rc 65 &&
    expect_err "e1.json:$n:18: error: at \$.targets[\"demo/fetch\"].allow[1]: addr:" || return 1
  sed 's|"proto": "tcp", "via"|"proto": "tcp", "proto": "udp", "via"|' c.json > e2.json
  run "$NETACL" diff e2.json e2.json; expect_rc 65 && expect_err "duplicate key 'proto'" || return 1
  sed 's|"cgroup": |"extra": {"deep": [1, {"x": null}]}, "cgroup": |' c.json > e3.json
  run "$NETACL" diff e3.json e3.json; expect_rc 65 && expect_err "unknown key 'extra'" || return 1
  [ "$(grep -c error: "$T/err")" = 1 ] || fail "an unknown key's value was read: $(cat "$T/err")"
  sed 's|"via": \["|"via": ["a\\u0000|' c.json > e4.json
  run "$NETACL" diff e4.json e4.json; expect_rc 65 && expect_err 'holds \u0000' || return 1
  sed 's|"addr": "93.184.216.40/32"|"addr": "93.184.216.40/32\\u0000x"|' c.json > e4b.json
  run "$NETACL" diff e4b.json e4b.json; expect_rc 65 && expect_err 'holds \u0000' || return 1
  printf '{"schema": 1, "targets": {}}' > e4c.json   # no targets: nothing to sort (UBSan)
  run "$NETACL" diff e4c.json e4c.json; expect_rc 0 || return 1
  python3 -c 'import sys; t = open(sys.argv[1]).read(); i = t.index("\"demo/fetch\""); k = t.rindex("\n  }"); print(t[:k] + ",\n    " + t[i:k] + t[k:])' c.json > e5.json
  run "$NETACL" diff e5.json e5.json; expect_rc 65 && expect_err "duplicate target 'demo/fetch'" || return 1
  head -c 300 c.json > e6.json
  run "$NETACL" diff e6.json e6.json; expect_rc 65 && expect_err "e6.json:" && expect_err "invalid JSON" || return 1
  printf '{"schema": 2, "targets": {"t": {"what": 1}}}' > e7.json
  run "$NETACL" diff e7.json e7.json; expect_rc 65 && expect_err "not a netacl compiled file" || return 1
  [ "$(grep -c error: "$T/err")" = 1 ] || fail "schema 2 was read on: $(cat "$T/err")"
  # an error far into a large file, in a token that the 256 KiB pieces cut in two
  python3 - c.json <<'P'
import json, sys
d = json.load(open(sys.argv[1])); t = d["targets"]["demo/fetch"]
t["allow"] = [{"addr": "11.%d.%d.%d/32" % (i >> 16, i >> 8 & 255, i & 255), "ports": [], "proto": "tcp", "via": []}
              for i in range(1, 20000)]
text = json.dumps(d, indent=2)
cut = 256 * 1024
at = text.rindex('"addr": "', 0, cut - 8) + 9         # a value before the cut...
text = "{" + " " * (cut - 4 - at) + text[1:]         # ...moved to straddle it
at = cut - 4
end = text.index('"', at)
assert text[at - 1] == '"' and at < cut < end, (at, cut, end)
bad = text[:at] + "x" + text[at + 1:]                  # 11.1.2.3/32 -> x1.1.2.3/32
open("e9.json", "w").write(bad)
line = bad.count("\n", 0, at) + 1; col = at - bad.rindex("\n", 0, at)
open("e9.where", "w").write("e9.json:%d:%d: error:" % (line, col - 1))
P
  run "$NETACL" diff e9.json e9.json; expect_rc 65 && expect_err "$(cat e9.where)" || return 1
  # a pipe is read the same way
  "$NETACL" explain - --target demo/fetch 93.184.216.40 443 < c.json >/dev/null || fail "explain - (stdin)"
}

test_json_round_trip_through_diff() {
  "$NETACL" compile "$Q" $QH -o a.json || return 1
  # a compiled file is accepted wherever a policy is: compiling it again is the identity
  "$NETACL" compile a.json -o b.json || return 1
  cmp a.json b.json || fail "JSON -> model -> JSON changed the file"
}

test_every_verb_has_help() {
  local v
  for v in compile check explain diff load unload status inspect run trace refresh; do
    run "$NETACL" "$v" --help
    expect_rc 0 && expect_out "usage: netacl $v" || continue
    [ ! -s "$T/err" ] || fail "$v --help wrote to stderr"
    cp "$T/out" long
    run "$NETACL" "$v" -h; expect_rc 0 && cmp -s long "$T/out" || fail "$v -h differs from --help"
    run "$NETACL" help "$v"; expect_rc 0 && cmp -s long "$T/out" || fail "help $v differs from $v --help"
  done
  # options of the verb are listed; after "--" (run's command) it is no option
  run "$NETACL" compile --help; expect_out "--resolver IP[:PORT]"
  run "$NETACL" run none.yaml --target x --offline -- sh --help; expect_rc 66 && no_out "usage:"
  run "$NETACL" help frobnicate; expect_rc 64 && expect_err "unknown verb 'frobnicate'"
}

test_pin_root_must_be_an_absolute_path() {
  NETACL_PIN_ROOT=relative/dir run "$NETACL" status; expect_rc 64 && expect_err "NETACL_PIN_ROOT must be an absolute path"
  NETACL_PIN_ROOT=/$(printf '%02000d' 0) run "$NETACL" unload --all; expect_rc 64
}

# A compiled file is checked as strictly as a policy: target and ACL
# names, cgroup paths (a name with a newline forged status lines, and
# "cgroup": "../.." was accepted).
test_json_names_and_cgroups_are_checked() {
  "$NETACL" compile "$Q" $QH --target demo/fetch -o c.json || return 1
  python3 - c.json <<'P'
import json, sys
d = json.load(open(sys.argv[1])); t = d["targets"]["demo/fetch"]
def write(file, name, **kw):
    u = dict(t); u.update(kw)
    json.dump({"schema": 1, "targets": {name: u}}, open(file, "w"))
write("evilNtarget.json", "evil\ntarget")
write("a_b_c.json", "a/b/c")
write("ok.json", "ok", cgroup="../../escape")
write("ok2.json", "ok", cgroup="/etc/x")
write("ok3.json", "ok", acl="bad acl")
P
  run "$NETACL" explain evilNtarget.json --target x 1.2.3.4; expect_rc 65 && expect_err 'targets[#0]: invalid target name' || return 1
  [ "$(grep -c . "$T/err")" = 1 ] || fail "the name printed a line of its own: $(cat "$T/err")"
  run "$NETACL" diff a_b_c.json a_b_c.json; expect_rc 65 && expect_err "invalid target name"
  run "$NETACL" diff ok.json ok.json; expect_rc 65 && expect_err "cgroup path may not contain '..'"
  run "$NETACL" diff ok2.json ok2.json; expect_rc 65 && expect_err "outside the cgroup2 hierarchy"
  run "$NETACL" diff ok3.json ok3.json; expect_rc 65 && expect_err "'acl': invalid ACL name"
}

# -o over a file keeps its mode (never widens 0600 to 0644); over a
# symlink it writes the file the link points to; a dangling link is refused.
test_output_keeps_mode_and_follows_links() {
  : > secret.json; chmod 600 secret.json
  run "$NETACL" compile "$Q" $QH -o secret.json; expect_rc 0
  [ "$(stat -c %a secret.json)" = 600 ] || fail "mode became $(stat -c %a secret.json)"
  [ -s secret.json ] || fail "not written"
  mkdir real; : > real/out.json; chmod 640 real/out.json; ln -s real/out.json link.json
  run "$NETACL" compile "$Q" $QH -o link.json; expect_rc 0
  [ -L link.json ] || fail "the link was replaced"
  [ -s real/out.json ] && [ "$(stat -c %a real/out.json)" = 640 ] || fail "the target was not written in place"
  ln -s nowhere/x.json dangling.json
  run "$NETACL" compile "$Q" $QH -o dangling.json; expect_rc 73 && expect_err "a symbolic link to nothing"
}

test_dns_ttl_floor_above_ceiling_is_a_usage_error() {
  local v
  for v in run serve; do
    run "$NETACL" $v "$ROOT/examples/live-dns.yaml" --target plugin --dns-min-ttl 120 --dns-max-ttl 60 -- true
    expect_rc 64 && expect_err "--dns-min-ttl is above --dns-max-ttl" || return 1
    run "$NETACL" $v "$ROOT/examples/live-dns.yaml" --target plugin --dns-grace x -- true
    expect_rc 64 && expect_err "--dns-grace takes seconds (0-3600), not 'x'" || return 1
  done
}
