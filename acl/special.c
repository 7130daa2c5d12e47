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

/* IPv6 prefixes that carry an IPv4 address in their low 32 bits; the
 * policy's local NAT64 prefixes come after these. */
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

/* The prefixes in force that carry IPv4: the table's two, then p's. */
#define NEMBED (2 + ACL_NAT64_MAX)

static size_t embeddings(const struct acl_private *p, struct acl_cidr out[NEMBED])
{
	size_t n = 0;

	for (size_t i = 0; i < NELEM(v6_embedding); i++)
		out[n++] = v6_cidr(&v6_embedding[i]);
	for (size_t i = 0; p && i < p->nnat64 && n < NEMBED; i++)
		out[n++] = p->nat64[i];
	return n;
}

static uint64_t low_bits(unsigned n)
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/* RFC 6052 2.2: under a prefix of length L < 96 the IPv4 address fills
 * the 64 - L bits left before bit 64, skips the 'u' octet (bits 64-71)
 * and goes on after it; the suffix after it is ignored.  Translators
 * ignore a non-zero u octet too, so every u is classified alike. */
static acl_u128 extract_v4(const struct acl_cidr *e, acl_u128 v)
{
	unsigned a, b;

	if (e->len >= 96)
		return v & 0xffffffffu;
	a = 64 - e->len, b = 32 - a;
	return ((v >> 64) & low_bits(a)) << b | ((v >> (56 - b)) & low_bits(b));
}

/* The IPv6 CIDRs (one, or one per u octet) holding c4 under e. */
static void embed_cidr(const struct acl_cidr *e, const struct acl_cidr *c4,
		       void (*fn)(const struct acl_cidr *, void *), void *arg)
{
	struct acl_cidr m = { .family = ACL_V6 };
	unsigned a, b;
	acl_u128 hi, lo;

	if (e->len >= 96) {
		m.len = (uint8_t)(96 + c4->len);
		m.v = e->v | c4->v;
		fn(&m, arg);
		return;
	}
	a = 64 - e->len, b = 32 - a;
	hi = (c4->v >> b) << 64;
	lo = (c4->v & low_bits(b)) << (56 - b);
	if (c4->len <= a) {
		m.len = (uint8_t)(e->len + c4->len);
		m.v = e->v | hi;
		fn(&m, arg);
		return;
	}
	m.len = (uint8_t)(72 + c4->len - a);
	for (unsigned u = 0; u < 256; u++) {
		m.v = e->v | hi | (acl_u128)u << 56 | lo;
		fn(&m, arg);
	}
}

bool acl_sp_embedded(const struct acl_private *p, acl_u128 v, acl_u128 *v4,
		     struct acl_cidr *prefix)
{
	struct acl_cidr e[NEMBED];
	size_t n = embeddings(p, e);

	for (size_t i = 0; i < n; i++)
		if (acl_cidr_contains(&e[i], ACL_V6, v)) {
			*v4 = extract_v4(&e[i], v);
			if (prefix)
				*prefix = e[i];
			return true;
		}
	return false;
}

const char *acl_nat64_refuse(const struct acl_cidr *list, size_t n, const struct acl_cidr *c)
{
	static const uint8_t lens[] = { 32, 40, 48, 56, 64, 96 };
	struct acl_cidr in;
	bool len_ok = false;

	if (c->family != ACL_V6)
		return "a NAT64 prefix is an IPv6 prefix";
	for (size_t i = 0; i < sizeof(lens); i++)
		len_ok |= c->len == lens[i];
	if (!len_ok)
		return "a NAT64 prefix is /32, /40, /48, /56, /64 or /96 (RFC 6052)";
	for (size_t i = 0; i < NELEM(v6_embedding); i++) {
		struct acl_cidr e = v6_cidr(&v6_embedding[i]);

		if (acl_cidr_overlap(&e, c, &in))
			return i == 0 ? "it overlaps the IPv4-mapped prefix ::ffff:0:0/96"
				      : "it overlaps the well-known NAT64 prefix 64:ff9b::/96, "
					"which is always classified";
	}
	for (size_t i = 0; i < NELEM(v6_table); i++)
		if (v6_table[i].row == ACL_SP_METADATA &&
		    acl_cidr_contains(c, ACL_V6, v6_value(&v6_table[i])))
			return "it contains a metadata endpoint";
	for (size_t i = 0; i < n; i++)
		if (acl_cidr_overlap(&list[i], c, &in))
			return "it overlaps another nat64 prefix";
	return NULL;
}

/* The row by the tables alone, embeddings not looked at. */
static int classify_plain(int family, acl_u128 v)
{
	int best = ACL_SP_NONE, best_len = -1;

	for (size_t i = 0; family == ACL_V4 && i < NELEM(v4_table); i++) {
		struct acl_cidr c = v4_cidr(&v4_table[i]);

		if (c.len > best_len && acl_cidr_contains(&c, family, v))
			best = v4_table[i].row, best_len = c.len;
	}
	for (size_t i = 0; family == ACL_V6 && i < NELEM(v6_table); i++) {
		struct acl_cidr c = v6_cidr(&v6_table[i]);

		if (c.len > best_len && acl_cidr_contains(&c, family, v))
			best = v6_table[i].row, best_len = c.len;
	}
	return best;
}

int acl_sp_classify(const struct acl_private *p, int family, acl_u128 v)
{
	acl_u128 v4;

	if (family == ACL_V6 && acl_sp_embedded(p, v, &v4, NULL))
		return classify_plain(ACL_V4, v4);
	return classify_plain(family, v);
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
	if (family == ACL_V6 && acl_sp_embedded(p, v, &v4, NULL))
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

/* The table's own rows (embeddings not looked at) that p does not
 * exempt by name. */
static void rows_denied(int family, const struct acl_private *p, struct acl_set *out)
{
	struct acl_set b;
	size_t k = 0;

	acl_set_init(&b, family);
	acl_set_add(&b, 0, 0);
	for (size_t i = 0; family == ACL_V4 && i < NELEM(v4_table); i++) {
		struct acl_cidr c = v4_cidr(&v4_table[i]);

		add_bounds(&b, &c);
	}
	for (size_t i = 0; family == ACL_V6 && i < NELEM(v6_table); i++) {
		struct acl_cidr c = v6_cidr(&v6_table[i]);

		add_bounds(&b, &c);
	}
	qsort(b.iv, b.n, sizeof(*b.iv), bound_cmp);
	/* points as single-address intervals: normalising would merge
	 * neighbours, so drop duplicates by hand */
	for (size_t i = 0; i < b.n; i++)
		if (k == 0 || b.iv[i].lo != b.iv[k - 1].lo)
			b.iv[k++] = b.iv[i];
	b.n = k;
	acl_set_init(out, family);
	for (size_t i = 0; i < b.n; i++) {
		acl_u128 lo = b.iv[i].lo;
		acl_u128 hi = i + 1 < b.n ? b.iv[i + 1].lo - 1 : acl_family_max(family);
		int row = classify_plain(family, lo);

		if (row != ACL_SP_NONE && !(p && (p->rows & (1u << row))))
			acl_set_add(out, lo, hi);
	}
	acl_set_free(&b);
	acl_set_normalise(out);
}

static void add_to_set(const struct acl_cidr *c, void *arg)
{
	acl_set_add_cidr(arg, c);
}

/* Every embedded form of the CIDRs of a normalised IPv4 set. */
struct embed_ctx {
	const struct acl_cidr *e;
	size_t ne;
	struct acl_set *out;
};

static void embed_all(const struct acl_cidr *c4, void *arg)
{
	struct embed_ctx *x = arg;

	for (size_t i = 0; i < x->ne; i++)
		embed_cidr(&x->e[i], c4, add_to_set, x->out);
}

/* The metadata endpoints p exempts only by a wider range: they stay
 * refused (acl_private_covers says why).  refused4 is what the IPv4
 * table refuses after p, so it holds the IPv4 endpoints p leaves shut. */
static void metadata_kept(const struct acl_private *p, const struct acl_set *refused4,
			  struct embed_ctx *x)
{
	struct acl_set exact;
	struct acl_cidr c4 = { ACL_V4, 32, 0 };

	acl_set_init(&exact, ACL_V6);
	for (size_t i = 0; i < NELEM(v4_table); i++) {
		c4.v = v4_table[i].net;
		if (v4_table[i].row == ACL_SP_METADATA && acl_set_contains(refused4, c4.v))
			embed_all(&c4, x);
	}
	for (size_t i = 0; i < NELEM(v6_table); i++)
		if (v6_table[i].row == ACL_SP_METADATA)
			acl_set_add(x->out, v6_value(&v6_table[i]), v6_value(&v6_table[i]));
	/* ... unless named by their own IPv6 address */
	for (size_t i = 0; i < p->n; i++)
		if (p->cidrs[i].family == ACL_V6 && p->cidrs[i].len == 128)
			acl_set_add_cidr(&exact, &p->cidrs[i]);
	acl_set_normalise(x->out);
	acl_set_normalise(&exact);
	struct acl_set left;

	acl_set_subtract(x->out, &exact, &left);
	acl_set_free(x->out);
	*x->out = left;
	acl_set_free(&exact);
}

/* The exemptions p makes by address in a family, less the metadata
 * endpoints a wider range cannot open.  For IPv6, IPv4 ranges are not
 * here: the embedded forms come from the IPv4 set, already exempted. */
static void exempt_set(int family, const struct acl_private *p, const struct acl_set *refused4,
		       struct acl_cidr *e, size_t ne, struct acl_set *out)
{
	struct acl_set priv, meta;
	struct embed_ctx x = { e, ne, &meta };

	acl_set_init(&priv, family);
	acl_set_init(&meta, family);
	for (size_t i = 0; p && i < p->n; i++)
		if (p->cidrs[i].family == family)
			acl_set_add_cidr(&priv, &p->cidrs[i]);
	acl_set_normalise(&priv);
	if (p && !(p->rows & (1u << ACL_SP_METADATA))) {
		if (family == ACL_V4) {
			for (size_t i = 0; i < NELEM(v4_table); i++)
				if (v4_table[i].row == ACL_SP_METADATA &&
				    !acl_private_covers(p, ACL_SP_METADATA, ACL_V4, v4_table[i].net))
					acl_set_add(&meta, v4_table[i].net, v4_table[i].net);
			acl_set_normalise(&meta);
		} else {
			metadata_kept(p, refused4, &x);
		}
	}
	acl_set_subtract(&priv, &meta, out);
	acl_set_free(&priv);
	acl_set_free(&meta);
}

void acl_sp_denied_set(int family, const struct acl_private *p,
		       struct acl_set *out)
{
	struct acl_cidr e[NEMBED];
	size_t ne = embeddings(p, e);
	struct acl_set raw, refused4 = { 0 }, exempt, whole;

	rows_denied(family, p, &raw);
	if (family == ACL_V6) {
		/* embedded prefixes are classified by the IPv4 they carry */
		struct acl_set emb, plain;
		struct embed_ctx x = { e, ne, &emb };

		acl_sp_denied_set(ACL_V4, p, &refused4);
		acl_set_init(&whole, ACL_V6);
		for (size_t i = 0; i < ne; i++)
			acl_set_add_cidr(&whole, &e[i]);
		acl_set_normalise(&whole);
		acl_set_subtract(&raw, &whole, &plain);
		acl_set_free(&whole);
		acl_set_init(&emb, ACL_V6);
		acl_set_to_cidrs(&refused4, embed_all, &x);
		for (size_t i = 0; i < emb.n; i++)
			acl_set_add(&plain, emb.iv[i].lo, emb.iv[i].hi);
		acl_set_normalise(&plain);
		acl_set_free(&emb);
		acl_set_free(&raw);
		raw = plain;
	}
	exempt_set(family, p, &refused4, e, ne, &exempt);
	acl_set_subtract(&raw, &exempt, out);
	acl_set_free(&raw);
	acl_set_free(&exempt);
	if (family == ACL_V6)
		acl_set_free(&refused4);
}

struct form_ctx {
	const struct acl_cidr *c;
	bool hit;
};

static void form_hit(const struct acl_cidr *form, void *arg)
{
	struct form_ctx *f = arg;
	struct acl_cidr in;

	f->hit |= acl_cidr_overlap(f->c, form, &in);
}

/* Does c hold an embedded form, under e, of the IPv4 address v4? */
static bool covers_form(const struct acl_cidr *e, const struct acl_cidr *c, acl_u128 v4)
{
	struct acl_cidr c4 = { ACL_V4, 32, v4 };
	struct form_ctx f = { c, false };

	embed_cidr(e, &c4, form_hit, &f);
	return f.hit;
}

static bool report(int family, acl_u128 v, char *endpoint)
{
	if (endpoint)
		acl_addr_format(family, v, endpoint);
	return true;
}

bool acl_sp_covers_metadata(const struct acl_private *p, const struct acl_cidr *c,
			    char endpoint[ACL_CIDR_STRLEN])
{
	struct acl_cidr e[NEMBED];
	size_t ne = embeddings(p, e);

	for (size_t i = 0; i < NELEM(v4_table); i++) {
		struct acl_cidr c4 = { ACL_V4, 32, v4_table[i].net };

		if (v4_table[i].row != ACL_SP_METADATA)
			continue;
		if (acl_cidr_contains(c, ACL_V4, c4.v))
			return report(ACL_V4, c4.v, endpoint);
		for (size_t k = 0; c->family == ACL_V6 && k < ne; k++)
			if (covers_form(&e[k], c, c4.v))
				return report(ACL_V4, c4.v, endpoint);
	}
	for (size_t i = 0; i < NELEM(v6_table); i++)
		if (v6_table[i].row == ACL_SP_METADATA &&
		    acl_cidr_contains(c, ACL_V6, v6_value(&v6_table[i])))
			return report(ACL_V6, v6_value(&v6_table[i]), endpoint);
	return false;
}
