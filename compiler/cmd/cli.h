/* Command-line plumbing shared by the verbs. */
#ifndef NETACL_CLI_H
#define NETACL_CLI_H

#include <stdio.h>
#include <sysexits.h>

#include "compiler/model/build.h"

#define CLI_MAX_TARGETS 256
#define CLI_MAX_KEEP_FDS 64

/* Which options a verb takes. */
enum {
	OPT_OUTPUT = 1 << 0,
	OPT_TARGET = 1 << 1,
	OPT_RESOLVE = 1 << 2,
	OPT_PROTO = 1 << 3,
	OPT_CGROUP = 1 << 4,
	OPT_AUDIT = 1 << 5,
	OPT_ALL = 1 << 6,
	OPT_JSON = 1 << 7,
	OPT_WATCH = 1 << 8,
	OPT_KEEP_FD = 1 << 9,
	OPT_DNS = 1 << 10,   /* live DNS: TTLs and caps of admissions */
	OPT_DIGEST = 1 << 11, /* compile --digest */
	OPT_EXPECT = 1 << 12, /* load, run: --expect-digest */
	OPT_FORMAT = 1 << 13, /* status --format text|json|prometheus */
	OPT_JUNIT = 1 << 14,  /* test --junit FILE */
	OPT_BIND = 1 << 15,   /* explain --bind */
};

/* Admissions of live DNS (netacl(8), LIVE DNS). */
struct cli_dns {
	unsigned min_ttl, max_ttl, grace; /* seconds */
	unsigned per_name, total;         /* addresses */
};

struct cli {
	const char *output;
	const char *targets[CLI_MAX_TARGETS];
	size_t ntargets;
	struct resolve_opts ro;
	const char *hosts_files[64];
	const char *resolvers[16];
	int proto;           /* 0: not given */
	const char *cgroup;  /* --cgroup */
	bool audit, all, json, watch;
	bool bind;           /* explain --bind: the address is a local one to bind */
	unsigned min_interval, max_interval; /* --watch wakes in between, seconds */
	int keep_fds[CLI_MAX_KEEP_FDS]; /* run --keep-fd */
	size_t nkeep_fds;
	struct cli_dns dns;
	bool digest;         /* compile --digest: write OUTPUT.sha256 too */
	const char *expect_digest; /* --expect-digest HEX|FILE */
	const char *format;  /* --format NAME, checked by the verb */
	const char *junit;   /* test --junit FILE */
	int nargs;           /* positional arguments */
	char **args;
	int ncmd;            /* after "--" */
	char **cmd;
};

/* Parse argv[1..] (argv[0] is the verb).  Returns 0 or EX_USAGE after
 * printing the problem and the verb's usage line. */
int cli_parse(int argc, char **argv, unsigned allowed, const char *usage, struct cli *c);
int cli_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write text to path atomically (temporary file + rename), or to stdout
 * when path is NULL or "-".  0 or EX_CANTCREAT. */
int cli_write_output(const char *path, const char *text);


/* The one --target a verb needs, or EX_USAGE. */
int cli_one_target(const struct cli *c, const char *usage);
/* Whether the loaded target `loaded` is `name` or one of its runs,
 * NAME@run-PID; cli_wants: one of c's --target options (all without any). */
bool cli_names(const char *name, const char *loaded);
bool cli_wants(const struct cli *c, const char *loaded);


#endif
