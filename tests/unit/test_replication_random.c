/* A randomized test of replication over many seeds: three brokers, a topic with three
 * replicas and min.insync.replicas=2, an acks=all producer, and random broker crashes and
 * restarts, GC pauses and network partitions (also of the controller). Without unclean
 * election, Kafka promises: no acknowledged record is ever lost, and no two replicas
 * disagree below their high watermarks. Checked every 20 ms of virtual time and at the
 * end, once every fault is over. SEEDS=N sweeps more seeds. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/producer.h"
#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

#define RECORDS 80
#define PARTITIONS 2
#define BROKERS 3
#define FAULTS 6
#define FAULT_WINDOW (60 * US_PER_S)

typedef struct run {
    fixture_t f;
    producer_t *p;
    rng_t rng;
    int64_t handle[RECORDS];
    char why[512];      /* the first broken invariant */
    bool over;          /* the periodic check stops */
} run_t;

static void send_one(void *a, void *b, int64_t i)
{
    run_t *r = a;
    char value[16], err[256];
    snprintf(value, sizeof value, "r%lld", (long long)i);
    r->handle[i] = producer_send(r->p, TOPIC, -1, str(value), str(value), -1, err, sizeof err);
}

static bool same_record(const log_record_t *a, const log_record_t *b)
{
    return a->offset == b->offset && a->leader_epoch == b->leader_epoch &&
           a->value.len == b->value.len &&
           memcmp(a->value.p, b->value.p, (size_t)a->value.len) == 0;
}

static const plog_t *replica(const run_t *r, int32_t p, int broker)
{
    char err[256];
    return cluster_replica_log(r->f.c, TOPIC, p, broker, err, sizeof err);
}

/* Every pair of replicas agrees below the smaller of their high watermarks. */
static void check_agreement(run_t *r)
{
    for (int32_t p = 0; p < PARTITIONS && !r->why[0]; p++)
        for (int a = 1; a <= BROKERS; a++)
            for (int b = a + 1; b <= BROKERS; b++) {
                const plog_t *la = replica(r, p, a), *lb = replica(r, p, b);
                if (la->hw > la->leo || lb->hw > lb->leo) {
                    snprintf(r->why, sizeof r->why, "t-%d: a high watermark above its log end",
                             p);
                    return;
                }
                int64_t hw = la->hw < lb->hw ? la->hw : lb->hw;
                for (int64_t o = 0; o < hw; o++)
                    if (!same_record(&la->recs[o], &lb->recs[o])) {
                        snprintf(r->why, sizeof r->why,
                                 "t-%d: brokers %d and %d differ at offset %lld below the HW "
                                 "(%lld) at %lld us", p, a, b, (long long)o, (long long)hw,
                                 (long long)r->f.w->now);
                        return;
                    }
            }
}

static void periodic(void *a, void *b, int64_t arg)
{
    run_t *r = a;
    if (r->over)
        return;
    check_agreement(r);
    world_schedule(r->f.w, r->f.w->now + 20 * US_PER_MS, periodic, r, NULL, 0);
}

static void pause_cb(void *a, void *b, int64_t us)
{
    world_pause_for(a, b, us);
}

static void heal_cb(void *a, void *b, int64_t id)
{
    net_heal(a, (int)id);
}

typedef struct cut {
    run_t *r;
    int32_t node;
    int64_t duration;
} cut_t;

static cut_t cuts[FAULTS];

static void cut_cb(void *a, void *b, int64_t arg)
{
    cut_t *c = a;
    world_t *w = c->r->f.w;
    int id = fixture_isolate(w, c->node);
    world_schedule(w, w->now + c->duration, heal_cb, w->net, NULL, id);
}

/* One random fault in the first minute: a crash and restart, a pause, or a node cut off
 * from all others for a while (brokers, or the controller). */
static void plan_fault(run_t *r, int k)
{
    world_t *w = r->f.w;
    int64_t at = rng_range(&r->rng, 0, FAULT_WINDOW);
    int64_t len = rng_range(&r->rng, 500 * US_PER_MS, 20 * US_PER_S);
    int which = (int)rng_range(&r->rng, 0, 9);
    node_t *n = which < 9 ? cluster_broker(r->f.c, 1 + which % BROKERS)
                          : cluster_controller(r->f.c);
    switch (rng_range(&r->rng, 0, 2)) {
    case 0:
        world_schedule(w, at, fixture_crash_cb, w, n, 0);
        world_schedule(w, at + len, fixture_restart_cb, w, n, 0);
        break;
    case 1:
        world_schedule(w, at, pause_cb, w, n, len);
        break;
    default:
        cuts[k] = (cut_t){ r, n->id, len };
        world_schedule(w, at, cut_cb, &cuts[k], NULL, 0);
        break;
    }
}

/* Every acknowledged record is in the leader's log, committed, at its offset. */
static void check_acknowledged(run_t *r)
{
    for (int i = 0; i < RECORDS && !r->why[0]; i++) {
        const send_result_t *res = producer_result(r->p, (uint32_t)r->handle[i]);
        if (!res->done || res->error != KERR_NONE)
            continue;
        char err[256], value[16];
        snprintf(value, sizeof value, "r%d", i);
        const plog_t *log = cluster_log(r->f.c, TOPIC, res->partition, err, sizeof err);
        bool kept = log && res->offset < log->hw &&
                    log->recs[res->offset].value.len == (int32_t)strlen(value) &&
                    memcmp(log->recs[res->offset].value.p, value, strlen(value)) == 0;
        if (!kept)
            snprintf(r->why, sizeof r->why, "record %s acknowledged at t-%d@%lld is lost%s%s",
                     value, res->partition, (long long)res->offset, log ? "" : ": ",
                     log ? "" : err);
    }
}

static bool run_seed(uint64_t seed, int *acked, char *why, size_t n)
{
    run_t *r = calloc(1, sizeof *r);
    const char *tkv[] = { "partitions", "2", "replication.factor", "3",
                          "min.insync.replicas", "2", NULL };
    fixture_init_with(&r->f, seed, BROKERS, NULL, tkv);
    rng_stream(&r->rng, seed, "test");
    config_t pc;
    config_init(&pc, &producer_config_schema);
    const char *pkv[] = { "acks", "all", "enable.idempotence", "false", NULL };
    fixture_config(&pc, pkv);
    r->p = cluster_producer(r->f.c, "p1", &pc, r->f.err, sizeof r->f.err);
    config_free(&pc);
    for (int i = 0; i < RECORDS; i++)
        world_schedule(r->f.w, rng_range(&r->rng, 0, FAULT_WINDOW), send_one, r, NULL, i);
    for (int k = 0; k < FAULTS; k++)
        plan_fault(r, k);
    world_schedule(r->f.w, 0, periodic, r, NULL, 0);
    /* Faults end within 80 s; then everything is healed and up, and settles. */
    world_run(r->f.w, 200 * US_PER_S, NULL, NULL);
    check_agreement(r);
    check_acknowledged(r);
    *acked = 0;
    for (int i = 0; i < RECORDS; i++) {
        const send_result_t *res = producer_result(r->p, (uint32_t)r->handle[i]);
        *acked += res->done && res->error == KERR_NONE;
    }
    if (getenv("KSIM_EVENTS")) {
        tap_diag("seed %llu: %llu events", (unsigned long long)seed,
                 (unsigned long long)r->f.w->events_run);
        if (getenv("KSIM_DUMP") && atoi(getenv("KSIM_DUMP")) == (int)seed)
            for (size_t i = 0; i < r->f.n_ev; i++) {
                char *line = cJSON_PrintUnformatted(r->f.ev[i]);
                fprintf(stderr, "%s\n", line);
                free(line);
            }
    }
    r->over = true;
    bool okay = !r->why[0];
    snprintf(why, n, "%s", r->why);
    fixture_free(&r->f);
    free(r);
    return okay;
}

int main(void)
{
    unsigned seeds = tap_seeds(60);
    int failed = 0, acked = 0, total = 0;
    for (unsigned s = 1; s <= seeds; s++) {
        char why[512];
        int a;
        if (!run_seed(s, &a, why, sizeof why)) {
            if (failed++ < 5)
                tap_diag("seed %u: %s", s, why);
        }
        acked += a;
        total += RECORDS;
    }
    ok(failed == 0, "acks=all, min.insync.replicas=2, no unclean election: over random "
                    "crashes, pauses and partitions no acknowledged record is lost and no "
                    "two replicas disagree below the HW");
    tap_diag("%u seeds, %d of %d records acknowledged", seeds, acked, total);
    ok(acked > total / 2, "most records are acknowledged despite the faults");
    return tap_done();
}
