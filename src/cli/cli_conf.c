/*
 * cli_conf.c: the database path from wegauged's configuration (cli_conf.h).
 *
 * The file is read whole (at most CLI_CONF_MAX bytes) and handed to inih
 * one line at a time through our own reader, for the reasons wegauged has
 * (src/config.c): it strips leading blanks, so that the Debian build of
 * inih, whose multi-line mode is on, never takes an indented line for the
 * continuation of the previous value; and it counts lines, so that an
 * error can name one. Everything but [daemon] database is ignored; the
 * daemon itself validates the rest.
 */
#include "cli_conf.h"
#include "errbuf.h"
#include "iniline.h"

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
	int bad_line; /* first line too long for inih, 0 when none */
	int db_line;  /* the line of the database key, 0 when absent */
	char *out;    /* the caller's buffer */
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

/* inih's handler: keep [daemon] database. Always 1: errors are ours to report. */
static int conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_parse *p = user;
	if (strcmp(section, "daemon") != 0 || strcmp(name, "database") != 0)
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
	char *buf = NULL;
	size_t len = 0;
	if (outlen < 2 || read_file(path, &buf, &len, err, errlen) != 0)
		return -1;
	out[0] = '\0';
	struct conf_parse p = {.path = path, .buf = buf, .len = len, .out = out, .outlen = outlen};
	int rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	free(buf);
	if (rc == -2) {
		errbuf_set(err, errlen, "configuration %s: out of memory", path);
		return -1;
	}
	/*
	 * A line the parser could not read matters only when no database key
	 * was found: it might have been that key. Other errors are the
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
		snprintf(out, outlen, "%s", CLI_DEFAULT_DATABASE);
		return 0;
	}
	if (p.too_long || out[0] == '\0') {
		errbuf_set(err, errlen, "configuration %s:%d: [daemon] database: expected a path",
		           path, p.db_line);
		out[0] = '\0';
		return -1;
	}
	return 0;
}
