#include "set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *acl_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		/* Out of memory cannot be reported more usefully from a pure
		 * library; like git's xmalloc, stop rather than fail open. */
		fputs("netacl: out of memory\n", stderr);
		abort();
	}
	return p;
}

void acl_set_init(struct acl_set *s, int family)
{
	s->family = family;
	s->n = s->cap = 0;
	s->iv = NULL;
}

void acl_set_free(struct acl_set *s)
{
	free(s->iv);
	acl_set_init(s, s->family);
}

void acl_set_add(struct acl_set *s, acl_u128 lo, acl_u128 hi)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->iv = acl_xrealloc(s->iv, s->cap * sizeof(*s->iv));
	}
	s->iv[s->n].lo = lo;
	s->iv[s->n].hi = hi;
	s->n++;
}

void acl_set_add_cidr(struct acl_set *s, const struct acl_cidr *c)
{
	acl_set_add(s, c->v, acl_cidr_last(c));
}

static int lo_cmp(const void *x, const void *y)
{
	const struct acl_iv *a = x, *b = y;

	return (a->lo > b->lo) - (a->lo < b->lo);
}

/* Below this, qsort: each radix pass clears a 512 KiB count table, which
 * made the special-purpose table's few dozen IPv6 ranges cost 0.9 ms. */
#define RADIX_FROM 4096

/* LSD radix sort by lo, 16 bits a pass (2 passes for IPv4, 8 for IPv6):
 * O(n), and several times faster than qsort's callbacks on 1M entries.
 * Merging only needs the starts in order. */
static void sort_by_lo(struct acl_set *s)
{
	unsigned passes = acl_width(s->family) / 16;

	if (s->n < RADIX_FROM) {
		acl_sort(s->iv, s->n, sizeof(*s->iv), lo_cmp);
		return;
	}
	struct acl_iv *tmp = acl_xrealloc(NULL, s->n * sizeof(*tmp));
	size_t *count = acl_xrealloc(NULL, 65537 * sizeof(*count));
	struct acl_iv *src = s->iv, *dst = tmp;

	for (unsigned p = 0; p < passes; p++) {
		unsigned shift = 16 * p;

		memset(count, 0, 65537 * sizeof(*count));
		for (size_t i = 0; i < s->n; i++)
			count[((src[i].lo >> shift) & 0xffff) + 1]++;
		if (count[((src[0].lo >> shift) & 0xffff) + 1] == s->n)
			continue; /* every entry has this digit: nothing to do */
		for (size_t d = 0; d < 65536; d++)
			count[d + 1] += count[d];
		for (size_t i = 0; i < s->n; i++)
			dst[count[(src[i].lo >> shift) & 0xffff]++] = src[i];
		struct acl_iv *t = src;
		src = dst;
		dst = t;
	}
	if (src != s->iv)
		memcpy(s->iv, src, s->n * sizeof(*s->iv));
	free(tmp);
	free(count);
}

void acl_set_normalise(struct acl_set *s)
{
	size_t out = 0;

	if (s->n < 2)
		return;
	sort_by_lo(s);
	for (size_t i = 1; i < s->n; i++) {
		struct acl_iv *last = &s->iv[out];

		/* merge overlap, and adjacency (hi + 1 == lo) without
		 * overflowing at the top of the family's range */
		if (s->iv[i].lo <= last->hi ||
		    (last->hi != acl_family_max(s->family) &&
		     s->iv[i].lo == last->hi + 1)) {
			if (s->iv[i].hi > last->hi)
				last->hi = s->iv[i].hi;
		} else {
			s->iv[++out] = s->iv[i];
		}
	}
	s->n = out + 1;
}

bool acl_set_contains(const struct acl_set *s, acl_u128 v)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v < s->iv[mid].lo)
			hi = mid;
		else if (v > s->iv[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

void acl_set_intersect_cidr(const struct acl_set *a, const struct acl_cidr *c,
			    struct acl_set *out)
{
	acl_u128 clo = c->v, chi = acl_cidr_last(c);

	acl_set_init(out, a->family);
	if (c->family != a->family)
		return;
	for (size_t i = 0; i < a->n; i++) {
		acl_u128 lo = a->iv[i].lo > clo ? a->iv[i].lo : clo;
		acl_u128 hi = a->iv[i].hi < chi ? a->iv[i].hi : chi;

		if (lo <= hi)
			acl_set_add(out, lo, hi);
	}
}

void acl_set_subtract(const struct acl_set *a, const struct acl_set *b,
		      struct acl_set *out)
{
	size_t j = 0;

	acl_set_init(out, a->family);
	for (size_t i = 0; i < a->n; i++) {
		acl_u128 lo = a->iv[i].lo, hi = a->iv[i].hi;
		bool alive = true;

		while (j < b->n && b->iv[j].hi < lo)
			j++;
		for (size_t k = j; alive && k < b->n && b->iv[k].lo <= hi; k++) {
			if (b->iv[k].lo > lo)
				acl_set_add(out, lo, b->iv[k].lo - 1);
			if (b->iv[k].hi >= hi)
				alive = false;
			else
				lo = b->iv[k].hi + 1;
		}
		if (alive)
			acl_set_add(out, lo, hi);
	}
}

void acl_iv_to_cidrs(int family, acl_u128 lo, acl_u128 hi,
		     void (*fn)(const struct acl_cidr *, void *), void *arg)
{
	unsigned w = acl_width(family);

	for (;;) {
		struct acl_cidr c = { .family = (uint8_t)family };
		unsigned len = w;

		/* grow the block while it stays aligned and inside [lo, hi] */
		while (len > 0) {
			acl_u128 m = acl_hostmask(family, len - 1);

			if ((lo & m) != 0 || (lo | m) > hi)
				break;
			len--;
		}
		c.len = (uint8_t)len;
		c.v = lo;
		fn(&c, arg);
		if (acl_cidr_last(&c) >= hi)
			return;
		lo = acl_cidr_last(&c) + 1;
	}
}

void acl_set_to_cidrs(const struct acl_set *s,
		      void (*fn)(const struct acl_cidr *, void *), void *arg)
{
	for (size_t i = 0; i < s->n; i++)
		acl_iv_to_cidrs(s->family, s->iv[i].lo, s->iv[i].hi, fn, arg);
}

