/* group_protocol: the bodies of the consumer group requests and responses (FindCoordinator,
 * JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch) as typed structs,
 * with the ops that free them and describe them in the trace. A consumer's subscription
 * (Kafka's ConsumerProtocolSubscription) travels typed, not as bytes. Strings are owned
 * by the body (malloc'd); topic names are interned by the world. */
#ifndef KSIM_GROUP_PROTOCOL_H
#define KSIM_GROUP_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/net.h"

typedef struct group_tp {
    const char *topic; /* interned */
    int32_t partition;
} group_tp_t;

typedef struct group_tps {
    int32_t n;
    group_tp_t *v;
} group_tps_t;

/* ConsumerProtocolSubscription: topics, owned partitions (KIP-429) and their generation. */
typedef struct group_subscription {
    int32_t n_topics;
    const char **topics; /* interned, sorted */
    group_tps_t owned;
    int32_t generation;  /* -1: none */
} group_subscription_t;

#define COORD_KEY_GROUP 0
#define COORD_KEY_TRANSACTION 1

/* FindCoordinator (key type GROUP or TRANSACTION); the response fills error, broker_id and
 * node. */
typedef struct find_coord {
    char *key;
    int8_t key_type;     /* COORD_KEY_* */
    int16_t error;
    int32_t broker_id;
    int32_t node;
} find_coord_t;

typedef struct join_req {
    char *group, *member_id, *instance_id, *client_id; /* instance_id: NULL for dynamic */
    int32_t session_timeout_ms, rebalance_timeout_ms;
    int32_t n_protocols;
    char **protocols;    /* assignor names, in preference order */
    group_subscription_t sub;
} join_req_t;

typedef struct join_member {
    char *member_id, *instance_id;
    group_subscription_t sub;
} join_member_t;

typedef struct join_resp {
    int16_t error;
    int32_t generation;
    char *protocol, *leader, *member_id;
    int32_t n_members;   /* the leader's response only */
    join_member_t *members;
    bool skip_assignment; /* the leader of a Stable group: no assignor, a plain SyncGroup */
} join_resp_t;

typedef struct sync_assignment {
    char *member_id;
    group_tps_t tps;
} sync_assignment_t;

typedef struct sync_req {
    char *group, *member_id, *instance_id;
    int32_t generation;
    int32_t n;           /* the leader's request only */
    sync_assignment_t *v;
} sync_req_t;

typedef struct sync_resp {
    int16_t error;
    group_tps_t tps;
} sync_resp_t;

/* Heartbeat and LeaveGroup requests; the response is a group_resp_t. */
typedef struct member_req {
    char *group, *member_id, *instance_id, *reason;
    int32_t generation;
} member_req_t;

typedef struct group_resp {
    int16_t error;
} group_resp_t;

typedef struct offset_part {
    const char *topic;
    int32_t partition;
    int64_t offset;      /* OffsetFetch answers -1 for none */
    int16_t error;
} offset_part_t;

/* OffsetCommit and OffsetFetch, requests and responses (a fetch ignores the member). */
typedef struct offsets_msg {
    char *group, *member_id, *instance_id;
    int32_t generation;
    bool require_stable; /* OffsetFetch (KIP-447): UNSTABLE_OFFSET_COMMIT while a transaction
                          * has offsets pending for a partition asked for */
    int16_t error;
    int32_t n;
    offset_part_t *parts;
} offsets_msg_t;

extern const msg_body_ops_t find_coord_req_ops, find_coord_resp_ops;
extern const msg_body_ops_t join_req_ops, join_resp_ops;
extern const msg_body_ops_t sync_req_ops, sync_resp_ops;
extern const msg_body_ops_t group_heartbeat_req_ops, leave_req_ops, group_resp_ops;
extern const msg_body_ops_t offset_commit_req_ops, offset_commit_resp_ops;
extern const msg_body_ops_t offset_fetch_req_ops, offset_fetch_resp_ops;

/* A malloc'd copy, NULL for NULL. */
char *gp_strdup(const char *s);
void group_tps_copy(group_tps_t *dst, const group_tps_t *src);
void group_tps_free(group_tps_t *t);
bool group_tps_has(const group_tps_t *t, const char *topic, int32_t partition);
/* Sorts by topic name, then partition (the order the trace and Kafka's toString show). */
void group_tps_sort(group_tps_t *t);
void group_tps_add(group_tps_t *t, const char *topic, int32_t partition);
/* The partitions as ["t-0", "t-1"]. */
cJSON *group_tps_json(const group_tps_t *t);
void group_sub_copy(group_subscription_t *dst, const group_subscription_t *src);
void group_sub_free(group_subscription_t *s);
bool group_sub_equal(const group_subscription_t *a, const group_subscription_t *b);

#endif
