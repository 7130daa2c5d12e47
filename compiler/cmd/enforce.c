/* compile (or read) -> flatten -> bpf/load.c.  Everything that can fail
 * without touching the kernel is done first. */
#include "compiler/cmd/enforce.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "bpf/load.h"
#include "bpf/progs.h"
#include "bpf/sys.h"
#include "compiler/cmd/input.h"
#include "compiler/diag.h"
#include "compiler/digest.h"
#include "compiler/files.h"

/* "netacl/<target>" with '/' as '-': where a target without a cgroup goes. */
static void default_cgroup(const char *target, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "netacl/");

	for (; *target && n + 1 < size; target++)
		out[n++] = *target == '/' ? '-' : *target;
	out[n] = 0;
}

int enforce_compile(const char *file, const char *const *only, size_t nonly,
		    const struct resolve_opts *ro, struct model *m, uint8_t digest[32])
{
	return input_load_digest(file, ro, only, nonly, m, digest);
}

/* The absolute cgroup e's target goes on, or an exit status. */
static int cgroup_of(const struct enforce *e, const struct m_target *t, struct load_req *r,
		     char path[PATH_MAX], char dpath[PATH_MAX])
{
	char cg2[PATH_MAX], dflt[PATH_MAX];
	const char *cgroup = e->cgroup;
	int rc = sys_cgroup2(cg2);

	if (!rc)
		rc = sys_bpffs();
	if (rc)
		return rc;
	if (!cgroup && t->cgroup && !e->transient)
		cgroup = t->cgroup;
	default_cgroup(r->target, dflt, sizeof(dflt));
	rc = sys_cgroup_path(cg2, dflt, dpath);
	if (!rc && cgroup)
		rc = sys_cgroup_path(cg2, cgroup, path);
	r->cgroup = cgroup ? path : NULL;
	r->cgroup_default = dpath;
	return rc;
}

/* --expect-digest: 64 hex digits, or a file that starts with them (what
 * sha256sum and compile --digest write).  0 or an exit status. */
static int expected_digest(const char *arg, uint8_t out[32])
{
	char *text;
	size_t len;
	bool ok;

	if (digest_parse(arg, out))
		return 0;
	text = files_read(arg, &len);
	if (!text) {
		die_msg("--expect-digest: neither 64 hex digits nor a readable file: %s: %s", arg,
			files_strerror(errno));
		return EX_USAGE;
	}
	ok = digest_parse(text, out);
	free(text);
	if (!ok) {
		die_msg("--expect-digest: %s does not start with a SHA-256 (64 hex digits)", arg);
		return EX_DATAERR;
	}
	return 0;
}

/* The file read must be the one expected: nothing is loaded otherwise. */
static int check_digest(const struct enforce *e, const uint8_t want[32], const uint8_t got[32])
{
	char g[DIGEST_HEX + 1], w[DIGEST_HEX + 1];

	if (!e->expect_digest || memcmp(want, got, 32) == 0)
		return 0;
	digest_hex(got, g);
	digest_hex(want, w);
	die_msg("%s: its SHA-256 is %s, not the expected %s: nothing was loaded", e->file, g, w);
	return EX_DATAERR;
}

int enforce_file(struct enforce *e)
{
	struct model own, *m = e->keep ? e->keep : &own;
	struct allows a;
	struct load_req r = {
		.target = e->name ? e->name : e->target,
		.mode = e->transient ? LOAD_FRESH : LOAD_ANY,
		.audit = e->audit,
		.a = &a,
	};
	char path[PATH_MAX], dpath[PATH_MAX];
	uint8_t want[32];
	bool reloaded = false;
	int rc = sys_check_privileges();

	/* a bad --expect-digest is found before any file is read or resolved */
	if (!rc && e->expect_digest)
		rc = expected_digest(e->expect_digest, want);
	if (rc)
		return rc;
	/* run's target is new: its maps can be made while the policy is read */
	if (e->transient)
		progs_prefetch();
	model_init(m);
	rc = enforce_compile(e->file, &e->target, 1, e->ro, m, r.digest);
	if (!rc)
		rc = check_digest(e, want, r.digest);
	const struct m_target *t = rc ? NULL : model_find(m, e->target);
	if (!rc)
		rc = cgroup_of(e, t, &r, path, dpath);
	if (!rc) {
		r.acl = t->acl;
		allows_of(t, false, &a);
		rc = load_target(&r, &reloaded);
		allows_free(&a);
	}
	if (!rc && r.repaired)
		fprintf(stderr, "netacl: repaired %s: %s\n", r.target, r.problem);
	if (!rc) {
		snprintf(e->cgroup_used, sizeof(e->cgroup_used), "%s", r.cgroup_used);
		fprintf(stderr, "netacl: %s %s on %s: %u IPv4 and %u IPv6 prefixes%s\n",
			reloaded ? "replaced" : "loaded", r.target, r.cgroup_used, r.entries[0],
			r.entries[1], e->audit ? " (audit mode)" : "");
	}
	if (!e->keep)
		model_free(m);
	return rc;
}
