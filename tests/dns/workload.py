#!/usr/bin/python3
"""What a workload does with DNS, for the live-DNS kernel tests.

  workload.py rounds N NAME [4|6|any]   resolve NAME and connect to port 80 at once,
                                       N times: "rounds=N refused=R failed=F"
  workload.py resolve NAME             the addresses, or "error: ..."
  workload.py connect ADDR [PORT]      "ok" or the errno name (port 80 by default)
  workload.py raw SERVER NAME [A|AAAA] one query on an unconnected UDP socket to
                                       SERVER:53: "from ADDR:PORT rcode=R ADDR..."
"""
import errno, socket, sys
from dnslib import DNSRecord, QTYPE, RCODE

def connect(addr, family, port=80):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((addr, port))
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e))
    finally:
        s.close()

cmd = sys.argv[1]
if cmd == "rounds":
    n, name = int(sys.argv[2]), sys.argv[3]
    fam = {"4": socket.AF_INET, "6": socket.AF_INET6}.get(sys.argv[4] if len(sys.argv) > 4 else "4", 0)
    refused = failed = 0
    for i in range(n):
        try:
            ai = socket.getaddrinfo(name, 80, fam, socket.SOCK_STREAM)
        except OSError as e:
            failed += 1
            print(f"round {i}: resolve: {e}", file=sys.stderr)
            continue
        r = connect(ai[0][4][0], ai[0][0])
        if r == "EPERM":
            refused += 1
            print(f"round {i}: {ai[0][4][0]} refused", file=sys.stderr)
        elif r != "ok":
            failed += 1
            print(f"round {i}: {ai[0][4][0]}: {r}", file=sys.stderr)
    print(f"rounds={n} refused={refused} failed={failed}")
elif cmd == "resolve":
    try:
        print(" ".join(sorted({a[4][0] for a in socket.getaddrinfo(sys.argv[2], 80, 0, socket.SOCK_STREAM)})))
    except OSError as e:
        print(f"error: {e}")
elif cmd == "connect":
    a = sys.argv[2]
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 80
    print(connect(a, socket.AF_INET6 if ":" in a else socket.AF_INET, port))
elif cmd == "raw":
    server, name = sys.argv[2], sys.argv[3]
    qtype = sys.argv[4] if len(sys.argv) > 4 else "A"
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(5)
    q = DNSRecord.question(name, qtype)
    try:
        s.sendto(q.pack(), (server, 53))
        data, src = s.recvfrom(4096)
    except OSError as e:
        print("error:", errno.errorcode.get(e.errno, str(e)) if e.errno else e)
        sys.exit(0)
    r = DNSRecord.parse(data)
    ok = "id-ok" if r.header.id == q.header.id else "id-wrong"
    print(f"from {src[0]}:{src[1]} {ok} rcode={RCODE[r.header.rcode]}",
          *sorted(str(rr.rdata) for rr in r.rr if rr.rtype in (QTYPE.A, QTYPE.AAAA)))
