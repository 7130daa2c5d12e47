/* verdict_loop: N connect() calls of one UDP socket to ADDR:PORT from
 * inside CGROUP, to have the connect4/6 programs judge N times.  A UDP
 * connect sends nothing; a denied one fails with EPERM, which is fine.
 * With "bind", N bind() calls instead: the bind4/6 program runs before
 * the kernel looks at the socket, so every call after the first that
 * succeeds is judged too (and then fails with EINVAL, already bound).
 * With "tcp", N TCP sockets each connect (non-blocking) to ADDR:PORT,
 * where nothing listens, and are closed: the TCP path of the programs,
 * max_connections and max_connect_rate included.  With "tcphold", the
 * same after one connection to ADDR:PORT+1 (a listener of its own) is
 * made and held, so that a target with max_connections: 1 refuses all N.
 *
 * ADDR may be a range, FIRST..LAST%STEP (the last 32 bits of an IPv6
 * address counting), judged in turn: an address's cost depends on where
 * its table puts it, so one address alone measures one draw of the seed.
 *
 *   verdict_loop CGROUP ADDR PORT N [connect|bind|tcp|tcphold] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void set_port(struct sockaddr_storage *ss, unsigned short port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static unsigned short get_port(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
					      : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

/* n non-blocking TCP connects to ss (each its own socket, closed at
 * once); with hold, one connection to the port after it first, kept */
static int tcp_loop(struct sockaddr_storage *ss, socklen_t len, long n, int hold)
{
	if (hold) {
		struct sockaddr_storage l = *ss;
		int lfd = socket(ss->ss_family, SOCK_STREAM, 0), cfd;

		set_port(&l, (unsigned short)(get_port(ss) + 1));
		cfd = socket(ss->ss_family, SOCK_STREAM, 0);
		if (lfd < 0 || cfd < 0 || bind(lfd, (struct sockaddr *)&l, len) || listen(lfd, 1) ||
		    connect(cfd, (struct sockaddr *)&l, len))
			return perror("the held connection"), 2;
	}
	for (; n > 0; n--) {
		int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);

		if (fd < 0)
			return perror("socket"), 2;
		connect(fd, (struct sockaddr *)ss, len);
		close(fd);
	}
	return 0;
}

/* ADDR or FIRST..LAST%STEP into *ss (the first); the count, 0 if bad */
static unsigned parse_addrs(char *arg, unsigned short port, struct sockaddr_storage *ss,
			    socklen_t *len, unsigned *step)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	char *dots = strstr(arg, ".."), *pct = strchr(arg, '%');
	uint32_t first, last;
	unsigned char b[16];

	*step = pct ? (unsigned)atoi(pct + 1) : 1;
	if (pct)
		*pct = 0;
	if (dots)
		*dots = 0;
	if (inet_pton(AF_INET, arg, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		first = ntohl(a4->sin_addr.s_addr);
		if (dots && inet_pton(AF_INET, dots + 2, b) != 1)
			return 0;
	} else if (inet_pton(AF_INET6, arg, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		memcpy(&first, &a6->sin6_addr.s6_addr[12], 4);
		first = ntohl(first);
		if (dots && inet_pton(AF_INET6, dots + 2, b) != 1)
			return 0;
		if (dots)
			memmove(b, b + 12, 4);
	} else {
		return 0;
	}
	if (!dots)
		return 1;
	memcpy(&last, b, 4);
	last = ntohl(last);
	return last >= first && *step ? (last - first) / *step + 1 : 0;
}

/* the i-th address of the range at ss */
static void nth(const struct sockaddr_storage *ss, unsigned step, unsigned i,
		struct sockaddr_storage *out)
{
	uint32_t v;
	unsigned char *p = ss->ss_family == AF_INET
				   ? (unsigned char *)&((struct sockaddr_in *)out)->sin_addr
				   : ((struct sockaddr_in6 *)out)->sin6_addr.s6_addr + 12;

	*out = *ss;
	memcpy(&v, p, 4);
	v = htonl(ntohl(v) + i * step);
	memcpy(p, &v, 4);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 }, *all;
	socklen_t len;
	char path[4096];
	unsigned count, step;
	FILE *f;
	int fd;

	const char *how = argc == 6 ? argv[5] : "connect";
	int bind_ = strcmp(how, "bind") == 0, tcp = strncmp(how, "tcp", 3) == 0;

	if ((argc != 5 && argc != 6) ||
	    (!bind_ && !tcp && strcmp(how, "connect") != 0))
		return fprintf(stderr, "usage: verdict_loop CGROUP ADDR PORT N "
				       "[connect|bind|tcp|tcphold]\n"), 2;
	snprintf(path, sizeof(path), "%s/cgroup.procs", argv[1]);
	if (!(f = fopen(path, "w")) || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		return perror(path), 2;
	count = parse_addrs(argv[2], (unsigned short)atoi(argv[3]), &ss, &len, &step);
	if (!count)
		return fprintf(stderr, "verdict_loop: bad address %s\n", argv[2]), 2;
	if (tcp)
		return tcp_loop(&ss, len, atol(argv[4]), strcmp(how, "tcphold") == 0);
	if (!(all = calloc(count, sizeof(*all))))
		return perror("calloc"), 2;
	for (unsigned i = 0; i < count; i++)
		nth(&ss, step, i, &all[i]);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return perror("socket"), 2;
	for (long i = atol(argv[4]), k = 0; i > 0; i--, k = k + 1 == (long)count ? 0 : k + 1)
		if (bind_)
			bind(fd, (struct sockaddr *)&all[k], len);
		else
			connect(fd, (struct sockaddr *)&all[k], len);
	return 0;
}
