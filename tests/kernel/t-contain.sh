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
  srh6 ::1 7002 udpcmsg 127.0.0.3 7001 udpcmsg6 ::1 7002 mptcp 127.0.0.3 7001"

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
delivered 4
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
rthdrcmsg6 ::1 7002 allow (EINVAL)
delivered 0
E
  # each refusal is reported, saying what was refused
  [ "$(events event=socket proto=udplite type=dgram verdict=deny | wc -l)" = 2 ] || fail "udplite events: $(cat ev.json)"
  [ "$(events event=socket proto=icmp verdict=deny | wc -l)" = 1 ] || fail "ping event"
  [ "$(events event=socket proto=icmpv6 verdict=deny | wc -l)" = 1 ] || fail "ping6 event"
  [ "$(events event=setsockopt proto=ipv6 option=IPV6_RTHDR verdict=deny | wc -l)" = 1 ] || fail "rthdr event"
  [ "$(events event=address address=127.0.0.3 port=7001 proto=udp verdict=deny | wc -l)" = 1 ] || fail "udpcmsg event"
  [ "$(events event=address address=127.0.0.3 port=7001 proto=tcp verdict=deny | wc -l)" = 1 ] || fail "mptcp event"
  events verdict=deny | grep -q '"comm":"probe"' || fail "comm"
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
  local ops="raw 127.0.0.3 7001 raw6 ::1 7002 rawhdr 127.0.0.3 0 ipopt 127.0.0.2 7001 srh6 ::1 7001 udplite 127.0.0.3 7001"
  # root outside the cgroup may (raw sockets reach the listeners too)
  in_netns "$PROBE $ops" | verdict_lines > outside
  diff outside - <<'E' >&2 || fail "outside the cgroup"
raw 127.0.0.3 7001 allow
raw6 ::1 7002 allow
rawhdr 127.0.0.3 0 allow
ipopt 127.0.0.2 7001 allow
srh6 ::1 7001 allow
udplite 127.0.0.3 7001 allow
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
