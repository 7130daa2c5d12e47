/* netacl status [--format text|json|prometheus|openmetrics] [-o FILE]:
 * what is loaded where, with counters.  Every target is read first, then
 * written in the chosen format, all at once (-o replaces FILE atomically:
 * a textfile collector never reads half a scrape). */
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
#include "compiler/cmd/metrics.h"
#include "compiler/cmd/verbs.h"
#include "compiler/diag.h"
#include "compiler/digest.h"
#include "compiler/model/jsonw.h"

static const char usage[] =
	"netacl status [--format text|json|prometheus|openmetrics] [--json] [-o FILE]";

enum format { F_TEXT, F_JSON, F_PROMETHEUS, F_OPENMETRICS };
static const char *const format_names[] = { "text", "json", "prometheus", "openmetrics" };

/* One loaded target, as read from its pins. */
struct row {
	struct netacl_meta meta;
	struct metrics_target m; /* its strings point into meta */
	struct netacl_dns d;     /* the forwarder, if m.dns_served */
	struct netacl_limits lim; /* the live generation's */
	char why[256];           /* the problem, if !m.attached */
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static void iso_time(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
}

/* ---- reading ---- */

static void read_target(const struct pinned *p, struct row *r)
{
	uint64_t n[NETACL_NCOUNTERS];

	r->meta = p->meta;
	r->m.target = r->meta.target;
	r->m.acl = r->meta.acl;
	r->m.cgroup = r->meta.cgroup;
	r->m.attached = attach_ok(p, r->why, sizeof(r->why));
	events_clear_stale(p);
	pinned_counters(p, n);
	r->m.allowed = n[NETACL_CNT_ALLOW];
	r->m.denied = n[NETACL_CNT_DENY];
	r->m.audited = n[NETACL_CNT_AUDIT];
	r->m.lost = n[NETACL_CNT_LOST];
	r->m.capped = n[NETACL_CNT_CAPPED];
	r->m.rated = n[NETACL_CNT_RATED];
	r->m.counts = pinned_limits(p, &r->lim, &r->m.connections) == 0;
	r->m.max_conn = r->lim.max_conn;
	r->m.max_rate = r->lim.max_rate;
	r->m.entries4 = p->meta.entries4;
	r->m.entries6 = p->meta.entries6;
	r->m.loaded_at = p->meta.loaded_at;
	r->m.audit = p->conf.flags & NETACL_AUDIT;
	r->m.dns = p->conf.flags & NETACL_DNS_ADMIT;
	if (r->m.dns) {
		r->m.dns_served = admit_served(p, &r->d);
		r->m.dns_admitted = admit_count(p);
	}
}

static int one(const char *dir, void *arg)
{
	struct rows *rs = arg;
	struct pinned p;
	struct row *r;
	int err = pinned_open_dir(dir, &p);

	if (err) {
		diag_warning(dir, 0, 0, "not a complete netacl target (%s); `netacl unload` it",
			     strerror(-err));
		return 0;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 8;
		rs->v = realloc(rs->v, rs->cap * sizeof(*rs->v));
		if (!rs->v)
			abort();
	}
	r = &rs->v[rs->n++];
	memset(r, 0, sizeof(*r));
	read_target(&p, r);
	if (!r->m.attached)
		diag_warning(p.meta.target, 0, 0, "not enforced: %s; `netacl load` it again to "
			     "repair it", r->why);
	pinned_close(&p);
	return 0;
}

/* ---- text ---- */

static void text_dns(FILE *f, const struct row *r)
{
	if (!r->m.dns)
		return;
	if (r->m.dns_served)
		fprintf(f, "  dns: admit, served by pid %u on 127.0.0.1:%u and [::1]:%u, %llu "
			"addresses admitted\n",
			r->d.pid, r->d.port4, r->d.port6, (unsigned long long)r->m.dns_admitted);
	else
		fprintf(f, "  dns: admit, not served: its lookups are refused, %llu addresses "
			"admitted\n", (unsigned long long)r->m.dns_admitted);
}

/* A line per limit the target has: its value, the count, the connects
 * over it (refused, or in audit mode let through). */
static void text_limits(FILE *f, const struct row *r)
{
	if (r->m.max_conn)
		fprintf(f, "  max_connections %u: %lld connections now, %llu connects over it\n",
			r->m.max_conn, (long long)r->m.connections, (unsigned long long)r->m.capped);
	if (r->m.max_rate)
		fprintf(f, "  max_connect_rate %u/s, burst %u: %llu connects over it\n", r->m.max_rate,
			r->m.max_rate, (unsigned long long)r->m.rated);
}

static void text_write(FILE *f, const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		const char *mode = !r->m.attached ? "broken" : r->m.audit ? "audit" : "enforce";
		char digest[65], when[32];

		if (i == 0)
			fprintf(f, "%-20s %-7s %8s %10s %10s %10s  %-20s  %-6s %s\n", "TARGET",
				"MODE", "ENTRIES", "ALLOWED", "DENIED", "AUDITED", "LOADED",
				"DIGEST", "CGROUP");
		digest_hex(r->meta.digest, digest);
		iso_time(r->meta.loaded_at, when);
		fprintf(f, "%-20s %-7s %8u %10llu %10llu %10llu  %-20s  %.12s %s\n", r->m.target,
			mode, r->m.entries4 + r->m.entries6, (unsigned long long)r->m.allowed,
			(unsigned long long)r->m.denied, (unsigned long long)r->m.audited, when,
			digest, r->m.cgroup);
		text_dns(f, r);
		text_limits(f, r);
	}
}

/* ---- JSON ---- */

/* "dns": null for a static target; for live DNS, who serves it. */
static void json_dns(struct jw *w, const struct row *r)
{
	jw_key(w, "dns");
	if (!r->m.dns) {
		jw_null(w);
		return;
	}
	jw_object(w);
	jw_key(w, "served");
	jw_bool(w, r->m.dns_served);
	if (r->m.dns_served) {
		jw_key(w, "pid");
		jw_int(w, r->d.pid);
		jw_key(w, "port4");
		jw_int(w, r->d.port4);
		jw_key(w, "port6");
		jw_int(w, r->d.port6);
	}
	jw_key(w, "admitted");
	jw_int(w, (long long)r->m.dns_admitted);
	jw_end(w);
}

static void json_counters(struct jw *w, const struct metrics_target *m)
{
	jw_key(w, "counters");
	jw_object(w);
	jw_key(w, "allowed");
	jw_int(w, (long long)m->allowed);
	jw_key(w, "denied");
	jw_int(w, (long long)m->denied);
	jw_key(w, "audited");
	jw_int(w, (long long)m->audited);
	jw_key(w, "events_lost");
	jw_int(w, (long long)m->lost);
	jw_key(w, "capped");
	jw_int(w, (long long)m->capped);
	jw_key(w, "rate_limited");
	jw_int(w, (long long)m->rated);
	jw_end(w);
}

/* n, or null for 0 (none) */
static void json_limit(struct jw *w, const char *key, uint32_t n)
{
	jw_key(w, key);
	if (n)
		jw_int(w, n);
	else
		jw_null(w);
}

/* "connections": the count, for a target with max_connections (null:
 * nothing is counted), then the limits, null when not set. */
static void json_limits(struct jw *w, const struct metrics_target *m)
{
	jw_key(w, "connections");
	if (m->counts && m->max_conn)
		jw_int(w, m->connections);
	else
		jw_null(w);
	json_limit(w, "max_connections", m->max_conn);
	json_limit(w, "max_connect_rate", m->max_rate);
}

static void json_target(struct jw *w, const struct row *r)
{
	char digest[65], sha[80], when[32];

	digest_hex(r->meta.digest, digest);
	iso_time(r->meta.loaded_at, when);
	jw_object(w);
	jw_key(w, "target");
	jw_str(w, r->m.target);
	jw_key(w, "acl");
	jw_str(w, r->m.acl);
	jw_key(w, "cgroup");
	jw_str(w, r->m.cgroup);
	jw_key(w, "mode");
	jw_str(w, r->m.audit ? "audit" : "enforce");
	jw_key(w, "state");
	jw_str(w, r->m.attached ? "enforced" : "broken");
	if (!r->m.attached) {
		jw_key(w, "problem");
		jw_str(w, r->why);
	}
	jw_key(w, "entries");
	jw_object(w);
	jw_key(w, "ipv4");
	jw_int(w, r->m.entries4);
	jw_key(w, "ipv6");
	jw_int(w, r->m.entries6);
	jw_end(w);
	json_counters(w, &r->m);
	json_limits(w, &r->m);
	jw_key(w, "loaded_at");
	jw_str(w, when);
	jw_key(w, "digest");
	snprintf(sha, sizeof(sha), "sha256:%s", digest);
	jw_str(w, sha);
	jw_key(w, "min_ttl");
	if (r->meta.min_ttl < 0)
		jw_null(w);
	else
		jw_int(w, r->meta.min_ttl);
	json_dns(w, r);
	jw_end(w);
}

/* The document (cli_write_output ends it with a newline); the caller frees it. */
static char *json_write(const struct row *rows, size_t n)
{
	struct jw w;

	jw_init(&w, true);
	jw_object(&w);
	jw_key(&w, "targets");
	jw_array(&w);
	for (size_t i = 0; i < n; i++)
		json_target(&w, &rows[i]);
	jw_end(&w);
	jw_end(&w);
	return w.buf; /* jw_free would only free it */
}

/* ---- the verb ---- */

static int parse_format(const struct cli *c, enum format *out)
{
	*out = c->json ? F_JSON : F_TEXT;
	if (!c->format)
		return 0;
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]); i++)
		if (strcmp(c->format, format_names[i]) == 0) {
			if (c->json && i != F_JSON)
				return cli_usage_error(usage, "--json is --format json, not --format "
						       "%s", c->format);
			*out = (enum format)i;
			return 0;
		}
	return cli_usage_error(usage, "--format takes text, json, prometheus or openmetrics, "
			       "not '%s'", c->format);
}

/* Text and metrics, written to memory: one write at the end. */
static char *stream_write(enum format fmt, const struct row *rows, size_t n)
{
	struct metrics_target *m = calloc(n ? n : 1, sizeof(*m));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || !m)
		abort();
	for (size_t i = 0; i < n; i++)
		m[i] = rows[i].m;
	if (fmt == F_TEXT)
		text_write(f, rows, n);
	else
		metrics_write(f, fmt == F_PROMETHEUS ? METRICS_PROMETHEUS : METRICS_OPENMETRICS,
			      m, n);
	if (fclose(f))
		abort(); /* only memory can fail here */
	free(m);
	if (len && buf[len - 1] == '\n')
		buf[len - 1] = 0; /* cli_write_output ends it */
	return buf;
}

static int status_write(const struct cli *c, enum format fmt, const struct rows *rs)
{
	char *text = fmt == F_JSON ? json_write(rs->v, rs->n) : stream_write(fmt, rs->v, rs->n);
	int rc = 0;

	/* no targets, as text on stdout: nothing, not an empty line */
	if (*text || c->output)
		rc = cli_write_output(c->output, text);
	free(text);
	return rc;
}

int cmd_status(int argc, char **argv)
{
	struct cli c;
	struct rows rs = { 0 };
	enum format fmt = F_TEXT;
	int rc = cli_parse(argc, argv, OPT_JSON | OPT_FORMAT | OPT_OUTPUT, usage, &c);

	if (!rc && c.nargs)
		rc = cli_usage_error(usage, "status takes no arguments");
	if (!rc)
		rc = parse_format(&c, &fmt);
	if (!rc)
		rc = sys_check_privileges();
	if (!rc) {
		pinned_each(one, &rs);
		rc = status_write(&c, fmt, &rs);
	}
	free(rs.v);
	free(c.args);
	return rc;
}
