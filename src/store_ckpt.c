/*
 * store_ckpt.c: the store's WAL checkpointer thread (store_ckpt.h).
 *
 * The thread sleeps on a condition variable until poked or stopped. A
 * poke sets a flag; the thread clears it before each checkpoint, so a
 * poke that arrives during one asks for exactly one more. The thread's
 * connection is its own (SQLite's multi-thread mode: one connection per
 * thread, no sharing); it never writes rows, so it cannot conflict with
 * the loop's writes, and a PASSIVE checkpoint copies what it can without
 * waiting for the writer or for readers.
 */
#include "store_ckpt.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "errbuf.h"
#include "store_sql.h"

struct store_ckpt {
	sqlite3 *db;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool poked, stopping;
	uint64_t done;
};

static void *ckpt_main(void *arg)
{
	struct store_ckpt *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->poked && !c->stopping)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stopping)
			break;
		c->poked = false;
		pthread_mutex_unlock(&c->mu);
		/* A failure (busy, I/O) is tried again at the next poke. */
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
		c->done++;
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

struct store_ckpt *store_ckpt_start(const char *path, char *err, size_t errlen)
{
	struct store_ckpt *c = calloc(1, sizeof(*c));
	if (!c) {
		errbuf_set(err, errlen, "checkpointer: out of memory");
		return NULL;
	}
	int rc = sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	/*
	 * A connection learns the database is in WAL mode when it first reads
	 * it; until then a checkpoint is a no-op that reports success.
	 */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, SQL_CKPT_FIRST_READ, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		errbuf_set(err, errlen, "checkpointer: cannot open %s: %s", path,
		           c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	/* Signals belong to the loop thread: the checkpointer starts with all of them blocked. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&c->th, NULL, ckpt_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		errbuf_set(err, errlen, "checkpointer: cannot start a thread");
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	return c;
}

void store_ckpt_poke(struct store_ckpt *c)
{
	pthread_mutex_lock(&c->mu);
	c->poked = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

uint64_t store_ckpt_done(struct store_ckpt *c)
{
	pthread_mutex_lock(&c->mu);
	uint64_t n = c->done;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void store_ckpt_stop(struct store_ckpt *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->mu);
	c->stopping = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->th, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	sqlite3_close(c->db);
	free(c);
}
