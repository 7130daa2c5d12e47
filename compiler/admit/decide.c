#include "compiler/admit/decide.h"

#include <string.h>

#include "acl/special.h"

size_t admit_rules_for(const struct m_target *t, const char *name, size_t *idx, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->nrules && n < max; i++) {
		const struct m_match *w = &t->rules[i].what;

		if (w->kind != ACL_RULE_NET && acl_name_matches(w->host, w->name, name))
			idx[n++] = i;
	}
	return n;
}

const char *admit_refusal(const struct m_target *t, const struct m_rule *r, int family,
			  acl_u128 v, int *row)
{
	uint8_t fam = (uint8_t)family;

	acl_addr_unmap(&fam, &v);
	*row = acl_sp_classify(&t->priv, fam, v);
	if (r->in) {
		struct acl_cidr in;
		struct acl_err e;

		/* the range was checked when the rule was read: unreadable
		 * here means something is wrong, so admit nothing */
		if (acl_cidr_parse(r->in, strlen(r->in), &in, &e) ||
		    !acl_cidr_contains(&in, fam, v))
			return "outside the rule's range";
	}
	if (*row != ACL_SP_NONE && !acl_private_covers(&t->priv, *row, fam, v))
		return "special-purpose address";
	return NULL;
}

uint32_t admit_seconds(const struct admit_ttl *l, uint32_t ttl)
{
	if (ttl < l->min)
		ttl = l->min;
	if (ttl > l->max)
		ttl = l->max;
	return ttl + l->grace;
}
