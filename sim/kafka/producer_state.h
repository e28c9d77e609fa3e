/* producer_state: one partition's idempotent producer state on a broker (Kafka's
 * ProducerStateManager and ProducerAppendInfo): per producer id, its epoch and the metadata
 * of its last five batches; the sequence checks a leader makes before an append; the state
 * rebuilt from the log's batch headers after a truncation or a restart; expiry. */
#ifndef KSIM_PRODUCER_STATE_H
#define KSIM_PRODUCER_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "log.h"

/* ProducerStateEntry.NUM_BATCHES_TO_RETAIN */
#define PSTATE_BATCHES 5
#define PSTATE_NO_EPOCH (-1)

/* BatchMetadata: what a retained batch answers a duplicate with. */
typedef struct pstate_batch {
    int32_t first_seq, last_seq;
    int64_t first_offset, last_offset;
    int64_t timestamp; /* µs, the batch's max timestamp */
} pstate_batch_t;

typedef struct pstate_entry {
    int64_t producer_id;
    int16_t epoch;
    int32_t n;                       /* retained batches, oldest first */
    pstate_batch_t b[PSTATE_BATCHES];
    int64_t last_timestamp;          /* µs: expiry counts from here */
} pstate_entry_t;

/* Entries sorted by producer id (look-ups by binary search, output in id order). */
typedef struct pstate {
    pstate_entry_t *e;
    size_t n, cap;
} pstate_t;

/* What the leader's checks decided for one batch. */
typedef enum pstate_verdict {
    PSTATE_APPEND,    /* in sequence: append it */
    PSTATE_DUPLICATE, /* a retained batch: answer with its offsets, append nothing */
    PSTATE_REJECT,    /* answer with `error` */
} pstate_verdict_t;

typedef struct pstate_check {
    pstate_verdict_t verdict;
    int16_t error;             /* PSTATE_REJECT: INVALID_PRODUCER_EPOCH or OUT_OF_ORDER_... */
    pstate_batch_t duplicate;  /* PSTATE_DUPLICATE: the batch it repeats */
    int16_t current_epoch;     /* the entry's epoch (PSTATE_NO_EPOCH: no state) */
    int32_t last_seq;          /* the entry's last sequence (-1: none) */
    const char *reason;        /* in Kafka's words, for the trace */
} pstate_check_t;

void pstate_init(pstate_t *ps);
void pstate_free(pstate_t *ps);
void pstate_clear(pstate_t *ps);

const pstate_entry_t *pstate_find(const pstate_t *ps, int64_t producer_id);

/* The leader's checks for a client's batch, in Kafka's order (UnifiedLog
 * analyzeAndValidateProducerState, then ProducerAppendInfo checkProducerEpoch and
 * checkSequence): duplicate of a retained batch, older epoch, newer epoch not at sequence 0,
 * no state (any sequence), otherwise the next sequence or OUT_OF_ORDER_SEQUENCE_NUMBER. */
pstate_check_t pstate_check_sequence(const pstate_t *ps, int64_t producer_id, int16_t epoch,
                                     int32_t first_seq, int32_t last_seq);

/* Records an appended batch (leader or follower alike): a new epoch drops the retained
 * batches, and the oldest of five goes first. */
void pstate_update(pstate_t *ps, const log_batch_t *batch);

/* Rebuilds the state from the log's batch headers, as Kafka reloads it from the log after
 * a truncation or a restart. */
void pstate_rebuild(pstate_t *ps, const plog_t *log);

/* Drops the producers whose last batch is `expiration` µs old or older
 * (producer.id.expiration.ms); returns how many went. */
size_t pstate_expire(pstate_t *ps, int64_t now, int64_t expiration);

#endif
