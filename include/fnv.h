/*
 * fnv.h: 64-bit FNV-1a, the one non-cryptographic hash of the daemon
 * (workspace phases in schedule.c, the name table in config.c, the saved
 * workspace row in daemon_ws.c). Stable across builds and machines; never
 * for anything an adversary could use (a key's fingerprint is SHA-256).
 * Start from FNV1A_OFFSET and feed bytes with fnv1a(); chaining calls
 * hashes the concatenation.
 */
#ifndef WEGAUGE_FNV_H
#define WEGAUGE_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_OFFSET 0xcbf29ce484222325ull
#define FNV1A_PRIME  0x100000001b3ull

/* h extended by the n bytes at p. */
static inline uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= FNV1A_PRIME;
	}
	return h;
}

/* h extended by the C string s, without its NUL. */
static inline uint64_t fnv1a_str(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= FNV1A_PRIME;
	}
	return h;
}

#endif
