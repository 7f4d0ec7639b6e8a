/*
 * timefmt.c: days and instants as docs/api.md writes them. Pure functions on
 * the proleptic Gregorian calendar (Howard Hinnant's civil algorithms), no
 * time zone database, no locale; only wsim_now_ms() reads the clock.
 *
 * A day is a count of days since 1970-01-01; an instant is whole seconds
 * since the Unix epoch, UTC. Years are limited to 0000..9999 in text.
 */
#include "wesim.h"

#include <stdio.h>
#include <time.h>

/* Days since 1970-01-01 of the civil date y-m-d (m 1..12, d 1..31). */
int64_t wsim_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The civil date of day z (inverse of wsim_days_from_civil). */
void wsim_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dim[m - 1];
}

/* n decimal digits at s into *v; 0, or -1 when one is not a digit. */
static int digits(const char *s, int n, unsigned *v)
{
	unsigned r = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		r = r * 10 + (unsigned)(s[i] - '0');
	}
	*v = r;
	return 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* The date part YYYY-MM-DD of s (at least 10 bytes) into a day; 0 or -1. */
static int parse_date10(const char *s, int64_t *day)
{
	unsigned y, m, d;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) || s[7] != '-' ||
	    digits(s + 8, 2, &d))
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*day = wsim_days_from_civil(y, m, d);
	return 0;
}

/* Strict "YYYY-MM-DD" (exactly n == 10 bytes, a real calendar day). */
int wsim_parse_day(const char *s, size_t n, int64_t *day)
{
	if (n != 10)
		return -1;
	return parse_date10(s, day);
}

void wsim_format_day(int64_t day, char out[16])
{
	int64_t y;
	unsigned m, d;
	wsim_civil_from_days(day, &y, &m, &d);
	snprintf(out, 16, "%04d-%02u-%02u", (int)y, m, d);
}

/*
 * The loose ISO 8601 of docs/api.md: YYYY-MM-DDTHH:MM, optional :SS, optional
 * .fraction (1..9 digits, dropped), then Z, +hhmm, -hhmm, +hh:mm or -hh:mm.
 * Exactly n bytes must be consumed. Fields are range-checked (hour 0..23,
 * minute 0..59, second 0..60, offset hour 0..18). Returns 0 with *epoch the
 * UTC second, or -1.
 */
int wsim_parse_instant(const char *s, size_t n, int64_t *epoch)
{
	int64_t day;
	unsigned hh, mi, ss = 0, oh = 0, om = 0;
	size_t i = 16;
	if (n < 17 || parse_date10(s, &day) || s[10] != 'T' || digits(s + 11, 2, &hh) ||
	    s[13] != ':' || digits(s + 14, 2, &mi))
		return -1;
	if (hh > 23 || mi > 59)
		return -1;
	if (i < n && s[i] == ':') {
		if (i + 3 > n || digits(s + i + 1, 2, &ss) || ss > 60)
			return -1;
		i += 3;
		if (i < n && s[i] == '.') {
			size_t f = i + 1;
			while (f < n && f - i - 1 < 9 && s[f] >= '0' && s[f] <= '9')
				f++;
			if (f == i + 1)
				return -1;
			i = f;
		}
	}
	if (i >= n)
		return -1;
	int sign = 0;
	if (s[i] == 'Z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '+' ? 1 : -1;
		if (i + 5 <= n && digits(s + i + 1, 2, &oh) == 0 &&
		    digits(s + i + 3, 2, &om) == 0) {
			i += 5;
		} else if (i + 6 <= n && digits(s + i + 1, 2, &oh) == 0 && s[i + 3] == ':' &&
		           digits(s + i + 4, 2, &om) == 0) {
			i += 6;
		} else {
			return -1;
		}
		if (oh > 18 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (i != n)
		return -1;
	int64_t t = day * 86400 + hh * 3600 + mi * 60 + ss;
	t -= sign * (int64_t)(oh * 3600 + om * 60);
	*epoch = t;
	return 0;
}

/* Split an epoch second into day and second of day. */
static void split(int64_t epoch, int64_t *day, unsigned *sod)
{
	*day = floor_div(epoch, 86400);
	*sod = (unsigned)(epoch - *day * 86400);
}

/*
 * The formatters below take the year modulo 10000 and every other field
 * modulo its width, which never changes a valid value and lets the
 * compiler prove the output fits.
 */
static unsigned year4(int64_t y)
{
	return (unsigned)(y < 0 ? 0 : y % 10000);
}

/* "YYYY-MM-DDTHH:MM:SSZ", the collector's storage form of an instant. */
void wsim_format_utc(int64_t epoch, char out[32])
{
	int64_t day, y;
	unsigned sod, m, d;
	split(epoch, &day, &sod);
	wsim_civil_from_days(day, &y, &m, &d);
	snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02uZ", year4(y), m % 100, d % 100,
	         sod / 3600 % 100, sod / 60 % 60, sod % 60);
}

/*
 * epoch in one of the three styles of docs/api.md, shown in the time zone
 * offset_min minutes east of UTC (style 1 always shows UTC with "Z").
 * Style 0 has no seconds: the caller passes an epoch whose local second is
 * 0. millis (0..999) is shown by style 2 only.
 */
void wsim_format_api(int64_t epoch, int style, int offset_min, int millis, char out[40])
{
	int64_t day, y;
	unsigned sod, m, d;
	if (style == 1)
		offset_min = 0;
	split(epoch + (int64_t)offset_min * 60, &day, &sod);
	wsim_civil_from_days(day, &y, &m, &d);
	char sign = offset_min < 0 ? '-' : '+';
	unsigned off = (unsigned)(offset_min < 0 ? -offset_min : offset_min);
	unsigned yy = year4(y), hh = sod / 3600 % 100, mi = sod / 60 % 60, ss = sod % 60;
	unsigned oh = off / 60 % 100, om = off % 60, ms = (unsigned)millis % 1000;
	m %= 100;
	d %= 100;
	switch (style) {
	case 0:
		snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u%c%02u%02u", yy, m, d, hh, mi, sign, oh,
		         om);
		break;
	case 1:
		snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02uZ", yy, m, d, hh, mi, ss);
		break;
	default:
		snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%03u%c%02u:%02u", yy, m, d, hh, mi,
		         ss, ms, sign, oh, om);
		break;
	}
}

/* The IMF-fixdate of RFC 9110, "Sun, 06 Nov 1994 08:49:37 GMT". */
void wsim_format_http_date(int64_t epoch, char out[40])
{
	static const char wd[7][4] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
	static const char mn[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	int64_t day, y;
	unsigned sod, m, d;
	split(epoch, &day, &sod);
	wsim_civil_from_days(day, &y, &m, &d);
	int64_t w = day % 7;
	if (w < 0)
		w += 7;
	snprintf(out, 40, "%.3s, %02u %.3s %04u %02u:%02u:%02u GMT", wd[w], d % 100,
	         mn[(m - 1) % 12], year4(y), sod / 3600 % 100, sod / 60 % 60, sod % 60);
}

/* Wall-clock milliseconds since the epoch (CLOCK_REALTIME). */
int64_t wsim_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
