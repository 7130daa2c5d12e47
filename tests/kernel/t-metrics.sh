# Metrics: status --format prometheus|openmetrics (netacl(8), METRICS),
# read back by real parsers: prometheus_client's (Debian's
# python3-prometheus-client) for both formats, and promtool's lint when
# it is on PATH.  Values are checked against the connects the probe made.

# metrics_of FORMAT FILE TARGET ACL CGROUP: parse FILE, check its shape
# (every family once, its HELP and TYPE first, its samples together, the
# label values of TARGET's samples exactly ACL and CGROUP), then print
# TARGET's samples, one a line and sorted: "NAME [LABEL=VALUE...] VALUE"
# without the target, acl and cgroup labels.  TARGET and CGROUP may be
# ~REGEX (the whole value).  Exit 1 after saying what is wrong.
metrics_of() {
  $PY - "$@" <<'P' | sort
import os, re, sys
fmt, path, target, acl, cgroup = sys.argv[1:6]
# the families and their types: a change here is a change of netacl(8)
families = {"netacl_verdicts": "counter", "netacl_events_lost": "counter",
            "netacl_entries": "gauge", "netacl_loaded_timestamp_seconds": "gauge",
            "netacl_attached": "gauge", "netacl_mode": "gauge",
            "netacl_dns_served": "gauge", "netacl_dns_admitted": "gauge",
            "netacl_connections": "gauge", "netacl_max_connections": "gauge",
            "netacl_max_connect_rate": "gauge", "netacl_limited": "counter"}
def bad(why):
    sys.exit(f"metrics_of: {why}")
def matches(want, got):
    if want.startswith("~"):
        return re.fullmatch(want[1:], got) is not None
    return want == got
# argv is bytes the file system gave; label values are UTF-8, with U+FFFD
# for what is not
cgroup = os.fsencode(cgroup).decode("utf-8", "replace")
text = open(path, encoding="utf-8").read()   # not UTF-8: an error
if fmt == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse
else:
    from prometheus_client.parser import text_string_to_metric_families as parse
try:
    parsed = list(parse(text))
except Exception as e:
    bad(f"the {fmt} parser refused it: {e!r}")
# the shape, on the lines themselves: what the parser forgives, a
# Go scraper (node_exporter) does not
seen, family, kind = set(), None, None
help_of = None
for line in text.splitlines():
    if line.startswith("# HELP "):
        help_of = line.split()[2]
        continue
    if line.startswith("# TYPE "):
        _, _, name, kind = line.split()
        if help_of != name:
            bad(f"TYPE {name} without its HELP just before it")
        if name in seen:
            bad(f"family {name} twice: its samples are not together")
        seen.add(name)
        family = name
        continue
    if line.startswith("#") or not line:
        continue
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
    if fmt == "prometheus" and name != family:
        bad(f"sample {name} under TYPE {family} (0.0.4: a counter's TYPE names it with _total)")
    if fmt == "openmetrics" and name not in (family, family + "_total" if kind == "counter" else family):
        bad(f"sample {name} under TYPE {family}")
want = {n + ("_total" if fmt == "prometheus" and t == "counter" else ""): t for n, t in families.items()}
if seen != set(want):
    bad(f"families {sorted(seen)}, want {sorted(want)}")
names = [f.name for f in parsed]
if sorted(names) != sorted(families) or len(set(names)) != len(names):
    bad(f"the parser read families {names}")
for f in parsed:
    if f.type != families[f.name]:
        bad(f"{f.name} is a {f.type}, want {families[f.name]}")
    if not f.documentation:
        bad(f"{f.name} has no HELP")
    for s in f.samples:
        if not matches(target, s.labels.get("target", "")):
            continue
        if s.labels.get("acl") != acl or not matches(cgroup, s.labels.get("cgroup", "")):
            bad(f"{s.name}: acl {s.labels.get('acl')!r} cgroup {s.labels.get('cgroup')!r}")
        rest = " ".join(f"{k}={v}" for k, v in sorted(s.labels.items())
                        if k not in ("target", "acl", "cgroup"))
        v = int(s.value) if s.value == int(s.value) else s.value
        print(" ".join(x for x in (s.name, rest, str(v)) if x))
P
}

# promtool's lint (naming, types) when promtool is installed
promtool_ok() {
  command -v promtool >/dev/null || return 0
  promtool check metrics < "$1" >&2 || fail "promtool check metrics: $1"
}

# the timestamp line's value, checked apart: loads are not at a fixed time
loaded_at() { awk '$1 == "netacl_loaded_timestamp_seconds" { print $2 }' "$1"; }

# Counters equal the connects made, entries the loaded prefixes, and a
# broken target reads 0 with nothing else changed.  Two targets: each
# family's samples must come together.
test_kernel_metrics_count_connects_entries_and_health() {
  need_kernel metrics
  policy "$KT" '"127.0.0.1:80"' '"127.0.0.5:80"' '"[::1]:80"'
  local before after
  before=$(date +%s)
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  after=$(date +%s)
  policy "$KT-b" '"127.0.0.9:80"'
  load_ok "$KT-b.yaml" --target "$KT-b" --offline --cgroup "$KCG/b" || return 1
  # 3 allowed, 2 denied
  diff <(verdicts tcp 127.0.0.1 80 tcp 127.0.0.5 80 tcp6 ::1 80 tcp 127.0.0.1 81 tcp 127.0.0.2 80) - <<'E' >&2 || fail "the probe's verdicts" || return 1
tcp 127.0.0.1 80 allow
tcp 127.0.0.5 80 allow
tcp6 ::1 80 allow
tcp 127.0.0.1 81 deny
tcp 127.0.0.2 80 deny
E
  run "$NETACL" status --format prometheus; expect_rc 0 || return 1
  cp "$T/out" m.prom
  metrics_of prometheus m.prom "$KT" "$KT" "$CG2/$KCG" > got || fail "not well-formed" || return 1
  [ "$(loaded_at got)" -ge "$before" ] && [ "$(loaded_at got)" -le "$after" ] ||
    fail "loaded at $(loaded_at got), not in [$before, $after]"
  diff <(grep -v '^netacl_loaded_timestamp_seconds ' got) - <<'E' >&2 || fail "the samples of $KT"
netacl_attached 1
netacl_entries family=ipv4 2
netacl_entries family=ipv6 1
netacl_events_lost_total 0
netacl_limited_total limit=connections 0
netacl_limited_total limit=rate 0
netacl_mode mode=audit 0
netacl_mode mode=enforce 1
netacl_verdicts_total verdict=allow 3
netacl_verdicts_total verdict=audit 0
netacl_verdicts_total verdict=deny 2
E
  metrics_of prometheus m.prom "$KT-b" "$KT-b" "$CG2/$KCG/b" | grep -x "netacl_entries family=ipv4 1" >/dev/null ||
    fail "the second target"
  promtool_ok m.prom
  # the other formats say the same
  run "$NETACL" status --format json; cp "$T/out" f.json
  run "$NETACL" status --json; cmp -s f.json "$T/out" || fail "--format json is not --json"
  run "$NETACL" status --format text; cp "$T/out" f.txt
  run "$NETACL" status; cmp -s f.txt "$T/out" || fail "--format text is not the default"
  # broken (an unload killed after the first detach): 0, the same series
  NETACL_TEST_FAULT=kill-in-unload run "$NETACL" unload --target "$KT"; expect_rc 137 || return 1
  run "$NETACL" status --format prometheus; expect_rc 0 || return 1
  expect_err "not enforced"
  cp "$T/out" broken.prom
  metrics_of prometheus broken.prom "$KT" "$KT" "$CG2/$KCG" > got2 || fail "broken: not well-formed" || return 1
  diff <(sed 's/^netacl_attached 1$/netacl_attached 0/' got) got2 >&2 || fail "broken: the samples"
  metrics_of prometheus broken.prom "$KT-b" "$KT-b" "$CG2/$KCG/b" | grep -x "netacl_attached 1" >/dev/null ||
    fail "the other target is enforced"
}

# OpenMetrics, read by its own (stricter) parser; in audit mode.
test_kernel_metrics_openmetrics_in_audit_mode() {
  need_kernel metrics-om
  policy "$KT" '"127.0.0.1:80"'
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" --audit || return 1
  # all let through: 1 allowed, 2 audited
  [ "$(verdicts tcp 127.0.0.1 80 tcp 127.0.0.1 81 udp 127.0.0.3 53 | grep -c allow)" = 3 ] ||
    fail "audit mode denied" || return 1
  run "$NETACL" status --format openmetrics; expect_rc 0 || return 1
  cp "$T/out" m.om
  metrics_of openmetrics m.om "$KT" "$KT" "$CG2/$KCG" > got || fail "not well-formed" || return 1
  diff <(grep -v '^netacl_loaded_timestamp_seconds ' got) - <<'E' >&2 || fail "the samples of $KT"
netacl_attached 1
netacl_entries family=ipv4 1
netacl_entries family=ipv6 0
netacl_events_lost_total 0
netacl_limited_total limit=connections 0
netacl_limited_total limit=rate 0
netacl_mode mode=audit 1
netacl_mode mode=enforce 0
netacl_verdicts_total verdict=allow 1
netacl_verdicts_total verdict=audit 2
netacl_verdicts_total verdict=deny 0
E
  # the family is named without _total, the unit said, and "# EOF" ends it
  grep -qx "# TYPE netacl_verdicts counter" m.om || fail "the counter's TYPE line"
  grep -qx "# UNIT netacl_loaded_timestamp_seconds seconds" m.om || fail "the UNIT line"
  [ "$(tail -c 7 m.om | od -An -tx1)" = " 0a 23 20 45 4f 46 0a" ] ||
    fail "does not end with a line '# EOF': $(tail -c 7 m.om | od -An -c)"
  # and the Prometheus format has the same values
  run "$NETACL" status --format prometheus; cp "$T/out" m.prom
  metrics_of prometheus m.prom "$KT" "$KT" "$CG2/$KCG" | diff got - >&2 || fail "the formats differ"
}

# Label values are escaped and UTF-8: a cgroup path with a quote, a
# backslash and a byte that is not UTF-8; target names with / (a
# pipeline's stage) and @ (a run's).
test_kernel_metrics_label_values_are_escaped() {
  need_kernel metrics-labels
  KCG="netacl-test/$KT"$'-q"b\\s\xff'
  cat > "$KT.yaml" <<E
version: 1
acls:
  web:
    allow: ["127.0.0.1:80"]
pipelines:
  $KT:
    stages:
      src:
        acl: web
E
  load_ok "$KT.yaml" --target "$KT/src" --offline --cgroup "$KCG" || return 1
  [ -d "$CG2/$KCG" ] || fail "the cgroup is not $CG2/$KCG" || return 1
  [ "$(verdicts tcp 127.0.0.1 80)" = "tcp 127.0.0.1 80 allow" ] || fail "the probe"
  run "$NETACL" status --format prometheus -o m.prom; expect_rc 0 || return 1
  metrics_of prometheus m.prom "$KT/src" web "$CG2/$KCG" > got || fail "not well-formed" || return 1
  grep -qx "netacl_verdicts_total verdict=allow 1" got || fail "the samples: $(cat got)"
  grep -qF "cgroup=\"$CG2/netacl-test/$KT-q\\\"b\\\\s"$'\xef\xbf\xbd'"\"" m.prom ||
    fail "the escaped cgroup: $(grep -m1 verdict m.prom)"
  run "$NETACL" status --format openmetrics -o m.om; expect_rc 0 || return 1
  metrics_of openmetrics m.om "$KT/src" web "$CG2/$KCG" > /dev/null || fail "openmetrics: not well-formed"
  promtool_ok m.prom
  # a run of it, from inside: NAME@run-PID
  run "$NETACL" run "$KT.yaml" --target "$KT/src" --offline -- "$NETACL" status --format prometheus -o r.prom
  expect_rc 0 || return 1
  metrics_of prometheus r.prom "~$KT/src@run-[0-9]+" web "~$CG2/netacl/.*@run-[0-9]+" > run.got ||
    fail "run: not well-formed" || return 1
  grep -qx "netacl_attached 1" run.got || fail "the run's samples: $(cat run.got)"
}

# With no target loaded: every family, no sample, exit 0.
test_kernel_metrics_with_no_targets() {
  need_kernel metrics-none
  run "$NETACL" status --format prometheus; expect_rc 0 || return 1
  cp "$T/out" m.prom
  metrics_of prometheus m.prom x x x > got || fail "not well-formed" || return 1
  ! grep -v '^#' m.prom | grep -q . || fail "samples: $(grep -v '^#' m.prom)"
  run "$NETACL" status --format openmetrics; expect_rc 0 || return 1
  cp "$T/out" m.om
  metrics_of openmetrics m.om x x x > got || fail "openmetrics: not well-formed"
  run "$NETACL" status; expect_rc 0 && [ ! -s "$T/out" ] || fail "text: $(cat "$T/out")"
}

# An unknown format is a usage error that lists the formats, before
# anything is read (no root needed); so is --json with another format.
test_metrics_bad_format_is_a_usage_error() {
  export NETACL_PIN_ROOT=/sys/fs/bpf/netacl-test-none-$$   # never the host's
  run "$NETACL" status --format yaml; expect_rc 64
  expect_err "--format takes text, json, prometheus or openmetrics, not 'yaml'"
  expect_err "usage: netacl status [--format text|json|prometheus|openmetrics]"
  no_out "#"
  run "$NETACL" status --json --format prometheus; expect_rc 64 && expect_err "--json is --format json"
  run "$NETACL" status --format; expect_rc 64
}

# Live DNS: whether a forwarder serves the target and how many addresses
# its answers admitted (what inspect lists), for dns: admit targets only.
# The world of t-live-dns.sh: private namespaces, a fake upstream.
test_kernel_metrics_live_dns() {
  need_kernel metrics-dns; trap dns_cleanup EXIT
  dns_policy "$KT"
  load_ok "$T/p.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  run "$NETACL" status --format prometheus; cp "$T/out" m.prom
  metrics_of prometheus m.prom "$KT" "$KT" "$CG2/$KCG" > got || fail "not well-formed" || return 1
  grep -x "netacl_dns_.*" got | diff - <(printf 'netacl_dns_admitted 0\nnetacl_dns_served 0\n') >&2 ||
    fail "not served: $(grep dns got)"
  in_world "nameserver 192.0.2.53" "nrun -- sh -c '\$W resolve a.cdn.example.com; \$W resolve b.cdn.example.com; \$NETACL status --format prometheus -o \$T/d.prom; \$NETACL inspect --target \$KT@run-\$PPID > \$T/d.inspect'"
  expect_rc 0 || return 1
  metrics_of prometheus d.prom "~$KT@run-[0-9]+" "$KT" "~.*" > dgot || fail "served: not well-formed" || return 1
  local n; n=$(grep -c '^  admitted ' d.inspect)
  [ "$n" -ge 2 ] || fail "inspect lists $n admitted: $(cat d.inspect)"
  grep -x "netacl_dns_.*" dgot | diff - <(printf 'netacl_dns_admitted %s\nnetacl_dns_served 1\n' "$n") >&2 ||
    fail "served: $(grep dns dgot)"
}

# The example timer's command writes a file the parser reads, in place of
# the old one, readable by node_exporter, with no temporary file left;
# both units pass systemd-analyze verify.
test_kernel_metrics_example_timer() {
  need_kernel metrics-timer
  policy "$KT" '"127.0.0.1:80"'
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  local cmd
  cmd=$(unit_cmd netacl-metrics.service ExecStart | sed "s|/var/lib/prometheus/node-exporter/|$T/textfile/|")
  case "$cmd" in "$NETACL status "*"-o $T/textfile/netacl.prom"*) ;; *) fail "ExecStart is $cmd"; return 1 ;; esac
  mkdir textfile && echo "stale" > textfile/netacl.prom
  (umask 022; run $cmd; expect_rc 0) || return 1
  [ "$(ls -A textfile)" = netacl.prom ] || fail "in the directory: $(ls -A textfile)"
  [ "$(stat -c %a textfile/netacl.prom)" = 644 ] || fail "mode $(stat -c %a textfile/netacl.prom)"
  metrics_of prometheus textfile/netacl.prom "$KT" "$KT" "$CG2/$KCG" > got || fail "not well-formed" || return 1
  grep -qx "netacl_attached 1" got || fail "the samples: $(cat got)"
  ! grep -q stale textfile/netacl.prom || fail "the old file is still there"
  # the units as systemd reads them (netacl where the unit says)
  command -v systemd-analyze >/dev/null || return 0
  mkdir units
  sed "s|/usr/local/sbin/netacl|$NETACL|" "$ROOT/examples/systemd/netacl-metrics.service" > units/netacl-metrics.service
  cp "$ROOT/examples/systemd/netacl-metrics.timer" units/
  run systemd-analyze verify --man=no units/netacl-metrics.service units/netacl-metrics.timer
  expect_rc 0 && [ ! -s "$T/err" ] || fail "systemd-analyze verify: $(cat "$T/err")"
  grep -qx "OnUnitActiveSec=15s" units/netacl-metrics.timer || fail "the timer does not repeat"
}

# forge_cgroup DIR PATH: write PATH as the cgroup in the live meta of the
# target pinned in DIR (netacl never writes such a path: a cgroup name
# cannot hold a newline, and a policy's may not hold any control byte)
forge_cgroup() {
  $PY - "$@" <<'P'
import json, os, subprocess, sys
d, cg = sys.argv[1], os.fsencode(sys.argv[2])
def lookup(m, key):
    out = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", f"{d}/{m}", "key", *key],
                         check=True, capture_output=True).stdout
    return bytearray(int(x, 16) for x in json.loads(out)["value"])
key = [str(b) for b in lookup("gen", ["0"] * 4)]
v = lookup("meta", key)
off = 8 + 8 + 4 * 4 + 32 + 256 + 256   # struct netacl_meta: char cgroup[512]
if not v[off:].startswith(b"/sys/fs/cgroup/"):
    sys.exit("forge_cgroup: struct netacl_meta changed")
v[off:off + 512] = cg.ljust(512, b"\0")
subprocess.run(["bpftool", "map", "update", "pinned", f"{d}/meta", "key", *key,
                "value", *[str(b) for b in v]], check=True)
P
}

# Whatever the pins say stays one well-formed label: a cgroup with a
# newline, a quote and a backslash (forged), and it stays 0 (broken: no
# such cgroup), not a problem string in a label.
test_kernel_metrics_forged_pins_stay_well_formed() {
  need_kernel metrics-forged
  policy "$KT" '"127.0.0.1:80"'
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  forge_cgroup "$NETACL_PIN_ROOT/$KT" "$CG2/$KCG"$'\n"x\\' || fail "cannot forge" || return 1
  run "$NETACL" status --format prometheus -o m.prom; expect_rc 0 || return 1
  metrics_of prometheus m.prom "$KT" "$KT" "$CG2/$KCG"$'\n"x\\' > got || fail "not well-formed" || return 1
  grep -qx "netacl_attached 0" got || fail "the samples: $(cat got)"
  grep -qF "cgroup=\"$CG2/$KCG\\n\\\"x\\\\\"" m.prom || fail "escaped: $(grep -m1 attached m.prom)"
  run "$NETACL" status --format openmetrics -o m.om; expect_rc 0 || return 1
  metrics_of openmetrics m.om "$KT" "$KT" "$CG2/$KCG"$'\n"x\\' > /dev/null || fail "openmetrics: not well-formed"
}
