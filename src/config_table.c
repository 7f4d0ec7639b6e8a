/*
 * config_table.c: every configuration key of docs/operator.md, its section,
 * type, bounds and default, as one table (config_int.h), and the parsers
 * that turn an operator's text into a typed value.
 *
 * A parser never echoes the value in its message: config.c adds
 * "got 'value'" itself, unless the parser says the value may hold a
 * secret (CFG_BAD_RAW, e.g. a base_url with a password in it).
 *
 * Why one file of about 760 lines: it is the table and one checker per
 * value type, each used by cfg_opt_set alone; the table itself and the
 * URL and path checkers are most of it, and nothing here calls out but
 * to units.h and rows.h.
 */
#include "config_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rows.h"
#include "units.h"

#define MS_S         ((int64_t)1000)
#define MS_M         (60 * MS_S)
#define MS_H         (60 * MS_M)
#define MS_D         (24 * MS_H)
#define KIB          ((int64_t)1 << 10)
#define MIB          ((int64_t)1 << 20)
#define GIB          ((int64_t)1 << 30)
#define STR_MAX      4095 /* the longest path or string value accepted */
#define URL_MAX      2048
#define API_PATH_MAX 512
#define LICENSE_MAX  64
#define PRICE_MAX    ((int64_t)1000000000 * 10000) /* 10^9 per seat, in 1/10000 */

#define D(field)   CFG_DAEMON, offsetof(struct config, field)
#define W(field)   CFG_WS, offsetof(struct ws_config, field)
#define WP(i)      CFG_WS, offsetof(struct ws_config, paths) + (i) * sizeof(char *)
#define F(field)   CFG_FLEET, offsetof(struct config, field)
#define NONE       (-1L) /* not inherited */
#define INH(field) ((long)offsetof(struct config, field))

const struct cfg_opt cfg_opts[] = {
        /* {name, type, scope and offset, min, max, default, flags, inherit} */
        {"database", CT_STRING, D(database), 0, 0, "/var/lib/wegauge/wegauge.db", 0, NONE},
        {"database_password_file", CT_STRING, D(database_password_file), 0, 0, NULL,
         CFG_EMPTY_UNSET, NONE},
        {"store_queue_max", CT_SIZE, D(store_queue_max), MIB, 64 * GIB, "256MiB", 0, NONE},
        {"include_dir", CT_DIR, D(include_dir), 0, 0, NULL, CFG_EMPTY_UNSET, NONE},
        {"key_dir", CT_DIR, D(key_dir), 0, 0, "/etc/wegauge/keys", 0, NONE},
        {"interval", CT_DURATION, D(interval_ms), 100, 30 * MS_D, "1h", 0, NONE},
        {"jitter", CT_DURATION, D(jitter_ms), 0, MS_D, "30s", 0, NONE},
        {"lookback_days", CT_INT, D(lookback_days), 1, 90, "7", 0, NONE},
        {"seat_price", CT_PRICE, D(seat_price_e4), 0, PRICE_MAX, "none", 0, NONE},
        {"currency", CT_CURRENCY, D(currency), 0, 0, "USD", 0, NONE},
        {"max_in_flight", CT_INT, D(max_in_flight), 1, 4096, "64", 0, NONE},
        {"max_per_host", CT_INT, D(max_per_host), 1, 4096, "16", 0, NONE},
        {"connect_timeout", CT_DURATION, D(connect_timeout_ms), 100, 10 * MS_M, "10s", 0, NONE},
        {"request_timeout", CT_DURATION, D(request_timeout_ms), 100, MS_H, "60s", 0, NONE},
        {"max_response", CT_SIZE, D(max_response), KIB, GIB, "32MiB", 0, NONE},
        {"low_speed_limit", CT_SIZE, D(low_speed_limit), 0, GIB, "100", 0, NONE},
        {"low_speed_time", CT_DURATION, D(low_speed_time_ms), 1000, MS_H, "30s", 0, NONE},
        {"page_size", CT_INT, D(page_size), 1, 10000, "100", 0, NONE},
        {"max_pages", CT_INT, D(max_pages), 1, 1000000, "1000", 0, NONE},
        {"max_stream_rows", CT_INT, D(max_stream_rows), 1, 100000000, "250000", 0, NONE},
        {"max_stream_bytes", CT_SIZE, D(max_stream_bytes), MIB, 1024 * GIB, "128MiB", 0, NONE},
        {"max_parse_memory", CT_SIZE, D(max_parse_memory), MIB, 1024 * GIB, "128MiB", 0, NONE},
        {"retry_max", CT_INT, D(retry_max), 0, 100, "5", 0, NONE},
        {"retry_base", CT_DURATION, D(retry_base_ms), 1, MS_H, "1s", 0, NONE},
        {"retry_cap", CT_DURATION, D(retry_cap_ms), 1, MS_D, "5m", 0, NONE},
        {"retry_budget", CT_INT, D(retry_budget_pct), 0, 100, "10", 0, NONE},
        {"shutdown_grace", CT_DURATION, D(shutdown_grace_ms), 0, 10 * MS_M, "10s", 0, NONE},
        {"sqlite_synchronous", CT_SYNC, D(sqlite_synchronous), 0, 0, "normal", 0, NONE},
        {"sqlite_busy_timeout", CT_DURATION, D(sqlite_busy_timeout_ms), 0, 10 * MS_M, "1s", 0,
         NONE},
        {"sqlite_journal_size_limit", CT_SIZE, D(sqlite_journal_size_limit), 0, 1024 * GIB, "64MiB",
         0, NONE},
        {"metrics_listen", CT_LISTEN, D(metrics_listen), 0, 0, NULL, CFG_EMPTY_UNSET, NONE},
        {"ca_file", CT_FILE, D(ca_file), 0, 0, NULL, CFG_EMPTY_UNSET, NONE},
        {"log_level", CT_LOGLEVEL, D(log_level), 0, 0, "info", 0, NONE},

        {"member_name", CT_STRING, F(fleet_member), 0, 0, NULL, CFG_EMPTY_UNSET, NONE},
        {"lease", CT_DURATION, F(fleet_lease_ms), 3000, 10 * MS_M, "30s", 0, NONE},

        {"license_code", CT_LICENSE, W(license_code), 0, 0, NULL, 0, NONE},
        {"data_center", CT_DC, W(data_center), 0, 0, "global", 0, NONE},
        {"base_url", CT_BASE_URL, W(base_url), 0, 0, NULL, CFG_EMPTY_UNSET, NONE},
        {"api_key_file", CT_KEY_FILE, W(key_source), 0, 0, NULL, 0, NONE},
        {"api_key_credential", CT_KEY_CREDENTIAL, W(key_source), 0, 0, NULL, 0, NONE},
        {"interval", CT_DURATION, W(interval_ms), 100, 30 * MS_D, NULL, 0, INH(interval_ms)},
        {"jitter", CT_DURATION, W(jitter_ms), 0, MS_D, NULL, 0, INH(jitter_ms)},
        {"lookback_days", CT_INT, W(lookback_days), 1, 90, NULL, 0, INH(lookback_days)},
        {"seat_price", CT_PRICE, W(seat_price_e4), 0, PRICE_MAX, NULL, 0, INH(seat_price_e4)},
        {"currency", CT_CURRENCY, W(currency), 0, 0, NULL, 0, INH(currency)},
        {"streams", CT_STREAMS, W(streams), 0, 0, "stats, campaigns, active_users, team", 0, NONE},
        {"enabled", CT_BOOL, W(enabled), 0, 0, "true", 0, NONE},
        {"probe_path", CT_API_PATH, WP(PATH_PROBE), 0, 0, PATH_DEFAULT_PROBE, 0, NONE},
        {"stats_path", CT_API_PATH, WP(PATH_STATS), 0, 0, PATH_DEFAULT_STATS, 0, NONE},
        {"campaigns_path", CT_API_PATH, WP(PATH_CAMPAIGNS), 0, 0, PATH_DEFAULT_CAMPAIGNS,
         CFG_CHANNEL, NONE},
        {"active_users_path", CT_API_PATH, WP(PATH_ACTIVE_USERS), 0, 0, PATH_DEFAULT_ACTIVE_USERS,
         0, NONE},
        {"team_path", CT_API_PATH, WP(PATH_TEAM), 0, 0, PATH_DEFAULT_TEAM, 0, NONE},
};

const size_t cfg_n_opts = sizeof(cfg_opts) / sizeof(cfg_opts[0]);
_Static_assert(sizeof(cfg_opts) / sizeof(cfg_opts[0]) <= CFG_MAX_OPTS,
               "config.c keeps one bit per option in a uint64_t");

static const char *const dc_urls[] = {
        [DC_GLOBAL] = "https://api.webengage.com",
        [DC_IN] = "https://api.in.webengage.com",
        [DC_KSA] = "https://api.ksa.webengage.com",
};

const char *cfg_dc_url(enum data_center dc)
{
	return (unsigned)dc < sizeof(dc_urls) / sizeof(dc_urls[0]) ? dc_urls[dc]
	                                                           : dc_urls[DC_GLOBAL];
}

const struct cfg_opt *cfg_opt_find(enum cfg_scope scope, const char *name)
{
	for (size_t i = 0; i < cfg_n_opts; i++)
		if (cfg_opts[i].scope == scope && strcmp(cfg_opts[i].name, name) == 0)
			return &cfg_opts[i];
	return NULL;
}

/* An enumeration's words and values, for CT_DC, CT_SYNC and CT_LOGLEVEL. */
struct cfg_word {
	const char *word;
	int value;
};

static const struct cfg_word dc_words[] = {{"global", DC_GLOBAL}, {"in", DC_IN}, {"ksa", DC_KSA}};
static const struct cfg_word sync_words[] = {{"normal", SYNC_NORMAL}, {"full", SYNC_FULL}};
static const struct cfg_word level_words[] = {{"debug", LOGL_DEBUG},
                                              {"info", LOGL_INFO},
                                              {"notice", LOGL_NOTICE},
                                              {"warning", LOGL_WARNING},
                                              {"err", LOGL_ERR}};

/* The value of word in words (exact, case-sensitive), or -1. */
static int word_value(const struct cfg_word *words, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(words[i].word, s) == 0)
			return words[i].value;
	return -1;
}

int cfg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return CFG_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return CFG_OK;
		}
	}
	return CFG_BAD;
}

/* Decimal digits only, no sign, within [min, max]; overflow-safe. */
static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (*s == '\0')
		return -1;
	int64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* True when s has a control character (below 0x20, or 0x7f). */
static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int cfg_check_ws_name(const char *s, size_t n)
{
	if (n == 0 || n > WS_NAME_MAX)
		return CFG_BAD;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return CFG_BAD;
	}
	return CFG_OK;
}

/* [A-Za-z0-9~_-]{1,64}: a license code, safe in a URL path. */
static int check_license(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > LICENSE_MAX)
		return CFG_BAD;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '~' || c == '_' || c == '-'))
			return CFG_BAD;
	}
	return CFG_OK;
}

/*
 * Streams: names separated by commas, blanks around each name allowed.
 * Every name must be a stream of rows.h, none twice, none empty (so "",
 * "stats," and "stats,,team" are all errors).
 */
int cfg_parse_streams(const char *s, unsigned *out, char *why, size_t whylen)
{
	unsigned bits = 0;
	const char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		const char *start = p;
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			p++;
		size_t n = (size_t)(p - start);
		while (*p == ' ' || *p == '\t')
			p++;
		if (n == 0 || (*p != ',' && *p != '\0')) {
			snprintf(why, whylen,
			         "expected a comma-separated list of stats, campaigns, "
			         "active_users, "
			         "team");
			return CFG_BAD;
		}
		char name[16];
		int st = -1;
		if (n < sizeof(name)) {
			memcpy(name, start, n);
			name[n] = '\0';
			st = stream_from_name(name);
		}
		if (st < 0) {
			snprintf(
			        why, whylen,
			        "expected stream names among stats, campaigns, active_users, team; "
			        "unknown '%.*s'",
			        (int)(n < 32 ? n : 32), start);
			return CFG_BAD;
		}
		if (bits & (1u << st)) {
			snprintf(why, whylen, "expected each stream once; '%s' is listed twice",
			         name);
			return CFG_BAD;
		}
		bits |= 1u << st;
		if (*p == '\0')
			break;
		p++; /* the comma */
	}
	*out = bits;
	return CFG_OK;
}

/* True when host (without brackets) is a loopback address or "localhost". */
static bool host_is_loopback(const char *host, bool bracketed)
{
	if (bracketed) {
		struct in6_addr a6;
		return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	if (strcasecmp(host, "localhost") == 0)
		return true;
	struct in_addr a4;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* A port: 1 to 5 digits, 1..65535. */
static bool port_ok(const char *s, size_t n)
{
	if (n == 0 || n > 5)
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/*
 * Split an authority "host[:port]" or "[v6][:port]" (n bytes at a) into a
 * NUL-terminated host (brackets removed) in host[hostlen]. Returns 0, or -1
 * when the shape, the host characters or the port are wrong.
 */
static int split_authority(const char *a, size_t n, char *host, size_t hostlen, bool *bracketed)
{
	const char *port = NULL;
	size_t hn;
	*bracketed = false;
	if (n > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', n);
		if (close == NULL)
			return -1;
		hn = (size_t)(close - a - 1);
		if (hn == 0 || hn >= hostlen)
			return -1;
		memcpy(host, a + 1, hn);
		host[hn] = '\0';
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return -1;
		*bracketed = true;
		size_t rest = n - (size_t)(close + 1 - a);
		if (rest > 0) {
			if (close[1] != ':')
				return -1;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(a, ':', n);
		hn = colon ? (size_t)(colon - a) : n;
		if (hn == 0 || hn >= hostlen || hn > 253)
			return -1;
		for (size_t i = 0; i < hn; i++) {
			char c = a[i];
			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-'))
				return -1;
		}
		memcpy(host, a, hn);
		host[hn] = '\0';
		if (colon)
			port = colon + 1;
	}
	if (port != NULL && !port_ok(port, (size_t)(a + n - port)))
		return -1;
	return 0;
}

int cfg_check_listen(const char *s, char *why, size_t whylen)
{
	char host[256];
	bool br;
	size_t n = strlen(s);
	/* A port is required: the authority must end in ":digits". */
	const char *colon = strrchr(s, ':');
	const char *close = strchr(s, ']');
	bool has_port = colon != NULL && (s[0] != '[' || (close != NULL && colon > close));
	if (n > 300 || !has_port || split_authority(s, n, host, sizeof(host), &br) != 0 ||
	    !host_is_loopback(host, br)) {
		snprintf(why, whylen,
		         "expected a loopback host:port (127.0.0.1:9464, [::1]:9464 or "
		         "localhost:9464)");
		return CFG_BAD;
	}
	return CFG_OK;
}

/*
 * base_url: "https://host[:port][/prefix]", or "http://" to a loopback
 * host. The scheme is matched in any case and stored in lower case; a
 * trailing '/' (or several) is removed. User info is refused without
 * quoting the value (it may hold a password); query and fragment are
 * refused. *out is a malloc'd copy, *loopback_http tells http to loopback.
 */
int cfg_check_base_url(const char *s, char **out, bool *loopback_http, char *why, size_t whylen)
{
	static const char expect[] = "expected https://host[:port][/prefix], or http:// to a "
	                             "loopback host (127.0.0.0/8, [::1], localhost)";
	size_t n = strlen(s);
	bool http;
	size_t skip;
	if (strncasecmp(s, "https://", 8) == 0) {
		http = false;
		skip = 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		http = true;
		skip = 7;
	} else {
		snprintf(why, whylen, "%s", expect);
		return CFG_BAD;
	}
	const char *auth = s + skip;
	size_t an = strcspn(auth, "/?#");
	if (memchr(auth, '@', an) != NULL) {
		snprintf(why, whylen, "%s, without user name or password (the value is not shown)",
		         expect);
		return CFG_BAD_RAW;
	}
	if (strpbrk(auth, "?#") != NULL) {
		/* Pasted with ?key=...: never echoed. */
		snprintf(
		        why, whylen,
		        "%s, without query or fragment (the value is not shown: a query may hold a "
		        "key)",
		        expect);
		return CFG_BAD_RAW;
	}
	if (n > URL_MAX || has_control(s) || strpbrk(s, " ") != NULL) {
		snprintf(why, whylen, "%s, at most %d characters without spaces", expect, URL_MAX);
		return CFG_BAD;
	}
	char host[256];
	bool br;
	if (split_authority(auth, an, host, sizeof(host), &br) != 0) {
		snprintf(why, whylen, "%s", expect);
		return CFG_BAD;
	}
	bool loop = host_is_loopback(host, br);
	if (http && !loop) {
		snprintf(why, whylen,
		         "%s; http:// is allowed only for a loopback host, use https://", expect);
		return CFG_BAD;
	}
	char *copy = strdup(s);
	if (copy == NULL) {
		snprintf(why, whylen, "out of memory");
		return CFG_BAD;
	}
	for (size_t i = 0; i < skip; i++)
		copy[i] = (char)(copy[i] >= 'A' && copy[i] <= 'Z' ? copy[i] + 32 : copy[i]);
	size_t len = n;
	while (len > skip + an && copy[len - 1] == '/')
		copy[--len] = '\0';
	*out = copy;
	*loopback_http = http;
	return CFG_OK;
}

/*
 * A byte a path template may hold literally: what weapi_url puts into a
 * URL as it is (RFC 3986 unreserved, sub-delims, ':', '@', '/', '%'),
 * less '?' (the query is the collector's). A template with any other byte
 * would pass the configuration and fail every request built from it.
 */
static bool api_path_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-._~!$&'()*+,;=:@/%", c) != NULL;
}

/*
 * An API path template: starts with '/', URL path characters only (see
 * api_path_char), at most API_PATH_MAX bytes; braces only in the
 * placeholders {lc} and, when allow_channel, {channel}.
 */
int cfg_check_api_path(const char *s, bool allow_channel, char *why, size_t whylen)
{
	bool ok = s[0] == '/' && strlen(s) <= API_PATH_MAX;
	bool odd = false; /* refused for a printable byte a URL path cannot hold as it is */
	for (const char *p = s; ok && *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '}') {
			ok = false;
		} else if (c == '{') {
			if (strncmp(p, "{lc}", 4) == 0)
				p += 3;
			else if (allow_channel && strncmp(p, "{channel}", 9) == 0)
				p += 8;
			else
				ok = false;
		} else if (!api_path_char(c)) {
			ok = false;
			odd = true;
		}
	}
	if (odd) {
		snprintf(why, whylen,
		         "expected a path of URL path characters only (letters, digits and "
		         "-._~!$&'()*+,;=:@/%%) besides the placeholders");
		return CFG_BAD;
	}
	if (ok && allow_channel && !strstr(s, "{channel}")) {
		/* Without it all six channels would fetch the same URL. */
		snprintf(why, whylen, "expected a path containing {channel} (and maybe {lc})");
		return CFG_BAD;
	}
	if (!ok) {
		snprintf(
		        why, whylen,
		        "expected a path starting with '/', without spaces, '?' or '#', using only "
		        "the placeholders %s",
		        allow_channel ? "{lc} and {channel}" : "{lc}");
		return CFG_BAD;
	}
	return CFG_OK;
}

char *cfg_path_join(const char *dir, const char *path)
{
	if (path[0] == '/' || dir == NULL || strcmp(dir, ".") == 0)
		return strdup(path);
	size_t dn = strlen(dir), pn = strlen(path);
	char *r = malloc(dn + 1 + pn + 1);
	if (r == NULL)
		return NULL;
	memcpy(r, dir, dn);
	r[dn] = '/';
	memcpy(r + dn + 1, path, pn + 1);
	return r;
}

/* A readable regular file: opened for reading, then closed. errno-based reason in why. */
static int check_readable_file(const char *path, char *why, size_t whylen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whylen, "expected a readable file (%s)", strerror(errno));
		return CFG_BAD;
	}
	struct stat st;
	int ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	if (!ok) {
		snprintf(why, whylen, "expected a readable file (not a regular file)");
		return CFG_BAD;
	}
	return CFG_OK;
}

/*
 * A seat price: "none" (-1), or digits with at most one '.' and at most 4
 * digits after it, at most max in 1/10000 ("12.5" is 125000). 0 or -1.
 */
static int parse_price(const char *s, int64_t max, int64_t *out)
{
	if (strcmp(s, "none") == 0) {
		*out = -1;
		return 0;
	}
	int64_t v = 0;
	int frac = -1; /* digits after the point, -1 before it */
	size_t digits = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.' && frac < 0 && digits > 0) {
			frac = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || frac == 4 || v > max / 10)
			return -1;
		v = v * 10 + (*p - '0');
		digits++;
		if (frac >= 0)
			frac++;
	}
	if (digits == 0 || frac == 0)
		return -1;
	for (int k = frac < 0 ? 0 : frac; k < 4; k++) {
		if (v > max / 10)
			return -1;
		v *= 10;
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Replace the string at slot by v (owned now); frees the old one. */
static void set_string(char **slot, char *v)
{
	free(*slot);
	*slot = v;
}

/* "prefix" + s, malloc'd; NULL on OOM. */
static char *prefixed(const char *prefix, const char *s)
{
	size_t pn = strlen(prefix), sn = strlen(s);
	char *r = malloc(pn + sn + 1);
	if (r == NULL)
		return NULL;
	memcpy(r, prefix, pn);
	memcpy(r + pn, s, sn + 1);
	return r;
}

/* The "expected ..." text of a duration, size or integer option, with its bounds. */
static void expect_range(const struct cfg_opt *o, char *why, size_t whylen)
{
	char lo[UNITS_BUF_LEN], hi[UNITS_BUF_LEN];
	switch (o->type) {
	case CT_DURATION:
		units_format_duration(o->min, lo, sizeof(lo));
		units_format_duration(o->max, hi, sizeof(hi));
		snprintf(why, whylen,
		         "expected a duration from %s to %s (a number of seconds, or with a unit "
		         "ms, s, m, h, d)",
		         lo, hi);
		break;
	case CT_SIZE:
		units_format_size((uint64_t)o->min, lo, sizeof(lo));
		units_format_size((uint64_t)o->max, hi, sizeof(hi));
		snprintf(why, whylen,
		         "expected a size from %s to %s (a number of bytes, or with a unit KiB, "
		         "MiB, GiB)",
		         lo, hi);
		break;
	default:
		snprintf(why, whylen, "expected an integer from %lld to %lld", (long long)o->min,
		         (long long)o->max);
		break;
	}
}

/* Parse and store one enumeration value; the message lists the words. */
static int set_word(const struct cfg_word *words, size_t n, const char *value, int *slot, char *why,
                    size_t whylen)
{
	int v = word_value(words, n, value);
	if (v < 0) {
		size_t off = (size_t)snprintf(why, whylen, "expected ");
		for (size_t i = 0; i < n && off < whylen; i++)
			off += (size_t)snprintf(why + off, whylen - off, "%s%s", words[i].word,
			                        i + 2 < n ? ", " : (i + 1 < n ? " or " : ""));
		return CFG_BAD;
	}
	*slot = v;
	return CFG_OK;
}

int cfg_opt_set(const struct cfg_opt *o, void *base, const char *value, const char *dir, char *why,
                size_t whylen)
{
	char *slot = (char *)base + o->offset;
	char **str = (char **)(void *)slot;
	int64_t i64;
	uint64_t u64;
	int rc;

	if (*value == '\0' && (o->flags & CFG_EMPTY_UNSET)) {
		if (o->type == CT_BASE_URL) {
			struct ws_config *ws = base;
			ws->base_url_set = false;
			ws->loopback_http = false;
		}
		set_string(str, NULL);
		return CFG_OK;
	}
	switch (o->type) {
	case CT_STRING:
	case CT_DIR:
	case CT_FILE:
	case CT_KEY_FILE: {
		if (*value == '\0' || strlen(value) > STR_MAX || has_control(value)) {
			snprintf(why, whylen, "expected a %s of 1 to %d characters",
			         o->type == CT_STRING ? "value" : "path", STR_MAX);
			return CFG_BAD;
		}
		char *v = o->type == CT_STRING ? strdup(value) : cfg_path_join(dir, value);
		if (v != NULL && o->type == CT_KEY_FILE) {
			char *src = prefixed("file ", v);
			free(v);
			v = src;
		}
		if (v == NULL) {
			snprintf(why, whylen, "out of memory");
			return CFG_BAD;
		}
		if (o->type == CT_FILE && (rc = check_readable_file(v, why, whylen)) != CFG_OK) {
			free(v);
			return rc;
		}
		set_string(str, v);
		return CFG_OK;
	}
	case CT_KEY_CREDENTIAL: {
		size_t n = strlen(value);
		if (n == 0 || n > 255 || strchr(value, '/') != NULL || strcmp(value, ".") == 0 ||
		    strcmp(value, "..") == 0 || has_control(value) || strchr(value, ' ') != NULL) {
			snprintf(why, whylen,
			         "expected a credential name (1 to 255 characters, no '/' or "
			         "spaces, "
			         "not '.' or '..')");
			return CFG_BAD;
		}
		char *v = prefixed("credential ", value);
		if (v == NULL) {
			snprintf(why, whylen, "out of memory");
			return CFG_BAD;
		}
		set_string(str, v);
		return CFG_OK;
	}
	case CT_DURATION:
		if (units_parse_duration(value, &i64) != 0 || i64 < o->min || i64 > o->max) {
			expect_range(o, why, whylen);
			return CFG_BAD;
		}
		*(int64_t *)(void *)slot = i64;
		return CFG_OK;
	case CT_SIZE:
		if (units_parse_size(value, &u64) != 0 || u64 < (uint64_t)o->min ||
		    u64 > (uint64_t)o->max) {
			expect_range(o, why, whylen);
			return CFG_BAD;
		}
		*(uint64_t *)(void *)slot = u64;
		return CFG_OK;
	case CT_INT:
		if (parse_int(value, o->min, o->max, &i64) != 0) {
			expect_range(o, why, whylen);
			return CFG_BAD;
		}
		*(int *)(void *)slot = (int)i64;
		return CFG_OK;
	case CT_BOOL:
		if (cfg_parse_bool(value, (bool *)(void *)slot) != CFG_OK) {
			snprintf(why, whylen, "expected true, false, yes, no, on, off, 1 or 0");
			return CFG_BAD;
		}
		return CFG_OK;
	case CT_DC: {
		int v = 0;
		if ((rc = set_word(dc_words, 3, value, &v, why, whylen)) == CFG_OK)
			*(enum data_center *)(void *)slot = (enum data_center)v;
		return rc;
	}
	case CT_SYNC: {
		int v = 0;
		if ((rc = set_word(sync_words, 2, value, &v, why, whylen)) == CFG_OK)
			*(enum sync_mode *)(void *)slot = (enum sync_mode)v;
		return rc;
	}
	case CT_LOGLEVEL: {
		int v = 0;
		if ((rc = set_word(level_words, 5, value, &v, why, whylen)) == CFG_OK)
			*(enum log_level *)(void *)slot = (enum log_level)v;
		return rc;
	}
	case CT_STREAMS:
		return cfg_parse_streams(value, (unsigned *)(void *)slot, why, whylen);
	case CT_BASE_URL: {
		struct ws_config *ws = base;
		char *url;
		bool loop;
		if ((rc = cfg_check_base_url(value, &url, &loop, why, whylen)) != CFG_OK)
			return rc;
		set_string(&ws->base_url, url);
		ws->base_url_set = true;
		ws->loopback_http = loop;
		return CFG_OK;
	}
	case CT_PRICE:
		if (parse_price(value, o->max, &i64) != 0) {
			snprintf(why, whylen,
			         "expected none or a price per seat and month from 0 to 1000000000 "
			         "with at most 4 decimals (e.g. 12.50)");
			return CFG_BAD;
		}
		*(int64_t *)(void *)slot = i64;
		return CFG_OK;
	case CT_CURRENCY:
		if (strlen(value) != 3 || strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3) {
			snprintf(why, whylen, "expected an ISO 4217 currency code (3 letters A-Z)");
			return CFG_BAD;
		}
		memcpy(slot, value, 4);
		return CFG_OK;
	case CT_LISTEN:
	case CT_LICENSE:
	case CT_API_PATH: {
		if (o->type == CT_LISTEN)
			rc = cfg_check_listen(value, why, whylen);
		else if (o->type == CT_API_PATH)
			rc = cfg_check_api_path(value, (o->flags & CFG_CHANNEL) != 0, why, whylen);
		else if ((rc = check_license(value)) != CFG_OK)
			snprintf(why, whylen,
			         "expected a license code of 1 to %d characters "
			         "A-Z a-z 0-9 ~ _ -",
			         LICENSE_MAX);
		if (rc != CFG_OK)
			return rc;
		char *v = strdup(value);
		if (v == NULL) {
			snprintf(why, whylen, "out of memory");
			return CFG_BAD;
		}
		set_string(str, v);
		return CFG_OK;
	}
	}
	snprintf(why, whylen, "unsupported option type");
	return CFG_BAD;
}

int cfg_apply_defaults(enum cfg_scope scope, void *base)
{
	char why[256];
	for (size_t i = 0; i < cfg_n_opts; i++) {
		const struct cfg_opt *o = &cfg_opts[i];
		if (o->scope != scope || o->def == NULL)
			continue;
		if (cfg_opt_set(o, base, o->def, NULL, why, sizeof(why)) != CFG_OK)
			return -1;
	}
	return 0;
}

void cfg_inherit(const struct cfg_opt *o, const struct config *cfg, struct ws_config *ws)
{
	const char *from = (const char *)cfg + o->inherit;
	char *to = (char *)ws + o->offset;
	if (o->type == CT_DURATION || o->type == CT_PRICE)
		memcpy(to, from, sizeof(int64_t));
	else if (o->type == CT_CURRENCY)
		memcpy(to, from, 4);
	else
		memcpy(to, from, sizeof(int));
}
