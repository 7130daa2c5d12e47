#include "bpf/admit.h"

#include <errno.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>

#include <bpf/bpf.h>

#include "compiler/clock.h"

int admit_serve(const struct pinned *p, uint16_t port4, uint16_t port6, uint32_t pid)
{
	struct netacl_dns d = { .port4 = port4, .port6 = port6, .pid = pid };
	uint32_t zero = 0;

	return bpf_map_update_elem(p->fd[PIN_DNS], &zero, &d, BPF_ANY) ? -errno : 0;
}

static void ranges(struct netacl_admit *a, int k, const struct acl_ports *ports)
{
	unsigned n = ports->n < NETACL_ADMIT_RANGES ? ports->n : NETACL_ADMIT_RANGES;

	for (unsigned i = 0; i < n; i++)
		a->r[k][i] = (struct netacl_prange){ ports->r[i].lo, ports->r[i].hi };
	a->n[k] = (uint8_t)n;
}

int admit_put(const struct pinned *p, int family, acl_u128 v, uint64_t expires_ns,
	      const struct acl_ports *tcp, const struct acl_ports *udp, const char *name)
{
	struct netacl_admit a = { .expires_ns = expires_ns };
	uint8_t key[16];
	size_t n = family == ACL_V4 ? 4 : 16;

	ranges(&a, 0, tcp);
	ranges(&a, 1, udp);
	snprintf(a.name, sizeof(a.name), "%s", name);
	acl_addr_to_bytes(v, key, n);
	return bpf_map_update_elem(p->fd[family == ACL_V4 ? PIN_ADMIT4 : PIN_ADMIT6], key, &a,
				   BPF_ANY) ? -errno : 0;
}

int admit_del(const struct pinned *p, int family, acl_u128 v)
{
	uint8_t key[16];
	size_t n = family == ACL_V4 ? 4 : 16;

	acl_addr_to_bytes(v, key, n);
	if (bpf_map_delete_elem(p->fd[family == ACL_V4 ? PIN_ADMIT4 : PIN_ADMIT6], key))
		return errno == ENOENT ? 0 : -errno;
	return 0;
}

int admit_each(const struct pinned *p,
	       void (*fn)(int family, acl_u128 v, const struct netacl_admit *a, void *arg),
	       void *arg)
{
	for (int f = 0; f < 2; f++) {
		int fd = p->fd[f ? PIN_ADMIT6 : PIN_ADMIT4];
		size_t n = f ? 16 : 4;
		uint8_t key[16], next[16];
		void *prev = NULL;
		struct netacl_admit a;

		while (bpf_map_get_next_key(fd, prev, next) == 0) {
			if (bpf_map_lookup_elem(fd, next, &a) == 0)
				fn(f ? ACL_V6 : ACL_V4, acl_addr_from_bytes(next, n), &a, arg);
			else if (errno != ENOENT) /* deleted meanwhile: fine */
				return -errno;
			memcpy(key, next, n);
			prev = key;
		}
		if (errno != ENOENT)
			return -errno;
	}
	return 0;
}

bool admit_served(const struct pinned *p, struct netacl_dns *d)
{
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(p->fd[PIN_DNS], &zero, d) || !d->port4 || !d->pid)
		return false;
	return kill((pid_t)d->pid, 0) == 0 || errno == EPERM;
}

struct counting {
	uint64_t now_ns;
	size_t n;
};

static void count_one(int family, acl_u128 v, const struct netacl_admit *a, void *arg)
{
	struct counting *c = arg;

	(void)family;
	(void)v;
	c->n += a->expires_ns > c->now_ns;
}

size_t admit_count(const struct pinned *p)
{
	struct counting c = { clock_ns(), 0 };

	admit_each(p, count_one, &c);
	return c.n;
}

void admit_event(const struct pinned *p, const struct netacl_dnsev *e)
{
	bpf_map_update_elem(p->fd[PIN_DNSEV], NULL, e, BPF_EXIST);
}
