/* producer: Kafka's producer client. It owns the record accumulator (batches per partition,
 * linger.ms, batch.size), the sender (in-flight requests per broker, acks, request and
 * delivery timeouts, retries with backoff), the partitioner and every record's result. */
#ifndef KSIM_PRODUCER_H
#define KSIM_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/world.h"
#include "../kafka/bytes.h"
#include "../kafka/config.h"

typedef struct producer producer_t;

/* What became of one record sent (Java's RecordMetadata or the exception). */
typedef struct send_result {
    const char *topic;
    int32_t partition;   /* -1 until the partitioner picked one */
    int64_t offset;      /* -1 unknown (acks=0, or failed) */
    int64_t timestamp;   /* µs */
    int16_t error;       /* KERR_NONE on success */
    bool done;
} send_result_t;

/* A consumer's position to commit in a transaction (OffsetAndMetadata). */
typedef struct producer_offset {
    const char *topic; /* interned */
    int32_t partition;
    int64_t offset;
} producer_offset_t;

/* Java's ConsumerGroupMetadata: generation -1 and member_id "" for a plain group id. */
typedef struct producer_group_meta {
    const char *group_id, *member_id, *instance_id; /* instance_id: NULL */
    int32_t generation;
} producer_group_meta_t;

typedef void (*producer_done_fn)(void *ctx, producer_t *p, uint32_t rec);
/* A transactional call's outcome: KERR_NONE, or the error (see producer_exception) with
 * Kafka's message. */
typedef void (*producer_txn_fn)(void *ctx, producer_t *p, int16_t error, const char *message);
typedef void (*producer_flush_fn)(void *ctx, producer_t *p);

/* Made by cluster_producer: a producer node bootstrapped to the given broker nodes.
 * Validates the config as Kafka's constructor does; NULL with err on a conflict. */
producer_t *producer_create(world_t *w, const char *name, const config_t *cfg,
                            const int32_t *bootstrap, int32_t n_bootstrap, char *err,
                            size_t errlen);
void producer_free(producer_t *p);
node_t *producer_node(const producer_t *p);
const char *producer_name(const producer_t *p);

/* Queues a record (Java's send). partition -1: the partitioner decides. timestamp -1: now.
 * Returns the record's handle (0, 1, …); a record that cannot be sent (larger than
 * max.request.size, no metadata within max.block.ms) fails through its result, as Java's
 * future does. Returns -1 with err only where Java's send throws: a closed or crashed
 * producer, a negative partition other than -1. */
int64_t producer_send(producer_t *p, const char *topic, int32_t partition, bytes_t key,
                      bytes_t value, int64_t timestamp, char *err, size_t errlen);
const send_result_t *producer_result(const producer_t *p, uint32_t rec);
/* Called once for every record when its result is final. */
void producer_on_done(producer_t *p, producer_done_fn fn, void *ctx);
/* Makes every record sent so far ready now, and calls fn when all of them are done
 * (Java's flush). fn may be called before this returns when nothing is pending. */
void producer_flush(producer_t *p, producer_flush_fn fn, void *ctx);
/* Records sent but not done. */
uint64_t producer_pending(const producer_t *p);
/* The idempotent producer's id and epoch (false while it has none, or with idempotence
 * off). */
bool producer_id(const producer_t *p, int64_t *id, int16_t *epoch);
/* Java's close(): no more sends; pending records still complete. */
void producer_close(producer_t *p);

/* Transactions (transactional.id set), as Java's KafkaProducer. Each call reports through
 * fn, possibly before it returns (a call in the wrong state fails at once). The blocking
 * ones fail with TimeoutException after max.block.ms; calling the same method again then
 * waits for the same result (a different method is an IllegalStateException). */
void producer_init_transactions(producer_t *p, producer_txn_fn fn, void *ctx);
/* Not blocking: KERR_NONE, or the error with Kafka's message in msg. */
int16_t producer_begin_transaction(producer_t *p, char *msg, size_t msglen);
void producer_send_offsets_to_transaction(producer_t *p, const producer_offset_t *offsets,
                                          int32_t n, const producer_group_meta_t *gm,
                                          producer_txn_fn fn, void *ctx);
void producer_commit_transaction(producer_t *p, producer_txn_fn fn, void *ctx);
void producer_abort_transaction(producer_t *p, producer_txn_fn fn, void *ctx);
/* The Java exception an error code is raised as ("ProducerFencedException"). */
const char *producer_exception(int16_t error);
/* The client's transaction state, by Kafka's name ("IN_TRANSACTION"). */
const char *producer_txn_state(const producer_t *p);

#endif
