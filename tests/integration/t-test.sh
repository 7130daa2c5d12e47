# netacl test: expectations of what targets reach, for CI, with JUnit XML.

EX="$ROOT/examples"

# every example that has a tests file passes it, as its comment says to run it
test_test_examples_pass() {
  local e h
  for e in quickstart pipeline live-dns plugin-host; do
    h=; [ -f "$EX/$e.hosts" ] && h="--hosts-file $EX/$e.hosts"
    run "$NETACL" test "$EX/$e.yaml" "$EX/$e.tests.yaml" --offline $h
    expect_rc 0 || continue
    expect_out " 0 failed"
    grep -q "^FAIL" "$T/out" && fail "$e: a FAIL line"
  done
  # the same file compiled first (what CI keeps) answers the same
  "$NETACL" compile "$EX/pipeline.yaml" --offline --hosts-file "$EX/pipeline.hosts" -o p.json
  run "$NETACL" test p.json "$EX/pipeline.tests.yaml"; expect_rc 0
  expect_out "12 expectations: 12 passed, 0 failed"
}

write_failing() {
  cat > t.yaml <<'Y'
version: 1
expect:
  nightly/source:
    reaches:
      - db.example.com:5432/tcp
      - replica.rds.amazonaws.com:5432
      - db.example.com:8443
    does_not_reach: 93.184.216.34:5432
  nightly/dest:
    reaches: ["*.s3.amazonaws.com:443", "10.0.0.1:443/tcp"]
Y
}

test_test_failures_are_located_and_exit_1() {
  write_failing
  run "$NETACL" test "$EX/pipeline.yaml" t.yaml --offline --hosts-file "$EX/pipeline.hosts"
  expect_rc 1
  expect_out "ok   nightly/source reaches db.example.com:5432/tcp"
  expect_out "FAIL nightly/source reaches db.example.com:8443"
  expect_out "6 expectations: 1 passed, 5 failed"
  expect_err "t.yaml:6:9: error: expected nightly/source to reach replica.rds.amazonaws.com:5432, but it resolved to 10.30.0.9, in the special-purpose row private-use"
  expect_err "t.yaml:7:9: error: expected nightly/source to reach db.example.com:8443, but its address 93.184.216.34 port 8443/tcp is denied: the address is allowed, not this port"
  expect_err "t.yaml:8:21: error: expected nightly/source not to reach 93.184.216.34:5432, but 93.184.216.34 port 5432/tcp is allowed by the rule db.example.com ($EX/pipeline.yaml:9:9)"
  expect_err "t.yaml:10:15: error: expected nightly/dest to reach *.s3.amazonaws.com:443, but the rule *.s3.amazonaws.com"
  expect_err "without dns: admit, only names resolved ahead of time are reached"
  expect_err "t.yaml:10:41: error: expected nightly/dest to reach 10.0.0.1:443/tcp, but 10.0.0.1 port 443/tcp is denied: no rule allows it"
  [ "$(grep -c ': error: ' "$T/err")" = 5 ] || fail "want 5 errors"
}

test_test_junit_report() {
  write_failing
  run "$NETACL" test "$EX/pipeline.yaml" t.yaml --offline --hosts-file "$EX/pipeline.hosts" --junit r.xml
  expect_rc 1
  # a failing run still writes the report: it is what CI shows
  python3 - r.xml <<'P' >"$T/out" 2>"$T/err" || fail "junit: $(cat "$T/err")"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("tests") == "6" and root.get("failures") == "5", root.attrib
suites = {s.get("name"): s for s in root.findall("testsuite")}
assert sorted(suites) == ["nightly/dest", "nightly/source"], sorted(suites)
src = suites["nightly/source"]
assert (src.get("tests"), src.get("failures")) == ("4", "3"), src.attrib
cases = src.findall("testcase")
assert cases[0].get("name") == "reaches db.example.com:5432/tcp" and cases[0].find("failure") is None
assert cases[0].get("classname") == "nightly/source" and cases[0].get("line") == "5"
f = cases[3].find("failure")
assert cases[3].get("name") == "does not reach 93.184.216.34:5432", cases[3].get("name")
assert f is not None and "allowed by the rule db.example.com" in f.get("message"), f.get("message")
assert f.text.startswith("t.yaml:8:21: "), f.text
print("ok")
P
  # all passing: exit 0, no failure element
  run "$NETACL" test "$EX/quickstart.yaml" "$EX/quickstart.tests.yaml" --offline \
      --hosts-file "$EX/quickstart.hosts" --junit ok.xml
  expect_rc 0
  grep -q "<failure" ok.xml && fail "a failure in a passing report"
  grep -q 'tests="10" failures="0"' ok.xml || fail "counts: $(head -3 ok.xml)"
}

# a tests file that is wrong is a data error (65), located, with no report
test_test_bad_tests_file_is_65() {
  local P="$EX/pipeline.yaml" H="--offline --hosts-file $EX/pipeline.hosts"
  bad() { # EXPECTED-ERROR, then the file on stdin
    cat > bad.yaml
    run "$NETACL" test "$P" bad.yaml $H --junit r.xml
    expect_rc 65; expect_err "$1"
    [ ! -e r.xml ] || { fail "a report for a bad tests file"; rm -f r.xml; }
  }
  printf 'version: 1\nexpect:\n  nightly/source:\n    reaches: [10.0.0.0/8]\n' |
    bad "bad.yaml:4:15: error: a test names one address, not a range"
  printf 'version: 1\nexpect:\n  nightly/source:\n    reaches: ["*"]\n' | bad "bad.yaml:4:15: error: '*' is no destination"
  printf 'version: 1\nexpect:\n  nightly/source:\n    reaches: [db:99999]\n' | bad "bad.yaml:4:18:"
  printf 'version: 1\nexpect:\n  nightly/source:\n    reach: [db]\n' | bad "bad.yaml:4:5: error: unknown key 'reach'"
  printf 'version: 1\nexpect:\n  nightly/source:\n    reaches: [db]\n  nightly/sauce:\n    reaches: [db, x]\n' |
    bad "bad.yaml:6:15: error: $P has no target named 'nightly/sauce'"
  [ "$(grep -c 'no target named' "$T/err")" = 1 ] || fail "one error per unknown target"
  printf 'version: 2\nexpect:\n  nightly/source:\n    reaches: [db]\n' | bad "bad.yaml:1:10: error: version must be 1"
  printf 'version: 1\nexpects: {}\n' | bad "bad.yaml:2:1: error: unknown key 'expects'"
  printf 'version: 1\nexpect:\n  nightly/source: [db]\n' | bad "bad.yaml:3:19: error: a target's expectations must be a mapping"
  printf 'version: 1\nexpect: {}\n' | bad "bad.yaml: error: no expectations"
  printf 'version: 1\nexpect: [\n' | bad "bad.yaml:"
}

test_test_usage() {
  run "$NETACL" test "$EX/pipeline.yaml"; expect_rc 64; expect_err "usage: netacl test"
  run "$NETACL" test "$EX/pipeline.yaml" /nonexistent.yaml; expect_rc 66
  run "$NETACL" test --help; expect_rc 0; expect_out "--junit FILE"
}

# binds / does_not_bind: the local addresses of bind: (netacl-policy(5), BIND)
test_test_binds() {
  cat > b.yaml <<'Y'
version: 1
acls:
  plugin:
    allow: ["127.0.0.1:8080"]
    bind: ["127.0.0.1:8000-8099", "[::1]:9000/tcp", { to: 0.0.0.0/0, ports: [5353], proto: udp }, 127.0.0.2]
  free:
    allow: []
  closed:
    allow: []
    bind: []
Y
  sed -i 's|"\[::1\]:9000/tcp"|{ to: "::1", ports: [9000], proto: tcp }|' b.yaml
  cat > t.yaml <<'Y'
version: 1
expect:
  plugin:
    binds:
      - 127.0.0.1:8000-8099/tcp
      - "[::1]:9000/tcp"
      - 127.0.0.2                  # every port, 0 too
      - 0.0.0.0:5353/udp
    does_not_bind:
      - 127.0.0.1:8100
      - "[::1]:9000/udp"
      - 10.0.0.1:80/tcp
    reaches: 127.0.0.1:8080
  free:
    binds: ["::", 0.0.0.0]
  closed:
    does_not_bind: ["::", 127.0.0.1]
Y
  run "$NETACL" test b.yaml t.yaml --offline --junit r.xml; expect_rc 0
  expect_out "ok   plugin binds 127.0.0.2"; expect_out "ok   plugin does not bind 127.0.0.1:8100"
  expect_out "12 expectations: 12 passed, 0 failed"
  grep -q 'name="does not bind 127.0.0.1:8100"' r.xml || fail "junit: $(grep 8100 r.xml)"
  cat > f.yaml <<'Y'
version: 1
expect:
  plugin:
    binds: [127.0.0.1:8100/tcp, 10.0.0.1:80/tcp]
    does_not_bind: 0.0.0.0:5353
  free:
    does_not_bind: 127.0.0.1
Y
  run "$NETACL" test b.yaml f.yaml --offline; expect_rc 1
  expect_err "f.yaml:4:13: error: expected plugin to bind 127.0.0.1:8100/tcp, but 127.0.0.1 port 8100/tcp is denied: the address may be bound, not this port"
  expect_err "f.yaml:4:33: error: expected plugin to bind 10.0.0.1:80/tcp, but 10.0.0.1 port 80/tcp is denied: the address may be bound, not for this protocol"
  expect_err "f.yaml:5:20: error: expected plugin not to bind 0.0.0.0:5353, but 0.0.0.0 port 5353/udp is allowed by the bind: entry 0.0.0.0/0"
  expect_err "f.yaml:7:20: error: expected free not to bind 127.0.0.1, but 127.0.0.1 any port/tcp is allowed by nothing: the ACL has no bind:"
  printf 'version: 1\nexpect:\n  plugin:\n    binds: [db.example.com]\n' > n.yaml
  run "$NETACL" test b.yaml n.yaml --offline; expect_rc 65
  expect_err "n.yaml:4:13: error: a bind test names a local address, not a name"
}
