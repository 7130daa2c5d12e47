/* netacl serve (POLICY|JSON) [--target NAME... | --all] [resolution options]
 *              [live DNS options]
 *
 * The live DNS of loaded targets (netacl(8), LIVE DNS): one process, a
 * forwarder thread per dns: admit target that the file names and nobody
 * else serves.  Every 2 seconds it looks again, so targets loaded later
 * are served and unloaded ones let go; SIGHUP reads the file again;
 * SIGINT and SIGTERM stop it, after which the targets' lookups are
 * refused.  run serves its own targets: NAME@run-PID is left alone. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf/admit.h"
#include "bpf/pins.h"
#include "bpf/sys.h"
#include "compiler/cmd/cli.h"
#include "compiler/cmd/dnsserve.h"
#include "compiler/cmd/input.h"
#include "compiler/cmd/verbs.h"
#include "compiler/diag.h"
#include "compiler/exits.h"

static const char usage[] =
	"netacl serve (POLICY|JSON) [--target NAME... | --all] [resolution options]\n"
	"       [live DNS options]";

#define RESCAN_S 2

struct served {
	char name[256];
	struct dns_serve *s;
	bool seen; /* still loaded at the last look */
};

struct server {
	const struct cli *c;
	struct model m;
	size_t n;
	struct served *v;
};

static struct served *find(struct server *sv, const char *name)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i].name, name) == 0)
			return &sv->v[i];
	return NULL;
}

/* One loaded target: serve it if it is ours to serve. */
static int look(const char *dir, void *arg)
{
	struct server *sv = arg;
	struct pinned p;
	struct netacl_dns d;
	struct served *s;
	const struct m_target *t;

	if (pinned_open_dir(dir, &p))
		return 0; /* half loaded or being unloaded */
	s = find(sv, p.meta.target);
	if (s) {
		s->seen = true;
	} else if ((p.conf.flags & NETACL_DNS_ADMIT) && !strstr(p.meta.target, "@run-") &&
		   cli_wants(sv->c, p.meta.target) && (t = model_find(&sv->m, p.meta.target)) &&
		   !admit_served(&p, &d)) {
		sv->v = acl_xrealloc(sv->v, (sv->n + 1) * sizeof(*sv->v));
		s = &sv->v[sv->n];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", p.meta.target);
		if (dns_serve_start(s->name, t, &sv->c->ro, &sv->c->dns, &s->s) == 0) {
			s->seen = true;
			sv->n++;
			fprintf(stderr, "netacl: serving the DNS of %s\n", s->name);
		}
	}
	pinned_close(&p);
	return 0;
}

static void rescan(struct server *sv)
{
	size_t k = 0;

	for (size_t i = 0; i < sv->n; i++)
		sv->v[i].seen = false;
	pinned_each(look, sv);
	for (size_t i = 0; i < sv->n; i++) {
		if (sv->v[i].seen) {
			sv->v[k++] = sv->v[i];
			continue;
		}
		fprintf(stderr, "netacl: %s is gone; no longer serving it\n", sv->v[i].name);
		dns_serve_stop(sv->v[i].s);
	}
	sv->n = k;
}

static void stop_all(struct server *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		dns_serve_stop(sv->v[i].s);
	sv->n = 0;
}

/* The file's rules, no names resolved: the forwarder needs only rules. */
static int read_file(struct server *sv)
{
	struct resolve_opts ro = sv->c->ro;

	ro.offline = true;
	model_free(&sv->m);
	model_init(&sv->m);
	return input_load(sv->c->args[0], &ro, NULL, 0, &sv->m);
}

static int serve(struct server *sv)
{
	sigset_t set;
	siginfo_t info;
	struct timespec every = { RESCAN_S, 0 };
	int rc = read_file(sv);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL); /* before the threads: they inherit it */
	while (!rc) {
		int sig;

		rescan(sv);
		sig = sigtimedwait(&set, &info, &every);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig == SIGHUP) {
			fprintf(stderr, "netacl: reading %s again\n", sv->c->args[0]);
			stop_all(sv);
			rc = read_file(sv);
		}
	}
	stop_all(sv);
	return rc;
}

int cmd_serve(int argc, char **argv)
{
	struct cli c;
	struct server sv = { .c = &c };
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_ALL | OPT_RESOLVE | OPT_DNS, usage, &c);

	if (!rc && c.nargs != 1)
		rc = cli_usage_error(usage, "serve takes one policy or compiled JSON file");
	if (!rc && c.all && c.ntargets)
		rc = cli_usage_error(usage, "give --target NAME... or --all, not both");
	if (!rc)
		rc = sys_check_privileges();
	model_init(&sv.m);
	if (!rc)
		rc = serve(&sv);
	model_free(&sv.m);
	free(sv.v);
	free(c.args);
	return rc;
}
