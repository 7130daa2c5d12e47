#include <criterion/criterion.h>
#include <string.h>

#include "acl/rule.h"

static struct acl_rule R(const char *s)
{
	struct acl_rule r;
	struct acl_err e;

	cr_assert_eq(acl_rule_parse(s, strlen(s), &r, &e), 0, "%s: %s", s, e.msg);
	r.norig = 1;
	r.orig[0] = (struct acl_origin){ "p.yaml", 1, (unsigned)strlen(s) };
	return r;
}

static struct acl_rule RP(const char *s, int proto)
{
	struct acl_rule r = R(s);

	r.proto = proto;
	return r;
}

static const char *bad(const char *s, size_t *off)
{
	static struct acl_err e;
	struct acl_rule r;

	cr_assert_neq(acl_rule_parse(s, strlen(s), &r, &e), 0, "%s accepted", s);
	if (off)
		*off = e.off;
	return e.msg;
}

static const char *match(const struct acl_rule *r)
{
	static char b[300];

	acl_rule_format_match(r, b, sizeof(b));
	return b;
}

Test(rule, shorthand_forms)
{
	struct acl_rule r = R("db.example.com:5432");

	cr_assert_eq(r.kind, ACL_RULE_EXACT);
	cr_assert_eq(r.ports.n, 1);
	cr_assert_eq(r.ports.r[0].lo, 5432);
	r = R("*.rds.amazonaws.com:5432");
	cr_assert_eq(r.kind, ACL_RULE_WILD);
	r = R("203.0.113.0/24");
	cr_assert_eq(r.kind, ACL_RULE_NET);
	cr_assert(acl_ports_is_all(&r.ports));
	r = R("[2001:db8::10]:443");
	cr_assert_eq(r.kind, ACL_RULE_NET);
	cr_assert_eq(r.net.len, 128);
	cr_assert_eq(r.ports.r[0].lo, 443);
	r = R("2001:db8::/32");
	cr_assert_eq(r.net.len, 32);
	r = R("203.0.113.7:8000-8099");
	cr_assert_eq(r.ports.r[0].lo, 8000);
	cr_assert_eq(r.ports.r[0].hi, 8099);
	r = R("*");
	cr_assert_eq(r.kind, ACL_RULE_ANY);
	r = R("*:443");
	cr_assert_eq(r.kind, ACL_RULE_ANY);
	cr_assert_eq(r.ports.r[0].lo, 443);
}

Test(rule, bad_ports)
{
	size_t off;

	cr_assert(strstr(bad("a.example:0", &off), "invalid port"));
	cr_assert_eq(off, 10);
	cr_assert(strstr(bad("a.example:65536", NULL), "invalid port"));
	cr_assert(strstr(bad("a.example:", NULL), "invalid port"));
	cr_assert(strstr(bad("a.example:80-", NULL), "invalid port"));
	cr_assert(strstr(bad("a.example:90-80", NULL), "backwards"));
	cr_assert(strstr(bad("a.example:http", NULL), "invalid port"));
	cr_assert(strstr(bad("a.example:080", NULL), "invalid port"));
	cr_assert(strstr(bad("[2001:db8::1]x", NULL), "after ']'"));
}

Test(rule, bad_addresses)
{
	cr_assert(strstr(bad("127.1", NULL), "dotted quad"));
	cr_assert(strstr(bad("2130706433", NULL), "dotted quad"));
	cr_assert(strstr(bad("0177.0.0.1", NULL), "dotted quad"));
	cr_assert(strstr(bad("0x7f.0.0.1", NULL), "neither"));
	cr_assert(strstr(bad("10.0.0.1/8", NULL), "10.0.0.0/8"));
	cr_assert(strstr(bad("fe80::1%eth0", NULL), "zone"));
	cr_assert(strstr(bad("[fe80::1%eth0]:80", NULL), "zone"));
	cr_assert(strstr(bad("[1.2.3.4]:80", NULL), "IPv6 addresses only"));
}

Test(ports, merge_and_sort)
{
	struct acl_ports p = { 0 };
	struct acl_err e;

	cr_assert_eq(acl_ports_add_text(&p, "8000-8099", 9, &e), 0);
	cr_assert_eq(acl_ports_add_text(&p, "443", 3, &e), 0);
	cr_assert_eq(acl_ports_add_text(&p, "8100", 4, &e), 0); /* adjacent */
	cr_assert_eq(acl_ports_add_text(&p, "444-450", 7, &e), 0);
	cr_assert_eq(acl_ports_add_text(&p, "8050-8060", 9, &e), 0); /* inside */
	cr_assert_eq(p.n, 2);
	cr_assert_eq(p.r[0].lo, 443);
	cr_assert_eq(p.r[0].hi, 450);
	cr_assert_eq(p.r[1].lo, 8000);
	cr_assert_eq(p.r[1].hi, 8100);
	cr_assert(acl_ports_contains(&p, 8100));
	cr_assert(!acl_ports_contains(&p, 451));
}

Test(ports, too_many_ranges)
{
	struct acl_ports p = { 0 };
	struct acl_err e;

	for (unsigned i = 0; i < ACL_MAX_PRANGES; i++)
		cr_assert_eq(acl_ports_add(&p, 10 * i + 1, 10 * i + 1, &e), 0);
	cr_assert_neq(acl_ports_add(&p, 1000, 1000, &e), 0);
	cr_assert_eq(acl_ports_add(&p, 2, 2, &e), 0, "merging into a range still fits");
}

Test(ports, intersect)
{
	struct acl_ports a = { 0 }, b = { 0 }, o, all;
	struct acl_err e;

	acl_ports_add(&a, 1, 100, &e);
	acl_ports_add(&a, 200, 300, &e);
	acl_ports_add(&b, 50, 250, &e);
	acl_ports_intersect(&a, &b, &o);
	cr_assert_eq(o.n, 2);
	cr_assert_eq(o.r[0].lo, 50);
	cr_assert_eq(o.r[0].hi, 100);
	cr_assert_eq(o.r[1].lo, 200);
	cr_assert_eq(o.r[1].hi, 250);
	acl_ports_all(&all);
	acl_ports_intersect(&a, &all, &o);
	cr_assert(acl_ports_equal(&o, &a));
	b.n = 0;
	acl_ports_add(&b, 101, 199, &e);
	acl_ports_intersect(&a, &b, &o);
	cr_assert_eq(o.n, 0);
}

Test(ports, proto_names)
{
	cr_assert_eq(acl_proto_parse("tcp"), ACL_TCP);
	cr_assert_eq(acl_proto_parse("udp"), ACL_UDP);
	cr_assert_eq(acl_proto_parse("any"), ACL_ANY_PROTO);
	cr_assert_eq(acl_proto_parse("TCP"), -1);
	cr_assert_str_eq(acl_proto_name(ACL_UDP), "udp");
}

/* --- the intersection table, row by row --- */

Test(intersect, any_and_name)
{
	struct acl_rule a = R("*"), b = R("db.example.com:5432"), o;

	cr_assert(acl_rule_intersect(&a, &b, &o));
	cr_assert_eq(o.kind, ACL_RULE_EXACT);
	cr_assert_str_eq(match(&o), "db.example.com");
	cr_assert_eq(o.ports.r[0].lo, 5432);
	cr_assert_eq(o.norig, 2, "both sides remembered");
	cr_assert(acl_rule_intersect(&b, &a, &o));
	cr_assert_eq(o.kind, ACL_RULE_EXACT);
}

Test(intersect, any_and_range_is_floored)
{
	struct acl_rule a = R("*"), b = R("10.0.0.0/8"), o;

	cr_assert(acl_rule_intersect(&a, &b, &o));
	cr_assert_eq(o.kind, ACL_RULE_NET);
	cr_assert(o.floor, "special rows come out of the range later");
	cr_assert(!b.floor);
}

Test(intersect, any_and_any)
{
	struct acl_rule a = R("*:443"), b = R("*"), o;

	cr_assert(acl_rule_intersect(&a, &b, &o));
	cr_assert_eq(o.kind, ACL_RULE_ANY);
	cr_assert_eq(o.ports.r[0].lo, 443);
}

Test(intersect, exact_exact)
{
	struct acl_rule a = R("DB.example.com"), b = R("db.example.com."), c = R("x.example.com"), o;

	cr_assert(acl_rule_intersect(&a, &b, &o));
	cr_assert_str_eq(match(&o), "db.example.com");
	cr_assert(!acl_rule_intersect(&a, &c, &o));
}

Test(intersect, exact_wild)
{
	struct acl_rule a = R("db.example.com"), w = R("*.example.com"), v = R("*.example.org"), o;

	cr_assert(acl_rule_intersect(&w, &a, &o));
	cr_assert_str_eq(match(&o), "db.example.com");
	cr_assert(!acl_rule_intersect(&a, &v, &o));
}

Test(intersect, wild_wild)
{
	struct acl_rule a = R("*.example.com"), b = R("*.eu.example.com"), c = R("*.example.org"), o;

	cr_assert(acl_rule_intersect(&a, &b, &o));
	cr_assert_str_eq(match(&o), "*.eu.example.com");
	cr_assert(acl_rule_intersect(&a, &a, &o));
	cr_assert_str_eq(match(&o), "*.example.com");
	cr_assert(!acl_rule_intersect(&a, &c, &o));
}

Test(intersect, name_and_cidr_restricts)
{
	struct acl_rule a = R("db.example.com"), n = R("203.0.113.0/24"), m = R("203.0.113.128/25"),
			z = R("198.51.100.0/24"), o, o2;

	cr_assert(acl_rule_intersect(&a, &n, &o));
	cr_assert_eq(o.kind, ACL_RULE_EXACT);
	cr_assert(o.has_net);
	cr_assert_eq(o.net.len, 24);
	cr_assert(acl_rule_intersect(&o, &m, &o2));
	cr_assert_eq(o2.net.len, 25);
	cr_assert(!acl_rule_intersect(&o, &z, &o2), "disjoint restrictions: nothing");
	cr_assert_eq(o2.norig == 0 || true, true);
}

Test(intersect, cidr_cidr)
{
	struct acl_rule a = R("10.0.0.0/8"), b = R("10.1.0.0/16"), c = R("11.0.0.0/8"),
			d = R("2001:db8::/32"), o;

	cr_assert(acl_rule_intersect(&a, &b, &o));
	cr_assert_str_eq(match(&o), "10.1.0.0/16");
	cr_assert(!acl_rule_intersect(&a, &c, &o));
	cr_assert(!acl_rule_intersect(&a, &d, &o));
}

Test(intersect, ports_and_proto)
{
	struct acl_rule a = RP("db.example.com:5432", ACL_TCP), b = RP("db.example.com", ACL_UDP),
			c = R("db.example.com:80"), d = R("db.example.com:5000-6000"), o;

	cr_assert(!acl_rule_intersect(&a, &b, &o), "tcp ∩ udp is empty");
	cr_assert(!acl_rule_intersect(&a, &c, &o), "disjoint ports are empty");
	cr_assert(acl_rule_intersect(&a, &d, &o));
	cr_assert_eq(o.proto, ACL_TCP);
	cr_assert_eq(o.ports.n, 1);
	cr_assert_eq(o.ports.r[0].lo, 5432);
}

Test(intersect, three_sides_keep_every_origin)
{
	struct acl_rule a = R("*.example.com:443"), b = R("*.eu.example.com"), c = R("api.eu.example.com"),
			o1, o2;

	cr_assert(acl_rule_intersect(&a, &b, &o1));
	cr_assert(acl_rule_intersect(&o1, &c, &o2));
	cr_assert_eq(o2.norig, 3);
	cr_assert_str_eq(match(&o2), "api.eu.example.com");
	cr_assert_eq(o2.ports.r[0].lo, 443);
}

Test(rule, allows_port)
{
	struct acl_rule a = RP("x.example.com:8000-8099", ACL_TCP);

	cr_assert(acl_rule_allows_port(&a, 8050, ACL_TCP));
	cr_assert(!acl_rule_allows_port(&a, 8050, ACL_UDP));
	cr_assert(!acl_rule_allows_port(&a, 8100, ACL_TCP));
}
