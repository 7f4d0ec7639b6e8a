/*
 * cli_db.h: the wegauge tool's read-only view of the store, on SQLite or
 * on PostgreSQL (docs/operator.md, "The store"; include/store_target.h).
 *
 * Every command reads through this one small interface: open a store
 * (the `database` setting or -d decides which kind, by
 * store_target_is_pg), start one read snapshot, run queries into results
 * (cli_out.h), close. A query is given in both dialects (struct
 * cli_query: cli_sql.h and cli_sql_pg.h), and both give the same cells:
 * the PostgreSQL forms print instants and days as the SQLite store holds
 * them, and cli_db_pg.c maps PostgreSQL's values into the same kinds
 * (INTEGER, REAL, TEXT, NULL) by column type.
 *
 * SQLite: the tool never writes and never makes the daemon wait: it
 * opens the store with a file:PATH?mode=ro URI and SQLITE_OPEN_READONLY,
 * sets PRAGMA query_only, waits at most CLI_BUSY_TIMEOUT_MS for a lock,
 * and reads inside a deferred transaction (one WAL snapshot, which never
 * blocks the writer). A store without a -wal file that the reader cannot
 * open plainly (it may not create the -shm beside it: the daemon is
 * stopped and the reader is only in its group) is read with immutable=1
 * instead (see cli_db.c).
 *
 * PostgreSQL: a blocking libpq connection (cli_db_pg.c): connect_timeout
 * CLI_PG_CONNECT_TIMEOUT_S unless the connection string or
 * PGCONNECT_TIMEOUT says otherwise, application_name "wegauge" unless it
 * names one, a session that is read-only by default, with
 * statement_timeout CLI_PG_STATEMENT_TIMEOUT unless the session has one,
 * and one REPEATABLE READ READ ONLY transaction per run (one snapshot).
 *
 * Either way, only a store this build understands is read: a wegauge
 * store (SQLite: PRAGMA application_id; PostgreSQL: the table
 * wegauge_schema) at exactly the schema version this build knows
 * (store_schema_version(), which is also the number of schema/pg files).
 */
#ifndef WEGAUGE_CLI_DB_H
#define WEGAUGE_CLI_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_out.h"

#define CLI_BUSY_TIMEOUT_MS 5000
/* The longest database path or connection string accepted (bytes); a path's URI may be three
 * times as long. */
#define CLI_PATH_MAX 4095

/* An open store of either kind (cli_db.c). */
struct cli_db;

/*
 * A query in both dialects: the SQLite text (parameters ?1, ?2, ...) and
 * the PostgreSQL text ($1, $2, ..., each cast to its type). NULL where
 * the query has no form for that kind of store (cli_db_query then fails).
 */
struct cli_query {
	const char *sqlite;
	const char *pg;
};

/* The query NAME of cli_sql.h together with NAME_PG of cli_sql_pg.h. */
#define CLI_QUERY(name) ((struct cli_query){name, name##_PG})

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
 * Open the store that database names, read-only, and check what it is.
 * database is a path (SQLite) or a PostgreSQL connection string
 * (store_target_is_pg); password, when not NULL, is the PostgreSQL
 * password (the configuration's database_password_file), given to libpq
 * after the connection string so that it wins; without it libpq's own
 * sources apply (a password in the string, PGPASSWORD, ~/.pgpass). It is
 * ignored for SQLite.
 *
 * On success *out is the store (close it with cli_db_close) and 0 is
 * returned. Else *out is NULL, -1 is returned and err holds one line
 * naming the database (a connection string as store_target_redact
 * writes it, never with its password) and the problem. SQLite: no such
 * file, not a regular file, cannot be opened, not a SQLite database, not
 * a wegauge store. PostgreSQL: cannot connect (libpq's message, its first
 * line), empty (no tables: wegauged has not created the store), not a
 * wegauge store (no table wegauge_schema). Both: schema version newer
 * than this wegauge (upgrade wegauge), or older (start wegauged to
 * migrate it).
 */
int cli_db_open(const char *database, const char *password, struct cli_db **out, char *err,
                size_t errlen);

/* End any read transaction and close db. NULL is a no-op. */
void cli_db_close(struct cli_db *db);

/* True when db is a PostgreSQL store. */
bool cli_db_is_pg(const struct cli_db *db);

/*
 * Start the run's one read snapshot: SQLite, a plain BEGIN (deferred,
 * never IMMEDIATE); PostgreSQL, BEGIN ISOLATION LEVEL REPEATABLE READ
 * READ ONLY. 0 or -1 with err.
 */
int cli_db_begin(struct cli_db *db, char *err, size_t errlen);

/* A value to bind to a statement parameter ?1 / $1, ?2 / $2, ... */
enum cli_bind_kind { CLI_BIND_NULL = 0, CLI_BIND_INT, CLI_BIND_TEXT };
struct cli_bind {
	enum cli_bind_kind kind;
	int64_t i;
	const char *s; /* CLI_BIND_TEXT: NUL-terminated; NULL binds NULL */
};
#define CLI_MAX_BINDS 16

/*
 * Run the form of q for db's kind with binds b[0..nb-1] as its parameters
 * and add its rows to r as a new section named name with title (may be
 * NULL); its columns are the statement's result columns, named as in the
 * SQL. INTEGER, REAL, TEXT and NULL values keep their kind (PostgreSQL's
 * by column type, see cli_pg_cell in cli_db_pg.h); anything else becomes
 * its bytes as text. Returns the section (owned by r), or NULL with err
 * naming the section and the database's message.
 */
struct cli_section *cli_db_query(struct cli_db *db, struct cli_result *r, const char *name,
                                 const char *title, struct cli_query q, const struct cli_bind *b,
                                 size_t nb, char *err, size_t errlen);

#endif
