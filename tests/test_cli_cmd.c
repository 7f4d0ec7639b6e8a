/*
 * test_cli_cmd.c: src/cli/cli_cmd.c: report windows, the status verdict
 * and summary, the workspace check, and the rows of each command on the
 * populated store of tests/fixtures/cli/populate.sql (exact outputs of
 * every format are tests/it_cli.sh's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_fixture.h"

#include <sqlite3.h>

#include "cli/cli_cmd.h"
#include "cli/cli_db.h"

static char store[700];

static int setup(void **state)
{
	(void)state;
	if (fixture_mkdtemp("test_cli_cmd") != 0)
		return -1;
	snprintf(store, sizeof(store), "%s/store.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fixture_rmdir();
}

static void test_window(void **state)
{
	(void)state;
	static const struct {
		int64_t now;
		int days;
		const char *from, *to, *prev_from, *prev_to;
	} cases[] = {
	        /* 2026-11-28T23:59:59Z */
	        {1795910399, 30, "2026-10-30", "2026-11-28", "2026-09-30", "2026-10-29"},
	        /* 2026-11-28T00:00:00Z */
	        {1795824000, 30, "2026-10-30", "2026-11-28", "2026-09-30", "2026-10-29"},
	        {1795824000, 1, "2026-11-28", "2026-11-28", "2026-11-27", "2026-11-27"},
	        {1795824000, 7, "2026-11-22", "2026-11-28", "2026-11-15", "2026-11-21"},
	        /* 2024-03-01T12:00:00Z, across a leap day */
	        {1709294400, 2, "2024-02-29", "2024-03-01", "2024-02-27", "2024-02-28"},
	        /* the epoch, and before it */
	        {0, 1, "1970-01-01", "1970-01-01", "1969-12-31", "1969-12-31"},
	        {-1, 1, "1969-12-31", "1969-12-31", "1969-12-30", "1969-12-30"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cli_window w;
		cli_window_make(cases[i].now, cases[i].days, &w);
		assert_int_equal(w.days, cases[i].days);
		assert_string_equal(w.from, cases[i].from);
		assert_string_equal(w.to, cases[i].to);
		assert_string_equal(w.prev_from, cases[i].prev_from);
		assert_string_equal(w.prev_to, cases[i].prev_to);
	}
}

/* Set the state of workspace ws in the store (read-write, outside the tool). */
static void set_state(const char *ws, const char *st)
{
	sqlite3 *db = NULL;
	char sql[200];
	assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE workspace SET state = '%s' WHERE name = '%s'", st, ws);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_status(void **state)
{
	(void)state;
	fixture_build_store(store);
	static const struct {
		const char *globex, *initech;
		int healthy;
		const char *footer;
	} cases[] = {
	        {"failing", "removed", 0,
	         "3 workspaces: 1 connected, 1 failing, 1 removed; 1 enabled workspace is not "
	         "connected"},
	        {"connected", "removed", 1,
	         "3 workspaces: 2 connected, 1 removed; every enabled workspace is connected"},
	        {"disabled", "removed", 1,
	         "3 workspaces: 1 connected, 1 disabled, 1 removed; every enabled workspace is "
	         "connected"},
	        {"pending", "auth_failed", 0,
	         "3 workspaces: 1 pending, 1 connected, 1 auth_failed; 2 enabled workspaces are "
	         "not connected"},
	        {"auth_failed", "disabled", 0,
	         "3 workspaces: 1 connected, 1 auth_failed, 1 disabled; 1 enabled workspace is "
	         "not connected"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		set_state("globex", cases[i].globex);
		set_state("initech", cases[i].initech);
		sqlite3 *db = NULL;
		char err[512] = "";
		assert_int_equal(cli_db_open(store, &db, err, sizeof(err)), 0);
		struct cli_opts o = {.cmd = CLI_CMD_STATUS, .days = 30, .last = 50};
		struct cli_result r = {0};
		int healthy = -1;
		assert_int_equal(cli_cmd_status(db, &o, &r, &healthy, err, sizeof(err)), 0);
		assert_int_equal(healthy, cases[i].healthy);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.sec[0]->nrows, 3);
		assert_string_equal(r.sec[0]->footer, cases[i].footer);
		cli_result_free(&r);

		/* one workspace only: its own verdict */
		o.workspace = "acme-prod";
		assert_int_equal(cli_cmd_status(db, &o, &r, &healthy, err, sizeof(err)), 0);
		assert_int_equal(healthy, 1);
		assert_string_equal(
		        r.sec[0]->footer,
		        "1 workspace: 1 connected; every enabled workspace is connected");
		cli_result_free(&r);
		cli_db_close(db);
	}
}

static void test_commands(void **state)
{
	(void)state;
	fixture_build_store(store);
	sqlite3 *db = NULL;
	char err[512] = "";
	assert_int_equal(cli_db_open(store, &db, err, sizeof(err)), 0);
	int64_t now = (int64_t)time(NULL);

	struct cli_opts o = {.days = 30, .last = 50, .workspace = "nope"};
	assert_int_equal(cli_check_workspace(db, &o, err, sizeof(err)), -1);
	assert_string_equal(err, "no workspace nope in the store");
	o.workspace = "globex";
	assert_int_equal(cli_check_workspace(db, &o, err, sizeof(err)), 0);
	o.workspace = NULL;
	assert_int_equal(cli_check_workspace(db, &o, err, sizeof(err)), 0);

	/* report: 8 channel rows, 4 active-user rows; changes attached in the table form */
	struct cli_result r = {0};
	assert_int_equal(cli_cmd_report(db, &o, now, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.sec[0]->name, "channels");
	assert_int_equal(r.sec[0]->nrows, 8);
	assert_int_equal(r.sec[0]->ncols, 16);
	assert_int_equal(r.sec[0]->attach, 0xaaa8u);
	assert_string_equal(r.sec[1]->name, "active_users");
	assert_int_equal(r.sec[1]->nrows, 4);
	/* acme-prod EMAIL: deliveries 3300 (+10.0%), revenue 30.75 (-25.0%) */
	assert_string_equal(cli_section_cell(r.sec[0], 0, 1)->s, "EMAIL");
	assert_int_equal(cli_section_cell(r.sec[0], 0, 6)->i, 3300);
	assert_string_equal(cli_section_cell(r.sec[0], 0, 7)->s, "+10.0%");
	assert_true(cli_section_cell(r.sec[0], 0, 12)->d == 30.75);
	assert_string_equal(cli_section_cell(r.sec[0], 0, 13)->s, "-25.0%");
	cli_result_free(&r);

	/* seats, and the members idle for 30 days */
	o.inactive_s = 30 * 86400;
	assert_int_equal(cli_cmd_seats(db, &o, now, &r, err, sizeof(err)), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.sec[0]->nrows, 3);
	assert_string_equal(r.sec[1]->title, "Members not logged in within 30d, or never");
	static const char *const idle[] = {"dee@acme.example", "cy@acme.example",
	                                   "bob@acme.example", "fay@globex.example"};
	assert_int_equal(r.sec[1]->nrows, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(cli_section_cell(r.sec[1], i, 1)->s, idle[i]);
	assert_int_equal(cli_section_cell(r.sec[1], 0, 6)->kind, CLI_NULL);
	assert_int_equal(cli_section_cell(r.sec[1], 1, 6)->i, 75);
	cli_result_free(&r);

	/* pulls: newest first; --failed keeps every status but ok; --last */
	o.failed = true;
	o.last = 3;
	assert_int_equal(cli_cmd_pulls(db, &o, &r, err, sizeof(err)), 0);
	static const int64_t ids[] = {8, 6, 4};
	assert_int_equal(r.sec[0]->nrows, 3);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(cli_section_cell(r.sec[0], i, 0)->i, ids[i]);
	cli_result_free(&r);
	o.failed = false;
	o.last = 50;
	o.workspace = "initech";
	assert_int_equal(cli_cmd_pulls(db, &o, &r, err, sizeof(err)), 0);
	assert_int_equal(r.sec[0]->nrows, 1);
	assert_string_equal(cli_section_cell(r.sec[0], 0, 5)->s, "cancelled");
	cli_result_free(&r);
	cli_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_window),
	        cmocka_unit_test(test_status),
	        cmocka_unit_test(test_commands),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
