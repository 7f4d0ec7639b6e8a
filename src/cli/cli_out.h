/*
 * cli_out.h: the results of the wegauge tool and the three ways it prints
 * them (docs/operator.md, `wegauge`): aligned tables for people, RFC 4180 CSV
 * and JSON for machines, the same rows in each.
 *
 * A result is one or more sections; a section is a named table of typed
 * cells (NULL, integer, real, text), filled row by row by a command and
 * owned by its result. Most commands have one section. A command with
 * several (report: channels and active users) prints them as:
 *  - table: each section under its title, separated by an empty line;
 *  - csv:   one table whose first column is "section", then the union of
 *           the sections' columns in order of first appearance (a column a
 *           section does not have is empty);
 *  - json:  one array; each object starts with "section" and holds only
 *           its own section's columns.
 * With one section there is no "section" column or key.
 *
 * Bounds: at most CLI_MAX_COLS columns per section, CLI_MAX_SECTIONS
 * sections, CLI_MAX_ROWS rows per section and CLI_MAX_TEXT bytes per text
 * cell; adding beyond a bound fails with an error naming it.
 */
#ifndef WEGAUGE_CLI_OUT_H
#define WEGAUGE_CLI_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_MAX_COLS     32
#define CLI_MAX_SECTIONS 8
#define CLI_MAX_ROWS     1000000
#define CLI_MAX_TEXT     (1024 * 1024)

enum cli_format { CLI_FMT_TABLE = 0, CLI_FMT_CSV, CLI_FMT_JSON };

/* "table", "csv", "json" to *out: 0, or -1 for any other text (*out untouched). */
int cli_format_parse(const char *s, enum cli_format *out);

enum cli_kind { CLI_NULL = 0, CLI_INT, CLI_REAL, CLI_TEXT };

/* One cell. A text cell owns s (len bytes, NUL-terminated, may hold any byte but NUL). */
struct cli_cell {
	enum cli_kind kind;
	int64_t i;
	double d;
	char *s;
	size_t len;
};

struct cli_section {
	char *name;   /* for machines: the "section" value ("channels") */
	char *title;  /* table format: a line above the table, or NULL */
	char *footer; /* table format: a line below the table, or NULL */
	size_t ncols;
	char *cols[CLI_MAX_COLS];
	uint32_t right;  /* bit c: right-align column c in table format even if it holds text */
	uint32_t attach; /* bit c: table format prints column c one space after column c-1,
	                    with an empty header (a change beside its value) */
	size_t nrows, cap;
	struct cli_cell *cells; /* nrows * ncols, row-major */
};

struct cli_result {
	size_t n;
	struct cli_section *sec[CLI_MAX_SECTIONS];
};

/*
 * Add a section named name (title may be NULL) with ncols columns named
 * cols[0..ncols-1] to r. Returns the section (owned by r), or NULL with a
 * message in err when out of memory or beyond a bound.
 */
struct cli_section *cli_result_add(struct cli_result *r, const char *name, const char *title,
                                   size_t ncols, const char *const *cols, char *err, size_t errlen);

/* Free every section of r and their cells; r itself is the caller's (left empty). */
void cli_result_free(struct cli_result *r);

/* Set (replace) the footer line of s. 0, or -1 when out of memory. */
int cli_section_set_footer(struct cli_section *s, const char *footer);

/*
 * Append a row of NULL cells to s and return its first cell (ncols of
 * them), or NULL with a message in err when out of memory or at
 * CLI_MAX_ROWS rows. Fill the cells with the setters below.
 */
struct cli_cell *cli_section_add_row(struct cli_section *s, char *err, size_t errlen);

/* The cell at row, col (both in range). */
struct cli_cell *cli_section_cell(const struct cli_section *s, size_t row, size_t col);

void cli_cell_set_int(struct cli_cell *c, int64_t v);
void cli_cell_set_real(struct cli_cell *c, double v);
/* Copy len bytes of s (NULL: a NULL cell). 0, or -1 when out of memory or longer than CLI_MAX_TEXT. */
int cli_cell_set_text(struct cli_cell *c, const char *s, size_t len);

/*
 * Format a real the shortest way that reads back as the same double, with
 * a decimal point or exponent always ("1234.5", "0.1", "25.0", "1e+20"),
 * so a real never looks like an integer; non-finite values print as
 * "null". buf needs CLI_REAL_LEN bytes.
 */
#define CLI_REAL_LEN 32
void cli_format_real(double d, char buf[CLI_REAL_LEN]);

/*
 * Print r to f in format fmt. Returns 0, or -1 when writing failed (errno
 * from stdio). Text from the store is never printed in a way that a
 * terminal or a spreadsheet would act on (textesc.h has the escapes).
 * Output by format:
 *  - table: the title line (if any), a header row of column names, the
 *    rows, the footer line (if any); two spaces between columns, one
 *    before an attached column (whose header is empty); a column of
 *    numbers (or marked right) right-aligned, text left-aligned; NULL as
 *    "-"; no trailing blanks. Control characters (tab and newline
 *    included) and invalid UTF-8 print as "\xHH", invisible and
 *    bidirectional characters as "<U+XXXX>"; widths count one column per
 *    UTF-8 character and one per byte of such an escape.
 *  - csv:  RFC 4180: a header row, CRLF after every record; NULL is an
 *    empty field; integers and reals as numbers. Text with control
 *    characters and invalid UTF-8 as "\xHH" (invisible characters stay);
 *    a text that begins with = + - @ TAB or CR and is not a number
 *    ("-3", "+12.5%", or a lone "-") gets a leading "'" (OWASP's rule, so
 *    that a spreadsheet never takes it for a formula); a field is quoted
 *    (with "" for ") when it holds , ; or " or got the "'".
 *  - json: an array of objects, one per line; integers and reals as JSON
 *    numbers, NULL (and non-finite reals) as null, text as strings with
 *    control, invisible and bidirectional characters \u-escaped (they
 *    read back unchanged) and invalid UTF-8 replaced by U+FFFD.
 */
int cli_render(FILE *f, const struct cli_result *r, enum cli_format fmt);

/*
 * Decode the one UTF-8 character at the start of s[0..n-1], as
 * textesc_utf8() does: its length in bytes (1..4), or 0 when s does not
 * start with a valid encoding. *cp gets the code point when valid.
 */
size_t cli_utf8_char(const unsigned char *s, size_t n, uint32_t *cp);

#endif
