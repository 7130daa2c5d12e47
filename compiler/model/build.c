#include "compiler/model/build.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "acl/set.h"
#include "compiler/diag.h"

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every name of every target, once. */
static size_t unique_names(const struct target_set *ts, const char ***out)
{
	size_t n = 0, k = 0;
	const char **v;

	for (size_t i = 0; i < ts->n; i++)
		n += ts->t[i].nnames;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		abort();
	for (size_t i = 0; i < ts->n; i++)
		for (size_t j = 0; j < ts->t[i].nnames; j++)
			v[k++] = ts->t[i].names[j].name;
	acl_sort(v, n, sizeof(*v), str_cmp);
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	*out = v;
	return k;
}

static const struct resolution *find_res(const struct resolution *r, const char **names,
					 size_t n, const char *name)
{
	const char **hit = bsearch(&name, names, n, sizeof(*names), str_cmp);

	return hit ? &r[hit - names] : NULL;
}

static struct m_allow *push_allow(struct model *m, struct m_target *t)
{
	t->allow = model_grow(m, t->allow, t->nallow, sizeof(*t->allow));
	memset(&t->allow[t->nallow], 0, sizeof(*t->allow));
	t->allow[t->nallow].ttl = -1;
	return &t->allow[t->nallow++];
}

struct floor_ctx {
	struct model *m;
	struct m_target *t;
	const struct acl_rule *r;
};

static void add_floored(const struct acl_cidr *c, void *arg)
{
	struct floor_ctx *f = arg;
	struct m_allow *a = push_allow(f->m, f->t);

	a->addr = *c;
	a->ports = model_ports(f->m, &f->r->ports);
	a->proto = f->r->proto;
}

/* An address rule.  From '*' ∩ range, the table's rows come out of it. */
static void add_net_rule(struct model *m, struct m_target *t, const struct acl_rule *r)
{
	struct acl_set whole, denied, rest;
	struct floor_ctx f = { m, t, r };

	if (!r->floor) {
		add_floored(&r->net, &f);
		return;
	}
	acl_set_init(&whole, r->net.family);
	acl_set_add_cidr(&whole, &r->net);
	acl_sp_denied_set(r->net.family, &t->priv, &denied);
	acl_set_subtract(&whole, &denied, &rest);
	acl_set_to_cidrs(&rest, add_floored, &f);
	acl_set_free(&whole);
	acl_set_free(&denied);
	acl_set_free(&rest);
}

static void add_answer(struct model *m, struct m_target *t, const struct acl_rule *r,
		       const char *name, const struct answer *a)
{
	struct acl_cidr c = { a->family, (uint8_t)acl_width(a->family), a->v };
	int row;

	acl_addr_unmap(&c.family, &c.v);
	c.len = (uint8_t)acl_width(c.family);
	if (r->has_net && !acl_cidr_contains(&r->net, c.family, c.v))
		return; /* outside the range an override narrowed the name to */
	row = acl_sp_classify(&t->priv, c.family, c.v);
	if (row != ACL_SP_NONE && !acl_private_covers(&t->priv, row, c.family, c.v)) {
		t->dropped = model_grow(m, t->dropped, t->ndropped, sizeof(*t->dropped));
		memset(&t->dropped[t->ndropped], 0, sizeof(*t->dropped));
		t->dropped[t->ndropped].addr = c;
		t->dropped[t->ndropped].reason = row;
		model_strv_push(m, &t->dropped[t->ndropped].via, name);
		t->ndropped++;
		return;
	}
	struct m_allow *al = push_allow(m, t);

	al->addr = c;
	al->ports = model_ports(m, &r->ports);
	al->proto = r->proto;
	al->ttl = a->ttl;
	model_strv_push(m, &al->via, name);
}

static void add_rules(struct model *m, struct m_target *t, const struct target *tg)
{
	t->rules = model_alloc(m, (tg->rules.n + !tg->rules.n) * sizeof(*t->rules));
	t->nrules = tg->rules.n;
	for (size_t i = 0; i < tg->rules.n; i++) {
		struct acl_rule rule, *r = &rule;
		struct m_rule *mr = &t->rules[i];
		char buf[ACL_NAME_MAX + 8];

		policy_rule_get(&tg->rules, i, r);
		acl_rule_format_match(r, buf, sizeof(buf));
		mr->match = model_strdup(m, buf);
		mr->what = (struct m_match){ .kind = r->kind, .host = r->host.kind, .net = r->net };
		if (acl_is_name_kind(r->kind)) /* match ends with the name */
			mr->what.name = mr->match + strlen(mr->match) - strlen(r->host.name);
		if (r->has_net) {
			acl_cidr_format(&r->net, buf);
			mr->in = model_strdup(m, buf);
		}
		mr->ports = model_ports(m, &r->ports);
		mr->proto = r->proto;
		for (unsigned o = 0; o < r->norig; o++) {
			char org[4200];

			snprintf(org, sizeof(org), "%s:%u:%u", r->orig[o].file, r->orig[o].line,
				 r->orig[o].col);
			model_strv_push(m, &mr->origin, org);
		}
		if (r->kind == ACL_RULE_ANY)
			t->allow_all = true;
		if (r->kind == ACL_RULE_NET)
			add_net_rule(m, t, r);
	}
}

/* bind: entries as written: a local address has no name to resolve and
 * no special-purpose row to leave out. */
static void add_bind(struct model *m, struct m_target *t, const struct policy_acl *acl)
{
	t->has_bind = acl->has_bind;
	t->bind = model_alloc(m, (acl->bind.n + 1) * sizeof(*t->bind));
	for (size_t i = 0; i < acl->bind.n; i++) {
		struct acl_rule r;

		policy_rule_get(&acl->bind, i, &r);
		t->bind[t->nbind++] = (struct m_allow){ .addr = r.net,
							.ports = model_ports(m, &r.ports),
							.proto = r.proto, .ttl = -1 };
	}
}

static void build_target(struct model *m, struct m_target *t, const struct target *tg,
			 const struct resolution *res, const char **names, size_t nnames)
{
	const struct policy_acl *acl = tg->acl;

	t->name = model_strdup(m, tg->name);
	t->acl = model_strdup(m, acl->name);
	if (tg->stage && tg->stage->cgroup)
		t->cgroup = model_strdup(m, tg->stage->cgroup);
	t->ping = acl->ping;
	t->dns_admit = acl->dns_admit;
	t->priv.rows = acl->priv.rows;
	t->priv.n = acl->priv.n;
	t->priv.cidrs = model_alloc(m, (acl->priv.n + 1) * sizeof(struct acl_cidr));
	if (acl->priv.n)
		memcpy(t->priv.cidrs, acl->priv.cidrs, acl->priv.n * sizeof(struct acl_cidr));
	for (size_t i = 0; acl->priv_text && acl->priv_text[i]; i++)
		model_strv_push(m, &t->priv_text, acl->priv_text[i]);
	t->priv.nnat64 = acl->priv.nnat64;
	t->priv.nat64 = model_alloc(m, (acl->priv.nnat64 + 1) * sizeof(struct acl_cidr));
	if (acl->priv.nnat64)
		memcpy(t->priv.nat64, acl->priv.nat64, acl->priv.nnat64 * sizeof(struct acl_cidr));
	add_rules(m, t, tg);
	add_bind(m, t, acl);
	t->max_conn = acl->max_conn;
	t->max_rate = acl->max_rate;
	for (size_t i = 0; i < tg->nnames; i++) {
		const struct resolution *r = find_res(res, names, nnames, tg->names[i].name);
		struct acl_rule rule;

		if (r->error) {
			t->unres = model_grow(m, t->unres, t->nunres, sizeof(*t->unres));
			t->unres[t->nunres].host = model_strdup(m, r->name);
			t->unres[t->nunres].error = model_strdup(m, r->error);
			t->nunres++;
			continue;
		}
		policy_rule_get(&tg->rules, tg->names[i].rule, &rule);
		for (size_t a = 0; a < r->n; a++)
			add_answer(m, t, &rule, r->name, &r->a[a]);
	}
	model_canonicalise(m, t);
}

int build_model(const struct target_set *ts, const struct resolve_opts *o, struct model *m,
		size_t *unresolved)
{
	const char **names;
	size_t nnames = unique_names(ts, &names);
	struct resolution *res = calloc(nnames + 1, sizeof(*res));
	int rc;

	if (!res)
		abort();
	*unresolved = 0;
	rc = resolve_all(o, names, nnames, res);
	if (!rc) {
		m->n = ts->n;
		m->t = model_alloc(m, (ts->n + 1) * sizeof(*m->t));
		for (size_t i = 0; i < ts->n; i++)
			build_target(m, &m->t[i], &ts->t[i], res, names, nnames);
		model_sort_targets(m);
		for (size_t i = 0; i < nnames; i++)
			*unresolved += res[i].error != NULL;
	}
	resolve_free(res, nnames);
	free(res);
	free(names);
	return rc;
}
