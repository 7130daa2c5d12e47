/* Addresses and CIDRs of both families, as 128-bit integers.
 *
 * An IPv4 address is its 32-bit value; an IPv6 address its 128-bit value.
 * Keeping both in one integer type lets the set and table code be written
 * once for both families. */
#ifndef ACL_ADDR_H
#define ACL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 acl_u128;

enum { ACL_V4 = 4, ACL_V6 = 6 };

/* Longest text acl_cidr_format writes, NUL included. */
#define ACL_CIDR_STRLEN 48

/* A parse error: a message and the byte offset in the parsed text it
 * points at, so callers can turn it into FILE:LINE:COL. */
struct acl_err {
	size_t off;
	char msg[240];
};

struct acl_cidr {
	uint8_t family; /* ACL_V4 or ACL_V6 */
	uint8_t len;    /* prefix length */
	acl_u128 v;     /* network address, host bits zero */
};

unsigned acl_width(int family);
acl_u128 acl_hostmask(int family, unsigned len);
acl_u128 acl_family_max(int family);

/* Strict dotted-quad IPv4 (no 127.1, no octal, no hex). */
bool acl_parse_ipv4(const char *s, size_t n, acl_u128 *out);
/* IPv6 via inet_pton; zone ids refused. */
bool acl_parse_ipv6(const char *s, size_t n, acl_u128 *out);

/* "ADDR" or "ADDR/LEN" of either family; IPv6 may be bracketed.  A bare
 * address becomes a /32 or /128.  Host bits must be zero (the error names
 * the correct network). */
int acl_cidr_parse(const char *s, size_t n, struct acl_cidr *out,
		   struct acl_err *err);
void acl_cidr_format(const struct acl_cidr *c, char *buf);
void acl_addr_format(int family, acl_u128 v, char *buf);

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes the IPv4 address:
 * the kernel checks those against IPv4 rules, and so does netacl. */
void acl_addr_unmap(uint8_t *family, acl_u128 *v);
/* An address of n bytes (4 or 16) in network order, and back. */
acl_u128 acl_addr_from_bytes(const uint8_t *b, size_t n);
void acl_addr_to_bytes(acl_u128 v, uint8_t *b, size_t n);

bool acl_cidr_contains(const struct acl_cidr *c, int family, acl_u128 v);
/* Overlap of two CIDRs (one contains the other, or they are disjoint). */
bool acl_cidr_overlap(const struct acl_cidr *a, const struct acl_cidr *b,
		      struct acl_cidr *out);
acl_u128 acl_cidr_last(const struct acl_cidr *c);

/* Textual looks: all digits and dots (a would-be IPv4). */
bool acl_looks_numeric(const char *s, size_t n);

void acl_errf(struct acl_err *err, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
