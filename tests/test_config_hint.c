/*
 * test_config_hint.c: src/config.c's reload cache, config_load_hint(), and
 * the name table behind config_find_ws. What is checked:
 *  - with the hint, the result equals config_load's, field by field, while
 *    the include files and key files really were taken from the hint;
 *  - what depends on other files is done again: [daemon]'s inherited
 *    values, the data center's URL, duplicate names (the same messages as
 *    without the hint), the secrecy check of key files (with the line of
 *    api_key_file of a section taken from the hint);
 *  - a file rewritten in the same second with the same size and its mtime
 *    set back (utimensat) is read again (racily clean), and so is a file
 *    replaced by rename; a removed or added file is handled.
 * The ctime a coarse file system clock would repeat cannot be had from
 * user space on demand; test_racy_rewrite_read_again gives the hint the
 * file's new stamp instead.
 * "The hint read the files 10 s after they last changed" is arranged by
 * moving the hint's read instants (struct fstamp read_ns) 10 s on, never by
 * sleeping. That the hint was used is shown by values planted in the
 * hint's memory that the files do not hold.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

#define AGE_NS ((int64_t)10 * 1000000000)

static char tmpdir[4096];
static char main_path[4200];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* tmpdir/name, in one of two static buffers (two may be in use at once). */
static const char *tpath(const char *name)
{
	static char buf[2][4400];
	static int which;
	which ^= 1;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", tmpdir, name);
	return buf[which];
}

/* Write text to tmpdir/name with exactly mode. */
static void put(const char *name, const char *text, mode_t mode)
{
	const char *path = tpath(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		fail_msg("cannot create %s", path);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Replace tmpdir/name by a new file (a new inode) through rename. */
static void replace(const char *name, const char *text, mode_t mode)
{
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s.new", name);
	put(tmp, text, mode);
	char from[4400];
	snprintf(from, sizeof(from), "%s", tpath(tmp));
	assert_int_equal(rename(from, tpath(name)), 0);
}

/* Set tmpdir/name's mtime to mtime (its ctime moves to now: no call can set it). */
static void set_mtime(const char *name, struct timespec mtime)
{
	struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, mtime};
	assert_int_equal(utimensat(AT_FDCWD, tpath(name), times, 0), 0);
}

static struct timespec mtime_of(const char *name)
{
	struct stat st;
	assert_int_equal(stat(tpath(name), &st), 0);
	return st.st_mtim;
}

/*
 * A fresh directory under $TEST_TMP per test with main.conf (include_dir
 * ws.d, interval 5m), ws.d/a.conf (workspace a), ws.d/b.conf (b1 with its
 * own interval, base_url and streams; b2 in the "in" data center with a
 * credential) and their keys in keys/ and creds/. Removed by teardown.
 */
static int setup(void **state)
{
	(void)state;
	const char *base = getenv("TEST_TMP");
	snprintf(tmpdir, sizeof(tmpdir), "%s/config_hint.XXXXXX", base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	snprintf(main_path, sizeof(main_path), "%s/main.conf", tmpdir);
	if (mkdir(tpath("ws.d"), 0755) != 0 || mkdir(tpath("keys"), 0700) != 0 ||
	    mkdir(tpath("creds"), 0700) != 0)
		return -1;
	put("main.conf", "[daemon]\ninclude_dir = ws.d\ninterval = 5m\n", 0644);
	put("ws.d/a.conf", "[workspace \"a\"]\nlicense_code = lca\napi_key_file = ../keys/a.key\n",
	    0644);
	put("ws.d/b.conf",
	    "; two workspaces\n"
	    "[workspace \"b1\"]\nlicense_code = lcb1\napi_key_file = ../keys/b1.key\n"
	    "interval = 1m\nbase_url = http://127.0.0.1:9/\nstreams = team, stats\n"
	    "stats_path = /x/{lc}/stats\n"
	    "[workspace \"b2\"]\nlicense_code = lcb2\ndata_center = in\n"
	    "api_key_credential = b2\nenabled = no\nlookback_days = 3\n",
	    0644);
	put("keys/a.key", "key-of-a-0001\n", 0600);
	put("keys/b1.key", "key-of-b1-001\n", 0600);
	put("creds/b2", "key-of-b2-001\n", 0600);
	return setenv("CREDENTIALS_DIRECTORY", tpath("creds"), 1);
}

static int teardown(void **state)
{
	(void)state;
	unsetenv("CREDENTIALS_DIRECTORY");
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Load with hint (NULL: none); it must succeed. */
static struct config *load_ok(const struct config *hint)
{
	struct config *cfg = NULL;
	struct config_errors errs;
	if (config_load_hint(main_path, hint, &cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			print_error("%s\n", errs.msg[i]);
		config_errors_free(&errs);
		fail_msg("config_load_hint(%s) failed", main_path);
	}
	return cfg;
}

/* Load with hint; it must fail; the messages are returned. */
static struct config_errors load_bad(const struct config *hint)
{
	struct config *cfg = (struct config *)0x1;
	struct config_errors errs;
	assert_int_equal(config_load_hint(main_path, hint, &cfg, &errs), -1);
	assert_null(cfg);
	assert_true(errs.n > 0);
	return errs;
}

/* As if hint had read every file AGE_NS after the file last changed. */
static void age(struct config *hint)
{
	for (size_t i = 0; i < hint->n_files; i++)
		hint->files[i].stamp.read_ns += AGE_NS;
	for (size_t i = 0; i < hint->n_ws; i++)
		hint->ws[i].key_stamp.read_ns += AGE_NS;
}

/* Replace a string of the hint's (planted values show that the hint was used). */
static void plant(char **field, const char *value)
{
	free(*field);
	*field = strdup(value);
	assert_non_null(*field);
}

/* Plant a key (and a fingerprint that is not its SHA-256) in ws. */
static void plant_key(struct ws_config *ws, const char *key, const char *fp)
{
	explicit_bzero(ws->key, ws->key_len);
	free(ws->key);
	ws->key = strdup(key);
	assert_non_null(ws->key);
	ws->key_len = strlen(key);
	snprintf(ws->fingerprint, sizeof(ws->fingerprint), "%s", fp);
}

/* Every field of two workspaces is equal (key stamps: all but the read instant). */
static void assert_ws_equal(const struct ws_config *a, const struct ws_config *b)
{
	assert_string_equal(a->name, b->name);
	assert_string_equal(a->license_code, b->license_code);
	assert_int_equal(a->data_center, b->data_center);
	assert_string_equal(a->base_url, b->base_url);
	assert_int_equal(a->base_url_set, b->base_url_set);
	assert_int_equal(a->loopback_http, b->loopback_http);
	assert_int_equal(a->key_len, b->key_len);
	assert_memory_equal(a->key, b->key, a->key_len + 1);
	assert_string_equal(a->fingerprint, b->fingerprint);
	assert_int_equal(a->key_stamp.dev, b->key_stamp.dev);
	assert_int_equal(a->key_stamp.ino, b->key_stamp.ino);
	assert_int_equal(a->key_stamp.size, b->key_stamp.size);
	assert_int_equal(a->key_stamp.mtime_ns, b->key_stamp.mtime_ns);
	assert_int_equal(a->key_stamp.ctime_ns, b->key_stamp.ctime_ns);
	assert_string_equal(a->key_source, b->key_source);
	assert_int_equal(a->interval_ms, b->interval_ms);
	assert_int_equal(a->jitter_ms, b->jitter_ms);
	assert_int_equal(a->lookback_days, b->lookback_days);
	assert_int_equal(a->streams, b->streams);
	assert_int_equal(a->enabled, b->enabled);
	for (int k = 0; k < PATH_COUNT; k++)
		assert_string_equal(a->paths[k], b->paths[k]);
	assert_string_equal(a->file, b->file);
	assert_int_equal(a->line, b->line);
	assert_int_equal(a->set_opts, b->set_opts);
	assert_int_equal(a->key_line, b->key_line);
}

/* With an aged hint, the result is config_load's, and the files came from the hint. */
static void test_same_result(void **state)
{
	(void)state;
	struct config *plain = load_ok(NULL);
	struct config *hint = load_ok(NULL);
	assert_int_equal(hint->n_files, 2); /* a.conf and b.conf; not main.conf */
	age(hint);
	struct config *cfg = load_ok(hint);
	assert_int_equal(cfg->n_ws, 3);
	assert_int_equal(cfg->n_ws, plain->n_ws);
	for (size_t i = 0; i < cfg->n_ws; i++) {
		assert_ws_equal(&cfg->ws[i], &plain->ws[i]);
		/* Taken from the hint: its (aged) read instant, not a new read's. */
		assert_int_equal(cfg->ws[i].key_stamp.read_ns, hint->ws[i].key_stamp.read_ns);
		assert_ptr_equal(config_find_ws(cfg, plain->ws[i].name), &cfg->ws[i]);
	}
	assert_int_equal(cfg->n_files, 2);
	for (size_t i = 0; i < cfg->n_files; i++) {
		assert_int_equal(cfg->files[i].first_ws, plain->files[i].first_ws);
		assert_int_equal(cfg->files[i].n_ws, plain->files[i].n_ws);
		assert_int_equal(cfg->files[i].stamp.read_ns, hint->files[i].stamp.read_ns);
	}
	assert_int_equal(cfg->files[1].first_ws, 1);
	assert_int_equal(cfg->files[1].n_ws, 2);
	/* b2's base URL is its data center's, set again (the copy does not carry it). */
	assert_string_equal(cfg->ws[2].base_url, "https://api.in.webengage.com");
	assert_string_equal(cfg->ws[1].base_url, "http://127.0.0.1:9");
	config_free(plain);
	config_free(hint);
	config_free(cfg);
}

/* Unchanged files are not read: values planted in the hint's memory come through. */
static void test_unchanged_not_read(void **state)
{
	(void)state;
	struct config *hint = load_ok(NULL);
	age(hint);
	plant(&hint->ws[0].license_code, "planted-lc");
	plant_key(&hint->ws[0], "planted-key", "0123456789abcdef");
	plant_key(&hint->ws[2], "planted-cred", "fedcba9876543210");
	struct config *cfg = load_ok(hint);
	assert_string_equal(cfg->ws[0].license_code, "planted-lc");
	assert_string_equal(cfg->ws[0].key, "planted-key");
	assert_string_equal(cfg->ws[0].fingerprint, "0123456789abcdef");
	assert_string_equal(cfg->ws[2].key, "planted-cred");
	assert_string_equal(cfg->ws[2].fingerprint, "fedcba9876543210");
	/* The hint is intact: it is what a failed reload keeps. */
	assert_string_equal(hint->ws[0].key, "planted-key");
	assert_string_equal(hint->ws[1].key, "key-of-b1-001");
	config_free(hint);

	/* Not aged: read in the same second as written, so everything is read again. */
	hint = load_ok(NULL);
	plant(&hint->ws[0].license_code, "planted-lc");
	plant_key(&hint->ws[0], "planted-key", "0123456789abcdef");
	struct config *again = load_ok(hint);
	assert_string_equal(again->ws[0].license_code, "lca");
	assert_string_equal(again->ws[0].key, "key-of-a-0001");
	/* printf key-of-a-0001 | sha256sum | cut -c1-16 */
	assert_string_equal(again->ws[0].fingerprint, "227f16420d8d3c09");
	config_free(hint);
	config_free(again);
	config_free(cfg);
}

/* The workspace named name in cfg (which must have it), writable. */
static struct ws_config *ws_named(struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_ws; i++)
		if (strcmp(cfg->ws[i].name, name) == 0)
			return &cfg->ws[i];
	fail_msg("no workspace %s", name);
	return NULL;
}

/*
 * Key files in two directories, in turn (keys/, keys2/, a credential,
 * keys/ again): the unchanged ones are still taken from the hint across
 * the changes of directory, and a changed one is still read.
 */
static void test_key_dirs_in_turn(void **state)
{
	(void)state;
	assert_int_equal(mkdir(tpath("keys2"), 0700), 0);
	put("keys2/b1.key", "key-of-b1-002\n", 0600);
	put("ws.d/b.conf",
	    "[workspace \"b1\"]\nlicense_code = lcb1\napi_key_file = ../keys2/b1.key\n"
	    "[workspace \"b2\"]\nlicense_code = lcb2\napi_key_credential = b2\n",
	    0644);
	put("ws.d/c.conf", "[workspace \"c\"]\nlicense_code = lcc\napi_key_file = ../keys/a.key\n",
	    0644);
	struct config *hint = load_ok(NULL);
	assert_string_equal(ws_named(hint, "b1")->key, "key-of-b1-002");
	age(hint);
	plant_key(ws_named(hint, "a"), "planted-a", "aaaaaaaaaaaaaaaa");
	plant_key(ws_named(hint, "b1"), "planted-b1", "bbbbbbbbbbbbbbbb");
	plant_key(ws_named(hint, "c"), "planted-c", "cccccccccccccccc");
	struct config *cfg = load_ok(hint);
	assert_string_equal(ws_named(cfg, "a")->key, "planted-a");
	assert_string_equal(ws_named(cfg, "b1")->key, "planted-b1");
	assert_string_equal(ws_named(cfg, "c")->key, "planted-c");
	config_free(cfg);

	replace("keys2/b1.key", "key-of-b1-00003\n", 0600);
	cfg = load_ok(hint);
	assert_string_equal(ws_named(cfg, "a")->key, "planted-a");
	assert_string_equal(ws_named(cfg, "b1")->key, "key-of-b1-00003");
	assert_string_equal(ws_named(cfg, "c")->key, "planted-c");
	config_free(cfg);
	config_free(hint);
}

/* What depends on the main file is done again for sections taken from the hint. */
static void test_inherited_again(void **state)
{
	(void)state;
	struct config *hint = load_ok(NULL);
	age(hint);
	assert_int_equal(hint->ws[0].interval_ms, 300000);
	put("main.conf",
	    "[daemon]\ninclude_dir = ws.d\ninterval = 7m\njitter = 3s\nlookback_days = 9\n", 0644);
	struct config *cfg = load_ok(hint);
	assert_int_equal(cfg->files[0].stamp.read_ns, hint->files[0].stamp.read_ns); /* copied */
	assert_int_equal(cfg->ws[0].interval_ms, 420000);
	assert_int_equal(cfg->ws[0].jitter_ms, 3000);
	assert_int_equal(cfg->ws[0].lookback_days, 9);
	assert_int_equal(cfg->ws[1].interval_ms, 60000); /* its own */
	assert_int_equal(cfg->ws[1].jitter_ms, 3000);
	assert_int_equal(cfg->ws[2].interval_ms, 420000);
	assert_int_equal(cfg->ws[2].lookback_days, 3); /* its own */
	config_free(hint);
	config_free(cfg);
}

/* The stamp the hint would have had, had it read tmpdir/name now, read_after ns after its change. */
static void restamp(struct fstamp *stamp, const char *name, int64_t read_after)
{
	struct stat st;
	assert_int_equal(stat(tpath(name), &st), 0);
	int64_t m = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
	        c = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	fstamp_set(stamp, &st, (m > c ? m : c) + read_after);
}

/*
 * The racily-clean case: a.conf and a.key rewritten with the same size
 * within the clock tick of the hint's read, so that stat() shows what the
 * hint saw (mtime set back with utimensat; the same ctime is arranged by
 * giving the hint the files' new ctime, as a coarse clock would have):
 * read again when the hint read them less than FSTAMP_RACY_NS after their
 * last change, taken from the hint when it read them that long after.
 */
static void test_racy_rewrite_read_again(void **state)
{
	(void)state;
	struct timespec conf_m = mtime_of("ws.d/a.conf"), key_m = mtime_of("keys/a.key");
	struct config *hint = load_ok(NULL);
	put("ws.d/a.conf", "[workspace \"a\"]\nlicense_code = LCA\napi_key_file = ../keys/a.key\n",
	    0644);
	put("keys/a.key", "key-of-a-0002\n", 0600);
	set_mtime("ws.d/a.conf", conf_m);
	set_mtime("keys/a.key", key_m);
	assert_int_equal(hint->files[0].first_ws, 0);
	restamp(&hint->files[0].stamp, "ws.d/a.conf", FSTAMP_RACY_NS - 1);
	restamp(&hint->ws[0].key_stamp, "keys/a.key", FSTAMP_RACY_NS - 1);
	struct config *cfg = load_ok(hint);
	assert_string_equal(cfg->ws[0].license_code, "LCA");
	assert_string_equal(cfg->ws[0].key, "key-of-a-0002");
	/* printf key-of-a-0002 | sha256sum | cut -c1-16 */
	assert_string_equal(cfg->ws[0].fingerprint, "9318978f8ad574a1");
	config_free(cfg);

	/* The same stamps read FSTAMP_RACY_NS after the change: trusted, not read. */
	restamp(&hint->files[0].stamp, "ws.d/a.conf", FSTAMP_RACY_NS);
	restamp(&hint->ws[0].key_stamp, "keys/a.key", FSTAMP_RACY_NS);
	cfg = load_ok(hint);
	assert_string_equal(cfg->ws[0].license_code, "lca");
	assert_string_equal(cfg->ws[0].key, "key-of-a-0001");
	config_free(hint);
	config_free(cfg);
}

/* A file replaced by rename (another inode) is read, however old the hint's read. */
static void test_replaced_read_again(void **state)
{
	(void)state;
	struct config *hint = load_ok(NULL);
	age(hint);
	replace("ws.d/a.conf",
	        "[workspace \"a\"]\nlicense_code = LCA\napi_key_file = ../keys/a.key\n", 0644);
	replace("keys/a.key", "key-of-a-0002\n", 0600);
	struct config *cfg = load_ok(hint);
	assert_string_equal(cfg->ws[0].license_code, "LCA");
	assert_string_equal(cfg->ws[0].key, "key-of-a-0002");
	assert_string_equal(cfg->ws[0].fingerprint, "9318978f8ad574a1");
	assert_string_equal(cfg->ws[1].key, "key-of-b1-001"); /* b.conf: from the hint */
	config_free(hint);
	config_free(cfg);
}

/* Two lists of messages are the same. */
static void assert_same_errors(const struct config_errors *a, const struct config_errors *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		assert_string_equal(a->msg[i], b->msg[i]);
}

/*
 * A key file that became readable by others is refused with or without the
 * hint, with the same message (naming the line of api_key_file of a
 * section taken from the hint).
 */
static void test_secrecy_checked(void **state)
{
	(void)state;
	struct config *hint = load_ok(NULL);
	age(hint);
	assert_int_equal(chmod(tpath("keys/a.key"), 0644), 0);
	struct config_errors with = load_bad(hint), without = load_bad(NULL);
	char want[9000];
	snprintf(want, sizeof(want),
	         "%s/ws.d/a.conf:3: [workspace \"a\"] api_key_file: %s/ws.d/../keys/a.key: mode "
	         "0644 is readable by others; chmod 600",
	         tmpdir, tmpdir);
	assert_int_equal(with.n, 1);
	assert_string_equal(with.msg[0], want);
	assert_same_errors(&with, &without);
	config_errors_free(&with);
	config_errors_free(&without);
	config_free(hint);
}

/* A duplicate name in a new file is reported as without the hint. */
static void test_duplicates_as_without(void **state)
{
	(void)state;
	struct config *hint = load_ok(NULL);
	age(hint);
	put("ws.d/0.conf", "[workspace \"b2\"]\nlicense_code = x\napi_key_file = ../keys/a.key\n",
	    0644);
	put("main.conf",
	    "[daemon]\ninclude_dir = ws.d\ninterval = 5m\n[workspace \"a\"]\nlicense_code = "
	    "m\napi_key_file = keys/a.key\n",
	    0644);
	struct config_errors with = load_bad(hint), without = load_bad(NULL);
	char want[2][9000];
	snprintf(want[0], sizeof(want[0]),
	         "%s/ws.d/a.conf:1: [workspace \"a\"]: duplicate workspace name; first defined at "
	         "%s:4",
	         tmpdir, main_path);
	snprintf(want[1], sizeof(want[1]),
	         "%s/ws.d/b.conf:9: [workspace \"b2\"]: duplicate workspace name; first defined "
	         "at %s/ws.d/0.conf:1",
	         tmpdir, tmpdir);
	assert_int_equal(with.n, 2);
	assert_string_equal(with.msg[0], want[0]);
	assert_string_equal(with.msg[1], want[1]);
	assert_same_errors(&with, &without);
	config_errors_free(&with);
	config_errors_free(&without);
	config_free(hint);
}

/* Files removed and added around unchanged ones; a new include_dir reads everything. */
static void test_files_added_removed(void **state)
{
	(void)state;
	struct config *hint = load_ok(NULL);
	age(hint);
	plant(&hint->ws[0].license_code, "planted-lc");
	assert_int_equal(unlink(tpath("ws.d/b.conf")), 0);
	put("ws.d/c.conf", "[workspace \"c\"]\nlicense_code = lcc\napi_key_file = ../keys/a.key\n",
	    0644);
	put("ws.d/0.conf", "; nothing yet\n", 0644);
	struct config *cfg = load_ok(hint);
	assert_int_equal(cfg->n_ws, 2);
	assert_string_equal(cfg->ws[0].name, "a");
	assert_string_equal(cfg->ws[0].license_code, "planted-lc");
	assert_string_equal(cfg->ws[1].name, "c");
	assert_string_equal(cfg->ws[1].license_code, "lcc");
	assert_null(config_find_ws(cfg, "b1"));
	assert_ptr_equal(config_find_ws(cfg, "c"), &cfg->ws[1]);
	assert_int_equal(cfg->n_files, 2); /* 0.conf has no section: not noted */

	/* The same files under another include_dir: other paths, read again. */
	assert_int_equal(rename(tpath("ws.d"), tpath("other.d")), 0);
	put("main.conf", "[daemon]\ninclude_dir = other.d\ninterval = 5m\n", 0644);
	age(cfg);
	struct config *moved = load_ok(cfg);
	assert_int_equal(moved->n_ws, 2);
	assert_string_equal(moved->ws[0].license_code, "lca");
	config_free(hint);
	config_free(cfg);
	config_free(moved);
}

/* config_find_ws: every name of 1,000 by the table; a hand-built configuration linearly. */
static void test_find_ws(void **state)
{
	(void)state;
	static char text[1000 * 96 + 64];
	size_t o = 0;
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		                      "[workspace \"w%d\"]\nlicense_code = l\napi_key_file = "
		                      "keys/a.key\n",
		                      i);
	put("main.conf", text, 0644);
	struct config *cfg = load_ok(NULL);
	assert_int_equal(cfg->n_ws, 1000);
	assert_true(cfg->names_cap >= 2000);
	for (size_t i = 0; i < cfg->n_ws; i++) {
		char name[32];
		snprintf(name, sizeof(name), "w%zu", i);
		assert_ptr_equal(config_find_ws(cfg, name), &cfg->ws[i]);
	}
	assert_null(config_find_ws(cfg, "w1000"));
	assert_null(config_find_ws(cfg, "W1"));
	assert_null(config_find_ws(cfg, ""));

	struct ws_config two[2];
	memset(two, 0, sizeof(two));
	snprintf(two[0].name, sizeof(two[0].name), "x");
	snprintf(two[1].name, sizeof(two[1].name), "y");
	struct config hand;
	memset(&hand, 0, sizeof(hand));
	hand.ws = two;
	hand.n_ws = 2;
	assert_ptr_equal(config_find_ws(&hand, "y"), &two[1]);
	assert_null(config_find_ws(&hand, "z"));
	/* A hand-built hint has no files to offer: everything is read. */
	struct config *from_hand = load_ok(&hand);
	assert_int_equal(from_hand->n_ws, 1000);
	config_free(from_hand);
	config_free(cfg);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	        T(test_same_result),
	        T(test_unchanged_not_read),
	        T(test_key_dirs_in_turn),
	        T(test_inherited_again),
	        T(test_racy_rewrite_read_again),
	        T(test_replaced_read_again),
	        T(test_secrecy_checked),
	        T(test_duplicates_as_without),
	        T(test_files_added_removed),
	        T(test_find_ws),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
