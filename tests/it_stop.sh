#!/bin/bash
# it_stop.sh: SIGTERM while pulls are running (issue 4). wesim answers
# every request after 400 ms, so many pulls are in flight when the signal
# comes. wegauged must exit 0 within shutdown_grace (2 s) plus one second,
# leave no pull `running`, commit nothing of the pulls it cancelled, and
# leave a store whose integrity check is ok.
. "$(dirname "$0")/lib.sh"
t_init it_stop

N=10
start_wesim --workspaces $N --seed 9 --latency 400 --write-config "$T_DIR/cfg" \
	--config-extra "shutdown_grace = 2s"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"

start_wegauged -c "$T_DIR/cfg/wegauged.conf"
busy() { [ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'running'")" -ge 5 ]; }
wait_for 60 "five pulls running" busy
t0=$(date +%s%N)
kill -TERM "$WEGAUGED_PID"
rc=0
wait "$WEGAUGED_PID" || rc=$?
t_untrack "$WEGAUGED_PID"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$rc" = 0 ] || fail "wegauged exited $rc after SIGTERM"
[ "$ms" -le 3000 ] || fail "stopping took $ms ms (shutdown_grace 2 s + 1 s)"
t_log "stopped in $ms ms"

[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] || fail "pulls left running"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'cancelled'")" -ge 1 ] ||
	fail "no pull was cancelled: the test did not catch any in flight"
window 7
check_streams_whole "$DB" --workspaces $N --seed 9
[ "$(sql "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
grep -q 'STOPPING\|stopping' "$T_DIR/wegauged.log" || fail "no stop logged"
stop_pid "$WESIM_PID"
t_pass
