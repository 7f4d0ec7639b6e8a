/*
 * test_wesim_expect.c: wesim --expect (sim/expect.c) against what the
 * server serves. For every account of a seed whose accounts show every
 * trait (click, unknown fields, the unknown channel, integer-printed
 * reals, disabled channels), the test fetches every endpoint over HTTP,
 * rebuilds the rows a correct collector stores exactly as the brief and
 * docs/api.md define them (its own timestamp parser, its own sort), and
 * compares them byte for byte with --expect.
 */
#include "test_wesim.h"

#define SEED "11"
#define N    "6"
#define FROM "2026-11-20"
#define TO   "2026-11-26"

static const char *const camp_paths[6] = {"push-notifications", "in-app-notifications",
                                          "sms-messages",       "email-messages",
                                          "web-push",           "whatsapp-messages"};
static const char *const camp_channels[6] = {
        "PUSH_NOTIFICATION", "IN_APP_NOTIFICATION", "SMS", "EMAIL", "WEB_PUSH", "WHATSAPP"};

struct row {
	char key[300];
	char *line;
};

struct rows {
	struct row *v;
	size_t n, cap;
};

/* Append obj (consumed) as a compact line with its sort key. */
static void add(struct rows *r, const char *key, json_t *obj)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		assert_non_null(r->v);
	}
	snprintf(r->v[r->n].key, sizeof(r->v[r->n].key), "%s", key);
	r->v[r->n].line = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_non_null(r->v[r->n].line);
	r->n++;
	json_decref(obj);
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->key, ((const struct row *)b)->key);
}

/* Sort rows [from, r->n) by key (one table of one account). */
static void sort_from(struct rows *r, size_t from)
{
	qsort(r->v + from, r->n - from, sizeof(*r->v), row_cmp);
}

static json_t *row_new(const char *table, const char *lc)
{
	json_t *o = json_object();
	json_object_set_new(o, "table", json_string(table));
	json_object_set_new(o, "license_code", json_string(lc));
	return o;
}

/* An instant as the collector stores it: UTC "YYYY-MM-DDTHH:MM:SSZ", or null. */
static json_t *instant(json_t *v)
{
	if (!v || json_is_null(v))
		return json_null();
	int64_t t = 0;
	char out[32];
	assert_int_equal(t_parse_iso(json_string_value(v), &t), 0);
	t_format_utc(t, out);
	return json_string(out);
}

/* A number as sent (integer or real), null when missing. */
static json_t *number(json_t *v)
{
	if (!v || json_is_null(v))
		return json_null();
	assert_true(json_is_number(v));
	return json_deep_copy(v);
}

static json_t *get_json(const char *url, const char *key, long *status)
{
	struct http_resp r;
	http_get(&r, url, key);
	*status = r.status;
	json_t *root = jparse(r.body, r.len);
	assert_non_null(root);
	http_free(&r);
	return root;
}

static void account_rows(const struct ws *w, const struct ws_acct *a, struct rows *out)
{
	char url[512], key[300];
	long status;
	/* feature_usage_daily from the stats of docs/api.md's ten channels */
	size_t from = out->n;
	const char *body =
	        "{\"campaignStatType\":\"CHANNEL_STATS_OVERVIEW\",\"splitBy\":\"CAMPAIGN_CHANNEL\","
	        "\"granularity\":\"DAY\",\"startTime\":\"" FROM "T00:00:00.000+0000\",\"endTime\":"
	        "\"" TO "T23:59:59.999+0000\",\"channels\":[\"OVERALL\",\"PUSH_NOTIFICATION\","
	        "\"IN_APP_NOTIFICATION\",\"SMS\",\"ON_SITE_NOTIFICATION\",\"WEB_PUSH\",\"EMAIL\","
	        "\"WHATSAPP\",\"WEB_PERSONALIZATION\",\"RCS\"],\"containerTypes\":[\"ALL\"],"
	        "\"isFunnelView\":false,\"tags\":[]}";
	snprintf(url, sizeof(url), "%s/v2/accounts/%s/stats", w->url, a->lc);
	struct http_resp r;
	http_do(&r, "POST", url, a->key, "application/json", body, 10000, NULL);
	assert_int_equal(r.status, 200);
	json_t *root = jparse(r.body, r.len);
	http_free(&r);
	size_t i, j, k;
	json_t *day, *dim, *m;
	json_array_foreach(jdata(root), i, day)
	{
		const char *date = json_string_value(json_object_get(day, "date"));
		json_array_foreach(json_object_get(day, "dimensions"), j, dim)
		{
			const char *feature = json_string_value(json_object_get(dim, "value"));
			json_array_foreach(json_object_get(dim, "metrics"), k, m)
			{
				const char *metric = json_string_value(json_object_get(m, "name"));
				if (strcmp(metric, "goal") == 0)
					metric = "conversions";
				json_t *o = row_new("feature_usage_daily", a->lc);
				json_object_set_new(o, "day", json_string(date));
				json_object_set_new(o, "feature", json_string(feature));
				json_object_set_new(o, "metric", json_string(metric));
				json_object_set_new(o, "value",
				                    number(json_object_get(m, "value")));
				snprintf(key, sizeof(key), "%s\x01%s\x01%s", date, feature, metric);
				add(out, key, o);
			}
		}
	}
	json_decref(root);
	sort_from(out, from);

	/* campaign: every page of every enabled channel */
	from = out->n;
	for (int c = 0; c < 6; c++) {
		json_int_t pages = 1;
		for (json_int_t p = 1; p <= pages; p++) {
			snprintf(url, sizeof(url), "%s/v1/accounts/%s/%s?pageNo=%lld&pageSize=1000",
			         w->url, a->lc, camp_paths[c], (long long)p);
			root = get_json(url, a->key, &status);
			if (status == 404) {
				assert_non_null(strstr(jerror(root), "is not enabled"));
				json_decref(root);
				break;
			}
			assert_int_equal(status, 200);
			json_t *data = jdata(root);
			pages = jint(data, "numberOfPages");
			json_t *camp;
			json_array_foreach(json_object_get(data, "contents"), i, camp)
			{
				const char *id = json_string_value(json_object_get(camp, "id"));
				json_t *st = json_object_get(camp, "stats");
				json_t *clicks = json_object_get(st, "clicks");
				if (!clicks)
					clicks = json_object_get(st, "click");
				json_t *o = row_new("campaign", a->lc);
				json_object_set_new(o, "channel", json_string(camp_channels[c]));
				json_object_set_new(o, "campaign_id", json_string(id));
				json_object_set(o, "title", json_object_get(camp, "title"));
				json_object_set(o, "status", json_object_get(camp, "status"));
				json_object_set(o, "category", json_object_get(camp, "category"));
				json_object_set_new(o, "created_on",
				                    instant(json_object_get(camp, "createdOn")));
				json_object_set_new(o, "start_date",
				                    instant(json_object_get(camp, "startDate")));
				json_object_set_new(o, "sent", number(json_object_get(st, "sent")));
				json_object_set_new(o, "delivered",
				                    number(json_object_get(st, "delivered")));
				json_object_set_new(o, "clicks", number(clicks));
				json_object_set_new(
				        o, "conversions",
				        number(json_object_get(st, "clickThroughConversion")));
				json_object_set_new(
				        o, "revenue",
				        number(json_object_get(st, "clickThroughRevenue")));
				snprintf(key, sizeof(key), "%s\x01%s", camp_channels[c], id);
				add(out, key, o);
			}
			json_decref(root);
		}
	}
	sort_from(out, from);

	/* active_users_daily: one row per (day, platform) with any metric */
	from = out->n;
	snprintf(url, sizeof(url),
	         "%s/v1/accounts/%s/publisher-metrics?from=" FROM "&to=" TO "&metrics=DAU,WAU,MAU",
	         w->url, a->lc);
	root = get_json(url, a->key, &status);
	assert_int_equal(status, 200);
	json_t *byday = json_object(); /* "day\x01platform" -> {dau,wau,mau} */
	static const char *const metrics[3] = {"DAU", "WAU", "MAU"};
	static const char *const cols[3] = {"dau", "wau", "mau"};
	for (int mi = 0; mi < 3; mi++) {
		json_t *plat;
		json_array_foreach(json_object_get(jdata(root), metrics[mi]), i, plat)
		{
			const char *name = json_string_value(json_object_get(plat, "name"));
			json_t *st;
			json_array_foreach(json_object_get(plat, "stats"), j, st)
			{
				const char *d = json_object_iter_key(json_object_iter(st));
				snprintf(key, sizeof(key), "%s\x01%s", d, name);
				json_t *cell = json_object_get(byday, key);
				if (!cell) {
					cell = row_new("active_users_daily", a->lc);
					json_object_set_new(cell, "day", json_string(d));
					json_object_set_new(cell, "platform", json_string(name));
					for (int c = 0; c < 3; c++)
						json_object_set_new(cell, cols[c], json_null());
					json_object_set_new(byday, key, cell);
				}
				json_object_set(cell, cols[mi],
				                json_object_iter_value(json_object_iter(st)));
			}
		}
	}
	const char *bk;
	json_t *cell;
	json_object_foreach(byday, bk, cell)
	{
		add(out, bk, json_incref(cell));
	}
	json_decref(byday);
	json_decref(root);
	sort_from(out, from);

	/* seat: the complete current team */
	from = out->n;
	json_int_t pages = 1;
	for (json_int_t p = 1; p <= pages; p++) {
		snprintf(url, sizeof(url),
		         "%s/v1/accounts/%s/team-members?pageNo=%lld&pageSize=100", w->url, a->lc,
		         (long long)p);
		root = get_json(url, a->key, &status);
		assert_int_equal(status, 200);
		pages = jint(jdata(root), "numberOfPages");
		json_t *mem;
		json_array_foreach(json_object_get(jdata(root), "contents"), i, mem)
		{
			json_t *o = row_new("seat", a->lc);
			const char *email = json_string_value(json_object_get(mem, "email"));
			json_object_set_new(o, "email", json_string(email));
			json_object_set(o, "name", json_object_get(mem, "name"));
			json_object_set(o, "role", json_object_get(mem, "role"));
			json_object_set(o, "status", json_object_get(mem, "status"));
			json_object_set_new(o, "last_login_at",
			                    instant(json_object_get(mem, "lastLoginAt")));
			add(out, email, o);
		}
		json_decref(root);
	}
	sort_from(out, from);
}

/* Compare rows with the lines of text; report the first difference. */
static void assert_same(const struct rows *r, size_t from, size_t to, char *text)
{
	size_t i = from;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save), i++) {
		if (i >= to)
			fail_msg("--expect has more rows than served; first extra: %s", l);
		if (strcmp(l, r->v[i].line) != 0)
			fail_msg("row %zu differs:\n  served: %s\n  expect: %s", i, r->v[i].line,
			         l);
	}
	if (i != to)
		fail_msg("--expect has %zu rows, the server %zu", i - from, to - from);
}

static void free_rows(struct rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].line);
	free(r->v);
}

static void test_expect_matches_served(void **state)
{
	(void)state;
	struct ws w;
	const char *args[] = {"--quiet", "--workspaces",   N,          "--seed",
	                      SEED,      "--write-config", "@DIR/cfg", NULL};
	assert_int_equal(ws_start(&w, "expect", args), 0);

	/* the seed must show every trait, or the comparison would miss some */
	json_t *desc = ws_describe(&w);
	static const char *const traits[4] = {"click", "extra", "viber", "jsnum"};
	int seen[4] = {0}, disabled = 0;
	size_t i;
	json_t *d;
	json_array_foreach(desc, i, d)
	{
		for (int t = 0; t < 4; t++)
			seen[t] += json_is_true(
			        json_object_get(json_object_get(d, "traits"), traits[t]));
		disabled += (int)json_array_size(json_object_get(d, "disabled"));
	}
	for (int t = 0; t < 4; t++)
		if (!seen[t])
			fail_msg("no account of seed " SEED " has trait %s", traits[t]);
	assert_true(disabled > 0);
	json_decref(desc);

	struct rows rows = {0};
	size_t starts[8];
	for (int a = 0; a < 6; a++) {
		struct ws_acct acct;
		ws_account(&w, a, &acct);
		starts[a] = rows.n;
		account_rows(&w, &acct, &rows);
	}
	starts[6] = rows.n;
	assert_true(rows.n > 5000);
	struct ws_acct third;
	ws_account(&w, 2, &third);
	ws_stop(&w);

	int status;
	char *out = NULL, *err = NULL;
	const char *all[] = {"--expect",     "all", "--from", FROM, "--to", TO,
	                     "--workspaces", N,     "--seed", SEED, NULL};
	ws_run(all, &status, &out, &err);
	assert_int_equal(status, 0);
	assert_string_equal(err, "");
	assert_same(&rows, 0, rows.n, out);
	free(out);
	free(err);

	/* one account alone: exactly its rows */
	const char *one[] = {"--expect",     third.lc, "--from", FROM, "--to", TO,
	                     "--workspaces", N,        "--seed", SEED, NULL};
	ws_run(one, &status, &out, NULL);
	assert_int_equal(status, 0);
	assert_same(&rows, starts[2], starts[3], out);
	free(out);
	free_rows(&rows);
}

struct cli_case {
	const char *args[12];
	int status;
	const char *message;
};

/* --expect's own errors: unknown license code, bad or reversed days, a too long window. */
static void test_expect_errors(void **state)
{
	(void)state;
	static const struct cli_case cases[] = {
	        {{"--expect", "nope", "--from", FROM, "--to", TO, NULL},
	         2,
	         "no account has license code \"nope\""},
	        {{"--expect", "all", "--from", TO, "--to", FROM, NULL},
	         2,
	         "--from must not be after --to"},
	        {{"--expect", "all", "--from", "2026-02-29", "--to", TO, NULL},
	         2,
	         "--from: expected a day YYYY-MM-DD"},
	        {{"--expect", "all", "--from", FROM, NULL}, 2, "--to: expected a day"},
	        {{"--expect", "all", "--from", "2000-01-01", "--to", "2026-01-01", NULL},
	         2,
	         "at most 3660 days"},
	        {{"--from", FROM, "--to", TO, NULL}, 2, "--from/--to: only with --expect"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status;
		char *out = NULL, *err = NULL;
		ws_run(cases[i].args, &status, &out, &err);
		if (status != cases[i].status || !strstr(err, cases[i].message))
			fail_msg("case %zu: exit %d \"%s\", want %d \"%s\"", i, status, err,
			         cases[i].status, cases[i].message);
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_expect_matches_served, ws_teardown),
	        cmocka_unit_test_teardown(test_expect_errors, ws_teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
