/* What a target allows, in the kernel's form (bpf/netacl-api.h): the
 * allow entries flattened into disjoint intervals with port-set indices,
 * the '*' rules' port set, and the special-purpose table minus the ACL's
 * `private:` exemptions.  The loader writes this into the maps; inspect
 * reads it back; diff and refresh compare two of them. */
#ifndef NETACL_ALLOWS_H
#define NETACL_ALLOWS_H

#include "acl/flat.h"
#include "compiler/model/model.h"

#define ALLOWS_NO_STAR UINT32_MAX

struct allows {
	struct acl_psets sets;
	struct acl_flat flat[2];  /* [0] IPv4, [1] IPv6 */
	struct acl_set deny[2];   /* what '*' does not reach */
	bool allow_all;
	bool ping;                /* ICMP datagram sockets may be made */
	bool dns_admit;           /* capture the workload's DNS, admit answers */
	bool has_bind;            /* bind: given (else binding is not restricted) */
	uint32_t max_conn;        /* outbound TCP connections at once; 0: no cap */
	uint32_t max_rate;        /* connects a second, burst as many; 0: no limit */
	struct acl_flat bind[2];  /* what may be bound, [0] IPv4, [1] IPv6; port
				   * sets in the same table as the allow sets */
	uint32_t star;            /* port set of the '*' rules */
	int64_t min_ttl;          /* -1: no answer had a TTL */
	size_t nnat64;            /* the policy's nat64:, for the record */
	struct acl_cidr nat64[ACL_NAT64_MAX];
};

/* Build a's kernel form.  With fold_star, '*' is folded into the flat
 * intervals (everything outside deny, with the star's ports), which gives
 * the canonical form of "what may this target reach" used to compare. */
void allows_of(const struct m_target *t, bool fold_star, struct allows *a);
void allows_free(struct allows *a);
/* The smallest TTL of t's answers, -1 if none has one. */
int64_t allows_min_ttl(const struct m_target *t);


#endif
