/*
 * storegate.c: whether the loop may write to the store now (storegate.h).
 *
 * The retry of a lock episode: a timer, STOREGATE_RETRY_MIN_MS after the
 * first SQLITE_BUSY, doubling up to STOREGATE_RETRY_MAX_MS, runs
 * store_try_lock(), which is BEGIN IMMEDIATE with a busy timeout of 0: it
 * takes the write lock at once or fails at once. When it succeeds, the
 * store's group of writes is open (the store tells its owner, who commits
 * it soon), so the deferred work that follows goes straight into it.
 *
 * Opening is never done on the caller's stack: it activates an event, and
 * the hook and the waiters run from there, so that a waiter (a pull
 * resuming its commit) never runs inside the code that released the gate.
 */
#include "storegate.h"

#include <stdlib.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "clock.h"
#include "loopstat.h"
#include "store.h"

struct storegate {
	struct event_base *base;
	struct store *st;
	struct storegate_hooks h;
	int64_t busy_timeout_ms;
	bool locked;
	int held;
	mono_ms locked_since_ms;
	int64_t backoff_ms;
	uint64_t episodes, waits;
	bool ended;             /* an episode ended: on_open tells the hook so */
	bool draining;          /* on_open goes on with the waiters left from its last turn */
	int64_t ended_after_ms; /* ... after this long */
	struct storegate_waiter *head, *tail;
	struct event *retry; /* the try-lock timer of an episode */
	struct event *open;  /* runs the hook and the waiters */
};

static void schedule_open(struct storegate *g);

/*
 * The gate is open again: run the hook (once per opening), then up to
 * STOREGATE_WAITERS_PER_TURN waiters, each a commit; the rest on the next
 * loop turns, so that the backlog of a long lock does not become one
 * long callback. Stops when a waiter closes the gate again.
 */
static void on_open(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct storegate *g = arg;
	if (!storegate_is_open(g))
		return; /* closed again meanwhile: its opening will come back here */
	mono_us t0 = loopstat_begin();
	if (!g->draining) {
		bool ended = g->ended;
		g->ended = false;
		if (g->h.on_open)
			g->h.on_open(g->h.arg, ended, g->ended_after_ms);
	}
	for (int n = 0; g->head && storegate_is_open(g) && n < STOREGATE_WAITERS_PER_TURN; n++) {
		struct storegate_waiter *w = g->head;
		g->head = w->next;
		if (!g->head)
			g->tail = NULL;
		w->next = NULL;
		w->queued = false;
		w->fn(w);
	}
	g->draining = g->head != NULL && storegate_is_open(g);
	if (g->draining)
		schedule_open(g);
	loopstat_end(t0, "store gate");
}

/* Run on_open soon, from the loop (activating an active event is a no-op). */
static void schedule_open(struct storegate *g)
{
	event_active(g->open, 0, 0);
}

static void arm_retry(struct storegate *g)
{
	struct timeval tv = {.tv_sec = g->backoff_ms / 1000,
	                     .tv_usec = (suseconds_t)(g->backoff_ms % 1000) * 1000};
	evtimer_add(g->retry, &tv);
	g->backoff_ms *= 2;
	if (g->backoff_ms > STOREGATE_RETRY_MAX_MS)
		g->backoff_ms = STOREGATE_RETRY_MAX_MS;
}

/* An episode's timer: try the lock without waiting. */
static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct storegate *g = arg;
	mono_us t0 = loopstat_begin();
	char err[256];
	int rc = store_try_lock(g->st, err, sizeof(err));
	if (rc == SQLITE_BUSY) {
		arm_retry(g);
		loopstat_end(t0, "store gate retry");
		return;
	}
	/* Taken (or another error, which the writes will meet and report themselves). */
	g->ended = true;
	g->ended_after_ms = clock_mono_ms() - g->locked_since_ms;
	g->locked = false;
	store_set_busy_timeout(g->st, g->busy_timeout_ms);
	schedule_open(g);
	loopstat_end(t0, "store gate retry");
}

struct storegate *storegate_new(struct event_base *base, struct store *st, int64_t busy_timeout_ms,
                                const struct storegate_hooks *h)
{
	struct storegate *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->base = base;
	g->st = st;
	g->busy_timeout_ms = busy_timeout_ms;
	if (h)
		g->h = *h;
	g->retry = evtimer_new(base, on_retry, g);
	g->open = event_new(base, -1, 0, on_open, g);
	if (!g->retry || !g->open) {
		storegate_free(g);
		return NULL;
	}
	return g;
}

void storegate_free(struct storegate *g)
{
	if (!g)
		return;
	if (g->retry)
		event_free(g->retry);
	if (g->open)
		event_free(g->open);
	free(g);
}

void storegate_set_busy_timeout(struct storegate *g, int64_t ms)
{
	g->busy_timeout_ms = ms;
	if (!g->locked)
		store_set_busy_timeout(g->st, ms);
}

bool storegate_is_open(const struct storegate *g)
{
	return !g->locked && g->held == 0;
}

bool storegate_failed(struct storegate *g, int rc, const char *err)
{
	if ((rc & 0xff) != SQLITE_BUSY)
		return false;
	if (g->locked)
		return true;
	g->locked = true;
	g->locked_since_ms = clock_mono_ms();
	g->backoff_ms = STOREGATE_RETRY_MIN_MS;
	g->episodes++;
	store_set_busy_timeout(g->st, 0);
	arm_retry(g);
	if (g->h.on_locked)
		g->h.on_locked(g->h.arg, err);
	return true;
}

void storegate_wait(struct storegate *g, struct storegate_waiter *w)
{
	if (w->queued)
		return;
	w->next = NULL;
	w->queued = true;
	if (g->tail)
		g->tail->next = w;
	else
		g->head = w;
	g->tail = w;
	g->waits++;
	if (storegate_is_open(g))
		schedule_open(g); /* opened meanwhile: do not strand it */
}

void storegate_cancel(struct storegate *g, struct storegate_waiter *w)
{
	if (!w->queued)
		return;
	struct storegate_waiter **pp = &g->head, *prev = NULL;
	while (*pp && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp) {
		*pp = w->next;
		if (g->tail == w)
			g->tail = prev;
	}
	w->next = NULL;
	w->queued = false;
}

void storegate_hold(struct storegate *g)
{
	g->held++;
}

void storegate_release(struct storegate *g)
{
	if (g->held > 0 && --g->held == 0 && !g->locked)
		schedule_open(g);
}

bool storegate_held(const struct storegate *g)
{
	return g->held > 0;
}

void storegate_get_stats(const struct storegate *g, struct storegate_stats *s)
{
	*s = (struct storegate_stats){.locked = g->locked,
	                              .held = g->held > 0,
	                              .locked_since_ms = g->locked_since_ms,
	                              .episodes = g->episodes,
	                              .waits = g->waits};
}
