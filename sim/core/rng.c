#include "rng.h"


#include "hash.h"

uint64_t rng_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rng_seed(rng_t *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = rng_splitmix64(&x);
}

void rng_stream(rng_t *r, uint64_t seed, const char *name)
{
    /* Mix the name's hash through splitmix so nearby seeds and names do not correlate. */
    uint64_t x = seed ^ hash_fnv1a64(name, strlen(name));
    rng_seed(r, rng_splitmix64(&x));
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double rng_unit(rng_t *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

int64_t rng_range(rng_t *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
    if (span == 0)
        return (int64_t)rng_next(r);
    /* Rejection sampling keeps the draw unbiased. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t x;
    do {
        x = rng_next(r);
    } while (x >= limit);
    return (int64_t)((uint64_t)lo + x % span);
}

double rng_normal(rng_t *r, double mean, double sd)
{
    /* Irwin-Hall: the sum of 12 uniforms less 6 is close to a standard normal (within
     * ±6 sd), and uses no libm function whose last bits could differ between machines. */
    double sum = 0;
    for (int i = 0; i < 12; i++)
        sum += rng_unit(r);
    return mean + sd * (sum - 6.0);
}
