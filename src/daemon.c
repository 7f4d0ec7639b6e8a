/*
 * daemon.c: the life of wegauged (see daemon.h): start, the schedule,
 * the outcome of each pull, reload, the state dump and the graceful stop.
 * Everything here runs on the one loop thread.
 */
#include "daemon.h"

#include <curl/curl.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <inttypes.h>
#include <libgen.h>
#include <malloc.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <sqlite3.h>

#include "budget.h"
#include "clock.h"
#include "config.h"
#include "fdlimit.h"
#include "fnv.h"
#include "http.h"
#include "jarena.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "pull.h"
#include "rng.h"
#include "sched.h"
#include "loopstat.h"
#include "store.h"
#include "storegate.h"
#include "worker.h"
#include "ws.h"

/*
 * Writes to the store are grouped (store_group_on): a group opens with the
 * first write and commits STORE_GROUP_MS later, so that a busy daemon pays
 * one commit for many pulls, and an idle one commits each pull soon after
 * it ends. A crash loses at most the last group (the store stays
 * consistent).
 */
#define STORE_GROUP_MS 100

/*
 * Admission. A due pull starts only while fewer than PULL_ADMIT_FACTOR *
 * max_in_flight requests are in the HTTP engine or answers in the worker
 * (running or queued; a pull has at most one of either, and a pull
 * waiting on a timer has none);
 * else it waits in the ready queue, first in first out, and starts when
 * a pull ends or parks on a timer. Without it, 10,000 pulls due at once
 * (the first start, --once) all begin together, each holding its rows
 * and buffers until the last of them ends; with it, about 4 *
 * max_in_flight run at a time, enough to keep every transfer slot busy,
 * and each ends soon after it began.
 */
#define PULL_ADMIT_FACTOR 4

#define WS_OF_ITEM(it) ((struct ws *)((char *)(it)-offsetof(struct ws, item)))

struct daemon {
	struct event_base *base;
	const struct daemon_args *args;
	struct config *cfg;
	struct store *store;
	struct http *http;
	struct worker *worker; /* parses answers off the loop */
	int64_t trimmed_ms;    /* monotonic: the last malloc_trim (trim_when_idle); 0: never */
	struct sched sched;
	struct notify notify;
	struct budget budget;

	struct ws **ws; /* one per configured workspace, in configuration order */
	size_t n_ws;

	struct ws **ready; /* due pulls held back by admission: a ring, oldest at ready_head */
	size_t ready_head, ready_n, ready_cap;

	struct event *sig_term, *sig_int, *sig_hup, *sig_usr1;
	struct event *grace;    /* shutdown_grace timer */
	struct event *flush;    /* commits the store's open group of writes */
	struct storegate *gate; /* may the loop write to the store now? */
	struct event *watch;    /* the store's directory changed (inotify) */
	int watch_fd;           /* the inotify descriptor, -1 when none */
	char store_lost[512]; /* the store file was deleted or replaced: why, "" while it is not */
	char **removed_pending; /* workspaces to mark removed when the gate opens */
	size_t n_removed_pending;
	bool close_running_pending; /* interrupted pulls still to close (store locked at start) */
	bool stopping;
	int exit_code;

	int once_pending; /* --once: pulls still to finish */
	int once_failed;  /* --once: pulls that ended neither ok nor partial */

	struct pull_env env;  /* what every pull is handed (pull.h) */
	struct event *settle; /* takes in what pulls reported, then admits (on_settle) */
	struct ws *reports_head, *reports_tail; /* workspaces with a report (ws->report_next) */
	bool trim_due; /* a pull ended: trim_when_idle at the next settle */

	struct ws **grouped; /* workspaces that wrote into the open group (ws->in_group) */
	size_t n_grouped, cap_grouped;
	struct log_rl store_rl; /* rate limit of daemon-wide store errors */
	struct metrics metrics;
	struct metrics_server *msrv;
	uint64_t reloads, reloads_failed;
	char last_error[256];
};

/* --- the store's groups of writes ----------------------------------------------- */

/*
 * w's pull (pull_work) or only its row was written into the store's open
 * group of writes. If that group then fails to commit, everything of it is
 * lost: group_lost cancels w's running pull, marks w failing and pulls it
 * again (backoff applies).
 */
static void group_note(struct daemon *d, struct ws *w, bool pull_work)
{
	if (pull_work)
		w->group_pull = true;
	if (w->in_group)
		return;
	if (d->n_grouped == d->cap_grouped) {
		size_t cap = d->cap_grouped ? d->cap_grouped * 2 : 64;
		struct ws **g = realloc(d->grouped, cap * sizeof(*g));
		if (!g)
			return; /* then a lost group is found at w's next pull instead */
		d->grouped = g;
		d->cap_grouped = cap;
	}
	d->grouped[d->n_grouped++] = w;
	w->in_group = true;
}

/* w is going away: it must not be touched when the group ends. */
static void group_forget(struct daemon *d, struct ws *w)
{
	if (!w->in_group)
		return;
	for (size_t i = 0; i < d->n_grouped; i++) {
		if (d->grouped[i] == w) {
			d->grouped[i] = d->grouped[--d->n_grouped];
			break;
		}
	}
	w->in_group = w->group_pull = false;
}

static void ws_save(struct daemon *d, struct ws *w);
static void settle_reports(struct daemon *d);
static void stop_loop(struct daemon *d);
static void status_update(struct daemon *d);

/*
 * The open group failed to commit: SQLite rolled back every pull row,
 * stream and workspace row written since the last commit. A workspace
 * whose pull wrote into it lost that work: its running pull is cancelled
 * (what it committed in earlier groups stays, whole), or, when the pull had
 * already ended, the end is written again before its next pull (its row
 * would otherwise stay `running`); it is marked failing with the store's
 * error and pulled again with the failure backoff. A pull is counted as
 * failed once, however many commits fail in a row (the cancel itself goes
 * into the next group). A workspace whose row alone was in the group just
 * writes its row again.
 */
static void group_lost(struct daemon *d, const char *err)
{
	struct ws **list = d->grouped;
	size_t n = d->n_grouped;
	bool *pull_work = calloc(n ? n : 1, sizeof(*pull_work));
	d->grouped = NULL;
	d->n_grouped = d->cap_grouped = 0;
	for (size_t i = 0; i < n; i++) {
		if (pull_work)
			pull_work[i] = list[i]->group_pull;
		list[i]->in_group = list[i]->group_pull = false;
		list[i]->saved_hash = 0; /* its row went with the group */
	}
	for (size_t i = 0; i < n; i++) {
		struct ws *w = list[i];
		if (pull_work && !pull_work[i]) {
			ws_save(d, w);
			continue;
		}
		int64_t id = w->pull ? pull_id(w) : w->last_pull_id;
		bool first = id != w->lost_pull_id;
		w->lost_pull_id = id;
		if (w->pull) {
			pull_cancel(w, "its writes were lost with a failed store commit");
			if (d->args->once) {
				w->once_done = true;
				d->once_failed++;
				if (--d->once_pending == 0)
					stop_loop(d);
				first = false; /* counted */
			}
		} else {
			pull_end_lost(w, id, err);
		}
		if (first) {
			log_ws(&w->rl, LOGL_ERR, w->cfg->name, id, "not stored: %s", err);
			w->consecutive_failures++;
			ws_set_state(w, WS_FAILING, err);
			if (d->args->once && w->once_done)
				d->once_failed++;
		}
		if (!d->args->once && !d->stopping && w->cfg->enabled && !w->pull)
			ws_schedule_next(w, &d->sched);
		ws_save(d, w);
	}
	free(pull_work);
	free(list);
	if (n)
		status_update(d);
}

static void store_lost(struct daemon *d, const char *why);
static void write_deferred(struct daemon *d);

/* Commit the open group now; a failure is logged and counted (what was lost is said). */
static int store_flush_now(struct daemon *d)
{
	char err[256], lost[512];
	if (store_identity_check(d->store, lost, sizeof(lost)) != 0) {
		store_lost(d, lost);
		return SQLITE_NOTFOUND;
	}
	bool recovering = d->metrics.store_rc != 0;
	int rc = store_flush(d->store, err, sizeof(err));
	metrics_store(&d->metrics, rc, err);
	if (rc == 0) {
		metrics_store_committed(&d->metrics);
		for (size_t i = 0; i < d->n_grouped; i++)
			d->grouped[i]->in_group = d->grouped[i]->group_pull = false;
		d->n_grouped = 0;
		if (recovering)
			write_deferred(d); /* into a new group, committed soon */
		return 0;
	}
	log_ws(&d->store_rl, LOGL_ERR, NULL, 0, "%s", err);
	snprintf(d->last_error, sizeof(d->last_error), "%s", err);
	group_lost(d, err);
	return rc;
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	int64_t t0 = loopstat_begin();
	settle_reports(d);
	if (storegate_held(d->gate)) {
		/* A stream commit in slices is in the group: commit after its last slice. */
		struct timeval tv = {.tv_sec = 0, .tv_usec = STORE_GROUP_MS * 1000};
		evtimer_add(d->flush, &tv);
	} else {
		store_flush_now(d);
	}
	loopstat_end(t0, "store flush");
}

/* The store opened a group: commit it STORE_GROUP_MS from now, or at once without a timer. */
static void on_group_opened(void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = {.tv_sec = 0, .tv_usec = STORE_GROUP_MS * 1000};
	if (evtimer_add(d->flush, &tv) != 0)
		event_active(d->flush, 0, 0);
}

/* --- the workspace row and STATUS= ------------------------------------------ */

/* s and its NUL (NULL: one 0xff byte) onto h, so that adjacent strings cannot run together. */
static uint64_t hash_str(uint64_t h, const char *s)
{
	static const unsigned char null_mark = 0xff;
	return s ? fnv1a(h, s, strlen(s) + 1) : fnv1a(h, &null_mark, 1);
}

/* The row's hash, for ws_save (never 0, which means "nothing saved"). */
static uint64_t ws_row_hash(const struct store_ws *r)
{
	const char *strs[] = {r->name,        r->license_code,    r->data_center,
	                      r->base_url,    r->key_fingerprint, r->state,
	                      r->state_reason};
	const int64_t nums[] = {r->last_pull_at, r->last_success_at, r->next_pull_at,
	                        r->consecutive_failures};
	uint64_t h = FNV1A_OFFSET;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		h = hash_str(h, strs[i]);
	h = fnv1a(h, nums, sizeof(nums));
	return h ? h : 1;
}

/*
 * Mirror w's state into its store row, unless it is the row this daemon
 * last wrote and that write was not lost (group_lost forgets it): a stop,
 * for one, would otherwise rewrite all 10,000 rows that the pulls had
 * just written.
 */
static void ws_save(struct daemon *d, struct ws *w)
{
	char err[256];
	const struct ws_config *c = w->cfg;
	struct store_ws row = {
	        .name = c->name,
	        .license_code = c->license_code,
	        .data_center = config_dc_name(c->data_center),
	        .base_url = c->base_url,
	        .key_fingerprint = c->fingerprint,
	        .state = ws_state_name(w->state),
	        .state_reason = w->reason[0] ? w->reason : NULL,
	        .last_pull_at = w->last_pull_at,
	        .last_success_at = w->last_success_at,
	        .next_pull_at = w->next_pull_at,
	        .consecutive_failures = w->consecutive_failures,
	};
	uint64_t h = ws_row_hash(&row);
	if (h == w->saved_hash)
		return;
	w->row_dirty = false;
	if (!storegate_is_open(d->gate)) {
		w->row_dirty = true; /* written when the gate opens (gate_open) */
		w->saved_hash = 0;
		return;
	}
	int rc = store_ws_put(d->store, &row, err, sizeof(err));
	if (storegate_failed(d->gate, rc, err)) {
		w->row_dirty = true;
		w->saved_hash = 0;
		return;
	}
	metrics_store(&d->metrics, rc, err);
	w->saved_hash = rc == 0 ? h : 0;
	if (rc == 0)
		group_note(d, w, false);
	if (rc != 0) {
		w->row_dirty = true; /* written again when the store recovers (write_deferred) */
		log_ws(&w->rl, LOGL_ERR, c->name, 0, "could not save the workspace state: %s", err);
	}
}

/* Recount the states and hand systemd a fresh STATUS= line (rate-limited in notify.c). */
static void status_update(struct daemon *d)
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

static void note_error(struct daemon *d, const char *ws, const char *error)
{
	snprintf(d->last_error, sizeof(d->last_error), "%s%s%s", ws ? ws : "", ws ? ": " : "",
	         error);
}

static bool chosen(const struct daemon *d, const char *name)
{
	if (d->args->n_only == 0)
		return true;
	for (size_t i = 0; i < d->args->n_only; i++)
		if (strcmp(d->args->only[i], name) == 0)
			return true;
	return false;
}

static void stop_loop(struct daemon *d)
{
	event_base_loopbreak(d->base);
}

/* --- admission ---------------------------------------------------------------- */

/*
 * Memory back to the system after a burst. glibc keeps the heap that a
 * burst of pulls grew (the first spread of 10,000 workspaces, a reload
 * that adds many), fragmented by what outlives it, and the worker thread
 * has an arena of its own. When the daemon falls idle (no request in the
 * engine, no answer in the worker, no pull waiting for room), the free
 * pages go back with malloc_trim, at most once per TRIM_EVERY_MS so that
 * steady-state pulls (each one ending idle) do not pay it every time. A
 * reload trims once after READY=1, having freed the old configuration.
 */
#define TRIM_EVERY_MS 60000

static void trim_now(struct daemon *d)
{
	d->trimmed_ms = clock_mono_ms();
	malloc_trim(0);
}

static void trim_when_idle(struct daemon *d)
{
	struct http_stats hs;
	http_get_stats(d->http, &hs);
	if (hs.running || hs.queued || d->ready_n || worker_pending(d->worker))
		return;
	if (d->trimmed_ms && clock_mono_ms() - d->trimmed_ms < TRIM_EVERY_MS)
		return;
	trim_now(d);
}

static bool pull_room(struct daemon *d)
{
	if (!storegate_is_open(d->gate))
		return false; /* a pull begins with a write: it waits for the gate */
	struct http_stats hs;
	http_get_stats(d->http, &hs);
	int64_t busy = (int64_t)hs.running + hs.queued + (int64_t)worker_pending(d->worker);
	return busy < (int64_t)d->cfg->max_in_flight * PULL_ADMIT_FACTOR;
}

/* Hold w back until there is room. -1 when the ring cannot grow (w is then started anyway). */
static int ready_push(struct daemon *d, struct ws *w)
{
	if (d->ready_n == d->ready_cap) {
		size_t cap = d->ready_cap ? d->ready_cap * 2 : 256;
		struct ws **r = malloc(cap * sizeof(*r));
		if (!r)
			return -1;
		for (size_t i = 0; i < d->ready_n; i++)
			r[i] = d->ready[(d->ready_head + i) % d->ready_cap];
		free(d->ready);
		d->ready = r;
		d->ready_cap = cap;
		d->ready_head = 0;
	}
	d->ready[(d->ready_head + d->ready_n) % d->ready_cap] = w;
	d->ready_n++;
	return 0;
}

static struct ws *ready_pop(struct daemon *d)
{
	if (d->ready_n == 0)
		return NULL;
	struct ws *w = d->ready[d->ready_head];
	d->ready_head = (d->ready_head + 1) % d->ready_cap;
	d->ready_n--;
	return w;
}

/*
 * Empty the ready queue: with requeue, every workspace in it goes back to
 * the scheduler, due now (before a reload changes or frees workspaces);
 * without, it is dropped (stopping: no new pulls).
 */
static void ready_drain(struct daemon *d, bool requeue);

/*
 * Start w's pull now, noting when it began (ws_schedule_next). A pull the
 * store could not begin (locked: the gate just closed) goes back to the
 * front of the line: the ready queue, or at worst the scheduler, due now.
 */
static void begin_pull(struct daemon *d, struct ws *w)
{
	w->began_ms = clock_mono_ms();
	if (pull_start(&d->env, w) > 0 && ready_push(d, w) != 0)
		ws_schedule_at(w, &d->sched, clock_mono_ms() + STOREGATE_RETRY_MAX_MS);
}

static void start_pull(struct daemon *d, struct ws *w)
{
	w->next_pull_at = 0;
	if (!pull_room(d) && ready_push(d, w) == 0)
		return;
	begin_pull(d, w);
}

/*
 * Start held pulls, oldest first, while there is room. Never called from
 * a pull's own callbacks (they only report, pull.h): a pull that ends at
 * once (its row refused) reports and returns, and this loop goes on with
 * the next, so the stack stays flat however many are held.
 */
static void admit(struct daemon *d)
{
	while (d->ready_n > 0 && !d->stopping && pull_room(d)) {
		struct ws *w = ready_pop(d);
		/* Rescheduled or started meanwhile: the entry is stale. */
		if (w->pull || w->item.heap_idx != SCHED_NONE)
			continue;
		begin_pull(d, w);
	}
}

/* The credential probe accepted w's key: a pending workspace is connected from now on. */
static void took_probed(struct daemon *d, struct ws *w)
{
	if (w->state != WS_PENDING)
		return;
	ws_set_state(w, WS_CONNECTED, NULL);
	ws_save(d, w);
	status_update(d);
}

/* w's pull ended with status and error (NULL when none): state, counters, schedule. */
static void took_done(struct daemon *d, struct ws *w, enum pull_status status, const char *error)
{
	int64_t now = clock_wall_s();
	w->last_pull_at = now;
	switch (status) {
	case PULL_OK:
	case PULL_PARTIAL:
		w->last_success_at = now;
		w->consecutive_failures = 0;
		ws_set_state(w, WS_CONNECTED, status == PULL_PARTIAL ? error : NULL);
		break;
	case PULL_AUTH_FAILED:
		w->consecutive_failures++;
		ws_set_state(w, WS_AUTH_FAILED, error);
		break;
	default:
		w->consecutive_failures++;
		ws_set_state(w, WS_FAILING, error);
		break;
	}
	if (error && status != PULL_OK)
		note_error(d, w->cfg->name, error);
	if (!d->args->once)
		d->trim_due = true;

	if (d->args->once) {
		w->once_done = true;
		if (status != PULL_OK && status != PULL_PARTIAL)
			d->once_failed++;
		w->next_pull_at = 0;
		ws_save(d, w);
		if (--d->once_pending == 0)
			stop_loop(d);
		return;
	}
	if (d->stopping) {
		w->next_pull_at = 0;
		ws_save(d, w);
		bool busy = false;
		for (size_t i = 0; i < d->n_ws && !busy; i++)
			busy = d->ws[i]->pull != NULL;
		if (!busy)
			stop_loop(d);
		return;
	}
	if (w->state == WS_AUTH_FAILED)
		ws_unschedule(w, &d->sched); /* not polled again until its key changes */
	else
		ws_schedule_next(w, &d->sched);
	ws_save(d, w);
	status_update(d);
}

/*
 * Take in every report of the pulls, in the order they came. Every daemon
 * callback that looks at workspaces calls this first, so that it sees
 * them as if each report had been taken in when it was made; it starts no
 * pull (admission is on_settle's).
 */
static void settle_reports(struct daemon *d)
{
	struct ws *w;
	while ((w = d->reports_head)) {
		d->reports_head = w->report_next;
		if (!d->reports_head)
			d->reports_tail = NULL;
		w->report_next = NULL;
		w->report_queued = false;
		if (w->report_probed) {
			w->report_probed = false;
			took_probed(d, w);
		}
		if (w->report_done) {
			char *error = w->report_error;
			w->report_done = false;
			w->report_error = NULL;
			took_done(d, w, (enum pull_status)w->report_status, error);
			free(error);
		}
	}
}

/* The settle event: what pulls reported, then admission of held pulls, then maybe a trim. */
static void on_settle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	int64_t t0 = loopstat_begin();
	settle_reports(d);
	admit(d);
	if (d->trim_due) {
		d->trim_due = false;
		trim_when_idle(d);
	}
	loopstat_end(t0, "pull reports");
}

/* Queue w's report (once) and have on_settle run after the current callback. */
static void report_queue(struct daemon *d, struct ws *w)
{
	if (!w->report_queued) {
		w->report_queued = true;
		w->report_next = NULL;
		if (d->reports_tail)
			d->reports_tail->report_next = w;
		else
			d->reports_head = w;
		d->reports_tail = w;
	}
	event_active(d->settle, 0, 0);
}

/* --- what pulls report (struct pull_report): recorded, never acted on here --- */

static void report_wrote(void *arg, struct ws *w)
{
	group_note(arg, w, true);
}

static void report_probed(void *arg, struct ws *w)
{
	w->report_probed = true;
	report_queue(arg, w);
}

/* The error is kept for the settle; without memory for it the state keeps no reason. */
static void report_done(void *arg, struct ws *w, enum pull_status status, const char *error)
{
	free(w->report_error);
	w->report_done = true;
	w->report_status = (int)status;
	w->report_error = error ? strdup(error) : NULL;
	report_queue(arg, w);
}

static void report_parked(void *arg)
{
	struct daemon *d = arg;
	event_active(d->settle, 0, 0);
}

/* The scheduler's timer fired for w. */
static void on_due(struct sched_item *item, void *arg)
{
	struct daemon *d = arg;
	struct ws *w = WS_OF_ITEM(item);
	settle_reports(d);
	if (d->stopping || w->pull)
		return;
	start_pull(d, w);
}

static int metrics_apply(struct daemon *d, const struct config *c);

static void ready_drain(struct daemon *d, bool requeue)
{
	struct ws *w;
	int64_t now = clock_mono_ms();
	while ((w = ready_pop(d)))
		if (requeue && !w->pull && w->item.heap_idx == SCHED_NONE)
			ws_schedule_at(w, &d->sched, now);
}

/* --- workspaces: start and reload ----------------------------------------- */

/*
 * The settled state a workspace had before this process started, when it
 * still holds: the row was written by a daemon that probed the same
 * license code at the same base URL with the same key (fingerprint), and
 * it ended in connected, failing or auth_failed. Anything else (never
 * settled, removed, disabled, or any of the three changed) starts pending.
 * Paths are not stored, so a changed path is not seen here; the next pull
 * probes and pulls with the configured ones anyway. Why this is safe:
 * docs/architecture.md, "What a restart keeps".
 */
static enum ws_state saved_settled_state(const struct store_ws_saved *s, const struct ws_config *c)
{
	if (strcmp(s->license_code, c->license_code) != 0 ||
	    strcmp(s->base_url, c->base_url) != 0 ||
	    strcmp(s->key_fingerprint, c->fingerprint) != 0)
		return WS_PENDING;
	static const enum ws_state kept[] = {WS_CONNECTED, WS_FAILING, WS_AUTH_FAILED};
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (strcmp(s->state, ws_state_name(kept[i])) == 0)
			return kept[i];
	return WS_PENDING;
}

/*
 * Create the runtime workspace for c, restoring what the store remembers:
 * its pull times and failures always, and, at start (restart true), its
 * settled state and reason (saved_settled_state). A workspace added by a
 * reload is a connect: it starts pending and is probed at once.
 */
static struct ws *ws_create(struct daemon *d, const struct ws_config *c, bool restart)
{
	struct ws *w = ws_new(c);
	if (!w)
		return NULL;
	struct store_ws_saved saved;
	char err[256];
	enum ws_state st = c->enabled ? WS_PENDING : WS_DISABLED;
	const char *reason = NULL;
	int rc = store_ws_get(d->store, c->name, &saved, err, sizeof(err));
	if (rc == 1) {
		w->last_pull_at = saved.last_pull_at;
		w->last_success_at = saved.last_success_at;
		w->consecutive_failures = saved.consecutive_failures;
		if (restart && c->enabled) {
			st = saved_settled_state(&saved, c);
			reason = st != WS_PENDING && saved.state_reason[0] ? saved.state_reason
			                                                   : NULL;
		}
	} else if (rc < 0) {
		log_ws(NULL, LOGL_WARNING, c->name, 0, "could not read the saved state: %s", err);
	}
	ws_set_state(w, st, reason);
	return w;
}

/* Remember to mark name removed when the gate opens. */
static void removed_pending_add(struct daemon *d, const char *name)
{
	char **grown = realloc(d->removed_pending, (d->n_removed_pending + 1) * sizeof(*grown));
	char *copy = strdup(name);
	if (!grown || !copy) {
		if (grown)
			d->removed_pending = grown;
		free(copy);
		log_ws(NULL, LOGL_ERR, name, 0, "out of memory: its row stays as it was");
		return;
	}
	d->removed_pending = grown;
	d->removed_pending[d->n_removed_pending++] = copy;
}

/* Mark name removed in the store now, or, while the gate is closed, when it opens. */
static void mark_removed(struct daemon *d, const char *name)
{
	char err[256];
	if (!storegate_is_open(d->gate)) {
		removed_pending_add(d, name);
		return;
	}
	int rc = store_ws_set_state(d->store, name, "removed", "not in the configuration", err,
	                            sizeof(err));
	if (storegate_failed(d->gate, rc, err))
		removed_pending_add(d, name);
	else if (rc != 0)
		log_ws(NULL, LOGL_ERR, name, 0, "could not mark removed: %s", err);
	else
		log_ws(NULL, LOGL_NOTICE, name, 0, "removed: no longer in the configuration");
}

/* Every workspace the store knows but the configuration does not: removed. */
static void mark_missing_removed_cb(const char *name, void *arg)
{
	struct daemon *d = arg;
	if (!config_find_ws(d->cfg, name))
		mark_removed(d, name);
}

static int start_workspaces(struct daemon *d)
{
	d->ws = calloc(d->cfg->n_ws ? d->cfg->n_ws : 1, sizeof(*d->ws));
	if (!d->ws)
		return -1;
	for (size_t i = 0; i < d->cfg->n_ws; i++) {
		const struct ws_config *c = &d->cfg->ws[i];
		struct ws *w = ws_create(d, c, true);
		if (!w)
			return -1;
		d->ws[d->n_ws++] = w;
		if (d->args->once) {
			ws_place_tick(w);
			if (c->enabled && chosen(d, c->name)) {
				d->once_pending++;
				ws_schedule_at(w, &d->sched, clock_mono_ms());
			}
		} else {
			ws_schedule_first(w, &d->sched, false);
		}
		ws_save(d, w);
	}
	char err[256];
	if (store_ws_each_active(d->store, mark_missing_removed_cb, d, err, sizeof(err)) != 0)
		log_msg(LOGL_ERR, "could not list stored workspaces: %s", err);
	return 0;
}

static void http_opts_from(const struct config *c, struct http_opts *o)
{
	*o = (struct http_opts){
	        .max_in_flight = c->max_in_flight,
	        .max_per_host = c->max_per_host,
	        .connect_timeout_ms = c->connect_timeout_ms,
	        .request_timeout_ms = c->request_timeout_ms,
	        .max_response = c->max_response,
	        .low_speed_limit = (long)c->low_speed_limit,
	        .low_speed_time_ms = c->low_speed_time_ms,
	        .ca_file = c->ca_file,
	};
}

/* The key, license code, host or paths changed: what was probed no longer holds. */
static bool identity_changed(const struct ws_config *a, const struct ws_config *b)
{
	if (strcmp(a->fingerprint, b->fingerprint) != 0 ||
	    strcmp(a->license_code, b->license_code) != 0 || strcmp(a->base_url, b->base_url) != 0)
		return true;
	for (int i = 0; i < PATH_COUNT; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return true;
	return false;
}

/*
 * Move one existing workspace onto its new configuration c (see the
 * reload rules in docs/architecture.md). Returns whether its store row
 * changed (an unchanged workspace's row is not written again: a reload of
 * 10,000 workspaces would otherwise rewrite 10,000 rows).
 */
static bool reload_one(struct daemon *d, struct ws *w, const struct ws_config *c)
{
	const struct ws_config *old = w->cfg;
	bool ident = identity_changed(old, c);
	bool was_enabled = old->enabled;
	if (ident || !c->enabled)
		pull_cancel(w, ident ? "key or endpoint changed by reload" : "disabled by reload");
	if (ident) {
		if (ws_apply_config(w, c) != 0) {
			/* Keep the workspace, but it cannot authenticate: say so. */
			w->cfg = c;
			ws_set_state(w, WS_FAILING, "out of memory applying the new key");
			ws_unschedule(w, &d->sched);
			return true;
		}
		w->key_ok = false;
	} else {
		w->cfg = c; /* same key and host: the header lists stay valid */
	}
	if (!c->enabled) {
		bool was = w->state == WS_DISABLED;
		ws_set_state(w, WS_DISABLED, NULL);
		ws_unschedule(w, &d->sched);
		return !was;
	}
	if (ident || !was_enabled || w->state == WS_AUTH_FAILED) {
		/* Reconnect: probe again and pull at once. */
		w->key_ok = false;
		ws_set_state(w, WS_PENDING, NULL);
		ws_place_tick(w);
		if (!w->pull)
			ws_schedule_at(w, &d->sched, clock_mono_ms());
		return true;
	}
	if (c->interval_ms != w->interval_ms) {
		ws_place_tick(w);
		if (!w->pull)
			ws_schedule_at(w, &d->sched,
			               sched_jittered(w->tick_ms, c->jitter_ms, rng_next()));
		return true;
	}
	return false;
}

/*
 * The index in d->cfg->ws of the section of the running workspace w, or
 * SIZE_MAX. w->cfg points into d->cfg->ws (start and reload set it so), which
 * gives the index without a lookup; config_find_ws by name is the fallback
 * should that ever not hold.
 */
static size_t old_ws_slot(const struct daemon *d, const struct ws *w)
{
	uintptr_t base = (uintptr_t)d->cfg->ws, at = (uintptr_t)w->cfg;
	size_t sz = sizeof(*d->cfg->ws);
	if (at >= base && at - base < d->cfg->n_ws * sz && (at - base) % sz == 0)
		return (at - base) / sz;
	const struct ws_config *oc = config_find_ws(d->cfg, w->cfg->name);
	return oc ? (size_t)(oc - d->cfg->ws) : SIZE_MAX;
}

/*
 * Match the new configuration nc with the running workspaces, with one
 * name lookup per new section (config_find_ws: a hash table; a linear
 * search per name was 10^8 string compares at 10,000 workspaces, sorting
 * and bsearch 10^5 compares with a cache miss each). match[i] (nc->n_ws
 * entries) gets the running workspace of nc->ws[i], or NULL for an added
 * one; by_cfg (d->cfg->n_ws entries, zeroed) is left holding, at their
 * old sections' indexes, exactly the workspaces nc no longer has.
 */
static void reload_match(struct daemon *d, const struct config *nc, struct ws **match,
                         struct ws **by_cfg)
{
	for (size_t i = 0; i < d->n_ws; i++) {
		size_t k = old_ws_slot(d, d->ws[i]);
		if (k != SIZE_MAX)
			by_cfg[k] = d->ws[i];
	}
	for (size_t i = 0; i < nc->n_ws; i++) {
		const struct ws_config *oc = config_find_ws(d->cfg, nc->ws[i].name);
		size_t k = oc ? (size_t)(oc - d->cfg->ws) : 0;
		match[i] = oc ? by_cfg[k] : NULL;
		if (oc)
			by_cfg[k] = NULL;
	}
}

/*
 * Whether this process may open the descriptors configuration c needs
 * (fdlimit.h), raising the soft limit when only it is short. Logs the
 * raise, or the refusal (prefixed with what) naming every number.
 */
static bool descriptors_ok(struct daemon *d, const struct config *c, const char *what)
{
	struct fdlimit_budget b;
	char err[512];
	long old = 0;
	fdlimit_budget_of(c, c->metrics_listen && !d->args->once, &b);
	int rc = fdlimit_check(&b, true, &old, err, sizeof(err));
	if (rc < 0)
		log_msg(LOGL_ERR, "%s%s (`wegauged -t` checks the same)", what, err);
	else if (rc > 0)
		log_msg(LOGL_INFO, "open files: soft limit raised from %ld to %d, the budget", old,
		        b.total);
	return rc >= 0;
}

/*
 * SIGHUP: parse, validate, diff, apply. An invalid configuration changes
 * nothing. Signals that arrive meanwhile are queued by libevent and run
 * this again once it returns: coalesced, never lost.
 */
static void reload(struct daemon *d)
{
	uint64_t t0 = clock_mono_us();
	notify_reloading(&d->notify);
	d->reloads++;
	ready_drain(d, true);
	struct config *nc = NULL;
	struct config_errors errs = {0};
	log_msg(LOGL_NOTICE, "reloading %s", d->args->config_path);
	/* The running configuration is the cache of the files that did not change. */
	int loaded = config_load_hint(d->args->config_path, d->cfg, &nc, &errs);
	uint64_t t_load = clock_mono_us();
	if (loaded != 0) {
		d->reloads_failed++;
		for (size_t i = 0; i < errs.n; i++)
			log_msg(LOGL_ERR, "reload: %s", errs.msg[i]);
		snprintf(d->last_error, sizeof(d->last_error),
		         "reload failed, old configuration kept: %s", errs.n ? errs.msg[0] : "?");
		config_errors_free(&errs);
		notify_ready(&d->notify);
		status_update(d);
		return;
	}
	if (strcmp(nc->database, d->cfg->database) != 0) {
		d->reloads_failed++;
		log_msg(LOGL_ERR,
		        "reload: database changed from %s to %s; that needs a restart, old "
		        "configuration kept",
		        d->cfg->database, nc->database);
		snprintf(d->last_error, sizeof(d->last_error),
		         "reload refused: database changed, restart needed");
		config_free(nc);
		notify_ready(&d->notify);
		status_update(d);
		return;
	}
	if (!descriptors_ok(d, nc, "reload: ")) {
		d->reloads_failed++;
		snprintf(d->last_error, sizeof(d->last_error),
		         "reload refused: not enough descriptors, old configuration kept");
		config_free(nc);
		notify_ready(&d->notify);
		status_update(d);
		return;
	}
	/* Everything that can fail for want of memory, before anything changes. */
	struct ws **order = calloc(nc->n_ws ? nc->n_ws : 1, sizeof(*order));
	if (!order) {
		d->reloads_failed++;
		log_msg(LOGL_ERR, "reload: out of memory, old configuration kept");
		config_free(nc);
		notify_ready(&d->notify);
		return;
	}

	struct ws **by_cfg = calloc(d->cfg->n_ws ? d->cfg->n_ws : 1, sizeof(*by_cfg));
	struct ws **match = calloc(nc->n_ws ? nc->n_ws : 1, sizeof(*match));
	if (!by_cfg || !match) {
		free(order);
		free(by_cfg);
		free(match);
		d->reloads_failed++;
		log_msg(LOGL_ERR, "reload: out of memory, old configuration kept");
		config_free(nc);
		notify_ready(&d->notify);
		return;
	}
	reload_match(d, nc, match, by_cfg);
	/*
	 * Removed: what reload_match left in by_cfg, in the old configuration's
	 * order. Ended first, while d->ws is whole; then freed as the rest move
	 * down, in one pass (a memmove per removal was quadratic when many go at
	 * once).
	 */
	for (size_t k = 0; k < d->cfg->n_ws; k++) {
		struct ws *w = by_cfg[k];
		if (!w)
			continue;
		pull_cancel(w, "workspace removed by reload");
		ws_unschedule(w, &d->sched);
		ws_set_state(w, WS_REMOVED, "not in the configuration");
		ws_save(d, w);
		if (w->row_dirty) /* the gate is closed, and w goes away now */
			removed_pending_add(d, w->cfg->name);
		log_ws(NULL, LOGL_NOTICE, w->cfg->name, 0, "removed; its history is kept");
		group_forget(d, w);
	}
	size_t kept = 0;
	for (size_t i = 0; i < d->n_ws; i++) {
		if (d->ws[i]->state == WS_REMOVED)
			ws_free(d->ws[i]); /* only the loop above sets WS_REMOVED */
		else
			d->ws[kept++] = d->ws[i];
	}
	d->n_ws = kept;

	/* Changed, unchanged and added, in the new configuration's order. */
	size_t n = 0;
	for (size_t i = 0; i < nc->n_ws; i++) {
		const struct ws_config *c = &nc->ws[i];
		struct ws *w = match[i];
		bool changed = true;
		if (w) {
			changed = reload_one(d, w, c);
		} else {
			w = ws_create(d, c, false);
			if (!w) {
				log_ws(NULL, LOGL_ERR, c->name, 0,
				       "out of memory adding the workspace");
				continue;
			}
			log_ws(NULL, LOGL_NOTICE, c->name, 0, "added");
			ws_schedule_first(w, &d->sched, true);
		}
		order[n++] = w;
		if (changed)
			ws_save(d, w);
	}
	free(match);
	free(by_cfg);
	free(d->ws);
	d->ws = order;
	d->n_ws = n;
	struct http_opts ho;
	http_opts_from(nc, &ho);
	http_set_opts(d->http, &ho);
	log_set_level(nc->log_level);
	storegate_set_busy_timeout(d->gate, nc->sqlite_busy_timeout_ms);
	d->budget.ratio_pct = nc->retry_budget_pct;
	if (metrics_apply(d, nc) != 0)
		log_msg(LOGL_ERR, "reload: metrics stay on %s",
		        d->msrv ? metrics_server_listen(d->msrv) : "(off)");
	config_free(d->cfg);
	d->cfg = nc;
	d->env.cfg = nc;
	d->last_error[0] = '\0';
	store_flush_now(d); /* what the reload wrote is visible by READY=1 */
	uint64_t t_end = clock_mono_us();
	log_msg(LOGL_NOTICE,
	        "reloaded: %zu workspaces in %.1f ms (%.1f ms reading the configuration)", d->n_ws,
	        (double)(t_end - t0) / 1000.0, (double)(t_load - t0) / 1000.0);
	notify_ready(&d->notify);
	status_update(d);
	trim_now(d); /* the old configuration is freed: its pages go back, after READY=1 */
}

/* --- metrics ---------------------------------------------------------------- */

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
	http_get_stats(d->http, &hs);

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
static int metrics_apply(struct daemon *d, const struct config *c)
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

/* --- signals ---------------------------------------------------------------- */

static void cancel_all(struct daemon *d, const char *why)
{
	for (size_t i = 0; i < d->n_ws; i++)
		pull_cancel(d->ws[i], why);
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	settle_reports(d);
	log_msg(LOGL_NOTICE, "shutdown_grace over: cancelling the pulls still running");
	cancel_all(d, "daemon stopped");
	stop_loop(d);
}

static void begin_stop(struct daemon *d, const char *why)
{
	if (d->stopping) {
		log_msg(LOGL_NOTICE, "%s again: stopping now", why);
		cancel_all(d, "daemon stopped");
		stop_loop(d);
		return;
	}
	d->stopping = true;
	ready_drain(d, false);
	notify_stopping(&d->notify);
	log_msg(LOGL_NOTICE, "%s: stopping; no new pulls", why);
	for (size_t i = 0; i < d->n_ws; i++)
		ws_unschedule(d->ws[i], &d->sched);
	bool busy = false;
	for (size_t i = 0; i < d->n_ws && !busy; i++)
		busy = d->ws[i]->pull != NULL;
	if (!busy) {
		stop_loop(d);
		return;
	}
	int64_t g = d->cfg->shutdown_grace_ms;
	struct timeval tv = {.tv_sec = g / 1000, .tv_usec = (g % 1000) * 1000};
	d->grace = evtimer_new(d->base, on_grace, d);
	if (!d->grace || evtimer_add(d->grace, &tv) != 0) {
		cancel_all(d, "daemon stopped");
		stop_loop(d);
	}
}

/* SIGUSR1: every workspace's state, its pull and the counters, to the log. */
static void dump_state(struct daemon *d)
{
	struct http_stats hs;
	http_get_stats(d->http, &hs);
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

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct daemon *d = arg;
	int64_t t0 = loopstat_begin();
	settle_reports(d);
	switch (sig) {
	case SIGTERM:
		begin_stop(d, "SIGTERM");
		break;
	case SIGINT:
		begin_stop(d, "SIGINT");
		break;
	case SIGHUP:
		if (d->stopping || d->args->once)
			log_msg(LOGL_NOTICE, "SIGHUP ignored while %s",
			        d->stopping ? "stopping" : "running --once");
		else
			reload(d);
		break;
	case SIGUSR1:
		dump_state(d);
		break;
	default:
		break;
	}
	loopstat_end(t0, sig == SIGHUP ? "reload" : "signal");
}

/* --- the store's gate and identity ------------------------------------------ */

/* The pulls interrupted by the last stop are marked cancelled (now, or when the gate opens). */
static void close_running(struct daemon *d)
{
	char err[512];
	int n_closed = 0;
	d->close_running_pending = false;
	int rc = store_pull_close_running(d->store, clock_wall_s(), &n_closed, err, sizeof(err));
	if (storegate_failed(d->gate, rc, err))
		d->close_running_pending = true;
	else if (rc != 0)
		log_msg(LOGL_ERR, "could not close interrupted pulls: %s", err);
	else if (n_closed)
		log_msg(LOGL_NOTICE, "%d pulls interrupted by the last stop marked cancelled",
		        n_closed);
}

/* A write met another process's lock: one line for the episode (storegate.h). */
static void gate_locked(void *arg, const char *err)
{
	struct daemon *d = arg;
	log_msg(LOGL_WARNING,
	        "store locked by another process (%s): pulls are held and writes wait until it "
	        "is free; the loop does not wait for it",
	        err);
	status_update(d);
}

/*
 * The gate opened: write what waited (the interrupted pulls' close, the
 * rows of removed workspaces, pull ends and workspace rows), then let
 * admission start the pulls it held. Whatever meets the lock again stays
 * for the next opening.
 */
static void gate_open(void *arg, bool was_locked, int64_t locked_ms)
{
	struct daemon *d = arg;
	if (was_locked)
		log_msg(LOGL_NOTICE, "store writable again after %.1f s: writing what waited",
		        (double)locked_ms / 1000.0);
	settle_reports(d);
	write_deferred(d);
	status_update(d);
	admit(d);
}

/*
 * Write what the store could not take when it happened: the interrupted
 * pulls' close, the rows of removed workspaces, pull ends and workspace
 * rows. When the gate opens, and when a commit works again after failed
 * ones (a full disk freed): a pull row must not stay `running` until its
 * workspace's next pull, nor until the next start.
 */
static void write_deferred(struct daemon *d)
{
	if (d->close_running_pending && storegate_is_open(d->gate))
		close_running(d);
	char **names = d->removed_pending;
	size_t n = d->n_removed_pending;
	d->removed_pending = NULL;
	d->n_removed_pending = 0;
	for (size_t i = 0; i < n; i++) {
		mark_removed(d, names[i]);
		free(names[i]);
	}
	free(names);
	for (size_t i = 0; i < d->n_ws && storegate_is_open(d->gate); i++) {
		struct ws *w = d->ws[i];
		if (!w->pull)
			pull_record_late(&d->env, w);
		if (w->row_dirty)
			ws_save(d, w);
	}
}

/*
 * The store file was deleted or replaced under the daemon (store.h,
 * store_identity_check): whatever it writes from now on goes into a file
 * nobody reads. Say so loudly and stop at once with exit status 1, so that
 * systemd (Restart=on-failure) starts wegauged again on the store at its
 * path; no pull ends ok meanwhile (every running one is cancelled).
 * Reopening in place was the alternative; a restart is simpler and does
 * every check of a start (integrity, migrations) on the new file.
 */
static void store_lost(struct daemon *d, const char *why)
{
	if (d->store_lost[0])
		return;
	snprintf(d->store_lost, sizeof(d->store_lost), "%s", why);
	log_msg(LOGL_ERR,
	        "%s: stopping now (exit status 1) so that wegauged starts again on the store at "
	        "that path",
	        why);
	d->exit_code = EXIT_RUNTIME;
	status_update(d);
	d->stopping = true;
	ready_drain(d, false);
	for (size_t i = 0; i < d->n_ws; i++)
		ws_unschedule(d->ws[i], &d->sched);
	cancel_all(d, "the store file was deleted or replaced");
	stop_loop(d);
}

/* Something happened in the store's directory (inotify), or the fallback timer fired. */
static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	int64_t t0 = loopstat_begin();
	settle_reports(d);
	if (what & EV_READ) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		while (read(fd, buf, sizeof(buf)) > 0)
			; /* drained: which name it was does not matter, one stat() tells */
	}
	char err[512];
	if (store_identity_check(d->store, err, sizeof(err)) != 0)
		store_lost(d, err);
	loopstat_end(t0, "store watch");
}

/*
 * Watch the store's directory, so that a store deleted or replaced is
 * seen at once (and at every commit, store_flush_now). Without inotify
 * (no descriptor, or a system call filter that refuses it), a timer
 * checks every STORE_WATCH_MS instead.
 */
#define STORE_WATCH_MS 30000
static void watch_store(struct daemon *d)
{
	d->watch_fd = -1;
	if (strcmp(d->cfg->database, ":memory:") == 0)
		return;
	char *copy = strdup(d->cfg->database);
	int fd = copy ? inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
	if (fd >= 0 && inotify_add_watch(fd, dirname(copy),
	                                 IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE |
	                                         IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close(fd);
		fd = -1;
	}
	free(copy);
	if (fd >= 0) {
		d->watch = event_new(d->base, fd, EV_READ | EV_PERSIST, on_watch, d);
		if (d->watch && event_add(d->watch, NULL) == 0) {
			d->watch_fd = fd;
			return;
		}
		close(fd);
	}
	if (d->watch)
		event_free(d->watch);
	d->watch = event_new(d->base, -1, EV_PERSIST, on_watch, d);
	struct timeval tv = {.tv_sec = STORE_WATCH_MS / 1000, .tv_usec = 0};
	if (!d->watch || event_add(d->watch, &tv) != 0)
		log_msg(LOGL_WARNING, "cannot watch the store file; a deleted store is seen at "
		                      "the next commit");
}

/* --- run -------------------------------------------------------------------- */

static void daemon_cleanup(struct daemon *d)
{
	settle_reports(d); /* what pulls reported before the loop stopped */
	if (d->http)
		cancel_all(d, "daemon stopped");
	if (d->gate && !d->store_lost[0])
		write_deferred(d); /* what a full disk refused, before the store closes */
	for (size_t i = 0; i < d->n_ws; i++) {
		if (d->store && d->ws[i]->state != WS_REMOVED) {
			d->ws[i]->next_pull_at = 0;
			ws_save(d, d->ws[i]);
		}
		group_forget(d, d->ws[i]);
		ws_free(d->ws[i]);
	}
	free(d->ws);
	free(d->ready);
	free(d->grouped);
	if (d->sched.timer)
		sched_free(&d->sched);
	metrics_server_free(d->msrv);
	http_free(d->http);
	worker_free(d->worker); /* after cancel_all: its jobs were let go */
	storegate_free(d->gate);
	store_close(d->store);
	if (d->watch)
		event_free(d->watch);
	if (d->watch_fd >= 0)
		close(d->watch_fd);
	for (size_t i = 0; i < d->n_removed_pending; i++)
		free(d->removed_pending[i]);
	free(d->removed_pending);
	struct event *evs[] = {d->sig_term, d->sig_int, d->sig_hup, d->sig_usr1,
	                       d->grace,    d->flush,   d->settle};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i])
			event_free(evs[i]);
	notify_free(&d->notify);
	config_free(d->cfg);
	if (d->base)
		event_base_free(d->base);
}

static struct event *add_signal(struct daemon *d, int sig)
{
	struct event *ev = evsignal_new(d->base, sig, on_signal, d);
	if (ev && event_add(ev, NULL) != 0) {
		event_free(ev);
		ev = NULL;
	}
	return ev;
}

int daemon_run(const struct daemon_args *args)
{
	struct daemon dd = {.args = args, .watch_fd = -1}, *d = &dd;
	d->exit_code = 0;
	signal(SIGPIPE, SIG_IGN);
	jarena_install(); /* before jansson allocates anything */
	/*
	 * SQLite's memory statistics (unused here) take a global mutex on
	 * every allocation; off before SQLite initializes (fails harmlessly
	 * if it already did).
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

	event_set_log_callback(log_libevent); /* rate-limited, into our log */
	/* Signals first: nothing below may be killed by an early SIGHUP. */
	d->base = event_base_new();
	if (!d->base) {
		fprintf(stderr, "wegauged: could not create the event loop\n");
		return EXIT_RUNTIME;
	}
	d->sig_term = add_signal(d, SIGTERM);
	d->sig_int = add_signal(d, SIGINT);
	d->sig_hup = add_signal(d, SIGHUP);
	d->sig_usr1 = add_signal(d, SIGUSR1);
	if (!d->sig_term || !d->sig_int || !d->sig_hup || !d->sig_usr1) {
		fprintf(stderr, "wegauged: could not install signal handlers\n");
		daemon_cleanup(d);
		return EXIT_RUNTIME;
	}

	struct config_errors errs = {0};
	if (config_load(args->config_path, &d->cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "wegauged: %s\n", errs.msg[i]);
		config_errors_free(&errs);
		daemon_cleanup(d);
		return EXIT_CONFIG;
	}
	for (size_t i = 0; i < args->n_only; i++) {
		if (!config_find_ws(d->cfg, args->only[i])) {
			fprintf(stderr, "wegauged: --workspace %s: no such workspace in %s\n",
			        args->only[i], args->config_path);
			daemon_cleanup(d);
			return EXIT_CONFIG;
		}
	}
	log_init(d->cfg->log_level);
	/* Exit 78: a restart cannot help, the limit or the configuration must change. */
	if (!descriptors_ok(d, d->cfg, "")) {
		daemon_cleanup(d);
		return EXIT_CONFIG;
	}
	rng_seed();
	budget_init(&d->budget, d->cfg->retry_budget_pct);
	if (!(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_ASYNCHDNS))
		log_msg(LOGL_WARNING,
		        "libcurl resolves names synchronously: a slow DNS server can "
		        "stall the event loop; use a libcurl with the threaded resolver");
	notify_init(&d->notify, d->base);

	char err[512];
	struct store_opts so = {
	        .synchronous = d->cfg->sqlite_synchronous,
	        .busy_timeout_ms = d->cfg->sqlite_busy_timeout_ms,
	        .journal_size_limit = d->cfg->sqlite_journal_size_limit,
	};
	if (store_open(&d->store, d->cfg->database, &so, err, sizeof(err)) != 0) {
		log_msg(LOGL_ERR, "cannot open the store %s: %s", d->cfg->database, err);
		daemon_cleanup(d);
		return EXIT_RUNTIME;
	}
	d->flush = evtimer_new(d->base, on_flush, d);
	if (!d->flush) {
		log_msg(LOGL_ERR, "out of memory starting up");
		daemon_cleanup(d);
		return EXIT_RUNTIME;
	}
	store_group_on(d->store, on_group_opened, d);
	const struct storegate_hooks gh = {
	        .on_locked = gate_locked, .on_open = gate_open, .arg = d};
	d->gate = storegate_new(d->base, d->store, d->cfg->sqlite_busy_timeout_ms, &gh);
	if (!d->gate) {
		log_msg(LOGL_ERR, "out of memory starting up");
		daemon_cleanup(d);
		return EXIT_RUNTIME;
	}
	watch_store(d);
	close_running(d);

	struct http_opts ho;
	http_opts_from(d->cfg, &ho);
	d->http = http_new(d->base, &ho);
	d->worker = worker_new(d->base);
	d->settle = event_new(d->base, -1, 0, on_settle, d);
	d->env = (struct pull_env){
	        .base = d->base,
	        .store = d->store,
	        .gate = d->gate,
	        .http_ops = &http_engine_ops,
	        .http = d->http,
	        .worker = d->worker,
	        .budget = &d->budget,
	        .metrics = &d->metrics,
	        .cfg = d->cfg,
	        .report = {.wrote = report_wrote,
	                   .probed = report_probed,
	                   .done = report_done,
	                   .parked = report_parked,
	                   .arg = d},
	};
	if (!d->http || !d->worker || !d->settle ||
	    sched_init(&d->sched, d->base, on_due, d) != 0 || start_workspaces(d) != 0) {
		log_msg(LOGL_ERR, "out of memory starting up");
		daemon_cleanup(d);
		return EXIT_RUNTIME;
	}
	if (!args->once && metrics_apply(d, d->cfg) != 0) {
		daemon_cleanup(d);
		return EXIT_RUNTIME;
	}
	/* What start-up wrote (interrupted pulls closed, workspace rows) is visible by READY=1. */
	store_flush_now(d);
	log_msg(LOGL_NOTICE, "wegauged %s: %zu workspace%s, store %s%s", WEGAUGE_VERSION, d->n_ws,
	        d->n_ws == 1 ? "" : "s", d->cfg->database, args->once ? ", --once" : "");
	notify_ready(&d->notify);
	status_update(d);

	if (!args->once || d->once_pending > 0)
		event_base_dispatch(d->base);
	settle_reports(d); /* the loop may stop between a report and its settle */
	int flushed = store_flush_now(d);

	if (args->once)
		d->exit_code = (d->once_failed > 0 || d->once_pending > 0 || flushed != 0 ||
		                d->store_lost[0])
		                       ? EXIT_RUNTIME
		                       : 0;
	log_msg(LOGL_NOTICE, "stopped");
	daemon_cleanup(d);
	return d->exit_code;
}
