/*
 * weapi_json.c: the checked JSON readers of weapi_json.h. Each reader
 * extends the path by what it reads, checks type and bounds, and on
 * failure writes one message naming the path and the problem. Nothing
 * here allocates except wj_dup and wj_push, which go to the rowset.
 */
#include "weapi_json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "textesc.h"
#include "ts.h"
#include "weapi.h"

void wj_init(struct wj *w, struct rowset *rs, const char *root, char *err, size_t errlen)
{
	w->path[0] = '\0';
	w->len = 0;
	w->rs = rs;
	w->n0 = rs ? rs->n : 0;
	w->err = err;
	w->errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	wj_key(w, root);
}

int wj_done(struct wj *w, int rc)
{
	if (rc != 0 && w->rs)
		w->rs->n = w->n0;
	return rc;
}

/*
 * Append text to the path. The path buffer is fixed; text that does not fit
 * is cut, but len keeps counting so that wj_pop restores exactly.
 */
static void path_append(struct wj *w, const char *text)
{
	size_t n = strlen(text);
	if (w->len < sizeof(w->path) - 1) {
		size_t room = sizeof(w->path) - 1 - w->len;
		size_t k = n < room ? n : room;
		memcpy(w->path + w->len, text, k);
		w->path[w->len + k] = '\0';
	}
	w->len += n;
}

static bool is_ident(const char *key)
{
	if (!*key)
		return false;
	for (const char *p = key; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

size_t wj_key(struct wj *w, const char *key)
{
	size_t old = w->len;
	if (!*key)
		return old;
	if (is_ident(key)) {
		if (w->len)
			path_append(w, ".");
		path_append(w, key);
	} else {
		char q[WJ_QUOTE_MAX];
		path_append(w, "[");
		path_append(w, wj_quote(q, sizeof(q), key, strlen(key)));
		path_append(w, "]");
	}
	return old;
}

size_t wj_index(struct wj *w, size_t i)
{
	size_t old = w->len;
	char buf[32];
	snprintf(buf, sizeof(buf), "[%zu]", i);
	path_append(w, buf);
	return old;
}

void wj_pop(struct wj *w, size_t len)
{
	w->len = len;
	if (len < sizeof(w->path))
		w->path[len] = '\0';
}

int wj_fail(struct wj *w, const char *fmt, ...)
{
	if (!w->err || w->errlen == 0)
		return -1;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->path[0])
		snprintf(w->err, w->errlen, "%s: %s", w->path, msg);
	else
		snprintf(w->err, w->errlen, "%s", msg);
	return -1;
}

const char *wj_kind(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
	default:
		return "null";
	}
}

int wj_expect(struct wj *w, const json_t *v, json_type t)
{
	if (!v)
		return wj_fail(w, "missing");
	if (json_typeof(v) == t)
		return 0;
	static const char *const want[] = {
	        [JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
	        [JSON_STRING] = "a string",  [JSON_INTEGER] = "an integer",
	        [JSON_REAL] = "a number",    [JSON_TRUE] = "a boolean",
	        [JSON_FALSE] = "a boolean",  [JSON_NULL] = "null",
	};
	return wj_fail(w, "expected %s, got %s", want[t], wj_kind(v));
}

int wj_str(struct wj *w, const json_t *obj, const char *key, bool required, const char **s,
           size_t *len)
{
	size_t old = wj_key(w, key);
	const json_t *v = json_object_get(obj, key);
	int rc = 0;
	*s = NULL;
	*len = 0;
	if (!v) {
		if (required)
			rc = wj_fail(w, "missing");
	} else if (json_is_null(v)) {
		if (required)
			rc = wj_fail(w, "expected a string, got null");
	} else if (!json_is_string(v)) {
		rc = wj_fail(w, "expected a string, got %s", wj_kind(v));
	} else {
		const char *str = json_string_value(v);
		size_t n = json_string_length(v);
		if (n > WEAPI_MAX_STRING)
			rc = wj_fail(w, "string too long (%zu bytes, limit %d)", n,
			             WEAPI_MAX_STRING);
		else if (strlen(str) != n)
			rc = wj_fail(w, "string contains a NUL byte");
		else if (n == 0 && required)
			rc = wj_fail(w, "empty string");
		else {
			*s = str;
			*len = n;
		}
	}
	wj_pop(w, old);
	return rc;
}

/* An error message without the path (row-level failures: the bound, memory). */
static void plain_err(struct wj *w, const char *msg)
{
	if (w->err && w->errlen)
		snprintf(w->err, w->errlen, "%s", msg);
}

int wj_dup(struct wj *w, const char *s, size_t len, const char **out)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = rowset_strndup(w->rs, s, len);
	if (!*out) {
		char msg[128];
		plain_err(w, rowset_refusal_text(w->rs, msg, sizeof(msg)));
		return -1;
	}
	return 0;
}

int wj_num_value(struct wj *w, const json_t *v, struct num *out)
{
	if (!v || json_is_null(v)) {
		*out = (struct num){.kind = NUM_NULL};
	} else if (json_is_integer(v)) {
		*out = (struct num){.kind = NUM_INT, .i = (int64_t)json_integer_value(v)};
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!isfinite(d))
			return wj_fail(w, "not a finite number");
		*out = (struct num){.kind = NUM_REAL, .d = d};
	} else {
		return wj_fail(w, "expected a number, got %s", wj_kind(v));
	}
	return 0;
}

int wj_num(struct wj *w, const json_t *obj, const char *key, struct num *out)
{
	size_t old = wj_key(w, key);
	int rc = wj_num_value(w, json_object_get(obj, key), out);
	wj_pop(w, old);
	return rc;
}

int wj_ts(struct wj *w, const json_t *obj, const char *key, char out[TS_LEN])
{
	const char *s;
	size_t len;
	out[0] = '\0';
	if (wj_str(w, obj, key, false, &s, &len) != 0)
		return -1;
	if (!s || len == 0)
		return 0;
	int64_t e;
	if (ts_parse(s, &e) != 0) {
		char q[WJ_QUOTE_MAX];
		size_t old = wj_key(w, key);
		wj_fail(w, "not a timestamp: %s", wj_quote(q, sizeof(q), s, len));
		wj_pop(w, old);
		return -1;
	}
	ts_format(e, out);
	return 0;
}

int wj_page(struct wj *w, const json_t *obj, const char *key, int64_t min, int64_t *out)
{
	size_t old = wj_key(w, key);
	const json_t *v = json_object_get(obj, key);
	int rc = wj_expect(w, v, JSON_INTEGER);
	if (rc == 0) {
		json_int_t n = json_integer_value(v);
		if (n < min || n > WEAPI_MAX_PAGES)
			rc = wj_fail(w, "out of range: %lld (expected %lld..%d)", (long long)n,
			             (long long)min, WEAPI_MAX_PAGES);
		else
			*out = (int64_t)n;
	}
	wj_pop(w, old);
	return rc;
}

int wj_opt_array(struct wj *w, const json_t *obj, const char *key, const json_t **out)
{
	const json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	size_t old = wj_key(w, key);
	int rc = wj_expect(w, v, JSON_ARRAY);
	wj_pop(w, old);
	if (rc == 0)
		*out = v;
	return rc;
}

void *wj_push(struct wj *w)
{
	void *row = rowset_push(w->rs);
	if (!row) {
		char msg[128];
		plain_err(w, rowset_refusal_text(w->rs, msg, sizeof(msg)));
	}
	return row;
}

/*
 * The shared worker of wj_quote and wj_clean: escape s as textesc does
 * with TEXTESC_VISIBLE (control characters and invalid UTF-8 as "\xHH",
 * invisible and bidirectional characters as "<U+XXXX>") and, when quoted,
 * quotes and backslashes with a backslash; show at most max bytes of s
 * without cutting a UTF-8 sequence, and mark a cut with "...".
 */
static const char *escape_bytes(char *buf, size_t buflen, const char *s, size_t len, size_t max,
                                bool quoted)
{
	size_t shown = len > max ? max : len, i, o = 0;
	while (shown < len && shown > 0 && ((unsigned char)s[shown] & 0xc0) == 0x80)
		shown--;
	if (buflen < 8) {
		if (buflen)
			buf[0] = '\0';
		return buf;
	}
	if (quoted)
		buf[o++] = '"';
	for (i = 0; i < shown;) {
		char rep[TEXTESC_REP_MAX];
		size_t n;
		size_t k = textesc_next(s + i, shown - i, TEXTESC_VISIBLE, rep, &n);
		if (n == 0 && quoted && (s[i] == '"' || s[i] == '\\')) {
			rep[0] = '\\', rep[1] = s[i], n = 2;
		}
		/* room for it, the closing quote, "..." and the NUL */
		if (o + (n ? n : k) + 5 > buflen)
			break;
		memcpy(buf + o, n ? rep : s + i, n ? n : k);
		o += n ? n : k;
		i += k;
	}
	if (quoted)
		buf[o++] = '"';
	if (i < len && o + 4 < buflen) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *wj_quote(char *buf, size_t buflen, const char *s, size_t len)
{
	return escape_bytes(buf, buflen, s, len, 64, true);
}

const char *wj_clean(char *buf, size_t buflen, const char *s, size_t len)
{
	return escape_bytes(buf, buflen, s, len, 200, false);
}
