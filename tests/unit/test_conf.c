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
