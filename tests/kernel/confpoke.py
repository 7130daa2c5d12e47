#!/usr/bin/env python3
"""confpoke PIN_DIR OFFSET HEX [MAP]: write bytes HEX at OFFSET of the
live generation's value in MAP (conf, or ex: bpf/netacl-api.h), as a
bug in the loader would: the kernel tests check that inspect notices.

confpoke --conf-size N PIN_DIR: put a conf map of N bytes a value in
place of the target's conf pin, each slot's value copied (cut, or zero
past it): 8, as the netacl before conf's copies made it (flags and
star); more, as a newer one might.  The attached programs keep reading
the map they were loaded with: only a repair, which loads programs on
the pins, reads it.

confpoke --table4-8 PIN_DIR: put a table4 of the older layout (8 bytes
a slot, bpf/netacl-api.h) in place of the target's table4 pin, the live
generation's addresses in its slot, with the same n and seed, as the
netacl before the 4-byte slots made it.  A generation whose addresses
are in exact4 (more port sets than the 4-byte slots hold) gets them in
the 8-byte table instead, a fresh n and seed, and conf (offset 152:
t4_n, t4_seed) and flags say so, exact4 emptied: as that netacl, which
had no limit on port sets, loaded them.

Raw bpf(2) calls."""
import ctypes, os, struct, sys

MAP_CREATE, LOOKUP, UPDATE, OBJ_PIN, OBJ_GET, OBJ_GET_INFO_BY_FD = 0, 1, 2, 6, 7, 15
ARRAY, ARRAY_OF_MAPS, F_INNER_MAP = 2, 12, 1 << 12
CHUNK, H1, H1_INV, H2, EMPTY8 = 4096, 0x9e3779b1, 0x0e8b2f51, 0x85ebca77, 0xffffffff
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR_BPF = 321  # x86_64


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(NR_BPF, cmd, buf, 128)
    if r < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return r


def obj(cmd, path, fd=0):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(cmd, struct.pack("QII", ctypes.addressof(p), fd, 0))


def elem(cmd, fd, key, value):
    k = ctypes.create_string_buffer(key, len(key))
    v = ctypes.create_string_buffer(value, len(value))
    bpf(cmd, struct.pack("I4xQQQ", fd, ctypes.addressof(k), ctypes.addressof(v), 0))
    return v.raw


def info(fd):
    """(value_size, max_entries) of map fd (struct bpf_map_info)"""
    buf = ctypes.create_string_buffer(88)
    bpf(OBJ_GET_INFO_BY_FD, struct.pack("IIQ", fd, 88, ctypes.addressof(buf)))
    return struct.unpack_from("II", buf.raw, 12)


def resize(d, n):
    old = obj(OBJ_GET, d + "/conf")
    size, slots = info(old)
    new = bpf(MAP_CREATE, struct.pack("IIIII", ARRAY, 4, n, slots, 0))
    for s in range(slots):
        key = struct.pack("I", s)
        v = elem(LOOKUP, old, key, bytes(size))
        elem(UPDATE, new, key, (v + bytes(n))[:n])
    obj(OBJ_PIN, d + "/conf+new", new)
    os.rename(d + "/conf+new", d + "/conf")


def table4_entries(t, n, seed):
    """(addr, set) of each slot of the 4-byte layout"""
    out = []
    for k in range(1, n + 1):
        e = struct.unpack_from("<4096I", elem(LOOKUP, t, struct.pack("I", k), bytes(8 + 4 * CHUNK)), 8)
        for i, v in enumerate(e):
            if v == 0xffffffff:
                continue
            home = (i - (v >> 16 & 31)) & (CHUNK - 1)
            lo = (k - 1) << 32 | home << 20 | (v & 0xffff) << 4
            y = -(-lo // n)
            out.append((((y * H1_INV) & 0xffffffff) ^ seed, v >> 21))
    return out


def table8(entries, n, seed):
    """the chunks of the 8-byte layout (Robin Hood, as netacl made them)"""
    chunks = [[(0, EMPTY8)] * CHUNK for _ in range(n + 1)]
    home = lambda a: (((a ^ seed) * H2) & 0xffffffff) >> 20
    for addr, st in entries:
        x = addr ^ seed
        c = chunks[1 + ((((x * H1) & 0xffffffff) * n) >> 32)]
        at, d, item = home(addr), 0, (addr, st)
        for i in range(CHUNK):
            slot = (at + i) & (CHUNK - 1)
            if c[slot][1] == EMPTY8:
                c[slot] = item
                break
            de = (at + i - home(c[slot][0])) & (CHUNK - 1)
            if de < d:
                c[slot], item, d = item, c[slot], de
            d += 1
    return chunks


def inner_of(outer, g):
    inner_id = struct.unpack("I", elem(LOOKUP, outer, g, bytes(4)))[0]
    return bpf(14, struct.pack("I", inner_id))  # BPF_MAP_GET_FD_BY_ID


def hash_entries(m):
    """(addr in host order, set) of an exact4 hash"""
    out, key = [], None
    while True:
        nxt = ctypes.create_string_buffer(4)
        k = ctypes.create_string_buffer(key, 4) if key else None
        try:
            bpf(4, struct.pack("I4xQQ", m, ctypes.addressof(k) if k else 0, ctypes.addressof(nxt)))
        except OSError:
            return out
        key = nxt.raw
        out.append((struct.unpack(">I", key)[0], struct.unpack("I", elem(LOOKUP, m, key, bytes(4)))[0]))


def table4_8(d):
    gen, outer = obj(OBJ_GET, d + "/gen"), obj(OBJ_GET, d + "/table4")
    g = elem(LOOKUP, gen, struct.pack("I", 0), bytes(4))
    t = inner_of(outer, g)
    n, seed = struct.unpack_from("II", elem(LOOKUP, t, struct.pack("I", 0), bytes(8 + 4 * CHUNK)))
    if n:
        entries = table4_entries(t, n, seed)
    else:  # from exact4, which is emptied
        ex_outer = obj(OBJ_GET, d + "/exact4")
        entries = hash_entries(inner_of(ex_outer, g))
        n, seed = -(-len(entries) * 4 // (3 * CHUNK)), 0x5eed
        empty = bpf(MAP_CREATE, struct.pack("IIIIII", 1, 4, 4, 1, 0, 0))  # HASH
        elem(UPDATE, ex_outer, g, struct.pack("I", empty))
        conf = obj(OBJ_GET, d + "/conf")
        v = bytearray(elem(LOOKUP, conf, g, bytes(info(conf)[0])))
        flags = struct.unpack_from("I", v)[0] | 1 << 4 | 1 << 7  # TABLE4, NO_EXACT4
        struct.pack_into("I", v, 0, flags)
        struct.pack_into("II", v, 152, n, seed)
        elem(UPDATE, conf, g, bytes(v))
    chunks = table8(entries, n, seed)
    size = 8 + 8 * CHUNK
    inner = bpf(MAP_CREATE, struct.pack("IIIIII", ARRAY, 4, size, n + 1, F_INNER_MAP, 0))
    for k, c in enumerate(chunks):
        head = struct.pack("II", n, seed) if k == 0 else bytes(8)
        elem(UPDATE, inner, struct.pack("I", k), head + b"".join(struct.pack("II", *e) for e in c))
    new = bpf(MAP_CREATE, struct.pack("IIIIII", ARRAY_OF_MAPS, 4, 4, info(outer)[1], 0, inner))
    elem(UPDATE, new, g, struct.pack("I", inner))
    obj(OBJ_PIN, d + "/table4+new", new)
    os.rename(d + "/table4+new", d + "/table4")


def poke(d, off, data, name):
    gen, m = obj(OBJ_GET, d + "/gen"), obj(OBJ_GET, d + "/" + name)
    g = elem(LOOKUP, gen, struct.pack("I", 0), bytes(4))
    v = bytearray(elem(LOOKUP, m, g, bytes(info(m)[0])))
    v[off:off + len(data)] = data
    elem(UPDATE, m, g, bytes(v))


if sys.argv[1] == "--conf-size":
    resize(sys.argv[3], int(sys.argv[2]))
elif sys.argv[1] == "--table4-8":
    table4_8(sys.argv[2])
else:
    poke(sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]),
         sys.argv[4] if len(sys.argv) > 4 else "conf")
