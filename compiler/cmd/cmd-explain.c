/* netacl explain (POLICY|JSON) --target NAME ADDRESS [PORT] [--proto tcp|udp]
 *
 * Why is an address allowed or denied?  Exit 0 allowed, 1 denied. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/host.h"
#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/cmd/input.h"
#include "compiler/diag.h"
#include "compiler/exits.h"

static const char usage[] =
	"netacl explain (POLICY|JSON) --target NAME ADDRESS [PORT] [--proto tcp|udp]\n"
	"       [resolution options]";

struct query {
	int family;
	acl_u128 v;
	int port;  /* -1: any port */
	int proto; /* mask */
	char text[ACL_CIDR_STRLEN];
};

static void ports_text(const struct acl_ports *p, char *buf, size_t size)
{
	if (acl_ports_is_all(p))
		snprintf(buf, size, "every port");
	else
		acl_ports_format(p, buf, size);
}

static bool port_ok(const struct acl_ports *p, int port)
{
	return port < 0 || acl_ports_contains(p, (unsigned)port);
}

static void print_rule(const struct m_rule *r)
{
	char ports[400];

	ports_text(&r->ports, ports, sizeof(ports));
	printf("  rule: %s%s%s ports %s proto %s\n", r->match, r->in ? " in " : "",
	       r->in ? r->in : "", ports, acl_proto_name(r->proto));
	for (size_t i = 0; i < r->origin.n; i++)
		printf("    from %s\n", r->origin.v[i]);
}

/* The rule an allow entry came from. */
static const struct m_rule *rule_of(const struct m_target *t, const struct m_allow *a,
				    const struct query *q)
{
	for (size_t i = 0; i < t->nrules; i++) {
		const struct m_rule *r = &t->rules[i];
		struct acl_rule pr;
		struct acl_err e;

		if (!(r->proto & a->proto) || !port_ok(&r->ports, q->port) ||
		    acl_rule_parse_target(r->match, strlen(r->match), &pr, &e))
			continue;
		if (pr.kind == ACL_RULE_NET && acl_cidr_contains(&pr.net, q->family, q->v))
			return r;
		if (acl_is_name_kind(pr.kind))
			for (size_t v = 0; v < a->via.n; v++)
				if (acl_host_matches(&pr.host, a->via.v[v]))
					return r;
	}
	return NULL;
}

static int allowed(const struct m_target *t, const struct query *q, const struct m_allow *a)
{
	const struct m_rule *r = rule_of(t, a, q);
	char cidr[ACL_CIDR_STRLEN];

	acl_cidr_format(&a->addr, cidr);
	printf("allow: %s", q->text);
	if (q->port >= 0)
		printf(" port %d", q->port);
	printf(" proto %s for target %s\n", acl_proto_name(a->proto & q->proto), t->name);
	printf("  entry: %s", cidr);
	if (a->via.n)
		printf(" via %s", a->via.v[0]);
	for (size_t i = 1; i < a->via.n; i++)
		printf(", %s", a->via.v[i]);
	if (a->ttl >= 0)
		printf(" (ttl %lld)", (long long)a->ttl);
	printf("\n");
	if (r)
		print_rule(r);
	return 0;
}

static int denied(const struct m_target *t, const struct query *q, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int denied(const struct m_target *t, const struct query *q, const char *fmt, ...)
{
	va_list ap;

	printf("deny: %s", q->text);
	if (q->port >= 0)
		printf(" port %d", q->port);
	printf(" for target %s\n  ", t->name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	for (size_t i = 0; i < t->nunres; i++)
		printf("  note: %s did not resolve (%s)\n", t->unres[i].host, t->unres[i].error);
	return EX_DENIED;
}

static int explain(const struct m_target *t, const struct query *q)
{
	int row = acl_sp_classify(q->family, q->v);
	bool addr_seen = false, proto_seen = false;
	char ports[400] = "";

	for (size_t i = 0; i < t->nallow; i++) {
		const struct m_allow *a = &t->allow[i];

		if (!acl_cidr_contains(&a->addr, q->family, q->v))
			continue;
		addr_seen = true;
		if (!(a->proto & q->proto))
			continue;
		proto_seen = true;
		if (port_ok(a->ports, q->port))
			return allowed(t, q, a);
		ports_text(a->ports, ports, sizeof(ports));
	}
	for (size_t i = 0; i < t->nrules; i++) {
		const struct m_rule *r = &t->rules[i];

		if (strcmp(r->match, "*") != 0 || !(r->proto & q->proto) || !port_ok(&r->ports, q->port))
			continue;
		if (row == ACL_SP_NONE || acl_private_covers(&t->priv, row, q->family, q->v)) {
			printf("allow: %s for target %s (allow-all)\n", q->text, t->name);
			print_rule(r);
			return 0;
		}
		return denied(t, q, "'*' leaves out the special-purpose row %s, and the ACL's "
			      "private: does not list it", acl_sp_name(row));
	}
	for (size_t i = 0; i < t->ndropped; i++)
		if (acl_cidr_contains(&t->dropped[i].addr, q->family, q->v))
			return denied(t, q, "%s resolved to it, but it is in the special-purpose "
				      "row %s; list it in the ACL's private: to allow it",
				      t->dropped[i].via.n ? t->dropped[i].via.v[0] : "a name",
				      acl_sp_name(t->dropped[i].reason));
	if (proto_seen)
		return denied(t, q, "the address is allowed, but not this port (allowed: %s)", ports);
	if (addr_seen)
		return denied(t, q, "the address is allowed, but not for %s",
			      acl_proto_name(q->proto));
	return denied(t, q, "no rule allows this address");
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
	q->family = a.family;
	q->v = a.v;
	acl_addr_format(q->family, q->v, q->text);
	q->port = -1;
	if (c->nargs == 3) {
		char *end;

		port = (unsigned)strtoul(c->args[2], &end, 10);
		if (*end || end == c->args[2] || port < 1 || port > 65535)
			return cli_usage_error(usage, "'%s' is not a port (1-65535)", c->args[2]);
		q->port = (int)port;
	}
	q->proto = c->proto ? c->proto : ACL_ANY_PROTO;
	return 0;
}

int cmd_explain(int argc, char **argv)
{
	struct cli c;
	struct model m;
	struct query q;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_RESOLVE | OPT_PROTO, usage, &c);

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
		rc = explain(&m.t[0], &q);
	model_free(&m);
	free(c.args);
	return rc;
}
