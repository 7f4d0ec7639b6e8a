/*
 * pull.h: one pull of one workspace, the WebEngage client.
 *
 * A pull probes the key when the workspace has not been probed since its
 * key last changed, then runs the enabled streams in order (stats,
 * campaigns, active users, team), one request at a time. Each stream's
 * rows accumulate in memory over its pages and are committed in one store
 * transaction when the stream is complete; a stream that fails commits
 * nothing and the pull moves to the next stream. A stream waits with its
 * rows while the store gate is closed (storegate.h), and a stream of more
 * than PULL_SLICE_ROWS rows is written a slice per loop turn, holding the
 * gate meanwhile, so that its commit never stalls the loop. Retries,
 * Retry-After and
 * rate-limit holds are handled per request as docs/api.md says.
 *
 * When the pull ends, it writes its pull row and calls
 * daemon_pull_done(); the daemon updates the workspace's state and
 * schedule. The pull is owned by ws->pull from start to end.
 */
#ifndef WEGAUGE_PULL_H
#define WEGAUGE_PULL_H

#include <stddef.h>
#include <stdint.h>

#include "pull_status.h"

struct ws;

/* "running", "ok", ... as stored (pull_status.h); "?" out of range. */
const char *pull_status_name(enum pull_status s);

/*
 * Start a pull of w now (w->pull must be NULL). Returns 0 when it started;
 * 1 when the store is locked by another process (the store gate closed,
 * storegate.h): nothing happened, and the caller holds w until the gate
 * opens; -1 when it could not even begin (the pull row could not be
 * written): then daemon_pull_done() has already been called with
 * PULL_FAILED.
 */
int pull_start(struct ws *w);

/*
 * Write the end of w's last pull that the store could not take when it
 * ended (w->unrecorded). 0 when none is left, -1 when the store still
 * refuses it (kept for the next try).
 */
int pull_record_late(struct ws *w);

/* Streams of more rows than this are committed in slices of this many, one per loop turn. */
#define PULL_SLICE_ROWS 20000

/*
 * Cancel w's running pull, if any: its request is dropped, nothing of its
 * unfinished stream is committed, its row ends "cancelled" with why.
 * daemon_pull_done() is not called; the caller decides what follows.
 */
void pull_cancel(struct ws *w, const char *why);

/* Id of w's running pull, 0 when none. */
int64_t pull_id(const struct ws *w);
/* The stream and page w's pull is at, for the state dump: "campaigns sms-messages page 3". */
void pull_describe(const struct ws *w, char *buf, size_t len);

#endif
