/* A checked policy (netacl-policy(5)): ACLs, pipelines, stages, as rules of acl/. */
#ifndef NETACL_POLICY_H
#define NETACL_POLICY_H

#include "acl/rule.h"
#include "acl/special.h"

/* A rule as a list keeps it: 64 bytes where a struct acl_rule takes 512
 * (policies hold millions).  Names, port sets and origins live in an
 * arena of the list's owner (the policy, the target set), not one per
 * list: a policy may hold 100,000 ACLs of one rule each.
 * policy_rule_get expands a record into a struct acl_rule. */
struct rule_rec {
	struct acl_cidr net;
	const char *name;               /* the host pattern's name or suffix */
	const struct acl_ports *ports;  /* interned */
	const struct acl_origin *orig;  /* norig of them */
	uint8_t kind, host, proto, norig;
	bool has_net, floor;
};

struct arena;

struct rule_list {
	size_t n, cap;
	struct rule_rec *r;
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
	bool dns_admit;   /* dns: admit, the workload's own lookups open addresses */
	bool has_bind;    /* bind: given; without it binding is not restricted */
	struct rule_list bind; /* the local addresses and ports it may bind */
	uint32_t max_conn;     /* max_connections: outbound TCP at once; 0 none */
	uint32_t max_rate;     /* max_connect_rate: connects a second; 0 none */
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
	struct arena *arena;    /* what the rule lists' records point to */
	size_t nacls, npipelines;
	struct policy_acl *acls;
	struct policy_pipeline *pipelines;
};

/* Parse and check; 0, or -1 after diagnosing every error found. */
int policy_parse(const char *file, const char *text, size_t len, struct policy *out);
void policy_free(struct policy *p);

/* Add r to l; its name, ports and origins are stored in a. */
void policy_rules_push(struct arena *a, struct rule_list *l, const struct acl_rule *r);
/* Room for n more rules: lists of a known size take no more. */
void policy_rules_reserve(struct rule_list *l, size_t n);
/* Rule i of the list, expanded. */
void policy_rule_get(const struct rule_list *l, size_t i, struct acl_rule *out);
void policy_rules_free(struct rule_list *l);

#endif
