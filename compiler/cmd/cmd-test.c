/* netacl test (POLICY|JSON) TESTS.yaml [--junit FILE]: expectations of
 * what targets reach, checked offline with explain's verdict engine. */
#include <stdio.h>

#include "compiler/cmd/verbs.h"
#include "compiler/exits.h"

int cmd_test(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "netacl test: not built yet\n");
	return EX_SOFTWARE;
}
