/*
 * test_jarena.c: jansson's trees in the per-thread arena of src/jarena.c:
 * a parse inside begin/end gives the same values as without, needs no
 * json_decref (ASan's leak check would say otherwise), and outside the
 * arena, and for pointers from before it, jansson gets malloc and free.
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

	jarena_begin(16); /* a hint below the chunk size */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_arena),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
