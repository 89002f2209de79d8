/* SPDX-License-Identifier: MIT */
/* A small deterministic generator (splitmix64): the same seed gives the same worlds. */
#ifndef HDEVENT_BENCH_RNG_H
#define HDEVENT_BENCH_RNG_H

#include <stdint.h>

struct bench_rng {
    uint64_t state;
};

static inline uint64_t bench_rng_next(struct bench_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#endif /* HDEVENT_BENCH_RNG_H */
