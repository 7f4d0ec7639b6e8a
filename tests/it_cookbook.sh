# tests/it_cookbook.sh: every query of docs/operations.md runs without
# error against a populated store of its kind and returns at least one row.
#
# A ```sql block is a SQLite query, a ```sql postgresql block a PostgreSQL
# one, a ```sql sqlite postgresql block a query for both stores. The
# document must hold at least ten of each kind, and as many of one as of
# the other (every question of the cookbook answered on both stores).
#
# The SQLite store is schema/*.sql plus tests/fixtures/cli/populate.sql and
# overflow.sql (days relative to today; one workspace whose totals leave
# the 64-bit range, which no query may fail on). Each block runs on its own
# with `sqlite3 -bail -readonly -json`, which prints nothing for no rows.
#
# The PostgreSQL store is schema/pg/*.sql in a server of tests/lib_pg.sh,
# with every row of the SQLite store copied in as sqlite3 -json prints it
# (json_populate_recordset: an integer stays an integer, a real keeps its
# decimal point, instants become timestamptz). Each block runs on its own
# with psql in a read-only transaction, in the server's time zone, which is
# not UTC. Without PostgreSQL 15 the SQLite part runs, and then the test
# exits 77 (skipped).
#
# Environment (ctest): SOURCE_DIR, FIXTURES, TEST_TMP, WESIM (a free port).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
: "${SOURCE_DIR:?}"
: "${FIXTURES:?}"
t_init it_cookbook
DOC="$SOURCE_DIR/docs/operations.md"

DB="$T_DIR/store.db"
{
	for f in "$SOURCE_DIR"/schema/[0-9][0-9][0-9]-*.sql; do echo ".read $f"; done
	echo ".read $FIXTURES/cli/populate.sql"
	echo ".read $FIXTURES/cli/overflow.sql"
} | sqlite3 -bail "$DB" >/dev/null

# Issue 12, finding 6: umbrella's totals leave the 64-bit range; the view
# answers for everyone, exact where a total fits, a real where not.
got=$(sqlite3 -bail -readonly -json "$DB" "SELECT * FROM v_feature_usage_30d
	WHERE feature = 'PUSH_NOTIFICATION' ORDER BY workspace")
want='[{"workspace":"acme-prod","feature":"PUSH_NOTIFICATION","users":1200,"campaigns":3,"deliveries":4100,"clicks":210,"conversions":17,"revenue":1234.5,"active_days":1},
{"workspace":"umbrella","feature":"PUSH_NOTIFICATION","users":9223372036854775807,"campaigns":null,"deliveries":18446744073709551615.0,"clicks":null,"conversions":null,"revenue":null,"active_days":2}]'
if [ "$got" != "$want" ]; then
	echo "got:  $got" >&2
	echo "want: $want" >&2
	fail "v_feature_usage_30d with an overflowing workspace"
fi

# Split the document: block N (from 1) into $T_DIR/qN.sql, with the line it
# starts on in qN.line and the stores it is for in qN.stores.
awk -v dir="$T_DIR" '
	/^```sql([ \t]+[a-z]+)*[ \t]*$/ {
		n++; on = 1; file = dir "/q" n ".sql"
		stores = $0
		sub(/^```sql[ \t]*/, "", stores)
		sub(/[ \t]+$/, "", stores)
		print NR > (dir "/q" n ".line")
		print (stores == "" ? "sqlite" : stores) > (dir "/q" n ".stores")
		next
	}
	on && /^```[ \t]*$/ { on = 0; close(file); next }
	on { print > file }
	END { if (on) { print "unterminated sql block"; exit 1 } print n + 0 > (dir "/count") }
' "$DOC"
count=$(cat "$T_DIR/count")
n_sqlite=0
n_pg=0
i=1
while [ "$i" -le "$count" ]; do
	for s in $(cat "$T_DIR/q$i.stores"); do
		case $s in
		sqlite) n_sqlite=$((n_sqlite + 1)) ;;
		postgresql) n_pg=$((n_pg + 1)) ;;
		*) fail "$DOC:$(cat "$T_DIR/q$i.line"): \`\`\`sql $s: expected sqlite or postgresql" ;;
		esac
	done
	i=$((i + 1))
done
[ "$n_sqlite" -ge 10 ] && [ "$n_pg" -ge 10 ] ||
	fail "$DOC has $n_sqlite SQLite and $n_pg PostgreSQL queries, expected at least 10 each"
[ "$n_sqlite" = "$n_pg" ] ||
	fail "$DOC has $n_sqlite SQLite but $n_pg PostgreSQL queries: each needs both forms"

# run_blocks STORE RUNNER: run every block for STORE with RUNNER (reads the
# query on stdin, prints rows; nothing for no rows); count the failures.
run_blocks() {
	local store=$1 runner=$2 q line fails=0 ran=0
	i=1
	while [ "$i" -le "$count" ]; do
		if grep -qw "$store" "$T_DIR/q$i.stores"; then
			q="$T_DIR/q$i.sql"
			line=$(cat "$T_DIR/q$i.line")
			ran=$((ran + 1))
			if ! $runner <"$q" >"$q.$store.out" 2>"$q.$store.err"; then
				t_log "FAIL: $DOC:$line: the $store query failed: $(cat "$q.$store.err")"
				fails=$((fails + 1))
			elif [ -s "$q.$store.err" ]; then
				t_log "FAIL: $DOC:$line: $store complained: $(cat "$q.$store.err")"
				fails=$((fails + 1))
			elif ! [ -s "$q.$store.out" ]; then
				t_log "FAIL: $DOC:$line: the $store query returned no row on the test store"
				fails=$((fails + 1))
			fi
		fi
		i=$((i + 1))
	done
	[ "$fails" = 0 ] || fail "$fails of $ran $store queries failed"
	t_log "$ran $store queries ran and returned rows"
}

# sqlite3 -json prints "[{...}]" for rows and nothing for none.
run_sqlite() { sqlite3 -bail -readonly -json "$DB"; }
run_blocks sqlite run_sqlite

# ---- PostgreSQL ----------------------------------------------------------------
start_pg
for f in "$SOURCE_DIR"/schema/pg/[0-9][0-9][0-9]-*.sql; do
	pg_sql - -1 <"$f" || fail "$f does not apply"
done
# The SQLite store's rows, table by table in the order of the foreign keys.
for t in workspace pull feature_usage_daily campaign active_users_daily seat; do
	sqlite3 -bail -json "$DB" "SELECT * FROM $t" >"$T_DIR/$t.json"
	[ -s "$T_DIR/$t.json" ] || fail "the SQLite test store has no $t"
	pg_sql "\\set rows \`cat '$T_DIR/$t.json'\`
INSERT INTO $t SELECT * FROM json_populate_recordset(NULL::$t, :'rows');" ||
		fail "cannot copy $t into PostgreSQL"
	[ "$(pg_sql "SELECT count(*) FROM $t")" = "$(sqlite3 "$DB" "SELECT count(*) FROM $t")" ] ||
		fail "$t: not every row was copied"
done

# The same view on PostgreSQL: numeric totals are exact however large, so
# umbrella's deliveries are the integer 2 x 9223372036854775807.
got=$(pg_sql "SELECT row_to_json(v) FROM v_feature_usage_30d AS v
	WHERE feature = 'PUSH_NOTIFICATION' ORDER BY workspace")
want='{"workspace":"acme-prod","feature":"PUSH_NOTIFICATION","users":1200,"campaigns":3,"deliveries":4100,"clicks":210,"conversions":17,"revenue":1234.5,"active_days":1}
{"workspace":"umbrella","feature":"PUSH_NOTIFICATION","users":9223372036854775807,"campaigns":null,"deliveries":18446744073709551614,"clicks":null,"conversions":null,"revenue":null,"active_days":2}'
if [ "$got" != "$want" ]; then
	echo "got:  $got" >&2
	echo "want: $want" >&2
	fail "v_feature_usage_30d on PostgreSQL with an overflowing workspace"
fi

# psql -A -t prints a line per row and nothing for none; the session is
# read-only as a reader's should be.
run_pg() {
	{
		echo 'SET default_transaction_read_only = on;'
		cat
	} | pg_sql -
}
run_blocks postgresql run_pg

# A question's two forms give it the same answer on the same rows: a
# SQLite-only block and the PostgreSQL-only block after it return as many
# rows (counted around the query, as a value may span lines).
count_rows() { sed '$ s/;[[:space:]]*$//' "$1"; }
pairs=0
i=1
while [ "$i" -lt "$count" ]; do
	j=$((i + 1))
	if [ "$(cat "$T_DIR/q$i.stores")" = sqlite ] &&
		[ "$(cat "$T_DIR/q$j.stores")" = postgresql ]; then
		a=$(sqlite3 -bail -readonly "$DB" "SELECT count(*) FROM ($(count_rows "$T_DIR/q$i.sql")
) AS q")
		b=$(pg_sql "SELECT count(*) FROM ($(count_rows "$T_DIR/q$j.sql")
) AS q")
		[ "$a" = "$b" ] || fail "$DOC:$(cat "$T_DIR/q$j.line"): $b rows on PostgreSQL," \
			"$a on SQLite ($DOC:$(cat "$T_DIR/q$i.line"))"
		pairs=$((pairs + 1))
	fi
	i=$((i + 1))
done
[ "$pairs" -gt 0 ] || fail "no SQLite query is followed by its PostgreSQL form"
t_log "$pairs questions: as many rows from the SQLite as from the PostgreSQL form"

t_pass
