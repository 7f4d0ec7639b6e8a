/*
 * rows.c: the rowset, a growable array of rows of one stream plus an arena
 * for their strings. The arena is a list of chunks; a chunk is never moved,
 * so string pointers stay valid while the row array grows. Small strings
 * share CHUNK_MIN-byte chunks; a string over a quarter of that gets an
 * exact chunk of its own (so 4 KiB strings do not waste half of each
 * chunk, and the byte cap counts about what they need). Every
 * allocation is counted in `bytes` before it is made, so a rowset never
 * holds more than its max_bytes (with prior_bytes) nor more rows than its
 * max_rows (with prior).
 */
#include "rows.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

struct rowset_chunk {
	struct rowset_chunk *next;
	size_t used, size;
	char data[];
};

#define CHUNK_MIN 8192

static const char *const stream_names[STREAM_COUNT] = {"stats", "campaigns", "active_users",
                                                       "team"};

const char *stream_name(enum stream s)
{
	return (unsigned)s < STREAM_COUNT ? stream_names[s] : "?";
}

int stream_from_name(const char *name)
{
	for (int i = 0; i < STREAM_COUNT; i++)
		if (strcmp(name, stream_names[i]) == 0)
			return i;
	return -1;
}

size_t rowset_row_size(enum stream s)
{
	switch (s) {
	case STREAM_STATS:
		return sizeof(struct row_feature);
	case STREAM_CAMPAIGNS:
		return sizeof(struct row_campaign);
	case STREAM_ACTIVE_USERS:
		return sizeof(struct row_active);
	case STREAM_TEAM:
	default:
		return sizeof(struct row_seat);
	}
}

void rowset_init_capped(struct rowset *rs, enum stream s, size_t max_rows, size_t max_bytes)
{
	memset(rs, 0, sizeof(*rs));
	rs->stream = s;
	rs->max_rows = max_rows ? max_rows : ROWSET_DEFAULT_MAX_ROWS;
	rs->max_bytes = max_bytes ? max_bytes : ROWSET_DEFAULT_MAX_BYTES;
	rs->row_size = rowset_row_size(s);
}

void rowset_init(struct rowset *rs, enum stream s, size_t max_rows)
{
	rowset_init_capped(rs, s, max_rows, 0);
}

void rowset_free(struct rowset *rs)
{
	struct rowset_chunk *c = rs->chunks;
	while (c) {
		struct rowset_chunk *next = c->next;
		free(c);
		c = next;
	}
	free(rs->rows);
	rs->rows = NULL;
	rs->chunks = NULL;
	rs->n = rs->cap = 0;
	rs->bytes = 0;
	rs->refused = ROWSET_OK;
}

size_t rowset_room(const struct rowset *rs)
{
	size_t held = rs->prior + rs->n;
	return held < rs->max_rows ? rs->max_rows - held : 0;
}

/* Bytes rs may still allocate before max_bytes (counting prior_bytes). */
static size_t byte_room(const struct rowset *rs)
{
	size_t held = rs->prior_bytes + rs->bytes;
	return held < rs->max_bytes ? rs->max_bytes - held : 0;
}

/* NULL with the reason kept, for the callers' one-line refusals. */
static void *refuse(struct rowset *rs, enum rowset_refusal why)
{
	rs->refused = why;
	return NULL;
}

void *rowset_push(struct rowset *rs)
{
	if (rowset_room(rs) == 0)
		return refuse(rs, ROWSET_OVER_ROWS);
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		if (cap - rs->n > rowset_room(rs))
			cap = rs->n + rowset_room(rs);
		/* The array may grow by what the byte cap leaves, if that is a row at least. */
		size_t fit = byte_room(rs) / rs->row_size;
		if (cap - rs->cap > fit)
			cap = rs->cap + fit;
		if (cap == rs->cap)
			return refuse(rs, ROWSET_OVER_BYTES);
		void *p = realloc(rs->rows, cap * rs->row_size);
		if (!p)
			return refuse(rs, ROWSET_NO_MEMORY);
		rs->bytes += (cap - rs->cap) * rs->row_size;
		rs->rows = p;
		rs->cap = cap;
	}
	void *row = (char *)rs->rows + rs->n * rs->row_size;
	memset(row, 0, rs->row_size);
	rs->n++;
	return row;
}

int rowset_adopt(struct rowset *dst, struct rowset *src)
{
	if (dst->stream != src->stream || dst->row_size != src->row_size)
		return -1;
	if (src->n > rowset_room(dst)) {
		refuse(dst, ROWSET_OVER_ROWS);
		return -1;
	}
	size_t src_strings = src->bytes - src->cap * src->row_size;
	if (dst->n == 0 && !dst->chunks) {
		/* The first page of a stream: take src whole. */
		if (src->bytes > byte_room(dst) + dst->bytes) {
			refuse(dst, ROWSET_OVER_BYTES);
			return -1;
		}
		free(dst->rows);
		dst->rows = src->rows;
		dst->n = src->n;
		dst->cap = src->cap;
		dst->chunks = src->chunks;
		dst->bytes = src->bytes;
	} else {
		size_t cap = dst->n + src->n > dst->cap ? dst->n + src->n : dst->cap;
		if ((cap - dst->cap) * dst->row_size + src_strings > byte_room(dst)) {
			refuse(dst, ROWSET_OVER_BYTES);
			return -1;
		}
		if (cap > dst->cap) {
			void *p = realloc(dst->rows, cap * dst->row_size);
			if (!p) {
				refuse(dst, ROWSET_NO_MEMORY);
				return -1;
			}
			dst->rows = p;
			dst->bytes += (cap - dst->cap) * dst->row_size;
			dst->cap = cap;
		}
		if (src->n)
			memcpy((char *)dst->rows + dst->n * dst->row_size, src->rows,
			       src->n * src->row_size);
		dst->n += src->n;
		dst->bytes += src_strings;
		free(src->rows);
		if (src->chunks) {
			struct rowset_chunk *tail = src->chunks;
			while (tail->next)
				tail = tail->next;
			tail->next = dst->chunks;
			dst->chunks = src->chunks;
		}
	}
	src->rows = NULL;
	src->chunks = NULL;
	src->n = src->cap = 0;
	src->bytes = 0;
	return 0;
}

const char *rowset_strndup(struct rowset *rs, const char *s, size_t len)
{
	struct rowset_chunk *c = rs->chunks;
	if (!c || c->size - c->used < len + 1) {
		/* A large string gets a chunk of its own, behind the open one. */
		bool own = len + 1 > CHUNK_MIN / 4;
		size_t size = own ? len + 1 : CHUNK_MIN;
		size_t room = byte_room(rs);
		if (sizeof(*c) + size > room) {
			/* A last chunk just big enough, if the cap leaves that much. */
			if (sizeof(*c) + len + 1 > room)
				return refuse(rs, ROWSET_OVER_BYTES);
			size = len + 1;
		}
		c = malloc(sizeof(*c) + size);
		if (!c)
			return refuse(rs, ROWSET_NO_MEMORY);
		rs->bytes += sizeof(*c) + size;
		c->size = size;
		c->used = 0;
		if (own && rs->chunks) {
			c->next = rs->chunks->next;
			rs->chunks->next = c;
		} else {
			c->next = rs->chunks;
			rs->chunks = c;
		}
	}
	char *out = c->data + c->used;
	memcpy(out, s, len);
	out[len] = '\0';
	c->used += len + 1;
	return out;
}

const char *rowset_refusal_text(const struct rowset *rs, char *buf, size_t len)
{
	char size[UNITS_BUF_LEN];
	switch (rs->refused) {
	case ROWSET_OVER_ROWS:
		snprintf(buf, len, "stream has more than %zu rows (max_stream_rows)", rs->max_rows);
		break;
	case ROWSET_OVER_BYTES:
		units_format_size(rs->max_bytes, size, sizeof(size));
		snprintf(buf, len, "stream needs more than %s (max_stream_bytes)", size);
		break;
	case ROWSET_NO_MEMORY:
	case ROWSET_OK:
	default:
		snprintf(buf, len, "out of memory");
		break;
	}
	return buf;
}

const char *rowset_strdup(struct rowset *rs, const char *s)
{
	return s ? rowset_strndup(rs, s, strlen(s)) : NULL;
}
