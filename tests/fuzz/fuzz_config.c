/*
 * fuzz_config.c: libFuzzer harness for config_load (include/config.h), the
 * parser of the operator's INI files. Seeds: corpus/fuzz_config/.
 *
 * Each input is written to main.conf in a private directory and loaded
 * from there. The directory is made once per process (mkdtemp under
 * $TMPDIR, else /tmp) and holds what a configuration may name relative to
 * itself, so that inputs can reach the success path and the key readers:
 *   main.conf        the input, rewritten for every input (never a new file)
 *   ca.pem           for ca_file
 *   key              an API key file, mode 0600
 *   full.d/          two workspaces (10-alpha.conf, 20-beta.conf) for
 *                    include_dir = full.d, as in tests/fixtures/config
 *   creds/NAME       $CREDENTIALS_DIRECTORY (set here) with the keys of
 *                    the names the seeds use: acme-prod, local, alpha, beta
 * Other paths an input names are looked up as they are and mostly do not
 * exist; config_load only reads. The directory is removed at exit; a run
 * that crashes leaves it behind (libFuzzer does not exit normally then),
 * which is why scripts/fuzz points $TMPDIR into build-fuzz/ and empties it.
 *
 * Properties checked:
 *  - the contract: 0 with a configuration and no message, or -1 with no
 *    configuration and 1 to 101 messages, each non-empty and shorter than
 *    1024 bytes, the 101st saying how many more there were;
 *  - secrets: every key file holds the marker SECRET_MARK; unless the
 *    input itself contains the marker, no error message and no -t summary
 *    (config_print_summary) contains it;
 *  - a loaded configuration: each workspace is found by its name, has a
 *    key of key_len bytes, a 16-hex-digit fingerprint, a base URL and
 *    lookback_days within 1..90; every path template builds a URL with
 *    weapi_url for each request pull.c makes with it; the summary starts
 *    "configuration OK" and has one line per workspace.
 * Everything config_load returns is freed after each input. With
 * FUZZ_VERBOSE set in the environment, the verdict and every message go
 * to stderr (for reading a reproducer).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz_check.h"
#include "weapi.h"

/*
 * In every key file. Upper case on purpose: the config module escapes an
 * unprintable byte as "\xNN" with lower-case hex digits, so an escape
 * next to input text cannot form the marker (it did, with "fuzzSECRET"
 * after "\xff"); so the marker in a message means the input or a key.
 */
#define SECRET_MARK "SECRETKEYMARK"
#define PATH_LEN    4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The files of the private directory, relative to it, and their content. */
struct fixture {
	const char *name; /* a trailing '/' makes a directory */
	const char *content;
	mode_t mode;
};

static const struct fixture fixtures[] = {
        {"full.d/", NULL, 0700},
        {"creds/", NULL, 0700},
        {"ca.pem", "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n",
         0644},
        {"key", SECRET_MARK "-file\n", 0600},
        {"full.d/10-alpha.conf",
         "[workspace \"alpha\"]\nlicense_code = alpha1\napi_key_credential = alpha\n"
         "lookback_days = 30\n",
         0644},
        {"full.d/20-beta.conf",
         "[workspace \"beta\"]\nlicense_code = beta1\ndata_center = ksa\n"
         "api_key_credential = beta\nstreams = team\n",
         0644},
        {"creds/acme-prod", SECRET_MARK "-acme-prod\n", 0600},
        {"creds/local", SECRET_MARK "-local\n", 0600},
        {"creds/alpha", SECRET_MARK "-alpha\n", 0600},
        {"creds/beta", SECRET_MARK "-beta\n", 0600},
};
#define N_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static char dir[PATH_LEN];       /* the private directory; "" until made */
static char main_conf[PATH_LEN]; /* dir/main.conf */

/* dir/name into buf. */
static void join(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);
	FUZZ_CHECK(n > 0 && (size_t)n < len, "path too long: %s/%s", dir, name);
}

/*
 * Make path hold exactly the len bytes of content (created with mode when
 * new); aborts on failure. The file is overwritten in place and then cut
 * to len, not opened with O_TRUNC: ext4 flushes a file truncated to zero
 * on close (auto_da_alloc), which made every input cost a disk write.
 */
static void put(const char *path, const void *content, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode);
	FUZZ_CHECK(fd >= 0, "cannot create %s: %s", path, strerror(errno));
	const char *p = content;
	size_t total = len;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		FUZZ_CHECK(w > 0, "cannot write %s: %s", path, strerror(errno));
		p += w;
		len -= (size_t)w;
	}
	FUZZ_CHECK(ftruncate(fd, (off_t)total) == 0, "cannot truncate %s: %s", path,
	           strerror(errno));
	FUZZ_CHECK(close(fd) == 0, "cannot close %s: %s", path, strerror(errno));
}

/* Remove main.conf and the fixtures, deepest first, then the directory (atexit). */
static void cleanup(void)
{
	char path[PATH_LEN];
	if (dir[0] == '\0')
		return;
	unlink(main_conf);
	for (size_t i = N_FIXTURES; i-- > 0;) {
		join(path, sizeof(path), fixtures[i].name);
		size_t n = strlen(path);
		if (path[n - 1] == '/') {
			path[n - 1] = '\0';
			rmdir(path);
		} else {
			unlink(path);
		}
	}
	rmdir(dir);
	dir[0] = '\0';
}

/* Make the private directory and its fixtures, once per process. */
static void setup(void)
{
	char path[PATH_LEN];
	const char *tmp = getenv("TMPDIR");
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	int n = snprintf(dir, sizeof(dir), "%s/wegauge-fuzz-config.XXXXXX", tmp);
	FUZZ_CHECK(n > 0 && (size_t)n < sizeof(dir), "TMPDIR too long");
	FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp %s: %s", dir, strerror(errno));
	atexit(cleanup);
	join(main_conf, sizeof(main_conf), "main.conf");
	for (size_t i = 0; i < N_FIXTURES; i++) {
		join(path, sizeof(path), fixtures[i].name);
		size_t len = strlen(path);
		if (path[len - 1] == '/') {
			path[len - 1] = '\0';
			FUZZ_CHECK(mkdir(path, fixtures[i].mode) == 0, "mkdir %s: %s", path,
			           strerror(errno));
		} else {
			put(path, fixtures[i].content, strlen(fixtures[i].content),
			    fixtures[i].mode);
			/* The umask may have taken bits; the key checks want exactly these. */
			FUZZ_CHECK(chmod(path, fixtures[i].mode) == 0, "chmod %s: %s", path,
			           strerror(errno));
		}
	}
	join(path, sizeof(path), "creds");
	FUZZ_CHECK(setenv("CREDENTIALS_DIRECTORY", path, 1) == 0, "setenv: %s", strerror(errno));
}

/* True when the marker occurs in the size bytes at data (not NUL-terminated). */
static bool has_mark(const uint8_t *data, size_t size)
{
	size_t m = strlen(SECRET_MARK);
	for (size_t i = 0; i + m <= size; i++)
		if (memcmp(data + i, SECRET_MARK, m) == 0)
			return true;
	return false;
}

/* The -t summary of cfg, which must not show a key. */
static void check_summary(const struct config *cfg, bool marked)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	FUZZ_CHECK(f != NULL, "open_memstream: %s", strerror(errno));
	config_print_summary(cfg, f);
	FUZZ_CHECK(fclose(f) == 0, "fclose of the memstream");
	FUZZ_CHECK(strncmp(text, "configuration OK\n", 17) == 0, "summary: %.40s", text);
	size_t lines = 0;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	FUZZ_CHECK(lines == cfg->n_ws + 1, "summary: %zu lines for %zu workspaces", lines,
	           cfg->n_ws);
	FUZZ_CHECK(marked || strstr(text, SECRET_MARK) == NULL, "summary shows a key: %s", text);
	free(text);
}

/*
 * Every path template config_load accepted builds a URL (weapi_url) for
 * every request pull.c makes with it: a template the collector cannot use
 * must be refused at load time, with its file and line, not at the first
 * pull.
 */
static void check_urls(const struct ws_config *ws)
{
	for (int k = 0; k < PATH_COUNT; k++) {
		for (int c = 0; c < (k == PATH_CAMPAIGNS ? WEAPI_N_CHANNELS : 1); c++) {
			const char *ch = k == PATH_CAMPAIGNS ? weapi_channels[c].path : NULL;
			char *url = weapi_url(ws->base_url, ws->paths[k], ws->license_code, ch,
			                      "pageNo=1&pageSize=100");
			FUZZ_CHECK(url != NULL,
			           "workspace %s: path template %d \"%s\" gives no URL", ws->name,
			           k, ws->paths[k]);
			free(url);
		}
	}
}

/* What a loaded configuration must hold. */
static void check_config(const struct config *cfg, bool marked)
{
	FUZZ_CHECK(cfg->path && strcmp(cfg->path, main_conf) == 0, "path %s", cfg->path);
	FUZZ_CHECK(cfg->database != NULL, "no database");
	for (size_t i = 0; i < cfg->n_ws; i++) {
		const struct ws_config *ws = &cfg->ws[i];
		FUZZ_CHECK(config_find_ws(cfg, ws->name) == ws, "workspace %s not found by name",
		           ws->name);
		FUZZ_CHECK(ws->key != NULL && ws->key_len > 0 && strlen(ws->key) == ws->key_len,
		           "workspace %s: key of %zu bytes", ws->name, ws->key_len);
		FUZZ_CHECK(strlen(ws->fingerprint) == FINGERPRINT_LEN - 1 &&
		                   strspn(ws->fingerprint, "0123456789abcdef") ==
		                           FINGERPRINT_LEN - 1,
		           "workspace %s: fingerprint \"%s\"", ws->name, ws->fingerprint);
		FUZZ_CHECK(ws->license_code != NULL && ws->base_url != NULL &&
		                   ws->key_source != NULL,
		           "workspace %s: license code, base URL or key source missing", ws->name);
		FUZZ_CHECK(ws->lookback_days >= 1 && ws->lookback_days <= 90,
		           "workspace %s: lookback_days %d", ws->name, ws->lookback_days);
		FUZZ_CHECK(marked || strstr(ws->key_source, SECRET_MARK) == NULL,
		           "workspace %s: key source shows a key", ws->name);
		check_urls(ws);
	}
	check_summary(cfg, marked);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (dir[0] == '\0')
		setup();
	put(main_conf, data, size, 0600);
	/* The input may hold the marker itself: then messages may quote it legitimately. */
	bool marked = has_mark(data, size);
	struct config *cfg = (struct config *)1;
	struct config_errors errs = {(char **)1, 12345};
	int rc = config_load(main_conf, &cfg, &errs);
	if (getenv("FUZZ_VERBOSE") != NULL) {
		fprintf(stderr, "config_load: %d, %zu workspaces, %zu messages\n", rc,
		        rc == 0 ? cfg->n_ws : 0, rc == 0 ? 0 : errs.n);
		for (size_t i = 0; rc != 0 && i < errs.n; i++)
			fprintf(stderr, "  %s\n", errs.msg[i]);
	}
	if (rc == 0) {
		FUZZ_CHECK(cfg != NULL && errs.n == 0 && errs.msg == NULL,
		           "success with %zu messages", errs.n);
		check_config(cfg, marked);
		config_free(cfg);
		return 0;
	}
	FUZZ_CHECK(rc == -1 && cfg == NULL, "rc %d", rc);
	FUZZ_CHECK(errs.n >= 1 && errs.n <= 101, "%zu messages", errs.n);
	for (size_t i = 0; i < errs.n; i++) {
		const char *m = errs.msg[i];
		FUZZ_CHECK(m != NULL && m[0] != '\0' && strlen(m) < 1024, "message %zu", i);
		FUZZ_CHECK(marked || strstr(m, SECRET_MARK) == NULL, "message %zu shows a key: %s",
		           i, m);
	}
	if (errs.n == 101)
		FUZZ_CHECK(strstr(errs.msg[100], "more errors not shown") != NULL,
		           "the 101st message: %s", errs.msg[100]);
	config_errors_free(&errs);
	return 0;
}
