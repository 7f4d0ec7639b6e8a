/*
 * ws.c: a workspace's derived request state (headers, host key) and state
 * names. The schedule and the pull outcome live in daemon.c and pull.c.
 */
#include "ws.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[WS_STATE_COUNT] = {
        "pending", "connected", "auth_failed", "failing", "disabled", "removed",
};

const char *ws_state_name(enum ws_state s)
{
	return (unsigned)s < WS_STATE_COUNT ? state_names[s] : "?";
}

/* Free a header list after overwriting every string: one of them is the key. */
static void wipe_slist(struct curl_slist *l)
{
	for (struct curl_slist *x = l; x; x = x->next)
		explicit_bzero(x->data, strlen(x->data));
	curl_slist_free_all(l);
}

/* "https://host:port/prefix" -> "https://host:port". */
static char *origin_of(const char *base_url)
{
	const char *p = strstr(base_url, "://");
	p = p ? p + 3 : base_url;
	size_t n = strcspn(p, "/");
	return strndup(base_url, (size_t)(p - base_url) + n);
}

/* Build the Authorization header without leaving copies of the key behind. */
static struct curl_slist *build_headers(const struct ws_config *cfg, bool post)
{
	size_t n = sizeof("Authorization: Bearer ") + cfg->key_len;
	char *auth = malloc(n);
	if (!auth)
		return NULL;
	snprintf(auth, n, "Authorization: Bearer %s", cfg->key);
	struct curl_slist *l = curl_slist_append(NULL, auth);
	explicit_bzero(auth, n);
	free(auth);
	if (!l)
		return NULL;
	struct curl_slist *t = curl_slist_append(l, "Accept: application/json");
	if (t && post)
		t = curl_slist_append(t, "Content-Type: application/json");
	if (t)
		t = curl_slist_append(t, "Expect:"); /* no 100-continue round trip */
	if (!t) {
		wipe_slist(l);
		return NULL;
	}
	return t;
}

int ws_apply_config(struct ws *w, const struct ws_config *cfg)
{
	char *host = origin_of(cfg->base_url);
	struct curl_slist *get = build_headers(cfg, false);
	struct curl_slist *post = build_headers(cfg, true);
	if (!host || !get || !post) {
		free(host);
		wipe_slist(get);
		wipe_slist(post);
		return -1;
	}
	free(w->host_key);
	wipe_slist(w->hdr_get);
	wipe_slist(w->hdr_post);
	w->host_key = host;
	w->hdr_get = get;
	w->hdr_post = post;
	w->cfg = cfg;
	return 0;
}

struct ws *ws_new(const struct ws_config *cfg)
{
	struct ws *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->item.heap_idx = SCHED_NONE;
	if (ws_apply_config(w, cfg) != 0) {
		free(w);
		return NULL;
	}
	return w;
}

void ws_free(struct ws *w)
{
	if (!w)
		return;
	free(w->host_key);
	wipe_slist(w->hdr_get);
	wipe_slist(w->hdr_post);
	free(w->report_error);
	free(w);
}

void ws_set_state(struct ws *w, enum ws_state s, const char *reason)
{
	w->state = s;
	snprintf(w->reason, sizeof(w->reason), "%s", reason ? reason : "");
}
