/* netacl trace [--target NAME]... [--json]: stream verdict events.
 *
 * Every loaded target has a ring buffer (bpf/netacl-api.h, struct
 * netacl_event).  We read all of them with one libbpf ring_buffer, and
 * watch the pin directories with inotify, so a trace started before
 * `netacl run` picks the run's target up as soon as its maps are pinned,
 * before the command starts.  Events older than the trace (left in a
 * ring nobody was reading) are skipped.  A ring has one consumer
 * position: two readers would split the events between them, so a
 * trace holds a flock on each target directory it reads. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf/pins.h"
#include "bpf/sys.h"
#include "compiler/cli.h"
#include "compiler/diag.h"

static const char usage[] = "netacl trace [--target NAME]... [--json]";

/* One target whose ring we read. */
struct watched {
	struct pinned p;
	int lock;          /* the target directory, flocked; -1: another trace has it */
	uint32_t id;       /* of its events map: a reload under the same name is the same ring */
	uint64_t lost0;    /* events_lost when we started reading */
	bool seen;         /* still loaded at the last scan */
	struct trace *tr;
};

struct trace {
	const struct cli *c;
	struct ring_buffer *rb;
	struct watched **w;
	size_t n;
	int inotify;
	uint64_t lost;     /* events lost in rings we stopped reading */
	uint64_t since;    /* CLOCK_MONOTONIC ns: older events are stale */
	int64_t to_real;   /* add to a ktime to get CLOCK_REALTIME ns */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *verdict_name(uint8_t v)
{
	return v == NETACL_V_ALLOW ? "allow" : v == NETACL_V_DENY ? "deny" : "audit";
}

static const char *proto_name(uint8_t p, char buf[16])
{
	if (p == IPPROTO_TCP)
		return "tcp";
	if (p == IPPROTO_UDP)
		return "udp";
	snprintf(buf, 16, "proto-%u", p);
	return buf;
}

/* "time" as local HH:MM:SS.micro (text, like tcpdump) or RFC 3339 UTC (JSON). */
static void format_time(int64_t real_ns, bool utc, char out[48])
{
	time_t s = (time_t)(real_ns / 1000000000);
	struct tm tm;
	char base[32];

	strftime(base, sizeof(base), utc ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S",
		 utc ? gmtime_r(&s, &tm) : localtime_r(&s, &tm));
	snprintf(out, 48, "%s.%06d%s", base, (int)(real_ns % 1000000000 / 1000), utc ? "Z" : "");
}

/* A JSON string of printable ASCII: only '"' and '\\' need escaping. */
static void json_string_out(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct watched *w = ctx;
	const struct netacl_event *e = data;
	char when[48], addr[INET6_ADDRSTRLEN], where[INET6_ADDRSTRLEN + 16], comm[17], pb[16];
	const char *proto;

	if (size < sizeof(*e) || e->ktime_ns < w->tr->since)
		return 0;
	inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, addr, sizeof(addr));
	memcpy(comm, e->comm, 16);
	comm[16] = 0;
	for (char *c = comm; *c; c++) /* a process names itself: keep lines and JSON sane */
		if (*c < 0x20 || *c > 0x7e)
			*c = '?';
	proto = proto_name(e->proto, pb);
	if (w->tr->c->json) {
		/* printf, not a jansson object per event: twice the events a
		 * second, and every string here is printable ASCII already */
		format_time((int64_t)e->ktime_ns + w->tr->to_real, true, when);
		printf("{\"time\":\"%s\",\"target\":", when);
		json_string_out(w->p.meta.target);
		printf(",\"pid\":%u,\"comm\":", e->pid);
		json_string_out(comm);
		printf(",\"proto\":\"%s\",\"address\":\"%s\",\"port\":%u,\"verdict\":\"%s\","
		       "\"cgroup_id\":%llu}\n", proto, addr, e->port, verdict_name(e->verdict),
		       (unsigned long long)e->cgroup_id);
		return 0;
	}
	format_time((int64_t)e->ktime_ns + w->tr->to_real, false, when);
	snprintf(where, sizeof(where), e->family == 4 ? "%s:%u" : "[%s]:%u", addr, e->port);
	printf("%s %-16s %7u %-16s %-4s %-22s %s\n", when, w->p.meta.target, e->pid, comm, proto,
	       where, verdict_name(e->verdict));
	return 0;
}

static uint64_t lost(const struct pinned *p)
{
	uint64_t n[NETACL_NCOUNTERS];

	pinned_counters(p, n);
	return n[NETACL_CNT_LOST];
}

/* Ask the programs for allowed verdicts too (bpf/netacl-api.h). */
static void set_listen(const struct watched *w, uint32_t on)
{
	uint32_t zero = 0;

	bpf_map_update_elem(w->p.fd[PIN_LISTEN], &zero, &on, BPF_ANY);
}

static int ring_add(struct trace *tr, struct watched *w)
{
	if (tr->rb)
		return ring_buffer__add(tr->rb, w->p.fd[PIN_EVENTS], on_event, w);
	tr->rb = ring_buffer__new(w->p.fd[PIN_EVENTS], on_event, w, NULL);
	return tr->rb ? 0 : -errno;
}

/* Start reading the target in dir unless we do already (then mark it seen). */
static int watch_dir(const char *dir, void *arg)
{
	struct trace *tr = arg;
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	struct watched *w = calloc(1, sizeof(*w));

	if (!w)
		abort();
	w->lock = -1;
	inotify_add_watch(tr->inotify, dir, IN_CREATE); /* its pins, as they come */
	/* a target half loaded or unloaded under us: look again next time */
	if (pinned_open_dir(dir, &w->p)) {
		free(w);
		return 0;
	}
	if (!cli_wants(tr->c, w->p.meta.target) ||
	    bpf_obj_get_info_by_fd(w->p.fd[PIN_EVENTS], &info, &len))
		goto skip;
	for (size_t i = 0; i < tr->n; i++)
		if (tr->w[i]->id == info.id) {
			tr->w[i]->seen = true;
			goto skip;
		}
	for (int i = 0; i < NPINS; i++)
		if (i != PIN_EVENTS && i != PIN_COUNTERS && i != PIN_LISTEN) {
			close(w->p.fd[i]);
			w->p.fd[i] = -1;
		}
	*w = (struct watched){ .p = w->p, .id = info.id, .tr = tr, .seen = true,
			       .lost0 = lost(&w->p) };
	w->lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->lock >= 0 && flock(w->lock, LOCK_EX | LOCK_NB)) {
		diag_warning(w->p.meta.target, 0, 0,
			     "another trace is reading its events; not followed here");
		close(w->lock);
		w->lock = -1; /* kept, so we do not say it again */
	} else {
		int err = ring_add(tr, w);
		if (err) {
			diag_warning(dir, 0, 0, "cannot read its events: %s", strerror(-err));
			goto skip;
		}
		set_listen(w, 1);
	}
	tr->w = acl_xrealloc(tr->w, (tr->n + 1) * sizeof(*tr->w));
	tr->w[tr->n++] = w;
	return 0;
skip:
	if (w->lock >= 0)
		close(w->lock);
	pinned_close(&w->p);
	free(w);
	return 0;
}

static void forget(struct watched *w, uint64_t *lost_total)
{
	if (w->lock >= 0) {
		set_listen(w, 0);
		*lost_total += lost(&w->p) - w->lost0;
		close(w->lock);
	}
	pinned_close(&w->p);
	free(w);
}

/* Follow new targets; drop unloaded ones.  libbpf cannot take a ring
 * out of a ring_buffer, so losing one rebuilds it from the rest. */
static void rescan(struct trace *tr)
{
	size_t kept = 0;

	for (size_t i = 0; i < tr->n; i++)
		tr->w[i]->seen = false;
	pinned_each(watch_dir, tr);
	for (size_t i = 0; i < tr->n; i++)
		kept += tr->w[i]->seen;
	if (kept == tr->n)
		return;
	if (tr->rb)
		ring_buffer__consume(tr->rb);
	ring_buffer__free(tr->rb);
	tr->rb = NULL;
	kept = 0;
	for (size_t i = 0; i < tr->n; i++) {
		struct watched *w = tr->w[i];

		if (!w->seen || (w->lock >= 0 && ring_add(tr, w)))
			forget(w, &tr->lost);
		else
			tr->w[kept++] = w;
	}
	tr->n = kept;
}

static void finish(struct trace *tr)
{
	uint64_t n = tr->lost;

	for (size_t i = 0; i < tr->n; i++)
		forget(tr->w[i], &n);
	if (n)
		fprintf(stderr, "netacl: %llu events lost (the ring buffer was full)\n",
			(unsigned long long)n);
	ring_buffer__free(tr->rb);
	free(tr->w);
	close(tr->inotify);
}

/* Wait up to a second for events or a change among the pins, and handle
 * what came.  Negative errno if reading the rings failed. */
static int step(struct trace *tr)
{
	struct pollfd fds[2] = {
		{ .fd = tr->inotify, .events = POLLIN },
		{ .fd = tr->rb ? ring_buffer__epoll_fd(tr->rb) : -1, .events = POLLIN },
	};
	char buf[4096];
	int n = poll(fds, 2, 1000), err = 0;

	if (n < 0)
		return 0; /* EINTR: the caller looks at stop */
	if (fds[1].revents)
		err = ring_buffer__consume(tr->rb);
	fflush(stdout);
	if (fds[0].revents) {
		while (read(tr->inotify, buf, sizeof(buf)) > 0)
			;
		rescan(tr);
	}
	return err < 0 ? err : 0;
}

static int trace(const struct cli *c)
{
	struct trace tr = { .c = c };
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: poll returns */
	int rc = sys_check_privileges();

	if (!rc)
		rc = sys_bpffs();
	if (rc)
		return rc;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rc = sys_pin_root_create();
	if (rc)
		return rc;
	tr.inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (tr.inotify < 0 || inotify_add_watch(tr.inotify, sys_pin_root(), IN_CREATE | IN_DELETE) < 0) {
		die_msg("cannot watch %s: %s", sys_pin_root(), strerror(errno));
		return EX_UNAVAILABLE;
	}
	tr.since = (uint64_t)now_ns(CLOCK_MONOTONIC);
	tr.to_real = now_ns(CLOCK_REALTIME) - (int64_t)tr.since;
	rescan(&tr);
	if (!tr.n)
		fprintf(stderr, "netacl: no %s loaded yet; waiting\n",
			c->ntargets ? "such target" : "target");
	if (!c->json && isatty(STDOUT_FILENO))
		printf("%-15s %-16s %7s %-16s %-4s %-22s %s\n", "TIME", "TARGET", "PID", "COMM",
		       "PROTO", "ADDRESS", "VERDICT");
	while (!stop) {
		int err = step(&tr);

		if (err) {
			rc = sys_bpf_error(-err, EX_SOFTWARE, "cannot read events");
			break;
		}
	}
	finish(&tr);
	return rc;
}

int cmd_trace(int argc, char **argv)
{
	struct cli c;
	int rc = cli_parse(argc, argv, OPT_TARGET | OPT_JSON, usage, &c);

	if (!rc && c.nargs)
		rc = cli_usage_error(usage, "trace takes no arguments");
	if (!rc)
		rc = trace(&c);
	free(c.args);
	return rc;
}
