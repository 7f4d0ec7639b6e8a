/*
 * cli_overview_html.c: `wegauge overview --html FILE`, the overview of
 * every workspace as one self-contained page (cli_overview.h).
 *
 * Like `report --html` (cli_html.c) the page loads nothing: inline style,
 * inline SVG, and a Content-Security-Policy of default-src 'none' that
 * allows only the inline style and the one inline script. The script only
 * sorts tables when a column header is clicked; without it the page reads
 * the same, in the rankings' own orders. Every text from the store goes
 * through cli_html_escape.
 *
 * The page: the totals (tiles), the rankings of `wegauge overview` (the
 * same sections, at most --limit rows each, CLI_OV_HTML_LIMIT unless
 * given), and one table of every workspace with a sparkline of its daily
 * deliveries (OVERALL) over the window. For 10,000 workspaces that table
 * is most of the page, so its rows are written small: no optional end
 * tags (</td>, </tr>), no attributes but the link, and the sparkline as
 * one SVG path of relative steps in whole units (x: 3 per day, or per
 * bucket of days in windows longer than CLI_OV_SPARK_POINTS days; y: 1 to
 * 18, the workspace's busiest day at the top), about 100 bytes for 30
 * days. Marked for tests and tools:
 *   <table class="sortable" id="SECTION"> for each ranking (health,
 *   seats, trend, channels, channel_totals) and id="all" for the full
 *   table, whose last cell holds <svg viewBox=...><path d=.../></svg>
 *   when the workspace has deliveries in the window.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli_overview.h"
#include "errbuf.h"
#include "ts.h"

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

static void esc(struct page *p, const char *s)
{
	if (s != NULL)
		cli_html_escape(p->f, s, strlen(s), &p->failed);
}

/* A cell's text: integers as they are, reals shortest, NULL as "-". */
static void cell(struct page *p, const struct cli_cell *c)
{
	char buf[CLI_REAL_LEN];
	switch (c->kind) {
	case CLI_INT:
		putf(p, "%" PRId64, c->i);
		break;
	case CLI_REAL:
		cli_format_real(c->d, buf);
		put(p, buf);
		break;
	case CLI_TEXT:
		cli_html_escape(p->f, c->s, c->len, &p->failed);
		break;
	case CLI_NULL:
	default:
		put(p, "-");
		break;
	}
}

/* A workspace's name, linked to its page when links is set. */
static void ws_link(struct page *p, const char *name, const char *links)
{
	if (links != NULL) {
		put(p, "<a href=\"");
		esc(p, links);
		esc(p, name);
		put(p, ".html\">");
	}
	esc(p, name);
	if (links != NULL)
		put(p, "</a>");
}

/* True when column c of s holds numbers (and NULLs) only: right-aligned, sorted as numbers. */
static bool numeric_col(const struct cli_section *s, size_t c)
{
	bool any = false;
	for (size_t r = 0; r < s->nrows; r++) {
		enum cli_kind k = cli_section_cell(s, r, c)->kind;
		if (k == CLI_TEXT)
			return false;
		any |= k != CLI_NULL;
	}
	return any;
}

/* A ranking section as a sortable table; a first column "workspace" is linked. */
static void section_table(struct page *p, const struct cli_section *s, const char *links)
{
	bool num[CLI_MAX_COLS];
	bool link = links != NULL && strcmp(s->cols[0], "workspace") == 0;
	putf(p, "<h3>");
	esc(p, s->title);
	putf(p, "</h3>\n<table class=\"sortable\" id=\"%s\"><thead><tr>", s->name);
	for (size_t c = 0; c < s->ncols; c++) {
		num[c] = numeric_col(s, c);
		put(p, num[c] ? "<th class=\"n\">" : "<th>");
		esc(p, s->cols[c]);
		put(p, "</th>");
	}
	put(p, "</tr></thead><tbody>\n");
	for (size_t r = 0; r < s->nrows; r++) {
		put(p, "<tr>");
		for (size_t c = 0; c < s->ncols; c++) {
			const struct cli_cell *x = cli_section_cell(s, r, c);
			put(p, num[c] ? "<td class=\"n\">" : "<td>");
			if (c == 0 && link && x->kind == CLI_TEXT)
				ws_link(p, x->s, links);
			else
				cell(p, x);
			put(p, "</td>");
		}
		put(p, "</tr>\n");
	}
	if (s->nrows == 0)
		putf(p, "<tr><td colspan=\"%zu\">none</td></tr>\n", s->ncols);
	put(p, "</tbody></table>\n");
	if (s->footer != NULL) {
		put(p, "<p class=\"note\">");
		esc(p, s->footer);
		put(p, "; every workspace is in the table at the end.</p>\n");
	}
}

/*
 * The totals as tiles: each summary row's value (with its unit when that
 * is "%" or a currency per month) over its figure, underscores as spaces.
 */
static void tiles(struct page *p, const struct cli_section *s)
{
	put(p, "<div class=\"tiles\" id=\"totals\">\n");
	for (size_t r = 0; r < s->nrows; r++) {
		const struct cli_cell *c = cli_section_cell(s, r, 0);
		const char *unit = c[2].kind == CLI_TEXT ? c[2].s : "";
		put(p, "<div class=\"tile\"><b>");
		cell(p, &c[1]);
		if (strcmp(unit, "%") == 0)
			put(p, "%");
		else if (strstr(unit, "per month") != NULL) {
			put(p, " ");
			esc(p, unit);
		}
		put(p, "</b><span>");
		for (const char *t = c[0].kind == CLI_TEXT ? c[0].s : ""; *t; t++)
			putf(p, "%c", *t == '_' ? ' ' : *t);
		put(p, "</span></div>\n");
	}
	put(p, "</div>\n");
}

/* How num_cell writes a value. */
enum num_fmt { NF_TOTAL, NF_ONE, NF_SIGNED, NF_CENTS };

/* A number for the full table: "-" without one; a total, one decimal, a change, or cents. */
static void num_cell(struct page *p, bool has, double v, enum num_fmt fmt)
{
	char buf[CLI_REAL_LEN];
	if (!has) {
		put(p, "<td>-");
		return;
	}
	switch (fmt) {
	case NF_ONE:
		putf(p, "<td>%.1f", v);
		break;
	case NF_SIGNED:
		putf(p, "<td>%+.1f", v);
		break;
	case NF_CENTS:
		putf(p, "<td>%.2f", v);
		break;
	case NF_TOTAL:
	default:
		if (v == floor(v) && fabs(v) < 9007199254740992.0) {
			putf(p, "<td>%.0f", v);
		} else {
			cli_format_real(v, buf);
			putf(p, "<td>%s", buf);
		}
		break;
	}
}

/*
 * The sparkline of one workspace: its OVERALL deliveries per bucket of
 * the window (a day for windows up to CLI_OV_SPARK_POINTS days).
 */
static void sparkline(struct page *p, const struct overview *ov, const struct ov_ws *w)
{
	if (ov->daily == NULL || w->day_n == 0 || ov->spark_days <= 0)
		return;
	double max = 0;
	for (size_t k = w->day_first; k < w->day_first + w->day_n; k++) {
		const struct cli_cell *v = cli_section_cell(ov->daily, k, 2);
		double x = v->kind == CLI_INT ? (double)v->i : (v->kind == CLI_REAL ? v->d : 0);
		if (isfinite(x) && x > max)
			max = x;
	}
	long buckets = (ov->w.days + ov->spark_days - 1) / ov->spark_days;
	putf(p, "<svg viewBox=\"0 0 %ld 20\"><path d=\"", buckets > 1 ? 3 * (buckets - 1) : 1);
	long px = 0, py = 0;
	bool first = true, second = true;
	for (size_t k = w->day_first; k < w->day_first + w->day_n; k++) {
		const struct cli_cell *b = cli_section_cell(ov->daily, k, 1);
		const struct cli_cell *v = cli_section_cell(ov->daily, k, 2);
		if (b->kind != CLI_INT || b->i < 0 || b->i >= buckets)
			continue;
		double x = v->kind == CLI_INT ? (double)v->i : (v->kind == CLI_REAL ? v->d : 0);
		if (!isfinite(x) || x < 0)
			x = 0;
		long cx = 3 * (long)b->i;
		long cy = 18 - (max > 0 ? lround(x / max * 17.0) : 0);
		if (first) {
			putf(p, "M%ld %ld", cx, cy);
			first = false;
		} else {
			putf(p, "%s%ld%s%ld", second ? "l" : " ", cx - px, cy - py < 0 ? "" : " ",
			     cy - py);
			second = false;
		}
		px = cx;
		py = cy;
	}
	if (second)
		put(p, "h1");
	put(p, "\"/></svg>");
}

/* Rows per chunk of the table of every workspace. */
#define CHUNK_ROWS 200

/*
 * The table of every workspace, by name: a header table, then the rows in
 * tables of CHUNK_ROWS each, in <div class="c">, which the style marks
 * content-visibility: auto, so that the browser lays out only the chunks
 * in view (one table of 10,000 rows takes seconds to lay out); the
 * columns have fixed widths, the same in every chunk.
 */
static void full_table(struct page *p, const struct overview *ov, const char *links)
{
	char per[32] = "day";
	if (ov->spark_days > 1)
		snprintf(per, sizeof(per), "%d days", ov->spark_days);
	putf(p,
	     "<h2 id=\"workspaces\">All %zu workspaces</h2>\n<p class=\"note\">Click a column to "
	     "sort. Deliveries: the window's total, change against the previous window in %%; "
	     "DAU: mean daily active users; trend: deliveries per %s, %s .. %s.</p>\n",
	     ov->n, per, ov->w.from, ov->w.to);
	putf(p,
	     "<div id=\"all\" class=\"%s\"><table class=\"h\"><thead><tr><th>workspace</th>"
	     "<th>health</th><th class=\"n\">seats</th><th class=\"n\">unused</th>"
	     "<th class=\"n\">util. %%</th>",
	     ov->any_price ? "all p" : "all");
	if (ov->any_price)
		put(p, "<th class=\"n\">unused cost</th><th>cur.</th>");
	put(p, "<th class=\"n\">deliveries</th><th class=\"n\">change</th><th class=\"n\">DAU</th>"
	       "<th class=\"n\">change</th><th class=\"n\">unused ch.</th><th>trend</th>"
	       "</tr></thead></table>\n");
	for (size_t i = 0; i < ov->n && !p->failed; i++) {
		const struct ov_ws *w = &ov->ws[i];
		double v = 0, m = 0, q = 0;
		if (i % CHUNK_ROWS == 0)
			put(p, "<div class=\"c\"><table><tbody>\n");
		put(p, "<tr><td>");
		ws_link(p, w->name, links);
		putf(p, "<td>%s<td>%" PRId64 "<td>%" PRId64, cli_ov_health_name(w->health),
		     w->seats, w->unused);
		num_cell(p, w->has_util, w->util, NF_ONE);
		if (ov->any_price) {
			num_cell(p, w->has_price, w->cost, NF_CENTS);
			put(p, "<td>");
			if (w->has_price)
				esc(p, w->currency);
		}
		num_cell(p, true, w->del_cur, NF_TOTAL);
		bool has_v = cli_ov_change(w->del_cur, w->del_prev, &v);
		num_cell(p, has_v, v, NF_SIGNED);
		bool hm = cli_ov_mean(w->dau_cur, w->dau_cur_days, &m);
		bool hq = cli_ov_mean(w->dau_prev, w->dau_prev_days, &q);
		num_cell(p, hm, m, NF_ONE);
		has_v = hm && hq && cli_ov_change(m, q, &v);
		num_cell(p, has_v, v, NF_SIGNED);
		putf(p, "<td>%zu<td>", w->n_unused);
		sparkline(p, ov, w);
		put(p, "\n");
		if (i % CHUNK_ROWS == CHUNK_ROWS - 1 || i + 1 == ov->n)
			put(p, "</tbody></table></div>\n");
	}
	put(p, "</div>\n");
}

/*
 * The full table: fixed column widths, the same in the header and every
 * chunk (nth-child: workspace, health, the numbers, the trend last), and
 * the chunks laid out only in view.
 */
static const char style[] =
        "body{font-family:sans-serif;margin:1.5em;color:#222}"
        "h1{font-size:1.5em;margin:0}h2{border-bottom:1px solid #ccc;margin-top:1.6em}"
        "h3{font-size:1.05em;margin:1.2em 0 .4em}.window,.note{color:#666;font-size:.9em}"
        ".tiles{display:flex;flex-wrap:wrap;gap:.6em;margin:1em 0}"
        ".tile{border:1px solid #ddd;border-radius:4px;padding:.4em .8em;min-width:9em}"
        ".tile b{display:block;font-size:1.4em}.tile span{color:#555;font-size:.85em}"
        "table{border-collapse:collapse;font-size:.85em;margin:0}"
        "th,td{border:1px solid #e3e3e3;padding:.15em .45em;text-align:left;height:1.3em}"
        "th{background:#f4f4f4;cursor:pointer;white-space:nowrap}"
        "th[aria-sort=ascending]::after{content:' \25B2'}"
        "th[aria-sort=descending]::after{content:' \25BC'}"
        "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}"
        ".sortable td{white-space:nowrap}.sortable td:last-child{white-space:normal}"
        "td>svg{height:18px;width:auto;max-width:100%;display:block}"
        "svg path{fill:none;stroke:#1f77b4;stroke-width:1.2;vector-effect:non-scaling-stroke}"
        ".all table{table-layout:fixed}"
        ".all td,.all th{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;width:5.5em}"
        ".all td:nth-child(1),.all th:nth-child(1){width:11em}"
        ".all td:nth-child(2),.all th:nth-child(2){width:6.5em}"
        ".all td:last-child,.all th:last-child{width:7em;text-align:left}"
        ".all td:nth-child(n+3){text-align:right;font-variant-numeric:tabular-nums}"
        ".c{content-visibility:auto;contain-intrinsic-size:auto 4400px}";

/*
 * Sorts a table by the clicked column: numbers (th.n) as numbers, "-"
 * last; a second click reverses. The full table's header sorts the rows
 * of all its chunks together, which are then dealt back in order.
 */
static const char script[] =
        "(function(){function v(r,i,n){var c=r.cells[i],s=c?c.textContent:'';if(!n)return s;"
        "var x=parseFloat(s);return isNaN(x)?null:x}"
        "function each(l,f){Array.prototype.forEach.call(l,f)}"
        "each(document.querySelectorAll('table.sortable,div.all'),function(t){"
        "var all=t.tagName=='DIV',hs=t.querySelector('thead').rows[0].cells;"
        "each(hs,function(h,i){h.addEventListener('click',function(){"
        "var n=h.className=='n',up=h.getAttribute('aria-sort')!='ascending';"
        "each(hs,function(x){x.removeAttribute('aria-sort')});"
        "h.setAttribute('aria-sort',up?'ascending':'descending');"
        "var bs=all?t.querySelectorAll('.c tbody'):[t.tBodies[0]],rs=[];"
        "each(bs,function(b){rs=rs.concat(Array.prototype.slice.call(b.rows))});"
        "rs.sort(function(a,c){var x=v(a,i,n),y=v(c,i,n);if(x===y)return 0;"
        "if(x===null)return 1;if(y===null)return -1;return(x<y?-1:1)*(up?1:-1)});"
        "var k=0;each(bs,function(b){var m=b.rows.length,f=document.createDocumentFragment();"
        "for(var j=0;j<m;j++)f.appendChild(rs[k++]);b.appendChild(f)})})})})})();";

int cli_overview_html(const struct overview *ov, const struct cli_opts *o, const char *links,
                      FILE *f, char *err, size_t errlen)
{
	struct page pg = {.f = f};
	struct page *p = &pg;
	struct cli_result r = {0};
	size_t limit = o->limit >= 0 ? (size_t)o->limit : CLI_OV_HTML_LIMIT;
	if (cli_overview_sections(ov, o, limit, &r, err, errlen) != 0) {
		cli_result_free(&r);
		return -1;
	}
	char generated[TS_LEN];
	ts_format(ov->now, generated);
	put(p, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	       "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n");
	putf(p, "<title>wegauge overview %s .. %s</title>\n<style>%s</style></head><body>\n",
	     ov->w.from, ov->w.to, style);
	putf(p,
	     "<h1>wegauge overview</h1>\n<p class=\"window\">%zu workspace%s; %s .. %s (%d day%s, "
	     "UTC), change against %s .. %s. Generated %s.</p>\n",
	     ov->n, ov->n == 1 ? "" : "s", ov->w.from, ov->w.to, ov->w.days,
	     ov->w.days == 1 ? "" : "s", ov->w.prev_from, ov->w.prev_to, generated);
	for (size_t i = 0; i < r.n; i++) {
		const struct cli_section *s = r.sec[i];
		if (strcmp(s->name, "summary") == 0) {
			tiles(p, s);
			continue;
		}
		if (strcmp(s->name, "health") == 0)
			put(p, "<h2 id=\"attention\">Which workspaces need attention?</h2>\n");
		else if (strcmp(s->name, "seats") == 0)
			put(p,
			    "<h2 id=\"seats\">Which workspaces pay for seats nobody uses?</h2>\n");
		else if (strcmp(s->name, "trend") == 0)
			put(p, "<h2 id=\"shrinking\">Which workspaces are shrinking?</h2>\n");
		else if (strcmp(s->name, "channels") == 0)
			put(p, "<h2 id=\"channels\">Which channels are paid for, not used?</h2>\n");
		section_table(p, s, links);
	}
	full_table(p, ov, links);
	putf(p, "<script>%s</script>\n</body></html>\n", script);
	cli_result_free(&r);
	if (p->failed || fflush(f) == EOF) {
		errbuf_set(err, errlen, "cannot write the HTML overview");
		return -1;
	}
	return 0;
}
