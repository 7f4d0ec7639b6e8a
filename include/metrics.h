/*
 * metrics.h: the daemon's counters and its Prometheus endpoint.
 *
 * struct metrics is a plain set of counters the loop increments (pull.c,
 * and the daemon's store writes). When metrics_listen is set, a bounded
 * HTTP server (httpd.h) on that loopback address serves GET (and HEAD)
 * /metrics (Prometheus text exposition format 0.0.4: metrics_render of
 * what the daemon's callback gathers, then the listener's own families)
 * and /healthz (200 "ok" while the loop turns and the store is writable,
 * else 503 with the reason); any other method gets 405 "only GET", any
 * other path 404. The server
 * runs on the daemon's own loop: a scrape costs one callback and never
 * touches the store, so it cannot block the collector; a loop that
 * stopped turning cannot answer at all, which is what a health check
 * should see. Its bounds (METRICS_MAX_CONNECTIONS, METRICS_DEADLINE_MS,
 * METRICS_MAX_REQUEST) keep a hostile local client from taking more than
 * that from the daemon.
 */
#ifndef WEGAUGE_METRICS_H
#define WEGAUGE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pull_status.h"
#include "rows.h"

struct event_base;
struct evbuffer;

/* Endpoint kinds for request counters. */
enum metrics_ep { MEP_PROBE = 0, MEP_STATS, MEP_CAMPAIGNS, MEP_ACTIVE_USERS, MEP_TEAM, MEP_COUNT };
/* Status classes: transport error (no status), 1xx .. 5xx. */
#define METRICS_CLASSES 6

/* The caps that fail a stream, for wegauge_stream_cap_failures_total{cap}. */
enum metrics_cap { MCAP_STREAM_ROWS = 0, MCAP_STREAM_BYTES, MCAP_PARSE_MEMORY, MCAP_COUNT };
/* The cap's configuration key: "max_stream_rows", "max_stream_bytes", "max_parse_memory". */
const char *metrics_cap_name(enum metrics_cap c);

/* Request duration histogram bucket bounds, in seconds. */
#define METRICS_BUCKETS 10
extern const double metrics_bucket_le[METRICS_BUCKETS];

struct metrics {
	uint64_t pulls[PULL_STATUS_COUNT];
	uint64_t requests[MEP_COUNT][METRICS_CLASSES];
	uint64_t retries;
	uint64_t rate_limited; /* 429 answers */
	uint64_t retry_budget_refused;
	uint64_t rows[STREAM_COUNT];
	uint64_t
	        pages_unchanged; /* answers not parsed: byte-identical to those stored (pagesum.h) */
	uint64_t streams_unchanged;                /* streams stored as unchanged: no row written */
	uint64_t stream_caps[MCAP_COUNT];          /* streams failed by each cap */
	uint64_t duration_bucket[METRICS_BUCKETS]; /* cumulative at render time, not here */
	uint64_t duration_count;
	double duration_sum;
	uint64_t store_errors;
	int store_rc; /* result of the last store write: 0 ok */
	char store_error[160];
};

/* Count one finished request of kind ep (status 0 = transport failure) that took ms. */
void metrics_request(struct metrics *m, enum metrics_ep ep, long status, int64_t ms);
/*
 * Note a failed store write (rc: SQLite's code; error: its message). A
 * write that succeeded (rc 0) is not durable until its group of writes
 * commits, so only metrics_store_committed clears the failure: /healthz
 * then says 503 from the first failure until a commit works again.
 */
void metrics_store(struct metrics *m, int rc, const char *error);
void metrics_store_committed(struct metrics *m);

/* Append to b: "# HELP name help\n# TYPE name type\n". */
void metrics_head(struct evbuffer *b, const char *name, const char *type, const char *help);
/* Append a label value escaped as the exposition format wants (\\, \", \n). */
void metrics_label(struct evbuffer *b, const char *value);

struct ws;

/*
 * What one /metrics answer shows beyond the counters, gathered by the
 * owner of the loop (the daemon) at each scrape and read only during
 * metrics_render.
 */
struct metrics_view {
	const struct metrics *m;
	int requests_running, requests_queued; /* the HTTP engine's transfers now */
	struct ws *const *ws;                  /* the configured workspaces, in order */
	size_t n_ws;
	uint64_t reloads, reloads_failed;
	bool store_locked; /* another process holds the store's write lock (storegate.h) */
	uint64_t store_lock_episodes, store_waits;
	/* A PostgreSQL store's queue (store.h, store_queue_stats); rendered when store_pg. */
	bool store_pg, store_connected;
	uint64_t store_queue_bytes, store_queue_writes, store_queue_refused, store_failed;
	uint64_t store_reconnects, store_call_max_us, store_calls_over_1ms, store_call_max_cpu_us;
	uint64_t
	        store_wal_pages; /* an SQLite store's pages written to its WAL; rendered when !store_pg */
	uint64_t loop_callback_max_us, loop_callbacks_slow; /* loopstat.h */
	/* A fleet member's (daemon_fleet.c); rendered when fleet. */
	bool fleet, fleet_healthy;
	uint64_t fleet_members, fleet_owned, fleet_taken, fleet_lost, fleet_fenced, fleet_released;
};

/*
 * Append every family of v to b, in the order of the /metrics answer:
 * build info, pulls, requests, retries, rows, stream caps, request
 * durations, workspaces by state, transfers, store errors, reloads, each
 * workspace's last success and failures, the alert rules' families
 * (metrics_render_workspaces), the store's (metrics_render_store_ok,
 * wegauge_store_locked, lock episodes, waits) and the loop's longest
 * callback. The listener's families are not part of it.
 */
void metrics_render(struct evbuffer *b, const struct metrics_view *v);

/*
 * Append the per-workspace families the alert rules use, one series per
 * workspace in each (ws[0..n-1], in that order):
 *   wegauge_workspace_state{workspace,state} 1: its current state (the
 *     series of a former state is gone from the next scrape);
 *   wegauge_workspace_interval_seconds{workspace}: its configured interval.
 * Only names, states and intervals: nothing of a key.
 */
void metrics_render_workspaces(struct evbuffer *b, struct ws *const *ws, size_t n);
/*
 * Append wegauge_store_ok: 1 while the last store write succeeded, 0 from
 * a failed one until a commit works again, and 0 while locked (another
 * process holds the store's write lock: nothing is written). What /healthz
 * says of the store.
 */
void metrics_render_store_ok(struct evbuffer *b, const struct metrics *m, bool locked);

struct metrics_server;

/* The listener's bounds (httpd.h); part of the descriptor budget (fdbudget.h). */
#define METRICS_MAX_CONNECTIONS 32    /* connections at once; more are refused */
#define METRICS_DEADLINE_MS     10000 /* from accept to the end of the answer */
#define METRICS_MAX_REQUEST     16384 /* request line and headers, bytes */

/* Render the daemon's part of the /metrics reply into b (the listener's families follow). */
typedef void (*metrics_render_fn)(struct evbuffer *b, void *arg);
/* 1 healthy; 0 not, with the reason in why. */
typedef int (*metrics_health_fn)(char *why, size_t len, void *arg);

/*
 * Serve on listen ("127.0.0.1:9464" or "[::1]:9464"). NULL with err on
 * failure (address in use, not loopback...).
 */
struct metrics_server *metrics_server_start(struct event_base *base, const char *listen,
                                            metrics_render_fn render, metrics_health_fn health,
                                            void *arg, char *err, size_t errlen);
void metrics_server_free(struct metrics_server *s);
/* The listen address it serves ("127.0.0.1:9464"). */
const char *metrics_server_listen(const struct metrics_server *s);
/*
 * Append the listener's families: wegauge_metrics_connections (open now),
 * wegauge_metrics_connections_max (the cap),
 * wegauge_metrics_connections_refused_total (closed at accept, cap reached),
 * wegauge_metrics_connections_timed_out_total (cut at the deadline) and
 * wegauge_metrics_accept_paused_total (accepting paused for want of
 * descriptors or memory). Every /metrics answer ends with them.
 */
void metrics_render_listener(struct evbuffer *b, const struct metrics_server *s);

#endif
