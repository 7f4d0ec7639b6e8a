/*
 * store_pg_fleet.h: the fleet's part of the PostgreSQL store (store.h's
 * store_fleet_*), and what it and store_pg.c tell each other. Not for other
 * modules.
 *
 * store_pg_fleet.c owns the member's leases as this process knows them (a
 * table of workspace name -> fencing token), builds the fleet's statements
 * (registration, heartbeat, takes, releases, reads) and turns their
 * answers into the hooks' reports. store_pg.c owns the queue: it runs
 * those statements as writes of their own kind (OP_FLEET, whose results
 * are kept until the batch commits), adds a fence statement to every write
 * of a workspace (store_pg_fleet_token) and, when the server fences one,
 * drops that lease's writes and says so (store_pg_fleet_fenced).
 */
#ifndef WEGAUGE_STORE_PG_FLEET_H
#define WEGAUGE_STORE_PG_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store.h"

struct store_pg;
struct store_pg_fleet;
struct pg_op;

/* ---- store_pg.c, for store_pg_fleet.c ---- */

/*
 * What a fleet write's answer calls once its batch committed (ok, with its
 * statements' results with rows, owned by the op unless the callback takes one by
 * setting its entry to NULL)
 * or once it is given up (ok false: the connection went, or the server
 * refused it; res empty). Runs inside the store's reading: it must only
 * record (store_pg_fleet.c reports from an event of its own).
 */
typedef void (*pg_fleet_done_fn)(void *arg, bool ok, PGresult **res, size_t nres);
/* A new fleet write named what (for messages); NULL on OOM. */
struct pg_op *store_pg_fleet_op(const char *what, pg_fleet_done_fn done, void *arg);
/* Add a statement (parameters copied; NULL is SQL NULL). -1 on OOM. */
int store_pg_fleet_op_add(struct pg_op *op, const char *sql, int n, const char *const *v);
/* Queue op (the store owns it from here, also on failure); 0, or SQLITE_BUSY when down. */
int store_pg_fleet_submit(struct store_pg *pg, struct pg_op *op, char *err, size_t errlen);
/* Free an op never submitted. */
void store_pg_fleet_op_free(struct pg_op *op);
/* The event loop, the member's connection for blocking statements at open, its name shown. */
struct event_base *store_pg_base(struct store_pg *pg);
PGconn *store_pg_conn(struct store_pg *pg);
const char *store_pg_shown(struct store_pg *pg);

/* ---- store_pg_fleet.c, for store_pg.c ---- */

/*
 * At open, blocking, before the loop runs (conn not in pipeline mode):
 * register member (its row, heartbeat now), measure the server's clock.
 * NULL with err on failure.
 */
struct store_pg_fleet *store_pg_fleet_open(struct store_pg *pg, PGconn *conn, const char *member,
                                           int64_t lease_ms, char *err, size_t errlen);
void store_pg_fleet_free(struct store_pg_fleet *f);
/* At a stop, before the queue drains: give back every lease and say this member left. */
void store_pg_fleet_leave(struct store_pg_fleet *f);
/* The member's name (for the statements of store_pg.c). */
const char *store_pg_fleet_member(const struct store_pg_fleet *f);
/*
 * The token of workspace ws's lease: > 0 held (the write gets a fence with
 * it), 0 not held, -1 lost (a fence failed or the lease was not renewed).
 */
int64_t store_pg_fleet_token(const struct store_pg_fleet *f, const char *ws);
/*
 * The server fenced a write of ws with token (SQLSTATE WG001): the lease is
 * lost. n_dropped: that lease's writes store_pg.c dropped (counted). With
 * token -1: a write refused before it was sent, its lease known lost
 * (counted too).
 */
void store_pg_fleet_fenced(struct store_pg_fleet *f, const char *ws, int64_t token,
                           uint64_t n_dropped);
/*
 * The workspace of a pull this process began (store_pg_pull_begin records
 * it, store_pg_fleet_pull_ws with forget, once its end is queued): a pull's end is fenced with its
 * workspace's lease. -1 when unknown (or out of memory, for begun).
 */
int store_pg_fleet_pull_begun(struct store_pg_fleet *f, int64_t id, const char *ws);
int store_pg_fleet_pull_ws(struct store_pg_fleet *f, int64_t id, char *ws, size_t len, bool forget);
/* store.h's store_fleet_* (store.c hands them over). */
int store_pg_fleet_set_hooks(struct store_pg_fleet *f, const struct store_fleet_hooks *h);
int store_pg_fleet_configure(struct store_pg_fleet *f, const char *fingerprint,
                             const char *const *names, size_t n, char *err, size_t errlen);
int store_pg_fleet_heartbeat(struct store_pg_fleet *f, const char *const *take, size_t n, char *err,
                             size_t errlen);
int store_pg_fleet_release(struct store_pg_fleet *f, const char *name, char *err, size_t errlen);
int store_pg_fleet_read_members(struct store_pg_fleet *f, const char *const *members, size_t n,
                                char *err, size_t errlen);
void store_pg_fleet_stats(const struct store_pg_fleet *f, struct store_fleet_stats *s);
/*
 * The connection is up again: a heartbeat goes first (ahead of the writes
 * sent again), so that leases that expired meanwhile but that no other
 * member took are renewed before the writes they fence.
 */
void store_pg_fleet_reconnected(struct store_pg_fleet *f);
/* The closing of interrupted pulls at start, for a fleet: $1 finished_at. */
const char *store_pg_fleet_close_running_sql(void);

#endif
