#!/bin/bash
# it_once.sh: wegauged --once against wesim with 50 workspaces (issue 3).
#  1. every row of every table equals wesim --expect, exactly;
#  2. a second run duplicates nothing and stores the same rows, and writes
#     none (issue 15): every row keeps run 1's pull, the pulls say 0 rows
#     and list the streams they stored (pull.streams, v_stream_listing);
#  3. after wesim bumps the revision of five accounts (their values change
#     and one member each leaves), a third run updates the changed values and
#     marks exactly the departed members removed_at, and writes exactly
#     those rows: as many as wesim's answers changed, each with a run-3 pull;
#  4. accounts with disabled channels (404 on those paths) are skipped and
#     every pull is still `ok`.
. "$(dirname "$0")/lib.sh"
t_init it_once

SEED=7
N=50
start_wesim --workspaces $N --seed $SEED --write-config "$T_DIR/cfg" --accounts "$T_DIR/cfg/wesim.accounts"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
ACCOUNTS="$T_DIR/cfg/wesim.accounts"
window 7

grep -q 'disabled=[A-Z]' "$ACCOUNTS" || fail "the seed gives no account a disabled channel"

t_log "run 1"
"$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" --once >>"$T_DIR/wegauged.log" 2>&1 ||
	fail "wegauged --once exited $?"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'ok'")" = $N ] ||
	fail "not every pull is ok: $(sql "$DB" "SELECT status, count(*) FROM pull GROUP BY 1")"
[ "$(sql "$DB" "SELECT count(*) FROM workspace WHERE state = 'connected'")" = $N ] ||
	fail "not every workspace is connected"
compare_with_expect "$DB" --workspaces $N --seed $SEED --accounts "$ACCOUNTS"
cp "$T_DIR/expect.jsonl" "$T_DIR/expect1.jsonl"
counts() {
	sql "$DB" "SELECT (SELECT count(*) FROM feature_usage_daily) || ' ' ||
		(SELECT count(*) FROM campaign) || ' ' || (SELECT count(*) FROM active_users_daily)
		|| ' ' || (SELECT count(*) FROM seat)"
}
c1=$(counts)

t_log "run 2: nothing duplicated"
"$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" --once >>"$T_DIR/wegauged.log" 2>&1 ||
	fail "second wegauged --once exited $?"
c2=$(counts)
[ "$c1" = "$c2" ] || fail "row counts changed on an identical run: $c1 -> $c2"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'ok'")" = $((2 * N)) ] ||
	fail "second run: not every pull ok"
compare_with_expect "$DB" --workspaces $N --seed $SEED --accounts "$ACCOUNTS"
# nothing changed, so nothing was written: every row keeps its run-1 pull
data_rows_after() {
	sql "$DB" "SELECT (SELECT count(*) FROM feature_usage_daily WHERE pull_id > $1) +
		(SELECT count(*) FROM campaign WHERE pull_id > $1) +
		(SELECT count(*) FROM active_users_daily WHERE pull_id > $1) +
		(SELECT count(*) FROM seat WHERE pull_id > $1)"
}
[ "$(data_rows_after $N)" = 0 ] || fail "the identical run rewrote $(data_rows_after $N) rows"
[ "$(sql "$DB" "SELECT sum(rows) FROM pull WHERE id > $N")" = 0 ] ||
	fail "the identical run's pulls count rows written"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE id > $N AND streams = 'stats,campaigns,active_users,team'")" = $N ] ||
	fail "the identical run's pulls do not list every stream: $(sql "$DB" "SELECT streams, count(*) FROM pull GROUP BY 1")"
[ "$(sql "$DB" "SELECT count(*) FROM v_stream_listing WHERE pull_id > $N")" = $((4 * N)) ] ||
	fail "v_stream_listing does not name the second run's pulls"

t_log "run 3: revisions bumped for ws-0001..ws-0005"
sed -i -E 's/^(ws-000[1-5] .*)revision=0/\1revision=1/' "$ACCOUNTS"
[ "$(grep -c 'revision=1' "$ACCOUNTS")" = 5 ] || fail "could not bump revisions"
curl -sf -X POST "$WESIM_URL/_wesim/reload" >/dev/null || fail "wesim did not reload"
"$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" --once >>"$T_DIR/wegauged.log" 2>&1 ||
	fail "third wegauged --once exited $?"
compare_with_expect "$DB" --workspaces $N --seed $SEED --accounts "$ACCOUNTS"
cmp -s "$T_DIR/expect1.jsonl" "$T_DIR/expect.jsonl" && fail "the revision bump changed nothing"
changed=$(LC_ALL=C comm -13 "$T_DIR/expect1.jsonl" "$T_DIR/expect.jsonl" | wc -l)

# Members who left: in run 1's expectation, not in run 3's. Exactly they are removed.
seat_keys() { grep '"table":"seat"' "$1" | sed -E 's/.*"license_code":"([^"]*)","email":"([^"]*)".*/\1 \2/' | LC_ALL=C sort; }
seat_keys "$T_DIR/expect1.jsonl" >"$T_DIR/seats1"
seat_keys "$T_DIR/expect.jsonl" >"$T_DIR/seats3"
LC_ALL=C comm -23 "$T_DIR/seats1" "$T_DIR/seats3" >"$T_DIR/left"
sql "$DB" "SELECT w.license_code || ' ' || s.email FROM seat s JOIN workspace w ON w.name = s.workspace
	WHERE s.removed_at IS NOT NULL" | LC_ALL=C sort >"$T_DIR/removed"
[ -s "$T_DIR/left" ] || fail "no member left with the revision bump"
cmp -s "$T_DIR/left" "$T_DIR/removed" ||
	fail "removed seats differ from departed members: $(diff "$T_DIR/left" "$T_DIR/removed" | head -5)"
# a removed seat keeps its history: first_seen_at from run 1
[ "$(sql "$DB" "SELECT count(*) FROM seat WHERE removed_at IS NOT NULL AND first_seen_at IS NULL")" = 0 ] ||
	fail "removed seats lost first_seen_at"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status <> 'ok'")" = 0 ] ||
	fail "some pull was not ok: $(sql "$DB" "SELECT workspace, status, error FROM pull WHERE status <> 'ok' LIMIT 3")"
t_log "$(wc -l <"$T_DIR/left") departed members marked removed"
# Exactly the changed rows were written: new or different in wesim's
# answers, and the departed members; each carries a run-3 pull.
want=$((changed + $(wc -l <"$T_DIR/left")))
[ "$(sql "$DB" "SELECT sum(rows) FROM pull WHERE id > $((2 * N))")" = "$want" ] ||
	fail "run 3 wrote $(sql "$DB" "SELECT sum(rows) FROM pull WHERE id > $((2 * N))") rows, want $want"
[ "$(data_rows_after $((2 * N)))" = "$want" ] ||
	fail "$(data_rows_after $((2 * N))) rows carry a run-3 pull, want $want"
t_log "run 3 wrote exactly the $want changed rows ($changed new or changed, the rest removals) of $(wc -l <"$T_DIR/expect.jsonl")"

[ "$(sql "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
stop_pid "$WESIM_PID"
t_pass
