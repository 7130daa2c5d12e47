/* table4's layout (bpf/netacl-api.h, bpf/table4.c): a filled table
 * answers every address with its set, and no other address, when asked
 * as the programs ask (table4_set in bpf/netacl.bpf.c, mirrored here),
 * and every slot in use reads back as the address put there. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/netacl-api.h"
#include "bpf/table4.h"

#define COUNT 70000

/* table4_set of bpf/netacl.bpf.c, over chunks in memory */
static int lookup(const struct netacl_chunk *c, uint32_t addr)
{
	uint32_t n = c[0].n, seed = c[0].seed;
	uint64_t m = (uint64_t)((addr ^ seed) * NETACL_HASH1) * n;
	const struct netacl_chunk *ch = &c[1 + (uint32_t)(m >> 32)];
	uint32_t low = (uint32_t)m, at = low >> 20, rem = low >> 4 & 0xffff;

	for (uint32_t i = 0; i < NETACL_PROBES; i++) {
		uint32_t e = ch->e[(at + i) & (NETACL_CHUNK - 1)], d = e >> 16 & 31;

		if (e == NETACL_T4_EMPTY || d < i)
			return -1;
		if (d == i && (e & 0xffff) == rem)
			return (int)(e >> 21);
	}
	return -1;
}

struct table {
	unsigned char keys[COUNT * 4];
	uint32_t addr[COUNT], sets[COUNT], n;
	struct netacl_chunk *c;
};

static int addr_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* COUNT distinct addresses (every third one of 10.0.0.0 on: neighbours
 * that are not in it), sets 0..NETACL_T4_SETS - 1, as table4_make sizes */
static void table_make(struct table *t, uint32_t seed)
{
	t->n = (COUNT * 4 + 3 * NETACL_CHUNK - 1) / (3 * NETACL_CHUNK);
	t->c = malloc((t->n + 1) * sizeof(*t->c));
	cr_assert(t->c);
	for (uint32_t i = 0; i < COUNT; i++) {
		uint32_t be = htonl(0x0a000000 + 3 * i);

		t->addr[i] = 0x0a000000 + 3 * i;
		t->sets[i] = i % NETACL_T4_SETS;
		memcpy(t->keys + 4 * i, &be, 4);
	}
	cr_assert(table4_fill(t->keys, t->sets, COUNT, t->c, t->n, seed), "seed %u", seed);
}

Test(table4, every_address_is_found_with_its_set_and_no_other)
{
	static struct table t;

	for (uint32_t seed = 1; seed < 4; seed++) {
		table_make(&t, seed * 0x9e3779b9u);
		for (uint32_t i = 0; i < COUNT; i++) {
			cr_assert_eq(lookup(t.c, t.addr[i]), (int)t.sets[i], "%08x", t.addr[i]);
			cr_assert_eq(lookup(t.c, t.addr[i] + 1), -1, "%08x", t.addr[i] + 1);
			cr_assert_eq(lookup(t.c, t.addr[i] + 2), -1, "%08x", t.addr[i] + 2);
		}
		free(t.c);
	}
}

Test(table4, every_slot_reads_back_as_its_address)
{
	static struct table t;
	static uint32_t back[COUNT];
	size_t k = 0;

	table_make(&t, 12345);
	for (uint32_t ch = 1; ch <= t.n; ch++)
		for (uint32_t i = 0; i < NETACL_CHUNK; i++) {
			uint32_t e = t.c[ch].e[i], a;

			if (e == NETACL_T4_EMPTY)
				continue;
			cr_assert(table4_slot_addr(ch, i, e, t.n, t.c[0].seed, &a));
			cr_assert_lt(k, COUNT);
			cr_assert_eq(lookup(t.c, a), (int)(e >> 21), "%08x", a);
			back[k++] = a;
		}
	cr_assert_eq(k, COUNT);
	qsort(back, k, sizeof(*back), addr_cmp);
	cr_assert_eq(memcmp(back, t.addr, sizeof(back)), 0);
	free(t.c);
}

Test(table4, a_full_chunk_is_refused)
{
	static struct table t;
	struct netacl_chunk *c = malloc(2 * sizeof(*c));

	cr_assert(c);
	table_make(&t, 7);
	free(t.c);
	/* one chunk for 70,000 addresses: some address is 32 or more from home */
	cr_assert_not(table4_fill(t.keys, t.sets, COUNT, c, 1, 7));
	free(c);
}
