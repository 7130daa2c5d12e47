/* YAML tree -> checked policy.  Every error is reported with its place;
 * checking goes on after an error so one run shows them all. */
#include "compiler/policy/policy.h"


#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/set.h"
#include "acl/names.h"
#include "compiler/arena.h"
#include "compiler/diag.h"
#include "compiler/policy/yaml.h"

struct ctx {
	const char *file;
	struct policy *p;
};

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

void policy_rules_reserve(struct rule_list *l, size_t n)
{
	if (l->cap - l->n < n) {
		l->cap = l->n + n;
		l->r = acl_xrealloc(l->r, l->cap * sizeof(*l->r));
	}
}

void policy_rules_push(struct arena *a, struct rule_list *l, const struct acl_rule *r)
{
	struct rule_rec *rec;
	struct acl_origin *orig;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1; /* most ACLs have a rule or two */
		l->r = acl_xrealloc(l->r, l->cap * sizeof(*l->r));
	}
	rec = &l->r[l->n++];
	orig = arena_alloc(a, r->norig * sizeof(*orig));
	memcpy(orig, r->orig, r->norig * sizeof(*orig));
	*rec = (struct rule_rec){
		.net = r->net,
		.name = acl_is_name_kind(r->kind) ? arena_strdup(a, r->host.name) : "",
		.ports = arena_ports(a, &r->ports),
		.orig = orig,
		.kind = (uint8_t)r->kind,
		.host = (uint8_t)r->host.kind,
		.proto = (uint8_t)r->proto,
		.norig = (uint8_t)r->norig,
		.has_net = r->has_net,
		.floor = r->floor,
	};
}

void policy_rule_get(const struct rule_list *l, size_t i, struct acl_rule *out)
{
	const struct rule_rec *rec = &l->r[i];

	memset(out, 0, sizeof(*out));
	out->kind = rec->kind;
	out->host.kind = rec->host;
	snprintf(out->host.name, sizeof(out->host.name), "%s", rec->name);
	out->has_net = rec->has_net;
	out->net = rec->net;
	out->floor = rec->floor;
	out->ports.n = rec->ports->n; /* interned sets hold only n ranges */
	memcpy(out->ports.r, rec->ports->r, rec->ports->n * sizeof(out->ports.r[0]));
	out->proto = rec->proto;
	out->norig = rec->norig;
	memcpy(out->orig, rec->orig, rec->norig * sizeof(*rec->orig));
}

void policy_rules_free(struct rule_list *l)
{
	if (!l->borrowed)
		free(l->r);
	l->r = NULL;
	l->n = l->cap = 0;
}

static struct acl_origin origin(const struct ctx *c, const struct ynode *n)
{
	return (struct acl_origin){ c->file, n->line, n->col };
}

/* Column of byte off inside a scalar (quoted scalars start one later). */
static unsigned scol(const struct ynode *n, size_t off)
{
	return n->col + (unsigned)off + (n->plain ? 0 : 1);
}

static bool expect(const struct ctx *c, const struct ynode *n, enum ynode_kind k,
		   const char *what)
{
	if (n->kind == k)
		return true;
	diag_error(c->file, n->line, n->col, "%s must be %s, not %s", what, ykind_name(k),
		   ykind_name(n->kind));
	return false;
}

/* Unknown keys are errors: a typo must never grant or drop silently. */
static void check_keys(const struct ctx *c, const struct ynode *map, const char *where,
		       const char *const *known)
{
	for (size_t i = 0; i < map->n; i++) {
		const char *k = map->keys[i]->str;
		bool ok = false;
		char list[200] = "";

		for (size_t j = 0; known[j]; j++) {
			ok |= strcmp(k, known[j]) == 0;
			if (strlen(list) + strlen(known[j]) + 3 < sizeof(list)) {
				if (j)
					strcat(list, ", ");
				strcat(list, known[j]);
			}
		}
		if (!ok)
			diag_error(c->file, map->keys[i]->line, map->keys[i]->col,
				   "unknown key '%s' in %s (expected %s)", k, where, list);
	}
}

static bool check_ident(const struct ctx *c, const struct ynode *key, const char *what)
{
	if (acl_ident_valid(key->str))
		return true;
	diag_error(c->file, key->line, key->col,
		   "invalid %s name '%s' (1-64 of A-Z a-z 0-9 _ -)", what, key->str);
	return false;
}

/* ---- rules ---- */

static int parse_ports(const struct ctx *c, const struct ynode *n, struct acl_ports *out)
{
	struct acl_err e;
	int rc = 0;

	out->n = 0;
	if (n->kind == Y_SCALAR) {
		if (acl_ports_add_text(out, n->str, n->len, &e)) {
			diag_error(c->file, n->line, scol(n, e.off), "%s", e.msg);
			return -1;
		}
		return 0;
	}
	if (!expect(c, n, Y_SEQ, "ports"))
		return -1;
	if (n->n == 0) {
		diag_error(c->file, n->line, n->col,
			   "empty port list (leave 'ports' out to allow every port)");
		return -1;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];

		if (!expect(c, it, Y_SCALAR, "a port")) {
			rc = -1;
		} else if (acl_ports_add_text(out, it->str, it->len, &e)) {
			diag_error(c->file, it->line, scol(it, e.off), "%s", e.msg);
			rc = -1;
		}
	}
	return rc;
}

static int parse_long_rule(const struct ctx *c, const struct ynode *n, struct acl_rule *r)
{
	static const char *const keys[] = { "to", "ports", "proto", NULL };
	const struct ynode *to = ymap_get(n, "to"), *ports = ymap_get(n, "ports"),
			   *proto = ymap_get(n, "proto");
	struct acl_err e;
	int rc = 0;

	check_keys(c, n, "a rule", keys);
	if (!to) {
		diag_error(c->file, n->line, n->col, "rule needs 'to:'");
		return -1;
	}
	if (!expect(c, to, Y_SCALAR, "'to'"))
		return -1;
	if (acl_rule_parse_target(to->str, to->len, r, &e)) {
		diag_error(c->file, to->line, scol(to, e.off), "%s", e.msg);
		return -1;
	}
	if (ports && parse_ports(c, ports, &r->ports))
		rc = -1;
	if (proto) {
		r->proto = proto->kind == Y_SCALAR ? acl_proto_parse(proto->str) : -1;
		if (r->proto < 0) {
			diag_error(c->file, proto->line, proto->col,
				   "proto must be tcp, udp or any");
			rc = -1;
		}
	}
	return rc;
}

static int parse_rule(const struct ctx *c, const struct ynode *n, struct acl_rule *r)
{
	struct acl_err e;

	if (n->kind == Y_MAP) {
		if (parse_long_rule(c, n, r))
			return -1;
	} else if (!expect(c, n, Y_SCALAR, "a rule")) {
		return -1;
	} else if (acl_rule_parse(n->str, n->len, r, &e)) {
		diag_error(c->file, n->line, scol(n, e.off), "%s", e.msg);
		return -1;
	}
	r->norig = 1;
	r->orig[0] = origin(c, n);
	return 0;
}

static int parse_rules(const struct ctx *c, const struct ynode *n, const char *what,
		       struct rule_list *out)
{
	int rc = 0;

	if (!expect(c, n, Y_SEQ, what))
		return -1;
	policy_rules_reserve(out, n->n);
	for (size_t i = 0; i < n->n; i++) {
		struct acl_rule r;

		if (parse_rule(c, n->items[i], &r))
			rc = -1;
		else
			policy_rules_push(c->p->arena, out, &r);
	}
	return rc;
}

/* ---- ACLs ---- */

/* bind: the rules of allow:, for addresses and ranges only: a name or a
 * wildcard says nothing about a local address. */
static int parse_bind(const struct ctx *c, const struct ynode *n, struct policy_acl *a)
{
	int rc = 0;

	a->has_bind = true;
	if (!expect(c, n, Y_SEQ, "bind"))
		return -1;
	policy_rules_reserve(&a->bind, n->n);
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		struct acl_rule r;

		if (parse_rule(c, it, &r)) {
			rc = -1;
		} else if (r.kind != ACL_RULE_NET) {
			diag_error(c->file, it->line, it->col, "bind takes addresses and CIDRs "
				   "(write 0.0.0.0/0 or ::/0 for any), not %s",
				   r.kind == ACL_RULE_ANY ? "'*'" : "a name");
			rc = -1;
		} else {
			policy_rules_push(c->p->arena, &a->bind, &r);
		}
	}
	return rc;
}

static int parse_private(const struct ctx *c, const struct ynode *n, struct policy_acl *a)
{
	int rc = 0;

	if (!expect(c, n, Y_SEQ, "private"))
		return -1;
	a->priv_text = calloc(n->n + 1, sizeof(char *));
	if (!a->priv_text)
		abort();
	for (size_t i = 0, k = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		struct acl_cidr cidr;
		struct acl_err e;
		int row;

		if (!expect(c, it, Y_SCALAR, "a private: entry")) {
			rc = -1;
			continue;
		}
		row = acl_sp_lookup(it->str);
		if (row != ACL_SP_NONE) {
			a->priv.rows |= 1u << row;
		} else if (acl_cidr_parse(it->str, it->len, &cidr, &e) == 0) {
			char endpoint[ACL_CIDR_STRLEN];

			if (cidr.len < acl_width(cidr.family) &&
			    acl_sp_covers_metadata(&a->priv, &cidr, endpoint))
				diag_warning(c->file, it->line, it->col,
					     "%s covers the cloud metadata endpoint %s, which stays "
					     "refused: name it (the row metadata, or its address) "
					     "to exempt it", it->str, endpoint);
			a->priv.cidrs = acl_xrealloc(a->priv.cidrs,
						     (a->priv.n + 1) * sizeof(cidr));
			a->priv.cidrs[a->priv.n++] = cidr;
		} else {
			diag_error(c->file, it->line, it->col,
				   "'%s' is neither a special-purpose row name (loopback, "
				   "private-use, ...) nor a CIDR: %s", it->str, e.msg);
			rc = -1;
			continue;
		}
		a->priv_text[k++] = xstrdup(it->str);
	}
	return rc;
}

static void warn_metadata(const struct ctx *c, const struct acl_private *pv,
			  const struct rule_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char buf[ACL_CIDR_STRLEN], endpoint[ACL_CIDR_STRLEN];

		if (l->r[i].kind != ACL_RULE_NET ||
		    !acl_sp_covers_metadata(pv, &l->r[i].net, endpoint))
			continue;
		acl_cidr_format(&l->r[i].net, buf);
		diag_warning(c->file, l->r[i].orig[0].line, l->r[i].orig[0].col,
			     "%s covers the cloud metadata endpoint %s", buf, endpoint);
	}
}

/* true or false, plain (YAML 1.2's core schema, no yes/no/on/off). */
static int parse_bool(const struct ctx *c, const struct ynode *n, const char *what, bool *out)
{
	if (n->kind == Y_SCALAR && n->plain && (strcmp(n->str, "true") == 0 ||
						strcmp(n->str, "false") == 0)) {
		*out = n->str[0] == 't';
		return 0;
	}
	diag_error(c->file, n->line, n->col, "'%s' takes true or false", what);
	return -1;
}

/* A count 1 to NETACL_MAX_COUNT, then the unit if there is one:
 * max_connections: 8, max_connect_rate: 100/s. */
#define MAX_COUNT 1000000u
static int parse_count(const struct ctx *c, const struct ynode *n, const char *what,
		       const char *unit, uint32_t *out)
{
	unsigned long v = 0;
	char *end = NULL;

	if (n->kind == Y_SCALAR && n->str[0] >= '1' && n->str[0] <= '9') {
		errno = 0;
		v = strtoul(n->str, &end, 10);
	}
	if (!end || errno || v > MAX_COUNT || strcmp(end, unit) != 0) {
		diag_error(c->file, n->line, n->col, "'%s' takes a count 1-%u%s%s", what, MAX_COUNT,
			   unit[0] ? " followed by " : "", unit);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* dns: static (names resolved by netacl, ahead of time) or admit (the
 * workload's own answers open addresses: netacl(8), LIVE DNS). */
static int parse_dns(const struct ctx *c, const struct ynode *n, bool *admit)
{
	if (n->kind == Y_SCALAR &&
	    (strcmp(n->str, "admit") == 0 || strcmp(n->str, "static") == 0)) {
		*admit = strcmp(n->str, "admit") == 0;
		return 0;
	}
	diag_error(c->file, n->line, n->col, "dns must be admit or static");
	return -1;
}

static int parse_acl(const struct ctx *c, const struct ynode *key, const struct ynode *n,
		     struct policy_acl *a)
{
	static const char *const keys[] = { "allow", "bind", "private", "ping", "dns",
					    "max_connections", "max_connect_rate", NULL };
	const struct ynode *allow, *priv, *ping, *dns, *bind, *cap, *rate;
	int rc = 0;

	a->name = xstrdup(key->str);
	a->orig = origin(c, key);
	a->priv.nat64 = c->p->nat64; /* the policy's, borrowed */
	a->priv.nnat64 = c->p->nnat64;
	if (!check_ident(c, key, "ACL"))
		rc = -1;
	if (!expect(c, n, Y_MAP, "an ACL"))
		return -1;
	check_keys(c, n, "an ACL", keys);
	allow = ymap_get(n, "allow");
	priv = ymap_get(n, "private");
	ping = ymap_get(n, "ping");
	dns = ymap_get(n, "dns");
	bind = ymap_get(n, "bind");
	if (bind && parse_bind(c, bind, a))
		rc = -1;
	cap = ymap_get(n, "max_connections");
	if (cap && parse_count(c, cap, "max_connections", "", &a->max_conn))
		rc = -1;
	rate = ymap_get(n, "max_connect_rate");
	if (rate && parse_count(c, rate, "max_connect_rate", "/s", &a->max_rate))
		rc = -1;
	if (!allow) {
		diag_error(c->file, key->line, key->col,
			   "ACL '%s' needs 'allow:' (write 'allow: []' to deny everything)",
			   key->str);
		rc = -1;
	} else if (parse_rules(c, allow, "allow", &a->allow)) {
		rc = -1;
	}
	if (priv && parse_private(c, priv, a))
		rc = -1;
	if (ping && parse_bool(c, ping, "ping", &a->ping))
		rc = -1;
	if (dns && parse_dns(c, dns, &a->dns_admit))
		rc = -1;
	warn_metadata(c, &a->priv, &a->allow);
	return rc;
}

/* ---- concrete hosts, from hosts: and from config: (netacl-policy(5), CONCRETE HOSTS) ---- */

static void add_concrete(struct policy_stage *s, const char *name, struct acl_origin o,
			 bool from_config)
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (strcmp(s->hosts[i].name, name) == 0)
			return;
	s->hosts = acl_xrealloc(s->hosts, (s->nhosts + 1) * sizeof(*s->hosts));
	memset(&s->hosts[s->nhosts], 0, sizeof(s->hosts[0]));
	strcpy(s->hosts[s->nhosts].name, name);
	s->hosts[s->nhosts].orig = o;
	s->hosts[s->nhosts].from_config = from_config;
	s->nhosts++;
}

/* Take the host out of "host", "host:port", "[v6]:port" or a URL. */
static void config_host(const struct ctx *c, struct policy_stage *s, const struct ynode *n,
			bool is_url)
{
	const char *h = n->str, *end;
	struct acl_host host;
	struct acl_err e;
	struct acl_cidr lit;
	size_t len;

	if (is_url) {
		const char *sep = strstr(h, "://");

		if (!sep)
			return;
		h = sep + 3;
		end = h + strcspn(h, "/?#");
		for (const char *at = h; at < end; at++)
			if (*at == '@')
				h = at + 1;
	} else {
		end = h + strlen(h);
	}
	if (h < end && *h == '[') {
		return; /* an IPv6 literal: not a name */
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));

		if (colon && !memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			end = colon;
	}
	len = (size_t)(end - h);
	if (len == 0 || memchr(h, ':', len) || acl_looks_numeric(h, len) ||
	    acl_cidr_parse(h, len, &lit, NULL) == 0)
		return; /* literals are not names */
	if (acl_host_parse(h, len, true, &host, &e)) {
		diag_warning(c->file, n->line, n->col,
			     "config value '%s' is not a usable host name (%s); ignored",
			     n->str, e.msg);
		return;
	}
	add_concrete(s, host.name, origin(c, n), true);
}

static bool key_in(const char *k, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(k, *set) == 0)
			return true;
	return false;
}

static void collect_config(const struct ctx *c, struct policy_stage *s, const struct ynode *n,
			   int depth)
{
	static const char *const host_keys[] = { "host", "hostname", "server", "address",
						 "endpoint", NULL };
	static const char *const list_keys[] = { "hosts", "servers", NULL };
	static const char *const url_keys[] = { "url", "uri", NULL };

	if (depth > 64)
		return;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *v = n->items[i];
		const char *k = n->kind == Y_MAP ? n->keys[i]->str : "";

		if (v->kind == Y_SCALAR) {
			if (key_in(k, host_keys) || key_in(k, url_keys))
				config_host(c, s, v, key_in(k, url_keys));
		} else if (v->kind == Y_SEQ && key_in(k, list_keys)) {
			for (size_t j = 0; j < v->n; j++) {
				if (v->items[j]->kind == Y_SCALAR)
					config_host(c, s, v->items[j], false);
				else
					collect_config(c, s, v->items[j], depth + 1);
			}
		} else {
			collect_config(c, s, v, depth + 1);
		}
	}
}

static int parse_hosts(const struct ctx *c, const struct ynode *n, struct policy_stage *s)
{
	int rc = 0;

	if (!expect(c, n, Y_SEQ, "hosts"))
		return -1;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		struct acl_host h;
		struct acl_err e;

		if (!expect(c, it, Y_SCALAR, "a host")) {
			rc = -1;
		} else if (acl_host_parse(it->str, it->len, true, &h, &e)) {
			diag_error(c->file, it->line, scol(it, e.off), "%s", e.msg);
			rc = -1;
		} else {
			add_concrete(s, h.name, origin(c, it), false);
		}
	}
	return rc;
}

/* A stage's cgroup is relative to the cgroup2 mount or absolute under
 * /sys/fs/cgroup, and may not climb out with "..". */
static int check_cgroup(const struct ctx *c, const struct ynode *n)
{
	const char *why;
	size_t off;

	if (!expect(c, n, Y_SCALAR, "cgroup"))
		return -1;
	why = acl_cgroup_problem(n->str, &off);
	if (!why)
		return 0;
	diag_error(c->file, n->line, scol(n, off), "%s: '%s'", why, n->str);
	return -1;
}

static struct policy_acl *find_acl(struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nacls; i++)
		if (strcmp(p->acls[i].name, name) == 0)
			return &p->acls[i];
	return NULL;
}

static int parse_stage(const struct ctx *c, const struct ynode *key, const struct ynode *n,
		       struct policy_stage *s)
{
	static const char *const keys[] = { "acl", "allowed_hosts", "hosts", "config",
					    "cgroup", NULL };
	const struct ynode *acl, *ah, *hosts, *config, *cg;
	int rc = 0;

	s->name = xstrdup(key->str);
	s->orig = origin(c, key);
	if (!check_ident(c, key, "stage"))
		rc = -1;
	if (!expect(c, n, Y_MAP, "a stage"))
		return -1;
	check_keys(c, n, "a stage", keys);
	acl = ymap_get(n, "acl");
	ah = ymap_get(n, "allowed_hosts");
	hosts = ymap_get(n, "hosts");
	config = ymap_get(n, "config");
	cg = ymap_get(n, "cgroup");
	if (!acl) {
		diag_error(c->file, key->line, key->col, "stage '%s' needs 'acl:'", key->str);
		rc = -1;
	} else if (!expect(c, acl, Y_SCALAR, "acl")) {
		rc = -1;
	} else if (!(s->acl = find_acl(c->p, acl->str))) {
		diag_error(c->file, acl->line, acl->col, "no ACL named '%s'", acl->str);
		rc = -1;
	} else {
		s->acl->used = true;
	}
	if (ah) {
		s->has_allowed = true;
		if (parse_rules(c, ah, "allowed_hosts", &s->allowed))
			rc = -1;
	}
	if (hosts && parse_hosts(c, hosts, s))
		rc = -1;
	if (config && !ynode_is_null(config) && config->kind != Y_SCALAR)
		collect_config(c, s, config, 0);
	if (cg) {
		if (check_cgroup(c, cg))
			rc = -1;
		else
			s->cgroup = xstrdup(cg->str);
	}
	return rc;
}

static int parse_pipeline(const struct ctx *c, const struct ynode *key, const struct ynode *n,
			  struct policy_pipeline *pl)
{
	static const char *const keys[] = { "allowed_hosts", "stages", NULL };
	const struct ynode *ah, *stages;
	int rc = 0;

	pl->name = xstrdup(key->str);
	if (!check_ident(c, key, "pipeline"))
		rc = -1;
	if (!expect(c, n, Y_MAP, "a pipeline"))
		return -1;
	check_keys(c, n, "a pipeline", keys);
	ah = ymap_get(n, "allowed_hosts");
	stages = ymap_get(n, "stages");
	if (ah) {
		pl->has_allowed = true;
		if (parse_rules(c, ah, "allowed_hosts", &pl->allowed))
			rc = -1;
	}
	if (!stages) {
		diag_error(c->file, key->line, key->col, "pipeline '%s' needs 'stages:'", key->str);
		return -1;
	}
	if (!expect(c, stages, Y_MAP, "stages"))
		return -1;
	pl->stages = calloc(stages->n + 1, sizeof(*pl->stages));
	if (!pl->stages)
		abort();
	for (size_t i = 0; i < stages->n; i++, pl->nstages++)
		if (parse_stage(c, stages->keys[i], stages->items[i], &pl->stages[i]))
			rc = -1;
	return rc;
}

/* nat64: the network's own NAT64 prefixes (netacl-policy(5), NAT64). */
static int parse_nat64(const struct ctx *c, const struct ynode *n)
{
	struct policy *p = c->p;
	int rc = 0;

	if (ynode_is_null(n))
		return 0;
	if (!expect(c, n, Y_SEQ, "nat64"))
		return -1;
	if (n->n > ACL_NAT64_MAX) {
		diag_error(c->file, n->line, n->col, "nat64: lists %zu prefixes; at most %d",
			   n->n, ACL_NAT64_MAX);
		return -1;
	}
	p->nat64 = calloc(n->n + 1, sizeof(*p->nat64));
	if (!p->nat64)
		abort();
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *it = n->items[i];
		struct acl_cidr cidr;
		struct acl_err e;
		const char *why;

		if (!expect(c, it, Y_SCALAR, "a nat64: prefix")) {
			rc = -1;
			continue;
		}
		if (acl_cidr_parse(it->str, it->len, &cidr, &e)) {
			diag_error(c->file, it->line, it->col, "nat64: %s", e.msg);
			rc = -1;
			continue;
		}
		why = acl_nat64_refuse(p->nat64, p->nnat64, &cidr);
		if (why) {
			diag_error(c->file, it->line, it->col, "nat64: %s: %s", it->str, why);
			rc = -1;
			continue;
		}
		p->nat64[p->nnat64++] = cidr;
	}
	return rc;
}

static int parse_top(const struct ctx *c, const struct ynode *root)
{
	static const char *const keys[] = { "version", "nat64", "acls", "pipelines", NULL };
	const struct ynode *ver, *acls, *pipes, *nat64;
	struct policy *p = c->p;
	int rc = 0;

	if (!expect(c, root, Y_MAP, "a policy"))
		return -1;
	check_keys(c, root, "the policy", keys);
	ver = ymap_get(root, "version");
	acls = ymap_get(root, "acls");
	pipes = ymap_get(root, "pipelines");
	nat64 = ymap_get(root, "nat64");
	if (nat64 && parse_nat64(c, nat64))
		rc = -1;
	if (!ver) {
		diag_error(c->file, root->line, root->col, "policy needs 'version: 1'");
		rc = -1;
	} else if (ver->kind != Y_SCALAR || strcmp(ver->str, "1") != 0) {
		diag_error(c->file, ver->line, ver->col,
			   "unsupported policy version '%s' (this netacl reads version 1)",
			   ver->kind == Y_SCALAR ? ver->str : "?");
		rc = -1;
	}
	if (!acls) {
		diag_error(c->file, root->line, root->col, "policy needs 'acls:'");
		return -1;
	}
	if (!expect(c, acls, Y_MAP, "acls"))
		return -1;
	p->acls = calloc(acls->n + 1, sizeof(*p->acls));
	if (!p->acls)
		abort();
	for (size_t i = 0; i < acls->n; i++, p->nacls++)
		if (parse_acl(c, acls->keys[i], acls->items[i], &p->acls[i]))
			rc = -1;
	if (!pipes || ynode_is_null(pipes))
		return rc;
	if (!expect(c, pipes, Y_MAP, "pipelines"))
		return -1;
	p->pipelines = calloc(pipes->n + 1, sizeof(*p->pipelines));
	if (!p->pipelines)
		abort();
	for (size_t i = 0; i < pipes->n; i++, p->npipelines++) {
		if (find_acl(p, pipes->keys[i]->str)) {
			/* ACL and stage targets share one namespace of names */
			diag_error(c->file, pipes->keys[i]->line, pipes->keys[i]->col,
				   "pipeline '%s' has the name of an ACL", pipes->keys[i]->str);
			rc = -1;
		}
		if (parse_pipeline(c, pipes->keys[i], pipes->items[i], &p->pipelines[i]))
			rc = -1;
	}
	return rc;
}

int policy_parse(const char *file, const char *text, size_t len, struct policy *out)
{
	struct ctx c = { file, out };
	struct ynode *root;
	int rc;

	memset(out, 0, sizeof(*out));
	out->file = xstrdup(file);
	out->arena = arena_new();
	c.file = out->file;
	root = yaml_load(c.file, text, len);
	if (!root)
		return -1;
	rc = parse_top(&c, root);
	ynode_free(root);
	return rc || diag_error_count() ? -1 : 0;
}

void policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->nacls; i++) {
		free(p->acls[i].name);
		policy_rules_free(&p->acls[i].allow);
		policy_rules_free(&p->acls[i].bind);
		free(p->acls[i].priv.cidrs);
		for (size_t j = 0; p->acls[i].priv_text && p->acls[i].priv_text[j]; j++)
			free(p->acls[i].priv_text[j]);
		free(p->acls[i].priv_text);
	}
	free(p->nat64);
	for (size_t i = 0; i < p->npipelines; i++) {
		struct policy_pipeline *pl = &p->pipelines[i];

		free(pl->name);
		policy_rules_free(&pl->allowed);
		for (size_t j = 0; j < pl->nstages; j++) {
			free(pl->stages[j].name);
			policy_rules_free(&pl->stages[j].allowed);
			free(pl->stages[j].hosts);
			free(pl->stages[j].cgroup);
		}
		free(pl->stages);
	}
	free(p->acls);
	free(p->pipelines);
	free(p->file);
	arena_free(p->arena);
	memset(p, 0, sizeof(*p));
}
