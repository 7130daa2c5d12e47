/* The kernel's maps -> a model target.  Port sets become allow entries
 * (one per protocol unless both protocols have the same ports), and bind
 * entries from the bind tries; the deny tries become the `private:`
 * exemptions that carved them; max_connections and max_connect_rate come
 * from limit[g]. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "acl/flat.h"
#include "acl/set.h"
#include "bpf/admit.h"
#include "bpf/conf.h"
#include "bpf/inspect.h"
#include "bpf/table4.h"
#include "compiler/clock.h"

static int map_entries(int fd, uint32_t *n)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*n = info.max_entries;
	return 0;
}

/* The port sets: the ports map is acl_pbits laid end to end. */
static int read_sets(int fd, struct acl_pbits **out, size_t *nsets)
{
	uint32_t words = 0;
	uint64_t *vals;
	int err = map_entries(fd, &words);

	*out = NULL;
	*nsets = 0;
	if (err)
		return err;
	vals = malloc(words * sizeof(*vals));
	if (!vals)
		abort();
	for (uint32_t i = 0; i < words; i++) {
		if (bpf_map_lookup_elem(fd, &i, &vals[i])) {
			err = -errno;
			break;
		}
	}
	if (err) {
		free(vals);
		return err;
	}
	*nsets = words / (2 * ACL_PWORDS);
	*out = (struct acl_pbits *)vals;
	return 0;
}

/* Every key of an LPM trie (prefix length, address) or an exact hash
 * (address alone) with its value. */
static int read_keys(int fd, int family, bool lpm,
		     void (*fn)(const struct acl_cidr *, const void *val, void *), void *arg)
{
	unsigned char k[20], next[20], v[8];
	void *prev = NULL;
	size_t off = lpm ? 4 : 0, ksize = off + (family == ACL_V4 ? 4 : 16);

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		struct acl_cidr c = { .family = family,
				      .len = lpm ? (int)*(uint32_t *)next : (int)acl_width(family) };

		if (bpf_map_lookup_elem(fd, next, v))
			return -errno;
		c.v = acl_addr_from_bytes(next + off, ksize - off);
		fn(&c, v, arg);
		memcpy(k, next, ksize);
		prev = k;
	}
	return errno == ENOENT ? 0 : -errno;
}

/* A hash map (address -> __u32) read in batches of this many: a million
 * entries in a hundred-odd syscalls instead of two million. */
#define BATCH 8192

static int read_hash(int fd, int family,
		     void (*fn)(const struct acl_cidr *, const void *val, void *), void *arg)
{
	size_t ksize = family == ACL_V4 ? 4 : 16;
	uint8_t *keys = malloc(BATCH * 16);
	uint32_t vals[BATCH], count, token[2], next[2];
	void *in = NULL;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int err = 0;

	if (!keys)
		abort();
	for (;;) {
		count = BATCH;
		err = bpf_map_lookup_batch(fd, in, next, keys, vals, &count, &opts) ? -errno : 0;
		if (err && err != -ENOENT)
			break;
		for (uint32_t i = 0; i < count; i++) {
			struct acl_cidr c = { .family = (uint8_t)family,
					      .len = (uint8_t)acl_width(family),
					      .v = acl_addr_from_bytes(keys + i * ksize, ksize) };

			fn(&c, &vals[i], arg);
		}
		if (err == -ENOENT) { /* the last batch */
			err = 0;
			break;
		}
		memcpy(token, next, sizeof(token));
		in = token;
	}
	free(keys);
	/* a kernel without batch operations: one key at a time */
	if (err == -EINVAL && !in)
		return read_keys(fd, family, false, fn, arg);
	return err;
}

/* The single IPv4 addresses (table4's and exact4's), merged back into the
 * prefixes the loader wrote: it spreads short prefixes into table4
 * (bpf/load.c), and splits every interval into prefixes the same way, so
 * a run of addresses with one set splits into what it was loaded as. */
struct single4 {
	uint32_t addr, set;
};

struct singles4 {
	size_t n, cap;
	struct single4 *v;
};

/* table4_each's callback */
static void on_table4(uint32_t addr, uint32_t set, void *arg)
{
	struct singles4 *s = arg;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->v = acl_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct single4){ addr, set };
}

/* read_hash's (exact4) */
static void on_single4(const struct acl_cidr *c, const void *val, void *arg)
{
	uint32_t set;

	memcpy(&set, val, 4);
	on_table4((uint32_t)c->v, set, arg);
}

static int single4_cmp(const void *a, const void *b)
{
	const struct single4 *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

struct run_fwd {
	void (*fn)(const struct acl_cidr *, const void *val, void *);
	void *arg;
	uint32_t set;
};

static void run_cidr(const struct acl_cidr *c, void *arg)
{
	struct run_fwd *w = arg;

	w->fn(c, &w->set, w->arg);
}

/* fn(prefix, set) for the runs of s, which it sorts */
static void singles4_merge(struct singles4 *s,
			   void (*fn)(const struct acl_cidr *, const void *val, void *), void *arg)
{
	acl_sort(s->v, s->n, sizeof(*s->v), single4_cmp);
	for (size_t i = 0, j; i < s->n; i = j) {
		struct run_fwd w = { fn, arg, s->v[i].set };

		for (j = i + 1; j < s->n && s->v[j].set == w.set && s->v[j].addr == s->v[j - 1].addr + 1; j++)
			;
		acl_iv_to_cidrs(ACL_V4, s->v[i].addr, s->v[j - 1].addr, run_cidr, &w);
	}
}

/* The entries (ports, protocol) of a port set, decoded once per set: the
 * entries of a target share a handful of sets. */
struct set_entries {
	bool done;
	size_t n;
	struct { const struct acl_ports *ports; int proto; } *e;
};

struct builder {
	struct model *m;
	struct m_target *t;
	bool bind;                 /* on_allow adds to t->bind, not t->allow */
	const struct acl_pbits *sets;
	size_t nsets;
	struct set_entries *dec;  /* per set */
	struct acl_set deny;
	struct acl_lpm_entry *lpm; /* the deny trie as read */
	size_t nlpm;
	const struct netacl_conf *conf;
	const struct netacl_ex *ex; /* ex[g]; NULL: the target has no ex map */
	int list_f;                /* reading family index list_f's exact or allow map; else -1 */
	uint32_t listed[2];        /* entries read that conf's list must hold */
	struct conf_iv *iv;        /* entries read that rangeN must hold */
	size_t niv;
	int bad;
};

struct allow_ctx {
	struct builder *b;
	uint32_t set;
};

static void decode_entry(const struct acl_ports *p, int proto, void *arg)
{
	struct allow_ctx *x = arg;
	struct set_entries *d = &x->b->dec[x->set];

	d->e = acl_xrealloc(d->e, (d->n + 1) * sizeof(*d->e));
	d->e[d->n].ports = model_ports(x->b->m, p);
	d->e[d->n++].proto = proto;
}

static void on_allow(const struct acl_cidr *c, const void *val, void *arg)
{
	struct builder *b = arg;
	struct m_target *t = b->t;
	struct set_entries *d;
	uint32_t s;

	memcpy(&s, val, sizeof(s));
	if (s >= b->nsets) {
		b->bad = 1;
		return;
	}
	/* conf's copy of a few entries must hold each (bpf/conf.h) */
	if (b->list_f >= 0 && (b->conf->flags & (NETACL_LIST4 << b->list_f))) {
		b->listed[b->list_f]++;
		if (!conf_list_has(b->conf, b->list_f, c, s))
			b->bad = 1;
	}
	if (b->list_f >= 0 && (b->conf->flags & (b->list_f ? NETACL_RANGE6 : NETACL_RANGE4))) {
		b->iv = acl_xrealloc(b->iv, (b->niv + 1) * sizeof(*b->iv));
		b->iv[b->niv++] = conf_iv_of(c, s);
	}
	d = &b->dec[s];
	if (!d->done) {
		struct allow_ctx x = { b, s };

		acl_pbits_entries(&b->sets[s], decode_entry, &x);
		d->done = true;
	}
	for (size_t i = 0; i < d->n; i++) {
		struct m_allow **v = b->bind ? &t->bind : &t->allow;
		size_t *n = b->bind ? &t->nbind : &t->nallow;

		*v = model_grow(b->m, *v, *n, sizeof(**v));
		(*v)[(*n)++] = (struct m_allow){ .addr = *c, .ports = d->e[i].ports,
						 .proto = d->e[i].proto, .ttl = -1 };
	}
}

/* bind: the bindN tries, read like allowN (a target loaded before bind
 * rules has none, and restricts no bind). */
static int read_bind(struct builder *b, const int *fd)
{
	int err = 0;

	b->t->bind = model_alloc(b->m, sizeof(*b->t->bind)); /* an empty list is not NULL */
	b->bind = true;
	for (int f = 0; f < 2 && !err; f++)
		if (fd[PIN_BIND4 + f] >= 0)
			err = read_keys(fd[PIN_BIND4 + f], f ? ACL_V6 : ACL_V4, true, on_allow, b);
	b->bind = false;
	return err;
}

static void add_star(const struct acl_ports *p, int proto, void *arg)
{
	struct builder *b = arg;
	struct m_target *t = b->t;

	t->rules = model_grow(b->m, t->rules, t->nrules, sizeof(*t->rules));
	t->rules[t->nrules++] = (struct m_rule){ .match = model_strdup(b->m, "*"), .ports = model_ports(b->m, p),
						 .proto = proto,
						 .what = { .kind = ACL_RULE_ANY, .host = ACL_HOST_ANY } };
}

/* 1: denied; 0: not, inside a denied prefix (acl_set_to_lpm): kept
 * for acl_lpm_to_set. */
static void on_deny(const struct acl_cidr *c, const void *val, void *arg)
{
	struct builder *b = arg;

	b->lpm = acl_xrealloc(b->lpm, (b->nlpm + 1) * sizeof(*b->lpm));
	b->lpm[b->nlpm++] = (struct acl_lpm_entry){ *c, *(const uint8_t *)val != 0 };
}

static void add_private(const struct acl_cidr *c, void *arg)
{
	struct builder *b = arg;
	char text[ACL_CIDR_STRLEN];
	struct acl_private *pv = &b->t->priv;

	acl_cidr_format(c, text);
	model_strv_push(b->m, &b->t->priv_text, text);
	pv->cidrs = model_grow(b->m, pv->cidrs, pv->n, sizeof(*pv->cidrs));
	pv->cidrs[pv->n++] = *c;
}

static void read_nat64(const struct netacl_meta *meta, struct model *m, struct m_target *t)
{
	struct acl_private *pv = &t->priv;

	pv->nat64 = model_alloc(m, (NETACL_NAT64_MAX + 1) * sizeof(*pv->nat64));
	for (size_t i = 0; i < NETACL_NAT64_MAX && meta->nat64_len[i]; i++) {
		struct acl_cidr *c = &pv->nat64[pv->nnat64++];

		c->family = ACL_V6;
		c->len = meta->nat64_len[i];
		c->v = acl_addr_from_bytes(meta->nat64[i], 16);
	}
}

/* private = the whole table minus what the kernel still refuses */
static int read_private(struct builder *b, int fd, int family)
{
	struct acl_set full, exempt;
	int err;

	err = read_keys(fd, family, true, on_deny, b);
	acl_lpm_to_set(b->lpm, b->nlpm, family, &b->deny);
	if (!conf_blocks_agree(b->conf, family == ACL_V6, &b->deny) ||
	    !conf_exempt_agree(b->conf, b->ex, family == ACL_V6, &b->deny))
		b->bad = 1;
	free(b->lpm);
	b->lpm = NULL;
	b->nlpm = 0;
	struct acl_private table = { .nnat64 = b->t->priv.nnat64, .nat64 = b->t->priv.nat64 };

	acl_sp_denied_set(family, &table, &full);
	acl_set_subtract(&full, &b->deny, &exempt);
	acl_set_to_cidrs(&exempt, add_private, b);
	acl_set_free(&full);
	acl_set_free(&exempt);
	acl_set_free(&b->deny);
	return err;
}

/* ---- live DNS admissions ---- */

struct admitted {
	struct model *m;
	struct m_target *t;
	uint64_t now_ns;
};

static void ports_of(const struct netacl_admit *a, int k, struct acl_ports *out)
{
	struct acl_err e;

	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < a->n[k] && i < NETACL_ADMIT_RANGES; i++)
		acl_ports_add(out, a->r[k][i].lo, a->r[k][i].hi, &e);
}

static void push_admitted(struct admitted *x, const struct acl_cidr *c, const struct acl_ports *p,
			  int proto, const struct netacl_admit *a)
{
	struct m_target *t = x->t;
	struct m_allow *e;
	char name[sizeof(a->name) + 1];

	t->admitted = model_grow(x->m, t->admitted, t->nadmitted, sizeof(*t->admitted));
	e = &t->admitted[t->nadmitted++];
	memset(e, 0, sizeof(*e));
	e->addr = *c;
	e->ports = model_ports(x->m, p);
	e->proto = proto;
	e->ttl = (int64_t)((a->expires_ns - x->now_ns) / 1000000000ull);
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(a->name), a->name);
	model_strv_push(x->m, &e->via, name);
}

static void on_admitted(int family, acl_u128 v, const struct netacl_admit *a, void *arg)
{
	struct admitted *x = arg;
	struct acl_cidr c = { (uint8_t)family, (uint8_t)acl_width(family), v };
	struct acl_ports tcp, udp;

	if (a->expires_ns <= x->now_ns)
		return; /* the kernel refuses it already */
	ports_of(a, 0, &tcp);
	ports_of(a, 1, &udp);
	if (acl_ports_equal(&tcp, &udp)) {
		push_admitted(x, &c, &tcp, ACL_ANY_PROTO, a);
		return;
	}
	if (tcp.n)
		push_admitted(x, &c, &tcp, ACL_TCP, a);
	if (udp.n)
		push_admitted(x, &c, &udp, ACL_UDP, a);
}

static int admitted_cmp(const void *a, const void *b)
{
	const struct m_allow *x = a, *y = b;
	int c = model_cidr_cmp(&x->addr, &y->addr);

	return c ? c : (x->proto > y->proto) - (x->proto < y->proto);
}

static int read_admitted(const struct pinned *p, struct model *m, struct m_target *t)
{
	struct admitted x = { m, t, clock_ns() };
	int err;

	err = admit_each(p, on_admitted, &x);
	if (!err)
		acl_sort(t->admitted, t->nadmitted, sizeof(*t->admitted), admitted_cmp);
	return err;
}

/* rangeN[g] of family index f must hold the entries read (b->iv), as
 * conf's lists must (bpf/conf.h). */
static int range_check(const struct pinned *p, int f, struct builder *b)
{
	void *r = acl_xrealloc(NULL, f ? sizeof(struct netacl_range6) : sizeof(struct netacl_range4));
	int err = 0;

	if (bpf_map_lookup_elem(p->fd[PIN_RANGE4 + f], &p->gen, r))
		err = -errno;
	else if (!(f ? conf_range6_agree(r, b->iv, b->niv) : conf_range4_agree(r, b->iv, b->niv)))
		b->bad = 1;
	free(r);
	b->niv = 0;
	return err;
}

int inspect_target(const struct pinned *p, struct model *m)
{
	static const int which[] = { PIN_PORTS, PIN_ALLOW4, PIN_ALLOW6, PIN_EXACT4, PIN_EXACT6,
				     PIN_DENY4, PIN_DENY6, PIN_TABLE4, PIN_BIND4, PIN_BIND6 };
	int fd[NPINS], err = 0;
	struct acl_pbits *sets = NULL;
	struct builder b = { .m = m, .conf = &p->conf, .list_f = -1 };
	struct netacl_ex ex;
	struct singles4 singles = { 0 };

	if (p->unbacked) /* copies the programs read, which cannot be read here */
		return -EBADMSG;
	if (p->fd[PIN_EX] >= 0) {
		if (bpf_map_lookup_elem(p->fd[PIN_EX], &p->gen, &ex))
			return -errno;
		b.ex = &ex;
	}

	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		fd[which[i]] = -1;
	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]) && !err; i++)
		/* an optional pin an older netacl's target lacks (p->fd -1) has no inner map */
		if ((fd[which[i]] = pinned_inner(p, which[i])) < 0 && p->fd[which[i]] >= 0)
			err = fd[which[i]];
	if (!err)
		err = read_sets(fd[PIN_PORTS], &sets, &b.nsets);
	if (!err && !conf_psets_agree(&p->conf, sets, b.nsets))
		b.bad = 1;
	b.sets = sets;
	b.dec = calloc(b.nsets + 1, sizeof(*b.dec));
	if (!b.dec)
		abort();
	m->t = model_grow(m, m->t, m->n, sizeof(*m->t));
	b.t = &m->t[m->n++];
	memset(b.t, 0, sizeof(*b.t));
	b.t->name = model_strdup(m, p->meta.target);
	b.t->acl = model_strdup(m, p->meta.acl);
	b.t->cgroup = model_strdup(m, p->meta.cgroup);
	b.t->allow_all = p->conf.flags & NETACL_ALLOW_ALL;
	b.t->ping = p->conf.flags & NETACL_ALLOW_PING;
	b.t->dns_admit = p->conf.flags & NETACL_DNS_ADMIT;
	b.t->has_bind = p->conf.flags & NETACL_BIND;
	if (!err && (p->conf.flags & NETACL_LIMITS)) { /* max_connections, max_connect_rate */
		struct netacl_limits l;
		int64_t n;

		err = pinned_limits(p, &l, &n);
		b.t->max_conn = l.max_conn;
		b.t->max_rate = l.max_rate;
	}
	read_nat64(&p->meta, m, b.t);
	if (!err && p->conf.star != NETACL_NO_STAR && p->conf.star < b.nsets)
		acl_pbits_entries(&sets[p->conf.star], add_star, &b);
	for (int f = 0; f < 2 && !err; f++) {
		int family = f ? ACL_V6 : ACL_V4;
		bool listed = p->conf.flags & (NETACL_LIST4 << f);
		bool ranged = p->conf.flags & (f ? NETACL_RANGE6 : NETACL_RANGE4);

		b.list_f = f;
		err = read_keys(fd[PIN_ALLOW4 + f], family, true, on_allow, &b);
		if (!err && (f || listed || ranged)) /* conf's list or rangeN holds them one by one */
			err = read_hash(fd[PIN_EXACT4 + f], family, on_allow, &b);
		else if (!err)
			err = read_hash(fd[PIN_EXACT4], family, on_single4, &singles);
		b.list_f = -1;
		if (listed && b.listed[f] != p->conf.nlist[f])
			b.bad = 1;
		if (!err && ranged)
			err = range_check(p, f, &b);
	}
	if (!err && fd[PIN_TABLE4] >= 0)
		err = table4_each(fd[PIN_TABLE4], p->conf.t4_n, p->conf.t4_seed, on_table4, &singles);
	if (!err)
		singles4_merge(&singles, on_allow, &b);
	free(singles.v);
	if (!err && b.t->has_bind)
		err = read_bind(&b, fd);
	if (!err && b.t->allow_all)
		err = read_private(&b, fd[PIN_DENY4], ACL_V4);
	if (!err && b.t->allow_all)
		err = read_private(&b, fd[PIN_DENY6], ACL_V6);
	if (!err && b.bad)
		err = -EBADMSG;
	if (!err)
		model_canonicalise(m, b.t);
	if (!err)
		err = read_admitted(p, m, b.t);
	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		if (fd[which[i]] >= 0)
			close(fd[which[i]]);
	free(b.iv);
	for (size_t i = 0; i < b.nsets; i++)
		free(b.dec[i].e);
	free(b.dec);
	free(sets);
	return err;
}
