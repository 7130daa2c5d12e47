/* A DNS server that answers DELAY ms late: a UDP proxy in front of a real
 * server (unbound on loopback) that holds every answer for a fixed time.
 * With a constant delay the held answers form a FIFO.  Loopback only.
 *   delayproxy LISTEN_IP PORT UPSTREAM_IP UPSTREAM_PORT DELAY_MS */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXQ 65536 /* queries in flight, by DNS ID */

struct held {
	long long due;
	struct sockaddr_in to;
	unsigned short len;
	unsigned char buf[1500];
};

static struct sockaddr_in client_of[MAXQ];
static struct held *fifo;
static size_t head, tail, cap = 1 << 17;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int udp_socket(const char *ip, int port)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), big = 16 << 20;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	if (bind(s, (struct sockaddr *)&a, sizeof(a))) {
		perror("bind");
		exit(1);
	}
	return s;
}

int main(int argc, char **argv)
{
	int front, back, ep, delay;
	struct sockaddr_in up = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN };

	if (argc != 6 || strncmp(argv[1], "127.", 4) || strncmp(argv[3], "127.", 4)) {
		fprintf(stderr, "usage: delayproxy 127.x.x.x PORT 127.x.x.x UPSTREAM_PORT DELAY_MS\n");
		return 64;
	}
	front = udp_socket(argv[1], atoi(argv[2]));
	back = udp_socket("127.0.0.1", 0);
	up.sin_port = htons((unsigned short)atoi(argv[4]));
	inet_pton(AF_INET, argv[3], &up.sin_addr);
	delay = atoi(argv[5]);
	fifo = calloc(cap, sizeof(*fifo));
	ep = epoll_create1(0);
	ev.data.fd = front;
	epoll_ctl(ep, EPOLL_CTL_ADD, front, &ev);
	ev.data.fd = back;
	epoll_ctl(ep, EPOLL_CTL_ADD, back, &ev);
	for (;;) {
		struct epoll_event evs[4];
		long long t = now_ms();
		int wait = head == tail ? -1 : (int)(fifo[head % cap].due - t);
		int n = epoll_wait(ep, evs, 4, wait < 0 ? (head == tail ? -1 : 0) : wait);

		for (int i = 0; i < n; i++) {
			unsigned char buf[1500];
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t len;

			while ((len = recvfrom(evs[i].data.fd, buf, sizeof(buf), 0,
					       (struct sockaddr *)&from, &fl)) >= 12) {
				unsigned id = (unsigned)buf[0] << 8 | buf[1];

				if (evs[i].data.fd == front) {
					client_of[id] = from;
					sendto(back, buf, (size_t)len, 0, (struct sockaddr *)&up, sizeof(up));
				} else if (tail - head < cap) {
					struct held *h = &fifo[tail++ % cap];

					h->due = now_ms() + delay;
					h->to = client_of[id];
					h->len = (unsigned short)len;
					memcpy(h->buf, buf, (size_t)len);
				}
				fl = sizeof(from);
			}
		}
		for (t = now_ms(); head != tail && fifo[head % cap].due <= t; head++) {
			struct held *h = &fifo[head % cap];

			sendto(front, h->buf, h->len, 0, (struct sockaddr *)&h->to, sizeof(h->to));
		}
	}
}
