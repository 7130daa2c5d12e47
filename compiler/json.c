/* The compiled form (SPEC §7), both ways.  Output is deterministic: the
 * model is canonical and keys are written in a fixed order. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "compiler/build.h"
#include "compiler/diag.h"

/* ---- out ---- */

static json_t *ports_json(const struct acl_ports *p)
{
	json_t *a = json_array();

	if (acl_ports_is_all(p))
		return a;
	for (unsigned i = 0; i < p->n; i++) {
		char buf[16];

		acl_prange_format(&p->r[i], buf, sizeof(buf));
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static json_t *strv_json(const struct strv *v)
{
	json_t *a = json_array();

	for (size_t i = 0; i < v->n; i++)
		json_array_append_new(a, json_string(v->v[i]));
	return a;
}

static json_t *cidr_json(const struct acl_cidr *c)
{
	char buf[ACL_CIDR_STRLEN];

	acl_cidr_format(c, buf);
	return json_string(buf);
}

static json_t *target_json(const struct m_target *t)
{
	json_t *o = json_object(), *rules = json_array(), *allow = json_array(),
	       *dropped = json_array(), *unres = json_array();

	json_object_set_new(o, "acl", json_string(t->acl));
	json_object_set_new(o, "cgroup", t->cgroup ? json_string(t->cgroup) : json_null());
	json_object_set_new(o, "allow_all", json_boolean(t->allow_all));
	json_object_set_new(o, "private", strv_json(&t->priv_text));
	for (size_t i = 0; i < t->nrules; i++) {
		const struct m_rule *r = &t->rules[i];
		json_t *j = json_object();

		json_object_set_new(j, "match", json_string(r->match));
		if (r->in)
			json_object_set_new(j, "in", json_string(r->in));
		json_object_set_new(j, "ports", ports_json(&r->ports));
		json_object_set_new(j, "proto", json_string(acl_proto_name(r->proto)));
		json_object_set_new(j, "origin", strv_json(&r->origin));
		json_array_append_new(rules, j);
	}
	for (size_t i = 0; i < t->nallow; i++) {
		const struct m_allow *a = &t->allow[i];
		json_t *j = json_object();

		json_object_set_new(j, "addr", cidr_json(&a->addr));
		json_object_set_new(j, "ports", ports_json(&a->ports));
		json_object_set_new(j, "proto", json_string(acl_proto_name(a->proto)));
		json_object_set_new(j, "via", strv_json(&a->via));
		if (a->ttl >= 0)
			json_object_set_new(j, "ttl", json_integer(a->ttl));
		json_array_append_new(allow, j);
	}
	for (size_t i = 0; i < t->ndropped; i++) {
		const struct m_drop *d = &t->dropped[i];
		json_t *j = json_object();

		json_object_set_new(j, "addr", cidr_json(&d->addr));
		json_object_set_new(j, "via", strv_json(&d->via));
		json_object_set_new(j, "reason", json_string(acl_sp_name(d->reason)));
		json_array_append_new(dropped, j);
	}
	for (size_t i = 0; i < t->nunres; i++) {
		json_t *j = json_object();

		json_object_set_new(j, "host", json_string(t->unres[i].host));
		json_object_set_new(j, "error", json_string(t->unres[i].error));
		json_array_append_new(unres, j);
	}
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "allow", allow);
	json_object_set_new(o, "dropped", dropped);
	json_object_set_new(o, "unresolved", unres);
	return o;
}

char *model_to_json(const struct model *m)
{
	json_t *root = json_object(), *targets = json_object();
	char *s;

	json_object_set_new(root, "schema", json_integer(1));
	for (size_t i = 0; i < m->n; i++)
		json_object_set_new(targets, m->t[i].name, target_json(&m->t[i]));
	json_object_set_new(root, "targets", targets);
	s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	return s;
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
			strv_push(j->m, out, json_string_value(v));
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
			if (match && strcmp(match, "*") == 0)
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

		push_path(j, &save, ".allow[%zu]", i);
		al->ttl = -1;
		if (!json_is_object(v)) {
			jerr(j, "must be an object");
		} else {
			check_known(j, v, keys);
			read_cidr(j, v, &al->addr);
			read_ports(j, v, &al->ports);
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
