/*
 * notify.c: the sd_notify(3) messages of notify.h.
 */
#include "notify.h"

#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"
#include "ws.h"
#include "loopstat.h"

#define STATUS_MIN_GAP_MS 1000

static void send_line(const char *msg)
{
	int rc = sd_notify(0, msg);
	if (rc < 0)
		log_msg(LOGL_WARNING, "sd_notify failed: %s", strerror(-rc));
}

static void watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct notify *n = arg;
	mono_us t0 = loopstat_begin();
	n->watchdog_pings++;
	send_line("WATCHDOG=1");
	loopstat_end(t0, "watchdog");
}

static void status_flush(struct notify *n)
{
	char msg[NOTIFY_STATUS_MAX + 8];
	snprintf(msg, sizeof(msg), "STATUS=%s", n->status_next);
	send_line(msg);
	memcpy(n->status, n->status_next, sizeof(n->status));
	n->status_sent_ms = clock_mono_ms();
}

static void status_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct notify *n = arg;
	if (strcmp(n->status, n->status_next) != 0)
		status_flush(n);
}

void notify_init(struct notify *n, struct event_base *base)
{
	memset(n, 0, sizeof(*n));
	n->base = base;
	n->status_sent_ms = INT64_MIN / 2;
	n->status_tm = evtimer_new(base, status_cb, n);
	uint64_t usec = 0;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		n->watchdog_usec = usec;
		n->watchdog = event_new(base, -1, EV_PERSIST, watchdog_cb, n);
		struct timeval tv = {.tv_sec = (time_t)(usec / 2 / 1000000),
		                     .tv_usec = (suseconds_t)(usec / 2 % 1000000)};
		if (n->watchdog)
			event_add(n->watchdog, &tv);
		log_msg(LOGL_INFO, "watchdog: pinging every %" PRIu64 " ms", usec / 2 / 1000);
	}
}

void notify_free(struct notify *n)
{
	if (n->watchdog)
		event_free(n->watchdog);
	if (n->status_tm)
		event_free(n->status_tm);
	n->watchdog = n->status_tm = NULL;
}

void notify_ready(struct notify *n)
{
	(void)n;
	send_line("READY=1");
}

void notify_reloading(struct notify *n)
{
	(void)n;
	char msg[64];
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64, clock_mono_us());
	send_line(msg);
}

void notify_stopping(struct notify *n)
{
	(void)n;
	send_line("STOPPING=1");
}

void notify_format_status(char *buf, size_t len, size_t n_ws, const int *count,
                          const char *last_error)
{
	static const enum ws_state order[] = {WS_CONNECTED, WS_PENDING,  WS_AUTH_FAILED,
	                                      WS_FAILING,   WS_DISABLED, WS_REMOVED};
	size_t off = (size_t)snprintf(buf, len, "%zu workspace%s", n_ws, n_ws == 1 ? "" : "s");
	const char *sep = ": ";
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && off < len; i++) {
		int c = count[order[i]];
		if (c == 0 && order[i] != WS_CONNECTED)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%d %s", sep, c,
		                        ws_state_name(order[i]));
		sep = ", ";
	}
	if (last_error && last_error[0] && off < len)
		snprintf(buf + off, len - off, "; last error: %s", last_error);
	/* One line: systemd shows STATUS= as is. */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

void notify_status(struct notify *n, size_t n_ws, const int *count, const char *last_error)
{
	notify_format_status(n->status_next, sizeof(n->status_next), n_ws, count, last_error);
	if (strcmp(n->status, n->status_next) == 0)
		return;
	int64_t since = clock_mono_ms() - n->status_sent_ms;
	if (since >= STATUS_MIN_GAP_MS) {
		status_flush(n);
		return;
	}
	if (n->status_tm && !evtimer_pending(n->status_tm, NULL)) {
		int64_t wait = STATUS_MIN_GAP_MS - since;
		struct timeval tv = {.tv_sec = 0, .tv_usec = (suseconds_t)(wait * 1000)};
		evtimer_add(n->status_tm, &tv);
	}
}
