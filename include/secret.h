/*
 * secret.h: API key files. A key lives only in a file that nobody but its
 * owner (root or the daemon's user) and its group can read; it is read into
 * memory once, checked for shape, and wiped before it is freed. What may be
 * shown of a key is its fingerprint: the first 8 bytes of its SHA-256 as 16
 * lowercase hex digits.
 *
 * Error messages (err, errlen) name the file and what was wrong with it
 * ("/etc/wegauge/keys/a.key: mode 0644 is readable by others; chmod 600"),
 * never any byte of its content.
 */
#ifndef WEGAUGE_SECRET_H
#define WEGAUGE_SECRET_H

#include <stddef.h>
#include <sys/stat.h>

#include "fstamp.h"

#define SECRET_MAX    4096 /* the longest key file accepted, in bytes */
#define SECRET_FP_LEN 17   /* 16 hex digits and NUL (config.h FINGERPRINT_LEN) */

/*
 * The secrecy check of OpenBSD's check_file_secrecy() on an fstat()
 * result: a regular file, owned by root or by uid, with no permission bit
 * for "other". Group bits are allowed (root:wegauge 0640). Returns 0, or -1
 * with a message about path in err.
 */
int secret_check_stat(const struct stat *st, const char *path, uid_t uid, char *err, size_t errlen);

/*
 * The shape check of a key read from anywhere: *len bytes of buf, trailing
 * whitespace dropped (*len is set to what is left), must be non-empty
 * printable ASCII without spaces. NULL when it is, else what is wrong, as
 * a phrase to follow the source's name ("is empty; expected one API key").
 * Never quotes the key.
 */
const char *secret_key_shape(const char *buf, size_t *len);

/*
 * Read the key in the file at path: open it (following symlinks; the check
 * applies to the file itself), run secret_check_stat() with the effective
 * uid on the open descriptor, read at most SECRET_MAX bytes, strip trailing
 * whitespace. The key must then be non-empty printable ASCII without
 * spaces. On success returns 0, *key is a malloc'd NUL-terminated copy
 * owned by the caller (release with secret_free) and *len its length. On
 * failure returns -1, *key is untouched, err names the file and the
 * problem, and every byte read has been wiped. stamp (may be NULL) gets,
 * on success only, the fstat of the file read and the instant just before
 * it was opened (fstamp.h), so that the next load can tell an unchanged
 * key file by a stat().
 */
int secret_read_file(const char *path, char **key, size_t *len, struct fstamp *stamp, char *err,
                     size_t errlen);

/*
 * The path of credential name in $CREDENTIALS_DIRECTORY (systemd's
 * LoadCredential=), malloc'd, in *path. name must be non-empty, at most 255
 * bytes, not "." or "..", and without '/'. Returns 0, or -1 with a message
 * in err (also when the variable is unset or empty, or on OOM).
 */
int secret_credential_path(const char *name, char **path, char *err, size_t errlen);

/*
 * The fingerprint of key (len bytes) into out: the first 8 bytes of its
 * SHA-256 as 16 lowercase hex digits. Returns 0, or -1 (out is then "")
 * when libcrypto fails.
 */
int secret_fingerprint(const char *key, size_t len, char out[SECRET_FP_LEN]);

/* Wipe len bytes of key with explicit_bzero, then free it. NULL is a no-op. */
void secret_free(char *key, size_t len);

#endif
