/* netacl load (POLICY|JSON) --target NAME [--cgroup PATH] [--audit]
 *
 * compile (or read) -> flatten -> bpf/load.c.  Everything that can fail
 * without touching the kernel is done first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bpf/load.h"
#include "bpf/sys.h"
#include "compiler/cli.h"
#include "compiler/diag.h"
#include "compiler/resolve.h"

static const char usage[] =
	"netacl load (POLICY|JSON) --target NAME [--cgroup PATH] [--audit] [--hosts-file FILE]\n"
	"       [--offline] [--resolver IP[:PORT]] [--timeout MS] [--max-addrs N] [--strict]";

static int digest_file(const char *path, uint8_t out[32])
{
	size_t len;
	char *text = read_file(path, &len);
	unsigned n = 32;

	if (!text) {
		die_msg("cannot read %s", path);
		return EX_NOINPUT;
	}
	EVP_Digest(text, len, out, &n, EVP_sha256(), NULL);
	free(text);
	return 0;
}

/* "netacl/<target>" with '/' as '-': where a target without a cgroup goes. */
static void default_cgroup(const char *target, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "netacl/");

	for (; *target && n + 1 < size; target++)
		out[n++] = *target == '/' ? '-' : *target;
	out[n] = 0;
}

int enforce_file(const char *file, const char *target, const char *cgroup, bool audit,
		 const struct resolve_opts *ro)
{
	struct model m;
	struct allows a;
	struct load_req r = { .target = target, .audit = audit, .a = &a };
	char cg2[PATH_MAX], path[PATH_MAX], dflt[PATH_MAX], dpath[PATH_MAX];
	const char *only[1] = { target };
	bool reloaded = false;
	int rc = sys_check_privileges();

	if (rc)
		return rc;
	model_init(&m);
	rc = input_load(file, ro, only, 1, &m);
	if (!rc)
		rc = digest_file(file, r.digest);
	if (!rc)
		rc = sys_cgroup2(cg2);
	if (!rc)
		rc = sys_bpffs();
	if (rc) {
		model_free(&m);
		return rc;
	}
	const struct m_target *t = model_find(&m, target);
	if (!cgroup && t->cgroup)
		cgroup = t->cgroup;
	default_cgroup(target, dflt, sizeof(dflt));
	rc = sys_cgroup_path(cg2, dflt, dpath);
	if (!rc && cgroup)
		rc = sys_cgroup_path(cg2, cgroup, path);
	if (rc) {
		model_free(&m);
		return rc;
	}
	r.cgroup = cgroup ? path : NULL;
	r.cgroup_default = dpath;
	r.acl = t->acl;
	allows_of(t, false, &a);
	rc = enforce_load(&r, &reloaded);
	if (!rc)
		fprintf(stderr, "netacl: %s %s on %s: %u IPv4 and %u IPv6 prefixes%s\n",
			reloaded ? "replaced" : "loaded", target, r.cgroup_used, r.entries[0],
			r.entries[1], audit ? " (audit mode)" : "");
	allows_free(&a);
	model_free(&m);
	return rc;
}

int cmd_load(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_RESOLVE | OPT_CGROUP | OPT_AUDIT, usage, &c);

	if (!rc && c.nargs != 1)
		rc = cli_usage_error(usage, "load takes one policy or compiled JSON file");
	if (!rc)
		rc = cli_one_target(&c, usage);
	if (!rc)
		rc = enforce_file(c.args[0], c.targets[0], c.cgroup, c.audit, &c.ro);
	free(c.args);
	return rc;
}
