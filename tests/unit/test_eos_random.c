/* A randomized test of exactly-once processing over many seeds. Three brokers (RF 3,
 * min.insync.replicas 2); the topic "in" holds RECORDS records written before the faults;
 * an application reads "in" with a read_committed consumer of group "g" and, per poll,
 * writes one record to "out" per input inside a transaction that also carries its
 * consumer offsets (send_offsets_to_transaction). Faults, at random: the application
 * crashes (both its processes) and restarts, brokers crash or are cut off and come back,
 * and requests and answers of Produce and the transaction APIs are lost. After any error
 * the application restarts, as a supervisor would: a new instance calls
 * init_transactions, which fences the old one and aborts what it left open, and its
 * consumer resumes from the group's committed offsets. When the faults are over, the
 * application finishes. Then:
 * - reading "out" as read_committed does (data of committed transactions, no control
 *   records), every input is there exactly once;
 * - a read_committed consumer returns exactly that, in offset order, and so never a record
 *   of an aborted transaction;
 * - the group's committed offsets are the ends of "in".
 * 1,000 seeds by default (SEEDS=N for another count). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/consumer.h"
#include "sim/client/producer.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"
#include "tests/unit/eos_check.h"

#define BROKERS 3
#define PARTITIONS 2
#define RECORDS 40
#define FAULT_END (20 * US_PER_S)
#define DEADLINE (400 * US_PER_S)
#define GROUP "g"

typedef enum app_state { APP_DOWN, APP_INIT, APP_POLL, APP_TXN, APP_DONE } app_state_t;

typedef struct run {
    fixture_t f;
    rng_t rng;
    producer_t *src, *p;
    consumer_t *k;
    app_state_t state;
    uint32_t gen;           /* the application's instance: callbacks of an older one are ignored */
    int restarts, txns, commits;
    bool faults_over;
} run_t;

typedef struct stats {
    int64_t txns, commits, restarts, aborted_records;
} stats_t;

static const char *const topics[] = { "in", "out" };

static void app_start(run_t *r);
static void app_start_cb(void *a, void *b, int64_t arg)
{
    (void)b;
    (void)arg;
    app_start(a);
}

/* The supervisor: the application's processes die and start again a little later. */
static void app_restart_now(void *a, void *b, int64_t gen)
{
    run_t *r = a;
    (void)b;
    if ((uint32_t)gen != r->gen || r->state == APP_DONE)
        return;
    r->state = APP_DOWN;
    r->gen++;
    r->restarts++;
    node_t *pn = producer_node(r->p), *kn = consumer_node(r->k);
    if (pn->up)
        world_crash(r->f.w, pn, "the application restarts");
    if (kn->up)
        world_crash(r->f.w, kn, "the application restarts");
    int64_t back = rng_range(&r->rng, 100, 2000) * US_PER_MS;
    world_schedule(r->f.w, r->f.w->now + back, app_start_cb, r,
                   NULL, 0);
}

static void app_failed(run_t *r)
{
    world_schedule(r->f.w, r->f.w->now, app_restart_now, r, NULL, r->gen);
}

/* A callback of the step `want` that is still current (not from an older process) and
 * succeeded; a failure restarts the instance. */
static bool step_ok(run_t *r, app_state_t want, int16_t error)
{
    if (r->state != want)
        return false;
    if (error != KERR_NONE) {
        app_failed(r);
        return false;
    }
    return true;
}

static void poll_next(run_t *r);

static void on_commit(void *ctx, producer_t *p, int16_t error, const char *msg)
{
    run_t *r = ctx;
    (void)p;
    (void)msg;
    if (!step_ok(r, APP_TXN, error))
        return;
    r->commits++;
    poll_next(r);
}

static void on_offsets(void *ctx, producer_t *p, int16_t error, const char *msg)
{
    run_t *r = ctx;
    (void)msg;
    if (!step_ok(r, APP_TXN, error))
        return;
    producer_commit_transaction(p, on_commit, r);
}

/* The consumer is at the end of "in", which holds every record of the source. */
static bool finished(const run_t *r)
{
    char err[200];
    int64_t total = 0;
    for (int32_t i = 0; i < PARTITIONS; i++) {
        const plog_t *l = cluster_log(r->f.c, "in", i, err, sizeof err);
        if (!l || consumer_position(r->k, "in", i) != l->leo)
            return false;
        total += l->leo;
    }
    return total == RECORDS;
}

static void on_poll(void *ctx, consumer_t *k, const consumer_record_t *recs, size_t n,
                    int16_t error, const char *what)
{
    run_t *r = ctx;
    (void)k;
    (void)what;
    if (!step_ok(r, APP_POLL, error))
        return;
    if (n == 0) {
        if (r->faults_over && finished(r))
            r->state = APP_DONE;
        else
            poll_next(r);
        return;
    }
    r->state = APP_TXN;
    r->txns++;
    if (!eos_transform(r->f.w, r->p, r->k, recs, n, PARTITIONS, on_offsets, r))
        app_failed(r);
}

static void poll_next(run_t *r)
{
    r->state = APP_POLL;
    consumer_poll(r->k, 200 * US_PER_MS, on_poll, r);
}

static void on_init(void *ctx, producer_t *p, int16_t error, const char *msg)
{
    run_t *r = ctx;
    (void)p;
    (void)msg;
    if (!step_ok(r, APP_INIT, error))
        return;
    topic_partition_t tps[PARTITIONS];
    const char *in = world_intern(r->f.w, "in");
    for (int32_t i = 0; i < PARTITIONS; i++)
        tps[i] = (topic_partition_t){ in, i };
    consumer_assign(r->k, tps, PARTITIONS);
    poll_next(r);
}

static void app_start(run_t *r)
{
    node_t *pn = producer_node(r->p), *kn = consumer_node(r->k);
    if (!pn->up)
        world_restart(r->f.w, pn);
    if (!kn->up)
        world_restart(r->f.w, kn);
    r->state = APP_INIT;
    producer_init_transactions(r->p, on_init, r);
}

/* ---- faults ---- */

static void app_crash_cb(void *a, void *b, int64_t arg)
{
    run_t *r = a;
    (void)b;
    (void)arg;
    if (r->state != APP_DOWN && r->state != APP_DONE)
        app_restart_now(r, NULL, r->gen);
}

static void faults_over_cb(void *a, void *b, int64_t arg)
{
    run_t *r = a;
    (void)b;
    (void)arg;
    r->faults_over = true;
    eos_faults_end(&r->f, BROKERS);
}

/* Loses requests or answers of `api` at random: the application's own, or for
 * WriteTxnMarkers those between the coordinator and the partition leaders. */
static void drop_api(run_t *r, int16_t api)
{
    fault_spec_t s;
    fault_spec_init(&s, FAULT_DROP);
    s.api = api;
    s.probability = 0.08 * rng_unit(&r->rng);
    s.until = FAULT_END;
    if (api == API_WRITE_TXN_MARKERS) {
        net_add_fault(r->f.w->net, &s);
        return;
    }
    int32_t app = producer_node(r->p)->id;
    s.dir = DIR_REQUEST;
    s.from = app;
    net_add_fault(r->f.w->net, &s);
    s.dir = DIR_RESPONSE;
    s.from = -1;
    s.to = app;
    net_add_fault(r->f.w->net, &s);
}

static void setup(run_t *r, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    rng_seed(&r->rng, seed);
    const char *broker_kv[] = { "offsets.topic.num.partitions", "3",
                                "transaction.state.log.num.partitions", "3",
                                "request.timeout.ms", "3000", NULL };
    const char *topic_kv[] = { "partitions", "2", "replication.factor", "3",
                               "min.insync.replicas", "2", NULL };
    fixture_init_with(&r->f, seed, BROKERS, broker_kv, topic_kv);
    world_t *w = r->f.w;
    net_set_default_latency(w->net, (latency_t){ LAT_UNIFORM, 200, 2000 });
    for (size_t i = 0; i < 2; i++) {
        config_t tc;
        config_init(&tc, &topic_config_schema);
        fixture_config(&tc, topic_kv);
        if (!cluster_create_topic(r->f.c, topics[i], &tc, r->f.err, sizeof r->f.err))
            abort();
        config_free(&tc);
    }
    const char *src_kv[] = { "linger.ms", "5", NULL };
    r->src = eos_producer(&r->f, "source", src_kv);
    char err[200];
    for (int i = 0; i < RECORDS; i++) {
        char key[16], value[16];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(value, sizeof value, "%d", i);
        if (producer_send(r->src, "in", -1, str(key), str(value), -1, err, sizeof err) < 0)
            abort();
    }
    /* Above offsets.commit.timeout.ms (5 s), as Kafka's default 30 s is: a TxnOffsetCommit
     * resent while the first attempt still waits for replication loses its pending offsets
     * when that first attempt times out (GroupMetadata.failPendingTxnOffsetCommit), which
     * docs/transactions.md describes. */
    char req[8];
    snprintf(req, sizeof req, "%d", (int)rng_range(&r->rng, 6000, 12000));
    const char *p_kv[] = { "transactional.id", "app", "request.timeout.ms", req,
                           "max.block.ms", "20000", NULL };
    r->p = eos_producer(&r->f, "app-out", p_kv);
    const char *k_kv[] = { "group.id", GROUP, "isolation.level", "read_committed",
                           "enable.auto.commit", "false", "auto.offset.reset", "earliest",
                           "max.poll.records", (rng_range(&r->rng, 0, 1) ? "5" : "13"),
                           "request.timeout.ms", req, NULL };
    r->k = fixture_consumer(&r->f, "app-in", k_kv);
    world_schedule(w, 500 * US_PER_MS, app_start_cb, r, NULL, 0);

    int crashes = (int)rng_range(&r->rng, 0, 3);
    for (int i = 0; i < crashes; i++)
        world_schedule(w, rng_range(&r->rng, 1000, 18000) * US_PER_MS, app_crash_cb, r, NULL, 0);
    eos_broker_faults(&r->f, &r->rng, BROKERS);
    static const int16_t apis[] = { API_PRODUCE, API_ADD_PARTITIONS_TO_TXN,
                                    API_ADD_OFFSETS_TO_TXN, API_TXN_OFFSET_COMMIT, API_END_TXN,
                                    API_WRITE_TXN_MARKERS, API_INIT_PRODUCER_ID };
    for (size_t i = 0; i < sizeof apis / sizeof apis[0]; i++)
        if (rng_range(&r->rng, 0, 2) == 0)
            drop_api(r, apis[i]);
    world_schedule(w, FAULT_END, faults_over_cb, r, NULL, 0);
}

static bool check(run_t *r, stats_t *st, char *why, size_t wn)
{
    if (r->state != APP_DONE) {
        snprintf(why, wn, "the application did not finish by %lld s (state %d, %d restarts)",
                 (long long)(DEADLINE / US_PER_S), (int)r->state, r->restarts);
        return false;
    }
    if (!eos_check_output(&r->f, "out", PARTITIONS, RECORDS, NULL, &st->aborted_records, why,
                          wn))
        return false;
    /* The group's committed offsets are the ends of "in". */
    if (!eos_offsets_at_end(r->f.c, GROUP, "in", PARTITIONS, RECORDS)) {
        snprintf(why, wn, "the group's committed offsets are not the ends of \"in\"");
        return false;
    }
    st->txns += r->txns;
    st->commits += r->commits;
    st->restarts += r->restarts;
    return true;
}

static bool app_settled(void *ctx)
{
    return ((run_t *)ctx)->state == APP_DONE;
}

static uint64_t run_seed(uint64_t seed, stats_t *st, bool *good, char *why, size_t wn)
{
    run_t *r = calloc(1, sizeof *r);
    if (!r)
        abort();
    setup(r, seed);

    world_run(r->f.w, DEADLINE, app_settled, r);
    /* The last commit's markers may still be on their way (commitTransaction returns once
     * PrepareCommit is written): up to 30 s more, until the coordinator says it is done. */
    for (int i = 0; i < 30 && !eos_txn_complete(r->f.c, "app"); i++)
        world_run(r->f.w, r->f.w->now + US_PER_S, NULL, NULL);
    *good = check(r, st, why, wn);
    uint64_t digest = trace_digest(r->f.tr);
    eos_dump_trace(&r->f, seed, "test_eos_random");
    fixture_free(&r->f);
    free(r);
    return digest;
}

int main(void)
{
    unsigned seeds = tap_seeds_long(1000), failed = 0;
    stats_t st = { 0 };
    char why[300];
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        bool good;
        run_seed(seed, &st, &good, why, sizeof why);
        if (!good && failed++ < 5)
            tap_diag("seed %llu: %s", (unsigned long long)seed, why);
    }
    ok(failed == 0,
       "consume-transform-produce under application crashes, broker crashes and partitions and "
       "lost requests and answers: every input exactly once in the committed output, a "
       "read_committed consumer reads exactly that, the offsets committed to the end (%u seeds, "
       "%lld transactions, %lld committed, %lld restarts)", seeds, (long long)st.txns,
       (long long)st.commits, (long long)st.restarts);
    ok(seeds < 20 || (st.restarts > 0 && st.aborted_records > 0),
       "the faults restarted the application and aborted transactions (%lld records of aborted "
       "transactions in the logs)", (long long)st.aborted_records);
    stats_t scratch = { 0 };
    bool g1, g2;
    uint64_t d1 = run_seed(7, &scratch, &g1, why, sizeof why);
    uint64_t d2 = run_seed(7, &scratch, &g2, why, sizeof why);
    ok(d1 == d2, "a seed replays to the same trace digest");
    return tap_done();
}
