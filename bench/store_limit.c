/*
 * store_limit.c: the storage limit of the machine for wegauged's work. It
 * reads every data row of a store that wegauged wrote (SRC), groups the
 * rows by (pull, stream) exactly as the daemon committed them, and upserts
 * them into a fresh store (DST) with the same schema, the same pragmas
 * (WAL, foreign keys on, the given synchronous mode) and the daemon's own
 * upsert texts, with prepared statements and one BEGIN IMMEDIATE ... COMMIT
 * per stream of a pull. Nothing else runs in the timed part: the rows are
 * read into memory first, and the workspace and pull rows the data rows
 * reference are copied before the clock starts.
 *
 * usage: store_limit SRC DST [normal|full]
 * prints: "store_limit rows=N transactions=T seconds=S rows_per_s=R"
 *
 * Limits: at most STORE_LIMIT_MAX_ROWS rows (a bench of 10,000 workspaces
 * has about 10^6); values are kept as SQLite values (sqlite3_value_dup),
 * so integers, reals, text and NULLs are written back as they were read.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/store_sql.h"

#define STORE_LIMIT_MAX_ROWS 50000000L
#define STORE_LIMIT_MAX_COLS 16

/* One table: how to read its rows in commit order and how the daemon upserts them. */
struct table {
	const char *name;
	const char *select; /* columns in the upsert's parameter order, then pull_id last */
	const char *upsert;
	int ncols; /* parameters of the upsert */
};

/*
 * The SELECTs return the upsert's parameters ?1..?n in order; ORDER BY
 * pull_id groups each pull's rows of the stream (one commit by the daemon).
 * The seat upsert takes ?8 "now" as first_seen/last_seen/updated_at.
 */
static const struct table tables[] = {
        {"feature_usage_daily",
         "SELECT workspace, day, feature, metric, value, pull_id, updated_at"
         " FROM feature_usage_daily ORDER BY pull_id",
         SQL_FEATURE_UPSERT, 7},
        {"campaign",
         "SELECT workspace, channel, campaign_id, title, status, category, created_on,"
         " start_date, sent, delivered, clicks, conversions, revenue, pull_id, updated_at"
         " FROM campaign ORDER BY pull_id",
         SQL_CAMPAIGN_UPSERT, 15},
        {"active_users_daily",
         "SELECT workspace, day, platform, dau, wau, mau, pull_id, updated_at"
         " FROM active_users_daily ORDER BY pull_id",
         SQL_ACTIVE_UPSERT, 8},
        {"seat",
         "SELECT workspace, email, name, role, status, last_login_at, pull_id, updated_at"
         " FROM seat ORDER BY pull_id",
         SQL_SEAT_UPSERT, 8},
};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

/* A row: its table, the pull it came with, and its parameter values (owned). */
struct row {
	int table;
	int64_t pull;
	sqlite3_value *v[STORE_LIMIT_MAX_COLS];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die_db(sqlite3 *db, const char *what)
{
	fprintf(stderr, "store_limit: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	return 1;
}

/* Run sql on db; 0, or 1 with a message naming what failed. */
static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		fprintf(stderr, "store_limit: %.80s: %s\n", sql, msg ? msg : "?");
		sqlite3_free(msg);
		return 1;
	}
	return 0;
}

/*
 * Read every data row of src into *rows (grown as needed), in commit
 * order: table by table, each ordered by pull. 0, or 1 with a message.
 */
static int load_rows(sqlite3 *src, struct row **rows, size_t *n)
{
	size_t cap = 0;
	*rows = NULL;
	*n = 0;
	for (size_t t = 0; t < N_TABLES; t++) {
		sqlite3_stmt *s = NULL;
		if (sqlite3_prepare_v2(src, tables[t].select, -1, &s, NULL) != SQLITE_OK)
			return die_db(src, tables[t].name);
		int rc, pull_col = tables[t].ncols - 2; /* pull_id is the next-to-last parameter */
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			if (*n == (size_t)STORE_LIMIT_MAX_ROWS) {
				fprintf(stderr, "store_limit: more than %ld rows\n",
				        STORE_LIMIT_MAX_ROWS);
				sqlite3_finalize(s);
				return 1;
			}
			if (*n == cap) {
				size_t ncap = cap ? cap * 2 : 65536;
				struct row *p = realloc(*rows, ncap * sizeof(*p));
				if (!p) {
					fprintf(stderr, "store_limit: out of memory\n");
					sqlite3_finalize(s);
					return 1;
				}
				*rows = p;
				cap = ncap;
			}
			struct row *r = &(*rows)[*n];
			memset(r, 0, sizeof(*r));
			r->table = (int)t;
			r->pull = sqlite3_column_int64(s, pull_col);
			for (int c = 0; c < tables[t].ncols; c++) {
				r->v[c] = sqlite3_value_dup(sqlite3_column_value(s, c));
				if (!r->v[c]) {
					fprintf(stderr, "store_limit: out of memory\n");
					sqlite3_finalize(s);
					return 1;
				}
			}
			(*n)++;
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return die_db(src, tables[t].name);
	}
	return 0;
}

static void free_rows(struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < STORE_LIMIT_MAX_COLS; c++)
			sqlite3_value_free(rows[i].v[c]);
	free(rows);
}

/* Create dst with src's schema, pragmas as the daemon sets them, and src's workspace/pull rows. */
static int prepare_dst(sqlite3 *dst, const char *src_path, const char *sync)
{
	char sql[4200];
	if (exec(dst, "PRAGMA journal_mode = WAL") || exec(dst, "PRAGMA foreign_keys = OFF"))
		return 1;
	snprintf(sql, sizeof(sql), "ATTACH DATABASE '%s' AS src", src_path);
	if (strchr(src_path, '\'') || strlen(src_path) > 4000) {
		fprintf(stderr, "store_limit: source path has a quote or is too long\n");
		return 1;
	}
	if (exec(dst, sql))
		return 1;
	/* Tables and indexes first, then views and triggers, as in src. */
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(dst,
	                       "SELECT sql FROM src.sqlite_schema WHERE sql IS NOT NULL"
	                       " AND name NOT LIKE 'sqlite_%'"
	                       " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1"
	                       " ELSE 2 END, rowid",
	                       -1, &s, NULL) != SQLITE_OK)
		return die_db(dst, "reading the schema");
	int rc;
	char **ddl = NULL;
	size_t nddl = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char **p = realloc(ddl, (nddl + 1) * sizeof(*p));
		char *one = strdup((const char *)sqlite3_column_text(s, 0));
		if (!p || !one) {
			free(one);
			free(p ? p : ddl);
			sqlite3_finalize(s);
			fprintf(stderr, "store_limit: out of memory\n");
			return 1;
		}
		ddl = p;
		ddl[nddl++] = one;
	}
	sqlite3_finalize(s);
	int bad = rc != SQLITE_DONE;
	for (size_t i = 0; i < nddl; i++) {
		if (!bad)
			bad = exec(dst, ddl[i]);
		free(ddl[i]);
	}
	free(ddl);
	if (bad)
		return 1;
	if (exec(dst, "INSERT INTO main.workspace SELECT * FROM src.workspace") ||
	    exec(dst, "INSERT INTO main.pull SELECT * FROM src.pull") ||
	    exec(dst, "DETACH DATABASE src"))
		return 1;
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s", sync);
	if (exec(dst, "PRAGMA foreign_keys = ON") || exec(dst, sql) ||
	    exec(dst, "PRAGMA wal_checkpoint(TRUNCATE)"))
		return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: store_limit SRC DST [normal|full]\n");
		return 2;
	}
	const char *sync = argc == 4 ? argv[3] : "normal";
	if (strcmp(sync, "normal") != 0 && strcmp(sync, "full") != 0) {
		fprintf(stderr, "store_limit: synchronous must be normal or full, not %s\n", sync);
		return 2;
	}
	sqlite3 *src = NULL, *dst = NULL;
	if (sqlite3_open_v2(argv[1], &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return die_db(src, argv[1]);
	struct row *rows = NULL;
	size_t n = 0;
	int rc = load_rows(src, &rows, &n);
	sqlite3_close(src);
	if (rc) {
		free_rows(rows, n);
		return 1;
	}
	remove(argv[2]);
	if (sqlite3_open_v2(argv[2], &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	            SQLITE_OK ||
	    prepare_dst(dst, argv[1], sync)) {
		rc = dst ? die_db(dst, argv[2]) : 1;
		sqlite3_close(dst);
		free_rows(rows, n);
		return rc;
	}

	sqlite3_stmt *up[N_TABLES] = {0}, *begin = NULL, *commit = NULL;
	for (size_t t = 0; t < N_TABLES && rc == 0; t++)
		if (sqlite3_prepare_v3(dst, tables[t].upsert, -1, SQLITE_PREPARE_PERSISTENT, &up[t],
		                       NULL) != SQLITE_OK)
			rc = die_db(dst, tables[t].name);
	if (rc == 0 &&
	    (sqlite3_prepare_v2(dst, SQL_BEGIN_IMMEDIATE, -1, &begin, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(dst, SQL_COMMIT, -1, &commit, NULL) != SQLITE_OK))
		rc = die_db(dst, "BEGIN/COMMIT");

	/* The timed part: one transaction per (pull, stream), as the daemon commits. */
	long txns = 0;
	double t0 = now_s();
	for (size_t i = 0; i < n && rc == 0;) {
		if (sqlite3_step(begin) != SQLITE_DONE) {
			rc = die_db(dst, "BEGIN");
			break;
		}
		sqlite3_reset(begin);
		size_t j = i;
		for (; j < n && rows[j].table == rows[i].table && rows[j].pull == rows[i].pull;
		     j++) {
			sqlite3_stmt *s = up[rows[j].table];
			for (int c = 0; c < tables[rows[j].table].ncols; c++)
				sqlite3_bind_value(s, c + 1, rows[j].v[c]);
			if (sqlite3_step(s) != SQLITE_DONE) {
				rc = die_db(dst, tables[rows[j].table].name);
				break;
			}
			sqlite3_reset(s);
		}
		if (rc == 0 && sqlite3_step(commit) != SQLITE_DONE)
			rc = die_db(dst, "COMMIT");
		sqlite3_reset(commit);
		txns++;
		i = j;
	}
	double secs = now_s() - t0;

	for (size_t t = 0; t < N_TABLES; t++)
		sqlite3_finalize(up[t]);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_close(dst);
	free_rows(rows, n);
	if (rc == 0)
		printf("store_limit rows=%zu transactions=%ld seconds=%.3f rows_per_s=%.0f\n", n,
		       txns, secs, secs > 0 ? (double)n / secs : 0.0);
	return rc;
}
