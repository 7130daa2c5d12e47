/* Two objects of the same skeleton verify alternate programs on one set
 * of maps (bpf_map__reuse_fd), so pinning and attaching see one target. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/netacl-api.h"
#include "bpf/progs.h"
#include "bpf/netacl.skel.h"

uint32_t progs_feature(const struct bpf_program *prog)
{
	switch (bpf_program__expected_attach_type(prog)) {
	case BPF_CGROUP_UDP4_RECVMSG:
	case BPF_CGROUP_UDP6_RECVMSG:
	case BPF_CGROUP_INET4_GETPEERNAME:
	case BPF_CGROUP_INET6_GETPEERNAME:
		return NETACL_LACKS_DNS;
	case BPF_CGROUP_INET4_BIND:
	case BPF_CGROUP_INET6_BIND:
		return NETACL_LACKS_BIND;
	case BPF_CGROUP_SOCK_OPS:
	case BPF_CGROUP_INET_SOCK_RELEASE:
		return NETACL_LACKS_LIMITS;
	default:
		return 0;
	}
}

#define MAX_PROGS 32

/* Load the programs of half 0 or 1 of those a policy lacking `lacks`
 * needs; half -1: none.  The halves verify in two threads, so they are
 * made even: the largest program first, each to the half with less so
 * far (its size stands for the verifier's time: sendmsg6 is a half's
 * worth alone). */
static void choose(struct netacl *s, int half, uint32_t lacks)
{
	struct bpf_program *prog, *v[MAX_PROGS];
	size_t load[2] = { 0, 0 }, n = 0;

	bpf_object__for_each_program(prog, s->obj) {
		bool needed = half >= 0 && !(progs_feature(prog) & lacks);

		/* past MAX_PROGS (not so far), half 0 verifies the rest */
		bpf_program__set_autoload(prog, needed && n == MAX_PROGS && half == 0);
		if (needed && n < MAX_PROGS)
			v[n++] = prog;
	}
	for (size_t i = 0; i < n; i++) { /* by size, largest first; few */
		for (size_t j = i + 1; j < n; j++)
			if (bpf_program__insn_cnt(v[j]) > bpf_program__insn_cnt(v[i])) {
				prog = v[i];
				v[i] = v[j];
				v[j] = prog;
			}
		int h = load[1] < load[0];

		load[h] += bpf_program__insn_cnt(v[i]);
		bpf_program__set_autoload(v[i], h == half);
	}
}

/* A cgroup/connect4 program that asks for ctx->sk's MPTCP socket: the
 * kernel loads it only when the helper works (a kernel without MPTCP or
 * BTF has no type for its result). */
static bool mptcp_cast_loads(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_1,
		  .off = offsetof(struct bpf_sock_addr, sk) },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_skc_to_mptcp_sock },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_CGROUP_INET4_CONNECT);
	int fd = bpf_prog_load(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, "netacl_probe", "Dual BSD/GPL",
			       insns, sizeof(insns) / sizeof(insns[0]), &o);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

bool progs_mptcp_cast(void)
{
	static int known = -1;

	if (known < 0)
		known = mptcp_cast_loads();
	return known;
}

bool progs_is_admit(const char *map_name)
{
	return strcmp(map_name, "admit4") == 0 || strcmp(map_name, "admit6") == 0;
}

int progs_admit_new(const struct bpf_map *like)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = bpf_map__map_flags(like));
	int fd = bpf_map_create(bpf_map__type(like), bpf_map__name(like), bpf_map__key_size(like),
				bpf_map__value_size(like), NETACL_ADMIT_MAX, &o);

	return fd < 0 ? -errno : fd;
}

int progs_create_maps(struct progs *p)
{
	memset(p, 0, sizeof(*p));
	p->maps = netacl__open();
	if (!p->maps)
		return -errno;
	choose(p->maps, -1, 0);
	bpf_map__set_max_entries(p->maps->maps.admit4, 1);
	bpf_map__set_max_entries(p->maps->maps.admit6, 1);
	return netacl__load(p->maps);
}

/* Whole admit maps for a policy with dns: admit, in place of the small
 * ones progs_create_maps made. */
static int admit_grow(struct progs *p)
{
	struct bpf_map *m[2] = { p->maps->maps.admit4, p->maps->maps.admit6 };
	int err = 0;

	for (int i = 0; i < 2 && !err; i++) {
		int fd = progs_admit_new(m[i]);

		err = fd < 0 ? fd : bpf_map__reuse_fd(m[i], fd);
		if (fd >= 0)
			close(fd);
	}
	return err;
}

/* A first load of `run` makes its maps while the policy is read. */
static struct {
	struct progs p;
	pthread_t thread;
	int err;
	bool started;
} early;

static void *make_early(void *arg)
{
	(void)arg;
	early.err = progs_create_maps(&early.p);
	return NULL;
}

void progs_prefetch(void)
{
	if (!early.started)
		early.started = pthread_create(&early.thread, NULL, make_early, NULL) == 0;
}

int progs_take(struct progs *p)
{
	if (!early.started)
		return progs_create_maps(p);
	pthread_join(early.thread, NULL);
	early.started = false;
	*p = early.p;
	memset(&early.p, 0, sizeof(early.p));
	return early.err;
}

static int verify(struct progs *p, int half)
{
	struct netacl *s = netacl__open();
	struct bpf_map *m;
	int err = 0;

	if (!s)
		return -errno;
	p->half[half] = s;
	choose(s, half, p->lacks);
	bpf_object__for_each_map(m, s->obj) {
		struct bpf_map *mine = bpf_object__find_map_by_name(p->maps->obj, bpf_map__name(m));

		/* .rodata is each half's own, not pinned: the maps were made
		 * before the policy said what the programs lack */
		if (!err && !bpf_map__is_internal(m))
			err = mine ? bpf_map__reuse_fd(m, bpf_map__fd(mine)) : -ENOENT;
	}
	s->rodata->have_mptcp_cast = p->mptcp_cast;
	s->rodata->lacks = p->lacks;
	return err ? err : netacl__load(s);
}

static void *verify_thread(void *arg)
{
	struct progs_job *j = arg;

	j->p->err[j->half] = verify(j->p, j->half);
	return NULL;
}

int progs_verify_start(struct progs *p, uint32_t lacks)
{
	int err = lacks & NETACL_LACKS_DNS ? 0 : admit_grow(p);

	if (err)
		return err;
	p->lacks = lacks;
	p->mptcp_cast = progs_mptcp_cast(); /* probed here, not in both threads */
	for (int h = 0; h < 2; h++) {
		p->job[h] = (struct progs_job){ p, h };
		p->started[h] = pthread_create(&p->thread[h], NULL, verify_thread, &p->job[h]) == 0;
		if (!p->started[h])
			p->err[h] = verify(p, h);
	}
	return 0;
}

int progs_verify_wait(struct progs *p)
{
	for (int h = 0; h < 2; h++)
		if (p->started[h]) {
			pthread_join(p->thread[h], NULL);
			p->started[h] = false;
		}
	return p->err[0] ? p->err[0] : p->err[1];
}

struct bpf_program *progs_nth(const struct progs *p, unsigned i)
{
	struct bpf_program *prog, *loaded;
	unsigned k = 0;

	bpf_object__for_each_program(prog, p->half[0]->obj) {
		loaded = bpf_program__autoload(prog)
				 ? prog
				 : bpf_object__find_program_by_name(p->half[1]->obj,
								    bpf_program__name(prog));
		if (loaded && bpf_program__autoload(loaded) && k++ == i)
			return loaded;
	}
	return NULL;
}

void progs_destroy(struct progs *p)
{
	progs_verify_wait(p);
	for (int h = 0; h < 2; h++)
		netacl__destroy(p->half[h]);
	netacl__destroy(p->maps);
	memset(p, 0, sizeof(*p));
}
