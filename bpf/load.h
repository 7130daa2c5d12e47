/* Loading a target into the kernel, atomically replacing what was there,
 * and unloading it. */
#ifndef NETACL_LOAD_H
#define NETACL_LOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "compiler/allows.h"

struct load_req {
	const char *target, *acl;
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

/* compile or read FILE, then enforce_load its target (compiler/cmd-load.c) */
struct resolve_opts;
int enforce_file(const char *file, const char *target, const char *cgroup, bool audit,
		 const struct resolve_opts *ro);

#endif
