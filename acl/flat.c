/* Flattening entries into disjoint intervals with deduplicated port sets:
 * a sweep over interval starts, with a heap of the entries still open. */
#include <stdlib.h>
#include <string.h>

#include "flat.h"
#include "set.h"

void acl_pbits_clear(struct acl_pbits *b)
{
	memset(b, 0, sizeof(*b));
}

static void bits_set_range(uint64_t *w, unsigned lo, unsigned hi)
{
	for (unsigned p = lo; p <= hi;) {
		if ((p & 63) == 0 && p + 63 <= hi) {
			w[p >> 6] = ~0ULL;
			p += 64;
		} else {
			w[p >> 6] |= 1ULL << (p & 63);
			p++;
		}
	}
}

void acl_pbits_add(struct acl_pbits *b, const struct acl_ports *p, int proto)
{
	for (int k = 0; k < 2; k++)
		if (proto & (k ? ACL_UDP : ACL_TCP))
			for (unsigned i = 0; i < p->n; i++)
				bits_set_range(b->w[k], p->r[i].lo, p->r[i].hi);
}

bool acl_pbits_empty(const struct acl_pbits *b)
{
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < ACL_PWORDS; i++)
			if (b->w[k][i])
				return false;
	return true;
}

static bool bit(const uint64_t *w, unsigned p)
{
	return w[p >> 6] >> (p & 63) & 1;
}

void acl_pbits_ranges(const struct acl_pbits *b, int k,
		      void (*fn)(unsigned lo, unsigned hi, void *), void *arg)
{
	const uint64_t *w = b->w[k];

	for (unsigned p = 0; p < 65536;) {
		if (w[p >> 6] == 0 && (p & 63) == 0) {
			p += 64;
			continue;
		}
		if (!bit(w, p)) {
			p++;
			continue;
		}
		unsigned lo = p;
		while (p < 65536 && bit(w, p))
			p++;
		fn(lo, p - 1, arg);
	}
}

struct ranges {
	size_t n;
	struct acl_prange r[65536 / 2 + 1];
};

static void range_add(unsigned lo, unsigned hi, void *arg)
{
	struct ranges *rs = arg;

	rs->r[rs->n++] = (struct acl_prange){ (uint16_t)lo, (uint16_t)hi };
}

void acl_pbits_entries(const struct acl_pbits *b,
		       void (*fn)(const struct acl_ports *, int proto, void *), void *arg)
{
	struct ranges *rs = malloc(2 * sizeof(*rs));
	bool same;

	if (!rs)
		abort();
	for (int k = 0; k < 2; k++) {
		rs[k].n = 0;
		acl_pbits_ranges(b, k, range_add, &rs[k]);
	}
	same = rs[0].n == rs[1].n && memcmp(rs[0].r, rs[1].r, rs[0].n * sizeof(rs[0].r[0])) == 0;
	for (int k = 0; k < (same ? 1 : 2); k++)
		for (size_t i = 0; i < rs[k].n; i += ACL_MAX_PRANGES) {
			struct acl_ports p = { 0 };
			for (size_t j = i; j < rs[k].n && j < i + ACL_MAX_PRANGES; j++)
				p.r[p.n++] = rs[k].r[j];
			fn(&p, same ? ACL_ANY_PROTO : k ? ACL_UDP : ACL_TCP, arg);
		}
	free(rs);
}

/* --- the table of port sets --- */

void acl_psets_init(struct acl_psets *t)
{
	memset(t, 0, sizeof(*t));
}

void acl_psets_free(struct acl_psets *t)
{
	free(t->v);
	free(t->hash);
	acl_psets_init(t);
}

static uint64_t pbits_hash(const struct acl_pbits *b)
{
	const uint64_t *w = &b->w[0][0];
	uint64_t h = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < 2 * ACL_PWORDS; i++)
		h = (h ^ w[i]) * 0xff51afd7ed558ccdULL;
	return h ^ h >> 29;
}

static void rehash(struct acl_psets *t)
{
	t->hcap = t->hcap ? t->hcap * 2 : 64;
	free(t->hash);
	t->hash = calloc(t->hcap, sizeof(*t->hash));
	if (!t->hash)
		abort();
	for (size_t i = 0; i < t->n; i++) {
		size_t s = pbits_hash(&t->v[i]) & (t->hcap - 1);
		while (t->hash[s])
			s = (s + 1) & (t->hcap - 1);
		t->hash[s] = (uint32_t)i + 1;
	}
}

uint32_t acl_psets_intern(struct acl_psets *t, const struct acl_pbits *b)
{
	size_t s;

	if ((t->n + 1) * 2 > t->hcap)
		rehash(t);
	s = pbits_hash(b) & (t->hcap - 1);
	for (; t->hash[s]; s = (s + 1) & (t->hcap - 1))
		if (memcmp(&t->v[t->hash[s] - 1], b, sizeof(*b)) == 0)
			return t->hash[s] - 1;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->v = acl_xrealloc(t->v, t->cap * sizeof(*t->v));
	}
	t->v[t->n] = *b;
	t->hash[s] = (uint32_t)t->n + 1;
	return (uint32_t)t->n++;
}

uint32_t acl_psets_of(struct acl_psets *t, const struct acl_ports *p, int proto)
{
	struct acl_pbits *b = malloc(sizeof(*b));
	uint32_t ix;

	if (!b)
		abort();
	acl_pbits_clear(b);
	acl_pbits_add(b, p, proto);
	ix = acl_psets_intern(t, b);
	free(b);
	return ix;
}

/* --- the sweep --- */

struct heap {
	size_t n;
	struct acl_flat_in **v; /* min-heap by hi */
};

static void heap_push(struct heap *h, struct acl_flat_in *e)
{
	size_t i = h->n++;

	while (i && h->v[(i - 1) / 2]->hi > e->hi) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = e;
}

static struct acl_flat_in *heap_pop(struct heap *h)
{
	struct acl_flat_in *top = h->v[0], *last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->hi < h->v[c]->hi)
			c++;
		if (last->hi <= h->v[c]->hi)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

/* What the open entries allow together: counts per set tell how many
 * distinct sets are open, and when it is one, the XOR of the open
 * indices names it. */
struct sweep {
	struct acl_psets *t;
	struct heap open;
	uint32_t *count;
	size_t distinct;
	uint32_t xor;
	struct acl_pbits *scratch;
};

static void sweep_open(struct sweep *s, struct acl_flat_in *e)
{
	heap_push(&s->open, e);
	if (s->count[e->set]++ == 0)
		s->distinct++, s->xor ^= e->set;
}

static void sweep_close(struct sweep *s)
{
	struct acl_flat_in *e = heap_pop(&s->open);

	if (--s->count[e->set] == 0)
		s->distinct--, s->xor ^= e->set;
}

static uint32_t sweep_current(struct sweep *s)
{
	if (s->distinct == 1)
		return s->xor;
	acl_pbits_clear(s->scratch);
	for (size_t i = 0; i < s->open.n; i++) {
		const struct acl_pbits *b = &s->t->v[s->open.v[i]->set];
		for (size_t w = 0; w < 2 * ACL_PWORDS; w++)
			(&s->scratch->w[0][0])[w] |= (&b->w[0][0])[w];
	}
	return acl_psets_intern(s->t, s->scratch);
}

static void emit(struct acl_flat *f, acl_u128 lo, acl_u128 hi, uint32_t set)
{
	struct acl_flat_iv *last = f->n ? &f->iv[f->n - 1] : NULL;

	if (last && last->set == set && last->hi + 1 == lo) {
		last->hi = hi;
		return;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->iv = acl_xrealloc(f->iv, f->cap * sizeof(*f->iv));
	}
	f->iv[f->n++] = (struct acl_flat_iv){ lo, hi, set };
}

static int in_cmp(const void *a, const void *b)
{
	const struct acl_flat_in *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void sort_by_lo(struct acl_flat_in *in, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (in[i].lo < in[i - 1].lo) {
			qsort(in, n, sizeof(*in), in_cmp);
			return;
		}
}

void acl_flat_build(int family, struct acl_flat_in *in, size_t n, struct acl_psets *t,
		    struct acl_flat *out)
{
	struct sweep s = { .t = t };
	size_t i = 0;
	acl_u128 pos = 0;

	memset(out, 0, sizeof(*out));
	out->family = family;
	sort_by_lo(in, n);
	s.open.v = calloc(n + 1, sizeof(*s.open.v));
	s.count = calloc(t->n + 1, sizeof(*s.count));
	s.scratch = malloc(sizeof(*s.scratch));
	if (!s.open.v || !s.count || !s.scratch)
		abort();
	while (i < n || s.open.n) {
		if (!s.open.n)
			pos = in[i].lo;
		if (s.open.n && i < n && in[i].lo <= s.open.v[0]->hi) {
			/* an entry opens inside the current run */
			if (in[i].lo > pos)
				emit(out, pos, in[i].lo - 1, sweep_current(&s));
			pos = in[i].lo;
		}
		if (i < n && in[i].lo == pos) {
			while (i < n && in[i].lo == pos)
				sweep_open(&s, &in[i++]);
			continue;
		}
		/* the earliest open entry ends before the next one starts */
		acl_u128 end = s.open.v[0]->hi;
		emit(out, pos, end, sweep_current(&s));
		while (s.open.n && s.open.v[0]->hi == end)
			sweep_close(&s);
		if (end == acl_family_max(family))
			break;
		pos = end + 1;
	}
	free(s.open.v);
	free(s.count);
	free(s.scratch);
}

void acl_flat_free(struct acl_flat *f)
{
	free(f->iv);
	memset(f, 0, sizeof(*f));
}

long acl_flat_lookup(const struct acl_flat *f, acl_u128 v)
{
	size_t lo = 0, hi = f->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->iv[mid].hi < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n && f->iv[lo].lo <= v ? (long)f->iv[lo].set : -1;
}

struct cidr_fwd {
	void (*fn)(const struct acl_cidr *, uint32_t, void *);
	void *arg;
	uint32_t set;
};

static void fwd(const struct acl_cidr *c, void *arg)
{
	struct cidr_fwd *w = arg;

	w->fn(c, w->set, w->arg);
}

void acl_flat_cidrs(const struct acl_flat *f,
		    void (*fn)(const struct acl_cidr *, uint32_t set, void *), void *arg)
{
	struct cidr_fwd w = { fn, arg, 0 };

	for (size_t i = 0; i < f->n; i++) {
		w.set = f->iv[i].set;
		acl_iv_to_cidrs(f->family, f->iv[i].lo, f->iv[i].hi, fwd, &w);
	}
}
