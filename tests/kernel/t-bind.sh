# Bind rules: the cgroup/bind4 and bind6 programs judge the local address
# and port of every explicit bind() inside the cgroup (netacl-api.h).
# Only loopback addresses are bound; a bind sends nothing.  The probe says
# "allow" for any outcome but EPERM (a port in use elsewhere is no denial).

# kbind_policy NAME BIND [ALLOW]: an ACL with bind: BIND (a YAML flow list,
# or "" for no bind: at all) and allow: ALLOW (127.0.0.1:80 by default)
kbind_policy() {
  { printf 'version: 1\nacls:\n  %s:\n    allow: [%s]\n' "$1" "${3:-"127.0.0.1:80"}"
    [ -z "$2" ] || printf '    bind: %s\n' "$2"; } > "$1.yaml"
}

# The rules of most tests: one port, a UDP range, a CIDR, every port of
# 127.0.0.5 (so port 0 there), TCP on [::1]:8443
KBIND_RULES='["127.0.0.1:8080", {to: 127.0.0.2, ports: [9000-9010], proto: udp}, "127.0.1.0/24:7000", "127.0.0.5", {to: "::1", ports: [8443], proto: tcp}]'

# kbind_attached N: N programs are attached to the test's cgroup (a link whose
# last pin went is released a moment later)
kbind_attached() {
  local i
  for i in $(seq 50); do
    [ "$(bpftool cgroup show "$CG2/$KCG" | grep -c netacl_)" = "$1" ] && return 0
    sleep 0.1
  done
  return 1
}

# Is MPTCP there to try?  (socket(IPPROTO_MPTCP) works outside the cgroup)
kbind_mptcp() { [ "$("$PROBE" mptcpbind 127.0.0.1 0 | awk '{ print $4, $5 }')" = "allow (ok)" ]; }

test_kernel_bind_verdicts_address_port_protocol() {
  need_kernel bind
  kbind_policy "$KT" "$KBIND_RULES"
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  # what a policy with bind: and neither dns: admit nor limits uses: the
  # address, socket, option and packet programs, and the bind ones
  kbind_attached 9 || fail "not the programs the policy uses: $(bpftool cgroup show "$CG2/$KCG")"
  bpftool cgroup show "$CG2/$KCG" > cg.txt
  grep -q "inet4_bind .*netacl_bind4" cg.txt && grep -q "inet6_bind .*netacl_bind6" cg.txt || fail "no bind programs: $(cat cg.txt)"
  diff <(verdicts tcpbind 127.0.0.1 8080  udpbind 127.0.0.1 8080  tcpbind 127.0.0.1 8081  tcpbind 127.0.0.9 8080 \
                  udpbind 127.0.0.2 9000  udpbind 127.0.0.2 9010  udpbind 127.0.0.2 9011  tcpbind 127.0.0.2 9005 \
                  tcpbind 127.0.1.77 7000  udpbind 127.0.1.255 7000  tcpbind 127.0.2.1 7000  tcpbind 127.0.1.77 7001 \
                  tcpbind6 ::1 8443  udpbind6 ::1 8443  tcpbind6 ::1 8444 \
                  tcpbind6 127.0.0.1 8080  udpbind6 127.0.0.2 9005  tcpbind6 127.0.0.9 8080  udpbind6 127.0.0.2 9011 \
                  tcpbind 127.0.0.1 0  udpbind 127.0.0.1 0  tcpbind6 ::1 0 \
                  tcpbind 127.0.0.5 0  udpbind 127.0.0.5 0  udpbind6 127.0.0.5 0  tcpbind 127.0.0.5 65535 \
                  tcpbind 0.0.0.0 8080  tcpbind6 :: 8443  tcpbind6 0.0.0.0 8080 \
                  tcp 127.0.0.1 80  tcp 127.0.0.1 8080  udp 127.0.0.5 53) - <<'E' >&2 || fail "verdicts"
tcpbind 127.0.0.1 8080 allow
udpbind 127.0.0.1 8080 allow
tcpbind 127.0.0.1 8081 deny
tcpbind 127.0.0.9 8080 deny
udpbind 127.0.0.2 9000 allow
udpbind 127.0.0.2 9010 allow
udpbind 127.0.0.2 9011 deny
tcpbind 127.0.0.2 9005 deny
tcpbind 127.0.1.77 7000 allow
udpbind 127.0.1.255 7000 allow
tcpbind 127.0.2.1 7000 deny
tcpbind 127.0.1.77 7001 deny
tcpbind6 ::1 8443 allow
udpbind6 ::1 8443 deny
tcpbind6 ::1 8444 deny
tcpbind6 127.0.0.1 8080 allow
udpbind6 127.0.0.2 9005 allow
tcpbind6 127.0.0.9 8080 deny
udpbind6 127.0.0.2 9011 deny
tcpbind 127.0.0.1 0 deny
udpbind 127.0.0.1 0 deny
tcpbind6 ::1 0 deny
tcpbind 127.0.0.5 0 allow
udpbind 127.0.0.5 0 allow
udpbind6 127.0.0.5 0 allow
tcpbind 127.0.0.5 65535 allow
tcpbind 0.0.0.0 8080 deny
tcpbind6 :: 8443 deny
tcpbind6 0.0.0.0 8080 deny
tcp 127.0.0.1 80 allow
tcp 127.0.0.1 8080 deny
udp 127.0.0.5 53 deny
E
  # outside the cgroup nothing is judged
  [ "$("$PROBE" tcpbind 127.0.0.9 8080 | awk '{ print $4 }')" = allow ] || fail "a bind outside the cgroup was denied"
}

# bind: [] refuses every explicit bind; the ports the kernel picks for
# an unbound socket that connects, sends or listens are no bind().
test_kernel_bind_empty_list_denies_explicit_binds_only() {
  need_kernel bindnone
  kbind_policy "$KT" '[]' '"127.0.0.1:80", "[::1]:80"'
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  diff <(verdicts tcpbind 127.0.0.1 8080  udpbind 127.0.0.1 8080  tcpbind 127.0.0.1 0  udpbind6 ::1 0 \
                  tcpbind6 :: 0  udpbind 0.0.0.0 0  tcpbind6 127.0.0.1 0 \
                  tcp 127.0.0.1 80  udp 127.0.0.1 80  udpc 127.0.0.1 80  tcp6 ::1 80  udp6 ::1 80  tcp6 127.0.0.1 80 \
                  tcplisten 127.0.0.1 0  tcplisten6 ::1 0  tcp 127.0.0.1 81) - <<'E' >&2 || fail "verdicts"
tcpbind 127.0.0.1 8080 deny
udpbind 127.0.0.1 8080 deny
tcpbind 127.0.0.1 0 deny
udpbind6 ::1 0 deny
tcpbind6 :: 0 deny
udpbind 0.0.0.0 0 deny
tcpbind6 127.0.0.1 0 deny
tcp 127.0.0.1 80 allow
udp 127.0.0.1 80 allow
udpc 127.0.0.1 80 allow
tcp6 ::1 80 allow
udp6 ::1 80 allow
tcp6 127.0.0.1 80 allow
tcplisten 127.0.0.1 0 allow
tcplisten6 ::1 0 allow
tcp 127.0.0.1 81 deny
E
}

# Without bind: nothing about binding changes (and nothing is counted).
test_kernel_bind_absent_restricts_nothing() {
  need_kernel bindfree
  kbind_policy "$KT" ""
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  diff <(verdicts tcpbind 127.0.0.9 8081  udpbind 127.0.0.1 0  tcpbind6 ::1 0  udpbind6 127.0.0.9 0 \
                  tcpbind 0.0.0.0 0  tcpbind6 :: 0  mptcpbind 127.0.0.9 0  tcp 127.0.0.1 81) - <<'E' >&2 || fail "verdicts"
tcpbind 127.0.0.9 8081 allow
udpbind 127.0.0.1 0 allow
tcpbind6 ::1 0 allow
udpbind6 127.0.0.9 0 allow
tcpbind 0.0.0.0 0 allow
tcpbind6 :: 0 allow
mptcpbind 127.0.0.9 0 allow
tcp 127.0.0.1 81 deny
E
  "$NETACL" status --json > s.json
  local q="[t for t in d['targets'] if t['target'] == '$KT'][0]['counters']"
  [ "$(jget s.json "$q['allowed'], $q['denied']")" = "(0, 1)" ] || fail "binds were counted: $(jget s.json "$q")"
}

# What a workload might try: an IPv6 socket with an IPv4-mapped address,
# :: (which takes IPv4 too, IPV6_V6ONLY or not: the hook cannot tell),
# MPTCP, socket options before the bind, an AF_UNSPEC name, as root and
# as nobody.
test_kernel_bind_attacker_tricks() {
  need_kernel bindtricks
  kbind_policy "$KT" '["127.0.0.1:8080", {to: "::/0", ports: [8081]}, "0.0.0.0:8083", "[::]:8083"]'
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  # ::/0 covers ::ffff:0:0/96, but a mapped address binds IPv4
  local ops="tcpbind6 127.0.0.2 8080 udpbind6 127.0.0.2 8080 tcpbind6 ::ffff:127.0.0.1 8081
    tcpbind6 0.0.0.0 8081 tcpbind6 :: 8081 tcpbinddual6 :: 8081 tcpbindv6only6 :: 8081 udpbind6 :: 8081
    tcpbind6 ::1 8081 tcpbind6 :: 8083 tcpbindv6only6 :: 8083 tcpbind6 127.0.0.1 8080
    tcpbindreuse 127.0.0.2 8080 tcpbindreuse6 ::1 8080 tcpbindfree 127.0.0.2 8080 tcpbindfree6 ::1 8082
    tcpbindnoport 127.0.0.1 0 tcpbindnoport6 ::1 0 tcpbindunspec 0.0.0.0 8080 udpbindunspec 0.0.0.0 8083
    tcpbindreuse 127.0.0.1 8080 tcpbindfree6 ::1 8081"
  local want='tcpbind6 127.0.0.2 8080 deny
udpbind6 127.0.0.2 8080 deny
tcpbind6 ::ffff:127.0.0.1 8081 deny
tcpbind6 0.0.0.0 8081 deny
tcpbind6 :: 8081 deny
tcpbinddual6 :: 8081 deny
tcpbindv6only6 :: 8081 deny
udpbind6 :: 8081 deny
tcpbind6 ::1 8081 allow
tcpbind6 :: 8083 allow
tcpbindv6only6 :: 8083 allow
tcpbind6 127.0.0.1 8080 allow
tcpbindreuse 127.0.0.2 8080 deny
tcpbindreuse6 ::1 8080 deny
tcpbindfree 127.0.0.2 8080 deny
tcpbindfree6 ::1 8082 deny
tcpbindnoport 127.0.0.1 0 deny
tcpbindnoport6 ::1 0 deny
tcpbindunspec 0.0.0.0 8080 deny
udpbindunspec 0.0.0.0 8083 allow
tcpbindreuse 127.0.0.1 8080 allow
tcpbindfree6 ::1 8081 allow'
  # shellcheck disable=SC2086
  diff <(verdicts $ops) - <<<"$want" >&2 || fail "as root"
  # shellcheck disable=SC2086
  diff <(verdicts --user 65534 $ops) - <<<"$want" >&2 || fail "as nobody"
  if kbind_mptcp; then
    diff <(verdicts mptcpbind 127.0.0.1 8080  mptcpbind 127.0.0.1 8081  mptcpbind6 ::1 8081 \
                    mptcpbind6 127.0.0.2 8080  mptcpbind6 127.0.0.1 8080  mptcpbind 127.0.0.1 0) - <<'E' >&2 || fail "mptcp"
mptcpbind 127.0.0.1 8080 allow
mptcpbind 127.0.0.1 8081 deny
mptcpbind6 ::1 8081 allow
mptcpbind6 127.0.0.2 8080 deny
mptcpbind6 127.0.0.1 8080 allow
mptcpbind 127.0.0.1 0 deny
E
  else
    echo "    (no MPTCP here: its binds not tried)" >&2
  fi
}

# Denials (and, while a trace reads, allowed binds) are counted and
# reported as bind events; audit mode allows them and reports "audit".
test_kernel_bind_trace_counters_and_audit() {
  need_kernel bindtrace; trap run_cleanup EXIT
  kbind_policy "$KT" "$KBIND_RULES"
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  "$NETACL" trace --target "$KT" > trace.txt 2> trace.err &
  local tp=$!
  sleep 1
  probe tcpbind 127.0.0.1 8081 udpbind6 127.0.0.9 53 tcpbind6 ::1 8443 > /dev/null
  sleep 0.3; kill -INT "$tp"; wait "$tp"
  grep -Eq " probe +tcp  bind 127\.0\.0\.1:8081 +deny$" trace.txt || fail "text trace: $(cat trace.txt)"
  grep -Eq " probe +udp  bind \[::ffff:127\.0\.0\.9\]:53 +deny$" trace.txt || fail "text trace, mapped: $(cat trace.txt)"
  grep -Eq " probe +tcp  bind \[::1\]:8443 +allow$" trace.txt || fail "text trace, allowed: $(cat trace.txt)"
  trace_start --target "$KT"
  probe tcpbind 127.0.0.1 8081 tcpbind 127.0.0.1 8080 > /dev/null
  sleep 0.3; trace_stop || return 1
  [ "$(events event=bind proto=tcp address=127.0.0.1 port=8081 verdict=deny comm=probe | wc -l)" = 1 ] || fail "deny event: $(cat ev.json)"
  [ "$(events event=bind proto=tcp address=127.0.0.1 port=8080 verdict=allow | wc -l)" = 1 ] || fail "allow event: $(cat ev.json)"
  "$NETACL" status --json > s.json
  local q="[t for t in d['targets'] if t['target'] == '$KT'][0]['counters']"
  [ "$(jget s.json "$q['allowed'], $q['denied']")" = "(2, 3)" ] || fail "counters: $(jget s.json "$q")"
  # audit: allowed, counted and reported as such
  load_ok "$KT.yaml" --target "$KT" --offline --audit || return 1
  trace_start --target "$KT"
  [ "$(verdicts tcpbind 127.0.0.1 8081  udpbind6 ::1 8443)" = "tcpbind 127.0.0.1 8081 allow
udpbind6 ::1 8443 allow" ] || fail "audit mode denied a bind"
  sleep 0.3; trace_stop || return 1
  [ "$(events event=bind address=127.0.0.1 port=8081 verdict=audit | wc -l)" = 1 ] || fail "audit event: $(cat ev.json)"
  [ "$(events event=bind address=::1 port=8443 proto=udp verdict=audit | wc -l)" = 1 ] || fail "audit event v6: $(cat ev.json)"
  "$NETACL" status --json > s.json
  [ "$(jget s.json "$q['audited']")" = 2 ] || fail "audit counter: $(jget s.json "$q")"
  # enforcing again
  load_ok "$KT.yaml" --target "$KT" --offline || return 1
  [ "$(verdicts tcpbind 127.0.0.1 8081)" = "tcpbind 127.0.0.1 8081 deny" ] || fail "not enforced after audit"
}

# inspect reads the bind tries back: diff against the loaded file is
# silent with entries, with bind: [] and without bind:.
test_kernel_bind_inspect_matches_compiled() {
  need_kernel bindinspect
  local b
  for b in "$KBIND_RULES" '["0.0.0.0/0", {to: "::/0", ports: [5353], proto: udp}]' '[]' ''; do
    kbind_policy "$KT" "$b"
    "$NETACL" compile "$KT.yaml" --offline -o c.json || return 1
    faithful c.json "bind: $b" || return 1
    [ "$(jget i.json "'bind' in d['targets']['$KT']")" = "$([ -n "$b" ] && echo True || echo False)" ] ||
      fail "bind key for bind: $b"
  done
  # a file with other bind rules does differ
  kbind_policy "$KT" '["127.0.0.1:8080"]'
  "$NETACL" compile "$KT.yaml" --offline -o c.json || return 1
  run "$NETACL" diff c.json i.json; expect_rc 1 && expect_out "bind unrestricted"
  load_ok c.json --target "$KT" || return 1
  "$NETACL" inspect --target "$KT" --json > i.json
  kbind_policy "$KT" '["127.0.0.1:8081"]'
  "$NETACL" compile "$KT.yaml" --offline -o d.json || return 1
  run "$NETACL" diff d.json i.json; expect_rc 1 && expect_out "bind 127.0.0.1/32 ports 8080"
}

# Reloads swap the bind rules with the rest, atomically; a failed one
# keeps them; a reload without bind: stops restricting.
test_kernel_bind_reload_is_atomic_and_can_drop_bind() {
  need_kernel bindreload
  # both allow 8080; A also 8090, B also 8091; neither 8092.  B's port
  # sets are numbered from 2, A's from 1: a trie of one with the ports of
  # the other would judge the wrong set
  kbind_policy a '["127.0.0.1:8080", "127.0.0.1:8090", "[::1]:8080"]'
  kbind_policy b '["127.0.0.1:8080", "127.0.0.1:8091", "[::1]:8080"]' '"127.0.0.1:80", "127.0.0.3:81"'
  "$NETACL" compile a.yaml --offline -o a.json && "$NETACL" compile b.yaml --offline -o b.json || return 1
  sed -i "s#\"a\"#\"$KT\"#" a.json; sed -i "s#\"b\"#\"$KT\"#" b.json
  load_ok a.json --target "$KT" --cgroup "$KCG" || return 1
  probe --loop 500 --stop stop tcpbind 127.0.0.1 8080 udpbind6 127.0.0.1 8080 tcpbind6 ::1 8080 tcpbind 127.0.0.1 8092 > counts &
  local pid=$! i
  for i in $(seq 1 100); do   # 200 reloads
    "$NETACL" load b.json --target "$KT" 2>/dev/null && "$NETACL" load a.json --target "$KT" 2>/dev/null || { touch stop; fail "reload $i failed"; return 1; }
  done
  touch stop; wait $pid
  cat counts >&2
  awk '$2 != "127.0.0.1" || $3 != 8092 { if ($5 == "deny=0") ok++ }
       $3 == 8092 && $4 == "allow=0" { ok++ } END { exit ok != 4 }' counts || fail "a wrong verdict during reloads"
  [ "$(verdicts tcpbind 127.0.0.1 8090  tcpbind 127.0.0.1 8091 | awk '{ print $4 }' | paste -sd' ')" = "allow deny" ] || fail "A is not live"
  load_ok b.json --target "$KT" || return 1
  [ "$(verdicts tcpbind 127.0.0.1 8090  tcpbind 127.0.0.1 8091 | awk '{ print $4 }' | paste -sd' ')" = "deny allow" ] || fail "B is not live"
  # a load that fails late leaves B's rules
  NETACL_TEST_FAULT=install run "$NETACL" load a.json --target "$KT"; [ "$rc" -ne 0 ] || fail "fault did not fail"
  [ "$(verdicts tcpbind 127.0.0.1 8090  tcpbind 127.0.0.1 8091 | awk '{ print $4 }' | paste -sd' ')" = "deny allow" ] || fail "a failed load changed the bind rules"
  # without bind: again, binding is not restricted
  kbind_policy "$KT" ""
  load_ok "$KT.yaml" --target "$KT" --offline || return 1
  [ "$(verdicts tcpbind 127.0.0.1 8092  tcpbind6 :: 0  tcp 127.0.0.1 80 | awk '{ print $4 }' | paste -sd' ')" = "allow allow allow" ] ||
    fail "bind still restricted after a reload without bind:"
}

# A target loaded by netacl before bind rules has no bind4 and bind6
# pins and no bind programs: it is still a whole target, reloads and is
# repaired in its own layout, and a reload bringing bind: is refused (its
# programs would not enforce it) with nothing changed.  Such a target is
# made here by removing those pins (a first load of a policy without
# bind: attaches no bind programs, nor the DNS and limits ones: 7).
test_kernel_bind_target_without_bind_pins() {
  need_kernel bindlegacy
  kbind_policy "$KT" ""
  load_ok "$KT.yaml" --target "$KT" --cgroup "$KCG" --offline || return 1
  local d=$NETACL_PIN_ROOT/$KT
  [ ! -e "$d/link_bind4" ] && [ ! -e "$d/link_bind6" ] || fail "bind programs attached: $(ls "$d")"
  rm "$d/bind4" "$d/bind6" || return 1
  kbind_attached 7 || fail "programs attached: $(bpftool cgroup show "$CG2/$KCG")"
  probe --loop 100 --stop stop tcp 127.0.0.1 81 > counts &
  local pid=$!
  load_ok "$KT.yaml" --target "$KT" --offline || { touch stop; return 1; }
  touch stop; wait $pid
  no_err "repaired" || return 1
  grep -q "allow=0 " counts || fail "denied address allowed during the reload: $(cat counts)"
  ls "$d" > pins
  grep -q "bind" pins && fail "bind pins appeared: $(cat pins)"
  run "$NETACL" status --json; expect_rc 0
  [ "$(jget "$T/out" "[t['state'] for t in d['targets'] if t['target'] == '$KT'][0]")" = enforced ] || fail "status: $(cat "$T/out")"
  "$NETACL" compile "$KT.yaml" --offline -o c.json
  "$NETACL" inspect --target "$KT" --json > i.json || fail "inspect failed"
  run "$NETACL" diff c.json i.json; expect_rc 0 || fail "inspect differs"
  # bind: cannot be enforced there: refused, nothing changed
  kbind_policy "$KT" '["127.0.0.1:8080"]' '"127.0.0.1:81"'
  run "$NETACL" load "$KT.yaml" --target "$KT" --offline
  expect_rc 69 && expect_err "unload it and load it again" || return 1
  "$NETACL" inspect --target "$KT" --json > i2.json
  cmp -s i.json i2.json || fail "a refused load changed the target"
  [ "$(verdicts tcp 127.0.0.1 80  tcp 127.0.0.1 81  tcpbind 127.0.0.1 8081 | awk '{ print $4 }' | paste -sd' ')" = "allow deny allow" ] ||
    fail "verdicts after the refused load"
  # repaired in its own layout: the bind programs do not come back
  rm "$d/link_connect4"
  run "$NETACL" load c.json --target "$KT"; expect_rc 0 && expect_err "repaired $KT: link_connect4 is missing" || return 1
  # every program of its layout: all but the bind ones
  kbind_attached 13 || fail "attached: $(bpftool cgroup show "$CG2/$KCG")"
  [ ! -e "$d/link_bind4" ] && [ ! -e "$d/bind4" ] || fail "bind pins after the repair: $(ls "$d")"
  [ "$(verdicts tcp 127.0.0.1 81)" = "tcp 127.0.0.1 81 deny" ] || fail "not enforced after the repair"
  # unloaded and loaded again: the new layout, which enforces bind:
  run "$NETACL" unload --target "$KT"; expect_rc 0 || return 1
  load_ok "$KT.yaml" --target "$KT" --cgroup "$KCG" --offline || return 1
  [ "$(verdicts tcpbind 127.0.0.1 8081  tcpbind 127.0.0.1 8080 | awk '{ print $4 }' | paste -sd' ')" = "deny allow" ] || fail "bind: not enforced after a fresh load"
}
