#!/bin/bash
# it_pg_overview.sh: `wegauge overview` on a PostgreSQL store (issue 17).
#  1. A PostgreSQL store made by the schema/pg files before
#     004-overview.sql (recorded in wegauge_schema as the daemon records
#     them), holding a workspace row and a pull: wegauged migrates it at
#     start, keeps the row's history, and writes seat_price, currency and
#     interval_s with every workspace row, as on SQLite: the workspace
#     rows of both stores are the same after the same pulls.
#  2. The same wesim workspaces pulled once into both stores (one revoked,
#     one disabled, prices from [daemon] and per workspace): the overview
#     prints the same bytes from both in every format, but for the
#     instants of each store's own pulls (the health section's since and
#     last_success), which are compared apart for their presence.
#  3. The pages of --html are alike up to those instants.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_overview

start_pg
N=6
start_wesim --workspaces $N --seed 11 --write-config "$T_DIR/cfg" \
	--accounts "$T_DIR/cfg/wesim.accounts"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
sed -i 's/^\(ws-0005 .*\)revoked=[a-z]*/\1revoked=yes/' "$T_DIR/cfg/wesim.accounts"
kill -HUP "$WESIM_PID"
wait_for 30 "wesim reload" grep -q 'reloaded' "$T_DIR/wesim.log"
sed -i 's/^\[daemon\]$/[daemon]\nseat_price = 12.5\ncurrency = EUR\nlookback_days = 14/' "$CONF"
sed -i -e '/^\[workspace "ws-0002"\]/a seat_price = none' \
	-e '/^\[workspace "ws-0003"\]/a seat_price = 7.25\ncurrency = USD' \
	-e '/^\[workspace "ws-0004"\]/a enabled = false' \
	-e '/^\[workspace "ws-0006"\]/a interval = 10m' "$T_DIR/cfg/workspaces.d"/*.conf
cp "$CONF" "$T_DIR/sqlite.conf"
pg_configure "$CONF"

# ---- 1. a PostgreSQL store of the schema before the overview's ----
FILES=("$SOURCE_DIR"/schema/pg/[0-9][0-9][0-9]-*.sql)
LAST=${#FILES[@]}
OV=-1 # the overview's file: the store is made of the files before it
for ((i = 0; i < LAST; i++)); do case ${FILES[$i]} in *-overview.sql) OV=$i ;; esac; done
[ "$OV" -gt 0 ] || fail "no schema/pg/NNN-overview.sql"
{
	echo "BEGIN;"
	for ((i = 0; i < OV; i++)); do
		cat "${FILES[$i]}"
		echo "INSERT INTO wegauge_schema (version, name) VALUES ($((i + 1)), '$(basename "${FILES[$i]}")');"
	done
	echo "INSERT INTO workspace (name, license_code, data_center, base_url, state)"
	echo " VALUES ('ws-0001', 'old', 'global', 'https://x', 'connected');"
	echo "INSERT INTO pull (id, workspace, started_at, finished_at, status)"
	echo " VALUES (1, 'ws-0001', '2026-01-01T00:00:00Z', '2026-01-01T00:00:09Z', 'ok');"
	echo "COMMIT;"
} | pg_sql - >/dev/null || fail "cannot build the old PostgreSQL store"
[ "$(pg_sql "SELECT count(*) FROM information_schema.columns WHERE table_name = 'workspace'
	AND column_name = 'seat_price'")" = 0 ] || fail "the old store has seat_price already"

"$WEGAUGED" -c "$CONF" --once >>"$T_DIR/wegauged.log" 2>&1 || t_log "wegauged --once (PostgreSQL) exited $?"
"$WEGAUGED" -c "$T_DIR/sqlite.conf" --once >>"$T_DIR/wegauged.log" 2>&1 || t_log "wegauged --once (SQLite) exited $?"
[ "$(pg_sql "SELECT max(version) FROM wegauge_schema")" = "$LAST" ] || fail "not migrated"
[ "$(pg_sql "SELECT status FROM pull WHERE id = 1")" = ok ] || fail "the old pull is gone"
[ "$(pg_sql "SELECT count(*) FROM pg_indexes WHERE indexname = 'feature_usage_deliveries'")" = 1 ] ||
	fail "no index feature_usage_deliveries"
pg_sql "SELECT name, state, seat_price, currency, interval_s FROM workspace ORDER BY name" >"$T_DIR/ws.pg"
sql "$DB" "SELECT name, state, seat_price, currency, interval_s FROM workspace ORDER BY name" >"$T_DIR/ws.lite"
cat >"$T_DIR/ws.want" <<EOF
ws-0001|connected|12.5|EUR|3600
ws-0002|connected|||3600
ws-0003|connected|7.25|USD|3600
ws-0004|disabled|12.5|EUR|3600
ws-0005|auth_failed|12.5|EUR|3600
ws-0006|connected|12.5|EUR|600
EOF
diff -u "$T_DIR/ws.want" "$T_DIR/ws.pg" >&2 || fail "the PostgreSQL workspace rows (- expected, + stored)"
diff -u "$T_DIR/ws.want" "$T_DIR/ws.lite" >&2 || fail "the SQLite workspace rows (- expected, + stored)"

# ---- 2. the same overview from both ----
# strip FORMAT: the instants of each store's own pulls, as "(instant)".
strip() { sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/(instant)/g'; }
for args in "--days 7 --limit 0" "--days 14 --sort cost" "--sort name --limit 3" "--workspace ws-0003"; do
	for fmt in table csv json; do
		# shellcheck disable=SC2086
		"$WEGAUGE" -d "$DB" overview $args --format $fmt >"$T_DIR/out.lite" 2>&1 || fail "SQLite: overview $args"
		# shellcheck disable=SC2086
		"$WEGAUGE" -c "$CONF" overview $args --format $fmt >"$T_DIR/out.pg" 2>&1 || fail "PostgreSQL: overview $args"
		if ! strip <"$T_DIR/out.lite" | cmp -s - <(strip <"$T_DIR/out.pg"); then
			diff -u <(strip <"$T_DIR/out.lite") <(strip <"$T_DIR/out.pg") | head -30 >&2
			fail "overview $args --format $fmt differs (- SQLite, + PostgreSQL)"
		fi
	done
done
"$WEGAUGE" -c "$CONF" overview --days 7 --format csv | tr -d '\r' >"$T_DIR/ov.csv"
grep -q '^health,.*,ws-0005,auth_failed,20[0-9-]*T[0-9:]*Z,' "$T_DIR/ov.csv" ||
	fail "PostgreSQL: no since for ws-0005: $(grep '^health' "$T_DIR/ov.csv")"
grep -q '^summary,unused_seat_cost,[0-9.]*,EUR per month' "$T_DIR/ov.csv" || fail "PostgreSQL: no cost"

# ---- 3. the pages ----
"$WEGAUGE" -d "$DB" overview --days 7 --html "$T_DIR/lite.html" >/dev/null || fail "SQLite: --html"
"$WEGAUGE" -c "$CONF" overview --days 7 --html "$T_DIR/pg.html" >/dev/null || fail "PostgreSQL: --html"
if ! strip <"$T_DIR/lite.html" | cmp -s - <(strip <"$T_DIR/pg.html"); then
	diff -u <(strip <"$T_DIR/lite.html") <(strip <"$T_DIR/pg.html") | head -30 >&2
	fail "the pages differ (- SQLite, + PostgreSQL)"
fi
grep -q '<svg viewBox' "$T_DIR/pg.html" || fail "PostgreSQL: no sparkline"

t_pass
