/*
 * cli_args.c: parsing the wegauge command line (cli_args.h).
 *
 * One table lists every option: its names, whether it takes a value, and
 * the commands that accept it. The parser walks argv once, takes the first
 * word that is not an option as the command, and records every option
 * with the position it was given; only after the walk, when the command
 * is known, is each option checked against it, so that options may come
 * before or after the command.
 */
#include "cli_args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

const char cli_usage[] =
        "usage: wegauge [-d DB | -c CONFIG] COMMAND [OPTIONS]\n"
        "\n"
        "Read the wegauge store (read-only; never blocks wegauged).\n"
        "\n"
        "commands:\n"
        "  status                 each workspace's state, last success, next pull;\n"
        "                         exit 0 when every enabled workspace is connected, else 1\n"
        "  report                 channel utilization over the last N UTC days and the change\n"
        "                         against the N days before; latest active users per platform\n"
        "    --days N             window in days, today included (default 30, at most 3650)\n"
        "    --html FILE          also write a self-contained HTML report with charts to FILE\n"
        "  seats                  seats per workspace, active within 30/60/90 days, utilization\n"
        "    --inactive DURATION  also list members not logged in within DURATION (e.g. 30d)\n"
        "  pulls                  the pull log, newest first\n"
        "    --failed             only pulls whose status is not ok\n"
        "    --last N             at most N pulls (default 50)\n"
        "  overview               every workspace at once, ranked: seats nobody uses (and\n"
        "                         their cost with seat_price), channels not used or falling,\n"
        "                         workspaces that need a reconnect or are failing or stale,\n"
        "                         deliveries and active users against the previous window\n"
        "    --days N             window in days, today included (default 30, at most 3650)\n"
        "    --limit N            rows per ranking (default 20 in a table, all in csv and\n"
        "                         json; 0: all)\n"
        "    --sort KEY           unused, cost, utilization, deliveries, dau, channels or name\n"
        "    --html FILE          also write the overview as one self-contained HTML page\n"
        "    --html-dir DIR       also write DIR/index.html and one page per workspace\n"
        "  fleet                  the wegauged of a fleet on this PostgreSQL store: heartbeat\n"
        "                         age, live, lease, workspaces, leases held, fingerprint\n"
        "\n"
        "options of these commands:\n"
        "  -d, --database DB      the store: a SQLite file or a PostgreSQL connection string\n"
        "                         (postgresql://USER@HOST:PORT/DBNAME; password from ~/.pgpass)\n"
        "                         (default: the database key of CONFIG)\n"
        "  -c, --config CONFIG    wegauged's configuration (default /etc/wegauge/wegauged.conf)\n"
        "  --workspace NAME       only this workspace\n"
        "  --format table|csv|json  output format (default table)\n"
        "\n"
        "Connect a workspace (writes CONFIG's include_dir and key_dir; reloads wegauged):\n"
        "  connect NAME           a new workspace; the API key is read from standard input\n"
        "                         (one line; a terminal gets a prompt without echo)\n"
        "    --license-code LC    its WebEngage license code (required)\n"
        "    --data-center DC     global, in or ksa (default global)\n"
        "    --base-url URL       instead of the data center's API host\n"
        "    --key-file FILE      read the API key from FILE instead of standard input\n"
        "    --interval DURATION  its own pull interval (e.g. 15m)\n"
        "    --streams LIST       e.g. stats,campaigns (default: all four)\n"
        "  reconnect NAME         a new API key (standard input or --key-file), and\n"
        "                         optionally --license-code, --data-center or --base-url\n"
        "    --keep-key           keep the key: probe it again (fixed on WebEngage's side)\n"
        "  disconnect NAME        remove the workspace; its history stays in the store\n"
        "    --keep-key           leave its key file in place\n"
        "  options of all three:\n"
        "    -c, --config CONFIG  wegauged's configuration\n"
        "    --wait DURATION      how long to wait for the daemon's verdict (default 30s;\n"
        "                         0: do not wait)\n"
        "    --unit UNIT          reload this systemd unit (default wegauged.service)\n"
        "    --pid PID            send SIGHUP to PID instead of using systemd\n"
        "    --no-reload          write and check the files only\n"
        "\n"
        "  -h, --help             this text\n"
        "  --version              the version of wegauge and of the store schema it reads\n"
        "\n"
        "exit status: 0 success; 1 failure (status: a workspace not connected; connect and\n"
        "reconnect: the key was refused or no verdict came); 2 usage error; 78 the\n"
        "configuration would be invalid (connect, reconnect, disconnect changed nothing)\n";

#define CMD_STATUS     (1u << CLI_CMD_STATUS)
#define CMD_REPORT     (1u << CLI_CMD_REPORT)
#define CMD_SEATS      (1u << CLI_CMD_SEATS)
#define CMD_PULLS      (1u << CLI_CMD_PULLS)
#define CMD_OVERVIEW   (1u << CLI_CMD_OVERVIEW)
#define CMD_FLEET      (1u << CLI_CMD_FLEET)
#define CMD_CONNECT    (1u << CLI_CMD_CONNECT)
#define CMD_RECONNECT  (1u << CLI_CMD_RECONNECT)
#define CMD_DISCONNECT (1u << CLI_CMD_DISCONNECT)
#define CMD_READ       (CMD_STATUS | CMD_REPORT | CMD_SEATS | CMD_PULLS | CMD_OVERVIEW | CMD_FLEET)
#define CMD_WRITE      (CMD_CONNECT | CMD_RECONNECT | CMD_DISCONNECT)
#define CMD_ANY        (CMD_READ | CMD_WRITE)

enum opt_id {
	OPT_DATABASE,
	OPT_CONFIG,
	OPT_FORMAT,
	OPT_WORKSPACE,
	OPT_DAYS,
	OPT_HTML,
	OPT_HTML_DIR,
	OPT_LIMIT,
	OPT_SORT,
	OPT_INACTIVE,
	OPT_FAILED,
	OPT_LAST,
	OPT_HELP,
	OPT_VERSION,
	OPT_LICENSE_CODE,
	OPT_DATA_CENTER,
	OPT_BASE_URL,
	OPT_KEY_FILE,
	OPT_INTERVAL,
	OPT_STREAMS,
	OPT_WAIT,
	OPT_NO_RELOAD,
	OPT_UNIT,
	OPT_PID,
	OPT_KEEP_KEY,
	OPT_COUNT
};

struct opt {
	enum opt_id id;
	char short_name; /* 0 when none */
	const char *long_name;
	bool has_value;
	unsigned cmds; /* CMD_* bits of the commands that take it */
};

static const struct opt opts[] = {
        {OPT_DATABASE, 'd', "database", true, CMD_READ},
        {OPT_CONFIG, 'c', "config", true, CMD_ANY},
        {OPT_FORMAT, 0, "format", true, CMD_READ},
        {OPT_WORKSPACE, 0, "workspace", true, CMD_READ & ~CMD_FLEET},
        {OPT_DAYS, 0, "days", true, CMD_REPORT | CMD_OVERVIEW},
        {OPT_HTML, 0, "html", true, CMD_REPORT | CMD_OVERVIEW},
        {OPT_HTML_DIR, 0, "html-dir", true, CMD_OVERVIEW},
        {OPT_LIMIT, 0, "limit", true, CMD_OVERVIEW},
        {OPT_SORT, 0, "sort", true, CMD_OVERVIEW},
        {OPT_INACTIVE, 0, "inactive", true, CMD_SEATS},
        {OPT_FAILED, 0, "failed", false, CMD_PULLS},
        {OPT_LAST, 0, "last", true, CMD_PULLS},
        {OPT_HELP, 'h', "help", false, CMD_ANY},
        {OPT_VERSION, 0, "version", false, CMD_ANY},
        {OPT_LICENSE_CODE, 0, "license-code", true, CMD_CONNECT | CMD_RECONNECT},
        {OPT_DATA_CENTER, 0, "data-center", true, CMD_CONNECT | CMD_RECONNECT},
        {OPT_BASE_URL, 0, "base-url", true, CMD_CONNECT | CMD_RECONNECT},
        {OPT_KEY_FILE, 0, "key-file", true, CMD_CONNECT | CMD_RECONNECT},
        {OPT_INTERVAL, 0, "interval", true, CMD_CONNECT},
        {OPT_STREAMS, 0, "streams", true, CMD_CONNECT},
        {OPT_WAIT, 0, "wait", true, CMD_WRITE},
        {OPT_NO_RELOAD, 0, "no-reload", false, CMD_WRITE},
        {OPT_UNIT, 0, "unit", true, CMD_WRITE},
        {OPT_PID, 0, "pid", true, CMD_WRITE},
        {OPT_KEEP_KEY, 0, "keep-key", false, CMD_RECONNECT | CMD_DISCONNECT},
};

static const char *const cmd_names[] = {NULL,       "status", "report",  "seats",     "pulls",
                                        "overview", "fleet",  "connect", "reconnect", "disconnect"};

/* The sort keys of overview --sort (cli_overview.h says what each orders). */
static const char *const sort_keys[] = {"unused", "cost",     "utilization", "deliveries",
                                        "dau",    "channels", "name"};

__attribute__((format(printf, 3, 4))) static int usage_err(char *err, size_t errlen,
                                                           const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

bool cli_ws_name_ok(const char *s)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++) {
		char c = s[n];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
		if (n >= 64)
			return false;
	}
	return n >= 1;
}

/* True when every byte of s is one of set, or an ASCII letter or digit, and s has 1 to max bytes. */
static bool word_ok(const char *s, const char *set, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr(set, c) != NULL))
			return false;
	}
	return true;
}

/*
 * True for a value that can go into an INI line as it is: 1 to max bytes
 * of printable ASCII without spaces (inih would cut it at a blank and a
 * " ;", and a newline would start another line).
 */
static bool ini_value_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* A decimal integer in [min, max], nothing else. 0 or -1. */
static int parse_int(const char *s, long min, long max, int *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	char *end;
	long v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* Look up a long name ("days", without dashes) or a short letter. */
static const struct opt *find_opt(const char *long_name, size_t len, char short_name)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		if (short_name != 0 && opts[i].short_name == short_name)
			return &opts[i];
		if (long_name != NULL && strlen(opts[i].long_name) == len &&
		    memcmp(opts[i].long_name, long_name, len) == 0)
			return &opts[i];
	}
	return NULL;
}

/* Store the value of one option in o; a usage error names it as given (spelled). */
static int apply(const struct opt *op, const char *spelled, const char *v, struct cli_opts *o,
                 char *err, size_t errlen)
{
	int64_t ms;
	switch (op->id) {
	case OPT_DATABASE:
		if (*v == '\0')
			return usage_err(err, errlen, "%s: expected a path", spelled);
		o->database = v;
		break;
	case OPT_CONFIG:
		if (*v == '\0')
			return usage_err(err, errlen, "%s: expected a path", spelled);
		o->config = v;
		break;
	case OPT_FORMAT:
		if (cli_format_parse(v, &o->format) != 0)
			return usage_err(err, errlen, "%s: expected table, csv or json, got '%s'",
			                 spelled, v);
		o->format_set = true;
		break;
	case OPT_WORKSPACE:
		if (!cli_ws_name_ok(v))
			return usage_err(
			        err, errlen,
			        "%s: expected a workspace name (1 to 64 of A-Z a-z 0-9 . _ -)",
			        spelled);
		o->workspace = v;
		break;
	case OPT_DAYS:
		if (parse_int(v, 1, CLI_DAYS_MAX, &o->days) != 0)
			return usage_err(err, errlen,
			                 "%s: expected a whole number of days, 1 to %d", spelled,
			                 CLI_DAYS_MAX);
		break;
	case OPT_HTML:
		if (*v == '\0' || strcmp(v, "-") == 0)
			return usage_err(err, errlen, "%s: expected a file name", spelled);
		o->html = v;
		break;
	case OPT_HTML_DIR:
		if (*v == '\0')
			return usage_err(err, errlen, "%s: expected a directory", spelled);
		o->html_dir = v;
		break;
	case OPT_LIMIT:
		if (parse_int(v, 0, CLI_LIMIT_MAX, &o->limit) != 0)
			return usage_err(err, errlen,
			                 "%s: expected a whole number, 0 to %d (0: all)", spelled,
			                 CLI_LIMIT_MAX);
		break;
	case OPT_SORT: {
		size_t k = 0, n = sizeof(sort_keys) / sizeof(sort_keys[0]);
		while (k < n && strcmp(v, sort_keys[k]) != 0)
			k++;
		if (k == n)
			return usage_err(err, errlen,
			                 "%s: expected unused, cost, utilization, deliveries, dau, "
			                 "channels or name, got '%s'",
			                 spelled, v);
		o->sort = sort_keys[k];
		break;
	}
	case OPT_INACTIVE: {
		size_t n = strlen(v);
		bool unit = n > 0 && !(v[n - 1] >= '0' && v[n - 1] <= '9');
		if (!unit || units_parse_duration(v, &ms) != 0 || ms < 1000)
			return usage_err(
			        err, errlen,
			        "%s: expected a duration with a unit of at least 1s, such as "
			        "30d, 12h or 90m",
			        spelled);
		o->inactive_s = ms / 1000;
		break;
	}
	case OPT_LAST:
		if (parse_int(v, 1, CLI_LAST_MAX, &o->last) != 0)
			return usage_err(err, errlen, "%s: expected a whole number, 1 to %d",
			                 spelled, CLI_LAST_MAX);
		break;
	case OPT_FAILED:
		o->failed = true;
		break;
	case OPT_LICENSE_CODE:
		if (!word_ok(v, "~_-", 64))
			return usage_err(
			        err, errlen,
			        "%s: expected a license code (1 to 64 of A-Z a-z 0-9 ~ _ -)",
			        spelled);
		o->license_code = v;
		break;
	case OPT_DATA_CENTER:
		if (strcmp(v, "global") != 0 && strcmp(v, "in") != 0 && strcmp(v, "ksa") != 0)
			return usage_err(err, errlen, "%s: expected global, in or ksa, got '%s'",
			                 spelled, v);
		o->data_center = v;
		break;
	case OPT_BASE_URL:
		if (!ini_value_ok(v, 2048))
			return usage_err(err, errlen,
			                 "%s: expected a URL (1 to 2048 printable characters, no "
			                 "spaces)",
			                 spelled);
		o->base_url = v;
		break;
	case OPT_KEY_FILE:
		if (*v == '\0')
			return usage_err(err, errlen, "%s: expected a file name", spelled);
		o->key_file = v;
		break;
	case OPT_INTERVAL:
		if (units_parse_duration(v, &ms) != 0 || !word_ok(v, "", 32))
			return usage_err(err, errlen, "%s: expected a duration such as 15m or 1h",
			                 spelled);
		o->interval = v;
		break;
	case OPT_STREAMS:
		if (!word_ok(v, "_, ", 128))
			return usage_err(
			        err, errlen,
			        "%s: expected a list such as stats,campaigns,active_users,team",
			        spelled);
		o->streams = v;
		break;
	case OPT_WAIT:
		if (units_parse_duration(v, &ms) != 0 || ms > CLI_WAIT_MAX_MS)
			return usage_err(err, errlen,
			                 "%s: expected a duration of at most 1h, such as 30s",
			                 spelled);
		o->wait_ms = ms;
		o->wait_set = true;
		break;
	case OPT_NO_RELOAD:
		o->no_reload = true;
		break;
	case OPT_UNIT:
		if (!word_ok(v, "@._-:\\", 256))
			return usage_err(err, errlen, "%s: expected a systemd unit name", spelled);
		o->unit = v;
		break;
	case OPT_PID: {
		int pid;
		if (parse_int(v, 2, 2147483647L, &pid) != 0)
			return usage_err(err, errlen, "%s: expected a process id (2 or more)",
			                 spelled);
		o->pid = pid;
		break;
	}
	case OPT_KEEP_KEY:
		o->keep_key = true;
		break;
	case OPT_HELP:
		o->help = true;
		break;
	case OPT_VERSION:
		o->version = true;
		break;
	case OPT_COUNT:
	default:
		break;
	}
	return 0;
}

/* What connect, reconnect and disconnect need together, once every option is known. */
static int check_write_opts(const struct cli_opts *o, const char *const *given, char *err,
                            size_t errlen)
{
	const char *cmd = cmd_names[o->cmd];
	if (o->name == NULL)
		return usage_err(err, errlen, "%s: expected the workspace's name", cmd);
	if (o->cmd == CLI_CMD_CONNECT && o->license_code == NULL)
		return usage_err(err, errlen, "connect: expected --license-code LC");
	if (o->data_center != NULL && o->base_url != NULL)
		return usage_err(err, errlen, "give either --data-center or --base-url, not both");
	if (o->keep_key && o->key_file != NULL)
		return usage_err(err, errlen, "give either --keep-key or --key-file, not both");
	if (o->no_reload && (given[OPT_PID] != NULL || given[OPT_UNIT] != NULL))
		return usage_err(err, errlen, "--no-reload takes neither --pid nor --unit");
	if (given[OPT_PID] != NULL && given[OPT_UNIT] != NULL)
		return usage_err(err, errlen, "give either --pid or --unit, not both");
	return 0;
}

int cli_args_parse(int argc, char **argv, struct cli_opts *o, char *err, size_t errlen)
{
	*o = (struct cli_opts){.format = CLI_FMT_TABLE,
	                       .days = CLI_DAYS_DEFAULT,
	                       .last = CLI_LAST_DEFAULT,
	                       .limit = -1,
	                       .wait_ms = CLI_WAIT_DEFAULT_MS,
	                       .unit = "wegauged.service"};
	const char *given[OPT_COUNT] = {0}; /* how each option was spelled, NULL if absent */
	bool only_words = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_words || a[0] != '-' || a[1] == '\0') {
			if (o->cmd != CLI_CMD_NONE && CLI_CMD_WRITES(o->cmd) && o->name == NULL) {
				if (!cli_ws_name_ok(a))
					return usage_err(
					        err, errlen,
					        "%s: expected a workspace name (1 to 64 of "
					        "A-Z a-z 0-9 . _ -), got '%s'",
					        cmd_names[o->cmd], a);
				o->name = a;
				continue;
			}
			if (o->cmd != CLI_CMD_NONE)
				return usage_err(err, errlen, "unexpected argument '%s'", a);
			for (int c = CLI_CMD_STATUS; c <= CLI_CMD_DISCONNECT; c++)
				if (strcmp(a, cmd_names[c]) == 0)
					o->cmd = (enum cli_cmd)c;
			if (o->cmd == CLI_CMD_NONE)
				return usage_err(
				        err, errlen,
				        "unknown command '%s': expected status, report, "
				        "seats, pulls, overview, fleet, connect, reconnect "
				        "or disconnect",
				        a);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_words = true;
			continue;
		}
		const struct opt *op;
		const char *value = NULL;
		if (a[1] == '-') {
			const char *name = a + 2;
			const char *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			op = find_opt(name, len, 0);
			if (op == NULL)
				return usage_err(err, errlen, "unknown option '%.*s'", (int)len + 2,
				                 a);
			if (eq != NULL && !op->has_value)
				return usage_err(err, errlen, "--%s takes no value", op->long_name);
			value = eq ? eq + 1 : NULL;
		} else {
			op = find_opt(NULL, 0, a[1]);
			if (op == NULL)
				return usage_err(err, errlen, "unknown option '-%c'", a[1]);
			if (a[2] != '\0') {
				if (!op->has_value)
					return usage_err(err, errlen, "unknown option '%s'", a);
				value = a + 2;
			}
		}
		if (op->has_value && value == NULL) {
			if (i + 1 >= argc)
				return usage_err(err, errlen, "--%s: expected a value",
				                 op->long_name);
			value = argv[++i];
		}
		char spelled[32];
		snprintf(spelled, sizeof(spelled), "--%s", op->long_name);
		if (apply(op, spelled, value, o, err, errlen) != 0)
			return -1;
		given[op->id] = op->long_name;
	}
	if (o->help || o->version)
		return 0;
	if (o->cmd == CLI_CMD_NONE)
		return usage_err(err, errlen,
		                 "expected a command: status, report, seats, pulls, overview, "
		                 "fleet, connect, reconnect or disconnect");
	for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		if (given[opts[k].id] != NULL && !(opts[k].cmds & (1u << o->cmd)))
			return usage_err(err, errlen, "%s does not take --%s", cmd_names[o->cmd],
			                 opts[k].long_name);
	}
	if (o->database != NULL && o->config != NULL)
		return usage_err(err, errlen, "give either --database or --config, not both");
	return CLI_CMD_WRITES(o->cmd) ? check_write_opts(o, given, err, errlen) : 0;
}
