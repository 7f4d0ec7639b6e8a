#!/bin/bash
# it_pg_migrate.sh: 003-changed-only-writes.sql carries a store made by the
# previous schema (version 2) over, on both stores (issue 15):
#  1. a version-2 store holding exactly what a correct collector stored for
#     wesim's 4 workspaces (schema/NNN 001 and 002 applied by hand, the rows
#     of wesim --expect loaded, one pull each) is migrated by wegauged at
#     its start: version 3, the old pulls keep their rows and get
#     streams = '', no page digest remembered yet;
#  2. the first pull after it compares every row and writes none (they are
#     all equal): each pull says 0 rows, lists its 4 streams, every data
#     row keeps its old pull; the store still equals wesim --expect; the
#     walks' digests are remembered;
#  3. the second pull parses no page (every answer equals the one whose
#     rows are stored) and writes nothing either.
# Both stores, from the same start: SQLite (sqlite3) and PostgreSQL (psql).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_migrate

start_pg
SEED=7
N=4
start_wesim --workspaces $N --seed $SEED --write-config "$T_DIR/cfg"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
window 7
DB="$T_DIR/cfg/wegauge.db"
SQ_CONF="$T_DIR/cfg/wegauged.conf"
PG_CONF="$T_DIR/pg.conf"
cp "$SQ_CONF" "$PG_CONF"
pg_configure "$PG_CONF"
for c in "$SQ_CONF" "$PG_CONF"; do sed -i 's/^\[daemon\]$/[daemon]\nlog_level = debug/' "$c"; done

# The version-2 stores: the first two files of each series, the rows of wesim --expect.
"$WESIM" --workspaces $N --seed $SEED --list | awk '{ print $1, $2 }' >"$T_DIR/map"
"$WESIM" --workspaces $N --seed $SEED --expect all --from "$FROM" --to "$TO" >"$T_DIR/expect0.jsonl"
expect_rows_sql "$T_DIR/expect0.jsonl" "$T_DIR/map" >"$T_DIR/rows.sql"
{
	cat "$SOURCE_DIR/schema/001-initial.sql" "$SOURCE_DIR/schema/002-overflow-safe-totals.sql"
	echo "PRAGMA user_version = 2; PRAGMA application_id = 2003263861; PRAGMA journal_mode = WAL;"
	echo 'PRAGMA foreign_keys = ON; BEGIN;'
	cat "$T_DIR/rows.sql"
	echo 'COMMIT;'
} | sqlite3 -bail "$DB" >/dev/null || fail "could not make the version-2 SQLite store"
{
	cat "$SOURCE_DIR/schema/pg/001-initial.sql" "$SOURCE_DIR/schema/pg/002-overflow-safe-totals.sql"
	echo "INSERT INTO wegauge_schema (version, name) VALUES (1, '001-initial.sql'),"
	echo " (2, '002-overflow-safe-totals.sql');"
	cat "$T_DIR/rows.sql"
	# The loaded pulls took ids 1..N by hand: the identity goes on after them.
	echo "SELECT setval(pg_get_serial_sequence('pull', 'id'), $N);"
} | pg_sql - -1 >/dev/null || fail "could not make the version-2 PostgreSQL store"
rows_sq=$(sql "$DB" "SELECT count(*) FROM feature_usage_daily")
[ "$rows_sq" -gt 0 ] || fail "no rows loaded"

once() { "$WEGAUGED" -c "$1" --once >>"$T_DIR/wegauged-$2.log" 2>&1 || fail "wegauged --once ($2) exited $?"; }
# q STORE SQL: one query on the SQLite or the PostgreSQL store.
q() { if [ "$1" = sqlite ]; then sql "$DB" "$2"; else pg_sql "$2"; fi; }
old_rows() {
	q "$1" "SELECT (SELECT count(*) FROM feature_usage_daily WHERE pull_id <= $N) +
		(SELECT count(*) FROM campaign WHERE pull_id <= $N) +
		(SELECT count(*) FROM active_users_daily WHERE pull_id <= $N) +
		(SELECT count(*) FROM seat WHERE pull_id <= $N)"
}
all=$(wc -l <"$T_DIR/expect0.jsonl")

# The version every file of each series leads to (003 and any later).
want_sq=$(ls "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql | wc -l)
want_pg=$(cd "$SOURCE_DIR/schema/pg" && ls [0-9][0-9][0-9]-*.sql | sed 's/^0*\([0-9]*\)-.*/\1/' | tr '\n' ' ')
[ "$want_sq" -ge 3 ] || fail "no schema/003"
for store in sqlite pg; do
	conf=$SQ_CONF
	[ "$store" = sqlite ] || conf=$PG_CONF
	t_log "$store: the first pull after the migration"
	once "$conf" "$store"
	if [ "$store" = sqlite ]; then
		[ "$(sql "$DB" "PRAGMA user_version")" = "$want_sq" ] || fail "sqlite: not migrated to version $want_sq"
		compare_with_expect "$DB" --workspaces $N --seed $SEED
	else
		[ "$(pg_sql "SELECT string_agg(version::text, ' ' ORDER BY version) FROM wegauge_schema") " = "$want_pg" ] ||
			fail "pg: not migrated to every file ($want_pg)"
		compare_pg_with_expect --workspaces $N --seed $SEED
	fi
	[ "$(q $store "SELECT count(*) FROM pull WHERE id <= $N AND streams = '' AND status = 'ok'")" = $N ] ||
		fail "$store: the old pulls' streams are not ''"
	[ "$(q $store "SELECT count(*) FROM pull WHERE id > $N AND status = 'ok' AND rows = 0 AND streams = 'stats,campaigns,active_users,team'")" = $N ] ||
		fail "$store: the first pull after the migration wrote rows: $(q $store "SELECT id, status, rows, streams FROM pull WHERE id > $N")"
	[ "$(old_rows $store)" = "$all" ] || fail "$store: $(old_rows $store) of $all rows keep their old pull"
	[ "$(q $store "SELECT count(*) FROM stream_digest")" = $((4 * N)) ] ||
		fail "$store: $(q $store "SELECT count(*) FROM stream_digest") walks remembered, want $((4 * N))"
	t_log "$store: migrated; the first pull compared all $all rows and wrote none"

	t_log "$store: the second pull"
	once "$conf" "$store"
	[ "$(q $store "SELECT count(*) FROM pull WHERE id > $N AND rows = 0")" = $((2 * N)) ] ||
		fail "$store: the second pull wrote rows"
	[ "$(old_rows $store)" = "$all" ] || fail "$store: rows rewritten by the second pull"
	# Every stream of the second pull was its last walk, page for page (the debug log says so).
	skipped=$(grep -c 'stored as unchanged' "$T_DIR/wegauged-$store.log" || true)
	[ "$skipped" = $((4 * N)) ] || fail "$store: $skipped streams stored as unchanged by the second pull, want $((4 * N))"
	t_log "$store: the second pull parsed no page: $skipped streams unchanged"
done
stop_pid "$WESIM_PID"
t_pass
