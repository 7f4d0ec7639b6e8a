/*
 * storegate.h: whether the loop may write to the store now.
 *
 * The store is a file that other processes may lock for as long as they
 * like (an operator's BEGIN EXCLUSIVE, a VACUUM, a migration script), and
 * that one long commit of our own may occupy for many turns of the loop.
 * Neither may block the loop. Every writer on the loop asks the gate
 * first; while it is closed, work that needs the store waits (a pull's
 * start waits in admission, a finished stream waits with its rows, a
 * workspace row or a pull's end is written later), and nothing waits on
 * a lock inside SQLite.
 *
 * Two reasons close the gate:
 *  - locked: a write met SQLITE_BUSY after waiting sqlite_busy_timeout
 *    once (storegate_failed). The connection's busy timeout drops to 0
 *    and a timer tries the lock again (BEGIN IMMEDIATE, which opens the
 *    store's group of writes when it succeeds) after 50 ms, doubling up
 *    to 2 s. So a lock costs the loop at most one sqlite_busy_timeout per
 *    episode, then only try-locks that never wait. The episode is said
 *    once when it begins and once when it ends (the owner's hooks).
 *  - held: our own long commit (a stream too large for one turn of the
 *    loop) holds the store between turns; storegate_hold / _release.
 *
 * When the gate opens again, the owner's on_open hook runs first (it
 * writes what was deferred), then the waiters, first come first served,
 * STOREGATE_WAITERS_PER_TURN per loop turn, until one of them closes the
 * gate again. The gate owns its timer;
 * it never names the module above it.
 */
#ifndef WEGAUGE_STOREGATE_H
#define WEGAUGE_STOREGATE_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

struct event_base;
struct store;

#define STOREGATE_RETRY_MIN_MS 50
#define STOREGATE_RETRY_MAX_MS 2000
/* Waiters run per loop turn once the gate opens (each may commit a stream). */
#define STOREGATE_WAITERS_PER_TURN 4

/* A piece of work waiting for the gate; embed it, set fn, pass it to storegate_wait. */
struct storegate_waiter {
	void (*fn)(struct storegate_waiter *w);
	struct storegate_waiter *next;
	bool queued;
};

struct storegate_hooks {
	/* A lock episode began: err is the store's message. */
	void (*on_locked)(void *arg, const char *err);
	/* The gate opened again (an episode ended, or a hold was released). */
	void (*on_open)(void *arg, bool was_locked, int64_t locked_ms);
	void *arg;
};

struct storegate_stats {
	bool locked, held;
	mono_ms locked_since_ms; /* when locked */
	uint64_t episodes;       /* lock episodes so far */
	uint64_t waits;          /* pieces of work that waited */
};

/*
 * A gate for st on base. busy_timeout_ms is the connection's normal busy
 * timeout (sqlite_busy_timeout), restored when an episode ends. NULL on
 * OOM.
 */
struct storegate *storegate_new(struct event_base *base, struct store *st, int64_t busy_timeout_ms,
                                const struct storegate_hooks *h);
void storegate_free(struct storegate *g);

/* A new sqlite_busy_timeout (reload); applied now unless an episode is on. */
void storegate_set_busy_timeout(struct storegate *g, int64_t ms);

/* True when neither locked nor held: a write may be tried. */
bool storegate_is_open(const struct storegate *g);

/*
 * A write failed with SQLite result rc (primary code) and err. SQLITE_BUSY
 * closes the gate (an episode begins, or goes on) and returns true; any
 * other code changes nothing and returns false.
 */
bool storegate_failed(struct storegate *g, int rc, const char *err);

/* Run w->fn(w) when the gate opens (at once is never: the caller checked). */
void storegate_wait(struct storegate *g, struct storegate_waiter *w);
/* w no longer waits (its work went away). A waiter not queued is a no-op. */
void storegate_cancel(struct storegate *g, struct storegate_waiter *w);

/* Our own long commit holds the store between loop turns. */
void storegate_hold(struct storegate *g);
void storegate_release(struct storegate *g);
bool storegate_held(const struct storegate *g);

void storegate_get_stats(const struct storegate *g, struct storegate_stats *s);

#endif
