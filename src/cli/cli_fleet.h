/*
 * cli_fleet.h: `wegauge fleet`, the members of a fleet of wegauged that
 * share a PostgreSQL store (docs/operations.md, "Running a fleet"), and
 * the fleet's part of `wegauge status` (each workspace's owner).
 *
 * Every age and expiry is the database server's clock (now() of the
 * run's transaction), as the daemon's heartbeats and leases are: the
 * host the tool runs on may be off. On SQLite (the fleet's tables exist
 * there, always empty) and on a PostgreSQL store whose fleet_member is
 * empty, there is no fleet: the command says so in one line and
 * succeeds.
 */
#ifndef WEGAUGE_CLI_FLEET_H
#define WEGAUGE_CLI_FLEET_H

#include <stdbool.h>
#include <stddef.h>

#include "cli_args.h"
#include "cli_db.h"
#include "cli_out.h"

/* The line printed when the store has no fleet members. */
#define CLI_FLEET_NONE                                                                             \
	"no fleet is registered in this store (a fleet needs the PostgreSQL store and [fleet])"

/* The columns of section "fleet", in order (CLI_SQL_FLEET). */
enum cli_fleet_col {
	CLI_FLEET_MEMBER = 0,
	CLI_FLEET_AGE,
	CLI_FLEET_LIVE,
	CLI_FLEET_LEASE,
	CLI_FLEET_WORKSPACES,
	CLI_FLEET_OWNED,
	CLI_FLEET_FINGERPRINT,
	CLI_FLEET_NCOLS
};

/*
 * After the fleet query: when the live members (column live "yes") do
 * not all have the same fingerprint, write the warning line (no trailing
 * newline) naming that they run different configurations into note and
 * return true; else note is "" and false. s has the columns of
 * cli_fleet_col.
 */
bool cli_fleet_mismatch(const struct cli_section *s, char *note, size_t notelen);

/*
 * True when the store has fleet members (CLI_SQL_FLEET_ANY); *err set and
 * -1 returned when the query failed, else 0 with *any set.
 */
int cli_fleet_any(struct cli_db *db, bool *any, char *err, size_t errlen);

/*
 * fleet: section "fleet" into r, one row per member (cli_fleet_col). note
 * (notelen bytes) gets what the caller must print besides the rows:
 * CLI_FLEET_NONE when there is no member (*none set: the table format
 * prints only that line), or the warning of cli_fleet_mismatch, which in
 * the table format is also the section's footer (then the caller prints
 * it nowhere else); else "". 0, or -1 with err.
 */
int cli_cmd_fleet(struct cli_db *db, const struct cli_opts *o, struct cli_result *r, bool *none,
                  char *note, size_t notelen, char *err, size_t errlen);

#endif
