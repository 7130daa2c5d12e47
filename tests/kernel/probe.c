/* probe: try connects and sends from inside a cgroup, and say what the
 * kernel decided.  Used by the kernel tests and the reload stress test.
 *
 *   probe [--cgroup DIR] [--loop N] OP ADDR PORT [OP ADDR PORT]...
 *
 * OP: tcp (connect), udp (unconnected sendto), udpc (UDP connect),
 *     tfo (TCP sendto with MSG_FASTOPEN); a "6" suffix uses an AF_INET6
 *     socket, turning an IPv4 ADDR into ::ffff:ADDR.
 * Prints "OP ADDR PORT deny" when the call failed with EPERM, else
 * "OP ADDR PORT allow (what happened)".  With --loop, every probe runs N
 * times and the line says "allow=A deny=D"; with --stop FILE as well, the
 * probes go round until FILE exists (N is then a minimum). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

/* 0 if the kernel let it through, else errno. */
static int attempt(const char *op, const char *addr, unsigned port)
{
	int v6 = op[strlen(op) - 1] == '6';
	struct sockaddr_storage ss;
	socklen_t len = address(addr, v6, port, &ss);
	int tcp = strncmp(op, "tcp", 3) == 0 || strncmp(op, "tfo", 3) == 0;
	int fd = socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK, 0);
	int r, err = 0;

	if (fd < 0) {
		perror("socket");
		exit(2);
	}
	if (strncmp(op, "tfo", 3) == 0)
		r = (int)sendto(fd, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&ss, len);
	else if (strncmp(op, "udp", 3) == 0 && op[3] != 'c')
		r = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len);
	else
		r = connect(fd, (struct sockaddr *)&ss, len);
	if (r < 0)
		err = errno;
	close(fd);
	return err;
}

/* Round-robin over the probes until stop exists, counting verdicts. */
static int until_stopped(char **p, int n, long min, const char *stop)
{
	long allow[64] = { 0 }, deny[64] = { 0 };

	for (long round = 0; n / 3 <= 64; round++) {
		for (int k = 0; k < n; k += 3)
			attempt(p[k], p[k + 1], (unsigned)atoi(p[k + 2])) == EPERM ? deny[k / 3]++
										    : allow[k / 3]++;
		if (round >= min && (round & 63) == 0 && access(stop, F_OK) == 0)
			break;
	}
	for (int k = 0; k < n; k += 3)
		printf("%s %s %s allow=%ld deny=%ld\n", p[k], p[k + 1], p[k + 2], allow[k / 3],
		       deny[k / 3]);
	return 0;
}

int main(int argc, char **argv)
{
	long loops = 0;
	const char *stop = NULL;
	int i = 1;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "--cgroup") == 0)
			join(argv[i + 1]);
		else if (strcmp(argv[i], "--loop") == 0)
			loops = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--stop") == 0)
			stop = argv[i + 1];
	}
	if (stop)
		return until_stopped(argv + i, argc - i, loops, stop);
	if ((argc - i) % 3 || i == argc) {
		fprintf(stderr, "usage: probe [--cgroup DIR] [--loop N] OP ADDR PORT...\n");
		return 2;
	}
	for (; i < argc; i += 3) {
		unsigned port = (unsigned)atoi(argv[i + 2]);
		if (loops) {
			long allow = 0, deny = 0;
			for (long n = 0; n < loops; n++)
				attempt(argv[i], argv[i + 1], port) == EPERM ? deny++ : allow++;
			printf("%s %s %u allow=%ld deny=%ld\n", argv[i], argv[i + 1], port, allow, deny);
			continue;
		}
		int err = attempt(argv[i], argv[i + 1], port);
		if (err == EPERM)
			printf("%s %s %u deny\n", argv[i], argv[i + 1], port);
		else
			printf("%s %s %u allow (%s)\n", argv[i], argv[i + 1], port,
			       err ? strerrorname_np(err) : "ok");
	}
	return 0;
}
