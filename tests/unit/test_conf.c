/* conf's copies of small sets (bpf/conf.h): what the loader writes, and
 * the checks inspect makes of them against the maps. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "acl/addr.h"
#include "bpf/conf.h"

static struct acl_cidr cidr(const char *s)
{
	struct acl_cidr c;
	struct acl_err e;

	cr_assert_eq(acl_cidr_parse(s, strlen(s), &c, &e), 0, "%s", s);
	return c;
}

Test(conf, lists_hold_what_was_added_and_no_more)
{
	struct netacl_conf c;
	struct acl_cidr a = cidr("10.1.2.0/24"), b = cidr("10.1.2.3/32"), v6 = cidr("::1/128");

	memset(&c, 0, sizeof(c));
	cr_assert(conf_list_add(&c, 0, &a, 3));
	cr_assert(conf_list_add(&c, 1, &v6, 4));
	/* network order, mask of the length */
	cr_assert_eq(c.list4[0].net, htonl(0x0a010200));
	cr_assert_eq(c.list4[0].mask, htonl(0xffffff00));
	cr_assert_eq(c.list6[0].mask[3], 0xffffffff);
	cr_assert_eq(c.list6[0].net[3], htonl(1));
	cr_assert(conf_list_has(&c, 0, &a, 3));
	cr_assert(!conf_list_has(&c, 0, &a, 4), "another set");
	cr_assert(!conf_list_has(&c, 0, &b, 3), "another length");
	cr_assert(conf_list_has(&c, 1, &v6, 4));
	cr_assert(!conf_list_has(&c, 0, &v6, 4), "another family's list");
	for (int i = 1; i < NETACL_LIST; i++)
		cr_assert(conf_list_add(&c, 0, &b, 1));
	cr_assert(!conf_list_add(&c, 0, &b, 1), "past NETACL_LIST");
	cr_assert_eq(c.nlist[0], NETACL_LIST);
}

static struct acl_pbits bits(int proto, const unsigned (*r)[2], size_t n)
{
	struct acl_pbits b;
	struct acl_ports p = { 0 };
	struct acl_err e;

	for (size_t i = 0; i < n; i++)
		cr_assert_eq(acl_ports_add(&p, r[i][0], r[i][1], &e), 0);
	acl_pbits_clear(&b);
	acl_pbits_add(&b, &p, proto);
	return b;
}

Test(conf, port_sets_copied_when_small_and_checked)
{
	static const unsigned one[][2] = { { 80, 80 } };
	static const unsigned five[][2] = { { 1, 1 }, { 3, 3 }, { 5, 5 }, { 7, 7 }, { 9, 9 } };
	struct acl_pbits sets[2] = { bits(ACL_TCP, one, 1), bits(ACL_UDP, five, 5) };
	struct netacl_conf c;

	memset(&c, 0, sizeof(c));
	conf_psets(sets, 2, &c);
	cr_assert_eq(c.npsets, 2);
	cr_assert_eq(c.pset[0].n[0], 1);
	cr_assert_eq(c.pset[0].r[0][0].lo, 80);
	cr_assert_eq(c.pset[0].r[0][0].hi, 80);
	cr_assert_eq(c.pset[0].n[1], 0, "no UDP ports");
	cr_assert_eq(c.pset[1].n[1], NETACL_PSET_MAP, "five ranges: the map");
	cr_assert(conf_psets_agree(&c, sets, 2));
	c.pset[0].r[0][0].hi = 81;
	cr_assert(!conf_psets_agree(&c, sets, 2), "a range changed");
	c.pset[0].r[0][0].hi = 80;
	c.pset[0].n[1] = 1;
	cr_assert(!conf_psets_agree(&c, sets, 2), "a range added");
	c.pset[0].n[1] = 0;
	cr_assert(!conf_psets_agree(&c, sets, 1), "more copies than sets");
	c.pset[0].n[0] = NETACL_PSET_MAP;
	cr_assert(conf_psets_agree(&c, sets, 2), "ask the map: always right");
}

Test(conf, blocks_checked)
{
	struct acl_set d[2];
	struct acl_cidr ten = cidr("10.0.0.0/8"), half = cidr("11.0.0.0/9");
	struct netacl_conf c;

	acl_set_init(&d[0], ACL_V4);
	acl_set_init(&d[1], ACL_V6);
	acl_set_add_cidr(&d[0], &ten);
	acl_set_add_cidr(&d[0], &half);
	acl_set_normalise(&d[0]);
	memset(&c, 0, sizeof(c));
	cr_assert(conf_blocks_agree(&c, 0, &d[0]), "0: ask the trie");
	conf_blocks(d, &c);
	cr_assert_eq(c.blocks[0][0] >> 20 & 3, NETACL_BLOCK_ALL);   /* 10 */
	cr_assert_eq(c.blocks[0][0] >> 22 & 3, 0);                  /* 11: some */
	cr_assert_eq(c.blocks[0][0] >> 24 & 3, NETACL_BLOCK_NONE);  /* 12 */
	cr_assert(conf_blocks_agree(&c, 0, &d[0]));
	cr_assert(conf_blocks_agree(&c, 1, &d[1]));
	c.blocks[0][0] ^= (uint64_t)3 << 20; /* 10: ALL -> NONE */
	cr_assert(!conf_blocks_agree(&c, 0, &d[0]));
	c.blocks[0][0] ^= (uint64_t)3 << 20;
	c.blocks[0][0] |= (uint64_t)NETACL_BLOCK_ALL << 22; /* 11: some -> ALL */
	cr_assert(!conf_blocks_agree(&c, 0, &d[0]));
	acl_set_free(&d[0]);
	acl_set_free(&d[1]);
}

/* a set of family f: [lo, hi] intervals, normalised */
static struct acl_set ivs(int f, const acl_u128 (*iv)[2], size_t n)
{
	struct acl_set s;

	acl_set_init(&s, f);
	for (size_t i = 0; i < n; i++)
		acl_set_add(&s, iv[i][0], iv[i][1]);
	acl_set_normalise(&s);
	return s;
}

Test(conf, exemptions_hold_no_denied_address)
{
	/* 10/8 less 10.1.2.0/24; 11/8 less six single addresses; ::/8 less ::1 */
	const acl_u128 v4[][2] = {
		{ 0x0a000000, 0x0a0101ff }, { 0x0a010300, 0x0affffff },
		{ 0x0b000000, 0x0b000000 }, { 0x0b000002, 0x0b000002 }, { 0x0b000004, 0x0b000004 },
		{ 0x0b000006, 0x0b000006 }, { 0x0b000008, 0x0b000008 }, { 0x0b00000a, 0x0b00000a },
		{ 0x0b00000c, 0x0bffffff },
	};
	const acl_u128 v6[][2] = { { 0, 0 }, { 2, ((acl_u128)1 << 120) - 1 } };
	struct acl_set d[2] = { ivs(ACL_V4, v4, 9), ivs(ACL_V6, v6, 2) };
	struct netacl_conf c;
	struct netacl_ex x;

	memset(&c, 0, sizeof(c));
	conf_exempt(d, &c, &x);
	cr_assert_eq(c.flags, NETACL_EXEMPT4 | NETACL_EXEMPT6);
	cr_assert_eq(x.n[0], NETACL_EX, "10.1.2.0/24 and the first three of 11/8's: %u", x.n[0]);
	cr_assert_eq(x.v4[0].net, htonl(0x0a010200));
	cr_assert_eq(x.v4[0].mask, htonl(0xffffff00));
	cr_assert_eq(x.n[1], 1);
	cr_assert_eq(x.v6[0].net[3], htonl(1), "::1");
	cr_assert_eq(x.v6[0].mask[0] & x.v6[0].mask[3], 0xffffffff);
	cr_assert(conf_exempt_agree(&c, &x, 0, &d[0]));
	cr_assert(conf_exempt_agree(&c, &x, 1, &d[1]));
	cr_assert(!conf_exempt_agree(&c, NULL, 0, &d[0]), "said to be read, and no map");
	x.v4[1].net = htonl(0x0a010300); /* denied */
	cr_assert(!conf_exempt_agree(&c, &x, 0, &d[0]), "a denied address exempted");
	x.v4[1] = x.v4[0];
	x.v4[1].mask = htonl(0xffff00ff);
	cr_assert(!conf_exempt_agree(&c, &x, 0, &d[0]), "not a prefix's mask");
	x.v4[1] = x.v4[0];
	x.v4[1].net = htonl(0x0a010201);
	cr_assert(!conf_exempt_agree(&c, &x, 0, &d[0]), "a bit past the prefix");
	x.v4[1] = x.v4[0];
	cr_assert(conf_exempt_agree(&c, &x, 0, &d[0]));
	x.n[0] = NETACL_EX + 1;
	cr_assert(!conf_exempt_agree(&c, &x, 0, &d[0]), "more than there is room for");
	c.flags &= ~NETACL_EXEMPT4;
	cr_assert(conf_exempt_agree(&c, &x, 0, &d[0]), "not read: always right");
	cr_assert(conf_exempt_agree(&c, NULL, 0, &d[0]), "not read, no map: right");
	x.v6[0].net[3] = 0; /* ::, denied */
	cr_assert(!conf_exempt_agree(&c, &x, 1, &d[1]));
	/* a deny table without exemptions: none, and no flag */
	memset(&c, 0, sizeof(c));
	acl_set_free(&d[0]);
	d[0] = ivs(ACL_V4, v4 + 8, 1);
	conf_exempt(d, &c, &x);
	cr_assert_eq(x.n[0], 0);
	cr_assert_eq(c.flags & NETACL_EXEMPT4, 0);
	acl_set_free(&d[0]);
	acl_set_free(&d[1]);
}

Test(conf, an_exemption_around_a_denied_address_is_not_copied)
{
	/* 10/8 less 10.1/16, but 10.1.5.5 again: the trie's 10.1/16 entry
	 * (out) holds a denied address, so ex does not have it */
	const acl_u128 v4[][2] = { { 0x0a000000, 0x0a00ffff }, { 0x0a010505, 0x0a010505 },
				   { 0x0a020000, 0x0affffff } };
	const acl_u128 v6[][2] = { { 0, 0 } };
	struct acl_set d[2] = { ivs(ACL_V4, v4, 3), ivs(ACL_V6, v6, 1) };
	struct netacl_conf c;
	struct netacl_ex x;

	memset(&c, 0, sizeof(c));
	conf_exempt(d, &c, &x);
	for (uint32_t i = 0; i < x.n[0]; i++)
		cr_assert_neq(x.v4[i].mask, htonl(0xffff0000), "10.1/16 copied");
	cr_assert(conf_exempt_agree(&c, &x, 0, &d[0]));
	x.n[0] = 1;
	x.v4[0] = (struct netacl_net4){ htonl(0x0a010000), htonl(0xffff0000), 0 };
	c.flags |= NETACL_EXEMPT4;
	cr_assert(!conf_exempt_agree(&c, &x, 0, &d[0]), "10.1/16 holds 10.1.5.5");
	acl_set_free(&d[0]);
	acl_set_free(&d[1]);
}

/* range4_set of bpf/netacl.bpf.c (four ways a step, no branch on the
 * data there, no bound: lo is all ones past n), over a range4 in memory */
static int range4_lookup(const struct netacl_range4 *r, uint32_t a)
{
	uint32_t base = 0, step = r->step, n = r->n, i;

	if (!n)
		return -1;
	for (int k = 0; k < NETACL_RANGE_STEPS && step; k++, step >>= 2) {
		uint32_t j = base, ahead = 0;

		for (int t = 1; t < 4; t++) {
			j += step;
			ahead += (uint32_t)(~((uint64_t)a - r->lo[j & (NETACL_RANGES - 1)]) >> 63);
		}
		base += ahead * step;
	}
	i = (base < n ? base : n - 1) & (NETACL_RANGES - 1);
	if (a < r->lo[i] || a > r->hi[i])
		return -1;
	return (int)r->set[i];
}

Test(conf, range4_merges_touching_entries_of_one_set)
{
	/* out of order; .4-.7 touches .0-.3 (same set) and .8 (another) */
	struct conf_iv v[] = { { 0x0a000004, 0x0a000007, 1 }, { 0x0a000000, 0x0a000003, 1 },
			       { 0x0a000008, 0x0a000008, 2 }, { 0xffffffff, 0xffffffff, 1 },
			       { 0, 0, 1 } };
	static struct netacl_range4 r;

	cr_assert(conf_range4(v, 5, &r));
	cr_assert_eq(r.n, 4);
	cr_assert_eq(r.step, 1);
	cr_assert_eq(r.lo[1], 0x0a000000);
	cr_assert_eq(r.hi[1], 0x0a000007);
	cr_assert_eq(r.set[2], 2);
	cr_assert_eq(range4_lookup(&r, 0), 1);
	cr_assert_eq(range4_lookup(&r, 1), -1);
	cr_assert_eq(range4_lookup(&r, 0x0a000005), 1);
	cr_assert_eq(range4_lookup(&r, 0x0a000008), 2);
	cr_assert_eq(range4_lookup(&r, 0x0a000009), -1);
	cr_assert_eq(range4_lookup(&r, 0xfffffffe), -1);
	cr_assert_eq(range4_lookup(&r, 0xffffffff), 1);
	/* one interval: no step */
	struct conf_iv one = { 0x0a000004, 0x0a000007, 1 };

	cr_assert(conf_range4(&one, 1, &r));
	cr_assert_eq(r.n, 1);
	cr_assert_eq(r.step, 0);
	cr_assert_eq(range4_lookup(&r, 0x0a000004), 1);
	cr_assert_eq(range4_lookup(&r, 0x0a000003), -1);
}

/* Every edge of n random disjoint intervals, for n around each step's
 * bounds: the address before, the first, the last, the one after. */
Test(conf, range4_answers_every_edge)
{
	static const uint32_t ns[] = { 2, 3, 4, 5, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1023, 1024,
				       1025, 4095, 4096 };
	static struct netacl_range4 r;
	static struct conf_iv v[NETACL_RANGES];

	srandom(7);
	for (size_t t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		uint32_t n = ns[t], at = (uint32_t)random() % 8;

		for (uint32_t i = 0; i < n; i++) { /* gaps of 1 to 8, lengths 1 to 8 */
			uint32_t len = 1 + (uint32_t)random() % 8;

			v[i] = (struct conf_iv){ at, at + len - 1, i };
			at += len + 1 + (uint32_t)random() % 8;
		}
		cr_assert(conf_range4(v, n, &r));
		cr_assert_eq(r.n, n);
		/* the least power of four whose four times is at least n */
		cr_assert(r.step * 4 >= n && r.step < n && !(r.step & (r.step - 1)) &&
			  __builtin_ctz(r.step) % 2 == 0, "n %u: step %u", n, r.step);
		for (uint32_t i = 0; i < n; i++) {
			cr_assert_eq(range4_lookup(&r, r.lo[i]), (int)i, "n %u: lo of %u", n, i);
			cr_assert_eq(range4_lookup(&r, r.hi[i]), (int)i, "n %u: hi of %u", n, i);
			cr_assert_eq(range4_lookup(&r, r.hi[i] + 1), -1, "n %u: past %u", n, i);
			if (r.lo[i])
				cr_assert_eq(range4_lookup(&r, r.lo[i] - 1), -1, "n %u: before %u", n, i);
		}
		cr_assert_eq(range4_lookup(&r, 0xffffffff), -1, "n %u: the highest", n);
		cr_assert(conf_range4_agree(&r, v, n));
	}
}

Test(conf, range4_refuses_too_many_and_checks_its_copy)
{
	static struct conf_iv v[NETACL_RANGES + 1];
	static struct netacl_range4 r;

	for (uint32_t i = 0; i <= NETACL_RANGES; i++)
		v[i] = (struct conf_iv){ 2 * i, 2 * i, 0 };
	cr_assert(!conf_range4(v, NETACL_RANGES + 1, &r));
	cr_assert(conf_range4(v, NETACL_RANGES, &r));
	cr_assert_eq(r.step, 1024);
	cr_assert(conf_range4_agree(&r, v, NETACL_RANGES));
	cr_assert_eq(range4_lookup(&r, 2 * (NETACL_RANGES - 1)), 0);
	cr_assert_eq(range4_lookup(&r, 2 * NETACL_RANGES - 1), -1);
	r.hi[7]++; /* an address the maps do not hold */
	cr_assert(!conf_range4_agree(&r, v, NETACL_RANGES));
	r.hi[7]--;
	r.set[9] = 1;
	cr_assert(!conf_range4_agree(&r, v, NETACL_RANGES));
	r.set[9] = 0;
	r.n--; /* one left out */
	cr_assert(!conf_range4_agree(&r, v, NETACL_RANGES));
}

Test(conf, range6_holds_halves_and_checks_its_copy)
{
	acl_u128 a = cidr("2001:db8::").v, b = cidr("2001:db8:1::").v;
	struct conf_iv v[] = { { b, b | 0xffff, 2 }, { a + 1, a + 3, 1 }, { a + 4, a + 4, 1 } };
	static struct netacl_range6 r;

	cr_assert(conf_range6(v, 3, &r));
	cr_assert_eq(r.n, 2); /* ::1-::3 and ::4, one set: one interval */
	cr_assert_eq(r.step, 1);
	cr_assert_eq(r.lo[0][0], 0x20010db800000000ull);
	cr_assert_eq(r.lo[0][1], 1);
	cr_assert_eq(r.hi[0][1], 4);
	cr_assert_eq(r.lo[1][0], 0x20010db800010000ull);
	cr_assert_eq(r.hi[1][1], 0xffff);
	cr_assert_eq(r.set[1], 2);
	struct conf_iv w[] = { { a + 1, a + 4, 1 }, { b, b | 0xffff, 2 } };

	cr_assert(conf_range6_agree(&r, w, 2));
	r.hi[1][0]++;
	cr_assert(!conf_range6_agree(&r, w, 2));
}
