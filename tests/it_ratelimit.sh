#!/bin/bash
# it_ratelimit.sh: rate limits as docs/api.md says (issue 5), proven with
# wesim's own counters and request log:
#  - X-RateLimit-Remaining: 0 holds that workspace's requests to that
#    endpoint until the next minute: wesim's limiter (3 requests a minute
#    per account and endpoint; campaign walks of up to 5 pages) never has
#    to refuse one and counts no request in a minute it had closed;
#  - a 429 without Retry-After is retried only after the next minute
#    boundary (wesim's request log, in milliseconds);
#  - in the end every pull is ok and the store equals wesim --expect.
# Takes one to two minutes: the waits are the point.
. "$(dirname "$0")/lib.sh"
t_init it_ratelimit

N=6
SEED=23
start_wesim --workspaces $N --seed $SEED --write-config "$T_DIR/cfg" \
	--rate-limit 3 --fault-rate 0.04 --faults 429 \
	--config-extra "page_size = 250" --config-extra "retry_budget = 100"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
window 7

"$WEGAUGED" -c "$T_DIR/cfg/wegauged.conf" --once >"$T_DIR/wegauged.log" 2>&1 || fail "wegauged --once exited $?"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'ok'")" = $N ] || fail "not every pull ok"
compare_with_expect "$DB" --workspaces $N --seed $SEED

stats=$(wesim_stats)
limited=$(echo "$stats" | jq '.response.data.rate_limited')
viol=$(echo "$stats" | jq '.response.data.violations.rate_limit')
[ "$limited" = 0 ] || fail "wesim's limiter refused $limited requests: a hold was not honoured"
[ "$viol" = 0 ] || fail "$viol requests came in a minute whose X-RateLimit-Remaining was 0"

# The holds happened (else this proves nothing): some endpoint got more
# than 3 requests, so its walk crossed a minute boundary.
for lc in $("$WESIM" --workspaces $N --seed $SEED --list | awk '{print $2}'); do
	curl -sf "$WESIM_URL/_wesim/log?lc=$lc" | jq -r --arg lc "$lc" \
		'.response.data.entries[] | "\($lc) \(.t_ms) \(.status) \(.fault) \(.path | sub("\\?.*"; ""))"'
done >"$T_DIR/requests"
held=$(awk '{ n[$1 " " $5 " " int($2 / 60000)]++; tot[$1 " " $5]++ } END { for (k in tot) if (tot[k] > 3) c++; print c + 0 }' "$T_DIR/requests")
[ "$held" -gt 0 ] || fail "no endpoint needed more than 3 requests: no hold was exercised"
# Per account, endpoint and minute, never more than 3 requests.
over=$(awk '{ k = $1 " " $5 " " int($2 / 60000); if (++n[k] > 3) print k }' "$T_DIR/requests")
[ -z "$over" ] || fail "more than 3 requests in one minute: $over"

# Every plain 429 (fault "429": no Retry-After): the next request of that
# account comes in a later minute.
plain=$(awk '$4 == "429" { c++ } END { print c + 0 }' "$T_DIR/requests")
[ "$plain" -gt 0 ] || fail "wesim served no plain 429: the test proves nothing about it"
early=$(sort -k1,1 -k2,2n "$T_DIR/requests" | awk '
	$1 == acct && wait_min >= 0 && int($2 / 60000) <= wait_min { print; bad++ }
	{ acct = $1; wait_min = ($4 == "429") ? int($2 / 60000) : -1 }
	END { exit bad > 0 }') || fail "a request came before the minute after a plain 429: $early"
t_log "$held endpoints held to the next minute, $plain plain 429s retried in the next minute, 0 violations"
stop_pid "$WESIM_PID"
t_pass
