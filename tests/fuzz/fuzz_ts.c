/*
 * fuzz_ts.c: libFuzzer harness for the timestamp parsers of include/ts.h:
 * ts_parse (docs/api.md's loose ISO 8601), ts_parse_day (YYYY-MM-DD) and
 * ts_parse_http_date (RFC 9110 HTTP-dates). The input, cut at MAX_INPUT
 * bytes and NUL-terminated, goes to all three. Seeds: corpus/fuzz_ts/.
 *
 * Properties checked:
 *  - a refused input leaves *out untouched (all three);
 *  - whatever ts_parse accepts lies in years 0..9999, and ts_format gives
 *    a 20-character string that ts_parse accepts with the same value; an
 *    input already in the canonical form "YYYY-MM-DDTHH:MM:SSZ" (not a
 *    leap second) is exactly what ts_format prints back;
 *  - whatever ts_parse_day accepts is a 10-byte input, a multiple of a
 *    day, ts_format_day prints the input back, and ts_parse of the input
 *    plus "T00:00Z" gives the same value;
 *  - whatever ts_parse_http_date accepts lies in years 0..9999, its
 *    IMF-fixdate (formatted here independently) parses back to the same
 *    value, and so does its ts_format through ts_parse;
 *  - for the input's first 8 bytes as an int64 epoch, ts_format and
 *    ts_format_day print 20 and 10 characters that ts_parse and
 *    ts_parse_day read back as the epoch clamped to years 0..9999 (the
 *    day: the clamped epoch's day).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_check.h"
#include "ts.h"

#define MAX_INPUT    128
#define SECS_PER_DAY 86400
#define TS_MIN       (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define TS_MAX       253402300799LL   /* 9999-12-31T23:59:59Z */
#define SENTINEL     ((int64_t)0x5a5a5a5a5a5a5a5aLL)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/*
 * The IMF-fixdate of epoch e (years 0..9999) into out, written from
 * ts_format's digits and a weekday computed here (1970-01-01 was a
 * Thursday), not by the code under test: "Sun, 06 Nov 1994 08:49:37 GMT".
 */
static void imf_fixdate(int64_t e, char *out, size_t outlen)
{
	static const char *const wd[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mon[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	char ts[TS_LEN];
	ts_format(e, ts);
	int64_t w = (floor_div(e, SECS_PER_DAY) + 4) % 7;
	if (w < 0)
		w += 7;
	int m = (ts[5] - '0') * 10 + (ts[6] - '0');
	snprintf(out, outlen, "%s, %.2s %s %.4s %.8s GMT", wd[w], ts + 8, mon[m - 1], ts, ts + 11);
}

/* ts_format(v) parses back to v. */
static void check_format_round_trip(int64_t v, const char *what)
{
	char f[TS_LEN];
	int64_t back = SENTINEL;
	ts_format(v, f);
	FUZZ_CHECK(strlen(f) == TS_LEN - 1, "%s: ts_format(%lld) is \"%s\"", what, (long long)v, f);
	FUZZ_CHECK(ts_parse(f, &back) == 0 && back == v,
	           "%s: ts_format(%lld) = \"%s\" parses back as %lld", what, (long long)v, f,
	           (long long)back);
}

static void fuzz_iso(const char *s, size_t n)
{
	int64_t v = SENTINEL;
	if (ts_parse(s, &v) != 0) {
		FUZZ_CHECK(v == SENTINEL, "refused but *out written");
		return;
	}
	FUZZ_CHECK(v >= TS_MIN && v <= TS_MAX, "ts_parse(\"%s\") = %lld, outside years 0..9999", s,
	           (long long)v);
	check_format_round_trip(v, "ts_parse");
	if (n == TS_LEN - 1 && s[19] == 'Z' && !(s[17] == '6' && s[18] == '0')) {
		char f[TS_LEN];
		ts_format(v, f);
		FUZZ_CHECK(strcmp(f, s) == 0, "canonical \"%s\" formats back as \"%s\"", s, f);
	}
}

static void fuzz_day(const char *s, size_t n)
{
	int64_t d = SENTINEL, t = SENTINEL;
	char f[DAY_LEN], iso[DAY_LEN + 8];
	if (ts_parse_day(s, &d) != 0) {
		FUZZ_CHECK(d == SENTINEL, "refused but *out written");
		return;
	}
	FUZZ_CHECK(n == DAY_LEN - 1, "ts_parse_day accepted %zu bytes", n);
	FUZZ_CHECK(d % SECS_PER_DAY == 0, "ts_parse_day(\"%s\") = %lld", s, (long long)d);
	ts_format_day(d, f);
	FUZZ_CHECK(strcmp(f, s) == 0, "ts_parse_day(\"%s\") formats back as \"%s\"", s, f);
	snprintf(iso, sizeof(iso), "%sT00:00Z", s);
	FUZZ_CHECK(ts_parse(iso, &t) == 0 && t == d, "ts_parse(\"%s\") = %lld, the day %lld", iso,
	           (long long)t, (long long)d);
}

static void fuzz_http(const char *s)
{
	int64_t h = SENTINEL, back = SENTINEL;
	char imf[40];
	if (ts_parse_http_date(s, &h) != 0) {
		FUZZ_CHECK(h == SENTINEL, "refused but *out written");
		return;
	}
	FUZZ_CHECK(h >= TS_MIN && h <= TS_MAX, "ts_parse_http_date(\"%s\") = %lld", s,
	           (long long)h);
	imf_fixdate(h, imf, sizeof(imf));
	FUZZ_CHECK(ts_parse_http_date(imf, &back) == 0 && back == h,
	           "\"%s\" = %lld, its IMF-fixdate \"%s\" parses back as %lld", s, (long long)h,
	           imf, (long long)back);
	check_format_round_trip(h, "ts_parse_http_date");
}

/* Any int64 formats to something the parsers read back, clamped to years 0..9999. */
static void fuzz_format(int64_t e)
{
	int64_t want = e < TS_MIN ? TS_MIN : e > TS_MAX ? TS_MAX : e, d = SENTINEL;
	char day[DAY_LEN];
	check_format_round_trip(want, "ts_format");
	char f[TS_LEN], g[TS_LEN];
	ts_format(e, f);
	ts_format(want, g);
	FUZZ_CHECK(strcmp(f, g) == 0, "ts_format(%lld) = \"%s\", not clamped (\"%s\")",
	           (long long)e, f, g);
	ts_format_day(e, day);
	FUZZ_CHECK(strlen(day) == DAY_LEN - 1 && memcmp(day, f, DAY_LEN - 1) == 0,
	           "ts_format_day(%lld) = \"%s\", ts_format \"%s\"", (long long)e, day, f);
	FUZZ_CHECK(ts_parse_day(day, &d) == 0 && d == floor_div(want, SECS_PER_DAY) * SECS_PER_DAY,
	           "ts_parse_day(\"%s\") = %lld", day, (long long)d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAX_INPUT + 1];
	size_t n = size < MAX_INPUT ? size : MAX_INPUT;
	memcpy(s, data, n);
	s[n] = '\0';
	n = strlen(s);
	fuzz_iso(s, n);
	fuzz_day(s, n);
	fuzz_http(s);
	if (size >= sizeof(int64_t)) {
		int64_t e;
		memcpy(&e, data, sizeof(e));
		fuzz_format(e);
	}
	return 0;
}
