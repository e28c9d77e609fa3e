/* protocol: the bodies of Kafka's requests and responses as typed structs, with the
 * ops that free them and describe them in the trace. Producers build record batches
 * (refcounted: a retry resends the same batch); brokers answer with copies of log data. */
#ifndef KSIM_PROTOCOL_H
#define KSIM_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/net.h"
#include "bytes.h"
#include "log.h"

/* ---- record batches, as a producer sends them ---- */
typedef struct record_batch {
    uint32_t refs;
    const char *topic; /* interned */
    int32_t partition;
    int64_t producer_id;   /* -1: none */
    int16_t producer_epoch;
    int32_t base_sequence; /* -1: none */
    uint8_t flags;         /* LOG_REC_* */
    int32_t n, cap;
    log_input_t *recs;     /* keys and values owned by the batch */
    int64_t first_timestamp;
    int32_t size;          /* Kafka's v2 batch size in bytes */
} record_batch_t;

record_batch_t *batch_new(const char *topic, int32_t partition);
/* The size the batch would have with one more record. */
int32_t batch_size_with(const record_batch_t *b, bytes_t key, bytes_t value, int64_t ts);
void batch_add(record_batch_t *b, bytes_t key, bytes_t value, int64_t ts);
record_batch_t *batch_ref(record_batch_t *b);
/* The batch with these producer fields for its next send (ProducerBatch.setProducerState);
 * one still referenced by a request on the wire is copied, the caller's reference moving to
 * the copy. */
record_batch_t *batch_with_producer(record_batch_t *b, int64_t pid, int16_t epoch, int32_t seq);
void batch_unref(record_batch_t *b);

/* ---- Produce ---- */
typedef struct produce_part {
    const char *topic;
    int32_t partition;
    record_batch_t *batch;
} produce_part_t;

typedef struct produce_req {
    int16_t acks;        /* -1 (all), 0, 1 */
    int32_t timeout_ms;
    int32_t n;
    produce_part_t *parts;
} produce_req_t;

typedef struct produce_part_resp {
    const char *topic;
    int32_t partition;
    int16_t error;
    int64_t base_offset;
    int64_t log_start_offset;
} produce_part_resp_t;

typedef struct produce_resp {
    int32_t n;
    produce_part_resp_t *parts;
} produce_resp_t;

extern const msg_body_ops_t produce_req_ops, produce_resp_ops;

/* ---- Fetch ---- */
typedef struct fetch_part {
    const char *topic;
    int32_t partition;
    int64_t fetch_offset;
    int32_t max_bytes;
    int32_t current_leader_epoch; /* KIP-320 fencing; -1: not checked */
    int32_t last_fetched_epoch;   /* KIP-595 divergence check (followers); -1: none */
} fetch_part_t;

typedef struct fetch_req {
    int32_t replica_id;  /* -1: a consumer */
    int32_t max_wait_ms;
    int32_t min_bytes;
    int32_t max_bytes;
    int8_t isolation;    /* 0 read_uncommitted, 1 read_committed */
    int32_t n;
    fetch_part_t *parts;
} fetch_req_t;

/* FetchResponse.AbortedTransaction: a producer's aborted transaction that starts at
 * first_offset (read_committed fetches list those overlapping the records returned). */
typedef struct fetch_aborted {
    int64_t producer_id;
    int64_t first_offset;
} fetch_aborted_t;

typedef struct fetch_part_resp {
    const char *topic;
    int32_t partition;
    int16_t error;
    int64_t hw;
    int64_t lso;
    int64_t log_start;
    int32_t diverging_epoch;  /* -1, or the epoch where the follower's log diverges */
    int64_t diverging_end;    /* … and the offset where that epoch ends on the leader */
    int32_t n;           /* whole batches: may start before the fetch offset */
    log_record_t *recs;  /* keys and values point into `data` */
    char *data;
    int32_t n_batches;   /* the batches of recs, `first` indexing into recs */
    log_batch_t *batches;
    int32_t n_aborted;   /* read_committed: by first offset */
    fetch_aborted_t *aborted;
} fetch_part_resp_t;

typedef struct fetch_resp {
    int32_t n;
    fetch_part_resp_t *parts;
} fetch_resp_t;

extern const msg_body_ops_t fetch_req_ops, fetch_resp_ops;
/* Frees what a partition's response holds (records, data, batches). */
void fetch_part_resp_clear(fetch_part_resp_t *p);

/* ---- ListOffsets ---- */
#define LIST_OFFSETS_LATEST (-1)
#define LIST_OFFSETS_EARLIEST (-2)

typedef struct list_offsets_part {
    const char *topic;
    int32_t partition;
    int64_t timestamp;   /* LIST_OFFSETS_* */
    int16_t error;       /* response */
    int64_t offset;      /* response */
} list_offsets_part_t;

typedef struct list_offsets {
    int8_t isolation;    /* 0 read_uncommitted (latest = HW), 1 read_committed (the LSO) */
    int32_t n;
    list_offsets_part_t *parts;
} list_offsets_t;

extern const msg_body_ops_t list_offsets_req_ops, list_offsets_resp_ops;

/* ---- InitProducerId (request and response share the body) ---- */
typedef struct init_pid {
    const char *transactional_id; /* interned; NULL: an idempotent producer */
    int32_t txn_timeout_ms;
    int64_t producer_id;          /* request: -1, or the current id and epoch (KIP-360) */
    int16_t producer_epoch;
    int16_t error;                /* response */
} init_pid_t;

extern const msg_body_ops_t init_pid_req_ops, init_pid_resp_ops;

/* ---- Metadata ---- */
typedef struct metadata_req {
    int32_t n;           /* topics asked for */
    const char **topics;
} metadata_req_t;

typedef struct metadata_partition {
    int32_t partition;
    int16_t error;
    int32_t leader;      /* Kafka broker id, -1: none */
    int32_t leader_epoch;
} metadata_partition_t;

typedef struct metadata_topic {
    const char *topic;
    int16_t error;
    int32_t n;
    metadata_partition_t *partitions;
} metadata_topic_t;

typedef struct metadata_broker {
    int32_t broker_id;
    int32_t node;        /* the node to connect to (Kafka: host and port) */
} metadata_broker_t;

typedef struct metadata_resp {
    int32_t n_brokers;
    metadata_broker_t *brokers;
    int32_t n;
    metadata_topic_t *topics;
} metadata_resp_t;

extern const msg_body_ops_t metadata_req_ops, metadata_resp_ops;

/* Allocation helpers: zeroed arrays that abort on exhaustion. */
void *proto_calloc(size_t n, size_t size);
/* A partition as the trace names it: "payments-0", as a JSON string item. */
cJSON *tp_json(const char *topic, int32_t partition);
/* Adds that name as the field "tp". */
void trace_add_tp(cJSON *obj, const char *topic, int32_t partition);
/* A malloc'd copy (NUL-terminated for convenience; null stays null). */
bytes_t bytes_dup(bytes_t b);
/* o as compact JSON text (malloc'd); o is freed. For records stored as JSON. */
char *json_take_text(cJSON *o);
/* A trace value for bytes: a JSON string, or null. */
cJSON *bytes_json(bytes_t b);

#endif
