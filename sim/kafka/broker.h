/* broker: one Kafka broker node. It owns its copy of the cluster metadata (topics,
 * partition leaders, live brokers), the logs of the partitions it hosts, and the request
 * handlers (Produce, Fetch with its purgatory, ListOffsets, Metadata). */
#ifndef KSIM_BROKER_H
#define KSIM_BROKER_H

#include <stdint.h>

#include "../core/world.h"
#include "log.h"

typedef struct broker broker_t;

broker_t *broker_new(world_t *w, const char *name, int32_t broker_id);
void broker_free(broker_t *b);
node_t *broker_node(const broker_t *b);
int32_t broker_id(const broker_t *b);

/* Metadata replay: what KRaft's metadata log tells every broker. */
void broker_register_peer(broker_t *b, int32_t broker_id, int32_t node);
void broker_add_topic(broker_t *b, const char *topic, int32_t partitions,
                      const int32_t *leaders);

/* Read-only inspection (what kafka-dump-log would show on this broker's disk). */
const plog_t *broker_log(const broker_t *b, const char *topic, int32_t partition);

#endif
