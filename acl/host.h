/* Host patterns (netacl-policy(5), RULES): an exact name, a `*.suffix` wildcard, or `*`. */
#ifndef ACL_HOST_H
#define ACL_HOST_H

#include "addr.h"

#define ACL_NAME_MAX 253

enum acl_host_kind { ACL_HOST_ANY, ACL_HOST_EXACT, ACL_HOST_WILD };

struct acl_host {
	enum acl_host_kind kind;
	/* lower case, no trailing dot; for a wildcard, the suffix after "*." */
	char name[ACL_NAME_MAX + 1];
};

/* Parse and validate a pattern (wildcards allowed) or, with
 * concrete_only, a concrete name. */
int acl_host_parse(const char *s, size_t n, bool concrete_only,
		   struct acl_host *out, struct acl_err *err);

/* Does a concrete, normalised name match the pattern? */
bool acl_host_matches(const struct acl_host *pat, const char *name);
/* The same for a pattern kept as its kind and text: the name (EXACT),
 * the suffix after "*." (WILD), or nothing (ANY). */
bool acl_name_matches(enum acl_host_kind kind, const char *pattern, const char *name);

/* Pattern ∩ pattern for two name patterns; false when empty. */
bool acl_host_intersect(const struct acl_host *a, const struct acl_host *b,
			struct acl_host *out);

/* The pattern as text: "*", "*.suffix" or the name. */
void acl_host_format(const struct acl_host *h, char *buf, size_t size);

#endif
