/* Unit tests for sim/kafka/log_manager, end to end on one broker: the order of
 * UnifiedLog.deleteOldSegments (log start, then retention.bytes, then retention.ms), the
 * cleaner thread's log start check on a compact-only log (LogCleanerManager.deletableLogs
 * takes every compacted log), and LogConfig.validateValues refusing a topic whose
 * min.compaction.lag.ms exceeds its max.compaction.lag.ms. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sim/client/producer.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "sim/kafka/log.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

#define RECORDS 10

typedef struct run {
    fixture_t f;
    producer_t *p;
    char key[RECORDS][8];
} run_t;

static void send_one(void *a, void *b, int64_t i)
{
    run_t *r = a;
    char err[256];
    producer_send(r->p, TOPIC, 0, str(r->key[i]), str("value"), -1, err, sizeof err);
}

/* One broker, the topic "t" with `tkv`, and RECORDS records 200 ms apart: with
 * segment.ms = 100 each is a segment of its own. */
static void start(run_t *r, const char *const *tkv)
{
    memset(r, 0, sizeof *r);
    fixture_init_with(&r->f, 1, 1, NULL, tkv);
    config_t pc;
    config_init(&pc, &producer_config_schema);
    const char *pkv[] = { "linger.ms", "0", NULL };
    fixture_config(&pc, pkv);
    r->p = cluster_producer(r->f.c, "p1", &pc, r->f.err, sizeof r->f.err);
    config_free(&pc);
    for (int i = 0; i < RECORDS; i++) {
        snprintf(r->key[i], sizeof r->key[i], "k%d", i);
        world_schedule(r->f.w, (int64_t)(i + 1) * 200 * US_PER_MS, send_one, r, NULL, i);
    }
}

/* The log_retention events so far, in order. */
static int retention_events(const run_t *r, const cJSON **out, int max)
{
    int n = 0;
    for (size_t i = 0; i < r->f.n_ev && n < max; i++)
        if (str_is(r->f.ev[i], "kind", "log_retention"))
            out[n++] = r->f.ev[i];
    return n;
}

static void test_order(void)
{
    /* Every segment is older than retention.ms by the first retention check (30 s), and
     * the log is three segments over retention.bytes. */
    int64_t one = RECORD_BATCH_OVERHEAD + record_size_in_batch(0, 0, str("k0"), str("value"));
    char bytes[32];
    snprintf(bytes, sizeof bytes, "%lld", (long long)(one * (RECORDS - 3)));
    const char *tkv[] = { "partitions", "1", "segment.ms", "100", "retention.ms", "1000",
                          "retention.bytes", bytes, NULL };
    run_t r;
    start(&r, tkv);
    world_run(r.f.w, 20 * US_PER_S, NULL, NULL);
    const plog_t *l = fixture_log(&r.f, 0);
    ok(l->n_segs == RECORDS && l->segs[0].bytes == one,
       "ten records 200 ms apart make ten segments of %lld bytes", (long long)one);
    world_run(r.f.w, 40 * US_PER_S, NULL, NULL);
    const cJSON *ev[4];
    int n = retention_events(&r, ev, 4);
    ok(n == 2 && str_is(ev[0], "reason", "retention.bytes") && trace_int(ev[0], "segments", 0) == 3,
       "retention.bytes goes first: it deletes the three segments over the limit");
    ok(n == 2 && str_is(ev[1], "reason", "retention.ms") && trace_int(ev[1], "segments", 0) == 7,
       "then retention.ms deletes the other seven, all older than 1 s");
    fixture_free(&r.f);
}

static void test_compact_only_log_start(void)
{
    /* segment.bytes 100: the cleaner cannot merge two segments of 75 bytes. */
    const char *tkv[] = { "partitions", "1", "segment.ms", "100", "segment.bytes", "100",
                          "cleanup.policy", "compact", NULL };
    run_t r;
    start(&r, tkv);
    world_run(r.f.w, 5 * US_PER_S, NULL, NULL);
    /* ksim has no DeleteRecords yet: the test raises the log start as it would. */
    plog_t *l = (plog_t *)fixture_log(&r.f, 0);
    ok(l->hw == RECORDS && l->n_segs == RECORDS, "the compacted log holds ten segments");
    plog_raise_log_start(l, 4);
    world_run(r.f.w, 40 * US_PER_S, NULL, NULL);
    const cJSON *ev[2];
    int n = retention_events(&r, ev, 2);
    ok(n == 1 && str_is(ev[0], "reason", "log_start_offset") && trace_int(ev[0], "segments", 0) == 4,
       "the cleaner thread deletes the four segments below the log start of a compact-only log");
    is_int(l->segs[0].base_offset, 4, "the log now begins at its log start");
    fixture_free(&r.f);
}

static void test_lag_conflict(void)
{
    fixture_t f;
    fixture_init(&f, 1, 1, 1);
    config_t tc;
    config_init(&tc, &topic_config_schema);
    const char *tkv[] = { "cleanup.policy", "compact", "min.compaction.lag.ms", "60000",
                          "max.compaction.lag.ms", "1000", NULL };
    fixture_config(&tc, tkv);
    char err[256] = "";
    ok(!cluster_create_topic(f.c, "lagged", &tc, err, sizeof err),
       "a topic with min.compaction.lag.ms above max.compaction.lag.ms is refused");
    is_str(err, "conflict topic config setting min.compaction.lag.ms (60000) > "
                "max.compaction.lag.ms (1000)",
           "with Kafka's message (LogConfig.validateValues)");
    config_free(&tc);
    fixture_free(&f);
}

int main(void)
{
    test_order();
    test_compact_only_log_start();
    test_lag_conflict();
    return tap_done();
}
