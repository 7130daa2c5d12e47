/* Reading the verdict events of every loaded target (or of those a
 * filter wants), following targets as they are loaded and unloaded. */
#ifndef NETACL_EVENTS_H
#define NETACL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/netacl-api.h"

struct events;
/* Whether to read the target so named. */
typedef bool events_want_fn(const char *target, void *arg);
/* One event of target; real_ns is its CLOCK_REALTIME time. */
typedef void events_fn(const char *target, const struct netacl_event *e, int64_t real_ns,
		       void *arg);

/* One thing a target's live-DNS forwarder did. */
typedef void events_dns_fn(const char *target, const struct netacl_dnsev *e, int64_t real_ns,
			   void *arg);

/* Start reading: every target want() accepts, now and as they come.  0,
 * or an exit status after saying why. */
int events_open(events_want_fn *want, events_fn *fn, events_dns_fn *dns, void *arg,
		struct events **out);
/* How many targets are being read. */
size_t events_targets(const struct events *ev);
/* Wait up to timeout_ms for events or loads and unloads, and handle what
 * came: fn() is called per event.  0, or -errno if reading failed. */
int events_step(struct events *ev, int timeout_ms);
/* Stop reading (clearing the listen maps we set); the events lost in
 * the rings while we read them. */
uint64_t events_close(struct events *ev);

/* Clear the listen map of a target no trace reads (one killed with
 * SIGKILL left it set: allowed verdicts would fill the ring, and
 * denials would be lost).  Loads, refreshes and status call this. */
struct pinned;
void events_clear_stale(const struct pinned *p);

#endif
