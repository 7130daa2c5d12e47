/* The names and paths a policy gives, checked the same wherever they come
 * from (YAML or compiled JSON): ACL, pipeline and stage names, target
 * names, cgroup paths. */
#ifndef ACL_NAMES_H
#define ACL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define ACL_IDENT_MAX 64

/* 1-64 of A-Z a-z 0-9 _ - */
bool acl_ident_valid(const char *s);
/* An ACL name, or PIPELINE/STAGE. */
bool acl_target_name_valid(const char *s);
/* A target name as loaded: a target name, one run made of it,
 * NAME@run-PID, or one container's, NAME@oci-ID (what inspect --json prints). */
bool acl_loaded_name_valid(const char *s);
/* NULL if a cgroup path is fine (relative to the cgroup2 mount, or under
 * /sys/fs/cgroup/, never climbing with ".."), else why, with *off the
 * byte it is about. */
const char *acl_cgroup_problem(const char *path, size_t *off);

#endif
