/* test_rows.c: the rowset of src/rows.c: growth, the max_rows bound, the arena. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_stream_names),
	        cmocka_unit_test(test_push_grows_and_zeroes),
	        cmocka_unit_test(test_max_rows_bound),
	        cmocka_unit_test(test_arena_large_and_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
