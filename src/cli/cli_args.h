/*
 * cli_args.h: the command line of the wegauge tool (docs/operator.md).
 *
 *   wegauge [-d DB | -c CONFIG] COMMAND [OPTIONS]
 *   COMMAND: status | report | seats | pulls | overview | fleet
 *   wegauge [-c CONFIG] connect | reconnect | disconnect NAME [OPTIONS]
 *
 * The first word that is not an option is the command; connect,
 * reconnect and disconnect take the workspace name as the second.
 * Options may come before or after the command; each is checked against
 * the commands that take it. Long options take their value as
 * "--days 7" or "--days=7", short ones as "-d DB" or "-dDB"; "--" ends
 * the options. A repeated option keeps its last value.
 */
#ifndef WEGAUGE_CLI_ARGS_H
#define WEGAUGE_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli_out.h"

enum cli_cmd {
	CLI_CMD_NONE = 0,
	CLI_CMD_STATUS,
	CLI_CMD_REPORT,
	CLI_CMD_SEATS,
	CLI_CMD_PULLS,
	CLI_CMD_OVERVIEW,
	CLI_CMD_FLEET,
	CLI_CMD_CONNECT,
	CLI_CMD_RECONNECT,
	CLI_CMD_DISCONNECT
};

/* True for the commands that change the configuration (cli_connect.h). */
#define CLI_CMD_WRITES(c) ((c) >= CLI_CMD_CONNECT)

#define CLI_DAYS_DEFAULT 30
#define CLI_DAYS_MAX     3650
#define CLI_LAST_DEFAULT 50
#define CLI_LAST_MAX     1000000
#define CLI_LIMIT_MAX    1000000
/* overview --limit when not given: this many rows per section in the table format, all in csv
 * and json (cli_overview.h) */
#define CLI_LIMIT_TABLE     20
#define CLI_WAIT_DEFAULT_MS 30000
#define CLI_WAIT_MAX_MS     3600000

struct cli_opts {
	enum cli_cmd cmd;
	const char *database;   /* -d, --database: NULL when not given */
	const char *config;     /* -c, --config: NULL when not given */
	enum cli_format format; /* --format, default table */
	bool format_set;
	int days;              /* report --days, 1 .. CLI_DAYS_MAX */
	const char *workspace; /* --workspace NAME (any command), NULL for all */
	int64_t inactive_s;    /* seats --inactive DURATION in seconds, 0 when not given */
	bool failed;           /* pulls --failed */
	int last;              /* pulls --last, 1 .. CLI_LAST_MAX */
	const char *html;      /* report, overview --html FILE, NULL when not given */
	const char *html_dir;  /* overview --html-dir DIR, NULL when not given */
	int limit;             /* overview --limit N, 0 = all; -1 when not given */
	const char *sort;      /* overview --sort KEY (cli_overview.h), NULL when not given */
	bool help, version;

	/* connect, reconnect, disconnect (cli_connect.h); NULL when not given. */
	const char *name;         /* the workspace, the word after the command */
	const char *license_code; /* --license-code: [A-Za-z0-9~_-]{1,64} */
	const char *data_center;  /* --data-center: global, in or ksa */
	const char *base_url;     /* --base-url: printable ASCII, no spaces */
	const char *key_file;     /* --key-file */
	const char *interval;     /* --interval: a duration, as given */
	const char *streams;      /* --streams: a list of stream names, as given */
	int64_t wait_ms;          /* --wait: 0 .. CLI_WAIT_MAX_MS, default CLI_WAIT_DEFAULT_MS */
	bool wait_set;
	bool no_reload;   /* --no-reload */
	const char *unit; /* --unit, default wegauged.service */
	long pid;         /* --pid, 0 when not given */
	bool keep_key;    /* --keep-key (reconnect, disconnect) */
};

/*
 * Parse argv[1..argc-1] into *o (strings point into argv). Returns 0, or
 * -1 for a usage error with one line in err naming the option or word and
 * what was expected. With -h/--help or --version the command may be
 * missing.
 */
int cli_args_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen);

/* True for a workspace name of docs/operator.md: [A-Za-z0-9._-]{1,64}. */
bool cli_ws_name_ok(const char *s);

/* The usage text printed by -h. */
extern const char cli_usage[];

#endif
