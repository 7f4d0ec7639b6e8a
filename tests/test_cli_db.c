/*
 * test_cli_db.c: src/cli/cli_db.c: the read-only URI, what is refused as
 * a store and with which message, that the connection cannot write, and
 * that query results keep SQLite's types; and of src/cli/cli_db_pg.c what
 * needs no server: PostgreSQL values mapped to the same kinds, libpq's
 * parameters, error lines without the password, and a connection string
 * that cannot be read or reached (tests/it_cli_pg.sh runs a server).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_fixture.h"

#include <sqlite3.h>

#include "cli/cli_db.h"
#include "cli/cli_db_pg.h"
#include "store_migrate.h"

static int setup(void **state)
{
	(void)state;
	return fixture_mkdtemp("test_cli_db");
}

static int teardown(void **state)
{
	(void)state;
	return fixture_rmdir();
}

static void test_uri(void **state)
{
	(void)state;
	static const struct {
		const char *path, *uri;
	} cases[] = {
	        {"/var/lib/wegauge/wegauge.db", "file:///var/lib/wegauge/wegauge.db?mode=ro"},
	        {"rel/a b.db", "file:rel/a%20b.db?mode=ro"},
	        {"/x?y#z%&=", "file:///x%3Fy%23z%25%26%3D?mode=ro"},
	        {"//srv/x", "file:////srv/x?mode=ro"},
	        {"caf\xc3\xa9.db", "file:caf%C3%A9.db?mode=ro"},
	        {"a-._~b", "file:a-._~b?mode=ro"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[256];
		assert_int_equal(cli_db_uri(cases[i].path, false, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].uri);
	}
	char out[64];
	assert_int_equal(cli_db_uri("", false, out, sizeof(out)), -1);
	assert_int_equal(cli_db_uri(NULL, false, out, sizeof(out)), -1);
	/* the bound is checked against the worst case, 3 bytes per path byte */
	assert_int_equal(cli_db_uri("/abcdefghijklmnop", false, out, 17 * 3 + 7 + 8), -1);
	assert_int_equal(cli_db_uri("/abcdefghijklmnop", false, out, 17 * 3 + 7 + 9), 0);
	assert_int_equal(cli_db_uri("/a b", true, out, sizeof(out)), 0);
	assert_string_equal(out, "file:///a%20b?mode=ro&immutable=1");
	static char longpath[CLI_PATH_MAX + 2];
	memset(longpath, 'a', CLI_PATH_MAX + 1);
	static char big[CLI_PATH_MAX * 4];
	assert_int_equal(cli_db_uri(longpath, false, big, sizeof(big)), -1);
}

/* Create DIR/name with the SQL text sql (NULL: no file); its path in path. */
static void make_db(const char *name, const char *sql, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	if (sql == NULL)
		return;
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", name, msg);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_refused(void **state)
{
	(void)state;
	char sql_new[128], sql_old[128], sql_ok[128];
	snprintf(sql_ok, sizeof(sql_ok),
	         "PRAGMA application_id = 0x77676175; PRAGMA user_version = %d;"
	         " CREATE TABLE t (x)",
	         store_schema_version());
	snprintf(sql_new, sizeof(sql_new),
	         "PRAGMA application_id = 0x77676175; PRAGMA user_version = %d",
	         store_schema_version() + 1);
	snprintf(sql_old, sizeof(sql_old),
	         "PRAGMA application_id = 0x77676175; PRAGMA user_version = %d",
	         store_schema_version() - 1);
	char want_new[128], want_old[160];
	snprintf(want_new, sizeof(want_new),
	         ": schema version %d is newer than this wegauge knows (%d): upgrade wegauge",
	         store_schema_version() + 1, store_schema_version());
	snprintf(want_old, sizeof(want_old),
	         ": schema version %d is older than this wegauge knows (%d): start wegauged once "
	         "to migrate the store",
	         store_schema_version() - 1, store_schema_version());
	const struct {
		const char *name, *sql, *want;
	} cases[] = {
	        {"none.db", NULL, ": no such file"},
	        {"plain.db", "CREATE TABLE t (x)",
	         ": not a wegauge store (it has no wegauge application_id)"},
	        {"empty.db", "PRAGMA user_version = 0",
	         ": not a wegauge store (it has no wegauge application_id)"},
	        {"alien.db", "PRAGMA application_id = 42; CREATE TABLE t (x)",
	         ": not a wegauge store (application_id 0x2a belongs to another program)"},
	        {"new.db", sql_new, want_new},
	        {"old.db", sql_old, want_old},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[700], err[1024] = "", want[1024];
		make_db(cases[i].name, cases[i].sql, path, sizeof(path));
		struct cli_db *db = (struct cli_db *)&cases[i];
		assert_int_equal(cli_db_open(path, NULL, &db, err, sizeof(err)), -1);
		assert_null(db);
		snprintf(want, sizeof(want), "database %s%s", path, cases[i].want);
		assert_string_equal(err, want);
	}

	/* not a database at all, and not a regular file */
	char path[700], err[1024] = "", want[1024];
	snprintf(path, sizeof(path), "%s/text.db", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 100; i++)
		fputs("this is a text file, not a database\n", f);
	fclose(f);
	struct cli_db *db = NULL;
	assert_int_equal(cli_db_open(path, NULL, &db, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "database %s: not a SQLite database", path);
	assert_string_equal(err, want);
	assert_int_equal(cli_db_open(dir, NULL, &db, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "database %s: not a regular file", dir);
	assert_string_equal(err, want);
	assert_int_equal(cli_db_open("", NULL, &db, err, sizeof(err)), -1);
	assert_string_equal(err, "database path: expected 1 to 4095 bytes");

	/* the good one opens, read-only, even under an awkward name */
	make_db("a ?#%.db", sql_ok, path, sizeof(path));
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(cli_db_open(path, NULL, &db, err, sizeof(err)), 0);
	assert_non_null(db);
	assert_false(cli_db_is_pg(db));
	struct cli_result r = {0};
	assert_null(cli_db_query(db, &r, "write", NULL,
	                         (struct cli_query){"INSERT INTO t VALUES (1) RETURNING x", NULL},
	                         NULL, 0, err, sizeof(err)));
	assert_string_equal(err, "write: attempt to write a readonly database");
	assert_int_equal(cli_db_begin(db, err, sizeof(err)), 0);
	/* a query without a form for this kind of store */
	assert_null(cli_db_query(db, &r, "pg only", NULL, (struct cli_query){NULL, "SELECT 1"},
	                         NULL, 0, err, sizeof(err)));
	assert_string_equal(err, "pg only: no form of this query for SQLite");
	cli_result_free(&r);
	cli_db_close(db);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_mtime, after.st_mtime);
}

static void test_query_types(void **state)
{
	(void)state;
	char path[700], err[512] = "", sql[256];
	snprintf(sql, sizeof(sql),
	         "PRAGMA application_id = 0x77676175; PRAGMA user_version = %d;"
	         " CREATE TABLE t (k TEXT, v ANY) STRICT;"
	         " INSERT INTO t VALUES ('i', 42), ('r', 2.5), ('s', 'x,y'), ('n', NULL),"
	         " ('b', x'41420043')",
	         store_schema_version());
	make_db("types.db", sql, path, sizeof(path));
	struct cli_db *db = NULL;
	assert_int_equal(cli_db_open(path, NULL, &db, err, sizeof(err)), 0);
	struct cli_result r = {0};
	struct cli_bind b[] = {{CLI_BIND_TEXT, 0, "s"}, {CLI_BIND_INT, 2, NULL}};
	struct cli_section *s =
	        cli_db_query(db, &r, "types", "T",
	                     (struct cli_query){"SELECT k AS key, v AS value, ?2 AS two FROM t"
	                                        " WHERE k <> ?1 ORDER BY rowid",
	                                        NULL},
	                     b, 2, err, sizeof(err));
	assert_non_null(s);
	assert_string_equal(s->name, "types");
	assert_string_equal(s->title, "T");
	assert_int_equal(s->ncols, 3);
	assert_string_equal(s->cols[0], "key");
	assert_string_equal(s->cols[1], "value");
	assert_int_equal(s->nrows, 4);
	assert_int_equal(cli_section_cell(s, 0, 1)->kind, CLI_INT);
	assert_int_equal(cli_section_cell(s, 0, 1)->i, 42);
	assert_int_equal(cli_section_cell(s, 0, 2)->i, 2);
	assert_int_equal(cli_section_cell(s, 1, 1)->kind, CLI_REAL);
	assert_true(cli_section_cell(s, 1, 1)->d == 2.5);
	assert_int_equal(cli_section_cell(s, 2, 1)->kind, CLI_NULL);
	const struct cli_cell *blob = cli_section_cell(s, 3, 1);
	assert_int_equal(blob->kind, CLI_TEXT);
	assert_int_equal(blob->len, 4);
	assert_memory_equal(blob->s, "AB\0C", 4);

	/* a bad query names its section and SQLite's message */
	assert_null(cli_db_query(db, &r, "broken", NULL,
	                         (struct cli_query){"SELECT nope FROM t", NULL}, NULL, 0, err,
	                         sizeof(err)));
	assert_string_equal(err, "broken: no such column: nope");
	cli_result_free(&r);
	cli_db_close(db);
	cli_db_close(NULL);
}

/* cli_pg_cell of the text val for a column of type oid. */
static struct cli_cell pg_cell(unsigned oid, const char *val)
{
	struct cli_cell c = {0};
	assert_int_equal(cli_pg_cell(&c, oid, val, strlen(val)), 0);
	return c;
}

static void want_int(unsigned oid, const char *val, int64_t want)
{
	struct cli_cell c = pg_cell(oid, val);
	if (c.kind != CLI_INT || c.i != want)
		fail_msg("%s (oid %u): kind %d, %lld", val, oid, c.kind, (long long)c.i);
}

static void want_real(unsigned oid, const char *val, double want, const char *printed)
{
	struct cli_cell c = pg_cell(oid, val);
	if (c.kind != CLI_REAL || !(c.d == want || (want != want && c.d != c.d)))
		fail_msg("%s (oid %u): kind %d, %.17g", val, oid, c.kind, c.d);
	char buf[CLI_REAL_LEN];
	cli_format_real(c.d, buf);
	assert_string_equal(buf, printed);
}

static void want_text(unsigned oid, const char *val)
{
	struct cli_cell c = pg_cell(oid, val);
	assert_int_equal(c.kind, CLI_TEXT);
	assert_string_equal(c.s, val);
	free(c.s);
}

static void test_pg_cell(void **state)
{
	(void)state;
	/* integers by type; a numeric without a point is an integer while it fits */
	want_int(CLI_PG_INT2OID, "-7", -7);
	want_int(CLI_PG_INT4OID, "2147483647", 2147483647);
	want_int(CLI_PG_INT8OID, "-9223372036854775808", INT64_MIN);
	want_int(CLI_PG_NUMERICOID, "9223372036854775807", INT64_MAX);
	want_int(CLI_PG_NUMERICOID, "0", 0);
	want_int(CLI_PG_BOOLOID, "t", 1);
	want_int(CLI_PG_BOOLOID, "f", 0);
	/* a real keeps its point, however round; a total beyond 64 bits is a real, as in SQLite */
	want_real(CLI_PG_NUMERICOID, "2.0", 2.0, "2.0");
	want_real(CLI_PG_NUMERICOID, "10.50", 10.5, "10.5");
	want_real(CLI_PG_NUMERICOID, "-0.0001", -0.0001, "-0.0001");
	want_real(CLI_PG_NUMERICOID, "18446744073709551614", 18446744073709551614.0,
	          "1.8446744073709552e+19");
	want_real(CLI_PG_NUMERICOID, "-9223372036854775809", -9223372036854775809.0,
	          "-9.223372036854776e+18");
	want_real(CLI_PG_NUMERICOID, "0.30000000000000004", 0.30000000000000004,
	          "0.30000000000000004");
	/* a real total through its float8 text: 1e+300 comes back as 1 and 300 zeros, .0 */
	static char big[400];
	memset(big, '0', 301);
	big[0] = '1';
	memcpy(big + 301, ".0", 3);
	want_real(CLI_PG_NUMERICOID, big, 1e300, "1e+300");
	want_real(CLI_PG_FLOAT8OID, "12.5", 12.5, "12.5");
	want_real(CLI_PG_FLOAT8OID, "1e+20", 1e20, "1e+20");
	want_real(CLI_PG_FLOAT4OID, "25", 25.0, "25.0");
	want_real(CLI_PG_FLOAT8OID, "Infinity", HUGE_VAL, "null");
	want_real(CLI_PG_NUMERICOID, "NaN", NAN, "null");
	/* text, days and anything else as they are; a number that is none stays text */
	want_text(25, "O'Brien \x1b");
	want_text(1082, "2026-11-28");
	want_text(CLI_PG_INT8OID, "12abc");
	want_text(CLI_PG_BOOLOID, "true");
	struct cli_cell c = {0};
	assert_int_equal(cli_pg_cell(&c, 25, "a\0b", 3), 0);
	assert_int_equal(c.kind, CLI_TEXT);
	assert_int_equal(c.len, 3);
	free(c.s);
}

static void test_pg_message(void **state)
{
	(void)state;
	char out[256];
	const char *secrets[] = {"hunter2", NULL, ""};
	cli_pg_message("connection to server at \"db\" (10.0.0.1), port 5432 failed: FATAL:  "
	               "password authentication failed for user \"wegauge\"  \nsecond line\n",
	               secrets, 3, out, sizeof(out));
	assert_string_equal(out, "connection to server at \"db\" (10.0.0.1), port 5432 failed: "
	                         "FATAL:  password authentication failed for user \"wegauge\"");
	cli_pg_message("bad hunter2 and hunter2hunter2.\r\n", secrets, 3, out, sizeof(out));
	assert_string_equal(out, "bad *** and ******.");
	cli_pg_message("hunter2", secrets, 1, out, 5);
	assert_string_equal(out, "***");
	cli_pg_message(NULL, secrets, 1, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_pg_params(void **state)
{
	(void)state;
	const char *kw[CLI_PG_MAX_PARAMS + 1], *val[CLI_PG_MAX_PARAMS + 1];
	size_t n = cli_pg_params("postgresql://h/db", "pw", false, kw, val);
	assert_int_equal(n, 5);
	static const char *const want_kw[] = {"connect_timeout", "fallback_application_name",
	                                      "dbname", "client_encoding", "password"};
	static const char *const want_val[] = {"10", "wegauge", "postgresql://h/db", "UTF8", "pw"};
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(kw[i], want_kw[i]);
		assert_string_equal(val[i], want_val[i]);
	}
	assert_null(kw[n]);
	assert_null(val[n]);
	/* PGCONNECT_TIMEOUT set: libpq's; no password: libpq's own sources */
	n = cli_pg_params("host=h", NULL, true, kw, val);
	assert_int_equal(n, 3);
	assert_string_equal(kw[0], "fallback_application_name");
	assert_string_equal(kw[1], "dbname");
	assert_string_equal(kw[2], "client_encoding");
	assert_null(kw[3]);
}

/* PostgreSQL without a server: unreadable strings and a port where nothing listens. */
static void test_pg_refused(void **state)
{
	(void)state;
	char err[1024] = "";
	struct cli_db *db = (struct cli_db *)err;
	/* libpq's parse error would quote the password: not shown */
	assert_int_equal(
	        cli_db_open("postgresql://u:s3cret-pw@h/db?bogus=%zz", NULL, &db, err, sizeof(err)),
	        -1);
	assert_null(db);
	assert_string_equal(err, "database (a connection string libpq cannot read): expected a "
	                         "PostgreSQL URI (postgresql://USER@HOST:PORT/DB) or key=value "
	                         "pairs");
	assert_int_equal(cli_db_open("host=h password=s3cret-pw port", "x", &db, err, sizeof(err)),
	                 -1);
	assert_null(strstr(err, "s3cret-pw"));
	/* port 1 of the loopback: refused at once; named without the password */
	assert_int_equal(cli_db_open("postgresql://wegauge:s3cret-pw@127.0.0.1:1/wegauge",
	                             "other-s3cret", &db, err, sizeof(err)),
	                 -1);
	assert_null(db);
	const char *want = "database user=wegauge dbname=wegauge host=127.0.0.1 port=1: cannot "
	                   "connect: ";
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("%s", err);
	assert_null(strchr(err, '\n'));
	assert_null(strstr(err, "s3cret"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_uri),         cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_query_types), cmocka_unit_test(test_pg_cell),
	        cmocka_unit_test(test_pg_message),  cmocka_unit_test(test_pg_params),
	        cmocka_unit_test(test_pg_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
