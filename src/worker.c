/*
 * worker.c: the job thread of worker.h. Two singly linked FIFO lists
 * under one mutex: todo (loop -> thread, a condition variable wakes the
 * thread) and finished (thread -> loop, an eventfd wakes the loop). The
 * thread holds the mutex only to move one job between the lists, never
 * while a job runs.
 */
#include "worker.h"
#include "loopstat.h"

#include <event2/event.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct fifo {
	struct worker_job *head, *tail;
};

struct worker {
	struct event *ev;
	int efd;
	bool threaded;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct fifo todo, finished; /* under mu */
	size_t queued;              /* jobs not yet handed back; under mu */
	atomic_bool stopping;       /* worker_free has begun; set under mu, read anywhere */
};

static void fifo_push(struct fifo *f, struct worker_job *j)
{
	j->next = NULL;
	if (f->tail)
		f->tail->next = j;
	else
		f->head = j;
	f->tail = j;
}

static struct worker_job *fifo_pop(struct fifo *f)
{
	struct worker_job *j = f->head;
	if (j) {
		f->head = j->next;
		if (!f->head)
			f->tail = NULL;
		j->next = NULL;
	}
	return j;
}

/* The thread: take the oldest job, run it unlocked, hand it back; until stop. */
static void *worker_main(void *arg)
{
	struct worker *wk = arg;
	pthread_mutex_lock(&wk->mu);
	for (;;) {
		while (!wk->todo.head && !atomic_load(&wk->stopping))
			pthread_cond_wait(&wk->cv, &wk->mu);
		if (atomic_load(&wk->stopping))
			break;
		struct worker_job *j = fifo_pop(&wk->todo);
		pthread_mutex_unlock(&wk->mu);
		j->run(j);
		pthread_mutex_lock(&wk->mu);
		bool wake = wk->finished.head == NULL;
		fifo_push(&wk->finished, j);
		if (wake) {
			uint64_t one = 1;
			/* EAGAIN: the counter is full, so the loop is awake anyway. */
			ssize_t n = write(wk->efd, &one, sizeof(one));
			(void)n;
		}
	}
	pthread_mutex_unlock(&wk->mu);
	return NULL;
}

/*
 * Hand up to max finished jobs back to their owners, oldest first (a done
 * may commit a stream: a burst of answers handed back in one callback
 * would hold the loop for all their commits). True when more are left.
 */
static bool worker_drain(struct worker *wk, size_t max)
{
	pthread_mutex_lock(&wk->mu);
	struct fifo f = {0};
	for (size_t i = 0; i < max && wk->finished.head; i++) {
		struct worker_job *j = fifo_pop(&wk->finished);
		wk->queued--;
		fifo_push(&f, j);
	}
	bool more = wk->finished.head != NULL;
	pthread_mutex_unlock(&wk->mu);
	struct worker_job *j;
	while ((j = fifo_pop(&f)))
		j->done(j, true);
	return more;
}

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
	struct worker *wk = arg;
	mono_us t0 = loopstat_begin();
	if (what & EV_READ) {
		uint64_t count;
		ssize_t n = read(fd, &count, sizeof(count));
		(void)n; /* EAGAIN: a drain already took what there was */
	}
	/* The rest after the loop's other events of this turn (EV_TIMEOUT: not a read). */
	if (worker_drain(wk, WORKER_DRAIN_MAX))
		event_active(wk->ev, EV_TIMEOUT, 0);
	loopstat_end(t0, "parsed answers");
}

struct worker *worker_new(struct event_base *base)
{
	struct worker *wk = calloc(1, sizeof(*wk));
	if (!wk)
		return NULL;
	wk->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (wk->efd < 0) {
		free(wk);
		return NULL;
	}
	wk->ev = event_new(base, wk->efd, EV_READ | EV_PERSIST, on_ready, wk);
	if (!wk->ev || event_add(wk->ev, NULL) != 0) {
		if (wk->ev)
			event_free(wk->ev);
		close(wk->efd);
		free(wk);
		return NULL;
	}
	pthread_mutex_init(&wk->mu, NULL);
	pthread_cond_init(&wk->cv, NULL);
	/* Signals belong to the loop thread: the worker starts with all of them blocked. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	wk->threaded = pthread_create(&wk->th, NULL, worker_main, wk) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return wk;
}

bool worker_stopping(struct worker *wk)
{
	return atomic_load(&wk->stopping);
}

size_t worker_pending(struct worker *wk)
{
	pthread_mutex_lock(&wk->mu);
	size_t n = wk->queued;
	pthread_mutex_unlock(&wk->mu);
	return n;
}

bool worker_threaded(const struct worker *wk)
{
	return wk->threaded;
}

int worker_submit(struct worker *wk, struct worker_job *j)
{
	if (!wk->threaded) {
		j->run(j);
		j->done(j, true);
		return 0;
	}
	pthread_mutex_lock(&wk->mu);
	if (wk->queued >= WORKER_MAX_QUEUE) {
		pthread_mutex_unlock(&wk->mu);
		return -1;
	}
	wk->queued++;
	fifo_push(&wk->todo, j);
	pthread_cond_signal(&wk->cv);
	pthread_mutex_unlock(&wk->mu);
	return 0;
}

void worker_free(struct worker *wk)
{
	if (!wk)
		return;
	if (wk->threaded) {
		pthread_mutex_lock(&wk->mu);
		atomic_store(&wk->stopping, true);
		pthread_cond_signal(&wk->cv);
		pthread_mutex_unlock(&wk->mu);
		pthread_join(wk->th, NULL);
		wk->threaded = false; /* a done() that submits again now runs inline */
	}
	while (worker_drain(wk, SIZE_MAX))
		;
	struct worker_job *j;
	while ((j = fifo_pop(&wk->todo))) {
		wk->queued--;
		j->done(j, false);
	}
	event_free(wk->ev);
	close(wk->efd);
	pthread_cond_destroy(&wk->cv);
	pthread_mutex_destroy(&wk->mu);
	free(wk);
}
