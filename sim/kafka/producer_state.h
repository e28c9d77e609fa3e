/* producer_state: one partition's producer state on a broker (Kafka's ProducerStateManager,
 * ProducerAppendInfo and the segments' TransactionIndex): per producer id, its epoch, the
 * metadata of its last five batches, its open transaction and the coordinator epoch of its
 * last marker; the partition's ongoing transactions, those completed but not yet replicated
 * (they hold the last stable offset down) and the aborted-transaction index; the checks a
 * leader makes before appending a batch or a marker; the state rebuilt from the log after a
 * truncation or a restart; expiry. */
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
    int32_t coordinator_epoch;       /* of the last marker written for it; -1: none */
    int64_t txn_first_offset;        /* its open transaction's first offset; -1: none */
} pstate_entry_t;

/* TxnMetadata: a transaction on this partition, from its first offset to its marker. */
typedef struct pstate_txn {
    int64_t producer_id;
    int64_t first_offset;
    int64_t last_offset;             /* the marker's offset; -1 while it is open */
} pstate_txn_t;

/* AbortedTxn, an entry of the aborted-transaction index: the producer's aborted
 * transaction from its first offset to its ABORT marker (last_offset), and the last stable
 * offset when the marker was written (a fetch stops looking further back there). */
typedef struct pstate_aborted {
    int64_t producer_id;
    int64_t first_offset, last_offset;
    int64_t last_stable_offset;
} pstate_aborted_t;

/* Entries sorted by producer id (look-ups by binary search, output in id order); the open
 * transactions and the completed ones whose marker is not below the HW yet, each by first
 * offset; the aborted index by marker offset. */
typedef struct pstate {
    pstate_entry_t *e;
    size_t n, cap;
    pstate_txn_t *ongoing;
    size_t n_ongoing, cap_ongoing;
    pstate_txn_t *unreplicated;
    size_t n_unreplicated, cap_unreplicated;
    pstate_aborted_t *aborted;
    size_t n_aborted, cap_aborted;
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
    int32_t coordinator_epoch; /* markers: the entry's coordinator epoch (-1: none) */
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

/* ProducerAppendInfo.appendDataBatch's transaction check: a producer with an open
 * transaction may only write transactional batches (else INVALID_TXN_STATE). */
int16_t pstate_check_txn(const pstate_t *ps, int64_t producer_id, bool transactional);

/* checkProducerEpoch for a coordinator's own append (a TxnOffsetCommit's batch): an epoch
 * older than the producer's is INVALID_PRODUCER_EPOCH; sequences are not checked. */
int16_t pstate_check_epoch(const pstate_t *ps, int64_t producer_id, int16_t epoch);

/* appendEndTxnMarker's checks for a marker the coordinator asks a leader to write: an
 * epoch older than the producer's is INVALID_PRODUCER_EPOCH, a coordinator epoch older
 * than the last marker's is TRANSACTION_COORDINATOR_FENCED (a zombie coordinator). */
pstate_check_t pstate_check_marker(const pstate_t *ps, int64_t producer_id, int16_t epoch,
                                   int32_t coordinator_epoch);

/* Records an appended data batch (leader or follower alike): a new epoch drops the
 * retained batches, and the oldest of five goes first; a transactional batch of a producer
 * without an open transaction opens one at its base offset. */
void pstate_update(pstate_t *ps, const log_batch_t *batch);

/* Records an appended marker (a control batch of type CONTROL_COMMIT or CONTROL_ABORT):
 * the producer's open transaction, if any, completes (it waits for the HW to pass the
 * marker before it stops holding the LSO), an ABORT enters the aborted index, and the
 * producer takes the marker's epoch and coordinator epoch. */
void pstate_update_marker(pstate_t *ps, const log_batch_t *batch, int type,
                          int32_t coordinator_epoch);

/* Records any batch the log took, data or control (`recs`: its batch->n records; a marker
 * is read from the first), as a follower copies them and the rebuild replays them. A
 * control batch the cleaner emptied changes nothing (appendEndTxnMarker's empty case). */
void pstate_replay(pstate_t *ps, const log_batch_t *batch, const log_record_t *recs);

/* Rebuilds the state from the log's batches, as Kafka reloads it from the log after a
 * truncation or a restart; transactions completed below the log's HW are settled. */
void pstate_rebuild(pstate_t *ps, const plog_t *log);

/* onHighWatermarkUpdated: completed transactions whose marker is below `hw` no longer hold
 * the LSO down. */
void pstate_hw_updated(pstate_t *ps, int64_t hw);
/* The log start moved up: what lies wholly below it is forgotten (the unreplicated
 * transactions, and the aborted index entries whose marker was deleted with its segment). */
void pstate_log_start_moved(pstate_t *ps, int64_t log_start);
/* firstUnstableOffset: the first offset of the earliest open or unreplicated transaction,
 * -1 when none. */
int64_t pstate_first_unstable(const pstate_t *ps);

/* TransactionIndex.collectAbortedTxns over the whole index: the aborted transactions that
 * overlap [from, upper) (marker at or after `from`, first offset before `upper`), in marker
 * order, looking no further than the first entry whose last stable offset reaches `upper`.
 * Writes up to `max` of them to out (NULL: just count); returns how many there are. */
size_t pstate_collect_aborted(const pstate_t *ps, int64_t from, int64_t upper,
                              pstate_aborted_t *out, size_t max);
/* Drops the aborted index entry of the ABORT marker at `marker_offset` (the cleaner found
 * none of its transaction's batches left). */
void pstate_forget_aborted(pstate_t *ps, int64_t marker_offset);

/* Drops the producers whose last batch is `expiration` µs old or older
 * (producer.id.expiration.ms), except those with an open transaction; returns how many
 * went. */
size_t pstate_expire(pstate_t *ps, int64_t now, int64_t expiration);

#endif
