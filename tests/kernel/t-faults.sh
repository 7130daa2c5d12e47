# Faults: a load or unload killed halfway, a cgroup removed and made
# again.  After each, `status` must say the target is not enforced, and
# the next `load` (or a refresh) must make it enforce again.

# state_of: "STATE PROBLEM" of $KT from status --json
state_of() {
  "$NETACL" status --json 2>/dev/null > s.json
  jget s.json "[t['state'] + ' ' + t.get('problem', '') for t in d['targets'] if t['target'] == '$KT'][0]"
}

fault_policy() { policy "$KT" '"127.0.0.2:7001"'; }

# repair_enforces WHAT: load again, see "repaired", and the policy in force
repair_enforces() {
  run "$NETACL" load "$KT.yaml" --target "$KT" --offline --cgroup "$KCG"
  expect_rc 0 && expect_err "repaired $KT" || return 1
  [ "$(state_of)" = "enforced " ] || fail "$1: after the repair: $(state_of)"
  diff <(verdicts tcp 127.0.0.3 7001 udp 127.0.0.3 7001 tcp 127.0.0.2 7001) - <<'E' >&2 || fail "$1: verdicts after the repair"
tcp 127.0.0.3 7001 deny
udp 127.0.0.3 7001 deny
tcp 127.0.0.2 7001 allow
E
}

test_kernel_fault_killed_load_is_seen_and_repaired() {
  need_kernel fload
  fault_policy
  local f
  for f in kill-after-maps kill-after-link; do
    NETACL_TEST_FAULT=$f run "$NETACL" load "$KT.yaml" --target "$KT" --offline --cgroup "$KCG"
    expect_rc 137 || return 1
    case "$(state_of)" in
      "broken link_"*" is missing") ;;
      *) fail "$f: status says: $(state_of)" ;;
    esac
    run "$NETACL" status; expect_out "broken" && expect_err "not enforced"
    # what such a load leaves enforces at most part of the policy
    [ "$(verdicts udp 127.0.0.3 7001)" = "udp 127.0.0.3 7001 allow" ] || fail "$f: udp was enforced"
    repair_enforces "$f" || return 1
    expect_err "repaired $KT: link_"
    run "$NETACL" unload --target "$KT"; expect_rc 0 || return 1
  done
}

test_kernel_fault_killed_unload_is_seen_and_repaired() {
  need_kernel funload
  fault_policy
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  NETACL_TEST_FAULT=kill-in-unload run "$NETACL" unload --target "$KT"
  expect_rc 137 || return 1
  [ "$(state_of)" = "broken link_connect4 is missing" ] || fail "status says: $(state_of)"
  [ "$(verdicts tcp 127.0.0.3 7001)" = "tcp 127.0.0.3 7001 allow" ] || fail "still enforced"
  run "$NETACL" load "$KT.yaml" --target "$KT" --offline
  expect_rc 0 && expect_err "repaired $KT" || return 1
  [ "$(verdicts tcp 127.0.0.3 7001)" = "tcp 127.0.0.3 7001 deny" ] || fail "not enforced after the load"
  # and unload, run again, finishes the job
  run "$NETACL" unload --target "$KT"; expect_rc 0
  [ ! -e "$NETACL_PIN_ROOT/$KT" ] || fail "pins left"
}

test_kernel_cgroup_made_again_is_seen_and_repaired() {
  need_kernel remade
  fault_policy
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  rmdir "$CG2/$KCG" && mkdir "$CG2/$KCG" || fail "cannot re-create the cgroup" || return 1
  # the old cgroup's links go when the kernel frees it, a moment later
  local st; st=$(state_of)
  case "$st" in
    "broken link_connect4 is detached"*|"broken the cgroup was removed or made again"*) ;;
    *) fail "status says: $st" ;;
  esac
  [ "$(verdicts tcp 127.0.0.3 7001)" = "tcp 127.0.0.3 7001 allow" ] || fail "the old programs enforce"
  repair_enforces "made again" || return 1
  [ "$(bpftool cgroup show "$CG2/$KCG" | grep -c netacl_)" = 15 ] || fail "attached: $(bpftool cgroup show "$CG2/$KCG")"
}

# A systemd restart without ExecStopPost (a crash, a killed unload): the
# unit's cgroup is made again and ExecStartPre runs the same load; the
# refresh unit repairs it too, on SIGHUP (systemctl reload) or its next pass.
test_kernel_systemd_restart_made_cgroup_again() {
  need_kernel restart; trap run_cleanup EXIT
  KT="kt-restart-$$/source"
  sed "s|^  nightly:|  kt-restart-$$:|" "$ROOT/examples/pipeline.yaml" > "$T/pipeline.yaml"
  local hosts="--offline --hosts-file $ROOT/examples/pipeline.hosts" load refresh
  load=$(unit_cmd nightly-source.service ExecStartPre | sed "s|$ROOT/examples/pipeline.yaml|$T/pipeline.yaml|")
  refresh=$(unit_cmd netacl-refresh.service ExecStart | sed "s|$ROOT/examples/pipeline.yaml|$T/pipeline.yaml|")
  run $load $hosts; expect_rc 0 || return 1
  rmdir "$CG2/$KCG" && mkdir "$CG2/$KCG" || return 1      # restart: a new cgroup
  [ "$(verdicts tcp 127.0.0.1 5432)" = "tcp 127.0.0.1 5432 allow" ] || fail "not a hole: the test proves nothing"
  run $load $hosts; expect_rc 0 && expect_err "repaired $KT" || return 1
  [ "$(verdicts tcp 127.0.0.1 5432)" = "tcp 127.0.0.1 5432 deny" ] || fail "ExecStartPre did not repair"
  # the refresh service repairs it as well
  $refresh $hosts > refresh.out 2> refresh.err &
  local rp=$!
  sleep 1
  rmdir "$CG2/$KCG" && mkdir "$CG2/$KCG" || return 1
  kill -HUP $rp
  for _ in $(seq 50); do grep -q "repaired $KT" refresh.err && break; sleep 0.1; done
  grep -q "repaired $KT" refresh.err || fail "refresh did not repair: $(cat refresh.err)"
  [ "$(verdicts tcp 127.0.0.1 5432)" = "tcp 127.0.0.1 5432 deny" ] || fail "not enforced after the refresh"
  kill -TERM $rp; wait $rp
}

# A load that fails removes every cgroup directory it made, not only the
# last one of the path.
test_kernel_failed_load_removes_the_cgroups_it_made() {
  need_kernel unmake
  fault_policy
  NETACL_TEST_FAULT=install run "$NETACL" load "$KT.yaml" --target "$KT" --offline --cgroup "$KCG/a/b/c"
  [ "$rc" -ne 0 ] || fail "the fault did not fail the load" || return 1
  [ ! -e "$CG2/$KCG" ] || fail "left: $(find "$CG2/$KCG" -maxdepth 3 -type d | tr '\n' ' ')"
  # and one that exists stays, with what it holds
  mkdir -p "$CG2/$KCG"
  NETACL_TEST_FAULT=install run "$NETACL" load "$KT.yaml" --target "$KT" --offline --cgroup "$KCG/a"
  [ -d "$CG2/$KCG" ] && [ ! -e "$CG2/$KCG/a" ] || fail "removed too much or too little"
}

# A first load verifies the programs while it fills the maps: a program the
# kernel refuses leaves no pin, no cgroup and nothing attached, and the
# next load works.
test_kernel_refused_programs_leave_nothing() {
  need_kernel verify
  fault_policy
  NETACL_TEST_FAULT=verify run "$NETACL" load "$KT.yaml" --target "$KT" --offline --cgroup "$KCG/v"
  expect_rc 69; expect_err "the kernel refused the cgroup sock_addr programs"
  [ ! -e "$NETACL_PIN_ROOT/$KT" ] || fail "pins left: $(ls "$NETACL_PIN_ROOT/$KT")"
  [ ! -e "$CG2/$KCG/v" ] || fail "the cgroup it made is left"
  run "$NETACL" status; no_out "$KT"
  load_ok "$KT.yaml" --target "$KT" --offline --cgroup "$KCG" || return 1
  [ "$(verdicts tcp 127.0.0.2 7001 tcp 127.0.0.2 7002)" = "tcp 127.0.0.2 7001 allow
tcp 127.0.0.2 7002 deny" ] || fail "not enforced after a good load: $(verdicts tcp 127.0.0.2 7001 tcp 127.0.0.2 7002)"
}
