/*
 * cli_connect.c: connect, reconnect and disconnect (cli_connect.h).
 *
 * The files. connect writes <include_dir>/NAME.conf, a file of one
 * [workspace "NAME"] section, and <key_dir>/NAME.key (0640, the group of
 * key_dir, so that the daemon's group may read it and nobody else). The
 * key file is written before the section that names it, and removed after
 * it, so that a reload racing with us never sees a section whose key file
 * is missing. reconnect writes the new key into the file the section
 * names (keeping that file's mode and group) and, for a new license code,
 * data center or base URL, edits those lines of NAME.conf; a section kept
 * anywhere else (the main file, a file of several sections) is the
 * operator's own and is refused for such edits, naming its file:line.
 * disconnect removes NAME.conf under the same rule, and the key file
 * unless --keep-key or another section uses it too.
 *
 * The wait. The store is read every CLI_POLL_MS until the verdict or the
 * deadline (on PostgreSQL each look is a connection of its own, with the
 * password of database_password_file). Before the reload, the newest pull
 * of the workspace is noted (mark); the verdict of connect and reconnect
 * is a row that carries the new key's fingerprint and a settled state,
 * set by a pull newer than the mark (so an old auth_failed is never taken
 * for the answer to the new key). The daemon marks a workspace connected
 * as soon as the probe accepts its key; the first pull's outcome is
 * reported when it has ended by then.
 *
 * Why one file of about 780 lines: the three commands share the file
 * edits (the key file first, the section last, and the reverse on
 * removal) and the wait above, and each is a sequence of those steps;
 * split by command, the shared steps would be called from every part.
 */
#include "cli_connect.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_conf.h"
#include "cli_db.h"
#include "cli_ftx.h"
#include "cli_key.h"
#include "cli_reload.h"
#include "cli_seen.h"
#include "clock.h"
#include "config.h"

#define CLI_POLL_MS      200
#define CLI_LOCK_WAIT_MS 120000 /* how long to wait for another run's lock */
#define CONF_MAX         65536  /* the largest NAME.conf edited */

/* One run of a command: what it was given, found and changed. */
struct job {
	const struct cli_opts *o;
	const char *cfg_path;
	FILE *out, *errf;
	char include_dir[CLI_PATH_MAX + 1], key_dir[CLI_PATH_MAX + 1];
	char database[CLI_PATH_MAX + 1];
	char conf_path[CLI_PATH_MAX + 1]; /* <include_dir>/NAME.conf */
	char key_path[CLI_PATH_MAX + 1];  /* the key file written or removed, "" when none */
	struct config *cfg;               /* as it was before the change */
	struct cli_key key;               /* the new key, when one was given */
	struct cli_ftx tx;
	bool changed;  /* some file was written or removed */
	int lock_fd;   /* include_dir, flock()ed; -1 when not held */
	sigset_t held; /* the signals held while files change */
	bool holding;
};

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

__attribute__((format(printf, 2, 3))) static void errl(struct job *j, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fflush(j->out); /* what was said before comes first */
	fputs("wegauge: ", j->errf);
	vfprintf(j->errf, fmt, ap);
	fputc('\n', j->errf);
	va_end(ap);
}

/* A directory the user may create and replace files in; else one line and -1. */
static int check_writable(struct job *j, const char *what, const char *dir)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		errl(j, "%s %s: %s", what, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		errl(j, "%s %s: not a directory", what, dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		errl(j,
		     "cannot write %s %s: %s; %s changes wegauged's configuration: run it as root "
		     "(e.g. with sudo)",
		     what, dir, strerror(errno),
		     j->o->cmd == CLI_CMD_CONNECT     ? "connect"
		     : j->o->cmd == CLI_CMD_RECONNECT ? "reconnect"
		                                      : "disconnect");
		return -1;
	}
	return 0;
}

/* Take the lock on include_dir, waiting for another run to finish. */
static int lock_dir(struct job *j)
{
	j->lock_fd = open(j->include_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (j->lock_fd < 0) {
		errl(j, "include_dir %s: %s", j->include_dir, strerror(errno));
		return -1;
	}
	mono_ms deadline = clock_mono_ms() + CLI_LOCK_WAIT_MS;
	bool said = false;
	while (flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			errl(j, "cannot lock %s: %s", j->include_dir, strerror(errno));
			return -1;
		}
		if (clock_mono_ms() >= deadline) {
			errl(j,
			     "another wegauge connect, reconnect or disconnect has held %s for %d "
			     "s",
			     j->include_dir, CLI_LOCK_WAIT_MS / 1000);
			return -1;
		}
		if (!said)
			fprintf(j->out, "waiting for another wegauge connect, reconnect or "
			                "disconnect to finish\n");
		said = true;
		sleep_ms(CLI_POLL_MS);
	}
	return 0;
}

/* Hold (or release) the signals that would end the process while files change. */
static void hold_signals(struct job *j, bool hold)
{
	if (hold && !j->holding) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGINT);
		sigaddset(&s, SIGTERM);
		sigaddset(&s, SIGHUP);
		sigaddset(&s, SIGQUIT);
		sigaddset(&s, SIGTSTP);
		sigprocmask(SIG_BLOCK, &s, &j->held);
		j->holding = true;
	} else if (!hold && j->holding) {
		sigprocmask(SIG_SETMASK, &j->held, NULL);
		j->holding = false;
	}
}

/* Print the errors of a configuration load, one per line. */
static void print_errors(struct job *j, const struct config_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(j->errf, "  %s\n", e->msg[i]);
}

/* The path of a file source ("file /etc/wegauge/keys/x.key"), or NULL for a credential. */
static const char *key_file_of(const struct ws_config *w)
{
	return strncmp(w->key_source, "file ", 5) == 0 ? w->key_source + 5 : NULL;
}

/* True when a and b name the same existing file. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/*
 * The section of NAME is the only one in <include_dir>/NAME.conf (what
 * connect writes): 0. Else one line naming where it is, and -1.
 */
static int own_file(struct job *j, const struct ws_config *w, const char *doing)
{
	bool alone = same_file(w->file, j->conf_path);
	for (size_t i = 0; alone && i < j->cfg->n_ws; i++)
		if (&j->cfg->ws[i] != w && strcmp(j->cfg->ws[i].file, w->file) == 0)
			alone = false;
	if (alone)
		return 0;
	errl(j,
	     "%s is defined at %s:%d, not alone in %s: %s it there by hand, then `systemctl "
	     "reload wegauged`",
	     w->name, w->file, w->line, j->conf_path, doing);
	return -1;
}

/* Write the key k into path: mode and group of the file there, else 0640 and dir's group. */
static int write_key(struct job *j, const char *path)
{
	struct stat st;
	mode_t mode = 0640;
	gid_t gid = (gid_t)-1;
	char err[1024];
	if (stat(path, &st) == 0) {
		mode = st.st_mode & 0770; /* never readable by others */
		gid = st.st_gid;
	} else if (stat(j->key_dir, &st) == 0) {
		gid = st.st_gid;
	}
	if (gid == getegid())
		gid = (gid_t)-1;
	char line[SECRET_MAX + 2];
	memcpy(line, j->key.key, j->key.len);
	line[j->key.len] = '\n';
	int rc = cli_ftx_write(&j->tx, path, line, j->key.len + 1, mode, gid, true, err,
	                       sizeof(err));
	explicit_bzero(line, sizeof(line));
	if (rc != 0) {
		errl(j, "%s", err);
		return -1;
	}
	snprintf(j->key_path, sizeof(j->key_path), "%s", path);
	j->changed = true;
	return 0;
}

/* The text of a new NAME.conf. malloc'd; NULL on OOM. */
static char *section_text(struct job *j)
{
	const struct cli_opts *o = j->o;
	char stamp[32];
	time_t t = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	size_t cap = 4096 + strlen(j->key_path) + (o->base_url ? strlen(o->base_url) : 0);
	char *s = malloc(cap);
	if (s == NULL)
		return NULL;
	int n = snprintf(s, cap,
	                 "# %s: written by `wegauge connect` on %s.\n"
	                 "# Change it with `wegauge reconnect %s`; remove it with "
	                 "`wegauge disconnect %s`.\n"
	                 "[workspace \"%s\"]\n"
	                 "license_code = %s\n",
	                 o->name, stamp, o->name, o->name, o->name, o->license_code);
	if (o->base_url)
		n += snprintf(s + n, cap - (size_t)n, "base_url = %s\n", o->base_url);
	else
		n += snprintf(s + n, cap - (size_t)n, "data_center = %s\n",
		              o->data_center ? o->data_center : "global");
	n += snprintf(s + n, cap - (size_t)n, "api_key_file = %s\n", j->key_path);
	if (o->interval)
		n += snprintf(s + n, cap - (size_t)n, "interval = %s\n", o->interval);
	if (o->streams)
		snprintf(s + n, cap - (size_t)n, "streams = %s\n", o->streams);
	return s;
}

static int do_connect(struct job *j)
{
	const struct cli_opts *o = j->o;
	const struct ws_config *w = config_find_ws(j->cfg, o->name);
	if (w != NULL) {
		errl(j, "%s is already configured (%s:%d): use `wegauge reconnect %s`", o->name,
		     w->file, w->line, o->name);
		return -1;
	}
	struct stat st;
	if (lstat(j->conf_path, &st) == 0) {
		errl(j, "%s exists: remove it, or use `wegauge reconnect %s`", j->conf_path,
		     o->name);
		return -1;
	}
	char key_path[CLI_PATH_MAX + 1];
	int n = snprintf(key_path, sizeof(key_path), "%s/%s.key", j->cfg->key_dir, o->name);
	if (n < 0 || (size_t)n >= sizeof(key_path)) {
		errl(j, "key_dir %s: path too long", j->cfg->key_dir);
		return -1;
	}
	bool in_place = o->key_file != NULL && same_file(o->key_file, key_path);
	if (in_place) {
		snprintf(j->key_path, sizeof(j->key_path), "%s", key_path);
	} else if (lstat(key_path, &st) == 0) {
		errl(j,
		     "%s exists (left by `wegauge disconnect --keep-key`?): remove it, or connect "
		     "with --key-file %s",
		     key_path, key_path);
		return -1;
	} else if (write_key(j, key_path) != 0) {
		return -1;
	}
	char *text = section_text(j);
	char err[1024];
	if (text == NULL) {
		errl(j, "out of memory");
		return -1;
	}
	int rc = cli_ftx_write(&j->tx, j->conf_path, text, strlen(text), 0644, (gid_t)-1, false,
	                       err, sizeof(err));
	free(text);
	if (rc != 0) {
		errl(j, "%s", err);
		return -1;
	}
	j->changed = true;
	if (in_place)
		fprintf(j->out, "%s: wrote %s; the key is in %s already (fingerprint %s)\n",
		        o->name, j->conf_path, key_path, j->key.fingerprint);
	else
		fprintf(j->out, "%s: wrote %s and %s (key fingerprint %s)\n", o->name, j->conf_path,
		        key_path, j->key.fingerprint);
	return 0;
}

/* True when line (len bytes) sets key: optional blanks, key, blanks, '='. */
static bool line_sets(const char *line, size_t len, const char *key)
{
	size_t i = 0, k = strlen(key);
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < k || memcmp(line + i, key, k) != 0)
		return false;
	i += k;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < len && line[i] == '=';
}

/*
 * text with every line that sets key replaced by "key = value" (the first
 * one) or dropped (the others, or all of them when value is NULL); when no
 * line set it and value is not NULL, "key = value" is added at the end.
 * malloc'd, NULL on OOM.
 */
static char *ini_set(const char *text, const char *key, const char *value)
{
	size_t len = strlen(text), add = strlen(key) + (value ? strlen(value) : 0) + 8;
	char *out = malloc(len + add + 1);
	if (out == NULL)
		return NULL;
	size_t n = 0;
	bool done = value == NULL;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (line_sets(p, l, key)) {
			if (!done)
				n += (size_t)sprintf(out + n, "%s = %s\n", key, value);
			done = true;
		} else {
			memcpy(out + n, p, l);
			n += l;
		}
		p += l;
	}
	if (!done) {
		if (n > 0 && out[n - 1] != '\n')
			out[n++] = '\n';
		n += (size_t)sprintf(out + n, "%s = %s\n", key, value);
	}
	out[n] = '\0';
	return out;
}

/* reconnect's edits of NAME.conf: license code, data center or base URL. */
static int edit_section(struct job *j, const struct ws_config *w)
{
	const struct cli_opts *o = j->o;
	if (own_file(j, w, "change") != 0)
		return -1;
	char err[1024], *text = NULL;
	size_t len;
	if (cli_ftx_read(j->conf_path, CONF_MAX, &text, &len, err, sizeof(err)) != 0) {
		errl(j, "%s", err);
		return -1;
	}
	struct {
		const char *key, *value;
		bool drop;
	} edits[] = {
	        {"license_code", o->license_code, false},
	        {"data_center", o->data_center, false},
	        {"base_url", o->data_center ? NULL : o->base_url, o->data_center != NULL},
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]) && text; i++) {
		if (edits[i].value == NULL && !edits[i].drop)
			continue;
		char *next = ini_set(text, edits[i].key, edits[i].value);
		free(text);
		text = next;
	}
	if (text == NULL) {
		errl(j, "out of memory");
		return -1;
	}
	int rc = cli_ftx_write(&j->tx, j->conf_path, text, strlen(text), 0644, (gid_t)-1, false,
	                       err, sizeof(err));
	free(text);
	if (rc != 0) {
		errl(j, "%s", err);
		return -1;
	}
	j->changed = true;
	fprintf(j->out, "%s: changed %s\n", o->name, j->conf_path);
	return 0;
}

static int do_reconnect(struct job *j)
{
	const struct cli_opts *o = j->o;
	const struct ws_config *w = config_find_ws(j->cfg, o->name);
	if (w == NULL) {
		errl(j, "no workspace %s in %s: use `wegauge connect %s`", o->name, j->cfg_path,
		     o->name);
		return -1;
	}
	if (o->license_code || o->data_center || o->base_url)
		if (edit_section(j, w) != 0)
			return -1;
	if (j->key.key == NULL)
		return 0;
	if (strcmp(j->key.fingerprint, w->fingerprint) == 0) {
		fprintf(j->out, "%s: the key given is the one configured (fingerprint %s)\n",
		        o->name, w->fingerprint);
		return 0;
	}
	const char *path = key_file_of(w);
	if (path == NULL) {
		errl(j,
		     "%s reads its key from the systemd %s: store the new key there "
		     "(systemd-creds), then `systemctl reload wegauged`",
		     o->name, w->key_source);
		return -1;
	}
	if (write_key(j, path) != 0)
		return -1;
	fprintf(j->out, "%s: wrote the new key into %s (fingerprint %s, was %s)\n", o->name, path,
	        j->key.fingerprint, w->fingerprint);
	return 0;
}

static int do_disconnect(struct job *j)
{
	const struct cli_opts *o = j->o;
	const struct ws_config *w = config_find_ws(j->cfg, o->name);
	char err[1024];
	if (w == NULL) {
		errl(j, "no workspace %s in %s", o->name, j->cfg_path);
		return -1;
	}
	if (own_file(j, w, "remove") != 0)
		return -1;
	if (cli_ftx_remove(&j->tx, j->conf_path, false, err, sizeof(err)) != 0) {
		errl(j, "%s", err);
		return -1;
	}
	j->changed = true;
	fprintf(j->out, "%s: removed %s\n", o->name, j->conf_path);
	const char *path = key_file_of(w);
	const char *kept = NULL;
	for (size_t i = 0; path && i < j->cfg->n_ws && !kept; i++) {
		const char *other = key_file_of(&j->cfg->ws[i]);
		if (&j->cfg->ws[i] != w && other && same_file(other, path))
			kept = j->cfg->ws[i].name;
	}
	if (path == NULL || o->keep_key) {
		if (path != NULL)
			fprintf(j->out, "%s: kept %s (--keep-key)\n", o->name, path);
		return 0;
	}
	if (kept != NULL) {
		fprintf(j->out, "%s: kept %s: %s uses it too\n", o->name, path, kept);
		return 0;
	}
	if (cli_ftx_remove(&j->tx, path, true, err, sizeof(err)) != 0) {
		errl(j, "%s", err);
		return -1;
	}
	snprintf(j->key_path, sizeof(j->key_path), "%s", path);
	fprintf(j->out, "%s: removed %s\n", o->name, path);
	return 0;
}

/* Put every file back; say so. */
static void roll_back(struct job *j)
{
	char err[1024];
	if (cli_ftx_rollback(&j->tx, err, sizeof(err)) != 0)
		errl(j, "could not put everything back: %s", err);
	else if (j->changed)
		errl(j, "nothing was changed: every file is as it was");
}

/* Whether what was seen settles the command; fills *rc with its exit status when it does. */
static bool settled(const struct job *j, const struct cli_seen *s, int64_t mark,
                    const char *want_fp, int *rc)
{
	if (j->o->cmd == CLI_CMD_DISCONNECT) {
		if (s->store && (!s->row || strcmp(s->state, "removed") == 0)) {
			*rc = 0;
			return true;
		}
		return false;
	}
	if (!s->store || !s->row || strcmp(s->fingerprint, want_fp) != 0 || s->pull_id <= mark)
		return false;
	if (strcmp(s->state, "connected") == 0 || strcmp(s->state, "disabled") == 0) {
		*rc = 0;
		return true;
	}
	if (strcmp(s->state, "auth_failed") == 0 || strcmp(s->state, "failing") == 0) {
		*rc = 1;
		return true;
	}
	return false;
}

/*
 * After "connected": the outcome of the first pull, waited for until the
 * deadline (the verdict is given already; this only tells more).
 */
static void say_first_pull(struct job *j, struct cli_seen *s, int64_t mark, int64_t deadline)
{
	const char *name = j->o->name;
	int64_t id = s->pull_id;
	while (s->store && s->pull_id == id && strcmp(s->pull_status, "running") == 0 &&
	       clock_mono_ms() < deadline) {
		sleep_ms(CLI_POLL_MS);
		cli_seen_look(j->database, j->cfg->database_password, name, s);
	}
	if (!s->store || s->pull_id != id || id <= mark)
		return;
	if (strcmp(s->pull_status, "running") == 0) {
		fprintf(j->out,
		        "%s: first pull #%lld still running (see `wegauge pulls --workspace %s`)\n",
		        name, (long long)id, name);
		return;
	}
	fprintf(j->out, "%s: first pull #%lld: %s, %lld rows%s%s\n", name, (long long)id,
	        s->pull_status, (long long)s->pull_rows, s->pull_error[0] ? ": " : "",
	        s->pull_error);
	if (strcmp(s->pull_status, "ok") != 0)
		fprintf(j->out,
		        "  The key works, but not every stream could be read. A wrong license code "
		        "or\n  data center shows as HTTP 404 (wegauge reconnect %s --license-code "
		        "LC).\n",
		        name);
}

/* The verdict, as the operator reads it. */
static void say_verdict(struct job *j, struct cli_seen *s, int64_t mark, int64_t deadline)
{
	const char *name = j->o->name;
	if (j->o->cmd == CLI_CMD_DISCONNECT) {
		fprintf(j->out, "%s: removed; its history stays in the store\n", name);
		return;
	}
	if (strcmp(s->state, "connected") == 0) {
		fprintf(j->out, "%s: connected: WebEngage accepted the key (fingerprint %s)\n",
		        name, s->fingerprint);
		say_first_pull(j, s, mark, deadline);
		return;
	}
	if (strcmp(s->state, "disabled") == 0) {
		fprintf(j->out, "%s: disabled (enabled = false): not probed, not pulled\n", name);
		return;
	}
	fprintf(j->out, "%s: %s: %s\n", name, s->state, s->reason[0] ? s->reason : "(no reason)");
	if (strcmp(s->state, "auth_failed") == 0)
		fprintf(j->out,
		        "  WebEngage refused the key. Check the license code and the REST API key "
		        "in "
		        "the\n  WebEngage dashboard, then: wegauge reconnect %s\n",
		        name);
	else
		fprintf(j->out,
		        "  The first pull failed. Check the data center or base URL and the "
		        "license "
		        "code\n  (wegauge reconnect %s --license-code LC --data-center DC), and "
		        "`journalctl -u wegauged`.\n",
		        name);
}

/* No verdict in time: what was seen, and what to check. */
static void say_timeout(struct job *j, const struct cli_seen *s, const char *want_fp)
{
	const char *name = j->o->name;
	char waited[32];
	snprintf(waited, sizeof(waited), "%lld s", (long long)(j->o->wait_ms / 1000));
	if (!s->store)
		fprintf(j->out, "%s: no verdict within %s: %s\n", name, waited, s->why);
	else if (!s->row)
		fprintf(j->out, "%s: no verdict within %s: the store has no row for it yet\n", name,
		        waited);
	else if (j->o->cmd != CLI_CMD_DISCONNECT && strcmp(s->fingerprint, want_fp) != 0)
		fprintf(j->out,
		        "%s: no verdict within %s: the store still shows key fingerprint %s (the "
		        "new one is %s): the daemon has not taken the new configuration\n",
		        name, waited, s->fingerprint[0] ? s->fingerprint : "(none)", want_fp);
	else
		fprintf(j->out, "%s: no verdict within %s: the store shows it %s%s%s\n", name,
		        waited, s->state, s->reason[0] ? ": " : "", s->reason);
	char text[512];
	if (j->o->pid == 0 && cli_reload_status_text(j->o->unit, text, sizeof(text)) == 0)
		fprintf(j->out, "  %s says: %s\n", j->o->unit, text);
	fprintf(j->out,
	        "  Check `systemctl status %s` and `journalctl -u %s`; `wegauge status "
	        "--workspace %s` shows the verdict when it comes.\n",
	        j->o->unit, j->o->unit, name);
}

/* Wait for the verdict; the exit status. */
static int wait_verdict(struct job *j, int64_t mark, const char *want_fp)
{
	mono_ms deadline = clock_mono_ms() + j->o->wait_ms;
	struct cli_seen s;
	int rc = 1;
	for (;;) {
		cli_seen_look(j->database, j->cfg->database_password, j->o->name, &s);
		if (settled(j, &s, mark, want_fp, &rc)) {
			say_verdict(j, &s, mark, deadline);
			return rc;
		}
		if (clock_mono_ms() >= deadline)
			break;
		sleep_ms(CLI_POLL_MS);
	}
	say_timeout(j, &s, want_fp);
	return 1;
}

/* Steps 1 and 2 of cli_connect.h: up to the files' change. 0, or an exit status. */
static int prepare(struct job *j, FILE *in)
{
	const struct cli_opts *o = j->o;
	char err[1024];
	if (cli_conf_dirs(j->cfg_path, j->include_dir, j->key_dir, sizeof(j->include_dir), err,
	                  sizeof(err)) != 0 ||
	    cli_conf_database(j->cfg_path, j->database, sizeof(j->database), err, sizeof(err)) !=
	            0) {
		errl(j, "%s", err);
		return 1;
	}
	if (j->include_dir[0] == '\0') {
		errl(j,
		     "%s: [daemon] include_dir is not set: %s keeps each workspace in its own "
		     "file there (e.g. include_dir = /etc/wegauge/workspaces.d)",
		     j->cfg_path, o->cmd == CLI_CMD_CONNECT ? "connect" : "wegauge");
		return CLI_EXIT_CONFIG;
	}
	if (check_writable(j, "include_dir", j->include_dir) != 0 ||
	    (o->cmd == CLI_CMD_CONNECT && check_writable(j, "key_dir", j->key_dir) != 0))
		return 1;
	bool wants_key = o->cmd == CLI_CMD_CONNECT || (o->cmd == CLI_CMD_RECONNECT && !o->keep_key);
	if (wants_key &&
	    cli_key_read(o->name, o->key_file, in, j->errf, &j->key, err, sizeof(err)) != 0) {
		errl(j, "%s", err);
		return 1;
	}
	if (lock_dir(j) != 0)
		return 1;
	struct config_errors errs = {0};
	if (config_load(j->cfg_path, &j->cfg, &errs) != 0) {
		errl(j, "the configuration is invalid as it is; nothing was changed:");
		print_errors(j, &errs);
		config_errors_free(&errs);
		return CLI_EXIT_CONFIG;
	}
	int n = snprintf(j->conf_path, sizeof(j->conf_path), "%s/%s.conf", j->cfg->include_dir,
	                 o->name);
	if (n < 0 || (size_t)n >= sizeof(j->conf_path)) {
		errl(j, "include_dir %s: path too long", j->cfg->include_dir);
		return 1;
	}
	return 0;
}

/*
 * Step 3: the whole configuration again. 0 and the new workspace's
 * fingerprint in fp (connect, reconnect), or an exit status after
 * putting everything back.
 */
static int validate(struct job *j, char *fp)
{
	struct config *now = NULL;
	struct config_errors errs = {0};
	if (config_load(j->cfg_path, &now, &errs) != 0) {
		errl(j, "the configuration would be invalid:");
		print_errors(j, &errs);
		config_errors_free(&errs);
		roll_back(j);
		return CLI_EXIT_CONFIG;
	}
	const struct ws_config *w = config_find_ws(now, j->o->name);
	if (w != NULL)
		snprintf(fp, SECRET_FP_LEN, "%s", w->fingerprint);
	fprintf(j->out, "configuration OK: %zu workspace%s\n", now->n_ws,
	        now->n_ws == 1 ? "" : "s");
	config_free(now);
	return 0;
}

int cli_connect_run(const struct cli_opts *o, FILE *in, FILE *out, FILE *errf)
{
	struct job j = {.o = o,
	                .cfg_path = o->config ? o->config : CLI_DEFAULT_CONFIG,
	                .out = out,
	                .errf = errf,
	                .lock_fd = -1};
	int rc = prepare(&j, in);
	char fp[SECRET_FP_LEN] = "";
	struct cli_seen before = {0};
	if (rc == 0) {
		/* What the daemon said before: an auth_failed workspace is probed again by a reload. */
		cli_seen_look(j.database, j.cfg->database_password, o->name, &before);
		hold_signals(&j, true);
		rc = o->cmd == CLI_CMD_CONNECT     ? do_connect(&j)
		     : o->cmd == CLI_CMD_RECONNECT ? do_reconnect(&j)
		                                   : do_disconnect(&j);
		if (rc != 0) {
			roll_back(&j);
			rc = 1;
		}
	}
	if (rc == 0)
		rc = validate(&j, fp);
	/* A reload probes an auth_failed workspace again, even when nothing changed. */
	bool reprobe = o->cmd == CLI_CMD_RECONNECT && before.row &&
	               strcmp(before.state, "auth_failed") == 0;
	bool nothing = rc == 0 && !j.changed && !reprobe;
	if (nothing) {
		fprintf(out, "%s: nothing to change (the daemon has this key and place already)\n",
		        o->name);
		rc = before.row && strcmp(before.state, "connected") == 0 ? 0 : 1;
		if (before.row)
			fprintf(out, "%s: %s%s%s\n", o->name, before.state,
			        before.reason[0] ? ": " : "", before.reason);
	}
	if (rc == 0 && !nothing) {
		char how[128], err[512];
		enum cli_reload_result r = CLI_RELOAD_NOT_RUNNING;
		if (o->no_reload)
			fprintf(out,
			        "not reloaded (--no-reload): run `systemctl reload wegauged` to "
			        "apply it\n");
		else
			r = cli_reload(o->unit, o->pid, how, sizeof(how), err, sizeof(err));
		hold_signals(&j, false);
		if (r == CLI_RELOAD_FAILED) {
			errl(&j, "%s; the configuration is written and valid", err);
			rc = 1;
		} else if (r == CLI_RELOAD_NOT_RUNNING && !o->no_reload) {
			fprintf(out,
			        "not reloaded: %s; the configuration is written and valid, and "
			        "wegauged takes it when it starts\n",
			        err);
		} else if (r == CLI_RELOAD_DONE) {
			fprintf(out, "%s\n", how);
			if (o->wait_ms > 0)
				rc = wait_verdict(&j, before.pull_id, fp);
		}
	}
	hold_signals(&j, false);
	if (j.lock_fd >= 0)
		close(j.lock_fd); /* releases the flock */
	cli_ftx_free(&j.tx);
	cli_key_free(&j.key);
	config_free(j.cfg);
	return rc;
}
