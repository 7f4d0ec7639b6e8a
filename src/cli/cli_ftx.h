/*
 * cli_ftx.h: a small transaction over configuration files, for connect,
 * reconnect and disconnect.
 *
 * Each change replaces or removes one file atomically: a new content is
 * written to a hidden temporary file in the same directory (".NAME.XXXXXX",
 * which include_dir never reads), given its mode and group, fsync()ed and
 * renamed over the file, and the directory is fsync()ed; a removal is an
 * unlink followed by the directory's fsync. Before the first change to a
 * path, the file's content, mode, owner and group are remembered, so that
 * cli_ftx_rollback can put every file back as it was (or remove it when
 * it did not exist), in reverse order, the same atomic way. A change that
 * fails changes nothing of its file.
 *
 * Contents marked secret (key files) are wiped from memory when the
 * transaction is freed. At most CLI_FTX_MAX files per transaction.
 */
#ifndef WEGAUGE_CLI_FTX_H
#define WEGAUGE_CLI_FTX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CLI_FTX_MAX 4

struct cli_ftx_file {
	char *path;
	bool existed; /* before the transaction */
	bool secret;
	char *old; /* its content then (existed only) */
	size_t old_len;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct cli_ftx {
	struct cli_ftx_file f[CLI_FTX_MAX];
	size_t n;
};

/*
 * Replace the file at path with len bytes of data, mode mode, group gid
 * ((gid_t)-1: the creator's), owner unchanged (the caller's, for a new
 * file). 0, or -1 with err naming the path and the system's reason.
 */
int cli_ftx_write(struct cli_ftx *tx, const char *path, const char *data, size_t len, mode_t mode,
                  gid_t gid, bool secret, char *err, size_t errlen);

/* Remove the file at path. 0, or -1 with err. */
int cli_ftx_remove(struct cli_ftx *tx, const char *path, bool secret, char *err, size_t errlen);

/*
 * Put every file changed by tx back as it was, newest change first. 0, or
 * -1 with err naming the first file that could not be restored (the
 * others are still tried).
 */
int cli_ftx_rollback(struct cli_ftx *tx, char *err, size_t errlen);

/* Forget the remembered contents (wiping secret ones). tx may be reused after. */
void cli_ftx_free(struct cli_ftx *tx);

/*
 * Read the file at path whole (at most max bytes) into *data (malloc'd,
 * NUL-terminated) and *len; for callers that edit a file. 0, or -1 with err.
 */
int cli_ftx_read(const char *path, size_t max, char **data, size_t *len, char *err, size_t errlen);

#endif
