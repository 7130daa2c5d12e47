/* netacl oci-hook [--policy-dir DIR] [createRuntime|prestart|poststop]
 *
 * The OCI runtime hook (podman, CRI-O, containerd's NRI hook injector; runc
 * or crun runs it).  The container's state comes on standard input.  A
 * container annotated io.netacl.target=NAME and io.netacl.policy=FILE has
 * NAME loaded from FILE, a compiled policy in DIR (/etc/netacl), onto its
 * cgroup as NAME@oci-ID before its process runs; when it stops, whatever
 * is loaded as *@oci-ID goes.  Without the stage argument the state's
 * status says which (creating, stopped): one hooks.d file serves both.
 *
 * Fails closed: a container that asks for a target that cannot be loaded
 * makes the hook fail, and the runtime does not start it. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bpf/load.h"
#include "bpf/pins.h"
#include "bpf/sys.h"
#include "compiler/cmd/enforce.h"
#include "compiler/cmd/oci.h"
#include "compiler/cmd/verbs.h"
#include "compiler/exits.h"

#define POLICY_DIR "/etc/netacl"

static const char usage[] =
	"netacl oci-hook [--policy-dir DIR] [createRuntime|prestart|poststop] < STATE";

__attribute__((format(printf, 2, 3)))
static int hook_error(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs("netacl oci-hook: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return rc;
}

/* Standard input, whole, NUL-terminated, at most OCI_STATE_MAX bytes. */
static int read_state(char **text, size_t *len)
{
	size_t cap = 65536;
	char *buf = malloc(cap + 1);
	size_t n = 0, got;

	if (!buf)
		abort();
	while ((got = fread(buf + n, 1, cap - n, stdin)) > 0) {
		n += got;
		if (n > OCI_STATE_MAX) {
			free(buf);
			return hook_error(EX_DATAERR, "the state on standard input is over %u bytes",
					  OCI_STATE_MAX);
		}
		if (n == cap && !(buf = realloc(buf, (cap *= 2) + 1)))
			abort();
	}
	if (ferror(stdin)) {
		free(buf);
		return hook_error(EX_NOINPUT, "cannot read the state on standard input: %s", strerror(errno));
	}
	buf[n] = 0;
	*text = buf;
	*len = n;
	return 0;
}

/* /proc/PID/cgroup into buf; -1 with errno if it cannot be read (ENOENT:
 * the process is gone). */
static int read_proc_cgroup(long pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = 0;
	return 0;
}

/* The container's cgroup relative to the cgroup2 mount: where its process
 * is, if it lives (it does at createRuntime), else where config.json says. */
static int cgroup_relative(const struct oci_state *st, char rel[PATH_MAX], char *err)
{
	char text[65536], given[PATH_MAX];
	int rc;

	if (st->pid > 0 && read_proc_cgroup(st->pid, text, sizeof(text)) == 0)
		return oci_proc_cgroup(text, rel, PATH_MAX, err);
	if (st->pid > 0 && errno != ENOENT) {
		snprintf(err, OCI_ERR_MAX, "/proc/%ld/cgroup: %s", st->pid, strerror(errno));
		return EX_OSERR;
	}
	if (!st->bundle) {
		snprintf(err, OCI_ERR_MAX, "the state has neither a live pid nor a bundle");
		return EX_DATAERR;
	}
	rc = oci_config_cgroups_path(st->bundle, given, sizeof(given), err);
	return rc ? rc : oci_cgroups_path(given, rel, PATH_MAX, err);
}

/* The container's cgroup as an absolute path: it must exist (load would
 * make it) and must not be the root, which holds the whole host. */
static int container_cgroup(const struct oci_state *st, char out[PATH_MAX], char *err)
{
	char rel[PATH_MAX], cg2[PATH_MAX];
	struct stat sb;
	int rc = cgroup_relative(st, rel, err);

	if (!rc && !rel[0]) {
		snprintf(err, OCI_ERR_MAX, "the container's cgroup is the cgroup2 root: loading there "
			 "would confine the whole host");
		rc = EX_DATAERR;
	}
	if (!rc)
		rc = sys_cgroup2(cg2);
	if (!rc)
		rc = sys_cgroup_path(cg2, rel, out);
	if (!rc && (stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode))) {
		snprintf(err, OCI_ERR_MAX, "the container's cgroup %.400s does not exist", out);
		rc = EX_NOINPUT;
	}
	return rc;
}

/* What the annotations ask for, checked before anything is loaded. */
static int what_to_load(const struct oci_state *st, const char *dir, char *name, size_t size,
			char *policy, char *digest, char *err)
{
	int rc = 0;

	if (st->stray) {
		snprintf(err, OCI_ERR_MAX, "unknown annotation %.80s (netacl reads %s, %s and %s)",
			 st->stray, OCI_ANN_TARGET, OCI_ANN_POLICY, OCI_ANN_DIGEST);
		rc = EX_DATAERR;
	}
	if (!rc)
		rc = oci_target_name(st->target, st->id, name, size, err);
	if (!rc && !st->policy) {
		snprintf(err, OCI_ERR_MAX, "%s without %s: which compiled policy?", OCI_ANN_TARGET,
			 OCI_ANN_POLICY);
		rc = EX_DATAERR;
	}
	if (!rc)
		rc = oci_policy_path(dir, st->policy, policy, PATH_MAX, err);
	if (!rc && st->digest)
		rc = oci_digest(st->digest, digest, err);
	return rc;
}

static int create(const struct oci_state *st, const char *dir)
{
	char name[256], policy[PATH_MAX], digest[65], cg[PATH_MAX], err[OCI_ERR_MAX] = "";
	struct resolve_opts ro;
	int rc = what_to_load(st, dir, name, sizeof(name), policy, digest, err);

	if (!rc)
		rc = container_cgroup(st, cg, err);
	if (!rc) {
		/* a compiled file has no names to resolve; offline all the same */
		resolve_opts_init(&ro);
		ro.offline = true;
		struct enforce e = { .file = policy, .target = st->target, .name = name, .cgroup = cg,
				     .ro = &ro, .expect_digest = st->digest ? digest : NULL };
		rc = enforce_file(&e);
		if (rc)
			snprintf(err, OCI_ERR_MAX, "%.130s from %.300s was not loaded", st->target, policy);
	}
	if (rc)
		hook_error(rc, "container %.*s: %s; it must not start", OCI_ID_MAX, st->id,
			   err[0] ? err : "cannot load its target");
	return rc;
}

struct sweep {
	const char *id;
	int rc;
};

/* Unload dir if it is a target of the container (TARGET@oci-ID). */
static int sweep_one(const char *dir, void *arg)
{
	struct sweep *s = arg;
	const char *base = strrchr(dir, '/');
	char name[256];
	int rc;

	if (!base || !oci_pin_name_decode(base + 1, name, sizeof(name)) ||
	    !oci_name_is_container(name, s->id))
		return 0;
	rc = load_unload(name);
	if (!rc)
		fprintf(stderr, "netacl: unloaded %s (container stopped)\n", name);
	if (rc && rc != EX_NOINPUT && !s->rc) /* EX_NOINPUT: unloaded meanwhile */
		s->rc = rc;
	return 0;
}

/* Unload whatever is loaded for the container, whatever its annotations
 * say now: nothing loaded is nothing to do. */
static int poststop(const struct oci_state *st)
{
	struct sweep s = { .id = st->id };
	int rc = sys_check_privileges();

	if (!rc)
		rc = pinned_each(sweep_one, &s);
	if (!rc)
		rc = s.rc;
	if (rc)
		hook_error(rc, "container %.*s: its target was not unloaded", OCI_ID_MAX, st->id);
	return rc;
}

static int hook(const char *stage_arg, const char *dir)
{
	char *text = NULL, err[OCI_ERR_MAX];
	struct oci_state st;
	enum oci_stage stage;
	size_t len = 0;
	int rc = read_state(&text, &len);

	if (rc)
		return rc;
	rc = oci_state_parse(text, len, &st, err);
	free(text);
	if (rc)
		return hook_error(rc, "%s", err);
	/* a container that does not ask for netacl is none of its business,
	 * whatever stage the hook was run at */
	if (st.target) {
		rc = oci_stage(stage_arg, st.status, &stage, err);
		if (rc)
			hook_error(rc, "%s", err);
		else
			rc = stage == OCI_CREATE ? create(&st, dir) : poststop(&st);
	}
	oci_state_free(&st);
	return rc;
}

int cmd_oci_hook(int argc, char **argv)
{
	const char *dir = POLICY_DIR, *stage = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			printf("usage: %s\n", usage);
			return 0;
		} else if (strcmp(argv[i], "--policy-dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
		} else if (argv[i][0] != '-' && !stage) {
			stage = argv[i];
		} else {
			fprintf(stderr, "netacl oci-hook: error: unexpected argument '%s'\nusage: %s\n",
				argv[i], usage);
			return EX_USAGE;
		}
	}
	return hook(stage, dir);
}
