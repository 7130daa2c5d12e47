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
	struct model m;
	int rc = cli_parse(argc, argv, 0, usage, &c);

	if (!rc && c.nargs != 1)
		rc = cli_usage_error(usage, "check takes one policy file");
	if (rc) {
		free(c.args);
		return rc;
	}
	/* offline, with no hosts file at all: checking must not touch DNS */
	c.ro.offline = true;
	c.ro.etc_hosts = "/dev/null";
	model_init(&m);
	rc = input_load(c.args[0], &c.ro, NULL, 0, &m);
	if (!rc)
		fprintf(stderr, "%s: ok (%zu targets)\n", c.args[0], m.n);
	model_free(&m);
	free(c.args);
	return rc;
}
