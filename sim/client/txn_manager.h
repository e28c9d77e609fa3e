/* txn_manager: the producer's TransactionManager, idempotent part: the producer id and
 * epoch from InitProducerId, per partition the next sequence, the last acknowledged
 * sequence and offset and the batches in flight by sequence, unresolved sequences after a
 * delivery timeout, and the client-side epoch bump of KIP-360 that restarts a partition's
 * sequences at 0. Used by the accumulator (sequences at drain time) and the sender
 * (InitProducerId, responses). Nothing outside sim/client/ includes it. */
#ifndef KSIM_TXN_MANAGER_H
#define KSIM_TXN_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

struct pbatch;

#define TM_NO_PID (-1)
#define TM_NO_EPOCH (-1)
#define TM_NO_SEQ (-1)

typedef enum tm_state {
    TM_UNINITIALIZED,
    TM_INITIALIZING,
    TM_READY,
} tm_state_t;

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
} txn_manager_t;

void tm_init(txn_manager_t *tm);
void tm_free(txn_manager_t *tm);
/* Forgets everything (a new process). */
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

#endif
