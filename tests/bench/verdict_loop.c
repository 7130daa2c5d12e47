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
 *   verdict_loop CGROUP ADDR PORT N [connect|bind|tcp|tcphold] */
#include <arpa/inet.h>
#include <netinet/in.h>
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

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char path[4096];
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
	if (inet_pton(AF_INET, argv[2], &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((unsigned short)atoi(argv[3]));
		len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, argv[2], &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((unsigned short)atoi(argv[3]));
		len = sizeof(*a6);
	} else {
		return fprintf(stderr, "verdict_loop: bad address %s\n", argv[2]), 2;
	}
	if (tcp)
		return tcp_loop(&ss, len, atol(argv[4]), strcmp(how, "tcphold") == 0);
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return perror("socket"), 2;
	for (long i = atol(argv[4]); i > 0; i--)
		if (bind_)
			bind(fd, (struct sockaddr *)&ss, len);
		else
			connect(fd, (struct sockaddr *)&ss, len);
	return 0;
}
