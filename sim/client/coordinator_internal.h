/* coordinator_internal: the member's state, shared by coordinator.c (membership, join and
 * sync, heartbeats), group_rebalance.c (revocation, assignment, listener calls),
 * group_assign.c (the leader's assignment) and group_commits.c (offset commits and the
 * committed offsets of new partitions). Nothing outside sim/client/ includes it. */
#ifndef KSIM_COORDINATOR_INTERNAL_H
#define KSIM_COORDINATOR_INTERNAL_H

#include "../kafka/group_protocol.h"
#include "coordinator.h"

/* AbstractCoordinator.MemberState. */
typedef enum mstate { M_UNJOINED, M_PREPARING, M_COMPLETING, M_STABLE } mstate_t;

/* A commit waiting to be sent or answered. */
typedef struct commit {
    uint32_t id;
    bool sync, in_flight;
    bool prepare;            /* the auto-commit before a rebalance (onJoinPrepare) */
    int64_t deadline;        /* commitSync gives up then (default.api.timeout.ms) */
    consumer_commit_fn fn;
    void *ctx;
    int32_t n;
    offset_part_t *parts;
} commit_t;

/* What an answer belongs to (inflight data). */
typedef struct req_tag {
    uint32_t commit;         /* OffsetCommit: the commit's id */
} req_tag_t;

struct coordinator {
    consumer_t *c;
    char *group, *instance, *client_id;
    int32_t session_ms, max_poll_ms;
    int64_t heartbeat_us, max_poll_us, api_timeout_us, session_us;
    bool auto_commit;
    int64_t auto_commit_us, next_auto_commit;
    char *assignors[8];
    int n_assignors;
    bool cooperative;        /* every assignor supports COOPERATIVE */
    const char **topics;     /* the subscription, interned, sorted */
    int32_t n_topics;
    bool subscribed;
    consumer_listener_fn listener;
    void *listener_ctx;
    /* membership */
    mstate_t state;
    char *member_id;         /* "" before the first JoinGroup answer */
    int32_t generation;      /* -1: none */
    /* groupMetadata(): the generation and member id of the last join completed
     * (onJoinComplete), -1 and "" before */
    int32_t meta_generation;
    char *meta_member_id;
    char *protocol;
    bool rejoin_needed;
    int32_t coord_node;      /* -1: unknown */
    bool finding, joining, syncing, heartbeating, fetching_offsets;
    bool prepared;           /* onJoinPrepare ran for the join to come */
    bool prepare_committed;  /* … and its auto-commit is done */
    bool has_pending;        /* a SyncGroup answer waits for poll (onJoinComplete) */
    group_tps_t pending;
    /* Listener calls that run later (a Lua listener is its own event): while any is
     * outstanding the member keeps its assignment and state and sends no JoinGroup. */
    int32_t listening;
    bool prepare_called;     /* onJoinPrepare called the listener… */
    bool prepare_release;    /* … and then gives up all but prepare_keep */
    group_tps_t prepare_keep;
    bool completing;         /* onJoinComplete revoked; the new assignment comes next */
    int64_t next_attempt;    /* retry.backoff.ms after a failed step */
    int64_t last_poll;
    int64_t session_at;      /* Heartbeat's session timer: no heartbeat answer by then */
    bool heartbeat_armed;
    uint32_t hb_epoch;       /* stale heartbeat timers carry an older epoch */
    bool commit_timer_armed;
    uint32_t commit_epoch;
    commit_t *commits;
    int32_t n_commits;
    uint32_t next_commit;
};

/* coordinator.c, for group_commits.c */
world_t *coord_world(const coordinator_t *co);
/* Sends a group request to `node`; `commit` names the commit it carries (0: none). */
void coord_send(coordinator_t *co, int32_t node, int16_t api, void *body,
                const msg_body_ops_t *ops, bool bg, uint32_t commit);
void coord_mark_unknown(coordinator_t *co, const char *why);
/* resetStateAndRejoin: the generation is gone (and the member id when asked). */
void coord_reset_generation(coordinator_t *co, bool member_id, const char *why);
void coord_request_rejoin(coordinator_t *co);
/* The next step waits retry.backoff.ms. */
void coord_backoff(coordinator_t *co);

/* FENCED_INSTANCE_ID: another process took this group.instance.id. Fatal as Kafka's
 * FencedInstanceIdException: the poll raises it; the member neither resets nor rejoins
 * under a new member id (which would fence the other process in turn). */
void coord_fenced(coordinator_t *co);
#define FENCED_WHAT "FencedInstanceIdException: The broker rejected this static consumer " \
                    "since another consumer with the same group.instance.id has registered " \
                    "with a different member.id."

/* coordinator.c: the join completed (onJoinComplete): groupMetadata() takes its
 * generation and member id. */
void coord_note_join(coordinator_t *co);

/* coordinator.c, for group_rebalance.c: the assignment owned now (borrowing the consumer's
 * topics), the trace of partitions revoked/lost/assigned, and a new assignment. */
void coord_owned(const coordinator_t *co, group_tps_t *out);
void coord_trace_partitions(coordinator_t *co, const char *kind, const group_tps_t *t,
                            const char *why);
void coord_set_assignment(coordinator_t *co, const group_tps_t *t);

/* group_rebalance.c */
/* onJoinPrepare: false while its auto-commit or its listener call is still running. */
bool coord_join_prepare(coordinator_t *co);
/* onJoinComplete, in two steps around the revocation's listener call. */
void coord_join_complete(coordinator_t *co);
/* close: gives up every partition, revoked (or lost without a generation). */
void coord_give_up_all(coordinator_t *co, bool lost, const char *why);

/* coordinator.c: finds the coordinator (FindCoordinator to the least loaded broker). */
void coord_send_find(coordinator_t *co);

/* group_assign.c */
/* The leader's assignment of the members in JoinGroup answer r into out (SyncGroup);
 * false with err when the assignor refuses the group. */
bool coord_leader_assign(coordinator_t *co, const join_resp_t *r, sync_req_t *out, char *err,
                         size_t errlen);

/* group_commits.c */
/* Sends the commits waiting, finding the coordinator first; works outside poll. */
void coord_kick_commits(coordinator_t *co);
/* A commit of every assigned partition's position, sent at the next step. */
void coord_queue_commit(coordinator_t *co, bool sync, bool prepare, consumer_commit_fn fn,
                        void *ctx);
void coord_send_commits(coordinator_t *co);
/* Ends commit i with its answer to the application. */
void coord_commit_done(coordinator_t *co, int32_t i, int16_t error, const char *what);
void coord_commit_response(coordinator_t *co, uint32_t id, const offsets_msg_t *r);
/* OffsetFetch for the assigned partitions still waiting for their committed offset. */
void coord_send_offset_fetch(coordinator_t *co);
void coord_offset_fetch_response(coordinator_t *co, const offsets_msg_t *r);

#endif
