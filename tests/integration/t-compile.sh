# compile, end to end: golden outputs, every intersection row, config
# hosts, '*' and the special-purpose table, private:, hosts files.

# allow_of JSON TARGET: "addr ports proto via" per allowed entry
allow_of() {
  python3 - "$1" "$2" <<'P'
import json, sys
t = json.load(open(sys.argv[1]))["targets"][sys.argv[2]]
for a in t["allow"]:
    print(a["addr"], ",".join(a["ports"]) or "all", a["proto"], ",".join(a["via"]))
for d in t["dropped"]:
    print("dropped", d["addr"], d["reason"], ",".join(d["via"]))
for u in t["unresolved"]:
    print("unresolved", u["host"], u["error"])
P
}
rules_of() {
  python3 -c 'import json,sys; [print(r["match"], r.get("in","-"), ",".join(r["ports"]) or "all", r["proto"], " ".join(r["origin"])) for r in json.load(open(sys.argv[1]))["targets"][sys.argv[2]]["rules"]]' "$1" "$2"
}
# compile_to POLICY HOSTS: compile offline into c.json
compile_to() { "$NETACL" compile "$1" --offline --hosts-file "$2" -o c.json 2>"$T/err"; }
has() { grep -qxF -- "$2" <(allow_of c.json "$1") || { allow_of c.json "$1" >&2; fail "target $1 lacks: $2"; }; }
hasnt() { ! grep -qxF -- "$2" <(allow_of c.json "$1") || fail "target $1 has: $2"; }
count() { [ "$(allow_of c.json "$1" | grep -vc '^dropped\|^unresolved')" -eq "$2" ] || { allow_of c.json "$1" >&2; fail "target $1: want $2 allow entries"; }; }

test_golden_examples() {
  cd "$ROOT" || return 1
  "$NETACL" compile examples/quickstart.yaml --offline --hosts-file examples/quickstart.hosts -o "$T/q.json" &&
  "$NETACL" compile examples/pipeline.yaml --offline --hosts-file examples/pipeline.hosts -o "$T/p.json" || return 1
  diff -u tests/golden/quickstart.json "$T/q.json" >&2 || fail "quickstart differs from its golden output"
  diff -u tests/golden/pipeline.json "$T/p.json" >&2 || fail "pipeline differs from its golden output"
}

hosts_std() {
  cat > h <<'H'
93.184.216.34 db.example.com
93.184.216.35 api.example.com
93.184.216.36 a.eu.example.com
93.184.216.37 x.example.org
2606:2800:220::1 db.example.com
H
}

test_intersection_exact_exact_and_exact_wild() {
  hosts_std
  cat > p.yaml <<'Y'
version: 1
acls:
  a: { allow: [db.example.com, api.example.com:443, x.example.org] }
pipelines:
  p:
    allowed_hosts: ["*.example.com"]
    stages:
      s: { acl: a, allowed_hosts: [DB.Example.com.] }
Y
  compile_to p.yaml h || fail "compile" || return 1
  has p/s "93.184.216.34/32 all any db.example.com" && has p/s "2606:2800:220::1/128 all any db.example.com" &&
  hasnt p/s "93.184.216.35/32 443 any api.example.com" && hasnt p/s "93.184.216.37/32 all any x.example.org" &&
  count p/s 2 && has a "93.184.216.37/32 all any x.example.org"
}

test_intersection_wild_wild_longer_wins() {
  hosts_std
  cat > p.yaml <<'Y'
version: 1
acls:
  a: { allow: ["*.example.com:443"] }
pipelines:
  p:
    stages:
      s: { acl: a, allowed_hosts: ["*.eu.example.com"], hosts: [a.eu.example.com, api.example.com] }
      t: { acl: a, allowed_hosts: ["*.example.org"], hosts: [x.example.org] }
Y
  compile_to p.yaml h || fail "compile" || return 1
  [ "$(rules_of c.json p/s | cut -d' ' -f1-4)" = "*.eu.example.com - 443 any" ] || fail "rule: $(rules_of c.json p/s)" || return 1
  has p/s "93.184.216.36/32 443 any a.eu.example.com" && count p/s 1 && count p/t 0 || return 1
  expect_err "host api.example.com matches no rule" && expect_err "p/t" && expect_err "remove every rule"
}

test_intersection_name_and_cidr() {
  hosts_std
  cat > p.yaml <<'Y'
version: 1
acls:
  a: { allow: [db.example.com:5432] }
pipelines:
  p:
    stages:
      in: { acl: a, allowed_hosts: [93.184.216.0/24] }
      out: { acl: a, allowed_hosts: [198.18.0.0/15] }
      v6: { acl: a, allowed_hosts: ["2606:2800::/32"] }
Y
  compile_to p.yaml h || fail "compile" || return 1
  has p/in "93.184.216.34/32 5432 any db.example.com" && count p/in 1 && count p/out 0 &&
  has p/v6 "2606:2800:220::1/128 5432 any db.example.com" && count p/v6 1 || return 1
  rules_of c.json p/in | grep -q '^db.example.com 93.184.216.0/24 5432 any p.yaml:3:16 p.yaml:7:37$' ||
    fail "rule with both origins: $(rules_of c.json p/in)"
}

test_intersection_cidr_cidr_ports_protocols() {
  : > h
  cat > p.yaml <<'Y'
version: 1
acls:
  a:
    allow:
      - to: 93.184.0.0/16
        ports: [80, 443, 8000-8999]
        proto: tcp
      - 52.0.0.0/8:53
pipelines:
  p:
    stages:
      s:
        acl: a
        allowed_hosts:
          - to: 93.184.216.0/24
            ports: [443-8080]
          - to: 52.1.0.0/16
            proto: tcp
          - to: 52.2.0.0/16
            proto: udp
            ports: [54]
Y
  compile_to p.yaml h || fail "compile" || return 1
  has p/s "93.184.216.0/24 443,8000-8080 tcp " && has p/s "52.1.0.0/16 53 tcp " && count p/s 2
}

test_star_and_cidr_leaves_out_special_rows() {
  : > h
  cat > p.yaml <<'Y'
version: 1
acls:
  any: { allow: ["*"] }
  anypriv: { allow: ["*"], private: [private-use] }
pipelines:
  p:
    stages:
      s: { acl: any, allowed_hosts: [10.0.0.0/7] }
      t: { acl: anypriv, allowed_hosts: [10.0.0.0/7] }
      u: { acl: any, allowed_hosts: ["169.254.0.0/16"] }
Y
  compile_to p.yaml h || fail "compile" || return 1
  has p/s "11.0.0.0/8 all any " && count p/s 1 && has p/t "10.0.0.0/7 all any " && count p/t 1 && count p/u 0
}

test_star_alone_is_allow_all() {
  : > h
  printf 'version: 1\nacls:\n  any: { allow: ["*:443"] }\n' > p.yaml
  compile_to p.yaml h || fail "compile" || return 1
  [ "$(jget c.json 'd["targets"]["any"]["allow_all"]')" = True ] || fail "allow_all"
  run "$NETACL" explain c.json --target any 8.8.8.8 443; expect_rc 0 || return 1
  run "$NETACL" explain c.json --target any 8.8.8.8 80; expect_rc 1 || return 1
  run "$NETACL" explain c.json --target any 169.254.169.254 443; expect_rc 1 && expect_out "metadata" || return 1
  run "$NETACL" explain c.json --target any 64:ff9b::10.1.1.1 443; expect_rc 1 && expect_out "private-use"
}

test_private_by_cidr_and_row_name() {
  cat > h <<'H'
10.20.1.1 db.example.com
10.21.1.1 db.example.com
127.0.0.5 db.example.com
169.254.169.254 db.example.com
fd00:ec2::254 db.example.com
H
  cat > p.yaml <<'Y'
version: 1
acls:
  a: { allow: [db.example.com], private: [10.20.0.0/16, loopback, link-local] }
Y
  compile_to p.yaml h || fail "compile" || return 1
  has a "10.20.1.1/32 all any db.example.com" && has a "127.0.0.5/32 all any db.example.com" &&
  has a "dropped 10.21.1.1/32 private-use db.example.com" &&
  has a "dropped 169.254.169.254/32 metadata db.example.com" &&
  has a "dropped fd00:ec2::254/128 metadata db.example.com" && count a 2
}

test_mapped_and_nat64_answers_in_hosts_file() {
  cat > h <<'H'
::ffff:10.0.0.1 db.example.com
::ffff:93.184.216.9 db.example.com
64:ff9b::10.0.0.2 db.example.com
64:ff9b::93.184.216.10 db.example.com
::ffff:169.254.169.254 db.example.com
H
  printf 'version: 1\nacls:\n  a: { allow: [db.example.com] }\n' > p.yaml
  compile_to p.yaml h || fail "compile" || return 1
  has a "93.184.216.9/32 all any db.example.com" && has a "dropped 10.0.0.1/32 private-use db.example.com" &&
  has a "64:ff9b::5db8:d80a/128 all any db.example.com" &&
  has a "dropped 64:ff9b::a00:2/128 private-use db.example.com" &&
  has a "dropped 169.254.169.254/32 metadata db.example.com"
}

test_config_hosts_are_collected() {
  cat > h <<'H'
93.184.216.1 a.example.com
93.184.216.2 b.example.com
93.184.216.3 c.example.com
93.184.216.4 d.example.com
93.184.216.5 e.example.com
93.184.216.6 f.example.com
93.184.216.7 g.example.com
93.184.216.8 h.example.com
93.184.216.9 not-collected.example.com
H
  cat > p.yaml <<'Y'
version: 1
acls:
  a: { allow: ["*.example.com"] }
pipelines:
  p:
    stages:
      s:
        acl: a
        config:
          host: a.example.com
          db: { hostname: "b.example.com:5432" }
          deep: { deeper: [ { server: c.example.com }, { endpoint: "d.example.com:443" } ] }
          hosts: [e.example.com, "f.example.com:9000"]
          servers: ["[2001:db8::1]:53", g.example.com]
          url: "https://user:pw@h.example.com:8443/x?y"
          address: 93.184.216.200
          note: not-collected.example.com
Y
  compile_to p.yaml h || fail "compile" || return 1
  for x in 1:a 2:b 3:c 4:d 5:e 6:f 7:g 8:h; do
    has p/s "93.184.216.${x%%:*}/32 all any ${x#*:}.example.com" || return 1
  done
  count p/s 8
}

test_unresolved_and_strict() {
  : > h
  printf 'version: 1\nacls:\n  a: { allow: [gone.example.com, db.example.com] }\n' > p.yaml
  echo "93.184.216.34 db.example.com" > h
  compile_to p.yaml h || fail "compile" || return 1
  has a "unresolved gone.example.com offline" || return 1
  run "$NETACL" compile p.yaml --offline --hosts-file h --strict -o s.json
  expect_rc 68 && expect_err "gone.example.com" || return 1
  [ ! -e s.json ] || fail "--strict wrote output"
}

test_max_addrs_truncates_deterministically() {
  for i in $(seq 1 40); do echo "93.184.216.$((100 - i)) many.example.com"; done > h
  printf 'version: 1\nacls:\n  a: { allow: [many.example.com] }\n' > p.yaml
  run "$NETACL" compile p.yaml --offline --hosts-file h --max-addrs 5 -o c.json; expect_rc 0 || return 1
  expect_err "more than 5 addresses" && count a 5 && has a "93.184.216.60/32 all any many.example.com" &&
  hasnt a "93.184.216.65/32 all any many.example.com"
}

test_hosts_file_precedence_and_errors() {
  echo "93.184.216.1 db.example.com" > h1
  echo "93.184.216.2 db.example.com" > h2
  printf 'version: 1\nacls:\n  a: { allow: [db.example.com] }\n' > p.yaml
  "$NETACL" compile p.yaml --offline --hosts-file h1 --hosts-file h2 -o c.json || return 1
  has a "93.184.216.1/32 all any db.example.com" && count a 1 || return 1
  printf '# comment\n\n1.2.3 db.example.com\n' > bad
  run "$NETACL" compile p.yaml --offline --hosts-file bad -o c2.json; expect_rc 65 && expect_err "bad:3:1: error:" || return 1
  [ ! -e c2.json ] || fail "wrote output"
}

test_metadata_range_warns() {
  printf 'version: 1\nacls:\n  a: { allow: [169.254.0.0/16] }\n' > p.yaml
  run "$NETACL" check p.yaml; expect_rc 0 && expect_err "p.yaml:3:16: warning:" && expect_err "metadata"
}

# A hosts line is read whole, however long: the tail of a long comment is
# no entry, and the lines after it keep their numbers.
test_hosts_file_long_lines() {
  printf 'version: 1\nacls:\n  a:\n    allow: ["db.test:80", "ok.test:80"]\n    private: [loopback]\n' > p.yaml
  python3 -c 'print("#" + "x" * 4094 + "127.0.0.3 db.test"); print("127.0.0.4 " + "y" * 9000); print("127.0.0.5 ok.test"); print("bad!address x.test")' > h
  run "$NETACL" compile p.yaml --offline --hosts-file h -o c.json
  expect_rc 65 && expect_err "h:4:1: error: invalid address 'bad!address'" || return 1
  sed -i '$d' h
  compile_to p.yaml h || fail "compile" || return 1
  hasnt a "127.0.0.3/32 80 any db.test" && has a "127.0.0.5/32 80 any ok.test" && count a 1
}

test_inputs_are_files_of_bounded_size() {
  run "$NETACL" check /dev/zero; expect_rc 66 && expect_err "/dev/zero: not a regular file or a pipe"
  run "$NETACL" compile "$ROOT/examples/quickstart.yaml" --offline --hosts-file /dev/zero
  expect_rc 66 && expect_err "hosts file /dev/zero: not a regular file or a pipe"
  mkdir d
  run "$NETACL" compile "$ROOT/examples/quickstart.yaml" --offline --hosts-file d
  expect_rc 66 && expect_err "hosts file d: Is a directory"
  run "$NETACL" check d; expect_rc 66 && expect_err "Is a directory"
  truncate -s 1100M big   # sparse: refused by its size, before a byte is read
  run "$NETACL" compile "$ROOT/examples/quickstart.yaml" --offline --hosts-file big -o out.json
  expect_rc 65 && expect_err "larger than 1 GiB"
  [ ! -e out.json ] || fail "wrote out.json"
  run "$NETACL" check big; expect_rc 65 && expect_err "larger than 1 GiB"
  # a pipe is a file: process substitution, standard input
  run "$NETACL" compile "$ROOT/examples/quickstart.yaml" --offline --hosts-file <(cat "$ROOT/examples/quickstart.hosts")
  expect_rc 0
  run "$NETACL" check - < "$ROOT/examples/quickstart.yaml"; expect_rc 0
}

# The metadata endpoints stay shut unless private: names them exactly: a
# range that covers one warns and does not open it.
test_private_range_keeps_metadata_shut() {
  printf 'version: 1\nacls:\n  a:\n    allow: ["*:80"]\n    private: [169.254.0.0/16, "fc00::/7"]\n  b:\n    allow: ["*:80"]\n    private: [metadata]\n' > p.yaml
  run "$NETACL" check p.yaml; expect_rc 0 || return 1
  expect_err "p.yaml:5:15: warning: 169.254.0.0/16 covers the cloud metadata endpoint 169.254.169.254, which stays refused"
  expect_err "fc00::/7 covers the cloud metadata endpoint fd00:ec2::254"
  local a
  for a in 169.254.169.254 169.254.170.23 169.254.0.23 fd00:ec2::254 fd00:ec2::23 fd20:ce::254 ::ffff:169.254.169.254; do
    run "$NETACL" explain p.yaml --offline --target a "$a" 80; expect_rc 1 && expect_out "special-purpose row metadata"
    run "$NETACL" explain p.yaml --offline --target b "$a" 80; expect_rc 0
  done
  run "$NETACL" explain p.yaml --offline --target a 169.254.1.1 80; expect_rc 0
  printf 'version: 1\nacls:\n  a:\n    allow: ["fd00:ec2::/64"]\n' > q.yaml
  run "$NETACL" check q.yaml; expect_err "fd00:ec2::/64 covers the cloud metadata endpoint fd00:ec2::254"
}

# nat64: the network's own NAT64 prefixes: '*' does not reach private
# IPv4 through them, whatever their RFC 6052 length.
test_nat64_local_prefixes() {
  cat > p.yaml <<'Y'
version: 1
nat64: ["2a00:1:64::/96", "2a00:2::/40"]
acls:
  a:
    allow: ["*:443"]
    private: [192.168.0.0/16]
  b:
    allow: ["*:443"]
  c:
    allow: [db.example.com]
Y
  cat > h <<'H'
2a00:1:64::10.0.0.2 db.example.com
2a00:1:64::93.184.216.10 db.example.com
H
  run "$NETACL" compile p.yaml --offline --hosts-file h -o c.json; expect_rc 0 || return 1
  has c "2a00:1:64::5db8:d80a/128 all any db.example.com" &&
    has c "dropped 2a00:1:64::a00:2/128 private-use db.example.com" || return 1
  [ "$(jget c.json 'd["targets"]["a"]["nat64"]')" = "['2a00:1:64::/96', '2a00:2::/40']" ] ||
    fail "nat64 not in the JSON: $(grep -c nat64 c.json)"
  local in f
  for in in p.yaml c.json; do
    [ "$in" = p.yaml ] && f="--offline" || f=""
    run "$NETACL" explain "$in" $f --target b 2a00:1:64::10.0.0.1 443
    expect_rc 1 && expect_out "private-use" || return 1
    expect_out "carries the IPv4 address 10.0.0.1 (NAT64 prefix 2a00:1:64::/96)"
    run "$NETACL" explain "$in" $f --target b 2a00:1:64::8.8.8.8 443; expect_rc 0 || return 1
    # /40: 127.0.0.1 is 7f0000 before the u octet, 01 after it
    run "$NETACL" explain "$in" $f --target b 2a00:2:7f:0:1:: 443
    expect_rc 1 && expect_out "loopback" || return 1
    run "$NETACL" explain "$in" $f --target b 2a00:2:7f:0:ff01:: 443
    expect_rc 1 && expect_out "loopback" || return 1
    run "$NETACL" explain "$in" $f --target a 2a00:1:64::192.168.3.4 443; expect_rc 0 || return 1
    run "$NETACL" explain "$in" $f --target a 2a00:1:64::169.254.169.254 443
    expect_rc 1 && expect_out "metadata" || return 1
  done
  # without the key, the same address is a global one
  sed -i '/^nat64/d' p.yaml
  run "$NETACL" explain p.yaml --offline --target b 2a00:1:64::10.0.0.1 443; expect_rc 0
}

test_nat64_bad_prefixes_are_located() {
  local bad
  for bad in '"2a00:1::/33"' '"10.0.0.0/8"' '"64:ff9b::/64"' '"fd00:ec2::/96"' '[x]' '"2a00:1::/96", "2a00:1::/64"'; do
    printf 'version: 1\nnat64: [%s]\nacls:\n  a: { allow: ["*"] }\n' "$bad" > p.yaml
    run "$NETACL" check p.yaml; expect_rc 65 || return 1
    grep -q "^p.yaml:2:[0-9]*: error: " "$T/err" || fail "$bad: not located: $(cat "$T/err")"
  done
  run "$NETACL" compile p.yaml --offline -o c.json; [ ! -e c.json ] || fail "wrote c.json"
  printf 'version: 1\nnat64: [2a00:1::/96]\nacls:\n  a: { allow: ["*"] }\n' > p.yaml
  run "$NETACL" compile p.yaml --offline -o c.json; expect_rc 0 || return 1
  sed -i 's|"2a00:1::/96"|"2a00:1::/33"|' c.json
  run "$NETACL" explain c.json --target a 8.8.8.8 80; expect_rc 65 && expect_err "nat64[0]"
}

test_dns_mode_in_the_json_and_diff() {
  cat > p.yaml <<'Y'
version: 1
acls:
  live:
    dns: admit
    allow: ["*.cdn.example.com:443"]
  fixed:
    dns: static
    allow: ["*.cdn.example.com:443"]
Y
  run "$NETACL" compile p.yaml --offline -o c.json; expect_rc 0 || return 1
  [ "$(jget c.json 'd["targets"]["live"].get("dns")')" = admit ] || fail "live: no \"dns\": \"admit\""
  [ "$(jget c.json 'd["targets"]["fixed"].get("dns")')" = None ] || fail "static is written"
  # an admit ACL's wildcard is instantiated by the workload's lookups
  grep -q "target 'live': wildcard" "$T/err" && fail "warned about live's wildcard"
  grep -q "target 'fixed': wildcard" "$T/err" || fail "no warning about fixed's wildcard"
  # the compiled file reads back to the same bytes
  run "$NETACL" compile c.json -o c2.json; expect_rc 0 || return 1
  cmp -s c.json c2.json || fail "read back differently: $(diff c.json c2.json | head -5)"
  sed 's/dns: admit/dns: static/' p.yaml > q.yaml
  run "$NETACL" compile q.yaml --offline -o d.json; expect_rc 0 || return 1
  run "$NETACL" diff c.json d.json; expect_rc 1 && expect_out "- live: dns admit" || return 1
  sed -i 's/"dns": "admit"/"dns": "dynamic"/' c.json
  run "$NETACL" explain c.json --target live 93.184.216.34 443
  expect_rc 65 && expect_err "'dns' must be \"admit\" or \"static\"" || return 1
  run "$NETACL" check "$ROOT/examples/live-dns.yaml"; expect_rc 0
}
