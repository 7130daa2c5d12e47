# Helpers for the kernel tests: real programs on a real cgroup, real
# connect() and sendto() from tests/kernel/probe.c inside it.
#
# A kernel test changes only what it made.  Each test has its own target
# name ($KT), its own cgroup ($KCG, under netacl-test/) and its own pin
# root ($NETACL_PIN_ROOT, under bpffs), so `unload --all` in a test sees
# only that test's targets.  Around the suite, a sentinel target loaded in
# the default pin root must still be loaded and enforcing at the end, and
# every target the host had loaded before must still be there.

CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)

# need_kernel NAME: skip unless BPF can be loaded (NETACL_REQUIRE_BPF=1
# turns the skip into a failure); set KT, KCG and a private pin root.
need_kernel() {
  needs_kernel
  [ "$(id -u)" = 0 ] || skip "needs root"
  [ -n "$CG2" ] || skip "no cgroup2 mount"
  [ -x "${PROBE:-}" ] || skip "PROBE helper not built"
  KT="kt-$1-$$"                     # target name, unique per test
  KCG="netacl-test/$KT"             # its cgroup, relative to the cgroup2 mount
  export NETACL_PIN_ROOT="/sys/fs/bpf/netacl-test-$1-$$"
  trap 'kernel_cleanup' EXIT
}

# Unload what the test loaded (all of it is in its own pin root), then
# remove its cgroups and the root itself.
kernel_cleanup() {
  "$NETACL" unload --all >/dev/null 2>&1
  rmdir "$NETACL_PIN_ROOT" 2>/dev/null || [ ! -e "$NETACL_PIN_ROOT" ] ||
    fail "pins left after unload --all: $(ls "$NETACL_PIN_ROOT")"
  # the test's cgroup and what a load made under it, deepest first
  [ -d "$CG2/$KCG" ] && find "$CG2/$KCG" -depth -type d -exec rmdir {} + 2>/dev/null
  rmdir "$CG2/netacl-test" 2>/dev/null
  true
}

# An ACL policy with one ACL named like the target.
policy() { # NAME RULE... (each a YAML flow item)
  local name=$1; shift
  { echo "version: 1"; echo "acls:"; echo "  $name:"; echo "    allow:"
    for r in "$@"; do echo "      - $r"; done; } > "$name.yaml"
}

probe() { "$PROBE" --cgroup "$CG2/$KCG" "$@"; }
# verdicts: the probe's output reduced to "OP ADDR PORT allow|deny"
verdicts() { probe "$@" | awk '{ print $1, $2, $3, $4 }'; }

load_ok() { run "$NETACL" load "$@"; expect_rc 0; }

# many.hosts: 70,000 loopback addresses of many.example (over table4's
# 65,536), every other one: 127.1.0.0, .2, ... 127.3.34.222
many_hosts() {
  python3 -c 'print("\n".join("127.%d.%d.%d many.example" % (1 + (2 * i >> 16), 2 * i >> 8 & 255, 2 * i & 255) for i in range(70000)))' > many.hosts
}

# inspected_is C.json WHAT: inspect --json of $KT reads back what C.json
# compiled (diff says so)
inspected_is() {
  run "$NETACL" inspect --target "$KT" --json; expect_rc 0 || return 1
  cp "$T/out" i.json
  run "$NETACL" diff "$1" i.json; expect_rc 0 || fail "inspect $2 differs from the loaded file"
}

# table8: $KT's live table4 made one of 8 bytes a slot (an earlier
# netacl's layout: confpoke --table4-8)
table8() {
  $PY "$ROOT/tests/kernel/confpoke.py" --table4-8 "$NETACL_PIN_ROOT/$KT" || fail "table4-8" || return 1
  [ "$(bpftool map show id "$(live_inner table4)" -j | jget /dev/stdin 'd["bytes_value"]')" = 32776 ] || fail "no 8-byte table"
}

# live_inner MAP: the id of $KT's live generation's inner map MAP
live_inner() {
  local g
  g=$(bpftool map dump pinned "$NETACL_PIN_ROOT/$KT/gen" -j | jget /dev/stdin 'd[0]["formatted"]["value"]')
  bpftool map dump pinned "$NETACL_PIN_ROOT/$KT/$1" -j |
    jget /dev/stdin "[int.from_bytes(bytes(int(x, 16) for x in e['value']), 'little') for e in d if int(e['key'][0], 16) == $g][0]"
}

# live_word MAP N: the Nth 32-bit word of $KT's live generation's value
# in MAP (an array by generation: conf, range4, ...)
live_word() {
  local g
  g=$(bpftool map dump pinned "$NETACL_PIN_ROOT/$KT/gen" -j | jget /dev/stdin 'd[0]["formatted"]["value"]')
  bpftool map dump pinned "$NETACL_PIN_ROOT/$KT/$1" -j |
    jget /dev/stdin "[int.from_bytes(bytes(int(x, 16) for x in e['value'][4 * $2:4 * $2 + 4]), 'little') for e in d if int(e['key'][0], 16) == $g][0]"
}
conf_word() { live_word conf "$1"; }
range4_word() { live_word range4 "$1"; }
range6_word() { live_word range6 "$1"; }

# faithful C.json WHAT: load C.json as $KT (on $KCG the first time, then in
# place), and inspect --json must read back what it compiled (i.json)
faithful() {
  if [ ! -e "$NETACL_PIN_ROOT/$KT" ]; then
    load_ok "$1" --target "$KT" --cgroup "$KCG" || return 1
  else
    load_ok "$1" --target "$KT" || return 1
  fi
  "$NETACL" inspect --target "$KT" --json > i.json || fail "inspect failed" || return 1
  run "$NETACL" diff "$1" i.json
  expect_rc 0 || { cat "$T/out" >&2; fail "inspect differs for $2"; }
}

PY=/usr/bin/python3   # Debian's, with dnslib; the command netacl runs

# kill the test's background jobs, then kernel_cleanup
run_cleanup() { local p; p=$(jobs -p); [ -n "$p" ] && { kill $p; wait $p; } 2>/dev/null; kernel_cleanup; }

# trace --json in the background; events in ev.json until trace_stop
trace_start() {
  "$NETACL" trace --json "$@" > ev.json 2> trace.err &
  TRACE_PID=$!
  sleep 1   # it is reading once it has looked at the pins
}
trace_stop() { kill -INT "$TRACE_PID"; wait "$TRACE_PID"; rc=$?; expect_rc 0; }
# the events with these field values, one JSON object per line
events() {  # events KEY=VALUE...
  $PY -c '
import json, sys
want = dict(a.split("=", 1) for a in sys.argv[2:])
for line in open(sys.argv[1]):
    e = json.loads(line)
    if all(str(e.get(k)) == v for k, v in want.items()):
        print(line, end="")' ev.json "$@"
}


# The netacl command lines of examples/systemd/, as a host would run them:
# the installed paths point at this build and the examples, the service's
# cgroup at a test cgroup, and names resolve from the example hosts file.
unit_cmd() {  # unit_cmd UNIT KEY: the command of KEY= (without "+")
  sed -n "s/^$2=+\\{0,1\\}//p" "$ROOT/examples/systemd/$1" |
    sed -e "s|/usr/local/sbin/netacl|$NETACL|" -e "s|/etc/netacl/|$ROOT/examples/|" \
        -e "s|system.slice/%n|$KCG|" -e "s|nightly/source|$KT|g"
}

# ---- the guard around the suite ----
# The default pin root: what the host enforces, never touched by a test.
HOST_PINS=${NETACL_PIN_ROOT:-/sys/fs/bpf/netacl}
SENTINEL=

suite_begin() {
  [ "$(id -u)" = 0 ] && [ -n "$CG2" ] && [ -x "${PROBE:-}" ] || return 0
  SENTINEL=netacl-sentinel-$$
  SENTINEL_DIR=$(mktemp -d)
  # what the suite may create and should take away again
  MADE_ROOT=; [ -e "$HOST_PINS" ] || MADE_ROOT=1
  MADE_RUNS=; [ -e "$CG2/netacl" ] || MADE_RUNS=1
  # another suite's sentinel comes and goes with that suite
  HOST_BEFORE=$(ls "$HOST_PINS" 2>/dev/null | grep -v '^netacl-sentinel-')
  printf 'version: 1\nacls:\n  %s:\n    allow: ["127.0.0.1:80"]\n' "$SENTINEL" > "$SENTINEL_DIR/p.yaml"
  "$NETACL" load "$SENTINEL_DIR/p.yaml" --target "$SENTINEL" --offline --cgroup "$SENTINEL" \
    2> "$SENTINEL_DIR/err" || SENTINEL_ERR="cannot load: $(cat "$SENTINEL_DIR/err")"
}

suite_end() {
  [ -n "$SENTINEL" ] || return 0
  local why=${SENTINEL_ERR:-} v e
  if [ -z "$why" ]; then
    v=$("$PROBE" --cgroup "$CG2/$SENTINEL" tcp 127.0.0.1 80 tcp 127.0.0.1 81 | awk '{ printf "%s ", $4 }')
    [ "$v" = "allow deny " ] || why="the sentinel does not enforce: $v"
    for e in $HOST_BEFORE; do
      [ -e "$HOST_PINS/$e" ] || why="$why; the host's target $e was unloaded"
    done
    "$NETACL" unload --target "$SENTINEL" >/dev/null 2>&1 || why="$why; the sentinel was unloaded"
  fi
  rmdir "$CG2/$SENTINEL" 2>/dev/null
  rm -rf "$SENTINEL_DIR"
  [ -z "$MADE_ROOT" ] || rmdir "$HOST_PINS" 2>/dev/null      # empty unless another suite runs
  [ -z "$MADE_RUNS" ] || rmdir "$CG2/netacl" 2>/dev/null     # the parent of run's cgroups
  if [ -z "$why" ]; then echo "ok guard_host_targets_untouched"
  else echo "FAIL guard_host_targets_untouched $why"; fi
}
