/*
 * config.h: the configuration of wegauged (docs/operator.md, "Configuration").
 *
 * config_load() reads the main INI file and every *.conf of include_dir
 * (sorted by name) with inih, checks every key against the option table
 * in config.c, reads each workspace's API key into memory and returns one
 * immutable struct config. Nothing is half-applied: on any error the
 * caller gets the list of errors and no configuration, so a reload can
 * keep the old one.
 *
 * Secrets: the API key is held only in ws_config.key. It is never printed,
 * never part of an error message; ws_config.fingerprint (the first 8 bytes
 * of its SHA-256, in hex) is what may be logged and stored.
 */
#ifndef WEGAUGE_CONFIG_H
#define WEGAUGE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fstamp.h"

#define CONFIG_DEFAULT_PATH "/etc/wegauge/wegauged.conf"
#define WS_NAME_MAX         64
#define FINGERPRINT_LEN     17 /* 16 hex digits and NUL */

enum data_center { DC_GLOBAL = 0, DC_IN, DC_KSA };

enum sync_mode { SYNC_NORMAL = 0, SYNC_FULL };

/* syslog priorities, as log_level takes them. */
enum log_level { LOGL_ERR = 3, LOGL_WARNING = 4, LOGL_NOTICE = 5, LOGL_INFO = 6, LOGL_DEBUG = 7 };

/*
 * The endpoint paths of docs/api.md. Each is a template under the base URL and
 * may use {lc} (the license code) and, for campaigns, {channel} (the
 * channel's path, e.g. push-notifications). Overridable per workspace
 * because docs/api.md's reporting endpoints are a stand-in (see docs/api.md).
 */
enum api_path {
	PATH_PROBE = 0,
	PATH_STATS,
	PATH_CAMPAIGNS,
	PATH_ACTIVE_USERS,
	PATH_TEAM,
	PATH_COUNT
};

/* The defaults of docs/api.md: the one place they are written. */
#define PATH_DEFAULT_PROBE        "/v1/survey/response/wegauge-probe"
#define PATH_DEFAULT_STATS        "/v2/accounts/{lc}/stats"
#define PATH_DEFAULT_CAMPAIGNS    "/v1/accounts/{lc}/{channel}"
#define PATH_DEFAULT_ACTIVE_USERS "/v1/accounts/{lc}/publisher-metrics"
#define PATH_DEFAULT_TEAM         "/v1/accounts/{lc}/team-members"

/*
 * One workspace section. Every pointer in it is owned by the struct config
 * that holds it. config.c's ws_copy duplicates a section for
 * config_load_hint: a new pointer member needs a line there (and in
 * config_free), a new value member is copied as it is.
 */
struct ws_config {
	char name[WS_NAME_MAX + 1]; /* [A-Za-z0-9._-]{1,64} */
	char *license_code;         /* [A-Za-z0-9~_-]{1,64}: safe in a URL path */
	enum data_center data_center;
	char *base_url;     /* effective: base_url if set, else the data center's; no trailing / */
	bool base_url_set;  /* base_url was given explicitly */
	bool loopback_http; /* base_url is http:// to a loopback host */
	char *key;          /* the API key; secret */
	size_t key_len;
	char fingerprint[FINGERPRINT_LEN];
	struct fstamp key_stamp; /* the key file as it was read (config_load_hint) */
	char *key_source; /* "file /etc/wegauge/keys/x.key" or "credential NAME": never the key */
	int64_t interval_ms;   /* inherited from [daemon] unless set */
	int64_t jitter_ms;     /* inherited from [daemon] unless set */
	int lookback_days;     /* inherited from [daemon] unless set, 1..90 */
	int64_t seat_price_e4; /* seat_price in 1/10000 per seat and month; -1 none; inherited */
	char currency[4];      /* ISO 4217 code of seat_price; inherited from [daemon] */
	unsigned streams;      /* bit (1u << enum stream) per enabled stream */
	bool enabled;
	char *paths[PATH_COUNT]; /* templates, defaults as above */
	char *file;              /* where the section was: file and line */
	int line;
	uint64_t set_opts; /* config.c's: bit i, cfg_opts[i] was given in the section */
	int key_line;      /* config.c's: the line of api_key_file or api_key_credential */
};

/*
 * config.c's own record of a *.conf file of include_dir that held
 * workspaces: its stamp when read and its sections, cfg->ws[first_ws ..
 * first_ws + n_ws) (their file names it). config_load_hint takes the
 * sections of a file whose stamp is unchanged from the hint instead of
 * reading and parsing the file again.
 */
struct config_file {
	struct fstamp stamp;
	size_t first_ws, n_ws;
};

struct config {
	char *path;     /* the main file */
	char *database; /* default /var/lib/wegauge/wegauge.db */
	/*
	 * A PostgreSQL store (database is a postgresql:// URI or a conninfo):
	 * the file holding its password (NULL when unset; libpq's own
	 * ~/.pgpass, PGPASSFILE and PGPASSWORD apply then), checked like an
	 * API key file and read at load into database_password (wiped when
	 * freed; never logged), and how many bytes of committed streams may
	 * wait for the server (store_queue_max, 256MiB).
	 */
	char *database_password_file;
	char *database_password;
	size_t database_password_len;
	uint64_t store_queue_max;
	char *include_dir;     /* NULL when unset */
	char *key_dir;         /* /etc/wegauge/keys: where `wegauge connect` puts keys */
	int64_t interval_ms;   /* 1h */
	int64_t jitter_ms;     /* 30s */
	int lookback_days;     /* 7 */
	int64_t seat_price_e4; /* seat_price in 1/10000 per seat and month; -1 none (default) */
	char currency[4];  /* USD: the ISO 4217 code of seat_price, unless a workspace sets one */
	int max_in_flight; /* 64, 1..4096 */
	int max_per_host;  /* 16, 1..4096 */
	int64_t connect_timeout_ms; /* 10s */
	int64_t request_timeout_ms; /* 60s */
	uint64_t max_response;      /* 32MiB, 1KiB..1GiB */
	uint64_t low_speed_limit;   /* 100 bytes/s: a body slower than this ... */
	int64_t low_speed_time_ms;  /* ... for 30s is cut (0 = off) */
	int page_size;              /* 100, 1..10000 */
	int max_pages;              /* 1000, 1..1000000 */
	int max_stream_rows;        /* 250000: rows one stream may hold before its commit */
	uint64_t max_stream_bytes;  /* 128MiB: bytes one stream's rows may hold before commit */
	uint64_t max_parse_memory;  /* 128MiB: the parser's memory for one answer */
	int retry_max;              /* 5, 0..100 */
	int64_t retry_base_ms;      /* 1s */
	int64_t retry_cap_ms;       /* 5m */
	int retry_budget_pct;       /* 10: retries at most this % of requests per minute */
	int64_t shutdown_grace_ms;  /* 10s */
	enum sync_mode sqlite_synchronous;  /* normal */
	int64_t sqlite_busy_timeout_ms;     /* 1s: how long one statement may wait for a lock */
	uint64_t sqlite_journal_size_limit; /* 64MiB: WAL size kept after a checkpoint */
	char *metrics_listen;               /* NULL = off; "127.0.0.1:9464" */
	char *ca_file;                      /* NULL = system CAs only */
	enum log_level log_level;           /* info */

	/*
	 * [fleet] (docs/operations.md, "Running a fleet"): several wegauged
	 * share the workspaces of one PostgreSQL store. fleet is true when the
	 * section is present (a fleet needs a PostgreSQL database: config_load
	 * refuses it on SQLite); member_name defaults to the host name.
	 */
	bool fleet;
	char *fleet_member;     /* member_name: [A-Za-z0-9._-]{1,64} */
	int64_t fleet_lease_ms; /* lease: 30s, 3s..10m; heartbeats every lease / 3 */

	struct ws_config *ws; /* every [workspace] section, in file order */
	size_t n_ws;

	/*
	 * config.c's own: an open-addressing table of ws by name (index + 1, 0
	 * free; names_cap a power of two, at least twice n_ws) for
	 * config_find_ws. A configuration built by hand leaves both 0 and is
	 * searched linearly.
	 */
	size_t *names;
	size_t names_cap;
	struct config_file *files; /* config.c's: the include files read, in load order */
	size_t n_files;
};

/* A list of error messages, each naming file, line, key and what was expected. */
struct config_errors {
	char **msg;
	size_t n;
};

/*
 * Load and validate the configuration at path. errs is overwritten (its
 * previous content is not freed). On success returns 0, *out (free with
 * config_free) and no messages. On failure returns -1, *out is NULL and
 * errs holds at least one message (free with config_errors_free): every
 * error found, in file order, up to 100 plus one line saying how many
 * more there were. Each has the form
 *   FILE:LINE: [section] key: what was expected, got 'value'
 * and never quotes a value that could be a secret.
 * Keys are read relative to nothing: api_key_file must be absolute or
 * relative to the directory of the file that names it;
 * api_key_credential is looked up in $CREDENTIALS_DIRECTORY.
 */
int config_load(const char *path, struct config **out, struct config_errors *errs);

/*
 * config_load with the configuration now in use (hint, may be NULL; only
 * read, and it may be freed once this returns) as a cache of what did not
 * change since hint was loaded, by fstamp_unchanged (fstamp.h: the same
 * device, inode, size, mtime and ctime, not changed within FSTAMP_RACY_NS
 * of that read):
 *  - a *.conf of include_dir, stat()ed, not read: its workspace sections
 *    are copied from hint as they were parsed; what depends on other files
 *    is done again (duplicate names, the bound on workspaces, the values
 *    inherited from [daemon], the data center's URL, the API key);
 *  - a key file, stat()ed and its secrecy checked, not read: the key and
 *    fingerprint of hint's workspace of the same name and key source.
 * The main file is always read. Anything else (no such entry in hint, a
 * changed or racy stamp, a failed check) is read as config_load reads it,
 * with the same errors. The result is the one config_load would return.
 */
int config_load_hint(const char *path, const struct config *hint, struct config **out,
                     struct config_errors *errs);
void config_free(struct config *cfg);
void config_errors_free(struct config_errors *errs);

/* The workspace of that name, or NULL. O(1) for a configuration from config_load. */
const struct ws_config *config_find_ws(const struct config *cfg, const char *name);

/* "global", "in", "ksa". */
const char *config_dc_name(enum data_center dc);

/*
 * Write the `-t` summary: "configuration OK" and one line per workspace:
 *   NAME  DC|BASE_URL  interval=15m jitter=30s lookback=3d streams=stats,campaigns
 *   enabled|disabled key=file:PATH|credential:NAME fp=16-hex-digits
 * (one line; the base URL replaces the data center when base_url is set).
 * Never the key.
 */
void config_print_summary(const struct config *cfg, FILE *f);

#endif
