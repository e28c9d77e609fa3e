/* A randomized end-to-end test of compaction under replication (SEEDS=N, default 20):
 * three brokers, a compacted topic with three replicas and min.insync.replicas=2, small
 * segments and a cleaner waking every 500 ms, an acks=all producer (idempotent on odd
 * seeds) writing keyed values and tombstones, and random broker crashes and restarts (none longer than
 * delete.retention.ms). Each replica cleans its own log. Once the faults are over and the cluster has settled:
 * - every replica's log is consistent (offsets increase; batches and segments agree);
 * - the three replicas read, from the start, as the same key -> value table;
 * - every key's latest acknowledged value is still there, or a newer record of the key;
 * - the cleaner ran on every broker. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/producer.h"
#include "sim/core/rng.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

#define RECORDS 150
#define KEYS 8
#define BROKERS 3
#define CRASHES 3
#define WINDOW (40 * US_PER_S)

typedef struct run {
    fixture_t f;
    producer_t *p;
    rng_t rng;
    int64_t handle[RECORDS];
    int key[RECORDS];
    bool tombstone[RECORDS];
    char why[512];
} run_t;

static void send_one(void *a, void *b, int64_t i)
{
    run_t *r = a;
    char key[8], value[16], err[256];
    snprintf(key, sizeof key, "k%d", r->key[i]);
    snprintf(value, sizeof value, "r%lld", (long long)i);
    r->handle[i] = producer_send(r->p, TOPIC, 0, str(key), r->tombstone[i] ? BYTES_NULL : str(value),
                                 -1, err, sizeof err);
}

/* The number in "k12" or "r12" (the log's bytes are not NUL-terminated). */
static int num_of(bytes_t b)
{
    int v = 0;
    for (int32_t i = 1; i < b.len; i++)
        v = v * 10 + (b.p[i] - '0');
    return v;
}

/* The table a consumer reading `l` from its start ends with: per key, the value's record
 * index (the number in "rN"), or -1. */
static void replay(const plog_t *l, int *table)
{
    for (int k = 0; k < KEYS; k++)
        table[k] = -1;
    for (size_t i = 0; i < l->n; i++) {
        const log_record_t *rec = &l->recs[i];
        if (rec->offset < l->log_start)
            continue;
        int k = num_of(rec->key);
        table[k] = bytes_is_null(rec->value) ? -1 : num_of(rec->value);
    }
}

static const plog_t *replica(run_t *r, int broker)
{
    char err[256];
    return cluster_replica_log(r->f.c, TOPIC, 0, broker, err, sizeof err);
}

static void check(run_t *r)
{
    int first[KEYS], table[KEYS];
    for (int b = 1; b <= BROKERS && !r->why[0]; b++) {
        const plog_t *l = replica(r, b);
        plog_check(l);
        replay(l, b == 1 ? first : table);
        if (b > 1 && memcmp(first, table, sizeof table) != 0)
            snprintf(r->why, sizeof r->why, "broker %d reads as another table than broker 1", b);
    }
    char err[256];
    const plog_t *leader = cluster_log(r->f.c, TOPIC, 0, err, sizeof err);
    if (!leader) {
        snprintf(r->why, sizeof r->why, "no leader at the end: %s", err);
        return;
    }
    int64_t latest[KEYS];
    int latest_i[KEYS];
    for (int k = 0; k < KEYS; k++)
        latest[k] = -1;
    for (int i = 0; i < RECORDS; i++) {
        const send_result_t *res = producer_result(r->p, (uint32_t)r->handle[i]);
        if (res->done && res->error == KERR_NONE && res->offset > latest[r->key[i]]) {
            latest[r->key[i]] = res->offset;
            latest_i[r->key[i]] = i;
        }
    }
    for (int k = 0; k < KEYS && !r->why[0]; k++) {
        if (latest[k] < 0 || r->tombstone[latest_i[k]])
            continue;
        bool found = false;
        for (size_t i = 0; i < leader->n && !found; i++)
            found = leader->recs[i].offset >= latest[k] && num_of(leader->recs[i].key) == k;
        if (!found)
            snprintf(r->why, sizeof r->why,
                     "key k%d lost its latest acknowledged value (offset %lld) and has nothing newer",
                     k, (long long)latest[k]);
    }
}

static int64_t tombstones_removed;

static bool run_seed(uint64_t seed, int *passes, char *why, size_t n)
{
    run_t *r = calloc(1, sizeof *r);
    rng_stream(&r->rng, seed, "test");
    char retention[16];
    /* Longer than any broker stays behind: a replica that lags more than
     * delete.retention.ms can miss a tombstone its leader has already removed, and keep
     * the value it deleted (as a consumer would; see docs/compaction.md). */
    snprintf(retention, sizeof retention, "%lld", (long long)rng_range(&r->rng, 20000, 40000));
    const char *bkv[] = { "log.cleaner.backoff.ms", "500", NULL };
    const char *tkv[] = { "partitions", "1", "replication.factor", "3",
                          "min.insync.replicas", "2", "cleanup.policy", "compact",
                          "segment.ms", "300", "min.cleanable.dirty.ratio", "0.3",
                          "delete.retention.ms", retention, NULL };
    fixture_init_with(&r->f, seed, BROKERS, bkv, tkv);
    config_t pc;
    config_init(&pc, &producer_config_schema);
    /* Odd seeds with the idempotent producer: the cleaner then keeps producers' last
     * batches, which producer state is rebuilt from after a crash or a leader change. */
    const char *pkv[] = { "acks", "all", "enable.idempotence", seed % 2 ? "true" : "false",
                          NULL };
    fixture_config(&pc, pkv);
    r->p = cluster_producer(r->f.c, "p1", &pc, r->f.err, sizeof r->f.err);
    config_free(&pc);
    for (int i = 0; i < RECORDS; i++) {
        r->key[i] = (int)rng_range(&r->rng, 0, KEYS - 1);
        r->tombstone[i] = rng_unit(&r->rng) < 0.2;
        world_schedule(r->f.w, rng_range(&r->rng, 0, WINDOW), send_one, r, NULL, i);
    }
    for (int k = 0; k < CRASHES; k++) {
        node_t *b = cluster_broker(r->f.c, (int)rng_range(&r->rng, 1, BROKERS));
        int64_t at = rng_range(&r->rng, 0, WINDOW);
        world_schedule(r->f.w, at, fixture_crash_cb, r->f.w, b, 0);
        world_schedule(r->f.w, at + rng_range(&r->rng, 500, 15000) * US_PER_MS, fixture_restart_cb,
                       r->f.w, b, 0);
    }
    world_run(r->f.w, 150 * US_PER_S, NULL, NULL);
    check(r);
    int brokers_cleaning = 0;
    for (int b = 1; b <= BROKERS; b++) {
        char node[24];
        snprintf(node, sizeof node, "broker-%d", b);
        bool any = false;
        for (size_t i = 0; i < r->f.n_ev; i++) {
            bool clean = str_is(r->f.ev[i], "kind", "log_clean");
            any |= clean && str_is(r->f.ev[i], "node", node);
            *passes += clean && b == 1;
            if (clean && b == 1)
                tombstones_removed += trace_int(r->f.ev[i], "tombstones_removed", 0);
        }
        brokers_cleaning += any;
    }
    if (!r->why[0] && brokers_cleaning != BROKERS)
        snprintf(r->why, sizeof r->why, "only %d brokers ran their cleaner", brokers_cleaning);
    bool okay = !r->why[0];
    snprintf(why, n, "%s", r->why);
    fixture_free(&r->f);
    free(r);
    return okay;
}

int main(void)
{
    unsigned seeds = tap_seeds(20);
    int failed = 0, passes = 0;
    for (unsigned s = 1; s <= seeds; s++) {
        char why[512];
        if (!run_seed(s, &passes, why, sizeof why) && failed++ < 5)
            tap_diag("seed %u: %s", s, why);
    }
    ok(failed == 0, "over %u seeds with broker crashes, every replica's compacted log is "
                    "consistent, reads as the same table, and keeps the latest values", seeds);
    ok(passes > (int)seeds * 5, "the cleaners made many passes (%d on broker-1)", passes);
    ok(tombstones_removed > 0, "and removed tombstones past their horizon (%lld on broker-1)",
       (long long)tombstones_removed);
    return tap_done();
}
