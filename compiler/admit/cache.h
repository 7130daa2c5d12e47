/* Admitted addresses of one target (netacl(8), LIVE DNS): which name
 * answered each, until when, and the caps that bound them.  An address
 * answered for two names stays admitted while either holds it.  The
 * forwarder mirrors every change into the target's kernel map.
 *
 * Every operation but expiry is O(1) plus the entries of one name or of
 * one address (hash chains, and least-recently-answered lists for all
 * entries and per name): a forwarder admits tens of thousands of
 * addresses a second. */
#ifndef NETACL_ADMIT_CACHE_H
#define NETACL_ADMIT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl/addr.h"
#include "acl/host.h"

struct admit_entry {
	int family;
	acl_u128 v;
	uint64_t expires_ms, answered_ms; /* CLOCK_MONOTONIC */
	uint32_t group;                   /* its name (admit_cache.g) */
	uint32_t lru_prev, lru_next;      /* all entries, least recently answered first */
	uint32_t grp_prev, grp_next;      /* its name's entries, likewise */
	uint32_t addr_next;               /* the address hash chain */
	bool used;
};

struct admit_group {
	char name[ACL_NAME_MAX + 1];
	uint32_t count, head, tail;       /* its entries, least recently answered first */
	uint32_t next;                    /* the name hash chain; free list */
	bool used;
};

struct admit_cache {
	size_t per_name, total;           /* caps: a name's addresses, all of them */
	size_t n;                         /* entries in use */
	size_t cap;                       /* slots of e (and of g); buckets: 2 cap */
	struct admit_entry *e;
	struct admit_group *g;
	uint32_t *addr_tab, *name_tab;
	uint32_t free_e, free_g;          /* free slots (through lru_next, next) */
	uint32_t lru_head, lru_tail;
};

/* An entry of v was dropped (expired, or past a cap).  held: another
 * name still holds v (its kernel entry is then the remaining names'),
 * else none does (delete it from the kernel map). */
typedef void (*admit_gone_fn)(int family, acl_u128 v, bool held, void *arg);

void admit_cache_init(struct admit_cache *c, size_t per_name, size_t total);
void admit_cache_free(struct admit_cache *c);

/* name answered v at now, to be kept until expires.  Past a cap, the
 * least recently answered address of the name (or of all names) goes,
 * and gone() hears of it when no other name holds it.  Returns the
 * latest expiry any name gives v: the kernel map's value. */
uint64_t admit_cache_put(struct admit_cache *c, const char *name, int family, acl_u128 v,
			 uint64_t now, uint64_t expires, admit_gone_fn gone, void *arg);

/* The names that hold v, each once, with the expiry each gives it. */
void admit_cache_holders(const struct admit_cache *c, int family, acl_u128 v,
			 void (*fn)(const char *name, uint64_t expires_ms, void *arg), void *arg);

/* Drop what expired by now; gone() for each address no one holds. */
void admit_cache_expire(struct admit_cache *c, uint64_t now, admit_gone_fn gone, void *arg);

#endif
