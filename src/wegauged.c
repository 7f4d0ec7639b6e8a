/*
 * wegauged.c: the collector daemon's command line (docs/operator.md,
 * "Programs"). Everything else is the daemon's (daemon.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "config.h"
#include "daemon.h"
#include "fdlimit.h"
#include "http.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: wegauged [-c FILE] [-t] [--once [--workspace NAME]...]\n"
	           "\n"
	           "  -c, --config FILE     configuration (default " CONFIG_DEFAULT_PATH ")\n"
	           "  -t, --check-config    validate the configuration, print it, exit 0 or 78\n"
	           "      --once            pull every enabled workspace once, then exit\n"
	           "      --workspace NAME  with --once: only this workspace (repeatable)\n"
	           "      --version         print the version\n"
	           "  -h, --help            this text\n"
	           "\n"
	           "Signals: SIGHUP reload, SIGTERM/SIGINT stop, SIGUSR1 state to the log.\n"
	           "See wegauged(8) and wegauged.conf(5).\n");
}

/*
 * -t: load, print the summary or the errors. A configuration whose
 * descriptor budget (fdlimit.h) exceeds this process's hard limit on open
 * files is refused as the start would refuse it (exit 78, the message on
 * stderr).
 */
static int check_config(const char *path)
{
	struct config *cfg = NULL;
	struct config_errors errs = {0};
	if (config_load(path, &cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		config_errors_free(&errs);
		return EXIT_CONFIG;
	}
	/* As the start would: the descriptor budget against this process's hard limit. */
	struct fdlimit_budget b;
	char err[512];
	fdlimit_budget_of(cfg, cfg->metrics_listen != NULL, &b);
	if (fdlimit_check(&b, false, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(cfg);
		return EXIT_CONFIG;
	}
	config_print_summary(cfg, stdout);
	config_free(cfg);
	return 0;
}

int main(int argc, char **argv)
{
	enum { OPT_ONCE = 256, OPT_WORKSPACE, OPT_VERSION };
	static const struct option longopts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"check-config", no_argument, NULL, 't'},
	        {"once", no_argument, NULL, OPT_ONCE},
	        {"workspace", required_argument, NULL, OPT_WORKSPACE},
	        {"version", no_argument, NULL, OPT_VERSION},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	struct daemon_args args = {.config_path = CONFIG_DEFAULT_PATH};
	char **only = calloc((size_t)argc, sizeof(*only));
	bool check = false;
	int c;
	if (!only) {
		fprintf(stderr, "wegauged: out of memory\n");
		return EXIT_RUNTIME;
	}
	args.only = only;
	while ((c = getopt_long(argc, argv, "c:th", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			args.config_path = optarg;
			break;
		case 't':
			check = true;
			break;
		case OPT_ONCE:
			args.once = true;
			break;
		case OPT_WORKSPACE:
			only[args.n_only++] = optarg;
			break;
		case OPT_VERSION:
			printf("wegauged %s\n", WEGAUGE_VERSION);
			free(only);
			return 0;
		case 'h':
			usage(stdout);
			free(only);
			return 0;
		default:
			usage(stderr);
			free(only);
			return EXIT_CONFIG;
		}
	}
	if (optind < argc || (args.n_only > 0 && !args.once)) {
		fprintf(stderr,
		        optind < argc ? "wegauged: unexpected argument '%s'\n"
		                      : "wegauged: --workspace needs --once%s\n",
		        optind < argc ? argv[optind] : "");
		usage(stderr);
		free(only);
		return EXIT_CONFIG;
	}
	int rc;
	if (check) {
		rc = check_config(args.config_path);
	} else {
		if (http_global_init() != 0) {
			fprintf(stderr, "wegauged: libcurl failed to initialise\n");
			free(only);
			return EXIT_RUNTIME;
		}
		rc = daemon_run(&args);
		curl_global_cleanup();
	}
	free(only);
	return rc;
}
