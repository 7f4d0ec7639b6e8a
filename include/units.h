/*
 * units.h: durations and sizes as operators write them in the
 * configuration (docs/operator.md): "250ms", "90" (seconds), "90s", "15m",
 * "1h", "1d"; "4096", "64KiB", "32MiB", "1GiB".
 */
#ifndef WEGAUGE_UNITS_H
#define WEGAUGE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* The largest duration accepted: 10 years of 365 days, in milliseconds. */
#define UNITS_DURATION_MAX_MS ((int64_t)3650 * 86400 * 1000)
/* The largest size accepted: 1 TiB. */
#define UNITS_SIZE_MAX ((uint64_t)1 << 40)
/* Enough for any formatted duration or size and its NUL ("315360000000ms"). */
#define UNITS_BUF_LEN 24

/*
 * Parse a duration into milliseconds. A bare number is seconds. Units: ms,
 * s, m, h, d. No sign, no spaces inside, no fractions, no overflow (at most
 * 10 years). Returns 0, or -1 with *ms untouched.
 */
int units_parse_duration(const char *s, int64_t *ms);

/*
 * Parse a size into bytes. A bare number is bytes. Units: B, KiB, MiB,
 * GiB (powers of 1024; also accepted: K, M, G with the same meaning).
 * At most 1 TiB. Returns 0, or -1 with *bytes untouched.
 */
int units_parse_size(const char *s, uint64_t *bytes);

/* Format ms the shortest exact way: "250ms", "90s", "15m", "1h", "1d". */
void units_format_duration(int64_t ms, char *buf, size_t len);

/* Format bytes the shortest exact way: "4096", "64KiB", "32MiB". */
void units_format_size(uint64_t bytes, char *buf, size_t len);

#endif
