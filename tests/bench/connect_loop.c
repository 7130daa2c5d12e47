/* connect_loop: the cost of connect() as a workload sees it.  Joins a
 * cgroup, listens on ADDR:PORT, and times N rounds of socket + connect +
 * accept + close over loopback.  Prints "N connects in S s (X ns each)".
 *
 *   connect_loop CGROUP ADDR PORT N */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	FILE *f;
	char path[4096];
	int ls, one = 1;
	long n;
	double t0;

	if (argc != 5)
		return fprintf(stderr, "usage: connect_loop CGROUP ADDR PORT N\n"), 2;
	snprintf(path, sizeof(path), "%s/cgroup.procs", argv[1]);
	if (!(f = fopen(path, "w")) || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		return perror(path), 2;
	inet_pton(AF_INET, argv[2], &a.sin_addr);
	a.sin_port = htons((unsigned short)atoi(argv[3]));
	n = atol(argv[4]);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 128))
		return perror("listen"), 2;
	t0 = now();
	for (long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;
		struct linger lg = { 1, 0 }; /* RST on close: no TIME_WAIT pile-up */

		if (connect(c, (struct sockaddr *)&a, sizeof(a)))
			return perror("connect"), 1;
		s = accept(ls, NULL, NULL);
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
		close(s);
	}
	double s = now() - t0;
	printf("%ld connects in %.3f s (%.0f ns each)\n", n, s, s / (double)n * 1e9);
	return 0;
}
