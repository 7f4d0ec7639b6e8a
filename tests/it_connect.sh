#!/bin/bash
# it_connect.sh: `wegauge connect | reconnect | disconnect` against a running
# wegauged (reloaded with --pid; it_boot.sh does the same through systemd)
# and wesim, with a 2 s interval:
#  1. connect with the key on standard input: exit 0, "connected", the
#     files with their modes (section 0644, key 0640), the fingerprint in
#     the store; connecting it again is refused ("use reconnect");
#  2. connect with a wrong key: exit 1, auth_failed with WebEngage's own
#     message and the reconnect hint; reconnect with the right key: exit 0;
#     reconnect --keep-key of a connected workspace changes nothing;
#  3. reconnect with a wrong license code: the key is accepted (the probe
#     names no license code), so exit 0, but the first pull's outcome (the
#     stats stream's 404) is shown with the hint; and back: exit 0; the
#     section file is edited in place;
#  4. wesim rotates a key: auth_failed; reconnect with the new key: exit 0,
#     the key file keeps its mode;
#  5. a change that would make the configuration invalid: exit 78 naming
#     file:line, and every file as it was (byte for byte, and no new file);
#  6. a section defined in the main file: disconnect refuses, naming
#     file:line; disconnect of a workspace whose key file another section
#     uses keeps that file;
#  7. disconnect: exit 0, removed, the files gone, the history kept;
#  8. two runs at once: the second waits for the first's lock, writes
#     nothing meanwhile, then completes;
#  9. a user who may not write the configuration: one line, exit 1,
#     nothing written;
# 10. the key typed on a terminal is not echoed (script(1) gives a tty);
# 11. --no-reload, and no daemon to reload: the files are written, exit 0;
# 12. no key in the daemon's log, the tool's output or the store.
. "$(dirname "$0")/lib.sh"
t_init it_connect

start_wesim --workspaces 6 --seed 31 --write-config "$T_DIR/cfg" --accounts "$T_DIR/cfg/wesim.accounts" \
	--config-extra "interval = 2s" --config-extra "jitter = 0" \
	--config-extra "key_dir = $T_DIR/cfg/keys"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CFG="$T_DIR/cfg/wegauged.conf"
INC="$T_DIR/cfg/workspaces.d"
KEYS="$T_DIR/cfg/keys"
DB="$T_DIR/cfg/wegauge.db"
mkdir -p "$T_DIR/off"
for w in ws-0003 ws-0004 ws-0005; do
	rm "$INC/$w.conf"
	mv "$KEYS/$w.key" "$T_DIR/off/"
done
lc() { awk -v n="$1" '$1 == n { sub("lc=", "", $2); print $2 }' "$T_DIR/cfg/wesim.accounts"; }
key() { cat "$T_DIR/off/$1.key"; }
start_wegauged -c "$CFG"
state() { sql "$DB" "SELECT state FROM workspace WHERE name = '$1'"; }
is_state() { [ "$(state "$1")" = "$2" ]; }
wait_for 60 "ws-0001 connected" is_state ws-0001 connected

# wg NAME ARGS...: run wegauge with ARGS, its output in $T_DIR/NAME.out, its
# exit status in RC.
wg() {
	out=$1
	shift
	RC=0
	"$WEGAUGE" -c "$CFG" "$@" >"$T_DIR/$out.out" 2>&1 || RC=$?
}
expect_rc() { # expect_rc STEP WANT
	[ "$RC" = "$2" ] || fail "$1: exit $RC, expected $2: $(cat "$T_DIR/$1.out")"
}
has() { grep -q -- "$2" "$T_DIR/$1.out" || fail "$1: no '$2' in: $(cat "$T_DIR/$1.out")"; }
URL=$WESIM_URL
P="--pid $WEGAUGED_PID"

t_log "1. connect"
wg c1 connect ws-0003 --license-code "$(lc ws-0003)" --base-url "$URL" $P <<<"$(key ws-0003)"
expect_rc c1 0
has c1 "ws-0003: connected: WebEngage accepted the key (fingerprint $(printf '%s' "$(key ws-0003)" | sha256sum | cut -c1-16))"
has c1 "configuration OK: 4 workspaces"
[ "$(stat -c %a "$INC/ws-0003.conf")" = 644 ] || fail "section mode $(stat -c %a "$INC/ws-0003.conf")"
[ "$(stat -c %a "$KEYS/ws-0003.key")" = 640 ] || fail "key mode $(stat -c %a "$KEYS/ws-0003.key")"
[ "$(cat "$KEYS/ws-0003.key")" = "$(key ws-0003)" ] || fail "the key file does not hold the key"
grep -qx "license_code = $(lc ws-0003)" "$INC/ws-0003.conf" || fail "section: $(cat "$INC/ws-0003.conf")"
grep -qx "api_key_file = $KEYS/ws-0003.key" "$INC/ws-0003.conf" || fail "section: $(cat "$INC/ws-0003.conf")"
ls -A "$INC" "$KEYS" | grep -q '^\.' && fail "a temporary file was left: $(ls -A "$INC" "$KEYS")"
is_state ws-0003 connected || fail "ws-0003 is $(state ws-0003)"
wg c1b connect ws-0003 --license-code "$(lc ws-0003)" --base-url "$URL" $P <<<"$(key ws-0003)"
expect_rc c1b 1
has c1b "ws-0003 is already configured ($INC/ws-0003.conf:3): use \`wegauge reconnect ws-0003\`"

t_log "2. a wrong key, then the right one"
wg c2 connect ws-0004 --license-code "$(lc ws-0004)" --base-url "$URL" $P <<<"0000000000000000ffffffffffffffff"
expect_rc c2 1
has c2 "ws-0004: auth_failed: probe: HTTP 401 (server said: Unauthorized): the API key"
has c2 "then: wegauge reconnect ws-0004"
wg c2b reconnect ws-0004 $P <<<"$(key ws-0004)"
expect_rc c2b 0
has c2b "ws-0004: connected"
wg c2c reconnect ws-0004 --keep-key $P
expect_rc c2c 0
has c2c "ws-0004: nothing to change"

t_log "3. a wrong license code, then the right one"
wg c3 reconnect ws-0004 --keep-key --license-code wrong-lc $P
expect_rc c3 0
has c3 "ws-0004: connected"
has c3 "ws-0004: first pull #[0-9]*: partial, 0 rows: stats: HTTP 404: the license code or data center is wrong"
has c3 "wegauge reconnect ws-0004 --license-code LC"
grep -qx "license_code = wrong-lc" "$INC/ws-0004.conf" || fail "section not edited: $(cat "$INC/ws-0004.conf")"
grep -q "written by \`wegauge connect\`" "$INC/ws-0004.conf" || fail "the edit lost the comment"
wg c3b reconnect ws-0004 --keep-key --license-code "$(lc ws-0004)" $P
expect_rc c3b 0
has c3b "ws-0004: connected"

t_log "4. wesim rotates ws-0001's key"
NEWKEY=abcdefabcdefabcdefabcdefabcdef01
mode1=$(stat -c %a "$KEYS/ws-0001.key")
sed -i -E "s/^(ws-0001 .*key=)[0-9a-f]+/\1$NEWKEY/" "$T_DIR/cfg/wesim.accounts"
curl -sf -X POST "$WESIM_URL/_wesim/reload" >/dev/null || fail "wesim reload"
wait_for 60 "ws-0001 auth_failed" is_state ws-0001 auth_failed
wg c4 reconnect ws-0001 $P <<<"$NEWKEY"
expect_rc c4 0
has c4 "ws-0001: wrote the new key into $KEYS/ws-0001.key"
has c4 "ws-0001: connected"
[ "$(stat -c %a "$KEYS/ws-0001.key")" = "$mode1" ] || fail "the key file's mode changed"

t_log "5. an invalid change is put back"
snap() { (cd "$T_DIR/cfg" && find workspaces.d keys -type f -exec md5sum {} + | LC_ALL=C sort); }
snap >"$T_DIR/before"
wg c5 connect ws-0005 --license-code "$(lc ws-0005)" --base-url "$URL" --streams stats,bogus $P <<<"$(key ws-0005)"
expect_rc c5 78
has c5 "ws-0005.conf:[0-9]*: \[workspace \"ws-0005\"\] streams: "
has c5 "nothing was changed: every file is as it was"
snap >"$T_DIR/after"
cmp -s "$T_DIR/before" "$T_DIR/after" || fail "files changed: $(diff "$T_DIR/before" "$T_DIR/after")"
wg c5b reconnect ws-0004 --keep-key --base-url "not a url" $P
expect_rc c5b 2

t_log "6. sections the tool did not write"
cat >>"$CFG" <<EOF

[workspace "by-hand"]
license_code = $(lc ws-0002)
base_url = $URL
api_key_file = $KEYS/ws-0002.key
EOF
wg c6 disconnect by-hand $P
expect_rc c6 1
has c6 "by-hand is defined at $CFG:[0-9]*, not alone in $INC/by-hand.conf"
wg c6b disconnect ws-0002 $P
expect_rc c6b 0
has c6b "ws-0002: kept $KEYS/ws-0002.key: by-hand uses it too"
test -f "$KEYS/ws-0002.key" || fail "a key file another section uses was removed"

t_log "7. disconnect"
wg c7 disconnect ws-0003 $P
expect_rc c7 0
has c7 "ws-0003: removed; its history stays in the store"
test -e "$INC/ws-0003.conf" && fail "the section file is still there"
test -e "$KEYS/ws-0003.key" && fail "the key file is still there"
[ "$(sql "$DB" "SELECT count(*) FROM pull WHERE workspace = 'ws-0003' AND status = 'ok'")" -ge 1 ] ||
	fail "ws-0003's history is gone"

t_log "8. two runs at once"
exec 9<"$INC"
flock 9
key ws-0003 | "$WEGAUGE" -c "$CFG" connect ws-0003 --license-code "$(lc ws-0003)" --base-url "$URL" \
	$P >"$T_DIR/c8.out" 2>&1 9<&- &
second=$!
wait_for 30 "the second run waiting" grep -q "waiting for another wegauge" "$T_DIR/c8.out"
test -e "$INC/ws-0003.conf" && fail "the second run wrote while the lock was held"
exec 9<&-
RC=0
wait "$second" || RC=$?
expect_rc c8 0
has c8 "ws-0003: connected"

t_log "9. a user who may not write the configuration"
[ "$(id -u)" = 0 ] && chmod 0755 "$T_DIR" "$T_DIR/cfg"
if [ "$(id -u)" = 0 ] && ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$CFG"; then
	# A build tree under a 0700 directory (mktemp -d): nobody cannot even
	# reach the configuration, which is not the case this step is about.
	t_log "nobody cannot reach $CFG (a parent directory is closed): step 9 skipped"
elif [ "$(id -u)" = 0 ]; then
	snap >"$T_DIR/before"
	RC=0
	key ws-0005 | setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$WEGAUGE" -c "$CFG" connect ws-0005 --license-code "$(lc ws-0005)" $P >"$T_DIR/c9.out" 2>&1 || RC=$?
	expect_rc c9 1
	[ "$(wc -l <"$T_DIR/c9.out")" = 1 ] || fail "more than one line: $(cat "$T_DIR/c9.out")"
	has c9 "wegauge: cannot write include_dir $INC: Permission denied; connect changes wegauged's configuration: run it as root"
	snap >"$T_DIR/after"
	cmp -s "$T_DIR/before" "$T_DIR/after" || fail "files changed"
else
	t_log "not root: the unprivileged user's case is skipped"
fi

t_log "10. a key typed on a terminal is not echoed"
mkfifo "$T_DIR/tty.in"
script -qec "$WEGAUGE -c $CFG connect ws-0005 --license-code $(lc ws-0005) --base-url $URL $P" /dev/null \
	<"$T_DIR/tty.in" >"$T_DIR/c10.out" 2>&1 &
typist=$!
exec 8>"$T_DIR/tty.in"
wait_for 30 "the prompt" grep -q "API key for ws-0005 (not shown): " "$T_DIR/c10.out"
printf '%s\n' "$(key ws-0005)" >&8
RC=0
wait "$typist" || RC=$?
exec 8>&-
expect_rc c10 0
has c10 "ws-0005: connected"
grep -q "$(key ws-0005)" "$T_DIR/c10.out" && fail "the key was echoed on the terminal"

t_log "11. --no-reload, and no daemon"
wg c11 disconnect ws-0005 --no-reload
expect_rc c11 0
has c11 "not reloaded (--no-reload)"
test -e "$INC/ws-0005.conf" && fail "--no-reload did not write"
is_state ws-0005 connected || fail "ws-0005 changed without a reload: $(state ws-0005)"
wg c11b connect ws-0005 --license-code "$(lc ws-0005)" --base-url "$URL" <<<"$(key ws-0005)"
expect_rc c11b 0
has c11b "not reloaded: systemd is not running here"

t_log "12. no key anywhere"
stop_pid "$WEGAUGED_PID"
for k in "$(key ws-0003)" "$(key ws-0004)" "$(key ws-0005)" "$NEWKEY"; do
	grep -rqF "$k" "$T_DIR"/*.out "$T_DIR/wegauged.log" "$DB"* && fail "a key reached an output, the log or the store"
done
[ "$(sql "$DB" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
stop_pid "$WESIM_PID"
t_pass
