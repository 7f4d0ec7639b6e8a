/*
 * test_config_table.c: src/config_table.c: the option table itself and
 * every value parser behind it, table-driven: booleans, workspace names,
 * stream lists, base URLs, listen addresses, API path templates, path
 * joining, and the exact "expected ..." texts of ranges and enumerations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_int.h"
#include "rows.h"
#include "weapi.h"

static void test_table_is_consistent(void **state)
{
	(void)state;
	assert_true(cfg_n_opts <= CFG_MAX_OPTS);
	for (size_t i = 0; i < cfg_n_opts; i++) {
		const struct cfg_opt *o = &cfg_opts[i];
		/* One row per (scope, name), and find() returns that row. */
		assert_ptr_equal(cfg_opt_find(o->scope, o->name), o);
		if (o->inherit >= 0) {
			const struct cfg_opt *d = cfg_opt_find(CFG_DAEMON, o->name);
			assert_non_null(d);
			assert_int_equal(d->type, o->type);
			assert_int_equal((long)d->offset, o->inherit);
			assert_int_equal(d->min, o->min);
			assert_int_equal(d->max, o->max);
			assert_null(o->def);
		}
	}
	assert_null(cfg_opt_find(CFG_DAEMON, "license_code"));
	assert_null(cfg_opt_find(CFG_WS, "database"));
	assert_null(cfg_opt_find(CFG_WS, "api_key"));
}

/* Every default parses (cfg_apply_defaults) into the values config.h documents. */
static void test_defaults(void **state)
{
	(void)state;
	struct config cfg;
	struct ws_config ws;
	memset(&cfg, 0, sizeof(cfg));
	memset(&ws, 0, sizeof(ws));
	assert_int_equal(cfg_apply_defaults(CFG_DAEMON, &cfg), 0);
	assert_int_equal(cfg_apply_defaults(CFG_WS, &ws), 0);
	assert_string_equal(cfg.database, "/var/lib/wegauge/wegauge.db");
	assert_null(cfg.include_dir);
	assert_string_equal(cfg.key_dir, "/etc/wegauge/keys");
	assert_int_equal(cfg.interval_ms, 3600000);
	assert_int_equal(cfg.jitter_ms, 30000);
	assert_int_equal(cfg.lookback_days, 7);
	assert_int_equal(cfg.seat_price_e4, -1);
	assert_string_equal(cfg.currency, "USD");
	assert_int_equal(cfg.max_in_flight, 64);
	assert_int_equal(cfg.max_per_host, 16);
	assert_int_equal(cfg.connect_timeout_ms, 10000);
	assert_int_equal(cfg.request_timeout_ms, 60000);
	assert_int_equal(cfg.max_response, 32 << 20);
	assert_int_equal(cfg.page_size, 100);
	assert_int_equal(cfg.max_pages, 1000);
	assert_int_equal(cfg.max_stream_rows, 250000);
	assert_int_equal(cfg.max_stream_bytes, 128 << 20);
	assert_int_equal(cfg.max_parse_memory, 128 << 20);
	assert_int_equal(cfg.retry_max, 5);
	assert_int_equal(cfg.retry_base_ms, 1000);
	assert_int_equal(cfg.retry_cap_ms, 300000);
	assert_int_equal(cfg.shutdown_grace_ms, 10000);
	assert_int_equal(cfg.sqlite_synchronous, SYNC_NORMAL);
	assert_int_equal(cfg.sqlite_busy_timeout_ms, 1000);
	assert_int_equal(cfg.sqlite_journal_size_limit, 64 << 20);
	assert_null(cfg.metrics_listen);
	assert_null(cfg.ca_file);
	assert_int_equal(cfg.log_level, LOGL_INFO);
	assert_int_equal(ws.data_center, DC_GLOBAL);
	assert_null(ws.base_url);
	assert_false(ws.base_url_set);
	assert_int_equal(ws.streams, STREAM_ALL);
	assert_true(ws.enabled);
	assert_string_equal(ws.paths[PATH_PROBE], "/v1/survey/response/wegauge-probe");
	assert_string_equal(ws.paths[PATH_STATS], "/v2/accounts/{lc}/stats");
	assert_string_equal(ws.paths[PATH_CAMPAIGNS], "/v1/accounts/{lc}/{channel}");
	assert_string_equal(ws.paths[PATH_ACTIVE_USERS], "/v1/accounts/{lc}/publisher-metrics");
	assert_string_equal(ws.paths[PATH_TEAM], "/v1/accounts/{lc}/team-members");
	assert_string_equal(cfg_dc_url(DC_GLOBAL), "https://api.webengage.com");
	assert_string_equal(cfg_dc_url(DC_IN), "https://api.in.webengage.com");
	assert_string_equal(cfg_dc_url(DC_KSA), "https://api.ksa.webengage.com");
	free(cfg.database);
	free(cfg.key_dir);
	for (int i = 0; i < PATH_COUNT; i++)
		free(ws.paths[i]);
}

static void test_bool(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		bool v;
	} cases[] = {
	        {"true", CFG_OK, true},    {"false", CFG_OK, false},  {"yes", CFG_OK, true},
	        {"no", CFG_OK, false},     {"on", CFG_OK, true},      {"off", CFG_OK, false},
	        {"1", CFG_OK, true},       {"0", CFG_OK, false},      {"TRUE", CFG_OK, true},
	        {"Off", CFG_OK, false},    {"", CFG_BAD, false},      {"2", CFG_BAD, false},
	        {"tru", CFG_BAD, false},   {"y", CFG_BAD, false},     {"enabled", CFG_BAD, false},
	        {" true", CFG_BAD, false}, {"true ", CFG_BAD, false}, {"01", CFG_BAD, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool v = !cases[i].v;
		int rc = cfg_parse_bool(cases[i].in, &v);
		if (rc != cases[i].rc || (rc == CFG_OK && v != cases[i].v))
			fail_msg("cfg_parse_bool(\"%s\") = %d", cases[i].in, rc);
	}
}

static void test_ws_name(void **state)
{
	(void)state;
	char n64[65], n65[66];
	memset(n64, 'a', 64);
	n64[64] = '\0';
	memset(n65, 'b', 65);
	n65[65] = '\0';
	const char *good[] = {"a", "acme-prod", "A.b_c-9", "0", "...", n64};
	const char *bad[] = {"", n65, "a b", "a/b", "a\"b", "caf\xc3\xa9", "a:b", "a\tb"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(cfg_check_ws_name(good[i], strlen(good[i])), CFG_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cfg_check_ws_name(bad[i], strlen(bad[i])) != CFG_BAD)
			fail_msg("name '%s' accepted", bad[i]);
}

#define S(x)     (1u << (x))
#define LIST_MSG "expected a comma-separated list of stats, campaigns, active_users, team"

static void test_streams(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		unsigned bits; /* when why is NULL */
		const char *why;
	} cases[] = {
	        {"stats", S(STREAM_STATS), NULL},
	        {"stats, campaigns, active_users, team", STREAM_ALL, NULL},
	        {"team,stats", S(STREAM_TEAM) | S(STREAM_STATS), NULL},
	        {"  campaigns ,\tactive_users  ", S(STREAM_CAMPAIGNS) | S(STREAM_ACTIVE_USERS),
	         NULL},
	        {"", 0, LIST_MSG},
	        {"   ", 0, LIST_MSG},
	        {"stats,", 0, LIST_MSG},
	        {",stats", 0, LIST_MSG},
	        {"stats,,team", 0, LIST_MSG},
	        {"stats team", 0, LIST_MSG},
	        {"stats;team", 0,
	         "expected stream names among stats, campaigns, active_users, team; unknown "
	         "'stats;team'"},
	        {"stats, bogus", 0,
	         "expected stream names among stats, campaigns, active_users, team; unknown "
	         "'bogus'"},
	        {"Stats", 0,
	         "expected stream names among stats, campaigns, active_users, team; unknown "
	         "'Stats'"},
	        {"stats,team,stats", 0, "expected each stream once; 'stats' is listed twice"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned bits = 0xdead;
		char why[256] = "";
		int rc = cfg_parse_streams(cases[i].in, &bits, why, sizeof(why));
		if (cases[i].why == NULL) {
			if (rc != CFG_OK || bits != cases[i].bits)
				fail_msg("streams '%s': rc %d bits %#x why %s", cases[i].in, rc,
				         bits, why);
		} else {
			if (rc != CFG_BAD || strcmp(why, cases[i].why) != 0 || bits != 0xdead)
				fail_msg("streams '%s': rc %d why '%s'", cases[i].in, rc, why);
		}
	}
}

#define URL_MSG                                                                                    \
	"expected https://host[:port][/prefix], or http:// to a loopback host (127.0.0.0/8, "      \
	"[::1], localhost)"

static void test_base_url(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		const char *out; /* CFG_OK: the stored URL; else the exact why */
		bool loopback_http;
	} cases[] = {
	        {"https://api.webengage.com", CFG_OK, "https://api.webengage.com", false},
	        {"https://api.webengage.com/", CFG_OK, "https://api.webengage.com", false},
	        {"https://proxy.example.com:8443/we/", CFG_OK, "https://proxy.example.com:8443/we",
	         false},
	        {"https://h//", CFG_OK, "https://h", false},
	        {"HTTPS://Example.COM", CFG_OK, "https://Example.COM", false},
	        {"https://[2001:db8::1]:443", CFG_OK, "https://[2001:db8::1]:443", false},
	        {"http://127.0.0.1:8080", CFG_OK, "http://127.0.0.1:8080", true},
	        {"http://127.1.2.3/", CFG_OK, "http://127.1.2.3", true},
	        {"http://localhost:9/api", CFG_OK, "http://localhost:9/api", true},
	        {"http://LOCALHOST", CFG_OK, "http://LOCALHOST", true},
	        {"http://[::1]:8080/", CFG_OK, "http://[::1]:8080", true},
	        {"https://127.0.0.1:8443", CFG_OK, "https://127.0.0.1:8443", false},
	        {"http://example.com", CFG_BAD,
	         URL_MSG "; http:// is allowed only for a loopback host, use https://", false},
	        {"http://10.0.0.1:80", CFG_BAD,
	         URL_MSG "; http:// is allowed only for a loopback host, use https://", false},
	        {"http://128.0.0.1", CFG_BAD,
	         URL_MSG "; http:// is allowed only for a loopback host, use https://", false},
	        {"http://[::2]", CFG_BAD,
	         URL_MSG "; http:// is allowed only for a loopback host, use https://", false},
	        {"http://localhost.evil.com", CFG_BAD,
	         URL_MSG "; http:// is allowed only for a loopback host, use https://", false},
	        {"ftp://h", CFG_BAD, URL_MSG, false},
	        {"api.webengage.com", CFG_BAD, URL_MSG, false},
	        {"https://", CFG_BAD, URL_MSG, false},
	        {"https:///x", CFG_BAD, URL_MSG, false},
	        {"https://h:", CFG_BAD, URL_MSG, false},
	        {"https://h:0", CFG_BAD, URL_MSG, false},
	        {"https://h:65536", CFG_BAD, URL_MSG, false},
	        {"https://h:8x", CFG_BAD, URL_MSG, false},
	        {"https://h_x", CFG_BAD, URL_MSG, false},
	        {"https://[::1", CFG_BAD, URL_MSG, false},
	        {"https://[zz]", CFG_BAD, URL_MSG, false},
	        {"https://h/a b", CFG_BAD, URL_MSG ", at most 2048 characters without spaces",
	         false},
#define QUERY_MSG                                                                                  \
	URL_MSG ", without query or fragment (the value is not shown: a query may hold a key)"
	        {"https://h/x?y=1", CFG_BAD_RAW, QUERY_MSG, false},
	        {"https://h?y", CFG_BAD_RAW, QUERY_MSG, false},
	        {"https://h/#frag", CFG_BAD_RAW, QUERY_MSG, false},
	        {"https://h/x?key=a b", CFG_BAD_RAW, QUERY_MSG, false},
	        {"https://user:pw@h", CFG_BAD_RAW,
	         URL_MSG ", without user name or password (the value is not shown)", false},
	        {"http://u@127.0.0.1", CFG_BAD_RAW,
	         URL_MSG ", without user name or password (the value is not shown)", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = (char *)0x1, why[512] = "";
		bool loop = !cases[i].loopback_http;
		int rc = cfg_check_base_url(cases[i].in, &out, &loop, why, sizeof(why));
		if (rc != cases[i].rc)
			fail_msg("base_url '%s': rc %d, expected %d (%s)", cases[i].in, rc,
			         cases[i].rc, why);
		if (rc == CFG_OK) {
			assert_string_equal(out, cases[i].out);
			assert_int_equal(loop, cases[i].loopback_http);
			free(out);
		} else {
			if (strcmp(why, cases[i].out) != 0)
				fail_msg("base_url '%s': why '%s'", cases[i].in, why);
			assert_ptr_equal(out, (char *)0x1);
		}
	}
	/* The longest URL accepted is 2048 characters. */
	char url[2100] = "https://h/";
	memset(url + 10, 'p', 2038);
	url[2048] = '\0';
	char *out, why[512];
	bool loop;
	assert_int_equal(cfg_check_base_url(url, &out, &loop, why, sizeof(why)), CFG_OK);
	free(out);
	strcat(url, "p");
	assert_int_equal(cfg_check_base_url(url, &out, &loop, why, sizeof(why)), CFG_BAD);
}

static void test_listen(void **state)
{
	(void)state;
	static const char *const good[] = {"127.0.0.1:9464", "127.9.8.7:1", "localhost:65535",
	                                   "[::1]:9464"};
	static const char *const bad[] = {
	        "0.0.0.0:9464",
	        "10.1.2.3:80",
	        "example.com:80",
	        "127.0.0.1",
	        "127.0.0.1:",
	        "127.0.0.1:0",
	        ":9464",
	        "[::1]",
	        "[::1]9464",
	        "[::]:9464",
	        "[::2]:80",
	        "::1:80",
	        "localhost",
	        "127.0.0.1:abc",
	        "127.0.0.1:65536",
	        "[::1:80",
	        "",
	};
	char why[256];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (cfg_check_listen(good[i], why, sizeof(why)) != CFG_OK)
			fail_msg("listen '%s' refused", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cfg_check_listen(bad[i], why, sizeof(why)) != CFG_BAD)
			fail_msg("listen '%s' accepted", bad[i]);
		assert_string_equal(why, "expected a loopback host:port (127.0.0.1:9464, "
		                         "[::1]:9464 or localhost:9464)");
	}
}

#define ODD                                                                                        \
	"expected a path of URL path characters only (letters, digits and "                        \
	"-._~!$&'()*+,;=:@/%) besides the placeholders"

static void test_api_path(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		bool channel;
		int rc;
		const char *why; /* NULL: the generic message */
	} cases[] = {
	        {"/v2/accounts/{lc}/stats", false, CFG_OK, NULL},
	        {"/v1/accounts/{lc}/{channel}", true, CFG_OK, NULL},
	        {"/x/{lc}/{lc}", false, CFG_OK, NULL},
	        {"/", false, CFG_OK, NULL},
	        {"/static", true, CFG_BAD, "expected a path containing {channel} (and maybe {lc})"},
	        {"/static", false, CFG_OK, NULL},
	        {"/v1/accounts/{lc}/{channel}", false, CFG_BAD, NULL},
	        {"v2/accounts/{lc}/stats", false, CFG_BAD, NULL},
	        {"", false, CFG_BAD, NULL},
	        {"/x/{foo}", true, CFG_BAD, NULL},
	        {"/x/{lc", false, CFG_BAD, NULL},
	        {"/x/lc}", false, CFG_BAD, NULL},
	        {"/x/{LC}", false, CFG_BAD, NULL},
	        {"/x?y=1", false, CFG_BAD, NULL},
	        {"/x#y", false, CFG_BAD, NULL},
	        {"/x y", false, CFG_BAD, NULL},
	        {"/x\ty", false, CFG_BAD, NULL},
	        {"/caf\xc3\xa9", false, CFG_BAD, NULL},
	        /* Every URL path character weapi_url takes as it is. */
	        {"/a-b._~!$&'()*+,;=:@/%41/{lc}", false, CFG_OK, NULL},
	        /* Printable bytes weapi_url refuses (found by tests/fuzz/fuzz_config). */
	        {"/v2/accounts/{lc}/st|ats", false, CFG_BAD, ODD},
	        {"/x\"y", false, CFG_BAD, ODD},
	        {"/x<y>", false, CFG_BAD, ODD},
	        {"/x\\y", false, CFG_BAD, ODD},
	        {"/x^y", false, CFG_BAD, ODD},
	        {"/x`y", false, CFG_BAD, ODD},
	        {"/x[0]", true, CFG_BAD, ODD},
	        {"/{channel}/{lc}|", true, CFG_BAD, ODD},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[256] = "";
		int rc = cfg_check_api_path(cases[i].in, cases[i].channel, why, sizeof(why));
		if (rc != cases[i].rc)
			fail_msg("api path '%s' (channel %d): rc %d", cases[i].in, cases[i].channel,
			         rc);
		/* What the configuration accepts, pull.c can build a URL from. */
		if (rc == CFG_OK) {
			char *url = weapi_url("https://h", cases[i].in, "lc",
			                      cases[i].channel ? "push-notifications" : NULL,
			                      "pageNo=1");
			if (url == NULL)
				fail_msg("api path '%s' accepted, but weapi_url refuses it",
				         cases[i].in);
			free(url);
		}
		if (rc != CFG_OK && cases[i].why)
			assert_string_equal(why, cases[i].why);
		else if (rc != CFG_OK)
			assert_string_equal(why,
			                    cases[i].channel
			                            ? "expected a path starting with '/', without "
			                              "spaces, '?' or '#', using only the "
			                              "placeholders {lc} and {channel}"
			                            : "expected a path starting with '/', without "
			                              "spaces, '?' or '#', using only the "
			                              "placeholders {lc}");
	}
	char path[600];
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[512] = '\0';
	char why[256];
	assert_int_equal(cfg_check_api_path(path, false, why, sizeof(why)), CFG_OK);
	path[512] = 'a';
	path[513] = '\0';
	assert_int_equal(cfg_check_api_path(path, false, why, sizeof(why)), CFG_BAD);
}

static void test_path_join(void **state)
{
	(void)state;
	static const struct {
		const char *dir, *path, *out;
	} cases[] = {
	        {"/etc/wegauge", "keys/a.key", "/etc/wegauge/keys/a.key"},
	        {"/etc/wegauge", "/abs/a.key", "/abs/a.key"},
	        {".", "a.key", "a.key"},
	        {"/", "a.key", "//a.key"},
	        {"rel/dir", "a.key", "rel/dir/a.key"},
	        {NULL, "a.key", "a.key"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = cfg_path_join(cases[i].dir, cases[i].path);
		assert_non_null(r);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
}

#define PRICE_WHY                                                                                  \
	"expected none or a price per seat and month from 0 to 1000000000 with at most 4 "         \
	"decimals (e.g. 12.50)"

/* seat_price: the values accepted, in 1/10000 (-1: none). */
static void test_seat_price_values(void **state)
{
	(void)state;
	static const struct {
		const char *value;
		int64_t e4;
	} cases[] = {{"none", -1},
	             {"0", 0},
	             {"12", 120000},
	             {"12.5", 125000},
	             {"9.99", 99900},
	             {"0.0001", 1},
	             {"1000000000", 10000000000000LL},
	             {"007.1000", 71000}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ws_config ws;
		memset(&ws, 0, sizeof(ws));
		char why[256] = "";
		const struct cfg_opt *o = cfg_opt_find(CFG_WS, "seat_price");
		assert_non_null(o);
		assert_int_equal(cfg_opt_set(o, &ws, cases[i].value, "/", why, sizeof(why)),
		                 CFG_OK);
		assert_int_equal(ws.seat_price_e4, cases[i].e4);
	}
}

/* The exact "expected ..." text of each typed option, through cfg_opt_set. */
static void test_opt_set_messages(void **state)
{
	(void)state;
	static const struct {
		enum cfg_scope scope;
		const char *name, *value, *why;
	} cases[] = {
	        {CFG_DAEMON, "interval", "50ms",
	         "expected a duration from 100ms to 30d (a number of seconds, or with a unit ms, "
	         "s, "
	         "m, h, d)"},
	        {CFG_DAEMON, "jitter", "2d",
	         "expected a duration from 0s to 1d (a number of seconds, or with a unit ms, s, m, "
	         "h, d)"},
	        {CFG_DAEMON, "max_response", "512",
	         "expected a size from 1KiB to 1GiB (a number of bytes, or with a unit KiB, MiB, "
	         "GiB)"},
	        {CFG_DAEMON, "max_in_flight", "0", "expected an integer from 1 to 4096"},
	        {CFG_DAEMON, "max_in_flight", "-1", "expected an integer from 1 to 4096"},
	        {CFG_DAEMON, "max_in_flight", "+5", "expected an integer from 1 to 4096"},
	        {CFG_DAEMON, "max_in_flight", "99999999999999999999",
	         "expected an integer from 1 to 4096"},
	        {CFG_DAEMON, "retry_max", "1e2", "expected an integer from 0 to 100"},
	        {CFG_DAEMON, "sqlite_synchronous", "off", "expected normal or full"},
	        {CFG_DAEMON, "log_level", "error", "expected debug, info, notice, warning or err"},
	        {CFG_DAEMON, "database", "", "expected a value of 1 to 4095 characters"},
	        {CFG_DAEMON, "database",
	         "a\x01"
	         "b",
	         "expected a value of 1 to 4095 characters"},
	        {CFG_DAEMON, "ca_file", "/nonexistent/ca.pem",
	         "expected a readable file (No such file or directory)"},
	        {CFG_DAEMON, "ca_file", "/", "expected a readable file (not a regular file)"},
	        {CFG_WS, "data_center", "eu", "expected global, in or ksa"},
	        {CFG_WS, "data_center", "Global", "expected global, in or ksa"},
	        {CFG_WS, "enabled", "maybe", "expected true, false, yes, no, on, off, 1 or 0"},
	        {CFG_WS, "lookback_days", "91", "expected an integer from 1 to 90"},
	        {CFG_WS, "seat_price", "12.50001", PRICE_WHY},
	        {CFG_WS, "seat_price", "-1", PRICE_WHY},
	        {CFG_WS, "seat_price", "1e3", PRICE_WHY},
	        {CFG_WS, "seat_price", ".5", PRICE_WHY},
	        {CFG_WS, "seat_price", "5.", PRICE_WHY},
	        {CFG_WS, "seat_price", "1000000000.0001", PRICE_WHY},
	        {CFG_WS, "seat_price", "99999999999999999999", PRICE_WHY},
	        {CFG_DAEMON, "seat_price", "12,50", PRICE_WHY},
	        {CFG_DAEMON, "currency", "usd",
	         "expected an ISO 4217 currency code (3 letters A-Z)"},
	        {CFG_DAEMON, "currency", "EURO",
	         "expected an ISO 4217 currency code (3 letters A-Z)"},
	        {CFG_WS, "license_code", "a b",
	         "expected a license code of 1 to 64 characters A-Z a-z 0-9 ~ _ -"},
	        {CFG_WS, "license_code", "",
	         "expected a license code of 1 to 64 characters A-Z a-z 0-9 ~ _ -"},
	        {CFG_WS, "api_key_file", "", "expected a path of 1 to 4095 characters"},
	        {CFG_WS, "api_key_credential", "a/b",
	         "expected a credential name (1 to 255 characters, no '/' or spaces, not '.' or "
	         "'..')"},
	        {CFG_WS, "api_key_credential", "..",
	         "expected a credential name (1 to 255 characters, no '/' or spaces, not '.' or "
	         "'..')"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config cfg;
		struct ws_config ws;
		memset(&cfg, 0, sizeof(cfg));
		memset(&ws, 0, sizeof(ws));
		const struct cfg_opt *o = cfg_opt_find(cases[i].scope, cases[i].name);
		assert_non_null(o);
		char why[512] = "";
		void *base = cases[i].scope == CFG_WS ? (void *)&ws : (void *)&cfg;
		int rc = cfg_opt_set(o, base, cases[i].value, "/", why, sizeof(why));
		if (rc != CFG_BAD || strcmp(why, cases[i].why) != 0)
			fail_msg("%s = '%s': rc %d why '%s'", cases[i].name, cases[i].value, rc,
			         why);
	}
}

/* Values that parse, through cfg_opt_set, into exact fields. */
static void test_opt_set_values(void **state)
{
	(void)state;
	struct config cfg;
	struct ws_config ws;
	char why[512];
	memset(&cfg, 0, sizeof(cfg));
	memset(&ws, 0, sizeof(ws));
#define SET(scope, base, name, value)                                                              \
	assert_int_equal(                                                                          \
	        cfg_opt_set(cfg_opt_find(scope, name), base, value, "/etc/wg", why, sizeof(why)),  \
	        CFG_OK)
	SET(CFG_DAEMON, &cfg, "include_dir", "workspaces.d");
	assert_string_equal(cfg.include_dir, "/etc/wg/workspaces.d");
	SET(CFG_DAEMON, &cfg, "include_dir", "");
	assert_null(cfg.include_dir);
	SET(CFG_DAEMON, &cfg, "database", "rel.db");
	assert_string_equal(cfg.database, "rel.db"); /* kept as written */
	SET(CFG_DAEMON, &cfg, "max_response", "1GiB");
	assert_int_equal(cfg.max_response, (uint64_t)1 << 30);
	SET(CFG_DAEMON, &cfg, "sqlite_synchronous", "full");
	assert_int_equal(cfg.sqlite_synchronous, SYNC_FULL);
	static const struct {
		const char *word;
		enum log_level level;
	} levels[] = {{"debug", LOGL_DEBUG},
	              {"info", LOGL_INFO},
	              {"notice", LOGL_NOTICE},
	              {"warning", LOGL_WARNING},
	              {"err", LOGL_ERR}};
	for (size_t i = 0; i < 5; i++) {
		SET(CFG_DAEMON, &cfg, "log_level", levels[i].word);
		assert_int_equal(cfg.log_level, levels[i].level);
	}
	SET(CFG_DAEMON, &cfg, "metrics_listen", "127.0.0.1:9464");
	assert_string_equal(cfg.metrics_listen, "127.0.0.1:9464");
	SET(CFG_DAEMON, &cfg, "metrics_listen", "");
	assert_null(cfg.metrics_listen);
	SET(CFG_WS, &ws, "data_center", "ksa");
	assert_int_equal(ws.data_center, DC_KSA);
	SET(CFG_WS, &ws, "data_center", "in");
	assert_int_equal(ws.data_center, DC_IN);
	SET(CFG_WS, &ws, "api_key_file", "keys/a.key");
	assert_string_equal(ws.key_source, "file /etc/wg/keys/a.key");
	SET(CFG_WS, &ws, "api_key_file", "/k/b.key");
	assert_string_equal(ws.key_source, "file /k/b.key");
	SET(CFG_WS, &ws, "api_key_credential", "acme.key");
	assert_string_equal(ws.key_source, "credential acme.key");
	SET(CFG_WS, &ws, "base_url", "http://127.0.0.1:1/");
	assert_string_equal(ws.base_url, "http://127.0.0.1:1");
	assert_true(ws.base_url_set);
	assert_true(ws.loopback_http);
	SET(CFG_WS, &ws, "base_url", "");
	assert_null(ws.base_url);
	assert_false(ws.base_url_set);
	assert_false(ws.loopback_http);
	SET(CFG_WS, &ws, "license_code", "~aB9_-x");
	assert_string_equal(ws.license_code, "~aB9_-x");
	SET(CFG_WS, &ws, "enabled", "off");
	assert_false(ws.enabled);
#undef SET
	free(cfg.database);
	free(ws.key_source);
	free(ws.license_code);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_table_is_consistent),
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_bool),
	        cmocka_unit_test(test_ws_name),
	        cmocka_unit_test(test_streams),
	        cmocka_unit_test(test_base_url),
	        cmocka_unit_test(test_listen),
	        cmocka_unit_test(test_api_path),
	        cmocka_unit_test(test_path_join),
	        cmocka_unit_test(test_opt_set_messages),
	        cmocka_unit_test(test_seat_price_values),
	        cmocka_unit_test(test_opt_set_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
