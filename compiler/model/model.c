#include "compiler/model/model.h"

#include <stdlib.h>
#include <string.h>

#include "acl/set.h"

/* A chain of blocks; each allocation is never freed on its own. */
struct block {
	struct block *next;
	size_t used, size;
	max_align_t data[];
};

struct arena {
	struct block *head;
};

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->arena = acl_xrealloc(NULL, sizeof(*m->arena));
	m->arena->head = NULL;
}

void model_free(struct model *m)
{
	if (m->arena) {
		for (struct block *b = m->arena->head, *nx; b; b = nx) {
			nx = b->next;
			free(b);
		}
		free(m->arena);
	}
	free(m->ports);
	memset(m, 0, sizeof(*m));
}

static void *arena_alloc(struct model *m, size_t size)
{
	struct block *b = m->arena->head;
	size_t need = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	void *p;

	if (!b || b->size - b->used < need) {
		size_t bs = need > 65536 ? need : 65536;

		b = acl_xrealloc(NULL, sizeof(*b) + bs);
		b->used = 0;
		b->size = bs;
		b->next = m->arena->head;
		m->arena->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	return p;
}

void *model_alloc(struct model *m, size_t size)
{
	return memset(arena_alloc(m, size), 0, size);
}

void *model_grow(struct model *m, void *arr, size_t n, size_t size)
{
	void *p;

	/* double at powers of two: amortised O(1), old blocks stay in the
	 * arena; from one entry, since most targets of big policies have one */
	if (n & (n - 1))
		return arr;
	p = arena_alloc(m, (n ? n * 2 : 1) * size); /* callers fill what they add */
	if (n)
		memcpy(p, arr, n * size);
	return p;
}

char *model_strdup(struct model *m, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = model_alloc(m, n);

	memcpy(d, s, n);
	return d;
}

bool model_strv_has(const struct strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return true;
	return false;
}

void model_strv_push(struct model *m, struct strv *v, const char *s)
{
	v->v = model_grow(m, v->v, v->n, sizeof(char *));
	if (!m->last_str || strcmp(m->last_str, s) != 0)
		m->last_str = model_strdup(m, s);
	v->v[v->n++] = (char *)m->last_str;
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

const struct acl_ports *model_ports(struct model *m, const struct acl_ports *p)
{
	size_t i;

	if (2 * (m->nports + 1) > m->ports_cap) {
		size_t cap = m->ports_cap ? 2 * m->ports_cap : 16;
		const struct acl_ports **tab = calloc(cap, sizeof(*tab));

		if (!tab)
			abort();
		for (size_t k = 0; k < m->ports_cap; k++)
			if (m->ports[k])
				ports_insert(tab, cap, m->ports[k]);
		free(m->ports);
		m->ports = tab;
		m->ports_cap = cap;
	}
	for (i = ports_hash(p) & (m->ports_cap - 1); m->ports[i]; i = (i + 1) & (m->ports_cap - 1))
		if (acl_ports_equal(m->ports[i], p))
			return m->ports[i];
	struct acl_ports *c = arena_alloc(m, sizeof(*c));

	*c = *p;
	m->ports[i] = c;
	m->nports++;
	return c;
}

struct m_target *model_find(const struct model *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (strcmp(m->t[i].name, name) == 0)
			return &m->t[i];
	return NULL;
}

int model_cidr_cmp(const struct acl_cidr *a, const struct acl_cidr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return (a->len > b->len) - (a->len < b->len);
}

static int ports_cmp(const struct acl_ports *a, const struct acl_ports *b)
{
	for (unsigned i = 0; i < a->n && i < b->n; i++) {
		if (a->r[i].lo != b->r[i].lo)
			return a->r[i].lo < b->r[i].lo ? -1 : 1;
		if (a->r[i].hi != b->r[i].hi)
			return a->r[i].hi < b->r[i].hi ? -1 : 1;
	}
	return (a->n > b->n) - (a->n < b->n);
}

static int allow_cmp(const void *x, const void *y)
{
	const struct m_allow *a = x, *b = y;
	int c = model_cidr_cmp(&a->addr, &b->addr);

	if (!c)
		c = a->ports == b->ports ? 0 : ports_cmp(a->ports, b->ports);
	if (!c)
		c = a->proto - b->proto;
	return c;
}

static int drop_cmp(const void *x, const void *y)
{
	const struct m_drop *a = x, *b = y;
	int c = model_cidr_cmp(&a->addr, &b->addr);

	return c ? c : a->reason - b->reason;
}

static int unres_cmp(const void *x, const void *y)
{
	const struct m_unres *a = x, *b = y;

	return strcmp(a->host, b->host);
}

static int str_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int target_cmp(const void *x, const void *y)
{
	const struct m_target *a = x, *b = y;

	return strcmp(a->name, b->name);
}

static void merge_via(struct model *m, struct strv *into, const struct strv *from)
{
	for (size_t i = 0; i < from->n; i++)
		if (!model_strv_has(into, from->v[i]))
			model_strv_push(m, into, from->v[i]);
}

void model_canonicalise(struct model *m, struct m_target *t)
{
	size_t k = 0;

	acl_sort(t->allow, t->nallow, sizeof(*t->allow), allow_cmp);
	for (size_t i = 0; i < t->nallow; i++) {
		struct m_allow *last = k ? &t->allow[k - 1] : NULL;

		if (last && allow_cmp(last, &t->allow[i]) == 0) {
			merge_via(m, &last->via, &t->allow[i].via);
			/* the shortest TTL: the soonest any answer may change */
			if (t->allow[i].ttl >= 0 && (last->ttl < 0 || t->allow[i].ttl < last->ttl))
				last->ttl = t->allow[i].ttl;
		} else {
			t->allow[k++] = t->allow[i];
		}
	}
	t->nallow = k;
	for (size_t i = 0; i < t->nallow; i++)
		acl_sort(t->allow[i].via.v, t->allow[i].via.n, sizeof(char *), str_cmp);

	acl_sort(t->dropped, t->ndropped, sizeof(*t->dropped), drop_cmp);
	k = 0;
	for (size_t i = 0; i < t->ndropped; i++) {
		if (k && drop_cmp(&t->dropped[k - 1], &t->dropped[i]) == 0)
			merge_via(m, &t->dropped[k - 1].via, &t->dropped[i].via);
		else
			t->dropped[k++] = t->dropped[i];
	}
	t->ndropped = k;
	for (size_t i = 0; i < t->ndropped; i++)
		acl_sort(t->dropped[i].via.v, t->dropped[i].via.n, sizeof(char *), str_cmp);

	acl_sort(t->unres, t->nunres, sizeof(*t->unres), unres_cmp);
	k = 0;
	for (size_t i = 0; i < t->nunres; i++)
		if (!k || strcmp(t->unres[k - 1].host, t->unres[i].host) != 0)
			t->unres[k++] = t->unres[i];
	t->nunres = k;
}

void model_sort_targets(struct model *m)
{
	acl_sort(m->t, m->n, sizeof(*m->t), target_cmp);
}

int model_rule_target(struct model *m, struct m_rule *r)
{
	struct acl_rule pr;
	struct acl_err e;
	size_t n = strlen(r->match), k;

	if (acl_rule_parse_target(r->match, n, &pr, &e))
		return -1;
	r->what = (struct m_match){ .kind = pr.kind, .host = pr.host.kind, .net = pr.net };
	if (!acl_is_name_kind(pr.kind))
		return 0;
	/* the name ends match ("name", "*.name") when match is canonical, as
	 * compile writes it; a hand-written file may differ in case or dot */
	k = strlen(pr.host.name);
	r->what.name = k <= n && strcmp(r->match + n - k, pr.host.name) == 0 ?
		r->match + n - k : model_strdup(m, pr.host.name);
	return 0;
}

bool model_rule_covers(const struct m_rule *r, int family, acl_u128 v, const struct strv *names)
{
	if (r->what.kind == ACL_RULE_NET)
		return acl_cidr_contains(&r->what.net, family, v);
	if (!acl_is_name_kind(r->what.kind))
		return false;
	for (size_t i = 0; i < names->n; i++)
		if (acl_name_matches(r->what.host, r->what.name, names->v[i]))
			return true;
	return false;
}
