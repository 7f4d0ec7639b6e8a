# tests/lib.sh: shared helpers of the integration scenarios (tests/it_*.sh).
#
# Each scenario sources this file, calls t_init, starts what it needs with
# start_wesim / start_wegauged, and waits on events with wait_for (a
# condition polled until a generous deadline), never on fixed sleeps.
# Every process started here is stopped by the EXIT trap, and the
# scenario's directory is removed when it passed.
#
# Environment (set by ctest, see tests/CMakeLists.txt): WESIM, WEGAUGED,
# BIN_DIR, SOURCE_DIR, TEST_TMP.

set -eu

T_PIDS=""
T_DIR=""
T_OK=0
# Shell commands the EXIT trap runs after the tracked processes ended, last
# added first (t_on_exit): servers that are not our children, such as the
# PostgreSQL instances of tests/lib_pg.sh, which pg_ctl runs detached.
T_STOP_CMDS=""

t_log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

fail() {
	t_log "FAIL: $*"
	exit 1
}

t_cleanup() {
	rc=$?
	for pid in $T_PIDS; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in $T_PIDS; do
		wait "$pid" 2>/dev/null || true
	done
	while IFS= read -r cmd; do
		[ -z "$cmd" ] || eval "$cmd" || true
	done <<EOF
$T_STOP_CMDS
EOF
	# 77 after t_skip: nothing failed, nothing to inspect.
	if { [ "$rc" = 0 ] || [ "$rc" = 77 ]; } && [ "$T_OK" = 1 ] && [ -n "$T_DIR" ]; then
		rm -rf "$T_DIR"
	elif [ -n "$T_DIR" ]; then
		t_log "kept $T_DIR for inspection"
		for f in "$T_DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "---- tail of $f" >&2
			tail -n 40 "$f" >&2
		done
	fi
	exit "$rc"
}

# t_init NAME: a fresh directory for this scenario, and the cleanup trap.
t_init() {
	: "${TEST_TMP:=/tmp}"
	mkdir -p "$TEST_TMP"
	T_DIR=$(mktemp -d "$TEST_TMP/$1.XXXXXX")
	trap t_cleanup EXIT
	trap 'exit 130' INT TERM
}

# t_pass: mark success (keeps the directory otherwise).
t_pass() {
	T_OK=1
	t_log "PASS"
}

# t_skip REASON: the scenario cannot run here; exit 77, which ctest shows
# as skipped where tests/CMakeLists.txt sets SKIP_RETURN_CODE 77.
t_skip() {
	t_log "SKIP: $*"
	T_OK=1
	exit 77
}

# t_on_exit CMD: run the shell command CMD (one line) at exit, also when
# the scenario fails, after the tracked processes ended; later ones first.
t_on_exit() {
	T_STOP_CMDS="$1
$T_STOP_CMDS"
}

# wait_for SECONDS DESCRIPTION CMD...: poll CMD every 50 ms until it
# succeeds, or fail after SECONDS.
wait_for() {
	secs=$1
	what=$2
	shift 2
	end=$(($(date +%s) + secs))
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$end" ]; then
			fail "timed out after ${secs}s waiting for: $what"
		fi
		sleep 0.05
	done
}

t_track() { T_PIDS="$T_PIDS $1"; }

# is_sanitized: the binaries under test are an ASan/UBSan build (their
# memory and timing figures are not the product's).
is_sanitized() { ldd "$WEGAUGED" 2>/dev/null | grep -q libasan; }
t_untrack() { T_PIDS=$(echo "$T_PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' '); }

# start_wesim ARGS...: run wesim on a free loopback port; sets WESIM_PID and
# WESIM_PORT. Its log is $T_DIR/wesim.log.
start_wesim() {
	rm -f "$T_DIR/wesim.port"
	"$WESIM" --port 0 --port-file "$T_DIR/wesim.port" "$@" >>"$T_DIR/wesim.log" 2>&1 &
	WESIM_PID=$!
	t_track "$WESIM_PID"
	wait_for 30 "wesim port file" test -s "$T_DIR/wesim.port"
	WESIM_PORT=$(cat "$T_DIR/wesim.port")
	WESIM_URL="http://127.0.0.1:$WESIM_PORT"
}

# free_port: sets FREE_PORT to a free loopback port, picked by the kernel
# for a throwaway wesim (for a listener the test configures itself).
free_port() {
	rm -f "$T_DIR/free.port"
	"$WESIM" --port 0 --port-file "$T_DIR/free.port" --quiet &
	fp_pid=$!
	wait_for 30 "a free port" test -s "$T_DIR/free.port"
	kill -TERM $fp_pid
	wait $fp_pid || true
	FREE_PORT=$(cat "$T_DIR/free.port")
}

# stop_pid PID: SIGTERM and wait; fails unless it exits 0.
stop_pid() {
	kill -TERM "$1"
	rc=0
	wait "$1" || rc=$?
	t_untrack "$1"
	[ "$rc" = 0 ] || fail "process $1 exited $rc after SIGTERM"
}

# start_wegauged ARGS...: the daemon in the background; sets WEGAUGED_PID.
start_wegauged() {
	"$WEGAUGED" "$@" >>"$T_DIR/wegauged.log" 2>&1 &
	WEGAUGED_PID=$!
	t_track "$WEGAUGED_PID"
}

# sql DB QUERY: one query, rows on stdout.
sql() {
	sqlite3 -batch -bail -cmd '.timeout 5000' "$1" "$2"
}

# wesim_stats: the simulator's counters (JSON).
wesim_stats() {
	curl -sf "$WESIM_URL/_wesim/stats"
}

# store_rows DB FROM TO: every data row of the store in wesim --expect's
# JSON-lines form (compact, keys in --expect's order), sorted. Days are
# limited to FROM..TO; seats to current members.
store_rows() {
	db=$1
	from=$2
	to=$3
	sqlite3 -batch -bail "$db" "
SELECT json_object('table','feature_usage_daily','license_code',w.license_code,'day',f.day,
  'feature',f.feature,'metric',f.metric,'value',f.value)
FROM feature_usage_daily f JOIN workspace w ON w.name = f.workspace
WHERE f.day BETWEEN '$from' AND '$to';
SELECT json_object('table','campaign','license_code',w.license_code,'channel',c.channel,
  'campaign_id',c.campaign_id,'title',c.title,'status',c.status,'category',c.category,
  'created_on',c.created_on,'start_date',c.start_date,'sent',c.sent,'delivered',c.delivered,
  'clicks',c.clicks,'conversions',c.conversions,'revenue',c.revenue)
FROM campaign c JOIN workspace w ON w.name = c.workspace;
SELECT json_object('table','active_users_daily','license_code',w.license_code,'day',a.day,
  'platform',a.platform,'dau',a.dau,'wau',a.wau,'mau',a.mau)
FROM active_users_daily a JOIN workspace w ON w.name = a.workspace
WHERE a.day BETWEEN '$from' AND '$to';
SELECT json_object('table','seat','license_code',w.license_code,'email',s.email,'name',s.name,
  'role',s.role,'status',s.status,'last_login_at',s.last_login_at)
FROM seat s JOIN workspace w ON w.name = s.workspace
WHERE s.removed_at IS NULL;
" | LC_ALL=C sort
}

# window DAYS: sets FROM and TO to the collector's window of docs/api.md (the
# last DAYS UTC days, today included). window_now narrows them to the days
# every pull since `window` has read: if UTC midnight passed meanwhile,
# pulls before it read one window and pulls after it the next, and only
# their overlap is complete in the store.
window() {
	WINDOW_DAYS=$1
	TO=$(date -u +%F)
	FROM=$(date -u -d "$TO - $(($1 - 1)) days" +%F)
}
window_now() {
	today=$(date -u +%F)
	FROM=$(date -u -d "$today - $((WINDOW_DAYS - 1)) days" +%F)
	[ "$today" = "$TO" ] || t_log "UTC midnight passed: comparing $FROM..$TO only"
}

# compare_with_expect DB WESIM_ARGS...: the store equals wesim --expect
# exactly (every row of every table), or fail with the first differences.
compare_with_expect() {
	db=$1
	shift
	window_now
	"$WESIM" "$@" --expect all --from "$FROM" --to "$TO" | LC_ALL=C sort >"$T_DIR/expect.jsonl"
	store_rows "$db" "$FROM" "$TO" >"$T_DIR/store.jsonl"
	if ! cmp -s "$T_DIR/expect.jsonl" "$T_DIR/store.jsonl"; then
		diff "$T_DIR/expect.jsonl" "$T_DIR/store.jsonl" | head -20 >&2 || true
		fail "store differs from wesim --expect ($(wc -l <"$T_DIR/expect.jsonl") expected rows, $(wc -l <"$T_DIR/store.jsonl") stored)"
	fi
	[ -s "$T_DIR/expect.jsonl" ] || fail "wesim --expect printed nothing"
	t_log "store equals wesim --expect: $(wc -l <"$T_DIR/expect.jsonl") rows"
}

# check_streams_whole DB WESIM_ARGS...: every stream stored for a workspace
# is whole. wesim's data does not change between pulls, so a complete
# stream commit touches every row of that workspace's table: for each
# (workspace, table) the store holds either nothing, or exactly the rows
# wesim --expect lists, all from one pull. A stream cut short (a cancelled
# pull, a crash) would leave fewer rows or rows of two pulls.
check_streams_whole() {
	db=$1
	shift
	window_now
	"$WESIM" "$@" --expect all --from "$FROM" --to "$TO" |
		sed -E 's/^\{"table":"([a-z_]+)","license_code":"([^"]*)".*/\2 \1/' |
		LC_ALL=C sort | uniq -c | awk '{print $2, $3, $1}' >"$T_DIR/expect_counts"
	sqlite3 -batch "$db" "
SELECT w.license_code, 'feature_usage_daily', count(*), count(DISTINCT f.pull_id)
  FROM feature_usage_daily f JOIN workspace w ON w.name = f.workspace
  WHERE f.day BETWEEN '$FROM' AND '$TO' GROUP BY 1;
SELECT w.license_code, 'campaign', count(*), count(DISTINCT c.pull_id)
  FROM campaign c JOIN workspace w ON w.name = c.workspace GROUP BY 1;
SELECT w.license_code, 'active_users_daily', count(*), count(DISTINCT a.pull_id)
  FROM active_users_daily a JOIN workspace w ON w.name = a.workspace
  WHERE a.day BETWEEN '$FROM' AND '$TO' GROUP BY 1;
SELECT w.license_code, 'seat', count(*), count(DISTINCT s.pull_id)
  FROM seat s JOIN workspace w ON w.name = s.workspace WHERE s.removed_at IS NULL GROUP BY 1;
" | tr '|' ' ' | LC_ALL=C sort >"$T_DIR/store_counts"
	bad=$(awk 'NR == FNR { want[$1 " " $2] = $3; next }
		{ k = $1 " " $2; if (want[k] != $3 || $4 != 1) print k ": " $3 " rows from " $4 " pulls, expected " want[k] " from one" }' \
		"$T_DIR/expect_counts" "$T_DIR/store_counts")
	[ -z "$bad" ] || fail "streams not whole: $(echo "$bad" | head -5)"
	t_log "every stored stream is whole ($(wc -l <"$T_DIR/store_counts") workspace tables)"
}
