/* txn_internal: the transaction coordinator's state shared by its three files:
 * txn_coordinator.c (the requests, fencing, timeouts), txn_cache.c (the ids in memory,
 * their writes to __transaction_state, loading) and txn_markers.c (the marker channel:
 * WriteTxnMarkers to the partition leaders). Not for use outside them. */
#ifndef KSIM_TXN_INTERNAL_H
#define KSIM_TXN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "broker_internal.h"
#include "txn_coordinator.h"
#include "txn_protocol.h"
#include "txn_state.h"

/* Kafka's retry.backoff.ms (100) as the marker channel and the completion write use it.
 * A marker request times out after the broker's request.timeout.ms. */
#define TXN_RETRY_BACKOFF_MS 100

/* One transactional id this coordinator owns. */
typedef struct tentry {
    txn_meta_t *m;
    int32_t partition;     /* of __transaction_state */
    int32_t coord_epoch;   /* the partition's leader epoch when it was loaded */
    /* Markers being written (PendingCompleteTxn): the completion prepared before they
     * were sent; m->parts shrinks as partitions answer. */
    bool marking;
    bool commit;
    txn_transit_t complete;
    txn_tps_t unsent;      /* partitions waiting for a leader */
    int32_t in_flight;     /* WriteTxnMarkers requests out for it */
    bool completing;       /* the completion is being written */
    bool completion_retry; /* the completion's write failed: written again after a back-off */
} tentry_t;

/* What a write to __transaction_state does once it is replicated (or fails). */
typedef enum tap_kind {
    TAP_INIT,      /* InitProducerId: answer with the id and epoch */
    TAP_ADD,       /* AddPartitionsToTxn / AddOffsetsToTxn */
    TAP_END,       /* EndTxn, a fence's abort or a timeout's: then the markers */
    TAP_COMPLETE,  /* CompleteCommit/CompleteAbort after the markers */
} tap_kind_t;

typedef struct tappend {
    tap_kind_t kind;
    char *id;
    int32_t partition, coord_epoch;
    int64_t required;        /* the HW that covers the record */
    txn_transit_t t;
    msg_t *req;              /* the request to answer; NULL: the coordinator's own */
    int64_t producer_id;     /* TAP_END: the producer that asked */
    int16_t producer_epoch;
    bool epoch_fence;        /* TAP_END: the abort of a fence */
    const char *reason;      /* for the trace */
    uint64_t serial;
    ev_handle_t timer;
} tappend_t;

/* One WriteTxnMarkers request out to a partition leader. */
typedef struct tmarker_req {
    int32_t corr;
    int32_t broker;
    int32_t node;
    uint32_t conn;
    ev_handle_t timer;
    char *id;              /* the transactional id its one entry is for */
    int32_t coord_epoch;
    write_markers_t *req;  /* what was asked (the entry's partitions) */
} tmarker_req_t;

struct tcoord {
    broker_t *b;
    int32_t n_partitions;            /* transaction.state.log.num.partitions */
    int32_t offsets_partitions;      /* offsets.topic.num.partitions */
    int32_t max_timeout_ms;          /* transaction.max.timeout.ms */
    int64_t cleanup_us;              /* ...abort.timed.out.transaction.cleanup.interval.ms */
    int32_t *loaded_epoch;           /* per partition: the coordinator epoch, -1 unloaded */
    tentry_t **ids;                  /* sorted by transactional id */
    int32_t n_ids;
    struct tappend *appends;         /* writes waiting for the HW, in write order */
    int32_t n_appends;
    tmarker_req_t *reqs;             /* markers in flight, in send order */
    int32_t n_reqs;
    uint64_t next_serial;
    bool retry_armed;                /* the marker retry timer is set */
    bool cleanup_armed;              /* the timeout task is scheduled */
};

static inline int64_t tcoord_now_ms(const tcoord_t *tc)
{
    return tc->b->w->now / US_PER_MS;
}

/* txn_coordinator.c */
/* A write is over: err NONE when it took effect; e is the id's entry while this coordinator
 * still owns it (NULL otherwise). */
void tcoord_written(tcoord_t *tc, tentry_t *e, const tappend_t *a, int16_t err);
/* Writes the CompleteCommit/CompleteAbort of an entry whose markers are all written. */
void tcoord_write_completion(tcoord_t *tc, tentry_t *e);

/* txn_cache.c */
tentry_t *tcoord_entry(const tcoord_t *tc, const char *id);
/* The index of id in the sorted table, or where it would go. */
int32_t tcache_index(const tcoord_t *tc, const char *id, bool *found);
tentry_t *tcache_add(tcoord_t *tc, txn_meta_t *m, int32_t partition);
bool tcache_is_state_partition(const tcoord_t *tc, const bpartition_t *part);
/* getTransactionState: the id's entry (NULL when there is none) when this broker leads its
 * partition (loading it first under a new epoch), else NOT_COORDINATOR. */
int16_t tcache_lookup(tcoord_t *tc, const char *id, tentry_t **e);
/* Loads a partition's ids from its log; a transaction found in Prepare* gets its markers. */
void tcache_load(tcoord_t *tc, const bpartition_t *part);
/* appendTransactionToLog: writes *t (taken) for e; req (the caller's reference, taken) is
 * answered through tcoord_written; pid/epoch/fence: an EndTxn's producer and whether it
 * is a fence's abort. */
void tcache_append(tcoord_t *tc, tentry_t *e, tap_kind_t kind, txn_transit_t *t, msg_t *req,
                   const char *reason, int64_t pid, int16_t epoch, bool fence);
/* An event about an id, with its producer id and epoch (NULL when not traced). */
cJSON *tcoord_trace_id(tcoord_t *tc, const char *kind, const txn_meta_t *m);

/* txn_markers.c */
/* addTxnMarkersToSend: markers for every partition of e's transaction. */
void tmark_start(tcoord_t *tc, tentry_t *e);
void tmark_response(tcoord_t *tc, const msg_t *m);
void tmark_disconnect(tcoord_t *tc, int32_t peer, uint32_t conn);
/* Arms the back-off timer that retries markers without a leader and completion writes. */
void tmark_arm_retry(tcoord_t *tc);
/* Forgets the requests in flight for ids of `partition` (-1: all). */
void tmark_forget(tcoord_t *tc, int32_t partition);

#endif
