#!/bin/bash
# it_pg_fleet_fail.sh: a fleet's failures (issue 16; tests/lib_fleet.sh).
# Three members (a, b, c) over 60 workspaces at a 5 s interval, lease 3 s
# (short, so that the four scenarios take about a minute; nothing checked
# depends on them).
#  1. kill -9 of c: the others take c's leases and pull each of its
#     workspaces within a lease and an interval (plus one heartbeat); no tick
#     is pulled twice by the pull table; wesim may have served the first
#     requests of a pull c was killed in the middle of, only in the kill's
#     tick. c starts again and takes its share back.
#  2. SIGSTOP of b while its stream writes are in flight and more wait
#     behind them: the test holds b's rows of feature_usage_daily locked,
#     changes b's accounts (wesim revision 1) so that b's next pulls write
#     those rows, and stops b once its write waits for the lock and at
#     least three more writes are queued behind it (b's metrics). Stopped
#     for longer than its lease, the others take its leases; SIGCONT: no
#     row of a pull b had running lands after the takeover, those pulls end
#     cancelled "lease lost", b rejoins, and its queued writes were fenced
#     (refused by the server, or before they were sent once b knew):
#     wegauge_fleet_fenced_writes_total is at least 1 (how many of the
#     queued writes were one transaction each is b's batching, so the test
#     asks for one, not for the number).
#  3. PostgreSQL restarted under the fleet: every member reconnects and the
#     leases are as rendezvous hashing says; two intervals later no tick is
#     pulled twice and none is missed.
#  4. c runs with its wall clock 5 minutes behind (faketime): it measures
#     the store's clock and uses it; its share, and no tick pulled twice or
#     missed over two intervals.
# At the end, after clean stops: no lease, no pull running, the store equals
# wesim --expect.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_fleet.sh"
t_init it_pg_fleet_fail

N=60
IV=5000
LEASE=3000
ACCOUNTS="$T_DIR/cfg/wesim.accounts"
fleet_setup $N 5s 3s --latency 1:2 --accounts "$ACCOUNTS"
window 1
for m in a b c; do start_member $m; done
wait_for 120 "every lease with its member by rendezvous hashing" owners_are a b c
wait_for 120 "an ok pull of every workspace" all_ok_since 0

# ---- 1. kill -9 -----------------------------------------------------------------
pg_sql "SELECT workspace FROM fleet_lease WHERE member = 'c' ORDER BY 1" >"$T_DIR/c.ws"
[ -s "$T_DIR/c.ws" ] || fail "member c holds no lease"
t_kill=$(server_ms)
kill -KILL "${MEMBER_PID[c]}"
wait "${MEMBER_PID[c]}" 2>/dev/null || true
t_untrack "${MEMBER_PID[c]}"
t_log "1. member c killed at $t_kill, holding $(wc -l <"$T_DIR/c.ws") leases"
c_list=$(sed "s/.*/'&'/" "$T_DIR/c.ws" | paste -sd,)
taken_over() {
	[ "$(pg_sql "SELECT count(DISTINCT workspace) FROM pull WHERE status = 'ok'
		AND workspace IN ($c_list) AND started_at >= to_timestamp($t_kill / 1000.0)")" = \
		"$(wc -l <"$T_DIR/c.ws")" ]
}
wait_for 60 "c's workspaces pulled by the others" taken_over
# Failover: from the kill to the start of each workspace's first ok pull after it.
pg_sql "SELECT max(first), percentile_disc(0.5) WITHIN GROUP (ORDER BY first) FROM (
	SELECT min(extract(epoch FROM started_at) * 1000 - $t_kill) AS first FROM pull
	 WHERE status = 'ok' AND workspace IN ($c_list) AND started_at >= to_timestamp($t_kill / 1000.0)
	 GROUP BY workspace) AS x" >"$T_DIR/failover"
IFS='|' read -r fo_max fo_med <"$T_DIR/failover"
fo_max=${fo_max%.*}
t_log "failover after kill -9: median ${fo_med%.*} ms, max $fo_max ms (lease $LEASE + interval $IV)"
# started_at is cut to the second: up to 1 s early; a heartbeat is lease/3.
[ "$fo_max" -le $((LEASE + IV + LEASE / 3 + 1000)) ] ||
	fail "a workspace of c waited $fo_max ms for its next pull (lease + interval: $((LEASE + IV)))"
start_member c
wait_for 60 "c takes its share back" owners_are a b c
t1=$(server_ms)
FLEET_ALLOW_TICK=$t_kill fleet_ticks $((t_kill - 2 * IV)) "$t1"
t_log "kill -9: $DUPS ticks pulled twice (pull table); $RALLOWED ticks with requests of a pull c was killed in"

# ---- 2. SIGSTOP while writing ----------------------------------------------------
t_log "2. member b stopped while its stream writes wait for a row lock"
pg_sql "SELECT workspace FROM fleet_lease WHERE member = 'b' ORDER BY 1" >"$T_DIR/b.ws"
b_list=$(sed "s/.*/'&'/" "$T_DIR/b.ws" | paste -sd,)
# A session of the test holds b's rows: b's next stream of stats waits on it.
pg_sql "BEGIN; SELECT count(*) FROM (SELECT 1 FROM feature_usage_daily
	WHERE workspace IN ($b_list) FOR UPDATE) AS x; SELECT pg_sleep(600);" >/dev/null 2>&1 &
LOCKER_PID=$!
t_track "$LOCKER_PID"
locker_holds() {
	[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE datname = '$PG_DB'
		AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()")" = 1 ]
}
wait_for 30 "the test's lock on b's rows" locker_holds
# b's accounts change: its next pulls update the locked rows (only changed rows are written).
while read -r w; do
	sed -i -E "s/^($w .*)revision=0/\1revision=1/" "$ACCOUNTS"
done <"$T_DIR/b.ws"
[ "$(grep -c 'revision=1' "$ACCOUNTS")" = "$(wc -l <"$T_DIR/b.ws")" ] || fail "could not bump b's revisions"
curl -sf -X POST "$WESIM_URL/_wesim/reload" >/dev/null || fail "wesim did not reload"
b_waits() {
	[ "$(pg_sql "SELECT count(*) FROM pg_stat_activity WHERE datname = '$PG_DB'
		AND wait_event_type = 'Lock' AND query LIKE '%feature_usage_daily%'")" -ge 1 ]
}
wait_for 60 "a write of b waiting for the test's row lock" b_waits
# The batch in flight cannot change while it waits: growth is writes queued behind it.
q0=$(member_metric b wegauge_store_queue_writes)
[ -n "$q0" ] || fail "cannot read b's metrics"
b_queued() { [ "$(member_metric b wegauge_store_queue_writes)" -ge $((q0 + 3)) ]; }
wait_for 30 "three more writes of b queued behind it" b_queued
fenced0=$(member_metric b wegauge_fleet_fenced_writes_total)
kill -STOP "${MEMBER_PID[b]}"
t_stop=$(server_ms)
pg_sql "SELECT id FROM pull WHERE status = 'running' AND workspace IN ($b_list)" >"$T_DIR/b.running"
# The lock goes: b's batch in flight (fenced when it began) commits, b stays stopped.
pg_super_sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$PG_DB'
	AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$LOCKER_PID" 2>/dev/null || true
t_untrack "$LOCKER_PID"
wait_for 60 "a and c hold every lease b held" owners_are a c
b_pulls=$(paste -sd, "$T_DIR/b.running")
[ -n "$b_pulls" ] || fail "b had no pull running when stopped"
rows_of_b() {
	pg_sql "SELECT (SELECT count(*) FROM feature_usage_daily WHERE pull_id IN ($b_pulls))
		+ (SELECT count(*) FROM campaign WHERE pull_id IN ($b_pulls))
		+ (SELECT count(*) FROM active_users_daily WHERE pull_id IN ($b_pulls))
		+ (SELECT count(*) FROM seat WHERE pull_id IN ($b_pulls))"
}
rows_before=$(rows_of_b)
t_log "b stopped for $((($(server_ms) - t_stop) / 1000)) s; its pulls $b_pulls had $rows_before rows; SIGCONT"
kill -CONT "${MEMBER_PID[b]}"
wait_for 60 "b rejoins with its share" owners_are a b c
[ "$(rows_of_b)" = "$rows_before" ] ||
	fail "rows of b's pulls landed after the takeover: $rows_before -> $(rows_of_b)"
bad=$(pg_sql "SELECT id || ' ' || status || ' ' || coalesce(error, '') FROM pull
	WHERE id IN ($b_pulls) AND NOT (status = 'cancelled' AND error = 'lease lost')
	AND NOT (status IN ('ok', 'partial') AND finished_at < to_timestamp($t_stop / 1000.0 + 1))")
[ -z "$bad" ] || fail "b's interrupted pulls did not end 'lease lost': $bad"
n_fenced=$(grep -o "[0-9]* writes fenced" "$T_DIR/b.log" | awk '{ n += $1 } END { print n + 0 }')
n_refused=$(grep -c "refused: its lease is lost" "$T_DIR/b.log" || true)
fenced=$(member_metric b wegauge_fleet_fenced_writes_total)
t_log "SIGSTOP: b's writes fenced: $((fenced - fenced0)) (wegauge_fleet_fenced_writes_total;" \
	"by the log: $n_fenced by the server, $n_refused before sending)"
[ "$((fenced - fenced0))" -ge 1 ] || fail "b's queued writes were not counted fenced"

# ---- 3. PostgreSQL restarted -----------------------------------------------------
t_log "3. PostgreSQL restarted under the fleet"
restart_pg
wait_for 90 "every lease with its member again" owners_are a b c
# From the next interval: a workspace whose lease was taken again after the
# restart may have caught up late in a tick, and the tick after such a
# pull goes (its next pull waits half an interval: ws_schedule_next).
t2=$(($(server_ms) + IV))
t3=$((t2 + 2 * IV))
wait_until_ms $((t3 + 1000))
FLEET_ALLOW_TICK="$t_kill $t_stop" fleet_ticks "$t2" "$t3"
[ "$MISSED" = 0 ] || fail "$MISSED ticks not pulled after the restart"
t_log "PostgreSQL restart: $DUPS ticks pulled twice; $REPULLS pulled again after a pull cancelled 'lease lost' (whole run)"

# ---- 4. a member's clock minutes off ---------------------------------------------
t_log "4. member c with its wall clock 5 minutes behind"
stop_member c
env_asan=""
is_sanitized && env_asan="ASAN_OPTIONS=verify_asan_link_order=0"
# libfaketime preloaded by env, which then is wegauged (faketime(1) would not pass SIGTERM on).
libft=$(dpkg -L libfaketime 2>/dev/null | grep '/libfaketime\.so\.1$' | head -1)
[ -n "$libft" ] || t_skip "no libfaketime: scripts/deps installs faketime"
start_member c env $env_asan LD_PRELOAD="$libft" FAKETIME="-5m"
wait_for 60 "c measured the store's clock" grep -q "this host's clock is -\(299\|300\)\." "$T_DIR/c.log"
wait_for 60 "c takes its share" owners_are a b c
t4=$(($(server_ms) + IV))
t5=$((t4 + 2 * IV))
wait_until_ms $((t5 + 1000))
FLEET_ALLOW_TICK="$t_kill $t_stop" fleet_ticks "$t4" "$t5"
[ "$MISSED" = 0 ] || fail "$MISSED ticks not pulled with c's clock off"
t_log "clock off: $DUPS ticks pulled twice"
[ "$(pg_sql "SELECT count(*) FROM pull WHERE started_at < now() - interval '4 minutes'
	AND id > (SELECT min(id) FROM pull WHERE started_at >= to_timestamp($t4 / 1000.0))")" = 0 ] ||
	fail "c stamped pulls with its own clock"

for m in a b c; do stop_member $m; done
[ "$(pg_sql "SELECT count(*) FROM fleet_lease")" = 0 ] || fail "leases left after the stops"
[ "$(pg_sql "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] || fail "pulls left running"
compare_pg_with_expect --workspaces $N --seed 16 --accounts "$ACCOUNTS"
stop_pid "$WESIM_PID"
t_pass
