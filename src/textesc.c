/*
 * textesc.c: the escaping of untrusted text for people (textesc.h).
 *
 * The decoder is strict (no overlong forms, no surrogates, nothing beyond
 * U+10FFFF), so that a byte sequence a terminal might read differently
 * from us is shown as bytes, not passed on. Escapes are plain ASCII, so
 * they cannot form a control character or a UTF-8 sequence with what
 * surrounds them.
 */
#include "textesc.h"

#include <stdio.h>
#include <string.h>

size_t textesc_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (n == 0)
		return 0;
	unsigned char b = s[0];
	size_t len;
	uint32_t v, min;
	if (b < 0x80) {
		*cp = b;
		return 1;
	} else if ((b & 0xe0) == 0xc0) {
		len = 2, v = b & 0x1f, min = 0x80;
	} else if ((b & 0xf0) == 0xe0) {
		len = 3, v = b & 0x0f, min = 0x800;
	} else if ((b & 0xf8) == 0xf0) {
		len = 4, v = b & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

bool textesc_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
}

bool textesc_invisible(uint32_t cp)
{
	static const struct {
		uint32_t lo, hi;
	} ranges[] = {
	        {0x061c, 0x061c},   /* ARABIC LETTER MARK */
	        {0x200b, 0x200f},   /* zero-width space, non-joiner, joiner; LRM, RLM */
	        {0x2028, 0x202e},   /* line and paragraph separators; embeddings, overrides */
	        {0x2060, 0x2064},   /* word joiner, invisible operators */
	        {0x2066, 0x206f},   /* isolates; deprecated format characters */
	        {0xfeff, 0xfeff},   /* zero-width no-break space (BOM) */
	        {0xe0000, 0xe007f}, /* tags */
	};
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i].lo && cp <= ranges[i].hi)
			return true;
	return false;
}

size_t textesc_next(const char *s, size_t len, unsigned flags, char rep[TEXTESC_REP_MAX],
                    size_t *replen)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t cp;
	size_t k = textesc_utf8(u, len, &cp);
	*replen = 0;
	if (k == 0) {
		*replen = (size_t)snprintf(rep, TEXTESC_REP_MAX, "\\x%02x", (unsigned)u[0]);
		return 1;
	}
	if (textesc_control(cp))
		*replen = (size_t)snprintf(rep, TEXTESC_REP_MAX, "\\x%02x", (unsigned)cp);
	else if ((flags & TEXTESC_VISIBLE) && textesc_invisible(cp))
		*replen = (size_t)snprintf(rep, TEXTESC_REP_MAX, "<U+%04X>", (unsigned)cp);
	return k;
}

size_t textesc_buf(char *buf, size_t buflen, const char *s, size_t len, unsigned flags)
{
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		char rep[TEXTESC_REP_MAX];
		size_t replen;
		size_t k = textesc_next(s + i, len - i, flags, rep, &replen);
		const char *out = replen ? rep : s + i;
		size_t n = replen ? replen : k;
		if (o + n >= buflen)
			break;
		memcpy(buf + o, out, n);
		o += n;
		i += k;
	}
	buf[o] = '\0';
	return o;
}
