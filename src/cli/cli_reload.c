/*
 * cli_reload.c: reloading wegauged through systemd or a signal
 * (cli_reload.h).
 *
 * `systemctl is-active --quiet UNIT` tells whether there is a daemon to
 * reload; only then is `systemctl reload UNIT` run, so that connecting a
 * workspace before the service was ever started writes the files and
 * says so, instead of failing. sd_booted() tells whether systemd is the
 * init system at all (a container or a test machine may have systemctl
 * without systemd).
 */
#include "cli_reload.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "errbuf.h"
#include "textesc.h"

extern char **environ;

/*
 * Run argv (argv[0] found on PATH) and wait for it. With out, its
 * standard output (at most outlen - 1 bytes, NUL-terminated) is kept;
 * else it is ours. The exit status, or -1 when it could not run or died
 * of a signal (errno-free: err says which).
 */
static int run(char *const argv[], char *out, size_t outlen, char *err, size_t errlen)
{
	int pfd[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (out != NULL) {
		if (pipe(pfd) != 0) {
			errbuf_set(err, errlen, "%s: cannot make a pipe: %s", argv[0],
			           strerror(errno));
			posix_spawn_file_actions_destroy(&fa);
			return -1;
		}
		posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
		posix_spawn_file_actions_addclose(&fa, pfd[0]);
		posix_spawn_file_actions_addclose(&fa, pfd[1]);
	}
	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out != NULL) {
		close(pfd[1]);
		size_t n = 0;
		ssize_t r;
		while (rc == 0 && (r = read(pfd[0], out + n, outlen - 1 - n)) != 0) {
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				break;
			n += (size_t)r;
			if (n == outlen - 1) {
				char sink[256]; /* drain the rest so the child is not stuck */
				while ((r = read(pfd[0], sink, sizeof(sink))) > 0 ||
				       (r < 0 && errno == EINTR))
					;
				break;
			}
		}
		out[n] = '\0';
		close(pfd[0]);
	}
	if (rc != 0) {
		errbuf_set(err, errlen, "cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			errbuf_set(err, errlen, "%s: %s", argv[0], strerror(errno));
			return -1;
		}
	}
	if (!WIFEXITED(status)) {
		errbuf_set(err, errlen, "%s died of signal %d", argv[0], WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

enum cli_reload_result cli_reload(const char *unit, long pid, char *how, size_t howlen, char *err,
                                  size_t errlen)
{
	if (pid > 0) {
		if (kill((pid_t)pid, SIGHUP) != 0) {
			errbuf_set(err, errlen, "cannot send SIGHUP to process %ld: %s", pid,
			           strerror(errno));
			return CLI_RELOAD_FAILED;
		}
		snprintf(how, howlen, "sent SIGHUP to process %ld", pid);
		return CLI_RELOAD_DONE;
	}
	if (sd_booted() <= 0) {
		errbuf_set(err, errlen, "systemd is not running here (give --pid PID of wegauged)");
		return CLI_RELOAD_NOT_RUNNING;
	}
	char *is_active[] = {"systemctl", "is-active", "--quiet", (char *)unit, NULL};
	int rc = run(is_active, NULL, 0, err, errlen);
	if (rc < 0)
		return CLI_RELOAD_FAILED;
	if (rc != 0) {
		errbuf_set(err, errlen, "%s is not running", unit);
		return CLI_RELOAD_NOT_RUNNING;
	}
	char *reload[] = {"systemctl", "reload", (char *)unit, NULL};
	rc = run(reload, NULL, 0, err, errlen);
	if (rc < 0)
		return CLI_RELOAD_FAILED;
	if (rc != 0) {
		errbuf_set(err, errlen, "systemctl reload %s failed (exit %d)", unit, rc);
		return CLI_RELOAD_FAILED;
	}
	snprintf(how, howlen, "reloaded %s", unit);
	return CLI_RELOAD_DONE;
}

int cli_reload_status_text(const char *unit, char *out, size_t outlen)
{
	char err[256];
	if (outlen < 2 || sd_booted() <= 0)
		return -1;
	char *show[] = {"systemctl", "show", "-p", "StatusText", "--value", (char *)unit, NULL};
	if (run(show, out, outlen, err, sizeof(err)) != 0)
		return -1;
	out[strcspn(out, "\n")] = '\0';
	/* The daemon's last error may quote the API: shown escaped, as the store's texts. */
	char raw[512];
	snprintf(raw, sizeof(raw), "%s", out);
	textesc_buf(out, outlen, raw, strlen(raw), TEXTESC_VISIBLE);
	return out[0] ? 0 : -1;
}
