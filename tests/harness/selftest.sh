#!/usr/bin/env bash
# The runner must fail a test at any failed check, not only at its last
# command: run it on tests/harness/fixture, whose verdicts are known.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pass=0 failn=0

check() {  # check NAME REQUIRE_BPF WANT_STATUS WANT_LINES
  local out rc
  out=$(NETACL_REQUIRE_BPF=$2 "$here/../run.sh" "$here/fixture" 2>/dev/null)
  rc=$?
  out=$(grep -E '^(ok|FAIL|skip) |passed,' <<<"$out")
  if [ "$out" = "$4" ] && [ "$rc" = "$3" ]; then
    pass=$((pass + 1)); echo "ok   $1"
  else
    failn=$((failn + 1)); echo "FAIL $1 (exit $rc, want $3)"
    diff <(echo "$4") <(echo "$out") | sed 's/^/    /'
  fi
}

check runner_fails_any_failed_check 0 1 "FAIL test_check_in_a_pipeline_fails (a check failed)
FAIL test_check_in_a_subshell_fails (a check failed)
FAIL test_exit_status_fails (exit 3)
FAIL test_fail_then_skip (a check failed)
skip test_kernel_skip
FAIL test_middle_check_fails (a check failed)
ok   test_passes
skip test_skips
1 passed, 5 failed, 2 skipped"

check runner_require_bpf_fails_kernel_skips 1 1 "FAIL test_check_in_a_pipeline_fails (a check failed)
FAIL test_check_in_a_subshell_fails (a check failed)
FAIL test_exit_status_fails (exit 3)
FAIL test_fail_then_skip (a check failed)
FAIL test_kernel_skip (skipped, but NETACL_REQUIRE_BPF=1)
FAIL test_middle_check_fails (a check failed)
ok   test_passes
skip test_skips
1 passed, 6 failed, 1 skipped"

echo
echo "harness: $pass passed, $failn failed"
[ "$failn" -eq 0 ]
