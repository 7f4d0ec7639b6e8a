#!/bin/bash
# it_pg_outage.sh: the PostgreSQL server goes away under a running daemon
# (issue 14), 12 workspaces pulled every second:
#  1. the server stopped for a while: /healthz answers at once with 503
#     "PostgreSQL store unavailable", wegauge_store_connected is 0, the
#     daemon keeps running; started again, the daemon reconnects by itself
#     and every workspace pulls ok again;
#  2. every connection terminated (pg_terminate_backend) five times while
#     streams are being written: the daemon reconnects each time and sends
#     what was not confirmed again;
#  3. at the end (SIGTERM, exit 0): the store equals wesim --expect exactly,
#     every stream stored whole (one pull per workspace and table), no pull
#     left running, and no pull id used twice.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_outage

start_pg
N=12
SEED=23
free_port
MPORT=$FREE_PORT
M="http://127.0.0.1:$MPORT"
start_wesim --workspaces $N --seed $SEED --latency 2:4 --write-config "$T_DIR/cfg" \
	--config-extra "interval = 1s" --config-extra "jitter = 0" \
	--config-extra "metrics_listen = 127.0.0.1:$MPORT"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
pg_configure "$CONF"
window 7

start_wegauged -c "$CONF"
oks_since() { pg_sql "SELECT count(DISTINCT workspace) FROM pull WHERE status = 'ok' AND id > $1"; }
all_ok_since() { [ "$(oks_since "$1")" = $N ]; }
wait_for 60 "an ok pull of every workspace" all_ok_since 0
metric() { curl -sf -m 2 "$M/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }

t_log "1. the server stopped"
stop_pg main fast
unavailable() {
	code=$(curl -s -m 1 -o "$T_DIR/health" -w '%{http_code}' "$M/healthz") || return 1
	[ "$code" = 503 ] && grep -q "PostgreSQL store unavailable" "$T_DIR/health"
}
wait_for 30 "/healthz 503 naming the PostgreSQL store" unavailable
t_log "healthz: $(cat "$T_DIR/health")"
[ "$(metric wegauge_store_connected)" = 0 ] || fail "wegauge_store_connected is not 0 while down"
kill -0 "$WEGAUGED_PID" || fail "wegauged died with the server"
# A few seconds down: pulls wait, the daemon keeps answering.
for _ in 1 2 3; do
	curl -s -m 1 -o /dev/null "$M/healthz" || fail "/healthz did not answer within 1 s while down"
	sleep 1
done
restart_pg main
mark=$(pg_sql "SELECT coalesce(max(id), 0) FROM pull")
wait_for 60 "/healthz 200 again" curl -sf -m 1 -o /dev/null "$M/healthz"
wait_for 60 "every workspace ok after the restart" all_ok_since "$mark"
[ "$(metric wegauge_store_connected)" = 1 ] || fail "wegauge_store_connected is not 1 again"
grep -q "PostgreSQL store .*connected again after" "$T_DIR/wegauged.log" ||
	fail "the reconnect was not logged"

t_log "2. connections terminated mid-stream, 5 times"
for i in 1 2 3 4 5; do
	sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
	pg_terminate_all main
	mark=$(pg_sql "SELECT coalesce(max(id), 0) FROM pull")
	wait_for 60 "every workspace ok after termination $i" all_ok_since "$mark"
done
r=$(metric wegauge_store_reconnects_total)
[ "${r:-0}" -ge 6 ] || fail "wegauge_store_reconnects_total is ${r:-none}, expected at least 6"

t_log "3. stop, and check the store"
kill -TERM "$WEGAUGED_PID"
rc=0
wait "$WEGAUGED_PID" || rc=$?
t_untrack "$WEGAUGED_PID"
[ "$rc" = 0 ] || fail "wegauged exited $rc at SIGTERM"
compare_pg_with_expect --workspaces $N --seed $SEED
pg_check_streams_whole --workspaces $N --seed $SEED
[ "$(pg_sql "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] ||
	fail "pulls left running: $(pg_sql "SELECT id, workspace FROM pull WHERE status = 'running'")"
bad=$(pg_sql "SELECT count(*) FROM pull WHERE status NOT IN ('ok', 'cancelled', 'partial', 'failed')")
[ "$bad" = 0 ] || fail "$bad pulls with an unexpected status"
t_log "pulls: $(pg_sql "SELECT status || '=' || count(*) FROM pull GROUP BY status ORDER BY 1" | tr '\n' ' ')"
stop_pid "$WESIM_PID"
t_pass
