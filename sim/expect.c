/*
 * expect.c: wesim --expect. Prints, without serving, the rows a correct
 * collector stores after pulling the given accounts over [day0, day1]:
 * one compact JSON object per line, keys in the order of the brief
 * (docs/wesim.md, "--expect"), made from the same data function the
 * server renders from. Order: accounts by name; per account the tables
 * feature_usage_daily, campaign, active_users_daily, seat; within a table
 * by its key columns compared as bytes (SQLite's BINARY collation):
 * (day, feature, metric), (channel, campaign_id), (day, platform), (email).
 * Only one account's rows of one table are held at a time.
 */
#include "wesim.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

struct row {
	char key[160];
	json_t *j;
};

static int row_cmp(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	return strcmp(a->key, b->key);
}

/* Print and release rows[0..n) sorted by key; -1 on an output or memory failure. */
static int flush(FILE *out, struct row *rows, size_t n)
{
	int rc = 0;
	qsort(rows, n, sizeof(*rows), row_cmp);
	for (size_t i = 0; i < n; i++) {
		char *s = rows[i].j ? json_dumps(rows[i].j, DUMP_FLAGS) : NULL;
		if (!s || fputs(s, out) == EOF || fputc('\n', out) == EOF)
			rc = -1;
		free(s);
		json_decref(rows[i].j);
	}
	return rc;
}

static json_t *num(const struct wsim_num *v)
{
	switch (v->kind) {
	case NUM_INT:
		return json_integer(v->v);
	case NUM_REAL:
		return json_real((double)v->v / 4.0);
	default:
		return json_null();
	}
}

static json_t *ts(const struct wsim_ts *t)
{
	if (t->kind != TS_VALUE)
		return json_null();
	char s[32];
	wsim_format_utc(t->epoch, s);
	return json_string(s);
}

static json_t *row_new(const char *table, const struct wsim_account *a)
{
	json_t *j = json_object();
	json_object_set_new(j, "table", json_string(table));
	json_object_set_new(j, "license_code", json_string(a->lc));
	return j;
}

/* A growable row array; bounded by the largest single flush (a team or a channel). */
struct rows {
	struct row *v;
	size_t n, cap;
	bool oom;
};

/* Room for one more row; on failure every held row is released and NULL returned. */
static struct row *push(struct rows *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		struct row *v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			for (size_t i = 0; i < r->n; i++)
				json_decref(r->v[i].j);
			r->n = 0;
			r->oom = true;
			return NULL;
		}
		r->v = v;
		r->cap = cap;
	}
	return &r->v[r->n++];
}

/*
 * Print the rows of account a for [day0, day1], table by table, each table
 * sorted (see the file comment); r is scratch space reused across calls.
 * Returns 0, or -1 on a memory or output failure.
 */
static int account_rows(FILE *out, uint64_t seed, const struct wsim_account *a, int64_t day0,
                        int64_t day1, struct rows *r)
{
	int rc = 0;
	/* feature_usage_daily, a day at a time */
	for (int64_t day = day0; day <= day1; day++) {
		char ds[16];
		struct wsim_dim dims[WSIM_MAX_DIMS];
		int nd = data_stats_dims(seed, a, day, (1u << CH_COUNT) - 1, dims);
		wsim_format_day(day, ds);
		r->n = 0;
		for (int i = 0; i < nd; i++) {
			for (int m = 0; m < dims[i].n; m++) {
				const char *metric = dims[i].m[m].name;
				if (strcmp(metric, "goal") == 0)
					metric = "conversions";
				struct row *w = push(r);
				if (!w)
					return -1;
				snprintf(w->key, sizeof(w->key), "%s\x01%s\x01%s", ds,
				         dims[i].value, metric);
				w->j = row_new("feature_usage_daily", a);
				json_object_set_new(w->j, "day", json_string(ds));
				json_object_set_new(w->j, "feature", json_string(dims[i].value));
				json_object_set_new(w->j, "metric", json_string(metric));
				json_object_set_new(w->j, "value", num(&dims[i].m[m].v));
			}
		}
		if (flush(out, r->v, r->n) != 0)
			rc = -1;
	}
	/* campaign: channels by name, then ids */
	r->n = 0;
	for (int p = 0; p < WSIM_CAMPAIGN_PATHS; p++) {
		int ch = (int)wsim_campaign_paths[p].channel;
		if (!data_channel_enabled(a, ch))
			continue;
		uint32_t total = data_campaign_count(seed, a, ch);
		for (uint32_t j = 0; j < total; j++) {
			struct wsim_campaign c;
			data_campaign(seed, a, ch, j, &c);
			struct row *w = push(r);
			if (!w)
				return -1;
			snprintf(w->key, sizeof(w->key), "%s\x01%s", wsim_channel_names[ch], c.id);
			json_t *o = w->j = row_new("campaign", a);
			bool st = c.stats == STATS_OBJECT;
			json_object_set_new(o, "channel", json_string(wsim_channel_names[ch]));
			json_object_set_new(o, "campaign_id", json_string(c.id));
			json_object_set_new(o, "title", json_string(c.title));
			json_object_set_new(o, "status", json_string(c.status));
			json_object_set_new(o, "category", json_string(c.category));
			json_object_set_new(o, "created_on", ts(&c.created_on));
			json_object_set_new(o, "start_date", ts(&c.start_date));
			json_object_set_new(o, "sent", st ? num(&c.sent) : json_null());
			json_object_set_new(o, "delivered", st ? num(&c.delivered) : json_null());
			json_object_set_new(o, "clicks", st ? num(&c.clicks) : json_null());
			json_object_set_new(o, "conversions",
			                    st ? num(&c.conversions) : json_null());
			json_object_set_new(o, "revenue", st ? num(&c.revenue) : json_null());
		}
	}
	if (flush(out, r->v, r->n) != 0)
		rc = -1;
	/* active_users_daily, a day at a time; platforms are already in name order */
	for (int64_t day = day0; day <= day1; day++) {
		char ds[16];
		wsim_format_day(day, ds);
		for (int p = 0; p < WSIM_PLATFORMS; p++) {
			int64_t v[WSIM_AU_METRICS];
			int have[WSIM_AU_METRICS], any = 0;
			for (int m = 0; m < WSIM_AU_METRICS; m++)
				any |= have[m] = data_au_value(seed, a, p, m, day, &v[m]);
			if (!any)
				continue;
			json_t *o = row_new("active_users_daily", a);
			json_object_set_new(o, "day", json_string(ds));
			json_object_set_new(o, "platform", json_string(wsim_platform_names[p]));
			json_object_set_new(o, "dau", have[0] ? json_integer(v[0]) : json_null());
			json_object_set_new(o, "wau", have[1] ? json_integer(v[1]) : json_null());
			json_object_set_new(o, "mau", have[2] ? json_integer(v[2]) : json_null());
			struct row one = {"", o};
			if (flush(out, &one, 1) != 0)
				rc = -1;
		}
	}
	/* seat: the current members by email */
	r->n = 0;
	uint32_t size = data_team_size(seed, a);
	for (uint32_t k = 0; k < size; k++) {
		struct wsim_member m;
		data_member(seed, a, k, &m);
		struct row *w = push(r);
		if (!w)
			return -1;
		snprintf(w->key, sizeof(w->key), "%s", m.email);
		json_t *o = w->j = row_new("seat", a);
		json_object_set_new(o, "email", json_string(m.email));
		json_object_set_new(o, "name", m.name_null ? json_null() : json_string(m.name));
		json_object_set_new(o, "role", json_string(m.role));
		json_object_set_new(o, "status", json_string(m.status));
		json_object_set_new(o, "last_login_at", ts(&m.last_login));
	}
	if (flush(out, r->v, r->n) != 0)
		rc = -1;
	return rc;
}

/*
 * Print the expected rows of the account whose license code is which, or
 * of every account when which is "all", for the days [day0, day1] (at most
 * WSIM_MAX_EXPECT_DAYS). Returns 0, or -1 with err (unknown license code,
 * bad window, output error).
 */
int expect_run(FILE *out, uint64_t seed, const struct wsim_accounts *set, const char *which,
               int64_t day0, int64_t day1, char *err, size_t errlen)
{
	if (day1 < day0 || day1 - day0 + 1 > WSIM_MAX_EXPECT_DAYS) {
		snprintf(err, errlen,
		         "--from must not be after --to, and the window at most %d days",
		         WSIM_MAX_EXPECT_DAYS);
		return -1;
	}
	uint32_t first = 0, last = set->n;
	if (strcmp(which, "all") != 0) {
		int i = accounts_find_lc(set, which, strlen(which));
		if (i < 0) {
			snprintf(err, errlen, "--expect: no account has license code \"%.64s\"",
			         which);
			return -1;
		}
		first = (uint32_t)i;
		last = first + 1;
	}
	struct rows r = {0};
	int rc = 0;
	for (uint32_t i = first; i < last && rc == 0; i++)
		rc = account_rows(out, seed, &set->v[i], day0, day1, &r);
	free(r.v);
	if (rc == 0 && fflush(out) != 0)
		rc = -1;
	if (rc != 0)
		snprintf(err, errlen, "--expect: %s", r.oom ? "out of memory" : "write error");
	return rc;
}
