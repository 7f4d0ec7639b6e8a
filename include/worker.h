/*
 * worker.h: one thread that runs CPU-bound jobs off the event loop.
 *
 * The loop thread stays the only thread that touches the daemon's state
 * (workspaces, pulls, the store, curl). A job carries everything its run
 * function needs and writes its result into itself; run() executes on
 * the worker thread and may touch nothing but the job. When it returns,
 * the job goes back to the loop, which calls done() there. Jobs run and
 * complete in the order they were submitted.
 *
 * Why a thread at all: bench/run showed the loop CPU-bound on one core in
 * `wegauged --once` over 10,000 workspaces (100% of a core, the other
 * about 70% idle), with JSON parsing 20% of the loop's time. Parsing an
 * answer needs nothing from the daemon, so it moves here (pull.c).
 *
 * The hand-back is an eventfd watched by the loop; the worker writes it
 * only when the list of finished jobs goes from empty to not empty, so a
 * burst of completions costs one wakeup. If the thread cannot be started,
 * worker_submit runs the job and its done() at once, on the caller's
 * thread: slower, never wrong.
 *
 * Bounds: the queue holds at most one job per running pull (a pull has one
 * request, hence one answer, at a time), and pulls are bounded by the
 * daemon's admission (4 x max_in_flight); worker_submit takes no more than
 * WORKER_MAX_QUEUE jobs and refuses the rest (-1).
 */
#ifndef WEGAUGE_WORKER_H
#define WEGAUGE_WORKER_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct worker;

#define WORKER_MAX_QUEUE 100000
/* Finished jobs handed back per loop callback; the rest on the next turn. */
#define WORKER_DRAIN_MAX 4

struct worker_job {
	/* Worker thread: compute into the job; touch nothing else. */
	void (*run)(struct worker_job *j);
	/*
	 * Loop thread: the job is back. ran is false when the job never ran
	 * (worker_free with jobs still queued): done must still release it.
	 */
	void (*done)(struct worker_job *j, bool ran);
	struct worker_job *next; /* internal */
};

/*
 * A worker on base, its thread started. NULL on failure (out of memory,
 * no eventfd, the event could not be added). When only the thread fails
 * to start, the worker is returned and runs jobs inline.
 */
struct worker *worker_new(struct event_base *base);

/*
 * Queue j (run and done set; the caller keeps j alive until done). 0, or
 * -1 when the queue is full (j is untouched). Inline mode: run and done
 * are called before this returns 0.
 */
int worker_submit(struct worker *wk, struct worker_job *j);

/*
 * True once worker_free has begun: a long run() may poll it (from the
 * worker thread) and return early; its job is still handed back.
 */
bool worker_stopping(struct worker *wk);

/* Jobs submitted and not yet handed back (queued, running or finished). */
size_t worker_pending(struct worker *wk);

/* True when jobs run on the thread (false: inline). */
bool worker_threaded(const struct worker *wk);

/*
 * Stop the thread after the job it is running, then hand every job back:
 * finished ones with done(j, true), queued ones with done(j, false), in
 * order. NULL is a no-op.
 */
void worker_free(struct worker *wk);

#endif
