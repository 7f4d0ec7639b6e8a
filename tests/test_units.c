/*
 * test_units.c: src/units.c, table-driven: every unit, bare numbers, zero,
 * the maxima and one past them, overflow, garbage, signs, spaces and
 * fractions; formatting, and formatting back through the parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

#define BAD    (-1)
#define MAX_MS UNITS_DURATION_MAX_MS

struct dur_case {
	const char *in;
	int rc;
	int64_t ms;
};

static const struct dur_case dur_cases[] = {
        {"250ms", 0, 250},
        {"90", 0, 90000},
        {"90s", 0, 90000},
        {"15m", 0, 900000},
        {"1h", 0, 3600000},
        {"1d", 0, 86400000},
        {"0", 0, 0},
        {"0ms", 0, 0},
        {"0s", 0, 0},
        {"0d", 0, 0},
        {"007s", 0, 7000},
        {"1ms", 0, 1},
        {"3650d", 0, MAX_MS},
        {"87600h", 0, MAX_MS},
        {"315360000", 0, MAX_MS},
        {"315360000000ms", 0, MAX_MS},
        {"3651d", BAD, 0},
        {"315360001", BAD, 0},
        {"315360000001ms", BAD, 0},
        {"9223372036854775807ms", BAD, 0},
        {"9223372036854775808ms", BAD, 0},
        {"18446744073709551616", BAD, 0},
        {"99999999999999999999999999d", BAD, 0},
        {"", BAD, 0},
        {"s", BAD, 0},
        {"ms", BAD, 0},
        {"-1s", BAD, 0},
        {"+1s", BAD, 0},
        {"-0", BAD, 0},
        {" 1s", BAD, 0},
        {"1s ", BAD, 0},
        {"1 s", BAD, 0},
        {"1\ts", BAD, 0},
        {"1.5h", BAD, 0},
        {".5s", BAD, 0},
        {"1,5s", BAD, 0},
        {"1e3", BAD, 0},
        {"0x10", BAD, 0},
        {"1S", BAD, 0},
        {"1H", BAD, 0},
        {"1sec", BAD, 0},
        {"1hh", BAD, 0},
        {"1w", BAD, 0},
        {"1y", BAD, 0},
        {"1us", BAD, 0},
        {"1m30s", BAD, 0},
        {"1h1", BAD, 0},
        {"abc", BAD, 0},
};

static void test_parse_duration(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dur_cases) / sizeof(dur_cases[0]); i++) {
		const struct dur_case *c = &dur_cases[i];
		int64_t ms = -42;
		int rc = units_parse_duration(c->in, &ms);
		if (rc != c->rc || (rc == 0 && ms != c->ms) || (rc != 0 && ms != -42))
			fail_msg("units_parse_duration(\"%s\"): rc %d ms %lld, expected rc %d ms "
			         "%lld",
			         c->in, rc, (long long)ms, c->rc,
			         (long long)(rc == 0 ? c->ms : -42));
	}
	int64_t ms = 5;
	assert_int_equal(units_parse_duration(NULL, &ms), -1);
	assert_int_equal(ms, 5);
}

struct size_case {
	const char *in;
	int rc;
	uint64_t bytes;
};

#define KI ((uint64_t)1024)

static const struct size_case size_cases[] = {
        {"4096", 0, 4096},
        {"0", 0, 0},
        {"0KiB", 0, 0},
        {"1B", 0, 1},
        {"512B", 0, 512},
        {"64KiB", 0, 64 * KI},
        {"32MiB", 0, 32 * KI *KI},
        {"1GiB", 0, KI *KI *KI},
        {"1K", 0, KI},
        {"3M", 0, 3 * KI *KI},
        {"2G", 0, 2 * KI *KI *KI},
        {"1024GiB", 0, UNITS_SIZE_MAX},
        {"1048576MiB", 0, UNITS_SIZE_MAX},
        {"1099511627776", 0, UNITS_SIZE_MAX},
        {"1099511627777", BAD, 0},
        {"1025GiB", BAD, 0},
        {"1073741825KiB", BAD, 0},
        {"18446744073709551616", BAD, 0},
        {"99999999999999999999999999GiB", BAD, 0},
        {"", BAD, 0},
        {"KiB", BAD, 0},
        {"-1", BAD, 0},
        {"+1", BAD, 0},
        {" 1", BAD, 0},
        {"1 ", BAD, 0},
        {"1 KiB", BAD, 0},
        {"1.5MiB", BAD, 0},
        {"1e6", BAD, 0},
        {"1KB", BAD, 0},
        {"1MB", BAD, 0},
        {"1kib", BAD, 0},
        {"1k", BAD, 0},
        {"1TiB", BAD, 0},
        {"1b", BAD, 0},
        {"1KiBB", BAD, 0},
        {"0x400", BAD, 0},
};

static void test_parse_size(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		const struct size_case *c = &size_cases[i];
		uint64_t b = 4242;
		int rc = units_parse_size(c->in, &b);
		if (rc != c->rc || (rc == 0 && b != c->bytes) || (rc != 0 && b != 4242))
			fail_msg("units_parse_size(\"%s\"): rc %d bytes %llu, expected rc %d bytes "
			         "%llu",
			         c->in, rc, (unsigned long long)b, c->rc,
			         (unsigned long long)(rc == 0 ? c->bytes : 4242));
	}
}

struct fmt_dur_case {
	int64_t ms;
	const char *out;
};

static const struct fmt_dur_case fmt_dur_cases[] = {
        {0, "0s"},
        {1, "1ms"},
        {250, "250ms"},
        {1000, "1s"},
        {1500, "1500ms"},
        {90000, "90s"},
        {900000, "15m"},
        {3600000, "1h"},
        {5400000, "90m"},
        {86400000, "1d"},
        {90061000, "90061s"},
        {172800000, "2d"},
        {MAX_MS, "3650d"},
        {MAX_MS - 1, "315359999999ms"},
        {-5, "-5ms"},
};

static void test_format_duration(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fmt_dur_cases) / sizeof(fmt_dur_cases[0]); i++) {
		const struct fmt_dur_case *c = &fmt_dur_cases[i];
		char buf[UNITS_BUF_LEN];
		units_format_duration(c->ms, buf, sizeof(buf));
		assert_string_equal(buf, c->out);
		if (c->ms >= 0) { /* and back */
			int64_t back = -1;
			assert_int_equal(units_parse_duration(buf, &back), 0);
			assert_int_equal(back, c->ms);
		}
	}
	/* A short buffer truncates, never overflows; a zero-length one is left alone. */
	char small[4] = "xyz";
	units_format_duration(250, small, sizeof(small));
	assert_string_equal(small, "250");
	units_format_duration(250, small, 0);
	assert_string_equal(small, "250");
}

struct fmt_size_case {
	uint64_t bytes;
	const char *out;
};

static const struct fmt_size_case fmt_size_cases[] = {
        {0, "0"},
        {1, "1"},
        {1000, "1000"},
        {1023, "1023"},
        {1024, "1KiB"},
        {1536, "1536"},
        {4096, "4KiB"},
        {65536, "64KiB"},
        {33554432, "32MiB"},
        {1073741824, "1GiB"},
        {1073741824 + 1024, "1048577KiB"},
        {UNITS_SIZE_MAX, "1024GiB"},
};

static void test_format_size(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fmt_size_cases) / sizeof(fmt_size_cases[0]); i++) {
		const struct fmt_size_case *c = &fmt_size_cases[i];
		char buf[UNITS_BUF_LEN];
		units_format_size(c->bytes, buf, sizeof(buf));
		assert_string_equal(buf, c->out);
		uint64_t back = 7;
		assert_int_equal(units_parse_size(buf, &back), 0);
		assert_int_equal(back, c->bytes);
	}
	char small[3] = "zz";
	units_format_size(65536, small, sizeof(small));
	assert_string_equal(small, "64");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_duration),
	        cmocka_unit_test(test_parse_size),
	        cmocka_unit_test(test_format_duration),
	        cmocka_unit_test(test_format_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
