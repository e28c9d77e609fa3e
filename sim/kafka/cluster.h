/* cluster: a Kafka cluster as an operator sees it. It starts the broker nodes, creates
 * topics (placing partitions on brokers), starts clients bootstrapped to it, and answers
 * inspection queries the way Kafka's admin tools do (read-only, never changing state). */
#ifndef KSIM_CLUSTER_H
#define KSIM_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/world.h"
#include "config.h"
#include "log.h"

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
/* Partition count, or -1 when the topic does not exist. */
int32_t cluster_partition_count(const cluster_t *c, const char *topic);
/* The leader's log of one partition (what kafka-dump-log shows), or NULL with err. */
const plog_t *cluster_log(const cluster_t *c, const char *topic, int32_t partition, char *err,
                          size_t errlen);
/* Kafka broker id of the partition's leader, or -1. */
int32_t cluster_leader(const cluster_t *c, const char *topic, int32_t partition);

/* Clients bootstrapped to this cluster. The cluster owns them. */
producer_t *cluster_producer(cluster_t *c, const char *name, const config_t *cfg, char *err,
                             size_t errlen);
consumer_t *cluster_consumer(cluster_t *c, const char *name, const config_t *cfg, char *err,
                             size_t errlen);

#endif
