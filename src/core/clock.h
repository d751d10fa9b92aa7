/*
 * clock.h: the two clocks. Freshness and timeouts use the monotonic clock,
 * which jumps with neither NTP nor the administrator; signatures and log
 * times use the real-time clock.
 */
#ifndef DBB_CLOCK_H
#define DBB_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static inline int64_t clock_realtime_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

#endif
