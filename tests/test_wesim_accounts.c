/*
 * test_wesim_accounts.c: the operator side of sim/: --write-config
 * (config_out.c), the accounts file and SIGHUP (accounts_file.c,
 * server.c), --list, the command line (main.c), and the /_wesim/ stats,
 * log, reset and control endpoints (control.c, counters.c).
 */
#include "test_wesim.h"

#include <limits.h>

static mode_t mode_of(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Lines of `wesim --list [--show-keys]` for seed 21 and n accounts (malloc'd). */
static char *list(const char *n, bool keys)
{
	const char *a[] = {"--list", "--workspaces", n, "--seed", "21", keys ? "--show-keys" : NULL,
	                   NULL};
	int st;
	char *out = NULL;
	ws_run(a, &st, &out, NULL);
	assert_int_equal(st, 0);
	return out;
}

/* The files of --write-config, their modes and exact contents; stale files go. */
static void test_write_config(void **state)
{
	(void)state;
	const char *args[] = {"--quiet",
	                      "--workspaces",
	                      "3",
	                      "--seed",
	                      "21",
	                      "--write-config",
	                      "@DIR/cfg",
	                      "--config-extra",
	                      "interval = 5m",
	                      "--config-extra",
	                      "lookback_days = 3",
	                      NULL};
	struct ws w;
	assert_int_equal(ws_start(&w, "wc", args), 0);
	char cfg[PATH_MAX], path[PATH_MAX + 64], want[3 * PATH_MAX];
	char rel[600];
	snprintf(rel, sizeof(rel), "%s/cfg", w.dir);
	assert_non_null(realpath(rel, cfg));
	assert_int_equal(mode_of(cfg), 0700);
	snprintf(path, sizeof(path), "%s/keys", cfg);
	assert_int_equal(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/workspaces.d", cfg);
	assert_int_equal(mode_of(path), 0700);
	snprintf(path, sizeof(path), "%s/wesim.accounts", cfg);
	assert_int_equal(mode_of(path), 0600);

	snprintf(path, sizeof(path), "%s/wegauged.conf", cfg);
	char *text = ws_read_file(path, NULL);
	snprintf(want, sizeof(want),
	         "# written by wesim --write-config: 3 workspaces at http://127.0.0.1:%d\n"
	         "[daemon]\ndatabase = %s/wegauge.db\ninclude_dir = %s/workspaces.d\n"
	         "interval = 5m\nlookback_days = 3\n",
	         w.port, cfg, cfg);
	assert_string_equal(text, want);
	free(text);

	char *plain = list("3", false), *keyed = list("3", true);
	char *lsave = NULL, *ksave = NULL;
	char *pl = strtok_r(plain, "\n", &lsave), *kl = strtok_r(keyed, "\n", &ksave);
	for (int i = 1; i <= 3;
	     i++, pl = strtok_r(NULL, "\n", &lsave), kl = strtok_r(NULL, "\n", &ksave)) {
		char name[16], lc[80], key[140], lname[16], llc[80];
		assert_non_null(pl);
		assert_non_null(kl);
		assert_int_equal(sscanf(kl, "%15s %79s %139s", name, lc, key), 3);
		assert_int_equal(sscanf(pl, "%15s %79s", lname, llc), 2);
		assert_string_equal(name, lname);
		assert_string_equal(lc, llc);
		assert_null(strstr(pl, key)); /* --list alone never shows a key */
		assert_int_equal(strlen(key), 32);

		snprintf(path, sizeof(path), "%s/keys/ws-%04d.key", cfg, i);
		assert_int_equal(mode_of(path), 0600);
		text = ws_read_file(path, NULL);
		snprintf(want, sizeof(want), "%s\n", key);
		assert_string_equal(text, want);
		free(text);

		snprintf(path, sizeof(path), "%s/workspaces.d/ws-%04d.conf", cfg, i);
		text = ws_read_file(path, NULL);
		snprintf(want, sizeof(want),
		         "[workspace \"ws-%04d\"]\nlicense_code = %s\nbase_url = "
		         "http://127.0.0.1:%d\n"
		         "api_key_file = %s/keys/ws-%04d.key\n",
		         i, lc, w.port, cfg, i);
		assert_string_equal(text, want);
		free(text);

		struct ws_acct a;
		ws_account(&w, i - 1, &a);
		assert_string_equal(a.lc, lc);
		assert_string_equal(a.key, key);
	}
	free(plain);
	free(keyed);

	/* a second run with fewer workspaces into the same directory removes the extra one */
	const char *args2[] = {"--quiet", "--workspaces",   "2", "--seed",
	                       "21",      "--write-config", cfg, NULL};
	struct ws w2;
	assert_int_equal(ws_start(&w2, "wc2", args2), 0);
	snprintf(path, sizeof(path), "%s/workspaces.d/ws-0003.conf", cfg);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/keys/ws-0003.key", cfg);
	assert_int_equal(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/workspaces.d/ws-0002.conf", cfg);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/wesim.accounts", cfg);
	text = ws_read_file(path, NULL);
	assert_non_null(strstr(text, "\nws-0002 lc="));
	assert_null(strstr(text, "ws-0003"));
	free(text);
	ws_stop(&w2);
	ws_stop(&w);
}

/* The sorted emails of an account's team, one string "a\nb\n..." (malloc'd). */
static char *team(const struct ws *w, const char *lc, const char *key)
{
	char url[512];
	struct http_resp r;
	snprintf(url, sizeof(url), "%s/v1/accounts/%s/team-members?pageNo=1&pageSize=1000", w->url,
	         lc);
	http_get(&r, url, key);
	assert_int_equal(r.status, 200);
	json_t *root = jparse(r.body, r.len);
	http_free(&r);
	size_t i, n = json_array_size(jget(jdata(root), "contents"));
	char *out = calloc(n, 100);
	assert_non_null(out);
	json_t *m;
	json_array_foreach(jget(jdata(root), "contents"), i, m)
	{
		strcat(out, json_string_value(json_object_get(m, "email")));
		strcat(out, "\n");
	}
	json_decref(root);
	return out;
}

/* Emails in a but not in b. */
static int only_in(const char *a, const char *b)
{
	int n = 0;
	char *copy = strdup(a);
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char needle[128];
		snprintf(needle, sizeof(needle), "%s\n", l);
		if (!strstr(b, needle))
			n++;
	}
	free(copy);
	return n;
}

/* OVERALL's users and deliveries per day of a week, as "u,d;..." (malloc'd). */
static char *overall(const struct ws *w, const char *lc, const char *key)
{
	char url[512];
	snprintf(url, sizeof(url), "%s/v2/accounts/%s/stats", w->url, lc);
	const char *body =
	        "{\"campaignStatType\":\"CHANNEL_STATS_OVERVIEW\",\"splitBy\":"
	        "\"CAMPAIGN_CHANNEL\",\"granularity\":\"DAY\",\"startTime\":"
	        "\"2026-11-01T00:00Z\",\"endTime\":\"2026-11-07T00:00Z\",\"channels\":"
	        "[\"OVERALL\"],\"containerTypes\":[],\"isFunnelView\":false,\"tags\":[]}";
	struct http_resp r;
	http_do(&r, "POST", url, key, "application/json", body, 10000, NULL);
	assert_int_equal(r.status, 200);
	json_t *root = jparse(r.body, r.len);
	http_free(&r);
	char *out = calloc(1, 4096);
	size_t i;
	json_t *day;
	json_array_foreach(jdata(root), i, day)
	{
		json_t *ms = json_object_get(json_array_get(json_object_get(day, "dimensions"), 0),
		                             "metrics");
		char cell[64];
		snprintf(cell, sizeof(cell), "%lld,%lld;",
		         (long long)json_integer_value(
		                 json_object_get(json_array_get(ms, 0), "value")),
		         (long long)json_integer_value(
		                 json_object_get(json_array_get(ms, 2), "value")));
		strcat(out, cell);
	}
	json_decref(root);
	return out;
}

static long status_of(const struct ws *w, const char *path, const char *key)
{
	char url[512];
	struct http_resp r;
	snprintf(url, sizeof(url), "%s%s", w->url, path);
	http_get(&r, url, key);
	long s = r.status;
	http_free(&r);
	return s;
}

/* Send SIGHUP and wait for needle to appear on the server's stderr after it. */
static void hup(struct ws *w, const char *needle)
{
	ws_drain_stderr(w);
	size_t mark = w->errlen;
	assert_int_equal(kill(w->pid, SIGHUP), 0);
	int64_t end = t_now_ms() + 20000;
	for (;;) {
		ws_drain_stderr(w);
		if (strstr(w->errbuf + mark, needle))
			return;
		int64_t left = end - t_now_ms();
		if (left <= 0)
			break;
		struct pollfd p = {w->err_fd, POLLIN, 0};
		poll(&p, 1, (int)left);
	}
	fail_msg("no \"%s\" on stderr after SIGHUP; stderr: %s", needle, w->errbuf);
}

/* Revoke, rotate, bump the revision, disable, rename: each after a SIGHUP. */
static void test_accounts_file_and_sighup(void **state)
{
	(void)state;
	char dir[512], acc[600];
	ws_tmpdir("accfile", dir, sizeof(dir));
	snprintf(acc, sizeof(acc), "%s/wesim.accounts", dir);
	ws_write_file(acc, "# nothing overridden yet\n\nws-0002 revision=0\n");
	const char *args[] = {"--workspaces",   "3",        "--seed", "21", "--accounts", acc,
	                      "--write-config", "@DIR/cfg", NULL};
	struct ws w;
	assert_int_equal(ws_start(&w, "hup", args), 0);
	struct ws_acct a1, a2, a3;
	ws_account(&w, 0, &a1);
	ws_account(&w, 1, &a2);
	ws_account(&w, 2, &a3);
	char p1[256], p3[256], push3[256], probe[] = "/v1/survey/response/wegauge-probe";
	snprintf(p1, sizeof(p1), "/v1/accounts/%s/team-members", a1.lc);
	snprintf(p3, sizeof(p3), "/v1/accounts/%s/team-members", a3.lc);
	snprintf(push3, sizeof(push3), "/v1/accounts/%s/push-notifications", a3.lc);
	/* seed 21 disables push notifications for ws-0003 */
	assert_int_equal(status_of(&w, push3, a3.key), 404);
	char *team0 = team(&w, a1.lc, a1.key);
	char *stats0 = overall(&w, a1.lc, a1.key);
	assert_int_equal(status_of(&w, probe, a2.key), 404);

	ws_write_file(acc, "ws-0001 revision=1\nws-0002 revoked=yes\n"
	                   "ws-0003 key=rotated-key-0003 disabled=sms-messages,WHATSAPP\n");
	hup(&w, "reloaded 3 accounts");
	/* revision 1: one member gone, another back; some values changed, users not */
	char *team1 = team(&w, a1.lc, a1.key);
	assert_int_equal(only_in(team0, team1), 1);
	assert_int_equal(only_in(team1, team0), 1);
	char *stats1 = overall(&w, a1.lc, a1.key);
	assert_string_not_equal(stats0, stats1);
	for (char *p = stats0, *q = stats1; *p; p = strchr(p, ';') + 1, q = strchr(q, ';') + 1)
		assert_int_equal(strtoll(p, NULL, 10), strtoll(q, NULL, 10)); /* users */
	/* revoked: always 401 */
	assert_int_equal(status_of(&w, probe, a2.key), 401);
	char p2[256];
	snprintf(p2, sizeof(p2), "/v1/accounts/%s/team-members", a2.lc);
	assert_int_equal(status_of(&w, p2, a2.key), 401);
	/* rotated: the old key is refused, the new one accepted; disabled channels 404 */
	assert_int_equal(status_of(&w, p3, a3.key), 401);
	assert_int_equal(status_of(&w, p3, "rotated-key-0003"), 200);
	char p3s[256];
	snprintf(p3s, sizeof(p3s), "/v1/accounts/%s/sms-messages", a3.lc);
	assert_int_equal(status_of(&w, p3s, "rotated-key-0003"), 404);
	snprintf(p3s, sizeof(p3s), "/v1/accounts/%s/whatsapp-messages", a3.lc);
	assert_int_equal(status_of(&w, p3s, "rotated-key-0003"), 404);
	assert_int_equal(status_of(&w, push3, "rotated-key-0003"), 200); /* the file's list rules */

	/* a bad file changes nothing, and says where and what */
	ws_write_file(acc, "ws-0001 revision=2\nws-0009 revision=1\nws-0002 bogus=1\n"
	                   "ws-0003 key=short\n");
	hup(&w, "reload failed");
	assert_non_null(strstr(w.errbuf, "wesim.accounts:2: \"ws-0009\" is not an account name"));
	assert_non_null(strstr(w.errbuf, "wesim.accounts:3: ws-0002: unknown field \"bogus\""));
	assert_non_null(strstr(w.errbuf, "wesim.accounts:4: ws-0003: key must be 8..128"));
	assert_non_null(strstr(w.errbuf, "3 bad lines; accounts not changed"));
	char *still = team(&w, a1.lc, a1.key);
	assert_string_equal(still, team1);
	free(still);
	assert_int_equal(status_of(&w, probe, a2.key), 401);

	/* POST /_wesim/reload does what SIGHUP does: an empty file restores the seed's set */
	ws_write_file(acc, "");
	ws_post(&w, "reload");
	still = team(&w, a1.lc, a1.key);
	assert_string_equal(still, team0);
	free(still);
	assert_int_equal(status_of(&w, probe, a2.key), 404);
	assert_int_equal(status_of(&w, p3, a3.key), 200);
	assert_int_equal(status_of(&w, push3, a3.key), 404);

	/* a new license code: the old one is unknown, the key still works with the new one */
	ws_write_file(acc, "ws-0001 lc=abcdef12\n");
	hup(&w, "reloaded 3 accounts");
	assert_int_equal(status_of(&w, p1, a1.key), 404);
	assert_int_equal(status_of(&w, "/v1/accounts/abcdef12/team-members", a1.key), 200);

	/* keys never reach the server's messages */
	ws_drain_stderr(&w);
	assert_null(strstr(w.errbuf, a1.key));
	assert_null(strstr(w.errbuf, a2.key));
	assert_null(strstr(w.errbuf, a3.key));
	assert_null(strstr(w.errbuf, "rotated-key-0003"));
	free(team0);
	free(team1);
	free(stats0);
	free(stats1);
	ws_stop(&w);
	ws_rmtree(dir, 1);
}

/*
 * --accounts DIR/wesim.accounts with --write-config DIR: the file does not
 * exist at start, wesim writes it, and a SIGHUP reads the edited copy.
 */
static void test_accounts_file_written_by_config(void **state)
{
	(void)state;
	const char *args[] = {"--workspaces",
	                      "2",
	                      "--seed",
	                      "21",
	                      "--write-config",
	                      "@DIR/cfg",
	                      "--accounts",
	                      "@DIR/cfg/wesim.accounts",
	                      NULL};
	struct ws w;
	assert_int_equal(ws_start(&w, "wcacc", args), 0);
	struct ws_acct a, b;
	ws_account(&w, 0, &a);
	ws_account(&w, 1, &b);
	assert_int_equal(status_of(&w, "/v1/survey/response/wegauge-probe", a.key), 404);
	char path[700];
	snprintf(path, sizeof(path), "%s/cfg/wesim.accounts", w.dir);
	char *text = ws_read_file(path, NULL);
	assert_non_null(text);
	char *rev = strstr(text, "revoked=no"); /* ws-0001's line comes first */
	assert_non_null(rev);
	memcpy(rev, "revoked=1 ", 10);
	ws_write_file(path, text);
	free(text);
	hup(&w, "reloaded 2 accounts");
	assert_int_equal(status_of(&w, "/v1/survey/response/wegauge-probe", a.key), 401);
	assert_int_equal(status_of(&w, "/v1/survey/response/wegauge-probe", b.key), 404);
	ws_stop(&w);
}

/* --expect reads the accounts file too: a revision bump swaps one seat. */
static void test_expect_follows_accounts_file(void **state)
{
	(void)state;
	char dir[512], acc[600];
	ws_tmpdir("expacc", dir, sizeof(dir));
	snprintf(acc, sizeof(acc), "%s/acc", dir);
	ws_write_file(acc, "ws-0001 revision=4\n");
	char *lcs = list("1", false);
	char lc[80];
	assert_int_equal(sscanf(lcs, "%*s %79s", lc), 1);
	free(lcs);
	const char *a0[] = {"--expect",     lc,  "--from", "2026-11-01", "--to", "2026-11-01",
	                    "--workspaces", "1", "--seed", "21",         NULL};
	const char *a4[] = {
	        "--expect", lc,       "--from", "2026-11-01", "--to", "2026-11-01", "--workspaces",
	        "1",        "--seed", "21",     "--accounts", acc,    NULL};
	int st;
	char *o0 = NULL, *o4 = NULL;
	ws_run(a0, &st, &o0, NULL);
	assert_int_equal(st, 0);
	ws_run(a4, &st, &o4, NULL);
	assert_int_equal(st, 0);
	/* seat lines: exactly one differs on each side */
	int seats0 = 0, seats4 = 0, gone = 0;
	char *copy = strdup(o0);
	for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (!strstr(l, "\"table\":\"seat\""))
			continue;
		seats0++;
		gone += strstr(o4, l) == NULL;
	}
	free(copy);
	for (char *p = o4; (p = strstr(p, "\"table\":\"seat\"")); p++)
		seats4++;
	assert_true(seats0 > 1);
	assert_int_equal(seats0, seats4);
	assert_true(gone >= 1);
	free(o0);
	free(o4);
	ws_rmtree(dir, 1);
}

struct cli_case {
	const char *args[8];
	int status;
	const char *message;
};

/* Every bad command line is refused with a message naming the flag. */
static void test_command_line(void **state)
{
	(void)state;
	static const struct cli_case cases[] = {
	        {{"--workspaces", "0"}, 2, "--workspaces: expected an integer from 1 to 9999"},
	        {{"--workspaces", "10000"}, 2, "--workspaces: expected"},
	        {{"--seed", "x1"}, 2, "--seed: expected a 64-bit integer"},
	        {{"--port", "70000"}, 2, "--port: expected an integer from 0 to 65535"},
	        {{"--listen", "10.0.0.1"}, 2, "--listen: only loopback addresses"},
	        {{"--listen", "::2"}, 2, "--listen: only loopback addresses"},
	        {{"--listen", "localhost"}, 2, "--listen: only loopback addresses"},
	        {{"--fault-rate", "1.5"}, 2, "--fault-rate: expected a probability"},
	        {{"--faults", "500,boom"}, 2, "unknown fault \"boom\""},
	        {{"--latency", "fast"}, 2, "--latency: expected MS or MS:JITTER"},
	        {{"--rate-limit", "0"}, 2, "--rate-limit: expected an integer"},
	        {{"--oversize", "12XB"}, 2, "--oversize: expected a size"},
	        {{"--max-body", "0"}, 2, "--max-body: expected a size"},
	        {{"--retry-after", "0"}, 2, "--retry-after: expected seconds"},
	        {{"--tls-cert", "x.pem"}, 2, "give both or neither"},
	        {{"--show-keys"}, 2, "--show-keys: only with --list"},
	        {{"--list", "--expect", "all"}, 2, "choose one mode"},
	        {{"--bogus"}, 2, "--bogus: unknown option"},
	        {{"surplus"}, 2, "surplus: unexpected argument"},
	        {{"--config-extra", "a\nb"}, 2, "must not contain a newline"},
	        {{"--list", "--accounts", "/nonexistent/acc"}, 1, "/nonexistent/acc: cannot open"},
	        {{"--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem", "--quiet"},
	         1,
	         "/nonexistent/c.pem"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st;
		char *out = NULL, *err = NULL;
		ws_run(cases[i].args, &st, &out, &err);
		if (st != cases[i].status || !strstr(err, cases[i].message))
			fail_msg("case %zu (%s): exit %d \"%s\", want %d \"%s\"", i,
			         cases[i].args[0], st, err, cases[i].status, cases[i].message);
		free(out);
		free(err);
	}
	int st;
	char *out = NULL;
	const char *help[] = {"--help", NULL};
	ws_run(help, &st, &out, NULL);
	assert_int_equal(st, 0);
	static const char *const documented[] = {
	        "--workspaces",    "--seed",         "--accounts", "--listen",      "--port-file",
	        "--write-config",  "--config-extra", "--tls-cert", "--rate-limit",  "--latency",
	        "--fault-rate",    "--faults",       "--oversize", "--retry-after", "--slow-rate",
	        "--stall-ms",      "--expect",       "--list",     "--show-keys",   "/_wesim/stats",
	        "/_wesim/control", "/_wesim/log",    "SIGHUP",     "badchunk",      "pagecount"};
	for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
		if (!strstr(out, documented[i]))
			fail_msg("--help does not mention %s", documented[i]);
	free(out);
}

/* /_wesim/stats, /_wesim/log, /_wesim/reset and /_wesim/control, exactly. */
static void test_stats_log_reset_control(void **state)
{
	(void)state;
	const char *args[] = {"--quiet", "--workspaces",   "2",        "--seed", "21", "--log-size",
	                      "3",       "--write-config", "@DIR/cfg", NULL};
	struct ws w;
	assert_int_equal(ws_start(&w, "stats", args), 0);
	struct ws_acct a, b;
	ws_account(&w, 0, &a);
	ws_account(&w, 1, &b);
	char url[512], path[256];
	int64_t t0 = t_wall_ms();
	struct http_resp r;
	assert_int_equal(status_of(&w, "/v1/survey/response/wegauge-probe", a.key), 404);
	snprintf(path, sizeof(path), "/v1/accounts/%s/team-members?pageSize=2", a.lc);
	assert_int_equal(status_of(&w, path, a.key), 200);
	snprintf(path, sizeof(path), "/v1/accounts/%s/team-members?pageSize=0", a.lc);
	assert_int_equal(status_of(&w, path, a.key), 400);
	snprintf(url, sizeof(url), "%s/v2/accounts/%s/stats", w.url, a.lc);
	http_do(&r, "POST", url, a.key, "application/json", "{}", 10000, NULL);
	assert_int_equal(r.status, 400);
	http_free(&r);
	snprintf(path, sizeof(path), "/v1/accounts/%s/team-members", b.lc);
	assert_int_equal(status_of(&w, path, a.key), 401); /* a's key on b */
	assert_int_equal(status_of(&w, "/v1/accounts/ffffffff/team-members", a.key), 404);
	assert_int_equal(status_of(&w, "/nothing", a.key), 404);
	int64_t t1 = t_wall_ms();

	json_t *st = ws_stats(&w);
	assert_int_equal(jint(st, "requests"), 7);
	assert_int_equal(jint(st, "endpoints.probe.total"), 1);
	assert_int_equal(jint(st, "endpoints.probe.status.404"), 1);
	assert_int_equal(jint(st, "endpoints.team-members.total"), 4);
	assert_int_equal(jint(st, "endpoints.team-members.status.200"), 1);
	assert_int_equal(jint(st, "endpoints.team-members.status.400"), 1);
	assert_int_equal(jint(st, "endpoints.team-members.status.401"), 1);
	assert_int_equal(jint(st, "endpoints.team-members.status.404"), 1);
	assert_int_equal(jint(st, "endpoints.stats.status.400"), 1);
	assert_int_equal(jint(st, "endpoints.unknown.status.404"), 1);
	assert_int_equal(json_object_size(jget(st, "endpoints.web-push.status")), 0);
	assert_int_equal(jint(st, "accounts.ws-0001.requests"), 4);
	assert_int_equal(jint(st, "accounts.ws-0001.endpoints.team-members"), 2);
	assert_int_equal(jint(st, "accounts.ws-0001.endpoints.probe"), 1);
	assert_int_equal(jint(st, "accounts.ws-0002.requests"), 1);
	json_int_t last = jint(st, "accounts.ws-0001.last_request_ms");
	assert_true(last >= t0 && last <= t1);
	assert_int_equal(jint(st, "faults_total"), 0);
	json_decref(st);

	/* the log keeps the last 3 (--log-size 3), oldest first */
	snprintf(url, sizeof(url), "%s/_wesim/log?lc=%s", w.url, a.lc);
	http_get(&r, url, NULL);
	assert_int_equal(r.status, 200);
	json_t *root = jparse(r.body, r.len);
	json_t *e = jget(jdata(root), "entries");
	assert_int_equal(json_array_size(e), 3);
	char want[300];
	snprintf(want, sizeof(want), "/v1/accounts/%s/team-members?pageSize=2", a.lc);
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "path")), want);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(e, 0), "status")), 200);
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "method")),
	                    "GET");
	assert_true(json_is_null(json_object_get(json_array_get(e, 0), "fault")));
	assert_int_equal(json_integer_value(json_object_get(json_array_get(e, 1), "status")), 400);
	assert_string_equal(json_string_value(json_object_get(json_array_get(e, 2), "method")),
	                    "POST");
	json_int_t t = json_integer_value(json_object_get(json_array_get(e, 2), "t_ms"));
	assert_true(t >= t0 && t <= t1);
	json_decref(root);
	http_free(&r);
	snprintf(url, sizeof(url), "%s/_wesim/log?lc=%s&limit=1", w.url, a.lc);
	http_get(&r, url, NULL);
	root = jparse(r.body, r.len);
	assert_int_equal(json_array_size(jget(jdata(root), "entries")), 1);
	json_decref(root);
	http_free(&r);
	snprintf(url, sizeof(url), "%s/_wesim/log?lc=nope", w.url);
	http_get(&r, url, NULL);
	assert_int_equal(r.status, 404);
	http_free(&r);

	/* reset zeroes counters and logs */
	ws_post(&w, "reset");
	st = ws_stats(&w);
	assert_int_equal(jint(st, "requests"), 0);
	assert_int_equal(jint(st, "endpoints.team-members.total"), 0);
	assert_int_equal(jint(st, "accounts.ws-0001.requests"), 0);
	assert_true(json_is_null(jget(st, "accounts.ws-0001.last_request_ms")));
	json_decref(st);
	snprintf(url, sizeof(url), "%s/_wesim/log?lc=%s", w.url, a.lc);
	http_get(&r, url, NULL);
	root = jparse(r.body, r.len);
	assert_int_equal(json_array_size(jget(jdata(root), "entries")), 0);
	json_decref(root);
	http_free(&r);

	/* control: all or nothing, with messages */
	static const struct {
		const char *q;
		const char *msg;
	} bad[] = {
	        {"control?fault_rate=2", "fault_rate must be a number from 0 to 1"},
	        {"control?latency=5&fault_rate=x", "fault_rate must be"},
	        {"control?faults=500,nope", "unknown fault \"nope\""},
	        {"control?rate_limit=0", "rate_limit must be an integer"},
	        {"control?bogus=1", "unknown knob \"bogus\""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(url, sizeof(url), "%s/_wesim/%s", w.url, bad[i].q);
		http_do(&r, "POST", url, NULL, NULL, NULL, 10000, NULL);
		assert_int_equal(r.status, 400);
		root = jparse(r.body, r.len);
		assert_non_null(strstr(jerror(root), bad[i].msg));
		json_decref(root);
		http_free(&r);
	}
	ws_post(&w, "control?faults=500,429s&latency=7:3&rate_limit=55&retry_after=2");
	snprintf(url, sizeof(url), "%s/_wesim/control", w.url);
	http_get(&r, url, NULL);
	root = jparse(r.body, r.len);
	json_t *k = jdata(root);
	assert_true(json_number_value(json_object_get(k, "fault_rate")) == 0.0);
	assert_string_equal(json_string_value(json_object_get(k, "faults")), "500,429s");
	assert_int_equal(jint(k, "latency_ms"), 7);
	assert_int_equal(jint(k, "jitter_ms"), 3);
	assert_int_equal(jint(k, "rate_limit"), 55);
	assert_int_equal(jint(k, "retry_after"), 2);
	json_decref(root);
	http_free(&r);
	snprintf(url, sizeof(url), "%s/v1/accounts/%s/team-members", w.url, a.lc);
	http_get(&r, url, a.key);
	char v[32];
	assert_true(http_header(&r, "X-RateLimit-Limit", v, sizeof(v)));
	assert_string_equal(v, "55");
	http_free(&r);
	ws_stop(&w);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_write_config, ws_teardown),
	        cmocka_unit_test_teardown(test_accounts_file_and_sighup, ws_teardown),
	        cmocka_unit_test_teardown(test_accounts_file_written_by_config, ws_teardown),
	        cmocka_unit_test_teardown(test_expect_follows_accounts_file, ws_teardown),
	        cmocka_unit_test_teardown(test_command_line, ws_teardown),
	        cmocka_unit_test_teardown(test_stats_log_reset_control, ws_teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
