/* group: one consumer group as Kafka 3.9's classic GroupCoordinator keeps it (GroupMetadata
 * and its state machine): members, pending members (MEMBER_ID_REQUIRED), generation,
 * protocol, leader, the join and sync barriers, session expiry and committed offsets.
 * Pure: requests come in as calls, answers and changes go out through group_io_t, time
 * is passed in, so it runs the same in the broker and in unit tests. */
#ifndef KSIM_GROUP_H
#define KSIM_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "group_offsets.h"
#include "group_protocol.h"

/* GroupCoordinator.NewMemberJoinTimeoutMs: a joining member's first wait (KIP-394). */
#define GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS (5LL * 60 * 1000)

typedef enum group_state {
    GROUP_EMPTY,
    GROUP_PREPARING_REBALANCE,
    GROUP_COMPLETING_REBALANCE,
    GROUP_STABLE,
    GROUP_DEAD,
} group_state_t;

/* "Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead". */
const char *group_state_name(group_state_t s);

typedef struct gmember {
    char *id, *instance, *client_id;
    int32_t session_timeout_ms, rebalance_timeout_ms;
    int32_t n_protocols;
    char **protocols;
    group_subscription_t sub;
    group_tps_t assignment;
    void *join_ctx, *sync_ctx;   /* the caller's pending JoinGroup / SyncGroup, or NULL */
    bool is_new;                 /* joined but not answered yet (KIP-394) */
    bool pending_sync;           /* answered the join, its SyncGroup not seen yet */
    bool skip_assignment;        /* the join answer going out says SkipAssignment */
    int64_t session_deadline;    /* µs */
} gmember_t;

typedef struct group {
    char *id;
    group_state_t state;
    int32_t generation;
    char *protocol;              /* NULL while none */
    char *leader;                /* member id, NULL while none */
    gmember_t **members;         /* in the order they joined */
    int32_t n_members;
    gmember_t **pending;         /* given an id by MEMBER_ID_REQUIRED, not joined yet */
    int32_t n_pending;
    int64_t join_at;             /* µs: the join barrier's deadline, INT64_MAX for none */
    int64_t sync_at;             /* µs: the pending-sync deadline (DelayedSync), or none */
    bool initial_delay;          /* the join is InitialDelayedJoin */
    int64_t initial_remaining;   /* µs of the rebalance timeout the delay may still use */
    bool new_member_added;
    int64_t initial_delay_us;    /* group.initial.rebalance.delay.ms */
    group_offset_t *offsets;     /* committed, sorted by topic, partition (group_offsets.h) */
    int32_t n_offsets;
    group_txn_t *txns;           /* pending transactional offsets, by producer id */
    int32_t n_txns;
} group_t;

/* How the group answers and reports. Every callback may be NULL except the two answers. */
typedef struct group_io {
    void *ctx;
    /* A JoinGroup answer for request `req` (m: the member, NULL on an early error;
     * member_id: the id to answer with). The leader's answer lists the members. */
    void (*join_done)(void *ctx, const group_t *g, const gmember_t *m, void *req,
                      int16_t error, const char *member_id);
    /* A SyncGroup answer: the member's assignment when error is NONE. */
    void (*sync_done)(void *ctx, const group_t *g, const gmember_t *m, void *req,
                      int16_t error);
    /* A new member id: client_id + "-" + a UUID, as Kafka makes them. */
    void (*new_member_id)(void *ctx, const char *client_id, char *out, size_t n);
    void (*state_changed)(void *ctx, const group_t *g, group_state_t from, const char *why);
    void (*member_joined)(void *ctx, const group_t *g, const gmember_t *m);
    /* A static member's restart replaced its member id `old_id` by m->id. */
    void (*member_renamed)(void *ctx, const group_t *g, const char *old_id, const gmember_t *m);
    /* Before a member is freed; `why` is Kafka's reason. */
    void (*member_removed)(void *ctx, const group_t *g, const gmember_t *m, const char *why);
    /* The leader's assignment was accepted: persist the group (storeGroup). */
    void (*store)(void *ctx, const group_t *g);
    /* A pending JoinGroup / SyncGroup replaced by a newer one from the same member or
     * forgotten with its member: Kafka drops the callback without an answer. */
    void (*drop)(void *ctx, void *req);
} group_io_t;

typedef struct group_join_args {
    const char *member_id, *instance_id, *client_id;
    int32_t session_timeout_ms, rebalance_timeout_ms;
    int32_t n_protocols;
    char *const *protocols;
    const group_subscription_t *sub;
} group_join_args_t;

group_t *group_new(const char *id, int64_t initial_delay_us);
/* Frees the group; pending requests are the caller's to answer before. */
void group_free(group_t *g);
gmember_t *group_member(const group_t *g, const char *member_id);

/* handleJoinGroup: answers now or when the join barrier completes. */
void group_join(group_t *g, const group_io_t *io, const group_join_args_t *a, void *req,
                int64_t now);
/* handleSyncGroup: answers now or when the leader's assignment arrives. */
/* Every member call checks as validateCurrentMember: a group.instance.id (NULL: none)
 * mapped to another member id is FENCED_INSTANCE_ID. */
void group_sync(group_t *g, const group_io_t *io, const char *member_id, const char *instance,
                int32_t generation, const sync_assignment_t *assignments, int32_t n, void *req,
                int64_t now);
/* handleHeartbeat: the error to answer. */
int16_t group_heartbeat(group_t *g, const group_io_t *io, const char *member_id,
                        const char *instance, int32_t generation, int64_t now);
/* handleLeaveGroup for one member. */
int16_t group_leave(group_t *g, const group_io_t *io, const char *member_id,
                    const char *instance, int64_t now);
/* The checks of handleCommitOffsets (validateOffsetCommit, then the state): NONE when the
 * commit may be stored; a member's commit also renews its session, as a heartbeat. */
int16_t group_check_commit(group_t *g, const char *member_id, const char *instance,
                           int32_t generation, int64_t now);
/* The checks of doTxnCommitOffsets (validateOffsetCommit for a transactional commit):
 * a Dead group is COORDINATOR_NOT_AVAILABLE; a member's commit is checked as an
 * OffsetCommit's (FENCED_INSTANCE_ID, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION); one without
 * member and generation is taken whatever the state. It is no heartbeat. */
int16_t group_check_txn_commit(const group_t *g, const char *member_id, const char *instance,
                               int32_t generation);

/* Runs what is due at `now`: the join barrier's deadline and expired sessions. */
void group_tick(group_t *g, const group_io_t *io, int64_t now);
/* When group_tick next has something to do (INT64_MAX: nothing). */
int64_t group_next_deadline(const group_t *g);
/* Sessions of every member start over at `now` (a coordinator that just loaded it). */
void group_restart_sessions(group_t *g, int64_t now);
/* Adds a member as loaded from the log (no rebalance, no callbacks). */
gmember_t *group_load_member(group_t *g, const char *id, const char *instance,
                             const char *client_id, int32_t session_ms, int32_t rebalance_ms,
                             const group_subscription_t *sub, const group_tps_t *assignment);
/* onGroupUnloaded: the group goes Dead and its waiting joins and syncs hear
 * NOT_COORDINATOR; the caller frees it (no request reaches a Dead group). */
void group_unload(group_t *g, const group_io_t *io);
/* Forgets every member (before a load replaces them). */
void group_clear_members(group_t *g);

#endif
