/* producer_internal: the producer's state, shared by its three parts: producer.c (the
 * API, record results, flush and close), accumulator.c (Kafka's RecordAccumulator) and
 * sender.c (Kafka's Sender). Nothing outside sim/client/ includes it. */
#ifndef KSIM_PRODUCER_INTERNAL_H
#define KSIM_PRODUCER_INTERNAL_H

#include <stdlib.h>

#include "../kafka/protocol.h"
#include "inflight.h"
#include "metadata.h"
#include "producer.h"
#include "txn_manager.h"

/* A batch on its way: in a partition's deque, in flight, or both done and in flight. */
typedef struct pbatch {
    record_batch_t *b;
    uint32_t *recs;      /* record handles, b->n of them */
    int32_t cap_recs;
    int64_t created, retry_at;
    int32_t attempts;    /* times sent */
    int32_t retries;     /* times re-enqueued */
    bool drained;        /* sent at least once: closed for appends */
    bool in_flight, done;
    /* Idempotence: set when first drained (ProducerBatch.setProducerState). */
    int64_t pid;         /* -1: none */
    int16_t epoch;
    int32_t base_seq;    /* -1: none */
    bool seq_reset;      /* renumbered after an epoch bump (sequenceHasBeenReset) */
    struct pbatch *next;
} pbatch_t;

typedef struct pqueue {
    pbatch_t *head, *tail;
    int32_t in_flight;
} pqueue_t;

typedef struct ptopic {
    const char *name;
    int32_t n;
    pqueue_t *qs;
    int32_t sticky;        /* KIP-794: the partition keyless records go to now */
    int64_t sticky_bytes;
} ptopic_t;

/* A record held until its topic (or partition) appears in metadata. */
typedef struct waiting_rec {
    uint32_t rec;
    int32_t partition;
    bytes_t key, value; /* owned */
    int64_t since;
} waiting_rec_t;

/* A blocking transactional call waiting for its result (until max.block.ms). */
typedef struct txn_waiter {
    tm_result_t *result;
    producer_txn_fn fn;
    void *ctx;
    ev_handle_t timer;
    int64_t started;
    const char *call; /* the API method: "commit_transaction", ... */
} txn_waiter_t;

typedef struct flush_waiter {
    size_t upto;
    producer_flush_fn fn;
    void *ctx;
} flush_waiter_t;

struct producer {
    node_t *node;
    world_t *w;
    int16_t acks;
    int64_t linger, backoff, backoff_max, request_timeout, delivery_timeout, max_block;
    int64_t reconnect_backoff, reconnect_backoff_max;
    int32_t batch_size, retries, max_in_flight, max_request_size;
    bool idempotent;     /* enable.idempotence, after Kafka's checks */
    txn_manager_t tm;    /* tm.transactional_id: transactional.id (NULL: none) */
    txn_waiter_t *txn_waiters;
    int32_t n_txn_waiters;
    client_meta_t meta;
    send_result_t *results;
    size_t n_results, cap_results, first_pending;
    uint64_t pending;
    waiting_rec_t *waiting;
    size_t n_waiting, cap_waiting;
    ptopic_t *topics;
    int32_t n_topics;
    inflight_table_t inflight; /* data: the request's pbatch_t *[n] (Produce) */
    int32_t *drain;      /* per node id: where draining starts next (drainIndex) */
    int32_t n_drain;
    int32_t next_corr;
    bool run_scheduled;
    ev_handle_t wakeup;
    int64_t wakeup_at;
    flush_waiter_t *flushes;
    int32_t n_flushes;
    bool closed;
    uint32_t *notify;    /* finished records whose listener call is due */
    size_t n_notify, cap_notify;
    bool notifying;
    producer_done_fn done_fn;
    void *done_ctx;
};

/* Grows arr to hold at least `need` elements (doubling); aborts when memory runs out. */
static inline void *prod_grow(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return arr;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    arr = realloc(arr, c * elem);
    if (!arr)
        abort();
    *cap = c;
    return arr;
}

/* producer.c: results and their listeners. */
void prod_finish_record(producer_t *p, uint32_t rec, int64_t offset, int16_t error);
void prod_complete_batch(producer_t *p, pbatch_t *pb, int64_t base, int16_t error,
                         const char *reason);
/* delivery.timeout.ms passed: the batch fails, and a batch already retried leaves its
 * sequence unresolved (Sender.sendProducerData). */
void prod_expire_batch(producer_t *p, pbatch_t *pb);
void prod_trace_batch(producer_t *p, const char *kind, const pbatch_t *pb, int64_t base,
                      int16_t error, const char *reason);
/* Calls the listener for every finished record, then the flushes now complete. */
void prod_notify(producer_t *p);

/* accumulator.c */
ptopic_t *acc_topic(producer_t *p, const char *name, int32_t n);
bool acc_known_partition(const meta_topic_t *mt, int32_t partition);
bool acc_topic_waiting(const producer_t *p, const char *topic);
void acc_append(producer_t *p, uint32_t rec, int32_t explicit_p, bytes_t key, bytes_t value);
void acc_hold(producer_t *p, uint32_t rec, int32_t partition, bytes_t key, bytes_t value);
void acc_drain_waiting(producer_t *p);
void acc_expire(producer_t *p, int64_t *next);
bool acc_sendable(const producer_t *p, const pqueue_t *q, int64_t *next);
/* Takes the head batch of every partition led by `node` that may go now, within
 * max.request.size; returns how many (in *out, malloc'd). */
int32_t acc_drain(producer_t *p, int32_t node, pbatch_t ***out, int32_t *size);
void acc_reenqueue(producer_t *p, pbatch_t *pb);
void acc_free_batch(pbatch_t *pb);

/* producer.c: the blocking transactional calls whose result is in. */
void prod_txn_poll(producer_t *p);

/* sender.c */
/* NetworkClient.leastLoadedNode among brokers not backing off; -1 (and *next) if none. */
int32_t sender_least_loaded(producer_t *p, int64_t *next);
/* Tracks a request sent to `node` and arms its request.timeout.ms. */
inflight_t *sender_track(producer_t *p, const msg_t *m, int32_t node);
void sender_wake(producer_t *p);
void sender_wake_at(producer_t *p, int64_t at);
void sender_run(producer_t *p);
void sender_on_message(node_t *n, msg_t *m);
void sender_on_disconnect(node_t *n, int32_t peer, uint32_t conn);

/* txn_requests.c */
/* Sender.runOnce's transactional part; true while no data may be sent. */
bool txn_step(producer_t *p, int64_t *next);
/* Whether m answers the transactional request in flight, and handling it. */
bool txn_owns(const producer_t *p, const msg_t *m);
void txn_response(producer_t *p, const msg_t *m);
/* The transactional request with this correlation id lost its connection. */
void txn_request_lost(producer_t *p, int32_t corr);
/* Fails the batches not yet drained (all of them, in flight too, with !undrained_only)
 * and the records waiting for metadata with e. */
void txn_abort_batches(producer_t *p, bool undrained_only, const tm_error_t *e);

#endif
