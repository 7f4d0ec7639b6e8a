/*
 * metrics.c: counters, the text-format helpers and the evhttp server of
 * metrics.h. What is exported is decided by the daemon's render callback,
 * which calls the per-workspace and store helpers here.
 */
#include "metrics.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

const double metrics_bucket_le[METRICS_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1,
                                                   0.25,  0.5,  1,     5,    30};

static const char *const cap_names[MCAP_COUNT] = {"max_stream_rows", "max_stream_bytes",
                                                  "max_parse_memory"};

const char *metrics_cap_name(enum metrics_cap c)
{
	return (unsigned)c < MCAP_COUNT ? cap_names[c] : "?";
}

struct metrics_server {
	struct evhttp *http;
	char *listen;
	metrics_render_fn render;
	metrics_health_fn health;
	void *arg;
};

void metrics_request(struct metrics *m, enum metrics_ep ep, long status, int64_t ms)
{
	int cls = status >= 100 && status < 600 ? (int)(status / 100) : 0;
	if ((unsigned)ep < MEP_COUNT)
		m->requests[ep][cls]++;
	if (status == 429)
		m->rate_limited++;
	double s = (double)ms / 1000.0;
	for (int i = 0; i < METRICS_BUCKETS; i++) {
		if (s <= metrics_bucket_le[i]) {
			m->duration_bucket[i]++;
			break;
		}
	}
	m->duration_count++;
	m->duration_sum += s;
}

void metrics_store(struct metrics *m, int rc, const char *error)
{
	if (rc == 0)
		return; /* not durable until its group commits: metrics_store_committed */
	m->store_rc = rc;
	m->store_errors++;
	snprintf(m->store_error, sizeof(m->store_error), "%s", error ? error : "?");
}

void metrics_store_committed(struct metrics *m)
{
	m->store_rc = 0;
	m->store_error[0] = '\0';
}

void metrics_head(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_label(struct evbuffer *b, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*p == '"')
			evbuffer_add(b, "\\\"", 2);
		else if (*p == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, p, 1);
	}
}

void metrics_render_workspaces(struct evbuffer *b, struct ws *const *ws, size_t n)
{
	metrics_head(b, "wegauge_workspace_state", "gauge",
	             "Each workspace's current state, as the label state (always 1).");
	for (size_t i = 0; i < n; i++) {
		evbuffer_add_printf(b, "wegauge_workspace_state{workspace=\"");
		metrics_label(b, ws[i]->cfg->name);
		evbuffer_add_printf(b, "\",state=\"%s\"} 1\n", ws_state_name(ws[i]->state));
	}
	metrics_head(b, "wegauge_workspace_interval_seconds", "gauge",
	             "Each workspace's configured pull interval.");
	for (size_t i = 0; i < n; i++) {
		int64_t ms = ws[i]->cfg->interval_ms;
		evbuffer_add_printf(b, "wegauge_workspace_interval_seconds{workspace=\"");
		metrics_label(b, ws[i]->cfg->name);
		if (ms % 1000 == 0)
			evbuffer_add_printf(b, "\"} %" PRId64 "\n", ms / 1000);
		else
			evbuffer_add_printf(b, "\"} %" PRId64 ".%03" PRId64 "\n", ms / 1000,
			                    ms % 1000);
	}
}

void metrics_render_store_ok(struct evbuffer *b, const struct metrics *m, bool locked)
{
	metrics_head(b, "wegauge_store_ok", "gauge",
	             "1 while the last store write succeeded, 0 from a failed one until a "
	             "commit works, and while another process locks the store.");
	evbuffer_add_printf(b, "wegauge_store_ok %d\n", m->store_rc == 0 && !locked ? 1 : 0);
}

static void reply_text(struct evhttp_request *req, int code, const char *reason,
                       struct evbuffer *body, const char *ctype)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
	evhttp_send_reply(req, code, reason, body);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics_server *s = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	struct evbuffer *b = evbuffer_new();
	if (!b) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evbuffer_add_printf(b, "only GET\n");
		reply_text(req, 405, "Method Not Allowed", b, "text/plain; charset=utf-8");
	} else if (path && strcmp(path, "/metrics") == 0) {
		s->render(b, s->arg);
		reply_text(req, 200, "OK", b, "text/plain; version=0.0.4; charset=utf-8");
	} else if (path && strcmp(path, "/healthz") == 0) {
		char why[256] = "";
		if (s->health(why, sizeof(why), s->arg)) {
			evbuffer_add_printf(b, "ok\n");
			reply_text(req, 200, "OK", b, "text/plain; charset=utf-8");
		} else {
			evbuffer_add_printf(b, "unhealthy: %s\n", why);
			reply_text(req, 503, "Service Unavailable", b, "text/plain; charset=utf-8");
		}
	} else {
		evbuffer_add_printf(b, "not found: try /metrics or /healthz\n");
		reply_text(req, 404, "Not Found", b, "text/plain; charset=utf-8");
	}
	evbuffer_free(b);
}

/* Split "host:port" / "[v6]:port" into host and port. 0 or -1. */
static int split_listen(const char *listen, char *host, size_t hlen, unsigned *port)
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
	*port = (unsigned)p;
	return 0;
}

struct metrics_server *metrics_server_start(struct event_base *base, const char *listen,
                                            metrics_render_fn render, metrics_health_fn health,
                                            void *arg, char *err, size_t errlen)
{
	char host[128];
	unsigned port;
	if (split_listen(listen, host, sizeof(host), &port) != 0) {
		snprintf(err, errlen, "metrics_listen %s: expected host:port", listen);
		return NULL;
	}
	struct metrics_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->render = render;
	s->health = health;
	s->arg = arg;
	s->listen = strdup(listen);
	s->http = evhttp_new(base);
	if (!s->listen || !s->http) {
		snprintf(err, errlen, "out of memory");
		metrics_server_free(s);
		return NULL;
	}
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST);
	evhttp_set_max_body_size(s->http, 4096);
	evhttp_set_max_headers_size(s->http, 16384);
	evhttp_set_timeout(s->http, 10);
	evhttp_set_gencb(s->http, on_request, s);
	if (evhttp_bind_socket(s->http, host, (ev_uint16_t)port) != 0) {
		snprintf(err, errlen, "metrics_listen %s: cannot listen (address in use?)", listen);
		metrics_server_free(s);
		return NULL;
	}
	return s;
}

void metrics_server_free(struct metrics_server *s)
{
	if (!s)
		return;
	if (s->http)
		evhttp_free(s->http);
	free(s->listen);
	free(s);
}

const char *metrics_server_listen(const struct metrics_server *s)
{
	return s->listen;
}
