/* controller_api: the bodies of the requests a broker sends the KRaft controller and
 * their responses: BrokerRegistration, BrokerHeartbeat, AlterPartition, AllocateProducerIds
 * and the Fetch of the metadata log (__cluster_metadata-0). */
#ifndef KSIM_CONTROLLER_API_H
#define KSIM_CONTROLLER_API_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/net.h"
#include "mdimage.h"

/* The metadata log's name in the trace, as Kafka names the partition. */
#define MD_LOG_TOPIC "__cluster_metadata"
/* KafkaRaftClient's long-poll wait, and controller.quorum.request.timeout.ms (default). */
#define MD_FETCH_MAX_WAIT_MS 500
#define MD_REQUEST_TIMEOUT_MS 2000

typedef struct broker_registration {
    int32_t broker_id;
    uint32_t incarnation;  /* Kafka's incarnation id: one per process start */
    int16_t error;         /* response */
    int64_t broker_epoch;  /* response */
} broker_registration_t;

typedef struct broker_heartbeat {
    int32_t broker_id;
    int64_t broker_epoch;
    int64_t metadata_offset; /* records of the metadata log the broker has replayed */
    int16_t error;           /* response */
    bool fenced;             /* response: whether the broker is still fenced */
} broker_heartbeat_t;

typedef struct alter_partition {
    const char *topic;
    int32_t partition;
    int32_t broker_id;       /* the leader asking */
    int32_t leader_epoch;
    int32_t partition_epoch;
    int32_t n_isr;
    int32_t isr[MD_MAX_REPLICAS];
    int16_t error;           /* response */
    md_partition_t state;    /* response: the registration after the change */
} alter_partition_t;

/* AllocateProducerIds (request and response share the body). */
#define PRODUCER_ID_BLOCK_SIZE 1000 /* ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE */

typedef struct alloc_pids {
    int32_t broker_id;
    int64_t broker_epoch;
    int16_t error;           /* response */
    int64_t first;           /* response: the block's first producer id */
    int32_t len;             /* response */
} alloc_pids_t;

typedef struct md_fetch {
    int32_t broker_id;
    int64_t offset;          /* request: the next record wanted */
    int32_t max_wait_ms;
    int32_t n;               /* response: records from `offset` */
    md_record_t *recs;
} md_fetch_t;

extern const msg_body_ops_t registration_req_ops, registration_resp_ops;
extern const msg_body_ops_t heartbeat_req_ops, heartbeat_resp_ops;
extern const msg_body_ops_t alter_partition_req_ops, alter_partition_resp_ops;
extern const msg_body_ops_t md_fetch_req_ops, md_fetch_resp_ops;
extern const msg_body_ops_t alloc_pids_req_ops, alloc_pids_resp_ops;

#endif
