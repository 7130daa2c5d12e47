/* One verdict engine: the order of the checks is the order of the
 * reasons a user wants to hear (an entry, '*', a dropped answer, then
 * how close the nearest entry came). */
#include "compiler/model/verdict.h"

static bool port_ok(const struct acl_ports *p, int port)
{
	return port < 0 || acl_ports_contains(p, (unsigned)port);
}

/* The rule an allow entry came from. */
static const struct m_rule *rule_of(const struct m_target *t, const struct m_allow *a,
				    const struct verdict_query *q)
{
	for (size_t i = 0; i < t->nrules; i++) {
		const struct m_rule *r = &t->rules[i];

		if ((r->proto & a->proto) && port_ok(r->ports, q->port) &&
		    model_rule_covers(r, q->family, q->v, &a->via))
			return r;
	}
	return NULL;
}

/* The first of n entries that allows the query; else why not. */
static bool by_entry_in(const struct m_allow *v, size_t n, const struct verdict_query *q,
			struct verdict *out)
{
	bool addr_seen = false, proto_seen = false;

	for (size_t i = 0; i < n; i++) {
		const struct m_allow *a = &v[i];

		if (!acl_cidr_contains(&a->addr, q->family, q->v))
			continue;
		addr_seen = true;
		if (!(a->proto & q->proto))
			continue;
		proto_seen = true;
		if (port_ok(a->ports, q->port)) {
			*out = (struct verdict){ true, VERDICT_ENTRY, .entry = a };
			return true;
		}
		out->ports = a->ports;
	}
	out->why = proto_seen ? VERDICT_PORT : addr_seen ? VERDICT_PROTO : VERDICT_NONE;
	return false;
}

static bool by_entry(const struct m_target *t, const struct verdict_query *q, struct verdict *out)
{
	if (!by_entry_in(t->allow, t->nallow, q, out))
		return false;
	out->rule = rule_of(t, out->entry, q);
	return true;
}

/* As the kernel: after the static sets, before '*'. */
static bool by_admitted(const struct m_target *t, const struct verdict_query *q,
			struct verdict *out)
{
	for (size_t i = 0; i < t->nadmitted; i++) {
		const struct m_allow *a = &t->admitted[i];

		if (acl_cidr_contains(&a->addr, q->family, q->v) && (a->proto & q->proto) &&
		    port_ok(a->ports, q->port)) {
			*out = (struct verdict){ true, VERDICT_ADMITTED, .entry = a };
			return true;
		}
	}
	return false;
}

static bool by_star(const struct m_target *t, const struct verdict_query *q, struct verdict *out)
{
	int row = acl_sp_classify(&t->priv, q->family, q->v);

	for (size_t i = 0; i < t->nrules; i++) {
		const struct m_rule *r = &t->rules[i];

		if (r->what.kind != ACL_RULE_ANY || !(r->proto & q->proto) ||
		    !port_ok(r->ports, q->port))
			continue;
		if (row == ACL_SP_NONE || acl_private_covers(&t->priv, row, q->family, q->v))
			*out = (struct verdict){ true, VERDICT_ALL, .rule = r };
		else
			*out = (struct verdict){ false, VERDICT_SPECIAL, .rule = r, .row = row };
		return true;
	}
	return false;
}

void verdict_bind(const struct m_target *t, const struct verdict_query *q, struct verdict *out)
{
	*out = (struct verdict){ 0 };
	if (!t->has_bind) {
		*out = (struct verdict){ .allow = true, .why = VERDICT_UNRESTRICTED };
		return;
	}
	if (!by_entry_in(t->bind, t->nbind, q, out) || q->family != ACL_V6 || q->v != 0)
		return;
	/* '::' takes IPv4 too unless the socket is IPV6_V6ONLY, which the
	 * kernel's hook cannot see: as there, 0.0.0.0 must be allowed too */
	struct verdict_query v4 = *q;
	struct verdict four = { 0 };

	v4.family = ACL_V4;
	if (!by_entry_in(t->bind, t->nbind, &v4, &four)) {
		*out = four;
		out->why = VERDICT_DUAL;
	}
}

void verdict_of(const struct m_target *t, const struct verdict_query *q, struct verdict *out)
{
	*out = (struct verdict){ 0 };
	if (by_entry(t, q, out) || by_admitted(t, q, out) || by_star(t, q, out))
		return;
	for (size_t i = 0; i < t->ndropped; i++)
		if (acl_cidr_contains(&t->dropped[i].addr, q->family, q->v)) {
			*out = (struct verdict){ false, VERDICT_DROPPED, .drop = &t->dropped[i],
						 .row = t->dropped[i].reason };
			return;
		}
}
