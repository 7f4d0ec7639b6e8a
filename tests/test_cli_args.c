/* test_cli_args.c: src/cli/cli_args.c: the wegauge command line, accepted and refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli_args.h"

#define MAX_ARGS 32

/* Split line at spaces into argv (argv[0] = "wegauge"); returns argc. */
static int split(const char *line, char *buf, size_t len, char **argv)
{
	snprintf(buf, len, "%s", line);
	int argc = 0;
	argv[argc++] = "wegauge";
	for (char *tok = strtok(buf, " "); tok != NULL && argc < MAX_ARGS; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return argc;
}

static void test_accepted(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		enum cli_cmd cmd;
		const char *database, *config, *workspace, *html;
		enum cli_format fmt;
		int days, last;
		int64_t inactive_s;
		bool failed;
	} cases[] = {
	        {"status", CLI_CMD_STATUS, NULL, NULL, NULL, NULL, CLI_FMT_TABLE, 30, 50, 0, false},
	        {"-d /x.db status", CLI_CMD_STATUS, "/x.db", NULL, NULL, NULL, CLI_FMT_TABLE, 30,
	         50, 0, false},
	        {"status -d/x.db", CLI_CMD_STATUS, "/x.db", NULL, NULL, NULL, CLI_FMT_TABLE, 30, 50,
	         0, false},
	        {"--database=/y.db report", CLI_CMD_REPORT, "/y.db", NULL, NULL, NULL,
	         CLI_FMT_TABLE, 30, 50, 0, false},
	        {"-c /etc/w.conf seats", CLI_CMD_SEATS, NULL, "/etc/w.conf", NULL, NULL,
	         CLI_FMT_TABLE, 30, 50, 0, false},
	        {"report --days 7 --workspace acme-prod --format csv", CLI_CMD_REPORT, NULL, NULL,
	         "acme-prod", NULL, CLI_FMT_CSV, 7, 50, 0, false},
	        {"--days=3650 report", CLI_CMD_REPORT, NULL, NULL, NULL, NULL, CLI_FMT_TABLE, 3650,
	         50, 0, false},
	        {"report --html out.html --days 1", CLI_CMD_REPORT, NULL, NULL, NULL, "out.html",
	         CLI_FMT_TABLE, 1, 50, 0, false},
	        {"seats --inactive 30d", CLI_CMD_SEATS, NULL, NULL, NULL, NULL, CLI_FMT_TABLE, 30,
	         50, 2592000, false},
	        {"seats --inactive=12h --format json", CLI_CMD_SEATS, NULL, NULL, NULL, NULL,
	         CLI_FMT_JSON, 30, 50, 43200, false},
	        {"seats --inactive 1500ms", CLI_CMD_SEATS, NULL, NULL, NULL, NULL, CLI_FMT_TABLE,
	         30, 50, 1, false},
	        {"pulls --failed --last 3", CLI_CMD_PULLS, NULL, NULL, NULL, NULL, CLI_FMT_TABLE,
	         30, 3, 0, true},
	        {"pulls --last 1000000 --workspace a.b_c-9", CLI_CMD_PULLS, NULL, NULL, "a.b_c-9",
	         NULL, CLI_FMT_TABLE, 30, 1000000, 0, false},
	        {"--format json --format csv pulls", CLI_CMD_PULLS, NULL, NULL, NULL, NULL,
	         CLI_FMT_CSV, 30, 50, 0, false},
	        {"-d a.db -- pulls", CLI_CMD_PULLS, "a.db", NULL, NULL, NULL, CLI_FMT_TABLE, 30, 50,
	         0, false},
	        {"fleet", CLI_CMD_FLEET, NULL, NULL, NULL, NULL, CLI_FMT_TABLE, 30, 50, 0, false},
	        {"-c /etc/w.conf fleet --format json", CLI_CMD_FLEET, NULL, "/etc/w.conf", NULL,
	         NULL, CLI_FMT_JSON, 30, 50, 0, false},
	        {"fleet -d postgresql://u@h/db --format=csv", CLI_CMD_FLEET, "postgresql://u@h/db",
	         NULL, NULL, NULL, CLI_FMT_CSV, 30, 50, 0, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256], err[256] = "";
		char *argv[MAX_ARGS + 1];
		int argc = split(cases[i].line, buf, sizeof(buf), argv);
		struct cli_opts o;
		int rc = cli_args_parse(argc, argv, &o, err, sizeof(err));
		if (rc != 0)
			fail_msg("'%s': %s", cases[i].line, err);
		assert_int_equal(o.cmd, cases[i].cmd);
#define STR_EQ(a, b) ((a) == NULL ? assert_null(b) : assert_string_equal(a, b))
		STR_EQ(cases[i].database, o.database);
		STR_EQ(cases[i].config, o.config);
		STR_EQ(cases[i].workspace, o.workspace);
		STR_EQ(cases[i].html, o.html);
		assert_int_equal(o.format, cases[i].fmt);
		assert_int_equal(o.days, cases[i].days);
		assert_int_equal(o.last, cases[i].last);
		assert_int_equal(o.inactive_s, cases[i].inactive_s);
		assert_int_equal(o.failed, cases[i].failed);
		assert_false(o.help);
		assert_false(o.version);
	}
}

/* overview: its options, and --limit's "not given" (-1). */
static void test_overview(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int days, limit;
		const char *sort, *html, *html_dir;
	} cases[] = {
	        {"overview", 30, -1, NULL, NULL, NULL},
	        {"overview --limit 0 --sort cost", 30, 0, "cost", NULL, NULL},
	        {"overview --days 7 --limit 1000000 --sort name", 7, 1000000, "name", NULL, NULL},
	        {"overview --html o.html --html-dir site --sort=dau", 30, -1, "dau", "o.html",
	         "site"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256], err[256] = "";
		char *argv[MAX_ARGS + 1];
		int argc = split(cases[i].line, buf, sizeof(buf), argv);
		struct cli_opts o;
		if (cli_args_parse(argc, argv, &o, err, sizeof(err)) != 0)
			fail_msg("'%s': %s", cases[i].line, err);
		assert_int_equal(o.cmd, CLI_CMD_OVERVIEW);
		assert_int_equal(o.days, cases[i].days);
		assert_int_equal(o.limit, cases[i].limit);
		STR_EQ(cases[i].sort, o.sort);
		STR_EQ(cases[i].html, o.html);
		STR_EQ(cases[i].html_dir, o.html_dir);
	}
}

static void test_refused(void **state)
{
	(void)state;
	static const struct {
		const char *line, *err;
	} cases[] = {
	        {"", "expected a command: status, report, seats, pulls, overview, fleet, "
	             "connect, reconnect or disconnect"},
	        {"-d x.db", "expected a command: status, report, seats, pulls"},
	        {"stats",
	         "unknown command 'stats': expected status, report, seats, pulls, overview, "
	         "fleet, connect, reconnect or disconnect"},
	        {"fleet --workspace a", "fleet does not take --workspace"},
	        {"fleet --days 3", "fleet does not take --days"},
	        {"overview --limit -1", "--limit: expected a whole number, 0 to 1000000 (0: all)"},
	        {"overview --limit 1000001",
	         "--limit: expected a whole number, 0 to 1000000 (0: all)"},
	        {"overview --sort seats",
	         "--sort: expected unused, cost, utilization, deliveries, dau, channels or name, "
	         "got 'seats'"},
	        {"overview --html-dir=", "--html-dir: expected a directory"},
	        {"report --limit 5", "report does not take --limit"},
	        {"seats --sort name", "seats does not take --sort"},
	        {"report --html-dir d", "report does not take --html-dir"},
	        {"status pulls", "unexpected argument 'pulls'"},
	        {"status --verbose", "unknown option '--verbose'"},
	        {"status --verbose=1", "unknown option '--verbose'"},
	        {"status -x", "unknown option '-x'"},
	        {"status -hx", "unknown option '-hx'"},
	        {"pulls --failed=yes", "--failed takes no value"},
	        {"status -d", "--database: expected a value"},
	        {"report --days", "--days: expected a value"},
	        {"report --days 0", "--days: expected a whole number of days, 1 to 3650"},
	        {"report --days 3651", "--days: expected a whole number of days, 1 to 3650"},
	        {"report --days -1", "--days: expected a whole number of days, 1 to 3650"},
	        {"report --days 7d", "--days: expected a whole number of days, 1 to 3650"},
	        {"report --days 99999999999999999999",
	         "--days: expected a whole number of days, 1 to 3650"},
	        {"pulls --last 0", "--last: expected a whole number, 1 to 1000000"},
	        {"pulls --last 1000001", "--last: expected a whole number, 1 to 1000000"},
	        {"seats --inactive 30",
	         "--inactive: expected a duration with a unit of at least 1s, such as 30d, 12h or "
	         "90m"},
	        {"seats --inactive 500ms", "--inactive: expected a duration with a unit"},
	        {"seats --inactive 30 d", "--inactive: expected a duration with a unit"},
	        {"seats --inactive 30y", "--inactive: expected a duration with a unit"},
	        {"seats --inactive 0d", "--inactive: expected a duration with a unit"},
	        {"seats --inactive 99999d", "--inactive: expected a duration with a unit"},
	        {"pulls --format xml", "--format: expected table, csv or json, got 'xml'"},
	        {"status --workspace a/b",
	         "--workspace: expected a workspace name (1 to 64 of A-Z a-z 0-9 . _ -)"},
	        {"status --workspace "
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	         "--workspace: expected a workspace name"},
	        {"status --workspace=", "--workspace: expected a workspace name"},
	        {"status --database=", "--database: expected a path"},
	        {"report --failed", "report does not take --failed"},
	        {"--days 7 seats", "seats does not take --days"},
	        {"status --inactive 30d", "status does not take --inactive"},
	        {"pulls --html x", "pulls does not take --html"},
	        {"status -d a -c b", "give either --database or --config, not both"},
	        {"report --html -", "--html: expected a file name"},
	        {"report --html=", "--html: expected a file name"},
	        /* connect, reconnect, disconnect */
	        {"connect", "connect: expected the workspace's name"},
	        {"connect a", "connect: expected --license-code LC"},
	        {"connect a/b --license-code x",
	         "connect: expected a workspace name (1 to 64 of A-Z a-z 0-9 . _ -), got 'a/b'"},
	        {"connect a b --license-code x", "unexpected argument 'b'"},
	        {"connect a --license-code 'x'", "--license-code: expected a license code"},
	        {"connect a --license-code a;b", "--license-code: expected a license code"},
	        {"connect a --license-code x --data-center eu",
	         "--data-center: expected global, in or ksa, got 'eu'"},
	        {"connect a --license-code x --data-center in --base-url http://h",
	         "give either --data-center or --base-url, not both"},
	        {"connect a --license-code x --base-url=", "--base-url: expected a URL"},
	        {"connect a --license-code x --interval 15x", "--interval: expected a duration"},
	        {"connect a --license-code x --streams stats;x", "--streams: expected a list"},
	        {"connect a --license-code x --wait 2h",
	         "--wait: expected a duration of at most 1h"},
	        {"connect a --license-code x --pid 1", "--pid: expected a process id"},
	        {"connect a --license-code x --unit a/b", "--unit: expected a systemd unit name"},
	        {"connect a --license-code x --no-reload --pid 9",
	         "--no-reload takes neither --pid nor --unit"},
	        {"connect a --license-code x --pid 9 --unit w", "give either --pid or --unit"},
	        {"connect a --license-code x --keep-key", "connect does not take --keep-key"},
	        {"connect a --license-code x -d x.db", "connect does not take --database"},
	        {"connect a --license-code x --format csv", "connect does not take --format"},
	        {"reconnect a --keep-key --key-file k",
	         "give either --keep-key or --key-file, not both"},
	        {"reconnect a --interval 1h", "reconnect does not take --interval"},
	        {"disconnect a --license-code x", "disconnect does not take --license-code"},
	        {"status --license-code x", "status does not take --license-code"},
	        {"pulls --wait 1s", "pulls does not take --wait"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256], err[256] = "";
		char *argv[MAX_ARGS + 1];
		int argc = split(cases[i].line, buf, sizeof(buf), argv);
		struct cli_opts o;
		if (cli_args_parse(argc, argv, &o, err, sizeof(err)) != -1)
			fail_msg("'%s' was accepted", cases[i].line);
		if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
			fail_msg("'%s': got '%s', expected '%s'", cases[i].line, err, cases[i].err);
	}
}

static void test_connect_accepted(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		enum cli_cmd cmd;
		const char *name, *lc, *dc, *url, *key_file, *interval, *streams, *unit;
		int64_t wait_ms;
		long pid;
		bool no_reload, keep_key;
	} cases[] = {
	        {"connect acme --license-code 311c48b3", CLI_CMD_CONNECT, "acme", "311c48b3", NULL,
	         NULL, NULL, NULL, NULL, "wegauged.service", 30000, 0, false, false},
	        {"-c /e/w.conf connect --license-code=~a_b-9 acme --data-center ksa --interval 15m "
	         "--streams stats,team --key-file /k --wait 0 --no-reload",
	         CLI_CMD_CONNECT, "acme", "~a_b-9", "ksa", NULL, "/k", "15m", "stats,team",
	         "wegauged.service", 0, 0, true, false},
	        {"connect x --license-code l --base-url http://127.0.0.1:9/ --pid 4242 --wait 90s",
	         CLI_CMD_CONNECT, "x", "l", NULL, "http://127.0.0.1:9/", NULL, NULL, NULL,
	         "wegauged.service", 90000, 4242, false, false},
	        {"reconnect x --keep-key --unit wegauged@eu.service", CLI_CMD_RECONNECT, "x", NULL,
	         NULL, NULL, NULL, NULL, NULL, "wegauged@eu.service", 30000, 0, false, true},
	        {"reconnect x --license-code l2 --data-center in", CLI_CMD_RECONNECT, "x", "l2",
	         "in", NULL, NULL, NULL, NULL, "wegauged.service", 30000, 0, false, false},
	        {"disconnect x --keep-key --wait=5s", CLI_CMD_DISCONNECT, "x", NULL, NULL, NULL,
	         NULL, NULL, NULL, "wegauged.service", 5000, 0, false, true},
	        {"disconnect -- -x", CLI_CMD_DISCONNECT, "-x", NULL, NULL, NULL, NULL, NULL, NULL,
	         "wegauged.service", 30000, 0, false, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256], err[256] = "";
		char *argv[MAX_ARGS + 1];
		int argc = split(cases[i].line, buf, sizeof(buf), argv);
		struct cli_opts o;
		if (cli_args_parse(argc, argv, &o, err, sizeof(err)) != 0)
			fail_msg("'%s': %s", cases[i].line, err);
		assert_int_equal(o.cmd, cases[i].cmd);
		assert_true(CLI_CMD_WRITES(o.cmd));
		STR_EQ(cases[i].name, o.name);
		STR_EQ(cases[i].lc, o.license_code);
		STR_EQ(cases[i].dc, o.data_center);
		STR_EQ(cases[i].url, o.base_url);
		STR_EQ(cases[i].key_file, o.key_file);
		STR_EQ(cases[i].interval, o.interval);
		STR_EQ(cases[i].streams, o.streams);
		STR_EQ(cases[i].unit, o.unit);
		assert_int_equal(o.wait_ms, cases[i].wait_ms);
		assert_int_equal(o.pid, cases[i].pid);
		assert_int_equal(o.no_reload, cases[i].no_reload);
		assert_int_equal(o.keep_key, cases[i].keep_key);
	}
}

static void test_help_version(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		bool help, version;
	} cases[] = {
	        {"-h", true, false},
	        {"--help", true, false},
	        {"status -h", true, false},
	        {"--version", false, true},
	        {"-d x --version", false, true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256], err[256] = "";
		char *argv[MAX_ARGS + 1];
		int argc = split(cases[i].line, buf, sizeof(buf), argv);
		struct cli_opts o;
		assert_int_equal(cli_args_parse(argc, argv, &o, err, sizeof(err)), 0);
		assert_int_equal(o.help, cases[i].help);
		assert_int_equal(o.version, cases[i].version);
	}
	assert_non_null(strstr(cli_usage, "usage: wegauge [-d DB | -c CONFIG] COMMAND"));
}

static void test_ws_name(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
	        {"acme-prod", true},
	        {"A.b_9-", true},
	        {"x", true},
	        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},
	        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	        {"", false},
	        {"a b", false},
	        {"a/b", false},
	        {"caf\xc3\xa9", false},
	        {"a'b", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(cli_ws_name_ok(cases[i].s), cases[i].ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_accepted),     cmocka_unit_test(test_overview),
	        cmocka_unit_test(test_refused),      cmocka_unit_test(test_connect_accepted),
	        cmocka_unit_test(test_help_version), cmocka_unit_test(test_ws_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
