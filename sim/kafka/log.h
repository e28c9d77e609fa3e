/* log: one partition's log on one broker: records in offset order, grouped in the
 * batches they were appended as, the batches grouped in segments (the last one active),
 * with the log start offset, log end offset (LEO) and high watermark. Keys and values live
 * in the log's own arena. The cleaner (cleaner.c) and retention (retention.c) reshape it
 * through the functions at the end of this header. */
#ifndef KSIM_LOG_H
#define KSIM_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "log_config.h"

#define LOG_REC_TRANSACTIONAL 0x1u
#define LOG_REC_CONTROL 0x2u

typedef struct log_record {
    int64_t offset;
    int64_t timestamp;    /* µs */
    bytes_t key, value;
    int64_t producer_id;  /* -1: none */
    int16_t producer_epoch;
    int32_t sequence;     /* -1: none */
    int32_t leader_epoch; /* the leader epoch the batch was written in */
    uint32_t batch;       /* index of its batch in the log */
    uint8_t flags;
} log_record_t;

/* A batch keeps its header when the cleaner removes records from it: base and last offset,
 * producer fields and max timestamp stay as written, so n can be less than the offsets it
 * spans, and a batch emptied by the cleaner can stay with n = 0 (the last batch of its
 * producer, which producer state is rebuilt from, as Kafka keeps it). */
typedef struct log_batch {
    int64_t base_offset, last_offset;
    size_t first;     /* index of its first record */
    int32_t n;        /* records */
    int32_t size;     /* bytes, Kafka's record batch format */
    /* The batch header's fields: producer state is rebuilt from the producer fields. */
    int64_t producer_id;    /* -1: none */
    int16_t producer_epoch;
    int32_t base_sequence, last_sequence; /* -1: none */
    int32_t leader_epoch;
    int64_t max_timestamp;  /* µs */
    int64_t delete_horizon; /* µs: when its tombstones may go (KIP-534); -1: not set */
    uint8_t flags;          /* LOG_REC_* */
} log_batch_t;

/* A control batch (flags LOG_REC_CONTROL | LOG_REC_TRANSACTIONAL) holds one record, a
 * transaction marker, in Kafka's format: the key is the ControlRecordType key (int16
 * version 0, int16 type), the value the EndTransactionMarker (int16 version 0, int32
 * coordinator epoch), both big-endian. */
#define CONTROL_ABORT 0
#define CONTROL_COMMIT 1
#define CONTROL_KEY_SIZE 4
#define CONTROL_VALUE_SIZE 6

/* Fills out[CONTROL_KEY_SIZE] and out[CONTROL_VALUE_SIZE]. */
void control_marker_key(int16_t type, char *out);
void control_marker_value(int32_t coordinator_epoch, char *out);
/* The marker's type (CONTROL_ABORT, CONTROL_COMMIT) from its key, -1 when not a marker. */
int control_marker_type(bytes_t key);
/* The coordinator epoch from a marker's value, -1 when malformed. */
int32_t control_marker_epoch(bytes_t value);

/* A record as a producer hands it to the log. */
typedef struct log_input {
    int64_t timestamp;
    bytes_t key, value;
} log_input_t;

typedef struct log_append {
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t leader_epoch;
    uint8_t flags;
    int32_t size;
} log_append_t;

/* One entry of the leader epoch cache (Kafka's LeaderEpochFileCache): the first offset
 * written under each leader epoch. */
typedef struct log_epoch {
    int32_t epoch;
    int64_t start;
} log_epoch_t;

#define LOG_NO_EPOCH (-1)
#define LOG_NO_OFFSET (-1)

/* A segment: the batches from first_batch up to the next segment's first batch. */
typedef struct log_segment {
    int64_t base_offset;
    size_t first_batch;
    int64_t bytes;
    int64_t roll_ts;   /* max timestamp of its first batch: segment.ms counts from it; -1 */
    int64_t modified;  /* µs: max timestamp of the last batch written to it (its mtime); -1 */
} log_segment_t;

typedef struct plog {
    log_record_t *recs;
    size_t n, cap;
    log_batch_t *batches;
    size_t n_batches, cap_batches;
    int64_t log_start;  /* first offset */
    int64_t leo;        /* log end offset: the next offset to assign */
    int64_t hw;         /* high watermark */
    int64_t bytes;      /* total size */
    log_epoch_t *epochs; /* the leader epoch cache, epochs and starts increasing */
    size_t n_epochs, cap_epochs;
    log_segment_t *segs; /* base offsets increasing; the last is the active segment */
    size_t n_segs, cap_segs;
    log_config_t cfg;
    int64_t clean_checkpoint; /* the cleaner's checkpoint: first dirty offset; -1: none */
    /* The producer state's first unstable offset as the partition last set it
     * (UnifiedLog.firstUnstableOffsetMetadata); -1: no transaction holds the LSO. */
    int64_t first_unstable;
    struct log_arena *arena;
} plog_t;

/* An empty log with Kafka's default configuration (plog_configure changes it). */
void plog_init(plog_t *l);
void plog_configure(plog_t *l, const log_config_t *cfg);
void plog_free(plog_t *l);
/* Appends one batch; returns its base offset. Copies keys and values. */
int64_t plog_append(plog_t *l, const log_input_t *recs, int32_t n, const log_append_t *meta);
/* A follower's append: one batch exactly as the leader holds it (same offsets, header,
 * leader epoch), at or after the log end. `recs` hold the batch's batch->n records: after
 * the leader's cleaner a batch may hold fewer records than offsets, or none, and gaps
 * between batches are fine. */
void plog_append_copy(plog_t *l, const log_batch_t *batch, const log_record_t *recs);
/* Drops every batch that ends at or after `offset` (offsets at batch boundaries), and the
 * epoch cache entries that start at or after the new log end; the high watermark and the
 * log start follow down. Below the first segment's base it truncates fully. */
void plog_truncate(plog_t *l, int64_t offset);
/* Drops everything and starts an empty log at `offset` (UnifiedLog.truncateFullyAndStartAt:
 * a follower behind the leader's log start). */
void plog_truncate_fully(plog_t *l, int64_t offset);

/* Records that epoch `epoch` starts at `start` (when it is newer than the latest). */
void plog_assign_epoch(plog_t *l, int32_t epoch, int64_t start);
/* The latest epoch in the cache, or LOG_NO_EPOCH. */
int32_t plog_latest_epoch(const plog_t *l);
/* Kafka's endOffsetFor: the largest epoch <= `epoch` the cache knows, and the offset where
 * the epoch after it starts (the log end for the latest epoch). Returns the end offset and
 * sets *out_epoch; LOG_NO_OFFSET and LOG_NO_EPOCH when `epoch` is newer than all known. */
int64_t plog_epoch_end(const plog_t *l, int32_t epoch, int32_t *out_epoch);

/* Index of the first record with offset >= `offset` (n when none). */
size_t plog_find(const plog_t *l, int64_t offset);
/* Index of the batch holding `offset` or the first after it (n_batches when none). */
size_t plog_find_batch(const plog_t *l, int64_t offset);

/* DefaultRecordBatch.incrementSequence: sequences wrap from INT32_MAX to 0. */
int32_t seq_add(int32_t seq, int32_t n);

/* ---- segments, for retention and the cleaner ---- */

/* The index one past segment i's last batch. */
size_t plog_seg_end_batch(const plog_t *l, size_t i);
/* The offset where segment i ends (exclusive): the next base offset, or the log end. */
int64_t plog_seg_end_offset(const plog_t *l, size_t i);
/* Kafka's LogSegment.largestTimestamp: the largest batch timestamp, or when the segment
 * holds none its last modification. */
int64_t plog_seg_largest_ts(const plog_t *l, size_t i);
/* Index of the segment holding `offset` (its floor segment). */
size_t plog_seg_find(const plog_t *l, int64_t offset);
/* Deletes the first n segments (rolling a new active segment first when all go) and moves
 * the log start offset up to the first remaining segment. Returns the bytes removed. */
int64_t plog_delete_segments(plog_t *l, size_t n);
/* UnifiedLog.updateHighWatermark: sets the HW, kept within [log start, log end] (a new
 * leader's HW can lag the log start an old leader's retention handed out). Returns
 * whether it changed. */
bool plog_update_hw(plog_t *l, int64_t hw);
/* UnifiedLog.lastStableOffset: the first unstable offset (not below the log start) when
 * it is below the HW, else the HW. */
int64_t plog_lso(const plog_t *l);
/* maybeIncrementLogStartOffset: moves the log start up (never past the HW); the epoch cache
 * forgets what lies below. */
void plog_raise_log_start(plog_t *l, int64_t offset);
/* The cleaner's rewrite of batches [0, nb): keeps the records whose keep[] (by record
 * index) is true, drops each batch left without records unless keep_empty[batch], and
 * recomputes batch, segment and log sizes. Offsets never change; gaps appear. */
void plog_rewrite(plog_t *l, size_t nb, const bool *keep, const bool *keep_empty);
/* Makes segments first..last one segment (the cleaner's groups): it keeps the first base
 * offset and the last one's modification time. */
void plog_merge_segments(plog_t *l, size_t first, size_t last);
/* Copies the live keys and values to a fresh arena and shrinks the arrays, releasing
 * what the cleaner and retention removed. */
void plog_repack(plog_t *l);
/* Asserts the log's invariants (offsets increasing, batches and segments consistent). */
void plog_check(const plog_t *l);

/* Kafka's sizes: the record batch header and one record in the v2 format. */
#define RECORD_BATCH_OVERHEAD 61
int32_t record_size_in_batch(int64_t offset_delta, int64_t timestamp_delta, bytes_t key,
                             bytes_t value);

#endif
