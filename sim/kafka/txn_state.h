/* txn_state: a transactional id's metadata as the transaction coordinator keeps it (Kafka's
 * TransactionState, TransactionMetadata and TxnTransitMetadata) and its record in
 * __transaction_state (TransactionLog). Pure: no network, no clock. A change is prepared
 * (checked against the legal previous states, held as the pending state), written to the
 * log, and completed when the write is replicated. */
#ifndef KSIM_TXN_STATE_H
#define KSIM_TXN_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/world.h"
#include "log.h"

/* Kafka's states, with TransactionState's ids (the record's "status" byte). */
typedef enum txn_state {
    TXN_EMPTY = 0,
    TXN_ONGOING = 1,
    TXN_PREPARE_COMMIT = 2,
    TXN_PREPARE_ABORT = 3,
    TXN_COMPLETE_COMMIT = 4,
    TXN_COMPLETE_ABORT = 5,
    TXN_DEAD = 6,
    TXN_PREPARE_EPOCH_FENCE = 7,
} txn_state_t;

#define TXN_N_STATES 8
#define TXN_NO_PENDING (-1)
#define TXN_NO_PRODUCER_ID ((int64_t)-1)
#define TXN_NO_EPOCH ((int16_t)-1)

/* "PrepareCommit" etc.; txn_state_parse: -1 for an unknown name. */
const char *txn_state_name(txn_state_t s);
int txn_state_parse(const char *name);
/* TransactionState.validPreviousStates: whether `to` may follow `from`. */
bool txn_state_valid_previous(txn_state_t to, txn_state_t from);

/* A partition of a transaction; topics are interned (compared by name). */
typedef struct txn_tp {
    const char *topic;
    int32_t partition;
} txn_tp_t;

/* A set of partitions kept sorted by topic, then partition. */
typedef struct txn_tps {
    txn_tp_t *v;
    int32_t n, cap;
} txn_tps_t;

void txn_tps_add(txn_tps_t *s, const char *topic, int32_t partition);
bool txn_tps_remove(txn_tps_t *s, const char *topic, int32_t partition);
bool txn_tps_has(const txn_tps_t *s, const char *topic, int32_t partition);
void txn_tps_copy(txn_tps_t *dst, const txn_tps_t *src);
void txn_tps_free(txn_tps_t *s);

/* TxnTransitMetadata: the state a prepared change leads to (owns its partitions). */
typedef struct txn_transit {
    int64_t producer_id, prev_producer_id;
    int16_t producer_epoch, last_epoch;
    int32_t timeout_ms;
    txn_state_t state;
    txn_tps_t parts;
    int64_t start_ms;   /* -1: no transaction started */
    int64_t update_ms;
} txn_transit_t;

void txn_transit_free(txn_transit_t *t);

/* TransactionMetadata. */
typedef struct txn_meta {
    char *id;
    int64_t producer_id, prev_producer_id;
    int16_t producer_epoch, last_epoch;
    int32_t timeout_ms;
    txn_state_t state;
    int pending;        /* a txn_state_t being written, or TXN_NO_PENDING */
    txn_tps_t parts;
    int64_t start_ms, update_ms;
    bool failed_epoch_fence; /* hasFailedEpochFence: a fence's write failed */
} txn_meta_t;

/* A new id's metadata: Empty, epoch -1 (InitProducerId bumps it to 0). */
txn_meta_t *txn_meta_new(const char *id, int64_t producer_id, int32_t timeout_ms,
                         int64_t now_ms);
void txn_meta_free(txn_meta_t *m);
/* Short.MaxValue - 1: the epoch cannot be bumped again (a new producer id is needed). */
bool txn_epoch_exhausted(int16_t epoch);

/* prepareTransitionTo: the change to `to` keeping every other field (the check all the
 * operations below share). */
int16_t txn_prepare_to(txn_meta_t *m, txn_state_t to, txn_transit_t *out);
/* The prepare operations set m->pending and fill *out; they return KERR_NONE, or
 * KERR_INVALID_TXN_STATE (nothing changed) when the transition is not legal from the
 * current state or another is pending. */
/* prepareIncrementProducerEpoch: InitProducerId on Empty/Complete*. expected_epoch is the
 * KIP-360 request's epoch, or TXN_NO_EPOCH when the request named none; a mismatch is
 * KERR_PRODUCER_FENCED. A retry of the last bump keeps the current epoch. */
int16_t txn_prepare_increment_epoch(txn_meta_t *m, int32_t timeout_ms, bool has_expected,
                                    int16_t expected_epoch, int64_t now_ms, txn_transit_t *out);
/* prepareProducerIdRotation: a new producer id at epoch 0 (the epoch is exhausted). */
int16_t txn_prepare_rotate(txn_meta_t *m, int64_t new_producer_id, int32_t timeout_ms,
                           bool record_last_epoch, int64_t now_ms, txn_transit_t *out);
/* prepareFenceProducerEpoch: PrepareEpochFence with the epoch bumped (not again after a
 * failed fence). Never written: the abort that follows carries the bumped epoch. */
int16_t txn_prepare_fence(txn_meta_t *m, txn_transit_t *out);
/* prepareAddPartitions: Ongoing with the partitions added; a transaction starting now
 * records its start time. */
int16_t txn_prepare_add_partitions(txn_meta_t *m, const txn_tps_t *add, int64_t now_ms,
                                   txn_transit_t *out);
/* prepareAbortOrCommit: PrepareCommit or PrepareAbort. */
int16_t txn_prepare_end(txn_meta_t *m, bool commit, int64_t now_ms, txn_transit_t *out);
/* prepareComplete: CompleteCommit/CompleteAbort, no partitions. */
int16_t txn_prepare_complete(txn_meta_t *m, int64_t now_ms, txn_transit_t *out);
/* completeTransitionTo: the write of `t` is durable; checks it is the pending change and
 * consistent with the current metadata (KERR_INVALID_TXN_STATE otherwise, nothing
 * changed), then takes it. */
int16_t txn_complete(txn_meta_t *m, const txn_transit_t *t);

/* The record of a change: key {"transactional_id"}, value with TransactionLogValue's fields
 * (producer id, epoch, timeout, state, partitions, timestamps). malloc'd text. */
void txn_record(const char *id, const txn_transit_t *t, char **key, char **value);
/* Parses a record back; false when it is not a transaction record (or a tombstone, which
 * sets *id and returns true with *tombstone). Topic names are interned in `w`. */
bool txn_record_parse(bytes_t key, bytes_t value, world_t *w, char **id, bool *tombstone,
                      txn_transit_t *out);

/* One id as the replay found it. */
typedef void (*txn_load_fn)(void *ctx, const char *id, const txn_transit_t *t);
/* Replays a __transaction_state partition's log: the latest record of each id wins, a
 * tombstone removes it; fn is called per surviving id in the order ids first appeared.
 * Returns the number of ids. */
int32_t txn_load(const plog_t *log, world_t *w, txn_load_fn fn, void *ctx);

#endif
