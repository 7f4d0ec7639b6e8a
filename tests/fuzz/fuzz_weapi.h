/*
 * fuzz_weapi.h: the shared driver of the four weapi harnesses
 * (fuzz_weapi_stats.c, fuzz_weapi_campaigns.c, fuzz_weapi_active_users.c,
 * fuzz_weapi_team.c). Each harness is one LLVMFuzzerTestOneInput that
 * hands its input to fuzz_weapi_run with its stream.
 */
#ifndef WEGAUGE_FUZZ_WEAPI_H
#define WEGAUGE_FUZZ_WEAPI_H

#include <stddef.h>
#include <stdint.h>

#include "rows.h"

/*
 * Parse data (size bytes, a whole HTTP body, not NUL-terminated) as an
 * answer of stream s: weapi_envelope, then the stream's parser into a
 * fresh rowset, then the properties of fuzz_weapi.c. Frees everything it
 * made before returning; aborts through FUZZ_CHECK when a property fails.
 * Returns 0 (libFuzzer's "keep going").
 */
int fuzz_weapi_run(enum stream s, const uint8_t *data, size_t size);

#endif
