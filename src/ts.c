/*
 * ts.c: instants and days as the WebEngage API sends them (docs/api.md, "Hosts,
 * auth, envelope": loose ISO 8601 with its own offset), as HTTP sends them
 * (RFC 9110 HTTP-dates, for Retry-After) and as the store keeps them (UTC
 * text "YYYY-MM-DDTHH:MM:SSZ" and days "YYYY-MM-DD").
 *
 * Everything is plain integer arithmetic on the proleptic Gregorian
 * calendar (Howard Hinnant's days_from_civil and civil_from_days): no
 * mktime, timegm, strptime, TZ or locale is involved, so the results do not
 * depend on the host's time zone or language.
 *
 * The representable range is the one ts_format can print: from
 * 0000-01-01T00:00:00Z to 9999-12-31T23:59:59Z. A parse whose result falls
 * outside it (a year-0 local time east of UTC, say) fails, so that every
 * parsed instant formats back without loss.
 */
#include "ts.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "clock.h"

/* clock.h's correction of the wall clock (a fleet member's server offset). */
_Atomic int64_t clock_wall_offset_ms = 0;

#define SECS_PER_DAY 86400
#define TS_MIN_EPOCH (-62167219200LL) /* 0000-01-01T00:00:00Z */
#define TS_MAX_EPOCH 253402300799LL   /* 9999-12-31T23:59:59Z */
#define OFFSET_MAX   (18 * 60)        /* minutes: +-18:00 */

/*
 * Days since 1970-01-01 of year y, month m (1..12), day d (1..31). The
 * algorithm shifts the year to start in March so that the leap day is the
 * last day of the shifted year, then counts whole 400-year eras (146097
 * days each) and the days within the era. Valid for |y| below about 2^40;
 * the callers in this file pass 0..9999 only.
 */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const int64_t yoe = y - era * 400;                                   /* [0, 399] */
	const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* The inverse of ts_days_from_civil: days since 1970-01-01 to y, m, d. */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const int64_t doe = z - era * 146097;                                      /* [0, 146096] */
	const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	const int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Floor division and modulo by a positive divisor. */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/*
 * Read exactly n ASCII digits at *p into *val and advance *p. Fails (false)
 * without advancing when fewer than n digits are there. isdigit() is not
 * used: it depends on the locale.
 */
static bool digits(const char **p, int n, int *val)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*val = v;
	return true;
}

/* Consume the literal character c at *p. */
static bool lit(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

/*
 * The epoch second of a validated calendar date and time of day, or false
 * when a field is out of range. Seconds may be 60 (a leap second): it is
 * normalized to the first second of the next minute, since the epoch scale
 * has no leap seconds.
 */
static bool civil_to_epoch(int y, int mo, int d, int h, int mi, int s, wall_s *out)
{
	if (y < 0 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    (unsigned)d > days_in_month(y, (unsigned)mo))
		return false;
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
		return false;
	*out = ts_days_from_civil(y, (unsigned)mo, (unsigned)d) * SECS_PER_DAY + h * 3600 +
	       mi * 60 + s;
	return true;
}

/*
 * The grammar accepted (anything else fails, including leading or trailing
 * spaces, a lowercase 't' or 'z', a space instead of 'T', "+hh" without
 * minutes, a fraction without seconds, or a missing offset):
 *
 *   YYYY "-" MM "-" DD "T" hh ":" mm [ ":" ss [ "." 1*DIGIT ] ]
 *        ( "Z" / ("+" / "-") hh [":"] mm )
 *
 * Lowercase 't' and 'z' are refused on purpose although RFC 3339 allows
 * them: docs/api.md only ever shows uppercase, and a strict parser makes a
 * server that drifts from it visible instead of silently accepted. The
 * fraction is dropped (the store keeps whole seconds); its length is
 * unbounded but it is part of s, which the caller has bounded. "-00:00"
 * is taken as UTC.
 */
int ts_parse(const char *s, wall_s *out)
{
	if (!s)
		return -1;
	const char *p = s;
	int y, mo, d, h, mi, sec = 0;
	if (!digits(&p, 4, &y) || !lit(&p, '-') || !digits(&p, 2, &mo) || !lit(&p, '-') ||
	    !digits(&p, 2, &d) || !lit(&p, 'T') || !digits(&p, 2, &h) || !lit(&p, ':') ||
	    !digits(&p, 2, &mi))
		return -1;
	if (lit(&p, ':')) {
		if (!digits(&p, 2, &sec))
			return -1;
		if (lit(&p, '.')) {
			if (*p < '0' || *p > '9')
				return -1;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	int offset = 0; /* minutes east of UTC */
	if (lit(&p, 'Z')) {
		offset = 0;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (!digits(&p, 2, &oh))
			return -1;
		lit(&p, ':');
		if (!digits(&p, 2, &om) || om > 59 || oh * 60 + om > OFFSET_MAX)
			return -1;
		offset = sign * (oh * 60 + om);
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	wall_s local;
	if (!civil_to_epoch(y, mo, d, h, mi, sec, &local))
		return -1;
	wall_s utc = local - (int64_t)offset * 60;
	if (utc < TS_MIN_EPOCH || utc > TS_MAX_EPOCH)
		return -1;
	*out = utc;
	return 0;
}

/* Exactly "YYYY-MM-DD", a real calendar day, nothing before or after. */
int ts_parse_day(const char *s, wall_s *out)
{
	if (!s)
		return -1;
	const char *p = s;
	int y, mo, d;
	wall_s e;
	if (!digits(&p, 4, &y) || !lit(&p, '-') || !digits(&p, 2, &mo) || !lit(&p, '-') ||
	    !digits(&p, 2, &d) || *p != '\0' || !civil_to_epoch(y, mo, d, 0, 0, 0, &e))
		return -1;
	*out = e;
	return 0;
}

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const wday_short[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wday_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};

/* Match one of names (case-sensitive, as RFC 9110 says) at *p; its index or -1. */
static int match_name(const char **p, const char *const *names, int n)
{
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		if (strncmp(*p, names[i], len) == 0) {
			*p += len;
			return i;
		}
	}
	return -1;
}

/* "hh:mm:ss" into h, mi, s (ranges are checked by civil_to_epoch). */
static bool time_of_day(const char **p, int *h, int *mi, int *s)
{
	return digits(p, 2, h) && lit(p, ':') && digits(p, 2, mi) && lit(p, ':') && digits(p, 2, s);
}

/*
 * The three forms of RFC 9110 section 5.6.7, exactly (single spaces, the
 * case of names as shown, "GMT"):
 *
 *   IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
 *   RFC 850      Sunday, 06-Nov-94 08:49:37 GMT
 *   asctime      Sun Nov  6 08:49:37 1994      (day: 2 digits or space + digit)
 *
 * The day name must be the true weekday of the date: a date that
 * contradicts itself is refused rather than guessed at. RFC 850's two-digit
 * year uses a fixed pivot, as POSIX strptime's %y does: 70..99 are
 * 1970..1999, 00..69 are 2000..2069 (RFC 9110's "more than 50 years in the
 * future" rule needs a clock, which this pure function does not have).
 */
int ts_parse_http_date(const char *s, wall_s *out)
{
	if (!s)
		return -1;
	const char *p = s;
	int wday, y, mo, d, h, mi, sec;
	if (strlen(s) >= 4 && s[3] == ',') {
		/* IMF-fixdate */
		if ((wday = match_name(&p, wday_short, 7)) < 0 || !lit(&p, ',') || !lit(&p, ' ') ||
		    !digits(&p, 2, &d) || !lit(&p, ' ') ||
		    (mo = match_name(&p, month_names, 12)) < 0 || !lit(&p, ' ') ||
		    !digits(&p, 4, &y) || !lit(&p, ' ') || !time_of_day(&p, &h, &mi, &sec) ||
		    strcmp(p, " GMT") != 0)
			return -1;
	} else if (strlen(s) >= 4 && s[3] == ' ') {
		/* asctime */
		if ((wday = match_name(&p, wday_short, 7)) < 0 || !lit(&p, ' ') ||
		    (mo = match_name(&p, month_names, 12)) < 0 || !lit(&p, ' '))
			return -1;
		if (lit(&p, ' ')) {
			if (!digits(&p, 1, &d))
				return -1;
		} else if (!digits(&p, 2, &d)) {
			return -1;
		}
		if (!lit(&p, ' ') || !time_of_day(&p, &h, &mi, &sec) || !lit(&p, ' ') ||
		    !digits(&p, 4, &y) || *p != '\0')
			return -1;
	} else {
		/* RFC 850 */
		int yy;
		if ((wday = match_name(&p, wday_long, 7)) < 0 || !lit(&p, ',') || !lit(&p, ' ') ||
		    !digits(&p, 2, &d) || !lit(&p, '-') ||
		    (mo = match_name(&p, month_names, 12)) < 0 || !lit(&p, '-') ||
		    !digits(&p, 2, &yy) || !lit(&p, ' ') || !time_of_day(&p, &h, &mi, &sec) ||
		    strcmp(p, " GMT") != 0)
			return -1;
		y = yy < 70 ? 2000 + yy : 1900 + yy;
	}
	wall_s e;
	if (!civil_to_epoch(y, mo + 1, d, h, mi, sec, &e))
		return -1;
	/* The weekday of the date as written (a leap second must not move it); 1970-01-01 was a
	 * Thursday (4). */
	if (floor_mod(ts_days_from_civil(y, (unsigned)mo + 1, (unsigned)d) + 4, 7) != wday)
		return -1;
	if (e > TS_MAX_EPOCH) /* 9999-12-31T23:59:60 */
		return -1;
	*out = e;
	return 0;
}

/* Write v as exactly n decimal digits (zero-padded; v is 0 .. 10^n - 1). */
static char *put_digits(char *o, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return o + n;
}

/* The day part "YYYY-MM-DD" of a clamped epoch, at o; returns the end. */
static char *put_day(char *o, int64_t days)
{
	int64_t y;
	unsigned m, d;
	civil_from_days(days, &y, &m, &d);
	o = put_digits(o, (unsigned)y, 4);
	*o++ = '-';
	o = put_digits(o, m, 2);
	*o++ = '-';
	return put_digits(o, d, 2);
}

static wall_s clamp_epoch(wall_s e)
{
	return e < TS_MIN_EPOCH ? TS_MIN_EPOCH : e > TS_MAX_EPOCH ? TS_MAX_EPOCH : e;
}

/*
 * Epochs outside years 0..9999 are clamped to the nearest end of that range
 * (0000-01-01T00:00:00Z or 9999-12-31T23:59:59Z): the output is always 20
 * characters and a NUL.
 */
void ts_format(wall_s epoch, char out[TS_LEN])
{
	epoch = clamp_epoch(epoch);
	int64_t days = floor_div(epoch, SECS_PER_DAY);
	unsigned secs = (unsigned)(epoch - days * SECS_PER_DAY);
	char *o = put_day(out, days);
	*o++ = 'T';
	o = put_digits(o, secs / 3600, 2);
	*o++ = ':';
	o = put_digits(o, secs / 60 % 60, 2);
	*o++ = ':';
	o = put_digits(o, secs % 60, 2);
	*o++ = 'Z';
	*o = '\0';
}

/* The UTC day of epoch (clamped as ts_format does), "YYYY-MM-DD". */
void ts_format_day(wall_s epoch, char out[DAY_LEN])
{
	char *o = put_day(out, floor_div(clamp_epoch(epoch), SECS_PER_DAY));
	*o = '\0';
}
