/*
 * pg_limit.c: PostgreSQL's limit on this machine for wegauged's writes, the
 * counterpart of store_limit.c for the PostgreSQL store (issue 14). It reads
 * every data row of a store that wegauged wrote (the database SRC), groups
 * them by (table, pull) as the daemon writes them (one stream of one
 * pull), and upserts them into DST, a fresh database with
 * the same schema (schema/pg) and the workspace and pull rows of SRC, which
 * bench/run prepares. Nothing else runs in the timed part: the rows are
 * read into memory and the statements prepared before the clock starts.
 *
 * usage: pg_limit SRC DST PASSWORD_FILE copy|insert|unnest [GROUP]
 *   SRC, DST: libpq connection strings or URLs (bench/run: the daemon's
 *   URL, TCP on 127.0.0.1), with the password in PASSWORD_FILE (its first
 *   line, as wegauged's database_password_file). GROUP: streams per
 *   transaction (default 1: one transaction per stream, as the issue
 *   asks; more measures what a program that groups its commits, as a
 *   daemon with group commit does, can reach).
 * prints: "pg_limit method=M group=G rows=N transactions=T seconds=S rows_per_s=R"
 *
 * The three ways a hand-written program would write the same rows, one
 * transaction per stream (or per GROUP streams) each:
 *   copy    COPY into a temporary table, INSERT ... SELECT ... ON CONFLICT
 *           DO UPDATE from it, and DELETE from it, in one simple-protocol
 *           query string (one implicit transaction; libpq cannot
 *           pipeline COPY, so streams go one after the other), and a
 *           VACUUM of the temporary table every VACUUM_ROWS rows; grouped,
 *           BEGIN, for each table one COPY + INSERT + DELETE of all the
 *           group's rows of that table, COMMIT (one COPY per stream inside
 *           a group piled up dead rows that each INSERT scanned again:
 *           slower than a transaction per stream). (ON
 *           COMMIT DELETE ROWS truncates every such table at every commit:
 *           five ftruncate() per stream, about 0.7 ms each on the bench
 *           machine, which made this method 2-3 times slower than insert.)
 *   insert  one prepared INSERT ... ON CONFLICT DO UPDATE per row, in
 *           libpq's pipeline mode, one sync per transaction, PIPE_DEPTH
 *           transactions in flight (2 of GROUP streams when grouped);
 *   unnest  the daemon's own statements (src/store_pg_sql.h: one INSERT ...
 *           SELECT FROM unnest(arrays) per stream), pipelined the same way:
 *           what wegauged's SQL costs without wegauged around it.
 * The ON CONFLICT targets and SET lists are the daemon's. Each row is
 * written with the values SRC holds (as PostgreSQL prints them), so that
 * the stored rows are SRC's. The seats' mark-removed UPDATE, the pull and
 * workspace rows are not written (the limit is the upserts alone, as in
 * store_limit.c).
 */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/store_pg_sql.h"

#define PIPE_DEPTH  64    /* streams in flight (the daemon's PG_INFLIGHT) */
#define SLICE_ROWS  20000 /* rows per unnest statement at most (the daemon's slice) */
#define MAX_COLS    16
#define VACUUM_ROWS 2000 /* copy: rows deleted from a temporary table between its VACUUMs */

/*
 * One table: its columns in the order read, copied and inserted (the
 * workspace, then the daemon's array columns $4.. in order, then pull_id
 * and updated_at, then the seats' other instants), its conflict target and
 * SET list (the daemon's), and the daemon's unnest upsert.
 */
struct table {
	const char *name;
	const char *cols;
	int ncols;
	int narr;     /* columns 1..narr are the daemon's arrays $4.. */
	int pull_col; /* pull_id; updated_at follows it (the daemon's $3, "now") */
	const char *key;
	const char *set;
	const char *unnest;
};

static const struct table tables[] = {
        {"feature_usage_daily", "workspace, day, feature, metric, value, pull_id, updated_at", 7, 4,
         5, "workspace, day, feature, metric",
         "value = excluded.value, pull_id = excluded.pull_id, updated_at = excluded.updated_at",
         PG_SQL_FEATURE_UPSERT},
        {"campaign",
         "workspace, channel, campaign_id, title, status, category, created_on, start_date,"
         " sent, delivered, clicks, conversions, revenue, pull_id, updated_at",
         15, 12, 13, "workspace, channel, campaign_id",
         "title = excluded.title, status = excluded.status, category = excluded.category,"
         " created_on = excluded.created_on, start_date = excluded.start_date,"
         " sent = excluded.sent, delivered = excluded.delivered, clicks = excluded.clicks,"
         " conversions = excluded.conversions, revenue = excluded.revenue,"
         " pull_id = excluded.pull_id, updated_at = excluded.updated_at",
         PG_SQL_CAMPAIGN_UPSERT},
        {"active_users_daily", "workspace, day, platform, dau, wau, mau, pull_id, updated_at", 8, 5,
         6, "workspace, day, platform",
         "dau = excluded.dau, wau = excluded.wau, mau = excluded.mau,"
         " pull_id = excluded.pull_id, updated_at = excluded.updated_at",
         PG_SQL_ACTIVE_UPSERT},
        {"seat",
         "workspace, email, name, role, status, last_login_at, pull_id, updated_at,"
         " first_seen_at, last_seen_at, removed_at",
         11, 5, 6, "workspace, email",
         "name = excluded.name, role = excluded.role, status = excluded.status,"
         " last_login_at = excluded.last_login_at, last_seen_at = excluded.last_seen_at,"
         " removed_at = NULL, pull_id = excluded.pull_id, updated_at = excluded.updated_at",
         PG_SQL_SEAT_UPSERT},
};
#define N_TABLES ((int)(sizeof(tables) / sizeof(tables[0])))

/* A stream: rows [from, from + n) of table t's result. */
struct stream {
	int t;
	int from, n;
};

/* A growable text buffer; exits on out of memory (a bench tool). */
struct buf {
	char *p;
	size_t n, cap;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			fprintf(stderr, "pg_limit: out of memory\n");
			exit(1);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die_conn(PGconn *c, const char *what)
{
	fprintf(stderr, "pg_limit: %s: %s", what, c ? PQerrorMessage(c) : "?\n");
	exit(1);
}

/* Run sql (no parameters, no rows wanted) or exit naming it. */
static void exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "pg_limit: %.80s: %s", sql, PQresultErrorMessage(r));
		exit(1);
	}
	PQclear(r);
}

static PGconn *connect_to(const char *conninfo, const char *password)
{
	const char *kw[] = {"dbname", "password", "application_name", NULL};
	const char *val[] = {conninfo, password, "pg_limit", NULL};
	PGconn *c = PQconnectdbParams(kw, val, 1);
	if (!c || PQstatus(c) != CONNECTION_OK)
		die_conn(c, "connecting");
	return c;
}

static char *read_password(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	if (!f || !fgets(line, sizeof(line), f)) {
		fprintf(stderr, "pg_limit: cannot read the password from %s\n", path);
		exit(1);
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	char *p = strdup(line);
	if (!p)
		exit(1);
	return p;
}

/* ---- copy: COPY into a temporary table, INSERT ... SELECT ... ON CONFLICT ---- */

/* v in COPY's text format (backslash escapes), appended to b. */
static void copy_value(struct buf *b, const char *v, int isnull)
{
	if (isnull) {
		buf_put(b, "\\N", 2);
		return;
	}
	const char *run = v;
	for (const char *c = v; *c; c++) {
		const char *e = NULL;
		switch (*c) {
		case '\\':
			e = "\\\\";
			break;
		case '\t':
			e = "\\t";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\r':
			e = "\\r";
			break;
		default:
			continue;
		}
		buf_put(b, run, (size_t)(c - run));
		buf_put(b, e, 2);
		run = c + 1;
	}
	buf_str(b, run);
}

static char copy_sql[N_TABLES][2048];

/* The temporary tables and the query strings (before the clock). */
static void setup_copy(PGconn *c)
{
	for (int t = 0; t < N_TABLES; t++) {
		char ddl[256];
		snprintf(ddl, sizeof(ddl), "CREATE TEMP TABLE pgl_%s (LIKE %s)", tables[t].name,
		         tables[t].name);
		exec(c, ddl);
		snprintf(copy_sql[t], sizeof(copy_sql[t]),
		         "COPY pgl_%s (%s) FROM STDIN; INSERT INTO %s (%s) SELECT %s FROM pgl_%s"
		         " ON CONFLICT (%s) DO UPDATE SET %s; DELETE FROM pgl_%s",
		         tables[t].name, tables[t].cols, tables[t].name, tables[t].cols,
		         tables[t].cols, tables[t].name, tables[t].key, tables[t].set,
		         tables[t].name);
	}
}

/*
 * COPY the rows of table t among streams [a, b) into its temporary table,
 * upsert them from there and empty it: one query string, three results.
 */
static void copy_rows(PGconn *c, struct buf *b, PGresult **res, const struct stream *s, size_t from,
                      size_t to, int t)
{
	const struct table *tb = &tables[t];
	PGresult *src = res[t];
	b->n = 0;
	for (size_t i = from; i < to; i++) {
		if (s[i].t != t)
			continue;
		for (int r = s[i].from; r < s[i].from + s[i].n; r++) {
			for (int k = 0; k < tb->ncols; k++) {
				if (k)
					buf_put(b, "\t", 1);
				copy_value(b, PQgetvalue(src, r, k), PQgetisnull(src, r, k));
			}
			buf_put(b, "\n", 1);
		}
	}
	if (!PQsendQuery(c, copy_sql[t]))
		die_conn(c, "sending COPY");
	PGresult *r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		die_conn(c, "COPY");
	PQclear(r);
	if (PQputCopyData(c, b->p, (int)b->n) != 1 || PQputCopyEnd(c, NULL) != 1)
		die_conn(c, "COPY data");
	int results = 0;
	while ((r = PQgetResult(c)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "pg_limit: %s: %s", tb->name, PQresultErrorMessage(r));
			exit(1);
		}
		results++;
		PQclear(r);
	}
	if (results != 3) {
		fprintf(stderr, "pg_limit: %d results for COPY, INSERT, DELETE, not 3\n", results);
		exit(1);
	}
}

/*
 * One transaction per group of streams: a stream alone is one query string
 * (an implicit transaction); a group is BEGIN, one COPY + INSERT + DELETE
 * per table with all the group's rows of that table, COMMIT.
 */
static long run_copy(PGconn *c, PGresult **res, const struct stream *s, size_t ns, size_t group)
{
	struct buf b = {0};
	long txns = 0, dead[N_TABLES] = {0};
	for (size_t g = 0; g < ns; g += group) {
		size_t end = g + group < ns ? g + group : ns;
		/* Between transactions: VACUUM cannot run in one. */
		for (int t = 0; t < N_TABLES; t++)
			if (dead[t] >= VACUUM_ROWS) {
				char v[64];
				snprintf(v, sizeof(v), "VACUUM pgl_%s", tables[t].name);
				exec(c, v);
				dead[t] = 0;
			}
		if (group == 1) {
			copy_rows(c, &b, res, s, g, end, s[g].t);
			dead[s[g].t] += s[g].n;
		} else {
			exec(c, "BEGIN");
			for (int t = 0; t < N_TABLES; t++) {
				long n = 0;
				for (size_t i = g; i < end; i++)
					n += s[i].t == t ? s[i].n : 0;
				if (n == 0)
					continue;
				copy_rows(c, &b, res, s, g, end, t);
				dead[t] += n;
			}
			exec(c, "COMMIT");
		}
		txns++;
	}
	free(b.p);
	return txns;
}

/* ---- insert and unnest: statements in pipeline mode, one sync per stream ---- */

/* Read every result there is; returns the syncs seen. Exits on an error. */
static int consume(PGconn *c, int inflight)
{
	int syncs = 0;
	if (!PQconsumeInput(c))
		die_conn(c, "reading");
	while (inflight - syncs > 0 && !PQisBusy(c)) {
		PGresult *r = PQgetResult(c);
		if (!r)
			continue;
		switch (PQresultStatus(r)) {
		case PGRES_PIPELINE_SYNC:
			syncs++;
			break;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
			break;
		default:
			fprintf(stderr, "pg_limit: %s", PQresultErrorMessage(r));
			exit(1);
		}
		PQclear(r);
	}
	return syncs;
}

/* An element of an array literal, quoted as the daemon quotes it (store_pg.c sb_elem). */
static void array_elem(struct buf *b, const char *v, int isnull)
{
	if (b->n > 1)
		buf_put(b, ",", 1);
	if (isnull) {
		buf_put(b, "NULL", 4);
		return;
	}
	buf_put(b, "\"", 1);
	const char *run = v;
	for (const char *c = v; *c; c++) {
		if (*c == '"' || *c == '\\') {
			buf_put(b, run, (size_t)(c - run));
			buf_put(b, "\\", 1);
			run = c;
		}
	}
	buf_str(b, run);
	buf_put(b, "\"", 1);
}

/* Queue stream s's statements (nothing is waited for). */
static void send_stream(PGconn *c, PGresult **res, const struct stream *s, int unnest,
                        struct buf *arr)
{
	const struct table *tb = &tables[s->t];
	PGresult *src = res[s->t];
	char stmt[8];
	snprintf(stmt, sizeof(stmt), "t%d", s->t);
	if (!unnest) {
		for (int r = s->from; r < s->from + s->n; r++) {
			const char *v[MAX_COLS];
			for (int k = 0; k < tb->ncols; k++)
				v[k] = PQgetisnull(src, r, k) ? NULL : PQgetvalue(src, r, k);
			if (!PQsendQueryPrepared(c, stmt, tb->ncols, v, NULL, NULL, 0))
				die_conn(c, "sending");
		}
	} else {
		for (int from = s->from; from < s->from + s->n; from += SLICE_ROWS) {
			int to = from + SLICE_ROWS < s->from + s->n ? from + SLICE_ROWS
			                                            : s->from + s->n;
			const char *v[3 + MAX_COLS];
			v[0] = PQgetvalue(src, from, 0);
			v[1] = PQgetvalue(src, from, tb->pull_col);
			v[2] = PQgetvalue(src, from, tb->pull_col + 1);
			for (int k = 0; k < tb->narr; k++) {
				struct buf *a = &arr[k];
				a->n = 0;
				buf_put(a, "{", 1);
				for (int r = from; r < to; r++)
					array_elem(a, PQgetvalue(src, r, k + 1),
					           PQgetisnull(src, r, k + 1));
				buf_put(a, "}", 1);
				v[3 + k] = a->p;
			}
			if (!PQsendQueryPrepared(c, stmt, 3 + tb->narr, v, NULL, NULL, 0))
				die_conn(c, "sending");
		}
	}
}

/* The prepared statements and pipeline mode (before the clock). */
static void setup_pipeline(PGconn *c, int unnest)
{
	for (int t = 0; t < N_TABLES; t++) {
		char name[8], sql[2048];
		const char *text = tables[t].unnest;
		if (!unnest) {
			char params[MAX_COLS * 5] = "";
			for (int k = 0; k < tables[t].ncols; k++)
				snprintf(params + strlen(params), sizeof(params) - strlen(params),
				         "%s$%d", k ? ", " : "", k + 1);
			snprintf(
			        sql, sizeof(sql),
			        "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
			        tables[t].name, tables[t].cols, params, tables[t].key,
			        tables[t].set);
			text = sql;
		}
		snprintf(name, sizeof(name), "t%d", t);
		PGresult *r = PQprepare(c, name, text, 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			fprintf(stderr, "pg_limit: preparing %s: %s", tables[t].name,
			        PQresultErrorMessage(r));
			exit(1);
		}
		PQclear(r);
	}
	if (PQsetnonblocking(c, 1) != 0 || PQenterPipelineMode(c) != 1)
		die_conn(c, "pipeline mode");
}

static long run_pipeline(PGconn *c, PGresult **res, const struct stream *s, size_t ns, int unnest,
                         size_t group)
{
	struct buf arr[MAX_COLS] = {{0}};
	size_t next = 0;
	int inflight = 0, depth = group < PIPE_DEPTH / 2 ? (int)(PIPE_DEPTH / group) : 2;
	long txns = 0;
	while (next < ns || inflight > 0) {
		while (next < ns && inflight < depth) {
			send_stream(c, res, &s[next++], unnest, arr);
			if (next % group == 0 || next == ns) {
				if (!PQpipelineSync(c))
					die_conn(c, "sync");
				inflight++;
			}
		}
		int f = PQflush(c);
		if (f < 0)
			die_conn(c, "flushing");
		struct pollfd p = {.fd = PQsocket(c), .events = POLLIN | (f == 1 ? POLLOUT : 0)};
		if (poll(&p, 1, -1) < 0)
			die_conn(c, "poll");
		if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
			int done = consume(c, inflight);
			inflight -= done;
			txns += done;
		}
	}
	for (int k = 0; k < MAX_COLS; k++)
		free(arr[k].p);
	return txns;
}

int main(int argc, char **argv)
{
	long group = argc == 6 ? strtol(argv[5], NULL, 10) : 1;
	if (argc < 5 || argc > 6 || group < 1 || group > 1000000 ||
	    (strcmp(argv[4], "copy") != 0 && strcmp(argv[4], "insert") != 0 &&
	     strcmp(argv[4], "unnest") != 0)) {
		fprintf(stderr,
		        "usage: pg_limit SRC DST PASSWORD_FILE copy|insert|unnest [GROUP]\n");
		return 2;
	}
	const char *method = argv[4];
	char *password = read_password(argv[3]);

	/* The rows, in commit order: table by table, each by pull. */
	PGconn *src = connect_to(argv[1], password);
	PGresult *res[N_TABLES];
	size_t nrows = 0, ns = 0, caps = 0;
	struct stream *s = NULL;
	for (int t = 0; t < N_TABLES; t++) {
		char sql[512];
		snprintf(sql, sizeof(sql), "SELECT %s FROM %s ORDER BY pull_id", tables[t].cols,
		         tables[t].name);
		res[t] = PQexec(src, sql);
		if (PQresultStatus(res[t]) != PGRES_TUPLES_OK) {
			fprintf(stderr, "pg_limit: reading %s: %s", tables[t].name,
			        PQresultErrorMessage(res[t]));
			return 1;
		}
		int n = PQntuples(res[t]), pc = tables[t].pull_col;
		for (int i = 0; i < n;) {
			int j = i + 1;
			while (j < n &&
			       strcmp(PQgetvalue(res[t], j, pc), PQgetvalue(res[t], i, pc)) == 0)
				j++;
			if (ns == caps) {
				caps = caps ? 2 * caps : 65536;
				struct stream *p = realloc(s, caps * sizeof(*s));
				if (!p) {
					fprintf(stderr, "pg_limit: out of memory\n");
					return 1;
				}
				s = p;
			}
			s[ns++] = (struct stream){t, i, j - i};
			i = j;
		}
		nrows += (size_t)n;
	}
	PQfinish(src);

	PGconn *dst = connect_to(argv[2], password);
	int copy = strcmp(method, "copy") == 0, unnest = strcmp(method, "unnest") == 0;
	if (copy)
		setup_copy(dst);
	else
		setup_pipeline(dst, unnest);
	double t0 = now_s();
	long txns = copy ? run_copy(dst, res, s, ns, (size_t)group)
	                 : run_pipeline(dst, res, s, ns, unnest, (size_t)group);
	double secs = now_s() - t0;
	PQfinish(dst);
	for (int t = 0; t < N_TABLES; t++)
		PQclear(res[t]);
	free(s);
	free(password);
	printf("pg_limit method=%s group=%ld rows=%zu transactions=%ld seconds=%.3f"
	       " rows_per_s=%.0f\n",
	       method, group, nrows, txns, secs, secs > 0 ? (double)nrows / secs : 0.0);
	return 0;
}
