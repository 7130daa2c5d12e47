/* classify: the targets' resolved names, through the special-purpose
 * table and the ACLs' private:, into the model. */
#ifndef NETACL_BUILD_H
#define NETACL_BUILD_H

#include "compiler/model/model.h"
#include "compiler/resolve/resolve.h"
#include "compiler/policy/target.h"

/* Resolve the targets' names and classify the answers into m.  Returns an
 * exit status (0, or EX_* from resolution). *unresolved counts the names
 * that did not resolve. */
int build_model(const struct target_set *ts, const struct resolve_opts *o, struct model *m,
		size_t *unresolved);

#endif
