/*
 * schedule.h: when each workspace is pulled. (Named so as not to shadow the
 * system's <sched.h>; its names keep the short prefix sched_.)
 *
 * Phase: a workspace's pulls fall at a fixed offset within its interval,
 * phase = hash(name) mod interval, counted from the Unix epoch, so the
 * same name lands on the same offset after a restart or a reload, and
 * many workspaces spread evenly over the interval.
 *
 * The wall clock is consulted once, when a workspace is (re)scheduled
 * from scratch, to turn its phase into a monotonic instant (its tick).
 * After that ticks advance on the monotonic clock only: the next tick is
 * the previous one plus k intervals, k the smallest that lands in the
 * future, so a tick missed while a pull ran long is skipped, never
 * replayed, and a wall-clock jump moves nothing. A pull made out of turn
 * (a workspace never pulled, or not for an interval, is pulled at once at
 * start; a connect or reconnect pulls at once) does not use a tick, and the
 * next regular pull is the first tick at least half an interval after it:
 * no workspace is pulled twice within half an interval for want of a
 * phase, and the pulls after a cold start of many workspaces stay spread
 * over the interval instead of following the start's burst by minutes.
 * A pull starts at its
 * tick plus a fresh random delay of 0..jitter; the jitter never shifts the
 * tick itself, so it cannot drift.
 *
 * The queue: a binary min-heap of items keyed by due time, with one
 * libevent timer armed for the earliest. The loop wakes only when
 * something is due: no periodic polling. Add, remove and re-key are
 * O(log n); firing k due items is O(k log n).
 */
#ifndef WEGAUGE_SCHEDULE_H
#define WEGAUGE_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"

struct event_base;
struct event;

/* An entry in the queue, embedded in its owner (the workspace). */
struct sched_item {
	mono_ms due_ms;
	size_t heap_idx; /* SCHED_NONE when not queued */
};
#define SCHED_NONE ((size_t)-1)

typedef void (*sched_fire_fn)(struct sched_item *item, void *arg);

struct sched {
	struct event_base *base;
	struct event *timer;
	struct sched_item **heap;
	size_t n, cap;
	sched_fire_fn fire;
	void *arg;
	mono_ms armed_ms; /* due time the timer is armed for; INT64_MAX when idle */
	uint64_t wakeups; /* timer callbacks so far (bench) */
};

/* 64-bit FNV-1a of name: stable across builds and machines. */
uint64_t sched_hash(const char *name);

/* The phase of name within interval_ms: hash mod interval. */
int64_t sched_phase(const char *name, int64_t interval_ms);

/*
 * The first tick at or after now: the monotonic instant at which the wall
 * clock will next read a time t with (t mod interval) == phase.
 */
mono_ms sched_first_tick(int64_t phase_ms, int64_t interval_ms, wall_ms now_wall_ms,
                         mono_ms now_mono_ms);

/*
 * The next tick to use: the first of tick, tick + interval, tick +
 * 2*interval, ... that is later than now and not earlier than not_before.
 * A tick already used (tick <= now) or missed is skipped, never replayed.
 * not_before keeps a pull made out of turn (at start, after a reload or
 * a reconnect) from being followed by a regular one within half an
 * interval: the daemon passes the last pull's start + interval / 2.
 */
mono_ms sched_next_tick(mono_ms tick_ms, int64_t interval_ms, mono_ms now_mono_ms,
                        mono_ms not_before_ms);

/* A pull's start: tick plus a uniform random delay of 0..jitter (r: 64 random bits). */
mono_ms sched_jittered(mono_ms tick_ms, int64_t jitter_ms, uint64_t r);

/*
 * Backoff of a failing workspace: after n consecutive failed pulls (n >=
 * 2) the next pull waits at least min(SCHED_BACKOFF_CAP_MS,
 * SCHED_BACKOFF_BASE_MS * 2^(n-2)) from now, of which the second half is
 * random ("equal jitter": never sooner than half, so a dead host is not
 * hammered, and spread so that many failing workspaces do not come back
 * together). After the first failure only the next tick is waited for (0).
 * A successful pull resets n, so the daemon passes 0.
 */
#define SCHED_BACKOFF_BASE_MS 60000
#define SCHED_BACKOFF_CAP_MS  3600000
int64_t sched_failure_backoff_ms(int n, uint64_t r);

/* Set up an empty queue on base; fire(item, arg) runs when an item is due. 0 or -1. */
int sched_init(struct sched *s, struct event_base *base, sched_fire_fn fire, void *arg);
/* Release the queue (items are not touched beyond heap_idx). */
void sched_free(struct sched *s);

/* Queue item at due_ms, or move it there if queued. 0, or -1 on OOM. */
int sched_set(struct sched *s, struct sched_item *item, mono_ms due_ms);
/* Take item out of the queue; a no-op when it is not queued. */
void sched_remove(struct sched *s, struct sched_item *item);
/* Remove and fire every item due at now_ms or earlier, then re-arm. */
void sched_run_due(struct sched *s, mono_ms now_ms);
/* The earliest due item, or NULL. */
struct sched_item *sched_peek(const struct sched *s);

#endif
