/* Transactions on a partition leader, driven by a test node that speaks raw requests:
 * transactional Produce batches open transactions and hold the LSO (traced as lso);
 * WriteTxnMarkers appends COMMIT and ABORT markers and answers once they are replicated;
 * read_uncommitted consumers see everything below the HW except markers, read_committed
 * ones stop at the LSO and never return a record of an aborted transaction; ListOffsets
 * answers the LSO to read_committed; the marker checks (older coordinator epoch, older
 * producer epoch), a non-transactional batch inside a transaction, partitions not led, and
 * a marker that cannot be replicated in time, the ISR below min.insync.replicas, and
 * leadership lost while a marker waits. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/tap.h"
#include "tests/unit/txn_fixture.h"

static const plog_t *leader_log(env_t *e)
{
    return fixture_log(&e->f, 0);
}

/* The last event of `kind`, or NULL. */
static const cJSON *last(const env_t *e, const char *kind)
{
    for (size_t i = e->f.n_ev; i-- > 0;)
        if (str_is(e->f.ev[i], "kind", kind))
            return e->f.ev[i];
    return NULL;
}

static void test_commit_and_abort(void)
{
    env_t *e = env_new(NULL);
    consumer_t *ru = consumer(e, "ru", "read_uncommitted");
    consumer_t *rc = consumer(e, "rc", "read_committed");
    is_int(produce(e, P1, 0, 0, true, 0, 2), KERR_NONE, "producer 7's transactional batch (k0, k1) is written");
    is_int(e->offset, 0, "at offset 0");
    is_int(produce(e, P2, 0, 0, true, 2, 1), KERR_NONE, "producer 8's transactional k2 at offset 2");
    is_int(produce(e, -1, -1, -1, false, 3, 1), KERR_NONE, "a plain record k3 at offset 3");
    const plog_t *l = leader_log(e);
    ok(l->hw == 4 && plog_lso(l) == 0, "HW 4, LSO 0: the open transactions hold it");
    const cJSON *lso = last(e, "lso");
    ok(lso && trace_int(lso, "lso", -1) == 0 && trace_int(lso, "producer_id", -1) == P1 &&
           str_is(lso, "held_by", "open"),
       "the lso event says 0, held by producer 7's open transaction");

    polled_t got_ru = { 0 }, got_rc = { 0 };
    is_str(poll_keys(e, ru, &got_ru), "k0 k1 k2 k3", "read_uncommitted reads everything below the HW");
    is_str(poll_keys(e, rc, &got_rc), "", "read_committed returns nothing: the LSO is 0");
    is_int(consumer_position(rc, TOPIC, 0), 0, "and stays at position 0");

    entry_spec_t ends[] = { { P2, 0, false, 0, TOPIC }, { P1, 0, true, 0, TOPIC } };
    int before_hw = fixture_count(&e->f, "hw");
    markers(e, ends, 2);
    ok(e->errors[0] == KERR_NONE && e->errors[1] == KERR_NONE,
       "WriteTxnMarkers: both markers written (NONE, NONE)");
    is_int(fixture_count(&e->f, "txn_marker"), 2, "two txn_marker events");
    const cJSON *m = last(e, "txn_marker");
    ok(m && trace_int(m, "offset", -1) == 5 && str_is(m, "result", "commit") &&
           trace_int(m, "producer_id", -1) == P1,
       "the COMMIT of producer 7 is at offset 5");
    ok(fixture_count(&e->f, "hw") > before_hw && l->hw == 6,
       "the answer came once the HW passed both markers (followers fetched them)");
    ok(l->n == 6 && (l->recs[4].flags & LOG_REC_CONTROL) && (l->recs[5].flags & LOG_REC_CONTROL),
       "the log holds the two control records at 4 and 5");
    is_int(plog_lso(l), 6, "the LSO reaches the HW");

    is_str(poll_keys(e, rc, &got_rc), "k0 k1 k3",
           "read_committed returns the committed k0, k1 and the plain k3: not the aborted k2");
    is_int(consumer_position(rc, TOPIC, 0), 6, "its position moves past the markers (6)");
    got_ru.n = 0;
    is_str(poll_keys(e, ru, &got_ru), "", "read_uncommitted gets no marker as a record");
    is_int(consumer_position(ru, TOPIC, 0), 6, "and moves past them too");

    /* A later aborted transaction after committed data: read_committed skips only it. */
    produce(e, P2, 0, 1, true, 4, 2);   /* 6..7 */
    produce(e, P1, 0, 2, true, 6, 1);   /* 8 */
    entry_spec_t ab[] = { { P2, 0, false, 0, TOPIC } };
    markers(e, ab, 1);                  /* 9 */
    is_int(plog_lso(l), 8, "producer 7's open transaction (8) holds the LSO after 8's abort");
    got_rc.n = 0;
    is_str(poll_keys(e, rc, &got_rc), "", "read_committed: nothing below 8 but aborted records");
    is_int(consumer_position(rc, TOPIC, 0), 8, "it moved to the LSO past the aborted batch");
    entry_spec_t cm[] = { { P1, 0, true, 0, TOPIC } };
    markers(e, cm, 1);                  /* 10 */
    got_rc.n = 0;
    is_str(poll_keys(e, rc, &got_rc), "k6", "after the COMMIT it returns k6");
    env_free(e);
}

static void test_list_offsets(void)
{
    env_t *e = env_new(NULL);
    produce(e, -1, -1, -1, false, 0, 2);
    produce(e, P1, 0, 0, true, 2, 1);
    produce(e, -1, -1, -1, false, 3, 1);
    config_t cc;
    const char *iso[] = { "read_uncommitted", "read_committed" };
    int64_t want[] = { 4, 2 };
    for (int i = 0; i < 2; i++) {
        config_init(&cc, &consumer_config_schema);
        const char *kv[] = { "isolation.level", iso[i], "auto.offset.reset", "latest", NULL };
        fixture_config(&cc, kv);
        char name[8];
        snprintf(name, sizeof name, "c%d", i);
        consumer_t *k = cluster_consumer(e->f.c, name, &cc, e->f.err, sizeof e->f.err);
        config_free(&cc);
        topic_partition_t tp = { TOPIC, 0 };
        consumer_assign(k, &tp, 1);
        polled_t got = { 0 };
        poll_keys(e, k, &got);
        is_int(consumer_position(k, TOPIC, 0), want[i],
               "auto.offset.reset=latest with %s starts at %s", iso[i],
               i ? "the LSO (2)" : "the HW (4)");
    }
    env_free(e);
}

static void test_checks(void)
{
    env_t *e = env_new(NULL);
    produce(e, P1, 0, 0, true, 0, 1);
    is_int(produce(e, P1, 0, 1, false, 1, 1), KERR_INVALID_TXN_STATE,
           "a non-transactional batch inside the producer's transaction: INVALID_TXN_STATE");
    entry_spec_t c5[] = { { P1, 0, true, 5, TOPIC } };
    markers(e, c5, 1);
    is_int(e->errors[0], KERR_NONE, "a COMMIT from coordinator epoch 5");
    entry_spec_t c4[] = { { P1, 0, true, 4, TOPIC } };
    markers(e, c4, 1);
    is_int(e->errors[0], KERR_TRANSACTION_COORDINATOR_FENCED,
           "then one from coordinator epoch 4: TRANSACTION_COORDINATOR_FENCED");
    const cJSON *rej = last(e, "txn_marker_rejected");
    ok(rej && str_is(rej, "error", "TRANSACTION_COORDINATOR_FENCED") &&
           trace_int(rej, "current_coordinator_epoch", -1) == 5,
       "a txn_marker_rejected event names the error and the known coordinator epoch");
    produce(e, P1, 1, 0, true, 2, 1);
    entry_spec_t old[] = { { P1, 0, false, 5, TOPIC } };
    markers(e, old, 1);
    is_int(e->errors[0], KERR_INVALID_PRODUCER_EPOCH,
           "a marker with epoch 0 after the producer wrote with epoch 1: INVALID_PRODUCER_EPOCH");
    entry_spec_t unknown[] = { { P1, 1, false, 5, "nope" } };
    markers(e, unknown, 1);
    is_int(e->errors[0], KERR_UNKNOWN_TOPIC_OR_PARTITION, "an unknown topic: UNKNOWN_TOPIC_OR_PARTITION");
    int32_t follower = -1;
    for (int b = 1; b <= 3; b++)
        if (cluster_broker(e->f.c, b)->id != leader_node(e))
            follower = cluster_broker(e->f.c, b)->id;
    entry_spec_t ok1[] = { { P1, 1, false, 5, TOPIC } };
    markers_to(e, follower, ok1, 1);
    is_int(e->errors[0], KERR_NOT_LEADER_OR_FOLLOWER, "a follower: NOT_LEADER_OR_FOLLOWER");
    env_free(e);
}

/* The leader cut off from its followers: they leave the ISR after replica.lag.time.max.ms. */
static int32_t cut_followers(env_t *e)
{
    int32_t leader = leader_node(e), followers[2], nf = 0;
    for (int b = 1; b <= 3; b++)
        if (cluster_broker(e->f.c, b)->id != leader)
            followers[nf++] = cluster_broker(e->f.c, b)->id;
    return net_partition(e->f.w->net, &leader, 1, followers, (size_t)nf, false);
}

static void test_timeout(void)
{
    const char *bkv[] = { "request.timeout.ms", "5000", NULL };
    env_t *e = env_new(bkv);
    produce(e, P1, 0, 0, true, 0, 1);
    /* Cut the leader from its followers only: the test node still reaches it. */
    cut_followers(e);
    int64_t sent = e->f.w->now;
    entry_spec_t c[] = { { P1, 0, true, 0, TOPIC } };
    markers(e, c, 1);
    is_int(e->errors[0], KERR_REQUEST_TIMED_OUT,
           "a marker the followers cannot fetch: REQUEST_TIMED_OUT");
    is_int(e->answered_at - sent, 5000 * US_PER_MS + 2 * 500,
           "after request.timeout.ms (5 s, plus the request's and the answer's 0.5 ms)");
    env_free(e);
}

static void nothing(void *a, void *b, int64_t arg)
{
}

/* Lets `us` pass (background timers alone would not keep the world running). */
static void run_for(env_t *e, int64_t us)
{
    world_schedule(e->f.w, e->f.w->now + us, nothing, NULL, NULL, 0);
    world_run(e->f.w, e->f.w->now + us, NULL, NULL);
}

static void test_min_isr(void)
{
    const char *tkv[] = { "min.insync.replicas", "2", NULL };
    env_t *e = env_new_with(1, NULL, tkv);
    produce(e, P1, 0, 0, true, 0, 1);
    cut_followers(e);
    /* An idle follower stays in sync: a record the followers cannot fetch makes them lag. */
    is_int(produce(e, -1, -1, -1, false, 1, 1), KERR_REQUEST_TIMED_OUT,
           "a plain record the followers cannot fetch times out (acks=all)");
    run_for(e, 60000 * US_PER_MS);
    ok(fixture_count(&e->f, "isr_changed") > 0,
       "cut off from its followers, the leader shrank the ISR");
    entry_spec_t c[] = { { P1, 0, true, 0, TOPIC } };
    markers(e, c, 1);
    is_int(e->errors[0], KERR_NOT_ENOUGH_REPLICAS,
           "a marker with the ISR below min.insync.replicas: NOT_ENOUGH_REPLICAS, nothing written");
    is_int(fixture_count(&e->f, "txn_marker"), 0, "no txn_marker event");
    env_free(e);
}

static void heal(void *a, void *b, int64_t id)
{
    net_heal(((env_t *)a)->f.w->net, (int)id);
}

static void test_leadership_lost(void)
{
    env_t *e = env_new(NULL);
    produce(e, P1, 0, 0, true, 0, 1);
    int32_t leader = leader_node(e), others[3], n = 0;
    others[n++] = cluster_controller(e->f.c)->id;
    for (int b = 1; b <= 3; b++)
        if (cluster_broker(e->f.c, b)->id != leader)
            others[n++] = cluster_broker(e->f.c, b)->id;
    int cut = net_partition(e->f.w->net, &leader, 1, others, (size_t)n, false);
    world_schedule(e->f.w, e->f.w->now + 15000 * US_PER_MS, heal, e, NULL, cut);
    int64_t sent = e->f.w->now;
    entry_spec_t c[] = { { P1, 0, true, 0, TOPIC } };
    markers_to(e, leader, c, 1);
    is_int(e->errors[0], KERR_NOT_LEADER_OR_FOLLOWER,
           "the leader, cut off while its marker waits, learns of a new leader after the heal: "
           "NOT_LEADER_OR_FOLLOWER");
    ok(e->answered_at - sent > 15000 * US_PER_MS && e->answered_at - sent < 30000 * US_PER_MS,
       "answered when it learnt it (after the heal at 15 s), before request.timeout.ms");
    ok(leader_node(e) != leader, "another broker leads now");
    env_free(e);
}

int main(void)
{
    test_commit_and_abort();
    test_list_offsets();
    test_checks();
    test_timeout();
    test_min_isr();
    test_leadership_lost();
    return tap_done();
}
