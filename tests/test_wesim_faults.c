/*
 * test_wesim_faults.c: fault injection (sim/faults.c, sim/raw.c), latency,
 * HTTPS (sim/tls.c) and the violation counters, as a client observes
 * them: statuses, Retry-After in both forms, curl's error for resets,
 * short bodies, broken chunking and stalls, body sizes of oversized
 * answers, reproducible draws, concurrency high-water marks.
 */
#include "test_wesim.h"

struct page {
	char url[512];
	struct ws_acct a;
	char *body; /* the unfaulted answer */
	size_t len;
	json_int_t pages;
};

/* A campaign page of account 0 with more than 5 campaigns, fetched unfaulted. */
static void real_page(const struct ws *w, struct page *p)
{
	static const char *const paths[6] = {"push-notifications", "in-app-notifications",
	                                     "sms-messages",       "email-messages",
	                                     "web-push",           "whatsapp-messages"};
	ws_account(w, 0, &p->a);
	for (int c = 0; c < 6; c++) {
		struct http_resp r;
		snprintf(p->url, sizeof(p->url), "%s/v1/accounts/%s/%s?pageNo=1&pageSize=5", w->url,
		         p->a.lc, paths[c]);
		http_get(&r, p->url, p->a.key);
		json_t *root = jparse(r.body, r.len);
		if (r.status == 200 && jint(jdata(root), "numberOfPages") > 1) {
			p->pages = jint(jdata(root), "numberOfPages");
			p->body = r.body;
			p->len = r.len;
			json_decref(root);
			return;
		}
		json_decref(root);
		http_free(&r);
	}
	fail_msg("account 0 has no channel with more than 5 campaigns");
}

static void set_fault(const struct ws *w, const char *kind)
{
	char path[128];
	snprintf(path, sizeof(path), "control?fault_rate=1&faults=%s", kind);
	ws_post(w, path);
}

/* "Sun, 06 Nov 1994 08:49:37 GMT" to epoch seconds, or -1. */
static int64_t http_date(const char *s)
{
	static const char *const mn[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char wd[4], mon[4];
	int d, y, h, mi, sec, n = 0;
	if (sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d GMT%n", wd, &d, mon, &y, &h, &mi, &sec, &n) !=
	            7 ||
	    (size_t)n != strlen(s) || wd[3] != '\0')
		return -1;
	for (int m = 0; m < 12; m++)
		if (strcmp(mon, mn[m]) == 0) {
			struct tm tm = {.tm_year = y - 1900,
			                .tm_mon = m,
			                .tm_mday = d,
			                .tm_hour = h,
			                .tm_min = mi,
			                .tm_sec = sec};
			return (int64_t)timegm(&tm);
		}
	return -1;
}

static void expect_error(const struct http_resp *r, long status, const char *msg,
                         const char *retry_after)
{
	char v[128];
	assert_int_equal(r->rc, CURLE_OK);
	assert_int_equal(r->status, status);
	json_t *root = jparse(r->body, r->len);
	assert_string_equal(jerror(root), msg);
	json_decref(root);
	assert_true(http_header(r, "X-RateLimit-Limit", v, sizeof(v)));
	if (retry_after) {
		assert_true(http_header(r, "Retry-After", v, sizeof(v)));
		assert_string_equal(v, retry_after);
	} else {
		assert_false(http_header(r, "Retry-After", v, sizeof(v)));
	}
}

/* Every fault kind once, with what a client sees; then the counters. */
static void test_each_fault(void **state)
{
	(void)state;
	const char *args[] = {"--quiet",    "--workspaces",   "1",           "--seed", "5",
	                      "--oversize", "1MiB",           "--slow-rate", "2000",   "--stall-ms",
	                      "20000",      "--write-config", "@DIR/cfg",    NULL};
	struct ws w;
	assert_int_equal(ws_start(&w, "faults", args), 0);
	struct page p;
	real_page(&w, &p);
	struct http_resp r;
	char v[128];

	set_fault(&w, "500");
	http_get(&r, p.url, p.a.key);
	expect_error(&r, 500, "Internal Server Error", NULL);
	http_free(&r);
	set_fault(&w, "502");
	http_get(&r, p.url, p.a.key);
	expect_error(&r, 502, "Bad Gateway", NULL);
	http_free(&r);
	set_fault(&w, "503");
	http_get(&r, p.url, p.a.key);
	expect_error(&r, 503, "Service Unavailable", NULL);
	http_free(&r);
	set_fault(&w, "503s");
	http_get(&r, p.url, p.a.key);
	expect_error(&r, 503, "Service Unavailable", "1");
	http_free(&r);
	set_fault(&w, "429");
	http_get(&r, p.url, p.a.key);
	expect_error(&r, 429, "Too Many Requests", NULL);
	assert_true(http_header(&r, "X-RateLimit-Remaining", v, sizeof(v)));
	assert_string_not_equal(v, "0"); /* an injected 429, not the limiter */
	http_free(&r);
	set_fault(&w, "429s");
	http_get(&r, p.url, p.a.key);
	expect_error(&r, 429, "Too Many Requests", "1");
	http_free(&r);

	set_fault(&w, "429d");
	int64_t before = t_wall_ms() / 1000;
	http_get(&r, p.url, p.a.key);
	assert_int_equal(r.status, 429);
	assert_true(http_header(&r, "Retry-After", v, sizeof(v)));
	int64_t when = http_date(v);
	assert_true(when >= before + 1 && when <= t_wall_ms() / 1000 + 3);
	http_free(&r);

	set_fault(&w, "truncated");
	http_get(&r, p.url, p.a.key);
	assert_int_equal(r.status, 200);
	assert_true(r.len > 0 && r.len < p.len);
	assert_memory_equal(r.body, p.body, r.len);
	assert_null(jparse(r.body, r.len));
	http_free(&r);

	set_fault(&w, "malformed");
	http_get(&r, p.url, p.a.key);
	assert_int_equal(r.status, 200);
	assert_int_equal(strncmp(r.body, "<html>", 6), 0);
	assert_null(jparse(r.body, r.len));
	http_free(&r);

	set_fault(&w, "envelope");
	http_get(&r, p.url, p.a.key);
	assert_int_equal(r.status, 200);
	json_t *root = jparse(r.body, r.len);
	assert_non_null(root); /* valid JSON ... */
	json_t *st = jget(root, "response.status"), *data = jget(root, "response.data");
	assert_false(json_is_string(st) && strcmp(json_string_value(st), "success") == 0 && data);
	json_decref(root);
	http_free(&r);

	set_fault(&w, "pagecount");
	http_get(&r, p.url, p.a.key);
	assert_int_equal(r.status, 200);
	root = jparse(r.body, r.len);
	json_t *real = jparse(p.body, p.len);
	json_int_t lie = jint(jdata(root), "numberOfPages");
	assert_true(lie > p.pages && lie <= p.pages + 3);
	assert_true(json_equal(json_object_get(jdata(root), "contents"),
	                       json_object_get(jdata(real), "contents")));
	json_decref(root);
	json_decref(real);
	http_free(&r);

	set_fault(&w, "stall");
	http_do(&r, "GET", p.url, p.a.key, NULL, NULL, 1000, NULL);
	assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(r.status, 200); /* the headers came */
	assert_int_equal(r.len, 0);
	assert_true(r.ms >= 1000);
	http_free(&r);

	set_fault(&w, "reset");
	http_do(&r, "GET", p.url, p.a.key, NULL, NULL, 10000, NULL);
	assert_int_equal(r.rc, CURLE_RECV_ERROR);
	assert_true(r.len <= p.len / 2);
	http_free(&r);

	set_fault(&w, "short");
	http_do(&r, "GET", p.url, p.a.key, NULL, NULL, 10000, NULL);
	assert_int_equal(r.rc, CURLE_PARTIAL_FILE);
	assert_int_equal(r.len, p.len);
	http_free(&r);

	set_fault(&w, "badchunk");
	http_do(&r, "GET", p.url, p.a.key, NULL, NULL, 10000, NULL);
	assert_int_equal(r.rc, CURLE_RECV_ERROR);
	assert_true(http_header(&r, "Transfer-Encoding", v, sizeof(v)));
	assert_string_equal(v, "chunked");
	http_free(&r);

	set_fault(&w, "slow"); /* 2000 B/s: 200 bytes every 100 ms */
	http_do(&r, "GET", p.url, p.a.key, NULL, NULL, 20000, NULL);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.len, p.len);
	assert_memory_equal(r.body, p.body, p.len);
	int64_t ticks = (int64_t)(p.len + 199) / 200;
	assert_true(r.ms >= ticks * 100 - 50);
	http_free(&r);

	set_fault(&w, "oversized"); /* 1 MiB + 64 KiB, with Content-Length, then chunked */
	for (int i = 0; i < 2; i++) {
		http_do(&r, "GET", p.url, p.a.key, NULL, NULL, 20000, NULL);
		assert_int_equal(r.rc, CURLE_OK);
		assert_int_equal(r.len, (1u << 20) + 65536);
		assert_int_equal(strncmp(r.body, "{\"response\":{\"status\":\"success\"", 31), 0);
		assert_string_equal(r.body + r.len - 3, "\"}}");
		if (i == 0) {
			assert_true(http_header(&r, "Content-Length", v, sizeof(v)));
			assert_string_equal(v, "1114112");
		} else {
			assert_false(http_header(&r, "Content-Length", v, sizeof(v)));
			assert_true(http_header(&r, "Transfer-Encoding", v, sizeof(v)));
		}
		http_free(&r);
	}

	/* the control endpoints are never faulted (ws_stats asserts 200) */
	json_t *s = ws_stats(&w);
	static const char *const once[] = {"500",       "502",      "503",       "503s",
	                                   "429",       "429s",     "429d",      "truncated",
	                                   "malformed", "envelope", "pagecount", "stall",
	                                   "reset",     "short",    "badchunk",  "slow"};
	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		char path[64];
		snprintf(path, sizeof(path), "faults.%s", once[i]);
		assert_int_equal(jint(s, path), 1);
	}
	assert_int_equal(jint(s, "faults.oversized"), 2);
	assert_int_equal(jint(s, "faults_total"), 18);
	assert_int_equal(jint(s, "in_flight.current"), 0);
	json_decref(s);
	free(p.body);
	ws_stop(&w);
}

/* The statuses of a fixed request sequence (pages 1..10, three times each). */
static void draw_sequence(const struct ws *w, long out[30])
{
	struct ws_acct a;
	ws_account(w, 0, &a);
	for (int rep = 0; rep < 3; rep++)
		for (int pg = 1; pg <= 10; pg++) {
			char url[512];
			struct http_resp r;
			snprintf(url, sizeof(url),
			         "%s/v1/accounts/%s/team-members?pageNo=%d&pageSize=2", w->url,
			         a.lc, pg);
			http_get(&r, url, a.key);
			out[rep * 10 + pg - 1] = r.status;
			http_free(&r);
		}
}

/* Same seed and requests: the same faults; a retry draws afresh; another seed differs. */
static void test_draws_are_reproducible(void **state)
{
	(void)state;
	const char *a9[] = {"--quiet", "--workspaces",   "1",        "--seed",
	                    "9",       "--fault-rate",   "0.5",      "--faults",
	                    "500,503", "--write-config", "@DIR/cfg", NULL};
	const char *a10[] = {"--quiet", "--workspaces",   "1",        "--seed",
	                     "10",      "--fault-rate",   "0.5",      "--faults",
	                     "500,503", "--write-config", "@DIR/cfg", NULL};
	struct ws w1, w2, w3;
	assert_int_equal(ws_start(&w1, "draw", a9), 0);
	assert_int_equal(ws_start(&w2, "draw", a9), 0);
	assert_int_equal(ws_start(&w3, "draw", a10), 0);
	long s1[30], s2[30], s3[30];
	draw_sequence(&w1, s1);
	draw_sequence(&w2, s2);
	draw_sequence(&w3, s3);
	assert_memory_equal(s1, s2, sizeof(s1));
	assert_memory_not_equal(s1, s3, sizeof(s1));
	int ok = 0, faulted = 0, changed = 0;
	for (int i = 0; i < 30; i++) {
		ok += s1[i] == 200;
		faulted += s1[i] == 500 || s1[i] == 503;
		if (i >= 10 && s1[i] != s1[i - 10])
			changed++;
	}
	assert_int_equal(ok + faulted, 30);
	assert_true(ok > 0 && faulted > 0);
	assert_true(changed > 0); /* the same request, served again, is drawn again */
	json_t *st = ws_stats(&w1);
	assert_int_equal(jint(st, "faults_total"), faulted);
	json_decref(st);
	ws_stop(&w1);
	ws_stop(&w2);
	ws_stop(&w3);
}

/* Coming back before Retry-After is counted; coming back after it is not. */
static void test_retry_after_violations(void **state)
{
	(void)state;
	const char *args[] = {"--quiet",  "--workspaces",
	                      "1",        "--seed",
	                      "5",        "--fault-rate",
	                      "1",        "--faults",
	                      "429s",     "--retry-after",
	                      "1",        "--write-config",
	                      "@DIR/cfg", NULL};
	struct ws w;
	assert_int_equal(ws_start(&w, "ra", args), 0);
	struct ws_acct a;
	ws_account(&w, 0, &a);
	char url[512], other[512];
	snprintf(url, sizeof(url), "%s/v1/accounts/%s/team-members?pageSize=3", w.url, a.lc);
	snprintf(other, sizeof(other), "%s/v1/survey/response/wegauge-probe", w.url);
	struct http_resp r;
	http_get(&r, url, a.key);
	assert_int_equal(r.status, 429);
	http_free(&r);
	http_get(&r, url, a.key); /* at once: a violation */
	assert_int_equal(r.status, 429);
	int64_t deadline = t_now_ms() + 1000;
	http_free(&r);
	ws_post(&w, "control?fault_rate=0");
	http_get(&r, other, a.key); /* another endpoint: its own deadline, none */
	assert_int_equal(r.status, 404);
	http_free(&r);
	json_t *st = ws_stats(&w);
	assert_int_equal(jint(st, "violations.retry_after"), 1);
	assert_int_equal(jint(st, "accounts.ws-0001.violations.retry_after"), 1);
	json_decref(st);
	/* wait for the deadline the second 429 gave, then come back */
	int64_t left;
	while ((left = deadline + 50 - t_now_ms()) > 0)
		poll(NULL, 0, (int)left);
	http_get(&r, url, a.key);
	assert_int_equal(r.status, 200);
	http_free(&r);
	st = ws_stats(&w);
	assert_int_equal(jint(st, "violations.retry_after"), 1);
	json_decref(st);
	ws_stop(&w);
}

/*
 * n requests side by side (curl multi, one connection each) for pages
 * 1..n of account a's team; their statuses into codes and bodies (malloc'd,
 * caller frees) into bodies. Returns the wall time taken.
 */
static int64_t concurrent(const struct ws *w, const struct ws_acct *a, int n, long *codes,
                          char **bodies)
{
	CURLM *m = curl_multi_init();
	CURL *e[16];
	struct http_resp r[16];
	struct curl_slist *h = NULL;
	char auth[256];
	assert_true(n <= 16);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", a->key);
	h = curl_slist_append(h, auth);
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	for (int i = 0; i < n; i++) {
		char url[512];
		memset(&r[i], 0, sizeof(r[i]));
		snprintf(url, sizeof(url), "%s/v1/accounts/%s/team-members?pageNo=%d&pageSize=1",
		         w->url, a->lc, i + 1);
		e[i] = curl_easy_init();
		curl_easy_setopt(e[i], CURLOPT_URL, url);
		curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, http_body_cb);
		curl_easy_setopt(e[i], CURLOPT_WRITEDATA, &r[i]);
		curl_easy_setopt(e[i], CURLOPT_TIMEOUT_MS, 20000L);
		curl_easy_setopt(e[i], CURLOPT_NOSIGNAL, 1L);
		curl_multi_add_handle(m, e[i]);
	}
	int64_t t0 = t_now_ms();
	int running = n;
	while (running) {
		curl_multi_perform(m, &running);
		if (running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	int64_t took = t_now_ms() - t0;
	for (int i = 0; i < n; i++) {
		curl_easy_getinfo(e[i], CURLINFO_RESPONSE_CODE, &codes[i]);
		curl_multi_remove_handle(m, e[i]);
		curl_easy_cleanup(e[i]);
		bodies[i] = r[i].body ? r[i].body : calloc(1, 1);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(h);
	return took;
}

/* --latency delays answers; concurrent requests show in the high-water marks. */
static void test_latency_and_concurrency(void **state)
{
	(void)state;
	const char *args[] = {"--quiet", "--workspaces",   "1",        "--seed", "5", "--latency",
	                      "300:100", "--write-config", "@DIR/cfg", NULL};
	struct ws w;
	assert_int_equal(ws_start(&w, "lat", args), 0);
	struct ws_acct a;
	ws_account(&w, 0, &a);
	enum { N = 6 };
	long codes[N];
	char *bodies[N];
	int64_t took = concurrent(&w, &a, N, codes, bodies);
	for (int i = 0; i < N; i++) {
		assert_int_equal(codes[i], 200);
		free(bodies[i]);
	}
	assert_true(took >= 300);
	json_t *st = ws_stats(&w);
	assert_int_equal(jint(st, "in_flight.max"), N); /* all six waited side by side */
	assert_int_equal(jint(st, "in_flight.current"), 0);
	assert_true(jint(st, "connections.max") >= N);
	json_decref(st);
	/* one more, timed alone */
	struct http_resp one;
	char url[512];
	snprintf(url, sizeof(url), "%s/v1/survey/response/wegauge-probe", w.url);
	http_get(&one, url, a.key);
	assert_int_equal(one.status, 404);
	assert_true(one.ms >= 300 && one.ms < 5000);
	http_free(&one);
	ws_stop(&w);
}

/* Beyond --max-connections a new connection's request gets 503 and a close. */
static void test_max_connections(void **state)
{
	(void)state;
	const char *args[] = {"--quiet", "--workspaces",   "1",        "--seed",
	                      "5",       "--latency",      "500",      "--max-connections",
	                      "2",       "--write-config", "@DIR/cfg", NULL};
	struct ws w;
	assert_int_equal(ws_start(&w, "maxconn", args), 0);
	struct ws_acct a;
	ws_account(&w, 0, &a);
	long codes[3];
	char *bodies[3];
	concurrent(&w, &a, 3, codes, bodies);
	int ok = 0, busy = 0;
	for (int i = 0; i < 3; i++) {
		if (codes[i] == 200)
			ok++;
		if (codes[i] == 503) {
			busy++;
			json_t *root = jparse(bodies[i], strlen(bodies[i]));
			assert_string_equal(jerror(root), "Too many connections");
			json_decref(root);
		}
		free(bodies[i]);
	}
	assert_int_equal(ok, 2);
	assert_int_equal(busy, 1);
	ws_stop(&w);
}

/* HTTPS serves the same bytes as HTTP; a reset under TLS is a receive error. */
static void test_tls(void **state)
{
	(void)state;
	const char *fx = getenv("FIXTURES");
	assert_non_null(fx);
	char cert[600], key[600];
	snprintf(cert, sizeof(cert), "%s/wesim/tls-cert.pem", fx);
	snprintf(key, sizeof(key), "%s/wesim/tls-key.pem", fx);
	const char *plain_args[] = {"--quiet", "--workspaces",   "1",        "--seed",
	                            "5",       "--write-config", "@DIR/cfg", NULL};
	const char *tls_args[] = {"--quiet", "--workspaces",   "1",        "--seed",
	                          "5",       "--tls-cert",     cert,       "--tls-key",
	                          key,       "--write-config", "@DIR/cfg", NULL};
	struct ws wp, wt;
	assert_int_equal(ws_start(&wp, "plain", plain_args), 0);
	assert_int_equal(ws_start(&wt, "tls", tls_args), 0);
	struct page p;
	real_page(&wp, &p);
	char url[600], conf[700];
	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", wt.port, p.url + strlen(wp.url));
	struct http_resp r;
	http_do(&r, "GET", url, p.a.key, NULL, NULL, 10000, cert);
	assert_int_equal(r.rc, CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.len, p.len);
	assert_memory_equal(r.body, p.body, p.len);
	http_free(&r);
	/* --write-config points workspaces at https:// */
	snprintf(conf, sizeof(conf), "%s/cfg/workspaces.d/ws-0001.conf", wt.dir);
	char *text = ws_read_file(conf, NULL);
	char want[128];
	snprintf(want, sizeof(want), "base_url = https://127.0.0.1:%d\n", wt.port);
	assert_non_null(strstr(text, want));
	free(text);
	/* plain HTTP to the TLS port is not answered as HTTP */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_wesim/stats", wt.port);
	http_do(&r, "GET", url, NULL, NULL, NULL, 5000, NULL);
	assert_int_not_equal(r.rc, CURLE_OK);
	http_free(&r);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/_wesim/control?fault_rate=1&faults=reset",
	         wt.port);
	http_do(&r, "POST", url, NULL, NULL, NULL, 10000, cert);
	assert_int_equal(r.status, 200);
	http_free(&r);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", wt.port, p.url + strlen(wp.url));
	http_do(&r, "GET", url, p.a.key, NULL, NULL, 10000, cert);
	assert_int_equal(r.rc, CURLE_RECV_ERROR);
	http_free(&r);
	free(p.body);
	ws_stop(&wp);
	ws_stop(&wt);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_each_fault, ws_teardown),
	        cmocka_unit_test_teardown(test_draws_are_reproducible, ws_teardown),
	        cmocka_unit_test_teardown(test_retry_after_violations, ws_teardown),
	        cmocka_unit_test_teardown(test_latency_and_concurrency, ws_teardown),
	        cmocka_unit_test_teardown(test_max_connections, ws_teardown),
	        cmocka_unit_test_teardown(test_tls, ws_teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
