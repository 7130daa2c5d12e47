#!/usr/bin/env bash
# DNS benchmark (part of make bench).  Loopback only: unbound serves N
# synthetic names (A+AAAA) from local-data on 127.0.0.77:53 and refuses
# everything else, so nothing ever leaves the machine.  Measured in one run:
#   netacl compile naming all of them (c-ares, concurrent)
#   a sequential getaddrinfo loop (in a private mount namespace whose
#     /etc/resolv.conf points at the server)
#   adnshost --asynch --pipe
#   dnsperf against the same server: the server's own ceiling
# then the same with the server answering DELAY ms late: unbound behind
# tests/bench/delayproxy.c, which holds every answer (netem is not here).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/bench/unbound.sh"
NETACL=${NETACL:-$root/netacl}
N=${BENCH_DNS_NAMES:-20000}
NLAT=${BENCH_DNS_LATENCY_NAMES:-2000}
DELAY=${BENCH_DNS_DELAY_MS:-5}
IP=127.0.0.77 LIP=127.0.0.78
for tool in unbound dnsperf adnshost unshare; do
  command -v $tool >/dev/null || { echo "dns bench: $tool not installed (apt-get install unbound dnsperf adns-tools)"; exit 0; }
done
[ "$(id -u)" = 0 ] || { echo "dns bench: needs root (port 53, mount namespace)"; exit 0; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

cc -O2 -o "$tmp/gai" "$root/tests/bench/gai_loop.c"
cc -O2 -o "$tmp/delayproxy" "$root/tests/bench/delayproxy.c"
seq -f "n%06g.bench.test" 1 "$N" > "$tmp/names"
{
  unbound_conf $IP "$tmp" bench.test
  awk '{ i = NR; printf "  local-data: \"%s. 300 IN A 44.%d.%d.%d\"\n  local-data: \"%s. 300 IN AAAA 2a00:1:%x::%x\"\n", $1, int(i/65536)%256, int(i/256)%256, i%256, $1, int(i/65536), i%65536 }' "$tmp/names"
} > "$tmp/unbound.conf"
unbound -c "$tmp/unbound.conf" & pids+=($!)
for _ in $(seq 100); do dig +short +time=1 @$IP n000001.bench.test A >/dev/null 2>&1 && break; sleep 0.1; done 2>/dev/null || sleep 2

{ echo "version: 1"; echo "acls:"; echo "  all:"; echo "    allow:"; sed 's/^/      - /' "$tmp/names"; } > "$tmp/p.yaml"
printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$IP" > "$tmp/resolv.conf"

secs() { local t0=$(date +%s%N); "$@"; echo "scale=3; ($(date +%s%N) - $t0) / 1000000000" | bc; }
gai() { unshare -m sh -c "mount --bind '$1' /etc/resolv.conf && '$tmp/gai' < '$2'"; }

echo "== DNS: $N names, A + AAAA ($((2 * N)) queries), unbound on $IP:53"
t_netacl=$(secs "$NETACL" compile "$tmp/p.yaml" --resolver $IP:53 --timeout 60000 -o "$tmp/out.json" 2>"$tmp/netacl.err" | tail -1)
res=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["targets"]["all"]; print(len(t["allow"]), len(t["unresolved"]))' "$tmp/out.json")
echo "netacl compile:     ${t_netacl} s  (allow entries, unresolved: $res)"
t_gai=$(secs gai "$tmp/resolv.conf" "$tmp/names" 2>"$tmp/gai.err" | tail -1)
echo "getaddrinfo loop:   ${t_gai} s  ($(cat "$tmp/gai.err"))"
# How many datagrams adnshost sent for its queries, in an untimed run
# under strace: adns sends every query at once and resends one that is
# unanswered after 2 s (up to 15 times), so a server that drops part of a
# burst costs it whole seconds; its time above includes those waits.
adns_sends() { # SERVER NAMES QUERIES
  command -v strace >/dev/null || { echo "  (adnshost's resends: strace not installed)"; return; }
  local sent=0 n
  for t in a aaaa; do
    strace -f -c -e trace=sendto -o "$tmp/adns.st" adnshost --asynch --config "nameserver $1" -t $t --pipe < "$2" > /dev/null 2>&1 || true
    n=$(awk '$NF == "sendto" { print $4 }' "$tmp/adns.st"); sent=$((sent + ${n:-0}))
  done
  echo "  a second run, under strace: adnshost sent $sent datagrams for $3 queries, $((sent - $3)) of them resends after its 2 s timeout"
}
# adnshost takes one query type per run: A, then AAAA
adns() { adnshost --asynch --config "nameserver $1" -t a --pipe < "$2" > "$tmp/adns.out" 2>&1 &&
         adnshost --asynch --config "nameserver $1" -t aaaa --pipe < "$2" >> "$tmp/adns.out" 2>&1; }
t_adns=$(secs adns $IP "$tmp/names" | tail -1)
echo "adnshost --asynch:  ${t_adns} s  ($(grep -c ' ok ' "$tmp/adns.out" || true) of $((2 * N)) queries ok)"
adns_sends $IP "$tmp/names" $((2 * N))
awk '{ print $1 " A"; print $1 " AAAA" }' "$tmp/names" > "$tmp/perf.in"
# the server's ceiling: the better of dnsperf with one client and with
# four (one client alone leaves unbound short of its rate)
perf_qps() { dnsperf -s $IP -p 53 -d "$tmp/perf.in" -n 1 -q 4096 "$@" 2>/dev/null | awk '/Queries per second/ { printf "%d", $4 }'; }
q1=$(perf_qps -c 1) q4=$(perf_qps -c 4 -T 2)
qps_perf=$(( q1 > q4 ? q1 : q4 ))
qps_netacl=$(echo "scale=0; 2 * $N / $t_netacl" | bc)
echo "dnsperf:            ${q1} queries/s with 1 client, ${q4} with 4 (the ceiling: ${qps_perf});  netacl: ${qps_netacl} queries/s"
echo "ratios: netacl vs getaddrinfo $(echo "scale=1; $t_gai / $t_netacl" | bc)x faster; vs adnshost $(echo "scale=2; $t_adns / $t_netacl" | bc)x; $(echo "scale=0; 100 * $qps_netacl / $qps_perf" | bc)% of dnsperf's rate"

echo
echo "== DNS with latency: $NLAT names, unbound answering ${DELAY} ms late via $LIP:53"
head -n "$NLAT" "$tmp/names" > "$tmp/lnames"
"$tmp/delayproxy" $LIP 53 $IP 53 "$DELAY" & pids+=($!)
sleep 0.2
{ echo "version: 1"; echo "acls:"; echo "  all:"; echo "    allow:"; sed 's/^/      - /' "$tmp/lnames"; } > "$tmp/lp.yaml"
printf 'nameserver %s\noptions attempts:1 timeout:2\n' "$LIP" > "$tmp/lresolv.conf"
t_netacl=$(secs "$NETACL" compile "$tmp/lp.yaml" --resolver $LIP:53 --timeout 60000 -o "$tmp/lout.json" 2>/dev/null | tail -1)
echo "netacl compile:     ${t_netacl} s  ($(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["targets"]["all"]["allow"]))' "$tmp/lout.json") allow entries)"
t_gai=$(secs gai "$tmp/lresolv.conf" "$tmp/lnames" 2>"$tmp/gai.err" | tail -1)
echo "getaddrinfo loop:   ${t_gai} s  ($(cat "$tmp/gai.err"))"
t_adns=$(secs adns $LIP "$tmp/lnames" | tail -1)
echo "adnshost --asynch:  ${t_adns} s  ($(grep -c ' ok ' "$tmp/adns.out" || true) of $((2 * NLAT)) queries ok)"
adns_sends $LIP "$tmp/lnames" $((2 * NLAT))
echo "ratios: netacl vs getaddrinfo $(echo "scale=1; $t_gai / $t_netacl" | bc)x faster; vs adnshost $(echo "scale=2; $t_adns / $t_netacl" | bc)x"
