/* The compiled form (netacl(8), OUTPUT), both ways.  Output is deterministic: the
 * model is canonical and keys are written in a fixed order. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "acl/names.h"
#include "acl/set.h"
#include "compiler/model/json.h"
#include "compiler/model/jsonw.h"
#include "compiler/diag.h"

/* ---- out ---- */

static void put_ports(struct jw *w, const struct acl_ports *p)
{
	char buf[ACL_MAX_PRANGES][16];
	const char *v[ACL_MAX_PRANGES];
	unsigned n = acl_ports_is_all(p) ? 0 : p->n;

	for (unsigned i = 0; i < n; i++) {
		acl_prange_format(&p->r[i], buf[i], sizeof(buf[i]));
		v[i] = buf[i];
	}
	jw_strv(w, v, n);
}

static void put_cidr(struct jw *w, const struct acl_cidr *c)
{
	char buf[ACL_CIDR_STRLEN];

	acl_cidr_format(c, buf);
	jw_str(w, buf);
}

static void put_strv(struct jw *w, const struct strv *v)
{
	jw_strv(w, (const char *const *)v->v, v->n);
}

static void put_rule(struct jw *w, const struct m_rule *r)
{
	jw_object(w);
	jw_key(w, "match");
	jw_str(w, r->match);
	if (r->in) {
		jw_key(w, "in");
		jw_str(w, r->in);
	}
	jw_key(w, "ports");
	put_ports(w, r->ports);
	jw_key(w, "proto");
	jw_str(w, acl_proto_name(r->proto));
	jw_key(w, "origin");
	put_strv(w, &r->origin);
	jw_end(w);
}

static void put_allow(struct jw *w, const struct m_allow *a)
{
	jw_object(w);
	jw_key(w, "addr");
	put_cidr(w, &a->addr);
	jw_key(w, "ports");
	put_ports(w, a->ports);
	jw_key(w, "proto");
	jw_str(w, acl_proto_name(a->proto));
	jw_key(w, "via");
	put_strv(w, &a->via);
	if (a->ttl >= 0) {
		jw_key(w, "ttl");
		jw_int(w, a->ttl);
	}
	jw_end(w);
}

static void put_drop(struct jw *w, const struct m_drop *d)
{
	jw_object(w);
	jw_key(w, "addr");
	put_cidr(w, &d->addr);
	jw_key(w, "via");
	put_strv(w, &d->via);
	jw_key(w, "reason");
	jw_str(w, acl_sp_name(d->reason));
	jw_end(w);
}

static void put_unres(struct jw *w, const struct m_unres *u)
{
	jw_object(w);
	jw_key(w, "host");
	jw_str(w, u->host);
	jw_key(w, "error");
	jw_str(w, u->error);
	jw_end(w);
}

static void put_target(struct jw *w, const struct m_target *t)
{
	jw_object(w);
	jw_key(w, "acl");
	jw_str(w, t->acl);
	jw_key(w, "cgroup");
	if (t->cgroup)
		jw_str(w, t->cgroup);
	else
		jw_null(w);
	jw_key(w, "allow_all");
	jw_bool(w, t->allow_all);
	if (t->ping) { /* written only when set: files of before stay the same */
		jw_key(w, "ping");
		jw_bool(w, true);
	}
	if (t->dns_admit) { /* written only when admit, as ping */
		jw_key(w, "dns");
		jw_str(w, "admit");
	}
	jw_key(w, "private");
	put_strv(w, &t->priv_text);
	if (t->priv.nnat64) { /* written only when set, as ping */
		jw_key(w, "nat64");
		jw_array(w);
		for (size_t i = 0; i < t->priv.nnat64; i++) {
			char buf[ACL_CIDR_STRLEN];

			acl_cidr_format(&t->priv.nat64[i], buf);
			jw_str(w, buf);
		}
		jw_end(w);
	}
	jw_key(w, "rules");
	jw_array(w);
	for (size_t i = 0; i < t->nrules; i++)
		put_rule(w, &t->rules[i]);
	jw_end(w);
	jw_key(w, "allow");
	jw_array(w);
	for (size_t i = 0; i < t->nallow; i++)
		put_allow(w, &t->allow[i]);
	jw_end(w);
	if (t->nadmitted) { /* inspect's only: live, no part of the sets */
		jw_key(w, "admitted");
		jw_array(w);
		for (size_t i = 0; i < t->nadmitted; i++)
			put_allow(w, &t->admitted[i]);
		jw_end(w);
	}
	jw_key(w, "dropped");
	jw_array(w);
	for (size_t i = 0; i < t->ndropped; i++)
		put_drop(w, &t->dropped[i]);
	jw_end(w);
	jw_key(w, "unresolved");
	jw_array(w);
	for (size_t i = 0; i < t->nunres; i++)
		put_unres(w, &t->unres[i]);
	jw_end(w);
	jw_end(w);
}

char *model_to_json(const struct model *m)
{
	struct jw w;

	jw_init(&w, true);
	jw_object(&w);
	jw_key(&w, "schema");
	jw_int(&w, 1);
	jw_key(&w, "targets");
	jw_object(&w);
	for (size_t i = 0; i < m->n; i++) {
		jw_key(&w, m->t[i].name);
		put_target(&w, &m->t[i]);
	}
	jw_end(&w);
	jw_end(&w);
	return w.buf;
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
			struct acl_ports ports;

			read_ports(j, v, &ports);
			r->ports = model_ports(j->m, &ports);
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

/* "allow", or inspect's "admitted" (optional) */
static void read_allow(struct jin *j, json_t *o, const char *key, struct m_allow **out,
		       size_t *n)
{
	static const char *const keys[] = { "addr", "ports", "proto", "via", "ttl", NULL };
	json_t *a = strcmp(key, "allow") == 0 || json_object_get(o, key) ?
			    get_array(j, o, key) : NULL, *v;
	size_t i, save;

	*out = model_alloc(j->m, (json_array_size(a) + 1) * sizeof(**out));
	json_array_foreach(a, i, v) {
		struct m_allow *al = &(*out)[(*n)++];
		json_t *ttl;

		static const struct acl_ports none;

		push_path(j, &save, ".%s[%zu]", key, i);
		al->ttl = -1;
		if (!json_is_object(v)) {
			/* a placeholder only here: stored between two equal port
			 * sets it would defeat model_ports's sharing */
			al->ports = model_ports(j->m, &none);
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

/* "nat64", if there: checked as the policy's nat64: is. */
static void read_nat64(struct jin *j, json_t *o, struct m_target *t)
{
	struct strv text = { 0 };
	struct acl_private *pv = &t->priv;

	if (!json_object_get(o, "nat64"))
		return;
	read_strv(j, o, "nat64", &text);
	if (text.n > ACL_NAT64_MAX) {
		jerr(j, "'nat64' lists %zu prefixes; at most %d", text.n, ACL_NAT64_MAX);
		return;
	}
	pv->nat64 = model_alloc(j->m, (text.n + 1) * sizeof(*pv->nat64));
	for (size_t i = 0; i < text.n; i++) {
		const char *s = text.v[i], *why = NULL;
		struct acl_cidr c;
		struct acl_err e;

		if (acl_cidr_parse(s, strlen(s), &c, &e)) {
			jerr(j, "nat64[%zu]: %s", i, e.msg);
			continue;
		}
		why = acl_nat64_refuse(pv->nat64, pv->nnat64, &c);
		if (why)
			jerr(j, "nat64[%zu]: %s: %s", i, s, why);
		else
			pv->nat64[pv->nnat64++] = c;
	}
}

static void read_target(struct jin *j, const char *name, json_t *o, struct m_target *t)
{
	static const char *const keys[] = { "acl", "cgroup", "allow_all", "ping", "dns", "private", "nat64",
					    "rules", "allow", "admitted", "dropped", "unresolved",
					    NULL };
	const char *acl, *cg;
	json_t *aa;

	t->name = model_strdup(j->m, name);
	if (!acl_loaded_name_valid(name))
		jerr(j, "invalid target name (an ACL name or PIPELINE/STAGE, each 1-64 of "
			"A-Z a-z 0-9 _ -, maybe with @run-PID)");
	if (!json_is_object(o)) {
		jerr(j, "must be an object");
		return;
	}
	check_known(j, o, keys);
	acl = get_str(j, o, "acl", true);
	cg = get_str(j, o, "cgroup", false);
	if (acl && !acl_ident_valid(acl))
		jerr(j, "'acl': invalid ACL name (1-64 of A-Z a-z 0-9 _ -)");
	if (cg) {
		size_t off;
		const char *why = acl_cgroup_problem(cg, &off);

		if (why)
			jerr(j, "'cgroup': %s", why);
	}
	t->acl = model_strdup(j->m, acl ? acl : "");
	t->cgroup = cg ? model_strdup(j->m, cg) : NULL;
	read_private(j, o, t);
	read_nat64(j, o, t);
	read_rules(j, o, t);
	aa = json_object_get(o, "allow_all");
	if (!json_is_boolean(aa))
		jerr(j, "'allow_all' must be true or false");
	else if (json_is_true(aa) != t->allow_all)
		jerr(j, "'allow_all' disagrees with the rules (a '*' rule means allow_all)");
	aa = json_object_get(o, "ping");
	if (aa && !json_is_boolean(aa))
		jerr(j, "'ping' must be true or false");
	t->ping = json_is_true(aa);
	aa = json_object_get(o, "dns");
	if (aa && (!json_is_string(aa) || (strcmp(json_string_value(aa), "admit") &&
					   strcmp(json_string_value(aa), "static"))))
		jerr(j, "'dns' must be \"admit\" or \"static\"");
	t->dns_admit = aa && json_is_string(aa) && strcmp(json_string_value(aa), "admit") == 0;
	read_allow(j, o, "allow", &t->allow, &t->nallow);
	read_allow(j, o, "admitted", &t->admitted, &t->nadmitted);
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

			/* a name that is no target name is not printed: it could
			 * hold anything, a newline that forges a line too */
			if (acl_target_name_valid(name))
				push_path(&j, &save, ".targets[\"%s\"]", name);
			else
				push_path(&j, &save, ".targets[#%zu]", m->n);
			read_target(&j, name, v, &m->t[m->n++]);
			j.path[save] = 0;
		}
		model_sort_targets(m);
	}
	json_decref(root);
	return j.errors ? EX_DATAERR : 0;
}
