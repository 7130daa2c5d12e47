/* The forwarder's event loop: loopback listeners (UDP and TCP, IPv4 and
 * IPv6), c-ares upstream (ARES_OPT_SOCK_STATE_CB + epoll, as resolve/dns.c),
 * a tick that expires admissions.  One thread; every bound is a constant
 * here, so a workload flooding queries meets SERVFAIL, not our memory. */
#define _GNU_SOURCE
#include "compiler/admit/forward.h"

#include "bpf/netacl-api.h" /* NETACL_DNS_*: what trace is told */

#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "acl/special.h"
#include "compiler/admit/cache.h"
#include "compiler/admit/msg.h"
#include "compiler/clock.h"
#include "compiler/diag.h"
#include "compiler/resolve/dns.h"

#define MAX_CONNS 64     /* TCP clients at once; more are closed at accept */
#define MAX_QUERY 4096   /* a longer query is refused (real ones are < 300 bytes) */
#define MAX_ADDRS 512    /* addresses admitted from one answer */
#define MAX_RULES 32     /* rules one name can match that count */
#define IDLE_MS 30000    /* a quiet TCP client is closed */
#define BATCH 64         /* datagrams read per wakeup: the others get a turn */
/* c-ares 1.18 keeps a UDP socket per server for good, so its source port
 * would never change: after CH_QUERIES queries a new channel (new
 * sockets, new ports) takes over, and the old one ends with its answers. */
#define CH_QUERIES 64
#define MAX_CH 8

enum { W_UDP, W_TCP, W_CONN, W_ARES, W_STOP, W_TICK };

struct conn {
	int fd;               /* -1: free */
	uint64_t gen;         /* answers for an earlier client of the slot are dropped */
	uint8_t *in, *out;
	size_t nin, nout, capout;
	uint64_t last_ms;
};

/* Where a reply goes. */
struct dest {
	int udp;              /* UDP: this socket, to peer; else -1 */
	struct sockaddr_storage peer;
	socklen_t plen;
	size_t udp_max;       /* the client's UDP size: larger replies are truncated */
	int conn;             /* TCP: conns[conn], if its gen is still gen */
	uint64_t gen;
};

struct chan {
	ares_channel ch;
	size_t sent, pending;
};

struct pending {
	struct fwd *f;
	struct chan *c;
	struct dest d;
	struct dns_question q;
	size_t nrules, rules[MAX_RULES];
	size_t qlen;
	uint8_t query[MAX_QUERY];
};

struct udp_batch {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct dest d[BATCH];
	uint8_t buf[BATCH][MAX_QUERY + 1];
};

/* UDP replies held until the end of a loop turn, then sent in one call. */
struct reply_batch {
	int n, sock[BATCH];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage peer[BATCH];
	uint8_t buf[BATCH][MAX_QUERY];
};

struct fwd {
	struct fwd_opts o;
	struct fwd_sink s;
	int ep, tick;
	int udp[2], tcp[2];
	struct chan *ch[MAX_CH]; /* the last one is current */
	size_t nch;
	bool stopping;
	size_t inflight;
	struct admit_cache cache;
	struct conn conns[MAX_CONNS];
	uint64_t gens;
	struct dns_addr addrs[MAX_ADDRS];
	uint8_t buf[DNS_MAX_MSG + 2];
	struct udp_batch batch;
	struct reply_batch out;
};

static int watch(struct fwd *f, int op, int fd, unsigned kind, unsigned idx, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)kind << 32 | idx };

	return epoll_ctl(f->ep, op, fd, &ev);
}

/* ---- replies ---- */

static void conn_close(struct fwd *f, int i)
{
	struct conn *c = &f->conns[i];

	epoll_ctl(f->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void conn_flush(struct fwd *f, int i)
{
	struct conn *c = &f->conns[i];

	while (c->nout) {
		/* a client gone away must not SIGPIPE the process: run and
		 * serve host every target's forwarder */
		ssize_t n = send(c->fd, c->out, c->nout, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(f, i);
			return;
		}
		memmove(c->out, c->out + n, c->nout - (size_t)n);
		c->nout -= (size_t)n;
	}
	watch(f, EPOLL_CTL_MOD, c->fd, W_CONN, (unsigned)i, EPOLLIN | (c->nout ? EPOLLOUT : 0u));
}

/* Send the held replies: a run of the same socket per call. */
static void flush_replies(struct fwd *f)
{
	struct reply_batch *b = &f->out;

	for (int i = 0; i < b->n;) {
		int k = i;

		while (k < b->n && b->sock[k] == b->sock[i])
			k++;
		sendmmsg(b->sock[i], b->msg + i, (unsigned)(k - i), MSG_DONTWAIT);
		i = k;
	}
	b->n = 0;
}

static void send_udp(struct fwd *f, const struct dest *d, const uint8_t *msg, size_t len)
{
	struct reply_batch *b = &f->out;
	int i;

	if (len > sizeof(b->buf[0])) {
		sendto(d->udp, msg, len, MSG_DONTWAIT, (const struct sockaddr *)&d->peer, d->plen);
		return;
	}
	if (b->n == BATCH)
		flush_replies(f);
	i = b->n++;
	b->sock[i] = d->udp;
	memcpy(b->buf[i], msg, len);
	memcpy(&b->peer[i], &d->peer, d->plen);
	b->iov[i] = (struct iovec){ b->buf[i], len };
	b->msg[i].msg_hdr = (struct msghdr){ .msg_name = &b->peer[i], .msg_namelen = d->plen,
					     .msg_iov = &b->iov[i], .msg_iovlen = 1 };
}

static void send_reply(struct fwd *f, const struct dest *d, const uint8_t *msg, size_t len)
{
	struct conn *c;

	if (d->udp >= 0) {
		send_udp(f, d, msg, len);
		return;
	}
	c = &f->conns[d->conn];
	if (c->fd < 0 || c->gen != d->gen)
		return; /* the client left */
	if (c->nout + len + 2 > 4 * (DNS_MAX_MSG + 2)) {
		conn_close(f, d->conn); /* it does not read its answers */
		return;
	}
	if (c->nout + len + 2 > c->capout) {
		c->capout = c->nout + len + 2;
		c->out = realloc(c->out, c->capout);
		if (!c->out)
			abort();
	}
	c->out[c->nout] = (uint8_t)(len >> 8);
	c->out[c->nout + 1] = (uint8_t)len;
	memcpy(c->out + c->nout + 2, msg, len);
	c->nout += len + 2;
	conn_flush(f, d->conn);
}

/* A reply of our own: rcode, no answer (tc: truncated, ask over TCP). */
static void refuse(struct fwd *f, const struct dest *d, const uint8_t *query,
		   const struct dns_question *q, int rcode, bool tc)
{
	uint8_t out[DNS_HEADER + ACL_NAME_MAX + 16];
	size_t n = dns_reply(query, q, rcode, out, sizeof(out));

	if (!n)
		return;
	if (tc)
		out[2] |= 0x02;
	send_reply(f, d, out, n);
}

/* ---- admission ---- */

static void ports_union(struct acl_ports *into, const struct acl_ports *p)
{
	struct acl_err e;

	/* past ACL_MAX_PRANGES ranges the rest is left out: narrower */
	for (unsigned i = 0; i < p->n; i++)
		if (acl_ports_add(into, p->r[i].lo, p->r[i].hi, &e))
			return;
}

/* The ports under which name's rules admit v; false when none does. */
static bool admitting_ports(struct fwd *f, const char *name, int family, acl_u128 v,
			    struct acl_ports *tcp, struct acl_ports *udp, const char **why,
			    int *row)
{
	size_t idx[MAX_RULES], n = admit_rules_for(f->o.t, name, idx, MAX_RULES);
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		const struct m_rule *r = &f->o.t->rules[idx[i]];
		const char *no = admit_refusal(f->o.t, r, family, v, row);

		if (no) {
			*why = no;
			continue;
		}
		any = true;
		if (r->proto & ACL_TCP)
			ports_union(tcp, r->ports);
		if (r->proto & ACL_UDP)
			ports_union(udp, r->ports);
	}
	return any;
}


static void log_refusal(struct fwd *f, const struct dns_question *q, int family, acl_u128 v,
			const char *why, int row)
{
	const char *name = q->name;
	char a[ACL_CIDR_STRLEN];

	f->s.event(f->s.arg, NETACL_DNS_NOT_ADMITTED, name, q->type, family, v, 0, row);
	if (!f->o.log)
		return;
	acl_addr_format(family, v, a);
	fprintf(f->o.log, "netacl: %s: %s for %s not admitted: %s%s%s\n", f->o.t->name, a, name,
		why, row != ACL_SP_NONE ? " " : "", row != ACL_SP_NONE ? acl_sp_name(row) : "");
}

struct also {
	struct fwd *f;
	const char *name; /* its ports are had already; NULL: none is */
	int family;
	acl_u128 v;
	struct acl_ports *tcp, *udp;
	uint64_t until;   /* the latest expiry of the holders */
	const char *last; /* a holder's name, for the kernel entry */
};

static void also_ports(const char *name, uint64_t expires_ms, void *arg)
{
	struct also *a = arg;
	const char *why;
	int row;

	if (expires_ms > a->until)
		a->until = expires_ms;
	a->last = name;
	if (!a->name || strcmp(name, a->name) != 0)
		admitting_ports(a->f, name, a->family, a->v, a->tcp, a->udp, &why, &row);
}

/* An entry of v was dropped: delete v from the kernel, or write it again
 * with the ports and expiry of the names that still hold it (never what
 * the dropped name alone allowed). */
static void gone(int family, acl_u128 v, bool held, void *arg)
{
	struct fwd *f = arg;
	struct acl_ports tcp = { 0 }, udp = { 0 };
	struct also a = { f, NULL, family, v, &tcp, &udp, 0, NULL };

	if (!held) {
		f->s.del(f->s.arg, family, v);
		return;
	}
	admit_cache_holders(&f->cache, family, v, also_ports, &a);
	if (f->s.put(f->s.arg, family, v, a.until, &tcp, &udp, a.last))
		f->s.del(f->s.arg, family, v); /* cannot narrow it: take it away */
}

/* Write every admissible address of the answer to the sink.  Nonzero:
 * the sink refused one, the answer must not reach the workload. */
static int admit(struct fwd *f, const struct pending *p, const uint8_t *ans, size_t len)
{
	int n = dns_answer_addrs(ans, len, &p->q, f->addrs, MAX_ADDRS);
	uint64_t now = clock_ms();

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		uint8_t fam = (uint8_t)f->addrs[i].family;
		acl_u128 v = f->addrs[i].v;
		struct acl_ports tcp = { 0 }, udp = { 0 };
		const char *why = "no rule";
		int row = ACL_SP_NONE;
		uint64_t until;
		uint32_t secs;

		acl_addr_unmap(&fam, &v); /* the kernel checks mapped ones as IPv4 */
		if (!admitting_ports(f, p->q.name, fam, v, &tcp, &udp, &why, &row)) {
			log_refusal(f, &p->q, fam, v, why, row);
			continue;
		}
		secs = admit_seconds(&f->o.ttl, f->addrs[i].ttl);
		until = admit_cache_put(&f->cache, p->q.name, fam, v, now, now + 1000ull * secs,
					gone, f);
		/* another name holding v keeps its ports too */
		struct also a = { f, p->q.name, fam, v, &tcp, &udp, 0, NULL };

		admit_cache_holders(&f->cache, fam, v, also_ports, &a);
		if (f->s.put(f->s.arg, fam, v, until, &tcp, &udp, p->q.name))
			return -1;
		f->s.event(f->s.arg, NETACL_DNS_ADMITTED, p->q.name, p->q.type, fam, v, secs,
			   ACL_SP_NONE);
	}
	return 0;
}

static void on_upstream(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pending *p = arg;
	struct fwd *f = p->f;

	(void)timeouts;
	f->inflight--;
	p->c->pending--;
	if (f->stopping) {
		free(p);
		return;
	}
	if (status != ARES_SUCCESS || !abuf || alen < DNS_HEADER || alen > DNS_MAX_MSG ||
	    !dns_answer_matches(abuf, (size_t)alen, (uint16_t)(abuf[0] << 8 | abuf[1]), &p->q) ||
	    admit(f, p, abuf, (size_t)alen)) {
		refuse(f, &p->d, p->query, &p->q, DNS_SERVFAIL, false);
	} else if (p->d.udp >= 0 && (size_t)alen > p->d.udp_max) {
		refuse(f, &p->d, p->query, &p->q, abuf[3] & 0xf, true);
	} else {
		memcpy(f->buf, abuf, (size_t)alen);
		dns_set_id(f->buf, p->q.id);
		send_reply(f, &p->d, f->buf, (size_t)alen);
	}
	free(p);
}

/* ---- queries ---- */


static int chan_open(struct fwd *f);

/* The channel to send on: a new one when this one has sent its share
 * (unless MAX_CH are still waiting for answers: then this one goes on). */
static struct chan *current(struct fwd *f)
{
	if (f->ch[f->nch - 1]->sent >= CH_QUERIES && f->nch < MAX_CH)
		chan_open(f);
	return f->ch[f->nch - 1];
}

/* Destroy the old channels whose answers are all in (never from inside
 * one of their callbacks). */
static void chan_sweep(struct fwd *f)
{
	size_t k = 0;

	for (size_t i = 0; i < f->nch; i++) {
		if (i + 1 < f->nch && f->ch[i]->pending == 0) {
			ares_destroy(f->ch[i]->ch);
			free(f->ch[i]);
			continue;
		}
		f->ch[k++] = f->ch[i];
	}
	f->nch = k;
}

static void query(struct fwd *f, const uint8_t *msg, size_t len, struct dest *d)
{
	struct dns_question q;
	size_t idx[MAX_RULES], n, up;
	int rc = dns_query_read(msg, len, &q);
	struct pending *p;
	uint8_t clean[MAX_QUERY];

	if (rc < 0)
		return; /* not a query: no answer at all */
	if (rc != DNS_NOERROR || len > MAX_QUERY) {
		refuse(f, d, msg, &q, rc != DNS_NOERROR ? rc : DNS_FORMERR, false);
		return;
	}
	n = q.name_ok ? admit_rules_for(f->o.t, q.name, idx, MAX_RULES) : 0;
	if (n == 0) {
		/* answered here: the name never leaves the host */
		f->s.event(f->s.arg, NETACL_DNS_REFUSED, q.name_ok ? q.name : "", q.type, 0, 0, 0,
			   ACL_SP_NONE);
		if (f->o.log)
			fprintf(f->o.log, "netacl: %s: query for %s refused: no rule allows it\n",
				f->o.t->name, q.name_ok ? q.name : "(not a host name)");
		refuse(f, d, msg, &q, DNS_NXDOMAIN, false);
		return;
	}
	if (f->inflight >= f->o.inflight) {
		refuse(f, d, msg, &q, DNS_SERVFAIL, false);
		return;
	}
	up = dns_query_clean(msg, &q, clean, sizeof(clean));
	if (!up) {
		refuse(f, d, msg, &q, DNS_FORMERR, false);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		abort();
	p->f = f;
	p->d = *d;
	p->d.udp_max = q.edns ? q.udp_size : 512;
	p->q = q;
	p->nrules = n;
	memcpy(p->rules, idx, n * sizeof(idx[0]));
	p->qlen = len;
	memcpy(p->query, msg, len);
	p->c = current(f);
	p->c->sent++;
	p->c->pending++;
	f->inflight++;
	/* c-ares puts an ID of its own on it and checks the answer's ID,
	 * server and question; on_upstream checks them again */
	ares_send(p->c->ch, clean, (int)up, on_upstream, p);
}

/* Up to BATCH datagrams in one call: under load, a syscall per query less. */
static void udp_ready(struct fwd *f, int s)
{
	struct udp_batch *b = &f->batch;
	int n;

	for (int i = 0; i < BATCH; i++) {
		b->iov[i] = (struct iovec){ b->buf[i], sizeof(b->buf[i]) };
		b->msg[i].msg_hdr = (struct msghdr){ .msg_name = &b->d[i].peer,
						     .msg_namelen = sizeof(b->d[i].peer),
						     .msg_iov = &b->iov[i], .msg_iovlen = 1 };
	}
	n = recvmmsg(f->udp[s], b->msg, BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		struct dest *d = &b->d[i];
		size_t len = b->msg[i].msg_len;

		*d = (struct dest){ .udp = f->udp[s], .peer = d->peer,
				    .plen = b->msg[i].msg_hdr.msg_namelen, .conn = -1 };
		if (b->msg[i].msg_hdr.msg_flags & MSG_TRUNC)
			len = MAX_QUERY + 1; /* longer than a query may be: FORMERR */
		query(f, b->buf[i], len, d);
	}
}

static void tcp_accept(struct fwd *f, int s)
{
	int fd = accept4(f->tcp[s], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &f->conns[i];

		if (c->fd >= 0)
			continue;
		c->fd = fd;
		c->gen = ++f->gens;
		c->in = malloc(DNS_MAX_MSG + 2);
		if (!c->in)
			abort();
		c->last_ms = clock_ms();
		watch(f, EPOLL_CTL_ADD, fd, W_CONN, (unsigned)i, EPOLLIN);
		return;
	}
	close(fd); /* full: the client retries */
}

static void conn_ready(struct fwd *f, int i, uint32_t events)
{
	struct conn *c = &f->conns[i];
	ssize_t n;

	if (events & EPOLLOUT)
		conn_flush(f, i);
	if (c->fd < 0 || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	n = read(c->fd, c->in + c->nin, DNS_MAX_MSG + 2 - c->nin);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			conn_close(f, i);
		return;
	}
	c->nin += (size_t)n;
	c->last_ms = clock_ms();
	while (c->fd >= 0 && c->nin >= 2) {
		size_t len = (size_t)(c->in[0] << 8 | c->in[1]);
		struct dest d = { .udp = -1, .conn = i, .gen = c->gen };

		if (c->nin < len + 2)
			break;
		query(f, c->in + 2, len, &d);
		if (c->fd < 0)
			break;
		memmove(c->in, c->in + 2 + len, c->nin - 2 - len);
		c->nin -= 2 + len;
	}
}

/* ---- the loop ---- */

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct fwd *f = data;
	uint32_t ev = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);

	if (!ev) {
		epoll_ctl(f->ep, EPOLL_CTL_DEL, fd, NULL);
		return;
	}
	if (watch(f, EPOLL_CTL_MOD, fd, W_ARES, (unsigned)fd, ev) && errno == ENOENT)
		watch(f, EPOLL_CTL_ADD, fd, W_ARES, (unsigned)fd, ev);
}

static void on_tick(struct fwd *f)
{
	uint64_t now = clock_ms(), n;

	(void)!read(f->tick, &n, sizeof(n));
	admit_cache_expire(&f->cache, now, gone, f);
	for (int i = 0; i < MAX_CONNS; i++)
		if (f->conns[i].fd >= 0 && now - f->conns[i].last_ms > IDLE_MS)
			conn_close(f, i);
}

int fwd_run(struct fwd *f, int stop_fd)
{
	struct epoll_event evs[64];

	if (watch(f, EPOLL_CTL_ADD, stop_fd, W_STOP, 0, EPOLLIN))
		return EX_OSERR;
	for (;;) {
		struct timeval tv = { 1, 0 };
		int n;

		for (size_t c = 0; c < f->nch; c++)
			ares_timeout(f->ch[c]->ch, &tv, &tv);
		n = epoll_wait(f->ep, evs, 64, (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000));

		for (int i = 0; i < n; i++) {
			unsigned kind = (unsigned)(evs[i].data.u64 >> 32);
			unsigned idx = (unsigned)evs[i].data.u64;
			uint32_t e = evs[i].events;

			switch (kind) {
			case W_STOP:
				epoll_ctl(f->ep, EPOLL_CTL_DEL, stop_fd, NULL);
				return 0;
			case W_UDP:
				udp_ready(f, (int)idx);
				break;
			case W_TCP:
				tcp_accept(f, (int)idx);
				break;
			case W_CONN:
				conn_ready(f, (int)idx, e);
				break;
			case W_TICK:
				on_tick(f);
				break;
			case W_ARES: /* the channel that owns the socket takes it */
				for (size_t c = 0; c < f->nch; c++)
					ares_process_fd(f->ch[c]->ch,
							e & (EPOLLIN | EPOLLERR | EPOLLHUP) ?
								(int)idx : ARES_SOCKET_BAD,
							e & EPOLLOUT ? (int)idx : ARES_SOCKET_BAD);
				break;
			}
		}
		for (size_t c = 0; c < f->nch; c++) /* timeouts */
			ares_process_fd(f->ch[c]->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
		flush_replies(f);
		chan_sweep(f);
	}
}

/* ---- listeners ---- */

static int bind_loopback(int fd, int family, uint16_t port)
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int one = 1;

	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)))
		return -1;
	return family == AF_INET ? bind(fd, (struct sockaddr *)&a4, sizeof(a4))
				 : bind(fd, (struct sockaddr *)&a6, sizeof(a6));
}

/* One port number for both transports: a UDP port first, then TCP on it. */
static int listen_pair(struct fwd *f, int s, int family, uint16_t *port)
{
	for (int tries = 0; tries < 64; tries++) {
		int u = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		int t = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct sockaddr_storage a;
		socklen_t alen = sizeof(a);
		int one = 1, big = 4 << 20;

		if (u < 0 || t < 0 || bind_loopback(u, family, 0) ||
		    getsockname(u, (struct sockaddr *)&a, &alen)) {
			int err = errno;

			close(u);
			close(t);
			if (family == AF_INET6 && (err == EADDRNOTAVAIL || err == EAFNOSUPPORT)) {
				*port = 0; /* no IPv6 loopback: IPv6 DNS is refused */
				return 0;
			}
			die_msg("cannot listen for DNS on loopback: %s", strerror(err));
			return EX_OSERR;
		}
		*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
						: ((struct sockaddr_in6 *)&a)->sin6_port);
		setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		setsockopt(u, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		if (bind_loopback(t, family, *port) == 0 && listen(t, 64) == 0) {
			f->udp[s] = u;
			f->tcp[s] = t;
			watch(f, EPOLL_CTL_ADD, u, W_UDP, (unsigned)s, EPOLLIN);
			watch(f, EPOLL_CTL_ADD, t, W_TCP, (unsigned)s, EPOLLIN);
			return 0;
		}
		close(u);
		close(t);
	}
	die_msg("cannot find a loopback port free for both UDP and TCP");
	return EX_OSERR;
}

static int chan_open(struct fwd *f)
{
	struct chan *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		abort();
	rc = dns_channel(f->o.ro, sock_state, f, &c->ch);
	if (rc) {
		free(c);
		return rc;
	}
	f->ch[f->nch++] = c;
	return 0;
}

int fwd_open(const struct fwd_opts *o, const struct fwd_sink *s, struct fwd **out,
	     uint16_t *port4, uint16_t *port6)
{
	struct itimerspec every = { { 1, 0 }, { 1, 0 } };
	struct fwd *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		abort();
	f->o = *o;
	f->s = *s;
	f->udp[0] = f->udp[1] = f->tcp[0] = f->tcp[1] = -1;
	for (int i = 0; i < MAX_CONNS; i++)
		f->conns[i].fd = -1;
	admit_cache_init(&f->cache, o->per_name, o->total);
	f->ep = epoll_create1(EPOLL_CLOEXEC);
	f->tick = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (f->ep < 0 || f->tick < 0 || timerfd_settime(f->tick, 0, &every, NULL) ||
	    watch(f, EPOLL_CTL_ADD, f->tick, W_TICK, 0, EPOLLIN)) {
		die_msg("cannot start the DNS forwarder: %s", strerror(errno));
		fwd_close(f);
		return EX_OSERR;
	}
	rc = chan_open(f);
	if (!rc)
		rc = listen_pair(f, 0, AF_INET, port4);
	if (!rc)
		rc = listen_pair(f, 1, AF_INET6, port6);
	if (rc) {
		fwd_close(f);
		return rc;
	}
	*out = f;
	return 0;
}

void fwd_close(struct fwd *f)
{
	if (!f)
		return;
	f->stopping = true;
	for (size_t c = 0; c < f->nch; c++) {
		ares_destroy(f->ch[c]->ch); /* pending queries end: on_upstream frees them */
		free(f->ch[c]);
	}
	for (int i = 0; i < MAX_CONNS; i++)
		if (f->conns[i].fd >= 0)
			conn_close(f, i);
	for (int s = 0; s < 2; s++) {
		if (f->udp[s] >= 0)
			close(f->udp[s]);
		if (f->tcp[s] >= 0)
			close(f->tcp[s]);
	}
	if (f->tick >= 0)
		close(f->tick);
	if (f->ep >= 0)
		close(f->ep);
	admit_cache_free(&f->cache);
	free(f);
}
