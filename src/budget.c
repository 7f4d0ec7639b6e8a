/*
 * budget.c: the sliding-minute retry budget of budget.h.
 */
#include "budget.h"

#include <string.h>

void budget_init(struct budget *b, int ratio_pct)
{
	memset(b, 0, sizeof(*b));
	b->ratio_pct = ratio_pct;
	for (int i = 0; i < BUDGET_BUCKETS; i++)
		b->bucket_sec[i] = -1;
}

/* The bucket of second sec, emptied first if it still holds an older second. */
static int bucket(struct budget *b, int64_t sec)
{
	int i = (int)(sec % BUDGET_BUCKETS);
	if (b->bucket_sec[i] != sec) {
		b->bucket_sec[i] = sec;
		b->requests[i] = 0;
		b->retries[i] = 0;
	}
	return i;
}

void budget_window(struct budget *b, mono_ms now_ms, uint64_t *requests, uint64_t *retries)
{
	int64_t sec = now_ms / 1000;
	uint64_t req = 0, ret = 0;
	for (int i = 0; i < BUDGET_BUCKETS; i++) {
		if (b->bucket_sec[i] > sec - BUDGET_BUCKETS && b->bucket_sec[i] <= sec) {
			req += b->requests[i];
			ret += b->retries[i];
		}
	}
	*requests = req;
	*retries = ret;
}

void budget_note_request(struct budget *b, mono_ms now_ms)
{
	b->requests[bucket(b, now_ms / 1000)]++;
}

bool budget_take_retry(struct budget *b, mono_ms now_ms)
{
	if (b->ratio_pct >= 100) {
		b->retries[bucket(b, now_ms / 1000)]++;
		return true;
	}
	uint64_t req, ret;
	budget_window(b, now_ms, &req, &ret);
	uint64_t allowed = req * (uint64_t)b->ratio_pct / 100;
	if (allowed < BUDGET_FLOOR)
		allowed = BUDGET_FLOOR;
	if (ret + 1 > allowed) {
		b->refused++;
		return false;
	}
	b->retries[bucket(b, now_ms / 1000)]++;
	return true;
}
