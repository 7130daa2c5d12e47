/* The compiled form (netacl(8), OUTPUT), both ways.  Output is deterministic: the
 * model is canonical and keys are written in a fixed order. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "acl/set.h"
#include "compiler/model/json.h"
#include "compiler/diag.h"

/* ---- out ---- */

/* The compiled form is written as a stream, in the layout jansson's
 * JSON_INDENT(2) gives: building a jansson tree for 100,000 entries cost
 * over a second in allocations alone.  jansson still escapes every string
 * that needs it. */
struct out {
	char *buf;
	size_t n, cap;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		o->cap = (o->n + n + 1) * 2;
		o->buf = acl_xrealloc(o->buf, o->cap);
	}
	memcpy(o->buf + o->n, s, n);
	o->n += n;
	o->buf[o->n] = 0;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void indent(struct out *o, int level)
{
	put(o, "\n", 1);
	for (int i = 0; i < level; i++)
		put(o, "  ", 2);
}

static void put_str(struct out *o, const char *s)
{
	bool plain = true;

	for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
		plain = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\';
	if (plain) {
		put(o, "\"", 1);
		puts_(o, s);
		put(o, "\"", 1);
		return;
	}
	json_t *j = json_string(s);
	char *e = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;

	puts_(o, e ? e : "\"\"");
	free(e);
	json_decref(j);
}

/* "key": at the given level, after a comma unless first */
static void key(struct out *o, int level, bool first, const char *k)
{
	if (!first)
		put(o, ",", 1);
	indent(o, level);
	put_str(o, k);
	put(o, ": ", 2);
}

/* An array at level; item(o, level, arr, i) writes item i.  Items that
 * are objects get their braces here, their members one level deeper. */
static void put_array(struct out *o, int level, size_t n, const void *arr, bool objects,
		      void (*item)(struct out *, int, const void *, size_t))
{
	if (n == 0) {
		put(o, "[]", 2);
		return;
	}
	put(o, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(o, ",", 1);
		indent(o, level + 1);
		if (objects)
			put(o, "{", 1);
		item(o, level + 2, arr, i);
		if (objects) {
			indent(o, level + 1);
			put(o, "}", 1);
		}
	}
	indent(o, level);
	put(o, "]", 1);
}

static void str_item(struct out *o, int level, const void *arr, size_t i)
{
	(void)level;
	put_str(o, ((const char *const *)arr)[i]);
}

static void put_strv(struct out *o, int level, const char *const *v, size_t n)
{
	put_array(o, level, n, v, false, str_item);
}

static void put_ports(struct out *o, int level, const struct acl_ports *p)
{
	char buf[ACL_MAX_PRANGES][16];
	const char *v[ACL_MAX_PRANGES];
	unsigned n = acl_ports_is_all(p) ? 0 : p->n;

	for (unsigned i = 0; i < n; i++) {
		acl_prange_format(&p->r[i], buf[i], sizeof(buf[i]));
		v[i] = buf[i];
	}
	put_strv(o, level, v, n);
}

static void put_cidr(struct out *o, const struct acl_cidr *c)
{
	char buf[ACL_CIDR_STRLEN];

	acl_cidr_format(c, buf);
	put_str(o, buf);
}

static void rule_members(struct out *o, int l, const void *arr, size_t i)
{
	const struct m_rule *r = &((const struct m_rule *)arr)[i];

	key(o, l, true, "match");
	put_str(o, r->match);
	if (r->in) {
		key(o, l, false, "in");
		put_str(o, r->in);
	}
	key(o, l, false, "ports");
	put_ports(o, l, &r->ports);
	key(o, l, false, "proto");
	put_str(o, acl_proto_name(r->proto));
	key(o, l, false, "origin");
	put_strv(o, l, (const char *const *)r->origin.v, r->origin.n);
}

static void allow_members(struct out *o, int l, const void *arr, size_t i)
{
	const struct m_allow *a = &((const struct m_allow *)arr)[i];
	char ttl[32];

	key(o, l, true, "addr");
	put_cidr(o, &a->addr);
	key(o, l, false, "ports");
	put_ports(o, l, a->ports);
	key(o, l, false, "proto");
	put_str(o, acl_proto_name(a->proto));
	key(o, l, false, "via");
	put_strv(o, l, (const char *const *)a->via.v, a->via.n);
	if (a->ttl >= 0) {
		key(o, l, false, "ttl");
		snprintf(ttl, sizeof(ttl), "%lld", (long long)a->ttl);
		puts_(o, ttl);
	}
}

static void drop_members(struct out *o, int l, const void *arr, size_t i)
{
	const struct m_drop *d = &((const struct m_drop *)arr)[i];

	key(o, l, true, "addr");
	put_cidr(o, &d->addr);
	key(o, l, false, "via");
	put_strv(o, l, (const char *const *)d->via.v, d->via.n);
	key(o, l, false, "reason");
	put_str(o, acl_sp_name(d->reason));
}

static void unres_members(struct out *o, int l, const void *arr, size_t i)
{
	const struct m_unres *u = &((const struct m_unres *)arr)[i];

	key(o, l, true, "host");
	put_str(o, u->host);
	key(o, l, false, "error");
	put_str(o, u->error);
}

static void put_target(struct out *o, int l, const struct m_target *t)
{
	put(o, "{", 1);
	key(o, l, true, "acl");
	put_str(o, t->acl);
	key(o, l, false, "cgroup");
	if (t->cgroup)
		put_str(o, t->cgroup);
	else
		puts_(o, "null");
	key(o, l, false, "allow_all");
	puts_(o, t->allow_all ? "true" : "false");
	key(o, l, false, "private");
	put_strv(o, l, (const char *const *)t->priv_text.v, t->priv_text.n);
	key(o, l, false, "rules");
	put_array(o, l, t->nrules, t->rules, true, rule_members);
	key(o, l, false, "allow");
	put_array(o, l, t->nallow, t->allow, true, allow_members);
	key(o, l, false, "dropped");
	put_array(o, l, t->ndropped, t->dropped, true, drop_members);
	key(o, l, false, "unresolved");
	put_array(o, l, t->nunres, t->unres, true, unres_members);
	indent(o, l - 1);
	put(o, "}", 1);
}

char *model_to_json(const struct model *m)
{
	struct out o = { 0 };

	puts_(&o, "{");
	key(&o, 1, true, "schema");
	puts_(&o, "1");
	key(&o, 1, false, "targets");
	if (m->n == 0) {
		puts_(&o, "{}");
	} else {
		puts_(&o, "{");
		for (size_t i = 0; i < m->n; i++) {
			key(&o, 2, i == 0, m->t[i].name);
			put_target(&o, 3, &m->t[i]);
		}
		indent(&o, 1);
		puts_(&o, "}");
	}
	indent(&o, 0);
	puts_(&o, "}");
	return o.buf;
}

/* ---- in ---- */

struct jin {
	const char *file;
	struct model *m;
	char path[512];
	int errors;
};

static void jerr(struct jin *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jerr(struct jin *j, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* jansson keeps no positions for values: name the JSON path instead */
	diag_error(j->file, 0, 0, "at %s: %s", j->path, msg);
	j->errors++;
}

static void push_path(struct jin *j, size_t *save, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void push_path(struct jin *j, size_t *save, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(j->path);

	*save = n;
	va_start(ap, fmt);
	vsnprintf(j->path + n, sizeof(j->path) - n, fmt, ap);
	va_end(ap);
}

static void check_known(struct jin *j, json_t *o, const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		bool ok = false;

		for (size_t i = 0; known[i]; i++)
			ok |= strcmp(k, known[i]) == 0;
		if (!ok)
			jerr(j, "unknown key '%s'", k);
	}
}

static const char *get_str(struct jin *j, json_t *o, const char *key, bool required)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		if (required)
			jerr(j, "missing '%s'", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		jerr(j, "'%s' must be a string", key);
		return NULL;
	}
	return json_string_value(v);
}

static json_t *get_array(struct jin *j, json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_array(v)) {
		jerr(j, "'%s' must be an array", key);
		return NULL;
	}
	return v;
}

static void read_strv(struct jin *j, json_t *o, const char *key, struct strv *out)
{
	json_t *a = get_array(j, o, key), *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (!json_is_string(v))
			jerr(j, "'%s' entries must be strings", key);
		else
			model_strv_push(j->m, out, json_string_value(v));
	}
}

static void read_ports(struct jin *j, json_t *o, struct acl_ports *p)
{
	json_t *a = get_array(j, o, "ports"), *v;
	size_t i;

	acl_ports_all(p);
	if (!a || json_array_size(a) == 0)
		return;
	p->n = 0;
	json_array_foreach(a, i, v) {
		struct acl_err e;
		const char *s = json_string_value(v);

		if (!s || acl_ports_add_text(p, s, strlen(s), &e))
			jerr(j, "ports[%zu]: %s", i, s ? e.msg : "must be a string");
	}
}

static int read_proto(struct jin *j, json_t *o)
{
	const char *s = get_str(j, o, "proto", true);
	int p = s ? acl_proto_parse(s) : ACL_ANY_PROTO;

	if (p < 0) {
		jerr(j, "proto must be tcp, udp or any");
		return ACL_ANY_PROTO;
	}
	return p;
}

static void read_cidr(struct jin *j, json_t *o, struct acl_cidr *c)
{
	const char *s = get_str(j, o, "addr", true);
	struct acl_err e;

	if (s && acl_cidr_parse(s, strlen(s), c, &e))
		jerr(j, "addr: %s", e.msg);
}

static void read_rules(struct jin *j, json_t *o, struct m_target *t)
{
	static const char *const keys[] = { "match", "in", "ports", "proto", "origin", NULL };
	json_t *a = get_array(j, o, "rules"), *v;
	size_t i, save;

	t->rules = model_alloc(j->m, (json_array_size(a) + 1) * sizeof(*t->rules));
	json_array_foreach(a, i, v) {
		struct m_rule *r = &t->rules[t->nrules++];
		const char *match, *in;

		push_path(j, &save, ".rules[%zu]", i);
		if (!json_is_object(v)) {
			jerr(j, "must be an object");
		} else {
			check_known(j, v, keys);
			match = get_str(j, v, "match", true);
			in = get_str(j, v, "in", false);
			r->match = model_strdup(j->m, match ? match : "");
			r->in = in ? model_strdup(j->m, in) : NULL;
			read_ports(j, v, &r->ports);
			r->proto = read_proto(j, v);
			read_strv(j, v, "origin", &r->origin);
			if (match && model_rule_target(j->m, r))
				jerr(j, "match '%s' is not a host pattern, address or CIDR", match);
			if (r->what.kind == ACL_RULE_ANY && match)
				t->allow_all = true;
		}
		j->path[save] = 0;
	}
}

static void read_allow(struct jin *j, json_t *o, struct m_target *t)
{
	static const char *const keys[] = { "addr", "ports", "proto", "via", "ttl", NULL };
	json_t *a = get_array(j, o, "allow"), *v;
	size_t i, save;

	t->allow = model_alloc(j->m, (json_array_size(a) + 1) * sizeof(*t->allow));
	json_array_foreach(a, i, v) {
		struct m_allow *al = &t->allow[t->nallow++];
		json_t *ttl;

		static const struct acl_ports none;

		push_path(j, &save, ".allow[%zu]", i);
		al->ttl = -1;
		al->ports = model_ports(j->m, &none); /* until read */
		if (!json_is_object(v)) {
			jerr(j, "must be an object");
		} else {
			check_known(j, v, keys);
			read_cidr(j, v, &al->addr);
			struct acl_ports ports;

			read_ports(j, v, &ports);
			al->ports = model_ports(j->m, &ports);
			al->proto = read_proto(j, v);
			read_strv(j, v, "via", &al->via);
			ttl = json_object_get(v, "ttl");
			if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < 0))
				jerr(j, "ttl must be a non-negative integer");
			else if (ttl)
				al->ttl = json_integer_value(ttl);
		}
		j->path[save] = 0;
	}
}

static void read_dropped(struct jin *j, json_t *o, struct m_target *t)
{
	static const char *const keys[] = { "addr", "via", "reason", NULL };
	json_t *a = get_array(j, o, "dropped"), *v;
	size_t i, save;

	t->dropped = model_alloc(j->m, (json_array_size(a) + 1) * sizeof(*t->dropped));
	json_array_foreach(a, i, v) {
		struct m_drop *d = &t->dropped[t->ndropped++];
		const char *reason;

		push_path(j, &save, ".dropped[%zu]", i);
		if (!json_is_object(v)) {
			jerr(j, "must be an object");
		} else {
			check_known(j, v, keys);
			read_cidr(j, v, &d->addr);
			read_strv(j, v, "via", &d->via);
			reason = get_str(j, v, "reason", true);
			d->reason = reason ? acl_sp_lookup(reason) : 0;
			if (reason && d->reason == ACL_SP_NONE)
				jerr(j, "unknown reason '%s'", reason);
		}
		j->path[save] = 0;
	}
}

static void read_unresolved(struct jin *j, json_t *o, struct m_target *t)
{
	static const char *const keys[] = { "host", "error", NULL };
	json_t *a = get_array(j, o, "unresolved"), *v;
	size_t i, save;

	t->unres = model_alloc(j->m, (json_array_size(a) + 1) * sizeof(*t->unres));
	json_array_foreach(a, i, v) {
		const char *h, *e;

		push_path(j, &save, ".unresolved[%zu]", i);
		if (!json_is_object(v)) {
			jerr(j, "must be an object");
		} else {
			check_known(j, v, keys);
			h = get_str(j, v, "host", true);
			e = get_str(j, v, "error", true);
			t->unres[t->nunres].host = model_strdup(j->m, h ? h : "");
			t->unres[t->nunres].error = model_strdup(j->m, e ? e : "");
			t->nunres++;
		}
		j->path[save] = 0;
	}
}

static void read_private(struct jin *j, json_t *o, struct m_target *t)
{
	read_strv(j, o, "private", &t->priv_text);
	t->priv.cidrs = model_alloc(j->m, (t->priv_text.n + 1) * sizeof(struct acl_cidr));
	for (size_t i = 0; i < t->priv_text.n; i++) {
		const char *s = t->priv_text.v[i];
		int row = acl_sp_lookup(s);
		struct acl_err e;

		if (row != ACL_SP_NONE)
			t->priv.rows |= 1u << row;
		else if (acl_cidr_parse(s, strlen(s), &t->priv.cidrs[t->priv.n], &e) == 0)
			t->priv.n++;
		else
			jerr(j, "private[%zu]: '%s' is neither a row name nor a CIDR", i, s);
	}
}

static void read_target(struct jin *j, const char *name, json_t *o, struct m_target *t)
{
	static const char *const keys[] = { "acl", "cgroup", "allow_all", "private", "rules",
					    "allow", "dropped", "unresolved", NULL };
	const char *acl, *cg;
	json_t *aa;

	t->name = model_strdup(j->m, name);
	if (!json_is_object(o)) {
		jerr(j, "must be an object");
		return;
	}
	check_known(j, o, keys);
	acl = get_str(j, o, "acl", true);
	cg = get_str(j, o, "cgroup", false);
	t->acl = model_strdup(j->m, acl ? acl : "");
	t->cgroup = cg ? model_strdup(j->m, cg) : NULL;
	read_private(j, o, t);
	read_rules(j, o, t);
	aa = json_object_get(o, "allow_all");
	if (!json_is_boolean(aa))
		jerr(j, "'allow_all' must be true or false");
	else if (json_is_true(aa) != t->allow_all)
		jerr(j, "'allow_all' disagrees with the rules (a '*' rule means allow_all)");
	read_allow(j, o, t);
	read_dropped(j, o, t);
	read_unresolved(j, o, t);
}

int model_from_json(const char *file, const char *text, size_t len, struct model *m)
{
	struct jin j = { .file = file, .m = m };
	json_error_t err;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err), *targets, *v;
	const char *name;

	if (!root) {
		diag_error(file, (unsigned)(err.line > 0 ? err.line : 1),
			   (unsigned)(err.column > 0 ? err.column : 1), "invalid JSON: %s", err.text);
		return EX_DATAERR;
	}
	strcpy(j.path, "$");
	if (!json_is_object(root) || !json_is_integer(json_object_get(root, "schema")) ||
	    json_integer_value(json_object_get(root, "schema")) != 1) {
		jerr(&j, "not a netacl compiled file (want {\"schema\": 1, \"targets\": {...}})");
	} else if (!json_is_object(targets = json_object_get(root, "targets"))) {
		jerr(&j, "'targets' must be an object");
	} else {
		static const char *const keys[] = { "schema", "targets", NULL };

		check_known(&j, root, keys);
		m->t = model_alloc(m, (json_object_size(targets) + 1) * sizeof(*m->t));
		json_object_foreach(targets, name, v) {
			size_t save;

			push_path(&j, &save, ".targets[\"%s\"]", name);
			read_target(&j, name, v, &m->t[m->n++]);
			j.path[save] = 0;
		}
		model_sort_targets(m);
	}
	json_decref(root);
	return j.errors ? EX_DATAERR : 0;
}
