#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "acl/addr.h"
#include "bpf/conf.h"


void conf_blocks(const struct acl_set deny[2], struct netacl_conf *c)
{
	for (int f = 0; f < 2; f++) {
		uint8_t cls[256];

		acl_set_blocks(&deny[f], cls);
		memset(c->blocks[f], 0, sizeof(c->blocks[f]));
		for (unsigned b = 0; b < 256; b++) {
			uint64_t v = cls[b] == ACL_BLOCK_NONE ? NETACL_BLOCK_NONE
				     : cls[b] == ACL_BLOCK_ALL ? NETACL_BLOCK_ALL : 0;

			c->blocks[f][b / 32] |= v << (b % 32 * 2);
		}
	}
}

bool conf_blocks_agree(const struct netacl_conf *c, int f, const struct acl_set *deny)
{
	uint8_t cls[256];

	acl_set_blocks(deny, cls);
	for (unsigned b = 0; b < 256; b++) {
		unsigned v = (unsigned)(c->blocks[f][b / 32] >> (b % 32 * 2) & 3);

		if (v != 0 && !(v == NETACL_BLOCK_NONE && cls[b] == ACL_BLOCK_NONE) &&
		    !(v == NETACL_BLOCK_ALL && cls[b] == ACL_BLOCK_ALL))
			return false;
	}
	return true;
}

/* e as network and mask words, network order (one word for IPv4). */
static void net_words(const struct acl_cidr *e, uint32_t net[4], uint32_t mask[4])
{
	unsigned width = acl_width(e->family), words = width / 32;
	uint8_t nb[16], mb[16];

	acl_addr_to_bytes(e->v, nb, width / 8);
	acl_addr_to_bytes(~acl_hostmask(e->family, e->len) & acl_family_max(e->family), mb,
			  width / 8);
	memcpy(net, nb, words * 4);
	memcpy(mask, mb, words * 4);
}

bool conf_list_add(struct netacl_conf *c, int f, const struct acl_cidr *e, uint32_t set)
{
	uint32_t n = c->nlist[f], net[4], mask[4];

	if (n >= NETACL_LIST)
		return false;
	net_words(e, net, mask);
	if (f == 0)
		c->list4[n] = (struct netacl_net4){ net[0], mask[0], set };
	else {
		memcpy(c->list6[n].net, net, sizeof(net));
		memcpy(c->list6[n].mask, mask, sizeof(mask));
		c->list6[n].set = set;
	}
	c->nlist[f] = n + 1;
	return true;
}

bool conf_list_has(const struct netacl_conf *c, int f, const struct acl_cidr *e, uint32_t set)
{
	uint32_t net[4], mask[4];

	net_words(e, net, mask);
	for (uint32_t i = 0; i < c->nlist[f] && i < NETACL_LIST; i++)
		if (f == 0 ? c->list4[i].net == net[0] && c->list4[i].mask == mask[0] &&
				     c->list4[i].set == set
			   : !memcmp(c->list6[i].net, net, 16) && !memcmp(c->list6[i].mask, mask, 16) &&
				     c->list6[i].set == set)
			return true;
	return false;
}

/* words (network order) back to a CIDR: false unless mask is a prefix's
 * and net has no bit past it. */
static bool words_cidr(int f, const uint32_t *net, const uint32_t *mask, struct acl_cidr *out)
{
	unsigned width = f ? 128 : 32;
	uint8_t nb[16], mb[16];
	acl_u128 m;

	memcpy(nb, net, width / 8);
	memcpy(mb, mask, width / 8);
	m = acl_addr_from_bytes(mb, width / 8);
	out->family = f ? ACL_V6 : ACL_V4;
	out->v = acl_addr_from_bytes(nb, width / 8);
	out->len = 0;
	while (out->len < width && (m >> (width - 1 - out->len) & 1))
		out->len++;
	return m == (~acl_hostmask(out->family, out->len) & acl_family_max(out->family)) &&
	       (out->v & ~m) == 0;
}

/* Does no address of e lie in deny? */
static bool outside(const struct acl_set *deny, const struct acl_cidr *e)
{
	struct acl_set in;
	bool none;

	acl_set_intersect_cidr(deny, e, &in);
	none = in.n == 0;
	acl_set_free(&in);
	return none;
}

struct exempt {
	struct netacl_conf *c;
	struct netacl_ex *x;
	int f;
	const struct acl_set *deny;
	uint8_t cls[256];
};

/* An exemption (in: false) of the deny table's longest-prefix entries
 * that holds no denied address, in a block of some: into exN. */
static void exempt_add(const struct acl_cidr *e, bool in, void *arg)
{
	struct exempt *x = arg;
	unsigned top = (unsigned)(e->v >> (acl_width(e->family) - 8));
	uint32_t n = x->x->n[x->f], net[4], mask[4];

	if (in || e->len < 8 || x->cls[top] != ACL_BLOCK_SOME || n >= NETACL_EX ||
	    !outside(x->deny, e))
		return;
	net_words(e, net, mask);
	if (x->f == 0)
		x->x->v4[n] = (struct netacl_net4){ net[0], mask[0], 0 };
	else {
		memcpy(x->x->v6[n].net, net, sizeof(net));
		memcpy(x->x->v6[n].mask, mask, sizeof(mask));
		x->x->v6[n].set = 0;
	}
	x->x->n[x->f] = n + 1;
}

void conf_exempt(const struct acl_set deny[2], struct netacl_conf *c, struct netacl_ex *ex)
{
	memset(ex, 0, sizeof(*ex));
	for (int f = 0; f < 2; f++) {
		struct exempt x = { .c = c, .x = ex, .f = f, .deny = &deny[f] };

		acl_set_blocks(&deny[f], x.cls);
		acl_set_to_lpm(&deny[f], exempt_add, &x);
		if (ex->n[f])
			c->flags |= f ? NETACL_EXEMPT6 : NETACL_EXEMPT4;
	}
}

bool conf_exempt_agree(const struct netacl_conf *c, const struct netacl_ex *ex, int f,
		       const struct acl_set *deny)
{
	struct acl_cidr e;

	if (!(c->flags & (f ? NETACL_EXEMPT6 : NETACL_EXEMPT4)))
		return true; /* not read */
	if (!ex || ex->n[f] > NETACL_EX)
		return false;
	for (uint32_t i = 0; i < ex->n[f]; i++) {
		bool ok = f ? words_cidr(1, ex->v6[i].net, ex->v6[i].mask, &e)
			    : words_cidr(0, &ex->v4[i].net, &ex->v4[i].mask, &e);

		if (!ok || !outside(deny, &e))
			return false;
	}
	return true;
}

struct conf_iv conf_iv_of(const struct acl_cidr *c, uint32_t set)
{
	return (struct conf_iv){ c->v, c->v | acl_hostmask(c->family, c->len), set };
}

static int iv_cmp(const void *a, const void *b)
{
	const struct conf_iv *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Sort v, merge touching entries of one set: the count left. */
static size_t ivs_merge(struct conf_iv *v, size_t n)
{
	size_t k = 0;

	acl_sort(v, n, sizeof(*v), iv_cmp);
	for (size_t i = 0; i < n; i++)
		if (k && v[i].set == v[k - 1].set && v[i].lo == v[k - 1].hi + 1)
			v[k - 1].hi = v[i].hi;
		else
			v[k++] = v[i];
	return k;
}

/* The least power of four whose four times is at least n; 0 for n <= 1. */
static uint32_t step_of(size_t n)
{
	uint32_t s = 1;

	while (s * 4 < n)
		s *= 4;
	return n > 1 ? s : 0;
}

bool conf_range4(struct conf_iv *v, size_t n, struct netacl_range4 *r)
{
	n = ivs_merge(v, n);
	if (n > NETACL_RANGES)
		return false;
	r->n = (uint32_t)n;
	r->step = step_of(n);
	memset(r->lo, 0xff, sizeof(r->lo)); /* past n: above every address but the highest */
	for (size_t i = 0; i < n; i++) {
		r->lo[i] = (uint32_t)v[i].lo;
		r->hi[i] = (uint32_t)v[i].hi;
		r->set[i] = v[i].set;
	}
	return true;
}

bool conf_range6(struct conf_iv *v, size_t n, struct netacl_range6 *r)
{
	n = ivs_merge(v, n);
	if (n > NETACL_RANGES6)
		return false;
	r->n = (uint32_t)n;
	r->step = step_of(n);
	memset(r->lo, 0xff, sizeof(r->lo));
	for (size_t i = 0; i < n; i++) {
		r->lo[i][0] = (uint64_t)(v[i].lo >> 64);
		r->lo[i][1] = (uint64_t)v[i].lo;
		r->hi[i][0] = (uint64_t)(v[i].hi >> 64);
		r->hi[i][1] = (uint64_t)v[i].hi;
		r->set[i] = v[i].set;
	}
	return true;
}

bool conf_range4_agree(const struct netacl_range4 *r, struct conf_iv *v, size_t n)
{
	struct netacl_range4 *want = acl_xrealloc(NULL, sizeof(*want));
	bool ok = conf_range4(v, n, want) && r->n == want->n && r->step == want->step &&
		  !memcmp(r->lo, want->lo, sizeof(r->lo)) && /* the search reads past n */
		  !memcmp(r->hi, want->hi, r->n * sizeof(r->hi[0])) &&
		  !memcmp(r->set, want->set, r->n * sizeof(r->set[0]));

	free(want);
	return ok;
}

bool conf_range6_agree(const struct netacl_range6 *r, struct conf_iv *v, size_t n)
{
	struct netacl_range6 *want = acl_xrealloc(NULL, sizeof(*want));
	bool ok = conf_range6(v, n, want) && r->n == want->n && r->step == want->step &&
		  !memcmp(r->lo, want->lo, sizeof(r->lo)) &&
		  !memcmp(r->hi, want->hi, r->n * sizeof(r->hi[0])) &&
		  !memcmp(r->set, want->set, r->n * sizeof(r->set[0]));

	free(want);
	return ok;
}

struct ranges {
	struct netacl_prange r[NETACL_PRANGES];
	unsigned n; /* past NETACL_PRANGES: too many */
};

static void range_add(unsigned lo, unsigned hi, void *arg)
{
	struct ranges *x = arg;

	if (x->n < NETACL_PRANGES)
		x->r[x->n] = (struct netacl_prange){ (uint16_t)lo, (uint16_t)hi };
	x->n++;
}

/* Set b as a pset: each protocol's ranges, or NETACL_PSET_MAP. */
static struct netacl_pset pset_of(const struct acl_pbits *b)
{
	struct netacl_pset p;

	memset(&p, 0, sizeof(p));

	for (int k = 0; k < 2; k++) {
		struct ranges x = { .n = 0 };

		acl_pbits_ranges(b, k, range_add, &x);
		p.n[k] = x.n <= NETACL_PRANGES ? (uint8_t)x.n : NETACL_PSET_MAP;
		if (x.n <= NETACL_PRANGES)
			memcpy(p.r[k], x.r, sizeof(x.r));
	}
	return p;
}

void conf_psets(const struct acl_pbits *sets, size_t n, struct netacl_conf *c)
{
	c->npsets = n < NETACL_PSETS ? (uint32_t)n : NETACL_PSETS;
	for (uint32_t s = 0; s < c->npsets; s++)
		c->pset[s] = pset_of(&sets[s]);
}

bool conf_psets_agree(const struct netacl_conf *c, const struct acl_pbits *sets, size_t n)
{
	if (c->npsets > n || c->npsets > NETACL_PSETS)
		return false;
	for (uint32_t s = 0; s < c->npsets; s++) {
		struct netacl_pset p = pset_of(&sets[s]);

		for (int k = 0; k < 2; k++)
			if (c->pset[s].n[k] != NETACL_PSET_MAP &&
			    (c->pset[s].n[k] != p.n[k] ||
			     memcmp(c->pset[s].r[k], p.r[k], p.n[k] * sizeof(p.r[k][0]))))
				return false;
	}
	return true;
}
