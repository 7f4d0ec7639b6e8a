/*
 * fuzz_weapi.c: the driver of the weapi harnesses (fuzz_weapi.h): an
 * untrusted HTTP body through weapi_envelope and one stream's parser, with
 * the contracts of include/weapi.h checked on every input.
 *
 * Properties checked:
 *  - envelope: on failure *root and *data are NULL and the message is not
 *    empty; on success both are set. The same with a 16-byte error buffer
 *    and with none at all (err NULL): the same verdict, no overflow.
 *  - parser failure: -1 leaves the rowset as it was (n == 0 here), *pg
 *    untouched, and a non-empty message; the same verdict with err NULL
 *    into a rowset that already holds a row, which keeps that row only.
 *  - parser success: every row is well-formed for its stream (required
 *    strings present and non-empty, every string at most WEAPI_MAX_STRING
 *    bytes, numbers of a valid kind and finite, days and instants in the
 *    store's canonical form, "goal" renamed, active-user rows strictly
 *    ordered by platform then day, each with at least one metric); page
 *    counters in range with n_contents equal to the rows of a page.
 *  - appending: parsing the same data again into the same rowset succeeds
 *    and appends an identical copy of the rows.
 *  - the bound: a rowset with max_rows one below the rows produced (when
 *    that is at least 1) fails with exactly "stream has more than N rows
 *    (max_stream_rows)" and keeps no row.
 * Every rowset is freed and the document released after each input, so
 * LeakSanitizer sees any leak of the parsers. With FUZZ_VERBOSE set in the
 * environment, the verdict (the error, or the number of rows) goes to
 * stderr (for reading a reproducer).
 */
#include "fuzz_weapi.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ts.h"
#include "weapi.h"

/* A page no parser would write: tells "untouched" from "written". */
static const struct weapi_page page_sentinel = {-7, -7, 777};

/* s is NULL (only when !required) or a C string of 1 (0 when !required) to WEAPI_MAX_STRING bytes. */
static void check_str(const char *s, bool required, const char *what)
{
	if (required)
		FUZZ_CHECK(s != NULL && s[0] != '\0', "%s: required, got %s", what,
		           s ? "\"\"" : "NULL");
	if (s)
		FUZZ_CHECK(strlen(s) <= WEAPI_MAX_STRING, "%s: %zu bytes", what, strlen(s));
}

/* A struct num is NULL, an integer or a finite real. */
static void check_num(const struct num *n, const char *what)
{
	FUZZ_CHECK(n->kind == NUM_NULL || n->kind == NUM_INT || n->kind == NUM_REAL, "%s: kind %d",
	           what, (int)n->kind);
	if (n->kind == NUM_REAL)
		FUZZ_CHECK(isfinite(n->d), "%s: %g", what, n->d);
}

/* An instant is "" (NULL) or canonical "YYYY-MM-DDTHH:MM:SSZ": ts_format(ts_parse(x)) == x. */
static void check_instant(const char *ts, const char *what)
{
	if (ts[0] == '\0')
		return;
	int64_t e;
	char back[TS_LEN];
	FUZZ_CHECK(strlen(ts) == TS_LEN - 1, "%s: \"%s\"", what, ts);
	FUZZ_CHECK(ts_parse(ts, &e) == 0, "%s: \"%s\" does not parse", what, ts);
	ts_format(e, back);
	FUZZ_CHECK(strcmp(back, ts) == 0, "%s: \"%s\" formats back as \"%s\"", what, ts, back);
}

/* A day is canonical "YYYY-MM-DD" of a real calendar day. */
static void check_day(const char *day, const char *what)
{
	int64_t e;
	char back[DAY_LEN];
	FUZZ_CHECK(ts_parse_day(day, &e) == 0, "%s: \"%s\" is not a day", what, day);
	ts_format_day(e, back);
	FUZZ_CHECK(strcmp(back, day) == 0, "%s: \"%s\" formats back as \"%s\"", what, day, back);
}

/* Row i of rs (stream s) is well-formed; channel is what the campaigns parser was given. */
static void check_row(enum stream s, const struct rowset *rs, size_t i, const char *channel)
{
	switch (s) {
	case STREAM_STATS: {
		const struct row_feature *r = ROWSET_AT(rs, struct row_feature, i);
		check_day(r->day, "stats day");
		check_str(r->feature, true, "stats feature");
		check_str(r->metric, true, "stats metric");
		FUZZ_CHECK(strcmp(r->metric, "goal") != 0, "row %zu: goal was not renamed", i);
		check_num(&r->value, "stats value");
		FUZZ_CHECK(r->value.kind != NUM_NULL, "row %zu: a null value made a row", i);
		break;
	}
	case STREAM_CAMPAIGNS: {
		const struct row_campaign *r = ROWSET_AT(rs, struct row_campaign, i);
		FUZZ_CHECK(r->channel && strcmp(r->channel, channel) == 0, "row %zu: channel %s", i,
		           r->channel ? r->channel : "NULL");
		check_str(r->campaign_id, true, "campaign id");
		check_str(r->title, false, "campaign title");
		check_str(r->status, false, "campaign status");
		check_str(r->category, false, "campaign category");
		check_instant(r->created_on, "campaign createdOn");
		check_instant(r->start_date, "campaign startDate");
		check_num(&r->sent, "sent");
		check_num(&r->delivered, "delivered");
		check_num(&r->clicks, "clicks");
		check_num(&r->conversions, "conversions");
		check_num(&r->revenue, "revenue");
		break;
	}
	case STREAM_ACTIVE_USERS: {
		const struct row_active *r = ROWSET_AT(rs, struct row_active, i);
		check_day(r->day, "active users day");
		check_str(r->platform, true, "active users platform");
		check_num(&r->dau, "dau");
		check_num(&r->wau, "wau");
		check_num(&r->mau, "mau");
		FUZZ_CHECK(r->dau.kind != NUM_NULL || r->wau.kind != NUM_NULL ||
		                   r->mau.kind != NUM_NULL,
		           "row %zu: no metric at all", i);
		if (i > 0) {
			const struct row_active *p = ROWSET_AT(rs, struct row_active, i - 1);
			int c = strcmp(p->platform, r->platform);
			FUZZ_CHECK(c < 0 || (c == 0 && strcmp(p->day, r->day) < 0),
			           "rows %zu, %zu: (%s, %s) then (%s, %s): not strictly ordered",
			           i - 1, i, p->platform, p->day, r->platform, r->day);
		}
		break;
	}
	case STREAM_TEAM:
	default: {
		const struct row_seat *r = ROWSET_AT(rs, struct row_seat, i);
		check_str(r->email, true, "seat email");
		check_str(r->name, false, "seat name");
		check_str(r->role, false, "seat role");
		check_str(r->status, false, "seat status");
		check_instant(r->last_login_at, "seat lastLoginAt");
		break;
	}
	}
}

/* Two strings of rows are equal: both NULL or both the same text. */
static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool num_eq(const struct num *a, const struct num *b)
{
	return a->kind == b->kind && (a->kind != NUM_INT || a->i == b->i) &&
	       (a->kind != NUM_REAL || memcmp(&a->d, &b->d, sizeof(a->d)) == 0);
}

/* Rows i and j of rs hold the same values (strings compared as text). */
static bool row_eq(enum stream s, const struct rowset *rs, size_t i, size_t j)
{
	switch (s) {
	case STREAM_STATS: {
		const struct row_feature *a = ROWSET_AT(rs, struct row_feature, i),
		                         *b = ROWSET_AT(rs, struct row_feature, j);
		return strcmp(a->day, b->day) == 0 && str_eq(a->feature, b->feature) &&
		       str_eq(a->metric, b->metric) && num_eq(&a->value, &b->value);
	}
	case STREAM_CAMPAIGNS: {
		const struct row_campaign *a = ROWSET_AT(rs, struct row_campaign, i),
		                          *b = ROWSET_AT(rs, struct row_campaign, j);
		return str_eq(a->channel, b->channel) && str_eq(a->campaign_id, b->campaign_id) &&
		       str_eq(a->title, b->title) && str_eq(a->status, b->status) &&
		       str_eq(a->category, b->category) &&
		       strcmp(a->created_on, b->created_on) == 0 &&
		       strcmp(a->start_date, b->start_date) == 0 && num_eq(&a->sent, &b->sent) &&
		       num_eq(&a->delivered, &b->delivered) && num_eq(&a->clicks, &b->clicks) &&
		       num_eq(&a->conversions, &b->conversions) && num_eq(&a->revenue, &b->revenue);
	}
	case STREAM_ACTIVE_USERS: {
		const struct row_active *a = ROWSET_AT(rs, struct row_active, i),
		                        *b = ROWSET_AT(rs, struct row_active, j);
		return strcmp(a->day, b->day) == 0 && str_eq(a->platform, b->platform) &&
		       num_eq(&a->dau, &b->dau) && num_eq(&a->wau, &b->wau) &&
		       num_eq(&a->mau, &b->mau);
	}
	case STREAM_TEAM:
	default: {
		const struct row_seat *a = ROWSET_AT(rs, struct row_seat, i),
		                      *b = ROWSET_AT(rs, struct row_seat, j);
		return str_eq(a->email, b->email) && str_eq(a->name, b->name) &&
		       str_eq(a->role, b->role) && str_eq(a->status, b->status) &&
		       strcmp(a->last_login_at, b->last_login_at) == 0;
	}
	}
}

/* The parser of stream s; pg is written by the paginated streams only. */
static int parse(enum stream s, const json_t *data, const char *channel, struct rowset *rs,
                 struct weapi_page *pg, char *err, size_t errlen)
{
	switch (s) {
	case STREAM_STATS:
		return weapi_parse_stats(data, rs, err, errlen);
	case STREAM_CAMPAIGNS:
		return weapi_parse_campaigns(data, channel, rs, pg, err, errlen);
	case STREAM_ACTIVE_USERS:
		return weapi_parse_active_users(data, rs, err, errlen);
	case STREAM_TEAM:
	default:
		return weapi_parse_team(data, rs, pg, err, errlen);
	}
}

/* The envelope's verdict on the body, checked with a full, a tiny and no error buffer. */
static int envelope(const uint8_t *body, size_t size, json_t **root, json_t **data)
{
	char err[512], tiny[16];
	json_t *r2, *d2;
	int rc = weapi_envelope((const char *)body, size, root, data, err, sizeof(err));
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "weapi_envelope: %d %s\n", rc, err);
	if (rc != 0) {
		FUZZ_CHECK(rc == -1, "weapi_envelope returned %d", rc);
		FUZZ_CHECK(*root == NULL && *data == NULL, "failure left a document behind");
		FUZZ_CHECK(err[0] != '\0', "failure without a message");
		FUZZ_CHECK(weapi_envelope((const char *)body, size, &r2, &d2, tiny, sizeof(tiny)) ==
		                   -1,
		           "verdict changed with a 16-byte error buffer");
		FUZZ_CHECK(strlen(tiny) < sizeof(tiny) && r2 == NULL && d2 == NULL,
		           "a 16-byte error buffer");
		FUZZ_CHECK(weapi_envelope((const char *)body, size, &r2, &d2, NULL, 0) == -1,
		           "verdict changed without an error buffer");
		FUZZ_CHECK(r2 == NULL && d2 == NULL, "failure left a document behind (err NULL)");
		return -1;
	}
	FUZZ_CHECK(*root != NULL && *data != NULL, "success without root or data");
	FUZZ_CHECK(err[0] == '\0', "success with a message: %s", err);
	return 0;
}

/* What must hold after a failed parse of data into a rowset that was empty. */
static void check_failure(enum stream s, const json_t *data, const char *channel,
                          const struct rowset *rs, const struct weapi_page *pg, const char *err)
{
	FUZZ_CHECK(rs->n == 0, "a failed parse kept %zu rows (%s)", rs->n, err);
	FUZZ_CHECK(err[0] != '\0', "a failed parse without a message");
	FUZZ_CHECK(memcmp(pg, &page_sentinel, sizeof(*pg)) == 0,
	           "a failed parse wrote the page counters (%s)", err);
	/* Into a rowset that already holds a row, without an error buffer: that row stays. */
	struct rowset again;
	rowset_init(&again, s, 0);
	FUZZ_CHECK(rowset_push(&again) != NULL, "out of memory");
	int rc = parse(s, data, channel, &again, NULL, NULL, 0);
	FUZZ_CHECK(rc == -1 && again.n == 1, "without an error buffer: rc %d, %zu rows", rc,
	           again.n);
	rowset_free(&again);
}

/* What must hold after data gave n1 rows into rs: rows, pages, appending, the bound. */
static void check_success(enum stream s, const json_t *data, const char *channel, struct rowset *rs,
                          const struct weapi_page *pg)
{
	char err[512], want[64];
	size_t n1 = rs->n;
	for (size_t i = 0; i < n1; i++)
		check_row(s, rs, i, channel);
	if (s == STREAM_CAMPAIGNS || s == STREAM_TEAM) {
		FUZZ_CHECK(pg->page_no >= 1 && pg->page_no <= WEAPI_MAX_PAGES, "pageNo %lld",
		           (long long)pg->page_no);
		FUZZ_CHECK(pg->number_of_pages >= 0 && pg->number_of_pages <= WEAPI_MAX_PAGES,
		           "numberOfPages %lld", (long long)pg->number_of_pages);
		FUZZ_CHECK(pg->n_contents == n1, "n_contents %zu, rows %zu", pg->n_contents, n1);
	}

	/* The same answer again appends the same rows after the first ones. */
	int rc = parse(s, data, channel, rs, NULL, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "the second parse of the same data failed: %s", err);
	FUZZ_CHECK(rs->n == 2 * n1, "the second parse made %zu rows, the first %zu", rs->n - n1,
	           n1);
	for (size_t i = 0; i < n1; i++)
		FUZZ_CHECK(row_eq(s, rs, i, n1 + i), "row %zu differs from its copy %zu", i,
		           n1 + i);

	/* One row short of room: refused whole, with the bound named. */
	if (n1 >= 2) {
		struct rowset small;
		struct weapi_page p2 = page_sentinel;
		rowset_init(&small, s, n1 - 1);
		rc = parse(s, data, channel, &small, &p2, err, sizeof(err));
		snprintf(want, sizeof(want), "stream has more than %zu rows (max_stream_rows)",
		         n1 - 1);
		FUZZ_CHECK(rc == -1 && small.n == 0 && strcmp(err, want) == 0,
		           "max_rows %zu: rc %d, %zu rows, \"%s\"", n1 - 1, rc, small.n, err);
		FUZZ_CHECK(memcmp(&p2, &page_sentinel, sizeof(p2)) == 0,
		           "a refused page wrote the page counters");
		rowset_free(&small);
	}
}

int fuzz_weapi_run(enum stream s, const uint8_t *data, size_t size)
{
	json_t *root, *jdata;
	if (envelope(data, size, &root, &jdata) != 0)
		return 0;
	const char *channel = weapi_channels[size % WEAPI_N_CHANNELS].channel;
	char err[512];
	struct rowset rs;
	struct weapi_page pg = page_sentinel;
	rowset_init(&rs, s, 0);
	int rc = parse(s, jdata, channel, &rs, &pg, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "parser returned %d", rc);
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "%s parser: %d, %zu rows %s\n", stream_name(s), rc, rs.n,
		        rc ? err : "");
	if (rc == 0)
		check_success(s, jdata, channel, &rs, &pg);
	else
		check_failure(s, jdata, channel, &rs, &pg, err);
	rowset_free(&rs);
	json_decref(root);
	return 0;
}
