/* bench_groups: a large consumer group through the whole classic protocol: 200 consumers
 * join a group over a topic with 2,000 partitions on 3 brokers (eager with range, then
 * cooperative-sticky), 60 virtual seconds of polling and auto-commits, and one more
 * member joining at 30 s. Reports wall time, simulated events per second, the group's
 * state and generation at the end, the time its partitions went without an owner, and
 * peak memory. Each case runs in its own
 * process. Wall-clock timing is allowed here, never in sim/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "sim/client/consumer.h"
#include "sim/core/net.h"
#include "sim/kafka/cluster.h"

#define MEMBERS 200
#define PARTITIONS "2000"

typedef struct app {
    world_t *w;
    consumer_t *k;
    bool started;
} app_t;

static void next_poll(void *a, void *b, int64_t arg);

static void polled(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                   int16_t error, const char *what)
{
    app_t *a = ctx;
    world_schedule(a->w, a->w->now + 50 * US_PER_MS, next_poll, a, NULL, 0);
}

static void next_poll(void *x, void *b, int64_t arg)
{
    app_t *a = x;
    if (a->w->now < 60 * US_PER_S)
        consumer_poll(a->k, 200 * US_PER_MS, polled, a);
}

static void start(void *x, void *b, int64_t arg)
{
    app_t *a = x;
    const char *topics[] = { "bench" };
    char err[256];
    if (!consumer_subscribe(a->k, topics, 1, NULL, NULL, err, sizeof err))
        exit(1);
    next_poll(a, NULL, 0);
}

static int run_case(const char *strategy)
{
    char err[256];
    trace_t *tr = trace_new();
    trace_set_enabled(tr, false);
    world_t *w = world_new(1, tr);
    config_t bc, tc, cc;
    config_init(&bc, &broker_config_schema);
    cluster_t *c = cluster_new(w, "main", 3, &bc, err, sizeof err);
    config_init(&tc, &topic_config_schema);
    bench_set(&tc, "partitions", PARTITIONS);
    bench_set(&tc, "replication.factor", "3");
    if (!c || !cluster_create_topic(c, "bench", &tc, err, sizeof err)) {
        fprintf(stderr, "bench_groups: %s\n", err);
        return 1;
    }
    config_init(&cc, &consumer_config_schema);
    bench_set(&cc, "group.id", "bench");
    bench_set(&cc, "partition.assignment.strategy", strategy);
    static app_t apps[MEMBERS + 1];
    for (int i = 0; i <= MEMBERS; i++) {
        char name[32];
        snprintf(name, sizeof name, "c%d", i);
        apps[i] = (app_t){ w, cluster_consumer(c, name, &cc, err, sizeof err), false };
        if (!apps[i].k) {
            fprintf(stderr, "bench_groups: %s\n", err);
            return 1;
        }
        world_schedule(w, i < MEMBERS ? 0 : 30 * US_PER_S, start, &apps[i], NULL, 0);
    }
    double t0 = bench_wall();
    world_run(w, 60 * US_PER_S, NULL, NULL);
    double secs = bench_wall() - t0;
    cJSON *d = cluster_describe_group(c, "bench", err, sizeof err);
    printf("  %-20s %6.2f s wall  %8.0f events/s  %s at generation %lld, partitions without "
           "an owner %.0f ms in all  peak %5.1f MiB\n", strategy, secs,
           (double)w->events_run / secs, d ? trace_str(d, "state") : "?",
           (long long)(d ? cJSON_GetNumberValue(cJSON_GetObjectItem(d, "generation")) : -1),
           d ? cJSON_GetNumberValue(cJSON_GetObjectItem(d, "unowned_ms")) : -1.0,
           bench_peak_mib());
    cJSON_Delete(d);
    fflush(stdout);
    config_free(&bc);
    config_free(&tc);
    config_free(&cc);
    return 0;
}

int main(void)
{
    printf("bench_groups: %d consumers, %s partitions, 60 virtual seconds, one more member "
           "at 30 s\n", MEMBERS, PARTITIONS);
    fflush(stdout);
    const char *cases[] = { "range", "cooperative-sticky" };
    for (size_t i = 0; i < 2; i++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(run_case(cases[i]));
        int st;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            return 1;
    }
    return 0;
}
