/* A loaded target's live DNS, served from a thread of this process: the
 * forwarder (compiler/admit/forward.h) with the target's kernel maps as
 * its sink (bpf/admit.h).  run serves its own target this way. */
#ifndef NETACL_DNSSERVE_H
#define NETACL_DNSSERVE_H

#include "compiler/cmd/cli.h"
#include "compiler/model/model.h"
#include "compiler/resolve/resolve.h"

struct dns_serve;

/* Serve the loaded target `name`, whose rules are t's, until stopped.
 * The kernel sends its DNS here once this returns.  An exit status. */
int dns_serve_start(const char *name, const struct m_target *t, const struct resolve_opts *ro,
		    const struct cli_dns *lim, struct dns_serve **out);
/* Stop serving: from now on the target's captured DNS is refused. */
void dns_serve_stop(struct dns_serve *s);

#endif
