// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The four cgroup sock_addr programs.  The whole contract with the loader
 * is bpf/netacl-api.h; read its comment first. */
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
		__uint(max_entries, 2);                       \
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

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct netacl_conf);
} conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
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

/* One connect or send: the address as a 4-byte or 16-byte key. */
struct query {
	__u32 g;
	int v4; /* look up in the IPv4 maps */
	__u16 port;
	__u8 proto;
	struct netacl_key4 k4;
	struct netacl_key6 k6;
};

static __always_inline int port_ok(struct query *q, __u32 set)
{
	void *words = bpf_map_lookup_elem(&ports, &q->g);
	__u32 k, ix;
	__u64 *w;

	if (!words)
		return 0;
	if (q->proto == IPPROTO_TCP)
		k = 0;
	else if (q->proto == IPPROTO_UDP)
		k = 1;
	else
		return 0;
	ix = NETACL_PORT_WORD(set, k, q->port);
	w = bpf_map_lookup_elem(words, &ix);
	return w && (*w >> (q->port & 63) & 1);
}

static __always_inline int allowed(struct query *q, const struct netacl_conf *c)
{
	void *exact = bpf_map_lookup_elem(q->v4 ? (void *)&exact4 : (void *)&exact6, &q->g);
	void *allow = bpf_map_lookup_elem(q->v4 ? (void *)&allow4 : (void *)&allow6, &q->g);
	void *deny = bpf_map_lookup_elem(q->v4 ? (void *)&deny4 : (void *)&deny6, &q->g);
	void *key = q->v4 ? (void *)&q->k4 : (void *)&q->k6;
	__u32 *set;

	if (!c || !exact || !allow || !deny)
		return 0; /* never loaded: fail closed */
	set = bpf_map_lookup_elem(exact, q->v4 ? (void *)q->k4.addr : (void *)q->k6.addr);
	if (!set)
		set = bpf_map_lookup_elem(allow, key);
	if (set && port_ok(q, *set))
		return 1;
	return (c->flags & NETACL_ALLOW_ALL) && c->star != NETACL_NO_STAR &&
	       !bpf_map_lookup_elem(deny, key) && port_ok(q, c->star);
}

static __always_inline void count(__u32 slot)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &slot);

	if (n)
		*n += 1;
}

static __always_inline void report(struct bpf_sock_addr *ctx, struct query *q, __u8 verdict)
{
	struct netacl_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(NETACL_CNT_LOST); /* the verdict stands either way */
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ktime_ns = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->port = q->port;
	e->proto = q->proto;
	e->verdict = verdict;
	if (ctx->user_family == AF_INET) {
		e->family = 4;
		__builtin_memcpy(e->addr, q->k4.addr, 4);
	} else {
		e->family = 6;
		__builtin_memcpy(e->addr, q->k6.addr, 16);
	}
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int decide(struct bpf_sock_addr *ctx, struct query *q)
{
	__u32 zero = 0, *g = bpf_map_lookup_elem(&gen, &zero);
	struct netacl_conf *c;

	q->g = g ? *g & 1 : 0;
	q->port = bpf_ntohs(ctx->user_port);
	q->proto = ctx->protocol;
	c = bpf_map_lookup_elem(&conf, &q->g);
	if (allowed(q, c)) {
		__u32 *l = bpf_map_lookup_elem(&listen, &zero);

		count(NETACL_CNT_ALLOW);
		if (l && *l)
			report(ctx, q, NETACL_V_ALLOW);
		return 1;
	}
	if (c && (c->flags & NETACL_AUDIT)) {
		count(NETACL_CNT_AUDIT);
		report(ctx, q, NETACL_V_AUDIT);
		return 1;
	}
	count(NETACL_CNT_DENY);
	report(ctx, q, NETACL_V_DENY);
	return 0;
}

static __always_inline int decide4(struct bpf_sock_addr *ctx)
{
	struct query q = { .v4 = 1 };
	__u32 a = ctx->user_ip4;

	q.k4.prefixlen = 32;
	__builtin_memcpy(q.k4.addr, &a, 4);
	return decide(ctx, &q);
}

static __always_inline int decide6(struct bpf_sock_addr *ctx)
{
	struct query q = {};
	__u32 a[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };

	q.k6.prefixlen = 128;
	__builtin_memcpy(q.k6.addr, a, 16);
	/* ::ffff:a.b.c.d: Linux runs only this hook, so the IPv4 rules apply */
	if (a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff)) {
		q.v4 = 1;
		q.k4.prefixlen = 32;
		__builtin_memcpy(q.k4.addr, &a[3], 4);
	}
	return decide(ctx, &q);
}

SEC("cgroup/connect4")
int netacl_connect4(struct bpf_sock_addr *ctx)
{
	return decide4(ctx);
}

SEC("cgroup/sendmsg4")
int netacl_sendmsg4(struct bpf_sock_addr *ctx)
{
	return decide4(ctx);
}

SEC("cgroup/connect6")
int netacl_connect6(struct bpf_sock_addr *ctx)
{
	return decide6(ctx);
}

SEC("cgroup/sendmsg6")
int netacl_sendmsg6(struct bpf_sock_addr *ctx)
{
	return decide6(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
