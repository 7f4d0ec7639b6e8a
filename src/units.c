/*
 * units.c: durations and sizes as operators write them (units.h).
 *
 * The grammar is deliberately small: one run of ASCII digits, then an
 * optional unit suffix, nothing else. No sign, no spaces, no fractions, no
 * exponents, so "1.5h", "-1s", " 5s" and "5 s" are all errors rather than
 * surprises. Arithmetic is checked against the bound before every step, so
 * no input can overflow.
 */
#include "units.h"

#include <stdio.h>
#include <string.h>

struct unit {
	const char *suffix;
	uint64_t factor;
};

/* Duration suffixes and their factors in milliseconds; "" is seconds. */
static const struct unit duration_units[] = {
        {"", 1000}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
};

/* Size suffixes and their factors in bytes; "" is bytes. */
static const struct unit size_units[] = {
        {"", 1},
        {"B", 1},
        {"KiB", (uint64_t)1 << 10},
        {"MiB", (uint64_t)1 << 20},
        {"GiB", (uint64_t)1 << 30},
        {"K", (uint64_t)1 << 10},
        {"M", (uint64_t)1 << 20},
        {"G", (uint64_t)1 << 30},
};

/*
 * Parse "<digits><suffix>" against a unit table and a maximum result.
 * Returns 0 and the product in *out, or -1 when s is NULL or empty, has no
 * leading digit, has an unknown suffix, or the value exceeds max (checked
 * before each multiplication, so nothing wraps).
 */
static int parse_scaled(const char *s, const struct unit *units, size_t n_units, uint64_t max,
                        uint64_t *out)
{
	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	uint64_t v = 0;
	const char *p = s;
	while (*p >= '0' && *p <= '9') {
		unsigned d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
		p++;
	}
	for (size_t i = 0; i < n_units; i++) {
		if (strcmp(p, units[i].suffix) != 0)
			continue;
		if (v > max / units[i].factor)
			return -1;
		*out = v * units[i].factor;
		return 0;
	}
	return -1;
}

int units_parse_duration(const char *s, int64_t *ms)
{
	uint64_t v;
	if (parse_scaled(s, duration_units, sizeof(duration_units) / sizeof(duration_units[0]),
	                 (uint64_t)UNITS_DURATION_MAX_MS, &v) != 0)
		return -1;
	*ms = (int64_t)v;
	return 0;
}

int units_parse_size(const char *s, uint64_t *bytes)
{
	return parse_scaled(s, size_units, sizeof(size_units) / sizeof(size_units[0]),
	                    UNITS_SIZE_MAX, bytes);
}

/*
 * Format with the largest unit that divides ms exactly, so that the text
 * parses back to the same value. Zero is "0s"; a negative value (never
 * produced by the parser) is printed in milliseconds.
 */
void units_format_duration(int64_t ms, char *buf, size_t len)
{
	static const struct unit order[] = {
	        {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
	if (len == 0)
		return;
	if (ms == 0) {
		snprintf(buf, len, "0s");
		return;
	}
	if (ms > 0) {
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			if ((uint64_t)ms % order[i].factor == 0) {
				snprintf(buf, len, "%lld%s",
				         (long long)((uint64_t)ms / order[i].factor),
				         order[i].suffix);
				return;
			}
		}
	}
	snprintf(buf, len, "%lldms", (long long)ms);
}

/*
 * Format with the largest binary unit (GiB, MiB, KiB) that divides bytes
 * exactly; otherwise, and for zero, plain bytes.
 */
void units_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const struct unit order[] = {
	        {"GiB", (uint64_t)1 << 30}, {"MiB", (uint64_t)1 << 20}, {"KiB", (uint64_t)1 << 10}};
	if (len == 0)
		return;
	if (bytes != 0) {
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			if (bytes % order[i].factor == 0) {
				snprintf(buf, len, "%llu%s",
				         (unsigned long long)(bytes / order[i].factor),
				         order[i].suffix);
				return;
			}
		}
	}
	snprintf(buf, len, "%llu", (unsigned long long)bytes);
}
