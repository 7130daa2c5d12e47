/* The kernel side of live DNS (netacl(8), LIVE DNS): where a target's
 * forwarder listens, and the addresses its answers admitted. */
#ifndef NETACL_BPF_ADMIT_H
#define NETACL_BPF_ADMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl/addr.h"
#include "acl/ports.h"
#include "bpf/pins.h"

/* Say where the forwarder of p's target listens (0, 0: nowhere; its
 * captured DNS is then refused).  0 or -errno. */
int admit_serve(const struct pinned *p, uint16_t port4, uint16_t port6, uint32_t pid);

/* Admit v until expires_ns (CLOCK_MONOTONIC) for these ports; a set
 * beyond NETACL_ADMIT_RANGES ranges keeps its first ones (narrower, never
 * wider).  0 or -errno (the map is full: nothing was admitted). */
int admit_put(const struct pinned *p, int family, acl_u128 v, uint64_t expires_ns,
	      const struct acl_ports *tcp, const struct acl_ports *udp, const char *name);
int admit_del(const struct pinned *p, int family, acl_u128 v);

/* Every admitted address of p's target, unexpired or not (the kernel
 * refuses an expired one; the forwarder deletes it within a second).
 * 0 or -errno. */
int admit_each(const struct pinned *p,
	       void (*fn)(int family, acl_u128 v, const struct netacl_admit *a, void *arg),
	       void *arg);

/* Tell trace what the forwarder did (a full queue drops its oldest). */
void admit_event(const struct pinned *p, const struct netacl_dnsev *e);

/* Whether a forwarder serves p's target: its ports and pid when one
 * does (the process is alive), else false. */
bool admit_served(const struct pinned *p, struct netacl_dns *d);
/* How many admitted addresses have not expired. */
size_t admit_count(const struct pinned *p);

#endif
