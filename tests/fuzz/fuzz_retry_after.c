/*
 * fuzz_retry_after.c: libFuzzer harness for retry_after_parse
 * (include/retry.h), the parser of a server's Retry-After header: the
 * input, cut at MAX_INPUT bytes and NUL-terminated, is parsed against a
 * few fixed wall clocks (a wall clock is the daemon's, never the
 * server's, so it is not taken from the input). Seeds:
 * corpus/fuzz_retry_after/.
 *
 * Properties checked, for every clock:
 *  - the clamping: every accepted value is within RETRY_AFTER_MIN_MS ..
 *    RETRY_AFTER_MAX_MS;
 *  - whether a value is accepted does not depend on the clock;
 *  - delay-seconds (after leading blanks, a digit): the delay does not
 *    depend on the clock; digits then blanks only, of value at most
 *    10^8, is accepted as clamp(value * 1000); a value of more than 10
 *    significant digits is refused ("too large to be sane");
 *  - anything else is accepted exactly when ts_parse_http_date accepts
 *    it (after the leading blanks), and the delay is then
 *    clamp(date * 1000 - now).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "retry.h"
#include "ts.h"

#define MAX_INPUT 128

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The clocks: the epoch, RFC 9110's example date, a recent day, the last ms ts_format prints. */
static const int64_t clocks[] = {0, 784111777000LL, 1795000000000LL, 253402300799999LL};
#define N_CLOCKS (sizeof(clocks) / sizeof(clocks[0]))

static int64_t clamp(int64_t ms)
{
	return ms < RETRY_AFTER_MIN_MS   ? RETRY_AFTER_MIN_MS
	       : ms > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS
	                                 : ms;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The oracle for delay-seconds: *value gets the number (saturated at
 * 10^12) and *digits the count of significant digits; true when s is
 * digits then blanks only.
 */
static bool seconds_form(const char *s, int64_t *value, int *digits)
{
	int64_t v = 0;
	int sig = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v < 1000000000000LL)
			v = v * 10 + (*s - '0');
		if (sig > 0 || *s != '0')
			sig++;
	}
	while (is_blank(*s))
		s++;
	*value = v;
	*digits = sig;
	return *s == '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[MAX_INPUT + 1];
	size_t n = size < MAX_INPUT ? size : MAX_INPUT;
	memcpy(s, data, n);
	s[n] = '\0';
	const char *t = s;
	while (is_blank(*t))
		t++;
	bool seconds = *t >= '0' && *t <= '9';
	int64_t value = 0, when = 0;
	int digits = 0;
	bool plain = seconds && seconds_form(t, &value, &digits);
	bool date = !seconds && ts_parse_http_date(t, &when) == 0;

	int rc0 = 0;
	int64_t d0 = 0;
	for (size_t i = 0; i < N_CLOCKS; i++) {
		int64_t d = -1;
		int rc = retry_after_parse(s, clocks[i], &d);
		FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
		if (i == 0) {
			rc0 = rc;
			d0 = d;
		}
		FUZZ_CHECK(rc == rc0, "\"%s\": accepted at one clock, refused at another", s);
		if (rc != 0)
			continue;
		FUZZ_CHECK(d >= RETRY_AFTER_MIN_MS && d <= RETRY_AFTER_MAX_MS,
		           "\"%s\" at %lld: %lld ms, outside the clamp", s, (long long)clocks[i],
		           (long long)d);
		if (seconds) {
			FUZZ_CHECK(plain, "\"%s\": accepted with junk after the seconds", s);
			FUZZ_CHECK(d == d0, "\"%s\": %lld ms at one clock, %lld at another", s,
			           (long long)d0, (long long)d);
		} else {
			FUZZ_CHECK(date, "\"%s\": accepted, but not an HTTP-date", s);
			FUZZ_CHECK(d == clamp(when * 1000 - clocks[i]),
			           "\"%s\" at %lld: %lld ms, expected %lld", s,
			           (long long)clocks[i], (long long)d,
			           (long long)clamp(when * 1000 - clocks[i]));
		}
	}
	if (plain && value <= 100000000)
		FUZZ_CHECK(rc0 == 0 && d0 == clamp(value * 1000), "\"%s\": rc %d, %lld ms", s, rc0,
		           (long long)d0);
	if (plain && digits > 10)
		FUZZ_CHECK(rc0 == -1, "\"%s\": %d digits accepted", s, digits);
	if (date)
		FUZZ_CHECK(rc0 == 0, "\"%s\": an HTTP-date refused", s);
	return 0;
}
