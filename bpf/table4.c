/* table4: build, read back, convert (bpf/netacl-api.h has the layout). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <bpf/bpf.h>

#include "acl/set.h"
#include "bpf/netacl-api.h"
#include "bpf/sys.h"
#include "bpf/table4.h"

/* Where an address goes: its chunk (1..n), home slot, and the 16 bits
 * of m its slot keeps. */
struct place {
	uint32_t chunk, home, rem;
};

static struct place place_of(uint32_t addr, uint32_t seed, uint32_t n)
{
	uint64_t m = (uint64_t)((addr ^ seed) * NETACL_HASH1) * n;
	uint32_t low = (uint32_t)m;

	return (struct place){ 1 + (uint32_t)(m >> 32), low >> 20, low >> 4 & 0xffff };
}

/* m is within 16 of what chunk, home and e's 16 bits say, and y * n = m
 * has one answer there (n >= 16). */
bool table4_slot_addr(uint32_t k, uint32_t i, uint32_t e, uint32_t n, uint32_t seed, uint32_t *addr)
{
	uint32_t home = (i - (e >> 16 & 31)) & (NETACL_CHUNK - 1);
	uint64_t lo = (uint64_t)(k - 1) << 32 | (uint64_t)home << 20 | (uint64_t)(e & 0xffff) << 4;
	uint64_t y = (lo + n - 1) / n;

	if (n == 0 || y * n >= lo + 16 || y > UINT32_MAX)
		return false;
	*addr = (uint32_t)y * NETACL_HASH1_INV ^ seed;
	return true;
}

/* Put (p, set) into chunk c, Robin Hood: one further from its home than
 * the address in a slot takes the slot, and that one moves on.  False
 * when some address would be NETACL_PROBES or more from its home. */
static bool table_put(struct netacl_chunk *c, struct place p, uint32_t set)
{
	uint32_t in = set << 21 | p.rem, d = 0; /* in is d slots from its home */

	for (uint32_t i = 0; i < NETACL_CHUNK && d < NETACL_PROBES; i++, d++) {
		uint32_t *e = &c->e[(p.home + i) & (NETACL_CHUNK - 1)], de;

		if (*e == NETACL_T4_EMPTY) {
			*e = in | d << 16;
			return true;
		}
		de = *e >> 16 & 31;
		if (de < d) {
			uint32_t t = *e & ~(31u << 16);

			*e = in | d << 16;
			in = t;
			d = de;
		}
	}
	return false;
}

bool table4_fill(const unsigned char *keys, const uint32_t *sets, size_t count,
		 struct netacl_chunk *c, uint32_t n, uint32_t seed)
{
	memset(c, 0xff, (n + 1) * sizeof(*c)); /* every slot NETACL_T4_EMPTY */
	for (uint32_t i = 0; i <= n; i++)
		c[i].n = c[i].seed = 0;
	c[0].n = n;
	c[0].seed = seed;
	for (size_t i = 0; i < count && n; i++) {
		uint32_t be;

		memcpy(&be, keys + 4 * i, 4);
		struct place p = place_of(ntohl(be), seed, n);

		if (!table_put(&c[p.chunk], p, sets[i]))
			return false;
	}
	return true;
}

/* Is map fd, element by element, the n chunks (and element 0) of c? */
static bool table_same(const struct netacl_chunk *c, uint32_t n, int fd)
{
	struct bpf_map_info info = sys_map_info(fd);
	struct netacl_chunk *k = malloc(sizeof(*k));
	bool same = k && info.value_size == sizeof(*k) && info.max_entries == n + 1;

	for (uint32_t i = 0; same && i <= n; i++)
		same = bpf_map_lookup_elem(fd, &i, k) == 0 && memcmp(k, &c[i], sizeof(*k)) == 0;
	free(k);
	return same;
}

static uint32_t fresh_seed(void)
{
	uint32_t seed;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint32_t)time(NULL) * NETACL_HASH2 ^ (uint32_t)getpid();
	return seed;
}

/* At most 3/4 full, with a fresh seed or larger until every address is
 * within its probes; -ENOSPC past twice the size.  A reload tries the
 * live table's seed first: a table that comes out the same as the live
 * one, as it does when the addresses did not change, is that map, not
 * a second copy of it (the kernel then holds one table, not two, while
 * the generations switch).  The seed stays secret all the same. */
int table4_make(const unsigned char *keys, const uint32_t *sets, size_t count,
		const struct table4_live *live, uint32_t *t4_n, uint32_t *t4_seed)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_INNER_MAP);
	uint32_t n0 = count ? (uint32_t)((count * 4 + 3 * NETACL_CHUNK - 1) / (3 * NETACL_CHUNK)) : 0;
	uint32_t n = n0 && n0 < 16 ? 16 : n0, seed = 0, *ks;
	struct netacl_chunk *c = NULL;
	int fd, err;

	for (size_t i = 0; i < count; i++)
		if (sets[i] >= NETACL_T4_SETS)
			return -ENOSPC;
	for (int tries = 0;; tries++) {
		bool again = tries == 0 && live && live->fd >= 0 && live->n == n && n;

		seed = again ? live->seed : fresh_seed();
		c = acl_xrealloc(c, (n + 1) * sizeof(*c));
		if (table4_fill(keys, sets, count, c, n, seed) && !(n && sys_fault("table4-full"))) {
			if (again && table_same(c, n, live->fd)) {
				free(c);
				*t4_n = n;
				*t4_seed = seed;
				fd = fcntl(live->fd, F_DUPFD_CLOEXEC, 0);
				return fd < 0 ? -errno : fd;
			}
			break;
		}
		if (tries % 4 == 3)
			n += n / 8 + 1;
		if (n > 2 * n0 + 16) {
			free(c);
			return -ENOSPC;
		}
	}
	*t4_n = n;
	*t4_seed = seed;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "table4", 4, sizeof(*c), n + 1, &o);
	ks = malloc((n + 1) * sizeof(*ks));
	if (!ks)
		abort();
	for (uint32_t i = 0; i <= n; i++)
		ks[i] = i;
	err = fd < 0 ? -errno : sys_map_update_all(fd, ks, 4, c, sizeof(*c), n + 1);
	free(ks);
	free(c);
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

bool table4_is_old(int fd)
{
	return sys_map_info(fd).value_size == sizeof(struct netacl_chunk8);
}

int table4_each(int fd, uint32_t want_n, uint32_t want_seed,
		void (*fn)(uint32_t addr, uint32_t set, void *), void *arg)
{
	bool old = table4_is_old(fd);
	struct netacl_chunk8 *c = malloc(sizeof(*c)); /* the larger of the two */
	const struct netacl_chunk *c4 = (const void *)c;
	uint32_t k = 0, n, seed, a;
	int err = 0;

	if (!c)
		abort();
	if (!old && sys_map_info(fd).value_size != sizeof(*c4))
		err = -EPROTO;
	if (!err && bpf_map_lookup_elem(fd, &k, c))
		err = -errno;
	n = err ? 0 : c->n;
	seed = err ? 0 : c->seed;
	if (!err && want_n && (want_n != n || want_seed != seed))
		err = -EBADMSG;
	for (k = 1; k <= n && !err; k++) {
		if (bpf_map_lookup_elem(fd, &k, c)) {
			err = -errno;
			break;
		}
		for (uint32_t i = 0; i < NETACL_CHUNK && !err; i++) {
			if (old && c->e[i].set != NETACL_NO_SET)
				fn(c->e[i].addr, c->e[i].set, arg);
			else if (!old && c4->e[i] != NETACL_T4_EMPTY && !table4_slot_addr(k, i, c4->e[i], n, seed, &a))
				err = -EBADMSG;
			else if (!old && c4->e[i] != NETACL_T4_EMPTY)
				fn(a, c4->e[i] >> 21, arg);
		}
	}
	free(c);
	return err;
}

/* Addresses and sets, as table4_make takes them. */
struct entries {
	size_t n, cap;
	unsigned char *keys;
	uint32_t *sets;
};

static void collect(uint32_t addr, uint32_t set, void *arg)
{
	struct entries *x = arg;
	uint32_t be = htonl(addr);

	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 65536;
		x->keys = acl_xrealloc(x->keys, x->cap * 4);
		x->sets = acl_xrealloc(x->sets, x->cap * sizeof(*x->sets));
	}
	memcpy(x->keys + 4 * x->n, &be, 4);
	x->sets[x->n++] = set;
}

/* The kernel's hash of the entries, as exact4 (bpf/load.c). */
static int exact4_of(const struct entries *x)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "exact4", 4, 4, x->n ? (uint32_t)x->n : 1, NULL);
	int err = fd < 0 ? -errno : sys_map_update_all(fd, x->keys, 4, x->sets, 4, x->n);

	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

int table4_convert(int old_fd, uint32_t *t4_n, uint32_t *t4_seed, int *exact4)
{
	struct entries x = { 0 };
	int err = old_fd >= 0 ? table4_each(old_fd, 0, 0, collect, &x) : 0;
	int fd = err ? err : table4_make(x.keys, x.sets, x.n, NULL, t4_n, t4_seed);

	*exact4 = -1;
	if (fd == -ENOSPC) { /* as a load does: the kernel's hash, and an empty table */
		*exact4 = exact4_of(&x);
		fd = *exact4 < 0 ? *exact4 : table4_make(NULL, NULL, 0, NULL, t4_n, t4_seed);
		if (fd < 0 && *exact4 >= 0)
			close(*exact4);
	}
	free(x.keys);
	free(x.sets);
	return fd;
}
