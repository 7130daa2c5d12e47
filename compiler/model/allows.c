/* A target's allow list and '*' rules -> flattened intervals (kernel form). */
#include <stdlib.h>
#include <string.h>

#include "compiler/model/allows.h"

static int fam_ix(int family)
{
	return family == ACL_V4 ? 0 : 1;
}

struct ins {
	size_t n, cap;
	struct acl_flat_in *v;
};

static void ins_push(struct ins *s, acl_u128 lo, acl_u128 hi, uint32_t set)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = acl_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct acl_flat_in){ lo, hi, set };
}

/* The union of the '*' rules' ports, or ALLOWS_NO_STAR. */
static uint32_t star_set(const struct m_target *t, struct acl_psets *sets)
{
	struct acl_pbits *b = malloc(sizeof(*b));
	bool any = false;
	uint32_t ix = ALLOWS_NO_STAR;

	if (!b)
		abort();
	acl_pbits_clear(b);
	for (size_t i = 0; i < t->nrules; i++)
		if (t->rules[i].what.kind == ACL_RULE_ANY) {
			acl_pbits_add(b, t->rules[i].ports, t->rules[i].proto);
			any = true;
		}
	if (any && !acl_pbits_empty(b))
		ix = acl_psets_intern(sets, b);
	free(b);
	return ix;
}

/* Port sets of entries repeat: remember the last (ports, proto) seen. */
struct last_set {
	bool valid;
	const struct acl_ports *ports;
	int proto;
	uint32_t set;
};

static uint32_t entry_set(struct acl_psets *sets, struct last_set *l, const struct m_allow *e)
{
	if (!l->valid || l->proto != e->proto ||
	    (l->ports != e->ports && !acl_ports_equal(l->ports, e->ports))) {
		l->valid = true;
		l->ports = e->ports;
		l->proto = e->proto;
		l->set = acl_psets_of(sets, e->ports, e->proto);
	}
	return l->set;
}

int64_t allows_min_ttl(const struct m_target *t)
{
	int64_t min = -1;

	for (size_t i = 0; i < t->nallow; i++)
		if (t->allow[i].ttl >= 0 && (min < 0 || t->allow[i].ttl < min))
			min = t->allow[i].ttl;
	return min;
}

static void bind_of(const struct m_target *t, struct allows *a)
{
	struct ins in[2] = { { 0 } };
	struct last_set last = { 0 };

	a->has_bind = t->has_bind;
	a->max_conn = t->max_conn;
	a->max_rate = t->max_rate;
	for (size_t i = 0; i < t->nbind; i++) {
		const struct m_allow *e = &t->bind[i];

		ins_push(&in[fam_ix(e->addr.family)], e->addr.v, acl_cidr_last(&e->addr),
			 entry_set(&a->sets, &last, e));
	}
	for (int f = 0; f < 2; f++) {
		acl_flat_build(f ? ACL_V6 : ACL_V4, in[f].v, in[f].n, &a->sets, &a->bind[f]);
		free(in[f].v);
	}
}

void allows_of(const struct m_target *t, bool fold_star, struct allows *a)
{
	struct ins in[2] = { { 0 } };
	struct last_set last = { 0 };

	memset(a, 0, sizeof(*a));
	acl_psets_init(&a->sets);
	a->allow_all = t->allow_all;
	a->ping = t->ping;
	a->dns_admit = t->dns_admit;
	a->min_ttl = allows_min_ttl(t);
	a->nnat64 = t->priv.nnat64;
	if (a->nnat64)
		memcpy(a->nat64, t->priv.nat64, a->nnat64 * sizeof(*a->nat64));
	a->star = star_set(t, &a->sets);
	for (size_t i = 0; i < t->nallow; i++) {
		const struct m_allow *e = &t->allow[i];
		acl_u128 lo = e->addr.v;

		ins_push(&in[fam_ix(e->addr.family)], lo, acl_cidr_last(&e->addr),
			 entry_set(&a->sets, &last, e));
	}
	for (int f = 0; f < 2; f++) {
		int family = f ? ACL_V6 : ACL_V4;

		acl_sp_denied_set(family, &t->priv, &a->deny[f]);
		if (fold_star && a->allow_all && a->star != ALLOWS_NO_STAR) {
			struct acl_set all, open;

			acl_set_init(&all, family);
			acl_set_add(&all, 0, acl_family_max(family));
			acl_set_normalise(&all);
			acl_set_subtract(&all, &a->deny[f], &open);
			for (size_t i = 0; i < open.n; i++)
				ins_push(&in[f], open.iv[i].lo, open.iv[i].hi, a->star);
			acl_set_free(&all);
			acl_set_free(&open);
		}
		acl_flat_build(family, in[f].v, in[f].n, &a->sets, &a->flat[f]);
		free(in[f].v);
	}
	if (fold_star)
		a->allow_all = false, a->star = ALLOWS_NO_STAR;
	bind_of(t, a);
}

void allows_free(struct allows *a)
{
	acl_psets_free(&a->sets);
	for (int f = 0; f < 2; f++) {
		acl_flat_free(&a->flat[f]);
		acl_flat_free(&a->bind[f]);
		acl_set_free(&a->deny[f]);
	}
}
