#include <criterion/criterion.h>
#include <string.h>

#include "acl/addr.h"
#include "acl/set.h"

static struct acl_cidr C(const char *s)
{
	struct acl_cidr c;
	struct acl_err e;

	cr_assert_eq(acl_cidr_parse(s, strlen(s), &c, &e), 0, "%s: %s", s, e.msg);
	return c;
}

static int bad(const char *s, struct acl_err *e)
{
	struct acl_cidr c;

	return acl_cidr_parse(s, strlen(s), &c, e);
}

Test(addr, ipv4_dotted_quad_only)
{
	acl_u128 v;
	const char *good[] = { "0.0.0.0", "255.255.255.255", "203.0.113.7", "10.0.0.1" };
	const char *badv[] = { "127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433",
			       "256.0.0.1", "1.2.3.4.5", "1..2.3", "1.2.3.", "", "01.2.3.4",
			       "1.2.3.1000", " 1.2.3.4" };

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_assert(acl_parse_ipv4(good[i], strlen(good[i]), &v), "%s", good[i]);
	for (size_t i = 0; i < sizeof(badv) / sizeof(*badv); i++)
		cr_assert(!acl_parse_ipv4(badv[i], strlen(badv[i]), &v), "%s", badv[i]);
	cr_assert(acl_parse_ipv4("1.2.3.4", 7, &v));
	cr_assert_eq((uint32_t)v, 0x01020304u);
}

Test(addr, ipv6_forms)
{
	acl_u128 v;

	cr_assert(acl_parse_ipv6("::1", 3, &v));
	cr_assert(v == 1);
	cr_assert(acl_parse_ipv6("::ffff:1.2.3.4", 14, &v));
	cr_assert(v == (((acl_u128)0xffff << 32) | 0x01020304));
	cr_assert(!acl_parse_ipv6("fe80::1%eth0", 12, &v));
	cr_assert(!acl_parse_ipv6("1:2:3", 5, &v));
	cr_assert(!acl_parse_ipv6("::g", 3, &v));
}

Test(addr, cidr_parse_and_format)
{
	char buf[ACL_CIDR_STRLEN];
	struct acl_cidr c = C("203.0.113.0/24");

	cr_assert_eq(c.family, ACL_V4);
	cr_assert_eq(c.len, 24);
	acl_cidr_format(&c, buf);
	cr_assert_str_eq(buf, "203.0.113.0/24");
	c = C("2001:DB8::/32");
	acl_cidr_format(&c, buf);
	cr_assert_str_eq(buf, "2001:db8::/32");
	c = C("[2001:db8::10]");
	cr_assert_eq(c.len, 128);
	c = C("0.0.0.0/0");
	cr_assert_eq(c.len, 0);
	c = C("::/0");
	acl_cidr_format(&c, buf);
	cr_assert_str_eq(buf, "::/0");
	c = C("1.2.3.4");
	cr_assert_eq(c.len, 32);
}

Test(addr, cidr_host_bits_name_the_network)
{
	struct acl_err e;

	cr_assert_neq(bad("10.1.2.3/8", &e), 0);
	cr_assert(strstr(e.msg, "10.0.0.0/8"), "%s", e.msg);
	cr_assert_neq(bad("2001:db8::1/32", &e), 0);
	cr_assert(strstr(e.msg, "2001:db8::/32"), "%s", e.msg);
}

Test(addr, cidr_bad_forms)
{
	struct acl_err e;
	const char *v[] = { "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/08",
			    "10.0.0.0/x", "[1.2.3.4]", "fe80::1%eth0", "127.1/32", "1.2.3.4/-1" };

	for (size_t i = 0; i < sizeof(v) / sizeof(*v); i++)
		cr_assert_neq(bad(v[i], &e), 0, "%s", v[i]);
	cr_assert_neq(bad("fe80::1%eth0", &e), 0);
	cr_assert(strstr(e.msg, "zone"), "%s", e.msg);
	cr_assert_eq(e.off, 7);
}

Test(addr, cidr_overlap)
{
	struct acl_cidr a = C("10.0.0.0/8"), b = C("10.1.0.0/16"), d = C("11.0.0.0/8"), o;

	cr_assert(acl_cidr_overlap(&a, &b, &o));
	cr_assert_eq(o.len, 16);
	cr_assert(acl_cidr_overlap(&b, &a, &o));
	cr_assert_eq(o.len, 16);
	cr_assert(!acl_cidr_overlap(&a, &d, &o));
	a = C("::/0");
	cr_assert(!acl_cidr_overlap(&a, &d, &o), "families never overlap");
}

/* --- sets --- */

struct collect {
	char out[64][ACL_CIDR_STRLEN];
	int n;
};

static void collect_fn(const struct acl_cidr *c, void *arg)
{
	struct collect *k = arg;

	cr_assert_lt(k->n, 64);
	acl_cidr_format(c, k->out[k->n++]);
}

Test(set, normalise_merges_overlap_and_adjacency)
{
	struct acl_set s;
	struct collect k = { 0 };
	struct acl_cidr a = C("10.0.0.0/25"), b = C("10.0.0.128/25"), c = C("10.0.0.64/26"),
			d = C("10.0.2.0/24");

	acl_set_init(&s, ACL_V4);
	acl_set_add_cidr(&s, &d);
	acl_set_add_cidr(&s, &b);
	acl_set_add_cidr(&s, &a);
	acl_set_add_cidr(&s, &c);
	acl_set_normalise(&s);
	cr_assert_eq(s.n, 2);
	acl_set_to_cidrs(&s, collect_fn, &k);
	cr_assert_eq(k.n, 2);
	cr_assert_str_eq(k.out[0], "10.0.0.0/24");
	cr_assert_str_eq(k.out[1], "10.0.2.0/24");
	acl_set_free(&s);
}

Test(set, whole_space_v4_and_v6)
{
	struct acl_set s;
	struct collect k = { 0 };
	struct acl_cidr all4 = C("0.0.0.0/0"), top = C("255.255.255.255/32");

	acl_set_init(&s, ACL_V4);
	acl_set_add_cidr(&s, &top);
	acl_set_add_cidr(&s, &all4);
	acl_set_normalise(&s);
	cr_assert_eq(s.n, 1);
	cr_assert(acl_set_contains(&s, 0));
	cr_assert(acl_set_contains(&s, 0xffffffffu));
	acl_set_to_cidrs(&s, collect_fn, &k);
	cr_assert_str_eq(k.out[0], "0.0.0.0/0");
	acl_set_free(&s);

	struct acl_cidr all6 = C("::/0"), last = C("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");

	k.n = 0;
	acl_set_init(&s, ACL_V6);
	acl_set_add_cidr(&s, &last);
	acl_set_add_cidr(&s, &all6);
	acl_set_normalise(&s);
	cr_assert_eq(s.n, 1);
	acl_set_to_cidrs(&s, collect_fn, &k);
	cr_assert_eq(k.n, 1);
	cr_assert_str_eq(k.out[0], "::/0");
	acl_set_free(&s);
}

Test(set, adjacency_at_top_does_not_wrap)
{
	struct acl_set s;
	struct acl_cidr a = C("255.255.255.255/32"), b = C("0.0.0.0/32");

	acl_set_init(&s, ACL_V4);
	acl_set_add_cidr(&s, &a);
	acl_set_add_cidr(&s, &b);
	acl_set_normalise(&s);
	cr_assert_eq(s.n, 2);
	acl_set_free(&s);
}

Test(set, single_hosts_32_and_128)
{
	struct acl_set s;
	struct acl_cidr h = C("2001:db8::1/128");

	acl_set_init(&s, ACL_V6);
	acl_set_add_cidr(&s, &h);
	acl_set_normalise(&s);
	cr_assert(acl_set_contains(&s, h.v));
	cr_assert(!acl_set_contains(&s, h.v + 1));
	cr_assert(!acl_set_contains(&s, h.v - 1));
	acl_set_free(&s);
}

Test(set, intersect_with_cidr)
{
	struct acl_set s, o;
	struct collect k = { 0 };
	struct acl_cidr a = C("10.0.0.0/8"), b = C("192.168.0.0/16"), c = C("10.20.0.0/16"),
			six = C("::/0");

	acl_set_init(&s, ACL_V4);
	acl_set_add_cidr(&s, &a);
	acl_set_add_cidr(&s, &b);
	acl_set_normalise(&s);
	acl_set_intersect_cidr(&s, &c, &o);
	acl_set_to_cidrs(&o, collect_fn, &k);
	cr_assert_eq(k.n, 1);
	cr_assert_str_eq(k.out[0], "10.20.0.0/16");
	acl_set_free(&o);
	acl_set_intersect_cidr(&s, &six, &o);
	cr_assert_eq(o.n, 0);
	acl_set_free(&o);
	acl_set_free(&s);
}

Test(set, subtract_splits_into_cidrs)
{
	struct acl_set a, b, o;
	struct collect k = { 0 };
	struct acl_cidr all = C("0.0.0.0/0"), hole = C("128.0.0.0/32");

	acl_set_init(&a, ACL_V4);
	acl_set_init(&b, ACL_V4);
	acl_set_add_cidr(&a, &all);
	acl_set_add_cidr(&b, &hole);
	acl_set_subtract(&a, &b, &o);
	cr_assert_eq(o.n, 2);
	cr_assert(!acl_set_contains(&o, hole.v));
	cr_assert(acl_set_contains(&o, hole.v + 1));
	cr_assert(acl_set_contains(&o, hole.v - 1));
	acl_set_to_cidrs(&o, collect_fn, &k);
	cr_assert_str_eq(k.out[0], "0.0.0.0/1");
	cr_assert_str_eq(k.out[1], "128.0.0.1/32");
	cr_assert_str_eq(k.out[2], "128.0.0.2/31");
	cr_assert_eq(k.n, 32, "1 + 31 blocks");
	acl_set_free(&a);
	acl_set_free(&b);
	acl_set_free(&o);
}

Test(set, subtract_everything_and_nothing)
{
	struct acl_set a, b, o;
	struct acl_cidr all = C("::/0"), x = C("2001:db8::/32");

	acl_set_init(&a, ACL_V6);
	acl_set_init(&b, ACL_V6);
	acl_set_add_cidr(&a, &x);
	acl_set_add_cidr(&b, &all);
	acl_set_subtract(&a, &b, &o);
	cr_assert_eq(o.n, 0);
	acl_set_free(&o);
	acl_set_subtract(&b, &a, &o);
	cr_assert_eq(o.n, 2);
	acl_set_free(&o);
	acl_set_free(&b);
	acl_set_init(&b, ACL_V6);
	acl_set_subtract(&a, &b, &o);
	cr_assert_eq(o.n, 1);
	acl_set_free(&o);
	acl_set_free(&a);
}

Test(set, iv_to_cidrs_minimal)
{
	struct collect k = { 0 };

	/* 10.0.0.1 - 10.0.0.6: /32 /31 /31 /32 */
	acl_iv_to_cidrs(ACL_V4, 0x0a000001, 0x0a000006, collect_fn, &k);
	cr_assert_eq(k.n, 4);
	cr_assert_str_eq(k.out[0], "10.0.0.1/32");
	cr_assert_str_eq(k.out[1], "10.0.0.2/31");
	cr_assert_str_eq(k.out[2], "10.0.0.4/31");
	cr_assert_str_eq(k.out[3], "10.0.0.6/32");
}

Test(set, random_million_normalises_consistently)
{
	struct acl_set s;
	uint32_t x = 12345;

	acl_set_init(&s, ACL_V4);
	for (int i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		acl_set_add(&s, x & ~0xffu, x | 0xffu);
	}
	acl_set_normalise(&s);
	for (size_t i = 1; i < s.n; i++)
		cr_assert(s.iv[i].lo > s.iv[i - 1].hi + 1, "sorted, disjoint, not adjacent");
	acl_set_free(&s);
}

/* A bracketed IPv6 address with a length: the length is what follows the
 * slash (it was read two bytes too far, past the end of the text). */
Test(addr, bracketed_address_with_a_length)
{
	struct acl_cidr c;
	struct acl_err e;
	char buf[16];

	memcpy(buf, "[::1]/128xx", 11); /* no NUL right after the text */
	cr_assert_eq(acl_cidr_parse(buf, 9, &c, &e), 0, "%s", e.msg);
	cr_assert_eq(c.len, 128);
	cr_assert_eq(acl_cidr_parse("[::1]/129", 9, &c, &e), -1);
	cr_assert(strstr(e.msg, "'129'"), "%s", e.msg);
}
