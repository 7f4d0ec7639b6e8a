#!/bin/bash
# it_storelost.sh: the store file deleted or replaced under a running
# wegauged (issue 12, finding 4). Today's daemon would go on logging
# "pull ok" into a file nobody can read. It must see it at once (inotify
# on the store's directory; at the latest at its next commit), say so
# (an err line naming the file), report no pull ok after it, and stop
# with exit status 1, so that systemd (Restart=on-failure) starts it
# again on the store at that path:
#  1. rm of the store and its -wal and -shm;
#  2. another SQLite file moved over the store.
. "$(dirname "$0")/lib.sh"
t_init it_storelost

start_wesim --workspaces 3 --seed 14 --write-config "$T_DIR/cfg" \
	--config-extra "interval = 2s" --config-extra "jitter = 0"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
ok_pulls() { sql "$DB" "SELECT count(*) FROM pull WHERE status = 'ok'" 2>/dev/null || echo 0; }
at_least() { [ "$(ok_pulls)" -ge "$1" ]; }
exited() { ! kill -0 "$WEGAUGED_PID" 2>/dev/null; }

# run_and_lose HOW WANT: start wegauged, let it pull, lose the store with
# HOW, and expect exit status 1 and an err line matching WANT.
run_and_lose() {
	: >"$T_DIR/wegauged.log"
	start_wegauged -c "$T_DIR/cfg/wegauged.conf"
	wait_for 60 "three pulls ok" at_least 3
	wait_for 60 "six pulls ok" at_least 6
	"$1"
	echo "---- store lost here" >>"$T_DIR/wegauged.log"
	wait_for 60 "wegauged to stop" exited
	rc=0
	wait "$WEGAUGED_PID" || rc=$?
	t_untrack "$WEGAUGED_PID"
	[ "$rc" = 1 ] || fail "$1: exit status $rc, expected 1: $(tail -3 "$T_DIR/wegauged.log")"
	grep -q " err .*$2.*stopping now (exit status 1)" "$T_DIR/wegauged.log" ||
		fail "$1: no err line saying '$2': $(tail -5 "$T_DIR/wegauged.log")"
	after=$(sed -n '/---- store lost here/,$p' "$T_DIR/wegauged.log" | grep -c 'pull ok' || true)
	[ "$after" = 0 ] || fail "$1: $after pulls reported ok after the store was lost"
	t_log "$1: stopped with status 1: $(grep -o "$2" "$T_DIR/wegauged.log" | head -1)"
}

delete_store() { rm -f "$DB" "$DB-wal" "$DB-shm"; }
run_and_lose delete_store "the file is gone"

replace_store() {
	sqlite3 "$T_DIR/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1);"
	mv "$T_DIR/other.db" "$DB"
}
rm -f "$DB" "$DB-wal" "$DB-shm"
run_and_lose replace_store "another file is at that path now"
stop_pid "$WESIM_PID"
t_pass
