/*
 * cli_seen.h: what the store says of one workspace, for connect,
 * reconnect and disconnect to wait on the daemon's verdict.
 *
 * Each look opens the store read-only (cli_db_open: a SQLite file or a
 * PostgreSQL database), reads the workspace row and its newest pull in
 * one snapshot, and closes it again, so that a waiting command holds
 * nothing between looks and sees a store that the daemon creates while it
 * waits. Its texts are escaped for a terminal
 * (textesc.h, TEXTESC_VISIBLE), since a reason may quote the API.
 */
#ifndef WEGAUGE_CLI_SEEN_H
#define WEGAUGE_CLI_SEEN_H

#include <stdbool.h>
#include <stdint.h>

#include "secret.h"

struct cli_seen {
	bool store;       /* the store could be read; else why says why not */
	bool row;         /* the workspace has a row */
	char state[16];   /* row only */
	char reason[256]; /* "" when none; cut to fit */
	char fingerprint[SECRET_FP_LEN];
	int64_t pull_id; /* its newest pull, 0 when none */
	char pull_status[16];
	int64_t pull_rows;
	char pull_error[256];
	char why[512];
};

/*
 * Look at workspace name in the store that database names (a path or a
 * PostgreSQL connection string; password as cli_db_open takes it, may be
 * NULL). Never fails: see out->store.
 */
void cli_seen_look(const char *database, const char *password, const char *name,
                   struct cli_seen *out);

#endif
