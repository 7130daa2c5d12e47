#include "compiler/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acl/set.h"

/* Small allocations are carved from shared blocks; anything larger than
 * SMALL gets a block of its own, on a doubly linked list so that
 * arena_grow can realloc it where it stands. */
#define SMALL 65536

struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct big {
	struct big *prev, *next;
	max_align_t data[];
};

struct arena {
	struct block *head;
	struct big *bigs;
	/* every distinct port set once (open addressing; a policy has few) */
	size_t nports, ports_cap;
	const struct acl_ports **ports;
};

struct arena *arena_new(void)
{
	struct arena *a = acl_xrealloc(NULL, sizeof(*a));

	memset(a, 0, sizeof(*a));
	return a;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	for (struct block *b = a->head, *nx; b; b = nx) {
		nx = b->next;
		free(b);
	}
	for (struct big *b = a->bigs, *nx; b; b = nx) {
		nx = b->next;
		free(b);
	}
	free(a->ports);
	free(a);
}

static struct big *big_of(void *p)
{
	return (struct big *)((char *)p - offsetof(struct big, data));
}

static void big_link(struct arena *a, struct big *b)
{
	b->prev = NULL;
	b->next = a->bigs;
	if (a->bigs)
		a->bigs->prev = b;
	a->bigs = b;
}

static void *big_alloc(struct arena *a, size_t size)
{
	struct big *b = acl_xrealloc(NULL, sizeof(*b) + size);

	big_link(a, b);
	return b->data;
}

/* Unzeroed (arena_grow's callers fill what they add), aligned to align,
 * a power of two no larger than max_align_t's. */
static void *raw_alloc(struct arena *a, size_t size, size_t align)
{
	struct block *b = a->head;
	size_t at = b ? (b->used + align - 1) & ~(align - 1) : 0;
	void *p;

	if (size > SMALL)
		return big_alloc(a, size);
	if (!b || b->size < at + size) {
		b = acl_xrealloc(NULL, sizeof(*b) + SMALL);
		b->used = 0;
		b->size = SMALL;
		b->next = a->head;
		a->head = b;
		at = 0;
	}
	p = (char *)b->data + at;
	b->used = at + size;
	return p;
}

/* The alignment an element of this size needs at most. */
static size_t align_of(size_t size)
{
	size_t low = size & -size;

	return low && low < _Alignof(max_align_t) ? low : _Alignof(max_align_t);
}

void *arena_alloc(struct arena *a, size_t size)
{
	return memset(raw_alloc(a, size, _Alignof(max_align_t)), 0, size);
}

char *arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(raw_alloc(a, n, 1), s, n); /* strings pack tightly */
}

void *arena_grow(struct arena *a, void *arr, size_t n, size_t size)
{
	size_t old = n * size;
	void *p;

	if (n & (n - 1))
		return arr; /* not a power of two: there is room */
	if (old <= SMALL) {
		/* from one entry: most targets of big policies hold one */
		p = raw_alloc(a, (n ? 2 * n : 1) * size, align_of(size));
		return n ? memcpy(p, arr, old) : p;
	}
	/* a big block of its own: resize it (a large realloc moves pages,
	 * it does not copy them, and pages not yet written cost nothing) */
	struct big *b = big_of(arr), *prev = b->prev, *next = b->next;

	b = acl_xrealloc(b, sizeof(*b) + 2 * old);
	if (prev)
		prev->next = b;
	else
		a->bigs = b;
	if (next)
		next->prev = b;
	return b->data;
}

static size_t ports_hash(const struct acl_ports *p)
{
	uint64_t h = 1469598103934665603ull ^ p->n;

	for (unsigned i = 0; i < p->n; i++)
		h = (h ^ ((uint64_t)p->r[i].lo << 16 | p->r[i].hi)) * 1099511628211ull;
	return (size_t)(h ^ h >> 29);
}

static void ports_insert(const struct acl_ports **tab, size_t cap, const struct acl_ports *p)
{
	size_t i = ports_hash(p) & (cap - 1);

	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = p;
}

static void ports_rehash(struct arena *a)
{
	size_t cap = a->ports_cap ? 2 * a->ports_cap : 16;
	const struct acl_ports **tab = calloc(cap, sizeof(*tab));

	if (!tab)
		abort();
	for (size_t k = 0; k < a->ports_cap; k++)
		if (a->ports[k])
			ports_insert(tab, cap, a->ports[k]);
	free(a->ports);
	a->ports = tab;
	a->ports_cap = cap;
}

const struct acl_ports *arena_ports(struct arena *a, const struct acl_ports *p)
{
	size_t i;
	struct acl_ports *c;

	if (2 * (a->nports + 1) > a->ports_cap)
		ports_rehash(a);
	for (i = ports_hash(p) & (a->ports_cap - 1); a->ports[i]; i = (i + 1) & (a->ports_cap - 1))
		if (acl_ports_equal(a->ports[i], p))
			return a->ports[i];
	/* only the ranges in use (a policy may hold thousands of one-port
	 * sets): readers never look past n, and nothing copies a set whole */
	c = raw_alloc(a, offsetof(struct acl_ports, r) + p->n * sizeof(p->r[0]),
		      _Alignof(struct acl_ports));
	c->n = p->n;
	memcpy(c->r, p->r, p->n * sizeof(p->r[0]));
	a->ports[i] = c;
	a->nports++;
	return c;
}
