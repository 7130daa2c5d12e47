/* What load, run and refresh share: compile (or read) a file, then have
 * bpf/load.c enforce one of its targets. */
#ifndef NETACL_ENFORCE_H
#define NETACL_ENFORCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/model/model.h"
#include "compiler/resolve/resolve.h"

/* One target of a file to enforce, as `name`. */
struct enforce {
	const char *file, *target;
	const char *name;     /* the loaded target's name; NULL: target */
	const char *cgroup;   /* --cgroup; NULL: the policy's, else netacl/NAME */
	bool audit;
	bool transient;       /* run: a fresh load on netacl/NAME, whatever the policy says */
	const struct resolve_opts *ro;
	const char *expect_digest; /* --expect-digest: HEX, or a sha256sum FILE */
	struct model *keep;   /* where the compiled model stays (run's forwarder
				 reads it); NULL: freed */
	char cgroup_used[4096]; /* out */
};
/* Compile or read e->file, take e->target, and load it as e->name.  An
 * exit status; on success "loaded ..." is said on stderr. */
int enforce_file(struct enforce *e);
/* Compile or read file keeping only the named targets (all if nonly
 * is 0), and hash the file.  An exit status. */
int enforce_compile(const char *file, const char *const *only, size_t nonly,
		    const struct resolve_opts *ro, struct model *m, uint8_t digest[32]);

#endif
