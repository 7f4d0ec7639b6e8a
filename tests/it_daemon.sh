#!/bin/bash
# it_daemon.sh: wegauged as a daemon against wesim with 20 workspaces, a 2 s
# interval and no jitter, over several cycles (issue 3):
#  - every workspace is pulled again and again, every pull ok;
#  - never two pulls of one workspace at once (pull rows do not overlap);
#  - the pull after the first (out of turn, at start) waits for a tick at
#    least half an interval later;
#  - each workspace keeps one phase within the interval, and the phases of
#    the workspaces spread over it (wesim's request log, in milliseconds);
#  - SIGTERM stops it with exit 0 and no pull left running.
. "$(dirname "$0")/lib.sh"
t_init it_daemon

N=20
start_wesim --workspaces $N --seed 3 --write-config "$T_DIR/cfg" \
	--config-extra "interval = 2s" --config-extra "jitter = 0" \
	--config-extra "max_per_host = 64"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"

start_wegauged -c "$T_DIR/cfg/wegauged.conf"
pulled_5_times() {
	[ "$(sql "$DB" "SELECT count(*) FROM (SELECT workspace FROM pull WHERE status = 'ok'
		GROUP BY workspace HAVING count(*) >= 5)")" = $N ]
}
wait_for 120 "5 ok pulls of every workspace" pulled_5_times
stop_pid "$WEGAUGED_PID"

[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status NOT IN ('ok', 'cancelled')")" = 0 ] ||
	fail "pulls not ok: $(sql "$DB" "SELECT workspace, status, error FROM pull WHERE status <> 'ok' LIMIT 3")"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] ||
	fail "a pull was left running"
overlaps=$(sql "$DB" "SELECT count(*) FROM pull a JOIN pull b ON b.workspace = a.workspace
	AND b.id = (SELECT min(id) FROM pull WHERE workspace = a.workspace AND id > a.id)
	WHERE b.started_at < a.finished_at")
[ "$overlaps" = 0 ] || fail "$overlaps pulls started before the previous pull of their workspace ended"

# Settling: the first pull of each workspace is out of turn (at start), so
# the second waits for the first tick at least half an interval (1000 ms)
# after it. Both stats requests come right after their pull began (the
# first after the probe); 100 ms of slack covers that. Without the rule
# the gaps would fall anywhere in 0..2000 ms.
: >"$T_DIR/gaps"
for lc in $("$WESIM" --workspaces $N --seed 3 --list | awk '{print $2}'); do
	curl -sf "$WESIM_URL/_wesim/log?lc=$lc" |
		jq -r '[.response.data.entries[] | select(.method == "POST") | .t_ms] | "\(.[1] - .[0])"' \
		>>"$T_DIR/gaps"
done
[ "$(wc -l <"$T_DIR/gaps")" = $N ] || fail "missing gaps"
short=$(awk '$1 < 900' "$T_DIR/gaps" | wc -l)
[ "$short" = 0 ] || fail "$short workspaces were pulled again within half an interval of their first pull: $(sort -n "$T_DIR/gaps" | head -3 | tr '\n' ' ')"
t_log "first-to-second pull gaps: $(sort -n "$T_DIR/gaps" | head -1) .. $(sort -n "$T_DIR/gaps" | tail -1) ms"

# Phases from wesim's log: the stats request opens every pull. The first
# pull of each workspace is immediate (never pulled before); the later ones
# fall at the workspace's phase within the 2000 ms interval. A request can
# only be late (a busy loop, a loaded machine), never early, so each
# workspace's phase is the smallest offset among its pulls.
: >"$T_DIR/phases"
for lc in $("$WESIM" --workspaces $N --seed 3 --list | awk '{print $2}'); do
	curl -sf "$WESIM_URL/_wesim/log?lc=$lc" |
		jq -r '.response.data.entries[] | select(.method == "POST") | .t_ms' |
		tail -n +2 | awk -v lc="$lc" '{ print lc, $1 % 2000 }' >>"$T_DIR/phases"
done
[ "$(awk '{print $1}' "$T_DIR/phases" | sort -u | wc -l)" = $N ] || fail "missing phases"
# stable: most of each workspace's pulls (at least half) start within 300 ms
# after its phase: a scheduler that drifted or replayed missed ticks would not
awk '
{ n[$1]++; v[$1, n[$1]] = $2; if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2 }
END {
	bad = 0
	for (lc in n) {
		near = 0
		for (i = 1; i <= n[lc]; i++) {
			d = v[lc, i] - lo[lc]; if (d < 0) d += 2000; if (d > 1000) d = 2000 - d
			if (d <= 300) near++
		}
		if (near * 2 < n[lc]) { print "unstable phase for " lc; bad = 1 }
	}
	exit bad
}' "$T_DIR/phases" || fail "a workspace's pulls did not keep their phase"
# spread: the workspaces' phases fall in at least 3 of the 4 quarters of the interval
quarters=$(awk '{ if (!($1 in lo) || $2 < lo[$1]) lo[$1] = $2 } END { for (lc in lo) print int(lo[lc] / 500) }' \
	"$T_DIR/phases" | sort -u | wc -l)
[ "$quarters" -ge 3 ] || fail "phases bunched in $quarters quarter(s) of the interval"
t_log "phases of $N workspaces cover $quarters of 4 quarters of the interval"

stop_pid "$WESIM_PID"
t_pass
