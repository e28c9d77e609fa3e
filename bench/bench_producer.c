/* bench_producer: records per second through the whole Kafka slice: a producer sending
 * 1,000,000 records to a 3-broker cluster with 1% of Produce responses lost, the retries
 * that follow, and the log appends; the same with the idempotent producer (budget: under
 * 2 s), whose retries the brokers recognise; then the records replicated three times with
 * acks=all and no faults. Each case runs in its own process, for its own peak memory.
 * Wall-clock timing is allowed here, never in sim/. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "sim/client/producer.h"
#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"

#define RECORDS 1000000

/* Sends the records in waves so the accumulator stays at a realistic size. */
typedef struct feeder {
    producer_t *p;
    int sent;
} feeder_t;

static void feed(void *a, void *b, int64_t arg)
{
    feeder_t *f = a;
    char key[32], value[64], err[128];
    for (int i = 0; i < 1000 && f->sent < RECORDS; i++, f->sent++) {
        int kl = snprintf(key, sizeof key, "key-%d", f->sent % 10000);
        int vl = snprintf(value, sizeof value, "value-%d-padding-padding", f->sent);
        producer_send(f->p, "bench", -1, (bytes_t){ key, kl }, (bytes_t){ value, vl }, -1, err,
                      sizeof err);
    }
    if (f->sent < RECORDS)
        world_schedule(producer_node(f->p)->w, producer_node(f->p)->w->now + 1000, feed, f,
                       NULL, 0);
}

typedef struct bench_case {
    const char *rf, *acks, *idempotence;
    double lost;   /* share of Produce responses dropped */
} bench_case_t;

static int run_case(const bench_case_t *bcase)
{
    char err[256];
    trace_t *tr = trace_new();
    trace_set_enabled(tr, false);
    world_t *w = world_new(1, tr);
    config_t bc, tc, pc;
    config_init(&bc, &broker_config_schema);
    config_init(&tc, &topic_config_schema);
    config_init(&pc, &producer_config_schema);
    bench_set(&tc, "partitions", "6");
    bench_set(&tc, "replication.factor", bcase->rf);
    bench_set(&pc, "enable.idempotence", bcase->idempotence);
    bench_set(&pc, "acks", bcase->acks);
    bench_set(&pc, "linger.ms", "5");
    bench_set(&pc, "request.timeout.ms", "1000");
    cluster_t *c = cluster_new(w, "main", 3, &bc, err, sizeof err);
    if (!c || !cluster_create_topic(c, "bench", &tc, err, sizeof err)) {
        fprintf(stderr, "bench_producer: %s\n", err);
        return 1;
    }
    producer_t *p = cluster_producer(c, "p1", &pc, err, sizeof err);
    if (bcase->lost > 0) {
        fault_spec_t f;
        fault_spec_init(&f, FAULT_DROP);
        f.dir = DIR_RESPONSE;
        f.api = API_PRODUCE;
        f.probability = bcase->lost;
        net_add_fault(w->net, &f);
    }

    feeder_t fd = { p, 0 };
    double t0 = bench_wall();
    world_schedule(w, 0, feed, &fd, NULL, 0);
    world_run(w, INT64_MAX, NULL, NULL);
    double dt = bench_wall() - t0;

    int64_t stored = 0;
    for (int32_t part = 0; part < 6; part++)
        stored += (int64_t)cluster_log(c, "bench", part, err, sizeof err)->n;
    int failed = 0;
    for (uint32_t i = 0; i < RECORDS; i++)
        failed += producer_result(p, i)->error != KERR_NONE;
    printf("producer: %d records (replication factor %s, acks=%s, enable.idempotence=%s, "
           "linger.ms=5, %g%% lost ACKs) in %.2f s = %.0f records/s, %llu engine events\n",
           RECORDS, bcase->rf, bcase->acks, bcase->idempotence, bcase->lost * 100, dt,
           RECORDS / dt, (unsigned long long)w->events_run);
    printf("producer: %lld records in the logs (%lld duplicates from retries), %d failed, "
           "%.1f s virtual\n",
           (long long)stored, (long long)(stored - RECORDS), failed, (double)w->now / 1e6);
    printf("producer: peak memory %.1f MiB\n", bench_peak_mib());
    cluster_free(c);
    world_free(w);
    trace_free(tr);
    config_free(&bc);
    config_free(&tc);
    config_free(&pc);
    return 0;
}

int main(void)
{
    static const bench_case_t cases[] = { { "1", "1", "false", 0.01 },
                                          { "1", "all", "true", 0.01 },
                                          { "3", "all", "false", 0 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            int rc = run_case(&cases[i]);
            fflush(stdout);
            _exit(rc);
        }
        int status = 0;
        if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0)
            return 1;
    }
    return 0;
}
