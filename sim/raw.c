/*
 * raw.c: the faults evhttp cannot play, written straight to the
 * connection's bufferevent. raw_start() takes the connection over from
 * evhttp (its bufferevent callbacks become ours), writes a status line and
 * headers of its own, then plays the fault:
 *
 *   stall      headers with the true Content-Length, then nothing until the
 *              client closes or --stall-ms passes (then a plain close)
 *   reset      headers, half the body, then an RST (SO_LINGER 0)
 *   short      a Content-Length 100 bytes longer than the body, the body, close
 *   badchunk   chunked: a valid chunk with half the body, then the chunk-size
 *              line "zz", then close
 *   slow       headers and the body trickled: --slow-rate bytes a second in
 *              ticks of 100 ms, then close
 *   oversized  a JSON envelope of --oversize + 65536 bytes generated in
 *              64 KiB pieces as the socket drains (never held in memory);
 *              with Content-Length and chunked, alternately
 *
 * Every answer says "Connection: close" and the connection is closed at
 * the end; evhttp_connection_free() then releases the request with it. A
 * client that goes away first ends the fault at once.
 */
#include "wesim.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PIECE     65536 /* oversized body bytes generated per drain */
#define SLOW_TICK 100   /* ms between slow writes */
static const char ov_prefix[] =
        "{\"response\":{\"status\":\"success\",\"message\":\"success\",\"data\":\"";
static const char ov_suffix[] = "\"}}";
static char filler[PIECE];

/*
 * End the raw fault p: free its timer and answer, close the connection
 * (with an RST when reset) through evhttp_connection_free(), which also
 * frees the request, and free p. p must not be used afterwards.
 */
static void pending_finish(struct wsim_pending *p, bool reset)
{
	struct wsim_server *s = p->s;
	server_pending_unlink(s, p);
	if (p->timer)
		event_free(p->timer);
	bufferevent_setcb(p->bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(p->bev, EV_READ | EV_WRITE);
	if (reset) {
		/*
		 * An RST, not a FIN: linger 0 and close the socket itself.
		 * evhttp_connection_free() shuts down and closes the descriptor
		 * number afterwards, so a fresh unconnected socket is dup2'ed
		 * onto it first (the close of the old socket is what sends the
		 * RST); evhttp's shutdown() then fails harmlessly on the new one.
		 */
		evutil_socket_t fd = bufferevent_getfd(p->bev);
		struct linger lg = {1, 0};
		int dummy = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && dummy >= 0) {
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			dup2(dummy, fd);
		}
		if (dummy >= 0)
			close(dummy);
	}
	if (s->ctr.in_flight)
		s->ctr.in_flight--;
	answer_free(&p->ans);
	evhttp_connection_free(p->evcon);
	free(p);
}

/* The rendered answer of p (a cached page or its own buffer) and its length. */
static const char *raw_body(const struct wsim_pending *p, size_t *len)
{
	if (p->ans.page) {
		*len = p->ans.page->len;
		return p->ans.page->data;
	}
	*len = p->ans.body_len;
	return p->ans.body ? p->ans.body : "";
}

/* Queue the next piece of the oversized body; false when nothing is left. */
static bool oversized_piece(struct wsim_pending *p, struct evbuffer *out)
{
	if (p->left == 0)
		return false;
	const uint64_t total = p->s->opt.oversize + PIECE;
	const size_t plen = sizeof(ov_prefix) - 1, slen = sizeof(ov_suffix) - 1;
	uint64_t off = total - p->left;
	const char *data;
	size_t n;
	if (off < plen) {
		data = ov_prefix + off;
		n = plen - (size_t)off;
	} else if (off < total - slen) {
		data = filler;
		n = total - slen - off < PIECE ? (size_t)(total - slen - off) : PIECE;
	} else {
		data = ov_suffix + (off - (total - slen));
		n = (size_t)p->left;
	}
	if (p->chunked)
		evbuffer_add_printf(out, "%zx\r\n", n);
	evbuffer_add_reference(out, data, n, NULL, NULL);
	if (p->chunked)
		evbuffer_add(out, "\r\n", 2);
	p->left -= n;
	if (p->left == 0 && p->chunked)
		evbuffer_add(out, "0\r\n\r\n", 5);
	return true;
}

static void raw_read(struct bufferevent *bev, void *arg)
{
	(void)arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	evbuffer_drain(in, evbuffer_get_length(in)); /* the client's bytes are ignored */
}

static void reset_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pending_finish(arg, true);
}

/* The output drained: play the next step of the fault. */
static void raw_write(struct bufferevent *bev, void *arg)
{
	struct wsim_pending *p = arg;
	struct evbuffer *out = bufferevent_get_output(bev);
	if (evbuffer_get_length(out) > 0)
		return;
	switch (p->ans.fault) {
	case F_OVERSIZED:
		if (!oversized_piece(p, out))
			pending_finish(p, false);
		return;
	case F_RESET:
		/* give the kernel a moment to deliver the half body before the RST */
		if (!p->timer) {
			p->timer = evtimer_new(p->s->base, reset_cb, p);
			struct timeval tv = {0, 50 * 1000};
			if (!p->timer || evtimer_add(p->timer, &tv) != 0)
				pending_finish(p, true);
		}
		return;
	case F_SHORT:
	case F_BADCHUNK:
		pending_finish(p, false);
		return;
	case F_SLOW: {
		size_t len;
		raw_body(p, &len);
		if (p->sent >= len)
			pending_finish(p, false);
		return;
	}
	default:
		return; /* stall: only the timer or the client ends it */
	}
}

static void raw_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	pending_finish(arg, false); /* EOF, error or timeout: the client is gone */
}

static void stall_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pending_finish(arg, false);
}

/* A slow tick: write the next slow_rate/10 bytes (at least 1) and re-arm until all are out. */
static void slow_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct wsim_pending *p = arg;
	size_t len;
	const char *body = raw_body(p, &len);
	size_t k = p->s->opt.slow_rate / (1000 / SLOW_TICK);
	if (k == 0)
		k = 1;
	if (k > len - p->sent)
		k = len - p->sent;
	bufferevent_write(p->bev, body + p->sent, k);
	p->sent += k;
	if (p->sent < len) {
		struct timeval tv = {0, SLOW_TICK * 1000};
		evtimer_add(p->timer, &tv);
	}
}

/*
 * Play the raw fault ans->fault on the connection of req. Takes ownership
 * of *ans (the caller's copy must not be freed). The request is released
 * with its connection when the fault ends.
 */
void raw_start(struct wsim_server *s, struct evhttp_request *req, struct wsim_answer *ans)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct wsim_pending *p = calloc(1, sizeof(*p));
	if (!evcon || !p) {
		free(p);
		answer_free(ans);
		if (s->ctr.in_flight)
			s->ctr.in_flight--;
		evhttp_send_reply(req, 500, "Internal Server Error", NULL);
		return;
	}
	if (!filler[0])
		memset(filler, 'x', sizeof(filler));
	p->s = s;
	p->req = req;
	p->evcon = evcon;
	p->kind = PEND_RAW;
	p->ans = *ans;
	memset(ans, 0, sizeof(*ans));
	p->bev = evhttp_connection_get_bufferevent(evcon);
	server_pending_link(s, p);

	size_t len;
	const char *body = raw_body(p, &len);
	struct evbuffer *out = bufferevent_get_output(p->bev);
	int status = p->ans.fault == F_OVERSIZED ? 200 : p->ans.status;
	evbuffer_add_printf(out,
	                    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
	                    "X-RateLimit-Limit: %u\r\nX-RateLimit-Remaining: %u\r\n"
	                    "Connection: close\r\n",
	                    status, server_reason(status), p->ans.rl_limit, p->ans.rl_remaining);
	switch (p->ans.fault) {
	case F_SHORT:
		evbuffer_add_printf(out, "Content-Length: %zu\r\n\r\n", len + 100);
		evbuffer_add(out, body, len);
		break;
	case F_RESET:
		evbuffer_add_printf(out, "Content-Length: %zu\r\n\r\n", len);
		evbuffer_add(out, body, len / 2);
		break;
	case F_BADCHUNK:
		evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n\r\n%zx\r\n", len / 2);
		evbuffer_add(out, body, len / 2);
		evbuffer_add(out, "\r\nzz\r\n", 6);
		break;
	case F_OVERSIZED:
		p->chunked = (s->oversized_served++ % 2) == 1;
		p->left = s->opt.oversize + PIECE;
		if (p->chunked)
			evbuffer_add_printf(out, "Transfer-Encoding: chunked\r\n\r\n");
		else
			evbuffer_add_printf(out, "Content-Length: %llu\r\n\r\n",
			                    (unsigned long long)p->left);
		oversized_piece(p, out);
		break;
	default: /* stall, slow */
		evbuffer_add_printf(out, "Content-Length: %zu\r\n\r\n", len);
		break;
	}
	bufferevent_setcb(p->bev, raw_read, raw_write, raw_event, p);
	bufferevent_set_timeouts(p->bev, NULL, NULL);
	bufferevent_enable(p->bev, EV_READ | EV_WRITE);
	if (p->ans.fault == F_STALL || p->ans.fault == F_SLOW) {
		p->timer = evtimer_new(s->base, p->ans.fault == F_STALL ? stall_cb : slow_cb, p);
		struct timeval tv = {0, SLOW_TICK * 1000};
		if (p->ans.fault == F_STALL) {
			tv.tv_sec = s->opt.stall_ms / 1000;
			tv.tv_usec = (suseconds_t)(s->opt.stall_ms % 1000) * 1000;
		}
		if (!p->timer || evtimer_add(p->timer, &tv) != 0)
			pending_finish(p, false);
	}
}

/* Server shutdown: forget p without touching its connection (evhttp_free frees it). */
void raw_abort(struct wsim_pending *p)
{
	server_pending_unlink(p->s, p);
	if (p->timer)
		event_free(p->timer);
	bufferevent_setcb(p->bev, NULL, NULL, NULL, NULL);
	answer_free(&p->ans);
	free(p);
}
