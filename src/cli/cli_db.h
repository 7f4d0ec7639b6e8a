/*
 * cli_db.h: the wegauge tool's read-only view of the store.
 *
 * The tool never writes and never makes the daemon wait: it opens the
 * store with a file:PATH?mode=ro URI and SQLITE_OPEN_READONLY, sets
 * PRAGMA query_only, waits at most CLI_BUSY_TIMEOUT_MS for a lock, and
 * reads inside a deferred transaction (one WAL snapshot, which never
 * blocks the writer). Only a store this build understands is read: a
 * wegauge store (PRAGMA application_id) at exactly the schema version
 * this build knows (store_schema_version()).
 *
 * A store without a -wal file that the reader cannot open plainly (it may
 * not create the -shm beside it: the daemon is stopped and the reader is
 * only in its group) is read with immutable=1 instead (see cli_db.c).
 */
#ifndef WEGAUGE_CLI_DB_H
#define WEGAUGE_CLI_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "cli_out.h"

#define CLI_BUSY_TIMEOUT_MS 5000
/* The longest database path accepted (bytes); its URI may be three times as long. */
#define CLI_PATH_MAX 4095

/*
 * Write the SQLite URI that opens path read-only into out (outlen bytes):
 * "file:" then path with every byte that is not unreserved or '/'
 * percent-encoded, then "?mode=ro" (and "&immutable=1" when asked). An
 * absolute path gets an empty authority ("file:///var/..."), so "//x"
 * stays a path. Returns 0, or -1 when path is empty, longer than
 * CLI_PATH_MAX or out is too small for the worst case (3 bytes a byte).
 */
int cli_db_uri(const char *path, bool immutable, char *out, size_t outlen);

/*
 * Open the store at path read-only and check what it is. On success *out
 * is the connection (close it with cli_db_close) and 0 is returned. Else
 * *out is NULL, -1 is returned and err holds one line naming path and the
 * problem: no such file, not a regular file, cannot be opened, not a
 * SQLite database, not a wegauge store, schema version newer than this
 * wegauge (upgrade wegauge), or older (start wegauged to migrate it).
 */
int cli_db_open(const char *path, sqlite3 **out, char *err, size_t errlen);

/* End any read transaction and close db. NULL is a no-op. */
void cli_db_close(sqlite3 *db);

/* Start the read snapshot (plain BEGIN: deferred, never IMMEDIATE). 0 or -1 with err. */
int cli_db_begin(sqlite3 *db, char *err, size_t errlen);

/* A value to bind to a statement parameter ?1, ?2, ... */
enum cli_bind_kind { CLI_BIND_NULL = 0, CLI_BIND_INT, CLI_BIND_TEXT };
struct cli_bind {
	enum cli_bind_kind kind;
	int64_t i;
	const char *s; /* CLI_BIND_TEXT: NUL-terminated; NULL binds NULL */
};
#define CLI_MAX_BINDS 16

/*
 * Run sql with binds b[0..nb-1] as ?1..?nb and add its rows to r as a new
 * section named name with title (may be NULL); its columns are the
 * statement's result columns, named as in the SQL. INTEGER, REAL, TEXT
 * and NULL values keep their type; a BLOB becomes its bytes as text.
 * Returns the section (owned by r), or NULL with err naming the section
 * and SQLite's message.
 */
struct cli_section *cli_db_query(sqlite3 *db, struct cli_result *r, const char *name,
                                 const char *title, const char *sql, const struct cli_bind *b,
                                 size_t nb, char *err, size_t errlen);

#endif
