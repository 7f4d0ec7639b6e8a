/*
 * cli_db_pg.c: the store on PostgreSQL for the wegauge tool (cli_db_pg.h).
 *
 * Why the checks come in this order: the connection string is parsed
 * first, by us, so that a string libpq cannot read is reported without
 * libpq's message (which quotes the string, password and all); then the
 * connection, whose failure is libpq's first line; then the session, so
 * that even the identification reads as read-only; then the
 * identification: a database without wegauge_schema is empty or someone
 * else's, and only a marked one is asked for its version.
 */
#include "cli_db_pg.h"
#include "errbuf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cli_sql_pg.h"
#include "store_pg_schema.h"
#include "store_target.h"

size_t cli_pg_params(const char *conninfo, const char *password, bool env_timeout,
                     const char *kw[CLI_PG_MAX_PARAMS + 1], const char *val[CLI_PG_MAX_PARAMS + 1])
{
	size_t n = 0;
	if (!env_timeout) {
		kw[n] = "connect_timeout";
		val[n++] = CLI_PG_CONNECT_TIMEOUT_S;
	}
	kw[n] = "fallback_application_name";
	val[n++] = CLI_PG_APPLICATION_NAME;
	kw[n] = "dbname"; /* expanded: the whole connection string, from here on */
	val[n++] = conninfo;
	kw[n] = "client_encoding";
	val[n++] = "UTF8";
	if (password != NULL) {
		kw[n] = "password";
		val[n++] = password;
	}
	kw[n] = NULL;
	val[n] = NULL;
	return n;
}

void cli_pg_message(const char *msg, const char *const *secrets, size_t n, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	size_t len = strcspn(msg ? msg : "", "\n");
	while (len > 0 && (msg[len - 1] == ' ' || msg[len - 1] == '\r' || msg[len - 1] == '\t'))
		len--;
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < outlen;) {
		size_t hit = 0;
		for (size_t k = 0; k < n && hit == 0; k++) {
			size_t sl = secrets[k] ? strlen(secrets[k]) : 0;
			if (sl > 0 && sl <= len - i && memcmp(msg + i, secrets[k], sl) == 0)
				hit = sl;
		}
		if (hit > 0) {
			for (const char *s = "***"; *s && o + 1 < outlen; s++)
				out[o++] = *s;
			i += hit;
		} else {
			out[o++] = msg[i++];
		}
	}
	out[o] = '\0';
}

int cli_pg_cell(struct cli_cell *cell, unsigned oid, const char *val, size_t len)
{
	bool integral = oid == CLI_PG_INT2OID || oid == CLI_PG_INT4OID || oid == CLI_PG_INT8OID;
	bool number = integral || oid == CLI_PG_FLOAT4OID || oid == CLI_PG_FLOAT8OID ||
	              oid == CLI_PG_NUMERICOID;
	if (oid == CLI_PG_BOOLOID && len == 1 && (val[0] == 't' || val[0] == 'f')) {
		cli_cell_set_int(cell, val[0] == 't');
		return 0;
	}
	if (!number || len == 0 || strlen(val) != len)
		return cli_cell_set_text(cell, val, len);
	char *end = NULL;
	if (integral || (oid == CLI_PG_NUMERICOID && strpbrk(val, ".eEIN") == NULL)) {
		errno = 0;
		long long v = strtoll(val, &end, 10);
		if (errno == 0 && end != val && *end == '\0') {
			cli_cell_set_int(cell, (int64_t)v);
			return 0;
		}
	}
	/* A real, or an integer beyond 64 bits (or "NaN", "Infinity"): a REAL, as in SQLite. */
	double d = strtod(val, &end);
	if (end == val || *end != '\0')
		return cli_cell_set_text(cell, val, len);
	cli_cell_set_real(cell, d);
	return 0;
}

/* libpq's notices (warnings of the server) are not the tool's output. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/*
 * One line for the error of res (or, without one, of the connection):
 * the server's primary message, or libpq's first line, password removed.
 */
static void pg_error(PGconn *c, const PGresult *res, const char *password, char *out, size_t outlen)
{
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(c);
	const char *secrets[] = {password};
	cli_pg_message(msg, secrets, 1, out, outlen);
	if (*out == '\0')
		errbuf_set(out, outlen, "%s", "the connection failed");
}

/* The password of the connection string, when it has one (malloc'd), else NULL. */
static char *conninfo_password(const char *conninfo)
{
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
	char *pw = NULL;
	for (PQconninfoOption *o = opts; o && o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
			pw = strdup(o->val);
	PQconninfoFree(opts);
	return pw;
}

/*
 * What the database is (cli_db_open's checks): 0 when it is a wegauge
 * store at this build's schema version, else -1 with the reason in why.
 */
static int identify(PGconn *c, const char *secret, char *why, size_t whylen)
{
	PGresult *res = PQexec(c, CLI_SQL_PG_IDENTIFY);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		char msg[512];
		pg_error(c, res, secret, msg, sizeof(msg));
		errbuf_set(why, whylen, "cannot read it: %s", msg);
		PQclear(res);
		return -1;
	}
	bool marked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	long long objects = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	if (!marked && objects == 0) {
		errbuf_set(why, whylen,
		           "an empty database, not a wegauge store yet (wegauged creates the store "
		           "when it starts)");
		return -1;
	}
	if (!marked) {
		errbuf_set(why, whylen, "not a wegauge store (it has no table wegauge_schema)");
		return -1;
	}
	res = PQexec(c, CLI_SQL_PG_VERSION);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		char msg[512];
		pg_error(c, res, secret, msg, sizeof(msg));
		errbuf_set(why, whylen, "cannot read it: %s", msg);
		PQclear(res);
		return -1;
	}
	int version = PQgetisnull(res, 0, 0) ? 0 : atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	int known = (int)store_pg_schema_count;
	if (version > known) {
		errbuf_set(
		        why, whylen,
		        "schema version %d is newer than this wegauge knows (%d): upgrade wegauge",
		        version, known);
		return -1;
	}
	if (version < known) {
		errbuf_set(
		        why, whylen,
		        "schema version %d is older than this wegauge knows (%d): start wegauged "
		        "once to migrate the store",
		        version, known);
		return -1;
	}
	return 0;
}

int cli_pg_open(const char *conninfo, const char *password, struct pg_conn **out, char *err,
                size_t errlen)
{
	*out = NULL;
	char name[1024], why[768];
	if (store_target_redact(conninfo, name, sizeof(name)) != 0) {
		errbuf_set(
		        err, errlen,
		        "database %s: expected a PostgreSQL URI (postgresql://USER@HOST:PORT/DB) "
		        "or key=value pairs",
		        name);
		return -1;
	}
	/* Both passwords are kept out of every message shown. */
	char *inline_pw = conninfo_password(conninfo);
	const char *secret = password ? password : inline_pw;
	const char *kw[CLI_PG_MAX_PARAMS + 1], *val[CLI_PG_MAX_PARAMS + 1];
	const char *env = getenv("PGCONNECT_TIMEOUT");
	cli_pg_params(conninfo, password, env != NULL && *env != '\0', kw, val);
	PGconn *c = PQconnectdbParams(kw, val, 1);
	int rc = -1;
	if (c == NULL) {
		errbuf_set(why, sizeof(why), "cannot connect: out of memory");
	} else if (PQstatus(c) != CONNECTION_OK) {
		char msg[512];
		const char *secrets[] = {password, inline_pw};
		cli_pg_message(PQerrorMessage(c), secrets, 2, msg, sizeof(msg));
		errbuf_set(why, sizeof(why), "cannot connect: %s", msg);
	} else {
		PQsetNoticeProcessor(c, quiet_notice, NULL);
		PGresult *res = PQexec(c, CLI_SQL_PG_SESSION);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			char msg[512];
			pg_error(c, res, secret, msg, sizeof(msg));
			errbuf_set(why, sizeof(why), "cannot set up the session: %s", msg);
		} else {
			rc = identify(c, secret, why, sizeof(why));
		}
		PQclear(res);
	}
	if (inline_pw != NULL) {
		explicit_bzero(inline_pw, strlen(inline_pw));
		free(inline_pw);
	}
	if (rc != 0) {
		PQfinish(c);
		errbuf_set(err, errlen, "database %s: %s", name, why);
		return -1;
	}
	*out = c;
	return 0;
}

void cli_pg_close(struct pg_conn *c)
{
	if (c == NULL)
		return;
	if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
		PQclear(PQexec(c, CLI_SQL_COMMIT_PG));
	PQfinish(c);
}

int cli_pg_begin(struct pg_conn *c, char *err, size_t errlen)
{
	PGresult *res = PQexec(c, CLI_SQL_BEGIN_PG);
	int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
	if (rc != 0) {
		char msg[512];
		pg_error(c, res, NULL, msg, sizeof(msg));
		errbuf_set(err, errlen, "cannot start reading: %s", msg);
	}
	PQclear(res);
	return rc;
}

struct cli_section *cli_pg_query(struct pg_conn *c, struct cli_result *r, const char *name,
                                 const char *title, const char *sql, const struct cli_bind *b,
                                 size_t nb, char *err, size_t errlen)
{
	char why[512];
	if (nb > CLI_MAX_BINDS) {
		errbuf_set(err, errlen, "%s: too many parameters", name);
		return NULL;
	}
	const char *values[CLI_MAX_BINDS];
	char ints[CLI_MAX_BINDS][24];
	for (size_t i = 0; i < nb; i++) {
		values[i] = NULL;
		if (b[i].kind == CLI_BIND_INT) {
			snprintf(ints[i], sizeof(ints[i]), "%" PRId64, b[i].i);
			values[i] = ints[i];
		} else if (b[i].kind == CLI_BIND_TEXT) {
			values[i] = b[i].s;
		}
	}
	PGresult *res = PQexecParams(c, sql, (int)nb, NULL, values, NULL, NULL, 0);
	struct cli_section *s = NULL;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		pg_error(c, res, NULL, why, sizeof(why));
		errbuf_set(err, errlen, "%s: %s", name, why);
		goto out;
	}
	int ncols = PQnfields(res), nrows = PQntuples(res);
	const char *cols[CLI_MAX_COLS];
	if (ncols <= 0 || ncols > CLI_MAX_COLS) {
		errbuf_set(err, errlen, "%s: the query has %d columns", name, ncols);
		goto out;
	}
	unsigned types[CLI_MAX_COLS];
	for (int k = 0; k < ncols; k++) {
		cols[k] = PQfname(res, k);
		types[k] = (unsigned)PQftype(res, k);
	}
	s = cli_result_add(r, name, title, (size_t)ncols, cols, why, sizeof(why));
	if (s == NULL) {
		errbuf_set(err, errlen, "%s: %s", name, why);
		goto out;
	}
	for (int row = 0; row < nrows; row++) {
		struct cli_cell *cells = cli_section_add_row(s, why, sizeof(why));
		if (cells == NULL) {
			errbuf_set(err, errlen, "%s: %s", name, why);
			s = NULL;
			goto out;
		}
		for (int k = 0; k < ncols; k++) {
			if (PQgetisnull(res, row, k))
				continue; /* the row starts as NULL cells */
			if (cli_pg_cell(&cells[k], types[k], PQgetvalue(res, row, k),
			                (size_t)PQgetlength(res, row, k)) != 0) {
				errbuf_set(err, errlen,
				           "%s: out of memory or a value over %d bytes", name,
				           CLI_MAX_TEXT);
				s = NULL;
				goto out;
			}
		}
	}
out:
	PQclear(res);
	return s;
}
