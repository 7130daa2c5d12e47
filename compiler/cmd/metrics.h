/* status --format prometheus|openmetrics: the loaded targets as metrics
 * for a scraper, in particular node_exporter's textfile collector (which
 * reads the Prometheus text format 0.0.4).  netacl(8), METRICS, lists
 * them.  This file knows the formats, not the kernel: cmd-status.c reads
 * the pins and fills the structures below. */
#ifndef NETACL_METRICS_H
#define NETACL_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What status knows of one loaded target. */
struct metrics_target {
	const char *target, *acl, *cgroup;
	uint64_t allowed, denied, audited, lost; /* the kernel's counters */
	uint32_t entries4, entries6;
	uint64_t loaded_at;     /* seconds since the epoch */
	bool attached;          /* every program attached: enforced, not broken */
	bool audit;             /* audit mode, else enforce */
	bool dns;               /* dns: admit */
	bool dns_served;        /* a forwarder serves it (dns only) */
	uint64_t dns_admitted;  /* addresses admitted now (dns only) */
	bool counts;            /* its programs have limits (not a target loaded by a
				 * netacl before them) */
	int64_t connections;    /* TCP connections counted now (counts, max_conn) */
	uint32_t max_conn;      /* max_connections, 0: none */
	uint32_t max_rate;      /* max_connect_rate a second, 0: none */
	uint64_t capped, rated; /* connects over max_connections, max_connect_rate */
};

enum metrics_format {
	METRICS_PROMETHEUS,  /* text exposition format 0.0.4 */
	METRICS_OPENMETRICS, /* OpenMetrics 1.0 text */
};

/* Write every metric family, each once, with the samples of all n
 * targets (none: only the HELP and TYPE lines).  0 or -errno. */
int metrics_write(FILE *f, enum metrics_format fmt, const struct metrics_target *t, size_t n);

#endif
