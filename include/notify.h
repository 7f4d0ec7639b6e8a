/*
 * notify.h: wegauged and systemd (sd_notify(3)).
 *
 * READY=1 once the store is open and the configuration loaded;
 * RELOADING=1 with MONOTONIC_USEC= then READY=1 around each reload;
 * STOPPING=1; WATCHDOG=1 from a loop timer at half of WATCHDOG_USEC when
 * sd_watchdog_enabled() says so (a loop that stops turning stops the
 * pings, and systemd restarts the service); and a one-line STATUS=,
 * sent when it changes and at most once a second (a change inside the
 * second is sent when the second is over). NOTIFY_SOCKET is never unset.
 * Without NOTIFY_SOCKET every call is a cheap no-op.
 */
#ifndef WEGAUGE_NOTIFY_H
#define WEGAUGE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"

struct event_base;
struct event;

#define NOTIFY_STATUS_MAX 512

struct notify {
	struct event_base *base;
	struct event *watchdog;              /* persistent timer, NULL when no watchdog */
	struct event *status_tm;             /* sends a STATUS= held back by the rate limit */
	uint64_t watchdog_usec;              /* WATCHDOG_USEC, 0 when disabled */
	mono_ms status_sent_ms;              /* when STATUS= last went out */
	char status[NOTIFY_STATUS_MAX];      /* the last line sent */
	char status_next[NOTIFY_STATUS_MAX]; /* the line waiting for the rate limit */
	uint64_t watchdog_pings;
};

/* Set up (and start the watchdog timer when systemd asks for one). */
void notify_init(struct notify *n, struct event_base *base);
void notify_free(struct notify *n);

void notify_ready(struct notify *n);
void notify_reloading(struct notify *n);
void notify_stopping(struct notify *n);

/*
 * Compose and send STATUS= from the workspace counts (indexed by enum
 * ws_state) and the last error ("" when none).
 */
void notify_status(struct notify *n, size_t n_ws, const int *count, const char *last_error);

/* Format the STATUS= text (without "STATUS="): for tests and the state dump. */
void notify_format_status(char *buf, size_t len, size_t n_ws, const int *count,
                          const char *last_error);

#endif
