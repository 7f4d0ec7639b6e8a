/*
 * daemon_fleet.c: a fleet member's part of the daemon (daemon_int.h).
 *
 * Every lease/3 the heartbeat timer decides, from the members it knows
 * (fleet.h's rendezvous hashing over the live members that pull a
 * workspace), which workspaces this member should own: those it does not
 * hold yet go with the heartbeat as leases to take (the store takes each
 * that is free or expired); those it holds but should not are given back
 * once no pull of theirs runs. The store answers through its hooks: the
 * heartbeat (the members, the server's clock), a lease taken (with the
 * workspace's row and its last completed pull, from which the workspace
 * is scheduled: the tick the previous owner completed is not pulled
 * again), a lease lost (its pull is cancelled, "lease lost"), a member's
 * list of workspaces.
 *
 * Every member places ticks and stamps rows on the server's clock: the
 * offset each heartbeat measures corrects this host's wall clock
 * (clock.h), so a member whose clock is off by minutes pulls at the same
 * instants as the others.
 */
#include "daemon_int.h"

#include <event2/event.h>
#include <sqlite3.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "errbuf.h"
#include "fleet.h"
#include "log.h"
#include "loopstat.h"
#include "store.h"
#include "ws.h"

/*
 * The wall clock is corrected when the measured offset differs by more
 * than this, from a heartbeat answered within FLEET_OFFSET_RTT_MS (the
 * offset is known to half the round trip, and a heartbeat that waited
 * behind a batch says little).
 */
#define FLEET_OFFSET_SLACK_MS 250
#define FLEET_OFFSET_RTT_MS   50

struct daemon_fleet {
	struct daemon *d;
	struct event *timer;
	int64_t lease_ms;
	struct fleet_member self;
	struct fleet_member *others;
	size_t n_others, cap_others;
	bool members_known; /* a heartbeat was answered */
	bool healthy;
	bool said_unhealthy;
	bool reading;       /* members' lists asked for, not answered yet */
	mono_ms last_ok_ms; /* when the last heartbeat was answered (0: never) */
	char fingerprint[17];
};

/* --- helpers ------------------------------------------------------------------ */

/* The runtime workspace named name, or NULL. */
static struct ws *ws_named(struct daemon *d, const char *name)
{
	const struct ws_config *c = config_find_ws(d->cfg, name);
	if (!c)
		return NULL;
	size_t i = (size_t)(c - d->cfg->ws);
	if (i < d->n_ws && d->ws[i]->cfg == c)
		return d->ws[i];
	for (i = 0; i < d->n_ws; i++)
		if (d->ws[i]->cfg == c)
			return d->ws[i];
	return NULL;
}

static struct fleet_member *other_named(struct daemon_fleet *f, const char *name)
{
	for (size_t i = 0; i < f->n_others; i++)
		if (strcmp(f->others[i].name, name) == 0)
			return &f->others[i];
	return NULL;
}

/* The workspaces this member pulls (configured and enabled): its list, for the others too. */
static int self_list(struct daemon_fleet *f, char *err, size_t errlen)
{
	struct daemon *d = f->d;
	const char **names = calloc(d->cfg->n_ws ? d->cfg->n_ws : 1, sizeof(*names));
	if (!names) {
		errbuf_set(err, errlen, "fleet: out of memory");
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < d->cfg->n_ws; i++)
		if (d->cfg->ws[i].enabled)
			names[n++] = d->cfg->ws[i].name;
	fleet_config_fingerprint(d->cfg, f->fingerprint);
	int rc = fleet_member_set(&f->self, names, n);
	if (rc == 0)
		rc = store_fleet_configure(d->store, f->fingerprint, names, n, err, errlen);
	free(names);
	return rc;
}

bool daemon_fleet_healthy(struct daemon *d)
{
	struct daemon_fleet *f = d->fleet;
	if (!f)
		return true;
	struct store_fleet_stats s;
	store_fleet_stats(d->store, &s);
	/* Renewed at most 2/3 of a lease ago: a missed heartbeat or two, not more. */
	return s.renewed_until > 0 && clock_mono_ms() < s.renewed_until - f->lease_ms / 3;
}

bool daemon_fleet_may_pull(struct daemon *d, const struct ws *w)
{
	return !d->fleet || (w->fleet_owned && daemon_fleet_healthy(d));
}

void daemon_fleet_note(struct daemon *d, char *buf, size_t len)
{
	buf[0] = '\0';
	struct daemon_fleet *f = d->fleet;
	if (!f || daemon_fleet_healthy(d))
		return;
	struct store_fleet_stats s;
	store_fleet_stats(d->store, &s);
	if (s.renewed_until == 0)
		errbuf_set(buf, len,
		           "fleet: no lease renewed yet: no pulls until the store answers");
	else
		errbuf_set(buf, len,
		           "fleet: leases not renewed for %.1f s: no new pulls until the store "
		           "answers",
		           (double)(clock_mono_ms() - (s.renewed_until - f->lease_ms)) / 1000.0);
}

/* Say when the leases stop being renewed in time, and when they are again. */
static void health_check(struct daemon_fleet *f)
{
	struct daemon *d = f->d;
	bool h = daemon_fleet_healthy(d);
	if (h == f->healthy)
		return;
	f->healthy = h;
	if (!h) {
		char note[256];
		daemon_fleet_note(d, note, sizeof(note));
		log_msg(LOGL_WARNING, "%s", note);
		daemon_status_error(d, NULL, note);
		f->said_unhealthy = true;
	} else if (f->said_unhealthy) {
		log_msg(LOGL_NOTICE, "fleet: leases renewed again: pulls resume");
		d->last_error[0] = '\0';
		event_active(d->settle, 0, 0); /* held pulls may start */
	}
	daemon_status_update(d);
}

/* The server's clock, for ticks and stamps (clock.h), when it is off from this host's. */
static void clock_follow(int64_t offset_ms)
{
	int64_t cur = atomic_load_explicit(&clock_wall_offset_ms, memory_order_relaxed);
	int64_t diff = offset_ms - cur;
	if (diff <= FLEET_OFFSET_SLACK_MS && diff >= -FLEET_OFFSET_SLACK_MS)
		return;
	if (offset_ms <= FLEET_OFFSET_SLACK_MS && offset_ms >= -FLEET_OFFSET_SLACK_MS)
		offset_ms = 0; /* back in step: no correction */
	atomic_store_explicit(&clock_wall_offset_ms, offset_ms, memory_order_relaxed);
	log_msg(LOGL_NOTICE, "fleet: this host's clock is %+.3f s from the store's: %s",
	        (double)-offset_ms / 1000.0,
	        offset_ms ? "the store's is used for ticks and stamps" : "no correction");
}

/* --- the heartbeat -------------------------------------------------------------- */

/*
 * Give back the lease of w (it should be another member's, or it left the
 * configuration): no pull of it runs. It is unscheduled; its row is the
 * next owner's.
 */
static void give_back(struct daemon *d, struct ws *w, const char *why)
{
	char err[256];
	w->fleet_owned = false;
	ws_unschedule(w, &d->sched);
	if (store_fleet_release(d->store, w->cfg->name, err, sizeof(err)) != 0)
		log_ws(&w->rl, LOGL_WARNING, w->cfg->name, 0, "fleet: %s (its lease expires)", err);
	else
		log_ws(NULL, LOGL_INFO, w->cfg->name, 0, "fleet: lease given back: %s", why);
}

/*
 * Decide and send the heartbeat: with the members known, every workspace
 * this member should own and does not hold is asked for; every one it
 * holds and should not, whose pull has ended, is given back.
 */
static void beat(struct daemon_fleet *f)
{
	struct daemon *d = f->d;
	daemon_ws_settle(d);
	health_check(f);
	f->self.live = true;
	size_t n_members = 1 + f->n_others;
	const struct fleet_member **members = calloc(n_members, sizeof(*members));
	const char **take = calloc(d->n_ws ? d->n_ws : 1, sizeof(*take));
	if (!members || !take) {
		free(members);
		free(take);
		log_msg(LOGL_ERR, "fleet: out of memory for the heartbeat");
		return;
	}
	members[0] = &f->self;
	bool all_loaded = true;
	for (size_t i = 0; i < f->n_others; i++) {
		members[1 + i] = &f->others[i];
		if (f->others[i].live && !f->others[i].loaded)
			all_loaded = false;
	}
	size_t n_take = 0;
	bool decide = f->members_known && all_loaded && !d->stopping;
	for (size_t i = 0; decide && i < d->n_ws; i++) {
		struct ws *w = d->ws[i];
		const struct fleet_member *o =
		        w->cfg->enabled && w->state != WS_REMOVED
		                ? fleet_owner(members, n_members, w->cfg->name)
		                : NULL;
		bool mine = o == &f->self;
		if (mine && !w->fleet_owned)
			take[n_take++] = w->cfg->name;
		else if (!mine && w->fleet_owned && !w->pull)
			give_back(d, w, o ? "it belongs to another member now" : "not pulled here");
	}
	char err[256];
	int rc = store_fleet_heartbeat(d->store, take, n_take, err, sizeof(err));
	if (rc != 0 && rc != SQLITE_BUSY)
		log_msg(LOGL_INFO, "fleet: heartbeat not sent: %s", err);
	free(members);
	free(take);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon_fleet *f = arg;
	mono_us t0 = loopstat_begin();
	beat(f);
	loopstat_end(t0, "fleet heartbeat");
}

/* --- the store's answers ----------------------------------------------------------- */

static void hook_beat(void *arg, const struct store_fleet_beat *b)
{
	struct daemon_fleet *f = arg;
	struct daemon *d = f->d;
	if (!b->ok) {
		health_check(f);
		return;
	}
	if (b->rtt_ms > f->lease_ms / 3)
		log_msg(LOGL_INFO, "fleet: a heartbeat took %.1f s to be answered",
		        (double)b->rtt_ms / 1000.0);
	if (b->rtt_ms <= FLEET_OFFSET_RTT_MS)
		clock_follow(b->server_offset_ms);
	/*
	 * The members: live, and their lists read when new or changed. A
	 * member is live while its last heartbeat is younger than its lease,
	 * plus the time this one went without an answer: after an outage of
	 * the store every member's heartbeat is as old as it lasted, and none
	 * should take the others' workspaces for it.
	 */
	mono_ms now = clock_mono_ms();
	int64_t gap = f->last_ok_ms ? now - f->last_ok_ms : 0;
	f->last_ok_ms = now;
	for (size_t i = 0; i < f->n_others; i++)
		f->others[i].live = false;
	const char **stale = calloc(b->n_members ? b->n_members : 1, sizeof(*stale));
	size_t n_stale = 0;
	for (size_t i = 0; i < b->n_members; i++) {
		const struct store_fleet_member *m = &b->members[i];
		struct fleet_member *o = other_named(f, m->name);
		if (!o) {
			if (f->n_others == f->cap_others) {
				size_t cap = f->cap_others ? f->cap_others * 2 : 8;
				struct fleet_member *p = realloc(f->others, cap * sizeof(*p));
				if (!p)
					continue;
				f->others = p;
				f->cap_others = cap;
			}
			o = &f->others[f->n_others++];
			memset(o, 0, sizeof(*o));
			snprintf(o->name, sizeof(o->name), "%s", m->name);
		}
		o->live = m->age_ms < m->lease_ms + gap;
		o->age_ms = m->age_ms;
		o->lease_ms = m->lease_ms;
		o->workspaces = m->workspaces;
		snprintf(o->fingerprint, sizeof(o->fingerprint), "%s", m->fingerprint);
		/* "" : its list is not written yet (it just started): not loaded. */
		if (o->live && !m->digest[0]) {
			o->loaded = false;
			o->digest[0] = '\0';
		} else if (o->live && (!o->loaded || strcmp(o->digest, m->digest) != 0) && stale) {
			snprintf(o->digest, sizeof(o->digest), "%s", m->digest);
			o->loaded = false;
			stale[n_stale++] = o->name;
		}
	}
	if (n_stale && !f->reading) {
		char err[256];
		if (store_fleet_read_members(d->store, stale, n_stale, err, sizeof(err)) == 0)
			f->reading = true;
	}
	free(stale);
	bool first = !f->members_known;
	f->members_known = true;
	health_check(f);
	if (first)
		log_msg(LOGL_NOTICE, "fleet: member %s joined; %zu other members known",
		        f->self.name, b->n_members);
}

static void hook_member_ws(void *arg, const char *member, const char *const *names, size_t n)
{
	struct daemon_fleet *f = arg;
	f->reading = false;
	struct fleet_member *o = other_named(f, member);
	if (o && fleet_member_set(o, names, n) != 0)
		log_msg(LOGL_ERR, "fleet: out of memory for the workspaces of member %s", member);
}

/*
 * w's lease was taken: its row as the store has it now becomes w's
 * (times, failures, a settled state), and it is scheduled so that no tick
 * is pulled twice: when the pull that last completed (ok or partial)
 * started in the tick now running, the next pull waits for the next tick
 * at least half an interval after it; else the tick now running was not
 * pulled, and w is pulled at once.
 */
static void hook_taken(void *arg, const struct store_fleet_taken *t)
{
	struct daemon_fleet *f = arg;
	struct daemon *d = f->d;
	daemon_ws_settle(d);
	struct ws *w = ws_named(d, t->name);
	if (!w || !w->cfg->enabled || d->stopping) {
		char err[256];
		store_fleet_release(d->store, t->name, err, sizeof(err));
		return;
	}
	w->fleet_owned = true;
	if (t->has_row)
		daemon_ws_restore(d, w, &t->saved);
	w->saved_hash = 0; /* the row is the store's now; written again when it changes */
	ws_place_tick(w);
	if (w->state == WS_AUTH_FAILED) {
		ws_unschedule(w, &d->sched);
	} else {
		wall_ms now = clock_wall_ms();
		int64_t iv = w->interval_ms;
		int64_t phase = sched_phase(w->cfg->name, iv);
		int64_t into = ((now - phase) % iv + iv) % iv;
		wall_ms tick_now = now - into; /* the tick running now */
		/* started_at is cut to the second: the pull began within the second after. */
		wall_ms done = t->last_done_start * 1000 + 999;
		if (t->last_done_start && done >= tick_now) {
			w->began_ms = clock_mono_ms() - (now - done);
			ws_schedule_next(w, &d->sched);
		} else {
			ws_schedule_at(w, &d->sched, clock_mono_ms());
		}
	}
	daemon_ws_save(d, w);
	log_ws(NULL, LOGL_INFO, w->cfg->name, 0, "fleet: lease taken");
}

static void hook_lost(void *arg, const char *name)
{
	struct daemon_fleet *f = arg;
	struct daemon *d = f->d;
	daemon_ws_settle(d);
	struct ws *w = ws_named(d, name);
	if (!w || !w->fleet_owned)
		return;
	w->fleet_owned = false;
	ws_unschedule(w, &d->sched);
	log_ws(&w->rl, LOGL_WARNING, name, pull_id(w), "fleet: lease lost%s",
	       w->pull ? ": its pull is cancelled" : "");
	pull_cancel(w, "lease lost");
}

/* --- start, stop, reload ------------------------------------------------------------ */

void daemon_fleet_clock(struct daemon *d)
{
	struct store_fleet_stats st;
	store_fleet_stats(d->store, &st);
	if (d->cfg->fleet && !d->args->once)
		clock_follow(st.server_offset_ms);
}

int daemon_fleet_start(struct daemon *d)
{
	if (!d->cfg->fleet)
		return 0;
	struct daemon_fleet *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	f->d = d;
	f->lease_ms = d->cfg->fleet_lease_ms;
	f->healthy = true;
	snprintf(f->self.name, sizeof(f->self.name), "%s", d->cfg->fleet_member);
	f->timer = event_new(d->base, -1, EV_PERSIST, on_timer, f);
	d->fleet = f;
	char err[256] = "";
	struct store_fleet_hooks h = {
	        .beat = hook_beat,
	        .taken = hook_taken,
	        .lost = hook_lost,
	        .member_ws = hook_member_ws,
	        .arg = f,
	};
	int64_t every = f->lease_ms / 3;
	struct timeval tv = {.tv_sec = every / 1000, .tv_usec = (every % 1000) * 1000};
	if (!f->timer || store_fleet_hooks(d->store, &h) != 0 || event_add(f->timer, &tv) != 0 ||
	    self_list(f, err, sizeof(err)) != 0) {
		log_msg(LOGL_ERR, "fleet: cannot start: %s", err[0] ? err : "out of memory");
		return -1;
	}
	log_msg(LOGL_NOTICE, "fleet: member %s, lease %.1f s, heartbeat every %.1f s", f->self.name,
	        (double)f->lease_ms / 1000.0, (double)every / 1000.0);
	beat(f); /* the first heartbeat now: the members, then the leases at the next */
	return 0;
}

void daemon_fleet_stop(struct daemon *d)
{
	struct daemon_fleet *f = d->fleet;
	if (!f)
		return;
	if (f->timer)
		event_free(f->timer);
	store_fleet_hooks(d->store, &(struct store_fleet_hooks){0});
	fleet_member_clear(&f->self);
	for (size_t i = 0; i < f->n_others; i++)
		fleet_member_clear(&f->others[i]);
	free(f->others);
	free(f);
	d->fleet = NULL;
}

void daemon_fleet_forget(struct daemon *d, struct ws *w)
{
	if (d->fleet && w->fleet_owned)
		give_back(d, w, "removed from the configuration");
}

void daemon_fleet_reloaded(struct daemon *d)
{
	struct daemon_fleet *f = d->fleet;
	if (!f)
		return;
	char err[256];
	if (self_list(f, err, sizeof(err)) != 0)
		log_msg(LOGL_ERR, "fleet: the member's workspaces not updated: %s", err);
	/* A disabled workspace's lease goes back (its pull was cancelled by the reload). */
	for (size_t i = 0; i < d->n_ws; i++)
		if (d->ws[i]->fleet_owned && !d->ws[i]->cfg->enabled && !d->ws[i]->pull)
			give_back(d, d->ws[i], "disabled");
}

void daemon_fleet_stats(struct daemon *d, struct daemon_fleet_stats *s)
{
	*s = (struct daemon_fleet_stats){0};
	struct daemon_fleet *f = d->fleet;
	if (!f)
		return;
	struct store_fleet_stats st;
	store_fleet_stats(d->store, &st);
	s->on = true;
	s->members = 1;
	for (size_t i = 0; i < f->n_others; i++)
		s->members += f->others[i].live;
	s->owned = st.held;
	s->taken = st.taken;
	s->lost = st.lost;
	s->fenced = st.fenced;
	s->released = st.released;
	s->healthy = daemon_fleet_healthy(d);
}
