/*
 * store.c: the SQLite store of docs/operator.md ("The store"): opening and
 * closing it, the workspace and pull rows, and the per-stream commit of a
 * pull's rows.
 *
 * One struct store is one read-write connection, used from one thread.
 * Every statement is prepared once at open (SQLITE_PREPARE_PERSISTENT)
 * and reset and cleared after each use; the SQL is in store_sql.h, the
 * schema and its migration in schema/ and store_migrate.c.
 *
 * Opening is careful about files it must not damage: an existing file is
 * first checked read-only by store_check_file() (store_migrate.c), and
 * only when it passes is it opened read-write and migrated.
 *
 * Errors: every failure returns the SQLite primary result code and a
 * message naming the operation, the object (workspace, pull, stream, row)
 * and SQLite's own message. A failed commit is rolled back, so the store
 * is usable afterwards whatever the error (SQLITE_BUSY, SQLITE_FULL,
 * SQLITE_READONLY, a constraint).
 *
 * Why one file of about 1,200 lines: every part (instants, binding,
 * groups of writes, opening, the workspace and pull rows, committing a
 * stream) works on the private struct store, its prepared statements and
 * its group and savepoint state, which nothing else may touch; split, that
 * state would have to be shared across files. Most of the length is one
 * short function per statement, each reporting its errors whole.
 */
#include "store.h"
#include "errbuf.h"
#include "textesc.h"
#include "ts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "pull_status.h"
#include "store_ckpt.h"
#include "store_migrate.h"
#include "store_pg.h"
#include "store_pg_fleet.h"
#include "store_sql.h"
#include "store_target.h"

/* Longest database path accepted (PATH_MAX of Linux). */
#define STORE_PATH_MAX 4096
/* Longest state reason or pull error stored, escaped (bind_shown). */
#define STORE_SHOWN_MAX 2047
/* Most workspaces store_ws_each_active() will list in one call. */
#define STORE_MAX_WORKSPACES 100000
/* Defaults when store_open() gets no options (config.h's defaults). */
#define STORE_DEFAULT_BUSY_MS     1000
#define STORE_DEFAULT_JOURNAL_MAX (64u * 1024 * 1024)

/* The prepared statements, one per SQL text of store_sql.h. */
enum store_stmt {
	STMT_BEGIN = 0,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_WS_PUT,
	STMT_WS_GET,
	STMT_WS_ACTIVE,
	STMT_WS_SET_STATE,
	STMT_PULL_BEGIN,
	STMT_PULL_END,
	STMT_PULL_CLOSE_RUNNING,
	STMT_PULL_CHECK,
	STMT_FEATURE_UPSERT,
	STMT_CAMPAIGN_UPSERT,
	STMT_ACTIVE_UPSERT,
	STMT_SEAT_UPSERT,
	STMT_SEAT_MARK_REMOVED,
	STMT_PULL_ADD_STREAM,
	STMT_STREAM_DIGEST_PUT,
	STMT_STREAM_DIGEST_DEL,
	STMT_STREAM_DIGEST_GET,
	STMT_SAVEPOINT,
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
        [STMT_BEGIN] = SQL_BEGIN_IMMEDIATE,
        [STMT_COMMIT] = SQL_COMMIT,
        [STMT_ROLLBACK] = SQL_ROLLBACK,
        [STMT_WS_PUT] = SQL_WS_PUT,
        [STMT_WS_GET] = SQL_WS_GET,
        [STMT_WS_ACTIVE] = SQL_WS_ACTIVE,
        [STMT_WS_SET_STATE] = SQL_WS_SET_STATE,
        [STMT_PULL_BEGIN] = SQL_PULL_BEGIN,
        [STMT_PULL_END] = SQL_PULL_END,
        [STMT_PULL_CLOSE_RUNNING] = SQL_PULL_CLOSE_RUNNING,
        [STMT_PULL_CHECK] = SQL_PULL_CHECK,
        [STMT_FEATURE_UPSERT] = SQL_FEATURE_UPSERT,
        [STMT_CAMPAIGN_UPSERT] = SQL_CAMPAIGN_UPSERT,
        [STMT_ACTIVE_UPSERT] = SQL_ACTIVE_UPSERT,
        [STMT_SEAT_UPSERT] = SQL_SEAT_UPSERT,
        [STMT_SEAT_MARK_REMOVED] = SQL_SEAT_MARK_REMOVED,
        [STMT_PULL_ADD_STREAM] = SQL_PULL_ADD_STREAM,
        [STMT_STREAM_DIGEST_PUT] = SQL_STREAM_DIGEST_PUT,
        [STMT_STREAM_DIGEST_DEL] = SQL_STREAM_DIGEST_DEL,
        [STMT_STREAM_DIGEST_GET] = SQL_STREAM_DIGEST_GET,
        [STMT_SAVEPOINT] = SQL_SAVEPOINT,
        [STMT_RELEASE] = SQL_RELEASE,
        [STMT_ROLLBACK_TO] = SQL_ROLLBACK_TO,
};

/* The upsert statement of each stream. */
static const enum store_stmt stream_stmt[STREAM_COUNT] = {
        [STREAM_STATS] = STMT_FEATURE_UPSERT,
        [STREAM_CAMPAIGNS] = STMT_CAMPAIGN_UPSERT,
        [STREAM_ACTIVE_USERS] = STMT_ACTIVE_UPSERT,
        [STREAM_TEAM] = STMT_SEAT_UPSERT,
};

struct store {
	struct store_pg *pg; /* a PostgreSQL store: every call goes there (store_pg.h) */
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	bool group;                /* store_group_on(): writes join one open transaction */
	bool in_group;             /* that transaction is open */
	void (*opened)(void *arg); /* told when a group opens */
	void *opened_arg;
	int busy_ms;                 /* the busy timeout set (store_set_busy_timeout) */
	struct store_stream *stream; /* a stream commit in slices, in progress */
	int64_t last_pull_id;        /* the highest pull id handed out by this store */
	char *path;                  /* NULL for ":memory:" */
	dev_t dev;                   /* the file opened, for store_identity_check */
	ino_t ino;
	struct store_ckpt *ckpt;   /* checkpoints off the loop (store_ckpt.h); NULL: SQLite's own */
	uint64_t wal_pages;        /* pages written to the WAL since open (wal_hook) */
	int wal_last;              /* the WAL's size in pages after the last commit */
	unsigned char wal_salt[8]; /* the WAL header's salts at the last commit */
};

/* A stream commit in slices (store_stream_begin). */
struct store_stream {
	struct store *st;
	struct store_pg_stream *pg; /* a PostgreSQL store's */
	const struct rowset *rs;
	char ws[WS_NAME_MAX + 1];
	int64_t pull_id;
	char now_s[TS_LEN];
	bool grouped;
	size_t next; /* the next row to write */
	int64_t written;
	char what[WS_NAME_MAX + 96];
};

sqlite3 *store_handle(struct store *st)
{
	if (st && st->pg)
		return NULL;
	return st ? st->db : NULL;
}

/* ---- Instants ---- */

/* Epoch seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define INSTANT_MIN (-62135596800LL)
#define INSTANT_MAX 253402300799LL

/*
 * Format epoch seconds t as "YYYY-MM-DDTHH:MM:SSZ" into out. t == 0 (NULL
 * by this interface's convention) gives "". Returns 0, or -1 when t is
 * outside years 1..9999 (out is then "").
 */
static int fmt_instant(wall_s t, char out[TS_LEN])
{
	out[0] = '\0';
	if (t == 0)
		return 0;
	if (t < INSTANT_MIN || t > INSTANT_MAX)
		return -1;
	ts_format(t, out);
	return 0;
}

/* ---- Binding ---- */

/*
 * Binds the parameters of one statement in order (?1, ?2, ...). The first
 * failure is kept in rc and every later call is a no-op, so a statement's
 * parameters are bound in a straight line and checked once.
 */
struct binder {
	sqlite3_stmt *s;
	int idx;
	int rc;
	wall_s bad_instant; /* the instant that could not be formatted, when rc says so */
	bool instant_failed;
};

static void binder_init(struct binder *b, sqlite3_stmt *s)
{
	*b = (struct binder){.s = s};
}

/* A C string (NULL is SQL NULL), bound without a copy: it must outlive the step. */
static void bind_text(struct binder *b, const char *v)
{
	int i = ++b->idx;
	if (b->rc != SQLITE_OK)
		return;
	b->rc = v ? sqlite3_bind_text(b->s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(b->s, i);
}

/*
 * A text for people that may quote what a server sent (a state reason, a
 * pull's error): bound escaped by textesc with TEXTESC_VISIBLE, so that
 * the store never holds a control, invisible or bidirectional character
 * there, whoever reads it and however. Cut at STORE_SHOWN_MAX bytes after
 * escaping (never inside an escape). NULL stays NULL.
 */
static void bind_shown(struct binder *b, const char *v)
{
	int i = ++b->idx;
	if (b->rc != SQLITE_OK)
		return;
	if (v == NULL) {
		b->rc = sqlite3_bind_null(b->s, i);
		return;
	}
	char shown[STORE_SHOWN_MAX + 1];
	size_t n = textesc_buf(shown, sizeof(shown), v, strlen(v), TEXTESC_VISIBLE);
	b->rc = sqlite3_bind_text(b->s, i, shown, (int)n, SQLITE_TRANSIENT);
}

/* A fixed-size field of at most cap bytes: "" (or no NUL within cap) is NULL. */
static void bind_fixed(struct binder *b, const char *v, size_t cap)
{
	int i = ++b->idx;
	if (b->rc != SQLITE_OK)
		return;
	size_t len = strnlen(v, cap);
	if (len == 0 || len == cap)
		b->rc = sqlite3_bind_null(b->s, i);
	else
		b->rc = sqlite3_bind_text(b->s, i, v, (int)len, SQLITE_STATIC);
}

static void bind_int(struct binder *b, int64_t v)
{
	int i = ++b->idx;
	if (b->rc != SQLITE_OK)
		return;
	b->rc = sqlite3_bind_int64(b->s, i, v);
}

/* A number as the API sent it: absent -> NULL, integer -> INTEGER, real -> REAL. */
static void bind_num(struct binder *b, const struct num *n)
{
	int i = ++b->idx;
	if (b->rc != SQLITE_OK)
		return;
	switch (n->kind) {
	case NUM_INT:
		b->rc = sqlite3_bind_int64(b->s, i, n->i);
		break;
	case NUM_REAL:
		b->rc = sqlite3_bind_double(b->s, i, n->d);
		break;
	case NUM_NULL:
	default:
		b->rc = sqlite3_bind_null(b->s, i);
		break;
	}
}

/* Epoch seconds as UTC text; 0 is NULL. The text is copied by SQLite. */
static void bind_instant(struct binder *b, wall_s t)
{
	int i = ++b->idx;
	if (b->rc != SQLITE_OK)
		return;
	char buf[TS_LEN];
	if (fmt_instant(t, buf) != 0) {
		b->rc = SQLITE_RANGE;
		b->bad_instant = t;
		b->instant_failed = true;
		return;
	}
	b->rc = buf[0] ? sqlite3_bind_text(b->s, i, buf, -1, SQLITE_TRANSIENT)
	               : sqlite3_bind_null(b->s, i);
}

/* The message for a failed binding, after "what: ". Returns the code to return. */
static int binder_fail(struct binder *b, char *err, size_t errlen, const char *what)
{
	if (b->instant_failed)
		errbuf_set(err, errlen, "%s: instant %lld is outside the years 1..9999", what,
		           (long long)b->bad_instant);
	else
		errbuf_set(err, errlen, "%s: cannot bind parameter %d: %s", what, b->idx,
		           sqlite3_errstr(b->rc));
	return b->rc & 0xff;
}

/* Reset s and drop its bindings, ready for the next use. */
static void stmt_done(sqlite3_stmt *s)
{
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
}

/*
 * Step a statement that returns no rows of interest once, then reset it.
 * Returns 0 or the primary code, with "what: <SQLite's message>" in err.
 */
static int run_once(struct store *st, sqlite3_stmt *s, char *err, size_t errlen, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW) {
		rc = SQLITE_OK;
	} else {
		rc &= 0xff;
		errbuf_set(err, errlen, "%s: %s", what, sqlite3_errmsg(st->db));
	}
	stmt_done(s);
	return rc;
}

/* ---- Groups of writes ---- */

static void rollback(struct store *st);

/*
 * Before a write: with groups on, make sure the group's transaction is
 * open (BEGIN IMMEDIATE, then tell the owner), else do nothing. A group
 * that SQLite rolled back by itself (after SQLITE_FULL, IOERR or NOMEM
 * the connection is back in autocommit) is forgotten here and a new one
 * begins; the statement that failed then already reported the error.
 */
static int group_enter(struct store *st, char *err, size_t errlen, const char *what)
{
	if (st->stream) {
		errbuf_set(err, errlen, "%s: a stream commit is in progress (wait for the gate)",
		           what);
		return SQLITE_MISUSE;
	}
	if (!st->group)
		return SQLITE_OK;
	if (st->in_group && !sqlite3_get_autocommit(st->db))
		return SQLITE_OK;
	st->in_group = false;
	int rc = run_once(st, st->stmt[STMT_BEGIN], err, errlen, what);
	if (rc != SQLITE_OK)
		return rc;
	st->in_group = true;
	if (st->opened)
		st->opened(st->opened_arg);
	return SQLITE_OK;
}

int store_try_lock(struct store *st, char *err, size_t errlen)
{
	if (st && st->pg)
		return store_pg_try_lock(st->pg, err, errlen);
	if (!st || !st->group) {
		errbuf_set(err, errlen, "store_try_lock: no store, or groups are off");
		return SQLITE_MISUSE;
	}
	sqlite3_busy_timeout(st->db, 0);
	int rc = group_enter(st, err, errlen, "store: taking the write lock");
	sqlite3_busy_timeout(st->db, st->busy_ms);
	return rc;
}

void store_set_busy_timeout(struct store *st, int64_t ms)
{
	if (st && st->pg)
		return;
	if (!st)
		return;
	st->busy_ms = ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
	sqlite3_busy_timeout(st->db, st->busy_ms);
}

int store_identity_check(struct store *st, char *err, size_t errlen)
{
	if (st && st->pg)
		return SQLITE_OK;
	if (!st || !st->path)
		return SQLITE_OK;
	struct stat sb;
	if (stat(st->path, &sb) != 0) {
		errbuf_set(err, errlen,
		           "store %s: the file is gone (%s): it was deleted or moved "
		           "while wegauged had it open",
		           st->path, strerror(errno));
		return SQLITE_NOTFOUND;
	}
	if (sb.st_dev != st->dev || sb.st_ino != st->ino) {
		errbuf_set(err, errlen,
		           "store %s: another file is at that path now: it was replaced while "
		           "wegauged had it open",
		           st->path);
		return SQLITE_NOTFOUND;
	}
	return SQLITE_OK;
}

void store_group_on(struct store *st, void (*opened)(void *arg), void *arg)
{
	if (st && st->pg)
		return;
	if (!st)
		return;
	/* Best effort: without it the sub-journal is a file, slower but correct. */
	sqlite3_exec(st->db, SQL_TEMP_STORE_MEMORY, NULL, NULL, NULL);
	st->group = true;
	st->opened = opened;
	st->opened_arg = arg;
}

/* ---- Opening ---- */

/* Run one PRAGMA (or other SQL) text, naming it on failure. */
static int exec_setting(sqlite3 *db, const char *sql, const char *path, char *err, size_t errlen)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		errbuf_set(err, errlen, "store %s: %s: %s", path, sql, sqlite3_errmsg(db));
	return rc & 0xff;
}

/* PRAGMA journal_mode = WAL, and check that it took ("memory" for :memory:). */
static int set_wal(sqlite3 *db, const char *path, bool memory, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, SQL_JOURNAL_WAL, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		errbuf_set(err, errlen, "store %s: %s: %s", path, SQL_JOURNAL_WAL,
		           sqlite3_errmsg(db));
		sqlite3_finalize(s);
		return rc == SQLITE_DONE ? SQLITE_ERROR : rc & 0xff;
	}
	const char *mode = (const char *)sqlite3_column_text(s, 0);
	const char *want = memory ? "memory" : "wal";
	rc = SQLITE_OK;
	if (!mode || strcmp(mode, want) != 0) {
		errbuf_set(err, errlen, "store %s: journal_mode is %s where %s was required", path,
		           mode ? mode : "(none)", want);
		rc = SQLITE_ERROR;
	}
	sqlite3_finalize(s);
	return rc;
}

/* Finalize every prepared statement and close db; 0 or the close's code. */
static int close_db(struct store *st)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	int rc = sqlite3_close(st->db);
	if (rc != SQLITE_OK)
		sqlite3_close_v2(st->db); /* a zombie, freed when its last user goes */
	st->db = NULL;
	free(st->path);
	st->path = NULL;
	return rc;
}

/* After each commit: past STORE_CKPT_PAGES pages in the WAL, ask for a checkpoint. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	struct store *st = arg;
	/*
	 * The WAL grew by this commit's pages, or was restarted from its
	 * beginning (after a checkpoint that copied it all): then the commit's
	 * pages are all it holds. A restart changes the salt in the WAL's
	 * header (bytes 16..23), read here: one open and pread per commit.
	 */
	unsigned char salt[8] = {0};
	bool restarted = pages < st->wal_last;
	if (st->path) {
		char wal[STORE_PATH_MAX + 8];
		snprintf(wal, sizeof(wal), "%s-wal", st->path);
		int fd = open(wal, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (pread(fd, salt, sizeof(salt), 16) == (ssize_t)sizeof(salt))
				restarted |= memcmp(salt, st->wal_salt, sizeof(salt)) != 0;
			close(fd);
		}
		memcpy(st->wal_salt, salt, sizeof(salt));
	}
	st->wal_pages += (uint64_t)(restarted ? pages : pages - st->wal_last);
	st->wal_last = pages;
	if (pages >= STORE_CKPT_PAGES)
		store_ckpt_poke(st->ckpt);
	return SQLITE_OK;
}

int store_open(struct store **out, const char *path, const struct store_opts *o, char *err,
               size_t errlen)
{
	if (!out) {
		errbuf_set(err, errlen, "store_open: no place for the result");
		return SQLITE_MISUSE;
	}
	*out = NULL;
	if (!path || !path[0]) {
		errbuf_set(err, errlen, "store: the database path is empty");
		return SQLITE_MISUSE;
	}
	if (store_target_is_pg(path)) {
		struct store *st = calloc(1, sizeof(*st));
		if (!st) {
			errbuf_set(err, errlen, "store: out of memory");
			return SQLITE_NOMEM;
		}
		int prc = store_pg_open(&st->pg, path, o, err, errlen);
		if (prc != SQLITE_OK) {
			free(st);
			return prc;
		}
		*out = st;
		return SQLITE_OK;
	}
	if (strlen(path) > STORE_PATH_MAX) {
		errbuf_set(err, errlen, "store: the database path is longer than %d bytes",
		           STORE_PATH_MAX);
		return SQLITE_MISUSE;
	}
	const struct store_opts defaults = {.synchronous = SYNC_NORMAL,
	                                    .busy_timeout_ms = STORE_DEFAULT_BUSY_MS,
	                                    .journal_size_limit = STORE_DEFAULT_JOURNAL_MAX};
	if (!o)
		o = &defaults;
	if (o->busy_timeout_ms < 0 || o->busy_timeout_ms > INT_MAX) {
		errbuf_set(err, errlen, "store %s: busy_timeout %lld ms is outside 0..%d", path,
		           (long long)o->busy_timeout_ms, INT_MAX);
		return SQLITE_MISUSE;
	}
	if (o->journal_size_limit > (uint64_t)INT64_MAX) {
		errbuf_set(err, errlen, "store %s: journal_size_limit %llu is too large", path,
		           (unsigned long long)o->journal_size_limit);
		return SQLITE_MISUSE;
	}
	if (o->synchronous != SYNC_NORMAL && o->synchronous != SYNC_FULL) {
		errbuf_set(err, errlen, "store %s: synchronous mode %d is neither normal nor full",
		           path, (int)o->synchronous);
		return SQLITE_MISUSE;
	}

	bool memory = strcmp(path, ":memory:") == 0;
	int rc;
	if (!memory) {
		rc = store_check_file(path, err, errlen);
		if (rc != SQLITE_OK)
			return rc;
	}

	struct store *st = calloc(1, sizeof(*st));
	if (!st) {
		errbuf_set(err, errlen, "store %s: out of memory", path);
		return SQLITE_NOMEM;
	}
	/*
	 * NOMUTEX: one thread uses a connection (the loop; worker.c's thread
	 * never touches the store), so SQLite's per-call mutex is pure cost
	 * (4.5% of the instructions of the upserts in callgrind).
	 */
	rc = sqlite3_open_v2(path, &st->db,
	                     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		errbuf_set(err, errlen, "store %s: cannot open: %s", path,
		           st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		rc &= 0xff;
		goto fail;
	}
	/*
	 * SQLite falls back to read-only when the file cannot be opened for
	 * writing (a read-only file system, a file we may not write); every
	 * later step would then fail with a less telling message.
	 */
	if (sqlite3_db_readonly(st->db, "main") == 1) {
		errbuf_set(
		        err, errlen,
		        "store %s: read-only: the file or its file system does not allow writing",
		        path);
		rc = SQLITE_READONLY;
		goto fail;
	}
	st->busy_ms = (int)o->busy_timeout_ms;
	sqlite3_busy_timeout(st->db, st->busy_ms);
	if (!memory) {
		struct stat sb;
		if (stat(path, &sb) != 0 || (st->path = strdup(path)) == NULL) {
			errbuf_set(err, errlen, "store %s: %s", path,
			           st->path ? strerror(errno) : "out of memory");
			rc = SQLITE_CANTOPEN;
			goto fail;
		}
		st->dev = sb.st_dev;
		st->ino = sb.st_ino;
	}

	char sql[64];
	snprintf(sql, sizeof(sql), SQL_JOURNAL_SIZE_LIMIT_FMT, (long long)o->journal_size_limit);
	rc = set_wal(st->db, path, memory, err, errlen);
	if (rc == SQLITE_OK)
		rc = exec_setting(st->db, SQL_FOREIGN_KEYS_ON, path, err, errlen);
	if (rc == SQLITE_OK)
		rc = exec_setting(st->db,
		                  o->synchronous == SYNC_FULL ? SQL_SYNCHRONOUS_FULL
		                                              : SQL_SYNCHRONOUS_NORMAL,
		                  path, err, errlen);
	if (rc == SQLITE_OK)
		rc = exec_setting(st->db, sql, path, err, errlen);
	if (rc != SQLITE_OK)
		goto fail;

	char why[512];
	rc = store_migrate(st->db, store_schema_files, store_schema_count, why, sizeof(why));
	if (rc != SQLITE_OK) {
		errbuf_set(err, errlen, "store %s: %s", path, why);
		goto fail;
	}

	for (int i = 0; i < STMT_COUNT; i++) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                        &st->stmt[i], NULL);
		if (rc != SQLITE_OK) {
			errbuf_set(err, errlen, "store %s: cannot prepare \"%.60s...\": %s", path,
			           stmt_sql[i], sqlite3_errmsg(st->db));
			rc &= 0xff;
			goto fail;
		}
	}
	/*
	 * Checkpoints on the checkpointer's thread: our WAL hook replaces
	 * SQLite's automatic checkpoint and only pokes it. Without the
	 * thread, SQLite's automatic checkpoints stay (on this thread).
	 */
	if (!memory) {
		char why2[256];
		st->ckpt = store_ckpt_start(path, why2, sizeof(why2));
		if (st->ckpt)
			sqlite3_wal_hook(st->db, wal_hook, st);
	}
	*out = st;
	return SQLITE_OK;

fail:
	close_db(st);
	free(st);
	return rc;
}

int store_close(struct store *st)
{
	if (st && st->pg) {
		int prc = store_pg_close(st->pg);
		free(st);
		return prc;
	}
	if (!st)
		return SQLITE_OK;
	store_stream_abort(st->stream);
	store_flush(st, NULL, 0);
	store_ckpt_stop(st->ckpt); /* before the truncating checkpoint below */
	st->ckpt = NULL;
	for (int i = 0; i < STMT_COUNT; i++) {
		sqlite3_finalize(st->stmt[i]);
		st->stmt[i] = NULL;
	}
	/*
	 * Truncate the WAL: the file is left small, and as the last connection
	 * SQLite then deletes it. A reader elsewhere may make this a partial
	 * checkpoint; that is not an error of the close.
	 */
	sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	int rc = close_db(st);
	free(st);
	return rc;
}

void store_queue_stats(struct store *st, struct store_queue_stats *s)
{
	if (st && st->pg) {
		store_pg_stats(st->pg, s);
		return;
	}
	*s = (struct store_queue_stats){0};
	if (st)
		s->wal_pages = st->wal_pages;
}

int store_drain(struct store *st, char *err, size_t errlen)
{
	return st && st->pg ? store_pg_drain(st->pg, err, errlen) : SQLITE_OK;
}

void store_unavailable(struct store *st, char *buf, size_t len)
{
	if (st && st->pg)
		store_pg_unavailable(st->pg, buf, len);
	else
		errbuf_set(buf, len, "store locked by another process");
}

uint64_t store_checkpoints(struct store *st)
{
	return st && st->ckpt ? store_ckpt_done(st->ckpt) : 0;
}

int store_checkpoint(struct store *st, char *err, size_t errlen)
{
	if (st && st->pg)
		return SQLITE_OK;
	if (!st) {
		errbuf_set(err, errlen, "store_checkpoint: no store");
		return SQLITE_MISUSE;
	}
	int rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK) {
		errbuf_set(err, errlen, "store: WAL checkpoint: %s", sqlite3_errmsg(st->db));
		return rc & 0xff;
	}
	return SQLITE_OK;
}

int store_flush(struct store *st, char *err, size_t errlen)
{
	if (st && st->pg)
		return SQLITE_OK;
	if (!st || !st->in_group)
		return SQLITE_OK;
	if (st->stream) {
		errbuf_set(err, errlen, "store: a group cannot commit half a stream (wait for it)");
		return SQLITE_MISUSE;
	}
	st->in_group = false;
	if (sqlite3_get_autocommit(st->db)) {
		errbuf_set(err, errlen,
		           "store: a group of writes was rolled back by SQLite after an error; the "
		           "pulls in it are not stored");
		return SQLITE_ABORT;
	}
	int rc = run_once(st, st->stmt[STMT_COMMIT], err, errlen,
	                  "store: committing a group of writes (its pulls are not stored)");
	if (rc != SQLITE_OK)
		rollback(st);
	return rc;
}

/* ---- workspace ---- */

int store_ws_put(struct store *st, const struct store_ws *w, char *err, size_t errlen)
{
	if (st && st->pg && w)
		return store_pg_ws_put(st->pg, w, err, errlen);
	if (!st || !w || !w->name) {
		errbuf_set(err, errlen, "store_ws_put: no store, workspace or name");
		return SQLITE_MISUSE;
	}
	char what[WS_NAME_MAX + 32];
	snprintf(what, sizeof(what), "store: workspace %.64s", w->name);
	int grc = group_enter(st, err, errlen, what);
	if (grc != SQLITE_OK)
		return grc;
	sqlite3_stmt *s = st->stmt[STMT_WS_PUT];
	struct binder b;
	binder_init(&b, s);
	bind_text(&b, w->name);
	bind_text(&b, w->license_code);
	bind_text(&b, w->data_center);
	bind_text(&b, w->base_url);
	bind_text(&b, w->key_fingerprint);
	bind_text(&b, w->state);
	bind_shown(&b, w->state_reason);
	bind_instant(&b, w->last_pull_at);
	bind_instant(&b, w->last_success_at);
	bind_instant(&b, w->next_pull_at);
	bind_int(&b, w->consecutive_failures);
	struct num price = {.kind = w->has_seat_price ? NUM_REAL : NUM_NULL,
	                    .d = (double)w->seat_price_e4 / 10000.0};
	bind_num(&b, &price);
	bind_text(&b, w->currency);
	struct num interval = {.kind = w->interval_s > 0 ? NUM_INT : NUM_NULL, .i = w->interval_s};
	bind_num(&b, &interval);
	if (b.rc != SQLITE_OK) {
		stmt_done(s);
		return binder_fail(&b, err, errlen, what);
	}
	return run_once(st, s, err, errlen, what);
}

/* Copy src into dst[cap]; -1 when it does not fit. NULL copies as "". */
static int copy_bounded(char *dst, size_t cap, const char *src)
{
	size_t len = src ? strlen(src) : 0;
	if (len >= cap)
		return -1;
	memcpy(dst, src ? src : "", len + 1);
	return 0;
}

int store_ws_get(struct store *st, const char *name, struct store_ws_saved *out, char *err,
                 size_t errlen)
{
	if (st && st->pg && name && out)
		return store_pg_ws_get(st->pg, name, out, err, errlen);
	if (!st || !name || !out) {
		errbuf_set(err, errlen, "store_ws_get: no store, name or result");
		return -SQLITE_MISUSE;
	}
	sqlite3_stmt *s = st->stmt[STMT_WS_GET];
	int rc = sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		stmt_done(s);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		errbuf_set(err, errlen, "store: workspace %.64s: %s", name, sqlite3_errmsg(st->db));
		stmt_done(s);
		return -(rc & 0xff);
	}
	memset(out, 0, sizeof(*out));
	const char *state = (const char *)sqlite3_column_text(s, 0);
	const char *fp = (const char *)sqlite3_column_text(s, 1);
	const char *reason = (const char *)sqlite3_column_text(s, 5);
	rc = 1;
	if (copy_bounded(out->state, sizeof(out->state), state) != 0 ||
	    copy_bounded(out->key_fingerprint, sizeof(out->key_fingerprint), fp) != 0 ||
	    copy_bounded(out->license_code, sizeof(out->license_code),
	                 (const char *)sqlite3_column_text(s, 6)) != 0 ||
	    copy_bounded(out->base_url, sizeof(out->base_url),
	                 (const char *)sqlite3_column_text(s, 7)) != 0) {
		errbuf_set(
		        err, errlen,
		        "store: workspace %.64s: a stored state, key fingerprint, license code or"
		        " base URL is too long",
		        name);
		rc = -SQLITE_TOOBIG;
	}
	snprintf(out->state_reason, sizeof(out->state_reason), "%s", reason ? reason : "");
	out->last_pull_at = sqlite3_column_int64(s, 2);
	out->last_success_at = sqlite3_column_int64(s, 3);
	out->consecutive_failures = sqlite3_column_int(s, 4);
	stmt_done(s);
	return rc;
}

int store_ws_each_active(struct store *st, void (*fn)(const char *name, void *arg), void *arg,
                         char *err, size_t errlen)
{
	if (st && st->pg && fn)
		return store_pg_ws_each_active(st->pg, fn, arg, err, errlen);
	if (!st || !fn) {
		errbuf_set(err, errlen, "store_ws_each_active: no store or function");
		return SQLITE_MISUSE;
	}
	/*
	 * Collect the names first and call fn after the statement is reset,
	 * so that fn may write to the store (mark a workspace removed, ...).
	 */
	sqlite3_stmt *s = st->stmt[STMT_WS_ACTIVE];
	char(*names)[WS_NAME_MAX + 1] = NULL;
	size_t n = 0, cap = 0;
	bool stopped = false; /* by a bound below, with err and rc set */
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		if (n == STORE_MAX_WORKSPACES) {
			errbuf_set(err, errlen, "store: more than %d active workspaces",
			           STORE_MAX_WORKSPACES);
			rc = SQLITE_TOOBIG;
			stopped = true;
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *p = realloc(names, ncap * sizeof(*names));
			if (!p) {
				errbuf_set(err, errlen, "store: out of memory listing workspaces");
				rc = SQLITE_NOMEM;
				stopped = true;
				break;
			}
			names = p;
			cap = ncap;
		}
		if (copy_bounded(names[n], sizeof(names[n]), name) != 0) {
			errbuf_set(err, errlen,
			           "store: a stored workspace name is longer than %d bytes",
			           WS_NAME_MAX);
			rc = SQLITE_TOOBIG;
			stopped = true;
			break;
		}
		n++;
	}
	if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	} else if (!stopped) {
		rc &= 0xff;
		errbuf_set(err, errlen, "store: listing workspaces: %s", sqlite3_errmsg(st->db));
	}
	stmt_done(s);
	if (rc == SQLITE_OK)
		for (size_t i = 0; i < n; i++)
			fn(names[i], arg);
	free(names);
	return rc;
}

int store_ws_set_state(struct store *st, const char *name, const char *state, const char *reason,
                       char *err, size_t errlen)
{
	if (st && st->pg && name && state)
		return store_pg_ws_set_state(st->pg, name, state, reason, err, errlen);
	if (!st || !name || !state) {
		errbuf_set(err, errlen, "store_ws_set_state: no store, name or state");
		return SQLITE_MISUSE;
	}
	char what[WS_NAME_MAX + 32];
	snprintf(what, sizeof(what), "store: workspace %.64s", name);
	int grc = group_enter(st, err, errlen, what);
	if (grc != SQLITE_OK)
		return grc;
	sqlite3_stmt *s = st->stmt[STMT_WS_SET_STATE];
	struct binder b;
	binder_init(&b, s);
	bind_text(&b, state);
	bind_shown(&b, reason);
	bind_text(&b, name);
	if (b.rc != SQLITE_OK) {
		stmt_done(s);
		return binder_fail(&b, err, errlen, what);
	}
	int rc = run_once(st, s, err, errlen, what);
	if (rc == SQLITE_OK && sqlite3_changes(st->db) == 0) {
		errbuf_set(err, errlen, "%s: not in the store", what);
		rc = SQLITE_NOTFOUND;
	}
	return rc;
}

/* ---- pull ---- */

int store_pull_begin(struct store *st, const char *ws, wall_s started_at, int64_t *id, char *err,
                     size_t errlen)
{
	if (st && st->pg && ws && id)
		return store_pg_pull_begin(st->pg, ws, started_at, id, err, errlen);
	if (!st || !ws || !id) {
		errbuf_set(err, errlen, "store_pull_begin: no store, workspace or id");
		return SQLITE_MISUSE;
	}
	*id = 0;
	char what[WS_NAME_MAX + 48];
	snprintf(what, sizeof(what), "store: beginning a pull of workspace %.64s", ws);
	if (started_at == 0) {
		errbuf_set(err, errlen, "%s: no start time", what);
		return SQLITE_MISUSE;
	}
	int grc = group_enter(st, err, errlen, what);
	if (grc != SQLITE_OK)
		return grc;
	sqlite3_stmt *s = st->stmt[STMT_PULL_BEGIN];
	struct binder b;
	binder_init(&b, s);
	bind_text(&b, ws);
	bind_instant(&b, started_at);
	bind_int(&b, st->last_pull_id + 1);
	if (b.rc != SQLITE_OK) {
		stmt_done(s);
		return binder_fail(&b, err, errlen, what);
	}
	int rc = run_once(st, s, err, errlen, what);
	if (rc == SQLITE_OK) {
		*id = sqlite3_last_insert_rowid(st->db);
		if (*id > st->last_pull_id)
			st->last_pull_id = *id;
	}
	return rc;
}

static const char *const pull_status_names[PULL_STATUS_COUNT] = PULL_STATUS_NAMES;

/* The outcomes a pull may end with: every status of pull_status.h but running. */
static bool pull_status_valid(const char *s)
{
	for (int i = 0; i < PULL_STATUS_COUNT; i++)
		if (i != PULL_RUNNING && strcmp(s, pull_status_names[i]) == 0)
			return true;
	return false;
}

/* "ok, partial, ...": the outcomes of pull_status_valid, for a message. */
static void pull_status_ends(char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < PULL_STATUS_COUNT && n < len; i++)
		if (i != PULL_RUNNING)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
			                      pull_status_names[i]);
}

int store_pull_end(struct store *st, int64_t id, const struct store_pull_end *e, char *err,
                   size_t errlen)
{
	if (!st || !e) {
		errbuf_set(err, errlen, "store_pull_end: no store or outcome");
		return SQLITE_MISUSE;
	}
	char what[64];
	snprintf(what, sizeof(what), "store: ending pull %lld", (long long)id);
	if (!e->status || !pull_status_valid(e->status)) {
		char ends[128];
		pull_status_ends(ends, sizeof(ends));
		errbuf_set(err, errlen, "%s: status \"%.32s\" is not one of %s", what,
		           e->status ? e->status : "(null)", ends);
		return SQLITE_MISUSE;
	}
	if (e->finished_at == 0) {
		errbuf_set(err, errlen, "%s: no finish time", what);
		return SQLITE_MISUSE;
	}
	if (st->pg) /* the checks above hold for both stores */
		return store_pg_pull_end(st->pg, id, e, err, errlen);
	int grc = group_enter(st, err, errlen, what);
	if (grc != SQLITE_OK)
		return grc;
	sqlite3_stmt *s = st->stmt[STMT_PULL_END];
	struct binder b;
	binder_init(&b, s);
	bind_instant(&b, e->finished_at);
	bind_text(&b, e->status);
	bind_int(&b, e->requests);
	bind_int(&b, e->retries);
	bind_int(&b, e->rows);
	bind_shown(&b, e->error);
	bind_int(&b, id);
	if (b.rc != SQLITE_OK) {
		stmt_done(s);
		return binder_fail(&b, err, errlen, what);
	}
	int rc = run_once(st, s, err, errlen, what);
	if (rc == SQLITE_OK && sqlite3_changes(st->db) == 0) {
		errbuf_set(err, errlen, "%s: no such pull is running", what);
		rc = SQLITE_NOTFOUND;
	}
	return rc;
}

int store_pull_close_running(struct store *st, wall_s now, int *n, char *err, size_t errlen)
{
	if (st && st->pg)
		return store_pg_pull_close_running(st->pg, now, n, err, errlen);
	if (!st) {
		errbuf_set(err, errlen, "store_pull_close_running: no store");
		return SQLITE_MISUSE;
	}
	if (n)
		*n = 0;
	const char *what = "store: closing interrupted pulls";
	if (now == 0) {
		errbuf_set(err, errlen, "%s: no time", what);
		return SQLITE_MISUSE;
	}
	int grc = group_enter(st, err, errlen, what);
	if (grc != SQLITE_OK)
		return grc;
	sqlite3_stmt *s = st->stmt[STMT_PULL_CLOSE_RUNNING];
	struct binder b;
	binder_init(&b, s);
	bind_instant(&b, now);
	if (b.rc != SQLITE_OK) {
		stmt_done(s);
		return binder_fail(&b, err, errlen, what);
	}
	int rc = run_once(st, s, err, errlen, what);
	if (rc == SQLITE_OK && n)
		*n = sqlite3_changes(st->db);
	return rc;
}

/* ---- Committing a stream ---- */

/* Bind row i of rs to its stream's upsert, in the order of store_sql.h. */
static void bind_row(struct binder *b, const struct rowset *rs, size_t i, const char *ws,
                     int64_t pull_id, const char *now)
{
	bind_text(b, ws);
	switch (rs->stream) {
	case STREAM_STATS: {
		const struct row_feature *r = ROWSET_AT(rs, struct row_feature, i);
		bind_fixed(b, r->day, sizeof(r->day));
		bind_text(b, r->feature);
		bind_text(b, r->metric);
		bind_num(b, &r->value);
		break;
	}
	case STREAM_CAMPAIGNS: {
		const struct row_campaign *r = ROWSET_AT(rs, struct row_campaign, i);
		bind_text(b, r->channel);
		bind_text(b, r->campaign_id);
		bind_text(b, r->title);
		bind_text(b, r->status);
		bind_text(b, r->category);
		bind_fixed(b, r->created_on, sizeof(r->created_on));
		bind_fixed(b, r->start_date, sizeof(r->start_date));
		bind_num(b, &r->sent);
		bind_num(b, &r->delivered);
		bind_num(b, &r->clicks);
		bind_num(b, &r->conversions);
		bind_num(b, &r->revenue);
		break;
	}
	case STREAM_ACTIVE_USERS: {
		const struct row_active *r = ROWSET_AT(rs, struct row_active, i);
		bind_fixed(b, r->day, sizeof(r->day));
		bind_text(b, r->platform);
		bind_num(b, &r->dau);
		bind_num(b, &r->wau);
		bind_num(b, &r->mau);
		break;
	}
	case STREAM_TEAM:
	default: {
		const struct row_seat *r = ROWSET_AT(rs, struct row_seat, i);
		bind_text(b, r->email);
		bind_text(b, r->name);
		bind_text(b, r->role);
		bind_text(b, r->status);
		bind_fixed(b, r->last_login_at, sizeof(r->last_login_at));
		break;
	}
	}
	bind_int(b, pull_id);
	bind_text(b, now);
}

/*
 * Roll back the open transaction, if any: after SQLITE_FULL, SQLITE_IOERR
 * or SQLITE_NOMEM SQLite may already have rolled it back itself. Should
 * the prepared ROLLBACK fail, a freshly compiled one is tried, so that the
 * connection is not left inside a transaction that every later BEGIN
 * would trip over.
 */
static void rollback(struct store *st)
{
	if (sqlite3_get_autocommit(st->db))
		return;
	sqlite3_step(st->stmt[STMT_ROLLBACK]);
	sqlite3_reset(st->stmt[STMT_ROLLBACK]);
	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, SQL_ROLLBACK, NULL, NULL, NULL);
}

/*
 * Undo a stream that failed: alone, roll its transaction back; in a
 * group, roll back to its savepoint and release it, so the group's
 * earlier writes stand. Should SQLite have rolled the whole group back
 * already (autocommit again), there is nothing left to undo; should the
 * savepoint itself fail, the group is rolled back whole rather than left
 * in an unknown state.
 */
static void stream_abort(struct store *st, bool grouped)
{
	if (!grouped) {
		rollback(st);
		return;
	}
	if (sqlite3_get_autocommit(st->db)) {
		st->in_group = false;
		return;
	}
	int rc = sqlite3_step(st->stmt[STMT_ROLLBACK_TO]);
	sqlite3_reset(st->stmt[STMT_ROLLBACK_TO]);
	if (rc == SQLITE_DONE) {
		rc = sqlite3_step(st->stmt[STMT_RELEASE]);
		sqlite3_reset(st->stmt[STMT_RELEASE]);
	}
	if (rc != SQLITE_DONE) {
		rollback(st);
		st->in_group = false;
	}
}

int store_stream_begin(struct store *st, const char *ws, int64_t pull_id, wall_s now,
                       const struct rowset *rs, struct store_stream **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!st || !ws || !rs || (unsigned)rs->stream >= STREAM_COUNT) {
		errbuf_set(err, errlen, "store_stream_begin: no store, workspace or rowset");
		return SQLITE_MISUSE;
	}
	const char *sname = stream_name(rs->stream);
	if ((rs->n > 0 && !rs->rows) || rs->row_size != rowset_row_size(rs->stream)) {
		errbuf_set(err, errlen,
		           "store: commit of stream %s: the rowset is not one of %s rows", sname,
		           sname);
		return SQLITE_MISUSE;
	}
	if (st->pg) {
		struct store_stream *c = calloc(1, sizeof(*c));
		if (!c) {
			errbuf_set(err, errlen, "store: out of memory");
			return SQLITE_NOMEM;
		}
		c->st = st;
		int prc = store_pg_stream_begin(st->pg, ws, pull_id, now, rs, &c->pg, err, errlen);
		if (prc != SQLITE_OK) {
			free(c);
			return prc;
		}
		*out = c;
		return SQLITE_OK;
	}
	struct store_stream *c = calloc(1, sizeof(*c));
	if (!c) {
		errbuf_set(err, errlen, "store: commit of stream %s: out of memory", sname);
		return SQLITE_NOMEM;
	}
	c->st = st;
	c->rs = rs;
	c->pull_id = pull_id;
	snprintf(c->ws, sizeof(c->ws), "%s", ws);
	if (now == 0 || fmt_instant(now, c->now_s) != 0) {
		errbuf_set(err, errlen, "store: commit of stream %s: time %lld is not usable",
		           sname, (long long)now);
		free(c);
		return SQLITE_MISUSE;
	}
	/* What every message starts with. */
	snprintf(c->what, sizeof(c->what),
	         "store: commit of stream %s (workspace %.64s, pull %lld)", sname, ws,
	         (long long)pull_id);

	/* Alone: its own transaction. In a group: a savepoint inside the group's. */
	c->grouped = st->group;
	int rc = c->grouped ? group_enter(st, err, errlen, c->what) : SQLITE_OK;
	if (rc == SQLITE_OK && st->stream) {
		errbuf_set(err, errlen, "%s: another stream commit is in progress", c->what);
		rc = SQLITE_MISUSE;
	}
	if (rc == SQLITE_OK)
		rc = run_once(st, st->stmt[c->grouped ? STMT_SAVEPOINT : STMT_BEGIN], err, errlen,
		              c->what);
	if (rc != SQLITE_OK) {
		free(c);
		return rc; /* nothing begun */
	}

	/* The pull must be a running pull of this workspace. */
	sqlite3_stmt *s = st->stmt[STMT_PULL_CHECK];
	rc = sqlite3_bind_int64(s, 1, pull_id);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(s, 2, ws, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		errbuf_set(err, errlen, "%s: no such pull of that workspace is running", c->what);
		rc = SQLITE_CONSTRAINT;
	} else if (rc == SQLITE_ROW) {
		rc = SQLITE_OK;
	} else {
		errbuf_set(err, errlen, "%s: checking the pull: %s", c->what,
		           sqlite3_errmsg(st->db));
		rc &= 0xff;
	}
	stmt_done(s);
	if (rc != SQLITE_OK) {
		stream_abort(st, c->grouped);
		free(c);
		return rc;
	}
	st->stream = c;
	*out = c;
	return SQLITE_OK;
}

/*
 * The emails of a team rowset as a JSON array (for json_each), malloc'd;
 * NULL when out of memory. Control characters, '"' and '\\' are escaped;
 * other bytes go as they are (the parser gave valid UTF-8).
 */
static char *emails_json(const struct rowset *rs)
{
	size_t cap = 2;
	for (size_t i = 0; i < rs->n; i++) {
		const char *e = ROWSET_AT(rs, struct row_seat, i)->email;
		cap += 3 + 6 * strlen(e ? e : "");
	}
	char *out = malloc(cap + 1), *p = out;
	if (!out)
		return NULL;
	*p++ = '[';
	for (size_t i = 0; i < rs->n; i++) {
		const unsigned char *e =
		        (const unsigned char *)ROWSET_AT(rs, struct row_seat, i)->email;
		if (i)
			*p++ = ',';
		*p++ = '"';
		for (; e && *e; e++) {
			if (*e < 0x20 || *e == '"' || *e == '\\')
				p += sprintf(p, "\\u%04x", *e);
			else
				*p++ = (char)*e;
		}
		*p++ = '"';
	}
	*p++ = ']';
	*p = '\0';
	return out;
}

/* Run s, bound by b, once: 0 or the code with err saying "<what> failed <doing>: ...". */
static int step_bound(struct store *st, struct binder *b, sqlite3_stmt *s, const char *what,
                      const char *doing, char *err, size_t errlen)
{
	int rc = b->rc == SQLITE_OK ? sqlite3_step(s) : b->rc;
	if (b->rc != SQLITE_OK) {
		errbuf_set(err, errlen, "%s failed %s: binding: %s", what, doing,
		           sqlite3_errstr(b->rc));
		rc = b->rc & 0xff;
	} else if (rc != SQLITE_DONE) {
		errbuf_set(err, errlen, "%s failed %s: %s", what, doing, sqlite3_errmsg(st->db));
		rc &= 0xff;
	} else {
		rc = SQLITE_OK;
	}
	stmt_done(s);
	return rc;
}

/*
 * The end of a stream whose rows are all in, then RELEASE or COMMIT: the
 * removal marks of a team listing that changed, the listing recorded
 * (pull.streams), the walk's page digests remembered when they changed.
 */
static int stream_finish(struct store_stream *c, char *err, size_t errlen)
{
	struct store *st = c->st;
	const struct rowset *rs = c->rs;
	const char *sname = stream_name(rs->stream);
	struct binder b;
	int rc = SQLITE_OK;
	if (rs->stream == STREAM_TEAM && !rs->unchanged) {
		char *emails = emails_json(rs);
		if (!emails) {
			errbuf_set(err, errlen, "%s failed marking removed seats: out of memory",
			           c->what);
			return SQLITE_NOMEM;
		}
		sqlite3_stmt *s = st->stmt[STMT_SEAT_MARK_REMOVED];
		binder_init(&b, s);
		bind_text(&b, c->ws);
		bind_int(&b, c->pull_id);
		bind_text(&b, c->now_s);
		bind_text(&b, emails);
		rc = step_bound(st, &b, s, c->what, "marking removed seats", err, errlen);
		free(emails);
		if (rc != SQLITE_OK)
			return rc;
		c->written += sqlite3_changes(st->db);
	}
	sqlite3_stmt *s = st->stmt[STMT_PULL_ADD_STREAM];
	binder_init(&b, s);
	bind_int(&b, c->pull_id);
	bind_text(&b, sname);
	rc = step_bound(st, &b, s, c->what, "recording the listing", err, errlen);
	if (rc == SQLITE_OK && !rs->unchanged) {
		s = st->stmt[rs->digests ? STMT_STREAM_DIGEST_PUT : STMT_STREAM_DIGEST_DEL];
		binder_init(&b, s);
		bind_text(&b, c->ws);
		bind_text(&b, sname);
		if (rs->digests && b.rc == SQLITE_OK)
			b.rc = sqlite3_bind_blob(s, ++b.idx, rs->digests, (int)rs->digests_len,
			                         SQLITE_STATIC);
		rc = step_bound(st, &b, s, c->what, "remembering its pages", err, errlen);
	}
	if (rc != SQLITE_OK)
		return rc;
	char what_commit[sizeof(c->what) + 16];
	snprintf(what_commit, sizeof(what_commit), "%s at %s", c->what,
	         c->grouped ? "RELEASE" : "COMMIT");
	return run_once(st, st->stmt[c->grouped ? STMT_RELEASE : STMT_COMMIT], err, errlen,
	                what_commit);
}

int store_stream_digests(struct store *st, const char *ws, enum stream stream, unsigned char **out,
                         size_t *len, char *err, size_t errlen)
{
	*out = NULL;
	*len = 0;
	if (st->pg)
		return store_pg_stream_digests(st->pg, ws, stream, out, len, err, errlen);
	sqlite3_stmt *s = st->stmt[STMT_STREAM_DIGEST_GET];
	struct binder b;
	binder_init(&b, s);
	bind_text(&b, ws);
	bind_text(&b, stream_name(stream));
	int rc = b.rc == SQLITE_OK ? sqlite3_step(s) : b.rc;
	if (rc == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(s, 0);
		int n = sqlite3_column_bytes(s, 0);
		if (blob && n > 0) {
			*out = malloc((size_t)n);
			if (*out) {
				memcpy(*out, blob, (size_t)n);
				*len = (size_t)n;
			}
		}
		rc = *len || !blob ? SQLITE_OK : SQLITE_NOMEM;
		if (rc == SQLITE_NOMEM)
			errbuf_set(err, errlen,
			           "store: reading the page digests of %s: out of memory", ws);
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	} else {
		errbuf_set(err, errlen, "store: reading the page digests of %s: %s", ws,
		           sqlite3_errmsg(st->db));
		rc &= 0xff;
	}
	stmt_done(s);
	return rc;
}

int store_stream_step(struct store_stream *c, size_t max_rows, bool *done, int64_t *n_rows,
                      char *err, size_t errlen)
{
	if (c && c->pg) {
		int prc = store_pg_stream_step(c->pg, max_rows, done, n_rows, err, errlen);
		if (prc != SQLITE_OK || *done)
			free(c); /* the PostgreSQL cursor is freed by then */
		return prc;
	}
	struct store *st = c->st;
	const struct rowset *rs = c->rs;
	*done = false;
	sqlite3_stmt *s = st->stmt[stream_stmt[rs->stream]];
	size_t end = rs->n - c->next > max_rows ? c->next + max_rows : rs->n;
	int rc = SQLITE_OK;
	for (size_t i = c->next; i < end; i++) {
		struct binder b;
		binder_init(&b, s);
		bind_row(&b, rs, i, c->ws, c->pull_id, c->now_s);
		if (b.rc == SQLITE_OK)
			rc = sqlite3_step(s);
		if (b.rc != SQLITE_OK) {
			errbuf_set(err, errlen, "%s failed at row index %zu of %zu: binding: %s",
			           c->what, i, rs->n, sqlite3_errstr(b.rc));
			rc = b.rc & 0xff;
		} else if (rc != SQLITE_DONE) {
			errbuf_set(err, errlen, "%s failed at row index %zu of %zu: %s", c->what, i,
			           rs->n, sqlite3_errmsg(st->db));
			rc &= 0xff;
		} else {
			rc = SQLITE_OK;
			c->written += sqlite3_changes(st->db); /* 0 for an unchanged row */
		}
		stmt_done(s);
		if (rc != SQLITE_OK)
			break;
	}
	c->next = end;
	if (rc == SQLITE_OK && c->next == rs->n) {
		rc = stream_finish(c, err, errlen);
		if (rc == SQLITE_OK) {
			if (n_rows)
				*n_rows = c->written;
			*done = true;
			st->stream = NULL;
			free(c);
			return SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		st->stream = NULL;
		stream_abort(st, c->grouped);
		free(c);
	}
	return rc;
}

void store_stream_abort(struct store_stream *c)
{
	if (c && c->pg) {
		store_pg_stream_abort(c->pg);
		free(c);
		return;
	}
	if (!c)
		return;
	c->st->stream = NULL;
	stream_abort(c->st, c->grouped);
	free(c);
}

int store_commit_stream(struct store *st, const char *ws, int64_t pull_id, wall_s now,
                        const struct rowset *rs, int64_t *n_rows, char *err, size_t errlen)
{
	if (n_rows)
		*n_rows = 0;
	struct store_stream *c;
	int rc = store_stream_begin(st, ws, pull_id, now, rs, &c, err, errlen);
	bool done = false;
	if (rc == SQLITE_OK)
		rc = store_stream_step(c, SIZE_MAX, &done, n_rows, err, errlen);
	return rc;
}

/* ---- the fleet (PostgreSQL only; store_pg_fleet.c) ---- */

static struct store_pg_fleet *fleet_of(struct store *st)
{
	return st && st->pg ? store_pg_fleet_of(st->pg) : NULL;
}

static int not_fleet(char *err, size_t errlen)
{
	errbuf_set(err, errlen, "store: not a fleet member's (a PostgreSQL store with [fleet])");
	return SQLITE_MISUSE;
}

int store_fleet_hooks(struct store *st, const struct store_fleet_hooks *h)
{
	struct store_pg_fleet *f = fleet_of(st);
	return f ? store_pg_fleet_set_hooks(f, h) : SQLITE_MISUSE;
}

int store_fleet_configure(struct store *st, const char *fingerprint, const char *const *names,
                          size_t n, char *err, size_t errlen)
{
	struct store_pg_fleet *f = fleet_of(st);
	return f ? store_pg_fleet_configure(f, fingerprint, names, n, err, errlen)
	         : not_fleet(err, errlen);
}

int store_fleet_heartbeat(struct store *st, const char *const *take, size_t n, char *err,
                          size_t errlen)
{
	struct store_pg_fleet *f = fleet_of(st);
	return f ? store_pg_fleet_heartbeat(f, take, n, err, errlen) : not_fleet(err, errlen);
}

int store_fleet_release(struct store *st, const char *name, char *err, size_t errlen)
{
	struct store_pg_fleet *f = fleet_of(st);
	return f ? store_pg_fleet_release(f, name, err, errlen) : not_fleet(err, errlen);
}

int store_fleet_read_members(struct store *st, const char *const *members, size_t n, char *err,
                             size_t errlen)
{
	struct store_pg_fleet *f = fleet_of(st);
	return f ? store_pg_fleet_read_members(f, members, n, err, errlen) : not_fleet(err, errlen);
}

bool store_fleet_holds(struct store *st, const char *name)
{
	struct store_pg_fleet *f = fleet_of(st);
	return f && store_pg_fleet_token(f, name) > 0;
}

void store_fleet_stats(struct store *st, struct store_fleet_stats *s)
{
	struct store_pg_fleet *f = fleet_of(st);
	if (f)
		store_pg_fleet_stats(f, s);
	else
		*s = (struct store_fleet_stats){0};
}
