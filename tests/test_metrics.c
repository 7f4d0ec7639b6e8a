/*
 * test_metrics.c: src/metrics.c's families for the alert rules
 * (packaging/prometheus/wegauge-alerts.yml): one state series and one
 * interval series per workspace, exact text, no key; wegauge_store_ok
 * follows the last store write as /healthz does.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_workspaces),
	        cmocka_unit_test(test_store_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
