/* Expectations judged on a compiled target.  An address is asked of the
 * verdict engine port by port (skipping the run of ports an allowing entry
 * or rule covers, so "every port" costs one question per run).  A name is
 * asked through the addresses it resolved to; a name with none, and a
 * wildcard, through the rules that would let the workload's own lookups
 * reach it at run time ('*', or dns: admit). */
#define _GNU_SOURCE /* memrchr */
#include <stdio.h>
#include <string.h>

#include "acl/host.h"
#include "compiler/model/expect.h"
#include "compiler/model/verdict.h"

static const int protos[] = { ACL_TCP, ACL_UDP };

int expect_parse(const char *s, size_t n, bool reach, bool bind, struct expect *out,
		 struct acl_err *err)
{
	const char *slash = memrchr(s, '/', n);
	int proto = ACL_ANY_PROTO;

	/* "/tcp" ends the text; "/24" would be a range, refused below */
	if (slash) {
		char word[8] = "";

		if ((size_t)(s + n - slash - 1) < sizeof(word))
			memcpy(word, slash + 1, (size_t)(s + n - slash - 1));
		proto = acl_proto_parse(word);
		if (proto > 0)
			n = (size_t)(slash - s);
		else
			proto = ACL_ANY_PROTO;
	}
	memset(out, 0, sizeof(*out));
	if (acl_rule_parse(s, n, &out->to, err))
		return -1;
	if (out->to.kind == ACL_RULE_ANY) {
		acl_errf(err, 0, "'*' is no destination: name an address, a name or a *.suffix");
		return -1;
	}
	if (out->to.kind == ACL_RULE_NET && out->to.net.len != acl_width(out->to.net.family)) {
		acl_errf(err, 0, "a test names one address, not a range");
		return -1;
	}
	if (bind && out->to.kind != ACL_RULE_NET) {
		acl_errf(err, 0, "a bind test names a local address, not a name");
		return -1;
	}
	out->to.proto = proto;
	out->reach = reach;
	out->bind = bind;
	return 0;
}

static void port_text(int port, int proto, char *buf, size_t size)
{
	if (port < 0)
		snprintf(buf, size, "any port/%s", acl_proto_name(proto));
	else
		snprintf(buf, size, "port %d/%s", port, acl_proto_name(proto));
}

static void deny_text(const struct verdict *v, bool bind, char *why, size_t size)
{
	static const char *const bind_why[] = { [VERDICT_NONE] = "no bind: entry covers it",
						[VERDICT_PORT] = "the address may be bound, not this port",
						[VERDICT_PROTO] = "the address may be bound, not for this "
								  "protocol" };

	if (bind && v->why < sizeof(bind_why) / sizeof(bind_why[0]) && bind_why[v->why]) {
		snprintf(why, size, "%s", bind_why[v->why]);
		return;
	}
	switch (v->why) {
	case VERDICT_DUAL:
		snprintf(why, size, ":: takes IPv4 too, and 0.0.0.0 may not be bound");
		break;
	case VERDICT_SPECIAL:
		snprintf(why, size, "'*' leaves out the special-purpose row %s", acl_sp_name(v->row));
		break;
	case VERDICT_DROPPED:
		snprintf(why, size, "it is in the special-purpose row %s, which the ACL's private: "
			 "does not list", acl_sp_name(v->row));
		break;
	case VERDICT_PORT:
		snprintf(why, size, "the address is allowed, not this port");
		break;
	case VERDICT_PROTO:
		snprintf(why, size, "the address is allowed, not this protocol");
		break;
	default:
		snprintf(why, size, "no rule allows it");
	}
}

static void rule_text(const struct m_rule *r, char *buf, size_t size)
{
	if (!r)
		snprintf(buf, size, "an allow entry");
	else
		snprintf(buf, size, "the rule %s%s%s%s", r->match, r->origin.n ? " (" : "",
			 r->origin.n ? r->origin.v[0] : "", r->origin.n ? ")" : "");
}

/* The ports an allowing verdict holds for, so the walk can skip them;
 * NULL: every port (binding not restricted). */
static const struct acl_ports *allowed_ports(const struct verdict *v)
{
	if (v->why == VERDICT_UNRESTRICTED)
		return NULL;
	return v->why == VERDICT_ALL ? v->rule->ports : v->entry->ports;
}

static unsigned run_end(const struct acl_ports *p, unsigned port)
{
	if (!p)
		return 65535;
	for (unsigned i = 0; i < p->n; i++)
		if (p->r[i].lo <= port && port <= p->r[i].hi)
			return p->r[i].hi;
	return port;
}

static void say(char *why, size_t size, const char *addr, int port, int proto,
		const char *verb, const char *reason)
{
	char pt[40];

	port_text(port, proto, pt, sizeof(pt));
	snprintf(why, size, "%s %s is %s%s", addr, pt, verb, reason);
}

/* The verdict engine the expectation asks: connects and sends, or binds. */
static void judge(const struct m_target *t, const struct expect *e, const struct verdict_query *q,
		  struct verdict *v)
{
	if (e->bind)
		verdict_bind(t, q, v);
	else
		verdict_of(t, q, v);
}

static void allow_text(const struct expect *e, const struct verdict *v, char *buf, size_t size)
{
	char cidr[ACL_CIDR_STRLEN];

	if (v->why == VERDICT_UNRESTRICTED) {
		snprintf(buf, size, "nothing: the ACL has no bind:");
	} else if (e->bind) {
		acl_cidr_format(&v->entry->addr, cidr);
		snprintf(buf, size, "the bind: entry %s", cidr);
	} else if (v->why == VERDICT_ADMITTED) {
		snprintf(buf, size, "the workload's own lookup");
	} else {
		rule_text(v->rule, buf, size);
	}
}

/* Every port of e, for proto, is allowed to the address. */
static bool addr_reaches(const struct m_target *t, const struct expect *e, struct verdict_query q,
			 const char *addr, char *why, size_t size)
{
	const struct acl_ports *ports = &e->to.ports;
	struct verdict v;
	char reason[200];

	for (unsigned i = 0; i < ports->n; i++)
		for (unsigned p = ports->r[i].lo; p <= ports->r[i].hi; p++) {
			q.port = (int)p;
			judge(t, e, &q, &v);
			if (!v.allow) {
				deny_text(&v, e->bind, reason, sizeof(reason));
				say(why, size, addr, q.port, q.proto, "denied: ", reason);
				return false;
			}
			p = run_end(allowed_ports(&v), p);
		}
	return true;
}

/* No port of e, for proto, is allowed to the address.  Every port is
 * one question: the engine's port -1 is "some port". */
static bool addr_refuses(const struct m_target *t, const struct expect *e, struct verdict_query q,
			 const char *addr, char *why, size_t size)
{
	const struct acl_ports *ports = &e->to.ports;
	struct verdict v;
	char reason[300];
	bool all = acl_ports_is_all(ports);

	for (unsigned i = 0; i < ports->n; i++)
		for (unsigned p = ports->r[i].lo; p <= ports->r[i].hi; p++) {
			q.port = all ? -1 : (int)p;
			judge(t, e, &q, &v);
			if (v.allow) {
				allow_text(e, &v, reason, sizeof(reason));
				say(why, size, addr, q.port, q.proto, "allowed by ", reason);
				return false;
			}
			if (all)
				return true;
		}
	return true;
}

static bool addr_holds(const struct m_target *t, const struct expect *e, const struct acl_cidr *a,
		       char *why, size_t size)
{
	char text[ACL_CIDR_STRLEN];

	acl_addr_format(a->family, a->v, text);
	for (size_t i = 0; i < 2; i++) {
		struct verdict_query q = { a->family, a->v, -1, protos[i] };

		if (!(e->to.proto & protos[i]))
			continue;
		if (e->reach ? !addr_reaches(t, e, q, text, why, size)
			     : !addr_refuses(t, e, q, text, why, size))
			return false;
	}
	return true;
}

static struct acl_host host_of(const struct m_rule *r)
{
	struct acl_host h = { .kind = r->what.host };

	if (r->what.name)
		snprintf(h.name, sizeof(h.name), "%s", r->what.name);
	return h;
}

/* Does the rule take in every name of h, or some? */
static bool rule_covers(const struct m_rule *r, const struct acl_host *h)
{
	struct acl_host rh, both;

	if (r->what.kind == ACL_RULE_ANY)
		return true;
	if (!acl_is_name_kind(r->what.kind) || r->in)
		return false;
	rh = host_of(r);
	return acl_host_intersect(&rh, h, &both) && both.kind == h->kind &&
	       strcmp(both.name, h->name) == 0;
}

static bool rule_meets(const struct m_rule *r, const struct acl_host *h)
{
	struct acl_host rh, both;

	if (r->what.kind == ACL_RULE_ANY)
		return true;
	if (!acl_is_name_kind(r->what.kind))
		return false;
	rh = host_of(r);
	return acl_host_intersect(&rh, h, &both);
}

/* Whatever names of h resolve to at run time is reached on every port
 * and protocol of e: by '*', or by a name rule the workload's lookups
 * open (dns: admit).  A rule limited by `in` may be left by an answer. */
static bool live_reaches(const struct m_target *t, const struct expect *e, char *why, size_t size)
{
	const struct m_rule *named = NULL;
	char rt[300];

	for (size_t i = 0; i < 2; i++) {
		struct acl_ports u = { 0 }, both;
		struct acl_err err;

		if (!(e->to.proto & protos[i]))
			continue;
		for (size_t j = 0; j < t->nrules; j++) {
			const struct m_rule *r = &t->rules[j];

			if (!(r->proto & protos[i]) || !rule_covers(r, &e->to.host))
				continue;
			named = named ? named : r;
			if (r->what.kind != ACL_RULE_ANY && !t->dns_admit)
				continue;
			for (unsigned k = 0; k < r->ports->n; k++)
				acl_ports_add(&u, r->ports->r[k].lo, r->ports->r[k].hi, &err);
		}
		acl_ports_intersect(&e->to.ports, &u, &both);
		if (acl_ports_equal(&both, &e->to.ports))
			continue;
		if (named)
			rule_text(named, rt, sizeof(rt));
		if (!named)
			snprintf(why, size, "no rule of the target covers it");
		else if (!t->dns_admit && u.n == 0)
			snprintf(why, size, "%s covers it; without dns: admit, only names resolved "
				 "ahead of time are reached, and %s", rt,
				 e->to.kind == ACL_RULE_WILD ? "a wildcard stands for names that were not"
				 : "it was not (name it in the stage's hosts:)");
		else
			snprintf(why, size, "the rules that cover it leave out some of its ports for %s",
				 acl_proto_name(protos[i]));
		return false;
	}
	return true;
}

/* No rule names any name of h for a port and protocol of e. */
static bool no_rule_meets(const struct m_target *t, const struct expect *e, char *why, size_t size)
{
	for (size_t j = 0; j < t->nrules; j++) {
		const struct m_rule *r = &t->rules[j];
		struct acl_ports both;
		char rt[300];

		acl_ports_intersect(r->ports, &e->to.ports, &both);
		if (!(r->proto & e->to.proto) || !both.n || !rule_meets(r, &e->to.host))
			continue;
		rule_text(r, rt, sizeof(rt));
		snprintf(why, size, "%s lets it be reached%s", rt,
			 r->what.kind == ACL_RULE_ANY ? " (whatever it resolves to outside the "
			 "special-purpose rows)" : "");
		return false;
	}
	return true;
}

static bool name_holds(const struct m_target *t, const struct expect *e, char *why, size_t size)
{
	const char *name = e->to.host.name;
	size_t naddr = 0;
	char a[ACL_CIDR_STRLEN], sub[400];

	for (size_t i = 0; e->reach && i < t->ndropped; i++)
		if (model_strv_has(&t->dropped[i].via, name)) {
			acl_addr_format(t->dropped[i].addr.family, t->dropped[i].addr.v, a);
			snprintf(why, size, "it resolved to %s, in the special-purpose row %s, which "
				 "the ACL's private: does not list", a,
				 acl_sp_name(t->dropped[i].reason));
			return false;
		}
	for (size_t i = 0; i < t->nallow; i++) {
		if (!model_strv_has(&t->allow[i].via, name))
			continue;
		naddr++;
		if (!addr_holds(t, e, &t->allow[i].addr, sub, sizeof(sub))) {
			snprintf(why, size, "its address %s", sub);
			return false;
		}
	}
	if (!e->reach)
		return no_rule_meets(t, e, why, size);
	if (naddr)
		return true;
	for (size_t i = 0; i < t->nunres; i++)
		if (strcmp(t->unres[i].host, name) == 0 && !t->dns_admit && !t->allow_all) {
			snprintf(why, size, "it did not resolve (%s)", t->unres[i].error);
			return false;
		}
	return live_reaches(t, e, why, size);
}

bool expect_holds(const struct m_target *t, const struct expect *e, char *why, size_t size)
{
	switch (e->to.kind) {
	case ACL_RULE_NET:
		return addr_holds(t, e, &e->to.net, why, size);
	case ACL_RULE_EXACT:
		return name_holds(t, e, why, size);
	default: /* a wildcard: only rules reach every name under it */
		return e->reach ? live_reaches(t, e, why, size) : no_rule_meets(t, e, why, size);
	}
}
