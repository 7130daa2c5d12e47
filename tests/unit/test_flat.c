/* Flattening: disjoint intervals, unions of overlapping entries, canonical
 * port-set indices, checked against a brute-force union on random data. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "acl/flat.h"

static struct acl_ports P(unsigned lo, unsigned hi)
{
	struct acl_ports p = { 0 };
	struct acl_err e;

	cr_assert_eq(acl_ports_add(&p, lo, hi, &e), 0);
	return p;
}

static bool has(const struct acl_psets *t, long set, int k, unsigned port)
{
	return set >= 0 && (t->v[set].w[k][port >> 6] >> (port & 63) & 1);
}

Test(flat, psets_deduplicate)
{
	struct acl_psets t;
	struct acl_ports a = P(80, 80), b = P(443, 443);

	acl_psets_init(&t);
	uint32_t x = acl_psets_of(&t, &a, ACL_TCP), y = acl_psets_of(&t, &b, ACL_TCP);
	cr_assert_neq(x, y);
	cr_assert_eq(acl_psets_of(&t, &a, ACL_TCP), x);
	cr_assert_neq(acl_psets_of(&t, &a, ACL_ANY_PROTO), x);
	for (unsigned i = 0; i < 300; i++) { /* forces rehashing */
		struct acl_ports p = P(i + 1, i + 1);
		acl_psets_of(&t, &p, ACL_UDP);
	}
	cr_assert_eq(acl_psets_of(&t, &b, ACL_TCP), y);
	cr_assert_eq(t.n, 303);
	acl_psets_free(&t);
}

Test(flat, nested_entries_union_and_split)
{
	struct acl_psets t;
	struct acl_flat f;
	struct acl_ports p80 = P(80, 80), p443 = P(443, 443);

	acl_psets_init(&t);
	uint32_t s80 = acl_psets_of(&t, &p80, ACL_TCP), s443 = acl_psets_of(&t, &p443, ACL_UDP);
	/* 10.0.0.0/24 tcp 80, and inside it 10.0.0.8/29 udp 443 */
	struct acl_flat_in in[] = { { 0x0a000008, 0x0a00000f, s443 }, { 0x0a000000, 0x0a0000ff, s80 } };
	acl_flat_build(ACL_V4, in, 2, &t, &f);
	cr_assert_eq(f.n, 3);
	cr_assert(f.iv[0].lo == 0x0a000000 && f.iv[0].hi == 0x0a000007 && f.iv[0].set == s80);
	cr_assert(f.iv[1].lo == 0x0a000008 && f.iv[1].hi == 0x0a00000f);
	cr_assert(has(&t, f.iv[1].set, 0, 80) && has(&t, f.iv[1].set, 1, 443));
	cr_assert(!has(&t, f.iv[1].set, 1, 80) && !has(&t, f.iv[1].set, 0, 443));
	cr_assert(f.iv[2].lo == 0x0a000010 && f.iv[2].hi == 0x0a0000ff && f.iv[2].set == s80);
	cr_assert_eq(acl_flat_lookup(&f, 0x09ffffff), -1);
	cr_assert_eq(acl_flat_lookup(&f, 0x0a000100), -1);
	acl_flat_free(&f);
	acl_psets_free(&t);
}

Test(flat, neighbours_with_one_set_merge)
{
	struct acl_psets t;
	struct acl_flat f;
	struct acl_ports p = P(1, 65535);

	acl_psets_init(&t);
	uint32_t s = acl_psets_of(&t, &p, ACL_ANY_PROTO);
	struct acl_flat_in in[] = { { 10, 19, s }, { 0, 9, s }, { 15, 30, s }, { 40, 41, s } };
	acl_flat_build(ACL_V4, in, 4, &t, &f);
	cr_assert_eq(f.n, 2);
	cr_assert(f.iv[0].lo == 0 && f.iv[0].hi == 30 && f.iv[1].lo == 40 && f.iv[1].hi == 41);
	acl_flat_free(&f);
	acl_psets_free(&t);
}

Test(flat, whole_ipv6_space)
{
	struct acl_psets t;
	struct acl_flat f;
	struct acl_ports p = P(443, 443);
	acl_u128 max = acl_family_max(ACL_V6);

	acl_psets_init(&t);
	uint32_t s = acl_psets_of(&t, &p, ACL_TCP);
	struct acl_flat_in in[] = { { 0, max, s }, { max, max, s } };
	acl_flat_build(ACL_V6, in, 2, &t, &f);
	cr_assert_eq(f.n, 1);
	cr_assert(f.iv[0].lo == 0 && f.iv[0].hi == max);
	acl_flat_free(&f);
	acl_psets_free(&t);
}

static void count_entry(const struct acl_ports *p, int proto, void *arg)
{
	int *n = arg;

	cr_assert_leq(p->n, ACL_MAX_PRANGES);
	n[proto]++;
}

Test(flat, port_sets_back_to_entries)
{
	struct acl_pbits *b = malloc(sizeof(*b));
	struct acl_ports p = P(53, 53);
	int n[4] = { 0 };

	acl_pbits_clear(b);
	acl_pbits_add(b, &p, ACL_ANY_PROTO);
	acl_pbits_entries(b, count_entry, n);
	cr_assert(n[ACL_ANY_PROTO] == 1 && n[ACL_TCP] == 0 && n[ACL_UDP] == 0);
	/* 40 separate TCP ports: two entries, none for UDP but port 53 */
	for (unsigned i = 0; i < 40; i++) {
		struct acl_ports q = P(1000 + 2 * i, 1000 + 2 * i);
		acl_pbits_add(b, &q, ACL_TCP);
	}
	memset(n, 0, sizeof(n));
	acl_pbits_entries(b, count_entry, n);
	cr_assert(n[ACL_TCP] == 2 && n[ACL_UDP] == 1 && n[ACL_ANY_PROTO] == 0);
	free(b);
}

/* Random overlapping CIDR-ish intervals over a small space: every address's
 * set must be exactly the union of the entries covering it. */
Test(flat, random_against_brute_force)
{
	enum { SPACE = 4096, N = 300 };
	struct acl_psets t;
	struct acl_flat f;
	struct acl_flat_in in[N], copy[N];
	struct acl_pbits *want = malloc(sizeof(*want));

	srand(7);
	acl_psets_init(&t);
	for (int i = 0; i < N; i++) {
		struct acl_ports p = P((unsigned)(rand() % 100 + 1), (unsigned)(rand() % 100 + 101));
		unsigned len = (unsigned)(rand() % 9), lo = (unsigned)(rand() % SPACE) & ~((1u << len) - 1);
		in[i] = (struct acl_flat_in){ lo, lo + (1u << len) - 1,
					      acl_psets_of(&t, &p, rand() % 3 + 1) };
	}
	memcpy(copy, in, sizeof(in));
	acl_flat_build(ACL_V4, in, N, &t, &f);
	for (size_t i = 1; i < f.n; i++)
		cr_assert(f.iv[i - 1].hi < f.iv[i].lo &&
			  (f.iv[i - 1].hi + 1 < f.iv[i].lo || f.iv[i - 1].set != f.iv[i].set));
	for (unsigned a = 0; a < SPACE + 10; a++) {
		bool any = false;
		acl_pbits_clear(want);
		for (int i = 0; i < N; i++)
			if (copy[i].lo <= a && a <= copy[i].hi) {
				any = true;
				for (int w = 0; w < 2 * ACL_PWORDS; w++)
					(&want->w[0][0])[w] |= (&t.v[copy[i].set].w[0][0])[w];
			}
		long got = acl_flat_lookup(&f, a);
		cr_assert_eq(got >= 0, any, "address %u", a);
		if (any)
			cr_assert(memcmp(&t.v[got], want, sizeof(*want)) == 0, "address %u", a);
	}
	free(want);
	acl_flat_free(&f);
	acl_psets_free(&t);
}
