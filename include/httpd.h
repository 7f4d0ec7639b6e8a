/*
 * httpd.h: a small bounded HTTP server on the daemon's libevent loop, for
 * GET and HEAD of tiny read-only endpoints (the metrics listener).
 *
 * One request per connection, answered then closed (HTTP/1.0 style; the
 * answer says "Connection: close" and carries Content-Length). Every
 * resource a client can make it hold is bounded, whatever the client does:
 *  - connections: at most max_conns at once; a connection accepted beyond
 *    that is closed at once and counted as refused;
 *  - time: each connection lives at most deadline_ms from its accept, for
 *    reading the request, writing the answer and the lingering close
 *    together; a client that trickles is cut at the deadline;
 *  - memory: the request line and headers are read up to max_request bytes
 *    (more: 431); a request body is never read (the answer follows the
 *    headers); the answer is what the handler rendered;
 *  - descriptors: when accept() fails for want of descriptors or memory
 *    (EMFILE, ENFILE, ENOBUFS, ENOMEM), accepting stops and resumes on a
 *    timer with backoff (HTTPD_PAUSE_MIN_MS doubling to HTTPD_PAUSE_MAX_MS),
 *    so a full descriptor table never makes the loop spin; one accept
 *    callback accepts at most HTTPD_ACCEPT_BURST connections.
 *
 * Why not libevent's evhttp: in libevent 2.1 it has no connection cap, no
 * deadline (only an inactivity timeout), keeps accepting on EMFILE (the
 * listener is level-triggered: 100% CPU, a log line per attempt), and
 * sends the body on HEAD without Content-Length. Wrapping it would mean
 * relying on its internals for each; this file owns each bound instead.
 *
 * The server knows nothing of the daemon: the handler renders the answer
 * of (method, path) into a reply; for HEAD the server sends the headers of
 * that answer (Content-Length included) and drops the body.
 */
#ifndef WEGAUGE_HTTPD_H
#define WEGAUGE_HTTPD_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct evbuffer;
struct httpd;

#define HTTPD_ACCEPT_BURST 16    /* accepts per readiness callback */
#define HTTPD_PAUSE_MIN_MS 100   /* first pause of accepting after EMFILE */
#define HTTPD_PAUSE_MAX_MS 2000  /* longest pause */
#define HTTPD_METHOD_MAX   16    /* longest method token */
#define HTTPD_PATH_MAX     2048  /* longest request target */
#define HTTPD_DRAIN_MAX    65536 /* bytes discarded after the answer before closing */

struct httpd_opts {
	const char *name;    /* for the log: "metrics" */
	int max_conns;       /* connections at once, >= 1 */
	int64_t deadline_ms; /* accept to close, >= 1 */
	size_t max_request;  /* request line and headers, bytes, >= 64 */
};

/* What the handler fills in. body starts empty; status 0 means 500. */
struct httpd_reply {
	int status;
	const char *reason; /* "OK"; static storage */
	const char *ctype;  /* Content-Type; static storage */
	struct evbuffer *body;
};

/*
 * Render the answer to method (an HTTP token, e.g. "GET", "HEAD", "POST")
 * of path (the request target without query or fragment; absolute-form
 * targets are reduced to their path) into r. Runs on the loop; must not
 * block.
 */
typedef void (*httpd_handler_fn)(const char *method, const char *path, struct httpd_reply *r,
                                 void *arg);

struct httpd_stats {
	int conns;              /* open now */
	int max_conns;          /* the cap */
	uint64_t accepted;      /* connections taken (refused ones included) */
	uint64_t refused;       /* closed at accept: the cap was reached */
	uint64_t timed_out;     /* cut at the deadline */
	uint64_t bad;           /* answered 400 or 431 */
	uint64_t accept_paused; /* accepting paused for want of descriptors or memory */
};

/*
 * Listen on listen ("127.0.0.1:9464", "[::1]:9464", "localhost:9464": the
 * first address the name resolves to that binds) and serve with handler.
 * NULL with a message in err when listen is malformed or cannot be bound.
 */
struct httpd *httpd_start(struct event_base *base, const char *listen, const struct httpd_opts *o,
                          httpd_handler_fn handler, void *arg, char *err, size_t errlen);
/* Close every connection and the listener. NULL is fine. */
void httpd_free(struct httpd *s);
void httpd_get_stats(const struct httpd *s, struct httpd_stats *st);
/* The port it listens on (the one the kernel chose for "host:0"); 0 if unknown. */
int httpd_port(const struct httpd *s);

#endif
