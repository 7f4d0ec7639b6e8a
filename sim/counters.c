/*
 * counters.c: what /_wesim/stats and /_wesim/log report. The counters are
 * plain integers updated on the event loop (wesim is single-threaded).
 * Each account keeps a ring of its last log_size requests; the ring grows
 * by doubling from 16 entries, so idle accounts cost nothing and the
 * memory bound is log_size * sizeof(struct wsim_log_entry) per account.
 */
#include "wesim.h"

#include <stdlib.h>
#include <string.h>

/*
 * Append one request to the ring of rt: time, method (0 GET, 1 POST, 2
 * other), the request target truncated to WSIM_LOG_PATH_MAX bytes, status
 * and fault. With log_size 0 nothing is kept. If the ring cannot grow the
 * oldest entry is overwritten instead.
 */
void counters_log(struct wsim_acct_rt *rt, uint32_t log_size, int64_t t_ms, int method,
                  const char *target, int status, int fault)
{
	if (log_size == 0)
		return;
	if (rt->log_len == rt->log_cap && rt->log_cap < log_size) {
		uint32_t cap = rt->log_cap ? rt->log_cap * 2 : 16;
		if (cap > log_size)
			cap = log_size;
		struct wsim_log_entry *n = malloc(cap * sizeof(*n));
		if (n) {
			/* unroll the ring into the new array, oldest first */
			for (uint32_t i = 0; i < rt->log_len; i++)
				n[i] = rt->log[(rt->log_head + i) % rt->log_cap];
			free(rt->log);
			rt->log = n;
			rt->log_cap = cap;
			rt->log_head = 0;
		}
	}
	if (rt->log_cap == 0)
		return;
	uint32_t slot;
	if (rt->log_len < rt->log_cap) {
		slot = (rt->log_head + rt->log_len) % rt->log_cap;
		rt->log_len++;
	} else {
		slot = rt->log_head;
		rt->log_head = (rt->log_head + 1) % rt->log_cap;
	}
	struct wsim_log_entry *e = &rt->log[slot];
	e->t_ms = t_ms;
	e->method = (uint8_t)method;
	e->status = (uint16_t)status;
	e->fault = (uint8_t)fault;
	size_t n = strlen(target);
	if (n > WSIM_LOG_PATH_MAX)
		n = WSIM_LOG_PATH_MAX;
	memcpy(e->target, target, n);
	e->target[n] = '\0';
}

/*
 * Zero the counters, the per-account counts and logs (POST /_wesim/reset).
 * Rate-limit buckets, Retry-After deadlines, the served-request table and
 * the current connection and in-flight numbers are state, not counters:
 * they are kept (the high-water marks restart from the current values).
 */
void counters_reset(struct wsim_counters *c, struct wsim_acct_rt *rt, uint32_t n)
{
	uint32_t conns = c->conns, in_flight = c->in_flight;
	memset(c, 0, sizeof(*c));
	c->started_ms = wsim_now_ms();
	c->conns = c->conns_max = conns;
	c->in_flight = c->in_flight_max = in_flight;
	for (uint32_t i = 0; i < n; i++) {
		rt[i].requests = 0;
		rt[i].last_ms = 0;
		memset(rt[i].by_ep, 0, sizeof(rt[i].by_ep));
		rt[i].viol_retry_after = rt[i].viol_rate_limit = 0;
		rt[i].log_len = rt[i].log_head = 0;
	}
}
