/*
 * daemon_writes.c: the daemon's writes to the store (daemon_int.h), and
 * what guards them. Writes are grouped: the first write opens one
 * transaction that commits STORE_GROUP_MS later (daemon_writes_flush), so
 * that many pulls pay one commit; a group that fails is answered per
 * workspace by daemon_ws_group_lost. What the store could not take when
 * it happened (locked by another process, full, read-only) waits here and
 * is written when the store gate opens or a commit works again
 * (daemon_writes_deferred). The gate's lock hook says when another
 * process's lock begins an episode; its open hook is admission's. And the
 * store's file is watched: deleted or replaced under the daemon, it stops
 * the daemon (exit status 1) so that systemd starts it on the new file.
 */
#include "daemon_int.h"
#include "store_target.h"

#include <event2/event.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "log.h"
#include "loopstat.h"
#include "store.h"
#include "storegate.h"
#include "ws.h"

/*
 * Writes to the store are grouped (store_group_on): a group opens with the
 * first write and commits STORE_GROUP_MS later, so that a busy daemon pays
 * one commit for many pulls, and an idle one commits each pull soon after
 * it ends. While due pulls wait for admission (a backlog: the first start,
 * --once, a long outage's end), a group commits STORE_GROUP_BUSY_MS later
 * instead: every pull writes a few pages of bookkeeping (its pull row, its
 * workspace row, index entries) that a longer group shares among more
 * pulls, so that a re-pull of unchanged data writes a tenth of the pages
 * (docs/performance.md, "Writes proportional to change"). A crash loses at
 * most the last group (the store stays consistent; the pulls run again).
 */
#define STORE_GROUP_MS      100
#define STORE_GROUP_BUSY_MS 1000

static void file_lost(struct daemon *d, const char *why);

/* Commit the open group now; a failure is logged and counted (what was lost is said). */
int daemon_writes_flush(struct daemon *d)
{
	char err[256], lost[512];
	if (store_identity_check(d->store, lost, sizeof(lost)) != 0) {
		file_lost(d, lost);
		return SQLITE_NOTFOUND;
	}
	bool recovering = d->metrics.store_rc != 0;
	int rc = store_flush(d->store, err, sizeof(err));
	metrics_store(&d->metrics, rc, err);
	if (rc == 0) {
		metrics_store_committed(&d->metrics);
		daemon_ws_committed(d);
		if (recovering)
			daemon_writes_deferred(d); /* into a new group, committed soon */
		return 0;
	}
	log_ws(&d->store_rl, LOGL_ERR, NULL, 0, "%s", err);
	snprintf(d->last_error, sizeof(d->last_error), "%s", err);
	daemon_ws_group_lost(d, err);
	return rc;
}

/*
 * The flush timer: commit the open group, or, while a stream committed in
 * slices holds the gate, try again STORE_GROUP_MS later.
 */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	mono_us t0 = loopstat_begin();
	daemon_ws_settle(d);
	if (storegate_held(d->gate)) {
		/* A stream commit in slices is in the group: commit after its last slice. */
		struct timeval tv = {.tv_sec = 0, .tv_usec = STORE_GROUP_MS * 1000L};
		evtimer_add(d->flush, &tv);
	} else {
		daemon_writes_flush(d);
	}
	loopstat_end(t0, "store flush");
}

/*
 * The store opened a group: commit it STORE_GROUP_MS from now
 * (STORE_GROUP_BUSY_MS with a backlog), or at once without a timer.
 */
static void on_group_opened(void *arg)
{
	struct daemon *d = arg;
	long ms = d->ready_n > 0 ? STORE_GROUP_BUSY_MS : STORE_GROUP_MS;
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	if (evtimer_add(d->flush, &tv) != 0)
		event_active(d->flush, 0, 0);
}

/* --- what waits for the store ----------------------------------------------- */

/* Remember to mark name removed when the gate opens. */
void daemon_writes_removed_later(struct daemon *d, const char *name)
{
	char **grown = realloc(d->removed_pending, (d->n_removed_pending + 1) * sizeof(*grown));
	char *copy = strdup(name);
	if (!grown || !copy) {
		if (grown)
			d->removed_pending = grown;
		free(copy);
		log_ws(NULL, LOGL_ERR, name, 0, "out of memory: its row stays as it was");
		return;
	}
	d->removed_pending = grown;
	d->removed_pending[d->n_removed_pending++] = copy;
}

/* Mark name removed in the store now, or, while the gate is closed, when it opens. */
void daemon_writes_removed(struct daemon *d, const char *name)
{
	char err[256];
	if (!storegate_is_open(d->gate)) {
		daemon_writes_removed_later(d, name);
		return;
	}
	int rc = store_ws_set_state(d->store, name, "removed", "not in the configuration", err,
	                            sizeof(err));
	if (storegate_failed(d->gate, rc, err))
		daemon_writes_removed_later(d, name);
	else if (rc != 0)
		log_ws(NULL, LOGL_ERR, name, 0, "could not mark removed: %s", err);
	else
		log_ws(NULL, LOGL_NOTICE, name, 0, "removed: no longer in the configuration");
}

/* The pulls interrupted by the last stop are marked cancelled (now, or when the gate opens). */
static void close_running(struct daemon *d)
{
	char err[512];
	int n_closed = 0;
	d->close_running_pending = false;
	int rc = store_pull_close_running(d->store, clock_wall_s(), &n_closed, err, sizeof(err));
	if (storegate_failed(d->gate, rc, err))
		d->close_running_pending = true;
	else if (rc != 0)
		log_msg(LOGL_ERR, "could not close interrupted pulls: %s", err);
	else if (n_closed)
		log_msg(LOGL_NOTICE, "%d pulls interrupted by the last stop marked cancelled",
		        n_closed);
}

/*
 * Write what the store could not take when it happened: the interrupted
 * pulls' close, the rows of removed workspaces, pull ends and workspace
 * rows. When the gate opens, and when a commit works again after failed
 * ones (a full disk freed): a pull row must not stay `running` until its
 * workspace's next pull, nor until the next start.
 */
void daemon_writes_deferred(struct daemon *d)
{
	if (d->close_running_pending && storegate_is_open(d->gate))
		close_running(d);
	char **names = d->removed_pending;
	size_t n = d->n_removed_pending;
	d->removed_pending = NULL;
	d->n_removed_pending = 0;
	for (size_t i = 0; i < n; i++) {
		daemon_writes_removed(d, names[i]);
		free(names[i]);
	}
	free(names);
	for (size_t i = 0; i < d->n_ws && storegate_is_open(d->gate); i++) {
		struct ws *w = d->ws[i];
		if (!w->pull)
			pull_record_late(&d->env, w);
		if (w->row_dirty)
			daemon_ws_save(d, w);
	}
}

/* A write met another process's lock: one line for the episode (storegate.h). */
static void gate_locked(void *arg, const char *err)
{
	struct daemon *d = arg;
	struct store_queue_stats qs;
	store_queue_stats(d->store, &qs);
	if (qs.pg)
		log_msg(LOGL_WARNING,
		        "%s: pulls are held and writes wait until it is back; the loop does not "
		        "wait for it",
		        err);
	else
		log_msg(LOGL_WARNING,
		        "store locked by another process (%s): pulls are held and writes wait "
		        "until "
		        "it is free; the loop does not wait for it",
		        err);
	daemon_status_update(d);
}

/* --- the store's file ------------------------------------------------------- */

/*
 * The store file was deleted or replaced under the daemon (store.h,
 * store_identity_check): whatever it writes from now on goes into a file
 * nobody reads. Say so loudly and stop at once with exit status 1, so that
 * systemd (Restart=on-failure) starts wegauged again on the store at its
 * path; no pull ends ok meanwhile (every running one is cancelled).
 * Reopening in place was the alternative; a restart is simpler and does
 * every check of a start (integrity, migrations) on the new file.
 */
static void file_lost(struct daemon *d, const char *why)
{
	if (d->store_lost[0])
		return;
	snprintf(d->store_lost, sizeof(d->store_lost), "%s", why);
	log_msg(LOGL_ERR,
	        "%s: stopping now (exit status 1) so that wegauged starts again on the store at "
	        "that path",
	        why);
	d->exit_code = EXIT_RUNTIME;
	daemon_status_update(d);
	d->stopping = true; /* admission starts nothing more; held pulls stay held */
	for (size_t i = 0; i < d->n_ws; i++) {
		ws_unschedule(d->ws[i], &d->sched);
		pull_cancel(d->ws[i], "the store file was deleted or replaced");
	}
	event_base_loopbreak(d->base);
}

/* Something happened in the store's directory (inotify), or the fallback timer fired. */
static void on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	mono_us t0 = loopstat_begin();
	daemon_ws_settle(d);
	if (what & EV_READ) {
		char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
		while (read(fd, buf, sizeof(buf)) > 0)
			; /* drained: which name it was does not matter, one stat() tells */
	}
	char err[512];
	if (store_identity_check(d->store, err, sizeof(err)) != 0)
		file_lost(d, err);
	loopstat_end(t0, "store watch");
}

/*
 * Watch the store's directory, so that a store deleted or replaced is
 * seen at once (and at every commit, daemon_writes_flush). Without inotify
 * (no descriptor, or a system call filter that refuses it), a timer
 * checks every STORE_WATCH_MS instead.
 */
#define STORE_WATCH_MS 30000
static void watch_store(struct daemon *d)
{
	d->watch_fd = -1;
	if (strcmp(d->cfg->database, ":memory:") == 0 || store_target_is_pg(d->cfg->database))
		return; /* no file to watch */
	char *copy = strdup(d->cfg->database);
	int fd = copy ? inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
	if (fd >= 0 && inotify_add_watch(fd, dirname(copy),
	                                 IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE |
	                                         IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close(fd);
		fd = -1;
	}
	free(copy);
	if (fd >= 0) {
		d->watch = event_new(d->base, fd, EV_READ | EV_PERSIST, on_watch, d);
		if (d->watch && event_add(d->watch, NULL) == 0) {
			d->watch_fd = fd;
			return;
		}
		close(fd);
	}
	if (d->watch)
		event_free(d->watch);
	d->watch = event_new(d->base, -1, EV_PERSIST, on_watch, d);
	struct timeval tv = {.tv_sec = STORE_WATCH_MS / 1000, .tv_usec = 0};
	if (!d->watch || event_add(d->watch, &tv) != 0)
		log_msg(LOGL_WARNING, "cannot watch the store file; a deleted store is seen at "
		                      "the next commit");
}

/* The longest --once waits for a PostgreSQL store's queue without seeing it shrink. */
#define DAEMON_ONCE_STALL_MS 30000

static void once_check(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	daemon_writes_once_done(arg);
}

void daemon_writes_once_done(struct daemon *d)
{
	struct store_queue_stats qs;
	store_queue_stats(d->store, &qs);
	mono_ms now = clock_mono_ms();
	if (!qs.pg || qs.ops == 0) {
		event_base_loopbreak(d->base);
		return;
	}
	if (!d->once_wait) {
		d->once_wait = evtimer_new(d->base, once_check, d);
		d->once_ops = qs.ops;
		d->once_progress = now;
		log_msg(LOGL_NOTICE,
		        "--once: every pull ended; waiting for %" PRIu64
		        " writes to reach the PostgreSQL store",
		        qs.ops);
	}
	if (qs.ops < d->once_ops)
		d->once_progress = now;
	d->once_ops = qs.ops;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 50 * 1000};
	if (!d->once_wait || now - d->once_progress > DAEMON_ONCE_STALL_MS ||
	    evtimer_add(d->once_wait, &tv) != 0)
		event_base_loopbreak(d->base); /* the drain says what is left */
}

int daemon_writes_start(struct daemon *d,
                        void (*on_open)(void *arg, bool was_locked, int64_t locked_ms))
{
	d->flush = evtimer_new(d->base, on_flush, d);
	if (!d->flush)
		return -1;
	store_group_on(d->store, on_group_opened, d);
	const struct storegate_hooks gh = {.on_locked = gate_locked, .on_open = on_open, .arg = d};
	d->gate = storegate_new(d->base, d->store, d->cfg->sqlite_busy_timeout_ms, &gh);
	if (!d->gate)
		return -1;
	watch_store(d);
	close_running(d);
	return 0;
}
