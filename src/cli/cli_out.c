/*
 * cli_out.c: results of the wegauge tool and their table, CSV and JSON
 * forms (cli_out.h).
 *
 * Cells are copied into the result as they are read, so a result outlives
 * the statement that produced it and the table form can measure every
 * column before printing the first line. The three printers read the same
 * cells, which is what makes the three forms carry the same rows.
 *
 * Text is bytes as the store holds them, and much of it (seat names and
 * emails, roles, campaign titles, error texts) was written by whoever
 * answered the daemon's requests. No form prints it in a way that can be
 * turned against the reader (issue 12):
 *  - table (a terminal): textesc with TEXTESC_VISIBLE: control characters
 *    and invalid UTF-8 as "\xHH", invisible and bidirectional characters
 *    as "<U+XXXX>", each counted by the columns it takes;
 *  - CSV (a spreadsheet): textesc for control characters and invalid
 *    UTF-8, and OWASP's rule against formulas: a text that begins with
 *    = + - @ TAB or CR and is not a number gets a leading "'" and quotes;
 *    numbers (integer and real cells, negative ones too) stay numbers;
 *  - JSON (a program): JSON escapes, which read back as the same text,
 *    for every control, invisible and bidirectional character; invalid
 *    UTF-8 as U+FFFD.
 */
#include "cli_out.h"
#include "errbuf.h"
#include "textesc.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int cli_format_parse(const char *s, enum cli_format *out)
{
	static const char *const names[] = {"table", "csv", "json"};
	if (s == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum cli_format)i;
			return 0;
		}
	}
	return -1;
}

struct cli_section *cli_result_add(struct cli_result *r, const char *name, const char *title,
                                   size_t ncols, const char *const *cols, char *err, size_t errlen)
{
	if (r->n >= CLI_MAX_SECTIONS) {
		errbuf_set(err, errlen, "%s", "too many result sections");
		return NULL;
	}
	if (ncols == 0 || ncols > CLI_MAX_COLS) {
		errbuf_set(err, errlen, "%s", "a result section needs 1 to 32 columns");
		return NULL;
	}
	struct cli_section *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	r->sec[r->n++] = s; /* owned by r from here on, freed by cli_result_free */
	s->name = strdup(name);
	s->title = title ? strdup(title) : NULL;
	if (s->name == NULL || (title && s->title == NULL))
		goto nomem;
	for (size_t c = 0; c < ncols; c++) {
		s->cols[c] = strdup(cols[c]);
		if (s->cols[c] == NULL)
			goto nomem;
		s->ncols = c + 1;
	}
	return s;
nomem:
	errbuf_set(err, errlen, "%s", "out of memory");
	return NULL;
}

static void cell_clear(struct cli_cell *c)
{
	free(c->s);
	memset(c, 0, sizeof(*c));
}

void cli_result_free(struct cli_result *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct cli_section *s = r->sec[i];
		if (s == NULL)
			continue;
		for (size_t k = 0; k < s->nrows * s->ncols; k++)
			cell_clear(&s->cells[k]);
		free(s->cells);
		for (size_t c = 0; c < s->ncols; c++)
			free(s->cols[c]);
		free(s->name);
		free(s->title);
		free(s->footer);
		free(s);
		r->sec[i] = NULL;
	}
	r->n = 0;
}

int cli_section_set_footer(struct cli_section *s, const char *footer)
{
	char *f = strdup(footer);
	if (f == NULL)
		return -1;
	free(s->footer);
	s->footer = f;
	return 0;
}

struct cli_cell *cli_section_add_row(struct cli_section *s, char *err, size_t errlen)
{
	if (s->nrows >= CLI_MAX_ROWS) {
		errbuf_set(err, errlen, "%s",
		           "more than 1000000 rows in one result; narrow the query");
		return NULL;
	}
	if (s->nrows == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		if (cap > CLI_MAX_ROWS)
			cap = CLI_MAX_ROWS;
		struct cli_cell *cells = realloc(s->cells, cap * s->ncols * sizeof(*cells));
		if (cells == NULL) {
			errbuf_set(err, errlen, "%s", "out of memory");
			return NULL;
		}
		s->cells = cells;
		s->cap = cap;
	}
	struct cli_cell *row = &s->cells[s->nrows * s->ncols];
	memset(row, 0, s->ncols * sizeof(*row));
	s->nrows++;
	return row;
}

struct cli_cell *cli_section_cell(const struct cli_section *s, size_t row, size_t col)
{
	return &s->cells[row * s->ncols + col];
}

void cli_cell_set_int(struct cli_cell *c, int64_t v)
{
	cell_clear(c);
	c->kind = CLI_INT;
	c->i = v;
}

void cli_cell_set_real(struct cli_cell *c, double v)
{
	cell_clear(c);
	c->kind = CLI_REAL;
	c->d = v;
}

int cli_cell_set_text(struct cli_cell *c, const char *s, size_t len)
{
	cell_clear(c);
	if (s == NULL)
		return 0;
	if (len > CLI_MAX_TEXT)
		return -1;
	c->s = malloc(len + 1);
	if (c->s == NULL)
		return -1;
	memcpy(c->s, s, len);
	c->s[len] = '\0';
	c->len = len;
	c->kind = CLI_TEXT;
	return 0;
}

void cli_format_real(double d, char buf[CLI_REAL_LEN])
{
	if (!isfinite(d)) {
		snprintf(buf, CLI_REAL_LEN, "null");
		return;
	}
	/* 17 significant digits always read back exactly; try shorter first. */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, CLI_REAL_LEN, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	/* A real stays recognisably real: "25" becomes "25.0". */
	if (strpbrk(buf, ".e") == NULL) {
		size_t n = strlen(buf);
		if (n + 3 <= CLI_REAL_LEN)
			memcpy(buf + n, ".0", 3);
	}
}

size_t cli_utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	return textesc_utf8(s, n, cp);
}

/* ---- a growable line buffer for the table form ---- */

struct line {
	char *p;
	size_t n, cap;
	bool failed; /* out of memory once: everything after is dropped */
};

static void line_put(struct line *l, const char *s, size_t n)
{
	if (l->failed)
		return;
	if (l->n + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 256;
		while (cap < l->n + n + 1)
			cap *= 2;
		char *p = realloc(l->p, cap);
		if (p == NULL) {
			l->failed = true;
			return;
		}
		l->p = p;
		l->cap = cap;
	}
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

static void line_pad(struct line *l, size_t n)
{
	static const char spaces[] = "                                ";
	while (n > 0) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		line_put(l, spaces, k);
		n -= k;
	}
}

/* Write the line without trailing blanks, then a newline; empty it. */
static int line_flush(struct line *l, FILE *f)
{
	if (l->failed) {
		errno = ENOMEM;
		return -1;
	}
	while (l->n > 0 && l->p[l->n - 1] == ' ')
		l->n--;
	int rc = (l->n > 0 && fwrite(l->p, 1, l->n, f) != l->n) || fputc('\n', f) == EOF ? -1 : 0;
	l->n = 0;
	return rc;
}

/*
 * Append text for a terminal (l may be NULL: only measure it): escaped by
 * textesc with TEXTESC_VISIBLE, so control characters and invalid UTF-8
 * show as "\xHH" and invisible or bidirectional characters as "<U+XXXX>".
 * Returns the columns appended: one per character shown as it is, one per
 * byte of a replacement.
 */
static size_t line_put_safe(struct line *l, const char *s, size_t len)
{
	size_t width = 0;
	for (size_t i = 0; i < len;) {
		char rep[TEXTESC_REP_MAX];
		size_t replen;
		size_t k = textesc_next(s + i, len - i, TEXTESC_VISIBLE, rep, &replen);
		if (l != NULL)
			line_put(l, replen ? rep : s + i, replen ? replen : k);
		width += replen ? replen : 1;
		i += k;
	}
	return width;
}

/* The text of a cell in the table form, in buf or in the cell itself. */
static const char *cell_text(const struct cli_cell *c, char buf[CLI_REAL_LEN], size_t *len)
{
	switch (c->kind) {
	case CLI_INT:
		snprintf(buf, CLI_REAL_LEN, "%" PRId64, c->i);
		break;
	case CLI_REAL:
		cli_format_real(c->d, buf);
		break;
	case CLI_TEXT:
		*len = c->len;
		return c->s;
	case CLI_NULL:
	default:
		snprintf(buf, CLI_REAL_LEN, "-");
		break;
	}
	*len = strlen(buf);
	return buf;
}

static size_t cell_width(const struct cli_cell *c)
{
	char buf[CLI_REAL_LEN];
	size_t len;
	const char *t = cell_text(c, buf, &len);
	return line_put_safe(NULL, t, len);
}

/* Append one cell (or header) padded to width w, aligned right or left. */
static void line_cell(struct line *l, const char *t, size_t len, size_t w, bool right)
{
	size_t cw = line_put_safe(NULL, t, len);
	if (right)
		line_pad(l, w - cw);
	line_put_safe(l, t, len);
	if (!right)
		line_pad(l, w - cw);
}

/* True when column c is printed beside column c-1 without a header of its own. */
static bool attached(const struct cli_section *s, size_t c)
{
	return c > 0 && (s->attach >> c & 1u);
}

static int render_table_section(FILE *f, const struct cli_section *s)
{
	size_t width[CLI_MAX_COLS];
	bool right[CLI_MAX_COLS];
	for (size_t c = 0; c < s->ncols; c++) {
		width[c] = attached(s, c) ? 0 : line_put_safe(NULL, s->cols[c], strlen(s->cols[c]));
		bool numeric = false, text = false;
		for (size_t r = 0; r < s->nrows; r++) {
			const struct cli_cell *cell = cli_section_cell(s, r, c);
			size_t w = cell_width(cell);
			if (w > width[c])
				width[c] = w;
			if (cell->kind == CLI_INT || cell->kind == CLI_REAL)
				numeric = true;
			else if (cell->kind == CLI_TEXT)
				text = true;
		}
		right[c] = (s->right >> c & 1u) || (numeric && !text);
	}
	struct line l = {0};
	int rc = 0;
	if (s->title != NULL) {
		line_put_safe(&l, s->title, strlen(s->title));
		rc |= line_flush(&l, f);
	}
	for (size_t c = 0; c < s->ncols; c++) {
		const char *h = attached(s, c) ? "" : s->cols[c];
		if (c > 0)
			line_pad(&l, attached(s, c) ? 1 : 2);
		line_cell(&l, h, strlen(h), width[c], right[c]);
	}
	rc |= line_flush(&l, f);
	for (size_t r = 0; r < s->nrows && rc == 0; r++) {
		for (size_t c = 0; c < s->ncols; c++) {
			char buf[CLI_REAL_LEN];
			size_t len;
			const char *t = cell_text(cli_section_cell(s, r, c), buf, &len);
			if (c > 0)
				line_pad(&l, attached(s, c) ? 1 : 2);
			line_cell(&l, t, len, width[c], right[c]);
		}
		rc |= line_flush(&l, f);
	}
	if (s->footer != NULL && rc == 0) {
		line_put_safe(&l, s->footer, strlen(s->footer));
		rc |= line_flush(&l, f);
	}
	free(l.p);
	return rc;
}

/* ---- CSV ---- */

/*
 * True when s[0..len-1] is a number as a spreadsheet reads one: an
 * optional sign, digits with an optional decimal point (or a point and
 * digits), an optional exponent, an optional '%' ("-3", "+12.5%",
 * "1e+20"); or a lone '-' (the report's "nothing to compare"). Such a text
 * computes nothing, so it is left as it is.
 */
static bool csv_number_text(const char *s, size_t len)
{
	size_t i = 0, digits = 0;
	if (len == 1 && s[0] == '-')
		return true;
	if (i < len && (s[i] == '+' || s[i] == '-'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, digits++;
	if (i < len && s[i] == '.') {
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, digits++;
	}
	if (digits == 0)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		size_t e = 0;
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < len && s[i] >= '0' && s[i] <= '9')
			i++, e++;
		if (e == 0)
			return false;
	}
	if (i < len && s[i] == '%')
		i++;
	return i == len;
}

/*
 * True when a spreadsheet could take s[0..len-1] for a formula (OWASP's
 * "CSV injection" rule): it begins with = + - @ TAB or CR and is not a
 * number (csv_number_text).
 */
static bool csv_formula_like(const char *s, size_t len)
{
	return len > 0 && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL &&
	       !csv_number_text(s, len);
}

/*
 * One field: its text escaped by textesc (control characters and invalid
 * UTF-8 as "\xHH"; invisible characters kept, they are data), a leading
 * "'" when it could be taken for a formula, and quoted, with "" for ",
 * when it holds , ; or " or got the "'" (';' separates fields in some
 * spreadsheets' locales, so it is quoted too).
 */
static int csv_field(FILE *f, const char *s, size_t len)
{
	bool formula = csv_formula_like(s, len);
	bool quote = formula;
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == ';' || s[i] == '"';
	int rc = 0;
	if (quote && fputc('"', f) == EOF)
		rc = -1;
	if (formula && fputc('\'', f) == EOF)
		rc = -1;
	for (size_t i = 0; i < len && rc == 0;) {
		char rep[TEXTESC_REP_MAX];
		size_t replen;
		size_t k = textesc_next(s + i, len - i, 0, rep, &replen);
		if (replen > 0)
			rc = fwrite(rep, 1, replen, f) != replen ? -1 : 0;
		else if (s[i] == '"')
			rc = fputs("\"\"", f) == EOF ? -1 : 0;
		else
			rc = fwrite(s + i, 1, k, f) != k ? -1 : 0;
		i += k;
	}
	if (quote && fputc('"', f) == EOF)
		rc = -1;
	return rc;
}

static int csv_cell(FILE *f, const struct cli_cell *c)
{
	char buf[CLI_REAL_LEN];
	switch (c->kind) {
	case CLI_INT:
		return fprintf(f, "%" PRId64, c->i) < 0 ? -1 : 0;
	case CLI_REAL:
		if (!isfinite(c->d))
			return 0;
		cli_format_real(c->d, buf);
		return fputs(buf, f) == EOF ? -1 : 0;
	case CLI_TEXT:
		return csv_field(f, c->s, c->len);
	case CLI_NULL:
	default:
		return 0;
	}
}

/*
 * The union of the sections' column names in order of first appearance:
 * names[] points into the sections; map[i][c] is the union index of
 * column c of section i. Returns the number of names.
 */
static size_t column_union(const struct cli_result *r, const char **names,
                           size_t map[CLI_MAX_SECTIONS][CLI_MAX_COLS])
{
	size_t n = 0;
	for (size_t i = 0; i < r->n; i++) {
		for (size_t c = 0; c < r->sec[i]->ncols; c++) {
			size_t k = 0;
			while (k < n && strcmp(names[k], r->sec[i]->cols[c]) != 0)
				k++;
			if (k == n)
				names[n++] = r->sec[i]->cols[c];
			map[i][c] = k;
		}
	}
	return n;
}

static int render_csv(FILE *f, const struct cli_result *r)
{
	const char *names[CLI_MAX_SECTIONS * CLI_MAX_COLS];
	size_t map[CLI_MAX_SECTIONS][CLI_MAX_COLS];
	bool multi = r->n > 1;
	size_t n = column_union(r, names, map);
	int rc = 0;
	if (multi)
		rc |= csv_field(f, "section", 7) | (fputc(',', f) == EOF ? -1 : 0);
	for (size_t k = 0; k < n; k++) {
		if (k > 0 && fputc(',', f) == EOF)
			rc = -1;
		rc |= csv_field(f, names[k], strlen(names[k]));
	}
	if (fputs("\r\n", f) == EOF)
		rc = -1;
	const struct cli_cell *at[CLI_MAX_SECTIONS * CLI_MAX_COLS];
	for (size_t i = 0; i < r->n && rc == 0; i++) {
		const struct cli_section *s = r->sec[i];
		for (size_t row = 0; row < s->nrows && rc == 0; row++) {
			for (size_t k = 0; k < n; k++)
				at[k] = NULL;
			for (size_t c = 0; c < s->ncols; c++)
				at[map[i][c]] = cli_section_cell(s, row, c);
			if (multi)
				rc |= csv_field(f, s->name, strlen(s->name)) |
				      (fputc(',', f) == EOF ? -1 : 0);
			for (size_t k = 0; k < n; k++) {
				if (k > 0 && fputc(',', f) == EOF)
					rc = -1;
				if (at[k] != NULL)
					rc |= csv_cell(f, at[k]);
			}
			if (fputs("\r\n", f) == EOF)
				rc = -1;
		}
	}
	return rc;
}

/* ---- JSON ---- */

/* cp as "\\uXXXX", or as a surrogate pair beyond U+FFFF. 0 or -1. */
static int json_u_escape(FILE *f, uint32_t cp)
{
	if (cp <= 0xffff)
		return fprintf(f, "\\u%04x", (unsigned)cp) < 0 ? -1 : 0;
	cp -= 0x10000;
	return fprintf(f, "\\u%04x\\u%04x", (unsigned)(0xd800 + (cp >> 10)),
	               (unsigned)(0xdc00 + (cp & 0x3ff))) < 0
	               ? -1
	               : 0;
}

/*
 * A JSON string: the quote, the backslash and the C0 controls escaped as
 * JSON requires; DEL, C1 and the invisible and bidirectional characters of
 * textesc escaped as \uXXXX too, which JSON reads back as the same characters but a
 * terminal shows as text; invalid UTF-8 as U+FFFD.
 */
static int json_string(FILE *f, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	int rc = fputc('"', f) == EOF ? -1 : 0;
	for (size_t i = 0; i < len && rc == 0;) {
		uint32_t cp;
		size_t k = cli_utf8_char(u + i, len - i, &cp);
		if (k == 0) {
			rc = fputs("\\ufffd", f) == EOF ? -1 : 0;
			i++;
			continue;
		}
		const char *esc = NULL;
		switch (cp) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		default:
			break;
		}
		if (esc != NULL)
			rc = fputs(esc, f) == EOF ? -1 : 0;
		else if (textesc_control(cp) || textesc_invisible(cp))
			rc = json_u_escape(f, cp);
		else
			rc = fwrite(s + i, 1, k, f) != k ? -1 : 0;
		i += k;
	}
	if (fputc('"', f) == EOF)
		rc = -1;
	return rc;
}

static int json_cell(FILE *f, const struct cli_cell *c)
{
	char buf[CLI_REAL_LEN];
	switch (c->kind) {
	case CLI_INT:
		return fprintf(f, "%" PRId64, c->i) < 0 ? -1 : 0;
	case CLI_REAL:
		cli_format_real(c->d, buf);
		return fputs(buf, f) == EOF ? -1 : 0;
	case CLI_TEXT:
		return json_string(f, c->s, c->len);
	case CLI_NULL:
	default:
		return fputs("null", f) == EOF ? -1 : 0;
	}
}

static int render_json(FILE *f, const struct cli_result *r)
{
	size_t total = 0;
	for (size_t i = 0; i < r->n; i++)
		total += r->sec[i]->nrows;
	if (total == 0)
		return fputs("[]\n", f) == EOF ? -1 : 0;
	int rc = fputs("[\n", f) == EOF ? -1 : 0;
	size_t done = 0;
	for (size_t i = 0; i < r->n && rc == 0; i++) {
		const struct cli_section *s = r->sec[i];
		for (size_t row = 0; row < s->nrows && rc == 0; row++) {
			rc |= fputs("  {", f) == EOF ? -1 : 0;
			if (r->n > 1) {
				rc |= fputs("\"section\":", f) == EOF ? -1 : 0;
				rc |= json_string(f, s->name, strlen(s->name));
			}
			for (size_t c = 0; c < s->ncols; c++) {
				if ((c > 0 || r->n > 1) && fputc(',', f) == EOF)
					rc = -1;
				rc |= json_string(f, s->cols[c], strlen(s->cols[c]));
				rc |= fputc(':', f) == EOF ? -1 : 0;
				rc |= json_cell(f, cli_section_cell(s, row, c));
			}
			done++;
			rc |= fputs(done < total ? "},\n" : "}\n", f) == EOF ? -1 : 0;
		}
	}
	if (fputs("]\n", f) == EOF)
		rc = -1;
	return rc;
}

int cli_render(FILE *f, const struct cli_result *r, enum cli_format fmt)
{
	int rc = 0;
	switch (fmt) {
	case CLI_FMT_CSV:
		rc = render_csv(f, r);
		break;
	case CLI_FMT_JSON:
		rc = render_json(f, r);
		break;
	case CLI_FMT_TABLE:
	default:
		for (size_t i = 0; i < r->n && rc == 0; i++) {
			if (i > 0 && fputc('\n', f) == EOF)
				rc = -1;
			if (rc == 0)
				rc = render_table_section(f, r->sec[i]);
		}
		break;
	}
	if (fflush(f) == EOF)
		rc = -1;
	return rc;
}
