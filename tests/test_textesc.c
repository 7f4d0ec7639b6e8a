/*
 * test_textesc.c: src/textesc.c: the one rule for showing untrusted text
 * (control characters, invalid UTF-8, invisible and bidirectional
 * characters), byte for byte, and cutting to a buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "textesc.h"

/* Strings with their length, so that a NUL can be part of one. */
#define S(lit) lit, sizeof(lit) - 1

static void test_escape(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		unsigned flags;
		const char *want;
	} cases[] = {
	        {S("plain text, 100% ASCII"), 0, "plain text, 100% ASCII"},
	        {S("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), 0,
	         "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
	        /* C0, tab and newline included; DEL; C1 (U+009B, CSI) */
	        {S("\x1b[31mred\x1b[0m"), 0, "\\x1b[31mred\\x1b[0m"},
	        {S("a\tb\nc\rd\be"), 0, "a\\x09b\\x0ac\\x0dd\\x08e"},
	        {S("nul\0end"), 0, "nul\\x00end"},
	        {S("del\x7f c1\xc2\x9b[2J \xc2\x80 \xc2\x9f \xc2\xa0"), 0,
	         "del\\x7f c1\\x9b[2J \\x80 \\x9f \xc2\xa0"},
	        /* invalid UTF-8: every byte of it */
	        {S("\xff\xfe"), 0, "\\xff\\xfe"},
	        {S("\xc0\x80"), 0, "\\xc0\\x80"},          /* overlong NUL */
	        {S("\xed\xa0\x80"), 0, "\\xed\\xa0\\x80"}, /* surrogate */
	        {S("x\xe2\x82"), 0, "x\\xe2\\x82"},        /* truncated */
	        {S("\x9b[2J"), 0, "\\x9b[2J"},             /* a lone C1 byte */
	        /* invisible and bidirectional: kept without the flag, shown with it */
	        {S("abc\xe2\x80\xae"
	           "def"),
	         0,
	         "abc\xe2\x80\xae"
	         "def"},
	        {S("abc\xe2\x80\xae"
	           "def"),
	         TEXTESC_VISIBLE, "abc<U+202E>def"},
	        {S("\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d\xe2\x80\x8e\xe2\x80\x8f"), TEXTESC_VISIBLE,
	         "<U+200B><U+200C><U+200D><U+200E><U+200F>"},
	        {S("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad"), TEXTESC_VISIBLE,
	         "<U+202A><U+202B><U+202C><U+202D>"},
	        {S("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9"), TEXTESC_VISIBLE,
	         "<U+2066><U+2067><U+2068><U+2069>"},
	        {S("\xd8\x9c|\xe2\x81\xa0|\xef\xbb\xbf|\xe2\x80\xa8|\xe2\x80\xa9"), TEXTESC_VISIBLE,
	         "<U+061C>|<U+2060>|<U+FEFF>|<U+2028>|<U+2029>"},
	        {S("tag\xf3\xa0\x80\x81\xf3\xa0\x81\xbf"), TEXTESC_VISIBLE,
	         "tag<U+E0001><U+E007F>"},
	        /* neighbours of the ranges stay */
	        {S("\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5"), TEXTESC_VISIBLE,
	         "\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5"},
	        /* a control character is escaped as such, with or without the flag */
	        {S("\x1b"), TEXTESC_VISIBLE, "\\x1b"},
	        /* escaped text is left as it is: escaping twice changes nothing */
	        {S("\\x1b<U+202E>"), TEXTESC_VISIBLE, "\\x1b<U+202E>"},
	        {S(""), TEXTESC_VISIBLE, ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[256];
		size_t n = textesc_buf(buf, sizeof(buf), cases[i].in, cases[i].len, cases[i].flags);
		if (strcmp(buf, cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, buf, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
	}
}

static void test_next(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		unsigned flags;
		size_t took, replen;
		const char *rep;
	} cases[] = {
	        {S("a"), 0, 1, 0, ""},
	        {S("\xc3\xa9x"), 0, 2, 0, ""},
	        {S("\xf0\x9f\x98\x80"), 0, 4, 0, ""},
	        {S("\x1b"), 0, 1, 4, "\\x1b"},
	        {S("\xc2\x9b"), 0, 2, 4, "\\x9b"},
	        {S("\xff\x41"), 0, 1, 4, "\\xff"},
	        {S("\xe2\x80\xae"), 0, 3, 0, ""},
	        {S("\xe2\x80\xae"), TEXTESC_VISIBLE, 3, 8, "<U+202E>"},
	        {S("\xf3\xa0\x80\x81"), TEXTESC_VISIBLE, 4, 9, "<U+E0001>"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rep[TEXTESC_REP_MAX] = "";
		size_t replen = 99;
		size_t took = textesc_next(cases[i].in, cases[i].len, cases[i].flags, rep, &replen);
		assert_int_equal(took, cases[i].took);
		assert_int_equal(replen, cases[i].replen);
		if (replen > 0)
			assert_string_equal(rep, cases[i].rep);
	}
}

static void test_cut(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len, buflen;
		const char *want;
	} cases[] = {
	        {S("abcdef"), 4, "abc"},
	        {S("ab\x1b"), 6, "ab"},       /* "\x1b" would need 4 more and the NUL */
	        {S("ab\x1b"), 7, "ab\\x1b"},  /* exactly fits */
	        {S("a\xc3\xa9"), 3, "a"},     /* never half a character */
	        {S("a\xe2\x80\xae"), 9, "a"}, /* never half a replacement */
	        {S("abc"), 1, ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		memset(buf, 'Z', sizeof(buf));
		size_t n = textesc_buf(buf, cases[i].buflen, cases[i].in, cases[i].len,
		                       TEXTESC_VISIBLE);
		assert_string_equal(buf, cases[i].want);
		assert_int_equal(n, strlen(cases[i].want));
		assert_int_equal(buf[cases[i].buflen], 'Z'); /* nothing beyond buflen */
	}
}

static void test_classes(void **state)
{
	(void)state;
	static const struct {
		uint32_t cp;
		bool control, invisible;
	} cases[] = {
	        {0x00, true, false},    {0x1f, true, false},     {0x20, false, false},
	        {0x7e, false, false},   {0x7f, true, false},     {0x9f, true, false},
	        {0xa0, false, false},   {0x061b, false, false},  {0x061c, false, true},
	        {0x200a, false, false}, {0x200b, false, true},   {0x200f, false, true},
	        {0x2010, false, false}, {0x2027, false, false},  {0x2028, false, true},
	        {0x202e, false, true},  {0x202f, false, false},  {0x2065, false, false},
	        {0x2069, false, true},  {0xfeff, false, true},   {0xfffd, false, false},
	        {0xe007f, false, true}, {0xe0080, false, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(textesc_control(cases[i].cp), cases[i].control);
		assert_int_equal(textesc_invisible(cases[i].cp), cases[i].invisible);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_escape),
	        cmocka_unit_test(test_next),
	        cmocka_unit_test(test_cut),
	        cmocka_unit_test(test_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
