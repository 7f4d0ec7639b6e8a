/*
 * test_pull.c: src/pull.c driven through its struct pull_env alone: a
 * real in-memory store with its gate, a real worker thread, and a fake
 * HTTP engine that answers from tests/fixtures/api (fake_http.h); the
 * report callbacks are this test's recorders. Nothing of the daemon is
 * linked in. What it asserts:
 *  - a whole pull: the probe, then every stream in order (stats as a
 *    POST, six campaign channels of which five answer 404 and one has
 *    three pages, active users, team), every row in the store, the pull
 *    row "ok" with its request and row counts, the reports (probed once,
 *    wrote, done once with PULL_OK, w->pull NULL by then) and counters;
 *  - pagination: a team of two pages, and a walk that passes max_pages;
 *  - streams the workspace does not enable are not requested;
 *  - retries: a 503 and a refused connection are retried after a backoff
 *    (the pull parks, reports it), counted; a stream whose retries run
 *    out fails alone (partial) with the attempts in its error; a 429
 *    with Retry-After: 1 waits at least a second;
 *  - holds: X-RateLimit-Remaining: 0 holds that endpoint to the next
 *    minute and the pull goes on elsewhere; a held endpoint's request
 *    waits for its hold;
 *  - 401: the probe refused ends the pull auth_failed at once, with the
 *    fingerprint and the server's message, and clears key_ok;
 *  - cancel: while a request is out, and while waiting on a hold: the
 *    request is taken back, the row ends "cancelled", done is never
 *    reported, the counter counts it;
 *  - the store gate: closed at the start, the pull does not begin
 *    (returns 1); closed when a stream is complete, the stream waits
 *    with its rows and is committed when it opens;
 *  - a store that refuses the pull row: done(PULL_FAILED) at once,
 *    pull_start returns -1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pull_fixture.h"
#include "retry.h"
#include "rng.h"

/* --- the report recorder ------------------------------------------------------ */

static struct {
	int wrote, probed, done, parked;
	enum pull_status status;
	char error[512];
	bool pull_gone; /* w->pull was NULL when done was reported */
} rec;

static void rec_wrote(void *arg, struct ws *w)
{
	(void)arg;
	(void)w;
	rec.wrote++;
}

static void rec_probed(void *arg, struct ws *w)
{
	(void)arg;
	assert_true(w->key_ok);
	rec.probed++;
}

static void rec_done(void *arg, struct ws *w, enum pull_status status, const char *error)
{
	(void)arg;
	rec.done++;
	rec.status = status;
	rec.pull_gone = w->pull == NULL;
	snprintf(rec.error, sizeof(rec.error), "%s", error ? error : "");
}

static void rec_parked(void *arg)
{
	(void)arg;
	rec.parked++;
}

static bool pull_ended(void *arg)
{
	(void)arg;
	return rec.done > 0;
}

/* A fixture of n workspaces with the extra lines, the recorder as its reports. */
static void setup(struct pull_fixture *f, size_t n, const char *daemon_extra, const char *ws_extra)
{
	memset(&rec, 0, sizeof(rec));
	memset(f, 0, sizeof(*f));
	rng_seed_with(1); /* the backoffs drawn are the same every run */
	assert_int_equal(pull_fixture_config(f, "test_pull", n, daemon_extra, ws_extra), 0);
	assert_int_equal(pull_fixture_init(f), 0);
	f->env.report = (struct pull_report){
	        .wrote = rec_wrote, .probed = rec_probed, .done = rec_done, .parked = rec_parked};
}

/* The answers of a healthy account, stream by stream (docs/api.md's examples). */
static void routes_healthy(struct fake_http *h)
{
	fake_http_route(h, "/wegauge-probe", 404, NULL, NULL); /* 404: the key is accepted */
	fake_http_route(h, "/stats", 200, "stats_example.json", NULL);
	fake_http_route(h, "/push-notifications", 200, "campaigns_example.json", NULL);
	fake_http_route(h, "/in-app-notifications", 404, NULL, NULL);
	fake_http_route(h, "/sms-messages", 404, NULL, NULL);
	fake_http_route(h, "/email-messages", 404, NULL, NULL);
	fake_http_route(h, "/web-push", 404, NULL, NULL);
	fake_http_route(h, "/whatsapp-messages", 404, NULL, NULL);
	fake_http_route(h, "/publisher-metrics", 200, "active_example.json", NULL);
	fake_http_route(h, "/team-members", 200, "team_example.json", NULL);
}

/* Run w's pull to its end (10 s at most). */
static void run_pull(struct pull_fixture *f, struct ws *w)
{
	assert_int_equal(pull_start(&f->env, w), 0);
	assert_non_null(w->pull);
	assert_true(pull_fixture_turn(f, pull_ended, NULL, 10000));
	assert_null(w->pull);
	assert_true(rec.pull_gone);
	assert_int_equal(rec.done, 1);
}

/* Page 3 of the push campaigns, changed: delivered 950 -> 990, and a second campaign. */
static const char campaigns_page3_changed[] =
        "{\"response\":{\"status\":\"success\",\"message\":\"success\",\"data\":{\"pageNo\":3,"
        "\"numberOfPages\":3,\"contents\":[{\"id\":\"~1a2b3c\",\"title\":\"Winter sale\","
        "\"status\":\"RUNNING\",\"category\":\"PROMOTIONAL\","
        "\"createdOn\":\"2026-10-01T10:00:00+0000\",\"startDate\":\"2026-10-02T09:00+0000\","
        "\"stats\":{\"sent\":1000,\"delivered\":990,\"clicks\":40,\"clickThroughConversion\":6,"
        "\"clickThroughRevenue\":310.5}},{\"id\":\"~new\",\"title\":\"New\"}]}}}";

/* A team of one other member (ana leaves, bo arrives). */
static const char team_changed[] =
        "{\"response\":{\"status\":\"success\",\"message\":\"success\",\"data\":{\"pageNo\":1,"
        "\"numberOfPages\":1,\"contents\":[{\"email\":\"bo@example.com\",\"name\":\"Bo\"}]}}}";

/* Run one more pull of w with the recorder reset; the pull's id. */
static int64_t run_again(struct pull_fixture *f, struct ws *w)
{
	memset(&rec, 0, sizeof(rec));
	run_pull(f, w);
	assert_int_equal(rec.status, PULL_OK);
	return pull_fixture_int(f, "SELECT max(id) FROM pull");
}

/*
 * Writes proportional to change (src/pagesum.h): a second pull of the same
 * answers parses no page and writes no row, yet lists every stream as
 * stored; a changed team page is parsed and written alone; a change on
 * the last of three campaign pages has the first two (walked past
 * unparsed) parsed after all, and writes the changed and new rows only.
 */
static void test_unchanged_pages_skipped(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, NULL, NULL);
	routes_healthy(&f.http);
	struct ws *w = f.ws[0];
	int64_t p1 = run_again(&f, w);
	int64_t rows1 = pull_fixture_int(&f, "SELECT rows FROM pull");
	assert_true(rows1 > 0);
	assert_int_equal(f.metrics.pages_unchanged, 0);
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM stream_digest"), 4);

	/* 2: nothing changed. 6 pages with content (stats, 3 campaigns, active, team). */
	int64_t p2 = run_again(&f, w);
	assert_int_equal(f.metrics.pages_unchanged, 6);
	assert_int_equal(f.metrics.streams_unchanged, 4);
	char sql[512], text[128];
	snprintf(sql, sizeof(sql), "SELECT rows || ' ' || streams FROM pull WHERE id = %lld",
	         (long long)p2);
	assert_string_equal(pull_fixture_text(&f, sql, text, sizeof(text)),
	                    "0 stats,campaigns,active_users,team");
	snprintf(sql, sizeof(sql),
	         "SELECT (SELECT count(*) FROM feature_usage_daily WHERE pull_id <> %lld) +"
	         " (SELECT count(*) FROM campaign WHERE pull_id <> %lld) +"
	         " (SELECT count(*) FROM active_users_daily WHERE pull_id <> %lld) +"
	         " (SELECT count(*) FROM seat WHERE pull_id <> %lld)",
	         (long long)p1, (long long)p1, (long long)p1, (long long)p1);
	assert_int_equal(pull_fixture_int(&f, sql), 0);

	/* 3: the team changed: ana removed, bo added: 2 rows; 5 pages unchanged. */
	f.http.n_routes = 0;
	fake_http_route(&f.http, "/team-members", 200, NULL, team_changed);
	routes_healthy(&f.http);
	int64_t p3 = run_again(&f, w);
	assert_int_equal(f.metrics.pages_unchanged, 6 + 5);
	assert_int_equal(f.metrics.streams_unchanged, 4 + 3);
	snprintf(sql, sizeof(sql), "SELECT rows FROM pull WHERE id = %lld", (long long)p3);
	assert_int_equal(pull_fixture_int(&f, sql), 2);
	snprintf(
	        sql, sizeof(sql),
	        "SELECT group_concat(email || ':' || coalesce(removed_at IS NOT NULL, '') || ':' ||"
	        " (pull_id = %lld), ' ') FROM (SELECT * FROM seat ORDER BY email)",
	        (long long)p3);
	assert_string_equal(pull_fixture_text(&f, sql, text, sizeof(text)),
	                    "ana@example.com:1:1 bo@example.com:0:1");

	/* 4: page 3 of 3 of the push campaigns changed: one row changed, one new. */
	f.http.n_routes = 0;
	fake_http_route(&f.http, "/team-members", 200, NULL, team_changed);
	fake_http_route(&f.http, "/push-notifications?pageNo=3", 200, NULL,
	                campaigns_page3_changed);
	routes_healthy(&f.http);
	int64_t p4 = run_again(&f, w);
	/* stats, campaign pages 1 and 2 (then parsed after all), active, team */
	assert_int_equal(f.metrics.pages_unchanged, 11 + 5);
	assert_int_equal(f.metrics.streams_unchanged, 7 + 3);
	snprintf(sql, sizeof(sql), "SELECT rows FROM pull WHERE id = %lld", (long long)p4);
	assert_int_equal(pull_fixture_int(&f, sql), 2);
	snprintf(sql, sizeof(sql),
	         "SELECT group_concat(campaign_id || ':' || coalesce(delivered, '-') || ':' ||"
	         " (pull_id = %lld), ' ') FROM (SELECT * FROM campaign ORDER BY campaign_id)",
	         (long long)p4);
	assert_string_equal(pull_fixture_text(&f, sql, text, sizeof(text)),
	                    "~1a2b3c:990:1 ~new:-:1");

	/* 5: the same again: nothing written, every page skipped. */
	int64_t p5 = run_again(&f, w);
	assert_int_equal(f.metrics.pages_unchanged, 16 + 6);
	snprintf(sql, sizeof(sql), "SELECT rows FROM pull WHERE id = %lld", (long long)p5);
	assert_int_equal(pull_fixture_int(&f, sql), 0);
	pull_fixture_free(&f);
}

/*
 * A stream that fails stores nothing and remembers nothing new: page 3
 * changes, then a later channel answers 400 (the stream fails). Its rows
 * and digests stay those of the last walk stored; the next healthy pull
 * parses the changed page and writes it.
 */
static void test_failed_stream_remembers_nothing(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, NULL, NULL);
	routes_healthy(&f.http);
	struct ws *w = f.ws[0];
	run_again(&f, w);
	char digests[512], text[512], sql[256];
	const char *q_dg = "SELECT hex(digests) FROM stream_digest WHERE stream = 'campaigns'";
	pull_fixture_text(&f, q_dg, digests, sizeof(digests));
	assert_true(strlen(digests) == 3 * 2 * 24); /* three pages of 24 bytes, in hex */

	f.http.n_routes = 0;
	fake_http_route(&f.http, "/push-notifications?pageNo=3", 200, NULL,
	                campaigns_page3_changed);
	fake_http_route(&f.http, "/in-app-notifications", 400, NULL, NULL);
	routes_healthy(&f.http);
	memset(&rec, 0, sizeof(rec));
	run_pull(&f, w);
	assert_int_equal(rec.status, PULL_PARTIAL);
	assert_string_equal(pull_fixture_text(&f, q_dg, text, sizeof(text)), digests);
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM campaign"), 1);
	assert_int_equal(
	        pull_fixture_int(&f,
	                         "SELECT delivered FROM campaign WHERE campaign_id = '~1a2b3c'"),
	        950);

	f.http.n_routes = 0;
	fake_http_route(&f.http, "/push-notifications?pageNo=3", 200, NULL,
	                campaigns_page3_changed);
	routes_healthy(&f.http);
	int64_t p3 = run_again(&f, w);
	snprintf(sql, sizeof(sql), "SELECT rows FROM pull WHERE id = %lld", (long long)p3);
	assert_int_equal(pull_fixture_int(&f, sql), 2);
	assert_int_equal(
	        pull_fixture_int(&f,
	                         "SELECT delivered FROM campaign WHERE campaign_id = '~1a2b3c'"),
	        990);
	assert_string_not_equal(pull_fixture_text(&f, q_dg, text, sizeof(text)), digests);
	pull_fixture_free(&f);
}

static void test_whole_pull(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, NULL, NULL);
	routes_healthy(&f.http);
	struct ws *w = f.ws[0];
	run_pull(&f, w);

	assert_int_equal(rec.status, PULL_OK);
	assert_string_equal(rec.error, "");
	assert_int_equal(rec.probed, 1);
	assert_true(w->key_ok);
	assert_true(rec.wrote >= 2); /* its row at least, and its end */
	assert_int_equal(f.http.unrouted, 0);

	/* The requests, in order: the probe, stats (POST), 3 + 5 campaign pages, active, team. */
	static const char *const order[] = {
	        "/wegauge-probe",
	        "/v2/accounts/lc1/stats",
	        "/push-notifications?pageNo=1&pageSize=100",
	        "/push-notifications?pageNo=2",
	        "/push-notifications?pageNo=3",
	        "/in-app-notifications?pageNo=1",
	        "/sms-messages?pageNo=1",
	        "/email-messages?pageNo=1",
	        "/web-push?pageNo=1",
	        "/whatsapp-messages?pageNo=1",
	        "/publisher-metrics?from=",
	        "/team-members?pageNo=1",
	};
	size_t n = sizeof(order) / sizeof(order[0]);
	assert_int_equal(f.http.submitted, (int)n);
	for (size_t i = 0; i < n; i++) {
		if (!strstr(f.http.urls[i], order[i]))
			fail_msg("request %zu: %s, expected %s", i, f.http.urls[i], order[i]);
		assert_int_equal(f.http.posted[i], i == 1);
	}

	int64_t usage = pull_fixture_int(&f, "SELECT count(*) FROM feature_usage_daily");
	int64_t active = pull_fixture_int(&f, "SELECT count(*) FROM active_users_daily");
	assert_true(usage > 0);
	assert_true(active > 0);
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM campaign"), 1);
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM seat"), 1);
	char text[64];
	assert_string_equal(pull_fixture_text(&f, "SELECT status FROM pull", text, sizeof(text)),
	                    "ok");
	assert_int_equal(pull_fixture_int(&f, "SELECT requests FROM pull"), (int64_t)n);
	assert_int_equal(pull_fixture_int(&f, "SELECT retries FROM pull"), 0);
	/*
	 * Three pages list one campaign, the same each time: one row stored,
	 * and written once (the two repeats equal it).
	 */
	assert_int_equal(pull_fixture_int(&f, "SELECT rows FROM pull"), usage + 1 + active + 1);
	assert_int_equal(f.metrics.pulls[PULL_OK], 1);
	assert_int_equal(f.metrics.rows[STREAM_CAMPAIGNS], 1);
	assert_int_equal(f.metrics.rows[STREAM_TEAM], 1);
	assert_int_equal(f.metrics.requests[MEP_CAMPAIGNS][4], 5); /* the 404s */
	assert_int_equal(f.metrics.requests[MEP_CAMPAIGNS][2], 3);

	/* The next pull of a probed workspace starts with stats. */
	rec.done = 0;
	int before = f.http.submitted;
	run_pull(&f, w);
	assert_int_equal(rec.status, PULL_OK);
	assert_int_equal(rec.probed, 1);
	assert_non_null(strstr(f.http.urls[before], "/stats"));
	assert_int_equal(f.metrics.pulls[PULL_OK], 2);
	pull_fixture_free(&f);
}

#define TEAM_PAGE(n, email)                                                                        \
	"{\"response\":{\"status\":\"success\",\"message\":\"success\",\"data\":{\"pageNo\":" #n   \
	",\"numberOfPages\":2,\"contents\":[{\"email\":\"" email "\",\"name\":\"X\","              \
	"\"role\":\"ADMIN\",\"status\":\"ACTIVE\"}]}}}"

#define CAMPAIGN_PAGE(n)                                                                           \
	"{\"response\":{\"status\":\"success\",\"message\":\"success\",\"data\":{\"pageNo\":" #n   \
	",\"numberOfPages\":5,\"contents\":[{\"id\":\"c" #n "\",\"title\":\"T\","                  \
	"\"status\":\"RUNNING\",\"stats\":{\"sent\":1}}]}}}"

static void test_pagination(void **state)
{
	(void)state;
	struct pull_fixture f;
	/* Only team and campaigns; two pages at most. */
	setup(&f, 1, "max_pages = 2", "streams = campaigns, team");
	fake_http_route(&f.http, "/wegauge-probe", 200, NULL, "{}");
	fake_http_route(&f.http, "/push-notifications?pageNo=1", 200, NULL, CAMPAIGN_PAGE(1));
	fake_http_route(&f.http, "/push-notifications?pageNo=2", 200, NULL, CAMPAIGN_PAGE(2));
	fake_http_route(&f.http, "-messages", 404, NULL, NULL);
	fake_http_route(&f.http, "-notifications", 404, NULL, NULL);
	fake_http_route(&f.http, "/web-push", 404, NULL, NULL);
	fake_http_route(&f.http, "/team-members?pageNo=1", 200, NULL, TEAM_PAGE(1, "a@x.example"));
	fake_http_route(&f.http, "/team-members?pageNo=2", 200, NULL, TEAM_PAGE(2, "b@x.example"));
	run_pull(&f, f.ws[0]);

	/* Campaigns: numberOfPages 5 passes max_pages 2 at page 2; nothing of it stored. */
	assert_int_equal(rec.status, PULL_PARTIAL);
	assert_non_null(strstr(rec.error, "campaigns (push-notifications) page 2: "
	                                  "numberOfPages 5 passes max_pages 2"));
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM campaign"), 0);
	assert_int_equal(fake_http_count(&f.http, "/push-notifications"), 2);
	assert_int_equal(fake_http_count(&f.http, "/sms-messages"), 0); /* the stream failed */
	/* Team: both pages, one commit. */
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM seat"), 2);
	assert_int_equal(fake_http_count(&f.http, "/team-members"), 2);
	/* Not enabled: never asked for. */
	assert_int_equal(fake_http_count(&f.http, "/stats"), 0);
	assert_int_equal(fake_http_count(&f.http, "/publisher-metrics"), 0);
	assert_int_equal(f.http.unrouted, 0);
	pull_fixture_free(&f);
}

static void test_retries(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, "retry_base = 5ms\nretry_cap = 20ms\nretry_max = 2", NULL);
	struct fake_route *rt = fake_http_route(&f.http, "/wegauge-probe", 0, NULL, NULL);
	rt->result = CURLE_COULDNT_CONNECT;
	rt->times = 1;
	rt = fake_http_route(&f.http, "/stats", 503, NULL, "busy");
	rt->times = 1;
	fake_http_route(&f.http, "/team-members", 500, NULL, NULL); /* every time */
	routes_healthy(&f.http);
	run_pull(&f, f.ws[0]);

	/* The probe and stats were retried once each; team failed after 3 attempts. */
	assert_int_equal(rec.status, PULL_PARTIAL);
	assert_non_null(strstr(rec.error, "team page 1: HTTP 500 (after 3 attempts)"));
	assert_int_equal(fake_http_count(&f.http, "/wegauge-probe"), 2);
	assert_int_equal(fake_http_count(&f.http, "/stats"), 2);
	assert_int_equal(fake_http_count(&f.http, "/team-members"), 3);
	assert_int_equal(pull_fixture_int(&f, "SELECT retries FROM pull"), 4);
	assert_int_equal(f.metrics.retries, 4);
	/* Each retry waits on a timer (parked), unless its backoff drew 0 ms. */
	assert_true(rec.parked >= 1 && rec.parked <= 4);
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM seat"), 0);
	assert_true(pull_fixture_int(&f, "SELECT count(*) FROM feature_usage_daily") > 0);
	assert_int_equal(f.metrics.requests[MEP_PROBE][0], 1); /* the transport failure */
	pull_fixture_free(&f);
}

static void test_retry_after(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, NULL, "streams = stats");
	f.ws[0]->key_ok = true; /* probed before: the pull starts with stats */
	struct fake_route *rt = fake_http_route(&f.http, "/stats", 429, NULL, NULL);
	rt->retry_after = "1";
	rt->times = 1;
	routes_healthy(&f.http);
	run_pull(&f, f.ws[0]);
	assert_int_equal(rec.status, PULL_OK);
	assert_int_equal(f.http.submitted, 2);
	/* Retry-After: 1 is waited whole, and a little more (RETRY_DEADLINE_MARGIN_MS). */
	assert_true(f.http.submit_ms[1] - f.http.submit_ms[0] >= 1000);
	assert_int_equal(f.metrics.rate_limited, 1);
	assert_int_equal(rec.parked, 1);
	pull_fixture_free(&f);
}

static void test_holds(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, NULL, "streams = stats, team");
	struct ws *w = f.ws[0];
	/* The probe's answer says the probe endpoint has no requests left this minute. */
	struct fake_route *rt = fake_http_route(&f.http, "/wegauge-probe", 404, NULL, NULL);
	rt->rl_remaining = 0;
	routes_healthy(&f.http);
	/* And team is held for 300 ms already. */
	wall_ms t0 = clock_wall_ms();
	w->hold_until_ms[EP_TEAM] = t0 + 300;
	run_pull(&f, w);
	assert_int_equal(rec.status, PULL_OK);

	/* The probe's endpoint is held to the next minute; stats went on at once. */
	wall_ms held = w->hold_until_ms[EP_PROBE];
	assert_true(held > t0);
	assert_true(held <= t0 + 60000 + RETRY_DEADLINE_MARGIN_MS + 1000);
	assert_true(f.http.submit_ms[1] - f.http.submit_ms[0] < 250);
	/* Team waited for its hold, parked meanwhile. */
	assert_non_null(strstr(f.http.urls[2], "/team-members"));
	assert_true(f.http.submit_ms[2] - f.http.submit_ms[0] >= 250);
	assert_int_equal(rec.parked, 1);
	pull_fixture_free(&f);
}

static void test_auth_failed(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, NULL, NULL);
	struct ws *w = f.ws[0];
	w->key_ok = true;
	fake_http_route(&f.http, "/stats", 401, "env_error.json", NULL);
	routes_healthy(&f.http);
	run_pull(&f, w);
	assert_int_equal(rec.status, PULL_AUTH_FAILED);
	assert_false(w->key_ok);
	assert_int_equal(f.http.submitted, 1); /* nothing after the 401 */
	char want[256];
	snprintf(want, sizeof(want),
	         "stats: HTTP 401 (server said: Unauthorized): the API key (fingerprint %s) was "
	         "not accepted",
	         w->cfg->fingerprint);
	assert_string_equal(rec.error, want);
	char text[64];
	assert_string_equal(pull_fixture_text(&f, "SELECT status FROM pull", text, sizeof(text)),
	                    "auth_failed");
	assert_int_equal(f.metrics.pulls[PULL_AUTH_FAILED], 1);

	/* A probe that is refused: the same, and never reported as probed. */
	rec.done = 0;
	f.http.n_routes = 0;
	fake_http_route(&f.http, "/wegauge-probe", 401, NULL, NULL);
	run_pull(&f, w);
	assert_int_equal(rec.status, PULL_AUTH_FAILED);
	assert_int_equal(rec.probed, 0);
	assert_non_null(strstr(rec.error, "probe: HTTP 401: the API key"));
	pull_fixture_free(&f);
}

static bool submitted_one(void *arg)
{
	return ((struct pull_fixture *)arg)->http.submitted > 0;
}

static bool parked_once(void *arg)
{
	(void)arg;
	return rec.parked > 0;
}

static void test_cancel(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, NULL, NULL);
	struct ws *w = f.ws[0];
	routes_healthy(&f.http);

	/* While its request is out (the fake holds its answers). */
	f.http.hold = true;
	assert_int_equal(pull_start(&f.env, w), 0);
	assert_true(pull_fixture_turn(&f, submitted_one, &f, 2000));
	assert_int_equal(f.http.n_queue, 1);
	int64_t id = pull_id(w);
	assert_true(id > 0);
	pull_cancel(w, "cancelled by the test");
	assert_null(w->pull);
	assert_int_equal(f.http.cancelled, 1);
	assert_int_equal(f.http.n_queue, 0);
	fake_http_release(&f.http);
	for (int i = 0; i < 20; i++)
		event_base_loop(f.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(f.http.answered, 0);
	assert_int_equal(rec.done, 0); /* the caller decides what follows: no report */
	char text[128];
	assert_string_equal(pull_fixture_text(&f, "SELECT status FROM pull", text, sizeof(text)),
	                    "cancelled");
	assert_string_equal(pull_fixture_text(&f, "SELECT error FROM pull", text, sizeof(text)),
	                    "cancelled by the test");
	assert_int_equal(f.metrics.pulls[PULL_CANCELLED], 1);

	/* While waiting on a hold: the wait goes, nothing is sent. */
	w->key_ok = true;
	w->hold_until_ms[EP_STATS] = clock_wall_ms() + 10000;
	int sent = f.http.submitted;
	assert_int_equal(pull_start(&f.env, w), 0);
	assert_true(pull_fixture_turn(&f, parked_once, NULL, 2000));
	pull_cancel(w, "cancelled while waiting");
	for (int i = 0; i < 20; i++)
		event_base_loop(f.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(f.http.submitted, sent);
	assert_int_equal(rec.done, 0);
	assert_int_equal(f.metrics.pulls[PULL_CANCELLED], 2);
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM pull WHERE status = 'running'"),
	                 0);
	pull_cancel(w, "no pull: a no-op");
	pull_fixture_free(&f);
}

static bool answered_stats(void *arg)
{
	struct pull_fixture *f = arg;
	return f->http.answered >= 1 && f->http.n_queue == 0 && worker_pending(f->worker) == 0;
}

static void test_store_gate(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, NULL, "streams = stats");
	struct ws *w = f.ws[0];
	w->key_ok = true;
	routes_healthy(&f.http);

	/* Closed at the start: the pull does not begin; the caller holds it. */
	storegate_hold(f.gate);
	assert_int_equal(pull_start(&f.env, w), 1);
	assert_null(w->pull);
	assert_int_equal(f.http.submitted, 0);
	assert_int_equal(rec.done, 0);
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM pull"), 0);
	storegate_release(f.gate);

	/* Closed when the stream is complete: it waits with its rows, then is committed. */
	assert_int_equal(pull_start(&f.env, w), 0);
	storegate_hold(f.gate);
	assert_true(pull_fixture_turn(&f, answered_stats, &f, 5000));
	for (int i = 0; i < 20; i++)
		event_base_loop(f.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(rec.done, 0);
	assert_non_null(w->pull);
	assert_int_equal(pull_fixture_int(&f, "SELECT count(*) FROM feature_usage_daily"), 0);
	struct storegate_stats gs;
	storegate_get_stats(f.gate, &gs);
	assert_int_equal(gs.waits, 1);
	storegate_release(f.gate);
	assert_true(pull_fixture_turn(&f, pull_ended, NULL, 5000));
	assert_int_equal(rec.status, PULL_OK);
	assert_true(pull_fixture_int(&f, "SELECT count(*) FROM feature_usage_daily") > 0);
	pull_fixture_free(&f);
}

static void test_pull_row_refused(void **state)
{
	(void)state;
	struct pull_fixture f;
	setup(&f, 1, NULL, NULL);
	routes_healthy(&f.http);
	assert_int_equal(sqlite3_exec(store_handle(f.store),
	                              "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.pull "
	                              "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	assert_int_equal(pull_start(&f.env, f.ws[0]), -1);
	/* Reported before pull_start returned: the caller's report callback saw it. */
	assert_int_equal(rec.done, 1);
	assert_int_equal(rec.status, PULL_FAILED);
	assert_non_null(strstr(rec.error, "refused by the test"));
	assert_null(f.ws[0]->pull);
	assert_int_equal(f.http.submitted, 0);
	assert_int_equal(f.metrics.pulls[PULL_FAILED], 1);
	pull_fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_whole_pull),
	        cmocka_unit_test(test_unchanged_pages_skipped),
	        cmocka_unit_test(test_failed_stream_remembers_nothing),
	        cmocka_unit_test(test_pagination),
	        cmocka_unit_test(test_retries),
	        cmocka_unit_test(test_retry_after),
	        cmocka_unit_test(test_holds),
	        cmocka_unit_test(test_auth_failed),
	        cmocka_unit_test(test_cancel),
	        cmocka_unit_test(test_store_gate),
	        cmocka_unit_test(test_pull_row_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
