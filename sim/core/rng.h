/* rng: the world's only source of randomness.
 * xoshiro256** generators seeded through splitmix64; every node draws from its own
 * stream derived from (world seed, node name), so adding a node never shifts another's draws. */
#ifndef KSIM_RNG_H
#define KSIM_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng_t;

uint64_t rng_splitmix64(uint64_t *state);
void rng_seed(rng_t *r, uint64_t seed);
/* The stream of `name` under `seed`: independent of every other name's stream. */
void rng_stream(rng_t *r, uint64_t seed, const char *name);
uint64_t rng_next(rng_t *r);
/* Uniform in [0, 1). */
double rng_unit(rng_t *r);
/* Uniform integer in [lo, hi] (inclusive); lo <= hi. */
int64_t rng_range(rng_t *r, int64_t lo, int64_t hi);
/* Approximately Normal(mean, sd) (Irwin-Hall, 12 uniforms): the same bits on every
 * machine, since it needs no libm. */
double rng_normal(rng_t *r, double mean, double sd);

#endif
