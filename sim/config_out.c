/*
 * config_out.c: wesim --write-config DIR. Once the server listens, it
 * writes a configuration wegauged can run with as is (docs/operator.md's INI):
 *
 *   DIR/wegauged.conf              [daemon] database, include_dir, --config-extra lines
 *   DIR/workspaces.d/ws-NNNN.conf  [workspace "ws-NNNN"] license_code, base_url, api_key_file
 *   DIR/keys/ws-NNNN.key           the key and a newline, mode 0600
 *   DIR/wesim.accounts             the accounts file of every account (mode 0600)
 *
 * Directories it creates are mode 0700 (workspaces.d and keys always are).
 * Every file is written to a temporary name and renamed. Files ws-NNNN.conf
 * and ws-NNNN.key beyond the current number of accounts, left by an earlier
 * run, are removed so that wegauged does not see stale workspaces.
 */
#include "wesim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Write len bytes of data to path through path.tmp and rename, with mode. */
static int write_file(const char *path, const char *data, size_t len, mode_t mode, char *err,
                      size_t errlen)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "%s: write: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)w;
	}
	/* open() applies the umask; the mode must be exact */
	if (fchmod(fd, mode) != 0 || close(fd) != 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: rename: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* mkdir path 0700 when missing; with force_mode also chmod an existing one. */
static int make_dir(const char *path, bool force_mode, char *err, size_t errlen)
{
	if (mkdir(path, 0700) == 0)
		force_mode = true; /* the umask may have narrowed it; set it exactly */
	else if (errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create directory: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: not a directory", path);
		return -1;
	}
	if (force_mode && chmod(path, 0700) != 0) {
		snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Remove DIR/ws-NNNN.SUFFIX files with NNNN > n (left by an earlier run). */
static void remove_stale(const char *dir, const char *suffix, uint32_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	size_t sl = strlen(suffix);
	while ((e = readdir(d)) != NULL) {
		const char *s = e->d_name;
		size_t len = strlen(s);
		if (len != 7 + sl || strncmp(s, "ws-", 3) != 0 || strcmp(s + 7, suffix) != 0)
			continue;
		unsigned v = 0;
		bool digits = true;
		for (int i = 3; i < 7; i++) {
			if (s[i] < '0' || s[i] > '9')
				digits = false;
			else
				v = v * 10 + (unsigned)(s[i] - '0');
		}
		if (!digits || v <= n)
			continue;
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", dir, s) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
}

/*
 * Write the configuration of the file comment for set into dir, pointing
 * workspaces at base_url; extra lines go under [daemon]. dir is made
 * absolute; it must not contain characters the INI syntax gives a meaning
 * (';', '#', '"', newline). Returns 0, or -1 with err.
 */
int config_write(const char *dir, const struct wsim_accounts *set, const char *base_url,
                 char *const *extra, int nextra, char *err, size_t errlen)
{
	if (strpbrk(dir, ";#\"\r\n") || dir[0] == '\0') {
		snprintf(err, errlen,
		         "--write-config: directory \"%.200s\" is empty or contains ; # \" or a "
		         "newline, which the INI syntax would misread",
		         dir);
		return -1;
	}
	if (make_dir(dir, false, err, errlen) != 0)
		return -1;
	char abs[PATH_MAX];
	if (!realpath(dir, abs)) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	char wsdir[PATH_MAX], keydir[PATH_MAX], path[PATH_MAX];
	if (strlen(abs) > PATH_MAX - 64) {
		snprintf(err, errlen, "%s: path too long", abs);
		return -1;
	}
	if (snprintf(wsdir, sizeof(wsdir), "%s/workspaces.d", abs) >= (int)sizeof(wsdir) ||
	    snprintf(keydir, sizeof(keydir), "%s/keys", abs) >= (int)sizeof(keydir)) {
		snprintf(err, errlen, "%s: path too long", abs);
		return -1;
	}
	if (make_dir(wsdir, true, err, errlen) != 0 || make_dir(keydir, true, err, errlen) != 0)
		return -1;

	struct jb b;
	jb_init(&b, 1u << 20);
	jb_printf(&b, "# written by wesim --write-config: %u workspaces at %s\n[daemon]\n", set->n,
	          base_url);
	jb_printf(&b, "database = %s/wegauge.db\ninclude_dir = %s\n", abs, wsdir);
	for (int i = 0; i < nextra; i++) {
		jb_puts(&b, extra[i]);
		jb_putc(&b, '\n');
	}
	if (snprintf(path, sizeof(path), "%s/wegauged.conf", abs) >= (int)sizeof(path))
		path[0] = 0; /* unreachable: abs is at most PATH_MAX - 64 */
	int rc = b.oom ? -1 : write_file(path, b.p, b.len, 0644, err, errlen);
	if (b.oom)
		snprintf(err, errlen, "--write-config: out of memory");
	jb_free(&b);
	if (rc != 0)
		return -1;

	for (uint32_t i = 0; i < set->n; i++) {
		const struct wsim_account *a = &set->v[i];
		char text[1024], key[WSIM_KEY_MAX + 2];
		int kl = snprintf(key, sizeof(key), "%s\n", a->key);
		if (snprintf(path, sizeof(path), "%s/%s.key", keydir, a->name) >=
		            (int)sizeof(path) ||
		    write_file(path, key, (size_t)kl, 0600, err, errlen) != 0)
			return -1;
		int tl = snprintf(text, sizeof(text),
		                  "[workspace \"%s\"]\nlicense_code = %s\nbase_url = %s\n"
		                  "api_key_file = %s/%s.key\n",
		                  a->name, a->lc, base_url, keydir, a->name);
		if (snprintf(path, sizeof(path), "%s/%s.conf", wsdir, a->name) >= (int)sizeof(path))
			return -1;
		if (tl < 0 || tl >= (int)sizeof(text) ||
		    write_file(path, text, (size_t)tl, 0644, err, errlen) != 0) {
			if (tl >= (int)sizeof(text))
				snprintf(err, errlen, "%s: text too long", path);
			return -1;
		}
	}
	remove_stale(wsdir, ".conf", set->n);
	remove_stale(keydir, ".key", set->n);
	if (snprintf(path, sizeof(path), "%s/wesim.accounts", abs) >= (int)sizeof(path))
		path[0] = 0; /* unreachable: abs is at most PATH_MAX - 64 */
	return accounts_write(path, set, err, errlen);
}
