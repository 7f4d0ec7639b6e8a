/*
 * daemon_admit.c: admission (daemon_int.h): which due pull starts when.
 * The scheduler (schedule.h) says when a workspace is due; a due pull starts
 * at once while there is room, else it waits in the ready queue, first in
 * first out. The settle event takes in what pulls reported (daemon_ws.c),
 * then starts held pulls while there is room: a pull's callbacks only
 * report, so admission never runs on a pull's stack and a pull that ends
 * at once cannot re-enter it. The store gate's opening (a lock episode
 * over, a long commit done) writes what waited, then admits. Falling idle
 * after a burst gives the heap back to the system.
 */
#include "daemon_int.h"

#include <event2/event.h>
#include <malloc.h>
#include <stdlib.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "loopstat.h"
#include "storegate.h"
#include "worker.h"
#include "ws.h"

#define WS_OF_ITEM(it) ((struct ws *)((char *)(it)-offsetof(struct ws, item)))

/*
 * Memory back to the system after a burst. glibc keeps the heap that a
 * burst of pulls grew (the first spread of many workspaces, a reload
 * that adds many), fragmented by what outlives it, and the worker thread
 * has an arena of its own. When the daemon falls idle (no request in the
 * engine, no answer in the worker, no pull waiting for room), the free
 * pages go back with malloc_trim, at most once per TRIM_EVERY_MS so that
 * steady-state pulls (each one ending idle) do not pay it every time. A
 * reload trims once after READY=1, having freed the old configuration.
 * (What it gives back: docs/performance.md.)
 */
#define TRIM_EVERY_MS 60000

void daemon_admit_trim(struct daemon *d)
{
	d->trimmed_ms = clock_mono_ms();
	malloc_trim(0);
}

/* Trim when nothing is in flight or held, and not within TRIM_EVERY_MS of the last. */
static void trim_when_idle(struct daemon *d)
{
	struct http_stats hs;
	daemon_http_stats(d, &hs);
	if (hs.running || hs.queued || d->ready_n || worker_pending(d->worker))
		return;
	if (d->trimmed_ms && clock_mono_ms() - d->trimmed_ms < TRIM_EVERY_MS)
		return;
	daemon_admit_trim(d);
}

/* --- the ready queue -------------------------------------------------------- */

static bool room_for_pull(struct daemon *d)
{
	if (!storegate_is_open(d->gate))
		return false; /* a pull begins with a write: it waits for the gate */
	if (!daemon_fleet_healthy(d))
		return false; /* a fleet member whose leases are not renewed: it waits */
	struct http_stats hs;
	daemon_http_stats(d, &hs);
	int64_t busy = (int64_t)hs.running + hs.queued + (int64_t)worker_pending(d->worker);
	return busy < (int64_t)d->cfg->max_in_flight * DAEMON_ADMIT_FACTOR;
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

/* The oldest held workspace, taken out of the ring; NULL when none. */
static struct ws *ready_pop(struct daemon *d)
{
	if (d->ready_n == 0)
		return NULL;
	struct ws *w = d->ready[d->ready_head];
	d->ready_head = (d->ready_head + 1) % d->ready_cap;
	d->ready_n--;
	return w;
}

void daemon_admit_drain(struct daemon *d, bool requeue)
{
	struct ws *w;
	mono_ms now = clock_mono_ms();
	while ((w = ready_pop(d)))
		if (requeue && !w->pull && w->item.heap_idx == SCHED_NONE)
			ws_schedule_at(w, &d->sched, now);
}

/* --- starting pulls ----------------------------------------------------------- */

/*
 * Start w's pull now, noting when it began (ws_schedule_next). A pull the
 * store could not begin (locked: the gate just closed) goes back to the
 * front of the line: the ready queue, or at worst (no memory for the
 * queue) the scheduler, STOREGATE_RETRY_MAX_MS from now.
 */
static void begin_pull(struct daemon *d, struct ws *w)
{
	if (d->fleet && !w->fleet_owned)
		return; /* a fleet member's workspace whose lease went: another member's now */
	w->began_ms = clock_mono_ms();
	if (pull_start(&d->env, w) > 0 && ready_push(d, w) != 0)
		ws_schedule_at(w, &d->sched, clock_mono_ms() + STOREGATE_RETRY_MAX_MS);
}

/* w is due: start its pull now when there is room, else hold it (oldest first). */
static void start_pull(struct daemon *d, struct ws *w)
{
	w->next_pull_at = 0;
	if (!room_for_pull(d) && ready_push(d, w) == 0)
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
	while (d->ready_n > 0 && !d->stopping && room_for_pull(d)) {
		struct ws *w = ready_pop(d);
		/* Rescheduled or started meanwhile: the entry is stale. */
		if (w->pull || w->item.heap_idx != SCHED_NONE)
			continue;
		begin_pull(d, w);
	}
}

/* The settle event: what pulls reported, then admission of held pulls, then maybe a trim. */
static void on_settle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	mono_us t0 = loopstat_begin();
	daemon_ws_settle(d);
	admit(d);
	if (d->trim_due) {
		d->trim_due = false;
		trim_when_idle(d);
	}
	loopstat_end(t0, "pull reports");
}

/* The scheduler's timer fired for w. */
static void on_due(struct sched_item *item, void *arg)
{
	struct daemon *d = arg;
	struct ws *w = WS_OF_ITEM(item);
	daemon_ws_settle(d);
	if (d->stopping || w->pull)
		return;
	start_pull(d, w);
}

/*
 * The gate opened: write what waited (the interrupted pulls' close, the
 * rows of removed workspaces, pull ends and workspace rows), then let
 * admission start the pulls it held. Whatever meets the lock again stays
 * for the next opening.
 */
void daemon_admit_gate_open(void *arg, bool was_locked, int64_t locked_ms)
{
	struct daemon *d = arg;
	if (was_locked)
		log_msg(LOGL_NOTICE, "store writable again after %.1f s: writing what waited",
		        (double)locked_ms / 1000.0);
	daemon_ws_settle(d);
	daemon_writes_deferred(d);
	daemon_status_update(d);
	admit(d);
}

int daemon_admit_start(struct daemon *d)
{
	d->settle = event_new(d->base, -1, 0, on_settle, d);
	if (!d->settle)
		return -1;
	return sched_init(&d->sched, d->base, on_due, d);
}
