/* DNS messages as the admission forwarder sees them (netacl(8), LIVE DNS):
 * the workload's query, the upstream answer, and the refusals made here.
 * Only what the forwarder needs; c-ares decodes names and answers. */
#ifndef NETACL_ADMIT_MSG_H
#define NETACL_ADMIT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl/addr.h"
#include "acl/host.h"
#include "compiler/resolve/dns.h" /* struct dns_addr */

enum {
	DNS_HEADER = 12,
	DNS_MAX_MSG = 65535,
	DNS_T_A = 1, DNS_T_CNAME = 5, DNS_T_PTR = 12, DNS_T_AAAA = 28,
	DNS_T_OPT = 41, DNS_T_IXFR = 251, DNS_T_AXFR = 252, DNS_T_ANY = 255,
	DNS_C_IN = 1,
	DNS_EDNS_SIZE = 1232, /* the UDP size the forwarder asks upstream for */
	DNS_NOERROR = 0, DNS_FORMERR = 1, DNS_SERVFAIL = 2, DNS_NXDOMAIN = 3,
	DNS_NOTIMP = 4, DNS_REFUSED = 5,
};

/* The one question of a query. */
struct dns_question {
	uint16_t id, type, class;
	bool rd;
	bool name_ok;          /* a host name (netacl-policy(5), RULES) */
	char name[ACL_NAME_MAX + 1]; /* lower case, no trailing dot */
	size_t end;            /* header and question: bytes to echo back */
	bool edns;             /* the query had an OPT record */
	size_t udp_size;       /* its UDP size (at least 512) */
};

/* Read a query.  DNS_NOERROR, or the RCODE to refuse it with: FORMERR
 * (not one question of class IN, or anything after it but one OPT record
 * that ends the message), NOTIMP (not a QUERY; ANY, AXFR, IXFR).
 * Anything but a query (QR set, shorter than a header) is -1: drop it. */
int dns_query_read(const uint8_t *msg, size_t len, struct dns_question *q);

/* The query to send upstream, made anew from what q read: the header's
 * RD, the question's bytes and, if the query had EDNS, an OPT record of
 * ours (no options: no byte of the workload's but the question leaves).
 * Its length, 0 if out is too small. */
size_t dns_query_clean(const uint8_t *msg, const struct dns_question *q, uint8_t *out,
		       size_t cap);

/* A reply to the query with no answer and the rcode; its length, 0 when
 * out is too small.  The question is echoed when q read one (q->end). */
size_t dns_reply(const uint8_t *query, const struct dns_question *q, int rcode,
		 uint8_t *out, size_t cap);

/* Is ans the answer to q, as sent upstream with id?  Header (ID, QR,
 * opcode, one question) and the question (name, type, class) must match
 * what was asked: anything else admits nothing. */
bool dns_answer_matches(const uint8_t *ans, size_t len, uint16_t id,
			const struct dns_question *q);

/* The addresses an answer gives for q (A or AAAA; CNAMEs followed by
 * c-ares), at most max of them; the count, or -1 if it does not parse. */
int dns_answer_addrs(const uint8_t *ans, size_t len, const struct dns_question *q,
		     struct dns_addr *out, int max);

/* Set the ID of a message (the workload's, on an upstream answer). */
void dns_set_id(uint8_t *msg, uint16_t id);

#endif
