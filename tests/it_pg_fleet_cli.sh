#!/bin/bash
# it_pg_fleet_cli.sh: `wegauge fleet` and the owner column of `wegauge
# status` on a fleet's PostgreSQL store (issue 16).
#
# A store made by `wegauged --once` on three wesim workspaces, on
# PostgreSQL and on SQLite. Then:
#  1. without fleet rows, `wegauge fleet` prints its one line on both
#     stores (table: on stdout; csv and json: the empty result on stdout,
#     the line on stderr), exit 0, and `status` has no owner column;
#  2. with fleet rows written by SQL as a fleet's members would (three
#     members: two live, one whose heartbeat is older than its lease; a
#     lease of 4.5 s; leases live and expired), `wegauge fleet` prints
#     exactly the rows expected in each format: ages, liveness and leases
#     held on the server's clock (heartbeats are set relative to now()
#     just before each run, so the whole seconds are known);
#  3. live members with different fingerprints get the warning (table:
#     below the table; csv and json: on stderr), and a member that is not
#     live does not count;
#  4. `wegauge status` gets a last column owner: the member holding each
#     workspace's unexpired lease, "-" for an expired one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_fleet_cli

: "${WEGAUGE:?WEGAUGE must name the wegauge binary}"

start_pg
start_wesim --workspaces 3 --seed 5 --write-config "$T_DIR/cfg"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
DB="$T_DIR/cfg/wegauge.db"
cp "$T_DIR/cfg/wegauged.conf" "$T_DIR/sqlite.conf"
CONF="$T_DIR/cfg/wegauged.conf"
pg_configure "$CONF"
for c in "$CONF" "$T_DIR/sqlite.conf"; do
	"$WEGAUGED" -c "$c" --once >>"$T_DIR/wegauged.log" 2>&1 || fail "wegauged --once ($c) exited $?"
done
mapfile -t WS < <(pg_sql "SELECT name FROM workspace ORDER BY name COLLATE \"C\"")
[ "${#WS[@]}" = 3 ] || fail "expected 3 workspaces, got: ${WS[*]}"

# run NAME ARGS...: wegauge ARGS into $T_DIR/NAME.out, .err and .rc.
run() {
	local name=$1
	shift
	rc=0
	"$WEGAUGE" "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err" || rc=$?
	echo "$rc" >"$T_DIR/$name.rc"
}
# expect NAME RC STDOUT STDERR: what run NAME gave, byte for byte (CSV's CRLF removed).
expect() {
	local got
	got=$(cat "$T_DIR/$1.rc")
	[ "$got" = "$2" ] || fail "$1: exit $got, expected $2: $(cat "$T_DIR/$1.err")"
	got=$(tr -d '\r' <"$T_DIR/$1.out")
	[ "$got" = "$3" ] || fail "$1: stdout differs:$(diff <(echo "$3") <(echo "$got"))"
	got=$(cat "$T_DIR/$1.err")
	[ "$got" = "$4" ] || fail "$1: stderr differs:$(diff <(echo "$4") <(echo "$got"))"
}

NONE="no fleet is registered in this store (a fleet needs the PostgreSQL store and [fleet])"
HEAD="member,heartbeat_age_s,live,lease_s,workspaces,owned,fingerprint"

# ---- 1. no fleet ----
# The SQLite store by -d, the PostgreSQL one by its configuration (database_password_file).
for store in "-d$DB" "-c$CONF"; do
	run none-table "$store" fleet
	expect none-table 0 "$NONE" ""
	run none-csv "$store" fleet --format csv
	expect none-csv 0 "$HEAD" "wegauge: $NONE"
	run none-json "$store" fleet --format json
	expect none-json 0 "[]" "wegauge: $NONE"
	run status-plain "$store" status
	head -n 1 "$T_DIR/status-plain.out" | grep -q 'owner' &&
		fail "status has an owner column without a fleet: $(head -n 1 "$T_DIR/status-plain.out")"
done
t_log "no fleet: one line on both stores"

# ---- 2. a fleet ----
# Three members: a1 and b2 live (heartbeats 5 s and 2 s ago, leases 30 s
# and 4.5 s), c3 not (100 s ago, lease 30 s); a1 and b2 hold the leases of
# the first two workspaces, c3's lease of the third has expired.
pg_sql "INSERT INTO fleet_member (name, fingerprint, workspaces, ws_digest, lease_ms, started_at,
	heartbeat_at) VALUES
	('b2', 'fp-one', 3, 'd', 4500, now() - interval '1 hour', now()),
	('a1', 'fp-one', 3, 'd', 30000, now() - interval '1 hour', now()),
	('c3', 'fp-two', 2, 'e', 30000, now() - interval '1 hour', now());
	INSERT INTO fleet_member_ws SELECT m, w FROM unnest(ARRAY['a1', 'b2', 'c3']) AS m,
	unnest(ARRAY['${WS[0]}', '${WS[1]}', '${WS[2]}']) AS w;
	INSERT INTO fleet_lease (workspace, member, token, acquired_at, expires_at) VALUES
	('${WS[0]}', 'a1', nextval('fleet_lease_token'), now(), now() + interval '1 hour'),
	('${WS[1]}', 'b2', nextval('fleet_lease_token'), now(), now() + interval '1 hour'),
	('${WS[2]}', 'c3', nextval('fleet_lease_token'), now() - interval '1 hour',
	 now() - interval '10 seconds')" >/dev/null

# beat: the heartbeats 5, 2 and 100 s before the server's now; the run
# right after reads them whole seconds later than that unless a second
# passed in between (fleet_run tries again then).
beat() {
	pg_sql "UPDATE fleet_member SET heartbeat_at = now() - CASE name WHEN 'a1' THEN
		interval '5 seconds' WHEN 'b2' THEN interval '2 seconds' ELSE interval '100 seconds' END"
}
# fleet_run NAME RC STDOUT STDERR ARGS...: beat, run wegauge ARGS, expect; up
# to three tries, for a machine so slow that a second passed between the
# two.
fleet_run() {
	local name=$1 rc=$2 out=$3 err=$4 try
	shift 4
	for try in 1 2 3; do
		beat
		run "$name" "$@"
		if [ "$try" = 3 ] || [ "$(tr -d '\r' <"$T_DIR/$name.out")" = "$out" ]; then
			break
		fi
		t_log "$name: the ages moved on, again"
	done
	expect "$name" "$rc" "$out" "$err"
}

T_HEAD="member  heartbeat_age_s  live  lease_s  workspaces  owned  fingerprint"
ROWS="a1                    5  yes        30           3      1  fp-one
b2                    2  yes       4.5           3      1  fp-one
c3                  100  no         30           2      0  fp-two"
fleet_run fleet-table 0 "$T_HEAD
$ROWS" "" -c "$CONF" fleet
fleet_run fleet-csv 0 "$HEAD
a1,5,yes,30,3,1,fp-one
b2,2,yes,4.5,3,1,fp-one
c3,100,no,30,2,0,fp-two" "" -c "$CONF" fleet --format csv
JA='{"member":"a1","heartbeat_age_s":5,"live":"yes","lease_s":30,"workspaces":3,"owned":1,"fingerprint":"fp-one"}'
JB='{"member":"b2","heartbeat_age_s":2,"live":"yes","lease_s":4.5,"workspaces":3,"owned":1,"fingerprint":"fp-one"}'
JC='{"member":"c3","heartbeat_age_s":100,"live":"no","lease_s":30,"workspaces":2,"owned":0,"fingerprint":"fp-two"}'
fleet_run fleet-json 0 "[
  $JA,
  $JB,
  $JC
]" "" -c "$CONF" fleet --format json
t_log "fleet: the rows in each format"

# ---- 3. different configurations among the live members ----
pg_sql "UPDATE fleet_member SET fingerprint = 'fp-two' WHERE name = 'b2'"
WARN="warning: the live members run different configurations (2 fingerprints among 2 live members): keep their configurations equal"
fleet_run warn-table 0 "$T_HEAD
${ROWS/b2                    2  yes       4.5           3      1  fp-one/b2                    2  yes       4.5           3      1  fp-two}
$WARN" "" -c "$CONF" fleet
fleet_run warn-csv 0 "$HEAD
a1,5,yes,30,3,1,fp-one
b2,2,yes,4.5,3,1,fp-two
c3,100,no,30,2,0,fp-two" "wegauge: $WARN" -c "$CONF" fleet --format csv
fleet_run warn-json 0 "[
  $JA,
  ${JB/fp-one/fp-two},
  $JC
]" "wegauge: $WARN" -c "$CONF" fleet --format json
t_log "fleet: the fingerprint warning"

# ---- 4. status: the owner of each workspace ----
# The table of part 1 (the PostgreSQL store's, the loop's last) with a last
# column owner: every row padded to the widest, then the owner ("-": the
# third workspace's lease expired); the summary line as it was.
want=$(awk -v o1=a1 -v o2=b2 -v o3=- '
	{ line[NR] = $0; if (length($0) > w && NR < 5) w = length($0) }
	END {
		owner[1] = "owner"; owner[2] = o1; owner[3] = o2; owner[4] = o3
		for (i = 1; i <= NR; i++)
			if (i < 5) printf "%-" w "s  %s\n", line[i], owner[i]; else print line[i]
	}' "$T_DIR/status-plain.out")
run status-fleet -c "$CONF" status
expect status-fleet 0 "$want" ""
[ "$(wc -l <"$T_DIR/status-plain.out")" = 5 ] || fail "status: expected 3 workspaces and a summary"
run status-csv -c "$CONF" status --format csv
[ "$(tr -d '\r' <"$T_DIR/status-csv.out" | awk -F, '{ print $1 "," $NF }')" = "workspace,owner
${WS[0]},a1
${WS[1]},b2
${WS[2]}," ] || fail "status --format csv: owners: $(cat "$T_DIR/status-csv.out")"
t_log "status: the owner column"

t_pass
