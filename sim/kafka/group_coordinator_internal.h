/* group_coordinator_internal: the group coordinator's state, shared by
 * group_coordinator.c (the group protocol, offset commits, loading) and group_txn.c (the
 * transactional offsets: TxnOffsetCommit, their completion by markers, OffsetFetch's
 * require_stable). Nothing outside these two includes it. */
#ifndef KSIM_GROUP_COORDINATOR_INTERNAL_H
#define KSIM_GROUP_COORDINATOR_INTERNAL_H

#include "../core/world.h"
#include "broker_internal.h"
#include "group_coordinator.h"
#include "group_unowned.h"

typedef struct gentry {
    group_t *g;
    int32_t partition;  /* of __consumer_offsets */
    uint64_t serial;    /* names the group in timer events */
    ev_handle_t timer;
    int64_t timer_at;
    unowned_t unowned;  /* the time-without-owner measure */
} gentry_t;

/* An OffsetCommit or TxnOffsetCommit whose records wait for replication
 * (offsets.commit.required.acks = -1, as a Produce with acks=all): answered when the
 * partition's HW covers them. */
typedef struct waiting_commit {
    msg_t *req;
    void *resp;          /* offsets_msg_t or txn_offset_commit_t, as req->api */
    int32_t partition;   /* of __consumer_offsets */
    int32_t epoch;       /* the leader epoch it was appended under */
    int64_t appended;    /* the offset of its first record */
    int64_t required;    /* the HW that covers its records */
    uint64_t serial;     /* names it in its timeout event */
    ev_handle_t timer;   /* offsets.commit.timeout.ms */
} waiting_commit_t;

struct gcoord {
    broker_t *b;
    int32_t n_partitions;
    int64_t initial_delay_us;
    int32_t min_session_ms, max_session_ms; /* group.{min,max}.session.timeout.ms */
    int32_t *loaded_epoch; /* per partition: the leader epoch loaded, -1: not loaded */
    gentry_t **groups;     /* in creation order */
    int32_t n_groups;
    uint64_t next_serial;
    group_io_t io;
    gentry_t *current;     /* the entry a group_io callback is about */
    bool noted_append;     /* the simplification of append() was traced */
    bool noted_verify;     /* the simplification of TxnOffsetCommit was traced */
    int64_t commit_timeout_us; /* offsets.commit.timeout.ms */
    waiting_commit_t *waiting; /* in arrival order */
    int32_t n_waiting;
};

/* group_coordinator.c */
gentry_t *gcoord_entry(const gcoord_t *gc, const char *group);
/* The group's entry when this broker coordinates it (loading the partition first if it
 * leads it under a new epoch; a missing group is made when `create`); NULL with *err
 * otherwise. */
gentry_t *gcoord_coordinate(gcoord_t *gc, const char *group, bool create, int16_t *err);
/* A trace event of `kind` about group g in *out (NULL when not traced). */
void gcoord_trace_group(gcoord_t *gc, const char *kind, const group_t *g, cJSON **out);
void gcoord_reply(gcoord_t *gc, msg_t *m, int16_t api, void *body, const msg_body_ops_t *ops);
/* Appends records to __consumer_offsets partition p as one batch of producer
 * `producer_id` (transactional when >= 0, -1: none); frees the texts. */
void gcoord_append(gcoord_t *gc, int32_t p, char **keys, char **values, int32_t n,
                   int64_t producer_id, int16_t producer_epoch);
/* Request m's records, appended from `appended` on in `part`, wait for replication;
 * `resp` is the answer to fill (owned from here). */
void gcoord_wait_replication(gcoord_t *gc, msg_t *m, void *resp, const bpartition_t *part,
                             int64_t appended);

/* group_txn.c */
void gcoord_handle_txn_commit(gcoord_t *gc, msg_t *m);
/* A waiting TxnOffsetCommit is answered with `error` (its pending offsets fail unless
 * NONE). */
void gcoord_finish_txn_commit(gcoord_t *gc, const waiting_commit_t *w, int16_t error);
/* OffsetFetch with require_stable: the partition has offsets not yet stable (a
 * transaction's pending ones, or a commit waiting for replication). */
bool gcoord_unstable(const gcoord_t *gc, const gentry_t *e, const char *topic,
                     int32_t partition);

#endif
