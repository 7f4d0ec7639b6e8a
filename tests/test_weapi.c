/*
 * test_weapi.c: src/weapi.c (URLs, window, stats body), src/weapi_envelope.c
 * and the answer parsers of src/weapi_parse.c and src/weapi_active.c.
 *
 * The answers are the files of tests/fixtures/api/ (see its README.md):
 * one table maps each file to the exact rows it must give, rendered one
 * line per row with every field and the kind of every number ("i:1200",
 * "r:1234.5", "null"; "NULL" for a NULL string), or to the exact error.
 * Every parse starts with one sentinel row already in the rowset, so each
 * case also checks that a failed parse leaves the rowset as it was and a
 * good one appends after what is there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ts.h"
#include "weapi.h"

/* ---- helpers ---------------------------------------------------------- */

/* Read tests/fixtures/api/<name> whole; *len is its size (it may hold NULs). */
static char *load_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("FIXTURES");
	char path[1024];
	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/api/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s", path);
	char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* A number with its kind; reals in the shortest form that reads back exactly. */
static void put_num(FILE *f, const struct num *v)
{
	if (v->kind == NUM_NULL) {
		fputs("null", f);
	} else if (v->kind == NUM_INT) {
		fprintf(f, "i:%lld", (long long)v->i);
	} else {
		char buf[64];
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, v->d);
			if (strtod(buf, NULL) == v->d)
				break;
		}
		fprintf(f, "r:%s", buf);
	}
}

static void put_str(FILE *f, const char *s)
{
	fputs(s ? s : "NULL", f);
}

/* Every row of rs from index `from` on, one line each, fields joined by '|'. */
static char *render(const struct rowset *rs, size_t from)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	for (size_t i = from; i < rs->n; i++) {
		switch (rs->stream) {
		case STREAM_STATS: {
			const struct row_feature *r = ROWSET_AT(rs, struct row_feature, i);
			fprintf(f, "%s|%s|%s|", r->day, r->feature, r->metric);
			put_num(f, &r->value);
			break;
		}
		case STREAM_CAMPAIGNS: {
			const struct row_campaign *r = ROWSET_AT(rs, struct row_campaign, i);
			fprintf(f, "%s|%s|", r->channel, r->campaign_id);
			put_str(f, r->title);
			fputc('|', f);
			put_str(f, r->status);
			fputc('|', f);
			put_str(f, r->category);
			fprintf(f, "|%s|%s|", r->created_on, r->start_date);
			const struct num *nums[] = {&r->sent, &r->delivered, &r->clicks,
			                            &r->conversions, &r->revenue};
			for (size_t k = 0; k < 5; k++) {
				if (k)
					fputc('|', f);
				put_num(f, nums[k]);
			}
			break;
		}
		case STREAM_ACTIVE_USERS: {
			const struct row_active *r = ROWSET_AT(rs, struct row_active, i);
			fprintf(f, "%s|%s|", r->day, r->platform);
			put_num(f, &r->dau);
			fputc('|', f);
			put_num(f, &r->wau);
			fputc('|', f);
			put_num(f, &r->mau);
			break;
		}
		case STREAM_TEAM:
		default: {
			const struct row_seat *r = ROWSET_AT(rs, struct row_seat, i);
			fprintf(f, "%s|", r->email);
			put_str(f, r->name);
			fputc('|', f);
			put_str(f, r->role);
			fputc('|', f);
			put_str(f, r->status);
			fprintf(f, "|%s", r->last_login_at);
			break;
		}
		}
		fputc('\n', f);
	}
	fclose(f);
	return out;
}

/* ---- the fixture table ------------------------------------------------- */

struct fx {
	const char *file;
	enum stream stream;
	const char *channel; /* campaigns only */
	size_t max_rows;     /* 0: the default; counts the sentinel row */
	const char *rows;    /* expected rows (after the sentinel), or NULL when err */
	const char *page;    /* "pageNo/numberOfPages n=contents" for paginated streams */
	const char *err;     /* the exact error, or NULL */
};

#define S STREAM_STATS
#define C STREAM_CAMPAIGNS
#define A STREAM_ACTIVE_USERS
#define T STREAM_TEAM

static const struct fx fixtures[] = {
        /* ---- stream 1: channel statistics */
        {"stats_example.json", S, NULL, 0,
         "2026-11-22|PUSH_NOTIFICATION|users|i:1200\n"
         "2026-11-22|PUSH_NOTIFICATION|campaigns|i:3\n"
         "2026-11-22|PUSH_NOTIFICATION|deliveries|i:4100\n"
         "2026-11-22|PUSH_NOTIFICATION|clicks|i:210\n"
         "2026-11-22|PUSH_NOTIFICATION|revenue|r:1234.5\n"
         "2026-11-22|PUSH_NOTIFICATION|conversions|i:17\n"
         "2026-11-22|EMAIL|users|i:90\n"
         "2026-11-22|EMAIL|revenue|r:0.25\n"
         "2026-11-23|PUSH_NOTIFICATION|users|i:1310\n",
         NULL, NULL},
        {"stats_variants.json", S, NULL, 0,
         "2026-11-22|CARRIER_PIGEON|pigeons|i:4\n"
         "2026-11-22|CARRIER_PIGEON|revenue|i:12\n"
         "2026-11-22|CARRIER_PIGEON|clicks|r:2\n"
         "2026-11-22|CARRIER_PIGEON|conversions|i:-3\n",
         NULL, NULL},
        {"stats_empty.json", S, NULL, 0, "", NULL, NULL},
        {"stats_numbers.json", S, NULL, 0,
         "2026-11-22|OVERALL|a|i:9223372036854775807\n"
         "2026-11-22|OVERALL|b|i:-9223372036854775808\n"
         "2026-11-22|OVERALL|c|r:1e+308\n"
         "2026-11-22|OVERALL|d|r:0.1\n"
         "2026-11-22|OVERALL|e|r:1e+02\n" /* the real 100.0 */
         "2026-11-22|OVERALL|f|i:0\n"
         "2026-11-22|OVERALL|g|r:-0.5\n",
         NULL, NULL},
        /* non-finite numbers cannot be written in JSON; overflowing literals are refused */
        {"stats_int_overflow.json", S, NULL, 0, NULL, NULL,
         "malformed JSON at byte 167: too big integer near '9223372036854775808'"},
        {"stats_real_overflow.json", S, NULL, 0, NULL, NULL,
         "malformed JSON at byte 153: real number overflow near '1e400'"},
        {"stats_nan.json", S, NULL, 0, NULL, NULL,
         "malformed JSON at byte 151: invalid token near 'NaN'"},
        {"stats_verbatim.json", S, NULL, 0, NULL, NULL,
         "malformed JSON at byte 380: invalid token near '.'"},
        {"stats_string_value.json", S, NULL, 0, NULL, NULL,
         "data[2].dimensions[0].metrics[1].value: expected a number, got a string"},
        {"stats_bad_date.json", S, NULL, 0, NULL, NULL,
         "data[0].date: not a day (YYYY-MM-DD): \"2026-11-31\""},
        {"stats_missing_date.json", S, NULL, 0, NULL, NULL, "data[0].date: missing"},
        {"stats_missing_name.json", S, NULL, 0, NULL, NULL,
         "data[0].dimensions[0].metrics[0].name: missing"},
        {"stats_missing_dimension_value.json", S, NULL, 0, NULL, NULL,
         "data[0].dimensions[1].value: missing"},
        {"stats_nested_value.json", S, NULL, 0, NULL, NULL,
         "data[0].dimensions[0].metrics[0].value: expected a number, got an object"},
        {"stats_bool_value.json", S, NULL, 0, NULL, NULL,
         "data[0].dimensions[0].metrics[0].value: expected a number, got a boolean"},
        {"stats_data_object.json", S, NULL, 0, NULL, NULL,
         "data: expected an array, got an object"},
        {"stats_long_string.json", S, NULL, 0, NULL, NULL,
         "data[0].dimensions[0].value: string too long (5000 bytes, limit 4096)"},
        {"env_data_null.json", S, NULL, 0, NULL, NULL, "data: expected an array, got null"},
        {"stats_example.json", S, NULL, 4, NULL, NULL,
         "stream has more than 4 rows (max_stream_rows)"},

        /* ---- stream 2: campaigns */
        {"campaigns_example.json", C, "PUSH_NOTIFICATION", 0,
         "PUSH_NOTIFICATION|~1a2b3c|Winter sale|RUNNING|PROMOTIONAL|2026-10-01T10:00:00Z|"
         "2026-10-02T09:00:00Z|i:1000|i:950|i:40|i:6|r:310.5\n",
         "1/3 n=1", NULL},
        {"campaigns_click.json", C, "EMAIL", 0,
         "EMAIL|c-click|NULL|NULL|NULL|||i:10|null|i:4|null|null\n"
         "EMAIL|c-both|NULL|NULL|NULL|||i:10|null|i:5|null|null\n"
         "EMAIL|c-clicks-null|NULL|NULL|NULL|||null|null|i:6|null|null\n"
         "EMAIL|c-neither|NULL|NULL|NULL|||i:10|null|null|null|null\n",
         "2/2 n=4", NULL},
        {"campaigns_missing_stats.json", C, "SMS", 0,
         "SMS|no-stats|T1|NULL|NULL|||null|null|null|null|null\n"
         "SMS|null-stats|NULL|NULL|NULL|||null|null|null|null|null\n"
         "SMS|empty-stats|NULL|NULL|NULL|||null|null|null|null|null\n"
         "SMS|some-null|NULL|NULL|NULL|||null|i:7|null|i:0|null\n",
         "1/1 n=4", NULL},
        {"campaigns_timestamps.json", C, "WEB_PUSH", 0,
         "WEB_PUSH|t1|NULL|NULL|NULL|2013-01-26T07:31:00Z|2026-11-20T08:01:00Z|"
         "null|null|null|null|null\n"
         "WEB_PUSH|t2|NULL|NULL|NULL|2025-09-30T18:30:00Z|2026-11-20T16:01:00Z|"
         "null|null|null|null|null\n"
         "WEB_PUSH|t3|NULL|NULL|NULL|||null|null|null|null|null\n"
         "WEB_PUSH|t4|NULL|NULL|NULL|||null|null|null|null|null\n",
         "1/1 n=4", NULL},
        {"campaigns_unknown_fields.json", C, "WHATSAPP", 0,
         "WHATSAPP|42|Numeric id|NULL|TRANSACTIONAL|||i:5|null|null|null|null\n"
         "WHATSAPP|-7|Ünïcödé ✓|NULL|NULL|||null|null|null|null|null\n"
         "WHATSAPP|9007199254740993|NULL|NULL|NULL|||null|null|null|null|null\n",
         "1/1 n=3", NULL},
        {"campaigns_empty.json", C, "SMS", 0, "", "1/0 n=0", NULL},
        {"campaigns_no_contents.json", C, "SMS", 0, "", "4/3 n=0", NULL},
        {"campaigns_bad_timestamp.json", C, "SMS", 0, NULL, NULL,
         "contents[4].createdOn: not a timestamp: \"yesterday\""},
        {"campaigns_bad_start.json", C, "SMS", 0, NULL, NULL,
         "contents[0].startDate: not a timestamp: \"2026-11-20T08:01:00\""},
        {"campaigns_missing_id.json", C, "SMS", 0, NULL, NULL, "contents[0].id: missing"},
        {"campaigns_null_id.json", C, "SMS", 0, NULL, NULL,
         "contents[1].id: expected a string or an integer, got null"},
        {"campaigns_empty_id.json", C, "SMS", 0, NULL, NULL, "contents[0].id: empty string"},
        {"campaigns_real_id.json", C, "SMS", 0, NULL, NULL,
         "contents[0].id: expected a string or an integer, got a real number"},
        {"campaigns_string_stat.json", C, "SMS", 0, NULL, NULL,
         "contents[0].stats.sent: expected a number, got a string"},
        {"campaigns_stats_array.json", C, "SMS", 0, NULL, NULL,
         "contents[0].stats: expected an object, got an array"},
        {"campaigns_title_object.json", C, "SMS", 0, NULL, NULL,
         "contents[0].title: expected a string, got an object"},
        {"campaigns_negative_page.json", C, "SMS", 0, NULL, NULL,
         "pageNo: out of range: -1 (expected 1..1000000)"},
        {"campaigns_page_zero.json", C, "SMS", 0, NULL, NULL,
         "pageNo: out of range: 0 (expected 1..1000000)"},
        {"campaigns_absurd_pages.json", C, "SMS", 0, NULL, NULL,
         "numberOfPages: out of range: 99999999999 (expected 0..1000000)"},
        {"campaigns_missing_pages.json", C, "SMS", 0, NULL, NULL, "numberOfPages: missing"},
        {"campaigns_page_string.json", C, "SMS", 0, NULL, NULL,
         "pageNo: expected an integer, got a string"},
        {"campaigns_page_real.json", C, "SMS", 0, NULL, NULL,
         "numberOfPages: expected an integer, got a real number"},
        {"campaigns_contents_object.json", C, "SMS", 0, NULL, NULL,
         "contents: expected an array, got an object"},
        {"campaigns_content_string.json", C, "SMS", 0, NULL, NULL,
         "contents[1]: expected an object, got a string"},
        {"campaigns_data_array.json", C, "SMS", 0, NULL, NULL,
         "data: expected an object, got an array"},
        {"campaigns_deep.json", C, "SMS", 0, NULL, NULL,
         "malformed JSON at byte 2163: maximum parsing depth reached near '['"},
        {"campaigns_example.json", C, "SMS", 1, NULL, NULL,
         "stream has more than 1 rows (max_stream_rows)"},

        /* ---- stream 3: active users */
        {"active_example.json", A, NULL, 0,
         "2026-11-22|android|i:1200|i:5000|null\n"
         "2026-11-23|android|i:1310|i:5100|r:20000.5\n"
         "2026-11-22|web|i:800|i:3100|null\n",
         NULL, NULL},
        {"active_variants.json", A, NULL, 0,
         "2026-11-22|ios|i:12|null|null\n"
         "2026-11-23|ios|null|null|i:99\n"
         "2026-11-24|ios|i:11|null|null\n",
         NULL, NULL},
        {"active_empty.json", A, NULL, 0, "", NULL, NULL},
        {"active_verbatim.json", A, NULL, 0, NULL, NULL,
         "malformed JSON at byte 205: invalid token near '.'"},
        {"active_bad_day.json", A, NULL, 0, NULL, NULL,
         "DAU[0].stats[1]: not a day (YYYY-MM-DD): \"2026-02-30\""},
        {"active_string_value.json", A, NULL, 0, NULL, NULL,
         "WAU[0].stats[0][\"2026-11-22\"]: expected a number, got a string"},
        {"active_missing_name.json", A, NULL, 0, NULL, NULL, "MAU[1].name: missing"},
        {"active_stat_not_object.json", A, NULL, 0, NULL, NULL,
         "DAU[0].stats[0]: expected an object, got an integer"},
        {"active_metric_object.json", A, NULL, 0, NULL, NULL,
         "DAU: expected an array, got an object"},
        {"env_data_null.json", A, NULL, 0, NULL, NULL, "data: expected an object, got null"},
        /* 8 values cannot make fewer than 3 rows: refused before the merge */
        {"active_example.json", A, NULL, 2, NULL, NULL,
         "stream has more than 2 rows (max_stream_rows)"},
        /* 4 values fit the bound, the third row does not */
        {"active_variants.json", A, NULL, 3, NULL, NULL,
         "stream has more than 3 rows (max_stream_rows)"},
        {"active_variants.json", A, NULL, 4,
         "2026-11-22|ios|i:12|null|null\n"
         "2026-11-23|ios|null|null|i:99\n"
         "2026-11-24|ios|i:11|null|null\n",
         NULL, NULL},

        /* ---- stream 4: team members */
        {"team_example.json", T, NULL, 0, "ana@example.com|Ana|ADMIN|ACTIVE|2026-11-20T08:01:00Z\n",
         "1/1 n=1", NULL},
        {"team_variants.json", T, NULL, 0,
         "bo@example.com|Bo|VIEWER|INVITED|\n"
         "cy@example.com|NULL|NULL|NULL|2025-09-30T18:30:00Z\n"
         "di@example.com|NULL|EDITOR|NULL|\n"
         "ed@example.com|NULL|NULL|NULL|2013-01-26T07:31:00Z\n",
         "2/5 n=4", NULL},
        {"team_empty.json", T, NULL, 0, "", "1/0 n=0", NULL},
        {"team_missing_email.json", T, NULL, 0, NULL, NULL, "contents[1].email: missing"},
        {"team_empty_email.json", T, NULL, 0, NULL, NULL, "contents[0].email: empty string"},
        {"team_email_number.json", T, NULL, 0, NULL, NULL,
         "contents[0].email: expected a string, got an integer"},
        {"team_bad_login.json", T, NULL, 0, NULL, NULL,
         "contents[0].lastLoginAt: not a timestamp: \"never\""},
        {"team_login_bidi.json", T, NULL, 0, NULL, NULL,
         "contents[0].lastLoginAt: not a timestamp: \"<U+202E>2026\\x9b\""},
        {"team_login_number.json", T, NULL, 0, NULL, NULL,
         "contents[0].lastLoginAt: expected a string, got an integer"},
        {"team_long_name.json", T, NULL, 0, NULL, NULL,
         "contents[0].name: string too long (5000 bytes, limit 4096)"},

        /* ---- the envelope (parsed as team pages when it gets that far) */
        {"env_truncated.json", T, NULL, 0, NULL, NULL,
         "malformed JSON at byte 131: '}' expected near end of file"},
        {"env_empty.json", T, NULL, 0, NULL, NULL,
         "malformed JSON at byte 0: '[' or '{' expected near end of file"},
        {"env_trailing.json", T, NULL, 0, NULL, NULL,
         "malformed JSON at byte 65: end of file expected near '{'"},
        {"env_escaped_nul.json", T, NULL, 0, NULL, NULL,
         "malformed JSON at byte 133: \\u0000 is not allowed without JSON_ALLOW_NUL"},
        {"env_raw_nul.json", T, NULL, 0, NULL, NULL,
         "malformed JSON at byte 114: control character 0x0 near '\"ana'"},
        {"env_invalid_utf8.json", T, NULL, 0, NULL, NULL,
         "malformed JSON at byte 114: unable to decode byte 0xff near '\"ana'"},
        {"env_duplicate_key.json", T, NULL, 0, NULL, NULL,
         "malformed JSON at byte 40: duplicate object key near '\"status\"'"},
        {"env_duplicate_inner.json", T, NULL, 0, NULL, NULL,
         "malformed JSON at byte 133: duplicate object key near '\"email\"'"},
        {"env_no_response.json", T, NULL, 0, NULL, NULL, "not the envelope: no response object"},
        {"env_response_array.json", T, NULL, 0, NULL, NULL, "not the envelope: no response object"},
        {"env_top_array.json", T, NULL, 0, NULL, NULL, "not the envelope: no response object"},
        {"env_no_status.json", T, NULL, 0, NULL, NULL, "not the envelope: no response.status"},
        {"env_status_bool.json", T, NULL, 0, NULL, NULL,
         "not the envelope: response.status is a boolean, not a string"},
        {"env_status_unknown.json", T, NULL, 0, NULL, NULL,
         "not the envelope: unknown response.status \"pending\""},
        {"env_error.json", T, NULL, 0, NULL, NULL, "server said: Unauthorized"},
        {"env_error_no_message.json", T, NULL, 0, NULL, NULL, "server said: (no message)"},
        {"env_error_control.json", T, NULL, 0, NULL, NULL, "server said: bad\\x0aline\\x1b[31m"},
        /* issue 12, finding 7: nothing raw from the server in the error text */
        {"env_raw_escape.json", T, NULL, 0, NULL, NULL,
         "malformed JSON at byte 40: invalid token near '\\x1b'"},
        {"env_error_bidi.json", T, NULL, 0, NULL, NULL,
         "server said: key <U+202E>gnp.exe<U+200B> c1 \\x9b[2J del \\x7f"},
        {"env_no_data.json", T, NULL, 0, NULL, NULL, "no data: response.data is missing"},
        {"env_data_null.json", T, NULL, 0, NULL, NULL, "data: expected an object, got null"},
};

/* Push one sentinel row of the stream, so that rollbacks and appends are visible. */
static void push_sentinel(struct rowset *rs)
{
	void *row = rowset_push(rs);
	assert_non_null(row);
	if (rs->stream == STREAM_STATS)
		((struct row_feature *)row)->feature = "sentinel";
}

static void run_fixture(const struct fx *c)
{
	size_t len;
	char *body = load_fixture(c->file, &len);
	struct rowset rs;
	rowset_init(&rs, c->stream, c->max_rows);
	push_sentinel(&rs);
	char err[512] = "untouched";
	json_t *root = (json_t *)1, *data = (json_t *)1;
	struct weapi_page pg = {-1, -1, 999};
	int rc = weapi_envelope(body, len, &root, &data, err, sizeof(err));
	if (rc == 0) {
		assert_non_null(root);
		switch (c->stream) {
		case STREAM_STATS:
			rc = weapi_parse_stats(data, &rs, err, sizeof(err));
			break;
		case STREAM_CAMPAIGNS:
			rc = weapi_parse_campaigns(data, c->channel, &rs, &pg, err, sizeof(err));
			break;
		case STREAM_ACTIVE_USERS:
			rc = weapi_parse_active_users(data, &rs, err, sizeof(err));
			break;
		case STREAM_TEAM:
		default:
			rc = weapi_parse_team(data, &rs, &pg, err, sizeof(err));
			break;
		}
		json_decref(root);
	} else {
		assert_null(root);
		assert_null(data);
	}
	if (c->err) {
		if (rc != -1 || strcmp(err, c->err) != 0)
			fail_msg("%s: rc %d, error\n  got  [%s]\n  want [%s]", c->file, rc, err,
			         c->err);
		assert_int_equal(rs.n, 1); /* the sentinel only: nothing half-appended */
		assert_int_equal(pg.page_no, -1);
	} else {
		if (rc != 0)
			fail_msg("%s: failed: %s", c->file, err);
		char *got = render(&rs, 1);
		if (strcmp(got, c->rows) != 0)
			fail_msg("%s: rows\n--- got\n%s--- want\n%s", c->file, got, c->rows);
		free(got);
		if (c->page) {
			char page[64];
			snprintf(page, sizeof(page), "%lld/%lld n=%zu", (long long)pg.page_no,
			         (long long)pg.number_of_pages, pg.n_contents);
			assert_string_equal(page, c->page);
		}
	}
	rowset_free(&rs);
	free(body);
}

static void test_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		run_fixture(&fixtures[i]);
}

/* A string of exactly WEAPI_MAX_STRING bytes is accepted and kept whole. */
static void test_max_string(void **state)
{
	(void)state;
	size_t len;
	char *body = load_fixture("stats_max_string.json", &len);
	json_t *root, *data;
	char err[256];
	struct rowset rs;
	rowset_init(&rs, STREAM_STATS, 0);
	assert_int_equal(weapi_envelope(body, len, &root, &data, err, sizeof(err)), 0);
	assert_int_equal(weapi_parse_stats(data, &rs, err, sizeof(err)), 0);
	assert_int_equal(rs.n, 1);
	const struct row_feature *r = ROWSET_AT(&rs, struct row_feature, 0);
	assert_int_equal(strlen(r->feature), WEAPI_MAX_STRING);
	assert_int_equal(strspn(r->feature, "Y"), WEAPI_MAX_STRING);
	assert_string_equal(r->metric, "users");
	json_decref(root);
	rowset_free(&rs);
	free(body);
}

/* The envelope and parsers take a NULL page and a NULL or empty error buffer. */
static void test_null_outputs(void **state)
{
	(void)state;
	size_t len;
	char *body = load_fixture("team_example.json", &len);
	json_t *root, *data;
	struct rowset rs;
	rowset_init(&rs, STREAM_TEAM, 0);
	assert_int_equal(weapi_envelope(body, len, &root, &data, NULL, 0), 0);
	assert_int_equal(weapi_parse_team(data, &rs, NULL, NULL, 0), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(weapi_parse_stats(data, &rs, NULL, 0), -1);
	json_decref(root);
	assert_int_equal(weapi_envelope("{", 1, &root, &data, NULL, 0), -1);
	assert_null(root);
	char one[1] = {'x'};
	assert_int_equal(weapi_envelope(NULL, 0, &root, &data, one, sizeof(one)), -1);
	assert_int_equal(one[0], '\0');
	/* a long message is cut, still terminated */
	char small[12];
	assert_int_equal(weapi_envelope("{}", 2, &root, &data, small, sizeof(small)), -1);
	assert_string_equal(small, "not the env");
	rowset_free(&rs);
	free(body);
}

/* A missing channel is a caller error, reported, not a crash. */
static void test_campaigns_no_channel(void **state)
{
	(void)state;
	json_t *data = json_pack("{s:i, s:i, s:[]}", "pageNo", 1, "numberOfPages", 1, "contents");
	assert_non_null(data);
	struct rowset rs;
	rowset_init(&rs, STREAM_CAMPAIGNS, 0);
	char err[128];
	assert_int_equal(weapi_parse_campaigns(data, NULL, &rs, NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "no channel given");
	json_decref(data);
	rowset_free(&rs);
}

/*
 * A large active-users answer (300 platforms x 366 days x 3 metrics, each
 * metric listing the platforms in a different order) merges into exactly
 * one row per (platform, day) with the right values. A quadratic merge
 * would take minutes here; the sort-based one takes well under a second.
 */
static void test_active_users_large(void **state)
{
	(void)state;
	enum { PLATFORMS = 300, DAYS = 366 };
	static const char *const metrics[3] = {"DAU", "WAU", "MAU"};
	const int64_t day0 = 1795305600; /* 2026-11-22 */
	json_t *data = json_object();
	assert_non_null(data);
	for (int m = 0; m < 3; m++) {
		json_t *list = json_array();
		assert_non_null(list);
		for (int k = 0; k < PLATFORMS; k++) {
			/* DAU in order, WAU reversed, MAU strided */
			int p = m == 0 ? k : m == 1 ? PLATFORMS - 1 - k : (k * 7) % PLATFORMS;
			char name[16], day[DAY_LEN];
			snprintf(name, sizeof(name), "p%03d", p);
			json_t *stats = json_array();
			assert_non_null(stats);
			for (int d = DAYS - 1; d >= 0; d--) {
				ts_format_day(day0 + (int64_t)d * 86400, day);
				json_t *one = json_object();
				assert_non_null(one);
				assert_int_equal(
				        json_object_set_new(
				                one, day,
				                json_integer((json_int_t)p * 100000 + d * 10 + m)),
				        0);
				assert_int_equal(json_array_append_new(stats, one), 0);
			}
			assert_int_equal(
			        json_array_append_new(list, json_pack("{s:s, s:o}", "name", name,
			                                              "stats", stats)),
			        0);
		}
		assert_int_equal(json_object_set_new(data, metrics[m], list), 0);
	}
	struct rowset rs;
	rowset_init(&rs, STREAM_ACTIVE_USERS, 0);
	char err[256];
	assert_int_equal(weapi_parse_active_users(data, &rs, err, sizeof(err)), 0);
	assert_int_equal(rs.n, PLATFORMS * DAYS);
	for (size_t i = 0; i < rs.n; i++) {
		const struct row_active *r = ROWSET_AT(&rs, struct row_active, i);
		int p = (int)(i / DAYS), d = (int)(i % DAYS);
		char name[16], day[DAY_LEN];
		snprintf(name, sizeof(name), "p%03d", p);
		ts_format_day(day0 + (int64_t)d * 86400, day);
		if (strcmp(r->platform, name) != 0 || strcmp(r->day, day) != 0 ||
		    r->dau.kind != NUM_INT || r->wau.kind != NUM_INT || r->mau.kind != NUM_INT ||
		    r->dau.i != (int64_t)p * 100000 + d * 10 ||
		    r->wau.i != (int64_t)p * 100000 + d * 10 + 1 ||
		    r->mau.i != (int64_t)p * 100000 + d * 10 + 2)
			fail_msg("row %zu: %s %s %lld %lld %lld", i, r->platform, r->day,
			         (long long)r->dau.i, (long long)r->wau.i, (long long)r->mau.i);
	}
	/* one arena copy per platform, shared by its rows */
	assert_ptr_equal(ROWSET_AT(&rs, struct row_active, 0)->platform,
	                 ROWSET_AT(&rs, struct row_active, DAYS - 1)->platform);
	json_decref(data);
	rowset_free(&rs);
}

/* ---- requests ---------------------------------------------------------- */

static void test_tables(void **state)
{
	(void)state;
	static const char *const want[WEAPI_N_CHANNELS][2] = {
	        {"push-notifications", "PUSH_NOTIFICATION"},
	        {"in-app-notifications", "IN_APP_NOTIFICATION"},
	        {"sms-messages", "SMS"},
	        {"email-messages", "EMAIL"},
	        {"web-push", "WEB_PUSH"},
	        {"whatsapp-messages", "WHATSAPP"},
	};
	for (int i = 0; i < WEAPI_N_CHANNELS; i++) {
		assert_string_equal(weapi_channels[i].path, want[i][0]);
		assert_string_equal(weapi_channels[i].channel, want[i][1]);
	}
	assert_string_equal(weapi_default_paths[PATH_PROBE], "/v1/survey/response/wegauge-probe");
	assert_string_equal(weapi_default_paths[PATH_STATS], "/v2/accounts/{lc}/stats");
	assert_string_equal(weapi_default_paths[PATH_CAMPAIGNS], "/v1/accounts/{lc}/{channel}");
	assert_string_equal(weapi_default_paths[PATH_ACTIVE_USERS],
	                    "/v1/accounts/{lc}/publisher-metrics");
	assert_string_equal(weapi_default_paths[PATH_TEAM], "/v1/accounts/{lc}/team-members");
}

struct url_case {
	const char *base, *tmpl, *lc, *channel, *query;
	const char *want; /* NULL: refused */
};

static const struct url_case urls[] = {
        {"https://api.webengage.com", "/v2/accounts/{lc}/stats", "311c48b3", NULL, NULL,
         "https://api.webengage.com/v2/accounts/311c48b3/stats"},
        {"https://api.in.webengage.com", "/v1/accounts/{lc}/{channel}", "311c48b3",
         "push-notifications", "pageNo=1&pageSize=100",
         "https://api.in.webengage.com/v1/accounts/311c48b3/push-notifications"
         "?pageNo=1&pageSize=100"},
        {"https://api.ksa.webengage.com", "/v1/accounts/{lc}/publisher-metrics", "~a_b-9", NULL,
         "from=2026-11-22&to=2026-11-28&metrics=DAU,WAU,MAU",
         "https://api.ksa.webengage.com/v1/accounts/~a_b-9/publisher-metrics"
         "?from=2026-11-22&to=2026-11-28&metrics=DAU,WAU,MAU"},
        {"http://127.0.0.1:8080", "/v1/survey/response/wegauge-probe", "x", NULL, NULL,
         "http://127.0.0.1:8080/v1/survey/response/wegauge-probe"},
        {"http://127.0.0.1:8080", "/v1/accounts/{lc}/team-members", "lc", NULL, "",
         "http://127.0.0.1:8080/v1/accounts/lc/team-members"},
        /* a template with its own query: the query joins with '&' */
        {"http://[::1]:9", "/x/{lc}?v=2", "lc", NULL, "pageNo=3",
         "http://[::1]:9/x/lc?v=2&pageNo=3"},
        /* a placeholder twice, channel before lc */
        {"b", "/{channel}/{lc}/{lc}", "L", "c", NULL, "b/c/L/L"},
        {"b", "", "L", NULL, "q=1", "b?q=1"},
        {"b", "/%7Euser/a;b=c@d", "L", NULL, NULL, "b/%7Euser/a;b=c@d"},
        /* refused */
        {"b", "/{foo}", "L", "c", NULL, NULL},
        {"b", "/{LC}", "L", "c", NULL, NULL},
        {"b", "/{ lc}", "L", "c", NULL, NULL},
        {"b", "/{lc", "L", "c", NULL, NULL},
        {"b", "/{channel", "L", "c", NULL, NULL},
        {"b", "/{", "L", "c", NULL, NULL},
        {"b", "/lc}", "L", "c", NULL, NULL},
        {"b", "/{}", "L", "c", NULL, NULL},
        {"b", "/{{lc}}", "L", "c", NULL, NULL},
        {"b", "/{channel}", "L", NULL, NULL, NULL},
        {"b", "/{lc}", NULL, NULL, NULL, NULL},
        {"b", "/{lc}", "", NULL, NULL, NULL},
        {"b", "/{lc}", "a/b", NULL, NULL, NULL},
        {"b", "/{lc}", "a?b", NULL, NULL, NULL},
        {"b", "/{lc}", "a b", NULL, NULL, NULL},
        {"b", "/{channel}", "L", "../x", NULL, NULL},
        {"b", "/a b", "L", NULL, NULL, NULL},
        {"b", "/a#b", "L", NULL, NULL, NULL},
        {"b", "/a\tb", "L", NULL, NULL, NULL},
        {"b", "/\xc3\xa9", "L", NULL, NULL, NULL},
        {NULL, "/x", "L", NULL, NULL, NULL},
        {"b", NULL, "L", NULL, NULL, NULL},
};

static void test_url(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const struct url_case *c = &urls[i];
		char *got = weapi_url(c->base, c->tmpl, c->lc, c->channel, c->query);
		if (!c->want) {
			if (got)
				fail_msg("case %zu (%s): accepted as %s", i, c->tmpl, got);
			continue;
		}
		if (!got)
			fail_msg("case %zu (%s): refused", i, c->tmpl);
		assert_string_equal(got, c->want);
		free(got);
	}
}

struct window_case {
	int64_t now;
	int lookback;
	const char *from, *to;
};

static const struct window_case windows[] = {
        {1795873510, 7, "2026-11-22", "2026-11-28"}, /* 2026-11-28T13:45:10Z */
        {1795873510, 1, "2026-11-28", "2026-11-28"},
        {1795873510, 0, "2026-11-28", "2026-11-28"}, /* below 1 counts as 1 */
        {1795873510, -5, "2026-11-28", "2026-11-28"},
        {1795824000, 2, "2026-11-27", "2026-11-28"}, /* exactly midnight */
        {1795823999, 2, "2026-11-26", "2026-11-27"}, /* one second before */
        {1798848000, 3, "2026-12-31", "2027-01-02"}, /* across a year */
        {1772323200, 2, "2026-02-28", "2026-03-01"}, /* across February */
        {1795873510, 90, "2026-08-31", "2026-11-28"},
        {0, 1, "1970-01-01", "1970-01-01"},
        {-1, 2, "1969-12-30", "1969-12-31"},
};

static void test_window(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(windows) / sizeof(windows[0]); i++) {
		char from[DAY_LEN], to[DAY_LEN];
		weapi_window(windows[i].now, windows[i].lookback, from, to);
		if (strcmp(from, windows[i].from) != 0 || strcmp(to, windows[i].to) != 0)
			fail_msg("now %lld lookback %d: %s..%s, want %s..%s",
			         (long long)windows[i].now, windows[i].lookback, from, to,
			         windows[i].from, windows[i].to);
	}
}

static void test_stats_body(void **state)
{
	(void)state;
	char *body = weapi_stats_body(1795873510, 7); /* 2026-11-28T13:45:10Z */
	assert_non_null(body);
	assert_string_equal(
	        body, "{\"campaignStatType\":\"CHANNEL_STATS_OVERVIEW\",\"splitBy\":\"CAMPAIGN_"
	              "CHANNEL\",\"granularity\":\"DAY\",\"startTime\":\"2026-11-22T00:00:00.000+"
	              "0000\",\"endTime\":\"2026-11-28T23:59:59.999+0000\",\"channels\":["
	              "\"OVERALL\",\"PUSH_NOTIFICATION\",\"IN_APP_NOTIFICATION\",\"SMS\",\"ON_"
	              "SITE_NOTIFICATION\",\"WEB_PUSH\",\"EMAIL\",\"WHATSAPP\",\"WEB_"
	              "PERSONALIZATION\",\"RCS\"],\"containerTypes\":[\"ALL\"],\"isFunnelView\":"
	              "false,\"tags\":[]}");
	free(body);
	body = weapi_stats_body(1798848000, 3); /* 2027-01-02T00:00:00Z */
	assert_non_null(body);
	assert_non_null(strstr(body, "\"startTime\":\"2026-12-31T00:00:00.000+0000\","
	                             "\"endTime\":\"2027-01-02T23:59:59.999+0000\","));
	free(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fixtures),
	        cmocka_unit_test(test_max_string),
	        cmocka_unit_test(test_null_outputs),
	        cmocka_unit_test(test_campaigns_no_channel),
	        cmocka_unit_test(test_active_users_large),
	        cmocka_unit_test(test_tables),
	        cmocka_unit_test(test_url),
	        cmocka_unit_test(test_window),
	        cmocka_unit_test(test_stats_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
