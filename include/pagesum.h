/*
 * pagesum.h: the digests of the pages of one stream's walk, so that a
 * page whose bytes did not change since its rows were stored need not be
 * parsed or written again (docs/architecture.md, "Writes proportional to
 * change").
 *
 * A walk is the sequence of answers one stream's requests got, in order
 * (stats: one; campaigns: the pages of each channel that answered, channel
 * after channel; active users: one; team: its pages). Each answer gets a
 * pagesum_entry: a digest of what was asked and what came back (the first
 * 16 bytes of the SHA-256 of the request's URL, its POST body and the
 * answer's body, each preceded by its length) and the two figures of the
 * page that steer the walk (numberOfPages and the number of contents), so
 * that a page known by its digest can be walked past without parsing it.
 *
 * The store keeps the entries of the last walk whose rows it stored whole
 * (stream_digest.digests, committed in the stream's own transaction), as
 * a blob: 24 bytes per entry, the digest then the two figures as 32-bit
 * big-endian integers. A stream that fails stores nothing, so what is
 * remembered always describes rows that are in the store.
 *
 * Limits: a digest names the bytes, not their meaning: an answer that
 * differs only in spacing or member order counts as changed (it is then
 * parsed and compared row by row, which is exact). A row changed or
 * deleted in the store by hand is not noticed while its page stays the
 * same; deleting the stream's stream_digest row makes the next pull parse
 * and compare everything.
 */
#ifndef WEGAUGE_PAGESUM_H
#define WEGAUGE_PAGESUM_H

#include <stddef.h>
#include <stdint.h>

#define PAGESUM_LEN   16     /* bytes of digest kept */
#define PAGESUM_BYTES 24     /* bytes per entry in the stored blob */
#define PAGESUM_MAX   100000 /* entries in one walk, at most (a blob past it is refused) */

struct pagesum_entry {
	uint8_t d[PAGESUM_LEN];
	uint32_t pages;    /* numberOfPages as the page said, cut to 32 bits (0 when none) */
	uint32_t contents; /* how many contents it had, cut to 32 bits */
};

/* A walk's entries, in order. Zeroed is empty; the owner frees with pagesum_free. */
struct pagesum {
	struct pagesum_entry *v;
	size_t n, cap;
};

/*
 * The digest of one answer: url (not NULL), post (NULL for a GET) and the
 * body's len bytes. 0, or -1 when the digest could not be computed (no
 * memory in OpenSSL): the caller then treats the page as changed.
 */
int pagesum_digest(uint8_t out[PAGESUM_LEN], const char *url, const char *post, const char *body,
                   size_t len);

/* Append e. 0, or -1 when out of memory or past PAGESUM_MAX (ps unchanged). */
int pagesum_push(struct pagesum *ps, const struct pagesum_entry *e);

/* Do a and b hold the same entries in the same order? */
int pagesum_equal(const struct pagesum *a, const struct pagesum *b);

/*
 * The blob of ps: malloc'd, *len = n * PAGESUM_BYTES; the caller frees it.
 * NULL (and *len 0) when ps is empty or out of memory: check ps->n.
 */
unsigned char *pagesum_encode(const struct pagesum *ps, size_t *len);

/*
 * Replace ps's entries by those of a stored blob. 0, or -1 when the blob's
 * length is not a multiple of PAGESUM_BYTES, it has more than PAGESUM_MAX
 * entries, or memory ran out: ps is then empty (nothing remembered, so
 * every page is parsed: never wrong, only slower).
 */
int pagesum_decode(struct pagesum *ps, const void *blob, size_t len);

void pagesum_clear(struct pagesum *ps); /* empty, memory kept */
void pagesum_free(struct pagesum *ps);  /* empty, memory freed */

#endif
