# bind: the local addresses a workload may bind, as the compiler sees them
# (the kernel's side: tests/kernel/t-bind.sh).

bind_policy() {
  cat > b.yaml <<'Y'
version: 1
acls:
  plugin:
    allow: ["127.0.0.1:8080"]
    bind:
      - 127.0.0.1:8000-8099
      - { to: "::1", ports: [9000], proto: tcp }
      - to: 0.0.0.0/0
        ports: [5353]
        proto: udp
      - 127.0.0.2
  closed:
    allow: []
    bind: []
  open:
    allow: []
Y
}

test_bind_compiles_only_when_given() {
  bind_policy
  run "$NETACL" compile b.yaml --offline -o b.json; expect_rc 0 || return 1
  [ "$(jget b.json 'd["targets"]["plugin"]["bind"]')" = "[{'addr': '0.0.0.0/0', 'ports': ['5353'], 'proto': 'udp', 'via': []}, {'addr': '127.0.0.1/32', 'ports': ['8000-8099'], 'proto': 'any', 'via': []}, {'addr': '127.0.0.2/32', 'ports': [], 'proto': 'any', 'via': []}, {'addr': '::1/128', 'ports': ['9000'], 'proto': 'tcp', 'via': []}]" ] ||
    fail "bind entries: $(jget b.json 'd["targets"]["plugin"]["bind"]')"
  [ "$(jget b.json 'd["targets"]["closed"]["bind"]')" = "[]" ] || fail "an empty bind: is kept"
  [ "$(jget b.json '"bind" in d["targets"]["open"]')" = False ] || fail "no bind: writes no key"
  # the compiled file reads back to itself
  "$NETACL" compile b.json -o again.json && cmp b.json again.json || fail "round trip"
}

test_bind_refuses_names_and_star() {
  printf 'version: 1\nacls:\n  a:\n    allow: []\n    bind: [db.example.com, "*", "*.x.example"]\n' > bad.yaml
  run "$NETACL" check bad.yaml; expect_rc 65
  expect_err "bad.yaml:5:12: error: bind takes addresses and CIDRs (write 0.0.0.0/0 or ::/0 for any), not a name"
  expect_err "bad.yaml:5:28: error: bind takes addresses and CIDRs (write 0.0.0.0/0 or ::/0 for any), not '*'"
  expect_err "bad.yaml:5:33: error: bind takes addresses and CIDRs"
  printf 'version: 1\nacls:\n  a:\n    allow: []\n    bind: 127.0.0.1\n' > bad2.yaml
  run "$NETACL" check bad2.yaml; expect_rc 65; expect_err "bad2.yaml:5:11: error: bind must be a list, not a scalar"
}

test_bind_json_entries_are_checked() {
  bind_policy
  "$NETACL" compile b.yaml --offline -o b.json || return 1
  sed 's|{"addr": "127.0.0.2/32", "ports": \[\], "proto": "any", "via": \[\]}|{"addr": "127.0.0.2/32", "ports": [], "proto": "any", "via": ["x.example"]}|' b.json > v.json
  cmp -s b.json v.json && { fail "the edit did not apply"; return 1; }
  run "$NETACL" explain v.json --target plugin --bind 127.0.0.2; expect_rc 65
  expect_err "a bind entry has no 'via' and no 'ttl'"
  sed 's|"addr": "127.0.0.2/32"|"addr": "127.0.0.2/33"|' b.json > c.json
  run "$NETACL" explain c.json --target plugin --bind 127.0.0.2; expect_rc 65
  expect_err "c.json:39:18: error: at \$.targets[\"plugin\"].bind[2]: addr: invalid prefix length '33' (0-32)"
}

test_bind_explain() {
  bind_policy
  "$NETACL" compile b.yaml --offline -o b.json || return 1
  run "$NETACL" explain b.json --target plugin --bind 127.0.0.1 8050 --proto tcp; expect_rc 0
  expect_out "allow: bind 127.0.0.1 port 8050 for target plugin"
  expect_out "bind: entry 127.0.0.1/32 ports 8000-8099 proto any"
  run "$NETACL" explain b.json --target plugin --bind 127.0.0.1 8100; expect_rc 1
  expect_out "the address may be bound, but not this port (bind: lists 8000-8099)"
  # port 0: the kernel picks any port, so only an every-port entry allows it
  run "$NETACL" explain b.json --target plugin --bind 127.0.0.1 0; expect_rc 1
  expect_out "port 0 lets the kernel pick any port"
  run "$NETACL" explain b.json --target plugin --bind 127.0.0.2 0; expect_rc 0
  run "$NETACL" explain b.json --target plugin --bind 0.0.0.0 5353 --proto tcp; expect_rc 1
  expect_out "the address may be bound, but not for tcp"
  run "$NETACL" explain b.json --target plugin --bind ::1 9000 --proto udp; expect_rc 1
  run "$NETACL" explain b.json --target plugin --bind ::2 9000; expect_rc 1
  expect_out "no bind: entry covers this address"
  run "$NETACL" explain b.json --target closed --bind 127.0.0.1 8080; expect_rc 1
  run "$NETACL" explain b.json --target open --bind 10.1.2.3 80; expect_rc 0
  expect_out "the ACL has no bind: section, so binding is not restricted"
  # without --bind, port 0 is no port, and bind: plays no part in connects
  run "$NETACL" explain b.json --target plugin 127.0.0.1 0; expect_rc 64
  run "$NETACL" explain b.json --target plugin 127.0.0.1 8050; expect_rc 1
}

test_bind_diff() {
  bind_policy
  "$NETACL" compile b.yaml --offline -o a.json || return 1
  sed -i 's/8000-8099/8000-8098/; s/^  closed:/  gone:/' b.yaml
  printf '    bind: ["10.0.0.0/8:22"]\n' >> b.yaml
  "$NETACL" compile b.yaml --offline -o b.json || return 1
  run "$NETACL" diff a.json b.json; expect_rc 1
  expect_out "- plugin: bind 127.0.0.1/32 ports 8099 any"
  expect_out "- open: bind unrestricted"
  expect_out "+ open: bind 10.0.0.0/8 ports 22 any"
  expect_out "- target closed"
  [ "$(grep -c '' "$T/out")" = 5 ] || fail "5 lines: $(cat "$T/out")"
  run "$NETACL" diff a.json a.json; expect_rc 0
}

# '::' takes IPv4 too (unless IPV6_V6ONLY, which the kernel's hook cannot
# see): explain says what the kernel does, 0.0.0.0 must be allowed as well
test_bind_explain_dual_stack_any() {
  printf 'version: 1\nacls:\n  a:\n    allow: []\n    bind: ["[::]:8080", "0.0.0.0:9090", "[::]:9090"]\n' > d.yaml
  run "$NETACL" explain d.yaml --offline --target a --bind :: 8080; expect_rc 1
  expect_out "so 0.0.0.0 must be allowed as well, and is not"
  run "$NETACL" explain d.yaml --offline --target a --bind :: 9090; expect_rc 0
  run "$NETACL" explain d.yaml --offline --target a --bind 0.0.0.0 8080; expect_rc 1
}
