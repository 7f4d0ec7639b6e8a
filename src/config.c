/*
 * config.c: loading the configuration (config.h): files, sections, keys,
 * errors, API keys and the -t summary.
 *
 * How a file is read. The whole file (at most CONFIG_MAX_FILE bytes) is
 * read into memory and handed to inih line by line through our own
 * reader, which does four things inih cannot do for us:
 *  - it counts lines, so every handler call knows its line number (the
 *    Debian build of inih passes none);
 *  - it strips leading blanks, so an indented "key = value" is a key and
 *    never a continuation of the previous value (inih's multi-line mode is
 *    on in that build and cannot be turned off per parse);
 *  - it parses section headers itself, because inih truncates section
 *    names at 50 bytes and does not report a section without keys; the
 *    section state lives here, inih's section argument is ignored;
 *  - it reports lines inih would reject (no '=', too long, a NUL byte) and
 *    hands inih an empty line instead, so parsing goes on and every error
 *    of the file is collected, not just the first.
 * inih then splits "key = value", strips blanks and inline "; comments",
 * and calls handler() for every pair.
 *
 * After the main file come the *.conf files of include_dir, sorted with
 * strcmp; they may hold workspace sections only. Then finalize() checks
 * what spans keys (missing license_code, key sources, inherited values),
 * and reads every API key. Nothing is returned unless all of it is right.
 *
 * Reloads (config_load_hint). With the running configuration as the
 * hint, a file that fstamp.h says has not changed since the hint read it
 * costs one stat(): an include file's sections are copied from the hint
 * (replay_file), a key file's key and fingerprint too (key_from_hint).
 * Everything that depends on more than that file is done again (duplicate
 * names, the bound on workspaces, inherited values, the data center's
 * URL, the secrecy check), so the result and the messages are
 * config_load's. The main file is always read. The include files are
 * opened relative to the open directory, which readdir's d_type spares a
 * stat() for, and read with one read() into a buffer sized by fstat().
 * What this saves is measured in docs/performance.md.
 *
 * Why one file of about 1,250 lines: reading files, sections, keys,
 * errors and the hint all work on one struct parse (the file and line
 * being read, the section, the error list, what the hint offers) that
 * threads through every function here; the option table and the value
 * checkers, which need none of it, are config_table.c.
 */
#include "config.h"
#include "iniline.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_int.h"
#include "fnv.h"
#include "rows.h"
#include "secret.h"
#include "store_target.h"
#include "units.h"

#define CONFIG_MAX_ERRORS   100     /* messages kept; the rest are counted */
#define CONFIG_MAX_FILE     1048576 /* bytes in one configuration file */
#define CONFIG_MAX_INCLUDES 16384   /* *.conf files in include_dir */
#define CONFIG_MAX_WS       16384   /* workspaces in all files together */
#define ECHO_MAX            64      /* bytes of a value quoted in a message */
#define MSG_MAX             1024    /* bytes of one message */
#define LABEL_MAX           (WS_NAME_MAX + 16)

_Static_assert(FINGERPRINT_LEN == SECRET_FP_LEN, "secret.h and config.h disagree");

enum sec_kind { SEC_NONE, SEC_DAEMON, SEC_WS, SEC_FLEET, SEC_BAD };

/* What the parser knows of a section beyond its values: which keys were set, and where. */
struct sec_meta {
	uint64_t seen;                /* bit i: cfg_opts[i] was given (for duplicates) */
	uint64_t set;                 /* bit i: ... and its value was accepted */
	int line[CFG_MAX_OPTS];       /* the line it was first given on */
	const struct ws_config *from; /* replay_file: the hint's section it was copied from */
};

struct parse {
	struct config *cfg;
	struct config_errors *errs;
	size_t n_errors; /* every error, also those beyond CONFIG_MAX_ERRORS */
	bool oom;        /* an error message itself could not be stored */
	size_t cap_ws;
	struct sec_meta *ws_meta; /* parallel to cfg->ws */
	struct sec_meta daemon_meta;
	int daemon_line; /* the [daemon] header's line; 0 before it */
	int fleet_line;  /* the [fleet] header's line; 0 when none (its keys: daemon_meta) */
	const struct config *hint; /* config_load_hint's cache, or NULL */
	size_t hint_file;          /* the next of hint->files to compare with (in path order) */
	uid_t euid;                /* for the secrecy check of key files */
	size_t cap_files;          /* of cfg->files */

	/* The scratch buffer every file is read into (read_all), grown as needed. */
	char *rbuf;
	size_t rcap;

	/*
	 * The directory of the last key file stat()ed for the hint, open, so
	 * that the next key file in it costs a one-component fstatat() instead
	 * of a walk of its whole path (key_stat). -1 when none is open.
	 */
	char *key_dir;
	int key_dirfd;

	/* The file being parsed. */
	const char *file;
	char *dir; /* its directory, for relative paths */
	bool main_file;
	dev_t main_dev; /* the main file, so include_dir never includes it again */
	ino_t main_ino;
	const char *buf;
	size_t len, pos;
	int lineno;
	enum sec_kind sec;
	size_t ws_index; /* SEC_WS: the section's workspace */
};

/*
 * Copy at most ECHO_MAX bytes of v into buf (n bytes) for quoting in a
 * message: anything but printable ASCII, and also ' and \, becomes \xNN;
 * a cut is marked with "...". Returns buf.
 */
static const char *quote(const char *v, char *buf, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	for (; i < ECHO_MAX && o + 5 < n && v[i] != '\0'; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c >= 0x7f || c == '\\' || c == '\'') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 0xf];
		} else {
			buf[o++] = (char)c;
		}
	}
	if (v[i] != '\0' && o + 4 <= n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

/* Append a copy of msg to the error list, bound or not; sets p->oom when it cannot. */
static void push_msg(struct parse *p, const char *msg)
{
	char *m = strdup(msg);
	char **grown = m ? realloc(p->errs->msg, (p->errs->n + 1) * sizeof(char *)) : NULL;
	if (grown == NULL) {
		free(m);
		p->oom = true;
		return;
	}
	p->errs->msg = grown;
	p->errs->msg[p->errs->n++] = m;
}

/*
 * Record one error: "FILE:LINE: LABEL KEY: message". file, label and key
 * may be NULL and line 0 when they do not apply. Beyond CONFIG_MAX_ERRORS
 * the error is only counted (config_load adds how many were not shown).
 */
static void errf(struct parse *p, const char *file, int line, const char *label, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void errf(struct parse *p, const char *file, int line, const char *label, const char *key,
                 const char *fmt, ...)
{
	p->n_errors++;
	if (p->errs->n >= CONFIG_MAX_ERRORS)
		return;
	char msg[MSG_MAX];
	size_t o = 0;
	int w = 0;
	if (file != NULL)
		w = line > 0 ? snprintf(msg, sizeof(msg), "%s:%d: ", file, line)
		             : snprintf(msg, sizeof(msg), "%s: ", file);
	o = w > 0 ? (size_t)w : 0;
	if (o < sizeof(msg) && (label != NULL || key != NULL)) {
		w = snprintf(msg + o, sizeof(msg) - o, "%s%s%s: ", label ? label : "",
		             label && key ? " " : "", key ? key : "");
		o += w > 0 ? (size_t)w : 0;
	}
	if (o < sizeof(msg)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg + o, sizeof(msg) - o, fmt, ap);
		va_end(ap);
	}
	push_msg(p, msg);
}

/* "[workspace \"NAME\"]" of a name into buf (n bytes), for messages. */
static const char *name_label(const char *name, char *buf, size_t n)
{
	snprintf(buf, n, "[workspace \"%s\"]", name);
	return buf;
}

/* The same for ws. */
static const char *ws_label(const struct ws_config *ws, char *buf, size_t n)
{
	return name_label(ws->name, buf, n);
}

/* The label of the current section, for messages. */
static const char *sec_label(const struct parse *p, char *buf, size_t n)
{
	if (p->sec == SEC_DAEMON)
		return "[daemon]";
	if (p->sec == SEC_FLEET)
		return "[fleet]";
	if (p->sec == SEC_WS)
		return ws_label(&p->cfg->ws[p->ws_index], buf, n);
	return NULL;
}

/* The index in cfg_opts of a known option. */
static size_t opt_index(enum cfg_scope scope, const char *name)
{
	return (size_t)(cfg_opt_find(scope, name) - cfg_opts);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The hash of a workspace name, for the table of names. */
static uint64_t name_hash(const char *s)
{
	return fnv1a_str(FNV1A_OFFSET, s);
}

/*
 * The index in cfg->ws of the workspace named name, or -1, from the table
 * cfg->names (see config.h). The table makes the parser's duplicate check
 * of n sections and config_find_ws linear in total, not quadratic (10,000
 * workspaces: 5 * 10^7 string compares for the duplicate check alone).
 */
static long name_find(const struct config *cfg, const char *name)
{
	if (cfg->names_cap == 0)
		return -1;
	size_t mask = cfg->names_cap - 1;
	for (size_t i = name_hash(name) & mask; cfg->names[i]; i = (i + 1) & mask)
		if (strcmp(cfg->ws[cfg->names[i] - 1].name, name) == 0)
			return (long)(cfg->names[i] - 1);
	return -1;
}

/* Enter cfg->ws[idx] in the table, growing it (to keep it at most half full). 0 or -1 (OOM). */
static int name_add(struct config *cfg, size_t idx)
{
	if (2 * (idx + 1) > cfg->names_cap) {
		size_t cap = cfg->names_cap ? cfg->names_cap * 2 : 64;
		size_t *t = calloc(cap, sizeof(*t));
		if (!t)
			return -1;
		for (size_t j = 0; j < cfg->names_cap; j++) {
			if (!cfg->names[j])
				continue;
			size_t i = name_hash(cfg->ws[cfg->names[j] - 1].name) & (cap - 1);
			while (t[i])
				i = (i + 1) & (cap - 1);
			t[i] = cfg->names[j];
		}
		free(cfg->names);
		cfg->names = t;
		cfg->names_cap = cap;
	}
	size_t mask = cfg->names_cap - 1, i = name_hash(cfg->ws[idx].name) & mask;
	while (cfg->names[i])
		i = (i + 1) & mask;
	cfg->names[i] = idx + 1;
	return 0;
}

/*
 * Add a workspace named name (already checked) from p->file at p->lineno
 * to the configuration: the duplicate check, the bound (CONFIG_MAX_WS),
 * the arrays grown, the name table. Returns the zeroed entry with name,
 * file, and line set, and its zeroed sec_meta in *meta, or NULL after
 * recording why not.
 */
static struct ws_config *ws_add(struct parse *p, const char *name, struct sec_meta **meta)
{
	struct config *cfg = p->cfg;
	char label[LABEL_MAX];
	long dup = name_find(cfg, name);
	if (dup >= 0) {
		errf(p, p->file, p->lineno, name_label(name, label, sizeof(label)), NULL,
		     "duplicate workspace name; first defined at %s:%d", cfg->ws[dup].file,
		     cfg->ws[dup].line);
		return NULL;
	}
	if (cfg->n_ws >= CONFIG_MAX_WS) {
		errf(p, p->file, p->lineno, name_label(name, label, sizeof(label)), NULL,
		     "expected at most %d workspaces", CONFIG_MAX_WS);
		return NULL;
	}
	if (cfg->n_ws == p->cap_ws) {
		size_t cap = p->cap_ws ? p->cap_ws * 2 : 8;
		struct ws_config *grown = realloc(cfg->ws, cap * sizeof(*grown));
		if (grown != NULL)
			cfg->ws = grown;
		struct sec_meta *m = grown ? realloc(p->ws_meta, cap * sizeof(*m)) : NULL;
		if (m == NULL) {
			errf(p, p->file, p->lineno, name_label(name, label, sizeof(label)), NULL,
			     "out of memory");
			return NULL;
		}
		p->ws_meta = m;
		p->cap_ws = cap;
	}
	struct ws_config *ws = &cfg->ws[cfg->n_ws];
	memset(ws, 0, sizeof(*ws));
	memset(&p->ws_meta[cfg->n_ws], 0, sizeof(p->ws_meta[0]));
	memcpy(ws->name, name, strlen(name) + 1);
	ws->line = p->lineno;
	cfg->n_ws++; /* from here on config_free() owns what ws holds */
	ws->file = strdup(p->file);
	if (ws->file == NULL || name_add(cfg, cfg->n_ws - 1) != 0) {
		errf(p, p->file, p->lineno, name_label(name, label, sizeof(label)), NULL,
		     "out of memory");
		return NULL;
	}
	*meta = &p->ws_meta[cfg->n_ws - 1];
	return ws;
}

/*
 * Start a workspace section named name (already checked) at the current
 * line: ws_add, then the defaults. Sets p->sec to SEC_WS, or SEC_BAD after
 * recording why not.
 */
static void ws_open(struct parse *p, const char *name)
{
	char label[LABEL_MAX];
	struct sec_meta *meta;
	p->sec = SEC_BAD;
	struct ws_config *ws = ws_add(p, name, &meta);
	if (ws == NULL)
		return;
	if (cfg_apply_defaults(CFG_WS, ws) != 0) {
		errf(p, p->file, p->lineno, name_label(name, label, sizeof(label)), NULL,
		     "out of memory");
		return;
	}
	p->ws_index = p->cfg->n_ws - 1;
	p->sec = SEC_WS;
}

/*
 * A section header line (s, n bytes, starting with '['): "[daemon]" or
 * "[workspace "NAME"]", optionally followed by a comment. Sets p->sec.
 */
static void section_open(struct parse *p, const char *s, size_t n)
{
	char q[ECHO_MAX * 4 + 8], text[256];
	size_t tn = n < sizeof(text) - 1 ? n : sizeof(text) - 1;
	memcpy(text, s, tn);
	text[tn] = '\0';
	p->sec = SEC_BAD;
	const char *close = memchr(s, ']', n);
	const char *rest = close ? close + 1 : NULL;
	while (rest && rest < s + n && is_blank(*rest))
		rest++;
	if (close == NULL || (rest < s + n && *rest != ';' && *rest != '#')) {
		errf(p, p->file, p->lineno, NULL, NULL,
		     "expected a section header [daemon] or [workspace \"NAME\"], got '%s'",
		     quote(text, q, sizeof(q)));
		return;
	}
	const char *in = s + 1, *end = close;
	while (in < end && is_blank(*in))
		in++;
	while (end > in && is_blank(end[-1]))
		end--;
	size_t in_n = (size_t)(end - in);
	if (in_n == 6 && memcmp(in, "daemon", 6) == 0) {
		if (!p->main_file) {
			errf(p, p->file, p->lineno, "[daemon]", NULL,
			     "expected only [workspace \"NAME\"] sections in an included file; "
			     "[daemon] belongs in %s",
			     p->cfg->path);
		} else if (p->daemon_line > 0) {
			errf(p, p->file, p->lineno, "[daemon]", NULL,
			     "duplicate section; first at line %d", p->daemon_line);
		} else {
			p->daemon_line = p->lineno;
			p->sec = SEC_DAEMON;
		}
		return;
	}
	if (in_n == 5 && memcmp(in, "fleet", 5) == 0) {
		if (!p->main_file) {
			errf(p, p->file, p->lineno, "[fleet]", NULL,
			     "expected only [workspace \"NAME\"] sections in an included file; "
			     "[fleet] belongs in %s",
			     p->cfg->path);
		} else if (p->fleet_line > 0) {
			errf(p, p->file, p->lineno, "[fleet]", NULL,
			     "duplicate section; first at line %d", p->fleet_line);
		} else {
			p->fleet_line = p->lineno;
			p->cfg->fleet = true;
			p->sec = SEC_FLEET;
		}
		return;
	}
	if (in_n > 9 && memcmp(in, "workspace", 9) == 0 && is_blank(in[9])) {
		const char *a = in + 10;
		while (a < end && is_blank(*a))
			a++;
		size_t an = (size_t)(end - a);
		if (an >= 2 && a[0] == '"' && a[an - 1] == '"') {
			char name[WS_NAME_MAX + 1];
			size_t nn = an - 2;
			if (cfg_check_ws_name(a + 1, nn) == CFG_OK) {
				memcpy(name, a + 1, nn);
				name[nn] = '\0';
				ws_open(p, name);
				return;
			}
			char raw[256];
			size_t rn = nn < sizeof(raw) - 1 ? nn : sizeof(raw) - 1;
			memcpy(raw, a + 1, rn);
			raw[rn] = '\0';
			errf(p, p->file, p->lineno, NULL, NULL,
			     "[workspace \"NAME\"]: expected a NAME of 1 to %d characters "
			     "A-Z a-z 0-9 . _ -, got '%s'",
			     WS_NAME_MAX, quote(raw, q, sizeof(q)));
			return;
		}
	}
	if (in_n >= 9 && memcmp(in, "workspace", 9) == 0) {
		errf(p, p->file, p->lineno, NULL, NULL,
		     "expected [workspace \"NAME\"] with the name in double quotes, got '%s'",
		     quote(text, q, sizeof(q)));
		return;
	}
	errf(p, p->file, p->lineno, NULL, NULL,
	     "unknown section '%s'; expected [daemon], [fleet] or [workspace \"NAME\"]",
	     quote(text, q, sizeof(q)));
}

/*
 * The line-counting reader given to ini_parse_stream (see the top of the
 * file). Returns the next line of p->buf in str (num bytes, as inih
 * allocates them), an empty line for a line already dealt with, or NULL at
 * the end of the buffer.
 */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	const char *line;
	size_t n;
	if (num < 4 || !iniline_next(p->buf, p->len, &p->pos, &p->lineno, &line, &n))
		return NULL;
	str[0] = '\0';
	while (n > 0 && is_blank(line[n - 1]))
		n--;
	if (memchr(line, '\0', n) != NULL) {
		errf(p, p->file, p->lineno, NULL, NULL, "expected text, got a NUL byte");
		return str;
	}
	if (n > (size_t)num - 3) {
		errf(p, p->file, p->lineno, NULL, NULL, "expected a line of at most %d characters",
		     num - 3);
		return str;
	}
	if (n == 0 || line[0] == ';' || line[0] == '#')
		return str;
	if (line[0] == '[') {
		section_open(p, line, n);
		return str;
	}
	/* A key line needs '=' or ':' before any inline comment, as inih sees it. */
	size_t i = 0;
	bool was_blank = false;
	for (; i < n; i++) {
		if (line[i] == '=' || line[i] == ':' || (line[i] == ';' && was_blank))
			break;
		was_blank = is_blank(line[i]);
	}
	if (i == n || line[i] == ';') {
		/* Not quoted: the line might be a pasted key. */
		errf(p, p->file, p->lineno, NULL, NULL,
		     "expected 'key = value', a [section] header or a comment");
		return str;
	}
	if (i == 0) {
		errf(p, p->file, p->lineno, NULL, NULL, "expected a key name before '%c'", line[0]);
		return str;
	}
	memcpy(str, line, n);
	str[n] = '\0';
	return str;
}

/*
 * True for a key name that looks like an inline secret: one of a few
 * names people give a key ("key", "token", ...), or anything containing
 * "api_key", "apikey" or "api-key" (api_key_file and api_key_credential
 * are known keys and never get here). Any case.
 */
static bool secret_like(const char *name)
{
	static const char *const exact[] = {"key",       "secret",    "token", "password",
	                                    "passwd",    "bearer",    "auth",  "authorization",
	                                    "api_token", "api_secret"};
	static const char *const part[] = {"api_key", "apikey", "api-key"};
	char low[64];
	size_t n = strlen(name);
	if (n >= sizeof(low))
		n = sizeof(low) - 1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	low[n] = '\0';
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(low, exact[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(part) / sizeof(part[0]); i++)
		if (strstr(low, part[i]) != NULL)
			return true;
	return false;
}

/*
 * inih's handler: one "key = value" of the current section (the section
 * argument is ignored, see above). Always returns 1: errors are collected
 * here, not reported to inih.
 */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	char label_buf[LABEL_MAX], q[ECHO_MAX * 4 + 8], why[512];
	(void)section;
	if (p->sec == SEC_BAD)
		return 1; /* the header's error is reported already */
	/* The label is built only for a message: most lines have none. */
	enum cfg_scope scope = p->sec == SEC_WS      ? CFG_WS
	                       : p->sec == SEC_FLEET ? CFG_FLEET
	                                             : CFG_DAEMON;
	const struct cfg_opt *o = p->sec == SEC_NONE ? NULL : cfg_opt_find(scope, name);
	if (o == NULL) {
		char nq[ECHO_MAX * 4 + 8];
		const char *label = sec_label(p, label_buf, sizeof(label_buf));
		quote(name, nq, sizeof(nq));
		/* Never the value: an unknown key may well be a misspelt secret. */
		const char *home = NULL;
		if (scope != CFG_DAEMON && cfg_opt_find(CFG_DAEMON, name) != NULL)
			home = "[daemon]";
		else if (scope != CFG_WS && cfg_opt_find(CFG_WS, name) != NULL)
			home = "[workspace \"NAME\"]";
		else if (scope != CFG_FLEET && cfg_opt_find(CFG_FLEET, name) != NULL)
			home = "[fleet]";
		if (p->sec != SEC_NONE && home != NULL)
			errf(p, p->file, p->lineno, label, nq, "unknown key here; it belongs in %s",
			     home);
		else if (secret_like(name))
			errf(p, p->file, p->lineno, label, nq,
			     "API keys are never inline; use api_key_file or api_key_credential");
		else if (p->sec == SEC_NONE)
			errf(p, p->file, p->lineno, NULL, nq,
			     "expected a [daemon] or [workspace \"NAME\"] header before the first "
			     "key");
		else
			errf(p, p->file, p->lineno, label, nq, "unknown key");
		return 1;
	}
	size_t idx = (size_t)(o - cfg_opts);
	struct sec_meta *m = p->sec == SEC_WS ? &p->ws_meta[p->ws_index] : &p->daemon_meta;
	void *base = p->sec == SEC_WS ? (void *)&p->cfg->ws[p->ws_index] : (void *)p->cfg;
	if (m->seen & ((uint64_t)1 << idx)) {
		errf(p, p->file, p->lineno, sec_label(p, label_buf, sizeof(label_buf)), name,
		     "duplicate key; first set at line %d", m->line[idx]);
		return 1;
	}
	m->seen |= (uint64_t)1 << idx;
	m->line[idx] = p->lineno;
	int rc = cfg_opt_set(o, base, value, p->dir, why, sizeof(why));
	if (rc == CFG_BAD_RAW)
		errf(p, p->file, p->lineno, sec_label(p, label_buf, sizeof(label_buf)), name, "%s",
		     why);
	else if (rc != CFG_OK)
		errf(p, p->file, p->lineno, sec_label(p, label_buf, sizeof(label_buf)), name,
		     "%s, got '%s'", why, quote(value, q, sizeof(q)));
	if (rc == CFG_OK)
		m->set |= (uint64_t)1 << idx; /* a rejected value causes no follow-up errors */
	return 1;
}

/* The directory part of path: "." when it has no '/', "/" for "/x". malloc'd or NULL. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Grow p's scratch buffer to at least need bytes (need <= CONFIG_MAX_FILE + 1). 0 or -1 (OOM). */
static int rbuf_reserve(struct parse *p, size_t need)
{
	if (need <= p->rcap)
		return 0;
	size_t cap = p->rcap ? p->rcap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > CONFIG_MAX_FILE + 1)
		cap = CONFIG_MAX_FILE + 1;
	char *b = realloc(p->rbuf, cap);
	if (b == NULL)
		return -1;
	p->rbuf = b;
	p->rcap = cap;
	return 0;
}

/*
 * Read the regular file name (opened relative to the directory at_fd, or
 * AT_FDCWD), at most CONFIG_MAX_FILE bytes, into p's scratch buffer (*buf,
 * *len: valid until the next read_all); *stamp gets its fstat() and the
 * instant before it was opened (fstamp.h). path is how messages name the
 * file. With include (a *.conf of include_dir), a directory and the main
 * file itself are not files to read: returns 1, quietly. Else returns 0,
 * or -1 after recording the error (file named, no line).
 *
 * The size comes from fstat(), so a file is read with one read() into a
 * buffer that is reused from file to file (10,000 workspace files used to
 * cost a 1 MiB allocation and a second read() for the end of file each).
 * A file is read up to the size fstat() gave: one that grows meanwhile is
 * read as it was at the fstat(), as if read just before the write. A file
 * that says size 0 (empty, or a pseudo-file) is read to its end.
 */
static int read_all(struct parse *p, int at_fd, const char *name, const char *path, bool include,
                    const char **buf, size_t *len, struct fstamp *stamp)
{
	int64_t read_ns = fstamp_now();
	int fd = openat(at_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		errf(p, path, 0, NULL, NULL, "cannot open: %s", strerror(errno));
		return -1;
	}
	struct stat st;
	bool stat_ok = fstat(fd, &st) == 0;
	if (include && stat_ok &&
	    (S_ISDIR(st.st_mode) || (st.st_dev == p->main_dev && st.st_ino == p->main_ino))) {
		close(fd);
		return 1;
	}
	if (!stat_ok || !S_ISREG(st.st_mode)) {
		errf(p, path, 0, NULL, NULL, "expected a regular file");
		close(fd);
		return -1;
	}
	fstamp_set(stamp, &st, read_ns);
	/* Known size: that many bytes. Else (0) to the end, one byte past the bound at most. */
	size_t want = st.st_size > 0 ? (size_t)st.st_size : 0;
	bool to_end = want == 0;
	if (st.st_size > CONFIG_MAX_FILE) {
		errf(p, path, 0, NULL, NULL, "expected at most %d bytes", CONFIG_MAX_FILE);
		close(fd);
		return -1;
	}
	if (rbuf_reserve(p, to_end ? 4096 : want + 1) != 0) {
		errf(p, path, 0, NULL, NULL, "out of memory");
		close(fd);
		return -1;
	}
	size_t got = 0;
	bool failed = false;
	while (to_end || got < want) {
		if (to_end && got == p->rcap) {
			if (p->rcap > CONFIG_MAX_FILE)
				break; /* one byte past the bound: too large */
			if (rbuf_reserve(p, p->rcap + 1) != 0) {
				errf(p, path, 0, NULL, NULL, "out of memory");
				failed = true;
				break;
			}
		}
		size_t room = to_end ? p->rcap - got : want - got;
		ssize_t r = read(fd, p->rbuf + got, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			errf(p, path, 0, NULL, NULL, "cannot read: %s", strerror(errno));
			failed = true;
			break;
		}
		if (r == 0)
			break; /* the end (a file that shrank ends early) */
		got += (size_t)r;
	}
	close(fd);
	if (!failed && got > CONFIG_MAX_FILE) {
		errf(p, path, 0, NULL, NULL, "expected at most %d bytes", CONFIG_MAX_FILE);
		failed = true;
	}
	if (failed)
		return -1;
	*buf = p->rbuf;
	*len = got;
	return 0;
}

/*
 * Note the sections cfg->ws[first ..] that the include file read under
 * stamp held, for the next config_load_hint. A file without sections is
 * not noted (reading it again is cheap), nor is any on OOM: a missing
 * record only means the file is read again.
 */
static void file_note(struct parse *p, const struct fstamp *stamp, size_t first)
{
	struct config *cfg = p->cfg;
	if (cfg->n_ws == first)
		return;
	if (cfg->n_files == p->cap_files) {
		size_t cap = p->cap_files ? p->cap_files * 2 : 64;
		struct config_file *f = realloc(cfg->files, cap * sizeof(*f));
		if (f == NULL)
			return;
		cfg->files = f;
		p->cap_files = cap;
	}
	cfg->files[cfg->n_files++] =
	        (struct config_file){.stamp = *stamp, .first_ws = first, .n_ws = cfg->n_ws - first};
}

/*
 * Parse one configuration file (name relative to at_fd, named path in
 * messages); main_file allows [daemon], else it is a *.conf of include_dir
 * (see read_all), noted for the next config_load_hint. Errors are recorded.
 */
static void load_file(struct parse *p, int at_fd, const char *name, const char *path,
                      bool main_file)
{
	const char *buf;
	size_t len;
	struct fstamp stamp;
	size_t first = p->cfg->n_ws;
	if (read_all(p, at_fd, name, path, !main_file, &buf, &len, &stamp) != 0)
		return;
	if (main_file) {
		p->main_dev = stamp.dev;
		p->main_ino = stamp.ino;
	}
	p->dir = dir_of(path);
	if (p->dir == NULL) {
		errf(p, path, 0, NULL, NULL, "out of memory");
		return;
	}
	p->file = path;
	p->main_file = main_file;
	p->buf = buf;
	p->len = len;
	p->pos = 0;
	p->lineno = 0;
	p->sec = SEC_NONE;
	int rc = ini_parse_stream(reader, p, handler, p);
	if (rc == -2)
		errf(p, path, 0, NULL, NULL, "out of memory");
	else if (rc != 0)
		errf(p, path, rc, NULL, NULL, "cannot parse this line");
	free(p->dir);
	p->dir = NULL;
	p->buf = NULL;
	if (!main_file)
		file_note(p, &stamp, first);
}

/*
 * Copy the parsed section src (of the hint) into dst, which ws_add made
 * (name, file and line are kept): every value as parsed, each string
 * duplicated; not the key (read_key's), not the base URL of a data center
 * (finalize's). Returns 0, or -1 on OOM (dst then holds only what it owns).
 */
static int ws_copy(struct ws_config *dst, const struct ws_config *src)
{
	char *file = dst->file;
	int line = dst->line;
	*dst = *src;
	/* No pointer of src may stay in dst: config_free would free it twice. */
	dst->file = file;
	dst->line = line;
	dst->license_code = NULL;
	dst->base_url = NULL;
	dst->key = NULL;
	dst->key_len = 0;
	dst->fingerprint[0] = '\0';
	memset(&dst->key_stamp, 0, sizeof(dst->key_stamp));
	dst->key_source = NULL;
	for (int k = 0; k < PATH_COUNT; k++)
		dst->paths[k] = NULL;
	bool oom = (dst->license_code = strdup(src->license_code)) == NULL ||
	           (dst->key_source = strdup(src->key_source)) == NULL ||
	           (src->base_url_set && (dst->base_url = strdup(src->base_url)) == NULL);
	for (int k = 0; k < PATH_COUNT && !oom; k++)
		oom = (dst->paths[k] = strdup(src->paths[k])) == NULL;
	return oom ? -1 : 0;
}

/*
 * The hint's record of the include file at path, or NULL. hint->files are
 * in path order, and so are the include files (sorted by name in one
 * directory), so one cursor walks both: linear in all.
 */
static const struct config_file *hint_file(struct parse *p, const char *path)
{
	const struct config *h = p->hint;
	while (h != NULL && p->hint_file < h->n_files) {
		const struct config_file *f = &h->files[p->hint_file];
		int c = strcmp(h->ws[f->first_ws].file, path);
		if (c > 0)
			return NULL;
		p->hint_file++;
		if (c == 0)
			return f;
	}
	return NULL;
}

/*
 * config_load_hint's way with an include file (name relative to at_fd, path
 * in messages): when the hint read it and a stat() says it has not changed
 * since (fstamp_unchanged), its sections are taken from the hint (ws_add's
 * checks, ws_copy, the keys' metadata for finalize) and it is noted again
 * under its old stamp. Returns false, having done nothing, when the file
 * is to be read (then read_all reports whatever is wrong with it).
 */
static bool replay_file(struct parse *p, int at_fd, const char *name, const char *path)
{
	const struct config_file *hf = hint_file(p, path);
	struct stat st;
	if (hf == NULL || fstatat(at_fd, name, &st, 0) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_dev == p->main_dev && st.st_ino == p->main_ino) ||
	    !fstamp_unchanged(&hf->stamp, &st))
		return false;
	size_t first = p->cfg->n_ws, i_kf = opt_index(CFG_WS, "api_key_file"),
	       i_kc = opt_index(CFG_WS, "api_key_credential");
	char label[LABEL_MAX];
	p->file = path;
	for (size_t k = 0; k < hf->n_ws; k++) {
		const struct ws_config *old = &p->hint->ws[hf->first_ws + k];
		struct sec_meta *m;
		p->lineno = old->line;
		struct ws_config *ws = ws_add(p, old->name, &m);
		if (ws == NULL)
			continue;
		if (ws_copy(ws, old) != 0) {
			errf(p, path, old->line, name_label(old->name, label, sizeof(label)), NULL,
			     "out of memory");
			continue;
		}
		/* A hint loaded without errors: every key given was accepted. */
		m->seen = m->set = old->set_opts;
		m->from = old;
		m->line[i_kf] = m->line[i_kc] = old->key_line;
	}
	p->file = NULL;
	file_note(p, &hf->stamp, first);
	return true;
}

/* True for a name include_dir takes: "*.conf", not hidden. */
static bool include_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

/* One *.conf of include_dir: its name and readdir's d_type. */
struct include_ent {
	char *name;
	unsigned char type;
};

static int cmp_includes(const void *a, const void *b)
{
	return strcmp(((const struct include_ent *)a)->name, ((const struct include_ent *)b)->name);
}

/*
 * Parse every *.conf of include_dir (not hidden, not directories, not the
 * main file), in strcmp order, at most CONFIG_MAX_INCLUDES of them. The
 * files are opened relative to the open directory (no path walk per file),
 * and what readdir says is a directory is skipped without a system call;
 * anything else is opened and read_all tells a directory (a symlink to
 * one, or a file system without d_type) or the main file from a file.
 */
static void load_includes(struct parse *p)
{
	const char *dir = p->cfg->include_dir;
	int line = p->daemon_meta.line[opt_index(CFG_DAEMON, "include_dir")];
	char q[ECHO_MAX * 4 + 8];
	DIR *d = opendir(dir);
	if (d == NULL) {
		errf(p, p->cfg->path, line, "[daemon]", "include_dir",
		     "expected a readable directory (%s), got '%s'", strerror(errno),
		     quote(dir, q, sizeof(q)));
		return;
	}
	struct include_ent *ents = NULL;
	size_t n = 0, cap = 0;
	bool failed = false;
	struct dirent *e;
	while (!failed && (e = readdir(d)) != NULL) {
		if (!include_name(e->d_name))
			continue;
		if (n == CONFIG_MAX_INCLUDES) {
			errf(p, p->cfg->path, line, "[daemon]", "include_dir",
			     "expected at most %d *.conf files in '%s'", CONFIG_MAX_INCLUDES,
			     quote(dir, q, sizeof(q)));
			failed = true;
			break;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct include_ent *grown = realloc(ents, ncap * sizeof(*ents));
			if (grown == NULL) {
				errf(p, p->cfg->path, line, "[daemon]", "include_dir",
				     "out of memory");
				failed = true;
				break;
			}
			ents = grown;
			cap = ncap;
		}
		ents[n].name = strdup(e->d_name);
		ents[n].type = e->d_type;
		if (ents[n].name == NULL) {
			errf(p, p->cfg->path, line, "[daemon]", "include_dir", "out of memory");
			failed = true;
			break;
		}
		n++;
	}
	if (!failed && n > 0)
		qsort(ents, n, sizeof(*ents), cmp_includes);
	for (size_t i = 0; i < n; i++) {
		char *path =
		        failed || ents[i].type == DT_DIR ? NULL : cfg_path_join(dir, ents[i].name);
		if (!failed && ents[i].type != DT_DIR && path == NULL) {
			errf(p, p->cfg->path, line, "[daemon]", "include_dir", "out of memory");
			failed = true;
		}
		if (path != NULL && !replay_file(p, dirfd(d), ents[i].name, path))
			load_file(p, dirfd(d), ents[i].name, path, false);
		free(path);
		free(ents[i].name);
	}
	free(ents);
	closedir(d);
}

/*
 * Take ws's key, fingerprint and stamp from p->hint (config_load_hint) when
 * the hint has a workspace of the same name (m->from when the section was
 * copied from the hint, else found by name) and key source whose key file,
 * at path, is unchanged by fstamp_unchanged and passes the secrecy
 * check: one stat() instead of open, fstat, read, close and a SHA-256. A
 * copy is taken (the hint stays intact: it is the configuration a failed
 * reload keeps). Returns whether it was taken; when not, nothing is
 * recorded: the caller reads the file, and that read reports any problem.
 */
/*
 * stat(path) for key_from_hint, relative to the open directory of the
 * last key file when path is in the same directory (they usually all are:
 * 10,000 key files, each a walk of every component of its path, were a
 * quarter of a reload). Falls back to stat(path) when the directory cannot
 * be opened. 0 or -1, as stat.
 */
static int key_stat(struct parse *p, const char *path, struct stat *st)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL || slash == path || slash[1] == '\0')
		return stat(path, st);
	size_t dlen = (size_t)(slash - path);
	if (p->key_dir == NULL || strlen(p->key_dir) != dlen ||
	    memcmp(p->key_dir, path, dlen) != 0) {
		if (p->key_dir != NULL)
			close(p->key_dirfd);
		free(p->key_dir);
		p->key_dir = strndup(path, dlen);
		p->key_dirfd =
		        p->key_dir ? open(p->key_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
		if (p->key_dirfd < 0) {
			free(p->key_dir);
			p->key_dir = NULL;
			return stat(path, st);
		}
	}
	return fstatat(p->key_dirfd, slash + 1, st, 0);
}

static bool key_from_hint(struct parse *p, struct ws_config *ws, const struct sec_meta *m,
                          const char *path)
{
	if (p->hint == NULL)
		return false;
	const struct ws_config *old = m->from ? m->from : config_find_ws(p->hint, ws->name);
	if (old == NULL || old->key == NULL || old->key_source == NULL ||
	    strcmp(old->key_source, ws->key_source) != 0)
		return false;
	struct stat st;
	char err[512];
	if (key_stat(p, path, &st) != 0 ||
	    secret_check_stat(&st, path, p->euid, err, sizeof(err)) != 0 ||
	    !fstamp_unchanged(&old->key_stamp, &st))
		return false;
	char *key = malloc(old->key_len + 1);
	if (key == NULL)
		return false;
	memcpy(key, old->key, old->key_len + 1);
	ws->key = key;
	ws->key_len = old->key_len;
	memcpy(ws->fingerprint, old->fingerprint, sizeof(ws->fingerprint));
	ws->key_stamp = old->key_stamp;
	return true;
}

/*
 * Read the API key of ws from its key source ("file PATH" or "credential
 * NAME") into ws->key and compute its fingerprint, unless the hint has it
 * (key_from_hint). Errors are recorded at the line of the key option.
 */
static void read_key(struct parse *p, struct ws_config *ws, const struct sec_meta *m)
{
	char label[LABEL_MAX], err[768], q[ECHO_MAX * 4 + 8];
	bool is_file = strncmp(ws->key_source, "file ", 5) == 0;
	const char *key_name = is_file ? "api_key_file" : "api_key_credential";
	int line = m->line[opt_index(CFG_WS, key_name)];
	char *path = NULL;
	if (is_file) {
		path = strdup(ws->key_source + 5);
		if (path == NULL) {
			errf(p, ws->file, line, ws_label(ws, label, sizeof(label)), key_name,
			     "out of memory");
			return;
		}
	} else {
		const char *name = ws->key_source + strlen("credential ");
		if (secret_credential_path(name, &path, err, sizeof(err)) != 0) {
			errf(p, ws->file, line, ws_label(ws, label, sizeof(label)), key_name,
			     "%s, got '%s'", err, quote(name, q, sizeof(q)));
			return;
		}
	}
	if (key_from_hint(p, ws, m, path)) {
		free(path);
		return;
	}
	if (secret_read_file(path, &ws->key, &ws->key_len, &ws->key_stamp, err, sizeof(err)) != 0)
		errf(p, ws->file, line, ws_label(ws, label, sizeof(label)), key_name, "%s", err);
	else if (secret_fingerprint(ws->key, ws->key_len, ws->fingerprint) != 0)
		errf(p, ws->file, line, ws_label(ws, label, sizeof(label)), key_name,
		     "cannot compute the key's fingerprint");
	free(path);
}

/*
 * [fleet]: a fleet shares a PostgreSQL store (an SQLite file is one
 * host's), and its member name, the host name unless member_name says
 * otherwise, must be a name the store accepts ([A-Za-z0-9._-]{1,64}).
 */
static void finalize_fleet(struct parse *p)
{
	struct config *cfg = p->cfg;
	const struct sec_meta *dm = &p->daemon_meta;
	if (!store_target_is_pg(cfg->database)) {
		errf(p, cfg->path, p->fleet_line, "[fleet]", NULL,
		     "a fleet needs a PostgreSQL store (database = postgresql://...); this "
		     "database is an SQLite file, which only one wegauged can use");
		return;
	}
	int line = dm->line[opt_index(CFG_FLEET, "member_name")];
	if (cfg->fleet_member == NULL) {
		char host[256] = "";
		if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
			errf(p, cfg->path, p->fleet_line, "[fleet]", "member_name",
			     "no host name to use as the member name: set member_name");
			return;
		}
		host[sizeof(host) - 1] = '\0';
		host[strcspn(host, ".")] = '\0'; /* the short name */
		cfg->fleet_member = strdup(host);
		line = p->fleet_line;
		if (cfg->fleet_member == NULL) {
			errf(p, cfg->path, line, "[fleet]", NULL, "out of memory");
			return;
		}
	}
	if (cfg_check_ws_name(cfg->fleet_member, strlen(cfg->fleet_member)) != CFG_OK) {
		char q[ECHO_MAX * 4 + 8];
		errf(p, cfg->path, line, "[fleet]", "member_name",
		     "expected 1 to 64 characters A-Z a-z 0-9 . _ - (the host name unless set), "
		     "got '%s'",
		     quote(cfg->fleet_member, q, sizeof(q)));
	}
}

/*
 * The checks that span keys, after every file: [daemon] cross-checks,
 * each workspace's required keys, inherited values, the data center's
 * base URL, and the API keys.
 */
static void finalize(struct parse *p)
{
	struct config *cfg = p->cfg;
	char label[LABEL_MAX], a[UNITS_BUF_LEN], b[UNITS_BUF_LEN];
	const struct sec_meta *dm = &p->daemon_meta;
	uint64_t base_bit = (uint64_t)1 << opt_index(CFG_DAEMON, "retry_base"),
	         cap_bit = (uint64_t)1 << opt_index(CFG_DAEMON, "retry_cap");
	/* Compared only when neither value was rejected (a rejected one is still the default). */
	bool retry_clean = ((dm->seen ^ dm->set) & (base_bit | cap_bit)) == 0;
	if (retry_clean && cfg->retry_cap_ms < cfg->retry_base_ms) {
		units_format_duration(cfg->retry_base_ms, a, sizeof(a));
		units_format_duration(cfg->retry_cap_ms, b, sizeof(b));
		if (dm->set & cap_bit)
			errf(p, cfg->path, dm->line[opt_index(CFG_DAEMON, "retry_cap")], "[daemon]",
			     "retry_cap", "expected at least retry_base (%s), got '%s'", a, b);
		else
			errf(p, cfg->path, dm->line[opt_index(CFG_DAEMON, "retry_base")],
			     "[daemon]", "retry_base", "expected at most retry_cap (%s), got '%s'",
			     b, a);
	}
	if (store_target_is_pg(cfg->database)) {
		char shown[16];
		if (store_target_redact(cfg->database, shown, sizeof(shown)) != 0)
			errf(p, cfg->path, dm->line[opt_index(CFG_DAEMON, "database")], "[daemon]",
			     "database",
			     "expected a path or a PostgreSQL connection string libpq can read "
			     "(postgresql://USER@HOST/DB or key=value pairs)");
	}
	if (cfg->database_password_file != NULL) {
		char err[768];
		struct fstamp st;
		int line = dm->line[opt_index(CFG_DAEMON, "database_password_file")];
		if (secret_read_file(cfg->database_password_file, &cfg->database_password,
		                     &cfg->database_password_len, &st, err, sizeof(err)) != 0)
			errf(p, cfg->path, line, "[daemon]", "database_password_file", "%s", err);
	}
	if (cfg->fleet)
		finalize_fleet(p);
	size_t i_kf = opt_index(CFG_WS, "api_key_file"),
	       i_kc = opt_index(CFG_WS, "api_key_credential");
	uint64_t lc_bit = (uint64_t)1 << opt_index(CFG_WS, "license_code"),
	         kf_bit = (uint64_t)1 << i_kf, kc_bit = (uint64_t)1 << i_kc;
	for (size_t w = 0; w < cfg->n_ws; w++) {
		struct ws_config *ws = &cfg->ws[w];
		const struct sec_meta *m = &p->ws_meta[w];
		/* "seen", not "set": a rejected value is reported already, not missing. */
		if (!(m->seen & lc_bit))
			errf(p, ws->file, ws->line, ws_label(ws, label, sizeof(label)),
			     "license_code", "missing; expected the workspace's license code");
		bool kf = m->seen & kf_bit, kc = m->seen & kc_bit;
		if (!kf && !kc) {
			errf(p, ws->file, ws->line, ws_label(ws, label, sizeof(label)), NULL,
			     "expected api_key_file or api_key_credential, got neither");
		} else if (kf && kc) {
			bool cred_later = m->line[i_kc] > m->line[i_kf];
			errf(p, ws->file, cred_later ? m->line[i_kc] : m->line[i_kf],
			     ws_label(ws, label, sizeof(label)),
			     cred_later ? "api_key_credential" : "api_key_file",
			     "expected either api_key_file or api_key_credential, not both (the "
			     "other is at line %d)",
			     cred_later ? m->line[i_kf] : m->line[i_kc]);
		}
		for (size_t i = 0; i < cfg_n_opts; i++)
			if (cfg_opts[i].scope == CFG_WS && cfg_opts[i].inherit >= 0 &&
			    !(m->set & ((uint64_t)1 << i)))
				cfg_inherit(&cfg_opts[i], cfg, ws);
		if (!ws->base_url_set) {
			free(ws->base_url);
			ws->base_url = strdup(cfg_dc_url(ws->data_center));
			if (ws->base_url == NULL)
				errf(p, ws->file, ws->line, ws_label(ws, label, sizeof(label)),
				     NULL, "out of memory");
		}
		if (kf != kc && (m->set & (kf_bit | kc_bit)) && ws->key_source != NULL)
			read_key(p, ws, m);
		/* What config_load_hint's replay_file needs of the section next time. */
		ws->set_opts = m->set;
		ws->key_line = kf ? m->line[i_kf] : m->line[i_kc];
	}
}

int config_load(const char *path, struct config **out, struct config_errors *errs)
{
	return config_load_hint(path, NULL, out, errs);
}

int config_load_hint(const char *path, const struct config *hint, struct config **out,
                     struct config_errors *errs)
{
	struct parse p;
	memset(&p, 0, sizeof(p));
	p.hint = hint;
	p.euid = geteuid();
	*out = NULL;
	errs->msg = NULL;
	errs->n = 0;
	p.errs = errs;
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (p.cfg == NULL || (p.cfg->path = strdup(path)) == NULL ||
	    cfg_apply_defaults(CFG_DAEMON, p.cfg) != 0 ||
	    cfg_apply_defaults(CFG_FLEET, p.cfg) != 0) {
		errf(&p, path, 0, NULL, NULL, "out of memory");
	} else {
		load_file(&p, AT_FDCWD, path, path, true);
		if (p.cfg->include_dir != NULL)
			load_includes(&p);
		finalize(&p);
	}
	if (p.n_errors > errs->n && errs->n > 0) {
		char msg[MSG_MAX];
		snprintf(msg, sizeof(msg), "%s: %zu more errors not shown", path,
		         p.n_errors - errs->n);
		push_msg(&p, msg);
	}
	free(p.ws_meta);
	free(p.rbuf);
	if (p.key_dir != NULL)
		close(p.key_dirfd);
	free(p.key_dir);
	if (p.n_errors > 0 || p.oom) {
		config_free(p.cfg);
		if (errs->n == 0) /* OOM even for the messages: try one short one */
			errf(&p, path, 0, NULL, NULL, "out of memory");
		return -1;
	}
	*out = p.cfg;
	return 0;
}

void config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n_ws; i++) {
		struct ws_config *ws = &cfg->ws[i];
		free(ws->license_code);
		free(ws->base_url);
		secret_free(ws->key, ws->key_len);
		free(ws->key_source);
		for (int k = 0; k < PATH_COUNT; k++)
			free(ws->paths[k]);
		free(ws->file);
	}
	free(cfg->ws);
	free(cfg->names);
	free(cfg->files);
	free(cfg->path);
	free(cfg->database);
	free(cfg->database_password_file);
	secret_free(cfg->database_password, cfg->database_password_len);
	free(cfg->include_dir);
	free(cfg->key_dir);
	free(cfg->metrics_listen);
	free(cfg->ca_file);
	free(cfg->fleet_member);
	free(cfg);
}

void config_errors_free(struct config_errors *errs)
{
	if (errs == NULL)
		return;
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

const struct ws_config *config_find_ws(const struct config *cfg, const char *name)
{
	if (cfg->names_cap > 0) {
		long i = name_find(cfg, name);
		return i >= 0 ? &cfg->ws[i] : NULL;
	}
	for (size_t i = 0; i < cfg->n_ws; i++)
		if (strcmp(cfg->ws[i].name, name) == 0)
			return &cfg->ws[i];
	return NULL;
}

const char *config_dc_name(enum data_center dc)
{
	switch (dc) {
	case DC_IN:
		return "in";
	case DC_KSA:
		return "ksa";
	case DC_GLOBAL:
	default:
		return "global";
	}
}

void config_print_summary(const struct config *cfg, FILE *f)
{
	fprintf(f, "configuration OK\n");
	for (size_t i = 0; i < cfg->n_ws; i++) {
		const struct ws_config *ws = &cfg->ws[i];
		char iv[UNITS_BUF_LEN], jt[UNITS_BUF_LEN], streams[64] = "";
		units_format_duration(ws->interval_ms, iv, sizeof(iv));
		units_format_duration(ws->jitter_ms, jt, sizeof(jt));
		for (int s = 0; s < STREAM_COUNT; s++) {
			if (!(ws->streams & (1u << s)))
				continue;
			if (streams[0] != '\0')
				strcat(streams, ",");
			strcat(streams, stream_name((enum stream)s));
		}
		/* key_source is "file PATH" or "credential NAME": shown as kind:where. */
		const char *src = ws->key_source ? ws->key_source : "none ?";
		const char *sp = strchr(src, ' ');
		int kind_len = sp ? (int)(sp - src) : (int)strlen(src);
		fprintf(f,
		        "%s  %s  interval=%s jitter=%s lookback=%dd streams=%s %s key=%.*s:%s "
		        "fp=%s\n",
		        ws->name, ws->base_url_set ? ws->base_url : config_dc_name(ws->data_center),
		        iv, jt, ws->lookback_days, streams, ws->enabled ? "enabled" : "disabled",
		        kind_len, src, sp ? sp + 1 : "", ws->fingerprint);
	}
}
