/*
 * http.h: the HTTP engine. One curl multi handle driven by the libevent
 * loop through curl's multi_socket interface, in the pattern of curl's
 * docs/examples/hiperfifo.c: curl tells us which sockets to watch
 * (socket callback) and when to wake it (timer callback, one re-armable
 * libevent timer); every event ends in curl_multi_socket_action() followed
 * by a sweep of finished transfers.
 *
 * Admission: at most max_in_flight transfers run at once, at most
 * max_per_host of them to one host (by origin), fewer while a host ramps
 * up after an outage (see host_account in http.c). Beyond that requests
 * wait in a FIFO per host; hosts are served round-robin, so one busy host
 * cannot starve another. The queue holds at most one request per pull
 * (pulls are sequential), so its length is bounded by the number of
 * workspaces.
 *
 * Limits enforced per transfer: connect timeout, total timeout, a low-speed
 * floor (a trickling body is cut), max_response bytes (CURLOPT_MAXFILESIZE
 * for an honest Content-Length, and the write callback for everything
 * else, chunked and compressed bodies included), https only (http only
 * when the caller vouches the host is loopback), no redirects, TLS
 * verification always on (ca_file adds a CA to the system bundle).
 *
 * Ownership: the caller owns each struct http_req and everything its
 * fields point to; the engine owns the CURL easy handles (pooled, so
 * connections and TLS sessions are reused through the multi's cache) and
 * the response buffer until http_req_release(). A request's done callback
 * runs on the loop, outside any curl callback, exactly once, unless the
 * request is cancelled first.
 */
#ifndef WEGAUGE_HTTP_H
#define WEGAUGE_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

struct event_base;
struct http;
struct http_host;

struct http_opts {
	int max_in_flight;
	int max_per_host;
	int64_t connect_timeout_ms;
	int64_t request_timeout_ms;
	uint64_t max_response;
	long low_speed_limit;      /* bytes/s below which ... */
	int64_t low_speed_time_ms; /* ... for this long, the transfer is cut */
	const char *ca_file;       /* NULL: system CAs only */
};

enum http_req_state { HTTP_IDLE = 0, HTTP_QUEUED, HTTP_RUNNING };

struct http_req {
	/* In: set by the caller before http_submit. */
	const char *url;            /* must stay valid until done or cancel */
	const char *host_key;       /* admission key, e.g. the base URL */
	struct curl_slist *headers; /* Authorization etc.; caller owns */
	const char *post_body;      /* NULL for GET */
	size_t post_len;
	bool allow_http; /* the URL may be http:// (loopback only) */
	void (*done)(struct http_req *r);
	void *user;

	/* Out: valid in done(). */
	long status;                 /* HTTP status, 0 when none arrived */
	CURLcode result;             /* CURLE_OK, or what failed */
	bool too_large;              /* the body passed max_response */
	char error[CURL_ERROR_SIZE]; /* curl's words when result != CURLE_OK */
	char *body;                  /* NUL-terminated; engine-owned until release */
	size_t body_len;
	char retry_after[64];            /* Retry-After as sent, "" when absent */
	long ratelimit_limit;            /* X-RateLimit-Limit, -1 when absent */
	long ratelimit_remaining;        /* X-RateLimit-Remaining, -1 when absent */
	mono_ms started_ms, finished_ms; /* start of transfer, done */

	/* Internal. */
	enum http_req_state state;
	CURL *easy;
	struct http *h;
	struct http_host *host;
	struct http_req *qnext;         /* host queue or failed list */
	struct http_req *rprev, *rnext; /* running list */
	size_t body_cap;
	uint64_t max_response;
};

/* Consecutive outage-like failures after which a host ramps up from one transfer. */
#define HTTP_OUTAGE_FAILS 5

/* Counters for SIGUSR1, metrics and benchmarks. */
struct http_stats {
	uint64_t started, finished, failed_transport;
	uint64_t outages; /* times a host dropped to one transfer */
	int running, queued, running_peak;
};

/* A new engine on base. NULL on failure (curl or libevent could not start). */
/*
 * Initialise libcurl for the process (curl_global_init), with every block
 * curl frees wiped first: its request buffers hold the Authorization
 * header, and a key rotated away must not stay readable in freed heap (a
 * core dump, /proc/PID/mem). Once, before any other thread runs; pair
 * with curl_global_cleanup(). 0, or -1 when libcurl refuses.
 */
int http_global_init(void);

struct http *http_new(struct event_base *base, const struct http_opts *o);
/* Cancel everything (no done callbacks) and free the engine. NULL is a no-op. */
void http_free(struct http *h);
/* New limits and timeouts for requests started from now on. */
void http_set_opts(struct http *h, const struct http_opts *o);

/*
 * Queue r (state must be HTTP_IDLE; r->url, host_key and done set). It
 * starts at once if limits allow. Returns 0, or -1 when the engine cannot
 * take it (out of memory); then done is not called.
 */
int http_submit(struct http *h, struct http_req *r);
/* Stop r wherever it is; its done callback will not run. Safe in any state. */
void http_cancel(struct http *h, struct http_req *r);
/* Free r's response buffer and make it reusable (state HTTP_IDLE). */
void http_req_release(struct http_req *r);
/*
 * Take r's response body (NUL-terminated, *len bytes; NULL when there was
 * none): the caller owns it and frees it with free(); r is released.
 */
char *http_req_take_body(struct http_req *r, size_t *len);

void http_get_stats(const struct http *h, struct http_stats *out);

/*
 * The engine's entry points as a table, for a caller that is handed an
 * engine instead of naming this one (pull.c, whose tests hand it a fake
 * that answers from fixtures). Each entry has the contract of the
 * function of the same name above, with the engine passed as void *.
 * http_engine_ops is this engine's table: its entries call http_submit,
 * http_cancel and http_get_stats and do nothing else.
 */
struct http_ops {
	int (*submit)(void *engine, struct http_req *r);
	void (*cancel)(void *engine, struct http_req *r);
	void (*get_stats)(const void *engine, struct http_stats *out);
};
extern const struct http_ops http_engine_ops;

/* A one-line description of a failed transfer, for errors: "timeout after 60s: ..." */
const char *http_req_failure(const struct http_req *r);

#endif
