/* A checked policy (netacl-policy(5)): ACLs, pipelines, stages, as rules of acl/. */
#ifndef NETACL_POLICY_H
#define NETACL_POLICY_H

#include "acl/rule.h"
#include "acl/special.h"

struct rule_list {
	size_t n, cap;
	struct acl_rule *r;
	bool borrowed; /* r is another list's: policy_rules_free leaves it */
};

/* A concrete host name and where it was found. */
struct concrete {
	char name[ACL_NAME_MAX + 1];
	struct acl_origin orig;
	bool from_config;
};

struct policy_acl {
	char *name;
	struct acl_origin orig;
	struct rule_list allow;
	struct acl_private priv;
	char **priv_text; /* the private: entries as written (normalised) */
	bool ping;        /* ping: true, ICMP datagram sockets may be made */
	bool used;        /* by some stage */
};

struct policy_stage {
	char *name;
	struct acl_origin orig;
	struct policy_acl *acl;
	bool has_allowed;
	struct rule_list allowed;
	size_t nhosts;
	struct concrete *hosts; /* hosts: then names found in config: */
	char *cgroup;
};

struct policy_pipeline {
	char *name;
	bool has_allowed;
	struct rule_list allowed;
	size_t nstages;
	struct policy_stage *stages;
};

struct policy {
	char *file;
	size_t nnat64;
	struct acl_cidr *nat64; /* nat64: the network's NAT64 prefixes */
	size_t nacls, npipelines;
	struct policy_acl *acls;
	struct policy_pipeline *pipelines;
};

/* Parse and check; 0, or -1 after diagnosing every error found. */
int policy_parse(const char *file, const char *text, size_t len, struct policy *out);
void policy_free(struct policy *p);

void policy_rules_push(struct rule_list *l, const struct acl_rule *r);
/* Room for n more rules: lists of a known size take no more (a rule is
 * 512 bytes, and policies can hold millions). */
void policy_rules_reserve(struct rule_list *l, size_t n);
void policy_rules_free(struct rule_list *l);

#endif
