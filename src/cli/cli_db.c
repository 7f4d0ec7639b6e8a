/*
 * cli_db.c: opening the store read-only, checking what it is, and running
 * the tool's queries into results (cli_db.h). A SQLite store is read
 * here; a PostgreSQL one by cli_db_pg.c, which this file hands it to.
 *
 * Why the checks come in this order: a missing path is reported before
 * SQLite sees it (SQLite's "unable to open database file" does not say
 * that nothing is there); a file that is not a database only shows itself
 * on the first read, so the identification query doubles as that read;
 * the application_id comes before the version so that another program's
 * database is never described as "too old".
 */
#include "cli_db.h"
#include "errbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cli_db_pg.h"
#include "cli_sql.h"
#include "store_migrate.h"
#include "store_target.h"

/* An open store: exactly one of the two connections. */
struct cli_db {
	sqlite3 *lite;
	struct pg_conn *pg;
};

int cli_db_uri(const char *path, bool immutable, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t plen = path ? strlen(path) : 0;
	if (plen == 0 || plen > CLI_PATH_MAX)
		return -1;
	size_t n = 0;
	const char *head = path[0] == '/' ? "file://" : "file:";
	const char *tail = immutable ? "?mode=ro&immutable=1" : "?mode=ro";
	size_t need = strlen(head) + plen * 3 + strlen(tail) + 1;
	if (need > outlen)
		return -1;
	memcpy(out, head, strlen(head));
	n = strlen(head);
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	memcpy(out + n, tail, strlen(tail) + 1);
	return 0;
}

/*
 * Identify the open database with the store's own reading
 * (store_schema_identify): 0 when it is a wegauge store at this build's
 * schema version; -1 when it is something else (an empty database too:
 * the tool only reads what wegauged made); or the (extended) SQLite code
 * of a read that failed. The reason is in err (prefixed by the caller).
 */
static int check_store(sqlite3 *db, char *err, size_t errlen)
{
	struct store_identity id;
	char why[256];
	int rc = store_schema_identify(db, &id, why, sizeof(why));
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_NOTADB)
			errbuf_set(err, errlen, "not a SQLite database");
		else
			errbuf_set(err, errlen, "cannot read it: %s", why);
		return rc;
	}
	int version = id.version;
	int known = store_schema_version();
	if (id.kind != STORE_KIND_WEGAUGE) {
		if (id.app_id == 0)
			errbuf_set(err, errlen,
			           "not a wegauge store (it has no wegauge application_id)");
		else
			errbuf_set(err, errlen,
			           "not a wegauge store (application_id %#x belongs to another "
			           "program)",
			           id.app_id);
		return -1;
	}
	if (version > known) {
		errbuf_set(
		        err, errlen,
		        "schema version %d is newer than this wegauge knows (%d): upgrade wegauge",
		        version, known);
		return -1;
	}
	if (version < known) {
		errbuf_set(
		        err, errlen,
		        "schema version %d is older than this wegauge knows (%d): start wegauged "
		        "once to migrate the store",
		        version, known);
		return -1;
	}
	return 0;
}

/*
 * Open path read-only (immutable when asked), set the busy timeout and
 * check the store. *out is the connection on 0; else NULL, with the
 * result of check_store() (or SQLite's code of a failed open) returned
 * and the reason in why.
 */
static int try_open(const char *path, bool immutable, sqlite3 **out, char *why, size_t whylen)
{
	char uri[CLI_PATH_MAX * 3 + 32];
	*out = NULL;
	if (cli_db_uri(path, immutable, uri, sizeof(uri)) != 0) {
		errbuf_set(why, whylen, "the path is too long");
		return -1;
	}
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK) {
		errbuf_set(why, whylen, "cannot open it: %s",
		           db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, CLI_BUSY_TIMEOUT_MS);
	rc = check_store(db, why, whylen);
	if (rc == 0 && sqlite3_exec(db, CLI_SQL_QUERY_ONLY, NULL, NULL, NULL) != SQLITE_OK) {
		errbuf_set(why, whylen, "%s", sqlite3_errmsg(db));
		rc = -1;
	}
	if (rc != 0) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

/* cli_db_open for a SQLite store at path. */
static int open_sqlite(const char *path, sqlite3 **out, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			errbuf_set(err, errlen, "database %s: no such file", path);
		else
			errbuf_set(err, errlen, "database %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		errbuf_set(err, errlen, "database %s: not a regular file", path);
		return -1;
	}
	char why[256];
	int rc = try_open(path, false, out, why, sizeof(why));
	/*
	 * A WAL store whose writer has closed has no -wal and no -shm, and a
	 * reader who may not create files beside it (an operator in the
	 * daemon's group) cannot create the -shm that reading needs. Then,
	 * and only when no -wal exists (everything committed is in the main
	 * file), read it as immutable: no -shm, no locks. The limit: a daemon
	 * that starts and checkpoints during this short read could show the
	 * tool a torn page, which SQLite reports as an error; the tool never
	 * writes, so the store cannot suffer from it.
	 */
	int primary = rc > 0 ? rc & 0xff : 0;
	if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN) {
		char wal[CLI_PATH_MAX + 8];
		snprintf(wal, sizeof(wal), "%s-wal", path);
		if (access(wal, F_OK) != 0 && errno == ENOENT)
			rc = try_open(path, true, out, why, sizeof(why));
	}
	if (rc != 0) {
		errbuf_set(err, errlen, "database %s: %s", path, why);
		return -1;
	}
	return 0;
}

int cli_db_open(const char *database, const char *password, struct cli_db **out, char *err,
                size_t errlen)
{
	*out = NULL;
	if (database == NULL || *database == '\0' || strlen(database) > CLI_PATH_MAX) {
		errbuf_set(err, errlen, "database path: expected 1 to %d bytes", CLI_PATH_MAX);
		return -1;
	}
	struct cli_db *db = calloc(1, sizeof(*db));
	if (db == NULL) {
		errbuf_set(err, errlen, "database: out of memory");
		return -1;
	}
	int rc = store_target_is_pg(database)
	                 ? cli_pg_open(database, password, &db->pg, err, errlen)
	                 : open_sqlite(database, &db->lite, err, errlen);
	if (rc != 0) {
		free(db);
		return -1;
	}
	*out = db;
	return 0;
}

void cli_db_close(struct cli_db *db)
{
	if (db == NULL)
		return;
	if (db->pg != NULL) {
		cli_pg_close(db->pg);
	} else {
		if (!sqlite3_get_autocommit(db->lite))
			sqlite3_exec(db->lite, CLI_SQL_COMMIT, NULL, NULL, NULL);
		sqlite3_close(db->lite);
	}
	free(db);
}

bool cli_db_is_pg(const struct cli_db *db)
{
	return db->pg != NULL;
}

int cli_db_begin(struct cli_db *db, char *err, size_t errlen)
{
	if (db->pg != NULL)
		return cli_pg_begin(db->pg, err, errlen);
	if (sqlite3_exec(db->lite, CLI_SQL_BEGIN, NULL, NULL, NULL) != SQLITE_OK) {
		errbuf_set(err, errlen, "cannot start reading: %s", sqlite3_errmsg(db->lite));
		return -1;
	}
	return 0;
}

/* Copy column c of the current row of st into cell. 0, or -1 (out of memory, too long). */
static int copy_cell(sqlite3_stmt *st, int c, struct cli_cell *cell)
{
	switch (sqlite3_column_type(st, c)) {
	case SQLITE_INTEGER:
		cli_cell_set_int(cell, sqlite3_column_int64(st, c));
		return 0;
	case SQLITE_FLOAT:
		cli_cell_set_real(cell, sqlite3_column_double(st, c));
		return 0;
	case SQLITE_NULL:
		return cli_cell_set_text(cell, NULL, 0);
	case SQLITE_BLOB: {
		const void *p = sqlite3_column_blob(st, c);
		int n = sqlite3_column_bytes(st, c);
		return cli_cell_set_text(cell, p ? p : "", (size_t)n);
	}
	case SQLITE_TEXT:
	default: {
		const unsigned char *p = sqlite3_column_text(st, c);
		int n = sqlite3_column_bytes(st, c);
		return p ? cli_cell_set_text(cell, (const char *)p, (size_t)n) : -1;
	}
	}
}

/* cli_db_query on SQLite. */
static struct cli_section *query_sqlite(sqlite3 *db, struct cli_result *r, const char *name,
                                        const char *title, const char *sql,
                                        const struct cli_bind *b, size_t nb, char *err,
                                        size_t errlen)
{
	sqlite3_stmt *st = NULL;
	struct cli_section *s = NULL;
	char why[256];
	if (nb > CLI_MAX_BINDS) {
		errbuf_set(err, errlen, "%s: too many parameters", name);
		return NULL;
	}
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto sqlerr;
	for (size_t i = 0; i < nb && rc == SQLITE_OK; i++) {
		int k = (int)i + 1;
		if (b[i].kind == CLI_BIND_INT)
			rc = sqlite3_bind_int64(st, k, b[i].i);
		else if (b[i].kind == CLI_BIND_TEXT && b[i].s != NULL)
			rc = sqlite3_bind_text(st, k, b[i].s, -1, SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(st, k);
	}
	if (rc != SQLITE_OK)
		goto sqlerr;
	int ncols = sqlite3_column_count(st);
	const char *cols[CLI_MAX_COLS];
	if (ncols <= 0 || ncols > CLI_MAX_COLS) {
		errbuf_set(err, errlen, "%s: the query has %d columns", name, ncols);
		goto out;
	}
	for (int c = 0; c < ncols; c++)
		cols[c] = sqlite3_column_name(st, c);
	s = cli_result_add(r, name, title, (size_t)ncols, cols, why, sizeof(why));
	if (s == NULL) {
		errbuf_set(err, errlen, "%s: %s", name, why);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct cli_cell *row = cli_section_add_row(s, why, sizeof(why));
		if (row == NULL) {
			errbuf_set(err, errlen, "%s: %s", name, why);
			s = NULL;
			goto out;
		}
		for (int c = 0; c < ncols; c++) {
			if (copy_cell(st, c, &row[c]) != 0) {
				errbuf_set(err, errlen,
				           "%s: out of memory or a value over %d bytes", name,
				           CLI_MAX_TEXT);
				s = NULL;
				goto out;
			}
		}
	}
	if (rc == SQLITE_DONE)
		goto out;
sqlerr:
	errbuf_set(err, errlen, "%s: %s", name, sqlite3_errmsg(db));
	s = NULL;
out:
	sqlite3_finalize(st);
	return s;
}

struct cli_section *cli_db_query(struct cli_db *db, struct cli_result *r, const char *name,
                                 const char *title, struct cli_query q, const struct cli_bind *b,
                                 size_t nb, char *err, size_t errlen)
{
	const char *sql = db->pg != NULL ? q.pg : q.sqlite;
	if (sql == NULL) {
		errbuf_set(err, errlen, "%s: no form of this query for %s", name,
		           db->pg != NULL ? "PostgreSQL" : "SQLite");
		return NULL;
	}
	if (db->pg != NULL)
		return cli_pg_query(db->pg, r, name, title, sql, b, nb, err, errlen);
	return query_sqlite(db->lite, r, name, title, sql, b, nb, err, errlen);
}
