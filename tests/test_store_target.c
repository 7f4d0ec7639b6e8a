/*
 * test_store_target.c: src/store_target.c: which `database` values name
 * PostgreSQL, and that the form shown in logs never holds a password,
 * wherever the connection string put it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store_target.h"

static void test_is_pg(void **state)
{
	(void)state;
	static const struct {
		const char *db;
		bool pg;
	} cases[] = {
	        {"/var/lib/wegauge/wegauge.db", false},
	        {"wegauge.db", false},
	        {":memory:", false},
	        {"./host=x", false},
	        {"/srv/a=b.db", false},
	        {"", false},
	        {"postgresql://wegauge@db1/wegauge", true},
	        {"postgres://db1/wegauge", true},
	        {"postgresql://", true},
	        {"host=db1 dbname=wegauge", true},
	        {"  dbname = wegauge", true},
	        {"service=wegauge", true},
	        {"Host=db1", false}, /* libpq's keywords are lower case */
	        {"postgresql:/x", false},
	        {"=x", false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (store_target_is_pg(cases[i].db) != cases[i].pg)
			fail_msg("'%s': want %s", cases[i].db, cases[i].pg ? "pg" : "path");
	}
	assert_false(store_target_is_pg(NULL));
}

static void test_redact(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *want; /* a part the shown form must hold */
	} cases[] = {
	        {"postgresql://wegauge:s3cret-pw@db1:5433/wegauge?sslmode=verify-full",
	         "user=wegauge dbname=wegauge host=db1 port=5433 sslmode=verify-full"},
	        {"postgresql://wegauge:s%33cret-pw@db1/wegauge", "host=db1"},
	        {"host=db1 password=s3cret-pw dbname=wegauge", "dbname=wegauge host=db1"},
	        {"host=db1 password='s3cret pw' dbname=wegauge", "host=db1"},
	        {"postgresql://db1/wegauge?password=s3cret-pw&application_name=a%20b",
	         "application_name='a b'"},
	        {"postgresql://u@db1,db2:5433/w?target_session_attrs=read-write",
	         "host=db1,db2 port=,5433 target_session_attrs=read-write"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[512];
		assert_int_equal(store_target_redact(cases[i].in, out, sizeof(out)), 0);
		if (strstr(out, "s3cret") || strstr(out, "password"))
			fail_msg("'%s' shown as '%s': the password is in it", cases[i].in, out);
		if (!strstr(out, cases[i].want))
			fail_msg("'%s' shown as '%s': want '%s' in it", cases[i].in, out,
			         cases[i].want);
	}
	/* Unreadable by libpq: a fixed phrase, nothing of the text. */
	char out[128];
	assert_int_equal(store_target_redact("postgresql://u:s3cret@[::1", out, sizeof(out)), -1);
	assert_null(strstr(out, "s3cret"));
	assert_int_equal(
	        store_target_redact("host=db1 password='unterminated s3cret", out, sizeof(out)),
	        -1);
	assert_string_equal(out, "(a connection string libpq cannot read)");
	/* A small buffer cuts, never overflows, and still names no password. */
	char tiny[16];
	store_target_redact("postgresql://u:s3cret@db1/w", tiny, sizeof(tiny));
	assert_true(strlen(tiny) < sizeof(tiny));
	assert_null(strstr(tiny, "s3cret"));
}

static void test_show(void **state)
{
	(void)state;
	char out[256];
	store_target_show("/var/lib/wegauge/wegauge.db", out, sizeof(out));
	assert_string_equal(out, "/var/lib/wegauge/wegauge.db");
	store_target_show("postgresql://u:s3cret@db1/w", out, sizeof(out));
	assert_null(strstr(out, "s3cret"));
	assert_non_null(strstr(out, "host=db1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_is_pg),
	        cmocka_unit_test(test_redact),
	        cmocka_unit_test(test_show),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
