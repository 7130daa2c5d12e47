#!/usr/bin/env bash
# Kernel enforcement benchmarks (root; loopback and private netns only):
#  1. load, reload and kernel memory for 1,000,000 resolved addresses;
#  2. connect() cost from inside the cgroup: (a) no programs, (b) netacl with
#     those 1,000,000 entries, (c) an nftables set of the same addresses,
#     all in a private network namespace so nothing else sees the rules.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-build}
NETACL=${NETACL:-$root/netacl}
N=${BENCH_CONNECTS:-20000} ROUNDS=${BENCH_ROUNDS:-5}
if [ "$(id -u)" != 0 ]; then echo "== kernel: needs root, skipped"; exit 0; fi
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
tmp=$(mktemp -d)
T=bench-big CG="$CG2/netacl-bench"
cleanup() { "$NETACL" unload --target $T >/dev/null 2>&1 || true; rmdir "$CG" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
cc -O2 -o "$tmp/cl" "$root/tests/bench/connect_loop.c"

echo "== kernel: 1,000,000 resolved addresses (127.0.0.1 among them, at a random place)"
python3 "$root/tests/bench/gen_big.py" 1000000 $T 127.0.0.1 "$tmp/addrs" > /dev/null
awk '{ print $1, "many.bench.example" }' "$tmp/addrs" > "$tmp/hosts"
printf 'version: 1\nacls:\n  %s:\n    allow: ["many.bench.example:9"]\n    private: [loopback]\n' $T > "$tmp/p.yaml"
live_table4() { # the live generation's table4 map id
  local d=${NETACL_PIN_ROOT:-/sys/fs/bpf/netacl}/$T g
  g=$(bpftool map lookup pinned "$d/gen" key 0 0 0 0 -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["formatted"]["value"])')
  bpftool map lookup pinned "$d/table4" key $g 0 0 0 -j | python3 -c 'import json,sys; print(int.from_bytes(bytes(int(b, 16) for b in json.load(sys.stdin)["value"]), "little"))'
}
memlock() { bpftool -j map show | python3 -c 'import json,sys; print(sum(m.get("bytes_memlock", 0) for m in json.load(sys.stdin)))'; }
res=(--offline --hosts-file "$tmp/hosts" --max-addrs 1000000)
# the artifact CI makes and hosts load
"$NETACL" compile "$tmp/p.yaml" "${res[@]}" -o "$tmp/big.json"
m0=$(memlock)
# timed CMD...: "SECONDS PEAK_MIB"
timed() { /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>&1; awk '{ printf "%s %d", $1, $2 / 1024 }' "$tmp/time"; }
read -r t_load r_load <<<"$(timed "$NETACL" load "$tmp/p.yaml" --target $T --cgroup netacl-bench "${res[@]}")"
m1=$(memlock)
t4_first=$(live_table4)
read -r t_reload r_reload <<<"$(timed "$NETACL" load "$tmp/p.yaml" --target $T "${res[@]}")"
read -r t_json r_json <<<"$(timed "$NETACL" load "$tmp/big.json" --target $T)"
# a reload's peak: the target as loaded plus the next generation it
# builds beside the live one (a large old one is cleared after the
# switch), counted from the live generation's inner maps (MAPS, or all);
# a reload of the same addresses shares the live table4 (bpf/load.c)
gen_bytes() {
  local d=${NETACL_PIN_ROOT:-/sys/fs/bpf/netacl}/$T g
  g=$(bpftool map lookup pinned "$d/gen" key 0 0 0 0 -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["formatted"]["value"])')
  for m in ${1:-allow4 allow6 exact4 exact6 deny4 deny6 ports table4 bind4 bind6}; do
    bpftool map lookup pinned "$d/$m" key $g 0 0 0 -j
  done | python3 -c '
import json, subprocess, sys
dec = json.JSONDecoder(); text = sys.stdin.read(); i = total = 0
while i < len(text):
    if text[i].isspace(): i += 1; continue
    e, i = dec.raw_decode(text, i)
    mid = int.from_bytes(bytes(int(b, 16) for b in e["value"]), "little")
    info = json.loads(subprocess.run(["bpftool", "map", "show", "id", str(mid), "-j"], capture_output=True, text=True).stdout)
    total += info.get("bytes_memlock", 0)
print(total)'
}
peak=$(( m1 + $(gen_bytes) ))
peak_same=$peak
[ "$(live_table4)" = "$t4_first" ] && peak_same=$(( peak - $(gen_bytes table4) ))
"$NETACL" inspect --target $T --json > "$tmp/inspect.json"
read -r t_insp r_insp <<<"$(timed "$NETACL" inspect --target $T --json)"
read -r t_diff r_diff <<<"$(timed "$NETACL" diff "$tmp/big.json" "$tmp/inspect.json")"
printf 'load from policy + hosts file: %.2f s, peak %d MiB (goal < 1.5 s)\n' "$t_load" "$r_load"
printf 'reload (same sets, atomic swap): %.2f s, peak %d MiB\n' "$t_reload" "$r_reload"
printf 'reload from the compiled file (%d MiB): %.2f s, peak %d MiB (goal: <= the policy, <= 1.0 s, <= 200 MiB)\n' \
  $(( $(stat -c %s "$tmp/big.json") / 1048576 )) "$t_json" "$r_json"
awk -v a="$t_json" -v b="$t_reload" 'BEGIN { printf "ratio: compiled file / policy + hosts file = %.2f (goal <= 1)\n", a / b }'
printf 'inspect --json: %.2f s, peak %d MiB; diff compiled inspected: %.2f s, peak %d MiB (goal <= 1.5 s each)\n' \
  "$t_insp" "$r_insp" "$t_diff" "$r_diff"
printf 'kernel memory (memlock of the maps): %.1f MiB for 1M entries; at the peak of a reload (the next generation built beside it): %.1f MiB when the addresses are the same (table4 shared), %.1f MiB when they changed; the data: %.1f MiB\n' \
  "$(echo "($m1 - $m0) / 1048576" | bc -l)" "$(echo "($peak_same - $m0) / 1048576" | bc -l)" \
  "$(echo "($peak - $m0) / 1048576" | bc -l)" "$(echo "1000000 * 8 / 1048576" | bc -l)"
awk -v a="$((m1 - m0))" -v s="$(( peak_same - m0 ))" -v p="$(( peak - m0 ))" -v d=8000000 \
  'BEGIN { printf "ratio: kernel memory / data = %.2f; at a reload'"'"'s peak %.2f (same addresses), %.2f (changed) (goal <= 2)\n", a / d, s / d, p / d }'
"$NETACL" status | sed 's/^/  /'

# connect() cost: ns per connect.  The three cases are interleaved round
# by round (this machine's speed drifts), each in a fresh netns; a and c
# run in a sibling cgroup without programs.
mkdir -p "$CG2/netacl-bench-plain"
trap 'cleanup; rmdir "$CG2/netacl-bench-plain" 2>/dev/null || true' EXIT
{ echo "table ip bench { set allow { type ipv4_addr; elements = {"
  paste -sd, "$tmp/addrs"
  echo "} }"
  echo "chain out { type filter hook output priority 0; policy drop; ip daddr @allow accept; }"
  echo "}"; } > "$tmp/nft.rules"
once() { # CGROUP [SETUP]: ns per connect
  unshare -n sh -c "ip link set lo up; ${2:-} \"$tmp/cl\" \"$1\" 127.0.0.1 9 $N" | sed -E 's/.*\(([0-9]+) ns each\)/\1/'
}
echo
echo "== kernel: connect() to a loopback listener from inside the cgroup ($ROUNDS rounds x $N)"
s=$(date +%s.%N); unshare -n nft -f "$tmp/nft.rules"; t_nft=$(echo "$(date +%s.%N) - $s" | bc)
stats0=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
sysctl -qw kernel.bpf_stats_enabled=1 2>/dev/null || true
for r in $(seq "$ROUNDS"); do
  once "$CG2/netacl-bench-plain" >> "$tmp/a"
  once "$CG" >> "$tmp/b"
  once "$CG2/netacl-bench-plain" "nft -f '$tmp/nft.rules';" >> "$tmp/c"
done
# the program's own cost, as the kernel measures it (bpf_stats)
bpftool -j prog show name netacl_connect4 | python3 -c '
import json, sys
d = json.load(sys.stdin)
for p in d if isinstance(d, list) else [d]:
    if p.get("run_cnt"):
        print("netacl_connect4 in the kernel: %.0f ns per run over %d runs" % (p["run_time_ns"] / p["run_cnt"], p["run_cnt"]))'
sysctl -qw kernel.bpf_stats_enabled="$stats0" 2>/dev/null || true
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
a=$(median "$tmp/a") b=$(median "$tmp/b") c=$(median "$tmp/c")
printf '(a) no programs        %6d ns/connect (median; all: %s)\n' "$a" "$(paste -sd' ' "$tmp/a")"
printf '(b) netacl, 1M entries %6d ns/connect (median; all: %s)\n' "$b" "$(paste -sd' ' "$tmp/b")"
printf '(c) nftables, 1M set   %6d ns/connect (median; all: %s)\n' "$c" "$(paste -sd' ' "$tmp/c")"
printf 'nft -f of the same set: %.2f s\n' "$t_nft"
awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
  printf "ratio: netacl / no programs = %.3f (goal <= 1.02)\n", b / a
  printf "ratio: nftables / no programs = %.3f\n", c / a
  printf "ratio: netacl / nftables = %.3f (goal <= 1)\n", b / c }'
