/*
 * weapi_parse.c: the answers of docs/api.md streams 1 (channel statistics), 2
 * (campaigns) and 4 (team members) to rows. Active users (stream 3), which
 * need a merge, are in weapi_active.c.
 *
 * Each parser reads the data of one answer (after weapi_envelope) and
 * appends its rows to the caller's rowset. Rules common to all:
 *  - Required fields missing, wrong JSON types, over-long strings, bad
 *    timestamps and days, out-of-range page numbers fail the whole answer
 *    with "<json path>: <what was wrong>"; the rows appended by this call
 *    are dropped again (the rowset is as before the call).
 *  - A missing or null array is an empty one; unknown fields are ignored;
 *    unknown channels and metric names are kept as sent.
 *  - Numbers keep their JSON kind: integer -> NUM_INT, real -> NUM_REAL.
 */
#include "weapi.h"

#include <stdio.h>
#include <string.h>

#include "ts.h"
#include "weapi_json.h"

/* One metric {name, value} of one dimension of one day. */
static int stats_metric(struct wj *w, const json_t *m, const char *day, const char *feature)
{
	const char *name;
	size_t nlen;
	struct num value;
	if (wj_expect(w, m, JSON_OBJECT) || wj_str(w, m, "name", true, &name, &nlen) ||
	    wj_num(w, m, "value", &value))
		return -1;
	if (value.kind == NUM_NULL) /* no value: absent, no row invented */
		return 0;
	if (strcmp(name, "goal") == 0) {
		name = "conversions";
		nlen = strlen(name);
	}
	const char *metric;
	if (wj_dup(w, name, nlen, &metric))
		return -1;
	struct row_feature *r = wj_push(w);
	if (!r)
		return -1;
	memcpy(r->day, day, DAY_LEN);
	r->feature = feature;
	r->metric = metric;
	r->value = value;
	return 0;
}

/* One dimension {value, metrics:[...]} of one day: its feature name is copied once. */
static int stats_dimension(struct wj *w, const json_t *dim, const char *day)
{
	const char *value, *feature;
	size_t vlen;
	const json_t *metrics;
	if (wj_expect(w, dim, JSON_OBJECT) || wj_str(w, dim, "value", true, &value, &vlen) ||
	    wj_opt_array(w, dim, "metrics", &metrics))
		return -1;
	if (!metrics || json_array_size(metrics) == 0)
		return 0;
	if (wj_dup(w, value, vlen, &feature))
		return -1;
	size_t k0 = wj_key(w, "metrics");
	for (size_t k = 0; k < json_array_size(metrics); k++) {
		size_t p = wj_index(w, k);
		if (stats_metric(w, json_array_get(metrics, k), day, feature))
			return -1;
		wj_pop(w, p);
	}
	wj_pop(w, k0);
	return 0;
}

/* One day {date, dimensions:[...]}. */
static int stats_day(struct wj *w, const json_t *d)
{
	const char *date;
	size_t dlen;
	const json_t *dims;
	wall_s e;
	if (wj_expect(w, d, JSON_OBJECT) || wj_str(w, d, "date", true, &date, &dlen))
		return -1;
	if (ts_parse_day(date, &e) != 0) {
		char q[WJ_QUOTE_MAX];
		size_t p = wj_key(w, "date");
		wj_fail(w, "not a day (YYYY-MM-DD): %s", wj_quote(q, sizeof(q), date, dlen));
		wj_pop(w, p);
		return -1;
	}
	if (wj_opt_array(w, d, "dimensions", &dims))
		return -1;
	char day[DAY_LEN];
	ts_format_day(e, day);
	size_t j0 = wj_key(w, "dimensions");
	for (size_t j = 0; dims && j < json_array_size(dims); j++) {
		size_t p = wj_index(w, j);
		if (stats_dimension(w, json_array_get(dims, j), day))
			return -1;
		wj_pop(w, p);
	}
	wj_pop(w, j0);
	return 0;
}

/*
 * data is an array of days; each (day, dimension value, metric) with a
 * non-null value is one row. "goal" is renamed "conversions". Duplicates
 * within one answer are passed on as they are (the store upserts).
 */
int weapi_parse_stats(const json_t *data, struct rowset *rs, char *err, size_t errlen)
{
	struct wj w;
	wj_init(&w, rs, "data", err, errlen);
	if (wj_expect(&w, data, JSON_ARRAY))
		return wj_done(&w, -1);
	for (size_t i = 0; i < json_array_size(data); i++) {
		size_t p = wj_index(&w, i);
		if (stats_day(&w, json_array_get(data, i)))
			return wj_done(&w, -1);
		wj_pop(&w, p);
	}
	return wj_done(&w, 0);
}

/*
 * The page counters of a paginated answer: pageNo 1..WEAPI_MAX_PAGES and
 * numberOfPages 0..WEAPI_MAX_PAGES, both required JSON integers, and the
 * optional contents array (*contents NULL when absent or null).
 */
static int page_header(struct wj *w, const json_t *data, struct weapi_page *pg,
                       const json_t **contents)
{
	if (wj_expect(w, data, JSON_OBJECT))
		return -1;
	wj_pop(w, 0); /* fields of data are named from the top: "pageNo", "contents[4].id" */
	if (wj_page(w, data, "pageNo", 1, &pg->page_no) ||
	    wj_page(w, data, "numberOfPages", 0, &pg->number_of_pages) ||
	    wj_opt_array(w, data, "contents", contents))
		return -1;
	pg->n_contents = *contents ? json_array_size(*contents) : 0;
	return 0;
}

/* A campaign id: a non-empty string, or an integer stored as its decimal text. */
static int campaign_id(struct wj *w, const json_t *c, const char **out)
{
	const json_t *v = json_object_get(c, "id");
	if (json_is_integer(v)) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		return wj_dup(w, buf, (size_t)n, out);
	}
	const char *s;
	size_t len;
	if (v && !json_is_string(v)) {
		size_t p = wj_key(w, "id");
		wj_fail(w, "expected a string or an integer, got %s", wj_kind(v));
		wj_pop(w, p);
		return -1;
	}
	if (wj_str(w, c, "id", true, &s, &len))
		return -1;
	return wj_dup(w, s, len, out);
}

/* An optional string field copied into the arena (NULL when absent or null). */
static int opt_str(struct wj *w, const json_t *obj, const char *key, const char **out)
{
	const char *s;
	size_t len;
	if (wj_str(w, obj, key, false, &s, &len))
		return -1;
	return wj_dup(w, s, len, out);
}

/*
 * The stats object of a campaign: any stat may be missing or null (NULL).
 * "clicks" wins over "click" when both are there and "clicks" is not null.
 */
static int campaign_stats(struct wj *w, const json_t *c, struct row_campaign *r)
{
	const json_t *st = json_object_get(c, "stats");
	if (!st || json_is_null(st))
		return 0;
	size_t p = wj_key(w, "stats");
	if (wj_expect(w, st, JSON_OBJECT))
		return -1;
	const json_t *clicks = json_object_get(st, "clicks");
	const char *clicks_key = clicks && !json_is_null(clicks) ? "clicks" : "click";
	if (wj_num(w, st, "sent", &r->sent) || wj_num(w, st, "delivered", &r->delivered) ||
	    wj_num(w, st, clicks_key, &r->clicks) ||
	    wj_num(w, st, "clickThroughConversion", &r->conversions) ||
	    wj_num(w, st, "clickThroughRevenue", &r->revenue))
		return -1;
	wj_pop(w, p);
	return 0;
}

/* One element of contents: built in full, then pushed. */
static int campaign_one(struct wj *w, const json_t *c, const char *channel)
{
	struct row_campaign tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.channel = channel;
	if (wj_expect(w, c, JSON_OBJECT) || campaign_id(w, c, &tmp.campaign_id) ||
	    opt_str(w, c, "title", &tmp.title) || opt_str(w, c, "status", &tmp.status) ||
	    opt_str(w, c, "category", &tmp.category) || wj_ts(w, c, "createdOn", tmp.created_on) ||
	    wj_ts(w, c, "startDate", tmp.start_date) || campaign_stats(w, c, &tmp))
		return -1;
	struct row_campaign *r = wj_push(w);
	if (!r)
		return -1;
	*r = tmp;
	return 0;
}

/*
 * One page of one channel's campaigns. channel ("PUSH_NOTIFICATION") is
 * copied once into the arena and shared by the page's rows. *pg is written
 * on success only (pg may be NULL).
 */
int weapi_parse_campaigns(const json_t *data, const char *channel, struct rowset *rs,
                          struct weapi_page *pg, char *err, size_t errlen)
{
	struct wj w;
	struct weapi_page page;
	const json_t *contents;
	const char *ch = NULL;
	wj_init(&w, rs, "data", err, errlen);
	if (!channel || !*channel) {
		wj_pop(&w, 0);
		return wj_done(&w, wj_fail(&w, "no channel given"));
	}
	if (page_header(&w, data, &page, &contents))
		return wj_done(&w, -1);
	if (page.n_contents > 0 && wj_dup(&w, channel, strlen(channel), &ch))
		return wj_done(&w, -1);
	size_t c0 = wj_key(&w, "contents");
	for (size_t i = 0; i < page.n_contents; i++) {
		size_t p = wj_index(&w, i);
		if (campaign_one(&w, json_array_get(contents, i), ch))
			return wj_done(&w, -1);
		wj_pop(&w, p);
	}
	wj_pop(&w, c0);
	if (pg)
		*pg = page;
	return wj_done(&w, 0);
}

/* One member: email required, the rest optional; lastLoginAt null or "" is NULL. */
static int member_one(struct wj *w, const json_t *m)
{
	struct row_seat tmp;
	const char *email;
	size_t elen;
	memset(&tmp, 0, sizeof(tmp));
	if (wj_expect(w, m, JSON_OBJECT) || wj_str(w, m, "email", true, &email, &elen) ||
	    wj_dup(w, email, elen, &tmp.email) || opt_str(w, m, "name", &tmp.name) ||
	    opt_str(w, m, "role", &tmp.role) || opt_str(w, m, "status", &tmp.status) ||
	    wj_ts(w, m, "lastLoginAt", tmp.last_login_at))
		return -1;
	struct row_seat *r = wj_push(w);
	if (!r)
		return -1;
	*r = tmp;
	return 0;
}

/* One page of team members; *pg is written on success only (pg may be NULL). */
int weapi_parse_team(const json_t *data, struct rowset *rs, struct weapi_page *pg, char *err,
                     size_t errlen)
{
	struct wj w;
	struct weapi_page page;
	const json_t *contents;
	wj_init(&w, rs, "data", err, errlen);
	if (page_header(&w, data, &page, &contents))
		return wj_done(&w, -1);
	size_t c0 = wj_key(&w, "contents");
	for (size_t i = 0; i < page.n_contents; i++) {
		size_t p = wj_index(&w, i);
		if (member_one(&w, json_array_get(contents, i)))
			return wj_done(&w, -1);
		wj_pop(&w, p);
	}
	wj_pop(&w, c0);
	if (pg)
		*pg = page;
	return wj_done(&w, 0);
}
