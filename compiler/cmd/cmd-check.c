/* netacl check POLICY: validate only; no resolution. */
#include <stdio.h>
#include <stdlib.h>

#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/cmd/input.h"
#include "compiler/diag.h"

static const char usage[] = "netacl check POLICY";

int cmd_check(int argc, char **argv)
{
	struct cli c;
	size_t n = 0;
	int rc = cli_parse(argc, argv, 0, usage, &c);

	if (!rc && c.nargs != 1)
		rc = cli_usage_error(usage, "check takes one policy file");
	if (rc) {
		free(c.args);
		return rc;
	}
	/* checking resolves nothing and builds no sets: it must not touch
	 * DNS, and needs a fraction of compile's memory */
	c.ro.offline = true;
	rc = input_check(c.args[0], &c.ro, &n);
	if (!rc)
		fprintf(stderr, "%s: ok (%zu targets)\n", c.args[0], n);
	free(c.args);
	return rc;
}
