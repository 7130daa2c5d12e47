/* netacl refresh POLICY --target NAME... | --all [resolution options]
 *                [--watch [--min-interval S] [--max-interval S]]
 *
 * Re-resolve the policy, compare each loaded target's new sets with what
 * the kernel holds (the flattened comparison of `diff`), and replace the
 * ones that changed atomically, printing the change as diff lines.  The
 * mode (enforce or audit) and the cgroup stay as loaded.  --watch repeats
 * when the smallest TTL of the answers runs out, clamped to the
 * intervals; SIGHUP refreshes at once, SIGINT and SIGTERM stop it. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/inspect.h"
#include "bpf/load.h"
#include "bpf/sys.h"
#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/cmd/enforce.h"
#include "compiler/model/diff.h"
#include "compiler/diag.h"

static const char usage[] =
	"netacl refresh POLICY --target NAME... | --all [resolution options]\n"
	"       [--watch [--min-interval SECONDS] [--max-interval SECONDS]]";

/* A loaded target, and the policy target it was loaded from (run loads
 * NAME as NAME@run-PID; '@' is not allowed in policy names). */
struct loaded {
	char name[256], target[256];
};

struct round {
	const struct cli *c;
	struct loaded *v;
	size_t n;
	int64_t min_ttl; /* smallest TTL among the refreshed answers, -1 if none */
};

static int collect(const char *dir, void *arg)
{
	struct round *r = arg;
	struct pinned p;

	if (pinned_open_dir(dir, &p))
		return 0; /* half loaded or unloaded under us: not ours to refresh */
	if (cli_wants(r->c, p.meta.target)) {
		r->v = acl_xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
		struct loaded *l = &r->v[r->n++];
		snprintf(l->name, sizeof(l->name), "%s", p.meta.target);
		snprintf(l->target, sizeof(l->target), "%.*s", (int)strcspn(p.meta.target, "@"),
			 p.meta.target);
	}
	pinned_close(&p);
	return 0;
}

/* Every --target must name something loaded. */
static int all_loaded(const struct round *r)
{
	for (size_t i = 0; i < r->c->ntargets; i++) {
		bool found = false;

		for (size_t j = 0; j < r->n && !found; j++)
			found = cli_names(r->c->targets[i], r->v[j].name);
		if (!found) {
			die_msg("target '%s' is not loaded", r->c->targets[i]);
			return EX_NOINPUT;
		}
	}
	return 0;
}

/* Replace what l holds by t if they differ. */
static int refresh_one(struct round *r, const struct loaded *l, const struct m_target *t,
		       const uint8_t digest[32])
{
	struct pinned p;
	struct model held;
	char *change = NULL;
	size_t len = 0;
	int64_t ttl = allows_min_ttl(t);
	int rc = 0, err = pinned_open(l->name, &p);

	if (err)
		return sys_bpf_error(-err, EX_NOINPUT, l->name);
	model_init(&held);
	err = inspect_target(&p, &held);
	if (err) {
		pinned_close(&p);
		model_free(&held);
		return sys_bpf_error(-err, EX_SOFTWARE, "cannot read the loaded maps");
	}
	FILE *out = open_memstream(&change, &len);
	if (!out)
		abort();
	bool differ = diff_target(out, &held.t[0], t);
	fclose(out);
	if (ttl >= 0 && (r->min_ttl < 0 || ttl < r->min_ttl))
		r->min_ttl = ttl;
	if (differ) {
		struct allows a;
		bool reloaded;

		allows_of(t, false, &a);
		struct load_req req = { .target = l->name, .acl = t->acl, .mode = LOAD_RELOAD,
					.audit = p.conf.flags & NETACL_AUDIT, .a = &a,
					.cgroup_default = p.meta.cgroup };
		memcpy(req.digest, digest, sizeof(req.digest));
		rc = load_target(&req, &reloaded);
		if (!rc && req.repaired)
			fprintf(stderr, "netacl: repaired %s: %s\n", l->name, req.problem);
		if (!rc) {
			fputs(change, stdout);
			fprintf(stderr, "netacl: refreshed %s: %u IPv4 and %u IPv6 prefixes\n", l->name,
				req.entries[0], req.entries[1]);
		}
		allows_free(&a);
	} else {
		char why[256];
		bool repaired;

		rc = load_repair(l->name, &repaired, why, sizeof(why));
		if (!rc && repaired)
			fprintf(stderr, "netacl: repaired %s: %s\n", l->name, why);
		else if (!rc && !r->c->watch)
			fprintf(stderr, "netacl: %s unchanged\n", l->name);
	}
	free(change);
	model_free(&held);
	pinned_close(&p);
	return rc;
}

/* One pass over the loaded targets c names.  An exit status (the last
 * failure); r->min_ttl says when to look again. */
static int refresh(const struct cli *c, int64_t *min_ttl)
{
	struct round r = { .c = c, .min_ttl = -1 };
	struct model m;
	uint8_t digest[32];
	const char **only = NULL;
	size_t nonly = 0;
	int rc;

	pinned_each(collect, &r);
	rc = all_loaded(&r);
	if (rc) {
		free(r.v);
		return rc;
	}
	/* --all compiles every target; --target only those loaded */
	for (size_t i = 0; !c->all && i < r.n; i++) {
		bool dup = false;
		for (size_t j = 0; j < nonly; j++)
			dup |= strcmp(only[j], r.v[i].target) == 0;
		if (dup)
			continue;
		only = acl_xrealloc(only, (nonly + 1) * sizeof(*only));
		only[nonly++] = r.v[i].target;
	}
	model_init(&m);
	if (r.n)
		rc = enforce_compile(c->args[0], only, nonly, &c->ro, &m, digest);
	for (size_t i = 0; !rc && i < r.n; i++) {
		const struct m_target *t = model_find(&m, r.v[i].target);
		int one;

		if (!t) {
			diag_warning(c->args[0], 0, 0, "has no target '%s'; %s left as it is",
				     r.v[i].target, r.v[i].name);
			continue;
		}
		one = refresh_one(&r, &r.v[i], t, digest);
		if (one)
			rc = one;
	}
	*min_ttl = r.min_ttl;
	model_free(&m);
	free(only);
	free(r.v);
	return rc;
}

/* Seconds until the next pass: the smallest TTL (plus one, so caches
 * have let go of the old answer), clamped; soon after a failure. */
static unsigned next_wait(const struct cli *c, int rc, int64_t ttl)
{
	if (rc || ttl < 0)
		return rc ? c->min_interval : c->max_interval;
	if (ttl + 1 < c->min_interval)
		return c->min_interval;
	return ttl + 1 > c->max_interval ? c->max_interval : (unsigned)ttl + 1;
}

static int watch(const struct cli *c)
{
	sigset_t set;
	int64_t ttl;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		int rc = refresh(c, &ttl);
		struct timespec wait = { next_wait(c, rc, ttl), 0 };
		int sig;

		fflush(stdout);
		do
			sig = sigtimedwait(&set, NULL, &wait);
		while (sig < 0 && errno == EINTR);
		if (sig == SIGINT || sig == SIGTERM)
			return 0;
	}
}

int cmd_refresh(int argc, char **argv)
{
	struct cli c;
	int64_t ttl;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_ALL | OPT_RESOLVE | OPT_WATCH, usage, &c);

	if (!rc && c.nargs != 1)
		rc = cli_usage_error(usage, "refresh takes one policy file");
	if (!rc && !c.ntargets == !c.all)
		rc = cli_usage_error(usage, "give --target NAME or --all");
	if (!rc && c.min_interval > c.max_interval)
		rc = cli_usage_error(usage, "--min-interval is more than --max-interval");
	if (!rc)
		rc = sys_check_privileges();
	if (!rc)
		rc = sys_bpffs();
	if (!rc)
		rc = c.watch ? watch(&c) : refresh(&c, &ttl);
	free(c.args);
	return rc;
}
