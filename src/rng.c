/*
 * rng.c: splitmix64 (Steele, Lea, Flood 2014) over a 64-bit state. It passes
 * BigCrush, costs a few instructions and is plenty for spreading retries
 * and pulls in time. rng_upto reduces by modulo; its bias (at most
 * bound/2^64) is irrelevant for jitter.
 */
#include "rng.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

void rng_seed(void)
{
	uint64_t s;
	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) != (ssize_t)sizeof(s)) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
	}
	rng_state = s;
}

void rng_seed_with(uint64_t seed)
{
	rng_state = seed;
}

uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int64_t rng_upto(int64_t bound)
{
	if (bound <= 0)
		return 0;
	return (int64_t)(rng_next() % ((uint64_t)bound + 1));
}
