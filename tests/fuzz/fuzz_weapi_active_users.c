/*
 * fuzz_weapi_active_users.c: libFuzzer harness for docs/api.md stream 3 (active users): an
 * untrusted HTTP body through weapi_envelope and weapi_parse_active_users, with the
 * properties of fuzz_weapi.c. Seeds: corpus/fuzz_weapi_active_users/.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_weapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_weapi_run(STREAM_ACTIVE_USERS, data, size);
}
