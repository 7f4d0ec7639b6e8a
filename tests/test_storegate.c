/*
 * test_storegate.c: src/storegate.c: a real store file locked by a second
 * connection closes the gate on the first SQLITE_BUSY (one on_locked per
 * episode); the retries never wait (the loop turns fast while locked);
 * when the lock goes, on_open runs with was_locked, then the waiters in
 * the order they came, with the store's group of writes open; a hold
 * closes the gate without an episode and its release runs the waiters on
 * a later loop turn, not inside storegate_release; a cancelled waiter
 * never runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "clock.h"
#include "store.h"
#include "storegate.h"

static int locked_calls, open_calls;
static bool last_was_locked;
static char order[16];
static size_t n_order;

static void on_locked(void *arg, const char *err)
{
	(void)arg;
	assert_non_null(strstr(err, "database is locked"));
	locked_calls++;
}

static void on_open(void *arg, bool was_locked, int64_t locked_ms)
{
	(void)arg;
	(void)locked_ms;
	open_calls++;
	last_was_locked = was_locked;
}

struct job {
	struct storegate_waiter w; /* first */
	char name;
};

static void job_run(struct storegate_waiter *w)
{
	order[n_order++] = ((struct job *)w)->name;
}

/* Turn the loop until cond() holds or ms pass; whether it held. */
static bool turn_until(struct event_base *base, bool (*cond)(void), int64_t ms)
{
	int64_t end = clock_mono_ms() + ms;
	while (!cond() && clock_mono_ms() < end)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
	return cond();
}

static bool opened(void)
{
	return open_calls > 0;
}

static void test_lock_episode_and_waiters(void **state)
{
	(void)state;
	char path[4096], err[256];
	const char *base_dir = getenv("TEST_TMP");
	snprintf(path, sizeof(path), "%s/storegate.%d.db", base_dir ? base_dir : "/tmp", getpid());
	unlink(path);
	struct store *st = NULL;
	struct store_opts so = {.busy_timeout_ms = 100, .journal_size_limit = 1 << 20};
	assert_int_equal(store_open(&st, path, &so, err, sizeof(err)), 0);
	store_group_on(st, NULL, NULL);
	struct event_base *base = event_base_new();
	struct storegate_hooks h = {.on_locked = on_locked, .on_open = on_open};
	struct storegate *g = storegate_new(base, st, 100, &h);
	assert_non_null(g);
	assert_true(storegate_is_open(g));
	assert_false(storegate_failed(g, SQLITE_OK, ""));
	assert_false(storegate_failed(g, SQLITE_FULL, "full"));

	/* Another connection takes the write lock; our write meets it. */
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	int rc = store_ws_set_state(st, "x", "connected", NULL, err, sizeof(err));
	assert_int_equal(rc, SQLITE_BUSY);
	assert_true(storegate_failed(g, rc, err));
	assert_true(storegate_failed(g, rc, err)); /* the same episode */
	assert_int_equal(locked_calls, 1);
	assert_false(storegate_is_open(g));
	struct storegate_stats gs;
	storegate_get_stats(g, &gs);
	assert_true(gs.locked);
	assert_int_equal(gs.episodes, 1);

	struct job a = {.w.fn = job_run, .name = 'a'}, b = {.w.fn = job_run, .name = 'b'},
	           d = {.w.fn = job_run, .name = 'd'};
	storegate_wait(g, &a.w);
	storegate_wait(g, &d.w);
	storegate_wait(g, &b.w);
	storegate_cancel(g, &d.w);

	/* Locked for 300 ms: the loop keeps turning (no retry waits), nobody runs. */
	int64_t t0 = clock_mono_ms(), turns = 0;
	while (clock_mono_ms() - t0 < 300) {
		int64_t t = clock_mono_ms();
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		assert_true(clock_mono_ms() - t < 50);
		turns++;
		usleep(1000);
	}
	assert_true(turns > 10);
	assert_int_equal(n_order, 0);
	assert_int_equal(open_calls, 0);

	/* The lock goes: on_open (was locked), then a and b in order, group open. */
	assert_int_equal(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_true(turn_until(base, opened, 10000));
	assert_true(last_was_locked);
	assert_int_equal(n_order, 2);
	assert_memory_equal(order, "ab", 2);
	assert_int_equal(sqlite3_get_autocommit(store_handle(st)), 0);
	assert_true(storegate_is_open(g));

	/* A hold: closed without an episode; its release runs the waiter later. */
	storegate_hold(g);
	assert_false(storegate_is_open(g));
	struct job c = {.w.fn = job_run, .name = 'c'};
	storegate_wait(g, &c.w);
	storegate_release(g);
	assert_int_equal(n_order, 2); /* not inside release */
	open_calls = 0;
	assert_true(turn_until(base, opened, 5000));
	assert_false(last_was_locked);
	assert_int_equal(n_order, 3);
	assert_int_equal(order[2], 'c');
	assert_int_equal(locked_calls, 1);

	storegate_free(g);
	assert_int_equal(store_close(st), 0);
	sqlite3_close(other);
	event_base_free(base);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_lock_episode_and_waiters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
