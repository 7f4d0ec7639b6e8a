/*
 * jarena.h: a bump allocator for jansson's trees, one per thread.
 *
 * Parsing one answer builds a jansson tree of thousands of small
 * allocations (every object, key, string and hashtable bucket), and
 * json_decref walks the whole tree again to free them one by one: in
 * callgrind, json_loadb and json_delete together were 46% of wegauged's
 * instructions over a --once run, most of it in malloc and free. Between
 * jarena_begin and jarena_end, every allocation jansson makes on this
 * thread comes from a few large chunks instead, its frees cost nothing,
 * and jarena_end drops the whole tree at once (no json_decref needed).
 *
 * jarena_install must run before jansson allocates anything (it sets
 * jansson's allocator, process-wide); outside a begin/end pair, and on
 * every other thread, jansson gets plain malloc and free. Nothing that
 * jansson allocated between begin and end may be used after end: copy
 * what you keep (the stream parsers copy into their rowset).
 *
 * Bounds: a chunk is at least JARENA_CHUNK bytes and the chunks double, so
 * a tree costs at most about twice its size in chunks. The tree is not
 * bounded by the answer alone: jansson spends about 75 bytes of tree on
 * each 3 bytes of "{}," (an object and its hash table), so a 30 MiB answer
 * of empty objects would take 2.3 GB. An arena is therefore begun with a
 * limit (the daemon's max_parse_memory): its chunks never hold more in
 * all, an allocation past it returns NULL, jansson fails the parse with an
 * allocation error, and jarena_refused() tells the caller why.
 */
#ifndef WEGAUGE_JARENA_H
#define WEGAUGE_JARENA_H

#include <stdbool.h>
#include <stddef.h>

#define JARENA_CHUNK (64 * 1024)

/* Route jansson's allocations through the arenas (process-wide, once). */
void jarena_install(void);
/*
 * Start an arena on this thread; size_hint: expected bytes (0: unknown);
 * limit: the most its chunks may hold in all, headers included (0: none).
 */
void jarena_begin(size_t size_hint, size_t limit);
/* Free everything allocated since jarena_begin on this thread, at once. */
void jarena_end(void);
/* True between jarena_begin and jarena_end on this thread, when installed. */
bool jarena_active(void);
/*
 * True when this thread's arena refused an allocation (its limit) since
 * the last jarena_begin; it stays true after jarena_end, until the next
 * jarena_begin.
 */
bool jarena_refused(void);
/* Bytes this thread's arena holds now (its chunks, headers included). */
size_t jarena_held(void);

#endif
