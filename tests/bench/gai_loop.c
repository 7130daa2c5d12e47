/* The baseline: resolve names one after another with getaddrinfo, the way
 * hand-written socket_addr_check callbacks do.  Names on stdin. */
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(void)
{
	char name[300];
	unsigned ok = 0, n = 0;

	while (fgets(name, sizeof(name), stdin)) {
		struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res;

		name[strcspn(name, "\n")] = 0;
		n++;
		if (getaddrinfo(name, NULL, &hints, &res) == 0) {
			ok++;
			freeaddrinfo(res);
		}
	}
	fprintf(stderr, "getaddrinfo: %u of %u names resolved\n", ok, n);
	return 0;
}
