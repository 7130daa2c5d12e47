/* The front door of every verb that reads a policy: parse -> check ->
 * intersect -> resolve -> classify, or a compiled JSON file, into a model. */
#ifndef NETACL_INPUT_H
#define NETACL_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "compiler/model/model.h"
#include "compiler/resolve/resolve.h"

/* Read POLICY or compiled JSON into m, keeping only the named targets
 * (all when nonly == 0).  Returns an exit status; diagnoses errors. */
int input_load(const char *path, const struct resolve_opts *o, const char *const *only,
	       size_t nonly, struct model *m);
/* The same, and the SHA-256 of the bytes read (status shows it). */
int input_load_digest(const char *path, const struct resolve_opts *o, const char *const *only,
		      size_t nonly, struct model *m, uint8_t digest[32]);

/* Parse, check and intersect (a policy) or read (a compiled file), and
 * build no sets: what `check` does.  ntargets: how many targets. */
int input_check(const char *path, const struct resolve_opts *o, size_t *ntargets);

#endif
