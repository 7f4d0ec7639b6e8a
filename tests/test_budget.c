/*
 * test_budget.c: src/budget.c: the floor, the 10% ratio, the sliding
 * minute (old seconds fall out), and refusals counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "budget.h"

static void test_floor_then_ratio(void **state)
{
	(void)state;
	struct budget b;
	budget_init(&b, 10);
	int64_t t = 1000000;
	/* No requests yet: the floor of 10 retries. */
	for (int i = 0; i < BUDGET_FLOOR; i++)
		assert_true(budget_take_retry(&b, t));
	assert_false(budget_take_retry(&b, t));
	assert_int_equal(b.refused, 1);
	/* 200 requests in the window: 10% = 20 retries in all, 10 used. */
	for (int i = 0; i < 200; i++)
		budget_note_request(&b, t + 500);
	for (int i = 0; i < 10; i++)
		assert_true(budget_take_retry(&b, t + 500));
	assert_false(budget_take_retry(&b, t + 500));
	uint64_t req, ret;
	budget_window(&b, t + 500, &req, &ret);
	assert_int_equal(req, 200);
	assert_int_equal(ret, 20);
}

static void test_window_slides(void **state)
{
	(void)state;
	struct budget b;
	budget_init(&b, 10);
	int64_t t = 5000000;
	for (int i = 0; i < BUDGET_FLOOR; i++)
		assert_true(budget_take_retry(&b, t));
	assert_false(budget_take_retry(&b, t + 59999)); /* same minute */
	assert_true(budget_take_retry(&b, t + 60000));  /* the first second fell out */
	uint64_t req, ret;
	budget_window(&b, t + 60000, &req, &ret);
	assert_int_equal(ret, 1);
	/* a long silence empties everything */
	budget_window(&b, t + 600000, &req, &ret);
	assert_int_equal(req, 0);
	assert_int_equal(ret, 0);
}

static void test_ratio_100_never_refuses(void **state)
{
	(void)state;
	struct budget b;
	budget_init(&b, 100);
	for (int i = 0; i < 1000; i++)
		assert_true(budget_take_retry(&b, 1000));
	assert_int_equal(b.refused, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_floor_then_ratio),
	        cmocka_unit_test(test_window_slides),
	        cmocka_unit_test(test_ratio_100_never_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
