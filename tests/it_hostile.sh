#!/bin/bash
# it_hostile.sh: memory is bounded by configuration, whatever a server sends
# (issue 12, finding 3). wegauged runs with the default caps and two
# workspaces: "hostile" on tests/tools/hostile (pulled once, interval 1h)
# and ws-0001 on wesim (pulled every second). Two phases, one daemon each:
#  A. endless-pages: every campaign page of push-notifications says
#     numberOfPages 1000000 and holds 1,800 campaigns of 4 KiB strings
#     (22 MB). The campaigns stream fails with "campaigns
#     (push-notifications) page N: stream needs more than 128MiB
#     (max_stream_bytes)" (before: 1.5 GB after 40 s, growing to 22 GB).
#  B. empty-objects: the stats answer is 30 MiB of {},{},... The stats
#     stream fails with "stats: answer needs more than 128MiB to parse
#     (max_parse_memory)" (before: a 2.3 GB peak).
# In each phase: the hostile pull ends partial with that error as
# pull.error (exact prefix) and its other three streams are stored;
# wegauge_stream_cap_failures_total counts it under its cap; ws-0001 is
# pulled ok again after the hostile pull ended; the daemon's peak RSS
# (VmHWM) stays under BOUND; after a reload (which trims the heap) its RSS
# is back under 64 MiB; SIGTERM stops it with status 0.
#
# BOUND: one pull's memory is at most max_stream_bytes (its rows) +
# max_response (the answer's body) + max_parse_memory (the answer's tree):
# 128 + 32 + 128 MiB with the defaults, on top of the daemon's own ~15 MiB
# (ws-0001's streams are a few hundred KiB). So 300 MiB; each phase fills
# one cap, and measures about 190 (A) and 155 (B) MiB. The peak is watched
# while the phase runs, and a daemon past BOUND is stopped at once (the
# code before the caps would otherwise take gigabytes). An ASan build's
# RSS is not the product's: there only the errors and rows are checked.
. "$(dirname "$0")/lib.sh"
t_init it_hostile

HOSTILE=$BIN_DIR/hostile
BOUND_KB=$((300 * 1024))
TRIMMED_KB=$((64 * 1024))

# A free loopback port for the metrics listener: let the kernel pick one
# for a throwaway server, then use it.
"$HOSTILE" --mode plain --port 0 --port-file "$T_DIR/free.port" --quiet &
pid=$!
wait_for 30 "a free port" test -s "$T_DIR/free.port"
kill -TERM $pid
wait $pid || true
MPORT=$(cat "$T_DIR/free.port")
M="http://127.0.0.1:$MPORT"

start_wesim --workspaces 1 --seed 12 --write-config "$T_DIR/cfg" \
	--config-extra "interval = 1s" --config-extra "jitter = 0" \
	--config-extra "metrics_listen = 127.0.0.1:$MPORT"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
printf 'hostile-key-0001\n' >"$T_DIR/cfg/keys/hostile.key"
chmod 600 "$T_DIR/cfg/keys/hostile.key"

# kb FIELD PID: VmHWM or VmRSS of PID in KiB (0 once it is gone).
kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$2/status" 2>/dev/null || echo 0; }

# hostile_ended DB: true once the hostile workspace's first pull ended, or
# once the daemon's peak RSS passed the bound: then the daemon is killed at
# once and $T_DIR/over holds its peak (wait_for hides what this prints).
hostile_ended() {
	if ! is_sanitized; then
		hwm=$(kb VmHWM "$WEGAUGED_PID")
		if [ "${hwm:-0}" -gt $BOUND_KB ]; then
			kill -KILL "$WEGAUGED_PID"
			echo "$hwm" >"$T_DIR/over"
			return 0
		fi
	fi
	st=$(sql "$1" "SELECT status FROM pull WHERE workspace = 'hostile' ORDER BY id LIMIT 1")
	[ -n "$st" ] && [ "$st" != running ]
}

# rows DB TABLE: rows of the hostile workspace in TABLE.
rows() { sql "$1" "SELECT count(*) FROM $2 WHERE workspace = 'hostile'"; }
metric() { curl -sf "$M/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
reloads() { grep -c ' reloaded: ' "$T_DIR/wegauged.log" || true; }
reloaded_since() { [ "$(reloads)" -gt "$1" ]; }
# ws_pulled_after DB ID: ws-0001 has an ok pull with an id above ID.
ws_pulled_after() {
	[ "$(sql "$1" "SELECT count(*) FROM pull WHERE workspace = 'ws-0001' AND id > $2 AND status = 'ok'")" -gt 0 ]
}

# phase MODE FAILED_TABLE ERROR_REGEX CAP
phase() {
	mode=$1 failed_table=$2 want=$3 cap=$4
	t_log "$mode: the $failed_table stream must fail by $cap"
	rm -f "$T_DIR/hostile.port"
	"$HOSTILE" --mode "$mode" --port 0 --port-file "$T_DIR/hostile.port" \
		>>"$T_DIR/hostile-$mode.log" 2>&1 &
	hpid=$!
	t_track $hpid
	wait_for 30 "hostile port file" test -s "$T_DIR/hostile.port"
	cat >"$T_DIR/cfg/workspaces.d/hostile.conf" <<-EOF
		[workspace "hostile"]
		license_code = hostile1
		base_url = http://127.0.0.1:$(cat "$T_DIR/hostile.port")
		api_key_file = ../keys/hostile.key
		interval = 1h
	EOF
	db=$T_DIR/$mode.db
	sed "s|^database = .*|database = $db|" "$T_DIR/cfg/wegauged.conf" >"$T_DIR/cfg/$mode.conf"
	start_wegauged -c "$T_DIR/cfg/$mode.conf"

	wait_for 120 "the hostile pull to end" hostile_ended "$db"
	[ ! -f "$T_DIR/over" ] ||
		fail "$mode: peak RSS $(cat "$T_DIR/over") KiB passed $BOUND_KB KiB while the hostile pull ran"
	read -r hid status error <<<"$(sql "$db" "SELECT id, status, error FROM pull WHERE workspace = 'hostile'" | tr '|' ' ')"
	[ "$status" = partial ] || fail "$mode: hostile pull $status, not partial: $error"
	echo "$error" | grep -Eq "^$want\$" || fail "$mode: pull.error is '$error', not /$want/"
	t_log "$mode: pull $hid partial: $error"
	for t in feature_usage_daily campaign active_users_daily seat; do
		n=$(rows "$db" $t)
		if [ $t = "$failed_table" ]; then
			[ "$n" = 0 ] || fail "$mode: $n rows of the failed stream in $t"
		else
			[ "$n" -gt 0 ] || fail "$mode: the hostile workspace's $t stream stored nothing"
		fi
	done

	# The other workspace is pulled on: a pull started after the hostile one ended.
	last=$(sql "$db" "SELECT max(id) FROM pull")
	wait_for 60 "an ok pull of ws-0001 after the hostile one" ws_pulled_after "$db" "$last"
	[ "$(sql "$db" "SELECT count(*) FROM pull WHERE workspace = 'ws-0001' AND status <> 'ok' AND status <> 'running'")" = 0 ] ||
		fail "$mode: a pull of ws-0001 did not end ok"

	for c in max_stream_rows max_stream_bytes max_parse_memory; do
		n=$(metric "wegauge_stream_cap_failures_total{cap=\"$c\"}")
		if [ $c = "$cap" ]; then
			[ "$n" = 1 ] || fail "$mode: wegauge_stream_cap_failures_total{cap=\"$c\"} is '$n', not 1"
		else
			[ "$n" = 0 ] || fail "$mode: wegauge_stream_cap_failures_total{cap=\"$c\"} is '$n', not 0"
		fi
	done

	hwm=$(kb VmHWM "$WEGAUGED_PID")
	if ! is_sanitized; then
		[ "$hwm" -le $BOUND_KB ] || fail "$mode: peak RSS $hwm KiB, bound $BOUND_KB KiB"
		# Memory goes back: a reload trims the heap once it is done.
		r0=$(reloads)
		kill -HUP "$WEGAUGED_PID"
		wait_for 60 "the reload" reloaded_since "$r0"
		rss=$(kb VmRSS "$WEGAUGED_PID")
		[ "$rss" -le $TRIMMED_KB ] || fail "$mode: RSS $rss KiB after the reload's trim, not under $TRIMMED_KB KiB"
		t_log "$mode: peak RSS $((hwm / 1024)) MiB (bound $((BOUND_KB / 1024))), $((rss / 1024)) MiB after the reload"
	fi
	stop_pid "$WEGAUGED_PID"
	stop_pid "$hpid"
}

phase endless-pages campaign \
	'campaigns \(push-notifications\) page [0-9]+: stream needs more than 128MiB \(max_stream_bytes\)' \
	max_stream_bytes
phase empty-objects feature_usage_daily \
	'stats: answer needs more than 128MiB to parse \(max_parse_memory\)' \
	max_parse_memory
stop_pid "$WESIM_PID"
t_pass
