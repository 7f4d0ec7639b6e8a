/*
 * test_retry.c: src/retry.c: full-jitter backoff bounds, Retry-After in
 * both forms with clamping and garbage, the minute boundary, and the
 * classification of docs/api.md's statuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "retry.h"

static void test_backoff_bounds(void **state)
{
	(void)state;
	struct {
		int attempt;
		int64_t base, cap, ceiling;
	} cases[] = {
	        {0, 1000, 300000, 1000},      {1, 1000, 300000, 2000},   {2, 1000, 300000, 4000},
	        {8, 1000, 300000, 256000},    {9, 1000, 300000, 300000}, {60, 1000, 300000, 300000},
	        {1000, 1000, 300000, 300000}, {-3, 1000, 300000, 1000},  {3, 250, 1000, 1000},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* r = 0 gives 0, r = max gives the ceiling: the full range is reachable */
		assert_int_equal(retry_backoff_ms(cases[i].attempt, cases[i].base, cases[i].cap, 0),
		                 0);
		assert_int_equal(retry_backoff_ms(cases[i].attempt, cases[i].base, cases[i].cap,
		                                  (uint64_t)cases[i].ceiling),
		                 cases[i].ceiling);
		for (uint64_t r = 1; r < 100000; r = r * 3 + 0x9e3779b97f4a7c15ull % 7919) {
			int64_t d = retry_backoff_ms(cases[i].attempt, cases[i].base, cases[i].cap,
			                             r * 0x9e3779b97f4a7c15ull);
			assert_true(d >= 0 && d <= cases[i].ceiling);
		}
	}
	assert_int_equal(retry_backoff_ms(3, 0, 1000, 12345), 0);
}

static void test_retry_after(void **state)
{
	(void)state;
	/* now = 1994-11-06T08:49:30Z */
	const int64_t now = 784111770000;
	struct {
		const char *v;
		int rc;
		int64_t want;
	} cases[] = {
	        {"120", 0, 120000},
	        {" 5 ", 0, 5000},
	        {"0", 0, 1000},                              /* clamped up to 1 s */
	        {"7200", 0, 3600000},                        /* clamped down to 1 h */
	        {"Sun, 06 Nov 1994 08:49:37 GMT", 0, 7000},  /* IMF-fixdate */
	        {"Sunday, 06-Nov-94 08:49:37 GMT", 0, 7000}, /* RFC 850 */
	        {"Sun Nov  6 08:49:37 1994", 0, 7000},       /* asctime */
	        {"Sun, 06 Nov 1994 08:49:00 GMT", 0, 1000},  /* in the past: 1 s */
	        {"Mon, 07 Nov 1994 08:49:30 GMT", 0, 3600000},
	        {"", -1, 0},
	        {"-5", -1, 0},
	        {"+5", -1, 0},
	        {"5s", -1, 0},
	        {"1.5", -1, 0},
	        {"99999999999999999999", -1, 0},
	        {"soon", -1, 0},
	        {"Sun, 06 Nov 1994 25:49:37 GMT", -1, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t d = -42;
		int rc = retry_after_parse(cases[i].v, now, &d);
		if (rc != cases[i].rc || (rc == 0 && d != cases[i].want))
			fail_msg("Retry-After '%s': rc %d delay %lld", cases[i].v, rc,
			         (long long)d);
	}
	int64_t d;
	assert_int_equal(retry_after_parse(NULL, now, &d), -1);
}

static void test_next_minute(void **state)
{
	(void)state;
	assert_int_equal(retry_until_next_minute_ms(0), 60000);
	assert_int_equal(retry_until_next_minute_ms(59999), 1);
	assert_int_equal(retry_until_next_minute_ms(60000), 60000);
	assert_int_equal(retry_until_next_minute_ms(784111770123), 29877);
}

static void test_classify(void **state)
{
	(void)state;
	struct {
		long status;
		bool failed, retryable;
		enum retry_verdict want;
	} cases[] = {
	        {200, false, false, RV_OK},        {401, false, false, RV_AUTH},
	        {404, false, false, RV_NOT_FOUND}, {429, false, false, RV_RATE_LIMITED},
	        {408, false, false, RV_RETRY},     {425, false, false, RV_RETRY},
	        {500, false, false, RV_RETRY},     {502, false, false, RV_RETRY},
	        {503, false, false, RV_RETRY},     {504, false, false, RV_RETRY},
	        {400, false, false, RV_FAIL},      {403, false, false, RV_FAIL},
	        {201, false, false, RV_FAIL},      {301, false, false, RV_FAIL},
	        {501, false, false, RV_FAIL},      {0, true, true, RV_RETRY},
	        {200, true, true, RV_RETRY}, /* a 200 whose body was cut */
	        {0, true, false, RV_FAIL},   /* TLS verification, oversized */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(
		        retry_classify(cases[i].status, cases[i].failed, cases[i].retryable),
		        cases[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_backoff_bounds),
	        cmocka_unit_test(test_retry_after),
	        cmocka_unit_test(test_next_minute),
	        cmocka_unit_test(test_classify),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
