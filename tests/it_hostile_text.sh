#!/bin/bash
# it_hostile_text.sh: hostile data end to end (issue 12, findings 5, 6, 7):
# wegauged pulls three workspaces from tests/tools/hostile, in the modes
# control-chars (ESC sequences, backspace, U+202E, U+200B and spreadsheet
# formulas in campaign titles and seat names, emails and roles), int64-max
# (two days of deliveries at INT64_MAX) and bad-json-esc (a body whose
# parse error quotes a raw ESC), and one from wesim, with --once. Then:
#  - no raw control byte (but the CSV's CRLF) in the daemon's log, and none
#    in any output of `wegauge` (status, report, seats, pulls; table, csv,
#    json); no raw U+202E or U+200B in the table outputs;
#  - no CSV cell of seats or report starts with = + @ or a - that is not a
#    number, unless neutralised with a leading ';
#  - report works for every workspace in every format (exit 0), and
#    ws-0001's figures are the same with and without --workspace;
#  - the bad-json-esc pull's error shows the ESC as \x1b.
. "$(dirname "$0")/lib.sh"
t_init it_hostile_text

HOSTILE=$BIN_DIR/hostile
start_wesim --workspaces 1 --seed 7 --write-config "$T_DIR/cfg"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
CFG="$T_DIR/cfg/wegauged.conf"
printf 'hostile-key-0001\n' >"$T_DIR/cfg/keys/hostile.key"
chmod 600 "$T_DIR/cfg/keys/hostile.key"
for mode in control-chars int64-max bad-json-esc; do
	"$HOSTILE" --mode $mode --quiet --port 0 --port-file "$T_DIR/$mode.port" >>"$T_DIR/hostile.log" 2>&1 &
	t_track $!
	wait_for 30 "hostile $mode" test -s "$T_DIR/$mode.port"
	cat >"$T_DIR/cfg/workspaces.d/h-$mode.conf" <<EOF2
[workspace "h-$mode"]
license_code = hostile1
base_url = http://127.0.0.1:$(cat "$T_DIR/$mode.port")
api_key_file = ../keys/hostile.key
EOF2
done
rc=0
"$WEGAUGED" -c "$CFG" --once >"$T_DIR/wegauged.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || t_log "wegauged --once exited $rc (the bad-json-esc pull is partial)"

ctl() { LC_ALL=C grep -c -P '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]' "$1" || true; }
[ "$(ctl "$T_DIR/wegauged.log")" = 0 ] || fail "raw control bytes in the log: $(LC_ALL=C grep -n -P '[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]' "$T_DIR/wegauged.log" | head -2 | cat -v)"
n=0
for cmd in status report "seats --inactive 1d" "pulls"; do
	for fmt in table csv json; do
		n=$((n + 1))
		out="$T_DIR/out.$n"
		rc=0
		# shellcheck disable=SC2086
		"$WEGAUGE" -c "$CFG" $cmd --format $fmt >"$out" 2>&1 || rc=$?
		case $cmd in status) ;; *) [ "$rc" = 0 ] || fail "wegauge $cmd --format $fmt exited $rc: $(head -3 "$out")" ;; esac
		[ "$(ctl "$out")" = 0 ] || fail "wegauge $cmd --format $fmt prints raw control bytes: $(cat -v "$out" | grep -m2 '\^\[\|\^H')"
		if [ $fmt = table ]; then
			grep -q $'\u202e\|\u200b' "$out" && fail "wegauge $cmd prints raw bidi or zero-width characters"
		fi
		if [ $fmt = csv ] && [ "$cmd" != status ] && [ "$cmd" != pulls ]; then
			# every field, unquoted: none starts with = + @ or a non-numeric -
			bad=$(python3 -c '
import csv, re, sys
for row in csv.reader(open(sys.argv[1], newline="")):
    for f in row:
        if f[:1] in ("=", "+", "@", "\t", "\r") or (f[:1] == "-" and not re.fullmatch(r"-[0-9.eE+%-]*", f)):
            print(repr(f)); sys.exit(0)
' "$out" 2>&1)
			[ -z "$bad" ] || fail "wegauge $cmd --format csv has a formula cell: $bad"
		fi
	done
done
t_log "$n outputs checked: no raw control or bidi bytes, no formula cells"
"$WEGAUGE" -c "$CFG" report --format csv >"$T_DIR/all.csv" || fail "report exited $?"
"$WEGAUGE" -c "$CFG" report --format csv --workspace ws-0001 >"$T_DIR/one.csv" || fail "report --workspace exited $?"
grep ',ws-0001,' "$T_DIR/all.csv" >"$T_DIR/all.ws" || true
grep ',ws-0001,' "$T_DIR/one.csv" >"$T_DIR/one.ws" || true
[ -s "$T_DIR/one.ws" ] && cmp -s "$T_DIR/all.ws" "$T_DIR/one.ws" ||
	fail "ws-0001's report differs beside the overflowing workspace"
grep -q '^channels,h-int64-max,EMAIL,,-,,-,1.8446744073709552e+19,' "$T_DIR/all.csv" ||
	fail "the overflowing workspace's deliveries: $(grep h-int64-max "$T_DIR/all.csv")"
err=$(sql "$DB" "SELECT error FROM pull WHERE workspace = 'h-bad-json-esc'")
case $err in *'\x1b'*) ;; *) fail "the bad-json-esc error does not show \\x1b: $err" ;; esac
t_log "bad-json-esc: $err"
stop_pid "$WESIM_PID"
t_pass
