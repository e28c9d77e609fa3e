/* bench_txn_client: transactions per second through the whole transactional producer: one
 * producer with a transactional.id against a 3-broker cluster (replication factor 3),
 * running 10-record transactions back to back (begin, 10 sends over 6 partitions,
 * commit_transaction) until 2,000 have committed: the client's request queue,
 * AddPartitionsToTxn, EndTxn, the coordinator and its markers. Wall-clock timing is
 * allowed here, never in sim/. */
#include <stdio.h>
#include <stdlib.h>

#include "bench/bench.h"
#include "sim/client/producer.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"

#define TXNS 2000
#define RECORDS_PER_TXN 10

typedef struct driver {
    producer_t *p;
    world_t *w;
    int committed, failed;
} driver_t;

static void next_txn(void *a, void *b, int64_t arg);

static void on_commit(void *ctx, producer_t *p, int16_t error, const char *message)
{
    driver_t *d = ctx;
    if (error != KERR_NONE) {
        fprintf(stderr, "bench_txn_client: commit failed: %s: %s\n", producer_exception(error),
                message);
        d->failed++;
        return;
    }
    d->committed++;
    if (d->committed < TXNS)
        world_schedule(d->w, d->w->now, next_txn, d, NULL, 0);
}

static void next_txn(void *a, void *b, int64_t arg)
{
    driver_t *d = a;
    char err[256], value[32];
    if (producer_begin_transaction(d->p, err, sizeof err) != KERR_NONE) {
        fprintf(stderr, "bench_txn_client: begin failed: %s\n", err);
        d->failed++;
        return;
    }
    for (int i = 0; i < RECORDS_PER_TXN; i++) {
        int n = snprintf(value, sizeof value, "txn-%d-rec-%d", d->committed, i);
        producer_send(d->p, "bench", i % 6, BYTES_NULL, (bytes_t){ value, n }, -1, err,
                      sizeof err);
    }
    producer_commit_transaction(d->p, on_commit, d);
}

static void on_init(void *ctx, producer_t *p, int16_t error, const char *message)
{
    driver_t *d = ctx;
    if (error != KERR_NONE) {
        fprintf(stderr, "bench_txn_client: init failed: %s\n", message);
        d->failed++;
        return;
    }
    world_schedule(d->w, d->w->now, next_txn, d, NULL, 0);
}

int main(void)
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
    bench_set(&tc, "replication.factor", "3");
    bench_set(&pc, "transactional.id", "bench-tx");
    cluster_t *c = cluster_new(w, "main", 3, &bc, err, sizeof err);
    if (!c || !cluster_create_topic(c, "bench", &tc, err, sizeof err)) {
        fprintf(stderr, "bench_txn_client: %s\n", err);
        return 1;
    }
    producer_t *p = cluster_producer(c, "p1", &pc, err, sizeof err);
    if (!p) {
        fprintf(stderr, "bench_txn_client: %s\n", err);
        return 1;
    }
    driver_t d = { p, w, 0, 0 };
    double t0 = bench_wall();
    producer_init_transactions(p, on_init, &d);
    while (d.committed < TXNS && !d.failed && world_run(w, w->now + 1000000, NULL, NULL) >= 0 &&
           w->now < 3600 * (int64_t)1000000)
        ;
    double dt = bench_wall() - t0;
    printf("txn_client: %d transactions of %d records committed in %.2f s wall = %.0f "
           "transactions/s (%.1f s virtual = %.0f transactions/s virtual), %llu engine events\n",
           d.committed, RECORDS_PER_TXN, dt, d.committed / dt, (double)w->now / 1e6,
           d.committed / ((double)w->now / 1e6), (unsigned long long)w->events_run);
    printf("txn_client: peak memory %.1f MiB\n", bench_peak_mib());
    int rc = d.committed == TXNS ? 0 : 1;
    cluster_free(c);
    world_free(w);
    trace_free(tr);
    config_free(&bc);
    config_free(&tc);
    config_free(&pc);
    return rc;
}
