/*
 * retry.c: backoff, Retry-After and the classification of docs/api.md's
 * statuses. See retry.h for the contracts.
 */
#include "retry.h"

#include <ctype.h>
#include <stdlib.h>

#include "ts.h"

int64_t retry_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint64_t r)
{
	if (base_ms <= 0 || cap_ms <= 0)
		return 0;
	if (attempt < 0)
		attempt = 0;
	int64_t ceiling = base_ms;
	/* Double until the cap; stop early so the shift never overflows. */
	for (int i = 0; i < attempt && ceiling < cap_ms; i++)
		ceiling = ceiling > cap_ms / 2 ? cap_ms : ceiling * 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	/* Modulo bias is at most ceiling / 2^64: irrelevant for jitter. */
	return (int64_t)(r % ((uint64_t)ceiling + 1));
}

static int64_t clamp_retry_after(int64_t ms)
{
	if (ms < RETRY_AFTER_MIN_MS)
		return RETRY_AFTER_MIN_MS;
	if (ms > RETRY_AFTER_MAX_MS)
		return RETRY_AFTER_MAX_MS;
	return ms;
}

int retry_after_parse(const char *value, wall_ms now_wall_ms, int64_t *delay_ms)
{
	if (!value)
		return -1;
	while (*value == ' ' || *value == '\t')
		value++;
	if (isdigit((unsigned char)*value)) {
		int64_t secs = 0;
		const char *p = value;
		for (; isdigit((unsigned char)*p); p++) {
			if (secs > 100000000) /* three years of seconds: not a sane answer */
				return -1;
			secs = secs * 10 + (*p - '0');
		}
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0')
			return -1;
		*delay_ms = clamp_retry_after(secs * 1000);
		return 0;
	}
	wall_s when;
	if (ts_parse_http_date(value, &when) != 0)
		return -1;
	*delay_ms = clamp_retry_after(when * 1000 - now_wall_ms);
	return 0;
}

int64_t retry_until_next_minute_ms(wall_ms now_wall_ms)
{
	int64_t into = now_wall_ms % 60000;
	if (into < 0)
		into += 60000;
	return 60000 - into;
}

enum retry_verdict retry_classify(long status, bool transport_failed, bool transport_retryable)
{
	if (transport_failed)
		return transport_retryable ? RV_RETRY : RV_FAIL;
	switch (status) {
	case 200:
		return RV_OK;
	case 401:
		return RV_AUTH;
	case 404:
		return RV_NOT_FOUND;
	case 429:
		return RV_RATE_LIMITED;
	case 408:
	case 425:
	case 500:
	case 502:
	case 503:
	case 504:
		return RV_RETRY;
	default:
		return RV_FAIL;
	}
}
