/*
 * wesim.h: the WebEngage API simulator of docs/api.md, shared declarations.
 *
 * wesim is written against docs/api.md alone and shares no
 * code with the collector in src/, so that neither can be tuned to the
 * other. Its modules, each in its own file:
 *
 *   hash.c          splitmix64 / FNV-1a, the only source of "randomness"
 *   timefmt.c       days, instants, the three timestamp styles of docs/api.md
 *   accounts.c      accounts generated from the seed, lookups
 *   accounts_file.c the --accounts override file (read and written)
 *   data.c          the data function: every served value
 *   jbuf.c          a bounded growable byte buffer with JSON writers
 *   render.c        JSON bodies of every API endpoint
 *   expect.c        --expect: the rows a correct collector stores
 *   config_out.c    --write-config: a ready wegauged configuration
 *   faults.c        fault names, the per-request draw, the served-count table
 *   ratelimit.c     per (account, endpoint, minute) buckets and violations
 *   counters.c      /_wesim/stats counters and the per-account request log
 *   cache.c         rendered campaign and team pages, shared by reference
 *   routes.c        API routing, auth, validation, answers
 *   validate.c      query parameters and the stats request body
 *   control.c       the /_wesim/ endpoints
 *   raw.c           faults that need the socket itself (stall, reset, ...)
 *   server.c        evhttp, listening, connections, latency, delivery
 *   tls.c           HTTPS with bufferevent_openssl
 *   main.c          flags and modes
 *
 * Every function documents who owns what it returns. Errors are reported
 * through (char *err, size_t errlen) buffers naming what was wrong.
 */
#ifndef WESIM_H
#define WESIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- bounds (every one explicit) ---- */
#define WSIM_MAX_ACCOUNTS     9999 /* names ws-0001 .. ws-9999 */
#define WSIM_NAME_LEN         16   /* "ws-0001" and NUL, with room */
#define WSIM_LC_MAX           64   /* license code bytes */
#define WSIM_KEY_MIN          8    /* API key bytes */
#define WSIM_KEY_MAX          128  /* API key bytes */
#define WSIM_MAX_REVISION     1000000u
#define WSIM_MAX_RATE         1000000000u
#define WSIM_MAX_WINDOW       92   /* days per stats / publisher-metrics request */
#define WSIM_MAX_EXPECT_DAYS  3660 /* days per --expect window */
#define WSIM_MAX_PAGE_SIZE    1000
#define WSIM_MAX_PAGE_NO      1000000
#define WSIM_MAX_CHANNELS_REQ 64          /* entries in the stats body "channels" */
#define WSIM_MAX_STR_REQ      64          /* bytes of one such entry */
#define WSIM_MAX_BODY_OUT     (64u << 20) /* the largest rendered body */
#define WSIM_LOG_PATH_MAX     160         /* request target bytes kept per log entry */
#define WSIM_MAX_EXTRA        32          /* --config-extra lines */

/* The ten channels of docs/api.md's stats request, in docs/api.md's order. */
enum wsim_channel {
	CH_OVERALL,
	CH_PUSH,
	CH_INAPP,
	CH_SMS,
	CH_ONSITE,
	CH_WEBPUSH,
	CH_EMAIL,
	CH_WHATSAPP,
	CH_WEBPERS,
	CH_RCS,
	CH_COUNT
};
extern const char *const wsim_channel_names[CH_COUNT];
/* The channel of a name of the table above, or -1. */
int wsim_channel_from_name(const char *s, size_t n);

/*
 * Endpoints, for routing, rate limits, counters. The API endpoints come
 * first (EP_API_COUNT of them); each campaign channel is its own endpoint.
 */
enum wsim_endpoint {
	EP_PROBE,
	EP_STATS,
	EP_CAMP_PUSH,
	EP_CAMP_INAPP,
	EP_CAMP_SMS,
	EP_CAMP_EMAIL,
	EP_CAMP_WEBPUSH,
	EP_CAMP_WHATSAPP,
	EP_PUBLISHER,
	EP_TEAM,
	EP_API_COUNT,
	EP_UNKNOWN = EP_API_COUNT, /* no such API path */
	EP_COUNT
};
/* Short names used in /_wesim/stats ("probe", "push-notifications", ...). */
extern const char *const wsim_endpoint_names[EP_COUNT];
#define WSIM_CAMPAIGN_PATHS 6
/* The campaign list paths of docs/api.md with their channel and endpoint. */
struct wsim_campaign_path {
	const char *path;
	enum wsim_channel channel;
	enum wsim_endpoint endpoint;
};
extern const struct wsim_campaign_path wsim_campaign_paths[WSIM_CAMPAIGN_PATHS];
/* The campaign path entry of an endpoint or channel, or NULL. */
const struct wsim_campaign_path *wsim_campaign_by_endpoint(int ep);
const struct wsim_campaign_path *wsim_campaign_by_channel(int ch);

/* Platforms of publisher-metrics, and its metrics. */
#define WSIM_PLATFORMS 3
extern const char *const wsim_platform_names[WSIM_PLATFORMS];
#define WSIM_AU_METRICS 3 /* DAU, WAU, MAU */
extern const char *const wsim_au_names[WSIM_AU_METRICS];

/* ---- hash.c ---- */
uint64_t wsim_mix(uint64_t x);
uint64_t wsim_fnv(const void *p, size_t n);
uint64_t wsim_fnv_str(const char *s);
uint64_t wsim_hash(uint64_t seed, const char *tag, uint64_t a, uint64_t b, uint64_t c, uint64_t d);
uint32_t wsim_perm32(uint32_t x, uint64_t key);

/* ---- timefmt.c ---- */
int64_t wsim_days_from_civil(int64_t y, unsigned m, unsigned d);
void wsim_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
int wsim_parse_day(const char *s, size_t n, int64_t *day);
void wsim_format_day(int64_t day, char out[16]);
int wsim_parse_instant(const char *s, size_t n, int64_t *epoch);
void wsim_format_utc(int64_t epoch, char out[32]);
/* The three styles of docs/api.md: 0 "2013-01-26T07:31+0000", 1 "2026-11-20T08:01:00Z",
 * 2 "2025-10-01T00:00:00.000+05:30". */
#define WSIM_TS_STYLES 3
void wsim_format_api(int64_t epoch, int style, int offset_min, int millis, char out[40]);
void wsim_format_http_date(int64_t epoch, char out[40]);
int64_t wsim_now_ms(void);

/* ---- accounts.c ---- */
#define TRAIT_CLICK 0x01 /* campaign stats say "click", not "clicks" */
#define TRAIT_EXTRA 0x02 /* unknown extra fields in objects */
#define TRAIT_VIBER 0x04 /* an unknown channel and metric in stats */
#define TRAIT_JSNUM 0x08 /* whole reals printed as integers */

struct wsim_account {
	char name[WSIM_NAME_LEN];
	char lc[WSIM_LC_MAX + 1];
	char key[WSIM_KEY_MAX + 1];
	uint32_t revision;
	bool revoked;
	uint32_t rate_limit; /* requests per minute per endpoint */
	uint16_t disabled;   /* bit (1 << enum wsim_channel); never CH_OVERALL */
	/* derived from (seed, lc) by accounts_derive(): */
	uint64_t lch; /* wsim_fnv of lc */
	uint8_t traits;
	uint8_t platforms; /* bit per wsim_platform_names entry */
};

/* A lookup entry: a string of an account (pointing into its struct) and its index. */
struct wsim_ix {
	const char *k;
	uint32_t len;
	uint32_t i;
};

/* A set of accounts and its lookup indexes; owned by whoever filled it. */
struct wsim_accounts {
	uint32_t n;
	struct wsim_account *v;
	struct wsim_ix *by_lc;  /* sorted by lc bytes */
	struct wsim_ix *by_key; /* sorted by key bytes */
};

int accounts_generate(uint64_t seed, uint32_t n, uint32_t rate_limit, struct wsim_accounts *out,
                      char *err, size_t errlen);
void accounts_derive(uint64_t seed, struct wsim_account *a, bool default_disabled);
int accounts_index(struct wsim_accounts *set, char *err, size_t errlen);
int accounts_find_lc(const struct wsim_accounts *set, const char *lc, size_t n);
int accounts_find_key(const struct wsim_accounts *set, const char *key, size_t n);
int accounts_find_name(const struct wsim_accounts *set, const char *name);
void accounts_free(struct wsim_accounts *set);
/* Comma-separated channel names of a disabled mask into out ("" when none). */
void accounts_disabled_str(uint16_t mask, char *out, size_t outlen);

/* ---- accounts_file.c ---- */
int accounts_load(const char *path, uint64_t seed, uint32_t n, uint32_t rate_limit,
                  struct wsim_accounts *out, FILE *report, char *err, size_t errlen);
int accounts_write(const char *path, const struct wsim_accounts *set, char *err, size_t errlen);

/* ---- data.c ---- */
/* A number as served: absent (key missing), null, an integer, or a real
 * given as a count of quarters (value = q / 4, exactly representable). */
enum { NUM_ABSENT, NUM_NULL, NUM_INT, NUM_REAL };
struct wsim_num {
	uint8_t kind;
	int64_t v; /* the integer, or the real in quarters */
};
/* An instant as served: absent, null, or a value with its text. */
enum { TS_ABSENT, TS_NULL, TS_VALUE };
struct wsim_ts {
	uint8_t kind;
	int64_t epoch; /* whole seconds, what the text means in UTC */
	char text[40];
};

enum { STATS_ABSENT, STATS_NULL, STATS_OBJECT };
struct wsim_campaign {
	char id[16];
	char title[96];
	const char *status;
	const char *category;
	struct wsim_ts created_on;
	struct wsim_ts start_date;
	uint8_t stats; /* STATS_* */
	struct wsim_num sent, delivered, clicks, conversions, revenue;
	bool click_singular;
	uint8_t extra; /* 0: none; else which unknown fields are added */
};

struct wsim_member {
	char email[96];
	char name[64];
	bool name_null;
	const char *role;
	const char *status;
	struct wsim_ts last_login;
	uint8_t extra;
};

#define WSIM_STAT_METRICS 6 /* users, campaigns, deliveries, clicks, revenue, goal */
#define WSIM_DIM_METRICS  8
struct wsim_metric {
	const char *name;
	struct wsim_num v;
};
struct wsim_dim {
	const char *value;
	int n;
	struct wsim_metric m[WSIM_DIM_METRICS];
	bool extra; /* an unknown "label" field */
};
#define WSIM_MAX_DIMS (CH_COUNT + 1) /* the ten and VIBER */

uint32_t data_campaign_count(uint64_t seed, const struct wsim_account *a, int ch);
void data_campaign(uint64_t seed, const struct wsim_account *a, int ch, uint32_t j,
                   struct wsim_campaign *out);
uint32_t data_team_size(uint64_t seed, const struct wsim_account *a);
void data_member(uint64_t seed, const struct wsim_account *a, uint32_t k, struct wsim_member *out);
int data_stats_dims(uint64_t seed, const struct wsim_account *a, int64_t day, uint16_t requested,
                    struct wsim_dim out[WSIM_MAX_DIMS]);
int data_au_value(uint64_t seed, const struct wsim_account *a, int platform, int metric,
                  int64_t day, int64_t *value);
bool data_channel_enabled(const struct wsim_account *a, int ch);

/* ---- jbuf.c ---- */
struct jb {
	char *p;
	size_t len, cap, max;
	bool oom; /* sticky: an allocation failed or max was reached */
};
void jb_init(struct jb *b, size_t max);
void jb_free(struct jb *b);
void jb_put(struct jb *b, const char *s, size_t n);
void jb_puts(struct jb *b, const char *s);
void jb_putc(struct jb *b, char c);
void jb_int(struct jb *b, int64_t v);
void jb_str(struct jb *b, const char *s);
void jb_strn(struct jb *b, const char *s, size_t n);
void jb_num(struct jb *b, const struct wsim_num *v);
void jb_quarters(struct jb *b, int64_t q);
void jb_ts(struct jb *b, const struct wsim_ts *t);
void jb_printf(struct jb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- render.c ---- */
void render_envelope_open(struct jb *b);
void render_envelope_close(struct jb *b);
void render_error(struct jb *b, const char *message);
void render_stats(struct jb *b, uint64_t seed, const struct wsim_account *a, int64_t day0,
                  int64_t day1, uint16_t requested);
void render_campaign_page(struct jb *b, uint64_t seed, const struct wsim_account *a, int ch,
                          uint32_t page_no, uint32_t page_size, int64_t pages_override);
void render_team_page(struct jb *b, uint64_t seed, const struct wsim_account *a, uint32_t page_no,
                      uint32_t page_size, int64_t pages_override);
void render_publisher(struct jb *b, uint64_t seed, const struct wsim_account *a, int64_t day0,
                      int64_t day1, const int *metrics, int nmetrics);
uint32_t render_pages(uint32_t total, uint32_t page_size);

/* ---- expect.c ---- */
int expect_run(FILE *out, uint64_t seed, const struct wsim_accounts *set, const char *which,
               int64_t day0, int64_t day1, char *err, size_t errlen);

/* ---- config_out.c ---- */
int config_write(const char *dir, const struct wsim_accounts *set, const char *base_url,
                 char *const *extra, int nextra, char *err, size_t errlen);

/* ---- faults.c ---- */
enum wsim_fault {
	F_NONE,
	F_500,
	F_502,
	F_503,
	F_429,
	F_429S,
	F_429D,
	F_503S,
	F_STALL,
	F_RESET,
	F_SHORT,
	F_BADCHUNK,
	F_TRUNCATED,
	F_MALFORMED,
	F_ENVELOPE,
	F_SLOW,
	F_OVERSIZED,
	F_PAGECOUNT,
	F_COUNT
};
extern const char *const wsim_fault_names[F_COUNT];
int faults_parse(const char *s, uint32_t *mask, char *err, size_t errlen);
void faults_format(uint32_t mask, char *out, size_t outlen);
bool fault_is_raw(int f);
int fault_draw(uint64_t seed, double rate, uint32_t mask, bool paginated, uint64_t r);

/* A table of how many times each exact request was served. */
struct wsim_seen {
	uint64_t *keys; /* 0 = empty slot */
	uint32_t *counts;
	uint32_t cap, used, max;
};
void seen_init(struct wsim_seen *t, uint32_t max);
uint32_t seen_next(struct wsim_seen *t, uint64_t key);
void seen_free(struct wsim_seen *t);

/* ---- ratelimit.c ---- */
struct wsim_bucket {
	int64_t minute;         /* wall-clock minute of count, or -1 */
	uint32_t count;         /* requests taken in that minute */
	int64_t zero_minute;    /* minute in which Remaining: 0 was answered, or -1 */
	uint32_t after_zero;    /* requests arriving in zero_minute after that answer */
	int64_t retry_until_ms; /* Retry-After deadline given, or 0 */
};
void rl_init(struct wsim_bucket *b);
bool rl_take(struct wsim_bucket *b, uint32_t limit, int64_t now_ms, uint32_t *remaining);
uint32_t rl_peek(const struct wsim_bucket *b, uint32_t limit, int64_t now_ms);
unsigned rl_arrival(struct wsim_bucket *b, int64_t now_ms);
void rl_answered(struct wsim_bucket *b, uint32_t remaining, int64_t retry_until_ms, int64_t now_ms);
#define RL_VIOL_RETRY_AFTER 1u
#define RL_VIOL_AFTER_ZERO  2u

/* ---- counters.c ---- */
struct wsim_log_entry {
	int64_t t_ms;
	uint16_t status;
	uint8_t method; /* 0 GET, 1 POST, 2 other */
	uint8_t fault;
	char target[WSIM_LOG_PATH_MAX + 1];
};
/* Per-account runtime state; survives reloads (accounts are fixed by name). */
struct wsim_acct_rt {
	struct wsim_bucket b[EP_API_COUNT];
	uint64_t requests;
	int64_t last_ms; /* 0 = never */
	uint64_t by_ep[EP_API_COUNT];
	uint64_t viol_retry_after, viol_rate_limit;
	struct wsim_log_entry *log; /* ring, allocated on first use */
	uint32_t log_cap, log_len, log_head;
};
struct wsim_counters {
	int64_t started_ms;
	uint64_t requests;
	uint64_t by_ep_status[EP_COUNT][600];
	uint64_t faults[F_COUNT];
	uint64_t rate_limited; /* 429 of the real limiter */
	uint64_t viol_retry_after, viol_rate_limit;
	uint32_t conns, conns_max;
	uint64_t conns_total;
	uint32_t in_flight, in_flight_max;
};
void counters_log(struct wsim_acct_rt *rt, uint32_t log_size, int64_t t_ms, int method,
                  const char *target, int status, int fault);
void counters_reset(struct wsim_counters *c, struct wsim_acct_rt *rt, uint32_t n);

/* ---- cache.c ---- */
struct wsim_page {
	uint32_t refs;
	uint64_t key;
	size_t len;
	char data[];
};
struct wsim_cache {
	struct wsim_page **slots;
	uint32_t nslots;
	size_t bytes, max_bytes;
	uint64_t hits, misses;
};
int cache_init(struct wsim_cache *c, uint32_t nslots, size_t max_bytes);
struct wsim_page *cache_get(struct wsim_cache *c, uint64_t key);
struct wsim_page *cache_put(struct wsim_cache *c, uint64_t key, const char *data, size_t len);
void cache_clear(struct wsim_cache *c);
void cache_free(struct wsim_cache *c);
void page_unref(struct wsim_page *p);
void page_unref_cb(const void *data, size_t len, void *arg);

/* ---- server state (server.c) ---- */
struct evhttp;
struct evhttp_request;
struct evhttp_connection;
struct event_base;
struct event;
struct ssl_ctx_st;

struct wsim_opts {
	uint64_t seed;
	uint32_t workspaces;
	const char *accounts_path;
	const char *listen;
	int port;
	const char *port_file;
	const char *write_config;
	char *config_extra[WSIM_MAX_EXTRA];
	int nconfig_extra;
	uint32_t rate_limit;
	uint32_t latency_ms, jitter_ms;
	const char *tls_cert, *tls_key;
	double fault_rate;
	uint32_t faults;
	uint64_t oversize;
	uint32_t retry_after_s;
	uint32_t slow_rate;
	uint32_t stall_ms;
	uint32_t max_connections;
	uint32_t max_body;
	uint32_t log_size;
	uint64_t cache_bytes;
	bool quiet;
};

struct wsim_conn;
struct wsim_pending;

struct wsim_server {
	struct wsim_opts opt; /* the knobs /_wesim/control may change live here */
	struct event_base *base;
	struct evhttp *http;
	struct ssl_ctx_st *tls;
	struct event *sig_term, *sig_int, *sig_hup;
	struct wsim_accounts acc;
	struct wsim_acct_rt *rt; /* acc.n entries */
	struct wsim_counters ctr;
	struct wsim_seen seen;
	struct wsim_cache cache;
	uint64_t generation; /* bumped on every reload: cache keys include it */
	uint64_t oversized_served;
	/* connections by evcon, open addressing */
	struct wsim_conn **conn_slots;
	uint32_t conn_cap;
	/* answers waiting (latency) or being streamed by raw.c */
	struct wsim_pending *pending;
	char base_url[96];
	int port;
	bool stopping;
};

/*
 * What routes.c decided for one API request, delivered by server.c now or
 * after the latency. The answer owns body (or holds one page reference).
 */
struct wsim_answer {
	int status;
	int endpoint;
	int account; /* index of the account named by the request, or -1 */
	bool authed; /* the key was accepted for that account */
	int fault;
	bool has_rl;
	uint32_t rl_limit, rl_remaining;
	int retry_after;        /* seconds for Retry-After, 0 = none */
	bool retry_date;        /* send it as an HTTP-date */
	struct wsim_page *page; /* a cached body, one reference */
	char *body;             /* or a malloc'd body */
	size_t body_len;
	uint64_t draw; /* the request's draw, for fault parameters */
};
void answer_free(struct wsim_answer *ans);
void answer_error(struct wsim_answer *ans, int status, const char *message);
void answer_take_jb(struct wsim_answer *ans, int status, struct jb *b);

/* routes.c */
void routes_api(struct wsim_server *s, struct evhttp_request *req, int64_t now_ms,
                struct wsim_answer *ans);
/* control.c */
void control_handle(struct wsim_server *s, struct evhttp_request *req, const char *path,
                    const char *query);
void describe_account(struct jb *b, uint64_t seed, const struct wsim_account *a);
/* server.c */
int server_run(struct wsim_opts *opt);
int server_loopback_only(const char *addr, bool *v6, char *err, size_t errlen);
int server_reload(struct wsim_server *s, char *err, size_t errlen);
void server_reply(struct wsim_server *s, struct evhttp_request *req, int status,
                  const char *content_type, const char *body, size_t len);
const char *server_reason(int status);
void server_answer_done(struct wsim_server *s, const struct wsim_answer *ans, int64_t now_ms);
void server_pending_unlink(struct wsim_server *s, struct wsim_pending *p);
void server_pending_link(struct wsim_server *s, struct wsim_pending *p);
/* raw.c */
void raw_start(struct wsim_server *s, struct evhttp_request *req, struct wsim_answer *ans);
void raw_abort(struct wsim_pending *p);
/* tls.c */
int tls_setup(struct wsim_server *s, const char *cert, const char *key, char *err, size_t errlen);
void tls_free(struct wsim_server *s);

/* validate.c */
int validate_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int validate_size(const char *s, uint64_t max, uint64_t *out);
int validate_rate(const char *s, double *out);
int validate_latency(const char *s, uint32_t *ms, uint32_t *jitter);
int validate_stats_body(const char *body, size_t len, int64_t *day0, int64_t *day1,
                        uint16_t *requested, char *err, size_t errlen);
int validate_metrics(const char *s, int *metrics, int *n, char *err, size_t errlen);

/* ---- pending answers (latency, raw faults) ---- */
struct wsim_pending {
	struct wsim_pending *prev, *next;
	struct wsim_server *s;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct wsim_answer ans;
	struct event *timer;
	int kind; /* PEND_LATENCY or PEND_RAW */
	/* raw.c state */
	struct bufferevent *bev;
	size_t sent;   /* body bytes written so far */
	uint64_t left; /* oversized body bytes still to generate */
	bool chunked;
	bool draining; /* waiting for the output to drain before the next step */
	int step;
};
enum { PEND_LATENCY, PEND_RAW };

#endif
