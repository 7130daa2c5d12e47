/* The one clock of expiries and events: CLOCK_MONOTONIC, which the BPF
 * programs read as bpf_ktime_get_ns(). */
#ifndef NETACL_CLOCK_H
#define NETACL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_ms(void)
{
	return clock_ns() / 1000000u;
}

#endif
