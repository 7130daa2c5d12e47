/* Flattening: what a list of (addresses, ports, protocol) entries allows,
 * as disjoint address intervals each carrying one port set.
 *
 * This is the kernel's layout (bpf/netacl-api.h): an LPM trie maps an
 * address to a port-set index, and a port set is a bitmap per protocol.
 * Entries may overlap in any way; an address's port set is the union of
 * the sets of every entry that covers it.  Port sets are deduplicated, and
 * neighbouring intervals with the same set are merged, so the result is
 * canonical: two entry lists allow the same things iff their flattenings
 * are equal.  That makes it also the right form for `diff` and for
 * comparing what the kernel holds with a compiled file. */
#ifndef ACL_FLAT_H
#define ACL_FLAT_H

#include "ports.h"

#define ACL_PWORDS 1024 /* 65536 ports / 64 */

/* One port set: bit p of w[0] is TCP port p, of w[1] UDP port p. */
struct acl_pbits {
	uint64_t w[2][ACL_PWORDS];
};

/* A table of distinct port sets; an index names one. */
struct acl_psets {
	size_t n, cap;
	struct acl_pbits *v;
	size_t hcap;     /* open-addressing index over v */
	uint32_t *hash;  /* slot -> index + 1, 0 = empty */
};

void acl_psets_init(struct acl_psets *t);
void acl_psets_free(struct acl_psets *t);
/* The index of b in t, adding it if new. */
uint32_t acl_psets_intern(struct acl_psets *t, const struct acl_pbits *b);
/* The index of the set "ports for the protocols in proto". */
uint32_t acl_psets_of(struct acl_psets *t, const struct acl_ports *p, int proto);

void acl_pbits_clear(struct acl_pbits *b);
void acl_pbits_add(struct acl_pbits *b, const struct acl_ports *p, int proto);
bool acl_pbits_empty(const struct acl_pbits *b);
/* The ranges of one protocol (0 TCP, 1 UDP), in order; fn gets each. */
void acl_pbits_ranges(const struct acl_pbits *b, int proto_ix,
		      void (*fn)(unsigned lo, unsigned hi, void *), void *arg);

/* The set as entries of at most ACL_MAX_PRANGES ranges each: one with
 * ACL_ANY_PROTO when both protocols have the same ports, else one per
 * protocol that has any. */
void acl_pbits_entries(const struct acl_pbits *b,
		       void (*fn)(const struct acl_ports *, int proto, void *), void *arg);

/* An entry: [lo, hi] allows port set `set` of the table. */
struct acl_flat_in {
	acl_u128 lo, hi;
	uint32_t set;
};

struct acl_flat_iv {
	acl_u128 lo, hi;
	uint32_t set;
};

struct acl_flat {
	int family;
	size_t n, cap;
	struct acl_flat_iv *iv; /* disjoint, increasing, neighbours differ */
};

/* Flatten n entries of one family (any order; in is sorted in place by
 * lo) into out, adding unions to t.  out is initialised here. */
void acl_flat_build(int family, struct acl_flat_in *in, size_t n, struct acl_psets *t,
		    struct acl_flat *out);
void acl_flat_free(struct acl_flat *f);
/* The port set index covering v, or -1. */
long acl_flat_lookup(const struct acl_flat *f, acl_u128 v);
/* The intervals as CIDRs, in order: fn(cidr, set index, arg). */
void acl_flat_cidrs(const struct acl_flat *f,
		    void (*fn)(const struct acl_cidr *, uint32_t set, void *), void *arg);

#endif
