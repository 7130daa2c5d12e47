/* Reading verdict events: the userspace half of the events ring and the
 * listen map of bpf/netacl-api.h.
 *
 * Every loaded target has a ring buffer (struct netacl_event).  We read
 * all of them with one libbpf ring_buffer, and watch the pin directories
 * with inotify, so a reader started before `netacl run` picks the run's
 * target up as soon as its maps are pinned, before the command starts.
 * Events older than the reader (left in a ring nobody was reading) are
 * skipped.  A ring has one consumer position: two readers would split the
 * events between them, so a reader holds a flock on each target directory
 * it reads, and sets the target's listen map while it does. */
#include "bpf/events.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "acl/set.h"
#include "bpf/pins.h"
#include "bpf/sys.h"
#include "compiler/diag.h"

/* One target whose ring we read. */
struct watched {
	struct pinned p;
	int lock;          /* the target directory, flocked; -1: another trace has it */
	uint32_t id;       /* of its events map: a reload under the same name is the same ring */
	uint64_t lost0;    /* events_lost when we started reading */
	bool seen;         /* still loaded at the last scan */
	struct events *tr;
};

struct events {
	events_want_fn *want;
	events_fn *fn;
	events_dns_fn *dns;
	void *arg;
	struct ring_buffer *rb;
	struct watched **w;
	size_t n;
	int inotify;
	uint64_t lost;     /* events lost in rings we stopped reading */
	uint64_t since;    /* CLOCK_MONOTONIC ns: older events are stale */
	int64_t to_real;   /* add to a ktime to get CLOCK_REALTIME ns */
};

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct watched *w = ctx;
	const struct netacl_event *e = data;

	if (size < sizeof(*e) || e->ktime_ns < w->tr->since)
		return 0;
	w->tr->fn(w->p.meta.target, e, (int64_t)e->ktime_ns + w->tr->to_real, w->tr->arg);
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

static int ring_add(struct events *tr, struct watched *w)
{
	if (tr->rb)
		return ring_buffer__add(tr->rb, w->p.fd[PIN_EVENTS], on_event, w);
	tr->rb = ring_buffer__new(w->p.fd[PIN_EVENTS], on_event, w, NULL);
	return tr->rb ? 0 : -errno;
}

/* Start reading the target in dir unless we do already (then mark it seen). */
static int watch_dir(const char *dir, void *arg)
{
	struct events *tr = arg;
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
	if (!tr->want(w->p.meta.target, tr->arg) ||
	    bpf_obj_get_info_by_fd(w->p.fd[PIN_EVENTS], &info, &len))
		goto skip;
	for (size_t i = 0; i < tr->n; i++)
		if (tr->w[i]->id == info.id) {
			tr->w[i]->seen = true;
			goto skip;
		}
	for (int i = 0; i < NPINS; i++)
		if (i != PIN_EVENTS && i != PIN_COUNTERS && i != PIN_LISTEN && i != PIN_DNSEV) {
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
static void rescan(struct events *tr)
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

int events_open(events_want_fn *want, events_fn *fn, events_dns_fn *dns, void *arg,
		struct events **out)
{
	struct events *tr = calloc(1, sizeof(*tr));
	int rc = sys_pin_root_create();

	if (!tr)
		abort();
	*tr = (struct events){ .want = want, .fn = fn, .dns = dns, .arg = arg, .inotify = -1 };
	tr->inotify = rc ? -1 : inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (!rc && (tr->inotify < 0 ||
		    inotify_add_watch(tr->inotify, sys_pin_root(), IN_CREATE | IN_DELETE) < 0)) {
		die_msg("cannot watch %s: %s", sys_pin_root(), strerror(errno));
		rc = EX_UNAVAILABLE;
	}
	if (rc) {
		if (tr->inotify >= 0)
			close(tr->inotify);
		free(tr);
		return rc;
	}
	tr->since = (uint64_t)now_ns(CLOCK_MONOTONIC);
	tr->to_real = now_ns(CLOCK_REALTIME) - (int64_t)tr->since;
	rescan(tr);
	*out = tr;
	return 0;
}

size_t events_targets(const struct events *tr)
{
	return tr->n;
}

/* The forwarders' queues have no wakeup: they are read at every step. */
#define DNS_POLL_MS 200

static void drain_dns(struct events *tr)
{
	struct netacl_dnsev e;

	for (size_t i = 0; i < tr->n; i++) {
		struct watched *w = tr->w[i];

		if (w->lock < 0 || w->p.fd[PIN_DNSEV] < 0)
			continue;
		while (bpf_map_lookup_and_delete_elem(w->p.fd[PIN_DNSEV], NULL, &e) == 0)
			if (e.ktime_ns >= tr->since)
				tr->dns(w->p.meta.target, &e, (int64_t)e.ktime_ns + tr->to_real,
					tr->arg);
	}
}

int events_step(struct events *tr, int timeout_ms)
{
	struct pollfd fds[2] = {
		{ .fd = tr->inotify, .events = POLLIN },
		{ .fd = tr->rb ? ring_buffer__epoll_fd(tr->rb) : -1, .events = POLLIN },
	};
	char buf[4096];
	int n = poll(fds, 2, timeout_ms < DNS_POLL_MS ? timeout_ms : DNS_POLL_MS), err = 0;

	if (n < 0)
		return 0; /* EINTR: the caller looks at why */
	if (fds[1].revents)
		err = ring_buffer__consume(tr->rb);
	drain_dns(tr);
	if (fds[0].revents) {
		while (read(tr->inotify, buf, sizeof(buf)) > 0)
			;
		rescan(tr);
	}
	return err < 0 ? err : 0;
}

uint64_t events_close(struct events *tr)
{
	uint64_t n = tr->lost;

	for (size_t i = 0; i < tr->n; i++)
		forget(tr->w[i], &n);
	ring_buffer__free(tr->rb);
	free(tr->w);
	close(tr->inotify);
	free(tr);
	return n;
}

void events_clear_stale(const struct pinned *p)
{
	int lock = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint32_t zero = 0;

	/* the directory is ours to lock: no trace reads this ring */
	if (lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
		bpf_map_update_elem(p->fd[PIN_LISTEN], &zero, &zero, BPF_ANY);
	if (lock >= 0)
		close(lock);
}
