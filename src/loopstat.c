/*
 * loopstat.c: the longest callback of the event loop (loopstat.h).
 */
#include "loopstat.h"

struct loopstat loopstat;

void loopstat_end(mono_us t0, const char *what)
{
	if (--loopstat.depth > 0)
		return;
	loopstat.depth = 0;
	uint64_t us = clock_mono_us() - t0;
	loopstat.callbacks++;
	loopstat.total_us += us;
	if (us >= 100000)
		loopstat.over_100ms++;
	if (us > loopstat.max_us) {
		loopstat.max_us = us;
		loopstat.max_what = what;
	}
}
