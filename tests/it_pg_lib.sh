#!/bin/bash
# it_pg_lib.sh: the helpers of tests/lib_pg.sh do what the PostgreSQL
# scenarios rely on (issue 14), without wegauged:
#  A. json_norm writes one form: compact, integers apart from reals (2 and
#     2.0), instants in UTC.
#  B. start_pg: a server on 127.0.0.1 that wants the password of
#     $PG_PASSWORD_FILE over TCP (a wrong or missing one is refused), the
#     superuser's too; both schema series load into it.
#  C. The same rows, inserted by hand into a SQLite store (schema/*.sql) and
#     into PostgreSQL (schema/pg/*.sql), come out byte-identical from
#     store_rows | json_norm and pg_store_rows: whole reals, 64-bit
#     integers, NULLs, quotes, newlines, non-ASCII text, a session time
#     zone that is not UTC, removed seats and days outside the window.
#  D. The rows of wesim --expect, loaded into both stores, pass
#     compare_with_expect and compare_pg_with_expect, check_streams_whole
#     and pg_check_streams_whole; one changed value fails the comparison.
#  E. pg_terminate_all ends a client's session; restart_pg and stop_pg.
#  F. A standby streams from the primary, refuses writes, and once
#     promoted (the primary stopped) takes them; a two-host URL with
#     target_session_attrs=read-write finds the writable one.
#  G. The EXIT trap stops the servers of a scenario that fails; without
#     PostgreSQL a scenario skips (77) and leaves nothing behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_lib

# ---- A. json_norm -------------------------------------------------------------
got=$(json_norm <<'EOF'
{ "table" : "x", "i" : 2, "r" : 2.0, "q" : 2.25, "big" : 9223372036854775807, "e" : 1.0e+20 }

{"t":"2026-03-01 05:30:00+05:30","u":"2026-02-28T23:59:59Z","f":"2026-03-01T00:00:00.500Z"}
{"z":"2026-03-01T00:00:00.000-02","s":"not 2026-03-01T00:00:00Z","n":null,"a":"\u00e9\n"}
EOF
)
want='{"table":"x","i":2,"r":2.0,"q":2.25,"big":9223372036854775807,"e":1e+20}
{"t":"2026-03-01T00:00:00Z","u":"2026-02-28T23:59:59Z","f":"2026-03-01T00:00:00.5Z"}
{"z":"2026-03-01T02:00:00Z","s":"not 2026-03-01T00:00:00Z","n":null,"a":"é\n"}'
[ "$got" = "$want" ] || fail "json_norm gave:
$got
instead of:
$want"
if echo '{"a":1} trailing' | json_norm >/dev/null 2>"$T_DIR/norm.err"; then
	fail "json_norm accepted a line that is not JSON"
fi
t_log "A: json_norm: one form, 2 and 2.0 kept apart, instants in UTC"

# ---- B. a server, its passwords, both schema series ---------------------------
start_pg
[ "$PG_HOST" = 127.0.0.1 ] || fail "PG_HOST is $PG_HOST"
[ "$PG_URL" = "postgresql://wegauge_test@127.0.0.1:$PG_PORT/wegauge?sslmode=disable" ] ||
	fail "PG_URL is $PG_URL"
[ "$(cat "$PG_DATA/PG_VERSION" 2>/dev/null)" = 15 ] ||
	fail "PG_DATA $PG_DATA is not a PostgreSQL 15 data directory"
for f in "$PG_PASSWORD_FILE" "$PG_SUPERUSER_PASSWORD_FILE"; do
	[ "$(stat -c '%a %u' "$f")" = "600 $(id -u)" ] || fail "$f: $(stat -c '%a %U' "$f")"
	[ -s "$f" ] || fail "$f is empty"
done
[ "$(pg_sql 'SHOW listen_addresses')" = 127.0.0.1 ] || fail "listens beyond 127.0.0.1"
[ "$(pg_sql 'SELECT current_user, current_database()')" = "wegauge_test|wegauge" ] ||
	fail "pg_sql does not run as wegauge_test in wegauge"

# tcp_psql PASSWORD URL SQL: psql over TCP with that password and nothing
# else (no ~/.pgpass, no PGPASSFILE).
tcp_psql() {
	PGPASSFILE=/dev/null PGPASSWORD=$1 "$PG_BIN/psql" -X -A -t -v ON_ERROR_STOP=1 "$2" -c "$3"
}
got=$(tcp_psql "$(cat "$PG_PASSWORD_FILE")" "$PG_URL" \
	'SELECT current_user, inet_server_addr(), inet_server_port()')
[ "$got" = "wegauge_test|127.0.0.1|$PG_PORT" ] || fail "PG_URL with the password: $got"
su_url="postgresql://postgres@127.0.0.1:$PG_PORT/wegauge?sslmode=disable"
[ "$(tcp_psql "$(cat "$PG_SUPERUSER_PASSWORD_FILE")" "$su_url" 'SELECT current_user')" = \
	postgres ] || fail "the superuser's password is refused"
if tcp_psql wrong "$PG_URL" 'SELECT 1' >/dev/null 2>"$T_DIR/psql.err"; then
	fail "a wrong password was accepted"
fi
grep -q 'password authentication failed' "$T_DIR/psql.err" || fail "$(cat "$T_DIR/psql.err")"
if PGPASSFILE=/dev/null "$PG_BIN/psql" -X -w "$PG_URL" -c 'SELECT 1' >/dev/null \
	2>"$T_DIR/psql.err"; then
	fail "no password was accepted"
fi
grep -q 'no password supplied' "$T_DIR/psql.err" || fail "$(cat "$T_DIR/psql.err")"

for f in "$SOURCE_DIR"/schema/pg/[0-9][0-9][0-9]-*.sql; do
	pg_sql <"$f" || fail "$f does not load"
done
DB="$T_DIR/store.db"
for f in "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql; do
	sqlite3 -bail "$DB" <"$f" || fail "$f does not load"
done
t_log "B: PostgreSQL on 127.0.0.1:$PG_PORT: passwords checked, both schema series loaded"

# ---- C. the same rows by hand in both stores ------------------------------------
# Valid SQL for both: instants as 'YYYY-MM-DDTHH:MM:SSZ' (SQLite's CHECKs
# want exactly that), a whole real written 2.0 (SQLite's ANY keeps a real,
# PostgreSQL's numeric keeps the scale).
cat >"$T_DIR/rows.sql" <<'EOF'
INSERT INTO workspace (name, license_code, data_center, base_url, state) VALUES
 ('acme', 'lc-acme', 'global', 'https://api.webengage.com', 'connected'),
 ('zeta', 'lc-zeta', 'in', 'https://api.in.webengage.com', 'failing');
INSERT INTO pull (id, workspace, started_at, finished_at, status, requests, retries, rows,
                  error) VALUES
 (1, 'acme', '2026-03-01T10:00:00Z', '2026-03-01T10:00:41Z', 'ok', 10, 0, 14, NULL),
 (2, 'zeta', '2026-03-01T11:00:00Z', NULL, 'running', 1, 0, 0, NULL);
INSERT INTO feature_usage_daily (workspace, day, feature, metric, value, pull_id,
                                 updated_at) VALUES
 ('acme', '2026-03-01', 'EMAIL', 'deliveries', 15305, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-03-01', 'EMAIL', 'revenue', 2.0, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-03-01', 'EMAIL', 'clicks', 2, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-03-01', 'SMS', 'revenue', 2.25, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-03-01', 'SMS', 'impressions', 0.1, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-03-01', 'SMS', 'users', 9223372036854775807, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-03-02', 'SMS', 'users', -5, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-03-02', 'SMS', 'conversions', NULL, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-02-28', 'EMAIL', 'deliveries', 7, 1, '2026-03-01T10:00:41Z'),
 ('zeta', '2026-03-02', 'OVERALL', 'revenue', 100000000000000000000.0, 2,
  '2026-03-01T11:00:00Z');
INSERT INTO campaign (workspace, channel, campaign_id, title, status, category, created_on,
                      start_date, sent, delivered, clicks, conversions, revenue, pull_id,
                      updated_at) VALUES
 ('acme', 'EMAIL', 'c1', 'Spring "sale" – 50% off, O''Brien''s Ünïcødé ☃', 'RUNNING',
  'PROMOTIONAL', '2026-02-27T08:15:00Z', '2026-02-28T00:00:00Z', 1000, 990, 12, 3, 1234.5, 1,
  '2026-03-01T10:00:41Z'),
 ('zeta', 'PUSH_NOTIFICATION', 'c2', 'two
lines, a \ backslash', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2,
  '2026-03-01T11:00:00Z');
INSERT INTO active_users_daily (workspace, day, platform, dau, wau, mau, pull_id,
                                updated_at) VALUES
 ('acme', '2026-03-01', 'android', 100, 300, 900, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-03-02', 'ios', 5, NULL, NULL, 1, '2026-03-01T10:00:41Z'),
 ('acme', '2026-03-03', 'web', 1, 1, 1, 1, '2026-03-01T10:00:41Z');
INSERT INTO seat (workspace, email, name, role, status, last_login_at, first_seen_at,
                  last_seen_at, removed_at, pull_id, updated_at) VALUES
 ('acme', 'ann@example.com', 'Ann', 'admin', 'ACTIVE', '2026-02-28T23:59:59Z',
  '2026-01-01T00:00:00Z', '2026-03-01T10:00:41Z', NULL, 1, '2026-03-01T10:00:41Z'),
 ('acme', 'bob@example.com', NULL, 'viewer', 'INVITED', NULL,
  '2026-01-01T00:00:00Z', '2026-03-01T10:00:41Z', NULL, 1, '2026-03-01T10:00:41Z'),
 ('acme', 'gone@example.com', 'Gone', 'admin', 'ACTIVE', '2026-01-01T00:00:00Z',
  '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', '2026-03-01T10:00:41Z', 1,
  '2026-03-01T10:00:41Z');
EOF
{
	echo 'PRAGMA foreign_keys = ON; BEGIN;'
	cat "$T_DIR/rows.sql"
	echo 'COMMIT;'
} | sqlite3 -bail "$DB" || fail "the hand rows do not load into SQLite"
pg_sql - -1 <"$T_DIR/rows.sql" || fail "the hand rows do not load into PostgreSQL"

store_rows "$DB" 2026-03-01 2026-03-02 | json_norm | LC_ALL=C sort >"$T_DIR/sqlite.jsonl"
pg_store_rows 2026-03-01 2026-03-02 >"$T_DIR/pg.jsonl"
if ! cmp -s "$T_DIR/sqlite.jsonl" "$T_DIR/pg.jsonl"; then
	diff "$T_DIR/sqlite.jsonl" "$T_DIR/pg.jsonl" >&2 || true
	fail "store_rows and pg_store_rows differ for the same rows"
fi
# 9 statistics in the window, 2 campaigns, 2 active users in it, 2 seats.
[ "$(wc -l <"$T_DIR/pg.jsonl")" = 15 ] || fail "expected 15 rows: $(cat "$T_DIR/pg.jsonl")"
for want in '"metric":"revenue","value":2.0}' '"metric":"clicks","value":2}' \
	'"value":9223372036854775807}' '"value":1e+20}' '"last_login_at":"2026-02-28T23:59:59Z"}' \
	'"title":"two\nlines, a \\ backslash"' '"created_on":"2026-02-27T08:15:00Z"'; do
	grep -qF -- "$want" "$T_DIR/pg.jsonl" || fail "no $want in pg_store_rows' output"
done
t_log "C: the same 15 rows from store_rows and pg_store_rows, byte for byte"

# ---- D. wesim --expect in both stores, and the comparisons ----------------------
WS=(--workspaces 3 --seed 7)
window 7
"$WESIM" "${WS[@]}" --expect all --from "$FROM" --to "$TO" >"$T_DIR/expect_all.jsonl"
# As a correct collector would store them: one workspace ws-LC per license
# code, one pull each; every value and text as wesim printed it.
expect_rows_sql "$T_DIR/expect_all.jsonl" >"$T_DIR/expect_rows.sql"
DB2="$T_DIR/expect.db"
for f in "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql; do sqlite3 -bail "$DB2" <"$f"; done
{
	echo 'PRAGMA foreign_keys = ON; BEGIN;'
	cat "$T_DIR/expect_rows.sql"
	echo 'COMMIT;'
} | sqlite3 -bail "$DB2" || fail "wesim's rows do not load into SQLite"
pg_sql "TRUNCATE workspace, pull, feature_usage_daily, campaign, active_users_daily, seat, stream_digest"
pg_sql - -1 <"$T_DIR/expect_rows.sql" || fail "wesim's rows do not load into PostgreSQL"
compare_with_expect "$DB2" "${WS[@]}"
check_streams_whole "$DB2" "${WS[@]}"
compare_pg_with_expect "${WS[@]}"
pg_check_streams_whole "${WS[@]}"
store_rows "$DB2" "$FROM" "$TO" | json_norm | LC_ALL=C sort >"$T_DIR/sqlite.jsonl"
pg_store_rows "$FROM" "$TO" >"$T_DIR/pg.jsonl"
cmp -s "$T_DIR/sqlite.jsonl" "$T_DIR/pg.jsonl" ||
	fail "store_rows and pg_store_rows differ on wesim's rows"

# One value one higher, one stream split over two pulls: both must fail.
pg_sql "UPDATE feature_usage_daily SET value = value + 1
         WHERE (workspace, day, feature, metric) IN
               (SELECT workspace, day, feature, metric FROM feature_usage_daily
                 WHERE value IS NOT NULL AND day = '$TO' LIMIT 1)"
if (compare_pg_with_expect "${WS[@]}") 2>"$T_DIR/cmp.err"; then
	fail "compare_pg_with_expect passed with a changed value"
fi
grep -q 'differs from wesim --expect' "$T_DIR/cmp.err" || fail "$(cat "$T_DIR/cmp.err")"
pg_sql "INSERT INTO pull (id, workspace, started_at, status)
        SELECT 100, workspace, now(), 'ok' FROM campaign LIMIT 1;
        UPDATE campaign SET pull_id = 100
         WHERE (workspace, channel, campaign_id) IN
               (SELECT workspace, channel, campaign_id FROM campaign LIMIT 1)"
if (pg_check_streams_whole "${WS[@]}") 2>"$T_DIR/whole.err"; then
	fail "pg_check_streams_whole passed with a stream of two pulls"
fi
grep -q 'streams not whole' "$T_DIR/whole.err" || fail "$(cat "$T_DIR/whole.err")"
t_log "D: wesim's $(wc -l <"$T_DIR/expect_all.jsonl") rows pass both comparisons; changes fail"

# ---- E. pg_terminate_all, restart_pg, stop_pg -----------------------------------
PGPASSFILE=/dev/null PGPASSWORD=$(cat "$PG_PASSWORD_FILE") \
	"$PG_BIN/psql" -X -q "$PG_URL" -c 'SELECT pg_sleep(300)' >/dev/null 2>"$T_DIR/sleep.err" &
sleeper=$!
t_track $sleeper
sleeping() {
	[ "$(pg_super_sql "SELECT count(*) FROM pg_stat_activity
	                    WHERE query LIKE 'SELECT pg_sleep(300)%' AND state = 'active'
	                      AND pid <> pg_backend_pid()")" = 1 ]
}
wait_for 30 "the sleeping session" sleeping
pg_terminate_all
rc=0
wait $sleeper || rc=$?
t_untrack $sleeper
[ "$rc" != 0 ] || fail "the session survived pg_terminate_all"
grep -q 'terminat' "$T_DIR/sleep.err" || fail "psql said: $(cat "$T_DIR/sleep.err")"

pg_sql "CREATE TABLE t_restart (x int); INSERT INTO t_restart VALUES (42)"
restart_pg
[ "$(pg_sql 'SELECT x FROM t_restart')" = 42 ] || fail "a row was lost by restart_pg"
stop_pg
if pg_is_up; then fail "stop_pg left the server up"; fi
restart_pg
pg_is_up || fail "restart_pg did not start a stopped server"
[ "$(pg_sql 'SELECT x FROM t_restart')" = 42 ] || fail "a row was lost by stop_pg"
pg_sql 'DROP TABLE t_restart'
t_log "E: pg_terminate_all ended a session; restart_pg and stop_pg keep the data"

# ---- F. a standby, promoted ---------------------------------------------------
start_pg_standby s1
[ "$PG_STANDBY_URL" = \
	"postgresql://wegauge_test@127.0.0.1:$PG_STANDBY_PORT/wegauge?sslmode=disable" ] ||
	fail "PG_STANDBY_URL is $PG_STANDBY_URL"
pg_sql "INSERT INTO workspace (name, license_code, data_center, base_url)
        VALUES ('repl', 'lc-repl', 'global', 'http://127.0.0.1')"
wait_pg_standby s1
[ "$(pg_sql_at s1 "SELECT name FROM workspace WHERE name = 'repl'")" = repl ] ||
	fail "the standby does not have the primary's row"
if pg_sql_at s1 "DELETE FROM workspace WHERE name = 'repl'" 2>"$T_DIR/ro.err"; then
	fail "the standby took a write"
fi
grep -q 'read-only transaction' "$T_DIR/ro.err" || fail "$(cat "$T_DIR/ro.err")"
both="$(pg_url s1 main)&target_session_attrs=read-write"
[ "$(tcp_psql "$(cat "$PG_PASSWORD_FILE")" "$both" 'SELECT inet_server_port()')" = \
	"$PG_PORT" ] || fail "target_session_attrs=read-write did not find the primary"

stop_pg main
promote_pg_standby s1
[ "$PG_PRIMARY" = s1 ] || fail "PG_PRIMARY is $PG_PRIMARY after the promotion"
pg_sql "UPDATE workspace SET state = 'connected' WHERE name = 'repl'"
# The old primary first: it is down, and the URL goes on to the new one.
both="$(pg_url main s1)&target_session_attrs=read-write"
[ "$(tcp_psql "$(cat "$PG_PASSWORD_FILE")" "$both" 'SELECT inet_server_port()')" = \
	"$PG_STANDBY_PORT" ] || fail "target_session_attrs=read-write did not find the new primary"
t_log "F: standby s1 streamed, refused writes, was promoted and took them"

# ---- G. cleanup and skipping ----------------------------------------------------
# child_scenario BODY: a scenario of its own under $T_DIR/child; its exit
# status in CHILD_RC.
mkdir "$T_DIR/child"
child_scenario() {
	cat >"$T_DIR/child/it_child.sh" <<EOF
. "$SOURCE_DIR/tests/lib.sh"
. "$SOURCE_DIR/tests/lib_pg.sh"
t_init it_child
$1
EOF
	CHILD_RC=0
	TEST_TMP="$T_DIR/child" bash "$T_DIR/child/it_child.sh" >>"$T_DIR/child.log" 2>&1 ||
		CHILD_RC=$?
}
child_scenario 'start_pg; start_pg_standby s; echo "$PG_DATA $PG_STANDBY_DATA" >"$TEST_TMP/data"
fail "on purpose"'
[ "$CHILD_RC" = 1 ] || fail "the failing child scenario exited $CHILD_RC"
for d in $(cat "$T_DIR/child/data"); do
	rc=0
	_pg_owner "$PG_BIN/pg_ctl" -D "$d" status >/dev/null 2>&1 || rc=$?
	[ "$rc" = 3 ] || fail "a server of a failed scenario still runs ($d: pg_ctl status $rc)"
done
# (Its instances may live in /tmp, linked from its directory: see _pg_new_base.)
for l in "$T_DIR"/child/it_child.*/pg-*; do
	if [ -L "$l" ]; then rm -rf "$(readlink "$l")"; fi
done
rm -rf "$T_DIR"/child/it_child.*
child_scenario 'PG_BIN=/nonexistent; start_pg; fail "did not skip"'
[ "$CHILD_RC" = 77 ] || fail "without PostgreSQL the child scenario exited $CHILD_RC, not 77"
left=$(find "$T_DIR/child" -mindepth 1 -maxdepth 1 -name 'it_child.*' ! -name it_child.sh)
[ -z "$left" ] || fail "a skipped scenario left $left"
t_log "G: a failed scenario's servers are stopped; without PostgreSQL it skips"

t_pass
