/* The compiled form (netacl(8), OUTPUT), written (jsonread.c reads it).
 * Output is deterministic: the model is canonical and keys are written in
 * a fixed order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/names.h"
#include "acl/set.h"
#include "compiler/model/json.h"
#include "compiler/model/jsonw.h"
#include "compiler/diag.h"

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
	jw_object_line(w);
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
	jw_object_line(w);
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
	jw_object_line(w);
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
	jw_object_line(w);
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
	if (t->max_conn) { /* written only when set, as ping */
		jw_key(w, "max_connections");
		jw_int(w, t->max_conn);
	}
	if (t->max_rate) {
		jw_key(w, "max_connect_rate");
		jw_int(w, t->max_rate);
	}
	jw_key(w, "private");
	put_strv(w, &t->priv_text);
	if (t->priv.nnat64) { /* written only when set, as ping */
		jw_key(w, "nat64");
		jw_array_line(w);
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
	if (t->has_bind) { /* written only when the ACL has bind:, as ping */
		jw_key(w, "bind");
		jw_array(w);
		for (size_t i = 0; i < t->nbind; i++)
			put_allow(w, &t->bind[i]);
		jw_end(w);
	}
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
