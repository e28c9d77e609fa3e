/* Replication, unit by unit: the leader epoch cache and truncation of the partition log,
 * the controller's election rule, and, on a three-broker cluster, the high watermark over
 * the ISR, ISR shrink and expand, acks and min.insync.replicas, and truncation of a
 * divergent tail by leader epoch (KIP-101/279). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/producer.h"
#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "sim/kafka/election.h"
#include "sim/kafka/log.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

/* ---- the partition log: epochs and truncation ---- */

static void append_n(plog_t *l, int32_t n, int32_t epoch)
{
    log_input_t in[8];
    for (int32_t i = 0; i < n; i++)
        in[i] = (log_input_t){ 0, str("k"), str("v") };
    log_append_t meta = { .producer_id = -1, .base_sequence = -1, .leader_epoch = epoch,
                          .size = 70 };
    plog_append(l, in, n, &meta);
}

static void test_epoch_cache(void)
{
    plog_t l;
    plog_init(&l);
    append_n(&l, 3, 0); /* 0..2 in epoch 0 */
    append_n(&l, 2, 2); /* 3..4 in epoch 2 */
    plog_assign_epoch(&l, 4, 5); /* a leader of epoch 4 that has not written yet */
    is_int(l.n_epochs, 3, "the epoch cache holds one entry per epoch that started");
    is_int(plog_latest_epoch(&l), 4, "the latest epoch is the last one assigned");
    int32_t e;
    int64_t end = plog_epoch_end(&l, 4, &e);
    ok(end == 5 && e == 4, "the latest epoch ends at the log end");
    end = plog_epoch_end(&l, 0, &e);
    ok(end == 3 && e == 0, "epoch 0 ends where epoch 2 starts (3)");
    end = plog_epoch_end(&l, 1, &e);
    ok(end == 3 && e == 0, "an epoch this log never had answers with the epoch below it (0) "
                           "and where the next one starts (3)");
    end = plog_epoch_end(&l, 7, &e);
    ok(end == LOG_NO_OFFSET && e == LOG_NO_EPOCH, "an epoch newer than all known is undefined");
    plog_free(&l);

    plog_init(&l);
    append_n(&l, 2, 1);
    end = plog_epoch_end(&l, 0, &e);
    ok(end == 0 && e == 0, "an epoch older than every entry ends where the first one starts");
    plog_free(&l);
}

static void test_truncate(void)
{
    plog_t l;
    plog_init(&l);
    append_n(&l, 3, 0);
    append_n(&l, 2, 1);
    append_n(&l, 4, 3);
    l.hw = 8;
    plog_truncate(&l, 5);
    ok(l.leo == 5 && l.n == 5 && l.n_batches == 2, "truncating to 5 drops the batch 5..8");
    is_int(l.hw, 5, "the high watermark follows the log end down");
    is_int(plog_latest_epoch(&l), 1, "the epoch that started at 5 is gone from the cache");
    plog_assign_epoch(&l, 6, 5);
    plog_truncate(&l, 5);
    ok(l.leo == 5 && plog_latest_epoch(&l) == 1,
       "truncating at the log end still drops an epoch that started there with no record");
    append_n(&l, 1, 6);
    ok(l.leo == 6 && l.recs[5].offset == 5 && l.recs[5].leader_epoch == 6,
       "appends continue at the new log end");
    plog_free(&l);
}

/* ---- the controller's election rule ---- */

static bool up_1_3(void *ctx, int32_t b)
{
    return b == 1 || b == 3;
}

static bool none_up(void *ctx, int32_t b)
{
    return false;
}

static bool only_2(void *ctx, int32_t b)
{
    return b == 2;
}

static md_partition_t part(int32_t leader, const int32_t *isr, int32_t n_isr)
{
    md_partition_t p = { .n_replicas = 3, .replicas = { 1, 2, 3 }, .leader = leader,
                         .leader_epoch = 5, .partition_epoch = 9, .n_isr = n_isr };
    memcpy(p.isr, isr, (size_t)n_isr * sizeof *isr);
    return p;
}

static void test_election(void)
{
    const int32_t all[] = { 1, 2, 3 };
    md_partition_t p = part(2, all, 3);
    int32_t isr[MD_MAX_REPLICAS];
    int32_t n = elect_isr_without(&p, 2, isr);
    elect_result_t r = elect_change(&p, isr, n, false, up_1_3, NULL);
    ok(r.leader_changed && r.part.leader == 1,
       "the leader fenced: the first ISR member in assignment order that is up leads (1)");
    ok(r.part.leader_epoch == 6 && r.part.partition_epoch == 10,
       "a new leader bumps the leader epoch and the partition epoch");
    ok(r.part.n_isr == 2 && r.part.isr[0] == 1 && r.part.isr[1] == 3,
       "the fenced broker leaves the ISR");

    p = part(1, all, 3);
    n = elect_isr_without(&p, 3, isr);
    r = elect_change(&p, isr, n, false, up_1_3, NULL);
    ok(!r.leader_changed && r.part.leader == 1 && r.part.leader_epoch == 5,
       "a follower fenced: the leader stays and its epoch too");
    ok(r.changed && r.part.partition_epoch == 10 && r.part.n_isr == 2,
       "the ISR shrink alone bumps only the partition epoch");

    const int32_t one[] = { 1 };
    p = part(1, one, 1);
    n = elect_isr_without(&p, 1, isr);
    r = elect_change(&p, isr, n, false, only_2, NULL);
    ok(r.part.leader == MD_NO_LEADER && r.leader_changed,
       "the last ISR member fenced, no unclean election: the partition has no leader");
    ok(r.part.n_isr == 1 && r.part.isr[0] == 1,
       "the ISR keeps its last member (it never becomes empty)");

    r = elect_change(&p, isr, n, true, only_2, NULL);
    ok(r.unclean && r.part.leader == 2 && r.part.n_isr == 1 && r.part.isr[0] == 2,
       "with unclean.leader.election.enable an out-of-sync replica leads, alone in the ISR");

    r = elect_change(&p, isr, n, true, none_up, NULL);
    ok(!r.unclean && r.part.leader == MD_NO_LEADER, "unclean election needs a replica that is up");

    const int32_t grown[] = { 1, 2, 3 };
    p = part(1, one, 1);
    r = elect_change(&p, grown, 3, false, up_1_3, NULL);
    ok(r.changed && !r.leader_changed && r.part.n_isr == 3,
       "an AlterPartition expansion takes the new ISR as given");
}

/* ---- a three-broker cluster ---- */

typedef struct env {
    fixture_t f;
    producer_t *p;
} env_t;

static env_t *env_new(const char *acks, const char *min_isr, const char *const *broker_kv)
{
    env_t *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    const char *tkv[] = { "partitions", "1", "replication.factor", "3",
                          "min.insync.replicas", min_isr, NULL };
    fixture_init_with(&e->f, 11, 3, broker_kv, tkv);
    config_t pc;
    config_init(&pc, &producer_config_schema);
    const char *pkv[] = { "acks", acks, "enable.idempotence", "false", NULL };
    fixture_config(&pc, pkv);
    e->p = cluster_producer(e->f.c, "p1", &pc, e->f.err, sizeof e->f.err);
    config_free(&pc);
    if (!e->p)
        abort();
    return e;
}

static void run_for(env_t *e, int64_t us);
static int64_t send_value(env_t *e, const char *v);

/* One record written and replicated, so the producer knows the leader. */
static env_t *env_warm(const char *acks, const char *min_isr, const char *const *broker_kv)
{
    env_t *e = env_new(acks, min_isr, broker_kv);
    send_value(e, "warm");
    run_for(e, 1 * US_PER_S);
    return e;
}

static void env_free(env_t *e)
{
    fixture_free(&e->f);
    free(e);
}

static int64_t send_value(env_t *e, const char *v)
{
    char err[256];
    return producer_send(e->p, TOPIC, 0, str(v), str(v), -1, err, sizeof err);
}

static void run_for(env_t *e, int64_t us)
{
    world_run(e->f.w, e->f.w->now + us, NULL, NULL);
}

static const plog_t *replica(env_t *e, int broker)
{
    char err[256];
    return cluster_replica_log(e->f.c, TOPIC, 0, broker, err, sizeof err);
}

static const send_result_t *res(env_t *e, int64_t h)
{
    return producer_result(e->p, (uint32_t)h);
}

/* The time of the first event of a kind on a node (NULL: any), or -1. */
static int64_t first_at(env_t *e, const char *kind, const char *node, const char *field,
                        const char *value)
{
    for (size_t i = 0; i < e->f.n_ev; i++)
        if (str_is(e->f.ev[i], "kind", kind) && str_is(e->f.ev[i], "node", node) &&
            (!field || str_is(e->f.ev[i], field, value)))
            return ev_t(e->f.ev[i]);
    return -1;
}

static void test_hw_and_acks_all(void)
{
    env_t *e = env_new("all", "2", NULL);
    int64_t h = send_value(e, "a");
    run_for(e, 2 * US_PER_MS);
    ok(replica(e, 1)->leo == 1 && replica(e, 1)->hw == 0,
       "acks=all: the leader has appended the record, the HW has not moved yet");
    ok(!res(e, h)->done, "and the producer has no answer yet");
    run_for(e, 100 * US_PER_MS);
    ok(res(e, h)->done && res(e, h)->error == KERR_NONE && res(e, h)->offset == 0,
       "once both followers fetched past it, the HW moves and the record is acknowledged");
    ok(replica(e, 1)->hw == 1 && replica(e, 2)->leo == 1 && replica(e, 3)->leo == 1,
       "the HW is 1 on the leader, every replica holds the record");
    run_for(e, 1 * US_PER_S);
    ok(replica(e, 2)->hw == 1 && replica(e, 3)->hw == 1,
       "followers learn the HW from a later fetch response");
    env_free(e);
}

static void test_acks_1(void)
{
    env_t *e = env_warm("1", "1", NULL);
    world_pause(e->f.w, cluster_broker(e->f.c, 2));
    world_pause(e->f.w, cluster_broker(e->f.c, 3));
    int64_t h = send_value(e, "a");
    run_for(e, 5 * US_PER_MS);
    ok(res(e, h)->done && res(e, h)->error == KERR_NONE,
       "acks=1: the leader answers after its own append, followers or not");
    ok(replica(e, 1)->hw == 1 && res(e, h)->offset == 1,
       "the record (offset 1) is acknowledged while above the HW (1)");
    env_free(e);
}

static void test_acks_0(void)
{
    env_t *e = env_warm("0", "1", NULL);
    int64_t h = send_value(e, "a");
    run_for(e, 1 * US_PER_S);
    int answers = 0;
    for (size_t i = 0; i < e->f.n_ev; i++)
        answers += str_is(e->f.ev[i], "kind", "send") && str_is(e->f.ev[i], "api", "Produce") &&
                   str_is(e->f.ev[i], "dir", "response");
    ok(answers == 0, "acks=0: the broker sends no Produce response at all");
    ok(res(e, h)->done && res(e, h)->error == KERR_NONE && res(e, h)->offset == -1,
       "the record counts as sent once it left, its offset unknown (-1)");
    ok(replica(e, 1)->leo == 2 && replica(e, 2)->leo == 2,
       "it is appended and replicated all the same");
    env_free(e);
}

/* A follower stops fetching: after replica.lag.time.max.ms the leader asks the controller
 * to drop it from the ISR; back, it catches up and is added again. */
static void test_isr_shrink_expand(void)
{
    const char *bkv[] = { "replica.lag.time.max.ms", "4000", NULL };
    env_t *e = env_warm("all", "2", bkv);
    int64_t t0 = e->f.w->now;
    world_pause_for(e->f.w, cluster_broker(e->f.c, 3), 7 * US_PER_S);
    int64_t h = send_value(e, "a");
    run_for(e, 1 * US_PER_S);
    ok(!res(e, h)->done && replica(e, 1)->hw == 1,
       "a paused follower in the ISR holds the HW back: no acknowledgement yet");
    run_for(e, 5 * US_PER_S);
    int64_t shrink = first_at(e, "isr_changed", "controller", "change", "shrink");
    ok(shrink > t0 + 4 * US_PER_S && shrink < t0 + 7 * US_PER_S,
       "after replica.lag.time.max.ms (4 s) the leader's check shrinks the ISR");
    ok(res(e, h)->done && res(e, h)->error == KERR_NONE,
       "with the ISR at two (= min.insync.replicas) the HW moves and the record is acknowledged");
    ok(first_at(e, "send", "broker-1", "api", "AlterPartition") > 0,
       "the shrink went through the controller with AlterPartition");
    run_for(e, 5 * US_PER_S);
    ok(first_at(e, "isr_changed", "controller", "change", "expand") > t0 + 7 * US_PER_S,
       "resumed, the follower catches up and rejoins the ISR");
    cluster_partition_t d;
    char err[256];
    cluster_describe(e->f.c, TOPIC, 0, &d, err, sizeof err);
    ok(d.reg.n_isr == 3 && replica(e, 3)->leo == 2, "the ISR is whole again");
    env_free(e);
}

/* Whether the producer retried after this error. */
static bool retried_after(const env_t *e, const char *error)
{
    for (size_t i = 0; i < e->f.n_ev; i++)
        if (str_is(e->f.ev[i], "kind", "retry") && str_is(e->f.ev[i], "error", error))
            return true;
    return false;
}

static void test_not_enough_replicas(void)
{
    env_t *e = env_new("all", "2", NULL);
    world_crash(e->f.w, cluster_broker(e->f.c, 2), "test");
    world_crash(e->f.w, cluster_broker(e->f.c, 3), "test");
    run_for(e, 12 * US_PER_S);
    int64_t h = send_value(e, "a");
    run_for(e, 2 * US_PER_S);
    ok(retried_after(e, "NOT_ENOUGH_REPLICAS"),
       "two of three brokers down: acks=all is refused with NOT_ENOUGH_REPLICAS "
       "(retriable: the producer retries)");
    is_int(replica(e, 1)->leo, 0, "nothing is appended: the check comes before the append");
    ok(!res(e, h)->done, "nothing is acknowledged");
    env_free(e);
}

/* Kafka 3.7+ (KAFKA-15583): below min.insync.replicas the HW stands still, so a request
 * that waits when the ISR shrinks under it is not answered NOT_ENOUGH_REPLICAS_AFTER_APPEND
 * (as before 3.7): it waits, and completes once the ISR has grown back. */
static void test_under_min_isr(void)
{
    const char *bkv[] = { "replica.lag.time.max.ms", "4000", NULL };
    env_t *e = env_warm("all", "2", bkv);
    int64_t t0 = e->f.w->now;
    world_pause_for(e->f.w, cluster_broker(e->f.c, 2), 8 * US_PER_S);
    world_pause_for(e->f.w, cluster_broker(e->f.c, 3), 8 * US_PER_S);
    int64_t h = send_value(e, "a");
    run_for(e, 7 * US_PER_S);
    cluster_partition_t d;
    char err[256];
    cluster_describe(e->f.c, TOPIC, 0, &d, err, sizeof err);
    ok(d.reg.n_isr == 1 && replica(e, 1)->leo == 2 && replica(e, 1)->hw == 1,
       "both followers lag: the ISR shrinks to the leader alone, and the HW stays at 1 "
       "below min.insync.replicas although the leader is the whole ISR");
    ok(!res(e, h)->done && !retried_after(e, "NOT_ENOUGH_REPLICAS_AFTER_APPEND"),
       "the waiting acks=all request is neither acknowledged nor answered "
       "NOT_ENOUGH_REPLICAS_AFTER_APPEND: it waits");
    run_for(e, 5 * US_PER_S);
    ok(res(e, h)->done && res(e, h)->error == KERR_NONE && res(e, h)->offset == 1 &&
           e->f.w->now - t0 < 30 * US_PER_S,
       "the followers come back and rejoin the ISR: the HW moves and the request completes");
    env_free(e);
}

/* acks=1 writes reach a leader cut off from the rest; a new leader is elected; healed, the
 * old leader truncates its divergent tail to where the new leader's epoch began. */
static void test_truncation(void)
{
    env_t *e = env_new("1", "1", NULL);
    int64_t h0 = send_value(e, "committed");
    run_for(e, 100 * US_PER_MS);
    int32_t others[] = { cluster_broker(e->f.c, 2)->id, cluster_broker(e->f.c, 3)->id,
                         cluster_controller(e->f.c)->id };
    int32_t leader = cluster_broker(e->f.c, 1)->id;
    int cut = net_partition(e->f.w->net, &leader, 1, others, 3, false);
    int64_t h1 = send_value(e, "lost-1");
    int64_t h2 = send_value(e, "lost-2");
    run_for(e, 15 * US_PER_S);
    ok(res(e, h0)->done && res(e, h1)->done && res(e, h1)->error == KERR_NONE &&
       res(e, h2)->done, "the isolated leader acknowledges acks=1 writes");
    is_int(cluster_leader(e->f.c, TOPIC, 0), 2,
           "the controller fenced broker-1 and elected broker-2 (first in the ISR)");
    ok(replica(e, 1)->leo == 3 && replica(e, 2)->leo == 1,
       "broker-1 holds 3 records, the new leader 1");
    net_heal(e->f.w->net, cut);
    run_for(e, 15 * US_PER_S);
    int64_t t = first_at(e, "truncate", "broker-1", NULL, NULL);
    ok(t > 0, "healed, broker-1 becomes a follower and truncates");
    const plog_t *l1 = replica(e, 1), *l2 = replica(e, 2);
    ok(l1->leo == l2->leo && l1->recs[0].value.len == 9,
       "its log now matches the new leader's: the acknowledged acks=1 records are gone");
    bool gone = true;
    for (size_t i = 0; i < l2->n; i++)
        gone &= !(l2->recs[i].value.len == 6 && memcmp(l2->recs[i].value.p, "lost-1", 6) == 0);
    ok(gone, "no replica holds lost-1");
    env_free(e);
}

/* A follower dies: when the controller fences it, the partition change and the fence
 * record reach the leader together, and the waiting acks=all write is acknowledged at
 * once, not at its request timeout. */
static void test_fenced_follower_releases_hw(void)
{
    env_t *e = env_warm("all", "1", NULL);
    int64_t t0 = e->f.w->now;
    world_crash(e->f.w, cluster_broker(e->f.c, 3), "test");
    world_crash(e->f.w, cluster_broker(e->f.c, 2), "test");
    int64_t h = send_value(e, "a");
    run_for(e, 12 * US_PER_S);
    int64_t shrink = first_at(e, "isr_changed", "controller", "change", "shrink");
    ok(res(e, h)->done && res(e, h)->error == KERR_NONE,
       "both followers fenced: the write waiting for them is acknowledged");
    const cJSON *done = NULL;
    for (size_t i = 0; i < e->f.n_ev && !done; i++)
        if (str_is(e->f.ev[i], "kind", "batch_done") && ev_t(e->f.ev[i]) > t0)
            done = e->f.ev[i];
    ok(done && shrink > 0 && ev_t(done) - shrink < 10 * US_PER_MS,
       "within milliseconds of the controller's ISR change (not at request.timeout.ms)");
    env_free(e);
}

/* min.insync.replicas above the replication factor binds as the replica count. */
static void test_effective_min_isr(void)
{
    fixture_t f;
    const char *tkv[] = { "partitions", "1", "replication.factor", "1", "min.insync.replicas",
                          "2", NULL };
    fixture_init_with(&f, 3, 1, NULL, tkv);
    config_t pc;
    config_init(&pc, &producer_config_schema);
    const char *pkv[] = { "acks", "all", "enable.idempotence", "false", NULL };
    fixture_config(&pc, pkv);
    producer_t *p = cluster_producer(f.c, "p1", &pc, f.err, sizeof f.err);
    config_free(&pc);
    char err[256];
    int64_t h = producer_send(p, TOPIC, 0, str("k"), str("v"), -1, err, sizeof err);
    world_run(f.w, 2 * US_PER_S, NULL, NULL);
    const send_result_t *r = producer_result(p, (uint32_t)h);
    ok(r->done && r->error == KERR_NONE,
       "one replica with min.insync.replicas=2: acks=all is accepted (effectiveMinIsr is "
       "min(min.insync.replicas, replicas))");
    fixture_free(&f);
}

/* Topics are placed on the brokers the controller sees unfenced. */
static void test_placement(void)
{
    env_t *e = env_new("all", "1", NULL);
    cluster_partition_t d;
    char err[512];
    cluster_describe(e->f.c, TOPIC, 0, &d, err, sizeof err);
    ok(d.reg.n_replicas == 3 && d.reg.replicas[0] == 1 && d.reg.replicas[1] == 2 &&
       d.reg.replicas[2] == 3 && d.reg.leader == 1,
       "partition 0 of a 3-replica topic on 3 brokers: replicas [1,2,3], broker 1 leads");
    world_crash(e->f.w, cluster_broker(e->f.c, 1), "test");
    world_crash(e->f.w, cluster_broker(e->f.c, 3), "test");
    run_for(e, 12 * US_PER_S);
    config_t tc;
    config_init(&tc, &topic_config_schema);
    const char *kv[] = { "partitions", "2", "replication.factor", "2", NULL };
    fixture_config(&tc, kv);
    ok(!cluster_create_topic(e->f.c, "two", &tc, err, sizeof err) &&
           strstr(err, "only 1 broker(s) are registered"),
       "two brokers fenced: a topic with 2 replicas is refused, as KRaft's placer does");
    const char *kv1[] = { "replication.factor", "1", NULL };
    fixture_config(&tc, kv1);
    ok(cluster_create_topic(e->f.c, "one", &tc, err, sizeof err) &&
           cluster_leader(e->f.c, "one", 0) == 2 && cluster_leader(e->f.c, "one", 1) == 2,
       "with one replica, both partitions go to the one unfenced broker");
    config_free(&tc);
    env_free(e);
}

int main(void)
{
    test_epoch_cache();
    test_truncate();
    test_election();
    test_hw_and_acks_all();
    test_acks_0();
    test_acks_1();
    test_isr_shrink_expand();
    test_not_enough_replicas();
    test_under_min_isr();
    test_truncation();
    test_placement();
    test_fenced_follower_releases_hw();
    test_effective_min_isr();
    return tap_done();
}
