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

/* ---- the fleet (store_pg_fleet.c; schema/pg/005-fleet.sql) ---- */

/* The SQLSTATE wegauge_fence raises: "lease lost". */
#define PG_SQLSTATE_LEASE_LOST "WG001"

/*
 * $1 workspace, $2 member, $3 token: the last statement of every write of a
 * workspace in a fleet; fails (WG001) unless the lease holds, and locks it
 * until the commit.
 */
#define PG_SQL_FENCE "SELECT wegauge_fence($1, $2, $3::bigint)"

/* At open, $1 member: the leases an earlier process of this member held are given back. */
#define PG_SQL_FLEET_DROP_MINE "DELETE FROM fleet_lease WHERE member = $1"

/*
 * At open, $1 member, $2 lease_ms: the member's row (heartbeat now; its
 * configuration follows with PG_SQL_FLEET_CONF_*), and the server's clock in
 * milliseconds since the epoch.
 */
#define PG_SQL_FLEET_REGISTER                                                                      \
	"INSERT INTO fleet_member (name, fingerprint, workspaces, ws_digest, lease_ms, "           \
	"started_at,"                                                                              \
	" heartbeat_at) VALUES ($1, '', 0, '', $2::bigint, clock_timestamp(), clock_timestamp())"  \
	" ON CONFLICT (name) DO UPDATE SET lease_ms = excluded.lease_ms,"                          \
	" started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at"                  \
	" RETURNING (extract(epoch FROM clock_timestamp()) * 1000)::bigint"

/*
 * At start, $1 finished_at: the pulls an earlier process left running,
 * in a fleet only those of workspaces no member holds a live lease of (the
 * others are running on a live member; this member's own were dropped by
 * PG_SQL_FLEET_DROP_MINE).
 */
#define PG_SQL_FLEET_CLOSE_RUNNING                                                                 \
	"UPDATE pull SET status = 'cancelled', finished_at = $1::timestamptz,"                     \
	" error = 'interrupted' WHERE status = 'running' AND NOT EXISTS (SELECT 1 FROM "           \
	"fleet_lease"                                                                              \
	" l WHERE l.workspace = pull.workspace AND l.expires_at > clock_timestamp())"

/* $1 member, $2 names[]: the workspaces it no longer has configured go ... */
#define PG_SQL_FLEET_CONF_DELETE                                                                   \
	"DELETE FROM fleet_member_ws WHERE member = $1 AND workspace <> ALL ($2::text[])"
/* ... and those it has are listed ($1 member, $2 names[]) ... */
#define PG_SQL_FLEET_CONF_INSERT                                                                   \
	"INSERT INTO fleet_member_ws (member, workspace) SELECT $1, unnest($2::text[])"            \
	" ON CONFLICT DO NOTHING"
/* ... with the member's fingerprint, count and digest ($1 member, $2, $3, $4). */
#define PG_SQL_FLEET_CONF_MEMBER                                                                   \
	"UPDATE fleet_member SET fingerprint = $2, workspaces = $3::bigint, ws_digest = $4"        \
	" WHERE name = $1"

/*
 * The heartbeat, one statement whatever the number of workspaces: $1
 * member, $2 lease_ms. The member's row says it lives (inserted again if
 * it went), every lease it still holds is renewed for another lease_ms
 * (also one that expired meanwhile but that no other member took: its token
 * is unchanged, so no other member wrote with another; a take in progress
 * holds the row, and the renewal then finds it taken), and the answer is one row per other member (or one row
 * of NULLs when there is none), each also with the renewed leases' count
 * and token sum (to tell a lease lost meanwhile) and the server's clock:
 * renewed, token_sum, server_ms, name, fingerprint, ws_digest, workspaces,
 * age_ms, lease_ms. Every instant is the server's.
 */
#define PG_SQL_FLEET_BEAT                                                                          \
	"WITH me AS (INSERT INTO fleet_member (name, fingerprint, workspaces, ws_digest, "         \
	"lease_ms,"                                                                                \
	" started_at, heartbeat_at) VALUES ($1, '', 0, '', $2::bigint, clock_timestamp(),"         \
	" clock_timestamp()) ON CONFLICT (name) DO UPDATE SET heartbeat_at = "                     \
	"excluded.heartbeat_at,"                                                                   \
	" lease_ms = excluded.lease_ms RETURNING name),"                                           \
	" renewed AS (UPDATE fleet_lease SET expires_at = clock_timestamp() + $2::bigint"          \
	" * interval '1 millisecond' WHERE member = $1"                                            \
	" RETURNING token)"                                                                        \
	" SELECT (SELECT count(*) FROM renewed), (SELECT coalesce(sum(token), 0) FROM renewed),"   \
	" (extract(epoch FROM clock_timestamp()) * 1000)::bigint, (SELECT count(*) FROM me),"      \
	" m.name, m.fingerprint, m.ws_digest, m.workspaces,"                                       \
	" (extract(epoch FROM clock_timestamp() - m.heartbeat_at) * 1000)::bigint, m.lease_ms"     \
	" FROM (SELECT 1) AS one LEFT JOIN fleet_member AS m ON m.name <> $1"

/*
 * Taking leases, $1 member, $2 lease_ms, $3 names[]: each named workspace
 * whose lease is free (no row) or expired gets a new token from
 * fleet_lease_token. A lease row locked by another member's write in
 * flight (its fence) is skipped, never waited for: tried again at the next
 * heartbeat. A free one is inserted only under a transaction-scoped
 * advisory lock of its name taken without waiting, so that two members
 * that both want it (their views of the members differ for a moment)
 * never wait for each other's insert: the second skips it. acquired_at = now(), the transaction's start, so that the
 * statements after it in the same transaction find what it took.
 */
#define PG_SQL_FLEET_TAKE                                                                          \
	"WITH want AS (SELECT DISTINCT unnest($3::text[]) AS ws),"                                 \
	" expired AS (UPDATE fleet_lease AS l SET member = $1,"                                    \
	" token = nextval('fleet_lease_token'), acquired_at = now(),"                              \
	" expires_at = clock_timestamp() + $2::bigint * interval '1 millisecond'"                  \
	" WHERE l.workspace IN (SELECT f.workspace FROM fleet_lease AS f JOIN want ON"             \
	" f.workspace = want.ws WHERE f.expires_at <= clock_timestamp()"                           \
	" FOR UPDATE OF f SKIP LOCKED) RETURNING l.workspace),"                                    \
	" fresh AS (INSERT INTO fleet_lease (workspace, member, token, acquired_at, expires_at)"   \
	" SELECT ws, $1, nextval('fleet_lease_token'), now(), clock_timestamp() + $2::bigint"      \
	" * interval '1 millisecond' FROM want WHERE NOT EXISTS (SELECT 1 FROM fleet_lease AS f"   \
	" WHERE f.workspace = want.ws)"                                                            \
	" AND pg_try_advisory_xact_lock(2003265910, hashtext(want.ws))"                            \
	" ON CONFLICT (workspace) DO NOTHING RETURNING workspace)"                                 \
	" SELECT (SELECT count(*) FROM expired) + (SELECT count(*) FROM fresh)"

/*
 * Right after PG_SQL_FLEET_TAKE, in its transaction ($1 member, $2 finished_at): the
 * pulls left running on the workspaces just taken (their member died or
 * lost the lease) end cancelled, "lease lost" ...
 */
#define PG_SQL_FLEET_CLOSE_TAKEN                                                                   \
	"UPDATE pull SET status = 'cancelled', finished_at = $2::timestamptz, error = 'lease "     \
	"lost'"                                                                                    \
	" WHERE id IN (SELECT id FROM pull WHERE status = 'running' AND workspace IN"              \
	" (SELECT workspace FROM fleet_lease WHERE member = $1 AND acquired_at = now())"           \
	" FOR UPDATE SKIP LOCKED)"

/*
 * ... and what the store says of each ($1 member), read by a statement of
 * its own so that it sees every commit the take waited for: name, token,
 * has_row, state, state_reason, license_code, base_url, key_fingerprint,
 * last_pull_at, last_success_at, consecutive_failures, and when the last
 * ok or partial pull started (the tick the previous owner completed).
 */
#define PG_SQL_FLEET_TAKEN                                                                         \
	"SELECT l.workspace, l.token, w.name IS NOT NULL, coalesce(w.state, ''),"                  \
	" coalesce(w.state_reason, ''), coalesce(w.license_code, ''), coalesce(w.base_url, ''),"   \
	" coalesce(w.key_fingerprint, ''), coalesce(extract(epoch FROM w.last_pull_at)::bigint, "  \
	"0),"                                                                                      \
	" coalesce(extract(epoch FROM w.last_success_at)::bigint, 0),"                             \
	" coalesce(w.consecutive_failures, 0), coalesce((SELECT extract(epoch FROM"                \
	" max(p.started_at))::bigint FROM pull AS p WHERE p.workspace = l.workspace"               \
	" AND p.status IN ('ok', 'partial')), 0)"                                                  \
	" FROM fleet_lease AS l LEFT JOIN workspace AS w ON w.name = l.workspace"                  \
	" WHERE l.member = $1 AND l.acquired_at = now()"

/* $1 member: the leases it holds, when a heartbeat renewed fewer than it thought. */
#define PG_SQL_FLEET_MINE                                                                          \
	"SELECT workspace, token FROM fleet_lease WHERE member = $1"                               \
	" AND expires_at > clock_timestamp()"

/*
 * A pull's end after its lease was lost (PG_SQL_PULL_END's parameters,
 * status 'cancelled', error 'lease lost'): without a fence, and skipping a
 * row another member is closing already (PG_SQL_FLEET_CLOSE_TAKEN), so
 * that the two never wait for each other.
 */
#define PG_SQL_PULL_END_LOST                                                                       \
	"UPDATE pull SET finished_at = $1::timestamptz, status = $2, requests = $3::integer,"      \
	" retries = $4::integer, error = $5 WHERE id = (SELECT id FROM pull"                       \
	" WHERE id = $6::bigint AND status = 'running' FOR UPDATE SKIP LOCKED)"

/* $1 workspace, $2 member, $3 token: a lease given back. */
#define PG_SQL_FLEET_RELEASE                                                                       \
	"DELETE FROM fleet_lease WHERE workspace = $1 AND member = $2 AND token = $3::bigint"

/* $1 member: at a stop, every lease given back and the member no longer live. */
#define PG_SQL_FLEET_LEAVE_LEASES "DELETE FROM fleet_lease WHERE member = $1"
#define PG_SQL_FLEET_LEAVE_MEMBER                                                                  \
	"UPDATE fleet_member SET heartbeat_at = clock_timestamp() - lease_ms"                      \
	" * interval '1 millisecond' WHERE name = $1"

/* $1 members[]: the workspaces they have configured. */
#define PG_SQL_FLEET_MEMBER_WS                                                                     \
	"SELECT member, workspace FROM fleet_member_ws WHERE member = ANY ($1::text[])"            \
	" ORDER BY member"

#endif
