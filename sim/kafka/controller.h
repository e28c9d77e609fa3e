/* controller: the active KRaft controller (one node; the quorum of voters is not
 * modelled). It owns the metadata log and its image, broker registrations and their
 * heartbeat sessions, and every change to a partition's leader and ISR: fencing brokers
 * whose session expired, electing leaders, applying AlterPartition. */
#ifndef KSIM_CONTROLLER_H
#define KSIM_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/world.h"
#include "config.h"
#include "mdimage.h"

typedef struct controller controller_t;

/* `broker_nodes[i]` is the node of broker id i + 1. */
controller_t *controller_new(world_t *w, const char *name, int32_t n_brokers,
                             const int32_t *broker_nodes, const config_t *broker_cfg);
void controller_free(controller_t *c);
node_t *controller_node(const controller_t *c);

/* Cluster formation: every broker registered and unfenced, its session starting now. */
void controller_bootstrap(controller_t *c);

/* CreateTopics as the admin client asks it: the records are written at once, replicas
 * placed on the unfenced brokers. False with err when too few brokers are unfenced. */
bool controller_create_topic(controller_t *c, const char *topic, int32_t partitions,
                             int32_t replication_factor, int32_t min_isr, bool unclean,
                             const log_config_t *log,
                             char *err, size_t errlen);

/* The metadata log (records 0 … n-1) and its image, read-only. */
const md_record_t *controller_log(const controller_t *c, int64_t *n);
const md_image_t *controller_image(const controller_t *c);

#endif
