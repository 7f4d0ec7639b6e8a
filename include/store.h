/*
 * store.h: the SQLite store (docs/operator.md, "The store").
 *
 * One struct store is one read-write connection, owned by the daemon's
 * loop thread. Every statement is prepared once at open and reused; all
 * SQL text lives in store_sql.h. The schema is the numbered files of
 * schema/, embedded at build time, applied in order in one transaction
 * each and tracked by PRAGMA user_version.
 *
 * Atomicity: store_commit_stream() writes all rows of one stream of one
 * pull in one transaction, or nothing. Every other write is a single
 * statement (its own implicit transaction). With a group of writes
 * (store_group_on) the same holds inside one longer transaction: each
 * stream is a savepoint, released whole or rolled back whole, and the
 * group commits every write since it began at once (store_flush).
 *
 * Instants cross this interface as Unix epoch seconds (wall_s, 0 =
 * NULL) and are stored as UTC text "YYYY-MM-DDTHH:MM:SSZ". A workspace's
 * state reason and a pull's error, which may quote what a server sent,
 * are stored escaped by textesc with TEXTESC_VISIBLE (control characters
 * as "\xHH", invisible and bidirectional ones as "<U+XXXX>"), cut at 2047
 * bytes.
 *
 * Errors: functions return 0 on success, else the SQLite primary result
 * code (SQLITE_BUSY, SQLITE_FULL, SQLITE_READONLY, ...) with a message in
 * err naming what failed. No function exits or aborts; a failed write
 * leaves the store as it was before it.
 */
#ifndef WEGAUGE_STORE_H
#define WEGAUGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "rows.h"

struct store;
struct event_base;

struct store_opts {
	enum sync_mode synchronous;
	int64_t busy_timeout_ms;
	uint64_t journal_size_limit;
	/*
	 * A PostgreSQL store only (src/store_pg.h): the loop its socket joins
	 * (required), the password from database_password_file (NULL: libpq's
	 * own sources), and the bound of queued writes in bytes (0: 256 MiB).
	 */
	struct event_base *base;
	const char *password;
	uint64_t queue_max;
	/*
	 * A fleet (PostgreSQL only; NULL: none): this member's name and lease.
	 * The open then registers the member, drops the leases an earlier
	 * process of the same name held, and store_pull_close_running closes
	 * only the pulls no live lease covers (store_fleet_* below).
	 */
	const char *fleet_member;
	int64_t fleet_lease_ms;
};

/* What a PostgreSQL store's queue of writes holds (all 0 for SQLite), and an SQLite store's WAL. */
struct store_queue_stats {
	uint64_t wal_pages;   /* SQLite: pages written to the WAL since open (0 for PostgreSQL) */
	bool pg;              /* the store is PostgreSQL */
	bool connected;       /* its connection is up */
	uint64_t bytes, ops;  /* queued writes not yet confirmed by the server */
	uint64_t refused;     /* streams refused: the queue was full (store_queue_max) */
	uint64_t failed;      /* writes the server refused for good (logged, dropped) */
	uint64_t reconnects;  /* connections taken up again */
	uint64_t call_max_us; /* the longest time the loop spent in one entry into libpq */
	uint64_t call_max_cpu_us; /* ... of it on the CPU (the rest: the thread was not running) */
	uint64_t calls_over_1ms;  /* entries into libpq that took more than 1 ms */
};
void store_queue_stats(struct store *st, struct store_queue_stats *s);

/*
 * At a stop, after the loop has ended: wait until every write queued for a
 * PostgreSQL server is stored, blocking, for at most 30 s (reconnecting
 * if need be). 0 when nothing is left (always for SQLite, whose writes are
 * never behind), else SQLITE_IOERR with err saying how many writes were
 * not stored.
 */
int store_drain(struct store *st, char *err, size_t errlen);

/*
 * What makes store_try_lock say SQLITE_BUSY, as a phrase for status lines:
 * "store locked by another process" (SQLite) or "PostgreSQL store
 * unavailable (host=... dbname=...): why" (never the password).
 */
void store_unavailable(struct store *st, char *buf, size_t len);

/*
 * path may also be a PostgreSQL connection string (store_target.h): the
 * store is then src/store_pg.h's, with the same calls and meaning.
 *
 * Open (creating if needed) the database at path, set WAL, busy_timeout,
 * foreign_keys=ON, synchronous and journal_size_limit, run an integrity
 * quick check on an existing file, migrate the schema and prepare every
 * statement. A database whose user_version is newer than this build's
 * (SQLITE_ERROR, "schema version 7 is newer than this wegauged (5):
 * upgrade wegauged"), or that is not a database or another program's
 * (SQLITE_NOTADB), or is corrupt (SQLITE_CORRUPT), is refused and left
 * untouched: no byte of it changes and no -wal or -shm is created beside
 * it. o NULL means synchronous normal, busy_timeout 1000 ms,
 * journal_size_limit 64 MiB. path ":memory:" is a private in-memory store
 * (no WAL). On failure *out is NULL and err says why.
 */
int store_open(struct store **out, const char *path, const struct store_opts *o, char *err,
               size_t errlen);
/*
 * Commit an open group (store_flush), finalize statements, checkpoint the
 * WAL (truncate), close. NULL is a
 * no-op. Returns 0, or the code of a failed sqlite3_close() (the
 * connection is then left to SQLite to free; the caller may log
 * sqlite3_errstr(code)). st is freed either way.
 */
int store_close(struct store *st);

/*
 * Checkpoints the store's checkpointer thread has run (0 for ":memory:").
 * A file store never checkpoints on the caller's thread: after a commit
 * that leaves STORE_CKPT_PAGES (1,000) pages or more in the WAL, a thread
 * with a connection of its own runs a PASSIVE checkpoint (src/store_ckpt.c),
 * so that copying the WAL into the file never stalls the event loop.
 */
uint64_t store_checkpoints(struct store *st);

/*
 * A passive WAL checkpoint: copy what it can of the WAL into the database
 * without waiting for readers or writers. For the daemon to call when
 * long readers have gone away. 0 or an SQLite code.
 */
int store_checkpoint(struct store *st, char *err, size_t errlen);

/*
 * The store's connection, for tests and for read-only queries on the same
 * connection. The store keeps owning it; do not close it, and do not leave
 * a transaction open on it.
 */
struct sqlite3;
struct sqlite3 *store_handle(struct store *st);

/*
 * Group commit. After store_group_on(), the first write opens one
 * transaction (BEGIN IMMEDIATE) that every later write joins, and
 * opened(arg) is called so that the caller can arrange a store_flush()
 * soon (the daemon: 100 ms later); store_flush() commits it. Each
 * store_commit_stream() is then a SAVEPOINT inside it: a stream that
 * fails rolls back to its savepoint only, and the rest of the group
 * stands. Why: a commit costs WAL frames, file locks and, at
 * checkpoints, fsyncs; a group pays them once for many pulls. The price:
 * the write lock is held while a group is open (readers are never
 * blocked in WAL mode), a crash loses the last group whole (the store
 * stays consistent: it is one transaction), and a failed COMMIT loses it
 * whole too (store_flush() says so). opened may be NULL.
 */
void store_group_on(struct store *st, void (*opened)(void *arg), void *arg);
/*
 * Commit the open group, if any. 0, or the SQLite code with err saying
 * what was lost (the group is then rolled back). Also the place where a
 * group that SQLite itself rolled back (after SQLITE_FULL, IOERR, NOMEM)
 * is reported. store_close() flushes first.
 */
int store_flush(struct store *st, char *err, size_t errlen);

/* The workspace row: the daemon's view of one workspace, mirrored. */
struct store_ws {
	const char *name;
	const char *license_code;
	const char *data_center; /* "global", "in", "ksa" */
	const char *base_url;    /* the effective base URL */
	const char *key_fingerprint;
	const char *state;        /* pending, connected, auth_failed, failing, disabled, removed */
	const char *state_reason; /* NULL when none; stored escaped (textesc.h) */
	wall_s last_pull_at, last_success_at, next_pull_at; /* 0 = NULL */
	int consecutive_failures;
	bool has_seat_price;   /* false: seat_price NULL */
	int64_t seat_price_e4; /* seat_price in 1/10000 of currency per seat and month, >= 0 */
	const char *currency;  /* ISO 4217 code of seat_price; NULL with no seat_price */
	int64_t interval_s;    /* the pull interval in whole seconds (rounded up); 0 = NULL */
};

/*
 * Take the write lock without waiting: BEGIN IMMEDIATE with a busy
 * timeout of 0, which opens the group of writes (store_group_on must be
 * on; its opened callback runs). 0 when the group is open (it may have
 * been already), SQLITE_BUSY when another connection holds the lock, else
 * another code. For storegate.c's retries.
 */
int store_try_lock(struct store *st, char *err, size_t errlen);

/* How long one statement may wait for a lock, from now on (0: not at all). */
void store_set_busy_timeout(struct store *st, int64_t ms);

/*
 * Is the file at the store's path still the one opened? 0, or
 * SQLITE_NOTFOUND with err saying whether it was deleted (or moved) or
 * replaced by another file. Always 0 for ":memory:". One stat().
 */
int store_identity_check(struct store *st, char *err, size_t errlen);

/* Insert or replace every column of the workspace row w->name. */
int store_ws_put(struct store *st, const struct store_ws *w, char *err, size_t errlen);

/* The longest base URL and state reason store_ws_get returns (bytes, without the NUL). */
#define STORE_URL_MAX    2048
#define STORE_REASON_MAX 255

/*
 * What the store remembers of a workspace across restarts: enough to tell
 * whether the license code, base URL and key it was last settled with are
 * still the configured ones, and what that settled state was. Strings are
 * copied into the fixed buffers; a NULL column is "". The state reason is
 * cut at STORE_REASON_MAX bytes; any other value that does not fit is an
 * error.
 */
struct store_ws_saved {
	char state[16];
	char state_reason[STORE_REASON_MAX + 1];
	char license_code[65];
	char base_url[STORE_URL_MAX + 1];
	char key_fingerprint[FINGERPRINT_LEN];
	wall_s last_pull_at, last_success_at;
	int consecutive_failures;
};
/* 1 and *out when the workspace is known, 0 when not, else an error code (negated). */
int store_ws_get(struct store *st, const char *name, struct store_ws_saved *out, char *err,
                 size_t errlen);

/*
 * Call fn for the name of every workspace whose state is not "removed".
 * The name is valid only during the call.
 */
int store_ws_each_active(struct store *st, void (*fn)(const char *name, void *arg), void *arg,
                         char *err, size_t errlen);

/*
 * Set state (and reason, NULL for none; stored escaped as in store_ws) of
 * one workspace row.
 * SQLITE_NOTFOUND when there is no such row; SQLITE_CONSTRAINT for a
 * state that is not one of the six.
 */
int store_ws_set_state(struct store *st, const char *name, const char *state, const char *reason,
                       char *err, size_t errlen);

/* Insert a pull row with status "running"; *id is its id. */
int store_pull_begin(struct store *st, const char *ws, wall_s started_at, int64_t *id, char *err,
                     size_t errlen);

struct store_pull_end {
	wall_s finished_at;
	const char *status; /* ok, partial, failed, auth_failed, cancelled */
	int requests, retries;
	int64_t rows;
	const char *error; /* NULL when none; stored escaped (textesc.h) */
};
/*
 * Close pull id with its outcome. Only a running pull can be closed:
 * SQLITE_NOTFOUND when pull id does not exist or has already ended;
 * SQLITE_MISUSE for a status that is not an outcome or a zero finished_at.
 */
int store_pull_end(struct store *st, int64_t id, const struct store_pull_end *e, char *err,
                   size_t errlen);

/*
 * At start: every pull still "running" (the previous process died) becomes
 * "cancelled" with finished_at = now and error "interrupted". *n gets the
 * number of such pulls.
 */
int store_pull_close_running(struct store *st, wall_s now, int *n, char *err, size_t errlen);

/*
 * A stream commit in slices, for a stream too large to write in one turn
 * of the loop: store_stream_begin opens it (in a group: the group's
 * transaction and a savepoint; the pull is checked as for
 * store_commit_stream) and returns the cursor; store_stream_step writes
 * up to max_rows more rows each call and, after the last, the removal
 * marks of a team stream and the RELEASE (or COMMIT); *done then says the
 * stream is stored whole, *n_rows how many rows it wrote, and the cursor
 * is freed. rs must stay as it is until then. On an error the stream is
 * rolled back whole (the group's earlier writes stand) and the cursor is
 * freed. While a cursor is open, the store refuses every other write and
 * store_flush (SQLITE_MISUSE): the caller holds everything else back (the
 * daemon's store gate). store_stream_abort rolls it back and frees it
 * (NULL is a no-op). store_close aborts an open one.
 */
struct store_stream;
int store_stream_begin(struct store *st, const char *ws, int64_t pull_id, wall_s now,
                       const struct rowset *rs, struct store_stream **out, char *err,
                       size_t errlen);
int store_stream_step(struct store_stream *c, size_t max_rows, bool *done, int64_t *n_rows,
                      char *err, size_t errlen);
void store_stream_abort(struct store_stream *c);

/*
 * Commit one stream of pull pull_id of workspace ws, in one transaction:
 * every row is upserted by the key of its table, and written only when it
 * is new or a value differs from the stored one (then pull_id and
 * updated_at = now say which pull changed it, and when); an equal row is
 * only looked up. For STREAM_TEAM the rowset is the complete member list
 * of a finished walk: members new, changed or back get last_seen_at = now,
 * first_seen_at on first sight and removed_at = NULL; members of ws not
 * listed get removed_at = now (once). Then the listing is recorded
 * (pull.streams gets the stream) and the walk's page digests
 * (rs->digests) remembered. With rs->unchanged no row is given and only
 * the listing is recorded. pull_id must be a running pull of ws (else
 * SQLITE_CONSTRAINT, nothing written). On any failure the transaction is
 * rolled back and nothing of the stream is stored; err names the stream,
 * workspace, pull, the row index (0-based) and SQLite's message. *n_rows
 * (may be NULL) gets the number of rows written: the rows inserted or
 * changed plus, for STREAM_TEAM, the seats newly marked removed. (A
 * PostgreSQL store writes behind: there *n_rows is the rows handed over,
 * and the server counts the rows written into pull.rows.)
 */
int store_commit_stream(struct store *st, const char *ws, int64_t pull_id, wall_s now,
                        const struct rowset *rs, int64_t *n_rows, char *err, size_t errlen);

/*
 * The fleet (docs/operations.md, "Running a fleet"; PostgreSQL only: on
 * SQLite each of these returns SQLITE_MISUSE or does nothing). Several
 * wegauged share the store's workspaces: each heartbeats into
 * fleet_member, takes the leases (fleet_lease) of the workspaces it should
 * own, renews them all in its heartbeat, and gives back those it should no
 * longer own. While the store was opened with a fleet member, every write
 * of a workspace (its pull row, each stream, its end, its workspace row)
 * carries a fence: it commits only while this member holds the
 * workspace's lease with the token it took (checked by the server, in the
 * write's own transaction). A write without a lease is refused at once
 * (SQLITE_CONSTRAINT, "lease lost ..."), except a pull's end, which is
 * then written as cancelled with the error "lease lost" (only while that
 * pull is still running in the store). A write the server fences is
 * dropped with every other write of the same lease, counted, and reported
 * through the hooks' lost.
 *
 * What comes back arrives through hooks, from an event of the loop (never
 * from inside a store call), once the server committed it.
 */
struct store_fleet_member {
	const char *name, *fingerprint, *digest;
	int64_t workspaces; /* it has configured */
	int64_t age_ms;     /* since its last heartbeat, on the server's clock */
	int64_t lease_ms;   /* its lease: live while age_ms < lease_ms */
};
struct store_fleet_beat {
	bool ok;                  /* false: lost with the connection or refused (logged) */
	mono_ms sent_ms;          /* when it was sent: the leases it renewed hold until + lease */
	int64_t server_offset_ms; /* the server's clock minus this host's (raw) wall clock */
	int64_t rtt_ms;           /* how long the answer took (the offset is within half) */
	const struct store_fleet_member *members; /* every other member, live or not */
	size_t n_members;
};
struct store_fleet_taken {
	const char *name;
	bool has_row; /* the workspace has a row: saved holds it */
	struct store_ws_saved saved;
	wall_s last_done_start; /* when its last ok or partial pull started (0: never) */
};
struct store_fleet_hooks {
	/* A heartbeat's answer (or its loss). */
	void (*beat)(void *arg, const struct store_fleet_beat *b);
	/* The lease of a workspace was taken, with its row as the store has it now. */
	void (*taken)(void *arg, const struct store_fleet_taken *t);
	/* The lease of a workspace is lost (fenced, or not renewed in time). */
	void (*lost)(void *arg, const char *name);
	/* The workspaces member has configured (store_fleet_read_members). */
	void (*member_ws)(void *arg, const char *member, const char *const *names, size_t n);
	void *arg;
};
struct store_fleet_stats {
	uint64_t taken, lost, fenced, released; /* leases taken, lost, writes fenced, released */
	uint64_t held;                          /* leases held now */
	uint64_t beats;                         /* heartbeats answered */
	mono_ms renewed_until;                  /* the leases are safe until (0: never renewed) */
	int64_t server_offset_ms;               /* as measured at open, then by each heartbeat */
};
/* Hand the store its hooks (copied). SQLITE_MISUSE when it is not a fleet's. */
int store_fleet_hooks(struct store *st, const struct store_fleet_hooks *h);
/*
 * This member's configuration: its fingerprint and the names of every
 * workspace it has configured (queued: fleet_member_ws and the member row).
 */
int store_fleet_configure(struct store *st, const char *fingerprint, const char *const *names,
                          size_t n, char *err, size_t errlen);
/*
 * Heartbeat: renew every lease held, say this member lives, read the other
 * members; and try to take the leases of take[0..n) (each that is free or
 * expired). One heartbeat at a time: SQLITE_BUSY while one is unanswered.
 */
int store_fleet_heartbeat(struct store *st, const char *const *take, size_t n, char *err,
                          size_t errlen);
/* Give back the lease of name (its fence goes at once; the delete is queued). */
int store_fleet_release(struct store *st, const char *name, char *err, size_t errlen);
/* Read the workspaces of members[0..n) (answered through hooks.member_ws, one call each). */
int store_fleet_read_members(struct store *st, const char *const *members, size_t n, char *err,
                             size_t errlen);
/* Whether this member holds the lease of name now (as far as it knows). */
bool store_fleet_holds(struct store *st, const char *name);
/* Counters and the lease horizon; all 0 when not a fleet's. */
void store_fleet_stats(struct store *st, struct store_fleet_stats *s);

/*
 * The page digests remembered for a stream of ws (pagesum.h's blob, from
 * the last walk stored whole): *out malloc'd (the caller frees it) and
 * *len bytes, or NULL and 0 when none are remembered. 0, or an error code
 * with err (the caller then remembers nothing: every page is parsed). A
 * PostgreSQL store answers from its memory of what the server confirmed,
 * without a round trip.
 */
int store_stream_digests(struct store *st, const char *ws, enum stream stream, unsigned char **out,
                         size_t *len, char *err, size_t errlen);

#endif
