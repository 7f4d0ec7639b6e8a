/*
 * test_secret.c: src/secret.c: the secrecy check (table-driven over modes,
 * owners and file types), reading key files (trimming, size bound, bad
 * content, never echoing content), the stamp of a read (for reloads),
 * credential paths and the fingerprint (known answers computed with
 * sha256sum).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "secret.h"

static char tmpdir[4096];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* A fresh directory under $TEST_TMP for each test; removed by teardown. */
static int setup(void **state)
{
	(void)state;
	const char *base = getenv("TEST_TMP");
	snprintf(tmpdir, sizeof(tmpdir), "%s/secret.XXXXXX", base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write len bytes to tmpdir/name with exactly mode (umask bypassed); path into out. */
static void put(const char *name, const char *data, size_t len, mode_t mode, char *out,
                size_t outlen)
{
	snprintf(out, outlen, "%s/%s", tmpdir, name);
	int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

struct stat_case {
	mode_t mode; /* type and permission bits */
	uid_t owner;
	uid_t euid;
	const char *err; /* NULL: accepted; else the exact message for path "/k" */
};

static const struct stat_case stat_cases[] = {
        {S_IFREG | 0600, 0, 0, NULL},
        {S_IFREG | 0400, 0, 0, NULL},
        {S_IFREG | 0640, 0, 0, NULL},
        {S_IFREG | 0660, 0, 0, NULL},
        {S_IFREG | 0600, 1000, 1000, NULL},
        {S_IFREG | 0600, 0, 1000, NULL},
        {S_IFREG | 0644, 0, 0, "/k: mode 0644 is readable by others; chmod 600"},
        {S_IFREG | 0604, 0, 0, "/k: mode 0604 is readable by others; chmod 600"},
        {S_IFREG | 0602, 0, 0, "/k: mode 0602 is accessible by others; chmod 600"},
        {S_IFREG | 0601, 0, 0, "/k: mode 0601 is accessible by others; chmod 600"},
        {S_IFREG | 0777, 0, 0, "/k: mode 0777 is readable by others; chmod 600"},
        {S_IFREG | 0600, 1000, 0,
         "/k: owned by uid 1000; expected root or uid 0 (the daemon's user)"},
        {S_IFREG | 0600, 1001, 1000,
         "/k: owned by uid 1001; expected root or uid 1000 (the daemon's user)"},
        {S_IFDIR | 0700, 0, 0, "/k: not a regular file"},
        {S_IFIFO | 0600, 0, 0, "/k: not a regular file"},
        {S_IFLNK | 0600, 0, 0, "/k: not a regular file"},
};

static void test_check_stat(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(stat_cases) / sizeof(stat_cases[0]); i++) {
		const struct stat_case *c = &stat_cases[i];
		struct stat st;
		memset(&st, 0, sizeof(st));
		st.st_mode = c->mode;
		st.st_uid = c->owner;
		char err[256] = "";
		int rc = secret_check_stat(&st, "/k", c->euid, err, sizeof(err));
		if (c->err == NULL) {
			if (rc != 0)
				fail_msg("case %zu: refused: %s", i, err);
		} else {
			if (rc != -1 || strcmp(err, c->err) != 0)
				fail_msg("case %zu: rc %d err '%s', expected '%s'", i, rc, err,
				         c->err);
		}
	}
}

struct read_case {
	const char *content;
	size_t len; /* 0: strlen(content) */
	mode_t mode;
	const char *key; /* NULL: refused */
	const char *err; /* the message after "PATH: " */
};

static const struct read_case read_cases[] = {
        {"k-123_ABC.xyz", 0, 0600, "k-123_ABC.xyz", NULL},
        {"abc\n", 0, 0600, "abc", NULL},
        {"abc \t\r\n\n\f\v", 0, 0600, "abc", NULL},
        {"abc\r\n", 0, 0640, "abc", NULL},
        {"abc", 0, 0400, "abc", NULL},
        {"s3cret\n", 0, 0644, NULL, "mode 0644 is readable by others; chmod 600"},
        {"s3cret\n", 0, 0606, NULL, "mode 0606 is readable by others; chmod 600"},
        {"", 0, 0600, NULL, "is empty; expected one API key"},
        {"\n\n  \t\n", 0, 0600, NULL, "is empty; expected one API key"},
        {"s3 cret", 0, 0600, NULL,
         "contains spaces, control characters or non-ASCII bytes; expected one API key on one "
         "line"},
        {" s3cret", 0, 0600, NULL,
         "contains spaces, control characters or non-ASCII bytes; expected one API key on one "
         "line"},
        {"s3cret\nline2\n", 0, 0600, NULL,
         "contains spaces, control characters or non-ASCII bytes; expected one API key on one "
         "line"},
        {"s3\x01"
         "cret",
         0, 0600, NULL,
         "contains spaces, control characters or non-ASCII bytes; expected one API key on one "
         "line"},
        {"s3\x7f"
         "cret",
         0, 0600, NULL,
         "contains spaces, control characters or non-ASCII bytes; expected one API key on one "
         "line"},
        {"s3cr\xc3\xa9t", 0, 0600, NULL,
         "contains spaces, control characters or non-ASCII bytes; expected one API key on one "
         "line"},
        {"s3\0cret", 7, 0600, NULL,
         "contains spaces, control characters or non-ASCII bytes; expected one API key on one "
         "line"},
};

/* The content ("s3...") must never be in an error message, after the path it names. */
static void assert_not_leaked(const char *err, const char *path)
{
	size_t n = strlen(path);
	assert_true(strncmp(err, path, n) == 0);
	if (strstr(err + n, "s3") != NULL)
		fail_msg("error message shows key content: %s", err);
}

static void test_read_file(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(read_cases) / sizeof(read_cases[0]); i++) {
		const struct read_case *c = &read_cases[i];
		char path[4200], name[32], err[512] = "", expect[4800];
		snprintf(name, sizeof(name), "k%zu", i);
		put(name, c->content, c->len ? c->len : strlen(c->content), c->mode, path,
		    sizeof(path));
		char *key = (char *)0x1;
		size_t len = 99;
		int rc = secret_read_file(path, &key, &len, NULL, err, sizeof(err));
		if (c->key != NULL) {
			if (rc != 0)
				fail_msg("case %zu: refused: %s", i, err);
			assert_string_equal(key, c->key);
			assert_int_equal(len, strlen(c->key));
			secret_free(key, len);
		} else {
			snprintf(expect, sizeof(expect), "%s: %s", path, c->err);
			if (rc != -1 || strcmp(err, expect) != 0)
				fail_msg("case %zu: rc %d err '%s', expected '%s'", i, rc, err,
				         expect);
			assert_ptr_equal(key, (char *)0x1);
			assert_int_equal(len, 99);
			assert_not_leaked(err, path);
		}
	}
}

static void test_read_size_bound(void **state)
{
	(void)state;
	static char big[SECRET_MAX + 2];
	char path[4200], err[512], expect[4800];
	char *key = NULL;
	size_t len = 0;

	memset(big, 'a', sizeof(big));
	put("max", big, SECRET_MAX, 0600, path, sizeof(path));
	assert_int_equal(secret_read_file(path, &key, &len, NULL, err, sizeof(err)), 0);
	assert_int_equal(len, SECRET_MAX);
	assert_int_equal(strlen(key), SECRET_MAX);
	secret_free(key, len);

	big[SECRET_MAX - 1] = '\n'; /* 4095 bytes of key and a newline */
	put("max-nl", big, SECRET_MAX, 0600, path, sizeof(path));
	assert_int_equal(secret_read_file(path, &key, &len, NULL, err, sizeof(err)), 0);
	assert_int_equal(len, SECRET_MAX - 1);
	secret_free(key, len);

	memset(big, 'a', sizeof(big));
	put("over", big, SECRET_MAX + 1, 0600, path, sizeof(path));
	assert_int_equal(secret_read_file(path, &key, &len, NULL, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s: larger than 4096 bytes; expected one API key", path);
	assert_string_equal(err, expect);
}

static void test_read_not_a_key_file(void **state)
{
	(void)state;
	char path[4200], target[4200], err[512], expect[4800];
	char *key = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(secret_read_file(path, &key, &len, NULL, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s: cannot open: No such file or directory", path);
	assert_string_equal(err, expect);

	snprintf(path, sizeof(path), "%s/dir", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(secret_read_file(path, &key, &len, NULL, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s: not a regular file", path);
	assert_string_equal(err, expect);

	/* A FIFO is refused without blocking on it. */
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(secret_read_file(path, &key, &len, NULL, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s: not a regular file", path);
	assert_string_equal(err, expect);

	/* A symlink is followed; the check applies to its target. */
	put("target", "linked-key\n", 11, 0600, target, sizeof(target));
	snprintf(path, sizeof(path), "%s/link", tmpdir);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(secret_read_file(path, &key, &len, NULL, err, sizeof(err)), 0);
	assert_string_equal(key, "linked-key");
	secret_free(key, len);
	assert_int_equal(chmod(target, 0644), 0);
	assert_int_equal(secret_read_file(path, &key, &len, NULL, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect), "%s: mode 0644 is readable by others; chmod 600", path);
	assert_string_equal(err, expect);
}

static void test_read_foreign_owner(void **state)
{
	(void)state;
	char path[4200], err[512], expect[4800];
	char *key = NULL;
	size_t len = 0;
	put("foreign", "abc\n", 4, 0600, path, sizeof(path));
	if (geteuid() != 0 || chown(path, 4242, 4242) != 0)
		skip(); /* only root can give a file away */
	assert_int_equal(secret_read_file(path, &key, &len, NULL, err, sizeof(err)), -1);
	snprintf(expect, sizeof(expect),
	         "%s: owned by uid 4242; expected root or uid 0 (the daemon's user)", path);
	assert_string_equal(err, expect);
}

/*
 * secret_read_file with a stamp: on success the stamp is the file's own fstat()
 * and an instant between the call and its return; on failure the stamp is
 * left as it was.
 */
static void test_read_stamped(void **state)
{
	(void)state;
	char path[4200], err[512] = "";
	put("k", "abc123key\n", 10, 0600, path, sizeof(path));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	struct fstamp stamp;
	memset(&stamp, 0x5a, sizeof(stamp));
	char *key = NULL;
	size_t len = 0;
	int64_t before = fstamp_now();
	assert_int_equal(secret_read_file(path, &key, &len, &stamp, err, sizeof(err)), 0);
	int64_t after = fstamp_now();
	assert_string_equal(key, "abc123key");
	assert_int_equal(len, 9);
	assert_int_equal(stamp.dev, st.st_dev);
	assert_int_equal(stamp.ino, st.st_ino);
	assert_int_equal(stamp.size, 10);
	assert_int_equal(stamp.mtime_ns,
	                 (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec);
	assert_int_equal(stamp.ctime_ns,
	                 (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec);
	assert_true(stamp.read_ns >= before && stamp.read_ns <= after);
	secret_free(key, len);

	struct fstamp untouched;
	memset(&untouched, 0x5a, sizeof(untouched));
	memcpy(&stamp, &untouched, sizeof(stamp));
	put("k", "s3cret\n", 7, 0644, path, sizeof(path));
	key = NULL;
	assert_int_equal(secret_read_file(path, &key, &len, &stamp, err, sizeof(err)), -1);
	assert_null(key);
	assert_memory_equal(&stamp, &untouched, sizeof(stamp));
	char want[4400];
	snprintf(want, sizeof(want), "%s: mode 0644 is readable by others; chmod 600", path);
	assert_string_equal(err, want);
}

static void test_credential_path(void **state)
{
	(void)state;
	char err[512];
	char *path = (char *)0x1;
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "/run/credentials/wegauged.service", 1),
	                 0);
	assert_int_equal(secret_credential_path("acme.key", &path, err, sizeof(err)), 0);
	assert_string_equal(path, "/run/credentials/wegauged.service/acme.key");
	free(path);

	static const char *const bad[] = {"", "a/b", "/abs", ".", "..", NULL};
	for (size_t i = 0; bad[i] != NULL; i++) {
		path = (char *)0x1;
		assert_int_equal(secret_credential_path(bad[i], &path, err, sizeof(err)), -1);
		assert_string_equal(
		        err,
		        "expected a credential name (1 to 255 bytes, no '/', not '.' or '..')");
		assert_ptr_equal(path, (char *)0x1);
	}
	char longname[300];
	memset(longname, 'n', sizeof(longname));
	longname[256] = '\0';
	assert_int_equal(secret_credential_path(longname, &path, err, sizeof(err)), -1);
	longname[255] = '\0';
	assert_int_equal(secret_credential_path(longname, &path, err, sizeof(err)), 0);
	free(path);

	for (int empty = 0; empty < 2; empty++) {
		if (empty)
			assert_int_equal(setenv("CREDENTIALS_DIRECTORY", "", 1), 0);
		else
			assert_int_equal(unsetenv("CREDENTIALS_DIRECTORY"), 0);
		path = (char *)0x1;
		assert_int_equal(secret_credential_path("acme", &path, err, sizeof(err)), -1);
		assert_string_equal(err,
		                    "$CREDENTIALS_DIRECTORY is not set; expected the daemon to "
		                    "run under systemd with LoadCredential=acme:...");
		assert_ptr_equal(path, (char *)0x1);
	}
}

/* Known answers: printf '%s' KEY | sha256sum | cut -c1-16 */
static void test_fingerprint(void **state)
{
	(void)state;
	static const struct {
		const char *key;
		const char *fp;
	} cases[] = {
	        {"abc123key", "d137264d71a4850a"},
	        {"abc", "ba7816bf8f01cfea"},
	        {"", "e3b0c44298fc1c14"},
	        {"wegauge-test-key-0123456789", "775d99806185dd81"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char fp[SECRET_FP_LEN];
		memset(fp, 'x', sizeof(fp));
		assert_int_equal(secret_fingerprint(cases[i].key, strlen(cases[i].key), fp), 0);
		assert_string_equal(fp, cases[i].fp);
	}
	secret_free(NULL, 0); /* a no-op */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_check_stat),
	        cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_size_bound, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_not_a_key_file, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_foreign_owner, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_read_stamped, setup, teardown),
	        cmocka_unit_test(test_credential_path),
	        cmocka_unit_test(test_fingerprint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
