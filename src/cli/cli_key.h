/*
 * cli_key.h: the API key that connect and reconnect are given.
 *
 * A key never comes from the command line (argv is public in ps and in
 * /proc). It comes from a file (--key-file, with the secrecy check of the
 * daemon's key files) or from standard input: one line, read without echo
 * after a prompt on the terminal when standard input is one. It is held
 * in memory only as long as needed and wiped when freed (secret_free).
 */
#ifndef WEGAUGE_CLI_KEY_H
#define WEGAUGE_CLI_KEY_H

#include <stdio.h>

#include "secret.h"

struct cli_key {
	char *key; /* NUL-terminated, secret; NULL when none */
	size_t len;
	char fingerprint[SECRET_FP_LEN];
};

/*
 * Read the key for workspace name: from the file at key_file, or, when
 * key_file is NULL, from the open file in (standard input). When in is a
 * terminal, the prompt goes to prompt_to and echo is off while the line
 * is typed. Exactly one line is taken: more than whitespace after it is
 * an error, and so is a key of the wrong shape (secret_key_shape). 0 and
 * *k (release with cli_key_free), or -1 with one line in err naming the
 * source, never the key.
 */
int cli_key_read(const char *name, const char *key_file, FILE *in, FILE *prompt_to,
                 struct cli_key *k, char *err, size_t errlen);

/* Wipe and free the key in k. */
void cli_key_free(struct cli_key *k);

#endif
