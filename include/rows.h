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

/*
 * The rows of one stream. `rows` is an array of the row struct of `stream`
 * (struct row_feature for STREAM_STATS, ...). At most `max_rows` rows: a
 * push beyond that fails, so a hostile server cannot grow it without end.
 */
struct rowset {
	enum stream stream;
	size_t n, cap, max_rows;
	size_t prior; /* rows held elsewhere that count against max_rows (rowset_adopt) */
	size_t row_size;
	void *rows;
	struct rowset_chunk *chunks; /* the string arena */
};

#define ROWSET_DEFAULT_MAX_ROWS 2000000

/* The size of one row of stream s (sizeof struct row_feature, ...). */
size_t rowset_row_size(enum stream s);

/* Prepare an empty rowset for stream s. Allocates nothing yet. */
void rowset_init(struct rowset *rs, enum stream s, size_t max_rows);
/* Free every row and string; the rowset is empty and reusable after. */
void rowset_free(struct rowset *rs);
/* How many more rows rs takes before max_rows (counting prior). */
size_t rowset_room(const struct rowset *rs);
/*
 * Append a zeroed row and return it, or NULL when memory runs out or the
 * rowset already holds max_rows rows. The pointer is valid until the next
 * push (the array may move).
 */
void *rowset_push(struct rowset *rs);
/*
 * Move every row and string of src to the end of dst (same stream); src is
 * left empty. Strings move with their chunks, so the rows' pointers stay
 * valid. 0, or -1 (nothing moved) when memory runs out or dst would pass
 * its max_rows. This is how a page parsed off the loop (worker.h) joins
 * its stream: the page's rowset is made with prior = dst->n, so its own
 * max_rows check counts the stream's rows before it.
 */
int rowset_adopt(struct rowset *dst, struct rowset *src);
/* Copy s (len bytes, not NUL-terminated) into the arena. NULL on OOM. */
const char *rowset_strndup(struct rowset *rs, const char *s, size_t len);
/* Copy the C string s into the arena; NULL in gives NULL out. */
const char *rowset_strdup(struct rowset *rs, const char *s);

#define ROWSET_AT(rs, type, idx) (&((type *)(rs)->rows)[(idx)])

#endif
