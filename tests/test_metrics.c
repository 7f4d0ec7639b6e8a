/*
 * test_metrics.c: src/metrics.c's families for the alert rules
 * (packaging/prometheus/wegauge-alerts.yml): one state series and one
 * interval series per workspace, exact text, no key; wegauge_store_ok
 * follows the last store write as /healthz does; metrics_render writes
 * every family of what it is handed (counters, a view), in order, labels
 * escaped, the pull statuses by their stored names but "running".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <event2/buffer.h>

#include "config.h"
#include "metrics.h"
#include "ws.h"

/* The text of b as a NUL-terminated string (the caller frees it); b is emptied. */
static char *drain(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);
	assert_non_null(s);
	assert_int_equal(evbuffer_remove(b, s, n), (int)n);
	s[n] = '\0';
	return s;
}

static void test_workspaces(void **state)
{
	(void)state;
	static char key[] = "0123456789abcdef-secret";
	struct ws_config c[3];
	struct ws w[3];
	memset(c, 0, sizeof(c));
	memset(w, 0, sizeof(w));
	const char *names[3] = {"acme-prod", "globex", "initech.eu"};
	const int64_t iv[3] = {3600000, 900000, 2500};
	const enum ws_state st[3] = {WS_CONNECTED, WS_AUTH_FAILED, WS_FAILING};
	struct ws *ws[3];
	for (int i = 0; i < 3; i++) {
		strcpy(c[i].name, names[i]);
		c[i].key = key;
		c[i].key_len = strlen(key);
		c[i].interval_ms = iv[i];
		w[i].cfg = &c[i];
		w[i].state = st[i];
		ws[i] = &w[i];
	}
	struct evbuffer *b = evbuffer_new();
	assert_non_null(b);
	metrics_render_workspaces(b, ws, 3);
	char *text = drain(b);
	assert_string_equal(
	        text, "# HELP wegauge_workspace_state Each workspace's current state, as the label "
	              "state (always 1).\n"
	              "# TYPE wegauge_workspace_state gauge\n"
	              "wegauge_workspace_state{workspace=\"acme-prod\",state=\"connected\"} 1\n"
	              "wegauge_workspace_state{workspace=\"globex\",state=\"auth_failed\"} 1\n"
	              "wegauge_workspace_state{workspace=\"initech.eu\",state=\"failing\"} 1\n"
	              "# HELP wegauge_workspace_interval_seconds Each workspace's configured pull "
	              "interval.\n"
	              "# TYPE wegauge_workspace_interval_seconds gauge\n"
	              "wegauge_workspace_interval_seconds{workspace=\"acme-prod\"} 3600\n"
	              "wegauge_workspace_interval_seconds{workspace=\"globex\"} 900\n"
	              "wegauge_workspace_interval_seconds{workspace=\"initech.eu\"} 2.500\n");
	assert_null(strstr(text, "secret"));
	free(text);

	/* A state change replaces the series: still one per workspace. */
	w[1].state = WS_PENDING;
	metrics_render_workspaces(b, ws, 3);
	text = drain(b);
	assert_non_null(strstr(text, "{workspace=\"globex\",state=\"pending\"} 1\n"));
	assert_null(strstr(text, "auth_failed"));
	free(text);

	/* No workspaces: the families' heads only. */
	metrics_render_workspaces(b, ws, 0);
	text = drain(b);
	assert_null(strstr(text, "{workspace="));
	free(text);
	evbuffer_free(b);
}

static void test_store_ok(void **state)
{
	(void)state;
	struct metrics m;
	memset(&m, 0, sizeof(m));
	struct evbuffer *b = evbuffer_new();
	assert_non_null(b);
	const char *head = "# HELP wegauge_store_ok 1 while the last store write succeeded, 0 "
	                   "from a failed one until a commit works, and while another process "
	                   "locks the store.\n"
	                   "# TYPE wegauge_store_ok gauge\n";
	char want[512];

	metrics_render_store_ok(b, &m, false);
	char *text = drain(b);
	snprintf(want, sizeof(want), "%swegauge_store_ok 1\n", head);
	assert_string_equal(text, want);
	free(text);

	metrics_store(&m, 5, "database is locked");
	metrics_store(&m, 0, NULL); /* a write that worked is not yet committed */
	metrics_render_store_ok(b, &m, false);
	text = drain(b);
	snprintf(want, sizeof(want), "%swegauge_store_ok 0\n", head);
	assert_string_equal(text, want);
	free(text);

	metrics_store_committed(&m);
	metrics_render_store_ok(b, &m, false);
	text = drain(b);
	snprintf(want, sizeof(want), "%swegauge_store_ok 1\n", head);
	assert_string_equal(text, want);
	free(text);

	metrics_render_store_ok(b, &m, true); /* locked by another process */
	text = drain(b);
	snprintf(want, sizeof(want), "%swegauge_store_ok 0\n", head);
	assert_string_equal(text, want);
	free(text);
	evbuffer_free(b);
}

/* The line of text that starts with prefix, or NULL. */
static const char *line_of(const char *text, const char *prefix)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return p;
	return NULL;
}

static void test_render(void **state)
{
	(void)state;
	static char key[] = "k";
	struct ws_config c[2];
	struct ws w[2];
	memset(c, 0, sizeof(c));
	memset(w, 0, sizeof(w));
	strcpy(c[0].name, "acme");
	strcpy(c[1].name, "q\"uote");
	struct ws *ws[2] = {&w[0], &w[1]};
	for (int i = 0; i < 2; i++) {
		c[i].key = key;
		c[i].interval_ms = 60000;
		w[i].cfg = &c[i];
	}
	w[0].state = WS_CONNECTED;
	w[0].last_success_at = 1700000000;
	w[1].state = WS_FAILING;
	w[1].consecutive_failures = 3;
	struct metrics m;
	memset(&m, 0, sizeof(m));
	m.pulls[PULL_OK] = 7;
	m.pulls[PULL_CANCELLED] = 2;
	m.retries = 4;
	metrics_request(&m, MEP_TEAM, 200, 20);
	metrics_request(&m, MEP_STATS, 0, 2000);
	m.rows[STREAM_TEAM] = 11;
	m.stream_caps[MCAP_PARSE_MEMORY] = 1;
	const struct metrics_view v = {
	        .m = &m,
	        .requests_running = 3,
	        .requests_queued = 1,
	        .ws = ws,
	        .n_ws = 2,
	        .reloads = 5,
	        .reloads_failed = 1,
	        .store_locked = true,
	        .store_lock_episodes = 2,
	        .store_waits = 9,
	        .loop_callback_max_us = 1500000,
	        .loop_callbacks_slow = 6,
	};
	struct evbuffer *b = evbuffer_new();
	assert_non_null(b);
	metrics_render(b, &v);
	char *text = drain(b);
	static const char *const lines[] = {
	        "# HELP wegauge_build_info Version of wegauged.\n",
	        "wegauge_pulls_total{status=\"ok\"} 7\n",
	        "wegauge_pulls_total{status=\"cancelled\"} 2\n",
	        "wegauge_requests_total{endpoint=\"stats\",class=\"error\"} 1\n",
	        "wegauge_requests_total{endpoint=\"team\",class=\"2xx\"} 1\n",
	        "wegauge_retries_total 4\n",
	        "wegauge_rows_upserted_total{stream=\"team\"} 11\n",
	        "wegauge_stream_cap_failures_total{cap=\"max_parse_memory\"} 1\n",
	        "wegauge_request_duration_seconds_bucket{le=\"0.025\"} 1\n",
	        "wegauge_request_duration_seconds_bucket{le=\"+Inf\"} 2\n",
	        "wegauge_request_duration_seconds_count 2\n",
	        "wegauge_workspaces{state=\"connected\"} 1\n",
	        "wegauge_workspaces{state=\"failing\"} 1\n",
	        "wegauge_requests_in_flight 3\n",
	        "wegauge_requests_queued 1\n",
	        "wegauge_reloads_total{result=\"ok\"} 4\n",
	        "wegauge_reloads_total{result=\"failed\"} 1\n",
	        "wegauge_last_success_timestamp_seconds{workspace=\"acme\"} 1700000000\n",
	        "wegauge_consecutive_failures{workspace=\"q\\\"uote\"} 3\n",
	        "wegauge_workspace_state{workspace=\"acme\",state=\"connected\"} 1\n",
	        "wegauge_store_ok 0\n",
	        "wegauge_store_locked 1\n",
	        "wegauge_store_lock_episodes_total 2\n",
	        "wegauge_store_waits_total 9\n",
	        "wegauge_loop_callback_max_seconds 1.500000\n",
	        "wegauge_loop_callbacks_slow_total 6\n",
	};
	/* Each line is there, in this order; the running status is not a counter. */
	const char *at = text;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const char *l = line_of(at, lines[i]);
		if (!l)
			fail_msg("missing, or out of order: %s", lines[i]);
		at = l;
	}
	assert_null(strstr(text, "status=\"running\""));
	assert_null(strstr(text, "wegauge_metrics_connections")); /* the listener's own */
	free(text);
	evbuffer_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_workspaces),
	        cmocka_unit_test(test_store_ok),
	        cmocka_unit_test(test_render),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
