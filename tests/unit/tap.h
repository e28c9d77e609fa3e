/* tap: a minimal TAP producer for the C unit tests (run under prove). */
#ifndef KSIM_TAP_H
#define KSIM_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void tap_okv(int cond, const char *file, int line, const char *fmt, va_list ap)
{
    tap_n++;
    printf("%sok %d - ", cond ? "" : "not ", tap_n);
    vprintf(fmt, ap);
    printf("\n");
    if (!cond) {
        tap_failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
}

static inline int tap_ok_at(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_okv(cond, file, line, fmt, ap);
    va_end(ap);
    return cond;
}

#define ok(cond, ...) tap_ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                                              \
    do {                                                                                    \
        long long g_ = (long long)(got), w_ = (long long)(want);                            \
        if (!tap_ok_at(g_ == w_, __FILE__, __LINE__, __VA_ARGS__))                          \
            printf("#   got %lld, want %lld\n", g_, w_);                                    \
    } while (0)
#define is_str(got, want, ...)                                                              \
    do {                                                                                    \
        const char *g_ = (got), *w_ = (want);                                               \
        int eq_ = (g_ && w_) ? strcmp(g_, w_) == 0 : g_ == w_;                              \
        if (!tap_ok_at(eq_, __FILE__, __LINE__, __VA_ARGS__))                               \
            printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)");    \
    } while (0)

static inline void tap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* How many seeds a randomized test sweeps: $SEEDS when set (make test SEEDS=5000),
 * else `dflt`. The seed is printed with any failure so it can be replayed. */
static inline unsigned tap_seeds(unsigned dflt)
{
    const char *s = getenv("SEEDS");
    long n = s ? strtol(s, NULL, 10) : 0;
    return n > 0 ? (unsigned)n : dflt;
}

/* The same for the sweeps that take the longest: without $SEEDS, the default divided by
 * $SEEDS_DIV when that is set (the sanitizer build, several times slower, sets 5). */
static inline unsigned tap_seeds_long(unsigned dflt)
{
    const char *d = getenv("SEEDS_DIV");
    long div = d ? strtol(d, NULL, 10) : 0;
    if (getenv("SEEDS") || div < 2 || dflt / (unsigned)div == 0)
        return tap_seeds(dflt);
    return dflt / (unsigned)div;
}

/* Prints the plan at the end and exits non-zero when anything failed. */
static inline int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
