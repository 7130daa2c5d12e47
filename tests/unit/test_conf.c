/* conf's copies of small sets (bpf/conf.h): what the loader writes, and
 * the checks inspect makes of them against the maps. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
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
