#!/bin/bash
# it_pg_hostile.sh: hostile data into a PostgreSQL store (issue 14): the
# hostile servers of it_hostile_text.sh (control-chars: ESC sequences,
# U+202E, U+200B, spreadsheet formulas, quotes and backslashes in titles,
# names, emails and roles; int64-max: deliveries at INT64_MAX; bad-json-esc)
# pulled --once into an SQLite store and into a PostgreSQL store. Every row
# of every table is the same in both (their dumps through json_norm), so
# the arrays a stream travels in lose or change no byte; `wegauge report`
# prints the same from both, the overflowing total included.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_hostile

start_pg
HOSTILE=$BIN_DIR/hostile
start_wesim --workspaces 1 --seed 7 --write-config "$T_DIR/cfg"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
CFG="$T_DIR/cfg/wegauged.conf"
printf 'hostile-key-0001\n' >"$T_DIR/cfg/keys/hostile.key"
chmod 600 "$T_DIR/cfg/keys/hostile.key"
for mode in control-chars int64-max bad-json-esc; do
	"$HOSTILE" --mode $mode --quiet --port 0 --port-file "$T_DIR/$mode.port" >>"$T_DIR/hostile.log" 2>&1 &
	t_track $!
	wait_for 30 "hostile $mode" test -s "$T_DIR/$mode.port"
	cat >"$T_DIR/cfg/workspaces.d/h-$mode.conf" <<EOF2
[workspace "h-$mode"]
license_code = hostile-$mode
base_url = http://127.0.0.1:$(cat "$T_DIR/$mode.port")
api_key_file = ../keys/hostile.key
EOF2
done
cp "$CFG" "$T_DIR/cfg/pg.conf"
pg_configure "$T_DIR/cfg/pg.conf"
"$WEGAUGED" -c "$CFG" --once >"$T_DIR/wegauged.log" 2>&1 || true
"$WEGAUGED" -c "$T_DIR/cfg/pg.conf" --once >>"$T_DIR/wegauged.log" 2>&1 || true
grep -q "refused by the server" "$T_DIR/wegauged.log" &&
	fail "PostgreSQL refused a write: $(grep -m1 'refused by the server' "$T_DIR/wegauged.log")"

window 90
store_rows "$DB" "$FROM" "$TO" | json_norm | LC_ALL=C sort >"$T_DIR/dump.sqlite"
pg_store_rows "$FROM" "$TO" >"$T_DIR/dump.pg"
[ "$(grep -c 'hostile-control-chars' "$T_DIR/dump.sqlite")" -gt 0 ] ||
	fail "no row of the control-chars server in the SQLite store"
cmp -s "$T_DIR/dump.sqlite" "$T_DIR/dump.pg" ||
	fail "the stores differ: $(diff "$T_DIR/dump.sqlite" "$T_DIR/dump.pg" | head -6)"
t_log "both stores hold the same $(wc -l <"$T_DIR/dump.pg") rows, hostile ones included"
sql "$DB" "SELECT workspace, status FROM pull ORDER BY workspace" >"$T_DIR/pulls.sqlite"
pg_sql "SELECT workspace, status FROM pull ORDER BY workspace" >"$T_DIR/pulls.pg"
cmp -s "$T_DIR/pulls.sqlite" "$T_DIR/pulls.pg" ||
	fail "pull outcomes differ: $(diff "$T_DIR/pulls.sqlite" "$T_DIR/pulls.pg" | head -4)"
for fmt in table csv json; do
	"$WEGAUGE" -d "$DB" report --format $fmt >"$T_DIR/report.sqlite.$fmt" 2>&1 || true
	"$WEGAUGE" -c "$T_DIR/cfg/pg.conf" report --format $fmt >"$T_DIR/report.pg.$fmt" 2>&1 || true
	cmp -s "$T_DIR/report.sqlite.$fmt" "$T_DIR/report.pg.$fmt" ||
		fail "report --format $fmt differs: $(diff "$T_DIR/report.sqlite.$fmt" "$T_DIR/report.pg.$fmt" | head -6)"
done
grep -q "1.8446744073709552e+19" "$T_DIR/report.pg.table" ||
	fail "the overflowing total is not in the PostgreSQL report"
stop_pid "$WESIM_PID"
t_pass
