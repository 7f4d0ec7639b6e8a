/*
 * weapi_active.c: the answer of docs/api.md stream 3 (active users) to rows.
 *
 * The answer lists each metric separately:
 *   {"DAU":[{"name":"android","stats":[{"2026-11-22":1200},...]},...],
 *    "WAU":[...],"MAU":[...]}
 * and the store wants one row per (day, platform) with dau, wau and mau.
 *
 * The merge must not be quadratic: a hostile or simply large answer could
 * hold millions of values. So every non-null value is first collected as a
 * small entry (platform, day, metric, position in the answer), the entries
 * are sorted by (platform, day, position) with qsort, and one pass over
 * the sorted entries emits a row per run of equal (platform, day):
 * O(n log n) time, O(n) memory. A value given twice for the same (day,
 * platform, metric) keeps the later one (position breaks the tie). Rows
 * come out ordered by platform, then day, and the platform string is
 * copied into the arena once per platform.
 *
 * The entries are bounded before they are collected: n entries make at
 * least n / 3 rows, so more than 3 * (room left in the rowset) entries
 * must overflow it, and the parse fails with the row cap's error early instead
 * of allocating without end. (Values repeated for the same day, platform
 * and metric count towards that bound too: such an answer may be refused a
 * little sooner than its merged rows alone would require.)
 */
#include "weapi.h"

#include <stdlib.h>
#include <string.h>

#include "ts.h"
#include "weapi_json.h"

enum { AU_DAU = 0, AU_WAU, AU_MAU, AU_METRICS };
static const char *const au_names[AU_METRICS] = {"DAU", "WAU", "MAU"};

#define AU_MAX_ENTRIES (1u << 30) /* order keeps the position in 30 bits */

struct au_entry {
	const char *platform; /* borrowed from the document */
	const json_t *value;  /* a number, already checked */
	int32_t day;          /* days since 1970-01-01 (years 0..9999 fit) */
	uint32_t order;       /* position in the answer << 2 | metric */
};

struct au_vec {
	struct au_entry *v;
	size_t n, cap, limit;
};

static int au_cmp(const void *pa, const void *pb)
{
	const struct au_entry *a = pa, *b = pb;
	int c = strcmp(a->platform, b->platform);
	if (c)
		return c;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Append one entry; fails with the row cap's error at the limit, or on OOM. */
static int au_add(struct wj *w, struct au_vec *vec, const char *platform, int64_t day,
                  const json_t *value, unsigned metric)
{
	if (vec->n >= vec->limit) {
		char msg[128];
		w->rs->refused = ROWSET_OVER_ROWS;
		wj_pop(w, 0);
		return wj_fail(w, "%s", rowset_refusal_text(w->rs, msg, sizeof(msg)));
	}
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 256;
		if (cap > vec->limit)
			cap = vec->limit;
		struct au_entry *v = realloc(vec->v, cap * sizeof(*v));
		if (!v) {
			wj_pop(w, 0);
			return wj_fail(w, "out of memory");
		}
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->n] = (struct au_entry){
	        .platform = platform,
	        .value = value,
	        .day = (int32_t)day,
	        .order = (uint32_t)vec->n << 2 | metric,
	};
	vec->n++;
	return 0;
}

/* One element of stats: an object of "YYYY-MM-DD": number (or null, skipped). */
static int au_stat(struct wj *w, struct au_vec *vec, const json_t *st, const char *platform,
                   unsigned metric)
{
	const char *key;
	json_t *val;
	if (wj_expect(w, st, JSON_OBJECT))
		return -1;
	json_object_foreach((json_t *)st, key, val)
	{
		int64_t e;
		struct num n;
		if (ts_parse_day(key, &e) != 0) {
			char q[WJ_QUOTE_MAX];
			return wj_fail(w, "not a day (YYYY-MM-DD): %s",
			               wj_quote(q, sizeof(q), key, strlen(key)));
		}
		size_t p = wj_key(w, key);
		if (wj_num_value(w, val, &n))
			return -1;
		wj_pop(w, p);
		if (n.kind != NUM_NULL && au_add(w, vec, platform, e / 86400, val, metric))
			return -1;
	}
	return 0;
}

/* One platform {name, stats:[...]} of one metric. */
static int au_platform(struct wj *w, struct au_vec *vec, const json_t *pl, unsigned metric)
{
	const char *name;
	size_t len;
	const json_t *stats;
	if (wj_expect(w, pl, JSON_OBJECT) || wj_str(w, pl, "name", true, &name, &len) ||
	    wj_opt_array(w, pl, "stats", &stats))
		return -1;
	size_t s0 = wj_key(w, "stats");
	for (size_t j = 0; stats && j < json_array_size(stats); j++) {
		size_t p = wj_index(w, j);
		if (au_stat(w, vec, json_array_get(stats, j), name, metric))
			return -1;
		wj_pop(w, p);
	}
	wj_pop(w, s0);
	return 0;
}

/* Collect every non-null value of DAU, WAU and MAU; other keys of data are ignored. */
static int au_collect(struct wj *w, const json_t *data, struct au_vec *vec)
{
	for (unsigned m = 0; m < AU_METRICS; m++) {
		const json_t *list;
		if (wj_opt_array(w, data, au_names[m], &list))
			return -1;
		size_t m0 = wj_key(w, au_names[m]);
		for (size_t i = 0; list && i < json_array_size(list); i++) {
			size_t p = wj_index(w, i);
			if (au_platform(w, vec, json_array_get(list, i), m))
				return -1;
			wj_pop(w, p);
		}
		wj_pop(w, m0);
	}
	return 0;
}

/* Emit one row per run of equal (platform, day) of the sorted entries. */
static int au_emit(struct wj *w, const struct au_vec *vec)
{
	struct row_active *r = NULL;
	const char *platform = NULL; /* the arena copy of the current platform */
	for (size_t i = 0; i < vec->n; i++) {
		const struct au_entry *e = &vec->v[i];
		const struct au_entry *prev = i ? &vec->v[i - 1] : NULL;
		bool new_platform = !prev || strcmp(prev->platform, e->platform) != 0;
		if (new_platform && wj_dup(w, e->platform, strlen(e->platform), &platform))
			return -1;
		if (new_platform || prev->day != e->day) {
			if (!(r = wj_push(w)))
				return -1;
			ts_format_day((int64_t)e->day * 86400, r->day);
			r->platform = platform;
		}
		struct num n;
		if (wj_num_value(w, e->value, &n))
			return -1;
		switch (e->order & 3) {
		case AU_DAU:
			r->dau = n;
			break;
		case AU_WAU:
			r->wau = n;
			break;
		default:
			r->mau = n;
			break;
		}
	}
	return 0;
}

int weapi_parse_active_users(const json_t *data, struct rowset *rs, char *err, size_t errlen)
{
	struct wj w;
	struct au_vec vec = {0};
	wj_init(&w, rs, "data", err, errlen);
	if (wj_expect(&w, data, JSON_OBJECT))
		return wj_done(&w, -1);
	wj_pop(&w, 0); /* fields of data are named from the top: "DAU[0].stats[1]" */
	size_t room = rowset_room(rs);
	vec.limit = room > AU_MAX_ENTRIES / AU_METRICS ? AU_MAX_ENTRIES : room * AU_METRICS;
	int rc = au_collect(&w, data, &vec);
	if (rc == 0) {
		if (vec.n > 1)
			qsort(vec.v, vec.n, sizeof(*vec.v), au_cmp);
		rc = au_emit(&w, &vec);
	}
	free(vec.v);
	return wj_done(&w, rc);
}
