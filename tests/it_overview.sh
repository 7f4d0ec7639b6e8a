#!/bin/bash
# it_overview.sh: `wegauge overview` end to end on a SQLite store (issue 17).
#  1. A store made by the schema before 004-overview.sql (the files before
#     it, marked as wegauged marks a store), holding a workspace row and a
#     pull: wegauged migrates it at start, keeps the row's history, and
#     writes seat_price, currency and interval_s with every workspace row
#     from the configuration: [daemon] seat_price 12.5 and currency EUR,
#     one workspace with seat_price = none, one with its own 7.25 USD,
#     one with its own interval.
#  2. wesim's workspaces pulled once (one revoked: auth_failed; one
#     disabled): the overview's figures agree with what independent SQL
#     and `wegauge seats` say of the same store: seats and their activity,
#     unused seats and their cost (unused * price, none without a price),
#     the window's OVERALL deliveries, the health of each workspace (the
#     refused one with the instant of its refused pull), and the CSV, JSON
#     and table forms carry the same rows.
#  3. --html and --html-dir write the page and one page per workspace.
#  4. A reload that changes only [daemon] seat_price and currency writes
#     the new values into the rows of the workspaces that take them (not
#     into the one with a price and currency of its own, nor the one with
#     none), without pulling anything.
# tests/it_pg_overview.sh does the same on PostgreSQL.
. "$(dirname "$0")/lib.sh"
t_init it_overview

N=6
start_wesim --workspaces $N --seed 11 --write-config "$T_DIR/cfg" \
	--accounts "$T_DIR/cfg/wesim.accounts"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"

# ws-0005 revoked in wesim: its probe is refused.
sed -i 's/^\(ws-0005 .*\)revoked=[a-z]*/\1revoked=yes/' "$T_DIR/cfg/wesim.accounts"
grep -q '^ws-0005 .*revoked=yes' "$T_DIR/cfg/wesim.accounts" || fail "cannot revoke ws-0005"
kill -HUP "$WESIM_PID"
wait_for 30 "wesim reload" grep -q 'reloaded' "$T_DIR/wesim.log"

# Prices: [daemon] 12.5 EUR; ws-0002 none; ws-0003 7.25 USD; ws-0004 disabled; ws-0006 every 10m.
sed -i 's/^\[daemon\]$/[daemon]\nseat_price = 12.5\ncurrency = EUR\nlookback_days = 14/' "$CONF"
INC="$T_DIR/cfg/workspaces.d"
sed -i -e '/^\[workspace "ws-0002"\]/a seat_price = none' \
	-e '/^\[workspace "ws-0003"\]/a seat_price = 7.25\ncurrency = USD' \
	-e '/^\[workspace "ws-0004"\]/a enabled = false' \
	-e '/^\[workspace "ws-0006"\]/a interval = 10m' "$INC"/*.conf
"$WEGAUGED" -c "$CONF" -t >"$T_DIR/check.log" 2>&1 || fail "the configuration is refused: $(cat "$T_DIR/check.log")"

# ---- 1. a store of the schema before the overview's ----
FILES=("$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql)
LAST=${#FILES[@]}
OV=-1 # the overview's file: the store is made of the files before it
for ((i = 0; i < LAST; i++)); do case ${FILES[$i]} in *-overview.sql) OV=$i ;; esac; done
[ "$OV" -gt 0 ] || fail "no schema/NNN-overview.sql"
{
	for ((i = 0; i < OV; i++)); do echo ".read ${FILES[$i]}"; done
	echo "PRAGMA application_id = 0x77676175;"
	echo "PRAGMA user_version = $OV;"
	echo "INSERT INTO workspace (name, license_code, data_center, base_url, state)"
	echo " VALUES ('ws-0001', 'old', 'global', 'https://x', 'connected');"
	echo "INSERT INTO pull (id, workspace, started_at, finished_at, status)"
	echo " VALUES (1, 'ws-0001', '2026-01-01T00:00:00Z', '2026-01-01T00:00:09Z', 'ok');"
} | sqlite3 -bail "$DB" >/dev/null || fail "cannot build the old store"
[ "$(sql "$DB" "SELECT count(*) FROM pragma_table_info('workspace') WHERE name = 'seat_price'")" = 0 ] ||
	fail "the old store has seat_price already"
"$WEGAUGE" -d "$DB" status >"$T_DIR/old.out" 2>&1 && fail "wegauge read a store of the old schema"
grep -q "older than this wegauge knows" "$T_DIR/old.out" || fail "old store: $(cat "$T_DIR/old.out")"

"$WEGAUGED" -c "$CONF" --once >>"$T_DIR/wegauged.log" 2>&1 || t_log "wegauged --once exited $? (ws-0005 is refused)"
[ "$(sql "$DB" "PRAGMA user_version")" = "$LAST" ] || fail "not migrated: user_version $(sql "$DB" "PRAGMA user_version")"
[ "$(sql "$DB" "SELECT status FROM pull WHERE id = 1")" = ok ] || fail "the old pull is gone"
[ "$(sql "$DB" "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'feature_usage_deliveries'")" = 1 ] ||
	fail "no index feature_usage_deliveries"
sql "$DB" "SELECT name, state, quote(seat_price), quote(currency), quote(interval_s) FROM workspace ORDER BY name" \
	>"$T_DIR/ws.txt"
cat >"$T_DIR/ws.want" <<EOF
ws-0001|connected|12.5|'EUR'|3600
ws-0002|connected|NULL|NULL|3600
ws-0003|connected|7.25|'USD'|3600
ws-0004|disabled|12.5|'EUR'|3600
ws-0005|auth_failed|12.5|'EUR'|3600
ws-0006|connected|12.5|'EUR'|600
EOF
diff -u "$T_DIR/ws.want" "$T_DIR/ws.txt" >&2 || fail "the workspace rows (- expected, + stored)"

# ---- 2. the figures against independent SQL ----
"$WEGAUGE" -d "$DB" overview --days 7 --limit 0 --format csv >"$T_DIR/ov.csv" || fail "overview --format csv"
"$WEGAUGE" -d "$DB" overview --days 7 --limit 0 --format json >"$T_DIR/ov.json" || fail "overview --format json"
"$WEGAUGE" -d "$DB" overview --days 7 --limit 0 >"$T_DIR/ov.table" || fail "overview"
"$WEGAUGE" -d "$DB" seats --format csv >"$T_DIR/seats.csv" || fail "seats --format csv"
tr -d '\r' <"$T_DIR/ov.csv" >"$T_DIR/ov.lf"
head -n 1 "$T_DIR/ov.lf" >"$T_DIR/head"
grep -q '^section,figure,value,unit,workspace,health,since,last_success,reason,seats,active_30d,' \
	"$T_DIR/head" || fail "the CSV header: $(cat "$T_DIR/head")"
# col NAME: the index of column NAME in the CSV header.
col() { tr ',' '\n' <"$T_DIR/head" | grep -nx "$1" | cut -d: -f1; }
C_WS=$(col workspace) C_SEATS=$(col seats) C_A30=$(col active_30d) C_A60=$(col active_60d)
C_A90=$(col active_90d) C_NEVER=$(col never_logged_in) C_UNUSED=$(col unused)
C_PRICE=$(col seat_price) C_COST=$(col unused_cost) C_CUR=$(col currency)
C_DEL=$(col deliveries) C_HEALTH=$(col health) C_SINCE=$(col since)
row() { awk -F, -v s="$1" -v w="$2" -v c="$C_WS" '$1 == s && $c == w' "$T_DIR/ov.lf"; }
field() { row "$1" "$2" | cut -d, -f"$3"; }

# Every workspace but the removed ones (none here) is in the seats ranking.
[ "$(grep -c '^seats,' "$T_DIR/ov.lf")" = $N ] || fail "seats rows: $(grep -c '^seats,' "$T_DIR/ov.lf")"
for ws in ws-0001 ws-0002 ws-0003 ws-0004 ws-0005 ws-0006; do
	# seats, active 30/60/90 and never as the view says them.
	want=$(awk -F, -v w="$ws" '$1 == w { print $2 "," $3 "," $4 "," $5 "," $6 }' "$T_DIR/seats.csv" | tr -d '\r')
	got=$(row seats "$ws" | cut -d, -f"$C_SEATS,$C_A30,$C_A60,$C_A90,$C_NEVER")
	[ "$got" = "$want" ] || fail "$ws seats: overview $got, seats $want"
	unused=$(field seats "$ws" "$C_UNUSED")
	seats=$(echo "$want" | cut -d, -f1)
	a30=$(echo "$want" | cut -d, -f2)
	[ "$unused" = $((seats - a30)) ] || fail "$ws: unused $unused of $seats seats, $a30 active"
	price=$(sql "$DB" "SELECT seat_price FROM workspace WHERE name = '$ws'")
	cost=$(field seats "$ws" "$C_COST")
	if [ -z "$price" ]; then
		[ -z "$cost" ] && [ -z "$(field seats "$ws" "$C_PRICE")" ] || fail "$ws has no price but a cost '$cost'"
	else
		want=$(awk -v u="$unused" -v p="$price" 'BEGIN { printf "%.2f", u * p }')
		got=$(awk -v c="$cost" 'BEGIN { printf "%.2f", c }')
		[ "$got" = "$want" ] || fail "$ws: unused cost $cost, want $unused * $price = $want"
		want=$(sql "$DB" "SELECT currency FROM workspace WHERE name = '$ws'")
		[ "$(field seats "$ws" "$C_CUR")" = "$want" ] ||
			fail "$ws: currency $(field seats "$ws" "$C_CUR"), stored $want"
	fi
	# The window's OVERALL deliveries, by SQL of its own.
	want=$(sql "$DB" "SELECT coalesce(sum(value), 0) FROM feature_usage_daily WHERE workspace = '$ws'
		AND feature = 'OVERALL' AND metric = 'deliveries' AND day BETWEEN date('now', '-6 days') AND date('now')")
	[ "$(field trend "$ws" "$C_DEL")" = "$want" ] || fail "$ws: deliveries $(field trend "$ws" "$C_DEL"), SQL $want"
done
[ "$(sql "$DB" "SELECT count(*) FROM seat")" -gt 0 ] || fail "wesim gave no seats"
[ "$(sql "$DB" "SELECT count(*) FROM feature_usage_daily WHERE feature = 'OVERALL'")" -gt 0 ] ||
	fail "wesim gave no OVERALL deliveries"

# Health: the refused one with the instant of its refused pull, the disabled one.
[ "$(grep -c '^health,' "$T_DIR/ov.lf")" = 2 ] || fail "health rows: $(grep '^health,' "$T_DIR/ov.lf")"
[ "$(field health ws-0005 "$C_HEALTH")" = auth_failed ] || fail "ws-0005: $(row health ws-0005)"
want=$(sql "$DB" "SELECT min(started_at) FROM pull WHERE workspace = 'ws-0005' AND status = 'auth_failed'")
[ -n "$want" ] && [ "$(field health ws-0005 "$C_SINCE")" = "$want" ] ||
	fail "ws-0005 since '$(field health ws-0005 "$C_SINCE")', its refused pull started '$want'"
[ "$(field health ws-0004 "$C_HEALTH")" = disabled ] || fail "ws-0004: $(row health ws-0004)"
grep -q '^summary,auth_failed,1,workspaces' "$T_DIR/ov.lf" || fail "summary: auth_failed"
grep -q '^summary,unused_seat_cost,[0-9.]*,EUR per month' "$T_DIR/ov.lf" || fail "summary: no cost"
grep -q '^summary,workspaces_without_price,1,workspaces' "$T_DIR/ov.lf" || fail "summary: without price"
grep -q '^summary,unused_seat_cost,[0-9.]*,USD per month' "$T_DIR/ov.lf" || fail "summary: no USD cost"

# The three forms carry the same rows: as many JSON objects as CSV rows, and
# the table has each ranking's rows.
[ "$(grep -c '^  {' "$T_DIR/ov.json")" = "$(($(wc -l <"$T_DIR/ov.lf") - 1))" ] ||
	fail "JSON objects $(grep -c '^  {' "$T_DIR/ov.json"), CSV rows $(($(wc -l <"$T_DIR/ov.lf") - 1))"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T_DIR/ov.json" || fail "invalid JSON"
for title in "Needs attention" "Seats nobody used in 30 days, and their cost per month" \
	"Channels across the workspaces"; do
	grep -qx "$title" "$T_DIR/ov.table" || fail "the table form has no '$title'"
done

# ---- 3. the pages ----
"$WEGAUGE" -d "$DB" overview --html "$T_DIR/ov.html" --html-dir "$T_DIR/site" >/dev/null ||
	fail "overview --html --html-dir"
[ "$(find "$T_DIR/site/w" -name '*.html' | wc -l)" = $N ] || fail "not one page per workspace"
for ws in ws-0001 ws-0006; do
	grep -q "<a href=\"w/$ws.html\">$ws</a>" "$T_DIR/site/index.html" || fail "index.html does not link $ws"
	grep -q "data-workspace=\"$ws\"" "$T_DIR/site/w/$ws.html" || fail "w/$ws.html is not its report"
done
grep -q '<div id="all"' "$T_DIR/ov.html" || fail "the page has no table of every workspace"
ls "$T_DIR"/ov.html.* "$T_DIR"/site/*.html.* 2>/dev/null && fail "a temporary page was left"

# ---- 4. a reload: a new price reaches the rows, without a pull ----
# A 30-day interval: ws-0001 (connected, its phase somewhere in 30 days)
# is not pulled during this step.
sed -i 's/^\[daemon\]$/[daemon]\ninterval = 30d/' "$CONF"
rows() { sql "$DB" "SELECT group_concat(name || ' ' || quote(seat_price) || ' ' || quote(currency) || ' ' || interval_s, ',') FROM workspace"; }
rows_are() { [ "$(rows)" = "$1" ]; }
P1=$(sql "$DB" "SELECT count(*) FROM pull WHERE workspace = 'ws-0001'")
start_wegauged -c "$CONF"
wait_for 30 "the daemon's rows" rows_are \
	"ws-0001 12.5 'EUR' 2592000,ws-0002 NULL NULL 2592000,ws-0003 7.25 'USD' 2592000,ws-0004 12.5 'EUR' 2592000,ws-0005 12.5 'EUR' 2592000,ws-0006 12.5 'EUR' 600"
sed -i 's/^seat_price = 12.5$/seat_price = 20/; s/^currency = EUR$/currency = GBP/' "$CONF"
kill -HUP "$WEGAUGED_PID"
wait_for 30 "the new price in the rows" rows_are \
	"ws-0001 20.0 'GBP' 2592000,ws-0002 NULL NULL 2592000,ws-0003 7.25 'USD' 2592000,ws-0004 20.0 'GBP' 2592000,ws-0005 20.0 'GBP' 2592000,ws-0006 20.0 'GBP' 600"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE workspace = 'ws-0001'")" = "$P1" ] ||
	fail "ws-0001 was pulled: the reload is not what wrote its row"
stop_pid "$WEGAUGED_PID"

t_pass
