/* A set as the fewest longest-prefix-match entries (acl_set_to_lpm).
 *
 * The set's CIDRs go into a binary trie.  Then, as ORTC does it:
 *   1. every node gets two children or none, and each leaf the value
 *      (in or out) of its nearest ancestor that is one of the CIDRs;
 *   2. bottom up, each node the values that could stand for its subtree:
 *      both children's in common, else either's;
 *   3. top down, a node whose parent's value is among its own needs no
 *      entry; any other takes one of its values, and an entry.
 * The root stands under "out": an address no entry holds is not in d. */
#include <stdint.h>
#include <stdlib.h>

#include "acl/set.h"

enum { OUT = 1, IN = 2 }; /* value bits */

struct node {
	int32_t child[2]; /* 0: none (the root is never a child) */
	uint8_t mark;     /* OUT or IN if a CIDR of d ends here, else 0 */
	uint8_t vals;     /* step 2 */
};

struct trie {
	struct node *n;
	size_t len, cap;
	int family;
	unsigned width;
};

static int32_t node_new(struct trie *t)
{
	if (t->len == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->n = acl_xrealloc(t->n, t->cap * sizeof(*t->n));
	}
	t->n[t->len] = (struct node){ { 0, 0 }, 0, 0 };
	return (int32_t)t->len++;
}

static unsigned bit(const struct trie *t, acl_u128 v, unsigned depth)
{
	return (unsigned)(v >> (t->width - 1 - depth)) & 1;
}

static void insert(const struct acl_cidr *c, void *arg)
{
	struct trie *t = arg;
	int32_t at = 0;

	for (unsigned d = 0; d < (unsigned)c->len; d++) {
		unsigned b = bit(t, c->v, d);

		if (!t->n[at].child[b]) {
			int32_t k = node_new(t); /* t->n may move */

			t->n[at].child[b] = k;
		}
		at = t->n[at].child[b];
	}
	t->n[at].mark = IN;
}

/* Steps 1 and 2: complete the node, then its values. */
static uint8_t values(struct trie *t, int32_t at, uint8_t inherited)
{
	uint8_t v = t->n[at].mark ? t->n[at].mark : inherited, a, b;

	if (!t->n[at].child[0] && !t->n[at].child[1])
		return t->n[at].vals = v;
	for (int i = 0; i < 2; i++)
		if (!t->n[at].child[i]) {
			int32_t k = node_new(t);

			t->n[at].child[i] = k;
		}
	a = values(t, t->n[at].child[0], v);
	b = values(t, t->n[at].child[1], v);
	return t->n[at].vals = (a & b) ? (a & b) : (a | b);
}

struct emit {
	void (*fn)(const struct acl_cidr *, bool, void *);
	void *arg;
};

/* Step 3. */
static void choose(const struct trie *t, int32_t at, uint8_t parent, acl_u128 v, unsigned depth,
		   const struct emit *e)
{
	uint8_t mine = parent;

	if (!(t->n[at].vals & parent)) {
		struct acl_cidr c = { .family = t->family, .len = (int)depth, .v = v };

		mine = t->n[at].vals & IN ? IN : OUT;
		e->fn(&c, mine == IN, e->arg);
	}
	for (unsigned i = 0; i < 2; i++)
		if (t->n[at].child[i])
			choose(t, t->n[at].child[i], mine,
			       v | (acl_u128)i << (t->width - 1 - depth), depth + 1, e);
}

void acl_set_to_lpm(const struct acl_set *d,
		    void (*fn)(const struct acl_cidr *, bool in, void *), void *arg)
{
	struct trie t = { .family = d->family, .width = acl_width(d->family) };
	struct emit e = { fn, arg };

	node_new(&t); /* the root: every address */
	acl_set_to_cidrs(d, insert, &t);
	values(&t, 0, OUT);
	choose(&t, 0, OUT, 0, 0, &e);
	free(t.n);
}

static int len_cmp(const void *x, const void *y)
{
	const struct acl_lpm_entry *a = x, *b = y;

	return (a->c.len > b->c.len) - (a->c.len < b->c.len);
}

/* Shortest first, each entry adds or takes away its prefix: a longer
 * one then overrides a shorter one around it, as the longest match. */
void acl_lpm_to_set(struct acl_lpm_entry *e, size_t n, int family, struct acl_set *out)
{
	acl_set_init(out, family);
	acl_sort(e, n, sizeof(*e), len_cmp);
	for (size_t i = 0; i < n; i++) {
		struct acl_set one, rest;

		if (e[i].in) {
			acl_set_add_cidr(out, &e[i].c);
			acl_set_normalise(out);
			continue;
		}
		acl_set_init(&one, family);
		acl_set_add_cidr(&one, &e[i].c);
		acl_set_normalise(&one);
		acl_set_subtract(out, &one, &rest);
		acl_set_free(&one);
		acl_set_free(out);
		*out = rest;
	}
}

void acl_set_blocks(const struct acl_set *s, uint8_t out[256])
{
	unsigned shift = acl_width(s->family) - 8;
	size_t i = 0;

	for (unsigned b = 0; b < 256; b++) {
		acl_u128 lo = (acl_u128)b << shift, hi = lo | (((acl_u128)1 << shift) - 1);

		while (i < s->n && s->iv[i].hi < lo)
			i++;
		if (i == s->n || s->iv[i].lo > hi)
			out[b] = ACL_BLOCK_NONE;
		else if (s->iv[i].lo <= lo && s->iv[i].hi >= hi)
			out[b] = ACL_BLOCK_ALL;
		else
			out[b] = ACL_BLOCK_SOME; /* touched, or two intervals side by side: ask the trie */
	}
}
