/*
 * cli_db_pg.h: the PostgreSQL side of cli_db.h, for cli_db.c (which
 * chooses between the two) and for the unit tests of its pure parts.
 *
 * The connection is blocking libpq: the tool runs one command and exits,
 * so a wait on the server is a wait of the operator, bounded by the
 * connect and statement timeouts below. Nothing here writes: the session
 * is read-only by default and every read is inside the run's one
 * REPEATABLE READ READ ONLY transaction (or, for the store's
 * identification, a plain SELECT before it).
 *
 * No error names the password: connection strings are named as
 * store_target_redact writes them, libpq's parse errors (which may quote
 * the string) are not shown, and every message shown has the password
 * (given, or in the connection string) replaced by "***".
 */
#ifndef WEGAUGE_CLI_DB_PG_H
#define WEGAUGE_CLI_DB_PG_H

#include <stdbool.h>
#include <stddef.h>

#include "cli_db.h"
#include "cli_out.h"

/* connect_timeout (seconds) unless the connection string or PGCONNECT_TIMEOUT gives one. */
#define CLI_PG_CONNECT_TIMEOUT_S "10"
/* application_name unless the connection string or PGAPPNAME gives one. */
#define CLI_PG_APPLICATION_NAME "wegauge"

/* libpq's connection (PGconn); libpq-fe.h is needed only by cli_db_pg.c. */
struct pg_conn;

/*
 * Connect to conninfo (with password when not NULL), set up the session
 * and identify the store (cli_db_open's checks and messages). 0 and the
 * connection in *out, or -1 with *out NULL and err.
 */
int cli_pg_open(const char *conninfo, const char *password, struct pg_conn **out, char *err,
                size_t errlen);

/* End any transaction and close c. NULL is a no-op. */
void cli_pg_close(struct pg_conn *c);

/* BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY. 0 or -1 with err. */
int cli_pg_begin(struct pg_conn *c, char *err, size_t errlen);

/* cli_db_query on PostgreSQL: sql with $1..$nb bound as text (NULL for CLI_BIND_NULL). */
struct cli_section *cli_pg_query(struct pg_conn *c, struct cli_result *r, const char *name,
                                 const char *title, const char *sql, const struct cli_bind *b,
                                 size_t nb, char *err, size_t errlen);

/* ---- pure parts, tested without a server ---- */

/* The type oids of pg_type that cli_pg_cell maps (stable since PostgreSQL 7). */
#define CLI_PG_BOOLOID    16u
#define CLI_PG_INT8OID    20u
#define CLI_PG_INT2OID    21u
#define CLI_PG_INT4OID    23u
#define CLI_PG_FLOAT4OID  700u
#define CLI_PG_FLOAT8OID  701u
#define CLI_PG_NUMERICOID 1700u

/*
 * Set cell from one non-NULL value in libpq's text form, val[0..len-1]
 * with val[len] == '\0' (as PQgetvalue's are), of a column of type oid,
 * so that it is the cell SQLite gives for the same data: int2, int4, int8
 * an INTEGER; float4, float8 a REAL; numeric an INTEGER when it has no
 * decimal point or exponent and fits in 64 bits (an integer the API
 * sent), else a REAL (a real the API sent, which keeps its decimal point
 * on PostgreSQL, or an integer total beyond 64 bits, which the SQLite
 * store gives as a real too); bool an INTEGER 1 or 0; every other type
 * (text, date, ...) TEXT, as it is. A number that does not read as one
 * is kept as TEXT. 0, or -1 when out of memory or longer than
 * CLI_MAX_TEXT.
 */
int cli_pg_cell(struct cli_cell *cell, unsigned oid, const char *val, size_t len);

/*
 * One line for an error from libpq's message msg: its first line without
 * trailing blanks, with every occurrence of each of the n non-empty
 * secrets replaced by "***", into out (outlen bytes; cut to fit).
 */
void cli_pg_message(const char *msg, const char *const *secrets, size_t n, char *out,
                    size_t outlen);

/*
 * The keywords and values for PQconnectdbParams(kw, val, 1) (both
 * NULL-terminated; room for CLI_PG_MAX_PARAMS entries and the NULL):
 * connect_timeout (unless env_timeout: PGCONNECT_TIMEOUT is set) and
 * fallback_application_name first, so that the connection string, given
 * next as an expanded dbname, overrides them; then client_encoding UTF8
 * (the tool prints UTF-8) and password (when not NULL), which override
 * it. Returns the number of pairs.
 */
#define CLI_PG_MAX_PARAMS 6
size_t cli_pg_params(const char *conninfo, const char *password, bool env_timeout,
                     const char *kw[CLI_PG_MAX_PARAMS + 1], const char *val[CLI_PG_MAX_PARAMS + 1]);

#endif
