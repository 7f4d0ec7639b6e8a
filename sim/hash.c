/*
 * hash.c: the only source of variety in wesim. Every value the simulator
 * serves is a pure function of the seed and of what identifies the value,
 * computed with the functions below; rand() and the clock are never used
 * for data. The definitions are part of docs/wesim.md: change one and every
 * value changes.
 *
 *   mix(x)  = the splitmix64 finalizer of x + 0x9E3779B97F4A7C15
 *   fnv(s)  = FNV-1a, 64 bits, of the bytes of s
 *   H(seed, tag, a, b, c, d) = mix(mix(mix(mix(mix(seed ^ fnv(tag)) ^ a) ^ b) ^ c) ^ d)
 */
#include "wesim.h"

#include <string.h>

/*
 * One splitmix64 step (Steele, Lea, Flood 2014; Vigna's constants): a
 * bijection of 64-bit integers with good avalanche, so that inputs differing
 * in one bit give unrelated outputs.
 */
uint64_t wsim_mix(uint64_t x)
{
	uint64_t z = x + 0x9E3779B97F4A7C15ull;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* FNV-1a over n bytes of p (offset basis 0xcbf29ce484222325, prime 0x100000001b3). */
uint64_t wsim_fnv(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* FNV-1a of a NUL-terminated string. */
uint64_t wsim_fnv_str(const char *s)
{
	return wsim_fnv(s, strlen(s));
}

/* H(seed, tag, a, b, c, d) of the file comment; unused arguments are 0. */
uint64_t wsim_hash(uint64_t seed, const char *tag, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	uint64_t h = wsim_mix(seed ^ wsim_fnv_str(tag));
	h = wsim_mix(h ^ a);
	h = wsim_mix(h ^ b);
	h = wsim_mix(h ^ c);
	return wsim_mix(h ^ d);
}

/*
 * A keyed permutation of 32-bit integers: every step (xor with a constant,
 * multiplication by an odd constant, xor with a right shift, addition) is a
 * bijection modulo 2^32, so distinct x give distinct results. Campaign ids
 * are built from it, which makes them unique without a collision check.
 */
uint32_t wsim_perm32(uint32_t x, uint64_t key)
{
	x ^= (uint32_t)key;
	x *= 0x9E3779B1u;
	x ^= x >> 15;
	x *= 0x85EBCA77u;
	x ^= x >> 13;
	x += (uint32_t)(key >> 32);
	x *= 0xC2B2AE3Du;
	x ^= x >> 16;
	return x;
}
