/* The resolved model: what a target allows, after intersection,
 * resolution and the special-purpose table.  It is what `compile` prints
 * (netacl(8), OUTPUT), what a compiled JSON file reads back into, and what explain,
 * diff and the BPF loader consume.  Everything lives in the model's arena
 * and is freed with it. */
#ifndef NETACL_MODEL_H
#define NETACL_MODEL_H

#include <stdint.h>
#include <stdlib.h>

#include "acl/ports.h"
#include "acl/rule.h"
#include "acl/special.h"

struct strv {
	size_t n;
	char **v;
};

/* A rule's target, as data (set by model_rule_target from match). */
struct m_match {
	enum acl_rule_kind kind;  /* ANY '*', EXACT name, WILD '*.suffix', NET range */
	enum acl_host_kind host;  /* for ANY, EXACT, WILD */
	const char *name;         /* EXACT: the name; WILD: the suffix; in match */
	struct acl_cidr net;      /* NET: the range */
};

struct m_rule {
	struct m_match what;      /* match, parsed once (first: no padding) */
	char *match;  /* "*", "*.a.b", a name, a CIDR: as written */
	char *in;     /* name ∩ CIDR: the range, else NULL */
	const struct acl_ports *ports; /* shared: see model_ports */
	struct strv origin; /* "file:line:col" per side */
	int proto;
};

struct m_allow {
	struct acl_cidr addr;
	const struct acl_ports *ports; /* shared: see model_ports */
	int proto;
	struct strv via;
	int64_t ttl; /* -1: none (literals, hosts files) */
};

struct m_drop {
	struct acl_cidr addr;
	struct strv via;
	int reason; /* special-purpose row */
};

struct m_unres {
	char *host;
	char *error;
};

struct m_target {
	char *name, *acl, *cgroup;
	bool allow_all; /* some rule is '*' */
	bool ping;      /* ICMP datagram ("ping") sockets may be made */
	bool dns_admit; /* dns: admit (netacl(8), LIVE DNS) */
	bool has_bind;  /* bind: given; else binding is not restricted */
	uint32_t max_conn; /* max_connections: outbound TCP at once; 0 none */
	uint32_t max_rate; /* max_connect_rate: connects a second (the burst too); 0 none */
	struct acl_private priv;
	struct strv priv_text;
	size_t nrules, nallow, ndropped, nunres, nadmitted, nbind;
	struct m_rule *rules;
	struct m_allow *allow;
	struct m_allow *bind;  /* what it may bind (no via, no ttl) */
	/* live DNS: what the workload's lookups admitted, as inspect read it
	 * from the kernel (ttl: seconds left); no part of the sets */
	struct m_allow *admitted;
	struct m_drop *dropped;
	struct m_unres *unres;
};

struct arena;

struct model {
	struct arena *arena;
	size_t n;
	struct m_target *t; /* sorted by name */
	/* the last string stored: a million entries from one name share
	 * one copy (the model is immutable once built) */
	const char *last_str;
};

void model_init(struct model *m);
void model_free(struct model *m);
void *model_alloc(struct model *m, size_t size);
char *model_strdup(struct model *m, const char *s);
void model_strv_push(struct model *m, struct strv *v, const char *s);
/* An arena copy of p, one per distinct set: equal sets share it (see
 * arena_ports: it holds only p->n ranges). */
const struct acl_ports *model_ports(struct model *m, const struct acl_ports *p);
bool model_strv_has(const struct strv *v, const char *s);

struct m_target *model_find(const struct model *m, const char *name);
/* Sort a target's lists into the canonical order (netacl(8), OUTPUT) and merge
 * entries with the same address, ports and protocol. */
void model_canonicalise(struct model *m, struct m_target *t);
void model_sort_targets(struct model *m);

/* Arrays that grow inside the model's arena: helpers for builders. */
void *model_grow(struct model *m, void *arr, size_t n, size_t size);

/* Set r->what from r->match; -1 when match is not a rule target. */
int model_rule_target(struct model *m, struct m_rule *r);
/* Does the rule's target cover the address (NET), or one of the names
 * (EXACT, WILD)?  '*' covers nothing here: it is the allow-all. */
bool model_rule_covers(const struct m_rule *r, int family, acl_u128 v, const struct strv *names);

/* Compare two CIDRs: IPv4 first, then numerically, then by length. */
int model_cidr_cmp(const struct acl_cidr *a, const struct acl_cidr *b);

#endif
