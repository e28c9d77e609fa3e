/* txn_markers: the transaction coordinator's marker channel (Kafka's
 * TransactionMarkerChannelManager and TransactionMarkerRequestCompletionHandler). A
 * transaction being completed gets a WriteTxnMarkers request to the leader of each of its
 * partitions, grouped per broker, stamped with the coordinator epoch. A partition that
 * answers NONE leaves the transaction; retriable errors, partitions without a leader,
 * closed connections and timed-out requests are tried again after a back-off with the
 * leaders looked up again; a deleted topic's partitions are dropped. When no partition is
 * left the coordinator writes CompleteCommit/CompleteAbort. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "protocol.h"
#include "txn_internal.h"

static void request_free(tcoord_t *tc, tmarker_req_t *r)
{
    world_cancel(tc->b->w, r->timer);
    write_markers_req_ops.free(r->req);
    free(r->id);
}

static void remove_request(tcoord_t *tc, int32_t i)
{
    memmove(&tc->reqs[i], &tc->reqs[i + 1], (size_t)(tc->n_reqs - i - 1) * sizeof *tc->reqs);
    tc->n_reqs--;
}

/* The request with this correlation id, or -1. */
static int32_t find_request(const tcoord_t *tc, int32_t corr)
{
    for (int32_t i = 0; i < tc->n_reqs; i++)
        if (tc->reqs[i].corr == corr)
            return i;
    return -1;
}

static void maybe_complete(tcoord_t *tc, tentry_t *e)
{
    if (e->marking && !e->completing && e->m->parts.n == 0 && e->in_flight == 0 &&
        e->unsent.n == 0) {
        e->completing = true;
        tcoord_write_completion(tc, e);
    }
}

static void request_timed_out(void *ctx, void *unused, int64_t corr);

/* One WriteTxnMarkers to broker `broker` for these partitions of e's transaction. */
static void send_markers(tcoord_t *tc, tentry_t *e, int32_t broker, const txn_tp_t *v, int32_t n)
{
    broker_t *b = tc->b;
    write_markers_t *w = proto_calloc(1, sizeof *w);
    w->n = 1;
    w->entries = proto_calloc(1, sizeof *w->entries);
    txn_marker_entry_t *en = &w->entries[0];
    *en = (txn_marker_entry_t){ e->m->producer_id, e->m->producer_epoch, e->commit,
                                e->coord_epoch, n, proto_calloc((size_t)n, sizeof *en->parts) };
    for (int32_t i = 0; i < n; i++)
        en->parts[i] = (txn_part_t){ v[i].topic, v[i].partition, KERR_NONE };
    write_markers_t *copy = write_markers_copy(w);
    int32_t node = b->peers[broker - 1];
    uint32_t conn = net_conn(b->w->net, b->node->id, node);
    msg_t *m = msg_new(b->w, API_WRITE_TXN_MARKERS, false, w, &write_markers_req_ops);
    broker_send(b, node, m);
    tc->reqs = realloc(tc->reqs, (size_t)(tc->n_reqs + 1) * sizeof *tc->reqs);
    if (!tc->reqs)
        abort();
    tc->reqs[tc->n_reqs++] = (tmarker_req_t){
        m->corr, broker, node, conn,
        node_timer(b->node, b->request_timeout, request_timed_out, tc, NULL, m->corr),
        gp_strdup(e->m->id), e->coord_epoch, copy };
    e->in_flight++;
}

/* addTxnMarkersToBrokerQueue: the partitions grouped by their leader in the broker's
 * metadata image, one request per leader (in broker id order). */
static void queue(tcoord_t *tc, tentry_t *e, const txn_tps_t *parts)
{
    broker_t *b = tc->b;
    int32_t *leader = proto_calloc((size_t)parts->n + 1, sizeof *leader);
    for (int32_t i = 0; i < parts->n; i++) {
        const md_partition_t *reg = md_find_partition(&b->img, parts->v[i].topic,
                                                      parts->v[i].partition);
        if (!reg) {
            /* The topic was deleted: no marker is needed (removePartition). */
            leader[i] = 0;
            txn_tps_remove(&e->m->parts, parts->v[i].topic, parts->v[i].partition);
        } else if (reg->leader == MD_NO_LEADER || reg->leader > b->n_peers) {
            leader[i] = 0;
            txn_tps_add(&e->unsent, parts->v[i].topic, parts->v[i].partition);
            tmark_arm_retry(tc);
        } else {
            leader[i] = reg->leader;
        }
    }
    txn_tp_t *group = proto_calloc((size_t)parts->n + 1, sizeof *group);
    for (int32_t broker = 1; broker <= b->n_peers; broker++) {
        int32_t n = 0;
        for (int32_t i = 0; i < parts->n; i++)
            if (leader[i] == broker)
                group[n++] = parts->v[i];
        if (n)
            send_markers(tc, e, broker, group, n);
    }
    free(group);
    free(leader);
    maybe_complete(tc, e);
}

void tmark_start(tcoord_t *tc, tentry_t *e)
{
    e->marking = true;
    e->completing = e->completion_retry = false;
    e->in_flight = 0;
    txn_tps_free(&e->unsent);
    txn_tps_t parts;
    txn_tps_copy(&parts, &e->m->parts);
    queue(tc, e, &parts);
    txn_tps_free(&parts);
}

/* Partitions to try again after the back-off (their leader is looked up again then). */
static void retry_later(tcoord_t *tc, tentry_t *e, const txn_part_t *v, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        if (txn_tps_has(&e->m->parts, v[i].topic, v[i].partition))
            txn_tps_add(&e->unsent, v[i].topic, v[i].partition);
    tmark_arm_retry(tc);
}

/* The entry a request was for, when this coordinator still completes it under the same
 * coordinator epoch (otherwise its markers are dropped: removeMarkersForTxn). */
static tentry_t *request_entry(tcoord_t *tc, const tmarker_req_t *r)
{
    tentry_t *e = tcoord_entry(tc, r->id);
    if (!e || e->coord_epoch != r->coord_epoch || !e->marking)
        return NULL;
    e->in_flight--;
    return e;
}

/* The request went unanswered (closed connection, timeout): its partitions are resent. */
static void request_lost(tcoord_t *tc, int32_t i)
{
    tmarker_req_t r = tc->reqs[i];
    remove_request(tc, i);
    tentry_t *e = request_entry(tc, &r);
    if (e)
        retry_later(tc, e, r.req->entries[0].parts, r.req->entries[0].n);
    request_free(tc, &r);
}

static void request_timed_out(void *ctx, void *unused, int64_t corr)
{
    tcoord_t *tc = ctx;
    int32_t i = find_request(tc, (int32_t)corr);
    if (i < 0)
        return;
    tc->reqs[i].timer = 0;
    /* NetworkClient gives up on the connection after request.timeout.ms. */
    net_close(tc->b->w->net, tc->b->node->id, tc->reqs[i].node);
    request_lost(tc, i);
}

void tmark_disconnect(tcoord_t *tc, int32_t peer, uint32_t conn)
{
    for (int32_t i = 0; i < tc->n_reqs;) {
        if (tc->reqs[i].node == peer && tc->reqs[i].conn <= conn)
            request_lost(tc, i);
        else
            i++;
    }
}

void tmark_response(tcoord_t *tc, const msg_t *m)
{
    int32_t i = find_request(tc, m->corr);
    if (i < 0 || tc->reqs[i].node != m->from)
        return;
    tmarker_req_t r = tc->reqs[i];
    remove_request(tc, i);
    tentry_t *e = request_entry(tc, &r);
    const write_markers_t *resp = m->body;
    if (!e || resp->n < 1) {
        request_free(tc, &r);
        return;
    }
    const txn_marker_entry_t *en = &resp->entries[0];
    bool abort_sending = false;
    for (int32_t k = 0; k < en->n; k++) {
        const txn_part_t *p = &en->parts[k];
        switch (p->error) {
        case KERR_NONE:
            txn_tps_remove(&e->m->parts, p->topic, p->partition);
            break;
        case KERR_INVALID_PRODUCER_EPOCH:
        case KERR_TRANSACTION_COORDINATOR_FENCED:
            /* A newer coordinator owns the transaction: stop sending its markers. */
            abort_sending = true;
            break;
        case KERR_UNKNOWN_TOPIC_OR_PARTITION:
        case KERR_NOT_LEADER_OR_FOLLOWER:
        case KERR_NOT_ENOUGH_REPLICAS:
        case KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        case KERR_REQUEST_TIMED_OUT:
            retry_later(tc, e, p, 1);
            break;
        default:
            /* Kafka throws IllegalStateException: no leader answers a marker so. */
            assert(!"unexpected WriteTxnMarkers error");
            retry_later(tc, e, p, 1);
            break;
        }
    }
    request_free(tc, &r);
    if (abort_sending) {
        e->marking = false;
        txn_transit_free(&e->complete);
        txn_tps_free(&e->unsent);
        return;
    }
    maybe_complete(tc, e);
}

static void retry_task(void *ctx, void *unused, int64_t arg)
{
    tcoord_t *tc = ctx;
    tc->retry_armed = false;
    for (int32_t i = 0; i < tc->n_ids; i++) {
        tentry_t *e = tc->ids[i];
        if (!e->marking)
            continue;
        if (e->completion_retry) {
            e->completion_retry = false;
            tcoord_write_completion(tc, e);
        } else if (e->unsent.n) {
            txn_tps_t parts = e->unsent;
            e->unsent = (txn_tps_t){ 0 };
            queue(tc, e, &parts);
            txn_tps_free(&parts);
        }
    }
}

void tmark_arm_retry(tcoord_t *tc)
{
    if (tc->retry_armed)
        return;
    tc->retry_armed = true;
    node_timer(tc->b->node, (int64_t)TXN_RETRY_BACKOFF_MS * US_PER_MS, retry_task, tc, NULL, 0);
}

void tmark_forget(tcoord_t *tc, int32_t partition)
{
    for (int32_t i = 0; i < tc->n_reqs;) {
        tmarker_req_t *r = &tc->reqs[i];
        if (partition >= 0 && tcoord_partition_for(r->id, tc->n_partitions) != partition) {
            i++;
            continue;
        }
        tmarker_req_t copy = *r;
        remove_request(tc, i);
        request_free(tc, &copy);
    }
}
