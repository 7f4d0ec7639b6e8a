/*
 * pull.c: the WebEngage client (see pull.h). One struct pull walks the
 * steps probe -> stats -> campaigns (six channels, paginated) -> active
 * users -> team (paginated), skipping streams the workspace does not
 * enable. Each step is one request at a time; pull_send() issues the
 * current request (after any wait) and on_done() decides what follows:
 * parse and advance, retry after a delay, skip, or fail the stream. An
 * answer is parsed on the worker thread (worker.h) and the pull goes on
 * in parse_done; everything else happens on the loop.
 *
 * Everything a pull uses beyond its workspace comes from the struct
 * pull_env it was started with (p->env), and everything it tells its
 * owner goes through env->report; it names no module above it.
 *
 * Why one file of about 1,000 lines: it is one state machine over struct
 * pull, and its parts (ending, streams, requests, parsing; the "---"
 * lines below) hand the pull to each other both ways: an answer ends a
 * step and sends the next request, a commit that waited resumes the
 * walk, a failed request ends the stream. In files of their own they
 * would be files that call each other.
 */
#include "pull.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "budget.h"
#include "clock.h"
#include "config.h"
#include "http.h"
#include "jarena.h"
#include "log.h"
#include "metrics.h"
#include "pagesum.h"
#include "retry.h"
#include "rng.h"
#include "rows.h"
#include "loopstat.h"
#include "store.h"
#include "storegate.h"
#include "units.h"
#include "weapi.h"
#include "worker.h"
#include "ws.h"

enum step { STEP_PROBE = 0, STEP_STATS, STEP_CAMPAIGNS, STEP_ACTIVE, STEP_TEAM, STEP_DONE };

/* The stream of each step (STEP_PROBE has none). */
static const int step_stream[] = {-1, STREAM_STATS, STREAM_CAMPAIGNS, STREAM_ACTIVE_USERS,
                                  STREAM_TEAM};
/* The metrics endpoint kind of each step. */
static const enum metrics_ep step_mep[] = {MEP_PROBE,        MEP_STATS, MEP_CAMPAIGNS,
                                           MEP_ACTIVE_USERS, MEP_TEAM,  MEP_TEAM};

struct pull {
	struct ws *w;
	const struct pull_env *env; /* handed to pull_start; outlives the pull */
	int64_t id;
	wall_s started_wall;
	enum step step;
	int channel;               /* STEP_CAMPAIGNS: index into weapi_channels */
	int64_t page;              /* paginated steps: the page being fetched, from 1 */
	int attempt;               /* retries of the current request so far */
	struct rowset rs;          /* rows of the current stream */
	struct parse_job *parsing; /* the answer being parsed off the loop, or NULL */
	struct http_req req;
	char *url;
	char *post;
	struct event *wait;
	unsigned streams_ok, streams_failed;
	int requests, retries;
	int64_t rows;
	bool auth_failed, probe_failed;
	char error[512]; /* the first error, for pull.error and the state reason */
	struct storegate_waiter gate_wait; /* the finished stream waits for the gate */
	struct store_stream *cursor;       /* a stream being committed in slices */
	struct event *slice;               /* runs the next slice, one per loop turn */
	/*
	 * Pages that did not change (pagesum.h). sums_old: the digests of the
	 * current stream's last walk stored whole; sums_new: this walk's so
	 * far. While every page matched (!diverged), matching pages are not
	 * parsed but held (held, in order, held_bytes in all); the first page
	 * that differs is parsed after them, and so is everything after it. A
	 * walk that matched page for page to the end stores no row at all.
	 */
	struct pagesum sums_old, sums_new;
	bool diverged;
	bool sums_broken; /* a digest could not be computed: remember none */
	struct held_page *held;
	size_t n_held, cap_held, held_bytes;
	unsigned char *sums_blob; /* sums_new as stored with the stream (rs.digests) */
};

/* A page walked past unparsed: its body, and the channel it answered for (campaigns). */
struct held_page {
	char *body;
	size_t len;
	const char *channel;
};

#define PULL_OF_WAITER(wt) ((struct pull *)((char *)(wt)-offsetof(struct pull, gate_wait)))

/*
 * One answer on its way through the worker thread. The job owns the body
 * (taken from the request, whose connection is free again at once) and a
 * rowset of its own, made with prior = the stream's rows and prior_bytes =
 * its bytes so far so that the caps count the whole stream; the parse's
 * tree may take at most max_parse bytes. The pull waits for it: a pull has one
 * request, hence one answer, at a time. When the pull ends meanwhile
 * (cancelled; its workspace removed or reconnected), pull_free lets go
 * (p = NULL) and parse_done only frees the job.
 */
struct parse_job {
	struct worker_job wj; /* first: the worker hands back this pointer */
	struct pull *p;       /* loop side; NULL once the pull let go */
	enum step step;
	const char *channel; /* STEP_CAMPAIGNS: weapi_channels[].channel (static) */
	char *body;
	size_t len;
	struct rowset rs;
	size_t max_parse; /* max_parse_memory when the job was made */
	struct weapi_page pg;
	int rc;
	int cap; /* rc != 0 because of a cap: its enum metrics_cap; else -1 */
	char err[300];
	/*
	 * Digests (pagesum.h). url and post: copies of the request's, for the
	 * digest. With may_skip, a body whose digest equals want is not parsed
	 * (skipped). pre: held pages, parsed before the body unless it is
	 * skipped (then handed back); body may be NULL: only pre is parsed
	 * (catchup, at the end of a walk that matched but ended elsewhere).
	 */
	char *url, *post;
	bool may_skip, skipped, catchup;
	struct pagesum_entry want, got;
	bool got_ok; /* got.d was computed */
	struct held_page *pre;
	size_t n_pre, cap_pre;
};

static const char *const status_names[PULL_STATUS_COUNT] = PULL_STATUS_NAMES;

const char *pull_status_name(enum pull_status s)
{
	return (unsigned)s < PULL_STATUS_COUNT ? status_names[s] : "?";
}

static void pull_send(struct pull *p);
static void pull_advance(struct pull *p);

/* --- small helpers -------------------------------------------------------- */

/* The endpoint of the current request, for rate-limit holds. */
static enum ws_endpoint current_endpoint(const struct pull *p)
{
	switch (p->step) {
	case STEP_PROBE:
		return EP_PROBE;
	case STEP_STATS:
		return EP_STATS;
	case STEP_CAMPAIGNS:
		return (enum ws_endpoint)(EP_CAMPAIGNS + p->channel);
	case STEP_ACTIVE:
		return EP_ACTIVE_USERS;
	case STEP_TEAM:
	default:
		return EP_TEAM;
	}
}

/* Where the pull is, in words: "campaigns (sms-messages) page 3". */
static void where(const struct pull *p, char *buf, size_t len)
{
	switch (p->step) {
	case STEP_PROBE:
		snprintf(buf, len, "probe");
		break;
	case STEP_CAMPAIGNS:
		snprintf(buf, len, "campaigns (%s) page %" PRId64, weapi_channels[p->channel].path,
		         p->page);
		break;
	case STEP_TEAM:
		snprintf(buf, len, "team page %" PRId64, p->page);
		break;
	case STEP_STATS:
	case STEP_ACTIVE:
		snprintf(buf, len, "%s", stream_name((enum stream)step_stream[p->step]));
		break;
	default:
		snprintf(buf, len, "done");
	}
}

/* Log an error of this pull and keep the first one as the pull's error. */
static void pull_error(struct pull *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pull_error(struct pull *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_ws(&p->w->rl, LOGL_WARNING, p->w->cfg->name, p->id, "%s", msg);
	if (p->error[0] == '\0')
		snprintf(p->error, sizeof(p->error), "%s", msg);
}

static bool stream_enabled(const struct pull *p, enum step s)
{
	return s >= STEP_STATS && s <= STEP_TEAM &&
	       (p->w->cfg->streams & (1u << step_stream[s])) != 0;
}

static void held_free(struct held_page *h, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(h[i].body);
	free(h);
}

/* Forget the current stream's pages: held bodies, digests old and new. */
static void pages_reset(struct pull *p)
{
	held_free(p->held, p->n_held);
	p->held = NULL;
	p->n_held = p->cap_held = p->held_bytes = 0;
	pagesum_free(&p->sums_old);
	pagesum_free(&p->sums_new);
	free(p->sums_blob);
	p->sums_blob = NULL;
	p->diverged = p->sums_broken = false;
}

/*
 * The digests remembered for stream s of this workspace. None (or a store
 * that cannot say) means every page is parsed: slower, never wrong.
 */
static void pages_load(struct pull *p, enum stream s)
{
	unsigned char *b = NULL;
	size_t n = 0;
	char err[256];
	if (store_stream_digests(p->env->store, p->w->cfg->name, s, &b, &n, err, sizeof(err)) != 0)
		log_ws(NULL, LOGL_DEBUG, p->w->cfg->name, p->id, "%s: every page parsed: %s",
		       stream_name(s), err);
	else if (b && pagesum_decode(&p->sums_old, b, n) != 0)
		log_ws(NULL, LOGL_DEBUG, p->w->cfg->name, p->id,
		       "%s: remembered page digests unreadable (%zu bytes); every page parsed",
		       stream_name(s), n);
	free(b);
	p->diverged = p->sums_old.n == 0;
}

/* Move to step s or the first enabled step after it, resetting the position. */
static void goto_step(struct pull *p, enum step s)
{
	while (s < STEP_DONE && s != STEP_PROBE && !stream_enabled(p, s))
		s++;
	p->step = s;
	p->channel = 0;
	p->page = 1;
	p->attempt = 0;
	rowset_free(&p->rs);
	pages_reset(p);
	if (s >= STEP_STATS && s <= STEP_TEAM) {
		const struct config *cfg = p->env->cfg;
		rowset_init_capped(&p->rs, (enum stream)step_stream[s],
		                   (size_t)cfg->max_stream_rows, (size_t)cfg->max_stream_bytes);
		pages_load(p, (enum stream)step_stream[s]);
	}
}

/* --- ending --------------------------------------------------------------- */

static void pull_free(struct pull *p)
{
	struct storegate *g = p->env->gate;
	storegate_cancel(g, &p->gate_wait);
	if (p->cursor) {
		store_stream_abort(p->cursor); /* nothing of the stream stays */
		storegate_release(g);
	}
	if (p->slice)
		event_free(p->slice);
	if (p->parsing)
		p->parsing->p = NULL; /* parse_done frees it */
	if (p->wait)
		event_free(p->wait);
	p->env->http_ops->cancel(p->env->http, &p->req);
	http_req_release(&p->req);
	rowset_free(&p->rs);
	pages_reset(p);
	free(p->url);
	free(p->post);
	free(p);
}

/*
 * Write the pull row with its outcome. When the store cannot take it
 * (locked, full, read-only), the outcome is kept in w->unrecorded and
 * written when the store takes writes again (pull_record_late, at the next
 * pull or when the store gate opens), so that the row does
 * not stay "running" for as long as the daemon runs.
 */
static void pull_write_end(struct pull *p, enum pull_status st, const char *error)
{
	char err[256];
	struct store_pull_end e = {
	        .finished_at = clock_wall_s(),
	        .status = pull_status_name(st),
	        .requests = p->requests,
	        .retries = p->retries,
	        .rows = p->rows,
	        .error = error && error[0] ? error : NULL,
	};
	struct storegate *g = p->env->gate;
	bool waits = !storegate_is_open(g); /* written when the gate opens */
	if (!waits) {
		int rc = store_pull_end(p->env->store, p->id, &e, err, sizeof(err));
		waits = storegate_failed(g, rc, err);
		if (!waits)
			metrics_store(p->env->metrics, rc, err);
		if (rc == 0) {
			p->env->report.wrote(p->env->report.arg, p->w);
			return;
		}
	}
	if (!waits)
		log_ws(&p->w->rl, LOGL_ERR, p->w->cfg->name, p->id,
		       "could not record the pull (tried again before the next one): %s", err);
	struct ws_unrecorded *u = &p->w->unrecorded;
	*u = (struct ws_unrecorded){
	        .id = p->id,
	        .finished_at = e.finished_at,
	        .rows = e.rows,
	        .status = (int)st,
	        .requests = e.requests,
	        .retries = e.retries,
	};
	snprintf(u->error, sizeof(u->error), "%s", e.error ? e.error : "");
}

/*
 * Write the outcome of w's last pull that the store could not record
 * before. Returns 0 when there is none left to write, -1 when the store
 * still refuses it (it is kept for the next try).
 */
int pull_record_late(const struct pull_env *env, struct ws *w)
{
	struct ws_unrecorded *u = &w->unrecorded;
	if (u->id == 0)
		return 0;
	if (!storegate_is_open(env->gate))
		return -1;
	char err[256];
	struct store_pull_end e = {
	        .finished_at = u->finished_at,
	        .status = pull_status_name((enum pull_status)u->status),
	        .requests = u->requests,
	        .retries = u->retries,
	        .rows = u->rows,
	        .error = u->error[0] ? u->error : NULL,
	};
	int rc = store_pull_end(env->store, u->id, &e, err, sizeof(err));
	if (storegate_failed(env->gate, rc, err))
		return -1;
	metrics_store(env->metrics, rc, err);
	if (rc != 0 && rc != SQLITE_NOTFOUND) {
		log_ws(&w->rl, LOGL_ERR, w->cfg->name, u->id, "still could not record the pull: %s",
		       err);
		return -1;
	}
	if (rc == 0) {
		env->report.wrote(env->report.arg, w);
		log_ws(NULL, LOGL_NOTICE, w->cfg->name, u->id, "pull %s recorded late", e.status);
	}
	u->id = 0;
	return 0;
}

/*
 * w's pull ended, or could not begin, with st: count it, then tell the
 * owner. The pull's last act (w->pull is NULL, the pull freed).
 */
static void report_done(const struct pull_env *env, struct ws *w, enum pull_status st,
                        const char *error)
{
	env->metrics->pulls[st]++;
	env->report.done(env->report.arg, w, st, error);
}

void pull_end_lost(struct ws *w, int64_t id, const char *why)
{
	struct ws_unrecorded *u = &w->unrecorded;
	*u = (struct ws_unrecorded){.id = id, .finished_at = clock_wall_s(), .status = PULL_FAILED};
	snprintf(u->error, sizeof(u->error), "not stored: %s", why);
}

static void pull_finish(struct pull *p)
{
	enum pull_status st;
	if (p->auth_failed)
		st = PULL_AUTH_FAILED;
	else if (p->probe_failed)
		st = PULL_FAILED;
	else if (p->streams_failed == 0)
		st = PULL_OK;
	else if (p->streams_ok != 0)
		st = PULL_PARTIAL;
	else
		st = PULL_FAILED;
	pull_write_end(p, st, p->error);
	log_ws(NULL, st == PULL_OK ? LOGL_INFO : LOGL_NOTICE, p->w->cfg->name, p->id,
	       "pull %s: %d requests, %d retries, %" PRId64 " rows", pull_status_name(st),
	       p->requests, p->retries, p->rows);
	struct ws *w = p->w;
	const struct pull_env *env = p->env;
	char error[sizeof(p->error)];
	memcpy(error, p->error, sizeof(error));
	w->pull = NULL;
	pull_free(p);
	report_done(env, w, st, error[0] ? error : NULL);
}

void pull_cancel(struct ws *w, const char *why)
{
	struct pull *p = w->pull;
	if (!p)
		return;
	pull_write_end(p, PULL_CANCELLED, why);
	p->env->metrics->pulls[PULL_CANCELLED]++;
	log_ws(NULL, LOGL_NOTICE, w->cfg->name, p->id, "pull cancelled: %s", why);
	w->pull = NULL;
	pull_free(p);
}

int64_t pull_id(const struct ws *w)
{
	return w->pull ? w->pull->id : 0;
}

void pull_describe(const struct ws *w, char *buf, size_t len)
{
	if (!w->pull) {
		snprintf(buf, len, "idle");
		return;
	}
	where(w->pull, buf, len);
}

/* --- streams -------------------------------------------------------------- */

/* The current stream failed: drop its rows, note why, go on with the next. */
static void stream_fail(struct pull *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stream_fail(struct pull *p, const char *fmt, ...)
{
	char msg[400], at[96];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(p, at, sizeof(at));
	if (p->step == STEP_PROBE) {
		p->probe_failed = true;
		pull_error(p, "probe: %s", msg);
		goto_step(p, STEP_DONE);
		return;
	}
	p->streams_failed |= 1u << step_stream[p->step];
	pull_error(p, "%s: %s", at, msg);
	goto_step(p, p->step + 1);
}

/* The current stream is stored whole (n rows): on to the next step. */
static void stream_stored(struct pull *p, int64_t n)
{
	enum stream s = (enum stream)step_stream[p->step];
	p->env->report.wrote(p->env->report.arg, p->w);
	p->rows += n;
	p->env->metrics->rows[s] += (uint64_t)n;
	p->streams_ok |= 1u << s;
	log_ws(NULL, LOGL_DEBUG, p->w->cfg->name, p->id, "%s: %" PRId64 " rows stored",
	       stream_name(s), n);
	goto_step(p, p->step + 1);
}

static void stream_wait_gate(struct pull *p);
static int parse_submit(struct pull *p, char *body, size_t len, bool catchup, const char **err);

/* The next slice of a stream committed in slices (the slice timer). */
static void on_slice(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pull *p = arg;
	mono_us t0 = loopstat_begin();
	char err[256];
	bool done = false;
	int64_t n = 0;
	int rc = store_stream_step(p->cursor, PULL_SLICE_ROWS, &done, &n, err, sizeof(err));
	if (rc == 0 && !done) {
		struct timeval tv = {0, 0};
		evtimer_add(p->slice, &tv); /* after the loop's other work of this turn */
		loopstat_end(t0, "stream slice");
		return;
	}
	p->cursor = NULL; /* freed by the store, done or failed */
	storegate_release(p->env->gate);
	metrics_store(p->env->metrics, rc, err);
	if (rc != 0)
		stream_fail(p, "not stored: %s", err);
	else
		stream_stored(p, n);
	pull_advance(p);
	loopstat_end(t0, "stream slice");
}

/*
 * The current stream is complete: commit it in one transaction (a
 * savepoint of the store's group). True when the pull goes on now (the
 * stream stored, or failed); false when the stream waits: for the store
 * gate (the commit resumes when it opens), or in slices (a large stream;
 * on_slice goes on). The caller goes on only on true.
 */
static bool stream_commit(struct pull *p)
{
	int64_t n = 0;
	char err[256];
	struct storegate *g = p->env->gate;
	if (!storegate_is_open(g)) {
		stream_wait_gate(p);
		return false;
	}
	if (p->rs.n > PULL_SLICE_ROWS) {
		int rc = store_stream_begin(p->env->store, p->w->cfg->name, p->id, clock_wall_s(),
		                            &p->rs, &p->cursor, err, sizeof(err));
		if (storegate_failed(g, rc, err)) {
			stream_wait_gate(p);
			return false;
		}
		if (rc == 0 && !p->slice)
			p->slice = evtimer_new(p->env->base, on_slice, p);
		if (rc == 0 && !p->slice) {
			store_stream_abort(p->cursor);
			p->cursor = NULL;
			snprintf(err, sizeof(err), "out of memory");
			rc = SQLITE_NOMEM;
		}
		if (rc != 0) {
			metrics_store(p->env->metrics, rc, err);
			stream_fail(p, "not stored: %s", err);
			return true;
		}
		storegate_hold(g); /* nothing else writes until its last slice */
		struct timeval tv = {0, 0};
		evtimer_add(p->slice, &tv);
		return false;
	}
	int rc = store_commit_stream(p->env->store, p->w->cfg->name, p->id, clock_wall_s(), &p->rs,
	                             &n, err, sizeof(err));
	if (storegate_failed(g, rc, err)) {
		stream_wait_gate(p);
		return false;
	}
	metrics_store(p->env->metrics, rc, err);
	if (rc != 0) {
		stream_fail(p, "not stored: %s", err);
		return true;
	}
	stream_stored(p, n);
	return true;
}

/*
 * The walk of the current stream is over: decide what the store gets.
 * Every page matched the remembered walk, and there are as many: nothing
 * changed, and no row is given (rs.unchanged). Else pages held unparsed
 * are parsed first (a catch-up job; false: the pull goes on from it), and
 * the rows are committed with this walk's digests. True when the pull
 * goes on now, as stream_commit.
 */
static bool stream_complete(struct pull *p)
{
	bool same = !p->diverged && !p->sums_broken && p->sums_new.n == p->sums_old.n;
	if (same) {
		held_free(p->held, p->n_held);
		p->held = NULL;
		p->n_held = p->cap_held = p->held_bytes = 0;
		p->rs.unchanged = true;
		p->env->metrics->streams_unchanged++;
		log_ws(NULL, LOGL_DEBUG, p->w->cfg->name, p->id,
		       "%s: %zu pages as last stored: stored as unchanged",
		       stream_name(p->rs.stream), p->sums_new.n);
	} else if (p->n_held > 0) {
		const char *err = NULL;
		if (parse_submit(p, NULL, 0, true, &err) == 0)
			return false;
		stream_fail(p, "%s", err);
		return true;
	} else if (!p->sums_broken && p->sums_new.n > 0) {
		size_t len = 0;
		p->sums_blob = pagesum_encode(&p->sums_new, &len);
		p->rs.digests = p->sums_blob;
		p->rs.digests_len = p->sums_blob ? len : 0;
	}
	return stream_commit(p);
}

/* The gate opened for a stream that waited: commit it now, and go on if that is done. */
static void stream_gate_opened(struct storegate_waiter *wt)
{
	struct pull *p = PULL_OF_WAITER(wt);
	if (stream_commit(p))
		pull_advance(p);
}

static void stream_wait_gate(struct pull *p)
{
	p->gate_wait.fn = stream_gate_opened;
	storegate_wait(p->env->gate, &p->gate_wait);
}

/* --- requests ------------------------------------------------------------- */

/* Build the URL (and body) of the current request. 0, or -1 on OOM. */
static int build_request(struct pull *p)
{
	const struct ws_config *c = p->w->cfg;
	const struct config *cfg = p->env->cfg;
	char query[128], from[DAY_LEN], to[DAY_LEN];
	free(p->url);
	free(p->post);
	p->url = p->post = NULL;
	switch (p->step) {
	case STEP_PROBE:
		p->url = weapi_url(c->base_url, c->paths[PATH_PROBE], c->license_code, NULL, NULL);
		break;
	case STEP_STATS:
		p->url = weapi_url(c->base_url, c->paths[PATH_STATS], c->license_code, NULL, NULL);
		p->post = weapi_stats_body(clock_wall_s(), c->lookback_days);
		if (!p->post)
			return -1;
		break;
	case STEP_CAMPAIGNS:
		snprintf(query, sizeof(query), "pageNo=%" PRId64 "&pageSize=%d", p->page,
		         cfg->page_size);
		p->url = weapi_url(c->base_url, c->paths[PATH_CAMPAIGNS], c->license_code,
		                   weapi_channels[p->channel].path, query);
		break;
	case STEP_ACTIVE:
		weapi_window(clock_wall_s(), c->lookback_days, from, to);
		snprintf(query, sizeof(query), "from=%s&to=%s&metrics=DAU,WAU,MAU", from, to);
		p->url = weapi_url(c->base_url, c->paths[PATH_ACTIVE_USERS], c->license_code, NULL,
		                   query);
		break;
	case STEP_TEAM:
		snprintf(query, sizeof(query), "pageNo=%" PRId64 "&pageSize=%d", p->page,
		         cfg->page_size);
		p->url = weapi_url(c->base_url, c->paths[PATH_TEAM], c->license_code, NULL, query);
		break;
	default:
		return -1;
	}
	return p->url ? 0 : -1;
}

static void wait_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mono_us t0 = loopstat_begin();
	pull_send(arg);
	loopstat_end(t0, "pull timer");
}

/* Send the current request after delay_ms (0: at once, unless a hold says later). */
static void send_after(struct pull *p, int64_t delay_ms)
{
	wall_ms hold = p->w->hold_until_ms[current_endpoint(p)];
	if (hold) {
		int64_t until_hold = hold - clock_wall_ms();
		if (until_hold > delay_ms)
			delay_ms = until_hold;
		if (until_hold <= 0)
			p->w->hold_until_ms[current_endpoint(p)] = 0;
	}
	if (delay_ms <= 0) {
		pull_send(p);
		return;
	}
	struct timeval tv = {.tv_sec = delay_ms / 1000, .tv_usec = (delay_ms % 1000) * 1000};
	if (!p->wait)
		p->wait = evtimer_new(p->env->base, wait_cb, p);
	/*
	 * libevent counts the delay from the time it cached when this loop
	 * iteration began; refresh it, or a deadline the server gave us
	 * (Retry-After, the next minute) could be met a few ms early.
	 */
	event_base_update_cache_time(p->env->base);
	if (!p->wait || evtimer_add(p->wait, &tv) != 0) {
		stream_fail(p, "could not arm a timer");
		pull_advance(p);
		return;
	}
	p->env->report.parked(p->env->report.arg);
}

/* Issue the current request now. */
static void on_done(struct http_req *r);
static void pull_send(struct pull *p)
{
	struct ws *w = p->w;
	if (build_request(p) != 0) {
		stream_fail(p, "out of memory building the request");
		pull_advance(p);
		return;
	}
	p->req.url = p->url;
	p->req.host_key = w->host_key;
	p->req.headers = p->post ? w->hdr_post : w->hdr_get;
	p->req.post_body = p->post;
	p->req.post_len = p->post ? strlen(p->post) : 0;
	p->req.allow_http = w->cfg->loopback_http;
	p->req.done = on_done;
	p->req.user = p;
	budget_note_request(p->env->budget, clock_mono_ms());
	if (p->env->http_ops->submit(p->env->http, &p->req) != 0) {
		stream_fail(p, "out of memory queueing the request");
		pull_advance(p);
	}
}

/* Go on from the current position: the next request, or the end. */
static void pull_advance(struct pull *p)
{
	if (p->step == STEP_DONE) {
		pull_finish(p);
		return;
	}
	send_after(p, 0);
}

/* Transport failures worth another attempt (docs/api.md: timeouts, resets, truncated bodies). */
static bool transport_retryable(const struct http_req *r)
{
	if (r->too_large)
		return false;
	switch (r->result) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_FAILED_INIT:
		return true;
	default:
		return false;
	}
}

/* --- parsing, off the loop (worker.h) ------------------------------------------ */

/*
 * Worker thread: one answer's envelope and stream parse into j->rs (pg,
 * when not NULL, gets the page's figures). 0, or -1 with j->err and
 * j->cap set.
 */
static int parse_one(struct parse_job *j, const char *body, size_t len, const char *channel,
                     struct weapi_page *pg)
{
	json_t *root = NULL, *data = NULL;
	struct weapi_page scratch;
	memset(&scratch, 0, sizeof(scratch));
	if (!pg)
		pg = &scratch;
	/* The tree lives in this thread's arena (jarena.h), about 4x the body, within max_parse. */
	jarena_begin(len < SIZE_MAX / 8 ? len * 4 : 0, j->max_parse);
	int rc = weapi_envelope(body, len, &root, &data, j->err, sizeof(j->err));
	if (rc == 0) {
		switch (j->step) {
		case STEP_STATS:
			rc = weapi_parse_stats(data, &j->rs, j->err, sizeof(j->err));
			break;
		case STEP_CAMPAIGNS:
			rc = weapi_parse_campaigns(data, channel, &j->rs, pg, j->err,
			                           sizeof(j->err));
			break;
		case STEP_ACTIVE:
			rc = weapi_parse_active_users(data, &j->rs, j->err, sizeof(j->err));
			break;
		case STEP_TEAM:
			rc = weapi_parse_team(data, &j->rs, pg, j->err, sizeof(j->err));
			break;
		default:
			rc = 0;
		}
		if (!jarena_active())
			json_decref(root);
	}
	j->cap = -1;
	if (jarena_refused()) {
		/* jansson failed for want of memory, whatever it said: name the cap. */
		char size[UNITS_BUF_LEN];
		units_format_size(j->max_parse, size, sizeof(size));
		snprintf(j->err, sizeof(j->err),
		         "answer needs more than %s to parse (max_parse_memory)", size);
		rc = -1;
		j->cap = MCAP_PARSE_MEMORY;
	} else if (rc != 0 && j->rs.refused == ROWSET_OVER_ROWS) {
		j->cap = MCAP_STREAM_ROWS;
	} else if (rc != 0 && j->rs.refused == ROWSET_OVER_BYTES) {
		j->cap = MCAP_STREAM_BYTES;
	}
	jarena_end(); /* the whole tree at once */
	return rc;
}

static uint32_t cut32(int64_t v)
{
	return v < 0 ? 0 : v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/*
 * Worker thread: the answer's digest; unless it equals the one expected
 * (may_skip), the held pages (pre) and then the answer parsed, in order,
 * into the job only.
 */
static void parse_run(struct worker_job *wj)
{
	struct parse_job *j = (struct parse_job *)wj;
	bool stream = j->step >= STEP_STATS && j->step <= STEP_TEAM;
	if (stream && j->body) {
		j->got_ok =
		        j->url && pagesum_digest(j->got.d, j->url, j->post, j->body, j->len) == 0;
		if (j->may_skip && j->got_ok && memcmp(j->got.d, j->want.d, PAGESUM_LEN) == 0) {
			j->got = j->want;
			j->skipped = true;
			j->rc = 0;
			return;
		}
	}
	j->rc = 0;
	j->cap = -1;
	for (size_t i = 0; i < j->n_pre && j->rc == 0; i++)
		j->rc = parse_one(j, j->pre[i].body, j->pre[i].len, j->pre[i].channel, NULL);
	if (j->rc == 0 && j->body)
		j->rc = parse_one(j, j->body, j->len, j->channel, &j->pg);
	j->got.pages = cut32(j->pg.number_of_pages);
	j->got.contents = cut32((int64_t)j->pg.n_contents);
	/* The bodies are freed on the loop (parse_job_free), the thread that allocated them. */
}

static void parse_job_free(struct parse_job *j)
{
	free(j->body);
	free(j->url);
	free(j->post);
	held_free(j->pre, j->n_pre);
	rowset_free(&j->rs);
	free(j);
}

static void page_parsed(struct pull *p, int rc, const char *err, const struct weapi_page *pg);

static bool stream_complete(struct pull *p);

/*
 * Loop thread: a page that matched its digest comes back unparsed: held
 * (with the pages held before it, handed back), its digest noted, and the
 * walk goes on with the figures remembered for it. The job's held array
 * has room for it (handle_body made sure).
 */
static void page_skipped(struct pull *p, struct parse_job *j)
{
	p->held = j->pre;
	p->n_held = j->n_pre;
	p->cap_held = j->cap_pre;
	j->pre = NULL;
	j->n_pre = 0;
	p->held[p->n_held++] = (struct held_page){j->body, j->len, j->channel};
	p->held_bytes += j->len;
	j->body = NULL;
	if (pagesum_push(&p->sums_new, &j->got) != 0)
		p->sums_broken = true;
	p->env->metrics->pages_unchanged++;
}

/* Loop thread: the answer is parsed (or skipped); the pull goes on from it. */
static void parse_done(struct worker_job *wj, bool ran)
{
	struct parse_job *j = (struct parse_job *)wj;
	struct pull *p = j->p;
	if (!p) {
		parse_job_free(j);
		return;
	}
	p->parsing = NULL;
	int rc = ran ? j->rc : -1;
	const char *err = ran ? j->err : "not parsed: the daemon is stopping";
	int cap = ran ? j->cap : -1;
	char refusal[128];
	if (rc == 0 && j->skipped) {
		struct weapi_page pg = {.page_no = p->page,
		                        .number_of_pages = j->got.pages,
		                        .n_contents = j->got.contents};
		page_skipped(p, j);
		parse_job_free(j);
		page_parsed(p, 0, "", &pg);
		return;
	}
	if (rc == 0 && rowset_adopt(&p->rs, &j->rs) != 0) {
		/* The page counted the stream's rows and bytes: this is memory, not a cap. */
		rc = -1;
		err = rowset_refusal_text(&p->rs, refusal, sizeof(refusal));
		cap = p->rs.refused == ROWSET_OVER_ROWS    ? MCAP_STREAM_ROWS
		      : p->rs.refused == ROWSET_OVER_BYTES ? MCAP_STREAM_BYTES
		                                           : -1;
	}
	if (cap >= 0)
		p->env->metrics->stream_caps[cap]++;
	/* Parsed: the held pages went with it (and were parsed first). */
	p->held_bytes = 0;
	p->diverged = true;
	bool catchup = j->catchup;
	if (rc == 0 && !catchup && (!j->got_ok || pagesum_push(&p->sums_new, &j->got) != 0))
		p->sums_broken = true;
	struct weapi_page pg = j->pg;
	char msg[sizeof(j->err)];
	snprintf(msg, sizeof(msg), "%s", err);
	parse_job_free(j);
	if (catchup) {
		if (rc != 0)
			stream_fail(p, "%s", msg);
		if (rc != 0 || stream_complete(p))
			pull_advance(p);
		return;
	}
	page_parsed(p, rc, msg, &pg);
}

/* The most bytes of pages a walk holds unparsed: half of what its rows may take. */
static size_t held_max(const struct pull *p)
{
	return (size_t)(p->env->cfg->max_stream_bytes / 2);
}

/*
 * Hand the answer of the current step (body; NULL for a catch-up of the
 * held pages only) to the worker, with the held pages. 0, or -1 when out
 * of memory or the worker's queue is full (err says which; nothing was
 * submitted, the held pages stay with the pull).
 */
static int parse_submit(struct pull *p, char *body, size_t len, bool catchup, const char **err)
{
	struct parse_job *j = calloc(1, sizeof(*j));
	bool stream = p->step >= STEP_STATS && p->step <= STEP_TEAM;
	/* Room for this page in the held array, should it be skipped. */
	if (j && stream && !catchup && p->n_held + 1 > p->cap_held) {
		size_t cap = p->cap_held ? p->cap_held * 2 : 8;
		struct held_page *h = realloc(p->held, cap * sizeof(*h));
		if (h) {
			p->held = h;
			p->cap_held = cap;
		} else {
			free(j);
			j = NULL;
		}
	}
	if (!j) {
		free(body);
		*err = "out of memory parsing the answer";
		return -1;
	}
	j->wj.run = parse_run;
	j->wj.done = parse_done;
	j->p = p;
	j->step = p->step;
	j->channel = p->step == STEP_CAMPAIGNS ? weapi_channels[p->channel].channel : NULL;
	j->body = body;
	j->len = len;
	j->catchup = catchup;
	j->max_parse = (size_t)p->env->cfg->max_parse_memory;
	if (stream) {
		rowset_init_capped(&j->rs, p->rs.stream, p->rs.max_rows, p->rs.max_bytes);
		j->rs.prior = p->rs.n;
		j->rs.prior_bytes = p->rs.bytes;
		if (body) {
			j->url = strdup(p->url);
			j->post = p->post ? strdup(p->post) : NULL;
			size_t at = p->sums_new.n;
			j->may_skip = !p->diverged && at < p->sums_old.n &&
			              p->held_bytes + len <= held_max(p);
			if (j->may_skip)
				j->want = p->sums_old.v[at];
		}
	}
	/* The held pages go with the job; they come back if this page is skipped. */
	j->pre = p->held;
	j->n_pre = p->n_held;
	j->cap_pre = p->cap_held;
	p->held = NULL;
	p->n_held = p->cap_held = 0;
	p->parsing = j;
	if (worker_submit(p->env->worker, &j->wj) != 0) {
		p->parsing = NULL;
		p->held = j->pre;
		p->n_held = j->n_pre;
		p->cap_held = j->cap_pre;
		j->pre = NULL;
		j->n_pre = 0;
		parse_job_free(j);
		*err = "too many answers waiting to be parsed";
		return -1;
	}
	return 0;
}

/* Hand the answer of the current step to the worker; the pull goes on in parse_done. */
static void handle_body(struct pull *p)
{
	size_t len = 0;
	char *body = http_req_take_body(&p->req, &len);
	const char *err = NULL;
	if (parse_submit(p, body, len, false, &err) != 0) {
		stream_fail(p, "%s", err);
		pull_advance(p);
	}
}

/* The current step's page was parsed (rc 0, its rows in p->rs) or not (err): move on. */
static void page_parsed(struct pull *p, int rc, const char *err, const struct weapi_page *pg)
{
	const struct config *cfg = p->env->cfg;
	if (rc != 0) {
		stream_fail(p, "%s", err);
		pull_advance(p);
		return;
	}
	if (p->step == STEP_CAMPAIGNS || p->step == STEP_TEAM) {
		/* The walk ends at numberOfPages (the latest value) or an empty page. */
		bool last = pg->n_contents == 0 || p->page >= pg->number_of_pages;
		if (!last && p->page >= cfg->max_pages) {
			stream_fail(p, "numberOfPages %" PRId64 " passes max_pages %d",
			            pg->number_of_pages, cfg->max_pages);
			pull_advance(p);
			return;
		}
		p->attempt = 0;
		if (!last) {
			p->page++;
			pull_advance(p);
			return;
		}
		if (p->step == STEP_CAMPAIGNS && p->channel + 1 < WEAPI_N_CHANNELS) {
			p->channel++;
			p->page = 1;
			pull_advance(p);
			return;
		}
	}
	if (stream_complete(p))
		pull_advance(p);
}

/* Delay before retrying after a 429 or a retryable failure. */
static int64_t retry_delay(struct pull *p, enum retry_verdict v)
{
	const struct config *cfg = p->env->cfg;
	wall_ms now = clock_wall_ms();
	int64_t delay;
	if ((v == RV_RATE_LIMITED || p->req.status == 503) &&
	    retry_after_parse(p->req.retry_after, now, &delay) == 0)
		return delay + RETRY_DEADLINE_MARGIN_MS;
	if (v == RV_RATE_LIMITED)
		return retry_until_next_minute_ms(now) + RETRY_DEADLINE_MARGIN_MS + rng_upto(3000);
	return retry_backoff_ms(p->attempt, cfg->retry_base_ms, cfg->retry_cap_ms, rng_next());
}

#define SAID_BODY_MAX 4096 /* the largest error body whose message is read */
#define SAID_MAX      1024 /* " (server said: ...)", cut to fit */

/*
 * " (server said: MESSAGE)" from the envelope of an error answer's body,
 * for the reason an operator reads (e.g. why a key was refused); "" when
 * the body is not such an envelope. Only a small body is parsed, here on
 * the loop: an error envelope is a few dozen bytes, and a larger body is
 * not worth the loop's time.
 */
static void server_said(const struct http_req *r, char *out, size_t outlen)
{
	out[0] = '\0';
	if (r->body == NULL || r->body_len > SAID_BODY_MAX)
		return;
	json_t *root = NULL, *data = NULL;
	char e[SAID_MAX];
	if (weapi_envelope(r->body, r->body_len, &root, &data, e, sizeof(e)) != 0 &&
	    strncmp(e, "server said: ", 13) == 0)
		snprintf(out, outlen, " (%.*s)", (int)(outlen > 4 ? outlen - 4 : 0), e);
	json_decref(root);
}

static void on_done(struct http_req *r)
{
	struct pull *p = r->user;
	struct ws *w = p->w;
	const struct config *cfg = p->env->cfg;
	char at[96];
	where(p, at, sizeof(at));
	p->requests++;
	metrics_request(p->env->metrics, step_mep[p->step], r->result == CURLE_OK ? r->status : 0,
	                r->finished_ms - r->started_ms);
	if (r->ratelimit_remaining == 0) {
		wall_ms now = clock_wall_ms();
		w->hold_until_ms[current_endpoint(p)] =
		        now + retry_until_next_minute_ms(now) + RETRY_DEADLINE_MARGIN_MS;
	}
	bool transport_failed = r->result != CURLE_OK || r->too_large;
	enum retry_verdict v = retry_classify(r->status, transport_failed, transport_retryable(r));

	if (p->step == STEP_PROBE && !transport_failed &&
	    (r->status == 200 || r->status == 400 || r->status == 404)) {
		/* docs/api.md: any 404 or 400 means the key was accepted. */
		http_req_release(r);
		w->key_ok = true;
		log_ws(NULL, LOGL_DEBUG, w->cfg->name, p->id, "key accepted (probe: HTTP %ld)",
		       r->status);
		p->env->report.probed(p->env->report.arg, w);
		goto_step(p, STEP_STATS);
		pull_advance(p);
		return;
	}
	switch (v) {
	case RV_OK:
		handle_body(p);
		return;
	case RV_AUTH: {
		char said[SAID_MAX];
		server_said(r, said, sizeof(said));
		http_req_release(r);
		p->auth_failed = true;
		w->key_ok = false;
		pull_error(p, "%s: HTTP 401%s: the API key (fingerprint %s) was not accepted", at,
		           said, w->cfg->fingerprint);
		goto_step(p, STEP_DONE);
		pull_advance(p);
		return;
	}
	case RV_NOT_FOUND:
		http_req_release(r);
		if (p->step == STEP_CAMPAIGNS) {
			/* docs/api.md: the channel is not enabled for the account; skip it. */
			log_ws(NULL, LOGL_DEBUG, w->cfg->name, p->id,
			       "%s: HTTP 404, channel not enabled; skipped", at);
			p->attempt = 0;
			if (p->channel + 1 < WEAPI_N_CHANNELS) {
				p->channel++;
				p->page = 1;
			} else if (!stream_complete(p)) {
				return; /* it goes on when stored */
			}
			pull_advance(p);
			return;
		}
		stream_fail(p, "HTTP 404%s",
		            p->step == STEP_STATS ? ": the license code or data center is wrong"
		                                  : "");
		pull_advance(p);
		return;
	case RV_RETRY:
	case RV_RATE_LIMITED:
		if (p->attempt >= cfg->retry_max ||
		    !budget_take_retry(p->env->budget, clock_mono_ms())) {
			if (p->attempt < cfg->retry_max)
				p->env->metrics->retry_budget_refused++;
			const char *why = p->attempt >= cfg->retry_max
			                          ? "attempts"
			                          : "attempts; daemon-wide retry budget spent";
			if (transport_failed)
				stream_fail(p, "%s (after %d %s)", http_req_failure(r),
				            p->attempt + 1, why);
			else
				stream_fail(p, "HTTP %ld (after %d %s)", r->status, p->attempt + 1,
				            why);
			http_req_release(r);
			pull_advance(p);
			return;
		}
		{
			int64_t delay = retry_delay(p, v);
			if (transport_failed)
				log_ws(NULL, LOGL_DEBUG, w->cfg->name, p->id,
				       "%s: %s; retry %d in %" PRId64 " ms", at,
				       http_req_failure(r), p->attempt + 1, delay);
			else
				log_ws(NULL, LOGL_DEBUG, w->cfg->name, p->id,
				       "%s: HTTP %ld; retry %d in %" PRId64 " ms", at, r->status,
				       p->attempt + 1, delay);
			http_req_release(r);
			p->attempt++;
			p->retries++;
			p->env->metrics->retries++;
			send_after(p, delay);
		}
		return;
	case RV_FAIL:
	default:
		if (transport_failed)
			stream_fail(p, "%s", http_req_failure(r));
		else
			stream_fail(p, "HTTP %ld", r->status);
		http_req_release(r);
		pull_advance(p);
		return;
	}
}

int pull_start(const struct pull_env *env, struct ws *w)
{
	char err[256];
	struct pull *p = calloc(1, sizeof(*p));
	if (!p) {
		report_done(env, w, PULL_FAILED, "out of memory starting a pull");
		return -1;
	}
	p->w = w;
	p->env = env;
	p->started_wall = clock_wall_s();
	struct storegate *g = env->gate;
	if (pull_record_late(env, w) != 0 && !storegate_is_open(g)) {
		free(p);
		return 1;
	}
	int rc = storegate_is_open(g) ? store_pull_begin(env->store, w->cfg->name, p->started_wall,
	                                                 &p->id, err, sizeof(err))
	                              : SQLITE_BUSY;
	if (!storegate_is_open(g) || storegate_failed(g, rc, err)) {
		free(p);
		return 1; /* held: the caller starts it again when the gate opens */
	}
	metrics_store(env->metrics, rc, err);
	if (rc != 0) {
		free(p);
		log_ws(&w->rl, LOGL_ERR, w->cfg->name, 0, "could not start a pull: %s", err);
		report_done(env, w, PULL_FAILED, err);
		return -1;
	}
	w->pull = p;
	w->last_pull_id = p->id;
	env->report.wrote(env->report.arg, w);
	log_ws(NULL, LOGL_DEBUG, w->cfg->name, p->id, "pull started");
	goto_step(p, w->key_ok ? STEP_STATS : STEP_PROBE);
	pull_advance(p);
	return 0;
}
