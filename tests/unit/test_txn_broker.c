/* Transactions on a partition leader, driven by a test node that speaks raw requests:
 * transactional Produce batches open transactions and hold the LSO (traced as lso);
 * WriteTxnMarkers appends COMMIT and ABORT markers and answers once they are replicated;
 * read_uncommitted consumers see everything below the HW except markers, read_committed
 * ones stop at the LSO and never return a record of an aborted transaction; ListOffsets
 * answers the LSO to read_committed; the marker checks (older coordinator epoch, older
 * producer epoch), a non-transactional batch inside a transaction, partitions not led, and
 * a marker that cannot be replicated in time. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/consumer.h"
#include "sim/core/net.h"
#include "sim/kafka/api.h"
#include "sim/kafka/cluster.h"
#include "sim/kafka/protocol.h"
#include "sim/kafka/txn_protocol.h"
#include "tests/unit/tap.h"
#include "tests/unit/kafka_fixture.h"

#define P1 7
#define P2 8

typedef struct env {
    fixture_t f;
    node_t *tx;            /* the test node: a producer and a coordinator in one */
    int32_t corr;
    int32_t want;          /* the response awaited */
    bool got;
    int16_t errors[8];     /* the response's errors, partition by partition */
    int64_t offset;        /* Produce: base offset */
    int64_t answered_at;
} env_t;

static void tx_message(node_t *n, msg_t *m)
{
    env_t *e = n->impl;
    if (!m->response || m->corr != e->want)
        return;
    e->got = true;
    e->answered_at = n->w->now;
    if (m->api == API_PRODUCE) {
        const produce_resp_t *r = m->body;
        e->errors[0] = r->parts[0].error;
        e->offset = r->parts[0].base_offset;
    } else if (m->api == API_WRITE_TXN_MARKERS) {
        const write_markers_t *r = m->body;
        int k = 0;
        for (int32_t i = 0; i < r->n; i++)
            for (int32_t p = 0; p < r->entries[i].n && k < 8; p++)
                e->errors[k++] = r->entries[i].parts[p].error;
    }
}

static const node_ops_t tx_ops = { .on_message = tx_message };

static env_t *env_new(const char *const *broker_kv)
{
    env_t *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    const char *tkv[] = { "partitions", "1", "replication.factor", "3", NULL };
    fixture_init_with(&e->f, 1, 3, broker_kv, tkv);
    e->tx = world_add_node(e->f.w, "tx", ROLE_APP, &tx_ops, e);
    world_run(e->f.w, 1000 * US_PER_MS, NULL, NULL); /* let the brokers settle */
    return e;
}

static void env_free(env_t *e)
{
    fixture_free(&e->f);
    free(e);
}

static bool answered(void *ctx)
{
    return ((env_t *)ctx)->got;
}

static int32_t leader_node(env_t *e)
{
    return cluster_broker(e->f.c, cluster_leader(e->f.c, TOPIC, 0))->id;
}

/* Sends and runs until the answer (or the world idles). */
static void request(env_t *e, int32_t to, msg_t *m)
{
    m->corr = ++e->corr;
    e->want = m->corr;
    e->got = false;
    memset(e->errors, -1, sizeof e->errors);
    net_send(e->f.w, e->tx, to, m);
    world_run(e->f.w, INT64_MAX, answered, e);
}

/* A Produce (acks=all) of one batch of `n` records k<first>.. of producer `pid`. */
static int16_t produce(env_t *e, int64_t pid, int16_t epoch, int32_t seq, bool txn, int first,
                       int n)
{
    const char *topic = world_intern(e->f.w, TOPIC);
    record_batch_t *b = batch_new(topic, 0);
    char key[16];
    for (int i = 0; i < n; i++) {
        snprintf(key, sizeof key, "k%d", first + i);
        batch_add(b, str(key), str("v"), e->f.w->now);
    }
    b->producer_id = pid;
    b->producer_epoch = epoch;
    b->base_sequence = seq;
    b->flags = txn ? LOG_REC_TRANSACTIONAL : 0;
    produce_req_t *req = proto_calloc(1, sizeof *req);
    req->acks = -1;
    req->timeout_ms = 30000;
    req->n = 1;
    req->parts = proto_calloc(1, sizeof *req->parts);
    req->parts[0] = (produce_part_t){ topic, 0, b };
    request(e, leader_node(e), msg_new(e->f.w, API_PRODUCE, false, req, &produce_req_ops));
    return e->errors[0];
}

typedef struct entry_spec {
    int64_t pid;
    int16_t epoch;
    bool commit;
    int32_t coordinator_epoch;
    const char *topic; /* partition 0 */
} entry_spec_t;

static void markers_to(env_t *e, int32_t node, const entry_spec_t *spec, int n)
{
    write_markers_t *req = proto_calloc(1, sizeof *req);
    req->n = n;
    req->entries = proto_calloc((size_t)n, sizeof *req->entries);
    for (int i = 0; i < n; i++) {
        txn_marker_entry_t *en = &req->entries[i];
        *en = (txn_marker_entry_t){ spec[i].pid, spec[i].epoch, spec[i].commit,
                                    spec[i].coordinator_epoch, 1, NULL };
        en->parts = proto_calloc(1, sizeof *en->parts);
        en->parts[0] = (txn_part_t){ world_intern(e->f.w, spec[i].topic), 0, KERR_NONE };
    }
    request(e, node, msg_new(e->f.w, API_WRITE_TXN_MARKERS, false, req, &write_markers_req_ops));
}

static void markers(env_t *e, const entry_spec_t *spec, int n)
{
    markers_to(e, leader_node(e), spec, n);
}

/* ---- consumers ---- */

typedef struct polled {
    bool done;
    size_t n;
    int64_t offsets[32];
    char keys[32][8];
} polled_t;

static void on_poll(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                    int16_t error, const char *what)
{
    polled_t *out = ctx;
    out->done = true;
    for (size_t i = 0; i < n && out->n < 32; i++, out->n++) {
        out->offsets[out->n] = recs[i].offset;
        snprintf(out->keys[out->n], sizeof out->keys[0], "%.*s", recs[i].key.len, recs[i].key.p);
    }
}

static bool poll_done(void *ctx)
{
    return ((const polled_t *)ctx)->done;
}

static consumer_t *consumer(env_t *e, const char *name, const char *isolation)
{
    config_t cc;
    config_init(&cc, &consumer_config_schema);
    const char *kv[] = { "isolation.level", isolation, "auto.offset.reset", "earliest", NULL };
    fixture_config(&cc, kv);
    consumer_t *k = cluster_consumer(e->f.c, name, &cc, e->f.err, sizeof e->f.err);
    config_free(&cc);
    topic_partition_t tp = { TOPIC, 0 };
    consumer_assign(k, &tp, 1);
    return k;
}

/* Polls for a second, appending what comes to *out; returns the keys as "k0 k1 ...". */
static const char *poll_keys(env_t *e, consumer_t *k, polled_t *out)
{
    out->done = false;
    consumer_poll(k, 1000 * US_PER_MS, on_poll, out);
    world_run(e->f.w, INT64_MAX, poll_done, out);
    static char buf[256];
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < out->n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "", out->keys[i]);
    return buf;
}

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

static void test_timeout(void)
{
    const char *bkv[] = { "request.timeout.ms", "5000", NULL };
    env_t *e = env_new(bkv);
    produce(e, P1, 0, 0, true, 0, 1);
    int32_t leader = leader_node(e);
    /* Cut the leader from its followers only: the test node still reaches it. */
    int32_t followers[2], nf = 0;
    for (int b = 1; b <= 3; b++)
        if (cluster_broker(e->f.c, b)->id != leader)
            followers[nf++] = cluster_broker(e->f.c, b)->id;
    net_partition(e->f.w->net, &leader, 1, followers, (size_t)nf, false);
    int64_t sent = e->f.w->now;
    entry_spec_t c[] = { { P1, 0, true, 0, TOPIC } };
    markers(e, c, 1);
    is_int(e->errors[0], KERR_REQUEST_TIMED_OUT,
           "a marker the followers cannot fetch: REQUEST_TIMED_OUT");
    is_int(e->answered_at - sent, 5000 * US_PER_MS + 2 * 500,
           "after request.timeout.ms (5 s, plus the request's and the answer's 0.5 ms)");
    env_free(e);
}

int main(void)
{
    test_commit_and_abort();
    test_list_offsets();
    test_checks();
    test_timeout();
    return tap_done();
}
