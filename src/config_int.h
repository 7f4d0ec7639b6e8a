/*
 * config_int.h: the inside of the configuration module, shared by
 * config.c (files, sections, errors, keys) and config_table.c (the option
 * table and the value parsers). Not for other modules: they use config.h.
 *
 * The option table follows fluent-bit's config maps: one row per key with
 * its section, type, destination offset, bounds and default text. Defaults
 * are applied by parsing their text with the same code as an operator's
 * value, so a default can never be something an operator could not write.
 */
#ifndef WEGAUGE_CONFIG_INT_H
#define WEGAUGE_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum cfg_scope { CFG_DAEMON = 0, CFG_WS, CFG_FLEET };

enum cfg_type {
	CT_STRING,         /* non-empty text without control characters (char *) */
	CT_DIR,            /* a directory, relative to the naming file's directory (char *) */
	CT_FILE,           /* a readable regular file, relative as CT_DIR (char *) */
	CT_DURATION,       /* units_parse_duration, ms within [min, max] (int64_t) */
	CT_SIZE,           /* units_parse_size, bytes within [min, max] (uint64_t) */
	CT_INT,            /* decimal digits within [min, max] (int) */
	CT_BOOL,           /* true/false/yes/no/on/off/1/0, any case (bool) */
	CT_DC,             /* global | in | ksa (enum data_center) */
	CT_SYNC,           /* normal | full (enum sync_mode) */
	CT_LOGLEVEL,       /* debug | info | notice | warning | err (enum log_level) */
	CT_STREAMS,        /* comma-separated stream names (unsigned bit set) */
	CT_BASE_URL,       /* ws_config.base_url, base_url_set, loopback_http */
	CT_LISTEN,         /* loopback host:port (char *) */
	CT_LICENSE,        /* [A-Za-z0-9~_-]{1,64} (char *) */
	CT_API_PATH,       /* "/..." template with {lc} (and {channel}) (char *) */
	CT_KEY_FILE,       /* ws_config.key_source = "file PATH" */
	CT_KEY_CREDENTIAL, /* ws_config.key_source = "credential NAME" */
	CT_PRICE,          /* "none" (-1) or a decimal, at most 4 places, to 1/10000 (int64_t) */
	CT_CURRENCY,       /* three letters A-Z, ISO 4217 (char[4]) */
};

#define CFG_EMPTY_UNSET 0x1u /* an empty value leaves the option unset (NULL, or no base URL) */
#define CFG_CHANNEL     0x2u /* CT_API_PATH: {channel} is allowed */

/* At most this many rows in the table: config.c keeps "set" bits in a uint64_t. */
#define CFG_MAX_OPTS 64

struct cfg_opt {
	const char *name;
	enum cfg_type type;
	enum cfg_scope scope;
	size_t offset;    /* into struct config (CFG_DAEMON) or struct ws_config (CFG_WS) */
	int64_t min, max; /* CT_INT, CT_DURATION (ms), CT_SIZE (bytes) */
	const char *def;  /* the default as an operator would write it; NULL: none */
	unsigned flags;   /* CFG_* */
	long inherit;     /* CFG_WS: offset in struct config of the value taken when unset; -1 */
};

extern const struct cfg_opt cfg_opts[];
extern const size_t cfg_n_opts;

/* The option name in scope, or NULL. Its index is (opt - cfg_opts). */
const struct cfg_opt *cfg_opt_find(enum cfg_scope scope, const char *name);

/* What cfg_opt_set returns. */
#define CFG_OK      0
#define CFG_BAD     (-1) /* value rejected: the message may quote it */
#define CFG_BAD_RAW (-2) /* value rejected and may hold a secret: never quote it */

/*
 * Parse value for option o and store it into base (a struct config or a
 * struct ws_config as o->scope says); dir is the directory of the file
 * the value came from, for relative paths. Strings are malloc'd and owned
 * by base (a previous string is freed). On rejection returns CFG_BAD or
 * CFG_BAD_RAW and writes into why what was expected ("expected a duration
 * from 100ms to 30d"), without the value; base is unchanged.
 */
int cfg_opt_set(const struct cfg_opt *o, void *base, const char *value, const char *dir, char *why,
                size_t whylen);

/*
 * Apply every default of scope to base. Inherited options are left alone
 * (the caller copies them once the [daemon] section is known). Returns 0,
 * or -1 on OOM.
 */
int cfg_apply_defaults(enum cfg_scope scope, void *base);

/* Copy the [daemon] value of an inherited option o into ws. */
void cfg_inherit(const struct cfg_opt *o, const struct config *cfg, struct ws_config *ws);

/* The base URL of a data center (docs/api.md). */
const char *cfg_dc_url(enum data_center dc);

/*
 * The value checkers behind the table, exposed for unit tests. Each
 * returns CFG_OK or CFG_BAD / CFG_BAD_RAW with why filled as above.
 */
int cfg_parse_bool(const char *s, bool *out);
int cfg_check_ws_name(const char *s, size_t n);
int cfg_parse_streams(const char *s, unsigned *out, char *why, size_t whylen);
int cfg_check_base_url(const char *s, char **out, bool *loopback_http, char *why, size_t whylen);
int cfg_check_listen(const char *s, char *why, size_t whylen);
int cfg_check_api_path(const char *s, bool allow_channel, char *why, size_t whylen);

/* dir + "/" + path unless path is absolute or dir is "."; malloc'd, NULL on OOM. */
char *cfg_path_join(const char *dir, const char *path);

#endif
