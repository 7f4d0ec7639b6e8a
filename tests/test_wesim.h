/*
 * test_wesim.h: the harness shared by tests/test_wesim_*.c, which test the
 * simulator (sim/) as a black box over HTTP: start a wesim process on a
 * free loopback port, wait for its port file (inotify, no fixed sleeps),
 * talk to it with libcurl, parse with jansson, stop it (SIGTERM, exit 0
 * asserted, which under ASan also means no leak). Every server started is
 * recorded; ws_teardown() stops any that a failed assertion left running.
 *
 * Deliberately independent of src/: wesim and the collector must not share
 * code, and neither may these tests.
 */
#ifndef TEST_WESIM_H
#define TEST_WESIM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define WS_START_DEADLINE_MS 30000 /* ASan builds start slowly on a busy machine */
#define WS_STOP_DEADLINE_MS  30000
#define WS_MAX_ARGS          48
#define WS_MAX_BODY          (64u << 20)

struct ws {
	pid_t pid;
	int port;
	int err_fd; /* read end of the server's stderr */
	char dir[512];
	char url[96];
	char errbuf[8192]; /* stderr read so far (first bytes) */
	size_t errlen;
};

/* ---- time ---- */

static inline int64_t t_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t t_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the registry of running servers (for ws_teardown) ---- */

static pid_t ws_running[16];

static inline void ws_register(pid_t pid)
{
	for (size_t i = 0; i < sizeof(ws_running) / sizeof(ws_running[0]); i++)
		if (!ws_running[i]) {
			ws_running[i] = pid;
			return;
		}
	fail_msg("more than 16 wesim processes at once");
}

static inline void ws_unregister(pid_t pid)
{
	for (size_t i = 0; i < sizeof(ws_running) / sizeof(ws_running[0]); i++)
		if (ws_running[i] == pid)
			ws_running[i] = 0;
}

static inline int ws_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

/*
 * Wait up to deadline_ms for pid to exit; returns its wait status, or -1 on
 * timeout. Waits on a pidfd when the kernel has them, else in 20 ms slices.
 */
static inline int ws_wait_exit(pid_t pid, int deadline_ms)
{
	int st, pfd = ws_pidfd(pid);
	int64_t end = t_now_ms() + deadline_ms;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			if (pfd >= 0)
				close(pfd);
			return st;
		}
		int64_t left = end - t_now_ms();
		if (left <= 0)
			break;
		if (pfd >= 0) {
			struct pollfd p = {pfd, POLLIN, 0};
			poll(&p, 1, (int)left);
		} else {
			poll(NULL, 0, left < 20 ? (int)left : 20);
		}
	}
	if (pfd >= 0)
		close(pfd);
	return -1;
}

/* cmocka teardown: stop whatever a failed test left running. */
static inline int ws_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ws_running) / sizeof(ws_running[0]); i++) {
		pid_t pid = ws_running[i];
		if (!pid)
			continue;
		kill(pid, SIGTERM);
		if (ws_wait_exit(pid, 10000) < 0) {
			kill(pid, SIGKILL);
			ws_wait_exit(pid, 10000);
		}
		ws_running[i] = 0;
	}
	return 0;
}

/* ---- files ---- */

/* A fresh directory $TEST_TMP/tag.XXXXXX into out. */
static inline void ws_tmpdir(const char *tag, char *out, size_t outlen)
{
	const char *base = getenv("TEST_TMP");
	assert_non_null(base);
	mkdir(base, 0755);
	snprintf(out, outlen, "%s/%s.XXXXXX", base, tag);
	assert_non_null(mkdtemp(out));
}

/* The whole file at path, NUL-terminated, malloc'd; NULL when unreadable. */
static inline char *ws_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static inline void ws_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/*
 * Remove the tree at path (files, directories, at most depth levels deep;
 * symbolic links are removed, never followed). Used to drop a test's
 * directory once the test passed; failures keep theirs for inspection.
 */
static inline void ws_rmtree(const char *path, int depth)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && depth > 0) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char sub[1024];
			if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) < (int)sizeof(sub))
				ws_rmtree(sub, depth - 1);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* ---- starting and stopping ---- */

/* Read whatever the server wrote to stderr so far (non-blocking). */
static inline void ws_drain_stderr(struct ws *w)
{
	char tmp[4096];
	ssize_t r;
	while (w->err_fd >= 0 && (r = read(w->err_fd, tmp, sizeof(tmp))) > 0) {
		size_t room = sizeof(w->errbuf) - 1 - w->errlen;
		size_t k = (size_t)r < room ? (size_t)r : room;
		memcpy(w->errbuf + w->errlen, tmp, k);
		w->errlen += k;
		w->errbuf[w->errlen] = '\0';
	}
}

/*
 * Wait until the server's stderr contains needle (or deadline_ms passes);
 * true when seen. Waits on the pipe with poll().
 */
static inline bool ws_wait_stderr(struct ws *w, const char *needle, int deadline_ms)
{
	int64_t end = t_now_ms() + deadline_ms;
	for (;;) {
		ws_drain_stderr(w);
		if (strstr(w->errbuf, needle))
			return true;
		int64_t left = end - t_now_ms();
		if (left <= 0)
			return false;
		struct pollfd p = {w->err_fd, POLLIN, 0};
		if (poll(&p, 1, (int)left) <= 0)
			return strstr(w->errbuf, needle) != NULL;
		if (p.revents & (POLLHUP | POLLERR) && !(p.revents & POLLIN))
			return strstr(w->errbuf, needle) != NULL;
	}
}

/*
 * Run wesim with args (NULL-terminated; an argument "@DIR/x" becomes the
 * path x in the server's directory) and "--port 0 --port-file DIR/port",
 * DIR being a fresh directory; wait for the port file. Returns 0, or
 * -1 when the process died or the port file did not appear in time (its
 * stderr is printed). The server's stdout goes to DIR/stdout.
 */
static inline int ws_start(struct ws *w, const char *tag, const char *const *args)
{
	const char *bin = getenv("WESIM");
	assert_non_null(bin);
	memset(w, 0, sizeof(*w));
	w->err_fd = -1;
	ws_tmpdir(tag, w->dir, sizeof(w->dir));
	char portfile[600], outfile[600];
	snprintf(portfile, sizeof(portfile), "%s/port", w->dir);
	snprintf(outfile, sizeof(outfile), "%s/stdout", w->dir);
	const char *argv[WS_MAX_ARGS + 8];
	static char expanded[WS_MAX_ARGS][700];
	int n = 0;
	argv[n++] = bin;
	argv[n++] = "--port";
	argv[n++] = "0";
	argv[n++] = "--port-file";
	argv[n++] = portfile;
	for (int i = 0; args && args[i]; i++) {
		assert_true(i < WS_MAX_ARGS);
		if (strncmp(args[i], "@DIR", 4) == 0) {
			/* "@DIR/x" names x in the server's fresh directory */
			snprintf(expanded[i], sizeof(expanded[i]), "%s%s", w->dir, args[i] + 4);
			argv[n++] = expanded[i];
		} else {
			argv[n++] = args[i];
		}
	}
	argv[n] = NULL;

	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	fcntl(pfd[0], F_SETFD, FD_CLOEXEC);
	fcntl(pfd[1], F_SETFD, FD_CLOEXEC);
	int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	assert_true(ino >= 0);
	assert_true(inotify_add_watch(ino, w->dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) >= 0);

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outfile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	int rc = posix_spawn(&w->pid, bin, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	assert_int_equal(rc, 0);
	ws_register(w->pid);
	w->err_fd = pfd[0];
	fcntl(w->err_fd, F_SETFL, O_NONBLOCK);

	int pidfd = ws_pidfd(w->pid);
	int64_t end = t_now_ms() + WS_START_DEADLINE_MS;
	for (;;) {
		char *txt = ws_read_file(portfile, NULL);
		if (txt) {
			w->port = atoi(txt);
			free(txt);
			break;
		}
		int st;
		int64_t left = end - t_now_ms();
		if (left <= 0 || waitpid(w->pid, &st, WNOHANG) == w->pid) {
			if (left > 0)
				ws_unregister(w->pid); /* it exited and was reaped */
			ws_drain_stderr(w);
			fprintf(stderr, "wesim did not start (%s): %s\n",
			        left <= 0 ? "timeout" : "died", w->errbuf);
			close(ino);
			if (pidfd >= 0)
				close(pidfd);
			return -1;
		}
		struct pollfd p[2] = {{ino, POLLIN, 0}, {pidfd, POLLIN, 0}};
		poll(p, pidfd >= 0 ? 2 : 1, (int)(pidfd >= 0 ? left : (left < 50 ? left : 50)));
		char ev[4096];
		while (read(ino, ev, sizeof(ev)) > 0)
			;
	}
	close(ino);
	if (pidfd >= 0)
		close(pidfd);
	assert_true(w->port > 0 && w->port < 65536);
	snprintf(w->url, sizeof(w->url), "http://127.0.0.1:%d", w->port);
	return 0;
}

/*
 * SIGTERM the server and assert it exits 0 in time; then its directory is
 * removed (read what you need from it before).
 */
static inline void ws_stop(struct ws *w)
{
	if (!w->pid)
		return;
	assert_int_equal(kill(w->pid, SIGTERM), 0);
	int st = ws_wait_exit(w->pid, WS_STOP_DEADLINE_MS);
	if (st < 0) {
		kill(w->pid, SIGKILL);
		ws_wait_exit(w->pid, WS_STOP_DEADLINE_MS);
	}
	ws_unregister(w->pid);
	w->pid = 0;
	ws_drain_stderr(w);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "wesim stderr:\n%s\n", w->errbuf);
	if (w->err_fd >= 0)
		close(w->err_fd);
	w->err_fd = -1;
	assert_true(st >= 0);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	ws_rmtree(w->dir, 4);
}

/*
 * Run wesim to completion with args (no server): its exit status into
 * *status, stdout and stderr malloc'd into *out and *err (either may be
 * NULL to discard).
 */
static inline void ws_run(const char *const *args, int *status, char **out, char **err)
{
	const char *bin = getenv("WESIM");
	assert_non_null(bin);
	char dir[512], of[600], ef[600];
	ws_tmpdir("run", dir, sizeof(dir));
	snprintf(of, sizeof(of), "%s/stdout", dir);
	snprintf(ef, sizeof(ef), "%s/stderr", dir);
	const char *argv[WS_MAX_ARGS + 2];
	int n = 0;
	argv[n++] = bin;
	for (int i = 0; args[i]; i++) {
		assert_true(i < WS_MAX_ARGS);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, of, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, ef, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pid_t pid;
	assert_int_equal(posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	ws_register(pid);
	int st = ws_wait_exit(pid, 120000);
	ws_unregister(pid);
	assert_true(st >= 0);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (out)
		*out = ws_read_file(of, NULL);
	if (err)
		*err = ws_read_file(ef, NULL);
	ws_rmtree(dir, 1);
}

/* ---- HTTP ---- */

struct http_resp {
	CURLcode rc;
	long status;
	char *body;
	size_t len;
	char hdr[16384];
	size_t hlen;
	int64_t ms; /* wall time of the transfer */
};

static inline size_t http_body_cb(char *p, size_t sz, size_t nm, void *arg)
{
	struct http_resp *r = arg;
	size_t n = sz * nm;
	if (r->len + n > WS_MAX_BODY)
		return 0;
	char *b = realloc(r->body, r->len + n + 1);
	if (!b)
		return 0;
	memcpy(b + r->len, p, n);
	r->body = b;
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static inline size_t http_hdr_cb(char *p, size_t sz, size_t nm, void *arg)
{
	struct http_resp *r = arg;
	size_t n = sz * nm;
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		r->hlen = 0; /* a new response (after 100 Continue): keep the last */
	if (r->hlen + n < sizeof(r->hdr)) {
		memcpy(r->hdr + r->hlen, p, n);
		r->hlen += n;
		r->hdr[r->hlen] = '\0';
	}
	return n;
}

/*
 * One request: method ("GET", "POST"), url, the bearer key (NULL: no
 * Authorization), a body with its Content-Type (NULL: none), a timeout, a
 * CA file for HTTPS (NULL: none). The response is in *r (http_free).
 */
static inline void http_do(struct http_resp *r, const char *method, const char *url,
                           const char *key, const char *ctype, const char *body, long timeout_ms,
                           const char *cainfo)
{
	memset(r, 0, sizeof(*r));
	CURL *c = curl_easy_init();
	assert_non_null(c);
	struct curl_slist *h = NULL;
	char line[512];
	if (key) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", key);
		h = curl_slist_append(h, line);
	}
	if (ctype) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_hdr_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (cainfo)
		curl_easy_setopt(c, CURLOPT_CAINFO, cainfo);
	int64_t t0 = t_now_ms();
	r->rc = curl_easy_perform(c);
	r->ms = t_now_ms() - t0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (!r->body) {
		r->body = calloc(1, 1);
		assert_non_null(r->body);
	}
}

static inline void http_free(struct http_resp *r)
{
	free(r->body);
	r->body = NULL;
}

/* GET url with key, 10 s timeout, asserting the transfer itself worked. */
static inline void http_get(struct http_resp *r, const char *url, const char *key)
{
	http_do(r, "GET", url, key, NULL, NULL, 10000, NULL);
	if (r->rc != CURLE_OK)
		fail_msg("GET %s: %s", url, curl_easy_strerror(r->rc));
}

/* The value of response header name (case-insensitive) into out; false when absent. */
static inline bool http_header(const struct http_resp *r, const char *name, char *out,
                               size_t outlen)
{
	size_t nl = strlen(name);
	const char *p = r->hdr;
	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t ll = eol ? (size_t)(eol - p) : strlen(p);
		if (ll > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			size_t vl = ll - (size_t)(v - p);
			if (vl >= outlen)
				vl = outlen - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return true;
		}
		p = eol ? eol + 2 : NULL;
	}
	return false;
}

/* s with every "{lc}" replaced by lc, into out. */
static inline void t_subst_lc(const char *s, const char *lc, char *out, size_t outlen)
{
	size_t n = 0;
	while (*s && n + 1 < outlen) {
		if (strncmp(s, "{lc}", 4) == 0) {
			size_t k = strlen(lc);
			if (n + k >= outlen)
				break;
			memcpy(out + n, lc, k);
			n += k;
			s += 4;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
}

/* ---- JSON ---- */

/* Parse a body; NULL when it is not JSON. */
static inline json_t *jparse(const char *s, size_t n)
{
	json_error_t e;
	return json_loadb(s, n, JSON_DECODE_ANY, &e);
}

/* root["a"]["b"]... for a dotted path of object keys; NULL when missing. */
static inline json_t *jget(json_t *root, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = root;
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && cur;
	     k = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, k);
	return cur;
}

/* The envelope's data of a success answer; fails the test otherwise. */
static inline json_t *jdata(json_t *root)
{
	assert_non_null(root);
	assert_string_equal(json_string_value(jget(root, "response.status")), "success");
	assert_string_equal(json_string_value(jget(root, "response.message")), "success");
	json_t *d = jget(root, "response.data");
	assert_non_null(d);
	return d;
}

/* Assert an error envelope with exactly the two keys and return its message. */
static inline const char *jerror(json_t *root)
{
	assert_non_null(root);
	assert_int_equal(json_object_size(root), 1);
	json_t *r = json_object_get(root, "response");
	assert_int_equal(json_object_size(r), 2);
	assert_string_equal(json_string_value(json_object_get(r, "status")), "error");
	const char *m = json_string_value(json_object_get(r, "message"));
	assert_non_null(m);
	return m;
}

/* ---- accounts of a server started with --write-config DIR/cfg ---- */

struct ws_acct {
	char name[16];
	char lc[72];
	char key[136];
};

/* Account idx (0-based) from DIR/cfg/wesim.accounts. */
static inline void ws_account(const struct ws *w, int idx, struct ws_acct *a)
{
	char path[700];
	snprintf(path, sizeof(path), "%s/cfg/wesim.accounts", w->dir);
	char *txt = ws_read_file(path, NULL);
	assert_non_null(txt);
	int line = -1;
	for (char *save = NULL, *l = strtok_r(txt, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		if (l[0] == '#')
			continue;
		if (++line != idx)
			continue;
		assert_int_equal(sscanf(l, "%15s lc=%71s key=%135s", a->name, a->lc, a->key), 3);
		free(txt);
		return;
	}
	free(txt);
	fail_msg("no account %d in %s", idx, path);
}

/* GET /_wesim/accounts: the array of account descriptions (json_decref it). */
static inline json_t *ws_describe(const struct ws *w)
{
	char url[160];
	struct http_resp r;
	snprintf(url, sizeof(url), "%s/_wesim/accounts", w->url);
	http_get(&r, url, NULL);
	assert_int_equal(r.status, 200);
	json_t *root = jparse(r.body, r.len);
	http_free(&r);
	json_t *d = json_incref(jdata(root));
	json_decref(root);
	return d;
}

/* GET /_wesim/stats data (json_decref it). */
static inline json_t *ws_stats(const struct ws *w)
{
	char url[160];
	struct http_resp r;
	snprintf(url, sizeof(url), "%s/_wesim/stats", w->url);
	http_get(&r, url, NULL);
	assert_int_equal(r.status, 200);
	json_t *root = jparse(r.body, r.len);
	http_free(&r);
	json_t *d = json_incref(jdata(root));
	json_decref(root);
	return d;
}

/* POST /_wesim/PATH (e.g. "control?fault_rate=1"), asserting 200. */
static inline void ws_post(const struct ws *w, const char *path)
{
	char url[512];
	struct http_resp r;
	snprintf(url, sizeof(url), "%s/_wesim/%s", w->url, path);
	http_do(&r, "POST", url, NULL, NULL, NULL, 10000, NULL);
	if (r.rc != CURLE_OK || r.status != 200)
		fail_msg("POST %s: %s %ld %s", url, curl_easy_strerror(r.rc), r.status, r.body);
	http_free(&r);
}

static inline json_int_t jint(json_t *root, const char *path)
{
	json_t *v = jget(root, path);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	return json_integer_value(v);
}

/* ---- docs/api.md's loose ISO 8601, parsed independently of sim/ and src/ ---- */

/* "2013-01-26T07:31+0000", "...:00Z", "...:00.000+05:30" to UTC seconds; 0 or -1. */
static inline int t_parse_iso(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec = 0, n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16)
		return -1;
	const char *p = s + 16;
	if (*p == ':') {
		if (sscanf(p, ":%2d", &sec) != 1)
			return -1;
		p += 3;
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	int off = 0;
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om, sign = *p == '-' ? -1 : 1;
		if (strlen(p) == 5 && sscanf(p + 1, "%2d%2d", &oh, &om) == 2)
			p += 5;
		else if (strlen(p) == 6 && p[3] == ':' && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
			p += 6;
		else
			return -1;
		off = sign * (oh * 60 + om);
	} else {
		return -1;
	}
	if (*p)
		return -1;
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	*out = (int64_t)timegm(&tm) - off * 60;
	return 0;
}

/* UTC seconds to "YYYY-MM-DDTHH:MM:SSZ". */
static inline void t_format_utc(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

#endif
