#!/usr/bin/env python3
"""A compiled JSON file (SPEC §7) with N distinct global IPv4 /32 entries
for one target, ADDR among them at a random place.  Also writes the
addresses, one per line, to ADDRS (for the nftables set)."""
import json, random, sys

n, target, addr, addrs_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
random.seed(1)
seen = set()
# 11.0.0.0 - 99.255.255.255 holds no special-purpose range but 100.64/10 (excluded)
while len(seen) < n - 1:
    seen.add(random.randrange(0x0B000000, 0x64000000))
ips = ['%d.%d.%d.%d' % (v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255) for v in seen]
ips.insert(random.randrange(len(ips)), addr)
with open(addrs_path, 'w') as f:
    f.write('\n'.join(ips) + '\n')
allow = [{"addr": ip + "/32", "ports": [], "proto": "tcp", "via": []} for ip in ips]
doc = {"schema": 1, "targets": {target: {"acl": target, "cgroup": None, "allow_all": False,
       "private": [], "rules": [], "allow": allow, "dropped": [], "unresolved": []}}}
json.dump(doc, sys.stdout)
