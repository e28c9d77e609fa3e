/* group_store: the records the group coordinator writes to __consumer_offsets (Kafka's
 * GroupMetadataManager formats): a group's metadata after each rebalance and each
 * committed offset, as JSON keys and values, and the replay that rebuilds the groups of
 * one partition from its log when a broker becomes its leader. */
#ifndef KSIM_GROUP_STORE_H
#define KSIM_GROUP_STORE_H

#include <stdint.h>

#include "../core/world.h"
#include "group.h"
#include "log.h"

/* A member as JSON: ids, timeouts, protocols, topics, assignment [{topic, partition}]
 * (also what describe_group shows of it). */
cJSON *gstore_member_json(const gmember_t *m);
/* malloc'd key and value text. */
void gstore_group_record(const group_t *g, char **key, char **value);
void gstore_offset_record(const char *group, const offset_part_t *o, char **key, char **value);

/* Finds or makes the group `id` of partition `partition` (the coordinator's registry). */
typedef group_t *(*gstore_group_fn)(void *ctx, const char *id, int32_t partition);
/* Replays the log in offset order: the latest metadata of each group and its latest
 * offsets win. Offsets of a transactional batch stay pending for its producer until a
 * control batch of that producer commits (olderThan: unless a later commit landed) or
 * aborts them; those of a transaction still open stay pending. Returns the number of
 * offset records replayed. Topic names are interned in `w`. */
int64_t gstore_load(const plog_t *log, int32_t partition, gstore_group_fn group, void *ctx,
                    world_t *w);

#endif
