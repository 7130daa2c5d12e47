/* netacl diff A B: what each target allows in one and not the other
 * (compiler/model/diff.h).  Exit 0 same, 1 different. */
#include <stdio.h>
#include <stdlib.h>

#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/cmd/input.h"
#include "compiler/exits.h"
#include "compiler/model/diff.h"

static const char usage[] = "netacl diff A.json B.json";

int cmd_diff(int argc, char **argv)
{
	struct cli c;
	struct model a, b;
	struct resolve_opts none;
	int rc = cli_parse(argc, argv, 0, usage, &c);

	if (!rc && c.nargs != 2)
		rc = cli_usage_error(usage, "diff takes two compiled JSON files");
	if (rc) {
		free(c.args);
		return rc;
	}
	resolve_opts_init(&none);
	none.offline = true;
	model_init(&a);
	model_init(&b);
	rc = input_load(c.args[0], &none, NULL, 0, &a);
	if (!rc)
		rc = input_load(c.args[1], &none, NULL, 0, &b);
	if (!rc && diff_models(stdout, &a, &b))
		rc = EX_DIFFERENT;
	model_free(&a);
	model_free(&b);
	free(c.args);
	return rc;
}
