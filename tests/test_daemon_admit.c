/*
 * test_daemon_admit.c: src/daemon_admit.c, admission, in a daemon built by
 * daemon_start (daemon_int.h) from a configuration of pull_fixture.h (an
 * in-memory store), whose pulls are handed the fake HTTP engine of
 * fake_http.h in place of the real one before the loop first turns. What
 * it asserts:
 *  - max_in_flight: with max_in_flight = 2, at most 2 * 4 requests are
 *    ever out at once (the fake's peak); of 30 workspaces due at once, 8
 *    start and 22 wait in the ready queue; every one of them is pulled,
 *    once, ok, and rescheduled;
 *  - held workspaces and a store that refuses every pull row: 1,000
 *    workspaces held while the store gate is closed, then admitted when
 *    it opens into a store whose trigger refuses every pull row. Each pull
 *    fails at once and reports; the report is only recorded (never
 *    nested: the depth of report.done calls stays 1) and the stack stays
 *    flat (the report callback's frame is at the same depth for all
 *    1,000; the admission that re-entered itself through each report
 *    went 1,000 frames deep). Every one is taken in later: failing, its
 *    next pull scheduled, the ready queue empty.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_int.h"
#include "pull_fixture.h"

static struct pull_fixture fx; /* only its configuration files and fake engine are used */
static struct daemon_args args;

/* Start a daemon on fx's configuration, its pulls handed the fake engine. */
static void start(struct daemon *d, size_t n, const char *daemon_extra)
{
	memset(&fx, 0, sizeof(fx));
	assert_int_equal(pull_fixture_config(&fx, "test_daemon_admit", n, daemon_extra, NULL), 0);
	args = (struct daemon_args){.config_path = fx.conf};
	assert_int_equal(daemon_start(d, &args), 0);
	assert_int_equal(fake_http_init(&fx.http, d->base), 0);
	d->env.http_ops = &fake_http_ops;
	d->env.http = &fx.http;
}

static void stop(struct daemon *d)
{
	daemon_stop(d);
	fake_http_free(&fx.http);
	pull_fixture_unlink(&fx);
}

/* Turn d's loop until cond(d) or ms pass; whether it held. */
static bool turn(struct daemon *d, bool (*cond)(struct daemon *), int64_t ms)
{
	mono_ms end = clock_mono_ms() + ms;
	while (!cond(d) && clock_mono_ms() < end)
		event_base_loop(d->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	return cond(d);
}

static size_t running(const struct daemon *d)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n_ws; i++)
		n += d->ws[i]->pull != NULL;
	return n;
}

static bool all_started_or_held(struct daemon *d)
{
	return running(d) + d->ready_n == d->n_ws;
}

static bool all_ok(struct daemon *d)
{
	return d->metrics.pulls[PULL_OK] == d->n_ws && d->reports_head == NULL;
}

static void test_max_in_flight(void **state)
{
	(void)state;
	struct daemon d;
	start(&d, 30, "max_in_flight = 2\njitter = 0");
	fx.http.hold = true; /* nothing is answered yet */
	fake_http_route(&fx.http, "/wegauge-probe", 404, NULL, NULL);
	fake_http_route(&fx.http, "/stats", 200, "stats_example.json", NULL);
	fake_http_route(&fx.http, "/push-notifications", 200, "campaigns_example.json", NULL);
	fake_http_route(&fx.http, "-notifications", 404, NULL, NULL);
	fake_http_route(&fx.http, "-messages", 404, NULL, NULL);
	fake_http_route(&fx.http, "/web-push", 404, NULL, NULL);
	fake_http_route(&fx.http, "/publisher-metrics", 200, "active_example.json", NULL);
	fake_http_route(&fx.http, "/team-members", 200, "team_example.json", NULL);

	/* Never pulled: all 30 due at once; 2 x DAEMON_ADMIT_FACTOR start, the rest wait. */
	assert_true(turn(&d, all_started_or_held, 5000));
	assert_int_equal(running(&d), 2 * DAEMON_ADMIT_FACTOR);
	assert_int_equal(d.ready_n, 30 - 2 * DAEMON_ADMIT_FACTOR);
	assert_int_equal(fx.http.n_queue, 2 * DAEMON_ADMIT_FACTOR);

	fake_http_release(&fx.http);
	assert_true(turn(&d, all_ok, 30000));
	assert_true(fx.http.peak <= 2 * DAEMON_ADMIT_FACTOR);
	assert_int_equal(d.ready_n, 0);
	assert_int_equal(fx.http.unrouted, 0);
	for (size_t i = 0; i < d.n_ws; i++) {
		struct ws *w = d.ws[i];
		assert_null(w->pull);
		assert_int_equal(w->state, WS_CONNECTED);
		assert_true(w->item.heap_idx != SCHED_NONE); /* its next pull, an interval on */
	}
	assert_int_equal(pull_fixture_int(&(struct pull_fixture){.store = d.store},
	                                  "SELECT count(DISTINCT workspace) FROM pull "
	                                  "WHERE status = 'ok'"),
	                 30);
	stop(&d);
}

/* The report callback, wrapped: how deep its calls nest, and where its frame lies. */
static struct pull_report real;
static int depth, max_depth, calls;
static uintptr_t frame_lo = UINTPTR_MAX, frame_hi;

static void wrapped_done(void *arg, struct ws *w, enum pull_status status, const char *error)
{
	volatile char here = 0;
	uintptr_t at = (uintptr_t)&here;
	if (at < frame_lo)
		frame_lo = at;
	if (at > frame_hi)
		frame_hi = at;
	calls++;
	if (++depth > max_depth)
		max_depth = depth;
	real.done(arg, w, status, error);
	depth--;
}

static bool all_held(struct daemon *d)
{
	return d->ready_n == d->n_ws;
}

static bool all_failed(struct daemon *d)
{
	return d->metrics.pulls[PULL_FAILED] == d->n_ws && d->reports_head == NULL;
}

#define HELD 1000

static void test_refused_pull_rows(void **state)
{
	(void)state;
	struct daemon d;
	start(&d, HELD, "max_in_flight = 1");
	real = d.env.report;
	d.env.report.done = wrapped_done;

	/* The gate closed (our own long commit, say): every due pull waits in the ready queue. */
	storegate_hold(d.gate);
	assert_true(turn(&d, all_held, 10000));
	assert_int_equal(running(&d), 0);

	/* It opens into a store that refuses every pull row. */
	assert_int_equal(sqlite3_exec(store_handle(d.store),
	                              "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.pull "
	                              "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
	                              NULL, NULL, NULL),
	                 SQLITE_OK);
	storegate_release(d.gate);
	assert_true(turn(&d, all_failed, 30000));

	assert_int_equal(calls, HELD);
	assert_int_equal(max_depth, 1);
	/* One frame depth for all: a few hundred bytes of slack, not HELD frames. */
	if (frame_hi - frame_lo > 1024)
		fail_msg("the report callback's frame moved %zu bytes over %d reports",
		         (size_t)(frame_hi - frame_lo), calls);
	assert_int_equal(d.ready_n, 0);
	assert_int_equal(fx.http.submitted, 0);
	for (size_t i = 0; i < d.n_ws; i++) {
		struct ws *w = d.ws[i];
		assert_int_equal(w->state, WS_FAILING);
		assert_int_equal(w->consecutive_failures, 1);
		assert_non_null(strstr(w->reason, "refused by the test"));
		assert_true(w->item.heap_idx != SCHED_NONE);
	}
	stop(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_max_in_flight),
	        cmocka_unit_test(test_refused_pull_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
