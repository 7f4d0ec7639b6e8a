/*
 * routes.c: the API endpoints of docs/api.md. routes_api() turns one request
 * into a struct wsim_answer (status, body, rate-limit numbers, fault) in
 * this order:
 *
 *   1. route the path (unknown: 404) and check the method (405);
 *   2. find the account: by license code in the path (unknown: 404), or
 *      by key for the probe; the key must be the account's and the account
 *      not revoked (else 401 "Unauthorized");
 *   3. take one request from the (account, endpoint) bucket (over: 429);
 *   4. draw the fault (faults.c); status faults answer at once;
 *   5. validate parameters or body (400) and render the answer;
 *   6. apply body faults (truncated, malformed, envelope, pagecount).
 *
 * Raw faults (stall, reset, ...) keep the rendered answer; server.c hands
 * them to raw.c. Counting, logging and delivery are server.c's.
 */
#include "wesim.h"

#include <sys/queue.h> /* TAILQ_* for evkeyvalq, before the event2 headers */

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void answer_free(struct wsim_answer *ans)
{
	page_unref(ans->page);
	ans->page = NULL;
	free(ans->body);
	ans->body = NULL;
	ans->body_len = 0;
}

/* Replace the body by the error envelope with message; status as given. */
void answer_error(struct wsim_answer *ans, int status, const char *message)
{
	struct jb b;
	jb_init(&b, 4096);
	render_error(&b, message);
	answer_free(ans);
	ans->status = status;
	if (b.oom) {
		jb_free(&b);
		return; /* an empty body: the status still says it */
	}
	ans->body = b.p;
	ans->body_len = b.len;
}

/* Take the buffer of b as the body (b is left empty); 500 when b overflowed. */
void answer_take_jb(struct wsim_answer *ans, int status, struct jb *b)
{
	if (b->oom) {
		jb_free(b);
		answer_error(ans, 500, "response too large to render");
		return;
	}
	answer_free(ans);
	ans->status = status;
	ans->body = b->p;
	ans->body_len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
}

static bool prefix(const char *s, const char *p, const char **rest)
{
	size_t n = strlen(p);
	if (strncmp(s, p, n) != 0)
		return false;
	*rest = s + n;
	return true;
}

/*
 * Route path: the endpoint (EP_UNKNOWN when none), the license code in it
 * (lc, lclen; none for the probe) and the one allowed method.
 */
static int route(const char *path, const char **lc, size_t *lclen, enum evhttp_cmd_type *method)
{
	const char *r;
	*lc = NULL;
	*lclen = 0;
	*method = EVHTTP_REQ_GET;
	if (prefix(path, "/v1/survey/response/", &r))
		return *r && !strchr(r, '/') ? EP_PROBE : EP_UNKNOWN;
	bool v2 = prefix(path, "/v2/accounts/", &r);
	if (!v2 && !prefix(path, "/v1/accounts/", &r))
		return EP_UNKNOWN;
	const char *slash = strchr(r, '/');
	if (!slash || slash == r)
		return EP_UNKNOWN;
	*lc = r;
	*lclen = (size_t)(slash - r);
	const char *tail = slash + 1;
	if (v2) {
		*method = EVHTTP_REQ_POST;
		return strcmp(tail, "stats") == 0 ? EP_STATS : EP_UNKNOWN;
	}
	for (int i = 0; i < WSIM_CAMPAIGN_PATHS; i++)
		if (strcmp(tail, wsim_campaign_paths[i].path) == 0)
			return (int)wsim_campaign_paths[i].endpoint;
	if (strcmp(tail, "publisher-metrics") == 0)
		return EP_PUBLISHER;
	if (strcmp(tail, "team-members") == 0)
		return EP_TEAM;
	return EP_UNKNOWN;
}

/* The token of "Authorization: Bearer TOKEN" (scheme case-insensitive), or NULL. */
static const char *bearer(struct evhttp_request *req, size_t *len)
{
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(req), "Authorization");
	if (!h)
		return NULL;
	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
		return NULL;
	h += 6;
	while (*h == ' ' || *h == '\t')
		h++;
	size_t n = strlen(h);
	while (n > 0 && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n == 0)
		return NULL;
	*len = n;
	return h;
}

/*
 * The value of query parameter name into *val (NULL when absent). Returns
 * -1 when the parameter is given more than once.
 */
static int param(struct evkeyvalq *q, const char *name, const char **val)
{
	struct evkeyval *kv;
	*val = NULL;
	TAILQ_FOREACH(kv, q, next)
	{
		if (strcmp(kv->key, name) != 0)
			continue;
		if (*val)
			return -1;
		*val = kv->value;
	}
	return 0;
}

/* pageNo (default 1) and pageSize (default 50) of q; 0 or -1 with err. */
static int page_params(struct evkeyvalq *q, uint32_t *no, uint32_t *size, char *err, size_t errlen)
{
	const char *v;
	uint64_t u;
	*no = 1;
	*size = 50;
	if (param(q, "pageNo", &v) != 0) {
		snprintf(err, errlen, "pageNo is given more than once");
		return -1;
	}
	if (v) {
		if (validate_uint(v, 1, WSIM_MAX_PAGE_NO, &u) != 0) {
			snprintf(err, errlen,
			         "pageNo must be an integer from 1 to %d, not \"%.32s\"",
			         WSIM_MAX_PAGE_NO, v);
			return -1;
		}
		*no = (uint32_t)u;
	}
	if (param(q, "pageSize", &v) != 0) {
		snprintf(err, errlen, "pageSize is given more than once");
		return -1;
	}
	if (v) {
		if (validate_uint(v, 1, WSIM_MAX_PAGE_SIZE, &u) != 0) {
			snprintf(err, errlen,
			         "pageSize must be an integer from 1 to %d, not \"%.32s\"",
			         WSIM_MAX_PAGE_SIZE, v);
			return -1;
		}
		*size = (uint32_t)u;
	}
	return 0;
}

/* A campaign or team page from the cache, rendering it on a miss. */
static void page_answer(struct wsim_server *s, const struct wsim_account *a, int acct, int ep,
                        uint32_t no, uint32_t size, struct wsim_answer *ans)
{
	uint64_t key = wsim_hash(s->generation, "page", (uint64_t)acct, (uint64_t)ep,
	                         ((uint64_t)no << 32) | size, 0);
	struct wsim_page *p = cache_get(&s->cache, key);
	if (!p) {
		struct jb b;
		jb_init(&b, WSIM_MAX_BODY_OUT);
		if (ep == EP_TEAM)
			render_team_page(&b, s->opt.seed, a, no, size, -1);
		else
			render_campaign_page(&b, s->opt.seed, a,
			                     (int)wsim_campaign_by_endpoint(ep)->channel, no, size,
			                     -1);
		if (b.oom) {
			answer_take_jb(ans, 200, &b);
			return;
		}
		p = cache_put(&s->cache, key, b.p, b.len);
		if (!p) {
			answer_take_jb(ans, 200, &b);
			return;
		}
		jb_free(&b);
	}
	answer_free(ans);
	ans->status = 200;
	ans->page = p;
}

static bool json_content_type(struct evhttp_request *req)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	size_t n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return n == 16 && strncasecmp(ct, "application/json", 16) == 0;
}

/* POST stats: Content-Type, body size and body checks (400/413), then the rendered days. */
static void handle_stats(struct wsim_server *s, struct evhttp_request *req,
                         const struct wsim_account *a, struct wsim_answer *ans)
{
	char err[256];
	if (!json_content_type(req)) {
		answer_error(ans, 400, "Content-Type must be application/json");
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len > s->opt.max_body) {
		snprintf(err, sizeof(err),
		         "request body of %zu bytes exceeds the limit of %u bytes", len,
		         s->opt.max_body);
		answer_error(ans, 413, err);
		return;
	}
	if (len == 0) {
		answer_error(ans, 400, "request body is empty; expected a JSON object");
		return;
	}
	const char *body = (const char *)evbuffer_pullup(in, -1);
	int64_t d0, d1;
	uint16_t mask;
	if (!body) {
		answer_error(ans, 500, "out of memory reading the request body");
		return;
	}
	if (validate_stats_body(body, len, &d0, &d1, &mask, err, sizeof(err)) != 0) {
		answer_error(ans, 400, err);
		return;
	}
	struct jb b;
	jb_init(&b, WSIM_MAX_BODY_OUT);
	render_stats(&b, s->opt.seed, a, d0, d1, mask);
	answer_take_jb(ans, 200, &b);
}

/* GET publisher-metrics: from, to (strict days, at most 92) and metrics, then the answer. */
static void handle_publisher(struct wsim_server *s, struct evkeyvalq *q,
                             const struct wsim_account *a, struct wsim_answer *ans)
{
	char err[256];
	const char *from, *to, *metrics;
	int64_t d0, d1;
	int m[WSIM_AU_METRICS], nm;
	if (param(q, "from", &from) || param(q, "to", &to) || param(q, "metrics", &metrics)) {
		answer_error(ans, 400, "from, to and metrics may each be given once");
		return;
	}
	if (!from || wsim_parse_day(from, strlen(from), &d0) != 0) {
		answer_error(ans, 400, "from must be a day YYYY-MM-DD");
		return;
	}
	if (!to || wsim_parse_day(to, strlen(to), &d1) != 0) {
		answer_error(ans, 400, "to must be a day YYYY-MM-DD");
		return;
	}
	if (d1 < d0) {
		answer_error(ans, 400, "from is after to");
		return;
	}
	if (d1 - d0 + 1 > WSIM_MAX_WINDOW) {
		snprintf(err, sizeof(err), "the window spans %lld days; at most %d are allowed",
		         (long long)(d1 - d0 + 1), WSIM_MAX_WINDOW);
		answer_error(ans, 400, err);
		return;
	}
	if (!metrics) {
		answer_error(ans, 400, "metrics is missing (e.g. metrics=DAU,WAU,MAU)");
		return;
	}
	if (validate_metrics(metrics, m, &nm, err, sizeof(err)) != 0) {
		answer_error(ans, 400, err);
		return;
	}
	struct jb b;
	jb_init(&b, WSIM_MAX_BODY_OUT);
	render_publisher(&b, s->opt.seed, a, d0, d1, m, nm);
	answer_take_jb(ans, 200, &b);
}

/* Answer the status faults; false when f is not one. */
static bool status_fault(int f, uint32_t retry_after, struct wsim_answer *ans)
{
	switch (f) {
	case F_500:
		answer_error(ans, 500, "Internal Server Error");
		return true;
	case F_502:
		answer_error(ans, 502, "Bad Gateway");
		return true;
	case F_503:
		answer_error(ans, 503, "Service Unavailable");
		return true;
	case F_503S:
		answer_error(ans, 503, "Service Unavailable");
		ans->retry_after = (int)retry_after;
		return true;
	case F_429:
	case F_429S:
	case F_429D:
		answer_error(ans, 429, "Too Many Requests");
		if (f != F_429)
			ans->retry_after = (int)retry_after;
		ans->retry_date = f == F_429D;
		return true;
	default:
		return false;
	}
}

/* The body of the answer as one contiguous span (page or malloc'd). */
static const char *body_of(const struct wsim_answer *ans, size_t *len)
{
	if (ans->page) {
		*len = ans->page->len;
		return ans->page->data;
	}
	*len = ans->body_len;
	return ans->body;
}

/* truncated, malformed, envelope, pagecount: rewrite the rendered answer. */
static void body_fault(struct wsim_server *s, const struct wsim_account *a, int ep, uint32_t no,
                       uint32_t size, struct wsim_answer *ans)
{
	uint64_t P = wsim_hash(s->opt.seed, "fparam", ans->draw, 0, 0, 0);
	size_t len;
	const char *body = body_of(ans, &len);
	switch (ans->fault) {
	case F_TRUNCATED: {
		size_t cut = len > 1 ? 1 + (size_t)(P % (len - 1)) : 0;
		char *copy = malloc(cut ? cut : 1);
		if (!copy) {
			answer_error(ans, 500, "out of memory");
			return;
		}
		memcpy(copy, body, cut);
		int status = ans->status;
		answer_free(ans);
		ans->status = status;
		ans->body = copy;
		ans->body_len = cut;
		return;
	}
	case F_MALFORMED: {
		static const char html[] = "<html><head><title>502 Bad Gateway</title></head>"
		                           "<body><h1>502 Bad Gateway</h1></body></html>\n";
		char *copy = strdup(html);
		int status = ans->status;
		answer_free(ans);
		ans->status = status;
		ans->body = copy;
		ans->body_len = copy ? sizeof(html) - 1 : 0;
		return;
	}
	case F_ENVELOPE: {
		static const char *const wrong[4] = {
		        "{\"status\":\"success\",\"message\":\"success\",\"data\":[]}",
		        "{\"response\":{\"status\":\"success\",\"message\":\"success\"}}",
		        "{\"response\":\"success\"}",
		        "[{\"response\":{\"status\":\"success\",\"message\":\"success\",\"data\":[]"
		        "}}]",
		};
		const char *w = wrong[P % 4];
		char *copy = strdup(w);
		int status = ans->status;
		answer_free(ans);
		ans->status = status;
		ans->body = copy;
		ans->body_len = copy ? strlen(w) : 0;
		return;
	}
	case F_PAGECOUNT: {
		uint32_t total =
		        ep == EP_TEAM
		                ? data_team_size(s->opt.seed, a)
		                : data_campaign_count(s->opt.seed, a,
		                                      (int)wsim_campaign_by_endpoint(ep)->channel);
		int64_t pages = (int64_t)render_pages(total, size) + 1 + (int64_t)(P % 3);
		struct jb b;
		jb_init(&b, WSIM_MAX_BODY_OUT);
		if (ep == EP_TEAM)
			render_team_page(&b, s->opt.seed, a, no, size, pages);
		else
			render_campaign_page(&b, s->opt.seed, a,
			                     (int)wsim_campaign_by_endpoint(ep)->channel, no, size,
			                     pages);
		answer_take_jb(ans, 200, &b);
		return;
	}
	default:
		return;
	}
}

/*
 * Answer one API request (see the file comment) into *ans, which the
 * caller zeroed; ans owns its body afterwards (answer_free). Violations,
 * the served-request table and the rate-limit buckets are updated here.
 */
void routes_api(struct wsim_server *s, struct evhttp_request *req, int64_t now_ms,
                struct wsim_answer *ans)
{
	const char *target = evhttp_request_get_uri(req);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	const char *query = u ? evhttp_uri_get_query(u) : NULL;
	const char *lc;
	size_t lclen;
	enum evhttp_cmd_type want;
	ans->account = -1;
	ans->fault = F_NONE;
	ans->has_rl = true;
	ans->rl_limit = s->opt.rate_limit;
	ans->rl_remaining = s->opt.rate_limit;
	ans->endpoint = path ? route(path, &lc, &lclen, &want) : EP_UNKNOWN;
	int ep = ans->endpoint;
	if (ep == EP_UNKNOWN) {
		char msg[200];
		snprintf(msg, sizeof(msg), "No such endpoint: %.120s", path ? path : "?");
		answer_error(ans, 404, msg);
		return;
	}
	if (evhttp_request_get_command(req) != want) {
		answer_error(ans, 405,
		             want == EVHTTP_REQ_POST ? "Method Not Allowed; use POST"
		                                     : "Method Not Allowed; use GET");
		return;
	}
	size_t keylen = 0;
	const char *key = bearer(req, &keylen);
	int acct;
	if (ep == EP_PROBE) {
		acct = key ? accounts_find_key(&s->acc, key, keylen) : -1;
		ans->account = acct;
		if (acct < 0 || s->acc.v[acct].revoked) {
			answer_error(ans, 401, "Unauthorized");
			return;
		}
	} else {
		acct = accounts_find_lc(&s->acc, lc, lclen);
		if (acct < 0) {
			char msg[160];
			snprintf(msg, sizeof(msg), "Unknown license code %.*s",
			         (int)(lclen > 64 ? 64 : lclen), lc);
			answer_error(ans, 404, msg);
			return;
		}
		const struct wsim_account *a = &s->acc.v[acct];
		ans->account = acct;
		ans->rl_limit = a->rate_limit;
		ans->rl_remaining = rl_peek(&s->rt[acct].b[ep], a->rate_limit, now_ms);
		if (!key || a->revoked || keylen != strlen(a->key) ||
		    memcmp(key, a->key, keylen) != 0) {
			answer_error(ans, 401, "Unauthorized");
			return;
		}
	}
	const struct wsim_account *a = &s->acc.v[acct];
	struct wsim_acct_rt *rt = &s->rt[acct];
	ans->authed = true;
	ans->rl_limit = a->rate_limit;

	unsigned viol = rl_arrival(&rt->b[ep], now_ms);
	if (viol & RL_VIOL_RETRY_AFTER) {
		rt->viol_retry_after++;
		s->ctr.viol_retry_after++;
	}
	if (viol & RL_VIOL_AFTER_ZERO) {
		rt->viol_rate_limit++;
		s->ctr.viol_rate_limit++;
	}
	if (!rl_take(&rt->b[ep], a->rate_limit, now_ms, &ans->rl_remaining)) {
		s->ctr.rate_limited++;
		answer_error(ans, 429, "Rate limit exceeded");
		return;
	}

	bool paginated = ep == EP_TEAM || wsim_campaign_by_endpoint(ep) != NULL;
	if (s->opt.fault_rate > 0 || s->opt.jitter_ms > 0) {
		uint64_t T = wsim_fnv_str(target);
		uint32_t count = seen_next(&s->seen, wsim_hash(0, "seen", T, a->lch, 0, 0));
		ans->draw = wsim_hash(s->opt.seed, "fault", T, a->lch, count, 0);
		ans->fault = fault_draw(s->opt.seed, s->opt.fault_rate, s->opt.faults, paginated,
		                        ans->draw);
	}
	if (status_fault(ans->fault, s->opt.retry_after_s, ans))
		return;

	struct evkeyvalq q;
	TAILQ_INIT(&q);
	if (query && evhttp_parse_query_str(query, &q) != 0) {
		evhttp_clear_headers(&q);
		answer_error(ans, 400, "the query string is not valid");
		return;
	}
	uint32_t no = 0, size = 0;
	char err[256];
	if (ep == EP_PROBE) {
		answer_error(ans, 404, "Survey response not found");
	} else if (ep == EP_STATS) {
		handle_stats(s, req, a, ans);
	} else if (ep == EP_PUBLISHER) {
		handle_publisher(s, &q, a, ans);
	} else if (page_params(&q, &no, &size, err, sizeof(err)) != 0) {
		answer_error(ans, 400, err);
	} else if (ep != EP_TEAM &&
	           !data_channel_enabled(a, (int)wsim_campaign_by_endpoint(ep)->channel)) {
		snprintf(err, sizeof(err), "Channel %s is not enabled for this account",
		         wsim_channel_names[wsim_campaign_by_endpoint(ep)->channel]);
		answer_error(ans, 404, err);
	} else {
		page_answer(s, a, acct, ep, no, size, ans);
	}
	evhttp_clear_headers(&q);
	if (ans->fault == F_PAGECOUNT && ans->status != 200)
		ans->fault = F_NONE; /* only a served page can lie about its page count */
	body_fault(s, a, ep, no, size, ans);
}
