/*
 * test_config.c: src/config.c through config_load(): defaults, every key
 * (tests/fixtures/config/full.conf), include_dir ordering and filtering,
 * every error path with its exact file:line message (a table of small
 * configurations written to $TEST_TMP, and fixtures/config/errors.conf
 * for "all errors are collected"), key file modes, the credentials
 * directory, the fingerprint, the error bound and the -t summary.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "rows.h"

static char tmpdir[4096];
static char main_path[4200];
static char saved_cwd[4096]; /* tests chdir("/") to prove paths do not depend on it */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A fresh directory under $TEST_TMP per test, no credentials directory; removed by teardown. */
static int setup(void **state)
{
	(void)state;
	const char *base = getenv("TEST_TMP");
	snprintf(tmpdir, sizeof(tmpdir), "%s/config.XXXXXX", base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(main_path, sizeof(main_path), "%s/main.conf", tmpdir);
	unsetenv("CREDENTIALS_DIRECTORY");
	return getcwd(saved_cwd, sizeof(saved_cwd)) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	if (chdir(saved_cwd) != 0)
		return -1;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* tmpdir/name, in a static buffer (one at a time). */
static const char *tpath(const char *name)
{
	static char buf[4400];
	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

/* Write len bytes (strlen when len is 0) to tmpdir/name with exactly mode. */
static void put_n(const char *name, const char *data, size_t len, mode_t mode)
{
	const char *path = tpath(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		fail_msg("cannot create %s", path);
	if (len == 0)
		len = strlen(data);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void put(const char *name, const char *data, mode_t mode)
{
	put_n(name, data, 0, mode);
}

static void mkdir_t(const char *name)
{
	assert_int_equal(mkdir(tpath(name), 0755), 0);
}

/* Load path; it must succeed (else every error is printed and the test fails). */
static struct config *load_ok(const char *path)
{
	struct config *cfg = (struct config *)0x1;
	struct config_errors errs = {(char **)0x1, 99};
	if (config_load(path, &cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			print_error("%s\n", errs.msg[i]);
		config_errors_free(&errs);
		fail_msg("config_load(%s) failed", path);
	}
	assert_non_null(cfg);
	assert_int_equal(errs.n, 0);
	assert_null(errs.msg);
	return cfg;
}

/* Load path; it must fail with at least one message and no configuration. */
static void load_bad(const char *path, struct config_errors *errs)
{
	struct config *cfg = (struct config *)0x1;
	assert_int_equal(config_load(path, &cfg, errs), -1);
	assert_null(cfg);
	assert_true(errs->n > 0);
}

static void dump_errors(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		print_error("  [%zu] %s\n", i, errs->msg[i]);
}

/* The index of the first message containing sub, or -1. */
static int find_msg(const struct config_errors *errs, const char *sub)
{
	for (size_t i = 0; i < errs->n; i++)
		if (strstr(errs->msg[i], sub) != NULL)
			return (int)i;
	return -1;
}

#define WS_OK "[workspace \"w\"]\nlicense_code = lc\napi_key_file = good.key\n"

static void test_defaults_applied(void **state)
{
	(void)state;
	put("good.key", "abc123key\n", 0600);
	put("main.conf", WS_OK, 0644);
	assert_int_equal(chdir("/"), 0); /* relative paths are relative to the file, not cwd */
	struct config *cfg = load_ok(main_path);
	assert_string_equal(cfg->path, main_path);
	assert_string_equal(cfg->database, "/var/lib/wegauge/wegauge.db");
	assert_null(cfg->include_dir);
	assert_int_equal(cfg->interval_ms, 3600000);
	assert_int_equal(cfg->jitter_ms, 30000);
	assert_int_equal(cfg->lookback_days, 7);
	assert_int_equal(cfg->max_in_flight, 64);
	assert_int_equal(cfg->max_per_host, 16);
	assert_int_equal(cfg->connect_timeout_ms, 10000);
	assert_int_equal(cfg->request_timeout_ms, 60000);
	assert_int_equal(cfg->max_response, 32 << 20);
	assert_int_equal(cfg->page_size, 100);
	assert_int_equal(cfg->max_pages, 1000);
	assert_int_equal(cfg->max_stream_rows, 250000);
	assert_int_equal(cfg->max_stream_bytes, 128 << 20);
	assert_int_equal(cfg->max_parse_memory, 128 << 20);
	assert_int_equal(cfg->retry_max, 5);
	assert_int_equal(cfg->retry_base_ms, 1000);
	assert_int_equal(cfg->retry_cap_ms, 300000);
	assert_int_equal(cfg->shutdown_grace_ms, 10000);
	assert_int_equal(cfg->sqlite_synchronous, SYNC_NORMAL);
	assert_int_equal(cfg->sqlite_busy_timeout_ms, 1000);
	assert_int_equal(cfg->sqlite_journal_size_limit, 64 << 20);
	assert_null(cfg->metrics_listen);
	assert_null(cfg->ca_file);
	assert_int_equal(cfg->log_level, LOGL_INFO);

	assert_int_equal(cfg->n_ws, 1);
	const struct ws_config *ws = &cfg->ws[0];
	assert_ptr_equal(config_find_ws(cfg, "w"), ws);
	assert_null(config_find_ws(cfg, "W"));
	assert_string_equal(ws->name, "w");
	assert_string_equal(ws->license_code, "lc");
	assert_int_equal(ws->data_center, DC_GLOBAL);
	assert_string_equal(ws->base_url, "https://api.webengage.com");
	assert_false(ws->base_url_set);
	assert_false(ws->loopback_http);
	assert_string_equal(ws->key, "abc123key");
	assert_int_equal(ws->key_len, 9);
	/* printf abc123key | sha256sum | cut -c1-16 */
	assert_string_equal(ws->fingerprint, "d137264d71a4850a");
	char src[4400];
	snprintf(src, sizeof(src), "file %s/good.key", tmpdir);
	assert_string_equal(ws->key_source, src);
	assert_int_equal(ws->interval_ms, 3600000);
	assert_int_equal(ws->jitter_ms, 30000);
	assert_int_equal(ws->lookback_days, 7);
	assert_int_equal(ws->streams, STREAM_ALL);
	assert_true(ws->enabled);
	assert_string_equal(ws->paths[PATH_PROBE], "/v1/survey/response/wegauge-probe");
	assert_string_equal(ws->paths[PATH_STATS], "/v2/accounts/{lc}/stats");
	assert_string_equal(ws->paths[PATH_CAMPAIGNS], "/v1/accounts/{lc}/{channel}");
	assert_string_equal(ws->paths[PATH_ACTIVE_USERS], "/v1/accounts/{lc}/publisher-metrics");
	assert_string_equal(ws->paths[PATH_TEAM], "/v1/accounts/{lc}/team-members");
	assert_string_equal(ws->file, main_path);
	assert_int_equal(ws->line, 1);
	config_free(cfg);
	config_free(NULL);
}

/* Empty, comment-only, BOM-led and CRLF files are fine; indented keys are keys. */
static void test_layouts(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		size_t n_ws;
		int64_t jitter_ms;
	} cases[] = {
	        {"", 0, 30000},
	        {"; only\n# comments\n\n   \n", 0, 30000},
	        {"\xef\xbb\xbf[daemon]\njitter = 5s\n", 0, 5000},
	        {"[daemon]\r\njitter = 6s\r\n", 0, 6000},
	        {"[daemon]\njitter = 7s", 0, 7000}, /* no final newline */
	        {"  [daemon]  ; a comment\n\tjitter = 8s ; inline comment\n", 0, 8000},
	        /* With inih's multi-line mode an indented line would continue database. */
	        {"[daemon]\ndatabase = /x.db\n    jitter = 9s\n", 0, 9000},
	        {"[daemon]\njitter: 10s\n", 0, 10000},
	        {"[ workspace   \"w\" ]\nlicense_code=lc\napi_key_file=good.key\n", 1, 30000},
	};
	put("good.key", "k\n", 0600);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put("main.conf", cases[i].text, 0644);
		struct config *cfg = load_ok(main_path);
		assert_int_equal(cfg->n_ws, cases[i].n_ws);
		assert_int_equal(cfg->jitter_ms, cases[i].jitter_ms);
		if (i == 6)
			assert_string_equal(cfg->database, "/x.db");
		config_free(cfg);
	}
}

/* fixtures/config/full.conf sets every key; full.d/ is its include_dir. */
static void test_full_fixture(void **state)
{
	(void)state;
	static const char *const creds[] = {"acme-prod", "local", "alpha", "beta"};
	char dir[4200], path[4400], expect[4400];
	const char *fixtures = getenv("FIXTURES");
	assert_non_null(fixtures);
	mkdir_t("creds");
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "creds/%s", creds[i]);
		snprintf(expect, sizeof(expect), "key-%s\n", creds[i]);
		put(path, expect, 0400);
	}
	snprintf(dir, sizeof(dir), "%s/creds", tmpdir);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
	snprintf(path, sizeof(path), "%s/config/full.conf", fixtures);
	struct config *cfg = load_ok(path);

	assert_string_equal(cfg->database, "/var/tmp/wegauge-fixture.db");
	snprintf(expect, sizeof(expect), "%s/config/full.d", fixtures);
	assert_string_equal(cfg->include_dir, expect);
	assert_int_equal(cfg->interval_ms, 2 * 3600000);
	assert_int_equal(cfg->jitter_ms, 45000);
	assert_int_equal(cfg->lookback_days, 14);
	assert_int_equal(cfg->max_in_flight, 32);
	assert_int_equal(cfg->max_per_host, 8);
	assert_int_equal(cfg->connect_timeout_ms, 5000);
	assert_int_equal(cfg->request_timeout_ms, 120000);
	assert_int_equal(cfg->max_response, 8 << 20);
	assert_int_equal(cfg->page_size, 50);
	assert_int_equal(cfg->max_pages, 200);
	assert_int_equal(cfg->retry_max, 3);
	assert_int_equal(cfg->retry_base_ms, 500);
	assert_int_equal(cfg->retry_cap_ms, 60000);
	assert_int_equal(cfg->shutdown_grace_ms, 20000);
	assert_int_equal(cfg->sqlite_synchronous, SYNC_FULL);
	assert_int_equal(cfg->sqlite_busy_timeout_ms, 2000);
	assert_int_equal(cfg->sqlite_journal_size_limit, 16 << 20);
	assert_string_equal(cfg->metrics_listen, "127.0.0.1:9464");
	snprintf(expect, sizeof(expect), "%s/config/ca.pem", fixtures);
	assert_string_equal(cfg->ca_file, expect);
	assert_int_equal(cfg->log_level, LOGL_DEBUG);

	/* The main file's workspaces in order, then the included ones in strcmp order. */
	assert_int_equal(cfg->n_ws, 4);
	const struct ws_config *a = &cfg->ws[0], *l = &cfg->ws[1], *al = &cfg->ws[2],
	                       *b = &cfg->ws[3];
	assert_string_equal(a->name, "acme-prod");
	assert_string_equal(l->name, "local");
	assert_string_equal(al->name, "alpha");
	assert_string_equal(b->name, "beta");

	assert_string_equal(a->license_code, "311c48b3");
	assert_int_equal(a->data_center, DC_IN);
	assert_string_equal(a->base_url, "https://api.in.webengage.com");
	assert_false(a->base_url_set);
	assert_string_equal(a->key, "key-acme-prod");
	assert_string_equal(a->key_source, "credential acme-prod");
	assert_int_equal(a->interval_ms, 900000);
	assert_int_equal(a->jitter_ms, 10000);
	assert_int_equal(a->lookback_days, 3);
	assert_int_equal(a->streams, (1u << STREAM_STATS) | (1u << STREAM_CAMPAIGNS));
	assert_true(a->enabled);
	assert_string_equal(a->paths[PATH_PROBE], "/p/probe");
	assert_string_equal(a->paths[PATH_STATS], "/p/{lc}/stats");
	assert_string_equal(a->paths[PATH_CAMPAIGNS], "/p/{lc}/c/{channel}");
	assert_string_equal(a->paths[PATH_ACTIVE_USERS], "/p/{lc}/au");
	assert_string_equal(a->paths[PATH_TEAM], "/p/{lc}/team");
	assert_string_equal(a->file, path);
	assert_int_equal(a->line, 27);

	assert_string_equal(l->license_code, "~abc");
	assert_string_equal(l->base_url, "http://127.0.0.1:8080/we");
	assert_true(l->base_url_set);
	assert_true(l->loopback_http);
	assert_false(l->enabled);
	assert_int_equal(l->interval_ms, 2 * 3600000); /* inherited from [daemon] */
	assert_int_equal(l->jitter_ms, 45000);
	assert_int_equal(l->lookback_days, 14);

	assert_int_equal(al->lookback_days, 30);
	assert_int_equal(al->data_center, DC_GLOBAL);
	snprintf(expect, sizeof(expect), "%s/config/full.d/10-alpha.conf", fixtures);
	assert_string_equal(al->file, expect);
	assert_int_equal(al->line, 2);
	assert_int_equal(b->data_center, DC_KSA);
	assert_string_equal(b->base_url, "https://api.ksa.webengage.com");
	assert_int_equal(b->streams, 1u << STREAM_TEAM);
	assert_string_equal(b->key, "key-beta");
	config_free(cfg);
}

/*
 * fixtures/config/errors.conf: every error of the file is reported, in
 * order, each naming file, line, section and key; nothing else is.
 */
static void test_errors_fixture(void **state)
{
	(void)state;
	static const char *const expected[] = {
	        ":2: interval: expected a [daemon] or [workspace \"NAME\"] header before the first "
	        "key",
	        ":4: [daemon] interval: expected a duration from 100ms to 30d (a number of "
	        "seconds, "
	        "or with a unit ms, s, m, h, d), got '1x'",
	        ":5: [daemon] interval: duplicate key; first set at line 4",
	        ":6: [daemon] max_in_flight: expected an integer from 1 to 4096, got '0'",
	        ":7: [daemon] log_level: expected debug, info, notice, warning or err, got 'loud'",
	        ":8: [daemon] sqlite_synchronous: expected normal or full, got 'off'",
	        ":9: [daemon] max_inflight: unknown key",
	        ":10: [daemon] license_code: unknown key here; it belongs in [workspace \"NAME\"]",
	        ":11: [daemon] metrics_listen: expected a loopback host:port (127.0.0.1:9464, "
	        "[::1]:9464 or localhost:9464), got '0.0.0.0:9464'",
	        ":12: expected 'key = value', a [section] header or a comment",
	        ":13: [daemon]: duplicate section; first at line 3",
	        ":14: [workspace \"NAME\"]: expected a NAME of 1 to 64 characters A-Z a-z 0-9 . _ "
	        "-, "
	        "got 'bad name'",
	        ":17: [workspace \"ok\"] api_key: API keys are never inline; use api_key_file or "
	        "api_key_credential",
	        ":18: [workspace \"ok\"] data_center: expected global, in or ksa, got 'eu'",
	        ":19: [workspace \"ok\"] streams: expected each stream once; 'stats' is listed "
	        "twice, got 'stats, stats'",
	        ":20: [workspace \"ok\"] base_url: expected https://host[:port][/prefix], or "
	        "http:// "
	        "to a loopback host (127.0.0.0/8, [::1], localhost); http:// is allowed only for a "
	        "loopback host, use https://, got 'http://example.com'",
	        ":21: [workspace \"ok\"] enabled: expected true, false, yes, no, on, off, 1 or 0, "
	        "got "
	        "'maybe'",
	        ":22: [workspace \"ok\"] stats_path: expected a path starting with '/', without "
	        "spaces, '?' or '#', using only the placeholders {lc}, got '/x/{channel}'",
	        ":23: unknown section '[nonsense]'; expected [daemon], [fleet] or [workspace "
	        "\"NAME\"]",
	        ":24: [workspace \"ok\"]: duplicate workspace name; first defined at {P}:15",
	        ":15: [workspace \"ok\"]: expected api_key_file or api_key_credential, got neither",
	        ":25: [workspace \"nokey\"]: expected api_key_file or api_key_credential, got "
	        "neither",
	};
	size_t n = sizeof(expected) / sizeof(expected[0]);
	char path[4200], want[8800], tail[4400];
	const char *fixtures = getenv("FIXTURES");
	assert_non_null(fixtures);
	snprintf(path, sizeof(path), "%s/config/errors.conf", fixtures);
	struct config_errors errs;
	load_bad(path, &errs);
	if (errs.n != n) {
		dump_errors(&errs);
		fail_msg("%zu errors, expected %zu", errs.n, n);
	}
	for (size_t i = 0; i < n; i++) {
		/* {P} in an expected message stands for the file's path. */
		const char *p = strstr(expected[i], "{P}");
		if (p != NULL)
			snprintf(tail, sizeof(tail), "%.*s%s%s", (int)(p - expected[i]),
			         expected[i], path, p + 3);
		else
			snprintf(tail, sizeof(tail), "%s", expected[i]);
		snprintf(want, sizeof(want), "%s%s", path, tail);
		if (strcmp(errs.msg[i], want) != 0)
			fail_msg("error %zu:\n got  %s\n want %s", i, errs.msg[i], want);
	}
	assert_int_equal(find_msg(&errs, "s3cr3t"), -1);
	config_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.msg);
}

struct err_case {
	const char *text;   /* main.conf; good.key (0600) sits next to it */
	const char *msg;    /* expected message, after "<tmpdir>/" */
	const char *secret; /* must appear in no message; NULL: nothing to check */
};

#define DUR_MSG(lo, hi)                                                                            \
	"expected a duration from " lo " to " hi                                                   \
	" (a number of seconds, or with a unit ms, s, m, "                                         \
	"h, d)"
#define URL_MSG                                                                                    \
	"expected https://host[:port][/prefix], or http:// to a loopback host (127.0.0.0/8, "      \
	"[::1], localhost)"
#define PATH_MSG                                                                                   \
	"expected a path starting with '/', without spaces, '?' or '#', using only the "           \
	"placeholders "
#define INLINE "API keys are never inline; use api_key_file or api_key_credential"

static const struct err_case err_cases[] = {
        /* sections */
        {"[foo]\n",
         "main.conf:1: unknown section '[foo]'; expected [daemon], [fleet] or [workspace \"NAME\"]",
         NULL},
        {"[daemon\n",
         "main.conf:1: expected a section header [daemon] or [workspace \"NAME\"], got '[daemon'",
         NULL},
        /* [fleet] (issue 16): PostgreSQL only, a valid member name, lease bounds, its own keys */
        {"[fleet]\n",
         "main.conf:1: [fleet]: a fleet needs a PostgreSQL store (database = postgresql://...); "
         "this database is an SQLite file, which only one wegauged can use",
         NULL},
        {"[daemon]\ndatabase = postgresql://u@127.0.0.1/db\n[fleet]\nmember_name = a/b\n",
         "main.conf:4: [fleet] member_name: expected 1 to 64 characters A-Z a-z 0-9 . _ - (the "
         "host name unless set), got 'a/b'",
         NULL},
        {"[daemon]\ndatabase = postgresql://u@127.0.0.1/db\n[fleet]\nlease = 1s\n",
         "main.conf:4: [fleet] lease: " DUR_MSG("3s", "10m"), NULL},
        {"[daemon]\ndatabase = postgresql://u@127.0.0.1/db\n[fleet]\ninterval = 1m\n",
         "main.conf:4: [fleet] interval: unknown key here; it belongs in [daemon]", NULL},
        {"[daemon]\nlease = 5s\n",
         "main.conf:2: [daemon] lease: unknown key here; it belongs in [fleet]", NULL},
        {"[daemon]\ndatabase = postgresql://u@127.0.0.1/db\n[fleet]\n[fleet]\n",
         "main.conf:4: [fleet]: duplicate section; first at line 3", NULL},
        {"[daemon] x\n",
         "main.conf:1: expected a section header [daemon] or [workspace \"NAME\"], got '[daemon] "
         "x'",
         NULL},
        {"[workspace acme]\n",
         "main.conf:1: expected [workspace \"NAME\"] with the name in double quotes, got "
         "'[workspace acme]'",
         NULL},
        {"[workspace]\n",
         "main.conf:1: expected [workspace \"NAME\"] with the name in double quotes, got "
         "'[workspace]'",
         NULL},
        {"[workspace \"\"]\n",
         "main.conf:1: [workspace \"NAME\"]: expected a NAME of 1 to 64 characters A-Z a-z 0-9 . _ "
         "-, got ''",
         NULL},
        {"[workspace \"a/b\"]\n",
         "main.conf:1: [workspace \"NAME\"]: expected a NAME of 1 to 64 characters A-Z a-z 0-9 . _ "
         "-, got 'a/b'",
         NULL},
        {"[workspace "
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"]\n",
         "main.conf:1: [workspace \"NAME\"]: expected a NAME of 1 to 64 characters A-Z a-z 0-9 . _ "
         "-, got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'",
         NULL},
        {"[daemon]\n[daemon]\n", "main.conf:2: [daemon]: duplicate section; first at line 1", NULL},
        {WS_OK WS_OK, "main.conf:4: [workspace \"w\"]: duplicate workspace name; first defined at ",
         NULL},
        /* lines */
        {"[daemon]\njust some words\n",
         "main.conf:2: expected 'key = value', a [section] header or a comment", "just some"},
        {"[daemon]\ns3cr3tk3y ; a pasted key\n",
         "main.conf:2: expected 'key = value', a [section] header or a comment", "s3cr3t"},
        {"[daemon]\n= 5\n", "main.conf:2: expected a key name before '='", NULL},
        {"[daemon]\ndatabase = "
         "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "a"
         "aaaaaaaaaaaaaaaaaaaa.db\n",
         "main.conf:2: expected a line of at most 197 characters", NULL},
        {"jitter = 5s\n",
         "main.conf:1: jitter: expected a [daemon] or [workspace \"NAME\"] header before the "
         "first key",
         NULL},
        /* keys */
        {"[daemon]\nbogus = s3cr3t\n", "main.conf:2: [daemon] bogus: unknown key", "s3cr3t"},
        {"[daemon]\nInterval = 1h\n", "main.conf:2: [daemon] Interval: unknown key", NULL},
        {"[daemon]\nlicense_code = x\n",
         "main.conf:2: [daemon] license_code: unknown key here; it belongs in [workspace "
         "\"NAME\"]",
         NULL},
        {"[daemon]\napi_key_file = /k\n",
         "main.conf:2: [daemon] api_key_file: unknown key here; it belongs in [workspace "
         "\"NAME\"]",
         NULL},
        {WS_OK "database = /x.db\n",
         "main.conf:4: [workspace \"w\"] database: unknown key here; it belongs in [daemon]", NULL},
        {WS_OK "api_key = s3cr3t\n", "main.conf:4: [workspace \"w\"] api_key: " INLINE, "s3cr3t"},
        {WS_OK "key = s3cr3t\n", "main.conf:4: [workspace \"w\"] key: " INLINE, "s3cr3t"},
        {WS_OK "API_KEY = s3cr3t\n", "main.conf:4: [workspace \"w\"] API_KEY: " INLINE, "s3cr3t"},
        {WS_OK "webengage_api_key = s3cr3t\n",
         "main.conf:4: [workspace \"w\"] webengage_api_key: " INLINE, "s3cr3t"},
        {"[daemon]\ntoken = s3cr3t\n", "main.conf:2: [daemon] token: " INLINE, "s3cr3t"},
        {"key = s3cr3t\n", "main.conf:1: key: " INLINE, "s3cr3t"},
        {"[daemon]\ninterval = 1h\ninterval = 2h\n",
         "main.conf:3: [daemon] interval: duplicate key; first set at line 2", NULL},
        {WS_OK "license_code = lc\n",
         "main.conf:4: [workspace \"w\"] license_code: duplicate key; first set at line 2", NULL},
        /* values */
        {"[daemon]\ninterval = 5x\n",
         "main.conf:2: [daemon] interval: " DUR_MSG("100ms", "30d") ", got '5x'", NULL},
        {"[daemon]\ninterval = 50ms\n",
         "main.conf:2: [daemon] interval: " DUR_MSG("100ms", "30d") ", got '50ms'", NULL},
        {"[daemon]\ninterval = 31d\n",
         "main.conf:2: [daemon] interval: " DUR_MSG("100ms", "30d") ", got '31d'", NULL},
        {"[daemon]\njitter = -1s\n",
         "main.conf:2: [daemon] jitter: " DUR_MSG("0s", "1d") ", got '-1s'", NULL},
        {"[daemon]\nconnect_timeout = 1.5s\n",
         "main.conf:2: [daemon] connect_timeout: " DUR_MSG("100ms", "10m") ", got '1.5s'", NULL},
        {"[daemon]\nrequest_timeout =\n",
         "main.conf:2: [daemon] request_timeout: " DUR_MSG("100ms", "1h") ", got ''", NULL},
        {"[daemon]\nshutdown_grace = 11m\n",
         "main.conf:2: [daemon] shutdown_grace: " DUR_MSG("0s", "10m") ", got '11m'", NULL},
        {"[daemon]\nsqlite_busy_timeout = 1 s\n",
         "main.conf:2: [daemon] sqlite_busy_timeout: " DUR_MSG("0s", "10m") ", got '1 s'", NULL},
        {"[daemon]\nmax_response = 512\n",
         "main.conf:2: [daemon] max_response: expected a size from 1KiB to 1GiB (a number of "
         "bytes, or with a unit KiB, MiB, GiB), got '512'",
         NULL},
        {"[daemon]\nmax_response = 10MB\n",
         "main.conf:2: [daemon] max_response: expected a size from 1KiB to 1GiB (a number of "
         "bytes, or with a unit KiB, MiB, GiB), got '10MB'",
         NULL},
        {"[daemon]\nsqlite_journal_size_limit = 2TiB\n",
         "main.conf:2: [daemon] sqlite_journal_size_limit: expected a size from 0 to 1024GiB (a "
         "number of bytes, or with a unit KiB, MiB, GiB), got '2TiB'",
         NULL},
        {"[daemon]\nmax_in_flight = 4097\n",
         "main.conf:2: [daemon] max_in_flight: expected an integer from 1 to 4096, got '4097'",
         NULL},
        {"[daemon]\nmax_per_host = abc\n",
         "main.conf:2: [daemon] max_per_host: expected an integer from 1 to 4096, got 'abc'", NULL},
        {"[daemon]\npage_size = 10001\n",
         "main.conf:2: [daemon] page_size: expected an integer from 1 to 10000, got '10001'", NULL},
        {"[daemon]\nmax_pages = 0\n",
         "main.conf:2: [daemon] max_pages: expected an integer from 1 to 1000000, got '0'", NULL},
        {"[daemon]\nmax_stream_rows = 0\n",
         "main.conf:2: [daemon] max_stream_rows: expected an integer from 1 to 100000000, got '0'",
         NULL},
        {"[daemon]\nmax_stream_bytes = 512KiB\n",
         "main.conf:2: [daemon] max_stream_bytes: expected a size from 1MiB to 1024GiB (a number "
         "of bytes, or with a unit KiB, MiB, GiB), got '512KiB'",
         NULL},
        {"[daemon]\nmax_parse_memory = 2TiB\n",
         "main.conf:2: [daemon] max_parse_memory: expected a size from 1MiB to 1024GiB (a number "
         "of bytes, or with a unit KiB, MiB, GiB), got '2TiB'",
         NULL},
        {"[daemon]\nretry_max = 101\n",
         "main.conf:2: [daemon] retry_max: expected an integer from 0 to 100, got '101'", NULL},
        {"[daemon]\nlookback_days = 0\n",
         "main.conf:2: [daemon] lookback_days: expected an integer from 1 to 90, got '0'", NULL},
        {WS_OK "lookback_days = 91\n",
         "main.conf:4: [workspace \"w\"] lookback_days: expected an integer from 1 to 90, got "
         "'91'",
         NULL},
        {"[daemon]\nretry_base = 10m\n",
         "main.conf:2: [daemon] retry_base: expected at most retry_cap (5m), got '10m'", NULL},
        {"[daemon]\nretry_cap = 500ms\n",
         "main.conf:2: [daemon] retry_cap: expected at least retry_base (1s), got '500ms'", NULL},
        {"[daemon]\nsqlite_synchronous = FULL\n",
         "main.conf:2: [daemon] sqlite_synchronous: expected normal or full, got 'FULL'", NULL},
        {"[daemon]\nlog_level = warn\n",
         "main.conf:2: [daemon] log_level: expected debug, info, notice, warning or err, got "
         "'warn'",
         NULL},
        {"[daemon]\nmetrics_listen = 0.0.0.0:9464\n",
         "main.conf:2: [daemon] metrics_listen: expected a loopback host:port (127.0.0.1:9464, "
         "[::1]:9464 or localhost:9464), got '0.0.0.0:9464'",
         NULL},
        {"[daemon]\nmetrics_listen = 127.0.0.1\n",
         "main.conf:2: [daemon] metrics_listen: expected a loopback host:port (127.0.0.1:9464, "
         "[::1]:9464 or localhost:9464), got '127.0.0.1'",
         NULL},
        {"[daemon]\nca_file = /nonexistent/ca.pem\n",
         "main.conf:2: [daemon] ca_file: expected a readable file (No such file or directory), "
         "got '/nonexistent/ca.pem'",
         NULL},
        {"[daemon]\ndatabase =\n",
         "main.conf:2: [daemon] database: expected a value of 1 to 4095 characters, got ''", NULL},
        {WS_OK "data_center = eu\n",
         "main.conf:4: [workspace \"w\"] data_center: expected global, in or ksa, got 'eu'", NULL},
        {WS_OK "enabled = maybe\n",
         "main.conf:4: [workspace \"w\"] enabled: expected true, false, yes, no, on, off, 1 or 0, "
         "got 'maybe'",
         NULL},
        {WS_OK "streams = stats, bogus\n",
         "main.conf:4: [workspace \"w\"] streams: expected stream names among stats, campaigns, "
         "active_users, team; unknown 'bogus', got 'stats, bogus'",
         NULL},
        {WS_OK "streams = team,team\n",
         "main.conf:4: [workspace \"w\"] streams: expected each stream once; 'team' is listed "
         "twice, got 'team,team'",
         NULL},
        {WS_OK "streams =\n",
         "main.conf:4: [workspace \"w\"] streams: expected a comma-separated list of stats, "
         "campaigns, active_users, team, got ''",
         NULL},
        {WS_OK "interval = 0\n",
         "main.conf:4: [workspace \"w\"] interval: " DUR_MSG("100ms", "30d") ", got '0'", NULL},
        {WS_OK "jitter = 2d\n",
         "main.conf:4: [workspace \"w\"] jitter: " DUR_MSG("0s", "1d") ", got '2d'", NULL},
        {WS_OK "base_url = http://example.com\n",
         "main.conf:4: [workspace \"w\"] base_url: " URL_MSG
         "; http:// is allowed only for a loopback host, use https://, got 'http://example.com'",
         NULL},
        {WS_OK "base_url = https://user:s3cr3t@example.com\n",
         "main.conf:4: [workspace \"w\"] base_url: " URL_MSG
         ", without user name or password (the value is not shown)",
         "s3cr3t"},
        {WS_OK "base_url = https://example.com/x?key=s3cr3tk3y\n",
         "main.conf:4: [workspace \"w\"] base_url: " URL_MSG
         ", without query or fragment (the value is not shown: a query may hold a key)",
         "s3cr3tk3y"},
        {WS_OK "base_url = https://example.com/x?key=s3cr3t k3y\n",
         "main.conf:4: [workspace \"w\"] base_url: " URL_MSG
         ", without query or fragment (the value is not shown: a query may hold a key)",
         "s3cr3t"},
        {WS_OK "base_url = example.com\n",
         "main.conf:4: [workspace \"w\"] base_url: " URL_MSG ", got 'example.com'", NULL},
        {WS_OK "license_code = a b\n", "main.conf:4: [workspace \"w\"] license_code: duplicate key",
         NULL},
        {"[workspace \"w\"]\nlicense_code = a/b\napi_key_file = good.key\n",
         "main.conf:2: [workspace \"w\"] license_code: expected a license code of 1 to 64 "
         "characters A-Z a-z 0-9 ~ _ -, got 'a/b'",
         NULL},
        {WS_OK "stats_path = v2/stats\n",
         "main.conf:4: [workspace \"w\"] stats_path: " PATH_MSG "{lc}, got 'v2/stats'", NULL},
        {WS_OK "team_path = /x/{channel}\n",
         "main.conf:4: [workspace \"w\"] team_path: " PATH_MSG "{lc}, got '/x/{channel}'", NULL},
        {WS_OK "campaigns_path = /x/{lc}/{chan}\n",
         "main.conf:4: [workspace \"w\"] campaigns_path: " PATH_MSG
         "{lc} and {channel}, got '/x/{lc}/{chan}'",
         NULL},
        {WS_OK "campaigns_path = /v1/accounts/{lc}/campaigns\n",
         "main.conf:4: [workspace \"w\"] campaigns_path: expected a path containing {channel} "
         "(and maybe {lc}), got '/v1/accounts/{lc}/campaigns'",
         NULL},
        {WS_OK "probe_path = /x y\n",
         "main.conf:4: [workspace \"w\"] probe_path: " PATH_MSG "{lc}, got '/x y'", NULL},
        {WS_OK "active_users_path = /x?y\n",
         "main.conf:4: [workspace \"w\"] active_users_path: " PATH_MSG "{lc}, got '/x?y'", NULL},
        /* workspaces as a whole */
        {"[workspace \"w\"]\napi_key_file = good.key\n",
         "main.conf:1: [workspace \"w\"] license_code: missing; expected the workspace's license "
         "code",
         NULL},
        {"[workspace \"w\"]\nlicense_code = lc\n",
         "main.conf:1: [workspace \"w\"]: expected api_key_file or api_key_credential, got "
         "neither",
         NULL},
        {WS_OK "api_key_credential = c\n",
         "main.conf:4: [workspace \"w\"] api_key_credential: expected either api_key_file or "
         "api_key_credential, not both (the other is at line 3)",
         NULL},
        {"[workspace \"w\"]\napi_key_credential = c\nlicense_code = lc\napi_key_file = "
         "good.key\n",
         "main.conf:4: [workspace \"w\"] api_key_file: expected either api_key_file or "
         "api_key_credential, not both (the other is at line 2)",
         NULL},
        {"[workspace \"w\"]\nlicense_code = lc\napi_key_credential = a/b\n",
         "main.conf:3: [workspace \"w\"] api_key_credential: expected a credential name (1 to 255 "
         "characters, no '/' or spaces, not '.' or '..'), got 'a/b'",
         NULL},
        {"[workspace \"w\"]\nlicense_code = lc\napi_key_credential = acme\n",
         "main.conf:3: [workspace \"w\"] api_key_credential: $CREDENTIALS_DIRECTORY is not set; "
         "expected the daemon to run under systemd with LoadCredential=acme:..., got 'acme'",
         NULL},
        {"[workspace \"w\"]\nlicense_code = lc\napi_key_file = missing.key\n",
         "main.conf:3: [workspace \"w\"] api_key_file: ", NULL},
        {"[workspace \"w\"]\nlicense_code = lc\napi_key_file = bad.key\n",
         "main.conf:3: [workspace \"w\"] api_key_file: ", "s3cr3t"},
        /* database: a PostgreSQL string libpq cannot read; its password never shown */
        {"[daemon]\ndatabase = postgresql://u:s3cr3t@[::1\n",
         "main.conf:2: [daemon] database: expected a path or a PostgreSQL connection string libpq "
         "can read",
         "s3cr3t"},
        {"[daemon]\ndatabase_password_file = missing.pw\n",
         "main.conf:2: [daemon] database_password_file: ", NULL},
        {"[daemon]\ndatabase_password_file = open.pw\n",
         "main.conf:2: [daemon] database_password_file: ", "s3cr3tpw"},
        /* include_dir */
        {"[daemon]\ninclude_dir = nowhere\n",
         "main.conf:2: [daemon] include_dir: expected a readable directory (No such file or "
         "directory), got '",
         NULL},
};

/* Each case is one small main.conf with exactly one error, at the line it names. */
static void test_error_cases(void **state)
{
	(void)state;
	put("good.key", "abc123key\n", 0600);
	put("bad.key", "s3cr3t with spaces\n", 0600);
	put("open.pw", "s3cr3tpw\n", 0644);
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		char want[8800];
		put("main.conf", c->text, 0644);
		snprintf(want, sizeof(want), "%s/%s", tmpdir, c->msg);
		struct config_errors errs;
		load_bad(main_path, &errs);
		if (errs.n != 1 || strncmp(errs.msg[0], want, strlen(want)) != 0) {
			dump_errors(&errs);
			fail_msg("case %zu: expected exactly one error starting with\n  %s", i,
			         want);
		}
		if (c->secret != NULL && find_msg(&errs, c->secret) >= 0)
			fail_msg("case %zu: message shows '%s': %s", i, c->secret, errs.msg[0]);
		config_errors_free(&errs);
	}
}

/* 0600 and 0640 are accepted, anything with an "other" bit is refused by name and mode. */
static void test_key_modes(void **state)
{
	(void)state;
	static const struct {
		mode_t mode;
		const char *err; /* NULL: accepted */
	} cases[] = {
	        {0600, NULL},
	        {0640, NULL},
	        {0400, NULL},
	        {0644, "mode 0644 is readable by others; chmod 600"},
	        {0604, "mode 0604 is readable by others; chmod 600"},
	        {0602, "mode 0602 is accessible by others; chmod 600"},
	};
	put("main.conf", "[workspace \"w\"]\nlicense_code = lc\napi_key_file = k.key\n", 0644);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put("k.key", "abc123key\n", cases[i].mode);
		if (cases[i].err == NULL) {
			struct config *cfg = load_ok(main_path);
			assert_string_equal(cfg->ws[0].key, "abc123key");
			assert_string_equal(cfg->ws[0].fingerprint, "d137264d71a4850a");
			config_free(cfg);
		} else {
			char want[8800];
			snprintf(want, sizeof(want),
			         "%s:3: [workspace \"w\"] api_key_file: %s/k.key: %s", main_path,
			         tmpdir, cases[i].err);
			struct config_errors errs;
			load_bad(main_path, &errs);
			assert_int_equal(errs.n, 1);
			assert_string_equal(errs.msg[0], want);
			assert_int_equal(find_msg(&errs, "abc123"), -1);
			config_errors_free(&errs);
		}
	}
}

static void test_credentials_directory(void **state)
{
	(void)state;
	char dir[4200], want[8800];
	mkdir_t("creds");
	put("creds/acme", "cred-key-1\n", 0600);
	put("main.conf", "[workspace \"w\"]\nlicense_code = lc\napi_key_credential = acme\n", 0644);
	snprintf(dir, sizeof(dir), "%s/creds", tmpdir);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
	struct config *cfg = load_ok(main_path);
	assert_string_equal(cfg->ws[0].key, "cred-key-1");
	assert_int_equal(cfg->ws[0].key_len, 10);
	assert_string_equal(cfg->ws[0].key_source, "credential acme");
	config_free(cfg);

	/* A credential that was not loaded names the file it looked for. */
	put("main.conf", "[workspace \"w\"]\nlicense_code = lc\napi_key_credential = other\n",
	    0644);
	struct config_errors errs;
	load_bad(main_path, &errs);
	snprintf(want, sizeof(want),
	         "%s:3: [workspace \"w\"] api_key_credential: %s/other: cannot open: No such file "
	         "or "
	         "directory",
	         main_path, dir);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], want);
	config_errors_free(&errs);
}

/*
 * include_dir: every *.conf, sorted with strcmp, not hidden ones, not other
 * suffixes, not directories; relative to the main file's directory; api
 * key files relative to the including file's directory.
 */
static void test_include_dir(void **state)
{
	(void)state;
	static const char *const files[] = {"b.conf", "a.conf", "10.conf", "B.conf", "a.conf.conf"};
	static const char *const order[] = {"m", "10", "B", "a", "a.conf", "b"};
	static const char *const ignored[] = {".hidden.conf", "c.conf.bak", "d.txt", ".conf",
	                                      "conf"};
	put("good.key", "abc123key\n", 0600);
	mkdir_t("ws.d");
	mkdir_t("ws.d/e.conf"); /* a directory: not included, not an error */
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char name[64], text[256], stem[64];
		snprintf(stem, sizeof(stem), "%.*s", (int)(strlen(files[i]) - 5), files[i]);
		snprintf(name, sizeof(name), "ws.d/%s", files[i]);
		snprintf(text, sizeof(text),
		         "[workspace \"%s\"]\nlicense_code = lc\napi_key_file = ../good.key\n",
		         stem);
		put(name, text, 0644);
	}
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "ws.d/%s", ignored[i]);
		put(name, "this would be an error\n", 0644);
	}
	put("main.conf",
	    "[workspace \"m\"]\nlicense_code = lc\napi_key_file = good.key\n[daemon]\ninclude_dir "
	    "= "
	    "ws.d\n",
	    0644);
	assert_int_equal(chdir("/"), 0);
	struct config *cfg = load_ok(main_path);
	assert_int_equal(cfg->n_ws, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < cfg->n_ws; i++) {
		assert_string_equal(cfg->ws[i].name, order[i]);
		assert_string_equal(cfg->ws[i].key, "abc123key");
	}
	char want[4400];
	snprintf(want, sizeof(want), "%s/ws.d/10.conf", tmpdir);
	assert_string_equal(cfg->ws[1].file, want);
	snprintf(want, sizeof(want), "file %s/ws.d/../good.key", tmpdir);
	assert_string_equal(cfg->ws[1].key_source, want);
	config_free(cfg);

	/* An absolute include_dir, and an empty one. */
	mkdir_t("empty.d");
	char text[4400];
	snprintf(text, sizeof(text), "[daemon]\ninclude_dir = %s/empty.d\n", tmpdir);
	put("main.conf", text, 0644);
	cfg = load_ok(main_path);
	assert_int_equal(cfg->n_ws, 0);
	config_free(cfg);

	/* include_dir = the main file's own directory: the main file is not read twice. */
	mkdir_t("self.d");
	put("self.d/main.conf",
	    "[daemon]\ninclude_dir = .\n[workspace \"m\"]\nlicense_code = lc\napi_key_file = "
	    "../good.key\n",
	    0644);
	put("self.d/x.conf", "[workspace \"x\"]\nlicense_code = lc\napi_key_file = ../good.key\n",
	    0644);
	cfg = load_ok(tpath("self.d/main.conf"));
	assert_int_equal(cfg->n_ws, 2);
	assert_string_equal(cfg->ws[0].name, "m");
	assert_string_equal(cfg->ws[1].name, "x");
	config_free(cfg);
}

/*
 * Symbolic links in include_dir are followed: to a directory, skipped; to
 * the main file, skipped; to a file elsewhere, read; dangling, an error.
 */
static void test_include_links(void **state)
{
	(void)state;
	put("good.key", "abc123key\n", 0600);
	mkdir_t("ws.d");
	mkdir_t("dir");
	mkdir_t("elsewhere");
	put("elsewhere/x.conf",
	    "[workspace \"x\"]\nlicense_code = lc\napi_key_file = ../good.key\n", 0644);
	put("main.conf", WS_OK "[daemon]\ninclude_dir = ws.d\n", 0644);
	assert_int_equal(symlink("../dir", tpath("ws.d/d.conf")), 0);
	assert_int_equal(symlink("../main.conf", tpath("ws.d/m.conf")), 0);
	assert_int_equal(symlink("../elsewhere/x.conf", tpath("ws.d/x.conf")), 0);
	struct config *cfg = load_ok(main_path);
	assert_int_equal(cfg->n_ws, 2);
	assert_string_equal(cfg->ws[0].name, "w");
	assert_string_equal(cfg->ws[1].name, "x");
	char want[8800];
	/* Named as included; relative key paths from the link's directory, as before. */
	snprintf(want, sizeof(want), "%s/ws.d/x.conf", tmpdir);
	assert_string_equal(cfg->ws[1].file, want);
	config_free(cfg);

	assert_int_equal(symlink("../absent", tpath("ws.d/y.conf")), 0);
	struct config_errors errs;
	load_bad(main_path, &errs);
	snprintf(want, sizeof(want), "%s/ws.d/y.conf: cannot open: No such file or directory",
	         tmpdir);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], want);
	config_errors_free(&errs);
}

/* Included files hold workspace sections only; their errors name the included file. */
static void test_include_errors(void **state)
{
	(void)state;
	put("good.key", "abc123key\n", 0600);
	mkdir_t("ws.d");
	put("ws.d/a.conf",
	    "[daemon]\njitter = 1s\n[workspace \"w\"]\nlicense_code = lc\napi_key_file "
	    "= ../good.key\n",
	    0644);
	put("ws.d/b.conf", "; comment\n[workspace \"w\"]\nbogus = 1\n", 0644);
	put("main.conf", "[daemon]\ninclude_dir = ws.d\n", 0644);
	struct config_errors errs;
	load_bad(main_path, &errs);
	char want[2][8800];
	snprintf(want[0], sizeof(want[0]),
	         "%s/ws.d/a.conf:1: [daemon]: expected only [workspace \"NAME\"] sections in an "
	         "included file; [daemon] belongs in %s",
	         tmpdir, main_path);
	snprintf(want[1], sizeof(want[1]),
	         "%s/ws.d/b.conf:2: [workspace \"w\"]: duplicate workspace name; first defined at "
	         "%s/ws.d/a.conf:3",
	         tmpdir, tmpdir);
	if (errs.n != 2) {
		dump_errors(&errs);
		fail_msg("%zu errors, expected 2", errs.n);
	}
	assert_string_equal(errs.msg[0], want[0]);
	assert_string_equal(errs.msg[1], want[1]);
	config_errors_free(&errs);

	/* A workspace in the main file and again in an included one. */
	put("ws.d/a.conf", WS_OK, 0644);
	put("ws.d/b.conf", "; nothing\n", 0644);
	put("main.conf", WS_OK "[daemon]\ninclude_dir = ws.d\n", 0644);
	load_bad(main_path, &errs);
	snprintf(want[0], sizeof(want[0]),
	         "%s/ws.d/a.conf:1: [workspace \"w\"]: duplicate workspace name; first defined at "
	         "%s:1",
	         tmpdir, main_path);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], want[0]);
	config_errors_free(&errs);
}

/* Files that cannot be read at all. */
static void test_unreadable_files(void **state)
{
	(void)state;
	struct config_errors errs;
	char want[8800];
	load_bad(tpath("absent.conf"), &errs);
	snprintf(want, sizeof(want), "%s/absent.conf: cannot open: No such file or directory",
	         tmpdir);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], want);
	config_errors_free(&errs);

	load_bad(tmpdir, &errs);
	snprintf(want, sizeof(want), "%s: expected a regular file", tmpdir);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], want);
	config_errors_free(&errs);

	/* A NUL byte is an error of its line; the rest of the file is still checked. */
	static const char with_nul[] = "[daemon]\njitter = 1\0s\nbogus = 1\n";
	put_n("main.conf", with_nul, sizeof(with_nul) - 1, 0644);
	load_bad(main_path, &errs);
	if (errs.n != 2)
		dump_errors(&errs);
	assert_int_equal(errs.n, 2);
	snprintf(want, sizeof(want), "%s:2: expected text, got a NUL byte", main_path);
	assert_string_equal(errs.msg[0], want);
	snprintf(want, sizeof(want), "%s:3: [daemon] bogus: unknown key", main_path);
	assert_string_equal(errs.msg[1], want);
	config_errors_free(&errs);

	/*
	 * A file whose size says 0 but that has content (a pseudo-file) is read
	 * to its end: its first line is argv[0] and a NUL byte.
	 */
	load_bad("/proc/self/cmdline", &errs);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], "/proc/self/cmdline:1: expected text, got a NUL byte");
	config_errors_free(&errs);

	/* Exactly 1 MiB is fine. */
	static char big[1048577 + 1];
	memset(big, '\n', sizeof(big) - 1);
	put_n("main.conf", big, sizeof(big) - 2, 0644);
	struct config *cfg = load_ok(main_path);
	assert_int_equal(cfg->n_ws, 0);
	config_free(cfg);

	/* More than 1 MiB. */
	put_n("main.conf", big, sizeof(big) - 1, 0644);
	load_bad(main_path, &errs);
	snprintf(want, sizeof(want), "%s: expected at most 1048576 bytes", main_path);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], want);
	config_errors_free(&errs);
}

/* At most 100 messages are kept; one more says how many were not shown. */
static void test_error_bound(void **state)
{
	(void)state;
	static char text[150 * 16 + 16];
	size_t o = (size_t)snprintf(text, sizeof(text), "[daemon]\n");
	for (int i = 0; i < 150; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "bogus%d = 1\n", i);
	put("main.conf", text, 0644);
	struct config_errors errs;
	load_bad(main_path, &errs);
	assert_int_equal(errs.n, 101);
	char want[8800];
	snprintf(want, sizeof(want), "%s:101: [daemon] bogus99: unknown key", main_path);
	assert_string_equal(errs.msg[99], want);
	snprintf(want, sizeof(want), "%s: 50 more errors not shown", main_path);
	assert_string_equal(errs.msg[100], want);
	config_errors_free(&errs);
}

/* [daemon] values reach workspaces that do not set them, wherever [daemon] is. */
/* [fleet]: off without the section; its defaults (30 s, the short host name); its keys. */
static void test_fleet(void **state)
{
	(void)state;
	put("main.conf", "[daemon]\ndatabase = postgresql://u@127.0.0.1/db\n", 0644);
	struct config *cfg = load_ok(main_path);
	assert_false(cfg->fleet);
	config_free(cfg);
	put("main.conf", "[daemon]\ndatabase = postgresql://u@127.0.0.1/db\n[fleet]\n", 0644);
	cfg = load_ok(main_path);
	assert_true(cfg->fleet);
	assert_int_equal(cfg->fleet_lease_ms, 30000);
	char host[256] = "";
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	host[strcspn(host, ".")] = '\0';
	assert_string_equal(cfg->fleet_member, host);
	config_free(cfg);
	put("main.conf",
	    "[fleet]\nmember_name = dc2-collector.1\nlease = 6s\n"
	    "[daemon]\ndatabase = postgresql://u@127.0.0.1/db\n",
	    0644);
	cfg = load_ok(main_path);
	assert_true(cfg->fleet);
	assert_string_equal(cfg->fleet_member, "dc2-collector.1");
	assert_int_equal(cfg->fleet_lease_ms, 6000);
	config_free(cfg);
}

static void test_inheritance(void **state)
{
	(void)state;
	put("good.key", "abc123key\n", 0600);
	put("main.conf",
	    "[workspace \"a\"]\nlicense_code = lc\napi_key_file = good.key\njitter = 0\n"
	    "[daemon]\ninterval = 5m\njitter = 1m\nlookback_days = 2\n"
	    "[workspace \"b\"]\nlicense_code = lc\napi_key_file = good.key\ninterval = 250ms\n",
	    0644);
	struct config *cfg = load_ok(main_path);
	assert_int_equal(cfg->ws[0].interval_ms, 300000);
	assert_int_equal(cfg->ws[0].jitter_ms, 0);
	assert_int_equal(cfg->ws[0].lookback_days, 2);
	assert_int_equal(cfg->ws[1].interval_ms, 250);
	assert_int_equal(cfg->ws[1].jitter_ms, 60000);
	assert_int_equal(cfg->ws[1].lookback_days, 2);
	config_free(cfg);
}

/* The -t summary: exact lines, and never the key. */
static void test_summary(void **state)
{
	(void)state;
	put("acme.key", "sup3r-s3cret-k3y\n", 0600);
	put("main.conf",
	    "[workspace \"acme-prod\"]\nlicense_code = 311c48b3\napi_key_file = acme.key\n"
	    "interval = 15m\nlookback_days = 3\nstreams = stats, campaigns\n"
	    "[workspace \"local\"]\nlicense_code = x\nbase_url = http://127.0.0.1:8080/\n"
	    "api_key_credential = loc\nenabled = false\nstreams = team, stats\n",
	    0644);
	mkdir_t("creds");
	put("creds/loc", "abc123key", 0600);
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s/creds", tmpdir);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", dir, 1), 0);
	struct config *cfg = load_ok(main_path);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	config_print_summary(cfg, f);
	fclose(f);
	char want[8800];
	snprintf(want, sizeof(want),
	         "configuration OK\n"
	         "acme-prod  global  interval=15m jitter=30s lookback=3d streams=stats,campaigns "
	         "enabled key=file:%s/acme.key fp=%s\n"
	         "local  http://127.0.0.1:8080  interval=1h jitter=30s lookback=7d "
	         "streams=stats,team "
	         "disabled key=credential:loc fp=d137264d71a4850a\n",
	         tmpdir, cfg->ws[0].fingerprint);
	assert_string_equal(out, want);
	assert_null(strstr(out, "s3cret"));
	assert_null(strstr(out, "abc123key"));
	assert_int_equal(strlen(cfg->ws[0].fingerprint), 16);
	free(out);
	assert_string_equal(config_dc_name(DC_GLOBAL), "global");
	assert_string_equal(config_dc_name(DC_IN), "in");
	assert_string_equal(config_dc_name(DC_KSA), "ksa");
	config_free(cfg);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(test_defaults_applied),      T(test_layouts),          T(test_full_fixture),
	        T(test_errors_fixture),        T(test_error_cases),      T(test_key_modes),
	        T(test_credentials_directory), T(test_include_dir),      T(test_include_links),
	        T(test_include_errors),        T(test_unreadable_files), T(test_error_bound),
	        T(test_inheritance),           T(test_summary),          T(test_fleet),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
