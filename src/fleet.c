/*
 * fleet.c: rendezvous hashing, the members' lists of workspaces and the
 * configuration's fingerprint (fleet.h). Pure: no I/O, no clock.
 */
#include "fleet.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fnv.h"

/* MurmurHash3's 64-bit finalizer: FNV-1a's low bits spread over all 64. */
static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

uint64_t fleet_weight(const char *member, const char *ws)
{
	uint64_t h = fnv1a(FNV1A_OFFSET, member, strlen(member) + 1); /* its NUL separates */
	return mix(fnv1a_str(h, ws));
}

/* A workspace name's key in a member's set (never 0, which marks a free slot). */
static uint64_t name_key(const char *ws)
{
	uint64_t k = mix(fnv1a_str(FNV1A_OFFSET, ws));
	return k ? k : 1;
}

int fleet_member_set(struct fleet_member *m, const char *const *names, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n + 2)
		cap *= 2;
	uint64_t *set = calloc(cap, sizeof(*set));
	if (!set)
		return -1;
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t k = name_key(names[i]);
		size_t j = (size_t)k & (cap - 1);
		while (set[j] && set[j] != k)
			j = (j + 1) & (cap - 1);
		if (!set[j]) {
			set[j] = k;
			used++;
		}
	}
	free(m->set);
	m->set = set;
	m->set_cap = cap;
	m->set_n = used;
	m->loaded = true;
	return 0;
}

bool fleet_member_has(const struct fleet_member *m, const char *ws)
{
	if (!m->loaded || !m->set_cap)
		return false;
	uint64_t k = name_key(ws);
	for (size_t j = (size_t)k & (m->set_cap - 1); m->set[j]; j = (j + 1) & (m->set_cap - 1))
		if (m->set[j] == k)
			return true;
	return false;
}

void fleet_member_clear(struct fleet_member *m)
{
	free(m->set);
	m->set = NULL;
	m->set_cap = m->set_n = 0;
	m->loaded = false;
}

const struct fleet_member *fleet_owner(const struct fleet_member *const *members, size_t n,
                                       const char *ws)
{
	const struct fleet_member *best = NULL;
	uint64_t best_w = 0;
	for (size_t i = 0; i < n; i++) {
		const struct fleet_member *m = members[i];
		if (!m->live || !fleet_member_has(m, ws))
			continue;
		uint64_t w = fleet_weight(m->name, ws);
		if (!best || w > best_w || (w == best_w && strcmp(m->name, best->name) < 0)) {
			best = m;
			best_w = w;
		}
	}
	return best;
}

/* s and its NUL (NULL: one 0xff byte) onto h. */
static uint64_t put_str(uint64_t h, const char *s)
{
	static const unsigned char null_mark = 0xff;
	return s ? fnv1a(h, s, strlen(s) + 1) : fnv1a(h, &null_mark, 1);
}

static uint64_t put_i64(uint64_t h, int64_t v)
{
	return fnv1a(h, &v, sizeof(v));
}

void fleet_config_fingerprint(const struct config *c, char out[17])
{
	uint64_t h = FNV1A_OFFSET;
	const int64_t daemon[] = {c->page_size,       c->max_pages,
	                          c->max_stream_rows, (int64_t)c->max_stream_bytes,
	                          c->retry_max,       c->fleet_lease_ms};
	for (size_t i = 0; i < sizeof(daemon) / sizeof(daemon[0]); i++)
		h = put_i64(h, daemon[i]);
	/* The sections, whatever their order: a sum of each one's hash. */
	uint64_t sum = 0;
	for (size_t i = 0; i < c->n_ws; i++) {
		const struct ws_config *w = &c->ws[i];
		if (!w->enabled)
			continue;
		uint64_t s = put_str(FNV1A_OFFSET, w->name);
		s = put_str(s, w->license_code);
		s = put_str(s, w->base_url);
		s = put_str(s, w->fingerprint);
		s = put_i64(s, w->interval_ms);
		s = put_i64(s, w->jitter_ms);
		s = put_i64(s, w->lookback_days);
		s = put_i64(s, (int64_t)w->streams);
		for (int k = 0; k < PATH_COUNT; k++)
			s = put_str(s, w->paths[k]);
		sum += mix(s);
	}
	h = mix(put_i64(h, (int64_t)sum));
	snprintf(out, 17, "%016" PRIx64, h);
}
