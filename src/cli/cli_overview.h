/*
 * cli_overview.h: `wegauge overview`, every workspace of the store at once
 * (docs/operator.md, `wegauge`; docs/operations.md, "Reading the overview").
 *
 * The overview answers, across the workspaces that are not removed (or
 * the one of --workspace), the ranked questions of a SaaS-management team:
 *  - seats: seats, active within 30/60/90 days, never logged in, unused
 *    (seats - active within 30 days: the seats that could be cut) and
 *    utilization (active within 30 days / seats); with the workspace's
 *    seat_price (schema 004-overview.sql) the monthly cost of its unused
 *    seats, unused * seat_price, rounded to cents. Without a price there
 *    is no cost (NULL), and when no workspace has one the columns are
 *    absent;
 *  - channels: the channels known in the overview (every channel but
 *    OVERALL with a deliveries row in either window, in any workspace
 *    shown); per workspace those with no delivery in the current window
 *    (unused), and the one whose deliveries fell most against the
 *    previous window (the largest relative fall; ties: the larger fall in
 *    deliveries, then the name); per channel how many workspaces used it
 *    and how many did not. A workspace without any deliveries row in
 *    either window (never pulled, disabled, refused) has no channel
 *    figures: nothing says what it uses, and it is not counted as not
 *    using a channel;
 *  - health: auth_failed (a reconnect is needed) and failing, each since
 *    its first failed pull after the last successful one; stale: a
 *    connected or pending workspace whose last success is older than two
 *    of its intervals (interval_s of its row; 1h, the daemon's default,
 *    where the row has none), since that success; disabled;
 *  - trend: deliveries in the window against the previous window (the
 *    workspace's OVERALL, the API's total of its channels; the sum of its
 *    channels where it has no OVERALL row) and the mean daily active users
 *    (DAU of all platforms added up, over the days that have one), each
 *    with its change in percent (NULL when the previous window is 0).
 * Figures are computed in C from the same cells on both stores (totals as
 * doubles: exact for integer totals below 2^53), so that both print the
 * same bytes. Percentages are rounded half away from zero to one decimal.
 */
#ifndef WEGAUGE_CLI_OVERVIEW_H
#define WEGAUGE_CLI_OVERVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_args.h"
#include "cli_cmd.h"
#include "cli_db.h"
#include "cli_out.h"

/* The interval of a workspace whose row has no interval_s (the daemon's default). */
#define CLI_OV_DEFAULT_INTERVAL_S 3600
/*
 * The most points of a sparkline: a window of more days draws buckets of
 * ceil(days / CLI_OV_SPARK_POINTS) days, so that the page's daily rows
 * stay at most this many per workspace (for 10,000 workspaces within
 * CLI_MAX_ROWS, whatever --days).
 */
#define CLI_OV_SPARK_POINTS 60
/* Rows of each ranking of the HTML page unless --limit says otherwise. */
#define CLI_OV_HTML_LIMIT 25

/* Health of a workspace, in the order of the health ranking. */
enum ov_health { OV_OK = 0, OV_AUTH_FAILED, OV_FAILING, OV_STALE, OV_DISABLED };

/* One workspace of the overview. Text points into the overview's raw result. */
struct ov_ws {
	const char *name, *state, *reason, *last_success, *since, *currency;
	bool has_price;
	double price;
	int64_t interval_s;
	int64_t seats, a30, a60, a90, never, unused;
	bool has_util;
	double util;
	double cost; /* with has_price: unused * price, rounded to cents */
	enum ov_health health;
	const char *health_since; /* NULL when not known */
	double del_cur, del_prev, ch_cur, ch_prev;
	bool has_overall;
	bool has_stats; /* a deliveries row in either window: its channels can be judged */
	double dau_cur, dau_prev;
	int64_t dau_cur_days, dau_prev_days;
	size_t n_unused;
	char *unused_list; /* "EMAIL, SMS" (malloc'd) or NULL when none */
	const char *falling;
	double falling_pct, falling_drop;
	size_t day_first, day_n; /* its rows in the daily section (HTML) */
};

/* One channel across the workspaces shown. */
struct ov_channel {
	const char *name;
	int64_t using; /* workspaces with deliveries in the window */
	double cur, prev;
};

struct overview {
	struct cli_result raw; /* the queries' results: owns every text */
	struct cli_window w;
	wall_s now;
	struct ov_ws *ws; /* by name */
	size_t n;
	struct ov_channel *ch; /* by name */
	size_t nch;
	size_t n_stats; /* workspaces with has_stats */
	bool any_price;
	const struct cli_section *daily; /* HTML: workspace, bucket, deliveries */
	int spark_days;                  /* HTML: days per bucket of daily */
};

/*
 * Read and compute the overview of o (o->days, o->workspace) at now into
 * *ov (zeroed first); with daily, also each workspace's deliveries per
 * day of the window (for the HTML sparklines). 0, or -1 with err; either
 * way release *ov with cli_overview_free.
 */
int cli_overview_load(struct cli_db *db, const struct cli_opts *o, wall_s now, bool daily,
                      struct overview *ov, char *err, size_t errlen);
void cli_overview_free(struct overview *ov);

/* x rounded half away from zero to one decimal; -0.0 becomes 0.0. */
double cli_ov_round1(double x);
/* The change of cur against prev in percent, rounded (cli_ov_round1); false when prev <= 0. */
bool cli_ov_change(double cur, double prev, double *pct);
/* The mean DAU of a window: sum / days rounded to one decimal; false without days. */
bool cli_ov_mean(double sum, int64_t days, double *mean);
/* The name of a health ("auth_failed", ...; "" for OV_OK). */
const char *cli_ov_health_name(enum ov_health h);

/*
 * The ranked order of ov's workspaces for one ranking ("seats", "trend",
 * "channels", "health") under the sort key o->sort (cli_args.h; NULL: the
 * ranking's own): a malloc'd array of indexes into ov->ws (*n of them:
 * for "health" only the workspaces with a health, else all), or NULL
 * when out of memory. Orders (ties: by name):
 *   seats: the cost of the unused seats, highest first (workspaces
 *     without a price last, by unused seats), when any workspace has a
 *     price, else the unused seats, most first; --sort unused or cost
 *     chooses; utilization: lowest first (without seats last); name;
 *   trend: the change of deliveries, the largest fall first (no previous
 *     deliveries last); --sort dau: the change of the mean DAU; name;
 *   channels: unused channels, most first, then the falling channel's
 *     change, the largest fall first; name;
 *   health: auth_failed, failing, stale, disabled, each the oldest since
 *     first (unknown last); name.
 */
size_t *cli_ov_rank(const struct overview *ov, const char *ranking, const char *sort, size_t *n);

/*
 * overview: sections summary (figure, value, unit: every total),
 * health, seats, trend, channels (each ranked by cli_ov_rank, at most
 * the limit of o: --limit, else CLI_LIMIT_TABLE rows in the table format
 * and all in csv and json; 0 all) and channel_totals, into r.
 */
int cli_cmd_overview(struct cli_db *db, const struct cli_opts *o, wall_s now, struct cli_result *r,
                     char *err, size_t errlen);

/* The sections of cli_cmd_overview for a loaded ov, each ranking at most limit rows (0: all). */
int cli_overview_sections(const struct overview *ov, const struct cli_opts *o, size_t limit,
                          struct cli_result *r, char *err, size_t errlen);

/*
 * overview --html: the page of ov (loaded with daily) to f. links: the
 * directory (relative to the page, e.g. "w/") of one page per workspace,
 * NAME.html, that the workspace names link to; NULL for no links. 0, or
 * -1 with err (out of memory, writing failed).
 */
int cli_overview_html(const struct overview *ov, const struct cli_opts *o, const char *links,
                      FILE *f, char *err, size_t errlen);

#endif
