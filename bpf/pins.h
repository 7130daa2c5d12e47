/* A loaded target is a directory of pins: every map of netacl.bpf.c by
 * its name, and one bpf_link per program.  Loading pins and attaches
 * what the object holds, unloading removes what the directory holds; the
 * list below names the maps userspace reads and writes, by designated
 * initialisers.  This also opens a loaded target again. */
#ifndef NETACL_PINS_H
#define NETACL_PINS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "bpf/netacl-api.h"

/* The maps, by their name in netacl.bpf.c, which is also their pin's. */
enum {
	PIN_GEN, PIN_CONF, PIN_META, PIN_COUNTERS, PIN_EVENTS, PIN_LISTEN,
	PIN_ADMIT4, PIN_ADMIT6, PIN_DNS, PIN_DNSEV, /* live DNS: the forwarder's */
	PIN_LIMIT, PIN_CONNS, PIN_CONNSK, /* max_connections, max_connect_rate */
	PIN_EX,    /* the deny table's exemptions, by generation like conf */
	PIN_RANGE4, PIN_RANGE6, /* entries as sorted intervals, by generation like conf */
	PIN_ALLOW4, PIN_ALLOW6, PIN_EXACT4, PIN_EXACT6, PIN_DENY4, PIN_DENY6, PIN_PORTS,
	PIN_TABLE4, PIN_BIND4, PIN_BIND6, /* ^ by generation */
	NPINS
};
#define PIN_FIRST_GEN PIN_ALLOW4
extern const char *const pin_names[NPINS];
/* Is name a pin a target loaded by an older netacl lacks (legacy,
 * no_bind, no_limits below)? */
bool pin_optional(const char *name);

/* Every program of netacl.bpf.c is attached to the cgroup by a bpf_link
 * pinned as LINK_PREFIX and the program's name less "netacl_"
 * (link_connect4, ...); bpf/load.c attaches whatever the object holds. */
#define LINK_PREFIX "link_"
/* The largest conf value read or written: a map's value size, not the
 * struct's, is what the kernel copies. */
#define NETACL_CONF_MAX 4096

struct pinned {
	char dir[PATH_MAX];
	int fd[NPINS];
	uint32_t gen;              /* the live generation */
	uint32_t slots;            /* NETACL_SLOTS; 2 when loaded by an older netacl */
	bool legacy;               /* loaded by netacl before table4: no table4 pin, its
				    * programs read every deny entry as denied */
	bool no_bind;              /* loaded by netacl before bind rules: no bind4 and
				    * bind6 pins, no bind programs; it cannot enforce
				    * bind: (a legacy target has none either) */
	bool no_limits;            /* loaded by netacl before limits: no limit, conns
				    * and connsk pins, no sockops and sock_release
				    * programs; it counts nothing and cannot enforce
				    * max_connections or max_connect_rate */
	struct netacl_conf conf;   /* conf[gen] */
	bool no_ex;                /* loaded by netacl before the ex map (exemptions) */
	bool no_range;             /* loaded by netacl before the range4 and range6 maps */
	bool t4_old;               /* its live table4 is of the older layout, 8 bytes a
				    * slot, which only its own programs read (table4.h) */
	uint32_t conf_size;        /* its conf map's value size: smaller in an older
				    * netacl's target, larger in a newer one's (read and
				    * written as such; at most NETACL_CONF_MAX) */
	uint32_t conf_flags;       /* the flags its conf may hold: fewer in an older
				    * netacl's (flags and star only; no EXEMPT without ex) */
	uint32_t unbacked;         /* conf[gen]'s NETACL_RANGEN flags without the map's pin:
				    * the programs read maps no longer pinned (pins removed;
				    * a repair clears them, bpf/attach.c) */
	struct netacl_meta meta;   /* meta[gen] */
};

/* Pin object fd as dir/name, mode 0600.  0 or -errno. */
int pins_pin(int fd, const char *dir, const char *name);

/* Open target's pins.  0, or -errno (-ENOENT: not loaded). */
int pinned_open(const char *target, struct pinned *p);
int pinned_open_dir(const char *dir, struct pinned *p);
void pinned_close(struct pinned *p);
/* The flags a conf of a whole size may hold in p: none that send the
 * programs to a map p has no pin of (ex, range4). */
uint32_t pinned_conf_flags(const struct pinned *p);
/* Sum the per-CPU counters (a target loaded before limits has no
 * CAPPED and RATED: 0). */
void pinned_counters(const struct pinned *p, uint64_t out[NETACL_NCOUNTERS]);
/* The live generation's limits, and the count of TCP connections now
 * (conns.n).  0, or -ENOENT for a target loaded before limits, or -errno. */
int pinned_limits(const struct pinned *p, struct netacl_limits *l, int64_t *conns);
/* The inner map of a generation map for the live generation: a new fd or -errno. */
int pinned_inner(const struct pinned *p, int which);

/* Each loaded target's pin directory, in name order; fn may return
 * nonzero to stop (returned).  0 if none are loaded. */
int pinned_each(int (*fn)(const char *dir, void *), void *arg);

#endif
