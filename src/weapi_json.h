/*
 * weapi_json.h: the checked JSON readers shared by the answer parsers of
 * weapi_parse.c and weapi_active.c (internal to the weapi module; not part
 * of include/).
 *
 * A struct wj carries the parse of one answer: the rowset the rows go to,
 * the caller's error buffer, and the JSON path of the value being read
 * ("contents[4].stats.clicks"). Every reader checks one value's type and
 * bounds; on failure it writes "<path>: <what was wrong>" into the error
 * buffer and returns -1, so parsers are a straight line of checked reads.
 *
 * Ownership: strings a reader returns are borrowed from the json_t (alive
 * as long as the caller's document) unless they come from wj_dup, which
 * copies into the rowset's arena.
 */
#ifndef WEGAUGE_WEAPI_JSON_H
#define WEGAUGE_WEAPI_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rows.h"

#define WJ_PATH_MAX 192 /* longer paths are cut; they still start right */

struct wj {
	char path[WJ_PATH_MAX];
	size_t len;        /* strlen(path), even when cut */
	struct rowset *rs; /* where rows go */
	size_t n0;         /* rs->n at the start: a failed parse truncates back to it */
	char *err;         /* the caller's buffer, may be NULL */
	size_t errlen;
};

/* Start a parse into rs with the path set to root ("data" or ""). */
void wj_init(struct wj *w, struct rowset *rs, const char *root, char *err, size_t errlen);

/*
 * End a parse: on rc != 0 the rows pushed since wj_init are dropped (their
 * strings stay in the arena until rowset_free). Returns rc.
 */
int wj_done(struct wj *w, int rc);

/*
 * Extend the path by ".key" (or "key" at the root; ["key"] with the key
 * quoted when it is not a plain identifier) or by "[i]". Each returns the
 * previous length, to hand back to wj_pop.
 */
size_t wj_key(struct wj *w, const char *key);
size_t wj_index(struct wj *w, size_t i);
void wj_pop(struct wj *w, size_t len);

/* Write "<path>: <message>" to the error buffer and return -1. */
int wj_fail(struct wj *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "an object", "an array", "a string", "an integer", "a real number", "a boolean", "null". */
const char *wj_kind(const json_t *v);

/* v is present and of type t, else "missing" or "expected <t>, got <kind>". */
int wj_expect(struct wj *w, const json_t *v, json_type t);

/*
 * obj[key] as a string, borrowed. Absent or null: an error "missing" when
 * required, else *s = NULL. An empty string is an error when required.
 * Strings longer than WEAPI_MAX_STRING bytes or holding a NUL are refused.
 */
int wj_str(struct wj *w, const json_t *obj, const char *key, bool required, const char **s,
           size_t *len);

/*
 * Copy len bytes of s into the arena (NULL s gives NULL); on failure -1
 * with the rowset's refusal (rowset_refusal_text: a cap or out of memory).
 */
int wj_dup(struct wj *w, const char *s, size_t len, const char **out);

/* A value as a struct num: absent or null -> NUM_NULL; integer, finite real; else an error. */
int wj_num_value(struct wj *w, const json_t *v, struct num *out);
/* obj[key] through wj_num_value, with the path extended by key. */
int wj_num(struct wj *w, const json_t *obj, const char *key, struct num *out);

/*
 * obj[key] as an instant, normalized to "YYYY-MM-DDTHH:MM:SSZ". Absent,
 * null or "" give "" (SQL NULL); anything ts_parse refuses is an error
 * naming the value.
 */
int wj_ts(struct wj *w, const json_t *obj, const char *key, char out[TS_LEN]);

/* obj[key] as a JSON integer in min..WEAPI_MAX_PAGES; absent is "missing". */
int wj_page(struct wj *w, const json_t *obj, const char *key, int64_t min, int64_t *out);

/* obj[key] as an array, or *out = NULL when absent or null (an empty list). */
int wj_opt_array(struct wj *w, const json_t *obj, const char *key, const json_t **out);

/*
 * Append a zeroed row; on failure NULL with the rowset's refusal as the
 * error, without the path ("stream has more than N rows (max_stream_rows)",
 * "stream needs more than SIZE (max_stream_bytes)", "out of memory").
 */
void *wj_push(struct wj *w);

/*
 * Quote s (len bytes) for an error message into buf: double quotes around,
 * quotes and backslashes escaped with a backslash, and the rest as
 * textesc.h shows it with TEXTESC_VISIBLE (control characters and invalid
 * UTF-8 as "\xHH", invisible and bidirectional characters as "<U+XXXX>"),
 * cut after 64 bytes of s with "...". Returns buf.
 */
const char *wj_quote(char *buf, size_t buflen, const char *s, size_t len);
/*
 * The same without quotes, quotes and backslashes kept, cut after 200 bytes:
 * for a server's own message or jansson's error text (which quotes the bad
 * token as it came), shown as it is but safe for a log line and the store.
 */
const char *wj_clean(char *buf, size_t buflen, const char *s, size_t len);
#define WJ_QUOTE_MAX 900 /* enough for any wj_quote or wj_clean output */

#endif
