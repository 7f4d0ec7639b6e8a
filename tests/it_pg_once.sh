#!/bin/bash
# it_pg_once.sh: wegauged --once on a PostgreSQL store (issue 14).
#  1. the daemon creates the schema itself (schema/pg) in an empty database,
#     logging in with database_password_file; every row equals wesim
#     --expect exactly;
#  2. the same pulls into an SQLite store give the same rows: the two
#     stores' dumps (store_rows, pg_store_rows) are byte-identical, and so
#     are the views v_seat_utilization and the workspace rows' states;
#  3. a second run duplicates nothing; after a revision bump a third run
#     updates the changed values and marks exactly the departed members
#     removed, as on SQLite;
#  4. the password is in no log line, and the log names the store without it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_once

start_pg
SEED=7
N=30
start_wesim --workspaces $N --seed $SEED --write-config "$T_DIR/cfg" \
	--accounts "$T_DIR/cfg/wesim.accounts"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
ACCOUNTS="$T_DIR/cfg/wesim.accounts"
DB="$T_DIR/cfg/wegauge.db"
cp "$T_DIR/cfg/wegauged.conf" "$T_DIR/sqlite.conf"
CONF="$T_DIR/cfg/wegauged.conf"
pg_configure "$CONF"
window 7

once() {
	"$WEGAUGED" -c "$1" --once >>"$T_DIR/wegauged.log" 2>&1 || fail "wegauged --once ($1) exited $?"
}

t_log "run 1 on both stores"
once "$CONF"
once "$T_DIR/sqlite.conf"
SERIES=$(cd "$SOURCE_DIR/schema/pg" && ls [0-9][0-9][0-9]-*.sql | sed 's/^0*//; s/-.*//' | tr '\n' ' ')
[ "$(pg_sql "SELECT version FROM wegauge_schema ORDER BY version" | tr '\n' ' ')" = "$SERIES" ] ||
	fail "the daemon did not record every file of schema/pg ($SERIES)"
[ "$(pg_sql "SELECT count(*) FROM pull WHERE status = 'ok'")" = $N ] ||
	fail "not every pull is ok: $(pg_sql "SELECT status, count(*) FROM pull GROUP BY 1")"
[ "$(pg_sql "SELECT count(*) FROM workspace WHERE state = 'connected'")" = $N ] ||
	fail "not every workspace is connected"
compare_pg_with_expect --workspaces $N --seed $SEED --accounts "$ACCOUNTS"
cp "$T_DIR/expect.jsonl" "$T_DIR/expect1.jsonl"

# 2. The same rows in both stores (both dumps through json_norm).
same_rows() {
	window_now
	store_rows "$DB" "$FROM" "$TO" | json_norm | LC_ALL=C sort >"$T_DIR/dump.sqlite"
	pg_store_rows "$FROM" "$TO" >"$T_DIR/dump.pg"
	cmp -s "$T_DIR/dump.sqlite" "$T_DIR/dump.pg" ||
		fail "the stores differ: $(diff "$T_DIR/dump.sqlite" "$T_DIR/dump.pg" | head -6)"
	[ -s "$T_DIR/dump.pg" ] || fail "empty dumps"
	sql "$DB" "SELECT workspace, seats, active_30d, active_60d, active_90d, never_logged_in,
		utilization_pct FROM v_seat_utilization ORDER BY 1" >"$T_DIR/seats.sqlite"
	pg_sql "SELECT workspace, seats, active_30d, active_60d, active_90d, never_logged_in,
		utilization_pct FROM v_seat_utilization ORDER BY 1" >"$T_DIR/seats.pg"
	cmp -s "$T_DIR/seats.sqlite" "$T_DIR/seats.pg" ||
		fail "v_seat_utilization differs: $(diff "$T_DIR/seats.sqlite" "$T_DIR/seats.pg" | head -4)"
	sql "$DB" "SELECT name, state, key_fingerprint, consecutive_failures FROM workspace
		ORDER BY 1" >"$T_DIR/ws.sqlite"
	pg_sql "SELECT name, state, key_fingerprint, consecutive_failures FROM workspace
		ORDER BY 1" >"$T_DIR/ws.pg"
	cmp -s "$T_DIR/ws.sqlite" "$T_DIR/ws.pg" || fail "workspace rows differ"
	t_log "both stores hold the same $(wc -l <"$T_DIR/dump.pg") rows"
}
same_rows

counts() {
	pg_sql "SELECT (SELECT count(*) FROM feature_usage_daily) || ' ' ||
		(SELECT count(*) FROM campaign) || ' ' || (SELECT count(*) FROM active_users_daily)
		|| ' ' || (SELECT count(*) FROM seat)"
}
c1=$(counts)

t_log "run 2: nothing duplicated"
once "$CONF"
once "$T_DIR/sqlite.conf"
[ "$(counts)" = "$c1" ] || fail "row counts changed on an identical run: $c1 -> $(counts)"
[ "$(pg_sql "SELECT count(*) FROM pull WHERE status = 'ok'")" = $((2 * N)) ] ||
	fail "second run: not every pull ok"
compare_pg_with_expect --workspaces $N --seed $SEED --accounts "$ACCOUNTS"

t_log "run 3: revisions bumped for ws-0001..ws-0005"
sed -i -E 's/^(ws-000[1-5] .*)revision=0/\1revision=1/' "$ACCOUNTS"
[ "$(grep -c 'revision=1' "$ACCOUNTS")" = 5 ] || fail "could not bump revisions"
curl -sf -X POST "$WESIM_URL/_wesim/reload" >/dev/null || fail "wesim did not reload"
once "$CONF"
once "$T_DIR/sqlite.conf"
compare_pg_with_expect --workspaces $N --seed $SEED --accounts "$ACCOUNTS"
cmp -s "$T_DIR/expect1.jsonl" "$T_DIR/expect.jsonl" && fail "the revision bump changed nothing"
same_rows
sql "$DB" "SELECT w.license_code || ' ' || s.email FROM seat s JOIN workspace w
	ON w.name = s.workspace WHERE s.removed_at IS NOT NULL" | LC_ALL=C sort >"$T_DIR/removed.sqlite"
pg_sql "SELECT w.license_code || ' ' || s.email FROM seat s JOIN workspace w
	ON w.name = s.workspace WHERE s.removed_at IS NOT NULL" | LC_ALL=C sort >"$T_DIR/removed.pg"
[ -s "$T_DIR/removed.pg" ] || fail "no member marked removed after the revision bump"
cmp -s "$T_DIR/removed.sqlite" "$T_DIR/removed.pg" || fail "removed seats differ between the stores"
[ "$(pg_sql "SELECT count(*) FROM pull WHERE status <> 'ok'")" = 0 ] ||
	fail "some pull was not ok: $(pg_sql "SELECT workspace, status, error FROM pull WHERE status <> 'ok' LIMIT 3")"
t_log "$(wc -l <"$T_DIR/removed.pg") departed members marked removed on both stores"

# 4. No password anywhere in what the daemon wrote; the store named without it.
pw=$(tr -d '\n' <"$PG_PASSWORD_FILE")
if grep -qF "$pw" "$T_DIR/wegauged.log"; then fail "the database password is in the log"; fi
grep -q "store: PostgreSQL .*host=127.0.0.1" "$T_DIR/wegauged.log" ||
	fail "the log does not name the PostgreSQL store"
grep -q "store user=$PG_USER\|user=$PG_USER" "$T_DIR/wegauged.log" ||
	fail "the log does not name the role"
# A password written into the URI itself works too, and is never logged:
# neither at the start nor in an error (a wrong one).
url=$(printf '%s' "$PG_URL" | sed "s|://$PG_USER@|://$PG_USER:$pw@|")
grep -v '^database_password_file' "$CONF" | sed "s|^database = .*|database = $url|" >"$T_DIR/inline.conf"
"$WEGAUGED" -c "$T_DIR/inline.conf" --once >"$T_DIR/inline.log" 2>&1 || fail "--once with the password in the URI exited $?"
url=$(printf '%s' "$PG_URL" | sed "s|://$PG_USER@|://$PG_USER:wrong-$pw@|")
sed -i "s|^database = .*|database = $url|" "$T_DIR/inline.conf"
rc=0
"$WEGAUGED" -c "$T_DIR/inline.conf" --once >>"$T_DIR/inline.log" 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "a wrong password was accepted"
grep -q "password authentication failed" "$T_DIR/inline.log" || fail "the error does not say why: $(tail -2 "$T_DIR/inline.log")"
if grep -qF "$pw" "$T_DIR/inline.log"; then fail "the password from the URI is in the log"; fi
t_log "wrong password: $(grep -m1 'cannot open the store' "$T_DIR/inline.log" | cut -c1-200)"
stop_pid "$WESIM_PID"
t_pass
