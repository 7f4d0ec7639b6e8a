/*
 * cli_seen.c: one look at a workspace in the store (cli_seen.h).
 */
#include "cli_seen.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "cli_db.h"
#include "cli_sql.h"
#include "textesc.h"

/*
 * Column i of s as text into out (outlen bytes, cut to fit; NULL is ""),
 * escaped for the terminal it is printed on (textesc.h, TEXTESC_VISIBLE):
 * a reason or a pull's error may quote what the API sent.
 */
static void col_text(sqlite3_stmt *s, int i, char *out, size_t outlen)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;
	textesc_buf(out, outlen, t ? (const char *)t : "", n, TEXTESC_VISIBLE);
}

/* Run sql with ?1 = name; 1 and the row on s, 0 for none, -1 with why. */
static int one_row(sqlite3 *db, const char *sql, const char *name, sqlite3_stmt **s,
                   struct cli_seen *out)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, s, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(*s, 1, name, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(*s);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	snprintf(out->why, sizeof(out->why), "cannot read the store: %s", sqlite3_errmsg(db));
	return -1;
}

void cli_seen_look(const char *db_path, const char *name, struct cli_seen *out)
{
	*out = (struct cli_seen){0};
	sqlite3 *db = NULL;
	if (cli_db_open(db_path, &db, out->why, sizeof(out->why)) != 0 ||
	    cli_db_begin(db, out->why, sizeof(out->why)) != 0) {
		cli_db_close(db);
		return;
	}
	sqlite3_stmt *s = NULL;
	int rc = one_row(db, CLI_SQL_SEEN_WS, name, &s, out);
	if (rc == 1) {
		out->row = true;
		col_text(s, 0, out->state, sizeof(out->state));
		col_text(s, 1, out->reason, sizeof(out->reason));
		col_text(s, 2, out->fingerprint, sizeof(out->fingerprint));
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc >= 0)
		rc = one_row(db, CLI_SQL_SEEN_PULL, name, &s, out);
	if (rc == 1) {
		out->pull_id = sqlite3_column_int64(s, 0);
		col_text(s, 1, out->pull_status, sizeof(out->pull_status));
		out->pull_rows = sqlite3_column_int64(s, 2);
		col_text(s, 3, out->pull_error, sizeof(out->pull_error));
	}
	sqlite3_finalize(s);
	out->store = rc >= 0;
	cli_db_close(db);
}
