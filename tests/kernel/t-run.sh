# run, trace, audit and refresh on the real kernel (helpers in lib.sh).
# Servers listen on loopback addresses only; names resolve through hosts
# files or tests/dns/fakedns.py on 127.0.0.1.

# http_server ADDR: an HTTP server on ADDR, a free port; sets HTTP_PORT.
# Every test here serves the same port on its addresses.
http_server() {
  $PY - "$1" "${HTTP_PORT:-0}" > "$T/http-$1.port" 2>/dev/null <<'E' &
import http.server, sys
s = http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), http.server.SimpleHTTPRequestHandler)
print(s.server_address[1], flush=True)
s.serve_forever()
E
  for _ in $(seq 100); do [ -s "$T/http-$1.port" ] && break; sleep 0.05; done
  HTTP_PORT=$(cat "$T/http-$1.port")
  [ -n "$HTTP_PORT" ] || fail "no HTTP server on $1"
}

# urllib_get ADDR: what python prints: 200, or the errno (1 is EPERM); exits 3 on error
URLLIB='import sys, urllib.request, urllib.error
try:
    print(urllib.request.urlopen("http://%s:%s/" % (sys.argv[1], sys.argv[2]), timeout=5).status)
except urllib.error.URLError as e:
    print(getattr(e.reason, "errno", e.reason)); sys.exit(3)'

# no transient cgroup and no pins left by runs of $KT
no_run_left() {
  ! ls "$CG2/netacl" 2>/dev/null | grep -q "^$KT@run-" || fail "a run cgroup remains"
  ! ls "$NETACL_PIN_ROOT" 2>/dev/null | grep -q "^$KT%40run-" || fail "run pins remain"
}


test_kernel_run_urllib_allowed_and_denied() {
  need_kernel run; trap run_cleanup EXIT
  http_server 127.0.0.1 && http_server 127.0.0.2 || return 1
  policy "$KT" "\"127.0.0.1:$HTTP_PORT\""
  run "$NETACL" run "$KT.yaml" --target "$KT" --offline -- $PY -c "$URLLIB" 127.0.0.1 "$HTTP_PORT"
  expect_rc 0 && expect_out 200 || return 1
  expect_err "loaded $KT@run-" || return 1
  run "$NETACL" run "$KT.yaml" --target "$KT" --offline -- $PY -c "$URLLIB" 127.0.0.2 "$HTTP_PORT"
  expect_rc 3 || return 1
  [ "$(cat "$T/out")" = 1 ] || fail "want EPERM (1), got: $(cat "$T/out")" || return 1
  # outside netacl the same request goes through: the policy was the cause
  [ "$($PY -c "$URLLIB" 127.0.0.2 "$HTTP_PORT")" = 200 ] || fail "server unreachable" || return 1
  no_run_left
}

test_kernel_run_exit_status() {
  need_kernel runexit
  policy "$KT" '"127.0.0.1:80"'
  r() { run "$NETACL" run "$KT.yaml" --target "$KT" --offline -- "$@"; }
  r sh -c 'exit 7'; expect_rc 7 || return 1
  r sh -c 'kill -TERM $$'; expect_rc 143 || return 1
  r sh -c 'kill -KILL $$'; expect_rc 137 || return 1
  r no-such-command-here; expect_rc 127 || return 1
  expect_err "no-such-command-here: No such file or directory" || return 1
  echo 'echo hi' > notexec; chmod 644 notexec
  r ./notexec; expect_rc 126 || return 1
  # the command really runs in the transient cgroup
  r sh -c 'cat /proc/self/cgroup'; expect_rc 0 || return 1
  grep -q "/netacl/$KT@run-[0-9]*\$" "$T/out" || fail "not in the run's cgroup: $(cat "$T/out")" || return 1
  # what it leaves behind is killed: it would run unconfined once unloaded
  r sh -c 'sleep 60 & echo $! > bg.pid'; expect_rc 0 || return 1
  local state; state=$(awk '/^State:/ { print $2 }' "/proc/$(cat bg.pid)/status" 2>/dev/null)
  [ -z "$state" ] || [ "$state" = Z ] || fail "a background process outlived the run" || return 1
  # usage errors start nothing
  r; expect_rc 64 || return 1
  run "$NETACL" run "$KT.yaml" --target "$KT" --offline true; expect_rc 64 || return 1
  no_run_left
}

test_kernel_run_sigterm_to_netacl_cleans_up() {
  need_kernel runterm
  policy "$KT" '"127.0.0.1:80"'
  "$NETACL" run "$KT.yaml" --target "$KT" --offline -- sleep 30 2>/dev/null &
  local pid=$!
  local procs="$CG2/netacl/$KT@run-$pid/cgroup.procs"   # the command is in: all is loaded
  for _ in $(seq 100); do [ -s "$procs" ] && break; sleep 0.05; done
  ls "$NETACL_PIN_ROOT" | grep -q "^$KT%40run-$pid\$" || fail "the run was not loaded" || return 1
  pgrep -f 'sleep 30' >/dev/null || fail "command not started" || return 1
  kill -TERM "$pid"
  wait "$pid"; rc=$?
  expect_rc 143 || return 1
  no_run_left
}

test_kernel_trace_shows_deny_with_address_and_comm() {
  need_kernel trace; trap run_cleanup EXIT
  policy "$KT" '"127.0.0.1:80"'
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  trace_start --target "$KT"
  diff <(verdicts tcp 127.0.0.9 8081 udp6 ::1 5353 tcp 127.0.0.1 80) - <<'E' >&2 || fail "verdicts"
tcp 127.0.0.9 8081 deny
udp6 ::1 5353 deny
tcp 127.0.0.1 80 allow
E
  trace_stop || return 1
  [ "$(events target="$KT" address=127.0.0.9 port=8081 proto=tcp verdict=deny comm=probe | wc -l)" = 1 ] ||
    fail "no deny event for 127.0.0.9:8081: $(cat ev.json)" || return 1
  [ "$(events address=::1 port=5353 proto=udp verdict=deny | wc -l)" = 1 ] || fail "no udp6 event" || return 1
  [ "$(events address=127.0.0.1 port=80 verdict=allow | wc -l)" = 1 ] || fail "no allow event" || return 1
  [ "$(wc -l < ev.json)" = 3 ] || fail "events from before the trace or elsewhere: $(cat ev.json)" || return 1
  # the pid is the probe's, the time is now
  events verdict=deny | $PY -c '
import json, sys, datetime
for l in sys.stdin:
    e = json.loads(l)
    t = datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert e["pid"] > 1 and abs((datetime.datetime.utcnow() - t).total_seconds()) < 30, l' ||
    fail "pid or time wrong" || return 1
  # the text form: one line per event
  "$NETACL" trace --target "$KT" > ev.txt 2>/dev/null &
  local tp=$!; sleep 1
  verdicts tcp 127.0.0.9 8082 >/dev/null
  sleep 0.3; kill -INT $tp; wait $tp
  grep -Eq "^[0-9:.]+ +$KT +[0-9]+ +probe +tcp +127\.0\.0\.9:8082 +deny\$" ev.txt || fail "text: $(cat ev.txt)"
}

test_kernel_trace_audit_run_goes_through() {
  need_kernel audit; trap run_cleanup EXIT
  http_server 127.0.0.2 || return 1
  policy "$KT" '"127.0.0.1:80"'
  trace_start --target "$KT"   # follows the run (KT@run-PID) once it is loaded
  run "$NETACL" run --audit "$KT.yaml" --target "$KT" --offline -- $PY -c "$URLLIB" 127.0.0.2 "$HTTP_PORT"
  expect_rc 0 && expect_out 200 || return 1
  expect_err "(audit mode)" || return 1
  sleep 0.3
  trace_stop || return 1
  [ "$(events address=127.0.0.2 port="$HTTP_PORT" proto=tcp verdict=audit comm=python3 | wc -l)" -ge 1 ] ||
    fail "no audit event: $(cat ev.json)" || return 1
  [ "$(events verdict=audit | grep -c "\"target\":\"$KT@run-")" -ge 1 ] || fail "event not from the run" || return 1
  no_run_left
}

test_kernel_trace_usage_and_privileges() {
  need_kernel traceuse
  run "$NETACL" trace extra; expect_rc 64 || return 1
  command -v setpriv >/dev/null || skip "no setpriv"
  run setpriv --reuid=65534 --regid=65534 --clear-groups "$NETACL" trace; expect_rc 77
}

# refresh: svc.test moves from 127.0.0.3 to 127.0.0.4 between load and refresh
refresh_policy() {
  { echo "version: 1"; echo "acls:"; echo "  $KT:"; echo "    allow: [\"svc.test:80\"]"
    echo "    private: [loopback]"; } > "$KT.yaml"
}

test_kernel_refresh_moves_a_name() {
  need_kernel refresh
  refresh_policy
  echo "127.0.0.3 svc.test" > hosts
  load_ok "$KT.yaml" --target "$KT" --offline --hosts-file hosts --cgroup "$KCG" --audit || return 1
  run "$NETACL" refresh "$KT.yaml" --target "$KT" --offline --hosts-file hosts
  expect_rc 0 && expect_err "$KT unchanged" || return 1
  [ ! -s "$T/out" ] || fail "unchanged printed a change" || return 1
  "$NETACL" load "$KT.yaml" --target "$KT" --offline --hosts-file hosts --cgroup "$KCG" 2>/dev/null
  echo "127.0.0.4 svc.test" > hosts
  run "$NETACL" refresh "$KT.yaml" --target "$KT" --offline --hosts-file hosts
  expect_rc 0 || return 1
  diff "$T/out" - <<E >&2 || fail "what changed"
- $KT: 127.0.0.3/32 ports 80 any
+ $KT: 127.0.0.4/32 ports 80 any
E
  diff <(verdicts tcp 127.0.0.3 80 tcp 127.0.0.4 80) - <<'E' >&2 || fail "verdicts after refresh"
tcp 127.0.0.3 80 deny
tcp 127.0.0.4 80 allow
E
  # --strict and an unresolvable name: nothing changes
  : > hosts
  run "$NETACL" refresh "$KT.yaml" --target "$KT" --offline --hosts-file hosts --strict
  expect_rc 68 || return 1
  [ "$(verdicts tcp 127.0.0.4 80)" = "tcp 127.0.0.4 80 allow" ] || fail "a failed refresh changed the sets" || return 1
  run "$NETACL" refresh "$KT.yaml" --target nope-$$ --offline; expect_rc 66 || return 1
  run "$NETACL" refresh "$KT.yaml" --offline; expect_rc 64
}

test_kernel_refresh_keeps_audit_mode_and_all() {
  need_kernel refreshall
  refresh_policy
  echo "127.0.0.3 svc.test" > hosts
  load_ok "$KT.yaml" --target "$KT" --offline --hosts-file hosts --cgroup "$KCG" --audit || return 1
  echo "127.0.0.4 svc.test" > hosts
  run "$NETACL" refresh "$KT.yaml" --all --offline --hosts-file hosts
  expect_rc 0 && expect_out "+ $KT: 127.0.0.4/32" || return 1
  run "$NETACL" status --json; expect_rc 0 || return 1
  [ "$(jget "$T/out" "[t['mode'] for t in d['targets'] if t['target'] == '$KT'][0]")" = audit ] || fail "audit mode lost"
}

test_kernel_refresh_watch_wakes_at_ttl() {
  need_kernel watch
  [ -x "$PY" ] && $PY -c 'import dnslib' 2>/dev/null || skip "python3-dnslib not installed"
  trap run_cleanup EXIT
  refresh_policy
  echo "svc.test A 127.0.0.3 2" > zone
  $PY "$ROOT/tests/dns/fakedns.py" --port-file port --zone zone 2>/dev/null &
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
  local dns=127.0.0.1:$(cat port)
  load_ok "$KT.yaml" --target "$KT" --resolver "$dns" --cgroup "$KCG" || return 1
  # the ceiling is far: only the 2 s TTL can wake it in time
  "$NETACL" refresh "$KT.yaml" --target "$KT" --resolver "$dns" --watch \
    --min-interval 1 --max-interval 600 > watch.out 2> watch.err &
  local wp=$!
  sleep 0.5
  echo "svc.test A 127.0.0.4 2" > zone
  for _ in $(seq 100); do grep -q "127.0.0.4" watch.out && break; sleep 0.1; done
  grep -qx "+ $KT: 127.0.0.4/32 ports 80 any" watch.out || fail "no refresh within 10 s: $(cat watch.out watch.err)" || return 1
  [ "$(verdicts tcp 127.0.0.3 80 tcp 127.0.0.4 80)" = "tcp 127.0.0.3 80 deny
tcp 127.0.0.4 80 allow" ] || fail "verdicts after the watch refreshed" || return 1
  kill -TERM $wp; wait $wp; rc=$?
  expect_rc 0
}

test_kernel_systemd_examples_run() {
  need_kernel unit; trap run_cleanup EXIT
  # a copy of the example policy whose stage is named like the test target
  KT="kt-unit-$$/source"   # a pipeline stage
  sed "s|^  nightly:|  kt-unit-$$:|" "$ROOT/examples/pipeline.yaml" > "$T/pipeline.yaml"
  local hosts="--offline --hosts-file $ROOT/examples/pipeline.hosts"
  local load stop refresh
  load=$(unit_cmd nightly-source.service ExecStartPre | sed "s|$ROOT/examples/pipeline.yaml|$T/pipeline.yaml|")
  stop=$(unit_cmd nightly-source.service ExecStopPost)
  refresh=$(unit_cmd netacl-refresh.service ExecStart | sed "s|$ROOT/examples/pipeline.yaml|$T/pipeline.yaml|")
  [ -n "$load" ] && [ -n "$stop" ] && [ -n "$refresh" ] || fail "unit commands not found" || return 1
  run $load $hosts; expect_rc 0 && expect_err "loaded $KT on $CG2/$KCG" || return 1
  # denied without traffic leaving: loopback is not in the stage's sets
  [ "$(verdicts tcp 127.0.0.1 5432)" = "tcp 127.0.0.1 5432 deny" ] || fail "not enforced" || return 1
  $refresh $hosts > refresh.out 2> refresh.err &
  local rp=$!
  sleep 1
  kill -HUP $rp; sleep 0.5     # systemctl reload: refresh at once, keep running
  kill -0 $rp || fail "refresh --watch died on SIGHUP: $(cat refresh.err)" || return 1
  kill -TERM $rp; wait $rp; rc=$?
  expect_rc 0 || return 1
  [ ! -s refresh.out ] || fail "refresh changed something: $(cat refresh.out)" || return 1
  run $stop; expect_rc 0 || return 1
  run "$NETACL" status --json
  ! grep -q "$KT" "$T/out" || fail "still loaded after ExecStopPost"
}

test_kernel_run_interrupted_while_loading() {
  need_kernel runint
  [ -x "$PY" ] && $PY -c 'import dnslib' 2>/dev/null || skip "python3-dnslib not installed"
  trap run_cleanup EXIT
  $PY "$ROOT/tests/dns/fakedns.py" --port-file port --delay-ms 1500 2>/dev/null &
  for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
  policy "$KT" '"svc.test:80"'
  "$NETACL" run "$KT.yaml" --target "$KT" --resolver "127.0.0.1:$(cat port)" -- touch started \
    2> run.err &
  local pid=$!
  sleep 0.5
  kill -INT $pid; wait $pid; rc=$?
  expect_rc 130 || return 1
  [ ! -e started ] || fail "the command ran after an interrupt" || return 1
  grep -q "touch not started" run.err || fail "no word of it: $(cat run.err)" || return 1
  no_run_left
}

test_kernel_trace_second_reader_is_refused() {
  need_kernel trace2; trap run_cleanup EXIT
  policy "$KT" '"127.0.0.1:80"'
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  trace_start --target "$KT"
  timeout -s INT 2 "$NETACL" trace --target "$KT" > second.out 2> second.err &
  local second=$!
  sleep 1
  verdicts tcp 127.0.0.9 81 tcp 127.0.0.9 82 >/dev/null
  wait $second
  trace_stop || return 1
  grep -q "another trace is reading its events" second.err || fail "no refusal: $(cat second.err)" || return 1
  [ ! -s second.out ] || fail "the second trace took events" || return 1
  [ "$(events verdict=deny | wc -l)" = 2 ] || fail "the first trace lost events: $(cat ev.json)"
}
