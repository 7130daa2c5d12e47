#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "acl/set.h"
#include "acl/special.h"

static int cls(const char *s)
{
	struct acl_cidr c;
	struct acl_err e;

	cr_assert_eq(acl_cidr_parse(s, strlen(s), &c, &e), 0, "%s: %s", s, e.msg);
	return acl_sp_classify(NULL, c.family, c.v);
}

/* inline arrays: criterion passes parameters to a re-executed worker */
struct case_ {
	char addr[48];
	char row[20]; /* "": global */
};

/* Each row, at both edges of each of its prefixes and just outside. */
static struct case_ cases[] = {
	{ "0.0.0.0", "this-network" }, { "0.255.255.255", "this-network" },
	{ "1.0.0.0", "" }, { "::", "this-network" },
	{ "10.0.0.0", "private-use" }, { "10.255.255.255", "private-use" },
	{ "9.255.255.255", "" }, { "11.0.0.0", "" },
	{ "172.16.0.0", "private-use" }, { "172.31.255.255", "private-use" },
	{ "172.15.255.255", "" }, { "172.32.0.0", "" },
	{ "192.168.0.0", "private-use" }, { "192.168.255.255", "private-use" },
	{ "192.169.0.0", "" },
	{ "100.64.0.0", "shared-cgnat" }, { "100.127.255.255", "shared-cgnat" },
	{ "100.63.255.255", "" }, { "100.128.0.0", "" },
	{ "127.0.0.0", "loopback" }, { "127.255.255.255", "loopback" }, { "::1", "loopback" },
	{ "128.0.0.0", "" },
	{ "169.254.0.0", "link-local" }, { "169.254.255.255", "link-local" },
	{ "fe80::", "link-local" }, { "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local" },
	{ "169.254.169.254", "metadata" }, { "169.254.169.253", "link-local" },
	{ "169.254.169.255", "link-local" }, { "169.254.170.2", "metadata" },
	{ "100.100.100.200", "metadata" }, { "100.100.100.201", "shared-cgnat" },
	{ "168.63.129.16", "metadata" }, { "168.63.129.17", "" },
	{ "fd00:ec2::254", "metadata" }, { "fd00:ec2::253", "unique-local" },
	{ "192.0.0.0", "ietf-protocol" }, { "192.0.0.255", "ietf-protocol" },
	{ "2001:100::", "ietf-protocol" }, { "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "ietf-protocol" },
	{ "2001:200::", "" },
	{ "192.0.2.0", "documentation" }, { "192.0.2.255", "documentation" },
	{ "198.51.100.1", "documentation" }, { "203.0.113.255", "documentation" },
	{ "203.0.114.0", "" }, { "2001:db8::1", "documentation" },
	{ "2001:db9::", "" }, { "3fff::", "documentation" },
	{ "3fff:fff:ffff::", "documentation" }, { "3fff:1000::", "" },
	{ "198.18.0.0", "benchmarking" }, { "198.19.255.255", "benchmarking" },
	{ "198.20.0.0", "" }, { "198.17.255.255", "" },
	{ "192.88.99.0", "6to4" }, { "192.88.99.255", "6to4" }, { "2002::", "6to4" },
	{ "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "6to4" }, { "2003::", "" },
	{ "2001::", "teredo" }, { "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "teredo" },
	{ "2001:1::", "ietf-protocol" },
	{ "224.0.0.0", "multicast" }, { "239.255.255.255", "multicast" },
	{ "ff00::", "multicast" }, { "ff02::1", "multicast" },
	{ "240.0.0.0", "reserved" }, { "255.255.255.254", "reserved" },
	{ "::2", "reserved" }, { "::1.2.3.4", "reserved" },
	{ "64:ff9b:1::", "reserved" }, { "100::", "reserved" },
	{ "100::ffff:ffff:ffff:ffff", "reserved" }, { "5f00::", "reserved" },
	{ "fec0::", "reserved" }, { "4000::", "reserved" }, { "1fff::", "reserved" },
	{ "2000::", "" }, { "3ffe::", "" },
	{ "255.255.255.255", "broadcast" },
	{ "fc00::", "unique-local" }, { "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "unique-local" },
	/* embedded IPv4: classified by the address they carry */
	{ "::ffff:127.0.0.1", "loopback" }, { "::ffff:169.254.169.254", "metadata" },
	{ "::ffff:8.8.8.8", "" }, { "::ffff:10.1.2.3", "private-use" },
	{ "64:ff9b::10.0.0.1", "private-use" }, { "64:ff9b::8.8.8.8", "" },
	{ "64:ff9b::169.254.169.254", "metadata" }, { "64:ff9b::255.255.255.255", "broadcast" },
	{ "8.8.8.8", "" }, { "2606:4700::1111", "" },
};

ParameterizedTestParameters(special, table)
{
	return cr_make_param_array(struct case_, cases, sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct case_ *c, special, table)
{
	int row = cls(c->addr);

	if (!c->row[0])
		cr_assert_eq(row, ACL_SP_NONE, "%s is %s, want global", c->addr, acl_sp_name(row));
	else
		cr_assert_str_eq(acl_sp_name(row) ? acl_sp_name(row) : "(global)", c->row,
				 "%s", c->addr);
}

Test(special, row_names_round_trip)
{
	for (int i = 0; i < ACL_SP_NROWS; i++)
		cr_assert_eq(acl_sp_lookup(acl_sp_name(i)), i);
	cr_assert_eq(acl_sp_lookup("nope"), ACL_SP_NONE);
}

static struct acl_cidr C(const char *s)
{
	struct acl_cidr c;
	struct acl_err e;

	cr_assert_eq(acl_cidr_parse(s, strlen(s), &c, &e), 0);
	return c;
}

Test(special, private_covers_by_row_and_cidr)
{
	struct acl_cidr nets[] = { C("10.20.0.0/16") };
	struct acl_private p = { .rows = 1u << ACL_SP_LOOPBACK, .n = 1, .cidrs = nets };
	struct acl_cidr a = C("10.20.1.1"), b = C("10.21.0.1"), l = C("127.0.0.2"),
			m = C("::ffff:10.20.3.4"), l6 = C("::1");

	cr_assert(acl_private_covers(&p, acl_sp_classify(&p, 4, a.v), 4, a.v));
	cr_assert(!acl_private_covers(&p, acl_sp_classify(&p, 4, b.v), 4, b.v));
	cr_assert(acl_private_covers(&p, acl_sp_classify(&p, 4, l.v), 4, l.v));
	cr_assert(acl_private_covers(&p, acl_sp_classify(&p, 6, m.v), 6, m.v));
	cr_assert(acl_private_covers(&p, acl_sp_classify(&p, 6, l6.v), 6, l6.v));
	cr_assert(!acl_private_covers(NULL, ACL_SP_LOOPBACK, 4, l.v));
}

/* v4 under a local NAT64 prefix, by RFC 6052's figure 1: the bits of
 * v4 around the u octet (u), and a suffix after them. */
static acl_u128 nat64_form(const struct acl_cidr *n, uint32_t v4, uint8_t u, uint64_t suffix)
{
	int before = n->len >= 96 ? 0 : 64 - n->len; /* v4 bits before bit 64 */
	acl_u128 v = n->v;

	if (n->len >= 96)
		return v | v4;
	int after = 32 - before; /* v4 bits after the u octet */
	uint64_t low = (uint64_t)v4 & ((1ull << after) - 1);

	v |= (acl_u128)((uint64_t)v4 >> after) << 64;
	v |= (acl_u128)u << 56;
	v |= (acl_u128)low << (56 - after);
	return v | ((acl_u128)suffix & (((acl_u128)1 << (56 - after)) - 1));
}

/* The denied set agrees with classify on many probes. */
static void probe_denied(int fam, const struct acl_private *p)
{
	struct acl_set d;
	uint64_t x = 88172645463325252ull;

	acl_sp_denied_set(fam, p, &d);
	for (int i = 0; i < 200000; i++) {
		acl_u128 v;
		int row;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (fam == ACL_V4) {
			v = (uint32_t)x;
		} else {
			/* mix in the interesting low prefixes of IPv6 */
			static const uint64_t tops[] = { 0, 0x0064ff9b00000000ull,
							 0x2001000000000000ull, 0xfd000ec200000000ull };
			v = (acl_u128)(i & 1 ? x : tops[(x >> 3) & 3]) << 64;
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			v |= (i & 2) ? (acl_u128)(0x0000ffff00000000ull | (uint32_t)x) : x;
			if (p && p->nnat64 && i % 3 == 0) {
				/* inside a local prefix, often on a metadata endpoint */
				const struct acl_cidr *n = &p->nat64[x % p->nnat64];

				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				v = n->v | ((acl_u128)x << 64 | x) >> n->len;
				if (i % 2)
					v = nat64_form(n, i % 4 ? 0xa9fea9fe : 0xa9feaa17,
						       (uint8_t)(x >> 9), x);
			}
		}
		row = acl_sp_classify(p, fam, v);
		cr_assert_eq(acl_set_contains(&d, v),
			     row != ACL_SP_NONE && !acl_private_covers(p, row, fam, v));
	}
	acl_set_free(&d);
}

Test(special, denied_set_matches_classify)
{
	struct acl_cidr nets[] = { C("10.20.0.0/16"), C("fd00::/8") };
	struct acl_private p = { .rows = 1u << ACL_SP_LINK_LOCAL, .n = 2, .cidrs = nets };

	probe_denied(ACL_V4, NULL);
	probe_denied(ACL_V6, NULL);
	probe_denied(ACL_V4, &p);
	probe_denied(ACL_V6, &p);
}

Test(special, link_local_exemption_keeps_metadata)
{
	struct acl_private p = { .rows = 1u << ACL_SP_LINK_LOCAL };
	struct acl_set d;
	struct acl_cidr md = C("169.254.169.254"), ll = C("169.254.1.1");

	acl_sp_denied_set(ACL_V4, &p, &d);
	cr_assert(acl_set_contains(&d, md.v), "metadata is its own row");
	cr_assert(!acl_set_contains(&d, ll.v));
	acl_set_free(&d);
}

Test(special, covers_metadata)
{
	struct acl_cidr a = C("169.254.0.0/16"), b = C("169.254.1.0/24"), c = C("fd00::/8"),
			d = C("0.0.0.0/0");

	cr_assert(acl_sp_covers_metadata(NULL, &a, NULL));
	cr_assert(!acl_sp_covers_metadata(NULL, &b, NULL));
	cr_assert(acl_sp_covers_metadata(NULL, &c, NULL));
	cr_assert(acl_sp_covers_metadata(NULL, &d, NULL));
}

struct row_case {
	const char *addr;
	int row;
};

static void check_rows(const struct row_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct acl_cidr c = C(cases[i].addr);
		int row = acl_sp_classify(NULL, c.family, c.v);

		cr_assert_eq(row, cases[i].row, "%s: %d", cases[i].addr, row);
	}
}

/* The metadata rows, each endpoint and both its neighbours. */
Test(special, metadata_rows_and_their_edges)
{
	static const struct row_case cases[] = {
		{ "169.254.170.22", ACL_SP_LINK_LOCAL }, { "169.254.170.23", ACL_SP_METADATA },
		{ "169.254.170.24", ACL_SP_LINK_LOCAL }, { "169.254.0.22", ACL_SP_LINK_LOCAL },
		{ "169.254.0.23", ACL_SP_METADATA },     { "169.254.0.24", ACL_SP_LINK_LOCAL },
		{ "169.254.170.1", ACL_SP_LINK_LOCAL },  { "169.254.170.2", ACL_SP_METADATA },
		{ "fd00:ec2::22", ACL_SP_UNIQUE_LOCAL }, { "fd00:ec2::23", ACL_SP_METADATA },
		{ "fd00:ec2::24", ACL_SP_UNIQUE_LOCAL }, { "fd00:ec2::253", ACL_SP_UNIQUE_LOCAL },
		{ "fd00:ec2::254", ACL_SP_METADATA },    { "fd00:ec2::255", ACL_SP_UNIQUE_LOCAL },
		{ "fd20:ce::253", ACL_SP_UNIQUE_LOCAL }, { "fd20:ce::254", ACL_SP_METADATA },
		{ "fd20:ce::255", ACL_SP_UNIQUE_LOCAL },
	};

	check_rows(cases, sizeof(cases) / sizeof(cases[0]));
}

/* A range that covers a metadata endpoint does not exempt it: its row or
 * its own address does.  In explain's check and in the kernel's set. */
Test(special, wide_private_range_keeps_metadata_shut)
{
	struct acl_cidr wide[] = { C("169.254.0.0/16"), C("fc00::/7"), C("0.0.0.0/0") };
	struct acl_cidr exact[] = { C("169.254.169.254/32"), C("fd20:ce::254/128") };
	struct acl_private pw = { .n = 3, .cidrs = wide }, pe = { .n = 2, .cidrs = exact },
			   pr = { .rows = 1u << ACL_SP_METADATA };
	struct acl_cidr md = C("169.254.169.254"), ll = C("169.254.1.1"), m6 = C("fd00:ec2::254"),
			g6 = C("fd20:ce::254"), mm = C("::ffff:169.254.169.254");
	struct acl_set d4, d6;

	cr_assert(!acl_private_covers(&pw, ACL_SP_METADATA, 4, md.v));
	cr_assert(acl_private_covers(&pw, ACL_SP_LINK_LOCAL, 4, ll.v));
	cr_assert(!acl_private_covers(&pw, ACL_SP_METADATA, 6, m6.v));
	cr_assert(!acl_private_covers(&pw, ACL_SP_METADATA, 6, mm.v));
	cr_assert(acl_private_covers(&pe, ACL_SP_METADATA, 4, md.v));
	cr_assert(acl_private_covers(&pe, ACL_SP_METADATA, 6, mm.v));
	cr_assert(acl_private_covers(&pe, ACL_SP_METADATA, 6, g6.v));
	cr_assert(!acl_private_covers(&pe, ACL_SP_METADATA, 6, m6.v));
	cr_assert(acl_private_covers(&pr, ACL_SP_METADATA, 6, m6.v));
	acl_sp_denied_set(ACL_V4, &pw, &d4);
	acl_sp_denied_set(ACL_V6, &pw, &d6);
	cr_assert(acl_set_contains(&d4, md.v) && !acl_set_contains(&d4, ll.v));
	cr_assert(acl_set_contains(&d6, m6.v) && acl_set_contains(&d6, mm.v));
	acl_set_free(&d4);
	acl_set_free(&d6);
	probe_denied(ACL_V4, &pw);
	probe_denied(ACL_V6, &pw);
	probe_denied(ACL_V6, &pe);
}

/* What IANA marks globally reachable inside refused rows, both edges. */
Test(special, globally_reachable_exceptions_and_their_edges)
{
	static const struct row_case cases[] = {
		{ "192.0.0.8", ACL_SP_IETF_PROTOCOL }, { "192.0.0.9", ACL_SP_NONE },
		{ "192.0.0.10", ACL_SP_NONE },         { "192.0.0.11", ACL_SP_IETF_PROTOCOL },
		{ "2001:1::", ACL_SP_IETF_PROTOCOL },  { "2001:1::1", ACL_SP_NONE },
		{ "2001:1::3", ACL_SP_NONE },          { "2001:1::4", ACL_SP_IETF_PROTOCOL },
		{ "2001:2::", ACL_SP_BENCHMARKING },   { "2001:2:0:ffff::1", ACL_SP_BENCHMARKING },
		{ "2001:2:1::", ACL_SP_IETF_PROTOCOL },
		{ "2001:2:ffff:ffff:ffff:ffff:ffff:ffff", ACL_SP_IETF_PROTOCOL },
		{ "2001:3::", ACL_SP_NONE },           { "2001:3:ffff:ffff:ffff:ffff:ffff:ffff", ACL_SP_NONE },
		{ "2001:4::", ACL_SP_IETF_PROTOCOL },
		{ "2001:4:111:ffff:ffff:ffff:ffff:ffff", ACL_SP_IETF_PROTOCOL },
		{ "2001:4:112::", ACL_SP_NONE },       { "2001:4:112:ffff:ffff:ffff:ffff:ffff", ACL_SP_NONE },
		{ "2001:4:113::", ACL_SP_IETF_PROTOCOL },
		{ "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", ACL_SP_IETF_PROTOCOL },
		{ "2001:20::", ACL_SP_NONE },          { "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", ACL_SP_NONE },
		{ "2001:30::", ACL_SP_NONE },          { "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", ACL_SP_NONE },
		{ "2001:40::", ACL_SP_IETF_PROTOCOL },
	};

	check_rows(cases, sizeof(cases) / sizeof(cases[0]));
}

/* RFC 6052 section 2.4's table: 192.0.2.33 under each prefix length. */
Test(special, nat64_local_prefixes_carry_ipv4_at_every_length)
{
	static const char *const rfc[][2] = {
		{ "2001:db8::/32", "2001:db8:c000:221::" },
		{ "2001:db8:100::/40", "2001:db8:1c0:2:21::" },
		{ "2001:db8:122::/48", "2001:db8:122:c000:2:2100::" },
		{ "2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::" },
		{ "2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0" },
		{ "2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33" },
	};

	for (size_t i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		struct acl_cidr n = C(rfc[i][0]), a = C(rfc[i][1]), in;
		struct acl_private p = { .nnat64 = 1, .nat64 = &n };
		acl_u128 v4 = 0;

		cr_assert_null(acl_nat64_refuse(NULL, 0, &n), "%s", rfc[i][0]);
		cr_assert(acl_sp_embedded(&p, a.v, &v4, &in), "%s", rfc[i][1]);
		cr_assert(v4 == 0xc0000221u && in.len == n.len, "%s", rfc[i][1]);
		cr_assert(nat64_form(&n, 0xc0000221u, 0, 0) == a.v, "%s", rfc[i][1]);
		/* a translator ignores the u octet and the suffix: so does netacl */
		cr_assert(acl_sp_embedded(&p, nat64_form(&n, 0x0a010203u, 0xff, ~0ull), &v4, NULL));
		cr_assert(v4 == 0x0a010203u, "%s", rfc[i][0]);
		/* without the prefix, the same address is just documentation */
		cr_assert_eq(acl_sp_classify(NULL, ACL_V6, nat64_form(&n, 0x08080808u, 0, 0)),
			     ACL_SP_DOCUMENTATION);
		cr_assert_eq(acl_sp_classify(&p, ACL_V6, nat64_form(&n, 0x08080808u, 0, 0)),
			     ACL_SP_NONE, "%s", rfc[i][0]);
		cr_assert_eq(acl_sp_classify(&p, ACL_V6, nat64_form(&n, 0x0a010203u, 7, 9)),
			     ACL_SP_PRIVATE_USE, "%s", rfc[i][0]);
		/* both edges: the prefix's first and last address, and past them */
		cr_assert_eq(acl_sp_classify(&p, ACL_V6, n.v), ACL_SP_THIS_NETWORK);
		cr_assert_eq(acl_sp_classify(&p, ACL_V6, acl_cidr_last(&n)), ACL_SP_BROADCAST);
		cr_assert_eq(acl_sp_classify(&p, ACL_V6, n.v - 1),
			     acl_sp_classify(NULL, ACL_V6, n.v - 1));
		cr_assert_eq(acl_sp_classify(&p, ACL_V6, acl_cidr_last(&n) + 1),
			     acl_sp_classify(NULL, ACL_V6, acl_cidr_last(&n) + 1));
		cr_assert_neq(acl_sp_classify(NULL, ACL_V6, n.v), ACL_SP_THIS_NETWORK);
	}
}

Test(special, nat64_prefixes_refused)
{
	static const char *const bad[] = { "2001:db8::/33", "2001:db8::/128", "10.0.0.0/8",
					   "::ffff:0:0/96", "::/32", "64:ff9b::/96",
					   "64:ff9b::/64", "fd00:ec2::/96", "fd20:ce::/32" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct acl_cidr c = C(bad[i]);

		cr_assert_not_null(acl_nat64_refuse(NULL, 0, &c), "%s", bad[i]);
	}
	struct acl_cidr ok = C("64:ff9b:1:2::/96");

	cr_assert_null(acl_nat64_refuse(NULL, 0, &ok));
	cr_assert_not_null(acl_nat64_refuse(&ok, 1, &ok), "overlaps itself");
}

/* Exemptions and the metadata floor reach under local prefixes, and the
 * kernel's set agrees with explain's classification there. */
Test(special, nat64_local_prefixes_exemptions_and_metadata)
{
	struct acl_cidr n64[] = { C("2001:db8:64::/96"), C("2a00:1::/40"), C("fd64:1:2:3::/64") };
	struct acl_cidr nets[] = { C("10.0.0.0/8"), C("169.254.0.0/16"), C("2001:db8:64::/96") };
	struct acl_private p = { .n = 3, .cidrs = nets, .nnat64 = 3, .nat64 = n64 },
			   bare = { .nnat64 = 3, .nat64 = n64 },
			   rows = { .rows = 1u << ACL_SP_METADATA | 1u << ACL_SP_LOOPBACK,
				    .nnat64 = 3, .nat64 = n64 };
	char ep[ACL_CIDR_STRLEN];

	for (size_t i = 0; i < 3; i++) {
		acl_u128 ten = nat64_form(&n64[i], 0x0a000001u, 3, 4),
			 md = nat64_form(&n64[i], 0xa9fea9feu, 0, 0),
			 lo = nat64_form(&n64[i], 0x7f000001u, 200, 0);

		cr_assert(acl_private_covers(&p, ACL_SP_PRIVATE_USE, ACL_V6, ten));
		cr_assert(!acl_private_covers(&bare, ACL_SP_PRIVATE_USE, ACL_V6, ten));
		cr_assert_eq(acl_sp_classify(&p, ACL_V6, md), ACL_SP_METADATA);
		cr_assert(!acl_private_covers(&p, ACL_SP_METADATA, ACL_V6, md));
		cr_assert(acl_private_covers(&rows, ACL_SP_METADATA, ACL_V6, md));
		cr_assert(acl_private_covers(&rows, ACL_SP_LOOPBACK, ACL_V6, lo));
	}
	/* a private: range over a local prefix warns of the endpoint in it */
	cr_assert(acl_sp_covers_metadata(&p, &nets[2], ep));
	cr_assert_str_eq(ep, "169.254.169.254");
	cr_assert(!acl_sp_covers_metadata(NULL, &nets[2], NULL));
	probe_denied(ACL_V6, &p);
	probe_denied(ACL_V6, &bare);
	probe_denied(ACL_V6, &rows);
}

/* ---- the deny table as longest-prefix entries (acl_set_to_lpm) ---- */

struct lpm {
	size_t n;
	struct acl_cidr c[4096];
	bool in[4096];
};

static void lpm_push(const struct acl_cidr *c, bool in, void *arg)
{
	struct lpm *l = arg;

	cr_assert_lt(l->n, 4096);
	l->c[l->n] = *c;
	l->in[l->n++] = in;
}

/* What a longest-prefix-match lookup of v finds: denied or not. */
static bool lpm_denies(const struct lpm *l, acl_u128 v)
{
	int best = -1;
	bool in = false;

	for (size_t i = 0; i < l->n; i++)
		if (v >= l->c[i].v && v <= acl_cidr_last(&l->c[i]) && l->c[i].len > best)
			best = l->c[i].len, in = l->in[i];
	return in;
}

static acl_u128 rnd(int family, unsigned *seed)
{
	acl_u128 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 16 | (acl_u128)(rand_r(seed) & 0xffff);
	return family == ACL_V4 ? v & 0xffffffff : v;
}

/* The entries read back (acl_lpm_to_set, as inspect does), in any
 * order, are d. */
static void lpm_round_trip(const struct lpm *l, const struct acl_set *d)
{
	struct acl_lpm_entry *e = calloc(l->n + 1, sizeof(*e));
	struct acl_set back;

	/* in reverse: longest first, as the kernel may list a trie */
	for (size_t i = 0; i < l->n; i++)
		e[l->n - 1 - i] = (struct acl_lpm_entry){ l->c[i], l->in[i] };
	acl_lpm_to_set(e, l->n, d->family, &back);
	cr_assert_eq(back.n, d->n, "%zu intervals back, not %zu", back.n, d->n);
	for (size_t i = 0; i < d->n; i++)
		cr_assert(back.iv[i].lo == d->iv[i].lo && back.iv[i].hi == d->iv[i].hi, "interval %zu", i);
	acl_set_free(&back);
	free(e);
}

/* The table less the exemptions priv (row names or CIDRs). */
static void denied_set(int family, const char *const *priv, size_t npriv, struct acl_set *d)
{
	struct acl_cidr cidrs[8];
	struct acl_private p = { .cidrs = cidrs };

	for (size_t i = 0; i < npriv; i++) {
		int row = acl_sp_lookup(priv[i]);
		struct acl_err e;

		if (row != ACL_SP_NONE)
			p.rows |= 1u << row;
		else
			cr_assert_eq(acl_cidr_parse(priv[i], strlen(priv[i]), &cidrs[p.n++], &e), 0);
	}
	acl_sp_denied_set(family, &p, d);
}

/* The table less exemptions, as LPM entries, agrees with the set at
 * every edge of every entry and at random addresses, in at most max
 * entries. */
static void lpm_agrees(int family, const char *const *priv, size_t npriv, size_t max_entries)
{
	struct acl_set d;
	struct lpm *l = calloc(1, sizeof(*l));
	unsigned seed = 1;

	denied_set(family, priv, npriv, &d);
	acl_set_to_lpm(&d, lpm_push, l);
	lpm_round_trip(l, &d);
	cr_assert_leq(l->n, max_entries, "%zu entries", l->n);
	for (size_t i = 0; i < l->n; i++) {
		acl_u128 edge[4] = { l->c[i].v, acl_cidr_last(&l->c[i]), l->c[i].v - 1,
				     acl_cidr_last(&l->c[i]) + 1 };

		for (int k = 0; k < 4; k++)
			cr_assert_eq(lpm_denies(l, edge[k]), acl_set_contains(&d, edge[k]),
				     "entry %zu edge %d", i, k);
	}
	for (int i = 0; i < 20000; i++) {
		acl_u128 v = rnd(family, &seed);

		cr_assert_eq(lpm_denies(l, v), acl_set_contains(&d, v));
	}
	acl_set_free(&d);
	free(l);
}

static size_t lpm_count(int family, const char *const *priv, size_t npriv)
{
	struct acl_set d;
	struct lpm *l = calloc(1, sizeof(*l));
	size_t n;

	denied_set(family, priv, npriv, &d);
	acl_set_to_lpm(&d, lpm_push, l);
	n = l->n;
	acl_set_free(&d);
	free(l);
	return n;
}

Test(special, lpm_of_the_table_with_exemptions)
{
	static const char *const loop[] = { "loopback" }, *const mixed[] = {
		"private-use", "::1/128", "10.1.0.0/16", "fc00::/8", "169.254.169.254/32"
	};
	size_t table6 = lpm_count(ACL_V6, NULL, 0);

	/* the exemption of ::1 costs one entry, not a carve of ::/8 */
	cr_assert_leq(lpm_count(ACL_V6, loop, 1), table6 + 1);
	lpm_agrees(ACL_V6, NULL, 0, table6);
	lpm_agrees(ACL_V6, loop, 1, table6 + 1);
	lpm_agrees(ACL_V4, loop, 1, 4096);
	lpm_agrees(ACL_V6, mixed, 5, 4096);
	lpm_agrees(ACL_V4, mixed, 5, 4096);
	lpm_agrees(ACL_V4, NULL, 0, 4096);
}

static void set_lpm(int family, const acl_u128 (*iv)[2], size_t n, struct lpm *l)
{
	struct acl_set d;

	acl_set_init(&d, family);
	for (size_t i = 0; i < n; i++)
		acl_set_add(&d, iv[i][0], iv[i][1]);
	acl_set_normalise(&d);
	l->n = 0;
	acl_set_to_lpm(&d, lpm_push, l);
	lpm_round_trip(l, &d);
	for (size_t i = 0; i < l->n; i++)
		for (int k = 0; k < 4; k++) {
			acl_u128 v = k < 2 ? (k ? acl_cidr_last(&l->c[i]) : l->c[i].v) :
					     (k == 2 ? l->c[i].v - 1 : acl_cidr_last(&l->c[i]) + 1);

			cr_assert_eq(lpm_denies(l, v), acl_set_contains(&d, v));
		}
	acl_set_free(&d);
}

/* The fewest entries: a prefix less one address is two, the whole space
 * less one address is two, an empty set none; and random sets agree. */
Test(special, lpm_is_optimal_and_agrees)
{
	static const acl_u128 hole[][2] = { { 0, 6 }, { 8, 255 } };          /* 0.0.0.0/24 less .7 */
	static const acl_u128 all_but[][2] = { { 0, 99 }, { 101, 0xffffffff } };
	struct lpm *l = calloc(1, sizeof(*l));
	unsigned seed = 7;

	set_lpm(ACL_V4, hole, 2, l);
	cr_assert_eq(l->n, 2, "%zu", l->n);
	set_lpm(ACL_V4, all_but, 2, l);
	cr_assert_eq(l->n, 2, "%zu", l->n);
	set_lpm(ACL_V4, NULL, 0, l);
	cr_assert_eq(l->n, 0);
	for (int round = 0; round < 200; round++) {
		acl_u128 iv[8][2];

		for (int i = 0; i < 8; i++) {
			acl_u128 a = rand_r(&seed) % 4096, b = a + rand_r(&seed) % 300;

			iv[i][0] = a, iv[i][1] = b;
		}
		set_lpm(ACL_V4, (const acl_u128 (*)[2])iv, 8, l);
		for (acl_u128 v = 0; v < 4500; v++) {
			bool in = false;

			for (int i = 0; i < 8; i++)
				in |= v >= iv[i][0] && v <= iv[i][1];
			cr_assert_eq(lpm_denies(l, v), in, "round %d: %u", round, (unsigned)v);
		}
	}
	free(l);
}

/* ---- the deny table's first-byte blocks (acl_set_blocks) ---- */

/* Every block's class holds: NONE has no address of d, ALL only d's,
 * SOME both (checked at its edges, its middle and random addresses). */
static void blocks_agree(const struct acl_set *d)
{
	unsigned shift = acl_width(d->family) - 8, seed = 3;
	uint8_t cls[256];

	acl_set_blocks(d, cls);
	for (unsigned b = 0; b < 256; b++) {
		acl_u128 lo = (acl_u128)b << shift, size = (acl_u128)1 << shift;
		acl_u128 v[64] = { lo, lo + size - 1, lo + size / 2 };
		bool in = false, out = false;

		for (int k = 3; k < 64; k++)
			v[k] = lo + rnd(d->family, &seed) % size;
		for (int k = 0; k < 64; k++)
			acl_set_contains(d, v[k]) ? (in = true) : (out = true);
		if (cls[b] == ACL_BLOCK_NONE)
			cr_assert(!in, "block %u: NONE, but holds an address of the set", b);
		else if (cls[b] == ACL_BLOCK_ALL)
			cr_assert(!out, "block %u: ALL, but misses an address", b);
		else
			cr_assert_eq(cls[b], ACL_BLOCK_SOME, "block %u", b);
	}
}

Test(special, blocks_of_the_table)
{
	static const char *const loop[] = { "loopback" };
	struct acl_set d4, d4l, d6, d6l;
	uint8_t c4[256], c4l[256], c6[256], c6l[256];

	denied_set(ACL_V4, NULL, 0, &d4);
	denied_set(ACL_V4, loop, 1, &d4l);
	denied_set(ACL_V6, NULL, 0, &d6);
	denied_set(ACL_V6, loop, 1, &d6l);
	blocks_agree(&d4), blocks_agree(&d4l), blocks_agree(&d6), blocks_agree(&d6l);
	acl_set_blocks(&d4, c4), acl_set_blocks(&d4l, c4l);
	acl_set_blocks(&d6, c6), acl_set_blocks(&d6l, c6l);
	/* what the programs answer without a trie walk */
	cr_assert_eq(c4[10], ACL_BLOCK_ALL);    /* 10/8 private-use */
	cr_assert_eq(c4[127], ACL_BLOCK_ALL);   /* 127/8 loopback */
	cr_assert_eq(c4l[127], ACL_BLOCK_NONE); /* exempt */
	cr_assert_eq(c4[93], ACL_BLOCK_NONE);
	cr_assert_eq(c4[100], ACL_BLOCK_SOME);  /* 100.64/10 shared */
	cr_assert_eq(c4[224], ACL_BLOCK_ALL);   /* multicast */
	cr_assert_eq(c6[0x26], ACL_BLOCK_NONE); /* 2600::/8 */
	cr_assert_eq(c6[0x20], ACL_BLOCK_SOME); /* 2001:db8::/32 and 2002::/16 inside */
	cr_assert_eq(c6[0xfc], ACL_BLOCK_ALL);  /* fc00::/7 unique local */
	cr_assert_eq(c6l[0x00], ACL_BLOCK_SOME); /* ::1 exempt, the rest of ::/8 not */
	acl_set_free(&d4), acl_set_free(&d4l), acl_set_free(&d6), acl_set_free(&d6l);
}

/* Two intervals side by side that cover a block are SOME, not ALL (safe:
 * the trie answers); an empty set is NONE everywhere. */
Test(special, blocks_edges)
{
	struct acl_set d;
	uint8_t c[256];

	acl_set_init(&d, ACL_V4);
	acl_set_blocks(&d, c);
	for (int b = 0; b < 256; b++)
		cr_assert_eq(c[b], ACL_BLOCK_NONE);
	acl_set_add(&d, (acl_u128)5 << 24, ((acl_u128)6 << 24) - 1);
	acl_set_add(&d, ((acl_u128)7 << 24) + 1, ((acl_u128)8 << 24) + 5); /* into the next block */
	acl_set_add(&d, (acl_u128)255 << 24, 0xffffffff);
	acl_set_normalise(&d);
	blocks_agree(&d);
	acl_set_blocks(&d, c);
	cr_assert_eq(c[4], ACL_BLOCK_NONE);
	cr_assert_eq(c[5], ACL_BLOCK_ALL);
	cr_assert_eq(c[6], ACL_BLOCK_NONE);
	cr_assert_eq(c[7], ACL_BLOCK_SOME);
	cr_assert_eq(c[8], ACL_BLOCK_SOME);
	cr_assert_eq(c[9], ACL_BLOCK_NONE);
	cr_assert_eq(c[255], ACL_BLOCK_ALL);
	acl_set_free(&d);
}
