#!/bin/bash
# it_restart.sh: a restart keeps what is known (docs/architecture.md, "What
# a restart keeps"). wesim serves four workspaces; ws-0004 is configured
# with a key wesim refuses. The interval is an hour, so no pull is due
# again during the test: whatever the store says right after a restart was
# carried over, not learnt anew.
#  1. First run: ws-0001..3 connected, ws-0004 auth_failed; stop.
#  2. Restart: as soon as READY=1, `wegauge status` shows every workspace
#     with the state and reason it had before the stop (exit 1, since
#     ws-0004 is not connected), STATUS= says "3 connected, 1 auth_failed",
#     and no request reached wesim (no probe, no pull).
#  3. Restart with ws-0004's right key: it is probed at once and connected
#     (a changed key is never carried over); `wegauge status` exits 0.
#  4. Restart once more with nothing changed: `wegauge status` exits 0 at
#     once, before any pull.
. "$(dirname "$0")/lib.sh"
t_init it_restart

start_wesim --workspaces 4 --seed 21 --write-config "$T_DIR/cfg" \
	--config-extra "interval = 1h" --config-extra "jitter = 0"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CFG="$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
SOCK="$T_DIR/notify.sock"
good_key=$(cat "$T_DIR/cfg/keys/ws-0004.key")
printf '%s\n' 00000000000000000000000000000000 >"$T_DIR/cfg/keys/ws-0004.key"

state() { sql "$DB" "SELECT state FROM workspace WHERE name = '$1'"; }
is_state() { [ "$(state "$1")" = "$2" ]; }
requests() { wesim_stats | jq '.response.data.requests'; }
# status_now VAR: wegauge status as CSV, without next_pull (it moves with
# the clock), into VAR; its exit status into STATUS_RC.
status_now() {
	STATUS_RC=0
	"$WEGAUGE" -c "$CFG" status --format csv >"$T_DIR/status.csv" || STATUS_RC=$?
	printf -v "$1" '%s' "$(cut -d, -f1-4,6,7 "$T_DIR/status.csv")"
}
# run_until_ready N: start wegauged on a fresh notify sink, wait for READY=1.
run_until_ready() {
	: >"$T_DIR/notify$1"
	"$BIN_DIR/notify_sink" "$SOCK" "$T_DIR/notify$1" &
	SINK_PID=$!
	t_track "$SINK_PID"
	wait_for 10 "notify socket" test -S "$SOCK"
	NOTIFY_SOCKET="$SOCK" start_wegauged -c "$CFG"
	wait_for 30 "READY=1 of run $1" grep -q ' READY=1$' "$T_DIR/notify$1"
}
stop_run() {
	stop_pid "$WEGAUGED_PID"
	stop_pid "$SINK_PID"
	rm -f "$SOCK"
}

t_log "1. first run"
run_until_ready 1
for w in ws-0001 ws-0002 ws-0003; do wait_for 60 "$w connected" is_state $w connected; done
wait_for 60 "ws-0004 auth_failed" is_state ws-0004 auth_failed
settled() { [ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ]; }
wait_for 60 "every first pull ended" settled
stop_run
status_now before
[ "$STATUS_RC" = 1 ] || fail "status exited $STATUS_RC with ws-0004 auth_failed"
echo "$before" | grep -q '^ws-0004,auth_failed,.*401' || fail "ws-0004 before: $before"

t_log "2. restart: the same states at once, nothing asked of wesim"
req0=$(requests)
run_until_ready 2
status_now after
[ "$after" = "$before" ] || fail "status changed across the restart:
before: $before
after:  $after"
[ "$STATUS_RC" = 1 ] || fail "status exited $STATUS_RC after the restart"
wait_for 10 "STATUS= with the kept states" \
	grep -q 'STATUS=4 workspaces: 3 connected, 1 auth_failed' "$T_DIR/notify2"
[ "$(requests)" = "$req0" ] || fail "wesim got $(($(requests) - req0)) requests after the restart"
stop_run

t_log "3. restart with ws-0004's right key: probed at once, connected"
printf '%s\n' "$good_key" >"$T_DIR/cfg/keys/ws-0004.key"
run_until_ready 3
wait_for 60 "ws-0004 connected with the new key" is_state ws-0004 connected
"$WEGAUGE" -c "$CFG" status >/dev/null || fail "status exited $? with every workspace connected"
wait_for 60 "every pull ended" settled
stop_run

t_log "4. restart with nothing changed: status exits 0 before any pull"
pulls0=$(sql "$DB" "SELECT count(*) FROM pull")
run_until_ready 4
"$WEGAUGE" -c "$CFG" status >"$T_DIR/status4" || fail "status exited $? right after the restart: $(cat "$T_DIR/status4")"
grep -q pending "$T_DIR/status4" && fail "pending right after a restart: $(cat "$T_DIR/status4")"
[ "$(sql "$DB" "SELECT count(*) FROM pull")" = "$pulls0" ] || fail "a pull ran: the test proves nothing"
stop_run
stop_pid "$WESIM_PID"
t_pass
