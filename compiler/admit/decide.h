/* What an answer may open (netacl(8), LIVE DNS): which rules allow a
 * queried name, which of the answer's addresses are admitted under them,
 * and for how long.  Pure: the forwarder asks, the kernel maps get the
 * result. */
#ifndef NETACL_ADMIT_DECIDE_H
#define NETACL_ADMIT_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/model/model.h"

/* The rules of t that allow the name (exact names, wildcards, '*'): their
 * indices in t->rules, at most max; the count.  0: the name is refused,
 * it is answered NXDOMAIN and never leaves the host. */
size_t admit_rules_for(const struct m_target *t, const char *name, size_t *idx, size_t max);

/* Why an answered address is not admitted under rule r of t: NULL when
 * it is.  The special-purpose table with the ACL's private: (DNS
 * rebinding: a name may not open 10.0.0.1), and a name ∩ range rule's
 * range.  *row is the table's row, or ACL_SP_NONE. */
const char *admit_refusal(const struct m_target *t, const struct m_rule *r, int family,
			  acl_u128 v, int *row);

/* How long an answer's address stays admitted: its TTL held between the
 * floor and the ceiling, plus the grace (seconds). */
struct admit_ttl {
	uint32_t min, max, grace;
};
uint32_t admit_seconds(const struct admit_ttl *l, uint32_t ttl);

#endif
