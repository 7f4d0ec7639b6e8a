/*
 * store_pg_fleet.c: the fleet's part of the PostgreSQL store (store.h's
 * store_fleet_*, store_pg_fleet.h): this member's leases as it knows them,
 * its registration, heartbeat, takes and releases, and the answers turned
 * into the hooks' reports.
 *
 * The leases: a table of workspace name -> fencing token (> 0 held, -1
 * lost, 0 not held), which store_pg.c asks for every write of a workspace
 * (the write's fence carries the token). A token is set when the server
 * committed the take, and goes when the lease is given back (at once: no
 * later write of that workspace is sent with it), lost to a fence
 * (store_pg.c says so) or found missing after a heartbeat: each heartbeat
 * renews every lease of the member that has not expired and says how many
 * it renewed and the sum of their tokens; a difference from what this
 * process holds asks the server for the list (PG_SQL_FLEET_MINE), and
 * every lease held here but not there is lost.
 *
 * Answers arrive inside the store's reading of results (pg_fleet_done_fn):
 * they are kept as they are and handled from an event of the loop, which
 * may then call the hooks, which may write.
 */
#include "store_pg_fleet.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "clock.h"
#include "errbuf.h"
#include "fnv.h"
#include "log.h"
#include "store_pg.h"
#include "store_pg_sql.h"
#include "ts.h"

#define NAME_CAP 65

/* One workspace's lease as this process knows it. */
struct lease_slot {
	char name[NAME_CAP]; /* "" free */
	int64_t token;       /* > 0 held, -1 lost, 0 not held */
};

/* A pull this process began, for its end's fence. */
struct pull_ws {
	int64_t id;
	char ws[NAME_CAP];
};

enum answer_kind { ANS_BEAT, ANS_MINE, ANS_MEMBERS };

/* An answer of the server (or its loss), kept until the event handles it. */
struct answer {
	struct answer *next;
	enum answer_kind kind;
	bool ok;
	PGresult *res[3];
	size_t nres;
	mono_ms sent_ms;
	uint64_t expect_n;  /* ANS_BEAT: the leases held when it was sent ... */
	int64_t expect_sum; /* ... and their tokens' sum */
	bool took;          /* ANS_BEAT: it tried to take leases */
	char **names;       /* ANS_MEMBERS: the members asked about */
	size_t n_names;
};

/* A lost lease to report. */
struct lost_name {
	struct lost_name *next;
	char name[NAME_CAP];
};

struct store_pg_fleet {
	struct store_pg *pg;
	char member[NAME_CAP];
	int64_t lease_ms;
	struct store_fleet_hooks hooks;
	struct lease_slot *slots; /* open addressing, cap a power of two */
	size_t cap, used;
	uint64_t held;
	int64_t held_sum;
	struct pull_ws *pulls;
	size_t n_pulls, cap_pulls;
	struct event *ev; /* handles the answers and losses kept */
	struct answer *ans_head, *ans_tail;
	struct lost_name *lost_head, *lost_tail;
	bool beat_inflight, mine_inflight;
	mono_ms renewed_until;
	mono_ms mine_renewed_until; /* what renewed_until becomes once PG_SQL_FLEET_MINE answered */
	int64_t offset_ms;
	uint64_t n_taken, n_lost, n_fenced, n_released, n_beats;
};

/* ---- the table of leases ---- */

static size_t slot_of(const struct store_pg_fleet *f, const char *name)
{
	size_t mask = f->cap - 1, i = (size_t)fnv1a_str(FNV1A_OFFSET, name) & mask;
	while (f->slots[i].name[0] && strcmp(f->slots[i].name, name) != 0)
		i = (i + 1) & mask;
	return i;
}

static struct lease_slot *lease_find(const struct store_pg_fleet *f, const char *name)
{
	if (!f->cap)
		return NULL;
	struct lease_slot *s = &f->slots[slot_of(f, name)];
	return s->name[0] ? s : NULL;
}

/* The slot of name, added when missing (token 0). NULL on OOM or a name too long. */
static struct lease_slot *lease_add(struct store_pg_fleet *f, const char *name)
{
	if (strlen(name) >= NAME_CAP)
		return NULL;
	if ((f->used + 1) * 2 > f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 1024;
		struct lease_slot *old = f->slots;
		size_t old_cap = f->cap;
		f->slots = calloc(cap, sizeof(*f->slots));
		if (!f->slots) {
			f->slots = old;
			return NULL;
		}
		f->cap = cap;
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].name[0])
				f->slots[slot_of(f, old[i].name)] = old[i];
		free(old);
	}
	struct lease_slot *s = &f->slots[slot_of(f, name)];
	if (!s->name[0]) {
		snprintf(s->name, sizeof(s->name), "%s", name);
		s->token = 0;
		f->used++;
	}
	return s;
}

/* Set name's token (> 0 held, -1 lost, 0 not held), keeping the count and sum of those held. */
static void lease_set(struct store_pg_fleet *f, struct lease_slot *s, int64_t token)
{
	if (s->token > 0) {
		f->held--;
		f->held_sum -= s->token;
	}
	s->token = token;
	if (token > 0) {
		f->held++;
		f->held_sum += token;
	}
}

int64_t store_pg_fleet_token(const struct store_pg_fleet *f, const char *ws)
{
	const struct lease_slot *s = lease_find(f, ws);
	return s ? s->token : 0;
}

const char *store_pg_fleet_member(const struct store_pg_fleet *f)
{
	return f->member;
}

/* ---- the pulls begun ---- */

int store_pg_fleet_pull_begun(struct store_pg_fleet *f, int64_t id, const char *ws)
{
	if (f->n_pulls == f->cap_pulls) {
		size_t cap = f->cap_pulls ? f->cap_pulls * 2 : 64;
		struct pull_ws *p = realloc(f->pulls, cap * sizeof(*p));
		if (!p)
			return -1;
		f->pulls = p;
		f->cap_pulls = cap;
	}
	struct pull_ws *p = &f->pulls[f->n_pulls++];
	p->id = id;
	snprintf(p->ws, sizeof(p->ws), "%s", ws);
	return 0;
}

int store_pg_fleet_pull_ws(struct store_pg_fleet *f, int64_t id, char *ws, size_t len, bool forget)
{
	for (size_t i = 0; i < f->n_pulls; i++) {
		if (f->pulls[i].id != id)
			continue;
		snprintf(ws, len, "%s", f->pulls[i].ws);
		if (forget)
			f->pulls[i] = f->pulls[--f->n_pulls];
		return 0;
	}
	return -1;
}

/* ---- reports, from the event ---- */

static void lost_report(struct store_pg_fleet *f, const char *name)
{
	struct lost_name *l = calloc(1, sizeof(*l));
	if (!l)
		return; /* the next heartbeat's count finds it */
	snprintf(l->name, sizeof(l->name), "%s", name);
	if (f->lost_tail)
		f->lost_tail->next = l;
	else
		f->lost_head = l;
	f->lost_tail = l;
	event_active(f->ev, 0, 0);
}

/* name's lease is lost: its token goes (-1), and the hooks hear it. */
static void lease_lost(struct store_pg_fleet *f, struct lease_slot *s)
{
	if (s->token <= 0)
		return;
	lease_set(f, s, -1);
	f->n_lost++;
	lost_report(f, s->name);
}

void store_pg_fleet_fenced(struct store_pg_fleet *f, const char *ws, int64_t token,
                           uint64_t n_dropped)
{
	f->n_fenced += n_dropped + 1;
	if (token < 0) { /* refused before it was sent: the loss is known already */
		log_msg(LOGL_INFO, "fleet: a write of %s refused: its lease is lost", ws);
		return;
	}
	log_msg(LOGL_WARNING,
	        "fleet: lease of %s (token %" PRId64 ") lost: %" PRIu64
	        " writes fenced, nothing of them stored",
	        ws, token, n_dropped + 1);
	struct lease_slot *s = lease_find(f, ws);
	if (s && s->token == token)
		lease_lost(f, s);
}

static int64_t num(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static int mine_submit(struct store_pg_fleet *f);

/* A heartbeat's answer: the renewal checked, the members reported, the leases taken. */
static void handle_beat(struct store_pg_fleet *f, struct answer *a)
{
	struct store_fleet_beat b = {.ok = a->ok, .sent_ms = a->sent_ms};
	const PGresult *r = a->nres > 0 ? a->res[0] : NULL;
	struct store_fleet_member *m = NULL;
	if (a->ok && r && PQntuples(r) > 0) {
		mono_ms now = clock_mono_ms();
		f->n_beats++;
		b.rtt_ms = now - a->sent_ms;
		b.server_offset_ms = num(r, 0, 2) - (clock_wall_raw_ms() - b.rtt_ms / 2);
		f->offset_ms = b.server_offset_ms;
		uint64_t renewed = (uint64_t)num(r, 0, 0);
		int64_t sum = num(r, 0, 1);
		/*
		 * Renewed fewer or others than held: which ones are lost is asked
		 * first; until the answer the leases do not count as renewed (no
		 * pull starts on a lease that may be gone).
		 */
		if (renewed != a->expect_n || sum != a->expect_sum) {
			f->mine_renewed_until = a->sent_ms + f->lease_ms;
			if (!f->mine_inflight) {
				log_msg(LOGL_INFO,
				        "fleet: the heartbeat renewed %" PRIu64 " leases, %" PRIu64
				        " were held: asking which",
				        renewed, a->expect_n);
				mine_submit(f);
			}
		} else {
			f->renewed_until = a->sent_ms + f->lease_ms;
		}
		int n = PQntuples(r);
		m = calloc((size_t)n, sizeof(*m));
		for (int i = 0; m && i < n; i++) {
			if (PQgetisnull(r, i, 4))
				continue;
			m[b.n_members++] = (struct store_fleet_member){
			        .name = PQgetvalue(r, i, 4),
			        .fingerprint = PQgetvalue(r, i, 5),
			        .digest = PQgetvalue(r, i, 6),
			        .workspaces = num(r, i, 7),
			        .age_ms = num(r, i, 8),
			        .lease_ms = num(r, i, 9),
			};
		}
		b.members = m;
	} else {
		b.ok = false;
	}
	const PGresult *t = a->ok && a->took && a->nres > 2 ? a->res[2] : NULL;
	for (int i = 0; t && i < PQntuples(t); i++) {
		const char *name = PQgetvalue(t, i, 0);
		struct lease_slot *s = lease_add(f, name);
		if (!s)
			continue;
		lease_set(f, s, num(t, i, 1));
		f->n_taken++;
		struct store_fleet_taken k = {.name = name,
		                              .has_row = PQgetvalue(t, i, 2)[0] == 't'};
		struct store_ws_saved *v = &k.saved;
		copy_cut(v->state, sizeof(v->state), PQgetvalue(t, i, 3));
		copy_cut(v->state_reason, sizeof(v->state_reason), PQgetvalue(t, i, 4));
		copy_cut(v->license_code, sizeof(v->license_code), PQgetvalue(t, i, 5));
		copy_cut(v->base_url, sizeof(v->base_url), PQgetvalue(t, i, 6));
		copy_cut(v->key_fingerprint, sizeof(v->key_fingerprint), PQgetvalue(t, i, 7));
		v->last_pull_at = num(t, i, 8);
		v->last_success_at = num(t, i, 9);
		v->consecutive_failures = (int)num(t, i, 10);
		k.last_done_start = num(t, i, 11);
		if (f->hooks.taken)
			f->hooks.taken(f->hooks.arg, &k);
	}
	f->beat_inflight = false;
	if (f->hooks.beat)
		f->hooks.beat(f->hooks.arg, &b);
	free(m);
}

static int release_token(struct store_pg_fleet *f, const char *name, int64_t token);

/*
 * The leases the server says this member holds: every other one held here
 * is lost; one held there but not here (taken by a heartbeat whose answer
 * went with the connection) is given back, or it would be renewed and never
 * pulled.
 */
static void handle_mine(struct store_pg_fleet *f, struct answer *a)
{
	f->mine_inflight = false;
	if (!a->ok || a->nres < 1)
		return;
	f->renewed_until = f->mine_renewed_until;
	const PGresult *r = a->res[0];
	int n = PQntuples(r);
	for (int k = 0; k < n; k++) {
		const char *name = PQgetvalue(r, k, 0);
		int64_t token = num(r, k, 1);
		if (store_pg_fleet_token(f, name) != token) {
			log_msg(LOGL_INFO,
			        "fleet: lease of %s (token %" PRId64 ") unknown here: given back",
			        name, token);
			release_token(f, name, token);
		}
	}
	for (size_t i = 0; i < f->cap; i++) {
		struct lease_slot *s = &f->slots[i];
		if (!s->name[0] || s->token <= 0)
			continue;
		bool there = false;
		for (int k = 0; k < n && !there; k++)
			there = strcmp(PQgetvalue(r, k, 0), s->name) == 0 &&
			        num(r, k, 1) == s->token;
		if (!there) {
			log_msg(LOGL_WARNING,
			        "fleet: lease of %s (token %" PRId64 ") lost: not renewed", s->name,
			        s->token);
			lease_lost(f, s);
		}
	}
}

/* Which workspaces each member asked about has configured. */
static void handle_members(struct store_pg_fleet *f, struct answer *a)
{
	const PGresult *r = a->ok && a->nres > 0 ? a->res[0] : NULL;
	int n = r ? PQntuples(r) : 0;
	const char **names = calloc((size_t)n + 1, sizeof(*names));
	for (size_t m = 0; names && m < a->n_names; m++) {
		size_t k = 0;
		for (int i = 0; i < n; i++)
			if (strcmp(PQgetvalue(r, i, 0), a->names[m]) == 0)
				names[k++] = PQgetvalue(r, i, 1);
		if (r && f->hooks.member_ws)
			f->hooks.member_ws(f->hooks.arg, a->names[m], names, k);
	}
	free(names);
}

static void answer_free(struct answer *a)
{
	for (size_t i = 0; i < a->nres; i++)
		PQclear(a->res[i]);
	for (size_t i = 0; i < a->n_names; i++)
		free(a->names[i]);
	free(a->names);
	free(a);
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct store_pg_fleet *f = arg;
	struct lost_name *l;
	while ((l = f->lost_head)) {
		f->lost_head = l->next;
		if (!f->lost_head)
			f->lost_tail = NULL;
		if (f->hooks.lost)
			f->hooks.lost(f->hooks.arg, l->name);
		free(l);
	}
	struct answer *a;
	while ((a = f->ans_head)) {
		f->ans_head = a->next;
		if (!f->ans_head)
			f->ans_tail = NULL;
		switch (a->kind) {
		case ANS_BEAT:
			handle_beat(f, a);
			break;
		case ANS_MINE:
			handle_mine(f, a);
			break;
		case ANS_MEMBERS:
			handle_members(f, a);
			break;
		}
		answer_free(a);
	}
}

/* pg_fleet_done_fn of every fleet statement with an answer: keep it for the event. */
static void answered(void *arg, bool ok, PGresult **res, size_t nres)
{
	struct answer *a = arg;
	struct store_pg_fleet *f = (struct store_pg_fleet *)a->next; /* parked there until now */
	a->next = NULL;
	a->ok = ok;
	for (size_t i = 0; i < nres && a->nres < 3; i++) {
		a->res[a->nres++] = res[i];
		res[i] = NULL;
	}
	if (f->ans_tail)
		f->ans_tail->next = a;
	else
		f->ans_head = a;
	f->ans_tail = a;
	event_active(f->ev, 0, 0);
}

/* A fleet op that answers into a (the fleet parked in a->next until the answer). */
static struct pg_op *answer_op(struct store_pg_fleet *f, struct answer *a, const char *what)
{
	a->next = (struct answer *)(void *)f;
	a->sent_ms = clock_mono_ms();
	return store_pg_fleet_op(what, answered, a);
}

/* ---- arrays of names ---- */

/* "{"a","b"}": names as a text[] literal (names hold no '"' or '\'). NULL on OOM. */
static char *name_array(const char *const *names, size_t n)
{
	size_t len = 3;
	for (size_t i = 0; i < n; i++)
		len += strlen(names[i]) + 3;
	char *s = malloc(len), *p = s;
	if (!s)
		return NULL;
	*p++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		size_t k = strlen(names[i]);
		memcpy(p, names[i], k);
		p += k;
		*p++ = '"';
	}
	*p++ = '}';
	*p = '\0';
	return s;
}

/* ---- the store's calls ---- */

void store_pg_fleet_reconnected(struct store_pg_fleet *f)
{
	char err[256];
	if (!f->beat_inflight && store_pg_fleet_heartbeat(f, NULL, 0, err, sizeof(err)) == 0)
		log_msg(LOGL_INFO, "fleet: connected again: the leases are renewed first");
}

static int mine_submit(struct store_pg_fleet *f)
{
	struct answer *a = calloc(1, sizeof(*a));
	if (!a)
		return SQLITE_NOMEM;
	a->kind = ANS_MINE;
	struct pg_op *op = answer_op(f, a, "fleet: reading this member's leases");
	const char *v[] = {f->member};
	if (!op || store_pg_fleet_op_add(op, PG_SQL_FLEET_MINE, 1, v) != 0) {
		store_pg_fleet_op_free(op);
		free(a);
		return SQLITE_NOMEM;
	}
	char err[256];
	f->mine_inflight = true;
	int rc = store_pg_fleet_submit(f->pg, op, err, sizeof(err));
	if (rc != SQLITE_OK) {
		f->mine_inflight = false;
		free(a);
	}
	return rc;
}

int store_pg_fleet_set_hooks(struct store_pg_fleet *f, const struct store_fleet_hooks *h)
{
	f->hooks = *h;
	return SQLITE_OK;
}

int store_pg_fleet_configure(struct store_pg_fleet *f, const char *fingerprint,
                             const char *const *names, size_t n, char *err, size_t errlen)
{
	char *arr = name_array(names, n);
	/* The digest of the set of names, whatever their order: a sum of each one's hash. */
	uint64_t d = 0;
	for (size_t i = 0; i < n; i++)
		d += fnv1a_str(FNV1A_OFFSET, names[i]) * 0x9e3779b97f4a7c15ull;
	char dig[17], cnt[24];
	snprintf(dig, sizeof(dig), "%016" PRIx64, d);
	snprintf(cnt, sizeof(cnt), "%zu", n);
	struct pg_op *op = store_pg_fleet_op("fleet: this member's workspaces", NULL, NULL);
	const char *v2[] = {f->member, arr};
	const char *v4[] = {f->member, fingerprint, cnt, dig};
	if (!arr || !op || store_pg_fleet_op_add(op, PG_SQL_FLEET_CONF_DELETE, 2, v2) != 0 ||
	    store_pg_fleet_op_add(op, PG_SQL_FLEET_CONF_INSERT, 2, v2) != 0 ||
	    store_pg_fleet_op_add(op, PG_SQL_FLEET_CONF_MEMBER, 4, v4) != 0) {
		free(arr);
		store_pg_fleet_op_free(op);
		errbuf_set(err, errlen, "fleet: out of memory");
		return SQLITE_NOMEM;
	}
	free(arr);
	return store_pg_fleet_submit(f->pg, op, err, errlen);
}

int store_pg_fleet_heartbeat(struct store_pg_fleet *f, const char *const *take, size_t n, char *err,
                             size_t errlen)
{
	if (f->beat_inflight) {
		errbuf_set(err, errlen, "fleet: the last heartbeat is not answered yet");
		return SQLITE_BUSY;
	}
	struct answer *a = calloc(1, sizeof(*a));
	if (!a) {
		errbuf_set(err, errlen, "fleet: out of memory");
		return SQLITE_NOMEM;
	}
	a->kind = ANS_BEAT;
	a->expect_n = f->held;
	a->expect_sum = f->held_sum;
	a->took = n > 0;
	char lease[24], fin[TS_LEN];
	snprintf(lease, sizeof(lease), "%" PRId64, f->lease_ms);
	ts_format(clock_wall_s(), fin);
	char *arr = n ? name_array(take, n) : NULL;
	struct pg_op *op = answer_op(f, a, "fleet: heartbeat");
	const char *v2[] = {f->member, lease}, *v3[] = {f->member, lease, arr},
	           *vc[] = {f->member, fin}, *v1[] = {f->member};
	bool bad = !op || (n && !arr) || store_pg_fleet_op_add(op, PG_SQL_FLEET_BEAT, 2, v2) != 0;
	if (!bad && n)
		bad = store_pg_fleet_op_add(op, PG_SQL_FLEET_TAKE, 3, v3) != 0 ||
		      store_pg_fleet_op_add(op, PG_SQL_FLEET_CLOSE_TAKEN, 2, vc) != 0 ||
		      store_pg_fleet_op_add(op, PG_SQL_FLEET_TAKEN, 1, v1) != 0;
	free(arr);
	if (bad) {
		store_pg_fleet_op_free(op);
		free(a);
		errbuf_set(err, errlen, "fleet: out of memory");
		return SQLITE_NOMEM;
	}
	f->beat_inflight = true;
	int rc = store_pg_fleet_submit(f->pg, op, err, errlen);
	if (rc != SQLITE_OK) {
		f->beat_inflight = false;
		free(a);
	}
	return rc;
}

/* Queue the delete of name's lease with token (unsent when the store is down: it expires). */
static int release_token(struct store_pg_fleet *f, const char *name, int64_t token)
{
	char tok[24], err[256];
	snprintf(tok, sizeof(tok), "%" PRId64, token);
	const char *v[] = {name, f->member, tok};
	struct pg_op *op = store_pg_fleet_op("fleet: giving a lease back", NULL, NULL);
	if (!op || store_pg_fleet_op_add(op, PG_SQL_FLEET_RELEASE, 3, v) != 0) {
		store_pg_fleet_op_free(op);
		return SQLITE_NOMEM;
	}
	return store_pg_fleet_submit(f->pg, op, err, sizeof(err));
}

int store_pg_fleet_release(struct store_pg_fleet *f, const char *name, char *err, size_t errlen)
{
	struct lease_slot *s = lease_find(f, name);
	if (!s || s->token <= 0)
		return SQLITE_OK;
	int64_t token = s->token;
	lease_set(f, s, 0); /* no write of it is fenced with this token from now on */
	f->n_released++;
	int rc = release_token(f, name, token);
	if (rc == SQLITE_NOMEM)
		errbuf_set(err, errlen, "fleet: out of memory");
	else if (rc != SQLITE_OK)
		errbuf_set(err, errlen, "fleet: the store is unavailable");
	return rc;
}

int store_pg_fleet_read_members(struct store_pg_fleet *f, const char *const *members, size_t n,
                                char *err, size_t errlen)
{
	struct answer *a = calloc(1, sizeof(*a));
	char *arr = name_array(members, n);
	if (a)
		a->names = calloc(n ? n : 1, sizeof(*a->names));
	bool bad = !a || !arr || !a->names;
	for (size_t i = 0; !bad && i < n; i++) {
		bad = !(a->names[i] = strdup(members[i]));
		a->n_names += !bad;
	}
	struct pg_op *op = bad ? NULL : answer_op(f, a, "fleet: reading the members' workspaces");
	const char *v[] = {arr};
	if (bad || !op || store_pg_fleet_op_add(op, PG_SQL_FLEET_MEMBER_WS, 1, v) != 0) {
		store_pg_fleet_op_free(op);
		if (a)
			answer_free(a);
		free(arr);
		errbuf_set(err, errlen, "fleet: out of memory");
		return SQLITE_NOMEM;
	}
	a->kind = ANS_MEMBERS;
	free(arr);
	int rc = store_pg_fleet_submit(f->pg, op, err, errlen);
	if (rc != SQLITE_OK)
		answer_free(a);
	return rc;
}

void store_pg_fleet_stats(const struct store_pg_fleet *f, struct store_fleet_stats *s)
{
	*s = (struct store_fleet_stats){
	        .taken = f->n_taken,
	        .lost = f->n_lost,
	        .fenced = f->n_fenced,
	        .released = f->n_released,
	        .held = f->held,
	        .beats = f->n_beats,
	        .renewed_until = f->renewed_until,
	        .server_offset_ms = f->offset_ms,
	};
}

/* ---- open, leave, free ---- */

const char *store_pg_fleet_close_running_sql(void)
{
	return PG_SQL_FLEET_CLOSE_RUNNING;
}

struct store_pg_fleet *store_pg_fleet_open(struct store_pg *pg, PGconn *conn, const char *member,
                                           int64_t lease_ms, char *err, size_t errlen)
{
	struct store_pg_fleet *f = calloc(1, sizeof(*f));
	if (!f || strlen(member) >= sizeof(f->member)) {
		free(f);
		errbuf_set(err, errlen, "fleet: out of memory");
		return NULL;
	}
	f->pg = pg;
	snprintf(f->member, sizeof(f->member), "%s", member);
	f->lease_ms = lease_ms;
	f->ev = event_new(store_pg_base(pg), -1, 0, on_event, f);
	if (!f->ev) {
		free(f);
		errbuf_set(err, errlen, "fleet: out of memory");
		return NULL;
	}
	char lease[24];
	snprintf(lease, sizeof(lease), "%" PRId64, lease_ms);
	const char *v1[] = {member}, *v2[] = {member, lease};
	mono_ms t0 = clock_mono_ms();
	PGresult *r = PQexec(conn, "BEGIN");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (ok) {
		r = PQexecParams(conn, PG_SQL_FLEET_DROP_MINE, 1, NULL, v1, NULL, NULL, 0);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (ok) {
		r = PQexecParams(conn, PG_SQL_FLEET_REGISTER, 2, NULL, v2, NULL, NULL, 0);
		ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		if (ok) {
			int64_t rtt = clock_mono_ms() - t0;
			f->offset_ms = num(r, 0, 0) - (clock_wall_raw_ms() - rtt / 2);
		}
		PQclear(r);
	}
	if (ok) {
		r = PQexec(conn, "COMMIT");
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	if (!ok) {
		char m[256];
		snprintf(m, sizeof(m), "%s", PQerrorMessage(conn));
		m[strcspn(m, "\n")] = '\0';
		errbuf_set(err, errlen, "store %s: fleet member %s: cannot register: %s",
		           store_pg_shown(pg), member, m);
		PQclear(PQexec(conn, "ROLLBACK"));
		store_pg_fleet_free(f);
		return NULL;
	}
	log_msg(LOGL_INFO,
	        "fleet: member %s registered (lease %" PRId64
	        " ms); the server's clock is %+" PRId64 " ms from this host's",
	        member, lease_ms, f->offset_ms);
	return f;
}

void store_pg_fleet_leave(struct store_pg_fleet *f)
{
	const char *v[] = {f->member};
	struct pg_op *op = store_pg_fleet_op("fleet: leaving", NULL, NULL);
	char err[256];
	if (!op || store_pg_fleet_op_add(op, PG_SQL_FLEET_LEAVE_LEASES, 1, v) != 0 ||
	    store_pg_fleet_op_add(op, PG_SQL_FLEET_LEAVE_MEMBER, 1, v) != 0) {
		store_pg_fleet_op_free(op);
		return;
	}
	for (size_t i = 0; i < f->cap; i++)
		if (f->slots[i].name[0] && f->slots[i].token > 0)
			lease_set(f, &f->slots[i], 0);
	if (store_pg_fleet_submit(f->pg, op, err, sizeof(err)) == SQLITE_OK)
		log_msg(LOGL_INFO, "fleet: member %s leaving: its leases are given back",
		        f->member);
}

void store_pg_fleet_free(struct store_pg_fleet *f)
{
	if (!f)
		return;
	if (f->ev)
		event_free(f->ev);
	struct answer *a;
	while ((a = f->ans_head)) {
		f->ans_head = a->next;
		answer_free(a);
	}
	struct lost_name *l;
	while ((l = f->lost_head)) {
		f->lost_head = l->next;
		free(l);
	}
	free(f->slots);
	free(f->pulls);
	free(f);
}
