/*
 * jbuf.c: a growable byte buffer with a hard size bound, and the JSON
 * writers the renderers use. Writing never fails loudly: a failed
 * allocation or a write beyond max sets the sticky flag oom and later
 * writes are ignored, so a renderer checks once at the end. Strings are
 * escaped as JSON requires (quote, backslash, control characters); UTF-8
 * passes through unchanged, as jansson prints it by default.
 */
#include "wesim.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* An empty buffer that will refuse to grow beyond max bytes. */
void jb_init(struct jb *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->oom = false;
}

void jb_free(struct jb *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* Room for n more bytes, growing by doubling up to max; false (and oom set) otherwise. */
static bool reserve(struct jb *b, size_t n)
{
	if (b->oom)
		return false;
	if (n > b->max || b->len > b->max - n) {
		b->oom = true;
		return false;
	}
	if (b->len + n <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + n)
		cap = cap > b->max / 2 ? b->max : cap * 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void jb_put(struct jb *b, const char *s, size_t n)
{
	if (n == 0 || !reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void jb_puts(struct jb *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

void jb_putc(struct jb *b, char c)
{
	if (!reserve(b, 1))
		return;
	b->p[b->len++] = c;
}

/* A decimal integer, written without printf (the renderers' hot path). */
void jb_int(struct jb *b, int64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[--i] = '-';
	jb_put(b, tmp + i, sizeof(tmp) - (size_t)i);
}

/*
 * q quarters as a JSON real, exactly as jansson's "%.17g" plus ".0" rule
 * prints a multiple of 0.25 below 1e8: 12.0, 12.25, 12.5, 12.75.
 */
void jb_quarters(struct jb *b, int64_t q)
{
	static const char *const frac[4] = {".0", ".25", ".5", ".75"};
	if (q < 0) { /* never produced by the data function; kept correct anyway */
		jb_putc(b, '-');
		q = -q;
	}
	jb_int(b, q / 4);
	jb_puts(b, frac[q % 4]);
}

void jb_strn(struct jb *b, const char *s, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	jb_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jb_put(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			jb_put(b, "\\\"", 2);
			break;
		case '\\':
			jb_put(b, "\\\\", 2);
			break;
		case '\n':
			jb_put(b, "\\n", 2);
			break;
		case '\r':
			jb_put(b, "\\r", 2);
			break;
		case '\t':
			jb_put(b, "\\t", 2);
			break;
		case '\b':
			jb_put(b, "\\b", 2);
			break;
		case '\f':
			jb_put(b, "\\f", 2);
			break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hx[c >> 4], hx[c & 15]};
			jb_put(b, u, 6);
		}
		}
	}
	jb_put(b, s + run, n - run);
	jb_putc(b, '"');
}

void jb_str(struct jb *b, const char *s)
{
	jb_strn(b, s, strlen(s));
}

/* A number as served; the caller has skipped NUM_ABSENT (writes null for it too). */
void jb_num(struct jb *b, const struct wsim_num *v)
{
	switch (v->kind) {
	case NUM_INT:
		jb_int(b, v->v);
		break;
	case NUM_REAL:
		jb_quarters(b, v->v);
		break;
	default:
		jb_put(b, "null", 4);
		break;
	}
}

/* An instant as served: its text, or null. */
void jb_ts(struct jb *b, const struct wsim_ts *t)
{
	if (t->kind == TS_VALUE)
		jb_str(b, t->text);
	else
		jb_put(b, "null", 4);
}

void jb_printf(struct jb *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= sizeof(tmp)) {
		if (!reserve(b, (size_t)n + 1))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
		b->len += (size_t)n;
		return;
	}
	jb_put(b, tmp, (size_t)n);
}
