/* netacl unload --target NAME... | --all */
#include <stdlib.h>

#include "bpf/load.h"
#include "bpf/sys.h"
#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"

static const char usage[] = "netacl unload --target NAME... | --all";

int cmd_unload(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_ALL, usage, &c);

	if (!rc && (c.nargs || !c.ntargets == !c.all))
		rc = cli_usage_error(usage, "give --target NAME or --all");
	if (!rc)
		rc = sys_check_privileges();
	if (!rc && c.all)
		rc = load_unload_all();
	for (size_t i = 0; !rc && i < c.ntargets; i++)
		rc = load_unload(c.targets[i]);
	free(c.args);
	return rc;
}
