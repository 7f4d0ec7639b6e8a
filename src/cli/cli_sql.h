/*
 * cli_sql.h: every SQL text of the wegauge tool, in one place.
 *
 * The tool reads the tables and views of schema/ (001-initial.sql,
 * v_feature_usage_30d as 002-overflow-safe-totals.sql redefines it, and
 * the workspace columns and index of 004-overview.sql, the fleet's tables
 * of 005-fleet.sql) and never writes. Column names given with AS are the names of the output
 * columns (table header, CSV header, JSON keys), so they are part of the
 * tool's interface. Days and instants are bound by the caller, computed
 * once per run from one clock reading, so that every query of a run sees
 * the same window.
 */
#ifndef WEGAUGE_CLI_SQL_H
#define WEGAUGE_CLI_SQL_H

/* The connection (cli_db.c): no writes, and one read snapshot per run. */
#define CLI_SQL_QUERY_ONLY "PRAGMA query_only = ON"
#define CLI_SQL_BEGIN      "BEGIN"
#define CLI_SQL_COMMIT     "COMMIT"

/*
 * "col is the workspace p, or p is NULL", in a form the planner can seek
 * in an index that starts with col: every workspace name is 1 to 64 of
 * A-Z a-z 0-9 . _ - (the CHECK of 001-initial.sql), all of them between
 * '' and '~' in byte order, so with p NULL the range holds every name and
 * with a name exactly that one. "p IS NULL OR col = p" reads every row of
 * a table for one workspace (a whole 10,000-workspace store for one
 * workspace's report).
 */
#define CLI_SQL_WS_IS(col, p) " " col " BETWEEN coalesce(" p ", '') AND coalesce(" p ", '~')"

/* ?1: workspace name. One row when it is in the store. */
#define CLI_SQL_WS_EXISTS "SELECT 1 FROM workspace WHERE name = ?1"

/* connect, reconnect, disconnect: ?1 workspace name. Its row, when there is one. */
#define CLI_SQL_SEEN_WS "SELECT state, state_reason, key_fingerprint FROM workspace WHERE name = ?1"

/* ... and its newest pull, when there is one. */
#define CLI_SQL_SEEN_PULL                                                                          \
	"SELECT id, status, rows, error FROM pull WHERE workspace = ?1 ORDER BY id DESC LIMIT 1"

/* status. ?1: workspace name or NULL for all. */
#define CLI_SQL_STATUS_COLS                                                                        \
	"SELECT workspace, state, state_reason AS reason, last_success_at AS last_success,"        \
	" next_pull_at AS next_pull, consecutive_failures AS failures,"                            \
	" last_pull_status AS last_pull"
#define CLI_SQL_STATUS_FROM                                                                        \
	" FROM v_workspace_health WHERE ?1 IS NULL OR workspace = ?1 ORDER BY workspace"
#define CLI_SQL_STATUS CLI_SQL_STATUS_COLS CLI_SQL_STATUS_FROM

/* The instant now as the store writes instants (text, UTC, seconds). */
#define CLI_SQL_NOW "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

/*
 * A row when the store has fleet members (schema/005-fleet.sql: on
 * SQLite never; a fleet needs PostgreSQL).
 */
#define CLI_SQL_FLEET_ANY "SELECT 1 FROM fleet_member LIMIT 1"

/*
 * status in a fleet: CLI_SQL_STATUS and a last column owner, the member
 * holding the workspace's unexpired lease (NULL when none does).
 */
#define CLI_SQL_STATUS_FLEET                                                                       \
	CLI_SQL_STATUS_COLS ", (SELECT l.member FROM fleet_lease AS l"                             \
	                    " WHERE l.workspace = v_workspace_health.workspace"                    \
	                    " AND l.expires_at > " CLI_SQL_NOW ") AS owner" CLI_SQL_STATUS_FROM

/*
 * fleet: one row per member of fleet_member, by name: the whole seconds
 * since its heartbeat (never below 0), live ('yes' while that age is
 * below its lease, else 'no'), its lease in seconds (an integer when
 * whole), the workspaces it has configured, the unexpired leases it
 * holds, its configuration's fingerprint.
 */
#define CLI_SQL_FLEET                                                                              \
	"SELECT m.name AS member,"                                                                 \
	" max(0, CAST(strftime('%s', 'now') AS INTEGER)"                                           \
	"  - CAST(strftime('%s', m.heartbeat_at) AS INTEGER)) AS heartbeat_age_s,"                 \
	" CASE WHEN (julianday('now') - julianday(m.heartbeat_at)) * 86400000.0 < m.lease_ms"      \
	" THEN 'yes' ELSE 'no' END AS live,"                                                       \
	" CASE WHEN m.lease_ms % 1000 = 0 THEN m.lease_ms / 1000 ELSE m.lease_ms / 1000.0 END"     \
	" AS lease_s, m.workspaces AS workspaces,"                                                 \
	" (SELECT count(*) FROM fleet_lease AS l WHERE l.member = m.name"                          \
	"  AND l.expires_at > " CLI_SQL_NOW ") AS owned,"                                          \
	" m.fingerprint AS fingerprint FROM fleet_member AS m ORDER BY m.name"

/*
 * The total of the values of a group of feature_usage_daily rows, by the
 * rule of docs/operator.md ("Totals"): NULL without a value; a real
 * (total()) when a value is a real; else the exact integer sum when it
 * fits in 64 bits and a real when it does not, where sum() would stop the
 * whole query with "integer overflow". Each integer v is added as v >> 32
 * and v & 0xffffffff, sums that cannot overflow; then (hi + carry) * 2^32
 * + lo is an integer exactly when the total fits, since SQLite's * and +
 * give a real instead of failing. schema/002-overflow-safe-totals.sql
 * defines v_feature_usage_30d with the same expression.
 */
#define CLI_SQL_TOTAL                                                                              \
	"CASE WHEN count(value) = 0 THEN NULL"                                                     \
	" WHEN count(CASE WHEN typeof(value) NOT IN ('integer', 'null') THEN 1 END) > 0"           \
	" THEN total(value)"                                                                       \
	" ELSE (sum(value >> 32) + (sum(value & 4294967295) >> 32)) * 4294967296"                  \
	"  + (sum(value & 4294967295) & 4294967295) END"

/* The rows of the report's two windows, ?1 .. ?2 (current) and ?3 .. ?4, of workspace ?5. */
#define CLI_SQL_WINDOWS                                                                            \
	" FROM feature_usage_daily WHERE (day BETWEEN ?1 AND ?2 OR day BETWEEN ?3 AND ?4)"         \
	" AND" CLI_SQL_WS_IS("workspace", "?5")

/* Metric m's total (c) and change (chg) as columns m and m_change of the report. */
#define CLI_SQL_PIVOT(m)                                                                           \
	" max(CASE WHEN metric = '" m "' THEN c END) AS " m ","                                    \
	" coalesce(max(CASE WHEN metric = '" m "' THEN chg END), '-') AS " m "_change,"

/*
 * report, channels: per workspace and channel seen in either window, the
 * totals of the current window (?1 .. ?2) as v_feature_usage_30d defines
 * them, each followed by its change against the previous window
 * (?3 .. ?4). ?5: workspace name or NULL. A channel seen only in the
 * previous window has NULL totals, 0 active days and "-100.0%".
 *
 * t: per workspace, channel, metric and window (cur 1 or 0) the total v
 * (CLI_SQL_TOTAL), and, as the rows whose metric is NULL (no stored row
 * has one), the active days: days with nonzero deliveries or users.
 * m: per workspace, channel and metric the current total c and its
 * change: "+12.5%" / "-3.0%" / "0.0%" (one decimal, against the absolute
 * previous total p, made a real first since abs() fails on the integer
 * -2^63), "new" when p is 0 or absent and c is not, "-" when both are 0
 * or absent (also for a metric without rows).
 * Then one row per workspace and channel, a column pair per metric.
 */
/* clang-format off */
#define CLI_SQL_REPORT_CHANNELS                                                                    \
	"WITH t AS (SELECT workspace, feature, metric, day >= ?1 AS cur, " CLI_SQL_TOTAL " AS v"   \
	CLI_SQL_WINDOWS " GROUP BY workspace, feature, metric, cur"                                \
	" UNION ALL SELECT workspace, feature, NULL, day >= ?1 AS cur, count(DISTINCT day)"        \
	CLI_SQL_WINDOWS " AND metric IN ('deliveries', 'users') AND value <> 0"                    \
	" GROUP BY workspace, feature, cur),"                                                      \
	" m AS (SELECT workspace, feature, metric, c,"                                             \
	"  CASE WHEN p IS NULL OR p = 0"                                                           \
	"  THEN CASE WHEN coalesce(c, 0) <> 0 THEN 'new' ELSE '-' END"                             \
	"  WHEN x = 0 THEN '0.0%' ELSE printf('%+.1f%%', x) END AS chg"                            \
	"  FROM (SELECT *, round((coalesce(c, 0) - p) * 100.0 / abs(p * 1.0), 1) AS x"             \
	"   FROM (SELECT workspace, feature, metric, max(CASE WHEN cur THEN v END) AS c,"          \
	"    max(CASE WHEN NOT cur THEN v END) AS p FROM t GROUP BY workspace, feature, metric)))" \
	" SELECT workspace, feature AS channel,"                                                   \
	CLI_SQL_PIVOT("users") CLI_SQL_PIVOT("campaigns") CLI_SQL_PIVOT("deliveries")              \
	CLI_SQL_PIVOT("clicks") CLI_SQL_PIVOT("conversions") CLI_SQL_PIVOT("revenue")              \
	" coalesce(max(CASE WHEN metric IS NULL THEN c END), 0) AS active_days,"                   \
	" coalesce(max(CASE WHEN metric IS NULL THEN chg END), '-') AS active_days_change"         \
	" FROM m GROUP BY workspace, feature ORDER BY workspace, feature"
/* clang-format on */

/*
 * report, active users: per workspace and platform, the row of the latest
 * day within ?1 .. ?2. ?3: workspace name or NULL.
 */
#define CLI_SQL_REPORT_ACTIVE                                                                      \
	"SELECT a.workspace AS workspace, a.platform AS platform, a.day AS day,"                   \
	" a.dau AS dau, a.wau AS wau, a.mau AS mau"                                                \
	" FROM active_users_daily AS a"                                                            \
	" WHERE" CLI_SQL_WS_IS(                                                                    \
	        "a.workspace",                                                                     \
	        "?3") " AND a.day = (SELECT max(b.day) FROM active_users_daily AS b"               \
	              "  WHERE b.workspace = a.workspace AND b.platform = a.platform"              \
	              "  AND b.day BETWEEN ?1 AND ?2)"                                             \
	              " ORDER BY a.workspace, a.platform"

/* seats: v_seat_utilization. ?1: workspace name or NULL. */
#define CLI_SQL_SEATS                                                                              \
	"SELECT workspace, seats, active_30d, active_60d, active_90d, never_logged_in,"            \
	" utilization_pct FROM v_seat_utilization WHERE" CLI_SQL_WS_IS("workspace",                \
	                                                               "?1") " ORDER BY workspace"

/*
 * seats --inactive: members (not removed) who never logged in or whose
 * last login is before ?1 (an instant), never first, then the longest
 * idle. idle_days: whole days from the last login to ?2 (now). ?3:
 * workspace name or NULL.
 */
#define CLI_SQL_INACTIVE                                                                           \
	"SELECT workspace, email, name, role, status, last_login_at AS last_login,"                \
	" (unixepoch(?2) - unixepoch(last_login_at)) / 86400 AS idle_days"                         \
	" FROM seat WHERE removed_at IS NULL"                                                      \
	" AND (last_login_at IS NULL OR last_login_at < ?1)"                                       \
	" AND" CLI_SQL_WS_IS(                                                                      \
	        "workspace",                                                                       \
	        "?3") " ORDER BY workspace, last_login_at IS NOT NULL, last_login_at, email"

/*
 * pulls: newest first. ?1: workspace name or NULL; ?2: 1 for only status
 * not ok; ?3: at most this many. seconds: finished - started (NULL while
 * running).
 */
#define CLI_SQL_PULLS                                                                              \
	"SELECT id, workspace, started_at AS started, finished_at AS finished,"                    \
	" unixepoch(finished_at) - unixepoch(started_at) AS seconds, status, requests, retries,"   \
	" rows, error FROM pull"                                                                   \
	" WHERE (?1 IS NULL OR workspace = ?1) AND (?2 = 0 OR status <> 'ok')"                     \
	" ORDER BY started_at DESC, id DESC LIMIT ?3"

/* html: the workspaces to show. ?1: workspace name or NULL. */
#define CLI_SQL_HTML_WORKSPACES                                                                    \
	"SELECT name, state FROM workspace WHERE ?1 IS NULL OR name = ?1 ORDER BY name"

/*
 * html: daily deliveries per channel of workspace ?1 within ?2 .. ?3, one
 * row per channel and day that has a deliveries value. OVERALL (the sum
 * the API sends beside the channels) is left out of the per-channel chart.
 */
#define CLI_SQL_HTML_DELIVERIES                                                                    \
	"SELECT feature, day, value FROM feature_usage_daily"                                      \
	" WHERE workspace = ?1 AND metric = 'deliveries' AND feature <> 'OVERALL'"                 \
	" AND day BETWEEN ?2 AND ?3 AND value IS NOT NULL ORDER BY feature, day"

/* html: daily DAU per platform of workspace ?1 within ?2 .. ?3 (days with a DAU). */
#define CLI_SQL_HTML_DAU                                                                           \
	"SELECT platform, day, dau FROM active_users_daily"                                        \
	" WHERE workspace = ?1 AND day BETWEEN ?2 AND ?3 AND dau IS NOT NULL"                      \
	" ORDER BY platform, day"

/*
 * html: the top 10 campaigns of workspace ?1 by delivered among those
 * started (or, without a start date, created) within ?2 .. ?3 (days).
 */
#define CLI_SQL_HTML_CAMPAIGNS                                                                     \
	"SELECT channel, title, status, substr(coalesce(start_date, created_on), 1, 10) AS start," \
	" sent, delivered, clicks, conversions, revenue FROM campaign"                             \
	" WHERE workspace = ?1"                                                                    \
	" AND substr(coalesce(start_date, created_on), 1, 10) BETWEEN ?2 AND ?3"                   \
	" ORDER BY delivered IS NULL, delivered DESC, channel, campaign_id LIMIT 10"

/*
 * overview (cli_overview.c): the workspaces not removed, ?4: one name or
 * NULL, by name, each with its state, its row's seat_price, currency and
 * interval_s (schema 004-overview.sql), its seats (not removed) and how
 * many logged in at or after the instants ?1, ?2, ?3 (30, 60 and 90 days
 * before the run's now), and never. since: for auth_failed and failing,
 * when the run of failures began: the start of the first failed or
 * auth_failed pull after the last ok or partial one (NULL when no such
 * pull is stored); NULL in every other state.
 */
#define CLI_SQL_OV_WORKSPACES                                                                      \
	"SELECT w.name AS workspace, w.state AS state, w.state_reason AS reason,"                  \
	" w.last_success_at AS last_success, w.seat_price AS seat_price, w.currency AS currency,"  \
	" w.interval_s AS interval_s,"                                                             \
	" CASE WHEN w.state IN ('auth_failed', 'failing') THEN"                                    \
	"  (SELECT min(p.started_at) FROM pull AS p WHERE p.workspace = w.name"                    \
	"   AND p.status IN ('failed', 'auth_failed') AND p.started_at >"                          \
	"   coalesce((SELECT max(q.started_at) FROM pull AS q WHERE q.workspace = w.name"          \
	"    AND q.status IN ('ok', 'partial')), '')) END AS since,"                               \
	" coalesce(s.seats, 0) AS seats, coalesce(s.a30, 0) AS active_30d,"                        \
	" coalesce(s.a60, 0) AS active_60d, coalesce(s.a90, 0) AS active_90d,"                     \
	" coalesce(s.never, 0) AS never_logged_in"                                                 \
	" FROM workspace AS w LEFT JOIN"                                                           \
	" (SELECT workspace, count(*) AS seats,"                                                   \
	"  count(CASE WHEN last_login_at >= ?1 THEN 1 END) AS a30,"                                \
	"  count(CASE WHEN last_login_at >= ?2 THEN 1 END) AS a60,"                                \
	"  count(CASE WHEN last_login_at >= ?3 THEN 1 END) AS a90,"                                \
	"  count(CASE WHEN last_login_at IS NULL THEN 1 END) AS never"                             \
	"  FROM seat WHERE removed_at IS NULL AND" CLI_SQL_WS_IS(                                  \
	        "workspace", "?4") "  GROUP BY workspace) AS s ON s.workspace = w.name"            \
	                           " WHERE w.state <> 'removed' AND (?4 IS NULL OR w.name = ?4) "  \
	                           "ORDER BY w.name"

/*
 * overview: deliveries per workspace and channel, OVERALL (the API's sum
 * of the channels) included, in the current window ?2 .. ?3 (cur) and the
 * previous one ?1 .. the day before ?2 (prev), as total(): a real, 0.0
 * without rows, exact for integer totals below 2^53. ?4: one workspace or
 * NULL. Reads the index feature_usage_deliveries (004-overview.sql) in its
 * order, without a sort; INDEXED BY because the planner, which has no
 * statistics (wegauged never runs ANALYZE), would read the table instead.
 */
#define CLI_SQL_OV_CHANNELS                                                                        \
	"SELECT workspace, feature AS channel, total(CASE WHEN day >= ?2 THEN value END) AS cur,"  \
	" total(CASE WHEN day < ?2 THEN value END) AS prev"                                        \
	" FROM feature_usage_daily INDEXED BY feature_usage_deliveries"                            \
	" WHERE metric = 'deliveries' AND day BETWEEN ?1 AND ?3"                                   \
	" AND" CLI_SQL_WS_IS("workspace",                                                          \
	                     "?4") " GROUP BY workspace, feature ORDER BY workspace, feature"

/*
 * overview: daily active users per workspace, all platforms added up, in
 * the two windows of CLI_SQL_OV_CHANNELS: the sum of DAU (total()) and
 * the days that have a DAU, per window. ?4: one workspace or NULL.
 */
#define CLI_SQL_OV_DAU                                                                             \
	"SELECT workspace, total(CASE WHEN day >= ?2 THEN dau END) AS cur,"                        \
	" count(DISTINCT CASE WHEN day >= ?2 AND dau IS NOT NULL THEN day END) AS cur_days,"       \
	" total(CASE WHEN day < ?2 THEN dau END) AS prev,"                                         \
	" count(DISTINCT CASE WHEN day < ?2 AND dau IS NOT NULL THEN day END) AS prev_days"        \
	" FROM active_users_daily WHERE day BETWEEN ?1 AND ?3 AND" CLI_SQL_WS_IS(                  \
	        "workspace", "?4") " GROUP BY workspace ORDER BY workspace"

/*
 * overview --html: each workspace's deliveries as the API totals them
 * (OVERALL) over ?1 .. ?2, for its sparkline, in buckets of ?4 days from
 * ?1 (bucket 0 holds ?1 .. ?1 + ?4 - 1), so that a long window still
 * gives a few points per workspace; buckets without a row are absent. ?3:
 * one workspace or NULL. Workspace by workspace (CROSS JOIN keeps that
 * order), each one's OVERALL days sought in the index of
 * CLI_SQL_OV_CHANNELS: the window's rows alone are read (0.3 s for
 * 10,000 workspaces, against 0.5 s for a scan of the index).
 */
#define CLI_SQL_OV_DAILY                                                                           \
	"SELECT w.name AS workspace,"                                                              \
	" CAST(julianday(f.day) - julianday(?1) AS INTEGER) / ?4 AS bucket,"                       \
	" total(f.value) AS deliveries FROM workspace AS w"                                        \
	" CROSS JOIN feature_usage_daily AS f INDEXED BY feature_usage_deliveries"                 \
	" ON f.workspace = w.name AND f.metric = 'deliveries' AND f.feature = 'OVERALL'"           \
	" AND f.day BETWEEN ?1 AND ?2"                                                             \
	" WHERE" CLI_SQL_WS_IS("w.name", "?3") " GROUP BY w.name, bucket ORDER BY w.name, bucket"

#endif
