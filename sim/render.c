/*
 * render.c: the JSON bodies of docs/api.md, written straight into a jb buffer
 * from the data function (no intermediate JSON tree: the server renders
 * thousands of pages a second). Key order follows docs/api.md; fields the data
 * function marks absent are left out, null ones are written as null, and
 * accounts with TRAIT_EXTRA get unknown extra fields a client must ignore.
 * Every function appends to b; the caller checks b->oom.
 */
#include "wesim.h"

#include <string.h>

#define OPEN_SUCCESS "{\"response\":{\"status\":\"success\",\"message\":\"success\",\"data\":"

void render_envelope_open(struct jb *b)
{
	jb_put(b, OPEN_SUCCESS, sizeof(OPEN_SUCCESS) - 1);
}

void render_envelope_close(struct jb *b)
{
	jb_put(b, "}}", 2);
}

/* {"response":{"status":"error","message":MESSAGE}} */
void render_error(struct jb *b, const char *message)
{
	jb_puts(b, "{\"response\":{\"status\":\"error\",\"message\":");
	jb_str(b, message);
	jb_put(b, "}}", 2);
}

/* ceil(total / page_size); page_size >= 1. */
uint32_t render_pages(uint32_t total, uint32_t page_size)
{
	return (uint32_t)(((uint64_t)total + page_size - 1) / page_size);
}

static void metric(struct jb *b, const struct wsim_metric *m)
{
	jb_puts(b, "{\"name\":");
	jb_str(b, m->name);
	jb_puts(b, ",\"value\":");
	jb_num(b, &m->v);
	jb_putc(b, '}');
}

/* POST /v2/accounts/{lc}/stats: one entry per day of [day0, day1]. */
void render_stats(struct jb *b, uint64_t seed, const struct wsim_account *a, int64_t day0,
                  int64_t day1, uint16_t requested)
{
	render_envelope_open(b);
	jb_putc(b, '[');
	for (int64_t day = day0; day <= day1; day++) {
		char ds[16];
		struct wsim_dim dims[WSIM_MAX_DIMS];
		int n = data_stats_dims(seed, a, day, requested, dims);
		wsim_format_day(day, ds);
		if (day != day0)
			jb_putc(b, ',');
		jb_puts(b, "{\"date\":");
		jb_str(b, ds);
		if (a->traits & TRAIT_EXTRA)
			jb_puts(b, ",\"granularity\":\"DAY\"");
		jb_puts(b, ",\"dimensions\":[");
		for (int i = 0; i < n; i++) {
			if (i)
				jb_putc(b, ',');
			jb_puts(b, "{\"value\":");
			jb_str(b, dims[i].value);
			if (dims[i].extra) {
				jb_puts(b, ",\"label\":");
				jb_str(b, dims[i].value);
			}
			jb_puts(b, ",\"metrics\":[");
			for (int m = 0; m < dims[i].n; m++) {
				if (m)
					jb_putc(b, ',');
				metric(b, &dims[i].m[m]);
			}
			jb_put(b, "]}", 2);
		}
		jb_put(b, "]}", 2);
	}
	jb_putc(b, ']');
	render_envelope_close(b);
}

/* ,"key":value for a stat that is not absent */
static void stat(struct jb *b, bool *first, const char *key, const struct wsim_num *v)
{
	if (v->kind == NUM_ABSENT)
		return;
	if (!*first)
		jb_putc(b, ',');
	*first = false;
	jb_putc(b, '"');
	jb_puts(b, key);
	jb_put(b, "\":", 2);
	jb_num(b, v);
}

static void campaign(struct jb *b, const struct wsim_campaign *c)
{
	jb_puts(b, "{\"id\":");
	jb_str(b, c->id);
	jb_puts(b, ",\"title\":");
	jb_str(b, c->title);
	jb_puts(b, ",\"status\":");
	jb_str(b, c->status);
	jb_puts(b, ",\"category\":");
	jb_str(b, c->category);
	if (c->created_on.kind != TS_ABSENT) {
		jb_puts(b, ",\"createdOn\":");
		jb_ts(b, &c->created_on);
	}
	if (c->start_date.kind != TS_ABSENT) {
		jb_puts(b, ",\"startDate\":");
		jb_ts(b, &c->start_date);
	}
	if (c->stats == STATS_NULL) {
		jb_puts(b, ",\"stats\":null");
	} else if (c->stats == STATS_OBJECT) {
		bool first = true;
		jb_puts(b, ",\"stats\":{");
		stat(b, &first, "sent", &c->sent);
		stat(b, &first, "delivered", &c->delivered);
		stat(b, &first, c->click_singular ? "click" : "clicks", &c->clicks);
		stat(b, &first, "clickThroughConversion", &c->conversions);
		stat(b, &first, "clickThroughRevenue", &c->revenue);
		jb_putc(b, '}');
	}
	if (c->extra == 1)
		jb_puts(b, ",\"segment\":{\"id\":\"seg-1\",\"name\":\"All users\"}");
	else if (c->extra == 2)
		jb_puts(b, ",\"tags\":[\"q4\",\"promo\"],\"variantCount\":2");
	jb_putc(b, '}');
}

/*
 * GET /v1/accounts/{lc}/{channel path}: page page_no (>= 1) of page_size
 * (>= 1) campaigns. numberOfPages is the truth unless pages_override >= 0
 * (the pagecount fault). A page past the end has empty contents.
 */
void render_campaign_page(struct jb *b, uint64_t seed, const struct wsim_account *a, int ch,
                          uint32_t page_no, uint32_t page_size, int64_t pages_override)
{
	uint32_t total = data_campaign_count(seed, a, ch);
	uint64_t first = (uint64_t)(page_no - 1) * page_size;
	uint64_t end = first + page_size < total ? first + page_size : total;
	render_envelope_open(b);
	jb_puts(b, "{\"pageNo\":");
	jb_int(b, page_no);
	jb_puts(b, ",\"pageSize\":");
	jb_int(b, page_size);
	jb_puts(b, ",\"numberOfPages\":");
	jb_int(b, pages_override >= 0 ? pages_override : render_pages(total, page_size));
	if (a->traits & TRAIT_EXTRA) {
		jb_puts(b, ",\"totalCount\":");
		jb_int(b, total);
	}
	jb_puts(b, ",\"contents\":[");
	for (uint64_t j = first; j < end; j++) {
		struct wsim_campaign c;
		data_campaign(seed, a, ch, (uint32_t)j, &c);
		if (j != first)
			jb_putc(b, ',');
		campaign(b, &c);
	}
	jb_put(b, "]}", 2);
	render_envelope_close(b);
}

/* GET /v1/accounts/{lc}/team-members: as render_campaign_page, without pageSize (docs/api.md). */
void render_team_page(struct jb *b, uint64_t seed, const struct wsim_account *a, uint32_t page_no,
                      uint32_t page_size, int64_t pages_override)
{
	uint32_t total = data_team_size(seed, a);
	uint64_t first = (uint64_t)(page_no - 1) * page_size;
	uint64_t end = first + page_size < total ? first + page_size : total;
	render_envelope_open(b);
	jb_puts(b, "{\"pageNo\":");
	jb_int(b, page_no);
	jb_puts(b, ",\"numberOfPages\":");
	jb_int(b, pages_override >= 0 ? pages_override : render_pages(total, page_size));
	if (a->traits & TRAIT_EXTRA) {
		jb_puts(b, ",\"totalCount\":");
		jb_int(b, total);
	}
	jb_puts(b, ",\"contents\":[");
	for (uint64_t k = first; k < end; k++) {
		struct wsim_member m;
		data_member(seed, a, (uint32_t)k, &m);
		if (k != first)
			jb_putc(b, ',');
		jb_puts(b, "{\"email\":");
		jb_str(b, m.email);
		jb_puts(b, ",\"name\":");
		if (m.name_null)
			jb_puts(b, "null");
		else
			jb_str(b, m.name);
		jb_puts(b, ",\"role\":");
		jb_str(b, m.role);
		jb_puts(b, ",\"status\":");
		jb_str(b, m.status);
		jb_puts(b, ",\"lastLoginAt\":");
		jb_ts(b, &m.last_login);
		if (m.extra)
			jb_puts(b, ",\"phone\":null,\"teams\":[\"growth\"]");
		jb_putc(b, '}');
	}
	jb_put(b, "]}", 2);
	render_envelope_close(b);
}

/*
 * GET /v1/accounts/{lc}/publisher-metrics: for each requested metric (in
 * request order) one entry per existing platform, each with the days of
 * [day0, day1] that have a value, in day order.
 */
void render_publisher(struct jb *b, uint64_t seed, const struct wsim_account *a, int64_t day0,
                      int64_t day1, const int *metrics, int nmetrics)
{
	static const char *const display[WSIM_PLATFORMS] = {"Android", "iOS", "Web"};
	render_envelope_open(b);
	jb_putc(b, '{');
	for (int i = 0; i < nmetrics; i++) {
		if (i)
			jb_putc(b, ',');
		jb_str(b, wsim_au_names[metrics[i]]);
		jb_put(b, ":[", 2);
		bool first_p = true;
		for (int p = 0; p < WSIM_PLATFORMS; p++) {
			if (!(a->platforms & (1u << p)))
				continue;
			if (!first_p)
				jb_putc(b, ',');
			first_p = false;
			jb_puts(b, "{\"name\":");
			jb_str(b, wsim_platform_names[p]);
			if (a->traits & TRAIT_EXTRA) {
				jb_puts(b, ",\"displayName\":");
				jb_str(b, display[p]);
			}
			jb_puts(b, ",\"stats\":[");
			bool first_d = true;
			for (int64_t day = day0; day <= day1; day++) {
				int64_t v;
				if (!data_au_value(seed, a, p, metrics[i], day, &v))
					continue;
				char ds[16];
				wsim_format_day(day, ds);
				if (!first_d)
					jb_putc(b, ',');
				first_d = false;
				jb_putc(b, '{');
				jb_str(b, ds);
				jb_putc(b, ':');
				jb_int(b, v);
				jb_putc(b, '}');
			}
			jb_put(b, "]}", 2);
		}
		jb_putc(b, ']');
	}
	jb_putc(b, '}');
	render_envelope_close(b);
}
