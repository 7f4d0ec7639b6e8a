/*
 * data.c: the data function. Every value wesim serves is computed here
 * from (seed, license code, revision, day, channel, index, metric) with
 * H() of hash.c; nothing is stored and nothing depends on the clock, so
 * the server and --expect agree by construction and two runs with the
 * same seed serve the same bytes. L below is fnv(license code); "rev" is
 * the account's revision. The formulas are documented, one for one, in
 * docs/wesim.md, "The data function".
 *
 * Reals are multiples of 0.25 below 1e8, held as a count of quarters, so
 * that every printer (jansson, SQLite, ours) writes them identically.
 */
#include "wesim.h"

#include <stdio.h>
#include <string.h>

#define BASE_CREATED 1704067200 /* 2024-01-01T00:00:00Z */
#define BASE_LOGIN   1748736000 /* 2025-06-01T00:00:00Z */

static const char *const adjectives[] = {
        "Winter",
        "Summer",
        "Flash",
        "Weekend",
        "Festive",
        "Diwali \"Mega\"",
        "Caf\xc3\xa9 \xe2\x98\x95",
        "Back\\slash",
        "Welcome",
        "Win-back",
        "Cart",
        "Price-drop",
        "New arrivals",
        "Loyalty",
        "Ramadan",
        "Black Friday",
};
static const char *const nouns[] = {"sale",  "offer", "reminder", "digest",
                                    "nudge", "alert", "drop",     "update"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* First and last names: shown form and the ASCII form used in e-mails. */
static const char *const firsts[][2] = {
        {"Ana", "ana"},
        {"Bruno", "bruno"},
        {"Chen", "chen"},
        {"Dara", "dara"},
        {"\xc3\x89mile", "emile"},
        {"Fatima", "fatima"},
        {"Giorgos", "giorgos"},
        {"Hana", "hana"},
        {"Ivan", "ivan"},
        {"Jun", "jun"},
        {"Kofi", "kofi"},
        {"Luc\xc3\xad"
         "a",
         "lucia"},
        {"Mehmet", "mehmet"},
        {"Nadia", "nadia"},
        {"Omar", "omar"},
        {"Priya", "priya"},
};
static const char *const lasts[][2] = {
        {"Silva", "silva"},
        {"O'Brien", "obrien"},
        {"Nakamura", "nakamura"},
        {"M\xc3\xbcller", "muller"},
        {"Okafor", "okafor"},
        {"Sharma", "sharma"},
        {"Kowalski", "kowalski"},
        {"Garc\xc3\xad"
         "a",
         "garcia"},
        {"Haddad", "haddad"},
        {"Nguyen", "nguyen"},
};
static const char *const roles[] = {"ADMIN", "MANAGER", "MARKETER", "ANALYST"};

/* Offsets (minutes east of UTC) used by styles 0 and 2. */
static const int offsets0[4] = {0, 330, 60, 540};
static const int offsets2[4] = {330, 0, 120, 345};

bool data_channel_enabled(const struct wsim_account *a, int ch)
{
	return ch == CH_OVERALL || !(a->disabled & (1u << ch));
}

/* A real of q quarters as served: an integer when whole and the account prints so. */
static struct wsim_num real_q(const struct wsim_account *a, int64_t q)
{
	if ((a->traits & TRAIT_JSNUM) && q % 4 == 0)
		return (struct wsim_num){NUM_INT, q / 4};
	return (struct wsim_num){NUM_REAL, q};
}

static struct wsim_num integer(int64_t v)
{
	return (struct wsim_num){NUM_INT, v};
}

/*
 * An instant from hash h: minute m = h mod span_min after base; style =
 * (h >> 32) mod 3; offset table entry (h >> 40) mod 4; second (h >> 48) mod
 * 60, or 0 for style 0 (it has no seconds); milliseconds (h >> 54) mod 1000
 * shown by style 2 (and dropped by readers).
 */
static void make_ts(uint64_t h, int64_t base, uint64_t span_min, int64_t shift, struct wsim_ts *t)
{
	int style = (int)((h >> 32) % 3);
	int oi = (int)((h >> 40) % 4);
	int64_t sec = style == 0 ? 0 : (int64_t)((h >> 48) % 60);
	int ms = (int)((h >> 54) % 1000);
	t->kind = TS_VALUE;
	t->epoch = base + (int64_t)(h % span_min) * 60 + sec + shift;
	wsim_format_api(t->epoch, style, style == 0 ? offsets0[oi] : offsets2[oi], ms, t->text);
}

/*
 * The number of campaigns of channel ch: g = H(seed, "ncamp", L, ch);
 * g mod 10 = 0: none; 1..5: 1 + (g >> 8) mod 60; 6..8: 61 + (g >> 8) mod
 * 240; 9: 501 + (g >> 8) mod 700. Independent of the revision and of
 * whether the channel is enabled.
 */
uint32_t data_campaign_count(uint64_t seed, const struct wsim_account *a, int ch)
{
	uint64_t g = wsim_hash(seed, "ncamp", a->lch, (uint64_t)ch, 0, 0);
	unsigned b = (unsigned)(g % 10);
	uint64_t r = g >> 8;
	if (b == 0)
		return 0;
	if (b <= 5)
		return 1 + (uint32_t)(r % 60);
	if (b <= 8)
		return 61 + (uint32_t)(r % 240);
	return 501 + (uint32_t)(r % 700);
}

/* Campaign j (0-based list position) of channel ch into *out. See docs/wesim.md. */
void data_campaign(uint64_t seed, const struct wsim_account *a, int ch, uint32_t j,
                   struct wsim_campaign *out)
{
	const uint64_t L = a->lch, cj = ((uint64_t)ch << 32) | j, rev = a->revision;
	memset(out, 0, sizeof(*out));
	uint64_t h = wsim_hash(seed, "camp", L, cj, 0, 0);
	snprintf(out->id, sizeof(out->id), "~%08x",
	         wsim_perm32(j, wsim_hash(seed, "cid", L, (uint64_t)ch, 0, 0)));
	snprintf(out->title, sizeof(out->title), "%s %s #%u", adjectives[h % NELEM(adjectives)],
	         nouns[(h >> 8) % NELEM(nouns)], j + 1);
	static const char *const st[10] = {"RUNNING",   "RUNNING",   "RUNNING",   "COMPLETED",
	                                   "COMPLETED", "COMPLETED", "COMPLETED", "PAUSED",
	                                   "DRAFT",     "SCHEDULED"};
	out->status = st[(h >> 16) % 10];
	out->category = (h >> 24) % 3 == 0 ? "TRANSACTIONAL" : "PROMOTIONAL";
	bool draft = strcmp(out->status, "DRAFT") == 0;

	uint64_t hc = wsim_hash(seed, "created", L, cj, 0, 0);
	if (wsim_hash(seed, "created.null", L, cj, 0, 0) % 40 == 0)
		out->created_on.kind = TS_NULL;
	else
		make_ts(hc, BASE_CREATED, 730u * 1440u, 0, &out->created_on);
	if (draft) {
		out->start_date.kind = (h >> 30) & 1 ? TS_ABSENT : TS_NULL;
	} else {
		/* created plus up to 14 days; from the created minute even when createdOn is null */
		uint64_t hs = wsim_hash(seed, "start", L, cj, 0, 0);
		int64_t created_min = BASE_CREATED + (int64_t)(hc % (730u * 1440u)) * 60;
		make_ts(hs, created_min, 14u * 1440u, 0, &out->start_date);
	}

	if (draft) {
		out->stats = STATS_ABSENT;
	} else if (strcmp(out->status, "SCHEDULED") == 0) {
		out->stats = STATS_NULL;
	} else {
		out->stats = STATS_OBJECT;
		int64_t sent = 100 + (int64_t)(wsim_hash(seed, "sent", L, cj, 0, 0) % 500000);
		int64_t deliv =
		        sent -
		        sent * (int64_t)(wsim_hash(seed, "delivered", L, cj, rev, 0) % 10) / 100;
		int64_t clicks =
		        deliv * (int64_t)(wsim_hash(seed, "clicks", L, cj, rev, 0) % 15) / 100;
		int64_t conv =
		        clicks * (int64_t)(wsim_hash(seed, "conv", L, cj, rev, 0) % 30) / 100;
		int64_t q = conv * (int64_t)(wsim_hash(seed, "revenue", L, cj, rev, 0) % 4000);
		uint64_t hm = wsim_hash(seed, "cmiss", L, cj, 0, 0);
		out->sent = integer(sent);
		out->delivered = hm % 10 == 0 ? (struct wsim_num){NUM_ABSENT, 0} : integer(deliv);
		out->clicks =
		        (hm >> 8) % 15 == 0 ? (struct wsim_num){NUM_NULL, 0} : integer(clicks);
		out->conversions =
		        (hm >> 24) % 20 == 0 ? (struct wsim_num){NUM_NULL, 0} : integer(conv);
		out->revenue = (ch == CH_SMS || (hm >> 16) % 8 == 0)
		                       ? (struct wsim_num){NUM_ABSENT, 0}
		                       : real_q(a, q);
	}
	out->click_singular = (a->traits & TRAIT_CLICK) != 0;
	out->extra =
	        (a->traits & TRAIT_EXTRA) && ((h >> 40) & 1) ? (uint8_t)(1 + ((h >> 41) & 1)) : 0;
}

/*
 * The number of current team members: g = H(seed, "nteam", L); g mod 20 =
 * 0: none; 1..13: 1 + (g >> 8) mod 40; 14..17: 41 + (g >> 8) mod 210;
 * 18..19: 501 + (g >> 8) mod 300. There are size + 1 candidates 0..size;
 * at revision r candidate r mod (size + 1) is absent (see data_member).
 */
uint32_t data_team_size(uint64_t seed, const struct wsim_account *a)
{
	uint64_t g = wsim_hash(seed, "nteam", a->lch, 0, 0, 0);
	unsigned b = (unsigned)(g % 20);
	uint64_t r = g >> 8;
	if (b == 0)
		return 0;
	if (b <= 13)
		return 1 + (uint32_t)(r % 40);
	if (b <= 17)
		return 41 + (uint32_t)(r % 210);
	return 501 + (uint32_t)(r % 300);
}

/*
 * The k-th current member (0-based list position, k < data_team_size) into
 * *out: candidate c = k when k < absent, else k + 1, where absent =
 * revision mod (size + 1). So between revisions r and r+1 candidate r mod
 * (size+1) comes back and candidate (r+1) mod (size+1) leaves.
 */
void data_member(uint64_t seed, const struct wsim_account *a, uint32_t k, struct wsim_member *out)
{
	uint32_t size = data_team_size(seed, a);
	uint32_t absent = a->revision % (size + 1);
	uint32_t c = k < absent ? k : k + 1;
	const uint64_t L = a->lch;
	uint64_t h = wsim_hash(seed, "member", L, c, 0, 0);
	memset(out, 0, sizeof(*out));
	size_t fi = h % NELEM(firsts), li = (h >> 8) % NELEM(lasts);
	snprintf(out->email, sizeof(out->email), "%s.%s.%u@example.com", firsts[fi][1],
	         lasts[li][1], c);
	out->name_null = (h >> 16) % 12 == 0;
	if (!out->name_null)
		snprintf(out->name, sizeof(out->name), "%s %s", firsts[fi][0], lasts[li][0]);
	out->role = roles[(h >> 20) % NELEM(roles)];
	unsigned s = (unsigned)((h >> 24) % 10);
	out->status = s == 0 ? "INVITED" : s == 1 ? "DISABLED" : "ACTIVE";
	if (s == 0 || (h >> 28) % 9 == 0) {
		out->last_login.kind = TS_NULL;
	} else {
		uint64_t hl = wsim_hash(seed, "login", L, c, 0, 0);
		int64_t shift = (hl >> 20) % 3 == 0 ? (int64_t)a->revision * 3600 : 0;
		make_ts(hl, BASE_LOGIN, 540u * 1440u, shift, &out->last_login);
	}
	out->extra = (a->traits & TRAIT_EXTRA) && ((h >> 32) & 1);
}

static const char *const stat_names[WSIM_STAT_METRICS] = {"users",  "campaigns", "deliveries",
                                                          "clicks", "revenue",   "goal"};

/* The six metrics of channel c on day, in quarters for revenue; false when inactive. */
static bool channel_day(uint64_t seed, const struct wsim_account *a, int c, int64_t day,
                        int64_t v[WSIM_STAT_METRICS])
{
	const uint64_t L = a->lch, C = (uint64_t)c, D = (uint64_t)day, R = a->revision;
	if (wsim_hash(seed, "act", L, C, D, 0) % 10 == 0)
		return false;
	int64_t users = 50 + (int64_t)(wsim_hash(seed, "s.users", L, C, D, 0) % 20000);
	int64_t camps = 1 + (int64_t)(wsim_hash(seed, "s.campaigns", L, C, D, 0) % 12);
	uint64_t hd = wsim_hash(seed, "s.deliveries", L, C, D, R);
	int64_t deliv = users * (int64_t)(1 + hd % 3) + (int64_t)((hd >> 32) % 100);
	int64_t clicks = deliv * (int64_t)(wsim_hash(seed, "s.clicks", L, C, D, R) % 9) / 100;
	int64_t goal = clicks * (int64_t)(wsim_hash(seed, "s.goal", L, C, D, R) % 25) / 100;
	int64_t q = goal * (int64_t)(wsim_hash(seed, "s.revenue", L, C, D, R) % 8000);
	v[0] = users;
	v[1] = camps;
	v[2] = deliv;
	v[3] = clicks;
	v[4] = q;
	v[5] = goal;
	return true;
}

static void fill_dim(const struct wsim_account *a, struct wsim_dim *d, const char *value,
                     const int64_t v[WSIM_STAT_METRICS])
{
	d->value = value;
	d->n = WSIM_STAT_METRICS;
	for (int m = 0; m < WSIM_STAT_METRICS; m++) {
		d->m[m].name = stat_names[m];
		d->m[m].v = m == 4 ? real_q(a, v[m]) : integer(v[m]);
	}
	d->extra = (a->traits & TRAIT_EXTRA) != 0;
}

/*
 * The dimensions the stats endpoint serves for day when the request names
 * the channels of mask requested (bit per enum wsim_channel), in serving
 * order: OVERALL (when requested; the sum of every enabled active channel,
 * requested or not), then each requested, enabled channel active that day,
 * in docs/api.md's order, then VIBER for accounts with TRAIT_VIBER on its active
 * days (served although never requested). Returns the count.
 */
int data_stats_dims(uint64_t seed, const struct wsim_account *a, int64_t day, uint16_t requested,
                    struct wsim_dim out[WSIM_MAX_DIMS])
{
	int64_t v[CH_COUNT][WSIM_STAT_METRICS];
	bool active[CH_COUNT] = {false};
	int64_t sum[WSIM_STAT_METRICS] = {0};
	for (int c = 1; c < CH_COUNT; c++) {
		if (!data_channel_enabled(a, c))
			continue;
		active[c] = channel_day(seed, a, c, day, v[c]);
		if (active[c])
			for (int m = 0; m < WSIM_STAT_METRICS; m++)
				sum[m] += v[c][m];
	}
	int n = 0;
	if (requested & 1u)
		fill_dim(a, &out[n++], wsim_channel_names[CH_OVERALL], sum);
	for (int c = 1; c < CH_COUNT; c++) {
		if (!(requested & (1u << c)) || !active[c])
			continue;
		struct wsim_dim *d = &out[n++];
		fill_dim(a, d, wsim_channel_names[c], v[c]);
		if (c == CH_WEBPERS && (a->traits & TRAIT_VIBER)) {
			uint64_t hi = wsim_hash(seed, "s.impressions", a->lch, (uint64_t)c,
			                        (uint64_t)day, 0);
			d->m[d->n].name = "impressions";
			d->m[d->n].v = integer(v[c][0] * (int64_t)(2 + hi % 4));
			d->n++;
		}
	}
	if ((a->traits & TRAIT_VIBER) &&
	    wsim_hash(seed, "v.act", a->lch, 0, (uint64_t)day, 0) % 3 != 0) {
		struct wsim_dim *d = &out[n++];
		int64_t users =
		        10 +
		        (int64_t)(wsim_hash(seed, "v.users", a->lch, 0, (uint64_t)day, 0) % 3000);
		int64_t impr =
		        users *
		        (int64_t)(1 + wsim_hash(seed, "v.impr", a->lch, 0, (uint64_t)day, 0) % 5);
		d->value = "VIBER";
		d->n = 2;
		d->m[0] = (struct wsim_metric){"users", integer(users)};
		d->m[1] = (struct wsim_metric){"impressions", integer(impr)};
		d->extra = (a->traits & TRAIT_EXTRA) != 0;
	}
	return n;
}

/*
 * The value of DAU (metric 0), WAU (1) or MAU (2) of platform on day into
 * *value: 1 when served, 0 when the platform does not exist for the
 * account or that day's value is missing (H(seed, "au.miss", L, 4p+m,
 * day) mod 12 = 0). dau = 100 + H("au.dau", L, p, day) mod 50000, wau =
 * dau * (2 + H("au.wau") mod 3), mau = wau * (2 + H("au.mau") mod 2).
 */
int data_au_value(uint64_t seed, const struct wsim_account *a, int platform, int metric,
                  int64_t day, int64_t *value)
{
	const uint64_t L = a->lch, P = (uint64_t)platform, D = (uint64_t)day;
	if (!(a->platforms & (1u << platform)))
		return 0;
	if (wsim_hash(seed, "au.miss", L, P * 4 + (uint64_t)metric, D, 0) % 12 == 0)
		return 0;
	int64_t dau = 100 + (int64_t)(wsim_hash(seed, "au.dau", L, P, D, 0) % 50000);
	int64_t wau = dau * (int64_t)(2 + wsim_hash(seed, "au.wau", L, P, D, 0) % 3);
	int64_t mau = wau * (int64_t)(2 + wsim_hash(seed, "au.mau", L, P, D, 0) % 2);
	*value = metric == 0 ? dau : metric == 1 ? wau : mau;
	return 1;
}
