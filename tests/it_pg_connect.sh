#!/bin/bash
# it_pg_connect.sh: the operator's front door on a PostgreSQL store (issue
# 14). wegauged and `wegauge -c` read the same configuration (database =
# a postgresql:// URI, database_password_file); the tool waits for the
# daemon's verdict in PostgreSQL as it does in SQLite:
#  1. connect with the key on standard input: exit 0, "connected", the first
#     pull's rows;
#  2. connect with a wrong key: exit 1, auth_failed; reconnect with the
#     right key: exit 0, connected;
#  3. disconnect: exit 0, "removed", the row kept with state removed;
#  4. `wegauge status` reads the same store and exits 0; the password is in
#     no output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_connect

start_pg
start_wesim --workspaces 4 --seed 31 --write-config "$T_DIR/cfg" --accounts "$T_DIR/cfg/wesim.accounts" \
	--config-extra "interval = 2s" --config-extra "jitter = 0" \
	--config-extra "key_dir = $T_DIR/cfg/keys"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CFG="$T_DIR/cfg/wegauged.conf"
INC="$T_DIR/cfg/workspaces.d"
KEYS="$T_DIR/cfg/keys"
pg_configure "$CFG"
mkdir -p "$T_DIR/off"
for w in ws-0003 ws-0004; do
	rm "$INC/$w.conf"
	mv "$KEYS/$w.key" "$T_DIR/off/"
done
lc() { awk -v n="$1" '$1 == n { sub("lc=", "", $2); print $2 }' "$T_DIR/cfg/wesim.accounts"; }
key() { cat "$T_DIR/off/$1.key"; }
start_wegauged -c "$CFG"
state() { pg_sql "SELECT state FROM workspace WHERE name = '$1'"; }
is_state() { [ "$(state "$1")" = "$2" ]; }
wait_for 60 "ws-0001 connected" is_state ws-0001 connected
wg() {
	out=$1
	shift
	RC=0
	"$WEGAUGE" -c "$CFG" "$@" >"$T_DIR/$out.out" 2>&1 || RC=$?
}
expect_rc() { [ "$RC" = "$2" ] || fail "$1: exit $RC, expected $2: $(cat "$T_DIR/$1.out")"; }
has() { grep -q -- "$2" "$T_DIR/$1.out" || fail "$1: no '$2' in: $(cat "$T_DIR/$1.out")"; }
P="--pid $WEGAUGED_PID"

t_log "1. connect"
wg c1 connect ws-0003 --license-code "$(lc ws-0003)" --base-url "$WESIM_URL" $P <<<"$(key ws-0003)"
expect_rc c1 0
has c1 "ws-0003: connected: WebEngage accepted the key"
has c1 "ws-0003: first pull #[0-9]*: ok, [0-9]* rows"
is_state ws-0003 connected || fail "ws-0003 is $(state ws-0003)"

t_log "2. a wrong key, then the right one"
wg c2 connect ws-0004 --license-code "$(lc ws-0004)" --base-url "$WESIM_URL" $P <<<"0000000000000000ffffffffffffffff"
expect_rc c2 1
has c2 "ws-0004: auth_failed"
has c2 "then: wegauge reconnect ws-0004"
wg c2b reconnect ws-0004 $P <<<"$(key ws-0004)"
expect_rc c2b 0
has c2b "ws-0004: connected"

t_log "3. disconnect"
wg c3 disconnect ws-0003 $P
expect_rc c3 0
has c3 "ws-0003: removed; its history stays in the store"
is_state ws-0003 removed || fail "ws-0003 is $(state ws-0003) after disconnect"
[ "$(pg_sql "SELECT count(*) FROM pull WHERE workspace = 'ws-0003'")" -gt 0 ] ||
	fail "ws-0003's pulls are gone"

t_log "4. status on the same store"
wait_for 60 "ws-0004 pulled ok" test "$(pg_sql "SELECT count(*) FROM pull WHERE workspace = 'ws-0004' AND status = 'ok'")" -gt 0
wg s1 status
expect_rc s1 0
has s1 "ws-0004"
pw=$(tr -d '\n' <"$PG_PASSWORD_FILE")
for f in "$T_DIR"/*.out "$T_DIR/wegauged.log"; do
	if grep -qF "$pw" "$f"; then fail "the database password is in $f"; fi
done
stop_pid "$WESIM_PID"
t_pass
