/* netacl explain (POLICY|JSON) --target NAME ADDRESS [PORT] [--proto tcp|udp]
 *
 * Why is an address allowed or denied?  Exit 0 allowed, 1 denied. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/host.h"
#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/cmd/input.h"
#include "compiler/diag.h"
#include "compiler/exits.h"
#include "compiler/model/verdict.h"

static const char usage[] =
	"netacl explain (POLICY|JSON) --target NAME ADDRESS [PORT] [--proto tcp|udp] [--bind]\n"
	"       [resolution options]";

struct query {
	struct verdict_query q;
	char text[ACL_CIDR_STRLEN];
};

static void ports_text(const struct acl_ports *p, char *buf, size_t size)
{
	if (acl_ports_is_all(p))
		snprintf(buf, size, "every port");
	else
		acl_ports_format(p, buf, size);
}

static void print_rule(const struct m_rule *r)
{
	char ports[400];

	ports_text(r->ports, ports, sizeof(ports));
	printf("  rule: %s%s%s ports %s proto %s\n", r->match, r->in ? " in " : "",
	       r->in ? r->in : "", ports, acl_proto_name(r->proto));
	for (size_t i = 0; i < r->origin.n; i++)
		printf("    from %s\n", r->origin.v[i]);
}

static int allowed(const struct m_target *t, const struct query *q, const struct verdict *v)
{
	const struct m_allow *a = v->entry;
	char cidr[ACL_CIDR_STRLEN];

	if (v->why == VERDICT_ALL) {
		printf("allow: %s for target %s (allow-all)\n", q->text, t->name);
		print_rule(v->rule);
		return 0;
	}
	acl_cidr_format(&a->addr, cidr);
	if (v->why == VERDICT_ADMITTED) {
		printf("allow: %s", q->text);
		if (q->q.port >= 0)
			printf(" port %d", q->q.port);
		printf(" proto %s for target %s\n", acl_proto_name(a->proto & q->q.proto), t->name);
		printf("  admitted: %s by the workload's lookup of %s (live DNS), for %lld s more\n",
		       cidr, a->via.n ? a->via.v[0] : "a name", (long long)a->ttl);
		return 0;
	}
	printf("allow: %s", q->text);
	if (q->q.port >= 0)
		printf(" port %d", q->q.port);
	printf(" proto %s for target %s\n", acl_proto_name(a->proto & q->q.proto), t->name);
	printf("  entry: %s", cidr);
	if (a->via.n)
		printf(" via %s", a->via.v[0]);
	for (size_t i = 1; i < a->via.n; i++)
		printf(", %s", a->via.v[i]);
	if (a->ttl >= 0)
		printf(" (ttl %lld)", (long long)a->ttl);
	printf("\n");
	if (v->rule)
		print_rule(v->rule);
	return 0;
}

/* Classified by the IPv4 it carries: say which, and under what prefix. */
static void embedded_note(const struct m_target *t, const struct query *q)
{
	struct acl_cidr pfx;
	acl_u128 v4;
	char a[ACL_CIDR_STRLEN], p[ACL_CIDR_STRLEN];

	if (q->q.family != ACL_V6 || !acl_sp_embedded(&t->priv, q->q.v, &v4, &pfx))
		return;
	acl_addr_format(ACL_V4, v4, a);
	acl_cidr_format(&pfx, p);
	printf("  note: it carries the IPv4 address %s (%s %s)\n", a,
	       pfx.v >> 96 == 0 ? "IPv4-mapped," : "NAT64 prefix", p);
}

static int denied(const struct m_target *t, const struct query *q, const struct verdict *v)
{
	char ports[400] = "";

	printf("deny: %s", q->text);
	if (q->q.port >= 0)
		printf(" port %d", q->q.port);
	printf(" for target %s\n  ", t->name);
	switch (v->why) {
	case VERDICT_SPECIAL:
		printf("'*' leaves out the special-purpose row %s, and the ACL's private: does not "
		       "list it", acl_sp_name(v->row));
		break;
	case VERDICT_DROPPED:
		printf("%s resolved to it, but it is in the special-purpose row %s; list it in the "
		       "ACL's private: to allow it", v->drop->via.n ? v->drop->via.v[0] : "a name",
		       acl_sp_name(v->row));
		break;
	case VERDICT_PORT:
		ports_text(v->ports, ports, sizeof(ports));
		printf("the address is allowed, but not this port (allowed: %s)", ports);
		break;
	case VERDICT_PROTO:
		printf("the address is allowed, but not for %s", acl_proto_name(q->q.proto));
		break;
	default:
		printf("no rule allows this address");
	}
	printf("\n");
	embedded_note(t, q);
	for (size_t i = 0; i < t->nunres; i++)
		printf("  note: %s did not resolve (%s)\n", t->unres[i].host, t->unres[i].error);
	return EX_DENIED;
}

/* --bind: may the target bind ADDRESS (and PORT) as its local address? */
static int explain_bind(const struct m_target *t, const struct query *q)
{
	struct verdict v;
	char cidr[ACL_CIDR_STRLEN], ports[400] = "";

	verdict_bind(t, &q->q, &v);
	printf("%s: bind %s", v.allow ? "allow" : "deny", q->text);
	if (q->q.port >= 0)
		printf(" port %d", q->q.port);
	printf(" for target %s\n  ", t->name);
	switch (v.why) {
	case VERDICT_UNRESTRICTED:
		printf("the ACL has no bind: section, so binding is not restricted\n");
		return 0;
	case VERDICT_ENTRY:
		acl_cidr_format(&v.entry->addr, cidr);
		ports_text(v.entry->ports, ports, sizeof(ports));
		printf("bind: entry %s ports %s proto %s\n", cidr, ports,
		       acl_proto_name(v.entry->proto));
		return 0;
	case VERDICT_PORT:
		ports_text(v.ports, ports, sizeof(ports));
		printf("the address may be bound, but not this port (bind: lists %s)%s\n", ports,
		       q->q.port == 0 ? "; port 0 lets the kernel pick any port, so only an "
		       "entry with every port allows it" : "");
		break;
	case VERDICT_PROTO:
		printf("the address may be bound, but not for %s\n", acl_proto_name(q->q.proto));
		break;
	case VERDICT_DUAL:
		printf(":: takes IPv4 connections too (unless IPV6_V6ONLY, which the kernel's hook "
		       "cannot see), so 0.0.0.0 must be allowed as well, and is not\n");
		break;
	default:
		printf("no bind: entry covers this address\n");
	}
	return EX_DENIED;
}

static int explain(const struct m_target *t, const struct query *q)
{
	struct verdict v;

	verdict_of(t, &q->q, &v);
	return v.allow ? allowed(t, q, &v) : denied(t, q, &v);
}

static int parse_query(const struct cli *c, struct query *q)
{
	struct acl_cidr a;
	struct acl_err e;
	const char *s = c->args[1];
	unsigned port;

	if (strchr(s, '/') || acl_cidr_parse(s, strlen(s), &a, &e))
		return cli_usage_error(usage, "'%s' is not an IP address", s);
	acl_addr_unmap(&a.family, &a.v);
	q->q.family = a.family;
	q->q.v = a.v;
	acl_addr_format(q->q.family, q->q.v, q->text);
	q->q.port = -1;
	if (c->nargs == 3) {
		char *end;

		port = (unsigned)strtoul(c->args[2], &end, 10);
		/* binding port 0 asks the kernel for any port: a question too */
		if (*end || end == c->args[2] || port < !c->bind || port > 65535)
			return cli_usage_error(usage, "'%s' is not a port (%d-65535)", c->args[2],
					       !c->bind);
		q->q.port = (int)port;
	}
	q->q.proto = c->proto ? c->proto : ACL_ANY_PROTO;
	return 0;
}

int cmd_explain(int argc, char **argv)
{
	struct cli c;
	struct model m;
	struct query q;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_RESOLVE | OPT_PROTO | OPT_BIND, usage, &c);

	if (!rc && (c.nargs < 2 || c.nargs > 3))
		rc = cli_usage_error(usage, "explain takes a policy, an address and maybe a port");
	if (!rc && c.ntargets != 1)
		rc = cli_usage_error(usage, "explain needs exactly one --target");
	if (!rc)
		rc = parse_query(&c, &q);
	if (rc) {
		free(c.args);
		return rc;
	}
	model_init(&m);
	rc = input_load(c.args[0], &c.ro, c.targets, 1, &m);
	if (!rc)
		rc = c.bind ? explain_bind(&m.t[0], &q) : explain(&m.t[0], &q);
	model_free(&m);
	free(c.args);
	return rc;
}
