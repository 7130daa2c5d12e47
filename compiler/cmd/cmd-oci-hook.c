/* netacl oci-hook createRuntime|poststop: the OCI runtime hook. */
#include <stdio.h>

#include "compiler/cmd/verbs.h"
#include "compiler/exits.h"

int cmd_oci_hook(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "netacl oci-hook: not built yet\n");
	return EX_SOFTWARE;
}
