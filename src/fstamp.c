/*
 * fstamp.c: the racily-clean rule over stat() fields (fstamp.h).
 */
#include "fstamp.h"

#include <time.h>

static int64_t ts_ns(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t fstamp_now(void)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	return ts_ns(now);
}

void fstamp_set(struct fstamp *out, const struct stat *st, int64_t read_ns)
{
	out->dev = st->st_dev;
	out->ino = st->st_ino;
	out->size = st->st_size;
	out->mtime_ns = ts_ns(st->st_mtim);
	out->ctime_ns = ts_ns(st->st_ctim);
	out->read_ns = read_ns;
}

bool fstamp_unchanged(const struct fstamp *old, const struct stat *st)
{
	struct fstamp now;
	fstamp_set(&now, st, 0);
	if (old->read_ns == 0 || old->dev != now.dev || old->ino != now.ino ||
	    old->size != now.size || old->mtime_ns != now.mtime_ns || old->ctime_ns != now.ctime_ns)
		return false;
	/* Racily clean: it may have changed within the clock tick of that read. */
	int64_t newest = now.mtime_ns > now.ctime_ns ? now.mtime_ns : now.ctime_ns;
	return newest <= old->read_ns - FSTAMP_RACY_NS;
}
