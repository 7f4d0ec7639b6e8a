/*
 * test_fstamp.c: src/fstamp.c: the racily-clean rule, table-driven over
 * every stat() field it compares and the margin around FSTAMP_RACY_NS; and
 * fstamp_set on a real file against its own stat().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fstamp.h"

#define S ((int64_t)1000000000)

/* A stat() result with the fields fstamp compares; times in ns since the epoch. */
static struct stat mkstat(dev_t dev, ino_t ino, off_t size, int64_t mtime, int64_t ctime)
{
	struct stat st;
	memset(&st, 0, sizeof(st));
	st.st_dev = dev;
	st.st_ino = ino;
	st.st_size = size;
	st.st_mtim.tv_sec = mtime / S;
	st.st_mtim.tv_nsec = mtime % S;
	st.st_ctim.tv_sec = ctime / S;
	st.st_ctim.tv_nsec = ctime % S;
	return st;
}

static void test_unchanged_table(void **state)
{
	(void)state;
	const int64_t t = 1700000000 * S; /* mtime and ctime of the file when it was read */
	static const struct {
		const char *what;
		int64_t read_after; /* read_ns - max(mtime, ctime) of the stamp */
		int d_dev, d_ino, d_size;
		int64_t d_mtime, d_ctime; /* what changed since, in the stat() now */
		bool want;
	} cases[] = {
	        {"unchanged, read 10 s after its last change", 10 * S, 0, 0, 0, 0, 0, true},
	        {"unchanged, read exactly FSTAMP_RACY_NS after", FSTAMP_RACY_NS, 0, 0, 0, 0, 0,
	         true},
	        {"unchanged, read 1 ns short of the margin", FSTAMP_RACY_NS - 1, 0, 0, 0, 0, 0,
	         false},
	        {"unchanged, read in the same second", 0, 0, 0, 0, 0, 0, false},
	        {"unchanged, read before its last change", -1 * S, 0, 0, 0, 0, 0, false},
	        {"another device", 10 * S, 1, 0, 0, 0, 0, false},
	        {"another inode (replaced by rename)", 10 * S, 0, 1, 0, 0, 0, false},
	        {"another size", 10 * S, 0, 0, 1, 0, 0, false},
	        {"mtime 1 ns later", 10 * S, 0, 0, 0, 1, 0, false},
	        {"mtime set back (touch -d), ctime moved", 10 * S, 0, 0, 0, -5 * S, 3 * S, false},
	        {"ctime 1 ns later (chmod, or a write that kept mtime)", 10 * S, 0, 0, 0, 0, 1,
	         false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stat then = mkstat(5, 77, 41, t - 3 * S, t); /* ctime is the newer */
		struct fstamp old;
		fstamp_set(&old, &then, t + cases[i].read_after);
		struct stat now =
		        mkstat(5 + cases[i].d_dev, 77 + cases[i].d_ino, 41 + cases[i].d_size,
		               t - 3 * S + cases[i].d_mtime, t + cases[i].d_ctime);
		if (fstamp_unchanged(&old, &now) != cases[i].want)
			fail_msg("case %zu (%s): expected %s", i, cases[i].what,
			         cases[i].want ? "unchanged" : "changed");
	}
}

/* The newer of mtime and ctime decides; a stamp never read matches nothing. */
static void test_newest_time_and_never_read(void **state)
{
	(void)state;
	const int64_t t = 1700000000 * S;
	struct stat st = mkstat(1, 2, 3, t, t - 60 * S); /* mtime newer than ctime */
	struct fstamp old;
	fstamp_set(&old, &st, t + S); /* 1 s after mtime, 61 s after ctime */
	assert_false(fstamp_unchanged(&old, &st));
	fstamp_set(&old, &st, t + 2 * S);
	assert_true(fstamp_unchanged(&old, &st));
	fstamp_set(&old, &st, 0);
	assert_false(fstamp_unchanged(&old, &st));
}

/* fstamp_set copies a real file's stat() exactly; fstamp_now is the wall clock in ns. */
static void test_set_from_file(void **state)
{
	(void)state;
	const char *base = getenv("TEST_TMP");
	char path[4200];
	snprintf(path, sizeof(path), "%s/fstamp.XXXXXX", base ? base : "/tmp");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "12345", 5), 5);
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	int64_t before = fstamp_now();
	struct fstamp f;
	fstamp_set(&f, &st, before);
	assert_int_equal(f.dev, st.st_dev);
	assert_int_equal(f.ino, st.st_ino);
	assert_int_equal(f.size, 5);
	assert_int_equal(f.mtime_ns, (int64_t)st.st_mtim.tv_sec * S + st.st_mtim.tv_nsec);
	assert_int_equal(f.ctime_ns, (int64_t)st.st_ctim.tv_sec * S + st.st_ctim.tv_nsec);
	assert_int_equal(f.read_ns, before);
	/* Just written: racily clean, whatever the clock's granularity. */
	assert_false(fstamp_unchanged(&f, &st));
	/* The file's times come from the same clock, a tick behind at most. */
	assert_true(f.mtime_ns <= before + S);
	assert_true(f.mtime_ns > before - 60 * S);
	assert_int_equal(unlink(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_unchanged_table),
	        cmocka_unit_test(test_newest_time_and_never_read),
	        cmocka_unit_test(test_set_from_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
