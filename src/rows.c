/*
 * rows.c: the rowset, a growable array of rows of one stream plus an arena
 * for their strings. The arena is a list of chunks; a chunk is never moved,
 * so string pointers stay valid while the row array grows.
 */
#include "rows.h"

#include <stdlib.h>
#include <string.h>

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

void rowset_init(struct rowset *rs, enum stream s, size_t max_rows)
{
	memset(rs, 0, sizeof(*rs));
	rs->stream = s;
	rs->max_rows = max_rows ? max_rows : ROWSET_DEFAULT_MAX_ROWS;
	rs->row_size = rowset_row_size(s);
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
}

size_t rowset_room(const struct rowset *rs)
{
	size_t held = rs->prior + rs->n;
	return held < rs->max_rows ? rs->max_rows - held : 0;
}

void *rowset_push(struct rowset *rs)
{
	if (rowset_room(rs) == 0)
		return NULL;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 64;
		if (cap > rs->max_rows)
			cap = rs->max_rows;
		void *p = realloc(rs->rows, cap * rs->row_size);
		if (!p)
			return NULL;
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
	if (src->n > rowset_room(dst))
		return -1;
	if (dst->n == 0 && !dst->chunks) {
		/* The first page of a stream: take src whole. */
		free(dst->rows);
		dst->rows = src->rows;
		dst->n = src->n;
		dst->cap = src->cap;
		dst->chunks = src->chunks;
	} else {
		if (dst->n + src->n > dst->cap) {
			size_t cap = dst->n + src->n;
			void *p = realloc(dst->rows, cap * dst->row_size);
			if (!p)
				return -1;
			dst->rows = p;
			dst->cap = cap;
		}
		if (src->n)
			memcpy((char *)dst->rows + dst->n * dst->row_size, src->rows,
			       src->n * src->row_size);
		dst->n += src->n;
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
	return 0;
}

const char *rowset_strndup(struct rowset *rs, const char *s, size_t len)
{
	struct rowset_chunk *c = rs->chunks;
	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > CHUNK_MIN ? len + 1 : CHUNK_MIN;
		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = rs->chunks;
		rs->chunks = c;
	}
	char *out = c->data + c->used;
	memcpy(out, s, len);
	out[len] = '\0';
	c->used += len + 1;
	return out;
}

const char *rowset_strdup(struct rowset *rs, const char *s)
{
	return s ? rowset_strndup(rs, s, strlen(s)) : NULL;
}
