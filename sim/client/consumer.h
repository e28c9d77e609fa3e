/* consumer: Kafka's consumer client. It owns the assignment (given by assign, or by the
 * group through subscribe: coordinator.h), the fetch positions (seek, committed offsets,
 * auto.offset.reset through ListOffsets), the fetcher (one Fetch in flight per broker,
 * fetch.min.bytes, fetch.max.wait.ms) and the buffer that poll drains (max.poll.records). */
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

/* ---- consumer groups (group.id) ---- */
typedef enum consumer_rebalance {
    CONSUMER_REVOKED,  /* onPartitionsRevoked */
    CONSUMER_ASSIGNED, /* onPartitionsAssigned */
    CONSUMER_LOST,     /* onPartitionsLost */
} consumer_rebalance_t;
/* Kafka's ConsumerRebalanceListener; the partitions are valid during the call only.
 * Returns true when the application's callback runs later (a Lua listener runs as its own
 * event): until consumer_listener_done the member keeps its assignment and state, as
 * during Kafka's synchronous call, and sends no JoinGroup. */
typedef bool (*consumer_listener_fn)(void *ctx, consumer_t *c, consumer_rebalance_t what,
                                     const topic_partition_t *tps, size_t n);
/* The deferred listener call, made while the consumer's process had this incarnation
 * (consumer_node(c)->inc), has run; a call from a process that crashed since is ignored. */
void consumer_listener_done(consumer_t *c, uint32_t incarnation);
/* error: KERR_NONE, or why the commit failed (message in `what`). */
typedef void (*consumer_commit_fn)(void *ctx, consumer_t *c, int16_t error, const char *what);

/* Java's subscribe(topics, listener): the group assigns the partitions from the next
 * poll on. False with err without a group.id. */
bool consumer_subscribe(consumer_t *c, const char *const *topics, size_t n,
                        consumer_listener_fn fn, void *ctx, char *err, size_t errlen);
/* commitSync / commitAsync of the positions of every assigned partition; fn is called
 * once, when the commit is done or failed (commitSync retries until
 * default.api.timeout.ms). */
void consumer_commit(consumer_t *c, bool sync, consumer_commit_fn fn, void *ctx);
bool consumer_subscribed(const consumer_t *c);
bool consumer_assigned(const consumer_t *c, const char *topic, int32_t partition);
/* The partitions assigned now (Java's assignment()): fills up to cap, returns how many. */
size_t consumer_assignment(const consumer_t *c, topic_partition_t *out, size_t cap);

/* Java's ConsumerGroupMetadata, what a transactional producer's
 * send_offsets_to_transaction takes: the group id, the generation and member id of the
 * last join completed (-1 and "" before the first), the group.instance.id (NULL: none).
 * Strings are the consumer's, valid until its next call. */
typedef struct consumer_group_metadata {
    const char *group_id, *member_id, *instance_id;
    int32_t generation;
} consumer_group_metadata_t;
/* KafkaConsumer.groupMetadata(): false without a group.id (InvalidGroupIdException). */
bool consumer_group_metadata(const consumer_t *c, consumer_group_metadata_t *out);

#endif
