/*
 * store_pg.h: the PostgreSQL store, behind store.h (src/store.c hands every
 * call on a store opened on a connection string to these functions; their
 * contracts are store.h's, with the differences said here).
 *
 * Writes are behind: a write is checked, turned into its statements and
 * queued in memory, and 0 means "queued". The queue is sent on one
 * connection in libpq's pipeline mode, its socket watched by the caller's
 * event loop, in batches that are each one transaction (one pipeline
 * sync); a write (a stream with all its slices, a pull row, a workspace
 * row) is never split across batches, so it is stored whole or not at
 * all. A write leaves the queue when the
 * server confirmed its transaction. The loop never waits on the network.
 *
 * A lost connection (server restart, pg_terminate_backend, failover) is
 * taken up again with backoff (PG_RETRY_MIN_MS doubling to PG_RETRY_MAX_MS)
 * and every write not confirmed is sent again, in order; each is written
 * to give the same rows when applied twice (upserts, ON CONFLICT DO
 * NOTHING, updates guarded by status = 'running'). Meanwhile every new
 * write returns SQLITE_BUSY ("PostgreSQL store unavailable: ..."), which
 * closes the daemon's store gate exactly as another process's lock on
 * the SQLite file does, and store_try_lock says when it may open again.
 *
 * Bounds: the bytes of queued writes (queue_max; a stream that would pass
 * it fails with SQLITE_FULL and is pulled again next time), one batch of
 * at most PG_BATCH_OPS writes / PG_BATCH_BYTES in flight (one
 * transaction: group commit), PG_IDS pull ids reserved ahead.
 *
 * Reads: store_open reads the workspace table once, blocking (before the
 * loop runs), and the store keeps it current with its own writes;
 * store_ws_get and store_ws_each_active read that copy.
 */
#ifndef WEGAUGE_STORE_PG_H
#define WEGAUGE_STORE_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define PG_RETRY_MIN_MS      100
#define PG_RETRY_MAX_MS      5000
#define PG_STALL_MS          120000     /* no answer to a write for this long: reconnect */
#define PG_DRAIN_MS          30000      /* at close: how long the queue may take to drain */
#define PG_BATCH_OPS         1024       /* writes in one batch (one transaction) at most */
#define PG_BATCH_BYTES       (16 << 20) /* ... and their bytes, unless one write is larger */
#define PG_IDS               4096       /* pull ids reserved ahead; more are asked below this */
#define PG_SLICE_US          250        /* sending or reading a batch: at most this per loop turn */
#define PG_BATCH_OPS_FLEET   128        /* a fleet member's batches (its heartbeat waits) */
#define PG_BATCH_BYTES_FLEET (2 << 20)

struct store_pg;
struct store_pg_stream;

int store_pg_open(struct store_pg **out, const char *conninfo, const struct store_opts *o,
                  char *err, size_t errlen);
/* store_drain: at most PG_DRAIN_MS, blocking (the loop has ended). */
int store_pg_drain(struct store_pg *pg, char *err, size_t errlen);
/* Drain what is left (store_pg_drain), close, free. */
int store_pg_close(struct store_pg *pg);

int store_pg_try_lock(struct store_pg *pg, char *err, size_t errlen);
void store_pg_stats(const struct store_pg *pg, struct store_queue_stats *s);
/* "PostgreSQL store unavailable (host=...): why" or the like, for status lines. */
void store_pg_unavailable(const struct store_pg *pg, char *buf, size_t len);

int store_pg_ws_put(struct store_pg *pg, const struct store_ws *w, char *err, size_t errlen);
int store_pg_ws_get(struct store_pg *pg, const char *name, struct store_ws_saved *out, char *err,
                    size_t errlen);
int store_pg_ws_each_active(struct store_pg *pg, void (*fn)(const char *name, void *arg), void *arg,
                            char *err, size_t errlen);
int store_pg_ws_set_state(struct store_pg *pg, const char *name, const char *state,
                          const char *reason, char *err, size_t errlen);
int store_pg_pull_begin(struct store_pg *pg, const char *ws, wall_s started_at, int64_t *id,
                        char *err, size_t errlen);
int store_pg_pull_end(struct store_pg *pg, int64_t id, const struct store_pull_end *e, char *err,
                      size_t errlen);
/* The fleet's part (store_pg_fleet.h), NULL when the store is not a fleet member's. */
struct store_pg_fleet *store_pg_fleet_of(struct store_pg *pg);
int store_pg_pull_close_running(struct store_pg *pg, wall_s now, int *n, char *err, size_t errlen);
int store_pg_stream_begin(struct store_pg *pg, const char *ws, int64_t pull_id, wall_s now,
                          const struct rowset *rs, struct store_pg_stream **out, char *err,
                          size_t errlen);
int store_pg_stream_digests(struct store_pg *pg, const char *ws, enum stream stream,
                            unsigned char **out, size_t *len, char *err, size_t errlen);
int store_pg_stream_step(struct store_pg_stream *c, size_t max_rows, bool *done, int64_t *n_rows,
                         char *err, size_t errlen);
void store_pg_stream_abort(struct store_pg_stream *c);

#endif
