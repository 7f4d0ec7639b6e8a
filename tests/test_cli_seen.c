/*
 * test_cli_seen.c: src/cli/cli_seen.c: what connect, reconnect and
 * disconnect read of a workspace: its row and newest pull, with the texts
 * escaped for the terminal they are printed on (issue 12, finding 7), and
 * a store that cannot be read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_fixture.h"

#include <sqlite3.h>

#include "cli/cli_seen.h"

static char store[700];

static int setup(void **state)
{
	(void)state;
	if (fixture_mkdtemp("test_cli_seen") != 0)
		return -1;
	snprintf(store, sizeof(store), "%s/store.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fixture_rmdir();
}

/* Run sql on the store, read-write, outside the tool. */
static void store_exec(const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
	fixture_exec(db, sql, sql);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_look(void **state)
{
	(void)state;
	fixture_build_store(store);
	struct cli_seen s;
	cli_seen_look(store, NULL, "globex", &s);
	assert_true(s.store);
	assert_true(s.row);
	assert_string_equal(s.state, "failing");
	assert_string_equal(s.reason, "HTTP 429 \"Too Many Requests\", retries exhausted");
	assert_string_equal(s.fingerprint, "2c26b46b68ffc68f");
	assert_int_equal(s.pull_id, 6);
	assert_string_equal(s.pull_status, "failed");
	assert_int_equal(s.pull_rows, 0);
	assert_string_equal(s.pull_error, "stream stats: HTTP 429, retries exhausted");

	cli_seen_look(store, NULL, "nobody", &s);
	assert_true(s.store);
	assert_false(s.row);
	assert_int_equal(s.pull_id, 0);

	char missing[800];
	snprintf(missing, sizeof(missing), "%s/none.db", dir);
	cli_seen_look(missing, NULL, "globex", &s);
	assert_false(s.store);
	assert_non_null(strstr(s.why, "no such file"));
}

/* A reason and a pull error that quote what a hostile server sent. */
static void test_escaped(void **state)
{
	(void)state;
	fixture_build_store(store);
	store_exec("UPDATE workspace SET state = 'auth_failed', state_reason ="
	           " 'probe: HTTP 401 (server said: ' || char(27) || ']0;owned' || char(7) ||"
	           " 'key ' || char(0x202e) || 'deyalp' || char(10) || 'fake line)'"
	           " WHERE name = 'globex';"
	           "UPDATE pull SET error = 'stream team: ' || char(8, 8, 0x9b) || 'x'"
	           " || char(0x200b) WHERE id = 6;");
	struct cli_seen s;
	cli_seen_look(store, NULL, "globex", &s);
	assert_true(s.row);
	assert_string_equal(s.reason, "probe: HTTP 401 (server said: \\x1b]0;owned\\x07key "
	                              "<U+202E>deyalp\\x0afake line)");
	assert_string_equal(s.pull_error, "stream team: \\x08\\x08\\x9bx<U+200B>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_look),
	        cmocka_unit_test(test_escaped),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
