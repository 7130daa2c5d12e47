/* JUnit XML, the report every CI system displays: one testsuite per
 * target, one testcase per expectation (netacl(8), TEST). */
#ifndef NETACL_JUNIT_H
#define NETACL_JUNIT_H

#include <stdbool.h>
#include <stddef.h>

struct junit_case {
	const char *suite;  /* the target */
	const char *text;   /* the expectation as written */
	const char *says;   /* "reaches", "does not reach", "binds", "does not bind" */
	const char *expected; /* "to reach", "not to reach", ... */
	const char *file;
	unsigned line, col;
	bool pass;
	char why[600];      /* on failure */
};

/* Write the cases (grouped by suite in order) to path atomically; an exit
 * status. */
int junit_write(const char *path, const struct junit_case *c, size_t n);

#endif
