/*
 * store_pg.c: the PostgreSQL store (store_pg.h): a queue of writes sent in
 * libpq's pipeline mode on the event loop, taken up again after any loss
 * of the connection.
 *
 * The queue. A write becomes a struct pg_op: its statements with their
 * parameters as text, ended by one pipeline sync, so the server runs them
 * in batches: ops run head .. unsent (the batch in flight) then unsent ..
 * tail (not sent yet). pump() sends every queued op (up to PG_BATCH_OPS
 * or PG_BATCH_BYTES) followed by ONE pipeline sync, so the batch is one
 * implicit transaction and costs the server one commit: group commit.
 * on_read() consumes the results, statement by statement, and at the
 * PGRES_PIPELINE_SYNC ends the batch (batch_ended): confirmed (freed);
 * or one op refused for good (a constraint, bad data: that op is logged,
 * dropped and counted, a pull whose stream was dropped ends 'partial'
 * instead of 'ok', and the rest of the batch goes again); or refused for
 * now (a serialization failure, a read-only server after a failover, a
 * shutdown, a full disk): the connection is dropped and everything
 * unconfirmed is sent again after the reconnect, in the same order. Sending again is
 * safe because every statement gives the same rows when applied twice in
 * order.
 *
 * Connecting. store_pg_open connects blocking (before the loop runs: a
 * start against an unreachable server fails, and systemd starts wegauged
 * again), migrates the schema under an advisory lock, reads the workspace
 * rows and reserves pull ids. A reconnect runs PQconnectdbParams on a
 * thread of its own (name resolution blocks; see connect_main), with
 * connect_timeout 10 s per host unless the connection string says
 * otherwise.
 *
 * Pull ids come from the table's identity sequence, PG_IDS at a time
 * (nextval), so that store_pg_pull_begin needs no round trip.
 *
 * Why one file of about 1,500 lines: the queue, the connection and the
 * interface share one struct store_pg whose invariants (head .. unsent ..
 * tail, the batch in flight, cur/cur_q, the connect thread) every part
 * touches; split, each part would need the others' insides. The text
 * helpers and the rows' arrays (sbuf, num_text, slice) could go first if
 * it grows.
 */
#include "store_pg.h"
#include "errbuf.h"
#include "store_pg_fleet.h"
#include "log.h"
#include "loopstat.h"
#include "store_pg_schema.h"
#include "store_pg_digest.h"
#include "store_pg_sql.h"
#include "store_target.h"
#include "textesc.h"
#include "ts.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "clock.h"
#include "ws_state.h"

static const char *const pg_ws_state_names[WS_STATE_COUNT] = WS_STATE_NAMES;

static bool ws_state_valid_name(const char *s)
{
	for (int i = 0; s && i < WS_STATE_COUNT; i++)
		if (strcmp(s, pg_ws_state_names[i]) == 0)
			return true;
	return false;
}

#define PGQ_MAXP          16
#define SHOWN_MAX         2047 /* a state reason or error, escaped (as store.c's STORE_SHOWN_MAX) */
#define WHAT_MAX          160
#define DEFAULT_QUEUE_MAX ((uint64_t)256 << 20)

/* One statement of a write: its SQL (static) and parameters (owned; NULL is SQL NULL). */
struct pg_query {
	const char *sql;
	int n;
	char *v[PGQ_MAXP];
};

enum pg_op_kind { OP_WRITE = 0, OP_IDS, OP_FLEET };

#define OP_RES_MAX 4 /* results an OP_FLEET keeps (its statements with rows) */

struct pg_op {
	struct pg_op *next;
	enum pg_op_kind kind;
	struct pg_query *q;
	size_t nq, capq;
	size_t bytes;
	bool is_stream;
	int64_t stream_pull; /* a stream's pull id (0: not a stream) */
	int64_t end_pull;    /* a pull's end: its id (op_main(op)->v[1] status, v[4] error) */
	bool failed;         /* the server refused it for good */
	bool transient;      /* the server refused it for now */
	char msg[256];       /* why, when failed */
	char what[WHAT_MAX]; /* for messages: "stream stats of ws-0001 (pull 12)" */
	/*
	 * A fleet: the lease this write is fenced with (its first statement is
	 * the fence; fence_token 0: none), and whether the fence failed.
	 */
	char fence_ws[65];
	int64_t fence_token;
	bool fence_failed;
	/* OP_FLEET: its answer's callback and the results kept until the commit. */
	pg_fleet_done_fn done;
	void *done_arg;
	PGresult *res[OP_RES_MAX];
	size_t nres;
	/* A stream's page digests, remembered (pgdigest_set) once the server confirmed it. */
	bool dg_set;
	int dg_stream;
	char dg_ws[65];
	unsigned char *dg;
	size_t dg_len;
};

/* A workspace row as last written (the store's copy for store_pg_ws_get). */
struct pg_ws {
	char name[65];
	bool removed;
	struct store_ws_saved saved;
};

enum pg_state { PG_DOWN = 0, PG_CONNECTING, PG_READY };

struct store_pg {
	struct event_base *base;
	char *conninfo;
	char *password; /* NULL: libpq's own sources */
	size_t password_len;
	char shown[512]; /* the connection string without its password */
	PGconn *conn;
	enum pg_state state;
	struct event *ev_read, *ev_write, *ev_retry, *ev_stall;
	struct event *ev_connected; /* the connect thread's pipe */
	pthread_t th;               /* the connect thread, while th_running */
	bool th_running;
	PGconn *th_conn; /* its result, the loop's once it said so */
	int th_pipe[2];
	struct pg_op *head, *unsent, *tail;
	size_t inflight; /* writes in the batch in flight (0: none) */
	bool sending;    /* the batch is still being sent (no sync yet) */
	bool draining;   /* at the stop, the loop has ended: no slicing (drain) */
	size_t batch_bytes;
	struct event *ev_more; /* goes on sending or reading in the next turn */
	struct pg_op *cur;     /* the write whose results come next */
	size_t cur_q;          /* ... and its statement */
	uint64_t queue_bytes, queue_ops, queue_max;
	uint64_t refused, failed, reconnects;
	int64_t ids[2 * PG_IDS];
	size_t n_ids;
	bool ids_asked;
	int64_t backoff_ms;
	char why[256]; /* why the connection is down */
	bool said_down;
	mono_ms down_since;
	struct pg_ws *ws;
	size_t n_ws, cap_ws;
	struct pgdigest *digests; /* the stored page digests, as confirmed (store_pg_digest.h) */
	int64_t failed_pulls[64]; /* pulls with a stream dropped (a ring) */
	size_t n_failed_pulls;
	struct store_pg_stream *stream;
	uint64_t call_max_us;     /* the longest stretch the loop spent in libpq (pg_timed) */
	uint64_t call_max_cpu_us; /* ... counting only this thread's CPU time */
	uint64_t calls_over_1ms;
	struct store_pg_fleet *fleet; /* a fleet member's leases and fences (NULL: none) */
	bool cur_fleet_batch;         /* the batch being sent is a fleet statement's, alone */
};

/*
 * The time the loop spends in libpq: every entry from the loop (a socket
 * event, a write's submission) is timed, and the longest kept, so that
 * "the loop never waits on PostgreSQL" is a measured figure
 * (wegauge_store_call_max_seconds), not a belief.
 */
/* The CPU time of this thread, in microseconds. */
static int64_t pg_cpu_us(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void pg_timed_as(struct store_pg *pg, mono_us t0, int64_t c0, const char *what)
{
	uint64_t us = (uint64_t)(clock_mono_us() - t0);
	int64_t cpu = pg_cpu_us() - c0;
	if (cpu > 0 && (uint64_t)cpu > pg->call_max_cpu_us)
		pg->call_max_cpu_us = (uint64_t)cpu;
	if (us > pg->call_max_us)
		pg->call_max_us = us;
	if (us > 1000) {
		pg->calls_over_1ms++;
		log_msg(LOGL_DEBUG, "PostgreSQL store: %s took %.3f ms (%.3f ms of CPU)", what,
		        (double)us / 1000.0, (double)cpu / 1000.0);
	}
}
#define pg_timed(pg, t0) pg_timed_as(pg, t0, c0, __func__)

struct store_pg_stream {
	struct store_pg *pg;
	const struct rowset *rs;
	struct pg_op *op;
	char ws[65];
	int64_t pull_id;
	char now[TS_LEN];
	size_t next;
};

static void pump(struct store_pg *pg);
static void connect_start(struct store_pg *pg);
static void conn_lost(struct store_pg *pg, const char *why);
static void conn_failed(struct store_pg *pg);

/* ---- small text helpers ---- */

struct sbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t len)
{
	if (b->oom)
		return;
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + len + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* One element of an array literal: NULL, or the text double-quoted with " and \ escaped. */
static void sb_elem(struct sbuf *b, const char *s)
{
	if (b->n > 1)
		sb_put(b, ",", 1);
	if (s == NULL) {
		sb_put(b, "NULL", 4);
		return;
	}
	sb_put(b, "\"", 1);
	const char *run = s;
	for (const char *c = s; *c; c++) {
		if (*c == '"' || *c == '\\') {
			sb_put(b, run, (size_t)(c - run));
			sb_put(b, "\\", 1);
			run = c;
		}
	}
	sb_str(b, run);
	sb_put(b, "\"", 1);
}

/*
 * A number as the API sent it, as numeric text: an integer without a
 * decimal point, a real with one (the shortest form that reads back as
 * the same double, with ".0" added when %g gave none), so numeric keeps
 * them apart as SQLite's ANY does. NULL (returned) for none.
 */
static const char *num_text(const struct num *n, char buf[40])
{
	switch (n->kind) {
	case NUM_INT:
		snprintf(buf, 40, "%" PRId64, n->i);
		return buf;
	case NUM_REAL:
		if (!isfinite(n->d))
			return NULL;
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(buf, 40, "%.*g", prec, n->d);
			if (strtod(buf, NULL) == n->d)
				break;
		}
		if (!strpbrk(buf, ".e"))
			strcat(buf, ".0");
		return buf;
	case NUM_NULL:
	default:
		return NULL;
	}
}

/* An instant (epoch seconds, 0 = NULL) as text into buf; NULL for none. */
static const char *instant_text(wall_s t, char buf[TS_LEN])
{
	if (t == 0)
		return NULL;
	ts_format(t, buf);
	return buf;
}

/* "" (or a NUL-less field of cap bytes) is NULL. */
static const char *fixed_text(const char *v, size_t cap)
{
	size_t len = strnlen(v, cap);
	return len == 0 || len == cap ? NULL : v;
}

/* ---- ops ---- */

/* An OP_FLEET's kept results go (its batch was rolled back, or it ended). */
static void op_results_clear(struct pg_op *op)
{
	for (size_t i = 0; i < op->nres; i++)
		PQclear(op->res[i]);
	op->nres = 0;
}

/* An OP_FLEET that will not commit: its callback hears so (once). */
static void op_give_up(struct pg_op *op)
{
	op_results_clear(op);
	if (op->kind == OP_FLEET && op->done) {
		pg_fleet_done_fn done = op->done;
		op->done = NULL;
		done(op->done_arg, false, NULL, 0);
	}
}

static void op_free(struct pg_op *op)
{
	if (!op)
		return;
	op_give_up(op);
	for (size_t i = 0; i < op->nq; i++)
		for (int k = 0; k < op->q[i].n; k++)
			free(op->q[i].v[k]);
	free(op->q);
	free(op->dg);
	free(op);
}

static struct pg_op *op_new(enum pg_op_kind kind, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static struct pg_op *op_new(enum pg_op_kind kind, const char *fmt, ...)
{
	struct pg_op *op = calloc(1, sizeof(*op));
	if (!op)
		return NULL;
	op->kind = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(op->what, sizeof(op->what), fmt, ap);
	va_end(ap);
	return op;
}

/*
 * Add a statement with n parameters (copied; NULL is SQL NULL) to op.
 * -1 on OOM (op stays valid, to be freed).
 */
static int op_add(struct pg_op *op, const char *sql, int n, const char *const *v)
{
	if (op->nq == op->capq) {
		size_t cap = op->capq ? op->capq * 2 : 2;
		struct pg_query *q = realloc(op->q, cap * sizeof(*q));
		if (!q)
			return -1;
		op->q = q;
		op->capq = cap;
	}
	struct pg_query *q = &op->q[op->nq++];
	q->sql = sql;
	q->n = 0;
	op->bytes += strlen(sql) + sizeof(*q);
	for (int i = 0; i < n; i++) {
		q->v[i] = v[i] ? strdup(v[i]) : NULL;
		q->n = i + 1;
		if (v[i] && !q->v[i])
			return -1;
		op->bytes += v[i] ? strlen(v[i]) + 1 : 0;
	}
	return 0;
}

/* Add a statement whose last parameters are owned buffers handed over (arrays). */
static int op_add_owned(struct pg_op *op, const char *sql, int n, const char *const *v, int n_own,
                        char **own)
{
	if (op_add(op, sql, n, v) != 0) {
		for (int i = 0; i < n_own; i++)
			free(own[i]);
		return -1;
	}
	struct pg_query *q = &op->q[op->nq - 1];
	for (int i = 0; i < n_own; i++) {
		q->v[q->n++] = own[i];
		op->bytes += own[i] ? strlen(own[i]) + 1 : 0;
	}
	return 0;
}

static void queue_push(struct store_pg *pg, struct pg_op *op)
{
	if (pg->tail)
		pg->tail->next = op;
	else
		pg->head = op;
	pg->tail = op;
	if (!pg->unsent)
		pg->unsent = op;
	pg->queue_bytes += op->bytes;
	pg->queue_ops++;
}

/* Remove the head op (sent and ended) and free it. */
static void queue_pop(struct store_pg *pg)
{
	struct pg_op *op = pg->head;
	pg->head = op->next;
	if (!pg->head)
		pg->tail = NULL;
	if (pg->unsent == op)
		pg->unsent = op->next;
	pg->inflight--;
	pg->queue_bytes -= op->bytes;
	pg->queue_ops--;
	op_free(op);
}

/* ---- the connection ---- */

static void params(struct store_pg *pg, const char *kw[6], const char *val[6])
{
	int i = 0;
	kw[i] = "connect_timeout";
	val[i++] = "10";
	kw[i] = "dbname";
	val[i++] = pg->conninfo;
	kw[i] = "fallback_application_name";
	val[i++] = "wegauged";
	if (pg->password) {
		kw[i] = "password";
		val[i++] = pg->password;
	}
	kw[i] = NULL;
	val[i] = NULL;
}

/* libpq's message, its first line only, without a trailing newline. */
static void first_line(const char *m, char *out, size_t len)
{
	size_t n = m ? strcspn(m, "\n") : 0;
	if (n >= len)
		n = len - 1;
	if (m)
		memcpy(out, m, n);
	out[n] = '\0';
	if (!out[0])
		snprintf(out, len, "unknown error");
}

static void events_free(struct store_pg *pg)
{
	if (pg->ev_read)
		event_free(pg->ev_read);
	if (pg->ev_write)
		event_free(pg->ev_write);
	pg->ev_read = pg->ev_write = NULL;
}

/* Is this SQLSTATE a refusal for now (send again after a reconnect)? */
static bool sqlstate_transient(const char *s)
{
	if (!s)
		return true; /* no SQLSTATE: libpq's own (connection) error */
	return strncmp(s, "08", 2) == 0 || strncmp(s, "40", 2) == 0 || strncmp(s, "53", 2) == 0 ||
	       strncmp(s, "57", 2) == 0 || strcmp(s, "25006") == 0 || strncmp(s, "58", 2) == 0;
}

static bool pull_dropped(const struct store_pg *pg, int64_t id)
{
	size_t n = pg->n_failed_pulls < 64 ? pg->n_failed_pulls : 64;
	for (size_t i = 0; i < n; i++)
		if (pg->failed_pulls[i] == id)
			return true;
	return false;
}

/* The write's own first statement (after its fence, in a fleet). */
static struct pg_query *op_main(struct pg_op *op)
{
	return &op->q[op->fence_token && op->nq > 1 ? 1 : 0];
}

/* A pull's end, about to be sent: if one of its streams was dropped, it ends partial. */
static void patch_end(struct store_pg *pg, struct pg_op *op)
{
	if (!op->end_pull || !pull_dropped(pg, op->end_pull))
		return;
	struct pg_query *q = op_main(op);
	if (q->n < 5 || !q->v[1] || strcmp(q->v[1], "ok") != 0)
		return;
	char *st = strdup("partial");
	char *er = strdup("a stream was refused by the PostgreSQL store (see the log)");
	if (!st || !er) {
		free(st);
		free(er);
		return;
	}
	free(q->v[1]);
	q->v[1] = st;
	if (!q->v[4]) {
		q->v[4] = er;
	} else {
		free(er);
	}
}

/* Flush what libpq holds; arm the write event while some is left. */
static void flush(struct store_pg *pg)
{
	int f = PQflush(pg->conn);
	if (f < 0) {
		conn_failed(pg);
	} else if (f == 1) {
		event_add(pg->ev_write, NULL);
	}
}

/*
 * Send the next batch, when none is in flight: every write queued, up to
 * PG_BATCH_OPS writes or PG_BATCH_BYTES (one write at least), then one
 * pipeline sync. The batch is one implicit transaction, so the server
 * pays one commit (one WAL flush) for all of it: group commit, as the
 * SQLite store's group of writes. While it is in flight new writes
 * gather for the next.
 */
static void pump(struct store_pg *pg)
{
	if (pg->state != PG_READY)
		return;
	if (!pg->sending && (pg->inflight > 0 || !pg->unsent)) {
		flush(pg);
		return;
	}
	if (!pg->sending) { /* a new batch begins at the head of the queue */
		pg->sending = true;
		pg->batch_bytes = 0;
		pg->cur = pg->head;
		pg->cur_q = 0;
	}
	mono_us t0 = clock_mono_us();
	/*
	 * A fleet member's batches are smaller, so that its heartbeat, which
	 * waits for the batch in flight, is not late; and a fleet's own
	 * statement (a heartbeat, a read) is a batch of its own, so that no
	 * write's failure rolls it back and sends it again.
	 */
	size_t max_ops = pg->fleet ? PG_BATCH_OPS_FLEET : PG_BATCH_OPS;
	size_t max_bytes = pg->fleet ? PG_BATCH_BYTES_FLEET : PG_BATCH_BYTES;
	while (pg->unsent && pg->inflight < max_ops &&
	       (pg->inflight == 0 || pg->batch_bytes + pg->unsent->bytes <= max_bytes)) {
		if (pg->inflight > 0 && (pg->unsent->kind == OP_FLEET || pg->cur_fleet_batch))
			break;
		if (pg->inflight > 0 && !pg->draining && clock_mono_us() - t0 >= PG_SLICE_US) {
			/* The batch goes on in the next turn of the loop. */
			event_active(pg->ev_more, EV_TIMEOUT, 0);
			flush(pg);
			return;
		}
		struct pg_op *op = pg->unsent;
		patch_end(pg, op);
		for (size_t i = 0; i < op->nq; i++) {
			struct pg_query *q = &op->q[i];
			if (!PQsendQueryParams(pg->conn, q->sql, q->n, NULL,
			                       (const char *const *)q->v, NULL, NULL, 0)) {
				conn_failed(pg);
				return;
			}
		}
		pg->inflight++;
		pg->batch_bytes += op->bytes;
		pg->unsent = op->next;
		pg->cur_fleet_batch = op->kind == OP_FLEET;
		/*
		 * Hand each write to the kernel as it is queued, so that libpq
		 * never holds megabytes for one flush to copy; a full socket
		 * ends the slice and the write event goes on with the batch.
		 */
		int f = PQflush(pg->conn);
		if (f < 0) {
			conn_failed(pg);
			return;
		}
		if (f == 1 && !pg->draining) {
			event_add(pg->ev_write, NULL);
			return;
		}
	}
	if (!PQpipelineSync(pg->conn)) {
		conn_failed(pg);
		return;
	}
	pg->sending = false;
	event_add(pg->ev_stall, &(struct timeval){PG_STALL_MS / 1000, 0});
	flush(pg);
}

static void queue_push_first(struct store_pg *pg, struct pg_op *op);

/* Ask for more pull ids when the pool runs low (an op like any write). */
static void ids_refill(struct store_pg *pg)
{
	if (pg->ids_asked || pg->n_ids >= PG_IDS || pg->state != PG_READY)
		return;
	struct pg_op *op = op_new(OP_IDS, "reserving pull ids");
	char n[16];
	snprintf(n, sizeof(n), "%d", PG_IDS);
	const char *v[] = {n};
	if (!op || op_add(op, PG_SQL_IDS, 1, v) != 0) {
		op_free(op);
		return;
	}
	pg->ids_asked = true;
	queue_push_first(pg, op);
}

/*
 * Queue op ahead of the writes not sent yet: first in the next batch (not
 * into a batch being sent). For what the writes do not depend on and
 * should not wait behind: pull ids (pulls waiting to begin need them), a
 * fleet's heartbeat (its leases expire meanwhile).
 */
static void queue_push_first(struct store_pg *pg, struct pg_op *op)
{
	struct pg_op **pp = &pg->head;
	while (*pp && *pp != pg->unsent)
		pp = &(*pp)->next;
	if (pg->sending || !*pp) {
		queue_push(pg, op);
		return;
	}
	op->next = *pp;
	*pp = op;
	pg->unsent = op;
	pg->queue_bytes += op->bytes;
	pg->queue_ops++;
}

/* ---- fences (a fleet member's writes) ---- */

/*
 * A pull's end whose lease is gone: written as cancelled with the error
 * "lease lost", without a fence (only its own pull's row, and only while
 * that row is still running: a member that took the lease over may have
 * closed it already).
 */
static void end_as_lease_lost(struct pg_op *op)
{
	if (op->fence_token && op->nq > 1) { /* the fence is the first statement: drop it */
		struct pg_query *f = &op->q[0];
		for (int k = 0; k < f->n; k++)
			free(f->v[k]);
		memmove(&op->q[0], &op->q[1], (op->nq - 1) * sizeof(op->q[0]));
		op->nq--;
	}
	op->fence_token = 0;
	op->fence_ws[0] = '\0';
	struct pg_query *q = &op->q[0];
	char *st = strdup("cancelled"), *er = strdup("lease lost");
	if (q->n < 5 || !st || !er) {
		free(st);
		free(er);
		return;
	}
	free(q->v[1]);
	q->v[1] = st;
	free(q->v[4]);
	q->v[4] = er;
	q->sql = PG_SQL_PULL_END_LOST;
}

/*
 * Fence op, a write of workspace ws, when this store is a fleet member's:
 * its first statement checks the lease (PG_SQL_FENCE) with the token held,
 * so that a write whose lease is being taken over fails before it touches
 * (and locks) any row the new owner's writes will touch.
 * Without a lease a pull's end is written as lost (end_as_lease_lost) and
 * any other write is refused: SQLITE_CONSTRAINT with err (the caller frees
 * op). 0 otherwise (also without a fleet).
 */
static int fence(struct store_pg *pg, struct pg_op *op, const char *ws, char *err, size_t errlen)
{
	if (!pg->fleet)
		return SQLITE_OK;
	int64_t t = store_pg_fleet_token(pg->fleet, ws);
	if (t > 0) {
		char tok[24];
		snprintf(tok, sizeof(tok), "%" PRId64, t);
		const char *v[] = {ws, store_pg_fleet_member(pg->fleet), tok};
		if (op_add(op, PG_SQL_FENCE, 3, v) != 0) {
			errbuf_set(err, errlen, "PostgreSQL store: out of memory");
			return SQLITE_NOMEM;
		}
		struct pg_query fq = op->q[op->nq - 1]; /* to the front */
		memmove(&op->q[1], &op->q[0], (op->nq - 1) * sizeof(op->q[0]));
		op->q[0] = fq;
		snprintf(op->fence_ws, sizeof(op->fence_ws), "%s", ws);
		op->fence_token = t;
		return SQLITE_OK;
	}
	if (op->end_pull) {
		end_as_lease_lost(op);
		return SQLITE_OK;
	}
	if (t < 0)
		store_pg_fleet_fenced(pg->fleet, ws, t, 0); /* refused here: counted as fenced */
	errbuf_set(err, errlen, "lease lost: workspace %s is not leased to member %s", ws,
	           store_pg_fleet_member(pg->fleet));
	return SQLITE_CONSTRAINT;
}

/*
 * The server fenced bad (SQLSTATE WG001): its lease is lost. Every queued
 * write of the same lease goes (counted as fenced) but a pull's end, which
 * is written as lost instead (end_as_lease_lost); the rest of the batch is
 * sent again; the fleet hears of the loss.
 */
static void fence_lost(struct store_pg *pg, struct pg_op *bad)
{
	char ws[65];
	int64_t token = bad->fence_token;
	snprintf(ws, sizeof(ws), "%s", bad->fence_ws);
	log_msg(LOGL_WARNING, "PostgreSQL store: %s fenced: %s", bad->what, bad->msg);
	uint64_t dropped = 0;
	struct pg_op **pp = &pg->head, *prev = NULL;
	while (*pp) {
		struct pg_op *op = *pp;
		op->failed = op->transient = op->fence_failed = false;
		op->msg[0] = '\0';
		op_results_clear(op);
		if (op->fence_token == token && strcmp(op->fence_ws, ws) == 0) {
			if (op->end_pull) {
				end_as_lease_lost(op);
			} else {
				*pp = op->next;
				pg->queue_bytes -= op->bytes;
				pg->queue_ops--;
				if (op->stream_pull) {
					pg->failed_pulls[pg->n_failed_pulls % 64] = op->stream_pull;
					pg->n_failed_pulls++;
				}
				op_free(op);
				dropped++;
				continue;
			}
		}
		prev = op;
		pp = &op->next;
	}
	pg->tail = prev;
	pg->inflight = 0;
	pg->unsent = pg->head;
	store_pg_fleet_fenced(pg->fleet, ws, token, dropped);
}

/*
 * The batch's sync arrived. Without an error every write of it is stored:
 * they leave the queue. An error rolled the whole batch back: one the
 * server may not repeat later (a lost connection, a failover, a
 * serialization failure, a full disk) drops the connection and the batch
 * goes again after the reconnect; a refusal for good drops the one write
 * that caused it (the first error; the writes after it were only skipped)
 * and the others go again in the next batch. False when the connection
 * went.
 */
static bool batch_ended(struct store_pg *pg)
{
	event_del(pg->ev_stall);
	struct pg_op *bad = NULL, *op = pg->head;
	for (size_t i = 0; i < pg->inflight && op; i++, op = op->next)
		if (op->failed || op->transient) {
			bad = op;
			break;
		}
	if (bad && bad->transient) {
		char m[256];
		errbuf_set(m, sizeof(m), "%s: %s", bad->what, bad->msg);
		conn_lost(pg, m);
		return false;
	}
	if (!bad) {
		while (pg->inflight > 0) {
			struct pg_op *h = pg->head;
			if (h->kind == OP_IDS)
				pg->ids_asked = false;
			if (h->kind == OP_FLEET && h->done) {
				pg_fleet_done_fn done = h->done;
				h->done = NULL;
				done(h->done_arg, true, h->res, h->nres);
			}
			if (h->dg_set)
				pgdigest_set(pg->digests, h->dg_ws, h->dg_stream, h->dg, h->dg_len);
			queue_pop(pg);
		}
		return true;
	}
	if (bad->fence_failed && pg->fleet) {
		fence_lost(pg, bad);
		return true;
	}
	pg->failed++;
	log_msg(LOGL_ERR, "PostgreSQL store: %s refused by the server, not stored: %s", bad->what,
	        bad->msg);
	if (bad->stream_pull) {
		pg->failed_pulls[pg->n_failed_pulls % 64] = bad->stream_pull;
		pg->n_failed_pulls++;
	}
	if (bad->kind == OP_IDS)
		pg->ids_asked = false;
	/* Take bad out of the queue; the rest of the batch is unsent again. */
	struct pg_op **pp = &pg->head, *prev = NULL;
	while (*pp != bad) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = bad->next;
	if (pg->tail == bad)
		pg->tail = prev;
	pg->queue_bytes -= bad->bytes;
	pg->queue_ops--;
	op_free(bad);
	for (op = pg->head; op; op = op->next) {
		op->failed = op->transient = op->fence_failed = false;
		op->msg[0] = '\0';
		op_results_clear(op);
	}
	pg->inflight = 0;
	pg->unsent = pg->head;
	return true;
}

/*
 * One result of the statement cur_q of write cur (the batch's results come
 * in order). True when the write kept r (an OP_FLEET's rows): not to clear.
 */
static bool result(struct store_pg *pg, PGresult *r)
{
	struct pg_op *op = pg->cur;
	if (!op)
		return false;
	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
		if (op->kind == OP_IDS)
			for (int i = 0; i < PQntuples(r) && pg->n_ids < 2 * PG_IDS; i++)
				pg->ids[pg->n_ids++] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		if (op->kind == OP_FLEET && op->nres < OP_RES_MAX) {
			op->res[op->nres++] = r;
			return true;
		}
		break;
	case PGRES_FATAL_ERROR: {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		if (!op->failed && !op->transient) {
			first_line(PQresultErrorMessage(r), op->msg, sizeof(op->msg));
			if (sqlstate_transient(state))
				op->transient = true;
			else
				op->failed = true;
			op->fence_failed = state && strcmp(state, PG_SQLSTATE_LEASE_LOST) == 0;
		}
		break;
	}
	default: /* COMMAND_OK; PIPELINE_ABORTED: skipped after an earlier error */
		break;
	}
	return false;
}

/* Consume every result there is. False when the connection went meanwhile. */
static bool consume(struct store_pg *pg)
{
	if (!PQconsumeInput(pg->conn)) {
		conn_failed(pg);
		return false;
	}
	mono_us t0 = clock_mono_us();
	int nulls = 0;
	while (pg->state == PG_READY && pg->inflight > 0 && !PQisBusy(pg->conn)) {
		if (!pg->draining && clock_mono_us() - t0 >= PG_SLICE_US) {
			/* More results are buffered: the next turn of the loop reads them. */
			event_active(pg->ev_more, EV_TIMEOUT, 0);
			break;
		}
		PGresult *r = PQgetResult(pg->conn);
		if (!r && nulls++ > 0)
			break; /* two in a row: nothing more to read now (libpq is idle) */
		if (r)
			nulls = 0;
		if (!r) {
			/* The end of one statement's results: on to the next statement. */
			if (pg->cur && ++pg->cur_q >= pg->cur->nq) {
				pg->cur = pg->cur->next;
				pg->cur_q = 0;
			}
			continue;
		}
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			pg->cur = NULL;
			if (!batch_ended(pg))
				return false;
			continue;
		}
		if (!result(pg, r))
			PQclear(r);
	}
	if (pg->state == PG_READY && PQstatus(pg->conn) == CONNECTION_BAD) {
		conn_failed(pg);
		return false;
	}
	return true;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct store_pg *pg = arg;
	mono_us t0 = loopstat_begin();
	int64_t c0 = pg_cpu_us();
	if (consume(pg)) {
		ids_refill(pg);
		pump(pg);
	}
	pg_timed(pg, t0);
	loopstat_end(t0, "PostgreSQL results");
}

/* A batch too long to send or read in one turn goes on here (PG_SLICE_US per turn). */
static void on_more(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct store_pg *pg = arg;
	mono_us t0 = loopstat_begin();
	int64_t c0 = pg_cpu_us();
	if (pg->state == PG_READY && consume(pg)) {
		ids_refill(pg);
		pump(pg);
	}
	pg_timed(pg, t0);
	loopstat_end(t0, "PostgreSQL more");
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct store_pg *pg = arg;
	mono_us t0 = loopstat_begin();
	int64_t c0 = pg_cpu_us();
	pump(pg);
	pg_timed(pg, t0);
	loopstat_end(t0, "PostgreSQL send");
}

/* No answer to a write for PG_STALL_MS: the server or the network hangs. */
static void on_stall(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct store_pg *pg = arg;
	if (pg->state == PG_READY && pg->inflight > 0)
		conn_lost(pg, "no answer from the server for 120 s");
}

/* The connection is up and set: watch its socket, resend what is unconfirmed. */
static int go_ready(struct store_pg *pg, char *m, size_t mlen)
{
	if (PQsetnonblocking(pg->conn, 1) != 0 || PQenterPipelineMode(pg->conn) != 1) {
		first_line(PQerrorMessage(pg->conn), m, mlen);
		return -1;
	}
	int fd = PQsocket(pg->conn);
	events_free(pg);
	pg->ev_read = event_new(pg->base, fd, EV_READ | EV_PERSIST, on_read, pg);
	pg->ev_write = event_new(pg->base, fd, EV_WRITE, on_write, pg);
	if (!pg->ev_read || !pg->ev_write || event_add(pg->ev_read, NULL) != 0) {
		snprintf(m, mlen, "out of memory");
		return -1;
	}
	pg->state = PG_READY;
	pg->unsent = pg->head;
	pg->inflight = 0;
	return 0;
}

/*
 * The connection is gone (or an attempt failed): close it, put every
 * unconfirmed write back to be sent again, and try again after the backoff.
 */
/* conn_lost with libpq's own message (its first line) for why. */
static void conn_failed(struct store_pg *pg)
{
	char m[256];
	first_line(PQerrorMessage(pg->conn), m, sizeof(m));
	conn_lost(pg, m);
}

static void conn_lost(struct store_pg *pg, const char *why)
{
	bool was_ready = pg->state == PG_READY;
	events_free(pg);
	if (pg->ev_stall)
		event_del(pg->ev_stall);
	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = NULL;
	pg->state = PG_DOWN;
	/* Unconfirmed writes go again; a reservation of ids is asked again. */
	struct pg_op **pp = &pg->head, *prev = NULL;
	while (*pp) {
		struct pg_op *op = *pp;
		op->failed = op->transient = op->fence_failed = false;
		op->msg[0] = '\0';
		op_results_clear(op);
		if (op->kind == OP_IDS || op->kind == OP_FLEET) { /* asked again when up */
			*pp = op->next;
			pg->queue_bytes -= op->bytes;
			pg->queue_ops--;
			op_free(op);
			continue;
		}
		prev = op;
		pp = &op->next;
	}
	pg->tail = prev;
	pg->unsent = pg->head;
	pg->inflight = 0;
	pg->sending = false;
	pg->cur = NULL;
	pg->ids_asked = false;
	snprintf(pg->why, sizeof(pg->why), "%s", why);
	if (was_ready || !pg->said_down) {
		log_msg(LOGL_WARNING,
		        "PostgreSQL store (%s): %s; reconnecting, %" PRIu64
		        " writes wait and pulls are held meanwhile",
		        pg->shown, why, pg->queue_ops);
		pg->said_down = true;
		pg->down_since = clock_mono_ms();
	}
	pg->backoff_ms = pg->backoff_ms ? pg->backoff_ms * 2 : PG_RETRY_MIN_MS;
	if (pg->backoff_ms > PG_RETRY_MAX_MS)
		pg->backoff_ms = PG_RETRY_MAX_MS;
	if (pg->ev_retry)
		event_add(pg->ev_retry,
		          &(struct timeval){pg->backoff_ms / 1000, (pg->backoff_ms % 1000) * 1000});
}

/*
 * Connecting again happens on a thread of its own: PQconnectdbParams
 * resolves host names (getaddrinfo, which blocks), connects, negotiates
 * TLS and authenticates, honouring connect_timeout for each host, and no
 * part of that may hold the loop. PQconnectPoll would do all but the
 * resolution without blocking; the thread does all of it. The thread
 * touches only pg->conninfo and pg->password (never changed after the
 * open) and its own result, pg->th_conn, and says it is done by writing a
 * byte to pg->th_pipe; the loop then joins it and owns the connection.
 */
static void *connect_main(void *arg)
{
	struct store_pg *pg = arg;
	const char *kw[6], *val[6];
	params(pg, kw, val);
	pg->th_conn = PQconnectdbParams(kw, val, 1);
	char one = 1;
	while (write(pg->th_pipe[1], &one, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* The connect thread is done: take its connection, or its failure. */
static void on_connected(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct store_pg *pg = arg;
	mono_us t0 = loopstat_begin();
	int64_t c0 = pg_cpu_us();
	char b;
	while (read(fd, &b, 1) < 0 && errno == EINTR)
		;
	pthread_join(pg->th, NULL);
	pg->th_running = false;
	pg->conn = pg->th_conn;
	pg->th_conn = NULL;
	char m[256];
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		first_line(pg->conn ? PQerrorMessage(pg->conn) : "out of memory", m, sizeof(m));
		conn_lost(pg, m);
	} else if (go_ready(pg, m, sizeof(m)) != 0) {
		conn_lost(pg, m);
	} else {
		pg->reconnects++;
		pg->backoff_ms = 0;
		if (pg->said_down)
			log_msg(LOGL_NOTICE,
			        "PostgreSQL store (%s): connected again after %.1f s; sending "
			        "%" PRIu64 " waiting writes",
			        pg->shown, (double)(clock_mono_ms() - pg->down_since) / 1000.0,
			        pg->queue_ops);
		pg->said_down = false;
		if (pg->fleet)
			store_pg_fleet_reconnected(pg->fleet);
		ids_refill(pg);
		pump(pg);
	}
	pg_timed(pg, t0);
	loopstat_end(t0, "PostgreSQL connected");
}

static void connect_start(struct store_pg *pg)
{
	if (pg->th_running)
		return;
	pg->state = PG_CONNECTING;
	pg->th_running = true;
	if (pthread_create(&pg->th, NULL, connect_main, pg) != 0) {
		pg->th_running = false;
		conn_lost(pg, "cannot start a thread to connect");
	}
}

/* ---- opening: blocking, before the loop runs ---- */

static int exec_ok(PGconn *c, const char *sql, int n, const char *const *v, PGresult **out,
                   char *err, size_t errlen, const char *what)
{
	PGresult *r = n ? PQexecParams(c, sql, n, NULL, v, NULL, NULL, 0) : PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) {
		if (out)
			*out = r;
		else
			PQclear(r);
		return 0;
	}
	char m[256];
	first_line(r ? PQresultErrorMessage(r) : PQerrorMessage(c), m, sizeof(m));
	errbuf_set(err, errlen, "%s: %s", what, m);
	PQclear(r);
	return -1;
}

/* Bring the schema to this build's (schema/pg), in one transaction per file, locked. */
static int migrate(struct store_pg *pg, char *err, size_t errlen)
{
	PGconn *c = pg->conn;
	char what[600];
	snprintf(what, sizeof(what), "store %s", pg->shown);
	int latest = (int)store_pg_schema_count;
	PGresult *r = NULL;
	if (exec_ok(c, "BEGIN", 0, NULL, NULL, err, errlen, what) != 0 ||
	    exec_ok(c, PG_SQL_MIGRATE_LOCK, 0, NULL, NULL, err, errlen, what) != 0 ||
	    exec_ok(c, PG_SQL_IDENTIFY, 0, NULL, &r, err, errlen, what) != 0)
		goto fail;
	bool marked = PQgetvalue(r, 0, 0)[0] == 't', has_ws = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	r = NULL;
	int version = 0;
	if (!marked && has_ws) {
		errbuf_set(
		        err, errlen,
		        "%s: the database has a table \"workspace\" but no wegauge_schema: not a "
		        "wegauge store (use another database or schema)",
		        what);
		goto fail;
	}
	if (marked) {
		if (exec_ok(c, PG_SQL_VERSION, 0, NULL, &r, err, errlen, what) != 0)
			goto fail;
		version = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
		r = NULL;
	}
	if (version > latest) {
		errbuf_set(
		        err, errlen,
		        "%s: schema version %d is newer than this wegauged (%d): upgrade wegauged",
		        what, version, latest);
		goto fail;
	}
	for (int i = version; i < latest; i++) {
		const struct store_schema_file *f = &store_pg_schema_files[i];
		char w[700], ver[16];
		snprintf(w, sizeof(w), "%s: schema/pg/%s", what, f->name);
		snprintf(ver, sizeof(ver), "%d", f->version);
		const char *v[] = {ver, f->name};
		if (exec_ok(c, f->sql, 0, NULL, NULL, err, errlen, w) != 0 ||
		    exec_ok(c, PG_SQL_VERSION_ADD, 2, v, NULL, err, errlen, w) != 0)
			goto fail;
		log_msg(LOGL_INFO, "%s: applied schema/pg/%s", what, f->name);
	}
	if (exec_ok(c, "COMMIT", 0, NULL, NULL, err, errlen, what) != 0)
		goto fail;
	return 0;
fail:
	PQclear(r);
	PQclear(PQexec(c, "ROLLBACK"));
	return -1;
}

static struct pg_ws *ws_find(struct store_pg *pg, const char *name)
{
	for (size_t i = 0; i < pg->n_ws; i++)
		if (strcmp(pg->ws[i].name, name) == 0)
			return &pg->ws[i];
	return NULL;
}

static struct pg_ws *ws_add(struct store_pg *pg, const char *name)
{
	struct pg_ws *w = ws_find(pg, name);
	if (w)
		return w;
	if (strlen(name) >= sizeof(w->name))
		return NULL;
	if (pg->n_ws == pg->cap_ws) {
		size_t cap = pg->cap_ws ? pg->cap_ws * 2 : 16;
		struct pg_ws *n = realloc(pg->ws, cap * sizeof(*n));
		if (!n)
			return NULL;
		pg->ws = n;
		pg->cap_ws = cap;
	}
	w = &pg->ws[pg->n_ws++];
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	return w;
}

/* src (NULL is "") into dst, cut at cap - 1 bytes. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static int load_ws(struct store_pg *pg, char *err, size_t errlen)
{
	PGresult *r = NULL;
	char what[600];
	snprintf(what, sizeof(what), "store %s: reading the workspaces", pg->shown);
	if (exec_ok(pg->conn, PG_SQL_WS_LOAD, 0, NULL, &r, err, errlen, what) != 0)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		struct pg_ws *w = ws_add(pg, PQgetvalue(r, i, 0));
		if (!w)
			continue;
		struct store_ws_saved *s = &w->saved;
		copy_cut(s->state, sizeof(s->state), PQgetvalue(r, i, 1));
		w->removed = strcmp(s->state, "removed") == 0;
		copy_cut(s->state_reason, sizeof(s->state_reason), PQgetvalue(r, i, 2));
		copy_cut(s->license_code, sizeof(s->license_code), PQgetvalue(r, i, 3));
		copy_cut(s->base_url, sizeof(s->base_url), PQgetvalue(r, i, 4));
		copy_cut(s->key_fingerprint, sizeof(s->key_fingerprint), PQgetvalue(r, i, 5));
		s->last_pull_at = strtoll(PQgetvalue(r, i, 6), NULL, 10);
		s->last_success_at = strtoll(PQgetvalue(r, i, 7), NULL, 10);
		s->consecutive_failures = atoi(PQgetvalue(r, i, 8));
	}
	PQclear(r);
	return 0;
}

/* One hex digit's value, or -1. */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The remembered page digests of every stream into pg->digests. A value
 * that is not bytea's hex output is skipped (that stream's pages are then
 * all parsed: safe).
 */
static int load_digests(struct store_pg *pg, char *err, size_t errlen)
{
	pg->digests = pgdigest_new();
	if (!pg->digests) {
		errbuf_set(err, errlen, "store %s: out of memory", pg->shown);
		return -1;
	}
	PGresult *r = NULL;
	char what[600];
	snprintf(what, sizeof(what), "store %s: reading the page digests", pg->shown);
	if (exec_ok(pg->conn, PG_SQL_STREAM_DIGEST_LOAD, 0, NULL, &r, err, errlen, what) != 0)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		int sn = stream_from_name(PQgetvalue(r, i, 1));
		const char *hex = PQgetvalue(r, i, 2);
		size_t hl = strlen(hex);
		if (sn < 0 || hl < 2 || hex[0] != '\\' || hex[1] != 'x' || (hl - 2) % 2 != 0)
			continue;
		size_t n = (hl - 2) / 2;
		unsigned char *b = malloc(n ? n : 1);
		if (!b)
			break;
		bool ok = true;
		for (size_t k = 0; k < n && ok; k++) {
			int hi = hexval(hex[2 + 2 * k]), lo = hexval(hex[3 + 2 * k]);
			ok = hi >= 0 && lo >= 0;
			b[k] = (unsigned char)(hi << 4 | (lo & 0xf));
		}
		if (ok)
			pgdigest_set(pg->digests, PQgetvalue(r, i, 0), sn, b, n);
		free(b);
	}
	PQclear(r);
	return 0;
}

static int reserve_ids_now(struct store_pg *pg, char *err, size_t errlen)
{
	char n[16], what[600];
	snprintf(n, sizeof(n), "%d", PG_IDS);
	snprintf(what, sizeof(what), "store %s: reserving pull ids", pg->shown);
	const char *v[] = {n};
	PGresult *r = NULL;
	if (exec_ok(pg->conn, PG_SQL_IDS, 1, v, &r, err, errlen, what) != 0)
		return -1;
	for (int i = 0; i < PQntuples(r) && pg->n_ids < 2 * PG_IDS; i++)
		pg->ids[pg->n_ids++] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	PQclear(r);
	return 0;
}

static void pg_free(struct store_pg *pg)
{
	if (pg->th_running) {
		pthread_join(pg->th, NULL); /* at most connect_timeout per host */
		pg->th_running = false;
		if (pg->th_conn)
			PQfinish(pg->th_conn);
	}
	if (pg->ev_connected)
		event_free(pg->ev_connected);
	for (int i = 0; i < 2; i++)
		if (pg->th_pipe[i] >= 0)
			close(pg->th_pipe[i]);
	events_free(pg);
	if (pg->ev_retry)
		event_free(pg->ev_retry);
	if (pg->ev_stall)
		event_free(pg->ev_stall);
	if (pg->ev_more)
		event_free(pg->ev_more);
	if (pg->conn)
		PQfinish(pg->conn);
	while (pg->head) {
		struct pg_op *op = pg->head;
		pg->head = op->next;
		op_free(op);
	}
	pgdigest_free(pg->digests);
	if (pg->password) {
		explicit_bzero(pg->password, pg->password_len);
		free(pg->password);
	}
	if (pg->conninfo) {
		explicit_bzero(pg->conninfo, strlen(pg->conninfo));
		free(pg->conninfo);
	}
	free(pg->ws);
	store_pg_fleet_free(pg->fleet);
	free(pg);
}

static void on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct store_pg *pg = arg;
	mono_us t0 = loopstat_begin();
	int64_t c0 = pg_cpu_us();
	if (pg->state == PG_DOWN)
		connect_start(pg);
	pg_timed(pg, t0);
	loopstat_end(t0, "PostgreSQL reconnect");
}

int store_pg_open(struct store_pg **out, const char *conninfo, const struct store_opts *o,
                  char *err, size_t errlen)
{
	*out = NULL;
	if (!o || !o->base) {
		errbuf_set(err, errlen, "store: a PostgreSQL store needs the event loop");
		return SQLITE_MISUSE;
	}
	struct store_pg *pg = calloc(1, sizeof(*pg));
	if (pg)
		pg->th_pipe[0] = pg->th_pipe[1] = -1;
	if (!pg || !(pg->conninfo = strdup(conninfo))) {
		free(pg);
		errbuf_set(err, errlen, "store: out of memory");
		return SQLITE_NOMEM;
	}
	pg->base = o->base;
	pg->queue_max = o->queue_max ? o->queue_max : DEFAULT_QUEUE_MAX;
	store_target_redact(conninfo, pg->shown, sizeof(pg->shown));
	if (o->password) {
		pg->password_len = strlen(o->password);
		pg->password = strdup(o->password);
		if (!pg->password) {
			pg_free(pg);
			errbuf_set(err, errlen, "store: out of memory");
			return SQLITE_NOMEM;
		}
	}
	pg->ev_retry = evtimer_new(pg->base, on_retry_timer, pg);
	pg->ev_stall = evtimer_new(pg->base, on_stall, pg);
	pg->ev_more = event_new(pg->base, -1, 0, on_more, pg);
	if (pipe(pg->th_pipe) == 0 && fcntl(pg->th_pipe[0], F_SETFD, FD_CLOEXEC) == 0 &&
	    fcntl(pg->th_pipe[1], F_SETFD, FD_CLOEXEC) == 0 &&
	    fcntl(pg->th_pipe[0], F_SETFL, O_NONBLOCK) == 0)
		pg->ev_connected =
		        event_new(pg->base, pg->th_pipe[0], EV_READ | EV_PERSIST, on_connected, pg);
	if (!pg->ev_retry || !pg->ev_stall || !pg->ev_more || !pg->ev_connected ||
	    event_add(pg->ev_connected, NULL) != 0) {
		pg_free(pg);
		errbuf_set(err, errlen, "store: out of memory");
		return SQLITE_NOMEM;
	}
	const char *kw[6], *val[6];
	params(pg, kw, val);
	pg->conn = PQconnectdbParams(kw, val, 1);
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		char m[256];
		first_line(pg->conn ? PQerrorMessage(pg->conn) : "out of memory", m, sizeof(m));
		errbuf_set(err, errlen, "store %s: cannot connect: %s", pg->shown, m);
		pg_free(pg);
		return SQLITE_CANTOPEN;
	}
	if (migrate(pg, err, errlen) != 0 || load_ws(pg, err, errlen) != 0 ||
	    load_digests(pg, err, errlen) != 0 || reserve_ids_now(pg, err, errlen) != 0) {
		pg_free(pg);
		return SQLITE_ERROR;
	}
	if (o->fleet_member && !(pg->fleet = store_pg_fleet_open(pg, pg->conn, o->fleet_member,
	                                                         o->fleet_lease_ms, err, errlen))) {
		pg_free(pg);
		return SQLITE_ERROR;
	}
	char m[256];
	if (go_ready(pg, m, sizeof(m)) != 0) {
		errbuf_set(err, errlen, "store %s: %s", pg->shown, m);
		pg_free(pg);
		return SQLITE_ERROR;
	}
	log_msg(LOGL_INFO, "store: PostgreSQL %s (server %d), schema version %zu", pg->shown,
	        PQserverVersion(pg->conn), store_pg_schema_count);
	*out = pg;
	return SQLITE_OK;
}

/*
 * At close the loop has ended: drain the queue here, blocking, with
 * poll() on the socket, for at most PG_DRAIN_MS; reconnect blocking if
 * the connection is down. What is left is said and lost (each write is
 * whole or absent in the store: never half).
 */
/* Writes still queued (an id reservation is not one). */
static uint64_t writes_left(const struct store_pg *pg)
{
	uint64_t n = 0;
	for (const struct pg_op *op = pg->head; op; op = op->next)
		n += op->kind == OP_WRITE;
	return n;
}

static void drain(struct store_pg *pg)
{
	mono_ms end = clock_mono_ms() + PG_DRAIN_MS;
	event_del(pg->ev_retry);
	pg->draining = true;
	while (writes_left(pg) > 0 && clock_mono_ms() < end) {
		if (pg->state != PG_READY) {
			if (pg->conn)
				PQfinish(pg->conn);
			pg->state = PG_DOWN;
			const char *kw[6], *val[6];
			params(pg, kw, val);
			pg->conn = PQconnectdbParams(kw, val, 1);
			char m[256];
			if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK ||
			    go_ready(pg, m, sizeof(m)) != 0) {
				event_del(pg->ev_retry);
				poll(NULL, 0, 200);
				continue;
			}
		}
		event_del(pg->ev_retry);
		pump(pg);
		if (pg->state != PG_READY)
			continue;
		struct pollfd p = {.fd = PQsocket(pg->conn), .events = POLLIN};
		if (PQflush(pg->conn) == 1)
			p.events |= POLLOUT;
		/* No wait when libpq holds results already read; else a short one. */
		bool ready = pg->inflight > 0 && !PQisBusy(pg->conn);
		poll(&p, 1, ready ? 0 : 100);
		consume(pg);
		event_del(pg->ev_retry);
	}
}

int store_pg_drain(struct store_pg *pg, char *err, size_t errlen)
{
	drain(pg);
	uint64_t n = writes_left(pg);
	if (n == 0)
		return SQLITE_OK;
	errbuf_set(err, errlen,
	           "PostgreSQL store (%s): %" PRIu64
	           " writes not stored at the stop (%s); their pulls are pulled again next time",
	           pg->shown, n, pg->why[0] ? pg->why : "the server did not answer in time");
	return SQLITE_IOERR;
}

int store_pg_close(struct store_pg *pg)
{
	if (!pg)
		return SQLITE_OK;
	store_pg_stream_abort(pg->stream);
	if (pg->fleet)
		store_pg_fleet_leave(pg->fleet);
	char err[512];
	int rc = store_pg_drain(pg, err, sizeof(err));
	if (rc != SQLITE_OK)
		log_msg(LOGL_ERR, "%s", err);
	pg_free(pg);
	return rc;
}

/* ---- the interface ---- */

static int unavailable(struct store_pg *pg, char *err, size_t errlen)
{
	store_pg_unavailable(pg, err, errlen);
	return SQLITE_BUSY;
}

void store_pg_unavailable(const struct store_pg *pg, char *buf, size_t len)
{
	if (pg->state != PG_READY)
		errbuf_set(buf, len, "PostgreSQL store unavailable (%s): %s", pg->shown,
		           pg->why[0] ? pg->why : "connecting");
	else if (pg->n_ids == 0)
		errbuf_set(buf, len, "PostgreSQL store (%s): waiting for pull ids from the server",
		           pg->shown);
	else
		errbuf_set(buf, len, "PostgreSQL store (%s)", pg->shown);
}

int store_pg_try_lock(struct store_pg *pg, char *err, size_t errlen)
{
	if (pg->state != PG_READY || pg->n_ids == 0)
		return unavailable(pg, err, errlen);
	return SQLITE_OK;
}

void store_pg_stats(const struct store_pg *pg, struct store_queue_stats *s)
{
	*s = (struct store_queue_stats){
	        .pg = true,
	        .connected = pg->state == PG_READY,
	        .bytes = pg->queue_bytes,
	        .ops = pg->queue_ops,
	        .refused = pg->refused,
	        .failed = pg->failed,
	        .reconnects = pg->reconnects,
	        .call_max_us = pg->call_max_us,
	        .call_max_cpu_us = pg->call_max_cpu_us,
	        .calls_over_1ms = pg->calls_over_1ms,
	};
}

static int oom(struct pg_op *op, char *err, size_t errlen)
{
	op_free(op);
	errbuf_set(err, errlen, "PostgreSQL store: out of memory");
	return SQLITE_NOMEM;
}

/* Queue op when the store is up; else free it and say unavailable. */
static int submit(struct store_pg *pg, struct pg_op *op, char *err, size_t errlen)
{
	if (pg->state != PG_READY) {
		op_free(op);
		return unavailable(pg, err, errlen);
	}
	mono_us t0 = clock_mono_us();
	int64_t c0 = pg_cpu_us();
	queue_push(pg, op);
	pump(pg);
	pg_timed(pg, t0);
	return SQLITE_OK;
}

int store_pg_ws_put(struct store_pg *pg, const struct store_ws *w, char *err, size_t errlen)
{
	if (pg->state != PG_READY)
		return unavailable(pg, err, errlen);
	char lp[TS_LEN], ls[TS_LEN], np[TS_LEN], fails[16], reason[SHOWN_MAX + 1], price[48],
	        interval[24];
	snprintf(fails, sizeof(fails), "%d", w->consecutive_failures);
	/* The price as SQLite gets it: the double nearest e4 / 10000 (float8's input rounds so). */
	snprintf(price, sizeof(price), "%lld.%04lld", (long long)(w->seat_price_e4 / 10000),
	         (long long)(w->seat_price_e4 % 10000));
	snprintf(interval, sizeof(interval), "%lld", (long long)w->interval_s);
	const char *shown = NULL;
	if (w->state_reason) {
		textesc_buf(reason, sizeof(reason), w->state_reason, strlen(w->state_reason),
		            TEXTESC_VISIBLE);
		shown = reason;
	}
	const char *v[] = {w->name,
	                   w->license_code,
	                   w->data_center,
	                   w->base_url,
	                   w->key_fingerprint,
	                   w->state,
	                   shown,
	                   instant_text(w->last_pull_at, lp),
	                   instant_text(w->last_success_at, ls),
	                   instant_text(w->next_pull_at, np),
	                   fails,
	                   w->has_seat_price ? price : NULL,
	                   w->currency,
	                   w->interval_s > 0 ? interval : NULL};
	struct pg_op *op = op_new(OP_WRITE, "workspace row %s", w->name);
	if (!op || op_add(op, PG_SQL_WS_PUT, 14, v) != 0)
		return oom(op, err, errlen);
	int frc = fence(pg, op, w->name, err, errlen);
	if (frc != SQLITE_OK) {
		op_free(op);
		return frc;
	}
	struct pg_ws *c = ws_add(pg, w->name);
	if (c) {
		struct store_ws_saved *s = &c->saved;
		copy_cut(s->state, sizeof(s->state), w->state);
		c->removed = strcmp(s->state, "removed") == 0;
		copy_cut(s->state_reason, sizeof(s->state_reason), shown);
		copy_cut(s->license_code, sizeof(s->license_code), w->license_code);
		copy_cut(s->base_url, sizeof(s->base_url), w->base_url);
		copy_cut(s->key_fingerprint, sizeof(s->key_fingerprint), w->key_fingerprint);
		s->last_pull_at = w->last_pull_at;
		s->last_success_at = w->last_success_at;
		s->consecutive_failures = w->consecutive_failures;
	}
	return submit(pg, op, err, errlen);
}

int store_pg_ws_get(struct store_pg *pg, const char *name, struct store_ws_saved *out, char *err,
                    size_t errlen)
{
	(void)err;
	(void)errlen;
	struct pg_ws *w = ws_find(pg, name);
	if (!w)
		return 0;
	*out = w->saved;
	return 1;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int store_pg_ws_each_active(struct store_pg *pg, void (*fn)(const char *name, void *arg), void *arg,
                            char *err, size_t errlen)
{
	const char **names = calloc(pg->n_ws + 1, sizeof(*names));
	char(*copy)[65] = calloc(pg->n_ws + 1, sizeof(*copy));
	if (!names || !copy) {
		free(names);
		free(copy);
		errbuf_set(err, errlen, "PostgreSQL store: out of memory");
		return SQLITE_NOMEM;
	}
	size_t n = 0;
	for (size_t i = 0; i < pg->n_ws; i++)
		if (!pg->ws[i].removed) {
			memcpy(copy[n], pg->ws[i].name, sizeof(copy[n]));
			names[n] = copy[n];
			n++;
		}
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++)
		fn(names[i], arg); /* fn may write: the copies stay valid */
	free(names);
	free(copy);
	return SQLITE_OK;
}

int store_pg_ws_set_state(struct store_pg *pg, const char *name, const char *state,
                          const char *reason, char *err, size_t errlen)
{
	if (!ws_state_valid_name(state)) {
		errbuf_set(err, errlen, "store: workspace %s: state '%s' is not one of the six",
		           name, state);
		return SQLITE_CONSTRAINT;
	}
	struct pg_ws *c = ws_find(pg, name);
	if (!c) {
		errbuf_set(err, errlen, "store: no workspace row %s", name);
		return SQLITE_NOTFOUND;
	}
	if (pg->state != PG_READY)
		return unavailable(pg, err, errlen);
	char shown[SHOWN_MAX + 1];
	const char *r = NULL;
	if (reason) {
		textesc_buf(shown, sizeof(shown), reason, strlen(reason), TEXTESC_VISIBLE);
		r = shown;
	}
	const char *v[] = {state, r, name};
	struct pg_op *op = op_new(OP_WRITE, "state of workspace %s", name);
	if (!op || op_add(op, PG_SQL_WS_SET_STATE, 3, v) != 0)
		return oom(op, err, errlen);
	int frc = fence(pg, op, name, err, errlen);
	if (frc != SQLITE_OK) {
		op_free(op);
		return frc;
	}
	copy_cut(c->saved.state, sizeof(c->saved.state), state);
	copy_cut(c->saved.state_reason, sizeof(c->saved.state_reason), r);
	c->removed = strcmp(state, "removed") == 0;
	return submit(pg, op, err, errlen);
}

int store_pg_pull_begin(struct store_pg *pg, const char *ws, wall_s started_at, int64_t *id,
                        char *err, size_t errlen)
{
	if (pg->state != PG_READY || pg->n_ids == 0)
		return unavailable(pg, err, errlen);
	char st[TS_LEN], ids[24];
	int64_t nid = pg->ids[0];
	snprintf(ids, sizeof(ids), "%" PRId64, nid);
	const char *v[] = {ids, ws, instant_text(started_at, st)};
	struct pg_op *op = op_new(OP_WRITE, "pull %" PRId64 " of %s", nid, ws);
	if (!op || op_add(op, PG_SQL_PULL_BEGIN, 3, v) != 0)
		return oom(op, err, errlen);
	int frc = fence(pg, op, ws, err, errlen);
	if (frc != SQLITE_OK) {
		op_free(op);
		return frc;
	}
	if (pg->fleet && store_pg_fleet_pull_begun(pg->fleet, nid, ws) != 0) {
		op_free(op);
		errbuf_set(err, errlen, "PostgreSQL store: out of memory");
		return SQLITE_NOMEM;
	}
	memmove(pg->ids, pg->ids + 1, (pg->n_ids - 1) * sizeof(pg->ids[0]));
	pg->n_ids--;
	*id = nid;
	int rc = submit(pg, op, err, errlen);
	ids_refill(pg);
	pump(pg);
	return rc;
}

int store_pg_pull_end(struct store_pg *pg, int64_t id, const struct store_pull_end *e, char *err,
                      size_t errlen)
{
	if (pg->state != PG_READY)
		return unavailable(pg, err, errlen);
	/* A fleet's pull end is fenced with the lease of the pull's workspace. */
	char ws[65] = "";
	if (pg->fleet && store_pg_fleet_pull_ws(pg->fleet, id, ws, sizeof(ws), false) != 0)
		ws[0] = '\0';
	/* Not e->rows: the server counted the rows written (PG_SQL_ROWS_ADD). */
	char fin[TS_LEN], req[16], ret[16], ids[24], shown[SHOWN_MAX + 1];
	snprintf(req, sizeof(req), "%d", e->requests);
	snprintf(ret, sizeof(ret), "%d", e->retries);
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	const char *er = NULL;
	if (e->error) {
		textesc_buf(shown, sizeof(shown), e->error, strlen(e->error), TEXTESC_VISIBLE);
		er = shown;
	}
	const char *v[] = {instant_text(e->finished_at, fin), e->status, req, ret, er, ids};
	struct pg_op *op = op_new(OP_WRITE, "end of pull %" PRId64, id);
	if (!op || op_add(op, PG_SQL_PULL_END, 6, v) != 0)
		return oom(op, err, errlen);
	op->end_pull = id;
	if (pg->fleet) {
		int frc = ws[0] ? fence(pg, op, ws, err, errlen) : SQLITE_OK;
		if (!ws[0])
			end_as_lease_lost(op); /* not a pull of this process's leases */
		if (frc != SQLITE_OK) {
			op_free(op);
			return frc;
		}
		if (ws[0])
			store_pg_fleet_pull_ws(pg->fleet, id, ws, sizeof(ws), true); /* forgotten */
	}
	return submit(pg, op, err, errlen);
}

int store_pg_pull_close_running(struct store_pg *pg, wall_s now, int *n, char *err, size_t errlen)
{
	char ts[TS_LEN], what[600];
	const char *v[] = {instant_text(now, ts)};
	snprintf(what, sizeof(what), "store %s: closing interrupted pulls", pg->shown);
	PGresult *r = NULL;
	/* Still before the loop runs (the daemon's start): blocking, so *n is known. */
	if (PQpipelineStatus(pg->conn) == PQ_PIPELINE_ON) {
		PQsetnonblocking(pg->conn, 0);
		PQexitPipelineMode(pg->conn);
	}
	const char *sql =
	        pg->fleet ? store_pg_fleet_close_running_sql() : PG_SQL_PULL_CLOSE_RUNNING;
	int rc = exec_ok(pg->conn, sql, 1, v, &r, err, errlen, what);
	if (rc == 0 && n)
		*n = atoi(PQcmdTuples(r));
	PQclear(r);
	char m[256];
	if (go_ready(pg, m, sizeof(m)) != 0) {
		conn_lost(pg, m);
		return rc == 0 ? SQLITE_OK : SQLITE_ERROR;
	}
	return rc == 0 ? SQLITE_OK : SQLITE_ERROR;
}

/* ---- streams ---- */

static int queue_full(struct store_pg *pg, const char *ws, const char *sname, char *err,
                      size_t errlen)
{
	pg->refused++;
	errbuf_set(err, errlen,
	           "PostgreSQL store: %" PRIu64 " bytes of writes wait for the server "
	           "(store_queue_max %" PRIu64 "): stream %s of %s refused, pulled again next time",
	           pg->queue_bytes, pg->queue_max, sname, ws);
	return SQLITE_FULL;
}

int store_pg_stream_begin(struct store_pg *pg, const char *ws, int64_t pull_id, wall_s now,
                          const struct rowset *rs, struct store_pg_stream **out, char *err,
                          size_t errlen)
{
	*out = NULL;
	if (pg->stream) {
		errbuf_set(err, errlen, "store: a stream is already being written");
		return SQLITE_MISUSE;
	}
	if (pg->state != PG_READY)
		return unavailable(pg, err, errlen);
	const char *sname = stream_name(rs->stream);
	int64_t held = pg->fleet ? store_pg_fleet_token(pg->fleet, ws) : 1;
	if (held < 0)
		store_pg_fleet_fenced(pg->fleet, ws, held, 0); /* refused here: counted as fenced */
	if (held <= 0) {
		errbuf_set(err, errlen,
		           "lease lost: stream %s of %s not written (the workspace is not leased "
		           "to member %s)",
		           sname, ws, store_pg_fleet_member(pg->fleet));
		return SQLITE_CONSTRAINT;
	}
	if (pg->queue_bytes >= pg->queue_max)
		return queue_full(pg, ws, sname, err, errlen);
	struct store_pg_stream *c = calloc(1, sizeof(*c));
	if (!c) {
		errbuf_set(err, errlen, "PostgreSQL store: out of memory");
		return SQLITE_NOMEM;
	}
	c->op = op_new(OP_WRITE, "stream %s of %s (pull %" PRId64 ")", sname, ws, pull_id);
	if (!c->op) {
		free(c);
		errbuf_set(err, errlen, "PostgreSQL store: out of memory");
		return SQLITE_NOMEM;
	}
	c->op->is_stream = true;
	c->op->stream_pull = pull_id;
	c->pg = pg;
	c->rs = rs;
	snprintf(c->ws, sizeof(c->ws), "%s", ws);
	c->pull_id = pull_id;
	ts_format(now, c->now);
	pg->stream = c;
	*out = c;
	return SQLITE_OK;
}

/* The arrays of rows [from, to) of c's stream, one per column, appended to c->op. */
static int slice(struct store_pg_stream *c, size_t from, size_t to)
{
	const struct rowset *rs = c->rs;
	enum { MAXC = 12 };
	struct sbuf a[MAXC];
	memset(a, 0, sizeof(a));
	int nc = 0;
	const char *sql = NULL;
	switch (rs->stream) {
	case STREAM_STATS:
		nc = 4, sql = PG_SQL_FEATURE_UPSERT;
		break;
	case STREAM_CAMPAIGNS:
		nc = 12, sql = PG_SQL_CAMPAIGN_UPSERT;
		break;
	case STREAM_ACTIVE_USERS:
		nc = 5, sql = PG_SQL_ACTIVE_UPSERT;
		break;
	case STREAM_TEAM:
	default:
		nc = 5, sql = PG_SQL_SEAT_UPSERT;
		break;
	}
	for (int k = 0; k < nc; k++)
		sb_put(&a[k], "{", 1);
	char n1[40], n2[40], n3[40], n4[40], n5[40];
	for (size_t i = from; i < to; i++) {
		const char *col[MAXC];
		switch (rs->stream) {
		case STREAM_STATS: {
			const struct row_feature *r = (const struct row_feature *)rs->rows + i;
			col[0] = r->day;
			col[1] = r->feature;
			col[2] = r->metric;
			col[3] = num_text(&r->value, n1);
			break;
		}
		case STREAM_CAMPAIGNS: {
			const struct row_campaign *r = (const struct row_campaign *)rs->rows + i;
			col[0] = r->channel;
			col[1] = r->campaign_id;
			col[2] = r->title;
			col[3] = r->status;
			col[4] = r->category;
			col[5] = fixed_text(r->created_on, TS_LEN);
			col[6] = fixed_text(r->start_date, TS_LEN);
			col[7] = num_text(&r->sent, n1);
			col[8] = num_text(&r->delivered, n2);
			col[9] = num_text(&r->clicks, n3);
			col[10] = num_text(&r->conversions, n4);
			col[11] = num_text(&r->revenue, n5);
			break;
		}
		case STREAM_ACTIVE_USERS: {
			const struct row_active *r = (const struct row_active *)rs->rows + i;
			col[0] = r->day;
			col[1] = r->platform;
			col[2] = num_text(&r->dau, n1);
			col[3] = num_text(&r->wau, n2);
			col[4] = num_text(&r->mau, n3);
			break;
		}
		case STREAM_TEAM:
		default: {
			const struct row_seat *r = (const struct row_seat *)rs->rows + i;
			col[0] = r->email;
			col[1] = r->name;
			col[2] = r->role;
			col[3] = r->status;
			col[4] = fixed_text(r->last_login_at, TS_LEN);
			break;
		}
		}
		for (int k = 0; k < nc; k++)
			sb_elem(&a[k], col[k]);
	}
	char *own[MAXC];
	bool bad = false;
	for (int k = 0; k < nc; k++) {
		sb_put(&a[k], "}", 1);
		bad |= a[k].oom;
		own[k] = a[k].p;
	}
	if (bad) {
		for (int k = 0; k < nc; k++)
			free(own[k]);
		return -1;
	}
	char pid[24];
	snprintf(pid, sizeof(pid), "%" PRId64, c->pull_id);
	const char *v[] = {c->ws, pid, c->now};
	return op_add_owned(c->op, sql, 3, v, nc, own);
}

static void stream_free(struct store_pg_stream *c)
{
	if (c->pg->stream == c)
		c->pg->stream = NULL;
	op_free(c->op);
	free(c);
}

/*
 * After the rows of c's stream: the removal marks of a team listing that
 * changed (the listing's emails as one array), the listing recorded, and
 * the walk's page digests stored (and, once confirmed, remembered). 0, or
 * -1 when out of memory.
 */
static int stream_end(struct store_pg_stream *c)
{
	const struct rowset *rs = c->rs;
	const char *sname = stream_name(rs->stream);
	char pid[24];
	snprintf(pid, sizeof(pid), "%" PRId64, c->pull_id);
	if (rs->stream == STREAM_TEAM && !rs->unchanged) {
		struct sbuf a = {0};
		sb_put(&a, "{", 1);
		for (size_t i = 0; i < rs->n; i++)
			sb_elem(&a, ((const struct row_seat *)rs->rows + i)->email);
		sb_put(&a, "}", 1);
		if (a.oom) {
			free(a.p);
			return -1;
		}
		const char *v[] = {c->ws, pid, c->now};
		char *own[] = {a.p};
		if (op_add_owned(c->op, PG_SQL_SEAT_MARK_REMOVED, 3, v, 1, own) != 0)
			return -1;
	}
	const char *v[] = {pid, sname};
	if (op_add(c->op, PG_SQL_PULL_ADD_STREAM, 2, v) != 0)
		return -1;
	if (rs->unchanged)
		return 0;
	struct pg_op *op = c->op;
	op->dg_set = true;
	op->dg_stream = (int)rs->stream;
	snprintf(op->dg_ws, sizeof(op->dg_ws), "%s", c->ws);
	if (!rs->digests) {
		const char *dv[] = {c->ws, sname};
		return op_add(op, PG_SQL_STREAM_DIGEST_DEL, 2, dv);
	}
	op->dg = malloc(rs->digests_len);
	char *hex = malloc(2 * rs->digests_len + 3);
	if (!op->dg || !hex) {
		free(hex);
		return -1;
	}
	memcpy(op->dg, rs->digests, rs->digests_len);
	op->dg_len = rs->digests_len;
	static const char hd[] = "0123456789abcdef";
	hex[0] = '\\';
	hex[1] = 'x';
	for (size_t i = 0; i < rs->digests_len; i++) {
		hex[2 + 2 * i] = hd[rs->digests[i] >> 4];
		hex[3 + 2 * i] = hd[rs->digests[i] & 0xf];
	}
	hex[2 + 2 * rs->digests_len] = '\0';
	const char *dv[] = {c->ws, sname};
	char *own[] = {hex};
	return op_add_owned(op, PG_SQL_STREAM_DIGEST_PUT, 2, dv, 1, own);
}

int store_pg_stream_digests(struct store_pg *pg, const char *ws, enum stream stream,
                            unsigned char **out, size_t *len, char *err, size_t errlen)
{
	if (!pg->digests || pgdigest_get(pg->digests, ws, (int)stream, out, len) != 0) {
		errbuf_set(err, errlen, "PostgreSQL store: out of memory");
		return SQLITE_NOMEM;
	}
	return SQLITE_OK;
}

int store_pg_stream_step(struct store_pg_stream *c, size_t max_rows, bool *done, int64_t *n_rows,
                         char *err, size_t errlen)
{
	*done = false;
	struct store_pg *pg = c->pg;
	const struct rowset *rs = c->rs;
	size_t to = rs->n - c->next < max_rows ? rs->n : c->next + max_rows;
	if (to > c->next && slice(c, c->next, to) != 0) {
		stream_free(c);
		errbuf_set(err, errlen, "PostgreSQL store: out of memory");
		return SQLITE_NOMEM;
	}
	c->next = to;
	if (c->next < rs->n)
		return SQLITE_OK;
	if (stream_end(c) != 0) {
		stream_free(c);
		errbuf_set(err, errlen, "PostgreSQL store: out of memory");
		return SQLITE_NOMEM;
	}
	if (pg->queue_bytes + c->op->bytes > pg->queue_max) {
		int rc = queue_full(pg, c->ws, stream_name(rs->stream), err, errlen);
		stream_free(c);
		return rc;
	}
	int frc = fence(pg, c->op, c->ws, err, errlen);
	if (frc != SQLITE_OK) {
		stream_free(c);
		return frc;
	}
	struct pg_op *op = c->op;
	c->op = NULL;
	int64_t n = (int64_t)rs->n;
	stream_free(c);
	int rc = submit(pg, op, err, errlen);
	if (rc == SQLITE_OK) {
		*done = true;
		if (n_rows)
			*n_rows = n;
	}
	return rc;
}

void store_pg_stream_abort(struct store_pg_stream *c)
{
	if (c)
		stream_free(c);
}

/* ---- the fleet's writes (store_pg_fleet.h) ---- */

struct pg_op *store_pg_fleet_op(const char *what, pg_fleet_done_fn done, void *arg)
{
	struct pg_op *op = op_new(done ? OP_FLEET : OP_WRITE, "%s", what);
	if (op) {
		op->done = done;
		op->done_arg = arg;
	}
	return op;
}

int store_pg_fleet_op_add(struct pg_op *op, const char *sql, int n, const char *const *v)
{
	return op_add(op, sql, n, v);
}

int store_pg_fleet_submit(struct store_pg *pg, struct pg_op *op, char *err, size_t errlen)
{
	if (pg->state != PG_READY) {
		op->done = NULL; /* the caller hears it from the return */
		op_free(op);
		return unavailable(pg, err, errlen);
	}
	if (op->kind != OP_FLEET)
		return submit(pg, op, err, errlen);
	/* A heartbeat or a read: ahead of the writes (the leases expire while it waits). */
	mono_us t0 = clock_mono_us();
	int64_t c0 = pg_cpu_us();
	queue_push_first(pg, op);
	pump(pg);
	pg_timed(pg, t0);
	return SQLITE_OK;
}

void store_pg_fleet_op_free(struct pg_op *op)
{
	if (op)
		op->done = NULL;
	op_free(op);
}

struct event_base *store_pg_base(struct store_pg *pg)
{
	return pg->base;
}

PGconn *store_pg_conn(struct store_pg *pg)
{
	return pg->conn;
}

const char *store_pg_shown(struct store_pg *pg)
{
	return pg->shown;
}

struct store_pg_fleet *store_pg_fleet_of(struct store_pg *pg)
{
	return pg->fleet;
}
