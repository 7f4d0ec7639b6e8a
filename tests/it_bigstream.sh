#!/bin/bash
# it_bigstream.sh: a very large stream is committed without stalling the
# loop (issue 12): the hostile server's huge-stream mode lists 900,000
# team members (max_stream_rows raised to 1,000,000 for it) over pages of
# 60,000. The stream's commit is written 20,000 rows per loop turn
# (PULL_SLICE_ROWS), so:
#  - the stream is stored whole: 900,000 seats of the hostile workspace,
#    all from one pull, and the pull ends ok;
#  - no loop callback takes 1.5 s or more (wegauge_loop_callback_max_seconds
#    in /metrics): a slice takes tens of milliseconds (about 0.2 s at
#    worst here), while one commit of the whole stream would take several
#    seconds (2.4 s for 240,000 rows measured with slices turned off); the
#    bound leaves room for a loaded machine;
#  - ws-0001 on wesim is pulled ok meanwhile, and the watchdog (pinged at
#    half of WATCHDOG_USEC = 2 s) never waits more than 2.5 s.
# In an ASan build only the rows are checked (its timings are not the
# product's).
. "$(dirname "$0")/lib.sh"
t_init it_bigstream

HOSTILE=$BIN_DIR/hostile
free_port
M="http://127.0.0.1:$FREE_PORT"
start_wesim --workspaces 1 --seed 12 --write-config "$T_DIR/cfg" \
	--config-extra "interval = 1s" --config-extra "jitter = 0" \
	--config-extra "metrics_listen = 127.0.0.1:$FREE_PORT" \
	--config-extra "max_stream_rows = 1000000"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
printf 'hostile-key-0001\n' >"$T_DIR/cfg/keys/hostile.key"
chmod 600 "$T_DIR/cfg/keys/hostile.key"
"$HOSTILE" --mode huge-stream --rows 900000 --page-rows 60000 --quiet --port 0 \
	--port-file "$T_DIR/hostile.port" >>"$T_DIR/hostile.log" 2>&1 &
t_track $!
wait_for 30 "hostile port file" test -s "$T_DIR/hostile.port"
cat >"$T_DIR/cfg/workspaces.d/hostile.conf" <<EOF2
[workspace "hostile"]
license_code = hostile1
base_url = http://127.0.0.1:$(cat "$T_DIR/hostile.port")
api_key_file = ../keys/hostile.key
interval = 1h
EOF2

SOCK="$T_DIR/notify.sock"
"$BIN_DIR/notify_sink" "$SOCK" "$T_DIR/notify" &
t_track $!
wait_for 10 "notify socket" test -S "$SOCK"
NOTIFY_SOCKET="$SOCK" WATCHDOG_USEC=2000000 start_wegauged -c "$T_DIR/cfg/wegauged.conf"
ended() {
	st=$(sql "$DB" "SELECT status FROM pull WHERE workspace = 'hostile' ORDER BY id LIMIT 1")
	[ -n "$st" ] && [ "$st" != running ]
}
wait_for 300 "the hostile pull to end" ended
read -r hid status error <<<"$(sql "$DB" "SELECT id, status, error FROM pull WHERE workspace = 'hostile'" | tr '|' ' ')"
[ "$status" = ok ] || fail "the hostile pull ended $status: $error"
seats=$(sql "$DB" "SELECT count(*), count(DISTINCT pull_id) FROM seat WHERE workspace = 'hostile'")
[ "$seats" = "900000|1" ] || fail "seats stored (rows|pulls): $seats, expected 900000|1"
t_log "pull $hid ok: 900000 seats stored whole"
last=$(sql "$DB" "SELECT max(id) FROM pull")
ws_after() { [ "$(sql "$DB" "SELECT count(*) FROM pull WHERE workspace = 'ws-0001' AND id > $last AND status = 'ok'")" -gt 0 ]; }
wait_for 60 "ws-0001 pulled after the big stream" ws_after
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE workspace = 'ws-0001' AND status NOT IN ('ok', 'running')")" = 0 ] ||
	fail "a pull of ws-0001 did not end ok"

curl -sf "$M/metrics" >"$T_DIR/metrics" || fail "no /metrics"
max=$(awk '$1 == "wegauge_loop_callback_max_seconds" { print $2 }' "$T_DIR/metrics")
[ -n "$max" ] || fail "no wegauge_loop_callback_max_seconds in /metrics"
slow=$(awk '$1 == "wegauge_loop_callbacks_slow_total" { print $2 }' "$T_DIR/metrics")
# From READY=1 on, every ping: the longest wait between two of them.
gap=$(awk '/ (READY|WATCHDOG)=1$/ { if (prev) { d = $1 - prev; if (d > g) g = d } prev = $1 } END { printf "%d", g / 1000 }' "$T_DIR/notify")
t_log "longest loop callback $max s; $slow callbacks of 100 ms or more; longest watchdog gap $gap ms"
if ! is_sanitized; then
	awk -v m="$max" 'BEGIN { exit !(m < 1.5) }' || fail "a loop callback took $max s (bound 1.5 s)"
	[ "$gap" -le 2500 ] || fail "the watchdog waited $gap ms (pings every 1000 ms)"
fi
stop_pid "$WEGAUGED_PID"
[ "$(sql "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
stop_pid "$WESIM_PID"
t_pass
