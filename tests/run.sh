#!/usr/bin/env bash
# The test runner: tests/run.sh [-k FILTER] DIR...
#
# Each DIR/t-*.sh defines functions named test_*; each runs in its own
# subshell and temporary directory $T, with the helpers of tests/lib.sh
# and DIR/lib.sh.  A test passes when it exits 0 and no check in it
# called `fail`; it is skipped when it exits 77 (a failure under
# NETACL_REQUIRE_BPF=1 if it called needs_kernel).  A DIR/lib.sh may
# define suite_begin and suite_end (run once around the suite; suite_end
# prints one line per guard, "ok NAME" or "FAIL NAME").  The last line is
# "N passed, N failed, N skipped".  NETACL points at the binary.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export NETACL=${NETACL:-$root/netacl} ROOT=$root
export NETACL_ETC_HOSTS=/dev/null   # tests never depend on the machine's /etc/hosts
filter=
if [ "${1:-}" = -k ]; then filter=$2; shift 2; fi
(($#)) || { echo "usage: tests/run.sh [-k FILTER] DIR..." >&2; exit 64; }

# shellcheck source=tests/lib.sh
. "$here/lib.sh"
for d in "$@"; do
  # shellcheck source=/dev/null
  [ -f "$d/lib.sh" ] && . "$d/lib.sh"
  for f in "$d"/t-*.sh; do
    # shellcheck source=/dev/null
    . "$f"
  done
done

pass=0 failn=0 skipn=0 failed=()
verdict() {  # verdict ok|FAIL|skip NAME [WHY]
  case $1 in
    ok) pass=$((pass + 1)); printf 'ok   %s\n' "$2" ;;
    skip) skipn=$((skipn + 1)); printf 'skip %s\n' "$2" ;;
    *) failn=$((failn + 1)); failed+=("$2"); printf 'FAIL %s%s\n' "$2" "${3:+ ($3)}" ;;
  esac
}

if declare -F suite_begin >/dev/null; then suite_begin; fi
for t in $(declare -F | awk '{print $3}' | grep '^test_' | sort); do
  [[ -n "$filter" && "$t" != *"$filter"* ]] && continue
  T=$(mktemp -d)
  ( set -u; cd "$T" && "$t" ) 2> >(cat >"$T/.log")
  r=$?
  wait
  if [ -s "$T/.failed" ]; then
    verdict FAIL "$t" "a check failed"
  elif [ "$r" = 77 ] && [ "${NETACL_REQUIRE_BPF:-0}" = 1 ] && [ -e "$T/.kernel" ]; then
    verdict FAIL "$t" "skipped, but NETACL_REQUIRE_BPF=1"
  elif [ "$r" = 77 ]; then
    verdict skip "$t"
  elif [ "$r" = 0 ]; then
    verdict ok "$t"
  else
    verdict FAIL "$t" "exit $r"
  fi
  [ "$r" = 0 ] && [ ! -s "$T/.failed" ] || cat "$T/.log"
  rm -rf "$T"
done
if declare -F suite_end >/dev/null; then
  while read -r v name why; do verdict "$v" "$name" "$why"; done < <(suite_end)
fi
echo
((failn)) && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" -eq 0 ]
