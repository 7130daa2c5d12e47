/* An arena: many small allocations freed together, for data that is built
 * once and then only read (a policy's rules, the resolved model).  Strings
 * and port sets can be interned: policies of millions of rules share a
 * handful of port sets. */
#ifndef NETACL_ARENA_H
#define NETACL_ARENA_H

#include <stddef.h>

#include "acl/ports.h"

struct arena;

struct arena *arena_new(void);
void arena_free(struct arena *a);

/* Zeroed, aligned for any type; never NULL (aborts when memory runs out). */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
/* An arena copy of p, one per distinct set: equal sets share it.  It holds
 * only p->n ranges: read it, never copy it whole. */
const struct acl_ports *arena_ports(struct arena *a, const struct acl_ports *p);

/* Room for element n of an array of n elements that grows one at a time
 * (n elements of size bytes at arr, from arena_grow or NULL).  Capacity
 * doubles at powers of two; a large array lives in a block of its own and
 * is resized in place, so its old copies do not stay in the arena. */
void *arena_grow(struct arena *a, void *arr, size_t n, size_t size);

#endif
