/*
 * ws.c: a workspace at run time (ws.h): its derived request state (the
 * header lists, which hold the key, and the host key), its state names,
 * and its schedule: where its tick falls, when its next pull is due, and
 * its place in the scheduler's queue (schedule.h does the arithmetic and the
 * heap). What a pull's outcome does to a workspace is the daemon's; the
 * pull itself is pull.c's.
 */
#include "ws.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "rng.h"

static const char *const state_names[WS_STATE_COUNT] = WS_STATE_NAMES;

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

/* --- the schedule ---------------------------------------------------------- */

/* Queue w for due_ms (monotonic) and note the matching wall time. */
void ws_schedule_at(struct ws *w, struct sched *s, mono_ms due_ms)
{
	if (sched_set(s, &w->item, due_ms) != 0) {
		log_ws(&w->rl, LOGL_ERR, w->cfg->name, 0, "out of memory scheduling the next pull");
		return;
	}
	int64_t wait = due_ms - clock_mono_ms();
	w->next_pull_at = clock_wall_s() + (wait > 0 ? (wait + 999) / 1000 : 0);
}

/*
 * The next regular pull, plus jitter. tick_ms is the next tick not yet
 * used: a pull at a tick used it (tick_ms <= now, so move on to the next
 * one in the future, skipping any missed); a pull out of turn (at start,
 * after a reload) did not, but the next pull still waits for a tick at
 * least half an interval after the last one began (sched_next_tick). A
 * failing workspace waits at least its backoff.
 */
void ws_schedule_next(struct ws *w, struct sched *s)
{
	mono_ms now = clock_mono_ms();
	mono_ms settle = w->began_ms ? w->began_ms + w->interval_ms / 2 : 0;
	w->tick_ms = sched_next_tick(w->tick_ms, w->interval_ms, now, settle);
	mono_ms due = sched_jittered(w->tick_ms, w->cfg->jitter_ms, rng_next());
	int64_t backoff = sched_failure_backoff_ms(w->consecutive_failures, rng_next());
	if (now + backoff > due)
		due = now + backoff;
	ws_schedule_at(w, s, due);
}

/* Place w's tick from its phase (first schedule, or a changed interval). */
void ws_place_tick(struct ws *w)
{
	w->interval_ms = w->cfg->interval_ms;
	w->tick_ms = sched_first_tick(sched_phase(w->cfg->name, w->interval_ms), w->interval_ms,
	                              clock_wall_ms(), clock_mono_ms());
}

void ws_unschedule(struct ws *w, struct sched *s)
{
	sched_remove(s, &w->item);
	w->next_pull_at = 0;
}

/*
 * Schedule a workspace that just appeared (start or reload): due at once
 * when it was never pulled or its last success is older than its interval
 * (or when `now` is asked for), else at its phase.
 */
void ws_schedule_first(struct ws *w, struct sched *s, bool now)
{
	ws_place_tick(w);
	if (!w->cfg->enabled) {
		ws_set_state(w, WS_DISABLED, NULL);
		ws_unschedule(w, s);
		return;
	}
	if (w->state == WS_AUTH_FAILED) {
		/* kept from before a restart: not polled until its key changes */
		ws_unschedule(w, s);
		return;
	}
	int64_t age_ms = (clock_wall_s() - w->last_success_at) * 1000;
	if (now || w->last_success_at == 0 || age_ms >= w->interval_ms)
		ws_schedule_at(w, s, clock_mono_ms());
	else
		ws_schedule_at(w, s, sched_jittered(w->tick_ms, w->cfg->jitter_ms, rng_next()));
}
