/* Transactional offsets on the group coordinator (sim/kafka/group_txn.c, group_offsets.c,
 * group_store.c): TxnOffsetCommit's checks, pending offsets invisible to OffsetFetch and
 * UNSTABLE_OFFSET_COMMIT with require_stable, their completion by a marker, the ordering
 * rule against plain commits, the reload after a coordinator failover, and the
 * consumer waiting for stable offsets. A raw test node sends the requests,
 * the transaction coordinator's WriteTxnMarkers included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "kafka_fixture.h"
#include "sim/client/consumer.h"
#include "sim/kafka/api.h"
#include "sim/kafka/group.h"
#include "sim/kafka/group_coordinator.h"
#include "sim/kafka/protocol.h"
#include "sim/kafka/txn_protocol.h"

#define GROUP "g"

/* The raw node keeps the last answer it got. */
typedef struct raw {
    node_t *n;
    msg_t *last;
} raw_t;

static void raw_message(node_t *n, msg_t *m)
{
    raw_t *r = n->impl;
    if (!m->response)
        return;
    if (r->last)
        msg_unref(n->w, r->last);
    msg_ref(m);
    r->last = m;
}

static const node_ops_t raw_ops = { .on_message = raw_message };

/* The raw node. ksim makes __consumer_offsets with the first consumer that has a
 * group.id: an idle one is made first. */
static void raw_init(raw_t *r, fixture_t *f)
{
    r->last = NULL;
    r->n = world_add_node(f->w, "raw", ROLE_APP, &raw_ops, r);
    const char *kv[] = { "group.id", GROUP, NULL };
    fixture_consumer(f, "idle", kv);
    world_run(f->w, f->w->now + 2 * US_PER_S, NULL, NULL);
}

static void raw_free(raw_t *r, fixture_t *f)
{
    if (r->last)
        msg_unref(f->w, r->last);
    r->last = NULL;
}

static int32_t coord_id(fixture_t *f)
{
    return cluster_leader(f->c, OFFSETS_TOPIC, gcoord_partition_for(GROUP, 1));
}

/* Sends the request to broker `broker` and runs 100 ms; the answer's body or NULL. */
static const void *ask(fixture_t *f, raw_t *r, int broker, int16_t api, void *body,
                       const msg_body_ops_t *ops)
{
    if (r->last)
        msg_unref(f->w, r->last);
    r->last = NULL;
    net_send(f->w, r->n, cluster_broker(f->c, broker)->id, msg_new(f->w, api, false, body, ops));
    world_run(f->w, f->w->now + 100 * US_PER_MS, NULL, NULL);
    return r->last && r->last->api == api ? r->last->body : NULL;
}

/* The producer epoch of the TxnOffsetCommits and markers the raw node sends. */
static int16_t epoch;

/* TxnOffsetCommit of `offset` for t-<partition> by producer `pid`; the partition's error
 * (-1: no answer). */
static int txn_commit_as(fixture_t *f, raw_t *r, int broker, int64_t pid, int32_t partition,
                         int64_t offset, const char *member, const char *instance,
                         int32_t generation)
{
    txn_offset_commit_t *q = proto_calloc(1, sizeof *q);
    q->transactional_id = gp_strdup("tx");
    q->group = gp_strdup(GROUP);
    q->member_id = gp_strdup(member);
    q->instance_id = gp_strdup(instance);
    q->producer_id = pid;
    q->producer_epoch = epoch;
    q->generation = generation;
    q->n = 1;
    q->parts = proto_calloc(1, sizeof *q->parts);
    q->parts[0] = (offset_part_t){ world_intern(f->w, TOPIC), partition, offset, 0 };
    const txn_offset_commit_t *a = ask(f, r, broker, API_TXN_OFFSET_COMMIT, q,
                                       &txn_offset_commit_req_ops);
    return a ? a->parts[0].error : -1;
}

static int txn_commit(fixture_t *f, raw_t *r, int64_t pid, int32_t partition, int64_t offset)
{
    return txn_commit_as(f, r, coord_id(f), pid, partition, offset, "", NULL, -1);
}

/* A plain OffsetCommit outside group management. */
static int plain_commit(fixture_t *f, raw_t *r, int32_t partition, int64_t offset)
{
    offsets_msg_t *q = proto_calloc(1, sizeof *q);
    q->group = gp_strdup(GROUP);
    q->member_id = gp_strdup("");
    q->generation = -1;
    q->n = 1;
    q->parts = proto_calloc(1, sizeof *q->parts);
    q->parts[0] = (offset_part_t){ world_intern(f->w, TOPIC), partition, offset, 0 };
    const offsets_msg_t *a = ask(f, r, coord_id(f), API_OFFSET_COMMIT, q,
                                 &offset_commit_req_ops);
    return a ? a->parts[0].error : -1;
}

/* OffsetFetch of t-<partition>: the offset, or -(error) - 2 when the partition has an
 * error (-2 - 88 for UNSTABLE_OFFSET_COMMIT), -100 without an answer. */
static int64_t fetch(fixture_t *f, raw_t *r, int32_t partition, bool stable)
{
    offsets_msg_t *q = proto_calloc(1, sizeof *q);
    q->group = gp_strdup(GROUP);
    q->require_stable = stable;
    q->n = 1;
    q->parts = proto_calloc(1, sizeof *q->parts);
    q->parts[0] = (offset_part_t){ world_intern(f->w, TOPIC), partition, -1, 0 };
    const offsets_msg_t *a = ask(f, r, coord_id(f), API_OFFSET_FETCH, q, &offset_fetch_req_ops);
    if (!a)
        return -100;
    return a->parts[0].error ? -2 - a->parts[0].error : a->parts[0].offset;
}

#define UNSTABLE (-2 - KERR_UNSTABLE_OFFSET_COMMIT)

/* The transaction coordinator's WriteTxnMarkers for the group's __consumer_offsets
 * partition: its leader writes the control batch and, once it is replicated, completes the
 * producer's pending offsets. Returns the partition's error (-1: no answer). */
static int marker(fixture_t *f, raw_t *r, int64_t pid, bool commit)
{
    write_markers_t *q = proto_calloc(1, sizeof *q);
    q->n = 1;
    q->entries = proto_calloc(1, sizeof *q->entries);
    txn_marker_entry_t *e = &q->entries[0];
    *e = (txn_marker_entry_t){ pid, epoch, commit, 0, 1, proto_calloc(1, sizeof *e->parts) };
    e->parts[0] = (txn_part_t){ world_intern(f->w, OFFSETS_TOPIC), 0, 0 };
    const write_markers_t *a = ask(f, r, coord_id(f), API_WRITE_TXN_MARKERS, q,
                                   &write_markers_req_ops);
    for (int i = 0; i < 50 && !a; i++) {
        world_run(f->w, f->w->now + 100 * US_PER_MS, NULL, NULL);
        a = r->last && r->last->api == API_WRITE_TXN_MARKERS ? r->last->body : NULL;
    }
    return a ? a->entries[0].parts[0].error : -1;
}

static void init(fixture_t *f, uint64_t seed, int brokers)
{
    const char *bkv[] = { "offsets.topic.num.partitions", "1",
                          "offsets.commit.timeout.ms", "20000", NULL };
    const char *tkv[] = { "partitions", "2", "replication.factor", brokers > 1 ? "3" : "1",
                          NULL };
    fixture_init_with(f, seed, brokers, bkv, tkv);
}

/* ---- the group's offsets, without a network ---- */

static void test_group_offsets(void)
{
    group_t *g = group_new(GROUP, 0);
    group_commit(g, "t", 0, 5, 10);
    group_txn_stage(g, 7, "t", 0, 8, 12);
    group_txn_stage(g, 7, "t", 1, 3, 12);
    group_txn_stage(g, 9, "t", 0, 6, 14);
    is_int(group_committed(g, "t", 0), 5, "pending offsets are not committed");
    is_int(group_txn_pending(g, "t", 0), 6, "the newest pending offset of the partition");
    group_txn_fail(g, 9, "t", 0);
    ok(!group_txn_find(g, 9), "a failed append leaves nothing pending for its producer");
    group_commit(g, "t", 1, 4, 13);
    ok(group_txn_complete(g, 7, true, NULL), "the commit completes producer 7");
    is_int(group_committed(g, "t", 0), 8, "appended after the commit in place, it wins");
    is_int(group_committed(g, "t", 1), 4, "appended before a later plain commit, it loses");
    is_int(group_txn_pending(g, "t", 0), -1, "nothing pending any more");
    group_txn_stage(g, 11, "t", 0, 99, 20);
    ok(group_txn_complete(g, 11, false, NULL), "an abort completes producer 11");
    is_int(group_committed(g, "t", 0), 8, "an aborted offset is dropped");
    ok(!group_txn_complete(g, 11, true, NULL), "a second marker finds nothing");
    group_free(g);
}

static void test_group_checks(void)
{
    group_t *g = group_new(GROUP, 0);
    g->state = GROUP_STABLE;
    g->generation = 3;
    group_load_member(g, "m-1", NULL, "c", 10000, 30000, &(group_subscription_t){ 0 },
                      &(group_tps_t){ 0 });
    is_int(group_check_txn_commit(g, "", NULL, -1), KERR_NONE,
           "without member and generation a transactional commit is taken by a Stable group");
    is_int(group_check_commit(g, "", NULL, -1, 0), KERR_UNKNOWN_MEMBER_ID,
           "which a plain commit is not");
    is_int(group_check_txn_commit(g, "m-1", NULL, 3), KERR_NONE, "the member's generation");
    is_int(group_check_txn_commit(g, "m-1", NULL, 2), KERR_ILLEGAL_GENERATION,
           "another generation: ILLEGAL_GENERATION");
    is_int(group_check_txn_commit(g, "m-9", NULL, 3), KERR_UNKNOWN_MEMBER_ID,
           "an unknown member: UNKNOWN_MEMBER_ID");
    g->state = GROUP_COMPLETING_REBALANCE;
    is_int(group_check_txn_commit(g, "m-1", NULL, 3), KERR_NONE,
           "no REBALANCE_IN_PROGRESS for a transactional commit");
    g->state = GROUP_DEAD;
    is_int(group_check_txn_commit(g, "m-1", NULL, 3), KERR_COORDINATOR_NOT_AVAILABLE,
           "a Dead group: COORDINATOR_NOT_AVAILABLE");
    group_free(g);
}

/* ---- through the coordinator ---- */

static void poll_done(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                      int16_t error, const char *what)
{
    (void)ctx, (void)c, (void)recs, (void)n, (void)error, (void)what;
}

static void poll_cb(void *a, void *b, int64_t arg)
{
    consumer_t *k = b;
    if (!consumer_polling(k))
        consumer_poll(k, 200 * US_PER_MS, poll_done, NULL);
    world_t *w = a;
    if (w->now < arg)
        world_schedule(w, w->now + 100 * US_PER_MS, poll_cb, w, k, arg);
}

/* A consumer that polls until `until` µs. */
static consumer_t *consumer(fixture_t *f, const char *name, const char *const *kv, bool sub,
                            int64_t until)
{
    consumer_t *k = fixture_consumer(f, name, kv);
    const char *topics[] = { TOPIC };
    char err[256];
    if (sub && !consumer_subscribe(k, topics, 1, NULL, NULL, err, sizeof err))
        abort();
    if (!sub)
        consumer_assign(k, &(topic_partition_t){ world_intern(f->w, TOPIC), 0 }, 1);
    world_schedule(f->w, f->w->now, poll_cb, f->w, k, until);
    return k;
}

static void test_checks(void)
{
    fixture_t f;
    init(&f, 11, 3);
    raw_t r;
    raw_init(&r, &f);
    int other = coord_id(&f) % 3 + 1;
    is_int(txn_commit_as(&f, &r, other, 7, 0, 1, "", NULL, -1), KERR_NOT_COORDINATOR,
           "a broker that does not lead the group's partition: NOT_COORDINATOR");
    is_int(txn_commit(&f, &r, 7, 0, 1), KERR_NONE, "a group nobody knows is made for it");
    char err[256];
    cJSON *d = cluster_describe_group(f.c, GROUP, err, sizeof err);
    is_str(d ? trace_str(d, "state") : "?", "Empty", "the new group is Empty");
    cJSON_Delete(d);
    const char *kv[] = { "group.id", GROUP, "group.instance.id", "i-1", NULL };
    consumer_t *k = consumer(&f, "c1", kv, true, 10 * US_PER_S);
    world_run(f.w, 8 * US_PER_S, NULL, NULL);
    consumer_group_metadata_t md;
    ok(consumer_group_metadata(k, &md) && md.generation == 1, "the consumer joined");
    is_int(txn_commit_as(&f, &r, coord_id(&f), 7, 0, 2, "nobody", NULL, 1),
           KERR_UNKNOWN_MEMBER_ID, "an unknown member: UNKNOWN_MEMBER_ID");
    is_int(txn_commit_as(&f, &r, coord_id(&f), 7, 0, 2, md.member_id, NULL, 5),
           KERR_ILLEGAL_GENERATION, "another generation: ILLEGAL_GENERATION");
    is_int(txn_commit_as(&f, &r, coord_id(&f), 7, 0, 2, "other-id", "i-1", 1),
           KERR_FENCED_INSTANCE_ID, "the instance id of another member: FENCED_INSTANCE_ID");
    is_int(txn_commit_as(&f, &r, coord_id(&f), 7, 0, 2, md.member_id, "i-1", 1), KERR_NONE,
           "the member's own commit is taken");
    raw_free(&r, &f);
    fixture_free(&f);
}

static const cJSON *last_event(const fixture_t *f, const char *kind)
{
    for (size_t i = f->n_ev; i-- > 0;)
        if (str_is(f->ev[i], "kind", kind))
            return f->ev[i];
    return NULL;
}

static void test_pending_and_markers(void)
{
    fixture_t f;
    init(&f, 12, 1);
    raw_t r;
    raw_init(&r, &f);
    is_int(plain_commit(&f, &r, 0, 3), KERR_NONE, "a plain commit of 3");
    is_int(txn_commit(&f, &r, 7, 0, 10), KERR_NONE, "producer 7 stages 10 for t-0");
    const cJSON *ev = last_event(&f, "txn_offsets_pending");
    ok(ev && trace_int(ev, "producer_id", -1) == 7 &&
           trace_int(cJSON_GetObjectItem(ev, "offsets"), "t-0", -1) == 10,
       "traced as txn_offsets_pending");
    ev = last_event(&f, "lso");
    ok(ev && str_is(ev, "tp", "__consumer_offsets-0") && trace_int(ev, "producer_id", -1) == 7 &&
           trace_int(ev, "lso", -1) < trace_int(ev, "hw", -1),
       "its open transaction holds the LSO of __consumer_offsets-0 below the HW");
    is_int(fetch(&f, &r, 0, false), 3, "OffsetFetch still answers the committed 3");
    is_int(fetch(&f, &r, 0, true), UNSTABLE, "with require_stable: UNSTABLE_OFFSET_COMMIT");
    is_int(fetch(&f, &r, 1, true), -1, "a partition without pending offsets is stable");
    char err[256];
    cJSON *d = cluster_describe_group(f.c, GROUP, err, sizeof err);
    const cJSON *row = d ? cJSON_GetArrayItem(cJSON_GetObjectItem(d, "partitions"), 0) : NULL;
    ok(row && trace_int(row, "committed", -1) == 3 && trace_int(row, "pending", -1) == 10,
       "describe_group shows the committed 3 and the pending 10");
    cJSON_Delete(d);
    is_int(marker(&f, &r, 7, true), KERR_NONE, "the commit marker of producer 7 is written");
    ev = last_event(&f, "txn_offsets_completed");
    ok(ev && str_is(ev, "result", "commit"), "traced as txn_offsets_completed (commit)");
    is_int(fetch(&f, &r, 0, true), 10, "the commit marker makes 10 the committed offset");
    is_int(txn_commit(&f, &r, 8, 0, 20), KERR_NONE, "producer 8 stages 20");
    is_int(marker(&f, &r, 8, false), KERR_NONE, "the abort marker of producer 8 is written");
    is_int(fetch(&f, &r, 0, true), 10, "the abort marker drops it");
    /* Ordering: a plain commit appended after the staging wins over it. */
    is_int(txn_commit(&f, &r, 9, 0, 30), KERR_NONE, "producer 9 stages 30");
    is_int(plain_commit(&f, &r, 0, 25), KERR_NONE, "then a plain commit of 25");
    is_int(fetch(&f, &r, 0, false), 25, "the plain commit is visible at once");
    is_int(marker(&f, &r, 9, true), KERR_NONE, "the commit marker of producer 9 is written");
    is_int(fetch(&f, &r, 0, true), 25, "the older transactional offset does not replace it");
    is_int(plain_commit(&f, &r, 0, 40), KERR_NONE, "a plain commit of 40");
    is_int(txn_commit(&f, &r, 10, 0, 50), KERR_NONE, "then producer 10 stages 50");
    is_int(marker(&f, &r, 10, true), KERR_NONE, "the commit marker of producer 10 is written");
    is_int(fetch(&f, &r, 0, true), 50, "appended later, the transactional offset wins");
    raw_free(&r, &f);
    fixture_free(&f);
}

/* The new coordinator replays the log: committed transactions' offsets are committed,
 * aborted ones gone, an open one pending until its marker. */
static void test_failover_reload(void)
{
    fixture_t f;
    init(&f, 13, 3);
    raw_t r;
    raw_init(&r, &f);
    is_int(txn_commit(&f, &r, 7, 0, 10), KERR_NONE, "producer 7 stages t-0 at 10");
    is_int(marker(&f, &r, 7, true), KERR_NONE, "the commit marker of producer 7 is written");
    is_int(txn_commit(&f, &r, 8, 0, 20), KERR_NONE, "producer 8 stages t-0 at 20");
    is_int(marker(&f, &r, 8, false), KERR_NONE, "the abort marker of producer 8 is written");
    is_int(txn_commit(&f, &r, 9, 1, 30), KERR_NONE, "producer 9 stages t-1 at 30, left open");
    int old = coord_id(&f);
    world_crash(f.w, cluster_broker(f.c, old), "the coordinator crashes");
    world_run(f.w, f.w->now + 10 * US_PER_S, NULL, NULL);
    ok(coord_id(&f) > 0 && coord_id(&f) != old, "another broker leads the group's partition");
    is_int(fetch(&f, &r, 0, true), 10, "the committed transaction's offset was reloaded");
    is_int(fetch(&f, &r, 1, true), UNSTABLE, "the open transaction's offset is pending again");
    is_int(fetch(&f, &r, 1, false), -1, "and invisible");
    is_int(marker(&f, &r, 9, true), KERR_NONE, "the commit marker of producer 9 is written");
    is_int(fetch(&f, &r, 1, true), 30, "its marker on the new coordinator commits it");
    raw_free(&r, &f);
    fixture_free(&f);
}

/* The consumer's OffsetFetch asks for stable offsets whatever its isolation.level (as
 * Kafka's ConsumerCoordinator does) and retries UNSTABLE_OFFSET_COMMIT after
 * retry.backoff.ms. */
static void test_consumer_waits_for_stable(void)
{
    fixture_t f;
    init(&f, 14, 1);
    raw_t r;
    raw_init(&r, &f);
    is_int(txn_commit(&f, &r, 7, 0, 4), KERR_NONE, "producer 7 stages t-0 at 4");
    const char *rc[] = { "group.id", GROUP, "isolation.level", "read_committed",
                         "auto.offset.reset", "earliest", "enable.auto.commit", "false", NULL };
    const char *ru[] = { "group.id", GROUP, "auto.offset.reset", "earliest",
                         "enable.auto.commit", "false", NULL };
    consumer_t *kc = consumer(&f, "rc", rc, false, 10 * US_PER_S);
    consumer_t *ku = consumer(&f, "ru", ru, false, 10 * US_PER_S);
    world_run(f.w, f.w->now + 2 * US_PER_S, NULL, NULL);
    is_int(consumer_position(kc, TOPIC, 0), -1, "read_committed: no position while unstable");
    ok(fixture_count(&f, "offsets_unstable") >= 5, "it retried (%d offsets_unstable)",
       fixture_count(&f, "offsets_unstable"));
    is_int(consumer_position(ku, TOPIC, 0), -1, "read_uncommitted: the same");
    is_int(marker(&f, &r, 7, true), KERR_NONE, "the commit marker of producer 7 is written");
    world_run(f.w, f.w->now + 1 * US_PER_S, NULL, NULL);
    int64_t start[2] = { -1, -1 };
    for (size_t i = 0; i < f.n_ev; i++)
        for (int k = 0; k < 2; k++)
            if (start[k] < 0 && str_is(f.ev[i], "kind", "offset_reset") &&
                str_is(f.ev[i], "node", k ? "ru" : "rc") && str_is(f.ev[i], "reason", "committed"))
                start[k] = trace_int(f.ev[i], "offset", -1);
    ok(start[0] == 4 && start[1] == 4, "after the marker both start at the committed 4");
    raw_free(&r, &f);
    fixture_free(&f);
}

/* A commit waits for its records to be replicated. Until then its offsets are unstable;
 * a TxnOffsetCommit that times out leaves nothing pending (failPendingTxnOffsetCommit). */
static void test_unreplicated(void)
{
    fixture_t f;
    init(&f, 15, 3);
    raw_t r;
    raw_init(&r, &f);
    int32_t leader = coord_id(&f), a = cluster_broker(f.c, leader)->id, others[2], n = 0;
    for (int id = 1; id <= 3; id++)
        if (id != leader)
            others[n++] = cluster_broker(f.c, id)->id;
    int cut = net_partition(f.w->net, &a, 1, others, 2, false);
    is_int(txn_commit(&f, &r, 7, 0, 10), -1,
           "cut off from its followers, the coordinator does not answer the TxnOffsetCommit");
    is_int(fetch(&f, &r, 0, true), UNSTABLE, "its offsets are unstable meanwhile");
    world_run(f.w, f.w->now + 21 * US_PER_S, NULL, NULL);
    const txn_offset_commit_t *t = r.last && r.last->api == API_TXN_OFFSET_COMMIT ? r.last->body
                                                                                : NULL;
    is_int(t ? t->parts[0].error : -1, KERR_REQUEST_TIMED_OUT,
           "after offsets.commit.timeout.ms (20 s here): REQUEST_TIMED_OUT");
    is_int(fetch(&f, &r, 0, true), -1, "and nothing is pending any more");
    is_int(plain_commit(&f, &r, 1, 5), -1, "a plain commit waits for replication too");
    is_int(fetch(&f, &r, 1, false), -1, "it is not committed yet");
    is_int(fetch(&f, &r, 1, true), UNSTABLE, "and unstable for require_stable");
    net_heal(f.w->net, cut);
    /* The followers fetch again once their lost fetch times out. */
    world_run(f.w, f.w->now + 15 * US_PER_S, NULL, NULL);
    is_int(fetch(&f, &r, 1, true), 5, "replicated, it is committed and stable");
    raw_free(&r, &f);
    fixture_free(&f);
}


/* A zombie's TxnOffsetCommit, sent before it was fenced and arriving after the fencing
 * ABORT marker, is refused by the producer epoch check (ProducerAppendInfo
 * checkProducerEpoch): its offsets are never staged, so they can neither hold the LSO nor
 * be committed by the new instance's transaction. */
static void test_zombie_offsets(void)
{
    fixture_t f;
    init(&f, 12, 1);
    raw_t r;
    raw_init(&r, &f);
    epoch = 0;
    is_int(txn_commit(&f, &r, 7, 0, 10), KERR_NONE, "producer 7 at epoch 0 stages t-0 = 10");
    epoch = 1;
    is_int(marker(&f, &r, 7, false), KERR_NONE, "the coordinator fences it: ABORT at epoch 1");
    epoch = 0;
    is_int(txn_commit(&f, &r, 7, 0, 99), KERR_INVALID_PRODUCER_EPOCH,
           "the zombie's late TxnOffsetCommit at epoch 0 is INVALID_PRODUCER_EPOCH");
    is_int(fetch(&f, &r, 0, true), -1, "nothing is pending: t-0 is stable, with no offset");
    epoch = 2;
    is_int(txn_commit(&f, &r, 7, 1, 5), KERR_NONE, "the new instance (epoch 2) stages t-1 = 5");
    is_int(marker(&f, &r, 7, true), KERR_NONE, "and commits");
    is_int(fetch(&f, &r, 0, true), -1, "t-0 never takes the zombie's 99");
    is_int(fetch(&f, &r, 1, true), 5, "t-1 is 5");
    epoch = 0;
    raw_free(&r, &f);
    fixture_free(&f);
}

/* One WriteTxnMarkers entry for __consumer_offsets-0 and a partition whose followers are
 * down: the offsets' marker is replicated, the other times out. The answer says so per
 * partition, and the offsets' marker still completes the group's offsets
 * (KafkaApis.maybeSendResponseCallback: onTransactionsCompleted for the successful
 * partitions); the coordinator resends only the other one. */
static void test_marker_partly_timed_out(void)
{
    fixture_t f;
    const char *bkv[] = { "offsets.topic.num.partitions", "1",
                          "offsets.topic.replication.factor", "1", "request.timeout.ms", "1000",
                          "replica.lag.time.max.ms", "60000", NULL };
    const char *tkv[] = { "partitions", "3", "replication.factor", "3", NULL };
    fixture_init_with(&f, 5, 3, bkv, tkv);
    raw_t r;
    raw_init(&r, &f);
    int coord = coord_id(&f), tp = -1;
    for (int p = 0; p < 3; p++)
        if (cluster_leader(f.c, TOPIC, p) == coord)
            tp = p;
    ok(tp >= 0, "the coordinator also leads a partition of t (t-%d)", tp);
    is_int(txn_commit(&f, &r, 7, 0, 10), KERR_NONE, "producer 7 stages t-0 = 10");
    for (int b = 1; b <= 3; b++)
        if (b != coord)
            world_crash(f.w, cluster_broker(f.c, b), "test");
    write_markers_t *q = proto_calloc(1, sizeof *q);
    q->n = 1;
    q->entries = proto_calloc(1, sizeof *q->entries);
    txn_marker_entry_t *e = &q->entries[0];
    *e = (txn_marker_entry_t){ 7, 0, true, 0, 2, proto_calloc(2, sizeof *e->parts) };
    e->parts[0] = (txn_part_t){ world_intern(f.w, OFFSETS_TOPIC), 0, 0 };
    e->parts[1] = (txn_part_t){ world_intern(f.w, TOPIC), tp, 0 };
    ask(&f, &r, coord, API_WRITE_TXN_MARKERS, q, &write_markers_req_ops);
    world_run(f.w, f.w->now + 2 * US_PER_S, NULL, NULL);
    const write_markers_t *a =
        r.last && r.last->api == API_WRITE_TXN_MARKERS ? r.last->body : NULL;
    ok(a && a->entries[0].parts[0].error == KERR_NONE &&
       a->entries[0].parts[1].error == KERR_REQUEST_TIMED_OUT,
       "answered: __consumer_offsets-0 NONE, t-%d REQUEST_TIMED_OUT", tp);
    is_int(fetch(&f, &r, 0, true), 10, "the offsets' marker committed t-0 = 10");
    raw_free(&r, &f);
    fixture_free(&f);
}

/* A partition the metadata does not know (a topic name's typo) is refused on its own; the
 * request's other partitions are staged (handleTxnOffsetCommitRequest). */
static void test_unknown_topic(void)
{
    fixture_t f;
    init(&f, 13, 1);
    raw_t r;
    raw_init(&r, &f);
    txn_offset_commit_t *q = proto_calloc(1, sizeof *q);
    q->transactional_id = gp_strdup("tx");
    q->group = gp_strdup(GROUP);
    q->member_id = gp_strdup("");
    q->producer_id = 7;
    q->generation = -1;
    q->n = 2;
    q->parts = proto_calloc(2, sizeof *q->parts);
    q->parts[0] = (offset_part_t){ world_intern(f.w, "nope"), 7, 3, 0 };
    q->parts[1] = (offset_part_t){ world_intern(f.w, TOPIC), 0, 4, 0 };
    const txn_offset_commit_t *a = ask(&f, &r, coord_id(&f), API_TXN_OFFSET_COMMIT, q,
                                       &txn_offset_commit_req_ops);
    ok(a && a->parts[0].error == KERR_UNKNOWN_TOPIC_OR_PARTITION && a->parts[1].error == 0,
       "nope-7 is UNKNOWN_TOPIC_OR_PARTITION, t-0 is staged");
    is_int(marker(&f, &r, 7, true), KERR_NONE, "the commit marker");
    is_int(fetch(&f, &r, 0, true), 4, "t-0 is committed at 4");
    raw_free(&r, &f);
    fixture_free(&f);
}

int main(void)
{
    test_group_offsets();
    test_group_checks();
    test_checks();
    test_pending_and_markers();
    test_failover_reload();
    test_unreplicated();
    test_consumer_waits_for_stable();
    test_zombie_offsets();
    test_unknown_topic();
    test_marker_partly_timed_out();
    return tap_done();
}
