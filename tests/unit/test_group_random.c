/* A randomized test of consumer groups over many seeds: three brokers, a topic with six
 * partitions, four consumers in one group (cooperative-sticky on odd seeds, eager range on
 * even ones), a producer, and random joins, leaves (close), consumer crashes and restarts,
 * and crashes of the group's coordinator (the broker leading its __consumer_offsets
 * partition). Checked every 10 ms:
 * no partition is owned by two live members at once; every OffsetCommit the coordinator
 * stores for a member is at or after that member's previous one. At the end, with every
 * fault over, the group is Stable and every partition is owned by exactly one member.
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
#include "sim/kafka/group_coordinator.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

#define PARTITIONS 6
#define CONSUMERS 4
#define FAULTS 6
#define FAULT_WINDOW (60 * US_PER_S)
#define GROUP "g"

typedef struct run run_t;

typedef struct app {
    run_t *r;
    consumer_t *k;
    bool started, closed;
} app_t;

/* The last offset each member committed for each partition, from the trace. */
typedef struct last_commit {
    char member[160];
    int32_t partition;
    int64_t offset;
} last_commit_t;

struct run {
    fixture_t f;
    rng_t rng;
    producer_t *p;
    app_t apps[CONSUMERS];
    last_commit_t commits[256];
    int n_commits;
    int64_t stored;       /* commits seen */
    char why[512];
    bool over;
};

/* Keeps the first broken invariant, with the time. */
static void fail(run_t *r, const char *what)
{
    if (!r->why[0])
        snprintf(r->why, sizeof r->why, "%s (t=%lld us)", what, (long long)r->f.w->now);
}

/* Watches the coordinator's offset_commit events. */
static void listen(void *ctx, const cJSON *ev, const char *line)
{
    run_t *r = ctx;
    if (getenv("KSIM_DUMP") && line) /* KSIM_DUMP=1: the trace on stderr, to replay a seed */
        fprintf(stderr, "%s\n", line);
    const char *kind = trace_str(ev, "kind");
    if (!kind || strcmp(kind, "offset_commit") != 0)
        return;
    const char *member = trace_str(ev, "member");
    const cJSON *offs = cJSON_GetObjectItem(ev, "offsets"), *o;
    if (!member || !offs)
        return;
    r->stored++;
    cJSON_ArrayForEach(o, offs) {
        int32_t p = atoi(strrchr(o->string, '-') + 1);
        int64_t off = trace_int(offs, o->string, -1);
        int i = 0;
        while (i < r->n_commits &&
               !(r->commits[i].partition == p && strcmp(r->commits[i].member, member) == 0))
            i++;
        if (i == r->n_commits) {
            if (r->n_commits == 256)
                continue;
            r->n_commits++;
            snprintf(r->commits[i].member, sizeof r->commits[i].member, "%s", member);
            r->commits[i].partition = p;
            r->commits[i].offset = off;
            continue;
        }
        if (off < r->commits[i].offset) {
            char what[400];
            snprintf(what, sizeof what, "member %s committed t-%d at %lld after %lld", member, p,
                     (long long)off, (long long)r->commits[i].offset);
            fail(r, what);
        }
        r->commits[i].offset = off;
    }
}

static bool live(const app_t *a)
{
    return a->started && !a->closed && consumer_node(a->k)->up;
}

/* No partition is owned by two live members. */
static void check_owners(run_t *r)
{
    const char *owner[PARTITIONS] = { 0 };
    for (int i = 0; i < CONSUMERS; i++) {
        if (!live(&r->apps[i]))
            continue;
        topic_partition_t tps[PARTITIONS];
        size_t n = consumer_assignment(r->apps[i].k, tps, PARTITIONS);
        for (size_t k = 0; k < n && k < PARTITIONS; k++) {
            int32_t p = tps[k].partition;
            if (owner[p]) {
                char what[200];
                snprintf(what, sizeof what, "%s and %s both own t-%d", owner[p],
                         consumer_name(r->apps[i].k), p);
                fail(r, what);
            }
            owner[p] = consumer_name(r->apps[i].k);
        }
    }
}

static void periodic(void *a, void *b, int64_t arg)
{
    run_t *r = a;
    if (r->over)
        return;
    check_owners(r);
    world_schedule(r->f.w, r->f.w->now + 10 * US_PER_MS, periodic, r, NULL, 0);
}

static void next_poll(void *a, void *b, int64_t arg);

static void polled(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                   int16_t error, const char *what)
{
    app_t *a = ctx;
    int64_t work = rng_range(&a->r->rng, 0, 300) * US_PER_MS;
    world_schedule(a->r->f.w, a->r->f.w->now + work, next_poll, a, NULL, 0);
}

static void next_poll(void *x, void *b, int64_t arg)
{
    app_t *a = x;
    if (a->closed || a->r->over)
        return;
    if (!consumer_node(a->k)->up || consumer_polling(a->k)) {
        world_schedule(a->r->f.w, a->r->f.w->now + 100 * US_PER_MS, next_poll, a, NULL, 0);
        return;
    }
    consumer_poll(a->k, 200 * US_PER_MS, polled, a);
}

static void start_cb(void *x, void *b, int64_t arg)
{
    app_t *a = x;
    if (a->started)
        return;
    a->started = true;
    const char *topics[] = { TOPIC };
    char err[256];
    if (!consumer_subscribe(a->k, topics, 1, NULL, NULL, err, sizeof err))
        abort();
    next_poll(a, NULL, 0);
}

static void close_cb(void *x, void *b, int64_t arg)
{
    app_t *a = x;
    if (!a->started || a->closed || !consumer_node(a->k)->up || consumer_polling(a->k))
        return;
    consumer_close(a->k);
    a->closed = true;
}

static void send_cb(void *a, void *b, int64_t i)
{
    run_t *r = a;
    char err[256];
    producer_send(r->p, TOPIC, (int32_t)(i % PARTITIONS), str("k"), str("v"), -1, err, sizeof err);
}

/* The broker coordinating the group now crashes for a while. */
static void crash_coordinator_cb(void *a, void *b, int64_t len)
{
    run_t *r = a;
    int32_t p = gcoord_partition_for(GROUP, 5);
    int32_t leader = cluster_leader(r->f.c, OFFSETS_TOPIC, p);
    node_t *n = leader > 0 ? cluster_broker(r->f.c, leader) : NULL;
    if (!n || !n->up)
        return;
    world_crash(r->f.w, n, "the coordinator crashes");
    world_schedule(r->f.w, r->f.w->now + len, fixture_restart_cb, r->f.w, n, 0);
}

static void plan_fault(run_t *r)
{
    world_t *w = r->f.w;
    int64_t at = rng_range(&r->rng, 0, FAULT_WINDOW);
    int64_t len = rng_range(&r->rng, 500 * US_PER_MS, 20 * US_PER_S);
    app_t *a = &r->apps[rng_range(&r->rng, 0, CONSUMERS - 1)];
    switch (rng_range(&r->rng, 0, 3)) {
    case 0: /* a member joins (if it has not yet) */
        world_schedule(w, at, start_cb, a, NULL, 0);
        break;
    case 1: /* a member crashes and comes back */
        world_schedule(w, at, fixture_crash_cb, w, consumer_node(a->k), 0);
        world_schedule(w, at + len, fixture_restart_cb, w, consumer_node(a->k), 0);
        break;
    case 2: /* the coordinator moves */
        world_schedule(w, at, crash_coordinator_cb, r, NULL, len);
        break;
    default: /* the last member leaves for good */
        world_schedule(w, at, close_cb, &r->apps[CONSUMERS - 1], NULL, 0);
        break;
    }
}

/* At the end: Stable, and each partition owned by exactly one live member. */
static void check_final(run_t *r)
{
    char err[256];
    cJSON *d = cluster_describe_group(r->f.c, GROUP, err, sizeof err);
    const char *state = d ? trace_str(d, "state") : "unavailable";
    bool any = false;
    for (int i = 0; i < CONSUMERS; i++)
        any = any || live(&r->apps[i]);
    char what[200];
    if (any && (!state || strcmp(state, "Stable") != 0)) {
        snprintf(what, sizeof what, "the group is %s at the end", state ? state : "?");
        fail(r, what);
    }
    cJSON_Delete(d);
    int owners[PARTITIONS] = { 0 };
    for (int i = 0; i < CONSUMERS; i++) {
        if (!live(&r->apps[i]))
            continue;
        topic_partition_t tps[PARTITIONS];
        size_t n = consumer_assignment(r->apps[i].k, tps, PARTITIONS);
        for (size_t k = 0; k < n && k < PARTITIONS; k++)
            owners[tps[k].partition]++;
    }
    for (int32_t p = 0; p < PARTITIONS && any; p++)
        if (owners[p] != 1) {
            snprintf(what, sizeof what, "at the end t-%d has %d owners", p, owners[p]);
            fail(r, what);
        }
}

static bool run_seed(uint64_t seed, int64_t *stored, char *why, size_t n)
{
    run_t *r = calloc(1, sizeof *r);
    const char *bkv[] = { "offsets.topic.num.partitions", "5", NULL };
    const char *tkv[] = { "partitions", "6", "replication.factor", "3", NULL };
    fixture_init_with(&r->f, seed, 3, bkv, tkv);
    trace_set_listener(r->f.tr, listen, r);
    if (!getenv("KSIM_DUMP"))
        trace_set_only(r->f.tr, "offset_commit"); /* the only kind the test reads */
    rng_stream(&r->rng, seed, "test");
    config_t pc, cc;
    config_init(&pc, &producer_config_schema);
    const char *pkv[] = { "enable.idempotence", "false", NULL };
    fixture_config(&pc, pkv);
    r->p = cluster_producer(r->f.c, "p1", &pc, r->f.err, sizeof r->f.err);
    config_free(&pc);
    config_init(&cc, &consumer_config_schema);
    /* Odd seeds run the cooperative protocol, even seeds the eager one (range). */
    const char *strategy = seed % 2 ? "cooperative-sticky" : "range";
    const char *ckv[] = { "group.id", GROUP, "auto.offset.reset", "earliest",
                          "partition.assignment.strategy", strategy,
                          "auto.commit.interval.ms", "500", "heartbeat.interval.ms", "1000",
                          NULL };
    fixture_config(&cc, ckv);
    for (int i = 0; i < CONSUMERS; i++) {
        char name[16];
        snprintf(name, sizeof name, "c%d", i + 1);
        r->apps[i] = (app_t){ r, cluster_consumer(r->f.c, name, &cc, r->f.err, sizeof r->f.err),
                              false, false };
    }
    config_free(&cc);
    for (int i = 0; i < 2; i++)
        world_schedule(r->f.w, 0, start_cb, &r->apps[i], NULL, 0);
    for (int i = 0; i < 300; i++)
        world_schedule(r->f.w, i * 300 * US_PER_MS, send_cb, r, NULL, i);
    for (int k = 0; k < FAULTS; k++)
        plan_fault(r);
    world_schedule(r->f.w, 0, periodic, r, NULL, 0);
    /* Faults end within 80 s; the group then settles. */
    world_run(r->f.w, 150 * US_PER_S, NULL, NULL);
    check_owners(r);
    check_final(r);
    r->over = true;
    *stored = r->stored;
    bool okay = !r->why[0];
    snprintf(why, n, "%s", r->why);
    fixture_free(&r->f);
    free(r);
    return okay;
}

int main(void)
{
    unsigned seeds = tap_seeds_long(1000);
    /* FIRST_SEED=N replays from seed N (with SEEDS=1, that seed alone). */
    unsigned first = getenv("FIRST_SEED") ? (unsigned)atoi(getenv("FIRST_SEED")) : 1;
    int failed = 0;
    int64_t stored = 0;
    for (unsigned s = first; s < first + seeds; s++) {
        char why[512];
        int64_t n = 0;
        if (!run_seed(s, &n, why, sizeof why) && failed++ < 5)
            tap_diag("seed %u: %s", s, why);
        stored += n;
    }
    ok(failed == 0, "cooperative and eager protocols over random joins, leaves, consumer "
                    "crashes and coordinator moves: no partition owned by two members at once, "
                    "commits never go backwards for a member, every partition owned once "
                    "Stable");
    tap_diag("%u seeds, %lld offset commits stored", seeds, (long long)stored);
    ok(stored > seeds * 10, "the members commit offsets along the way");
    return tap_done();
}
