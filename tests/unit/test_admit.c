/* The admission forwarder's core: DNS queries and answers as it reads
 * them, which names and addresses a target admits, and the admitted set
 * with its caps and expiry. */
#define _GNU_SOURCE
#include <ares.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "acl/special.h"
#include "compiler/admit/cache.h"
#include "compiler/admit/decide.h"
#include "compiler/admit/msg.h"
#include "compiler/model/json.h"

/* A query as a stub resolver sends it (c-ares builds it). */
static size_t query(const char *name, int type, int class, uint16_t id, uint8_t *out)
{
	unsigned char *buf;
	int len;

	cr_assert_eq(ares_create_query(name, class, type, id, 1, &buf, &len, 0), ARES_SUCCESS);
	memcpy(out, buf, (size_t)len);
	ares_free_string(buf);
	return (size_t)len;
}

static size_t put_name(uint8_t *p, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

static size_t put_rr(uint8_t *p, const char *owner, int type, uint32_t ttl, const uint8_t *rd,
		     size_t rdlen)
{
	size_t n = put_name(p, owner);

	p[n++] = (uint8_t)(type >> 8), p[n++] = (uint8_t)type, p[n++] = 0, p[n++] = 1;
	p[n++] = (uint8_t)(ttl >> 24), p[n++] = (uint8_t)(ttl >> 16);
	p[n++] = (uint8_t)(ttl >> 8), p[n++] = (uint8_t)ttl;
	p[n++] = (uint8_t)(rdlen >> 8), p[n++] = (uint8_t)rdlen;
	memcpy(p + n, rd, rdlen);
	return n + rdlen;
}

/* The answer an upstream server gives q: a CNAME (TTL 300) to
 * edge.cdn.test, then two A records (TTL 60 and 5). */
static size_t answer(const uint8_t *q, size_t qlen, uint8_t *out)
{
	uint8_t cname[64];
	static const uint8_t a1[] = { 93, 184, 216, 34 }, a2[] = { 10, 0, 0, 1 };
	size_t n = qlen, cl = put_name(cname, "edge.cdn.test");

	memcpy(out, q, qlen);
	out[2] |= 0x80, out[3] = 0x80;
	out[7] = 3;
	n += put_rr(out + n, "api.example.com", DNS_T_CNAME, 300, cname, cl);
	n += put_rr(out + n, "edge.cdn.test", DNS_T_A, 60, a1, 4);
	n += put_rr(out + n, "edge.cdn.test", DNS_T_A, 5, a2, 4);
	return n;
}

Test(admit, query_read_takes_a_stub_resolvers_query)
{
	uint8_t m[512];
	size_t len = query("API.Example.COM.", DNS_T_A, DNS_C_IN, 0x1234, m);
	struct dns_question q;

	cr_assert_eq(dns_query_read(m, len, &q), DNS_NOERROR);
	cr_assert(q.name_ok && q.id == 0x1234 && q.rd && q.type == DNS_T_A);
	cr_assert_str_eq(q.name, "api.example.com");
	cr_assert_eq(q.end, len);
}

Test(admit, query_read_refuses_what_is_not_one_plain_question)
{
	uint8_t m[512];
	struct dns_question q;
	size_t len = query("a.example.com", DNS_T_A, DNS_C_IN, 7, m);

	cr_assert_eq(dns_query_read(m, 11, &q), -1, "shorter than a header");
	m[2] |= 0x80;
	cr_assert_eq(dns_query_read(m, len, &q), -1, "a response");
	m[2] = 0x10; /* opcode 2, STATUS */
	cr_assert_eq(dns_query_read(m, len, &q), DNS_NOTIMP);
	m[2] = 1, m[5] = 2;
	cr_assert_eq(dns_query_read(m, len, &q), DNS_FORMERR, "two questions");
	m[5] = 1;
	cr_assert_eq(dns_query_read(m, len - 3, &q), DNS_FORMERR, "cut short");
	cr_assert_eq(q.end, 0);
	len = query("a.example.com", DNS_T_ANY, DNS_C_IN, 7, m);
	cr_assert_eq(dns_query_read(m, len, &q), DNS_NOTIMP);
	len = query("a.example.com", DNS_T_A, 3 /* CH */, 7, m);
	cr_assert_eq(dns_query_read(m, len, &q), DNS_REFUSED);
	/* a compression pointer to itself */
	len = 12;
	memset(m, 0, 12), m[5] = 1;
	m[len++] = 0xc0, m[len++] = 12, m[len++] = 0, m[len++] = 1, m[len++] = 0, m[len++] = 1;
	cr_assert_eq(dns_query_read(m, len, &q), DNS_FORMERR);
}

Test(admit, names_that_are_no_host_names_match_no_rule)
{
	static const char *const odd[] = { "a\\.b.example.com", "a b.example.com", "a*b.example.com", "-a.example.com", "." };
	uint8_t m[512];
	struct dns_question q;

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		size_t len = query(odd[i], DNS_T_A, DNS_C_IN, 1, m);

		cr_assert_eq(dns_query_read(m, len, &q), DNS_NOERROR, "%s", odd[i]);
		cr_assert(!q.name_ok, "%s", odd[i]);
	}
}

Test(admit, reply_echoes_the_question_with_the_rcode)
{
	uint8_t m[512], r[512];
	size_t len = query("x.example.com", DNS_T_AAAA, DNS_C_IN, 0xbeef, m), n;
	struct dns_question q;

	cr_assert_eq(dns_query_read(m, len, &q), 0);
	n = dns_reply(m, &q, DNS_NXDOMAIN, r, sizeof(r));
	cr_assert_eq(n, len);
	cr_assert(r[0] == 0xbe && r[1] == 0xef && (r[2] & 0x81) == 0x81 && r[3] == 0x83);
	cr_assert(r[5] == 1 && !r[7] && !r[9] && !r[11]);
	cr_assert(memcmp(r + 12, m + 12, len - 12) == 0);
	cr_assert_eq(dns_reply(m, &q, DNS_NXDOMAIN, r, len - 1), 0, "too small");
	q.end = 0; /* nothing read: a bare header */
	cr_assert_eq(dns_reply(m, &q, DNS_FORMERR, r, sizeof(r)), 12);
	cr_assert(r[3] == 0x81 && r[5] == 0);
}

Test(admit, answers_match_only_their_question)
{
	uint8_t m[512], a[1024], other[512];
	size_t len = query("api.example.com", DNS_T_A, DNS_C_IN, 99, m), n = answer(m, len, a);
	struct dns_question q;

	cr_assert_eq(dns_query_read(m, len, &q), 0);
	cr_assert(dns_answer_matches(a, n, 99, &q));
	cr_assert(!dns_answer_matches(a, n, 98, &q), "another ID");
	cr_assert(!dns_answer_matches(a, 11, 99, &q), "short");
	a[2] &= 0x7f;
	cr_assert(!dns_answer_matches(a, n, 99, &q), "not a response");
	a[2] |= 0x80;
	len = query("apj.example.com", DNS_T_A, DNS_C_IN, 99, other);
	memcpy(a, other, len);
	a[2] |= 0x80;
	cr_assert(!dns_answer_matches(a, n, 99, &q), "another name");
	len = query("API.EXAMPLE.com", DNS_T_A, DNS_C_IN, 99, other);
	memcpy(a, other, len);
	a[2] |= 0x80;
	cr_assert(dns_answer_matches(a, n, 99, &q), "names compare without case");
	len = query("api.example.com", DNS_T_AAAA, DNS_C_IN, 99, other);
	memcpy(a, other, len);
	a[2] |= 0x80;
	cr_assert(!dns_answer_matches(a, n, 99, &q), "another type");
}

Test(admit, answer_addresses_follow_cnames_with_the_smallest_ttl)
{
	uint8_t m[512], a[1024];
	size_t len = query("api.example.com", DNS_T_A, DNS_C_IN, 5, m), n = answer(m, len, a);
	struct dns_question q;
	struct dns_addr out[8];

	cr_assert_eq(dns_query_read(m, len, &q), 0);
	cr_assert_eq(dns_answer_addrs(a, n, &q, out, 8), 2);
	cr_assert(out[0].family == ACL_V4 && out[0].v == 0x5db8d822u && out[0].ttl == 60);
	cr_assert(out[1].v == 0x0a000001u && out[1].ttl == 5);
	cr_assert_eq(dns_answer_addrs(a, n, &q, out, 1), 1, "at most max");
	cr_assert_eq(dns_answer_addrs(a, n - 3, &q, out, 8), -1, "cut short");
	a[3] = 0x83, a[7] = 0; /* NXDOMAIN */
	cr_assert_eq(dns_answer_addrs(a, len, &q, out, 8), 0);
	q.type = DNS_T_PTR;
	cr_assert_eq(dns_answer_addrs(a, n, &q, out, 8), 0, "only A and AAAA admit");
}

static void target(struct model *m, const char *rules, const char *priv)
{
	char *s;

	cr_assert(asprintf(&s, "{\"schema\": 1, \"targets\": {\"t\": {\"acl\": \"t\", "
			   "\"cgroup\": null, \"allow_all\": false, \"private\": [%s], "
			   "\"rules\": [%s], \"allow\": [], \"dropped\": [], "
			   "\"unresolved\": []}}}", priv, rules) > 0);
	model_init(m);
	cr_assert_eq(model_from_json("t.json", s, strlen(s), m), 0, "%s", s);
	free(s);
}

#define RULE(match, in) "{\"match\": \"" match "\", " in "\"ports\": [\"443\"], \"proto\": \"tcp\", \"origin\": [\"p:1:1\"]}"

Test(admit, names_are_allowed_by_exact_and_wildcard_rules_only)
{
	struct model m;
	size_t idx[4];

	target(&m, RULE("db.example.com", "") "," RULE("*.cdn.example.com", "") "," RULE("10.0.0.0/8", ""), "");
	cr_assert_eq(admit_rules_for(&m.t[0], "db.example.com", idx, 4), 1);
	cr_assert_eq(idx[0], 0);
	cr_assert_eq(admit_rules_for(&m.t[0], "a.b.cdn.example.com", idx, 4), 1);
	cr_assert_eq(idx[0], 1);
	cr_assert_eq(admit_rules_for(&m.t[0], "cdn.example.com", idx, 4), 0);
	cr_assert_eq(admit_rules_for(&m.t[0], "db.example.com.evil.test", idx, 4), 0);
	cr_assert_eq(admit_rules_for(&m.t[0], "10.0.0.1", idx, 4), 0, "a range is no name");
	model_free(&m);
}

Test(admit, answered_addresses_pass_the_special_purpose_table)
{
	struct model m;
	int row;
	struct acl_cidr mapped;
	struct acl_err e;

	target(&m, RULE("db.example.com", "") "," RULE("api.example.com", "\"in\": \"93.184.216.0/24\", "),
	       "\"192.168.0.0/16\"");
	const struct m_target *t = &m.t[0];

	cr_assert_null(admit_refusal(t, &t->rules[0], ACL_V4, 0x5db8d822u, &row));
	cr_assert_str_eq(admit_refusal(t, &t->rules[0], ACL_V4, 0x0a000001u, &row),
			 "special-purpose address");
	cr_assert_eq(row, ACL_SP_PRIVATE_USE);
	cr_assert_null(admit_refusal(t, &t->rules[0], ACL_V4, 0xc0a80101u, &row), "private: exempts");
	cr_assert_not_null(admit_refusal(t, &t->rules[0], ACL_V4, 0xa9fea9feu, &row));
	cr_assert_eq(row, ACL_SP_METADATA);
	acl_cidr_parse("::ffff:10.0.0.1", 15, &mapped, &e);
	cr_assert_not_null(admit_refusal(t, &t->rules[0], ACL_V6, mapped.v, &row), "mapped");
	cr_assert_null(admit_refusal(t, &t->rules[1], ACL_V4, 0x5db8d822u, &row));
	cr_assert_str_eq(admit_refusal(t, &t->rules[1], ACL_V4, 0x5db8d922u, &row),
			 "outside the rule's range");
	model_free(&m);
}

Test(admit, seconds_between_floor_and_ceiling_plus_grace)
{
	struct admit_ttl l = { .min = 5, .max = 3600, .grace = 10 };

	cr_assert_eq(admit_seconds(&l, 0), 15);
	cr_assert_eq(admit_seconds(&l, 60), 70);
	cr_assert_eq(admit_seconds(&l, 86400), 3610);
}

struct gone_log {
	int n;
	acl_u128 last;
};

static void on_gone(int family, acl_u128 v, bool held, void *arg)
{
	struct gone_log *g = arg;

	(void)family;
	if (held)
		return;
	g->n++;
	g->last = v;
}

Test(admit, a_names_cap_drops_its_least_recently_answered_address)
{
	struct admit_cache c;
	struct gone_log g = { 0 };

	admit_cache_init(&c, 2, 100);
	admit_cache_put(&c, "a.test", ACL_V4, 1, 10, 1000, on_gone, &g);
	admit_cache_put(&c, "a.test", ACL_V4, 2, 20, 1000, on_gone, &g);
	admit_cache_put(&c, "a.test", ACL_V4, 1, 30, 1000, on_gone, &g); /* answered again */
	admit_cache_put(&c, "a.test", ACL_V4, 3, 40, 1000, on_gone, &g);
	cr_assert_eq(g.n, 1);
	cr_assert(g.last == 2, "the least recently answered goes");
	cr_assert_eq(c.n, 2);
	admit_cache_free(&c);
}

Test(admit, an_address_of_two_names_stays_while_either_holds_it)
{
	struct admit_cache c;
	struct gone_log g = { 0 };

	admit_cache_init(&c, 4, 100);
	cr_assert_eq(admit_cache_put(&c, "a.test", ACL_V4, 7, 0, 100, on_gone, &g), 100);
	cr_assert_eq(admit_cache_put(&c, "b.test", ACL_V4, 7, 0, 500, on_gone, &g), 500,
		     "the latest expiry is the map's");
	admit_cache_expire(&c, 100, on_gone, &g);
	cr_assert_eq(g.n, 0, "b.test still holds it");
	cr_assert_eq(c.n, 1);
	admit_cache_expire(&c, 499, on_gone, &g);
	cr_assert_eq(g.n, 0);
	admit_cache_expire(&c, 500, on_gone, &g);
	cr_assert(g.n == 1 && g.last == 7 && c.n == 0);
	admit_cache_free(&c);
}

Test(admit, the_total_cap_bounds_a_flood_of_names)
{
	struct admit_cache c;
	struct gone_log g = { 0 };
	char name[32];

	admit_cache_init(&c, 4, 64);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		admit_cache_put(&c, name, ACL_V6, (acl_u128)i, (uint64_t)i, 5000, on_gone, &g);
	}
	cr_assert_eq(c.n, 64);
	cr_assert_eq(g.n, 1000 - 64);
	cr_assert(g.last == 1000 - 65, "oldest first");
	admit_cache_free(&c);
}

/* ---- the cache against a plain model of it: a list, searched in full ---- */

struct ref_entry {
	char name[16];
	acl_u128 v;
	uint64_t expires, answered;
};

struct ref {
	size_t n, per_name, total;
	struct ref_entry e[256];
	int gone[64]; /* per address: times reported gone */
};

static bool ref_held(const struct ref *r, acl_u128 v)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].v == v)
			return true;
	return false;
}

static void ref_drop(struct ref *r, size_t i)
{
	acl_u128 v = r->e[i].v;

	r->e[i] = r->e[--r->n];
	if (!ref_held(r, v))
		r->gone[(int)v]++;
}

static size_t ref_count(const struct ref *r, const char *name)
{
	size_t k = 0;

	for (size_t i = 0; i < r->n; i++)
		k += strcmp(r->e[i].name, name) == 0;
	return k;
}

static size_t ref_oldest(const struct ref *r, const char *name)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < r->n; i++)
		if ((!name || strcmp(r->e[i].name, name) == 0) &&
		    (best == SIZE_MAX || r->e[i].answered < r->e[best].answered))
			best = i;
	return best;
}

static uint64_t ref_put(struct ref *r, const char *name, acl_u128 v, uint64_t now, uint64_t exp)
{
	size_t at = SIZE_MAX;
	uint64_t latest = 0;

	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].v == v && strcmp(r->e[i].name, name) == 0)
			at = i;
	if (at == SIZE_MAX) {
		at = r->n++;
		r->e[at] = (struct ref_entry){ .v = v };
		snprintf(r->e[at].name, sizeof(r->e[at].name), "%s", name);
	}
	r->e[at].answered = now;
	if (exp > r->e[at].expires)
		r->e[at].expires = exp;
	while (ref_count(r, name) > r->per_name)
		ref_drop(r, ref_oldest(r, name));
	while (r->n > r->total)
		ref_drop(r, ref_oldest(r, NULL));
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].v == v && r->e[i].expires > latest)
			latest = r->e[i].expires;
	return latest;
}

static void count_gone(int family, acl_u128 v, bool held, void *arg)
{
	(void)family;
	if (!held)
		((int *)arg)[(int)v]++;
}

Test(admit, the_cache_agrees_with_a_plain_model_over_random_answers)
{
	static const char *const names[] = { "a.t", "b.t", "c.t", "d.t", "e.t", "f.t" };
	struct ref r = { .per_name = 3, .total = 10 };
	struct admit_cache c;
	int gone[64] = { 0 };
	unsigned seed = 7;

	admit_cache_init(&c, 3, 10);
	for (uint64_t now = 1; now < 20000; now++) {
		seed = seed * 1103515245 + 12345;
		if (seed % 13 == 0) { /* a tick */
			admit_cache_expire(&c, now, count_gone, gone);
			for (size_t i = 0; i < r.n;)
				if (r.e[i].expires <= now)
					ref_drop(&r, i);
				else
					i++;
		} else {
			const char *name = names[seed >> 8 & 3 ? (seed >> 12) % 6 : 0];
			acl_u128 v = (seed >> 16) % 40;
			uint64_t exp = now + (seed >> 20) % 50;

			cr_assert_eq(admit_cache_put(&c, name, ACL_V4, v, now, exp, count_gone, gone),
				     ref_put(&r, name, v, now, exp), "latest expiry at %llu",
				     (unsigned long long)now);
		}
		cr_assert_eq(c.n, r.n, "entries at %llu", (unsigned long long)now);
		cr_assert_eq(memcmp(gone, r.gone, sizeof(gone)), 0, "gone() at %llu",
			     (unsigned long long)now);
	}
	admit_cache_free(&c);
}

/* A label holding a dot, or a NUL, must not read as more labels: the
 * upstream would be asked another name than the one checked (x.cdn as one
 * label under example.com is not under cdn.example.com). */
Test(admit, a_dot_or_nul_inside_a_label_is_no_host_name)
{
	static const uint8_t dotted[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
					  5, 'x', '.', 'c', 'd', 'n', 7, 'e', 'x', 'a', 'm', 'p',
					  'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	static const uint8_t nul[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				       3, 'c', 'd', 'n', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				       3, 'c', 'o', 0, 0, 0, 1, 0, 1 };
	struct dns_question q;

	cr_assert_eq(dns_query_read(dotted, sizeof(dotted), &q), DNS_NOERROR);
	cr_assert(!q.name_ok, "read as %s", q.name);
	cr_assert_neq(strcmp(q.name, "x.cdn.example.com"), 0);
	cr_assert_eq(dns_query_read(nul, sizeof(nul), &q), DNS_NOERROR);
	cr_assert(!q.name_ok, "read as %s", q.name);
}

/* Nothing of the workload's but the question goes upstream: records after
 * it and trailing bytes are FORMERR, and an OPT record is replaced by ours
 * (its options could carry anything). */
Test(admit, only_the_question_and_a_fresh_opt_go_upstream)
{
	static const uint8_t opt_with_data[] = { 0, 0, 41, 0x10, 0x00, 0, 0, 0x80, 0, 0, 8,
						 0xfd, 0xe9, 0, 4, 'l', 'e', 'a', 'k' };
	uint8_t m[600], clean[600], rd[4] = { 10, 0, 0, 1 };
	size_t len = query("x.cdn.example.com", DNS_T_A, DNS_C_IN, 0x1234, m), base = len, n;
	struct dns_question q;

	memcpy(m + len, "TRAILING-SECRET", 15); /* bytes after the question */
	cr_assert_eq(dns_query_read(m, len + 15, &q), DNS_FORMERR);
	m[11] = 1; /* an additional record that is not OPT */
	n = put_rr(m + len, "leak.evil.example.net", DNS_T_A, 60, rd, 4);
	cr_assert_eq(dns_query_read(m, len + n, &q), DNS_FORMERR);
	memcpy(m + len, opt_with_data, sizeof(opt_with_data)); /* OPT, with an option */
	cr_assert_eq(dns_query_read(m, len + sizeof(opt_with_data) + 1, &q), DNS_FORMERR,
		     "a byte after the OPT record");
	cr_assert_eq(dns_query_read(m, len + sizeof(opt_with_data), &q), DNS_NOERROR);
	cr_assert(q.edns && q.udp_size == 4096);
	n = dns_query_clean(m, &q, clean, sizeof(clean));
	cr_assert_eq(n, base + 11, "the question and an 11-byte OPT of ours");
	cr_assert_eq(memcmp(clean + DNS_HEADER, m + DNS_HEADER, base - DNS_HEADER), 0);
	cr_assert(clean[0] == 0x12 && clean[1] == 0x34 && clean[2] == 0x01 && clean[3] == 0);
	cr_assert(clean[11] == 1 && clean[base + 2] == 41 && clean[base + 3] == 0x04 &&
		  clean[base + 4] == 0xd0, "OPT, UDP size 1232");
	cr_assert(clean[base + 7] == 0 && clean[base + 9] == 0 && clean[base + 10] == 0,
		  "no DO bit, no options");
	m[11] = 0; /* no EDNS: the question alone */
	cr_assert_eq(dns_query_read(m, base, &q), DNS_NOERROR);
	cr_assert(!q.edns);
	cr_assert_eq(dns_query_clean(m, &q, clean, sizeof(clean)), base);
	cr_assert_eq(memcmp(clean, m, base), 0);
}
