/*
 * metrics.c: the counters, the Prometheus text and the endpoints of
 * metrics.h. The text is written here from what it is handed: the
 * counters, and a struct metrics_view that the owner of the loop (the
 * daemon's render callback) gathers at each scrape; metrics_render writes
 * every family of it, the listener's own (metrics_render_listener)
 * follow in every /metrics answer. Nothing here reads the daemon. The
 * HTTP server itself, with its bounds, is httpd.c.
 */
#include "metrics.h"

#include <event2/buffer.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "httpd.h"
#include "ws.h"

const double metrics_bucket_le[METRICS_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                   0.25,  0.5,  1,     5,    30};

static const char *const cap_names[MCAP_COUNT] = {"max_stream_rows", "max_stream_bytes",
                                                  "max_parse_memory"};

const char *metrics_cap_name(enum metrics_cap c)
{
	return (unsigned)c < MCAP_COUNT ? cap_names[c] : "?";
}

struct metrics_server {
	struct httpd *httpd;
	char *listen;
	metrics_render_fn render;
	metrics_health_fn health;
	void *arg;
};

void metrics_request(struct metrics *m, enum metrics_ep ep, long status, int64_t ms)
{
	int cls = status >= 100 && status < 600 ? (int)(status / 100) : 0;
	if ((unsigned)ep < MEP_COUNT)
		m->requests[ep][cls]++;
	if (status == 429)
		m->rate_limited++;
	double s = (double)ms / 1000.0;
	for (int i = 0; i < METRICS_BUCKETS; i++) {
		if (s <= metrics_bucket_le[i]) {
			m->duration_bucket[i]++;
			break;
		}
	}
	m->duration_count++;
	m->duration_sum += s;
}

void metrics_store(struct metrics *m, int rc, const char *error)
{
	if (rc == 0)
		return; /* not durable until its group commits: metrics_store_committed */
	m->store_rc = rc;
	m->store_errors++;
	snprintf(m->store_error, sizeof(m->store_error), "%s", error ? error : "?");
}

void metrics_store_committed(struct metrics *m)
{
	m->store_rc = 0;
	m->store_error[0] = '\0';
}

void metrics_head(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_label(struct evbuffer *b, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*p == '"')
			evbuffer_add(b, "\\\"", 2);
		else if (*p == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, p, 1);
	}
}

void metrics_render_workspaces(struct evbuffer *b, struct ws *const *ws, size_t n)
{
	metrics_head(b, "wegauge_workspace_state", "gauge",
	             "Each workspace's current state, as the label state (always 1).");
	for (size_t i = 0; i < n; i++) {
		evbuffer_add_printf(b, "wegauge_workspace_state{workspace=\"");
		metrics_label(b, ws[i]->cfg->name);
		evbuffer_add_printf(b, "\",state=\"%s\"} 1\n", ws_state_name(ws[i]->state));
	}
	metrics_head(b, "wegauge_workspace_interval_seconds", "gauge",
	             "Each workspace's configured pull interval.");
	for (size_t i = 0; i < n; i++) {
		int64_t ms = ws[i]->cfg->interval_ms;
		evbuffer_add_printf(b, "wegauge_workspace_interval_seconds{workspace=\"");
		metrics_label(b, ws[i]->cfg->name);
		if (ms % 1000 == 0)
			evbuffer_add_printf(b, "\"} %" PRId64 "\n", ms / 1000);
		else
			evbuffer_add_printf(b, "\"} %" PRId64 ".%03" PRId64 "\n", ms / 1000,
			                    ms % 1000);
	}
}

void metrics_render_store_ok(struct evbuffer *b, const struct metrics *m, bool locked)
{
	metrics_head(b, "wegauge_store_ok", "gauge",
	             "1 while the last store write succeeded, 0 from a failed one until a "
	             "commit works, and while another process locks the store.");
	evbuffer_add_printf(b, "wegauge_store_ok %d\n", m->store_rc == 0 && !locked ? 1 : 0);
}

static const char *const mep_names[MEP_COUNT] = {"probe", "stats", "campaigns", "active_users",
                                                 "team"};
static const char *const pull_names[PULL_STATUS_COUNT] = PULL_STATUS_NAMES;
static const char *const class_names[METRICS_CLASSES] = {"error", "1xx", "2xx",
                                                         "3xx",   "4xx", "5xx"};

/* Everything a dashboard or an alert needs, nothing that costs a query. */
void metrics_render(struct evbuffer *b, const struct metrics_view *v)
{
	const struct metrics *m = v->m;

	metrics_head(b, "wegauge_build_info", "gauge", "Version of wegauged.");
	evbuffer_add_printf(b, "wegauge_build_info{version=\"%s\"} 1\n", WEGAUGE_VERSION);

	metrics_head(b, "wegauge_pulls_total", "counter", "Finished pulls by status.");
	for (int i = PULL_OK; i < PULL_STATUS_COUNT; i++)
		evbuffer_add_printf(b, "wegauge_pulls_total{status=\"%s\"} %" PRIu64 "\n",
		                    pull_names[i], m->pulls[i]);

	metrics_head(b, "wegauge_requests_total", "counter",
	             "HTTP requests by endpoint and status class (error: no HTTP status).");
	for (int e = 0; e < MEP_COUNT; e++)
		for (int c = 0; c < METRICS_CLASSES; c++)
			evbuffer_add_printf(
			        b,
			        "wegauge_requests_total{endpoint=\"%s\",class=\"%s\"} %" PRIu64
			        "\n",
			        mep_names[e], class_names[c], m->requests[e][c]);

	metrics_head(b, "wegauge_retries_total", "counter", "Requests sent again after a failure.");
	evbuffer_add_printf(b, "wegauge_retries_total %" PRIu64 "\n", m->retries);
	metrics_head(b, "wegauge_rate_limited_total", "counter", "Answers with status 429.");
	evbuffer_add_printf(b, "wegauge_rate_limited_total %" PRIu64 "\n", m->rate_limited);
	metrics_head(b, "wegauge_retry_budget_refused_total", "counter",
	             "Retries refused by the daemon-wide retry budget.");
	evbuffer_add_printf(b, "wegauge_retry_budget_refused_total %" PRIu64 "\n",
	                    m->retry_budget_refused);

	metrics_head(b, "wegauge_pages_unchanged_total", "counter",
	             "Answers not parsed: byte-identical to those whose rows are stored.");
	evbuffer_add_printf(b, "wegauge_pages_unchanged_total %" PRIu64 "\n", m->pages_unchanged);
	metrics_head(b, "wegauge_streams_unchanged_total", "counter",
	             "Streams whose every page was unchanged: no row written.");
	evbuffer_add_printf(b, "wegauge_streams_unchanged_total %" PRIu64 "\n",
	                    m->streams_unchanged);

	metrics_head(b, "wegauge_rows_upserted_total", "counter",
	             "Rows written (new or changed), by stream.");
	for (int i = 0; i < STREAM_COUNT; i++)
		evbuffer_add_printf(b, "wegauge_rows_upserted_total{stream=\"%s\"} %" PRIu64 "\n",
		                    stream_name((enum stream)i), m->rows[i]);

	metrics_head(b, "wegauge_stream_cap_failures_total", "counter",
	             "Streams failed by a memory cap, by the cap's configuration key.");
	for (int i = 0; i < MCAP_COUNT; i++)
		evbuffer_add_printf(b,
		                    "wegauge_stream_cap_failures_total{cap=\"%s\"} %" PRIu64 "\n",
		                    metrics_cap_name((enum metrics_cap)i), m->stream_caps[i]);

	metrics_head(b, "wegauge_request_duration_seconds", "histogram",
	             "Duration of HTTP requests, from start of transfer to done.");
	uint64_t cum = 0;
	for (int i = 0; i < METRICS_BUCKETS; i++) {
		cum += m->duration_bucket[i];
		evbuffer_add_printf(
		        b, "wegauge_request_duration_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
		        metrics_bucket_le[i], cum);
	}
	evbuffer_add_printf(b,
	                    "wegauge_request_duration_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
	                    "wegauge_request_duration_seconds_sum %.6f\n"
	                    "wegauge_request_duration_seconds_count %" PRIu64 "\n",
	                    m->duration_count, m->duration_sum, m->duration_count);

	int count[WS_STATE_COUNT] = {0};
	for (size_t i = 0; i < v->n_ws; i++)
		count[v->ws[i]->state]++;
	metrics_head(b, "wegauge_workspaces", "gauge", "Configured workspaces by state.");
	for (int i = 0; i < WS_STATE_COUNT; i++)
		evbuffer_add_printf(b, "wegauge_workspaces{state=\"%s\"} %d\n",
		                    ws_state_name((enum ws_state)i), count[i]);

	metrics_head(b, "wegauge_requests_in_flight", "gauge", "HTTP transfers running now.");
	evbuffer_add_printf(b, "wegauge_requests_in_flight %d\n", v->requests_running);
	metrics_head(b, "wegauge_requests_queued", "gauge",
	             "HTTP requests waiting for max_in_flight or max_per_host.");
	evbuffer_add_printf(b, "wegauge_requests_queued %d\n", v->requests_queued);
	metrics_head(b, "wegauge_store_errors_total", "counter", "Failed writes to the store.");
	evbuffer_add_printf(b, "wegauge_store_errors_total %" PRIu64 "\n", m->store_errors);
	metrics_head(b, "wegauge_reloads_total", "counter", "Reloads by result.");
	evbuffer_add_printf(b,
	                    "wegauge_reloads_total{result=\"ok\"} %" PRIu64 "\n"
	                    "wegauge_reloads_total{result=\"failed\"} %" PRIu64 "\n",
	                    v->reloads - v->reloads_failed, v->reloads_failed);

	metrics_head(b, "wegauge_last_success_timestamp_seconds", "gauge",
	             "Unix time of each workspace's last successful pull (0: never).");
	for (size_t i = 0; i < v->n_ws; i++) {
		evbuffer_add_printf(b, "wegauge_last_success_timestamp_seconds{workspace=\"");
		metrics_label(b, v->ws[i]->cfg->name);
		evbuffer_add_printf(b, "\"} %" PRId64 "\n", v->ws[i]->last_success_at);
	}
	metrics_head(b, "wegauge_consecutive_failures", "gauge",
	             "Consecutive failed pulls of each workspace.");
	for (size_t i = 0; i < v->n_ws; i++) {
		evbuffer_add_printf(b, "wegauge_consecutive_failures{workspace=\"");
		metrics_label(b, v->ws[i]->cfg->name);
		evbuffer_add_printf(b, "\"} %d\n", v->ws[i]->consecutive_failures);
	}
	metrics_render_workspaces(b, v->ws, v->n_ws); /* the alert rules' families */
	metrics_render_store_ok(b, m, v->store_locked);

	metrics_head(b, "wegauge_store_locked", "gauge",
	             "1 while another process holds the store's write lock (pulls held).");
	evbuffer_add_printf(b, "wegauge_store_locked %d\n", v->store_locked ? 1 : 0);
	metrics_head(b, "wegauge_store_lock_episodes_total", "counter",
	             "Times another process's lock closed the store to the daemon.");
	evbuffer_add_printf(b, "wegauge_store_lock_episodes_total %" PRIu64 "\n",
	                    v->store_lock_episodes);
	metrics_head(b, "wegauge_store_waits_total", "counter",
	             "Finished streams that waited for the store (locked, or a long commit).");
	evbuffer_add_printf(b, "wegauge_store_waits_total %" PRIu64 "\n", v->store_waits);
	if (!v->store_pg) {
		metrics_head(b, "wegauge_store_wal_pages_total", "counter",
		             "Pages the SQLite store wrote to its write-ahead log.");
		evbuffer_add_printf(b, "wegauge_store_wal_pages_total %" PRIu64 "\n",
		                    v->store_wal_pages);
	}
	if (v->store_pg) {
		metrics_head(b, "wegauge_store_connected", "gauge",
		             "1 while the connection to the PostgreSQL store is up.");
		evbuffer_add_printf(b, "wegauge_store_connected %d\n", v->store_connected ? 1 : 0);
		metrics_head(
		        b, "wegauge_store_queue_bytes", "gauge",
		        "Bytes of writes waiting for the PostgreSQL server (store_queue_max).");
		evbuffer_add_printf(b, "wegauge_store_queue_bytes %" PRIu64 "\n",
		                    v->store_queue_bytes);
		metrics_head(b, "wegauge_store_queue_writes", "gauge",
		             "Writes (transactions) waiting for the PostgreSQL server.");
		evbuffer_add_printf(b, "wegauge_store_queue_writes %" PRIu64 "\n",
		                    v->store_queue_writes);
		metrics_head(
		        b, "wegauge_store_queue_refused_total", "counter",
		        "Streams refused because the queue was full (pulled again next time).");
		evbuffer_add_printf(b, "wegauge_store_queue_refused_total %" PRIu64 "\n",
		                    v->store_queue_refused);
		metrics_head(b, "wegauge_store_writes_failed_total", "counter",
		             "Writes the PostgreSQL server refused for good (logged).");
		evbuffer_add_printf(b, "wegauge_store_writes_failed_total %" PRIu64 "\n",
		                    v->store_failed);
		metrics_head(b, "wegauge_store_reconnects_total", "counter",
		             "Connections to the PostgreSQL store taken up again.");
		evbuffer_add_printf(b, "wegauge_store_reconnects_total %" PRIu64 "\n",
		                    v->store_reconnects);
		metrics_head(b, "wegauge_store_call_max_seconds", "gauge",
		             "The longest time the loop spent in one call into libpq.");
		evbuffer_add_printf(b, "wegauge_store_call_max_seconds %.6f\n",
		                    (double)v->store_call_max_us / 1e6);
		metrics_head(b, "wegauge_store_call_max_cpu_seconds", "gauge",
		             "The most CPU time the loop spent in one call into libpq (wall time "
		             "beyond it: the thread was preempted, not waiting).");
		evbuffer_add_printf(b, "wegauge_store_call_max_cpu_seconds %.6f\n",
		                    (double)v->store_call_max_cpu_us / 1e6);
		metrics_head(b, "wegauge_store_calls_slow_total", "counter",
		             "Calls into libpq from the loop that took more than 1 ms.");
		evbuffer_add_printf(b, "wegauge_store_calls_slow_total %" PRIu64 "\n",
		                    v->store_calls_over_1ms);
	}
	if (v->fleet) {
		metrics_head(b, "wegauge_fleet_members", "gauge",
		             "Live members of the fleet, this one included.");
		evbuffer_add_printf(b, "wegauge_fleet_members %" PRIu64 "\n", v->fleet_members);
		metrics_head(b, "wegauge_fleet_workspaces_owned", "gauge",
		             "Workspaces whose lease this member holds.");
		evbuffer_add_printf(b, "wegauge_fleet_workspaces_owned %" PRIu64 "\n",
		                    v->fleet_owned);
		metrics_head(
		        b, "wegauge_fleet_leases_renewed", "gauge",
		        "1 while this member's leases are renewed in time (else no new pulls).");
		evbuffer_add_printf(b, "wegauge_fleet_leases_renewed %d\n",
		                    v->fleet_healthy ? 1 : 0);
		metrics_head(b, "wegauge_fleet_leases_taken_total", "counter",
		             "Leases of workspaces this member took.");
		evbuffer_add_printf(b, "wegauge_fleet_leases_taken_total %" PRIu64 "\n",
		                    v->fleet_taken);
		metrics_head(b, "wegauge_fleet_leases_lost_total", "counter",
		             "Leases this member lost (fenced, or not renewed in time).");
		evbuffer_add_printf(b, "wegauge_fleet_leases_lost_total %" PRIu64 "\n",
		                    v->fleet_lost);
		metrics_head(b, "wegauge_fleet_leases_released_total", "counter",
		             "Leases this member gave back (another member should own them).");
		evbuffer_add_printf(b, "wegauge_fleet_leases_released_total %" PRIu64 "\n",
		                    v->fleet_released);
		metrics_head(
		        b, "wegauge_fleet_fenced_writes_total", "counter",
		        "Writes the store refused because their lease was lost (nothing stored).");
		evbuffer_add_printf(b, "wegauge_fleet_fenced_writes_total %" PRIu64 "\n",
		                    v->fleet_fenced);
	}
	metrics_head(b, "wegauge_loop_callback_max_seconds", "gauge",
	             "The longest event-loop callback since the start.");
	evbuffer_add_printf(b, "wegauge_loop_callback_max_seconds %.6f\n",
	                    (double)v->loop_callback_max_us / 1e6);
	metrics_head(b, "wegauge_loop_callbacks_slow_total", "counter",
	             "Event-loop callbacks that took 100 ms or longer.");
	evbuffer_add_printf(b, "wegauge_loop_callbacks_slow_total %" PRIu64 "\n",
	                    v->loop_callbacks_slow);
}

/* The answer of method on path: the bodies and statuses of metrics.h. */
static void on_request(const char *method, const char *path, struct httpd_reply *r, void *arg)
{
	struct metrics_server *s = arg;
	struct evbuffer *b = r->body;
	r->ctype = "text/plain; charset=utf-8";
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		evbuffer_add_printf(b, "only GET\n");
		r->status = 405;
		r->reason = "Method Not Allowed";
	} else if (strcmp(path, "/metrics") == 0) {
		s->render(b, s->arg);
		metrics_render_listener(b, s);
		r->status = 200;
		r->ctype = "text/plain; version=0.0.4; charset=utf-8";
	} else if (strcmp(path, "/healthz") == 0) {
		char why[256] = "";
		if (s->health(why, sizeof(why), s->arg)) {
			evbuffer_add_printf(b, "ok\n");
			r->status = 200;
		} else {
			evbuffer_add_printf(b, "unhealthy: %s\n", why);
			r->status = 503;
			r->reason = "Service Unavailable";
		}
	} else {
		evbuffer_add_printf(b, "not found: try /metrics or /healthz\n");
		r->status = 404;
		r->reason = "Not Found";
	}
}

void metrics_render_listener(struct evbuffer *b, const struct metrics_server *s)
{
	struct httpd_stats st;
	httpd_get_stats(s->httpd, &st);
	metrics_head(b, "wegauge_metrics_connections", "gauge",
	             "Connections open on the metrics listener now (this scrape's included).");
	evbuffer_add_printf(b, "wegauge_metrics_connections %d\n", st.conns);
	metrics_head(b, "wegauge_metrics_connections_max", "gauge",
	             "The metrics listener's connection cap.");
	evbuffer_add_printf(b, "wegauge_metrics_connections_max %d\n", st.max_conns);
	metrics_head(b, "wegauge_metrics_connections_refused_total", "counter",
	             "Connections closed at accept because the cap was reached.");
	evbuffer_add_printf(b, "wegauge_metrics_connections_refused_total %" PRIu64 "\n",
	                    st.refused);
	metrics_head(b, "wegauge_metrics_connections_timed_out_total", "counter",
	             "Connections cut at the deadline before their answer was out.");
	evbuffer_add_printf(b, "wegauge_metrics_connections_timed_out_total %" PRIu64 "\n",
	                    st.timed_out);
	metrics_head(b, "wegauge_metrics_accept_paused_total", "counter",
	             "Pauses of accepting because the process ran out of descriptors or "
	             "memory.");
	evbuffer_add_printf(b, "wegauge_metrics_accept_paused_total %" PRIu64 "\n",
	                    st.accept_paused);
}

struct metrics_server *metrics_server_start(struct event_base *base, const char *listen,
                                            metrics_render_fn render, metrics_health_fn health,
                                            void *arg, char *err, size_t errlen)
{
	struct metrics_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->render = render;
	s->health = health;
	s->arg = arg;
	s->listen = strdup(listen);
	if (!s->listen) {
		snprintf(err, errlen, "out of memory");
		metrics_server_free(s);
		return NULL;
	}
	const struct httpd_opts o = {
	        .name = "metrics",
	        .max_conns = METRICS_MAX_CONNECTIONS,
	        .deadline_ms = METRICS_DEADLINE_MS,
	        .max_request = METRICS_MAX_REQUEST,
	};
	char herr[192];
	s->httpd = httpd_start(base, listen, &o, on_request, s, herr, sizeof(herr));
	if (!s->httpd) {
		snprintf(err, errlen, "metrics_listen %s", herr);
		metrics_server_free(s);
		return NULL;
	}
	return s;
}

void metrics_server_free(struct metrics_server *s)
{
	if (!s)
		return;
	httpd_free(s->httpd);
	free(s->listen);
	free(s);
}

const char *metrics_server_listen(const struct metrics_server *s)
{
	return s->listen;
}
