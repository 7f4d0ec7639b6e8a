/*
 * daemon.h: wegauged's run time: the one event loop and everything on it.
 *
 * daemon_run() owns, for the life of the process: the libevent base, the
 * configuration, the store connection, the HTTP engine, the scheduler and
 * the workspaces. It reads the configuration, opens the store, schedules
 * every enabled workspace and turns the loop until it is told to stop
 * (SIGTERM/SIGINT) or, with --once, until every chosen workspace had its
 * pull. Signals arrive as libevent events, so handlers run on the loop
 * like everything else.
 */
#ifndef WEGAUGE_DAEMON_H
#define WEGAUGE_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#include "pull_status.h"

struct daemon;
struct event_base;
struct ws;
struct store;
struct http;
struct config;
struct budget;
struct metrics;

struct daemon_args {
	const char *config_path;
	bool once;
	char **only; /* --workspace NAME, repeatable; NULL/0 = all */
	size_t n_only;
};

/* Exit codes (docs/operator.md). */
#define EXIT_RUNTIME 1
#define EXIT_CONFIG  78

/* Run until stopped. Returns the process exit status. */
int daemon_run(const struct daemon_args *args);

/* The daemon's loop, store, HTTP engine and configuration, for pull.c. */
struct event_base *daemon_base(struct daemon *d);
struct store *daemon_store(struct daemon *d);
struct http *daemon_http(struct daemon *d);
const struct config *daemon_config(struct daemon *d);
struct budget *daemon_budget(struct daemon *d);
struct metrics *daemon_metrics(struct daemon *d);
/* The thread that parses answers off the loop (worker.h). */
struct worker *daemon_worker(struct daemon *d);
/* Whether the store may be written now (storegate.h). */
struct storegate *daemon_gate(struct daemon *d);

/*
 * w's pull (pull_work) or only its row was written into the store's open
 * group of writes.
 * If that group then fails to commit, everything of it is lost: the daemon
 * cancels w's running pull, marks w failing and pulls it again (backoff
 * applies). Called by pull.c after each store write that succeeded.
 */
void daemon_group_note(struct daemon *d, struct ws *w, bool pull_work);

/*
 * Called by pull.c when the credential probe of w's pull accepted the key:
 * a pending workspace is connected from now on (its row says so at once,
 * so that `wegauge connect` need not wait for the whole first pull); the
 * pull's end decides the state after that.
 */
void daemon_pull_probed(struct daemon *d, struct ws *w);

/*
 * Called by pull.c when w's pull ended with status (never PULL_CANCELLED)
 * and error (NULL when none). Updates state, counters and the schedule.
 */
void daemon_pull_done(struct daemon *d, struct ws *w, enum pull_status status, const char *error);

/*
 * Called by pull.c when a pull leaves the HTTP engine to wait on a timer
 * (a backoff, a rate-limit hold): there may be room to start a pull that
 * was held back (see "Admission" in daemon.c).
 */
void daemon_pull_room(struct daemon *d);

#endif
