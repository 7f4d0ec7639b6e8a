/*
 * daemon_int.h: the inside of the daemon module, shared by its files. Not
 * for other modules: they use daemon.h (and a pull sees none of this: it
 * is handed a struct pull_env, pull.h).
 *
 * The daemon is one struct daemon on daemon_run's stack, split by what
 * each part does. The files, each calling only the ones below it:
 *
 *   daemon.c         start and stop: daemon_run, signals, the graceful stop
 *   daemon_reload.c  SIGHUP: the new configuration, diffed and applied
 *   daemon_admit.c   admission: held pulls, the scheduler's due pulls, the
 *                    settle event that takes pull reports in, heap trims
 *   daemon_writes.c  the store's writes: group commits, deferred writes,
 *                    the store gate's lock hook, the store file's watch
 *   daemon_ws.c      the workspaces: what pulls report and what it does to
 *                    them, their store rows, who wrote into the open group
 *   daemon_fleet.c   a fleet member's part: heartbeat, which workspaces it
 *                    should own, leases taken, lost and given back
 *   daemon_status.c  what the daemon says of itself: STATUS=, /metrics,
 *                    /healthz, the SIGUSR1 dump
 *
 * Each field below is written by the file named at its group (read by
 * any). Everything runs on the loop thread.
 */
#ifndef WEGAUGE_DAEMON_INT_H
#define WEGAUGE_DAEMON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "budget.h"
#include "daemon.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "pull.h"
#include "schedule.h"

struct config;
struct event;
struct event_base;
struct metrics_server;
struct store;
struct storegate;
struct worker;
struct ws;
struct ws_config;

struct daemon {
	/* daemon.c: what lives as long as the process, set up at start */
	struct event_base *base;
	const struct daemon_args *args;
	struct config *cfg; /* the one live configuration (daemon_reload.c replaces it) */
	struct store *store;
	struct http *http;     /* the real engine (settings, free); pulls use env's */
	struct worker *worker; /* parses answers off the loop */
	struct notify notify;
	struct budget budget;
	struct metrics metrics;
	struct pull_env env; /* what every pull is handed (pull.h) */
	struct event *sig_term, *sig_int, *sig_hup, *sig_usr1;
	struct event *grace; /* shutdown_grace timer */
	bool stopping;       /* no new pulls (also set by daemon_writes.c when the store is lost) */
	int exit_code;
	int once_pending; /* --once: pulls still to finish (daemon_ws.c counts them down) */
	int once_failed;  /* --once: pulls that ended neither ok nor partial */

	/* daemon.c, daemon_reload.c: the workspaces, one per section, in configuration order */
	struct ws **ws;
	size_t n_ws;

	/* daemon_reload.c */
	uint64_t reloads, reloads_failed;

	/* daemon_admit.c */
	struct sched sched;   /* every scheduled workspace's next pull */
	struct event *settle; /* takes pull reports in, then admits (on_settle) */
	struct ws **ready;    /* due pulls held back by admission: a ring, oldest at ready_head */
	size_t ready_head, ready_n, ready_cap;
	mono_ms trimmed_ms; /* the last malloc_trim; 0: never */

	/* daemon_writes.c */
	struct event *flush;     /* commits the store's open group of writes */
	struct event *once_wait; /* --once: waits for a PostgreSQL store's queue to empty */
	uint64_t once_ops;       /* ... its writes at the last check */
	mono_ms once_progress;   /* ... when they last went down */
	struct storegate *gate;  /* may the loop write to the store now? */
	struct event *watch;     /* the store's directory changed (inotify), or its timer */
	int watch_fd;            /* the inotify descriptor, -1 when none */
	char store_lost[512];    /* the store file was deleted or replaced: why; "" while not */
	char **removed_pending;  /* workspaces to mark removed when the gate opens */
	size_t n_removed_pending;
	bool close_running_pending; /* interrupted pulls still to close (store locked at start) */
	struct log_rl store_rl;     /* rate limit of daemon-wide store errors */

	/* daemon_ws.c */
	struct ws *reports_head, *reports_tail; /* workspaces with a report (ws->report_next) */
	bool trim_due;                          /* a pull ended: daemon_admit.c may trim */
	struct ws **grouped; /* workspaces that wrote into the open group (ws->in_group) */
	size_t n_grouped, cap_grouped;

	/* daemon_fleet.c: the fleet's members and leases (NULL without [fleet]) */
	struct daemon_fleet *fleet;

	/* daemon_status.c (last_error also by whoever notes a daemon-wide error) */
	struct metrics_server *msrv;
	char last_error[256];
};

/* The HTTP engine's counters, from the engine the pulls are handed. */
static inline void daemon_http_stats(const struct daemon *d, struct http_stats *out)
{
	d->env.http_ops->get_stats(d->env.http, out);
}

/* --- daemon.c ------------------------------------------------------------- */

/*
 * Build d for args (d is overwritten): the loop and its signals, the
 * configuration, the store and its writes, the HTTP engine, the worker,
 * the pull environment, admission, the workspaces, the metrics listener;
 * then READY=1. 0 when running (turn d->base's loop), else the exit
 * status (EXIT_CONFIG, EXIT_RUNTIME; logged). daemon_stop(d) after
 * either. daemon_run does both around the loop; tests drive the loop
 * themselves.
 */
int daemon_start(struct daemon *d, const struct daemon_args *args);
/* Undo daemon_start, however far it got (see daemon.c). */
void daemon_stop(struct daemon *d);

/* --- daemon_fleet.c ------------------------------------------------------- */

/*
 * A fleet member (docs/operations.md, "Running a fleet"): the store was
 * opened with [fleet]; every lease/3 a heartbeat renews the leases held,
 * reads the members, and takes the leases of the workspaces this member
 * should own (fleet.h) that are free; one it should no longer own is given
 * back once its pull ended. A workspace is scheduled only while its lease
 * is held: from the row and pulls the store has when it is taken (a tick
 * the previous owner completed is not pulled again). A member whose
 * leases were not renewed for 2/3 of a lease starts no pull until the
 * store answers again (daemon_fleet_may_pull).
 */
/*
 * Right after the store's open: a fleet member's wall clock follows the
 * store's (the offset the open measured, nothing queued then), before any
 * stamp or tick.
 */
void daemon_fleet_clock(struct daemon *d);
/* Start the fleet when d->cfg has [fleet] (after the workspaces exist). 0, or -1 on OOM. */
int daemon_fleet_start(struct daemon *d);
/* Free what daemon_fleet_start made (the store gives the leases back at its close). */
void daemon_fleet_stop(struct daemon *d);
/* Whether w may start a pull now: always without a fleet; else w's lease is held and renewed. */
bool daemon_fleet_may_pull(struct daemon *d, const struct ws *w);
/* Whether the leases are renewed in time (true without a fleet). */
bool daemon_fleet_healthy(struct daemon *d);
/* "leases not renewed for 14 s: no new pulls" and the like; "" when healthy or no fleet. */
void daemon_fleet_note(struct daemon *d, char *buf, size_t len);
/* w leaves the configuration (reload): its lease is given back, its row left to others. */
void daemon_fleet_forget(struct daemon *d, struct ws *w);
/* After a reload applied nc (the workspaces changed): the member's list, again. */
void daemon_fleet_reloaded(struct daemon *d);
/* For /metrics. */
struct daemon_fleet_stats {
	bool on;
	uint64_t members; /* live, this one included */
	uint64_t owned;   /* leases held */
	uint64_t taken, lost, fenced, released;
	bool healthy;
};
void daemon_fleet_stats(struct daemon *d, struct daemon_fleet_stats *s);

/* --- daemon_status.c ------------------------------------------------------ */

/* Recount the states and hand systemd a fresh STATUS= line (rate-limited in notify.c). */
void daemon_status_update(struct daemon *d);
/* Note error (of workspace ws, NULL for none) as the last error STATUS= shows. */
void daemon_status_error(struct daemon *d, const char *ws, const char *error);
/*
 * Start, restart or stop the metrics listener to match c->metrics_listen.
 * 0, or -1 (logged) when the new listener cannot start: the old one stays.
 */
int daemon_status_listen(struct daemon *d, const struct config *c);
/* SIGUSR1: every workspace's state, its pull and the counters, to the log. */
void daemon_status_dump(struct daemon *d);

/* --- daemon_ws.c ---------------------------------------------------------- */

/*
 * The callbacks of d's pulls (pull.h, struct pull_report). They only
 * record: a report is queued on its workspace and d->settle activated;
 * daemon_ws_settle takes them in.
 */
struct pull_report daemon_ws_reports(struct daemon *d);
/*
 * Take in every report of the pulls, in the order they came: state,
 * failures and schedule of each workspace, its row, --once and stop
 * accounting. Starts no pull. Every daemon callback that looks at
 * workspaces calls it first, so that it sees them as if each report had
 * been taken in when it was made.
 */
void daemon_ws_settle(struct daemon *d);
/*
 * A runtime workspace for c, with what the store remembers: its pull
 * times and failures, and at start (restart) its settled state (see
 * docs/architecture.md, "What a restart keeps"). Not scheduled, not
 * saved. NULL on OOM.
 */
struct ws *daemon_ws_create(struct daemon *d, const struct ws_config *c, bool restart);
/*
 * Mirror w's state into its store row, unless it is the row last written
 * and not lost since; while the gate is closed (or the write fails) the
 * row is marked dirty, written by daemon_writes_deferred.
 */
void daemon_ws_save(struct daemon *d, struct ws *w);
/* A fleet member took w's lease: the store's row s becomes w's (as at a restart). */
struct store_ws_saved;
void daemon_ws_restore(struct daemon *d, struct ws *w, const struct store_ws_saved *s);
/* w's pull (pull_work) or only its row was written into the store's open group. */
void daemon_ws_wrote(struct daemon *d, struct ws *w, bool pull_work);
/* w is going away: the group must not name it. */
void daemon_ws_forget(struct daemon *d, struct ws *w);
/* The open group committed: nobody's writes are in an open group now. */
void daemon_ws_committed(struct daemon *d);
/*
 * The open group failed to commit (err): every workspace whose pull wrote
 * into it lost that work (cancelled, or its end written again, failing,
 * pulled again); one whose row alone was in it writes the row again.
 */
void daemon_ws_group_lost(struct daemon *d, const char *err);

/* --- daemon_writes.c ------------------------------------------------------ */

/*
 * The store's writes, once the store is open: group commits (a flush
 * timer), the gate (its lock hook here, on_open the caller's: admission
 * is above this file), the watch on the store's file, and the close of
 * the pulls the last stop interrupted. 0, or -1 on OOM.
 */
int daemon_writes_start(struct daemon *d,
                        void (*on_open)(void *arg, bool was_locked, int64_t locked_ms));
/*
 * Commit the open group now (after checking that the store's file is
 * still the one opened). 0; else the SQLite code: the failure is logged,
 * counted and what was lost handled (daemon_ws_group_lost), or the store
 * file is gone and the daemon stops.
 */
int daemon_writes_flush(struct daemon *d);
/*
 * --once: every pull has ended. Stop the loop once the store holds every
 * write: at once for SQLite (its writes are never behind); for a
 * PostgreSQL store, when its queue is empty, checked every 50 ms while
 * the queue keeps shrinking (or its connection is coming back) and given
 * up after DAEMON_ONCE_STALL_MS without progress (the drain after the loop
 * then says what was not stored).
 */
void daemon_writes_once_done(struct daemon *d);
/*
 * Write what the store could not take when it happened: the interrupted
 * pulls' close, the rows of removed workspaces, pull ends and workspace
 * rows. Whatever meets the lock again stays for the next opening.
 */
void daemon_writes_deferred(struct daemon *d);
/* Mark name removed in the store now, or, while the gate is closed, when it opens. */
void daemon_writes_removed(struct daemon *d, const char *name);
/* Remember to mark name removed when the gate opens (its row could not be written). */
void daemon_writes_removed_later(struct daemon *d, const char *name);

/* --- daemon_admit.c ------------------------------------------------------- */

/*
 * Admission. A due pull starts only while the store gate is open and
 * fewer than DAEMON_ADMIT_FACTOR * max_in_flight requests are in the HTTP
 * engine or answers in the worker (running or queued; a pull has at most
 * one of either, and a pull waiting on a timer has none); else it waits
 * in the ready queue, first in first out, and starts when a pull ends or
 * parks on a timer, or the gate opens. Without it, every pull due at
 * once (the first start, --once) would begin together, each holding its
 * rows and buffers until the last of them ends; with it, about
 * DAEMON_ADMIT_FACTOR * max_in_flight run at a time, enough to keep every
 * transfer slot busy, and each ends soon after it began (the figures:
 * docs/performance.md, "daemon: admit due pulls").
 */
#define DAEMON_ADMIT_FACTOR 4

/* The scheduler and the settle event. 0, or -1 on OOM. */
int daemon_admit_start(struct daemon *d);
/*
 * Empty the ready queue: with requeue, every workspace in it goes back to
 * the scheduler, due now (before a reload changes or frees workspaces);
 * without, it is dropped (stopping: no new pulls).
 */
void daemon_admit_drain(struct daemon *d, bool requeue);
/* The store gate opened (storegate.h's on_open): write what waited, then admit. */
void daemon_admit_gate_open(void *arg, bool was_locked, int64_t locked_ms);
/* Give the free heap back to the system now (after a reload). */
void daemon_admit_trim(struct daemon *d);

/* --- daemon_reload.c ------------------------------------------------------ */

/* SIGHUP: parse, validate, diff, apply; an invalid configuration changes nothing. */
void daemon_reload(struct daemon *d);
/* The HTTP engine's settings of configuration c. */
void daemon_reload_http_opts(const struct config *c, struct http_opts *o);
/*
 * Whether this process may open the descriptors configuration c needs
 * (fdlimit.h), raising the soft limit when only it is short. Logs the
 * raise, or the refusal (prefixed with what) naming every number.
 */
bool daemon_reload_descriptors_ok(struct daemon *d, const struct config *c, const char *what);

#endif
