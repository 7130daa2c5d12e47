/* Name resolution (netacl(8), RESOLUTION OPTIONS): --hosts-file files, then /etc/hosts, then DNS
 * (compiler/dns.c).  Each unique name is resolved once per run. */
#ifndef NETACL_RESOLVE_H
#define NETACL_RESOLVE_H

#include <stdint.h>

#include "acl/addr.h"

struct resolve_opts {
	size_t nhosts_files;
	const char **hosts_files;
	const char *etc_hosts;   /* "/etc/hosts", or $NETACL_ETC_HOSTS */
	bool offline;
	size_t nresolvers;
	const char **resolvers;  /* "IP[:PORT]" */
	unsigned timeout_ms;     /* the whole resolution */
	unsigned max_addrs;
	bool strict;
	bool progress;           /* a progress line on a terminal */
};

struct answer {
	uint8_t family;
	acl_u128 v;
	int64_t ttl; /* -1: none (hosts file) */
};

struct resolution {
	const char *name;   /* not owned */
	size_t n;
	struct answer *a;
	const char *error;  /* NULL when resolved: "NXDOMAIN", "timeout", ... */
	const char *err4, *err6; /* per family */
	bool truncated;
};

void resolve_opts_init(struct resolve_opts *o);

/* Resolve names[0..n) into out[0..n) (names must be unique).  Returns 0,
 * 66 for an unreadable hosts file, 65 for a bad one, 70 on internal
 * failure. */
int resolve_all(const struct resolve_opts *o, const char *const *names, size_t n,
		struct resolution *out);
void resolve_free(struct resolution *r, size_t n);
/* Add an address to a name's answers, once. */
void resolve_answer_add(struct resolution *r, int family, acl_u128 v, int64_t ttl);

/* Sort a name's answers (IPv4 first, numerically) and keep at most max. */
void resolve_canonicalise(struct resolution *r, unsigned max);


#endif
