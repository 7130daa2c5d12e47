/* DNS with c-ares 1.18: every name of a run at once.
 *
 * One channel; c-ares tells us which sockets to watch (SOCK_STATE_CB) and
 * an epoll loop hands readiness back with ares_process_fd.  A bounded
 * window of queries is in flight; a deadline bounds the whole run, after
 * which everything still pending is cancelled and reported as "timeout". */
#define _GNU_SOURCE
#include <ares.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "acl/host.h"
#include "acl/set.h"
#include "compiler/clock.h"
#include "compiler/diag.h"
#include "compiler/resolve/dns.h"

#define WINDOW 4096      /* queries in flight */
#define TICK_MS 50       /* the loop wakes at least this often */
#define MAX_RECORDS 4096 /* a 64 KiB TCP answer holds fewer */

struct dns_run {
	ares_channel ch;
	int ep;
	const struct resolve_opts *o;
	struct resolution *out;
	const size_t *idx;
	size_t nidx;
	size_t launched;  /* queries started: name k gets queries 2k and 2k+1 */
	size_t inflight;
	size_t names_done;
	size_t failed;
	unsigned char *pending; /* per name: queries outstanding */
	/* a parse buffer, once per run: every answer is parsed into it */
	struct dns_addr *addrs;
	bool stopping;
};

struct qarg {
	struct dns_run *run;
	size_t k; /* index into idx[] */
	int family;
};

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct dns_run *r = data;
	struct epoll_event ev = { .events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u),
				  .data.fd = fd };

	if (!readable && !writable) {
		epoll_ctl(r->ep, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	if (epoll_ctl(r->ep, EPOLL_CTL_MOD, fd, &ev) && errno == ENOENT)
		epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
}

static const char *status_name(int status)
{
	switch (status) {
	case ARES_ENOTFOUND:
		return "NXDOMAIN";
	case ARES_ENODATA:
		return "NODATA";
	case ARES_ESERVFAIL:
		return "SERVFAIL";
	case ARES_EREFUSED:
		return "REFUSED";
	case ARES_ETIMEOUT:
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return "timeout";
	case ARES_ECONNREFUSED:
		return "connection refused";
	case ARES_EFORMERR:
		return "FORMERR";
	case ARES_ENOTIMP:
		return "NOTIMP";
	case ARES_EBADRESP:
		return "bad response";
	default:
		return "DNS error";
	}
}

/* When both families failed: the most telling of the two reasons. */
static const char *combine(const char *e4, const char *e6)
{
	static const char *const order[] = { "NXDOMAIN", "CNAME loop or chain too long",
					     "SERVFAIL", "REFUSED", "connection refused",
					     "timeout", "bad response", "FORMERR", "NOTIMP",
					     "DNS error", "NODATA" };

	for (size_t i = 0; i < sizeof(order) / sizeof(*order); i++)
		if ((e4 && strcmp(e4, order[i]) == 0) || (e6 && strcmp(e6, order[i]) == 0))
			return order[i];
	return e4 ? e4 : e6 ? e6 : "NODATA";
}

int dns_parse_addrs(const unsigned char *abuf, int alen, int family, struct dns_addr *out,
		    int max, int *n)
{
	size_t one = family == ACL_V4 ? sizeof(struct ares_addrttl) : sizeof(struct ares_addr6ttl);
	void *t = malloc((size_t)(max > 0 ? max : 1) * one);
	int st;

	if (!t)
		abort();
	*n = max;
	if (family == ACL_V4) {
		struct ares_addrttl *a = t;

		st = ares_parse_a_reply(abuf, alen, NULL, a, n);
		for (int i = 0; st == ARES_SUCCESS && i < *n; i++)
			out[i] = (struct dns_addr){ ACL_V4, ntohl(a[i].ipaddr.s_addr),
						    a[i].ttl < 0 ? 0 : (uint32_t)a[i].ttl };
	} else {
		struct ares_addr6ttl *a = t;

		st = ares_parse_aaaa_reply(abuf, alen, NULL, a, n);
		for (int i = 0; st == ARES_SUCCESS && i < *n; i++)
			out[i] = (struct dns_addr){ ACL_V6,
						    acl_addr_from_bytes(a[i].ip6addr._S6_un._S6_u8, 16),
						    a[i].ttl < 0 ? 0 : (uint32_t)a[i].ttl };
	}
	if (st != ARES_SUCCESS)
		*n = 0;
	free(t);
	return st;
}

/* Parse an answer into res; returns an ARES status. */
static int parse(struct dns_run *r, struct resolution *res, int family,
		 const unsigned char *abuf, int alen)
{
	int n, st = dns_parse_addrs(abuf, alen, family, r->addrs, MAX_RECORDS, &n);

	for (int i = 0; i < n; i++)
		resolve_answer_add(res, r->addrs[i].family, r->addrs[i].v, r->addrs[i].ttl);
	if (st == ARES_SUCCESS && n == 0)
		st = ARES_ENODATA;
	return st;
}

static void launch(struct dns_run *r);

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct qarg *q = arg;
	struct dns_run *r = q->run;
	struct resolution *res = &r->out[r->idx[q->k]];
	const char *err = NULL;

	(void)timeouts;
	if (status == ARES_SUCCESS)
		status = parse(r, res, q->family, abuf, alen);
	if (status == ARES_ENODATA && abuf && alen >= 12 && (abuf[6] | abuf[7]))
		err = "CNAME loop or chain too long"; /* answers, but no address */
	else if (status != ARES_SUCCESS)
		err = status_name(status);
	if (q->family == ACL_V4)
		res->err4 = err;
	else
		res->err6 = err;
	r->inflight--;
	if (--r->pending[q->k] == 0) {
		r->names_done++;
		if (res->n == 0) {
			res->error = combine(res->err4, res->err6);
			r->failed++;
		}
	}
	free(q);
	if (!r->stopping)
		launch(r);
}

static void launch(struct dns_run *r)
{
	while (r->inflight < WINDOW && r->launched < 2 * r->nidx) {
		size_t k = r->launched / 2;
		int family = r->launched % 2 ? ACL_V6 : ACL_V4;
		struct qarg *q = malloc(sizeof(*q));
		char fqdn[ACL_NAME_MAX + 2];

		if (!q)
			abort();
		*q = (struct qarg){ r, k, family };
		/* fully qualified: no search-domain expansion */
		snprintf(fqdn, sizeof(fqdn), "%s.", r->out[r->idx[k]].name);
		r->launched++;
		r->inflight++;
		ares_query(r->ch, fqdn, ns_c_in, family == ACL_V4 ? ns_t_a : ns_t_aaaa, on_answer, q);
	}
}

/* A port, all digits, 1-65535. */
static bool port_of(const char *s, unsigned *port)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	*port = (unsigned)v;
	return !*end && v >= 1 && v <= 65535;
}

/* "IP", "IP:PORT", "[IPv6]:PORT" -> c-ares' "host:port" list form. */
static int servers_csv(const struct resolve_opts *o, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < o->nresolvers; i++) {
		const char *s = o->resolvers[i], *colon = strrchr(s, ':');
		char host[64];
		unsigned port = 53;
		struct acl_cidr c;

		if (s[0] == '[') {
			const char *close = strchr(s, ']');

			if (!close || (close[1] && (close[1] != ':' || !port_of(close + 2, &port))))
				goto bad;
			snprintf(host, sizeof(host), "%.*s", (int)(close - s - 1), s + 1);
		} else if (colon && strchr(s, ':') == colon) {
			if (!port_of(colon + 1, &port))
				goto bad;
			snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		} else {
			snprintf(host, sizeof(host), "%s", s);
		}
		if (port < 1 || port > 65535 || strchr(host, '/') ||
		    acl_cidr_parse(host, strlen(host), &c, NULL))
			goto bad;
		n += (size_t)snprintf(buf + n, size - n, "%s%s%s%s:%u", n ? "," : "",
				      c.family == ACL_V6 ? "[" : "", host,
				      c.family == ACL_V6 ? "]" : "", port);
		continue;
bad:
		die_msg("--resolver '%s' is not IP[:PORT] (IPv6 with a port: [IP]:PORT)", s);
		return EX_USAGE;
	}
	return 0;
}

int dns_check_resolvers(const struct resolve_opts *o)
{
	char csv[4096];

	return servers_csv(o, csv, sizeof(csv));
}

int dns_channel(const struct resolve_opts *o, ares_sock_state_cb cb, void *data,
		ares_channel *ch)
{
	struct ares_options opt = { 0 };
	int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
		   ARES_OPT_SOCK_RCVBUF | ARES_OPT_EDNSPSZ;
	char csv[4096];
	int rc;

	if ((rc = servers_csv(o, csv, sizeof(csv))))
		return rc;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		die_msg("cannot initialise c-ares");
		return EX_SOFTWARE;
	}
	opt.sock_state_cb = cb;
	opt.sock_state_cb_data = data;
	/* NOCHECKRESP: SERVFAIL and REFUSED are answers to report, not to
	 * retry forever; EDNS: large answers without a TCP round trip */
	opt.flags = ARES_FLAG_NOCHECKRESP | ARES_FLAG_EDNS;
	opt.ednspsz = 1232;
	opt.timeout = (int)(o->timeout_ms / 3 < 1000 ? (o->timeout_ms / 3 ?: 1) : 1000);
	opt.tries = 3;
	opt.socket_receive_buffer_size = 4 << 20;
	if (ares_init_options(ch, &opt, mask) != ARES_SUCCESS) {
		die_msg("cannot start the DNS resolver");
		return EX_SOFTWARE;
	}
	if (csv[0] && ares_set_servers_ports_csv(*ch, csv) != ARES_SUCCESS) {
		die_msg("cannot use --resolver %s", csv);
		ares_destroy(*ch);
		return EX_USAGE;
	}
	return 0;
}

static int channel_init(struct dns_run *r)
{
	return dns_channel(r->o, sock_state, r, &r->ch);
}

static void progress(const struct dns_run *r, bool final)
{
	if (!r->o->progress)
		return;
	if (final)
		fputs("\r\033[K", stderr);
	else
		fprintf(stderr, "\rnetacl: resolving %zu/%zu names, %zu failed\033[K", r->names_done,
			r->nidx, r->failed);
}

static void run_loop(struct dns_run *r)
{
	long long deadline = (long long)clock_ms() + r->o->timeout_ms, last = 0;
	struct epoll_event evs[64];

	launch(r);
	while (r->names_done < r->nidx) {
		long long now = (long long)clock_ms();
		struct timeval max = { 0, TICK_MS * 1000 }, tv, *tvp;
		int wait, n;

		if (now >= deadline)
			break;
		tvp = ares_timeout(r->ch, &max, &tv);
		wait = (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000);
		if (wait > deadline - now)
			wait = (int)(deadline - now);
		n = epoll_wait(r->ep, evs, 64, wait);
		for (int i = 0; i < n; i++) {
			ares_socket_t fd = evs[i].data.fd;
			bool rd = evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP);

			ares_process_fd(r->ch, rd ? fd : ARES_SOCKET_BAD,
					evs[i].events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
		}
		ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
		if (now - last >= 100) {
			progress(r, false);
			last = now;
		}
	}
	r->stopping = true;
	ares_cancel(r->ch); /* pending callbacks run now, as "timeout" */
	progress(r, true);
}

int dns_resolve(const struct resolve_opts *o, struct resolution *out, const size_t *idx,
		size_t nidx)
{
	struct dns_run r = { .o = o, .out = out, .idx = idx, .nidx = nidx };
	int rc;

	r.ep = epoll_create1(EPOLL_CLOEXEC);
	r.pending = malloc(nidx + 1);
	r.addrs = calloc(MAX_RECORDS, sizeof(*r.addrs));
	if (r.ep < 0 || !r.pending || !r.addrs)
		abort();
	memset(r.pending, 2, nidx);
	rc = channel_init(&r);
	if (!rc) {
		run_loop(&r);
		ares_destroy(r.ch);
	}
	/* names never launched before the deadline */
	for (size_t k = 0; k < nidx; k++)
		if (r.pending[k] && !out[idx[k]].n && !out[idx[k]].error)
			out[idx[k]].error = "timeout";
	free(r.pending);
	free(r.addrs);
	close(r.ep);
	ares_library_cleanup();
	return rc;
}
