#include "special.h"

#include <stdlib.h>
#include <string.h>

static const char *const row_names[ACL_SP_NROWS] = {
	"this-network", "private-use", "shared-cgnat",  "loopback",
	"link-local",   "metadata",    "ietf-protocol", "documentation",
	"benchmarking", "6to4",        "teredo",        "multicast",
	"reserved",     "broadcast",   "unique-local",
};

#define V4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

struct v4_range {
	uint32_t net;
	uint8_t len;
	int8_t row;
};

/* An IPv6 prefix: the top 64 bits, the low 64 bits. */
struct v6_range {
	uint64_t hi, lo;
	uint8_t len;
	int8_t row;
};

static const struct v4_range v4_table[] = {
	{ V4(0, 0, 0, 0), 8, ACL_SP_THIS_NETWORK },
	{ V4(10, 0, 0, 0), 8, ACL_SP_PRIVATE_USE },
	{ V4(172, 16, 0, 0), 12, ACL_SP_PRIVATE_USE },
	{ V4(192, 168, 0, 0), 16, ACL_SP_PRIVATE_USE },
	{ V4(100, 64, 0, 0), 10, ACL_SP_SHARED_CGNAT },
	{ V4(127, 0, 0, 0), 8, ACL_SP_LOOPBACK },
	{ V4(169, 254, 0, 0), 16, ACL_SP_LINK_LOCAL },
	{ V4(169, 254, 169, 254), 32, ACL_SP_METADATA },
	{ V4(169, 254, 170, 2), 32, ACL_SP_METADATA },   /* AWS ECS task credentials */
	{ V4(169, 254, 170, 23), 32, ACL_SP_METADATA },  /* AWS EKS Pod Identity */
	{ V4(169, 254, 0, 23), 32, ACL_SP_METADATA },    /* Tencent Cloud */
	{ V4(100, 100, 100, 200), 32, ACL_SP_METADATA },
	{ V4(168, 63, 129, 16), 32, ACL_SP_METADATA },
	{ V4(192, 0, 0, 0), 24, ACL_SP_IETF_PROTOCOL },
	/* IANA marks these globally reachable: '*' reaches them */
	{ V4(192, 0, 0, 9), 32, ACL_SP_NONE },   /* PCP anycast */
	{ V4(192, 0, 0, 10), 32, ACL_SP_NONE },  /* TURN anycast */
	{ V4(192, 0, 2, 0), 24, ACL_SP_DOCUMENTATION },
	{ V4(198, 51, 100, 0), 24, ACL_SP_DOCUMENTATION },
	{ V4(203, 0, 113, 0), 24, ACL_SP_DOCUMENTATION },
	{ V4(198, 18, 0, 0), 15, ACL_SP_BENCHMARKING },
	{ V4(192, 88, 99, 0), 24, ACL_SP_6TO4 },
	{ V4(224, 0, 0, 0), 4, ACL_SP_MULTICAST },
	{ V4(240, 0, 0, 0), 4, ACL_SP_RESERVED },
	{ V4(255, 255, 255, 255), 32, ACL_SP_BROADCAST },
};

static const struct v6_range v6_table[] = {
	/* everything outside 2000::/3 is reserved unless named below */
	{ 0, 0, 0, ACL_SP_RESERVED },
	{ 0x2000000000000000ull, 0, 3, ACL_SP_NONE },
	{ 0, 0, 128, ACL_SP_THIS_NETWORK },
	{ 0, 1, 128, ACL_SP_LOOPBACK },
	{ 0, 0, 96, ACL_SP_RESERVED }, /* IPv4-compatible */
	{ 0xfe80000000000000ull, 0, 10, ACL_SP_LINK_LOCAL },
	{ 0xfd000ec200000000ull, 0x254, 128, ACL_SP_METADATA }, /* AWS IMDS */
	{ 0xfd000ec200000000ull, 0x23, 128, ACL_SP_METADATA },  /* AWS EKS Pod Identity */
	{ 0xfd2000ce00000000ull, 0x254, 128, ACL_SP_METADATA }, /* GCP metadata */
	{ 0x2001000000000000ull, 0, 23, ACL_SP_IETF_PROTOCOL },
	/* IANA marks these globally reachable: '*' reaches them */
	{ 0x2001000100000000ull, 1, 128, ACL_SP_NONE },     /* 2001:1::1, PCP anycast */
	{ 0x2001000100000000ull, 2, 128, ACL_SP_NONE },     /* 2001:1::2, TURN anycast */
	{ 0x2001000100000000ull, 3, 128, ACL_SP_NONE },     /* 2001:1::3, DNS-SD SRP anycast */
	{ 0x2001000300000000ull, 0, 32, ACL_SP_NONE },      /* 2001:3::/32, AMT */
	{ 0x2001000401120000ull, 0, 48, ACL_SP_NONE },      /* 2001:4:112::/48, AS112-v6 */
	{ 0x2001002000000000ull, 0, 28, ACL_SP_NONE },      /* 2001:20::/28, ORCHIDv2 */
	{ 0x2001003000000000ull, 0, 28, ACL_SP_NONE },      /* 2001:30::/28, DRIP */
	{ 0x2001000200000000ull, 0, 48, ACL_SP_BENCHMARKING }, /* 2001:2::/48 */
	{ 0x2001000000000000ull, 0, 32, ACL_SP_TEREDO },
	{ 0x20010db800000000ull, 0, 32, ACL_SP_DOCUMENTATION },
	{ 0x3fff000000000000ull, 0, 20, ACL_SP_DOCUMENTATION },
	{ 0x2002000000000000ull, 0, 16, ACL_SP_6TO4 },
	{ 0xff00000000000000ull, 0, 8, ACL_SP_MULTICAST },
	{ 0x0064ff9b00010000ull, 0, 48, ACL_SP_RESERVED },
	{ 0x0100000000000000ull, 0, 64, ACL_SP_RESERVED },
	{ 0x5f00000000000000ull, 0, 16, ACL_SP_RESERVED },
	{ 0xfec0000000000000ull, 0, 10, ACL_SP_RESERVED },
	{ 0xfc00000000000000ull, 0, 7, ACL_SP_UNIQUE_LOCAL },
};

/* IPv6 prefixes that carry an IPv4 address in their low 32 bits. */
static const struct v6_range v6_embedding[] = {
	{ 0, 0x0000ffff00000000ull, 96, ACL_SP_NONE },  /* ::ffff:0:0/96 */
	{ 0x0064ff9b00000000ull, 0, 96, ACL_SP_NONE },  /* 64:ff9b::/96 */
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static acl_u128 v6_value(const struct v6_range *r)
{
	return (acl_u128)r->hi << 64 | r->lo;
}

static struct acl_cidr v4_cidr(const struct v4_range *r)
{
	return (struct acl_cidr){ ACL_V4, r->len, r->net };
}

static struct acl_cidr v6_cidr(const struct v6_range *r)
{
	return (struct acl_cidr){ ACL_V6, r->len, v6_value(r) };
}

const char *acl_sp_name(int row)
{
	return row >= 0 && row < ACL_SP_NROWS ? row_names[row] : NULL;
}

int acl_sp_lookup(const char *name)
{
	for (int i = 0; i < ACL_SP_NROWS; i++)
		if (strcmp(row_names[i], name) == 0)
			return i;
	return ACL_SP_NONE;
}

/* The IPv4 address an IPv6 address carries, if it is mapped or NAT64. */
static bool embedded_v4(acl_u128 v, acl_u128 *v4)
{
	for (size_t i = 0; i < NELEM(v6_embedding); i++) {
		struct acl_cidr c = v6_cidr(&v6_embedding[i]);

		if (acl_cidr_contains(&c, ACL_V6, v)) {
			*v4 = v & 0xffffffffu;
			return true;
		}
	}
	return false;
}

int acl_sp_classify(int family, acl_u128 v)
{
	int best = ACL_SP_NONE, best_len = -1;
	acl_u128 v4;

	if (family == ACL_V6 && embedded_v4(v, &v4))
		return acl_sp_classify(ACL_V4, v4);
	if (family == ACL_V4) {
		for (size_t i = 0; i < NELEM(v4_table); i++) {
			struct acl_cidr c = v4_cidr(&v4_table[i]);

			if (c.len > best_len && acl_cidr_contains(&c, family, v)) {
				best = v4_table[i].row;
				best_len = c.len;
			}
		}
		return best;
	}
	for (size_t i = 0; i < NELEM(v6_table); i++) {
		struct acl_cidr c = v6_cidr(&v6_table[i]);

		if (c.len > best_len && acl_cidr_contains(&c, family, v)) {
			best = v6_table[i].row;
			best_len = c.len;
		}
	}
	return best;
}

bool acl_private_covers(const struct acl_private *p, int row, int family,
			acl_u128 v)
{
	acl_u128 v4;

	if (!p)
		return false;
	if (row >= 0 && (p->rows & (1u << row)))
		return true;
	/* a metadata endpoint is exempted by its row or its own address,
	 * never by a wider range that happens to cover it */
	for (size_t i = 0; i < p->n; i++)
		if (acl_cidr_contains(&p->cidrs[i], family, v) &&
		    (row != ACL_SP_METADATA || p->cidrs[i].len == acl_width(family)))
			return true;
	/* a private IPv4 range also covers its mapped and NAT64 forms */
	if (family == ACL_V6 && embedded_v4(v, &v4))
		return acl_private_covers(p, row, ACL_V4, v4);
	return false;
}

/* Interval boundaries: every prefix's first address and the one past its
 * last.  Classification is constant between consecutive boundaries. */
static void add_bounds(struct acl_set *b, const struct acl_cidr *c)
{
	acl_set_add(b, c->v, c->v);
	if (acl_cidr_last(c) != acl_family_max(c->family))
		acl_set_add(b, acl_cidr_last(c) + 1, acl_cidr_last(c) + 1);
}

static int bound_cmp(const void *a, const void *b)
{
	const struct acl_iv *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static void collect_bounds(int family, struct acl_set *b)
{
	acl_set_add(b, 0, 0);
	if (family == ACL_V4) {
		for (size_t i = 0; i < NELEM(v4_table); i++) {
			struct acl_cidr c = v4_cidr(&v4_table[i]);

			add_bounds(b, &c);
		}
		return;
	}
	for (size_t i = 0; i < NELEM(v6_table); i++) {
		struct acl_cidr c = v6_cidr(&v6_table[i]);

		add_bounds(b, &c);
	}
	for (size_t e = 0; e < NELEM(v6_embedding); e++) {
		acl_u128 base = v6_value(&v6_embedding[e]);
		struct acl_cidr c = v6_cidr(&v6_embedding[e]);

		add_bounds(b, &c);
		for (size_t i = 0; i < NELEM(v4_table); i++) {
			struct acl_cidr c4 = v4_cidr(&v4_table[i]);

			c4.family = ACL_V6;
			c4.len = (uint8_t)(c4.len + 96);
			c4.v += base;
			add_bounds(b, &c4);
		}
	}
}

/* Take out of priv every metadata endpoint (and, for IPv6, the mapped
 * and NAT64 forms of the IPv4 ones) that p exempts only by a wider
 * range: acl_private_covers says why. */
static void keep_metadata(int family, const struct acl_private *p, struct acl_set *priv)
{
	struct acl_set meta, left;

	if (!p || (p->rows & (1u << ACL_SP_METADATA)))
		return;
	acl_set_init(&meta, family);
	for (size_t i = 0; i < NELEM(v4_table); i++) {
		if (v4_table[i].row != ACL_SP_METADATA)
			continue;
		acl_u128 e = v4_table[i].net;

		if (acl_private_covers(p, ACL_SP_METADATA, ACL_V4, e))
			continue;
		if (family == ACL_V4)
			acl_set_add(&meta, e, e);
		for (size_t k = 0; family == ACL_V6 && k < NELEM(v6_embedding); k++) {
			acl_u128 m = v6_value(&v6_embedding[k]) + e;

			acl_set_add(&meta, m, m);
		}
	}
	for (size_t i = 0; family == ACL_V6 && i < NELEM(v6_table); i++) {
		acl_u128 e = v6_value(&v6_table[i]);

		if (v6_table[i].row == ACL_SP_METADATA &&
		    !acl_private_covers(p, ACL_SP_METADATA, ACL_V6, e))
			acl_set_add(&meta, e, e);
	}
	acl_set_normalise(&meta);
	acl_set_subtract(priv, &meta, &left);
	acl_set_free(priv);
	*priv = left;
	acl_set_free(&meta);
}

void acl_sp_denied_set(int family, const struct acl_private *p,
		       struct acl_set *out)
{
	struct acl_set bounds, raw, priv;

	acl_set_init(&bounds, family);
	collect_bounds(family, &bounds);
	qsort(bounds.iv, bounds.n, sizeof(*bounds.iv), bound_cmp);

	/* points as single-address intervals: normalising would merge
	 * neighbours, so drop duplicates by hand */
	size_t k = 0;
	for (size_t i = 0; i < bounds.n; i++)
		if (k == 0 || bounds.iv[i].lo != bounds.iv[k - 1].lo)
			bounds.iv[k++] = bounds.iv[i];
	bounds.n = k;

	acl_set_init(&raw, family);
	for (size_t i = 0; i < bounds.n; i++) {
		acl_u128 lo = bounds.iv[i].lo, hi;
		int row;

		hi = i + 1 < bounds.n ? bounds.iv[i + 1].lo - 1
				      : acl_family_max(family);
		row = acl_sp_classify(family, lo);
		if (row != ACL_SP_NONE && !(p && (p->rows & (1u << row))))
			acl_set_add(&raw, lo, hi);
	}
	acl_set_free(&bounds);
	acl_set_normalise(&raw);

	acl_set_init(&priv, family);
	for (size_t i = 0; p && i < p->n; i++) {
		struct acl_cidr c = p->cidrs[i];

		if (c.family == family) {
			acl_set_add_cidr(&priv, &c);
		} else if (family == ACL_V6) {
			/* an IPv4 exemption covers its mapped and NAT64 forms */
			for (size_t e = 0; e < NELEM(v6_embedding); e++) {
				struct acl_cidr m = c;

				m.family = ACL_V6;
				m.len = (uint8_t)(m.len + 96);
				m.v += v6_value(&v6_embedding[e]);
				acl_set_add_cidr(&priv, &m);
			}
		}
	}
	acl_set_normalise(&priv);
	keep_metadata(family, p, &priv);
	acl_set_subtract(&raw, &priv, out);
	acl_set_free(&raw);
	acl_set_free(&priv);
}

bool acl_sp_covers_metadata(const struct acl_cidr *c, char endpoint[ACL_CIDR_STRLEN])
{
	for (size_t i = 0; i < NELEM(v4_table); i++)
		if (v4_table[i].row == ACL_SP_METADATA &&
		    acl_cidr_contains(c, ACL_V4, v4_table[i].net)) {
			if (endpoint)
				acl_addr_format(ACL_V4, v4_table[i].net, endpoint);
			return true;
		}
	for (size_t i = 0; i < NELEM(v6_table); i++)
		if (v6_table[i].row == ACL_SP_METADATA &&
		    acl_cidr_contains(c, ACL_V6, v6_value(&v6_table[i]))) {
			if (endpoint)
				acl_addr_format(ACL_V6, v6_value(&v6_table[i]), endpoint);
			return true;
		}
	return false;
}
