/*
 * pull.h: one pull of one workspace, the WebEngage client.
 *
 * A pull probes the key when the workspace has not been probed since its
 * key last changed, then runs the enabled streams in order (stats,
 * campaigns, active users, team), one request at a time. Each stream's
 * rows accumulate in memory over its pages and are committed in one store
 * transaction when the stream is complete; a stream that fails commits
 * nothing and the pull moves to the next stream. A stream waits with its
 * rows while the store gate is closed (storegate.h), and a stream of more
 * than PULL_SLICE_ROWS rows is written a slice per loop turn, holding the
 * gate meanwhile, so that its commit never stalls the loop. Retries,
 * Retry-After and rate-limit holds are handled per request as docs/api.md
 * says.
 *
 * A pull knows nothing of who started it. Its world is handed down in a
 * struct pull_env (the loop, the store and its gate, the HTTP engine, the
 * worker, the retry budget, the counters, the daemon-wide settings), and
 * it reports back only through the env's callbacks (struct pull_report):
 * what it wrote, that the probe accepted the key, that it parked on a
 * timer, and how it ended. The pull is owned by ws->pull from start to
 * end.
 */
#ifndef WEGAUGE_PULL_H
#define WEGAUGE_PULL_H

#include <stddef.h>
#include <stdint.h>

#include "pull_status.h"

struct budget;
struct config;
struct event_base;
struct http_ops;
struct metrics;
struct store;
struct storegate;
struct worker;
struct ws;

/* "running", "ok", ... as stored (pull_status.h); "?" out of range. */
const char *pull_status_name(enum pull_status s);

/*
 * What a pull tells its owner. Each callback runs on the loop from inside
 * the pull's own work (pull_start, a transfer's end, a timer, a parse, a
 * commit): it must only record what it is told and return. It must not
 * start, cancel or free a pull, nor free or reconfigure w; whatever
 * follows from the report (a new state, the next pull, admission of held
 * pulls) is for the owner to do later, from a callback of its own. arg is
 * the owner's.
 */
struct pull_report {
	/* w's pull wrote into the store's open group of writes (its row, a stream, its end). */
	void (*wrote)(void *arg, struct ws *w);
	/* The credential probe of w's pull accepted the key (w->key_ok is set). */
	void (*probed)(void *arg, struct ws *w);
	/*
	 * w's pull ended with status (never PULL_CANCELLED) and error (NULL
	 * when none; valid during the call only). It is the pull's last act:
	 * w->pull is NULL already, and the pull's row is written or kept in
	 * w->unrecorded.
	 */
	void (*done)(void *arg, struct ws *w, enum pull_status status, const char *error);
	/* A pull left the HTTP engine to wait on a timer: there may be room for another. */
	void (*parked)(void *arg);
	void *arg;
};

/*
 * A pull's world, owned by whoever starts pulls (the daemon). It must
 * outlive every pull started with it; a pull keeps a pointer to it and
 * reads it at each step, so the owner may change a field between two
 * callbacks (a reload replaces cfg) and the pull follows.
 */
struct pull_env {
	struct event_base *base;         /* the loop: the pull's wait and slice timers */
	struct store *store;             /* where pull rows and streams are written */
	struct storegate *gate;          /* asked before every write (storegate.h) */
	const struct http_ops *http_ops; /* the HTTP engine's entry points (http.h) ... */
	void *http;                      /* ... and the engine they are called with */
	struct worker *worker;           /* parses answers off the loop (worker.h) */
	struct budget *budget;           /* the daemon-wide retry budget */
	struct metrics *metrics;         /* its counters: requests, rows, retries, pulls ended */
	const struct config *cfg;        /* daemon-wide settings: page_size, retries, caps */
	struct pull_report report;
};

/*
 * Start a pull of w now (w->pull must be NULL); env stays the pull's
 * until it ends. Returns 0 when it started; 1 when the store is locked by
 * another process (the store gate closed, storegate.h): nothing happened,
 * and the caller holds w until the gate opens; -1 when it could not even
 * begin (the pull row could not be written): then report.done has already
 * been called with PULL_FAILED.
 */
int pull_start(const struct pull_env *env, struct ws *w);

/*
 * Write the end of w's last pull that the store could not take when it
 * ended (w->unrecorded), through env's store and gate. 0 when none is
 * left, -1 when the store still refuses it (kept for the next try).
 */
int pull_record_late(const struct pull_env *env, struct ws *w);

/* Streams of more rows than this are committed in slices of this many, one per loop turn. */
#define PULL_SLICE_ROWS 20000

/*
 * Cancel w's running pull, if any: its request is dropped, nothing of its
 * unfinished stream is committed, its row ends "cancelled" with why.
 * report.done is not called; the caller decides what follows.
 */
void pull_cancel(struct ws *w, const char *why);

/*
 * The end of w's pull id was written into a group of writes that then
 * failed to commit: keep it, as failed with "not stored: why", in
 * w->unrecorded, to be written again by pull_record_late before w's next
 * pull. Only pull.c writes w->unrecorded.
 */
void pull_end_lost(struct ws *w, int64_t id, const char *why);

/* Id of w's running pull, 0 when none. */
int64_t pull_id(const struct ws *w);
/* The stream and page w's pull is at, for the state dump: "campaigns sms-messages page 3". */
void pull_describe(const struct ws *w, char *buf, size_t len);

#endif
