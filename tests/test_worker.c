/*
 * test_worker.c: the job thread of src/worker.c: jobs run off the calling
 * thread and come back on the loop, in order; worker_free hands back every
 * job (ran or not); the queue bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <event2/event.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "worker.h"

struct tjob {
	struct worker_job wj; /* first */
	int id;
	pthread_t ran_on, done_on;
	bool ran, handed_back, done_ran;
	struct worker *wk;    /* block: run waits for worker_stopping */
	atomic_bool *started; /* block: set when run begins */
	int *order, *n_order; /* done appends id */
};

static void tjob_run(struct worker_job *wj)
{
	struct tjob *j = (struct tjob *)wj;
	j->ran_on = pthread_self();
	j->ran = true;
	if (j->started) {
		atomic_store(j->started, true);
		while (!worker_stopping(j->wk))
			sched_yield();
	}
}

static void tjob_done(struct worker_job *wj, bool ran)
{
	struct tjob *j = (struct tjob *)wj;
	j->done_on = pthread_self();
	j->handed_back = true;
	j->done_ran = ran;
	j->order[(*j->n_order)++] = j->id;
}

static void tjob_init(struct tjob *j, int id, int *order, int *n_order)
{
	*j = (struct tjob){.id = id, .order = order, .n_order = n_order};
	j->wj.run = tjob_run;
	j->wj.done = tjob_done;
}

/*
 * Submit j as a job that blocks the worker until worker_free begins, and
 * wait (generous deadline) until the worker is running it.
 */
static void start_blocker(struct worker *wk, struct tjob *j, atomic_bool *started)
{
	j->wk = wk;
	j->started = started;
	assert_int_equal(worker_submit(wk, &j->wj), 0);
	time_t end = time(NULL) + 30;
	while (!atomic_load(started))
		assert_true(time(NULL) < end);
}

/* Run the loop until *n reaches want; fail after a generous deadline. */
static void loop_until(struct event_base *base, const int *n, int want)
{
	time_t end = time(NULL) + 30;
	while (*n < want) {
		assert_true(time(NULL) < end);
		event_base_loop(base, EVLOOP_ONCE);
	}
}

#define N_JOBS 50

static void test_jobs_run_off_the_loop_and_come_back_in_order(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	assert_non_null(base);
	struct worker *wk = worker_new(base);
	assert_non_null(wk);
	assert_true(worker_threaded(wk));
	static struct tjob jobs[N_JOBS];
	int order[N_JOBS], n = 0;
	for (int i = 0; i < N_JOBS; i++) {
		tjob_init(&jobs[i], i, order, &n);
		assert_int_equal(worker_submit(wk, &jobs[i].wj), 0);
	}
	loop_until(base, &n, N_JOBS);
	assert_int_equal(worker_pending(wk), 0);
	for (int i = 0; i < N_JOBS; i++) {
		assert_int_equal(order[i], i);
		assert_true(jobs[i].ran);
		assert_true(jobs[i].done_ran);
		assert_false(pthread_equal(jobs[i].ran_on, pthread_self()));
		assert_true(pthread_equal(jobs[i].done_on, pthread_self()));
	}
	worker_free(wk);
	assert_int_equal(n, N_JOBS); /* nothing handed back twice */
	event_base_free(base);
}

/*
 * worker_free with one job running and two queued: the running one ends
 * (it returns once worker_stopping says so) and comes back ran, the queued
 * ones come back not ran, in order.
 */
static void test_free_hands_back_everything(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct worker *wk = worker_new(base);
	assert_non_null(wk);
	atomic_bool started = false;
	int order[8], n = 0;
	struct tjob first, queued[2];
	tjob_init(&first, 0, order, &n);
	start_blocker(wk, &first, &started);
	for (int i = 0; i < 2; i++) {
		tjob_init(&queued[i], i + 1, order, &n);
		assert_int_equal(worker_submit(wk, &queued[i].wj), 0);
	}
	assert_int_equal(worker_pending(wk), 3);
	worker_free(wk);
	assert_int_equal(n, 3);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
	assert_true(first.done_ran);
	assert_false(queued[0].ran);
	assert_false(queued[0].done_ran);
	assert_false(queued[1].done_ran);
	event_base_free(base);
}

/* With the worker blocked, WORKER_MAX_QUEUE jobs are taken and the next is refused. */
static void test_queue_bound(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct worker *wk = worker_new(base);
	assert_non_null(wk);
	atomic_bool started = false;
	int *order = calloc(WORKER_MAX_QUEUE + 2, sizeof(*order));
	struct tjob *jobs = calloc(WORKER_MAX_QUEUE + 1, sizeof(*jobs));
	assert_non_null(order);
	assert_non_null(jobs);
	int n = 0;
	tjob_init(&jobs[0], 0, order, &n);
	start_blocker(wk, &jobs[0], &started);
	for (int i = 1; i < WORKER_MAX_QUEUE; i++) {
		tjob_init(&jobs[i], i, order, &n);
		assert_int_equal(worker_submit(wk, &jobs[i].wj), 0);
	}
	tjob_init(&jobs[WORKER_MAX_QUEUE], WORKER_MAX_QUEUE, order, &n);
	assert_int_equal(worker_submit(wk, &jobs[WORKER_MAX_QUEUE].wj), -1);
	worker_free(wk);
	assert_int_equal(n, WORKER_MAX_QUEUE);
	assert_false(jobs[WORKER_MAX_QUEUE].handed_back);
	free(order);
	free(jobs);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_jobs_run_off_the_loop_and_come_back_in_order),
	        cmocka_unit_test(test_free_hands_back_everything),
	        cmocka_unit_test(test_queue_bound),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
