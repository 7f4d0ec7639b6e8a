/*
 * fstamp.h: telling that a file has not changed since it was read, without
 * reading it again: git's "racily clean" rule over stat() fields. The
 * configuration uses it on reload for key files (secret.h) and for the
 * *.conf files of include_dir (config.c), so that a reload of 10,000
 * unchanged workspaces costs two stat() per workspace, not two reads.
 *
 * A stamp is what fstat() said about a file when it was read, plus when it
 * was read. The file is taken as unchanged when a later stat() shows the
 * same device, inode, size, mtime and ctime (to the nanosecond), and both
 * times were already at least FSTAMP_RACY_NS old when it was read. The
 * second half is the racy rule: a write within the same tick of the file
 * system's clock as the read (1 s on some file systems, 2 s on FAT) can
 * leave every field as it was; such a file is read again next time, and
 * gets a stamp that can be trusted once it is old enough. ctime is what
 * makes the rule sound against `cp -p` and `touch -d`: no system call sets
 * it, and every write or chmod moves it. A system clock set back across a
 * rewrite can defeat the rule; the file is then read again at its next
 * change, or at a restart.
 */
#ifndef WEGAUGE_FSTAMP_H
#define WEGAUGE_FSTAMP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#define FSTAMP_RACY_NS (2 * (int64_t)1000000000)

struct fstamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime_ns, ctime_ns; /* st_mtim, st_ctim in ns since the epoch */
	int64_t read_ns;            /* CLOCK_REALTIME just before the read; 0: never read */
};

/* CLOCK_REALTIME in ns since the epoch: take it before opening the file to read. */
int64_t fstamp_now(void);

/* Fill *out from st (an fstat of the file read) and read_ns (fstamp_now before the read). */
void fstamp_set(struct fstamp *out, const struct stat *st, int64_t read_ns);

/*
 * Whether the file whose stat() is st is still what was read under old (see
 * the top of this file). False when old was never read (read_ns 0). Pure.
 */
bool fstamp_unchanged(const struct fstamp *old, const struct stat *st);

#endif
