/*
 * clock.h: the two clocks of wegauged, and the types of their instants.
 *
 * Everything that schedules (pull ticks, retries, timeouts, rate-limit
 * holds converted to delays) uses the monotonic clock, which never jumps.
 * The wall clock is read only to stamp rows and pulls, to compute
 * next_pull_at for the store, and to place a workspace's phase and a
 * minute boundary once, as a delay from now.
 *
 * An instant carries its clock and unit in its type, as redis's monotime
 * does: mono_ms and mono_us on CLOCK_MONOTONIC, wall_ms and wall_s since
 * the Unix epoch on CLOCK_REALTIME. Durations (intervals, delays,
 * timeouts) stay int64_t milliseconds named *_ms. The types are
 * typedefs, so the compiler does not stop a wall instant from being
 * added to a monotonic one; structs would, but then every comparison
 * and sum of instants (the scheduler's heap, tick arithmetic, backoffs,
 * deadlines, the store's stamps and the tests) would become a function
 * call, in nearly every file, for the few places where the two clocks
 * meet (sched_first_tick, ws_schedule_at's next_pull_at, a hold's delay),
 * each of which now shows both types in its signature.
 */
#ifndef WEGAUGE_CLOCK_H
#define WEGAUGE_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

typedef int64_t mono_ms;  /* milliseconds on CLOCK_MONOTONIC */
typedef uint64_t mono_us; /* microseconds on CLOCK_MONOTONIC */
typedef int64_t wall_ms;  /* milliseconds since the Unix epoch (CLOCK_REALTIME) */
typedef int64_t wall_s;   /* seconds since the Unix epoch (CLOCK_REALTIME); 0: never */

/* Now on CLOCK_MONOTONIC, in milliseconds. */
static inline mono_ms clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (mono_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Now on CLOCK_MONOTONIC, in microseconds (systemd's MONOTONIC_USEC). */
static inline mono_us clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (mono_us)ts.tv_sec * 1000000u + (mono_us)ts.tv_nsec / 1000u;
}

/*
 * A correction of this host's wall clock, in milliseconds, added by
 * clock_wall_ms and clock_wall_s (0 unless set). A fleet member sets it to
 * the offset of the PostgreSQL server's clock it measured (daemon_fleet.c),
 * so that every member stamps rows and places its ticks on the one clock
 * they share, whatever its own says. Defined in ts.c.
 */
extern _Atomic int64_t clock_wall_offset_ms;

/* Now on CLOCK_REALTIME as this host has it (no correction), in ms since the epoch. */
static inline wall_ms clock_wall_raw_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (wall_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Now on CLOCK_REALTIME (with the correction above), in milliseconds since the Unix epoch. */
static inline wall_ms clock_wall_ms(void)
{
	return clock_wall_raw_ms() +
	       atomic_load_explicit(&clock_wall_offset_ms, memory_order_relaxed);
}

/* Now on CLOCK_REALTIME, in seconds since the Unix epoch. */
static inline wall_s clock_wall_s(void)
{
	return clock_wall_ms() / 1000;
}

#endif
