/*
 * notify_sink.c: a fake systemd notify socket for tests. Binds an AF_UNIX
 * datagram socket at PATH and appends every datagram to OUT as one line:
 * "<CLOCK_MONOTONIC microseconds at receipt> <message>", newlines inside
 * the message written as "\n". With --check-file F, a READY=1 message is
 * followed by " file=yes" or " file=no" telling whether F existed when it
 * arrived. Runs until SIGTERM or SIGINT.
 *
 * usage: notify_sink PATH OUT [--check-file F]
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 5 && strcmp(argv[3], "--check-file") == 0)) {
		fprintf(stderr, "usage: notify_sink PATH OUT [--check-file F]\n");
		return 2;
	}
	const char *check = argc == 5 ? argv[4] : NULL;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (fd < 0 || strlen(argv[1]) >= sizeof(sun.sun_path)) {
		perror("notify_sink: socket");
		return 1;
	}
	memcpy(sun.sun_path, argv[1], strlen(argv[1]) + 1);
	unlink(argv[1]);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		perror("notify_sink: bind");
		return 1;
	}
	FILE *out = fopen(argv[2], "a");
	if (!out) {
		perror("notify_sink: open");
		return 1;
	}
	while (!stop) {
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("notify_sink: recv");
			break;
		}
		buf[n] = '\0';
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		fprintf(out, "%llu ",
		        (unsigned long long)ts.tv_sec * 1000000ull +
		                (unsigned long long)ts.tv_nsec / 1000);
		for (char *p = buf; *p; p++) {
			if (*p == '\n')
				fputs("\\n", out);
			else
				fputc(*p, out);
		}
		if (check && strcmp(buf, "READY=1") == 0)
			fprintf(out, " file=%s", access(check, F_OK) == 0 ? "yes" : "no");
		fputc('\n', out);
		fflush(out);
	}
	fclose(out);
	close(fd);
	unlink(argv[1]);
	return 0;
}
