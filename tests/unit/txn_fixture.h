/* txn_fixture: a Kafka world with a test node "tx" that speaks raw requests to the
 * partition leader, as a transactional producer and a transaction coordinator would:
 * Produce batches with producer fields and the transactional flag, WriteTxnMarkers; and
 * consumers of topic "t" partition 0 by isolation level. Include after tap.h. */
#ifndef KSIM_TXN_FIXTURE_H
#define KSIM_TXN_FIXTURE_H

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

static inline void tx_message(node_t *n, msg_t *m)
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

/* Three brokers and topic "t" (one partition, three replicas, then `topic_kv`), settled
 * for a second. */
static inline env_t *env_new_with(uint64_t seed, const char *const *broker_kv,
                                  const char *const *topic_kv)
{
    env_t *e = calloc(1, sizeof *e);
    if (!e)
        abort();
    const char *tkv[16] = { "partitions", "1", "replication.factor", "3" };
    for (size_t i = 0; topic_kv && topic_kv[i] && i < 10; i++)
        tkv[4 + i] = topic_kv[i];
    fixture_init_with(&e->f, seed, 3, broker_kv, tkv);
    e->tx = world_add_node(e->f.w, "tx", ROLE_APP, &tx_ops, e);
    world_run(e->f.w, 1000 * US_PER_MS, NULL, NULL); /* let the brokers settle */
    return e;
}

static inline env_t *env_new_seeded(uint64_t seed, const char *const *broker_kv)
{
    return env_new_with(seed, broker_kv, NULL);
}

static inline env_t *env_new(const char *const *broker_kv)
{
    return env_new_seeded(1, broker_kv);
}

static inline void env_free(env_t *e)
{
    fixture_free(&e->f);
    free(e);
}

static inline bool answered(void *ctx)
{
    return ((env_t *)ctx)->got;
}

static inline int32_t leader_node(env_t *e)
{
    return cluster_broker(e->f.c, cluster_leader(e->f.c, TOPIC, 0))->id;
}

/* Sends and runs until the answer (or the world idles). */
static inline void request(env_t *e, int32_t to, msg_t *m)
{
    m->corr = ++e->corr;
    e->want = m->corr;
    e->got = false;
    memset(e->errors, -1, sizeof e->errors);
    net_send(e->f.w, e->tx, to, m);
    world_run(e->f.w, INT64_MAX, answered, e);
}

/* A Produce (acks=all) of one batch of `n` records k<first>.. of producer `pid`. */
static inline int16_t produce(env_t *e, int64_t pid, int16_t epoch, int32_t seq, bool txn, int first,
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

static inline void markers_to(env_t *e, int32_t node, const entry_spec_t *spec, int n)
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

static inline void markers(env_t *e, const entry_spec_t *spec, int n)
{
    markers_to(e, leader_node(e), spec, n);
}

/* ---- consumers ---- */

#define POLLED_MAX 512

typedef struct polled {
    bool done;
    size_t n;
    int64_t offsets[POLLED_MAX];
    char keys[POLLED_MAX][8];
} polled_t;

static inline void on_poll(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                    int16_t error, const char *what)
{
    polled_t *out = ctx;
    out->done = true;
    for (size_t i = 0; i < n && out->n < POLLED_MAX; i++, out->n++) {
        out->offsets[out->n] = recs[i].offset;
        snprintf(out->keys[out->n], sizeof out->keys[0], "%.*s", recs[i].key.len, recs[i].key.p);
    }
}

static inline bool poll_done(void *ctx)
{
    return ((const polled_t *)ctx)->done;
}

/* A consumer assigned t-0 from its start; `fetch_bytes`: max.partition.fetch.bytes. */
static inline consumer_t *consumer_with(env_t *e, const char *name, const char *isolation,
                                        const char *fetch_bytes)
{
    config_t cc;
    config_init(&cc, &consumer_config_schema);
    const char *kv[] = { "isolation.level", isolation, "auto.offset.reset", "earliest",
                         "max.partition.fetch.bytes", fetch_bytes, NULL };
    fixture_config(&cc, kv);
    consumer_t *k = cluster_consumer(e->f.c, name, &cc, e->f.err, sizeof e->f.err);
    config_free(&cc);
    topic_partition_t tp = { TOPIC, 0 };
    consumer_assign(k, &tp, 1);
    return k;
}

static inline consumer_t *consumer(env_t *e, const char *name, const char *isolation)
{
    return consumer_with(e, name, isolation, "1048576");
}

/* Polls for a second, appending what comes to *out; returns the keys as "k0 k1 ...". */
static inline const char *poll_keys(env_t *e, consumer_t *k, polled_t *out)
{
    out->done = false;
    consumer_poll(k, 1000 * US_PER_MS, on_poll, out);
    world_run(e->f.w, INT64_MAX, poll_done, out);
    static char buf[POLLED_MAX * 8];
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < out->n; i++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i ? " " : "", out->keys[i]);
    return buf;
}

#endif
