/*
 * fdlimit.h: the daemon's budget of file descriptors, and RLIMIT_NOFILE.
 *
 * wegauged bounds what it holds open, so it can say how many descriptors
 * a configuration needs and check, at start and at each reload, that the
 * process may open that many, instead of finding out at the worst time
 * (an accept, a connect or a store write failing with EMFILE). The budget:
 *
 *   fixed    FDLIMIT_FIXED: standard streams, the loop's epoll and signal
 *            pipe, the worker's eventfd, curl's wake-up pair, the journal
 *            and notify sockets, and the files a reload reads one at a
 *            time (configuration, include_dir, a key file, the CA file);
 *   store    FDLIMIT_STORE: the database, its -wal, its -shm and a
 *            rollback journal or temporary file;
 *   HTTP     3 x max_in_flight + max_per_host: curl's connection cache
 *            holds at most max_in_flight + max_per_host connections
 *            (CURLMOPT_MAXCONNECTS), and each running transfer may hold
 *            two more while it resolves (the threaded resolver's socket
 *            pair) or tries a second address;
 *   metrics  METRICS_MAX_CONNECTIONS + 1 (the listening socket) when
 *            metrics_listen is set, else 0.
 *
 * The soft limit is raised to the budget when it is lower (never lowered,
 * never above the hard limit); a hard limit below the budget is refused
 * with a message naming every number. The systemd unit's LimitNOFILE=
 * sets both limits (systemd/wegauged.service).
 */
#ifndef WEGAUGE_FDLIMIT_H
#define WEGAUGE_FDLIMIT_H

#include <stdbool.h>
#include <stddef.h>

struct config;

#define FDLIMIT_FIXED 32
#define FDLIMIT_STORE 4

struct fdlimit_budget {
	int max_in_flight, max_per_host; /* from the configuration */
	int fixed, store, http, metrics;
	int total;
};

/* The budget of configuration c; listener: the metrics listener will run. */
void fdlimit_budget_of(const struct config *c, bool listener, struct fdlimit_budget *b);

/*
 * Check the process's RLIMIT_NOFILE against b. Returns 0 when the soft
 * limit already holds the budget; 1 when only the soft limit was too low
 * and, with raise, it was raised to b->total (*old_soft gets the limit
 * before); -1 with a message in err naming the numbers when the hard limit
 * is below the budget or the raise failed.
 */
int fdlimit_check(const struct fdlimit_budget *b, bool raise, long *old_soft, char *err,
                  size_t errlen);

#endif
