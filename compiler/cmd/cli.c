#include "compiler/cmd/cli.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stddef.h>

#include "acl/ports.h"
#include "bpf/netacl-api.h"
#include "compiler/diag.h"

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("netacl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\n", usage);
	return EX_USAGE;
}

static int parse_uint(const char *s, unsigned long max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

enum {
	L_HOSTS = 256, L_OFFLINE, L_RESOLVER, L_TIMEOUT, L_MAXADDRS, L_STRICT, L_PROTO, L_CGROUP, L_AUDIT, L_ALL, L_JSON,
	L_WATCH, L_MIN_INTERVAL, L_MAX_INTERVAL, L_KEEP_FD,
	L_DNS_MIN_TTL, L_DNS_MAX_TTL, L_DNS_GRACE, L_DNS_PER_NAME, L_DNS_TOTAL,
	L_DIGEST, L_EXPECT, L_FORMAT, L_JUNIT, L_BIND,
};

static const struct {
	struct option o;
	unsigned needs;
} table[] = {
	{ { "output", required_argument, NULL, 'o' }, OPT_OUTPUT },
	{ { "target", required_argument, NULL, 't' }, OPT_TARGET },
	{ { "hosts-file", required_argument, NULL, L_HOSTS }, OPT_RESOLVE },
	{ { "offline", no_argument, NULL, L_OFFLINE }, OPT_RESOLVE },
	{ { "resolver", required_argument, NULL, L_RESOLVER }, OPT_RESOLVE },
	{ { "timeout", required_argument, NULL, L_TIMEOUT }, OPT_RESOLVE },
	{ { "max-addrs", required_argument, NULL, L_MAXADDRS }, OPT_RESOLVE },
	{ { "strict", no_argument, NULL, L_STRICT }, OPT_RESOLVE },
	{ { "proto", required_argument, NULL, L_PROTO }, OPT_PROTO },
	{ { "cgroup", required_argument, NULL, L_CGROUP }, OPT_CGROUP },
	{ { "audit", no_argument, NULL, L_AUDIT }, OPT_AUDIT },
	{ { "all", no_argument, NULL, L_ALL }, OPT_ALL },
	{ { "json", no_argument, NULL, L_JSON }, OPT_JSON },
	{ { "watch", no_argument, NULL, L_WATCH }, OPT_WATCH },
	{ { "min-interval", required_argument, NULL, L_MIN_INTERVAL }, OPT_WATCH },
	{ { "max-interval", required_argument, NULL, L_MAX_INTERVAL }, OPT_WATCH },
	{ { "keep-fd", required_argument, NULL, L_KEEP_FD }, OPT_KEEP_FD },
	{ { "dns-min-ttl", required_argument, NULL, L_DNS_MIN_TTL }, OPT_DNS },
	{ { "dns-max-ttl", required_argument, NULL, L_DNS_MAX_TTL }, OPT_DNS },
	{ { "dns-grace", required_argument, NULL, L_DNS_GRACE }, OPT_DNS },
	{ { "dns-max-per-name", required_argument, NULL, L_DNS_PER_NAME }, OPT_DNS },
	{ { "dns-max-total", required_argument, NULL, L_DNS_TOTAL }, OPT_DNS },
	{ { "digest", no_argument, NULL, L_DIGEST }, OPT_DIGEST },
	{ { "expect-digest", required_argument, NULL, L_EXPECT }, OPT_EXPECT },
	{ { "format", required_argument, NULL, L_FORMAT }, OPT_FORMAT },
	{ { "junit", required_argument, NULL, L_JUNIT }, OPT_JUNIT },
	{ { "bind", no_argument, NULL, L_BIND }, OPT_BIND },
};

/* The --dns-* options: which field, its bounds. */
static const struct {
	int opt;
	const char *name, *unit;
	size_t off;
	unsigned lo, hi;
} dns_opts[] = {
	{ L_DNS_MIN_TTL, "dns-min-ttl", "seconds", offsetof(struct cli_dns, min_ttl), 0, 604800 },
	{ L_DNS_MAX_TTL, "dns-max-ttl", "seconds", offsetof(struct cli_dns, max_ttl), 0, 604800 },
	{ L_DNS_GRACE, "dns-grace", "seconds", offsetof(struct cli_dns, grace), 0, 3600 },
	{ L_DNS_PER_NAME, "dns-max-per-name", "addresses", offsetof(struct cli_dns, per_name), 1,
	  4096 },
	{ L_DNS_TOTAL, "dns-max-total", "addresses", offsetof(struct cli_dns, total), 1,
	  NETACL_ADMIT_MAX },
};

static int take_dns(int opt, const char *arg, const char *usage, struct cli *c)
{
	for (size_t i = 0; i < sizeof(dns_opts) / sizeof(dns_opts[0]); i++) {
		unsigned *v = (unsigned *)((char *)&c->dns + dns_opts[i].off);

		if (dns_opts[i].opt != opt)
			continue;
		if (parse_uint(arg, dns_opts[i].hi, v) || *v < dns_opts[i].lo)
			return cli_usage_error(usage, "--%s takes %s (%u-%u), not '%s'",
					       dns_opts[i].name, dns_opts[i].unit, dns_opts[i].lo,
					       dns_opts[i].hi, arg);
		return 0;
	}
	return cli_usage_error(usage, "unexpected option");
}

#define NOPTS (sizeof(table) / sizeof(table[0]))

static int take(int opt, const char *arg, const char *usage, struct cli *c)
{
	struct resolve_opts *ro = &c->ro;

	switch (opt) {
	case 'o':
		c->output = arg;
		return 0;
	case 't':
		if (c->ntargets == CLI_MAX_TARGETS)
			return cli_usage_error(usage, "too many --target options");
		c->targets[c->ntargets++] = arg;
		return 0;
	case L_HOSTS:
		if (ro->nhosts_files == 64)
			return cli_usage_error(usage, "too many --hosts-file options");
		c->hosts_files[ro->nhosts_files++] = arg;
		return 0;
	case L_OFFLINE:
		ro->offline = true;
		return 0;
	case L_RESOLVER:
		if (ro->nresolvers == 16)
			return cli_usage_error(usage, "too many --resolver options");
		c->resolvers[ro->nresolvers++] = arg;
		return 0;
	case L_TIMEOUT:
		if (parse_uint(arg, 3600000, &ro->timeout_ms) || ro->timeout_ms == 0)
			return cli_usage_error(usage, "--timeout takes milliseconds (1-3600000), not '%s'", arg);
		return 0;
	case L_MAXADDRS:
		if (parse_uint(arg, 1000000, &ro->max_addrs) || ro->max_addrs == 0)
			return cli_usage_error(usage, "--max-addrs takes a count (1-1000000), not '%s'", arg);
		return 0;
	case L_STRICT:
		ro->strict = true;
		return 0;
	case L_PROTO:
		c->proto = acl_proto_parse(arg);
		if (c->proto != ACL_TCP && c->proto != ACL_UDP)
			return cli_usage_error(usage, "--proto takes tcp or udp, not '%s'", arg);
		return 0;
	case L_CGROUP:
		c->cgroup = arg;
		return 0;
	case L_AUDIT:
		c->audit = true;
		return 0;
	case L_ALL:
		c->all = true;
		return 0;
	case L_JSON:
		c->json = true;
		return 0;
	case L_WATCH:
		c->watch = true;
		return 0;
	case L_DIGEST:
		c->digest = true;
		return 0;
	case L_EXPECT:
		c->expect_digest = arg;
		return 0;
	case L_FORMAT:
		c->format = arg;
		return 0;
	case L_JUNIT:
		c->junit = arg;
		return 0;
	case L_BIND:
		c->bind = true;
		return 0;
	case L_KEEP_FD: {
		unsigned fd;

		if (parse_uint(arg, 1u << 20, &fd) || fd < 3)
			return cli_usage_error(usage, "--keep-fd takes a descriptor number above 2, "
					       "not '%s'", arg);
		if (c->nkeep_fds == CLI_MAX_KEEP_FDS)
			return cli_usage_error(usage, "too many --keep-fd options");
		c->keep_fds[c->nkeep_fds++] = (int)fd;
		return 0;
	}
	case L_DNS_MIN_TTL:
	case L_DNS_MAX_TTL:
	case L_DNS_GRACE:
	case L_DNS_PER_NAME:
	case L_DNS_TOTAL:
		return take_dns(opt, arg, usage, c);
	case L_MIN_INTERVAL:
	case L_MAX_INTERVAL: {
		bool min = opt == L_MIN_INTERVAL;
		unsigned *v = min ? &c->min_interval : &c->max_interval;

		if (parse_uint(arg, 86400, v) || *v == 0)
			return cli_usage_error(usage, "--%s takes seconds (1-86400), not '%s'",
					       min ? "min-interval" : "max-interval", arg);
		return 0;
	}
	}
	return cli_usage_error(usage, "unexpected option");
}

/* VERB --help: its usage on stdout, and exit 0. */
static void verb_help(const char *usage, unsigned allowed, struct cli *c)
{
	printf("usage: %s\n", usage);
	if (allowed & OPT_RESOLVE)
		printf("\nresolution options:\n"
		       "  --hosts-file FILE   answers from a hosts file, before DNS (repeatable)\n"
		       "  --offline           no DNS: hosts files only\n"
		       "  --resolver IP[:PORT] the DNS server to ask (repeatable)\n"
		       "  --timeout MS        per query (default 5000)\n"
		       "  --max-addrs N       addresses kept per name (default 256)\n"
		       "  --strict            a name that does not resolve is an error (exit 68)\n");
	if (allowed & OPT_DNS)
		printf("\nlive DNS options (dns: admit):\n"
		       "  --dns-min-ttl S     admit answered addresses at least this long (default 60)\n"
		       "  --dns-max-ttl S     and at most this long (default 86400)\n"
		       "  --dns-grace S       and this much after (default 10)\n"
		       "  --dns-max-per-name N  addresses kept per name (default 64)\n"
		       "  --dns-max-total N   addresses kept in all (default 16384)\n");
	printf("\nSee netacl(8).\n");
	free(c->args);
	exit(0);
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_parse(int argc, char **argv, unsigned allowed, const char *usage, struct cli *c)
{
	struct option longs[NOPTS + 1];
	char shorts[8] = "+";
	size_t n = 0;
	int dashdash = -1, opt;

	memset(c, 0, sizeof(*c));
	resolve_opts_init(&c->ro);
	c->ro.hosts_files = c->hosts_files;
	c->ro.resolvers = c->resolvers;
	c->ro.progress = isatty(STDERR_FILENO);
	c->min_interval = 5;
	c->max_interval = 300;
	c->dns = (struct cli_dns){ .min_ttl = 60, .max_ttl = 86400, .grace = 10,
				   .per_name = 64, .total = 16384 };
	for (size_t i = 0; i < NOPTS; i++)
		if (table[i].needs & allowed)
			longs[n++] = table[i].o;
	memset(&longs[n], 0, sizeof(longs[n]));
	if (allowed & OPT_OUTPUT)
		strcat(shorts, "o:");
	if (allowed & OPT_TARGET)
		strcat(shorts, "t:");
	/* everything after "--" is a command (for run), never an option */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashdash = i;
			break;
		}
	if (dashdash >= 0) {
		c->cmd = argv + dashdash + 1;
		c->ncmd = argc - dashdash - 1;
		argc = dashdash;
	}
	c->args = calloc((size_t)argc + 1, sizeof(char *));
	if (!c->args)
		abort();
	for (int i = 1; i < argc; i++)
		if (is_help(argv[i]))
			verb_help(usage, allowed, c);
	optind = 1;
	opterr = 0;
	/* "+": stop at the first positional; collect it and go on, so
	 * options may come before or after positionals, as users expect */
	while (optind < argc) {
		opt = getopt_long(argc, argv, shorts, longs, NULL);
		if (opt == -1) {
			c->args[c->nargs++] = argv[optind++];
			continue;
		}
		if (opt == '?' || opt == ':') {
			if (optopt)
				return cli_usage_error(usage, "option -%c is unknown or needs a value", optopt);
			return cli_usage_error(usage, "unknown option or missing value: %s",
					       argv[optind - 1]);
		}
		if (take(opt, optarg, usage, c))
			return EX_USAGE;
	}
	if (c->dns.min_ttl > c->dns.max_ttl)
		return cli_usage_error(usage, "--dns-min-ttl is above --dns-max-ttl");
	return 0;
}

int cli_one_target(const struct cli *c, const char *usage)
{
	if (c->ntargets != 1)
		return cli_usage_error(usage, "give exactly one --target NAME");
	return 0;
}

bool cli_names(const char *name, const char *loaded)
{
	size_t n = strlen(name);

	return strncmp(loaded, name, n) == 0 && (!loaded[n] || loaded[n] == '@');
}

bool cli_wants(const struct cli *c, const char *loaded)
{
	for (size_t i = 0; i < c->ntargets; i++)
		if (cli_names(c->targets[i], loaded))
			return true;
	return !c->ntargets;
}

int cli_write_output(const char *path, const char *text)
{
	char *dir, tmp[4096], real[PATH_MAX];
	size_t len = strlen(text);
	struct stat st;
	bool exists;
	FILE *f;
	int fd;

	if (!path || strcmp(path, "-") == 0) {
		if (fwrite(text, 1, len, stdout) != len || fputc('\n', stdout) == EOF ||
		    fflush(stdout)) {
			die_msg("cannot write output: %s", strerror(errno));
			return EX_CANTCREAT;
		}
		return 0;
	}
	{
		struct stat st;

		/* a device or a pipe (/dev/null, /dev/stdout): write in place;
		 * renaming over it is neither possible nor wanted */
		if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
			f = fopen(path, "w");
			if (!f || fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF ||
			    fclose(f)) {
				die_msg("cannot write %s: %s", path, strerror(errno));
				return EX_CANTCREAT;
			}
			return 0;
		}
	}
	/* a symlink: write the file it points to (rename would replace the
	 * link itself); one that points nowhere is refused */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		if (!realpath(path, real)) {
			die_msg("cannot write %s: a symbolic link to nothing (%s)", path,
				strerror(errno));
			return EX_CANTCREAT;
		}
		path = real;
	}
	exists = stat(path, &st) == 0;
	snprintf(tmp, sizeof(tmp), "%s", path);
	dir = dirname(tmp);
	snprintf(tmp, sizeof(tmp), "%s/.netacl-XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		die_msg("cannot write %s: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	if (exists) {
		fchmod(fd, st.st_mode & 07777); /* replacing a file keeps its mode */
	} else {
		mode_t mask = umask(0);

		umask(mask);
		fchmod(fd, 0666 & ~mask); /* as a plain open() would create it */
	}
	f = fdopen(fd, "w");
	if (!f || fwrite(text, 1, len, f) != len || fputc('\n', f) == EOF || fflush(f) ||
	    fsync(fd) || fclose(f) || rename(tmp, path)) {
		die_msg("cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		return EX_CANTCREAT;
	}
	return 0;
}
