/*
 * jarena.c: the per-thread bump allocator of jarena.h. A thread-local
 * list of chunks, newest first; an allocation is carved from the newest
 * chunk, or from a new one of twice the size when it does not fit. A free
 * of a pointer inside the active arena does nothing; any other pointer
 * (allocated before the arena began, or on a thread without one) goes to
 * free(). A chunk that would take the arena past its limit is cut to what
 * the limit leaves, or refused when that is too small for the allocation.
 */
#include "jarena.h"

#include <jansson.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

struct jchunk {
	struct jchunk *next;
	size_t size, used;
	alignas(max_align_t) unsigned char data[];
};

struct jarena {
	bool active, refused;
	struct jchunk *chunks;
	size_t next_size;
	size_t held;  /* bytes of all chunks, headers included */
	size_t limit; /* 0: none */
};

static _Thread_local struct jarena arena;
static bool installed;

static struct jchunk *chunk_new(size_t need)
{
	size_t size = arena.next_size > need ? arena.next_size : need;
	if (arena.limit) {
		size_t room = arena.held < arena.limit ? arena.limit - arena.held : 0;
		if (room < sizeof(struct jchunk) + need) {
			arena.refused = true;
			return NULL;
		}
		if (sizeof(struct jchunk) + size > room)
			size = room - sizeof(struct jchunk);
	}
	struct jchunk *c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	arena.held += sizeof(*c) + size;
	c->size = size;
	c->used = 0;
	c->next = arena.chunks;
	arena.chunks = c;
	if (arena.next_size < SIZE_MAX / 2)
		arena.next_size *= 2;
	return c;
}

static void *ja_malloc(size_t n)
{
	if (!arena.active)
		return malloc(n);
	const size_t align = alignof(max_align_t);
	if (n > SIZE_MAX - align)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	struct jchunk *c = arena.chunks;
	if (!c || c->size - c->used < n) {
		c = chunk_new(n);
		if (!c)
			return NULL;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

static bool in_arena(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	for (const struct jchunk *c = arena.chunks; c; c = c->next)
		if (a >= (uintptr_t)c->data && a < (uintptr_t)c->data + c->size)
			return true;
	return false;
}

static void ja_free(void *p)
{
	if (!p || (arena.active && in_arena(p)))
		return;
	free(p);
}

void jarena_install(void)
{
	if (installed)
		return;
	json_set_alloc_funcs(ja_malloc, ja_free);
	installed = true;
}

void jarena_begin(size_t size_hint, size_t limit)
{
	if (!installed)
		return;
	jarena_end();
	arena.active = true;
	arena.refused = false;
	arena.limit = limit;
	arena.next_size = size_hint > JARENA_CHUNK ? size_hint : JARENA_CHUNK;
	if (limit && arena.next_size > limit)
		arena.next_size = limit; /* chunk_new cuts it to fit the header too */
}

void jarena_end(void)
{
	struct jchunk *c = arena.chunks;
	while (c) {
		struct jchunk *next = c->next;
		free(c);
		c = next;
	}
	arena.chunks = NULL;
	arena.active = false;
	arena.held = 0;
}

bool jarena_active(void)
{
	return arena.active;
}

bool jarena_refused(void)
{
	return arena.refused;
}

size_t jarena_held(void)
{
	return arena.held;
}
