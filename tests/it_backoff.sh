#!/bin/bash
# it_backoff.sh: a failing workspace backs off (issue 5). Against a wesim
# that answers everything 503, with a 2 s interval and no retries: after
# the second failed pull in a row each workspace is `failing` with the
# reason, and its next pull is pushed back at least 30 s (half of the first
# backoff step, 1 min), far beyond its 2 s interval.
. "$(dirname "$0")/lib.sh"
t_init it_backoff

N=3
start_wesim --workspaces $N --seed 37 --write-config "$T_DIR/cfg" --fault-rate 1 --faults 503 \
	--config-extra "retry_max = 0" --config-extra "interval = 2s" --config-extra "jitter = 0"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
start_wegauged -c "$T_DIR/cfg/wegauged.conf"
failed_twice() { [ "$(sql "$DB" "SELECT count(*) FROM workspace WHERE consecutive_failures >= 2")" = $N ]; }
wait_for 60 "two failed pulls of every workspace" failed_twice
sql "$DB" "SELECT name, state, state_reason, consecutive_failures,
	strftime('%s', next_pull_at) - strftime('%s', last_pull_at) FROM workspace" >"$T_DIR/ws"
stop_pid "$WEGAUGED_PID"
while IFS='|' read -r name state reason fails gap; do
	[ "$state" = failing ] || fail "$name is $state, not failing"
	case "$reason" in *"HTTP 503"*) ;; *) fail "$name: reason '$reason' does not say HTTP 503" ;; esac
	[ "$fails" -ge 2 ] || fail "$name: $fails consecutive failures"
	[ "$gap" -ge 29 ] || fail "$name: next pull $gap s after the last, expected a backoff of at least 30 s"
	t_log "$name: $state ($reason), next pull in $gap s"
done <"$T_DIR/ws"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status <> 'failed'")" = 0 ] || fail "a pull that was not failed"
stop_pid "$WESIM_PID"
t_pass
