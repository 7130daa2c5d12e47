/* probe: try connects and sends from inside a cgroup, and say what the
 * kernel decided.  Used by the kernel tests and the reload stress test.
 *
 *   probe [--cgroup DIR] [--loop N] OP ADDR PORT [OP ADDR PORT]...
 *
 * OP: tcp (connect), udp (unconnected sendto), udpc (UDP connect),
 *     tfo (TCP sendto with MSG_FASTOPEN), mptcp (MPTCP connect),
 *     udpcmsg (UDP connect, then a send with an IP_TOS/IPV6_TCLASS
 *     control message and no address, as QUIC stacks send),
 *     udplite (UDP-Lite connect and send), ping (ICMP echo datagram
 *     socket, sendto), raw (SOCK_RAW UDP, sendto), rawhdr (IPPROTO_RAW,
 *     IP_HDRINCL, sendto), srh (IPv6 only: an IPV6_RTHDR segment routing
 *     header through ::1, then sendto), ipopt (IPv4 only: IP_OPTIONS loose
 *     source route through 127.0.0.1, then sendto), rthdrcmsg (IPv6 only:
 *     the routing header as a control message of the send), unspec (IPv4
 *     only: UDP connect to 127.0.0.2:7001, then sendto ADDR:PORT in a name
 *     whose family is AF_UNSPEC, which udp_sendmsg sends to), srhcompat
 *     and ipoptcompat (srh and ipopt with the option set by a 32-bit
 *     compat setsockopt, which skips the cgroup setsockopt hook; x86-64),
 *     retopts (IPv4: an IP_RETOPTS control message with a loose source
 *     route through 127.0.0.1, root);
 *     tcpbind, udpbind, mptcpbind (bind ADDR:PORT, the local address),
 *     with a word after "bind" for an option set first: reuse
 *     (SO_REUSEADDR and SO_REUSEPORT), free (IP_FREEBIND, IPV6_FREEBIND),
 *     noport (IP_BIND_ADDRESS_NO_PORT), v6only and dual (IPV6_V6ONLY 1
 *     and 0), unspec (the name's family AF_UNSPEC: tcpbindunspec 0.0.0.0);
 *     tcplisten (listen() on an unbound socket, which binds it to a port
 *     the kernel picks, as connect and sendto do; ADDR gives the family);
 *     tcpc, mptcpc (connect and wait up to 5 s for the handshake: ok,
 *     ECONNREFUSED, ...), tcpre, mptcpre (tcpc, then connect(AF_UNSPEC),
 *     which disconnects, then tcpc again on the same socket), tcpagain,
 *     mptcpagain (tcpc, and if that failed, again on the same socket,
 *     past the ECONNABORTED of a socket whose connect failed after it
 *     returned: its error), tcpshut (tcpc,
 *     then shutdown both ways), tfoc (TCP_FASTOPEN_CONNECT, then a connect
 *     that sends nothing until the first write: none comes);
 *     a "6" suffix uses an AF_INET6 socket, turning an IPv4 ADDR into
 *     ::ffff:ADDR.  Every payload is "netacl-probe".
 * --user UID drops to that uid (and gid) after joining the cgroup.
 * Prints "OP ADDR PORT deny" when the call failed with EPERM, "OP ADDR
 * PORT limit" when it failed with EMFILE (a netacl limit: connect never
 * fails so otherwise), else "OP ADDR PORT allow (what happened)".  With
 * --loop, every probe runs N times and the line says "allow=A deny=D",
 * then " limit=L" if any were EMFILE; with --stop FILE as well, the
 * probes go round until FILE exists (N is then a minimum); with --for
 * SECS, until SECS seconds have passed (N a minimum too), and the line
 * ends with " secs=S", the time the loop took.  --hold FILE keeps every
 * socket open, after its line is printed, until FILE exists (at most two
 * minutes); "held" on a line of its own says they all are. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>
#include <grp.h>
#include <poll.h>
#include <time.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void join(const char *cgroup)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f)) {
		perror(path);
		exit(2);
	}
}

static socklen_t address(const char *text, int v6sock, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char mapped[64];

	memset(ss, 0, sizeof(*ss));
	if (!strchr(text, ':') && !v6sock) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		if (inet_pton(AF_INET, text, &in->sin_addr) == 1)
			return sizeof(*in);
	} else {
		if (!strchr(text, ':'))
			snprintf(mapped, sizeof(mapped), "::ffff:%s", text), text = mapped;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
			return sizeof(*in6);
	}
	fprintf(stderr, "probe: bad address %s\n", text);
	exit(2);
}

static const char payload[] = "netacl-probe";

static int is(const char *op, const char *name)
{
	return strncmp(op, name, strlen(name)) == 0;
}

/* setsockopt as a 32-bit compat call (int 0x80, its number 366 on
 * i386): the kernel runs no cgroup setsockopt program for those. */
static int compat_setsockopt(int fd, int level, int name, const void *val, int len)
{
#if defined(__x86_64__)
	static char *low;
	long ret;

	if (!low)
		low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
			   -1, 0);
	if (low == MAP_FAILED || len > 4096)
		return errno = ENOMEM, -1;
	memcpy(low, val, (size_t)len);
	register long rbx __asm__("rbx") = fd;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(366L), "b"(rbx), "c"((long)level), "d"((long)name),
			   "S"((long)(unsigned long)low), "D"((long)len)
			 : "memory", "r8", "r9", "r10", "r11");
	if (ret < 0)
		return errno = (int)-ret, -1;
	return 0;
#else
	(void)fd, (void)level, (void)name, (void)val, (void)len;
	return errno = ENOSYS, -1;
#endif
}

/* A type 4 (segment routing) header with one segment, ::1. */
static int set_srh(int fd, int compat)
{
	unsigned char h[8 + 16] = { 0, 2, 4, 0, 0, 0, 0, 0 };

	h[15 + 8] = 1;
	return (compat ? compat_setsockopt : (int (*)(int, int, int, const void *, int))setsockopt)(
		fd, IPPROTO_IPV6, IPV6_RTHDR, h, sizeof(h));
}

/* IPv4 loose source route through 127.0.0.1. */
static int set_lsrr(int fd, int compat)
{
	unsigned char o[8] = { IPOPT_NOP, IPOPT_LSRR, 7, 4, 127, 0, 0, 1 };

	return (compat ? compat_setsockopt : (int (*)(int, int, int, const void *, int))setsockopt)(
		fd, IPPROTO_IP, IP_OPTIONS, o, sizeof(o));
}

/* a send to sa with a loose source route as an IP_RETOPTS control message */
static int send_retopts(int fd, const struct sockaddr *sa, socklen_t len)
{
	unsigned char o[8] = { IPOPT_NOP, IPOPT_LSRR, 7, 4, 127, 0, 0, 1 };
	char ctl[CMSG_SPACE(sizeof(o))] = { 0 };
	struct iovec iov = { (void *)payload, sizeof(payload) };
	struct msghdr m = { .msg_name = (void *)sa, .msg_namelen = len, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_RETOPTS;
	c->cmsg_len = CMSG_LEN(sizeof(o));
	memcpy(CMSG_DATA(c), o, sizeof(o));
	return (int)sendmsg(fd, &m, 0);
}

/* connect, then a send whose only address is the peer's, with a cmsg */
static int send_cmsg(int fd, int v6, const struct sockaddr *sa, socklen_t len)
{
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)payload, sizeof(payload) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int tos = 0x02; /* ECT(0), as QUIC marks */

	if (connect(fd, sa, len) < 0)
		return -1;
	c->cmsg_level = v6 ? IPPROTO_IPV6 : IPPROTO_IP;
	c->cmsg_type = v6 ? IPV6_TCLASS : IP_TOS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &tos, sizeof(int));
	return (int)sendmsg(fd, &m, 0);
}

/* a send to sa with a routing header as its control message */
static int send_rthdr_cmsg(int fd, const struct sockaddr *sa, socklen_t len)
{
	char ctl[CMSG_SPACE(24)] = { 0 };
	struct iovec iov = { (void *)payload, sizeof(payload) };
	struct msghdr m = { .msg_name = (void *)sa, .msg_namelen = len, .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	unsigned char h[24] = { 0, 2, 4, 0, 0, 0, 0, 0 };

	h[23] = 1;
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_RTHDR;
	c->cmsg_len = CMSG_LEN(sizeof(h));
	memcpy(CMSG_DATA(c), h, sizeof(h));
	return (int)sendmsg(fd, &m, 0);
}

/* bind sa, after the option the op names (the usage above) */
static int bind_op(int fd, const char *op, int v6, struct sockaddr *sa, socklen_t len)
{
	int one = 1, zero = 0, r = 0;

	if (strstr(op, "reuse"))
		r = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
			    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one))
			    ? -1
			    : 0;
	else if (strstr(op, "free"))
		r = setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_FREEBIND : IP_FREEBIND,
			       &one, sizeof(one));
	else if (strstr(op, "noport"))
		r = setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	else if (strstr(op, "v6only") || strstr(op, "dual"))
		r = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, strstr(op, "dual") ? &zero : &one,
			       sizeof(one));
	else if (strstr(op, "unspec"))
		sa->sa_family = AF_UNSPEC;
	return r ? r : bind(fd, sa, len);
}

static int open_socket(const char *op, int family)
{
	int v6 = family == AF_INET6;

	if (is(op, "tcp") || is(op, "tfo"))
		return socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (is(op, "mptcp"))
		return socket(family, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_MPTCP);
	if (is(op, "udplite"))
		return socket(family, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDPLITE);
	if (is(op, "ping"))
		return socket(family, SOCK_DGRAM | SOCK_NONBLOCK, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (is(op, "rawhdr"))
		return socket(family, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_RAW);
	if (is(op, "raw"))
		return socket(family, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_UDP);
	return socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
}

/* connect, and wait for the handshake's end: 0 or its errno */
static int connect_wait(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int err = 0;
	socklen_t n = sizeof(err);

	if (connect(fd, sa, len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return errno;
	if (poll(&p, 1, 5000) != 1)
		return ETIMEDOUT;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &n))
		return errno;
	return err;
}

/* connect, disconnect (AF_UNSPEC), connect again, each waited for */
static int reconnect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int err = connect_wait(fd, sa, len);

	if (!err && connect(fd, &unspec, sizeof(unspec)))
		err = errno;
	return err ? err : connect_wait(fd, sa, len);
}

static int held[4096], nheld;

/* 0 if the kernel let every step through, else the first errno.  With
 * hold, the socket stays open (in held[]). */
static int attempt_fd(const char *op, const char *addr, unsigned port, int hold)
{
	int v6 = op[strlen(op) - 1] == '6';
	struct sockaddr_storage ss;
	socklen_t len = address(addr, v6, port, &ss);
	struct sockaddr *sa = (struct sockaddr *)&ss;
	int fd = open_socket(op, ss.ss_family);
	int r = 0, err = 0;

	if (fd < 0)
		return errno;
	if (strstr(op, "bind")) {
		r = bind_op(fd, op, v6, sa, len);
	} else if (is(op, "tcplisten")) {
		r = listen(fd, 1);
	} else if (is(op, "tcpc") || is(op, "mptcpc")) {
		r = (err = connect_wait(fd, sa, len)) ? -1 : 0;
	} else if (is(op, "tcpre") || is(op, "mptcpre")) {
		r = (err = reconnect(fd, sa, len)) ? -1 : 0;
	} else if (is(op, "tcpagain") || is(op, "mptcpagain")) {
		err = connect_wait(fd, sa, len);
		if (err)
			err = connect_wait(fd, sa, len);
		if (err == ECONNABORTED) /* after an asynchronous failure: connect again */
			err = connect_wait(fd, sa, len);
		r = err ? -1 : 0;
	} else if (is(op, "tcpshut")) {
		r = (err = connect_wait(fd, sa, len)) ? -1 : shutdown(fd, SHUT_RDWR);
	} else if (is(op, "tfoc")) {
		int one = 1;

		r = setsockopt(fd, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one));
		if (r == 0)
			r = connect(fd, sa, len);
	} else if (is(op, "tfo")) {
		r = (int)sendto(fd, payload, sizeof(payload), MSG_FASTOPEN, sa, len);
	} else if (is(op, "ping")) {
		struct icmphdr h = { .type = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO };
		r = (int)sendto(fd, &h, sizeof(h), 0, sa, len);
	} else if (is(op, "udpcmsg")) {
		r = send_cmsg(fd, v6, sa, len);
	} else if (is(op, "unspec")) {
		struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(7001) };

		inet_pton(AF_INET, "127.0.0.2", &peer.sin_addr);
		((struct sockaddr_in *)sa)->sin_family = AF_UNSPEC;
		r = connect(fd, (struct sockaddr *)&peer, sizeof(peer));
		if (r == 0)
			r = (int)sendto(fd, payload, sizeof(payload), 0, sa, len);
	} else if (is(op, "rthdrcmsg")) {
		r = send_rthdr_cmsg(fd, sa, len);
	} else if (is(op, "udplite")) {
		r = connect(fd, sa, len);
		if (r == 0)
			r = (int)send(fd, payload, sizeof(payload), 0);
	} else if (is(op, "retopts")) {
		r = send_retopts(fd, sa, len);
	} else if (is(op, "srh") || is(op, "ipopt")) {
		int compat = strstr(op, "compat") != NULL;

		r = is(op, "srh") ? set_srh(fd, compat) : set_lsrr(fd, compat);
		if (r == 0)
			r = (int)sendto(fd, payload, sizeof(payload), 0, sa, len);
	} else if (is(op, "raw") || (is(op, "udp") && op[3] != 'c')) {
		r = (int)sendto(fd, payload, sizeof(payload), 0, sa, len);
	} else {
		r = connect(fd, sa, len);
	}
	if (r < 0 && !err)
		err = errno;
	if (hold && nheld < (int)(sizeof(held) / sizeof(held[0])))
		held[nheld++] = fd;
	else
		close(fd);
	return err;
}

static int attempt(const char *op, const char *addr, unsigned port)
{
	return attempt_fd(op, addr, port, 0);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* allow=A deny=D [limit=L] for the verdicts of a loop */
static void counts(const char *op, const char *addr, const char *port, long allow, long deny,
		   long limit)
{
	printf("%s %s %s allow=%ld deny=%ld", op, addr, port, allow, deny);
	if (limit)
		printf(" limit=%ld", limit);
}

static void drop_to(const char *uid)
{
	uid_t u = (uid_t)atoi(uid);

	if (setgroups(0, NULL) || setresgid(u, u, u) || setresuid(u, u, u)) {
		perror("probe: dropping privileges");
		exit(2);
	}
}

/* Round-robin over the probes until stop exists (or secs have passed:
 * secs >= 0), counting verdicts. */
static int until_stopped(char **p, int n, long min, const char *stop, double secs)
{
	long allow[64] = { 0 }, deny[64] = { 0 }, limit[64] = { 0 };
	double t0 = now_s(), took;

	for (long round = 0; n / 3 <= 64; round++) {
		for (int k = 0; k < n; k += 3) {
			int err = attempt(p[k], p[k + 1], (unsigned)atoi(p[k + 2]));

			err == EPERM ? deny[k / 3]++ : err == EMFILE ? limit[k / 3]++ : allow[k / 3]++;
		}
		if (round + 1 >= min && secs >= 0 && now_s() - t0 >= secs)
			break;
		if (stop && round >= min && (round & 63) == 0 && access(stop, F_OK) == 0)
			break;
	}
	took = now_s() - t0;
	for (int k = 0; k < n; k += 3) {
		counts(p[k], p[k + 1], p[k + 2], allow[k / 3], deny[k / 3], limit[k / 3]);
		if (secs >= 0)
			printf(" secs=%.3f", took);
		putchar('\n');
	}
	return 0;
}

/* --hold: every socket open until stop exists (or two minutes have
 * passed: a test that stopped early leaves no probe behind for long) */
static void hold_until(const char *stop)
{
	puts("held");
	fflush(stdout);
	for (int i = 0; i < 6000 && access(stop, F_OK) != 0; i++)
		usleep(20000);
	for (int i = 0; i < nheld; i++)
		close(held[i]);
}

int main(int argc, char **argv)
{
	long loops = 0;
	const char *stop = NULL, *hold = NULL;
	double secs = -1;
	int i = 1;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--cgroup") == 0)
			join(argv[i + 1]);
		else if (strcmp(argv[i], "--loop") == 0)
			loops = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--stop") == 0)
			stop = argv[i + 1];
		else if (strcmp(argv[i], "--for") == 0)
			secs = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--hold") == 0)
			hold = argv[i + 1];
		else if (strcmp(argv[i], "--user") == 0)
			drop_to(argv[i + 1]);
	}
	if (stop || secs >= 0)
		return until_stopped(argv + i, argc - i, loops, stop, secs);
	if ((argc - i) % 3 || i == argc) {
		fprintf(stderr, "usage: probe [--cgroup DIR] [--user UID] [--loop N] OP ADDR PORT...\n");
		return 2;
	}
	for (; i < argc; i += 3) {
		unsigned port = (unsigned)atoi(argv[i + 2]);
		if (loops) {
			long allow = 0, deny = 0, limit = 0;
			for (long n = 0; n < loops; n++) {
				int err = attempt(argv[i], argv[i + 1], port);

				err == EPERM ? deny++ : err == EMFILE ? limit++ : allow++;
			}
			counts(argv[i], argv[i + 1], argv[i + 2], allow, deny, limit);
			putchar('\n');
			continue;
		}
		int err = attempt_fd(argv[i], argv[i + 1], port, hold != NULL);
		if (err == EPERM)
			printf("%s %s %u deny\n", argv[i], argv[i + 1], port);
		else if (err == EMFILE)
			printf("%s %s %u limit\n", argv[i], argv[i + 1], port);
		else
			printf("%s %s %u allow (%s)\n", argv[i], argv[i + 1], port,
			       err ? strerrorname_np(err) : "ok");
		fflush(stdout);
	}
	if (hold)
		hold_until(hold);
	return 0;
}
