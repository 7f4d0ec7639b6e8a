/*
 * iniline.h: the line splitter under both INI readers (config.c for
 * wegauged, cli/cli_conf.c for wegauge). inih is fed line by line through
 * ini_parse_stream so that the reader knows each line's number; this is
 * the part of that reader both share.
 */
#ifndef WEGAUGE_INILINE_H
#define WEGAUGE_INILINE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The next line of buf[0 .. len) from *pos: *line and *n get it without
 * its newline, without a UTF-8 byte order mark when it is line 1, and
 * without leading blanks (space, tab, CR, FF, VT: what config.c counts as
 * blank, so that wegauge reads the file as wegauged does); *pos moves past
 * it and *lineno
 * counts it. Returns false, touching nothing, at the end of the buffer.
 */
bool iniline_next(const char *buf, size_t len, size_t *pos, int *lineno, const char **line,
                  size_t *n);

#endif
