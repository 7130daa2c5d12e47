/* Port sets and protocols. */
#ifndef ACL_PORTS_H
#define ACL_PORTS_H

#include "addr.h"

/* A rule's port list is short; a fixed bound keeps rules plain values and
 * bounds the kernel's loop over them. */
#define ACL_MAX_PRANGES 32

struct acl_prange {
	uint16_t lo, hi;
};

/* Sorted, merged ranges.  n == 0 is the empty set; "every port" is the
 * single range 0-65535. */
struct acl_ports {
	unsigned n;
	struct acl_prange r[ACL_MAX_PRANGES];
};

enum { ACL_TCP = 1, ACL_UDP = 2, ACL_ANY_PROTO = 3 };

void acl_ports_all(struct acl_ports *p);
bool acl_ports_is_all(const struct acl_ports *p);
/* Parse "N" or "N-M" (1 <= N <= M <= 65535) and add it. */
int acl_ports_add_text(struct acl_ports *p, const char *s, size_t n,
		       struct acl_err *err);
int acl_ports_add(struct acl_ports *p, unsigned lo, unsigned hi,
		  struct acl_err *err);
bool acl_ports_contains(const struct acl_ports *p, unsigned port);
void acl_ports_intersect(const struct acl_ports *a, const struct acl_ports *b,
			 struct acl_ports *out);
bool acl_ports_equal(const struct acl_ports *a, const struct acl_ports *b);
/* "N" or "N-M" for range i. */
void acl_prange_format(const struct acl_prange *r, char *buf, size_t size);
/* The ranges joined by commas ("" for none; stops before overflowing). */
void acl_ports_format(const struct acl_ports *p, char *buf, size_t size);

/* "tcp", "udp", "any" <-> mask; -1 for an unknown name. */
int acl_proto_parse(const char *s);
const char *acl_proto_name(int proto);

#endif
