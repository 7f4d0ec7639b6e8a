/*
 * store_target.h: what the `database` setting names, and how to say it
 * without its secret.
 *
 * `database` is a path (the SQLite store, the default), or a PostgreSQL
 * connection string as libpq takes it: a URI (postgresql://... or
 * postgres://...) or key=value pairs ("host=db1 dbname=wegauge"). Both
 * wegauged and the wegauge tool decide with store_target_is_pg, so that the
 * same line means the same store to both.
 */
#ifndef WEGAUGE_STORE_TARGET_H
#define WEGAUGE_STORE_TARGET_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True when database is a PostgreSQL connection string: it begins with
 * "postgresql://" or "postgres://", or its first non-blank characters are
 * a keyword ([a-z_]+) followed by optional blanks and '='. A path never
 * is (a relative path that looks like "host=x" can be written "./host=x").
 */
bool store_target_is_pg(const char *database);

/*
 * Write into out (outlen bytes) the connection string in a form safe to
 * log and to put in an error: libpq's parse of it as key=value pairs with
 * the password left out ("host=db1 port=5432 dbname=wegauge user=wegauge").
 * A string libpq cannot parse gives "(a connection string libpq cannot
 * read)" and -1; else 0. Never copies any part of the password.
 */
int store_target_redact(const char *conninfo, char *out, size_t outlen);

/*
 * The database as a person may see it in a log line: a path as it is, a
 * connection string as store_target_redact gives it.
 */
void store_target_show(const char *database, char *out, size_t outlen);

#endif
