/* table4 (bpf/netacl-api.h): a generation's single IPv4 addresses in a
 * hash table of netacl's own, built, read back and converted here.  Its
 * layout is 4 bytes a slot; targets loaded by netacl before it hold 8
 * bytes a slot (struct netacl_chunk8), read here too, and converted by
 * a repair before these programs load on them. */
#ifndef NETACL_TABLE4_H
#define NETACL_TABLE4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A reload's live table (this layout), to share when the new one comes
 * out the same: fd -1 for none. */
struct table4_live {
	int fd;
	uint32_t n, seed;
};

/* A table4 map of n addresses (network order, 4 bytes each, in keys)
 * and their port sets; its element 0's n and seed in *t4_n, *t4_seed.
 * The fd (live's own, duplicated, when the table is the same), or
 * -errno: -ENOSPC when no table fits (the caller uses exact4). */
int table4_make(const unsigned char *keys, const uint32_t *sets, size_t n,
		const struct table4_live *live, uint32_t *t4_n, uint32_t *t4_seed);

/* In memory, what table4_make writes: the n chunks (and element 0,
 * c[0]) of count addresses with this seed, or false when some address
 * finds no slot within its first NETACL_PROBES.  c holds n + 1. */
struct netacl_chunk;
bool table4_fill(const unsigned char *keys, const uint32_t *sets, size_t count,
		 struct netacl_chunk *c, uint32_t n, uint32_t seed);
/* The address (host order) in slot i of chunk k (1..n) when the slot
 * holds e; false if no address can be there. */
bool table4_slot_addr(uint32_t k, uint32_t i, uint32_t e, uint32_t n, uint32_t seed,
		      uint32_t *addr);

/* Is table4 map fd of the older layout (8 bytes a slot)? */
bool table4_is_old(int fd);

/* fn(address in host order, its set, arg) for every address in table4
 * map fd, either layout.  want_n, want_seed: conf's copy of element 0
 * (want_n 0: none), which must be element 0 (else -EBADMSG).  0 or
 * -errno. */
int table4_each(int fd, uint32_t want_n, uint32_t want_seed,
		void (*fn)(uint32_t addr, uint32_t set, void *), void *arg);

/* The live table of fd's layout (an older one's, or -1: none) as one
 * of this layout: a new map fd (its n and seed in *t4_n, *t4_seed), or
 * -errno.  When no table of this layout holds them (port sets past
 * NETACL_T4_SETS, which the older one had no limit on), the table is
 * empty and *exact4 a new exact4 hash of the addresses (else -1). */
int table4_convert(int old_fd, uint32_t *t4_n, uint32_t *t4_seed, int *exact4);

#endif
