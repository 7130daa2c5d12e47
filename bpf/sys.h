/* What enforcement needs from the system: privileges, the cgroup2 and
 * bpffs mounts, and where a target's pins live.  Each function that can
 * fail says why on stderr and returns an exit status (sysexits). */
#ifndef NETACL_SYS_H
#define NETACL_SYS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <linux/bpf.h> /* struct bpf_map_info */

/* Where targets are pinned: $NETACL_PIN_ROOT if set (for tests, and
 * for independent netacl instances on one host), else this. */
#define NETACL_PIN_ROOT_DEFAULT "/sys/fs/bpf/netacl"
#define NETACL_PIN_ROOT_MAX 1024

const char *sys_pin_root(void);
/* 0, or EX_USAGE when $NETACL_PIN_ROOT is set but not an absolute path
 * of at most NETACL_PIN_ROOT_MAX bytes. */
int sys_pin_root_check(void);
/* Create the pin root unless it exists, and check that it is on bpffs:
 * 0, or an exit status after saying why. */
int sys_pin_root_create(void);

/* 0, or EX_NOPERM naming what is missing. */
int sys_check_privileges(void);
/* The cgroup2 mount point from /proc/mounts; EX_UNAVAILABLE if none. */
int sys_cgroup2(char out[PATH_MAX]);
/* Mount bpffs at /sys/fs/bpf unless it is there; EX_UNAVAILABLE on failure. */
int sys_bpffs(void);
/* A cgroup given as an absolute path or relative to the cgroup2 mount,
 * made absolute and checked to lie in cgroup2.  EX_USAGE if it does not. */
int sys_cgroup_path(const char *cg2, const char *given, char out[PATH_MAX]);
/* mkdir -p a cgroup; EX_NOPERM or EX_CANTCREAT on failure (having removed
 * what it made).  made (if not NULL) gets the first directory it made,
 * "" if none: sys_cgroup_unmake removes path and its parents up to it. */
int sys_cgroup_create(const char *path, char made[PATH_MAX]);
void sys_cgroup_unmake(const char *path, char made[PATH_MAX]);
/* SIGKILL every process in the cgroup at path until it is empty: 0, or
 * -1 if processes remain after timeout_ms. */
int sys_cgroup_kill(const char *path, int timeout_ms);

/* <pin root>/<target>, with bytes other than [A-Za-z0-9_-]
 * written %XX (bpffs refuses '.', and '/' would make a subdirectory). */
void sys_pin_dir(const char *target, char out[PATH_MAX]);

/* For the tests: is NETACL_TEST_FAULT `where`?  verify fails a first
 * load after the maps are filled, install a load after the new
 * generation is in its slot and before the switch, table4-full table4's
 * build: a late failure must leave the previous state in force.
 * sys_fault_kill dies there as a SIGKILL would (kill-after-maps,
 * kill-after-link, kill-in-unload, kill-in-repair), for what such a death
 * leaves. */
bool sys_fault(const char *where);
void sys_fault_kill(const char *where);

/* An exit status for a failed bpf() call: EX_NOPERM for EPERM/EACCES,
 * else `otherwise`; prints "netacl: error: WHAT: strerror". */
int sys_bpf_error(int err, int otherwise, const char *what);

/* n keys and values into map fd: one batch, or one at a time on kernels
 * without batch operations.  0 or -errno. */
int sys_map_update_all(int fd, const void *keys, size_t ksize, const void *vals, size_t vsize,
		       size_t n);

/* Map fd's info, all zero if the kernel gives none. */
struct bpf_map_info sys_map_info(int fd);

#endif
