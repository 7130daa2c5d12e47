#include "compiler/admit/cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/set.h"

#define NIL UINT32_MAX

void admit_cache_init(struct admit_cache *c, size_t per_name, size_t total)
{
	memset(c, 0, sizeof(*c));
	c->per_name = per_name ? per_name : 1;
	c->total = total ? total : 1;
	c->free_e = c->free_g = c->lru_head = c->lru_tail = NIL;
}

void admit_cache_free(struct admit_cache *c)
{
	free(c->e);
	free(c->g);
	free(c->addr_tab);
	free(c->name_tab);
	memset(c, 0, sizeof(*c));
}

static size_t addr_hash(const struct admit_cache *c, int family, acl_u128 v)
{
	uint64_t h = (uint64_t)v ^ (uint64_t)(v >> 64) * 0x9e3779b97f4a7c15ull ^ (uint64_t)family;

	h *= 0xff51afd7ed558ccdull;
	return (size_t)(h ^ h >> 32) & (2 * c->cap - 1);
}

static size_t name_hash(const struct admit_cache *c, const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return (size_t)(h ^ h >> 32) & (2 * c->cap - 1);
}

/* Twice the slots, and the hash chains rebuilt for the new bucket count. */
static void grow(struct admit_cache *c)
{
	size_t old = c->cap, cap = old ? 2 * old : 16;

	c->e = acl_xrealloc(c->e, cap * sizeof(*c->e));
	c->g = acl_xrealloc(c->g, cap * sizeof(*c->g));
	c->addr_tab = acl_xrealloc(c->addr_tab, 2 * cap * sizeof(uint32_t));
	c->name_tab = acl_xrealloc(c->name_tab, 2 * cap * sizeof(uint32_t));
	c->cap = cap;
	memset(c->addr_tab, 0xff, 2 * cap * sizeof(uint32_t));
	memset(c->name_tab, 0xff, 2 * cap * sizeof(uint32_t));
	for (size_t i = cap; i-- > old;) { /* new slots, lowest first on the lists */
		c->e[i] = (struct admit_entry){ .used = false, .lru_next = c->free_e };
		c->free_e = (uint32_t)i;
		c->g[i] = (struct admit_group){ .used = false, .next = c->free_g };
		c->free_g = (uint32_t)i;
	}
	for (size_t i = 0; i < old; i++) {
		if (c->e[i].used) {
			size_t b = addr_hash(c, c->e[i].family, c->e[i].v);

			c->e[i].addr_next = c->addr_tab[b];
			c->addr_tab[b] = (uint32_t)i;
		}
		if (c->g[i].used) {
			size_t b = name_hash(c, c->g[i].name);

			c->g[i].next = c->name_tab[b];
			c->name_tab[b] = (uint32_t)i;
		}
	}
}

static uint32_t group_of(struct admit_cache *c, const char *name, bool create)
{
	size_t b = c->cap ? name_hash(c, name) : 0;
	uint32_t i;

	for (i = c->cap ? c->name_tab[b] : NIL; i != NIL; i = c->g[i].next)
		if (strcmp(c->g[i].name, name) == 0)
			return i;
	if (!create)
		return NIL;
	if (c->free_g == NIL) {
		grow(c);
		b = name_hash(c, name);
	}
	i = c->free_g;
	c->free_g = c->g[i].next;
	c->g[i] = (struct admit_group){ .used = true, .head = NIL, .tail = NIL,
					.next = c->name_tab[b] };
	snprintf(c->g[i].name, sizeof(c->g[i].name), "%s", name);
	c->name_tab[b] = i;
	return i;
}

static void group_free(struct admit_cache *c, uint32_t gi)
{
	uint32_t *p = &c->name_tab[name_hash(c, c->g[gi].name)];

	while (*p != gi)
		p = &c->g[*p].next;
	*p = c->g[gi].next;
	c->g[gi].used = false;
	c->g[gi].next = c->free_g;
	c->free_g = gi;
}

/* ---- the two least-recently-answered lists ---- */

static void lru_unlink(struct admit_cache *c, uint32_t i)
{
	struct admit_entry *e = &c->e[i];
	struct admit_group *g = &c->g[e->group];

	*(e->lru_prev == NIL ? &c->lru_head : &c->e[e->lru_prev].lru_next) = e->lru_next;
	*(e->lru_next == NIL ? &c->lru_tail : &c->e[e->lru_next].lru_prev) = e->lru_prev;
	*(e->grp_prev == NIL ? &g->head : &c->e[e->grp_prev].grp_next) = e->grp_next;
	*(e->grp_next == NIL ? &g->tail : &c->e[e->grp_next].grp_prev) = e->grp_prev;
}

static void lru_append(struct admit_cache *c, uint32_t i)
{
	struct admit_entry *e = &c->e[i];
	struct admit_group *g = &c->g[e->group];

	e->lru_prev = c->lru_tail;
	e->lru_next = NIL;
	*(c->lru_tail == NIL ? &c->lru_head : &c->e[c->lru_tail].lru_next) = i;
	c->lru_tail = i;
	e->grp_prev = g->tail;
	e->grp_next = NIL;
	*(g->tail == NIL ? &g->head : &c->e[g->tail].grp_next) = i;
	g->tail = i;
}

static bool held(const struct admit_cache *c, int family, acl_u128 v)
{
	for (uint32_t i = c->addr_tab[addr_hash(c, family, v)]; i != NIL; i = c->e[i].addr_next)
		if (c->e[i].family == family && c->e[i].v == v)
			return true;
	return false;
}

/* Remove entry i, and tell gone() whether a name still holds its address. */
static void drop(struct admit_cache *c, uint32_t i, admit_gone_fn gone, void *arg)
{
	struct admit_entry *e = &c->e[i];
	uint32_t *p = &c->addr_tab[addr_hash(c, e->family, e->v)];

	lru_unlink(c, i);
	while (*p != i)
		p = &c->e[*p].addr_next;
	*p = e->addr_next;
	if (--c->g[e->group].count == 0)
		group_free(c, e->group);
	e->used = false;
	e->lru_next = c->free_e;
	c->free_e = i;
	c->n--;
	if (gone)
		gone(e->family, e->v, held(c, e->family, e->v), arg);
}

static uint32_t entry_of(const struct admit_cache *c, uint32_t gi, int family, acl_u128 v)
{
	for (uint32_t i = c->g[gi].head; i != NIL; i = c->e[i].grp_next)
		if (c->e[i].family == family && c->e[i].v == v)
			return i;
	return NIL;
}

static uint32_t entry_new(struct admit_cache *c, uint32_t gi, int family, acl_u128 v)
{
	uint32_t i;
	size_t b;

	if (c->free_e == NIL)
		grow(c);
	i = c->free_e;
	c->free_e = c->e[i].lru_next;
	b = addr_hash(c, family, v);
	c->e[i] = (struct admit_entry){ .family = family, .v = v, .group = gi, .used = true,
					.addr_next = c->addr_tab[b] };
	c->addr_tab[b] = i;
	c->g[gi].count++;
	c->n++;
	lru_append(c, i);
	return i;
}

uint64_t admit_cache_put(struct admit_cache *c, const char *name, int family, acl_u128 v,
			 uint64_t now, uint64_t expires, admit_gone_fn gone, void *arg)
{
	uint32_t gi = group_of(c, name, true), at = entry_of(c, gi, family, v);
	uint64_t latest = 0;

	if (at == NIL) {
		at = entry_new(c, gi, family, v);
	} else { /* answered again: the most recent now */
		lru_unlink(c, at);
		lru_append(c, at);
	}
	c->e[at].answered_ms = now;
	if (expires > c->e[at].expires_ms)
		c->e[at].expires_ms = expires;
	/* over a cap: the least recently answered goes (never this one,
	 * which is last on both lists) */
	while (c->g[gi].count > c->per_name && c->g[gi].head != at)
		drop(c, c->g[gi].head, gone, arg);
	while (c->n > c->total && c->lru_head != at)
		drop(c, c->lru_head, gone, arg);
	for (uint32_t i = c->addr_tab[addr_hash(c, family, v)]; i != NIL; i = c->e[i].addr_next)
		if (c->e[i].family == family && c->e[i].v == v && c->e[i].expires_ms > latest)
			latest = c->e[i].expires_ms;
	return latest;
}

void admit_cache_holders(const struct admit_cache *c, int family, acl_u128 v,
			 void (*fn)(const char *name, uint64_t expires_ms, void *arg), void *arg)
{
	if (!c->cap)
		return;
	for (uint32_t i = c->addr_tab[addr_hash(c, family, v)]; i != NIL; i = c->e[i].addr_next)
		if (c->e[i].family == family && c->e[i].v == v)
			fn(c->g[c->e[i].group].name, c->e[i].expires_ms, arg); /* one per name */
}

void admit_cache_expire(struct admit_cache *c, uint64_t now, admit_gone_fn gone, void *arg)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->e[i].used && c->e[i].expires_ms <= now)
			drop(c, (uint32_t)i, gone, arg);
}
