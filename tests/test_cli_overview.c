/*
 * test_cli_overview.c: `wegauge overview` (src/cli/cli_overview.c and
 * cli_overview_html.c) on the store of tests/fixtures/cli/overview.sql,
 * every figure computed by hand below; on an empty store; and the page.
 *
 * Hand computation, --days 7 (current D-6 .. D, previous D-13 .. D-7):
 *  seats   alpha: 4 seats (e@x removed), active 30d a@x, 60d also b@x
 *          (45 days), 90d the same (d@x is 100 days), never c@x: 4 1 2 2
 *          1, unused 3, utilization 25.0, cost 3 * 10.00 = 30.0 EUR.
 *          beta: 3 never: 3 0 0 0 3, unused 3, 0.0, 30.0 EUR (alpha's
 *          unused and cost: ties, by name). delta: 2 2 2 2 0, unused 0,
 *          100.0, 0.0 USD (a price, no unused seat). gamma, zeta: no seats,
 *          no utilization, no price. epsilon is removed: nowhere.
 *          Totals: 9 seats, 3 active, 6 unused, 4 never, 3/9 = 33.3%;
 *          60.0 EUR and 0.0 USD a month; 2 workspaces without a price.
 *  trend   alpha OVERALL 100 + 50 against 300: -50.0 (D-14 is outside);
 *          delta 200 against 100: +100.0; gamma has no OVERALL: its
 *          channels, 10 (WHATSAPP today) against 40 (PUSH_NOTIFICATION at
 *          D-10): -75.0; beta, zeta nothing: no change. Order: gamma,
 *          alpha, delta, then beta, zeta. Totals 360 against 440: -18.2.
 *          DAU alpha: D-1 10 + 20, D-2 40 (web has none): 70 over 2 days,
 *          35.0, against 10 over 1 day, 10.0: +250.0.
 *  channels known: EMAIL, PUSH_NOTIFICATION, SMS, WHATSAPP (epsilon's RCS
 *          is removed with it). alpha used EMAIL and SMS (PUSH had a 0):
 *          unused PUSH_NOTIFICATION, WHATSAPP; EMAIL 100 against 200 and
 *          SMS 50 against 100 both fell 50%: EMAIL fell by more. delta:
 *          used EMAIL only: 3 unused, nothing fell. gamma: used WHATSAPP:
 *          3 unused, PUSH_NOTIFICATION fell 100%. beta, zeta: no data.
 *          Order: gamma (3, a fall), delta (3), alpha (2), beta, zeta.
 *          Per channel, of 3 workspaces with data: EMAIL used by 2, 300
 *          against 300, 0.0; PUSH_NOTIFICATION by 0, 0 against 40,
 *          -100.0; SMS by 1, 50 against 100, -50.0; WHATSAPP by 1, 10
 *          against 0, no change.
 *  health  beta auth_failed since its failed pull of D-4 (after the ok one
 *          of D-5; the failure of D-6 is older); gamma stale (2 hours >
 *          2 * 10 minutes) since its last success; delta disabled. alpha
 *          (10 minutes < 2 hours) and zeta (never pulled) are not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>

#include <cmocka.h>

#include "cli/cli_args.h"
#include "cli/cli_db.h"
#include "cli/cli_overview.h"
#include "cli_fixture.h"
#include "ts.h"

static char store[600], empty[600];
static wall_s now;

static int setup(void **state)
{
	(void)state;
	if (fixture_mkdtemp("cli_overview") != 0)
		return -1;
	snprintf(store, sizeof(store), "%s/overview.db", dir);
	snprintf(empty, sizeof(empty), "%s/empty.db", dir);
	fixture_build_store_with(store, "cli/overview.sql");
	fixture_build_store_with(empty, NULL);
	now = (wall_s)time(NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return fixture_rmdir();
}

/* Parse "overview ARGS" (words split at spaces) into *o. */
static void parse(const char *line, struct cli_opts *o, char *buf, size_t len)
{
	char *argv[32];
	int argc = 0;
	argv[argc++] = "wegauge";
	snprintf(buf, len, "%s", line);
	for (char *t = strtok(buf, " "); t != NULL && argc < 31; t = strtok(NULL, " "))
		argv[argc++] = t;
	argv[argc] = NULL;
	char err[256];
	if (cli_args_parse(argc, argv, o, err, sizeof(err)) != 0)
		fail_msg("%s: %s", line, err);
}

/* Run `wegauge overview ARGS` on path into r (the caller frees it). */
static void run(const char *path, const char *line, struct cli_result *r)
{
	char buf[512], err[512] = "";
	struct cli_opts o;
	parse(line, &o, buf, sizeof(buf));
	struct cli_db *db = NULL;
	if (cli_db_open(path, NULL, &db, err, sizeof(err)) != 0 ||
	    cli_db_begin(db, err, sizeof(err)) != 0 ||
	    cli_cmd_overview(db, &o, now, r, err, sizeof(err)) != 0)
		fail_msg("%s: %s", line, err);
	cli_db_close(db);
}

static const struct cli_section *section(const struct cli_result *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->sec[i]->name, name) == 0)
			return r->sec[i];
	fail_msg("no section %s", name);
	return NULL;
}

/* A cell as the table form prints it ("-" for NULL). */
static const char *text(const struct cli_cell *c)
{
	static char buf[256];
	switch (c->kind) {
	case CLI_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)c->i);
		return buf;
	case CLI_REAL:
		cli_format_real(c->d, buf);
		return buf;
	case CLI_TEXT:
		return c->s;
	case CLI_NULL:
	default:
		return "-";
	}
}

/* The cell of section sec in the row whose first column is key, column col. */
static const char *val(const struct cli_result *r, const char *sec, const char *key,
                       const char *col)
{
	const struct cli_section *s = section(r, sec);
	size_t c = 0;
	while (c < s->ncols && strcmp(s->cols[c], col) != 0)
		c++;
	if (c == s->ncols)
		fail_msg("%s: no column %s", sec, col);
	for (size_t row = 0; row < s->nrows; row++) {
		const struct cli_cell *k = cli_section_cell(s, row, 0);
		if (k->kind == CLI_TEXT && strcmp(k->s, key) == 0)
			return text(cli_section_cell(s, row, c));
	}
	fail_msg("%s: no row %s", sec, key);
	return NULL;
}

/* The first column of every row of sec, joined by ",". */
static const char *order(const struct cli_result *r, const char *sec)
{
	static char buf[1024];
	const struct cli_section *s = section(r, sec);
	size_t n = 0;
	buf[0] = '\0';
	for (size_t row = 0; row < s->nrows; row++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", row ? "," : "",
		                      text(cli_section_cell(s, row, 0)));
	return buf;
}

/* The column names of sec, joined by ",". */
static const char *columns(const struct cli_result *r, const char *sec)
{
	static char buf[1024];
	const struct cli_section *s = section(r, sec);
	size_t n = 0;
	for (size_t c = 0; c < s->ncols; c++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", c ? "," : "", s->cols[c]);
	return buf;
}

#define EQ(got, want) assert_string_equal(got, want)

static void test_seats(void **state)
{
	(void)state;
	struct cli_result r = {0};
	run(store, "overview --days 7", &r);
	EQ(columns(&r, "seats"), "workspace,seats,active_30d,active_60d,active_90d,"
	                         "never_logged_in,unused,utilization_pct,seat_price,unused_cost,"
	                         "currency");
	EQ(order(&r, "seats"), "alpha,beta,delta,gamma,zeta");
	static const struct {
		const char *ws, *col, *want;
	} cells[] = {
	        {"alpha", "seats", "4"},
	        {"alpha", "active_30d", "1"},
	        {"alpha", "active_60d", "2"},
	        {"alpha", "active_90d", "2"},
	        {"alpha", "never_logged_in", "1"},
	        {"alpha", "unused", "3"},
	        {"alpha", "utilization_pct", "25.0"},
	        {"alpha", "seat_price", "10.0"},
	        {"alpha", "unused_cost", "30.0"},
	        {"alpha", "currency", "EUR"},
	        {"beta", "seats", "3"},
	        {"beta", "never_logged_in", "3"},
	        {"beta", "unused", "3"},
	        {"beta", "utilization_pct", "0.0"},
	        {"beta", "unused_cost", "30.0"},
	        {"delta", "unused", "0"},
	        {"delta", "utilization_pct", "100.0"},
	        {"delta", "seat_price", "5.5"},
	        {"delta", "unused_cost", "0.0"},
	        {"delta", "currency", "USD"},
	        {"gamma", "seats", "0"},
	        {"gamma", "utilization_pct", "-"},
	        {"gamma", "seat_price", "-"},
	        {"gamma", "unused_cost", "-"},
	        {"gamma", "currency", "-"},
	        {"zeta", "unused", "0"},
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		if (strcmp(val(&r, "seats", cells[i].ws, cells[i].col), cells[i].want) != 0)
			fail_msg("seats %s %s: %s, want %s", cells[i].ws, cells[i].col,
			         val(&r, "seats", cells[i].ws, cells[i].col), cells[i].want);
	cli_result_free(&r);

	run(store, "overview --days 7 --sort cost", &r);
	EQ(order(&r, "seats"), "alpha,beta,delta,gamma,zeta");
	cli_result_free(&r);
	run(store, "overview --days 7 --sort utilization", &r);
	EQ(order(&r, "seats"), "beta,alpha,delta,gamma,zeta");
	cli_result_free(&r);
	/* --limit cuts each ranking and says so in the table form's footer. */
	run(store, "overview --days 7 --limit 2", &r);
	EQ(order(&r, "seats"), "alpha,beta");
	EQ(section(&r, "seats")->footer, "2 of 5 shown (--limit 0 for all)");
	cli_result_free(&r);
	/* Without any price the three columns are absent, not zero. */
	run(store, "overview --days 7 --workspace gamma", &r);
	EQ(columns(&r, "seats"), "workspace,seats,active_30d,active_60d,active_90d,"
	                         "never_logged_in,unused,utilization_pct");
	EQ(order(&r, "summary"), "workspaces,seats,active_30d,unused_seats,never_logged_in,"
	                         "utilization,auth_failed,failing,stale,disabled,deliveries,"
	                         "deliveries_prev,deliveries_change,dau,dau_prev,shrinking,"
	                         "with_unused_channels");
	cli_result_free(&r);
}

static void test_summary(void **state)
{
	(void)state;
	struct cli_result r = {0};
	run(store, "overview --days 7", &r);
	static const struct {
		const char *figure, *want;
	} cells[] = {
	        {"workspaces", "5"},
	        {"seats", "9"},
	        {"active_30d", "3"},
	        {"unused_seats", "6"},
	        {"never_logged_in", "4"},
	        {"utilization", "33.3"},
	        {"workspaces_without_price", "2"},
	        {"auth_failed", "1"},
	        {"failing", "0"},
	        {"stale", "1"},
	        {"disabled", "1"},
	        {"deliveries", "360"},
	        {"deliveries_prev", "440"},
	        {"deliveries_change", "-18.2"},
	        {"dau", "35.0"},
	        {"dau_prev", "10.0"},
	        {"shrinking", "2"},
	        {"with_unused_channels", "3"},
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		if (strcmp(val(&r, "summary", cells[i].figure, "value"), cells[i].want) != 0)
			fail_msg("summary %s: %s, want %s", cells[i].figure,
			         val(&r, "summary", cells[i].figure, "value"), cells[i].want);
	/* One cost per currency, by code. */
	const struct cli_section *s = section(&r, "summary");
	size_t found = 0;
	for (size_t row = 0; row < s->nrows; row++) {
		const struct cli_cell *c = cli_section_cell(s, row, 0);
		if (strcmp(c[0].s, "unused_seat_cost") != 0)
			continue;
		EQ(text(&c[2]), found == 0 ? "EUR per month" : "USD per month");
		EQ(text(&c[1]), found == 0 ? "60.0" : "0.0");
		found++;
	}
	assert_int_equal(found, 2);
	cli_result_free(&r);
}

static void test_trend(void **state)
{
	(void)state;
	struct cli_result r = {0};
	run(store, "overview --days 7", &r);
	EQ(order(&r, "trend"), "gamma,alpha,delta,beta,zeta");
	static const struct {
		const char *ws, *col, *want;
	} cells[] = {
	        {"alpha", "deliveries", "150"},
	        {"alpha", "deliveries_prev", "300"},
	        {"alpha", "deliveries_change", "-50.0"},
	        {"alpha", "dau", "35.0"},
	        {"alpha", "dau_prev", "10.0"},
	        {"alpha", "dau_change", "250.0"},
	        {"delta", "deliveries", "200"},
	        {"delta", "deliveries_change", "100.0"},
	        {"delta", "dau", "-"},
	        {"gamma", "deliveries", "10"},
	        {"gamma", "deliveries_prev", "40"},
	        {"gamma", "deliveries_change", "-75.0"},
	        {"beta", "deliveries", "0"},
	        {"beta", "deliveries_change", "-"},
	        {"zeta", "dau_change", "-"},
	};
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
		if (strcmp(val(&r, "trend", cells[i].ws, cells[i].col), cells[i].want) != 0)
			fail_msg("trend %s %s: %s, want %s", cells[i].ws, cells[i].col,
			         val(&r, "trend", cells[i].ws, cells[i].col), cells[i].want);
	cli_result_free(&r);
	run(store, "overview --days 7 --sort dau", &r);
	EQ(order(&r, "trend"), "alpha,beta,delta,gamma,zeta");
	cli_result_free(&r);
	run(store, "overview --days 7 --sort name --limit 0", &r);
	EQ(order(&r, "trend"), "alpha,beta,delta,gamma,zeta");
	EQ(order(&r, "health"), "beta,delta,gamma");
	EQ(order(&r, "channels"), "alpha,beta,delta,gamma,zeta");
	cli_result_free(&r);
}

static void test_channels(void **state)
{
	(void)state;
	struct cli_result r = {0};
	run(store, "overview --days 7", &r);
	EQ(order(&r, "channels"), "gamma,delta,alpha,beta,zeta");
	EQ(val(&r, "channels", "alpha", "unused"), "PUSH_NOTIFICATION, WHATSAPP");
	EQ(val(&r, "channels", "alpha", "unused_channels"), "2");
	EQ(val(&r, "channels", "alpha", "falling_channel"), "EMAIL");
	EQ(val(&r, "channels", "alpha", "falling_change"), "-50.0");
	EQ(val(&r, "channels", "delta", "unused"), "PUSH_NOTIFICATION, SMS, WHATSAPP");
	EQ(val(&r, "channels", "delta", "falling_channel"), "-");
	EQ(val(&r, "channels", "gamma", "unused"), "EMAIL, PUSH_NOTIFICATION, SMS");
	EQ(val(&r, "channels", "gamma", "falling_channel"), "PUSH_NOTIFICATION");
	EQ(val(&r, "channels", "gamma", "falling_change"), "-100.0");
	EQ(val(&r, "channels", "beta", "unused_channels"), "0");
	EQ(val(&r, "channels", "beta", "unused"), "-");

	EQ(order(&r, "channel_totals"), "EMAIL,PUSH_NOTIFICATION,SMS,WHATSAPP");
	static const struct {
		const char *ch, *using, *not_using, *cur, *prev, *change;
	} rows[] = {
	        {"EMAIL", "2", "1", "300", "300", "0.0"},
	        {"PUSH_NOTIFICATION", "0", "3", "0", "40", "-100.0"},
	        {"SMS", "1", "2", "50", "100", "-50.0"},
	        {"WHATSAPP", "1", "2", "10", "0", "-"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		EQ(val(&r, "channel_totals", rows[i].ch, "workspaces_using"), rows[i].using);
		EQ(val(&r, "channel_totals", rows[i].ch, "workspaces_not_using"),
		   rows[i].not_using);
		EQ(val(&r, "channel_totals", rows[i].ch, "deliveries"), rows[i].cur);
		EQ(val(&r, "channel_totals", rows[i].ch, "deliveries_prev"), rows[i].prev);
		EQ(val(&r, "channel_totals", rows[i].ch, "deliveries_change"), rows[i].change);
	}
	cli_result_free(&r);

	/*
	 * --days 1: D (today) against D-1. Known channels: alpha's EMAIL (D-1)
	 * and gamma's WHATSAPP (today). alpha delivered nothing today: both
	 * unused, EMAIL fell 100%; its DAU has only the previous day; delta
	 * has no row in either day: no channel data, no change.
	 */
	run(store, "overview --days 1", &r);
	EQ(order(&r, "channel_totals"), "EMAIL,WHATSAPP");
	EQ(val(&r, "channels", "alpha", "unused"), "EMAIL, WHATSAPP");
	EQ(val(&r, "channels", "alpha", "falling_change"), "-100.0");
	EQ(val(&r, "channels", "gamma", "unused"), "EMAIL");
	EQ(val(&r, "channels", "delta", "unused"), "-");
	EQ(val(&r, "trend", "alpha", "deliveries"), "0");
	EQ(val(&r, "trend", "alpha", "deliveries_prev"), "100");
	EQ(val(&r, "trend", "alpha", "deliveries_change"), "-100.0");
	EQ(val(&r, "trend", "alpha", "dau"), "-");
	EQ(val(&r, "trend", "alpha", "dau_prev"), "30.0");
	EQ(val(&r, "trend", "delta", "deliveries_change"), "-");
	cli_result_free(&r);
}

static void test_health(void **state)
{
	(void)state;
	struct cli_result r = {0};
	run(store, "overview --days 7", &r);
	EQ(order(&r, "health"), "beta,gamma,delta");
	char since[TS_LEN + 16], day[DAY_LEN];
	ts_format_day(now - ((now % 86400) + 86400) % 86400 - 4 * 86400, day);
	snprintf(since, sizeof(since), "%sT10:00:00Z", day);
	EQ(val(&r, "health", "beta", "health"), "auth_failed");
	EQ(val(&r, "health", "beta", "since"), since);
	EQ(val(&r, "health", "beta", "reason"), "probe: HTTP 401 <script>");
	EQ(val(&r, "health", "gamma", "health"), "stale");
	char gamma_success[64];
	snprintf(gamma_success, sizeof(gamma_success), "%s",
	         val(&r, "health", "gamma", "last_success"));
	assert_string_not_equal(gamma_success, "-");
	EQ(val(&r, "health", "gamma", "since"), gamma_success);
	EQ(val(&r, "health", "delta", "health"), "disabled");
	EQ(val(&r, "health", "delta", "since"), "-");
	cli_result_free(&r);
}

static void test_empty_store(void **state)
{
	(void)state;
	struct cli_result r = {0};
	run(empty, "overview", &r);
	EQ(val(&r, "summary", "workspaces", "value"), "0");
	EQ(val(&r, "summary", "utilization", "value"), "-");
	EQ(val(&r, "summary", "deliveries", "value"), "0");
	EQ(val(&r, "summary", "deliveries_change", "value"), "-");
	EQ(order(&r, "seats"), "");
	EQ(order(&r, "health"), "");
	EQ(order(&r, "channel_totals"), "");
	cli_result_free(&r);
}

/* Count the occurrences of needle in hay. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The page of `overview ARGS` with links (NULL: none), malloc'd. */
static char *page(const char *line, const char *links)
{
	char buf[512], err[512] = "";
	struct cli_opts o;
	parse(line, &o, buf, sizeof(buf));
	struct cli_db *db = NULL;
	struct overview ov;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	if (cli_db_open(store, NULL, &db, err, sizeof(err)) != 0 ||
	    cli_db_begin(db, err, sizeof(err)) != 0 ||
	    cli_overview_load(db, &o, now, true, &ov, err, sizeof(err)) != 0 ||
	    cli_overview_html(&ov, &o, links, f, err, sizeof(err)) != 0)
		fail_msg("%s: %s", line, err);
	cli_overview_free(&ov);
	cli_db_close(db);
	fclose(f);
	return text;
}

static void test_html(void **state)
{
	(void)state;
	char *html = page("overview --days 7", "w/");
	/* Self-contained: one inline script, nothing loaded. */
	assert_non_null(strstr(html, "content=\"default-src 'none'; style-src 'unsafe-inline'; "
	                             "script-src 'unsafe-inline'\""));
	assert_int_equal(count(html, "<script"), 1);
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "http://"));
	/* The stored reason is text, never markup. */
	assert_non_null(strstr(html, "probe: HTTP 401 &lt;script&gt;"));
	/* Each ranking, and the full table with every workspace linked. */
	static const char *const ids[] = {"health", "seats", "trend", "channels", "channel_totals"};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		char want[96];
		snprintf(want, sizeof(want), "<table class=\"sortable\" id=\"%s\">", ids[i]);
		assert_non_null(strstr(html, want));
	}
	assert_non_null(strstr(html, "<div id=\"all\" class=\"all p\">"));
	/* alpha: seats, trend, channels and the full table; beta also needs attention. */
	assert_int_equal(count(html, "<a href=\"w/alpha.html\">alpha</a>"), 4);
	assert_int_equal(count(html, "<a href=\"w/beta.html\">beta</a>"), 5);
	assert_null(strstr(html, "epsilon"));
	/*
	 * Sparklines (OVERALL per day, x 3 a day from D-6, y 18 down to 1 at
	 * the busiest day): alpha 50 at D-2 and 100 at D-1; delta 200 at D-3
	 * alone; gamma has no OVERALL, beta and zeta nothing.
	 */
	assert_int_equal(count(html, "<svg viewBox"), 2);
	assert_non_null(strstr(html, "<a href=\"w/alpha.html\">alpha</a><td><td>4<td>3<td>25.0"
	                             "<td>30.00<td>EUR<td>150<td>-50.0<td>35.0<td>+250.0<td>2<td>"
	                             "<svg viewBox=\"0 0 18 20\"><path d=\"M12 9l3-8\"/></svg>\n"));
	assert_non_null(strstr(html, "<svg viewBox=\"0 0 18 20\"><path d=\"M9 1h1\"/></svg>"));
	assert_non_null(strstr(html, "<a href=\"w/gamma.html\">gamma</a><td>stale<td>0<td>0<td>-"
	                             "<td>-<td><td>10<td>-75.0<td>-<td>-<td>3<td>\n"));
	free(html);

	/*
	 * --days 365: buckets of ceil(365 / 60) = 7 days from D-364, 53 of
	 * them (x up to 156). alpha: D-14 (5000) and D-8 (300) fall in bucket
	 * 50 (days 350 .. 356), D-2 and D-1 (150) in bucket 51: y 1 and
	 * 18 - round(150 / 5300 * 17) = 18.
	 */
	html = page("overview --days 365", NULL);
	assert_non_null(strstr(html, "deliveries per 7 days"));
	assert_non_null(
	        strstr(html, "<svg viewBox=\"0 0 156 20\"><path d=\"M150 1l3 17\"/></svg>"));
	free(html);

	/* Without links and without a price: no anchors, no price columns. */
	html = page("overview --days 7 --workspace gamma", NULL);
	assert_null(strstr(html, "<a href"));
	assert_null(strstr(html, "unused cost"));
	assert_non_null(strstr(html, "<div id=\"all\" class=\"all\">"));
	free(html);
}

static void test_helpers(void **state)
{
	(void)state;
	static const struct {
		double cur, prev;
		bool has;
		double pct;
	} cases[] = {
	        {150, 300, true, -50.0},   {1, 3, true, -66.7},
	        {2, 3, true, -33.3},       {1, 8, true, -87.5},
	        {3, 8, true, -62.5},       {100, 0, false, 0},
	        {0, 0, false, 0},          {1000, 999, true, 0.1},
	        {1, 100000, true, -100.0}, {100000, 99999.99, true, 0.0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double pct = -1;
		assert_int_equal(cli_ov_change(cases[i].cur, cases[i].prev, &pct), cases[i].has);
		if (cases[i].has && pct != cases[i].pct)
			fail_msg("%g against %g: %g, want %g", cases[i].cur, cases[i].prev, pct,
			         cases[i].pct);
	}
	double m = 0;
	assert_false(cli_ov_mean(10, 0, &m));
	assert_true(cli_ov_mean(70, 2, &m));
	assert_true(m == 35.0);
	assert_true(cli_ov_mean(10, 3, &m));
	assert_true(m == 3.3);
	assert_true(cli_ov_round1(-0.04) == 0.0);
	assert_false(signbit(cli_ov_round1(-0.04)));
	assert_true(cli_ov_round1(0.25) == 0.3);
	assert_true(cli_ov_round1(-0.25) == -0.3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_seats),  cmocka_unit_test(test_summary),
	        cmocka_unit_test(test_trend),  cmocka_unit_test(test_channels),
	        cmocka_unit_test(test_health), cmocka_unit_test(test_empty_store),
	        cmocka_unit_test(test_html),   cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
