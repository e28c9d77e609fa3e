/* broker: one Kafka broker node. It owns its copy of the metadata log (replayed from the
 * controller), the logs of the partitions it replicates, its roles (leader or follower)
 * in them, and the request handlers (Produce, Fetch, ListOffsets, Metadata). */
#ifndef KSIM_BROKER_H
#define KSIM_BROKER_H

#include <stdint.h>

#include "../core/world.h"
#include "config.h"
#include "log.h"
#include "mdimage.h"

typedef struct broker broker_t;

/* Time spent on requests from arrival to response (Kafka's RequestMetrics TotalTimeMs). */
typedef struct request_time {
    int64_t count;
    int64_t total_us, max_us;
} request_time_t;

/* `peers[i]` is the node of broker id i + 1; `controller` the controller's node. */
broker_t *broker_new(world_t *w, const char *name, int32_t broker_id, int32_t controller,
                     const int32_t *peers, int32_t n_peers, const config_t *cfg);
void broker_free(broker_t *b);
node_t *broker_node(const broker_t *b);
int32_t broker_id(const broker_t *b);

/* Cluster formation (before the first run): replays records [its offset, n) of the
 * controller's log as if fetched, and serves its partitions from then on. */
void broker_catch_up(broker_t *b, const md_record_t *recs, int64_t n);

/* Read-only inspection (what kafka-dump-log and JMX would show on this broker). */
const plog_t *broker_log(const broker_t *b, const char *topic, int32_t partition);
/* Partitions this broker leads whose ISR is smaller than their replica list. */
int32_t broker_under_replicated(const broker_t *b);

typedef struct broker_counters {
    int64_t messages_in, bytes_in, bytes_out;
    int64_t isr_shrinks, isr_expands;
    request_time_t produce, fetch_consumer, fetch_follower;
} broker_counters_t;
const broker_counters_t *broker_counters(const broker_t *b);
/* The broker's group coordinator, for read-only inspection (group_coordinator.h). */
const struct gcoord *broker_group_coordinator(const broker_t *b);
const struct tcoord *broker_txn_coordinator(const broker_t *b);

#endif
