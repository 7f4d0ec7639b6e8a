/*
 * server.c: the HTTP server. One event loop (libevent 2.1), one evhttp,
 * loopback only. It owns the connections table (to count connections and
 * bound them), the answers waiting for their latency, and delivery:
 * counting and logging every API request, the X-RateLimit-* and
 * Retry-After headers, handing raw faults to raw.c. SIGHUP reloads the
 * accounts file; SIGTERM and SIGINT stop the loop, after which everything
 * is freed (ASan's leak check stays clean).
 *
 * Connections are counted from their first request until evhttp frees
 * them (evhttp 2.1 has no hook for a connection that never sends one).
 *
 * Why server.c, raw.c and control.c call each other (the one pair of
 * files in the project that does): the server dispatches a request to
 * the fault writer (raw.c) or the control endpoints (control.c), and
 * both answer through the server's one reply and pending-answer table,
 * which owns the connections. Splitting that table out would give the
 * simulator, a test tool, a module boundary for no user; src/ keeps its
 * calls one way.
 */
#include "wesim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

const char *server_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Payload Too Large";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}

/* ---- connections: an open-addressing set of evcon pointers ---- */

static uint32_t conn_slot(const struct wsim_server *s, const void *evcon)
{
	return (uint32_t)wsim_mix((uint64_t)(uintptr_t)evcon) & (s->conn_cap - 1);
}

static bool conn_known(const struct wsim_server *s, const struct evhttp_connection *evcon)
{
	for (uint32_t i = conn_slot(s, evcon);; i = (i + 1) & (s->conn_cap - 1)) {
		if (!s->conn_slots[i])
			return false;
		if (s->conn_slots[i] == (const void *)evcon)
			return true;
	}
}

/* Linear probing with backward-shift deletion (no tombstones). */
static void conn_remove(struct wsim_server *s, struct evhttp_connection *evcon)
{
	uint32_t mask = s->conn_cap - 1, i = conn_slot(s, evcon);
	while (s->conn_slots[i] != (void *)evcon) {
		if (!s->conn_slots[i])
			return;
		i = (i + 1) & mask;
	}
	s->conn_slots[i] = NULL;
	for (uint32_t j = (i + 1) & mask; s->conn_slots[j]; j = (j + 1) & mask) {
		uint32_t home = conn_slot(s, s->conn_slots[j]);
		/* move j back to i when i lies cyclically in [home, j) */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->conn_slots[i] = s->conn_slots[j];
			s->conn_slots[j] = NULL;
			i = j;
		}
	}
}

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct wsim_server *s = arg;
	conn_remove(s, evcon);
	if (s->ctr.conns)
		s->ctr.conns--;
}

/* Register a connection seen for the first time; false when at the bound. */
static bool conn_add(struct wsim_server *s, struct evhttp_connection *evcon)
{
	if (s->ctr.conns >= s->opt.max_connections)
		return false;
	uint32_t i = conn_slot(s, evcon);
	while (s->conn_slots[i])
		i = (i + 1) & (s->conn_cap - 1);
	s->conn_slots[i] = (struct wsim_conn *)(void *)evcon;
	evhttp_connection_set_closecb(evcon, conn_closed, s);
	/*
	 * Without TCP_NODELAY a body written after its headers waits for the
	 * client's delayed ACK (Nagle): 40 ms per answer on loopback.
	 */
	evutil_socket_t fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->ctr.conns++;
	s->ctr.conns_total++;
	if (s->ctr.conns > s->ctr.conns_max)
		s->ctr.conns_max = s->ctr.conns;
	return true;
}

/* ---- pending answers ---- */

void server_pending_link(struct wsim_server *s, struct wsim_pending *p)
{
	p->prev = NULL;
	p->next = s->pending;
	if (s->pending)
		s->pending->prev = p;
	s->pending = p;
}

void server_pending_unlink(struct wsim_server *s, struct wsim_pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		s->pending = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->prev = p->next = NULL;
}

/* ---- replies ---- */

static void free_body_cb(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	free(arg);
}

/* Send a complete reply with body (copied) and Content-Type. */
void server_reply(struct wsim_server *s, struct evhttp_request *req, int status,
                  const char *content_type, const char *body, size_t len)
{
	(void)s;
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	evhttp_add_header(h, "Content-Type", content_type);
	evbuffer_add(evhttp_request_get_output_buffer(req), body, len);
	evhttp_send_reply(req, status, server_reason(status), NULL);
}

/*
 * Bookkeeping of an answer handed to its client at now_ms: the Retry-After
 * deadline and the "Remaining: 0 answered" mark of its bucket.
 */
void server_answer_done(struct wsim_server *s, const struct wsim_answer *ans, int64_t now_ms)
{
	if (ans->account < 0 || !ans->authed || ans->endpoint >= EP_API_COUNT)
		return;
	int64_t until = 0;
	if (ans->retry_after > 0) {
		if (ans->retry_date)
			until = ((now_ms + 999) / 1000 + ans->retry_after) * 1000;
		else
			until = now_ms + (int64_t)ans->retry_after * 1000;
	}
	rl_answered(&s->rt[ans->account].b[ans->endpoint], ans->rl_remaining, until, now_ms);
}

/* Deliver ans (ownership taken) to req now. */
static void deliver(struct wsim_server *s, struct evhttp_request *req, struct wsim_answer *ans)
{
	int64_t now = wsim_now_ms();
	server_answer_done(s, ans, now);
	if (fault_is_raw(ans->fault)) {
		raw_start(s, req, ans);
		return;
	}
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	char v[48];
	evhttp_add_header(h, "Content-Type", "application/json");
	if (ans->has_rl) {
		snprintf(v, sizeof(v), "%u", ans->rl_limit);
		evhttp_add_header(h, "X-RateLimit-Limit", v);
		snprintf(v, sizeof(v), "%u", ans->rl_remaining);
		evhttp_add_header(h, "X-RateLimit-Remaining", v);
	}
	if (ans->retry_after > 0) {
		if (ans->retry_date)
			wsim_format_http_date((now + 999) / 1000 + ans->retry_after, v);
		else
			snprintf(v, sizeof(v), "%d", ans->retry_after);
		evhttp_add_header(h, "Retry-After", v);
	}
	struct evbuffer *out = evhttp_request_get_output_buffer(req);
	if (ans->page) {
		if (evbuffer_add_reference(out, ans->page->data, ans->page->len, page_unref_cb,
		                           ans->page) == 0)
			ans->page = NULL; /* the evbuffer holds the reference now */
	} else if (ans->body) {
		if (evbuffer_add_reference(out, ans->body, ans->body_len, free_body_cb,
		                           ans->body) == 0)
			ans->body = NULL;
	}
	answer_free(ans);
	if (s->ctr.in_flight)
		s->ctr.in_flight--;
	evhttp_send_reply(req, ans->status, server_reason(ans->status), NULL);
}

/* The latency of a pending answer has passed: deliver it and free the pending entry. */
static void latency_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct wsim_pending *p = arg;
	server_pending_unlink(p->s, p);
	event_free(p->timer);
	deliver(p->s, p->req, &p->ans);
	free(p);
}

/* Counters, per-account numbers and the request log for one API answer. */
static void count(struct wsim_server *s, struct evhttp_request *req, const struct wsim_answer *ans,
                  int64_t now)
{
	int status = ans->fault == F_OVERSIZED ? 200 : ans->status;
	s->ctr.requests++;
	if (status >= 0 && status < 600)
		s->ctr.by_ep_status[ans->endpoint][status]++;
	if (ans->fault != F_NONE)
		s->ctr.faults[ans->fault]++;
	if (ans->account < 0)
		return;
	struct wsim_acct_rt *rt = &s->rt[ans->account];
	rt->requests++;
	rt->last_ms = now;
	if (ans->endpoint < EP_API_COUNT)
		rt->by_ep[ans->endpoint]++;
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	counters_log(rt, s->opt.log_size, now,
	             m == EVHTTP_REQ_GET    ? 0
	             : m == EVHTTP_REQ_POST ? 1
	                                    : 2,
	             evhttp_request_get_uri(req), status, ans->fault);
}

/*
 * evhttp's callback for every request: register the connection (503 and a
 * close beyond --max-connections), hand /_wesim/ to control.c, else answer
 * the API request now or after its latency. The request is always answered
 * (or handed to raw.c, which ends it with its connection).
 */
static void on_request(struct evhttp_request *req, void *arg)
{
	struct wsim_server *s = arg;
	int64_t now = wsim_now_ms();
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	if (!conn_known(s, evcon) && !conn_add(s, evcon)) {
		static const char busy[] = "{\"response\":{\"status\":\"error\",\"message\":"
		                           "\"Too many connections\"}}";
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		server_reply(s, req, 503, "application/json", busy, sizeof(busy) - 1);
		return;
	}
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	if (path && strncmp(path, "/_wesim/", 8) == 0) {
		control_handle(s, req, path, evhttp_uri_get_query(u));
		return;
	}
	s->ctr.in_flight++;
	if (s->ctr.in_flight > s->ctr.in_flight_max)
		s->ctr.in_flight_max = s->ctr.in_flight;
	struct wsim_answer ans;
	memset(&ans, 0, sizeof(ans));
	routes_api(s, req, now, &ans);
	count(s, req, &ans, now);
	uint32_t delay = s->opt.latency_ms;
	if (s->opt.jitter_ms)
		delay += (uint32_t)(wsim_hash(s->opt.seed, "latency", ans.draw, 0, 0, 0) %
		                    ((uint64_t)s->opt.jitter_ms + 1));
	if (delay == 0) {
		deliver(s, req, &ans);
		return;
	}
	struct wsim_pending *p = calloc(1, sizeof(*p));
	if (p)
		p->timer = evtimer_new(s->base, latency_cb, p);
	struct timeval tv = {delay / 1000, (suseconds_t)(delay % 1000) * 1000};
	if (!p || !p->timer || evtimer_add(p->timer, &tv) != 0) {
		if (p && p->timer)
			event_free(p->timer);
		free(p);
		deliver(s, req, &ans); /* no memory for a timer: answer at once */
		return;
	}
	p->s = s;
	p->req = req;
	p->kind = PEND_LATENCY;
	p->ans = ans;
	server_pending_link(s, p);
}

/* ---- reload, signals ---- */

/*
 * Re-read the accounts file (or regenerate from the seed without one). On
 * success the new set replaces the old one and cached pages are dropped;
 * on failure nothing changes and err says why.
 */
int server_reload(struct wsim_server *s, char *err, size_t errlen)
{
	struct wsim_accounts set;
	if (accounts_load(s->opt.accounts_path, s->opt.seed, s->opt.workspaces, s->opt.rate_limit,
	                  &set, stderr, err, errlen) != 0)
		return -1;
	accounts_free(&s->acc);
	s->acc = set;
	s->generation++;
	cache_clear(&s->cache);
	return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct wsim_server *s = arg;
	if (sig == SIGHUP) {
		char err[512];
		if (server_reload(s, err, sizeof(err)) != 0)
			fprintf(stderr, "wesim: reload failed: %s\n", err);
		else if (!s->opt.quiet)
			fprintf(stderr, "wesim: reloaded %u accounts%s%s\n", s->acc.n,
			        s->opt.accounts_path ? " from " : "",
			        s->opt.accounts_path ? s->opt.accounts_path : "");
		return;
	}
	s->stopping = true;
	event_base_loopbreak(s->base);
}

/* ---- listening ---- */

/* Check --listen: an IPv4 address in 127.0.0.0/8 or ::1 (*v6 says which). */
int server_loopback_only(const char *addr, bool *v6, char *err, size_t errlen)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		*v6 = false;
		if ((ntohl(a4.s_addr) >> 24) == 127)
			return 0;
	} else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		*v6 = true;
		if (IN6_IS_ADDR_LOOPBACK(&a6))
			return 0;
	}
	snprintf(err, errlen,
	         "--listen %.64s: only loopback addresses are served (127.0.0.0/8 or ::1)", addr);
	return -1;
}

static int write_port_file(const char *path, int port, char *err, size_t errlen)
{
	size_t n = strlen(path) + 32;
	char *tmp = malloc(n);
	if (!tmp) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	bool ok = f && fprintf(f, "%d\n", port) > 0;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		snprintf(err, errlen, "--port-file %s: %s", path, strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static void raise_nofile(uint32_t want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		rl.rlim_cur =
		        (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want) ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Whether path names the accounts file --write-config dir will write
 * (dir/wesim.accounts, compared as strings without trailing slashes, or as
 * real paths when both directories exist).
 */
static bool written_by_config(const char *path, const char *dir)
{
	if (!dir)
		return false;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (strcmp(base, "wesim.accounts") != 0)
		return false;
	size_t pl = slash ? (size_t)(slash - path) : 0, dl = strlen(dir);
	while (pl > 1 && path[pl - 1] == '/')
		pl--;
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	if (pl == dl && strncmp(path, dir, dl) == 0)
		return true;
	char a[PATH_MAX], b[PATH_MAX], pdir[PATH_MAX];
	if (pl == 0 || pl >= sizeof(pdir))
		return false;
	memcpy(pdir, path, pl);
	pdir[pl] = '\0';
	return realpath(pdir, a) && realpath(dir, b) && strcmp(a, b) == 0;
}

/*
 * Free everything server_run() built, in an order that keeps evhttp's
 * close callbacks valid: pending answers first (their requests die with
 * their connections), then evhttp, then the tables those callbacks use.
 */
static void server_free(struct wsim_server *s)
{
	while (s->pending) {
		struct wsim_pending *p = s->pending;
		if (p->kind == PEND_RAW) {
			raw_abort(p);
		} else {
			server_pending_unlink(s, p);
			event_free(p->timer);
			answer_free(&p->ans);
			free(p); /* its request is freed with its connection below */
		}
	}
	if (s->http)
		evhttp_free(s->http);
	if (s->sig_term)
		event_free(s->sig_term);
	if (s->sig_int)
		event_free(s->sig_int);
	if (s->sig_hup)
		event_free(s->sig_hup);
	free(s->conn_slots);
	cache_free(&s->cache);
	seen_free(&s->seen);
	if (s->rt)
		for (uint32_t i = 0; i < s->acc.n; i++)
			free(s->rt[i].log);
	free(s->rt);
	accounts_free(&s->acc);
	tls_free(s);
	if (s->base)
		event_base_free(s->base);
}

/*
 * Serve until SIGTERM or SIGINT. opt has been validated by main.c.
 * Returns the exit status: 0 after a clean stop, 1 when setup failed (the
 * reason is printed).
 */
int server_run(struct wsim_opts *opt)
{
	static struct wsim_server srv;
	struct wsim_server *s = &srv;
	char err[512];
	int rc = 1;
	memset(s, 0, sizeof(*s));
	s->opt = *opt;
	s->ctr.started_ms = wsim_now_ms();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(opt->max_connections + 64);

	bool v6;
	if (server_loopback_only(opt->listen, &v6, err, sizeof(err)) != 0)
		goto fail;
	const char *first = opt->accounts_path;
	if (first && access(first, F_OK) != 0 && errno == ENOENT &&
	    written_by_config(first, opt->write_config))
		first = NULL; /* --write-config creates it below; SIGHUP reads it */
	if (accounts_load(first, opt->seed, opt->workspaces, opt->rate_limit, &s->acc, stderr, err,
	                  sizeof(err)) != 0)
		goto fail;
	s->rt = calloc(s->acc.n, sizeof(*s->rt));
	s->conn_cap = 16;
	while (s->conn_cap < opt->max_connections * 2)
		s->conn_cap *= 2;
	s->conn_slots = calloc(s->conn_cap, sizeof(*s->conn_slots));
	if (!s->rt || !s->conn_slots ||
	    cache_init(&s->cache, 8192, (size_t)opt->cache_bytes) != 0) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < s->acc.n; i++)
		for (int e = 0; e < EP_API_COUNT; e++)
			rl_init(&s->rt[i].b[e]);
	seen_init(&s->seen, 1u << 21);

	s->base = event_base_new();
	s->http = s->base ? evhttp_new(s->base) : NULL;
	if (!s->http) {
		snprintf(err, sizeof(err), "cannot create the event loop");
		goto fail;
	}
	if (opt->tls_cert && tls_setup(s, opt->tls_cert, opt->tls_key, err, sizeof(err)) != 0)
		goto fail;
	/* every method reaches routes.c, which answers 405 in the envelope */
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                            EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                            EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                            EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(s->http, 16384);
	evhttp_set_max_body_size(s->http, (ev_ssize_t)opt->max_body + 65536);
	evhttp_set_timeout(s->http, 120);
	evhttp_set_default_content_type(s->http, "application/json");
	evhttp_set_gencb(s->http, on_request, s);

	struct evhttp_bound_socket *bound =
	        evhttp_bind_socket_with_handle(s->http, opt->listen, (ev_uint16_t)opt->port);
	if (!bound) {
		snprintf(err, sizeof(err), "cannot listen on %s port %d: %s", opt->listen,
		         opt->port, strerror(errno));
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&ss, &sl) != 0) {
		snprintf(err, sizeof(err), "getsockname: %s", strerror(errno));
		goto fail;
	}
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                         : ((struct sockaddr_in *)&ss)->sin_port);
	snprintf(s->base_url, sizeof(s->base_url), "%s://%s%s%s:%d",
	         opt->tls_cert ? "https" : "http", v6 ? "[" : "", opt->listen, v6 ? "]" : "",
	         s->port);

	s->sig_term = evsignal_new(s->base, SIGTERM, on_signal, s);
	s->sig_int = evsignal_new(s->base, SIGINT, on_signal, s);
	s->sig_hup = evsignal_new(s->base, SIGHUP, on_signal, s);
	if (!s->sig_term || !s->sig_int || !s->sig_hup || evsignal_add(s->sig_term, NULL) ||
	    evsignal_add(s->sig_int, NULL) || evsignal_add(s->sig_hup, NULL)) {
		snprintf(err, sizeof(err), "cannot install signal handlers");
		goto fail;
	}
	if (opt->write_config &&
	    config_write(opt->write_config, &s->acc, s->base_url, opt->config_extra,
	                 opt->nconfig_extra, err, sizeof(err)) != 0)
		goto fail;
	if (opt->port_file && write_port_file(opt->port_file, s->port, err, sizeof(err)) != 0)
		goto fail;
	if (!opt->quiet)
		fprintf(stderr, "wesim: listening on %s (%u workspaces, seed %llu)\n", s->base_url,
		        s->acc.n, (unsigned long long)opt->seed);

	if (event_base_dispatch(s->base) < 0) {
		snprintf(err, sizeof(err), "event loop failed");
		goto fail;
	}
	rc = 0;
	if (!opt->quiet)
		fprintf(stderr, "wesim: stopped after %llu requests\n",
		        (unsigned long long)s->ctr.requests);
	server_free(s);
	return rc;
fail:
	fprintf(stderr, "wesim: %s\n", err);
	server_free(s);
	return rc;
}
