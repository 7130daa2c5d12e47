/* Expectations of `netacl test` (netacl-policy(5), TESTS): "this target
 * reaches db.example.com:5432/tcp", "does not reach 169.254.169.254:80",
 * "reaches any name under *.cdn.example.com", judged on a compiled
 * target with explain's verdict engine (compiler/model/verdict.h). */
#ifndef NETACL_EXPECT_H
#define NETACL_EXPECT_H

#include <stdbool.h>

#include "acl/rule.h"
#include "compiler/model/model.h"

/* What is expected: the destination in the rule shorthand of allow:
 * (an address, a name or a *.suffix wildcard, maybe :PORTS, maybe
 * /tcp or /udp), and whether it is reached or not. */
struct expect {
	bool reach;
	bool bind;           /* binds / does_not_bind: a local address (BIND) */
	struct acl_rule to;  /* kind NET (one address), EXACT or WILD; ports; proto */
};

/* Parse "DEST[:PORTS][/PROTO]".  -1 with err set for anything else: a
 * range, '*', a bad port, a name to bind. */
int expect_parse(const char *s, size_t n, bool reach, bool bind, struct expect *out,
		 struct acl_err *err);

/* Does t meet e?  On false, why says what broke it (one line). */
bool expect_holds(const struct m_target *t, const struct expect *e, char *why, size_t size);

#endif
