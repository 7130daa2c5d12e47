/* parse -> check -> intersect -> resolve -> classify: a policy file in,
 * a resolved model out. */
#ifndef NETACL_BUILD_H
#define NETACL_BUILD_H

#include "compiler/model.h"
#include "compiler/resolve.h"
#include "compiler/target.h"

/* Resolve the targets' names and classify the answers into m.  Returns an
 * exit status (0, or EX_* from resolution). *unresolved counts the names
 * that did not resolve. */
int build_model(const struct target_set *ts, const struct resolve_opts *o, struct model *m,
		size_t *unresolved);

/* Read POLICY or compiled JSON into m, keeping only the named targets
 * (all when nonly == 0).  Returns an exit status; diagnoses errors. */
int input_load(const char *path, const struct resolve_opts *o, const char *const *only,
	       size_t nonly, struct model *m);

/* Compiled JSON (SPEC §7) <-> model */
char *model_to_json(const struct model *m);
int model_from_json(const char *file, const char *text, size_t len, struct model *m);

/* Read a whole file (NUL-terminated); NULL with errno set. */
char *read_file(const char *path, size_t *len);

#endif
