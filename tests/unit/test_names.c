/* Names checked the same from YAML, JSON and the kernel. */
#include <criterion/criterion.h>

#include "acl/names.h"

Test(names, loaded_names_are_targets_or_their_runs)
{
	const char *good[] = { "web", "ci/build", "web@run-1", "ci/build@run-4294967295",
			       "web@oci-c1", "ci/build@oci-3f2a.b_c+d-e" };
	const char *bad[] = { "web@run-", "web@run-x", "web@run-12345678901", "web@runs-1",
			      "@run-1", "web@run-1\n", "a b@run-1", "web@run-1@run-2", "w/x/y@run-1",
			      "web@oci-", "web@oci-a/b", "web@oci-a@oci-b", "@oci-c1", "web@oci-a b" };

	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		cr_assert(acl_loaded_name_valid(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		cr_assert(!acl_loaded_name_valid(bad[i]), "%s", bad[i]);
}
