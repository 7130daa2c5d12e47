/* Loading a target into the kernel, atomically replacing what was there,
 * and unloading it. */
#ifndef NETACL_LOAD_H
#define NETACL_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compiler/model/allows.h"

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
	bool repaired;              /* it was not enforced as loaded; now it is */
	char problem[256];          /* what was wrong */
};

/* Load r->target, or replace its sets if it is loaded.  Returns an exit
 * status; on failure the previous state is in force and untouched.
 * *reloaded says which it was. */
int load_target(struct load_req *r, bool *reloaded);
/* Detach and unpin a target.  EX_NOINPUT if it is not loaded. */
int load_unload(const char *target);
/* Unload every target. */
int load_unload_all(void);
/* Attach target's programs anew if they are not enforcing as loaded
 * (bpf/attach.h); *repaired and why say so.  An exit status. */
int load_repair(const char *target, bool *repaired, char *why, size_t size);

#endif
