# Containment: what a process inside the cgroup might use to reach an
# address the policy denies without passing the address hooks.  Each case
# runs in a private network namespace (ping sockets are opened there by
# its own net.ipv4.ping_group_range), sends the payload "netacl-probe" to
# a listener on a denied address, and is checked three ways: the probe's
# verdict, what the listener received, and what `trace` reported.

# The policy of every case: 127.0.0.2:7001 and [::1]:7001 only.
contain_policy() {
  printf 'version: 1\nacls:\n  %s:\n    allow: ["127.0.0.2:7001", "[::1]:7001"]\n    private: [loopback]\n%s' \
    "$KT" "${1:-}" > "$KT.yaml"
}

# Listeners on the denied addresses: UDP and UDP-Lite on 127.0.0.3:7001
# and [::1]:7002.  They count the probe's payloads into $1 until killed.
LISTEN='import select, socket, sys, signal
socks = []
for fam, addr in ((socket.AF_INET, "127.0.0.3"), (socket.AF_INET6, "::1")):
    port = 7001 if fam == socket.AF_INET else 7002
    for proto in (socket.IPPROTO_UDP, socket.IPPROTO_UDPLITE):
        s = socket.socket(fam, socket.SOCK_DGRAM, proto)
        s.bind((addr, port))
        socks.append(s)
got = 0
signal.signal(signal.SIGTERM, lambda *a: (open(sys.argv[1], "w").write("%d\n" % got), sys.exit(0)))
open(sys.argv[1] + ".up", "w").close()
while True:
    for s in select.select(socks, [], [])[0]:
        if s.recv(100).startswith(b"netacl-probe"):
            got += 1'

# in_netns "COMMANDS": a private network namespace with lo up, ping
# sockets open to every group, and the listeners; prints what the
# commands print, then "delivered N".
in_netns() {
  set -- "$(tr '\n' ' ' <<<"$1")"   # one command line
  unshare -n sh -c "ip link set lo up && sysctl -qw net.ipv4.ping_group_range='0 2147483647' &&
    python3 -c '$LISTEN' '$T/got' & lp=\$!
    for i in \$(seq 100); do [ -e '$T/got.up' ] && break; sleep 0.05; done
    $1
    sleep 0.2; kill \$lp; wait \$lp; rm -f '$T/got.up'; echo delivered \$(cat '$T/got')"
}

# the probe's lines reduced to "OP ADDR PORT allow|deny", and "delivered N"
verdict_lines() { awk '{ print $1, $2, $3, $4 }' | sed 's/ *$//'; }

UNPRIV_OPS="udplite 127.0.0.3 7001 udplite6 ::1 7002 ping 127.0.0.3 0 ping6 ::1 0
  srh6 ::1 7002 udpcmsg 127.0.0.3 7001 udpcmsg6 ::1 7002 mptcp 127.0.0.3 7001
  unspec 127.0.0.3 7001 srhcompat6 ::1 7001"

test_kernel_contain_unprivileged_bypasses() {
  need_kernel contain; trap run_cleanup EXIT
  contain_policy
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  # the same sends outside the cgroup go through: the listeners work (the
  # segment-routed one is sent, but lo does not process the header)
  in_netns "$PROBE --user 65534 $UNPRIV_OPS" | verdict_lines > outside
  diff outside - <<'E' >&2 || fail "outside the cgroup"
udplite 127.0.0.3 7001 allow
udplite6 ::1 7002 allow
ping 127.0.0.3 0 allow
ping6 ::1 0 allow
srh6 ::1 7002 allow
udpcmsg 127.0.0.3 7001 allow
udpcmsg6 ::1 7002 allow
mptcp 127.0.0.3 7001 allow
unspec 127.0.0.3 7001 allow
srhcompat6 ::1 7001 allow
delivered 5
E
  trace_start --target "$KT"
  in_netns "$PROBE --cgroup $CG2/$KCG --user 65534 $UNPRIV_OPS rthdrcmsg6 ::1 7002" > inside
  trace_stop || return 1
  diff inside - <<'E' >&2 || fail "inside the cgroup"
udplite 127.0.0.3 7001 deny
udplite6 ::1 7002 deny
ping 127.0.0.3 0 deny
ping6 ::1 0 deny
srh6 ::1 7002 deny
udpcmsg 127.0.0.3 7001 deny
udpcmsg6 ::1 7002 deny
mptcp 127.0.0.3 7001 deny
unspec 127.0.0.3 7001 deny
srhcompat6 ::1 7001 deny
rthdrcmsg6 ::1 7002 allow (EINVAL)
delivered 0
E
  # each refusal is reported, saying what was refused
  [ "$(events event=socket proto=udplite type=dgram verdict=deny | wc -l)" = 2 ] || fail "udplite events: $(cat ev.json)"
  [ "$(events event=socket proto=icmp verdict=deny | wc -l)" = 1 ] || fail "ping event"
  [ "$(events event=socket proto=icmpv6 verdict=deny | wc -l)" = 1 ] || fail "ping6 event"
  [ "$(events event=setsockopt proto=ipv6 option=IPV6_RTHDR verdict=deny | wc -l)" = 1 ] || fail "rthdr event"
  # a 32-bit compat setsockopt skips the cgroup setsockopt hook: egress drops the packet
  [ "$(events event=packet proto=ipv6 header="routing header" verdict=deny | wc -l)" = 1 ] || fail "compat rthdr packet event"
  # the cmsg send and the AF_UNSPEC-named one
  [ "$(events event=address address=127.0.0.3 port=7001 proto=udp verdict=deny | wc -l)" = 2 ] || fail "udpcmsg and unspec events"
  [ "$(events event=address address=127.0.0.3 port=7001 proto=tcp verdict=deny | wc -l)" = 1 ] || fail "mptcp event"
  [ "$(events verdict=deny comm=probe | wc -l)" = "$(events verdict=deny | wc -l)" ] || fail "comm"
}

test_kernel_contain_allowed_traffic_still_flows() {
  need_kernel flows
  contain_policy
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  # QUIC-style sends (connected UDP with IP_TOS / IPV6_TCLASS control
  # messages: the hook sees no address) to allowed peers, TCP, UDP, MPTCP
  in_netns "$PROBE --cgroup $CG2/$KCG --user 65534 udpcmsg 127.0.0.2 7001 udpcmsg6 ::1 7001
    udpcmsg6 127.0.0.2 7001 tcp 127.0.0.2 7001 udp 127.0.0.2 7001 udpc6 ::1 7001
    mptcp 127.0.0.2 7001 mptcp6 ::1 7001 tcp6 ::1 7001" | verdict_lines > got
  diff got - <<'E' >&2 || fail "allowed traffic"
udpcmsg 127.0.0.2 7001 allow
udpcmsg6 ::1 7001 allow
udpcmsg6 127.0.0.2 7001 allow
tcp 127.0.0.2 7001 allow
udp 127.0.0.2 7001 allow
udpc6 ::1 7001 allow
mptcp 127.0.0.2 7001 allow
mptcp6 ::1 7001 allow
tcp6 ::1 7001 allow
delivered 0
E
}

test_kernel_contain_root_raw_and_source_routes() {
  need_kernel root
  contain_policy
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  local ops="raw 127.0.0.3 7001 raw6 ::1 7002 rawhdr 127.0.0.3 0 ipopt 127.0.0.2 7001 srh6 ::1 7001 udplite 127.0.0.3 7001
    ipoptcompat 127.0.0.2 7001 retopts 127.0.0.2 7001"
  # root outside the cgroup may (raw sockets reach the listeners too)
  in_netns "$PROBE $ops" | verdict_lines > outside
  diff outside - <<'E' >&2 || fail "outside the cgroup"
raw 127.0.0.3 7001 allow
raw6 ::1 7002 allow
rawhdr 127.0.0.3 0 allow
ipopt 127.0.0.2 7001 allow
srh6 ::1 7001 allow
udplite 127.0.0.3 7001 allow
ipoptcompat 127.0.0.2 7001 allow
retopts 127.0.0.2 7001 allow
delivered 1
E
  # root inside may not: the hooks hold for every process in the cgroup
  in_netns "$PROBE --cgroup $CG2/$KCG $ops" > inside
  diff inside - <<'E' >&2 || fail "inside the cgroup"
raw 127.0.0.3 7001 deny
raw6 ::1 7002 deny
rawhdr 127.0.0.3 0 deny
ipopt 127.0.0.2 7001 deny
srh6 ::1 7001 deny
udplite 127.0.0.3 7001 deny
ipoptcompat 127.0.0.2 7001 deny
retopts 127.0.0.2 7001 deny
delivered 0
E
}

test_kernel_contain_audit_reports_and_allows() {
  need_kernel caudit; trap run_cleanup EXIT
  contain_policy
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" --audit || return 1
  trace_start --target "$KT"
  in_netns "$PROBE --cgroup $CG2/$KCG --user 65534 udplite 127.0.0.3 7001 srh6 ::1 7001" |
    verdict_lines > got
  trace_stop || return 1
  diff got - <<'E' >&2 || fail "audit mode refused"
udplite 127.0.0.3 7001 allow
srh6 ::1 7001 allow
delivered 1
E
  [ "$(events event=socket proto=udplite verdict=audit | wc -l)" = 1 ] || fail "no udplite audit event: $(cat ev.json)"
  [ "$(events event=setsockopt option=IPV6_RTHDR verdict=audit | wc -l)" = 1 ] || fail "no rthdr audit event"
}

# A socket made outside the cgroup was never judged by its hooks: run
# hands the command no descriptor beyond stdio unless --keep-fd names it.
test_kernel_contain_run_closes_inherited_sockets() {
  need_kernel inherit; trap run_cleanup EXIT
  contain_policy
  $PY -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.3", 7003))
open(sys.argv[1], "w").close()
while True:
    d = s.recv(100); open(sys.argv[2], "a").write(d.decode() + "\n")' up got &
  for _ in $(seq 100); do [ -e up ] && break; sleep 0.05; done
  touch got
  # fd 7: a UDP socket connected to a denied address, made out here
  exec 7<>/dev/udp/127.0.0.3/7003
  run "$NETACL" run "$KT.yaml" --target "$KT" --offline -- sh -c 'echo inherited >&7'
  [ "$rc" -ne 0 ] || fail "the command wrote to fd 7"
  run "$NETACL" run "$KT.yaml" --target "$KT" --offline --keep-fd 7 -- sh -c 'echo kept >&7'
  expect_rc 0
  exec 7>&-
  sleep 0.3
  [ "$(cat got)" = kept ] || fail "delivered: $(cat got)"
  run "$NETACL" run "$KT.yaml" --target "$KT" --offline --keep-fd 2 -- true; expect_rc 64
  run "$NETACL" run "$KT.yaml" --target "$KT" --offline --keep-fd 9 -- true; expect_rc 64 && expect_err "--keep-fd"
}

# Unloading a run's target kills its command first (it would run
# unconfined); run says so and exits 75.
test_kernel_contain_unload_under_run() {
  need_kernel unrun; trap run_cleanup EXIT
  contain_policy
  "$NETACL" run "$KT.yaml" --target "$KT" --offline -- sleep 30 > run.out 2> run.err &
  local pid=$!
  for _ in $(seq 100); do [ -s "$CG2/netacl/$KT@run-$pid/cgroup.procs" ] && break; sleep 0.05; done
  run "$NETACL" unload --all; expect_rc 0 || return 1
  wait $pid; rc=$?
  expect_rc 75 || return 1
  grep -q "was unloaded while sleep ran" run.err || fail "no word of it: $(cat run.err)"
  ! grep -q "not loaded" run.err || fail "a confusing error: $(cat run.err)"
  [ ! -e "$CG2/netacl/$KT@run-$pid" ] || fail "the run's cgroup remains"
}

# A trace killed with SIGKILL leaves listen set; the next status (or load,
# or refresh) clears it, so allowed verdicts stop filling the ring.
test_kernel_contain_stale_listen_is_cleared() {
  need_kernel listen; trap run_cleanup EXIT
  contain_policy
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  "$NETACL" trace --target "$KT" > /dev/null 2>&1 &
  local tp=$!
  sleep 1
  listen() {  # without BTF, bpftool gives the value's bytes
    bpftool map dump pinned "$NETACL_PIN_ROOT/$KT/listen" -j |
      jget /dev/stdin "(lambda v: v if isinstance(v, int) else int(v[0], 16))(d[0]['value'])"
  }
  [ "$(listen)" = 1 ] || fail "trace did not set listen: $(listen)"
  kill -KILL $tp; wait $tp 2>/dev/null
  [ "$(listen)" = 1 ] || fail "listen was cleared already"
  run "$NETACL" status; expect_rc 0
  [ "$(listen)" = 0 ] || fail "status left a stale listen: $(listen)"
}

# ping: true lets ICMP datagram sockets be made (and their echo requests
# go anywhere: the address hooks never see them); nothing else changes.
test_kernel_contain_ping_knob() {
  need_kernel ping
  contain_policy "    ping: true
"
  "$NETACL" compile "$KT.yaml" --offline -o c.json || return 1
  [ "$(jget c.json "d['targets']['$KT']['ping']")" = True ] || fail "no ping in the JSON"
  load_ok c.json --target "$KT" --cgroup "$KCG" || return 1
  in_netns "$PROBE --cgroup $CG2/$KCG --user 65534 ping 127.0.0.3 0 ping6 ::1 0 udplite 127.0.0.3 7001 raw 127.0.0.3 7001" |
    verdict_lines > got
  diff got - <<'E' >&2 || fail "with ping: true"
ping 127.0.0.3 0 allow
ping6 ::1 0 allow
udplite 127.0.0.3 7001 deny
raw 127.0.0.3 7001 deny
delivered 0
E
  # the kernel holds it: inspect says so, and diff finds the loaded file faithful
  "$NETACL" inspect --target "$KT" --json > i.json || return 1
  run "$NETACL" diff c.json i.json; expect_rc 0
  contain_policy; "$NETACL" compile "$KT.yaml" --offline -o off.json
  run "$NETACL" diff c.json off.json; expect_rc 1 && expect_out "- $KT: ping sockets"
}
