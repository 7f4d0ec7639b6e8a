/*
 * cli_cmd.c: status, report, seats and pulls (cli_cmd.h).
 *
 * Each command is one or two queries of cli_sql.h (cli_sql_pg.h on
 * PostgreSQL) with its options bound as parameters, never pasted into SQL
 * text; what the tool adds in C is only what SQL cannot say well: the
 * report's window days, the seats cut-off instant, the status summary and
 * verdict, and, on PostgreSQL, the report's change texts in SQLite's
 * rounding.
 */
#include "cli_cmd.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cli_db.h"
#include "cli_fleet.h"
#include "cli_sql.h"
#include "cli_sql_pg.h"
#include "errbuf.h"
#include "ts.h"
#include "units.h"
#include "ws_state.h"

void cli_window_make(wall_s now, int days, struct cli_window *w)
{
	const int64_t day = 86400;
	int64_t today = now - ((now % day) + day) % day; /* 00:00Z of today */
	w->days = days;
	ts_format_day(today, w->to);
	ts_format_day(today - (int64_t)(days - 1) * day, w->from);
	ts_format_day(today - (int64_t)days * day, w->prev_to);
	ts_format_day(today - (int64_t)(2 * days - 1) * day, w->prev_from);
}

static struct cli_bind bind_text(const char *s)
{
	return (struct cli_bind){.kind = s ? CLI_BIND_TEXT : CLI_BIND_NULL, .s = s};
}

static struct cli_bind bind_int(int64_t v)
{
	return (struct cli_bind){.kind = CLI_BIND_INT, .i = v};
}

int cli_check_workspace(struct cli_db *db, const struct cli_opts *o, char *err, size_t errlen)
{
	if (o->workspace == NULL)
		return 0;
	struct cli_result r = {0};
	struct cli_bind b[] = {bind_text(o->workspace)};
	struct cli_section *s = cli_db_query(db, &r, "workspace", NULL,
	                                     CLI_QUERY(CLI_SQL_WS_EXISTS), b, 1, err, errlen);
	int rc = s == NULL ? -1 : 0;
	if (s != NULL && s->nrows == 0) {
		snprintf(err, errlen, "no workspace %s in the store", o->workspace);
		rc = -1;
	}
	cli_result_free(&r);
	return rc;
}

/* The states of docs/operator.md, in the order the summary lists them (ws_state.h's). */
static const char *const states[WS_STATE_COUNT] = WS_STATE_NAMES;
#define N_STATES (sizeof(states) / sizeof(states[0]))

int cli_cmd_status(struct cli_db *db, const struct cli_opts *o, struct cli_result *r, int *healthy,
                   char *err, size_t errlen)
{
	bool fleet = false;
	if (cli_fleet_any(db, &fleet, err, errlen) != 0)
		return -1;
	struct cli_bind b[] = {bind_text(o->workspace)};
	struct cli_section *s =
	        cli_db_query(db, r, "status", NULL,
	                     fleet ? CLI_QUERY(CLI_SQL_STATUS_FLEET) : CLI_QUERY(CLI_SQL_STATUS), b,
	                     1, err, errlen);
	if (s == NULL)
		return -1;
	size_t count[N_STATES] = {0}, other = 0, bad = 0;
	for (size_t row = 0; row < s->nrows; row++) {
		const struct cli_cell *c = cli_section_cell(s, row, 1);
		const char *st = c->kind == CLI_TEXT ? c->s : "";
		size_t k = 0;
		while (k < N_STATES && strcmp(st, states[k]) != 0)
			k++;
		if (k < N_STATES)
			count[k]++;
		else
			other++;
		if (strcmp(st, "connected") != 0 && strcmp(st, "disabled") != 0 &&
		    strcmp(st, "removed") != 0)
			bad++;
	}
	*healthy = bad == 0;

	char line[512];
	size_t n = (size_t)snprintf(line, sizeof(line), "%zu workspace%s", s->nrows,
	                            s->nrows == 1 ? "" : "s");
	const char *sep = ": ";
	for (size_t k = 0; k < N_STATES; k++) {
		if (count[k] == 0)
			continue;
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%zu %s", sep, count[k],
		                      states[k]);
		sep = ", ";
	}
	if (other > 0)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%zu other", sep, other);
	if (bad == 0)
		snprintf(line + n, sizeof(line) - n, "; every enabled workspace is connected");
	else
		snprintf(line + n, sizeof(line) - n, "; %zu enabled workspace%s not connected", bad,
		         bad == 1 ? " is" : "s are");
	if (cli_section_set_footer(s, line) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void cli_report_mark_changes(struct cli_section *s)
{
	/* Columns 3, 5, ..., 15 are the changes: right-aligned, beside their totals. */
	for (size_t c = 3; c < s->ncols; c += 2) {
		s->right |= 1u << c;
		s->attach |= 1u << c;
	}
}

void cli_change_format(double x, char out[CLI_CHANGE_LEN])
{
	/*
	 * round(x, 1) as SQLite's round() computes it (func.c, roundFunc): a
	 * value beyond 2^52 has no fraction to round; else the text of
	 * printf("%.1f") read back.
	 */
	double r = x;
	if (!(r < -4503599627370496.0 || r > 4503599627370496.0)) {
		char *t = sqlite3_mprintf("%.1f", r);
		if (t != NULL)
			r = strtod(t, NULL);
		sqlite3_free(t);
	}
	if (r == 0)
		snprintf(out, CLI_CHANGE_LEN, "0.0%%");
	else
		sqlite3_snprintf(CLI_CHANGE_LEN, out, "%+.1f%%", r);
}

int cli_report_changes(struct cli_section *s, char *err, size_t errlen)
{
	for (size_t row = 0; row < s->nrows; row++) {
		for (size_t c = 3; c < s->ncols; c += 2) {
			struct cli_cell *cell = cli_section_cell(s, row, c);
			if (cell->kind != CLI_TEXT || strcmp(cell->s, "new") == 0 ||
			    strcmp(cell->s, "-") == 0)
				continue;
			char *end = NULL;
			double x = strtod(cell->s, &end);
			if (end == cell->s || *end != '\0') {
				errbuf_set(err, errlen, "%s: a change that is not a number",
				           s->name);
				return -1;
			}
			char text[CLI_CHANGE_LEN];
			cli_change_format(x, text);
			if (cli_cell_set_text(cell, text, strlen(text)) != 0) {
				errbuf_set(err, errlen, "%s: out of memory", s->name);
				return -1;
			}
		}
	}
	return 0;
}

struct cli_section *cli_report_channels(struct cli_db *db, const struct cli_window *w,
                                        const char *workspace, struct cli_result *r,
                                        const char *name, const char *title, char *err,
                                        size_t errlen)
{
	struct cli_bind b[] = {bind_text(w->from), bind_text(w->to), bind_text(w->prev_from),
	                       bind_text(w->prev_to), bind_text(workspace)};
	struct cli_section *s = cli_db_query(db, r, name, title, CLI_QUERY(CLI_SQL_REPORT_CHANNELS),
	                                     b, 5, err, errlen);
	if (s == NULL)
		return NULL;
	if (cli_db_is_pg(db) && cli_report_changes(s, err, errlen) != 0)
		return NULL;
	cli_report_mark_changes(s);
	return s;
}

int cli_cmd_report(struct cli_db *db, const struct cli_opts *o, wall_s now, struct cli_result *r,
                   char *err, size_t errlen)
{
	struct cli_window w;
	cli_window_make(now, o->days, &w);
	char title[160];
	snprintf(title, sizeof(title), "Channels, %s .. %s (%d day%s), change against %s .. %s",
	         w.from, w.to, w.days, w.days == 1 ? "" : "s", w.prev_from, w.prev_to);
	if (cli_report_channels(db, &w, o->workspace, r, "channels", title, err, errlen) == NULL)
		return -1;
	snprintf(title, sizeof(title), "Active users, the latest day of each platform in %s .. %s",
	         w.from, w.to);
	struct cli_bind a[] = {bind_text(w.from), bind_text(w.to), bind_text(o->workspace)};
	if (cli_db_query(db, r, "active_users", title, CLI_QUERY(CLI_SQL_REPORT_ACTIVE), a, 3, err,
	                 errlen) == NULL)
		return -1;
	return 0;
}

int cli_cmd_seats(struct cli_db *db, const struct cli_opts *o, wall_s now, struct cli_result *r,
                  char *err, size_t errlen)
{
	bool two = o->inactive_s > 0;
	struct cli_bind b[] = {bind_text(o->workspace)};
	if (cli_db_query(db, r, "seats", two ? "Seats" : NULL, CLI_QUERY(CLI_SQL_SEATS), b, 1, err,
	                 errlen) == NULL)
		return -1;
	if (!two)
		return 0;
	char cutoff[TS_LEN], at[TS_LEN], dur[UNITS_BUF_LEN], title[128];
	ts_format(now - o->inactive_s, cutoff);
	ts_format(now, at);
	units_format_duration(o->inactive_s * 1000, dur, sizeof(dur));
	snprintf(title, sizeof(title), "Members not logged in within %s, or never", dur);
	struct cli_bind c[] = {bind_text(cutoff), bind_text(at), bind_text(o->workspace)};
	if (cli_db_query(db, r, "inactive", title, CLI_QUERY(CLI_SQL_INACTIVE), c, 3, err,
	                 errlen) == NULL)
		return -1;
	return 0;
}

int cli_cmd_pulls(struct cli_db *db, const struct cli_opts *o, struct cli_result *r, char *err,
                  size_t errlen)
{
	struct cli_bind b[] = {bind_text(o->workspace), bind_int(o->failed ? 1 : 0),
	                       bind_int(o->last)};
	struct cli_section *s =
	        cli_db_query(db, r, "pulls", NULL, CLI_QUERY(CLI_SQL_PULLS), b, 3, err, errlen);
	return s != NULL ? 0 : -1;
}
