/*
 * test_schedule.c: src/schedule.c: phase arithmetic (stable, spread, in
 * range), tick placement and skipping, and the heap with its one timer
 * driving a real libevent loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "clock.h"
#include "schedule.h"

static void test_hash_is_fnv1a(void **state)
{
	(void)state;
	/* Known answers of 64-bit FNV-1a. */
	assert_true(sched_hash("") == 0xcbf29ce484222325ull);
	assert_true(sched_hash("a") == 0xaf63dc4c8601ec8cull);
	assert_true(sched_hash("foobar") == 0x85944171f73967e8ull);
}

static void test_phase_stable_and_in_range(void **state)
{
	(void)state;
	const int64_t iv = 3600000;
	for (int i = 0; i < 1000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "ws-%04d", i);
		int64_t p = sched_phase(name, iv);
		assert_true(p >= 0 && p < iv);
		assert_int_equal(p, sched_phase(name, iv));
	}
	assert_int_equal(sched_phase("x", 0), 0);
}

/* 1000 names over 10 buckets of the interval: every bucket gets 60..140. */
static void test_phase_spread(void **state)
{
	(void)state;
	const int64_t iv = 2000;
	int bucket[10] = {0};
	for (int i = 0; i < 1000; i++) {
		char name[32];
		snprintf(name, sizeof(name), "ws-%04d", i);
		bucket[sched_phase(name, iv) * 10 / iv]++;
	}
	for (int b = 0; b < 10; b++) {
		assert_true(bucket[b] >= 60);
		assert_true(bucket[b] <= 140);
	}
}

static void test_first_tick(void **state)
{
	(void)state;
	struct {
		int64_t phase, interval, wall, mono, want;
	} cases[] = {
	        /* wall 10:00:00.000 (36000000 into the day), hourly, phase 0: due now. */
	        {0, 3600000, 36000000, 500, 500},
	        /* phase 15 min, wall at 10:05: due in 10 min. */
	        {900000, 3600000, 36300000, 500, 500 + 600000},
	        /* phase 1 min, wall at 10:05: due at 11:01, in 56 min. */
	        {60000, 3600000, 36300000, 0, 3360000},
	        /* two-second interval, phase 1500, wall ...1999: due in 1501 ms. */
	        {1500, 2000, 1999, 10, 1511},
	        /* zero interval: now. */
	        {0, 0, 123, 77, 77},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sched_first_tick(cases[i].phase, cases[i].interval, cases[i].wall,
		                                  cases[i].mono),
		                 cases[i].want);
}

static void test_next_tick_skips_missed(void **state)
{
	(void)state;
	struct {
		int64_t tick, interval, now, not_before, want;
	} cases[] = {
	        {1000, 1000, 1500, 0, 2000}, /* on time */
	        {1000, 1000, 1999, 0, 2000}, /* late in the tick */
	        {1000, 1000, 2000, 0,
	         3000}, /* exactly at the next: it is taken, so the one after */
	        {1000, 1000, 5500, 0, 6000}, /* four ticks missed: skipped, not replayed */
	        {1000, 1000, 500, 0, 1000},  /* the tick is still ahead: kept */
	        {0, 3600000, 1, 0, 3600000}, /* hourly */
	        {1000, 1000, 1000, 0, 2000}, /* exactly at the tick: it is used */
	        {0, 100, -250, 0, 0},        /* negative instants */
	        {0, 0, 700, 0, 701},         /* no interval: right after now */
	        {0, 0, 700, 900, 900},       /* ... or at not_before */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sched_next_tick(cases[i].tick, cases[i].interval, cases[i].now,
		                                 cases[i].not_before),
		                 cases[i].want);
}

/*
 * After a pull out of turn, the next regular pull waits for the first tick
 * at least half an interval after the pull began.
 */
static void test_next_tick_settles_after_out_of_turn(void **state)
{
	(void)state;
	struct {
		int64_t tick, interval, now, not_before, want;
	} cases[] = {
	        /* pulled at 0 out of turn, its tick 5 min away in a 1 h interval: skip to 65 min */
	        {300000, 3600000, 2000, 1800000, 3900000},
	        /* tick 40 min away: half an interval after the pull, kept */
	        {2400000, 3600000, 2000, 1800000, 2400000},
	        /* tick exactly at not_before: kept */
	        {1800000, 3600000, 2000, 1800000, 1800000},
	        /* one ms short: the next one */
	        {1799999, 3600000, 2000, 1800000, 5399999},
	        /* an in-turn pull (tick used, jitter below half): the next tick as before */
	        {1000, 1000, 1100, 1600, 2000},
	        /* not_before in the past changes nothing */
	        {1000, 1000, 5500, 10, 6000},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(sched_next_tick(cases[i].tick, cases[i].interval, cases[i].now,
		                                 cases[i].not_before),
		                 cases[i].want);
}

/* Jitter: within [tick, tick + jitter], both ends reachable, roughly uniform. */
static void test_jitter(void **state)
{
	(void)state;
	assert_int_equal(sched_jittered(5000, 0, 12345), 5000);
	assert_int_equal(sched_jittered(5000, -1, 12345), 5000);
	assert_int_equal(sched_jittered(5000, 30000, 0), 5000);
	assert_int_equal(sched_jittered(5000, 30000, 30000), 35000);
	int bucket[10] = {0};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 10000; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int64_t t = sched_jittered(1000, 999, x);
		assert_true(t >= 1000 && t <= 1999);
		bucket[(t - 1000) / 100]++;
	}
	for (int b = 0; b < 10; b++)
		assert_true(bucket[b] > 800 && bucket[b] < 1200);
}

/* Failure backoff: 0 for n < 2, then [d/2, d] with d doubling from 1 min to 1 h. */
static void test_failure_backoff(void **state)
{
	(void)state;
	struct {
		int n;
		int64_t d;
	} cases[] = {{0, 0},       {1, 0},       {2, 60000},    {3, 120000},    {4, 240000},
	             {7, 1920000}, {8, 3600000}, {30, 3600000}, {1000, 3600000}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t d = cases[i].d;
		assert_int_equal(sched_failure_backoff_ms(cases[i].n, 0), d / 2);
		assert_int_equal(sched_failure_backoff_ms(cases[i].n, (uint64_t)d / 2), d);
		int64_t b = sched_failure_backoff_ms(cases[i].n, 0xdeadbeefcafef00dull);
		assert_true(b >= d / 2 && b <= d);
	}
}

/* --- the heap --------------------------------------------------------------- */

struct fired {
	int order[64];
	int n;
	struct sched_item items[64];
	struct sched *s;
	struct event_base *base;
	int stop_after;
};

static void fire_record(struct sched_item *item, void *arg)
{
	struct fired *f = arg;
	f->order[f->n++] = (int)(item - f->items);
	if (f->n == f->stop_after)
		event_base_loopbreak(f->base);
}

static void test_heap_order_and_remove(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct sched s;
	struct fired f = {.base = base, .stop_after = 1000};
	assert_int_equal(sched_init(&s, base, fire_record, &f), 0);
	for (int i = 0; i < 64; i++)
		f.items[i].heap_idx = SCHED_NONE;
	/* due times in a scrambled order */
	for (int i = 0; i < 64; i++)
		assert_int_equal(sched_set(&s, &f.items[i], (i * 37) % 64), 0);
	assert_int_equal(s.n, 64);
	/* remove a few, move one earlier and one later */
	sched_remove(&s, &f.items[5]);
	sched_remove(&s, &f.items[5]); /* twice: a no-op */
	sched_remove(&s, &f.items[63]);
	sched_set(&s, &f.items[10], -5);
	sched_set(&s, &f.items[0], 1000);
	assert_int_equal(s.n, 62);
	assert_ptr_equal(sched_peek(&s), &f.items[10]);
	sched_run_due(&s, 999);
	assert_int_equal(f.n, 61);
	assert_int_equal(f.order[0], 10);
	/* fired in due order */
	for (int k = 1; k < f.n; k++)
		assert_true(f.items[f.order[k - 1]].due_ms <= f.items[f.order[k]].due_ms);
	assert_ptr_equal(sched_peek(&s), &f.items[0]);
	sched_run_due(&s, 1000);
	assert_int_equal(f.n, 62);
	assert_null(sched_peek(&s));
	assert_int_equal(s.armed_ms, INT64_MAX);
	sched_free(&s);
	event_base_free(base);
}

/* The one timer fires items when due on a real loop, in order, and nothing early. */
static void test_timer_fires_on_loop(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct sched s;
	struct fired f = {.base = base, .stop_after = 3};
	assert_int_equal(sched_init(&s, base, fire_record, &f), 0);
	for (int i = 0; i < 3; i++)
		f.items[i].heap_idx = SCHED_NONE;
	int64_t t0 = clock_mono_ms();
	sched_set(&s, &f.items[0], t0 + 60);
	sched_set(&s, &f.items[1], t0 + 20);
	sched_set(&s, &f.items[2], t0 + 40);
	event_base_dispatch(base);
	int64_t t1 = clock_mono_ms();
	assert_int_equal(f.n, 3);
	assert_int_equal(f.order[0], 1);
	assert_int_equal(f.order[1], 2);
	assert_int_equal(f.order[2], 0);
	assert_true(t1 - t0 >= 60);
	/* one wakeup per distinct due time at most (the loop may merge close ones) */
	assert_true(s.wakeups >= 1 && s.wakeups <= 3);
	sched_free(&s);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hash_is_fnv1a),
	        cmocka_unit_test(test_phase_stable_and_in_range),
	        cmocka_unit_test(test_phase_spread),
	        cmocka_unit_test(test_first_tick),
	        cmocka_unit_test(test_next_tick_skips_missed),
	        cmocka_unit_test(test_next_tick_settles_after_out_of_turn),
	        cmocka_unit_test(test_jitter),
	        cmocka_unit_test(test_failure_backoff),
	        cmocka_unit_test(test_heap_order_and_remove),
	        cmocka_unit_test(test_timer_fires_on_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
