/* Normalise a random set of N CIDRs (default 1,000,000) and print the
 * time; also writes the input as text for the comparison in run.sh.
 *   bench-set N [INPUT.txt] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "acl/set.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	FILE *out = argc > 2 ? fopen(argv[2], "w") : NULL;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct acl_set s;
	double t0, t1;

	acl_set_init(&s, ACL_V4);
	for (size_t i = 0; i < n; i++) {
		struct acl_cidr c = { ACL_V4, 0, 0 };

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		c.len = (uint8_t)(20 + x % 13); /* /20 .. /32 */
		c.v = (uint32_t)(x >> 32) & ~(uint32_t)acl_hostmask(ACL_V4, c.len);
		acl_set_add_cidr(&s, &c);
		if (out) {
			char buf[ACL_CIDR_STRLEN];

			acl_cidr_format(&c, buf);
			fprintf(out, "%s\n", buf);
		}
	}
	if (out)
		fclose(out);
	t0 = now();
	acl_set_normalise(&s);
	t1 = now();
	printf("acl_set_normalise: %zu CIDRs -> %zu intervals in %.3f s\n", n, s.n, t1 - t0);
	acl_set_free(&s);
	return 0;
}
