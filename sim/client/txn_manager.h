/* txn_manager: the producer's TransactionManager. Idempotent part: the producer id and
 * epoch from InitProducerId, per partition the next sequence, the last acknowledged
 * sequence and offset and the batches in flight by sequence, unresolved sequences after a
 * delivery timeout, and the client-side epoch bump of KIP-360 that restarts a partition's
 * sequences at 0. Transactional part: Kafka's client states and their legal transitions,
 * the partitions of the transaction (new, pending AddPartitionsToTxn, added), the last
 * error, the results the blocking API calls wait for, and the priority queue of
 * transactional requests (what each request is; txn_requests.c sends them and handles the
 * answers). Used by the accumulator (sequences and send gating at drain time), the sender
 * and producer.c (the API). txn_manager.c implements the idempotent part, txn_client.c the
 * transactional one. Nothing outside sim/client/ includes it. */
#ifndef KSIM_TXN_MANAGER_H
#define KSIM_TXN_MANAGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "producer.h"

struct pbatch;

#define TM_NO_PID (-1)
#define TM_NO_EPOCH (-1)
#define TM_NO_SEQ (-1)

/* Kafka's TransactionManager.State (an idempotent producer uses the first three). */
typedef enum tm_state {
    TM_UNINITIALIZED,
    TM_INITIALIZING,
    TM_READY,
    TM_IN_TRANSACTION,
    TM_COMMITTING_TRANSACTION,
    TM_ABORTING_TRANSACTION,
    TM_ABORTABLE_ERROR,
    TM_FATAL_ERROR,
    TM_N_STATES
} tm_state_t;

/* Where a partition stands in the current transaction. */
typedef enum tm_txn_part {
    TM_TP_NONE,
    TM_TP_NEW,      /* newPartitionsInTransaction: written to, not yet asked for */
    TM_TP_PENDING,  /* pendingPartitionsInTransaction: AddPartitionsToTxn under way */
    TM_TP_ADDED,    /* partitionsInTransaction: its batches may go */
} tm_txn_part_t;

/* An error as the client raises it: the code (wire or KERR_CLIENT_*) and Kafka's message. */
typedef struct tm_error {
    int16_t code;
    char msg[320];
} tm_error_t;

/* TransactionalRequestResult: what a blocking API call waits for. Shared (refs) by the
 * pending API call and the request handlers that complete it. */
typedef struct tm_result {
    int32_t refs;
    const char *operation;  /* "InitProducerId", "AddOffsetsToTxn", "EndTxn" */
    bool completed, acked;  /* acked: a caller saw it complete (isAcked) */
    tm_error_t err;         /* code KERR_NONE: success */
} tm_result_t;

typedef enum tm_req_kind {
    TM_REQ_FIND_COORDINATOR,
    TM_REQ_INIT_PRODUCER_ID,
    TM_REQ_ADD_PARTITIONS,
    TM_REQ_ADD_OFFSETS,
    TM_REQ_TXN_OFFSET_COMMIT,
    TM_REQ_END_TXN,
} tm_req_kind_t;

/* A TxnRequestHandler: one queued transactional request with what it needs to be built
 * again on a retry. Owned by the queue, then by the sender while in flight. */
typedef struct tm_req {
    tm_req_kind_t kind;
    int32_t priority;         /* Kafka's Priority: lower goes first */
    uint64_t seq;             /* enqueue order among equal priorities */
    bool retry;               /* isRetry: the sender backs off before sending it again */
    int64_t not_before;       /* µs: set when the back-off starts */
    int64_t backoff;          /* µs: AddPartitionsToTxn's 20 ms override, else retry.backoff.ms */
    tm_result_t *result;
    int8_t key_type;          /* FindCoordinator: COORD_KEY_*; key below */
    char *key;
    bool epoch_bump;          /* InitProducerId with the current id and epoch (KIP-360) */
    bool commit;              /* EndTxn */
    struct tm_part **parts;   /* AddPartitionsToTxn */
    int32_t n_parts;
    producer_group_meta_t gm; /* AddOffsetsToTxn, TxnOffsetCommit (strings owned) */
} tm_req_t;

typedef void (*tm_transition_fn)(void *ctx, tm_state_t from, tm_state_t to,
                                 const tm_error_t *err);

/* Kafka's TxnPartitionEntry. */
typedef struct tm_part {
    const char *topic; /* interned */
    int32_t partition;
    int64_t pid;               /* the id and epoch its sequences belong to */
    int16_t epoch;
    int32_t next_seq;
    int32_t last_acked_seq;    /* TM_NO_SEQ: none */
    struct pbatch **inflight;  /* drained and not yet done, by base sequence */
    int32_t n_inflight, cap_inflight;
    bool unresolved;           /* partitionsWithUnresolvedSequences */
    int32_t unresolved_next;
    bool rewrite;              /* partitionsToRewriteSequences */
    tm_txn_part_t txn;
} tm_part_t;

typedef struct tm_topic {
    const char *name;
    int32_t n;
    tm_part_t **parts; /* by partition, allocated on first use */
} tm_topic_t;

typedef struct txn_manager {
    tm_state_t state;
    int64_t pid;
    int16_t epoch;
    bool epoch_bump_required;
    bool init_queued;          /* an InitProducerId is waiting to go */
    bool init_in_flight;
    int64_t init_not_before;   /* µs: a retried InitProducerId waits retry.backoff.ms */
    tm_topic_t *topics;        /* in first-use order */
    int32_t n_topics;
    /* The partitions the last tm_bump_epoch_and_reset_id_if_needed renumbered (the
     * producer's trace names them); n_bumped 0 when it bumped nothing. */
    tm_part_t **bumped;
    int32_t n_bumped, cap_bumped;
    /* Transactions (transactional_id NULL: an idempotent producer). */
    const char *transactional_id; /* interned */
    int32_t txn_timeout_ms;
    int64_t retry_backoff;     /* µs */
    bool transaction_started;  /* a partition or the offsets were added */
    tm_error_t last_error;     /* set in ABORTABLE_ERROR and FATAL_ERROR */
    int32_t txn_coord, group_coord; /* node ids, -1 unknown */
    char *group_coord_key;
    producer_offset_t *pending_offsets; /* pendingTxnOffsetCommits */
    int32_t n_pending_offsets;
    tm_req_t **reqs;           /* the queue, unsorted: tm_next_request picks */
    int32_t n_reqs, cap_reqs;
    uint64_t next_seq;
    tm_req_t *inflight;        /* the one transactional request on the wire */
    int32_t inflight_corr;
    /* pendingTransition: the result a blocking call left behind when it timed out, the
     * state it leads to and the operation's name. */
    tm_result_t *pending;
    tm_state_t pending_state;
    const char *pending_op;
    tm_transition_fn on_transition;
    void *transition_ctx;
} txn_manager_t;

void tm_init(txn_manager_t *tm);
void tm_free(txn_manager_t *tm);
/* Forgets everything (a new process); the transactional id, timeout, back-off and the
 * transition listener are configuration and stay. */
void tm_reset(txn_manager_t *tm);

bool tm_has_pid(const txn_manager_t *tm);
tm_part_t *tm_part(txn_manager_t *tm, const char *topic, int32_t partition);

/* Sender.runOnce, first: partitions whose batches all expired while unresolved ask for an
 * epoch bump; then the bump itself (or, with the epoch exhausted, a fresh producer id), and
 * an InitProducerId queued when the producer has no id. */
void tm_maybe_resolve_sequences(txn_manager_t *tm);
void tm_bump_epoch_and_reset_id_if_needed(txn_manager_t *tm);
/* The InitProducerId answer. */
void tm_init_pid_done(txn_manager_t *tm, int64_t pid, int16_t epoch);

/* RecordAccumulator.shouldStopDrainBatchesForPartition for the head batch. */
bool tm_should_stop_drain(txn_manager_t *tm, const struct pbatch *first, const char *topic,
                          int32_t partition);
/* A batch leaves the accumulator for the first time: its producer id, epoch and sequence. */
void tm_assign_sequence(txn_manager_t *tm, struct pbatch *pb, const char *topic,
                        int32_t partition);
/* The sequence a re-enqueued batch must be sent in front of (firstInFlightSequence). */
int32_t tm_first_inflight_seq(txn_manager_t *tm, const char *topic, int32_t partition);

/* Responses: the Sender's completeBatch and failBatch, and canRetry's idempotent rules. */
void tm_completed(txn_manager_t *tm, struct pbatch *pb);
void tm_failed(txn_manager_t *tm, struct pbatch *pb, int16_t error, bool adjust_sequences);
bool tm_can_retry(txn_manager_t *tm, struct pbatch *pb, int16_t error);
/* A batch expired after it had been retried: its sequence's fate is unknown. */
void tm_mark_unresolved(txn_manager_t *tm, struct pbatch *pb);

/* ---- transactions ---- */

const char *tm_state_name(tm_state_t s);
/* Kafka's State.isTransitionValid. */
bool tm_transition_valid(tm_state_t from, tm_state_t to);
/* The exception Kafka's client raises for an error code ("ProducerFencedException"). */
const char *tm_exception_name(int16_t code);
/* Kafka's message for a wire error (Errors.message), or the code's name. */
const char *tm_error_message(int16_t code);
void tm_error_set(tm_error_t *e, int16_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

bool tm_is_transactional(const txn_manager_t *tm);
bool tm_has_error(const txn_manager_t *tm);
bool tm_is_completing(const txn_manager_t *tm);
/* transitionTo: false (and *err an IllegalStateException) when Kafka's table refuses it. */
bool tm_transition(txn_manager_t *tm, tm_state_t to, const tm_error_t *why, tm_error_t *err);
void tm_abortable_error(txn_manager_t *tm, const tm_error_t *e);
void tm_fatal_error(txn_manager_t *tm, const tm_error_t *e);
/* maybeTransitionToErrorState for a failed batch or a refused send (Sender.failBatch). */
void tm_batch_error(txn_manager_t *tm, int16_t code, const char *msg);
/* maybeFailWithError: true with *err set in an error state. */
bool tm_maybe_fail_with_error(const txn_manager_t *tm, tm_error_t *err);

/* KafkaProducer.send's checks (failIfNotReadyForSend) and maybeAddPartition. */
bool tm_check_send(const txn_manager_t *tm, tm_error_t *err);
void tm_maybe_add_partition(txn_manager_t *tm, const char *topic, int32_t partition);
/* isSendToPartitionAllowed: the accumulator drains a partition's batches only once it is
 * in the transaction. */
bool tm_send_allowed(txn_manager_t *tm, const char *topic, int32_t partition);
bool tm_has_partitions_to_add(const txn_manager_t *tm);

/* The API's state changes; each returns the result to wait for, or NULL with *err. A call
 * whose earlier attempt timed out gets that attempt's result back (pendingTransition). */
tm_result_t *tm_initialize_transactions(txn_manager_t *tm, tm_error_t *err);
bool tm_begin_transaction(txn_manager_t *tm, tm_error_t *err);
tm_result_t *tm_send_offsets(txn_manager_t *tm, const producer_offset_t *offsets, int32_t n,
                             const producer_group_meta_t *gm, tm_error_t *err);
tm_result_t *tm_begin_commit(txn_manager_t *tm, tm_error_t *err);
tm_result_t *tm_begin_abort(txn_manager_t *tm, tm_error_t *err);
/* TransactionalRequestResult.await returned (done or failed): the next call starts anew. */
void tm_result_ack(txn_manager_t *tm, tm_result_t *r);
void tm_result_unref(tm_result_t *r);
void tm_result_done(tm_result_t *r);
void tm_result_fail(tm_result_t *r, const tm_error_t *e);

/* The TxnOffsetCommit that follows a successful AddOffsetsToTxn (same result). */
tm_req_t *tm_txn_offset_commit_request(txn_manager_t *tm, const tm_req_t *add_offsets);

/* The request queue. */
void tm_enqueue(txn_manager_t *tm, tm_req_t *req);
void tm_lookup_coordinator(txn_manager_t *tm, int8_t key_type, const char *key);
/* nextRequest: the request to send now (taken off the queue), or NULL; an EndTxn waits
 * while batches are incomplete; a request met in an error state fails. */
tm_req_t *tm_next_request(txn_manager_t *tm, bool incomplete_batches);
void tm_req_free(tm_req_t *req);
/* completeTransaction: EndTxn succeeded (or was not needed). */
void tm_complete_transaction(txn_manager_t *tm);
/* A successful InitProducerId for a transactional producer. */
void tm_txn_init_done(txn_manager_t *tm, int64_t pid, int16_t epoch);

#endif
