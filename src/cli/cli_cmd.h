/*
 * cli_cmd.h: the commands of the wegauge tool (docs/operator.md): each reads
 * the store, SQLite or PostgreSQL, through an open read-only connection
 * (cli_db.h) into a result (cli_out.h) that the caller prints in the
 * chosen format and frees.
 *
 * Every command takes its options from struct cli_opts and the current
 * time as now (epoch seconds), read once per run, so that all windows and
 * cut-offs of a run agree. On failure a command returns -1 with one line
 * in err; the result may then hold partial sections, which the caller
 * frees without printing.
 */
#ifndef WEGAUGE_CLI_CMD_H
#define WEGAUGE_CLI_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_args.h"
#include "cli_db.h"
#include "cli_out.h"
#include "clock.h"
#include "rows.h" /* DAY_LEN, TS_LEN */

/*
 * The report's windows: the current one is the `days` UTC days ending
 * today (today included), the previous one the `days` days before it.
 */
struct cli_window {
	int days;
	char from[DAY_LEN], to[DAY_LEN];           /* current window, inclusive */
	char prev_from[DAY_LEN], prev_to[DAY_LEN]; /* previous window, inclusive */
};
void cli_window_make(wall_s now, int days, struct cli_window *w);

/*
 * With o->workspace set: 0 when the store has that workspace, else -1
 * with "no workspace NAME in the store". Without: 0.
 */
int cli_check_workspace(struct cli_db *db, const struct cli_opts *o, char *err, size_t errlen);

/*
 * status: one row per workspace (workspace, state, reason, last_success,
 * next_pull, failures, last_pull; when the store has fleet members
 * (cli_fleet.h) also owner, the member holding the workspace's unexpired
 * lease) and a summary footer. *healthy is 1 when
 * every workspace whose state is neither disabled nor removed is
 * connected (also when there is none), else 0.
 */
int cli_cmd_status(struct cli_db *db, const struct cli_opts *o, struct cli_result *r, int *healthy,
                   char *err, size_t errlen);

/*
 * report: section "channels" (CLI_SQL_REPORT_CHANNELS) and section
 * "active_users" (CLI_SQL_REPORT_ACTIVE) over the window of o->days.
 */
/*
 * Mark the change columns of a section of CLI_SQL_REPORT_CHANNELS rows
 * (columns 3, 5, ... 15) as right-aligned and attached to their totals.
 */
void cli_report_mark_changes(struct cli_section *s);

/*
 * The text of a change x (in percent) as CLI_SQL_REPORT_CHANNELS writes
 * it: "0.0%" when x rounds to zero, else SQLite's printf('%+.1f%%') of
 * round(x, 1) ("+12.5%", "-33.3%", "+1844674407370955000000.0%"), made
 * by SQLite's own printf, whose rounding (half up, after a small
 * relative nudge, on 16 significant digits) nothing else reproduces.
 * out needs CLI_CHANGE_LEN bytes.
 */
#define CLI_CHANGE_LEN 400
void cli_change_format(double x, char out[CLI_CHANGE_LEN]);

/*
 * After CLI_SQL_REPORT_CHANNELS_PG: every change cell (columns 3, 5, ...
 * 15) that holds a number, x as float8 text, becomes cli_change_format(x);
 * "new" and "-" stay. Then the section is what the SQLite form gives.
 * 0, or -1 with err (out of memory, a cell that is no number).
 */
int cli_report_changes(struct cli_section *s, char *err, size_t errlen);

/*
 * The report's channels into r as section name (title may be NULL), for
 * either store: the query, its change columns finished and marked.
 */
struct cli_section *cli_report_channels(struct cli_db *db, const struct cli_window *w,
                                        const char *workspace, struct cli_result *r,
                                        const char *name, const char *title, char *err,
                                        size_t errlen);

int cli_cmd_report(struct cli_db *db, const struct cli_opts *o, wall_s now, struct cli_result *r,
                   char *err, size_t errlen);

/*
 * seats: section "seats" (v_seat_utilization); with o->inactive_s also
 * section "inactive": the members not logged in within that time.
 */
int cli_cmd_seats(struct cli_db *db, const struct cli_opts *o, wall_s now, struct cli_result *r,
                  char *err, size_t errlen);

/* pulls: section "pulls", newest first, filtered by o->workspace, o->failed, o->last. */
int cli_cmd_pulls(struct cli_db *db, const struct cli_opts *o, struct cli_result *r, char *err,
                  size_t errlen);

/*
 * Write s[0..len-1] to f escaped for HTML text and double-quoted
 * attribute values: & < > " ' as character references, control
 * characters (but tab and newline) and invalid UTF-8 as U+FFFD, invisible
 * and bidirectional characters (textesc_invisible) as the text
 * "<U+XXXX>", as the table form shows them. Sets *failed when writing
 * failed (cli_html.c).
 */
void cli_html_escape(FILE *f, const char *s, size_t len, bool *failed);

/*
 * report --html: write the whole HTML page for the window of o->days to
 * f (see cli_html.c). 0, or -1 with err (a query failed, out of memory,
 * or writing failed).
 */
int cli_html_report(struct cli_db *db, const struct cli_opts *o, wall_s now, FILE *f, char *err,
                    size_t errlen);

#endif
