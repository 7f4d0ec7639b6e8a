#!/bin/bash
# it_ramp.sh: the gentle ramp after an outage of a host (issue 5), proven
# with wesim's request log. 40 workspaces start together against a wesim
# that answers every request 503 (an outage); once the collector has seen
# it, the faults stop. The requests that piled up must then reach wesim one
# more at a time as answers succeed (additive increase), not all at once:
# with 150 ms per answer, at most a handful arrive in the first 300 ms,
# where max_per_host (16) would otherwise allow 16 at once.
. "$(dirname "$0")/lib.sh"
t_init it_ramp

N=40
start_wesim --workspaces $N --seed 31 --write-config "$T_DIR/cfg" --latency 150 \
	--fault-rate 1 --faults 503 \
	--config-extra "max_per_host = 16" --config-extra "retry_max = 8" \
	--config-extra "retry_base = 100ms" --config-extra "retry_cap = 200ms" \
	--config-extra "retry_budget = 100" --config-extra "interval = 1h"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"

start_wegauged -c "$T_DIR/cfg/wegauged.conf"
outage_seen() { [ "$(wesim_stats | jq '.response.data.faults_total')" -ge 30 ]; }
wait_for 60 "30 answers of 503" outage_seen
flip_ms=$(date +%s%3N)
curl -sf -X POST "$WESIM_URL/_wesim/control?fault_rate=0" >/dev/null || fail "wesim control"
all_ok() { [ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'ok'")" = $N ]; }
wait_for 120 "every workspace pulled after the outage" all_ok
stop_pid "$WEGAUGED_PID"

for lc in $("$WESIM" --workspaces $N --seed 31 --list | awk '{print $2}'); do
	curl -sf "$WESIM_URL/_wesim/log?lc=$lc" | jq -r '.response.data.entries[] | "\(.t_ms) \(.status)"'
done | sort -n >"$T_DIR/requests"
# t0: the first request answered 200 after the faults stopped.
t0=$(awk -v f="$flip_ms" '$1 >= f && $2 != 503 { print $1; exit }' "$T_DIR/requests")
[ -n "$t0" ] || fail "no successful request after the outage"
first=$(awk -v t="$t0" '$1 >= t && $1 < t + 300 { c++ } END { print c + 0 }' "$T_DIR/requests")
# later: the busiest 300 ms window starting 1.5 to 3 s after t0 (one window
# alone may fall into a pause of a slow build's loop: ASan runs parses and
# commits several times slower).
later=$(awk -v t="$t0" '{ for (s = 1500; s <= 3000; s += 100) if ($1 >= t + s && $1 < t + s + 300) c[s]++ }
	END { m = 0; for (s in c) if (c[s] > m) m = c[s]; print m }' "$T_DIR/requests")
t_log "requests in the first 300 ms after the outage: $first; the busiest 300 ms 1.5 to 3 s later: $later"
[ "$first" -le 6 ] || fail "$first requests in the first 300 ms: no ramp"
[ "$later" -gt "$first" ] || fail "the rate did not grow back ($first, then $later)"
peak=$(wesim_stats | jq '.response.data.in_flight.max')
[ "$peak" -le 16 ] || fail "wesim saw $peak requests at once, above max_per_host"
stop_pid "$WESIM_PID"
t_pass
