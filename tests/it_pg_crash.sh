#!/bin/bash
# it_pg_crash.sh: a PostgreSQL store under faults and kill -9 (issue 14).
#  1. wesim fails 30% of requests (every kind a retry can fix, as in
#     it_faults.sh; the others fail a stream whatever the store): wegauged, started
#     again after each of 10 SIGKILLs at random moments of heavy pulls,
#     never leaves a stream half-written (pg_check_streams_whole after each
#     kill: per workspace and table, all of wesim --expect's rows from one
#     pull, or none), and each start closes the pulls of the killed process
#     as cancelled;
#  2. with the faults still on, the last run converges: every workspace
#     gets an ok pull, and after a clean stop the store equals wesim
#     --expect exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_crash

start_pg
N=10
SEED=31
KILLS=10
RETRYABLE=500,502,503,503s,429s,429d,reset,short,badchunk,pagecount
start_wesim --workspaces $N --seed $SEED --latency 5:10 --fault-rate 0.3 --faults $RETRYABLE \
	--write-config "$T_DIR/cfg" --config-extra "interval = 1s" --config-extra "jitter = 0" \
	--config-extra "retry_max = 15" \
	--config-extra "retry_base = 10ms" --config-extra "retry_cap = 100ms" \
	--config-extra "retry_budget = 100" --config-extra "max_per_host = 64"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
pg_configure "$CONF"
window 7

starts=0
up() { [ "$(grep -c '^[^ ]* notice wegauged .*workspaces, store ' "$T_DIR/wegauged.log")" -ge "$starts" ]; }
running_pulls() { [ "$(pg_sql "SELECT count(*) FROM pull WHERE status = 'running'")" -gt 0 ]; }
kills_mid_pull=0
RUNNING_AT_KILL=""
for i in $(seq 1 $KILLS); do
	starts=$((starts + 1))
	start_wegauged -c "$CONF"
	wait_for 60 "start $starts up" up
	if [ -n "$RUNNING_AT_KILL" ]; then
		left=$(pg_sql "SELECT count(*) FROM pull WHERE id IN ($RUNNING_AT_KILL) AND status <> 'cancelled'")
		[ "$left" = 0 ] || fail "after restart $starts: $left interrupted pulls not cancelled"
	fi
	wait_for 60 "pulls running (start $starts)" running_pulls
	sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
	kill -KILL "$WEGAUGED_PID"
	rc=0
	wait "$WEGAUGED_PID" || rc=$?
	t_untrack "$WEGAUGED_PID"
	[ "$rc" = 137 ] || fail "wegauged exited $rc before kill $i: $(tail -n 3 "$T_DIR/wegauged.log")"
	RUNNING_AT_KILL=$(pg_sql "SELECT string_agg(id::text, ',') FROM pull WHERE status = 'running'")
	[ -z "$RUNNING_AT_KILL" ] || kills_mid_pull=$((kills_mid_pull + 1))
	pg_check_streams_whole --workspaces $N --seed $SEED
done
t_log "$KILLS kills, $kills_mid_pull of them with pulls running"
[ "$kills_mid_pull" -ge $((KILLS / 2)) ] ||
	fail "only $kills_mid_pull of $KILLS kills caught pulls running: the test proves little"

starts=$((starts + 1))
before=$(pg_sql "SELECT coalesce(max(id), 0) FROM pull")
start_wegauged -c "$CONF"
wait_for 60 "the final start up" up
all_ok() {
	[ "$(pg_sql "SELECT count(DISTINCT workspace) FROM pull WHERE id > $before AND status = 'ok'")" = $N ]
}
wait_for 180 "an ok pull of every workspace under 30% faults" all_ok
kill -TERM "$WEGAUGED_PID"
rc=0
wait "$WEGAUGED_PID" || rc=$?
t_untrack "$WEGAUGED_PID"
[ "$rc" = 0 ] || fail "wegauged exited $rc at SIGTERM"
# Every workspace's last ok pull wrote every stream whole: compare.
compare_pg_with_expect --workspaces $N --seed $SEED
[ "$(pg_sql "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] || fail "pulls left running"
t_log "pulls: $(pg_sql "SELECT status || '=' || count(*) FROM pull GROUP BY status ORDER BY 1" | tr '\n' ' ')"
stop_pid "$WESIM_PID"
t_pass
