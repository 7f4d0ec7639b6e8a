/*
 * test_cli_ftx.c: src/cli/cli_ftx.c: atomic writes and removals of
 * configuration files, and the rollback that puts each back exactly as it
 * was (content, mode), newest change first; no temporary file is ever
 * left behind, and a failed change changes nothing.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli_ftx.h"

static char tmpdir[4096];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	(void)state;
	const char *base = getenv("TEST_TMP");
	snprintf(tmpdir, sizeof(tmpdir), "%s/ftx.XXXXXX", base ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void path_of(const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", tmpdir, name);
}

/* Write data to tmpdir/name with exactly mode. */
static void put(const char *name, const char *data, mode_t mode)
{
	char p[4200];
	path_of(name, p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Assert tmpdir/name holds exactly data with mode; data NULL: it does not exist. */
static void expect(const char *name, const char *data, mode_t mode)
{
	char p[4200], err[256], *got = NULL;
	size_t len;
	path_of(name, p, sizeof(p));
	struct stat st;
	if (data == NULL) {
		assert_int_not_equal(lstat(p, &st), 0);
		return;
	}
	assert_int_equal(cli_ftx_read(p, 1 << 20, &got, &len, err, sizeof(err)), 0);
	assert_string_equal(got, data);
	free(got);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

/* The names in tmpdir, sorted, joined with ','. */
static void listing(char *out, size_t outlen)
{
	struct dirent **ents;
	int n = scandir(tmpdir, &ents, NULL, alphasort);
	assert_true(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(ents[i]->d_name, ".") != 0 && strcmp(ents[i]->d_name, "..") != 0) {
			if (out[0])
				strncat(out, ",", outlen - strlen(out) - 1);
			strncat(out, ents[i]->d_name, outlen - strlen(out) - 1);
		}
		free(ents[i]);
	}
	free(ents);
}

static void test_write_new_and_roll_back(void **state)
{
	(void)state;
	char p[4200], err[256], names[256];
	struct cli_ftx tx = {0};
	path_of("a.conf", p, sizeof(p));
	assert_int_equal(
	        cli_ftx_write(&tx, p, "[x]\n", 4, 0640, (gid_t)-1, false, err, sizeof(err)), 0);
	expect("a.conf", "[x]\n", 0640);
	listing(names, sizeof(names));
	assert_string_equal(names, "a.conf"); /* no temporary file left */
	assert_int_equal(cli_ftx_rollback(&tx, err, sizeof(err)), 0);
	expect("a.conf", NULL, 0);
	listing(names, sizeof(names));
	assert_string_equal(names, "");
	cli_ftx_free(&tx);
}

static void test_replace_remove_and_roll_back(void **state)
{
	(void)state;
	char p[4200], q[4200], err[256];
	put("k.key", "old-key\n", 0600);
	put("w.conf", "old section\n", 0644);
	struct cli_ftx tx = {0};
	path_of("k.key", p, sizeof(p));
	path_of("w.conf", q, sizeof(q));
	assert_int_equal(
	        cli_ftx_write(&tx, p, "new-key\n", 8, 0640, (gid_t)-1, true, err, sizeof(err)), 0);
	/* a second change to the same file: rollback still restores the first content */
	assert_int_equal(
	        cli_ftx_write(&tx, p, "newer\n", 6, 0640, (gid_t)-1, true, err, sizeof(err)), 0);
	assert_int_equal(cli_ftx_remove(&tx, q, false, err, sizeof(err)), 0);
	expect("k.key", "newer\n", 0640);
	expect("w.conf", NULL, 0);
	assert_int_equal(tx.n, 2);
	assert_int_equal(cli_ftx_rollback(&tx, err, sizeof(err)), 0);
	expect("k.key", "old-key\n", 0600);
	expect("w.conf", "old section\n", 0644);
	cli_ftx_free(&tx);
	assert_int_equal(tx.n, 0);
}

static void test_failures_change_nothing(void **state)
{
	(void)state;
	char p[4200], err[256];
	struct cli_ftx tx = {0};
	/* a directory that does not exist */
	path_of("missing/a.conf", p, sizeof(p));
	assert_int_equal(cli_ftx_write(&tx, p, "x", 1, 0644, (gid_t)-1, false, err, sizeof(err)),
	                 -1);
	assert_non_null(
	        strstr(err, "missing/a.conf: cannot create a file beside it: No such file"));
	/* removing what is not there */
	path_of("gone.conf", p, sizeof(p));
	assert_int_equal(cli_ftx_remove(&tx, p, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "gone.conf: cannot remove it: No such file or directory"));
	/* a directory in place of the file */
	path_of("d.conf", p, sizeof(p));
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(cli_ftx_write(&tx, p, "x", 1, 0644, (gid_t)-1, false, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "d.conf: expected a regular file"));
	assert_int_equal(cli_ftx_rollback(&tx, err, sizeof(err)), 0);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	cli_ftx_free(&tx);
}

static void test_bounds(void **state)
{
	(void)state;
	char p[4200], err[256], *data;
	size_t len;
	put("big", "0123456789", 0644);
	path_of("big", p, sizeof(p));
	assert_int_equal(cli_ftx_read(p, 9, &data, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "expected a regular file of at most 9 bytes"));
	assert_int_equal(cli_ftx_read(p, 10, &data, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 10);
	free(data);
	struct cli_ftx tx = {0};
	for (int i = 0; i < CLI_FTX_MAX; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%d", i);
		path_of(name, p, sizeof(p));
		assert_int_equal(
		        cli_ftx_write(&tx, p, "x", 1, 0644, (gid_t)-1, false, err, sizeof(err)), 0);
	}
	path_of("one-more", p, sizeof(p));
	assert_int_equal(cli_ftx_write(&tx, p, "x", 1, 0644, (gid_t)-1, false, err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "too many files in one change"));
	expect("one-more", NULL, 0);
	assert_int_equal(cli_ftx_rollback(&tx, err, sizeof(err)), 0);
	expect("f0", NULL, 0);
	cli_ftx_free(&tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_write_new_and_roll_back, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_replace_remove_and_roll_back, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_failures_change_nothing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
