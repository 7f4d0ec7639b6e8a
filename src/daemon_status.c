/*
 * daemon_status.c: what the daemon says of itself (daemon_int.h): the
 * STATUS= line systemd shows, the last error in it, the metrics listener
 * with the text of /metrics and the answer of /healthz, and the SIGUSR1
 * state dump. It only reads the daemon (and starts or stops the
 * listener); nothing here changes a workspace or writes the store.
 */
#include "daemon_int.h"

#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "loopstat.h"
#include "storegate.h"
#include "ws.h"

/* Recount the states and hand systemd a fresh STATUS= line (rate-limited in notify.c). */
void daemon_status_update(struct daemon *d)
{
	int count[WS_STATE_COUNT] = {0};
	for (size_t i = 0; i < d->n_ws; i++)
		count[d->ws[i]->state]++;
	char note[600];
	struct storegate_stats gs;
	storegate_get_stats(d->gate, &gs);
	if (d->store_lost[0])
		snprintf(note, sizeof(note), "%s", d->store_lost);
	else if (gs.locked)
		snprintf(note, sizeof(note),
		         "store locked by another process for %" PRId64 " s: pulls held",
		         (clock_mono_ms() - gs.locked_since_ms) / 1000);
	else
		snprintf(note, sizeof(note), "%s", d->last_error);
	notify_status(&d->notify, d->n_ws, count, note);
}

void daemon_status_error(struct daemon *d, const char *ws, const char *error)
{
	snprintf(d->last_error, sizeof(d->last_error), "%s%s%s", ws ? ws : "", ws ? ": " : "",
	         error);
}

/* --- /metrics and /healthz ------------------------------------------------ */

static const char *const mep_names[MEP_COUNT] = {"probe", "stats", "campaigns", "active_users",
                                                 "team"};
static const char *const class_names[METRICS_CLASSES] = {"error", "1xx", "2xx",
                                                         "3xx",   "4xx", "5xx"};

/* GET /metrics: everything a dashboard or an alert needs, nothing that costs a query. */
static void render_metrics(struct evbuffer *b, void *arg)
{
	struct daemon *d = arg;
	const struct metrics *m = &d->metrics;
	struct http_stats hs;
	daemon_http_stats(d, &hs);

	metrics_head(b, "wegauge_build_info", "gauge", "Version of wegauged.");
	evbuffer_add_printf(b, "wegauge_build_info{version=\"%s\"} 1\n", WEGAUGE_VERSION);

	metrics_head(b, "wegauge_pulls_total", "counter", "Finished pulls by status.");
	for (int i = PULL_OK; i < PULL_STATUS_COUNT; i++)
		evbuffer_add_printf(b, "wegauge_pulls_total{status=\"%s\"} %" PRIu64 "\n",
		                    pull_status_name((enum pull_status)i), m->pulls[i]);

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

	metrics_head(b, "wegauge_rows_upserted_total", "counter", "Rows written, by stream.");
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
	for (size_t i = 0; i < d->n_ws; i++)
		count[d->ws[i]->state]++;
	metrics_head(b, "wegauge_workspaces", "gauge", "Configured workspaces by state.");
	for (int i = 0; i < WS_STATE_COUNT; i++)
		evbuffer_add_printf(b, "wegauge_workspaces{state=\"%s\"} %d\n",
		                    ws_state_name((enum ws_state)i), count[i]);

	metrics_head(b, "wegauge_requests_in_flight", "gauge", "HTTP transfers running now.");
	evbuffer_add_printf(b, "wegauge_requests_in_flight %d\n", hs.running);
	metrics_head(b, "wegauge_requests_queued", "gauge",
	             "HTTP requests waiting for max_in_flight or max_per_host.");
	evbuffer_add_printf(b, "wegauge_requests_queued %d\n", hs.queued);
	metrics_head(b, "wegauge_store_errors_total", "counter", "Failed writes to the store.");
	evbuffer_add_printf(b, "wegauge_store_errors_total %" PRIu64 "\n", m->store_errors);
	metrics_head(b, "wegauge_reloads_total", "counter", "Reloads by result.");
	evbuffer_add_printf(b,
	                    "wegauge_reloads_total{result=\"ok\"} %" PRIu64 "\n"
	                    "wegauge_reloads_total{result=\"failed\"} %" PRIu64 "\n",
	                    d->reloads - d->reloads_failed, d->reloads_failed);

	metrics_head(b, "wegauge_last_success_timestamp_seconds", "gauge",
	             "Unix time of each workspace's last successful pull (0: never).");
	for (size_t i = 0; i < d->n_ws; i++) {
		evbuffer_add_printf(b, "wegauge_last_success_timestamp_seconds{workspace=\"");
		metrics_label(b, d->ws[i]->cfg->name);
		evbuffer_add_printf(b, "\"} %" PRId64 "\n", d->ws[i]->last_success_at);
	}
	metrics_head(b, "wegauge_consecutive_failures", "gauge",
	             "Consecutive failed pulls of each workspace.");
	for (size_t i = 0; i < d->n_ws; i++) {
		evbuffer_add_printf(b, "wegauge_consecutive_failures{workspace=\"");
		metrics_label(b, d->ws[i]->cfg->name);
		evbuffer_add_printf(b, "\"} %d\n", d->ws[i]->consecutive_failures);
	}
	struct storegate_stats gs;
	storegate_get_stats(d->gate, &gs);
	metrics_render_workspaces(b, d->ws, d->n_ws); /* the alert rules' families */
	metrics_render_store_ok(b, m, gs.locked);

	metrics_head(b, "wegauge_store_locked", "gauge",
	             "1 while another process holds the store's write lock (pulls held).");
	evbuffer_add_printf(b, "wegauge_store_locked %d\n", gs.locked ? 1 : 0);
	metrics_head(b, "wegauge_store_lock_episodes_total", "counter",
	             "Times another process's lock closed the store to the daemon.");
	evbuffer_add_printf(b, "wegauge_store_lock_episodes_total %" PRIu64 "\n", gs.episodes);
	metrics_head(b, "wegauge_store_waits_total", "counter",
	             "Finished streams that waited for the store (locked, or a long commit).");
	evbuffer_add_printf(b, "wegauge_store_waits_total %" PRIu64 "\n", gs.waits);
	metrics_head(b, "wegauge_loop_callback_max_seconds", "gauge",
	             "The longest event-loop callback since the start.");
	evbuffer_add_printf(b, "wegauge_loop_callback_max_seconds %.6f\n",
	                    (double)loopstat.max_us / 1e6);
	metrics_head(b, "wegauge_loop_callbacks_slow_total", "counter",
	             "Event-loop callbacks that took 100 ms or longer.");
	evbuffer_add_printf(b, "wegauge_loop_callbacks_slow_total %" PRIu64 "\n",
	                    loopstat.over_100ms);
}

/* GET /healthz: the loop answered (or this would not run) and the last store write worked. */
static int health(char *why, size_t len, void *arg)
{
	struct daemon *d = arg;
	struct storegate_stats gs;
	storegate_get_stats(d->gate, &gs);
	if (d->store_lost[0]) {
		snprintf(why, len, "%s", d->store_lost);
		return 0;
	}
	if (gs.locked) {
		snprintf(why, len, "store locked by another process for %" PRId64 " s: pulls held",
		         (clock_mono_ms() - gs.locked_since_ms) / 1000);
		return 0;
	}
	if (d->metrics.store_rc != 0) {
		snprintf(why, len, "store not writable: %s", d->metrics.store_error);
		return 0;
	}
	if (d->stopping) {
		snprintf(why, len, "stopping");
		return 0;
	}
	return 1;
}

/* Start, restart or stop the metrics listener to match the configuration. */
int daemon_status_listen(struct daemon *d, const struct config *c)
{
	const char *want = c->metrics_listen;
	const char *have = d->msrv ? metrics_server_listen(d->msrv) : NULL;
	if ((!want && !have) || (want && have && strcmp(want, have) == 0))
		return 0;
	struct metrics_server *ns = NULL;
	if (want) {
		char err[256];
		ns = metrics_server_start(d->base, want, render_metrics, health, d, err,
		                          sizeof(err));
		if (!ns) {
			log_msg(LOGL_ERR, "%s", err);
			return -1;
		}
		log_msg(LOGL_INFO, "metrics on http://%s/metrics", want);
	}
	metrics_server_free(d->msrv);
	d->msrv = ns;
	return 0;
}

/* --- SIGUSR1 ---------------------------------------------------------------- */

/* SIGUSR1: every workspace's state, its pull and the counters, to the log. */
void daemon_status_dump(struct daemon *d)
{
	struct http_stats hs;
	daemon_http_stats(d, &hs);
	log_msg(LOGL_NOTICE,
	        "state: %zu workspaces; requests running %d, queued %d, started %" PRIu64
	        ", failed %" PRIu64 "; pulls ok %" PRIu64 ", partial %" PRIu64 ", failed %" PRIu64
	        ", auth_failed %" PRIu64 ", cancelled %" PRIu64 "; reloads %" PRIu64
	        " (failed %" PRIu64 ")",
	        d->n_ws, hs.running, hs.queued, hs.started, hs.failed_transport,
	        d->metrics.pulls[PULL_OK], d->metrics.pulls[PULL_PARTIAL],
	        d->metrics.pulls[PULL_FAILED], d->metrics.pulls[PULL_AUTH_FAILED],
	        d->metrics.pulls[PULL_CANCELLED], d->reloads, d->reloads_failed);
	log_msg(LOGL_NOTICE,
	        "loop: %" PRIu64 " callbacks, the longest %.3f s (%s), %" PRIu64
	        " took 100 ms or more",
	        loopstat.callbacks, (double)loopstat.max_us / 1e6,
	        loopstat.max_what ? loopstat.max_what : "none", loopstat.over_100ms);
	int64_t now = clock_mono_ms();
	for (size_t i = 0; i < d->n_ws; i++) {
		struct ws *w = d->ws[i];
		char at[96];
		pull_describe(w, at, sizeof(at));
		long long due = w->item.heap_idx == SCHED_NONE
		                        ? -1
		                        : (long long)(w->item.due_ms - now) / 1000;
		log_ws(NULL, LOGL_NOTICE, w->cfg->name, pull_id(w),
		       "state %s%s%s; %s; next pull in %llds; consecutive failures %d",
		       ws_state_name(w->state), w->reason[0] ? ": " : "", w->reason, at, due,
		       w->consecutive_failures);
	}
}
