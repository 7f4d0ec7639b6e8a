/*
 * test_rows.c: the rowset of src/rows.c: growth, the arena, adopting pages,
 * and its two caps (issue 12): max_rows (max_stream_rows) and max_bytes
 * (max_stream_bytes), each refused with the words a stream error shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rows.h"

static void test_stream_names(void **state)
{
	(void)state;
	for (int s = 0; s < STREAM_COUNT; s++)
		assert_int_equal(stream_from_name(stream_name((enum stream)s)), s);
	assert_string_equal(stream_name(STREAM_ACTIVE_USERS), "active_users");
	assert_int_equal(stream_from_name("bogus"), -1);
	assert_int_equal(STREAM_ALL, 0xf);
}

static void test_push_grows_and_zeroes(void **state)
{
	(void)state;
	struct rowset rs;
	rowset_init(&rs, STREAM_CAMPAIGNS, 0);
	for (int i = 0; i < 1000; i++) {
		struct row_campaign *r = rowset_push(&rs);
		assert_non_null(r);
		assert_null(r->campaign_id);
		assert_int_equal(r->sent.kind, NUM_NULL);
		assert_string_equal(r->created_on, "");
		char id[16];
		snprintf(id, sizeof(id), "c%d", i);
		r->campaign_id = rowset_strdup(&rs, id);
		r->sent = (struct num){.kind = NUM_INT, .i = i};
	}
	assert_int_equal(rs.n, 1000);
	assert_string_equal(ROWSET_AT(&rs, struct row_campaign, 999)->campaign_id, "c999");
	assert_int_equal(ROWSET_AT(&rs, struct row_campaign, 500)->sent.i, 500);
	rowset_free(&rs);
	assert_int_equal(rs.n, 0);
	assert_null(rs.rows);
}

static void test_max_rows_bound(void **state)
{
	(void)state;
	struct rowset rs;
	rowset_init(&rs, STREAM_STATS, 3);
	assert_non_null(rowset_push(&rs));
	assert_non_null(rowset_push(&rs));
	assert_non_null(rowset_push(&rs));
	assert_null(rowset_push(&rs));
	assert_int_equal(rs.n, 3);
	assert_int_equal(rs.refused, ROWSET_OVER_ROWS);
	char msg[128];
	assert_string_equal(rowset_refusal_text(&rs, msg, sizeof(msg)),
	                    "stream has more than 3 rows (max_stream_rows)");
	rowset_free(&rs);
	assert_int_equal(rs.refused, ROWSET_OK);
}

/*
 * max_bytes: the strings and the row array count, headers included; a push
 * or copy that would pass the cap fails, says so in the cap's words, and
 * the rowset holds no more than the cap.
 */
static void test_max_bytes_bound(void **state)
{
	(void)state;
	struct rowset rs;
	char msg[128];
	static char s4k[4097];
	memset(s4k, 'x', 4096);

	/* Campaigns with 4 KiB titles, as the endless-pages server sends, in 64 KiB. */
	rowset_init_capped(&rs, STREAM_CAMPAIGNS, 0, 64 << 10);
	size_t rows = 0;
	for (;;) {
		struct row_campaign *r = rowset_push(&rs);
		if (!r || !(r->title = rowset_strdup(&rs, s4k)))
			break;
		rows++;
	}
	assert_int_equal(rs.refused, ROWSET_OVER_BYTES);
	assert_true(rs.bytes <= 64 << 10);
	assert_true(rows >= 10 && rows < 16); /* 16 titles alone would be 64 KiB */
	assert_string_equal(rowset_refusal_text(&rs, msg, sizeof(msg)),
	                    "stream needs more than 64KiB (max_stream_bytes)");
	/* What was stored before the refusal is intact. */
	assert_int_equal(strlen(ROWSET_AT(&rs, struct row_campaign, rows - 1)->title), 4096);
	rowset_free(&rs);
	assert_int_equal(rs.bytes, 0);
	assert_int_equal(rs.refused, ROWSET_OK);

	/* Rows without strings: the array grows to exactly what the cap holds. */
	rowset_init_capped(&rs, STREAM_STATS, 0, 1 << 20);
	while (rowset_push(&rs))
		;
	assert_int_equal(rs.refused, ROWSET_OVER_BYTES);
	assert_int_equal(rs.n, (1 << 20) / rs.row_size);
	assert_true(rs.bytes <= 1 << 20);
	rowset_free(&rs);

	/* A sub-MiB cap is named in KiB, an odd one in bytes. */
	rowset_init_capped(&rs, STREAM_TEAM, 0, 1000);
	assert_null(rowset_strdup(&rs, s4k));
	assert_string_equal(rowset_refusal_text(&rs, msg, sizeof(msg)),
	                    "stream needs more than 1000 (max_stream_bytes)");
	rowset_free(&rs);
	rowset_init_capped(&rs, STREAM_TEAM, 0, 128 << 20);
	assert_int_equal(rs.max_bytes, 128 << 20);
	rs.refused = ROWSET_OVER_BYTES;
	assert_string_equal(rowset_refusal_text(&rs, msg, sizeof(msg)),
	                    "stream needs more than 128MiB (max_stream_bytes)");
	rs.refused = ROWSET_NO_MEMORY;
	assert_string_equal(rowset_refusal_text(&rs, msg, sizeof(msg)), "out of memory");
	rowset_free(&rs);
}

static void test_arena_large_and_small(void **state)
{
	(void)state;
	struct rowset rs;
	rowset_init(&rs, STREAM_TEAM, 0);
	static char big[20000];
	memset(big, 'x', sizeof(big) - 1);
	const char *a = rowset_strdup(&rs, "ana@example.com");
	const char *b = rowset_strdup(&rs, big);
	const char *c = rowset_strndup(&rs, "abcdef", 3);
	assert_null(rowset_strdup(&rs, NULL));
	assert_string_equal(a, "ana@example.com");
	assert_int_equal(strlen(b), sizeof(big) - 1);
	assert_string_equal(c, "abc");
	rowset_free(&rs);
}

/* A rowset of n seats "<tag>-<i>@x" (strings in its own arena). */
static void fill_seats(struct rowset *rs, const char *tag, int n)
{
	char email[64];
	for (int i = 0; i < n; i++) {
		struct row_seat *r = rowset_push(rs);
		assert_non_null(r);
		snprintf(email, sizeof(email), "%s-%d@x", tag, i);
		r->email = rowset_strdup(rs, email);
		assert_non_null(r->email);
	}
}

static void expect_seat(const struct rowset *rs, size_t idx, const char *tag, int i)
{
	char email[64];
	snprintf(email, sizeof(email), "%s-%d@x", tag, i);
	assert_string_equal(ROWSET_AT(rs, struct row_seat, idx)->email, email);
}

/* Adopting pages: the first is taken whole, later ones appended; strings stay valid. */
static void test_adopt_appends_in_order(void **state)
{
	(void)state;
	struct rowset stream, page;
	rowset_init(&stream, STREAM_TEAM, 0);
	for (int pg = 0; pg < 3; pg++) {
		char tag[16];
		snprintf(tag, sizeof(tag), "p%d", pg);
		rowset_init(&page, STREAM_TEAM, stream.max_rows);
		page.prior = stream.n;
		fill_seats(&page, tag,
		           70); /* more than one growth step, several chunks of strings */
		assert_int_equal(rowset_adopt(&stream, &page), 0);
		assert_int_equal(page.n, 0);
		assert_null(page.rows);
		assert_null(page.chunks);
		rowset_free(&page); /* empty: frees nothing twice */
	}
	assert_int_equal(stream.n, 210);
	for (int pg = 0; pg < 3; pg++) {
		char tag[16];
		snprintf(tag, sizeof(tag), "p%d", pg);
		for (int i = 0; i < 70; i++)
			expect_seat(&stream, (size_t)pg * 70 + (size_t)i, tag, i);
	}
	/* The stream's arena still takes strings after adopting others' chunks. */
	assert_string_equal(rowset_strdup(&stream, "late"), "late");
	rowset_free(&stream);
}

/* prior counts against max_rows; adopting past max_rows or across streams moves nothing. */
static void test_adopt_bounds(void **state)
{
	(void)state;
	struct rowset stream, page;
	rowset_init(&stream, STREAM_TEAM, 10);
	fill_seats(&stream, "a", 6);
	rowset_init(&page, STREAM_TEAM, 10);
	page.prior = stream.n;
	fill_seats(&page, "b", 4);
	assert_null(rowset_push(&page)); /* 6 + 4 = 10: full */
	assert_int_equal(page.n, 4);

	struct rowset over;
	rowset_init(&over, STREAM_TEAM, 10);
	fill_seats(&over, "c", 5);
	assert_int_equal(rowset_adopt(&stream, &over), -1); /* 6 + 5 > 10 */
	assert_int_equal(stream.refused, ROWSET_OVER_ROWS);
	assert_int_equal(stream.n, 6);
	assert_int_equal(over.n, 5);
	expect_seat(&over, 4, "c", 4);

	struct rowset other;
	rowset_init(&other, STREAM_CAMPAIGNS, 10);
	assert_non_null(rowset_push(&other));
	assert_int_equal(rowset_adopt(&stream, &other), -1);
	assert_int_equal(other.n, 1);

	assert_int_equal(rowset_adopt(&stream, &page), 0);
	assert_int_equal(stream.n, 10);
	expect_seat(&stream, 5, "a", 5);
	expect_seat(&stream, 9, "b", 3);
	rowset_free(&stream);
	rowset_free(&page);
	rowset_free(&over);
	rowset_free(&other);
}

/*
 * prior_bytes counts the stream's bytes in a page's own checks, so a page
 * stops at the stream's cap and the adopt that follows stays within it;
 * an adopt that would pass the cap (first page or later) moves nothing.
 */
static void test_adopt_byte_bounds(void **state)
{
	(void)state;
	static char s4k[4097];
	memset(s4k, 'y', 4096);
	struct rowset stream, page, over, empty;
	rowset_init_capped(&stream, STREAM_TEAM, 0, 256 << 10);
	fill_seats(&stream, "a", 100);
	size_t before = stream.bytes;

	rowset_init_capped(&page, STREAM_TEAM, 0, stream.max_bytes);
	page.prior = stream.n;
	page.prior_bytes = stream.bytes;
	for (;;) {
		struct row_seat *r = rowset_push(&page);
		if (!r || !(r->email = rowset_strdup(&page, s4k)))
			break;
	}
	assert_int_equal(page.refused, ROWSET_OVER_BYTES);
	assert_true(stream.bytes + page.bytes <= 256 << 10);
	if (((struct row_seat *)page.rows)[page.n - 1].email == NULL)
		page.n--; /* the row whose string was refused, as wj_done drops it */
	size_t n = stream.n + page.n;
	assert_int_equal(rowset_adopt(&stream, &page), 0);
	assert_int_equal(stream.n, n);
	assert_true(stream.bytes > before && stream.bytes <= 256 << 10);
	assert_int_equal(strlen(ROWSET_AT(&stream, struct row_seat, n - 1)->email), 4096);

	/* A page made without the stream's bytes: too big to adopt. */
	rowset_init(&over, STREAM_TEAM, 0);
	struct row_seat *r = rowset_push(&over);
	assert_non_null(r);
	r->email = rowset_strdup(&over, s4k);
	assert_int_equal(rowset_adopt(&stream, &over), -1);
	assert_int_equal(stream.refused, ROWSET_OVER_BYTES);
	assert_int_equal(stream.n, n);
	assert_int_equal(over.n, 1);

	/* The first page of an empty stream is taken whole only within the cap. */
	rowset_init_capped(&empty, STREAM_TEAM, 0, 4096);
	assert_int_equal(rowset_adopt(&empty, &over), -1);
	assert_int_equal(empty.refused, ROWSET_OVER_BYTES);
	assert_int_equal(empty.n, 0);
	assert_null(empty.rows);
	rowset_init_capped(&empty, STREAM_TEAM, 0, 1 << 20);
	size_t over_bytes = over.bytes;
	assert_int_equal(rowset_adopt(&empty, &over), 0);
	assert_int_equal(empty.bytes, over_bytes);
	assert_int_equal(over.bytes, 0);
	rowset_free(&stream);
	rowset_free(&page);
	rowset_free(&over);
	rowset_free(&empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_stream_names),
	        cmocka_unit_test(test_push_grows_and_zeroes),
	        cmocka_unit_test(test_max_rows_bound),
	        cmocka_unit_test(test_max_bytes_bound),
	        cmocka_unit_test(test_adopt_byte_bounds),
	        cmocka_unit_test(test_adopt_appends_in_order),
	        cmocka_unit_test(test_adopt_bounds),
	        cmocka_unit_test(test_arena_large_and_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
