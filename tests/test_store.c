/*
 * test_store.c: the SQLite store of src/store.c and src/store_migrate.c:
 * the embedded schema, opening and refusing files, migration, the
 * workspace and pull rows, the per-stream commit (upserts, types,
 * atomicity, failures that leave the store usable, seat removal), the
 * three views, and that the schema's lists of pull statuses and
 * workspace states are those of pull_status.h and ws_state.h.
 *
 * Databases live under $TEST_TMP (WAL matters for most tests). Every
 * assertion is on exact rows: dump() renders a query's rows as
 * "col|col|...\n" text, NULL as "NULL", and the queries use quote() and
 * typeof() where the stored type is the point.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "pull_status.h"
#include "rows.h"
#include "store.h"
#include "store_migrate.h"
#include "ws_state.h"

/* ---- Helpers ---- */

static char errbuf[1024];

/* $TEST_TMP/name, after removing any database, -wal and -shm of that name. */
static const char *fresh_path(const char *name)
{
	static char path[4][512];
	static int next;
	const char *dir = getenv("TEST_TMP");
	assert_non_null(dir);
	char *p = path[next++ % 4];
	snprintf(p, sizeof(path[0]), "%s/store-%s.db", dir, name);
	char side[600];
	unlink(p);
	snprintf(side, sizeof(side), "%s-wal", p);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", p);
	unlink(side);
	return p;
}

static int file_exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

/* Whether path-suffix exists. */
static int side_exists(const char *path, const char *suffix)
{
	char side[600];
	snprintf(side, sizeof(side), "%s%s", path, suffix);
	return file_exists(side);
}

/* The whole content of path (malloc'd), its size in *len. */
static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	unsigned char *buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static void write_all(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Every row of sql as "a|b|c\n" lines (NULL as "NULL"); malloc'd. */
static char *dump(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	assert_non_null(f);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const char *v = (const char *)sqlite3_column_text(s, i);
			fprintf(f, "%s%s", i ? "|" : "", v ? v : "NULL");
		}
		fputc('\n', f);
	}
	if (rc != SQLITE_DONE)
		fail_msg("step %s: %s", sql, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	fclose(f);
	return out;
}

/* Assert that sql's rows are exactly want. */
static void assert_rows(sqlite3 *db, const char *sql, const char *want)
{
	char *got = dump(db, sql);
	if (strcmp(got, want) != 0)
		print_error("query: %s\n", sql);
	assert_string_equal(got, want);
	free(got);
}

/* The single integer sql returns. */
static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("prepare %s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* Epoch seconds as "YYYY-MM-DDTHH:MM:SSZ" (for expected rows). */
static const char *iso(int64_t t)
{
	static char buf[8][TS_LEN];
	static int next;
	char *b = buf[next++ % 8];
	time_t tt = (time_t)t;
	struct tm tm;
	assert_non_null(gmtime_r(&tt, &tm));
	assert_int_equal(strftime(b, TS_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm), TS_LEN - 1);
	return b;
}

static const struct store_opts test_opts = {
        .synchronous = SYNC_NORMAL, .busy_timeout_ms = 200, .journal_size_limit = 1 << 20};

static struct store *open_ok(const char *path)
{
	struct store *st = NULL;
	int rc = store_open(&st, path, &test_opts, errbuf, sizeof(errbuf));
	if (rc != 0)
		fail_msg("store_open %s: %d %s", path, rc, errbuf);
	assert_non_null(st);
	return st;
}

static void close_ok(struct store *st)
{
	assert_int_equal(store_close(st), 0);
}

/* A connected workspace row named name. */
static void put_ws(struct store *st, const char *name)
{
	struct store_ws w = {.name = name,
	                     .license_code = "311c48b3",
	                     .data_center = "global",
	                     .base_url = "https://api.webengage.com",
	                     .key_fingerprint = "0123456789abcdef",
	                     .state = "connected"};
	int rc = store_ws_put(st, &w, errbuf, sizeof(errbuf));
	if (rc != 0)
		fail_msg("store_ws_put %s: %s", name, errbuf);
}

static int64_t begin_pull(struct store *st, const char *ws, int64_t t)
{
	int64_t id = 0;
	int rc = store_pull_begin(st, ws, t, &id, errbuf, sizeof(errbuf));
	if (rc != 0)
		fail_msg("store_pull_begin %s: %s", ws, errbuf);
	assert_true(id > 0);
	return id;
}

static void end_pull(struct store *st, int64_t id, int64_t t, const char *status)
{
	struct store_pull_end e = {.finished_at = t, .status = status};
	int rc = store_pull_end(st, id, &e, errbuf, sizeof(errbuf));
	if (rc != 0)
		fail_msg("store_pull_end %lld: %s", (long long)id, errbuf);
}

static void commit_ok(struct store *st, const char *ws, int64_t pull, int64_t now,
                      const struct rowset *rs, int64_t want_rows)
{
	int64_t n = -1;
	int rc = store_commit_stream(st, ws, pull, now, rs, &n, errbuf, sizeof(errbuf));
	if (rc != 0)
		fail_msg("commit %s: %d %s", stream_name(rs->stream), rc, errbuf);
	assert_int_equal(n, want_rows);
}

static struct num N_INT(int64_t i) {
	return (struct num){.kind = NUM_INT, .i = i};
}

static struct num
N_REAL(double d) {
	return (struct num){.kind = NUM_REAL, .d = d};
}

static const struct num N_NULL = {.kind = NUM_NULL};

static void add_feature(struct rowset *rs, const char *day, const char *feature, const char *metric,
                        struct num v)
{
	struct row_feature *r = rowset_push(rs);
	assert_non_null(r);
	snprintf(r->day, sizeof(r->day), "%s", day);
	r->feature = rowset_strdup(rs, feature);
	r->metric = rowset_strdup(rs, metric);
	r->value = v;
}

static void add_seat(struct rowset *rs, const char *email, const char *name, const char *role,
                     const char *last_login)
{
	struct row_seat *r = rowset_push(rs);
	assert_non_null(r);
	r->email = rowset_strdup(rs, email);
	r->name = rowset_strdup(rs, name);
	r->role = rowset_strdup(rs, role);
	r->status = rowset_strdup(rs, "ACTIVE");
	snprintf(r->last_login_at, sizeof(r->last_login_at), "%s", last_login ? last_login : "");
}

/* Times used by most tests: 2026-11-18T11:06:40Z and one hour steps. */
#define T1 1795000000
#define T2 (T1 + 3600)
#define T3 (T1 + 7200)
#define T4 (T1 + 10800)

/* ---- The embedded schema ---- */

static void test_schema_embedded(void **state)
{
	(void)state;
	assert_true(store_schema_count >= 1);
	assert_int_equal(store_schema_version(), (int)store_schema_count);
	assert_string_equal(store_schema_files[0].name, "001-initial.sql");
	const char *src = getenv("SOURCE_DIR");
	assert_non_null(src);
	for (size_t i = 0; i < store_schema_count; i++) {
		const struct store_schema_file *f = &store_schema_files[i];
		assert_int_equal(f->version, (int)i + 1);
		char path[1024];
		snprintf(path, sizeof(path), "%s/schema/%s", src, f->name);
		size_t len;
		unsigned char *want = read_all(path, &len);
		/* Byte for byte the file, and NUL-terminated. */
		assert_int_equal(strlen(f->sql), len);
		assert_memory_equal(f->sql, want, len);
		free(want);
	}
}

/* The columns docs/operator.md requires of each table and the views' columns. */
static const struct {
	const char *table;
	const char *type; /* "table" or "view" */
	const char *columns;
} required[] = {
        {"workspace", "table",
         "name license_code data_center base_url state state_reason key_fingerprint "
         "last_pull_at last_success_at next_pull_at consecutive_failures"},
        {"pull", "table", "id workspace started_at finished_at status requests retries rows error"},
        {"feature_usage_daily", "table", "workspace day feature metric value pull_id updated_at"},
        {"campaign", "table",
         "workspace channel campaign_id title status category created_on start_date sent "
         "delivered clicks conversions revenue pull_id updated_at"},
        {"active_users_daily", "table", "workspace day platform dau wau mau pull_id updated_at"},
        {"seat", "table",
         "workspace email name role status last_login_at first_seen_at last_seen_at removed_at "
         "pull_id"},
        {"v_workspace_health", "view",
         "workspace state state_reason last_success_at next_pull_at consecutive_failures "
         "last_pull_status last_pull_error last_pull_finished_at seconds_since_success"},
        {"v_feature_usage_30d", "view",
         "workspace feature users campaigns deliveries clicks conversions revenue active_days"},
        {"v_seat_utilization", "view",
         "workspace seats active_30d active_60d active_90d never_logged_in utilization_pct"},
};

static void test_schema_fresh(void **state)
{
	(void)state;
	const char *path = fresh_path("fresh");
	struct store *st = open_ok(path);
	sqlite3 *db = store_handle(st);
	assert_int_equal(q_int(db, "PRAGMA user_version"), store_schema_version());
	assert_int_equal(q_int(db, "PRAGMA application_id"), STORE_APPLICATION_ID);
	assert_rows(db, "PRAGMA journal_mode", "wal\n");
	assert_int_equal(q_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(q_int(db, "PRAGMA busy_timeout"), 200);
	assert_int_equal(q_int(db, "PRAGMA journal_size_limit"), 1 << 20);

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		char sql[256];
		snprintf(sql, sizeof(sql), "SELECT type FROM sqlite_schema WHERE name = '%s'",
		         required[i].table);
		char want[16];
		snprintf(want, sizeof(want), "%s\n", required[i].type);
		assert_rows(db, sql, want);
		if (strcmp(required[i].type, "table") == 0) {
			snprintf(sql, sizeof(sql),
			         "SELECT strict FROM pragma_table_list WHERE name = '%s'",
			         required[i].table);
			assert_int_equal(q_int(db, sql), 1);
		}
		char cols[512];
		snprintf(cols, sizeof(cols), "%s", required[i].columns);
		for (char *save = NULL, *c = strtok_r(cols, " ", &save); c;
		     c = strtok_r(NULL, " ", &save)) {
			snprintf(sql, sizeof(sql),
			         "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
			         required[i].table, c);
			if (q_int(db, sql) != 1)
				fail_msg("%s has no column %s", required[i].table, c);
		}
	}
	/* The value columns keep the API's type: ANY. */
	assert_rows(db,
	            "SELECT m.name || '.' || c.name FROM sqlite_schema AS m,"
	            " pragma_table_info(m.name) AS c WHERE m.type = 'table' AND c.type = 'ANY'"
	            " ORDER BY 1",
	            "active_users_daily.dau\nactive_users_daily.mau\nactive_users_daily.wau\n"
	            "campaign.clicks\ncampaign.conversions\ncampaign.delivered\ncampaign.revenue\n"
	            "campaign.sent\nfeature_usage_daily.value\n");
	/* The foreign keys of docs/operator.md. */
	assert_rows(db,
	            "SELECT m.name || '.' || f.\"from\" || '>' || f.\"table\" || '.' || f.\"to\""
	            " FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f"
	            " WHERE m.type = 'table' ORDER BY 1",
	            "active_users_daily.pull_id>pull.id\n"
	            "active_users_daily.workspace>workspace.name\n"
	            "campaign.pull_id>pull.id\n"
	            "campaign.workspace>workspace.name\n"
	            "feature_usage_daily.pull_id>pull.id\n"
	            "feature_usage_daily.workspace>workspace.name\n"
	            "pull.workspace>workspace.name\n"
	            "seat.pull_id>pull.id\n"
	            "seat.workspace>workspace.name\n"
	            "stream_digest.workspace>workspace.name\n");
	close_ok(st);
	/* The last close checkpoints and removes the WAL files. */
	assert_false(side_exists(path, "-wal"));
	assert_false(side_exists(path, "-shm"));
}

static void test_synchronous_modes(void **state)
{
	(void)state;
	static const struct {
		enum sync_mode mode;
		int64_t want;
	} cases[] = {{SYNC_NORMAL, 1}, {SYNC_FULL, 2}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct store_opts o = test_opts;
		o.synchronous = cases[i].mode;
		struct store *st = NULL;
		assert_int_equal(store_open(&st, fresh_path("sync"), &o, errbuf, sizeof(errbuf)),
		                 0);
		assert_int_equal(q_int(store_handle(st), "PRAGMA synchronous"), cases[i].want);
		close_ok(st);
	}
}

static void test_open_bad_arguments(void **state)
{
	(void)state;
	struct store *st = (struct store *)&errbuf; /* must become NULL */
	struct store_opts neg = test_opts;
	neg.busy_timeout_ms = -1;
	struct store_opts badsync = test_opts;
	badsync.synchronous = (enum sync_mode)7;
	const struct {
		const char *path;
		const struct store_opts *o;
		const char *msg;
	} cases[] = {
	        {NULL, &test_opts, "store: the database path is empty"},
	        {"", &test_opts, "store: the database path is empty"},
	        {"x.db", &neg, "store x.db: busy_timeout -1 ms is outside 0..2147483647"},
	        {"x.db", &badsync, "store x.db: synchronous mode 7 is neither normal nor full"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = (struct store *)&errbuf;
		assert_int_equal(store_open(&st, cases[i].path, cases[i].o, errbuf, sizeof(errbuf)),
		                 SQLITE_MISUSE);
		assert_null(st);
		assert_string_equal(errbuf, cases[i].msg);
	}
	assert_false(file_exists("x.db"));
	/* A directory is not a store. */
	const char *dir = getenv("TEST_TMP");
	assert_int_equal(store_open(&st, dir, &test_opts, errbuf, sizeof(errbuf)), SQLITE_CANTOPEN);
	assert_null(st);
	assert_non_null(strstr(errbuf, "not a regular file"));
	/* A directory that does not exist cannot hold one. */
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/no/such/dir/x.db", dir);
	assert_int_equal(store_open(&st, missing, &test_opts, errbuf, sizeof(errbuf)),
	                 SQLITE_CANTOPEN);
	assert_null(st);
	char want[700];
	snprintf(want, sizeof(want), "store %s: cannot open: unable to open database file",
	         missing);
	assert_string_equal(errbuf, want);
	/* NULL opts are the defaults. */
	assert_int_equal(store_open(&st, ":memory:", NULL, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(store_handle(st), "PRAGMA busy_timeout"), 1000);
	assert_int_equal(q_int(store_handle(st), "PRAGMA synchronous"), 1);
	assert_int_equal(q_int(store_handle(st), "PRAGMA user_version"), store_schema_version());
	close_ok(st);
	assert_int_equal(store_close(NULL), 0);
}

/* ---- Refusing files ---- */

/* A file of text: not a database. */
static void make_not_db(const char *path)
{
	char text[4096];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = "this is not a database\n"[i % 23];
	write_all(path, text, sizeof(text));
}

/* A wegauge store of a newer build: user_version latest + 1, in WAL mode. */
static void make_too_new(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_ok(db, "PRAGMA journal_mode = WAL");
	exec_ok(db, "CREATE TABLE future (x INTEGER)");
	char sql[128];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
	         store_schema_version() + 1, STORE_APPLICATION_ID);
	exec_ok(db, sql);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* Another program's database (its own application_id). */
static void make_foreign_app(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_ok(db, "CREATE TABLE t (x); PRAGMA application_id = 1234");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* A database with tables but no mark and no version. */
static void make_foreign_plain(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_ok(db, "CREATE TABLE workspace (x)");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/*
 * A valid store with a few pulls whose table's root page is then
 * overwritten with garbage: a corrupt page in an otherwise valid file.
 */
static void make_corrupt(const char *path)
{
	struct store *st = open_ok(path);
	put_ws(st, "acme");
	for (int i = 0; i < 5; i++)
		begin_pull(st, "acme", T1 + i);
	sqlite3 *db = store_handle(st);
	int64_t root = q_int(db, "SELECT rootpage FROM sqlite_schema WHERE name = 'pull'");
	int64_t psize = q_int(db, "PRAGMA page_size");
	close_ok(st);
	assert_true(root > 1);
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)((root - 1) * psize), SEEK_SET), 0);
	unsigned char junk[64];
	memset(junk, 0xA5, sizeof(junk));
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	assert_int_equal(fclose(f), 0);
}

static void test_refused_files_untouched(void **state)
{
	(void)state;
	char too_new[128];
	snprintf(too_new, sizeof(too_new),
	         "schema version %d is newer than this wegauged (%d): upgrade wegauged",
	         store_schema_version() + 1, store_schema_version());
	const struct {
		const char *name;
		void (*make)(const char *path);
		int rc;
		const char *msg; /* a part of the message */
	} cases[] = {
	        {"notdb", make_not_db, SQLITE_NOTADB, "not a SQLite database"},
	        /* URI characters in the name mean themselves (the check opens by URI) */
	        {"odd ?#%&=+ name", make_not_db, SQLITE_NOTADB, "not a SQLite database"},
	        {"toonew", make_too_new, SQLITE_ERROR, too_new},
	        {"foreignapp", make_foreign_app, SQLITE_NOTADB,
	         "not a wegauge store: it belongs to another program (application_id 0x4d2)"},
	        {"foreignplain", make_foreign_plain, SQLITE_NOTADB, "but no wegauge mark"},
	        {"corrupt", make_corrupt, SQLITE_CORRUPT, ": corrupt: quick_check"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = fresh_path(cases[i].name);
		cases[i].make(path);
		assert_false(side_exists(path, "-wal"));
		assert_false(side_exists(path, "-shm"));
		size_t len0, len1;
		unsigned char *before = read_all(path, &len0);

		struct store *st = (struct store *)&errbuf;
		int rc = store_open(&st, path, &test_opts, errbuf, sizeof(errbuf));
		if (rc != cases[i].rc || !strstr(errbuf, cases[i].msg))
			fail_msg("%s: rc %d, \"%s\"", cases[i].name, rc, errbuf);
		assert_null(st);
		/* The message starts with the path. */
		char prefix[600];
		snprintf(prefix, sizeof(prefix), "store %s: ", path);
		assert_memory_equal(errbuf, prefix, strlen(prefix));

		unsigned char *after = read_all(path, &len1);
		assert_int_equal(len0, len1);
		assert_memory_equal(before, after, len0);
		assert_false(side_exists(path, "-wal"));
		assert_false(side_exists(path, "-shm"));
		free(before);
		free(after);
	}
}

/* Each kind of database is told apart by store_schema_identify, reading only. */
static void test_schema_identify(void **state)
{
	(void)state;
	const struct {
		const char *name;
		void (*make)(const char *path);
		int rc;
		enum store_kind kind;
		int version;
		unsigned app_id;
	} cases[] = {
	        {"id-notdb", make_not_db, SQLITE_NOTADB, 0, 0, 0},
	        {"id-toonew", make_too_new, SQLITE_OK, STORE_KIND_WEGAUGE,
	         store_schema_version() + 1, STORE_APPLICATION_ID},
	        {"id-foreignapp", make_foreign_app, SQLITE_OK, STORE_KIND_FOREIGN, 0, 1234},
	        {"id-foreignplain", make_foreign_plain, SQLITE_OK, STORE_KIND_UNMARKED, 0, 0},
	        {"id-empty", NULL, SQLITE_OK, STORE_KIND_EMPTY, 0, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = fresh_path(cases[i].name);
		if (cases[i].make)
			cases[i].make(path);
		sqlite3 *db = NULL;
		assert_int_equal(sqlite3_open_v2(path, &db,
		                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
		                 SQLITE_OK);
		struct store_identity id;
		int rc = store_schema_identify(db, &id, errbuf, sizeof(errbuf));
		if ((rc & 0xff) != cases[i].rc)
			fail_msg("%s: rc %d, \"%s\"", cases[i].name, rc, errbuf);
		if (rc == SQLITE_OK) {
			assert_int_equal(id.kind, cases[i].kind);
			assert_int_equal(id.version, cases[i].version);
			assert_int_equal(id.app_id, cases[i].app_id);
		} else {
			assert_string_equal(errbuf, "file is not a database");
		}
		assert_int_equal(sqlite3_close(db), SQLITE_OK);
	}

	/* A store made by the migrations is a wegauge store at this build's version. */
	const char *path = fresh_path("id-store");
	close_ok(open_ok(path));
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	struct store_identity id;
	assert_int_equal(store_schema_identify(db, &id, errbuf, sizeof(errbuf)), SQLITE_OK);
	assert_int_equal(id.kind, STORE_KIND_WEGAUGE);
	assert_int_equal(id.version, store_schema_version());
	assert_true(id.objects > 0);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/*
 * The names that the CHECK on column col of table admits, as the store's
 * schema (sqlite_schema, after every migration) says: the quoted names of
 * the one "col IN ('a', 'b', ...)" in the table's SQL. Fails the test when
 * there is not exactly one such list. Returns how many (at most max) were
 * put in names[], each malloc'd.
 */
static size_t schema_in_list(sqlite3 *db, const char *table, const char *col, char **names,
                             size_t max)
{
	char q[128];
	snprintf(q, sizeof(q), "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = '%s'",
	         table);
	char *sql = dump(db, q);
	const size_t cl = strlen(col);
	const char *list = NULL;
	int found = 0;
	for (const char *p = sql; (p = strstr(p, col)) != NULL; p++) {
		if ((p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_')) ||
		    isalnum((unsigned char)p[cl]) || p[cl] == '_')
			continue;
		const char *r = p + cl;
		while (isspace((unsigned char)*r))
			r++;
		if (strncasecmp(r, "IN", 2) != 0 || isalnum((unsigned char)r[2]) || r[2] == '_')
			continue;
		r += 2;
		while (isspace((unsigned char)*r))
			r++;
		if (*r == '(') {
			list = r + 1;
			found++;
		}
	}
	if (found != 1)
		fail_msg("%s.%s: %d lists \"%s IN (...)\" in the schema, not one:\n%s", table, col,
		         found, col, sql);
	size_t n = 0;
	for (const char *r = list;;) {
		while (isspace((unsigned char)*r))
			r++;
		const char *end = *r == '\'' ? strchr(r + 1, '\'') : NULL;
		if (end == NULL || end[1] == '\'' || n == max)
			fail_msg("%s.%s: cannot read the list of names at: %.40s", table, col, r);
		names[n++] = strndup(r + 1, (size_t)(end - r - 1));
		r = end + 1;
		while (isspace((unsigned char)*r))
			r++;
		if (*r == ')')
			break;
		if (*r != ',')
			fail_msg("%s.%s: cannot read the list of names at: %.40s", table, col, r);
		r++;
	}
	free(sql);
	return n;
}

/* Assert that the schema's CHECK on table.col admits exactly the n names of c[] (from header). */
static void assert_schema_lists(sqlite3 *db, const char *table, const char *col,
                                const char *const *c, size_t n, const char *header)
{
	char *schema[32];
	size_t ns = schema_in_list(db, table, col, schema, 32);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(c[i]);
		size_t k = 0;
		while (k < ns && strcmp(schema[k], c[i]) != 0)
			k++;
		if (k == ns)
			fail_msg(
			        "%s lists \"%s\", which the schema's CHECK on %s.%s does not admit",
			        header, c[i], table, col);
	}
	for (size_t k = 0; k < ns; k++) {
		size_t i = 0;
		while (i < n && strcmp(schema[k], c[i]) != 0)
			i++;
		if (i == n)
			fail_msg(
			        "the schema's CHECK on %s.%s admits \"%s\", which %s does not list",
			        table, col, schema[k], header);
	}
	/* Each name once on either side: same sets, so the same counts. */
	assert_int_equal(ns, n);
	for (size_t k = 0; k < ns; k++)
		free(schema[k]);
}

/* The statuses and states of the C code are exactly those the schema admits. */
static void test_schema_lists_match_c(void **state)
{
	(void)state;
	static const char *const statuses[PULL_STATUS_COUNT] = PULL_STATUS_NAMES;
	static const char *const states[WS_STATE_COUNT] = WS_STATE_NAMES;
	struct store *st = open_ok(fresh_path("lists"));
	sqlite3 *db = store_handle(st);
	assert_schema_lists(db, "pull", "status", statuses, PULL_STATUS_COUNT, "pull_status.h");
	assert_schema_lists(db, "workspace", "state", states, WS_STATE_COUNT, "ws_state.h");
	close_ok(st);
}

static void test_reopen_keeps_data_and_empty_file(void **state)
{
	(void)state;
	const char *path = fresh_path("reopen");
	struct store *st = open_ok(path);
	put_ws(st, "acme");
	close_ok(st);
	st = open_ok(path);
	struct store_ws_saved saved;
	assert_int_equal(store_ws_get(st, "acme", &saved, errbuf, sizeof(errbuf)), 1);
	assert_string_equal(saved.state, "connected");
	assert_int_equal(q_int(store_handle(st), "PRAGMA user_version"), store_schema_version());
	close_ok(st);

	/* A name with URI characters: checked and reopened as itself. */
	path = fresh_path("odd ?#%&=+ name");
	st = open_ok(path);
	put_ws(st, "odd");
	close_ok(st);
	st = open_ok(path);
	assert_int_equal(store_ws_get(st, "odd", &saved, errbuf, sizeof(errbuf)), 1);
	close_ok(st);

	/* An empty file (0 bytes) is an empty database: the schema is created. */
	path = fresh_path("empty");
	write_all(path, "", 0);
	st = open_ok(path);
	assert_int_equal(q_int(store_handle(st), "PRAGMA user_version"), store_schema_version());
	assert_int_equal(q_int(store_handle(st), "SELECT count(*) FROM workspace"), 0);
	close_ok(st);
}

/* ---- Migration ---- */

static void test_migrate_forward(void **state)
{
	(void)state;
	const struct store_schema_file files[] = {
	        {1, "001-initial.sql", store_schema_files[0].sql},
	        {2, "002-note.sql",
	         "ALTER TABLE seat ADD COLUMN note TEXT;\n"
	         "CREATE TABLE extra (x INTEGER NOT NULL) STRICT;\n"
	         "INSERT INTO extra VALUES (42);\n"},
	        {3, "003-broken.sql",
	         "CREATE TABLE extra2 (x INTEGER) STRICT;\n"
	         "INSERT INTO extra VALUES (NULL);\n"},
	};
	const char *path = fresh_path("migrate");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);

	/* Version 0 -> 1: the real first schema, and some data in it. */
	assert_int_equal(store_migrate(db, files, 1, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(db, "PRAGMA user_version"), 1);
	assert_int_equal(q_int(db, "PRAGMA application_id"), STORE_APPLICATION_ID);
	exec_ok(db, "INSERT INTO workspace (name, license_code, data_center, base_url)"
	            " VALUES ('acme', 'lc', 'global', 'https://x')");
	/* Run again at the same version: nothing changes. */
	assert_int_equal(store_migrate(db, files, 1, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(db, "PRAGMA user_version"), 1);

	/* 1 -> 2: the data stays, the new column and table are there. */
	assert_int_equal(store_migrate(db, files, 2, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(db, "PRAGMA user_version"), 2);
	assert_rows(db, "SELECT name, state FROM workspace", "acme|pending\n");
	assert_rows(db, "SELECT x FROM extra", "42\n");
	assert_int_equal(q_int(db, "SELECT count(*) FROM pragma_table_info('seat')"
	                           " WHERE name = 'note'"),
	                 1);

	/* 2 -> 3 fails midway: all of 003 is rolled back, 2 stays. */
	assert_int_equal(store_migrate(db, files, 3, errbuf, sizeof(errbuf)), SQLITE_CONSTRAINT);
	assert_string_equal(errbuf,
	                    "schema migration 003-broken.sql failed: NOT NULL constraint failed: "
	                    "extra.x");
	assert_int_equal(q_int(db, "PRAGMA user_version"), 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'extra2'"), 0);
	assert_int_equal(sqlite3_get_autocommit(db), 1);

	/* A build that knows only version 1 refuses the version 2 database. */
	assert_int_equal(store_migrate(db, files, 1, errbuf, sizeof(errbuf)), SQLITE_ERROR);
	assert_string_equal(errbuf,
	                    "schema version 2 is newer than this wegauged (1): upgrade wegauged");
	assert_int_equal(q_int(db, "PRAGMA user_version"), 2);
	assert_int_equal(sqlite3_get_autocommit(db), 1);

	/* Files out of order are a programming error. */
	const struct store_schema_file gap[] = {{1, "001-a.sql", "SELECT 1;"},
	                                        {3, "003-b.sql", "SELECT 1;"}};
	assert_int_equal(store_migrate(db, gap, 2, errbuf, sizeof(errbuf)), SQLITE_MISUSE);
	assert_string_equal(errbuf, "schema file 1 (003-b.sql) has version 3 where 2 was expected");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/*
 * A store made by schema 001 alone, with one workspace whose totals leave
 * the 64-bit range: 001's v_feature_usage_30d fails for everyone ("integer
 * overflow", issue 12, finding 6); store_open() migrates it to the latest
 * version, and the view keeps its columns and answers, exact where a
 * total fits.
 */
static void test_migrate_overflow_safe_totals(void **state)
{
	(void)state;
	static const char columns[] = "workspace\nfeature\nusers\ncampaigns\ndeliveries\nclicks\n"
	                              "conversions\nrevenue\nactive_days\n";
	const char *q =
	        "SELECT workspace, feature, quote(users), quote(campaigns), quote(deliveries),"
	        " quote(clicks), quote(conversions), quote(revenue), active_days"
	        " FROM v_feature_usage_30d ORDER BY workspace, feature";
	const char *path = fresh_path("migrate002");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(store_migrate(db, store_schema_files, 1, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(db, "PRAGMA user_version"), 1);
	exec_ok(db, "INSERT INTO workspace (name, license_code, data_center, base_url) VALUES"
	            " ('a', 'lc', 'global', 'https://x'), ('c', 'lc', 'global', 'https://x');"
	            "INSERT INTO pull (id, workspace, started_at) VALUES (1, 'a', "
	            "'2026-01-01T00:00:00Z');"
	            "INSERT INTO feature_usage_daily VALUES"
	            " ('a', date('now'), 'EMAIL', 'deliveries', 100, 1, '2026-01-01T00:00:00Z'),"
	            " ('a', date('now', '-1 days'), 'EMAIL', 'deliveries', 20, 1, "
	            "'2026-01-01T00:00:00Z'),"
	            " ('a', date('now'), 'EMAIL', 'revenue', 2.5, 1, '2026-01-01T00:00:00Z'),"
	            " ('a', date('now'), 'EMAIL', 'users', 0, 1, '2026-01-01T00:00:00Z'),"
	            " ('c', date('now'), 'SMS', 'deliveries', 9223372036854775807, 1,"
	            "  '2026-01-01T00:00:00Z'),"
	            " ('c', date('now', '-1 days'), 'SMS', 'deliveries', 9223372036854775807, 1,"
	            "  '2026-01-01T00:00:00Z');");
	assert_rows(db, "SELECT name FROM pragma_table_info('v_feature_usage_30d')", columns);
	sqlite3_stmt *s = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ERROR);
	assert_string_equal(sqlite3_errmsg(db), "integer overflow");
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	struct store *st = open_ok(path);
	db = store_handle(st);
	assert_int_equal(q_int(db, "PRAGMA user_version"), store_schema_version());
	assert_true(store_schema_version() >= 2); /* 2 and any later file */
	assert_rows(db, "SELECT name FROM pragma_table_info('v_feature_usage_30d')", columns);
	/* the rows written today and yesterday stay in the 30-day window past a midnight */
	assert_rows(db, q,
	            "a|EMAIL|0|NULL|120|NULL|NULL|2.5|2\n"
	            "c|SMS|NULL|NULL|1.84467440737095516156e+19|NULL|NULL|NULL|2\n");
	close_ok(st);
}

/*
 * The overview's migration (schema/004-overview.sql, issue 17) on a store
 * made by the schema before it, with a workspace row and data: the row
 * keeps its columns and gets seat_price, currency and interval_s as NULL,
 * the data stays, the overview's index exists and serves its window
 * query without sorting; then the daemon's put writes the three columns (a price, and
 * none), and a price the CHECK refuses cannot be stored.
 */
static void test_migrate_overview(void **state)
{
	(void)state;
	const char *path = fresh_path("migrate003");
	sqlite3 *db;
	int before = 0;
	while (before < store_schema_version() &&
	       strstr(store_schema_files[before].name, "overview") == NULL)
		before++;
	assert_true(before >= 2 && before < store_schema_version());
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	        store_migrate(db, store_schema_files, (size_t)before, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(db, "PRAGMA user_version"), before);
	exec_ok(db, "INSERT INTO workspace (name, license_code, data_center, base_url, state)"
	            " VALUES ('a', 'lc', 'global', 'https://x', 'connected');"
	            "INSERT INTO pull (id, workspace, started_at) VALUES (1, 'a', "
	            "'2026-01-01T00:00:00Z');"
	            "INSERT INTO feature_usage_daily VALUES"
	            " ('a', '2026-01-01', 'EMAIL', 'deliveries', 100, 1, '2026-01-01T00:00:00Z'),"
	            " ('a', '2026-01-01', 'EMAIL', 'users', 7, 1, '2026-01-01T00:00:00Z');"
	            "INSERT INTO active_users_daily VALUES"
	            " ('a', '2026-01-01', 'web', 5, 6, 7, 1, '2026-01-01T00:00:00Z');");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	struct store *st = open_ok(path);
	db = store_handle(st);
	assert_int_equal(q_int(db, "PRAGMA user_version"), store_schema_version());
	assert_rows(db,
	            "SELECT name, state, quote(seat_price), quote(currency), quote(interval_s)"
	            " FROM workspace",
	            "a|connected|NULL|NULL|NULL\n");
	assert_rows(db, "SELECT feature, metric, value FROM feature_usage_daily ORDER BY metric",
	            "EMAIL|deliveries|100\nEMAIL|users|7\n");
	assert_rows(db,
	            "SELECT name FROM sqlite_schema WHERE type = 'index' AND name IN"
	            " ('feature_usage_deliveries') ORDER BY name",
	            "feature_usage_deliveries\n");
	/* The window query reads the index, not the table. */
	sqlite3_stmt *plan = NULL;
	assert_int_equal(
	        sqlite3_prepare_v2(db,
	                           "EXPLAIN QUERY PLAN SELECT workspace, feature, total(value)"
	                           " FROM feature_usage_daily WHERE metric = 'deliveries'"
	                           " AND day BETWEEN '2026-01-01' AND '2026-01-30'"
	                           " GROUP BY workspace, feature",
	                           -1, &plan, NULL),
	        SQLITE_OK);
	bool covering = false, sorted = false;
	while (sqlite3_step(plan) == SQLITE_ROW) {
		const char *detail = (const char *)sqlite3_column_text(plan, 3);
		covering |= strstr(detail, "COVERING INDEX feature_usage_deliveries") != NULL;
		sorted |= strstr(detail, "TEMP B-TREE") != NULL;
	}
	sqlite3_finalize(plan);
	assert_true(covering);
	assert_false(sorted);

	struct store_ws w = {.name = "a",
	                     .license_code = "lc",
	                     .data_center = "global",
	                     .base_url = "https://x",
	                     .state = "connected",
	                     .has_seat_price = true,
	                     .seat_price_e4 = 99900,
	                     .currency = "EUR",
	                     .interval_s = 3600};
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), 0);
	struct store_ws none = {.name = "b",
	                        .license_code = "lc",
	                        .data_center = "global",
	                        .base_url = "https://x",
	                        .state = "pending"};
	assert_int_equal(store_ws_put(st, &none, errbuf, sizeof(errbuf)), 0);
	assert_rows(db,
	            "SELECT name, quote(seat_price), quote(currency), quote(interval_s)"
	            " FROM workspace ORDER BY name",
	            "a|9.99|'EUR'|3600\nb|NULL|NULL|NULL\n");
	close_ok(st);

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_not_equal(
	        sqlite3_exec(db, "UPDATE workspace SET seat_price = -1", NULL, NULL, NULL),
	        SQLITE_OK);
	assert_int_not_equal(
	        sqlite3_exec(db, "UPDATE workspace SET currency = 'eur'", NULL, NULL, NULL),
	        SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* ---- workspace rows ---- */

static void collect_name(const char *name, void *arg)
{
	char *out = arg;
	strcat(out, name);
	strcat(out, ",");
}

/* Marks every listed workspace removed while the listing runs. */
static struct store *remove_st;
static void remove_each(const char *name, void *arg)
{
	(void)arg;
	assert_int_equal(store_ws_set_state(remove_st, name, "removed", "not configured", errbuf,
	                                    sizeof(errbuf)),
	                 0);
}

static void test_workspace_rows(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("ws"));
	sqlite3 *db = store_handle(st);
	struct store_ws w = {.name = "acme-prod",
	                     .license_code = "311c48b3",
	                     .data_center = "in",
	                     .base_url = "https://api.in.webengage.com",
	                     .key_fingerprint = "0011223344556677",
	                     .state = "failing",
	                     .state_reason = "HTTP 503",
	                     .last_pull_at = 1764321123,
	                     .last_success_at = 0,
	                     .next_pull_at = 253402300799LL,
	                     .consecutive_failures = 4};
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), 0);
	const char *q = "SELECT name, license_code, data_center, base_url, key_fingerprint, state,"
	                " state_reason, last_pull_at, last_success_at, next_pull_at,"
	                " consecutive_failures FROM workspace ORDER BY name";
	assert_rows(db, q,
	            "acme-prod|311c48b3|in|https://api.in.webengage.com|0011223344556677|failing|"
	            "HTTP 503|2025-11-28T09:12:03Z|NULL|9999-12-31T23:59:59Z|4\n");

	struct store_ws_saved saved;
	assert_int_equal(store_ws_get(st, "acme-prod", &saved, errbuf, sizeof(errbuf)), 1);
	assert_string_equal(saved.state, "failing");
	assert_string_equal(saved.state_reason, "HTTP 503");
	assert_string_equal(saved.license_code, "311c48b3");
	assert_string_equal(saved.base_url, "https://api.in.webengage.com");
	assert_string_equal(saved.key_fingerprint, "0011223344556677");
	assert_int_equal(saved.last_pull_at, 1764321123);
	assert_int_equal(saved.last_success_at, 0);
	assert_int_equal(saved.consecutive_failures, 4);
	assert_int_equal(store_ws_get(st, "nobody", &saved, errbuf, sizeof(errbuf)), 0);

	/* A second put replaces every column; the first instant of year 1 is kept exactly. */
	w.state = "connected";
	w.state_reason = NULL;
	w.key_fingerprint = NULL;
	w.last_success_at = -62135596800LL;
	w.consecutive_failures = 0;
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), 0);
	assert_rows(db, q,
	            "acme-prod|311c48b3|in|https://api.in.webengage.com|NULL|connected|NULL|"
	            "2025-11-28T09:12:03Z|0001-01-01T00:00:00Z|9999-12-31T23:59:59Z|0\n");
	assert_int_equal(store_ws_get(st, "acme-prod", &saved, errbuf, sizeof(errbuf)), 1);
	assert_string_equal(saved.key_fingerprint, "");
	assert_string_equal(saved.state_reason, "");
	assert_int_equal(saved.last_success_at, -62135596800LL);

	/* Instants outside years 1..9999 and invalid values are refused, nothing changes. */
	w.next_pull_at = 253402300800LL;
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), SQLITE_RANGE);
	assert_string_equal(errbuf, "store: workspace acme-prod: instant 253402300800 is outside "
	                            "the years 1..9999");
	w.next_pull_at = 0;
	w.data_center = "mars";
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), SQLITE_CONSTRAINT);
	assert_non_null(strstr(errbuf, "store: workspace acme-prod: CHECK constraint failed"));
	w.data_center = "in";
	w.name = "bad name!";
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), SQLITE_CONSTRAINT);
	assert_rows(db, q,
	            "acme-prod|311c48b3|in|https://api.in.webengage.com|NULL|connected|NULL|"
	            "2025-11-28T09:12:03Z|0001-01-01T00:00:00Z|9999-12-31T23:59:59Z|0\n");

	/* State changes. */
	put_ws(st, "beta");
	put_ws(st, "zeta");
	assert_int_equal(
	        store_ws_set_state(st, "beta", "auth_failed", "401", errbuf, sizeof(errbuf)), 0);
	assert_rows(db, "SELECT state, state_reason FROM workspace WHERE name = 'beta'",
	            "auth_failed|401\n");
	assert_int_equal(store_ws_set_state(st, "zeta", "removed", NULL, errbuf, sizeof(errbuf)),
	                 0);
	assert_int_equal(store_ws_set_state(st, "nobody", "removed", NULL, errbuf, sizeof(errbuf)),
	                 SQLITE_NOTFOUND);
	assert_string_equal(errbuf, "store: workspace nobody: not in the store");
	assert_int_equal(store_ws_set_state(st, "beta", "sleepy", NULL, errbuf, sizeof(errbuf)),
	                 SQLITE_CONSTRAINT);
	assert_rows(db, "SELECT state FROM workspace WHERE name = 'beta'", "auth_failed\n");

	/* The active ones, by name; the callback may write. */
	char names[256] = "";
	assert_int_equal(store_ws_each_active(st, collect_name, names, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(names, "acme-prod,beta,");
	remove_st = st;
	assert_int_equal(store_ws_each_active(st, remove_each, NULL, errbuf, sizeof(errbuf)), 0);
	names[0] = '\0';
	assert_int_equal(store_ws_each_active(st, collect_name, names, errbuf, sizeof(errbuf)), 0);
	assert_string_equal(names, "");
	assert_rows(db, "SELECT name, state, state_reason FROM workspace ORDER BY name",
	            "acme-prod|removed|not configured\nbeta|removed|not configured\n"
	            "zeta|removed|NULL\n");
	close_ok(st);
}

/* ---- pull rows ---- */

static void test_pull_rows(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("pull"));
	sqlite3 *db = store_handle(st);
	put_ws(st, "acme");
	const char *q = "SELECT id, workspace, started_at, finished_at, status, requests, retries,"
	                " rows, error FROM pull ORDER BY id";

	int64_t p1 = begin_pull(st, "acme", T1);
	assert_rows(db, q, "1|acme|2026-11-18T11:06:40Z|NULL|running|0|0|0|NULL\n");

	struct store_pull_end e = {.finished_at = T2,
	                           .status = "partial",
	                           .requests = 17,
	                           .retries = 3,
	                           .rows = 1234567890123LL,
	                           .error = "campaigns: HTTP 500"};
	assert_int_equal(store_pull_end(st, p1, &e, errbuf, sizeof(errbuf)), 0);
	assert_rows(db, q,
	            "1|acme|2026-11-18T11:06:40Z|2026-11-18T12:06:40Z|partial|17|3|1234567890123|"
	            "campaigns: HTTP 500\n");

	/* Ending twice, a bad status, an unknown pull: refused, nothing changes. */
	assert_int_equal(store_pull_end(st, p1, &e, errbuf, sizeof(errbuf)), SQLITE_NOTFOUND);
	assert_string_equal(errbuf, "store: ending pull 1: no such pull is running");
	assert_int_equal(store_pull_end(st, 99, &e, errbuf, sizeof(errbuf)), SQLITE_NOTFOUND);
	e.status = "running";
	assert_int_equal(store_pull_end(st, p1, &e, errbuf, sizeof(errbuf)), SQLITE_MISUSE);
	assert_string_equal(errbuf, "store: ending pull 1: status \"running\" is not one of ok, "
	                            "partial, failed, auth_failed, cancelled");
	assert_rows(db, q,
	            "1|acme|2026-11-18T11:06:40Z|2026-11-18T12:06:40Z|partial|17|3|1234567890123|"
	            "campaigns: HTTP 500\n");

	/* A pull of an unknown workspace breaks the foreign key. */
	int64_t id = -1;
	assert_int_equal(store_pull_begin(st, "ghost", T1, &id, errbuf, sizeof(errbuf)),
	                 SQLITE_CONSTRAINT);
	assert_string_equal(
	        errbuf,
	        "store: beginning a pull of workspace ghost: FOREIGN KEY constraint failed");
	assert_int_equal(id, 0);

	/* Interrupted pulls are cancelled at the next start. */
	int64_t p2 = begin_pull(st, "acme", T2);
	int64_t p3 = begin_pull(st, "acme", T3);
	end_pull(st, p3, T3 + 5, "ok");
	int64_t p4 = begin_pull(st, "acme", T3 + 10);
	/* The failed insert was rolled back whole: it used no id. */
	assert_int_equal(p2, 2);
	assert_int_equal(p4, 4);
	int n = -1;
	assert_int_equal(store_pull_close_running(st, T4, &n, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(n, 2);
	assert_rows(
	        db, q,
	        "1|acme|2026-11-18T11:06:40Z|2026-11-18T12:06:40Z|partial|17|3|1234567890123|"
	        "campaigns: HTTP 500\n"
	        "2|acme|2026-11-18T12:06:40Z|2026-11-18T14:06:40Z|cancelled|0|0|0|interrupted\n"
	        "3|acme|2026-11-18T13:06:40Z|2026-11-18T13:06:45Z|ok|0|0|0|NULL\n"
	        "4|acme|2026-11-18T13:06:50Z|2026-11-18T14:06:40Z|cancelled|0|0|0|interrupted\n");
	assert_int_equal(store_pull_close_running(st, T4, &n, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(n, 0);
	close_ok(st);
}

/* ---- Committing streams ---- */

static void fill_stats(struct rowset *rs, int version)
{
	add_feature(rs, "2026-11-22", "PUSH_NOTIFICATION", "users",
	            version == 1 ? N_INT(1200) : N_REAL(1200.5));
	add_feature(rs, "2026-11-22", "PUSH_NOTIFICATION", "revenue",
	            version == 1 ? N_REAL(1234.5) : N_INT(1300));
	add_feature(rs, "2026-11-22", "EMAIL", "conversions", N_INT(17));
	if (version == 1)
		add_feature(rs, "2026-11-23", "PUSH_NOTIFICATION", "clicks", N_NULL);
}

static void fill_campaigns(struct rowset *rs, int version)
{
	struct row_campaign *c = rowset_push(rs);
	assert_non_null(c);
	c->channel = rowset_strdup(rs, "PUSH_NOTIFICATION");
	c->campaign_id = rowset_strdup(rs, "~1a2b3c");
	c->title = rowset_strdup(rs, "Winter sale");
	c->status = rowset_strdup(rs, version == 1 ? "RUNNING" : "COMPLETED");
	c->category = rowset_strdup(rs, "PROMOTIONAL");
	snprintf(c->created_on, TS_LEN, "2026-10-01T10:00:00Z");
	snprintf(c->start_date, TS_LEN, "2026-10-02T09:00:00Z");
	c->sent = N_INT(1000);
	c->delivered = N_INT(version == 1 ? 950 : 990);
	c->clicks = N_INT(40);
	c->conversions = N_INT(6);
	c->revenue = N_REAL(310.5);

	c = rowset_push(rs);
	assert_non_null(c);
	c->channel = rowset_strdup(rs, "EMAIL");
	c->campaign_id = rowset_strdup(rs, "e1"); /* everything else absent */
}

static void fill_active(struct rowset *rs)
{
	struct row_active *a = rowset_push(rs);
	assert_non_null(a);
	snprintf(a->day, DAY_LEN, "2026-11-22");
	a->platform = rowset_strdup(rs, "android");
	a->dau = N_INT(1200);
	a->wau = N_REAL(5000.0);
	a->mau = N_NULL;
}

static const char *const q_features =
        "SELECT workspace, day, feature, metric, quote(value), typeof(value), pull_id, updated_at"
        " FROM feature_usage_daily ORDER BY workspace, day, feature, metric";
static const char *const q_campaigns =
        "SELECT workspace, channel, campaign_id, title, status, category, created_on, start_date,"
        " quote(sent), quote(delivered), quote(clicks), quote(conversions), quote(revenue),"
        " typeof(revenue), pull_id, updated_at FROM campaign ORDER BY workspace, channel,"
        " campaign_id";
static const char *const q_active =
        "SELECT workspace, day, platform, quote(dau), quote(wau), quote(mau), typeof(wau),"
        " pull_id, updated_at FROM active_users_daily ORDER BY workspace, day, platform";
static const char *const q_seats =
        "SELECT workspace, email, name, role, status, last_login_at, first_seen_at, last_seen_at,"
        " removed_at, pull_id, updated_at FROM seat ORDER BY workspace, email";

/*
 * Issue 12, finding 7: a state reason and a pull's error that quote a
 * hostile server are stored escaped (textesc.h), through every function
 * that writes them; NULL stays NULL.
 */
static void test_texts_stored_escaped(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("escaped"));
	sqlite3 *db = store_handle(st);
	struct store_ws w = {.name = "acme",
	                     .license_code = "311c48b3",
	                     .data_center = "global",
	                     .base_url = "https://api.webengage.com",
	                     .key_fingerprint = "0123456789abcdef",
	                     .state = "failing",
	                     .state_reason = "stats: malformed JSON at byte 40: invalid token near "
	                                     "'\x1b'\nforged\xc2\x9b\xe2\x80\xae"};
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), 0);
	assert_rows(db, "SELECT state_reason FROM workspace",
	            "stats: malformed JSON at byte 40: invalid token near '\\x1b'\\x0aforged"
	            "\\x9b<U+202E>\n");
	assert_int_equal(store_ws_set_state(st, "acme", "auth_failed",
	                                    "HTTP 401 (server said: \x07\xe2\x80\x8bno)", errbuf,
	                                    sizeof(errbuf)),
	                 0);
	assert_rows(db, "SELECT state, state_reason FROM workspace",
	            "auth_failed|HTTP 401 (server said: \\x07<U+200B>no)\n");
	assert_int_equal(store_ws_set_state(st, "acme", "removed", NULL, errbuf, sizeof(errbuf)),
	                 0);
	assert_rows(db, "SELECT quote(state_reason) FROM workspace", "NULL\n");

	int64_t id = begin_pull(st, "acme", T1);
	struct store_pull_end e = {
	        .finished_at = T2, .status = "failed", .error = "team: \x1b]0;owned\x07 \xff\x7f"};
	assert_int_equal(store_pull_end(st, id, &e, errbuf, sizeof(errbuf)), 0);
	assert_rows(db, "SELECT error FROM pull", "team: \\x1b]0;owned\\x07 \\xff\\x7f\n");
	close_ok(st);
}

static void test_upserts_idempotent_and_typed(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("upsert"));
	sqlite3 *db = store_handle(st);
	put_ws(st, "acme");
	int64_t p1 = begin_pull(st, "acme", T1);

	struct rowset stats, camps, active, team;
	rowset_init(&stats, STREAM_STATS, 0);
	rowset_init(&camps, STREAM_CAMPAIGNS, 0);
	rowset_init(&active, STREAM_ACTIVE_USERS, 0);
	rowset_init(&team, STREAM_TEAM, 0);
	fill_stats(&stats, 1);
	fill_campaigns(&camps, 1);
	fill_active(&active);
	add_seat(&team, "ana@example.com", "Ana", "ADMIN", "2026-11-20T08:01:00Z");
	add_seat(&team, "bob@example.com", NULL, NULL, NULL);

	const char *want_features =
	        "acme|2026-11-22|EMAIL|conversions|17|integer|1|2026-11-18T11:06:40Z\n"
	        "acme|2026-11-22|PUSH_NOTIFICATION|revenue|1234.5|real|1|2026-11-18T11:06:40Z\n"
	        "acme|2026-11-22|PUSH_NOTIFICATION|users|1200|integer|1|2026-11-18T11:06:40Z\n"
	        "acme|2026-11-23|PUSH_NOTIFICATION|clicks|NULL|null|1|2026-11-18T11:06:40Z\n";
	const char *want_campaigns =
	        "acme|EMAIL|e1|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|null|1|"
	        "2026-11-18T11:06:40Z\n"
	        "acme|PUSH_NOTIFICATION|~1a2b3c|Winter sale|RUNNING|PROMOTIONAL|"
	        "2026-10-01T10:00:00Z|2026-10-02T09:00:00Z|1000|950|40|6|310.5|real|1|"
	        "2026-11-18T11:06:40Z\n";
	const char *want_active =
	        "acme|2026-11-22|android|1200|5000.0|NULL|real|1|2026-11-18T11:06:40Z\n";
	const char *want_seats =
	        "acme|ana@example.com|Ana|ADMIN|ACTIVE|2026-11-20T08:01:00Z|2026-11-18T11:06:40Z|"
	        "2026-11-18T11:06:40Z|NULL|1|2026-11-18T11:06:40Z\n"
	        "acme|bob@example.com|NULL|NULL|ACTIVE|NULL|2026-11-18T11:06:40Z|"
	        "2026-11-18T11:06:40Z|NULL|1|2026-11-18T11:06:40Z\n";

	/*
	 * The same rowsets twice: the same rows, exactly; the second time
	 * nothing is written (every row equal to the stored one).
	 */
	for (int round = 0; round < 2; round++) {
		int64_t changes = sqlite3_total_changes(db);
		commit_ok(st, "acme", p1, T1, &stats, round ? 0 : 4);
		commit_ok(st, "acme", p1, T1, &camps, round ? 0 : 2);
		commit_ok(st, "acme", p1, T1, &active, round ? 0 : 1);
		commit_ok(st, "acme", p1, T1, &team, round ? 0 : 2);
		/* Round 2: only the pull row's list of streams stored (4 updates). */
		if (round)
			assert_int_equal(sqlite3_total_changes(db) - changes, 4);
		assert_rows(db, q_features, want_features);
		assert_rows(db, q_campaigns, want_campaigns);
		assert_rows(db, q_active, want_active);
		assert_rows(db, q_seats, want_seats);
	}
	end_pull(st, p1, T1 + 60, "ok");

	/*
	 * A later pull with changed values: the changed rows (and only they)
	 * are written, with its pull_id; types as sent. The clicks row it
	 * does not list and the unchanged conversions and e1 keep pull 1.
	 */
	int64_t p2 = begin_pull(st, "acme", T2);
	rowset_free(&stats);
	rowset_free(&camps);
	fill_stats(&stats, 2);
	fill_campaigns(&camps, 2);
	commit_ok(st, "acme", p2, T2, &stats, 2);
	commit_ok(st, "acme", p2, T2, &camps, 1);
	assert_rows(
	        db, q_features,
	        "acme|2026-11-22|EMAIL|conversions|17|integer|1|2026-11-18T11:06:40Z\n"
	        "acme|2026-11-22|PUSH_NOTIFICATION|revenue|1300|integer|2|2026-11-18T12:06:40Z\n"
	        "acme|2026-11-22|PUSH_NOTIFICATION|users|1200.5|real|2|2026-11-18T12:06:40Z\n"
	        "acme|2026-11-23|PUSH_NOTIFICATION|clicks|NULL|null|1|2026-11-18T11:06:40Z\n");
	assert_rows(db, q_campaigns,
	            "acme|EMAIL|e1|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|null|1|"
	            "2026-11-18T11:06:40Z\n"
	            "acme|PUSH_NOTIFICATION|~1a2b3c|Winter sale|COMPLETED|PROMOTIONAL|"
	            "2026-10-01T10:00:00Z|2026-10-02T09:00:00Z|1000|990|40|6|310.5|real|2|"
	            "2026-11-18T12:06:40Z\n");
	/* Streams not committed by pull 2 are as pull 1 left them. */
	assert_rows(db, q_active, want_active);
	assert_rows(db, q_seats, want_seats);

	/* A value that changes only its kind (17 -> 17.0) is a change. */
	rowset_free(&stats);
	add_feature(&stats, "2026-11-22", "EMAIL", "conversions", N_REAL(17.0));
	commit_ok(st, "acme", p2, T2, &stats, 1);
	assert_rows(db,
	            "SELECT quote(value), typeof(value), pull_id FROM feature_usage_daily"
	            " WHERE feature = 'EMAIL'",
	            "17.0|real|2\n");
	/* The pull row lists what each pull stored whole, in order. */
	assert_rows(db, "SELECT id, streams FROM pull ORDER BY id",
	            "1|stats,campaigns,active_users,team,stats,campaigns,active_users,team\n"
	            "2|stats,campaigns,stats\n");

	/* The same key twice in one rowset is one row, the last one wins. */
	rowset_free(&stats);
	add_feature(&stats, "2026-11-24", "SMS", "users", N_INT(1));
	add_feature(&stats, "2026-11-24", "SMS", "users", N_INT(2));
	commit_ok(st, "acme", p2, T2, &stats, 2);
	assert_rows(db, "SELECT quote(value) FROM feature_usage_daily WHERE day = '2026-11-24'",
	            "2\n");

	/* An empty rowset commits nothing and succeeds. */
	rowset_free(&stats);
	commit_ok(st, "acme", p2, T2, &stats, 0);

	rowset_free(&stats);
	rowset_free(&camps);
	rowset_free(&active);
	rowset_free(&team);
	close_ok(st);
}

static void test_commit_is_atomic_per_stream(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("atomic"));
	sqlite3 *db = store_handle(st);
	put_ws(st, "acme");
	int64_t p = begin_pull(st, "acme", T1);

	struct rowset stats, camps;
	rowset_init(&stats, STREAM_STATS, 0);
	rowset_init(&camps, STREAM_CAMPAIGNS, 0);
	add_feature(&stats, "2026-11-22", "SMS", "users", N_INT(1));
	add_feature(&stats, "2026-11-22", "SMS", "clicks", N_INT(2));
	add_feature(&stats, "2026-11-22", "SMS", "deliveries", N_INT(3));
	commit_ok(st, "acme", p, T1, &stats, 3);

	/* Five campaigns, the third without an id. */
	for (int i = 0; i < 5; i++) {
		struct row_campaign *c = rowset_push(&camps);
		assert_non_null(c);
		char id[16];
		snprintf(id, sizeof(id), "c%d", i);
		c->channel = rowset_strdup(&camps, "SMS");
		c->campaign_id = i == 2 ? NULL : rowset_strdup(&camps, id);
		c->sent = N_INT(i);
	}
	int64_t n = -1;
	assert_int_equal(store_commit_stream(st, "acme", p, T1, &camps, &n, errbuf, sizeof(errbuf)),
	                 SQLITE_CONSTRAINT);
	assert_string_equal(errbuf, "store: commit of stream campaigns (workspace acme, pull 1) "
	                            "failed at row index 2 of 5: NOT NULL constraint failed: "
	                            "campaign.campaign_id");
	assert_int_equal(n, 0);
	assert_int_equal(sqlite3_get_autocommit(db), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM campaign"), 0);
	assert_rows(db, "SELECT metric, value FROM feature_usage_daily ORDER BY metric",
	            "clicks|2\ndeliveries|3\nusers|1\n");

	/* A day of the wrong shape breaks its CHECK, likewise. */
	rowset_free(&stats);
	add_feature(&stats, "2026-11-23", "SMS", "users", N_INT(9));
	add_feature(&stats, "23/11/2026", "SMS", "users", N_INT(9));
	assert_int_equal(store_commit_stream(st, "acme", p, T1, &stats, &n, errbuf, sizeof(errbuf)),
	                 SQLITE_CONSTRAINT);
	assert_non_null(strstr(errbuf, "failed at row index 1 of 2: CHECK constraint failed"));
	assert_int_equal(q_int(db, "SELECT count(*) FROM feature_usage_daily"), 3);

	/* The store is usable after: the fixed stream commits. */
	ROWSET_AT(&camps, struct row_campaign, 2)->campaign_id = rowset_strdup(&camps, "c2");
	commit_ok(st, "acme", p, T1, &camps, 5);
	assert_rows(db, "SELECT campaign_id, sent FROM campaign ORDER BY campaign_id",
	            "c0|0\nc1|1\nc2|2\nc3|3\nc4|4\n");

	/* Only a running pull of the same workspace may commit. */
	put_ws(st, "other");
	int64_t po = begin_pull(st, "other", T1);
	assert_int_equal(
	        store_commit_stream(st, "acme", po, T1, &camps, &n, errbuf, sizeof(errbuf)),
	        SQLITE_CONSTRAINT);
	assert_string_equal(errbuf,
	                    "store: commit of stream campaigns (workspace acme, pull 2): no "
	                    "such pull of that workspace is running");
	end_pull(st, p, T2, "ok");
	assert_int_equal(store_commit_stream(st, "acme", p, T1, &camps, &n, errbuf, sizeof(errbuf)),
	                 SQLITE_CONSTRAINT);
	assert_int_equal(q_int(db, "SELECT count(*) FROM campaign WHERE pull_id <> 1"), 0);
	assert_int_equal(sqlite3_get_autocommit(db), 1);

	/* A bad time or a rowset of the wrong kind: refused before anything is written. */
	assert_int_equal(
	        store_commit_stream(st, "other", po, 0, &camps, &n, errbuf, sizeof(errbuf)),
	        SQLITE_MISUSE);
	assert_string_equal(errbuf, "store: commit of stream campaigns: time 0 is not usable");
	struct rowset forged = camps;
	forged.stream = STREAM_STATS;
	assert_int_equal(
	        store_commit_stream(st, "other", po, T1, &forged, &n, errbuf, sizeof(errbuf)),
	        SQLITE_MISUSE);
	assert_string_equal(errbuf,
	                    "store: commit of stream stats: the rowset is not one of stats rows");

	rowset_free(&stats);
	rowset_free(&camps);
	close_ok(st);
}

/* Days and instants must be real calendar values in the store's exact form. */
static void test_calendar_checks(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("calendar"));
	sqlite3 *db = store_handle(st);
	put_ws(st, "acme");
	int64_t p = begin_pull(st, "acme", T1);
	static const struct {
		const char *day;        /* of a feature row */
		const char *created_on; /* of a campaign row */
		int ok;
	} cases[] = {
	        {"2024-02-29", "2024-02-29T23:59:59Z", 1},
	        {"0001-01-01", "9999-12-31T23:59:59Z", 1},
	        {"2026-02-29", "2026-10-01T10:00:00", 0},
	        {"2026-02-30", "2026-10-01 10:00:00Z", 0},
	        {"2026-1-1", "2026-13-01T10:00:00Z", 0},
	        {"2026-11-1x", "2026-10-01T24:00:00Z", 0},
	        {"23/11/2026", "2026-10-01T10:00Z", 0},
	};
	struct rowset fs, cs;
	rowset_init(&fs, STREAM_STATS, 0);
	rowset_init(&cs, STREAM_CAMPAIGNS, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rowset_free(&fs);
		rowset_free(&cs);
		add_feature(&fs, cases[i].day, "SMS", "users", N_INT(1));
		struct row_campaign *c = rowset_push(&cs);
		assert_non_null(c);
		c->channel = "SMS";
		c->campaign_id = "c1";
		snprintf(c->created_on, TS_LEN, "%s", cases[i].created_on);
		int64_t n = -1;
		int rf = store_commit_stream(st, "acme", p, T1, &fs, &n, errbuf, sizeof(errbuf));
		if (cases[i].ok ? rf != 0 : rf != SQLITE_CONSTRAINT)
			fail_msg("day %s: %d %s", cases[i].day, rf, errbuf);
		if (!cases[i].ok)
			assert_non_null(strstr(errbuf, "CHECK constraint failed"));
		int rc = store_commit_stream(st, "acme", p, T1, &cs, &n, errbuf, sizeof(errbuf));
		if (cases[i].ok ? rc != 0 : rc != SQLITE_CONSTRAINT)
			fail_msg("instant %s: %d %s", cases[i].created_on, rc, errbuf);
	}
	assert_rows(db, "SELECT day FROM feature_usage_daily ORDER BY day",
	            "0001-01-01\n2024-02-29\n");
	assert_rows(db, "SELECT created_on FROM campaign", "9999-12-31T23:59:59Z\n");
	rowset_free(&fs);
	rowset_free(&cs);
	close_ok(st);
}

/* n feature rows of distinct days, each with a long feature name. */
static void fill_many(struct rowset *rs, int n)
{
	static char feature[200];
	memset(feature, 'F', sizeof(feature) - 1);
	for (int i = 0; i < n; i++) {
		char day[32]; /* room for any int, so that no build warns; the days fit DAY_LEN */
		snprintf(day, sizeof(day), "%04d-01-01", 1000 + i % 9000);
		add_feature(rs, day, feature, "users", N_INT(i));
	}
}

static void test_full_leaves_store_usable(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("full"));
	sqlite3 *db = store_handle(st);
	put_ws(st, "acme");
	int64_t p = begin_pull(st, "acme", T1);

	int64_t pages = q_int(db, "PRAGMA page_count");
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", (long long)pages + 2);
	exec_ok(db, sql);

	struct rowset rs;
	rowset_init(&rs, STREAM_STATS, 0);
	fill_many(&rs, 2000);
	int64_t n = -1;
	assert_int_equal(store_commit_stream(st, "acme", p, T1, &rs, &n, errbuf, sizeof(errbuf)),
	                 SQLITE_FULL);
	assert_non_null(strstr(errbuf, "store: commit of stream stats (workspace acme, pull 1) "
	                               "failed at row index "));
	assert_non_null(strstr(errbuf, "database or disk is full"));
	assert_int_equal(n, 0);
	assert_int_equal(sqlite3_get_autocommit(db), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM feature_usage_daily"), 0);

	/* Small writes that fit still work; after raising the limit, the stream commits. */
	assert_int_equal(store_ws_set_state(st, "acme", "connected", "ok", errbuf, sizeof(errbuf)),
	                 0);
	exec_ok(db, "PRAGMA max_page_count = 1000000");
	commit_ok(st, "acme", p, T1, &rs, 2000);
	assert_int_equal(q_int(db, "SELECT count(*) FROM feature_usage_daily"), 2000);
	assert_int_equal(q_int(db, "SELECT sum(value) FROM feature_usage_daily"), 1999 * 2000 / 2);
	rowset_free(&rs);
	close_ok(st);
}

static void test_busy_and_readonly_leave_store_usable(void **state)
{
	(void)state;
	const char *path = fresh_path("busy");
	struct store *st = open_ok(path); /* busy_timeout 200 ms */
	sqlite3 *db = store_handle(st);
	put_ws(st, "acme");
	int64_t p = begin_pull(st, "acme", T1);
	struct rowset rs;
	rowset_init(&rs, STREAM_STATS, 0);
	fill_many(&rs, 50);

	/* Another connection holds the write lock longer than busy_timeout. */
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	exec_ok(other, "BEGIN IMMEDIATE");
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int64_t n = -1;
	assert_int_equal(store_commit_stream(st, "acme", p, T1, &rs, &n, errbuf, sizeof(errbuf)),
	                 SQLITE_BUSY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int64_t waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(waited_ms >= 150); /* it did wait for busy_timeout */
	assert_string_equal(errbuf, "store: commit of stream stats (workspace acme, pull 1): "
	                            "database is locked");
	assert_int_equal(sqlite3_get_autocommit(db), 1);
	exec_ok(other, "ROLLBACK");
	assert_int_equal(q_int(other, "SELECT count(*) FROM feature_usage_daily"), 0);
	assert_int_equal(sqlite3_close(other), SQLITE_OK);
	commit_ok(st, "acme", p, T1, &rs, 50);

	/* A read-only connection state: SQLITE_READONLY, then usable again. */
	exec_ok(db, "PRAGMA query_only = 1");
	rowset_free(&rs);
	add_feature(&rs, "2026-11-22", "SMS", "users", N_INT(5));
	assert_int_equal(store_commit_stream(st, "acme", p, T1, &rs, &n, errbuf, sizeof(errbuf)),
	                 SQLITE_READONLY);
	assert_non_null(strstr(errbuf, "readonly"));
	assert_int_equal(sqlite3_get_autocommit(db), 1);
	exec_ok(db, "PRAGMA query_only = 0");
	assert_int_equal(q_int(db, "SELECT count(*) FROM feature_usage_daily"), 50);
	commit_ok(st, "acme", p, T1, &rs, 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM feature_usage_daily"), 51);
	rowset_free(&rs);
	close_ok(st);
}

/*
 * A stream committed in slices (store_stream_*): rows arrive a slice at a
 * time inside one savepoint of the group; meanwhile every other write and
 * the group's commit are refused; a failure in a later slice undoes the
 * earlier ones and nothing else; abort leaves no row.
 */
static void test_stream_in_slices(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("slices"));
	sqlite3 *db = store_handle(st);
	store_group_on(st, NULL, NULL);
	put_ws(st, "acme");
	int64_t p = begin_pull(st, "acme", T1);
	assert_int_equal(store_flush(st, errbuf, sizeof(errbuf)), 0);

	struct rowset rs;
	rowset_init(&rs, STREAM_STATS, 0);
	fill_many(&rs, 2500);
	struct store_stream *c = NULL;
	assert_int_equal(store_stream_begin(st, "acme", p, T1, &rs, &c, errbuf, sizeof(errbuf)), 0);
	bool done = false;
	int64_t n = -1;
	int slices = 0;
	while (!done) {
		assert_int_equal(store_stream_step(c, 1000, &done, &n, errbuf, sizeof(errbuf)), 0);
		slices++;
		if (!done) {
			/* meanwhile: no other write, no commit of the group */
			assert_int_equal(store_ws_set_state(st, "acme", "connected", NULL, errbuf,
			                                    sizeof(errbuf)),
			                 SQLITE_MISUSE);
			assert_string_equal(errbuf, "store: workspace acme: a stream commit is in "
			                            "progress (wait for the gate)");
			assert_int_equal(store_flush(st, errbuf, sizeof(errbuf)), SQLITE_MISUSE);
		}
	}
	assert_int_equal(slices, 3);
	assert_int_equal(n, 2500);
	assert_int_equal(store_flush(st, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM feature_usage_daily"), 2500);

	/* A bad row in the third slice: the first two slices go too, the group stands. */
	rowset_free(&rs);
	fill_many(&rs, 2500);
	ROWSET_AT(&rs, struct row_feature, 2200)->metric = NULL;
	assert_int_equal(
	        store_ws_set_state(st, "acme", "failing", "before", errbuf, sizeof(errbuf)), 0);
	assert_int_equal(store_stream_begin(st, "acme", p, T2, &rs, &c, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(store_stream_step(c, 1000, &done, &n, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(store_stream_step(c, 1000, &done, &n, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(store_stream_step(c, 1000, &done, &n, errbuf, sizeof(errbuf)),
	                 SQLITE_CONSTRAINT);
	assert_non_null(strstr(errbuf, "failed at row index 2200 of 2500"));
	assert_false(done);
	assert_int_equal(store_flush(st, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM feature_usage_daily WHERE updated_at = "
	                           "strftime('%Y-%m-%dT%H:%M:%SZ', 1795003600, 'unixepoch')"),
	                 0);
	assert_rows(db, "SELECT state, state_reason FROM workspace", "failing|before\n");

	/* Abort after a slice: nothing of it stays; the store takes writes again. */
	ROWSET_AT(&rs, struct row_feature, 2200)->metric = "users";
	assert_int_equal(store_stream_begin(st, "acme", p, T2, &rs, &c, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(store_stream_step(c, 1000, &done, &n, errbuf, sizeof(errbuf)), 0);
	store_stream_abort(c);
	assert_int_equal(store_ws_set_state(st, "acme", "connected", NULL, errbuf, sizeof(errbuf)),
	                 0);
	assert_int_equal(store_flush(st, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM feature_usage_daily WHERE updated_at = "
	                           "strftime('%Y-%m-%dT%H:%M:%SZ', 1795003600, 'unixepoch')"),
	                 0);
	rowset_free(&rs);
	close_ok(st);
}

/*
 * A group rolled back takes its pulls' ids back from SQLite's sequence;
 * the store never hands an id out twice anyway (the log named it).
 */
static void test_pull_ids_never_reused(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("ids"));
	sqlite3 *db = store_handle(st);
	store_group_on(st, NULL, NULL);
	put_ws(st, "acme");
	assert_int_equal(store_flush(st, errbuf, sizeof(errbuf)), 0);
	int64_t a = begin_pull(st, "acme", T1);
	exec_ok(db, "ROLLBACK"); /* as SQLite does after SQLITE_FULL */
	assert_int_equal(store_flush(st, errbuf, sizeof(errbuf)), SQLITE_ABORT);
	int64_t b = begin_pull(st, "acme", T1);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	assert_int_equal(store_flush(st, errbuf, sizeof(errbuf)), 0);
	int64_t c = begin_pull(st, "acme", T1);
	assert_int_equal(c, 3);
	assert_int_equal(store_flush(st, errbuf, sizeof(errbuf)), 0);
	assert_rows(db, "SELECT id FROM pull ORDER BY id", "2\n3\n");
	close_ok(st);
}

/*
 * A commit that leaves 1,000 pages or more in the WAL is checkpointed by
 * the store's own thread, not by the commit: the pages reach the database
 * file while the caller does nothing.
 */
static void test_checkpoints_off_the_caller(void **state)
{
	(void)state;
	const char *path = fresh_path("ckpt");
	struct store *st = open_ok(path);
	sqlite3 *db = store_handle(st);
	put_ws(st, "acme");
	int64_t p = begin_pull(st, "acme", T1);
	assert_int_equal(store_checkpoints(st), 0);
	struct stat before;
	assert_int_equal(stat(path, &before), 0);
	struct rowset rs;
	rowset_init(&rs, STREAM_STATS, 0);
	fill_many(&rs, 8900); /* about 2 MiB of features; twice: over 1,000 pages */
	commit_ok(st, "acme", p, T1, &rs, 8900);
	put_ws(st, "beta");
	int64_t p2 = begin_pull(st, "beta", T1);
	commit_ok(st, "beta", p2, T1, &rs, 8900);
	for (int i = 0; i < 1000 && store_checkpoints(st) == 0; i++)
		usleep(10000);
	assert_true(store_checkpoints(st) >= 1);
	struct stat after;
	assert_int_equal(stat(path, &after), 0);
	assert_true(after.st_size > before.st_size + 1024 * 1024);
	assert_int_equal(q_int(db, "SELECT count(*) FROM feature_usage_daily"), 17800);
	rowset_free(&rs);
	close_ok(st);
}

/* The store's file deleted or replaced under an open store is seen. */
static void test_identity_check(void **state)
{
	(void)state;
	const char *path = fresh_path("identity");
	struct store *st = open_ok(path);
	assert_int_equal(store_identity_check(st, errbuf, sizeof(errbuf)), 0);
	char moved[600];
	snprintf(moved, sizeof(moved), "%s.moved", path);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(store_identity_check(st, errbuf, sizeof(errbuf)), SQLITE_NOTFOUND);
	assert_non_null(strstr(errbuf, ": the file is gone (No such file or directory): it was "
	                               "deleted or moved while wegauged had it open"));
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(store_identity_check(st, errbuf, sizeof(errbuf)), SQLITE_NOTFOUND);
	assert_non_null(strstr(errbuf, ": another file is at that path now: it was replaced"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rename(moved, path), 0);
	assert_int_equal(store_identity_check(st, errbuf, sizeof(errbuf)), 0);
	close_ok(st);
}

static void test_team_removal_and_return(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("team"));
	sqlite3 *db = store_handle(st);
	put_ws(st, "acme");
	put_ws(st, "other");
	struct rowset rs;
	rowset_init(&rs, STREAM_TEAM, 0);

	/* Another workspace's seat is never touched by acme's listings. */
	int64_t po = begin_pull(st, "other", T1);
	add_seat(&rs, "zed@example.com", "Zed", "VIEWER", NULL);
	commit_ok(st, "other", po, T1, &rs, 1);

	static const struct {
		int64_t now;
		const char *emails; /* listed, comma separated */
		int64_t rows;       /* seats new or changed + newly removed */
	} pulls[] = {
	        {T1, "ana,bob,cy", 3}, /* three new */
	        {T2, "ana,cy", 1},     /* bob removed; ana and cy unchanged: not written */
	        {T3, "ana", 1},        /* cy removed */
	        {T4, "ana,bob", 2},    /* ana's role changed, bob back (role too) */
	};
	for (size_t i = 0; i < sizeof(pulls) / sizeof(pulls[0]); i++) {
		int64_t p = begin_pull(st, "acme", pulls[i].now);
		rowset_free(&rs);
		char list[64];
		snprintf(list, sizeof(list), "%s", pulls[i].emails);
		for (char *save = NULL, *e = strtok_r(list, ",", &save); e;
		     e = strtok_r(NULL, ",", &save)) {
			char email[32];
			snprintf(email, sizeof(email), "%s@example.com", e);
			add_seat(&rs, email, e, i == 3 ? "ADMIN" : "EDITOR", NULL);
		}
		commit_ok(st, "acme", p, pulls[i].now, &rs, pulls[i].rows);
		end_pull(st, p, pulls[i].now + 1, "ok");
	}
	/* Pulls: other = 1, acme = 2, 3, 4, 5. */
	assert_rows(db, q_seats,
	            /* ana: listed every time */
	            "acme|ana@example.com|ana|ADMIN|ACTIVE|NULL|2026-11-18T11:06:40Z|"
	            "2026-11-18T14:06:40Z|NULL|5|2026-11-18T14:06:40Z\n"
	            /* bob: removed by pull 3, back in pull 5, first_seen_at kept */
	            "acme|bob@example.com|bob|ADMIN|ACTIVE|NULL|2026-11-18T11:06:40Z|"
	            "2026-11-18T14:06:40Z|NULL|5|2026-11-18T14:06:40Z\n"
	            /*
	             * cy: written by pull 2 only, last listed by pull 3 (T2, found
	             * when pull 4 marked it removed), removed by pull 4, still removed
	             */
	            "acme|cy@example.com|cy|EDITOR|ACTIVE|NULL|2026-11-18T11:06:40Z|"
	            "2026-11-18T12:06:40Z|2026-11-18T13:06:40Z|4|2026-11-18T13:06:40Z\n"
	            "other|zed@example.com|Zed|VIEWER|ACTIVE|NULL|2026-11-18T11:06:40Z|"
	            "2026-11-18T11:06:40Z|NULL|1|2026-11-18T11:06:40Z\n");
	rowset_free(&rs);
	close_ok(st);
}

/*
 * 003-changed-only-writes.sql on a store made by version 2: its rows stay
 * as they were (pulls get streams = ''), and the next pull writes only
 * what differs from them: an equal seat is not written, a seat not listed
 * is marked removed with the pull that did it, and the pull row lists the
 * streams it stored.
 */
static void test_migrate_changed_only_writes(void **state)
{
	(void)state;
	const char *path = fresh_path("migrate003");
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(store_migrate(db, store_schema_files, 2, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(q_int(db, "PRAGMA user_version"), 2);
	exec_ok(db, "INSERT INTO workspace (name, license_code, data_center, base_url) VALUES"
	            " ('acme', 'lc', 'global', 'https://x');"
	            "INSERT INTO pull (id, workspace, started_at, finished_at, status, rows) VALUES"
	            " (7, 'acme', '2026-11-18T10:00:00Z', '2026-11-18T10:01:00Z', 'ok', 2);"
	            "INSERT INTO seat VALUES"
	            " ('acme', 'ana@example.com', 'ana', 'EDITOR', 'ACTIVE', NULL,"
	            "  '2026-11-01T00:00:00Z', '2026-11-18T10:00:00Z', NULL, 7,"
	            "  '2026-11-18T10:00:00Z'),"
	            " ('acme', 'bob@example.com', 'bob', 'EDITOR', 'ACTIVE', NULL,"
	            "  '2026-11-01T00:00:00Z', '2026-11-18T10:00:00Z', NULL, 7,"
	            "  '2026-11-18T10:00:00Z');");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);

	struct store *st = open_ok(path);
	db = store_handle(st);
	assert_int_equal(q_int(db, "PRAGMA user_version"), store_schema_version());
	assert_true(store_schema_version() >= 3);
	assert_rows(db, "SELECT id, quote(streams), status, rows FROM pull", "7|''|ok|2\n");
	assert_int_equal(q_int(db, "SELECT count(*) FROM stream_digest"), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM v_stream_listing"), 0);

	struct rowset rs;
	rowset_init(&rs, STREAM_TEAM, 0);
	add_seat(&rs, "ana@example.com", "ana", "EDITOR", NULL);
	int64_t p = begin_pull(st, "acme", T1);
	commit_ok(st, "acme", p, T1, &rs, 1); /* ana unchanged: not written; bob removed */
	end_pull(st, p, T1 + 1, "ok");
	assert_rows(db, q_seats,
	            "acme|ana@example.com|ana|EDITOR|ACTIVE|NULL|2026-11-01T00:00:00Z|"
	            "2026-11-18T10:00:00Z|NULL|7|2026-11-18T10:00:00Z\n"
	            "acme|bob@example.com|bob|EDITOR|ACTIVE|NULL|2026-11-01T00:00:00Z|"
	            "2026-11-18T10:00:00Z|2026-11-18T11:06:40Z|8|2026-11-18T11:06:40Z\n");
	assert_rows(db, "SELECT id, streams FROM pull ORDER BY id", "7|\n8|team\n");
	assert_rows(db, "SELECT workspace, stream, listed_at, pull_id FROM v_stream_listing",
	            "acme|team|2026-11-18T11:06:40Z|8\n");
	rowset_free(&rs);
	close_ok(st);
}

/* ---- Views ---- */

/* date('now', '-k days') as SQLite sees it now. */
static void sql_day(sqlite3 *db, int k, char out[DAY_LEN])
{
	char sql[64];
	snprintf(sql, sizeof(sql), "SELECT date('now', '-%d days')", k);
	char *d = dump(db, sql);
	assert_int_equal(strlen(d), DAY_LEN); /* the day and "\n" */
	memcpy(out, d, DAY_LEN - 1);
	out[DAY_LEN - 1] = '\0';
	free(d);
}

/*
 * Build the dataset and check v_feature_usage_30d. Returns 0 when the UTC
 * day changed while it ran (the caller tries again), 1 when checked.
 */
static int feature_view_attempt(void)
{
	struct store *st = open_ok(fresh_path("view30"));
	sqlite3 *db = store_handle(st);
	char today[DAY_LEN], d1[DAY_LEN], d3[DAY_LEN], d29[DAY_LEN], d30[DAY_LEN];
	sql_day(db, 0, today);
	sql_day(db, 1, d1);
	sql_day(db, 3, d3);
	sql_day(db, 29, d29);
	sql_day(db, 30, d30);
	put_ws(st, "a");
	put_ws(st, "b");
	int64_t now = (int64_t)time(NULL);
	int64_t pa = begin_pull(st, "a", now);
	int64_t pb = begin_pull(st, "b", now);

	struct rowset rs;
	rowset_init(&rs, STREAM_STATS, 0);
	add_feature(&rs, today, "PUSH_NOTIFICATION", "users", N_INT(10));
	add_feature(&rs, today, "PUSH_NOTIFICATION", "campaigns", N_INT(1));
	add_feature(&rs, today, "PUSH_NOTIFICATION", "deliveries", N_INT(100));
	add_feature(&rs, today, "PUSH_NOTIFICATION", "clicks", N_INT(5));
	add_feature(&rs, today, "PUSH_NOTIFICATION", "conversions", N_INT(2));
	add_feature(&rs, today, "PUSH_NOTIFICATION", "revenue", N_REAL(1.5));
	add_feature(&rs, d1, "PUSH_NOTIFICATION", "users", N_INT(0));
	add_feature(&rs, d1, "PUSH_NOTIFICATION", "deliveries", N_INT(0));
	add_feature(&rs, d1, "PUSH_NOTIFICATION", "revenue", N_REAL(2.25));
	add_feature(&rs, d29, "PUSH_NOTIFICATION", "users", N_INT(0));
	add_feature(&rs, d29, "PUSH_NOTIFICATION", "deliveries", N_INT(7));
	add_feature(&rs, d30, "PUSH_NOTIFICATION", "users", N_INT(1000));
	add_feature(&rs, d30, "PUSH_NOTIFICATION", "deliveries", N_INT(1000));
	add_feature(&rs, d3, "EMAIL", "users", N_INT(4));
	add_feature(&rs, d3, "EMAIL", "unknown_metric", N_INT(99));
	commit_ok(st, "a", pa, now, &rs, 15);
	rowset_free(&rs);
	add_feature(&rs, d30, "SMS", "users", N_INT(3));
	commit_ok(st, "b", pb, now, &rs, 1);
	rowset_free(&rs);
	/*
	 * Issue 12, finding 6: c's totals leave the 64-bit range; the view
	 * still answers for everyone, exact where a total fits.
	 */
	put_ws(st, "c");
	int64_t pc = begin_pull(st, "c", now);
	add_feature(&rs, today, "PUSH_NOTIFICATION", "deliveries", N_INT(INT64_MAX));
	add_feature(&rs, d1, "PUSH_NOTIFICATION", "deliveries", N_INT(INT64_MAX));
	add_feature(&rs, today, "PUSH_NOTIFICATION", "users", N_INT(INT64_MAX));
	add_feature(&rs, d1, "PUSH_NOTIFICATION", "users", N_INT(-1));
	add_feature(&rs, today, "PUSH_NOTIFICATION", "clicks", N_INT(INT64_MIN));
	add_feature(&rs, today, "PUSH_NOTIFICATION", "conversions", N_INT(INT64_MIN));
	add_feature(&rs, d1, "PUSH_NOTIFICATION", "conversions", N_INT(-1));
	add_feature(&rs, today, "PUSH_NOTIFICATION", "revenue", N_REAL(1.5));
	add_feature(&rs, d1, "PUSH_NOTIFICATION", "revenue", N_INT(INT64_MAX));
	add_feature(&rs, d29, "PUSH_NOTIFICATION", "campaigns", N_INT(INT64_MAX));
	add_feature(&rs, d30, "PUSH_NOTIFICATION", "campaigns", N_INT(INT64_MAX));
	commit_ok(st, "c", pc, now, &rs, 11);
	rowset_free(&rs);

	char *got =
	        dump(db, "SELECT workspace, feature, quote(users), quote(campaigns),"
	                 " quote(deliveries), quote(clicks), quote(conversions), quote(revenue),"
	                 " active_days, typeof(users) || typeof(deliveries) || typeof(conversions)"
	                 " FROM v_feature_usage_30d ORDER BY workspace, feature");
	char again[DAY_LEN];
	sql_day(db, 0, again);
	close_ok(st);
	if (strcmp(today, again) != 0) {
		free(got);
		return 0;
	}
	assert_string_equal(
	        got, "a|EMAIL|4|NULL|NULL|NULL|NULL|NULL|1|integernullnull\n"
	             "a|PUSH_NOTIFICATION|10|1|107|5|2|3.75|2|integerintegerinteger\n"
	             "c|PUSH_NOTIFICATION|9223372036854775806|9223372036854775807|"
	             "1.84467440737095516156e+19|-9223372036854775808|-9.2233720368547758078e+18|"
	             "9.2233720368547758078e+18|2|integerrealreal\n");
	free(got);
	return 1;
}

static void test_view_feature_usage_30d(void **state)
{
	(void)state;
	/* A UTC midnight can fall inside one attempt, not inside two. */
	if (!feature_view_attempt())
		assert_int_equal(feature_view_attempt(), 1);
}

static void test_view_seat_utilization(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("viewseat"));
	sqlite3 *db = store_handle(st);
	put_ws(st, "a");
	put_ws(st, "b");
	int64_t now = (int64_t)time(NULL);
	const int64_t day = 86400;
	int64_t p1 = begin_pull(st, "a", now);
	struct rowset rs;
	rowset_init(&rs, STREAM_TEAM, 0);
	add_seat(&rs, "gone@x", "Gone", "ADMIN", iso(now - day));
	commit_ok(st, "a", p1, now, &rs, 1);
	end_pull(st, p1, now, "ok");

	/* Six seats; "gone" is no longer listed, so removed and not counted. */
	int64_t p2 = begin_pull(st, "a", now);
	rowset_free(&rs);
	add_seat(&rs, "d1@x", "D1", "ADMIN", iso(now - day));
	add_seat(&rs, "d29@x", "D29", "EDITOR", iso(now - 29 * day));
	add_seat(&rs, "d45@x", "D45", "EDITOR", iso(now - 45 * day));
	add_seat(&rs, "d89@x", "D89", "EDITOR", iso(now - 89 * day));
	add_seat(&rs, "d100@x", "D100", "EDITOR", iso(now - 100 * day));
	add_seat(&rs, "never@x", "Never", "VIEWER", NULL);
	commit_ok(st, "a", p2, now, &rs, 7);
	rowset_free(&rs);

	assert_rows(db,
	            "SELECT workspace, seats, active_30d, active_60d, active_90d, never_logged_in,"
	            " quote(utilization_pct) FROM v_seat_utilization ORDER BY workspace",
	            "a|6|2|3|4|1|33.3\n"
	            "b|0|0|0|0|0|NULL\n");
	close_ok(st);
}

static void test_view_workspace_health(void **state)
{
	(void)state;
	struct store *st = open_ok(fresh_path("viewhealth"));
	sqlite3 *db = store_handle(st);
	int64_t now = (int64_t)time(NULL);
	struct store_ws w = {.name = "a",
	                     .license_code = "lc",
	                     .data_center = "global",
	                     .base_url = "https://api.webengage.com",
	                     .state = "connected",
	                     .last_success_at = now - 3600,
	                     .last_pull_at = now - 3700,
	                     .next_pull_at = now + 600,
	                     .consecutive_failures = 0};
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), 0);
	w.name = "b";
	w.state = "auth_failed";
	w.state_reason = "401 Unauthorized";
	w.last_success_at = 0;
	w.next_pull_at = 0;
	w.consecutive_failures = 3;
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), 0);
	w.name = "c";
	w.state = "pending";
	w.state_reason = NULL;
	w.consecutive_failures = 0;
	assert_int_equal(store_ws_put(st, &w, errbuf, sizeof(errbuf)), 0);

	/* a: an older ok pull, then the partial one that is its last. */
	int64_t p1 = begin_pull(st, "a", now - 7200);
	end_pull(st, p1, now - 7100, "ok");
	int64_t p2 = begin_pull(st, "a", now - 3700);
	struct store_pull_end e = {
	        .finished_at = now - 3600, .status = "partial", .error = "campaigns: HTTP 500"};
	assert_int_equal(store_pull_end(st, p2, &e, errbuf, sizeof(errbuf)), 0);
	/* c: a pull still running. */
	int64_t p3 = begin_pull(st, "c", now - 60);

	char want[1024];
	snprintf(want, sizeof(want),
	         "a|connected|NULL|%s|%s|0|%lld|partial|campaigns: HTTP 500|%s|%s|0\n"
	         "b|auth_failed|401 Unauthorized|NULL|NULL|3|NULL|NULL|NULL|NULL|NULL|NULL\n"
	         "c|pending|NULL|NULL|NULL|0|%lld|running|NULL|%s|NULL|NULL\n",
	         iso(now - 3600), iso(now + 600), (long long)p2, iso(now - 3700), iso(now - 3600),
	         (long long)p3, iso(now - 60));
	/* 'now' is one instant within a statement: the age must equal it exactly. */
	assert_rows(db,
	            "SELECT workspace, state, state_reason, last_success_at, next_pull_at,"
	            " consecutive_failures, last_pull_id, last_pull_status, last_pull_error,"
	            " last_pull_started_at, last_pull_finished_at,"
	            " seconds_since_success - (unixepoch('now') - unixepoch(last_success_at))"
	            " FROM v_workspace_health ORDER BY workspace",
	            want);
	int64_t age = q_int(
	        db, "SELECT seconds_since_success FROM v_workspace_health WHERE workspace = 'a'");
	assert_true(age >= 3600 && age < 3600 + 300);
	close_ok(st);
}

/* ---- Checkpoint and close ---- */

static void test_checkpoint_and_close(void **state)
{
	(void)state;
	const char *path = fresh_path("ckpt");
	struct store *st = open_ok(path);
	/* The new schema is in the WAL; a checkpoint writes it to the file. */
	assert_int_equal(store_checkpoint(st, errbuf, sizeof(errbuf)), 0);
	put_ws(st, "acme");
	assert_true(side_exists(path, "-wal"));

	/* The main file alone (immutable: the WAL ignored) does not have the row yet. */
	char uri[600];
	snprintf(uri, sizeof(uri), "file:%s?immutable=1", path);
	sqlite3 *ro;
	const char *q = "SELECT count(*) FROM workspace WHERE name = 'acme'";
	assert_int_equal(sqlite3_open_v2(uri, &ro, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL),
	                 SQLITE_OK);
	assert_int_equal(q_int(ro, q), 0);
	assert_int_equal(sqlite3_close(ro), SQLITE_OK);

	assert_int_equal(store_checkpoint(st, errbuf, sizeof(errbuf)), 0);
	assert_int_equal(sqlite3_open_v2(uri, &ro, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL),
	                 SQLITE_OK);
	assert_int_equal(q_int(ro, q), 1);
	assert_int_equal(sqlite3_close(ro), SQLITE_OK);

	assert_int_equal(store_close(st), 0);
	assert_false(side_exists(path, "-wal"));
	assert_false(side_exists(path, "-shm"));
	assert_int_equal(store_checkpoint(NULL, errbuf, sizeof(errbuf)), SQLITE_MISUSE);
}

/* A store left with its WAL by a process that died is checked and opened. */
static void test_open_after_crash_with_wal(void **state)
{
	(void)state;
	const char *path = fresh_path("crash");
	sqlite3 *db;
	{
		struct store *st = open_ok(path);
		put_ws(st, "acme");
		close_ok(st);
	}
	/* Simulate a crash: a connection writes and is never checkpointed. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_ok(db, "PRAGMA journal_mode = WAL");
	int off = 0;
	assert_int_equal(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &off),
	                 SQLITE_OK);
	exec_ok(db, "UPDATE workspace SET state = 'failing' WHERE name = 'acme'");
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	assert_true(side_exists(path, "-wal"));

	struct store *st = open_ok(path);
	struct store_ws_saved saved;
	assert_int_equal(store_ws_get(st, "acme", &saved, errbuf, sizeof(errbuf)), 1);
	assert_string_equal(saved.state, "failing");
	close_ok(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_schema_embedded),
	        cmocka_unit_test(test_schema_fresh),
	        cmocka_unit_test(test_schema_lists_match_c),
	        cmocka_unit_test(test_synchronous_modes),
	        cmocka_unit_test(test_open_bad_arguments),
	        cmocka_unit_test(test_refused_files_untouched),
	        cmocka_unit_test(test_schema_identify),
	        cmocka_unit_test(test_reopen_keeps_data_and_empty_file),
	        cmocka_unit_test(test_migrate_forward),
	        cmocka_unit_test(test_migrate_overflow_safe_totals),
	        cmocka_unit_test(test_migrate_overview),
	        cmocka_unit_test(test_workspace_rows),
	        cmocka_unit_test(test_pull_rows),
	        cmocka_unit_test(test_texts_stored_escaped),
	        cmocka_unit_test(test_upserts_idempotent_and_typed),
	        cmocka_unit_test(test_commit_is_atomic_per_stream),
	        cmocka_unit_test(test_calendar_checks),
	        cmocka_unit_test(test_full_leaves_store_usable),
	        cmocka_unit_test(test_busy_and_readonly_leave_store_usable),
	        cmocka_unit_test(test_stream_in_slices),
	        cmocka_unit_test(test_pull_ids_never_reused),
	        cmocka_unit_test(test_identity_check),
	        cmocka_unit_test(test_checkpoints_off_the_caller),
	        cmocka_unit_test(test_team_removal_and_return),
	        cmocka_unit_test(test_migrate_changed_only_writes),
	        cmocka_unit_test(test_view_feature_usage_30d),
	        cmocka_unit_test(test_view_seat_utilization),
	        cmocka_unit_test(test_view_workspace_health),
	        cmocka_unit_test(test_checkpoint_and_close),
	        cmocka_unit_test(test_open_after_crash_with_wal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
