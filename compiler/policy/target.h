/* Targets (netacl-policy(5), INTERSECTION): every ACL alone, and every pipeline stage with its
 * overrides intersected into the ACL's rules. */
#ifndef NETACL_TARGET_H
#define NETACL_TARGET_H

#include "compiler/policy/policy.h"

struct target {
	char name[160];            /* "acl" or "pipeline/stage" */
	const struct policy_acl *acl;
	const struct policy_stage *stage; /* NULL for an ACL target */
	struct rule_list rules;    /* effective rules */
	/* names to resolve for this target, and the rule each serves */
	size_t nnames, names_cap;
	struct target_name {
		const char *name;  /* points into a rule or a concrete host */
		size_t rule;
	} *names;
};

struct target_set {
	size_t n;
	struct target *t;
	struct arena *arena; /* what the intersected rules point to */
};

/* Build the targets named in only[] (all when nonly == 0).  Warns about
 * uninstantiated wildcards, unmatched concrete hosts and intersections
 * that empty a stage.  -1 when a name in only[] is not a target. */
int targets_build(const struct policy *p, const char *const *only, size_t nonly,
		  struct target_set *out);
void targets_free(struct target_set *ts);

#endif
