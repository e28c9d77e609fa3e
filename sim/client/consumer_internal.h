/* consumer_internal: the consumer's state, shared by its two parts: consumer.c (assignment,
 * positions, fetcher, poll) and coordinator.c (the group membership and offset commits).
 * Nothing outside sim/client/ includes it. */
#ifndef KSIM_CONSUMER_INTERNAL_H
#define KSIM_CONSUMER_INTERNAL_H

#include "../kafka/protocol.h"
#include "consumer.h"
#include "inflight.h"
#include "metadata.h"

enum reset { RESET_NONE, RESET_EARLIEST, RESET_LATEST };

typedef struct cpart {
    const char *topic;   /* interned */
    int32_t partition;
    int64_t position;    /* next offset to return; -1 unknown */
    int8_t reset;        /* a pending reset (seekToBeginning/End or auto.offset.reset) */
    bool listing;        /* a ListOffsets for it is in flight */
    bool need_committed; /* assigned by the group: its committed offset is not known yet */
    int64_t fetch_end;   /* where the last fetched batch ends: the position once the
                          * buffered records are returned (CompletedFetch); -1 */
} cpart_t;

/* A fetched record waiting for poll; key and value are owned. */
typedef struct buffered {
    int32_t part;        /* index in the assignment */
    consumer_record_t rec;
} buffered_t;

/* What a Fetch (or ListOffsets) in flight asked for: an assigned partition and its
 * position then. */
typedef struct fetch_pos {
    int32_t part;
    int64_t offset;
} fetch_pos_t;

struct consumer {
    node_t *node;
    world_t *w;
    int8_t auto_reset;
    int32_t fetch_min_bytes, fetch_max_wait_ms, fetch_max_bytes, partition_max_bytes;
    int32_t max_poll_records;
    int8_t isolation;
    int64_t request_timeout, backoff;
    client_meta_t meta;
    cpart_t *parts;
    int32_t n_parts;
    buffered_t *buf;
    size_t buf_head, n_buf, cap_buf;
    inflight_table_t inflight; /* data: the Fetch's fetch_pos_t[n] */
    int32_t next_corr;
    bool polling;
    ev_handle_t poll_timer;
    consumer_poll_fn poll_fn;
    void *poll_ctx;
    int16_t poll_error;
    char poll_what[256];
    bool closed;
    ev_handle_t retry_timer;
    int64_t retry_at;
    int64_t reconnect_backoff, reconnect_backoff_max;
    struct coordinator *co;    /* the group membership, NULL without group.id */
};

/* consumer.c, for coordinator.c */
/* Sends a request (next correlation id) tracked with request.timeout.ms or `timeout` µs if
 * longer; `data` (malloc'd, n entries) comes back with the answer or is freed when the
 * request is lost. */
void consumer_send(consumer_t *c, int32_t node, msg_t *m, int64_t timeout, void *data,
                   int32_t n);
/* The node a request for no particular broker goes to (leastLoadedNode). */
int32_t consumer_least_loaded(consumer_t *c);
/* While polling, look again at `at`. */
void consumer_retry_at(consumer_t *c, int64_t at);
/* Whether `node` is in its reconnect backoff (then a retry is planned for its end). */
bool consumer_node_blocked(consumer_t *c, int32_t node);
/* Replaces the assignment as the group decided it: partitions kept keep their position,
 * new ones wait for their committed offset. */
void consumer_assign_group(consumer_t *c, const topic_partition_t *tps, size_t n);
/* A partition's position came from somewhere else than a fetch ("committed"). */
void consumer_trace_reset(consumer_t *c, const cpart_t *p, const char *why);
/* Poll ends with this failure (what: Kafka's message). */
void consumer_fail_poll(consumer_t *c, int16_t error, const char *what);
int8_t consumer_auto_reset(const consumer_t *c);

#endif
