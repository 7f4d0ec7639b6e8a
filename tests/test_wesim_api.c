/*
 * test_wesim_api.c: the endpoints of sim/ (routes.c, render.c, validate.c,
 * ratelimit.c) over HTTP, as docs/api.md describes them: envelope and shape of
 * every endpoint, pagination, the 400/401/404/405 answers (the stats body
 * and query parameters table-driven), rate-limit headers and 429, and
 * determinism across servers and seeds.
 */
#include "test_wesim.h"

static const char *const channels10 =
        "[\"OVERALL\",\"PUSH_NOTIFICATION\",\"IN_APP_NOTIFICATION\",\"SMS\","
        "\"ON_SITE_NOTIFICATION\",\"WEB_PUSH\",\"EMAIL\",\"WHATSAPP\",\"WEB_PERSONALIZATION\","
        "\"RCS\"]";

static const char *const camp_paths[6] = {"push-notifications", "in-app-notifications",
                                          "sms-messages",       "email-messages",
                                          "web-push",           "whatsapp-messages"};
static const char *const camp_channels[6] = {
        "PUSH_NOTIFICATION", "IN_APP_NOTIFICATION", "SMS", "EMAIL", "WEB_PUSH", "WHATSAPP"};

/* docs/api.md's stats body with the given window and channels (malloc'd). */
static char *stats_body(const char *start, const char *end, const char *channels)
{
	size_t n = strlen(start) + strlen(end) + strlen(channels) + 256;
	char *b = malloc(n);
	assert_non_null(b);
	snprintf(b, n,
	         "{\"campaignStatType\":\"CHANNEL_STATS_OVERVIEW\",\"splitBy\":"
	         "\"CAMPAIGN_CHANNEL\",\"granularity\":\"DAY\",\"startTime\":\"%s\","
	         "\"endTime\":\"%s\",\"channels\":%s,\"containerTypes\":[\"ALL\"],"
	         "\"isFunnelView\":false,\"tags\":[]}",
	         start, end, channels);
	return b;
}

static void start_std(struct ws *w, const char *seed, const char *n)
{
	const char *args[] = {"--quiet", "--workspaces",   n,          "--seed",
	                      seed,      "--write-config", "@DIR/cfg", NULL};
	assert_int_equal(ws_start(w, "api", args), 0);
}

static void assert_json_ctype(const struct http_resp *r)
{
	char v[128];
	assert_true(http_header(r, "Content-Type", v, sizeof(v)));
	assert_string_equal(v, "application/json");
}

static bool channel_disabled(json_t *desc, const char *ch)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(desc, "disabled"), i, v)
	{
		if (strcmp(json_string_value(v), ch) == 0)
			return true;
	}
	return false;
}

/* Every endpoint of every account: status, envelope, shape, headers. */
static void test_shapes(void **state)
{
	(void)state;
	struct ws w;
	start_std(&w, "7", "4");
	json_t *desc = ws_describe(&w);
	assert_int_equal(json_array_size(desc), 4);
	char url[512], v[128];
	for (int i = 0; i < 4; i++) {
		struct ws_acct a;
		struct http_resp r;
		json_t *d = json_array_get(desc, (size_t)i);
		ws_account(&w, i, &a);
		assert_string_equal(json_string_value(json_object_get(d, "license_code")), a.lc);

		/* the probe: a known key gets 404 "id does not exist" */
		snprintf(url, sizeof(url), "%s/v1/survey/response/wegauge-probe", w.url);
		http_get(&r, url, a.key);
		assert_int_equal(r.status, 404);
		assert_json_ctype(&r);
		json_t *root = jparse(r.body, r.len);
		assert_string_equal(jerror(root), "Survey response not found");
		json_decref(root);
		http_free(&r);

		/* stats: one entry per day, OVERALL the sum of the other known channels */
		char *body = stats_body("2026-11-22T00:00:00.000+0000",
		                        "2026-11-28T23:59:59.999+0000", channels10);
		snprintf(url, sizeof(url), "%s/v2/accounts/%s/stats", w.url, a.lc);
		http_do(&r, "POST", url, a.key, "application/json", body, 10000, NULL);
		free(body);
		assert_int_equal(r.rc, CURLE_OK);
		assert_int_equal(r.status, 200);
		assert_json_ctype(&r);
		assert_true(http_header(&r, "X-RateLimit-Limit", v, sizeof(v)));
		assert_string_equal(v, "1000");
		assert_true(http_header(&r, "X-RateLimit-Remaining", v, sizeof(v)));
		assert_string_equal(v, "999");
		root = jparse(r.body, r.len);
		json_t *days = jdata(root);
		assert_int_equal(json_array_size(days), 7);
		for (size_t k = 0; k < 7; k++) {
			json_t *day = json_array_get(days, k);
			char want[16];
			snprintf(want, sizeof(want), "2026-11-%02zu", 22 + k);
			assert_string_equal(json_string_value(json_object_get(day, "date")), want);
			json_t *dims = json_object_get(day, "dimensions");
			assert_true(json_is_array(dims));
			double sum[6] = {0}, overall[6] = {0};
			bool have_overall = false;
			size_t di;
			json_t *dim;
			json_array_foreach(dims, di, dim)
			{
				const char *val = json_string_value(json_object_get(dim, "value"));
				assert_non_null(val);
				assert_false(channel_disabled(d, val));
				json_t *ms = json_object_get(dim, "metrics");
				if (strcmp(val, "VIBER") == 0)
					continue;
				static const char *const names[6] = {"users",      "campaigns",
				                                     "deliveries", "clicks",
				                                     "revenue",    "goal"};
				assert_true(json_array_size(ms) >= 6);
				for (size_t m = 0; m < 6; m++) {
					json_t *e = json_array_get(ms, m);
					assert_string_equal(
					        json_string_value(json_object_get(e, "name")),
					        names[m]);
					json_t *num = json_object_get(e, "value");
					assert_true(m == 4 ? json_is_number(num)
					                   : json_is_integer(num));
					double x = json_number_value(num);
					if (strcmp(val, "OVERALL") == 0)
						overall[m] = x;
					else
						sum[m] += x;
				}
				if (strcmp(val, "OVERALL") == 0)
					have_overall = true;
			}
			assert_true(have_overall);
			for (int m = 0; m < 6; m++)
				assert_true(overall[m] == sum[m]);
		}
		json_decref(root);
		http_free(&r);

		/* campaign lists: enabled channels serve pages, disabled ones 404 */
		for (int c = 0; c < 6; c++) {
			snprintf(url, sizeof(url), "%s/v1/accounts/%s/%s?pageNo=1&pageSize=5",
			         w.url, a.lc, camp_paths[c]);
			http_get(&r, url, a.key);
			root = jparse(r.body, r.len);
			assert_json_ctype(&r);
			if (channel_disabled(d, camp_channels[c])) {
				char msg[128];
				assert_int_equal(r.status, 404);
				snprintf(msg, sizeof(msg),
				         "Channel %s is not enabled for this account",
				         camp_channels[c]);
				assert_string_equal(jerror(root), msg);
			} else {
				json_int_t n = json_integer_value(json_object_get(
				        json_object_get(d, "campaigns"), camp_channels[c]));
				assert_int_equal(r.status, 200);
				json_t *data = jdata(root);
				assert_int_equal(jint(data, "pageNo"), 1);
				assert_int_equal(jint(data, "pageSize"), 5);
				assert_int_equal(jint(data, "numberOfPages"), (n + 4) / 5);
				json_t *contents = json_object_get(data, "contents");
				assert_int_equal(json_array_size(contents), n < 5 ? n : 5);
				size_t ci;
				json_t *camp;
				json_array_foreach(contents, ci, camp)
				{
					assert_true(json_is_string(json_object_get(camp, "id")));
					assert_true(json_is_string(json_object_get(camp, "title")));
					assert_true(
					        json_is_string(json_object_get(camp, "status")));
					assert_true(
					        json_is_string(json_object_get(camp, "category")));
					json_t *co = json_object_get(camp, "createdOn");
					int64_t t;
					assert_true(!co || json_is_null(co) ||
					            t_parse_iso(json_string_value(co), &t) == 0);
				}
			}
			json_decref(root);
			http_free(&r);
		}

		/* team members */
		snprintf(url, sizeof(url), "%s/v1/accounts/%s/team-members?pageNo=1&pageSize=1000",
		         w.url, a.lc);
		http_get(&r, url, a.key);
		assert_int_equal(r.status, 200);
		root = jparse(r.body, r.len);
		json_t *data = jdata(root);
		json_int_t team = jint(d, "team");
		assert_int_equal(jint(data, "pageNo"), 1);
		assert_int_equal(jint(data, "numberOfPages"), team ? 1 : 0);
		assert_null(json_object_get(data, "pageSize")); /* docs/api.md's team shape */
		json_t *members = json_object_get(data, "contents");
		assert_int_equal(json_array_size(members), team);
		size_t mi;
		json_t *mem;
		json_array_foreach(members, mi, mem)
		{
			assert_non_null(
			        strchr(json_string_value(json_object_get(mem, "email")), '@'));
			json_t *ll = json_object_get(mem, "lastLoginAt");
			int64_t t;
			assert_non_null(ll);
			assert_true(json_is_null(ll) ||
			            t_parse_iso(json_string_value(ll), &t) == 0);
		}
		json_decref(root);
		http_free(&r);

		/* publisher-metrics: the requested metrics, in request order */
		snprintf(url, sizeof(url),
		         "%s/v1/accounts/%s/"
		         "publisher-metrics?from=2026-11-22&to=2026-11-28&metrics=MAU,DAU",
		         w.url, a.lc);
		http_get(&r, url, a.key);
		assert_int_equal(r.status, 200);
		root = jparse(r.body, r.len);
		data = jdata(root);
		assert_int_equal(json_object_size(data), 2);
		assert_string_equal(json_object_iter_key(json_object_iter(data)), "MAU");
		json_t *plats = json_object_get(data, "DAU");
		assert_int_equal(json_array_size(plats),
		                 json_array_size(json_object_get(d, "platforms")));
		size_t pi;
		json_t *plat;
		json_array_foreach(plats, pi, plat)
		{
			json_t *stats = json_object_get(plat, "stats");
			assert_true(json_array_size(stats) <= 7);
			size_t si;
			json_t *st;
			json_array_foreach(stats, si, st)
			{
				assert_int_equal(json_object_size(st), 1);
				const char *day = json_object_iter_key(json_object_iter(st));
				assert_int_equal(strncmp(day, "2026-11-2", 9), 0);
				assert_true(json_is_integer(
				        json_object_iter_value(json_object_iter(st))));
			}
		}
		json_decref(root);
		http_free(&r);
	}
	json_decref(desc);
	ws_stop(&w);
}

/* Walk every page of path for an account; returns the ids seen (json array). */
static json_t *walk(const struct ws *w, const struct ws_acct *a, const char *path, int page_size,
                    json_int_t expect_total)
{
	char url[512];
	json_t *ids = json_array();
	json_int_t pages = (expect_total + page_size - 1) / page_size;
	for (json_int_t p = 1; p <= pages + 1; p++) {
		struct http_resp r;
		snprintf(url, sizeof(url), "%s/v1/accounts/%s/%s?pageNo=%lld&pageSize=%d", w->url,
		         a->lc, path, (long long)p, page_size);
		http_get(&r, url, a->key);
		assert_int_equal(r.status, 200);
		json_t *root = jparse(r.body, r.len);
		json_t *data = jdata(root);
		assert_int_equal(jint(data, "pageNo"), p);
		assert_int_equal(jint(data, "numberOfPages"), pages);
		json_t *c = json_object_get(data, "contents");
		json_int_t want = p <= pages ? (p < pages ? page_size
		                                          : expect_total - (pages - 1) * page_size)
		                             : 0;
		assert_int_equal(json_array_size(c), want);
		size_t i;
		json_t *e;
		json_array_foreach(c, i, e)
		{
			json_t *id =
			        json_object_get(e, strcmp(path, "team-members") ? "id" : "email");
			json_array_append(ids, id);
		}
		json_decref(root);
		http_free(&r);
	}
	return ids;
}

static void assert_unique(json_t *ids)
{
	json_t *set = json_object();
	size_t i;
	json_t *id;
	json_array_foreach(ids, i, id)
	{
		assert_null(json_object_get(set, json_string_value(id)));
		json_object_set_new(set, json_string_value(id), json_true());
	}
	json_decref(set);
}

/* Page counts, last page, past the end, and every item exactly once. */
static void test_pagination(void **state)
{
	(void)state;
	struct ws w;
	start_std(&w, "7", "12");
	json_t *desc = ws_describe(&w);
	int big_acct = -1, big_ch = -1, small_acct = -1, small_ch = -1, zero_acct = -1,
	    zero_ch = -1;
	int team_acct = -1;
	json_int_t big = 0;
	for (int i = 0; i < 12; i++) {
		json_t *d = json_array_get(desc, (size_t)i);
		for (int c = 0; c < 6; c++) {
			json_t *n =
			        json_object_get(json_object_get(d, "campaigns"), camp_channels[c]);
			if (!n)
				continue;
			json_int_t v = json_integer_value(n);
			if (v > 500 && big_acct < 0) {
				big_acct = i, big_ch = c, big = v;
			} else if (v > 0 && v < 100 && v % 7 != 0 && small_acct < 0) {
				small_acct = i, small_ch = c;
			} else if (v == 0 && zero_acct < 0) {
				zero_acct = i, zero_ch = c;
			}
		}
		if (jint(d, "team") > 30 && team_acct < 0)
			team_acct = i;
	}
	/* the seed gives every case; a change of the data function must keep it so */
	assert_true(big_acct >= 0 && small_acct >= 0 && zero_acct >= 0 && team_acct >= 0);
	assert_true(big > 500); /* more than 5 pages at pageSize 100 */

	struct ws_acct a;
	ws_account(&w, big_acct, &a);
	json_t *ids = walk(&w, &a, camp_paths[big_ch], 100, big);
	assert_int_equal(json_array_size(ids), big);
	assert_unique(ids);
	json_decref(ids);
	ids = walk(&w, &a, camp_paths[big_ch], 1000, big);
	assert_int_equal(json_array_size(ids), big);
	json_decref(ids);

	ws_account(&w, small_acct, &a);
	json_int_t small = json_integer_value(json_object_get(
	        json_object_get(json_array_get(desc, (size_t)small_acct), "campaigns"),
	        camp_channels[small_ch]));
	ids = walk(&w, &a, camp_paths[small_ch], 7, small);
	assert_int_equal(json_array_size(ids), small);
	assert_unique(ids);
	json_decref(ids);

	ws_account(&w, zero_acct, &a);
	ids = walk(&w, &a, camp_paths[zero_ch], 100, 0); /* numberOfPages 0, page 1 empty */
	assert_int_equal(json_array_size(ids), 0);
	json_decref(ids);

	ws_account(&w, team_acct, &a);
	json_int_t team = jint(json_array_get(desc, (size_t)team_acct), "team");
	ids = walk(&w, &a, "team-members", 10, team);
	assert_int_equal(json_array_size(ids), team);
	assert_unique(ids);
	json_decref(ids);
	json_decref(desc);
	ws_stop(&w);
}

struct bad_case {
	const char *path_fmt; /* {lc} = license code */
	int status;
	const char *message; /* a substring of the error message */
};

/* Query parameters out of range, malformed or repeated: 400 with a message naming them. */
static void test_bad_parameters(void **state)
{
	(void)state;
	static const struct bad_case cases[] = {
	        {"/v1/accounts/{lc}/team-members?pageNo=0&pageSize=10", 400, "pageNo must be"},
	        {"/v1/accounts/{lc}/team-members?pageNo=-1&pageSize=10", 400, "pageNo must be"},
	        {"/v1/accounts/{lc}/team-members?pageNo=abc", 400, "pageNo must be"},
	        {"/v1/accounts/{lc}/team-members?pageNo=1&pageSize=0", 400, "pageSize must be"},
	        {"/v1/accounts/{lc}/team-members?pageSize=1001", 400,
	         "pageSize must be an integer from 1 to 1000"},
	        {"/v1/accounts/{lc}/team-members?pageSize=1.5", 400, "pageSize must be"},
	        {"/v1/accounts/{lc}/team-members?pageNo=1&pageNo=2", 400,
	         "pageNo is given more than once"},
	        {"/v1/accounts/{lc}/publisher-metrics?to=2026-11-28&metrics=DAU", 400,
	         "from must be a day"},
	        {"/v1/accounts/{lc}/publisher-metrics?from=2026-02-30&to=2026-03-01&metrics=DAU",
	         400, "from must be a day"},
	        {"/v1/accounts/{lc}/publisher-metrics?from=2026-11-22&to=26-11-28&metrics=DAU", 400,
	         "to must be a day"},
	        {"/v1/accounts/{lc}/publisher-metrics?from=2026-11-28&to=2026-11-22&metrics=DAU",
	         400, "from is after to"},
	        {"/v1/accounts/{lc}/publisher-metrics?from=2026-01-01&to=2026-04-03&metrics=DAU",
	         400, "the window spans 93 days; at most 92"},
	        {"/v1/accounts/{lc}/publisher-metrics?from=2026-11-22&to=2026-11-28", 400,
	         "metrics is missing"},
	        {"/v1/accounts/{lc}/publisher-metrics?from=2026-11-22&to=2026-11-28&metrics=XAU",
	         400, "\"XAU\" is not DAU"},
	        {"/v1/accounts/{lc}/"
	         "publisher-metrics?from=2026-11-22&to=2026-11-28&metrics=DAU,DAU",
	         400, "DAU is listed twice"},
	        {"/v1/accounts/{lc}/publisher-metrics?from=2026-11-22&to=2026-11-28&metrics=", 400,
	         "at least one"},
	};
	struct ws w;
	start_std(&w, "7", "1");
	struct ws_acct a;
	ws_account(&w, 0, &a);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256], url[512];
		struct http_resp r;
		t_subst_lc(cases[i].path_fmt, a.lc, path, sizeof(path));
		snprintf(url, sizeof(url), "%s%s", w.url, path);
		http_get(&r, url, a.key);
		json_t *root = jparse(r.body, r.len);
		const char *msg = jerror(root);
		if (r.status != cases[i].status || !strstr(msg, cases[i].message))
			fail_msg("%s: got %ld \"%s\", want %d \"%s\"", path, r.status, msg,
			         cases[i].status, cases[i].message);
		json_decref(root);
		http_free(&r);
	}
	/* the bounds themselves are accepted: 92 days, pageNo 1000000, pageSize 1000 */
	char url[512];
	struct http_resp r;
	snprintf(url, sizeof(url),
	         "%s/v1/accounts/%s/publisher-metrics?from=2026-01-01&to=2026-04-02&metrics=DAU",
	         w.url, a.lc);
	http_get(&r, url, a.key);
	assert_int_equal(r.status, 200);
	http_free(&r);
	snprintf(url, sizeof(url), "%s/v1/accounts/%s/team-members?pageNo=1000000&pageSize=1000",
	         w.url, a.lc);
	http_get(&r, url, a.key);
	assert_int_equal(r.status, 200);
	http_free(&r);
	ws_stop(&w);
}

struct body_case {
	const char *name;
	const char *ctype;
	const char *body; /* NULL: the valid body with replace[0] replaced by replace[1] */
	const char *from, *to;
	const char *message;
};

/* The stats body: every rule of validate_stats_body, table-driven. */
static void test_stats_body_validation(void **state)
{
	(void)state;
	static const struct body_case cases[] = {
	        {"wrong content type", "text/plain", NULL, NULL, NULL,
	         "Content-Type must be application/json"},
	        {"no content type", NULL, NULL, NULL, NULL,
	         "Content-Type must be application/json"},
	        {"empty body", "application/json", "", NULL, NULL, "request body is empty"},
	        {"not JSON", "application/json", "{\"campaignStatType\":", NULL, NULL,
	         "not valid JSON"},
	        {"an array", "application/json", "[]", NULL, NULL, "must be a JSON object"},
	        {"duplicate key", "application/json", "{\"splitBy\":\"A\",\"splitBy\":\"B\"}", NULL,
	         NULL, "not valid JSON"},
	        {"type missing", "application/json", NULL,
	         "\"campaignStatType\":\"CHANNEL_STATS_OVERVIEW\",", "",
	         "campaignStatType is missing"},
	        {"type wrong", "application/json", NULL, "CHANNEL_STATS_OVERVIEW", "CAMPAIGN_STATS",
	         "campaignStatType must be \"CHANNEL_STATS_OVERVIEW\""},
	        {"splitBy wrong", "application/json", NULL, "\"CAMPAIGN_CHANNEL\"", "\"CHANNEL\"",
	         "splitBy must be \"CAMPAIGN_CHANNEL\""},
	        {"granularity", "application/json", NULL, "\"DAY\"", "\"HOUR\"",
	         "granularity must be \"DAY\""},
	        {"start not a time", "application/json", NULL, "2026-11-22T00:00:00.000+0000",
	         "2026-11-22", "startTime \"2026-11-22\" is not a timestamp"},
	        {"start month 13", "application/json", NULL, "2026-11-22T00:00:00.000+0000",
	         "2026-13-22T00:00:00.000+0000", "startTime"},
	        {"start a number", "application/json", NULL, "\"2026-11-22T00:00:00.000+0000\"",
	         "20261122", "startTime must be a string"},
	        {"end missing", "application/json", NULL,
	         "\"endTime\":\"2026-11-28T23:59:59.999+0000\",", "", "endTime is missing"},
	        {"end bad offset", "application/json", NULL, "2026-11-28T23:59:59.999+0000",
	         "2026-11-28T23:59:59.999+25:00", "endTime"},
	        {"start after end", "application/json", NULL, "2026-11-22T00:00:00.000+0000",
	         "2026-11-29T00:00:00.000+0000", "startTime is after endTime"},
	        {"94 days", "application/json", NULL, "2026-11-22T00:00:00.000+0000",
	         "2026-08-27T00:00:00Z", "the window spans 94 days"},
	        {"channels empty", "application/json", NULL, "\"channels\":[\"OVERALL\"]",
	         "\"channels\":[]", "channels must be a non-empty array"},
	        {"channels string", "application/json", NULL, "\"channels\":[\"OVERALL\"]",
	         "\"channels\":\"OVERALL\"", "channels must be a non-empty array"},
	        {"channels number", "application/json", NULL, "\"channels\":[\"OVERALL\"]",
	         "\"channels\":[1]", "channels[0] must be a string"},
	        {"containerTypes missing", "application/json", NULL,
	         "\"containerTypes\":[\"ALL\"],", "", "containerTypes is missing"},
	        {"isFunnelView string", "application/json", NULL, "\"isFunnelView\":false",
	         "\"isFunnelView\":\"false\"", "isFunnelView must be a boolean"},
	        {"tags missing", "application/json", NULL, ",\"tags\":[]", "", "tags is missing"},
	        {"tags object", "application/json", NULL, "\"tags\":[]", "\"tags\":{}",
	         "tags must be an array"},
	};
	struct ws w;
	start_std(&w, "7", "1");
	struct ws_acct a;
	ws_account(&w, 0, &a);
	char url[512];
	snprintf(url, sizeof(url), "%s/v2/accounts/%s/stats", w.url, a.lc);
	char *valid = stats_body("2026-11-22T00:00:00.000+0000", "2026-11-28T23:59:59.999+0000",
	                         "[\"OVERALL\"]");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct body_case *c = &cases[i];
		char body[2048];
		if (c->body) {
			snprintf(body, sizeof(body), "%s", c->body);
		} else if (c->from) {
			char *at = strstr(valid, c->from);
			assert_non_null(at);
			snprintf(body, sizeof(body), "%.*s%s%s", (int)(at - valid), valid, c->to,
			         at + strlen(c->from));
		} else {
			snprintf(body, sizeof(body), "%s", valid);
		}
		struct http_resp r;
		http_do(&r, "POST", url, a.key, c->ctype, body, 10000, NULL);
		assert_int_equal(r.rc, CURLE_OK);
		json_t *root = jparse(r.body, r.len);
		const char *msg = jerror(root);
		if (r.status != 400 || !strstr(msg, c->message))
			fail_msg("%s: got %ld \"%s\", want 400 \"%s\"", c->name, r.status, msg,
			         c->message);
		json_decref(root);
		http_free(&r);
	}
	/* a body beyond --max-body (64 KiB by default): 413 */
	char *big = malloc(70000);
	assert_non_null(big);
	memset(big, ' ', 69999);
	big[0] = '{';
	big[69998] = '}';
	big[69999] = '\0';
	struct http_resp r;
	http_do(&r, "POST", url, a.key, "application/json", big, 10000, NULL);
	assert_int_equal(r.status, 413);
	json_t *root = jparse(r.body, r.len);
	assert_string_equal(jerror(root),
	                    "request body of 69999 bytes exceeds the limit of 65536 bytes");
	json_decref(root);
	http_free(&r);
	free(big);
	/* the largest window, 92 days, with the three timestamp styles */
	char *ok = stats_body("2026-01-01T05:30+0530", "2026-04-02T23:59:59.999+05:30",
	                      "[\"OVERALL\",\"NOT_A_CHANNEL\"]");
	http_do(&r, "POST", url, a.key, "application/json; charset=utf-8", ok, 10000, NULL);
	assert_int_equal(r.status, 200);
	root = jparse(r.body, r.len);
	json_t *days = jdata(root);
	assert_int_equal(json_array_size(days), 92);
	assert_string_equal(json_string_value(json_object_get(json_array_get(days, 0), "date")),
	                    "2026-01-01");
	assert_string_equal(json_string_value(json_object_get(json_array_get(days, 91), "date")),
	                    "2026-04-02");
	json_decref(root);
	http_free(&r);
	free(ok);
	free(valid);
	ws_stop(&w);
}

struct auth_case {
	const char *method;
	const char *path_fmt; /* {lc} = license code */
	int key;              /* 0 none, 1 own, 2 other account's, 3 garbage */
	int status;
	const char *message;
};

/* 401, 404 and 405 answers, each with the exact error envelope. */
static void test_auth_and_routing(void **state)
{
	(void)state;
	static const struct auth_case cases[] = {
	        {"GET", "/v1/accounts/{lc}/team-members", 0, 401, "Unauthorized"},
	        {"GET", "/v1/accounts/{lc}/team-members", 2, 401, "Unauthorized"},
	        {"GET", "/v1/accounts/{lc}/team-members", 3, 401, "Unauthorized"},
	        {"GET", "/v1/survey/response/wegauge-probe", 0, 401, "Unauthorized"},
	        {"GET", "/v1/survey/response/wegauge-probe", 3, 401, "Unauthorized"},
	        {"GET", "/v1/survey/response/wegauge-probe", 2, 404, "Survey response not found"},
	        {"GET", "/v1/accounts/00000000/team-members", 1, 404,
	         "Unknown license code 00000000"},
	        {"POST", "/v2/accounts/00000000/stats", 1, 404, "Unknown license code 00000000"},
	        {"GET", "/v1/accounts/{lc}/no-such-list", 1, 404,
	         "No such endpoint: /v1/accounts/"},
	        {"GET", "/v1/accounts/{lc}/team-members/", 1, 404, "No such endpoint"},
	        {"GET", "/", 1, 404, "No such endpoint: /"},
	        {"GET", "/v3/accounts/{lc}/stats", 1, 404, "No such endpoint"},
	        {"GET", "/v2/accounts/{lc}/stats", 1, 405, "Method Not Allowed; use POST"},
	        {"POST", "/v1/accounts/{lc}/push-notifications", 1, 405,
	         "Method Not Allowed; use GET"},
	        {"DELETE", "/v1/accounts/{lc}/team-members", 1, 405, "Method Not Allowed; use GET"},
	        {"GET", "/_wesim/nothing", 0, 404, "No such control endpoint"},
	        {"GET", "/_wesim/reset", 0, 405, "Method Not Allowed"},
	};
	struct ws w;
	start_std(&w, "7", "2");
	struct ws_acct a, b;
	ws_account(&w, 0, &a);
	ws_account(&w, 1, &b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct auth_case *c = &cases[i];
		char path[256], url[512];
		t_subst_lc(c->path_fmt, a.lc, path, sizeof(path));
		snprintf(url, sizeof(url), "%s%s", w.url, path);
		const char *key = c->key == 1   ? a.key
		                  : c->key == 2 ? b.key
		                  : c->key == 3 ? "x0123456789"
		                                : NULL;
		struct http_resp r;
		http_do(&r, c->method, url, key, NULL, NULL, 10000, NULL);
		assert_int_equal(r.rc, CURLE_OK);
		json_t *root = jparse(r.body, r.len);
		const char *msg = jerror(root);
		if (r.status != c->status || strncmp(msg, c->message, strlen(c->message)) != 0)
			fail_msg("%s %s: got %ld \"%s\", want %d \"%s\"", c->method, path, r.status,
			         msg, c->status, c->message);
		if (c->status == 401)
			assert_string_equal(r.body, "{\"response\":{\"status\":\"error\","
			                            "\"message\":\"Unauthorized\"}}");
		json_decref(root);
		http_free(&r);
	}
	ws_stop(&w);
}

/*
 * X-RateLimit-* on every answer, 429 beyond the limit, buckets per endpoint,
 * and the violation counter for requests after Remaining: 0. A run that
 * straddles a minute boundary is repeated (the buckets are per minute).
 */
static void test_rate_limit(void **state)
{
	(void)state;
	const char *args[] = {
	        "--quiet", "--workspaces",   "1",        "--seed", "7", "--rate-limit",
	        "3",       "--write-config", "@DIR/cfg", NULL};
	for (int attempt = 0;; attempt++) {
		assert_true(attempt < 3);
		struct ws w;
		assert_int_equal(ws_start(&w, "rl", args), 0);
		struct ws_acct a;
		ws_account(&w, 0, &a);
		int64_t minute = t_wall_ms() / 60000;
		char url[512], url2[512], v[64];
		snprintf(url, sizeof(url), "%s/v1/accounts/%s/team-members?pageSize=1", w.url,
		         a.lc);
		snprintf(url2, sizeof(url2), "%s/v1/accounts/%s/team-members?pageSize=2", w.url,
		         a.lc);
		static const char *const remaining[6] = {"2", "1", "0", "0", "0", "0"};
		static const long status[6] = {200, 200, 200, 429, 429, 429};
		for (int i = 0; i < 6; i++) {
			struct http_resp r;
			http_get(&r, i % 2 ? url2 : url, a.key); /* same endpoint, other query */
			assert_int_equal(r.status, status[i]);
			assert_true(http_header(&r, "X-RateLimit-Limit", v, sizeof(v)));
			assert_string_equal(v, "3");
			assert_true(http_header(&r, "X-RateLimit-Remaining", v, sizeof(v)));
			assert_string_equal(v, remaining[i]);
			assert_false(http_header(&r, "Retry-After", v, sizeof(v)));
			if (status[i] == 429) {
				json_t *root = jparse(r.body, r.len);
				assert_string_equal(jerror(root), "Rate limit exceeded");
				json_decref(root);
			}
			http_free(&r);
		}
		/* another endpoint of the same account has its own bucket */
		struct http_resp r;
		snprintf(url, sizeof(url), "%s/v1/survey/response/wegauge-probe", w.url);
		http_get(&r, url, a.key);
		assert_int_equal(r.status, 404);
		assert_true(http_header(&r, "X-RateLimit-Remaining", v, sizeof(v)));
		assert_string_equal(v, "2");
		http_free(&r);
		json_t *st = ws_stats(&w);
		bool same_minute = t_wall_ms() / 60000 == minute;
		if (same_minute) {
			assert_int_equal(jint(st, "rate_limited"), 3);
			/* after the Remaining: 0 answer: one 429 forgiven, two violations */
			assert_int_equal(jint(st, "violations.rate_limit"), 2);
			assert_int_equal(jint(st, "violations.retry_after"), 0);
			assert_int_equal(jint(st, "accounts.ws-0001.violations.rate_limit"), 2);
			assert_int_equal(jint(st, "endpoints.team-members.status.429"), 3);
			assert_int_equal(jint(st, "endpoints.team-members.status.200"), 3);
		}
		json_decref(st);
		ws_stop(&w);
		if (same_minute)
			break;
	}
}

/* The bodies of a fixed list of requests, concatenated (malloc'd). */
static char *fingerprint(const struct ws *w)
{
	struct ws_acct a;
	ws_account(w, 0, &a);
	char url[512];
	size_t cap = 1 << 20, len = 0;
	char *all = malloc(cap);
	assert_non_null(all);
	const char *paths[] = {
	        "team-members?pageNo=1&pageSize=50",
	        "publisher-metrics?from=2026-11-01&to=2026-11-28&metrics=DAU,WAU,MAU"};
	for (int i = 0; i < 8; i++) {
		struct http_resp r;
		if (i < 6)
			snprintf(url, sizeof(url), "%s/v1/accounts/%s/%s?pageNo=1&pageSize=100",
			         w->url, a.lc, camp_paths[i]);
		else
			snprintf(url, sizeof(url), "%s/v1/accounts/%s/%s", w->url, a.lc,
			         paths[i - 6]);
		http_get(&r, url, a.key);
		while (len + r.len + 8 > cap) {
			cap *= 2;
			all = realloc(all, cap);
			assert_non_null(all);
		}
		len += (size_t)snprintf(all + len, cap - len, "%ld ", r.status);
		memcpy(all + len, r.body, r.len);
		len += r.len;
		http_free(&r);
	}
	char *body = stats_body("2026-11-01T00:00:00Z", "2026-11-28T00:00:00Z", channels10);
	struct http_resp r;
	snprintf(url, sizeof(url), "%s/v2/accounts/%s/stats", w->url, a.lc);
	http_do(&r, "POST", url, a.key, "application/json", body, 10000, NULL);
	free(body);
	all = realloc(all, len + r.len + 1);
	assert_non_null(all);
	memcpy(all + len, r.body, r.len);
	all[len + r.len] = '\0';
	http_free(&r);
	return all;
}

/* Same seed: the same bytes from two servers; another seed: other bytes. */
static void test_determinism(void **state)
{
	(void)state;
	struct ws w1, w2, w3;
	start_std(&w1, "42", "2");
	start_std(&w2, "42", "2");
	start_std(&w3, "43", "2");
	char *f1 = fingerprint(&w1), *f2 = fingerprint(&w2), *f3 = fingerprint(&w3);
	assert_true(strlen(f1) > 10000);
	assert_string_equal(f1, f2);
	assert_string_not_equal(f1, f3);
	free(f1);
	free(f2);
	free(f3);
	ws_stop(&w1);
	ws_stop(&w2);
	ws_stop(&w3);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_shapes, ws_teardown),
	        cmocka_unit_test_teardown(test_pagination, ws_teardown),
	        cmocka_unit_test_teardown(test_bad_parameters, ws_teardown),
	        cmocka_unit_test_teardown(test_stats_body_validation, ws_teardown),
	        cmocka_unit_test_teardown(test_auth_and_routing, ws_teardown),
	        cmocka_unit_test_teardown(test_rate_limit, ws_teardown),
	        cmocka_unit_test_teardown(test_determinism, ws_teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
