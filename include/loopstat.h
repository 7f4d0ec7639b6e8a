/*
 * loopstat.h: how long the event loop's callbacks take.
 *
 * The loop thread is wegauged's one scheduler: a callback that runs long
 * delays every timer, every transfer and the watchdog behind it. Each
 * callback the daemon registers with libevent measures itself:
 *
 *     mono_us t0 = loopstat_begin();
 *     ... the callback's work ...
 *     loopstat_end(t0, "what it was");
 *
 * and the longest one, with its name, is kept for /metrics
 * (wegauge_loop_callback_max_seconds), the SIGUSR1 dump and the tests.
 * Nested pairs (a callback that calls another measured one) count the
 * outer one only. The figures belong to the loop thread; other threads
 * must not call these.
 */
#ifndef WEGAUGE_LOOPSTAT_H
#define WEGAUGE_LOOPSTAT_H

#include <stdint.h>

#include "clock.h"

struct loopstat {
	uint64_t callbacks;
	uint64_t over_100ms; /* callbacks that took 100 ms or longer */
	uint64_t max_us;
	const char *max_what; /* the callback that took max_us (a static string) */
	uint64_t total_us;
	int depth; /* nesting of begin/end pairs */
};

/* The loop thread's figures. */
extern struct loopstat loopstat;

/* Start measuring a callback: its start, to hand to loopstat_end. */
static inline mono_us loopstat_begin(void)
{
	loopstat.depth++;
	return clock_mono_us();
}

/* The callback that began at t0 ends; what names it (a static string). */
void loopstat_end(mono_us t0, const char *what);

#endif
