/*
 * cli_ftx.c: atomic replacement and removal of configuration files, with
 * rollback (cli_ftx.h).
 *
 * Why a rename and two fsyncs: a reader (the daemon's reload, racing with
 * us) sees either the old file or the new one, never half of one, and a
 * power cut after we return leaves the new one in place. Rollback uses
 * the same replace, so it has the same guarantees; it restores the mode,
 * owner and group the file had (a key file stays root:wegauge 0640).
 */
#include "cli_ftx.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"

/* fsync the directory that holds path. 0 or -1 (errno set). */
static int sync_dir_of(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * The atomic replace itself: data into a hidden temporary file beside
 * path, mode, owner uid ((uid_t)-1: unchanged) and group gid, fsync,
 * rename over path, fsync of the directory.
 */
static int replace(const char *path, const char *data, size_t len, mode_t mode, uid_t uid,
                   gid_t gid, char *err, size_t errlen)
{
	char *copy = strdup(path), *copy2 = strdup(path);
	size_t cap = strlen(path) + 16;
	char *tmp = malloc(cap);
	if (copy == NULL || copy2 == NULL || tmp == NULL) {
		free(copy);
		free(copy2);
		free(tmp);
		errbuf_set(err, errlen, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, cap, "%s/.%s.XXXXXX", dirname(copy), basename(copy2));
	free(copy);
	free(copy2);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		errbuf_set(err, errlen, "%s: cannot create a file beside it: %s", path,
		           strerror(errno));
		free(tmp);
		return -1;
	}
	const char *step = "write";
	int rc = fchmod(fd, mode);
	if (rc == 0 && (uid != (uid_t)-1 || gid != (gid_t)-1)) {
		step = "set the owner or group of";
		rc = fchown(fd, uid, gid);
	}
	if (rc == 0) {
		step = "write";
		rc = write_all(fd, data, len);
	}
	if (rc == 0) {
		step = "sync";
		rc = fsync(fd);
	}
	int e = errno;
	if (close(fd) != 0 && rc == 0) {
		e = errno;
		rc = -1;
	}
	if (rc == 0) {
		step = "rename into";
		rc = rename(tmp, path);
		e = errno;
	}
	if (rc != 0) {
		unlink(tmp);
		errbuf_set(err, errlen, "%s: cannot %s it: %s", path, step, strerror(e));
		free(tmp);
		return -1;
	}
	free(tmp);
	if (sync_dir_of(path) != 0) {
		errbuf_set(err, errlen, "%s: written, but its directory cannot be synced: %s", path,
		           strerror(errno));
		return -1;
	}
	return 0;
}

int cli_ftx_read(const char *path, size_t max, char **data, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		errbuf_set(err, errlen, "%s: cannot read it: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		errbuf_set(err, errlen, "%s: expected a regular file of at most %zu bytes", path,
		           max);
		close(fd);
		return -1;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = 0;
	while (buf != NULL && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	int e = errno;
	close(fd);
	if (buf == NULL || n != (size_t)st.st_size) {
		errbuf_set(err, errlen, "%s: cannot read it: %s", path,
		           buf ? strerror(e) : "out of memory");
		if (buf != NULL) {
			explicit_bzero(buf, (size_t)st.st_size);
			free(buf);
		}
		return -1;
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

/* Remember path as it is now, once per transaction. 0, or -1 with err. */
static int remember(struct cli_ftx *tx, const char *path, bool secret, char *err, size_t errlen)
{
	for (size_t i = 0; i < tx->n; i++)
		if (strcmp(tx->f[i].path, path) == 0)
			return 0;
	if (tx->n >= CLI_FTX_MAX) {
		errbuf_set(err, errlen, "%s: too many files in one change", path);
		return -1;
	}
	struct cli_ftx_file *f = &tx->f[tx->n];
	*f = (struct cli_ftx_file){.secret = secret};
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			errbuf_set(err, errlen, "%s: expected a regular file", path);
			return -1;
		}
		if (cli_ftx_read(path, 1u << 20, &f->old, &f->old_len, err, errlen) != 0)
			return -1;
		f->existed = true;
		f->mode = st.st_mode & 07777;
		f->uid = st.st_uid;
		f->gid = st.st_gid;
	} else if (errno != ENOENT) {
		errbuf_set(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	f->path = strdup(path);
	if (f->path == NULL) {
		errbuf_set(err, errlen, "%s: out of memory", path);
		if (f->old != NULL) {
			explicit_bzero(f->old, f->old_len);
			free(f->old);
		}
		return -1;
	}
	tx->n++;
	return 0;
}

int cli_ftx_write(struct cli_ftx *tx, const char *path, const char *data, size_t len, mode_t mode,
                  gid_t gid, bool secret, char *err, size_t errlen)
{
	if (remember(tx, path, secret, err, errlen) != 0)
		return -1;
	return replace(path, data, len, mode, (uid_t)-1, gid, err, errlen);
}

int cli_ftx_remove(struct cli_ftx *tx, const char *path, bool secret, char *err, size_t errlen)
{
	if (remember(tx, path, secret, err, errlen) != 0)
		return -1;
	if (unlink(path) != 0) {
		errbuf_set(err, errlen, "%s: cannot remove it: %s", path, strerror(errno));
		return -1;
	}
	if (sync_dir_of(path) != 0) {
		errbuf_set(err, errlen, "%s: removed, but its directory cannot be synced: %s", path,
		           strerror(errno));
		return -1;
	}
	return 0;
}

int cli_ftx_rollback(struct cli_ftx *tx, char *err, size_t errlen)
{
	int rc = 0;
	char why[512];
	for (size_t i = tx->n; i-- > 0;) {
		const struct cli_ftx_file *f = &tx->f[i];
		int r;
		if (f->existed) {
			r = replace(f->path, f->old, f->old_len, f->mode, f->uid, f->gid, why,
			            sizeof(why));
		} else {
			r = unlink(f->path) == 0 || errno == ENOENT ? 0 : -1;
			if (r != 0)
				snprintf(why, sizeof(why), "%s: cannot remove it: %s", f->path,
				         strerror(errno));
			else
				sync_dir_of(f->path);
		}
		if (r != 0 && rc == 0) {
			errbuf_set(err, errlen, "%s", why);
			rc = -1;
		}
	}
	return rc;
}

void cli_ftx_free(struct cli_ftx *tx)
{
	for (size_t i = 0; i < tx->n; i++) {
		struct cli_ftx_file *f = &tx->f[i];
		if (f->old != NULL) {
			if (f->secret)
				explicit_bzero(f->old, f->old_len);
			free(f->old);
		}
		free(f->path);
	}
	tx->n = 0;
}
