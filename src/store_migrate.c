/*
 * store_migrate.c: what a database file is, and bringing it forward to the
 * schema this build writes.
 *
 * The schema is a list of numbered files (store_schema_files[], embedded
 * from schema/ at build time). PRAGMA user_version holds the last file
 * applied; PRAGMA application_id marks the file as a wegauge store, so
 * that another program's database is refused rather than "migrated".
 * Migration only goes forward; a database written by a newer wegauged is
 * refused untouched, since this build cannot know what the newer schema
 * means.
 *
 * Before the store opens an existing file read-write, store_check_file()
 * checks it read-only (is it a database, is it a wegauge store, is it too
 * new, does PRAGMA quick_check pass). When the file has no -wal beside it,
 * the check opens it with immutable=1, which makes SQLite create no -wal
 * or -shm file and take no lock: a refused file is left byte for byte as
 * it was, with nothing beside it. When a -wal exists (a process died with
 * the store open), the check must read that WAL and opens the file plainly
 * read-only; SQLite may then create a missing -shm.
 */
#include "store_migrate.h"
#include "errbuf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_sql.h"

int store_schema_version(void)
{
	return store_schema_count ? store_schema_files[store_schema_count - 1].version : 0;
}

int store_schema_identify(sqlite3 *db, struct store_identity *id, char *err, size_t errlen)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(db, SQL_SCHEMA_IDENTIFY, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		rc = sqlite3_extended_errcode(db);
		if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_ERROR;
		errbuf_set(err, errlen, "%s", sqlite3_errmsg(db));
		sqlite3_finalize(s);
		return rc;
	}
	id->version = sqlite3_column_int(s, 0);
	id->app_id = (unsigned)sqlite3_column_int(s, 1);
	id->objects = sqlite3_column_int(s, 2);
	sqlite3_finalize(s);
	if (id->app_id == STORE_APPLICATION_ID)
		id->kind = STORE_KIND_WEGAUGE;
	else if (id->app_id != 0)
		id->kind = STORE_KIND_FOREIGN;
	else if (id->version != 0 || id->objects != 0)
		id->kind = STORE_KIND_UNMARKED;
	else
		id->kind = STORE_KIND_EMPTY;
	return SQLITE_OK;
}

int store_schema_check(sqlite3 *db, int latest, int *version, char *err, size_t errlen)
{
	struct store_identity id;
	char why[256];
	int rc = store_schema_identify(db, &id, why, sizeof(why));
	if (rc != SQLITE_OK) {
		rc &= 0xff;
		if (rc == SQLITE_NOTADB)
			errbuf_set(err, errlen, "not a SQLite database (%s)", why);
		else
			errbuf_set(err, errlen, "cannot read the schema version: %s", why);
		return rc;
	}
	int v = id.version;
	if (id.kind == STORE_KIND_FOREIGN) {
		errbuf_set(
		        err, errlen,
		        "not a wegauge store: it belongs to another program (application_id %#x)",
		        id.app_id);
		return SQLITE_NOTADB;
	}
	if (id.kind == STORE_KIND_UNMARKED) {
		errbuf_set(err, errlen,
		           "not a wegauge store: a database with %d schema objects and "
		           "user_version %d "
		           "but no wegauge mark",
		           id.objects, v);
		return SQLITE_NOTADB;
	}
	if (v > latest) {
		errbuf_set(err, errlen,
		           "schema version %d is newer than this wegauged (%d): upgrade wegauged",
		           v, latest);
		return SQLITE_ERROR;
	}
	if (v < 0) {
		errbuf_set(err, errlen, "schema version %d is not a version", v);
		return SQLITE_NOTADB;
	}
	*version = v;
	return SQLITE_OK;
}

/* Run one SQL text with no result rows of interest. */
static int exec_sql(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) & 0xff;
}

/* Roll back what the failed step left open, if SQLite did not already. */
static void rollback_if_open(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, SQL_ROLLBACK, NULL, NULL, NULL);
}

/*
 * Apply files[from] (version from + 1) inside the open transaction: its SQL,
 * then the version marks. The caller commits or rolls back.
 */
static int apply_file(sqlite3 *db, const struct store_schema_file *f, char *err, size_t errlen)
{
	char sql[64];
	int rc = exec_sql(db, f->sql);
	if (rc != SQLITE_OK) {
		errbuf_set(err, errlen, "schema migration %s failed: %s", f->name,
		           sqlite3_errmsg(db));
		return rc;
	}
	if (f->version == 1) {
		snprintf(sql, sizeof(sql), SQL_APPLICATION_ID_FMT, STORE_APPLICATION_ID);
		rc = exec_sql(db, sql);
	}
	if (rc == SQLITE_OK) {
		snprintf(sql, sizeof(sql), SQL_USER_VERSION_FMT, f->version);
		rc = exec_sql(db, sql);
	}
	if (rc != SQLITE_OK)
		errbuf_set(err, errlen, "schema migration %s: cannot set the version: %s", f->name,
		           sqlite3_errmsg(db));
	return rc;
}

int store_migrate(sqlite3 *db, const struct store_schema_file *files, size_t n, char *err,
                  size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		if (files[i].version != (int)i + 1 || !files[i].sql || !files[i].name) {
			errbuf_set(err, errlen,
			           "schema file %zu (%s) has version %d where %zu was expected", i,
			           files[i].name ? files[i].name : "?", files[i].version, i + 1);
			return SQLITE_MISUSE;
		}
	}
	const int latest = (int)n;

	/*
	 * One file per iteration: at most n iterations, since each one either
	 * raises the version by one or ends the loop.
	 */
	for (size_t step = 0; step <= n; step++) {
		int rc = exec_sql(db, SQL_BEGIN_IMMEDIATE);
		if (rc != SQLITE_OK) {
			errbuf_set(err, errlen, "schema migration: cannot begin: %s",
			           sqlite3_errmsg(db));
			return rc;
		}
		int v = 0;
		rc = store_schema_check(db, latest, &v, err, errlen);
		if (rc == SQLITE_OK && v == latest) {
			rc = exec_sql(db, SQL_COMMIT);
			if (rc == SQLITE_OK)
				return SQLITE_OK;
			errbuf_set(err, errlen, "schema migration: cannot commit: %s",
			           sqlite3_errmsg(db));
		}
		if (rc == SQLITE_OK) {
			rc = apply_file(db, &files[v], err, errlen);
			if (rc == SQLITE_OK) {
				rc = exec_sql(db, SQL_COMMIT);
				if (rc != SQLITE_OK)
					errbuf_set(err, errlen,
					           "schema migration %s: cannot commit: %s",
					           files[v].name, sqlite3_errmsg(db));
			}
		}
		if (rc != SQLITE_OK) {
			rollback_if_open(db);
			return rc;
		}
	}
	errbuf_set(err, errlen, "schema migration: the version did not reach %d", latest);
	return SQLITE_INTERNAL;
}

/*
 * The URI that opens path read-only and immutable: "file:" and the path
 * with every byte outside [A-Za-z0-9._~/-] percent-encoded (so '?', '#'
 * and '%' in a file name mean themselves). Returns a malloc'd string or
 * NULL when memory runs out.
 */
static char *immutable_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	static const char suffix[] = "?mode=ro&immutable=1";
	size_t len = strlen(path);
	char *uri = malloc(sizeof("file://") + 3 * len + sizeof(suffix));
	if (!uri)
		return NULL;
	char *p = uri;
	/* An absolute path gets an empty authority: file:///abs/path. */
	p += sprintf(p, path[0] == '/' ? "file://" : "file:");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)path[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '.' || c == '_' || c == '~' || c == '/' || c == '-') {
			*p++ = (char)c;
		} else {
			*p++ = '%';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	memcpy(p, suffix, sizeof(suffix));
	return uri;
}

/* See store_migrate.h. */
int store_check_file(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		if (errno == ENOENT)
			return SQLITE_OK;
		errbuf_set(err, errlen, "store %s: cannot stat: %s", path, strerror(errno));
		return SQLITE_CANTOPEN;
	}
	if (!S_ISREG(sb.st_mode)) {
		errbuf_set(err, errlen, "store %s: not a regular file", path);
		return SQLITE_CANTOPEN;
	}

	size_t len = strlen(path);
	char *wal = malloc(len + sizeof("-wal"));
	if (!wal) {
		errbuf_set(err, errlen, "store %s: out of memory", path);
		return SQLITE_NOMEM;
	}
	memcpy(wal, path, len);
	memcpy(wal + len, "-wal", sizeof("-wal"));
	bool has_wal = access(wal, F_OK) == 0;
	free(wal);

	sqlite3 *db = NULL;
	int rc;
	if (has_wal) {
		rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	} else {
		char *uri = immutable_uri(path);
		if (!uri) {
			errbuf_set(err, errlen, "store %s: out of memory", path);
			return SQLITE_NOMEM;
		}
		rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
		free(uri);
	}
	if (rc != SQLITE_OK) {
		errbuf_set(err, errlen, "store %s: cannot open to check it: %s", path,
		           db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc & 0xff;
	}

	char why[512];
	int version = 0;
	rc = store_schema_check(db, store_schema_version(), &version, why, sizeof(why));
	if (rc != SQLITE_OK) {
		errbuf_set(err, errlen, "store %s: %s", path, why);
		sqlite3_close(db);
		return rc;
	}

	sqlite3_stmt *s = NULL;
	rc = sqlite3_prepare_v2(db, SQL_QUICK_CHECK, -1, &s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		const char *res = (const char *)sqlite3_column_text(s, 0);
		if (res && strcmp(res, "ok") == 0) {
			rc = SQLITE_OK;
		} else {
			errbuf_set(err, errlen, "store %s: corrupt: quick_check: %s", path,
			           res ? res : "(no answer)");
			rc = SQLITE_CORRUPT;
		}
	} else {
		rc &= 0xff;
		if (rc == SQLITE_DONE)
			rc = SQLITE_CORRUPT;
		errbuf_set(err, errlen, "store %s: corrupt: quick_check failed: %s", path,
		           sqlite3_errmsg(db));
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}
