# DNS resolution against tests/dns/fakedns.py on 127.0.0.1 (never a real
# server): errors, timeouts, truncation, CNAMEs, big and mixed answers.

# start_dns [ARGS]: a fake server for this test; sets DNS (IP:PORT) and QLOG
start_dns() {
  [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import dnslib' 2>/dev/null || skip "python3-dnslib not installed"
  QLOG=$T/qlog
  /usr/bin/python3 "$ROOT/tests/dns/fakedns.py" --port-file "$T/port" --log "$QLOG" "$@" 2>"$T/dns.err" &
  DNS_PID=$!
  trap 'kill $DNS_PID 2>/dev/null' EXIT
  for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
  [ -s "$T/port" ] || fail "fake DNS server did not start"
  DNS=127.0.0.1:$(cat "$T/port")
}

policy_of() {  # policy_of NAME...: one ACL 'a' allowing these names
  { echo "version: 1"; echo "acls:"; echo "  a:"; echo "    allow:"; for n in "$@"; do echo "      - $n"; done; } > p.yaml
}

dcompile() { run "$NETACL" compile p.yaml --resolver "$DNS" -o c.json "$@"; }

unres() { python3 -c 'import json,sys; [print(u["host"], u["error"]) for u in json.load(open("c.json"))["targets"]["a"]["unresolved"]]'; }

test_dns_error_reasons() {
  start_dns || return 1
  policy_of nx.test nodata.test servfail.test refused.test loop.test ok.test
  dcompile --timeout 3000; expect_rc 0 || return 1
  diff <(unres) - <<'E' >&2 || fail "unresolved reasons"
loop.test CNAME loop or chain too long
nodata.test NODATA
nx.test NXDOMAIN
refused.test REFUSED
servfail.test SERVFAIL
E
}

test_dns_silent_server_is_bounded_by_timeout() {
  start_dns || return 1
  policy_of silent.test wrongid.test ok.test
  local t0=$(date +%s%N)
  dcompile --timeout 1500; expect_rc 0 || return 1
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$ms" -lt 2500 ] || fail "took ${ms} ms with --timeout 1500"
  diff <(unres) - <<'E' >&2 || fail "a silent server and a forged ID must be timeouts"
silent.test timeout
wrongid.test timeout
E
  grep -q '93.184' c.json || fail "ok.test did not resolve"
}

test_dns_truncated_udp_retries_over_tcp() {
  start_dns || return 1
  policy_of tc.test
  dcompile; expect_rc 0 || return 1
  [ "$(jget c.json 'd["targets"]["a"]["allow"][0]["addr"]')" = 93.184.216.50/32 ] || fail "no TCP answer"
  grep -q '^tcp A tc.test$' "$QLOG" || fail "no query over TCP"
}

test_dns_cname_chain_keeps_the_smallest_ttl() {
  start_dns || return 1
  policy_of chain.test
  dcompile; expect_rc 0 || return 1
  [ "$(jget c.json '[(a["addr"], a["ttl"]) for a in d["targets"]["a"]["allow"]]')" = "[('93.184.216.60/32', 60), ('2606:2800:220::60/128', 60)]" ] ||
    fail "ttls: $(jget c.json 'd["targets"]["a"]["allow"]')"
}

test_dns_huge_answer_truncated_deterministically() {
  start_dns || return 1
  policy_of big.test
  dcompile --max-addrs 300; expect_rc 0 && expect_err "more than 300 addresses" || return 1
  [ "$(jget c.json 'len(d["targets"]["a"]["allow"])')" = 300 ] || fail "want 300 entries"
  [ "$(jget c.json 'd["targets"]["a"]["allow"][-1]["addr"]')" = 44.0.1.43/32 ] || fail "not the lowest 300"
  cp c.json first.json; dcompile --max-addrs 300; cmp first.json c.json || fail "not deterministic"
}

test_dns_mixed_answers_go_through_the_table() {
  start_dns || return 1
  policy_of mixed.test rebind.test
  dcompile; expect_rc 0 || return 1
  [ "$(jget c.json '[a["addr"] for a in d["targets"]["a"]["allow"]]')" = "['93.184.216.70/32', '93.184.216.71/32', '2606:2800:220::7/128']" ] ||
    fail "allowed: $(jget c.json '[a["addr"] for a in d["targets"]["a"]["allow"]]')"
  [ "$(jget c.json 'sorted((x["addr"], x["reason"]) for x in d["targets"]["a"]["dropped"])')" = \
    "[('10.0.0.7/32', 'private-use'), ('10.0.0.8/32', 'private-use'), ('127.0.0.1/32', 'loopback'), ('169.254.169.254/32', 'metadata'), ('192.168.1.10/32', 'private-use'), ('64:ff9b::a00:9/128', 'private-use'), ('::1/128', 'loopback'), ('fd00::10/128', 'unique-local')]" ] ||
    fail "dropped: $(jget c.json 'sorted((x["addr"], x["reason"]) for x in d["targets"]["a"]["dropped"])')"
}

test_dns_single_family_names() {
  start_dns || return 1
  policy_of v4only.test v6only.test
  dcompile; expect_rc 0 || return 1
  [ "$(jget c.json '[a["addr"] for a in d["targets"]["a"]["allow"]]')" = "['93.184.216.80/32', '2606:2800:220::80/128']" ] || fail "families"
  [ "$(jget c.json 'd["targets"]["a"]["unresolved"]')" = "[]" ] || fail "a name with one family is resolved"
}

test_dns_connection_refused() {
  local port
  port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  policy_of ok.test
  run "$NETACL" compile p.yaml --resolver "127.0.0.1:$port" --timeout 2000 -o c.json; expect_rc 0 || return 1
  jget c.json 'd["targets"]["a"]["unresolved"][0]["error"]' | grep -Eq 'connection refused|timeout' || fail "$(cat c.json)"
}

test_dns_strict_fails_and_writes_nothing() {
  start_dns || return 1
  policy_of nx.test ok.test
  dcompile --strict; expect_rc 68 && expect_err "nx.test" && expect_err "NXDOMAIN" || return 1
  [ ! -e c.json ] || fail "wrote output"
}

test_dns_hosts_file_wins_over_dns() {
  start_dns || return 1
  policy_of ok.test other.test
  echo "93.184.216.200 ok.test" > h
  dcompile --hosts-file h; expect_rc 0 || return 1
  jget c.json '[a["addr"] for a in d["targets"]["a"]["allow"]]' | grep -q "93.184.216.200/32" || fail "hosts file not used"
  ! grep -q ' ok.test$' "$QLOG" || fail "ok.test went to DNS"
  grep -q ' other.test$' "$QLOG" || fail "other.test did not go to DNS"
}

test_dns_each_name_once_across_targets() {
  start_dns || return 1
  cat > p.yaml <<'Y'
version: 1
acls:
  a: { allow: [shared.test, "*.shared.test"] }
  b: { allow: [shared.test:443] }
pipelines:
  p:
    stages:
      s: { acl: a, hosts: [x.shared.test] }
      t: { acl: a, hosts: [x.shared.test] }
      u: { acl: b }
Y
  dcompile; expect_rc 0 || return 1
  [ "$(grep -c ' shared.test$' "$QLOG")" -eq 2 ] || fail "shared.test queried $(grep -c ' shared.test$' "$QLOG") times, want 2 (A+AAAA)"
  [ "$(grep -c ' x.shared.test$' "$QLOG")" -eq 2 ] || fail "x.shared.test queried more than once per family"
}

test_dns_resolver_flag_is_validated() {
  policy_of ok.test
  run "$NETACL" compile p.yaml --resolver 127.0.0.1:99999; expect_rc 64 || return 1
  run "$NETACL" compile p.yaml --resolver not-an-ip; expect_rc 64
  # checked even when no DNS is asked
  run "$NETACL" compile p.yaml --resolver 999.1.1.1 --offline; expect_rc 64 && expect_err "999.1.1.1"
  run "$NETACL" compile p.yaml --resolver 127.0.0.1:53x --offline; expect_rc 64
  run "$NETACL" compile p.yaml --resolver 127.0.0.1:53 --offline; expect_rc 0
}
