/*
 * cli_conf.c: single [daemon] keys of wegauged's configuration (cli_conf.h).
 *
 * The file is read whole (at most CLI_CONF_MAX bytes) and handed to inih
 * one line at a time through our own reader, for the reasons wegauged has
 * (src/config.c): it strips leading blanks, so that the Debian build of
 * inih, whose multi-line mode is on, never takes an indented line for the
 * continuation of the previous value; and it counts lines, so that an
 * error can name one. Everything but the [daemon] key asked for is
 * ignored; the daemon itself validates the rest.
 */
#include "cli_conf.h"
#include "cli_db.h"
#include "errbuf.h"
#include "iniline.h"
#include "secret.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct conf_parse {
	const char *path;
	const char *buf;
	size_t len, pos;
	int lineno;
	int bad_line;    /* first line too long for inih, 0 when none */
	int db_line;     /* the line of the wanted key, 0 when absent */
	const char *key; /* the [daemon] key wanted */
	char *out;       /* the caller's buffer */
	size_t outlen;
	bool too_long; /* the value does not fit in out */
};

/* inih's reader: the next line without leading blanks, or NULL at the end. */
static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;
	const char *line;
	size_t n;
	if (num < 4 || !iniline_next(p->buf, p->len, &p->pos, &p->lineno, &line, &n))
		return NULL;
	str[0] = '\0';
	if (memchr(line, '\0', n) != NULL || n > (size_t)num - 3) {
		if (p->bad_line == 0)
			p->bad_line = p->lineno;
		return str;
	}
	memcpy(str, line, n);
	str[n] = '\0';
	return str;
}

/* inih's handler: keep [daemon] p->key. Always 1: errors are ours to report. */
static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *p = user;
	if (strcmp(section, "daemon") != 0 || strcmp(name, p->key) != 0)
		return 1;
	p->db_line = p->lineno;
	size_t n = strlen(value);
	p->too_long = n >= p->outlen;
	if (!p->too_long)
		memcpy(p->out, value, n + 1);
	return 1;
}

/* Read the whole file at path (at most CLI_CONF_MAX bytes) into *buf (the caller frees). */
static int read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		errbuf_set(err, errlen, "configuration %s: %s (give the store with -d DB)", path,
		           strerror(errno));
		return -1;
	}
	char *b = malloc(CLI_CONF_MAX + 1);
	if (b == NULL) {
		fclose(f);
		errbuf_set(err, errlen, "configuration %s: out of memory", path);
		return -1;
	}
	size_t n = fread(b, 1, CLI_CONF_MAX + 1, f);
	int failed = ferror(f);
	fclose(f);
	if (failed) {
		free(b);
		errbuf_set(err, errlen, "configuration %s: cannot read it", path);
		return -1;
	}
	if (n > CLI_CONF_MAX) {
		free(b);
		errbuf_set(err, errlen, "configuration %s: larger than %d bytes", path,
		           CLI_CONF_MAX);
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

int cli_conf_database(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	return cli_conf_get(path, "database", CLI_DEFAULT_DATABASE, out, outlen, err, errlen);
}

int cli_conf_password(const char *path, char **password, size_t *len, char *err, size_t errlen)
{
	*password = NULL;
	*len = 0;
	char file[CLI_PATH_MAX + 1];
	if (cli_conf_get(path, "database_password_file", "", file, sizeof(file), err, errlen) != 0)
		return -1;
	if (file[0] == '\0')
		return 0;
	char why[768];
	if (secret_read_file(file, password, len, NULL, why, sizeof(why)) != 0) {
		errbuf_set(err, errlen, "configuration %s: [daemon] database_password_file: %s",
		           path, why);
		return -1;
	}
	return 0;
}

/* dir/value into out when value is relative (as wegauged reads paths), else value. */
static int resolve(const char *path, char *out, size_t outlen)
{
	if (out[0] == '/' || out[0] == '\0')
		return 0;
	const char *slash = strrchr(path, '/');
	char joined[CLI_PATH_MAX + 1];
	int n = slash ? snprintf(joined, sizeof(joined), "%.*s/%s", (int)(slash - path), path, out)
	              : snprintf(joined, sizeof(joined), "%s", out);
	if (n < 0 || (size_t)n >= outlen || (size_t)n >= sizeof(joined))
		return -1;
	memcpy(out, joined, (size_t)n + 1);
	return 0;
}

int cli_conf_dirs(const char *path, char *include_dir, char *key_dir, size_t outlen, char *err,
                  size_t errlen)
{
	if (cli_conf_get(path, "include_dir", "", include_dir, outlen, err, errlen) != 0 ||
	    cli_conf_get(path, "key_dir", CLI_DEFAULT_KEY_DIR, key_dir, outlen, err, errlen) != 0)
		return -1;
	if (resolve(path, include_dir, outlen) != 0 || resolve(path, key_dir, outlen) != 0) {
		errbuf_set(err, errlen, "configuration %s: a directory path too long", path);
		return -1;
	}
	return 0;
}

int cli_conf_get(const char *path, const char *key, const char *def, char *out, size_t outlen,
                 char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	if (outlen < 2 || read_file(path, &buf, &len, err, errlen) != 0)
		return -1;
	out[0] = '\0';
	struct conf_parse p = {
	        .path = path, .buf = buf, .len = len, .key = key, .out = out, .outlen = outlen};
	int rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	free(buf);
	if (rc == -2) {
		errbuf_set(err, errlen, "configuration %s: out of memory", path);
		return -1;
	}
	/*
	 * A line the parser could not read matters only when the key was not
	 * found: it might have been that key. Other errors are the
	 * daemon's to report; the tool is most needed when the daemon refused
	 * a reload, so it does not refuse the same file.
	 */
	if (p.db_line == 0 && p.bad_line != 0) {
		errbuf_set(err, errlen,
		           "configuration %s:%d: expected a line of at most %d characters", path,
		           p.bad_line, INI_MAX_LINE - 3);
		return -1;
	}
	if (p.db_line == 0 && rc > 0) {
		errbuf_set(err, errlen, "configuration %s:%d: cannot parse this line", path, rc);
		return -1;
	}
	if (p.db_line == 0) {
		snprintf(out, outlen, "%s", def);
		return 0;
	}
	if (p.too_long || (out[0] == '\0' && *def != '\0')) {
		errbuf_set(err, errlen, "configuration %s:%d: [daemon] %s: expected a path", path,
		           p.db_line, key);
		out[0] = '\0';
		return -1;
	}
	return 0;
}
