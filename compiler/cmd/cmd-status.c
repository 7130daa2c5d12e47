/* netacl status [--json]: what is loaded where, with counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpf/admit.h"
#include "bpf/attach.h"
#include "bpf/events.h"
#include "bpf/pins.h"
#include "bpf/sys.h"
#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/diag.h"
#include "compiler/digest.h"
#include "compiler/model/jsonw.h"

static const char usage[] = "netacl status [--json]";

struct status {
	bool json;
	struct jw w;  /* the "targets" array, with --json */
	int rows;
};

static void iso_time(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
}

/* "dns": null for a static target; for live DNS, who serves it. */
static void json_dns(struct jw *w, const struct pinned *p)
{
	struct netacl_dns d;
	bool served;

	jw_key(w, "dns");
	if (!(p->conf.flags & NETACL_DNS_ADMIT)) {
		jw_null(w);
		return;
	}
	served = admit_served(p, &d);
	jw_object(w);
	jw_key(w, "served");
	jw_bool(w, served);
	if (served) {
		jw_key(w, "pid");
		jw_int(w, d.pid);
		jw_key(w, "port4");
		jw_int(w, d.port4);
		jw_key(w, "port6");
		jw_int(w, d.port6);
	}
	jw_key(w, "admitted");
	jw_int(w, (long long)admit_count(p));
	jw_end(w);
}

static void text_dns(const struct pinned *p)
{
	struct netacl_dns d;

	if (!(p->conf.flags & NETACL_DNS_ADMIT))
		return;
	if (admit_served(p, &d))
		printf("  dns: admit, served by pid %u on 127.0.0.1:%u and [::1]:%u, %zu addresses "
		       "admitted\n",
		       d.pid, d.port4, d.port6, admit_count(p));
	else
		printf("  dns: admit, not served: its lookups are refused, %zu addresses "
		       "admitted\n", admit_count(p));
}

static void json_target(struct jw *w, const struct pinned *p, const uint64_t *n,
			const char *mode, const char *when, const char *digest, const char *problem)
{
	static const char *const counters[] = { "allowed", "denied", "audited", "events_lost" };
	static const int slots[] = { NETACL_CNT_ALLOW, NETACL_CNT_DENY, NETACL_CNT_AUDIT,
				     NETACL_CNT_LOST };
	char sha[80];

	jw_object(w);
	jw_key(w, "target");
	jw_str(w, p->meta.target);
	jw_key(w, "acl");
	jw_str(w, p->meta.acl);
	jw_key(w, "cgroup");
	jw_str(w, p->meta.cgroup);
	jw_key(w, "mode");
	jw_str(w, mode);
	jw_key(w, "state");
	jw_str(w, problem ? "broken" : "enforced");
	if (problem) {
		jw_key(w, "problem");
		jw_str(w, problem);
	}
	jw_key(w, "entries");
	jw_object(w);
	jw_key(w, "ipv4");
	jw_int(w, p->meta.entries4);
	jw_key(w, "ipv6");
	jw_int(w, p->meta.entries6);
	jw_end(w);
	jw_key(w, "counters");
	jw_object(w);
	for (int i = 0; i < 4; i++) {
		jw_key(w, counters[i]);
		jw_int(w, (long long)n[slots[i]]);
	}
	jw_end(w);
	jw_key(w, "loaded_at");
	jw_str(w, when);
	jw_key(w, "digest");
	snprintf(sha, sizeof(sha), "sha256:%s", digest);
	jw_str(w, sha);
	jw_key(w, "min_ttl");
	if (p->meta.min_ttl < 0)
		jw_null(w);
	else
		jw_int(w, p->meta.min_ttl);
	json_dns(w, p);
	jw_end(w);
}

static int one(const char *dir, void *arg)
{
	struct status *s = arg;
	struct pinned p;
	uint64_t n[NETACL_NCOUNTERS];
	char digest[65], when[32], why[256];
	bool ok;
	const char *mode;
	int err = pinned_open_dir(dir, &p);

	if (err) {
		diag_warning(dir, 0, 0, "not a complete netacl target (%s); `netacl unload` it",
			     strerror(-err));
		return 0;
	}
	ok = attach_ok(&p, why, sizeof(why));
	events_clear_stale(&p);
	pinned_counters(&p, n);
	digest_hex(p.meta.digest, digest);
	iso_time(p.meta.loaded_at, when);
	mode = p.conf.flags & NETACL_AUDIT ? "audit" : "enforce";
	if (s->json) {
		json_target(&s->w, &p, n, mode, when, digest, ok ? NULL : why);
	} else {
		if (!s->rows++)
			printf("%-20s %-7s %8s %10s %10s %10s  %-20s  %-6s %s\n", "TARGET", "MODE",
			       "ENTRIES", "ALLOWED", "DENIED", "AUDITED", "LOADED", "DIGEST", "CGROUP");
		if (!ok)
			mode = "broken";
		printf("%-20s %-7s %8u %10llu %10llu %10llu  %-20s  %.12s %s\n", p.meta.target, mode,
		       p.meta.entries4 + p.meta.entries6, (unsigned long long)n[NETACL_CNT_ALLOW],
		       (unsigned long long)n[NETACL_CNT_DENY], (unsigned long long)n[NETACL_CNT_AUDIT],
		       when, digest, p.meta.cgroup);
		text_dns(&p);
	}
	if (!ok)
		diag_warning(p.meta.target, 0, 0, "not enforced: %s; `netacl load` it again to "
			     "repair it", why);
	pinned_close(&p);
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct cli c;
	struct status s = { 0 };
	int rc = cli_parse(argc, argv, OPT_JSON, usage, &c);

	if (!rc && c.nargs)
		rc = cli_usage_error(usage, "status takes no arguments");
	if (!rc)
		rc = sys_check_privileges();
	if (!rc) {
		s.json = c.json;
		jw_init(&s.w, true);
		jw_object(&s.w);
		jw_key(&s.w, "targets");
		jw_array(&s.w);
		pinned_each(one, &s);
		jw_end(&s.w);
		jw_end(&s.w);
		if (s.json)
			rc = cli_write_output(NULL, s.w.buf);
		jw_free(&s.w);
	}
	free(c.args);
	return rc;
}
