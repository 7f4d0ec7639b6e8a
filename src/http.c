/*
 * http.c: libcurl's multi_socket interface on libevent, after curl's
 * docs/examples/hiperfifo.c (see http.h for the design), minus its exit()
 * on error: every failure here becomes a failed request, never a dead
 * daemon.
 *
 * Why one file of about 800 lines: curl's callbacks, the host queues,
 * the easy-handle pool, starting and finishing transfers all act on one
 * struct http and hand requests to each other both ways (a finished
 * transfer starts the next queued one; a start that fails goes to the
 * finished ones), which is hiperfifo's shape; apart, they would be files
 * that call each other.
 */
#include "http.h"

#include <event2/event.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "loopstat.h"

#define POOL_MAX 4096 /* idle easy handles kept for reuse, at most */

struct http_host {
	char *key;
	int running;
	int limit; /* transfers allowed at once now: max_per_host, or less while ramping */
	int fails; /* consecutive outage-like failures */
	struct http_req *qhead, *qtail;
	struct http_host *next;
};

struct http {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;    /* curl's one timeout */
	struct event *deferred; /* runs done() of requests that failed to start */
	struct http_opts o;
	char *ca_file;
	struct http_host *hosts, *rr;
	struct http_req *failed_head;  /* requests whose start failed, via qnext */
	struct http_req *running_head; /* transfers in the multi, via rnext */
	struct sock_ctx *socks;        /* every socket context, to free at the end */
	CURL **pool;
	int npool, pool_cap;
	struct http_stats st;
	int running, queued;
	bool in_dispatch, closing;
};

/* Per-socket context curl hands back to us (curl_multi_assign). */
struct sock_ctx {
	struct event *ev;
	struct sock_ctx *prev, *next;
};

static void sock_ctx_free(struct http *h, struct sock_ctx *sc)
{
	if (sc->prev)
		sc->prev->next = sc->next;
	else
		h->socks = sc->next;
	if (sc->next)
		sc->next->prev = sc->prev;
	event_free(sc->ev);
	free(sc);
}

static void dispatch(struct http *h);

/* --- hosts and queues ----------------------------------------------------- */

static struct http_host *host_get(struct http *h, const char *key)
{
	for (struct http_host *x = h->hosts; x; x = x->next)
		if (strcmp(x->key, key) == 0)
			return x;
	struct http_host *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->key = strdup(key);
	if (!x->key) {
		free(x);
		return NULL;
	}
	x->limit = h->o.max_per_host;
	x->next = h->hosts;
	h->hosts = x;
	return x;
}

/*
 * Free a host nobody uses any more, so the list stays as short as the live
 * set; a host that is down or ramping up keeps its state until it is well.
 */
static void host_gc(struct http *h, struct http_host *x)
{
	if (x->running > 0 || x->qhead || x->fails > 0 || x->limit < h->o.max_per_host)
		return;
	struct http_host **pp = &h->hosts;
	while (*pp && *pp != x)
		pp = &(*pp)->next;
	if (!*pp)
		return;
	*pp = x->next;
	if (h->rr == x)
		h->rr = x->next;
	free(x->key);
	free(x);
}

static void queue_push(struct http_host *x, struct http_req *r)
{
	r->qnext = NULL;
	if (x->qtail)
		x->qtail->qnext = r;
	else
		x->qhead = r;
	x->qtail = r;
}

static void queue_unlink(struct http_host *x, struct http_req *r)
{
	struct http_req *prev = NULL;
	for (struct http_req *q = x->qhead; q; prev = q, q = q->qnext) {
		if (q != r)
			continue;
		if (prev)
			prev->qnext = q->qnext;
		else
			x->qhead = q->qnext;
		if (x->qtail == q)
			x->qtail = prev;
		q->qnext = NULL;
		return;
	}
}

/* --- process-wide -------------------------------------------------------- */

/* free() after overwriting the whole block (curl's memory may hold a key). */
static void wipe_free(void *ptr)
{
	if (ptr) {
		explicit_bzero(ptr, malloc_usable_size(ptr));
		free(ptr);
	}
}

/* realloc() that leaves no copy behind: a new block, the old one wiped and freed. */
static void *wipe_realloc(void *ptr, size_t size)
{
	if (!ptr)
		return malloc(size);
	size_t old = malloc_usable_size(ptr);
	void *q = malloc(size ? size : 1);
	if (!q)
		return NULL;
	memcpy(q, ptr, old < size ? old : size);
	wipe_free(ptr);
	return q;
}

int http_global_init(void)
{
	return curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wipe_free, wipe_realloc, strdup,
	                            calloc) == CURLE_OK
	               ? 0
	               : -1;
}

/* --- easy handle pool ----------------------------------------------------- */

static CURL *pool_get(struct http *h)
{
	if (h->npool > 0) {
		CURL *e = h->pool[--h->npool];
		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

static void pool_put(struct http *h, CURL *e)
{
	if (h->npool < h->pool_cap) {
		h->pool[h->npool++] = e;
		return;
	}
	curl_easy_cleanup(e);
}

/* --- curl callbacks ------------------------------------------------------- */

/* Body bytes: append, refusing anything past max_response (returning a short count aborts). */
static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_req *r = userdata;
	size_t n = size * nmemb;
	if (n > r->max_response || r->body_len > r->max_response - n) {
		r->too_large = true;
		return 0;
	}
	if (r->body_len + n + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 16384;
		while (cap < r->body_len + n + 1)
			cap *= 2;
		if (cap > r->max_response + 1)
			cap = r->max_response + 1;
		char *b = realloc(r->body, cap);
		if (!b)
			return 0;
		r->body = b;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, ptr, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

/* Copy a header's value, trimmed, into out (cut to outlen - 1). */
static void header_value(const char *v, size_t len, char *out, size_t outlen)
{
	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' ' ||
	                   v[len - 1] == '\t'))
		len--;
	if (len >= outlen)
		len = outlen - 1;
	memcpy(out, v, len);
	out[len] = '\0';
}

static long header_long(const char *v, size_t len)
{
	char buf[32];
	header_value(v, len, buf, sizeof(buf));
	char *end;
	long x = strtol(buf, &end, 10);
	if (end == buf || *end != '\0' || x < 0)
		return -1;
	return x;
}

/* Header lines: keep the rate-limit headers and Retry-After of the last response. */
static size_t header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct http_req *r = userdata;
	size_t n = size * nitems;
	static const char ra[] = "retry-after:", rl[] = "x-ratelimit-limit:",
	                  rr[] = "x-ratelimit-remaining:";
	if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		/* A new response (after 1xx, or a retry inside curl): forget the last one's. */
		r->retry_after[0] = '\0';
		r->ratelimit_limit = -1;
		r->ratelimit_remaining = -1;
	} else if (n > sizeof(ra) - 1 && strncasecmp(buf, ra, sizeof(ra) - 1) == 0) {
		header_value(buf + sizeof(ra) - 1, n - (sizeof(ra) - 1), r->retry_after,
		             sizeof(r->retry_after));
	} else if (n > sizeof(rl) - 1 && strncasecmp(buf, rl, sizeof(rl) - 1) == 0) {
		r->ratelimit_limit = header_long(buf + sizeof(rl) - 1, n - (sizeof(rl) - 1));
	} else if (n > sizeof(rr) - 1 && strncasecmp(buf, rr, sizeof(rr) - 1) == 0) {
		r->ratelimit_remaining = header_long(buf + sizeof(rr) - 1, n - (sizeof(rr) - 1));
	}
	return n;
}

/* --- finishing ------------------------------------------------------------ */

/* Detach r from the engine (handle back to the pool, counters down). */
static void detach(struct http *h, struct http_req *r)
{
	if (r->easy) {
		curl_multi_remove_handle(h->multi, r->easy);
		pool_put(h, r->easy);
		r->easy = NULL;
	}
	if (r->state == HTTP_RUNNING) {
		h->running--;
		if (r->host)
			r->host->running--;
		if (r->rprev)
			r->rprev->rnext = r->rnext;
		else
			h->running_head = r->rnext;
		if (r->rnext)
			r->rnext->rprev = r->rprev;
		r->rprev = r->rnext = NULL;
	}
	r->state = HTTP_IDLE;
	struct http_host *x = r->host;
	r->host = NULL;
	if (x)
		host_gc(h, x);
}

/*
 * The ramp after an outage. A host whose transfers fail HTTP_OUTAGE_FAILS
 * times in a row in the way of a host that is down (no connection, no
 * answer, or 502/503/504 from its gateway) drops to one transfer at a
 * time; each success then allows one more, up to max_per_host. So when a
 * host comes back, the workspaces that piled up during the outage reach
 * it one more at a time, not all at once (additive increase, as in TCP's
 * congestion avoidance).
 */
static bool outage_like(CURLcode res, long status)
{
	switch (res) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return true;
	case CURLE_OK:
		return status == 502 || status == 503 || status == 504;
	default:
		return false;
	}
}

static void host_account(struct http *h, struct http_host *x, CURLcode res, long status)
{
	if (outage_like(res, status)) {
		if (++x->fails >= HTTP_OUTAGE_FAILS && x->limit > 1) {
			x->limit = 1;
			h->st.outages++;
		}
		return;
	}
	if (res != CURLE_OK)
		return; /* a failure of this transfer, not of the host */
	x->fails = 0;
	if (x->limit < h->o.max_per_host)
		x->limit++;
}

static void finish(struct http *h, struct http_req *r, CURLcode res)
{
	r->result = res;
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->host)
		host_account(h, r->host, res, r->status);
	if (res != CURLE_OK && r->error[0] == '\0')
		snprintf(r->error, sizeof(r->error), "%s", curl_easy_strerror(res));
	r->finished_ms = clock_mono_ms();
	h->st.finished++;
	if (res != CURLE_OK)
		h->st.failed_transport++;
	detach(h, r);
	r->done(r);
}

/* Sweep finished transfers: after every curl_multi_socket_action. */
static void check_multi_info(struct http *h)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct http_req *r = NULL;
		CURLcode res = msg->data.result;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r)
			finish(h, r, res);
	}
	dispatch(h);
}

/* --- libevent <-> curl ---------------------------------------------------- */

static void event_cb(evutil_socket_t fd, short kind, void *arg)
{
	struct http *h = arg;
	int action = ((kind & EV_READ) ? CURL_CSELECT_IN : 0) |
	             ((kind & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;
	mono_us t0 = loopstat_begin();
	curl_multi_socket_action(h->multi, fd, action, &running);
	check_multi_info(h);
	loopstat_end(t0, "http socket");
}

static void timer_cb(evutil_socket_t fd, short kind, void *arg)
{
	(void)fd;
	(void)kind;
	struct http *h = arg;
	int running;
	mono_us t0 = loopstat_begin();
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi_info(h);
	loopstat_end(t0, "http timer");
}

/* CURLMOPT_TIMERFUNCTION: (re)arm or stop the one timer; never act here. */
static int multi_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct http *h = userp;
	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	return evtimer_add(h->timer, &tv) == 0 ? 0 : -1;
}

/* CURLMOPT_SOCKETFUNCTION: watch, re-watch or forget a socket. */
static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)e;
	struct http *h = userp;
	struct sock_ctx *sc = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (sc) {
			sock_ctx_free(h, sc);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	short kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
	                     ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
	if (!sc) {
		sc = calloc(1, sizeof(*sc));
		if (!sc)
			return -1;
		sc->ev = event_new(h->base, s, kind, event_cb, h);
		if (!sc->ev) {
			free(sc);
			return -1;
		}
		sc->next = h->socks;
		if (h->socks)
			h->socks->prev = sc;
		h->socks = sc;
		curl_multi_assign(h->multi, s, sc);
	} else {
		event_del(sc->ev);
		event_assign(sc->ev, h->base, s, kind, event_cb, h);
	}
	return event_add(sc->ev, NULL) == 0 ? 0 : -1;
}

/* --- starting ------------------------------------------------------------- */

static int start_transfer(struct http *h, struct http_req *r)
{
	CURL *e = pool_get(h);
	if (!e)
		return -1;
	const struct http_opts *o = &h->o;
	r->status = 0;
	r->result = CURLE_OK;
	r->too_large = false;
	r->error[0] = '\0';
	r->body_len = 0;
	if (r->body)
		r->body[0] = '\0';
	r->retry_after[0] = '\0';
	r->ratelimit_limit = r->ratelimit_remaining = -1;
	r->max_response = o->max_response;
	r->started_ms = clock_mono_ms();

	int bad = 0;
	bad |= curl_easy_setopt(e, CURLOPT_URL, r->url);
	bad |= curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
	bad |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	bad |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	bad |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	bad |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	bad |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
	bad |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, r->allow_http ? "http,https" : "https");
	bad |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	bad |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	bad |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->request_timeout_ms);
	if (o->low_speed_limit > 0 && o->low_speed_time_ms >= 1000) {
		bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_limit);
		bad |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME,
		                        (long)(o->low_speed_time_ms / 1000));
	}
	bad |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_response);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	bad |= curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (h->ca_file) {
		/* CAINFO replaces the default bundle; CAPATH keeps the system's. */
		bad |= curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
		bad |= curl_easy_setopt(e, CURLOPT_CAPATH, "/etc/ssl/certs");
	}
	bad |= curl_easy_setopt(e, CURLOPT_USERAGENT, "wegauge/" WEGAUGE_VERSION);
	bad |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	bad |= curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	if (r->post_body) {
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->post_len);
		bad |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->post_body);
	}
	if (bad || curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		pool_put(h, e);
		return -1;
	}
	r->easy = e;
	r->state = HTTP_RUNNING;
	r->rprev = NULL;
	r->rnext = h->running_head;
	if (h->running_head)
		h->running_head->rprev = r;
	h->running_head = r;
	r->host->running++;
	h->running++;
	h->st.started++;
	if (h->running > h->st.running_peak)
		h->st.running_peak = h->running;
	return 0;
}

/* A request that could not start: its done() runs from the deferred event. */
static void fail_deferred(struct http *h, struct http_req *r, const char *why)
{
	r->result = CURLE_FAILED_INIT;
	r->status = 0;
	snprintf(r->error, sizeof(r->error), "%s", why);
	struct http_host *x = r->host;
	r->host = NULL;
	r->state = HTTP_QUEUED; /* parked on the failed list */
	r->qnext = h->failed_head;
	h->failed_head = r;
	if (x)
		host_gc(h, x);
	event_active(h->deferred, 0, 0);
}

static void deferred_cb(evutil_socket_t fd, short kind, void *arg)
{
	(void)fd;
	(void)kind;
	struct http *h = arg;
	mono_us t0 = loopstat_begin();
	while (h->failed_head) {
		struct http_req *r = h->failed_head;
		h->failed_head = r->qnext;
		r->qnext = NULL;
		r->state = HTTP_IDLE;
		r->finished_ms = clock_mono_ms();
		r->done(r);
	}
	loopstat_end(t0, "http failures");
}

/*
 * Start queued requests while there is room: round-robin over hosts, FIFO
 * within a host. Not re-entrant (a done() that submits lands here again).
 */
static void dispatch(struct http *h)
{
	if (h->in_dispatch || h->closing)
		return;
	h->in_dispatch = true;
	while (h->running < h->o.max_in_flight && h->queued > 0 && h->hosts) {
		struct http_host *start = h->rr ? h->rr : h->hosts, *x = start, *found = NULL;
		do {
			if (x->qhead && x->running < x->limit) {
				found = x;
				break;
			}
			x = x->next ? x->next : h->hosts;
		} while (x != start);
		if (!found)
			break;
		h->rr = found->next ? found->next : h->hosts;
		struct http_req *r = found->qhead;
		found->qhead = r->qnext;
		if (!found->qhead)
			found->qtail = NULL;
		r->qnext = NULL;
		h->queued--;
		if (start_transfer(h, r) != 0)
			fail_deferred(h, r, "could not start the transfer (out of memory?)");
	}
	h->in_dispatch = false;
}

/* --- public --------------------------------------------------------------- */

struct http *http_new(struct event_base *base, const struct http_opts *o)
{
	struct http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->base = base;
	h->multi = curl_multi_init();
	h->timer = evtimer_new(base, timer_cb, h);
	h->deferred = event_new(base, -1, 0, deferred_cb, h);
	if (!h->multi || !h->timer || !h->deferred) {
		http_free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	http_set_opts(h, o);
	return h;
}

void http_set_opts(struct http *h, const struct http_opts *o)
{
	int old_max = h->o.max_per_host;
	h->o = *o;
	if (h->o.max_in_flight < 1)
		h->o.max_in_flight = 1;
	if (h->o.max_per_host < 1)
		h->o.max_per_host = 1;
	free(h->ca_file);
	h->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	h->o.ca_file = h->ca_file;
	/* Keep as many idle handles (and so connections) as may run at once. */
	int cap = h->o.max_in_flight < POOL_MAX ? h->o.max_in_flight : POOL_MAX;
	if (cap > h->pool_cap) {
		CURL **p = realloc(h->pool, (size_t)cap * sizeof(*p));
		if (p) {
			h->pool = p;
			h->pool_cap = cap;
		}
	}
	/* Healthy hosts take the new limit; ramping ones keep ramping under it. */
	for (struct http_host *x = h->hosts; x; x = x->next)
		if (x->limit >= old_max || x->limit > h->o.max_per_host)
			x->limit = h->o.max_per_host;
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
	                  (long)(h->o.max_in_flight + h->o.max_per_host));
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)h->o.max_per_host);
	dispatch(h);
}

int http_submit(struct http *h, struct http_req *r)
{
	if (r->state != HTTP_IDLE || !r->url || !r->done)
		return -1;
	struct http_host *x = host_get(h, r->host_key ? r->host_key : "");
	if (!x)
		return -1;
	r->h = h;
	r->host = x;
	r->state = HTTP_QUEUED;
	queue_push(x, r);
	h->queued++;
	dispatch(h);
	return 0;
}

void http_cancel(struct http *h, struct http_req *r)
{
	if (r->state == HTTP_IDLE)
		return;
	if (r->state == HTTP_QUEUED) {
		if (r->host) {
			queue_unlink(r->host, r);
			h->queued--;
		} else {
			/* On the failed list: take it off. */
			struct http_req **pp = &h->failed_head;
			while (*pp && *pp != r)
				pp = &(*pp)->qnext;
			if (*pp)
				*pp = r->qnext;
			r->qnext = NULL;
		}
	}
	detach(h, r);
	dispatch(h);
}

void http_req_release(struct http_req *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = r->body_cap = 0;
}

char *http_req_take_body(struct http_req *r, size_t *len)
{
	char *b = r->body;
	*len = b ? r->body_len : 0;
	r->body = NULL;
	r->body_len = r->body_cap = 0;
	return b;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	h->closing = true;
	for (struct http_host *x = h->hosts; x;) {
		struct http_host *next = x->next;
		for (struct http_req *r = x->qhead; r;) {
			struct http_req *rn = r->qnext;
			r->qnext = NULL;
			r->state = HTTP_IDLE;
			r->host = NULL;
			r = rn;
		}
		x->qhead = x->qtail = NULL;
		x = next;
	}
	/* Running transfers: take their handles out of the multi. */
	while (h->running_head) {
		struct http_req *r = h->running_head;
		r->host = NULL;
		detach(h, r);
	}
	while (h->failed_head) {
		struct http_req *r = h->failed_head;
		h->failed_head = r->qnext;
		r->qnext = NULL;
		r->state = HTTP_IDLE;
	}
	while (h->hosts) {
		struct http_host *x = h->hosts;
		h->hosts = x->next;
		free(x->key);
		free(x);
	}
	for (int i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	free(h->pool);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	/* Sockets of cached connections curl closed without telling us. */
	while (h->socks)
		sock_ctx_free(h, h->socks);
	if (h->timer)
		event_free(h->timer);
	if (h->deferred)
		event_free(h->deferred);
	free(h->ca_file);
	free(h);
}

void http_get_stats(const struct http *h, struct http_stats *out)
{
	*out = h->st;
	out->running = h->running;
	out->queued = h->queued;
}

const char *http_req_failure(const struct http_req *r)
{
	if (r->too_large)
		return "response larger than max_response";
	if (r->result != CURLE_OK)
		return r->error[0] ? r->error : curl_easy_strerror(r->result);
	return "";
}

static int ops_submit(void *engine, struct http_req *r)
{
	return http_submit(engine, r);
}

static void ops_cancel(void *engine, struct http_req *r)
{
	http_cancel(engine, r);
}

static void ops_get_stats(const void *engine, struct http_stats *out)
{
	http_get_stats(engine, out);
}

const struct http_ops http_engine_ops = {
        .submit = ops_submit,
        .cancel = ops_cancel,
        .get_stats = ops_get_stats,
};
