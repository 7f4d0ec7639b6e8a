/*
 * test_cli_key.c: src/cli/cli_key.c: the API key of connect and reconnect
 * from standard input (a pipe here; the terminal case runs in
 * it_connect.sh under script(1)) and from --key-file: one line, the shape
 * of secret_key_shape, the fingerprint, and errors that name the source
 * and never the key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/cli_key.h"

/* cli_key_read on a pipe that holds len bytes of data, then EOF. */
static int read_from(const char *data, size_t len, struct cli_key *k, char *err, size_t errlen)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], data, len), (ssize_t)len);
	close(fds[1]);
	FILE *in = fdopen(fds[0], "r");
	assert_non_null(in);
	int rc = cli_key_read("acme", NULL, in, stderr, k, err, errlen);
	fclose(in);
	return rc;
}

static void test_stdin(void **state)
{
	(void)state;
	static const struct {
		const char *in, *key, *err;
	} cases[] = {
	        {"0123456789abcdef0123456789abcdef\n", "0123456789abcdef0123456789abcdef", NULL},
	        {"k3y", "k3y", NULL},
	        {"k3y\r\n", "k3y", NULL},
	        {"k3y  \n\n \t\n", "k3y", NULL},
	        {"", NULL, "standard input: nothing to read; expected the API key on one line"},
	        {"\n", NULL, "standard input: is empty; expected one API key"},
	        {"k3y\nsecond\n", NULL,
	         "standard input: more than one line; expected the API key alone on one line"},
	        {"a b\n", NULL, "standard input: contains spaces, control characters"},
	        {"caf\xc3\xa9\n", NULL, "standard input: contains spaces, control characters"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cli_key k;
		char err[256] = "";
		int rc = read_from(cases[i].in, strlen(cases[i].in), &k, err, sizeof(err));
		if (cases[i].key != NULL) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, err);
			assert_string_equal(k.key, cases[i].key);
			assert_int_equal(k.len, strlen(cases[i].key));
			assert_int_equal(strlen(k.fingerprint), 16);
			cli_key_free(&k);
			assert_null(k.key);
		} else {
			assert_int_equal(rc, -1);
			if (strncmp(err, cases[i].err, strlen(cases[i].err)) != 0)
				fail_msg("case %zu: got '%s'", i, err);
			assert_null(strstr(err, "second"));
			assert_null(k.key);
		}
	}
}

static void test_fingerprint_and_bound(void **state)
{
	(void)state;
	struct cli_key k;
	char err[256];
	/* printf '%s' 0123456789abcdef0123456789abcdef | sha256sum | cut -c1-16 */
	assert_int_equal(read_from("0123456789abcdef0123456789abcdef\n", 33, &k, err, sizeof(err)),
	                 0);
	assert_string_equal(k.fingerprint, "3eb1bd439947eb76");
	cli_key_free(&k);
	size_t n = 5000;
	char *big = malloc(n);
	assert_non_null(big);
	memset(big, 'k', n);
	assert_int_equal(read_from(big, n, &k, err, sizeof(err)), -1);
	assert_string_equal(err, "standard input: more than 4096 bytes; expected one API key");
	free(big);
}

static void test_key_file(void **state)
{
	(void)state;
	struct cli_key k;
	char err[512];
	assert_int_equal(
	        cli_key_read("acme", "/nonexistent/acme.key", stdin, stderr, &k, err, sizeof(err)),
	        -1);
	assert_string_equal(err, "/nonexistent/acme.key: cannot open: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_stdin),
	        cmocka_unit_test(test_fingerprint_and_bound),
	        cmocka_unit_test(test_key_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
