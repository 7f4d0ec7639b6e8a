/*
 * pull_fixture.h: a pull's world for tests (test_pull.c, and the daemon's
 * configuration for test_daemon_admit.c). pull_fixture_config writes a
 * configuration of n workspaces (ws-0001 ..., license codes lc1 ...,
 * base_url http://127.0.0.1:9 (never connected to: the HTTP engine is a
 * fake), one key file of mode 0600) into a fresh directory under
 * $TEST_TMP, with the store ":memory:" and any [daemon] and [workspace]
 * lines a test adds. pull_fixture_init then loads it and builds what a
 * struct pull_env holds: a loop, a real in-memory store with its gate, a
 * real worker thread, a retry budget, zeroed counters and the fake HTTP
 * engine of fake_http.h, and puts every workspace's row into the store
 * (a pull row needs it). The report callbacks are the test's to set.
 * pull_fixture_free undoes all of it, files included.
 */
#ifndef WEGAUGE_TEST_PULL_FIXTURE_H
#define WEGAUGE_TEST_PULL_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "budget.h"
#include "clock.h"
#include "config.h"
#include "fake_http.h"
#include "metrics.h"
#include "pull.h"
#include "store.h"
#include "storegate.h"
#include "worker.h"
#include "ws.h"

struct pull_fixture {
	char dir[512], conf[600], key[600];
	struct config *cfg;
	struct event_base *base;
	struct store *store;
	struct storegate *gate;
	struct worker *worker;
	struct budget budget;
	struct metrics metrics;
	struct fake_http http;
	struct pull_env env;
	struct ws **ws; /* one per workspace of cfg, in its order */
	size_t n_ws;
};

/*
 * Write the configuration into a new directory named after name: 0, or -1.
 * daemon_extra and ws_extra (may be NULL) are lines added to [daemon]
 * and to every [workspace] section.
 */
static inline int pull_fixture_config(struct pull_fixture *f, const char *name, size_t n,
                                      const char *daemon_extra, const char *ws_extra)
{
	const char *tmp = getenv("TEST_TMP");
	snprintf(f->dir, sizeof(f->dir), "%s/%s.XXXXXX", tmp ? tmp : "/tmp", name);
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->conf, sizeof(f->conf), "%s/wegauged.conf", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/api.key", f->dir);
	FILE *k = fopen(f->key, "w");
	if (!k)
		return -1;
	fputs("test-key-0123456789\n", k);
	fclose(k);
	chmod(f->key, 0600);
	FILE *c = fopen(f->conf, "w");
	if (!c)
		return -1;
	fprintf(c, "[daemon]\ndatabase = :memory:\nkey_dir = %s\nlog_level = err\n%s\n", f->dir,
	        daemon_extra ? daemon_extra : "");
	for (size_t i = 0; i < n; i++)
		fprintf(c,
		        "[workspace \"ws-%04zu\"]\nlicense_code = lc%zu\n"
		        "base_url = http://127.0.0.1:9\napi_key_file = %s\n%s\n",
		        i + 1, i + 1, f->key, ws_extra ? ws_extra : "");
	return fclose(c) == 0 ? 0 : -1;
}

/* Load f's configuration and build the world around it (see above). 0, or -1. */
static inline int pull_fixture_init(struct pull_fixture *f)
{
	struct config_errors errs = {0};
	if (config_load(f->conf, &f->cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		config_errors_free(&errs);
		return -1;
	}
	char err[256];
	f->base = event_base_new();
	if (!f->base || store_open(&f->store, ":memory:", NULL, err, sizeof(err)) != 0)
		return -1;
	store_group_on(f->store, NULL, NULL);
	const struct storegate_hooks h = {0};
	f->gate = storegate_new(f->base, f->store, 1000, &h);
	f->worker = worker_new(f->base);
	if (!f->gate || !f->worker || fake_http_init(&f->http, f->base) != 0)
		return -1;
	budget_init(&f->budget, f->cfg->retry_budget_pct);
	memset(&f->metrics, 0, sizeof(f->metrics));
	f->env = (struct pull_env){
	        .base = f->base,
	        .store = f->store,
	        .gate = f->gate,
	        .http_ops = &fake_http_ops,
	        .http = &f->http,
	        .worker = f->worker,
	        .budget = &f->budget,
	        .metrics = &f->metrics,
	        .cfg = f->cfg,
	};
	f->ws = calloc(f->cfg->n_ws ? f->cfg->n_ws : 1, sizeof(*f->ws));
	if (!f->ws)
		return -1;
	for (size_t i = 0; i < f->cfg->n_ws; i++) {
		const struct ws_config *c = &f->cfg->ws[i];
		struct store_ws row = {.name = c->name,
		                       .license_code = c->license_code,
		                       .data_center = "global",
		                       .base_url = c->base_url,
		                       .key_fingerprint = c->fingerprint,
		                       .state = "pending"};
		f->ws[i] = ws_new(c);
		if (!f->ws[i] || store_ws_put(f->store, &row, err, sizeof(err)) != 0)
			return -1;
		f->n_ws++;
	}
	return 0;
}

/* Turn f's loop until done() holds or ms pass; whether it held. */
static inline bool pull_fixture_turn(struct pull_fixture *f, bool (*done)(void *), void *arg,
                                     int64_t ms)
{
	mono_ms end = clock_mono_ms() + ms;
	while (!done(arg) && clock_mono_ms() < end) {
		event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		if (!done(arg))
			usleep(200);
	}
	return done(arg);
}

/* An integer from the store: the first column of the first row of sql, or -1. */
static inline int64_t pull_fixture_int(struct pull_fixture *f, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(store_handle(f->store), sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A text from the store, copied into buf ("" when none). */
static inline const char *pull_fixture_text(struct pull_fixture *f, const char *sql, char *buf,
                                            size_t len)
{
	sqlite3_stmt *st;
	buf[0] = '\0';
	if (sqlite3_prepare_v2(store_handle(f->store), sql, -1, &st, NULL) != SQLITE_OK)
		return buf;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return buf;
}

/* Remove f's configuration files and directory. */
static inline void pull_fixture_unlink(struct pull_fixture *f)
{
	unlink(f->conf);
	unlink(f->key);
	rmdir(f->dir);
}

/* Undo pull_fixture_init (every pull must be gone) and pull_fixture_config. */
static inline void pull_fixture_free(struct pull_fixture *f)
{
	for (size_t i = 0; i < f->n_ws; i++)
		ws_free(f->ws[i]);
	free(f->ws);
	worker_free(f->worker);
	fake_http_free(&f->http);
	storegate_free(f->gate);
	store_close(f->store);
	if (f->base)
		event_base_free(f->base);
	config_free(f->cfg);
	pull_fixture_unlink(f);
}

#endif
