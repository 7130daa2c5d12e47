#!/usr/bin/python3
"""A fake DNS server for netacl's tests: 127.0.0.1, a random port, UDP and
TCP, answers chosen by the first label of the query name.  Never forwards.

  fakedns.py --port-file F [--log QUERYLOG] [--delay-ms N] [--port-log F] [--raw-log F]

Writes the port to F once listening.  Each query is logged as
"TRANSPORT QTYPE NAME".
"""
import argparse, asyncio, os, socket, struct
from dnslib import DNSRecord, RR, QTYPE, RCODE, A, AAAA, CNAME

ap = argparse.ArgumentParser()
ap.add_argument("--port-file", required=True)
ap.add_argument("--log")
ap.add_argument("--delay-ms", type=int, default=0)
ap.add_argument("--port-log", help="the source port of each UDP query, a line each")
ap.add_argument("--raw-log", help="every message received, as it came (binary)")
ap.add_argument("--zone", help="file of 'NAME A|AAAA ADDRESS TTL' lines, read at every query")
ap.add_argument("--listen", help="IP:PORT on loopback (default 127.0.0.1, a random port)")
args = ap.parse_args()
def log(transport, q):
    if args.log:
        with open(args.log, "a") as f:
            f.write(f"{transport} {QTYPE[q.qtype]} {str(q.qname).rstrip('.').lower()}\n")


def addr_rr(name, qtype, value, ttl=300):
    if qtype == QTYPE.A:
        return RR(name, qtype, rdata=A(value), ttl=ttl)
    # via inet_pton: dnslib cannot parse "::ffff:a.b.c.d" itself
    return RR(name, qtype, rdata=AAAA(list(socket.inet_pton(socket.AF_INET6, value))), ttl=ttl)


ROTATE = [0]
MIXED_A = ["93.184.216.70", "10.0.0.7", "127.0.0.1", "169.254.169.254"]
MIXED_AAAA = ["2606:2800:220::7", "::1", "::ffff:10.0.0.8", "64:ff9b::a00:9", "::ffff:93.184.216.71"]


def from_zone(name, qtype):
    """The --zone records for name and qtype, or None if the zone lacks the name."""
    if not args.zone:
        return None
    found = None
    with open(args.zone) as f:
        for line in f:
            n, t, value, ttl = line.split()
            if n.rstrip(".").lower() != name.rstrip(".").lower():
                continue
            found = found or []
            if getattr(QTYPE, t) == qtype:
                found.append(addr_rr(name, qtype, value, ttl=int(ttl)))
    return found


def answer(req, transport):
    """The reply (a DNSRecord), or None for no reply."""
    q = req.q
    name = str(q.qname)
    first = name.split(".")[0].lower()
    reply = req.reply()
    zone = from_zone(name, q.qtype)
    if zone is not None:
        for rr in zone:
            reply.add_answer(rr)
        return reply
    if first == "silent":
        return None
    if first == "nx":
        reply.header.rcode = RCODE.NXDOMAIN
    elif first == "servfail":
        reply.header.rcode = RCODE.SERVFAIL
    elif first == "refused":
        reply.header.rcode = RCODE.REFUSED
    elif first == "nodata":
        pass
    elif first == "wrongid":
        reply.add_answer(addr_rr(name, QTYPE.A, "93.184.216.99"))
        reply.header.id = (req.header.id + 1) & 0xFFFF
    elif first == "wrongq":
        # the right ID, another question: a spoof that guessed the ID
        reply = DNSRecord.question("other." + name, QTYPE[q.qtype]).reply()
        reply.header.id = req.header.id
        if q.qtype == QTYPE.A:
            reply.add_answer(addr_rr("other." + name, QTYPE.A, "93.184.216.98"))
    elif first == "tc" and transport == "udp":
        reply.header.tc = 1
    elif first == "tc":
        if q.qtype == QTYPE.A:
            reply.add_answer(addr_rr(name, QTYPE.A, "93.184.216.50"))
    elif first == "chain":
        c1, c2 = "c1." + name, "c2." + name
        reply.add_answer(RR(name, QTYPE.CNAME, rdata=CNAME(c1), ttl=300))
        reply.add_answer(RR(c1, QTYPE.CNAME, rdata=CNAME(c2), ttl=60))
        if q.qtype == QTYPE.A:
            reply.add_answer(addr_rr(c2, QTYPE.A, "93.184.216.60", ttl=600))
        else:
            reply.add_answer(addr_rr(c2, QTYPE.AAAA, "2606:2800:220::60", ttl=900))
    elif first == "loop":
        other = "loop2." + name
        reply.add_answer(RR(name, QTYPE.CNAME, rdata=CNAME(other), ttl=300))
        reply.add_answer(RR(other, QTYPE.CNAME, rdata=CNAME(name), ttl=300))
    elif first == "big":
        if q.qtype == QTYPE.A:
            for i in range(420):
                reply.add_answer(addr_rr(name, QTYPE.A, f"44.0.{i // 256}.{i % 256}"))
    elif first == "mixed":
        for v in (MIXED_A if q.qtype == QTYPE.A else MIXED_AAAA if q.qtype == QTYPE.AAAA else []):
            reply.add_answer(addr_rr(name, q.qtype, v))
    elif first == "v4only":
        if q.qtype == QTYPE.A:
            reply.add_answer(addr_rr(name, QTYPE.A, "93.184.216.80"))
    elif first == "v6only":
        if q.qtype == QTYPE.AAAA:
            reply.add_answer(addr_rr(name, QTYPE.AAAA, "2606:2800:220::80"))
    elif first == "rotate":
        # a new address on every query, TTL 1: a CDN at its most restless
        ROTATE[0] += 1
        c = ROTATE[0]
        if q.qtype == QTYPE.A:
            reply.add_answer(addr_rr(name, QTYPE.A, f"93.184.{c // 250 % 250 + 1}.{c % 250 + 1}", ttl=1))
        elif q.qtype == QTYPE.AAAA:
            reply.add_answer(addr_rr(name, QTYPE.AAAA, f"2606:2800:1::{c:x}", ttl=1))
    elif first == "rebind":
        reply.add_answer(addr_rr(name, QTYPE.A, "192.168.1.10", ttl=1) if q.qtype == QTYPE.A
                         else addr_rr(name, QTYPE.AAAA, "fd00::10", ttl=1))
    else:
        # any other name: one public address per family, from a hash of the name
        h = sum(name.encode()) % 250 + 1
        if q.qtype == QTYPE.A:
            reply.add_answer(addr_rr(name, QTYPE.A, f"93.184.{h}.{len(name) % 250 + 1}"))
        elif q.qtype == QTYPE.AAAA:
            reply.add_answer(addr_rr(name, QTYPE.AAAA, f"2606:2800:{h:x}::{len(name):x}"))
    return reply


def handle(data, transport):
    if args.raw_log:
        with open(args.raw_log, "ab") as f:
            f.write(data)
    try:
        req = DNSRecord.parse(data)
    except Exception:
        return None
    log(transport, req.q)
    reply = answer(req, transport)
    return None if reply is None else reply.pack()


def udp_limit(data):
    """The reply size the client accepts over UDP: 512, or its EDNS size."""
    try:
        for rr in DNSRecord.parse(data).ar:
            if rr.rtype == QTYPE.OPT:
                return max(512, rr.rclass)
    except Exception:
        pass
    return 512


class UDP(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if args.port_log:
            with open(args.port_log, "a") as f:
                f.write(f"{addr[1]}\n")
        out = handle(data, "udp")
        if out is None:
            return
        if len(out) > udp_limit(data):
            r = DNSRecord.parse(out)
            r.rr = []
            r.header.tc = 1
            out = r.pack()
        # the delay is a timer, not a sleeping thread: thousands can wait
        loop.call_later(args.delay_ms / 1000, self.transport.sendto, out, addr)


async def tcp_client(reader, writer):
    try:
        while True:
            (n,) = struct.unpack("!H", await reader.readexactly(2))
            out = handle(await reader.readexactly(n), "tcp")
            if out is not None:
                await asyncio.sleep(args.delay_ms / 1000)
                writer.write(struct.pack("!H", len(out)) + out)
                await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main():
    host, want = "127.0.0.1", 0
    if args.listen:
        host, want = args.listen.rsplit(":", 1)
        want = int(want)
        assert host.startswith("127."), "loopback only"
    # one port for both transports: bind UDP first, then TCP on that number
    while True:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # a burst of thousands of queries must queue, not drop
        for opt in (33, socket.SO_RCVBUF):  # SO_RCVBUFFORCE as root
            try:
                sock.setsockopt(socket.SOL_SOCKET, opt, 16 << 20)
                break
            except OSError:
                pass
        sock.bind((host, want))
        port = sock.getsockname()[1]
        try:
            server = await asyncio.start_server(tcp_client, host, port, reuse_address=True)
            break
        except OSError:
            sock.close()
            if want:
                raise
    await loop.create_datagram_endpoint(UDP, sock=sock)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    async with server:
        await server.serve_forever()


loop = asyncio.new_event_loop()
loop.run_until_complete(main())
