/* netacl status [--json]: what is loaded where, with counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bpf/pins.h"
#include "bpf/sys.h"
#include "compiler/cmd/cli.h"
#include "compiler/cmd/verbs.h"
#include "compiler/diag.h"

static const char usage[] = "netacl status [--json]";

struct status {
	bool json;
	json_t *list;
	int rows;
};

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void iso_time(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
}

static int one(const char *dir, void *arg)
{
	struct status *s = arg;
	struct pinned p;
	uint64_t n[NETACL_NCOUNTERS];
	char digest[65], when[32];
	const char *mode;
	int err = pinned_open_dir(dir, &p);

	if (err) {
		diag_warning(dir, 0, 0, "not a complete netacl target (%s); `netacl unload` it",
			     strerror(-err));
		return 0;
	}
	pinned_counters(&p, n);
	hex(p.meta.digest, 32, digest);
	iso_time(p.meta.loaded_at, when);
	mode = p.conf.flags & NETACL_AUDIT ? "audit" : "enforce";
	if (s->json) {
		json_array_append_new(s->list, json_pack(
			"{s:s, s:s, s:s, s:s, s:{s:I, s:I}, s:{s:I, s:I, s:I, s:I}, s:s, s:s+, s:o}",
			"target", p.meta.target, "acl", p.meta.acl, "cgroup", p.meta.cgroup,
			"mode", mode, "entries", "ipv4", (json_int_t)p.meta.entries4, "ipv6",
			(json_int_t)p.meta.entries6, "counters", "allowed", (json_int_t)n[NETACL_CNT_ALLOW],
			"denied", (json_int_t)n[NETACL_CNT_DENY], "audited",
			(json_int_t)n[NETACL_CNT_AUDIT], "events_lost", (json_int_t)n[NETACL_CNT_LOST],
			"loaded_at", when, "digest", "sha256:", digest, "min_ttl",
			p.meta.min_ttl < 0 ? json_null() : json_integer(p.meta.min_ttl)));
	} else {
		if (!s->rows++)
			printf("%-20s %-7s %8s %10s %10s %10s  %-20s  %-6s %s\n", "TARGET", "MODE",
			       "ENTRIES", "ALLOWED", "DENIED", "AUDITED", "LOADED", "DIGEST", "CGROUP");
		printf("%-20s %-7s %8u %10llu %10llu %10llu  %-20s  %.12s %s\n", p.meta.target, mode,
		       p.meta.entries4 + p.meta.entries6, (unsigned long long)n[NETACL_CNT_ALLOW],
		       (unsigned long long)n[NETACL_CNT_DENY], (unsigned long long)n[NETACL_CNT_AUDIT],
		       when, digest, p.meta.cgroup);
	}
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
		s.list = json_array();
		pinned_each(one, &s);
		if (s.json) {
			json_t *o = json_pack("{s:o}", "targets", s.list);
			char *text = json_dumps(o, JSON_INDENT(2));
			rc = cli_write_output(NULL, text);
			free(text);
			json_decref(o);
		} else {
			json_decref(s.list);
		}
	}
	free(c.args);
	return rc;
}
