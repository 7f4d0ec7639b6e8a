#!/bin/bash
# it_metrics.sh: the Prometheus endpoint (issue 6). wegauged with
# metrics_listen on loopback, scraped during a run: promtool accepts the
# exposition, and the figures agree with the store and with wesim (pulls by
# status, workspaces by state, rows by stream, 2xx answers); the alert
# rules' gauges have one series per workspace with its state and interval,
# and wegauge_store_ok is 1; /healthz is 200, and an unknown path 404.
. "$(dirname "$0")/lib.sh"
t_init it_metrics

# A free loopback port for the metrics listener: let the kernel pick one
# for a throwaway wesim, then use it.
"$WESIM" --port 0 --port-file "$T_DIR/free.port" --quiet &
pid=$!
wait_for 30 "a free port" test -s "$T_DIR/free.port"
kill -TERM $pid
wait $pid || true
MPORT=$(cat "$T_DIR/free.port")

N=8
start_wesim --workspaces $N --seed 41 --write-config "$T_DIR/cfg" \
	--config-extra "metrics_listen = 127.0.0.1:$MPORT"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
start_wegauged -c "$T_DIR/cfg/wegauged.conf"
M="http://127.0.0.1:$MPORT"
scrape() { curl -sf "$M/metrics" >"$T_DIR/metrics"; }
# connected, and every first pull ended ok (a workspace is connected as soon
# as the probe accepts its key, before its pull ends)
connected() {
	scrape && grep -q "^wegauge_workspaces{state=\"connected\"} $N\$" "$T_DIR/metrics" &&
		grep -q "^wegauge_pulls_total{status=\"ok\"} $N\$" "$T_DIR/metrics"
}
wait_for 60 "$N workspaces connected and pulled in /metrics" connected

promtool check metrics <"$T_DIR/metrics" >"$T_DIR/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T_DIR/metrics"; }
[ "$(metric 'wegauge_pulls_total{status="ok"}')" = "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'ok'")" ] ||
	fail "pulls_total{ok} disagrees with the store"
for s in stats campaigns active_users team; do
	m=$(metric "wegauge_rows_upserted_total{stream=\"$s\"}")
	[ -n "$m" ] && [ "$m" -gt 0 ] || fail "no rows counted for stream $s"
done
rows_m=$(awk '$1 ~ /^wegauge_rows_upserted_total/ { s += $2 } END { print s }' "$T_DIR/metrics")
rows_s=$(sql "$DB" "SELECT sum(rows) FROM pull")
[ "$rows_m" = "$rows_s" ] || fail "rows upserted: metrics $rows_m, pull rows $rows_s"
ok_m=$(awk '$1 ~ /^wegauge_requests_total\{.*class="2xx"/ { s += $2 } END { print s }' "$T_DIR/metrics")
ok_w=$(wesim_stats | jq '[.response.data.endpoints[].status["200"] // 0] | add')
[ "$ok_m" = "$ok_w" ] || fail "2xx requests: metrics $ok_m, wesim answered 200 $ok_w times"
count=$(metric wegauge_request_duration_seconds_count)
reqs=$(awk '$1 ~ /^wegauge_requests_total/ { s += $2 } END { print s }' "$T_DIR/metrics")
[ "$count" = "$reqs" ] || fail "histogram count $count, requests $reqs"
grep -q '^wegauge_build_info{version="[0-9.]*"} 1$' "$T_DIR/metrics" || fail "no build_info"
[ "$(grep -c '^wegauge_last_success_timestamp_seconds{workspace="ws-' "$T_DIR/metrics")" = $N ] ||
	fail "last success per workspace missing"
# The alert rules' families: one series per workspace, exact values (every
# workspace connected, the default interval of 1h); the store writable.
for i in $(seq 1 $N); do
	ws=$(printf 'ws-%04d' "$i")
	[ "$(metric "wegauge_workspace_state{workspace=\"$ws\",state=\"connected\"}")" = 1 ] ||
		fail "wegauge_workspace_state of $ws is not connected"
	[ "$(metric "wegauge_workspace_interval_seconds{workspace=\"$ws\"}")" = 3600 ] ||
		fail "wegauge_workspace_interval_seconds of $ws is not 3600"
done
for f in wegauge_workspace_state wegauge_workspace_interval_seconds; do
	[ "$(grep -c "^$f{" "$T_DIR/metrics")" = $N ] || fail "$f: not exactly one series per workspace"
done
[ "$(metric wegauge_store_ok)" = 1 ] || fail "wegauge_store_ok is not 1"

[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/healthz")" = 200 ] || fail "/healthz not 200"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/nope")" = 404 ] || fail "unknown path not 404"
stop_pid "$WEGAUGED_PID"
stop_pid "$WESIM_PID"
t_pass
