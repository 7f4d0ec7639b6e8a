/*
 * textesc.h: showing text that came from outside (the API, the store) to a
 * person, so that it cannot drive a terminal, forge a log line or hide
 * what it says. One rule for the daemon's log and stored error texts and
 * for the wegauge tool's table and CSV forms (docs/operator.md):
 *
 *  - a control character, C0 (U+0000..U+001F, tab and newline included),
 *    DEL (U+007F) or C1 (U+0080..U+009F), becomes "\xHH", HH its code
 *    point in two lowercase hex digits ("\x1b" for ESC);
 *  - a byte that does not start a valid UTF-8 character becomes "\xHH",
 *    HH that byte;
 *  - with TEXTESC_VISIBLE, a character that is invisible or reorders the
 *    text around it becomes "<U+XXXX>" (textesc_invisible());
 *  - anything else is copied as it is.
 *
 * Backslashes and '<' are not escaped: the result is for reading, not for
 * decoding, and text that is already escaped comes out unchanged, so
 * escaping twice does no harm. Pure functions; no state.
 */
#ifndef WEGAUGE_TEXTESC_H
#define WEGAUGE_TEXTESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Flag: show invisible and bidirectional characters as "<U+XXXX>". */
#define TEXTESC_VISIBLE 1u

/* The longest replacement of one character: "<U+E007F>" and its NUL. */
#define TEXTESC_REP_MAX 10

/*
 * Decode the one UTF-8 character at the start of s[0..n-1]: its length in
 * bytes (1..4), or 0 when s does not start with a valid encoding
 * (overlong, surrogate, beyond U+10FFFF, truncated, n == 0). *cp gets the
 * code point when valid.
 */
size_t textesc_utf8(const unsigned char *s, size_t n, uint32_t *cp);

/* True for a control character: C0, DEL or C1. */
bool textesc_control(uint32_t cp);

/*
 * True for a character that is invisible or changes the direction of the
 * text around it: the bidirectional marks, embeddings, overrides and
 * isolates (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), the
 * zero-width and other invisible format characters (U+200B..U+200D,
 * U+2060..U+2064, U+206A..U+206F, U+FEFF, the tags U+E0000..U+E007F), and
 * the line and paragraph separators U+2028 and U+2029.
 */
bool textesc_invisible(uint32_t cp);

/*
 * The next character of s[0..len-1] (len > 0) under the rule above with
 * flags: returns how many bytes of s it takes (1..4). *replen is 0 when
 * those bytes are shown as they are, else the length of their
 * replacement, written NUL-terminated to rep.
 */
size_t textesc_next(const char *s, size_t len, unsigned flags, char rep[TEXTESC_REP_MAX],
                    size_t *replen);

/*
 * Escape s[0..len-1] into buf (buflen > 0), NUL-terminated. When the
 * result does not fit it is cut before the first character (or
 * replacement) that would not, never inside one. Returns strlen(buf).
 * buf and s must not overlap.
 */
size_t textesc_buf(char *buf, size_t buflen, const char *s, size_t len, unsigned flags);

#endif
