#!/usr/bin/env bash
# Integration tests: run the real binary on real files.
#
# Each tests/integration/t-*.sh defines functions named test_*; each runs
# in its own subshell and temporary directory.  The last line is
# "N passed, N failed" (and skipped).  NETACL points at the binary.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export NETACL=${NETACL:-$root/netacl} ROOT=$root
export NETACL_ETC_HOSTS=/dev/null   # tests never depend on the machine's /etc/hosts
filter=${1:-}

# ---- helpers for the tests ----
# run CMD...: stdout in $T/out, stderr in $T/err, status in $rc
run() { "$@" >"$T/out" 2>"$T/err"; rc=$?; }
fail() { echo "    $*" >&2; echo "    --- stderr:" >&2; sed 's/^/    | /' "$T/err" >&2 2>/dev/null | head -20; return 1; }
expect_rc() { [ "$rc" -eq "$1" ] || fail "exit status $rc, want $1"; }
expect_out() { grep -qF -- "$1" "$T/out" || fail "stdout lacks: $1"; }
expect_err() { grep -qF -- "$1" "$T/err" || fail "stderr lacks: $1"; }
no_out() { ! grep -qF -- "$1" "$T/out" || fail "stdout has: $1"; }
skip() { echo "    skipped: $*" >&2; exit 77; }
# jq-less JSON probing: python3 is always there in CI
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

for f in "$here"/t-*.sh; do
  # shellcheck source=/dev/null
  . "$f"
done

pass=0 failn=0 skipn=0 failed=()
for t in $(declare -F | awk '{print $3}' | grep '^test_' | sort); do
  [[ -n "$filter" && "$t" != *"$filter"* ]] && continue
  T=$(mktemp -d)
  ( set -u; cd "$T" && "$t" ) 2> >(cat >"$T/.log")
  r=$?
  wait
  case $r in
    0) pass=$((pass + 1)); echo "ok   $t" ;;
    77) if [ "${NETACL_REQUIRE_BPF:-0}" = 1 ] && [[ "$t" == test_kernel_* ]]; then
          failn=$((failn + 1)); failed+=("$t"); echo "FAIL $t (skipped, but NETACL_REQUIRE_BPF=1)"
        else
          skipn=$((skipn + 1)); echo "skip $t"
        fi
        cat "$T/.log" ;;
    *) failn=$((failn + 1)); failed+=("$t"); echo "FAIL $t"; cat "$T/.log" ;;
  esac
  rm -rf "$T"
done
echo
((failn)) && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" -eq 0 ]
