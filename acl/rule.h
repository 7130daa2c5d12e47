/* Rules: a target (host pattern or address range), ports, a protocol, and
 * where the rule came from.  Intersection follows netacl-policy(5), INTERSECTION. */
#ifndef ACL_RULE_H
#define ACL_RULE_H

#include "host.h"
#include "ports.h"

/* Sides of an intersection: the ACL, the pipeline override, the stage
 * override, and one spare. */
#define ACL_MAX_ORIGINS 4

struct acl_origin {
	const char *file; /* not owned */
	unsigned line, col;
};

enum acl_rule_kind {
	ACL_RULE_ANY,   /* '*' */
	ACL_RULE_EXACT, /* a name */
	ACL_RULE_WILD,  /* '*.suffix' */
	ACL_RULE_NET,   /* an address or CIDR */
};

struct acl_rule {
	enum acl_rule_kind kind;
	struct acl_host host;   /* for ANY, EXACT, WILD */
	/* For NET, the range.  For a name, has_net restricts its resolved
	 * addresses to this range (name ∩ CIDR). */
	bool has_net;
	struct acl_cidr net;
	/* NET only: the range came from '*' ∩ range, so the special-purpose
	 * rows (minus the ACL's private:) are taken out of it. */
	bool floor;
	struct acl_ports ports;
	int proto;
	unsigned norig;
	struct acl_origin orig[ACL_MAX_ORIGINS];
};

/* Parse the target of a rule: a host pattern, an address or a CIDR
 * (IPv6 optionally bracketed).  Ports are all, proto any, no origin. */
int acl_rule_parse_target(const char *s, size_t n, struct acl_rule *out,
			  struct acl_err *err);

/* Parse the shorthand TARGET[:PORTS]; "[v6]:PORTS" for IPv6 with a port. */
int acl_rule_parse(const char *s, size_t n, struct acl_rule *out,
		   struct acl_err *err);

/* a ∩ b; false when the intersection is empty (no rule). */
bool acl_rule_intersect(const struct acl_rule *a, const struct acl_rule *b,
			struct acl_rule *out);

/* Does a port and protocol fall under the rule? (proto: ACL_TCP/ACL_UDP) */
bool acl_rule_allows_port(const struct acl_rule *r, unsigned port, int proto);

/* The rule's target as text ("*", "*.a.b", "name", "CIDR"). */
void acl_rule_format_match(const struct acl_rule *r, char *buf, size_t size);

bool acl_is_name_kind(enum acl_rule_kind k);

#endif
