/*
 * daemon_reload.c: SIGHUP (daemon_int.h). The new configuration is read
 * with the running one as the cache of what did not change
 * (config_load_hint) and checked whole before anything changes; then it is
 * diffed with the running workspaces by name and applied: removed ones
 * end, changed ones are moved onto their new sections by the rules of
 * docs/architecture.md ("Reload"), added ones are created and pulled at
 * once, and the daemon-wide settings (HTTP limits, log level, busy
 * timeout, retry budget, metrics listener) take effect. Also the two
 * checks of a configuration that a start shares with it.
 */
#include "daemon_int.h"
#include "store_target.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "fdlimit.h"
#include "log.h"
#include "rng.h"
#include "storegate.h"
#include "ws.h"

void daemon_reload_http_opts(const struct config *c, struct http_opts *o)
{
	*o = (struct http_opts){
	        .max_in_flight = c->max_in_flight,
	        .max_per_host = c->max_per_host,
	        .connect_timeout_ms = c->connect_timeout_ms,
	        .request_timeout_ms = c->request_timeout_ms,
	        .max_response = c->max_response,
	        .low_speed_limit = (long)c->low_speed_limit,
	        .low_speed_time_ms = c->low_speed_time_ms,
	        .ca_file = c->ca_file,
	};
}

/*
 * Whether this process may open the descriptors configuration c needs
 * (fdlimit.h), raising the soft limit when only it is short. Logs the
 * raise, or the refusal (prefixed with what) naming every number.
 */
bool daemon_reload_descriptors_ok(struct daemon *d, const struct config *c, const char *what)
{
	struct fdlimit_budget b;
	char err[512];
	long old = 0;
	fdlimit_budget_of(c, c->metrics_listen && !d->args->once, &b);
	int rc = fdlimit_check(&b, true, &old, err, sizeof(err));
	if (rc < 0)
		log_msg(LOGL_ERR, "%s%s (`wegauged -t` checks the same)", what, err);
	else if (rc > 0)
		log_msg(LOGL_INFO, "open files: soft limit raised from %ld to %d, the budget", old,
		        b.total);
	return rc >= 0;
}

/* --- the diff ---------------------------------------------------------------- */

/* The key, license code, host or paths changed: what was probed no longer holds. */
static bool identity_changed(const struct ws_config *a, const struct ws_config *b)
{
	if (strcmp(a->fingerprint, b->fingerprint) != 0 ||
	    strcmp(a->license_code, b->license_code) != 0 || strcmp(a->base_url, b->base_url) != 0)
		return true;
	for (int i = 0; i < PATH_COUNT; i++)
		if (strcmp(a->paths[i], b->paths[i]) != 0)
			return true;
	return false;
}

/*
 * Move one existing workspace onto its new configuration c (see the
 * reload rules in docs/architecture.md). The caller then saves its row,
 * which daemon_ws_save writes only when it differs from the one last
 * written, so that a reload costs writes only for what it changed
 * (docs/performance.md).
 */
static void reload_one(struct daemon *d, struct ws *w, const struct ws_config *c)
{
	const struct ws_config *old = w->cfg;
	bool ident = identity_changed(old, c);
	bool was_enabled = old->enabled;
	if (ident || !c->enabled)
		pull_cancel(w, ident ? "key or endpoint changed by reload" : "disabled by reload");
	if (ident) {
		if (ws_apply_config(w, c) != 0) {
			/* Keep the workspace, but it cannot authenticate: say so. */
			w->cfg = c;
			ws_set_state(w, WS_FAILING, "out of memory applying the new key");
			ws_unschedule(w, &d->sched);
			return;
		}
		w->key_ok = false;
	} else {
		w->cfg = c; /* same key and host: the header lists stay valid */
	}
	if (!c->enabled) {
		ws_set_state(w, WS_DISABLED, NULL);
		ws_unschedule(w, &d->sched);
		return;
	}
	if (ident || !was_enabled || w->state == WS_AUTH_FAILED) {
		/* Reconnect: probe again and pull at once. */
		w->key_ok = false;
		ws_set_state(w, WS_PENDING, NULL);
		ws_place_tick(w);
		if (!w->pull)
			ws_schedule_at(w, &d->sched, clock_mono_ms());
		return;
	}
	if (c->interval_ms != w->interval_ms) {
		ws_place_tick(w);
		if (!w->pull)
			ws_schedule_at(w, &d->sched,
			               sched_jittered(w->tick_ms, c->jitter_ms, rng_next()));
	}
}

/*
 * The index in d->cfg->ws of the section of the running workspace w, or
 * SIZE_MAX. w->cfg points into d->cfg->ws (start and reload set it so), which
 * gives the index without a lookup; config_find_ws by name is the fallback
 * should that ever not hold.
 */
static size_t old_ws_slot(const struct daemon *d, const struct ws *w)
{
	uintptr_t base = (uintptr_t)d->cfg->ws, at = (uintptr_t)w->cfg;
	size_t sz = sizeof(*d->cfg->ws);
	if (at >= base && at - base < d->cfg->n_ws * sz && (at - base) % sz == 0)
		return (at - base) / sz;
	const struct ws_config *oc = config_find_ws(d->cfg, w->cfg->name);
	return oc ? (size_t)(oc - d->cfg->ws) : SIZE_MAX;
}

/*
 * Match the new configuration nc with the running workspaces, with one
 * name lookup per new section (config_find_ws: a hash table; why not a
 * search or a sort: docs/performance.md, "The reload"). match[i] (nc->n_ws
 * entries) gets the running workspace of nc->ws[i], or NULL for an added
 * one; by_cfg (d->cfg->n_ws entries, zeroed) is left holding, at their
 * old sections' indexes, exactly the workspaces nc no longer has.
 */
static void reload_match(struct daemon *d, const struct config *nc, struct ws **match,
                         struct ws **by_cfg)
{
	for (size_t i = 0; i < d->n_ws; i++) {
		size_t k = old_ws_slot(d, d->ws[i]);
		if (k != SIZE_MAX)
			by_cfg[k] = d->ws[i];
	}
	for (size_t i = 0; i < nc->n_ws; i++) {
		const struct ws_config *oc = config_find_ws(d->cfg, nc->ws[i].name);
		size_t k = oc ? (size_t)(oc - d->cfg->ws) : 0;
		match[i] = oc ? by_cfg[k] : NULL;
		if (oc)
			by_cfg[k] = NULL;
	}
}

/*
 * A reload that changes nothing: counted as failed, why (NULL: none) as
 * the last error, nc (may be NULL) freed, and READY=1 again.
 */
static void reload_refused(struct daemon *d, struct config *nc, const char *why)
{
	d->reloads_failed++;
	if (why)
		snprintf(d->last_error, sizeof(d->last_error), "%s", why);
	config_free(nc);
	notify_ready(&d->notify);
	daemon_status_update(d);
}

/*
 * Read and check the new configuration, with the running one as the cache
 * of the files that did not change. NULL when it cannot be applied (the
 * reload is then refused, logged and said).
 */
static struct config *reload_read(struct daemon *d)
{
	struct config *nc = NULL;
	struct config_errors errs = {0};
	char why[sizeof(d->last_error)];
	if (config_load_hint(d->args->config_path, d->cfg, &nc, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_msg(LOGL_ERR, "reload: %s", errs.msg[i]);
		snprintf(why, sizeof(why), "reload failed, old configuration kept: %s",
		         errs.n ? errs.msg[0] : "?");
		config_errors_free(&errs);
		reload_refused(d, NULL, why);
		return NULL;
	}
	if (strcmp(nc->database, d->cfg->database) != 0) {
		char was[1024], now[1024];
		store_target_show(d->cfg->database, was, sizeof(was));
		store_target_show(nc->database, now, sizeof(now));
		log_msg(LOGL_ERR,
		        "reload: database changed from %s to %s; that needs a restart, old "
		        "configuration kept",
		        was, now);
		reload_refused(d, nc, "reload refused: database changed, restart needed");
		return NULL;
	}
	bool fleet_same = nc->fleet == d->cfg->fleet &&
	                  (!nc->fleet || (strcmp(nc->fleet_member, d->cfg->fleet_member) == 0 &&
	                                  nc->fleet_lease_ms == d->cfg->fleet_lease_ms));
	if (!fleet_same) {
		log_msg(LOGL_ERR,
		        "reload: [fleet] changed; that needs a restart, old configuration "
		        "kept");
		reload_refused(d, nc, "reload refused: [fleet] changed, restart needed");
		return NULL;
	}
	if (!daemon_reload_descriptors_ok(d, nc, "reload: ")) {
		reload_refused(d, nc,
		               "reload refused: not enough descriptors, old configuration kept");
		return NULL;
	}
	return nc;
}

/*
 * End the workspaces the new configuration no longer has: what
 * reload_match left in by_cfg, in the old configuration's order. Ended
 * first, while d->ws is whole; then freed as the rest move down, in one
 * pass, however many go at once.
 */
static void reload_remove(struct daemon *d, struct ws **by_cfg)
{
	for (size_t k = 0; k < d->cfg->n_ws; k++) {
		struct ws *w = by_cfg[k];
		if (!w)
			continue;
		pull_cancel(w, "workspace removed by reload");
		ws_unschedule(w, &d->sched);
		daemon_fleet_forget(d, w); /* another member may still pull it: no row written */
		ws_set_state(w, WS_REMOVED, "not in the configuration");
		daemon_ws_save(d, w);
		if (w->row_dirty) /* the gate is closed, and w goes away now */
			daemon_writes_removed_later(d, w->cfg->name);
		log_ws(NULL, LOGL_NOTICE, w->cfg->name, 0, "removed; its history is kept");
		daemon_ws_forget(d, w);
	}
	size_t kept = 0;
	for (size_t i = 0; i < d->n_ws; i++) {
		if (d->ws[i]->state == WS_REMOVED)
			ws_free(d->ws[i]); /* only the loop above sets WS_REMOVED */
		else
			d->ws[kept++] = d->ws[i];
	}
	d->n_ws = kept;
}

/*
 * The changed, unchanged and added workspaces of nc, in its order, into
 * order (nc->n_ws entries; match from reload_match). Returns how many (an
 * added one without memory is left out, logged).
 */
static size_t reload_apply(struct daemon *d, const struct config *nc, struct ws **match,
                           struct ws **order)
{
	size_t n = 0;
	for (size_t i = 0; i < nc->n_ws; i++) {
		const struct ws_config *c = &nc->ws[i];
		struct ws *w = match[i];
		if (w) {
			reload_one(d, w, c);
		} else {
			w = daemon_ws_create(d, c, false);
			if (!w) {
				log_ws(NULL, LOGL_ERR, c->name, 0,
				       "out of memory adding the workspace");
				continue;
			}
			log_ws(NULL, LOGL_NOTICE, c->name, 0, "added");
			ws_schedule_first(w, &d->sched, true);
		}
		order[n++] = w;
		/*
		 * Every workspace: one whose pulls are unchanged may still have
		 * a new seat_price or currency for its row. daemon_ws_save writes
		 * only a row that differs from the one it last wrote.
		 */
		daemon_ws_save(d, w);
	}
	return n;
}

/* nc's daemon-wide settings take effect: for transfers, writes and retries from now on. */
static void reload_settings(struct daemon *d, const struct config *nc)
{
	struct http_opts ho;
	daemon_reload_http_opts(nc, &ho);
	http_set_opts(d->http, &ho);
	log_set_level(nc->log_level);
	storegate_set_busy_timeout(d->gate, nc->sqlite_busy_timeout_ms);
	d->budget.ratio_pct = nc->retry_budget_pct;
	if (daemon_status_listen(d, nc) != 0)
		log_msg(LOGL_ERR, "reload: metrics stay on %s",
		        d->msrv ? metrics_server_listen(d->msrv) : "(off)");
}

/*
 * SIGHUP: parse, validate, diff, apply. An invalid configuration changes
 * nothing. Signals that arrive meanwhile are queued by libevent and run
 * this again once it returns: coalesced, never lost.
 */
void daemon_reload(struct daemon *d)
{
	mono_us t0 = clock_mono_us();
	notify_reloading(&d->notify);
	d->reloads++;
	daemon_admit_drain(d, true);
	log_msg(LOGL_NOTICE, "reloading %s", d->args->config_path);
	struct config *nc = reload_read(d);
	mono_us t_load = clock_mono_us();
	if (!nc)
		return;
	/* Everything that can fail for want of memory, before anything changes. */
	struct ws **order = calloc(nc->n_ws ? nc->n_ws : 1, sizeof(*order));
	struct ws **by_cfg = calloc(d->cfg->n_ws ? d->cfg->n_ws : 1, sizeof(*by_cfg));
	struct ws **match = calloc(nc->n_ws ? nc->n_ws : 1, sizeof(*match));
	if (!order || !by_cfg || !match) {
		free(order);
		free(by_cfg);
		free(match);
		log_msg(LOGL_ERR, "reload: out of memory, old configuration kept");
		reload_refused(d, nc, NULL);
		return;
	}
	reload_match(d, nc, match, by_cfg);
	reload_remove(d, by_cfg);
	size_t n = reload_apply(d, nc, match, order);
	free(match);
	free(by_cfg);
	free(d->ws);
	d->ws = order;
	d->n_ws = n;
	reload_settings(d, nc);
	config_free(d->cfg);
	d->cfg = nc;
	d->env.cfg = nc;
	d->last_error[0] = '\0';
	daemon_fleet_reloaded(d);
	daemon_writes_flush(d); /* what the reload wrote is visible by READY=1 */
	mono_us t_end = clock_mono_us();
	log_msg(LOGL_NOTICE,
	        "reloaded: %zu workspaces in %.1f ms (%.1f ms reading the configuration)", d->n_ws,
	        (double)(t_end - t0) / 1000.0, (double)(t_load - t0) / 1000.0);
	notify_ready(&d->notify);
	daemon_status_update(d);
	daemon_admit_trim(d); /* the old configuration is freed: its pages go back, after READY=1 */
}
