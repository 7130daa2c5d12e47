# max_connections and max_connect_rate, as the compiler sees them.

limits_policy() {
  printf 'version: 1\nacls:\n  plugin:\n    allow: ["127.0.0.1:8080"]\n    max_connections: %s\n    max_connect_rate: %s\n' "$1" "$2" > l.yaml
}

test_limits_compile_and_diff() {
  limits_policy 8 100/s
  run "$NETACL" compile l.yaml --offline -o a.json; expect_rc 0 || return 1
  [ "$(jget a.json '(d["targets"]["plugin"]["max_connections"], d["targets"]["plugin"]["max_connect_rate"])')" = "(8, 100)" ] ||
    fail "limits: $(grep max_ a.json)"
  "$NETACL" compile a.json -o again.json && cmp a.json again.json || fail "round trip"
  printf 'version: 1\nacls:\n  plugin:\n    allow: []\n' > none.yaml
  "$NETACL" compile none.yaml --offline -o none.json
  grep -q max_ none.json && fail "limits written when not given"
  limits_policy 16 100/s
  "$NETACL" compile l.yaml --offline -o b.json
  run "$NETACL" diff a.json b.json; expect_rc 1
  expect_out "- plugin: max_connections 8"; expect_out "+ plugin: max_connections 16"
  no_out "max_connect_rate"
  sed -i '/max_connect_rate/d' a.json
  run "$NETACL" diff a.json b.json; expect_rc 1; expect_out "+ plugin: max_connect_rate 100/s"
}

test_limits_bad_values_are_located() {
  local v
  for v in 0 -1 1000001 8x "1e3" "[8]"; do
    limits_policy "$v" "$v"
    run "$NETACL" check l.yaml; expect_rc 65
    expect_err "l.yaml:5:22: error: 'max_connections' takes a count 1-1000000"
    expect_err "l.yaml:6:23: error: 'max_connect_rate' takes a count 1-1000000 followed by /s"
  done
  limits_policy 8 100
  run "$NETACL" check l.yaml; expect_rc 65; expect_err "l.yaml:6:23: error: 'max_connect_rate'"
  limits_policy 8 100/s
  "$NETACL" compile l.yaml --offline -o a.json
  sed 's/"max_connections": 8/"max_connections": 0/' a.json > z.json
  run "$NETACL" explain z.json --target plugin 127.0.0.1; expect_rc 65
  expect_err "'max_connections' must be 1-1000000"
}

# What the kernel does with them (counting, EMFILE, the bucket, status,
# trace, inspect, reloads, old targets) is tests/kernel/t-limits.sh's.
