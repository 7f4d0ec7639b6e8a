/*
 * cache.c: rendered campaign and team pages. Rendering a page of a
 * thousand campaigns costs tens of thousands of hash evaluations; a
 * client walking pages, or a benchmark hammering one, asks for the same
 * bytes again and again. Pages are immutable and reference counted: the
 * cache holds one reference, each answer being sent holds one (handed to
 * evbuffer_add_reference, released by page_unref_cb once written), so a
 * page evicted while in flight stays valid until sent.
 *
 * The table is direct-mapped (slot = key mod nslots; a new page replaces
 * the one in its slot). The total size of cached pages is bounded by
 * max_bytes: when a new page would exceed it the whole cache is dropped.
 * Keys are hashes of (generation, account, endpoint, page, size); the
 * generation changes on every reload, so stale pages are never served.
 */
#include "wesim.h"

#include <stdlib.h>
#include <string.h>

int cache_init(struct wsim_cache *c, uint32_t nslots, size_t max_bytes)
{
	memset(c, 0, sizeof(*c));
	c->max_bytes = max_bytes;
	if (max_bytes == 0 || nslots == 0)
		return 0; /* disabled */
	c->slots = calloc(nslots, sizeof(*c->slots));
	if (!c->slots)
		return -1;
	c->nslots = nslots;
	return 0;
}

void page_unref(struct wsim_page *p)
{
	if (p && --p->refs == 0)
		free(p);
}

/* evbuffer_add_reference cleanup: arg is the page. */
void page_unref_cb(const void *data, size_t len, void *arg)
{
	(void)data;
	(void)len;
	page_unref(arg);
}

/* The page cached under key with one more reference for the caller, or NULL. */
struct wsim_page *cache_get(struct wsim_cache *c, uint64_t key)
{
	if (!c->nslots)
		return NULL;
	struct wsim_page *p = c->slots[key % c->nslots];
	if (p && p->key == key) {
		p->refs++;
		c->hits++;
		return p;
	}
	c->misses++;
	return NULL;
}

/*
 * A new page holding a copy of data (len bytes) with one reference for the
 * caller, cached under key when it fits (the cache takes its own
 * reference). NULL when out of memory.
 */
struct wsim_page *cache_put(struct wsim_cache *c, uint64_t key, const char *data, size_t len)
{
	struct wsim_page *p = malloc(sizeof(*p) + len);
	if (!p)
		return NULL;
	p->refs = 1;
	p->key = key;
	p->len = len;
	memcpy(p->data, data, len);
	if (!c->nslots || len > c->max_bytes / 4)
		return p;
	if (c->bytes + len > c->max_bytes)
		cache_clear(c);
	uint32_t i = (uint32_t)(key % c->nslots);
	if (c->slots[i]) {
		c->bytes -= c->slots[i]->len;
		page_unref(c->slots[i]);
	}
	c->slots[i] = p;
	c->bytes += len;
	p->refs++;
	return p;
}

/* Drop every cached page (pages in flight live on until sent). */
void cache_clear(struct wsim_cache *c)
{
	for (uint32_t i = 0; i < c->nslots; i++) {
		page_unref(c->slots[i]);
		c->slots[i] = NULL;
	}
	c->bytes = 0;
}

void cache_free(struct wsim_cache *c)
{
	cache_clear(c);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}
