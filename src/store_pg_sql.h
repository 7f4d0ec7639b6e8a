/*
 * store_pg_sql.h: every SQL text of the PostgreSQL store (store_pg.c), in
 * one place, as store_sql.h is for SQLite. The schema itself is
 * schema/pg/NNN-name.sql.
 *
 * Parameters are $1, $2, ... in text form; each statement's comment lists
 * them. Instants are sent as "YYYY-MM-DDTHH:MM:SSZ" (NULL for none), which
 * timestamptz reads as UTC whatever the session's TimeZone. A stream's
 * rows travel as one array per column ("{...}" literals), unnested on the
 * server: one statement per slice of rows instead of one per row. DISTINCT
 * ON keeps the last of rows that share a key (the API may list one twice),
 * since one INSERT ... ON CONFLICT may not touch a row twice.
 */
#ifndef WEGAUGE_STORE_PG_SQL_H
#define WEGAUGE_STORE_PG_SQL_H

/* The advisory lock that serializes migrations of one database ("wgau"). */
#define PG_SQL_MIGRATE_LOCK "SELECT pg_advisory_xact_lock(2003265909)"
/* Is there a wegauge_schema / a workspace table in the search path? */
#define PG_SQL_IDENTIFY                                                                            \
	"SELECT to_regclass('wegauge_schema') IS NOT NULL, to_regclass('workspace') IS NOT NULL"
#define PG_SQL_VERSION "SELECT coalesce(max(version), 0) FROM wegauge_schema"
/* $1 version, $2 file name. */
#define PG_SQL_VERSION_ADD "INSERT INTO wegauge_schema (version, name) VALUES ($1::integer, $2)"

/* Every workspace row, for the store's cache of them (store_ws_get). */
#define PG_SQL_WS_LOAD                                                                             \
	"SELECT name, state, coalesce(state_reason, ''), license_code, base_url,"                  \
	" coalesce(key_fingerprint, ''), coalesce(extract(epoch FROM last_pull_at)::bigint, 0),"   \
	" coalesce(extract(epoch FROM last_success_at)::bigint, 0), consecutive_failures"          \
	" FROM workspace"

/* $1: how many pull ids to reserve from the identity's sequence. */
#define PG_SQL_IDS                                                                                 \
	"SELECT nextval(pg_get_serial_sequence('pull', 'id')) FROM generate_series(1, "            \
	"$1::integer)"

/*
 * $1 name, $2 license_code, $3 data_center, $4 base_url, $5 key_fingerprint,
 * $6 state, $7 state_reason, $8 last_pull_at, $9 last_success_at,
 * $10 next_pull_at, $11 consecutive_failures.
 */
#define PG_SQL_WS_PUT                                                                              \
	"INSERT INTO workspace (name, license_code, data_center, base_url, key_fingerprint,"       \
	" state, state_reason, last_pull_at, last_success_at, next_pull_at, consecutive_failures," \
	" seat_price, currency, interval_s)"                                                       \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8::timestamptz, $9::timestamptz, $10::timestamptz," \
	" $11::integer, $12::float8, $13, $14::integer)"                                           \
	" ON CONFLICT (name) DO UPDATE SET"                                                        \
	" license_code = excluded.license_code, data_center = excluded.data_center,"               \
	" base_url = excluded.base_url, key_fingerprint = excluded.key_fingerprint,"               \
	" state = excluded.state, state_reason = excluded.state_reason,"                           \
	" last_pull_at = excluded.last_pull_at, last_success_at = excluded.last_success_at,"       \
	" next_pull_at = excluded.next_pull_at,"                                                   \
	" consecutive_failures = excluded.consecutive_failures, seat_price = excluded.seat_price," \
	" currency = excluded.currency, interval_s = excluded.interval_s"

/* $1 state, $2 state_reason, $3 name. */
#define PG_SQL_WS_SET_STATE "UPDATE workspace SET state = $1, state_reason = $2 WHERE name = $3"

/*
 * $1 id (reserved), $2 workspace, $3 started_at. DO NOTHING: the same
 * write sent again after a lost connection is a no-op.
 */
#define PG_SQL_PULL_BEGIN                                                                          \
	"INSERT INTO pull (id, workspace, started_at, status)"                                     \
	" VALUES ($1::bigint, $2, $3::timestamptz, 'running') ON CONFLICT (id) DO NOTHING"

/*
 * $1 finished_at, $2 status, $3 requests, $4 retries, $5 error, $6 id. Not
 * rows: each stream's statement added the rows it wrote (PG_SQL_ROWS_ADD),
 * which only the server knows.
 */
#define PG_SQL_PULL_END                                                                            \
	"UPDATE pull SET finished_at = $1::timestamptz, status = $2, requests = $3::integer,"      \
	" retries = $4::integer, error = $5 WHERE id = $6::bigint AND status = 'running'"

/* $1 finished_at. */
#define PG_SQL_PULL_CLOSE_RUNNING                                                                  \
	"UPDATE pull SET status = 'cancelled', finished_at = $1::timestamptz,"                     \
	" error = 'interrupted' WHERE status = 'running'"

/*
 * ---- the four streams; every one: $1 workspace, $2 pull_id, $3 now, then arrays ----
 *
 * Changed rows only (schema/pg/003-changed-only-writes.sql): the rows
 * given are joined with the stored ones (LEFT JOIN on the key) and only
 * those new or differing in a value (IS DISTINCT FROM; numbers compared as
 * text, so that 2 becoming 2.0 is a change, as the store keeps the two
 * apart) reach INSERT ... ON CONFLICT DO UPDATE. An equal row is neither
 * updated nor locked: no dead tuple, no WAL. Each statement then adds the
 * rows it wrote to its pull's rows (PG_SQL_ROWS_ADD), touching the pull
 * row only when it wrote some.
 */
#define PG_SQL_ROWS_ADD(dml)                                                                       \
	"WITH w AS (" dml " RETURNING 1), n AS (SELECT count(*) AS c FROM w)"                      \
	" UPDATE pull SET rows = rows + n.c FROM n WHERE id = $2::bigint AND n.c > 0"

/* $4 day[], $5 feature[], $6 metric[], $7 value[]. */
#define PG_SQL_FEATURE_UPSERT                                                                      \
	PG_SQL_ROWS_ADD(                                                                           \
	        "INSERT INTO feature_usage_daily (workspace, day, feature, metric, value, "        \
	        "pull_id,"                                                                         \
	        " updated_at) SELECT $1, x.d, x.f, x.m, x.v, $2::bigint, $3::timestamptz FROM ("   \
	        "SELECT DISTINCT ON (d, f, m) d, f, m, v FROM unnest($4::date[], $5::text[],"      \
	        " $6::text[], $7::numeric[]) WITH ORDINALITY AS u (d, f, m, v, o)"                 \
	        " ORDER BY d, f, m, o DESC) AS x LEFT JOIN feature_usage_daily AS t"               \
	        " ON t.workspace = $1 AND t.day = x.d AND t.feature = x.f AND t.metric = x.m"      \
	        " WHERE t.workspace IS NULL OR t.value::text IS DISTINCT FROM x.v::text"           \
	        " ON CONFLICT (workspace, day, feature, metric) DO UPDATE SET"                     \
	        " value = excluded.value, pull_id = excluded.pull_id,"                             \
	        " updated_at = excluded.updated_at")

/*
 * $4 channel[], $5 campaign_id[], $6 title[], $7 status[], $8 category[],
 * $9 created_on[], $10 start_date[], $11 sent[], $12 delivered[],
 * $13 clicks[], $14 conversions[], $15 revenue[].
 */
#define PG_SQL_CAMPAIGN_UPSERT                                                                     \
	PG_SQL_ROWS_ADD(                                                                           \
	        "INSERT INTO campaign (workspace, channel, campaign_id, title, status, category,"  \
	        " created_on, start_date, sent, delivered, clicks, conversions, revenue, pull_id," \
	        " updated_at) SELECT $1, x.ch, x.id, x.ti, x.st, x.ca, x.cr, x.sd, x.se, x.de,"    \
	        " x.cl, x.co, x.re, $2::bigint, $3::timestamptz FROM (SELECT DISTINCT ON (ch, id)" \
	        " * FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[],"       \
	        " $9::timestamptz[], $10::timestamptz[], $11::numeric[], $12::numeric[],"          \
	        " $13::numeric[], $14::numeric[], $15::numeric[])"                                 \
	        " WITH ORDINALITY AS u (ch, id, ti, st, ca, cr, sd, se, de, cl, co, re, o)"        \
	        " ORDER BY ch, id, o DESC) AS x LEFT JOIN campaign AS t"                           \
	        " ON t.workspace = $1 AND t.channel = x.ch AND t.campaign_id = x.id"               \
	        " WHERE t.workspace IS NULL OR (t.title, t.status, t.category, t.created_on,"      \
	        " t.start_date, t.sent::text, t.delivered::text, t.clicks::text,"                  \
	        " t.conversions::text, t.revenue::text) IS DISTINCT FROM (x.ti, x.st, x.ca, x.cr," \
	        " x.sd, x.se::text, x.de::text, x.cl::text, x.co::text, x.re::text)"               \
	        " ON CONFLICT (workspace, channel, campaign_id) DO UPDATE SET"                     \
	        " title = excluded.title, status = excluded.status, category = excluded.category," \
	        " created_on = excluded.created_on, start_date = excluded.start_date,"             \
	        " sent = excluded.sent, delivered = excluded.delivered, clicks = excluded.clicks," \
	        " conversions = excluded.conversions, revenue = excluded.revenue,"                 \
	        " pull_id = excluded.pull_id, updated_at = excluded.updated_at")

/* $4 day[], $5 platform[], $6 dau[], $7 wau[], $8 mau[]. */
#define PG_SQL_ACTIVE_UPSERT                                                                       \
	PG_SQL_ROWS_ADD(                                                                           \
	        "INSERT INTO active_users_daily (workspace, day, platform, dau, wau, mau, "        \
	        "pull_id,"                                                                         \
	        " updated_at) SELECT $1, x.d, x.p, x.a, x.w, x.m, $2::bigint, $3::timestamptz"     \
	        " FROM (SELECT DISTINCT ON (d, p) d, p, a, w, m FROM unnest($4::date[],"           \
	        " $5::text[], $6::numeric[], $7::numeric[], $8::numeric[])"                        \
	        " WITH ORDINALITY AS u (d, p, a, w, m, o) ORDER BY d, p, o DESC) AS x"             \
	        " LEFT JOIN active_users_daily AS t"                                               \
	        " ON t.workspace = $1 AND t.day = x.d AND t.platform = x.p"                        \
	        " WHERE t.workspace IS NULL OR (t.dau::text, t.wau::text, t.mau::text)"            \
	        " IS DISTINCT FROM (x.a::text, x.w::text, x.m::text)"                              \
	        " ON CONFLICT (workspace, day, platform) DO UPDATE SET"                            \
	        " dau = excluded.dau, wau = excluded.wau, mau = excluded.mau,"                     \
	        " pull_id = excluded.pull_id, updated_at = excluded.updated_at")

/*
 * $4 email[], $5 name[], $6 role[], $7 status[], $8 last_login_at[]: a
 * seat new, changed, or removed and listed again.
 */
#define PG_SQL_SEAT_UPSERT                                                                         \
	PG_SQL_ROWS_ADD(                                                                           \
	        "INSERT INTO seat (workspace, email, name, role, status, last_login_at,"           \
	        " first_seen_at, last_seen_at, removed_at, pull_id, updated_at)"                   \
	        " SELECT $1, x.e, x.n, x.r, x.s, x.l, $3::timestamptz, $3::timestamptz, NULL,"     \
	        " $2::bigint, $3::timestamptz FROM (SELECT DISTINCT ON (e) e, n, r, s, l"          \
	        " FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])"  \
	        " WITH ORDINALITY AS u (e, n, r, s, l, o) ORDER BY e, o DESC) AS x"                \
	        " LEFT JOIN seat AS t ON t.workspace = $1 AND t.email = x.e"                       \
	        " WHERE t.workspace IS NULL OR t.removed_at IS NOT NULL"                           \
	        " OR (t.name, t.role, t.status, t.last_login_at)"                                  \
	        " IS DISTINCT FROM (x.n, x.r, x.s, x.l)"                                           \
	        " ON CONFLICT (workspace, email) DO UPDATE SET"                                    \
	        " name = excluded.name, role = excluded.role, status = excluded.status,"           \
	        " last_login_at = excluded.last_login_at, last_seen_at = excluded.last_seen_at,"   \
	        " removed_at = NULL, pull_id = excluded.pull_id, updated_at = "                    \
	        "excluded.updated_at")

/*
 * $1 workspace, $2 pull_id, $3 now, $4 email[] (the complete listing):
 * seats not listed are removed, once, by pull $2; last_seen_at becomes
 * the newest listing that still had them (before PG_SQL_STREAM_STATE_PUT).
 */
#define PG_SQL_SEAT_MARK_REMOVED                                                                   \
	PG_SQL_ROWS_ADD(                                                                           \
	        "UPDATE seat SET removed_at = $3::timestamptz, updated_at = $3::timestamptz,"      \
	        " pull_id = $2::bigint, last_seen_at = greatest(last_seen_at, (SELECT"             \
	        " max(started_at) FROM pull WHERE workspace = $1 AND id <> $2::bigint"             \
	        " AND ',' || streams || ',' LIKE '%,team,%'))"                                     \
	        " WHERE workspace = $1 AND removed_at IS NULL AND email <> ALL ($4::text[])")

/* $1 pull_id, $2 stream: the pull stored the stream whole (pull.streams). */
#define PG_SQL_PULL_ADD_STREAM                                                                     \
	"UPDATE pull SET streams = CASE WHEN streams = '' THEN $2 ELSE streams || ',' || $2 END"   \
	" WHERE id = $1::bigint"

/* $1 workspace, $2 stream, $3 digests (bytea, hex text): written only when they differ. */
#define PG_SQL_STREAM_DIGEST_PUT                                                                   \
	"INSERT INTO stream_digest (workspace, stream, digests) SELECT $1, $2, $3::bytea"          \
	" WHERE NOT EXISTS (SELECT 1 FROM stream_digest WHERE workspace = $1 AND stream = $2"      \
	" AND digests = $3::bytea)"                                                                \
	" ON CONFLICT (workspace, stream) DO UPDATE SET digests = excluded.digests"

/* $1 workspace, $2 stream: a walk without digests remembers none. */
#define PG_SQL_STREAM_DIGEST_DEL "DELETE FROM stream_digest WHERE workspace = $1 AND stream = $2"

/* Every remembered digest list, for the store's memory of them (store_stream_digests). */
#define PG_SQL_STREAM_DIGEST_LOAD "SELECT workspace, stream, digests FROM stream_digest"

#endif
