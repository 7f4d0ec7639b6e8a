/*
 * store_migrate.h: the embedded schema, what a database file is, and the
 * migration that brings it to this build's schema. src/store.c opens the
 * store through it; the wegauge tool (src/cli/cli_db.c, wegauge.c) reads
 * the schema version and identifies a store with it; nothing here writes
 * but store_migrate().
 *
 * The schema is the numbered files schema/NNN-name.sql. At build time
 * cmake/embed_schema.cmake compiles them, in order, into
 * store_schema_files[] (the generated store_schema.c). A database records
 * the last file applied in PRAGMA user_version and is marked as a wegauge
 * store by PRAGMA application_id = STORE_APPLICATION_ID.
 */
#ifndef WEGAUGE_STORE_MIGRATE_H
#define WEGAUGE_STORE_MIGRATE_H

#include <stddef.h>

#include <sqlite3.h>

/* "wgau": marks a database file as a wegauge store (PRAGMA application_id). */
#define STORE_APPLICATION_ID 0x77676175

/* One schema file: version NNN, its file name, its SQL (NUL-terminated). */
struct store_schema_file {
	int version;
	const char *name;
	const char *sql;
};

/* Every schema file, versions 1 .. store_schema_count in order (generated). */
extern const struct store_schema_file store_schema_files[];
extern const size_t store_schema_count;

/* The schema version this build writes (the highest schema/NNN-*.sql). */
int store_schema_version(void);

/* What a database is to wegauge (store_schema_identify). */
enum store_kind {
	STORE_KIND_EMPTY = 0, /* no application_id, user_version 0, no schema objects */
	STORE_KIND_WEGAUGE,   /* application_id STORE_APPLICATION_ID: a wegauge store */
	STORE_KIND_UNMARKED,  /* no application_id, but schema objects or a user_version */
	STORE_KIND_FOREIGN,   /* the application_id of another program */
};

struct store_identity {
	enum store_kind kind;
	int version;     /* PRAGMA user_version */
	unsigned app_id; /* PRAGMA application_id */
	int objects;     /* tables, indexes, views and triggers */
};

/*
 * Read what db is into *id, reading only (the store's check below and
 * the wegauge tool's both start here; each judges the version itself).
 * Returns SQLITE_OK, or the extended SQLite code of the read that failed
 * (its primary code is SQLITE_NOTADB when the file is not a database),
 * never SQLITE_OK then, with SQLite's message in err.
 */
int store_schema_identify(sqlite3 *db, struct store_identity *id, char *err, size_t errlen);

/*
 * Read what db is: *version gets its user_version. Returns 0 when db is a
 * wegauge store at a version this build can open (0 .. latest; 0 means an
 * empty database), else an SQLite code with a message in err:
 * SQLITE_NOTADB when the file is not a database or is some other
 * program's database, SQLITE_ERROR when its version is newer than latest
 * ("schema version 7 is newer than this wegauged (5): upgrade wegauged"),
 * or the error of the reading itself. Reads only.
 */
int store_schema_check(sqlite3 *db, int latest, int *version, char *err, size_t errlen);

/*
 * Check the database file at path before anything writes to it: it must
 * be an SQLite database, a wegauge store (or empty), not newer than this
 * build, and pass PRAGMA quick_check. A missing file passes (the store
 * will create it). Reads only, and leaves a file without a -wal exactly as
 * it was, with no -wal or -shm created. Returns 0, or SQLITE_NOTADB,
 * SQLITE_ERROR (too new), SQLITE_CORRUPT, SQLITE_CANTOPEN (not a regular
 * file, unreadable), SQLITE_NOMEM, with a message "store PATH: ..." in err.
 */
int store_check_file(const char *path, char *err, size_t errlen);

/*
 * Bring db forward to the last of files[0 .. n-1], whose versions must be
 * 1 .. n in order. Each file still missing is applied in its own
 * BEGIN IMMEDIATE transaction together with PRAGMA user_version (and, for
 * the first, PRAGMA application_id), and the version is read again inside
 * each transaction, so two processes migrating at once do not collide.
 * A database newer than files[n-1] is refused and not changed. On failure
 * the failing file's transaction is rolled back (the files before it stay
 * applied) and err names the file and the SQLite error. The SQL of a file
 * must not contain BEGIN, COMMIT or ROLLBACK; PRAGMA foreign_keys cannot
 * change inside the transaction, so a file that rebuilds a table must keep
 * the references valid itself. Returns 0 or the SQLite primary code.
 */
int store_migrate(sqlite3 *db, const struct store_schema_file *files, size_t n, char *err,
                  size_t errlen);

#endif
