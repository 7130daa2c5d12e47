/* The Prometheus text format 0.0.4 and OpenMetrics 1.0 text, for
 * status --format: one HELP and TYPE per family, then all its samples
 * (both formats require a family's samples together), for every target. */
#include "compiler/cmd/metrics.h"

#include <errno.h>

/* A family's value for target t; i picks the value of its extra label. */
typedef uint64_t (*metric_get)(const struct metrics_target *t, size_t i);
/* Whether target t has the family's samples. */
typedef bool (*metric_has)(const struct metrics_target *t);

struct family {
	const char *name; /* OpenMetrics' family name: a counter's lacks _total */
	const char *type; /* "counter" or "gauge" */
	const char *unit; /* OpenMetrics UNIT (a suffix of name), or NULL */
	const char *help; /* no backslash, quote or newline: written as is */
	/* an extra label and its values, one sample each, or NULL: one sample.
	 * The values are fixed, so the label keeps the series bounded. */
	const char *label;
	const char *const *values;
	metric_has has; /* NULL: every target has it */
	metric_get get;
};

static uint64_t get_verdicts(const struct metrics_target *t, size_t i)
{
	const uint64_t v[] = { t->allowed, t->denied, t->audited };

	return v[i];
}

static uint64_t get_lost(const struct metrics_target *t, size_t i)
{
	(void)i;
	return t->lost;
}

static uint64_t get_entries(const struct metrics_target *t, size_t i)
{
	return i ? t->entries6 : t->entries4;
}

static uint64_t get_loaded(const struct metrics_target *t, size_t i)
{
	(void)i;
	return t->loaded_at;
}

static uint64_t get_attached(const struct metrics_target *t, size_t i)
{
	(void)i;
	return t->attached;
}

/* one sample per mode, 1 for the target's: a change of mode changes a
 * value, never which series exist */
static uint64_t get_mode(const struct metrics_target *t, size_t i)
{
	return i == 1 ? t->audit : !t->audit;
}

static uint64_t get_admitted(const struct metrics_target *t, size_t i)
{
	(void)i;
	return t->dns_admitted;
}

static uint64_t get_served(const struct metrics_target *t, size_t i)
{
	(void)i;
	return t->dns_served;
}

static uint64_t get_connections(const struct metrics_target *t, size_t i)
{
	(void)i;
	return t->connections > 0 ? (uint64_t)t->connections : 0; /* never below 0 */
}

static uint64_t get_max_conn(const struct metrics_target *t, size_t i)
{
	(void)i;
	return t->max_conn;
}

static uint64_t get_max_rate(const struct metrics_target *t, size_t i)
{
	(void)i;
	return t->max_rate;
}

static uint64_t get_limited(const struct metrics_target *t, size_t i)
{
	return i ? t->rated : t->capped;
}

static bool has_dns(const struct metrics_target *t)
{
	return t->dns;
}

static bool has_count(const struct metrics_target *t)
{
	return t->counts;
}

static bool has_max_conn(const struct metrics_target *t)
{
	return t->counts && t->max_conn != 0;
}

static bool has_max_rate(const struct metrics_target *t)
{
	return t->max_rate != 0;
}

static const char *const verdicts[] = { "allow", "deny", "audit", NULL };
static const char *const limits[] = { "connections", "rate", NULL };
static const char *const families[] = { "ipv4", "ipv6", NULL };
static const char *const modes[] = { "enforce", "audit", NULL };

static const struct family table[] = {
	{ "netacl_verdicts", "counter", NULL,
	  "Verdicts of the target's programs since it was first loaded: connects and sends "
	  "allowed; connects, sends, sockets and socket options denied, or audited (let "
	  "through in audit mode).",
	  "verdict", verdicts, NULL, get_verdicts },
	{ "netacl_events_lost", "counter", NULL,
	  "Verdict events a full ring buffer refused: trace missed them, netacl_verdicts_total "
	  "counts them.",
	  NULL, NULL, NULL, get_lost },
	{ "netacl_entries", "gauge", NULL,
	  "Prefixes of the live sets in the kernel, by address family.",
	  "family", families, NULL, get_entries },
	{ "netacl_loaded_timestamp_seconds", "gauge", "seconds",
	  "When the live sets were loaded, in seconds since the epoch.",
	  NULL, NULL, NULL, get_loaded },
	{ "netacl_attached", "gauge", NULL,
	  "1 if every program is attached to the cgroup now at the target's path (enforced), "
	  "0 if not (broken: netacl status says why; load again to repair).",
	  NULL, NULL, NULL, get_attached },
	{ "netacl_mode", "gauge", NULL,
	  "1 for the mode the target is loaded in (enforce or audit), 0 for the other.",
	  "mode", modes, NULL, get_mode },
	{ "netacl_dns_served", "gauge", NULL,
	  "For dns: admit, 1 if a live forwarder serves the target, 0 if its lookups are "
	  "refused.",
	  NULL, NULL, has_dns, get_served },
	{ "netacl_dns_admitted", "gauge", NULL,
	  "For dns: admit, the addresses admitted by answers that have not expired.",
	  NULL, NULL, has_dns, get_admitted },
	{ "netacl_connections", "gauge", NULL,
	  "For max_connections, the TCP connections counted now: from the connect its policy "
	  "let through until they end or are closed.",
	  NULL, NULL, has_max_conn, get_connections },
	{ "netacl_max_connections", "gauge", NULL,
	  "For max_connections, the cap: TCP connections at once.",
	  NULL, NULL, has_max_conn, get_max_conn },
	{ "netacl_max_connect_rate", "gauge", NULL,
	  "For max_connect_rate, the TCP connects a second (the burst is as many).",
	  NULL, NULL, has_max_rate, get_max_rate },
	{ "netacl_limited", "counter", NULL,
	  "TCP connects over max_connections (limit connections) or max_connect_rate "
	  "(limit rate) since the target was first loaded: refused with EMFILE, or in audit "
	  "mode let through.",
	  "limit", limits, has_count, get_limited },
};

/* The bytes of the valid UTF-8 sequence at s, or 0 (overlong forms,
 * surrogates, past U+10FFFF, truncated: the NUL ends a sequence). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0], cp, min;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* A label value between quotes: backslash, quote and newline escaped, as
 * both formats require.  Label values must be UTF-8 (node_exporter drops
 * the whole file otherwise) and a cgroup path may be any bytes: a byte
 * that is not is written as U+FFFD. */
static void put_value(FILE *f, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;

	fputc('"', f);
	while (*s) {
		size_t n = utf8_len(s);

		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else if (n)
			fwrite(s, 1, n, f);
		else
			fputs("\xef\xbf\xbd", f);
		s += n ? n : 1;
	}
	fputc('"', f);
}

static void put_label(FILE *f, const char *sep, const char *key, const char *v)
{
	fprintf(f, "%s%s=", sep, key);
	put_value(f, v);
}

static void put_sample(FILE *f, const struct family *m, bool counter,
		       const struct metrics_target *t, size_t i)
{
	fprintf(f, "%s%s", m->name, counter ? "_total" : "");
	put_label(f, "{", "target", t->target);
	put_label(f, ",", "acl", t->acl);
	put_label(f, ",", "cgroup", t->cgroup);
	if (m->label)
		put_label(f, ",", m->label, m->values[i]);
	fprintf(f, "} %llu\n", (unsigned long long)m->get(t, i));
}

/* HELP and TYPE name the family: in 0.0.4 a counter's is its samples'
 * name, _total included; in OpenMetrics it is without _total. */
static void put_family(FILE *f, enum metrics_format fmt, const struct family *m,
		       const struct metrics_target *t, size_t n)
{
	bool counter = m->type[0] == 'c';
	const char *suffix = counter && fmt == METRICS_PROMETHEUS ? "_total" : "";
	size_t nvalues = 1; /* samples per target */

	while (m->values && m->values[nvalues])
		nvalues++;
	fprintf(f, "# HELP %s%s %s\n", m->name, suffix, m->help);
	fprintf(f, "# TYPE %s%s %s\n", m->name, suffix, m->type);
	if (m->unit && fmt == METRICS_OPENMETRICS)
		fprintf(f, "# UNIT %s %s\n", m->name, m->unit);
	for (size_t k = 0; k < n; k++) {
		if (m->has && !m->has(&t[k]))
			continue;
		for (size_t i = 0; i < nvalues; i++)
			put_sample(f, m, counter, &t[k], i);
	}
}

int metrics_write(FILE *f, enum metrics_format fmt, const struct metrics_target *t, size_t n)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		put_family(f, fmt, &table[i], t, n);
	if (fmt == METRICS_OPENMETRICS)
		fputs("# EOF\n", f);
	return ferror(f) ? -EIO : 0;
}
