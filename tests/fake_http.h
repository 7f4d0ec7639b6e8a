/*
 * fake_http.h: an HTTP engine for tests, with http.h's interface as an
 * ops table (struct http_ops), that answers from a table of routes
 * instead of the network. A pull (pull.h) is handed it through its
 * struct pull_env exactly where the daemon hands it http_engine_ops.
 *
 * A route matches a request whose URL contains its text; the first route
 * that matches and has answers left (times; 0 = any number) answers, with
 * a status and a body (inline, or a file of tests/fixtures/api, read
 * through $FIXTURES), or with a transport failure (status 0 and a curl
 * code), and with the Retry-After and X-RateLimit-Remaining headers it
 * names. A request no route matches gets 404 and is counted (unrouted).
 *
 * Like the real engine, a request's done() runs on the loop, never inside
 * submit: submit queues the request and activates the fake's answer
 * event, which answers the requests queued before it ran (a done() that
 * submits again is answered on the next turn). While hold is set nothing
 * is answered (fake_http_release answers what waits). cancel takes a
 * queued request back: its done() never runs. Counters say what was
 * submitted, answered and cancelled, and the most requests queued at
 * once (peak), which is what the daemon's admission counts as running.
 *
 * Ownership: the caller owns the fake and each request (as with the real
 * engine); a body handed to a request is malloc'd and becomes the
 * request's (http_req_release or http_req_take_body frees it).
 */
#ifndef WEGAUGE_TEST_FAKE_HTTP_H
#define WEGAUGE_TEST_FAKE_HTTP_H

#include <curl/curl.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http.h"

#define FAKE_MAX_ROUTES 32
#define FAKE_MAX_QUEUE  4096
#define FAKE_MAX_LOG    256

struct fake_route {
	const char *match;       /* a substring of the URL */
	long status;             /* HTTP status; 0 = the transfer failed with result */
	CURLcode result;         /* with status 0 */
	const char *file;        /* the body: tests/fixtures/api/FILE ... */
	const char *body;        /* ... or this text; both NULL: no body */
	const char *retry_after; /* Retry-After, NULL when absent */
	long rl_remaining;       /* X-RateLimit-Remaining; set -1 for none */
	int times;               /* answers this many requests, then lets later routes; 0: all */
	int used;                /* answers given */
};

struct fake_http {
	struct event_base *base;
	struct event *answer;
	struct fake_route routes[FAKE_MAX_ROUTES];
	size_t n_routes;
	struct http_req *queue[FAKE_MAX_QUEUE]; /* submitted, not answered, oldest first */
	size_t n_queue;
	bool hold; /* answer nothing until fake_http_release */
	int submitted, answered, cancelled, unrouted;
	size_t peak;                     /* the longest the queue was */
	char urls[FAKE_MAX_LOG][256];    /* the URL of each request submitted, in order ... */
	mono_ms submit_ms[FAKE_MAX_LOG]; /* ... and when */
	bool posted[FAKE_MAX_LOG];       /* ... and whether it had a body */
};

/* The whole of $FIXTURES/api/name, malloc'd (*len bytes, NUL-terminated); NULL when unreadable. */
static inline char *fake_http_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("FIXTURES");
	char path[4096];
	snprintf(path, sizeof(path), "%s/api/%s", dir ? dir : "tests/fixtures", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			char *g = realloc(buf, cap);
			if (!g) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = g;
		}
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static inline struct fake_route *fake_http_route_for(struct fake_http *f, const char *url)
{
	for (size_t i = 0; i < f->n_routes; i++) {
		struct fake_route *rt = &f->routes[i];
		if (strstr(url, rt->match) && (rt->times == 0 || rt->used < rt->times))
			return rt;
	}
	return NULL;
}

/* Fill r as the real engine would after a transfer, by its route. */
static inline void fake_http_fill(struct fake_http *f, struct http_req *r)
{
	struct fake_route *rt = fake_http_route_for(f, r->url);
	r->status = 404;
	r->result = CURLE_OK;
	r->too_large = false;
	r->error[0] = '\0';
	r->body = NULL;
	r->body_len = 0;
	r->retry_after[0] = '\0';
	r->ratelimit_limit = -1;
	r->ratelimit_remaining = -1;
	r->finished_ms = clock_mono_ms();
	if (!rt) {
		f->unrouted++;
		return;
	}
	rt->used++;
	r->status = rt->status;
	if (rt->status == 0) {
		r->result = rt->result;
		snprintf(r->error, sizeof(r->error), "fake: %s", curl_easy_strerror(rt->result));
	}
	if (rt->file)
		r->body = fake_http_fixture(rt->file, &r->body_len);
	else if (rt->body) {
		r->body = strdup(rt->body);
		r->body_len = r->body ? strlen(r->body) : 0;
	}
	if (rt->retry_after)
		snprintf(r->retry_after, sizeof(r->retry_after), "%s", rt->retry_after);
	r->ratelimit_remaining = rt->rl_remaining;
}

/* The answer event: answer the requests queued when it began, oldest first. */
static inline void fake_http_answer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct fake_http *f = arg;
	size_t n = f->n_queue;
	for (size_t k = 0; k < n && f->n_queue > 0 && !f->hold; k++) {
		struct http_req *r = f->queue[0];
		memmove(f->queue, f->queue + 1, (f->n_queue - 1) * sizeof(f->queue[0]));
		f->n_queue--;
		fake_http_fill(f, r);
		r->state = HTTP_IDLE;
		f->answered++;
		r->done(r);
	}
}

static inline int fake_http_submit(void *engine, struct http_req *r)
{
	struct fake_http *f = engine;
	if (r->state != HTTP_IDLE || !r->url || !r->done || f->n_queue == FAKE_MAX_QUEUE)
		return -1;
	if (f->submitted < FAKE_MAX_LOG) {
		snprintf(f->urls[f->submitted], sizeof(f->urls[0]), "%s", r->url);
		f->submit_ms[f->submitted] = clock_mono_ms();
		f->posted[f->submitted] = r->post_body != NULL;
	}
	f->submitted++;
	r->state = HTTP_QUEUED;
	r->started_ms = clock_mono_ms();
	f->queue[f->n_queue++] = r;
	if (f->n_queue > f->peak)
		f->peak = f->n_queue;
	if (!f->hold)
		event_active(f->answer, 0, 0);
	return 0;
}

static inline void fake_http_cancel(void *engine, struct http_req *r)
{
	struct fake_http *f = engine;
	for (size_t i = 0; i < f->n_queue; i++) {
		if (f->queue[i] == r) {
			memmove(f->queue + i, f->queue + i + 1,
			        (f->n_queue - i - 1) * sizeof(f->queue[0]));
			f->n_queue--;
			f->cancelled++;
			break;
		}
	}
	r->state = HTTP_IDLE;
}

static inline void fake_http_get_stats(const void *engine, struct http_stats *out)
{
	const struct fake_http *f = engine;
	memset(out, 0, sizeof(*out));
	out->running = (int)f->n_queue;
	out->started = (uint64_t)f->submitted;
	out->finished = (uint64_t)f->answered;
}

static const struct http_ops fake_http_ops = {
        .submit = fake_http_submit,
        .cancel = fake_http_cancel,
        .get_stats = fake_http_get_stats,
};

/* An empty fake on base (no routes, not holding). 0, or -1 on OOM. */
static inline int fake_http_init(struct fake_http *f, struct event_base *base)
{
	memset(f, 0, sizeof(*f));
	f->base = base;
	f->answer = event_new(base, -1, 0, fake_http_answer_cb, f);
	return f->answer ? 0 : -1;
}

/* Requests still queued are dropped unanswered (their done() never runs). */
static inline void fake_http_free(struct fake_http *f)
{
	for (size_t i = 0; i < f->n_queue; i++)
		f->queue[i]->state = HTTP_IDLE;
	f->n_queue = 0;
	if (f->answer)
		event_free(f->answer);
	f->answer = NULL;
}

/* Add a route (see struct fake_route); returns it for more settings. */
static inline struct fake_route *fake_http_route(struct fake_http *f, const char *match,
                                                 long status, const char *file, const char *body)
{
	struct fake_route *rt = &f->routes[f->n_routes++];
	*rt = (struct fake_route){
	        .match = match, .status = status, .file = file, .body = body, .rl_remaining = -1};
	return rt;
}

/* Stop holding: what waits is answered from the loop. */
static inline void fake_http_release(struct fake_http *f)
{
	f->hold = false;
	if (f->n_queue)
		event_active(f->answer, 0, 0);
}

/* How many submitted requests had a URL containing s. */
static inline int fake_http_count(const struct fake_http *f, const char *s)
{
	int n = 0;
	for (int i = 0; i < f->submitted && i < FAKE_MAX_LOG; i++)
		n += strstr(f->urls[i], s) != NULL;
	return n;
}

#endif
