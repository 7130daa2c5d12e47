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

Raw bpf(2) calls."""
import ctypes, os, struct, sys

MAP_CREATE, LOOKUP, UPDATE, OBJ_PIN, OBJ_GET, OBJ_GET_INFO_BY_FD = 0, 1, 2, 6, 7, 15
ARRAY = 2
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


def poke(d, off, data, name):
    gen, m = obj(OBJ_GET, d + "/gen"), obj(OBJ_GET, d + "/" + name)
    g = elem(LOOKUP, gen, struct.pack("I", 0), bytes(4))
    v = bytearray(elem(LOOKUP, m, g, bytes(info(m)[0])))
    v[off:off + len(data)] = data
    elem(UPDATE, m, g, bytes(v))


if sys.argv[1] == "--conf-size":
    resize(sys.argv[3], int(sys.argv[2]))
else:
    poke(sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]),
         sys.argv[4] if len(sys.argv) > 4 else "conf")
