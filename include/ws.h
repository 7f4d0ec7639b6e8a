/*
 * ws.h: a workspace at run time: the record of its state, schedule and
 * holds, what derives from its configuration (the request headers, which
 * hold the key, and the host key), built and freed here, and its schedule
 * (its tick, its next pull, its place in the scheduler's queue), kept
 * here on the arithmetic of schedule.h. The state machine (which state
 * follows which outcome, ws_set_state's callers) is the daemon's
 * (daemon_ws.c); the rate-limit holds are set and waited out by pull.c.
 * The state names are ws_state.h's.
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
 * license code, base URL and key are unchanged (daemon_ws_create).
 */
#ifndef WEGAUGE_WS_H
#define WEGAUGE_WS_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"
#include "log.h"
#include "schedule.h"
#include "ws_state.h"

struct curl_slist;
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
	enum ws_state state;
	char reason[WS_REASON_MAX]; /* "" when none */

	struct sched_item item;
	mono_ms tick_ms;     /* the un-jittered tick of the next pull */
	int64_t interval_ms; /* the interval tick_ms was computed with */
	mono_ms began_ms;    /* when its last pull began (0: none yet) */

	wall_s last_pull_at, last_success_at, next_pull_at; /* 0 = never */
	int consecutive_failures;
	bool key_ok; /* the probe accepted the current key */

	wall_ms hold_until_ms[EP_COUNT]; /* 0 = no hold */

	struct pull *pull; /* the running pull, or NULL */
	/*
	 * The end of an earlier pull that the store could not record (locked,
	 * full, read-only), or that a failed group commit lost (pull_end_lost):
	 * pull.c writes it before the next pull begins, so the row does not
	 * stay "running". id 0 = none. Only pull.c writes it.
	 */
	struct ws_unrecorded {
		int64_t id, rows;
		wall_s finished_at;
		int status; /* enum pull_status */
		int requests, retries;
		char error[512];
	} unrecorded;
	bool fleet_owned;     /* a fleet member: it holds the lease (daemon_fleet.c) */
	bool once_done;       /* --once: this workspace had its pull */
	bool in_group;        /* wrote into the store's open group of writes ... */
	bool group_pull;      /* ... and what it wrote was its pull's (not only its row) */
	int64_t last_pull_id; /* the id of its last pull, running or not */
	uint64_t saved_hash;  /* hash of the workspace row last written (0: none, or lost) */
	bool row_dirty;       /* its row waits to be written (daemon_ws_save) */
	int64_t lost_pull_id; /* the pull a failed group commit was last counted against */
	/*
	 * What its pull reported (pull.h, struct pull_report) that the daemon
	 * has not taken in yet: recorded by the report callbacks, taken in by
	 * the daemon's settle event, in the order they came.
	 */
	struct ws *report_next; /* the daemon's queue of workspaces with a report */
	bool report_queued;     /* in that queue */
	bool report_probed;     /* the probe accepted the key */
	bool report_done;       /* the pull ended ... */
	int report_status;      /* ... with this enum pull_status ... */
	char *report_error;     /* ... and this error (w's, ws_free frees it; NULL: none) */
	struct log_rl rl;

	/* Derived from cfg by ws_apply_config; the Authorization header holds the key. */
	char *host_key;              /* scheme://host:port of base_url */
	struct curl_slist *hdr_get;  /* Authorization, Accept */
	struct curl_slist *hdr_post; /* the same plus Content-Type */
};

/* A new workspace for cfg (not scheduled). NULL on OOM. */
struct ws *ws_new(const struct ws_config *cfg);
/* Free w (its pull must be gone); the header lists are wiped first. */
void ws_free(struct ws *w);
/* Point w at cfg and rebuild what derives from it. 0, or -1 on OOM (w keeps the old). */
int ws_apply_config(struct ws *w, const struct ws_config *cfg);
/* Set state and reason (NULL for none). */
void ws_set_state(struct ws *w, enum ws_state s, const char *reason);

/*
 * w's schedule in s (schedule.h), which holds w->item. Each sets w's next
 * due time and next_pull_at (the wall-clock second it stands for, for
 * the store row; 0 when unscheduled); none starts a pull.
 */
/* Queue w for due_ms (monotonic); out of memory leaves it as it was, logged. */
void ws_schedule_at(struct ws *w, struct sched *s, mono_ms due_ms);
/*
 * After a pull: the next tick not yet used and at least half an interval
 * after the pull began (began_ms), plus jitter; a failing workspace waits
 * at least its backoff (sched_failure_backoff_ms of consecutive_failures).
 */
void ws_schedule_next(struct ws *w, struct sched *s);
/* Place w's tick from its phase in cfg->interval_ms (a first schedule, a changed interval). */
void ws_place_tick(struct ws *w);
/*
 * A workspace that just appeared (start or reload): placed at its phase;
 * disabled (state set) or kept auth_failed: not queued; due at once when
 * now, when never pulled, or when its last success is older than its
 * interval; else at its tick plus jitter.
 */
void ws_schedule_first(struct ws *w, struct sched *s, bool now);
/* Take w out of s (a no-op when not queued). */
void ws_unschedule(struct ws *w, struct sched *s);

#endif
