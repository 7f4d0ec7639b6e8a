/*
 * ratelimit.c: one bucket per (account, endpoint) per wall-clock minute
 * (floor(now_ms / 60000)), and the violations a server can see by itself:
 *
 *  - retry_after: a request arrived before the Retry-After deadline wesim
 *    had given that (account, endpoint) (the deadline is set when the
 *    answer carrying Retry-After is handed to the connection);
 *  - rate_limit: a request arrived in a minute in which wesim had already
 *    answered X-RateLimit-Remaining: 0 to that (account, endpoint), beyond
 *    the first such request (the one that gets the 429): a client that
 *    honours Remaining: 0 sends nothing more until the next minute, and
 *    one request racing the answer is forgiven.
 */
#include "wesim.h"

void rl_init(struct wsim_bucket *b)
{
	b->minute = -1;
	b->count = 0;
	b->zero_minute = -1;
	b->after_zero = 0;
	b->retry_until_ms = 0;
}

/*
 * Take one request from the bucket for the minute of now_ms. Returns true
 * when within limit (then *remaining = limit - taken), false when over it
 * (*remaining = 0; the caller answers 429).
 */
bool rl_take(struct wsim_bucket *b, uint32_t limit, int64_t now_ms, uint32_t *remaining)
{
	int64_t minute = now_ms / 60000;
	if (b->minute != minute) {
		b->minute = minute;
		b->count = 0;
	}
	if (b->count < UINT32_MAX)
		b->count++;
	if (b->count > limit) {
		*remaining = 0;
		return false;
	}
	*remaining = limit - b->count;
	return true;
}

/* What X-RateLimit-Remaining would say now, without taking a request. */
uint32_t rl_peek(const struct wsim_bucket *b, uint32_t limit, int64_t now_ms)
{
	if (b->minute != now_ms / 60000)
		return limit;
	return b->count >= limit ? 0 : limit - b->count;
}

/* Note an arriving request; returns the RL_VIOL_* bits it violates. */
unsigned rl_arrival(struct wsim_bucket *b, int64_t now_ms)
{
	unsigned v = 0;
	if (b->retry_until_ms && now_ms < b->retry_until_ms)
		v |= RL_VIOL_RETRY_AFTER;
	if (b->zero_minute == now_ms / 60000) {
		if (b->after_zero < UINT32_MAX)
			b->after_zero++;
		if (b->after_zero > 1)
			v |= RL_VIOL_AFTER_ZERO;
	}
	return v;
}

/*
 * Note an answer handed to the client at now_ms: with remaining 0 it opens
 * the "after zero" watch for this minute; a retry_until_ms > 0 (epoch ms)
 * is the Retry-After deadline it carried.
 */
void rl_answered(struct wsim_bucket *b, uint32_t remaining, int64_t retry_until_ms, int64_t now_ms)
{
	int64_t minute = now_ms / 60000;
	if (remaining == 0 && b->zero_minute != minute) {
		b->zero_minute = minute;
		b->after_zero = 0;
	}
	if (retry_until_ms > 0)
		b->retry_until_ms = retry_until_ms;
}
