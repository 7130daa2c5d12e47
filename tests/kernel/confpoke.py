#!/usr/bin/env python3
"""confpoke PIN_DIR OFFSET HEX [MAP]: write bytes HEX at OFFSET of the
live generation's value in MAP (conf, or ex: bpf/netacl-api.h), as a
bug in the loader would: the kernel tests check that inspect notices.
Raw bpf(2) calls."""
import ctypes, os, struct, sys

BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_OBJ_GET, BPF_OBJ_GET_INFO_BY_FD = 1, 2, 7, 15
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
NR_BPF = 321  # x86_64


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(NR_BPF, cmd, buf, 128)
    if r < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    return r


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(BPF_OBJ_GET, struct.pack("QII", ctypes.addressof(p), 0, 0))


def elem(cmd, fd, key, value):
    k = ctypes.create_string_buffer(key, len(key))
    v = ctypes.create_string_buffer(value, len(value))
    bpf(cmd, struct.pack("I4xQQQ", fd, ctypes.addressof(k), ctypes.addressof(v), 0))
    return v.raw


d, off, data = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
gen, conf = obj_get(d + "/gen"), obj_get(d + "/" + (sys.argv[4] if len(sys.argv) > 4 else "conf"))
g = elem(BPF_MAP_LOOKUP_ELEM, gen, struct.pack("I", 0), bytes(4))

def value_size(fd):
    info = ctypes.create_string_buffer(88)
    bpf(BPF_OBJ_GET_INFO_BY_FD, struct.pack("IIQ", fd, 88, ctypes.addressof(info)))
    return struct.unpack_from("I", info.raw, 12)[0]  # bpf_map_info.value_size


size = value_size(conf)
v = bytearray(elem(BPF_MAP_LOOKUP_ELEM, conf, g, bytes(size)))
v[off:off + len(data)] = data
elem(BPF_MAP_UPDATE_ELEM, conf, g, bytes(v))
