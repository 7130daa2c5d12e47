/* netacl compile POLICY [-o FILE] [--target NAME]... */
#include <stdlib.h>

#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/model/json.h"
#include "compiler/cmd/input.h"

static const char usage[] =
	"netacl compile POLICY [-o FILE] [--target NAME]... [--hosts-file FILE] [--offline]\n"
	"       [--resolver IP[:PORT]] [--timeout MS] [--max-addrs N] [--strict]";

int cmd_compile(int argc, char **argv)
{
	struct cli c;
	struct model m;
	char *json;
	int rc = cli_parse(argc, argv, OPT_OUTPUT | OPT_TARGET | OPT_RESOLVE, usage, &c);

	if (!rc && c.nargs != 1)
		rc = cli_usage_error(usage, "compile takes one policy file");
	if (rc) {
		free(c.args);
		return rc;
	}
	model_init(&m);
	rc = input_load(c.args[0], &c.ro, c.targets, c.ntargets, &m);
	if (!rc) {
		json = model_to_json(&m);
		rc = cli_write_output(c.output, json);
		free(json);
	}
	model_free(&m);
	free(c.args);
	return rc;
}
