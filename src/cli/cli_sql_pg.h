/*
 * cli_sql_pg.h: the PostgreSQL form of every SQL text of cli_sql.h, under
 * the same name with _PG, for a store on PostgreSQL (schema/pg/).
 *
 * Each gives the same columns, rows, order and cells as its SQLite form
 * does for the same data; the tool prints both stores' outputs byte for
 * byte alike (tests/it_cli_pg.sh). What that takes, and where:
 *  - Instants (timestamptz) are printed as the SQLite store holds them,
 *    'YYYY-MM-DDTHH:MM:SSZ' in UTC (CLI_PG_TS), days (date) as
 *    'YYYY-MM-DD' (CLI_PG_DAY); parameters of instants and days are cast
 *    from the same texts the SQLite forms compare with.
 *  - Parameters are $1..$n, each cast to its type where it is used
 *    ($1::text IS NULL: an untyped NULL has no type to compare).
 *  - Text is ordered by COLLATE "C", byte order, as SQLite's BINARY
 *    orders it, whatever the database's collation.
 *  - Numbers the API sends are numeric: an integer has scale 0, a real a
 *    decimal point (scale > 0). cli_db_pg.c maps numeric to INTEGER or
 *    REAL by that (cli_pg_cell), so totals must keep it: CLI_SQL_TOTAL_PG.
 *  - SQLite's integer arithmetic where the SQLite form relies on it:
 *    unixepoch() is floor(extract(epoch ...)) as bigint, and bigint
 *    division truncates toward zero as SQLite's does.
 *  - The report's changes are computed in float8 as SQLite computes them
 *    in double, and handed to C as that double's shortest text: SQLite's
 *    printf('%+.1f%%') rounds in a way no PostgreSQL function does, so
 *    cli_cmd.c formats them with SQLite's own printf (cli_change_format).
 * The session (cli_db_pg.c) sets extra_float_digits = 1 (float8 as its
 * shortest exact text) and TimeZone UTC (interval arithmetic in the views
 * counts days of 86400 s, as SQLite's does).
 */
#ifndef WEGAUGE_CLI_SQL_PG_H
#define WEGAUGE_CLI_SQL_PG_H

/*
 * clang-format leaves these alone: it would split the SQL texts around
 * the macros that build them.
 */
/* clang-format off */

/* The session's statement_timeout unless it has one already (server, role, options). */
#define CLI_PG_STATEMENT_TIMEOUT "30s"

/*
 * The session of the tool: read-only unless a transaction says otherwise
 * (none does), numbers and dates in the forms cli_pg_cell reads, and a
 * statement_timeout unless the server, role or connection string set one.
 */
#define CLI_SQL_PG_SESSION                                                                         \
	"SET default_transaction_read_only = on; SET extra_float_digits = 1;"                      \
	" SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';"                                       \
	" SELECT set_config('statement_timeout', '" CLI_PG_STATEMENT_TIMEOUT "', false)"           \
	" WHERE current_setting('statement_timeout') IN ('0', '0ms')"

/* One read snapshot per run. */
#define CLI_SQL_BEGIN_PG  "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
#define CLI_SQL_COMMIT_PG "COMMIT"

/*
 * What the database is: whether the table wegauge_schema is on the
 * search_path (where the daemon keeps the store: the connection's
 * schema), and how many tables, views and sequences the search_path's
 * schemas hold (0: an empty database).
 */
#define CLI_SQL_PG_IDENTIFY                                                                        \
	"SELECT to_regclass('wegauge_schema') IS NOT NULL AS marked,"                              \
	" (SELECT count(*) FROM pg_catalog.pg_class AS c"                                          \
	"  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace"                            \
	"  WHERE n.nspname = ANY (current_schemas(false)) AND c.relkind IN ('r', 'v', 'S', 'p'))"  \
	" AS objects"

/* The store's schema version (NULL when no file was applied). */
#define CLI_SQL_PG_VERSION "SELECT max(version) FROM wegauge_schema"

/* An instant as the SQLite store holds it, and a day. */
#define CLI_PG_TS(col)  "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define CLI_PG_DAY(col) "to_char(" col ", 'YYYY-MM-DD')"
/* Seconds since the epoch of an instant, whole, as unixepoch() gives them. */
#define CLI_PG_EPOCH(col) "floor(extract(epoch FROM " col "))::bigint"
/* A numeric that SQLite holds as an INTEGER: no decimal point, within 64 bits. */
#define CLI_PG_IS_INT(e)                                                                           \
	"(scale(" e ") = 0 AND " e " BETWEEN -9223372036854775808 AND 9223372036854775807)"

#define CLI_SQL_WS_EXISTS_PG "SELECT 1 FROM workspace WHERE name = $1::text"

#define CLI_SQL_SEEN_WS_PG                                                                         \
	"SELECT state, state_reason, key_fingerprint FROM workspace WHERE name = $1::text"

#define CLI_SQL_SEEN_PULL_PG                                                                       \
	"SELECT id, status, rows, error FROM pull WHERE workspace = $1::text"                      \
	" ORDER BY id DESC LIMIT 1"

#define CLI_SQL_STATUS_COLS_PG                                                                     \
	"SELECT workspace, state, state_reason AS reason,"                                         \
	" " CLI_PG_TS("last_success_at") " AS last_success,"                                       \
	" " CLI_PG_TS("next_pull_at") " AS next_pull, consecutive_failures AS failures,"           \
	" last_pull_status AS last_pull"
#define CLI_SQL_STATUS_FROM_PG                                                                     \
	" FROM v_workspace_health"                                                                 \
	" WHERE $1::text IS NULL OR workspace = $1::text ORDER BY workspace COLLATE \"C\""
#define CLI_SQL_STATUS_PG CLI_SQL_STATUS_COLS_PG CLI_SQL_STATUS_FROM_PG

/*
 * The fleet's queries (cli_sql.h). Every instant is the server's: now(),
 * the start of the run's one transaction, as the daemon's leases and
 * heartbeats are the server's clock_timestamp().
 */
#define CLI_SQL_FLEET_ANY_PG "SELECT 1 FROM fleet_member LIMIT 1"

#define CLI_SQL_STATUS_FLEET_PG                                                                    \
	CLI_SQL_STATUS_COLS_PG ", (SELECT l.member FROM fleet_lease AS l"                          \
	                       " WHERE l.workspace = v_workspace_health.workspace"                 \
	                       " AND l.expires_at > now()) AS owner" CLI_SQL_STATUS_FROM_PG

#define CLI_SQL_FLEET_PG                                                                           \
	"SELECT m.name AS member,"                                                                 \
	" greatest(0, floor(extract(epoch FROM now() - m.heartbeat_at)))::bigint"                  \
	" AS heartbeat_age_s,"                                                                     \
	" CASE WHEN now() - m.heartbeat_at < m.lease_ms * interval '1 millisecond'"                \
	" THEN 'yes' ELSE 'no' END AS live,"                                                       \
	" CASE WHEN m.lease_ms % 1000 = 0 THEN (m.lease_ms / 1000)::numeric"                       \
	" ELSE m.lease_ms / 1000.0 END AS lease_s, m.workspaces AS workspaces,"                    \
	" (SELECT count(*) FROM fleet_lease AS l WHERE l.member = m.name"                          \
	"  AND l.expires_at > now()) AS owned,"                                                    \
	" m.fingerprint AS fingerprint FROM fleet_member AS m ORDER BY m.name COLLATE \"C\""

/*
 * CLI_SQL_TOTAL's rule on numeric: NULL without a value; with a real
 * among the values (a decimal point, or an integer beyond 64 bits, which
 * SQLite holds as a real) the sum of the values as float8, added in the
 * order of their days as SQLite's total() adds them (the rows come to it
 * in the primary key's order), made numeric through its shortest text,
 * which reads back as the same double, with at least one decimal so that
 * it stays a REAL; else the exact integer sum, which numeric cannot
 * overflow (beyond 64 bits cli_pg_cell makes it a REAL, as SQLite's
 * total is then).
 */
#define CLI_SQL_TOTAL_PG                                                                           \
	"CASE WHEN count(value) = 0 THEN NULL"                                                     \
	" WHEN count(CASE WHEN NOT " CLI_PG_IS_INT("value") " THEN 1 END) > 0"                     \
	" THEN sum(value::float8 ORDER BY day)::text::numeric + 0.0"                               \
	" ELSE sum(value) END"

#define CLI_SQL_WINDOWS_PG                                                                         \
	" FROM feature_usage_daily"                                                                \
	" WHERE (day BETWEEN $1::date AND $2::date OR day BETWEEN $3::date AND $4::date)"          \
	" AND ($5::text IS NULL OR workspace = $5::text)"

/*
 * The change of a current total c against the previous p as SQLite
 * computes x in CLI_SQL_REPORT_CHANNELS, in float8: coalesce(c, 0) - p
 * exactly when both are SQLite integers and so is the difference, else
 * as doubles; times 100.0, divided by abs(p) as a double (NULL for p = 0,
 * where SQLite's division gives NULL and PostgreSQL's fails).
 */
#define CLI_PG_CHANGE_X                                                                            \
	"(CASE WHEN " CLI_PG_IS_INT("coalesce(c, 0)") " AND " CLI_PG_IS_INT("p")                   \
	" AND " CLI_PG_IS_INT("(coalesce(c, 0) - p)") " THEN (coalesce(c, 0) - p)::float8"        \
	" ELSE coalesce(c, 0)::float8 - p::float8 END)"                                            \
	" * 100.0::float8 / nullif(abs(p::float8), 0)"

#define CLI_SQL_PIVOT_PG(m)                                                                        \
	" max(CASE WHEN metric = '" m "' THEN c END) AS " m ","                                    \
	" coalesce(max(CASE WHEN metric = '" m "' THEN chg END), '-') AS " m "_change,"

/*
 * report, channels: CLI_SQL_REPORT_CHANNELS. chg is "new" or "-" as
 * there, and otherwise x (CLI_PG_CHANGE_X) as float8 text ("12.5",
 * "-33.333333333333336"), which cli_report_changes (cli_cmd.c) turns
 * into SQLite's "+12.5%" / "-33.3%" / "0.0%".
 */
#define CLI_SQL_REPORT_CHANNELS_PG                                                                 \
	"WITH t AS (SELECT workspace, feature, metric, day >= $1::date AS cur, "                   \
	CLI_SQL_TOTAL_PG " AS v" CLI_SQL_WINDOWS_PG " GROUP BY workspace, feature, metric, cur"    \
	" UNION ALL SELECT workspace, feature, NULL, day >= $1::date AS cur,"                      \
	" count(DISTINCT day)::numeric"                                                            \
	CLI_SQL_WINDOWS_PG " AND metric IN ('deliveries', 'users') AND value <> 0"                 \
	" GROUP BY workspace, feature, cur),"                                                      \
	" m AS (SELECT workspace, feature, metric, c,"                                             \
	"  CASE WHEN p IS NULL OR p = 0"                                                           \
	"  THEN CASE WHEN coalesce(c, 0) <> 0 THEN 'new' ELSE '-' END"                             \
	"  ELSE x::text END AS chg"                                                                \
	"  FROM (SELECT *, " CLI_PG_CHANGE_X " AS x"                                               \
	"   FROM (SELECT workspace, feature, metric, max(CASE WHEN cur THEN v END) AS c,"          \
	"    max(CASE WHEN NOT cur THEN v END) AS p FROM t GROUP BY workspace, feature, metric)"   \
	"   AS a) AS b)"                                                                           \
	" SELECT workspace, feature AS channel,"                                                   \
	CLI_SQL_PIVOT_PG("users") CLI_SQL_PIVOT_PG("campaigns") CLI_SQL_PIVOT_PG("deliveries")     \
	CLI_SQL_PIVOT_PG("clicks") CLI_SQL_PIVOT_PG("conversions") CLI_SQL_PIVOT_PG("revenue")     \
	" coalesce(max(CASE WHEN metric IS NULL THEN c END), 0) AS active_days,"                   \
	" coalesce(max(CASE WHEN metric IS NULL THEN chg END), '-') AS active_days_change"         \
	" FROM m GROUP BY workspace, feature"                                                      \
	" ORDER BY workspace COLLATE \"C\", feature COLLATE \"C\""

#define CLI_SQL_REPORT_ACTIVE_PG                                                                   \
	"SELECT a.workspace AS workspace, a.platform AS platform,"                                 \
	" " CLI_PG_DAY("a.day") " AS day, a.dau AS dau, a.wau AS wau, a.mau AS mau"                \
	" FROM active_users_daily AS a"                                                            \
	" WHERE ($3::text IS NULL OR a.workspace = $3::text)"                                      \
	" AND a.day = (SELECT max(b.day) FROM active_users_daily AS b"                             \
	"  WHERE b.workspace = a.workspace AND b.platform = a.platform"                            \
	"  AND b.day BETWEEN $1::date AND $2::date)"                                               \
	" ORDER BY a.workspace COLLATE \"C\", a.platform COLLATE \"C\""

#define CLI_SQL_SEATS_PG                                                                           \
	"SELECT workspace, seats, active_30d, active_60d, active_90d, never_logged_in,"            \
	" utilization_pct FROM v_seat_utilization WHERE $1::text IS NULL OR workspace = $1::text"  \
	" ORDER BY workspace COLLATE \"C\""

/* idle_days: whole seconds as unixepoch() gives them; bigint division truncates as SQLite's. */
#define CLI_SQL_INACTIVE_PG                                                                        \
	"SELECT workspace, email, name, role, status,"                                             \
	" " CLI_PG_TS("last_login_at") " AS last_login,"                                           \
	" (" CLI_PG_EPOCH("$2::timestamptz") " - " CLI_PG_EPOCH("last_login_at") ") / 86400"       \
	" AS idle_days"                                                                            \
	" FROM seat WHERE removed_at IS NULL"                                                      \
	" AND (last_login_at IS NULL OR last_login_at < $1::timestamptz)"                          \
	" AND ($3::text IS NULL OR workspace = $3::text)"                                          \
	" ORDER BY workspace COLLATE \"C\", last_login_at IS NOT NULL, last_login_at,"             \
	" email COLLATE \"C\""

#define CLI_SQL_PULLS_PG                                                                           \
	"SELECT id, workspace, " CLI_PG_TS("started_at") " AS started,"                            \
	" " CLI_PG_TS("finished_at") " AS finished,"                                               \
	" " CLI_PG_EPOCH("finished_at") " - " CLI_PG_EPOCH("started_at") " AS seconds,"            \
	" status, requests, retries, rows, error FROM pull"                                        \
	" WHERE ($1::text IS NULL OR workspace = $1::text) AND ($2::bigint = 0 OR status <> 'ok')" \
	" ORDER BY started_at DESC, id DESC LIMIT $3::bigint"

#define CLI_SQL_HTML_WORKSPACES_PG                                                                 \
	"SELECT name, state FROM workspace WHERE $1::text IS NULL OR name = $1::text"              \
	" ORDER BY name COLLATE \"C\""

#define CLI_SQL_HTML_DELIVERIES_PG                                                                 \
	"SELECT feature, " CLI_PG_DAY("day") " AS day, value FROM feature_usage_daily"             \
	" WHERE workspace = $1::text AND metric = 'deliveries' AND feature <> 'OVERALL'"           \
	" AND day BETWEEN $2::date AND $3::date AND value IS NOT NULL"                             \
	" ORDER BY feature COLLATE \"C\", day"

#define CLI_SQL_HTML_DAU_PG                                                                        \
	"SELECT platform, " CLI_PG_DAY("day") " AS day, dau FROM active_users_daily"               \
	" WHERE workspace = $1::text AND day BETWEEN $2::date AND $3::date AND dau IS NOT NULL"    \
	" ORDER BY platform COLLATE \"C\", day"

/* The campaign's day: its start (or creation) instant's UTC day, as substr(..., 1, 10) is. */
#define CLI_SQL_HTML_CAMPAIGNS_PG                                                                  \
	"SELECT channel, title, status,"                                                           \
	" " CLI_PG_DAY("coalesce(start_date, created_on) AT TIME ZONE 'UTC'") " AS start,"         \
	" sent, delivered, clicks, conversions, revenue FROM campaign"                             \
	" WHERE workspace = $1::text"                                                              \
	" AND (coalesce(start_date, created_on) AT TIME ZONE 'UTC')::date"                         \
	" BETWEEN $2::date AND $3::date"                                                           \
	" ORDER BY delivered IS NULL, delivered DESC, channel COLLATE \"C\","                      \
	" campaign_id COLLATE \"C\" LIMIT 10"

/*
 * overview: the forms of cli_sql.h. Instants compare as timestamptz, the
 * "since" of a workspace whose failures have no ok pull before them
 * against -infinity; total() is a float8 sum that is 0 without rows.
 * Unlike the other queries, the overview's are never printed as they are:
 * cli_overview.c takes each workspace's rows by name, so that the
 * channels, DAU and daily queries need only keep one workspace's rows
 * together, in the database's own collation (sorting 10,000 workspaces'
 * rows again by "C" costs PostgreSQL seconds), and within one workspace
 * the channels in the order of SQLite's (their ties are broken by it) and
 * the days in order. The workspaces themselves come by name in byte order.
 */
#define CLI_SQL_OV_WORKSPACES_PG                                                                   \
	"SELECT w.name AS workspace, w.state AS state, w.state_reason AS reason,"                  \
	" " CLI_PG_TS("w.last_success_at") " AS last_success, w.seat_price AS seat_price,"         \
	" w.currency AS currency, w.interval_s AS interval_s,"                                     \
	" CASE WHEN w.state IN ('auth_failed', 'failing') THEN"                                    \
	"  " CLI_PG_TS("(SELECT min(p.started_at) FROM pull AS p WHERE p.workspace = w.name"       \
	"   AND p.status IN ('failed', 'auth_failed') AND p.started_at >"                          \
	"   coalesce((SELECT max(q.started_at) FROM pull AS q WHERE q.workspace = w.name"          \
	"    AND q.status IN ('ok', 'partial')), '-infinity'::timestamptz))") " END AS since,"     \
	" coalesce(s.seats, 0) AS seats, coalesce(s.a30, 0) AS active_30d,"                        \
	" coalesce(s.a60, 0) AS active_60d, coalesce(s.a90, 0) AS active_90d,"                     \
	" coalesce(s.never, 0) AS never_logged_in"                                                 \
	" FROM workspace AS w LEFT JOIN"                                                           \
	" (SELECT workspace, count(*) AS seats,"                                                   \
	"  count(CASE WHEN last_login_at >= $1::timestamptz THEN 1 END) AS a30,"                   \
	"  count(CASE WHEN last_login_at >= $2::timestamptz THEN 1 END) AS a60,"                   \
	"  count(CASE WHEN last_login_at >= $3::timestamptz THEN 1 END) AS a90,"                   \
	"  count(CASE WHEN last_login_at IS NULL THEN 1 END) AS never"                             \
	"  FROM seat WHERE removed_at IS NULL AND ($4::text IS NULL OR workspace = $4::text)"      \
	"  GROUP BY workspace) AS s ON s.workspace = w.name"                                       \
	" WHERE w.state <> 'removed' AND ($4::text IS NULL OR w.name = $4::text)"                  \
	" ORDER BY w.name COLLATE \"C\""

#define CLI_SQL_OV_CHANNELS_PG                                                                     \
	"SELECT workspace, feature AS channel,"                                                    \
	" coalesce(sum(value::float8) FILTER (WHERE day >= $2::date), 0)::float8 AS cur,"          \
	" coalesce(sum(value::float8) FILTER (WHERE day < $2::date), 0)::float8 AS prev"           \
	" FROM feature_usage_daily"                                                                \
	" WHERE metric = 'deliveries' AND day BETWEEN $1::date AND $3::date"                       \
	" AND ($4::text IS NULL OR workspace = $4::text)"                                          \
	" GROUP BY workspace, feature ORDER BY workspace, feature COLLATE \"C\""

/* The days are added up first (one group per workspace and day), then the windows. */
#define CLI_SQL_OV_DAU_PG                                                                          \
	"SELECT workspace,"                                                                        \
	" coalesce(sum(d) FILTER (WHERE day >= $2::date), 0)::float8 AS cur,"                      \
	" count(*) FILTER (WHERE day >= $2::date) AS cur_days,"                                    \
	" coalesce(sum(d) FILTER (WHERE day < $2::date), 0)::float8 AS prev,"                      \
	" count(*) FILTER (WHERE day < $2::date) AS prev_days"                                     \
	" FROM (SELECT workspace, day, sum(dau::float8) AS d FROM active_users_daily"              \
	"  WHERE day BETWEEN $1::date AND $3::date AND dau IS NOT NULL"                            \
	"  AND ($4::text IS NULL OR workspace = $4::text) GROUP BY workspace, day) AS a"           \
	" GROUP BY workspace"

/*
 * Each workspace's OVERALL rows of the window, sought in the index
 * feature_usage_deliveries workspace by workspace (LATERAL), which reads
 * the window's rows alone; days between two dates are an integer, whose
 * division truncates as SQLite's.
 */
#define CLI_SQL_OV_DAILY_PG                                                                        \
	"SELECT w.name AS workspace, (f.day - $1::date) / $4::integer AS bucket,"                  \
	" coalesce(sum(f.value::float8), 0)::float8 AS deliveries FROM workspace AS w"             \
	" JOIN LATERAL (SELECT day, value FROM feature_usage_daily WHERE workspace = w.name"       \
	"  AND metric = 'deliveries' AND feature = 'OVERALL' AND day BETWEEN $1::date AND $2::date)" \
	" AS f ON true WHERE ($3::text IS NULL OR w.name = $3::text)"                              \
	" GROUP BY w.name, bucket ORDER BY w.name, bucket"

/* clang-format on */

#endif
