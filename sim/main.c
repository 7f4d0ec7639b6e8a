/*
 * main.c: wesim's command line. Four modes: serve (the default), --list,
 * --describe and --expect; --help prints everything. Every flag value is
 * validated here with a message naming the flag; a bad command line exits
 * 2, a setup failure 1, a clean stop 0.
 */
#include "wesim.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define WESIM_VERSION "0.1.0"

static const char usage[] =
        "Usage: wesim [OPTIONS]                 serve the WebEngage API of docs/api.md\n"
        "       wesim --list [--show-keys]       print \"name license_code [key]\" per account\n"
        "       wesim --describe                 print each account's traits (JSON lines)\n"
        "       wesim --expect LC|all --from DAY --to DAY\n"
        "                                        print the rows a correct collector stores\n"
        "\n"
        "Accounts and data (same values for the same seed; see docs/wesim.md):\n"
        "  --workspaces N        accounts ws-0001..ws-N, 1..9999 (default 3)\n"
        "  --seed S              data seed, decimal or 0x hex (default 1)\n"
        "  --accounts FILE       per-account overrides, re-read on SIGHUP:\n"
        "                        \"ws-0001 lc=.. key=.. revision=N revoked=yes|no\n"
        "                         rate_limit=N disabled=SMS,WHATSAPP\" (every field optional)\n"
        "\n"
        "Server:\n"
        "  --listen ADDR         loopback address: 127.0.0.0/8 or ::1 (default 127.0.0.1)\n"
        "  --port N              TCP port, 0 picks a free one (default 0)\n"
        "  --port-file F         write the port to F (atomically) once listening\n"
        "  --write-config DIR    once listening, write DIR/wegauged.conf, DIR/workspaces.d/,\n"
        "                        DIR/keys/ (0600 keys, 0700 dirs) and DIR/wesim.accounts\n"
        "  --config-extra LINE   a line for [daemon] of wegauged.conf (repeatable, max 32)\n"
        "  --tls-cert F --tls-key F   serve HTTPS with this PEM certificate chain and key\n"
        "  --rate-limit N        requests per minute per account and endpoint (default 1000)\n"
        "  --latency MS[:JITTER] delay every API answer MS plus 0..JITTER ms (default 0)\n"
        "  --max-connections N   concurrent connections, more get 503 (default 1024)\n"
        "  --max-body BYTES      request body limit, e.g. 64KiB (default 64KiB)\n"
        "  --log-size N          requests kept per account for /_wesim/log (default 1000)\n"
        "  --cache-size BYTES    rendered-page cache, 0 = off (default 64MiB)\n"
        "  --quiet               no start/stop lines on stderr\n"
        "\n"
        "Faults (deterministic by seed, request, license code and repeat count):\n"
        "  --fault-rate P        probability 0..1 that an API answer is faulted (default 0)\n"
        "  --faults LIST         all (default), none, or a comma list of: 500 502 503 429\n"
        "                        429s 429d 503s stall reset short badchunk truncated\n"
        "                        malformed envelope slow oversized pagecount\n"
        "  --oversize BYTES      oversized bodies are BYTES + 64KiB long (default 40MiB)\n"
        "  --retry-after S       Retry-After of 429s/429d/503s, 1..3600 s (default 1)\n"
        "  --slow-rate BPS       bytes per second of the slow fault (default 64)\n"
        "  --stall-ms MS         how long a stall lasts before a close (default 60000)\n"
        "\n"
        "Control while running (never faulted): GET /_wesim/stats, POST /_wesim/reset,\n"
        "GET|POST /_wesim/control?fault_rate=P&faults=L&latency=MS[:J]&rate_limit=N&...,\n"
        "GET /_wesim/log?lc=LC, POST /_wesim/reload, GET /_wesim/accounts.\n"
        "Signals: SIGHUP reloads --accounts, SIGTERM/SIGINT stop cleanly.\n"
        "Exit status: 0 clean stop, 1 runtime failure, 2 bad command line.\n";

enum {
	O_WORKSPACES = 256,
	O_SEED,
	O_ACCOUNTS,
	O_LISTEN,
	O_PORT,
	O_PORT_FILE,
	O_WRITE_CONFIG,
	O_CONFIG_EXTRA,
	O_TLS_CERT,
	O_TLS_KEY,
	O_RATE_LIMIT,
	O_LATENCY,
	O_MAX_CONN,
	O_MAX_BODY,
	O_LOG_SIZE,
	O_CACHE,
	O_QUIET,
	O_FAULT_RATE,
	O_FAULTS,
	O_OVERSIZE,
	O_RETRY_AFTER,
	O_SLOW_RATE,
	O_STALL_MS,
	O_LIST,
	O_SHOW_KEYS,
	O_DESCRIBE,
	O_EXPECT,
	O_FROM,
	O_TO,
	O_VERSION,
};

static const struct option longopts[] = {
        {"workspaces", required_argument, NULL, O_WORKSPACES},
        {"seed", required_argument, NULL, O_SEED},
        {"accounts", required_argument, NULL, O_ACCOUNTS},
        {"listen", required_argument, NULL, O_LISTEN},
        {"port", required_argument, NULL, O_PORT},
        {"port-file", required_argument, NULL, O_PORT_FILE},
        {"write-config", required_argument, NULL, O_WRITE_CONFIG},
        {"config-extra", required_argument, NULL, O_CONFIG_EXTRA},
        {"tls-cert", required_argument, NULL, O_TLS_CERT},
        {"tls-key", required_argument, NULL, O_TLS_KEY},
        {"rate-limit", required_argument, NULL, O_RATE_LIMIT},
        {"latency", required_argument, NULL, O_LATENCY},
        {"max-connections", required_argument, NULL, O_MAX_CONN},
        {"max-body", required_argument, NULL, O_MAX_BODY},
        {"log-size", required_argument, NULL, O_LOG_SIZE},
        {"cache-size", required_argument, NULL, O_CACHE},
        {"quiet", no_argument, NULL, O_QUIET},
        {"fault-rate", required_argument, NULL, O_FAULT_RATE},
        {"faults", required_argument, NULL, O_FAULTS},
        {"oversize", required_argument, NULL, O_OVERSIZE},
        {"retry-after", required_argument, NULL, O_RETRY_AFTER},
        {"slow-rate", required_argument, NULL, O_SLOW_RATE},
        {"stall-ms", required_argument, NULL, O_STALL_MS},
        {"list", no_argument, NULL, O_LIST},
        {"show-keys", no_argument, NULL, O_SHOW_KEYS},
        {"describe", no_argument, NULL, O_DESCRIBE},
        {"expect", required_argument, NULL, O_EXPECT},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"version", no_argument, NULL, O_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

static int bad(const char *flag, const char *what)
{
	fprintf(stderr, "wesim: %s: %s (see wesim --help)\n", flag, what);
	return 2;
}

static int parse_seed(const char *s, uint64_t *out)
{
	if (strncmp(s, "0x", 2) == 0 || strncmp(s, "0X", 2) == 0) {
		const char *h = s + 2;
		size_t n = strlen(h);
		if (n == 0 || n > 16 || strspn(h, "0123456789abcdefABCDEF") != n)
			return -1;
		*out = strtoull(h, NULL, 16);
		return 0;
	}
	return validate_uint(s, 0, UINT64_MAX, out);
}

static int parse_u32(const char *s, uint64_t min, uint64_t max, uint32_t *out)
{
	uint64_t v;
	if (validate_uint(s, min, max, &v) != 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* --list / --describe: load the accounts (with --accounts) and print one line each. */
static int run_list(const struct wsim_opts *o, bool show_keys, bool describe)
{
	struct wsim_accounts set;
	char err[512];
	if (accounts_load(o->accounts_path, o->seed, o->workspaces, o->rate_limit, &set, stderr,
	                  err, sizeof(err)) != 0) {
		fprintf(stderr, "wesim: %s\n", err);
		return 1;
	}
	for (uint32_t i = 0; i < set.n; i++) {
		const struct wsim_account *a = &set.v[i];
		if (describe) {
			struct jb b;
			jb_init(&b, 1u << 20);
			describe_account(&b, o->seed, a);
			if (!b.oom)
				printf("%.*s\n", (int)b.len, b.p);
			jb_free(&b);
		} else if (show_keys) {
			printf("%s %s %s\n", a->name, a->lc, a->key);
		} else {
			printf("%s %s\n", a->name, a->lc);
		}
	}
	accounts_free(&set);
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct wsim_opts o;
	memset(&o, 0, sizeof(o));
	o.seed = 1;
	o.workspaces = 3;
	o.listen = "127.0.0.1";
	o.rate_limit = 1000;
	o.faults = ((1u << F_COUNT) - 1) & ~1u;
	o.oversize = 40ull << 20;
	o.retry_after_s = 1;
	o.slow_rate = 64;
	o.stall_ms = 60000;
	o.max_connections = 1024;
	o.max_body = 64 * 1024;
	o.log_size = 1000;
	o.cache_bytes = 64ull << 20;
	bool list = false, show_keys = false, describe = false;
	const char *expect = NULL, *from = NULL, *to = NULL;
	char err[512];
	uint64_t u;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return 0;
		case O_VERSION:
			printf("wesim %s\n", WESIM_VERSION);
			return 0;
		case O_WORKSPACES:
			if (parse_u32(optarg, 1, WSIM_MAX_ACCOUNTS, &o.workspaces))
				return bad("--workspaces", "expected an integer from 1 to 9999");
			break;
		case O_SEED:
			if (parse_seed(optarg, &o.seed))
				return bad("--seed",
				           "expected a 64-bit integer, decimal or 0x hex");
			break;
		case O_ACCOUNTS:
			o.accounts_path = optarg;
			break;
		case O_LISTEN:
			o.listen = optarg;
			break;
		case O_PORT:
			if (validate_uint(optarg, 0, 65535, &u))
				return bad("--port", "expected an integer from 0 to 65535");
			o.port = (int)u;
			break;
		case O_PORT_FILE:
			o.port_file = optarg;
			break;
		case O_WRITE_CONFIG:
			o.write_config = optarg;
			break;
		case O_CONFIG_EXTRA:
			if (o.nconfig_extra >= WSIM_MAX_EXTRA)
				return bad("--config-extra", "at most 32 lines");
			if (strpbrk(optarg, "\r\n"))
				return bad("--config-extra", "a line must not contain a newline");
			o.config_extra[o.nconfig_extra++] = optarg;
			break;
		case O_TLS_CERT:
			o.tls_cert = optarg;
			break;
		case O_TLS_KEY:
			o.tls_key = optarg;
			break;
		case O_RATE_LIMIT:
			if (parse_u32(optarg, 1, WSIM_MAX_RATE, &o.rate_limit))
				return bad("--rate-limit",
				           "expected an integer from 1 to 1000000000");
			break;
		case O_LATENCY:
			if (validate_latency(optarg, &o.latency_ms, &o.jitter_ms))
				return bad("--latency", "expected MS or MS:JITTER, each 0..600000");
			break;
		case O_MAX_CONN:
			if (parse_u32(optarg, 1, 1000000, &o.max_connections))
				return bad("--max-connections",
				           "expected an integer from 1 to 1000000");
			break;
		case O_MAX_BODY:
			if (validate_size(optarg, 64ull << 20, &u) || u == 0)
				return bad("--max-body",
				           "expected a size from 1 to 64MiB (e.g. 64KiB)");
			o.max_body = (uint32_t)u;
			break;
		case O_LOG_SIZE:
			if (parse_u32(optarg, 0, 100000, &o.log_size))
				return bad("--log-size", "expected an integer from 0 to 100000");
			break;
		case O_CACHE:
			if (validate_size(optarg, 16ull << 30, &o.cache_bytes))
				return bad("--cache-size",
				           "expected a size up to 16GiB (e.g. 64MiB)");
			break;
		case O_QUIET:
			o.quiet = true;
			break;
		case O_FAULT_RATE:
			if (validate_rate(optarg, &o.fault_rate))
				return bad("--fault-rate", "expected a probability from 0 to 1");
			break;
		case O_FAULTS:
			if (faults_parse(optarg, &o.faults, err, sizeof(err)))
				return bad("--faults", err);
			break;
		case O_OVERSIZE:
			if (validate_size(optarg, 1ull << 40, &o.oversize) || o.oversize == 0)
				return bad("--oversize",
				           "expected a size such as 40MiB (at most 1TiB)");
			break;
		case O_RETRY_AFTER:
			if (parse_u32(optarg, 1, 3600, &o.retry_after_s))
				return bad("--retry-after", "expected seconds from 1 to 3600");
			break;
		case O_SLOW_RATE:
			if (parse_u32(optarg, 1, 100000000, &o.slow_rate))
				return bad("--slow-rate",
				           "expected bytes per second, 1..100000000");
			break;
		case O_STALL_MS:
			if (parse_u32(optarg, 1, 3600000, &o.stall_ms))
				return bad("--stall-ms", "expected milliseconds, 1..3600000");
			break;
		case O_LIST:
			list = true;
			break;
		case O_SHOW_KEYS:
			show_keys = true;
			break;
		case O_DESCRIBE:
			describe = true;
			break;
		case O_EXPECT:
			expect = optarg;
			break;
		case O_FROM:
			from = optarg;
			break;
		case O_TO:
			to = optarg;
			break;
		case ':':
			return bad(argv[optind - 1], "needs a value");
		default:
			return bad(optind > 0 && optind <= argc ? argv[optind - 1] : "?",
			           "unknown option");
		}
	}
	if (optind < argc)
		return bad(argv[optind], "unexpected argument");
	if ((o.tls_cert != NULL) != (o.tls_key != NULL))
		return bad("--tls-cert/--tls-key", "give both or neither");
	if ((list || describe) + (expect != NULL) > 1 || (list && describe))
		return bad("--list/--describe/--expect", "choose one mode");
	if (show_keys && !list)
		return bad("--show-keys", "only with --list");
	if ((from || to) && !expect)
		return bad("--from/--to", "only with --expect");
	bool v6;
	if (server_loopback_only(o.listen, &v6, err, sizeof(err)) != 0)
		return bad("--listen", "only loopback addresses are served (127.0.0.0/8 or ::1)");
	if (list || describe)
		return run_list(&o, show_keys, describe);
	if (expect) {
		int64_t d0, d1;
		if (!from || wsim_parse_day(from, strlen(from), &d0))
			return bad("--from", "expected a day YYYY-MM-DD");
		if (!to || wsim_parse_day(to, strlen(to), &d1))
			return bad("--to", "expected a day YYYY-MM-DD");
		struct wsim_accounts set;
		if (accounts_load(o.accounts_path, o.seed, o.workspaces, o.rate_limit, &set, stderr,
		                  err, sizeof(err)) != 0) {
			fprintf(stderr, "wesim: %s\n", err);
			return 1;
		}
		int rc = expect_run(stdout, o.seed, &set, expect, d0, d1, err, sizeof(err));
		accounts_free(&set);
		if (rc != 0) {
			fprintf(stderr, "wesim: %s\n", err);
			return strstr(err, "write error") ? 1 : 2;
		}
		return 0;
	}
	return server_run(&o);
}
