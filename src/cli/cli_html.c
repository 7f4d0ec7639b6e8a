/*
 * cli_html.c: `wegauge report --html FILE`, one self-contained HTML page.
 *
 * The page loads nothing: no script, font, image or style sheet from
 * anywhere; charts are inline SVG, styles an inline <style>, and a
 * Content-Security-Policy of default-src 'none' makes the browser refuse
 * any load that might still slip in. Everything that comes from the store
 * (workspace, channel and platform names, campaign titles, states) goes
 * through html_put(), which escapes & < > " ', replaces control
 * characters and invalid UTF-8 and shows invisible and bidirectional
 * characters as "<U+XXXX>", in text and in attribute values alike (every
 * attribute is double-quoted), so no stored text can open a tag or hide
 * or reverse what it says.
 *
 * Per workspace the page has: deliveries per channel over the window (a
 * line chart, one series per channel), daily active users per platform
 * (one series per platform), seat utilization bars (active within 30, 60
 * and 90 days against seats), the channel table of `wegauge report` and
 * the top campaigns. The SVG is marked for tests and tools:
 *   <svg class="chart" data-chart="deliveries|dau">
 *     <g class="series" data-channel="EMAIL" data-points="N"> (or data-platform)
 *       <polyline/> and N <circle class="point"> (one per day with a value)
 *   <svg class="bars" data-chart="seats">
 *     <g class="bar" data-window="30d" data-active="A" data-seats="S">
 * A day without a row is no point (the API sends no zero rows for days
 * without data); the line joins the points there are.
 *
 * Bounds: at most CLI_HTML_MAX_SERIES series per chart (the rest are
 * named in a note, not drawn); points per series are bounded by the
 * window (at most CLI_DAYS_MAX days).
 */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli_cmd.h"
#include "cli_db.h"
#include "cli_sql.h"
#include "cli_sql_pg.h"
#include "textesc.h"
#include "ts.h"

#define CLI_HTML_MAX_SERIES 64

/* Chart geometry, in SVG user units. */
#define CH_W      720.0
#define CH_H      220.0
#define CH_LEFT   64.0
#define CH_RIGHT  12.0
#define CH_TOP    12.0
#define CH_BOTTOM 28.0

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define N_PALETTE (sizeof(palette) / sizeof(palette[0]))

/* The page being written: the stream and whether a write failed. */
struct page {
	FILE *f;
	bool failed;
};

static void put(struct page *p, const char *s)
{
	if (fputs(s, p->f) == EOF)
		p->failed = true;
}

__attribute__((format(printf, 2, 3))) static void putf(struct page *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vfprintf(p->f, fmt, ap) < 0)
		p->failed = true;
	va_end(ap);
}

void cli_html_escape(FILE *f, const char *s, size_t len, bool *failed)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = cli_utf8_char(u + i, len - i, &cp);
		const char *rep = NULL;
		char buf[24];
		if (k == 0) {
			rep = "\xef\xbf\xbd";
			k = 1;
		} else if (cp == '&') {
			rep = "&amp;";
		} else if (cp == '<') {
			rep = "&lt;";
		} else if (cp == '>') {
			rep = "&gt;";
		} else if (cp == '"') {
			rep = "&quot;";
		} else if (cp == '\'') {
			rep = "&#39;";
		} else if ((cp < 0x20 && cp != '\t' && cp != '\n') || cp == 0x7f ||
		           (cp >= 0x80 && cp < 0xa0)) {
			rep = "\xef\xbf\xbd";
		} else if (textesc_invisible(cp)) {
			snprintf(buf, sizeof(buf), "&lt;U+%04X&gt;", (unsigned)cp);
			rep = buf;
		}
		if (rep != NULL ? fputs(rep, f) == EOF : fwrite(s + i, 1, k, f) != k)
			*failed = true;
		i += k;
	}
}

/* cli_html_escape onto the page. */
static void html_put(struct page *p, const char *s, size_t len)
{
	cli_html_escape(p->f, s, len, &p->failed);
}

static void html_puts(struct page *p, const char *s)
{
	html_put(p, s, strlen(s));
}

/* A cell as HTML text: numbers as the table form prints them, NULL as "-". */
static void html_cell(struct page *p, const struct cli_cell *c)
{
	char buf[CLI_REAL_LEN];
	switch (c->kind) {
	case CLI_INT:
		putf(p, "%lld", (long long)c->i);
		break;
	case CLI_REAL:
		cli_format_real(c->d, buf);
		put(p, buf);
		break;
	case CLI_TEXT:
		html_put(p, c->s, c->len);
		break;
	case CLI_NULL:
	default:
		put(p, "-");
		break;
	}
}

/*
 * A table of the rows of s whose first column equals ws (all rows when ws
 * is NULL), without that first column when ws is given. A column marked
 * attached (s->attach) shares the cell of the column before it, as a
 * <span class="change">, and has no header of its own.
 */
static void html_table(struct page *p, const struct cli_section *s, const char *ws)
{
	size_t first = ws ? 1 : 0, shown = 0, ncells = 0;
	put(p, "<table><thead><tr>");
	for (size_t c = first; c < s->ncols; c++) {
		if (c > 0 && (s->attach >> c & 1u))
			continue;
		put(p, "<th>");
		html_puts(p, s->cols[c]);
		put(p, "</th>");
		ncells++;
	}
	put(p, "</tr></thead><tbody>\n");
	for (size_t r = 0; r < s->nrows; r++) {
		const struct cli_cell *k = cli_section_cell(s, r, 0);
		if (ws != NULL && (k->kind != CLI_TEXT || strcmp(k->s, ws) != 0))
			continue;
		put(p, "<tr>");
		for (size_t c = first; c < s->ncols; c++) {
			const struct cli_cell *cell = cli_section_cell(s, r, c);
			bool attach = c > 0 && (s->attach >> c & 1u);
			bool num = cell->kind == CLI_INT || cell->kind == CLI_REAL;
			bool next_attached = c + 1 < s->ncols && (s->attach >> (c + 1) & 1u);
			if (attach) {
				put(p, " <span class=\"change\">");
				html_cell(p, cell);
				put(p, "</span>");
			} else {
				put(p, num || next_attached ? "<td class=\"num\">" : "<td>");
				html_cell(p, cell);
			}
			if (!next_attached)
				put(p, "</td>");
		}
		put(p, "</tr>\n");
		shown++;
	}
	if (shown == 0)
		putf(p, "<tr><td colspan=\"%zu\">none</td></tr>\n", ncells);
	put(p, "</tbody></table>\n");
}

/* The smallest 1, 2 or 5 times a power of ten that is >= m (m > 0); 1 for m <= 1. */
static double nice_ceiling(double m)
{
	if (!(m > 1))
		return 1;
	double e = pow(10, floor(log10(m)));
	static const double f[] = {1, 2, 5, 10};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i] * e >= m)
			return f[i] * e;
	return 10 * e;
}

static double value_of(const struct cli_cell *c)
{
	if (c->kind == CLI_INT)
		return (double)c->i;
	if (c->kind == CLI_REAL && isfinite(c->d))
		return c->d;
	return 0;
}

/*
 * A line chart of rows (series name, day, value) ordered by series then
 * day, over the window w: one <g class="series"> per series name, marked
 * with data-KEY="name" (KEY: channel or platform), one point per row.
 */
static void html_chart(struct page *p, const struct cli_section *s, const struct cli_window *w,
                       const char *chart, const char *key, const char *what)
{
	wall_s from;
	if (ts_parse_day(w->from, &from) != 0)
		from = 0;
	double max = 0;
	for (size_t r = 0; r < s->nrows; r++) {
		double v = value_of(cli_section_cell(s, r, 2));
		if (v > max)
			max = v;
	}
	double ymax = nice_ceiling(max);
	const double pw = CH_W - CH_LEFT - CH_RIGHT, ph = CH_H - CH_TOP - CH_BOTTOM;
	if (s->nrows == 0) {
		putf(p, "<p class=\"empty\">No %s in this window.</p>\n", what);
		return;
	}
	putf(p,
	     "<svg class=\"chart\" data-chart=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" "
	     "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	     "aria-label=\"%s\">\n",
	     chart, CH_W, CH_H, CH_W, CH_H, what);
	/* Axes, three y labels (0, half, max) and the first and last day. */
	putf(p,
	     "<g class=\"axes\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
	     "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
	     CH_LEFT, CH_TOP, CH_LEFT, CH_TOP + ph, CH_LEFT, CH_TOP + ph, CH_LEFT + pw,
	     CH_TOP + ph);
	for (int i = 0; i <= 2; i++) {
		double y = CH_TOP + ph * (1 - i / 2.0);
		putf(p, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>", CH_LEFT - 6,
		     y + 4, ymax * i / 2.0);
		if (i > 0)
			putf(p,
			     "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			     "y2=\"%.1f\"/>",
			     CH_LEFT, y, CH_LEFT + pw, y);
	}
	putf(p,
	     "<text x=\"%.1f\" y=\"%.1f\">%s</text><text x=\"%.1f\" y=\"%.1f\" "
	     "text-anchor=\"end\">%s</text></g>\n",
	     CH_LEFT, CH_H - 8, w->from, CH_LEFT + pw, CH_H - 8, w->to);

	size_t series = 0, dropped = 0;
	for (size_t r = 0; r < s->nrows;) {
		const struct cli_cell *name = cli_section_cell(s, r, 0);
		size_t end = r + 1;
		while (end < s->nrows) {
			const struct cli_cell *n2 = cli_section_cell(s, end, 0);
			if (n2->len != name->len || memcmp(n2->s, name->s, name->len) != 0)
				break;
			end++;
		}
		if (series >= CLI_HTML_MAX_SERIES) {
			dropped++;
			r = end;
			continue;
		}
		const char *color = palette[series % N_PALETTE];
		putf(p, "<g class=\"series\" data-%s=\"", key);
		html_put(p, name->s, name->len);
		putf(p, "\" data-points=\"%zu\" stroke=\"%s\" fill=\"%s\">\n<polyline points=\"",
		     end - r, color, color);
		for (int pass = 0; pass < 2; pass++) {
			for (size_t k = r; k < end; k++) {
				const struct cli_cell *day = cli_section_cell(s, k, 1);
				double v = value_of(cli_section_cell(s, k, 2));
				wall_s t;
				if (day->kind != CLI_TEXT || ts_parse_day(day->s, &t) != 0)
					t = from;
				double idx = (double)((t - from) / 86400);
				double x = w->days > 1 ? CH_LEFT + pw * idx / (w->days - 1)
				                       : CH_LEFT + pw / 2;
				double y = CH_TOP + ph * (1 - (v < 0 ? 0 : v) / ymax);
				if (pass == 0) {
					putf(p, "%s%.1f,%.1f", k > r ? " " : "", x, y);
					continue;
				}
				putf(p,
				     "<circle class=\"point\" cx=\"%.1f\" cy=\"%.1f\" "
				     "r=\"3\"><title>",
				     x, y);
				html_put(p, name->s, name->len);
				put(p, " ");
				html_cell(p, day);
				put(p, ": ");
				html_cell(p, cli_section_cell(s, k, 2));
				put(p, "</title></circle>\n");
			}
			if (pass == 0)
				put(p, "\" fill=\"none\"/>\n");
		}
		put(p, "</g>\n");
		series++;
		r = end;
	}
	put(p, "</svg>\n<ul class=\"legend\">");
	series = 0;
	for (size_t r = 0; r < s->nrows && series < CLI_HTML_MAX_SERIES; r++) {
		const struct cli_cell *name = cli_section_cell(s, r, 0);
		if (r > 0) {
			const struct cli_cell *prev = cli_section_cell(s, r - 1, 0);
			if (prev->len == name->len && memcmp(prev->s, name->s, name->len) == 0)
				continue;
		}
		putf(p, "<li><span class=\"swatch\" style=\"background:%s\"></span>",
		     palette[series % N_PALETTE]);
		html_put(p, name->s, name->len);
		put(p, "</li>");
		series++;
	}
	put(p, "</ul>\n");
	if (dropped > 0)
		putf(p, "<p class=\"note\">%zu more series not drawn.</p>\n", dropped);
}

/* Seat utilization bars of one workspace from its v_seat_utilization row. */
static void html_seats(struct page *p, const struct cli_section *s, const char *ws)
{
	const struct cli_cell *row = NULL;
	for (size_t r = 0; r < s->nrows && row == NULL; r++) {
		const struct cli_cell *k = cli_section_cell(s, r, 0);
		if (k->kind == CLI_TEXT && strcmp(k->s, ws) == 0)
			row = cli_section_cell(s, r, 0);
	}
	int64_t seats = row ? (int64_t)value_of(&row[1]) : 0;
	if (seats <= 0) {
		put(p, "<p class=\"empty\">No seats.</p>\n");
		return;
	}
	static const char *const windows[] = {"30d", "60d", "90d"};
	const double bw = CH_W - 200, bh = 18;
	putf(p,
	     "<svg class=\"bars\" data-chart=\"seats\" xmlns=\"http://www.w3.org/2000/svg\" "
	     "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
	     "aria-label=\"seat utilization\">\n",
	     CH_W, 3 * (bh + 8) + 4, CH_W, 3 * (bh + 8) + 4);
	for (int i = 0; i < 3; i++) {
		int64_t active = (int64_t)value_of(&row[2 + i]);
		double frac = (double)active / (double)seats;
		double y = 4 + i * (bh + 8);
		putf(p,
		     "<g class=\"bar\" data-window=\"%s\" data-active=\"%lld\" data-seats=\"%lld\">"
		     "<text x=\"0\" y=\"%.1f\">active %s</text>"
		     "<rect class=\"track\" x=\"90\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\"/>"
		     "<rect class=\"fill\" x=\"90\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\"/>"
		     "<text x=\"%.1f\" y=\"%.1f\">%lld of %lld (%.1f%%)</text></g>\n",
		     windows[i], (long long)active, (long long)seats, y + 13, windows[i], y, bw, bh,
		     y, bw * frac, bh, 90 + bw + 8, y + 13, (long long)active, (long long)seats,
		     frac * 100);
	}
	put(p, "</svg>\n");
	putf(p, "<p>%lld seat%s, %lld never logged in.</p>\n", (long long)seats,
	     seats == 1 ? "" : "s", (long long)value_of(&row[5]));
}

static const char style[] =
        "body{font-family:sans-serif;margin:2em;color:#222;max-width:1200px}"
        "h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}"
        "h3{font-size:1.05em;margin-top:1.4em}"
        ".state{font-size:.7em;font-weight:normal;color:#555;margin-left:.6em}"
        "table{border-collapse:collapse;font-size:.85em}"
        "th,td{border:1px solid #ddd;padding:.2em .5em;text-align:left}"
        "td.num{text-align:right;font-variant-numeric:tabular-nums}"
        "svg text{font-size:11px;fill:#444;stroke:none}"
        ".axes line{stroke:#888}.axes line.grid{stroke:#eee}"
        ".series polyline{stroke-width:1.5}"
        ".legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:1em;font-size:.85em}"
        ".swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;"
        "vertical-align:middle}"
        ".change{color:#666;font-size:.85em;margin-left:.4em}"
        ".track{fill:#eee}.fill{fill:#2ca02c}.empty,.note{color:#777}";

int cli_html_report(struct cli_db *db, const struct cli_opts *o, wall_s now, FILE *f, char *err,
                    size_t errlen)
{
	struct page pg = {.f = f};
	struct page *p = &pg;
	struct cli_window w;
	cli_window_make(now, o->days, &w);
	char generated[TS_LEN];
	ts_format(now, generated);

	/* The shared data of every workspace: the report's channels and the seats. */
	struct cli_result all = {0};
	struct cli_bind wb = {o->workspace ? CLI_BIND_TEXT : CLI_BIND_NULL, 0, o->workspace};
	struct cli_section *wss =
	        cli_db_query(db, &all, "workspaces", NULL, CLI_QUERY(CLI_SQL_HTML_WORKSPACES), &wb,
	                     1, err, errlen);
	struct cli_section *chan =
	        wss ? cli_report_channels(db, &w, o->workspace, &all, "channels", NULL, err, errlen)
	            : NULL;
	struct cli_section *seats =
	        chan ? cli_db_query(db, &all, "seats", NULL, CLI_QUERY(CLI_SQL_SEATS), &wb, 1, err,
	                            errlen)
	             : NULL;
	if (seats == NULL) {
		cli_result_free(&all);
		return -1;
	}

	put(p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	       "style-src 'unsafe-inline'\">\n");
	putf(p, "<title>wegauge report %s .. %s</title>\n<style>%s</style></head><body>\n", w.from,
	     w.to, style);
	putf(p,
	     "<h1>wegauge report</h1>\n<p class=\"window\">%s .. %s (%d day%s, UTC), change "
	     "against %s .. %s. Generated %s.</p>\n",
	     w.from, w.to, w.days, w.days == 1 ? "" : "s", w.prev_from, w.prev_to, generated);
	if (wss->nrows == 0)
		put(p, "<p class=\"empty\">The store has no workspace.</p>\n");

	int rc = 0;
	for (size_t i = 0; i < wss->nrows && rc == 0 && !p->failed; i++) {
		const struct cli_cell *name = cli_section_cell(wss, i, 0);
		const struct cli_cell *state = cli_section_cell(wss, i, 1);
		if (name->kind != CLI_TEXT)
			continue;
		put(p, "<section class=\"workspace\" data-workspace=\"");
		html_put(p, name->s, name->len);
		put(p, "\">\n<h2>");
		html_put(p, name->s, name->len);
		put(p, "<span class=\"state\">");
		html_cell(p, state);
		put(p, "</span></h2>\n");

		struct cli_result one = {0};
		struct cli_bind b[] = {{CLI_BIND_TEXT, 0, name->s},
		                       {CLI_BIND_TEXT, 0, w.from},
		                       {CLI_BIND_TEXT, 0, w.to}};
		struct cli_section *del =
		        cli_db_query(db, &one, "deliveries", NULL,
		                     CLI_QUERY(CLI_SQL_HTML_DELIVERIES), b, 3, err, errlen);
		struct cli_section *dau =
		        del ? cli_db_query(db, &one, "dau", NULL, CLI_QUERY(CLI_SQL_HTML_DAU), b, 3,
		                           err, errlen)
		            : NULL;
		struct cli_section *camp =
		        dau ? cli_db_query(db, &one, "campaigns", NULL,
		                           CLI_QUERY(CLI_SQL_HTML_CAMPAIGNS), b, 3, err, errlen)
		            : NULL;
		if (camp == NULL) {
			rc = -1;
		} else {
			put(p, "<h3>Deliveries per channel</h3>\n");
			html_chart(p, del, &w, "deliveries", "channel", "deliveries per channel");
			put(p, "<h3>Daily active users per platform</h3>\n");
			html_chart(p, dau, &w, "dau", "platform",
			           "daily active users per platform");
			put(p, "<h3>Seat utilization</h3>\n");
			html_seats(p, seats, name->s);
			put(p, "<h3>Channels</h3>\n");
			html_table(p, chan, name->s);
			put(p, "<h3>Top campaigns started in the window</h3>\n");
			html_table(p, camp, NULL);
		}
		cli_result_free(&one);
		put(p, "</section>\n");
	}
	put(p, "</body></html>\n");
	cli_result_free(&all);
	if (rc == 0 && (p->failed || fflush(f) == EOF)) {
		snprintf(err, errlen, "cannot write the HTML report");
		rc = -1;
	}
	return rc;
}
