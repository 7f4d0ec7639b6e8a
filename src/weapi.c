/*
 * weapi.c: the request side of the WebEngage API of docs/api.md: the channel
 * and path tables, URL building from the configurable path templates, the
 * window of days of streams 1 and 3, and the POST body of stream 1.
 *
 * The answer side is in weapi_envelope.c (the envelope), weapi_parse.c
 * (stats, campaigns, team) and weapi_active.c (active users).
 */
#include "weapi.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

const struct weapi_channel weapi_channels[WEAPI_N_CHANNELS] = {
        {"push-notifications", "PUSH_NOTIFICATION"},
        {"in-app-notifications", "IN_APP_NOTIFICATION"},
        {"sms-messages", "SMS"},
        {"email-messages", "EMAIL"},
        {"web-push", "WEB_PUSH"},
        {"whatsapp-messages", "WHATSAPP"},
};

const char *const weapi_default_paths[PATH_COUNT] = {
        [PATH_PROBE] = PATH_DEFAULT_PROBE,         [PATH_STATS] = PATH_DEFAULT_STATS,
        [PATH_CAMPAIGNS] = PATH_DEFAULT_CAMPAIGNS, [PATH_ACTIVE_USERS] = PATH_DEFAULT_ACTIVE_USERS,
        [PATH_TEAM] = PATH_DEFAULT_TEAM,
};

/* A placeholder value: [A-Za-z0-9~_-]{1,}, safe in a URL path without escaping. */
static bool safe_segment(const char *s)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '~' || *p == '_' || *p == '-'))
			return false;
	return true;
}

/*
 * A byte a template may hold literally: RFC 3986 unreserved, sub-delims,
 * ':', '@', '/', '?' and '%' (an operator may write an escape). Spaces,
 * controls, '#', non-ASCII and braces outside a placeholder are refused.
 */
static bool template_char(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("-._~!$&'()*+,;=:@/?%", c) != NULL;
}

/*
 * Two passes over the template: the first checks it and measures the
 * result, the second writes it. Placeholders are exactly "{lc}" and
 * "{channel}"; any other "{...}", an unclosed "{" or a lone "}" refuses the
 * template. A placeholder whose value is NULL or not a safe segment also
 * refuses it. When the template already has a '?', the query joins with
 * '&'. An empty query ("") adds nothing.
 */
char *weapi_url(const char *base, const char *tmpl, const char *lc, const char *channel_path,
                const char *query)
{
	if (!base || !tmpl)
		return NULL;
	size_t need = strlen(base) + 1;
	bool has_q = false;
	for (const char *p = tmpl; *p;) {
		if (*p == '{') {
			const char *val;
			size_t n;
			if (strncmp(p, "{lc}", 4) == 0) {
				val = lc;
				n = 4;
			} else if (strncmp(p, "{channel}", 9) == 0) {
				val = channel_path;
				n = 9;
			} else {
				return NULL;
			}
			if (!safe_segment(val))
				return NULL;
			need += strlen(val);
			p += n;
		} else if (template_char(*p)) {
			has_q |= *p == '?';
			need++;
			p++;
		} else {
			return NULL;
		}
	}
	bool add_query = query && *query;
	if (add_query)
		need += 1 + strlen(query);

	char *url = malloc(need);
	if (!url)
		return NULL;
	char *o = url;
	size_t n = strlen(base);
	memcpy(o, base, n);
	o += n;
	for (const char *p = tmpl; *p;) {
		const char *val = NULL;
		if (strncmp(p, "{lc}", 4) == 0) {
			val = lc;
			p += 4;
		} else if (strncmp(p, "{channel}", 9) == 0) {
			val = channel_path;
			p += 9;
		}
		if (val) {
			n = strlen(val);
			memcpy(o, val, n);
			o += n;
		} else {
			*o++ = *p++;
		}
	}
	if (add_query) {
		*o++ = has_q ? '&' : '?';
		n = strlen(query);
		memcpy(o, query, n);
		o += n;
	}
	*o = '\0';
	return url;
}

/*
 * Today is the UTC day of now; the window ends there and starts
 * lookback_days - 1 days before (a lookback below 1 counts as 1). Days
 * before year 0 clamp as ts_format_day does.
 */
void weapi_window(wall_s now, int lookback_days, char from[DAY_LEN], char to[DAY_LEN])
{
	if (lookback_days < 1)
		lookback_days = 1;
	int64_t today = now / 86400 - (now % 86400 < 0);
	ts_format_day(today * 86400, to);
	ts_format_day((today - (lookback_days - 1)) * 86400, from);
}

/*
 * The body of docs/api.md stream 1, key for key and in its order, with the ten
 * channels in docs/api.md's order, compact: jansson keeps insertion order (2.8
 * and later) and JSON_COMPACT writes "," and ":" without spaces.
 */
char *weapi_stats_body(wall_s now, int lookback_days)
{
	char from[DAY_LEN], to[DAY_LEN];
	char start[40], end[40];
	weapi_window(now, lookback_days, from, to);
	memcpy(start, from, DAY_LEN - 1);
	memcpy(start + DAY_LEN - 1, "T00:00:00.000+0000", sizeof("T00:00:00.000+0000"));
	memcpy(end, to, DAY_LEN - 1);
	memcpy(end + DAY_LEN - 1, "T23:59:59.999+0000", sizeof("T23:59:59.999+0000"));

	json_t *body = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[ssssssssss], s:[s], s:b, s:[]}",
	                         "campaignStatType", "CHANNEL_STATS_OVERVIEW", "splitBy",
	                         "CAMPAIGN_CHANNEL", "granularity", "DAY", "startTime", start,
	                         "endTime", end, "channels", "OVERALL", "PUSH_NOTIFICATION",
	                         "IN_APP_NOTIFICATION", "SMS", "ON_SITE_NOTIFICATION", "WEB_PUSH",
	                         "EMAIL", "WHATSAPP", "WEB_PERSONALIZATION", "RCS",
	                         "containerTypes", "ALL", "isFunnelView", 0, "tags");
	if (!body)
		return NULL;
	char *out = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	return out;
}
