/*
 * cli_conf.h: where the store is, as the daemon's configuration says.
 *
 * The tool reads only the `database` key of the [daemon] section of the
 * main configuration file, with inih, the way wegauged reads it (leading
 * blanks stripped, "; comments" after a blank, a BOM allowed). It never
 * opens include_dir, key files or credentials: an operator who may read
 * the configuration need not be allowed to read API keys.
 */
#ifndef WEGAUGE_CLI_CONF_H
#define WEGAUGE_CLI_CONF_H

#include <stddef.h>

#define CLI_DEFAULT_CONFIG   "/etc/wegauge/wegauged.conf"
#define CLI_DEFAULT_DATABASE "/var/lib/wegauge/wegauge.db"
/* The largest configuration file read (as wegauged: 1 MiB). */
#define CLI_CONF_MAX 1048576

/*
 * Read the database path of the configuration file path into out (outlen
 * bytes): the value of `database` in [daemon], or CLI_DEFAULT_DATABASE
 * when the file does not set it. Returns 0, or -1 with one line in err
 * naming the file (and line) and the problem: cannot read it, too large,
 * an empty value or one that does not fit in out, or, when no database
 * key was found, a line that could not be read (it might have been that
 * key). Errors elsewhere in a file that sets the key are the daemon's to
 * report: the tool is most needed when the daemon refused a reload.
 */
int cli_conf_database(const char *path, char *out, size_t outlen, char *err, size_t errlen);

#endif
