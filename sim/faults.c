/*
 * faults.c: fault injection decisions. A request is faulted by a draw that
 * depends only on the seed, the request target (path and query), the
 * license code and how many times this exact request has been served
 * before, so a retried request gets a fresh draw while runs with the same
 * seed and the same requests fault the same requests, whatever the order
 * in which a concurrent client sends them:
 *
 *   r     = H(seed, "fault", fnv(target), fnv(lc), count)
 *   fault = (r >> 11) * 2^-53 < rate ? kinds[H(seed, "fkind", r) mod |kinds|] : none
 *
 * where kinds are the enabled kinds applicable to the endpoint (pagecount
 * only to paginated ones). How the server plays each kind is in raw.c and
 * server.c; docs/wesim.md, "Faults", describes what a client observes.
 */
#include "wesim.h"

#include <stdlib.h>
#include <string.h>

const char *const wsim_fault_names[F_COUNT] = {
        "none",      "500",       "502",      "503",   "429",       "429s",
        "429d",      "503s",      "stall",    "reset", "short",     "badchunk",
        "truncated", "malformed", "envelope", "slow",  "oversized", "pagecount",
};

/* Faults played on the socket by raw.c rather than through evhttp. */
bool fault_is_raw(int f)
{
	return f == F_STALL || f == F_RESET || f == F_SHORT || f == F_BADCHUNK || f == F_SLOW ||
	       f == F_OVERSIZED;
}

/*
 * A comma list of fault names (or "all", or "none"/"" for no kind) into a
 * mask with bit (1 << enum wsim_fault). Returns 0, or -1 with err naming
 * the unknown word and the valid ones.
 */
int faults_parse(const char *s, uint32_t *mask, char *err, size_t errlen)
{
	uint32_t m = 0;
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int found = -1;
		if (n == 3 && memcmp(p, "all", 3) == 0) {
			m |= ((1u << F_COUNT) - 1) & ~1u;
			found = 0;
		} else if (n == 4 && memcmp(p, "none", 4) == 0) {
			found = 0;
		} else {
			for (int f = 1; f < F_COUNT; f++)
				if (strlen(wsim_fault_names[f]) == n &&
				    memcmp(wsim_fault_names[f], p, n) == 0) {
					m |= 1u << f;
					found = f;
				}
		}
		if (found < 0) {
			snprintf(err, errlen,
			         "unknown fault \"%.*s\" (expected all, none or a comma list of "
			         "500, "
			         "502, 503, 429, 429s, 429d, 503s, stall, reset, short, badchunk, "
			         "truncated, malformed, envelope, slow, oversized, pagecount)",
			         (int)(n > 32 ? 32 : n), p);
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	*mask = m;
	return 0;
}

/* The mask as a comma list (the inverse of faults_parse; "" for none). */
void faults_format(uint32_t mask, char *out, size_t outlen)
{
	size_t len = 0;
	out[0] = '\0';
	for (int f = 1; f < F_COUNT; f++) {
		if (!(mask & (1u << f)))
			continue;
		int w = snprintf(out + len, outlen - len, "%s%s", len ? "," : "",
		                 wsim_fault_names[f]);
		if (w < 0 || (size_t)w >= outlen - len)
			return;
		len += (size_t)w;
	}
}

/* The fault for draw r (see the file comment), or F_NONE. */
int fault_draw(uint64_t seed, double rate, uint32_t mask, bool paginated, uint64_t r)
{
	double u = (double)(r >> 11) * (1.0 / 9007199254740992.0);
	if (!(u < rate))
		return F_NONE;
	int kinds[F_COUNT], n = 0;
	for (int f = 1; f < F_COUNT; f++)
		if ((mask & (1u << f)) && (f != F_PAGECOUNT || paginated))
			kinds[n++] = f;
	if (n == 0)
		return F_NONE;
	return kinds[wsim_hash(seed, "fkind", r, 0, 0, 0) % (uint64_t)n];
}

/* An empty table that will hold at most max distinct requests. */
void seen_init(struct wsim_seen *t, uint32_t max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
}

static int seen_grow(struct wsim_seen *t, uint32_t cap)
{
	uint64_t *keys = calloc(cap, sizeof(*keys));
	uint32_t *counts = calloc(cap, sizeof(*counts));
	if (!keys || !counts) {
		free(keys);
		free(counts);
		return -1;
	}
	for (uint32_t i = 0; i < t->cap; i++) {
		if (!t->keys[i])
			continue;
		uint32_t j = (uint32_t)wsim_mix(t->keys[i]) & (cap - 1);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = t->keys[i];
		counts[j] = t->counts[i];
	}
	free(t->keys);
	free(t->counts);
	t->keys = keys;
	t->counts = counts;
	t->cap = cap;
	return 0;
}

/*
 * How many times the request identified by key was served before this
 * time, and count this one. The table doubles (from 4096 slots) while
 * below max entries; when full, or when memory runs out, it is cleared and
 * counting starts again (documented: retries then repeat an earlier draw).
 */
uint32_t seen_next(struct wsim_seen *t, uint64_t key)
{
	if (key == 0)
		key = 1;
	if (t->cap == 0 || (t->used + 1) * 2 > t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 4096;
		if (t->used + 1 > t->max || seen_grow(t, cap) != 0) {
			if (t->cap == 0)
				return 0;
			memset(t->keys, 0, t->cap * sizeof(*t->keys));
			memset(t->counts, 0, t->cap * sizeof(*t->counts));
			t->used = 0;
		}
	}
	uint32_t i = (uint32_t)wsim_mix(key) & (t->cap - 1);
	while (t->keys[i] && t->keys[i] != key)
		i = (i + 1) & (t->cap - 1);
	if (!t->keys[i]) {
		t->keys[i] = key;
		t->used++;
	}
	return t->counts[i]++;
}

void seen_free(struct wsim_seen *t)
{
	free(t->keys);
	free(t->counts);
	memset(t, 0, sizeof(*t));
}
