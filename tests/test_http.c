/*
 * test_http.c: src/http.c, the curl-multi-on-libevent engine, against a
 * small evhttp server on loopback in the same loop: bodies and headers,
 * max_response with and without Content-Length, the max_in_flight and
 * max_per_host admission (measured by the server), cancel of queued and
 * running requests, timeouts, the https-only rule, and teardown with
 * transfers in flight (ASan checks nothing leaks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "http.h"

/* --- the test server -------------------------------------------------------- */

struct srv {
	struct event_base *base;
	struct evhttp *http;
	int port;
	int inflight, inflight_peak, served;
	int delay_ms; /* /slow answers after this */
	struct delayed *pending;
};

struct delayed {
	struct evhttp_request *req;
	struct srv *s;
	struct event *ev;
	struct delayed *next;
};

static void delayed_unlink(struct srv *s, struct delayed *dl)
{
	struct delayed **pp = &s->pending;
	while (*pp && *pp != dl)
		pp = &(*pp)->next;
	if (*pp)
		*pp = dl->next;
}

static void reply_ok(struct srv *s, struct evhttp_request *req, const char *body)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, body, strlen(body));
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-RateLimit-Limit", "100");
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-RateLimit-Remaining", "0");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", " 7 ");
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
	s->served++;
}

static void delayed_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct delayed *dl = arg;
	dl->s->inflight--;
	delayed_unlink(dl->s, dl);
	reply_ok(dl->s, dl->req, "slow");
	event_free(dl->ev);
	free(dl);
}

static void srv_cb(struct evhttp_request *req, void *arg)
{
	struct srv *s = arg;
	const char *uri = evhttp_request_get_uri(req);
	if (strncmp(uri, "/slow", 5) == 0) {
		struct delayed *dl = calloc(1, sizeof(*dl));
		dl->req = req;
		dl->s = s;
		dl->ev = evtimer_new(s->base, delayed_cb, dl);
		dl->next = s->pending;
		s->pending = dl;
		struct timeval tv = {.tv_sec = 0, .tv_usec = s->delay_ms * 1000};
		evtimer_add(dl->ev, &tv);
		if (++s->inflight > s->inflight_peak)
			s->inflight_peak = s->inflight;
		return;
	}
	if (strcmp(uri, "/big") == 0 || strcmp(uri, "/bigchunked") == 0) {
		static char chunk[4096];
		memset(chunk, 'x', sizeof(chunk));
		if (strcmp(uri, "/big") == 0) {
			struct evbuffer *b = evbuffer_new();
			for (int i = 0; i < 64; i++)
				evbuffer_add(b, chunk, sizeof(chunk));
			evhttp_send_reply(req, 200, "OK", b);
			evbuffer_free(b);
		} else {
			evhttp_send_reply_start(req, 200, "OK");
			struct evbuffer *b = evbuffer_new();
			for (int i = 0; i < 64; i++) {
				evbuffer_add(b, chunk, sizeof(chunk));
				evhttp_send_reply_chunk(req, b);
			}
			evhttp_send_reply_end(req);
			evbuffer_free(b);
		}
		return;
	}
	if (strcmp(uri, "/never") == 0)
		return; /* no answer: evhttp frees it when the client goes */
	if (strcmp(uri, "/down") == 0) {
		evhttp_send_reply(req, 503, "Service Unavailable", NULL);
		return;
	}
	reply_ok(s, req, "hello");
}

static struct srv *srv_start(struct event_base *base)
{
	struct srv *s = calloc(1, sizeof(*s));
	s->base = base;
	s->http = evhttp_new(base);
	evhttp_set_gencb(s->http, srv_cb, s);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
	assert_non_null(bs);
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &len);
	s->port = ntohs(sin.sin_port);
	return s;
}

static void srv_free(struct srv *s)
{
	while (s->pending) {
		struct delayed *dl = s->pending;
		s->pending = dl->next;
		event_free(dl->ev);
		free(dl);
	}
	evhttp_free(s->http);
	free(s);
}

/* --- client side ------------------------------------------------------------ */

struct t {
	struct event_base *base;
	struct srv *srv;
	struct http *h;
	int done, want;
	char url[64][128];
	struct http_req req[64];
};

static void on_done(struct http_req *r)
{
	struct t *t = r->user;
	if (++t->done == t->want)
		event_base_loopbreak(t->base);
}

static const struct http_opts default_opts = {
        .max_in_flight = 64,
        .max_per_host = 16,
        .connect_timeout_ms = 5000,
        .request_timeout_ms = 10000,
        .max_response = 1 << 20,
};

static struct t *t_new(const struct http_opts *o)
{
	struct t *t = calloc(1, sizeof(*t));
	t->base = event_base_new();
	t->srv = srv_start(t->base);
	t->h = http_new(t->base, o);
	assert_non_null(t->h);
	return t;
}

static void t_free(struct t *t)
{
	for (int i = 0; i < 64; i++)
		http_req_release(&t->req[i]);
	http_free(t->h);
	srv_free(t->srv);
	event_base_free(t->base);
	free(t);
}

static void submit(struct t *t, int i, const char *path, const char *host_key)
{
	snprintf(t->url[i], sizeof(t->url[i]), "http://127.0.0.1:%d%s", t->srv->port, path);
	struct http_req *r = &t->req[i];
	r->url = t->url[i];
	r->host_key = host_key;
	r->allow_http = true;
	r->done = on_done;
	r->user = t;
	assert_int_equal(http_submit(t->h, r), 0);
}

/* Run the loop until t->want requests are done, at most 20 s. */
static void run(struct t *t)
{
	struct timeval tv = {.tv_sec = 20};
	event_base_loopexit(t->base, &tv);
	event_base_dispatch(t->base);
}

static void test_get_body_and_headers(void **state)
{
	(void)state;
	struct t *t = t_new(&default_opts);
	t->want = 1;
	submit(t, 0, "/hello", "a");
	run(t);
	struct http_req *r = &t->req[0];
	assert_int_equal(t->done, 1);
	assert_int_equal(r->result, CURLE_OK);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body_len, 5);
	assert_string_equal(r->body, "hello");
	assert_string_equal(r->retry_after, "7");
	assert_int_equal(r->ratelimit_limit, 100);
	assert_int_equal(r->ratelimit_remaining, 0);
	assert_int_equal(r->state, HTTP_IDLE);
	/* the same request struct is reusable */
	http_req_release(r);
	t->want = 2;
	submit(t, 0, "/again", "a");
	run(t);
	assert_string_equal(r->body, "hello");
	t_free(t);
}

static void test_max_response(void **state)
{
	(void)state;
	struct http_opts o = default_opts;
	o.max_response = 100000; /* the bodies are 262144 bytes */
	struct t *t = t_new(&o);
	t->want = 2;
	submit(t, 0, "/big", "a");        /* Content-Length: refused up front */
	submit(t, 1, "/bigchunked", "a"); /* chunked: refused in the write callback */
	run(t);
	assert_int_equal(t->done, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_not_equal(t->req[i].result, CURLE_OK);
		assert_true(t->req[i].body_len <= 100000);
	}
	assert_int_equal(t->req[0].result, CURLE_FILESIZE_EXCEEDED);
	assert_true(t->req[1].too_large);
	assert_string_equal(http_req_failure(&t->req[1]), "response larger than max_response");
	t_free(t);
}

static void test_max_in_flight(void **state)
{
	(void)state;
	struct http_opts o = default_opts;
	o.max_in_flight = 4;
	struct t *t = t_new(&o);
	t->srv->delay_ms = 30;
	t->want = 24;
	/* three host keys, so the per-host limit (16) does not bind */
	for (int i = 0; i < 24; i++)
		submit(t, i, "/slow", i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c");
	struct http_stats st;
	http_get_stats(t->h, &st);
	assert_int_equal(st.running, 4);
	assert_int_equal(st.queued, 20);
	run(t);
	assert_int_equal(t->done, 24);
	assert_int_equal(t->srv->inflight_peak, 4);
	http_get_stats(t->h, &st);
	assert_int_equal(st.running_peak, 4);
	assert_int_equal(st.finished, 24);
	t_free(t);
}

static void test_max_per_host(void **state)
{
	(void)state;
	struct http_opts o = default_opts;
	o.max_per_host = 2;
	struct t *t = t_new(&o);
	t->srv->delay_ms = 30;
	t->want = 10;
	for (int i = 0; i < 10; i++)
		submit(t, i, "/slow", "same-host");
	run(t);
	assert_int_equal(t->done, 10);
	assert_int_equal(t->srv->inflight_peak, 2);
	t_free(t);
}

static void test_cancel(void **state)
{
	(void)state;
	struct http_opts o = default_opts;
	o.max_in_flight = 1;
	struct t *t = t_new(&o);
	t->srv->delay_ms = 50;
	t->want = 1;
	submit(t, 0, "/slow", "a");  /* running */
	submit(t, 1, "/slow", "a");  /* queued */
	submit(t, 2, "/hello", "a"); /* queued */
	http_cancel(t->h, &t->req[1]);
	assert_int_equal(t->req[1].state, HTTP_IDLE);
	http_cancel(t->h, &t->req[0]); /* the running one: request 2 starts */
	assert_int_equal(t->req[0].state, HTTP_IDLE);
	assert_int_equal(t->req[2].state, HTTP_RUNNING);
	http_cancel(t->h, &t->req[0]); /* twice: a no-op */
	run(t);
	assert_int_equal(t->done, 1);
	assert_string_equal(t->req[2].body, "hello");
	assert_null(t->req[0].body);
	t_free(t);
}

static void test_timeout(void **state)
{
	(void)state;
	struct http_opts o = default_opts;
	o.request_timeout_ms = 300;
	struct t *t = t_new(&o);
	t->want = 1;
	submit(t, 0, "/never", "a");
	run(t);
	assert_int_equal(t->done, 1);
	assert_int_equal(t->req[0].result, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(t->req[0].status, 0);
	assert_true(strlen(http_req_failure(&t->req[0])) > 0);
	t_free(t);
}

static void test_http_refused_without_loopback_vouch(void **state)
{
	(void)state;
	struct t *t = t_new(&default_opts);
	t->want = 1;
	submit(t, 0, "/hello", "a");
	t->req[0].allow_http = false;
	/* submit() already started it with allow_http = true: redo it properly */
	http_cancel(t->h, &t->req[0]);
	snprintf(t->url[1], sizeof(t->url[1]), "http://127.0.0.1:%d/hello", t->srv->port);
	struct http_req *r = &t->req[1];
	r->url = t->url[1];
	r->host_key = "a";
	r->allow_http = false;
	r->done = on_done;
	r->user = t;
	assert_int_equal(http_submit(t->h, r), 0);
	run(t);
	assert_int_equal(r->result, CURLE_UNSUPPORTED_PROTOCOL);
	assert_int_equal(t->srv->served, 0);
	t_free(t);
}

/*
 * After HTTP_OUTAGE_FAILS outage-like failures a host ramps up from one
 * transfer, one more per success: 8 queued requests never run 8 at once.
 * Once it is well, the full max_per_host applies again.
 */
static void test_ramp_after_outage(void **state)
{
	(void)state;
	struct http_opts o = default_opts;
	o.max_per_host = 8;
	struct t *t = t_new(&o);
	t->srv->delay_ms = 30;
	t->want = HTTP_OUTAGE_FAILS;
	for (int i = 0; i < HTTP_OUTAGE_FAILS; i++)
		submit(t, i, "/down", "h");
	run(t);
	for (int i = 0; i < HTTP_OUTAGE_FAILS; i++)
		assert_int_equal(t->req[i].status, 503);
	struct http_stats st;
	http_get_stats(t->h, &st);
	assert_int_equal(st.outages, 1);

	t->done = 0;
	t->want = 8;
	for (int i = 10; i < 18; i++)
		submit(t, i, "/slow", "h");
	http_get_stats(t->h, &st);
	assert_int_equal(st.running, 1); /* one at a time to begin with */
	run(t);
	assert_int_equal(t->done, 8);
	assert_true(t->srv->inflight_peak >= 2 && t->srv->inflight_peak <= 4);

	/* healthy again: all eight at once */
	t->srv->inflight_peak = 0;
	t->done = 0;
	for (int i = 20; i < 28; i++)
		submit(t, i, "/slow", "h");
	run(t);
	assert_int_equal(t->done, 8);
	assert_int_equal(t->srv->inflight_peak, 8);
	t_free(t);
}

static void test_free_with_transfers_in_flight(void **state)
{
	(void)state;
	struct http_opts o = default_opts;
	o.max_in_flight = 2;
	struct t *t = t_new(&o);
	t->srv->delay_ms = 1000;
	t->want = 100; /* never reached */
	for (int i = 0; i < 5; i++)
		submit(t, i, "/slow", "a");
	/* Let the first two connect, then tear everything down. */
	event_base_loop(t->base, EVLOOP_NONBLOCK);
	event_base_loop(t->base, EVLOOP_NONBLOCK);
	http_free(t->h);
	t->h = NULL;
	for (int i = 0; i < 5; i++)
		assert_int_equal(t->req[i].state, HTTP_IDLE);
	assert_int_equal(t->done, 0);
	for (int i = 0; i < 64; i++)
		http_req_release(&t->req[i]);
	srv_free(t->srv);
	event_base_free(t->base);
	free(t);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_body_and_headers),
	        cmocka_unit_test(test_max_response),
	        cmocka_unit_test(test_max_in_flight),
	        cmocka_unit_test(test_max_per_host),
	        cmocka_unit_test(test_cancel),
	        cmocka_unit_test(test_timeout),
	        cmocka_unit_test(test_http_refused_without_loopback_vouch),
	        cmocka_unit_test(test_ramp_after_outage),
	        cmocka_unit_test(test_free_with_transfers_in_flight),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
