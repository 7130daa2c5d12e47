#!/usr/bin/env bash
# Cost per verdict, as the kernel measures it (bpf_stats): netacl's
# connect4/connect6 and bind4/bind6 programs on every path, against
# programs that only return 1 (the floor), measured in the same run.  A UDP
# connect() runs the hook and sends nothing, a bind() of a bound socket runs
# it and binds nothing; a TCP connect to a port where nothing listens (the
# limits' paths) runs it and is reset; everything happens in a private
# network namespace.  Then what a TCP connection costs the two programs
# that give its count back (sockops, sock_release).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
NETACL=${NETACL:-$root/netacl}
N=${BENCH_VERDICTS:-200000} ROUNDS=${BENCH_ROUNDS:-3} NTCP=${BENCH_TCP:-50000}
if [ "$(id -u)" != 0 ]; then echo "== verdicts: needs root, skipped"; exit 0; fi
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
tmp=$(mktemp -d) PIN=/sys/fs/bpf/netacl-bench-floor
stats0=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)
TARGETS="paths small trie star starex plain cap rate limits capped rated"
cleanup() {
  for t in $TARGETS; do "$NETACL" unload --target bench-$t >/dev/null 2>&1 || true; done
  for p in connect4 connect6 bind4 bind6; do
    bpftool cgroup detach "$CG2/netacl-bench-floor" $p pinned "$PIN/floor_$p" 2>/dev/null || true
  done
  rm -rf "$PIN"
  for c in floor $TARGETS; do rmdir "$CG2/netacl-bench-$c" 2>/dev/null || true; done
  sysctl -qw kernel.bpf_stats_enabled="$stats0" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cc -O2 -o "$tmp/loop" "$root/tests/bench/verdict_loop.c"
clang -O2 -g -target bpf -idirafter "/usr/include/$(clang -print-multiarch)" -c -o "$tmp/floor.o" "$root/tests/bench/floor.bpf.c"
mkdir -p "$CG2/netacl-bench-floor"
bpftool prog loadall "$tmp/floor.o" "$PIN"
for p in connect4 connect6 bind4 bind6; do bpftool cgroup attach "$CG2/netacl-bench-floor" $p pinned "$PIN/floor_$p"; done

# 1,000,000 addresses behind one name: 999,744 global ones, 127.0.0.2 among
# them, and every other address of 127.0.3.0-127.0.4.255 (256), which the
# table4 rows judge in turn: each address's cost depends on where the
# load's random seed put it, so one address would measure one draw
python3 "$root/tests/bench/gen_big.py" 999744 bench-paths 127.0.0.2 "$tmp/addrs" > /dev/null
python3 -c 'print("\n".join("127.0.%d.%d" % (3 + i // 128, i % 128 * 2) for i in range(256)))' >> "$tmp/addrs"
awk '{ print $1, "many.bench.example" }' "$tmp/addrs" > "$tmp/hosts"
# a policy of the common size: 256 addresses of names (every other one
# of 127.0.5.0-127.0.6.255), a /16, 40 IPv6 addresses and a /48
python3 -c 'print("\n".join("127.0.%d.%d some.bench.example" % (5 + i // 128, i % 128 * 2) for i in range(256)))' >> "$tmp/hosts"
cat > "$tmp/p.yaml" <<P
version: 1
acls:
  bench-paths:
    allow: ["many.bench.example:9", "127.0.1.0/24:9", "[::1]:9"]
    bind: ["127.0.0.1:9", "127.0.2.0/24:9", "[::1]:9"]
    private: [loopback]
  bench-small:
    allow: ["some.bench.example:9", "127.9.0.0/16:9", "2001:db8:1::/48",
            $(python3 -c 'print(", ".join("\"[2001:db8::%x]:9\"" % (2 * i) for i in range(1, 41)))')]
    private: [loopback]
  bench-trie:
    allow: ["127.0.0.0/16:9", "127.2.0.0/16:9", "127.4.0.0/16:9", "127.6.0.0/16:9", "127.8.0.0/16:9",
            "127.10.0.0/16:9", "127.12.0.0/16:9", "127.14.0.0/16:9", "127.16.0.0/16:9", "[::1]:9"]
  bench-star:
    allow: ["*:9"]
  bench-starex:
    allow: ["*:9"]
    private: [loopback]
  bench-plain:
    allow: ["127.0.0.1:9-10", "[::1]:9-10"]
  bench-cap:
    allow: ["127.0.0.1:9-10", "[::1]:9-10"]
    max_connections: 1000000
  bench-rate:
    allow: ["127.0.0.1:9-10", "[::1]:9-10"]
    max_connect_rate: 1000000/s
  bench-limits:
    allow: ["127.0.0.1:9-10", "[::1]:9-10"]
    max_connections: 1000000
    max_connect_rate: 1000000/s
  bench-capped:
    allow: ["127.0.0.1:9-10", "[::1]:9-10"]
    max_connections: 1
  bench-rated:
    allow: ["127.0.0.1:9-10", "[::1]:9-10"]
    max_connect_rate: 1/s
P
for t in $TARGETS; do
  "$NETACL" load "$tmp/p.yaml" --target bench-$t --cgroup netacl-bench-$t --offline \
    --hosts-file "$tmp/hosts" --max-addrs 1000000 >/dev/null
done
sysctl -qw kernel.bpf_stats_enabled=1

prog_id() { # CGROUP TYPE (connect4, connect6, bind4, bind6)
  bpftool cgroup show "$1" -j | python3 -c "import json,sys; t = sys.argv[1]; print([p['id'] for p in json.load(sys.stdin) if p['attach_type'] == 'cgroup_inet' + t[-1] + '_' + t[:-1]][0])" "$2"
}
stat_of() { bpftool prog show id "$1" -j | python3 -c 'import json,sys; p = json.load(sys.stdin); print(p.get("run_time_ns", 0), p.get("run_cnt", 0))'; }
once() { # CGROUP TYPE ADDR [HOW]: ns per run of the program
  local id s0 c0 s1 c1 how=${4:-${2%[46]}} n=$N
  case $how in tcp*) n=$NTCP ;; esac
  id=$(prog_id "$1" "$2"); read -r s0 c0 <<<"$(stat_of "$id")"
  unshare -n sh -c "ip link set lo up; ip addr add 93.184.216.34/32 dev lo; \"$tmp/loop\" \"$1\" \"$3\" 9 $n $how"
  read -r s1 c1 <<<"$(stat_of "$id")"
  echo $(( (s1 - s0) / (c1 - c0) ))
}
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "== verdicts: ns per run of the connect or bind program (bpf_stats, warm, median of $ROUNDS x $N)"
printf '%-44s %8s %8s %6s\n' path netacl floor ratio
worst=0 worst_addr=0 nline=0
while IFS='|' read -r what tgt type addr how; do
  nline=$((nline + 1))
  a="" f=""
  for r in $(seq "$ROUNDS"); do
    f+=" $(once "$CG2/netacl-bench-floor" "$type" "$addr" "$how")"
    a+=" $(once "$CG2/netacl-bench-$tgt" "$type" "$addr" "$how")"
  done
  a=$(median <<<"${a# }") f=$(median <<<"${f# }")
  ratio=$(awk -v a="$a" -v f="$f" 'BEGIN { printf "%.2f", a / f }')
  worst=$(awk -v w="$worst" -v r="$ratio" 'BEGIN { print (r > w ? r : w) }')
  # the first seventeen: the address paths issue 16's goal names
  [ "$nline" -le 17 ] && worst_addr=$(awk -v w="$worst_addr" -v r="$ratio" 'BEGIN { print (r > w ? r : w) }')
  printf '%-44s %8d %8d %6s\n' "$what" "$a" "$f" "$ratio"
done <<'PATHS'
v4 exact, allowed (1M addresses: table4)|paths|connect4|127.0.3.0..127.0.4.254%2
v4 prefix, allowed (a /24 beside table4)|paths|connect4|127.0.1.0..127.0.1.255
v4 denied (table4)|paths|connect4|127.0.3.1..127.0.4.255%2
v6 exact, allowed|paths|connect6|::1
v4-mapped, allowed (table4)|paths|connect6|::ffff:127.0.3.0..::ffff:127.0.4.254%2
v6 denied|paths|connect6|::2
* allowed, no exemptions|star|connect4|93.184.216.34
* denied by the table|star|connect4|10.0.0.1
* v6, ::1 exempted by private: [loopback]|starex|connect6|::1
v4 prefix, allowed (9 /16s: the trie)|trie|connect4|127.0.0.5..127.16.0.5%131072
v4 denied (9 /16s: the trie)|trie|connect4|127.1.0.5..127.15.0.5%131072
v4 exact, allowed (256 addresses: range4)|small|connect4|127.0.5.0..127.0.6.254%2
v4 prefix, allowed (a /16 beside them)|small|connect4|127.9.0.0..127.9.255.0%256
v4 denied (between them)|small|connect4|127.0.5.1..127.0.6.255%2
v6 exact, allowed (40 addresses: range6)|small|connect6|2001:db8::2..2001:db8::50%2
v6 prefix, allowed (a /48 beside them)|small|connect6|2001:db8:1::1..2001:db8:1::ff01%256
v6 denied (between them)|small|connect6|2001:db8::3..2001:db8::51%2
bind v4, allowed (one address)|paths|bind4|127.0.0.1
bind v4, allowed (a prefix)|paths|bind4|127.0.2.7
bind v4, denied|paths|bind4|127.0.0.3
bind v6, allowed|paths|bind6|::1
bind v4-mapped, denied|paths|bind6|::ffff:127.0.0.3
TCP v4, no limits|plain|connect4|127.0.0.1|tcp
TCP v4, max_connections, under it (counted)|cap|connect4|127.0.0.1|tcp
TCP v4, max_connect_rate, under it|rate|connect4|127.0.0.1|tcp
TCP v4, max_connections and rate, under both|limits|connect4|127.0.0.1|tcp
TCP v6, max_connections and rate, under both|limits|connect6|::1|tcp
TCP v4, over max_connections (EMFILE)|capped|connect4|127.0.0.1|tcphold
TCP v4, over max_connect_rate (EMFILE)|rated|connect4|127.0.0.1|tcp
UDP v4, limits set (UDP is not counted)|limits|connect4|127.0.0.1|connect
PATHS
echo "(a target without bind: has no bind programs, one without limits no sockops and sock_release: nothing runs)"
echo "ratio: the worst address path (the first seventeen) is ${worst_addr}x the floor (goal <= 2)"
echo "ratio: the worst path of all (bind, and the limits' socket storage) is ${worst}x the floor"

# The count's way back: the sockops program runs at a few TCP events of
# every socket, and at each state change of a counted one (STATE_CB on),
# sock_release at each close.  ns per TCP connection (connect, reset,
# close), over NTCP connects, with a cap (counted) and without.
per_conn() { # TARGET TYPE: "ns-per-connection runs-per-connection"
  local id s0 c0 s1 c1
  id=$(bpftool cgroup show "$CG2/netacl-bench-$1" -j | python3 -c "import json,sys; print([p['id'] for p in json.load(sys.stdin) if p['attach_type'] == sys.argv[1]][0])" "$2")
  read -r s0 c0 <<<"$(stat_of "$id")"
  unshare -n sh -c "ip link set lo up; \"$tmp/loop\" \"$CG2/netacl-bench-$1\" 127.0.0.1 9 $NTCP tcp"
  read -r s1 c1 <<<"$(stat_of "$id")"
  awk -v s=$((s1 - s0)) -v c=$((c1 - c0)) -v n="$NTCP" 'BEGIN { printf "%d %.1f", s / n, c / n }'
}
echo
echo "== per TCP connection: the programs that give the count back (bpf_stats, median of $ROUNDS x $NTCP)"
printf '%-44s %8s %8s\n' program "ns/conn" "runs"
for p in cgroup_sock_ops cgroup_inet_sock_release; do
  v=""
  for r in $(seq "$ROUNDS"); do v+=" $(per_conn cap $p | tr ' ' ,)"; done
  m=$(tr ' ' '\n' <<<"${v# }" | sort -t, -n | awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }')
  printf '%-44s %8s %8s\n' "$p, max_connections" "${m%,*}" "${m#*,}"
done
echo "(a target without limits has neither program: 0 ns a connection)"
