/* log: one partition's log on one broker: records in offset order, grouped in the
 * batches they were appended as, with the log start offset, log end offset (LEO) and
 * high watermark. Keys and values live in the log's own arena. */
#ifndef KSIM_LOG_H
#define KSIM_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

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

typedef struct log_batch {
    int64_t base_offset, last_offset;
    size_t first;     /* index of its first record */
    int32_t n;        /* records */
    int32_t size;     /* bytes, Kafka's record batch format */
    /* The batch header's producer fields, which producer state is rebuilt from. */
    int64_t producer_id;    /* -1: none */
    int16_t producer_epoch;
    int32_t base_sequence, last_sequence; /* -1: none */
    int64_t max_timestamp;  /* µs */
    uint8_t flags;          /* LOG_REC_* */
} log_batch_t;

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
    struct log_arena *arena;
} plog_t;

void plog_init(plog_t *l);
void plog_free(plog_t *l);
/* Appends one batch; returns its base offset. Copies keys and values. */
int64_t plog_append(plog_t *l, const log_input_t *recs, int32_t n, const log_append_t *meta);
/* A follower's append: one batch exactly as the leader wrote it (same offsets, header,
 * leader epoch), starting at the log end. `recs` hold the batch's batch->n records. */
void plog_append_copy(plog_t *l, const log_batch_t *batch, const log_record_t *recs);
/* Drops every batch that ends at or after `offset` (offsets at batch boundaries), and the
 * epoch cache entries that start at or after the new log end; the high watermark follows
 * down. */
void plog_truncate(plog_t *l, int64_t offset);

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

/* Kafka's sizes: the record batch header and one record in the v2 format. */
#define RECORD_BATCH_OVERHEAD 61
int32_t record_size_in_batch(int64_t offset_delta, int64_t timestamp_delta, bytes_t key,
                             bytes_t value);

#endif
