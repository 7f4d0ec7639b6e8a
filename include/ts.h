/*
 * ts.h: instants and days as the API sends them and as the store keeps
 * them. Pure functions, no time zone database, no locale: the API's loose
 * ISO 8601 carries its own offset, and the store keeps UTC text.
 */
#ifndef WEGAUGE_TS_H
#define WEGAUGE_TS_H

#include <stdint.h>

#include "clock.h" /* wall_s */
#include "rows.h"  /* TS_LEN, DAY_LEN */

/*
 * Parse a loose ISO 8601 instant of docs/api.md into seconds since the Unix
 * epoch, UTC. Accepted: YYYY-MM-DDTHH:MM, optional :SS, optional .fff
 * (any number of digits, dropped), then Z, +hhmm, -hhmm, +hh:mm or -hh:mm.
 * Fields are range-checked (month 1..12, day within its month, hour 0..23,
 * minute 0..59, second 0..60, offset within +-18:00). Returns 0, or -1 for
 * anything else, with *out untouched. Lowercase 't' or 'z' are refused; a
 * leap second (:60) is the next minute's :00; the UTC result must lie in
 * years 0..9999 (what ts_format prints).
 */
int ts_parse(const char *s, wall_s *out);

/* Strict YYYY-MM-DD (a real calendar day) to the epoch second of its 00:00Z. */
int ts_parse_day(const char *s, wall_s *out);

/*
 * An HTTP-date of RFC 9110 (IMF-fixdate, and the obsolete RFC 850 and
 * asctime forms a recipient must accept) to epoch seconds. 0 or -1 (*out
 * untouched). The day name must match the date; RFC 850's two-digit year
 * is 1970..2069.
 */
int ts_parse_http_date(const char *s, wall_s *out);

/* Epoch seconds to "YYYY-MM-DDTHH:MM:SSZ" (years 0..9999; epochs outside are clamped). */
void ts_format(wall_s epoch, char out[TS_LEN]);
/* Epoch seconds to the UTC day "YYYY-MM-DD". */
void ts_format_day(wall_s epoch, char out[DAY_LEN]);

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
