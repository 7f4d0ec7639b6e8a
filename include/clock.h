/*
 * clock.h: the two clocks of wegauged.
 *
 * Everything that schedules (pull ticks, retries, timeouts, rate-limit
 * holds converted to delays) uses the monotonic clock, which never jumps.
 * The wall clock is read only to stamp rows and pulls, to compute
 * next_pull_at for the store, and to place a workspace's phase and a
 * minute boundary once, as a delay from now.
 */
#ifndef WEGAUGE_CLOCK_H
#define WEGAUGE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC. */
static inline int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Microseconds on CLOCK_MONOTONIC (systemd's MONOTONIC_USEC). */
static inline uint64_t clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Milliseconds since the Unix epoch on CLOCK_REALTIME. */
static inline int64_t clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Seconds since the Unix epoch on CLOCK_REALTIME. */
static inline int64_t clock_wall_s(void)
{
	return clock_wall_ms() / 1000;
}

#endif
