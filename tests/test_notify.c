/*
 * test_notify.c: src/notify.c against a fake notify socket (an AF_UNIX
 * datagram socket named by NOTIFY_SOCKET): the exact bytes of READY,
 * RELOADING with MONOTONIC_USEC, STOPPING and STATUS, the STATUS rate
 * limit, and watchdog pings only when WATCHDOG_USEC asks for them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <poll.h>

#include <cmocka.h>
#include <event2/event.h>

#include "clock.h"
#include "notify.h"
#include "ws.h"

struct fake {
	int fd;
	char path[108];
};

static int fake_open(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TEST_TMP");
	snprintf(f->path, sizeof(f->path), "%s/notify-%d.sock", tmp ? tmp : "/tmp", getpid());
	unlink(f->path);
	f->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	setenv("NOTIFY_SOCKET", f->path, 1);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	*state = f;
	return 0;
}

static int fake_close(void **state)
{
	struct fake *f = *state;
	close(f->fd);
	unlink(f->path);
	unsetenv("NOTIFY_SOCKET");
	free(f);
	return 0;
}

/* The next datagram, waiting up to 5 s; "" when none came. */
static void next_msg(struct fake *f, char *buf, size_t len)
{
	struct pollfd p = {.fd = f->fd, .events = POLLIN};
	buf[0] = '\0';
	if (poll(&p, 1, 5000) != 1)
		return;
	ssize_t n = recv(f->fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
}

static int pending(struct fake *f)
{
	struct pollfd p = {.fd = f->fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1;
}

static void test_lifecycle_messages(void **state)
{
	struct fake *f = *state;
	struct event_base *base = event_base_new();
	struct notify n;
	char buf[1024];
	notify_init(&n, base);
	assert_null(n.watchdog); /* no WATCHDOG_USEC: no pings */

	notify_ready(&n);
	next_msg(f, buf, sizeof(buf));
	assert_string_equal(buf, "READY=1");

	uint64_t before = clock_mono_us();
	notify_reloading(&n);
	uint64_t after = clock_mono_us();
	next_msg(f, buf, sizeof(buf));
	unsigned long long usec = 0;
	assert_int_equal(sscanf(buf, "RELOADING=1\nMONOTONIC_USEC=%llu", &usec), 1);
	assert_true(usec >= before && usec <= after);

	notify_stopping(&n);
	next_msg(f, buf, sizeof(buf));
	assert_string_equal(buf, "STOPPING=1");
	assert_false(pending(f));
	notify_free(&n);
	event_base_free(base);
}

static void test_status_text_and_rate_limit(void **state)
{
	struct fake *f = *state;
	struct event_base *base = event_base_new();
	struct notify n;
	char buf[1024];
	notify_init(&n, base);
	int count[WS_STATE_COUNT] = {0};
	count[WS_CONNECTED] = 40;
	count[WS_AUTH_FAILED] = 1;
	count[WS_FAILING] = 1;
	notify_status(&n, 42, count, "ws-0007: HTTP 503\n(after 6 attempts)");
	next_msg(f, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=42 workspaces: 40 connected, 1 auth_failed, 1 failing; "
	                         "last error: ws-0007: HTTP 503 (after 6 attempts)");
	/* The same line again: nothing sent. A change within the second: held back. */
	notify_status(&n, 42, count, "ws-0007: HTTP 503\n(after 6 attempts)");
	count[WS_FAILING] = 0;
	count[WS_CONNECTED] = 41;
	notify_status(&n, 42, count, "");
	assert_false(pending(f));
	/* ... and sent by the loop once the second is over. */
	event_base_loop(base, EVLOOP_ONCE);
	next_msg(f, buf, sizeof(buf));
	assert_string_equal(buf, "STATUS=42 workspaces: 41 connected, 1 auth_failed");

	int none[WS_STATE_COUNT] = {0};
	notify_format_status(buf, sizeof(buf), 1, none, NULL);
	assert_string_equal(buf, "1 workspace: 0 connected");
	notify_free(&n);
	event_base_free(base);
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/* WATCHDOG_USEC=200000: a ping every 100 ms; over 1 s, between 5 and 15 pings. */
static void test_watchdog_pings(void **state)
{
	struct fake *f = *state;
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", getpid());
	setenv("WATCHDOG_USEC", "200000", 1);
	setenv("WATCHDOG_PID", pid, 1);
	struct event_base *base = event_base_new();
	struct notify n;
	notify_init(&n, base);
	assert_non_null(n.watchdog);
	assert_int_equal(n.watchdog_usec, 200000);
	struct event *stop = evtimer_new(base, stop_cb, base);
	struct timeval tv = {.tv_sec = 1};
	evtimer_add(stop, &tv);
	event_base_dispatch(base);
	int pings = 0;
	char buf[256];
	while (pending(f)) {
		next_msg(f, buf, sizeof(buf));
		assert_string_equal(buf, "WATCHDOG=1");
		pings++;
	}
	assert_int_equal(pings, (int)n.watchdog_pings);
	assert_true(pings >= 5 && pings <= 15);
	event_free(stop);
	notify_free(&n);
	event_base_free(base);
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_lifecycle_messages, fake_open, fake_close),
	        cmocka_unit_test_setup_teardown(test_status_text_and_rate_limit, fake_open,
	                                        fake_close),
	        cmocka_unit_test_setup_teardown(test_watchdog_pings, fake_open, fake_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
