/* Loading: build a whole generation of maps, then switch to it with one
 * write of gen[0] (bpf/netacl-api.h).  A first load also verifies the
 * programs, pins everything, and attaches the programs with bpf_links. */
#define _GNU_SOURCE /* clone */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/attach.h"
#include "bpf/conf.h"
#include "bpf/events.h"
#include "bpf/load.h"

_Static_assert(NETACL_NAT64_MAX == ACL_NAT64_MAX, "meta holds every nat64: prefix");
#include "bpf/pins.h"
#include "bpf/progs.h"
#include "bpf/sys.h"
#include "bpf/table4.h"
#include "compiler/clock.h"
#include "compiler/diag.h"
#include "bpf/netacl.skel.h"

/* Serialise loads: an exclusive lock on the pin root (created if need be).
 * 0 and *fd a descriptor to close, or an exit status after saying why. */
static int enforce_lock(int *fd)
{
	int rc = sys_pin_root_create();

	if (rc)
		return rc;
	*fd = open(sys_pin_root(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0 || flock(*fd, LOCK_EX) != 0) {
		die_msg("cannot lock %s: %s", sys_pin_root(), strerror(errno));
		if (*fd >= 0)
			close(*fd);
		return EX_UNAVAILABLE;
	}
	return 0;
}

/* --- one generation: fresh inner maps, filled --- */

struct keys {
	size_t n, cap, ksize;
	unsigned char *k;
	uint32_t *v;
};

/* The address in network order, in the last n bytes of k. */
static void keys_push(struct keys *ks, const struct acl_cidr *c, uint32_t set)
{
	size_t n = c->family == ACL_V4 ? 4 : 16;
	unsigned char *k;

	if (ks->n == ks->cap) {
		ks->cap = ks->cap ? ks->cap * 2 : 1024;
		ks->k = acl_xrealloc(ks->k, ks->cap * ks->ksize);
		ks->v = acl_xrealloc(ks->v, ks->cap * sizeof(*ks->v));
	}
	k = ks->k + ks->n * ks->ksize;
	if (ks->ksize > n)
		*(uint32_t *)k = c->len; /* LPM key: prefix length first */
	acl_addr_to_bytes(c->v, k + ks->ksize - n, n);
	ks->v[ks->n++] = set;
}

static void keys_free(struct keys *ks)
{
	free(ks->k);
	free(ks->v);
}

/* Single addresses to the exact hash, prefixes to the trie. */
struct allow_keys {
	struct keys lpm, exact;
};

/* Every prefix to one trie (bindN). */
static void keys_lpm(const struct acl_cidr *c, uint32_t set, void *arg)
{
	keys_push(arg, c, set);
}

static void keys_add(const struct acl_cidr *c, uint32_t set, void *arg)
{
	struct allow_keys *ak = arg;

	keys_push(c->len == acl_width(c->family) ? &ak->exact : &ak->lpm, c, set);
}

/* denyN: 1 denied, 0 not (inside a denied prefix): acl_set_to_lpm */
static void keys_add_deny(const struct acl_cidr *c, bool in, void *arg)
{
	keys_push(arg, c, in);
}

/* Write keys [from, to) of ks; values are __u32 (allow) or __u8 (deny) by vsize. */
struct fill {
	int fd;
	const struct keys *ks;
	const unsigned char *vals;
	size_t vsize, from, to;
	int err;
	pthread_t thread;
	bool started;
};

static bool all_zero(const unsigned char *v, size_t size)
{
	return size == 0 || (v[0] == 0 && memcmp(v, v + 1, size - 1) == 0);
}

/* Elements 0..n-1 of the new array map fd, which the kernel made zero:
 * only the others are written (a port set is a few words of 2,048). */
static int array_fill(int fd, const void *vals, size_t vsize, size_t n)
{
	uint32_t *keys = malloc((n ? n : 1) * sizeof(*keys));
	unsigned char *packed = malloc((n ? n : 1) * vsize);
	size_t k = 0;
	int err;

	if (!keys || !packed)
		abort();
	for (size_t i = 0; i < n; i++) {
		const unsigned char *v = (const unsigned char *)vals + i * vsize;

		if (all_zero(v, vsize))
			continue;
		keys[k] = (uint32_t)i;
		memcpy(packed + k++ * vsize, v, vsize);
	}
	err = sys_map_update_all(fd, keys, sizeof(*keys), packed, vsize, k);
	free(keys);
	free(packed);
	return err;
}

static void *fill_range(void *arg)
{
	struct fill *f = arg;
	const struct keys *ks = f->ks;

	f->err = sys_map_update_all(f->fd, ks->k + f->from * ks->ksize, ks->ksize,
			    f->vals + f->from * f->vsize, f->vsize, f->to - f->from);
	return NULL;
}

/* A hash's updates take a lock per bucket: a large one fills from a
 * thread per CPU (a million entries: 0.47 s -> 0.2 s on 2 CPUs). */
#define FILL_THREADS 4
#define FILL_ALONE 65536

static int map_fill(int fd, const struct keys *ks, size_t vsize, bool parallel)
{
	unsigned char *vals = vsize == 4 ? (unsigned char *)ks->v : malloc(ks->n + 1);
	struct fill f[FILL_THREADS];
	long cpus = parallel && ks->n >= FILL_ALONE ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
	size_t nt = cpus < 1 ? 1 : cpus > FILL_THREADS ? FILL_THREADS : (size_t)cpus;
	int err = 0;

	if (!ks->n)
		return 0;
	if (!vals)
		abort();
	for (size_t i = 0; vsize == 1 && i < ks->n; i++)
		vals[i] = (unsigned char)ks->v[i];
	for (size_t t = 0; t < nt; t++) {
		f[t] = (struct fill){ .fd = fd, .ks = ks, .vals = vals, .vsize = vsize,
				      .from = ks->n * t / nt, .to = ks->n * (t + 1) / nt };
		f[t].started = t > 0 && pthread_create(&f[t].thread, NULL, fill_range, &f[t]) == 0;
	}
	for (size_t t = 0; t < nt; t++) {
		if (!f[t].started)
			fill_range(&f[t]);
		else
			pthread_join(f[t].thread, NULL);
		err = err ? err : f[t].err;
	}
	if (vsize == 1)
		free(vals);
	return err;
}

/* An LPM trie (the kernel requires BPF_F_NO_PREALLOC) or a hash. */
static int map_new(enum bpf_map_type type, const char *name, size_t ksize, size_t vsize, size_t n)
{
	LIBBPF_OPTS(bpf_map_create_opts, o,
		    .map_flags = type == BPF_MAP_TYPE_LPM_TRIE ? BPF_F_NO_PREALLOC : 0);
	int fd = bpf_map_create(type, name, (__u32)ksize, (__u32)vsize, (__u32)(n ? n : 1), &o);

	return fd < 0 ? -errno : fd;
}

static int map_filled(enum bpf_map_type type, const char *name, const struct keys *ks,
		      size_t vsize)
{
	int fd = map_new(type, name, ks->ksize, vsize, ks->n), err;

	if (fd < 0)
		return fd;
	/* a trie takes one lock: threads would only wait for it */
	err = map_fill(fd, ks, vsize, type == BPF_MAP_TYPE_HASH);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* More single IPv4 addresses than this go to table4 (netacl-api.h), not
 * to the exact4 hash: up to here a hash takes at most 5 MB. */
#define TABLE_FROM 65536

static int ports_new(const struct acl_psets *sets)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_INNER_MAP);
	size_t words = sets->n ? sets->n * 2 * NETACL_PORT_WORDS : 1;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ports", 4, 8, (__u32)words, &o);
	int err = fd < 0 ? -errno : 0;

	/* acl_pbits is laid out as NETACL_PORT_WORD expects: set, proto, word */
	if (!err && sets->n)
		err = array_fill(fd, sets->v, 8, words);
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

struct generation {
	int fd[NPINS]; /* PIN_FIRST_GEN.. */
	uint32_t entries[2];
	uint32_t flags;           /* NETACL_NO_EXACT4 ... NETACL_LIST6 */
	struct netacl_conf small; /* its conf's lists and table4's n and seed (bpf/conf.h) */
	struct netacl_range4 range4; /* with NETACL_RANGE4 in flags */
	struct netacl_range6 range6; /* with NETACL_RANGE6 */
	bool table4;   /* the single IPv4 addresses are in table4 */
};

static void generation_close(struct generation *g)
{
	for (int i = PIN_FIRST_GEN; i < NPINS; i++)
		if (g->fd[i] >= 0)
			close(g->fd[i]);
	for (int i = 0; i < NPINS; i++)
		g->fd[i] = -1;
}

/* legacy: for a target an older netacl loaded, whose programs know no
 * table4 and read every deny entry as denied (pins.h). */
static void keys_add_deny_cidr(const struct acl_cidr *c, void *arg)
{
	keys_push(arg, c, 1);
}

/* The single IPv4 addresses of ks: many in table4 (exact4 empty), else
 * in exact4 (table4 empty); a legacy target has no table4.  0 or -errno
 * of table4 (exact4's failure is seen with the other maps'). */
static int singles4(const struct keys *ks, bool legacy, struct generation *g,
		    const struct table4_live *live)
{
	struct keys none = { .ksize = ks->ksize };
	int fd = -1;

	g->table4 = !legacy && ks->n > TABLE_FROM;
	if (g->table4 && (fd = table4_make(ks->k, ks->v, ks->n, live, &g->small.t4_n,
					   &g->small.t4_seed)) == -ENOSPC)
		g->table4 = false; /* no table fits: the kernel's hash */
	if (!legacy && !g->table4)
		fd = table4_make(NULL, NULL, 0, NULL, &g->small.t4_n, &g->small.t4_seed);
	g->fd[PIN_TABLE4] = fd < 0 ? -1 : fd;
	g->fd[PIN_EXACT4] = map_filled(BPF_MAP_TYPE_HASH, pin_names[PIN_EXACT4],
				       g->table4 ? &none : ks, 4);
	return fd < 0 && !legacy ? fd : 0;
}

/* The bind4 and bind6 tries of a (netacl-api.h), even empty: the
 * programs look only when conf has NETACL_BIND, but every slot of a
 * generation map holds a map.  A target without bind pins gets none. */
static int binds_build(const struct allows *a, struct generation *g, bool no_bind)
{
	static const size_t ksize[2] = { sizeof(struct netacl_key4), sizeof(struct netacl_key6) };
	int err = 0;

	for (int f = 0; f < 2 && !no_bind && !err; f++) {
		struct keys ks = { .ksize = ksize[f] };
		int fd;

		acl_flat_cidrs(&a->bind[f], keys_lpm, &ks);
		fd = map_filled(BPF_MAP_TYPE_LPM_TRIE, pin_names[PIN_BIND4 + f], &ks, 4);
		g->fd[PIN_BIND4 + f] = fd < 0 ? -1 : fd;
		err = fd < 0 ? fd : 0;
		keys_free(&ks);
	}
	return err;
}

/* Entry i of ks (family index f; lpm: a trie key, else a bare address)
 * as the prefix it was pushed as. */
static struct acl_cidr key_cidr(const struct keys *ks, size_t i, int f, bool lpm)
{
	const unsigned char *k = ks->k + i * ks->ksize;
	struct acl_cidr c = { .family = f ? ACL_V6 : ACL_V4 };
	size_t off = lpm ? 4 : 0;
	uint32_t len;

	memcpy(&len, k, 4);
	c.len = (uint8_t)(lpm ? len : acl_width(c.family));
	c.v = acl_addr_from_bytes(k + off, ks->ksize - off);
	return c;
}

/* ks's entries into small's list of family index f; false (and the list
 * left empty) when there are more than it holds. */
static bool list_keys(const struct keys *ks, int f, bool lpm, struct netacl_conf *small)
{
	for (size_t i = 0; i < ks->n; i++) {
		struct acl_cidr c = key_cidr(ks, i, f, lpm);

		if (!conf_list_add(small, f, &c, ks->v[i])) {
			small->nlist[f] = 0;
			return false;
		}
	}
	return true;
}

/* Short IPv4 prefixes (/24 to /31) beside more single addresses than
 * table4 takes from are spread into it, address by address: an address
 * in one is then a table probe, not a walk of the trie, which takes
 * about as long as the rest of the verdict (670 prefixes of the bench:
 * 140 ns a verdict, a table hit 96).  At most half as many addresses
 * again as the singles, the longest prefixes first; the rest stay in
 * the trie.  inspect merges the addresses back (bpf/inspect.c). */
#define SPREAD_FROM 24

static void spread_prefixes4(struct allow_keys *ak)
{
	size_t per_len[33] = { 0 }, budget = ak->exact.n / 2, used = 0, k = 0;
	int from = 33;

	for (size_t i = 0; i < ak->lpm.n; i++) {
		uint32_t len = *(const uint32_t *)(ak->lpm.k + i * ak->lpm.ksize);

		per_len[len <= 32 ? len : 0]++;
	}
	for (int len = 31; len >= SPREAD_FROM; len--) {
		size_t more = per_len[len] << (32 - len);

		if (used + more > budget)
			break;
		used += more;
		from = len;
	}
	for (size_t i = 0; i < ak->lpm.n; i++) {
		struct acl_cidr p = key_cidr(&ak->lpm, i, 0, true), c = { .family = ACL_V4, .len = 32 };
		uint32_t set = ak->lpm.v[i];

		if (p.len < from) { /* stays: compacted in place */
			memmove(ak->lpm.k + k * ak->lpm.ksize, ak->lpm.k + i * ak->lpm.ksize, ak->lpm.ksize);
			ak->lpm.v[k++] = set;
			continue;
		}
		for (uint32_t j = 0; j < 1u << (32 - p.len); j++) {
			c.v = p.v + j;
			keys_push(&ak->exact, &c, set);
		}
	}
	ak->lpm.n = k;
}

/* A few entries of family f (exactN's, unless table4 has them, and
 * allowN's) go to conf's list as well (bpf/conf.h). */
static bool small_list(const struct allow_keys *ak, int f, bool table4, struct netacl_conf *small)
{
	if (ak->lpm.n + (table4 ? 0 : ak->exact.n) > NETACL_LIST)
		return false;
	return list_keys(&ak->lpm, f, true, small) &&
	       (table4 || list_keys(&ak->exact, f, false, small));
}

/* ks's entries of family index f (lpm: trie keys, else bare addresses)
 * onto v. */
static void ivs_push(const struct keys *ks, int f, bool lpm, struct conf_iv *v, size_t *n)
{
	for (size_t i = 0; i < ks->n; i++) {
		struct acl_cidr c = key_cidr(ks, i, f, lpm);

		v[(*n)++] = conf_iv_of(&c, ks->v[i]);
	}
}

/* The entries of family index f not in the list (exactN's, unless
 * table4 has them, and allowN's) as rangeN's intervals, when they fit
 * (bpf/conf.h). */
static bool range_build(const struct allow_keys *ak, int f, bool table4, struct generation *g)
{
	size_t n = 0, most = ak->lpm.n + (table4 ? 0 : ak->exact.n);
	struct conf_iv *v;
	bool ok;

	if (most == 0)
		return false;
	v = acl_xrealloc(NULL, most * sizeof(*v));
	ivs_push(&ak->lpm, f, true, v, &n);
	if (!table4)
		ivs_push(&ak->exact, f, false, v, &n);
	ok = f ? conf_range6(v, n, &g->range6) : conf_range4(v, n, &g->range4);
	free(v);
	return ok;
}

/* legacy: no table4, deny entries all 1 (pins.h); no_bind: no bindN. */
static int generation_build(const struct allows *a, struct generation *g, bool legacy,
			    bool no_bind, const struct table4_live *live)
{
	static const size_t ksize[2] = { sizeof(struct netacl_key4), sizeof(struct netacl_key6) };
	int err = 0;

	g->table4 = false;
	g->flags = 0;
	memset(&g->small, 0, sizeof(g->small));
	for (int i = 0; i < NPINS; i++)
		g->fd[i] = -1;
	for (int f = 0; f < 2 && !err; f++) {
		struct allow_keys ak = { .lpm.ksize = ksize[f], .exact.ksize = ksize[f] - 4 };
		struct keys deny = { .ksize = ksize[f] };
		int *fd = g->fd;

		acl_flat_cidrs(&a->flat[f], keys_add, &ak);
		if (legacy)
			acl_set_to_cidrs(&a->deny[f], keys_add_deny_cidr, &deny);
		else
			acl_set_to_lpm(&a->deny[f], keys_add_deny, &deny);
		g->entries[f] = (uint32_t)(ak.lpm.n + ak.exact.n);
		if (f == 0 && !legacy && ak.exact.n > TABLE_FROM)
			spread_prefixes4(&ak);
		g->flags |= (ak.lpm.n ? 0 : NETACL_NO_ALLOW4 << 2 * f) |
			    (ak.exact.n ? 0 : NETACL_NO_EXACT4 << 2 * f);
		fd[PIN_ALLOW4 + f] = map_filled(BPF_MAP_TYPE_LPM_TRIE, pin_names[PIN_ALLOW4 + f], &ak.lpm, 4);
		if (f == 0)
			err = singles4(&ak.exact, legacy, g, live);
		else
			fd[PIN_EXACT6] = map_filled(BPF_MAP_TYPE_HASH, pin_names[PIN_EXACT6], &ak.exact, 4);
		if (!legacy && ak.lpm.n + ak.exact.n &&
		    small_list(&ak, f, f == 0 && g->table4, &g->small))
			g->flags |= NETACL_LIST4 << f; /* none: NETACL_NO_* say so */
		else if (!legacy && range_build(&ak, f, f == 0 && g->table4, g))
			g->flags |= f ? NETACL_RANGE6 : NETACL_RANGE4;
		fd[PIN_DENY4 + f] = map_filled(BPF_MAP_TYPE_LPM_TRIE, pin_names[PIN_DENY4 + f], &deny, 1);
		for (int i = PIN_ALLOW4 + f; i <= PIN_DENY6; i += 2)
			if (fd[i] < 0) {
				err = err ? err : fd[i];
				fd[i] = -1;
			}
		keys_free(&ak.lpm), keys_free(&ak.exact), keys_free(&deny);
	}
	if (!err)
		err = g->fd[PIN_PORTS] = ports_new(&a->sets);
	if (err >= 0)
		err = binds_build(a, g, no_bind);
	if (err < 0) {
		generation_close(g);
		return err;
	}
	return 0;
}

/* Writing a slot of an array of maps waits for a grace period (every
 * running program done): seven writes one after another cost seven, so
 * they are made at once, one thread each, and the waits overlap. */
struct slot_write {
	int outer, inner; /* inner -1: delete the slot */
	uint32_t slot;
	int err;
	pthread_t thread;
	bool started;
};

static void *slot_write(void *arg)
{
	struct slot_write *w = arg;
	int rc = w->inner >= 0 ? bpf_map_update_elem(w->outer, &w->slot, &w->inner, BPF_ANY)
			       : bpf_map_delete_elem(w->outer, &w->slot);

	w->err = rc ? -errno : 0;
	return NULL;
}

/* Slot s of every generation map: g's maps, or (g NULL) none.  0 or the
 * first -errno (deleting an empty slot is no error). */
static int slots_write(const int *fd, uint32_t s, const struct generation *g)
{
	struct slot_write w[NPINS] = { 0 };
	int err = 0;

	for (int i = PIN_FIRST_GEN; i < NPINS; i++) {
		w[i] = (struct slot_write){ fd[i], g ? g->fd[i] : -1, s, 0, 0, false };
		if (fd[i] < 0) /* an older netacl's target: no such map */
			continue;
		w[i].started = pthread_create(&w[i].thread, NULL, slot_write, &w[i]) == 0;
		if (!w[i].started)
			slot_write(&w[i]); /* no thread: in line */
	}
	for (int i = PIN_FIRST_GEN; i < NPINS; i++) {
		if (w[i].started)
			pthread_join(w[i].thread, NULL);
		if (!err && w[i].err && !(!g && w[i].err == -ENOENT))
			err = w[i].err;
	}
	return err;
}

/* A first load's slot writes, each by a writer of its own: a process
 * that shares our memory and files (clone CLONE_VM | CLONE_FILES, not a
 * thread: our exit does not wait for it) and makes one bpf() call.  The
 * call puts the map in the slot at once, then waits for a grace period
 * (8-16 ms here) that only matters when a slot held a map before, which
 * a first load's never did: so we go on once the slot shows the map.
 * The writers only make system calls, on their own stacks. */
struct writer {
	int outer, inner;
	uint32_t slot, id; /* id: the inner map's, as the slot shows it */
	pid_t pid;         /* 0: none started */
	volatile int done, err;
	char stack[16384] __attribute__((aligned(16)));
};

static int writer_run(void *arg)
{
	struct writer *w = arg;
	union bpf_attr a = { .map_fd = (uint32_t)w->outer, .key = (uint64_t)(uintptr_t)&w->slot,
			     .value = (uint64_t)(uintptr_t)&w->inner, .flags = BPF_ANY };

	w->err = syscall(SYS_bpf, BPF_MAP_UPDATE_ELEM, &a, sizeof(a)) ? errno : 0;
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	syscall(SYS_exit, 0);
	return 0;
}

/* Has w's map arrived in its slot: 1, 0 not yet, or -errno. */
static int writer_landed(struct writer *w)
{
	uint32_t id = 0;

	if (bpf_map_lookup_elem(w->outer, &w->slot, &id) == 0 && id == w->id)
		return 1;
	if (__atomic_load_n(&w->done, __ATOMIC_ACQUIRE))
		return w->err ? -w->err : -EIO; /* done, and not there */
	return 0;
}

/* Wait for the writers of w (NPINS of them), then free w: a thread of
 * its own, so that no writer stays a zombie while we run (they send no
 * SIGCHLD), and our exit, which ends it, waits for none of them. */
static void *writers_reap(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < NPINS; i++)
		if (w[i].pid > 0)
			while (waitpid(w[i].pid, NULL, __WALL) < 0 && errno == EINTR)
				;
	munmap(w, NPINS * sizeof(*w));
	return NULL;
}

/* Slot s of every generation map, g's maps, of a first load: 0 once each
 * slot shows its map, or -errno.  The writers' memory is theirs until
 * they are done (they may outlive us). */
static int slots_post(const int *fd, uint32_t s, const struct generation *g)
{
	struct writer *w = mmap(NULL, NPINS * sizeof(*w), PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err = 0, left;

	if (w == MAP_FAILED)
		return slots_write(fd, s, g);
	for (int i = PIN_FIRST_GEN; i < NPINS && !err; i++) {
		if (fd[i] < 0)
			continue;
		w[i] = (struct writer){ .outer = fd[i], .inner = g->fd[i], .slot = s,
					.id = sys_map_info(g->fd[i]).id };
		if (!w[i].id) {
			err = -EBADF;
			break;
		}
		w[i].pid = clone(writer_run, w[i].stack + sizeof(w[i].stack),
				 CLONE_VM | CLONE_FILES | CLONE_FS, &w[i]);
		if (w[i].pid < 0)
			err = -errno;
		else /* ahead of the verifying threads, which have both CPUs */
			setpriority(PRIO_PROCESS, (id_t)w[i].pid, -20);
	}
	/* a short sleep, not a spin: the writers and the verifying threads
	 * need the CPUs */
	for (uint64_t until = clock_ms() + 5000; !err; nanosleep(&(struct timespec){ 0, 50000 }, NULL)) {
		left = 0;
		for (int i = PIN_FIRST_GEN; i < NPINS && !err; i++) {
			int rc = fd[i] < 0 ? 1 : writer_landed(&w[i]);

			err = rc < 0 ? rc : 0;
			left += rc == 0;
		}
		if (!left)
			break;
		if (clock_ms() > until)
			err = -ETIMEDOUT;
	}
	pthread_t reaper;

	if (pthread_create(&reaper, NULL, writers_reap, w) == 0)
		pthread_detach(reaper);
	return err;
}

struct counts {
	size_t entries, singles;
};

static void count_entry(const struct acl_cidr *c, uint32_t set, void *arg)
{
	struct counts *n = arg;

	(void)set;
	n->entries++;
	n->singles += c->len == acl_width(c->family);
}

/* The generation a first load builds: with table4 (over TABLE_FROM
 * single IPv4 addresses), with rangeN (more entries of a family than
 * listN holds, or table4: its prefixes may go there). */
static void first_layout(const struct allows *a, bool *table4, bool *ranges)
{
	struct counts n[2] = { { 0, 0 }, { 0, 0 } };

	for (int f = 0; f < 2; f++)
		acl_flat_cidrs(&a->flat[f], count_entry, &n[f]);
	*table4 = n[0].singles > TABLE_FROM;
	*ranges = *table4 || n[0].entries > NETACL_LIST || n[1].entries > NETACL_LIST;
}

/* What a's policy does not use, in a generation with table4 or not,
 * rangeN or not (netacl-api.h, NETACL_LACKS_*). */
static uint32_t lacks_of(const struct allows *a, bool table4, bool ranges)
{
	return (a->dns_admit ? 0 : NETACL_LACKS_DNS) |
	       (a->max_conn || a->max_rate ? 0 : NETACL_LACKS_LIMITS) |
	       (a->has_bind ? 0 : NETACL_LACKS_BIND) | (a->allow_all ? 0 : NETACL_LACKS_STAR) |
	       (table4 ? 0 : NETACL_LACKS_TABLE4) | (ranges ? 0 : NETACL_LACKS_RANGE);
}

/* Put g into slot s of the generation maps, with its conf, limits and
 * meta.  A target without the limit maps (pins.h) has none.  lacks: what
 * the attached programs lack, kept in conf for reloads; first: a first
 * load's (slots_post); conf_flags: the flags the conf map may hold
 * (pins.h: fewer in an older netacl's). */
static int generation_install(const int *fd, uint32_t s, const struct generation *g,
			      const struct load_req *r, const char *cgroup, uint32_t lacks,
			      bool first, uint32_t conf_flags, uint32_t conf_size)
{
	unsigned char cv[NETACL_CONF_MAX] = { 0 }; /* conf as the map's value: zero past ours */
	bool maps = fd[PIN_LIMIT] >= 0, limits = r->a->max_conn || r->a->max_rate;
	struct netacl_conf conf = g->small; /* the lists and table4's seed */
	struct netacl_limits lim = { .max_conn = r->a->max_conn, .max_rate = r->a->max_rate };
	struct netacl_ex ex = { 0 };
	struct netacl_meta meta = {
		.loaded_at = (uint64_t)time(NULL),
		.min_ttl = r->a->min_ttl,
		.entries4 = g->entries[0],
		.entries6 = g->entries[1],
		.nsets = (uint32_t)r->a->sets.n,
	};

	conf.flags = (r->a->allow_all ? NETACL_ALLOW_ALL : 0) | (r->audit ? NETACL_AUDIT : 0) |
		     (r->a->ping ? NETACL_ALLOW_PING : 0) |
		     (r->a->dns_admit ? NETACL_DNS_ADMIT : 0) | (g->table4 ? NETACL_TABLE4 : 0) |
		     (r->a->has_bind ? NETACL_BIND : 0) | (maps && limits ? NETACL_LIMITS : 0) |
		     g->flags;
	conf.star = r->a->star == ALLOWS_NO_STAR ? NETACL_NO_STAR : r->a->star;
	conf.lacks = lacks;
	conf_blocks(r->a->deny, &conf);
	if (r->a->allow_all)
		conf_exempt(r->a->deny, &conf, &ex);
	conf_psets(r->a->sets.v, r->a->sets.n, &conf);
	conf.flags &= conf_flags; /* an older netacl's conf map holds less */
	memcpy(cv, &conf, conf_size < sizeof(conf) ? conf_size : sizeof(conf));
	memcpy(meta.digest, r->digest, sizeof(meta.digest));
	snprintf(meta.target, sizeof(meta.target), "%s", r->target);
	snprintf(meta.acl, sizeof(meta.acl), "%s", r->acl ? r->acl : "");
	snprintf(meta.cgroup, sizeof(meta.cgroup), "%s", cgroup);
	for (size_t i = 0; i < r->a->nnat64; i++) {
		meta.nat64_len[i] = r->a->nat64[i].len;
		acl_addr_to_bytes(r->a->nat64[i].v, meta.nat64[i], 16);
	}
	int err = first ? slots_post(fd, s, g) : slots_write(fd, s, g);

	if (err)
		return err;
	/* ex[s] and rangeN[s] before conf[s], which says to read them; a
	 * target without the maps has a conf that never does (conf_flags) */
	if ((maps && bpf_map_update_elem(fd[PIN_LIMIT], &s, &lim, BPF_ANY)) ||
	    (fd[PIN_EX] >= 0 && bpf_map_update_elem(fd[PIN_EX], &s, &ex, BPF_ANY)) ||
	    (fd[PIN_RANGE4] >= 0 && (conf.flags & NETACL_RANGE4) &&
	     bpf_map_update_elem(fd[PIN_RANGE4], &s, &g->range4, BPF_ANY)) ||
	    (fd[PIN_RANGE6] >= 0 && (conf.flags & NETACL_RANGE6) &&
	     bpf_map_update_elem(fd[PIN_RANGE6], &s, &g->range6, BPF_ANY)) ||
	    bpf_map_update_elem(fd[PIN_CONF], &s, cv, BPF_ANY) ||
	    bpf_map_update_elem(fd[PIN_META], &s, &meta, BPF_ANY))
		return -errno;
	return sys_fault("install") ? -EIO : 0;
}

static void generation_clear(const int *fd, uint32_t s)
{
	slots_write(fd, s, NULL);
}

/* --- reload: the target's pins exist --- */

/* The most an old generation left in place holds: about 6 MB of kernel
 * memory (81 bytes an entry, 16 KiB a port set). */
#define KEEP_ENTRIES 65536
#define KEEP_SETS 64

/* p's live table4, when its generation uses one of this layout (an
 * older one's, p->t4_old, is converted by the repair, not shared). */
static void live4_open(const struct pinned *p, struct table4_live *live)
{
	struct netacl_chunk *head = calloc(1, sizeof(*head));
	uint32_t zero = 0;

	live->fd = -1;
	if (!head)
		abort();
	if (!p->legacy && !p->t4_old && (p->conf.flags & NETACL_TABLE4))
		live->fd = pinned_inner(p, PIN_TABLE4);
	if (live->fd >= 0 && bpf_map_lookup_elem(live->fd, &zero, head) != 0) {
		close(live->fd);
		live->fd = -1;
	}
	live->n = head->n;
	live->seed = head->seed;
	free(head);
}

static int reload(struct load_req *r, struct pinned *p)
{
	struct table4_live live;
	struct generation g;
	uint32_t zero = 0, next = (p->gen + 1) % p->slots, lacks;
	int err;

	if (r->cgroup && strcmp(r->cgroup, p->meta.cgroup) != 0) {
		die_msg("target '%s' is loaded on %s; unload it before loading it on %s",
			r->target, p->meta.cgroup, r->cgroup);
		return EX_USAGE;
	}
	/* its programs would not look: never load bind rules that are not enforced */
	if (p->no_bind && r->a->has_bind) {
		die_msg("target '%s' was loaded by an older netacl, whose programs cannot enforce "
			"bind:; nothing was changed (unload it and load it again)", r->target);
		return EX_UNAVAILABLE;
	}
	/* nor limits that are not: such a target's programs count nothing */
	if (p->no_limits && (r->a->max_conn || r->a->max_rate)) {
		die_msg("target '%s' was loaded by an older netacl, whose programs cannot enforce "
			"max_connections or max_connect_rate; nothing was changed (unload it and "
			"load it again)", r->target);
		return EX_UNAVAILABLE;
	}
	live4_open(p, &live);
	err = generation_build(r->a, &g, p->legacy, p->no_bind, &live);
	if (live.fd >= 0)
		close(live.fd);
	if (err)
		return sys_bpf_error(err, EX_UNAVAILABLE, "cannot create the new maps");
	lacks = p->conf.lacks;
	/* programs without what this policy uses: first programs with all of
	 * it, which the old generation leaves as they were */
	if ((lacks & ~lacks_of(r->a, g.table4, g.flags & (NETACL_RANGE4 | NETACL_RANGE6))) ||
	    p->t4_old) {
		int rc = attach_repair(p);

		if (rc) {
			generation_close(&g);
			return rc;
		}
		lacks = 0;
	}
	memcpy(r->entries, g.entries, sizeof(r->entries));
	snprintf(r->cgroup_used, sizeof(r->cgroup_used), "%s", p->meta.cgroup);
	err = generation_install(p->fd, next, &g, r, p->meta.cgroup, lacks, false, p->conf_flags,
				 p->conf_size);
	if (!err && bpf_map_update_elem(p->fd[PIN_GEN], &zero, &next, BPF_ANY))
		err = -errno;
	if (err) {
		generation_clear(p->fd, next);
		generation_close(&g);
		return sys_bpf_error(err, EX_SOFTWARE, "cannot install the new maps");
	}
	/* A small old generation stays in its slot until a reload replaces
	 * it (netacl-api.h: with three slots no program can still read it
	 * then): clearing it costs two grace periods, the wait below and the
	 * deletes, most of a small reload's 50 ms. */
	if (p->slots >= NETACL_SLOTS && p->meta.nsets <= KEEP_SETS &&
	    p->meta.entries4 + (uint64_t)p->meta.entries6 <= KEEP_ENTRIES) {
		generation_close(&g);
		return 0;
	}
	/* Rewriting a slot of an array of maps waits for every running
	 * program (synchronize_rcu), so once it returns nobody still reads
	 * the old generation and its maps can go. */
	bpf_map_update_elem(p->fd[PIN_FIRST_GEN], &next, &g.fd[PIN_FIRST_GEN], BPF_ANY);
	generation_clear(p->fd, p->gen);
	generation_close(&g);
	return 0;
}

/* --- first load --- */

/* Every program of netacl.bpf.c is attached, and every map pinned: the
 * object is the list, so a new program or map needs no change here. */
struct fresh {
	struct progs progs;
	char dir[PATH_MAX];
	bool made_dir;
};

/* Detach the links pinned in dir (LINK_PREFIX*), then remove every pin:
 * the programs stop before the maps they read go. */
static void unpin_dir(const char *dir)
{
	char path[PATH_MAX + 300];

	for (int links = 1; links >= 0; links--) {
		DIR *d = opendir(dir);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			bool link = strncmp(e->d_name, LINK_PREFIX, strlen(LINK_PREFIX)) == 0;

			if (e->d_name[0] == '.' || link != links)
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (link) {
				int fd = bpf_obj_get(path);

				if (fd >= 0) {
					bpf_link_detach(fd); /* even if someone else holds it */
					close(fd);
				}
			}
			unlink(path);
		}
		if (d)
			closedir(d);
		if (links)
			sys_fault_kill("kill-in-unload");
	}
}

static void fresh_undo(struct fresh *f)
{
	if (!f->made_dir)
		return; /* nothing of ours is there */
	unpin_dir(f->dir); /* detaches what was attached: every link is pinned */
	rmdir(f->dir);
}

/* The skeleton's maps in pin order (bpf/pins.h): -ENOENT if one is missing. */
static int map_fds(struct netacl *s, int fd[NPINS])
{
	for (int i = 0; i < NPINS; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(s->obj, pin_names[i]);

		fd[i] = m ? bpf_map__fd(m) : -1;
		if (fd[i] < 0)
			return -ENOENT;
	}
	return 0;
}

static int pin_maps(struct bpf_object *obj, const char *dir)
{
	struct bpf_map *m;
	int err = 0;

	bpf_object__for_each_map(m, obj)
		if (!err && !bpf_map__is_internal(m))
			err = pins_pin(bpf_map__fd(m), dir, bpf_map__name(m));
	return err;
}

static int attach_all(struct fresh *f, int cg)
{
	struct bpf_program *p;
	int err = 0;

	for (unsigned i = 0; !err && (p = progs_nth(&f->progs, i)); i++) {
		err = attach_program(p, cg, f->dir);
		sys_fault_kill("kill-after-link");
	}
	return err;
}

/* The pin directory and the maps' pins: while the programs are verified
 * (a target seen now has no links yet: status calls it broken, as any
 * load halfway through). */
static int pin_all(struct fresh *f)
{
	int err;

	if (mkdir(f->dir, 0700) != 0) {
		err = -errno;
		return sys_bpf_error(err, EX_CANTCREAT, "cannot create the pin directory");
	}
	f->made_dir = true;
	err = pin_maps(f->progs.maps->obj, f->dir);
	sys_fault_kill("kill-after-maps");
	return err ? sys_bpf_error(err, EX_UNAVAILABLE, "cannot pin the maps") : 0;
}

static int attach_and_pin(struct fresh *f, const char *cgroup)
{
	int cg = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	if (cg < 0) {
		die_msg("cannot open cgroup %s: %s", cgroup, strerror(errno));
		return errno == EACCES ? EX_NOPERM : EX_UNAVAILABLE;
	}
	err = attach_all(f, cg);
	close(cg);
	return err ? sys_bpf_error(err, EX_UNAVAILABLE, "cannot attach to the cgroup") : 0;
}

static int fresh_load(struct load_req *r)
{
	struct fresh f = { 0 };
	struct generation g;
	int fd[NPINS], err, rc;
	uint32_t zero = 0, lacks;
	char made[PATH_MAX];
	bool table4, ranges;

	sys_pin_dir(r->target, f.dir);
	/* not loaded, yet there: what an interrupted load or unload left */
	if (rmdir(f.dir) != 0 && errno == ENOTEMPTY) {
		unpin_dir(f.dir);
		rmdir(f.dir);
		r->repaired = true;
		snprintf(r->problem, sizeof(r->problem), "an interrupted load or unload left it incomplete");
	}
	snprintf(r->cgroup_used, sizeof(r->cgroup_used), "%s",
		 r->cgroup ? r->cgroup : r->cgroup_default);
	if ((rc = sys_cgroup_create(r->cgroup_used, made)) != 0)
		return rc;
	/* programs for what the policy uses only */
	first_layout(r->a, &table4, &ranges);
	lacks = lacks_of(r->a, table4, ranges);
	err = progs_take(&f.progs); /* run's were made while it read the policy */
	if (err) {
		progs_destroy(&f.progs);
		sys_cgroup_unmake(r->cgroup_used, made);
		return sys_bpf_error(err, EX_UNAVAILABLE, "the kernel refused the netacl maps");
	}
	err = progs_verify_start(&f.progs, lacks); /* while the maps are filled */
	if (!err)
		err = map_fds(f.progs.maps, fd);
	if (!err)
		err = generation_build(r->a, &g, false, false, NULL);
	if (!err) {
		memcpy(r->entries, g.entries, sizeof(r->entries));
		err = generation_install(fd, 0, &g, r, r->cgroup_used, lacks, true, ~0u,
					 sizeof(struct netacl_conf));
		generation_close(&g);
	}
	if (!err && bpf_map_update_elem(fd[PIN_GEN], &zero, &zero, BPF_ANY))
		err = -errno;
	rc = err ? sys_bpf_error(err, EX_UNAVAILABLE, "cannot fill the maps") : 0;
	if (!rc)
		rc = pin_all(&f);
	err = progs_verify_wait(&f.progs);
	if (!err && sys_fault("verify"))
		err = -EINVAL; /* as the verifier refusing a program */
	if (!rc && err)
		rc = sys_bpf_error(err, EX_UNAVAILABLE,
				   "the kernel refused the cgroup sock_addr programs");
	if (!rc)
		rc = attach_and_pin(&f, r->cgroup_used);
	if (rc) {
		fresh_undo(&f);
		sys_cgroup_unmake(r->cgroup_used, made);
	}
	progs_destroy(&f.progs);
	return rc;
}

/* What a load or a refresh mends in a loaded target: a listen map a
 * killed trace left set, programs not attached to its cgroup. */
static int mend(struct pinned *p, bool *repaired, char *why, size_t size)
{
	events_clear_stale(p);
	*repaired = !attach_ok(p, why, size);
	if (!*repaired)
		return 0;
	int rc = attach_repair(p);

	if (!rc) /* whole programs now: a reload needs no second repair */
		p->conf.lacks = 0;
	return rc;
}

int load_target(struct load_req *r, bool *reloaded)
{
	struct pinned p;
	int lock, rc = enforce_lock(&lock);

	if (rc)
		return rc;
	*reloaded = pinned_open(r->target, &p) == 0;
	if (*reloaded && r->mode == LOAD_FRESH) {
		die_msg("target '%s' is already loaded", r->target);
		pinned_close(&p);
		rc = EX_CANTCREAT;
	} else if (!*reloaded && r->mode == LOAD_RELOAD) {
		die_msg("target '%s' is not loaded", r->target);
		rc = EX_NOINPUT;
	} else if (*reloaded) {
		/* mended first: a repair that fails leaves the policy as it was */
		rc = mend(&p, &r->repaired, r->problem, sizeof(r->problem));
		if (!rc)
			rc = reload(r, &p);
		pinned_close(&p);
	} else {
		rc = fresh_load(r);
	}
	close(lock);
	return rc;
}

/* --- unload --- */

/* A run's target (NAME@run-PID) goes with its command: the processes in
 * its cgroup are killed before the programs are detached, or it stays. */
static int kill_run(const char *dir)
{
	struct pinned p;
	int rc = 0;

	if (pinned_open_dir(dir, &p))
		return 0;
	if (strstr(p.meta.target, "@run-") && sys_cgroup_kill(p.meta.cgroup, 5000)) {
		die_msg("processes remain in %s; %s stays loaded", p.meta.cgroup, p.meta.target);
		rc = EX_SOFTWARE;
	}
	pinned_close(&p);
	return rc;
}

static int unload_dir(const char *dir, void *arg)
{
	int rc = kill_run(dir);

	(void)arg;
	if (rc)
		return rc;
	unpin_dir(dir);
	if (rmdir(dir) != 0) {
		die_msg("cannot remove %s: %s", dir, strerror(errno));
		return EX_SOFTWARE;
	}
	return 0;
}

int load_unload(const char *target)
{
	char dir[PATH_MAX];
	struct stat st;
	int lock, rc = enforce_lock(&lock);

	if (rc)
		return rc;
	sys_pin_dir(target, dir);
	if (stat(dir, &st) != 0) {
		die_msg("target '%s' is not loaded", target);
		rc = EX_NOINPUT;
	} else {
		rc = unload_dir(dir, NULL);
	}
	close(lock);
	return rc;
}

int load_unload_all(void)
{
	int lock, rc = enforce_lock(&lock);

	if (rc)
		return rc;
	rc = pinned_each(unload_dir, NULL);
	close(lock);
	return rc;
}

int load_repair(const char *target, bool *repaired, char *why, size_t size)
{
	struct pinned p;
	int lock, rc = enforce_lock(&lock), err;

	*repaired = false;
	if (rc)
		return rc;
	err = pinned_open(target, &p);
	if (err) {
		rc = sys_bpf_error(-err, EX_NOINPUT, target);
	} else {
		rc = mend(&p, repaired, why, size);
		pinned_close(&p);
	}
	close(lock);
	return rc;
}
