/* What netacl oci-hook reads: the OCI state a runtime gives a hook on
 * standard input, the bundle's config.json, /proc/PID/cgroup; and the
 * names it makes.  Pure functions where they can be (unit tested in
 * tests/unit/test_oci.c); each that can fail returns 0 or an exit status
 * (sysexits) and says why in err, without a "netacl" prefix. */
#ifndef NETACL_OCI_H
#define NETACL_OCI_H

#include <stdbool.h>
#include <stddef.h>

#define OCI_ERR_MAX 512
#define OCI_STATE_MAX (4u << 20) /* Kubernetes caps annotations at 256 KiB */
#define OCI_ID_MAX 128

/* The annotations a container asks for netacl with. */
#define OCI_ANN_PREFIX "io.netacl."
#define OCI_ANN_TARGET "io.netacl.target"
#define OCI_ANN_POLICY "io.netacl.policy"
#define OCI_ANN_DIGEST "io.netacl.digest"
/* The loaded target of container ID is TARGET@oci-ID. */
#define OCI_NAME_SEP "@oci-"

struct oci_state {
	char *version, *id, *status, *bundle; /* status, bundle: NULL if absent */
	long pid;                            /* 0 if absent */
	char *target, *policy, *digest;      /* the annotations, NULL if absent */
	char *stray;                         /* an io.netacl.* annotation not known, or NULL */
};

/* Parse the state JSON (text[0..len)) into st; on failure st holds nothing. */
int oci_state_parse(const char *text, size_t len, struct oci_state *st, char *err);
void oci_state_free(struct oci_state *st);

enum oci_stage { OCI_CREATE, OCI_POSTSTOP };

/* The stage: the argument (createRuntime, prestart, poststop) if given,
 * else from the state's status (creating, stopped).  An argument that the
 * status contradicts is an error. */
int oci_stage(const char *arg, const char *status, enum oci_stage *out, char *err);

/* TARGET@oci-ID into out (size bytes): the target a policy name, the id
 * what runc allows ([A-Za-z0-9_.+-], at most OCI_ID_MAX), and the whole
 * short enough for the kernel's record and the pin directory's name. */
int oci_target_name(const char *target, const char *id, char *out, size_t size, char *err);
/* Is name (a loaded target) the target of container id? */
bool oci_name_is_container(const char *name, const char *id);
/* A pin directory's name back to the target's (sys_pin_dir writes bytes
 * as %XX); false if it is not such a name or does not fit. */
bool oci_pin_name_decode(const char *base, char *out, size_t size);

/* The cgroup of /proc/PID/cgroup's text: the path of its "0::" line,
 * relative to the cgroup2 mount (no leading '/'); "" is the root. */
int oci_proc_cgroup(const char *text, char *out, size_t size, char *err);
/* linux.cgroupsPath relative to the cgroup2 mount: "/a/b", or systemd's
 * "SLICE:PREFIX:NAME" as PARENTS/SLICE/PREFIX-NAME.scope. */
int oci_cgroups_path(const char *given, char *out, size_t size, char *err);
/* A systemd slice as its cgroup path: "a-b.slice" is "a.slice/a-b.slice",
 * "-.slice" the root (""). */
int oci_slice_path(const char *slice, char *out, size_t size, char *err);
/* linux.cgroupsPath of bundle/config.json ("" if it has none). */
int oci_config_cgroups_path(const char *bundle, char *out, size_t size, char *err);

/* The io.netacl.digest annotation as 64 hex digits ("sha256:" may lead):
 * never a file name, which --expect-digest would read. */
int oci_digest(const char *given, char out[65], char *err);
/* The policy the annotation names, which must lie in dir once symbolic
 * links are followed: a name relative to dir, or an absolute path in it;
 * a regular file holding a compiled policy (JSON). */
int oci_policy_path(const char *dir, const char *given, char *out, size_t size, char *err);

#endif
