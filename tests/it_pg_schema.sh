#!/bin/bash
# it_pg_schema.sh: the PostgreSQL schema series (schema/pg/) describes the
# same store as the SQLite one (schema/) (issue 14).
#
# schema/*.sql goes into a fresh SQLite file with sqlite3, schema/pg/*.sql
# into a fresh PostgreSQL database (start_pg of tests/lib_pg.sh). Each side
# is then described in one text form, read from its own catalog, and the two
# descriptions must be equal line for line:
#  * the table names; for each table its columns in order, each with its
#    kind and whether it is NOT NULL, and its primary key columns in order;
#  * the view names, each with its column names in order;
#  * every CHECK (column IN ('a', 'b', ...)) of a table, as its set of
#    values (workspace.state, workspace.data_center, pull.status).
# A column's kind: an instant (SQLite: TEXT with the strftime CHECK of
# 'YYYY-MM-DDTHH:MM:SSZ'; PostgreSQL: timestamptz), a day (date(x, '+0
# days') IS x; date), a number the API may send as an integer or a real
# (ANY; numeric), an integer (INTEGER; integer or bigint), a real (REAL;
# double precision: workspace.seat_price), bytes (BLOB; bytea) or text.
# The series themselves must have the same file names (NNN-name.sql), in
# the same order.
#
# PostgreSQL's only table of its own is wegauge_schema (version, name,
# applied_at), its form of PRAGMA user_version: checked apart, and left out
# of the comparison. On a difference the test prints both descriptions'
# diff. It also checks that it can see one: a column added on either side,
# and a CHECK value changed, each make the descriptions differ (in a
# transaction rolled back, and on a copy of the SQLite file).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_pg.sh"
t_init it_pg_schema

SCHEMA="$SOURCE_DIR/schema"

# ---- the series: the same files ---------------------------------------------
(cd "$SCHEMA" && ls [0-9][0-9][0-9]-*.sql) >"$T_DIR/series.sqlite"
(cd "$SCHEMA/pg" && ls [0-9][0-9][0-9]-*.sql) >"$T_DIR/series.pg"
[ -s "$T_DIR/series.sqlite" ] || fail "no schema/NNN-*.sql"
if ! diff -u --label 'schema/' --label 'schema/pg/' "$T_DIR/series.sqlite" "$T_DIR/series.pg" \
	>"$T_DIR/series.diff"; then
	cat "$T_DIR/series.diff" >&2
	fail "schema/ and schema/pg/ do not hold the same NNN-name.sql files (diff above)"
fi
# Every file of either directory is in the series: no stray .sql, no gap.
for d in "$SCHEMA" "$SCHEMA/pg"; do
	n=0
	for f in "$d"/*.sql; do
		n=$((n + 1))
		case ${f##*/} in
		"$(printf '%03d' $n)"-*.sql) ;;
		*) fail "$f: expected the number $(printf '%03d' $n) (one file per number, from 001)" ;;
		esac
	done
done
t_log "both series: $(tr '\n' ' ' <"$T_DIR/series.sqlite")"

# ---- both stores ------------------------------------------------------------------
DB="$T_DIR/store.db"
while read -r f; do
	sqlite3 -bail "$DB" <"$SCHEMA/$f" >/dev/null || fail "schema/$f does not apply to SQLite"
done <"$T_DIR/series.sqlite"
start_pg
while read -r f; do
	pg_sql - -1 <"$SCHEMA/pg/$f" >/dev/null || fail "schema/pg/$f does not apply to PostgreSQL"
done <"$T_DIR/series.pg"

# ---- the descriptions --------------------------------------------------------------
# describe.py sqlite|pg: the catalog rows below (JSON) to the description.
cat >"$T_DIR/describe.py" <<'EOF'
import json, re, sys

side = sys.argv[1]
data = sys.stdin.read()
rows = json.loads(data) if side == "sqlite" else [json.loads(l) for l in data.splitlines()]
rels = {}    # name -> {"type", "cols": [(pos, name, kind, notnull)], "pk": {pos: name}}
checks = []  # (table, column, [values])

def quoted(text):
    return sorted(v.replace("''", "'") for v in re.findall(r"'((?:[^']|'')*)'", text))

for r in rows:
    if r["type"] == "check":
        m = re.fullmatch(r"CHECK \(+(\w+) = ANY \(+ARRAY\[(.*)\]\)+", r["def"])
        if m:
            checks.append((r["tbl"], m.group(1), quoted(m.group(2))))
        continue
    rel = rels.setdefault(r["tbl"], {"type": r["type"], "cols": [], "pk": {}, "sql": r.get("sql")})
    if side == "sqlite":
        # Instants and days are TEXT that the table's CHECKs hold to their form.
        sql = re.sub(r"--[^\n]*", "", r["sql"] or "")
        col = re.escape(r["col"])
        decl = (r["decl"] or "").upper()
        if re.search(r"strftime\('%Y-%m-%dT%H:%M:%SZ',\s*" + col + r",", sql):
            kind = "instant"
        elif re.search(r"date\(" + col + r",\s*'\+0 days'\)", sql):
            kind = "day"
        else:
            kind = {"ANY": "number", "INTEGER": "integer", "TEXT": "text",
                    "BLOB": "bytes", "REAL": "real"}.get(decl, decl)
        # Every table is STRICT, whose primary key columns are NOT NULL.
        notnull = bool(r["nn"]) or r["pk"] > 0
    else:
        kind = {"timestamp with time zone": "instant", "date": "day", "numeric": "number",
                "integer": "integer", "bigint": "integer", "text": "text",
                "bytea": "bytes", "double precision": "real"}.get(r["decl"], r["decl"])
        notnull = r["nn"]
    rel["cols"].append((r["pos"], r["col"], kind, notnull))
    if r["pk"]:
        rel["pk"][r["pk"]] = r["col"]

if side == "sqlite":
    for name, rel in rels.items():
        if rel["type"] != "table":
            continue
        sql = re.sub(r"--[^\n]*", "", rel["sql"])
        for m in re.finditer(r"\b(\w+)\s+IN\s*\(((?:\s*'(?:[^']|'')*'\s*,?)+)\)", sql):
            checks.append((name, m.group(1), quoted(m.group(2))))

out = []
for name in sorted(rels):
    rel = rels[name]
    t = rel["type"]
    out.append("%s %s" % (t, name))
    for pos, col, kind, notnull in sorted(rel["cols"]):
        if t == "table":
            out.append("%s %s column %02d %s %s%s" % (t, name, pos, col, kind,
                                                    " NOT NULL" if notnull else ""))
        else:
            out.append("%s %s column %02d %s" % (t, name, pos, col))
    if rel["pk"]:
        out.append("%s %s primary key (%s)" % (t, name,
                                               ", ".join(rel["pk"][k] for k in sorted(rel["pk"]))))
    for tbl, col, values in sorted(checks):
        if tbl == name:
            out.append("%s %s check %s IN (%s)" % (t, name, col, ", ".join(values)))
print("\n".join(out))
EOF

# describe_sqlite DB: the SQLite store's description.
describe_sqlite() {
	sqlite3 -bail -json "$1" "
SELECT m.type, m.name AS tbl, m.sql, c.cid + 1 AS pos, c.name AS col, c.type AS decl,
       c.\"notnull\" AS nn, c.pk
  FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS c
 WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
 ORDER BY m.name, c.cid" >"$T_DIR/catalog.json" || fail "cannot read SQLite's catalog"
	python3 "$T_DIR/describe.py" sqlite <"$T_DIR/catalog.json"
}

# The PostgreSQL store's catalog, as JSON lines: every column of every
# table and view of the current schema (pos counts the columns not
# dropped), and every CHECK constraint.
PG_CATALOG_SQL="
SELECT json_build_object('type', CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END,
         'tbl', c.relname,
         'pos', row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum),
         'col', a.attname, 'decl', format_type(a.atttypid, NULL), 'nn', a.attnotnull,
         'pk', (SELECT k.n FROM pg_index AS i, unnest(i.indkey) WITH ORDINALITY AS k (att, n)
                 WHERE i.indrelid = c.oid AND i.indisprimary AND k.att = a.attnum))
  FROM pg_class AS c
  JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
UNION ALL
SELECT json_build_object('type', 'check', 'tbl', t.relname, 'def', pg_get_constraintdef(k.oid))
  FROM pg_constraint AS k JOIN pg_class AS t ON t.oid = k.conrelid
 WHERE k.contype = 'c' AND k.connamespace = current_schema()::regnamespace;"

# describe_pg [SQL]: the PostgreSQL store's description; SQL runs first, in
# the same transaction, which is rolled back.
describe_pg() {
	printf 'BEGIN;\n%s\n%s\nROLLBACK;\n' "${1:-}" "$PG_CATALOG_SQL" | pg_sql - \
		>"$T_DIR/catalog.jsonl" || fail "cannot read PostgreSQL's catalog"
	python3 "$T_DIR/describe.py" pg <"$T_DIR/catalog.jsonl"
}

describe_sqlite "$DB" >"$T_DIR/sqlite.desc"
describe_pg >"$T_DIR/pg_all.desc"

# wegauge_schema: PostgreSQL's PRAGMA user_version, nothing of SQLite's.
grep '^table wegauge_schema ' "$T_DIR/pg_all.desc" >"$T_DIR/wegauge_schema.desc" || true
cat >"$T_DIR/wegauge_schema.want" <<'EOF'
table wegauge_schema column 01 version integer NOT NULL
table wegauge_schema column 02 name text NOT NULL
table wegauge_schema column 03 applied_at instant NOT NULL
table wegauge_schema primary key (version)
EOF
if ! diff -u "$T_DIR/wegauge_schema.want" "$T_DIR/wegauge_schema.desc" >&2; then
	fail "PostgreSQL's wegauge_schema is not (version, name, applied_at) keyed by version"
fi
grep -v '^table wegauge_schema\( \|$\)' "$T_DIR/pg_all.desc" >"$T_DIR/pg.desc"

# same_desc A B: the descriptions A and B are equal; else print their diff.
same_desc() {
	diff -u --label "SQLite (schema/*.sql)" --label "PostgreSQL (schema/pg/*.sql)" "$1" "$2" \
		>"$T_DIR/desc.diff"
}
if ! same_desc "$T_DIR/sqlite.desc" "$T_DIR/pg.desc"; then
	cat "$T_DIR/desc.diff" >&2
	fail "the two schema series describe different stores (diff above: - SQLite, + PostgreSQL)"
fi

# The description must hold what the comparison is for, or an empty or
# broken one would pass on both sides.
for want in 'table workspace column 01 name text NOT NULL' \
	'table pull column 01 id integer NOT NULL' 'table pull primary key (id)' \
	'table seat column 06 last_login_at instant' 'table campaign column 09 sent number' \
	'table feature_usage_daily column 02 day day NOT NULL' \
	'table feature_usage_daily primary key (workspace, day, feature, metric)' \
	'table workspace check state IN (auth_failed, connected, disabled, failing, pending, removed)' \
	'table pull check status IN (auth_failed, cancelled, failed, ok, partial, running)' \
	'table workspace check data_center IN (global, in, ksa)' \
	'view v_seat_utilization column 07 utilization_pct'; do
	grep -qxF -- "$want" "$T_DIR/sqlite.desc" || fail "the description lacks: $want"
done
for kind in table view; do
	n=$(grep -c "^$kind [a-z_0-9]*\$" "$T_DIR/sqlite.desc" || true)
	[ "$n" -gt 0 ] || fail "no $kind described"
	t_log "the same ${kind}s: $(grep "^$kind [a-z_0-9]*\$" "$T_DIR/sqlite.desc" |
		cut -d' ' -f2 | tr '\n' ' ')"
done
t_log "the same columns, kinds, NOT NULLs, primary keys and CHECK values:" \
	"$(wc -l <"$T_DIR/sqlite.desc") lines"

# ---- the comparison sees a difference ----------------------------------------------
# must_differ WHAT A B LINE: descriptions A and B differ, and the diff names LINE.
must_differ() {
	if same_desc "$2" "$3"; then
		fail "the comparison did not see $1"
	fi
	grep -qF -- "$4" "$T_DIR/desc.diff" || fail "$1: the diff does not show '$4':
$(cat "$T_DIR/desc.diff")"
}
describe_pg 'ALTER TABLE seat ADD COLUMN note text;' | grep -v '^table wegauge_schema' \
	>"$T_DIR/pg_more.desc"
must_differ "a column added in PostgreSQL" "$T_DIR/sqlite.desc" "$T_DIR/pg_more.desc" \
	'+table seat column 12 note text'
cp "$DB" "$T_DIR/more.db"
sqlite3 -bail "$T_DIR/more.db" 'ALTER TABLE pull ADD COLUMN note TEXT'
describe_sqlite "$T_DIR/more.db" >"$T_DIR/sqlite_more.desc"
must_differ "a column added in SQLite" "$T_DIR/sqlite_more.desc" "$T_DIR/pg.desc" \
	'-table pull column 11 note text'
describe_pg "ALTER TABLE pull DROP CONSTRAINT pull_status_check;
ALTER TABLE pull ADD CHECK (status IN ('running', 'ok', 'partial', 'failed', 'auth_failed',
                                       'cancelled', 'paused'));" |
	grep -v '^table wegauge_schema' >"$T_DIR/pg_check.desc"
must_differ "a CHECK value added in PostgreSQL" "$T_DIR/sqlite.desc" "$T_DIR/pg_check.desc" \
	'+table pull check status IN (auth_failed, cancelled, failed, ok, partial, paused, running)'
describe_pg 'ALTER TABLE campaign ALTER COLUMN sent TYPE bigint;' |
	grep -v '^table wegauge_schema' >"$T_DIR/pg_kind.desc"
must_differ "a number made an integer in PostgreSQL" "$T_DIR/sqlite.desc" "$T_DIR/pg_kind.desc" \
	'+table campaign column 09 sent integer'
[ "$(pg_sql "SELECT count(*) FROM information_schema.columns
              WHERE table_name = 'seat' AND column_name = 'note'")" = 0 ] ||
	fail "describe_pg's changes were not rolled back"
t_log "a column added on either side, a CHECK value and a kind changed: each seen"

t_pass
