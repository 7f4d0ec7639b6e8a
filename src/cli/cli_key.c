/*
 * cli_key.c: reading the API key of connect and reconnect (cli_key.h).
 *
 * Standard input is read with read(2) into a buffer of SECRET_MAX + 2
 * bytes, never through stdio (whose buffer would keep a copy that nobody
 * wipes). On a terminal, echo is turned off for the line and turned back
 * on before returning, also when the read fails; an interrupt while the
 * prompt waits restores the terminal first (the handler is installed only
 * for that line) and then ends the process as the signal would have.
 */
#include "cli_key.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "errbuf.h"

static struct termios saved_tio;
static volatile sig_atomic_t tio_fd = -1;

/* SIGINT/SIGTERM/SIGQUIT while echo is off: restore the terminal, then die by the signal. */
static void restore_and_die(int sig)
{
	if (tio_fd >= 0)
		tcsetattr(tio_fd, TCSAFLUSH, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * Read up to cap bytes from fd, until EOF or a read that brought a newline
 * (a writer that keeps its end of the pipe open does not hang us).
 */
static ssize_t read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	while (n < cap) {
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
		if (memchr(buf + n - (size_t)r, '\n', (size_t)r) != NULL)
			break;
	}
	return (ssize_t)n;
}

/* The key from standard input (fd), into *k. */
static int read_stdin(const char *name, int fd, FILE *prompt_to, struct cli_key *k, char *err,
                      size_t errlen)
{
	bool tty = isatty(fd);
	struct sigaction sa = {.sa_handler = restore_and_die}, old[3];
	static const int sigs[3] = {SIGINT, SIGTERM, SIGQUIT};
	if (tty) {
		if (tcgetattr(fd, &saved_tio) != 0) {
			errbuf_set(err, errlen, "standard input: cannot read the terminal: %s",
			           strerror(errno));
			return -1;
		}
		struct termios quiet = saved_tio;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		sigemptyset(&sa.sa_mask);
		for (int i = 0; i < 3; i++)
			sigaction(sigs[i], &sa, &old[i]);
		tio_fd = fd;
		fprintf(prompt_to, "API key for %s (not shown): ", name);
		fflush(prompt_to);
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	char *buf = malloc(SECRET_MAX + 2);
	ssize_t n = buf ? read_line(fd, buf, SECRET_MAX + 1) : -1;
	int read_errno = errno;
	if (tty) {
		tcsetattr(fd, TCSAFLUSH, &saved_tio);
		tio_fd = -1;
		for (int i = 0; i < 3; i++)
			sigaction(sigs[i], &old[i], NULL);
		fputc('\n', prompt_to);
	}
	const char *why = NULL;
	size_t len = n > 0 ? (size_t)n : 0;
	if (buf == NULL)
		why = "out of memory";
	else if (n < 0)
		why = strerror(read_errno);
	else if (len > SECRET_MAX)
		why = "more than 4096 bytes; expected one API key";
	else if (len == 0)
		why = "nothing to read; expected the API key on one line (or use --key-file FILE)";
	if (why == NULL) {
		/* One line: whatever came after the first newline must be blank. */
		char *nl = memchr(buf, '\n', len);
		for (size_t i = nl ? (size_t)(nl - buf) : len; i < len && why == NULL; i++)
			if (!isspace((unsigned char)buf[i]))
				why = "more than one line; expected the API key alone on one line";
		if (nl != NULL)
			len = (size_t)(nl - buf);
	}
	if (why == NULL)
		why = secret_key_shape(buf, &len);
	if (why != NULL) {
		errbuf_set(err, errlen, "standard input: %s", why);
		if (buf != NULL) {
			explicit_bzero(buf, SECRET_MAX + 2);
			free(buf);
		}
		return -1;
	}
	buf[len] = '\0';
	k->key = buf;
	k->len = len;
	return 0;
}

int cli_key_read(const char *name, const char *key_file, FILE *in, FILE *prompt_to,
                 struct cli_key *k, char *err, size_t errlen)
{
	*k = (struct cli_key){0};
	int rc = key_file ? secret_read_file(key_file, &k->key, &k->len, NULL, err, errlen)
	                  : read_stdin(name, fileno(in), prompt_to, k, err, errlen);
	if (rc != 0)
		return -1;
	if (secret_fingerprint(k->key, k->len, k->fingerprint) != 0) {
		cli_key_free(k);
		errbuf_set(err, errlen, "cannot compute the key's fingerprint (libcrypto)");
		return -1;
	}
	return 0;
}

void cli_key_free(struct cli_key *k)
{
	secret_free(k->key, k->len);
	k->key = NULL;
	k->len = 0;
}
