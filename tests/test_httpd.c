/*
 * test_httpd.c: src/httpd.c over real loopback sockets, the loop driven
 * here: GET and HEAD answers byte for byte (HEAD: GET's headers with the
 * body's Content-Length, no body), 400 and 431, absolute-form targets
 * and queries, the connection cap (one more is closed and counted), the
 * deadline (a trickling client is cut), a half-closed client still gets
 * its answer, and EMFILE: accepting pauses instead of spinning, then
 * resumes and serves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "clock.h"
#include "httpd.h"

struct fix {
	struct event_base *base;
	struct httpd *s;
	int port;
	int calls; /* handler calls */
	char method[32], path[HTTPD_PATH_MAX + 1];
};

/* The test handler: /x answers "hello\n", anything else 404 "no\n". */
static void handler(const char *method, const char *path, struct httpd_reply *r, void *arg)
{
	struct fix *f = arg;
	f->calls++;
	snprintf(f->method, sizeof(f->method), "%s", method);
	snprintf(f->path, sizeof(f->path), "%s", path);
	if (strcmp(path, "/x") == 0) {
		evbuffer_add(r->body, "hello\n", 6);
		r->status = 200;
		r->ctype = "text/plain; charset=utf-8";
	} else {
		evbuffer_add(r->body, "no\n", 3);
		r->status = 404;
		r->reason = "Not Found";
	}
}

static struct fix *fix_new(int max_conns, int64_t deadline_ms)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->base = event_base_new();
	assert_non_null(f->base);
	struct httpd_opts o = {.name = "test",
	                       .max_conns = max_conns,
	                       .deadline_ms = deadline_ms,
	                       .max_request = 256};
	char err[256];
	f->s = httpd_start(f->base, "127.0.0.1:0", &o, handler, f, err, sizeof(err));
	assert_non_null(f->s);
	f->port = httpd_port(f->s);
	assert_true(f->port > 0);
	return f;
}

static void fix_free(struct fix *f)
{
	httpd_free(f->s);
	event_base_free(f->base);
	free(f);
}

/* A connected client socket (non-blocking); the server accepts it when the loop turns. */
static int client(struct fix *f)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)f->port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void send_all(int fd, const char *s)
{
	assert_int_equal(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Turn the loop for ms. */
static void pump(struct fix *f, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

/*
 * Turn the loop and read fd until the server closes it (or resets it), at
 * most ms. Returns the bytes read into buf (NUL-terminated), or -1 when
 * it is still open after ms. *took_ms: how long that was.
 */
static int read_to_close(struct fix *f, int fd, char *buf, size_t len, int ms, int64_t *took_ms)
{
	int64_t t0 = clock_mono_ms();
	size_t got = 0;
	while (clock_mono_ms() - t0 < ms) {
		pump(f, 5);
		for (;;) {
			ssize_t n = recv(fd, buf + got, len - 1 - got, 0);
			if (n > 0) {
				got += (size_t)n;
				if (got == len - 1)
					return -1;
				continue;
			}
			if (n == 0 || errno == ECONNRESET) {
				buf[got] = '\0';
				if (took_ms)
					*took_ms = clock_mono_ms() - t0;
				return (int)got;
			}
			break; /* EAGAIN */
		}
	}
	buf[got] = '\0';
	return -1;
}

/* Send req on a new connection; the whole answer until the close. */
static void exchange(struct fix *f, const char *req, char *buf, size_t len)
{
	int fd = client(f);
	send_all(fd, req);
	assert_true(read_to_close(f, fd, buf, len, 5000, NULL) >= 0);
	close(fd);
}

static void test_get_head_and_errors(void **state)
{
	(void)state;
	struct fix *f = fix_new(4, 5000);
	char buf[4096];
	exchange(f, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                         "Content-Length: 6\r\nConnection: close\r\n\r\nhello\n");
	assert_string_equal(f->method, "GET");
	exchange(f, "HEAD /x HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_string_equal(buf, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                         "Content-Length: 6\r\nConnection: close\r\n\r\n");
	assert_string_equal(f->method, "HEAD");
	/* Queries and fragments are not part of the path; absolute-form targets are reduced. */
	exchange(f, "GET /x?a=b#c HTTP/1.1\n\n", buf, sizeof(buf));
	assert_string_equal(f->path, "/x");
	exchange(f, "GET http://h:1/x?y HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	assert_string_equal(f->path, "/x");
	exchange(f, "\r\nPOST /nope HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", buf, sizeof(buf));
	assert_string_equal(f->method, "POST");
	assert_string_equal(buf, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
	                         "Content-Length: 3\r\nConnection: close\r\n\r\nno\n");
	int calls = f->calls;
	exchange(f, "GET /x\r\n\r\n", buf, sizeof(buf)); /* no version */
	assert_non_null(strstr(buf, "HTTP/1.0 400 Bad Request\r\n"));
	exchange(f, "GET  /x HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "HTTP/1.0 400 Bad Request\r\n"));
	char big[400];
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /x HTTP/1.1\r\nX: ", 20);
	big[sizeof(big) - 1] = '\0';
	exchange(f, big, buf, sizeof(buf)); /* more than max_request, no end of headers */
	assert_non_null(strstr(buf, "HTTP/1.0 431 Request Header Fields Too Large\r\n"));
	assert_int_equal(f->calls, calls); /* none of those reached the handler */
	struct httpd_stats st;
	httpd_get_stats(f->s, &st);
	assert_int_equal(st.bad, 3);
	assert_int_equal(st.refused, 0);
	fix_free(f);
}

/* A client that shuts down its side after the request still gets the answer. */
static void test_half_close(void **state)
{
	(void)state;
	struct fix *f = fix_new(4, 5000);
	int fd = client(f);
	send_all(fd, "GET /x HTTP/1.1\r\n\r\n");
	shutdown(fd, SHUT_WR);
	char buf[512];
	assert_true(read_to_close(f, fd, buf, sizeof(buf), 5000, NULL) > 0);
	assert_non_null(strstr(buf, "\r\n\r\nhello\n"));
	close(fd);
	pump(f, 20);
	struct httpd_stats st;
	httpd_get_stats(f->s, &st);
	assert_int_equal(st.conns, 0);
	fix_free(f);
}

/* At the cap, one more connection is closed at once and counted; a slot freed is used again. */
static void test_cap(void **state)
{
	(void)state;
	struct fix *f = fix_new(2, 5000);
	int a = client(f), b = client(f);
	send_all(a, "GET /x HTTP/1.1\r\n"); /* half a request each */
	send_all(b, "GET /x HTTP/1.1\r\n");
	pump(f, 50);
	struct httpd_stats st;
	httpd_get_stats(f->s, &st);
	assert_int_equal(st.conns, 2);
	int c = client(f);
	char buf[512];
	int64_t took = 0;
	assert_int_equal(read_to_close(f, c, buf, sizeof(buf), 2000, &took), 0);
	assert_true(took < 1000);
	close(c);
	httpd_get_stats(f->s, &st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.conns, 2);
	close(a); /* a slot frees: the next client is served */
	pump(f, 50);
	exchange(f, "GET /x HTTP/1.1\r\n\r\n", buf, sizeof(buf));
	assert_non_null(strstr(buf, "hello\n"));
	close(b);
	fix_free(f);
}

/* A client trickling its request one byte every 50 ms is cut at the 300 ms deadline. */
static void test_deadline(void **state)
{
	(void)state;
	struct fix *f = fix_new(4, 300);
	int fd = client(f);
	const char *req =
	        "GET /x HTTP/1.1\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
	int64_t t0 = clock_mono_ms();
	bool closed = false;
	for (size_t i = 0; req[i] && !closed; i++) {
		if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1)
			closed = true;
		pump(f, 50);
		char c;
		ssize_t n = recv(fd, &c, 1, 0);
		closed = closed || n == 0 || (n < 0 && errno == ECONNRESET);
	}
	int64_t took = clock_mono_ms() - t0;
	assert_true(closed);
	assert_true(took >= 250 && took < 2000);
	close(fd);
	struct httpd_stats st;
	httpd_get_stats(f->s, &st);
	assert_int_equal(st.timed_out, 1);
	assert_int_equal(st.conns, 0);
	assert_int_equal(f->calls, 0);
	fix_free(f);
}

static int64_t cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/*
 * No descriptor left for accept(): the listener pauses (100, 200, 400 ms
 * ...) instead of spinning, the loop stays nearly idle, and once
 * descriptors are back the waiting client is served.
 */
static void test_emfile_pauses(void **state)
{
	(void)state;
	struct fix *f = fix_new(4, 5000);
	int fd = client(f);
	send_all(fd, "GET /x HTTP/1.1\r\n\r\n");
	struct rlimit old;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC); /* what accept() would get */
	assert_true(lowest >= 0);
	close(lowest);
	struct rlimit tight = {.rlim_cur = (rlim_t)lowest, .rlim_max = old.rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
	int64_t c0 = cpu_ms();
	pump(f, 600);
	int64_t used = cpu_ms() - c0;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	struct httpd_stats st;
	httpd_get_stats(f->s, &st);
	/* 0, 100, 300 (100 + 200): three tries in 600 ms, then one more at 700. */
	assert_true(st.accept_paused >= 2 && st.accept_paused <= 4);
	assert_int_equal(st.accepted, 0);
	assert_true(used < 200); /* a spinning accept loop burns the whole 600 ms */
	char buf[512];
	assert_true(read_to_close(f, fd, buf, sizeof(buf), 5000, NULL) > 0);
	assert_non_null(strstr(buf, "hello\n"));
	close(fd);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_head_and_errors),
	        cmocka_unit_test(test_half_close),
	        cmocka_unit_test(test_cap),
	        cmocka_unit_test(test_deadline),
	        cmocka_unit_test(test_emfile_pauses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
