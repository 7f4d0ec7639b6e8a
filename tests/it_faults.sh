#!/bin/bash
# it_faults.sh: wegauged keeps working and loses nothing (issue 5).
#  A. 30% of wesim's answers faulted with every retryable kind (5xx, 429
#     and 503 with Retry-After in seconds and as an HTTP-date, stalls,
#     resets, short bodies, broken chunking, trickling bodies, lying page
#     counts): one --once run ends with every pull ok and the store equal
#     to wesim --expect, and wesim saw no request before a Retry-After
#     deadline it gave.
#  B. 25% of answers broken for good (truncated JSON, not JSON, a wrong
#     envelope, 40 MiB bodies): those streams fail with errors naming the
#     workspace, stream, page and what was wrong, nothing of them is
#     committed, memory stays bounded by max_response; once the faults stop,
#     the next run stores everything.
. "$(dirname "$0")/lib.sh"
t_init it_faults

N=30
SEED=21
RETRYABLE=500,502,503,503s,429s,429d,stall,reset,short,badchunk,slow,pagecount
start_wesim --workspaces $N --seed $SEED --write-config "$T_DIR/cfg" \
	--fault-rate 0.3 --faults $RETRYABLE --stall-ms 20000 --slow-rate 40 \
	--config-extra "retry_max = 15" --config-extra "retry_base = 10ms" \
	--config-extra "retry_cap = 300ms" --config-extra "retry_budget = 100" \
	--config-extra "low_speed_limit = 100" --config-extra "low_speed_time = 1s" \
	--config-extra "max_response = 1MiB"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
window 7

t_log "A. retryable faults"
"$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" --once >>"$T_DIR/wegauged.log" 2>&1 ||
	fail "wegauged --once exited $? under retryable faults"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'ok'")" = $N ] ||
	fail "not every pull ok: $(sql "$DB" "SELECT workspace, status, error FROM pull WHERE status <> 'ok' LIMIT 3")"
compare_with_expect "$DB" --workspaces $N --seed $SEED
stats=$(wesim_stats)
for kind in 500 502 503 503s 429s 429d stall reset short badchunk slow pagecount; do
	n=$(echo "$stats" | jq ".response.data.faults[\"$kind\"]")
	[ "$n" -gt 0 ] || fail "wesim served no '$kind' fault: the test proves nothing about it"
done
early=$(echo "$stats" | jq '.response.data.violations.retry_after')
[ "$early" = 0 ] || fail "$early requests came before their Retry-After deadline"
retries=$(sql "$DB" "SELECT sum(retries) FROM pull")
t_log "A: $(echo "$stats" | jq '.response.data.faults_total') faults, $retries retries, 0 early requests"

t_log "B. faults that no retry can fix"
curl -sf -X POST "$WESIM_URL/_wesim/control?fault_rate=0.25&faults=truncated,malformed,envelope,oversized" >/dev/null ||
	fail "wesim control"
rc=0
command time -f %M -o "$T_DIR/rss" "$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" --once >>"$T_DIR/wegauged.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "wegauged --once exited $rc"
bad=$(sql "$DB" "SELECT count(*) FROM pull WHERE id > $N AND status IN ('partial', 'failed')")
[ "$bad" -gt 0 ] || fail "no pull failed under permanent faults: the test proves nothing"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] || fail "a pull left running"
for what in "malformed JSON" "not the envelope" "max_response\|Maximum file size"; do
	grep -q "$what" "$T_DIR/wegauged.log" || fail "no error saying '$what'"
done
# errors name the workspace, the stream and the page
grep -Eq '^[^ ]+ warning ws-[0-9]{4} pull [0-9]+: campaigns \([a-z-]+\) page [0-9]+: ' "$T_DIR/wegauged.log" ||
	fail "no error naming workspace, stream and page"
sql "$DB" "SELECT error FROM pull WHERE status IN ('partial', 'failed') AND error IS NULL" | grep -q . &&
	fail "a failed pull without its error"
rss_kb=$(tail -n 1 "$T_DIR/rss")
# ASan's shadow memory and quarantine inflate RSS; the bound is the product's.
if ! is_sanitized; then
	[ "$rss_kb" -lt 131072 ] || fail "peak RSS $rss_kb KiB with max_response 1MiB and 40 MiB bodies"
fi
t_log "B: $bad pulls partial or failed; peak RSS $((rss_kb / 1024)) MiB"

t_log "faults off: the next run stores everything"
curl -sf -X POST "$WESIM_URL/_wesim/control?fault_rate=0" >/dev/null || fail "wesim control"
"$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" --once >>"$T_DIR/wegauged.log" 2>&1 ||
	fail "wegauged --once exited $? without faults"
compare_with_expect "$DB" --workspaces $N --seed $SEED
[ "$(sql "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
stop_pid "$WESIM_PID"
t_pass
