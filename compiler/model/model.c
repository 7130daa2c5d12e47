#define _GNU_SOURCE /* qsort_r */
#include "compiler/model/model.h"

#include <stdlib.h>
#include <string.h>

#include "acl/set.h"
#include "compiler/arena.h"

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->arena = arena_new();
}

void model_free(struct model *m)
{
	arena_free(m->arena);
	memset(m, 0, sizeof(*m));
}

void *model_alloc(struct model *m, size_t size)
{
	return arena_alloc(m->arena, size);
}

void *model_grow(struct model *m, void *arr, size_t n, size_t size)
{
	return arena_grow(m->arena, arr, n, size);
}

char *model_strdup(struct model *m, const char *s)
{
	return arena_strdup(m->arena, s);
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

const struct acl_ports *model_ports(struct model *m, const struct acl_ports *p)
{
	return arena_ports(m->arena, p);
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

/* Sorting a million 80-byte entries moves each of them log n times: sort
 * small keys (the address and the entry's place) instead, then move each
 * entry once.  Entries of one address are few: allow_cmp settles them. */
struct akey {
	acl_u128 v;
	uint32_t i;
	uint8_t family, len;
};

static int akey_cmp(const void *x, const void *y, void *arg)
{
	const struct akey *a = x, *b = y;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->v != b->v)
		return a->v < b->v ? -1 : 1;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return allow_cmp((const struct m_allow *)arg + a->i, (const struct m_allow *)arg + b->i);
}

static void sort_allow(struct m_target *t)
{
	size_t n = t->nallow, i = 1;
	struct akey *keys;
	struct m_allow *tmp;

	while (i < n && allow_cmp(&t->allow[i - 1], &t->allow[i]) <= 0)
		i++;
	if (i >= n)
		return; /* in order already (compiled files are) */
	if (n < 1024 || n > UINT32_MAX) {
		acl_sort(t->allow, n, sizeof(*t->allow), allow_cmp);
		return;
	}
	keys = acl_xrealloc(NULL, n * sizeof(*keys));
	tmp = acl_xrealloc(NULL, n * sizeof(*tmp));
	for (i = 0; i < n; i++)
		keys[i] = (struct akey){ t->allow[i].addr.v, (uint32_t)i, t->allow[i].addr.family,
					 t->allow[i].addr.len };
	qsort_r(keys, n, sizeof(*keys), akey_cmp, t->allow);
	for (i = 0; i < n; i++)
		tmp[i] = t->allow[keys[i].i];
	memcpy(t->allow, tmp, n * sizeof(*tmp));
	free(tmp);
	free(keys);
}

void model_canonicalise(struct model *m, struct m_target *t)
{
	size_t k = 0;

	sort_allow(t);
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

	/* bind entries: in order, the same entry once (they carry no via) */
	acl_sort(t->bind, t->nbind, sizeof(*t->bind), allow_cmp);
	k = 0;
	for (size_t i = 0; i < t->nbind; i++)
		if (!k || allow_cmp(&t->bind[k - 1], &t->bind[i]) != 0)
			t->bind[k++] = t->bind[i];
	t->nbind = k;

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
