#!/usr/bin/env bash
# Where users wait on a small policy: `netacl run -- true` against the
# cgroup-only reference (a cgroup made, true run in it, the cgroup
# removed), and a reload of a 10-entry policy.  Medians of interleaved
# rounds (this machine's speed drifts).  Root; loopback only.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
NETACL=${NETACL:-$root/netacl} ROUNDS=${BENCH_STARTS:-40}
if [ "$(id -u)" != 0 ]; then echo "== start: needs root, skipped"; exit 0; fi
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
tmp=$(mktemp -d) T=bench-small
export NETACL_PIN_ROOT=${NETACL_PIN_ROOT:-/sys/fs/bpf/netacl-bench-start}
cleanup() {
  "$NETACL" unload --target $T >/dev/null 2>&1 || true
  rmdir "$CG2/netacl-bench-small" "$NETACL_PIN_ROOT" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cat > "$tmp/ref.sh" <<E
#!/bin/sh
cg=$CG2/netacl-bench-ref-\$\$
mkdir "\$cg" && sh -c 'echo \$\$ > "\$1/cgroup.procs" && exec true' sh "\$cg"; rmdir "\$cg"
E
chmod +x "$tmp/ref.sh"
{ echo 'version: 1'; echo 'acls:'; echo "  $T:"; echo '    allow:'
  for i in $(seq 10); do echo "      - \"127.0.0.$i:80\""; done; } > "$tmp/p.yaml"
"$NETACL" load "$tmp/p.yaml" --target $T --offline --cgroup netacl-bench-small 2>/dev/null

# ms of one run of CMD..., by the clock of this shell's children
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }'; }
for i in $(seq "$ROUNDS"); do
  ms "$tmp/ref.sh" >> "$tmp/ref"
  ms "$NETACL" run "$tmp/p.yaml" --target $T --offline -- true >> "$tmp/run"
  ms "$NETACL" load "$tmp/p.yaml" --target $T --offline >> "$tmp/reload"
done
# and each back to back: the reference's join (a write to cgroup.procs)
# waits for a grace period unless one just passed (rcu_sync), which
# interleaving makes it do every time; run's command is born in its
# cgroup (CLONE_INTO_CGROUP) and never waits so
for i in $(seq "$ROUNDS"); do ms "$tmp/ref.sh" >> "$tmp/ref2"; done
for i in $(seq "$ROUNDS"); do ms "$NETACL" run "$tmp/p.yaml" --target $T --offline -- true >> "$tmp/run2"; done
ref=$(median < "$tmp/ref") run=$(median < "$tmp/run") reload=$(median < "$tmp/reload")
ref2=$(median < "$tmp/ref2") run2=$(median < "$tmp/run2")
echo "== start: a small policy (medians of $ROUNDS)"
printf 'interleaved: cgroup-only reference (mkdir, join, exec true, rmdir) %s ms, netacl run -- true %s ms\n' "$ref" "$run"
printf 'back to back: reference %s ms, netacl run -- true %s ms\n' "$ref2" "$run2"
printf 'reload of a 10-entry policy: %s ms (goal <= 30)\n' "$reload"
awk -v a="$run" -v b="$ref" 'BEGIN { printf "ratio: run -- true / reference, interleaved = %.1f (goal <= 3)\n", a / b }'
awk -v a="$run2" -v b="$ref2" 'BEGIN { printf "ratio: run -- true / reference, back to back = %.1f (goal <= 3)\n", a / b }'
