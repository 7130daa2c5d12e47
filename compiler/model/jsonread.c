/* Reading a compiled file (netacl(8), OUTPUT) into the model, as a stream.
 *
 * A compiled file of a million addresses is 100-200 MB: a tree of it
 * (jansson) took 1 GB and 5 s before the model was built.  yajl hands
 * us tokens instead, and this file is the schema as a state machine:
 * a stack of levels (root, targets, a target, a list of entries, an
 * entry, a list of strings), each knowing which of its keys it has seen.
 * An entry is gathered in j->e and stored when its object ends, so keys
 * may come in any order.  Errors name the line and column of the value
 * and its JSON path, which is built only when there is an error. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <yajl/yajl_parse.h>

#include "acl/names.h"
#include "acl/set.h"
#include "compiler/diag.h"
#include "compiler/model/json.h"

enum kind { DOC, ROOT, TARGETS, TARGET, RULE, ALLOW, ADMITTED, BIND, DROP, UNRES, LIST, ENTRIES,
	    KINDS };
enum type { T_STR, T_STRNULL, T_BOOL, T_INT, T_LIST, T_ENTRIES, T_MAP };

/* Every key of the schema, one id each. */
enum field {
	F_SCHEMA, F_TARGETS, F_ACL, F_CGROUP, F_ALLOW_ALL, F_PING, F_DNS, F_MAX_CONN, F_MAX_RATE,
	F_PRIVATE, F_NAT64,
	F_RULES, F_ALLOW, F_ADMITTED, F_BIND, F_DROPPED, F_UNRESOLVED, F_MATCH, F_IN, F_PORTS,
	F_PROTO, F_ORIGIN, F_ADDR, F_VIA, F_TTL, F_REASON, F_HOST, F_ERROR,
};

struct key {
	const char *name;
	unsigned char len;
	enum field field;
	enum type type;
	enum kind sub; /* T_ENTRIES, T_MAP: what is inside */
	bool required;
};

#define K(n, f, t, s, r) { n, sizeof(n) - 1, f, t, s, r }
static const struct key root_keys[] = { K("schema", F_SCHEMA, T_INT, 0, 1),
					K("targets", F_TARGETS, T_MAP, TARGETS, 1), { 0 } };
static const struct key target_keys[] = {
	K("acl", F_ACL, T_STR, 0, 1),
	K("cgroup", F_CGROUP, T_STRNULL, 0, 0),
	K("allow_all", F_ALLOW_ALL, T_BOOL, 0, 1),
	K("ping", F_PING, T_BOOL, 0, 0),
	K("dns", F_DNS, T_STR, 0, 0),
	K("max_connections", F_MAX_CONN, T_INT, 0, 0),
	K("max_connect_rate", F_MAX_RATE, T_INT, 0, 0),
	K("private", F_PRIVATE, T_LIST, 0, 1),
	K("nat64", F_NAT64, T_LIST, 0, 0),
	K("rules", F_RULES, T_ENTRIES, RULE, 1),
	K("allow", F_ALLOW, T_ENTRIES, ALLOW, 1),
	K("admitted", F_ADMITTED, T_ENTRIES, ADMITTED, 0),
	K("bind", F_BIND, T_ENTRIES, BIND, 0),
	K("dropped", F_DROPPED, T_ENTRIES, DROP, 1),
	K("unresolved", F_UNRESOLVED, T_ENTRIES, UNRES, 1),
	{ 0 }
};
static const struct key rule_keys[] = {
	K("match", F_MATCH, T_STR, 0, 1), K("in", F_IN, T_STRNULL, 0, 0),
	K("ports", F_PORTS, T_LIST, 0, 1), K("proto", F_PROTO, T_STR, 0, 1),
	K("origin", F_ORIGIN, T_LIST, 0, 1), { 0 }
};
static const struct key allow_keys[] = {
	K("addr", F_ADDR, T_STR, 0, 1), K("ports", F_PORTS, T_LIST, 0, 1),
	K("proto", F_PROTO, T_STR, 0, 1), K("via", F_VIA, T_LIST, 0, 1),
	K("ttl", F_TTL, T_INT, 0, 0), { 0 }
};
static const struct key drop_keys[] = { K("addr", F_ADDR, T_STR, 0, 1), K("via", F_VIA, T_LIST, 0, 1),
					K("reason", F_REASON, T_STR, 0, 1), { 0 } };
static const struct key unres_keys[] = { K("host", F_HOST, T_STR, 0, 1),
					 K("error", F_ERROR, T_STR, 0, 1), { 0 } };
#undef K

/* the keys of each kind of object; NULL: not an object with keys */
static const struct key *const keys_of[KINDS] = {
	[ROOT] = root_keys, [TARGET] = target_keys, [RULE] = rule_keys, [ALLOW] = allow_keys,
	[ADMITTED] = allow_keys, [BIND] = allow_keys, [DROP] = drop_keys, [UNRES] = unres_keys,
};

struct level {
	enum kind kind;
	int key;        /* objects: the key whose value comes next (-1: none) */
	unsigned seen;  /* objects: keys seen, a bit each */
	size_t index;   /* arrays: the next element's index */
};

/* A list of strings as read, in one buffer (NULs between them). */
struct list {
	char *buf;
	size_t len, cap, n;
};

/* The entry being read: every field any entry kind has, parsed as read,
 * so an error points at its value. */
struct entry {
	char *match, *in, *host, *error;
	struct acl_cidr addr;
	struct acl_ports ports;
	int proto, reason;
	struct list strs; /* origin or via */
	int64_t ttl;
};

struct target_pos {
	const char *name;
	unsigned line, col;
};

struct jr {
	const char *file;
	struct model *m;
	yajl_handle h;
	const unsigned char *chunk; /* what yajl is parsing, and kept bytes before it */
	size_t kept;
	unsigned line, col;         /* where chunk - kept starts */
	unsigned errors;
	int schema;                 /* 1: schema 1; 0: another or none; -1: not yet */
	struct level st[8];
	int depth;
	unsigned skip;              /* inside an unwelcome value: containers open */
	struct m_target *t;         /* the target being read */
	struct entry e;
	struct list list;           /* a target's private or nat64 */
	struct target_pos *tpos;    /* each target's key: duplicates */
	struct strv last_via;       /* entries in a row share a via list */
};

/* ---- where: line and column of the token yajl just read ---- */

static const unsigned char *token_start(const unsigned char *start, const unsigned char *p)
{
	if (p > start && strchr("{}[]", p[-1]))
		return p - 1;
	if (p > start && p[-1] == '"') {
		for (p--; p > start; p--) {
			size_t bs = 0;

			while (p - 1 - bs > start && p[-2 - (long)bs] == '\\')
				bs++;
			if (p[-1] == '"' && bs % 2 == 0)
				return p - 1;
		}
		return p;
	}
	while (p > start && (isalnum(p[-1]) || p[-1] == '.' || p[-1] == '-' || p[-1] == '+'))
		p--;
	return p;
}

static void where(struct jr *j, unsigned *line, unsigned *col)
{
	const unsigned char *start = j->chunk - j->kept;
	const unsigned char *p = token_start(start, j->chunk + yajl_get_bytes_consumed(j->h));

	*line = j->line;
	*col = j->col;
	for (const unsigned char *q = start; q < p; q++) {
		if (*q == '\n') {
			++*line;
			*col = 1;
		} else if ((*q & 0xc0) != 0x80) { /* a column is a character */
			++*col;
		}
	}
}

/* A target as a path: a name that is none is not printed, it could hold
 * anything (a newline that forges a line too). */
static size_t target_path(struct jr *j, char *buf, size_t size)
{
	return (size_t)(acl_target_name_valid(j->t->name) ?
				snprintf(buf, size, ".targets[\"%s\"]", j->t->name) :
				snprintf(buf, size, ".targets[#%zu]", j->m->n - 1));
}

static void path(struct jr *j, char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "$");

	if (j->st[j->depth].kind == TARGETS && j->t) /* a target's name or value */
		target_path(j, buf + n, size - n);
	for (int d = 1; d <= j->depth && n < size; d++) {
		const struct level *up = &j->st[d - 1], *l = &j->st[d];

		if (up->kind == TARGETS)
			n += target_path(j, buf + n, size - n);
		else if (l->kind == ENTRIES)
			n += (size_t)snprintf(buf + n, size - n, ".%s", keys_of[up->kind][up->key].name);
		if (l->kind == ENTRIES && l->index && n < size)
			n += (size_t)snprintf(buf + n, size - n, "[%zu]", l->index - 1);
	}
}

static void jerr(struct jr *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jerr(struct jr *j, const char *fmt, ...)
{
	char msg[512], at[512];
	unsigned line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(j, &line, &col);
	path(j, at, sizeof(at));
	diag_error(j->file, line, col, "at %s: %s", at, msg);
	j->errors++;
}

/* ---- lists of strings ---- */

static void list_push(struct list *l, const char *s, size_t n)
{
	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->buf = acl_xrealloc(l->buf, l->cap);
	}
	memcpy(l->buf + l->len, s, n);
	l->buf[l->len + n] = 0;
	l->len += n + 1;
	l->n++;
}

static bool strv_equals_list(const struct strv *v, const struct list *l)
{
	const char *s = l->buf;

	if (v->n != l->n)
		return false;
	for (size_t i = 0; i < v->n; s += strlen(s) + 1, i++)
		if (strcmp(v->v[i], s) != 0)
			return false;
	return true;
}

/* The list as a model strv, emptied.  With share, a list equal to the
 * last one shared is that one (a name's million addresses): the model
 * is only read once built. */
static struct strv list_store(struct jr *j, struct list *l, bool share)
{
	struct strv v = { 0 };
	const char *s = l->buf;

	if (share && l->n && strv_equals_list(&j->last_via, l)) {
		v = j->last_via;
	} else {
		for (size_t i = 0; i < l->n; s += strlen(s) + 1, i++)
			model_strv_push(j->m, &v, s);
		if (share)
			j->last_via = v;
	}
	l->len = l->n = 0;
	return v;
}

/* ---- storing an entry when its object ends ---- */

static void end_rule(struct jr *j)
{
	struct m_target *t = j->t;
	struct m_rule *r;

	t->rules = model_grow(j->m, t->rules, t->nrules, sizeof(*r));
	r = &t->rules[t->nrules++];
	*r = (struct m_rule){ 0 };
	r->match = j->e.match ? j->e.match : model_strdup(j->m, "");
	r->in = j->e.in;
	r->ports = model_ports(j->m, &j->e.ports);
	r->proto = j->e.proto;
	r->origin = list_store(j, &j->e.strs, false);
	if (j->e.match && model_rule_target(j->m, r))
		jerr(j, "match '%s' is not a host pattern, address or CIDR", j->e.match);
}

static void end_allow(struct jr *j, struct m_allow **arr, size_t *n)
{
	struct m_allow *a;

	*arr = model_grow(j->m, *arr, *n, sizeof(**arr));
	a = &(*arr)[(*n)++];
	a->addr = j->e.addr;
	a->ports = model_ports(j->m, &j->e.ports);
	a->proto = j->e.proto;
	a->via = list_store(j, &j->e.strs, true);
	a->ttl = j->e.ttl;
}

static void end_drop(struct jr *j)
{
	struct m_target *t = j->t;
	struct m_drop *d;

	t->dropped = model_grow(j->m, t->dropped, t->ndropped, sizeof(*d));
	d = &t->dropped[t->ndropped++];
	d->addr = j->e.addr;
	d->via = list_store(j, &j->e.strs, false);
	d->reason = j->e.reason;
}

static void end_unres(struct jr *j)
{
	struct m_target *t = j->t;
	struct m_unres *u;

	t->unres = model_grow(j->m, t->unres, t->nunres, sizeof(*u));
	u = &t->unres[t->nunres++];
	u->host = j->e.host ? j->e.host : model_strdup(j->m, "");
	u->error = j->e.error ? j->e.error : model_strdup(j->m, "");
}

static void end_private(struct jr *j)
{
	struct m_target *t = j->t;

	t->priv_text = list_store(j, &j->list, false);
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

/* "nat64": checked as the policy's nat64: is. */
static void end_nat64(struct jr *j)
{
	struct acl_private *pv = &j->t->priv;
	struct strv text = list_store(j, &j->list, false);

	if (text.n > ACL_NAT64_MAX) {
		jerr(j, "'nat64' lists %zu prefixes; at most %d", text.n, ACL_NAT64_MAX);
		return;
	}
	pv->nat64 = model_alloc(j->m, (text.n + 1) * sizeof(*pv->nat64));
	for (size_t i = 0; i < text.n; i++) {
		const char *s = text.v[i], *why;
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

static void *nonnull(struct jr *j, void *arr)
{
	return arr ? arr : model_alloc(j->m, 1);
}

static void end_target(struct jr *j, const struct level *l)
{
	struct m_target *t = j->t;
	bool any = false;

	for (size_t i = 0; i < t->nrules; i++)
		any |= t->rules[i].what.kind == ACL_RULE_ANY;
	if (any != t->allow_all && (l->seen & 1u << 2 /* allow_all */))
		jerr(j, "'allow_all' disagrees with the rules (a '*' rule means allow_all)");
	t->allow_all = any;
	for (size_t i = 0; target_keys[i].name; i++)
		if (target_keys[i].field == F_BIND) /* present, even empty: bind is restricted */
			t->has_bind = l->seen & 1u << i;
	/* empty lists are empty arrays, never NULL */
	t->rules = nonnull(j, t->rules);
	t->allow = nonnull(j, t->allow);
	t->admitted = nonnull(j, t->admitted);
	t->bind = nonnull(j, t->bind);
	t->dropped = nonnull(j, t->dropped);
	t->unres = nonnull(j, t->unres);
	t->priv.cidrs = nonnull(j, t->priv.cidrs);
	if (!t->acl)
		t->acl = model_strdup(j->m, "");
}

static void end_entry(struct jr *j, enum kind kind)
{
	switch (kind) {
	case RULE: end_rule(j); break;
	case ALLOW: end_allow(j, &j->t->allow, &j->t->nallow); break;
	case ADMITTED: end_allow(j, &j->t->admitted, &j->t->nadmitted); break;
	case BIND:
		if (j->e.strs.n || j->e.ttl >= 0)
			jerr(j, "a bind entry has no 'via' and no 'ttl': a local address is not resolved");
		end_allow(j, &j->t->bind, &j->t->nbind);
		break;
	case DROP: end_drop(j); break;
	case UNRES: end_unres(j); break;
	default: break;
	}
}

/* ---- scalar values ---- */

/* Go on reading?  Not after a schema other than 1: the rest is noise. */
static int go(const struct jr *j)
{
	return j->schema != 0;
}

static char *strndup_m(struct jr *j, const char *s, size_t n)
{
	char *c = model_alloc(j->m, n + 1);

	memcpy(c, s, n);
	return c;
}

static void target_str(struct jr *j, enum field key, char *v)
{
	struct m_target *t = j->t;
	size_t off;

	if (key == F_ACL) {
		t->acl = v;
		if (!acl_ident_valid(v))
			jerr(j, "'acl': invalid ACL name (1-64 of A-Z a-z 0-9 _ -)");
	} else if (key == F_CGROUP) {
		const char *why = acl_cgroup_problem(v, &off);

		t->cgroup = v;
		if (why)
			jerr(j, "'cgroup': %s", why);
	} else { /* dns */
		if (strcmp(v, "admit") && strcmp(v, "static"))
			jerr(j, "'dns' must be \"admit\" or \"static\"");
		t->dns_admit = strcmp(v, "admit") == 0;
	}
}

static void entry_str(struct jr *j, enum field key, const char *s, size_t n)
{
	struct entry *e = &j->e;
	struct acl_err err;
	char *v;

	if (key == F_ADDR) { /* millions: no copy */
		if (acl_cidr_parse(s, n, &e->addr, &err))
			jerr(j, "addr: %s", err.msg);
		return;
	}
	if (key == F_PROTO) {
		char p[8] = { 0 };

		memcpy(p, s, n < 7 ? n : 7);
		e->proto = n < 7 && !memchr(s, 0, n) ? acl_proto_parse(p) : -1;
		if (e->proto < 0)
			jerr(j, "proto must be tcp, udp or any");
		return;
	}
	v = strndup_m(j, s, n);
	if (key == F_MATCH) {
		e->match = v;
	} else if (key == F_IN) {
		e->in = v;
	} else if (key == F_REASON) {
		e->reason = acl_sp_lookup(v);
		if (e->reason == ACL_SP_NONE)
			jerr(j, "unknown reason '%s'", v);
	} else if (key == F_HOST) {
		e->host = v;
	} else {
		e->error = v;
	}
}

/* An element of a list of strings: ports are parsed as they come. */
static void list_str(struct jr *j, enum field key, const char *s, size_t n)
{
	struct acl_err e;

	if (key == F_PORTS) {
		if (acl_ports_add_text(&j->e.ports, s, n, &e))
			jerr(j, "ports[%zu]: %s", j->st[j->depth].index - 1, e.msg);
	} else if (j->st[j->depth - 1].kind == TARGET) { /* private, nat64 */
		list_push(&j->list, s, n);
	} else {
		list_push(&j->e.strs, s, n);
	}
}

/* The key of the value that comes next at level l (l is an object). */
static const struct key *key_at(const struct level *l)
{
	return l->key >= 0 ? &keys_of[l->kind][l->key] : NULL;
}

/* Is a value of type got welcome here?  If not, say so (a value of an
 * unknown key was reported with its key).  T_NULL and T_DOUBLE are
 * welcome nowhere they are not asked for. */
enum { T_NULL = T_MAP + 1, T_DOUBLE };

static const char *type_name(int t)
{
	static const char *const names[] = { "a string", "a string", "true or false",
					     "an integer", "an array", "an array", "an object" };
	return names[t];
}

static bool welcome(struct jr *j, int got)
{
	struct level *l = &j->st[j->depth];
	const struct key *k;

	switch (l->kind) {
	case DOC: /* the document is one object */
		if (got == T_MAP && !l->index++)
			return true;
		j->schema = 0;
		return false;
	case LIST:
		l->index++;
		if (got == T_STR)
			return true;
		jerr(j, "'%s' entries must be strings", key_at(&j->st[j->depth - 1])->name);
		return false;
	case ENTRIES:
		l->index++;
		if (got == T_MAP)
			return true;
		jerr(j, "must be an object");
		return false;
	case TARGETS:
		if (got == T_MAP)
			return true;
		jerr(j, "must be an object");
		return false;
	default:
		break;
	}
	k = key_at(l);
	if (!k) /* an unknown key's value */
		return false;
	if ((int)k->type == got || (k->type == T_STRNULL && (got == T_STR || got == T_NULL)) ||
	    (k->type == T_ENTRIES && got == T_LIST))
		return true;
	if (l->kind == ROOT && k->type == T_INT)
		j->schema = 0;
	else if (k->field == F_TTL)
		jerr(j, "ttl must be a non-negative integer");
	else
		jerr(j, "'%s' must be %s", k->name, type_name(k->type));
	return false;
}

static bool has_nul(struct jr *j, const unsigned char *s, size_t n)
{
	if (!memchr(s, 0, n))
		return false;
	jerr(j, "a string holds \\u0000");
	return true;
}

static int on_string(void *ctx, const unsigned char *us, size_t n)
{
	struct jr *j = ctx;
	struct level *l = &j->st[j->depth];
	const char *s = (const char *)us;

	if (j->skip || !welcome(j, T_STR))
		return go(j);
	if (has_nul(j, us, n)) /* refused as such, not as what precedes it */
		return go(j);
	if (l->kind == LIST)
		list_str(j, key_at(&j->st[j->depth - 1])->field, s, n);
	else if (l->kind == TARGET)
		target_str(j, key_at(l)->field, strndup_m(j, s, n));
	else
		entry_str(j, key_at(l)->field, s, n);
	return go(j);
}

static int on_null(void *ctx)
{
	struct jr *j = ctx;

	if (!j->skip)
		welcome(j, T_NULL); /* a string or null: null is as absent */
	return go(j);
}

static int on_bool(void *ctx, int b)
{
	struct jr *j = ctx;
	struct level *l = &j->st[j->depth];

	if (j->skip || !welcome(j, T_BOOL))
		return go(j);
	if (key_at(l)->field == F_PING)
		j->t->ping = b;
	else
		j->t->allow_all = b;
	return go(j);
}

static int on_int(void *ctx, long long v)
{
	struct jr *j = ctx;
	struct level *l = &j->st[j->depth];

	if (j->skip || !welcome(j, T_INT))
		return go(j);
	if (l->kind == ROOT) {
		j->schema = v == 1;
		return go(j);
	}
	if (l->kind == TARGET) { /* max_connections, max_connect_rate */
		const struct key *k = key_at(l);

		if (v < 1 || v > 1000000)
			jerr(j, "'%s' must be 1-1000000", k->name);
		else if (k->field == F_MAX_CONN)
			j->t->max_conn = (uint32_t)v;
		else
			j->t->max_rate = (uint32_t)v;
		return go(j);
	}
	if (v < 0)
		jerr(j, "ttl must be a non-negative integer");
	else
		j->e.ttl = v;
	return go(j);
}

static int on_double(void *ctx, double v)
{
	struct jr *j = ctx;

	(void)v;
	if (!j->skip)
		welcome(j, T_DOUBLE);
	return go(j);
}

/* ---- containers ---- */

static int push(struct jr *j, enum kind kind)
{
	if (j->depth + 1 >= (int)(sizeof(j->st) / sizeof(j->st[0])))
		return 0; /* the schema is never this deep: welcome() said no */
	j->st[++j->depth] = (struct level){ .kind = kind, .key = -1 };
	return 1;
}

static void begin_entry(struct jr *j)
{
	struct list strs = j->e.strs;

	j->e = (struct entry){ .strs = strs, .ttl = -1, .proto = ACL_ANY_PROTO };
	j->e.strs.len = j->e.strs.n = 0;
	acl_ports_all(&j->e.ports);
}

static int on_start_map(void *ctx)
{
	struct jr *j = ctx;
	struct level *l = &j->st[j->depth];

	if (j->skip || !welcome(j, T_MAP)) {
		j->skip++;
		return go(j);
	}
	if (l->kind == DOC)
		return push(j, ROOT);
	if (l->kind == TARGETS)
		return push(j, TARGET);
	if (l->kind == ENTRIES) {
		begin_entry(j);
		return push(j, key_at(&j->st[j->depth - 1])->sub);
	}
	return push(j, key_at(l)->sub);
}

static int on_start_array(void *ctx)
{
	struct jr *j = ctx;
	const struct key *k;

	if (j->skip || !welcome(j, T_LIST)) {
		j->skip++;
		return go(j);
	}
	k = key_at(&j->st[j->depth]);
	if (k->type == T_ENTRIES)
		return push(j, ENTRIES);
	if (k->field == F_PORTS)
		j->e.ports.n = 0;
	return push(j, LIST);
}

static void new_target(struct jr *j, const char *name, size_t n)
{
	struct model *m = j->m;
	struct target_pos *p;

	m->t = model_grow(m, m->t, m->n, sizeof(*m->t));
	j->t = &m->t[m->n++];
	*j->t = (struct m_target){ 0 };
	j->t->name = strndup_m(j, name, n);
	j->tpos = acl_xrealloc(j->tpos, m->n * sizeof(*j->tpos));
	p = &j->tpos[m->n - 1];
	p->name = j->t->name;
	where(j, &p->line, &p->col);
	if (!acl_loaded_name_valid(j->t->name))
		jerr(j, "invalid target name (an ACL name or PIPELINE/STAGE, each 1-64 of "
			"A-Z a-z 0-9 _ -, maybe with @run-PID)");
	j->last_via = (struct strv){ 0 };
}

static int on_key(void *ctx, const unsigned char *s, size_t n)
{
	struct jr *j = ctx;
	struct level *l = &j->st[j->depth];
	const struct key *keys;

	if (j->skip)
		return go(j);
	keys = keys_of[l->kind];
	if (l->kind == TARGETS) {
		new_target(j, has_nul(j, s, n) ? "" : (const char *)s, has_nul(j, s, n) ? 0 : n);
		return go(j);
	}
	l->key = -1;
	for (int i = 0; keys[i].name && l->key < 0; i++)
		if (keys[i].len == n && keys[i].name[0] == s[0] && memcmp(keys[i].name, s, n) == 0)
			l->key = i;
	if (l->key < 0)
		jerr(j, "unknown key '%.*s'", (int)(n < 100 ? n : 100), (const char *)s);
	else if (l->seen & (1u << l->key))
		jerr(j, "duplicate key '%s'", keys[l->key].name);
	else
		l->seen |= 1u << l->key;
	return go(j);
}

static void missing(struct jr *j, const struct level *l)
{
	const struct key *keys = keys_of[l->kind];

	for (int i = 0; keys[i].name; i++) {
		if (!keys[i].required || (l->seen & (1u << i)))
			continue;
		if (l->kind == ROOT)
			j->schema = 0;
		else if (keys[i].type == T_STR)
			jerr(j, "missing '%s'", keys[i].name);
		else
			jerr(j, "'%s' must be %s", keys[i].name, type_name(keys[i].type));
	}
}

static int on_end_map(void *ctx)
{
	struct jr *j = ctx;
	struct level *l = &j->st[j->depth];

	if (j->skip) {
		j->skip--;
		return go(j);
	}
	if (l->kind != TARGETS)
		missing(j, l);
	if (l->kind == TARGET)
		end_target(j, l);
	else if (l->kind != ROOT && l->kind != TARGETS)
		end_entry(j, l->kind);
	j->depth--;
	return go(j);
}

static int on_end_array(void *ctx)
{
	struct jr *j = ctx;
	const struct level *up;

	if (j->skip) {
		j->skip--;
		return go(j);
	}
	j->depth--;
	up = &j->st[j->depth];
	if (key_at(up)->field == F_PRIVATE)
		end_private(j);
	else if (key_at(up)->field == F_NAT64)
		end_nat64(j);
	else if (key_at(up)->field == F_PORTS && j->e.ports.n == 0)
		acl_ports_all(&j->e.ports);
	return go(j);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_bool,
	.yajl_integer = on_int,
	.yajl_double = on_double,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end_map,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end_array,
};

/* ---- the reader ---- */

/* yajl parses CHUNK bytes at a time from buf, after the last KEEP bytes
 * of the previous chunk: a token that began there can still be located. */
#define KEEP 1024
#define CHUNK (256 * 1024)

struct json_reader {
	struct jr j;
	unsigned char *buf;
	bool failed;    /* a syntax error, or schema not 1: nothing more is read */
};

struct json_reader *json_reader_new(const char *file, struct model *m)
{
	struct json_reader *r = acl_xrealloc(NULL, sizeof(*r));

	*r = (struct json_reader){ .j = { .file = file, .m = m, .line = 1, .col = 1,
					  .schema = -1 } };
	r->buf = acl_xrealloc(NULL, KEEP + CHUNK);
	r->j.chunk = r->buf;
	r->j.h = yajl_alloc(&callbacks, NULL, &r->j);
	return r;
}

static unsigned chars(const unsigned char *p, const unsigned char *end)
{
	unsigned n = 0;

	for (; p < end; p++)
		n += (*p & 0xc0) != 0x80;
	return n;
}

/* The window moves to start at s: where is that? */
static void move_window(struct jr *j, const unsigned char *s)
{
	const unsigned char *p = j->chunk - j->kept, *nl = NULL, *q;

	while ((q = memchr(p, '\n', (size_t)(s - p)))) {
		j->line++;
		nl = q;
		p = q + 1;
	}
	j->col = nl ? 1 + chars(nl + 1, s) : j->col + chars(j->chunk - j->kept, s);
}

static void syntax_error(struct json_reader *r)
{
	struct jr *j = &r->j;
	unsigned char *msg = yajl_get_error(j->h, 0, NULL, 0);
	unsigned line, col;

	if (j->schema == 0) { /* the parse was stopped: no syntax error */
		yajl_free_error(j->h, msg);
		return;
	}
	where(j, &line, &col);
	diag_error(j->file, line, col, "invalid JSON: %s", (const char *)msg);
	j->errors++;
	yajl_free_error(j->h, msg);
}

void json_reader_feed(struct json_reader *r, const void *data, size_t len)
{
	struct jr *j = &r->j;
	const unsigned char *d = data;

	while (len && !r->failed) {
		size_t n = len < CHUNK ? len : CHUNK, k;

		memcpy(r->buf + j->kept, d, n);
		j->chunk = r->buf + j->kept;
		if (yajl_parse(j->h, j->chunk, n) != yajl_status_ok) {
			syntax_error(r);
			r->failed = true;
			return;
		}
		k = j->kept + n < KEEP ? j->kept + n : KEEP;
		move_window(j, j->chunk + n - k);
		memmove(r->buf, j->chunk + n - k, k);
		j->kept = k;
		j->chunk = r->buf + k;
		d += n;
		len -= n;
	}
}

static void duplicate_targets(struct jr *j)
{
	const struct target_pos *p = j->tpos;

	for (size_t k = 1; k < j->m->n; k++) /* sorted by name, then by place */
		if (strcmp(p[k - 1].name, p[k].name) == 0) {
			diag_error(j->file, p[k].line, p[k].col,
				   "at $.targets: duplicate target '%s'", p[k].name);
			j->errors++;
		}
}

static int pos_cmp(const void *a, const void *b)
{
	const struct target_pos *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->line > y->line) - (x->line < y->line) ?: (x->col > y->col) - (x->col < y->col);
}

int json_reader_end(struct json_reader *r)
{
	struct jr *j = &r->j;

	j->chunk = r->buf + j->kept;
	if (!r->failed && yajl_complete_parse(j->h) != yajl_status_ok) {
		syntax_error(r);
		r->failed = true;
	}
	if (j->schema != 1 && !(r->failed && j->schema < 0)) {
		diag_error(j->file, 0, 0,
			   "not a netacl compiled file (want {\"schema\": 1, \"targets\": {...}})");
		j->errors++;
	}
	if (!j->errors) {
		acl_sort(j->tpos, j->m->n, sizeof(*j->tpos), pos_cmp);
		duplicate_targets(j);
		model_sort_targets(j->m);
	}
	return j->errors ? EX_DATAERR : 0;
}

void json_reader_free(struct json_reader *r)
{
	if (!r)
		return;
	yajl_free(r->j.h);
	free(r->j.e.strs.buf);
	free(r->j.list.buf);
	free(r->j.tpos);
	free(r->buf);
	free(r);
}

int model_from_json(const char *file, const char *text, size_t len, struct model *m)
{
	struct json_reader *r = json_reader_new(file, m);
	int rc;

	json_reader_feed(r, text, len);
	rc = json_reader_end(r);
	json_reader_free(r);
	return rc;
}
