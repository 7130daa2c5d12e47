#include "bpf/admit.h"

#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

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
	      const struct acl_ports *tcp, const struct acl_ports *udp)
{
	struct netacl_admit a = { .expires_ns = expires_ns };
	uint8_t key[16];
	size_t n = family == ACL_V4 ? 4 : 16;

	ranges(&a, 0, tcp);
	ranges(&a, 1, udp);
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
