/*
 * rows.h: the rows a pull produces, between the WebEngage parser (weapi.c)
 * and the store (store.c).
 *
 * A rowset holds the rows of one stream of one pull, accumulated over all
 * its pages, so that the store can commit the whole stream in one short
 * transaction. Strings live in the rowset's own arena and die with it.
 * A NULL string or an empty timestamp ("") is SQL NULL.
 */
#ifndef WEGAUGE_ROWS_H
#define WEGAUGE_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The four utilization streams of docs/api.md, in the order a pull runs them. */
enum stream { STREAM_STATS = 0, STREAM_CAMPAIGNS, STREAM_ACTIVE_USERS, STREAM_TEAM, STREAM_COUNT };
#define STREAM_ALL ((1u << STREAM_COUNT) - 1)

/* "stats", "campaigns", "active_users", "team". */
const char *stream_name(enum stream s);
/* The stream of that name, or -1. */
int stream_from_name(const char *name);

/* A number as the API sent it: absent, a JSON integer or a JSON real. */
enum num_kind { NUM_NULL = 0, NUM_INT, NUM_REAL };
struct num {
	enum num_kind kind;
	int64_t i;
	double d;
};

#define TS_LEN  21 /* "YYYY-MM-DDTHH:MM:SSZ" and its NUL */
#define DAY_LEN 11 /* "YYYY-MM-DD" and its NUL */

/* One row of feature_usage_daily. */
struct row_feature {
	char day[DAY_LEN];
	const char *feature; /* the dimension value, as sent */
	const char *metric;  /* as sent, except "goal" -> "conversions" */
	struct num value;
};

/* One row of campaign. */
struct row_campaign {
	const char *channel; /* PUSH_NOTIFICATION, ... */
	const char *campaign_id;
	const char *title, *status, *category;
	char created_on[TS_LEN], start_date[TS_LEN];
	struct num sent, delivered, clicks, conversions, revenue;
};

/* One row of active_users_daily. */
struct row_active {
	char day[DAY_LEN];
	const char *platform;
	struct num dau, wau, mau;
};

/* One row of seat (one member listed in this walk). */
struct row_seat {
	const char *email;
	const char *name, *role, *status;
	char last_login_at[TS_LEN];
};

struct rowset_chunk;

/* Why the last push, string copy or adopt of a rowset failed. */
enum rowset_refusal {
	ROWSET_OK = 0,
	ROWSET_NO_MEMORY,  /* malloc or realloc failed */
	ROWSET_OVER_ROWS,  /* it would pass max_rows (the daemon's max_stream_rows) */
	ROWSET_OVER_BYTES, /* it would pass max_bytes (the daemon's max_stream_bytes) */
};

/*
 * The rows of one stream. `rows` is an array of the row struct of `stream`
 * (struct row_feature for STREAM_STATS, ...). Two caps, so that a hostile
 * server cannot grow it without end: at most `max_rows` rows, and at most
 * `max_bytes` bytes held (`bytes`: the row array's capacity and the string
 * chunks, headers included). A push, copy or adopt that would pass either
 * fails and says which in `refused`; nothing is half-done.
 */
struct rowset {
	enum stream stream;
	size_t n, cap, max_rows;
	size_t prior; /* rows held elsewhere that count against max_rows (rowset_adopt) */
	size_t bytes, max_bytes;
	size_t prior_bytes;          /* bytes held elsewhere that count against max_bytes */
	enum rowset_refusal refused; /* why the last refused call failed; ROWSET_OK at init */
	size_t row_size;
	void *rows;
	struct rowset_chunk *chunks; /* the string arena */
	/*
	 * What the store records with a stream's rows (store_commit_stream),
	 * set by the pull: unchanged says the walk's pages were byte-identical
	 * to those of the last walk stored whole, so no row is given (n is 0)
	 * and none is written or marked removed: only the listing is recorded.
	 * digests (digests_len bytes, pagesum.h's blob; NULL: none) are the
	 * walk's page digests to remember, not owned by the rowset.
	 */
	bool unchanged;
	const unsigned char *digests;
	size_t digests_len;
};

/* The caps of a rowset made with 0 for them (the daemon passes its configuration's). */
#define ROWSET_DEFAULT_MAX_ROWS  2000000
#define ROWSET_DEFAULT_MAX_BYTES ((size_t)1 << 30)

/* The size of one row of stream s (sizeof struct row_feature, ...). */
size_t rowset_row_size(enum stream s);

/*
 * Prepare an empty rowset for stream s with at most max_rows rows (0:
 * ROWSET_DEFAULT_MAX_ROWS) and ROWSET_DEFAULT_MAX_BYTES. Allocates nothing.
 */
void rowset_init(struct rowset *rs, enum stream s, size_t max_rows);
/* rowset_init with both caps (0: the default of each). */
void rowset_init_capped(struct rowset *rs, enum stream s, size_t max_rows, size_t max_bytes);
/* Free every row and string; the rowset is empty (refused cleared) and reusable after. */
void rowset_free(struct rowset *rs);
/* How many more rows rs takes before max_rows (counting prior). */
size_t rowset_room(const struct rowset *rs);
/*
 * Append a zeroed row and return it, or NULL (and `refused` set) when
 * memory runs out or the rowset already holds max_rows rows or cannot
 * grow its array within max_bytes (counting prior and prior_bytes). The
 * pointer is valid until the next push (the array may move).
 */
void *rowset_push(struct rowset *rs);
/*
 * Move every row and string of src to the end of dst (same stream); src is
 * left empty. Strings move with their chunks, so the rows' pointers stay
 * valid. 0, or -1 (nothing moved; dst->refused says why unless the streams
 * differ) when memory runs out or dst would pass its max_rows or
 * max_bytes. This is how a page parsed off the loop (worker.h) joins its
 * stream: the page's rowset is made with prior = dst->n and prior_bytes =
 * dst->bytes, so its own checks count the stream's rows and bytes before
 * it, and the adopt that follows cannot pass either cap.
 */
int rowset_adopt(struct rowset *dst, struct rowset *src);
/*
 * Copy s (len bytes, not NUL-terminated) into the arena. NULL (and
 * `refused` set) when memory runs out or a new chunk would pass max_bytes.
 */
const char *rowset_strndup(struct rowset *rs, const char *s, size_t len);
/* Copy the C string s into the arena; NULL in gives NULL out. */
const char *rowset_strdup(struct rowset *rs, const char *s);
/*
 * Why rs refused, in words for a stream error, into buf: "stream has more
 * than 250000 rows (max_stream_rows)", "stream needs more than 128MiB
 * (max_stream_bytes)" or "out of memory". Returns buf.
 */
const char *rowset_refusal_text(const struct rowset *rs, char *buf, size_t len);

#define ROWSET_AT(rs, type, idx) (&((type *)(rs)->rows)[(idx)])

#endif
