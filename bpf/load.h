/* Loading a target into the kernel, atomically replacing what was there,
 * and unloading it. */
#ifndef NETACL_LOAD_H
#define NETACL_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/allows.h"

enum load_mode {
	LOAD_ANY,     /* load, or replace if loaded */
	LOAD_FRESH,   /* only if not loaded (run's transient targets) */
	LOAD_RELOAD,  /* only if loaded (refresh) */
};

struct load_req {
	const char *target, *acl;
	enum load_mode mode;
	const char *cgroup;         /* absolute path, or NULL */
	const char *cgroup_default; /* a first load without cgroup goes here */
	bool audit;
	const struct allows *a;
	uint8_t digest[32];
	/* out */
	uint32_t entries[2];        /* prefixes loaded, IPv4 and IPv6 */
	char cgroup_used[4096];
};

/* Load r->target, or replace its sets if it is loaded.  Returns an exit
 * status; on failure the previous state is in force and untouched.
 * *reloaded says which it was. */
int enforce_load(struct load_req *r, bool *reloaded);
/* Detach and unpin a target.  EX_NOINPUT if it is not loaded. */
int enforce_unload(const char *target);
/* Unload every target. */
int enforce_unload_all(void);

/* compiler/cmd-load.c: what load and run share.  Compile (or read)
 * file, take target, and enforce_load it as `name`. */
struct resolve_opts;
struct model;
struct enforce {
	const char *file, *target;
	const char *name;     /* the loaded target's name; NULL: target */
	const char *cgroup;   /* --cgroup; NULL: the policy's, else netacl/NAME */
	bool audit;
	bool transient;       /* run: a fresh load on netacl/NAME, whatever the policy says */
	const struct resolve_opts *ro;
	char cgroup_used[4096]; /* out */
};
int enforce_file(struct enforce *e);
/* Compile or read file keeping only the named targets (all if nonly
 * is 0), and hash the file.  An exit status. */
int enforce_compile(const char *file, const char *const *only, size_t nonly,
		    const struct resolve_opts *ro, struct model *m, uint8_t digest[32]);

#endif
