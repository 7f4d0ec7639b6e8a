#!/bin/bash
# it_pg_failover.sh: a primary fails over to its streaming standby under a
# running daemon (issue 14). The daemon's database is a two-host URI with
# target_session_attrs=read-write, as an operator writes it. The primary
# is stopped (immediate: a crash) in the middle of pulls and the standby
# promoted; the daemon finds the new primary by itself (libpq tries the
# hosts in order, keeps the one that takes writes), sends again what the
# old one had not confirmed, and every workspace pulls ok again. After a
# clean stop the new primary equals wesim --expect exactly, every stream
# whole, no pull left running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_failover

start_pg main
start_pg_standby standby
N=10
SEED=41
start_wesim --workspaces $N --seed $SEED --latency 2:4 --write-config "$T_DIR/cfg" \
	--config-extra "interval = 1s" --config-extra "jitter = 0"
wait_for 30 "wesim config" test -f "$T_DIR/cfg/wegauged.conf"
CONF="$T_DIR/cfg/wegauged.conf"
pg_configure "$CONF" "$(pg_url main standby)&target_session_attrs=read-write"
grep -q "^database = postgresql://.*,.*target_session_attrs=read-write" "$CONF" ||
	fail "pg_configure did not write the two-host URI"
window 7

start_wegauged -c "$CONF"
oks_since() { pg_sql "SELECT count(DISTINCT workspace) FROM pull WHERE status = 'ok' AND id > $1"; }
all_ok_since() { [ "$(oks_since "$1")" = $N ]; }
wait_for 60 "an ok pull of every workspace on the first primary" all_ok_since 0
wait_pg_standby standby

t_log "failover: main crashes, standby promoted"
stop_pg main immediate
promote_pg_standby standby
mark=$(pg_sql "SELECT coalesce(max(id), 0) FROM pull")
wait_for 90 "every workspace ok on the new primary" all_ok_since "$mark"
grep -q "PostgreSQL store .*connected again after" "$T_DIR/wegauged.log" ||
	fail "the reconnect to the new primary was not logged"
kill -TERM "$WEGAUGED_PID"
rc=0
wait "$WEGAUGED_PID" || rc=$?
t_untrack "$WEGAUGED_PID"
[ "$rc" = 0 ] || fail "wegauged exited $rc at SIGTERM"
compare_pg_with_expect --workspaces $N --seed $SEED
pg_check_streams_whole --workspaces $N --seed $SEED
[ "$(pg_sql "SELECT count(*) FROM pull WHERE status = 'running'")" = 0 ] || fail "pulls left running"
t_log "pulls on the new primary: $(pg_sql "SELECT status || '=' || count(*) FROM pull GROUP BY status ORDER BY 1" | tr '\n' ' ')"
stop_pid "$WESIM_PID"
t_pass
