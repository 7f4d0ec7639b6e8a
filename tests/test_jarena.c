/*
 * test_jarena.c: jansson's trees in the per-thread arena of src/jarena.c:
 * a parse inside begin/end gives the same values as without, needs no
 * json_decref (ASan's leak check would say otherwise), and outside the
 * arena, and for pointers from before it, jansson gets malloc and free.
 * An arena with a limit (max_parse_memory) never holds more: a parse that
 * needs more fails cleanly and jarena_refused() says so (issue 12).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jarena.h"

static const char doc[] = "{\"response\":{\"status\":\"success\",\"data\":{\"list\":"
                          "[{\"id\":\"c1\",\"sent\":12},{\"id\":\"c2\",\"sent\":3.5}]}}}";

static void test_arena(void **state)
{
	(void)state;
	jarena_install();
	jarena_install(); /* idempotent */

	/* Before any arena: plain allocation, freed the usual way. */
	json_t *before = json_loadb(doc, strlen(doc), 0, NULL);
	assert_non_null(before);
	assert_false(jarena_active());

	jarena_begin(16, 0); /* a hint below the chunk size; no limit */
	assert_true(jarena_active());
	json_error_t e;
	json_t *root = json_loadb(doc, strlen(doc), JSON_REJECT_DUPLICATES, &e);
	assert_non_null(root);
	json_t *list =
	        json_object_get(json_object_get(json_object_get(root, "response"), "data"), "list");
	assert_int_equal(json_array_size(list), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "id")),
	                    "c2");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "sent")), 12);
	/* A tree bigger than a chunk: chunks are added as needed. */
	json_t *big = json_array();
	for (int i = 0; i < 20000; i++)
		assert_int_equal(json_array_append_new(big, json_string("a string of some length")),
		                 0);
	assert_int_equal(json_array_size(big), 20000);
	/* A malformed document fails as it would without the arena. */
	assert_null(json_loadb("{\"a\":", 5, 0, &e));
	/* A tree from before the arena is freed with free() even now. */
	json_decref(before);
	jarena_end(); /* root and big go with the arena: no json_decref */
	assert_false(jarena_active());

	/* After: plain allocation again. */
	json_t *after = json_loadb(doc, strlen(doc), 0, NULL);
	assert_non_null(after);
	json_decref(after);
	jarena_end(); /* no arena: a no-op */
}

/* "[{},{},...,{}]" of n empty objects, malloc'd; its length in *len. */
static char *empty_objects(size_t n, size_t *len)
{
	char *s = malloc(3 * n + 2);
	assert_non_null(s);
	size_t o = 0;
	s[o++] = '[';
	for (size_t i = 0; i < n; i++) {
		memcpy(s + o, i ? ",{}" : "{}", i ? 3 : 2);
		o += i ? 3 : 2;
	}
	s[o++] = ']';
	*len = o;
	return s;
}

/*
 * The hostile answer of issue 12 in small: 100,000 empty objects (300 KB
 * of text) need about 25 MB of tree. With a 1 MiB limit the parse fails
 * like any other allocation failure (NULL and an error, no crash, no
 * leak), the arena never held more than the limit, and jarena_refused()
 * says why until the next begin. Within a larger limit the same text
 * parses; a size hint above the limit is cut to it.
 */
static void test_limit(void **state)
{
	(void)state;
	jarena_install();
	size_t len, n = 100000;
	char *text = empty_objects(n, &len);
	json_error_t e;

	jarena_begin(len * 4, 1 << 20);
	assert_false(jarena_refused());
	assert_null(json_loadb(text, len, JSON_REJECT_DUPLICATES, &e));
	assert_true(jarena_refused());
	assert_true(jarena_held() <= 1 << 20);
	assert_true(jarena_held() > 1 << 19); /* it did fill up to the limit */
	jarena_end();
	assert_true(jarena_refused()); /* until the next begin */
	assert_int_equal(jarena_held(), 0);

	jarena_begin(len * 4, 64 << 20);
	assert_false(jarena_refused());
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	assert_non_null(root);
	assert_int_equal(json_array_size(root), n);
	assert_false(jarena_refused());
	assert_true(jarena_held() > 1 << 20);
	jarena_end();

	/* A hint far above the limit: one chunk of at most the limit, still refused beyond. */
	jarena_begin(1u << 30, 256 << 10);
	assert_non_null(json_loadb(doc, strlen(doc), 0, &e));
	assert_true(jarena_held() <= 256 << 10);
	assert_null(json_loadb(text, len, 0, &e));
	assert_true(jarena_refused());
	assert_true(jarena_held() <= 256 << 10);
	jarena_end();
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_arena),
	        cmocka_unit_test(test_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
