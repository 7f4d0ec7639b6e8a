# tests/lib_pg.sh: throwaway PostgreSQL 15 servers for the integration
# scenarios that need a PostgreSQL store (issue 14). Source it after
# tests/lib.sh and t_init:
#
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/lib_pg.sh"
#   t_init it_pg_something
#   start_pg                               # or t_skip without PostgreSQL 15
#   for f in "$SOURCE_DIR"/schema/pg/[0-9][0-9][0-9]-*.sql; do pg_sql <"$f"; done
#   pg_configure "$CONF"                   # database = $PG_URL, database_password_file
#   pg_sql "SELECT count(*) FROM pull"     # rows '|'-separated, as sql() prints them
#   compare_pg_with_expect --workspaces 3 --seed 7
#
# Each instance NAME (main by default) lives in $T_DIR/pg-NAME (data/ and
# the socket directory sock/), logs to $T_DIR/pg-NAME.log (tailed by the
# EXIT trap on failure), listens on 127.0.0.1 at a free port and on its
# own unix socket, and is stopped by the EXIT trap (t_on_exit), also when
# the scenario fails. initdb refuses to run as root: as root every server
# program runs as the system user postgres of Debian's package.
#
# Roles and authentication:
#  * $PG_USER (wegauge_test) owns the database $PG_DB (wegauge); the daemon
#    under test logs in as it over TCP with the password in
#    $PG_PASSWORD_FILE (0600, root's: what `database_password_file` takes).
#    pg_sql connects as the same role, so that the tables a test creates
#    belong to the role the daemon writes as.
#  * $PG_SUPERUSER (postgres) has a password too, in
#    $PG_SUPERUSER_PASSWORD_FILE.
#  * Host connections (127.0.0.1 only) need the password (scram-sha-256);
#    the unix socket is trusted, and only root and postgres can reach it
#    (its directory is 0700): the helpers use it, and need no PGPASSFILE,
#    ~/.pgpass or PGPASSWORD. Every PG* variable of the caller's
#    environment is unset, so that none of them leaks into a daemon under
#    test or into the helpers.
#
# The servers' TimeZone is $PG_TIMEZONE, Asia/Kolkata (UTC+05:30) unless
# set before start_pg: an instant that only comes out right when the
# session's zone is UTC shows up as off by 5.5 hours. Every helper here
# prints instants in UTC.
#
# Exported by start_pg (for the instance it started): PG_HOST (127.0.0.1),
# PG_PORT, PG_DATA (its data directory), PG_SOCKET_DIR, PG_URL
# (postgresql://wegauge_test@127.0.0.1:PORT/wegauge?sslmode=disable),
# PG_USER, PG_DB, PG_PASSWORD_FILE, PG_SUPERUSER, PG_SUPERUSER_PASSWORD_FILE;
# and PG_PRIMARY, the instance pg_sql, pg_store_rows and the comparisons
# use (the last one started by start_pg or promoted by promote_pg_standby).
# start_pg_standby exports PG_STANDBY_PORT, PG_STANDBY_DATA, PG_STANDBY_URL.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_TIMEZONE=${PG_TIMEZONE:-Asia/Kolkata}
PG_HOST=127.0.0.1
PG_USER=wegauge_test
PG_DB=wegauge
PG_SUPERUSER=postgres
PG_PRIMARY=""
export PG_HOST PG_USER PG_DB PG_SUPERUSER

# Every variable libpq reads: a test run must not depend on the shell it
# was started from, nor hand its settings to the daemon under test.
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE \
	PGSERVICEFILE PGOPTIONS PGAPPNAME PGSSLMODE PGSSLROOTCERT PGREQUIRESSL \
	PGTARGETSESSIONATTRS PGCONNECT_TIMEOUT PGCLIENTENCODING PGDATESTYLE PGTZ \
	PGSYSCONFDIR PGLOCALEDIR PGCHANNELBINDING PGGSSENCMODE PGKRBSRVNAME \
	PGREQUIREAUTH PGLOADBALANCEHOSTS

# Per instance, by name: its port, socket directory, directory and log.
declare -A PG_I_PORT=() PG_I_SOCK=() PG_I_BASE=() PG_I_LOG=()

# ---- internals -------------------------------------------------------------

# _pg_owner CMD...: CMD as the owner of the servers' files (postgres when
# we are root; initdb and postgres refuse root), from / (the scenario's
# working directory may be closed to that user).
_pg_owner() {
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u postgres -- "$@")
	else
		(cd / && "$@")
	fi
}

# _pg_chown PATH...: hand PATH to that owner.
_pg_chown() {
	if [ "$(id -u)" = 0 ]; then
		chown postgres:postgres "$@"
	fi
}

# _pg_need: skip the scenario unless PostgreSQL 15's server programs are
# here and can be run.
_pg_need() {
	[ -n "$T_DIR" ] || fail "lib_pg.sh: call t_init before start_pg"
	[ -x "$PG_BIN/initdb" ] ||
		t_skip "no PostgreSQL 15 ($PG_BIN/initdb): scripts/deps installs postgresql-15"
	if [ "$(id -u)" = 0 ]; then
		getent passwd postgres >/dev/null ||
			t_skip "no system user postgres to run PostgreSQL as (initdb refuses root)"
		command -v runuser >/dev/null || t_skip "no runuser to run PostgreSQL as postgres"
	fi
	command -v python3 >/dev/null || fail "lib_pg.sh needs python3 (json_norm)"
}

_pg_check_name() {
	case $1 in
	'' | *[!A-Za-z0-9_]*) fail "lib_pg.sh: instance name '$1': letters, digits and _ only" ;;
	esac
}

_pg_known() {
	[ -n "${PG_I_PORT[$1]:-}" ] || fail "lib_pg.sh: no PostgreSQL instance '$1' was started"
}

# _pg_new_base NAME: create the instance's directory (owned by the server's
# user, 0700), socket directory and log; sets PG_I_BASE, PG_I_SOCK and
# PG_I_LOG of NAME.
_pg_new_base() {
	local name=$1 base sock log
	[ -z "${PG_I_BASE[$name]:-}" ] || fail "lib_pg.sh: instance '$name' exists already"
	# The server's user must be able to walk into $T_DIR (mktemp made it 0700).
	chmod o+x "$T_DIR"
	base="$T_DIR/pg-$name"
	log="$T_DIR/pg-$name.log"
	if ! _pg_owner test -x "$T_DIR"; then
		# An ancestor of $TEST_TMP is closed to postgres (a build under
		# /root): keep the instance and its log in /tmp, linked from $T_DIR
		# (so the EXIT trap still tails the log); removed at exit when the
		# scenario passed, as $T_DIR is.
		local real
		real=$(mktemp -d /tmp/wegauge-pg.XXXXXX)
		chmod 0711 "$real"
		ln -s "$real" "$base"
		ln -s "$real/pg-$name.log" "$log"
		t_on_exit "[ \"\$rc\" = 0 ] && [ \"\$T_OK\" = 1 ] && rm -rf '$real'"
		base=$real/d
		log=$real/pg-$name.log
	fi
	mkdir -m 0700 "$base"
	_pg_chown "$base"
	# A unix socket's path has at most 107 bytes: a deep $TEST_TMP gets a
	# short directory in /tmp instead.
	sock="$base/sock"
	if [ ${#sock} -gt 80 ]; then
		sock=$(mktemp -d /tmp/wgpg.XXXXXX)
		t_on_exit "rm -rf '$sock'"
	else
		mkdir "$sock"
	fi
	chmod 0700 "$sock"
	_pg_chown "$sock"
	touch "$log"
	_pg_chown "$log"
	PG_I_BASE[$name]=$base
	PG_I_SOCK[$name]=$sock
	PG_I_LOG[$name]=$log
}

# _pg_ctl NAME ARGS...: pg_ctl on that instance's data directory.
_pg_ctl() {
	local name=$1
	shift
	_pg_owner "$PG_BIN/pg_ctl" -D "${PG_I_BASE[$name]}/data" -l "${PG_I_LOG[$name]}" -s "$@"
}

# _pg_psql NAME USER DB ARGS...: psql on that instance's unix socket,
# printing rows '|'-separated without headers, stopping at the first error.
_pg_psql() {
	local name=$1 user=$2 db=$3
	shift 3
	_pg_known "$name"
	"$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "${PG_I_SOCK[$name]}" \
		-p "${PG_I_PORT[$name]}" -U "$user" -d "$db" "$@"
}

# _pg_conf NAME PORT: the settings of a test server, appended to its
# postgresql.conf (later lines win over earlier ones and over initdb's).
_pg_conf() {
	cat >>"${PG_I_BASE[$1]}/data/postgresql.conf" <<EOF

# ---- tests/lib_pg.sh ----
listen_addresses = '127.0.0.1'
port = $2
unix_socket_directories = '${PG_I_SOCK[$1]}'
# Throwaway data: no fsync, for speed.
fsync = off
timezone = '$PG_TIMEZONE'
log_timezone = 'UTC'
lc_messages = 'C'
log_line_prefix = '%m [%p] %q%u@%d '
# For start_pg_standby (the defaults of PostgreSQL 15, said out loud).
wal_level = replica
max_wal_senders = 10
hot_standby = on
EOF
}

# _pg_start NAME: start the instance and wait until it accepts connections.
# Its stop is registered first, so that a start that timed out is still
# stopped at exit.
_pg_start() {
	local name=$1
	t_on_exit "_pg_ctl $name -m immediate -w -t 30 stop >/dev/null 2>&1"
	_pg_ctl "$name" -w -t 60 start || fail "PostgreSQL instance $name did not start" \
		"(see $T_DIR/pg-$name.log)"
}

# _pg_export NAME: the PG_* variables of a standalone instance.
_pg_export() {
	PG_PRIMARY=$1
	PG_PORT=${PG_I_PORT[$1]}
	PG_DATA=${PG_I_BASE[$1]}/data
	PG_SOCKET_DIR=${PG_I_SOCK[$1]}
	PG_URL=$(pg_url "$1")
	export PG_PRIMARY PG_PORT PG_DATA PG_SOCKET_DIR PG_URL
}

# ---- servers ---------------------------------------------------------------

# start_pg [NAME]: a fresh PostgreSQL 15 instance (default NAME main) with
# the role $PG_USER and its database $PG_DB; exports the PG_* variables
# above for it and makes it PG_PRIMARY. Skips the scenario (exit 77)
# when PostgreSQL 15 is not installed.
start_pg() {
	local name=${1:-main}
	_pg_check_name "$name"
	_pg_need
	_pg_new_base "$name"
	# The two passwords, the same for every instance of the scenario (a
	# standby copies the roles anyway).
	PG_PASSWORD_FILE="$T_DIR/pg.password"
	PG_SUPERUSER_PASSWORD_FILE="$T_DIR/pg-superuser.password"
	export PG_PASSWORD_FILE PG_SUPERUSER_PASSWORD_FILE
	local f
	for f in "$PG_PASSWORD_FILE" "$PG_SUPERUSER_PASSWORD_FILE"; do
		[ -s "$f" ] && continue
		(
			umask 077
			head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 >"$f"
			echo >>"$f"
		)
	done
	_pg_owner "$PG_BIN/initdb" -D "${PG_I_BASE[$name]}/data" -U postgres -A trust \
		-E UTF8 --locale=C.UTF-8 --no-sync --no-instructions \
		>>"$T_DIR/pg-$name.log" 2>&1 ||
		fail "initdb of PostgreSQL instance $name failed (see $T_DIR/pg-$name.log)"
	cat >"${PG_I_BASE[$name]}/data/pg_hba.conf" <<'EOF'
# tests/lib_pg.sh: the unix socket (0700 directory) is trusted; TCP on
# 127.0.0.1 needs a password. Nothing else may connect.
local all         all                trust
local replication all                trust
host  all         all  127.0.0.1/32  scram-sha-256
host  replication all  127.0.0.1/32  scram-sha-256
EOF
	_pg_chown "${PG_I_BASE[$name]}/data/pg_hba.conf"
	free_port
	PG_I_PORT[$name]=$FREE_PORT
	_pg_conf "$name" "$FREE_PORT"
	_pg_start "$name"
	# psql reads the passwords from their files (`cat` in a \set), so that
	# they appear on no command line.
	_pg_psql "$name" postgres postgres -f - <<EOF
\\set superpw \`cat '$PG_SUPERUSER_PASSWORD_FILE'\`
\\set pw \`cat '$PG_PASSWORD_FILE'\`
ALTER ROLE postgres PASSWORD :'superpw';
CREATE ROLE $PG_USER LOGIN PASSWORD :'pw';
CREATE DATABASE $PG_DB OWNER $PG_USER;
EOF
	_pg_export "$name"
	t_log "PostgreSQL $name on 127.0.0.1:${PG_I_PORT[$name]} ($PG_URL)"
}

# stop_pg [NAME [MODE]]: stop an instance (default PG_PRIMARY; MODE fast,
# or immediate for a crash) and wait until it is down.
stop_pg() {
	local name=${1:-$PG_PRIMARY}
	_pg_known "$name"
	_pg_ctl "$name" -m "${2:-fast}" -w -t 60 stop || fail "PostgreSQL $name did not stop"
}

# restart_pg [NAME]: stop (fast) and start again on the same port and data;
# starts an instance that stop_pg stopped.
restart_pg() {
	local name=${1:-$PG_PRIMARY}
	_pg_known "$name"
	if _pg_ctl "$name" status >/dev/null 2>&1; then
		_pg_ctl "$name" -m fast -w -t 60 stop || fail "PostgreSQL $name did not stop"
	fi
	_pg_ctl "$name" -w -t 60 start || fail "PostgreSQL $name did not start again" \
		"(see $T_DIR/pg-$name.log)"
}

# pg_is_up [NAME]: the instance accepts connections.
pg_is_up() {
	_pg_psql "${1:-$PG_PRIMARY}" postgres postgres -c 'SELECT 1' >/dev/null 2>&1
}

# pg_terminate_all [NAME]: end every other client session of database
# $PG_DB (pg_terminate_backend, waiting up to 10 s for each to end).
pg_terminate_all() {
	local name=${1:-$PG_PRIMARY} n
	n=$(_pg_psql "$name" postgres postgres -c "
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000))
  FROM pg_stat_activity
 WHERE datname = '$PG_DB' AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
	t_log "PostgreSQL $name: terminated $n sessions of $PG_DB"
}

# start_pg_standby NAME: a streaming replica of PG_PRIMARY (pg_basebackup
# -R) on its own port, started and streaming; exports PG_STANDBY_PORT,
# PG_STANDBY_DATA and PG_STANDBY_URL. It replicates over the primary's
# unix socket.
start_pg_standby() {
	local name=$1 primary=$PG_PRIMARY
	_pg_check_name "$name"
	[ -n "$primary" ] || fail "start_pg_standby: start_pg first"
	_pg_new_base "$name"
	_pg_owner "$PG_BIN/pg_basebackup" -D "${PG_I_BASE[$name]}/data" -R -X stream -c fast \
		-h "${PG_I_SOCK[$primary]}" -p "${PG_I_PORT[$primary]}" -U postgres \
		>>"$T_DIR/pg-$name.log" 2>&1 ||
		fail "pg_basebackup of $primary for standby $name failed (see $T_DIR/pg-$name.log)"
	free_port
	PG_I_PORT[$name]=$FREE_PORT
	_pg_conf "$name" "$FREE_PORT"
	_pg_start "$name"
	wait_for 60 "standby $name streaming from $primary" _pg_streaming "$name"
	PG_STANDBY_PORT=$FREE_PORT
	PG_STANDBY_DATA=${PG_I_BASE[$name]}/data
	PG_STANDBY_URL=$(pg_url "$name")
	export PG_STANDBY_PORT PG_STANDBY_DATA PG_STANDBY_URL
	t_log "PostgreSQL standby $name of $primary on 127.0.0.1:$FREE_PORT"
}

_pg_streaming() {
	[ "$(_pg_psql "$1" postgres postgres -c 'SELECT status FROM pg_stat_wal_receiver')" = \
		streaming ]
}

_pg_in_recovery() {
	[ "$(_pg_psql "$1" postgres postgres -c 'SELECT pg_is_in_recovery()')" = t ]
}
_pg_not_in_recovery() {
	[ "$(_pg_psql "$1" postgres postgres -c 'SELECT pg_is_in_recovery()')" = f ]
}

# wait_pg_standby NAME: wait until the standby replayed everything the
# primary had written when this was called.
wait_pg_standby() {
	local lsn
	lsn=$(_pg_psql "$PG_PRIMARY" postgres postgres -c 'SELECT pg_current_wal_lsn()')
	wait_for 60 "standby $1 replaying up to $lsn" _pg_replayed "$1" "$lsn"
}
_pg_replayed() {
	[ "$(_pg_psql "$1" postgres postgres -c \
		"SELECT pg_last_wal_replay_lsn() >= '$2'::pg_lsn")" = t ]
}

# promote_pg_standby NAME: make the standby a primary (pg_ctl promote),
# wait until it leaves recovery, and make it PG_PRIMARY (PG_PORT, PG_URL
# and the others still name the instance start_pg started).
promote_pg_standby() {
	local name=$1
	_pg_known "$name"
	_pg_ctl "$name" -w -t 60 promote || fail "pg_ctl promote of $name failed"
	wait_for 60 "$name out of recovery" _pg_not_in_recovery "$name"
	PG_PRIMARY=$name
	t_log "PostgreSQL $name promoted: the primary now"
}

# pg_url [NAME...]: the URL the daemon connects with, as $PG_USER over TCP,
# listing the instances in that order (default PG_PRIMARY); append
# "&target_session_attrs=read-write" for a list of several.
pg_url() {
	local hosts="" name
	[ $# -gt 0 ] || set -- "$PG_PRIMARY"
	for name in "$@"; do
		_pg_known "$name"
		hosts="$hosts${hosts:+,}$PG_HOST:${PG_I_PORT[$name]}"
	done
	echo "postgresql://$PG_USER@$hosts/$PG_DB?sslmode=disable"
}

# pg_configure CONF [URL]: point a wegauged.conf (from wesim --write-config)
# at PostgreSQL: its database line becomes URL (default $PG_URL), followed
# by database_password_file = $PG_PASSWORD_FILE.
pg_configure() {
	local url pw
	grep -q '^database = ' "$1" || fail "pg_configure: no 'database = ' line in $1"
	# & | and \ mean something in sed's replacement (a URL may hold &).
	url=$(printf '%s' "${2:-$PG_URL}" | sed 's/[&|\\]/\\&/g')
	pw=$(printf '%s' "$PG_PASSWORD_FILE" | sed 's/[&|\\]/\\&/g')
	sed -i -e '/^database_password_file = /d' \
		-e "s|^database = .*|database = $url\\ndatabase_password_file = $pw|" "$1"
}

# ---- SQL -------------------------------------------------------------------

# pg_sql [SQL [PSQL_ARGS...]]: run SQL in $PG_DB on PG_PRIMARY as $PG_USER,
# printing rows as sqlite3 -batch does ('|' between columns, NULL as
# nothing, the rows of every statement); fails at the first error. SQL "-"
# or none: standard input. PSQL_ARGS, e.g. -1 (one transaction) or
# -v day=2026-03-01 (used as :'day'). Instants print in the server's
# TimeZone (PG_TIMEZONE): convert them in the query.
pg_sql() {
	pg_sql_at "$PG_PRIMARY" "$@"
}

# pg_sql_at NAME [SQL [PSQL_ARGS...]]: pg_sql on the instance NAME.
pg_sql_at() {
	local name=$1
	shift
	_pg_sql_as "$name" "$PG_USER" "$@"
}

# pg_super_sql [SQL [PSQL_ARGS...]]: pg_sql as the superuser.
pg_super_sql() {
	_pg_sql_as "$PG_PRIMARY" postgres "$@"
}

_pg_sql_as() {
	local name=$1 user=$2 q=${3:--}
	shift 2
	[ $# -eq 0 ] || shift
	if [ "$q" = - ]; then
		_pg_psql "$name" "$user" "$PG_DB" "$@" -f -
	else
		printf '%s\n' "$q" | _pg_psql "$name" "$user" "$PG_DB" "$@" -f -
	fi
}

# ---- the store's rows --------------------------------------------------------

# json_norm: a filter of JSON lines (one object per line) that writes each
# object back in one form, so that the rows of wesim --expect, of the
# SQLite store (store_rows) and of the PostgreSQL store (pg_store_rows)
# compare byte for byte: compact (no spaces), keys in the order given, an
# integer as an integer, a real as Python's repr of the float (2.0 stays
# 2.0, 1.0e+20 becomes 1e+20), every instant as UTC 'YYYY-MM-DDTHH:MM:SSZ'
# (a fraction of a second is kept when it is not zero, so that it shows).
# Blank lines are dropped; anything else that is not JSON fails.
json_norm() {
	python3 -c '
import json, re, sys
from datetime import datetime, timedelta, timezone

TS = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?"
                r"(Z|[+-]\d{2}(?::?\d{2})?)\Z")

def instant(s):
    m = TS.match(s)
    if not m:
        return s
    day, hms, frac, zone = m.groups()
    off = 0
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        off = sign * (int(digits[:2]) * 60 + int(digits[2:4] or 0))
    t = datetime.strptime(day + " " + hms, "%Y-%m-%d %H:%M:%S")
    t = t.replace(tzinfo=timezone(timedelta(minutes=off))).astimezone(timezone.utc)
    frac = (frac or "").rstrip("0")
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z"

def norm(v):
    if isinstance(v, str):
        return instant(v)
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v

sys.stdout.reconfigure(errors="backslashreplace")
for n, line in enumerate(sys.stdin, 1):
    if not line.strip():
        continue
    try:
        obj = json.loads(line)
    except ValueError as e:
        sys.exit("json_norm: line %d is not JSON (%s): %.200s" % (n, e, line))
    print(json.dumps(norm(obj), separators=(",", ":"), ensure_ascii=False))
'
}

# The SQL of pg_store_rows: instants through wg_ts (UTC, the fraction of a
# second only when there is one), days as 'YYYY-MM-DD', numerics as
# json_build_object writes them (2 an integer, 2.0 a real).
_PG_ROWS_SQL=$(
	cat <<'EOF'
CREATE FUNCTION pg_temp.wg_ts(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
         || CASE WHEN date_trunc('second', t) <> t
                 THEN rtrim(to_char(t AT TIME ZONE 'UTC', '.US'), '0') ELSE '' END
         || 'Z' $$;
SELECT json_build_object('table', 'feature_usage_daily', 'license_code', w.license_code,
         'day', to_char(f.day, 'YYYY-MM-DD'), 'feature', f.feature, 'metric', f.metric,
         'value', f.value)
  FROM feature_usage_daily f JOIN workspace w ON w.name = f.workspace
 WHERE f.day BETWEEN :'from' AND :'to'
UNION ALL
SELECT json_build_object('table', 'campaign', 'license_code', w.license_code,
         'channel', c.channel, 'campaign_id', c.campaign_id, 'title', c.title,
         'status', c.status, 'category', c.category, 'created_on', pg_temp.wg_ts(c.created_on),
         'start_date', pg_temp.wg_ts(c.start_date), 'sent', c.sent, 'delivered', c.delivered,
         'clicks', c.clicks, 'conversions', c.conversions, 'revenue', c.revenue)
  FROM campaign c JOIN workspace w ON w.name = c.workspace
UNION ALL
SELECT json_build_object('table', 'active_users_daily', 'license_code', w.license_code,
         'day', to_char(a.day, 'YYYY-MM-DD'), 'platform', a.platform, 'dau', a.dau,
         'wau', a.wau, 'mau', a.mau)
  FROM active_users_daily a JOIN workspace w ON w.name = a.workspace
 WHERE a.day BETWEEN :'from' AND :'to'
UNION ALL
SELECT json_build_object('table', 'seat', 'license_code', w.license_code, 'email', s.email,
         'name', s.name, 'role', s.role, 'status', s.status,
         'last_login_at', pg_temp.wg_ts(s.last_login_at))
  FROM seat s JOIN workspace w ON w.name = s.workspace
 WHERE s.removed_at IS NULL;
EOF
)

# pg_store_rows FROM TO: every data row of the PostgreSQL store (PG_PRIMARY)
# in store_rows' form (wesim --expect's keys in its order), through
# json_norm, sorted (LC_ALL=C). Days limited to FROM..TO, seats to current
# members, as store_rows. One statement: one snapshot of all four tables.
pg_store_rows() {
	printf '%s\n' "$_PG_ROWS_SQL" | _pg_psql "$PG_PRIMARY" "$PG_USER" "$PG_DB" \
		-v from="$1" -v to="$2" -f - >"$T_DIR/pg_rows.raw" ||
		fail "pg_store_rows: the query failed"
	json_norm <"$T_DIR/pg_rows.raw" | LC_ALL=C sort
}

# compare_pg_with_expect WESIM_ARGS...: the PostgreSQL store equals wesim
# --expect exactly (every row of every table, both sides through
# json_norm), or fail with the first differences. compare_with_expect of
# lib.sh for PostgreSQL; call `window DAYS` first.
compare_pg_with_expect() {
	window_now
	# Both sides at once (two cores): each is mostly json_norm.
	("$WESIM" "$@" --expect all --from "$FROM" --to "$TO" | json_norm |
		LC_ALL=C sort >"$T_DIR/expect.jsonl") &
	local expect_pid=$!
	pg_store_rows "$FROM" "$TO" >"$T_DIR/store.jsonl"
	wait "$expect_pid" || fail "wesim --expect failed"
	if ! cmp -s "$T_DIR/expect.jsonl" "$T_DIR/store.jsonl"; then
		diff "$T_DIR/expect.jsonl" "$T_DIR/store.jsonl" | head -20 >&2 || true
		fail "PostgreSQL store differs from wesim --expect" \
			"($(wc -l <"$T_DIR/expect.jsonl") expected rows," \
			"$(wc -l <"$T_DIR/store.jsonl") stored)"
	fi
	[ -s "$T_DIR/expect.jsonl" ] || fail "wesim --expect printed nothing"
	t_log "PostgreSQL store equals wesim --expect: $(wc -l <"$T_DIR/expect.jsonl") rows"
}

# pg_check_streams_whole WESIM_ARGS...: check_streams_whole of lib.sh for
# the PostgreSQL store: for each (workspace, table) either nothing or
# exactly the rows wesim --expect lists, all from one pull.
pg_check_streams_whole() {
	window_now
	"$WESIM" "$@" --expect all --from "$FROM" --to "$TO" |
		sed -E 's/^\{"table":"([a-z_]+)","license_code":"([^"]*)".*/\2 \1/' |
		LC_ALL=C sort | uniq -c | awk '{print $2, $3, $1}' >"$T_DIR/expect_counts"
	pg_sql "
SELECT w.license_code, 'feature_usage_daily', count(*), count(DISTINCT f.pull_id)
  FROM feature_usage_daily f JOIN workspace w ON w.name = f.workspace
  WHERE f.day BETWEEN :'from' AND :'to' GROUP BY 1;
SELECT w.license_code, 'campaign', count(*), count(DISTINCT c.pull_id)
  FROM campaign c JOIN workspace w ON w.name = c.workspace GROUP BY 1;
SELECT w.license_code, 'active_users_daily', count(*), count(DISTINCT a.pull_id)
  FROM active_users_daily a JOIN workspace w ON w.name = a.workspace
  WHERE a.day BETWEEN :'from' AND :'to' GROUP BY 1;
SELECT w.license_code, 'seat', count(*), count(DISTINCT s.pull_id)
  FROM seat s JOIN workspace w ON w.name = s.workspace WHERE s.removed_at IS NULL GROUP BY 1;
" -v from="$FROM" -v to="$TO" | tr '|' ' ' | LC_ALL=C sort >"$T_DIR/store_counts"
	local bad
	bad=$(awk 'NR == FNR { want[$1 " " $2] = $3; next }
		{ k = $1 " " $2; if (want[k] != $3 || $4 != 1)
			print k ": " $3 " rows from " $4 " pulls, expected " want[k] " from one" }' \
		"$T_DIR/expect_counts" "$T_DIR/store_counts")
	[ -z "$bad" ] || fail "streams not whole: $(echo "$bad" | head -5)"
	t_log "every stored stream is whole ($(wc -l <"$T_DIR/store_counts") workspace tables)"
}

# expect_rows_sql EXPECT_JSONL [MAP]: INSERT statements that store the rows
# of wesim --expect as a correct collector would, for either store: one
# workspace per license code (named ws-LC, or as MAP's "name license_code"
# lines say), one pull each (ids 1, 2, ... in license code order, started
# 2026-01-01T00:00:00Z, ok); every value and text as wesim printed it.
expect_rows_sql() {
	python3 - "$@" <<'EOF'
import json, sys
from decimal import Decimal

def lit(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        raise SystemExit("unexpected boolean")
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        s = repr(v)
        if "e" in s or "E" in s:
            s = format(Decimal(s), "f")
        return s if "." in s else s + ".0"
    return "'" + v.replace("'", "''") + "'"

rows = [json.loads(l) for l in open(sys.argv[1])]
codes = sorted({r["license_code"] for r in rows})
name = {lc: "ws-" + lc for lc in codes}
if len(sys.argv) > 2:
    for line in open(sys.argv[2]):
        n, lc = line.split()
        name[lc] = n
at = "'2026-01-01T00:00:00Z'"
for i, lc in enumerate(codes, 1):
    print("INSERT INTO workspace (name, license_code, data_center, base_url, state) "
          "VALUES (%s, %s, 'global', 'http://127.0.0.1', 'connected');"
          % (lit(name[lc]), lit(lc)))
    print("INSERT INTO pull (id, workspace, started_at, status) VALUES (%d, %s, %s, 'ok');"
          % (i, lit(name[lc]), at))
pull = {lc: i for i, lc in enumerate(codes, 1)}
for r in rows:
    t = r.pop("table")
    lc = r.pop("license_code")
    cols = ["workspace"] + list(r) + ["pull_id", "updated_at"]
    vals = [lit(name[lc])] + [lit(v) for v in r.values()] + [str(pull[lc]), at]
    if t == "seat":
        cols += ["first_seen_at", "last_seen_at"]
        vals += [at, at]
    print("INSERT INTO %s (%s) VALUES (%s);" % (t, ", ".join(cols), ", ".join(vals)))
EOF
}
