/*
 * cli_fleet.c: `wegauge fleet` and whether a store has a fleet
 * (cli_fleet.h).
 *
 * The rows are one query (CLI_SQL_FLEET, CLI_SQL_FLEET_PG) that computes
 * every age and liveness on the server; what C adds is only the check
 * that the live members run one configuration (their fingerprints), and
 * where its warning goes.
 */
#include "cli_fleet.h"

#include <stdio.h>
#include <string.h>

#include "cli_sql.h"
#include "cli_sql_pg.h"
#include "errbuf.h"

/* The text of cell (row, col) of s, or NULL when it is not text. */
static const char *text_at(const struct cli_section *s, size_t row, size_t col)
{
	const struct cli_cell *c = cli_section_cell(s, row, col);
	return c->kind == CLI_TEXT ? c->s : NULL;
}

bool cli_fleet_mismatch(const struct cli_section *s, char *note, size_t notelen)
{
	if (notelen > 0)
		note[0] = '\0';
	if (s->ncols != CLI_FLEET_NCOLS)
		return false;
	size_t live = 0, distinct = 0;
	for (size_t row = 0; row < s->nrows; row++) {
		const char *l = text_at(s, row, CLI_FLEET_LIVE);
		const char *fp = text_at(s, row, CLI_FLEET_FINGERPRINT);
		if (l == NULL || strcmp(l, "yes") != 0 || fp == NULL)
			continue;
		live++;
		/* distinct among the live rows before this one (a fleet is a few members) */
		bool seen = false;
		for (size_t k = 0; k < row && !seen; k++) {
			const char *lk = text_at(s, k, CLI_FLEET_LIVE);
			const char *fk = text_at(s, k, CLI_FLEET_FINGERPRINT);
			seen = lk != NULL && strcmp(lk, "yes") == 0 && fk != NULL &&
			       strcmp(fk, fp) == 0;
		}
		if (!seen)
			distinct++;
	}
	if (distinct < 2)
		return false;
	snprintf(note, notelen,
	         "warning: the live members run different configurations (%zu fingerprints "
	         "among %zu live members): keep their configurations equal",
	         distinct, live);
	return true;
}

int cli_fleet_any(struct cli_db *db, bool *any, char *err, size_t errlen)
{
	struct cli_result r = {0};
	struct cli_section *s = cli_db_query(db, &r, "fleet", NULL, CLI_QUERY(CLI_SQL_FLEET_ANY),
	                                     NULL, 0, err, errlen);
	if (s != NULL)
		*any = s->nrows > 0;
	cli_result_free(&r);
	return s != NULL ? 0 : -1;
}

int cli_cmd_fleet(struct cli_db *db, const struct cli_opts *o, struct cli_result *r, bool *none,
                  char *note, size_t notelen, char *err, size_t errlen)
{
	*none = false;
	if (notelen > 0)
		note[0] = '\0';
	struct cli_section *s =
	        cli_db_query(db, r, "fleet", NULL, CLI_QUERY(CLI_SQL_FLEET), NULL, 0, err, errlen);
	if (s == NULL)
		return -1;
	if (s->ncols != CLI_FLEET_NCOLS) {
		errbuf_set(err, errlen, "fleet: the query has %zu columns", s->ncols);
		return -1;
	}
	if (s->nrows == 0) {
		*none = true;
		snprintf(note, notelen, "%s", CLI_FLEET_NONE);
		return 0;
	}
	if (cli_fleet_mismatch(s, note, notelen) && o->format == CLI_FMT_TABLE &&
	    cli_section_set_footer(s, note) != 0) {
		errbuf_set(err, errlen, "fleet: out of memory");
		return -1;
	}
	return 0;
}
