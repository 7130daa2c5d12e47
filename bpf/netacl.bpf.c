// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The cgroup programs: four sock_addr hooks judge every address a socket
 * connects or sends to; sock_create and setsockopt keep a workload from
 * getting around them; bind4 and bind6 judge the local address of every
 * explicit bind when the ACL has bind rules; connect4/6 count TCP
 * connections against max_connections and max_connect_rate, and sockops
 * and sock_release give the count back.  The whole contract with the
 * loader is bpf/netacl-api.h; read its comment first. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bpf/netacl-api.h"

#define AF_INET 2
#define AF_INET6 10

struct allow4_map {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct netacl_key4));
	__uint(value_size, sizeof(__u32));
};

struct allow6_map {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct netacl_key6));
	__uint(value_size, sizeof(__u32));
};

struct exact4_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(key_size, 4);
	__uint(value_size, sizeof(__u32));
};

struct exact6_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(key_size, 16);
	__uint(value_size, sizeof(__u32));
};

struct deny4_map {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct netacl_key4));
	__uint(value_size, sizeof(__u8));
};

struct deny6_map {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(struct netacl_key6));
	__uint(value_size, sizeof(__u8));
};

/* Sized per load: BPF_F_INNER_MAP lets each generation differ. */
struct table4_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct netacl_chunk)); /* by size: BTF has it as a forward */
};

struct ports_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

#define GENERATIONS(name, inner)                              \
	struct {                                              \
		__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);     \
		__uint(max_entries, NETACL_SLOTS);            \
		__type(key, __u32);                           \
		__array(values, struct inner);                \
	} name SEC(".maps")

GENERATIONS(allow4, allow4_map);
GENERATIONS(allow6, allow6_map);
GENERATIONS(exact4, exact4_map);
GENERATIONS(exact6, exact6_map);
GENERATIONS(deny4, deny4_map);
GENERATIONS(deny6, deny6_map);
GENERATIONS(ports, ports_map);
GENERATIONS(table4, table4_map);
GENERATIONS(bind4, allow4_map); /* bind: (netacl-api.h), tries like allowN */
GENERATIONS(bind6, allow6_map);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NETACL_SLOTS);
	__type(key, __u32);
	__type(value, struct netacl_conf);
} conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NETACL_SLOTS);
	__type(key, __u32);
	__type(value, struct netacl_meta);
} meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NETACL_NCOUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, NETACL_RING_BYTES);
} events SEC(".maps");

/* listen[0]: a trace is reading, report allowed verdicts too */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} listen SEC(".maps");

/* Live DNS: no generation's (netacl-api.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NETACL_ADMIT_MAX);
	__uint(key_size, 4);
	__uint(value_size, sizeof(struct netacl_admit));
} admit4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, NETACL_ADMIT_MAX);
	__uint(key_size, 16);
	__uint(value_size, sizeof(struct netacl_admit));
} admit6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct netacl_dns);
} dns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct netacl_orig);
} dnsorig SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, NETACL_DNSEV_MAX);
	__uint(value_size, sizeof(struct netacl_dnsev));
} dnsev SEC(".maps");

/* Set by the loader (bpf/progs.c) when the kernel has a usable
 * bpf_skc_to_mptcp_sock (Linux 5.19, with MPTCP and BTF): the verifier
 * refuses a call to it elsewhere, so it is dead code there. */
const volatile __u32 have_mptcp_cast = 0;

/* Set by the loader: what this target's policy does not use, whose code
 * the verifier then drops (netacl-api.h, NETACL_LACKS_*).  0: all of it,
 * as a repair or a reload that needs more loads them. */
const volatile __u32 lacks = 0;
#define HAS(what) (!(lacks & NETACL_LACKS_##what))

/* ex[g]: the deny table's exemptions, by generation like conf. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NETACL_SLOTS);
	__type(key, __u32);
	__type(value, struct netacl_ex);
} ex SEC(".maps");

/* range4[g]: IPv4 entries as sorted intervals (netacl-api.h), by
 * generation like conf. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NETACL_SLOTS);
	__type(key, __u32);
	__type(value, struct netacl_range4);
} range4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NETACL_SLOTS);
	__type(key, __u32);
	__type(value, struct netacl_range6);
} range6 SEC(".maps");

/* Limits: limit[g] by generation, like conf; conns and connsk no
 * generation's (netacl-api.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NETACL_SLOTS);
	__type(key, __u32);
	__type(value, struct netacl_limits);
} limit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct netacl_conns);
} conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct netacl_connsk);
} connsk SEC(".maps");

/* x from here on as the compiler cannot see through: one read on each
 * side of a branch is then not made one read through a chosen pointer
 * (which the verifier refuses for ctx), and a mask it knows to be a
 * no-op is kept (the verifier wants it to bound an index). */
#define OPAQUE(x) asm volatile("" : "+r"(x))

/* The live generation's slot. */
static __always_inline __u32 live_gen(void)
{
	__u32 zero = 0, *g = bpf_map_lookup_elem(&gen, &zero);

	return g && *g < NETACL_SLOTS ? *g : 0;
}

/* The live generation's conf (0 before the first load). */
static __always_inline struct netacl_conf *live_conf(void)
{
	__u32 k = live_gen();

	return bpf_map_lookup_elem(&conf, &k);
}

/* One connect, send or bind: the address as a 4-byte or 16-byte key.
 * Global functions take it by pointer and only read it (a callee's write
 * would be unseen by the verifier's view of the caller's stack). */
struct query {
	/* look up in the IPv4 maps.  64 bits: the verifier knows the value
	 * of a whole 8-byte slot written with a constant, and then walks
	 * only the paths of one family in a program of one family */
	__u64 v4;
	__u32 g;      /* the live generation */
	__u8 family;  /* as reported: 4, or 6 (a mapped address too) */
	__u8 proto;
	__u8 connect; /* a connect: the limits count TCP ones */
	__u8 pad;
	__u16 port;
	__u16 pad2;
	struct netacl_key4 k4;
	struct netacl_key6 k6;
};

/* Does port set `set` of generation g have port kp & 0xffff of protocol
 * kp >> 16 (0 TCP, 1 UDP), by its words in ports[g]?  A global
 * function: verified once a program, not on each path of each program
 * that asks (a third of the verifier's work on the address programs,
 * inlined); asked only of sets conf has no copy of. */
__noinline int netacl_port_word(__u32 g, __u32 set, __u32 kp)
{
	__u32 k = kp >> 16 & 1, port = kp & 0xffff, ix;
	void *words = bpf_map_lookup_elem(&ports, &g);
	__u64 *w;

	if (!words)
		return 0;
	ix = NETACL_PORT_WORD(set, k, port);
	w = bpf_map_lookup_elem(words, &ix);
	return w && (*w >> (port & 63) & 1);
}

/* Does port set `set` have q's port of q's protocol?  conf's copy of a
 * small set answers (netacl-api.h), else ports[g].  The copy is read
 * inline: a call and its return cost about 10 ns here (each return goes
 * through the kernel's return thunk, a mitigation of the CPU's). */
static __always_inline int port_ok(const struct query *q, const struct netacl_conf *c,
				   __u32 set)
{
	__u32 k = q->proto == IPPROTO_UDP, port = q->port;

	if (q->proto != IPPROTO_TCP && q->proto != IPPROTO_UDP)
		return 0;
	if (set < c->npsets && set < NETACL_PSETS) {
		__u32 i = set;
		const struct netacl_prange *r;
		__u8 n;

		OPAQUE(i);
		i &= NETACL_PSETS - 1; /* a power of two */
		n = c->pset[i].n[k];
		r = c->pset[i].r[k];
		if (n != NETACL_PSET_MAP) {
			for (int j = 0; j < NETACL_PRANGES; j++) {
				if (j >= n)
					return 0;
				if (port >= r[j].lo && port <= r[j].hi)
					return 1;
			}
			return 0;
		}
	}
	return netacl_port_word(q->g, set, k << 16 | port);
}

/* A turn of the loop over an admitted address's port ranges, as a
 * bpf_loop callback (Linux 5.17): the verifier checks a callback once,
 * where it walks a loop's body once for every turn (32 turns here were
 * 1,700 of the 7,000 insns each address program took to verify). */
struct in_ranges {
	const struct netacl_prange *r; /* n of them */
	__u32 n, port;
	int found;
};

static long in_range(__u32 i, void *arg)
{
	struct in_ranges *s = arg;
	const struct netacl_prange *r = &s->r[i & (NETACL_ADMIT_RANGES - 1)]; /* a power of two */

	if (i >= s->n)
		return 1;
	if (s->port >= r->lo && s->port <= r->hi) {
		s->found = 1;
		return 1;
	}
	return 0;
}

/* Did the workload's DNS admit the address, for this port?  A global
 * function: the verifier checks it once, on its own, instead of on every
 * path of every program that calls it.  how: bit 0 IPv4 (the address in
 * a3), bit 1 UDP, bits 16-31 the port. */
__noinline int netacl_admitted(__u32 how, __u32 a0, __u32 a1, __u32 a2, __u32 a3)
{
	__u32 key[4] = { a0, a1, a2, a3 }, k = how >> 1 & 1;
	struct in_ranges s = { .port = how >> 16 };
	struct netacl_admit *a;

	if (how & 1)
		a = bpf_map_lookup_elem(&admit4, &key[3]);
	else
		a = bpf_map_lookup_elem(&admit6, key);
	if (!a || bpf_ktime_get_ns() >= a->expires_ns)
		return 0;
	s.r = a->r[k];
	s.n = a->n[k];
	bpf_loop(NETACL_ADMIT_RANGES, in_range, &s, 0);
	return s.found;
}

static __always_inline int admitted(const struct query *q, const struct netacl_conf *c)
{
	__u32 w[4];

	if (!HAS(DNS) || !(c->flags & NETACL_DNS_ADMIT) ||
	    (q->proto != IPPROTO_TCP && q->proto != IPPROTO_UDP))
		return 0;
	if (q->v4) {
		w[0] = w[1] = w[2] = 0;
		__builtin_memcpy(&w[3], q->k4.addr, 4);
	} else {
		__builtin_memcpy(w, q->k6.addr, 16);
	}
	return netacl_admitted((q->v4 ? 1 : 0) | (q->proto == IPPROTO_UDP ? 2 : 0) |
			       (__u32)q->port << 16, w[0], w[1], w[2], w[3]);
}

/* The port set of a single IPv4 address (host order) in generation g's
 * table4; -1 if it is not there, -2 if table4 is not in use (exact4 is).
 * Inlined: as a global function it was verified on its own with nothing
 * known of its arguments (connect4 with table4: 3,198 processed insns,
 * 1,917 inlined), and each call cost a few ns (a miss 7-12 ns less). */
static __always_inline int table4_set(__u32 g, __u32 addr, __u32 n, __u32 seed)
{
	void *m = bpf_map_lookup_elem(&table4, &g);
	struct netacl_chunk *ch;
	__u32 zero = 0, c, at, low, rem;
	__u64 m64;

	if (!m)
		return -2;
	if (n == 0) { /* conf has no copy of element 0 (netacl-api.h) */
		ch = bpf_map_lookup_elem(m, &zero);
		if (!ch || ch->n == 0)
			return -2;
		n = ch->n;
		seed = ch->seed;
	}
	m64 = (__u64)((addr ^ seed) * NETACL_HASH1) * n;
	c = 1 + (__u32)(m64 >> 32);
	ch = bpf_map_lookup_elem(m, &c);
	if (!ch)
		return -1;
	low = (__u32)m64;
	at = low >> 20;
	rem = low >> 4 & 0xffff;
	for (__u32 i = 0; i < NETACL_PROBES; i++) {
		__u32 e = ch->e[(at + i) & (NETACL_CHUNK - 1)], d = e >> 16 & 31;

		/* empty (its d is 31, the most), or Robin Hood (netacl-api.h):
		 * one nearer its home than i ends it */
		if (e == NETACL_T4_EMPTY || d < i)
			return -1;
		if (d == i && (e & 0xffff) == rem)
			return (int)(e >> 21);
	}
	return -1;
}

/* map[g](key): the generation's inner map, asked; 0 without one.  The
 * outer map is named here, so the verifier inlines its lookup. */
#define GEN_LOOKUP(map, key)                                              \
	({                                                                \
		void *m_ = bpf_map_lookup_elem(&map, &q->g);              \
		m_ ? bpf_map_lookup_elem(m_, key) : 0;                    \
	})

/* The port set of address a (host order) in generation g's range4; -1
 * if none.  The last interval whose lo is at or below a is the one, if
 * any, found a quarter of the span at a time: three keys a step, whose
 * loads do not wait for each other, in half the steps of a binary
 * search, each of which waits for the last (about 5 ns).  No branch on
 * the data (which addresses a workload asks cannot be predicted), and
 * no bound checked (lo is all ones past n): the 64-bit differences are
 * kept from the compiler (OPAQUE), which would make each a comparison, a
 * branch in BPF.  Inlined: a call costs about 10 ns here (its return
 * goes through the kernel's return thunk, a mitigation of the CPU's). */
static __always_inline int range4_set(__u32 g, __u32 a)
{
	struct netacl_range4 *r = bpf_map_lookup_elem(&range4, &g);
	__u32 base = 0, step, n, i;

	if (!r || !(n = r->n))
		return -1;
	step = r->step;
	for (int k = 0; k < NETACL_RANGE_STEPS && step; k++, step >>= 2) {
		__u32 j = base, ahead = 0;

		for (int t = 1; t < 4; t++) {
			__u64 below;

			j += step;
			below = (__u64)a - r->lo[j & (NETACL_RANGES - 1)];
			OPAQUE(below);
			ahead += ~below >> 63; /* lo[j] <= a */
		}
		base += ahead * step;
	}
	i = (base < n ? base : n - 1) & (NETACL_RANGES - 1);
	if (a < r->lo[i] || a > r->hi[i])
		return -1;
	return (int)r->set[i];
}

/* x - y - b (b 0 or 1) borrows (1), or not (0): x < y + b, without a
 * branch (Hacker's Delight 2-13). */
static __always_inline __u64 borrow(__u64 x, __u64 y, __u64 b)
{
	__u64 d = x - y - b;

	OPAQUE(d);
	return ((~x & y) | (~(x ^ y) & d)) >> 63;
}

/* range4_set's search over range6 (IPv6: the high half of the address,
 * then the low one); a is the query's, network order. */
static __always_inline int range6_set(__u32 g, const __u32 a[4])
{
	struct netacl_range6 *r = bpf_map_lookup_elem(&range6, &g);
	__u64 ah = (__u64)bpf_ntohl(a[0]) << 32 | bpf_ntohl(a[1]);
	__u64 al = (__u64)bpf_ntohl(a[2]) << 32 | bpf_ntohl(a[3]);
	__u32 base = 0, step, n, i;

	if (!r || !(n = r->n))
		return -1;
	step = r->step;
	for (int k = 0; k < NETACL_RANGE6_STEPS && step; k++, step >>= 2) {
		__u32 j = base, ahead = 3;

		for (int t = 1; t < 4; t++) {
			const __u64 *lo;

			j += step;
			lo = r->lo[j & (NETACL_RANGES6 - 1)];
			ahead -= borrow(ah, lo[0], borrow(al, lo[1], 0)); /* a < lo[j] */
		}
		base += ahead * step;
	}
	i = (base < n ? base : n - 1) & (NETACL_RANGES6 - 1);
	if (ah < r->lo[i][0] || (ah == r->lo[i][0] && al < r->lo[i][1]) ||
	    ah > r->hi[i][0] || (ah == r->hi[i][0] && al > r->hi[i][1]))
		return -1;
	return (int)r->set[i];
}

/* The port set of address a (network order) in conf's list4
 * (netacl-api.h): its entries are disjoint, so the first that holds it
 * is the one; -1 if none.  A global function (netacl_in_pset), one a
 * family, so that an IPv4 program verifies no IPv6 loop. */
__noinline int netacl_in_list4(const struct netacl_conf *c, __u32 a)
{
	if (!c)
		return -1;
	for (int i = 0; i < NETACL_LIST; i++) {
		if (i >= c->nlist[0])
			return -1;
		if ((a & c->list4[i].mask) == c->list4[i].net)
			return (int)c->list4[i].set;
	}
	return -1;
}

__noinline int netacl_in_list6(const struct netacl_conf *c, const struct query *q)
{
	__u32 a[4];

	if (!c || !q)
		return -1;
	__builtin_memcpy(a, q->k6.addr, 16);
	for (int i = 0; i < NETACL_LIST; i++) {
		const struct netacl_net6 *e = &c->list6[i];

		if (i >= c->nlist[1])
			return -1;
		/* one branch, not four: the verifier walks each */
		if ((((a[0] & e->mask[0]) ^ e->net[0]) | ((a[1] & e->mask[1]) ^ e->net[1]) |
		     ((a[2] & e->mask[2]) ^ e->net[2]) | ((a[3] & e->mask[3]) ^ e->net[3])) == 0)
			return (int)e->set;
	}
	return -1;
}

/* r a port set (found: in *set, 1) or below 0 (none: 0). */
static __always_inline int found(int r, __u32 *set)
{
	if (r < 0)
		return 0;
	*set = (__u32)r;
	return 1;
}

/* The port set of the address, in *set; 0 if none.  The trie is not
 * asked when the single addresses answered, nor a map conf says is
 * empty. */
static __always_inline int set_of(const struct query *q, const struct netacl_conf *c,
				  __u32 *set)
{
	__u32 *s = 0, f = c->flags;

	if (q->v4) {
		__u32 a;
		int r = -2;

		__builtin_memcpy(&a, q->k4.addr, 4);
		if (HAS(TABLE4) && (f & NETACL_TABLE4))
			r = table4_set(q->g, bpf_ntohl(a), c->t4_n, c->t4_seed);
		if (r >= 0)
			return found(r, set);
		if (f & NETACL_LIST4)
			return found(netacl_in_list4(c, a), set);
		if (HAS(RANGE) && (f & NETACL_RANGE4))
			return found(range4_set(q->g, bpf_ntohl(a)), set);
		if (r == -2 && !(f & NETACL_NO_EXACT4))
			s = GEN_LOOKUP(exact4, q->k4.addr);
		if (!s && !(f & NETACL_NO_ALLOW4))
			s = GEN_LOOKUP(allow4, &q->k4);
	} else {
		if (f & NETACL_LIST6)
			return found(netacl_in_list6(c, q), set);
		if (HAS(RANGE) && (f & NETACL_RANGE6)) {
			__u32 a[4];

			__builtin_memcpy(a, q->k6.addr, 16);
			return found(range6_set(q->g, a), set);
		}
		if (!(f & NETACL_NO_EXACT6))
			s = GEN_LOOKUP(exact6, q->k6.addr);
		if (!s && !(f & NETACL_NO_ALLOW6))
			s = GEN_LOOKUP(allow6, &q->k6);
	}
	if (!s)
		return 0;
	*set = *s;
	return 1;
}

/* Not in the special-purpose table (less the exemptions)?  The longest
 * prefix says: 1 denied, 0 exempt.  A generation without the map denies:
 * fail closed. */
#define NOT_DENIED(deny, key)                                             \
	({                                                                \
		void *m_ = bpf_map_lookup_elem(&deny, &q->g);             \
		__u8 *v_ = m_ ? bpf_map_lookup_elem(m_, key) : 0;         \
		m_ && !(v_ && *v_);                                       \
	})

/* In the generation's exemptions from the deny table (netacl-api.h:
 * each holds no denied address)?  Global functions, one a family, as the
 * lists'. */
__noinline int netacl_exempt4(__u32 g, __u32 a)
{
	struct netacl_ex *x = bpf_map_lookup_elem(&ex, &g);

	if (!x)
		return 0;
	for (int i = 0; i < NETACL_EX; i++) {
		if (i >= x->n[0])
			return 0;
		if ((a & x->v4[i].mask) == x->v4[i].net)
			return 1;
	}
	return 0;
}

__noinline int netacl_exempt6(const struct query *q)
{
	struct netacl_ex *x;
	__u32 a[4], g;

	if (!q)
		return 0;
	g = q->g;
	x = bpf_map_lookup_elem(&ex, &g);
	if (!x)
		return 0;
	__builtin_memcpy(a, q->k6.addr, 16);
	for (int i = 0; i < NETACL_EX; i++) {
		const struct netacl_net6 *e = &x->v6[i];

		if (i >= x->n[1])
			return 0;
		if ((((a[0] & e->mask[0]) ^ e->net[0]) | ((a[1] & e->mask[1]) ^ e->net[1]) |
		     ((a[2] & e->mask[2]) ^ e->net[2]) | ((a[3] & e->mask[3]) ^ e->net[3])) == 0)
			return 1;
	}
	return 0;
}

/* In the deny table?  The block of the address's first byte answers
 * (netacl-api.h); in a block of some, conf's exemptions, then the trie. */
static __always_inline int denied(const struct query *q, const struct netacl_conf *c)
{
	__u32 top = q->v4 ? q->k4.addr[0] : q->k6.addr[0];
	__u64 w = c->blocks[q->v4 ? 0 : 1][top >> 5];
	__u32 b = w >> (top & 31) * 2 & 3;

	if (b == NETACL_BLOCK_NONE)
		return 0;
	if (b == NETACL_BLOCK_ALL)
		return 1;
	if (q->v4) {
		__u32 a;

		__builtin_memcpy(&a, q->k4.addr, 4);
		if ((c->flags & NETACL_EXEMPT4) && netacl_exempt4(q->g, a))
			return 0;
		return !NOT_DENIED(deny4, &q->k4);
	}
	if ((c->flags & NETACL_EXEMPT6) && netacl_exempt6(q))
		return 0;
	return !NOT_DENIED(deny6, &q->k6);
}

static __always_inline int allowed(const struct query *q, const struct netacl_conf *c)
{
	__u32 set;

	if (!c)
		return 0; /* never loaded: fail closed */
	if (set_of(q, c, &set) && port_ok(q, c, set))
		return 1;
	if (admitted(q, c))
		return 1;
	if (!HAS(STAR) || !(c->flags & NETACL_ALLOW_ALL) || c->star == NETACL_NO_STAR)
		return 0;
	if (denied(q, c))
		return 0;
	return port_ok(q, c, c->star);
}

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &slot);

	if (n)
		*n += 1;
}

/* Is a trace reading the ring (listen[0])?  Only then are verdicts
 * reported: the trace takes no event from before it started, so one
 * reported to nobody only filled the ring (a quarter of a denial's cost). */
static __always_inline int listening(void)
{
	__u32 zero = 0, *l = bpf_map_lookup_elem(&listen, &zero);

	return l && *l;
}

/* Report one event; its kind, verdict, family, proto, port and addr are
 * set in *t, the rest is filled here.  A global function: the verifier
 * checks it once, not at each of the sites that report. */
__noinline int netacl_report(const struct netacl_event *t)
{
	struct netacl_event *e;

	if (!t)
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(NETACL_CNT_LOST); /* the verdict stands either way */
		return 0;
	}
	__builtin_memcpy(e, t, sizeof(*e));
	e->ktime_ns = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* q as an event of kind; who reports it sets the verdict. */
static __always_inline void query_event(const struct query *q, __u8 kind, __u8 limit,
					struct netacl_event *t)
{
	*t = (struct netacl_event){ .kind = kind, .limit = limit, .family = q->family,
				    .port = q->port, .proto = q->proto };
	if (q->v4 && q->family == 4)
		__builtin_memcpy(t->addr, q->k4.addr, 4);
	else
		__builtin_memcpy(t->addr, q->k6.addr, 16);
}

static __always_inline void report_query(const struct query *q, __u8 kind, __u8 verdict,
					 __u8 limit)
{
	struct netacl_event t;

	if (!listening())
		return;
	query_event(q, kind, limit, &t);
	t.verdict = verdict;
	netacl_report(&t);
}

/* A verdict of no: in audit mode let through (1), counted as audited;
 * else counted as denied (0).  The verdict to report is in *v. */
static __always_inline int refuse(const struct netacl_conf *c, __u8 *v)
{
	int audit = c && (c->flags & NETACL_AUDIT);

	count(audit ? NETACL_CNT_AUDIT : NETACL_CNT_DENY);
	*v = audit ? NETACL_V_AUDIT : NETACL_V_DENY;
	return audit;
}

/* The verdict on something other than an address (a socket, an option):
 * allowed, audited (allowed) or denied; either reported while a trace
 * listens. */
static __always_inline int verdict_other(int ok, struct netacl_event *t)
{
	int r;

	if (ok)
		return 1;
	r = refuse(live_conf(), &t->verdict);
	if (listening())
		netacl_report(t);
	return r;
}

/* Count the verdict ok on q, and report it while a trace listens:
 * allowed, audited (allowed) or denied. */
static __always_inline int conclude(const struct query *q, const struct netacl_conf *c, int ok,
				    __u8 kind)
{
	__u8 v;
	int r;

	if (ok) {
		count(NETACL_CNT_ALLOW);
		report_query(q, kind, NETACL_V_ALLOW, 0);
		return 1;
	}
	r = refuse(c, &v);
	report_query(q, kind, v, 0);
	return r;
}

/* ---- max_connections, max_connect_rate (netacl-api.h) ---- */

enum { LIM_COUNT, LIM_ENFORCE, LIM_AUDIT }; /* netacl_limit's how */

/* A token from the bucket of max_rate a second, burst max_rate: 1 if
 * there was one (taken), else 0 (none taken). */
static __always_inline int take_token(struct netacl_conns *cn, __u32 rate)
{
	__u64 now = bpf_ktime_get_ns(), step = 1000000000ull / rate;
	__u64 burst = (__u64)(rate - 1) * step, tat;
	int ok;

	bpf_spin_lock(&cn->lock);
	tat = cn->tat_ns > now ? cn->tat_ns : now;
	ok = tat - now <= burst;
	if (ok)
		cn->tat_ns = tat + step;
	bpf_spin_unlock(&cn->lock);
	return ok;
}

/* Count the TCP connect of ctx's socket (once per socket) when
 * generation g has a cap, and judge it against g's limits: LIM_COUNT
 * only counts (an audited denial: a connection all the same); LIM_ENFORCE
 * gives the slot back when a limit refuses; LIM_AUDIT keeps it (the
 * connect goes ahead).  The limit hit (NETACL_LIMIT_*), or 0.  A global
 * function: verified once, on its own. */
__noinline int netacl_limit(struct bpf_sock_addr *ctx, __u32 g, __u32 how)
{
	__u32 zero = 0;
	struct netacl_conns *cn = bpf_map_lookup_elem(&conns, &zero);
	struct netacl_limits *l = bpf_map_lookup_elem(&limit, &g);
	__u32 cap = l ? l->max_conn : 0, rate = l && how != LIM_COUNT ? l->max_rate : 0;
	struct bpf_sock *sk = ctx->sk;
	struct netacl_connsk *m;
	struct mptcp_sock *msk = 0;
	int hit = 0, counted = 1;

	if (!cn || !sk)
		return 0;
	if (cap) {
		/* an MPTCP subflow: its MPTCP socket is what is counted */
		msk = have_mptcp_cast ? bpf_skc_to_mptcp_sock(sk) : 0;
		if (msk)
			m = bpf_sk_storage_get(&connsk, msk, 0, 0);
		else
			m = bpf_sk_storage_get(&connsk, sk, 0, 0);
		counted = m && m->counted;
		/* add first, then look: concurrent connects near the cap refuse
		 * too many, never admit too many */
		if (!counted && __sync_fetch_and_add(&cn->n, 1) >= (__s64)cap && how != LIM_COUNT)
			hit = NETACL_LIMIT_CONN;
	}
	if (!hit && rate && !take_token(cn, rate))
		hit = NETACL_LIMIT_RATE;
	if (hit && how == LIM_ENFORCE) {
		if (!counted)
			__sync_fetch_and_add(&cn->n, -1);
		return hit;
	}
	if (counted)
		return hit;
	/* the mark, made only now: its allocation is most of the cost, and
	 * a refused connect needs none */
	if (msk)
		m = bpf_sk_storage_get(&connsk, msk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	else
		m = bpf_sk_storage_get(&connsk, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (m) { /* connect runs under the socket lock: no one gives it back now */
		m->counted = 1;
		return hit;
	}
	/* no memory: it could not be given back, so it is not counted */
	__sync_fetch_and_add(&cn->n, -1);
	return how == LIM_ENFORCE ? NETACL_LIMIT_CONN : hit;
}

/* A connect a limit refused (reported with the limit), or in audit mode
 * let through. */
static __always_inline int limited(const struct query *q, const struct netacl_conf *c, int hit)
{
	count(hit == NETACL_LIMIT_CONN ? NETACL_CNT_CAPPED : NETACL_CNT_RATED);
	if (c->flags & NETACL_AUDIT) {
		count(NETACL_CNT_AUDIT);
		report_query(q, NETACL_EV_ADDRESS, NETACL_V_AUDIT, (__u8)hit);
		return 1;
	}
	report_query(q, NETACL_EV_ADDRESS, NETACL_V_DENY, (__u8)hit);
	bpf_set_retval(-NETACL_LIMIT_ERRNO);
	return 0;
}

/* Give the count of a counted socket back, once: the state change and
 * the release may race (softirq and process), the exchange decides. */
static __always_inline void uncount(void *sk)
{
	struct netacl_connsk *m = bpf_sk_storage_get(&connsk, sk, 0, 0);
	struct netacl_conns *cn;
	__u32 zero = 0;

	if (!m || !__sync_lock_test_and_set(&m->counted, 0))
		return;
	cn = bpf_map_lookup_elem(&conns, &zero);
	if (cn)
		__sync_fetch_and_add(&cn->n, -1);
}

/* The verdict on q, DNS aside: counted, reported, and on a TCP connect
 * judged against the limits.  Inlined: each program gets the code of its
 * own family only, about a third faster than one function for all. */
static __always_inline int decide(struct bpf_sock_addr *ctx, const struct query *q)
{
	struct netacl_conf *c = bpf_map_lookup_elem(&conf, &q->g);
	int ok = allowed(q, c), how, hit;

	if (HAS(LIMITS) && q->connect && q->proto == IPPROTO_TCP && c && (c->flags & NETACL_LIMITS) &&
	    (ok || (c->flags & NETACL_AUDIT))) {
		/* limits judge what the policy allows; an audited denial is
		 * a connection all the same, and counts */
		how = !ok ? LIM_COUNT : c->flags & NETACL_AUDIT ? LIM_AUDIT : LIM_ENFORCE;
		hit = netacl_limit(ctx, q->g, how);
		if (hit)
			return limited(q, c, hit);
	}
	return conclude(q, c, ok, NETACL_EV_ADDRESS);
}

static __always_inline int decide4(struct bpf_sock_addr *ctx, __u32 g, __u32 addr, __u16 port,
				   int connect)
{
	struct query q;

	/* field by field: zeroing the whole query (byte by byte, as clang
	 * does it) was a fifth of the instructions of a verdict.  k6 is
	 * never read in an IPv4 query, but it is zeroed all the same: the
	 * verifier cannot tell family from 6 here, and before Linux 6.3 it
	 * refuses every read of stack never written, root's too */
	__builtin_memset(&q.k6, 0, sizeof(q.k6));
	q.v4 = 1;
	q.g = g;
	q.family = 4;
	q.proto = ctx->protocol;
	q.connect = connect;
	q.pad = 0;
	q.port = port;
	q.pad2 = 0;
	q.k4.prefixlen = 32;
	__builtin_memcpy(q.k4.addr, &addr, 4);
	return decide(ctx, &q);
}

/* ::ffff:a.b.c.d */
static __always_inline int is_mapped(const __u32 a[4])
{
	return a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
}

/* family: as reported, 6, or 4 for the mapped peer of a connected socket */
static __always_inline int decide6(struct bpf_sock_addr *ctx, __u32 g, const __u32 a[4],
				   __u16 port, int connect, __u8 family)
{
	struct query q = { .g = g, .family = family, .proto = ctx->protocol,
			   .connect = connect, .port = port };

	q.k6.prefixlen = 128;
	__builtin_memcpy(q.k6.addr, a, 16);
	/* ::ffff:a.b.c.d: Linux runs only this hook, so the IPv4 rules apply */
	if (is_mapped(a)) {
		q.v4 = 1;
		q.k4.prefixlen = 32;
		__builtin_memcpy(q.k4.addr, &a[3], 4);
	}
	return decide(ctx, &q);
}

/* ---- live DNS: capture to the forwarder, and back ---- */

#define LOOPBACK4 0x7f000001
#define DNS_PORT 53
enum { DNS_PASS = -1 }; /* not DNS: judge the address as usual */

static __always_inline struct netacl_dns *dns_served(__u32 g)
{
	__u32 zero = 0;
	struct netacl_conf *c;

	if (!HAS(DNS))
		return 0;
	c = bpf_map_lookup_elem(&conf, &g);
	if (!c || !(c->flags & NETACL_DNS_ADMIT))
		return 0;
	return bpf_map_lookup_elem(&dns, &zero);
}

static __always_inline int dns_refused(struct query *q, struct bpf_sock_addr *ctx)
{
	q->proto = ctx->protocol;
	count(NETACL_CNT_DENY);
	report_query(q, NETACL_EV_ADDRESS, NETACL_V_DENY, 0);
	return 0;
}

/* Keep the address a captured socket asked for: replies show it. */
static __always_inline int remember(struct bpf_sock_addr *ctx, __u8 family, const void *addr,
				    __u16 port_n)
{
	struct netacl_orig *o = bpf_sk_storage_get(&dnsorig, ctx->sk, 0,
						   BPF_SK_STORAGE_GET_F_CREATE);

	if (!o)
		return -1;
	o->family = family;
	o->port = port_n;
	__builtin_memcpy(o->addr, addr, 16);
	return 0;
}

/* Is it the forwarder itself (127.0.0.1 or ::1 at its port)? */
static __always_inline int is_fwd4(const struct netacl_dns *d, __u32 ip_n, __u16 port)
{
	return d->port4 && port == d->port4 && ip_n == bpf_htonl(LOOPBACK4);
}

static __always_inline int is_fwd6(const struct netacl_dns *d, const __u32 a[4], __u16 port)
{
	return d->port6 && port == d->port6 && a[0] == 0 && a[1] == 0 && a[2] == 0 &&
	       a[3] == bpf_htonl(1);
}

/* An IPv4 destination (or the IPv4 of a mapped one): the forwarder
 * itself is allowed, port 53 goes to it (rewrite) or, where there is no
 * name to rewrite (a connected socket's peer), is refused; anything else
 * passes. */
static __always_inline int dns4(struct bpf_sock_addr *ctx, __u32 g, __u32 ip_n, __u16 port,
				int mapped, int rewrite)
{
	struct netacl_dns *d = dns_served(g);
	struct query q = { .g = g, .v4 = 1, .family = mapped ? 6 : 4, .port = port };
	__u8 orig[16] = {};

	if (!d)
		return DNS_PASS;
	if (is_fwd4(d, ip_n, port))
		return 1;
	if (port != DNS_PORT)
		return DNS_PASS;
	q.k4.prefixlen = 32;
	__builtin_memcpy(q.k4.addr, &ip_n, 4);
	if (mapped) { /* reported as asked: ::ffff:a.b.c.d */
		q.k6.addr[10] = q.k6.addr[11] = 0xff;
		__builtin_memcpy(&q.k6.addr[12], &ip_n, 4);
	}
	__builtin_memcpy(orig, &ip_n, 4);
	/* no forwarder, or connected before the target was loaded: fail closed */
	if (!rewrite || !d->port4 || remember(ctx, 4, orig, bpf_htons(port)))
		return dns_refused(&q, ctx);
	if (mapped) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = bpf_htonl(LOOPBACK4);
	} else {
		ctx->user_ip4 = bpf_htonl(LOOPBACK4);
	}
	ctx->user_port = bpf_htons(d->port4);
	return 1;
}

static __always_inline int dns6(struct bpf_sock_addr *ctx, __u32 g, const __u32 a[4],
				__u16 port, int rewrite)
{
	struct netacl_dns *d;
	struct query q = { .g = g, .family = 6, .port = port };

	if (is_mapped(a))
		return dns4(ctx, g, a[3], port, 1, rewrite);
	d = dns_served(g);
	if (!d)
		return DNS_PASS;
	if (is_fwd6(d, a, port))
		return 1;
	if (port != DNS_PORT)
		return DNS_PASS;
	q.k6.prefixlen = 128;
	__builtin_memcpy(q.k6.addr, a, 16);
	if (!rewrite || !d->port6 || remember(ctx, 6, a, bpf_htons(port)))
		return dns_refused(&q, ctx);
	ctx->user_ip6[0] = 0;
	ctx->user_ip6[1] = 0;
	ctx->user_ip6[2] = 0;
	ctx->user_ip6[3] = bpf_htonl(1);
	ctx->user_port = bpf_htons(d->port6);
	return 1;
}

/* connect: a connect (the limits count TCP ones), else a send */
static __always_inline int addr4(struct bpf_sock_addr *ctx, int connect)
{
	__u16 port = bpf_ntohs(ctx->user_port);
	__u32 g = live_gen(), ip = ctx->user_ip4;
	int r = dns4(ctx, g, ip, port, 0, 1);

	return r != DNS_PASS ? r : decide4(ctx, g, ip, port, connect);
}

static __always_inline int addr6(struct bpf_sock_addr *ctx, int connect)
{
	__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };
	__u16 port = bpf_ntohs(ctx->user_port);
	__u32 g = live_gen();
	int r = dns6(ctx, g, a, port, 1);

	return r != DNS_PASS ? r : decide6(ctx, g, a, port, connect, 6);
}

/* A connected socket's peer: nothing to rewrite (dns4/dns6 above). */
static __always_inline int peer4(struct bpf_sock_addr *ctx, __u32 ip_n, __u16 port)
{
	__u32 g = live_gen();
	int r = dns4(ctx, g, ip_n, port, 0, 0);

	return r != DNS_PASS ? r : decide4(ctx, g, ip_n, port, 0);
}

/* A send that names no address goes to the socket's peer (a connected
 * UDP socket sending with a control message, IP_TOS or IPV6_TCLASS as
 * QUIC stacks do): judge that, not 0.0.0.0:0.  The kernel gives such a
 * send a zeroed AF_UNSPEC name, port 0.  But udp_sendmsg also sends to
 * the address of a name whose family is AF_UNSPEC (port not 0): that
 * name is the destination, and is judged.  One verdict's code for both
 * (each inlined copy is verified again). */
static __always_inline int send4(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	int named = ctx->user_family == AF_INET || ctx->user_port != 0 || !sk;
	__u32 g = live_gen(), ip;
	__u16 port;
	int r;

	if (named) {
		ip = ctx->user_ip4;
		port = bpf_ntohs(ctx->user_port);
		OPAQUE(ip);
	} else {
		ip = sk->dst_ip4;
		port = bpf_ntohs(sk->dst_port);
		OPAQUE(ip);
	}
	r = dns4(ctx, g, ip, port, 0, named); /* a peer: nothing to rewrite */
	return r != DNS_PASS ? r : decide4(ctx, g, ip, port, 0);
}

/* A mapped peer is judged and reported as its IPv4 address, as peer4
 * would; one verdict's code for both (each inlined copy is verified
 * again). */
static __always_inline int peer6(struct bpf_sock_addr *ctx, const __u32 a[4], __u16 port)
{
	__u32 g = live_gen();
	int mapped = is_mapped(a);
	int r = mapped ? dns4(ctx, g, a[3], port, 0, 0) : dns6(ctx, g, a, port, 0);

	return r != DNS_PASS ? r : decide6(ctx, g, a, port, 0, mapped ? 4 : 6);
}

/* udpv6_sendmsg drops an AF_UNSPEC name before this hook (it then sends
 * to the peer), so here a name's absence is the only other case.  (Made
 * one verdict as send4 is, this verifies in more insns, not fewer.) */
static __always_inline int send6(struct bpf_sock_addr *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	__u32 a[4];

	if (ctx->user_family == AF_INET6 || !sk)
		return addr6(ctx, 0);
	a[0] = sk->dst_ip6[0];
	a[1] = sk->dst_ip6[1];
	a[2] = sk->dst_ip6[2];
	a[3] = sk->dst_ip6[3];
	return peer6(ctx, a, bpf_ntohs(sk->dst_port));
}

SEC("cgroup/connect4")
int netacl_connect4(struct bpf_sock_addr *ctx)
{
	return addr4(ctx, 1);
}

SEC("cgroup/sendmsg4")
int netacl_sendmsg4(struct bpf_sock_addr *ctx)
{
	return send4(ctx);
}

SEC("cgroup/connect6")
int netacl_connect6(struct bpf_sock_addr *ctx)
{
	return addr6(ctx, 1);
}

SEC("cgroup/sendmsg6")
int netacl_sendmsg6(struct bpf_sock_addr *ctx)
{
	return send6(ctx);
}

/* A reply from the forwarder, or the peer of a captured socket, shows
 * the address the workload asked for. */
static __always_inline void restore4(struct bpf_sock_addr *ctx)
{
	struct netacl_dns *d = dns_served(live_gen());
	struct netacl_orig *o;

	if (!d || !is_fwd4(d, ctx->user_ip4, bpf_ntohs(ctx->user_port)))
		return;
	o = bpf_sk_storage_get(&dnsorig, ctx->sk, 0, 0);
	if (!o || o->family != 4)
		return;
	__builtin_memcpy(&ctx->user_ip4, o->addr, 4);
	ctx->user_port = o->port;
}

static __always_inline void restore6(struct bpf_sock_addr *ctx)
{
	struct netacl_dns *d = dns_served(live_gen());
	__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };
	__u16 port = bpf_ntohs(ctx->user_port);
	struct netacl_orig *o;
	int mapped = is_mapped(a);
	__u32 w[4];

	if (!d)
		return;
	if (mapped ? !is_fwd4(d, a[3], port) : !is_fwd6(d, a, port))
		return;
	o = bpf_sk_storage_get(&dnsorig, ctx->sk, 0, 0);
	if (!o || o->family != (mapped ? 4 : 6))
		return;
	__builtin_memcpy(w, o->addr, 16);
	if (mapped) {
		ctx->user_ip6[3] = w[0];
	} else {
		ctx->user_ip6[0] = w[0];
		ctx->user_ip6[1] = w[1];
		ctx->user_ip6[2] = w[2];
		ctx->user_ip6[3] = w[3];
	}
	ctx->user_port = o->port;
}

SEC("cgroup/recvmsg4")
int netacl_recvmsg4(struct bpf_sock_addr *ctx)
{
	restore4(ctx);
	return 1;
}

SEC("cgroup/recvmsg6")
int netacl_recvmsg6(struct bpf_sock_addr *ctx)
{
	restore6(ctx);
	return 1;
}

SEC("cgroup/getpeername4")
int netacl_getpeername4(struct bpf_sock_addr *ctx)
{
	restore4(ctx);
	return 1;
}

SEC("cgroup/getpeername6")
int netacl_getpeername6(struct bpf_sock_addr *ctx)
{
	restore6(ctx);
	return 1;
}

/* ---- bind: (netacl-api.h) ---- */

/* May q's local address be bound, its port in its protocol?  Its set in
 * the generation's bind trie; none: no. */
static __always_inline int bind_ok(struct query *q, const struct netacl_conf *c)
{
	__u32 *s = q->v4 ? GEN_LOOKUP(bind4, &q->k4) : GEN_LOOKUP(bind6, &q->k6);

	return s && port_ok(q, c, *s);
}

/* The live conf if it restricts binds, else 0: the bind goes ahead. */
static __always_inline struct netacl_conf *bind_conf(struct query *q, struct bpf_sock_addr *ctx)
{
	struct netacl_conf *c;

	if (!HAS(BIND))
		return 0;
	q->g = live_gen();
	c = bpf_map_lookup_elem(&conf, &q->g);
	if (!c || !(c->flags & NETACL_BIND))
		return 0;
	/* an MPTCP socket binds its first subflow: the hook sees TCP (were
	 * it ever IPPROTO_MPTCP, port_ok would refuse it: fail closed) */
	q->proto = ctx->protocol;
	return c;
}

SEC("cgroup/bind4")
int netacl_bind4(struct bpf_sock_addr *ctx)
{
	struct query q = { .v4 = 1, .family = 4, .port = bpf_ntohs(ctx->user_port) };
	struct netacl_conf *c = bind_conf(&q, ctx);
	__u32 a = ctx->user_ip4;

	if (!c)
		return 1;
	q.k4.prefixlen = 32;
	__builtin_memcpy(q.k4.addr, &a, 4);
	return conclude(&q, c, bind_ok(&q, c), NETACL_EV_BIND);
}

SEC("cgroup/bind6")
int netacl_bind6(struct bpf_sock_addr *ctx)
{
	__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };
	struct query q = { .family = 6, .port = bpf_ntohs(ctx->user_port) };
	struct netacl_conf *c = bind_conf(&q, ctx);
	int any = (a[0] | a[1] | a[2] | a[3]) == 0, ok;

	if (!c)
		return 1;
	q.k6.prefixlen = 128;
	__builtin_memcpy(q.k6.addr, a, 16);
	q.k4.prefixlen = 32;
	/* ::ffff:a.b.c.d binds a.b.c.d: the IPv4 rules apply */
	q.v4 = is_mapped(a);
	__builtin_memcpy(q.k4.addr, &a[3], 4);
	ok = bind_ok(&q, c);
	/* :: receives IPv4 too unless IPV6_V6ONLY, which is not to be seen
	 * here: 0.0.0.0 must be allowed as well */
	if (ok && any) {
		q.v4 = 1;
		ok = bind_ok(&q, c);
		q.v4 = 0;
	}
	return conclude(&q, c, ok, NETACL_EV_BIND);
}

#define SOCK_STREAM 1
#define SOCK_DGRAM 2

static __always_inline int socket_ok(const struct bpf_sock *sk)
{
	struct netacl_conf *c = live_conf();

	if (sk->type == SOCK_STREAM)
		return sk->protocol == IPPROTO_TCP || sk->protocol == IPPROTO_MPTCP;
	if (sk->type != SOCK_DGRAM)
		return 0;
	if (sk->protocol == IPPROTO_UDP)
		return 1;
	return c && (c->flags & NETACL_ALLOW_PING) &&
	       (sk->protocol == IPPROTO_ICMP || sk->protocol == 58 /* ICMPv6 */);
}

/* Only sockets whose every send the address hooks see (inet only: this
 * hook runs for AF_INET and AF_INET6 sockets, nothing else). */
SEC("cgroup/sock_create")
int netacl_sock_create(struct bpf_sock *sk)
{
	struct netacl_event t = { .kind = NETACL_EV_SOCKET,
				  .family = sk->family == AF_INET ? 4 : 6,
				  .port = sk->type, .proto = sk->protocol };

	return verdict_other(socket_ok(sk), &t);
}

#define SOL_IP 0
#define IP_OPTIONS 4
#define SOL_IPV6 41
#define IPV6_2292RTHDR 5
#define IPV6_RTHDR 57

/* No option that sends a packet elsewhere than its destination address:
 * a routing header (the packet goes to its first segment) or IPv4
 * options (source routing).  Clearing one (an empty value) is fine. */
SEC("cgroup/setsockopt")
int netacl_setsockopt(struct bpf_sockopt *ctx)
{
	int level = ctx->level, name = ctx->optname;
	int route = (level == SOL_IPV6 && (name == IPV6_RTHDR || name == IPV6_2292RTHDR)) ||
		    (level == SOL_IP && name == IP_OPTIONS);
	struct netacl_event t = { .kind = NETACL_EV_SOCKOPT, .family = level == SOL_IP ? 4 : 6,
				  .port = (__u16)name, .proto = (__u8)level };

	if (!route || ctx->optlen <= 0)
		return 1;
	return verdict_other(0, &t);
}

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define NEXTHDR_HOP 0
#define NEXTHDR_ROUTING 43
#define NEXTHDR_DEST 60

/* An IPv6 routing header, after the hop-by-hop and destination options
 * that may come before it (the order Linux writes them in). */
static __always_inline int routed6(struct __sk_buff *skb)
{
	__u8 nh, ext[2];
	__u32 off = 40;

	if (bpf_skb_load_bytes(skb, 6, &nh, 1))
		return 0;
	for (int i = 0; i < 2 && (nh == NEXTHDR_HOP || nh == NEXTHDR_DEST); i++) {
		if (bpf_skb_load_bytes(skb, off, ext, 2))
			return 0;
		nh = ext[0];
		off += 8 + ext[1] * 8;
	}
	return nh == NEXTHDR_ROUTING;
}

/* Behind the setsockopt hook: no packet of the cgroup's sockets leaves
 * with IPv4 options or an IPv6 routing header. */
SEC("cgroup_skb/egress")
int netacl_egress(struct __sk_buff *skb)
{
	struct netacl_event t = { .kind = NETACL_EV_PACKET };
	__u8 vihl;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, 0, &vihl, 1) || (vihl & 0x0f) <= 5)
			return 1;
		t.family = 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (!routed6(skb))
			return 1;
		t.family = 6;
	} else {
		return 1;
	}
	return verdict_other(0, &t);
}

/* ---- giving the count back (netacl-api.h) ---- */

/* A counted socket's SYN: be told of its state changes, and give its
 * count back when it is closed (refused, reset, timed out, or closed and
 * done).  Every other operation is left as it is (return 1, no reply). */
SEC("sockops")
int netacl_sockops(struct bpf_sock_ops *ops)
{
	struct bpf_sock *sk = ops->sk;
	struct netacl_connsk *m;

	if (!HAS(LIMITS) || !sk)
		return 1;
	if (ops->op == BPF_SOCK_OPS_TCP_CONNECT_CB) {
		m = bpf_sk_storage_get(&connsk, sk, 0, 0);
		if (m && m->counted)
			bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags |
							       BPF_SOCK_OPS_STATE_CB_FLAG);
	} else if (ops->op == BPF_SOCK_OPS_STATE_CB && ops->args[1] == BPF_TCP_CLOSE) {
		uncount(sk);
	}
	return 1;
}

/* The last reference to a socket closed: a counted one that never
 * reached its SYN (or whose state change is still to come) gives its
 * count back here. */
SEC("cgroup/sock_release")
int netacl_sock_release(struct bpf_sock *sk)
{
	/* only TCP and MPTCP sockets are counted */
	if (HAS(LIMITS) && (sk->protocol == IPPROTO_TCP || sk->protocol == IPPROTO_MPTCP))
		uncount(sk);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
