/*
 * test_cli_html.c: src/cli/cli_html.c: the page is self-contained, its
 * charts have one marked series per channel / platform and one point per
 * day with a value, and hostile store text (markup, quotes, formulas,
 * control bytes, invalid UTF-8, invisible and bidirectional characters)
 * comes out as text. tests/it_cli.sh renders the page in Chromium.
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

/* The populated store plus hostile rows for acme-prod, today. */
static int setup(void **state)
{
	(void)state;
	if (fixture_mkdtemp("test_cli_html") != 0)
		return -1;
	snprintf(store, sizeof(store), "%s/store.db", dir);
	fixture_build_store(store);
	sqlite3 *db = NULL;
	if (sqlite3_open(store, &db) != SQLITE_OK)
		return -1;
	fixture_exec(
	        db,
	        "INSERT INTO feature_usage_daily VALUES ('acme-prod', date('now'),"
	        " '<script>alert(1)</script>', 'deliveries', 5, 7, '2026-01-01T00:00:00Z');"
	        "INSERT INTO active_users_daily VALUES ('acme-prod', date('now'),"
	        " '\"><img src=x onerror=alert(2)>', 3, NULL, NULL, 7, '2026-01-01T00:00:00Z');"
	        "INSERT INTO campaign (workspace, channel, campaign_id, title, start_date,"
	        " delivered, pull_id, updated_at) VALUES ('acme-prod', 'EMAIL', '~evil',"
	        " '</table><script>alert(3)</script>''&', date('now') || 'T00:00:00Z', 2, 7,"
	        " '2026-01-01T00:00:00Z'),"
	        " ('acme-prod', 'SMS', '~bytes', CAST(x'ff016f6b' AS TEXT), date('now') || "
	        "'T00:00:00Z', 1,"
	        " 7, '2026-01-01T00:00:00Z'),"
	        /* issue 12: a formula, control characters, bidirectional and invisible ones */
	        " ('acme-prod', 'EMAIL', '~formula', '=HYPERLINK(\"http://evil.example\",\"x\")',"
	        " date('now') || 'T00:00:00Z', 1, 7, '2026-01-01T00:00:00Z'),"
	        " ('acme-prod', 'EMAIL', '~controls', 'esc' || char(27) || '[2J bel' || char(7)"
	        " || ' c1' || char(155) || ' del' || char(127) || ' tab' || char(9) || 'nl' ||"
	        " char(10) || 'end', date('now') || 'T00:00:00Z', 1, 7, '2026-01-01T00:00:00Z'),"
	        " ('acme-prod', 'EMAIL' || char(0x2066), '~bidi', 'admin' || char(0x202e) ||"
	        " 'gnp.exe' || char(0x200b), date('now') || 'T00:00:00Z', 1, 7,"
	        " '2026-01-01T00:00:00Z');",
	        "hostile rows");
	return sqlite3_close(db) == SQLITE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return fixture_rmdir();
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The page for o (at now) as a string the caller frees. */
static char *page(const struct cli_opts *o, int64_t now)
{
	struct cli_db *db = NULL;
	char err[512] = "";
	assert_int_equal(cli_db_open(store, NULL, &db, err, sizeof(err)), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	if (cli_html_report(db, o, now, f, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	fclose(f);
	cli_db_close(db);
	return buf;
}

static void test_page(void **state)
{
	(void)state;
	int64_t now = (int64_t)time(NULL);
	struct cli_opts o = {.cmd = CLI_CMD_REPORT, .days = 30, .last = 50, .html = "-"};
	char *html = page(&o, now);
	struct cli_window w;
	cli_window_make(now, 30, &w);
	char title[128];
	snprintf(title, sizeof(title), "<title>wegauge report %s .. %s</title>", w.from, w.to);

	assert_int_equal(strncmp(html, "<!DOCTYPE html>\n", 16), 0);
	assert_non_null(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" "
	                             "content=\"default-src 'none'; style-src 'unsafe-inline'\">"));
	assert_int_equal(count(html, title), 1);
	/* nothing loads from anywhere: no scripts, links, images, external styles (the
	 * hostile text holds "src=x" as escaped text, never as an attribute) */
	static const char *const never[] = {"<script", "<link",    "<img", "<iframe",
	                                    " src=\"", " href=\"", "url(", "@import"};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (strstr(html, never[i]) != NULL)
			fail_msg("the page contains %s", never[i]);

	/* sections, series and points of the fixture (plus the hostile rows) */
	assert_int_equal(count(html, "<section class=\"workspace\""), 3);
	assert_int_equal(count(html, "<g class=\"series\" data-channel="), 6);
	assert_int_equal(count(html, "<g class=\"series\" data-platform="), 4);
	assert_int_equal(count(html, "<circle class=\"point\""), 16);
	assert_int_equal(count(html, "data-channel=\"OVERALL\""), 0);
	assert_int_equal(
	        count(html, "<g class=\"series\" data-channel=\"EMAIL\" data-points=\"3\""), 1);
	assert_int_equal(
	        count(html, "<g class=\"series\" data-channel=\"EMAIL\" data-points=\"1\""), 1);
	assert_int_equal(
	        count(html, "<g class=\"series\" data-platform=\"android\" data-points=\"3\""), 1);
	assert_int_equal(count(html, "<g class=\"bar\" data-window=\"90d\" data-active=\"3\" "
	                             "data-seats=\"4\">"),
	                 1);

	/* hostile text stays text, in attributes and in element content */
	assert_int_equal(count(html, "data-channel=\"&lt;script&gt;alert(1)&lt;/script&gt;\""), 1);
	assert_int_equal(
	        count(html, "data-platform=\"&quot;&gt;&lt;img src=x onerror=alert(2)&gt;\""), 1);
	assert_int_equal(
	        count(html,
	              "<td>&lt;/table&gt;&lt;script&gt;alert(3)&lt;/script&gt;&#39;&amp;</td>"),
	        1);
	assert_int_equal(count(html, "<td>\xef\xbf\xbd\xef\xbf\xbdok</td>"), 1);
	assert_int_equal(count(html, "<td>Newsletter &lt;b&gt;Nov&lt;/b&gt; &amp; more</td>"), 1);
	/* issue 12: a formula is only text here; control characters (but tab and newline)
	 * become U+FFFD; invisible and bidirectional characters show as <U+XXXX> */
	assert_int_equal(
	        count(html, "<td>=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)</td>"),
	        1);
	assert_int_equal(count(html, "<td>esc\xef\xbf\xbd[2J bel\xef\xbf\xbd c1\xef\xbf\xbd"
	                             " del\xef\xbf\xbd tab\tnl\nend</td>"),
	                 1);
	assert_int_equal(count(html, "<td>EMAIL&lt;U+2066&gt;</td><td>admin&lt;U+202E&gt;gnp.exe"
	                             "&lt;U+200B&gt;</td>"),
	                 1);
	static const char *const raw[] = {"\x1b",         "\x07",         "\xc2\x9b",    "\x7f",
	                                  "\xe2\x80\xae", "\xe2\x80\x8b", "\xe2\x81\xa6"};
	for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++)
		if (strstr(html, raw[i]) != NULL)
			fail_msg("the page holds raw character %zu", i);
	free(html);
}

static void test_one_day_one_workspace(void **state)
{
	(void)state;
	struct cli_opts o = {.cmd = CLI_CMD_REPORT,
	                     .days = 1,
	                     .last = 50,
	                     .html = "-",
	                     .workspace = "acme-prod"};
	char *html = page(&o, (int64_t)time(NULL));
	assert_int_equal(count(html, "<section class=\"workspace\""), 1);
	assert_int_equal(count(html, "data-workspace=\"acme-prod\""), 1);
	/* today: PUSH_NOTIFICATION and the hostile channel; android and the hostile platform */
	assert_int_equal(count(html, "<g class=\"series\" data-channel="), 2);
	assert_int_equal(count(html, "<g class=\"series\" data-platform="), 2);
	/* a one-day window puts every point in the middle of the plot */
	assert_int_equal(count(html, "<circle class=\"point\""), 4);
	assert_int_equal(count(html, "<circle class=\"point\" cx=\"386.0\""), 4);
	free(html);

	o.workspace = "initech";
	html = page(&o, (int64_t)time(NULL));
	assert_int_equal(count(html, "<svg class=\"chart\""), 0);
	assert_int_equal(count(html, "No deliveries per channel in this window."), 1);
	assert_int_equal(count(html, "No daily active users per platform in this window."), 1);
	assert_int_equal(count(html, "No seats."), 1);
	free(html);
}

static void test_write_error(void **state)
{
	(void)state;
	FILE *f = fopen("/dev/full", "w");
	if (f == NULL)
		skip();
	struct cli_db *db = NULL;
	char err[512] = "";
	assert_int_equal(cli_db_open(store, NULL, &db, err, sizeof(err)), 0);
	struct cli_opts o = {.cmd = CLI_CMD_REPORT, .days = 30, .last = 50, .html = "-"};
	assert_int_equal(cli_html_report(db, &o, (int64_t)time(NULL), f, err, sizeof(err)), -1);
	assert_string_equal(err, "cannot write the HTML report");
	fclose(f);
	cli_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_page),
	        cmocka_unit_test(test_one_day_one_workspace),
	        cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
