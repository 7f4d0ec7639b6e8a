/*
 * test_pagesum.c: src/pagesum.c. The digest covers the URL, the POST body
 * and the answer, each with its length (so that no byte can move from one
 * to the other unnoticed); the blob round-trips and rejects what is not a
 * whole number of entries; equal compares digests and figures in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pagesum.h"

static void digest_of(const char *url, const char *post, const char *body, uint8_t out[PAGESUM_LEN])
{
	assert_int_equal(pagesum_digest(out, url, post, body, body ? strlen(body) : 0), 0);
}

/* Each case differs from the base in one way; every digest must differ from the base's. */
static void test_digest_parts(void **state)
{
	(void)state;
	static const struct {
		const char *url, *post, *body;
	} cases[] = {
	        {"https://a/x?p=2", NULL, "{\"a\":1}"},  /* another URL */
	        {"https://a/x?p=1", "{}", "{\"a\":1}"},  /* a POST body */
	        {"https://a/x?p=1", NULL, "{\"a\":2}"},  /* another answer */
	        {"https://a/x?p=1", NULL, "{\"a\":1} "}, /* one byte more */
	        {"https://a/x?p=1{", NULL, "\"a\":1}"},  /* a byte moved from body to URL */
	};
	uint8_t base[PAGESUM_LEN], d[PAGESUM_LEN];
	digest_of("https://a/x?p=1", NULL, "{\"a\":1}", base);
	digest_of("https://a/x?p=1", NULL, "{\"a\":1}", d);
	assert_memory_equal(base, d, PAGESUM_LEN); /* the same input, the same digest */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		digest_of(cases[i].url, cases[i].post, cases[i].body, d);
		if (memcmp(base, d, PAGESUM_LEN) == 0)
			fail_msg("case %zu has the base's digest", i);
	}
	/* An empty POST body and none are the same request text: the same digest. */
	digest_of("https://a/x?p=1", "", "{\"a\":1}", d);
	assert_memory_equal(base, d, PAGESUM_LEN);
}

static void test_blob_round_trip(void **state)
{
	(void)state;
	struct pagesum a = {0}, b = {0};
	for (uint32_t i = 0; i < 20; i++) {
		struct pagesum_entry e = {.pages = 1000000 + i, .contents = i};
		memset(e.d, (int)i, sizeof(e.d));
		assert_int_equal(pagesum_push(&a, &e), 0);
	}
	size_t len = 0;
	unsigned char *blob = pagesum_encode(&a, &len);
	assert_non_null(blob);
	assert_int_equal(len, 20 * PAGESUM_BYTES);
	/* Big-endian figures after each digest. */
	assert_int_equal(blob[PAGESUM_LEN + 1], (1000000 >> 16) & 0xff);
	assert_int_equal(pagesum_decode(&b, blob, len), 0);
	assert_true(pagesum_equal(&a, &b));
	b.v[19].contents++;
	assert_false(pagesum_equal(&a, &b));
	/* A blob that is not whole entries is refused, and leaves nothing remembered. */
	assert_int_equal(pagesum_decode(&b, blob, len - 1), -1);
	assert_int_equal(b.n, 0);
	assert_false(pagesum_equal(&a, &b));
	/* Empty: no blob. */
	struct pagesum e = {0};
	assert_null(pagesum_encode(&e, &len));
	assert_int_equal(len, 0);
	assert_int_equal(pagesum_decode(&b, NULL, 0), 0);
	assert_true(pagesum_equal(&e, &b));
	free(blob);
	pagesum_free(&a);
	pagesum_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_digest_parts),
	        cmocka_unit_test(test_blob_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
