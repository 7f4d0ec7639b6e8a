/*
 * cli_overview.c: `wegauge overview`: reading the store for every
 * workspace at once, the figures of cli_overview.h, their rankings, and
 * the table/CSV/JSON sections (cli_overview_html.c writes the page).
 *
 * Three queries (four for the page) read everything, each once for all
 * workspaces, sorted by workspace in byte order on both stores: the
 * workspaces with their seats, the deliveries per workspace and channel in
 * both windows, the DAU per workspace in both windows (and the OVERALL
 * deliveries per day). Their rows are joined here by name; what SQL would
 * say only with store-specific rounding (percentages, means, costs) is
 * computed in C from the cells, which both stores give alike.
 */
#include "cli_overview.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli_sql.h"
#include "cli_sql_pg.h"
#include "errbuf.h"
#include "ts.h"

double cli_ov_round1(double x)
{
	double r = round(x * 10.0) / 10.0;
	return r == 0 ? 0.0 : r;
}

bool cli_ov_change(double cur, double prev, double *pct)
{
	if (!(prev > 0))
		return false;
	*pct = cli_ov_round1((cur - prev) * 100.0 / prev);
	return true;
}

bool cli_ov_mean(double sum, int64_t days, double *mean)
{
	if (days <= 0)
		return false;
	*mean = cli_ov_round1(sum / (double)days);
	return true;
}

const char *cli_ov_health_name(enum ov_health h)
{
	static const char *const names[] = {"", "auth_failed", "failing", "stale", "disabled"};
	return (unsigned)h < sizeof(names) / sizeof(names[0]) ? names[h] : "";
}

static struct cli_bind bind_text(const char *s)
{
	return (struct cli_bind){.kind = s ? CLI_BIND_TEXT : CLI_BIND_NULL, .s = s};
}

static const char *text_of(const struct cli_cell *c)
{
	return c->kind == CLI_TEXT ? c->s : NULL;
}

static double num_of(const struct cli_cell *c)
{
	if (c->kind == CLI_INT)
		return (double)c->i;
	if (c->kind == CLI_REAL && isfinite(c->d))
		return c->d;
	return 0;
}

static int64_t int_of(const struct cli_cell *c)
{
	if (c->kind == CLI_INT)
		return c->i;
	if (c->kind == CLI_REAL && isfinite(c->d) && fabs(c->d) < 9.2e18)
		return (int64_t)c->d;
	return 0;
}

/* The workspace named name (NULL: none), by binary search of ov->ws. */
static struct ov_ws *find_ws(const struct overview *ov, const char *name)
{
	size_t lo = 0, hi = ov->n;
	while (name != NULL && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ov->ws[mid].name, name);
		if (c == 0)
			return &ov->ws[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The index of channel name in ov->ch, or where it would go (*found false). */
static size_t find_channel(const struct overview *ov, const char *name, bool *found)
{
	size_t lo = 0, hi = ov->nch;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ov->ch[mid].name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

/* Add name to the channels (kept sorted). 0 or -1 (out of memory). */
static int add_channel(struct overview *ov, const char *name, size_t *cap)
{
	bool found;
	size_t at = find_channel(ov, name, &found);
	if (found)
		return 0;
	if (ov->nch == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct ov_channel *ch = realloc(ov->ch, c * sizeof(*ch));
		if (ch == NULL)
			return -1;
		ov->ch = ch;
		*cap = c;
	}
	memmove(&ov->ch[at + 1], &ov->ch[at], (ov->nch - at) * sizeof(*ov->ch));
	ov->ch[at] = (struct ov_channel){.name = name};
	ov->nch++;
	return 0;
}

/* The workspaces query into ov->ws, with seats, costs and health. */
static int load_workspaces(struct cli_db *db, const struct cli_opts *o, struct overview *ov,
                           char *err, size_t errlen)
{
	char c30[TS_LEN], c60[TS_LEN], c90[TS_LEN];
	ts_format(ov->now - 30 * 86400, c30);
	ts_format(ov->now - 60 * 86400, c60);
	ts_format(ov->now - 90 * 86400, c90);
	struct cli_bind b[] = {bind_text(c30), bind_text(c60), bind_text(c90),
	                       bind_text(o->workspace)};
	struct cli_section *s = cli_db_query(db, &ov->raw, "workspaces", NULL,
	                                     CLI_QUERY(CLI_SQL_OV_WORKSPACES), b, 4, err, errlen);
	if (s == NULL)
		return -1;
	if (s->ncols != 13) {
		errbuf_set(err, errlen, "workspaces: %zu columns, 13 expected", s->ncols);
		return -1;
	}
	ov->ws = calloc(s->nrows ? s->nrows : 1, sizeof(*ov->ws));
	if (ov->ws == NULL) {
		errbuf_set(err, errlen, "overview: out of memory");
		return -1;
	}
	for (size_t r = 0; r < s->nrows; r++) {
		const struct cli_cell *c = cli_section_cell(s, r, 0);
		struct ov_ws *w = &ov->ws[ov->n];
		w->name = text_of(&c[0]);
		if (w->name == NULL)
			continue;
		w->state = text_of(&c[1]) ? text_of(&c[1]) : "";
		w->reason = text_of(&c[2]);
		w->last_success = text_of(&c[3]);
		w->has_price = c[4].kind == CLI_INT || c[4].kind == CLI_REAL;
		w->price = num_of(&c[4]);
		w->currency = text_of(&c[5]);
		w->interval_s =
		        c[6].kind == CLI_INT && c[6].i > 0 ? c[6].i : CLI_OV_DEFAULT_INTERVAL_S;
		w->since = text_of(&c[7]);
		w->seats = int_of(&c[8]);
		w->a30 = int_of(&c[9]);
		w->a60 = int_of(&c[10]);
		w->a90 = int_of(&c[11]);
		w->never = int_of(&c[12]);
		w->unused = w->seats - w->a30 > 0 ? w->seats - w->a30 : 0;
		w->has_util = w->seats > 0;
		w->util =
		        w->has_util ? cli_ov_round1((double)w->a30 * 100.0 / (double)w->seats) : 0;
		if (w->has_price) {
			w->cost = round((double)w->unused * w->price * 100.0) / 100.0;
			ov->any_price = true;
		}
		if (strcmp(w->state, "auth_failed") == 0 || strcmp(w->state, "failing") == 0) {
			w->health = w->state[0] == 'a' ? OV_AUTH_FAILED : OV_FAILING;
			w->health_since = w->since;
		} else if (strcmp(w->state, "disabled") == 0) {
			w->health = OV_DISABLED;
		} else if (w->last_success != NULL) {
			wall_s t;
			if (ts_parse(w->last_success, &t) == 0 && ov->now - t > 2 * w->interval_s) {
				w->health = OV_STALE;
				w->health_since = w->last_success;
			}
		}
		ov->n++;
	}
	return 0;
}

/*
 * ws->unused and n_unused: the channels of ov whose used[] is false, as
 * "A, B" (NULL when none). 0 or -1 (out of memory).
 */
static int build_unused(const struct overview *ov, struct ov_ws *ws, const bool *used)
{
	size_t len = 0;
	for (size_t i = 0; i < ov->nch; i++)
		if (!used[i])
			len += strlen(ov->ch[i].name) + 2;
	if (len == 0)
		return 0;
	ws->unused_list = malloc(len + 1);
	if (ws->unused_list == NULL)
		return -1;
	size_t at = 0;
	for (size_t i = 0; i < ov->nch; i++) {
		if (used[i])
			continue;
		size_t n = strlen(ov->ch[i].name);
		if (at > 0) {
			memcpy(ws->unused_list + at, ", ", 2);
			at += 2;
		}
		memcpy(ws->unused_list + at, ov->ch[i].name, n);
		at += n;
		ws->n_unused++;
	}
	ws->unused_list[at] = '\0';
	return 0;
}

/* The deliveries query: per workspace its channels' and OVERALL's totals, and the channels. */
static int load_channels(struct cli_db *db, const struct cli_opts *o, struct overview *ov,
                         char *err, size_t errlen)
{
	const struct cli_window *w = &ov->w;
	struct cli_bind b[] = {bind_text(w->prev_from), bind_text(w->from), bind_text(w->to),
	                       bind_text(o->workspace)};
	struct cli_section *s = cli_db_query(db, &ov->raw, "channels", NULL,
	                                     CLI_QUERY(CLI_SQL_OV_CHANNELS), b, 4, err, errlen);
	if (s == NULL)
		return -1;
	size_t cap = 0;
	/* The channels first (sorted), then each workspace's figures against them. */
	for (size_t r = 0; r < s->nrows; r++) {
		const struct cli_cell *c = cli_section_cell(s, r, 0);
		const char *ch = text_of(&c[1]);
		if (ch == NULL || find_ws(ov, text_of(&c[0])) == NULL || strcmp(ch, "OVERALL") == 0)
			continue;
		if (add_channel(ov, ch, &cap) != 0) {
			errbuf_set(err, errlen, "overview: out of memory");
			return -1;
		}
	}
	bool *used = calloc(ov->nch ? ov->nch : 1, sizeof(*used));
	if (used == NULL)
		goto nomem;
	for (size_t r = 0; r < s->nrows;) {
		const char *name = text_of(cli_section_cell(s, r, 0));
		struct ov_ws *ws = find_ws(ov, name);
		size_t end = r + 1;
		while (end < s->nrows && name != NULL &&
		       text_of(cli_section_cell(s, end, 0)) != NULL &&
		       strcmp(text_of(cli_section_cell(s, end, 0)), name) == 0)
			end++;
		if (ws == NULL) {
			r = end;
			continue;
		}
		memset(used, 0, ov->nch * sizeof(*used));
		for (size_t k = r; k < end; k++) {
			const struct cli_cell *c = cli_section_cell(s, k, 0);
			const char *ch = text_of(&c[1]);
			double cur = num_of(&c[2]), prev = num_of(&c[3]);
			if (ch == NULL)
				continue;
			if (strcmp(ch, "OVERALL") == 0) {
				ws->has_overall = true;
				ws->del_cur = cur;
				ws->del_prev = prev;
				continue;
			}
			bool found;
			size_t i = find_channel(ov, ch, &found);
			ov->ch[i].cur += cur;
			ov->ch[i].prev += prev;
			ws->ch_cur += cur;
			ws->ch_prev += prev;
			if (cur > 0) {
				used[i] = true;
				ov->ch[i].using ++;
			}
			if (prev > 0 && cur < prev) {
				double pct = (cur - prev) * 100.0 / prev, drop = prev - cur;
				if (ws->falling == NULL || pct < ws->falling_pct ||
				    (pct == ws->falling_pct && drop > ws->falling_drop)) {
					ws->falling = ch;
					ws->falling_pct = pct;
					ws->falling_drop = drop;
				}
			}
		}
		if (!ws->has_overall) {
			ws->del_cur = ws->ch_cur;
			ws->del_prev = ws->ch_prev;
		}
		r = end;
		ws->has_stats = true;
		ov->n_stats++;
		if (build_unused(ov, ws, used) != 0)
			goto nomem;
	}
	free(used);
	return 0;
nomem:
	free(used);
	errbuf_set(err, errlen, "overview: out of memory");
	return -1;
}

static int load_dau(struct cli_db *db, const struct cli_opts *o, struct overview *ov, char *err,
                    size_t errlen)
{
	const struct cli_window *w = &ov->w;
	struct cli_bind b[] = {bind_text(w->prev_from), bind_text(w->from), bind_text(w->to),
	                       bind_text(o->workspace)};
	struct cli_section *s = cli_db_query(db, &ov->raw, "dau", NULL, CLI_QUERY(CLI_SQL_OV_DAU),
	                                     b, 4, err, errlen);
	if (s == NULL)
		return -1;
	for (size_t r = 0; r < s->nrows; r++) {
		const struct cli_cell *c = cli_section_cell(s, r, 0);
		struct ov_ws *ws = find_ws(ov, text_of(&c[0]));
		if (ws == NULL)
			continue;
		ws->dau_cur = num_of(&c[1]);
		ws->dau_cur_days = int_of(&c[2]);
		ws->dau_prev = num_of(&c[3]);
		ws->dau_prev_days = int_of(&c[4]);
	}
	return 0;
}

static int load_daily(struct cli_db *db, const struct cli_opts *o, struct overview *ov, char *err,
                      size_t errlen)
{
	ov->spark_days = (ov->w.days + CLI_OV_SPARK_POINTS - 1) / CLI_OV_SPARK_POINTS;
	struct cli_bind b[] = {bind_text(ov->w.from),
	                       bind_text(ov->w.to),
	                       bind_text(o->workspace),
	                       {.kind = CLI_BIND_INT, .i = ov->spark_days}};
	struct cli_section *s = cli_db_query(db, &ov->raw, "daily", NULL,
	                                     CLI_QUERY(CLI_SQL_OV_DAILY), b, 4, err, errlen);
	if (s == NULL)
		return -1;
	ov->daily = s;
	for (size_t r = 0; r < s->nrows;) {
		const char *name = text_of(cli_section_cell(s, r, 0));
		size_t end = r + 1;
		while (end < s->nrows && name != NULL &&
		       text_of(cli_section_cell(s, end, 0)) != NULL &&
		       strcmp(text_of(cli_section_cell(s, end, 0)), name) == 0)
			end++;
		struct ov_ws *ws = find_ws(ov, name);
		if (ws != NULL) {
			ws->day_first = r;
			ws->day_n = end - r;
		}
		r = end;
	}
	return 0;
}

int cli_overview_load(struct cli_db *db, const struct cli_opts *o, wall_s now, bool daily,
                      struct overview *ov, char *err, size_t errlen)
{
	memset(ov, 0, sizeof(*ov));
	ov->now = now;
	cli_window_make(now, o->days, &ov->w);
	if (load_workspaces(db, o, ov, err, errlen) != 0 ||
	    load_channels(db, o, ov, err, errlen) != 0 || load_dau(db, o, ov, err, errlen) != 0 ||
	    (daily && load_daily(db, o, ov, err, errlen) != 0))
		return -1;
	return 0;
}

void cli_overview_free(struct overview *ov)
{
	for (size_t i = 0; i < ov->n; i++)
		free(ov->ws[i].unused_list);
	free(ov->ws);
	free(ov->ch);
	cli_result_free(&ov->raw);
	memset(ov, 0, sizeof(*ov));
}

/* ---- rankings ---- */

/* qsort has no argument for its comparison: the overview and key of the ranking being sorted. */

enum rank_key {
	RK_NAME,
	RK_UNUSED,
	RK_COST,
	RK_UTIL,
	RK_DELIVERIES,
	RK_DAU,
	RK_CHANNELS,
	RK_HEALTH
};

static const struct overview *rank_ov;
static enum rank_key rank_key;

/* a before b: -1; after: 1; by a flag "has a value" (those first), then v ascending. */
static int cmp_opt(bool ha, double va, bool hb, double vb)
{
	if (ha != hb)
		return ha ? -1 : 1;
	if (!ha || va == vb)
		return 0;
	return va < vb ? -1 : 1;
}

static int cmp_rank(const void *pa, const void *pb)
{
	const struct ov_ws *a = &rank_ov->ws[*(const size_t *)pa];
	const struct ov_ws *b = &rank_ov->ws[*(const size_t *)pb];
	int c = 0;
	double x = 0, y = 0;
	bool hx, hy;
	switch (rank_key) {
	case RK_UNUSED:
		c = a->unused == b->unused ? 0 : (a->unused > b->unused ? -1 : 1);
		break;
	case RK_COST:
		c = cmp_opt(a->has_price, -a->cost, b->has_price, -b->cost);
		if (c == 0)
			c = a->unused == b->unused ? 0 : (a->unused > b->unused ? -1 : 1);
		break;
	case RK_UTIL:
		c = cmp_opt(a->has_util, a->util, b->has_util, b->util);
		break;
	case RK_DELIVERIES:
		hx = cli_ov_change(a->del_cur, a->del_prev, &x);
		hy = cli_ov_change(b->del_cur, b->del_prev, &y);
		c = cmp_opt(hx, x, hy, y);
		break;
	case RK_DAU: {
		double ma = 0, pa2 = 0, mb = 0, pb2 = 0;
		bool ok_a = cli_ov_mean(a->dau_cur, a->dau_cur_days, &ma) &&
		            cli_ov_mean(a->dau_prev, a->dau_prev_days, &pa2);
		bool ok_b = cli_ov_mean(b->dau_cur, b->dau_cur_days, &mb) &&
		            cli_ov_mean(b->dau_prev, b->dau_prev_days, &pb2);
		hx = ok_a && cli_ov_change(ma, pa2, &x);
		hy = ok_b && cli_ov_change(mb, pb2, &y);
		c = cmp_opt(hx, x, hy, y);
		break;
	}
	case RK_CHANNELS:
		c = a->n_unused == b->n_unused ? 0 : (a->n_unused > b->n_unused ? -1 : 1);
		if (c == 0)
			c = cmp_opt(a->falling != NULL, a->falling_pct, b->falling != NULL,
			            b->falling_pct);
		break;
	case RK_HEALTH:
		c = a->health == b->health ? 0 : (a->health < b->health ? -1 : 1);
		if (c == 0 && (a->health_since != NULL) != (b->health_since != NULL))
			c = a->health_since != NULL ? -1 : 1;
		if (c == 0 && a->health_since != NULL)
			c = strcmp(a->health_since, b->health_since);
		break;
	case RK_NAME:
	default:
		break;
	}
	return c != 0 ? c : strcmp(a->name, b->name);
}

size_t *cli_ov_rank(const struct overview *ov, const char *ranking, const char *sort, size_t *n)
{
	enum rank_key key = RK_NAME;
	bool by_name = sort != NULL && strcmp(sort, "name") == 0;
	if (strcmp(ranking, "seats") == 0) {
		key = ov->any_price ? RK_COST : RK_UNUSED;
		if (sort != NULL && strcmp(sort, "unused") == 0)
			key = RK_UNUSED;
		else if (sort != NULL && strcmp(sort, "cost") == 0)
			key = RK_COST;
		else if (sort != NULL && strcmp(sort, "utilization") == 0)
			key = RK_UTIL;
	} else if (strcmp(ranking, "trend") == 0) {
		key = sort != NULL && strcmp(sort, "dau") == 0 ? RK_DAU : RK_DELIVERIES;
	} else if (strcmp(ranking, "channels") == 0) {
		key = RK_CHANNELS;
	} else if (strcmp(ranking, "health") == 0) {
		key = RK_HEALTH;
	}
	if (by_name)
		key = RK_NAME;
	size_t *idx = malloc((ov->n ? ov->n : 1) * sizeof(*idx));
	if (idx == NULL)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < ov->n; i++)
		if (strcmp(ranking, "health") != 0 || ov->ws[i].health != OV_OK)
			idx[k++] = i;
	rank_ov = ov;
	rank_key = key;
	qsort(idx, k, sizeof(*idx), cmp_rank);
	*n = k;
	return idx;
}

/* ---- sections ---- */

/* A total as an integer when it is one (below 2^53), else a real. */
static void set_total(struct cli_cell *c, double v)
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		cli_cell_set_int(c, (int64_t)v);
	else
		cli_cell_set_real(c, v);
}

static void set_opt_real(struct cli_cell *c, bool has, double v)
{
	if (has)
		cli_cell_set_real(c, v);
}

/* Text into a cell; -1 when out of memory. */
static int set_text(struct cli_cell *c, const char *s)
{
	return s == NULL ? 0 : cli_cell_set_text(c, s, strlen(s));
}

struct sec_ctx {
	struct cli_result *r;
	const struct overview *ov;
	const struct cli_opts *o;
	size_t limit;
	char *err;
	size_t errlen;
};

/* The footer of a ranking cut at the limit: "20 of 10000 shown (--limit 0 for all)". */
static int footer_shown(struct cli_section *s, size_t shown, size_t total)
{
	if (shown == total)
		return 0;
	char line[128];
	snprintf(line, sizeof(line), "%zu of %zu shown (--limit 0 for all)", shown, total);
	return cli_section_set_footer(s, line);
}

static int sec_health(struct sec_ctx *x)
{
	static const char *const cols[] = {"workspace", "health", "since", "last_success",
	                                   "reason"};
	struct cli_section *s =
	        cli_result_add(x->r, "health", "Needs attention", 5, cols, x->err, x->errlen);
	size_t n;
	size_t *idx = s ? cli_ov_rank(x->ov, "health", x->o->sort, &n) : NULL;
	if (idx == NULL)
		return -1;
	size_t shown = x->limit && n > x->limit ? x->limit : n;
	int rc = 0;
	for (size_t k = 0; k < shown && rc == 0; k++) {
		const struct ov_ws *w = &x->ov->ws[idx[k]];
		struct cli_cell *c = cli_section_add_row(s, x->err, x->errlen);
		if (c == NULL) {
			rc = -1;
			break;
		}
		rc |= set_text(&c[0], w->name) | set_text(&c[1], cli_ov_health_name(w->health)) |
		      set_text(&c[2], w->health_since) | set_text(&c[3], w->last_success) |
		      set_text(&c[4], w->reason);
	}
	rc |= footer_shown(s, shown, n);
	free(idx);
	return rc;
}

static int sec_seats(struct sec_ctx *x)
{
	static const char *const cols[] = {"workspace",   "seats",           "active_30d",
	                                   "active_60d",  "active_90d",      "never_logged_in",
	                                   "unused",      "utilization_pct", "seat_price",
	                                   "unused_cost", "currency"};
	size_t ncols = x->ov->any_price ? 11 : 8;
	struct cli_section *s = cli_result_add(
	        x->r, "seats",
	        x->ov->any_price ? "Seats nobody used in 30 days, and their cost per month"
	                         : "Seats nobody used in 30 days",
	        ncols, cols, x->err, x->errlen);
	size_t n;
	size_t *idx = s ? cli_ov_rank(x->ov, "seats", x->o->sort, &n) : NULL;
	if (idx == NULL)
		return -1;
	size_t shown = x->limit && n > x->limit ? x->limit : n;
	int rc = 0;
	for (size_t k = 0; k < shown && rc == 0; k++) {
		const struct ov_ws *w = &x->ov->ws[idx[k]];
		struct cli_cell *c = cli_section_add_row(s, x->err, x->errlen);
		if (c == NULL) {
			rc = -1;
			break;
		}
		rc |= set_text(&c[0], w->name);
		cli_cell_set_int(&c[1], w->seats);
		cli_cell_set_int(&c[2], w->a30);
		cli_cell_set_int(&c[3], w->a60);
		cli_cell_set_int(&c[4], w->a90);
		cli_cell_set_int(&c[5], w->never);
		cli_cell_set_int(&c[6], w->unused);
		set_opt_real(&c[7], w->has_util, w->util);
		if (ncols > 8 && w->has_price) {
			cli_cell_set_real(&c[8], w->price);
			cli_cell_set_real(&c[9], w->cost);
			rc |= set_text(&c[10], w->currency);
		}
	}
	rc |= footer_shown(s, shown, n);
	free(idx);
	return rc;
}

static int sec_trend(struct sec_ctx *x)
{
	static const char *const cols[] = {"workspace",         "deliveries", "deliveries_prev",
	                                   "deliveries_change", "dau",        "dau_prev",
	                                   "dau_change"};
	char title[512];
	snprintf(title, sizeof(title),
	         "Deliveries and mean daily active users, %s .. %s against %s .. %s", x->ov->w.from,
	         x->ov->w.to, x->ov->w.prev_from, x->ov->w.prev_to);
	struct cli_section *s = cli_result_add(x->r, "trend", title, 7, cols, x->err, x->errlen);
	size_t n;
	size_t *idx = s ? cli_ov_rank(x->ov, "trend", x->o->sort, &n) : NULL;
	if (idx == NULL)
		return -1;
	size_t shown = x->limit && n > x->limit ? x->limit : n;
	int rc = 0;
	for (size_t k = 0; k < shown && rc == 0; k++) {
		const struct ov_ws *w = &x->ov->ws[idx[k]];
		struct cli_cell *c = cli_section_add_row(s, x->err, x->errlen);
		if (c == NULL) {
			rc = -1;
			break;
		}
		double v = 0, m = 0, p = 0;
		rc |= set_text(&c[0], w->name);
		set_total(&c[1], w->del_cur);
		set_total(&c[2], w->del_prev);
		bool has_v = cli_ov_change(w->del_cur, w->del_prev, &v);
		set_opt_real(&c[3], has_v, v);
		bool hm = cli_ov_mean(w->dau_cur, w->dau_cur_days, &m);
		bool hp = cli_ov_mean(w->dau_prev, w->dau_prev_days, &p);
		set_opt_real(&c[4], hm, m);
		set_opt_real(&c[5], hp, p);
		has_v = hm && hp && cli_ov_change(m, p, &v);
		set_opt_real(&c[6], has_v, v);
	}
	rc |= footer_shown(s, shown, n);
	free(idx);
	return rc;
}

static int sec_channels(struct sec_ctx *x)
{
	static const char *const cols[] = {"workspace", "unused_channels", "unused",
	                                   "falling_channel", "falling_change"};
	struct cli_section *s = cli_result_add(
	        x->r, "channels",
	        "Channels without deliveries in the window, and the one that fell most", 5, cols,
	        x->err, x->errlen);
	size_t n;
	size_t *idx = s ? cli_ov_rank(x->ov, "channels", x->o->sort, &n) : NULL;
	if (idx == NULL)
		return -1;
	size_t shown = x->limit && n > x->limit ? x->limit : n;
	int rc = 0;
	for (size_t k = 0; k < shown && rc == 0; k++) {
		const struct ov_ws *w = &x->ov->ws[idx[k]];
		struct cli_cell *c = cli_section_add_row(s, x->err, x->errlen);
		if (c == NULL) {
			rc = -1;
			break;
		}
		rc |= set_text(&c[0], w->name);
		cli_cell_set_int(&c[1], (int64_t)w->n_unused);
		rc |= set_text(&c[2], w->unused_list);
		rc |= set_text(&c[3], w->falling);
		set_opt_real(&c[4], w->falling != NULL, cli_ov_round1(w->falling_pct));
	}
	rc |= footer_shown(s, shown, n);
	free(idx);
	return rc;
}

static int sec_channel_totals(struct sec_ctx *x)
{
	static const char *const cols[] = {"channel",    "workspaces_using", "workspaces_not_using",
	                                   "deliveries", "deliveries_prev",  "deliveries_change"};
	struct cli_section *s =
	        cli_result_add(x->r, "channel_totals", "Channels across the workspaces", 6, cols,
	                       x->err, x->errlen);
	if (s == NULL)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < x->ov->nch && rc == 0; i++) {
		const struct ov_channel *ch = &x->ov->ch[i];
		struct cli_cell *c = cli_section_add_row(s, x->err, x->errlen);
		if (c == NULL)
			return -1;
		double v = 0;
		rc |= set_text(&c[0], ch->name);
		cli_cell_set_int(&c[1], ch->using);
		cli_cell_set_int(&c[2], (int64_t)x->ov->n_stats - ch->using);
		set_total(&c[3], ch->cur);
		set_total(&c[4], ch->prev);
		bool has_v = cli_ov_change(ch->cur, ch->prev, &v);
		set_opt_real(&c[5], has_v, v);
	}
	return rc;
}

/* The totals of the overview, as cli_cmd_overview's summary and the page's head use them. */
struct ov_totals {
	int64_t seats, a30, unused, never, health[5], shrinking, unused_channels, unpriced;
	double del_cur, del_prev, dau_cur, dau_prev;
};

static void totals(const struct overview *ov, struct ov_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < ov->n; i++) {
		const struct ov_ws *w = &ov->ws[i];
		double m = 0, v = 0;
		t->seats += w->seats;
		t->a30 += w->a30;
		t->unused += w->unused;
		t->never += w->never;
		t->health[w->health]++;
		t->del_cur += w->del_cur;
		t->del_prev += w->del_prev;
		if (cli_ov_mean(w->dau_cur, w->dau_cur_days, &m))
			t->dau_cur += m;
		if (cli_ov_mean(w->dau_prev, w->dau_prev_days, &m))
			t->dau_prev += m;
		if (cli_ov_change(w->del_cur, w->del_prev, &v) && v < 0)
			t->shrinking++;
		if (w->n_unused > 0)
			t->unused_channels++;
		if (!w->has_price)
			t->unpriced++;
	}
}

/* One row of the summary: figure, value (set by the caller through *value), unit. */
static struct cli_cell *summary_row(struct cli_section *s, const char *figure, const char *unit,
                                    int *rc, char *err, size_t errlen)
{
	struct cli_cell *c = cli_section_add_row(s, err, errlen);
	if (c == NULL) {
		*rc = -1;
		return NULL;
	}
	*rc |= set_text(&c[0], figure) | set_text(&c[2], unit);
	return &c[1];
}

#define SUMMARY_INT(name, v, unit)                                                                 \
	do {                                                                                       \
		struct cli_cell *c_ = summary_row(s, name, unit, &rc, x->err, x->errlen);          \
		if (c_ == NULL)                                                                    \
			return -1;                                                                 \
		cli_cell_set_int(c_, v);                                                           \
	} while (0)

static int sec_summary(struct sec_ctx *x)
{
	static const char *const cols[] = {"figure", "value", "unit"};
	const struct overview *ov = x->ov;
	char title[512];
	snprintf(title, sizeof(title), "Overview of %zu workspace%s, %s .. %s (%d day%s)", ov->n,
	         ov->n == 1 ? "" : "s", ov->w.from, ov->w.to, ov->w.days,
	         ov->w.days == 1 ? "" : "s");
	struct cli_section *s = cli_result_add(x->r, "summary", title, 3, cols, x->err, x->errlen);
	if (s == NULL)
		return -1;
	struct ov_totals t;
	totals(ov, &t);
	int rc = 0;
	double v = 0;
	struct cli_cell *c;
	SUMMARY_INT("workspaces", (int64_t)ov->n, "workspaces");
	SUMMARY_INT("seats", t.seats, "seats");
	SUMMARY_INT("active_30d", t.a30, "seats");
	SUMMARY_INT("unused_seats", t.unused, "seats");
	SUMMARY_INT("never_logged_in", t.never, "seats");
	if ((c = summary_row(s, "utilization", "%", &rc, x->err, x->errlen)) == NULL)
		return -1;
	if (t.seats > 0)
		cli_cell_set_real(c, cli_ov_round1((double)t.a30 * 100.0 / (double)t.seats));
	if (ov->any_price) {
		/* One total per currency, by currency code. */
		const char *last = "";
		for (;;) {
			const char *next = NULL;
			for (size_t i = 0; i < ov->n; i++) {
				const char *cur = ov->ws[i].currency ? ov->ws[i].currency : "";
				if (ov->ws[i].has_price && strcmp(cur, last) > 0 &&
				    (next == NULL || strcmp(cur, next) < 0))
					next = cur;
			}
			if (next == NULL)
				break;
			double sum = 0;
			for (size_t i = 0; i < ov->n; i++)
				if (ov->ws[i].has_price &&
				    strcmp(ov->ws[i].currency ? ov->ws[i].currency : "", next) == 0)
					sum += ov->ws[i].cost;
			char unit[32];
			snprintf(unit, sizeof(unit), "%s per month", next);
			if ((c = summary_row(s, "unused_seat_cost", unit, &rc, x->err,
			                     x->errlen)) == NULL)
				return -1;
			cli_cell_set_real(c, round(sum * 100.0) / 100.0);
			last = next;
		}
		SUMMARY_INT("workspaces_without_price", t.unpriced, "workspaces");
	}
	SUMMARY_INT("auth_failed", t.health[OV_AUTH_FAILED], "workspaces");
	SUMMARY_INT("failing", t.health[OV_FAILING], "workspaces");
	SUMMARY_INT("stale", t.health[OV_STALE], "workspaces");
	SUMMARY_INT("disabled", t.health[OV_DISABLED], "workspaces");
	if ((c = summary_row(s, "deliveries", "deliveries", &rc, x->err, x->errlen)) == NULL)
		return -1;
	set_total(c, t.del_cur);
	if ((c = summary_row(s, "deliveries_prev", "deliveries", &rc, x->err, x->errlen)) == NULL)
		return -1;
	set_total(c, t.del_prev);
	if ((c = summary_row(s, "deliveries_change", "%", &rc, x->err, x->errlen)) == NULL)
		return -1;
	bool has_v = cli_ov_change(t.del_cur, t.del_prev, &v);
	set_opt_real(c, has_v, v);
	if ((c = summary_row(s, "dau", "users", &rc, x->err, x->errlen)) == NULL)
		return -1;
	cli_cell_set_real(c, cli_ov_round1(t.dau_cur));
	if ((c = summary_row(s, "dau_prev", "users", &rc, x->err, x->errlen)) == NULL)
		return -1;
	cli_cell_set_real(c, cli_ov_round1(t.dau_prev));
	SUMMARY_INT("shrinking", t.shrinking, "workspaces");
	SUMMARY_INT("with_unused_channels", t.unused_channels, "workspaces");
	return rc;
}

int cli_overview_sections(const struct overview *ov, const struct cli_opts *o, size_t limit,
                          struct cli_result *r, char *err, size_t errlen)
{
	struct sec_ctx x = {r, ov, o, limit, err, errlen};
	err[0] = '\0';
	if (sec_summary(&x) != 0 || sec_health(&x) != 0 || sec_seats(&x) != 0 ||
	    sec_trend(&x) != 0 || sec_channels(&x) != 0 || sec_channel_totals(&x) != 0) {
		if (err[0] == '\0')
			errbuf_set(err, errlen, "overview: out of memory");
		return -1;
	}
	return 0;
}

int cli_cmd_overview(struct cli_db *db, const struct cli_opts *o, wall_s now, struct cli_result *r,
                     char *err, size_t errlen)
{
	struct overview ov;
	int rc = cli_overview_load(db, o, now, false, &ov, err, errlen);
	if (rc == 0) {
		size_t limit = o->limit >= 0 ? (size_t)o->limit
		                             : (o->format == CLI_FMT_TABLE ? CLI_LIMIT_TABLE : 0);
		rc = cli_overview_sections(&ov, o, limit, r, err, errlen);
	}
	cli_overview_free(&ov);
	return rc;
}
