/*
 * fuzz_weapi_team.c: libFuzzer harness for docs/api.md stream 4 (team members, one page): an
 * untrusted HTTP body through weapi_envelope and weapi_parse_team, with the properties of
 * fuzz_weapi.c. Seeds: corpus/fuzz_weapi_team/.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_weapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_weapi_run(STREAM_TEAM, data, size);
}
