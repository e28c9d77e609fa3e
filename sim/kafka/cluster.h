/* cluster: a Kafka cluster as an operator sees it. It starts the broker nodes, creates
 * topics (placing partitions on brokers), starts clients bootstrapped to it, and answers
 * inspection queries the way Kafka's admin tools do (read-only, never changing state). */
#ifndef KSIM_CLUSTER_H
#define KSIM_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/world.h"
#include "broker.h"
#include "config.h"
#include "log.h"
#include "mdimage.h"

typedef struct cluster cluster_t;
typedef struct producer producer_t;
typedef struct consumer consumer_t;

/* Brokers are named "broker-1" … "broker-N" (Kafka broker ids 1 … N); in a world with
 * several clusters, the later ones' brokers are "<cluster>-broker-N". */
cluster_t *cluster_new(world_t *w, const char *name, int n_brokers, const config_t *broker_cfg,
                       char *err, size_t errlen);
void cluster_free(cluster_t *c);
const char *cluster_name(const cluster_t *c);
int cluster_broker_count(const cluster_t *c);
node_t *cluster_broker(const cluster_t *c, int broker_id); /* 1-based, NULL if none */

/* Creates a topic from a topic config ("partitions", "replication.factor", …). */
bool cluster_create_topic(cluster_t *c, const char *topic, const config_t *cfg, char *err,
                          size_t errlen);
/* Creates __transaction_state (transaction.state.log.*) unless it exists; a producer with
 * a transactional.id does it when it is made. */
bool cluster_ensure_txn_topic(cluster_t *c, char *err, size_t errlen);
/* Partition count, or -1 when the topic does not exist. */
int32_t cluster_partition_count(const cluster_t *c, const char *topic);
/* The leader's log of one partition (what kafka-dump-log shows), or NULL with err. */
const plog_t *cluster_log(const cluster_t *c, const char *topic, int32_t partition, char *err,
                          size_t errlen);
/* Kafka broker id of the partition's leader, or -1 (also when it has none). */
int32_t cluster_leader(const cluster_t *c, const char *topic, int32_t partition);
/* One replica's log, on broker `broker` (an id), or NULL with err. */
const plog_t *cluster_replica_log(const cluster_t *c, const char *topic, int32_t partition,
                                  int broker, char *err, size_t errlen);
node_t *cluster_controller(const cluster_t *c);
const char *cluster_broker_name(const cluster_t *c, int32_t id);
int cluster_broker_id(const cluster_t *c, const char *name); /* -1: none */

/* What kafka-topics --describe shows of a partition: the controller's registration, and
 * the leader's high watermark, log end and last stable offset (-1 without a leader). */
typedef struct cluster_partition {
    md_partition_t reg;
    int64_t hw, leo;
    int64_t lso;
} cluster_partition_t;
bool cluster_describe(const cluster_t *c, const char *topic, int32_t partition,
                      cluster_partition_t *out, char *err, size_t errlen);

/* Kafka's JMX gauges and counters, in virtual time. */
typedef struct cluster_metrics {
    int32_t active_controllers, offline_partitions;
    int n_brokers;
    struct {
        int32_t under_replicated;
        broker_counters_t counters;
    } brokers[1000];
} cluster_metrics_t;
void cluster_metrics(const cluster_t *c, cluster_metrics_t *m);

/* What kafka-consumer-groups --describe shows of a group, as JSON (the caller frees it):
 * state, protocol, generation, coordinator, members with their assignment, and per
 * partition the committed offset, log end (HW), lag and owner; unowned_ms: the time its
 * partitions went without an owner over all rebalances. NULL with err when the
 * coordinator is unavailable. */
cJSON *cluster_describe_group(const cluster_t *c, const char *group, char *err, size_t errlen);
/* kafka-transactions.sh describe --transactional-id id, as JSON (the caller frees it):
 * coordinator, transactional_id, producer_id, producer_epoch, state, timeout_ms, start_ms
 * and duration_ms (when a transaction started), partitions ["t-0", ...]. With id NULL,
 * kafka-transactions.sh list: [{transactional_id, coordinator, producer_id, state}] sorted
 * by id. NULL with err when the coordinator is unavailable or does not know the id. */
cJSON *cluster_describe_transactions(const cluster_t *c, const char *id, char *err,
                                     size_t errlen);

/* Clients bootstrapped to this cluster. The cluster owns them. */
producer_t *cluster_producer(cluster_t *c, const char *name, const config_t *cfg, char *err,
                             size_t errlen);
consumer_t *cluster_consumer(cluster_t *c, const char *name, const config_t *cfg, char *err,
                             size_t errlen);

#endif
