/*
 * test_store_pg_digest.c: src/store_pg_digest.c, the PostgreSQL store's
 * memory of page digests: set, replace, forget, per (workspace, stream),
 * and still right after the table grew many times.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_pg_digest.h"

static void assert_holds(struct pgdigest *m, const char *ws, int stream, const char *want)
{
	unsigned char *b = NULL;
	size_t n = 0;
	assert_int_equal(pgdigest_get(m, ws, stream, &b, &n), 0);
	if (!want) {
		assert_null(b);
		assert_int_equal(n, 0);
		return;
	}
	assert_int_equal(n, strlen(want));
	assert_memory_equal(b, want, n);
	free(b);
}

static void test_set_get_forget(void **state)
{
	(void)state;
	struct pgdigest *m = pgdigest_new();
	assert_non_null(m);
	assert_holds(m, "ws-1", 0, NULL);
	assert_int_equal(pgdigest_set(m, "ws-1", 0, (const unsigned char *)"abc", 3), 0);
	assert_int_equal(pgdigest_set(m, "ws-1", 1, (const unsigned char *)"de", 2), 0);
	assert_int_equal(pgdigest_set(m, "ws-10", 0, (const unsigned char *)"f", 1), 0);
	assert_holds(m, "ws-1", 0, "abc");
	assert_holds(m, "ws-1", 1, "de");
	assert_holds(m, "ws-10", 0, "f");
	assert_holds(m, "ws-1", 2, NULL);
	assert_int_equal(pgdigest_set(m, "ws-1", 0, (const unsigned char *)"xyz!", 4), 0);
	assert_holds(m, "ws-1", 0, "xyz!");
	assert_int_equal(pgdigest_set(m, "ws-1", 0, NULL, 0), 0);
	assert_holds(m, "ws-1", 0, NULL);
	assert_holds(m, "ws-1", 1, "de");
	pgdigest_free(m);
}

/* 5,000 workspaces x 4 streams: the buckets double several times; every entry stays found. */
static void test_many(void **state)
{
	(void)state;
	struct pgdigest *m = pgdigest_new();
	char ws[32], v[32];
	for (int i = 0; i < 5000; i++)
		for (int s = 0; s < 4; s++) {
			snprintf(ws, sizeof(ws), "ws-%04d", i);
			snprintf(v, sizeof(v), "%d/%d", i, s);
			assert_int_equal(
			        pgdigest_set(m, ws, s, (const unsigned char *)v, strlen(v)), 0);
		}
	for (int i = 0; i < 5000; i += 7)
		for (int s = 0; s < 4; s++) {
			snprintf(ws, sizeof(ws), "ws-%04d", i);
			snprintf(v, sizeof(v), "%d/%d", i, s);
			assert_holds(m, ws, s, v);
		}
	pgdigest_free(m);
	pgdigest_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_set_get_forget),
	        cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
