#!/bin/bash
# it_valgrind.sh: wegauged under valgrind's memcheck (issue 5): pulls with
# retryable faults, /metrics and /healthz scraped, a reload that removes a
# workspace and changes the interval, more pulls, then SIGTERM. memcheck
# must report no error and no definite or indirect leak (exit 99
# otherwise); only the entries of tests/valgrind.supp, each shown to lie
# outside our code, are suppressed.
#
# Skipped (exit 77) in the sanitizer build (valgrind and ASan do not mix:
# `ldd $WEGAUGED` lists libasan) and when valgrind is not installed
# (scripts/deps installs it).
. "$(dirname "$0")/lib.sh"

if ldd "$WEGAUGED" 2>/dev/null | grep -q libasan; then
	echo "it_valgrind: sanitizer build, skipped (valgrind and ASan do not mix)" >&2
	exit 77
fi
if ! command -v valgrind >/dev/null 2>&1; then
	echo "it_valgrind: valgrind is not installed (scripts/deps), skipped" >&2
	exit 77
fi
t_init it_valgrind

N=4
SEED=23
start_wesim --workspaces $N --seed $SEED --write-config "$T_DIR/cfg" \
	--fault-rate 0.2 --faults 500,503s,429s,reset,short,pagecount \
	--config-extra "interval = 4s" --config-extra "jitter = 0" \
	--config-extra "retry_base = 10ms" --config-extra "retry_cap = 200ms" \
	--config-extra "retry_max = 10" --config-extra "retry_budget = 100"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
PORT=$((20000 + RANDOM % 12000))
echo "metrics_listen = 127.0.0.1:$PORT" >>"$CONF"

valgrind --tool=memcheck --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--track-origins=yes --num-callers=30 \
	--suppressions="$SOURCE_DIR/tests/valgrind.supp" --log-file="$T_DIR/valgrind.log" \
	"$WEGAUGED" -c "$CONF" >>"$T_DIR/wegauged.log" 2>&1 &
VG_PID=$!
t_track "$VG_PID"

ok_pulls() { [ "$(sql "$DB" "SELECT count(DISTINCT workspace) FROM pull WHERE id > $1 AND status = 'ok'")" -ge "$2" ]; }
wait_for 300 "an ok pull of every workspace under valgrind" ok_pulls 0 $N
served() { grep -q "metrics on http://127.0.0.1:$PORT/" "$T_DIR/wegauged.log"; }
if served; then
	curl -sf "http://127.0.0.1:$PORT/metrics" | grep -q '^wegauge_pulls_total{status="ok"} [1-9]' ||
		fail "/metrics shows no ok pull"
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz")" = 200 ] ||
		fail "/healthz is not 200"
else
	t_log "metrics port $PORT taken: /metrics not scraped this time"
fi

# A reload: one workspace removed, the interval changed.
before=$(sql "$DB" "SELECT max(id) FROM pull")
rm "$T_DIR/cfg/workspaces.d/ws-0004.conf"
sed -i 's/^interval = 4s/interval = 3s/' "$CONF"
kill -HUP "$VG_PID"
reloaded() { grep -q 'reloaded: 3 workspaces' "$T_DIR/wegauged.log"; }
wait_for 120 "the reload" reloaded
wait_for 300 "an ok pull of every remaining workspace after the reload" ok_pulls "$before" 3

kill -TERM "$VG_PID"
rc=0
wait "$VG_PID" || rc=$?
t_untrack "$VG_PID"
if [ "$rc" != 0 ]; then
	sed -n '/ERROR SUMMARY\|definitely\|indirectly\|Invalid\|uninitialised\|at 0x\|by 0x/p' "$T_DIR/valgrind.log" | head -60 >&2
	fail "wegauged under valgrind exited $rc (99: memcheck found errors or leaks)"
fi
grep -q 'ERROR SUMMARY: 0 errors' "$T_DIR/valgrind.log" || fail "memcheck reported errors"
grep -q 'All heap blocks were freed\|definitely lost: 0 bytes' "$T_DIR/valgrind.log" || fail "memcheck found a leak"
[ "$(sql "$DB" "SELECT state FROM workspace WHERE name = 'ws-0004'")" = removed ] || fail "ws-0004 not removed"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] || fail "a pull left running"
t_log "memcheck: $(grep -m1 'ERROR SUMMARY' "$T_DIR/valgrind.log" | sed 's/^==[0-9]*== //'); $(grep -m1 'in use at exit' "$T_DIR/valgrind.log" | sed 's/^==[0-9]*== //')"
stop_pid "$WESIM_PID"
t_pass
