/* The verdict on one address, port and protocol for a target, with the
 * reason: what `explain` prints, and what the unit tests hold against
 * the kernel's form of the same target (compiler/model/allows.h). */
#ifndef NETACL_VERDICT_H
#define NETACL_VERDICT_H

#include <stdbool.h>

#include "compiler/model/model.h"

enum verdict_why {
	VERDICT_ENTRY,      /* allowed: an allow entry covers it */
	VERDICT_ADMITTED,   /* allowed: the workload's DNS admitted it (live DNS, inspect) */
	VERDICT_ALL,        /* allowed: a '*' rule, the address in no special row (or private:) */
	VERDICT_SPECIAL,    /* denied: '*' would, but the address is in a special-purpose row */
	VERDICT_DROPPED,    /* denied: a name resolved to it, in a special-purpose row */
	VERDICT_PORT,       /* denied: the address is allowed, not this port */
	VERDICT_PROTO,      /* denied: the address is allowed, not this protocol */
	VERDICT_NONE,       /* denied: nothing allows the address */
	VERDICT_UNRESTRICTED, /* bind allowed: the ACL has no bind: section */
	VERDICT_DUAL,       /* bind denied: '::' is allowed, 0.0.0.0 (which it takes too) not */
};

struct verdict_query {
	int family;
	acl_u128 v;      /* an IPv4-mapped address is asked as IPv4, as the kernel does */
	int port;        /* -1: any port */
	int proto;       /* ACL_TCP, ACL_UDP, or both */
};

struct verdict {
	bool allow;
	enum verdict_why why;
	const struct m_allow *entry;     /* ENTRY, ADMITTED */
	const struct m_rule *rule;       /* ENTRY (NULL if none found), ALL */
	const struct m_drop *drop;       /* DROPPED */
	int row;                         /* SPECIAL, DROPPED: the special-purpose row */
	const struct acl_ports *ports;   /* PORT: the ports that are allowed */
};

void verdict_of(const struct m_target *t, const struct verdict_query *q, struct verdict *out);
/* May the target bind this local address, port (0: the kernel picks one,
 * so only an entry with every port allows it) and protocol? */
void verdict_bind(const struct m_target *t, const struct verdict_query *q, struct verdict *out);

#endif
