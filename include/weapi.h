/*
 * weapi.h: the WebEngage API of api.md as bytes: the URLs and request
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

#include "config.h"
#include "rows.h"

/* The campaign channel paths of api.md, stream 2, in order. */
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
 * query is appended after '?' when not NULL. Returns a malloc'd string, or
 * NULL on OOM or an unknown {placeholder}.
 */
char *weapi_url(const char *base, const char *tmpl, const char *lc, const char *channel_path,
                const char *query);

/* The window of stream 1 and 3: the last lookback_days UTC days, today included. */
void weapi_window(int64_t now, int lookback_days, char from[DAY_LEN], char to[DAY_LEN]);

/* The POST body of stream 1 for that window, malloc'd; NULL on OOM. */
char *weapi_stats_body(int64_t now, int lookback_days);

/*
 * Parse a body into its envelope. On success returns 0, *root holds the
 * parsed document (json_decref it) and *data points into it (borrowed;
 * may be JSON null). Fails (-1) on malformed JSON (invalid UTF-8, \u0000
 * and duplicate keys included), a body that is not the envelope, or
 * status "error" (err then carries the server's message).
 */
int weapi_envelope(const char *body, size_t len, json_t **root, json_t **data, char *err,
                   size_t errlen);

/* Page counters of a paginated answer. */
struct weapi_page {
	int64_t page_no;
	int64_t number_of_pages;
	size_t n_contents;
};

/* Stream 1: append the rows of one stats answer's data to rs (STREAM_STATS). */
int weapi_parse_stats(const json_t *data, struct rowset *rs, char *err, size_t errlen);

/* Stream 2: append the campaigns of one page of one channel to rs (STREAM_CAMPAIGNS). */
int weapi_parse_campaigns(const json_t *data, const char *channel, struct rowset *rs,
                          struct weapi_page *pg, char *err, size_t errlen);

/*
 * Stream 3: append one row per (day, platform) to rs (STREAM_ACTIVE_USERS),
 * merging DAU, WAU and MAU; a metric missing for a day is NULL.
 */
int weapi_parse_active_users(const json_t *data, struct rowset *rs, char *err, size_t errlen);

/* Stream 4: append the members of one page to rs (STREAM_TEAM). */
int weapi_parse_team(const json_t *data, struct rowset *rs, struct weapi_page *pg, char *err,
                     size_t errlen);

#endif
