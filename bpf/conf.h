/* conf[g]'s copies of small sets (bpf/netacl-api.h): the deny table's
 * first-byte blocks, the lists of a few entries, the port sets of a few
 * ranges.  load.c makes them with the maps they copy; inspect.c checks
 * them against the maps, since a copy that disagreed would enforce what
 * inspect does not show. */
#ifndef NETACL_CONF_H
#define NETACL_CONF_H
#include <stdbool.h>
#include <stdint.h>

#include "acl/flat.h"
#include "acl/set.h"
#include "bpf/netacl-api.h"

/* blocks[f] from the deny sets (index 0 IPv4, 1 IPv6). */
void conf_blocks(const struct acl_set deny[2], struct netacl_conf *c);
/* Is blocks[f] right for deny (0, "ask the trie", always is)? */
bool conf_blocks_agree(const struct netacl_conf *c, int f, const struct acl_set *deny);

/* ex from the deny sets: exemptions that hold no denied address, and
 * their flags in c (NETACL_EXEMPTN). */
void conf_exempt(const struct acl_set deny[2], struct netacl_conf *c, struct netacl_ex *ex);
/* Does each of ex's family f (when c's flag says it is read) hold no
 * address of deny?  ex NULL: none could be read. */
bool conf_exempt_agree(const struct netacl_conf *c, const struct netacl_ex *ex, int f,
		       const struct acl_set *deny);

/* One entry of family index f into listN; false when it is full. */
bool conf_list_add(struct netacl_conf *c, int f, const struct acl_cidr *e, uint32_t set);
/* Is e, with set, in listN? */
bool conf_list_has(const struct netacl_conf *c, int f, const struct acl_cidr *e, uint32_t set);

/* An entry for rangeN: [lo, hi] and its port set. */
struct conf_iv {
	acl_u128 lo, hi;
	uint32_t set;
};

/* Prefix c with its port set as an entry. */
struct conf_iv conf_iv_of(const struct acl_cidr *c, uint32_t set);
/* r from the n disjoint entries of v (sorted and merged here: touching
 * ones of one set are one); false when they make more intervals than r
 * holds. */
bool conf_range4(struct conf_iv *v, size_t n, struct netacl_range4 *r);
bool conf_range6(struct conf_iv *v, size_t n, struct netacl_range6 *r);
/* Does r hold what conf_rangeN makes of v (sorted and merged here)? */
bool conf_range4_agree(const struct netacl_range4 *r, struct conf_iv *v, size_t n);
bool conf_range6_agree(const struct netacl_range6 *r, struct conf_iv *v, size_t n);

/* pset[] from the first NETACL_PSETS sets. */
void conf_psets(const struct acl_pbits *sets, size_t n, struct netacl_conf *c);
/* Does pset[] agree with the sets? */
bool conf_psets_agree(const struct netacl_conf *c, const struct acl_pbits *sets, size_t n);
#endif
