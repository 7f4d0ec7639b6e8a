/*
 * wegauge.c: main() of `wegauge`, the operator's tool over the store
 * (docs/operator.md): find the store (a SQLite file or a PostgreSQL
 * database), open it read-only, run one command, print its result, exit.
 *
 * Exit status: 0 success; 1 a runtime failure (no such database, not a
 * wegauge store, schema too new or too old, a query or write failed), and
 * for `status` also "some enabled workspace is not connected"; 2 a usage
 * error; 78 for connect, reconnect and disconnect, whose configuration
 * would be invalid (cli_connect.h). Every failure is one line on stderr
 * starting "wegauge: ".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_args.h"
#include "cli_cmd.h"
#include "cli_conf.h"
#include "cli_connect.h"
#include "cli_db.h"
#include "cli_fleet.h"
#include "cli_out.h"
#include "cli_overview.h"
#include "secret.h"
#include "store_migrate.h"
#include "store_target.h"

#define EXIT_USAGE 2

/* What a page is written from: the report of one or all workspaces, or the overview. */
struct page_src {
	struct cli_db *db;
	const struct cli_opts *o;
	wall_s now;
	const struct overview *ov; /* the overview's page when set, else the report's */
	const char *links;         /* the overview's links to the workspaces' pages */
};

/*
 * Write one HTML page to path (what names it in an error) through a
 * temporary file beside it that is renamed over path when complete, so a
 * reader never sees half a page. 0, or -1 with err.
 */
static int write_page(const struct page_src *src, const char *what, const char *path, char *err,
                      size_t errlen)
{
	size_t n = strlen(path);
	if (n > CLI_PATH_MAX) {
		snprintf(err, errlen, "%s: a path of at most %d bytes expected", what,
		         CLI_PATH_MAX);
		return -1;
	}
	char tmp[CLI_PATH_MAX + 16];
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: cannot create a file beside it: %s", what, path,
		         strerror(errno));
		return -1;
	}
	mode_t mask = umask(0);
	umask(mask);
	FILE *f = fdopen(fd, "w");
	if (f == NULL || fchmod(fd, 0666 & ~mask) != 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		if (f != NULL)
			fclose(f);
		else
			close(fd);
		unlink(tmp);
		return -1;
	}
	int rc = src->ov != NULL ? cli_overview_html(src->ov, src->o, src->links, f, err, errlen)
	                         : cli_html_report(src->db, src->o, src->now, f, err, errlen);
	if (fclose(f) != 0 && rc == 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
		rc = -1;
	}
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* mkdir path unless it is a directory already. 0, or -1 with err. */
static int make_dir(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	if (mkdir(path, 0777) == 0 ||
	    (errno == EEXIST && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)))
		return 0;
	snprintf(err, errlen, "--html-dir %s: %s", path,
	         errno == EEXIST ? "exists and is not a directory" : strerror(errno));
	return -1;
}

/*
 * overview --html FILE and --html-dir DIR: the overview's page to FILE;
 * to DIR/index.html, linked to DIR/w/NAME.html, one `report --html` page
 * per workspace of the overview. 0, or -1 with err.
 */
static int write_overview_pages(struct cli_db *db, const struct cli_opts *o, wall_s now,
                                const struct overview *ov, char *err, size_t errlen)
{
	int rc = 0;
	struct page_src src = {db, o, now, ov, NULL};
	if (o->html != NULL)
		rc = write_page(&src, "--html", o->html, err, errlen);
	if (rc == 0 && o->html_dir != NULL) {
		char path[CLI_PATH_MAX + 96];
		if (strlen(o->html_dir) > CLI_PATH_MAX) {
			snprintf(err, errlen, "--html-dir: a path of at most %d bytes expected",
			         CLI_PATH_MAX);
			rc = -1;
		}
		snprintf(path, sizeof(path), "%s/w", o->html_dir);
		if (rc == 0)
			rc = make_dir(o->html_dir, err, errlen);
		if (rc == 0)
			rc = make_dir(path, err, errlen);
		for (size_t i = 0; i < ov->n && rc == 0; i++) {
			struct cli_opts one = *o;
			one.workspace = ov->ws[i].name;
			struct page_src ws = {db, &one, now, NULL, NULL};
			snprintf(path, sizeof(path), "%s/w/%s.html", o->html_dir, ov->ws[i].name);
			rc = write_page(&ws, "--html-dir", path, err, errlen);
		}
		snprintf(path, sizeof(path), "%s/index.html", o->html_dir);
		src.links = "w/";
		if (rc == 0)
			rc = write_page(&src, "--html-dir", path, err, errlen);
	}
	return rc;
}

/*
 * overview: read the store once (with the daily deliveries when a page is
 * asked for), write the pages, then the sections into r. 0, or -1 with err.
 */
static int run_overview(struct cli_db *db, const struct cli_opts *o, wall_s now,
                        struct cli_result *r, char *err, size_t errlen)
{
	struct overview ov;
	bool pages = o->html != NULL || o->html_dir != NULL;
	int rc = cli_overview_load(db, o, now, pages, &ov, err, errlen);
	if (rc == 0 && pages)
		rc = write_overview_pages(db, o, now, &ov, err, errlen);
	if (rc == 0) {
		size_t limit = o->limit >= 0 ? (size_t)o->limit
		                             : (o->format == CLI_FMT_TABLE ? CLI_LIMIT_TABLE : 0);
		rc = cli_overview_sections(&ov, o, limit, r, err, errlen);
	}
	cli_overview_free(&ov);
	return rc;
}

/* Run the command of o on the open store; print its result. The exit status. */
static int run(struct cli_db *db, const struct cli_opts *o, char *err, size_t errlen)
{
	wall_s now = (wall_s)time(NULL);
	if (cli_db_begin(db, err, errlen) != 0 || cli_check_workspace(db, o, err, errlen) != 0)
		return EXIT_FAILURE;
	/* report and overview --html FILE write the page, then print as usual. */
	if (o->html != NULL && o->cmd != CLI_CMD_OVERVIEW) {
		struct page_src src = {db, o, now, NULL, NULL};
		if (write_page(&src, "--html", o->html, err, errlen) != 0)
			return EXIT_FAILURE;
	}

	struct cli_result r = {0};
	int healthy = 1, rc;
	bool none = false;
	char note[256] = ""; /* fleet: a line besides the rows (cli_cmd_fleet) */
	switch (o->cmd) {
	case CLI_CMD_STATUS:
		rc = cli_cmd_status(db, o, &r, &healthy, err, errlen);
		break;
	case CLI_CMD_REPORT:
		rc = cli_cmd_report(db, o, now, &r, err, errlen);
		break;
	case CLI_CMD_SEATS:
		rc = cli_cmd_seats(db, o, now, &r, err, errlen);
		break;
	case CLI_CMD_PULLS:
		rc = cli_cmd_pulls(db, o, &r, err, errlen);
		break;
	case CLI_CMD_OVERVIEW:
		rc = run_overview(db, o, now, &r, err, errlen);
		break;
	case CLI_CMD_FLEET:
		rc = cli_cmd_fleet(db, o, &r, &none, note, sizeof(note), err, errlen);
		break;
	case CLI_CMD_NONE:
	default:
		snprintf(err, errlen, "no command");
		rc = -1;
		break;
	}
	/*
	 * fleet without members: the table format is that one line; csv and
	 * json print their empty result and the line on stderr, as they do the
	 * fingerprint warning, which the table format has as its footer.
	 */
	bool alone = none && o->format == CLI_FMT_TABLE;
	if (rc == 0 &&
	    (alone ? printf("%s\n", note) < 0 : cli_render(stdout, &r, o->format) != 0)) {
		snprintf(err, errlen, "cannot write the output: %s", strerror(errno));
		rc = -1;
	}
	if (rc == 0 && note[0] != '\0' && o->format != CLI_FMT_TABLE)
		fprintf(stderr, "wegauge: %s\n", note);
	cli_result_free(&r);
	if (rc != 0)
		return EXIT_FAILURE;
	return healthy ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char **argv)
{
	struct cli_opts o;
	char err[1024] = "";
	if (cli_args_parse(argc, argv, &o, err, sizeof(err)) != 0) {
		fprintf(stderr, "wegauge: %s (see wegauge -h)\n", err);
		return EXIT_USAGE;
	}
	if (o.help) {
		fputs(cli_usage, stdout);
		return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	if (o.version) {
		printf("wegauge %s (store schema %d)\n", WEGAUGE_VERSION, store_schema_version());
		return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
	}
	if (CLI_CMD_WRITES(o.cmd)) {
		setvbuf(stdout, NULL, _IOLBF, 0); /* progress shows as it happens, also in a log */
		int rc = cli_connect_run(&o, stdin, stdout, stderr);
		return fflush(stdout) == 0 ? rc : EXIT_FAILURE;
	}

	/*
	 * The store: -d as given, or the configuration's database (and, for
	 * PostgreSQL, its database_password_file). With -d, libpq's own
	 * password sources apply (PGPASSWORD, ~/.pgpass, the string itself).
	 */
	char database[CLI_PATH_MAX + 1];
	char *password = NULL;
	size_t password_len = 0;
	const char *config = o.config ? o.config : CLI_DEFAULT_CONFIG;
	if (o.database != NULL) {
		if (strlen(o.database) > CLI_PATH_MAX) {
			fprintf(stderr,
			        "wegauge: --database: a path or connection string of at most %d "
			        "bytes expected\n",
			        CLI_PATH_MAX);
			return EXIT_USAGE;
		}
		snprintf(database, sizeof(database), "%s", o.database);
	} else if (cli_conf_database(config, database, sizeof(database), err, sizeof(err)) != 0 ||
	           (store_target_is_pg(database) &&
	            cli_conf_password(config, &password, &password_len, err, sizeof(err)) != 0)) {
		fprintf(stderr, "wegauge: %s\n", err);
		return EXIT_FAILURE;
	}

	struct cli_db *db = NULL;
	int rc = cli_db_open(database, password, &db, err, sizeof(err));
	secret_free(password, password_len);
	if (rc != 0) {
		fprintf(stderr, "wegauge: %s\n", err);
		return EXIT_FAILURE;
	}
	int status = run(db, &o, err, sizeof(err));
	cli_db_close(db);
	if (status == EXIT_FAILURE && err[0] != '\0')
		fprintf(stderr, "wegauge: %s\n", err);
	return status;
}
