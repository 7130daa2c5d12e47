# Helpers for every test file; tests/run.sh sources this, then DIR/lib.sh
# of each test folder, then its t-*.sh.  A test runs in a subshell whose
# working directory is $T, a fresh temporary directory.
#
# A test fails when any check in it fails, wherever the check is: `fail`
# records the failure in $T/.failed, which the runner reads whatever the
# test's exit status.  So `check || fail "why"` needs no `|| return 1`
# for the verdict; add one only to stop the test at that point.

# run CMD...: stdout in $T/out, stderr in $T/err, status in $rc
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }
fail() {
  echo "    $*" >>"$T/.failed"
  echo "    $*" >&2; echo "    --- stderr:" >&2
  sed 's/^/    | /' "$T/err" 2>/dev/null | head -20 >&2
  return 1
}
expect_rc() { [ "$rc" -eq "$1" ] || fail "exit status $rc, want $1"; }
expect_out() { grep -qF -- "$1" "$T/out" || fail "stdout lacks: $1"; }
expect_err() { grep -qF -- "$1" "$T/err" || fail "stderr lacks: $1"; }
no_out() { ! grep -qF -- "$1" "$T/out" || fail "stdout has: $1"; }
no_err() { ! grep -qF -- "$1" "$T/err" || fail "stderr has: $1"; }
skip() { echo "    skipped: $*" >&2; exit 77; }
# A test that needs the kernel says so first: with NETACL_REQUIRE_BPF=1
# the runner counts its skip as a failure.
needs_kernel() { : >"$T/.kernel"; }
# jq-less JSON probing: python3 is always there in CI
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
