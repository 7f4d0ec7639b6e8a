/*
 * daemon_ws.c: the daemon's workspaces (daemon_int.h). What a pull reports
 * is recorded here (the struct pull_report callbacks: a report is queued
 * on its workspace, nothing else happens on the pull's stack) and taken
 * in later by daemon_ws_settle: a workspace's state, failures and next
 * pull after each pull, --once and stop accounting. Each workspace's row
 * in the store mirrors it (written only when it changed, restored at
 * start), and the workspaces that wrote into the store's open group of
 * writes are remembered, so that a group that fails to commit is
 * answered per workspace (daemon_ws_group_lost).
 */
#include "daemon_int.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "fnv.h"
#include "log.h"
#include "store.h"
#include "storegate.h"
#include "ws.h"

/* --- what pulls report (struct pull_report): recorded, never acted on here --- */

/* Queue w's report (once) and have the settle event (daemon_admit.c) run after this callback. */
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

/* Recorded at once: it is the group's bookkeeping, and a flush may come before the settle. */
static void report_wrote(void *arg, struct ws *w)
{
	daemon_ws_wrote(arg, w, true);
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

/* Nothing to record: the settle event admits when it runs. */
static void report_parked(void *arg)
{
	struct daemon *d = arg;
	event_active(d->settle, 0, 0);
}

struct pull_report daemon_ws_reports(struct daemon *d)
{
	return (struct pull_report){
	        .wrote = report_wrote,
	        .probed = report_probed,
	        .done = report_done,
	        .parked = report_parked,
	        .arg = d,
	};
}

/* --- taking reports in ------------------------------------------------------- */

/* The credential probe accepted w's key: a pending workspace is connected from now on. */
static void took_probed(struct daemon *d, struct ws *w)
{
	if (w->state != WS_PENDING)
		return;
	ws_set_state(w, WS_CONNECTED, NULL);
	daemon_ws_save(d, w);
	daemon_status_update(d);
}

/*
 * w's pull ended with status and error (NULL when none): its state,
 * failures, next pull and row; --once counts it down, a stop ends when
 * no pull is left. (pull.c counted the pull itself.)
 */
static void took_done(struct daemon *d, struct ws *w, enum pull_status status, const char *error)
{
	wall_s now = clock_wall_s();
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
		daemon_status_error(d, w->cfg->name, error);
	if (!d->args->once)
		d->trim_due = true;

	if (d->args->once) {
		w->once_done = true;
		if (status != PULL_OK && status != PULL_PARTIAL)
			d->once_failed++;
		w->next_pull_at = 0;
		daemon_ws_save(d, w);
		if (--d->once_pending == 0)
			daemon_writes_once_done(d);
		return;
	}
	if (d->stopping) {
		w->next_pull_at = 0;
		daemon_ws_save(d, w);
		bool busy = false;
		for (size_t i = 0; i < d->n_ws && !busy; i++)
			busy = d->ws[i]->pull != NULL;
		if (!busy)
			event_base_loopbreak(d->base);
		return;
	}
	if (w->state == WS_AUTH_FAILED)
		ws_unschedule(w, &d->sched); /* not polled again until its key changes */
	else
		ws_schedule_next(w, &d->sched);
	daemon_ws_save(d, w);
	daemon_status_update(d);
}

/*
 * Take in every report of the pulls, in the order they came. Every daemon
 * callback that looks at workspaces calls this first, so that it sees
 * them as if each report had been taken in when it was made; it starts no
 * pull (admission is on_settle's).
 */
void daemon_ws_settle(struct daemon *d)
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

/* --- the workspace row ------------------------------------------------------ */

/* s and its NUL (NULL: one 0xff byte) onto h, so that adjacent strings cannot run together. */
static uint64_t hash_str(uint64_t h, const char *s)
{
	static const unsigned char null_mark = 0xff;
	return s ? fnv1a(h, s, strlen(s) + 1) : fnv1a(h, &null_mark, 1);
}

/* The row's hash, for daemon_ws_save (never 0, which means "nothing saved"). */
static uint64_t row_hash(const struct store_ws *r)
{
	const char *strs[] = {r->name,         r->license_code,    r->data_center,
	                      r->base_url,     r->key_fingerprint, r->state,
	                      r->state_reason, r->currency};
	const int64_t nums[] = {
	        r->last_pull_at,   r->last_success_at, r->next_pull_at, r->consecutive_failures,
	        r->has_seat_price, r->seat_price_e4,   r->interval_s};
	uint64_t h = FNV1A_OFFSET;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		h = hash_str(h, strs[i]);
	h = fnv1a(h, nums, sizeof(nums));
	return h ? h : 1;
}

/*
 * Mirror w's state into its store row, unless it is the row this daemon
 * last wrote and that write was not lost (daemon_ws_group_lost forgets
 * it): a stop, for one, need not rewrite every row the pulls had just
 * written (docs/performance.md).
 */
void daemon_ws_save(struct daemon *d, struct ws *w)
{
	if (d->cfg->fleet && !d->args->once && !w->fleet_owned)
		return; /* a fleet's row is written by the member holding its lease */
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
	        .has_seat_price = c->seat_price_e4 >= 0,
	        .seat_price_e4 = c->seat_price_e4 < 0 ? 0 : c->seat_price_e4,
	        .currency = c->seat_price_e4 >= 0 ? c->currency : NULL,
	        .interval_s = (c->interval_ms + 999) / 1000,
	};
	uint64_t h = row_hash(&row);
	if (h == w->saved_hash)
		return;
	w->row_dirty = false;
	if (!storegate_is_open(d->gate)) {
		w->row_dirty = true; /* written when the gate opens (daemon_writes_deferred) */
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
		daemon_ws_wrote(d, w, false);
	if (rc != 0) {
		w->row_dirty = true; /* written when the store recovers (daemon_writes_deferred) */
		log_ws(&w->rl, LOGL_ERR, c->name, 0, "could not save the workspace state: %s", err);
	}
}

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
 * A fleet member took w's lease: what the store has of it now (the row the
 * previous owner wrote) becomes w's, as at a restart: times, failures and a
 * settled state that still holds (saved_settled_state).
 */
void daemon_ws_restore(struct daemon *d, struct ws *w, const struct store_ws_saved *s)
{
	(void)d;
	w->last_pull_at = s->last_pull_at;
	w->last_success_at = s->last_success_at;
	w->consecutive_failures = s->consecutive_failures;
	enum ws_state st = saved_settled_state(s, w->cfg);
	ws_set_state(w, st, st != WS_PENDING && s->state_reason[0] ? s->state_reason : NULL);
	w->key_ok = false; /* the first pull of this process probes the key */
}

/*
 * Create the runtime workspace for c, restoring what the store remembers:
 * its pull times and failures always, and, at start (restart true), its
 * settled state and reason (saved_settled_state). A workspace added by a
 * reload is a connect: it starts pending and is probed at once.
 */
struct ws *daemon_ws_create(struct daemon *d, const struct ws_config *c, bool restart)
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

/* --- who wrote into the store's open group of writes ------------------------------ */

/*
 * w's pull (pull_work) or only its row was written into the store's open
 * group of writes. If that group then fails to commit, everything of it is
 * lost: daemon_ws_group_lost cancels w's running pull, marks w failing and pulls it
 * again (backoff applies).
 */
void daemon_ws_wrote(struct daemon *d, struct ws *w, bool pull_work)
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
void daemon_ws_forget(struct daemon *d, struct ws *w)
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

void daemon_ws_committed(struct daemon *d)
{
	for (size_t i = 0; i < d->n_grouped; i++)
		d->grouped[i]->in_group = d->grouped[i]->group_pull = false;
	d->n_grouped = 0;
}

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
void daemon_ws_group_lost(struct daemon *d, const char *err)
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
			daemon_ws_save(d, w);
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
					daemon_writes_once_done(d);
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
		daemon_ws_save(d, w);
	}
	free(pull_work);
	free(list);
	if (n)
		daemon_status_update(d);
}
