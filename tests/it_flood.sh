#!/bin/bash
# it_flood.sh: the metrics listener is bounded (issue 12, finding 2).
# wegauged with metrics_listen, max_in_flight 16 and max_per_host 8 (a
# descriptor budget of 125), pulling 2 workspaces of wesim every 2 s:
#  1. under `ulimit -n 100` (hard limit below the budget) it refuses to
#     start, exit 78, with a message naming the budget (125) and the limit
#     (100); `wegauged -t` refuses the same way; under `ulimit -Sn 64` (soft
#     limit only) it starts and raises its soft limit to 125;
#  2. under `ulimit -n 256`, FLOOD_CONNS connections that each send half a
#     request and then nothing (tests/tools/flood.c, reopening what the
#     server closes) for a window longer than the 10 s deadline: the
#     daemon's CPU time stays below 20% of the window (/proc/PID/stat), its
#     log grows by less than 64 KiB, it never holds more descriptors than
#     its budget, a SIGHUP reload completes (RELOADING=1 then READY=1) and
#     pulls keep succeeding;
#  3. once the flood stops, /healthz answers 200 at once, and /metrics
#     counts the refused connections and the 32 cut at the deadline;
#  4. a client that sends its request one byte a second is cut 10 s after
#     its connect (between 9 and 15 s).
. "$(dirname "$0")/lib.sh"
t_init it_flood

FLOOD_CONNS=1500
CAP=32       # METRICS_MAX_CONNECTIONS
BUDGET=125   # 32 fixed + 4 store + 3 x 16 + 8 HTTP + 33 metrics (src/fdlimit.c)

# A free loopback port for the metrics listener, as it_metrics.sh finds one.
"$WESIM" --port 0 --port-file "$T_DIR/free.port" --quiet &
pid=$!
wait_for 30 "a free port" test -s "$T_DIR/free.port"
kill -TERM $pid
wait $pid || true
MPORT=$(cat "$T_DIR/free.port")
M="http://127.0.0.1:$MPORT"
healthy() { [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$M/healthz")" = 200 ]; }

N=2
start_wesim --workspaces $N --seed 12 --write-config "$T_DIR/cfg" \
	--config-extra "metrics_listen = 127.0.0.1:$MPORT" \
	--config-extra "max_in_flight = 16" --config-extra "max_per_host = 8" \
	--config-extra "interval = 2s" --config-extra "jitter = 0"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CFG="$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"

t_log "1. the descriptor budget against the limits"
rc=0
# In the foreground, bounded: a daemon that does not refuse is killed after 30 s.
timeout 30 bash -c 'ulimit -n 100 && exec "$0" -c "$1"' "$WEGAUGED" "$CFG" >"$T_DIR/refused.log" 2>&1 || rc=$?
[ "$rc" = 78 ] || fail "under ulimit -n 100: exit $rc, expected 78"
grep -q "needs $BUDGET descriptors" "$T_DIR/refused.log" || fail "the refusal does not name the budget $BUDGET: $(cat "$T_DIR/refused.log")"
grep -q "hard limit on open files (RLIMIT_NOFILE) is 100" "$T_DIR/refused.log" ||
	fail "the refusal does not name the limit 100: $(cat "$T_DIR/refused.log")"
rc=0
(ulimit -n 100 && exec "$WEGAUGED" -t -c "$CFG") >"$T_DIR/check.out" 2>&1 || rc=$?
[ "$rc" = 78 ] && grep -q "needs $BUDGET descriptors" "$T_DIR/check.out" ||
	fail "wegauged -t under ulimit -n 100: exit $rc, $(cat "$T_DIR/check.out")"
rc=0
"$WEGAUGED" -t -c "$CFG" >"$T_DIR/check.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "wegauged -t: exit $rc, $(cat "$T_DIR/check.out")"

(ulimit -Sn 64 && exec "$WEGAUGED" -c "$CFG") >>"$T_DIR/wegauged.log" 2>&1 &
WEGAUGED_PID=$!
t_track $WEGAUGED_PID
wait_for 30 "/healthz under ulimit -Sn 64" healthy
soft=$(awk '/^Max open files/ { print $4 }' /proc/$WEGAUGED_PID/limits)
[ "$soft" = $BUDGET ] || fail "soft limit $soft after start, expected raised to $BUDGET"
stop_pid $WEGAUGED_PID

t_log "2. $FLOOD_CONNS half requests under ulimit -n 256"
SOCK="$T_DIR/notify.sock"
"$BIN_DIR/notify_sink" "$SOCK" "$T_DIR/notify" &
t_track $!
wait_for 10 "notify socket" test -S "$SOCK"
(ulimit -n 256 && NOTIFY_SOCKET="$SOCK" exec "$WEGAUGED" -c "$CFG") >>"$T_DIR/wegauged.log" 2>&1 &
WEGAUGED_PID=$!
t_track $WEGAUGED_PID
ok_pulls() { sql "$DB" "SELECT count(*) FROM pull WHERE status = 'ok'"; }
pulled() { [ "$(ok_pulls)" -ge $N ]; }
wait_for 60 "the first pulls" pulled
wait_for 30 "/healthz" healthy

"$BIN_DIR/flood" conns 127.0.0.1 "$MPORT" $FLOOD_CONNS "$T_DIR/flood.status" &
FLOOD_PID=$!
t_track $FLOOD_PID
fstat() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$T_DIR/flood.status" 2>/dev/null; }
flooding() { [ "$(fstat open)" -ge $CAP ] && [ "$(fstat closed)" -ge 100 ]; }
wait_for 30 "the flood to hold $CAP connections and see refusals" flooding
t_log "flood on: $(cat "$T_DIR/flood.status")"

cpu() { awk '{ print $14 + $15 }' /proc/$WEGAUGED_PID/stat; }
now_ms() { date +%s%3N; }
fds() { find /proc/$WEGAUGED_PID/fd -mindepth 1 2>/dev/null | wc -l; }
c0=$(cpu)
t0=$(now_ms)
b0=$(stat -c %s "$T_DIR/wegauged.log")
p0=$(ok_pulls)
max_fds=0
# The window: 12 s, beyond the 10 s deadline of the first connections held.
reloads() { grep -c 'RELOADING=1' "$T_DIR/notify" || true; }
readies() { grep -c ' READY=1$' "$T_DIR/notify" || true; }
reload_done() { [ "$(reloads)" -ge 1 ] && [ "$(readies)" -ge 2 ]; }
hupped=0
while [ $(($(now_ms) - t0)) -lt 12000 ]; do
	f=$(fds)
	[ "$f" -gt "$max_fds" ] && max_fds=$f
	if [ $hupped = 0 ] && [ $(($(now_ms) - t0)) -ge 3000 ]; then
		kill -HUP $WEGAUGED_PID
		hupped=1
	fi
	sleep 0.2
done
c1=$(cpu)
t1=$(now_ms)
b1=$(stat -c %s "$T_DIR/wegauged.log")
t_log "flood: $(cat "$T_DIR/flood.status")"
tck=$(getconf CLK_TCK)
pct=$(((c1 - c0) * 1000 * 100 / tck / (t1 - t0)))
t_log "daemon CPU ${pct}% of $((t1 - t0)) ms; log +$((b1 - b0)) bytes; at most $max_fds descriptors; ok pulls $p0 -> $(ok_pulls)"
[ "$pct" -lt 20 ] || fail "the daemon used ${pct}% CPU during the flood (limit 20%)"
[ $((b1 - b0)) -lt 65536 ] || fail "the log grew by $((b1 - b0)) bytes during the flood (limit 64 KiB)"
[ "$max_fds" -le $BUDGET ] || fail "$max_fds descriptors open during the flood, budget $BUDGET"
grep -q 'Error from accept' "$T_DIR/wegauged.log" && fail "libevent's accept error reached the log"
wait_for 30 "the reload during the flood (RELOADING=1, READY=1)" reload_done
grep -q 'notice reloaded: ' "$T_DIR/wegauged.log" || fail "no 'reloaded' in the log"
more_pulls() { [ "$(ok_pulls)" -ge $((p0 + 2 * N)) ]; }
wait_for 30 "pulls during the flood" more_pulls

t_log "3. the flood stops"
kill -TERM $FLOOD_PID
wait $FLOOD_PID || true
t_untrack $FLOOD_PID
wait_for 10 "/healthz after the flood" healthy
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T_DIR/metrics"; }
# Every flood connection closed: the scrape's own is the only one left
# (an earlier request's may still be closing for a moment).
alone() { curl -sf -m 5 "$M/metrics" >"$T_DIR/metrics" && [ "$(metric wegauge_metrics_connections)" = 1 ]; }
wait_for 10 "wegauge_metrics_connections 1 after the flood" alone
[ "$(metric wegauge_metrics_connections_max)" = $CAP ] || fail "wegauge_metrics_connections_max is not $CAP"
[ "$(metric wegauge_metrics_connections_refused_total)" -ge 100 ] || fail "refused connections not counted"
[ "$(metric wegauge_metrics_connections_timed_out_total)" -ge $CAP ] ||
	fail "connections cut at the deadline: $(metric wegauge_metrics_connections_timed_out_total), expected >= $CAP"

t_log "4. a request trickled one byte a second"
"$BIN_DIR/flood" trickle 127.0.0.1 "$MPORT" 1000 30000 >"$T_DIR/trickle.out" || true
ms=$(sed -n 's/^closed_after_ms=//p' "$T_DIR/trickle.out")
[ -n "$ms" ] || fail "the trickling client was not cut: $(cat "$T_DIR/trickle.out")"
[ "$ms" -ge 9000 ] && [ "$ms" -le 15000 ] || fail "the trickling client was cut after $ms ms, expected 10 s (9..15)"
t_log "trickling client cut after $ms ms"
healthy || fail "/healthz after the trickle"

stop_pid $WEGAUGED_PID
stop_pid "$WESIM_PID"
t_pass
