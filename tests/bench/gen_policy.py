# A policy of N literal rules (addresses and CIDRs, some with ports).
import sys
n = int(sys.argv[1])
print("version: 1\nacls:\n  big:\n    allow:")
for i in range(n):
    a, b, c = 44 + (i >> 16) % 10, (i >> 8) & 255, i & 255
    if i % 3 == 0:
        print(f"      - {a}.{b}.{c}.0/24:{1 + i % 60000}")
    elif i % 3 == 1:
        print(f"      - {a}.{b}.{c}.7")
    else:
        print(f"      - \"[2606:2800:{i >> 16:x}:{i & 0xffff:x}::1]:443\"")
