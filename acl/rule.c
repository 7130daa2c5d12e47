#include "rule.h"

#include <stdio.h>
#include <string.h>

bool acl_is_name_kind(enum acl_rule_kind k)
{
	return k == ACL_RULE_EXACT || k == ACL_RULE_WILD;
}

static void rule_init(struct acl_rule *r)
{
	memset(r, 0, sizeof(*r));
	acl_ports_all(&r->ports);
	r->proto = ACL_ANY_PROTO;
}

/* "name/N": a letter before the '/' and no ':' (an IPv6 address). */
static bool name_with_length(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);

	if (!slash || s[0] == '[' || memchr(s, ':', (size_t)(slash - s)))
		return false;
	for (const char *c = s; c < slash; c++)
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
			return true;
	return false;
}

/* An address or CIDR of a rule.  An IPv4-mapped IPv6 range is refused:
 * the kernel checks mapped addresses against the IPv4 rules, so an IPv6
 * entry for one would never be consulted. */
static int parse_net(const char *s, size_t n, struct acl_cidr *c, struct acl_err *err)
{
	if (name_with_length(s, n)) {
		acl_errf(err, 0, "'%.*s' is a name: a prefix length (/N) goes with an address",
			 (int)((const char *)memchr(s, '/', n) - s), s);
		return -1;
	}
	if (acl_cidr_parse(s, n, c, err))
		return -1;
	if (c->family == ACL_V6 && c->len >= 96 && (c->v >> 32) == 0xffff) {
		struct acl_cidr v4 = { .family = ACL_V4, .v = c->v & 0xffffffffu, .len = c->len - 96 };
		char text[ACL_CIDR_STRLEN];

		if (v4.len == 32)
			acl_addr_format(ACL_V4, v4.v, text);
		else
			acl_cidr_format(&v4, text);
		acl_errf(err, 0, "an IPv4-mapped address: write it as IPv4 (%s); the kernel checks "
			 "mapped addresses against the IPv4 rules", text);
		return -1;
	}
	return 0;
}

int acl_rule_parse_target(const char *s, size_t n, struct acl_rule *out,
			  struct acl_err *err)
{
	rule_init(out);
	if (n > 0 && (memchr(s, ':', n) || memchr(s, '/', n) ||
		      acl_looks_numeric(s, n) || s[0] == '[')) {
		out->kind = ACL_RULE_NET;
		return parse_net(s, n, &out->net, err);
	}
	if (acl_host_parse(s, n, false, &out->host, err))
		return -1;
	switch (out->host.kind) {
	case ACL_HOST_ANY:
		out->kind = ACL_RULE_ANY;
		break;
	case ACL_HOST_EXACT:
		out->kind = ACL_RULE_EXACT;
		break;
	case ACL_HOST_WILD:
		out->kind = ACL_RULE_WILD;
		break;
	}
	return 0;
}

/* Split TARGET[:PORTS]: returns the length of TARGET, and where the port
 * text starts (0 when there is none). */
static size_t split_ports(const char *s, size_t n, size_t *ports_at)
{
	const char *colon;

	*ports_at = 0;
	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		size_t t = close ? (size_t)(close - s) + 1 : n;

		if (t < n && s[t] == ':')
			*ports_at = t + 1;
		return t < n && s[t] == '/' ? n : t; /* "[v6]/len" */
	}
	colon = memchr(s, ':', n);
	if (!colon || memchr(colon + 1, ':', n - (size_t)(colon - s) - 1))
		return n; /* no port, or a bare IPv6 address */
	*ports_at = (size_t)(colon - s) + 1;
	return (size_t)(colon - s);
}

int acl_rule_parse(const char *s, size_t n, struct acl_rule *out,
		   struct acl_err *err)
{
	size_t ports_at, t = split_ports(s, n, &ports_at);
	struct acl_ports ports = { 0 };

	if (t < n && !ports_at) {
		acl_errf(err, t, "unexpected text after ']': write [ADDRESS]:PORTS");
		return -1;
	}
	if (acl_rule_parse_target(s, t, out, err))
		return -1;
	if (!ports_at)
		return 0;
	if (acl_ports_add_text(&ports, s + ports_at, n - ports_at, err)) {
		err->off += ports_at;
		return -1;
	}
	out->ports = ports;
	return 0;
}

static bool intersect_targets(const struct acl_rule *a, const struct acl_rule *b,
			      struct acl_rule *out)
{
	if (a->kind == ACL_RULE_ANY || b->kind == ACL_RULE_ANY) {
		const struct acl_rule *x = a->kind == ACL_RULE_ANY ? b : a;

		out->kind = x->kind;
		out->host = x->host;
		out->has_net = x->has_net;
		out->net = x->net;
		/* '*' stands for the addresses outside the table only */
		out->floor = x->floor || x->kind == ACL_RULE_NET;
		return true;
	}
	if (a->kind == ACL_RULE_NET && b->kind == ACL_RULE_NET) {
		out->kind = ACL_RULE_NET;
		out->floor = a->floor || b->floor;
		return acl_cidr_overlap(&a->net, &b->net, &out->net);
	}
	if (a->kind == ACL_RULE_NET || b->kind == ACL_RULE_NET) {
		const struct acl_rule *name = a->kind == ACL_RULE_NET ? b : a;
		const struct acl_rule *net = name == a ? b : a;

		out->kind = name->kind;
		out->host = name->host;
		out->has_net = true;
		if (!name->has_net) {
			out->net = net->net;
			return true;
		}
		return acl_cidr_overlap(&name->net, &net->net, &out->net);
	}
	if (!acl_host_intersect(&a->host, &b->host, &out->host))
		return false;
	out->kind = out->host.kind == ACL_HOST_EXACT ? ACL_RULE_EXACT : ACL_RULE_WILD;
	if (a->has_net && b->has_net) {
		out->has_net = true;
		return acl_cidr_overlap(&a->net, &b->net, &out->net);
	}
	out->has_net = a->has_net || b->has_net;
	out->net = a->has_net ? a->net : b->net;
	return true;
}

bool acl_rule_intersect(const struct acl_rule *a, const struct acl_rule *b,
			struct acl_rule *out)
{
	rule_init(out);
	out->proto = a->proto & b->proto;
	acl_ports_intersect(&a->ports, &b->ports, &out->ports);
	if (!out->proto || out->ports.n == 0 || !intersect_targets(a, b, out))
		return false;
	for (unsigned i = 0; i < a->norig && out->norig < ACL_MAX_ORIGINS; i++)
		out->orig[out->norig++] = a->orig[i];
	for (unsigned i = 0; i < b->norig && out->norig < ACL_MAX_ORIGINS; i++)
		out->orig[out->norig++] = b->orig[i];
	return true;
}

bool acl_rule_allows_port(const struct acl_rule *r, unsigned port, int proto)
{
	return (r->proto & proto) && acl_ports_contains(&r->ports, port);
}

void acl_rule_format_match(const struct acl_rule *r, char *buf, size_t size)
{
	if (r->kind == ACL_RULE_NET) {
		char c[ACL_CIDR_STRLEN];

		acl_cidr_format(&r->net, c);
		snprintf(buf, size, "%s", c);
		return;
	}
	acl_host_format(&r->host, buf, size);
}
