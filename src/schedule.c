/*
 * schedule.c: the phase arithmetic and the due-time heap of schedule.h.
 */
#include "schedule.h"

#include <event2/event.h>
#include <stdlib.h>

#include "clock.h"
#include "fnv.h"
#include "loopstat.h"

uint64_t sched_hash(const char *name)
{
	return fnv1a_str(FNV1A_OFFSET, name);
}

int64_t sched_phase(const char *name, int64_t interval_ms)
{
	if (interval_ms <= 0)
		return 0;
	return (int64_t)(sched_hash(name) % (uint64_t)interval_ms);
}

mono_ms sched_first_tick(int64_t phase_ms, int64_t interval_ms, wall_ms now_wall_ms,
                         mono_ms now_mono_ms)
{
	if (interval_ms <= 0)
		return now_mono_ms;
	int64_t into = now_wall_ms % interval_ms;
	if (into < 0)
		into += interval_ms;
	int64_t wait = phase_ms - into;
	if (wait < 0)
		wait += interval_ms;
	return now_mono_ms + wait;
}

mono_ms sched_next_tick(mono_ms tick_ms, int64_t interval_ms, mono_ms now_mono_ms,
                        mono_ms not_before_ms)
{
	mono_ms from = now_mono_ms;
	if (not_before_ms - 1 > from)
		from = not_before_ms - 1;
	if (interval_ms <= 0)
		return from + 1;
	if (tick_ms > from)
		return tick_ms;
	int64_t k = (from - tick_ms) / interval_ms + 1;
	return tick_ms + k * interval_ms;
}

mono_ms sched_jittered(mono_ms tick_ms, int64_t jitter_ms, uint64_t r)
{
	if (jitter_ms <= 0)
		return tick_ms;
	return tick_ms + (int64_t)(r % ((uint64_t)jitter_ms + 1));
}

int64_t sched_failure_backoff_ms(int n, uint64_t r)
{
	if (n < 2)
		return 0;
	int64_t d = SCHED_BACKOFF_BASE_MS;
	for (int i = 2; i < n && d < SCHED_BACKOFF_CAP_MS; i++)
		d *= 2;
	if (d > SCHED_BACKOFF_CAP_MS)
		d = SCHED_BACKOFF_CAP_MS;
	return d / 2 + (int64_t)(r % ((uint64_t)d / 2 + 1));
}

/* --- the heap ------------------------------------------------------------ */

static void heap_swap(struct sched *s, size_t a, size_t b)
{
	struct sched_item *t = s->heap[a];
	s->heap[a] = s->heap[b];
	s->heap[b] = t;
	s->heap[a]->heap_idx = a;
	s->heap[b]->heap_idx = b;
}

static void heap_up(struct sched *s, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (s->heap[parent]->due_ms <= s->heap[i]->due_ms)
			break;
		heap_swap(s, parent, i);
		i = parent;
	}
}

static void heap_down(struct sched *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->n && s->heap[l]->due_ms < s->heap[m]->due_ms)
			m = l;
		if (r < s->n && s->heap[r]->due_ms < s->heap[m]->due_ms)
			m = r;
		if (m == i)
			return;
		heap_swap(s, i, m);
		i = m;
	}
}

/* Arm the one timer for the earliest item, or disarm it when there is none. */
static void sched_rearm(struct sched *s)
{
	if (s->n == 0) {
		if (s->armed_ms != INT64_MAX)
			evtimer_del(s->timer);
		s->armed_ms = INT64_MAX;
		return;
	}
	mono_ms due = s->heap[0]->due_ms;
	if (due == s->armed_ms)
		return;
	int64_t wait = due - clock_mono_ms();
	if (wait < 0)
		wait = 0;
	struct timeval tv = {.tv_sec = wait / 1000, .tv_usec = (wait % 1000) * 1000};
	evtimer_add(s->timer, &tv);
	s->armed_ms = due;
}

static void sched_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct sched *s = arg;
	mono_us t0 = loopstat_begin();
	s->wakeups++;
	s->armed_ms = INT64_MAX;
	sched_run_due(s, clock_mono_ms());
	loopstat_end(t0, "scheduler");
}

int sched_init(struct sched *s, struct event_base *base, sched_fire_fn fire, void *arg)
{
	*s = (struct sched){.base = base, .fire = fire, .arg = arg, .armed_ms = INT64_MAX};
	s->timer = evtimer_new(base, sched_timer_cb, s);
	return s->timer ? 0 : -1;
}

void sched_free(struct sched *s)
{
	for (size_t i = 0; i < s->n; i++)
		s->heap[i]->heap_idx = SCHED_NONE;
	if (s->timer)
		event_free(s->timer);
	free(s->heap);
	s->heap = NULL;
	s->timer = NULL;
	s->n = s->cap = 0;
}

int sched_set(struct sched *s, struct sched_item *item, mono_ms due_ms)
{
	if (item->heap_idx != SCHED_NONE) {
		mono_ms old = item->due_ms;
		item->due_ms = due_ms;
		if (due_ms < old)
			heap_up(s, item->heap_idx);
		else
			heap_down(s, item->heap_idx);
	} else {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 64;
			struct sched_item **h = realloc(s->heap, cap * sizeof(*h));
			if (!h)
				return -1;
			s->heap = h;
			s->cap = cap;
		}
		item->due_ms = due_ms;
		item->heap_idx = s->n;
		s->heap[s->n++] = item;
		heap_up(s, item->heap_idx);
	}
	sched_rearm(s);
	return 0;
}

void sched_remove(struct sched *s, struct sched_item *item)
{
	size_t i = item->heap_idx;
	if (i == SCHED_NONE || i >= s->n || s->heap[i] != item)
		return;
	item->heap_idx = SCHED_NONE;
	s->n--;
	if (i != s->n) {
		s->heap[i] = s->heap[s->n];
		s->heap[i]->heap_idx = i;
		heap_up(s, i);
		heap_down(s, s->heap[i]->heap_idx);
	}
	sched_rearm(s);
}

struct sched_item *sched_peek(const struct sched *s)
{
	return s->n ? s->heap[0] : NULL;
}

void sched_run_due(struct sched *s, mono_ms now_ms)
{
	/*
	 * Pop before firing: fire() may re-queue the same item or others.
	 * Items re-queued at or before now fire in this same pass, which is
	 * what a caller asking for "due now" wants; fire() is expected not
	 * to re-queue endlessly at now.
	 */
	while (s->n > 0 && s->heap[0]->due_ms <= now_ms) {
		struct sched_item *item = s->heap[0];
		item->heap_idx = SCHED_NONE;
		s->n--;
		if (s->n > 0) {
			s->heap[0] = s->heap[s->n];
			s->heap[0]->heap_idx = 0;
			heap_down(s, 0);
		}
		s->fire(item, s->arg);
	}
	sched_rearm(s);
}
