/*
 * daemon.c: the life of wegauged (daemon.h): start, signals and the
 * graceful stop. daemon_run builds the one struct daemon (daemon_int.h)
 * on its stack: the loop, the configuration, the store and what guards
 * its writes (daemon_writes.c), the HTTP engine, the worker, the pull
 * environment every pull is handed (pull.h), admission and the scheduler
 * (daemon_admit.c), the workspaces with what the store remembers of them
 * (daemon_ws.c); then it turns the loop until a signal, --once or a lost
 * store stops it, and frees everything in reverse order. Signals arrive
 * as libevent events: SIGHUP reloads (daemon_reload.c), SIGUSR1 dumps the
 * state (daemon_status.c), SIGTERM and SIGINT stop (begin_stop).
 * Everything runs on the one loop thread.
 */
#include "daemon.h"

#include <curl/curl.h>

#include <event2/event.h>
#include <signal.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "clock.h"
#include "config.h"
#include "daemon_int.h"
#include "jarena.h"
#include "log.h"
#include "loopstat.h"
#include "rng.h"
#include "store.h"
#include "store_target.h"
#include "storegate.h"
#include "worker.h"
#include "ws.h"

/* --- start ------------------------------------------------------------------- */

/* --once --workspace: whether name was chosen (every workspace when none was named). */
static bool chosen(const struct daemon *d, const char *name)
{
	if (d->args->n_only == 0)
		return true;
	for (size_t i = 0; i < d->args->n_only; i++)
		if (strcmp(d->args->only[i], name) == 0)
			return true;
	return false;
}

/* Every workspace the store knows but the configuration does not: removed. */
static void mark_missing_removed_cb(const char *name, void *arg)
{
	struct daemon *d = arg;
	if (!config_find_ws(d->cfg, name))
		daemon_writes_removed(d, name);
}

/*
 * One struct ws per configured workspace, in configuration order (d->ws
 * owns them), each with what the store remembers of it, scheduled (at
 * start, or with --once due now when chosen) and its row saved; rows of
 * workspaces the configuration no longer has are marked removed. 0, or
 * -1 on OOM.
 */
static int start_workspaces(struct daemon *d)
{
	d->ws = calloc(d->cfg->n_ws ? d->cfg->n_ws : 1, sizeof(*d->ws));
	if (!d->ws)
		return -1;
	for (size_t i = 0; i < d->cfg->n_ws; i++) {
		const struct ws_config *c = &d->cfg->ws[i];
		struct ws *w = daemon_ws_create(d, c, true);
		if (!w)
			return -1;
		d->ws[d->n_ws++] = w;
		if (d->args->once) {
			ws_place_tick(w);
			if (c->enabled && chosen(d, c->name)) {
				d->once_pending++;
				ws_schedule_at(w, &d->sched, clock_mono_ms());
			}
		} else if (!d->cfg->fleet) {
			ws_schedule_first(w, &d->sched, false);
		} else {
			ws_place_tick(w); /* scheduled when its lease is taken (daemon_fleet.c) */
		}
		daemon_ws_save(d, w);
	}
	char err[256];
	/* In a fleet another member may pull what this one does not have: nothing is removed. */
	if (!d->cfg->fleet &&
	    store_ws_each_active(d->store, mark_missing_removed_cb, d, err, sizeof(err)) != 0)
		log_msg(LOGL_ERR, "could not list stored workspaces: %s", err);
	return 0;
}

/* --- stop and signals --------------------------------------------------------- */

/* Cancel every running pull (pull_cancel: its row ends cancelled with why). */
static void cancel_all(struct daemon *d, const char *why)
{
	for (size_t i = 0; i < d->n_ws; i++)
		pull_cancel(d->ws[i], why);
}

/* shutdown_grace is over: the pulls still running are cancelled and the loop stops. */
static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	daemon_ws_settle(d);
	log_msg(LOGL_NOTICE, "shutdown_grace over: cancelling the pulls still running");
	cancel_all(d, "daemon stopped");
	event_base_loopbreak(d->base);
}

/*
 * SIGTERM or SIGINT (why): no new pulls; the running ones may finish
 * within shutdown_grace (the loop stops when the last one is taken in,
 * daemon_ws.c). A second signal stops at once.
 */
static void begin_stop(struct daemon *d, const char *why)
{
	if (d->stopping) {
		log_msg(LOGL_NOTICE, "%s again: stopping now", why);
		cancel_all(d, "daemon stopped");
		event_base_loopbreak(d->base);
		return;
	}
	d->stopping = true;
	daemon_admit_drain(d, false);
	notify_stopping(&d->notify);
	log_msg(LOGL_NOTICE, "%s: stopping; no new pulls", why);
	for (size_t i = 0; i < d->n_ws; i++)
		ws_unschedule(d->ws[i], &d->sched);
	bool busy = false;
	for (size_t i = 0; i < d->n_ws && !busy; i++)
		busy = d->ws[i]->pull != NULL;
	if (!busy) {
		event_base_loopbreak(d->base);
		return;
	}
	int64_t g = d->cfg->shutdown_grace_ms;
	struct timeval tv = {.tv_sec = g / 1000, .tv_usec = (g % 1000) * 1000};
	d->grace = evtimer_new(d->base, on_grace, d);
	if (!d->grace || evtimer_add(d->grace, &tv) != 0) {
		cancel_all(d, "daemon stopped");
		event_base_loopbreak(d->base);
	}
}

/* Every signal, on the loop: pending reports first, then what the signal asks. */
static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct daemon *d = arg;
	mono_us t0 = loopstat_begin();
	daemon_ws_settle(d);
	switch (sig) {
	case SIGTERM:
		begin_stop(d, "SIGTERM");
		break;
	case SIGINT:
		begin_stop(d, "SIGINT");
		break;
	case SIGHUP:
		if (d->stopping || d->args->once)
			log_msg(LOGL_NOTICE, "SIGHUP ignored while %s",
			        d->stopping ? "stopping" : "running --once");
		else
			daemon_reload(d);
		break;
	case SIGUSR1:
		daemon_status_dump(d);
		break;
	default:
		break;
	}
	loopstat_end(t0, sig == SIGHUP ? "reload" : "signal");
}

/* --- run -------------------------------------------------------------------- */

/*
 * Everything daemon_start made, undone in reverse order: pending reports
 * taken in, running pulls cancelled, what waited for the store written,
 * every workspace's row saved, then everything freed. Safe on a daemon
 * whose start stopped half way.
 */
void daemon_stop(struct daemon *d)
{
	daemon_ws_settle(d); /* what pulls reported before the loop stopped */
	if (d->http)
		cancel_all(d, "daemon stopped");
	if (d->gate && !d->store_lost[0])
		daemon_writes_deferred(d); /* what a full disk refused, before the store closes */
	if (d->sched.timer)
		sched_free(&d->sched); /* before the workspaces: it writes into their items */
	for (size_t i = 0; i < d->n_ws; i++) {
		if (d->store && d->ws[i]->state != WS_REMOVED) {
			d->ws[i]->next_pull_at = 0;
			daemon_ws_save(d, d->ws[i]);
		}
		daemon_ws_forget(d, d->ws[i]);
		ws_free(d->ws[i]);
	}
	daemon_fleet_stop(d);
	free(d->ws);
	free(d->ready);
	free(d->grouped);
	metrics_server_free(d->msrv);
	http_free(d->http);
	worker_free(d->worker); /* after cancel_all: its jobs were let go */
	storegate_free(d->gate);
	store_close(d->store);
	if (d->watch)
		event_free(d->watch);
	if (d->watch_fd >= 0)
		close(d->watch_fd);
	for (size_t i = 0; i < d->n_removed_pending; i++)
		free(d->removed_pending[i]);
	free(d->removed_pending);
	struct event *evs[] = {d->sig_term, d->sig_int, d->sig_hup, d->sig_usr1,
	                       d->grace,    d->flush,   d->settle,  d->once_wait};
	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i])
			event_free(evs[i]);
	notify_free(&d->notify);
	config_free(d->cfg);
	if (d->base)
		event_base_free(d->base);
}

/* A persistent libevent signal event for sig, added; NULL on failure. */
static struct event *add_signal(struct daemon *d, int sig)
{
	struct event *ev = evsignal_new(d->base, sig, on_signal, d);
	if (ev && event_add(ev, NULL) != 0) {
		event_free(ev);
		ev = NULL;
	}
	return ev;
}

int daemon_start(struct daemon *d, const struct daemon_args *args)
{
	*d = (struct daemon){.args = args, .watch_fd = -1};
	signal(SIGPIPE, SIG_IGN);
	jarena_install(); /* before jansson allocates anything */
	/*
	 * SQLite's memory statistics (unused here) take a global mutex on
	 * every allocation; off before SQLite initializes (fails harmlessly
	 * if it already did).
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

	event_set_log_callback(log_libevent); /* rate-limited, into our log */
	/* Signals first: nothing below may be killed by an early SIGHUP. */
	d->base = event_base_new();
	if (!d->base) {
		fprintf(stderr, "wegauged: could not create the event loop\n");
		return EXIT_RUNTIME;
	}
	d->sig_term = add_signal(d, SIGTERM);
	d->sig_int = add_signal(d, SIGINT);
	d->sig_hup = add_signal(d, SIGHUP);
	d->sig_usr1 = add_signal(d, SIGUSR1);
	if (!d->sig_term || !d->sig_int || !d->sig_hup || !d->sig_usr1) {
		fprintf(stderr, "wegauged: could not install signal handlers\n");
		return EXIT_RUNTIME;
	}

	struct config_errors errs = {0};
	if (config_load(args->config_path, &d->cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "wegauged: %s\n", errs.msg[i]);
		config_errors_free(&errs);
		return EXIT_CONFIG;
	}
	/*
	 * --once would pull without a lease and write without a fence beside
	 * the members: a tick pulled twice. Exit 78: the command or the
	 * configuration must change.
	 */
	if (args->once && d->cfg->fleet) {
		fprintf(stderr,
		        "wegauged: --once cannot run as a fleet member: it would pull without "
		        "leases or fencing beside the fleet's members ([fleet] in %s); run "
		        "--once with a configuration without [fleet]\n",
		        args->config_path);
		return EXIT_CONFIG;
	}
	for (size_t i = 0; i < args->n_only; i++) {
		if (!config_find_ws(d->cfg, args->only[i])) {
			fprintf(stderr, "wegauged: --workspace %s: no such workspace in %s\n",
			        args->only[i], args->config_path);
			return EXIT_CONFIG;
		}
	}
	log_init(d->cfg->log_level);
	/* Exit 78: a restart cannot help, the limit or the configuration must change. */
	if (!daemon_reload_descriptors_ok(d, d->cfg, "")) {
		return EXIT_CONFIG;
	}
	rng_seed();
	budget_init(&d->budget, d->cfg->retry_budget_pct);
	if (!(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_ASYNCHDNS))
		log_msg(LOGL_WARNING,
		        "libcurl resolves names synchronously: a slow DNS server can "
		        "stall the event loop; use a libcurl with the threaded resolver");
	notify_init(&d->notify, d->base);

	char err[512];
	struct store_opts so = {
	        .synchronous = d->cfg->sqlite_synchronous,
	        .busy_timeout_ms = d->cfg->sqlite_busy_timeout_ms,
	        .journal_size_limit = d->cfg->sqlite_journal_size_limit,
	        .base = d->base,
	        .password = d->cfg->database_password,
	        .queue_max = d->cfg->store_queue_max,
	        .fleet_member = d->cfg->fleet ? d->cfg->fleet_member : NULL,
	        .fleet_lease_ms = d->cfg->fleet_lease_ms,
	};
	char shown[1024];
	store_target_show(d->cfg->database, shown, sizeof(shown));
	if (store_open(&d->store, d->cfg->database, &so, err, sizeof(err)) != 0) {
		log_msg(LOGL_ERR, "cannot open the store %s: %s", shown, err);
		return EXIT_RUNTIME;
	}
	daemon_fleet_clock(d);
	if (daemon_writes_start(d, daemon_admit_gate_open) != 0) {
		log_msg(LOGL_ERR, "out of memory starting up");
		return EXIT_RUNTIME;
	}

	struct http_opts ho;
	daemon_reload_http_opts(d->cfg, &ho);
	d->http = http_new(d->base, &ho);
	d->worker = worker_new(d->base);
	d->env = (struct pull_env){
	        .base = d->base,
	        .store = d->store,
	        .gate = d->gate,
	        .http_ops = &http_engine_ops,
	        .http = d->http,
	        .worker = d->worker,
	        .budget = &d->budget,
	        .metrics = &d->metrics,
	        .cfg = d->cfg,
	        .report = daemon_ws_reports(d),
	};
	if (!d->http || !d->worker || daemon_admit_start(d) != 0 || start_workspaces(d) != 0) {
		log_msg(LOGL_ERR, "out of memory starting up");
		return EXIT_RUNTIME;
	}
	if (!args->once && daemon_status_listen(d, d->cfg) != 0) {
		return EXIT_RUNTIME;
	}
	if (!args->once && daemon_fleet_start(d) != 0)
		return EXIT_RUNTIME;
	/* What start-up wrote (interrupted pulls closed, workspace rows) is visible by READY=1. */
	daemon_writes_flush(d);
	log_msg(LOGL_NOTICE, "wegauged %s: %zu workspace%s, store %s%s", WEGAUGE_VERSION, d->n_ws,
	        d->n_ws == 1 ? "" : "s", shown, args->once ? ", --once" : "");
	notify_ready(&d->notify);
	daemon_status_update(d);
	return 0;
}

int daemon_run(const struct daemon_args *args)
{
	struct daemon dd, *d = &dd;
	int rc = daemon_start(d, args);
	if (rc != 0) {
		daemon_stop(d);
		return rc;
	}
	if (!args->once || d->once_pending > 0)
		event_base_dispatch(d->base);
	daemon_ws_settle(d); /* the loop may stop between a report and its settle */
	int flushed = daemon_writes_flush(d);
	char err[512];
	if (store_drain(d->store, err, sizeof(err)) != 0) { /* a PostgreSQL store's queue */
		log_msg(LOGL_ERR, "%s", err);
		flushed = -1;
	}

	if (args->once)
		d->exit_code = (d->once_failed > 0 || d->once_pending > 0 || flushed != 0 ||
		                d->store_lost[0])
		                       ? EXIT_RUNTIME
		                       : 0;
	struct store_queue_stats qs;
	store_queue_stats(d->store, &qs);
	if (!qs.pg)
		log_msg(LOGL_NOTICE, "store: %" PRIu64 " pages written to the WAL since the start",
		        qs.wal_pages);
	log_msg(LOGL_NOTICE, "stopped");
	rc = d->exit_code;
	daemon_stop(d);
	return rc;
}
