/*
 * accounts.c: the simulated workspaces. --workspaces N creates accounts
 * ws-0001 .. ws-N whose license codes and keys are functions of the seed
 * and the account number, and whose traits (which channels are disabled,
 * "click" for "clicks", unknown fields, the unknown channel, how whole
 * reals are printed, which platforms exist) are functions of the seed and
 * the license code, so that an account keeps its data when only its key
 * changes. The name tables of channels, endpoints and platforms live here
 * too. Formulas: docs/wesim.md, "Accounts".
 */
#include "wesim.h"

#include <stdlib.h>
#include <string.h>

const char *const wsim_channel_names[CH_COUNT] = {
        "OVERALL",
        "PUSH_NOTIFICATION",
        "IN_APP_NOTIFICATION",
        "SMS",
        "ON_SITE_NOTIFICATION",
        "WEB_PUSH",
        "EMAIL",
        "WHATSAPP",
        "WEB_PERSONALIZATION",
        "RCS",
};

const char *const wsim_endpoint_names[EP_COUNT] = {
        "probe",          "stats",    "push-notifications", "in-app-notifications", "sms-messages",
        "email-messages", "web-push", "whatsapp-messages",  "publisher-metrics",    "team-members",
        "unknown",
};

const struct wsim_campaign_path wsim_campaign_paths[WSIM_CAMPAIGN_PATHS] = {
        {"push-notifications", CH_PUSH, EP_CAMP_PUSH},
        {"in-app-notifications", CH_INAPP, EP_CAMP_INAPP},
        {"sms-messages", CH_SMS, EP_CAMP_SMS},
        {"email-messages", CH_EMAIL, EP_CAMP_EMAIL},
        {"web-push", CH_WEBPUSH, EP_CAMP_WEBPUSH},
        {"whatsapp-messages", CH_WHATSAPP, EP_CAMP_WHATSAPP},
};

const char *const wsim_platform_names[WSIM_PLATFORMS] = {"android", "ios", "web"};
const char *const wsim_au_names[WSIM_AU_METRICS] = {"DAU", "WAU", "MAU"};

int wsim_channel_from_name(const char *s, size_t n)
{
	for (int c = 0; c < CH_COUNT; c++)
		if (strlen(wsim_channel_names[c]) == n && memcmp(wsim_channel_names[c], s, n) == 0)
			return c;
	return -1;
}

const struct wsim_campaign_path *wsim_campaign_by_endpoint(int ep)
{
	for (int i = 0; i < WSIM_CAMPAIGN_PATHS; i++)
		if ((int)wsim_campaign_paths[i].endpoint == ep)
			return &wsim_campaign_paths[i];
	return NULL;
}

const struct wsim_campaign_path *wsim_campaign_by_channel(int ch)
{
	for (int i = 0; i < WSIM_CAMPAIGN_PATHS; i++)
		if ((int)wsim_campaign_paths[i].channel == ch)
			return &wsim_campaign_paths[i];
	return NULL;
}

static void hex(uint64_t v, int digits_, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (int i = digits_ - 1; i >= 0; i--) {
		out[i] = hx[v & 0xf];
		v >>= 4;
	}
	out[digits_] = '\0';
}

/*
 * The traits of an account from (seed, lc); with default_disabled also the
 * seed's choice of disabled channels (an accounts file may override it).
 * Each non-OVERALL channel is disabled with probability 1/5, "click" is
 * used by 1/4 of the accounts, unknown fields by 1/3, the unknown channel
 * VIBER by 1/4, integer-printed whole reals by 1/5; android, ios and web
 * exist with probabilities 85%, 60% and 70%.
 */
void accounts_derive(uint64_t seed, struct wsim_account *a, bool default_disabled)
{
	uint64_t L = wsim_fnv_str(a->lc);
	a->lch = L;
	a->traits = 0;
	if (wsim_hash(seed, "click", L, 0, 0, 0) % 4 == 0)
		a->traits |= TRAIT_CLICK;
	if (wsim_hash(seed, "extra", L, 0, 0, 0) % 3 == 0)
		a->traits |= TRAIT_EXTRA;
	if (wsim_hash(seed, "viber", L, 0, 0, 0) % 4 == 0)
		a->traits |= TRAIT_VIBER;
	if (wsim_hash(seed, "jsnum", L, 0, 0, 0) % 5 == 0)
		a->traits |= TRAIT_JSNUM;
	static const unsigned plat_pct[WSIM_PLATFORMS] = {85, 60, 70};
	a->platforms = 0;
	for (int p = 0; p < WSIM_PLATFORMS; p++)
		if (wsim_hash(seed, "plat", L, (uint64_t)p, 0, 0) % 100 < plat_pct[p])
			a->platforms |= (uint8_t)(1u << p);
	if (default_disabled) {
		a->disabled = 0;
		for (int c = 1; c < CH_COUNT; c++)
			if (wsim_hash(seed, "off", L, (uint64_t)c, 0, 0) % 100 < 20)
				a->disabled |= (uint16_t)(1u << c);
	}
}

/* A small open-addressing set of 32-bit values for the license code draw. */
static bool set_add(uint32_t *slots, uint32_t *used, uint32_t cap, uint32_t v)
{
	uint32_t i = (uint32_t)wsim_mix(v) & (cap - 1);
	while (used[i]) {
		if (slots[i] == v)
			return false;
		i = (i + 1) & (cap - 1);
	}
	used[i] = 1;
	slots[i] = v;
	return true;
}

/*
 * Create n accounts (1..WSIM_MAX_ACCOUNTS) into *out: account i (1-based)
 * is named ws-%04d, its license code is the first 8-hex-digit value
 * hex8(H(seed, "lc", i, attempt) >> 32), attempt = 0, 1, ..., not taken by
 * an earlier account, its key hex16(H(seed, "key", i, 0)) hex16(H(seed,
 * "key", i, 1)); revision 0, not revoked, rate_limit as given. Builds the
 * indexes. Returns 0, or -1 with err; *out is then empty. The caller owns
 * *out (accounts_free).
 */
int accounts_generate(uint64_t seed, uint32_t n, uint32_t rate_limit, struct wsim_accounts *out,
                      char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (n < 1 || n > WSIM_MAX_ACCOUNTS) {
		snprintf(err, errlen, "number of workspaces %u is outside 1..%d", n,
		         WSIM_MAX_ACCOUNTS);
		return -1;
	}
	const uint32_t cap = 32768; /* > 2 * WSIM_MAX_ACCOUNTS, a power of two */
	uint32_t *slots = calloc(cap, sizeof(*slots));
	uint32_t *used = calloc(cap, sizeof(*used));
	out->v = calloc(n, sizeof(*out->v));
	if (!slots || !used || !out->v) {
		free(slots);
		free(used);
		free(out->v);
		out->v = NULL;
		snprintf(err, errlen, "out of memory creating %u accounts", n);
		return -1;
	}
	out->n = n;
	for (uint32_t i = 0; i < n; i++) {
		struct wsim_account *a = &out->v[i];
		snprintf(a->name, sizeof(a->name), "ws-%04u", i + 1);
		for (uint64_t attempt = 0;; attempt++) {
			uint32_t v = (uint32_t)(wsim_hash(seed, "lc", i + 1, attempt, 0, 0) >> 32);
			if (set_add(slots, used, cap, v)) {
				hex(v, 8, a->lc);
				break;
			}
		}
		hex(wsim_hash(seed, "key", i + 1, 0, 0, 0), 16, a->key);
		hex(wsim_hash(seed, "key", i + 1, 1, 0, 0), 16, a->key + 16);
		a->revision = 0;
		a->revoked = false;
		a->rate_limit = rate_limit;
		accounts_derive(seed, a, true);
	}
	free(slots);
	free(used);
	if (accounts_index(out, err, errlen) != 0) {
		accounts_free(out);
		return -1;
	}
	return 0;
}

static int ix_cmp(const void *pa, const void *pb)
{
	const struct wsim_ix *a = pa, *b = pb;
	uint32_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->k, b->k, n);
	if (c != 0)
		return c;
	return (a->len > b->len) - (a->len < b->len);
}

/*
 * (Re)build the lc and key indexes of set. License codes and keys must be
 * unique across accounts (a key names its account for the probe). Returns
 * 0, or -1 with err naming the two accounts.
 */
int accounts_index(struct wsim_accounts *set, char *err, size_t errlen)
{
	free(set->by_lc);
	free(set->by_key);
	set->by_lc = calloc(set->n, sizeof(*set->by_lc));
	set->by_key = calloc(set->n, sizeof(*set->by_key));
	if (!set->by_lc || !set->by_key) {
		free(set->by_lc);
		free(set->by_key);
		set->by_lc = set->by_key = NULL;
		snprintf(err, errlen, "out of memory indexing accounts");
		return -1;
	}
	for (uint32_t i = 0; i < set->n; i++) {
		set->by_lc[i] = (struct wsim_ix){set->v[i].lc, (uint32_t)strlen(set->v[i].lc), i};
		set->by_key[i] =
		        (struct wsim_ix){set->v[i].key, (uint32_t)strlen(set->v[i].key), i};
	}
	qsort(set->by_lc, set->n, sizeof(*set->by_lc), ix_cmp);
	qsort(set->by_key, set->n, sizeof(*set->by_key), ix_cmp);
	for (uint32_t i = 1; i < set->n; i++) {
		if (ix_cmp(&set->by_lc[i - 1], &set->by_lc[i]) == 0) {
			snprintf(err, errlen, "accounts %s and %s have the same license code %s",
			         set->v[set->by_lc[i - 1].i].name, set->v[set->by_lc[i].i].name,
			         set->v[set->by_lc[i].i].lc);
			return -1;
		}
		if (ix_cmp(&set->by_key[i - 1], &set->by_key[i]) == 0) {
			/* never print a key */
			snprintf(err, errlen, "accounts %s and %s have the same key",
			         set->v[set->by_key[i - 1].i].name, set->v[set->by_key[i].i].name);
			return -1;
		}
	}
	return 0;
}

static int ix_find(const struct wsim_ix *ix, uint32_t n, const char *s, size_t len)
{
	if (!ix || len > UINT32_MAX)
		return -1;
	struct wsim_ix q = {s, (uint32_t)len, 0};
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = ix_cmp(&ix[mid], &q);
		if (c == 0)
			return (int)ix[mid].i;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The index of the account with license code lc (n bytes), or -1. */
int accounts_find_lc(const struct wsim_accounts *set, const char *lc, size_t n)
{
	return ix_find(set->by_lc, set->n, lc, n);
}

/* The index of the account whose key is key (n bytes), or -1. */
int accounts_find_key(const struct wsim_accounts *set, const char *key, size_t n)
{
	return ix_find(set->by_key, set->n, key, n);
}

/* The index of the account named name, or -1 (names are ws-NNNN by position). */
int accounts_find_name(const struct wsim_accounts *set, const char *name)
{
	if (strncmp(name, "ws-", 3) != 0 || strlen(name) != 7)
		return -1;
	uint32_t v = 0;
	for (int i = 3; i < 7; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(name[i] - '0');
	}
	if (v < 1 || v > set->n)
		return -1;
	return (int)v - 1;
}

void accounts_free(struct wsim_accounts *set)
{
	free(set->v);
	free(set->by_lc);
	free(set->by_key);
	memset(set, 0, sizeof(*set));
}

void accounts_disabled_str(uint16_t mask, char *out, size_t outlen)
{
	size_t len = 0;
	out[0] = '\0';
	for (int c = 1; c < CH_COUNT; c++) {
		if (!(mask & (1u << c)))
			continue;
		int w = snprintf(out + len, outlen - len, "%s%s", len ? "," : "",
		                 wsim_channel_names[c]);
		if (w < 0 || (size_t)w >= outlen - len)
			return;
		len += (size_t)w;
	}
}
