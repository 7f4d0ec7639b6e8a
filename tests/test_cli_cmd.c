/*
 * test_cli_cmd.c: src/cli/cli_cmd.c: report windows, the status verdict
 * and summary, the workspace check, and the rows of each command on the
 * populated store of tests/fixtures/cli/populate.sql, and the report of a
 * store where one workspace's totals leave the 64-bit range (exact
 * outputs of every format are tests/it_cli.sh's); and that the change
 * texts made for a PostgreSQL store (cli_change_format) are SQLite's
 * printf('%+.1f%%', round(x, 1)) for any x.
 */
#include <math.h>
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
		struct cli_db *db = NULL;
		char err[512] = "";
		assert_int_equal(cli_db_open(store, NULL, &db, err, sizeof(err)), 0);
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
	struct cli_db *db = NULL;
	char err[512] = "";
	assert_int_equal(cli_db_open(store, NULL, &db, err, sizeof(err)), 0);
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

/* Apply tests/fixtures/cli/NAME to the store (read-write, outside the tool). */
static void apply_fixture(const char *name)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/cli/%s", getenv("FIXTURES"), name);
	char *sql = fixture_slurp(path);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
	fixture_exec(db, sql, path);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	free(sql);
}

/*
 * Issue 12, finding 6: one workspace (umbrella, tests/fixtures/cli/overflow.sql)
 * whose totals leave the 64-bit range. The report and its HTML page work
 * for every workspace: the others' figures are exact and unchanged, a
 * total that fits is an exact integer, one that does not is a real, and a
 * previous total of -2^63 gives a change, not an error.
 */
static void test_report_overflow(void **state)
{
	(void)state;
	fixture_build_store(store);
	apply_fixture("overflow.sql");
	struct cli_db *db = NULL;
	char err[512] = "";
	assert_int_equal(cli_db_open(store, NULL, &db, err, sizeof(err)), 0);
	int64_t now = (int64_t)time(NULL);
	struct cli_opts o = {.cmd = CLI_CMD_REPORT, .days = 30, .last = 50};
	struct cli_result r = {0};
	if (cli_cmd_report(db, &o, now, &r, err, sizeof(err)) != 0)
		fail_msg("report: %s", err);
	struct cli_section *s = r.sec[0];
	assert_int_equal(s->nrows, 10);
	/* acme-prod EMAIL, as without umbrella */
	assert_string_equal(cli_section_cell(s, 0, 1)->s, "EMAIL");
	assert_int_equal(cli_section_cell(s, 0, 6)->i, 3300);
	assert_string_equal(cli_section_cell(s, 0, 7)->s, "+10.0%");
	assert_true(cli_section_cell(s, 0, 12)->d == 30.75);
	static const struct {
		size_t col;
		enum cli_kind kind;
		int64_t i;
		double d;
		const char *text;
	} cells[] = {
	        /* row 8: umbrella EMAIL: revenue 1.5 + 2^63-1, a real */
	        {12, CLI_REAL, 0, 9223372036854775808.0, NULL},
	        {13, CLI_TEXT, 0, 0, "new"},
	        {14, CLI_INT, 0, 0, NULL},
	        /* row 9: umbrella PUSH_NOTIFICATION */
	        {2, CLI_INT, INT64_MAX, 0, NULL},
	        {3, CLI_TEXT, 0, 0, "new"},
	        {6, CLI_REAL, 0, 18446744073709551616.0, NULL},
	        {7, CLI_TEXT, 0, 0, "+300.0%"},
	        {14, CLI_INT, 2, 0, NULL},
	        {15, CLI_TEXT, 0, 0, "+100.0%"},
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		size_t row = i < 3 ? 8 : 9;
		const struct cli_cell *c = cli_section_cell(s, row, cells[i].col);
		assert_string_equal(cli_section_cell(s, row, 0)->s, "umbrella");
		assert_int_equal(c->kind, cells[i].kind);
		if (c->kind == CLI_INT)
			assert_int_equal(c->i, cells[i].i);
		else if (c->kind == CLI_REAL)
			assert_true(c->d == cells[i].d);
		else
			assert_string_equal(c->s, cells[i].text);
	}
	cli_result_free(&r);

	/* the 30-day report's totals are v_feature_usage_30d's, cell for cell */
	struct cli_bind none = {.kind = CLI_BIND_NULL};
	struct cli_section *v = cli_db_query(db, &r, "view", NULL,
	                                     (struct cli_query){"SELECT * FROM v_feature_usage_30d"
	                                                        " ORDER BY workspace, feature",
	                                                        NULL},
	                                     &none, 0, err, sizeof(err));
	if (v == NULL)
		fail_msg("v_feature_usage_30d: %s", err);
	struct cli_result rep = {0};
	assert_int_equal(cli_cmd_report(db, &o, now, &rep, err, sizeof(err)), 0);
	size_t k = 0;
	for (size_t row = 0; row < rep.sec[0]->nrows; row++) {
		/* a channel seen only in the previous window is not in the view */
		const struct cli_cell *ws = cli_section_cell(rep.sec[0], row, 0);
		const struct cli_cell *ch = cli_section_cell(rep.sec[0], row, 1);
		if (k >= v->nrows || strcmp(ws->s, cli_section_cell(v, k, 0)->s) != 0 ||
		    strcmp(ch->s, cli_section_cell(v, k, 1)->s) != 0) {
			assert_int_equal(cli_section_cell(rep.sec[0], row, 14)->i, 0);
			continue;
		}
		assert_true(k < v->nrows);
		for (size_t c = 0; c < 9; c++) {
			size_t rc = c < 2 ? c : (c < 8 ? 2 + 2 * (c - 2) : 14);
			const struct cli_cell *a = cli_section_cell(v, k, c);
			const struct cli_cell *b = cli_section_cell(rep.sec[0], row, rc);
			assert_int_equal(a->kind, b->kind);
			if (a->kind == CLI_INT)
				assert_int_equal(a->i, b->i);
			else if (a->kind == CLI_REAL)
				assert_true(a->d == b->d);
			else if (a->kind == CLI_TEXT)
				assert_string_equal(a->s, b->s);
		}
		k++;
	}
	assert_int_equal(k, v->nrows);
	cli_result_free(&rep);
	cli_result_free(&r);

	/* the HTML page too */
	o.html = "-";
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (cli_html_report(db, &o, now, f, err, sizeof(err)) != 0)
		fail_msg("report --html: %s", err);
	fclose(f);
	assert_non_null(strstr(buf, "<section class=\"workspace\" data-workspace=\"umbrella\">"));
	assert_non_null(strstr(buf, "<td class=\"num\">1.8446744073709552e+19 <span "
	                            "class=\"change\">+300.0%</span></td>"));
	free(buf);
	cli_db_close(db);
}

/*
 * cli_change_format(x) against SQLite's own CLI_SQL_REPORT_CHANNELS
 * expression for x: ties, values near zero, the binary ties beyond 2^42
 * (where SQLite's printf works in long double), beyond 2^52 (where
 * round() leaves x alone), and random doubles of every magnitude.
 */
static void test_change_format(void **state)
{
	(void)state;
	sqlite3 *lite = NULL;
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_open(":memory:", &lite), SQLITE_OK);
	assert_int_equal(
	        sqlite3_prepare_v2(lite,
	                           "SELECT CASE WHEN x = 0 THEN '0.0%' ELSE"
	                           " printf('%+.1f%%', x) END FROM (SELECT round(?1, 1) AS x)",
	                           -1, &st, NULL),
	        SQLITE_OK);
	static const double fixed[] = {0,
	                               -0.0,
	                               0.04,
	                               -0.04,
	                               0.05,
	                               -0.05,
	                               0.15,
	                               0.25,
	                               -0.25,
	                               0.35,
	                               6.25,
	                               12.5,
	                               -33.333333333333336,
	                               100,
	                               -100,
	                               1e-300,
	                               1.45,
	                               2.675,
	                               999999999999999.95,
	                               1e15,
	                               1e16,
	                               1.8446744073709552e21,
	                               4503599627370497.0,
	                               1e300,
	                               -1e300,
	                               3.3e15};
	size_t n = 0, bad = 0;
	uint64_t seed = 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < 200000; i++) {
		double x;
		if (i < sizeof(fixed) / sizeof(fixed[0])) {
			x = fixed[i];
		} else {
			seed ^= seed << 13;
			seed ^= seed >> 7;
			seed ^= seed << 17;
			int e = (int)(seed % 60) - 8; /* 2^-8 .. 2^51 */
			double m = (double)(seed >> 11) / 9007199254740992.0;
			x = ldexp(1 + m, e);
			if (i % 3 == 0) /* a binary tie: k + 0.25 or k + 0.75 */
				x = floor(x) + ((seed >> 5) & 1 ? 0.25 : 0.75);
			if (i % 2 == 0)
				x = -x;
		}
		char got[CLI_CHANGE_LEN];
		cli_change_format(x, got);
		sqlite3_reset(st);
		sqlite3_bind_double(st, 1, x);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		const char *want = (const char *)sqlite3_column_text(st, 0);
		n++;
		if (strcmp(got, want) != 0 && bad++ < 5)
			print_message("x = %.17g: SQLite %s, cli_change_format %s\n", x, want, got);
	}
	sqlite3_finalize(st);
	sqlite3_close(lite);
	assert_int_equal(bad, 0);
	assert_true(n > 100000);
}

/* cli_report_changes: numbers become SQLite's change texts; "new" and "-" stay. */
static void test_report_changes(void **state)
{
	(void)state;
	struct cli_result r = {0};
	const char *cols[] = {"workspace",    "channel",   "users",
	                      "users_change", "campaigns", "campaigns_change"};
	char err[256];
	struct cli_section *s = cli_result_add(&r, "channels", NULL, 6, cols, err, sizeof(err));
	assert_non_null(s);
	static const char *const in[][2] = {
	        {"12.5", "new"}, {"-33.333333333333336", "-"}, {"-0.04", "1.8446744073709552e+21"}};
	static const char *const out[][2] = {
	        {"+12.5%", "new"}, {"-33.3%", "-"}, {"0.0%", "+1844674407370955000000.0%"}};
	for (size_t i = 0; i < 3; i++) {
		struct cli_cell *row = cli_section_add_row(s, err, sizeof(err));
		assert_non_null(row);
		cli_cell_set_int(&row[2], 7);
		assert_int_equal(cli_cell_set_text(&row[3], in[i][0], strlen(in[i][0])), 0);
		assert_int_equal(cli_cell_set_text(&row[5], in[i][1], strlen(in[i][1])), 0);
	}
	assert_int_equal(cli_report_changes(s, err, sizeof(err)), 0);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(cli_section_cell(s, i, 3)->s, out[i][0]);
		assert_string_equal(cli_section_cell(s, i, 5)->s, out[i][1]);
		assert_int_equal(cli_section_cell(s, i, 2)->i, 7);
	}
	assert_int_equal(cli_cell_set_text(cli_section_cell(s, 0, 3), "12.5%", 5), 0);
	assert_int_equal(cli_report_changes(s, err, sizeof(err)), -1);
	assert_string_equal(err, "channels: a change that is not a number");
	cli_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_window),        cmocka_unit_test(test_status),
	        cmocka_unit_test(test_commands),      cmocka_unit_test(test_report_overflow),
	        cmocka_unit_test(test_change_format), cmocka_unit_test(test_report_changes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
