/* consumer: Kafka's consumer client for manually assigned partitions. It owns the
 * assignment, the fetch positions (seek, auto.offset.reset through ListOffsets), the
 * fetcher (one Fetch in flight per broker, fetch.min.bytes, fetch.max.wait.ms) and
 * the buffer that poll drains (max.poll.records). */
#ifndef KSIM_CONSUMER_H
#define KSIM_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/world.h"
#include "../kafka/bytes.h"
#include "../kafka/config.h"

typedef struct consumer consumer_t;

typedef struct topic_partition {
    const char *topic;
    int32_t partition;
} topic_partition_t;

typedef struct consumer_record {
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp; /* µs */
    bytes_t key, value;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t sequence;
} consumer_record_t;

/* Records are valid during the call only. error: KERR_NONE, or the failure poll raised
 * (message in `what`), e.g. no offset and auto.offset.reset=none. */
typedef void (*consumer_poll_fn)(void *ctx, consumer_t *c, const consumer_record_t *recs,
                                 size_t n, int16_t error, const char *what);

/* Made by cluster_consumer: a consumer node bootstrapped to the given broker nodes. */
consumer_t *consumer_create(world_t *w, const char *name, const config_t *cfg,
                            const int32_t *bootstrap, int32_t n_bootstrap, char *err,
                            size_t errlen);
void consumer_free(consumer_t *c);
node_t *consumer_node(const consumer_t *c);
const char *consumer_name(const consumer_t *c);

/* Replaces the assignment (Java's assign). */
void consumer_assign(consumer_t *c, const topic_partition_t *tps, size_t n);
/* Java's seek: false with err when the partition is not assigned. */
bool consumer_seek(consumer_t *c, const char *topic, int32_t partition, int64_t offset,
                   char *err, size_t errlen);
/* Java's seekToBeginning / seekToEnd for one assigned partition (resolved lazily). */
bool consumer_seek_to(consumer_t *c, const char *topic, int32_t partition, bool beginning,
                      char *err, size_t errlen);
/* The next offset to fetch, or -1 when not yet known. */
int64_t consumer_position(const consumer_t *c, const char *topic, int32_t partition);
/* Java's poll(timeout): calls fn once, when records are available or the timeout passed. */
void consumer_poll(consumer_t *c, int64_t timeout_us, consumer_poll_fn fn, void *ctx);
bool consumer_polling(const consumer_t *c);
void consumer_close(consumer_t *c);

#endif
