#!/bin/bash
# it_pg_fleet.sh: a fleet of wegauged sharing 300 workspaces through one
# PostgreSQL store (issue 16; tests/lib_fleet.sh).
#  1. Three members (a, b, c) over 300 workspaces at a 5 s interval, lease
#     3 s: every workspace is leased, each member holds within 20% of a
#     third, and over two intervals every (workspace, tick) is
#     pulled exactly once, by the pull table and by wesim's request log.
#  2. A fourth member (d) joins: it takes about a quarter of the
#     workspaces (20% to 30%), only from the others' shares, and over the
#     next two intervals every tick is pulled exactly once, none twice.
#  3. wegauged --once with a member's configuration is refused: exit 78,
#     the one line that says why, before anything is opened.
#  4. A clean stop of every member gives its leases back; no pull is left
#     running; the store holds as many rows per table and workspace as
#     wesim --expect (the values: it_pg_fleet_fail.sh).
# The interval and lease are short so that the scenario takes about a
# minute; what it checks does not depend on them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
. "$(dirname "$0")/lib_fleet.sh"
t_init it_pg_fleet

fleet_setup 300 5s 3s --latency 1:2
window 1
IV=5000

for m in a b c; do start_member $m; done
wait_for 120 "every workspace leased" all_leased
wait_for 120 "every lease with its member by rendezvous hashing" owners_are a b c
wait_for 120 "an ok pull of every workspace" all_ok_since 0
for m in a b c; do
	n=$(leases $m)
	t_log "member $m holds $n leases"
	[ "$n" -ge 80 ] && [ "$n" -le 120 ] || fail "member $m holds $n of 300 leases (100 +-20%)"
done
# From the next interval on: a pull that caught up late in a tick during the
# start (a lease that moved as members appeared) lets the tick after it go.
t0=$(($(server_ms) + IV))
for m in a b c; do : >"$T_DIR/$m.log.mark"; cp "$T_DIR/$m.log" "$T_DIR/$m.log.mark"; done
t1=$((t0 + 2 * IV))
wait_until_ms $((t1 + 1000))
fleet_ticks "$t0" "$t1"
[ "$MISSED" = 0 ] || fail "$MISSED ticks of 300 workspaces not pulled in two intervals"
[ "$REPULLS" = 0 ] || fail "$REPULLS ticks pulled again in a steady fleet"
[ "$TICKS" -ge 300 ] || fail "expected 300 ticks or more in two intervals, checked $TICKS"
for m in a b c; do
	if tail -c +$(($(wc -c <"$T_DIR/$m.log.mark") + 1)) "$T_DIR/$m.log" | grep "lease lost\|fenced"; then
		fail "member $m lost a lease in a steady fleet"
	fi
done

t_log "2. member d joins"
pg_sql "SELECT workspace || ' ' || member FROM fleet_lease ORDER BY 1" >"$T_DIR/owners.3"
start_member d
has_share() { [ "$(leases d)" -ge 60 ]; }
wait_for 60 "member d takes its share" has_share
wait_for 60 "every lease with its member among a, b, c, d" owners_are a b c d
pg_sql "SELECT workspace || ' ' || member FROM fleet_lease ORDER BY 1" >"$T_DIR/owners.4"
moved=$(join "$T_DIR/owners.3" "$T_DIR/owners.4" | awk '$2 != $3' | wc -l)
wrong=$(join "$T_DIR/owners.3" "$T_DIR/owners.4" | awk '$2 != $3 && $3 != "d"' | wc -l)
t_log "member d took $(leases d) leases; $moved moved, $wrong not to d"
[ "$moved" -ge 60 ] && [ "$moved" -le 90 ] || fail "$moved of 300 workspaces moved (a quarter: 60..90)"
[ "$wrong" = 0 ] || fail "$wrong workspaces moved between the old members"
t3=$(($(server_ms) + 2 * IV))
wait_until_ms $((t3 + 1000))
fleet_ticks "$t0" "$t3"
[ "$MISSED" = 0 ] || fail "$MISSED ticks not pulled around the join"

t_log "3. wegauged --once with a member's configuration"
rc=0
"$WEGAUGED" -c "$T_DIR/a.conf" --once >"$T_DIR/once.out" 2>"$T_DIR/once.err" || rc=$?
[ "$rc" = 78 ] || fail "wegauged --once as a fleet member exited $rc, not 78"
[ ! -s "$T_DIR/once.out" ] || fail "wegauged --once printed on stdout: $(head -3 "$T_DIR/once.out")"
printf 'wegauged: --once cannot run as a fleet member: it would pull without leases or fencing beside the fleet'"'"'s members ([fleet] in %s); run --once with a configuration without [fleet]\n' \
	"$T_DIR/a.conf" >"$T_DIR/once.want"
cmp -s "$T_DIR/once.want" "$T_DIR/once.err" || fail "wegauged --once said: $(cat "$T_DIR/once.err")"

t_log "4. a clean stop of every member"
for m in a b c d; do stop_member $m; done
[ "$(pg_sql "SELECT count(*) FROM fleet_lease")" = 0 ] || fail "leases left after the stops"
[ "$(pg_sql "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] || fail "pulls left running"
[ "$(pg_sql "SELECT count(*) FROM pull WHERE status NOT IN ('ok')")" = 0 ] ||
	fail "pulls not ok: $(pg_sql "SELECT status, error, count(*) FROM pull WHERE status <> 'ok' GROUP BY 1, 2")"
counts_match_expect --workspaces 300 --seed 16
stop_pid "$WESIM_PID"
t_pass
