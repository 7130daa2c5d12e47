/* What enforcement needs from the system: privileges, the cgroup2 and
 * bpffs mounts, and where a target's pins live.  Each function that can
 * fail says why on stderr and returns an exit status (sysexits). */
#ifndef NETACL_SYS_H
#define NETACL_SYS_H

#include <limits.h>
#include <stddef.h>

#define NETACL_PIN_ROOT "/sys/fs/bpf/netacl"

/* 0, or EX_NOPERM naming what is missing. */
int sys_check_privileges(void);
/* The cgroup2 mount point from /proc/mounts; EX_UNAVAILABLE if none. */
int sys_cgroup2(char out[PATH_MAX]);
/* Mount bpffs at /sys/fs/bpf unless it is there; EX_UNAVAILABLE on failure. */
int sys_bpffs(void);
/* A cgroup given as an absolute path or relative to the cgroup2 mount,
 * made absolute and checked to lie in cgroup2.  EX_USAGE if it does not. */
int sys_cgroup_path(const char *cg2, const char *given, char out[PATH_MAX]);
/* mkdir -p a cgroup; EX_NOPERM or EX_CANTCREAT on failure. */
int sys_cgroup_create(const char *path);

/* /sys/fs/bpf/netacl/<target>, with bytes other than [A-Za-z0-9_-]
 * written %XX (bpffs refuses '.', and '/' would make a subdirectory). */
void sys_pin_dir(const char *target, char out[PATH_MAX]);

/* An exit status for a failed bpf() call: EX_NOPERM for EPERM/EACCES,
 * else `otherwise`; prints "netacl: error: WHAT: strerror". */
int sys_bpf_error(int err, int otherwise, const char *what);

#endif
