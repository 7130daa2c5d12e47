/* A loaded target is a directory of pins: the maps of netacl.bpf.c by
 * name, and one bpf_link per program.  The two lists below are the only
 * place that names them: loading, pinning, inspecting and unloading all
 * iterate these.  This also opens a loaded target again. */
#ifndef NETACL_PINS_H
#define NETACL_PINS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "bpf/netacl-api.h"

/* The maps, by their name in netacl.bpf.c, which is also their pin's. */
enum {
	PIN_GEN, PIN_CONF, PIN_META, PIN_COUNTERS, PIN_EVENTS, PIN_LISTEN,
	PIN_ALLOW4, PIN_ALLOW6, PIN_EXACT4, PIN_EXACT6, PIN_DENY4, PIN_DENY6, PIN_PORTS,
	/* ^ by generation */
	NPINS
};
#define PIN_FIRST_GEN PIN_ALLOW4
extern const char *const pin_names[NPINS];

/* The programs, each attached to the cgroup by a pinned bpf_link. */
enum { PROG_CONNECT4, PROG_CONNECT6, PROG_SENDMSG4, PROG_SENDMSG6, NPROGS };
struct pin_prog {
	const char *prog;  /* its function in netacl.bpf.c */
	const char *link;  /* its link's pin */
};
extern const struct pin_prog pin_progs[NPROGS];

struct pinned {
	char dir[PATH_MAX];
	int fd[NPINS];
	uint32_t gen;              /* the live generation */
	struct netacl_conf conf;   /* conf[gen] */
	struct netacl_meta meta;   /* meta[gen] */
};

/* Open target's pins.  0, or -errno (-ENOENT: not loaded). */
int pinned_open(const char *target, struct pinned *p);
int pinned_open_dir(const char *dir, struct pinned *p);
void pinned_close(struct pinned *p);
/* Sum the per-CPU counters. */
void pinned_counters(const struct pinned *p, uint64_t out[NETACL_NCOUNTERS]);
/* The inner map of a generation map for the live generation: a new fd or -errno. */
int pinned_inner(const struct pinned *p, int which);

/* Each loaded target's pin directory, in name order; fn may return
 * nonzero to stop (returned).  0 if none are loaded. */
int pinned_each(int (*fn)(const char *dir, void *), void *arg);

#endif
