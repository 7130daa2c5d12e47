#!/usr/bin/env bash
# Live DNS benchmark (part of make bench).  Loopback only: unbound serves
# N synthetic names from local-data on 127.0.0.79:53 and refuses the rest.
# Measured in one run, dnsperf with the same query file and settings:
#   straight to unbound;
#   from inside a dns: admit cgroup through netacl's forwarder (every name
#     allowed, every answer admitted: a kernel map write per address);
#   the same, with answers the special-purpose table refuses (nothing
#     admitted): the difference is the cost of admission.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/bench/unbound.sh"
NETACL=${NETACL:-$root/netacl}
N=${BENCH_LIVE_DNS_NAMES:-20000}
SECS=${BENCH_LIVE_DNS_SECONDS:-10}
IP=127.0.0.79
for tool in unbound dnsperf; do
  command -v $tool >/dev/null || { echo "live DNS bench: $tool not installed (apt-get install unbound dnsperf)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "live DNS bench: needs root"; exit 0; }
tmp=$(mktemp -d)
pids=()
# a pin root of its own: the host's targets are not the bench's business
export NETACL_PIN_ROOT=/sys/fs/bpf/netacl-bench-$$
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"; rmdir "$NETACL_PIN_ROOT" 2>/dev/null || true
}
trap cleanup EXIT

{
  unbound_conf $IP "$tmp" pub.bench.test priv.bench.test
  for i in $(seq 1 "$N"); do
    printf '  local-data: "n%d.pub.bench.test. 300 IN A 44.%d.%d.%d"\n' $i $((i / 65536 % 256)) $((i / 256 % 256)) $((i % 256))
    printf '  local-data: "n%d.priv.bench.test. 300 IN A 10.%d.%d.%d"\n' $i $((i / 65536 % 256)) $((i / 256 % 256)) $((i % 256))
  done
} > "$tmp/unbound.conf"
unbound -c "$tmp/unbound.conf" & pids+=($!)
for _ in $(seq 100); do
  dnsperf -s $IP -d <(echo "n1.pub.bench.test A") -n 1 2>/dev/null | grep -q "Queries completed: *1 " && break
  sleep 0.1
done
seq -f "n%g.pub.bench.test A" 1 "$N" > "$tmp/pub.in"
seq -f "n%g.priv.bench.test A" 1 "$N" > "$tmp/priv.in"
cat > "$tmp/p.yaml" <<Y
version: 1
acls:
  bench:
    dns: admit
    allow: ["*.bench.test"]
Y

# dnsperf OUTSTANDING SERVER FILE [run prefix...]: "QPS LATENCY_MS"
perf() {
  local q=$1 server=$2 file=$3; shift 3
  "$@" dnsperf -s "$server" -p 53 -d "$file" -l "$SECS" -q "$q" -t 2 2>/dev/null |
    awk '/Queries per second/ { q = $4 } /Average Latency/ { l = $4 * 1000 } END { printf "%d %.3f\n", q, l }'
}
# median SERVER FILE [run prefix...]: the median latency in ms, one query
# at a time (dnsperf -v reports each query's)
median() {
  local server=$1 file=$2; shift 2
  "$@" dnsperf -s "$server" -p 53 -d "$file" -l "$SECS" -q 1 -t 2 -v 2>/dev/null |
    awk '/^> NOERROR/ { print $NF * 1000 }' | sort -n |
    awk '{ v[NR] = $1 } END { printf "%.3f %d\n", NR ? v[int((NR + 1) / 2)] : 0, NR }'
}
through() {
  "$NETACL" run "$tmp/p.yaml" --target bench --offline --resolver $IP:53 \
    --dns-max-total 65536 --dns-max-per-name 64 -- "$@" 2>>"$tmp/run.err"
}

echo "== live DNS: dnsperf, $SECS s each, $N names, unbound on $IP:53"
echo "-- throughput: 100 queries outstanding"
read -r q0 l0 < <(perf 100 $IP "$tmp/pub.in")
echo "straight to unbound:          $q0 queries/s"
read -r q1 l1 < <(perf 100 192.0.2.53 "$tmp/pub.in" through)
echo "through the forwarder:        $q1 queries/s (each answer admitted)"
read -r q2 l2 < <(perf 100 192.0.2.53 "$tmp/priv.in" through)
echo "the same, nothing admitted:   $q2 queries/s (answers refused by the table)"
echo "-- latency: one query at a time"
read -r m0 n0 < <(median $IP "$tmp/pub.in")
echo "straight to unbound:          median $m0 ms ($n0 queries)"
read -r m1 n1 < <(median 192.0.2.53 "$tmp/pub.in" through)
echo "through the forwarder:        median $m1 ms ($n1 queries)"
awk -v q0="$q0" -v q1="$q1" -v q2="$q2" -v m0="$m0" -v m1="$m1" 'BEGIN {
  printf "ratio: %.0f%% of the direct queries per second (goal: at least 50%%)\n", 100 * q1 / q0
  printf "added median latency: %.3f ms per query, one outstanding (goal: under 0.2 ms)\n", m1 - m0
  if (q1 > 0 && q2 > 0)
    printf "admission: %.1f us per address (1/rate admitted - 1/rate not admitted, one address per answer)\n", 1e6 * (1 / q1 - 1 / q2)
}'
grep -v "^netacl: loaded\|not admitted" "$tmp/run.err" | head -5 || true
