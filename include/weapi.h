/*
 * weapi.h: the WebEngage API of docs/api.md as bytes: the URLs and request
 * bodies the collector sends, and the mapping of each answer to rows.
 *
 * Pure functions: no I/O, no clock (the caller passes wall time), no
 * global state. pull.c drives the requests; this module only builds and
 * parses them.
 *
 * Error messages (err, errlen) name what was wrong and where, in the
 * answer's own terms: "data[2].dimensions[0].metrics[1].value: expected a
 * number, got a string". The caller adds workspace, stream and page.
 */
#ifndef WEGAUGE_WEAPI_H
#define WEGAUGE_WEAPI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "config.h"
#include "rows.h"

/* Bounds on what an answer may hold: longer strings and larger page numbers are errors. */
#define WEAPI_MAX_STRING 4096    /* bytes of any one string value */
#define WEAPI_MAX_PAGES  1000000 /* pageNo and numberOfPages (config's max_pages is at most this) */

/* The campaign channel paths of docs/api.md, stream 2, in order. */
struct weapi_channel {
	const char *path;    /* "push-notifications" */
	const char *channel; /* "PUSH_NOTIFICATION" */
};
#define WEAPI_N_CHANNELS 6
extern const struct weapi_channel weapi_channels[WEAPI_N_CHANNELS];

/* The default path templates (config.h enum api_path). */
extern const char *const weapi_default_paths[PATH_COUNT];

/*
 * Build the URL base + template (with {lc} and {channel} expanded) + query.
 * query is appended after '?' when not NULL and not empty ('&' when the
 * template already holds a '?'). Returns a malloc'd string, or NULL on OOM,
 * an unknown {placeholder}, an unclosed '{' or lone '}', a template byte
 * that is not a URL path character (space, control, '#', non-ASCII), or a
 * needed placeholder value that is NULL or not [A-Za-z0-9~_-]+.
 */
char *weapi_url(const char *base, const char *tmpl, const char *lc, const char *channel_path,
                const char *query);

/*
 * The window of stream 1 and 3: the last lookback_days UTC days, today
 * (the UTC day of now) included. A lookback_days below 1 counts as 1.
 */
void weapi_window(wall_s now, int lookback_days, char from[DAY_LEN], char to[DAY_LEN]);

/* The POST body of stream 1 for that window, malloc'd; NULL on OOM. */
char *weapi_stats_body(wall_s now, int lookback_days);

/*
 * Parse a body into its envelope. On success returns 0, *root holds the
 * parsed document (json_decref it) and *data points into it (borrowed;
 * may be JSON null). Fails (-1, *root and *data NULL) on malformed JSON
 * (invalid UTF-8, \u0000 and duplicate keys included: "malformed JSON at
 * byte N: ..."), a body that is not the envelope ("not the envelope: ..."),
 * a success without data ("no data: ..."), or status "error" ("server
 * said: <message>", control bytes escaped, cut at 200 bytes).
 */
int weapi_envelope(const char *body, size_t len, json_t **root, json_t **data, char *err,
                   size_t errlen);

/* Page counters of a paginated answer. */
struct weapi_page {
	int64_t page_no;
	int64_t number_of_pages;
	size_t n_contents;
};

/*
 * The parsers below append to rs and return 0, or return -1 with err set
 * to "<json path>: <what was wrong>" (paths as in the answer: "data[2].
 * dimensions[0].metrics[1].value" for stats, "contents[4].createdOn" and
 * "pageNo" for pages, "DAU[0].stats[1]" for active users) or to the
 * rowset's refusal (rowset_refusal_text: "stream has more than N rows
 * (max_stream_rows)", "stream needs more than SIZE (max_stream_bytes)",
 * "out of memory"; rs->refused says which); on -1 the rows appended by the
 * call are dropped again (rs->n is as before). err may be NULL (errlen 0).
 */

/* Stream 1: append the rows of one stats answer's data to rs (STREAM_STATS). */
int weapi_parse_stats(const json_t *data, struct rowset *rs, char *err, size_t errlen);

/*
 * Stream 2: append the campaigns of one page of one channel to rs
 * (STREAM_CAMPAIGNS). *pg (may be NULL) is written on success only.
 */
int weapi_parse_campaigns(const json_t *data, const char *channel, struct rowset *rs,
                          struct weapi_page *pg, char *err, size_t errlen);

/*
 * Stream 3: append one row per (day, platform) to rs (STREAM_ACTIVE_USERS),
 * merging DAU, WAU and MAU; a metric missing for a day is NULL. Rows come
 * ordered by platform, then day; O(n log n) in the number of values.
 */
int weapi_parse_active_users(const json_t *data, struct rowset *rs, char *err, size_t errlen);

/* Stream 4: append the members of one page to rs (STREAM_TEAM); *pg as for campaigns. */
int weapi_parse_team(const json_t *data, struct rowset *rs, struct weapi_page *pg, char *err,
                     size_t errlen);

#endif
