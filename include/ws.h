/*
 * ws.h: a workspace at run time: the record of its state, schedule and
 * holds, and what derives from its configuration (the request headers,
 * which hold the key, and the host key), built and freed here. The record
 * is kept by others: the state machine (which state follows which
 * outcome, ws_set_state's callers) and the schedule (tick, backoff) are
 * daemon.c's, on the arithmetic of schedule.h; the rate-limit holds are
 * set and waited out by pull.c. The state names are ws_state.h's.
 *
 * The daemon owns one struct ws per configured workspace. Its cfg points
 * into the daemon's current struct config (repointed on reload). While a
 * pull runs, ws->pull owns it; a workspace never has two pulls at once.
 *
 * States (docs/operator.md): pending (not probed yet), connected (the probe
 * accepted the key and no pull has failed since), auth_failed (401: not
 * polled until the key changes), failing (consecutive failed pulls, with
 * the reason), disabled (enabled = false), removed (gone from the
 * configuration; history kept). A restart keeps a settled state whose
 * license code, base URL and key are unchanged (daemon.c, ws_create).
 */
#ifndef WEGAUGE_WS_H
#define WEGAUGE_WS_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"
#include "schedule.h"
#include "ws_state.h"

struct curl_slist;
struct daemon;
struct pull;
struct ws_config;

/* "pending", "connected", ... as stored (ws_state.h); "?" out of range. */
const char *ws_state_name(enum ws_state s);

/*
 * Endpoints, for rate-limit holds (X-RateLimit-Remaining: 0 holds one
 * workspace's requests to one endpoint until the next minute).
 */
enum ws_endpoint {
	EP_PROBE = 0,
	EP_STATS,
	EP_CAMPAIGNS, /* EP_CAMPAIGNS + channel index, 6 of them */
	EP_ACTIVE_USERS = EP_CAMPAIGNS + 6,
	EP_TEAM,
	EP_COUNT
};

#define WS_REASON_MAX 256

struct ws {
	const struct ws_config *cfg;
	struct daemon *d;
	enum ws_state state;
	char reason[WS_REASON_MAX]; /* "" when none */

	struct sched_item item;
	int64_t tick_ms;     /* monotonic: the un-jittered tick of the next pull */
	int64_t interval_ms; /* the interval tick_ms was computed with */
	int64_t began_ms;    /* monotonic: when its last pull began (0: none yet) */

	int64_t last_pull_at, last_success_at, next_pull_at; /* wall seconds, 0 = never */
	int consecutive_failures;
	bool key_ok; /* the probe accepted the current key */

	int64_t hold_until_ms[EP_COUNT]; /* wall ms; 0 = no hold */

	struct pull *pull; /* the running pull, or NULL */
	/*
	 * The end of an earlier pull that the store could not record (locked,
	 * full, read-only): pull.c writes it before the next pull begins, so
	 * the row does not stay "running". id 0 = none.
	 */
	struct ws_unrecorded {
		int64_t id, finished_at, rows;
		int status; /* enum pull_status */
		int requests, retries;
		char error[512];
	} unrecorded;
	bool once_done;       /* --once: this workspace had its pull */
	bool in_group;        /* wrote into the store's open group of writes ... */
	bool group_pull;      /* ... and what it wrote was its pull's (not only its row) */
	int64_t last_pull_id; /* the id of its last pull, running or not */
	uint64_t saved_hash;  /* hash of the workspace row last written (0: none, or lost) */
	bool row_dirty;       /* its row waits for the store gate (daemon.c, ws_save) */
	int64_t lost_pull_id; /* the pull a failed group commit was last counted against */
	struct log_rl rl;

	/* Derived from cfg by ws_apply_config; the Authorization header holds the key. */
	char *host_key;              /* scheme://host:port of base_url */
	struct curl_slist *hdr_get;  /* Authorization, Accept */
	struct curl_slist *hdr_post; /* the same plus Content-Type */
};

/* A new workspace for cfg (not scheduled). NULL on OOM. */
struct ws *ws_new(struct daemon *d, const struct ws_config *cfg);
/* Free w (its pull must be gone); the header lists are wiped first. */
void ws_free(struct ws *w);
/* Point w at cfg and rebuild what derives from it. 0, or -1 on OOM (w keeps the old). */
int ws_apply_config(struct ws *w, const struct ws_config *cfg);
/* Set state and reason (NULL for none). */
void ws_set_state(struct ws *w, enum ws_state s, const char *reason);

#endif
