/* test_cli_conf.c: src/cli/cli_conf.c: the database path from wegauged's configuration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli_fixture.h"

#include "cli/cli_conf.h"

static int setup(void **state)
{
	(void)state;
	return fixture_mkdtemp("test_cli_conf");
}

static int teardown(void **state)
{
	(void)state;
	return fixture_rmdir();
}

/* Write text to DIR/name; the path in path. */
static void write_conf(const char *name, const char *text, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_found(void **state)
{
	(void)state;
	static const struct {
		const char *text, *want;
	} cases[] = {
	        {"[daemon]\ndatabase = /var/lib/x.db\n", "/var/lib/x.db"},
	        {"[daemon]\n  database=/a b/c.db   ; comment\n", "/a b/c.db"},
	        {"\xef\xbb\xbf[daemon]\ndatabase = bom.db\n", "bom.db"},
	        {"; top\n[workspace \"acme\"]\ndatabase = /wrong.db\nlicense_code = 1\n"
	         "[daemon]\ninterval = 1h\n\tdatabase = /right.db\n",
	         "/right.db"},
	        {"[daemon]\ndatabase = /first.db\ndatabase = /last.db\n", "/last.db"},
	        {"[daemon]\ninterval = 1h\n", CLI_DEFAULT_DATABASE},
	        {"", CLI_DEFAULT_DATABASE},
	        /* an error elsewhere does not hide a database key that was read */
	        {"[daemon]\ndatabase = /ok.db\nthis line has no equals sign\n", "/ok.db"},
	        /* nor does a key file that cannot be read: it is never opened */
	        {"[daemon]\ndatabase = /k.db\n[workspace \"w\"]\napi_key_file = /nonexistent\n",
	         "/k.db"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[700], out[256], err[512] = "";
		write_conf("found.conf", cases[i].text, path, sizeof(path));
		if (cli_conf_database(path, out, sizeof(out), err, sizeof(err)) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_string_equal(out, cases[i].want);
	}
}

static void test_refused(void **state)
{
	(void)state;
	char longline[300];
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "database = /", 12);
	longline[sizeof(longline) - 1] = '\0';
	char text[400];
	snprintf(text, sizeof(text), "[daemon]\n%s\n", longline);
	static const char *const wants[] = {
	        ":2: expected a line of at most 197 characters",
	        ":2: [daemon] database: expected a path",
	        ":3: cannot parse this line",
	};
	const char *texts[] = {text, "[daemon]\ndatabase =\n", "[daemon]\n\ndatabase /x.db\n"};
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		char path[700], out[256] = "unchanged?", err[512] = "", want[800];
		write_conf("bad.conf", texts[i], path, sizeof(path));
		assert_int_equal(cli_conf_database(path, out, sizeof(out), err, sizeof(err)), -1);
		snprintf(want, sizeof(want), "configuration %s%s", path, wants[i]);
		assert_string_equal(err, want);
	}

	/* a value that does not fit the caller's buffer */
	char path[700], out[8], err[512] = "", want[800];
	write_conf("small.conf", "[daemon]\ndatabase = /a/long/path.db\n", path, sizeof(path));
	assert_int_equal(cli_conf_database(path, out, sizeof(out), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "configuration %s:2: [daemon] database: expected a path",
	         path);
	assert_string_equal(err, want);

	/* no such file */
	char big[256];
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	assert_int_equal(cli_conf_database(path, big, sizeof(big), err, sizeof(err)), -1);
	snprintf(want, sizeof(want),
	         "configuration %s: No such file or directory (give the store with -d DB)", path);
	assert_string_equal(err, want);
}

static void test_too_large(void **state)
{
	(void)state;
	char path[700], out[256], err[512] = "", want[800];
	snprintf(path, sizeof(path), "%s/huge.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i <= CLI_CONF_MAX / 16; i++)
		fputs("; padding .....\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(cli_conf_database(path, out, sizeof(out), err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "configuration %s: larger than 1048576 bytes", path);
	assert_string_equal(err, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_found),
	        cmocka_unit_test(test_refused),
	        cmocka_unit_test(test_too_large),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
