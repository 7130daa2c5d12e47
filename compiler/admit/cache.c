#include "compiler/admit/cache.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/set.h"

void admit_cache_init(struct admit_cache *c, size_t per_name, size_t total)
{
	memset(c, 0, sizeof(*c));
	c->per_name = per_name ? per_name : 1;
	c->total = total ? total : 1;
}

void admit_cache_free(struct admit_cache *c)
{
	free(c->e);
	memset(c, 0, sizeof(*c));
}

static bool same_addr(const struct admit_entry *e, int family, acl_u128 v)
{
	return e->family == family && e->v == v;
}

static bool held(const struct admit_cache *c, int family, acl_u128 v)
{
	for (size_t i = 0; i < c->n; i++)
		if (same_addr(&c->e[i], family, v))
			return true;
	return false;
}

/* Remove entry i (order is not kept); tell gone() if v is free now. */
static void drop(struct admit_cache *c, size_t i, admit_gone_fn gone, void *arg)
{
	struct admit_entry x = c->e[i];

	c->e[i] = c->e[--c->n];
	if (gone && !held(c, x.family, x.v))
		gone(x.family, x.v, arg);
}

/* The least recently answered entry, of name (or of all when NULL),
 * other than keep; SIZE_MAX if none. */
static size_t oldest(const struct admit_cache *c, const char *name, size_t keep)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < c->n; i++)
		if (i != keep && (!name || strcmp(c->e[i].name, name) == 0) &&
		    (best == SIZE_MAX || c->e[i].answered_ms < c->e[best].answered_ms))
			best = i;
	return best;
}

static size_t count_name(const struct admit_cache *c, const char *name)
{
	size_t k = 0;

	for (size_t i = 0; i < c->n; i++)
		k += strcmp(c->e[i].name, name) == 0;
	return k;
}

uint64_t admit_cache_put(struct admit_cache *c, const char *name, int family, acl_u128 v,
			 uint64_t now, uint64_t expires, admit_gone_fn gone, void *arg)
{
	size_t at = SIZE_MAX;
	uint64_t latest = 0;

	for (size_t i = 0; i < c->n && at == SIZE_MAX; i++)
		if (same_addr(&c->e[i], family, v) && strcmp(c->e[i].name, name) == 0)
			at = i;
	if (at == SIZE_MAX) {
		if (c->n == c->cap) {
			c->cap = c->cap ? 2 * c->cap : 16;
			c->e = acl_xrealloc(c->e, c->cap * sizeof(*c->e));
		}
		at = c->n++;
		memset(&c->e[at], 0, sizeof(c->e[at]));
		snprintf(c->e[at].name, sizeof(c->e[at].name), "%s", name);
		c->e[at].family = family;
		c->e[at].v = v;
	}
	c->e[at].answered_ms = now;
	if (expires > c->e[at].expires_ms)
		c->e[at].expires_ms = expires;
	/* over a cap: the least recently answered goes (never the new one) */
	while (count_name(c, name) > c->per_name || c->n > c->total) {
		size_t o = oldest(c, count_name(c, name) > c->per_name ? name : NULL, at);

		if (o == SIZE_MAX)
			break;
		drop(c, o, gone, arg);
		if (at == c->n) /* the new entry was moved into the hole */
			at = o;
	}
	for (size_t i = 0; i < c->n; i++)
		if (same_addr(&c->e[i], family, v) && c->e[i].expires_ms > latest)
			latest = c->e[i].expires_ms;
	return latest;
}

void admit_cache_expire(struct admit_cache *c, uint64_t now, admit_gone_fn gone, void *arg)
{
	for (size_t i = 0; i < c->n;)
		if (c->e[i].expires_ms <= now)
			drop(c, i, gone, arg);
		else
			i++;
}
