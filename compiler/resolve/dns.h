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

/* A c-ares channel on the --resolver servers (else /etc/resolv.conf);
 * cb hears which sockets to watch.  An exit status. */
int dns_channel(const struct resolve_opts *o, ares_sock_state_cb cb, void *data,
		ares_channel *ch);

#endif
