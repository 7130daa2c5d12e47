/* DNS with c-ares: the names hosts files did not answer, both families
 * at once, within the resolution's timeout. */
#ifndef NETACL_DNS_H
#define NETACL_DNS_H

#include <ares.h>
#include <stddef.h>

#include "compiler/resolve/resolve.h"

/* DNS for the names hosts files did not answer.  idx[]
 * lists the entries of out[] to fill. */
int dns_resolve(const struct resolve_opts *o, struct resolution *out, const size_t *idx,
		size_t nidx);

/* 0, or EX_USAGE after saying which --resolver is not IP[:PORT]: checked
 * whether or not DNS is asked (--offline, names all in hosts files). */
int dns_check_resolvers(const struct resolve_opts *o);

/* An address of an answer. */
struct dns_addr {
	int family;   /* ACL_V4 or ACL_V6 */
	acl_u128 v;
	uint32_t ttl; /* seconds, the smallest along the CNAME chain */
};

/* The addresses of an A (family ACL_V4) or AAAA (ACL_V6) answer, CNAMEs
 * followed by c-ares: at most max of them into out, their count in *n.
 * An ARES_* status: what compile and the live-DNS forwarder both read. */
int dns_parse_addrs(const unsigned char *abuf, int alen, int family, struct dns_addr *out,
		    int max, int *n);

/* A c-ares channel on the --resolver servers (else /etc/resolv.conf);
 * cb hears which sockets to watch.  An exit status. */
int dns_channel(const struct resolve_opts *o, ares_sock_state_cb cb, void *data,
		ares_channel *ch);

#endif
