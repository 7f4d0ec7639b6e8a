/*
 * secret.c: reading API key files (secret.h).
 *
 * The checks run on the descriptor that is then read (fstat, not stat on
 * the name), so the file checked is the file read. The buffer that
 * receives the key is on the heap and wiped on every path that gives it
 * up; nothing of the content is ever copied into an error message.
 */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#define CREDENTIAL_NAME_MAX 255

int secret_check_stat(const struct stat *st, const char *path, uid_t uid, char *err, size_t errlen)
{
	unsigned mode = (unsigned)(st->st_mode & 07777);
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != uid) {
		snprintf(err, errlen,
		         "%s: owned by uid %lu; expected root or uid %lu (the daemon's user)", path,
		         (unsigned long)st->st_uid, (unsigned long)uid);
		return -1;
	}
	if (st->st_mode & S_IRWXO) {
		snprintf(err, errlen, "%s: mode %04o is %s by others; chmod 600", path, mode,
		         (st->st_mode & S_IROTH) ? "readable" : "accessible");
		return -1;
	}
	return 0;
}

/* Read until EOF or until cap bytes are in buf; retries EINTR. Returns bytes read or -1. */
static ssize_t read_full(int fd, char *buf, size_t cap)
{
	size_t got = 0;
	while (got < cap) {
		ssize_t r = read(fd, buf + got, cap - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

const char *secret_key_shape(const char *buf, size_t *len)
{
	size_t k = *len;
	while (k > 0 && (buf[k - 1] == ' ' || buf[k - 1] == '\t' || buf[k - 1] == '\n' ||
	                 buf[k - 1] == '\r' || buf[k - 1] == '\f' || buf[k - 1] == '\v'))
		k--;
	*len = k;
	if (k == 0)
		return "is empty; expected one API key";
	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c <= 0x20 || c >= 0x7f)
			return "contains spaces, control characters or non-ASCII bytes; expected "
			       "one "
			       "API key on one line";
	}
	return NULL;
}

int secret_read_file(const char *path, char **key, size_t *len, struct fstamp *stamp, char *err,
                     size_t errlen)
{
	int64_t read_ns = fstamp_now(); /* before the open: see fstamp.h */
	/* O_NONBLOCK: a FIFO put in place of the key must not hang the load. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (secret_check_stat(&st, path, geteuid(), err, errlen) != 0) {
		close(fd);
		return -1;
	}
	/* One byte more than allowed tells "exactly SECRET_MAX" from "larger". */
	char *buf = malloc(SECRET_MAX + 2);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	ssize_t n = read_full(fd, buf, SECRET_MAX + 1);
	int read_errno = errno;
	close(fd);
	const char *why = NULL;
	if (n < 0)
		why = strerror(read_errno);
	else if ((size_t)n > SECRET_MAX)
		why = "larger than 4096 bytes; expected one API key";
	size_t k = n > 0 ? (size_t)n : 0;
	if (why == NULL)
		why = secret_key_shape(buf, &k);
	if (why != NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		explicit_bzero(buf, SECRET_MAX + 2);
		free(buf);
		return -1;
	}
	/* Shrink to the key itself; the spare bytes are wiped first. */
	explicit_bzero(buf + k, SECRET_MAX + 2 - k);
	buf[k] = '\0';
	char *out = malloc(k + 1);
	if (out == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		explicit_bzero(buf, SECRET_MAX + 2);
		free(buf);
		return -1;
	}
	memcpy(out, buf, k + 1);
	explicit_bzero(buf, SECRET_MAX + 2);
	free(buf);
	*key = out;
	*len = k;
	if (stamp != NULL)
		fstamp_set(stamp, &st, read_ns);
	return 0;
}

int secret_credential_path(const char *name, char **path, char *err, size_t errlen)
{
	size_t n = strlen(name);
	if (n == 0 || n > CREDENTIAL_NAME_MAX || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		snprintf(err, errlen,
		         "expected a credential name (1 to 255 bytes, no '/', not '.' or '..')");
		return -1;
	}
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (dir == NULL || *dir == '\0') {
		snprintf(err, errlen,
		         "$CREDENTIALS_DIRECTORY is not set; expected the daemon to run under "
		         "systemd with LoadCredential=%s:...",
		         name);
		return -1;
	}
	size_t dn = strlen(dir);
	char *p = malloc(dn + 1 + n + 1);
	if (p == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(p, dir, dn);
	p[dn] = '/';
	memcpy(p + dn + 1, name, n + 1);
	*path = p;
	return 0;
}

int secret_fingerprint(const char *key, size_t len, char out[SECRET_FP_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < 8) {
		out[0] = '\0';
		explicit_bzero(md, sizeof(md));
		return -1;
	}
	for (int i = 0; i < 8; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[SECRET_FP_LEN - 1] = '\0';
	explicit_bzero(md, sizeof(md));
	return 0;
}

void secret_free(char *key, size_t len)
{
	if (key == NULL)
		return;
	explicit_bzero(key, len);
	free(key);
}
