/*
 * cli_fixture.h: what the tests of src/cli/ share: a private temporary
 * directory (dir), reading a whole file, and the populated store built from
 * schema/ and tests/fixtures/cli/populate.sql. Include it once, after
 * <cmocka.h>; everything is static inline so that a test uses what it
 * needs.
 */
#ifndef WEGAUGE_TESTS_CLI_FIXTURE_H
#define WEGAUGE_TESTS_CLI_FIXTURE_H

#include <glob.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[512];

/* A fresh $TEST_TMP/NAME.XXXXXX in dir. 0 or -1 (for a cmocka setup). */
static inline int fixture_mkdtemp(const char *name)
{
	const char *tmp = getenv("TEST_TMP");
	snprintf(dir, sizeof(dir), "%s/%s.XXXXXX", tmp ? tmp : "/tmp", name);
	return mkdtemp(dir) ? 0 : -1;
}

/* Remove dir and everything in it. 0 or -1 (for a cmocka teardown). */
static inline int fixture_rmdir(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The contents of a file (at most 1 MiB; the caller frees), or fail. */
static inline char *fixture_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Run sql on db, or fail naming what. */
static inline void fixture_exec(sqlite3 *db, const char *sql, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", what, msg);
}

/*
 * Build a store at path (any old one and its -wal/-shm removed first):
 * every schema/NNN-name.sql in order, then tests/fixtures/DATA (NULL:
 * nothing, an empty store), then PRAGMA user_version = the number of
 * schema files, as wegauged's migration would leave it.
 */
static inline void fixture_build_store_with(const char *path, const char *data)
{
	const char *src = getenv("SOURCE_DIR"), *fix = getenv("FIXTURES");
	assert_non_null(src);
	assert_non_null(fix);
	char p[700];
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		unlink(p);
	}
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	glob_t g;
	snprintf(p, sizeof(p), "%s/schema/[0-9][0-9][0-9]-*.sql", src);
	assert_int_equal(glob(p, 0, NULL, &g), 0); /* sorted by name */
	for (size_t i = 0; i <= g.gl_pathc; i++) {
		if (i < g.gl_pathc)
			snprintf(p, sizeof(p), "%s", g.gl_pathv[i]);
		else if (data != NULL)
			snprintf(p, sizeof(p), "%s/%s", fix, data);
		else
			break;
		char *sql = fixture_slurp(p);
		fixture_exec(db, sql, p);
		free(sql);
	}
	snprintf(p, sizeof(p), "PRAGMA application_id = 0x77676175; PRAGMA user_version = %zu",
	         g.gl_pathc);
	fixture_exec(db, p, p);
	globfree(&g);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The populated store of tests/fixtures/cli/populate.sql at path (fixture_build_store_with). */
static inline void fixture_build_store(const char *path)
{
	fixture_build_store_with(path, "cli/populate.sql");
}

#endif
