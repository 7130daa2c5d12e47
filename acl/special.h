/* The special-purpose address table (netacl-policy(5), SPECIAL-PURPOSE
 * ADDRESSES): addresses a sandboxed workload must never reach through a
 * name or through '*'. */
#ifndef ACL_SPECIAL_H
#define ACL_SPECIAL_H

#include "set.h"

enum acl_sp_row {
	ACL_SP_NONE = -1, /* a global address */
	ACL_SP_THIS_NETWORK,
	ACL_SP_PRIVATE_USE,
	ACL_SP_SHARED_CGNAT,
	ACL_SP_LOOPBACK,
	ACL_SP_LINK_LOCAL,
	ACL_SP_METADATA,
	ACL_SP_IETF_PROTOCOL,
	ACL_SP_DOCUMENTATION,
	ACL_SP_BENCHMARKING,
	ACL_SP_6TO4,
	ACL_SP_TEREDO,
	ACL_SP_MULTICAST,
	ACL_SP_RESERVED,
	ACL_SP_BROADCAST,
	ACL_SP_UNIQUE_LOCAL,
	ACL_SP_NROWS
};

/* What the table needs from a policy: the ACL's `private:` exemptions,
 * and the network's own NAT64 prefixes (the policy's `nat64:`), whose
 * addresses are classified by the IPv4 address they carry. */
struct acl_private {
	uint32_t rows; /* bit (1 << row) per exempted row name */
	size_t n;
	struct acl_cidr *cidrs;
	size_t nnat64; /* at most ACL_NAT64_MAX */
	struct acl_cidr *nat64;
};

/* Local NAT64 prefixes a policy may list; lengths are RFC 6052's. */
#define ACL_NAT64_MAX 16

/* Can c be a local NAT64 prefix besides the n in list?  NULL, or why not. */
const char *acl_nat64_refuse(const struct acl_cidr *list, size_t n, const struct acl_cidr *c);

const char *acl_sp_name(int row);
/* Row index by name, or ACL_SP_NONE. */
int acl_sp_lookup(const char *name);

/* The row an address falls in (longest prefix wins; IPv4-mapped and NAT64
 * addresses, p's local NAT64 prefixes included, are classified by the
 * IPv4 address they carry).  p may be NULL. */
int acl_sp_classify(const struct acl_private *p, int family, acl_u128 v);

/* The IPv4 address v carries, if it is IPv4-mapped or NAT64 (the
 * well-known prefix or one of p's), and the prefix it is in. */
bool acl_sp_embedded(const struct acl_private *p, acl_u128 v, acl_u128 *v4,
		     struct acl_cidr *prefix);

/* Is the address exempted by a `private:` list? (NULL: nothing is.) */
bool acl_private_covers(const struct acl_private *p, int row, int family,
			acl_u128 v);

/* The set of addresses of a family the table refuses after `private:`
 * exemptions; out is initialised here and normalised. */
void acl_sp_denied_set(int family, const struct acl_private *p,
		       struct acl_set *out);

/* Does the CIDR contain a metadata endpoint (or an IPv4 one's embedded
 * form under a prefix of p's)?  Which (if endpoint is not NULL): the first
 * of the table. */
bool acl_sp_covers_metadata(const struct acl_private *p, const struct acl_cidr *c,
			    char endpoint[ACL_CIDR_STRLEN]);

#endif
