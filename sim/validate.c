/*
 * validate.c: the checks on everything a client or an operator hands to
 * wesim: numbers of flags and query parameters, sizes, the latency spec,
 * the metrics list of publisher-metrics and the JSON body of the stats
 * request. Each returns 0 or -1; the body and list checks also say what
 * was wrong in err, as the 400 answer's message.
 */
#include "wesim.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Strict decimal digits (no sign, no spaces, at most 19) in [min, max]. */
int validate_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t n = strlen(s);
	if (n == 0 || n > 19)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* A byte count: digits with an optional KiB, MiB or GiB suffix, at most max. */
int validate_size(const char *s, uint64_t max, uint64_t *out)
{
	char num[24];
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	uint64_t v, mult = 1;
	if (validate_uint(num, 0, UINT64_MAX >> 31, &v) != 0)
		return -1;
	const char *suf = s + n;
	if (strcmp(suf, "") == 0)
		mult = 1;
	else if (strcmp(suf, "KiB") == 0)
		mult = 1ull << 10;
	else if (strcmp(suf, "MiB") == 0)
		mult = 1ull << 20;
	else if (strcmp(suf, "GiB") == 0)
		mult = 1ull << 30;
	else
		return -1;
	if (v > max / mult)
		return -1;
	*out = v * mult;
	return 0;
}

/* A probability: a decimal number in [0, 1]. */
int validate_rate(const char *s, double *out)
{
	char *end;
	if (!*s || strspn(s, "0123456789.eE+-") != strlen(s))
		return -1;
	double v = strtod(s, &end);
	if (*end || !isfinite(v) || v < 0.0 || v > 1.0)
		return -1;
	*out = v;
	return 0;
}

/* "MS" or "MS:JITTER", each 0..600000 milliseconds. */
int validate_latency(const char *s, uint32_t *ms, uint32_t *jitter)
{
	char a[24];
	const char *colon = strchr(s, ':');
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	uint64_t v, j = 0;
	if (n >= sizeof(a))
		return -1;
	memcpy(a, s, n);
	a[n] = '\0';
	if (validate_uint(a, 0, 600000, &v) != 0)
		return -1;
	if (colon && validate_uint(colon + 1, 0, 600000, &j) != 0)
		return -1;
	*ms = (uint32_t)v;
	*jitter = (uint32_t)j;
	return 0;
}

/*
 * The metrics parameter of publisher-metrics: a comma list of DAU, WAU,
 * MAU, each at most once, at least one. Fills metrics[0..*n) in request
 * order.
 */
int validate_metrics(const char *s, int *metrics, int *n, char *err, size_t errlen)
{
	int k = 0;
	unsigned seen = 0;
	const char *p = s;
	if (!*p) {
		snprintf(err, errlen, "metrics must list at least one of DAU, WAU, MAU");
		return -1;
	}
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		int m = -1;
		for (int i = 0; i < WSIM_AU_METRICS; i++)
			if (len == 3 && memcmp(p, wsim_au_names[i], 3) == 0)
				m = i;
		if (m < 0) {
			snprintf(err, errlen, "metrics: \"%.*s\" is not DAU, WAU or MAU",
			         (int)(len > 32 ? 32 : len), p);
			return -1;
		}
		if (seen & (1u << m)) {
			snprintf(err, errlen, "metrics: %s is listed twice", wsim_au_names[m]);
			return -1;
		}
		seen |= 1u << m;
		metrics[k++] = m;
		if (!e)
			break;
		p = e + 1;
	}
	*n = k;
	return 0;
}

static int want_string(json_t *o, const char *key, const char *value, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		snprintf(err, errlen, "%s is missing (expected \"%s\")", key, value);
		return -1;
	}
	if (!json_is_string(v) || strcmp(json_string_value(v), value) != 0) {
		snprintf(err, errlen, "%s must be \"%s\"", key, value);
		return -1;
	}
	return 0;
}

static int want_instant(json_t *o, const char *key, int64_t *epoch, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		snprintf(err, errlen, "%s is missing", key);
		return -1;
	}
	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s must be a string", key);
		return -1;
	}
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (wsim_parse_instant(s, n, epoch) != 0) {
		snprintf(err, errlen,
		         "%s \"%.40s\" is not a timestamp like 2026-11-22T00:00:00.000+0000", key,
		         s);
		return -1;
	}
	return 0;
}

static int want_string_array(json_t *o, const char *key, bool non_empty, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		snprintf(err, errlen, "%s is missing", key);
		return -1;
	}
	if (!json_is_array(v) || (non_empty && json_array_size(v) == 0) ||
	    json_array_size(v) > WSIM_MAX_CHANNELS_REQ) {
		snprintf(err, errlen, "%s must be a%s array of at most %d strings", key,
		         non_empty ? " non-empty" : "n", WSIM_MAX_CHANNELS_REQ);
		return -1;
	}
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e)
	{
		if (!json_is_string(e) || json_string_length(e) == 0 ||
		    json_string_length(e) > WSIM_MAX_STR_REQ) {
			snprintf(err, errlen, "%s[%zu] must be a string of 1..%d characters", key,
			         i, WSIM_MAX_STR_REQ);
			return -1;
		}
	}
	return 0;
}

/*
 * The body of POST /v2/accounts/{lc}/stats (docs/api.md, stream 1): a JSON
 * object with campaignStatType "CHANNEL_STATS_OVERVIEW", splitBy
 * "CAMPAIGN_CHANNEL", granularity "DAY", startTime and endTime in docs/api.md's
 * timestamp form with start <= end and at most WSIM_MAX_WINDOW UTC days
 * from the day of start to the day of end, channels a non-empty array of
 * strings, containerTypes an array of strings, isFunnelView a boolean,
 * tags an array. Unknown keys are ignored; duplicate keys are refused.
 * On success the UTC days and the mask of requested known channels are
 * returned (unknown channel names are accepted and simply not served).
 */
int validate_stats_body(const char *body, size_t len, int64_t *day0, int64_t *day1,
                        uint16_t *requested, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		snprintf(err, errlen, "request body is not valid JSON: %s (line %d, column %d)",
		         je.text, je.line, je.column);
		return -1;
	}
	int rc = -1;
	int64_t t0, t1;
	if (!json_is_object(o)) {
		snprintf(err, errlen, "request body must be a JSON object");
		goto out;
	}
	if (want_string(o, "campaignStatType", "CHANNEL_STATS_OVERVIEW", err, errlen) ||
	    want_string(o, "splitBy", "CAMPAIGN_CHANNEL", err, errlen) ||
	    want_string(o, "granularity", "DAY", err, errlen) ||
	    want_instant(o, "startTime", &t0, err, errlen) ||
	    want_instant(o, "endTime", &t1, err, errlen))
		goto out;
	if (t0 > t1) {
		snprintf(err, errlen, "startTime is after endTime");
		goto out;
	}
	int64_t d0 = t0 >= 0 ? t0 / 86400 : -((-t0 + 86399) / 86400);
	int64_t d1 = t1 >= 0 ? t1 / 86400 : -((-t1 + 86399) / 86400);
	if (d1 - d0 + 1 > WSIM_MAX_WINDOW) {
		snprintf(err, errlen, "the window spans %lld days; at most %d are allowed",
		         (long long)(d1 - d0 + 1), WSIM_MAX_WINDOW);
		goto out;
	}
	if (want_string_array(o, "channels", true, err, errlen) ||
	    want_string_array(o, "containerTypes", false, err, errlen))
		goto out;
	json_t *f = json_object_get(o, "isFunnelView");
	if (!json_is_boolean(f)) {
		snprintf(err, errlen, "isFunnelView %s", f ? "must be a boolean" : "is missing");
		goto out;
	}
	json_t *tags = json_object_get(o, "tags");
	if (!json_is_array(tags)) {
		snprintf(err, errlen, "tags %s", tags ? "must be an array" : "is missing");
		goto out;
	}
	uint16_t mask = 0;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(o, "channels"), i, e)
	{
		int ch = wsim_channel_from_name(json_string_value(e), json_string_length(e));
		if (ch >= 0)
			mask |= (uint16_t)(1u << ch);
	}
	*day0 = d0;
	*day1 = d1;
	*requested = mask;
	rc = 0;
out:
	json_decref(o);
	return rc;
}
