/* txn_internal: the transaction coordinator's state shared by its two files:
 * txn_coordinator.c (requests, writes to __transaction_state, loading, timeouts) and
 * txn_markers.c (the marker channel: WriteTxnMarkers to the partition leaders). Not for use
 * outside them. */
#ifndef KSIM_TXN_INTERNAL_H
#define KSIM_TXN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "broker_internal.h"
#include "txn_coordinator.h"
#include "txn_protocol.h"
#include "txn_state.h"

/* Kafka's retry.backoff.ms (100) as the marker channel and the completion write use it,
 * and the inter-broker request.timeout.ms (30000). */
#define TXN_RETRY_BACKOFF_MS 100
#define TXN_MARKER_TIMEOUT_MS 30000

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

/* txn_coordinator.c */
tentry_t *tcoord_entry(const tcoord_t *tc, const char *id);
/* Writes the CompleteCommit/CompleteAbort of an entry whose markers are all written. */
void tcoord_write_completion(tcoord_t *tc, tentry_t *e);

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
