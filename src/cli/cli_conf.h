/*
 * cli_conf.h: where the store is, as the daemon's configuration says.
 *
 * The reading commands read only the `database` key of the [daemon]
 * section of the main configuration file, with inih, the way wegauged
 * reads it (leading blanks stripped, "; comments" after a blank, a BOM
 * allowed), and, for a PostgreSQL database, database_password_file and
 * the file it names. They never open include_dir, API key files or
 * credentials: an operator who may read the configuration need not be
 * allowed to read API keys. (connect, reconnect and disconnect, which write them, load the
 * whole configuration with the daemon's own config_load.)
 */
#ifndef WEGAUGE_CLI_CONF_H
#define WEGAUGE_CLI_CONF_H

#include <stddef.h>

#define CLI_DEFAULT_CONFIG   "/etc/wegauge/wegauged.conf"
#define CLI_DEFAULT_DATABASE "/var/lib/wegauge/wegauge.db"
#define CLI_DEFAULT_KEY_DIR  "/etc/wegauge/keys"
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

/*
 * The PostgreSQL password of the configuration file at path: when its
 * [daemon] section sets database_password_file, that file read as
 * wegauged reads it (secret_read_file: not readable by others, one line
 * of printable ASCII) into *password (malloc'd; release with
 * secret_free(*password, *len)); else *password is NULL (libpq's own
 * sources apply). Returns 0, or -1 with err naming the file and the
 * problem, never any byte of the password. Only for a PostgreSQL
 * database: the caller asks only then.
 */
int cli_conf_password(const char *path, char **password, size_t *len, char *err, size_t errlen);

/*
 * The value of [daemon] key in the file at path into out, or def when the
 * file does not set it; the rules and errors of cli_conf_database, which
 * is this with "database". An empty value is an error unless def is "".
 */
int cli_conf_get(const char *path, const char *key, const char *def, char *out, size_t outlen,
                 char *err, size_t errlen);

/*
 * include_dir (or "" when unset) and key_dir (default CLI_DEFAULT_KEY_DIR)
 * of the file at path, each into an outlen-byte buffer, a relative path
 * taken relative to the file's directory as wegauged takes it. For
 * connect and friends to check, before anything else, that the user may
 * write there: the whole configuration is validated by config_load later.
 */
int cli_conf_dirs(const char *path, char *include_dir, char *key_dir, size_t outlen, char *err,
                  size_t errlen);

#endif
