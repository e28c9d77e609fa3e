/* Unit tests for sim/core/rng: the reference vectors of splitmix64 and xoshiro256**
 * (checked against a Python transcription of the published algorithms), per-name streams,
 * stream independence across nodes of a world, and the ranges of the derived draws. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/core/rng.h"
#include "sim/core/world.h"
#include "tests/unit/tap.h"

#define is_u64(got, want, ...)                                                              \
    do {                                                                                    \
        uint64_t g_ = (got), w_ = (want);                                                   \
        if (!ok(g_ == w_, __VA_ARGS__))                                                     \
            tap_diag("  got 0x%016llx, want 0x%016llx", (unsigned long long)g_,            \
                     (unsigned long long)w_);                                               \
    } while (0)

static void test_splitmix64(void)
{
    uint64_t state = 0;
    is_u64(rng_splitmix64(&state), 0xe220a8397b1dcdafULL, "splitmix64 from state 0 first gives 0xe220a8397b1dcdaf");
    is_u64(rng_splitmix64(&state), 0x6e789e6aa1b965f4ULL, "splitmix64 then gives 0x6e789e6aa1b965f4");
    is_u64(rng_splitmix64(&state), 0x06c45d188009454fULL, "splitmix64 then gives 0x06c45d188009454f");
    is_u64(state, 3 * 0x9e3779b97f4a7c15ULL, "splitmix64 advances its state by the golden gamma per draw");
}

static void test_xoshiro(void)
{
    rng_t r = { .s = { 1, 2, 3, 4 } };
    is_u64(rng_next(&r), 11520, "xoshiro256** from state {1,2,3,4} first gives 11520");
    is_u64(rng_next(&r), 0, "xoshiro256** then gives 0");
    is_u64(rng_next(&r), 1509978240, "xoshiro256** then gives 1509978240");
    is_u64(rng_next(&r), 1215971899390074240ULL, "xoshiro256** then gives 1215971899390074240");

    rng_t s;
    rng_seed(&s, 0);
    ok(s.s[0] == 0xe220a8397b1dcdafULL && s.s[1] == 0x6e789e6aa1b965f4ULL &&
           s.s[2] == 0x06c45d188009454fULL,
       "rng_seed fills the xoshiro state with consecutive splitmix64 outputs");
}

static bool same_stream(rng_t *a, rng_t *b, int n)
{
    bool same = true;
    for (int i = 0; i < n; i++)
        if (rng_next(a) != rng_next(b))
            same = false;
    return same;
}

static void test_streams(void)
{
    rng_t a, b;
    rng_stream(&a, 42, "broker-1");
    rng_stream(&b, 42, "broker-1");
    ok(same_stream(&a, &b, 1000), "the same seed and name give the same stream");

    rng_stream(&a, 42, "broker-1");
    rng_stream(&b, 42, "broker-2");
    ok(!same_stream(&a, &b, 4), "different names give different streams");

    rng_stream(&a, 42, "broker-1");
    rng_stream(&b, 43, "broker-1");
    ok(!same_stream(&a, &b, 4), "different seeds give the same name different streams");

    rng_stream(&a, 42, "p1");
    rng_seed(&b, 42);
    ok(!same_stream(&a, &b, 4), "a named stream differs from the bare seed's stream");
}

static void nop_message(node_t *n, msg_t *m)
{
    (void)n;
    (void)m;
}

static const node_ops_t trivial_ops = { .on_message = nop_message };

#define DRAWS 64

static void draws_of(node_t *n, uint64_t *out, int from, int to)
{
    for (int i = from; i < to; i++)
        out[i] = rng_next(&n->rng);
}

static void test_world_streams(void)
{
    uint64_t alone[DRAWS], after_others[DRAWS], interleaved[DRAWS];

    world_t *w1 = world_new(7, NULL);
    node_t *b1 = world_add_node(w1, "broker-1", ROLE_BROKER, &trivial_ops, NULL);
    draws_of(b1, alone, 0, DRAWS);
    world_free(w1);

    /* The same broker, added after a producer and a consumer. */
    world_t *w2 = world_new(7, NULL);
    world_add_node(w2, "p1", ROLE_PRODUCER, &trivial_ops, NULL);
    world_add_node(w2, "c1", ROLE_CONSUMER, &trivial_ops, NULL);
    node_t *b2 = world_add_node(w2, "broker-1", ROLE_BROKER, &trivial_ops, NULL);
    draws_of(b2, after_others, 0, DRAWS);
    world_free(w2);

    /* A node added half-way through the broker's draws, which also draws itself. */
    world_t *w3 = world_new(7, NULL);
    node_t *b3 = world_add_node(w3, "broker-1", ROLE_BROKER, &trivial_ops, NULL);
    draws_of(b3, interleaved, 0, DRAWS / 2);
    node_t *p3 = world_add_node(w3, "p1", ROLE_PRODUCER, &trivial_ops, NULL);
    for (int i = 0; i < 10; i++)
        rng_next(&p3->rng);
    draws_of(b3, interleaved, DRAWS / 2, DRAWS);
    world_free(w3);

    ok(memcmp(alone, after_others, sizeof alone) == 0,
       "a node's draws do not depend on which nodes were added before it");
    ok(memcmp(alone, interleaved, sizeof alone) == 0,
       "adding a node mid-run does not change the draws of another node's stream");

    world_t *w4 = world_new(7, NULL);
    node_t *b4 = world_add_node(w4, "broker-1", ROLE_BROKER, &trivial_ops, NULL);
    rng_t expect;
    rng_stream(&expect, 7, "broker-1");
    ok(same_stream(&b4->rng, &expect, 16), "a node's stream is the (world seed, node name) stream");
    world_free(w4);
}

static void test_range(void)
{
    rng_t r;
    rng_seed(&r, 99);
    bool inside = true;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    int counts[7] = { 0 };
    for (int i = 0; i < 70000; i++) {
        int64_t v = rng_range(&r, -3, 3);
        if (v < -3 || v > 3) {
            inside = false;
            continue;
        }
        counts[v + 3]++;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    ok(inside, "rng_range stays within [lo, hi]");
    ok(lo == -3 && hi == 3, "rng_range hits both ends of its range");
    bool even = true;
    for (int i = 0; i < 7; i++)
        if (counts[i] < 9000 || counts[i] > 11000)
            even = false;
    ok(even, "rng_range is roughly uniform over its range");

    bool single = true;
    for (int i = 0; i < 100; i++)
        if (rng_range(&r, 5, 5) != 5)
            single = false;
    ok(single, "rng_range over a single value always returns it");

    int seen_lo = 0, seen_hi = 0, outside = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t v = rng_range(&r, INT64_MAX - 1, INT64_MAX);
        seen_lo += v == INT64_MAX - 1;
        seen_hi += v == INT64_MAX;
        outside += v < INT64_MAX - 1;
    }
    ok(!outside && seen_lo && seen_hi, "rng_range at the top of int64_t stays inside and hits both ends");

    /* The widest span whose hi - lo still fits in int64_t. */
    int64_t wide_lo = -(INT64_C(1) << 62), wide_hi = (INT64_C(1) << 62) - 1;
    int negatives = 0, positives = 0, wide_outside = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t v = rng_range(&r, wide_lo, wide_hi);
        negatives += v < 0;
        positives += v > 0;
        wide_outside += v < wide_lo || v > wide_hi;
    }
    ok(!wide_outside && negatives > 400 && positives > 400,
       "rng_range over a span of 2^63 values stays inside and draws both signs");

    int full_neg = 0, full_pos = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t v = rng_range(&r, INT64_MIN, INT64_MAX);
        full_neg += v < 0;
        full_pos += v > 0;
    }
    ok(full_neg > 400 && full_pos > 400,
       "rng_range over all of int64_t draws both signs without overflowing");
}

static void test_unit_and_normal(void)
{
    rng_t r;
    rng_seed(&r, 123);
    bool inside = true;
    double sum = 0;
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        double u = rng_unit(&r);
        if (!(u >= 0.0 && u < 1.0))
            inside = false;
        sum += u;
    }
    ok(inside, "rng_unit stays in [0, 1)");
    ok(fabs(sum / n - 0.5) < 0.01, "rng_unit averages one half");

    rng_t zero = { .s = { 0, 0, 0, 0 } };
    /* The all-zero state yields zero forever: the lowest value rng_unit can return. */
    ok(rng_unit(&zero) == 0.0, "rng_unit maps a zero draw to exactly 0");

    double s1 = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        double v = rng_normal(&r, 100.0, 10.0);
        s1 += v;
        s2 += v * v;
    }
    double mean = s1 / n, sd = sqrt(s2 / n - mean * mean);
    ok(fabs(mean - 100.0) < 0.5 && fabs(sd - 10.0) < 0.5,
       "rng_normal has the requested mean and standard deviation");
}

int main(void)
{
    test_splitmix64();
    test_xoshiro();
    test_streams();
    test_world_streams();
    test_range();
    test_unit_and_normal();
    return tap_done();
}
