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

typedef void (*producer_done_fn)(void *ctx, producer_t *p, uint32_t rec);
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

#endif
