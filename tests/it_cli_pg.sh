#!/bin/bash
# it_cli_pg.sh: the wegauge tool on a PostgreSQL store prints exactly what it
# prints on the SQLite store for the same data (issue 14).
#
# A PostgreSQL 15 instance runs in the test's directory (initdb as the
# user postgres when run as root, fsync off, a free loopback port); the
# test builds two stores from the same hand-written rows (fixture_sql
# below: statements both SQLite and PostgreSQL read alike): a SQLite file
# from schema/*.sql, marked as wegauged marks it (application_id,
# user_version), and a PostgreSQL database from schema/pg/*.sql with its
# rows in wegauge_schema. The rows: workspaces in every state (names
# whose byte order differs from a dictionary's), pulls of every status
# (one across midnight, two started at the same instant), channel
# statistics with integer and real values in both report windows,
# changes that round at a tie, to zero, near 2^42 and beyond 2^52 percent,
# 64-bit totals that overflow, a real total of 0.1 + 0.2 + 0.3, NULL
# values, campaigns beyond the HTML page's top 10 with ties, active users,
# seats never logged in, idle, active and removed, and text with quotes,
# a newline and control characters. Days are relative to today (UTC), as
# in tests/it_cli.sh.
#
# Then every reading command in every format (table, csv, json), with
# and without --workspace, and report --html, runs with -d FILE and with
# -d postgresql://...: stdout, stderr and the exit code must be the same,
# byte for byte (the HTML page up to its "Generated" instant); a diff is
# shown otherwise. The PostgreSQL database runs with a time zone, a
# DateStyle, extra_float_digits and a dictionary collation (ICU en-US,
# where available) that would change the output if the tool did not set
# its session up. Also: the key=value form of a connection string;
# -c CONFIG with database_password_file; PGPASSWORD; a wrong password and
# an unreachable port (one line, exit 1, never the password); an empty
# database, a database that is not a wegauge store, schema versions newer
# and older than this build's, and a role that may not read the store;
# and connect and disconnect waiting for the verdict that a stand-in for
# wegauged writes into the PostgreSQL store when it gets SIGHUP.
#
# Skipped (exit 77) without /usr/lib/postgresql/15/bin/initdb, or as root
# without a user postgres to run it as.
#
# The server comes from start_pg of tests/lib_pg.sh when that file is
# there; until it is, a minimal stand-in below with the same name and the
# variables this test uses (PG_PORT, PG_SOCKET_DIR: a trusted unix socket
# for the superuser postgres; passwords on 127.0.0.1), so that the two
# merge by deleting the stand-in. The test's own roles and databases are
# made here (pg_in), not in lib_pg.sh's $PG_DB: the store needs a
# collation, time zone and settings of its own.
#
# Environment (ctest): WEGAUGE, WESIM (for free_port), SOURCE_DIR, TEST_TMP.
. "$(dirname "$0")/lib.sh"

: "${WEGAUGE:?WEGAUGE must name the wegauge binary}"
: "${SOURCE_DIR:?}"
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

t_init it_cli_pg

# pg_in DB USER [PSQL ARGS...]: psql on the server's unix socket in
# database DB as USER, stopping at the first error.
pg_in() {
	local db=$1 user=$2
	shift 2
	"$PG_BIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" \
		-U "$user" -d "$db" "$@"
}

if [ -f "$(dirname "$0")/lib_pg.sh" ]; then
	. "$(dirname "$0")/lib_pg.sh"
else
	# ---- a stand-in for tests/lib_pg.sh's start_pg ----
	unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGPASSFILE PGSERVICE \
		PGOPTIONS PGAPPNAME PGCONNECT_TIMEOUT PGCLIENTENCODING PGDATESTYLE PGTZ
	PG_BASE=""
	# _pg_owner CMD...: CMD as the servers' user (postgres when we are root).
	_pg_owner() {
		if [ "$(id -u)" = 0 ]; then
			(cd / && setpriv --reuid=postgres --regid=postgres --init-groups "$@")
		else
			(cd / && "$@")
		fi
	}
	# The server is pg_ctl's, not our child: stopped on every exit, then lib.sh's cleanup.
	_pg_on_exit() {
		rc=$?
		if [ -n "$PG_BASE" ] && [ -f "$PG_BASE/data/postmaster.pid" ]; then
			_pg_owner "$PG_BIN/pg_ctl" -D "$PG_BASE/data" -m immediate -w stop \
				>/dev/null 2>&1 || true
		fi
		(exit "$rc")
		t_cleanup
	}
	trap _pg_on_exit EXIT
	_pg_skip() {
		t_log "SKIP: $*"
		rm -rf "$T_DIR"
		T_DIR=""
		exit 77
	}
	# start_pg: a cluster in $T_DIR/pg-main on a free loopback port, or exit 77.
	start_pg() {
		[ -x "$PG_BIN/initdb" ] || _pg_skip "no PostgreSQL 15 ($PG_BIN/initdb)"
		[ "$(id -u)" != 0 ] || getent passwd postgres >/dev/null ||
			_pg_skip "no system user postgres to run PostgreSQL as (initdb refuses root)"
		PG_BASE="$T_DIR/pg-main"
		PG_SOCKET_DIR=$PG_BASE
		chmod o+x "$T_DIR"
		mkdir -m 0700 "$PG_BASE"
		[ "$(id -u)" != 0 ] || chown postgres:postgres "$PG_BASE"
		_pg_owner "$PG_BIN/initdb" -D "$PG_BASE/data" -U postgres -E UTF8 --locale=C.UTF-8 \
			--auth-local=trust --auth-host=scram-sha-256 --no-sync >"$T_DIR/pg-main.log" 2>&1 ||
			fail "initdb failed: $(tail -n 5 "$T_DIR/pg-main.log")"
		free_port
		PG_PORT=$FREE_PORT
		_pg_owner "$PG_BIN/pg_ctl" -D "$PG_BASE/data" -l "$PG_BASE/server.log" -w -t 60 \
			-o "-p $PG_PORT -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1 -c fsync=off" \
			start >/dev/null || fail "PostgreSQL did not start: $(tail -n 5 "$PG_BASE/server.log")"
		export PG_PORT PG_SOCKET_DIR
		t_log "PostgreSQL on 127.0.0.1:$PG_PORT"
	}
fi

start_pg

# ---- the two stores ----

TODAY=$(date -u +%F)
# D N: the day N days ago (D -1: tomorrow); T N HH:MM:SS: an instant of it.
D() { date -u -d "$TODAY $((-$1)) days" +%F; }
T() { echo "$(D "$1")T$2Z"; }
ESC=$(printf '\033')
BEL=$(printf '\007')
NL='
'

# The rows of both stores: statements that SQLite and PostgreSQL read
# alike (reals with a decimal point and no exponent, raw control bytes in
# literals, -2^63 as an expression, instants as the SQLite store's text).
fixture_sql() {
	U="'$(T 0 09:00:41)'"
	cat <<EOF
INSERT INTO workspace (name, license_code, data_center, base_url, state, state_reason,
  key_fingerprint, last_pull_at, last_success_at, next_pull_at, consecutive_failures) VALUES
 ('Bravo', 'bb00cc11', 'global', 'https://api.webengage.com', 'connected', NULL,
  '0123456789abcdef', '$(T 0 06:00:00)', '$(T 0 06:00:05)', '$(T -1 06:00:00)', 0),
 ('acme-prod', '311c48b3', 'global', 'https://api.webengage.com', 'connected', NULL,
  '9f86d081884c7d65', '$(T 0 10:00:00)', '$(T 0 09:00:41)', '$(T -1 09:00:00)', 0),
 ('globex', 'aa11bb22', 'in', 'https://api.in.webengage.com', 'failing',
  'HTTP 429 "Too Many Requests", retries exhausted', '2c26b46b68ffc68f',
  '$(T 0 08:00:00)', '$(T 3 08:00:12)', '$(T -1 08:30:00)', 4),
 ('hooli', 'dd44ee55', 'ksa', 'https://api.ksa.webengage.com', 'pending', NULL, NULL,
  NULL, NULL, NULL, 0),
 ('initech', 'cc33dd44', 'ksa', 'https://api.ksa.webengage.com', 'removed',
  'removed from the configuration', 'fcde2b2edba56bf4',
  '$(T 40 07:00:00)', '$(T 40 07:00:30)', NULL, 0),
 ('umbrella', 'ee55ff66', 'global', 'https://api.webengage.com', 'connected', NULL,
  '4e07408562bedb8b', '$(T 0 07:00:00)', '$(T 0 07:00:09)', '$(T -1 07:00:00)', 0),
 ('yoyo', 'ff66aa77', 'global', 'https://api.webengage.com', 'disabled', NULL, NULL,
  NULL, NULL, NULL, 0),
 ('zeta.test', '99aa88bb', 'in', 'https://api.in.webengage.com', 'auth_failed',
  'probe: HTTP 401 (server said: O''Brien''s key ${ESC}[2J is "wrong")', '5e884898da280471',
  '$(T 0 05:00:00)', NULL, '$(T -1 05:00:00)', 1);

INSERT INTO pull (id, workspace, started_at, finished_at, status, requests, retries, rows,
  error) VALUES
 (1, 'initech', '$(T 40 07:00:00)', '$(T 40 07:00:30)', 'cancelled', 3, 0, 0, 'interrupted'),
 (2, 'globex', '$(T 3 08:00:00)', '$(T 3 08:00:12)', 'ok', 8, 0, 40, NULL),
 (3, 'acme-prod', '$(T 2 09:00:00)', '$(T 2 09:01:00)', 'partial', 12, 2, 150,
  'stream campaigns: HTTP 503${NL}after 5 retries'),
 (4, 'globex', '$(T 1 08:00:00)', '$(T 1 08:00:09)', 'failed', 6, 5, 0,
  'stream stats: HTTP 429, retries exhausted'),
 (5, 'acme-prod', '$(T 1 09:00:00)', '$(T 1 09:00:40)', 'ok', 10, 0, 160, NULL),
 (6, 'globex', '$(T 0 08:00:00)', '$(T 0 08:00:08)', 'failed', 6, 5, 0,
  'stream stats: HTTP 429, retries exhausted'),
 (7, 'acme-prod', '$(T 0 09:00:00)', '$(T 0 09:00:41)', 'ok', 10, 0, 162, NULL),
 (8, 'acme-prod', '$(T 0 10:00:00)', NULL, 'running', 2, 0, 0, NULL),
 (9, 'umbrella', '$(T 0 07:00:00)', '$(T 0 07:00:09)', 'ok', 5, 0, 8, NULL),
 (10, 'zeta.test', '$(T 0 05:00:00)', '$(T 0 05:00:01)', 'auth_failed', 1, 0, 0,
  'probe: HTTP 401 ${ESC}]0;pwned${BEL} O''Brien'),
 (11, 'Bravo', '$(T 0 06:00:00)', '$(T 0 06:00:05)', 'ok', 4, 0, 12, NULL),
 (12, 'globex', '$(T 0 08:00:00)', '$(T 0 08:00:03)', 'failed', 1, 0, 0, 'again'),
 (13, 'Bravo', '$(T 1 23:59:58)', '$(T 0 00:00:03)', 'ok', 4, 1, 9, NULL);

EOF
	# Channel statistics: workspace, days ago, feature, metric, value.
	while read -r ws ago feature metric value; do
		[ -n "$ws" ] || continue
		case $ws in
		acme-prod) pid=7 ;; globex) pid=2 ;; initech) pid=1 ;; umbrella) pid=9 ;; *) pid=11 ;;
		esac
		echo "INSERT INTO feature_usage_daily (workspace, day, feature, metric, value, pull_id, updated_at) VALUES ('$ws', '$(D "$ago")', '$feature', '$metric', $value, $pid, $U);"
	done <<EOF
acme-prod 1 EMAIL users 500
acme-prod 1 EMAIL campaigns 1
acme-prod 1 EMAIL deliveries 1000
acme-prod 1 EMAIL clicks 10
acme-prod 1 EMAIL conversions 1
acme-prod 1 EMAIL revenue 10.5
acme-prod 1 EMAIL opens 77
acme-prod 2 EMAIL users 550
acme-prod 2 EMAIL campaigns 1
acme-prod 2 EMAIL deliveries 1100
acme-prod 2 EMAIL clicks 20
acme-prod 2 EMAIL conversions 2
acme-prod 2 EMAIL revenue 20.25
acme-prod 29 EMAIL users 600
acme-prod 29 EMAIL campaigns 1
acme-prod 29 EMAIL deliveries 1200
acme-prod 29 EMAIL clicks 30
acme-prod 29 EMAIL conversions 3
acme-prod 29 EMAIL revenue 0
acme-prod 30 EMAIL users 1500
acme-prod 30 EMAIL campaigns 2
acme-prod 30 EMAIL deliveries 3000
acme-prod 30 EMAIL clicks 60
acme-prod 30 EMAIL conversions 4
acme-prod 30 EMAIL revenue 41
acme-prod 59 EMAIL users 0
acme-prod 59 EMAIL deliveries 0
acme-prod 60 EMAIL users 99999
acme-prod 60 EMAIL deliveries 99999
acme-prod 0 PUSH_NOTIFICATION users 1200
acme-prod 0 PUSH_NOTIFICATION campaigns 3
acme-prod 0 PUSH_NOTIFICATION deliveries 4100
acme-prod 0 PUSH_NOTIFICATION clicks 210
acme-prod 0 PUSH_NOTIFICATION conversions 17
acme-prod 0 PUSH_NOTIFICATION revenue 1234.5
acme-prod 5 PUSH_NOTIFICATION users 0
acme-prod 5 PUSH_NOTIFICATION deliveries 0
acme-prod 40 PUSH_NOTIFICATION users 600
acme-prod 40 PUSH_NOTIFICATION campaigns 3
acme-prod 40 PUSH_NOTIFICATION deliveries 2050
acme-prod 40 PUSH_NOTIFICATION clicks 70
acme-prod 40 PUSH_NOTIFICATION conversions 0
acme-prod 40 PUSH_NOTIFICATION revenue 823
acme-prod 10 WHATSAPP users 40
acme-prod 10 WHATSAPP deliveries 50
acme-prod 45 SMS users 100
acme-prod 45 SMS deliveries 300
acme-prod 45 SMS clicks 5
acme-prod 0 OVERALL users 1700
acme-prod 0 OVERALL deliveries 5150
acme-prod 0 OVERALL revenue 1234.5
acme-prod 40 OVERALL users 700
acme-prod 40 OVERALL deliveries 2050
globex 3 EMAIL users 10
globex 3 EMAIL campaigns 1
globex 3 EMAIL deliveries 20
globex 4 SMS users 0
globex 4 SMS deliveries 5
globex 35 SMS users 0
globex 35 SMS deliveries 0
initech 50 EMAIL users 30
initech 50 EMAIL deliveries 90
umbrella 1 PUSH_NOTIFICATION deliveries 9223372036854775807
umbrella 2 PUSH_NOTIFICATION deliveries 9223372036854775807
umbrella 40 PUSH_NOTIFICATION deliveries (-9223372036854775807-1)
umbrella 1 PUSH_NOTIFICATION users 9223372036854775807
umbrella 1 EMAIL revenue 1.5
umbrella 2 EMAIL revenue 9223372036854775807
umbrella 1 EMAIL users 9223372036854775807
umbrella 40 EMAIL users 1
umbrella 2 EMAIL clicks (-9223372036854775807-1)
umbrella 3 EMAIL clicks (-9223372036854775807-1)
Bravo 1 EMAIL users 9
Bravo 40 EMAIL users 8
Bravo 1 EMAIL deliveries 17
Bravo 35 EMAIL deliveries 16
Bravo 1 EMAIL clicks 2
Bravo 31 EMAIL clicks 3
Bravo 1 EMAIL campaigns 2001
Bravo 31 EMAIL campaigns 2000
Bravo 1 EMAIL conversions 100001
Bravo 31 EMAIL conversions 100000
Bravo 1 EMAIL revenue 0.1
Bravo 2 EMAIL revenue 0.2
Bravo 3 EMAIL revenue 0.3
Bravo 40 EMAIL revenue 0.7
Bravo 1 SMS users 4503599627370497
Bravo 40 SMS users 1
Bravo 1 SMS deliveries 1000000000000
Bravo 40 SMS deliveries 3
Bravo 1 SMS clicks 2.0
Bravo 40 SMS clicks 2
Bravo 1 SMS revenue 10.5
Bravo 40 SMS revenue -4
Bravo 1 SMS campaigns 999996
Bravo 40 SMS campaigns 1000000
Bravo 1 SMS conversions 70368744178065
Bravo 40 SMS conversions 400
Bravo 1 PUSH_NOTIFICATION conversions 1
Bravo 40 PUSH_NOTIFICATION conversions 8
Bravo 1 PUSH_NOTIFICATION deliveries 0.25
Bravo 2 PUSH_NOTIFICATION deliveries 0.5
Bravo 41 PUSH_NOTIFICATION deliveries 1.5
Bravo 1 WEB users 3
Bravo 40 WEB users 0
Bravo 1 WEB deliveries 0
Bravo 40 WEB deliveries 0
Bravo 1 WEB clicks NULL
Bravo 2 WEB''S_PUSH users 1
Bravo 6 ${ESC}EVIL deliveries 6
EOF
	cat <<EOF

INSERT INTO active_users_daily (workspace, day, platform, dau, wau, mau, pull_id, updated_at) VALUES
 ('acme-prod', '$(D 0)', 'android', 1310, 5000, 20000, 7, $U),
 ('acme-prod', '$(D 1)', 'android', 1200, 4900, 19900, 7, $U),
 ('acme-prod', '$(D 2)', 'android', 1100, NULL, NULL, 7, $U),
 ('acme-prod', '$(D 40)', 'android', 999, 999, 999, 7, $U),
 ('acme-prod', '$(D 1)', 'ios', 300, 1500, 6000, 7, $U),
 ('acme-prod', '$(D 3)', 'ios', 280, 1450, 5900, 7, $U),
 ('acme-prod', '$(D 2)', 'web', NULL, 700, 2500, 7, $U),
 ('acme-prod', '$(D 40)', 'web', 999, 999, 999, 7, $U),
 ('globex', '$(D 3)', 'web', 10, 50, 200, 2, $U),
 ('umbrella', '$(D 1)', 'android', 9223372036854775807, NULL, NULL, 9, $U),
 ('umbrella', '$(D 1)', 'ios', 9223372036854775807, NULL, NULL, 9, $U),
 ('Bravo', '$(D 1)', 'web', 2.5, 10.0, NULL, 11, $U),
 ('Bravo', '$(D 2)', 'Web', 1, 2, 3, 11, $U),
 ('Bravo', '$(D 6)', 'android', 7, 8, 9, 11, $U);

INSERT INTO campaign (workspace, channel, campaign_id, title, status, category, created_on,
  start_date, sent, delivered, clicks, conversions, revenue, pull_id, updated_at) VALUES
 ('acme-prod', 'PUSH_NOTIFICATION', '~1a2b3c', 'Winter sale', 'RUNNING', 'PROMOTIONAL',
  '$(T 20 10:00:00)', '$(T 19 09:00:00)', 1000, 950, 40, 6, 310.5, 7, $U),
 ('acme-prod', 'EMAIL', '~2b3c4d', 'Newsletter <b>Nov</b> & more', 'COMPLETED', 'PROMOTIONAL',
  '$(T 6 10:00:00)', '$(T 5 09:00:00)', 500, 480, 12, NULL, NULL, 7, $U),
 ('acme-prod', 'EMAIL', '~old', 'Spring sale', 'COMPLETED', 'PROMOTIONAL',
  '$(T 101 10:00:00)', '$(T 100 09:00:00)', 700, 690, 30, 2, 99.5, 7, $U),
 ('globex', 'SMS', '~9', 'Flash', 'RUNNING', 'TRANSACTIONAL',
  '$(T 4 06:00:00)', NULL, 5, 5, 0, 0, 0, 2, $U),
 ('umbrella', 'PUSH_NOTIFICATION', '~big', 'Big', 'RUNNING', 'PROMOTIONAL',
  '$(T 3 10:00:00)', '$(T 2 09:00:00)', 9223372036854775807, 9223372036854775807, 0, 0, 0, 9, $U),
 ('Bravo', 'SMS', 'c01', 'O''Hare "deals"', 'RUNNING', 'PROMOTIONAL',
  '$(T 3 23:59:59)', NULL, 10, 100, 1, 0, 0.5, 11, $U),
 ('Bravo', 'EMAIL', 'c02', 'tab${ESC}[31mred', 'RUNNING', 'PROMOTIONAL',
  '$(T 4 00:00:00)', '$(T 3 00:00:00)', 10, 100, 1, 0, 0, 11, $U),
 ('Bravo', 'EMAIL', 'c03', '=SUM(A1)', 'RUNNING', NULL,
  NULL, '$(T 2 12:00:00)', 10, 100.5, 1, 0, 0, 11, $U),
 ('Bravo', 'EMAIL', 'C04', 'upper id', 'RUNNING', NULL,
  NULL, '$(T 2 12:00:00)', 10, 100, 1, 0, 0, 11, $U),
 ('Bravo', 'Email', 'c05', 'mixed channel', 'RUNNING', NULL,
  NULL, '$(T 2 12:00:00)', 10, 100, 1, 0, 0, 11, $U),
 ('Bravo', 'EMAIL', 'c06', NULL, NULL, NULL, NULL, '$(T 2 12:00:00)', NULL, NULL, NULL, NULL, NULL, 11, $U),
 ('Bravo', 'EMAIL', 'c07', 'seven', 'DONE', NULL, NULL, '$(T 2 12:00:00)', 1, 7, 0, 0, 0, 11, $U),
 ('Bravo', 'EMAIL', 'c08', 'eight', 'DONE', NULL, NULL, '$(T 2 12:00:00)', 1, 8, 0, 0, 0, 11, $U),
 ('Bravo', 'EMAIL', 'c09', 'nine', 'DONE', NULL, NULL, '$(T 2 12:00:00)', 1, 9, 0, 0, 0, 11, $U),
 ('Bravo', 'EMAIL', 'c10', 'ten', 'DONE', NULL, NULL, '$(T 2 12:00:00)', 1, 10.0, 0, 0, 0, 11, $U),
 ('Bravo', 'EMAIL', 'c11', 'eleven', 'DONE', NULL, NULL, '$(T 2 12:00:00)', 1, 1, 0, 0, 0, 11, $U),
 ('Bravo', 'EMAIL', 'c12', 'twelve', 'DONE', NULL, NULL, '$(T 2 12:00:00)', 1, 0, 0, 0, 0, 11, $U),
 ('Bravo', 'EMAIL', 'c13', 'old', 'DONE', NULL, NULL, '$(T 45 12:00:00)', 1, 1000, 0, 0, 0, 11, $U);

INSERT INTO seat (workspace, email, name, role, status, last_login_at, first_seen_at,
  last_seen_at, removed_at, pull_id, updated_at) VALUES
 ('acme-prod', 'ana@acme.example', 'Ana', 'ADMIN', 'ACTIVE', '$(T 10 00:00:00)', '$(T 300 09:00:00)', $U, NULL, 7, $U),
 ('acme-prod', 'bob@acme.example', 'Bob', 'MARKETER', 'ACTIVE', '$(T 45 00:00:00)', '$(T 300 09:00:00)', $U, NULL, 7, $U),
 ('acme-prod', 'cy@acme.example', 'Cy', 'ANALYST', 'ACTIVE', '$(T 75 00:00:00)', '$(T 300 09:00:00)', $U, NULL, 7, $U),
 ('acme-prod', 'dee@acme.example', 'Dee', 'MARKETER', 'ACTIVE', NULL, '$(T 300 09:00:00)', $U, NULL, 7, $U),
 ('acme-prod', 'eve@acme.example', 'Eve', 'ADMIN', 'ACTIVE', '$(T 5 00:00:00)', '$(T 300 09:00:00)', '$(T 4 09:00:41)', '$(T 3 09:00:41)', 7, $U),
 ('globex', 'fay@globex.example', 'Fay', 'ADMIN', 'ACTIVE', '$(T 200 00:00:00)', '$(T 300 09:00:00)', $U, NULL, 2, $U),
 ('globex', 'gus@globex.example', 'Gus', 'MARKETER', 'ACTIVE', '$(T 1 00:00:00)', '$(T 300 09:00:00)', $U, NULL, 2, $U),
 ('Bravo', 'Zed@bravo.example', 'Zed O''Neil', 'ADMIN', 'ACTIVE', NULL, '$(T 300 09:00:00)', $U, NULL, 11, $U),
 ('Bravo', 'amy@bravo.example', 'Amy${ESC}[2J "A"', '+ADMIN', '-1+1', NULL, '$(T 300 09:00:00)', $U, NULL, 11, $U),
 ('Bravo', 'Bob@bravo.example', 'Bob', 'MARKETER', 'ACTIVE', '$(T 200 00:00:00)', '$(T 300 09:00:00)', $U, NULL, 11, $U),
 ('Bravo', 'bob@bravo.example', 'bob', 'MARKETER', 'ACTIVE', '$(T 200 00:00:00)', '$(T 300 09:00:00)', $U, NULL, 11, $U),
 ('Bravo', 'cat@bravo.example', 'Cat', 'ANALYST', 'ACTIVE', '$(T 29 00:00:00)', '$(T 300 09:00:00)', $U, NULL, 11, $U),
 ('Bravo', 'dan@bravo.example', 'Dan', 'ANALYST', 'ACTIVE', '$(T 31 12:00:00)', '$(T 300 09:00:00)', $U, NULL, 11, $U),
 ('Bravo', 'old@bravo.example', 'Old', 'ANALYST', 'ACTIVE', '$(T 400 00:00:00)', '$(T 500 09:00:00)', '$(T 100 09:00:00)', '$(T 99 09:00:00)', 11, $U);

-- The overview's columns (schema 004-overview.sql): prices whose costs are
-- no exact doubles (9.99 * 3), a tiny one, none; intervals for "stale".
UPDATE workspace SET seat_price = 9.99, currency = 'EUR', interval_s = 3600
 WHERE name IN ('acme-prod', 'globex');
UPDATE workspace SET seat_price = 0.1, currency = 'USD', interval_s = 60 WHERE name = 'Bravo';
UPDATE workspace SET interval_s = 1 WHERE name = 'umbrella';
EOF
}

SCHEMA=$(
	set -- "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql
	echo $#
)
fixture_sql >"$T_DIR/fixture.sql"

# The SQLite store, as wegauged's migration leaves it.
LITE="$T_DIR/store.db"
{
	for f in "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql; do echo ".read $f"; done
	echo "PRAGMA application_id = 0x77676175;"
	echo "PRAGMA user_version = $SCHEMA;"
	echo "PRAGMA foreign_keys = ON;"
	echo "BEGIN;"
	echo ".read $T_DIR/fixture.sql"
	echo "COMMIT;"
} | sqlite3 -bail "$LITE" >/dev/null || fail "cannot build the SQLite store"

# The PostgreSQL store: the reader role, a database whose settings would
# change what a careless client prints, the schema/pg series with its
# rows in wegauge_schema (as the daemon's migration writes them), the rows.
PW='Tr0ub4dor-3x'
pg_in postgres postgres -c "CREATE ROLE reader LOGIN PASSWORD '$PW'" \
	-c "CREATE ROLE other LOGIN PASSWORD '$PW'"
if pg_in postgres postgres -c "CREATE DATABASE wgtest TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'" 2>/dev/null; then
	t_log "the database collates by ICU en-US"
else
	pg_in postgres postgres -c "CREATE DATABASE wgtest"
	t_log "no ICU here: the database collates by C.UTF-8"
fi
pg_in postgres postgres -c "ALTER DATABASE wgtest SET timezone = 'America/New_York'" \
	-c "ALTER DATABASE wgtest SET datestyle = 'SQL, DMY'" \
	-c "ALTER DATABASE wgtest SET extra_float_digits = -3"
{
	echo "BEGIN;"
	n=0
	for f in "$SOURCE_DIR"/schema/pg/[0-9][0-9][0-9]-*.sql; do
		n=$((n + 1))
		cat "$f"
		echo "INSERT INTO wegauge_schema (version, name) VALUES ($n, '$(basename "$f")');"
	done
	cat "$T_DIR/fixture.sql"
	echo "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;"
	echo "COMMIT;"
} | pg_in wgtest postgres >"$T_DIR/pg_load.log" 2>&1 || fail "cannot build the PostgreSQL store: $(tail -n 5 "$T_DIR/pg_load.log")"
PG="postgresql://reader:$PW@127.0.0.1:$PG_PORT/wgtest"

# ---- the same outputs ----

FAILS=0
failure() {
	t_log "FAIL: $*"
	FAILS=$((FAILS + 1))
}

# same NAME ARGS...: wegauge ARGS on both stores; stdout, stderr and exit code
# alike, and the exit code $WANT_RC (0).
same() {
	local name=$1 rl=0 rp=0
	shift
	"$WEGAUGE" -d "$LITE" "$@" >"$T_DIR/$name.lite" 2>"$T_DIR/$name.lite.err" || rl=$?
	"$WEGAUGE" -d "$PG" "$@" >"$T_DIR/$name.pg" 2>"$T_DIR/$name.pg.err" || rp=$?
	[ "$rl" = "$rp" ] || failure "$name: exit $rl on SQLite, $rp on PostgreSQL: $(cat "$T_DIR/$name.pg.err")"
	[ "$rl" = "${WANT_RC:-0}" ] || failure "$name: exit $rl, expected ${WANT_RC:-0}: $(cat "$T_DIR/$name.lite.err")"
	if ! cmp -s "$T_DIR/$name.lite" "$T_DIR/$name.pg"; then
		failure "$name: the outputs differ (- SQLite, + PostgreSQL):"
		diff -u "$T_DIR/$name.lite" "$T_DIR/$name.pg" >&2 || true
	fi
	# The store's name in an error is the only difference allowed.
	sed "s|$LITE|STORE|" "$T_DIR/$name.lite.err" >"$T_DIR/$name.lite.err2"
	sed "s|user=reader dbname=wgtest host=127.0.0.1 port=$PG_PORT|STORE|" \
		"$T_DIR/$name.pg.err" >"$T_DIR/$name.pg.err2"
	cmp -s "$T_DIR/$name.lite.err2" "$T_DIR/$name.pg.err2" ||
		failure "$name: stderr differs: '$(cat "$T_DIR/$name.lite.err")' and '$(cat "$T_DIR/$name.pg.err")'"
	[ -s "$T_DIR/$name.lite" ] || [ -s "$T_DIR/$name.lite.err" ] || failure "$name: no output at all"
	return 0
}

# every NAME ARGS...: same, in each format.
every() {
	local name=$1 fmt
	shift
	for fmt in table csv json; do
		same "$name.$fmt" "$@" --format "$fmt"
	done
}

WANT_RC=1 every status status
every status_acme status --workspace acme-prod
WANT_RC=1 every status_hooli status --workspace hooli
every report report
every report_7d report --days 7
every report_1d report --days 1
every report_90d report --days 90
every report_bravo report --workspace Bravo
every report_umbrella report --workspace umbrella --days 30
every seats seats
every seats_inactive_30d seats --inactive 30d
every seats_inactive_1s seats --inactive 1s
every seats_inactive_60d_acme seats --inactive 60d --workspace acme-prod
every seats_bravo seats --inactive 400d --workspace Bravo
every pulls pulls
every pulls_failed pulls --failed
every pulls_last2 pulls --last 2
every pulls_globex pulls --workspace globex --failed --last 1
every pulls_bravo pulls --workspace Bravo
WANT_RC=1 same nope pulls --workspace nope
every overview overview
every overview_all overview --limit 0
every overview_7d overview --days 7 --sort cost
every overview_1d overview --days 1 --sort utilization --limit 3
every overview_90d overview --days 90 --sort dau
every overview_name overview --sort name --limit 0
every overview_channels overview --sort channels --limit 2
every overview_bravo overview --workspace Bravo
every overview_umbrella overview --workspace umbrella --sort deliveries

# report --html: the same page (up to the instant it was made) and the same report printed.
html() {
	local name=$1 s
	shift
	# The printed report alike; then each store's page written apart (same()
	# runs both stores with the same arguments: its page is the second's).
	same "$name" report "$@" --html "$T_DIR/$name.html.same"
	"$WEGAUGE" -d "$LITE" report "$@" --html "$T_DIR/$name.lite.html" >/dev/null 2>&1 ||
		failure "$name: report --html on SQLite"
	"$WEGAUGE" -d "$PG" report "$@" --html "$T_DIR/$name.pg.html" >/dev/null 2>&1 ||
		failure "$name: report --html on PostgreSQL"
	for s in lite pg; do
		sed -E 's/Generated [0-9TZ:-]+\./Generated (now)./' "$T_DIR/$name.$s.html" >"$T_DIR/$name.$s.html.n"
	done
	if ! cmp -s "$T_DIR/$name.lite.html.n" "$T_DIR/$name.pg.html.n"; then
		failure "$name: the HTML pages differ (- SQLite, + PostgreSQL):"
		diff -u "$T_DIR/$name.lite.html.n" "$T_DIR/$name.pg.html.n" | head -60 >&2 || true
	fi
	grep -q '<section class="workspace"' "$T_DIR/$name.pg.html" || failure "$name: an empty page"
}
html html
html html_bravo --workspace Bravo --days 7
html html_umbrella --workspace umbrella --format csv

# overview --html and --html-dir: the same pages (up to the instant they
# were made), each store's written apart (same() would write both to one
# place), and the same overview printed.
ov_html() {
	local name=$1 s f src
	shift
	for s in lite pg; do
		src=$LITE
		[ "$s" = lite ] || src=$PG
		"$WEGAUGE" -d "$src" overview "$@" --html "$T_DIR/$name.$s.page" \
			--html-dir "$T_DIR/$name.$s.d" >"$T_DIR/$name.$s.out" 2>&1 ||
			failure "$name: overview --html on $s: $(cat "$T_DIR/$name.$s.out")"
	done
	cmp -s "$T_DIR/$name.lite.out" "$T_DIR/$name.pg.out" || failure "$name: printed another overview"
	(cd "$T_DIR/$name.lite.d" && find . -type f | sort) >"$T_DIR/$name.files"
	(cd "$T_DIR/$name.pg.d" && find . -type f | sort) | cmp -s - "$T_DIR/$name.files" ||
		failure "$name: --html-dir wrote other files on PostgreSQL"
	: >"$T_DIR/$name.differ"
	for f in ./page $(cat "$T_DIR/$name.files"); do
		for s in lite pg; do
			src="$T_DIR/$name.$s.d/$f"
			[ "$f" != ./page ] || src="$T_DIR/$name.$s.page"
			sed -E 's/Generated [0-9TZ:-]+\./Generated (now)./' "$src" >"$T_DIR/$name.$s.n"
		done
		if ! cmp -s "$T_DIR/$name.lite.n" "$T_DIR/$name.pg.n"; then
			echo "$f" >>"$T_DIR/$name.differ"
			diff -u "$T_DIR/$name.lite.n" "$T_DIR/$name.pg.n" | head -40 >&2 || true
		fi
	done
	[ ! -s "$T_DIR/$name.differ" ] || failure "$name: pages differ: $(tr '\n' ' ' <"$T_DIR/$name.differ")"
	grep -q '<div id="all"' "$T_DIR/$name.pg.page" || failure "$name: no table of every workspace"
	grep -q '<a href="w/Bravo.html">' "$T_DIR/$name.pg.d/index.html" ||
		failure "$name: index.html does not link the workspaces' pages"
	[ "$(wc -l <"$T_DIR/$name.files")" = 8 ] ||
		failure "$name: --html-dir wrote $(tr '\n' ' ' <"$T_DIR/$name.files"), not index.html and 7 pages"
}
ov_html ov_html
ov_html ov_html_7d --days 7 --limit 2

# Both outputs were checked against each other; a few against what they must say.
want() { # FILE TEXT: FILE has the line TEXT (CR removed)
	tr -d '\r' <"$T_DIR/$1" | grep -qxF -- "$2" || failure "$1 lacks the line: $2"
}
# Changes at a tie (+12.5%, 6.25 -> +6.3%, 0.05 -> +0.1%), near zero, beyond 2^52 and
# at a binary tie beyond 2^42 percent; 0.3 + 0.2 + 0.1 added in the order of their days.
want report_bravo.csv.pg "channels,Bravo,EMAIL,9,+12.5%,2001,+0.1%,17,+6.3%,2,-33.3%,100001,0.0%,0.6,-14.3%,1,-50.0%,,,,,"
want report_bravo.csv.pg "channels,Bravo,SMS,4503599627370497,+450359962737049600.0%,999996,0.0%,1000000000000,+33333333333233.3%,2.0,0.0%,70368744178065,+17592186044416.2%,10.5,+362.5%,1,0.0%,,,,,"
want report_umbrella.json.pg '  {"section":"channels","workspace":"umbrella","channel":"PUSH_NOTIFICATION","users":9223372036854775807,"users_change":"new","campaigns":null,"campaigns_change":"-","deliveries":1.8446744073709552e+19,"deliveries_change":"+300.0%","clicks":null,"clicks_change":"-","conversions":null,"conversions_change":"-","revenue":null,"revenue_change":"-","active_days":2,"active_days_change":"+100.0%"},'

# ---- other ways to name the store, and the password ----

# -d in key=value form.
KV="host=127.0.0.1 port=$PG_PORT dbname=wgtest user=reader password=$PW"
"$WEGAUGE" -d "$KV" pulls --format csv >"$T_DIR/kv.csv" 2>&1 || failure "key=value: $(cat "$T_DIR/kv.csv")"
"$WEGAUGE" -d "$LITE" pulls --format csv | cmp -s - "$T_DIR/kv.csv" || failure "key=value: other output"

# PGPASSWORD, with a URI that has no password.
PGPASSWORD=$PW "$WEGAUGE" -d "postgresql://reader@127.0.0.1:$PG_PORT/wgtest" seats >"$T_DIR/env.out" 2>&1 ||
	failure "PGPASSWORD: $(cat "$T_DIR/env.out")"

# -c CONFIG with database_password_file (as wegauged reads it: not readable by others).
mkdir -p "$T_DIR/etc"
printf '%s\n' "$PW" >"$T_DIR/etc/db.pass"
chmod 600 "$T_DIR/etc/db.pass"
cat >"$T_DIR/etc/wegauged.conf" <<EOF
[daemon]
database = postgresql://reader@127.0.0.1:$PG_PORT/wgtest
database_password_file = $T_DIR/etc/db.pass
EOF
"$WEGAUGE" -c "$T_DIR/etc/wegauged.conf" report --format json >"$T_DIR/conf.json" 2>"$T_DIR/conf.err" ||
	failure "-c with database_password_file: $(cat "$T_DIR/conf.err")"
cmp -s "$T_DIR/conf.json" "$T_DIR/report.json.lite" || failure "-c: another report than with -d"
chmod 644 "$T_DIR/etc/db.pass"
rc=0
"$WEGAUGE" -c "$T_DIR/etc/wegauged.conf" status >"$T_DIR/conf2.out" 2>"$T_DIR/conf2.err" || rc=$?
[ "$rc" = 1 ] && [ "$(wc -l <"$T_DIR/conf2.err")" = 1 ] && grep -q "database_password_file" "$T_DIR/conf2.err" ||
	failure "a password file readable by others: exit $rc, '$(cat "$T_DIR/conf2.err")'"
grep -qF "$PW" "$T_DIR/conf2.err" && failure "the password file's content was printed"
chmod 600 "$T_DIR/etc/db.pass"

# expect_error RC TEXT ARGS...: wegauge ARGS exits RC with one line on
# stderr holding TEXT, nothing on stdout, and none of the passwords.
expect_error() {
	want_rc=$1
	want_msg=$2
	shift 2
	rc=0
	"$WEGAUGE" "$@" >"$T_DIR/err.out" 2>"$T_DIR/err.err" || rc=$?
	[ "$rc" = "$want_rc" ] || failure "wegauge $*: exit $rc, expected $want_rc"
	if [ "$(wc -l <"$T_DIR/err.err")" != 1 ] || ! grep -qF -- "$want_msg" "$T_DIR/err.err"; then
		failure "wegauge $*: stderr '$(cat "$T_DIR/err.err")' lacks '$want_msg'"
	fi
	[ -s "$T_DIR/err.out" ] && failure "wegauge $*: wrote to stdout on error"
	for secret in "$PW" "Wr0ngPassw0rd-7" "Secr3t-unused"; do
		grep -qF -- "$secret" "$T_DIR/err.err" && failure "wegauge $*: the password is in: $(cat "$T_DIR/err.err")"
	done
	t_log "as expected: $(cat "$T_DIR/err.err")"
}

# The database as errors name it: libpq's parse of the string, without the password.
NAME="user=reader dbname=wgtest host=127.0.0.1 port=$PG_PORT"
expect_error 1 "database $NAME: cannot connect: " \
	-d "postgresql://reader:Wr0ngPassw0rd-7@127.0.0.1:$PG_PORT/wgtest" status
expect_error 1 "password authentication failed for user \"reader\"" \
	-d "postgresql://reader:Wr0ngPassw0rd-7@127.0.0.1:$PG_PORT/wgtest" report
# a wrong password in the file given by -c
printf 'Wr0ngPassw0rd-7\n' >"$T_DIR/etc/db.pass"
expect_error 1 "password authentication failed" -c "$T_DIR/etc/wegauged.conf" seats
printf '%s\n' "$PW" >"$T_DIR/etc/db.pass"
# a port where nothing listens: refused at once
free_port
t0=$(date +%s)
expect_error 1 "database user=reader dbname=wgtest host=127.0.0.1 port=$FREE_PORT: cannot connect: " \
	-d "postgresql://reader:Secr3t-unused@127.0.0.1:$FREE_PORT/wgtest" pulls
[ $(($(date +%s) - t0)) -lt 10 ] || failure "an unreachable port took $(($(date +%s) - t0)) s"
# a connection string libpq cannot read: its text (password and all) is not shown
expect_error 1 "(a connection string libpq cannot read)" \
	-d "postgresql://reader:Secr3t-unused@127.0.0.1:$PG_PORT/wgtest?frobnicate=%zz" status
expect_error 1 "(a connection string libpq cannot read)" -d "host=127.0.0.1 password=Secr3t-unused port" status

# Databases that are not this build's store.
pg_in postgres postgres -c "CREATE DATABASE empty" -c "CREATE DATABASE alien" \
	-c "CREATE DATABASE wgnew TEMPLATE wgtest" -c "CREATE DATABASE wgold TEMPLATE wgtest" \
	-c "CREATE DATABASE wgnone TEMPLATE wgtest"
pg_in alien postgres -c "CREATE TABLE t (x int)" -c "GRANT SELECT ON t TO reader"
pg_in wgnew postgres -c "INSERT INTO wegauge_schema (version, name) VALUES (99, '099-future.sql')"
pg_in wgold postgres -c "DELETE FROM wegauge_schema WHERE version > 1"
pg_in wgnone postgres -c "DELETE FROM wegauge_schema"
uri() { echo "postgresql://reader:$PW@127.0.0.1:$PG_PORT/$1"; }
expect_error 1 "database user=reader dbname=empty host=127.0.0.1 port=$PG_PORT: an empty database, not a wegauge store yet" \
	-d "$(uri empty)" status
expect_error 1 "database user=reader dbname=alien host=127.0.0.1 port=$PG_PORT: not a wegauge store (it has no table wegauge_schema)" \
	-d "$(uri alien)" seats
expect_error 1 "schema version 99 is newer than this wegauge knows ($SCHEMA): upgrade wegauge" \
	-d "$(uri wgnew)" report
expect_error 1 "schema version 1 is older than this wegauge knows ($SCHEMA): start wegauged once to migrate the store" \
	-d "$(uri wgold)" pulls
expect_error 1 "schema version 0 is older than this wegauge knows ($SCHEMA)" -d "$(uri wgnone)" status
# the same database as someone who may not read the store
expect_error 1 "cannot read it: permission denied for table wegauge_schema" \
	-d "postgresql://other:$PW@127.0.0.1:$PG_PORT/wgtest" status

# Nothing was written: the tool's session is read-only.
n=$(pg_in wgtest postgres -c "SELECT count(*) FROM pull")
[ "$n" = 13 ] || failure "the PostgreSQL store has $n pulls, expected 13"

# ---- connect and disconnect wait for the verdict in the PostgreSQL store ----
#
# A stand-in for wegauged: on SIGHUP it runs $T_DIR/on_hup.sql in the
# database wgconn, as the daemon would write its verdict there; the tool
# reads it with the password of database_password_file.
pg_in postgres postgres -c "CREATE DATABASE wgconn TEMPLATE wgtest"
mkdir -p "$T_DIR/etc/workspaces.d" "$T_DIR/etc/keys"
cat >"$T_DIR/etc/connect.conf" <<EOF
[daemon]
database = postgresql://reader@127.0.0.1:$PG_PORT/wgconn
database_password_file = $T_DIR/etc/db.pass
include_dir = $T_DIR/etc/workspaces.d
key_dir = $T_DIR/etc/keys
EOF
stand_in() {
	trap 'pg_in wgconn postgres -f "$T_DIR/on_hup.sql" >>"$T_DIR/stand_in.log" 2>&1' HUP
	while :; do sleep 0.1; done
}
stand_in &
STAND_IN=$!
t_track "$STAND_IN"
KEY="k3y-$(date +%s%N)"
printf '%s\n' "$KEY" >"$T_DIR/new.key"
chmod 600 "$T_DIR/new.key"
FP=$(printf '%s' "$KEY" | sha256sum | cut -c1-16)
cat >"$T_DIR/on_hup.sql" <<EOF
INSERT INTO workspace (name, license_code, data_center, base_url, state, key_fingerprint)
VALUES ('newco', 'abc123', 'global', 'https://api.webengage.com', 'connected', '$FP');
INSERT INTO pull (id, workspace, started_at, finished_at, status, requests, retries, rows)
VALUES (100, 'newco', now(), now(), 'ok', 3, 0, 5);
EOF
rc=0
"$WEGAUGE" -c "$T_DIR/etc/connect.conf" connect newco --license-code abc123 \
	--key-file "$T_DIR/new.key" --pid "$STAND_IN" --wait 30s >"$T_DIR/connect.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || failure "connect on PostgreSQL: exit $rc: $(cat "$T_DIR/connect.out")"
grep -qxF "newco: connected: WebEngage accepted the key (fingerprint $FP)" "$T_DIR/connect.out" &&
	grep -qxF "newco: first pull #100: ok, 5 rows" "$T_DIR/connect.out" ||
	failure "connect on PostgreSQL: $(cat "$T_DIR/connect.out")"
echo "UPDATE workspace SET state = 'removed' WHERE name = 'newco';" >"$T_DIR/on_hup.sql"
rc=0
"$WEGAUGE" -c "$T_DIR/etc/connect.conf" disconnect newco --pid "$STAND_IN" --wait 30s \
	>"$T_DIR/disconnect.out" 2>&1 || rc=$?
[ "$rc" = 0 ] && grep -qxF "newco: removed; its history stays in the store" "$T_DIR/disconnect.out" ||
	failure "disconnect on PostgreSQL: exit $rc: $(cat "$T_DIR/disconnect.out")"
grep -qF -- "$PW" "$T_DIR/connect.out" "$T_DIR/disconnect.out" && failure "a password was printed"
kill "$STAND_IN"
wait "$STAND_IN" 2>/dev/null || true
t_untrack "$STAND_IN"

if [ "$FAILS" != 0 ]; then
	if [ "$(date -u +%F)" != "$TODAY" ]; then
		t_log "the UTC day changed during the test; its windows moved under it"
	fi
	fail "$FAILS check(s) failed"
fi
t_pass
