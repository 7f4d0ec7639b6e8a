/*
 * budget.h: the daemon-wide retry budget.
 *
 * When a host is in trouble, every workspace retrying every request
 * multiplies the load on it exactly when it can least take it. So retries
 * are bounded across the daemon: over a sliding minute, retries may be at
 * most ratio_pct (retry_budget, default 10) percent of requests, with a floor of BUDGET_FLOOR
 * retries so that a small deployment can still retry. A retry refused by
 * the budget fails its request at once (its stream fails; the next pull
 * tries again).
 *
 * The window is 60 one-second buckets (a ring); counting and checking are
 * O(1) amortized, memory is fixed.
 */
#ifndef WEGAUGE_BUDGET_H
#define WEGAUGE_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

#define BUDGET_BUCKETS 60
#define BUDGET_FLOOR   10

struct budget {
	int64_t bucket_sec[BUDGET_BUCKETS]; /* which second (of mono_ms / 1000) each bucket holds */
	uint32_t requests[BUDGET_BUCKETS];
	uint32_t retries[BUDGET_BUCKETS];
	uint64_t refused; /* retries refused so far */
	int ratio_pct;    /* 0..100; 100 lets every retry through */
};

void budget_init(struct budget *b, int ratio_pct);
/* A request was sent (first attempt or retry) at monotonic ms now. */
void budget_note_request(struct budget *b, mono_ms now_ms);
/*
 * May one more retry be sent now? If yes, it is counted as a retry (the
 * request itself is counted by budget_note_request when sent).
 */
bool budget_take_retry(struct budget *b, mono_ms now_ms);
/* Requests and retries in the window ending now. */
void budget_window(struct budget *b, mono_ms now_ms, uint64_t *requests, uint64_t *retries);

#endif
