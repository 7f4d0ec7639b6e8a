/*
 * httpd.c: the bounded GET/HEAD server of httpd.h.
 *
 * Written instead of wrapping libevent 2.1's evhttp because each bound
 * the metrics listener needs is missing there or hidden in its internals:
 * evhttp has no connection cap (its newreqcb counts requests, not
 * connections), only an inactivity timeout (a client sending a byte every
 * few seconds is never cut), no handling of EMFILE (its evconnlistener
 * retries accept() at once, forever, logging each failure), and keep-alive
 * and request bodies to account for. Here one connection carries one
 * request, which is all a scraper or a health check needs, so the whole
 * life of a connection is a short line of states, each bounded:
 *
 *   accept ── at the cap: close (refused)
 *     │
 *   READ   request line and headers, at most max_request bytes (else 431);
 *     │    a malformed request line: 400
 *   WRITE  the handler's answer, headers then body (none for HEAD)
 *     │
 *   DRAIN  our side shut down (SHUT_WR); what the client still sends is
 *     │    read and dropped (at most HTTPD_DRAIN_MAX bytes) until its close,
 *     │    so that closing never resets a connection whose answer the
 *     │    client has not read yet
 *   free   (also: at the deadline from accept, in any state; on EOF while
 *           reading; on any socket error)
 *
 * Accepting is a plain persistent read event on the listening socket; a
 * failure for want of descriptors or memory removes it and a timer adds it
 * back (httpd.h). Everything runs on the one loop thread, and each
 * callback measures itself (loopstat.h).
 */
#define _GNU_SOURCE /* accept4(2) */
#include "httpd.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "log.h"
#include "loopstat.h"

#define HTTPD_BACKLOG 64 /* the kernel's queue of connections not yet accepted */

enum conn_state { C_READ, C_WRITE, C_DRAIN };

struct conn {
	struct httpd *s;
	struct bufferevent *bev;
	struct event *deadline;
	struct conn *prev, *next;
	enum conn_state state;
	bool eof;       /* the client shut down its side */
	size_t drained; /* bytes dropped in WRITE and DRAIN */
};

struct httpd {
	struct event_base *base;
	evutil_socket_t fd;
	struct event *accept_ev; /* persistent read event on fd */
	struct event *resume;    /* adds accept_ev back after a pause */
	int64_t pause_ms;        /* the last pause; 0 once an accept worked */
	struct httpd_opts o;
	char name[32];
	httpd_handler_fn handler;
	void *arg;
	struct conn *conns; /* every open connection */
	struct httpd_stats st;
	struct log_rl rl; /* the listener's warnings */
};

/* --- connections -------------------------------------------------------------- */

static void conn_free(struct conn *c)
{
	struct httpd *s = c->s;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	event_free(c->deadline);
	bufferevent_free(c->bev); /* closes the socket */
	s->st.conns--;
	free(c);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct conn *c = arg;
	mono_us t0 = loopstat_begin();
	c->s->st.timed_out++;
	conn_free(c);
	loopstat_end(t0, "httpd deadline");
}

/* 1 for an HTTP token character (RFC 9110 tchar). */
static int is_tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/*
 * Queue the answer: status line, Content-Type, Content-Length of body,
 * Connection: close, then body unless head. minor: the request's HTTP/1.x.
 */
static void conn_answer(struct conn *c, int minor, int status, const char *reason,
                        const char *ctype, struct evbuffer *body, bool head)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out,
	                    "HTTP/1.%d %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	                    "Connection: close\r\n\r\n",
	                    minor, status, reason, ctype, evbuffer_get_length(body));
	if (!head)
		evbuffer_add_buffer(out, body);
	c->state = C_WRITE;
}

/* A request we do not serve: status with a one-line text body. */
static void conn_refuse(struct conn *c, int status, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();
	c->s->st.bad++;
	if (!b) {
		conn_free(c);
		return;
	}
	evbuffer_add(b, text, strlen(text));
	conn_answer(c, 0, status, reason, "text/plain; charset=utf-8", b, false);
	evbuffer_free(b);
}

/*
 * The path of a request target: an origin-form target up to '?' or '#';
 * an absolute-form one ("http://host/x?y") reduced the same way after its
 * authority ("/" when it has no path); anything else ("*") as it is.
 */
static void target_path(const char *t, char *path, size_t len)
{
	if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
		const char *p = strchr(strstr(t, "://") + 3, '/');
		t = p ? p : "/";
	}
	size_t n = strcspn(t, "?#");
	if (n >= len)
		n = len - 1;
	memcpy(path, t, n);
	path[n] = '\0';
}

/*
 * Parse the request line at line (len bytes, no line end) into method,
 * target and the minor version of HTTP/1.x. 0, or -1 when malformed.
 */
static int parse_request_line(const char *line, size_t len, char *method, char *target, int *minor)
{
	size_t m = 0;
	while (m < len && is_tchar((unsigned char)line[m]))
		m++;
	if (m == 0 || m > HTTPD_METHOD_MAX || m >= len || line[m] != ' ')
		return -1;
	memcpy(method, line, m);
	method[m] = '\0';
	size_t t0 = m + 1, t = t0;
	while (t < len && line[t] > ' ' && line[t] < 0x7f)
		t++;
	if (t == t0 || t - t0 > HTTPD_PATH_MAX || t >= len || line[t] != ' ')
		return -1;
	memcpy(target, line + t0, t - t0);
	target[t - t0] = '\0';
	const char *v = line + t + 1;
	size_t vlen = len - t - 1;
	if (vlen != 8 || memcmp(v, "HTTP/1.", 7) != 0 || v[7] < '0' || v[7] > '9')
		return -1;
	*minor = v[7] - '0';
	return 0;
}

/* Read side while READ: wait for the end of the headers, then answer. */
static void conn_read_request(struct conn *c)
{
	struct httpd *s = c->s;
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in); /* <= max_request + 1: the read watermark */
	const char *p = (const char *)evbuffer_pullup(in, -1);
	if (!p)
		return;
	size_t i = 0;
	while (i < len && (p[i] == '\r' || p[i] == '\n'))
		i++;    /* empty lines before the request line are allowed (RFC 9112, 2.2) */
	size_t end = 0; /* one past the blank line that ends the headers */
	for (size_t k = i; k + 1 < len && k < s->o.max_request; k++) {
		if (p[k] != '\n')
			continue;
		if (p[k + 1] == '\n') {
			end = k + 2;
			break;
		}
		if (p[k + 1] == '\r' && k + 2 < len && p[k + 2] == '\n') {
			end = k + 3;
			break;
		}
	}
	if (end == 0 || end > s->o.max_request) {
		if (len > s->o.max_request) {
			evbuffer_drain(in, len);
			conn_refuse(c, 431, "Request Header Fields Too Large",
			            "request header too large\n");
		}
		return; /* not complete yet */
	}
	size_t eol = i;
	while (p[eol] != '\n')
		eol++;
	size_t llen = eol - i;
	if (llen > 0 && p[i + llen - 1] == '\r')
		llen--;
	char method[HTTPD_METHOD_MAX + 1], target[HTTPD_PATH_MAX + 1], path[HTTPD_PATH_MAX + 1];
	int minor = 0;
	int bad = parse_request_line(p + i, llen, method, target, &minor);
	evbuffer_drain(in, len); /* a body, or anything pipelined, is not read */
	if (bad) {
		conn_refuse(c, 400, "Bad Request", "bad request\n");
		return;
	}
	target_path(target, path, sizeof(path));
	struct httpd_reply r = {.status = 0, .reason = "OK", .ctype = "text/plain"};
	r.body = evbuffer_new();
	if (!r.body) {
		conn_free(c);
		return;
	}
	s->handler(method, path, &r, s->arg);
	if (r.status < 100 || r.status > 599) {
		evbuffer_drain(r.body, evbuffer_get_length(r.body));
		r.status = 500;
		r.reason = "Internal Server Error";
	}
	conn_answer(c, minor, r.status, r.reason, r.ctype, r.body, strcmp(method, "HEAD") == 0);
	evbuffer_free(r.body);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct conn *c = arg;
	mono_us t0 = loopstat_begin();
	if (c->state == C_READ) {
		conn_read_request(c); /* the handler renders the answer here */
		loopstat_end(t0, "httpd request");
		return;
	}
	/* WRITE or DRAIN: what the client sends now is dropped, up to a bound. */
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t n = evbuffer_get_length(in);
	evbuffer_drain(in, n);
	c->drained += n;
	if (c->drained > HTTPD_DRAIN_MAX)
		conn_free(c);
	loopstat_end(t0, "httpd drain");
}

/* The output is empty: the answer is out. Shut our side and wait for the client's close. */
static void on_write(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	if (c->state != C_WRITE)
		return;
	mono_us t0 = loopstat_begin();
	if (c->eof) {
		conn_free(c);
	} else {
		shutdown(bufferevent_getfd(bev), SHUT_WR);
		c->state = C_DRAIN;
	}
	loopstat_end(t0, "httpd answered");
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct conn *c = arg;
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && c->state == C_WRITE) {
		c->eof = true; /* a half-close after the request: the answer still goes out */
		return;
	}
	mono_us t0 = loopstat_begin();
	conn_free(c); /* EOF while reading or draining, or an error */
	loopstat_end(t0, "httpd close");
}

/* Take the accepted socket fd. 0, or -1 (fd is then still open). */
static int conn_new(struct httpd *s, evutil_socket_t fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	c->s = s;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(s->base, on_deadline, c);
	struct timeval tv = {.tv_sec = (time_t)(s->o.deadline_ms / 1000),
	                     .tv_usec = (suseconds_t)(s->o.deadline_ms % 1000) * 1000};
	if (!c->bev || !c->deadline || evtimer_add(c->deadline, &tv) != 0) {
		if (c->bev) {
			bufferevent_setfd(c->bev, -1); /* the caller closes fd */
			bufferevent_free(c->bev);
		}
		if (c->deadline)
			event_free(c->deadline);
		free(c);
		return -1;
	}
	bufferevent_setwatermark(c->bev, EV_READ, 0, s->o.max_request + 1);
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->st.conns++;
	return 0;
}

/* --- accepting ---------------------------------------------------------------- */

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct httpd *s = arg;
	mono_us t0 = loopstat_begin();
	if (event_add(s->accept_ev, NULL) != 0)
		log_ws(&s->rl, LOGL_ERR, NULL, 0, "%s listener: cannot watch the socket again",
		       s->name);
	loopstat_end(t0, "httpd resume");
}

/* accept() failed with err for want of resources: stop accepting for a while. */
static void pause_accepting(struct httpd *s, int err)
{
	event_del(s->accept_ev);
	int64_t ms = s->pause_ms ? s->pause_ms * 2 : HTTPD_PAUSE_MIN_MS;
	if (ms > HTTPD_PAUSE_MAX_MS)
		ms = HTTPD_PAUSE_MAX_MS;
	s->pause_ms = ms;
	s->st.accept_paused++;
	log_ws(&s->rl, LOGL_WARNING, NULL, 0,
	       "%s listener: accept: %s; not accepting for %lld ms (%d connections open)", s->name,
	       strerror(err), (long long)ms, s->st.conns);
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
	                     .tv_usec = (suseconds_t)(ms % 1000) * 1000};
	if (evtimer_add(s->resume, &tv) != 0)
		event_add(s->accept_ev, NULL); /* never stay deaf: accept again at once */
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	(void)what;
	struct httpd *s = arg;
	mono_us t0 = loopstat_begin();
	for (int i = 0; i < HTTPD_ACCEPT_BURST; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue; /* that connection is gone; the next may be fine */
			pause_accepting(s, errno);
			break;
		}
		s->pause_ms = 0;
		s->st.accepted++;
		if (s->st.conns >= s->o.max_conns || conn_new(s, fd) != 0) {
			s->st.refused++;
			close(fd);
		}
	}
	loopstat_end(t0, "httpd accept");
}

/* Split "host:port" / "[v6]:port" into host and port. 0 or -1. */
static int split_listen(const char *listen, char *host, size_t hlen, char *port, size_t plen)
{
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen)
		return -1;
	size_t n = (size_t)(colon - listen);
	const char *h = listen;
	if (h[0] == '[' && n >= 2 && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (n == 0 || n >= hlen)
		return -1;
	memcpy(host, h, n);
	host[n] = '\0';
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || p > 65535 || end == colon + 1)
		return -1;
	snprintf(port, plen, "%lu", p);
	return 0;
}

/* A listening socket on the first address of host:port that binds; -1 when none. */
static evutil_socket_t listen_on(const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
	                         .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	evutil_socket_t fd = -1;
	for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int one = 1;
		if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
		    bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, HTTPD_BACKLOG) != 0) {
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

struct httpd *httpd_start(struct event_base *base, const char *listen, const struct httpd_opts *o,
                          httpd_handler_fn handler, void *arg, char *err, size_t errlen)
{
	char host[128], port[8];
	if (split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0) {
		snprintf(err, errlen, "%s: expected host:port", listen);
		return NULL;
	}
	if (o->max_conns < 1 || o->deadline_ms < 1 || o->max_request < 64) {
		snprintf(err, errlen, "%s: invalid server limits", listen);
		return NULL;
	}
	struct httpd *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->base = base;
	s->o = *o;
	snprintf(s->name, sizeof(s->name), "%s", o->name ? o->name : "http");
	s->o.name = s->name;
	s->handler = handler;
	s->arg = arg;
	s->st.max_conns = o->max_conns;
	s->fd = listen_on(host, port);
	if (s->fd < 0) {
		snprintf(err, errlen, "%s: cannot listen (address in use?)", listen);
		free(s);
		return NULL;
	}
	s->accept_ev = event_new(base, s->fd, EV_READ | EV_PERSIST, on_accept, s);
	s->resume = evtimer_new(base, on_resume, s);
	if (!s->accept_ev || !s->resume || event_add(s->accept_ev, NULL) != 0) {
		snprintf(err, errlen, "out of memory");
		httpd_free(s);
		return NULL;
	}
	return s;
}

void httpd_free(struct httpd *s)
{
	if (!s)
		return;
	while (s->conns)
		conn_free(s->conns);
	if (s->accept_ev)
		event_free(s->accept_ev);
	if (s->resume)
		event_free(s->resume);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

void httpd_get_stats(const struct httpd *s, struct httpd_stats *st)
{
	*st = s->st;
}

int httpd_port(const struct httpd *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0)
		return 0;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}
