/* netacl load (POLICY|JSON) --target NAME [--cgroup PATH] [--audit]:
 * enforce one target (compiler/cmd/enforce.h). */
#include <stdio.h>
#include <stdlib.h>

#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/cmd/enforce.h"

static const char usage[] =
	"netacl load (POLICY|JSON) --target NAME [--cgroup PATH] [--audit] [--expect-digest HEX|FILE]\n"
	"       [--hosts-file FILE] [--offline] [--resolver IP[:PORT]] [--timeout MS] [--max-addrs N]\n"
	"       [--strict]";

int cmd_load(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_RESOLVE | OPT_CGROUP | OPT_AUDIT | OPT_EXPECT,
			   usage, &c);

	if (!rc && c.nargs != 1)
		rc = cli_usage_error(usage, "load takes one policy or compiled JSON file");
	if (!rc)
		rc = cli_one_target(&c, usage);
	if (!rc) {
		struct enforce e = { .file = c.args[0], .target = c.targets[0], .cgroup = c.cgroup,
				     .audit = c.audit, .ro = &c.ro, .expect_digest = c.expect_digest };
		rc = enforce_file(&e);
	}
	free(c.args);
	return rc;
}
