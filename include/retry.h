/*
 * retry.h: when to retry a request and how long to wait (docs/api.md, "Rate
 * limits and retries").
 *
 * Pure functions. Random numbers come from the caller (rng.h), so tests
 * can pin them; every delay is bounded.
 */
#ifndef WEGAUGE_RETRY_H
#define WEGAUGE_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

/*
 * Waits for a deadline the server set (Retry-After, the next minute of a
 * rate limit) end this much after it: timers and clocks are only good to a
 * millisecond or so, and a request a hair early is a request too early.
 */
#define RETRY_DEADLINE_MARGIN_MS 20

/* Retry-After is clamped to this range (docs/api.md). */
#define RETRY_AFTER_MIN_MS 1000
#define RETRY_AFTER_MAX_MS 3600000

/*
 * Capped exponential backoff with full jitter (the AWS architecture blog's
 * "full jitter"): a uniform delay in [0, min(cap, base * 2^attempt)],
 * where attempt counts from 0 for the first retry. r is a uniform random
 * 64-bit number. Never negative, never above cap.
 */
int64_t retry_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint64_t r);

/*
 * Parse a Retry-After value: delay-seconds ("120") or an HTTP-date, the
 * latter relative to now_wall_ms. On success returns 0 and the delay in
 * *delay_ms clamped to RETRY_AFTER_MIN_MS .. RETRY_AFTER_MAX_MS. Garbage
 * (empty, signs, junk, a number too large to be sane) returns -1.
 */
int retry_after_parse(const char *value, wall_ms now_wall_ms, int64_t *delay_ms);

/* Milliseconds from now_wall_ms to the next wall-clock minute boundary (1..60000). */
int64_t retry_until_next_minute_ms(wall_ms now_wall_ms);

/* What a finished request means for the next step (docs/api.md). */
enum retry_verdict {
	RV_OK = 0,       /* 200: parse the body */
	RV_RETRY,        /* transient: backoff and retry, bounded */
	RV_RATE_LIMITED, /* 429: wait Retry-After or the next minute, then retry */
	RV_AUTH,         /* 401: the key is not accepted */
	RV_NOT_FOUND,    /* 404: meaning depends on the endpoint */
	RV_FAIL,         /* no retry: the stream fails */
};

/*
 * Classify an HTTP status (0 when no response came) and whether the
 * transfer failed at the transport level (curl said so: timeout, reset,
 * truncated body). transport_retryable tells whether that transport
 * failure is worth a retry (false for TLS verification, refused protocol,
 * oversized body).
 */
enum retry_verdict retry_classify(long status, bool transport_failed, bool transport_retryable);

#endif
