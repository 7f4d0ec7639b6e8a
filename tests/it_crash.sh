#!/bin/bash
# it_crash.sh: wegauged killed with SIGKILL at random moments during heavy
# pulls, and started again each time (issue 5). After every kill:
#  - PRAGMA integrity_check is ok;
#  - every committed row belongs to a stream that committed whole
#    (check_streams_whole: per workspace and table, all of wesim --expect's
#    rows from one pull, or none);
#  - once the restarted daemon is up, no pull of the killed process is
#    still `running`: each was closed as `cancelled` at start.
# After a final clean run the store equals wesim --expect exactly.
#
# The number of kills: 50 in the normal build. The sanitizer build is two
# to three times slower, and there is no variable saying which build this
# is, so the script looks at the binary: when `ldd $WEGAUGED` lists
# libasan, it kills 20 times (still every kind of moment: the runs are
# random within the same range), to stay well under 4 minutes there.
. "$(dirname "$0")/lib.sh"
t_init it_crash

N=12
SEED=17
KILLS=50
if ldd "$WEGAUGED" 2>/dev/null | grep -q libasan; then
	KILLS=20
fi
start_wesim --workspaces $N --seed $SEED --latency 5:10 --write-config "$T_DIR/cfg" \
	--config-extra "interval = 1s" --config-extra "jitter = 0" \
	--config-extra "max_per_host = 64"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
window 7

# sqlro QUERY: a query through a read-only connection, which never
# checkpoints or removes the WAL of a killed process.
sqlro() { sqlite3 -readonly -batch -bail -cmd '.timeout 5000' "$DB" "$1"; }

starts=0
# up: the daemon of the current start logged that it is running (after it
# opened the store and closed the pulls of the killed process).
up() { [ "$(grep -c '^[^ ]* notice wegauged .*workspaces, store ' "$T_DIR/wegauged.log")" -ge "$starts" ]; }
running_pulls() { [ "$(sqlro "SELECT count(*) FROM pull WHERE status = 'running'")" -gt 0 ]; }

kills_mid_pull=0
for i in $(seq 1 $KILLS); do
	starts=$((starts + 1))
	start_wegauged -c "$CONF"
	wait_for 60 "start $starts up" up
	if [ -n "${RUNNING_AT_KILL:-}" ]; then
		# The pulls the last kill interrupted are closed, none still running.
		left=$(sqlro "SELECT count(*) FROM pull WHERE id IN ($RUNNING_AT_KILL) AND status <> 'cancelled'")
		[ "$left" = 0 ] ||
			fail "after restart $starts: $left interrupted pulls not cancelled: $(sqlro "SELECT id, status FROM pull WHERE id IN ($RUNNING_AT_KILL)")"
	fi
	wait_for 60 "pulls running (start $starts)" running_pulls
	# A random moment within the next second: the pulls of this start
	# (every workspace is due at once, each request answered after 5 to
	# 15 ms) are sending, parsing and committing throughout.
	sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
	kill -KILL "$WEGAUGED_PID"
	rc=0
	wait "$WEGAUGED_PID" || rc=$?
	t_untrack "$WEGAUGED_PID"
	[ "$rc" = 137 ] || fail "wegauged exited $rc before kill $i: $(tail -n 3 "$T_DIR/wegauged.log")"

	# Check a copy of what the kill left (the database and its WAL), so
	# that the next start finds the files exactly as the kill left them.
	rm -f "$T_DIR/check.db" "$T_DIR/check.db-wal" "$T_DIR/check.db-shm"
	cp "$DB" "$T_DIR/check.db"
	[ ! -f "$DB-wal" ] || cp "$DB-wal" "$T_DIR/check.db-wal"
	RUNNING_AT_KILL=$(sql "$T_DIR/check.db" "SELECT group_concat(id) FROM pull WHERE status = 'running'")
	[ -z "$RUNNING_AT_KILL" ] || kills_mid_pull=$((kills_mid_pull + 1))
	[ "$(sql "$T_DIR/check.db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check after kill $i"
	check_streams_whole "$T_DIR/check.db" --workspaces $N --seed $SEED
done
t_log "$KILLS kills, $kills_mid_pull of them with pulls running"
[ "$kills_mid_pull" -ge $((KILLS / 2)) ] ||
	fail "only $kills_mid_pull of $KILLS kills caught pulls running: the test proves little"

# A final clean run: every workspace pulled whole again, then a clean stop.
starts=$((starts + 1))
before=$(sqlro "SELECT coalesce(max(id), 0) FROM pull")
start_wegauged -c "$CONF"
wait_for 60 "the final start up" up
left=$(sqlro "SELECT count(*) FROM pull WHERE status = 'running' AND id <= $before")
[ "$left" = 0 ] || fail "after the final restart: $left pulls of the killed process still running"
all_ok() {
	[ "$(sql "$DB" "SELECT count(DISTINCT workspace) FROM pull WHERE id > $before AND status = 'ok'")" = $N ]
}
wait_for 120 "an ok pull of every workspace in the final run" all_ok
stop_pid "$WEGAUGED_PID"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] || fail "a pull left running"
[ "$(sql "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity_check at the end"
compare_with_expect "$DB" --workspaces $N --seed $SEED
t_log "$(sql "$DB" "SELECT count(*) FROM pull WHERE status = 'cancelled' AND error = 'interrupted'") pulls closed as interrupted"
stop_pid "$WESIM_PID"
t_pass
