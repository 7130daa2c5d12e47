/* Address sets: sorted, merged intervals of one family.
 *
 * Sets are built by appending intervals in any order and then normalising
 * once (sort + merge overlap and adjacency, O(n log n)).  Queries and set
 * algebra need a normalised set. */
#ifndef ACL_SET_H
#define ACL_SET_H

#include <stdlib.h>

#include "addr.h"

struct acl_iv {
	acl_u128 lo, hi; /* inclusive */
};

struct acl_set {
	int family;
	size_t n, cap;
	struct acl_iv *iv;
};

void acl_set_init(struct acl_set *s, int family);
void acl_set_free(struct acl_set *s);
void acl_set_add(struct acl_set *s, acl_u128 lo, acl_u128 hi);
void acl_set_add_cidr(struct acl_set *s, const struct acl_cidr *c);
void acl_set_normalise(struct acl_set *s);

bool acl_set_contains(const struct acl_set *s, acl_u128 v);
/* out = a ∩ c (a normalised); out is initialised here. */
void acl_set_intersect_cidr(const struct acl_set *a, const struct acl_cidr *c,
			    struct acl_set *out);
/* out = a \ b (both normalised); out is initialised here. */
void acl_set_subtract(const struct acl_set *a, const struct acl_set *b,
		      struct acl_set *out);
/* The fewest CIDRs that cover [lo, hi] exactly; fn is called for each,
 * in increasing order. */
void acl_iv_to_cidrs(int family, acl_u128 lo, acl_u128 hi,
		     void (*fn)(const struct acl_cidr *, void *), void *arg);
/* The CIDRs of a normalised set, in order. */
void acl_set_to_cidrs(const struct acl_set *s,
		      void (*fn)(const struct acl_cidr *, void *), void *arg);

/* d as the fewest longest-prefix-match entries (ORTC: Draves, King,
 * Venkatachary, Zill, "Constructing optimal IP routing tables", 1999):
 * fn(prefix, in) for each; the longest entry holding an address says
 * whether d does, and none that it does not.  The special-purpose table
 * less an exemption is the table's few prefixes and one entry out (::1
 * in ::/8), where d's own CIDRs are hundreds around it, and a trie
 * lookup walks them. */
void acl_set_to_lpm(const struct acl_set *d,
		    void (*fn)(const struct acl_cidr *, bool in, void *), void *arg);
/* And back: the set that longest-prefix entries stand for (e is sorted
 * shortest first in place; entries of one length are disjoint). */
struct acl_lpm_entry {
	struct acl_cidr c;
	bool in;
};
void acl_lpm_to_set(struct acl_lpm_entry *e, size_t n, int family, struct acl_set *out);

/* Where a normalised set stands in each of the 256 blocks of the address
 * space's first byte (b.0.0.0/8, or b00::/8): none of the block, all of
 * it, or some.  The BPF programs read the deny table's blocks first, and
 * walk its trie only in a block of "some" (netacl-api.h). */
enum { ACL_BLOCK_SOME = 0, ACL_BLOCK_NONE = 1, ACL_BLOCK_ALL = 2 };
void acl_set_blocks(const struct acl_set *s, uint8_t out[256]);

void *acl_xrealloc(void *p, size_t n);
/* qsort that accepts an empty (NULL) array, and returns at once when the
 * array is already in order (resolved answers usually are by now). */
static inline void acl_sort(void *base, size_t n, size_t size,
			 int (*cmp)(const void *, const void *))
{
	const char *p = base;
	size_t i = 1;

	while (i < n && cmp(p + (i - 1) * size, p + i * size) <= 0)
		i++;
	if (i < n)
		qsort(base, n, size, cmp);
}

#endif
