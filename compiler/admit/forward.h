/* The live-DNS forwarder of one target (netacl(8), LIVE DNS): it listens
 * on loopback where the kernel sends the workload's DNS, answers names no
 * rule allows with NXDOMAIN itself, asks upstream for the rest, and has
 * every admitted address of an answer written (sink) before the answer
 * goes back.  The only part of admit/ with sockets; the decisions are
 * msg.c, decide.c and cache.c. */
#ifndef NETACL_ADMIT_FORWARD_H
#define NETACL_ADMIT_FORWARD_H

#include <stdint.h>
#include <stdio.h>

#include "acl/ports.h"
#include "compiler/admit/decide.h"
#include "compiler/model/model.h"
#include "compiler/resolve/resolve.h"

/* Where admissions go: the target's kernel maps (bpf/admit.h), or a test.
 * put() admits v until expires_ms (CLOCK_MONOTONIC) for the ports; it
 * must not fail open: nonzero means nothing was admitted, and the answer
 * then goes back as SERVFAIL. */
struct fwd_sink {
	int (*put)(void *arg, int family, acl_u128 v, uint64_t expires_ms,
		   const struct acl_ports *tcp, const struct acl_ports *udp, const char *name);
	int (*del)(void *arg, int family, acl_u128 v);
	/* what happened, for trace: what is a NETACL_DNS_* of bpf/netacl-api.h;
	 * family 0 when there is no address; row ACL_SP_NONE or the row */
	void (*event)(void *arg, int what, const char *name, unsigned qtype, int family,
		      acl_u128 v, uint32_t ttl, int row);
	void *arg;
};

struct fwd_opts {
	const struct m_target *t;      /* rules and private: of the target */
	const struct resolve_opts *ro; /* upstream: --resolver, else resolv.conf */
	struct admit_ttl ttl;
	size_t per_name, total;        /* admitted addresses: caps */
	size_t inflight;               /* queries upstream at once */
	FILE *log;                     /* a line per refusal; NULL: none */
};

struct fwd;

/* Listen on 127.0.0.1 and ::1 (UDP and TCP, one port number per family;
 * port6 is 0 when the host has no IPv6 loopback).  An exit status. */
int fwd_open(const struct fwd_opts *o, const struct fwd_sink *s, struct fwd **out,
	     uint16_t *port4, uint16_t *port6);
/* Serve until stop_fd is readable.  An exit status. */
int fwd_run(struct fwd *f, int stop_fd);
void fwd_close(struct fwd *f);

#endif
