#!/bin/bash
# it_alerts.sh: the Prometheus alert rules of
# packaging/prometheus/wegauge-alerts.yml.
#  1. `promtool check rules` accepts the file, and `promtool test rules`
#     passes tests/fixtures/prometheus/wegauge-alerts_test.yml (every alert
#     firing and not firing).
#  2. The rules use what wegauged really exports: against a running
#     wegauged (wesim, 4 workspaces: ws-0001 connected, ws-0002 with a wrong
#     key, ws-0003 disabled, ws-0004 with its own interval of 15m), every
#     metric name in the rules' expressions (but `up`, which Prometheus
#     makes) is in the scrape with every label the rules match on, every
#     state they name is one the daemon exports, and every $labels.X of
#     the annotations but job and instance is a label of the scrape.
#  3. The gauges the rules read have exact values: the four workspaces'
#     states and intervals, ws-0002's one failure and no success, and
#     wegauge_store_ok 1; then, while an operator holds the store's write
#     lock, wegauge_store_ok 0, wegauge_store_locked 1 (/healthz 503) and
#     ws-0001 still connected (a lock holds pulls, it fails none); once
#     the lock is released, 1 (/healthz 200) and ws-0001 connected.
. "$(dirname "$0")/lib.sh"
t_init it_alerts

RULES="$SOURCE_DIR/packaging/prometheus/wegauge-alerts.yml"
RULES_TEST="$FIXTURES/prometheus/wegauge-alerts_test.yml"

# ---- 1. promtool -----------------------------------------------------------

promtool check rules "$RULES" >"$T_DIR/check.out" 2>&1 ||
	fail "promtool check rules: $(cat "$T_DIR/check.out")"
cat "$T_DIR/check.out"
promtool test rules "$RULES_TEST" >"$T_DIR/test.out" 2>&1 ||
	fail "promtool test rules: $(cat "$T_DIR/test.out")"
cat "$T_DIR/test.out"

# ---- 2. a running wegauged --------------------------------------------------

# A free loopback port for the metrics listener, as it_metrics.sh finds one.
"$WESIM" --port 0 --port-file "$T_DIR/free.port" --quiet &
pid=$!
wait_for 30 "a free port" test -s "$T_DIR/free.port"
kill -TERM $pid
wait $pid || true
MPORT=$(cat "$T_DIR/free.port")

start_wesim --workspaces 4 --seed 53 --write-config "$T_DIR/cfg" \
	--config-extra "metrics_listen = 127.0.0.1:$MPORT" \
	--config-extra "interval = 2s" --config-extra "jitter = 0" \
	--config-extra "sqlite_busy_timeout = 300ms"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CFG="$T_DIR/cfg"
DB="$CFG/wegauge.db"
printf 'not-the-key-of-ws-0002-at-all\n' >"$CFG/keys/ws-0002.key" # keeps its mode 0600
echo "enabled = false" >>"$CFG/workspaces.d/ws-0003.conf"
echo "interval = 15m" >>"$CFG/workspaces.d/ws-0004.conf"
start_wegauged -c "$CFG/wegauged.conf"

M="http://127.0.0.1:$MPORT"
scrape() { curl -sf "$M/metrics" >"$T_DIR/metrics"; }
metric() { awk -v k="$1" '$1 == k { print $2 }' "$T_DIR/metrics"; }
state_is() { [ "$(metric "wegauge_workspace_state{workspace=\"$1\",state=\"$2\"}")" = 1 ]; }
settled() {
	scrape && state_is ws-0001 connected && state_is ws-0002 auth_failed &&
		state_is ws-0004 connected
}
wait_for 60 "ws-0001 and ws-0004 connected, ws-0002 auth_failed" settled
promtool check metrics <"$T_DIR/metrics" >"$T_DIR/promtool.out" 2>&1 ||
	fail "promtool check metrics: $(cat "$T_DIR/promtool.out")"

# The expressions of the rules, one a line (a `expr: |` block joined).
awk '
	/^ *expr: *[|>]-? *$/ { if (e != "") print e; e = ""; ind = index($0, "e"); blk = 1; next }
	/^ *expr: / { if (e != "") print e; e = ""; blk = 0; sub(/^ *expr: */, ""); print; next }
	blk && /^ *$/ { next }
	blk { match($0, /^ */); if (RLENGTH >= ind) { e = e " " $0; next } blk = 0; print e; e = "" }
	END { if (e != "") print e }
' "$RULES" >"$T_DIR/exprs"
[ "$(wc -l <"$T_DIR/exprs")" = "$(grep -c '^ *- alert: ' "$RULES")" ] ||
	fail "not one expression per alert in $(cat "$T_DIR/exprs")"

# Metric names: identifiers of the expressions once strings, label
# matchers, ranges and the label lists of by/on/ignoring/... are gone, that
# are neither functions (followed by a parenthesis) nor keywords.
names=$(sed -E -e 's/"[^"]*"//g' -e 's/\{[^}]*\}/ /g' -e 's/\[[^]]*\]/ /g' \
	-e 's/\b(by|without|on|ignoring|group_left|group_right) *\([^)]*\)/ /g' "$T_DIR/exprs" |
	grep -oE '[A-Za-z_:][A-Za-z0-9_:]* *\(?' | grep -v '($' | tr -d ' ' |
	grep -vxE 'and|or|unless|bool|offset|by|without|on|ignoring|group_left|group_right' |
	sort -u)
echo "$names" | grep -qx wegauge_workspace_state || fail "no metric names found in the rules: $names"
for n in $names; do
	[ "$n" = up ] && continue
	grep -q "^$n[{ ]" "$T_DIR/metrics" || fail "the rules use $n, which wegauged does not export"
	grep -q "^# TYPE $n gauge$" "$T_DIR/metrics" || fail "the rules use $n, not a gauge in the scrape"
done
t_log "metric names of the rules, all in the scrape: $(echo $names)"

# Label matchers: name{label="value", ...}. The label is on that metric's
# series; a state named is one of wegauge_workspaces{state=...}'s (the
# daemon's every state).
states=$(sed -nE 's/^wegauge_workspaces\{state="([a-z_]+)"\} .*/\1/p' "$T_DIR/metrics")
[ -n "$states" ] || fail "no wegauge_workspaces{state=...} in the scrape"
grep -oE '[A-Za-z_:][A-Za-z0-9_:]*\{[^}]*\}' "$T_DIR/exprs" | sort -u | while read -r sel; do
	n=${sel%%\{*}
	[ "$n" = up ] && continue
	echo "${sel#*\{}" | tr -d '}' | tr ',' '\n' | while read -r m; do
		label=$(echo "$m" | sed -E 's/^ *([A-Za-z_][A-Za-z0-9_]*) *(=~|!~|!=|=).*/\1/')
		value=$(echo "$m" | sed -E 's/^[^"]*"([^"]*)".*/\1/')
		grep -q "^$n{\(.*,\)\?$label=\"" "$T_DIR/metrics" ||
			fail "the rules match $n on $label, which its series do not carry"
		if [ "$label" = state ]; then
			for v in $(echo "$value" | tr '|' ' '); do
				echo "$states" | grep -qx "$v" || fail "the rules name state $v, not a state of wegauged"
			done
		fi
	done || exit 1
done || fail "a label the rules use is not exported"
for l in $(grep -oE '\$labels\.[A-Za-z_]+' "$RULES" | sed 's/.*\.//' | sort -u); do
	case $l in job | instance) continue ;; esac
	grep -q "^wegauge_[a-z_]*{\(.*,\)\?$l=\"" "$T_DIR/metrics" ||
		fail "the annotations use \$labels.$l, on no series of the scrape"
done

# ---- 3. exact values --------------------------------------------------------

grep '^wegauge_workspace_state{' "$T_DIR/metrics" | sort >"$T_DIR/states"
sort >"$T_DIR/states.want" <<'EOF'
wegauge_workspace_state{workspace="ws-0001",state="connected"} 1
wegauge_workspace_state{workspace="ws-0002",state="auth_failed"} 1
wegauge_workspace_state{workspace="ws-0003",state="disabled"} 1
wegauge_workspace_state{workspace="ws-0004",state="connected"} 1
EOF
diff -u "$T_DIR/states.want" "$T_DIR/states" >&2 || fail "wegauge_workspace_state differs"
grep '^wegauge_workspace_interval_seconds{' "$T_DIR/metrics" | sort >"$T_DIR/intervals"
sort >"$T_DIR/intervals.want" <<'EOF'
wegauge_workspace_interval_seconds{workspace="ws-0001"} 2
wegauge_workspace_interval_seconds{workspace="ws-0002"} 2
wegauge_workspace_interval_seconds{workspace="ws-0003"} 2
wegauge_workspace_interval_seconds{workspace="ws-0004"} 900
EOF
diff -u "$T_DIR/intervals.want" "$T_DIR/intervals" >&2 || fail "wegauge_workspace_interval_seconds differs"
[ "$(metric 'wegauge_consecutive_failures{workspace="ws-0002"}')" = 1 ] ||
	fail "ws-0002: consecutive failures $(metric 'wegauge_consecutive_failures{workspace="ws-0002"}'), expected 1"
for ws in ws-0002 ws-0003; do
	[ "$(metric "wegauge_last_success_timestamp_seconds{workspace=\"$ws\"}")" = 0 ] ||
		fail "$ws has a last success"
done
[ "$(metric wegauge_store_ok)" = 1 ] || fail "wegauge_store_ok $(metric wegauge_store_ok), expected 1"
grep -q 'not-the-key' "$T_DIR/metrics" && fail "a key reached /metrics"
[ "$(sql "$DB" "SELECT state FROM workspace WHERE name = 'ws-0002'")" = auth_failed ] ||
	fail "the store does not say ws-0002 is auth_failed"

t_log "an operator holds the store's write lock"
mkfifo "$T_DIR/op.fifo"
sqlite3 -batch "$DB" <"$T_DIR/op.fifo" >"$T_DIR/op.out" 2>&1 &
OP_PID=$!
t_track "$OP_PID"
exec 8>"$T_DIR/op.fifo"
echo ".timeout 20000" >&8
echo "BEGIN IMMEDIATE; SELECT 'locked';" >&8
wait_for 30 "the operator's write lock" grep -qx locked "$T_DIR/op.out"
store_failed() { scrape && [ "$(metric wegauge_store_ok)" = 0 ] && [ "$(metric wegauge_store_locked)" = 1 ]; }
wait_for 60 "wegauge_store_ok 0 and wegauge_store_locked 1" store_failed
[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/healthz")" = 503 ] || fail "/healthz not 503 with wegauge_store_ok 0"
# A lock holds pulls back; it fails none of them (issue 12).
state_is ws-0001 connected || fail "ws-0001 is not connected while the store is locked"
[ "$(metric 'wegauge_consecutive_failures{workspace="ws-0001"}')" = 0 ] ||
	fail "ws-0001 counted a failure for a locked store"
echo "COMMIT;" >&8
exec 8>&-
wait "$OP_PID" || fail "the operator's sqlite3: $(cat "$T_DIR/op.out")"
t_untrack "$OP_PID"
t_log "lock released"
store_back() { scrape && [ "$(metric wegauge_store_ok)" = 1 ] && state_is ws-0001 connected; }
wait_for 180 "wegauge_store_ok 1 and ws-0001 connected again" store_back
[ "$(curl -s -o /dev/null -w '%{http_code}' "$M/healthz")" = 200 ] || fail "/healthz not 200 with wegauge_store_ok 1"
[ "$(grep -c '^wegauge_workspace_state{' "$T_DIR/metrics")" = 4 ] || fail "not one state series per workspace"

stop_pid "$WEGAUGED_PID"
stop_pid "$WESIM_PID"
t_pass
