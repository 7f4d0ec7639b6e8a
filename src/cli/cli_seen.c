/*
 * cli_seen.c: one look at a workspace in the store (cli_seen.h).
 */
#include "cli_seen.h"

#include <stdio.h>
#include <string.h>

#include "cli_db.h"
#include "cli_sql.h"
#include "cli_sql_pg.h"
#include "textesc.h"

/*
 * A text cell into out (outlen bytes, cut to fit; NULL is ""), escaped
 * for the terminal it is printed on (textesc.h, TEXTESC_VISIBLE): a
 * reason or a pull's error may quote what the API sent.
 */
static void cell_text(const struct cli_cell *c, char *out, size_t outlen)
{
	bool text = c->kind == CLI_TEXT;
	textesc_buf(out, outlen, text ? c->s : "", text ? c->len : 0, TEXTESC_VISIBLE);
}

static int64_t cell_int(const struct cli_cell *c)
{
	return c->kind == CLI_INT ? c->i : 0;
}

void cli_seen_look(const char *database, const char *password, const char *name,
                   struct cli_seen *out)
{
	*out = (struct cli_seen){0};
	struct cli_db *db = NULL;
	if (cli_db_open(database, password, &db, out->why, sizeof(out->why)) != 0 ||
	    cli_db_begin(db, out->why, sizeof(out->why)) != 0) {
		cli_db_close(db);
		return;
	}
	struct cli_result r = {0};
	struct cli_bind b = {.kind = CLI_BIND_TEXT, .s = name};
	char err[sizeof(out->why) - 32];
	struct cli_section *ws = cli_db_query(db, &r, "workspace", NULL, CLI_QUERY(CLI_SQL_SEEN_WS),
	                                      &b, 1, err, sizeof(err));
	struct cli_section *pull =
	        ws ? cli_db_query(db, &r, "pull", NULL, CLI_QUERY(CLI_SQL_SEEN_PULL), &b, 1, err,
	                          sizeof(err))
	           : NULL;
	if (pull == NULL) {
		snprintf(out->why, sizeof(out->why), "cannot read the store: %s", err);
	} else {
		out->store = true;
		if (ws->nrows > 0) {
			out->row = true;
			cell_text(cli_section_cell(ws, 0, 0), out->state, sizeof(out->state));
			cell_text(cli_section_cell(ws, 0, 1), out->reason, sizeof(out->reason));
			cell_text(cli_section_cell(ws, 0, 2), out->fingerprint,
			          sizeof(out->fingerprint));
		}
		if (pull->nrows > 0) {
			out->pull_id = cell_int(cli_section_cell(pull, 0, 0));
			cell_text(cli_section_cell(pull, 0, 1), out->pull_status,
			          sizeof(out->pull_status));
			out->pull_rows = cell_int(cli_section_cell(pull, 0, 2));
			cell_text(cli_section_cell(pull, 0, 3), out->pull_error,
			          sizeof(out->pull_error));
		}
	}
	cli_result_free(&r);
	cli_db_close(db);
}
