/*
 * cli_connect.h: `wegauge connect | reconnect | disconnect NAME`, the
 * operator's front door (docs/operator.md, wegauge(1)).
 *
 * Each command is one transaction over the configuration:
 *  1. check that the user may write include_dir (and key_dir), read the
 *     new API key if there is one, take the lock on include_dir (two runs
 *     at once are serialised), and load the configuration as it is with
 *     the daemon's own config_load: an invalid one is refused before
 *     anything is written;
 *  2. write <include_dir>/NAME.conf and the key file, or edit or remove
 *     them, each atomically (cli_ftx.h);
 *  3. load the whole configuration again, as `wegauged -t` would; if
 *     anything is wrong, put every file back as it was and exit 78 naming
 *     file:line;
 *  4. reload the daemon (systemd, a SIGHUP to --pid, or not at all);
 *  5. wait, reading the store, for the daemon's verdict on the workspace:
 *     connected, auth_failed (with WebEngage's reason and what to do),
 *     or removed for disconnect.
 * Signals that would end the process are held from the first write to the
 * reload, so that nothing is ever half-written. The key is never an
 * argument, never printed; its fingerprint is.
 */
#ifndef WEGAUGE_CLI_CONNECT_H
#define WEGAUGE_CLI_CONNECT_H

#include <stdio.h>

#include "cli_args.h"

#define CLI_EXIT_CONFIG 78 /* EX_CONFIG: the configuration would be invalid */

/*
 * Run o->cmd (connect, reconnect or disconnect) for o->name. The key, when
 * needed and not in --key-file, is read from in. Progress and the verdict
 * go to out, errors (one line each, "wegauge: ...") to errf. Returns the
 * exit status: 0 done (connected, or removed); 1 a failure, a refused key
 * or no verdict in time (nothing is left half-done); 78 the configuration
 * is or would be invalid (nothing changed).
 */
int cli_connect_run(const struct cli_opts *o, FILE *in, FILE *out, FILE *errf);

#endif
