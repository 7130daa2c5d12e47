#include "compiler/cmd/dnsserve.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "bpf/admit.h"
#include "bpf/pins.h"
#include "compiler/admit/forward.h"
#include "compiler/clock.h"
#include "compiler/diag.h"

struct dns_serve {
	struct pinned p;
	struct fwd *f;
	int stop;
	pthread_t thread;
};

static int put(void *arg, int family, acl_u128 v, uint64_t expires_ms,
	       const struct acl_ports *tcp, const struct acl_ports *udp, const char *name)
{
	return admit_put(arg, family, v, expires_ms * 1000000, tcp, udp, name);
}

static int del(void *arg, int family, acl_u128 v)
{
	return admit_del(arg, family, v);
}

static void event(void *arg, int what, const char *name, unsigned qtype, int family,
		  acl_u128 v, uint32_t ttl, int row)
{
	struct netacl_dnsev e = { .ttl = ttl, .qtype = (uint16_t)qtype, .what = (uint8_t)what,
				  .family = family == ACL_V4 ? 4 : family == ACL_V6 ? 6 : 0,
				  .row = row < 0 ? 255 : (uint8_t)row, .ktime_ns = clock_ns() };

	if (e.family)
		acl_addr_to_bytes(v, e.addr, e.family == 4 ? 4 : 16);
	snprintf(e.name, sizeof(e.name), "%s", name);
	admit_event(arg, &e);
}

static void *serve(void *arg)
{
	struct dns_serve *s = arg;

	fwd_run(s->f, s->stop);
	return NULL;
}

int dns_serve_start(const char *name, const struct m_target *t, const struct resolve_opts *ro,
		    const struct cli_dns *lim, struct dns_serve **out)
{
	struct dns_serve *s = calloc(1, sizeof(*s));
	struct fwd_opts o = {
		.t = t, .ro = ro,
		.ttl = { .min = lim->min_ttl, .max = lim->max_ttl, .grace = lim->grace },
		.per_name = lim->per_name, .total = lim->total, .inflight = 256,
		.log = stderr,
	};
	struct fwd_sink sink = { put, del, event, &s->p };
	uint16_t port4, port6;
	int rc, err;

	if (!s)
		abort();
	s->stop = -1;
	err = pinned_open(name, &s->p);
	if (err) {
		die_msg("cannot open %s to serve its DNS: %s", name, strerror(-err));
		free(s);
		return EX_SOFTWARE;
	}
	rc = fwd_open(&o, &sink, &s->f, &port4, &port6);
	if (!rc) {
		s->stop = eventfd(0, EFD_CLOEXEC);
		if (s->stop < 0 || (err = admit_serve(&s->p, port4, port6, (uint32_t)getpid()))) {
			die_msg("cannot serve the DNS of %s: %s", name,
				strerror(s->stop < 0 ? errno : -err));
			rc = EX_SOFTWARE;
		}
	}
	if (!rc && (err = pthread_create(&s->thread, NULL, serve, s))) {
		die_msg("cannot start the DNS forwarder: %s", strerror(err));
		admit_serve(&s->p, 0, 0, 0);
		rc = EX_OSERR;
	}
	if (rc) {
		fwd_close(s->f);
		if (s->stop >= 0)
			close(s->stop);
		pinned_close(&s->p);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void dns_serve_stop(struct dns_serve *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	admit_serve(&s->p, 0, 0, 0); /* refused from now on, not sent nowhere */
	(void)!write(s->stop, &one, sizeof(one));
	pthread_join(s->thread, NULL);
	fwd_close(s->f);
	close(s->stop);
	pinned_close(&s->p);
	free(s);
}
