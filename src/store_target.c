/*
 * store_target.c: telling a PostgreSQL connection string from a path, and
 * saying one without its password (store_target.h).
 *
 * The redacted form is rebuilt from libpq's own parse (PQconninfoParse),
 * not by editing the text: a password can sit in the URI's userinfo, in a
 * password= pair, or percent-encoded, and only libpq knows every form.
 * Values are written as libpq reads them back (single-quoted, with \' and
 * \\ escaped, when they hold a blank or a quote).
 */
#include "store_target.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <libpq-fe.h>

bool store_target_is_pg(const char *database)
{
	if (database == NULL)
		return false;
	if (strncmp(database, "postgresql://", 13) == 0 ||
	    strncmp(database, "postgres://", 11) == 0)
		return true;
	const char *p = database;
	while (*p == ' ' || *p == '\t')
		p++;
	const char *k = p;
	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	if (p == k)
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '=';
}

/* Append s to out at *n, quoted as libpq reads it when it needs to be. */
static void put_value(char *out, size_t outlen, size_t *n, const char *s)
{
	bool quote = *s == '\0';
	for (const char *c = s; *c; c++)
		if (isspace((unsigned char)*c) || *c == '\'' || *c == '\\')
			quote = true;
	if (quote && *n + 1 < outlen)
		out[(*n)++] = '\'';
	for (const char *c = s; *c && *n + 2 < outlen; c++) {
		if (quote && (*c == '\'' || *c == '\\'))
			out[(*n)++] = '\\';
		out[(*n)++] = *c;
	}
	if (quote && *n + 1 < outlen)
		out[(*n)++] = '\'';
	out[*n] = '\0';
}

int store_target_redact(const char *conninfo, char *out, size_t outlen)
{
	if (outlen == 0)
		return -1;
	out[0] = '\0';
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &perr);
	if (opts == NULL) {
		PQfreemem(perr); /* its text may quote the password */
		snprintf(out, outlen, "(a connection string libpq cannot read)");
		return -1;
	}
	size_t n = 0;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || strcmp(o->keyword, "password") == 0)
			continue;
		int w = snprintf(out + n, outlen - n, "%s%s=", n ? " " : "", o->keyword);
		if (w < 0 || (size_t)w >= outlen - n) {
			out[n] = '\0';
			break;
		}
		n += (size_t)w;
		put_value(out, outlen, &n, o->val);
	}
	PQconninfoFree(opts);
	return 0;
}

void store_target_show(const char *database, char *out, size_t outlen)
{
	if (store_target_is_pg(database))
		store_target_redact(database, out, outlen);
	else
		snprintf(out, outlen, "%s", database ? database : "");
}
