/* bench: what every benchmark measures with, and only benchmarks: the wall clock (the
 * simulator never reads it) and the process's peak memory; and the config setter they
 * share. */
#ifndef KSIM_BENCH_H
#define KSIM_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/kafka/config.h"

/* Seconds on the monotonic clock. */
static inline double bench_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The process's peak resident memory so far, in MiB. */
static inline double bench_peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* Sets one config key; a value the config refuses is a broken benchmark: it exits. */
static inline void bench_set(config_t *c, const char *k, const char *v)
{
    char err[256];
    if (!config_set(c, k, v, err, sizeof err)) {
        fprintf(stderr, "bench: %s\n", err);
        exit(1);
    }
}

#endif
