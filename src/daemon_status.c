/*
 * daemon_status.c: what the daemon says of itself (daemon_int.h): the
 * STATUS= line systemd shows, the last error in it, the metrics listener
 * with the text of /metrics and the answer of /healthz, and the SIGUSR1
 * state dump. It only reads the daemon (and starts or stops the
 * listener); nothing here changes a workspace or writes the store.
 */
#include "daemon_int.h"
#include "errbuf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "loopstat.h"
#include "store.h"
#include "storegate.h"
#include "ws.h"

/*
 * Why the store gate is closed, for STATUS= and /healthz: "store locked by
 * another process for 12 s: pulls held", or for PostgreSQL "PostgreSQL
 * store unavailable (host=...): why for 12 s: pulls held".
 */
static void locked_note(struct daemon *d, const struct storegate_stats *gs, char *out, size_t len)
{
	char what[400];
	store_unavailable(d->store, what, sizeof(what));
	struct store_queue_stats qs;
	store_queue_stats(d->store, &qs);
	int64_t s = (clock_mono_ms() - gs->locked_since_ms) / 1000;
	if (qs.pg)
		errbuf_set(out, len, "%s; pulls held for %" PRId64 " s", what, s);
	else
		errbuf_set(out, len, "%s for %" PRId64 " s: pulls held", what, s);
}

/* Recount the states and hand systemd a fresh STATUS= line (rate-limited in notify.c). */
void daemon_status_update(struct daemon *d)
{
	int count[WS_STATE_COUNT] = {0};
	for (size_t i = 0; i < d->n_ws; i++)
		count[d->ws[i]->state]++;
	char note[600];
	struct storegate_stats gs;
	storegate_get_stats(d->gate, &gs);
	char fleet[256];
	daemon_fleet_note(d, fleet, sizeof(fleet));
	if (d->store_lost[0])
		snprintf(note, sizeof(note), "%s", d->store_lost);
	else if (gs.locked)
		locked_note(d, &gs, note, sizeof(note));
	else if (fleet[0])
		snprintf(note, sizeof(note), "%s", fleet);
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

/*
 * GET /metrics: what only the daemon knows, gathered for metrics_render
 * (metrics.h), which writes the text.
 */
static void render_metrics(struct evbuffer *b, void *arg)
{
	struct daemon *d = arg;
	struct http_stats hs;
	daemon_http_stats(d, &hs);
	struct storegate_stats gs;
	storegate_get_stats(d->gate, &gs);
	struct store_queue_stats qs;
	store_queue_stats(d->store, &qs);
	struct daemon_fleet_stats fs;
	daemon_fleet_stats(d, &fs);
	const struct metrics_view v = {
	        .fleet = fs.on,
	        .fleet_healthy = fs.healthy,
	        .fleet_members = fs.members,
	        .fleet_owned = fs.owned,
	        .fleet_taken = fs.taken,
	        .fleet_lost = fs.lost,
	        .fleet_fenced = fs.fenced,
	        .fleet_released = fs.released,
	        .store_pg = qs.pg,
	        .store_connected = qs.connected,
	        .store_queue_bytes = qs.bytes,
	        .store_queue_writes = qs.ops,
	        .store_queue_refused = qs.refused,
	        .store_failed = qs.failed,
	        .store_reconnects = qs.reconnects,
	        .store_call_max_us = qs.call_max_us,
	        .store_call_max_cpu_us = qs.call_max_cpu_us,
	        .store_calls_over_1ms = qs.calls_over_1ms,
	        .store_wal_pages = qs.wal_pages,
	        .m = &d->metrics,
	        .requests_running = hs.running,
	        .requests_queued = hs.queued,
	        .ws = d->ws,
	        .n_ws = d->n_ws,
	        .reloads = d->reloads,
	        .reloads_failed = d->reloads_failed,
	        .store_locked = gs.locked,
	        .store_lock_episodes = gs.episodes,
	        .store_waits = gs.waits,
	        .loop_callback_max_us = loopstat.max_us,
	        .loop_callbacks_slow = loopstat.over_100ms,
	};
	metrics_render(b, &v);
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
		locked_note(d, &gs, why, len);
		return 0;
	}
	daemon_fleet_note(d, why, len);
	if (why[0])
		return 0;
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
	mono_ms now = clock_mono_ms();
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
