/*
 * rng.h: a small, fast, non-cryptographic random generator for jitter
 * (splitmix64 seeded from getrandom(2)). One generator per process,
 * owned by the loop thread; not for secrets.
 */
#ifndef WEGAUGE_RNG_H
#define WEGAUGE_RNG_H

#include <stdint.h>

/* Seed from the kernel (falls back to time and pid). Called once at start. */
void rng_seed(void);
/* Seed with a fixed value (tests). */
void rng_seed_with(uint64_t seed);
/* The next 64 random bits. */
uint64_t rng_next(void);
/* Uniform in [0, bound] (inclusive); 0 when bound <= 0. */
int64_t rng_upto(int64_t bound);

#endif
