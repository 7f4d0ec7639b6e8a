/*
 * test_cli_fleet.c: src/cli/cli_fleet.c: the fingerprint check over the
 * live members (table-driven, on hand-made sections), and `fleet` and
 * status's owner column on the populated SQLite store of
 * tests/fixtures/cli/populate.sql: no fleet (one line, no owner column),
 * then fleet rows written into the SQLite form of the fleet's tables, so
 * that the SQLite forms of the queries are run too (the exact output on
 * PostgreSQL is tests/it_pg_fleet_cli.sh's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_fixture.h"

#include <sqlite3.h>

#include "cli/cli_cmd.h"
#include "cli/cli_db.h"
#include "cli/cli_fleet.h"

static char store[700];

static int setup(void **state)
{
	(void)state;
	if (fixture_mkdtemp("test_cli_fleet") != 0)
		return -1;
	snprintf(store, sizeof(store), "%s/store.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fixture_rmdir();
}

/* A fleet section with one row per (live, fingerprint) pair. */
static struct cli_section *fleet_section(struct cli_result *r, const char *const (*rows)[2],
                                         size_t n)
{
	static const char *const cols[CLI_FLEET_NCOLS] = {"member",     "heartbeat_age_s", "live",
	                                                  "lease_s",    "workspaces",      "owned",
	                                                  "fingerprint"};
	char err[128];
	struct cli_section *s =
	        cli_result_add(r, "fleet", NULL, CLI_FLEET_NCOLS, cols, err, sizeof(err));
	assert_non_null(s);
	for (size_t i = 0; i < n; i++) {
		struct cli_cell *row = cli_section_add_row(s, err, sizeof(err));
		assert_non_null(row);
		assert_int_equal(
		        cli_cell_set_text(&row[CLI_FLEET_LIVE], rows[i][0], strlen(rows[i][0])), 0);
		if (rows[i][1] != NULL)
			assert_int_equal(cli_cell_set_text(&row[CLI_FLEET_FINGERPRINT], rows[i][1],
			                                   strlen(rows[i][1])),
			                 0);
	}
	return s;
}

static void test_mismatch(void **state)
{
	(void)state;
	static const struct {
		size_t n;
		const char *rows[4][2]; /* live, fingerprint */
		const char *note;
	} cases[] = {
	        {0, {{NULL, NULL}}, ""},
	        {1, {{"yes", "a"}}, ""},
	        {2, {{"yes", "a"}, {"yes", "a"}}, ""},
	        {2, {{"yes", "a"}, {"no", "b"}}, ""},
	        {3, {{"no", "b"}, {"yes", "a"}, {"no", "c"}}, ""},
	        {2,
	         {{"yes", "a"}, {"yes", "b"}},
	         "warning: the live members run different configurations (2 fingerprints among 2 "
	         "live members): keep their configurations equal"},
	        {4,
	         {{"yes", "a"}, {"yes", "b"}, {"yes", "a"}, {"no", "c"}},
	         "warning: the live members run different configurations (2 fingerprints among 3 "
	         "live members): keep their configurations equal"},
	        {3,
	         {{"yes", "c"}, {"yes", "b"}, {"yes", "a"}},
	         "warning: the live members run different configurations (3 fingerprints among 3 "
	         "live members): keep their configurations equal"},
	        {2, {{"yes", "a"}, {"yes", NULL}}, ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cli_result r = {0};
		struct cli_section *s = fleet_section(&r, cases[i].rows, cases[i].n);
		char note[256] = "x";
		bool got = cli_fleet_mismatch(s, note, sizeof(note));
		assert_int_equal(got, cases[i].note[0] != '\0');
		assert_string_equal(note, cases[i].note);
		cli_result_free(&r);
	}
}

static void exec(const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* status into r on the store; the section. */
static struct cli_section *status(struct cli_result *r)
{
	struct cli_db *db = NULL;
	char err[512] = "";
	assert_int_equal(cli_db_open(store, NULL, &db, err, sizeof(err)), 0);
	struct cli_opts o = {.cmd = CLI_CMD_STATUS, .days = 30, .last = 50};
	int healthy = -1;
	if (cli_cmd_status(db, &o, r, &healthy, err, sizeof(err)) != 0)
		fail_msg("status: %s", err);
	cli_db_close(db);
	return r->sec[0];
}

static void test_store(void **state)
{
	(void)state;
	fixture_build_store(store);
	struct cli_db *db = NULL;
	char err[512] = "", note[256] = "";
	bool none = false, any = true;

	/* No fleet: one line, no rows, no owner column. */
	assert_int_equal(cli_db_open(store, NULL, &db, err, sizeof(err)), 0);
	assert_int_equal(cli_fleet_any(db, &any, err, sizeof(err)), 0);
	assert_false(any);
	struct cli_opts o = {.cmd = CLI_CMD_FLEET, .days = 30, .last = 50};
	struct cli_result r = {0};
	assert_int_equal(cli_cmd_fleet(db, &o, &r, &none, note, sizeof(note), err, sizeof(err)), 0);
	assert_true(none);
	assert_string_equal(note, CLI_FLEET_NONE);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.sec[0]->ncols, CLI_FLEET_NCOLS);
	assert_int_equal(r.sec[0]->nrows, 0);
	cli_result_free(&r);
	cli_db_close(db);
	struct cli_section *s = status(&r);
	size_t plain = s->ncols;
	assert_string_equal(s->cols[plain - 1], "last_pull");
	size_t nws = s->nrows;
	assert_true(nws >= 2);
	char first[80], second[80];
	snprintf(first, sizeof(first), "%s", cli_section_cell(s, 0, 0)->s);
	snprintf(second, sizeof(second), "%s", cli_section_cell(s, 1, 0)->s);
	cli_result_free(&r);

	/* A fleet: a live member with a 4.5 s lease holding the first workspace, one not live. */
	char sql[2048];
	snprintf(sql, sizeof(sql),
	         "INSERT INTO fleet_member VALUES"
	         " ('m1', 'fp', 2, 'd', 4500, '2026-01-01T00:00:00Z',"
	         "  strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now', '-1 seconds')),"
	         " ('m2', 'fp-other', 2, 'd', 30000, '2026-01-01T00:00:00Z',"
	         "  strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now', '-100 seconds'));"
	         "INSERT INTO fleet_lease VALUES"
	         " ('%s', 'm1', 1, '2026-01-01T00:00:00Z',"
	         "  strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now', '+1 hours')),"
	         " ('%s', 'm2', 2, '2026-01-01T00:00:00Z',"
	         "  strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now', '-1 hours'))",
	         first, second);
	exec(sql);
	assert_int_equal(cli_db_open(store, NULL, &db, err, sizeof(err)), 0);
	assert_int_equal(cli_fleet_any(db, &any, err, sizeof(err)), 0);
	assert_true(any);
	o.format = CLI_FMT_TABLE;
	if (cli_cmd_fleet(db, &o, &r, &none, note, sizeof(note), err, sizeof(err)) != 0)
		fail_msg("fleet: %s", err);
	assert_false(none);
	assert_string_equal(note, ""); /* m2's fingerprint differs, but m2 is not live */
	s = r.sec[0];
	assert_int_equal(s->nrows, 2);
	assert_null(s->footer);
	assert_string_equal(cli_section_cell(s, 0, CLI_FLEET_MEMBER)->s, "m1");
	assert_int_equal(cli_section_cell(s, 0, CLI_FLEET_AGE)->kind, CLI_INT);
	int64_t age = cli_section_cell(s, 0, CLI_FLEET_AGE)->i;
	assert_true(age >= 1 && age <= 3); /* 1 s, and a second may pass meanwhile */
	assert_string_equal(cli_section_cell(s, 0, CLI_FLEET_LIVE)->s, "yes");
	assert_int_equal(cli_section_cell(s, 0, CLI_FLEET_LEASE)->kind, CLI_REAL);
	assert_true(cli_section_cell(s, 0, CLI_FLEET_LEASE)->d == 4.5);
	assert_int_equal(cli_section_cell(s, 0, CLI_FLEET_WORKSPACES)->i, 2);
	assert_int_equal(cli_section_cell(s, 0, CLI_FLEET_OWNED)->i, 1);
	assert_string_equal(cli_section_cell(s, 0, CLI_FLEET_FINGERPRINT)->s, "fp");
	assert_string_equal(cli_section_cell(s, 1, CLI_FLEET_LIVE)->s, "no");
	assert_true(cli_section_cell(s, 1, CLI_FLEET_AGE)->i >= 100);
	assert_int_equal(cli_section_cell(s, 1, CLI_FLEET_LEASE)->kind, CLI_INT);
	assert_int_equal(cli_section_cell(s, 1, CLI_FLEET_LEASE)->i, 30);
	assert_int_equal(cli_section_cell(s, 1, CLI_FLEET_OWNED)->i, 0); /* expired */
	cli_result_free(&r);

	/* Both live with different fingerprints: the warning, as the table's footer. */
	exec("UPDATE fleet_member SET heartbeat_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')");
	assert_int_equal(cli_cmd_fleet(db, &o, &r, &none, note, sizeof(note), err, sizeof(err)), 0);
	assert_non_null(r.sec[0]->footer);
	assert_string_equal(r.sec[0]->footer, note);
	assert_non_null(strstr(note, "different configurations"));
	cli_result_free(&r);
	o.format = CLI_FMT_JSON;
	assert_int_equal(cli_cmd_fleet(db, &o, &r, &none, note, sizeof(note), err, sizeof(err)), 0);
	assert_null(r.sec[0]->footer);
	assert_non_null(strstr(note, "different configurations"));
	cli_result_free(&r);
	cli_db_close(db);

	/* status: the owner column; the expired lease owns nothing. */
	s = status(&r);
	assert_int_equal(s->ncols, plain + 1);
	assert_string_equal(s->cols[plain], "owner");
	assert_int_equal(s->nrows, nws);
	assert_string_equal(cli_section_cell(s, 0, plain)->s, "m1");
	assert_int_equal(cli_section_cell(s, 1, plain)->kind, CLI_NULL);
	assert_int_equal(cli_section_cell(s, 0, 1)->kind, CLI_TEXT); /* the state, still column 1 */
	cli_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_mismatch),
	        cmocka_unit_test(test_store),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
