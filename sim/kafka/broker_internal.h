/* broker_internal: the state one broker node keeps, shared by its parts: broker.c
 * (lifecycle, metadata, dispatch), partition.c (the leader's view of its followers: HW,
 * ISR, LSO), fetcher.c (the follower's replica fetcher), broker_produce.c, broker_fetch.c
 * and broker_markers.c (the request handlers and their purgatories), producer_ids.c
 * (InitProducerId). Not for use outside sim/kafka/broker*. */
#ifndef KSIM_BROKER_INTERNAL_H
#define KSIM_BROKER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "../core/net.h"
#include "broker.h"
#include "config.h"
#include "log.h"
#include "mdimage.h"
#include "producer_state.h"

/* The leader's view of one follower (Kafka's Replica / ReplicaState). */
typedef struct follower {
    int32_t broker;
    int64_t leo;                 /* -1: unknown since this broker became leader */
    int64_t last_caught_up;      /* µs */
    int64_t last_fetch_leader_leo;
    int64_t last_fetch_time;
} follower_t;

typedef struct bpartition {
    const char *topic;
    int32_t partition;
    bool hosted;             /* a replica lives on this broker */
    plog_t log;              /* durable */
    pstate_t pstate;         /* producers and transactions, rebuilt from the log */
    md_partition_t reg;      /* the registration as this broker last learned it */
    bool known;              /* reg was set */
    /* Leader side. */
    bool leading;
    follower_t followers[MD_MAX_REPLICAS];
    int32_t n_followers;
    int64_t epoch_start;     /* log end when this leader epoch began */
    bool pending;            /* an AlterPartition is in flight */
    int32_t pending_isr[MD_MAX_REPLICAS];
    int32_t n_pending_isr;
    ev_handle_t pending_timer;
    int64_t trace_lso, trace_hw; /* the LSO and HW as the trace has told them */
    /* Follower side. */
    int32_t fetch_from;      /* leader's broker id, or -1 */
    int64_t fetch_after;     /* µs: backing off until then */
} bpartition_t;

typedef struct btopic {
    const char *name;
    int32_t n;
    int32_t min_isr;
    log_config_t log;
    bpartition_t *parts;
} btopic_t;

/* One request waiting in a purgatory. */
typedef struct delayed {
    msg_t *req;
    ev_handle_t timer;
    int64_t arrived;         /* µs, for the request's TotalTimeMs */
    void *state;             /* produce: the response being built */
} delayed_t;

typedef struct delayed_list {
    delayed_t *v;
    size_t n, cap;
} delayed_list_t;

/* One replica fetcher per leader broker (num.replica.fetchers = 1). */
typedef struct fetcher {
    bool in_flight;
    bool idle;               /* the last answer brought nothing */
    ev_handle_t timer;       /* request timeout, or the back-off before the next fetch */
} fetcher_t;

/* The producer ids this broker hands out (RPCProducerIdManager): the current block and
 * the next one, fetched ahead from the controller. */
typedef struct pid_manager {
    int64_t first, next;
    int32_t len;
    bool have_next;
    int64_t next_first;
    int32_t next_len;
    bool requesting;
    int32_t corr;
    int64_t retry_at;        /* µs: no request before this after a failure */
} pid_manager_t;

typedef enum broker_state {
    BROKER_STARTING,   /* registering with the controller */
    BROKER_RECOVERY,   /* registered, replaying the metadata log up to its registration */
    BROKER_RUNNING,    /* serving its partitions */
} broker_state_t;

struct broker {
    node_t *node;
    world_t *w;
    int32_t id;
    int32_t controller;      /* node id */
    int32_t *peers;          /* node id of broker id i + 1 */
    int32_t n_peers;
    md_image_t img;          /* durable: the broker's copy of the metadata log */
    btopic_t *topics;
    int32_t n_topics;
    broker_state_t state;
    uint32_t incarnation;
    int64_t broker_epoch;
    int32_t next_corr;
    int32_t registration_corr; /* of the latest BrokerRegistration sent */
    bool md_fetching;
    int32_t md_fetch_corr;   /* of the metadata Fetch in flight */
    delayed_list_t fetches, produces;
    bool completing_fetches, fetches_again;
    fetcher_t *fetchers;     /* by leader broker id - 1 */
    broker_counters_t m;
    struct gcoord *gc;       /* the group coordinator (group_coordinator.h) */
    struct tcoord *tc;       /* the transaction coordinator (txn_coordinator.h) */
    pid_manager_t pids;
    /* configs */
    int64_t heartbeat_interval, lag_max, fetch_backoff, socket_timeout;
    int64_t request_timeout; /* request.timeout.ms: how long a marker append waits */
    int32_t fetch_wait_ms, fetch_min_bytes, fetch_max_bytes, fetch_response_max_bytes;
    /* log manager (log_manager.c) */
    int64_t retention_check, cleaner_backoff; /* µs */
    struct offset_map *clean_map;             /* the cleaner thread's dedupe buffer */
    bool cleaner_noted, reject_noted;         /* their simplifications were traced */
    bool verify_noted;       /* KIP-890's missing verification was traced */
    delayed_list_t markers;  /* WriteTxnMarkers waiting for their markers' replication */
    int64_t pid_expiration, pid_expiration_check; /* producer.id.expiration(.check.interval).ms */
};

/* broker.c */
/* Sends a request of this broker's (numbered with the next correlation id). */
void broker_send(broker_t *b, int32_t node, msg_t *m);
bpartition_t *broker_partition(const broker_t *b, const char *topic, int32_t p);
/* The partition when this broker leads it; otherwise *err says why not. */
bpartition_t *broker_led(const broker_t *b, const char *topic, int32_t p, int16_t *err);
int32_t broker_min_isr(const broker_t *b, const char *topic);
void broker_trace_hw(broker_t *b, const bpartition_t *part);
void delayed_add(world_t *w, delayed_list_t *l, msg_t *m, ev_handle_t timer, void *state);
void delayed_remove(world_t *w, delayed_list_t *l, size_t i);
void request_time_add(request_time_t *t, int64_t us);

/* partition.c: leader side */
void part_become_leader(broker_t *b, bpartition_t *part);
void part_become_follower(broker_t *b, bpartition_t *part);
/* A follower fetched at `offset`: its state, a possible ISR expansion, the HW. */
void part_follower_fetched(broker_t *b, bpartition_t *part, int32_t follower, int64_t offset);
/* Recomputes the HW; true when it moved (callers complete waiting requests). */
bool part_maybe_advance_hw(broker_t *b, bpartition_t *part);
/* After anything that changes a partition's log, producer state or HW (an append of data
 * or a marker, a follower's copy, a truncation, a HW move, retention): settles the
 * transactions the HW passed, recomputes the last stable offset and, on the leader,
 * traces it (`lso`) when it moves otherwise than with the HW. Whoever appends with
 * plog_append and pstate_update calls this after. */
void part_update_lso(broker_t *b, bpartition_t *part);
/* The isr-expiration task: shrinks ISRs of lagging followers. */
void part_check_isr(broker_t *b);
void part_alter_response(broker_t *b, const msg_t *m);
/* The committed registration moved on: the pending change is over, the HW may move. */
void part_alter_settled(broker_t *b, bpartition_t *part);
/* min.insync.replicas as it binds: never more than the replicas (effectiveMinIsr). */
int32_t part_min_isr(const broker_t *b, const bpartition_t *part);
void part_controller_lost(broker_t *b);
/* The ISR this leader commits to (committed, plus a pending expansion). */
bool part_in_maximal_isr(const bpartition_t *part, int32_t broker);

/* fetcher.c: follower side */
void fetcher_add(broker_t *b, bpartition_t *part);
void fetcher_kick(broker_t *b, int32_t leader);
void fetcher_response(broker_t *b, const msg_t *m);
void fetcher_lost(broker_t *b, int32_t leader);
void fetcher_reset(broker_t *b);

/* broker_produce.c */
/* Traces the partition's last batch, just appended by this leader (kind "append"): a
 * producer's, or a coordinator's write to its internal topic. */
void broker_trace_append(broker_t *b, const bpartition_t *part);
void produce_handle(broker_t *b, msg_t *m);
void produce_try_complete(broker_t *b);
void produce_fail_all(broker_t *b);
/* Partition.checkEnoughReplicasReachOffset for an acks=all append waiting until the HW
 * reaches `required`: true when done, with *error NONE, NOT_LEADER_OR_FOLLOWER or
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND. */
bool produce_replicated(broker_t *b, const char *topic, int32_t partition, int64_t required,
                        int16_t *error);

/* log_manager.c: the periodic log tasks (retention, the cleaner) and the append checks
 * that depend on the log's settings */
void logmgr_init(broker_t *b, const config_t *cfg);
void logmgr_free(broker_t *b);
/* Schedules the retention task and the cleaner (background timers). */
void logmgr_start(broker_t *b);
/* LogValidator's checks that the topic's settings decide: a compacted topic takes no
 * record without a key (INVALID_RECORD, traced with Kafka's message). */
int16_t logmgr_check_append(broker_t *b, const bpartition_t *part, const log_input_t *recs,
                            int32_t n);
/* producer_ids.c */
/* A producer id from the current block (RPCProducerIdManager.generateProducerId); -1 with
 * *err = COORDINATOR_LOAD_IN_PROGRESS while no block has arrived yet. */
int64_t pids_generate(broker_t *b, int16_t *err);
void pids_handle_init(broker_t *b, msg_t *m);
void pids_alloc_response(broker_t *b, const msg_t *m);
void pids_reset(broker_t *b);
void pids_controller_lost(broker_t *b);

/* broker_markers.c: WriteTxnMarkers as a partition leader handles it: a control batch per
 * partition, answered when it is replicated (acks=all); a marker on a __consumer_offsets
 * partition completes the group coordinator's pending transactional offsets. */
void markers_handle(broker_t *b, msg_t *m);
/* Answers the waiting requests whose markers are replicated (or failed); called with
 * produce_try_complete. */
void markers_try_complete(broker_t *b);
/* A crash: the waiting requests are gone with the process. */
void markers_fail_all(broker_t *b);

/* broker_fetch.c */
void fetch_handle(broker_t *b, msg_t *m);
void fetch_try_complete(broker_t *b);

#endif
