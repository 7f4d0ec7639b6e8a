#!/bin/bash
# it_pg_queue.sh: a PostgreSQL server that stops answering writes while
# the connection stays up (issue 14): another session holds ACCESS
# EXCLUSIVE locks on the data tables for 8 s, so every stream the daemon
# sends waits on the server. With store_queue_max = 1MiB and 12 workspaces
# pulled every second:
#  - the loop never waits: /healthz answers within 1 s throughout, and the
#    longest call into libpq (wegauge_store_call_max_seconds) stays short;
#  - the writes waiting for the server stay within the bound
#    (wegauge_store_queue_bytes <= 1MiB + one stream), streams beyond it
#    are refused (wegauge_store_queue_refused_total > 0, their pulls end
#    partial naming store_queue_max) and memory stays flat;
#  - once the lock is gone everything drains, and after a clean stop the
#    store equals wesim --expect exactly.
# Since issue 15 a pull of unchanged data sends (almost) nothing, so while
# the tables are locked wesim's accounts change every second (their
# revision goes up, accounts file and reload): every pull then carries
# changed rows and the queue fills.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_queue

start_pg
N=12
SEED=5
free_port
MPORT=$FREE_PORT
M="http://127.0.0.1:$MPORT"
start_wesim --workspaces $N --seed $SEED --latency 1:2 --write-config "$T_DIR/cfg" \
	--accounts "$T_DIR/cfg/wesim.accounts" \
	--config-extra "interval = 1s" --config-extra "jitter = 0" \
	--config-extra "store_queue_max = 1MiB" \
	--config-extra "metrics_listen = 127.0.0.1:$MPORT"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
pg_configure "$CONF"
window 7
start_wegauged -c "$CONF"
all_ok_since() {
	[ "$(pg_sql "SELECT count(DISTINCT workspace) FROM pull WHERE status = 'ok' AND id > $1")" = $N ]
}
wait_for 60 "an ok pull of every workspace" all_ok_since 0
metric() { curl -sf -m 2 "$M/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$WEGAUGED_PID/status"; }

t_log "the data tables locked for 8 s by another session"
pg_sql "BEGIN; LOCK TABLE feature_usage_daily, campaign, active_users_daily, seat
	IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT;" >/dev/null &
LOCKER=$!
t_track "$LOCKER"
# bump: every account's revision up by one, every 0.5 s, while the lock holds.
(
	r=0
	while kill -0 "$LOCKER" 2>/dev/null; do
		r=$((r + 1))
		awk -v n=$N -v r=$r 'BEGIN { for (i = 1; i <= n; i++) printf "ws-%04d revision=%d\n", i, r }' \
			>"$T_DIR/cfg/wesim.accounts.new"
		mv "$T_DIR/cfg/wesim.accounts.new" "$T_DIR/cfg/wesim.accounts"
		curl -sf -X POST "$WESIM_URL/_wesim/reload" >/dev/null || exit 1
		sleep 0.5
	done
) &
BUMPER=$!
t_track "$BUMPER"
refused() { [ "$(metric wegauge_store_queue_refused_total)" -gt 0 ]; }
wait_for 30 "a stream refused by store_queue_max" refused
rss1=$(rss_kib)
maxq=0
while kill -0 "$LOCKER" 2>/dev/null; do
	curl -s -m 1 -o /dev/null "$M/healthz" || fail "/healthz did not answer within 1 s"
	q=$(metric wegauge_store_queue_bytes)
	[ "$q" -le $((1024 * 1024 + 512 * 1024)) ] || fail "the queue holds $q bytes, over 1MiB + a stream"
	[ "$q" -gt "$maxq" ] && maxq=$q
	sleep 0.2
done
rss2=$(rss_kib)
wait "$LOCKER" || fail "the locking session failed"
t_untrack "$LOCKER"
wait "$BUMPER" || fail "wesim's accounts could not be changed"
t_untrack "$BUMPER"
t_log "queue at most $maxq bytes; RSS $rss1 -> $rss2 KiB; refused $(metric wegauge_store_queue_refused_total)"
# (Not in the sanitizer build: ASan's quarantine keeps freed memory resident.)
is_sanitized || [ $((rss2 - rss1)) -lt 20480 ] ||
	fail "RSS grew by $((rss2 - rss1)) KiB while streams were refused"
grep -q "store_queue_max" "$T_DIR/wegauged.log" || fail "no log line names store_queue_max"
# The pulls' ends wait in the queue behind the lock too: they land soon after it.
refused_pulls() {
	[ "$(pg_sql "SELECT count(*) FROM pull WHERE status IN ('partial', 'failed')
		AND error LIKE '%store_queue_max%'")" -gt 0 ]
}
wait_for 60 "a pull ended naming store_queue_max" refused_pulls
# The backlog goes: the queue drains below the bound while pulls go on.
below() { [ "$(metric wegauge_store_queue_bytes)" -lt $((512 * 1024)) ]; }
wait_for 60 "the queue below half its bound after the lock" below
call=$(metric wegauge_store_call_max_seconds)
cpu=$(metric wegauge_store_call_max_cpu_seconds)
t_log "longest call into libpq: $call s ($cpu s of CPU)"
awk -v c="$call" 'BEGIN { exit !(c < 0.5) }' || fail "a call into libpq took $call s"
kill -TERM "$WEGAUGED_PID"
rc=0
wait "$WEGAUGED_PID" || rc=$?
t_untrack "$WEGAUGED_PID"
[ "$rc" = 0 ] || fail "wegauged exited $rc at SIGTERM"
# The refused streams are pulled again at the next pull: --once is one
# (the running daemon would wait out each failing workspace's backoff first).
# (With room for every stream: the accounts changed, so every stream has rows to write.)
sed 's/^store_queue_max = .*/store_queue_max = 64MiB/' "$CONF" >"$T_DIR/once.conf"
"$WEGAUGED" -c "$T_DIR/once.conf" --once >>"$T_DIR/wegauged.log" 2>&1 || fail "the next pull (--once) exited $?"
compare_pg_with_expect --workspaces $N --seed $SEED --accounts "$T_DIR/cfg/wesim.accounts"
stop_pid "$WESIM_PID"
t_pass
