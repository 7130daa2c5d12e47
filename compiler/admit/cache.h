/* Admitted addresses of one target (netacl(8), LIVE DNS): which name
 * answered each, until when, and the caps that bound them.  An address
 * answered for two names stays admitted while either holds it.  The
 * forwarder mirrors every change into the target's kernel map. */
#ifndef NETACL_ADMIT_CACHE_H
#define NETACL_ADMIT_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "acl/addr.h"
#include "acl/host.h"

struct admit_entry {
	char name[ACL_NAME_MAX + 1];
	int family;
	acl_u128 v;
	uint64_t expires_ms, answered_ms; /* CLOCK_MONOTONIC */
};

struct admit_cache {
	size_t per_name, total; /* caps: a name's addresses, all of them */
	size_t n, cap;
	struct admit_entry *e;
};

/* An address no entry holds any more: delete it from the kernel map. */
typedef void (*admit_gone_fn)(int family, acl_u128 v, void *arg);

void admit_cache_init(struct admit_cache *c, size_t per_name, size_t total);
void admit_cache_free(struct admit_cache *c);

/* name answered v at now, to be kept until expires.  Past a cap, the
 * least recently answered address of the name (or of all names) goes,
 * and gone() hears of it when no other name holds it.  Returns the
 * latest expiry any name gives v: the kernel map's value. */
uint64_t admit_cache_put(struct admit_cache *c, const char *name, int family, acl_u128 v,
			 uint64_t now, uint64_t expires, admit_gone_fn gone, void *arg);

/* Drop what expired by now; gone() for each address no one holds. */
void admit_cache_expire(struct admit_cache *c, uint64_t now, admit_gone_fn gone, void *arg);

#endif
