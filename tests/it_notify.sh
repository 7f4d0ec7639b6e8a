#!/bin/bash
# it_notify.sh: what wegauged tells systemd, on a fake NOTIFY_SOCKET
# (tests/tools/notify_sink) with wesim behind it (issue 4):
#  - READY=1 only once the store exists; STATUS= says how many workspaces
#    are connected; SIGHUP gives RELOADING=1 with a MONOTONIC_USEC= close to
#    the receiver's own clock, then READY=1; SIGTERM gives STOPPING=1; the
#    order is exactly that;
#  - with WATCHDOG_USEC=1000000, WATCHDOG=1 every half second (counted over
#    the run, generous bounds); without it, none.
. "$(dirname "$0")/lib.sh"
t_init it_notify

N=5
start_wesim --workspaces $N --seed 11 --write-config "$T_DIR/cfg"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
SOCK="$T_DIR/notify.sock"

start_sink() {
	: >"$1"
	"$BIN_DIR/notify_sink" "$SOCK" "$1" --check-file "$DB" &
	SINK_PID=$!
	t_track "$SINK_PID"
	wait_for 10 "notify socket" test -S "$SOCK"
}
msgs() { cut -d' ' -f2- "$1" | grep -v '^WATCHDOG=1$' | grep -v '^STATUS='; }

# --- run 1: lifecycle and watchdog ------------------------------------------
start_sink "$T_DIR/notify1"
NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=1000000 start_wegauged -c "$T_DIR/cfg/wegauged.conf"
wait_for 60 "STATUS with $N connected" grep -q "STATUS=$N workspaces: $N connected" "$T_DIR/notify1"
grep -q '^[0-9]* READY=1 file=yes$' "$T_DIR/notify1" || fail "READY=1 before the store existed: $(head -3 "$T_DIR/notify1")"
kill -HUP "$WEGAUGED_PID"
ready_twice() { [ "$(msgs "$T_DIR/notify1" | grep -c '^READY=1')" -ge 2 ]; }
wait_for 30 "READY after reload" ready_twice
# let the watchdog ping a few more times: wait for three more pings
pings_now=$(grep -c ' WATCHDOG=1$' "$T_DIR/notify1")
more_pings() { [ "$(grep -c ' WATCHDOG=1$' "$T_DIR/notify1")" -ge $((pings_now + 3)) ]; }
wait_for 30 "three more watchdog pings" more_pings
stop_pid "$WEGAUGED_PID"
wait_for 10 "STOPPING" grep -q ' STOPPING=1$' "$T_DIR/notify1"
stop_pid "$SINK_PID"

got=$(msgs "$T_DIR/notify1" | sed -E 's/MONOTONIC_USEC=[0-9]+/MONOTONIC_USEC=N/; s/ file=yes$//' | tr '\n' '|')
[ "$got" = 'READY=1|RELOADING=1\nMONOTONIC_USEC=N|READY=1|STOPPING=1|' ] ||
	fail "unexpected notify sequence: $got"
# MONOTONIC_USEC within 5 s of the receiver's own monotonic clock
awk '/RELOADING=1/ { split($2, a, "MONOTONIC_USEC="); d = $1 - a[2]; if (d < 0) d = -d;
	if (d > 5000000) { print "MONOTONIC_USEC off by " d " us"; exit 1 } }' "$T_DIR/notify1" ||
	fail "MONOTONIC_USEC not close to CLOCK_MONOTONIC"
# watchdog: one ping per 500 ms of the run, give or take half
pings=$(grep -c ' WATCHDOG=1$' "$T_DIR/notify1")
span_ms=$(awk 'NR == 1 { a = $1 } { b = $1 } END { print int((b - a) / 1000) }' "$T_DIR/notify1")
want=$((span_ms / 500))
[ "$pings" -ge $((want / 2)) ] && [ "$pings" -le $((want * 3 / 2 + 2)) ] ||
	fail "$pings watchdog pings over ${span_ms} ms (expected about $want)"
t_log "$pings watchdog pings over ${span_ms} ms"
grep -q "STATUS=$N workspaces: $N connected" "$T_DIR/notify1" || fail "no STATUS line"

# --- run 2: no WATCHDOG_USEC, no pings --------------------------------------
# A fresh store, so every workspace is pulled at once again.
rm -f "$DB" "$DB-wal" "$DB-shm"
start_sink "$T_DIR/notify2"
t0=$(date +%s%N)
NOTIFY_SOCKET="$SOCK" start_wegauged -c "$T_DIR/cfg/wegauged.conf"
all_connected() { grep -q "STATUS=$N workspaces: $N connected" "$T_DIR/notify2"; }
wait_for 60 "all connected" all_connected
# The absence of pings can only be seen over a window: two seconds, four
# pings' worth had there been a watchdog.
two_seconds() { [ $(($(date +%s%N) - t0)) -ge 2000000000 ]; }
wait_for 10 "two seconds" two_seconds
stop_pid "$WEGAUGED_PID"
wait_for 10 "STOPPING" grep -q ' STOPPING=1$' "$T_DIR/notify2"
stop_pid "$SINK_PID"
[ "$(grep -c WATCHDOG "$T_DIR/notify2")" = 0 ] || fail "watchdog pings without WATCHDOG_USEC"

stop_pid "$WESIM_PID"
t_pass
