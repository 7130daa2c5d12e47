/* What a target allows in one model and not the other, compared on the
 * flattened form (compiler/model/allows.h), so two files that allow the
 * same things in different shapes are equal, and a faithful
 * `inspect --json` equals the file that was loaded. */
#include "compiler/model/diff.h"

#include <stdlib.h>
#include <string.h>

#include "acl/flat.h"
#include "compiler/model/allows.h"

/* Set pairs repeat along the address space: remember what each pair's
 * differences intern to. */
struct pair_memo {
	size_t n, cap;
	struct { uint32_t a, b, only_a, only_b; } *v;
};

static void only(const struct acl_pbits *x, const struct acl_pbits *y, struct acl_pbits *out)
{
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < ACL_PWORDS; i++)
			out->w[k][i] = x->w[k][i] & ~y->w[k][i];
}

/* Index of the sets "only in a" and "only in b" for a pair (UINT32_MAX: none). */
static void differences(struct acl_psets *t, struct pair_memo *memo, uint32_t a, uint32_t b,
			uint32_t *only_a, uint32_t *only_b)
{
	static const struct acl_pbits empty;
	struct acl_pbits *d;

	for (size_t i = 0; i < memo->n; i++)
		if (memo->v[i].a == a && memo->v[i].b == b) {
			*only_a = memo->v[i].only_a;
			*only_b = memo->v[i].only_b;
			return;
		}
	d = malloc(sizeof(*d));
	if (!d)
		abort();
	only(a == UINT32_MAX ? &empty : &t->v[a], b == UINT32_MAX ? &empty : &t->v[b], d);
	*only_a = acl_pbits_empty(d) ? UINT32_MAX : acl_psets_intern(t, d);
	only(b == UINT32_MAX ? &empty : &t->v[b], a == UINT32_MAX ? &empty : &t->v[a], d);
	*only_b = acl_pbits_empty(d) ? UINT32_MAX : acl_psets_intern(t, d);
	free(d);
	if (memo->n == memo->cap) {
		memo->cap = memo->cap ? memo->cap * 2 : 16;
		memo->v = acl_xrealloc(memo->v, memo->cap * sizeof(*memo->v));
	}
	memo->v[memo->n++] = (typeof(memo->v[0])){ a, b, *only_a, *only_b };
}

struct printer {
	FILE *out;
	const char *name, *use; /* use: "" (connect, send) or "bind " */
	char sign;
	const struct acl_cidr *c;
	const struct acl_psets *t;
	uint32_t set;
};

static void print_entry(const struct acl_ports *p, int proto, void *arg)
{
	struct printer *pr = arg;
	char a[ACL_CIDR_STRLEN], ports[512] = "all";

	acl_cidr_format(pr->c, a);
	if (!acl_ports_is_all(p))
		acl_ports_format(p, ports, sizeof(ports));
	fprintf(pr->out, "%c %s: %s%s ports %s %s\n", pr->sign, pr->name, pr->use, a, ports,
		acl_proto_name(proto));
}

static void print_cidr(const struct acl_cidr *c, void *arg)
{
	struct printer *pr = arg;

	pr->c = c;
	acl_pbits_entries(&pr->t->v[pr->set], print_entry, pr);
}

/* A run of addresses where a and b differ the same way. */
struct run {
	bool open;
	acl_u128 lo, hi;
	uint32_t only_a, only_b;
};

static void run_flush(struct run *r, int family, struct printer pr)
{
	if (!r->open)
		return;
	if (r->only_a != UINT32_MAX) {
		pr.sign = '-', pr.set = r->only_a;
		acl_iv_to_cidrs(family, r->lo, r->hi, print_cidr, &pr);
	}
	if (r->only_b != UINT32_MAX) {
		pr.sign = '+', pr.set = r->only_b;
		acl_iv_to_cidrs(family, r->lo, r->hi, print_cidr, &pr);
	}
	r->open = false;
}

/* Walk two flattenings together (set indices of one table). */
static bool diff_family(const struct acl_flat *a, const struct acl_flat *b, struct acl_psets *t,
			FILE *out, const char *name, const char *use)
{
	struct printer pr = { .out = out, .name = name, .use = use, .t = t };
	struct pair_memo memo = { 0 };
	struct run r = { 0 };
	size_t i = 0, j = 0;
	acl_u128 pos = 0, max = acl_family_max(a->family);
	bool differ = false;

	for (;;) {
		/* the next segment starts at pos: what covers it on each side? */
		while (i < a->n && a->iv[i].hi < pos)
			i++;
		while (j < b->n && b->iv[j].hi < pos)
			j++;
		bool ina = i < a->n && a->iv[i].lo <= pos, inb = j < b->n && b->iv[j].lo <= pos;
		acl_u128 end = max;
		if (ina)
			end = a->iv[i].hi;
		else if (i < a->n)
			end = a->iv[i].lo - 1;
		if (inb && b->iv[j].hi < end)
			end = b->iv[j].hi;
		else if (!inb && j < b->n && b->iv[j].lo - 1 < end)
			end = b->iv[j].lo - 1;
		uint32_t sa = ina ? a->iv[i].set : UINT32_MAX, sb = inb ? b->iv[j].set : UINT32_MAX;
		uint32_t oa = UINT32_MAX, ob = UINT32_MAX;
		if (sa != sb)
			differences(t, &memo, sa, sb, &oa, &ob);
		if (r.open && (r.only_a != oa || r.only_b != ob || r.hi + 1 != pos))
			run_flush(&r, a->family, pr);
		if (oa != UINT32_MAX || ob != UINT32_MAX) {
			differ = true;
			if (!r.open)
				r = (struct run){ true, pos, end, oa, ob };
			r.hi = end;
		}
		if (end == max || (i == a->n && j == b->n))
			break;
		pos = end + 1;
	}
	run_flush(&r, a->family, pr);
	free(memo.v);
	return differ;
}

/* Renumber b's sets into a's table so equal sets have equal indices. */
static void share_sets(struct allows *a, struct allows *b)
{
	uint32_t *map = calloc(b->sets.n + 1, sizeof(*map));

	if (!map)
		abort();
	for (size_t s = 0; s < b->sets.n; s++)
		map[s] = acl_psets_intern(&a->sets, &b->sets.v[s]);
	for (int f = 0; f < 2; f++) {
		for (size_t k = 0; k < b->flat[f].n; k++)
			b->flat[f].iv[k].set = map[b->flat[f].iv[k].set];
		for (size_t k = 0; k < b->bind[f].n; k++)
			b->bind[f].iv[k].set = map[b->bind[f].iv[k].set];
	}
	free(map);
}

/* A limit on one side, or two different ones: its lines. */
static bool diff_limit(FILE *out, const char *name, const char *what, const char *unit,
		       uint32_t a, uint32_t b)
{
	if (a == b)
		return false;
	if (a)
		fprintf(out, "- %s: %s %u%s\n", name, what, a, unit);
	if (b)
		fprintf(out, "+ %s: %s %u%s\n", name, what, b, unit);
	return true;
}

bool diff_target(FILE *out, const struct m_target *a, const struct m_target *b)
{
	const char *name = a ? a->name : b->name;
	/* a target on one side only: the other side allows nothing, binding included */
	struct m_target none = { .name = (char *)name, .has_bind = true };
	struct allows fa, fb;
	bool differ = false;

	if (!a || !b) {
		fprintf(out, "%c target %s\n", a ? '-' : '+', name);
		differ = true;
	}
	allows_of(a ? a : &none, true, &fa);
	allows_of(b ? b : &none, true, &fb);
	if (fa.ping != fb.ping) {
		fprintf(out, "%c %s: ping sockets\n", fa.ping ? '-' : '+', name);
		differ = true;
	}
	if (fa.dns_admit != fb.dns_admit) {
		fprintf(out, "%c %s: dns admit\n", fa.dns_admit ? '-' : '+', name);
		differ = true;
	}
	if (a && b) { /* a target on one side only is said once, above */
		differ |= diff_limit(out, name, "max_connections", "", fa.max_conn, fb.max_conn);
		differ |= diff_limit(out, name, "max_connect_rate", "/s", fa.max_rate, fb.max_rate);
	}
	if (fa.has_bind != fb.has_bind) { /* the side without bind: binds anything */
		fprintf(out, "%c %s: bind unrestricted\n", fa.has_bind ? '+' : '-', name);
		differ = true;
	}
	share_sets(&fa, &fb);
	for (int f = 0; f < 2; f++)
		differ |= diff_family(&fa.flat[f], &fb.flat[f], &fa.sets, out, name, "");
	for (int f = 0; f < 2; f++)
		differ |= diff_family(&fa.bind[f], &fb.bind[f], &fa.sets, out, name, "bind ");
	allows_free(&fa);
	allows_free(&fb);
	return differ;
}

bool diff_models(FILE *out, const struct model *a, const struct model *b)
{
	bool differ = false;
	size_t i = 0, j = 0;

	while (i < a->n || j < b->n) {
		int cmp = i == a->n ? 1 : j == b->n ? -1 : strcmp(a->t[i].name, b->t[j].name);

		if (cmp == 0)
			differ |= diff_target(out, &a->t[i++], &b->t[j++]);
		else if (cmp < 0)
			differ |= diff_target(out, &a->t[i++], NULL);
		else
			differ |= diff_target(out, NULL, &b->t[j++]);
	}
	return differ;
}
