#!/bin/bash
# soak.sh: wegauged against wesim under mixed faults for minutes, then the
# faults off (issue 5). Not run by ctest (it lasts about six minutes):
# scripts/soak runs it; tests/it_soak_short.sh runs a one-minute version
# of it under ctest.
#
# The run: SOAK_WORKSPACES workspaces, a SOAK_INTERVAL interval, and
# SOAK_FAULT_RATE of wesim's answers faulted with every kind it has
# (server errors, 429s with and without Retry-After, stalls, resets, short
# and broken bodies, trickles, truncated JSON, HTML, wrong envelopes,
# oversized bodies, lying page counts), with the daemon-wide retry budget
# at its default (10%), for SOAK_SECONDS. Then the faults are switched off
# (/_wesim/control?fault_rate=0), and within two intervals (counted once
# the waits docs/api.md imposes on the requests pending at that moment are
# over: see DEADLINE_MS) the store must equal wesim --expect exactly for
# every workspace: nothing missing, nothing duplicated; after a stop no
# pull is left running.
#
# With SOAK_RSS_CHECK=1 the daemon's resident memory (VmRSS, sampled every
# 3 s) must stay flat over the last minutes of faults: the highest sample
# after the first minute at most 10% above the sample at one minute.
#
# It prints the figures: pulls by status, requests, retries, faults by
# kind, RSS samples (min/max), and the time from faults off to exact.
#
# Environment (defaults: the full soak): SOAK_SECONDS (300),
# SOAK_WORKSPACES (200), SOAK_INTERVAL (10, seconds), SOAK_FAULT_RATE
# (0.3), SOAK_RSS_CHECK (1), SOAK_NAME (soak); WESIM, WEGAUGED,
# TEST_TMP as for every test (scripts/soak sets them).
. "$(dirname "$0")/lib.sh"
: "${SOAK_SECONDS:=300}" "${SOAK_WORKSPACES:=200}" "${SOAK_INTERVAL:=10}"
: "${SOAK_FAULT_RATE:=0.3}" "${SOAK_RSS_CHECK:=1}" "${SOAK_NAME:=soak}"
t_init "$SOAK_NAME"

N=$SOAK_WORKSPACES
SEED=41
# The jitter is a tenth of the interval (the default, 30 s, would be
# longer than the interval itself). Stalls and trickles are cut by the daemon's timeouts (request_timeout,
# low_speed_time) well within an interval; oversized bodies are 2 MiB
# against a max_response of 1 MiB, so they fail as oversized without
# moving 40 MiB each.
start_wesim --workspaces "$N" --seed $SEED --write-config "$T_DIR/cfg" \
	--fault-rate "$SOAK_FAULT_RATE" --faults all --oversize 2MiB --stall-ms 15000 \
	--config-extra "interval = ${SOAK_INTERVAL}s" --config-extra "jitter = $((SOAK_INTERVAL * 100))ms" \
	--config-extra "request_timeout = 8s" --config-extra "low_speed_time = 3s" \
	--config-extra "max_response = 1MiB" --config-extra "retry_base = 100ms" \
	--config-extra "retry_cap = 2s"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
window 7

start_wegauged -c "$CONF"
up() { grep -q '^[^ ]* notice wegauged .*workspaces, store ' "$T_DIR/wegauged.log"; }
wait_for 60 "wegauged up" up
T0=$(date +%s)
t_log "soak: $N workspaces, interval ${SOAK_INTERVAL}s, fault rate $SOAK_FAULT_RATE, ${SOAK_SECONDS}s"

# Sample VmRSS (KiB) every 3 s while the faults run: "SECONDS_SINCE_START KIB".
: >"$T_DIR/rss"
while [ $(($(date +%s) - T0)) -lt "$SOAK_SECONDS" ]; do
	kill -0 "$WEGAUGED_PID" 2>/dev/null || fail "wegauged exited during the soak"
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$WEGAUGED_PID/status")
	echo "$(($(date +%s) - T0)) $rss" >>"$T_DIR/rss"
	sleep 3
done

# The rows a correct collector stores, computed once before the faults go.
window_now
"$WESIM" --workspaces "$N" --seed $SEED --expect all --from "$FROM" --to "$TO" |
	LC_ALL=C sort >"$T_DIR/expect.jsonl"
EXPECTED=$(wc -l <"$T_DIR/expect.jsonl")

curl -sf -X POST "$WESIM_URL/_wesim/control?fault_rate=0" >/dev/null || fail "wesim control"
T_OFF=$(date +%s%N)
t_log "faults off after $(($(date +%s) - T0)) s"
# What each workspace is doing at that moment (for the diagnosis below).
kill -USR1 "$WEGAUGED_PID"

# exact_now: the store equals the expected rows right now.
exact_now() {
	store_rows "$DB" "$FROM" "$TO" >"$T_DIR/store.jsonl" && cmp -s "$T_DIR/expect.jsonl" "$T_DIR/store.jsonl"
}
# The deadline: two intervals, counted from when the waits that docs/api.md
# makes a pull keep at faults off have run out. A request answered 429
# without Retry-After waits until the next minute boundary plus up to 3 s
# of jitter (and a 250 ms margin), and its workspace's next pull cannot
# start before that pull ends; a stalled request runs until
# request_timeout (8 s) and is retried within retry_cap (2 s). Without
# this allowance the property would hold or not by where in the minute the
# faults went off.
off_ms=$((T_OFF / 1000000))
WAIT_MS=$((60000 - off_ms % 60000 + 3250))
[ "$WAIT_MS" -ge 10000 ] || WAIT_MS=10000
DEADLINE_MS=$((WAIT_MS + 2 * SOAK_INTERVAL * 1000))
exact_ms=""
first=1
: >"$T_DIR/incomplete"
while :; do
	t=$(date +%s%N)
	if exact_now; then
		exact_ms=$(((t - T_OFF) / 1000000))
		break
	fi
	if [ "$first" = 1 ]; then
		# The workspaces not yet complete when the faults went off.
		LC_ALL=C comm -23 "$T_DIR/expect.jsonl" "$T_DIR/store.jsonl" |
			sed -E 's/^\{"table":"([a-z_]+)","license_code":"([^"]*)".*/\2 \1/' |
			sort | uniq -c >"$T_DIR/incomplete"
		first=0
	fi
	[ $(((t - T_OFF) / 1000000)) -le $((DEADLINE_MS + 30000)) ] || break
	sleep 0.2
done
if [ -z "$exact_ms" ] || [ "$exact_ms" -gt "$DEADLINE_MS" ]; then
	diff "$T_DIR/expect.jsonl" "$T_DIR/store.jsonl" | head -10 >&2 || true
	missing=$(LC_ALL=C comm -23 "$T_DIR/expect.jsonl" "$T_DIR/store.jsonl" |
		sed -E 's/.*"license_code":"([^"]*)".*/\1/' | sort -u | tr '\n' ' ')
	echo "incomplete at faults off (rows, license code, table), and what those workspaces did:" >&2
	cat "$T_DIR/incomplete" >&2
	for lc in $(awk '{print $2}' "$T_DIR/incomplete" | sort -u); do
		ws=$(sql "$DB" "SELECT name FROM workspace WHERE license_code = '$lc'")
		grep " $ws[ :]" "$T_DIR/wegauged.log" | tail -n 4 >&2
	done
	fail "the store was not exact within two intervals after the pending waits (${DEADLINE_MS} ms after faults off; exact after: ${exact_ms:-never} ms); license codes differing: $missing"
fi

stop_pid "$WEGAUGED_PID"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] || fail "a pull left running"
[ "$(sql "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
compare_with_expect "$DB" --workspaces "$N" --seed $SEED

# ---- figures ---------------------------------------------------------------
stats=$(wesim_stats)
pulls=$(sql "$DB" "SELECT status || ' ' || count(*) FROM pull GROUP BY status ORDER BY status" | tr '\n' ',' | sed 's/,$//; s/,/, /g')
retries=$(sql "$DB" "SELECT coalesce(sum(retries), 0) FROM pull")
requests=$(echo "$stats" | jq '.response.data.requests')
faults=$(echo "$stats" | jq -r '.response.data.faults | to_entries | map("\(.key) \(.value)") | join(", ")')
faults_total=$(echo "$stats" | jq '.response.data.faults_total')
budget=$(grep -c 'daemon-wide retry budget spent' "$T_DIR/wegauged.log" || true)
rss_min=$(awk 'NR == 1 || $2 < m { m = $2 } END { print m }' "$T_DIR/rss")
rss_max=$(awk 'NR == 1 || $2 > m { m = $2 } END { print m }' "$T_DIR/rss")
# The sample at one minute (or, in a run shorter than two minutes, at a
# third of it), and the highest sample after it.
base_at=60
[ "$SOAK_SECONDS" -ge 120 ] || base_at=$((SOAK_SECONDS / 3))
rss_base=$(awk -v at=$base_at '$1 >= at { print $2; exit }' "$T_DIR/rss")
rss_late_max=$(awk -v at=$base_at '$1 >= at && $2 > m { m = $2 } END { print m }' "$T_DIR/rss")
samples=$(wc -l <"$T_DIR/rss")

echo "== soak figures ($N workspaces, interval ${SOAK_INTERVAL}s, ${SOAK_SECONDS}s at fault rate $SOAK_FAULT_RATE)"
echo "pulls:          $pulls"
echo "requests:       $requests (wesim), retries: $retries, streams failed for the retry budget: $budget"
echo "faults:         $faults_total: $faults"
echo "rss (KiB):      $samples samples, min $rss_min, max $rss_max; at ${base_at}s $rss_base, max after it $rss_late_max"
echo "time to exact:  $exact_ms ms after faults off (limit ${DEADLINE_MS} ms: ${WAIT_MS} ms of pending waits + 2 intervals), $EXPECTED rows, $(wc -l <"$T_DIR/incomplete") workspace tables incomplete at faults off"

if [ "$SOAK_RSS_CHECK" = 1 ]; then
	[ -n "$rss_base" ] && [ -n "$rss_late_max" ] || fail "too few RSS samples"
	[ $((rss_late_max * 100)) -le $((rss_base * 110)) ] ||
		fail "resident memory grew from $rss_base KiB at ${base_at}s to $rss_late_max KiB (more than 10%)"
fi
for kind in 500 502 503 429 429s 429d 503s stall reset short badchunk truncated malformed envelope slow oversized pagecount; do
	n=$(echo "$stats" | jq ".response.data.faults[\"$kind\"] // 0")
	[ "$n" -gt 0 ] || fail "wesim served no '$kind' fault: the soak proves nothing about it"
done
stop_pid "$WESIM_PID"
t_pass
