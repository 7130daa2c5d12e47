#include "compiler/policy/target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/set.h"
#include "compiler/arena.h"
#include "compiler/diag.h"

/* a ∩ b for rule lists: the union of the pairwise intersections. */
static void intersect_lists(struct arena *arena, const struct rule_list *a,
			    const struct rule_list *b, struct rule_list *out)
{
	struct rule_list r = { 0 };
	struct acl_rule x, y, xy;

	for (size_t i = 0; i < a->n; i++) {
		policy_rule_get(a, i, &x);
		for (size_t j = 0; j < b->n; j++) {
			policy_rule_get(b, j, &y);
			if (acl_rule_intersect(&x, &y, &xy))
				policy_rules_push(arena, &r, &xy);
		}
	}
	*out = r;
}

static void add_name(struct target *t, const char *name, size_t rule)
{
	if (t->nnames == t->names_cap) {
		t->names_cap = t->names_cap ? 2 * t->names_cap : 8;
		t->names = acl_xrealloc(t->names, t->names_cap * sizeof(*t->names));
	}
	t->names[t->nnames].name = name;
	t->names[t->nnames].rule = rule;
	t->nnames++;
}

/* Exact names resolve as they are; wildcards only through the stage's
 * concrete hosts (netacl-policy(5), CONCRETE HOSTS).  '*' needs no names. */
static void collect_names(struct target *t, const char *file)
{
	const struct policy_stage *s = t->stage;
	size_t nhosts = s ? s->nhosts : 0;
	bool *used = calloc(nhosts + 1, sizeof(bool));

	if (!used)
		abort();
	for (size_t i = 0; i < t->rules.n; i++) {
		const struct rule_rec *r = &t->rules.r[i];
		bool any = false;

		if (r->kind == ACL_RULE_NET)
			continue;
		if (r->kind == ACL_RULE_EXACT)
			add_name(t, r->name, i); /* the list's arena keeps it */
		for (size_t h = 0; h < nhosts; h++) {
			if (!acl_name_matches(r->host, r->name, s->hosts[h].name))
				continue;
			used[h] = true;
			if (r->kind == ACL_RULE_WILD) {
				add_name(t, s->hosts[h].name, i);
				any = true;
			}
		}
		/* an ACL used by stages is instantiated there: no noise here;
		 * with dns: admit, the workload's own lookups instantiate it */
		if (r->kind == ACL_RULE_WILD && !any && (s || !t->acl->used) && !t->acl->dns_admit)
			diag_warning(file, r->orig[0].line, r->orig[0].col,
				     "target '%s': wildcard *.%s is instantiated by no "
				     "concrete host (hosts: or config:); it allows nothing",
				     t->name, r->name);
	}
	for (size_t h = 0; h < nhosts; h++)
		if (!used[h])
			diag_warning(file, s->hosts[h].orig.line, s->hosts[h].orig.col,
				     "target '%s': host %s matches no rule; ignored", t->name,
				     s->hosts[h].name);
	free(used);
}

static void build_stage(const struct policy *p, const struct policy_pipeline *pl,
			const struct policy_stage *s, struct arena *arena, struct target *t)
{
	struct rule_list cur = { 0 }, next;

	snprintf(t->name, sizeof(t->name), "%s/%s", pl->name, s->name);
	t->acl = s->acl;
	t->stage = s;
	cur = s->acl->allow; /* borrowed until an override narrows it */
	cur.borrowed = true;
	if (pl->has_allowed) {
		intersect_lists(arena, &cur, &pl->allowed, &next);
		policy_rules_free(&cur);
		cur = next;
	}
	if (s->has_allowed) {
		intersect_lists(arena, &cur, &s->allowed, &next);
		policy_rules_free(&cur);
		cur = next;
	}
	if (cur.n == 0 && s->acl->allow.n > 0)
		diag_warning(p->file, s->orig.line, s->orig.col,
			     "target '%s': the allowed_hosts overrides remove every rule of "
			     "ACL '%s'; the stage is denied everything", t->name, s->acl->name);
	t->rules = cur;
}

static bool wanted(const char *name, const char *const *only, size_t nonly, bool *seen)
{
	if (nonly == 0)
		return true;
	for (size_t i = 0; i < nonly; i++)
		if (strcmp(only[i], name) == 0) {
			seen[i] = true;
			return true;
		}
	return false;
}

int targets_build(const struct policy *p, const char *const *only, size_t nonly,
		  struct target_set *out)
{
	size_t cap = p->nacls;
	bool *seen = calloc(nonly + 1, sizeof(bool));
	int rc = 0;

	if (!seen)
		abort();
	for (size_t i = 0; i < p->npipelines; i++)
		cap += p->pipelines[i].nstages;
	out->n = 0;
	out->arena = arena_new();
	out->t = calloc(cap + 1, sizeof(*out->t));
	if (!out->t)
		abort();
	for (size_t i = 0; i < p->nacls; i++) {
		struct target *t = &out->t[out->n];

		if (!wanted(p->acls[i].name, only, nonly, seen))
			continue;
		snprintf(t->name, sizeof(t->name), "%s", p->acls[i].name);
		t->acl = &p->acls[i];
		t->rules = p->acls[i].allow; /* the ACL's own rules, not a copy */
		t->rules.borrowed = true;
		collect_names(t, p->file);
		out->n++;
	}
	for (size_t i = 0; i < p->npipelines; i++)
		for (size_t j = 0; j < p->pipelines[i].nstages; j++) {
			struct target *t = &out->t[out->n];
			char name[160];

			snprintf(name, sizeof(name), "%s/%s", p->pipelines[i].name,
				 p->pipelines[i].stages[j].name);
			if (!wanted(name, only, nonly, seen))
				continue;
			build_stage(p, &p->pipelines[i], &p->pipelines[i].stages[j], out->arena,
				    t);
			collect_names(t, p->file);
			out->n++;
		}
	for (size_t i = 0; i < nonly; i++)
		if (!seen[i]) {
			die_msg("%s: no target named '%s'", p->file, only[i]);
			rc = -1;
		}
	free(seen);
	return rc;
}

void targets_free(struct target_set *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		policy_rules_free(&ts->t[i].rules);
		free(ts->t[i].names);
	}
	free(ts->t);
	arena_free(ts->arena);
	ts->arena = NULL;
	ts->t = NULL;
	ts->n = 0;
}
