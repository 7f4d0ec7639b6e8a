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

#endif
