/*
 * fdlimit.c: the descriptor budget of fdlimit.h and the RLIMIT_NOFILE
 * check. Pure arithmetic plus getrlimit/setrlimit; no state.
 */
#include "fdlimit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "metrics.h"

void fdlimit_budget_of(const struct config *c, bool listener, struct fdlimit_budget *b)
{
	b->max_in_flight = c->max_in_flight;
	b->max_per_host = c->max_per_host;
	b->fixed = FDLIMIT_FIXED;
	b->store = FDLIMIT_STORE;
	b->http = 3 * c->max_in_flight + c->max_per_host; /* <= 4 x 4096 by config_table.c */
	b->metrics = listener ? METRICS_MAX_CONNECTIONS + 1 : 0;
	b->total = b->fixed + b->store + b->http + b->metrics;
}

/* "needs N (...)" with every part, into buf. */
static void describe(const struct fdlimit_budget *b, char *buf, size_t len)
{
	snprintf(buf, len,
	         "needs %d descriptors (%d fixed, %d store, %d HTTP = 3 x max_in_flight %d + "
	         "max_per_host %d, %d metrics listener = %d connections + 1)",
	         b->total, b->fixed, b->store, b->http, b->max_in_flight, b->max_per_host,
	         b->metrics, b->metrics ? b->metrics - 1 : 0);
}

int fdlimit_check(const struct fdlimit_budget *b, bool raise, long *old_soft, char *err,
                  size_t errlen)
{
	char what[256];
	describe(b, what, sizeof(what));
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "the configuration %s; getrlimit(RLIMIT_NOFILE): %s", what,
		         strerror(errno));
		return -1;
	}
	rlim_t need = (rlim_t)b->total;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		snprintf(err, errlen,
		         "the configuration %s, but the hard limit on open files (RLIMIT_NOFILE) "
		         "is %llu: raise it to at least %d (LimitNOFILE= in the unit, `systemctl "
		         "edit wegauged`; or ulimit -Hn), or lower max_in_flight or max_per_host",
		         what, (unsigned long long)rl.rlim_max, b->total);
		return -1;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	if (old_soft)
		*old_soft = (long)rl.rlim_cur;
	if (!raise)
		return 1;
	struct rlimit nl = {.rlim_cur = need, .rlim_max = rl.rlim_max};
	if (setrlimit(RLIMIT_NOFILE, &nl) != 0) {
		snprintf(err, errlen,
		         "the configuration %s, but the soft limit on open files (RLIMIT_NOFILE) "
		         "is %llu and raising it failed: %s; set LimitNOFILE= to at least %d",
		         what, (unsigned long long)rl.rlim_cur, strerror(errno), b->total);
		return -1;
	}
	return 1;
}
