/* group_coordinator: a broker's consumer group coordinator (Kafka's GroupCoordinator and
 * GroupMetadataManager). It owns the groups of the __consumer_offsets partitions this
 * broker leads: it answers FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * OffsetCommit, OffsetFetch and TxnOffsetCommit, runs each group's timers, writes group
 * metadata and offsets (transactional ones pending until their marker) to the partition's
 * log and loads them back when it becomes the leader. It also
 * measures how long each partition went without an owner in each rebalance. */
#ifndef KSIM_GROUP_COORDINATOR_H
#define KSIM_GROUP_COORDINATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/net.h"
#include "config.h"
#include "group.h"

#define OFFSETS_TOPIC "__consumer_offsets"

typedef struct broker broker_t;
typedef struct bpartition bpartition_t;
typedef struct gcoord gcoord_t;

/* Reads offsets.topic.num.partitions, group.initial.rebalance.delay.ms and the session
 * timeout bounds from the broker's config. */
gcoord_t *gcoord_new(broker_t *b, const config_t *cfg);
void gcoord_free(gcoord_t *gc);
/* Kafka's partitionFor: Utils.abs(groupId.hashCode) % offsets.topic.num.partitions. */
int32_t gcoord_partition_for(const char *group, int32_t partitions);

/* FindCoordinator and the group APIs. */
void gcoord_handle(gcoord_t *gc, msg_t *m);
/* This broker became the leader of a partition / stopped leading it (the coordinator of
 * __consumer_offsets partitions loads or unloads their groups). */
void gcoord_elected(gcoord_t *gc, const bpartition_t *part);
void gcoord_resigned(gcoord_t *gc, const bpartition_t *part);
/* The broker crashed: every group in memory is gone (the log stays). */
void gcoord_crash(gcoord_t *gc);

/* Read-only inspection (kafka-consumer-groups --describe): the group when this broker
 * coordinates it, else NULL; and the time its partitions went without an owner (µs). */
/* The HW of a partition this broker leads moved: OffsetCommits waiting for their records
 * to be replicated (offsets.commit.required.acks = -1) may be answered. */
void gcoord_hw_advanced(gcoord_t *gc, const bpartition_t *part);
/* A transaction marker on a __consumer_offsets partition this broker leads was written and
 * replicated: the producer's pending transactional offsets become committed (commit) or
 * are dropped (abort) (GroupMetadataManager.handleTxnCompletion). */
void gcoord_txn_completed(gcoord_t *gc, int32_t partition, int64_t producer_id, bool commit);
const group_t *gcoord_group(const gcoord_t *gc, const char *group);
int64_t gcoord_unowned_us(const gcoord_t *gc, const char *group);

#endif
