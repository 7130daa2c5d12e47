# The alternative: Python's ipaddress.collapse_addresses on the same CIDRs.
import ipaddress, sys, time
nets = [ipaddress.IPv4Network(l.strip()) for l in open(sys.argv[1])]
t0 = time.monotonic()
out = list(ipaddress.collapse_addresses(nets))
print(f"ipaddress.collapse_addresses: {len(nets)} CIDRs -> {len(out)} CIDRs in {time.monotonic() - t0:.3f} s")
