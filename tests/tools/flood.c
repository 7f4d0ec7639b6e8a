/*
 * flood.c: a hostile client of an HTTP listener, for tests (issue 12).
 *
 *   flood conns HOST PORT N STATUS
 *       Keep N connections to HOST:PORT (IPv4 loopback) open, each having
 *       sent half a request ("GET /metrics HTTP/1.1\r\nHost: x\r\n", no
 *       blank line) and then nothing. A connection the server closes (or
 *       that fails) is opened again, at most REOPEN_PER_S a second, so the
 *       pressure lasts as long as the tool runs. Every 200 ms, and at the
 *       end, STATUS is rewritten (atomically) with one line:
 *       "attempts=A open=O closed=C failed=F": connects started, open now,
 *       closed by the server after connecting, connects that failed. Runs
 *       until SIGTERM or SIGINT, then closes everything and exits 0.
 *
 *   flood trickle HOST PORT INTERVAL_MS MAX_MS
 *       One connection that sends a valid request one byte every
 *       INTERVAL_MS (never finishing it before MAX_MS: the request is
 *       padded with header lines). Prints "closed_after_ms=T" and exits 0
 *       when the server closes it (T: from connect to the close), or
 *       prints "still_open_after_ms=MAX_MS" and exits 1 at MAX_MS.
 *
 * Every bound is explicit: N <= MAX_CONNS; the tool needs N + 8
 * descriptors (it raises its own soft limit if it can).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS    20000
#define REOPEN_PER_S 500

static const char half_request[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A non-blocking connect to addr; the socket, or -1. */
static int start_connect(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int parse_addr(const char *host, const char *port, struct sockaddr_in *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	char *end;
	long p = strtol(port, &end, 10);
	if (*end || p < 1 || p > 65535 || inet_pton(AF_INET, host, &addr->sin_addr) != 1)
		return -1;
	addr->sin_port = htons((uint16_t)p);
	return 0;
}

/* Conn states of `flood conns`. */
enum { C_FREE, C_CONNECTING, C_OPEN };

static void write_status(const char *path, long attempts, long open, long closed, long failed)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "attempts=%ld open=%ld closed=%ld failed=%ld\n", attempts, open, closed, failed);
	if (fclose(f) == 0)
		rename(tmp, path);
}

static int run_conns(const struct sockaddr_in *addr, long n, const char *status)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n + 16) {
		rl.rlim_cur = (rlim_t)n + 16 < rl.rlim_max ? (rlim_t)n + 16 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	struct pollfd *p = calloc((size_t)n, sizeof(*p));
	int *st = calloc((size_t)n, sizeof(*st));
	if (!p || !st) {
		fprintf(stderr, "flood: out of memory\n");
		return 2;
	}
	for (long i = 0; i < n; i++)
		p[i].fd = -1;
	long attempts = 0, open = 0, closed = 0, failed = 0;
	int64_t window = now_ms(), last_status = 0;
	long reopened = 0; /* in this second's window */
	bool first_round = true;
	while (!stop) {
		int64_t t = now_ms();
		if (t - window >= 1000) {
			window = t;
			reopened = 0;
		}
		/* (Re)open free slots: all at once the first time, then rate-limited. */
		for (long i = 0; i < n; i++) {
			if (st[i] != C_FREE)
				continue;
			if (!first_round && reopened >= REOPEN_PER_S)
				break;
			attempts++;
			if (!first_round)
				reopened++;
			int fd = start_connect(addr);
			if (fd < 0) {
				failed++;
				continue;
			}
			p[i].fd = fd;
			p[i].events = POLLOUT;
			st[i] = C_CONNECTING;
		}
		first_round = false;
		if (t - last_status >= 200) {
			write_status(status, attempts, open, closed, failed);
			last_status = t;
		}
		int r = poll(p, (nfds_t)n, 100);
		if (r < 0 && errno != EINTR)
			break;
		for (long i = 0; r > 0 && i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (st[i] == C_CONNECTING) {
				int err = 0;
				socklen_t len = sizeof(err);
				getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err != 0 || (p[i].revents & (POLLERR | POLLHUP))) {
					failed++;
					close(p[i].fd);
					p[i].fd = -1;
					st[i] = C_FREE;
					continue;
				}
				/* A failed or short write shows as a close below. */
				ssize_t w = send(p[i].fd, half_request, sizeof(half_request) - 1,
				                 MSG_NOSIGNAL);
				(void)w;
				st[i] = C_OPEN;
				open++;
				p[i].events = POLLIN;
				continue;
			}
			char buf[512];
			ssize_t got = recv(p[i].fd, buf, sizeof(buf), 0);
			if (got > 0)
				continue; /* an answer: keep reading until the close */
			if (got < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			closed++;
			open--;
			close(p[i].fd);
			p[i].fd = -1;
			p[i].events = 0;
			st[i] = C_FREE;
		}
	}
	for (long i = 0; i < n; i++)
		if (p[i].fd >= 0)
			close(p[i].fd);
	write_status(status, attempts, 0, closed, failed);
	free(p);
	free(st);
	return 0;
}

static int run_trickle(const struct sockaddr_in *addr, long interval_ms, long max_ms)
{
	/* A valid request that never ends within max_ms at one byte per interval. */
	static char req[65536];
	size_t len = (size_t)snprintf(req, sizeof(req), "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	while (len + 16 < sizeof(req))
		len += (size_t)snprintf(req + len, sizeof(req) - len, "X-Pad: y\r\n");
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0) {
		perror("flood: connect");
		return 2;
	}
	int64_t t0 = now_ms(), next = t0;
	size_t sent = 0;
	while (now_ms() - t0 < max_ms) {
		int64_t t = now_ms();
		if (t >= next && sent < len) {
			if (send(fd, req + sent, 1, MSG_NOSIGNAL) == 1)
				sent++;
			next = t + interval_ms;
		}
		struct pollfd pf = {.fd = fd, .events = POLLIN};
		int wait = (int)(next - now_ms());
		if (wait < 0)
			wait = 0;
		if (wait > 100)
			wait = 100;
		if (poll(&pf, 1, wait) > 0) {
			char buf[4096];
			ssize_t got = recv(fd, buf, sizeof(buf), 0);
			if (got <= 0 && !(got < 0 && errno == EINTR)) {
				printf("closed_after_ms=%lld\n", (long long)(now_ms() - t0));
				close(fd);
				return 0;
			}
		}
	}
	printf("still_open_after_ms=%ld\n", max_ms);
	close(fd);
	return 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct sockaddr_in addr;
	if (argc == 6 && strcmp(argv[1], "conns") == 0 &&
	    parse_addr(argv[2], argv[3], &addr) == 0) {
		long n = strtol(argv[4], NULL, 10);
		if (n >= 1 && n <= MAX_CONNS)
			return run_conns(&addr, n, argv[5]);
	}
	if (argc == 6 && strcmp(argv[1], "trickle") == 0 &&
	    parse_addr(argv[2], argv[3], &addr) == 0) {
		long iv = strtol(argv[4], NULL, 10), max = strtol(argv[5], NULL, 10);
		if (iv >= 1 && max >= 1)
			return run_trickle(&addr, iv, max);
	}
	fprintf(stderr, "usage: flood conns HOST PORT N STATUS\n"
	                "       flood trickle HOST PORT INTERVAL_MS MAX_MS\n");
	return 2;
}
