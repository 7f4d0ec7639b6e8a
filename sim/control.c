/*
 * control.c: the /_wesim/ endpoints, for tests and operators of the
 * simulator (never faulted, delayed, rate limited or counted):
 *
 *   GET  /_wesim/stats           counters (see stats_json)
 *   POST /_wesim/reset           zero the counters and logs
 *   GET  /_wesim/control         the live knobs
 *   POST /_wesim/control?K=V...  change knobs: fault_rate, faults, latency,
 *                                rate_limit, retry_after, slow_rate, stall_ms,
 *                                oversize (all validated first; all or nothing)
 *   GET  /_wesim/log?lc=LC[&limit=N]  the account's last requests, oldest first
 *   POST /_wesim/reload          re-read the accounts file (as SIGHUP)
 *   GET  /_wesim/accounts        every account without its key (describe_account)
 *
 * Answers use docs/api.md's envelope. docs/wesim.md documents every field.
 */
#include "wesim.h"

#include <sys/queue.h> /* TAILQ_* for evkeyvalq, before the event2 headers */

#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdlib.h>
#include <string.h>

static void send_jb(struct wsim_server *s, struct evhttp_request *req, struct jb *b)
{
	if (b->oom) {
		static const char e[] = "{\"response\":{\"status\":\"error\",\"message\":"
		                        "\"answer too large\"}}";
		server_reply(s, req, 500, "application/json", e, sizeof(e) - 1);
	} else {
		server_reply(s, req, 200, "application/json", b->p, b->len);
	}
	jb_free(b);
}

static void send_error(struct wsim_server *s, struct evhttp_request *req, int status,
                       const char *msg)
{
	struct jb b;
	jb_init(&b, 4096);
	render_error(&b, msg);
	if (!b.oom)
		server_reply(s, req, status, "application/json", b.p, b.len);
	else
		server_reply(s, req, status, "application/json", "", 0);
	jb_free(&b);
}

static void kv_u64(struct jb *b, const char *key, uint64_t v, bool comma)
{
	if (comma)
		jb_putc(b, ',');
	jb_str(b, key);
	jb_putc(b, ':');
	jb_int(b, (int64_t)v);
}

/*
 * The stats document:
 * {"now_ms","started_ms","requests","rate_limited",
 *  "endpoints":{NAME:{"total":N,"status":{"200":N,...}}},   (API endpoints and "unknown")
 *  "faults":{KIND:N,...},"faults_total":N,
 *  "connections":{"current","max","total"},"in_flight":{"current","max"},
 *  "violations":{"retry_after","rate_limit"},
 *  "cache":{"hits","misses","bytes"},
 *  "accounts":{NAME:{"license_code","requests","last_request_ms"|null,
 *              "endpoints":{NAME:N (non-zero only)},
 *              "violations":{"retry_after","rate_limit"}}}}
 */
static void stats_json(struct wsim_server *s, struct jb *b)
{
	const struct wsim_counters *c = &s->ctr;
	render_envelope_open(b);
	jb_putc(b, '{');
	kv_u64(b, "now_ms", (uint64_t)wsim_now_ms(), false);
	kv_u64(b, "started_ms", (uint64_t)c->started_ms, true);
	kv_u64(b, "requests", c->requests, true);
	kv_u64(b, "rate_limited", c->rate_limited, true);
	jb_puts(b, ",\"endpoints\":{");
	for (int e = 0; e < EP_COUNT; e++) {
		uint64_t total = 0;
		for (int st = 0; st < 600; st++)
			total += c->by_ep_status[e][st];
		if (e)
			jb_putc(b, ',');
		jb_str(b, wsim_endpoint_names[e]);
		jb_puts(b, ":{\"total\":");
		jb_int(b, (int64_t)total);
		jb_puts(b, ",\"status\":{");
		bool first = true;
		for (int st = 0; st < 600; st++) {
			if (!c->by_ep_status[e][st])
				continue;
			char k[16];
			snprintf(k, sizeof(k), "%d", st);
			kv_u64(b, k, c->by_ep_status[e][st], !first);
			first = false;
		}
		jb_put(b, "}}", 2);
	}
	jb_puts(b, "},\"faults\":{");
	uint64_t ftotal = 0;
	for (int f = 1; f < F_COUNT; f++) {
		kv_u64(b, wsim_fault_names[f], c->faults[f], f > 1);
		ftotal += c->faults[f];
	}
	jb_putc(b, '}');
	kv_u64(b, "faults_total", ftotal, true);
	jb_puts(b, ",\"connections\":{");
	kv_u64(b, "current", c->conns, false);
	kv_u64(b, "max", c->conns_max, true);
	kv_u64(b, "total", c->conns_total, true);
	jb_puts(b, "},\"in_flight\":{");
	kv_u64(b, "current", c->in_flight, false);
	kv_u64(b, "max", c->in_flight_max, true);
	jb_puts(b, "},\"violations\":{");
	kv_u64(b, "retry_after", c->viol_retry_after, false);
	kv_u64(b, "rate_limit", c->viol_rate_limit, true);
	jb_puts(b, "},\"cache\":{");
	kv_u64(b, "hits", s->cache.hits, false);
	kv_u64(b, "misses", s->cache.misses, true);
	kv_u64(b, "bytes", s->cache.bytes, true);
	jb_puts(b, "},\"accounts\":{");
	for (uint32_t i = 0; i < s->acc.n; i++) {
		const struct wsim_acct_rt *rt = &s->rt[i];
		if (i)
			jb_putc(b, ',');
		jb_str(b, s->acc.v[i].name);
		jb_puts(b, ":{\"license_code\":");
		jb_str(b, s->acc.v[i].lc);
		kv_u64(b, "requests", rt->requests, true);
		jb_puts(b, ",\"last_request_ms\":");
		if (rt->last_ms)
			jb_int(b, rt->last_ms);
		else
			jb_puts(b, "null");
		jb_puts(b, ",\"endpoints\":{");
		bool first = true;
		for (int e = 0; e < EP_API_COUNT; e++) {
			if (!rt->by_ep[e])
				continue;
			kv_u64(b, wsim_endpoint_names[e], rt->by_ep[e], !first);
			first = false;
		}
		jb_puts(b, "},\"violations\":{");
		kv_u64(b, "retry_after", rt->viol_retry_after, false);
		kv_u64(b, "rate_limit", rt->viol_rate_limit, true);
		jb_put(b, "}}", 2);
	}
	jb_put(b, "}}", 2);
	render_envelope_close(b);
}

/* The live knobs as a JSON object. */
static void knobs_json(struct wsim_server *s, struct jb *b)
{
	char faults[512];
	faults_format(s->opt.faults, faults, sizeof(faults));
	render_envelope_open(b);
	jb_printf(b, "{\"fault_rate\":%.15g,\"faults\":", s->opt.fault_rate);
	jb_str(b, faults);
	jb_printf(b,
	          ",\"latency_ms\":%u,\"jitter_ms\":%u,\"rate_limit\":%u,\"retry_after\":%u,"
	          "\"slow_rate\":%u,\"stall_ms\":%u,\"oversize\":%llu}",
	          s->opt.latency_ms, s->opt.jitter_ms, s->opt.rate_limit, s->opt.retry_after_s,
	          s->opt.slow_rate, s->opt.stall_ms, (unsigned long long)s->opt.oversize);
	render_envelope_close(b);
}

/* Validate every parameter of q, then apply them all; 0 or -1 with err. */
static int apply_knobs(struct wsim_server *s, struct evkeyvalq *q, char *err, size_t errlen)
{
	struct wsim_opts o = s->opt;
	struct evkeyval *kv;
	TAILQ_FOREACH(kv, q, next)
	{
		const char *k = kv->key, *v = kv->value;
		uint64_t u;
		if (strcmp(k, "fault_rate") == 0) {
			if (validate_rate(v, &o.fault_rate) != 0) {
				snprintf(err, errlen, "fault_rate must be a number from 0 to 1");
				return -1;
			}
		} else if (strcmp(k, "faults") == 0) {
			if (faults_parse(v, &o.faults, err, errlen) != 0)
				return -1;
		} else if (strcmp(k, "latency") == 0) {
			if (validate_latency(v, &o.latency_ms, &o.jitter_ms) != 0) {
				snprintf(err, errlen,
				         "latency must be MS or MS:JITTER (0..600000)");
				return -1;
			}
		} else if (strcmp(k, "rate_limit") == 0) {
			if (validate_uint(v, 1, WSIM_MAX_RATE, &u) != 0) {
				snprintf(err, errlen, "rate_limit must be an integer from 1 to %u",
				         WSIM_MAX_RATE);
				return -1;
			}
			o.rate_limit = (uint32_t)u;
		} else if (strcmp(k, "retry_after") == 0) {
			if (validate_uint(v, 1, 3600, &u) != 0) {
				snprintf(err, errlen, "retry_after must be 1..3600 seconds");
				return -1;
			}
			o.retry_after_s = (uint32_t)u;
		} else if (strcmp(k, "slow_rate") == 0) {
			if (validate_uint(v, 1, 100000000, &u) != 0) {
				snprintf(err, errlen,
				         "slow_rate must be 1..100000000 bytes a second");
				return -1;
			}
			o.slow_rate = (uint32_t)u;
		} else if (strcmp(k, "stall_ms") == 0) {
			if (validate_uint(v, 1, 3600000, &u) != 0) {
				snprintf(err, errlen, "stall_ms must be 1..3600000");
				return -1;
			}
			o.stall_ms = (uint32_t)u;
		} else if (strcmp(k, "oversize") == 0) {
			if (validate_size(v, 1ull << 40, &u) != 0 || u == 0) {
				snprintf(err, errlen, "oversize must be a size such as 40MiB");
				return -1;
			}
			o.oversize = u;
		} else {
			snprintf(err, errlen,
			         "unknown knob \"%.32s\" (fault_rate, faults, latency, rate_limit, "
			         "retry_after, slow_rate, stall_ms, oversize)",
			         k);
			return -1;
		}
	}
	bool rate_changed = o.rate_limit != s->opt.rate_limit;
	s->opt = o;
	if (rate_changed)
		for (uint32_t i = 0; i < s->acc.n; i++)
			s->acc.v[i].rate_limit = o.rate_limit;
	return 0;
}

static void log_json(struct wsim_server *s, int acct, uint32_t limit, struct jb *b)
{
	const struct wsim_acct_rt *rt = &s->rt[acct];
	static const char *const methods[3] = {"GET", "POST", "OTHER"};
	render_envelope_open(b);
	jb_puts(b, "{\"name\":");
	jb_str(b, s->acc.v[acct].name);
	jb_puts(b, ",\"license_code\":");
	jb_str(b, s->acc.v[acct].lc);
	jb_puts(b, ",\"entries\":[");
	uint32_t n = rt->log_len < limit ? rt->log_len : limit;
	for (uint32_t i = rt->log_len - n; i < rt->log_len; i++) {
		const struct wsim_log_entry *e = &rt->log[(rt->log_head + i) % rt->log_cap];
		if (i != rt->log_len - n)
			jb_putc(b, ',');
		jb_puts(b, "{\"t_ms\":");
		jb_int(b, e->t_ms);
		jb_puts(b, ",\"method\":");
		jb_str(b, methods[e->method < 3 ? e->method : 2]);
		jb_puts(b, ",\"path\":");
		jb_str(b, e->target);
		jb_puts(b, ",\"status\":");
		jb_int(b, e->status);
		jb_puts(b, ",\"fault\":");
		if (e->fault)
			jb_str(b, wsim_fault_names[e->fault]);
		else
			jb_puts(b, "null");
		jb_putc(b, '}');
	}
	jb_put(b, "]}", 2);
	render_envelope_close(b);
}

/*
 * One account without its key: {"name","license_code","revision","revoked",
 * "rate_limit","disabled":[...],"traits":{"click","extra","viber","jsnum"},
 * "platforms":[...],"campaigns":{CHANNEL:N (enabled channels)},"team":N}.
 * Shared with --describe.
 */
void describe_account(struct jb *b, uint64_t seed, const struct wsim_account *a)
{
	jb_puts(b, "{\"name\":");
	jb_str(b, a->name);
	jb_puts(b, ",\"license_code\":");
	jb_str(b, a->lc);
	jb_printf(b, ",\"revision\":%u,\"revoked\":%s,\"rate_limit\":%u,\"disabled\":[",
	          a->revision, a->revoked ? "true" : "false", a->rate_limit);
	bool first = true;
	for (int c = 1; c < CH_COUNT; c++) {
		if (data_channel_enabled(a, c))
			continue;
		if (!first)
			jb_putc(b, ',');
		first = false;
		jb_str(b, wsim_channel_names[c]);
	}
	jb_printf(b, "],\"traits\":{\"click\":%s,\"extra\":%s,\"viber\":%s,\"jsnum\":%s}",
	          a->traits & TRAIT_CLICK ? "true" : "false",
	          a->traits & TRAIT_EXTRA ? "true" : "false",
	          a->traits & TRAIT_VIBER ? "true" : "false",
	          a->traits & TRAIT_JSNUM ? "true" : "false");
	jb_puts(b, ",\"platforms\":[");
	first = true;
	for (int p = 0; p < WSIM_PLATFORMS; p++) {
		if (!(a->platforms & (1u << p)))
			continue;
		if (!first)
			jb_putc(b, ',');
		first = false;
		jb_str(b, wsim_platform_names[p]);
	}
	jb_puts(b, "],\"campaigns\":{");
	first = true;
	for (int i = 0; i < WSIM_CAMPAIGN_PATHS; i++) {
		int ch = (int)wsim_campaign_paths[i].channel;
		if (!data_channel_enabled(a, ch))
			continue;
		kv_u64(b, wsim_channel_names[ch], data_campaign_count(seed, a, ch), !first);
		first = false;
	}
	jb_puts(b, "},\"team\":");
	jb_int(b, data_team_size(seed, a));
	jb_putc(b, '}');
}

/* Serve one /_wesim/ request (path starts with "/_wesim/"). */
void control_handle(struct wsim_server *s, struct evhttp_request *req, const char *path,
                    const char *query)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);
	const char *what = path + strlen("/_wesim/");
	struct evkeyvalq q;
	struct jb b;
	char err[512];
	TAILQ_INIT(&q);
	if (query && evhttp_parse_query_str(query, &q) != 0) {
		send_error(s, req, 400, "the query string is not valid");
		return;
	}
	jb_init(&b, WSIM_MAX_BODY_OUT);
	bool get = m == EVHTTP_REQ_GET, post = m == EVHTTP_REQ_POST;
	if (strcmp(what, "stats") == 0 && get) {
		stats_json(s, &b);
		send_jb(s, req, &b);
	} else if (strcmp(what, "reset") == 0 && post) {
		counters_reset(&s->ctr, s->rt, s->acc.n);
		render_envelope_open(&b);
		jb_puts(&b, "{\"reset\":true}");
		render_envelope_close(&b);
		send_jb(s, req, &b);
	} else if (strcmp(what, "control") == 0 && (get || post)) {
		if (post && apply_knobs(s, &q, err, sizeof(err)) != 0) {
			jb_free(&b);
			send_error(s, req, 400, err);
		} else {
			knobs_json(s, &b);
			send_jb(s, req, &b);
		}
	} else if (strcmp(what, "log") == 0 && get) {
		const char *lc = evhttp_find_header(&q, "lc");
		const char *lim = evhttp_find_header(&q, "limit");
		uint64_t limit = 1000000;
		int acct = lc ? accounts_find_lc(&s->acc, lc, strlen(lc)) : -1;
		if (lim && validate_uint(lim, 1, 1000000, &limit) != 0) {
			jb_free(&b);
			send_error(s, req, 400, "limit must be an integer from 1 to 1000000");
		} else if (acct < 0) {
			jb_free(&b);
			send_error(s, req, 404, "lc must name the license code of an account");
		} else {
			log_json(s, acct, (uint32_t)limit, &b);
			send_jb(s, req, &b);
		}
	} else if (strcmp(what, "reload") == 0 && post) {
		if (server_reload(s, err, sizeof(err)) != 0) {
			jb_free(&b);
			send_error(s, req, 400, err);
		} else {
			render_envelope_open(&b);
			jb_printf(&b, "{\"accounts\":%u}", s->acc.n);
			render_envelope_close(&b);
			send_jb(s, req, &b);
		}
	} else if (strcmp(what, "accounts") == 0 && get) {
		render_envelope_open(&b);
		jb_putc(&b, '[');
		for (uint32_t i = 0; i < s->acc.n; i++) {
			if (i)
				jb_putc(&b, ',');
			describe_account(&b, s->opt.seed, &s->acc.v[i]);
		}
		jb_putc(&b, ']');
		render_envelope_close(&b);
		send_jb(s, req, &b);
	} else {
		jb_free(&b);
		bool known = !strcmp(what, "stats") || !strcmp(what, "reset") ||
		             !strcmp(what, "control") || !strcmp(what, "log") ||
		             !strcmp(what, "reload") || !strcmp(what, "accounts");
		send_error(s, req, known ? 405 : 404,
		           known ? "Method Not Allowed" : "No such control endpoint");
	}
	evhttp_clear_headers(&q);
}
