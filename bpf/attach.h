/* Is a loaded target enforced?  Every program of netacl.bpf.c (but the
 * bind programs, for a target loaded before them: pins.h; and those a
 * first load left out for what its policy lacks: progs.h) must be
 * attached, by the link pinned for it, to the cgroup now at the target's
 * path: a SIGKILL halfway through a load or an unload, or a cgroup removed
 * and made again (every restart of a systemd service), leaves maps that
 * look loaded and programs that enforce nothing.  This finds that, and
 * attaches the programs anew. */
#ifndef NETACL_ATTACH_H
#define NETACL_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "bpf/pins.h"

struct bpf_program;
/* The pin of a program's link: LINK_PREFIX and its name less "netacl_". */
void attach_link_name(const struct bpf_program *p, char out[64]);

/* Attach prog to the cgroup cg and pin its link in dir, over the one
 * pinned there if any (a new name, then a rename: the pin is never
 * missing).  0 or -errno; on failure nothing stays attached. */
int attach_program(struct bpf_program *prog, int cg, const char *dir);

/* false and why in buf when p is not enforced as loaded. */
bool attach_ok(const struct pinned *p, char *why, size_t size);
/* Attach every program anew (all of them: a reload that needs what a
 * first load left out comes here), on the maps pinned in p->dir, to the cgroup
 * now at p->meta.cgroup (made if it is missing), replacing the pinned
 * links.  0, or an exit status after saying why. */
int attach_repair(struct pinned *p);

#endif
