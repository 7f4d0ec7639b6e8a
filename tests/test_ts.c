/*
 * test_ts.c: src/ts.c, table-driven. Every expected epoch below was computed
 * independently with GNU date (`date -u -d '2026-11-20T08:01:00Z' +%s`),
 * not with the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ts.h"

#define UNTOUCHED INT64_C(0x5a5a5a5a5a5a)

struct good {
	const char *s;
	int64_t epoch;
};

static const struct good iso_good[] = {
        /* the three examples of docs/api.md */
        {"2013-01-26T07:31+0000", 1359185460},
        {"2026-11-20T08:01:00Z", 1795161660},
        {"2025-10-01T00:00:00.000+05:30", 1759257000},
        /* every offset form */
        {"2025-10-01T00:00:00+0530", 1759257000},
        {"2025-10-01T00:00+05:30", 1759257000},
        {"2026-11-20T08:01:00-0800", 1795190460},
        {"2026-11-20T08:01:00-08:00", 1795190460},
        {"2026-11-20T08:01:00+0000", 1795161660},
        {"2026-11-20T08:01:00+00:00", 1795161660},
        {"2026-11-20T08:01:00-00:00", 1795161660},
        {"2000-01-01T05:30+05:30", 946684800},
        {"2000-01-01T00:00:00+18:00", 946620000},
        {"2000-01-01T00:00:00-18:00", 946749600},
        /* fractions of any length are dropped */
        {"2026-11-20T08:01:00.9Z", 1795161660},
        {"2026-11-20T08:01:00.12Z", 1795161660},
        {"2026-11-20T08:01:00.999999-08:00", 1795190460},
        {"2026-11-20T08:01:00.123456789012345678901234567890Z", 1795161660},
        /* calendar edges */
        {"1970-01-01T00:00:00Z", 0},
        {"1969-12-31T23:59:59Z", -1},
        {"2000-02-29T12:00:00Z", 951825600},
        {"2024-02-29T23:59:59Z", 1709251199},
        {"2100-02-28T00:00Z", 4107456000},
        {"2100-03-01T00:00Z", 4107542400},
        {"2099-12-31T23:59:59Z", 4102444799},
        {"0000-01-01T00:00:00Z", -62167219200},
        {"9999-12-31T23:59:59Z", 253402300799},
        {"0000-01-01T00:00-01:00", -62167219200 + 3600},
        /* a leap second is the first second of the next minute */
        {"2016-12-31T23:59:60Z", 1483228800},
        {"2017-01-01T05:29:60+05:30", 1483228800},
};

static const char *const iso_bad[] = {
        "",
        "2026",
        "2026-11-20",
        "2026-11-20T08",
        "2026-11-20T08:01",                /* no offset */
        "2026-11-20T08:01:00",             /* no offset */
        "2026-11-20T08:01:00.000",         /* no offset */
        "2026-11-20t08:01:00Z",            /* lowercase t */
        "2026-11-20T08:01:00z",            /* lowercase z */
        "2026-11-20 08:01:00Z",            /* space for T */
        " 2026-11-20T08:01:00Z",           /* leading space */
        "2026-11-20T08:01:00Z ",           /* trailing space */
        "2026-11-20T08:01:00Zx",           /* trailing garbage */
        "2026-11-20T08:01:00ZZ",           /* trailing garbage */
        "2026-11-20T08:01:00+0000x",       /* trailing garbage */
        "2026-11-20T08:01:00+05:30:00",    /* seconds in offset */
        "2026-11-20T08:01:00+05",          /* offset without minutes */
        "2026-11-20T08:01:00+5:30",        /* one-digit offset hour */
        "2026-11-20T08:01:00+05:3",        /* one-digit offset minute */
        "2026-11-20T08:01:00+053",         /* three-digit offset */
        "2026-11-20T08:01:00+05-30",       /* wrong separator */
        "2026-11-20T08:01:00+18:01",       /* offset beyond 18:00 */
        "2026-11-20T08:01:00-1900",        /* offset beyond 18:00 */
        "2026-11-20T08:01:00+0060",        /* offset minute 60 */
        "2026-11-20T08:01:00.Z",           /* empty fraction */
        "2026-11-20T08:01:00,5Z",          /* comma fraction */
        "2026-11-20T08:01.5Z",             /* fraction without seconds */
        "2026-11-20T08:01:0Z",             /* one-digit second */
        "2026-11-20T8:01:00Z",             /* one-digit hour */
        "2026-11-2T08:01:00Z",             /* one-digit day */
        "2026-1-20T08:01:00Z",             /* one-digit month */
        "026-11-20T08:01:00Z",             /* three-digit year */
        "+2026-11-20T08:01:00Z",           /* signed year */
        "-2026-11-20T08:01:00Z",           /* signed year */
        "20261120T080100Z",                /* basic format */
        "2026-13-01T00:00:00Z",            /* month 13 */
        "2026-00-01T00:00:00Z",            /* month 0 */
        "2026-11-00T00:00:00Z",            /* day 0 */
        "2026-11-31T00:00:00Z",            /* November 31 */
        "2026-02-29T00:00:00Z",            /* not a leap year */
        "2100-02-29T00:00:00Z",            /* century, not a leap year */
        "2026-11-20T24:00:00Z",            /* hour 24 */
        "2026-11-20T08:60:00Z",            /* minute 60 */
        "2026-11-20T08:01:61Z",            /* second 61 */
        "2026-11-20T08:01:99Z",            /* second 99 */
        "0000-01-01T00:00+01:00",          /* before year 0 in UTC */
        "9999-12-31T23:59:60Z",            /* after year 9999 */
        "9999-12-31T23:59-01:00",          /* after year 9999 in UTC */
        "2026-11-20T08:01:00\xef\xbc\xba", /* fullwidth Z */
        "yesterday",
        "1795161660",
};

static void test_iso_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(iso_good) / sizeof(iso_good[0]); i++) {
		int64_t e = UNTOUCHED;
		int rc = ts_parse(iso_good[i].s, &e);
		if (rc != 0 || e != iso_good[i].epoch)
			fail_msg("ts_parse(\"%s\"): rc %d, %lld, want %lld", iso_good[i].s, rc,
			         (long long)e, (long long)iso_good[i].epoch);
	}
}

static void test_iso_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(iso_bad) / sizeof(iso_bad[0]); i++) {
		int64_t e = UNTOUCHED;
		if (ts_parse(iso_bad[i], &e) != -1 || e != UNTOUCHED)
			fail_msg("ts_parse(\"%s\") accepted: %lld", iso_bad[i], (long long)e);
	}
	int64_t e = UNTOUCHED;
	assert_int_equal(ts_parse(NULL, &e), -1);
	assert_int_equal(e, UNTOUCHED);
}

/* Every proper prefix of every valid instant is invalid (no offset, or a cut field). */
static void test_iso_truncations(void **state)
{
	(void)state;
	char buf[128];
	for (size_t i = 0; i < sizeof(iso_good) / sizeof(iso_good[0]); i++) {
		size_t len = strlen(iso_good[i].s);
		assert_true(len < sizeof(buf));
		for (size_t cut = 0; cut < len; cut++) {
			memcpy(buf, iso_good[i].s, cut);
			buf[cut] = '\0';
			int64_t e = UNTOUCHED;
			if (ts_parse(buf, &e) != -1 || e != UNTOUCHED)
				fail_msg("ts_parse(\"%s\") accepted a truncation", buf);
		}
	}
}

static const struct good day_good[] = {
        {"1970-01-01", 0},
        {"1969-12-31", -86400},
        {"2026-11-22", 1795305600},
        {"2000-02-29", 951782400},
        {"2024-02-29", 1709164800},
        {"2100-03-01", 4107542400},
        {"0000-01-01", -62167219200},
        {"9999-12-31", 253402214400},
};

static const char *const day_bad[] = {
        "",
        "2026-11-2",
        "2026-11-222",
        "2026-11-22T00:00:00Z",
        "2026-11-22 ",
        " 2026-11-22",
        "2026/11/22",
        "2026-02-29",
        "2100-02-29",
        "2026-04-31",
        "2026-13-01",
        "2026-00-10",
        "2026-01-00",
        "20261122",
        "+2026-11-22",
        "yesterday",
};

static void test_day(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(day_good) / sizeof(day_good[0]); i++) {
		int64_t e = UNTOUCHED;
		if (ts_parse_day(day_good[i].s, &e) != 0 || e != day_good[i].epoch)
			fail_msg("ts_parse_day(\"%s\"): %lld, want %lld", day_good[i].s,
			         (long long)e, (long long)day_good[i].epoch);
		char buf[16];
		size_t len = strlen(day_good[i].s);
		for (size_t cut = 0; cut < len; cut++) {
			memcpy(buf, day_good[i].s, cut);
			buf[cut] = '\0';
			e = UNTOUCHED;
			if (ts_parse_day(buf, &e) != -1 || e != UNTOUCHED)
				fail_msg("ts_parse_day(\"%s\") accepted a truncation", buf);
		}
	}
	for (size_t i = 0; i < sizeof(day_bad) / sizeof(day_bad[0]); i++) {
		int64_t e = UNTOUCHED;
		if (ts_parse_day(day_bad[i], &e) != -1 || e != UNTOUCHED)
			fail_msg("ts_parse_day(\"%s\") accepted", day_bad[i]);
	}
	int64_t e = UNTOUCHED;
	assert_int_equal(ts_parse_day(NULL, &e), -1);
}

static const struct good http_good[] = {
        /* RFC 9110's own examples, the three forms */
        {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
        {"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
        {"Sun Nov  6 08:49:37 1994", 784111777},
        {"Sun Nov 06 08:49:37 1994", 784111777},
        {"Sat, 28 Nov 2026 13:45:10 GMT", 1795873510},
        {"Saturday, 28-Nov-26 13:45:10 GMT", 1795873510},
        {"Sat Nov 28 13:45:10 2026", 1795873510},
        {"Thu, 01 Jan 1970 00:00:00 GMT", 0},
        {"Thursday, 01-Jan-70 00:00:00 GMT", 0},
        {"Wednesday, 06-Nov-69 00:00:00 GMT", 3150921600},
        {"Friday, 31-Dec-99 23:59:59 GMT", 946684799},
        {"Saturday, 01-Jan-00 00:00:00 GMT", 946684800},
        {"Thu, 29 Feb 2024 00:00:00 GMT", 1709164800},
        {"Sat, 31 Dec 2016 23:59:60 GMT", 1483228800},
        {"Fri, 31 Dec 9999 23:59:59 GMT", 253402300799},
};

static const char *const http_bad[] = {
        "",
        "120",
        "Mon, 06 Nov 1994 08:49:37 GMT",      /* wrong weekday */
        "Monday, 06-Nov-94 08:49:37 GMT",     /* wrong weekday */
        "Mon Nov  6 08:49:37 1994",           /* wrong weekday */
        "sun, 06 Nov 1994 08:49:37 GMT",      /* case */
        "Sun, 06 nov 1994 08:49:37 GMT",      /* case */
        "Sun, 06 Nov 1994 08:49:37 gmt",      /* case */
        "Sun, 06 Nov 1994 08:49:37 UTC",      /* not GMT */
        "Sun, 06 Nov 1994 08:49:37 +0000",    /* not GMT */
        "Sun, 06 Nov 1994 08:49:37",          /* no GMT */
        "Sun, 06 Nov 1994 08:49:37 GMT ",     /* trailing space */
        " Sun, 06 Nov 1994 08:49:37 GMT",     /* leading space */
        "Sun, 6 Nov 1994 08:49:37 GMT",       /* one-digit day */
        "Sun,  06 Nov 1994 08:49:37 GMT",     /* double space */
        "Sun, 06 Nov 94 08:49:37 GMT",        /* two-digit year in IMF */
        "Sun, 06 November 1994 08:49:37 GMT", /* long month */
        "Sun, 31 Nov 1994 08:49:37 GMT",      /* November 31 */
        "Sun, 06 Nov 1994 24:00:00 GMT",      /* hour 24 */
        "Sun, 06 Nov 1994 08:60:00 GMT",      /* minute 60 */
        "Sun, 06 Nov 1994 08:49:61 GMT",      /* second 61 */
        "Sun, 06 Nov 1994 8:49:37 GMT",       /* one-digit hour */
        "Sunday, 06-Nov-1994 08:49:37 GMT",   /* four-digit year in RFC 850 */
        "Sun, 06-Nov-94 08:49:37 GMT",        /* short name in RFC 850 */
        "Sunday, 06 Nov 1994 08:49:37 GMT",   /* long name in IMF */
        "Sun Nov 6 08:49:37 1994",            /* asctime single space */
        "Sun Nov  6 08:49:37 94",             /* asctime two-digit year */
        "Sun Nov  6 08:49:37 1994 GMT",       /* asctime with zone */
        "Sun Nov   6 08:49:37 1994",          /* asctime three spaces */
        "1994-11-06T08:49:37Z",               /* ISO, not an HTTP-date */
        "Fri, 31 Dec 9999 23:59:60 GMT",      /* after year 9999 */
};

static void test_http_date(void **state)
{
	(void)state;
	char buf[64];
	for (size_t i = 0; i < sizeof(http_good) / sizeof(http_good[0]); i++) {
		int64_t e = UNTOUCHED;
		int rc = ts_parse_http_date(http_good[i].s, &e);
		if (rc != 0 || e != http_good[i].epoch)
			fail_msg("ts_parse_http_date(\"%s\"): rc %d, %lld, want %lld",
			         http_good[i].s, rc, (long long)e, (long long)http_good[i].epoch);
		size_t len = strlen(http_good[i].s);
		assert_true(len < sizeof(buf));
		for (size_t cut = 0; cut < len; cut++) {
			memcpy(buf, http_good[i].s, cut);
			buf[cut] = '\0';
			e = UNTOUCHED;
			if (ts_parse_http_date(buf, &e) != -1 || e != UNTOUCHED)
				fail_msg("ts_parse_http_date(\"%s\") accepted a truncation", buf);
		}
	}
	for (size_t i = 0; i < sizeof(http_bad) / sizeof(http_bad[0]); i++) {
		int64_t e = UNTOUCHED;
		if (ts_parse_http_date(http_bad[i], &e) != -1 || e != UNTOUCHED)
			fail_msg("ts_parse_http_date(\"%s\") accepted: %lld", http_bad[i],
			         (long long)e);
	}
	int64_t e = UNTOUCHED;
	assert_int_equal(ts_parse_http_date(NULL, &e), -1);
}

struct fmt {
	int64_t epoch;
	const char *ts;
	const char *day;
};

static const struct fmt formats[] = {
        {0, "1970-01-01T00:00:00Z", "1970-01-01"},
        {-1, "1969-12-31T23:59:59Z", "1969-12-31"},
        {1359185460, "2013-01-26T07:31:00Z", "2013-01-26"},
        {1795161660, "2026-11-20T08:01:00Z", "2026-11-20"},
        {1795873510, "2026-11-28T13:45:10Z", "2026-11-28"},
        {951825600, "2000-02-29T12:00:00Z", "2000-02-29"},
        {4107542400, "2100-03-01T00:00:00Z", "2100-03-01"},
        {4102444799, "2099-12-31T23:59:59Z", "2099-12-31"},
        {-62167219200, "0000-01-01T00:00:00Z", "0000-01-01"},
        {253402300799, "9999-12-31T23:59:59Z", "9999-12-31"},
        /* outside years 0..9999: clamped */
        {-62167219201, "0000-01-01T00:00:00Z", "0000-01-01"},
        {253402300800, "9999-12-31T23:59:59Z", "9999-12-31"},
        {INT64_MIN, "0000-01-01T00:00:00Z", "0000-01-01"},
        {INT64_MAX, "9999-12-31T23:59:59Z", "9999-12-31"},
};

static void test_format(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char ts[TS_LEN], day[DAY_LEN];
		memset(ts, 'x', sizeof(ts));
		memset(day, 'x', sizeof(day));
		ts_format(formats[i].epoch, ts);
		ts_format_day(formats[i].epoch, day);
		assert_string_equal(ts, formats[i].ts);
		assert_string_equal(day, formats[i].day);
	}
}

static void test_days_from_civil(void **state)
{
	(void)state;
	assert_int_equal(ts_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(ts_days_from_civil(1969, 12, 31), -1);
	assert_int_equal(ts_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(ts_days_from_civil(2026, 11, 22), 1795305600 / 86400);
	assert_int_equal(ts_days_from_civil(0, 1, 1), -719528);
	/* Consecutive calendar days are consecutive numbers, 1900..2100. */
	int64_t prev = ts_days_from_civil(1899, 12, 31);
	static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	for (int64_t y = 1900; y <= 2100; y++) {
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		for (unsigned m = 1; m <= 12; m++) {
			unsigned n = dim[m - 1] + (m == 2 && leap);
			for (unsigned d = 1; d <= n; d++) {
				int64_t z = ts_days_from_civil(y, m, d);
				if (z != prev + 1)
					fail_msg("%lld-%u-%u: %lld after %lld", (long long)y, m, d,
					         (long long)z, (long long)prev);
				prev = z;
			}
		}
	}
	assert_int_equal(prev, ts_days_from_civil(2101, 1, 1) - 1);
}

/* format then parse gives the same epoch, across the whole range. */
static void test_round_trip(void **state)
{
	(void)state;
	const int64_t lo = -62167219200, hi = 253402300799;
	const int64_t step = 3155693; /* a prime near 36.5 days: every time of day shows up */
	for (int64_t e = lo; e <= hi; e += step) {
		char ts[TS_LEN], day[DAY_LEN];
		int64_t back = UNTOUCHED, dback = UNTOUCHED;
		ts_format(e, ts);
		ts_format_day(e, day);
		if (ts_parse(ts, &back) != 0 || back != e)
			fail_msg("%lld -> %s -> %lld", (long long)e, ts, (long long)back);
		int64_t midnight = e - ((e % 86400) + 86400) % 86400;
		if (ts_parse_day(day, &dback) != 0 || dback != midnight)
			fail_msg("%lld -> %s -> %lld", (long long)e, day, (long long)dback);
		assert_memory_equal(ts, day, DAY_LEN - 1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_iso_good),        cmocka_unit_test(test_iso_bad),
	        cmocka_unit_test(test_iso_truncations), cmocka_unit_test(test_day),
	        cmocka_unit_test(test_http_date),       cmocka_unit_test(test_format),
	        cmocka_unit_test(test_days_from_civil), cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
