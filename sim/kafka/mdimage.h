/* mdimage: the cluster metadata as KRaft keeps it: the records of the metadata log
 * (topics, partition registrations, broker registrations and fencing) and the image that
 * replaying them builds. The controller writes the log; every broker replays a copy. */
#ifndef KSIM_MDIMAGE_H
#define KSIM_MDIMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

#include "log_config.h"

/* A bound of ksim's: replica lists are kept inline. */
#define MD_MAX_REPLICAS 16
#define MD_NO_LEADER (-1)

/* A partition's registration (PartitionRecord / PartitionChangeRecord, kept whole). */
typedef struct md_partition {
    int32_t n_replicas;
    int32_t replicas[MD_MAX_REPLICAS]; /* broker ids, in assignment order */
    int32_t n_isr;
    int32_t isr[MD_MAX_REPLICAS];
    int32_t leader;                    /* MD_NO_LEADER when offline */
    int32_t leader_epoch;
    int32_t partition_epoch;
} md_partition_t;

typedef enum md_kind {
    MD_TOPIC,     /* TopicRecord with its ConfigRecords folded in */
    MD_PARTITION, /* PartitionRecord or PartitionChangeRecord */
    MD_BROKER,    /* RegisterBrokerRecord, FenceBrokerRecord, UnfenceBrokerRecord */
    MD_PRODUCER_IDS, /* ProducerIdsRecord: a block of producer ids handed to a broker */
} md_kind_t;

typedef enum md_broker_change { MD_REGISTER, MD_FENCE, MD_UNFENCE } md_broker_change_t;

typedef struct md_record {
    md_kind_t kind;
    const char *topic;          /* interned; MD_TOPIC and MD_PARTITION */
    int32_t partitions;         /* MD_TOPIC: count; MD_PARTITION: the partition */
    int32_t min_isr;            /* MD_TOPIC: min.insync.replicas */
    bool unclean;               /* MD_TOPIC: unclean.leader.election.enable */
    log_config_t log;           /* MD_TOPIC: the log settings (ConfigRecords) */
    md_partition_t part;        /* MD_PARTITION */
    int32_t broker;             /* MD_BROKER, MD_PRODUCER_IDS */
    int64_t broker_epoch;       /* MD_BROKER, MD_REGISTER; MD_PRODUCER_IDS */
    int64_t next_producer_id;   /* MD_PRODUCER_IDS: the first id not yet handed out */
    md_broker_change_t change;  /* MD_BROKER */
} md_record_t;

typedef struct md_topic {
    const char *name;
    int32_t n;
    int32_t min_isr;
    bool unclean;
    log_config_t log;
    md_partition_t *parts;
} md_topic_t;

typedef struct md_broker {
    int32_t id;
    bool registered, fenced;
    int64_t epoch;
} md_broker_t;

typedef struct md_image {
    md_topic_t *topics;  /* in creation order */
    int32_t n_topics;
    md_broker_t *brokers; /* by id - 1 */
    int32_t n_brokers;
    int64_t offset;      /* records applied so far: the next offset to replay */
    int64_t next_producer_id; /* the next block of producer ids starts here */
} md_image_t;

void md_image_init(md_image_t *img, int32_t n_brokers);
void md_image_free(md_image_t *img);
void md_image_apply(md_image_t *img, const md_record_t *r);

md_topic_t *md_find_topic(const md_image_t *img, const char *topic);
md_partition_t *md_find_partition(const md_image_t *img, const char *topic, int32_t p);
const md_broker_t *md_broker(const md_image_t *img, int32_t id);
bool md_unfenced(const md_image_t *img, int32_t id);

bool md_in(const int32_t *ids, int32_t n, int32_t id);
bool md_in_isr(const md_partition_t *p, int32_t id);
bool md_is_replica(const md_partition_t *p, int32_t id);

/* A list of broker ids as a JSON array. */
cJSON *md_ids_json(const int32_t *ids, int32_t n);

#endif
