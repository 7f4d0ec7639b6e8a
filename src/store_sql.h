/*
 * store_sql.h: every SQL text of the store, in one place (the schema
 * itself is in schema/NNN-name.sql, embedded at build time).
 *
 * Statements named SQL_* without _FMT are prepared once per connection
 * (see store.c, enum store_stmt) or run once at open. Parameters are
 * numbered; each statement's comment lists them in order, and the C code
 * binds them in that order. Instants are bound as UTC text
 * "YYYY-MM-DDTHH:MM:SSZ" (NULL for none), read back as epoch seconds with
 * unixepoch(). *_FMT texts are printf formats for PRAGMAs, which take no
 * parameters; they are only ever given integers.
 */
#ifndef WEGAUGE_STORE_SQL_H
#define WEGAUGE_STORE_SQL_H

/* ---- Opening and migrating ---- */

#define SQL_JOURNAL_WAL            "PRAGMA journal_mode = WAL"
#define SQL_FOREIGN_KEYS_ON        "PRAGMA foreign_keys = ON"
#define SQL_SYNCHRONOUS_NORMAL     "PRAGMA synchronous = NORMAL"
#define SQL_SYNCHRONOUS_FULL       "PRAGMA synchronous = FULL"
#define SQL_JOURNAL_SIZE_LIMIT_FMT "PRAGMA journal_size_limit = %lld"
#define SQL_USER_VERSION_FMT       "PRAGMA user_version = %d"
#define SQL_APPLICATION_ID_FMT     "PRAGMA application_id = %d"
/* The first problem only: "ok", or one line saying what is wrong. */
#define SQL_QUICK_CHECK "PRAGMA quick_check(1)"

/* What the file is: user_version, application_id, number of schema objects. */
#define SQL_SCHEMA_IDENTIFY                                                                        \
	"SELECT (SELECT user_version FROM pragma_user_version),"                                   \
	" (SELECT application_id FROM pragma_application_id),"                                     \
	" (SELECT count(*) FROM sqlite_schema)"

#define SQL_BEGIN_IMMEDIATE "BEGIN IMMEDIATE"
#define SQL_COMMIT          "COMMIT"
#define SQL_ROLLBACK        "ROLLBACK"
/* One stream inside a group of writes (store_group_on): its own savepoint. */
#define SQL_SAVEPOINT   "SAVEPOINT stream"
#define SQL_RELEASE     "RELEASE stream"
#define SQL_ROLLBACK_TO "ROLLBACK TO stream"
/*
 * A savepoint keeps the original of every page it changes in a
 * sub-journal, by default a temporary file: 2 writes per page per stream.
 * In memory it costs only the pages of the open savepoint.
 */
#define SQL_TEMP_STORE_MEMORY "PRAGMA temp_store = MEMORY"

/* ---- workspace ---- */

/*
 * ?1 name, ?2 license_code, ?3 data_center, ?4 base_url, ?5 key_fingerprint,
 * ?6 state, ?7 state_reason, ?8 last_pull_at, ?9 last_success_at,
 * ?10 next_pull_at, ?11 consecutive_failures. An upsert, not REPLACE:
 * REPLACE deletes the row first, which the pulls referencing it forbid.
 */
#define SQL_WS_PUT                                                                                 \
	"INSERT INTO workspace (name, license_code, data_center, base_url, key_fingerprint,"       \
	" state, state_reason, last_pull_at, last_success_at, next_pull_at, consecutive_failures," \
	" seat_price, currency, interval_s)"                                                       \
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"                    \
	" ON CONFLICT (name) DO UPDATE SET"                                                        \
	" license_code = excluded.license_code, data_center = excluded.data_center,"               \
	" base_url = excluded.base_url, key_fingerprint = excluded.key_fingerprint,"               \
	" state = excluded.state, state_reason = excluded.state_reason,"                           \
	" last_pull_at = excluded.last_pull_at, last_success_at = excluded.last_success_at,"       \
	" next_pull_at = excluded.next_pull_at,"                                                   \
	" consecutive_failures = excluded.consecutive_failures, seat_price = excluded.seat_price," \
	" currency = excluded.currency, interval_s = excluded.interval_s"

/*
 * ?1 name -> state, key_fingerprint, last_pull_at, last_success_at (epoch), failures,
 * state_reason, license_code, base_url.
 */
#define SQL_WS_GET                                                                                 \
	"SELECT state, key_fingerprint, unixepoch(last_pull_at), unixepoch(last_success_at),"      \
	" consecutive_failures, state_reason, license_code, base_url"                              \
	" FROM workspace WHERE name = ?1"

/* The names of every workspace not removed, by name. */
#define SQL_WS_ACTIVE "SELECT name FROM workspace WHERE state <> 'removed' ORDER BY name"

/* ?1 state, ?2 state_reason, ?3 name. */
#define SQL_WS_SET_STATE "UPDATE workspace SET state = ?1, state_reason = ?2 WHERE name = ?3"

/* ---- pull ---- */

/*
 * ?1 workspace, ?2 started_at, ?3 the lowest id this process may hand out next: a group that was
 * rolled back took its pulls' ids back from sqlite_sequence, and a later
 * pull must not get the id the log already named for another. Above the
 * sequence it is used as the id; else AUTOINCREMENT chooses (NULL).
 */
#define SQL_PULL_BEGIN                                                                             \
	"INSERT INTO pull (id, workspace, started_at, status) VALUES ("                            \
	"CASE WHEN ?3 > coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'pull'), 0)"        \
	" THEN ?3 END, ?1, ?2, 'running')"

/* ?1 finished_at, ?2 status, ?3 requests, ?4 retries, ?5 rows, ?6 error, ?7 id. */
#define SQL_PULL_END                                                                               \
	"UPDATE pull SET finished_at = ?1, status = ?2, requests = ?3, retries = ?4, rows = ?5,"   \
	" error = ?6 WHERE id = ?7 AND status = 'running'"

/* ?1 finished_at. */
#define SQL_PULL_CLOSE_RUNNING                                                                     \
	"UPDATE pull SET status = 'cancelled', finished_at = ?1, error = 'interrupted'"            \
	" WHERE status = 'running'"

/* ?1 id, ?2 workspace: a row when pull ?1 is a running pull of ?2. */
#define SQL_PULL_CHECK "SELECT 1 FROM pull WHERE id = ?1 AND workspace = ?2 AND status = 'running'"

/*
 * ---- the four streams: upserts of changed rows only ----
 *
 * Each upsert writes its row only when it is new or one of its values
 * differs from the stored one: the SELECT gives no row when an equal row
 * is stored, so nothing is written (no page changes, and the table's
 * CHECKs are not even evaluated); else ON CONFLICT updates the stored row.
 * sqlite3_changes() is then 1, else 0: the rows written. Values compare
 * with IS (NULL equals NULL) and, for ANY columns, also by typeof(), so
 * that 2 becoming 2.0 is a change, as the store keeps the two apart.
 * pull_id and updated_at are the pull that last changed the row, and when
 * (schema/003-changed-only-writes.sql).
 */

/* ?1 workspace, ?2 day, ?3 feature, ?4 metric, ?5 value, ?6 pull_id, ?7 updated_at. */
#define SQL_FEATURE_UPSERT                                                                         \
	"INSERT INTO feature_usage_daily (workspace, day, feature, metric, value, pull_id,"        \
	" updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7"                                           \
	" WHERE NOT EXISTS (SELECT 1 FROM feature_usage_daily WHERE workspace = ?1 AND day = ?2"   \
	" AND feature = ?3 AND metric = ?4 AND value IS ?5 AND typeof(value) = typeof(?5))"        \
	" ON CONFLICT (workspace, day, feature, metric) DO UPDATE SET"                             \
	" value = excluded.value, pull_id = excluded.pull_id, updated_at = excluded.updated_at"

/*
 * ?1 workspace, ?2 channel, ?3 campaign_id, ?4 title, ?5 status, ?6 category,
 * ?7 created_on, ?8 start_date, ?9 sent, ?10 delivered, ?11 clicks,
 * ?12 conversions, ?13 revenue, ?14 pull_id, ?15 updated_at.
 */
#define SQL_CAMPAIGN_UPSERT                                                                        \
	"INSERT INTO campaign (workspace, channel, campaign_id, title, status, category,"          \
	" created_on, start_date, sent, delivered, clicks, conversions, revenue, pull_id,"         \
	" updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15"     \
	" WHERE NOT EXISTS (SELECT 1 FROM campaign WHERE workspace = ?1 AND channel = ?2"          \
	" AND campaign_id = ?3 AND title IS ?4 AND status IS ?5 AND category IS ?6"                \
	" AND created_on IS ?7 AND start_date IS ?8"                                               \
	" AND sent IS ?9 AND typeof(sent) = typeof(?9)"                                            \
	" AND delivered IS ?10 AND typeof(delivered) = typeof(?10)"                                \
	" AND clicks IS ?11 AND typeof(clicks) = typeof(?11)"                                      \
	" AND conversions IS ?12 AND typeof(conversions) = typeof(?12)"                            \
	" AND revenue IS ?13 AND typeof(revenue) = typeof(?13))"                                   \
	" ON CONFLICT (workspace, channel, campaign_id) DO UPDATE SET"                             \
	" title = excluded.title, status = excluded.status, category = excluded.category,"         \
	" created_on = excluded.created_on, start_date = excluded.start_date,"                     \
	" sent = excluded.sent, delivered = excluded.delivered, clicks = excluded.clicks,"         \
	" conversions = excluded.conversions, revenue = excluded.revenue,"                         \
	" pull_id = excluded.pull_id, updated_at = excluded.updated_at"

/* ?1 workspace, ?2 day, ?3 platform, ?4 dau, ?5 wau, ?6 mau, ?7 pull_id, ?8 updated_at. */
#define SQL_ACTIVE_UPSERT                                                                          \
	"INSERT INTO active_users_daily (workspace, day, platform, dau, wau, mau, pull_id,"        \
	" updated_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8"                                       \
	" WHERE NOT EXISTS (SELECT 1 FROM active_users_daily WHERE workspace = ?1 AND day = ?2"    \
	" AND platform = ?3 AND dau IS ?4 AND typeof(dau) = typeof(?4)"                            \
	" AND wau IS ?5 AND typeof(wau) = typeof(?5) AND mau IS ?6 AND typeof(mau) = typeof(?6))"  \
	" ON CONFLICT (workspace, day, platform) DO UPDATE SET"                                    \
	" dau = excluded.dau, wau = excluded.wau, mau = excluded.mau,"                             \
	" pull_id = excluded.pull_id, updated_at = excluded.updated_at"

/*
 * ?1 workspace, ?2 email, ?3 name, ?4 role, ?5 status, ?6 last_login_at,
 * ?7 pull_id, ?8 now. A seat is written when it is new, when a value
 * changed, or when it was removed and is listed again: it then keeps
 * first_seen_at, gets last_seen_at = now and is no longer removed.
 */
#define SQL_SEAT_UPSERT                                                                            \
	"INSERT INTO seat (workspace, email, name, role, status, last_login_at, first_seen_at,"    \
	" last_seen_at, removed_at, pull_id, updated_at)"                                          \
	" SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?8, ?8, NULL, ?7, ?8"                                     \
	" WHERE NOT EXISTS (SELECT 1 FROM seat WHERE workspace = ?1 AND email = ?2"                \
	" AND name IS ?3 AND role IS ?4 AND status IS ?5 AND last_login_at IS ?6"                  \
	" AND removed_at IS NULL)"                                                                 \
	" ON CONFLICT (workspace, email) DO UPDATE SET"                                            \
	" name = excluded.name, role = excluded.role, status = excluded.status,"                   \
	" last_login_at = excluded.last_login_at, last_seen_at = excluded.last_seen_at,"           \
	" removed_at = NULL, pull_id = excluded.pull_id, updated_at = excluded.updated_at"

/*
 * ?1 workspace, ?2 pull_id, ?3 now, ?4 the emails of the complete listing
 * as a JSON array: every seat of ?1 not removed and not listed is removed
 * (once), by pull ?2; its last_seen_at becomes the newest earlier listing
 * of the team (that still had it: it was not removed).
 */
#define SQL_SEAT_MARK_REMOVED                                                                      \
	"UPDATE seat SET removed_at = ?3, updated_at = ?3, pull_id = ?2,"                          \
	" last_seen_at = max(last_seen_at, coalesce((SELECT max(started_at) FROM pull"             \
	" WHERE workspace = ?1 AND id <> ?2 AND instr(',' || streams || ',', ',team,') > 0),"      \
	" last_seen_at))"                                                                          \
	" WHERE workspace = ?1 AND removed_at IS NULL"                                             \
	" AND email NOT IN (SELECT value FROM json_each(?4))"

/* ?1 pull_id, ?2 stream: the pull stored the stream whole (pull.streams). */
#define SQL_PULL_ADD_STREAM                                                                        \
	"UPDATE pull SET streams = CASE WHEN streams = '' THEN ?2 ELSE streams || ',' || ?2 END"   \
	" WHERE id = ?1"

/* ?1 workspace, ?2 stream, ?3 digests: written only when they differ. */
#define SQL_STREAM_DIGEST_PUT                                                                      \
	"INSERT INTO stream_digest (workspace, stream, digests) SELECT ?1, ?2, ?3"                 \
	" WHERE NOT EXISTS (SELECT 1 FROM stream_digest WHERE workspace = ?1 AND stream = ?2"      \
	" AND digests = ?3)"                                                                       \
	" ON CONFLICT (workspace, stream) DO UPDATE SET digests = excluded.digests"

/* ?1 workspace, ?2 stream: a walk without page digests remembers none. */
#define SQL_STREAM_DIGEST_DEL "DELETE FROM stream_digest WHERE workspace = ?1 AND stream = ?2"

/* ?1 workspace, ?2 stream -> digests. */
#define SQL_STREAM_DIGEST_GET                                                                      \
	"SELECT digests FROM stream_digest WHERE workspace = ?1 AND stream = ?2"

/* store_ckpt.c: the checkpointer connection's first read, which puts it in WAL mode. */
#define SQL_CKPT_FIRST_READ "SELECT count(*) FROM sqlite_master"

#endif
