/* txn_coordinator: the broker's transaction coordinator (Kafka's TransactionCoordinator):
 * FindCoordinator(TRANSACTION), InitProducerId with a transactional id, AddPartitionsToTxn,
 * AddOffsetsToTxn and EndTxn, fencing, and the abort of timed-out transactions. Each
 * request prepares a change of the id's metadata (txn_state.c) that txn_cache.c writes to
 * __transaction_state; once it is replicated the request goes on here (tcoord_written);
 * txn_markers.c writes the markers of a transaction being completed. */
#include "txn_coordinator.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../trace.h"
#include "api.h"
#include "group_coordinator.h"
#include "protocol.h"
#include "txn_internal.h"

/* ---- answers ---- */

static void reply(tcoord_t *tc, const msg_t *req, void *body, const msg_body_ops_t *ops)
{
    net_reply(tc->b->w, tc->b->node, req, msg_new(tc->b->w, req->api, true, body, ops));
}

static void reply_init(tcoord_t *tc, const msg_t *req, int16_t err, int64_t pid, int16_t epoch)
{
    init_pid_t *r = proto_calloc(1, sizeof *r);
    *r = *(const init_pid_t *)req->body;
    r->error = err;
    r->producer_id = err == KERR_NONE ? pid : -1;
    r->producer_epoch = err == KERR_NONE ? epoch : -1;
    reply(tc, req, r, &init_pid_resp_ops);
}

/* AddPartitionsToTxn, AddOffsetsToTxn and EndTxn answers, and the InitProducerId that
 * fenced an open transaction (CONCURRENT_TRANSACTIONS once the abort is under way). */
static void reply_error(tcoord_t *tc, const msg_t *req, int16_t err)
{
    if (!req)
        return; /* the coordinator's own abort of a timed-out transaction */
    switch (req->api) {
    case API_INIT_PRODUCER_ID:
        reply_init(tc, req, err == KERR_NONE ? KERR_CONCURRENT_TRANSACTIONS : err, -1, -1);
        break;
    case API_ADD_PARTITIONS_TO_TXN: {
        add_parts_txn_t *r = add_parts_txn_copy(req->body);
        for (int32_t i = 0; i < r->n; i++)
            r->parts[i].error = err;
        reply(tc, req, r, &add_parts_txn_resp_ops);
        break;
    }
    case API_ADD_OFFSETS_TO_TXN:
    case API_END_TXN: {
        txn_req_t *r = txn_req_copy(req->body);
        r->error = err;
        reply(tc, req, r,
              req->api == API_END_TXN ? &end_txn_resp_ops : &add_offsets_txn_resp_ops);
        break;
    }
    default:
        assert(!"not a transaction request");
    }
}

static void end_written(tcoord_t *tc, tentry_t *e, const tappend_t *a, int16_t err);

/* A write to __transaction_state is over (err NONE: it took effect; e: the id's entry
 * when this coordinator still owns it): the request goes on. */
void tcoord_written(tcoord_t *tc, tentry_t *e, const tappend_t *a, int16_t err)
{
    switch (a->kind) {
    case TAP_INIT:
        reply_init(tc, a->req, err, a->t.producer_id, a->t.producer_epoch);
        break;
    case TAP_ADD:
        reply_error(tc, a->req, err);
        break;
    case TAP_END:
        end_written(tc, e, a, err);
        break;
    case TAP_COMPLETE:
        if (err == KERR_NONE) {
            e->marking = false;
            txn_transit_free(&e->complete);
        } else if (err == KERR_COORDINATOR_NOT_AVAILABLE && e) {
            /* txnLogAppendRetryQueue: written again after a back-off */
            e->completion_retry = true;
            tmark_arm_retry(tc);
        }
        break;
    }
}

void tcoord_write_completion(tcoord_t *tc, tentry_t *e)
{
    txn_transit_t t = e->complete;
    txn_tps_copy(&t.parts, &e->complete.parts);
    e->completion_retry = false;
    const char *why = e->commit ? "markers written (commit)" : "markers written (abort)";
    tcache_append(tc, e, TAP_COMPLETE, &t, NULL, why, -1, -1, false);
}

static void cleanup_task(void *ctx, void *unused, int64_t arg);

void tcoord_elected(tcoord_t *tc, const bpartition_t *part)
{
    if (!tcache_is_state_partition(tc, part))
        return;
    tcache_load(tc, part);
    if (!tc->cleanup_armed) {
        tc->cleanup_armed = true;
        node_timer_bg(tc->b->node, tc->cleanup_us, cleanup_task, tc, NULL, 0);
    }
}

/* ---- EndTxn ---- */

/* endTransaction: from a client (EndTxn), or the coordinator's own abort of a fenced or
 * timed-out transaction (from_client false, with the bumped epoch). */
static void end_txn(tcoord_t *tc, const char *id, int64_t pid, int16_t epoch, bool commit,
                    bool from_client, msg_t *req, const char *reason)
{
    tentry_t *e;
    int16_t err = tcache_lookup(tc, id, &e);
    txn_meta_t *m = e ? e->m : NULL;
    if (err == KERR_NONE && !m)
        err = KERR_INVALID_PRODUCER_ID_MAPPING;
    else if (err == KERR_NONE && m->producer_id != pid)
        err = KERR_INVALID_PRODUCER_ID_MAPPING;
    /* Strict equality for the client: it never bumps the epoch. */
    else if (err == KERR_NONE &&
             ((from_client && epoch != m->producer_epoch) || epoch < m->producer_epoch))
        err = KERR_PRODUCER_FENCED;
    else if (err == KERR_NONE && m->pending != TXN_NO_PENDING &&
             m->pending != TXN_PREPARE_EPOCH_FENCE)
        err = KERR_CONCURRENT_TRANSACTIONS;
    else if (err == KERR_NONE) {
        switch (m->state) {
        case TXN_ONGOING: {
            bool fence = !commit && m->pending == TXN_PREPARE_EPOCH_FENCE;
            if (fence) {
                /* The fence gives way to PrepareAbort carrying the bumped epoch. */
                m->pending = TXN_NO_PENDING;
                m->producer_epoch = epoch;
                m->last_epoch = TXN_NO_EPOCH;
            }
            txn_transit_t t;
            int16_t ok = txn_prepare_end(m, commit, tcoord_now_ms(tc), &t);
            assert(ok == KERR_NONE);
            (void)ok;
            tcache_append(tc, e, TAP_END, &t, req, reason, pid, epoch, fence);
            return;
        }
        case TXN_COMPLETE_COMMIT:
            err = commit ? KERR_NONE : KERR_INVALID_TXN_STATE; /* a retry */
            break;
        case TXN_COMPLETE_ABORT:
            err = commit ? KERR_INVALID_TXN_STATE : KERR_NONE;
            break;
        case TXN_PREPARE_COMMIT:
            err = commit ? KERR_CONCURRENT_TRANSACTIONS : KERR_INVALID_TXN_STATE;
            break;
        case TXN_PREPARE_ABORT:
            err = commit ? KERR_INVALID_TXN_STATE : KERR_CONCURRENT_TRANSACTIONS;
            break;
        case TXN_EMPTY:
            err = KERR_INVALID_TXN_STATE;
            break;
        default:
            assert(!"Dead or PrepareEpochFence is never a current state");
            err = KERR_INVALID_TXN_STATE;
        }
    }
    reply_error(tc, req, err);
    if (req)
        msg_unref(tc->b->w, req);
}

/* sendTxnMarkersCallback: Prepare* is durable; checks the transaction is still the one
 * that asked, answers, and sends the markers. */
static void end_written(tcoord_t *tc, tentry_t *e, const tappend_t *a, int16_t err)
{
    if (err != KERR_NONE) {
        if (a->epoch_fence && e) {
            e->m->failed_epoch_fence = true; /* the epoch was bumped but never handed out */
            cJSON *ev = tcoord_trace_id(tc, "txn_fence_failed", e->m);
            if (ev) {
                cJSON_AddStringToObject(ev, "error", kerr_name(err));
                world_emit(tc->b->w, ev);
            }
        }
        reply_error(tc, a->req, err);
        return;
    }
    txn_meta_t *m = e->m;
    bool commit = a->t.state == TXN_PREPARE_COMMIT;
    if (m->producer_id != a->producer_id)
        err = KERR_INVALID_PRODUCER_ID_MAPPING;
    else if (m->producer_epoch != a->producer_epoch)
        err = KERR_PRODUCER_FENCED;
    else if (m->pending != TXN_NO_PENDING)
        err = KERR_CONCURRENT_TRANSACTIONS;
    else if (m->state != (commit ? TXN_PREPARE_COMMIT : TXN_PREPARE_ABORT))
        err = KERR_INVALID_TXN_STATE;
    if (err != KERR_NONE) {
        reply_error(tc, a->req, err);
        return;
    }
    int16_t ok = txn_prepare_complete(m, tcoord_now_ms(tc), &e->complete);
    assert(ok == KERR_NONE);
    (void)ok;
    e->commit = commit;
    reply_error(tc, a->req, KERR_NONE);
    tmark_start(tc, e);
}

static void handle_end(tcoord_t *tc, msg_t *m)
{
    const txn_req_t *req = m->body;
    msg_ref(m);
    if (!req->transactional_id || !*req->transactional_id) {
        reply_error(tc, m, KERR_INVALID_REQUEST);
        msg_unref(tc->b->w, m);
        return;
    }
    end_txn(tc, req->transactional_id, req->producer_id, req->producer_epoch, req->commit, true,
            m, req->commit ? "EndTxn(commit)" : "EndTxn(abort)");
}

/* prepareFenceProducerEpoch and the abort that follows. */
static void fence(tcoord_t *tc, tentry_t *e, msg_t *req, const char *why)
{
    txn_meta_t *m = e->m;
    int16_t old = m->producer_epoch;
    txn_transit_t t;
    int16_t ok = txn_prepare_fence(m, &t);
    assert(ok == KERR_NONE);
    (void)ok;
    cJSON *ev = tcoord_trace_id(tc, "txn_fenced", m);
    if (ev) {
        trace_add_int(ev, "old_epoch", old);
        trace_add_int(ev, "new_epoch", t.producer_epoch);
        cJSON_AddStringToObject(ev, "reason", why);
        world_emit(tc->b->w, ev);
    }
    char *id = gp_strdup(m->id);
    end_txn(tc, id, t.producer_id, t.producer_epoch, false, false, req, why);
    free(id);
    txn_transit_free(&t);
}

/* ---- InitProducerId ---- */

/* isValidProducerId: a KIP-360 request names this id (or the previous one with an
 * exhausted epoch), or the metadata was just made. */
static bool valid_producer(const txn_meta_t *m, int64_t pid, int16_t epoch)
{
    return m->producer_epoch == TXN_NO_EPOCH || pid == m->producer_id ||
           (pid == m->prev_producer_id && txn_epoch_exhausted(epoch));
}

static void handle_init(tcoord_t *tc, msg_t *msg)
{
    const init_pid_t *req = msg->body;
    const char *id = req->transactional_id;
    /* handleInitProducerIdRequest: an empty id, or a producer id without an epoch (or the
     * other way round), is INVALID_REQUEST. */
    if (!*id || (req->producer_id < 0) != (req->producer_epoch < 0)) {
        reply_init(tc, msg, KERR_INVALID_REQUEST, -1, -1);
        return;
    }
    if (req->txn_timeout_ms <= 0 || req->txn_timeout_ms > tc->max_timeout_ms) {
        reply_init(tc, msg, KERR_INVALID_TRANSACTION_TIMEOUT, -1, -1);
        return;
    }
    tentry_t *e;
    int16_t err = tcache_lookup(tc, id, &e);
    if (err == KERR_NONE && !e) {
        int64_t pid = pids_generate(tc->b, &err);
        if (err == KERR_NONE)
            e = tcache_add(tc, txn_meta_new(id, pid, req->txn_timeout_ms, tcoord_now_ms(tc)),
                          tcoord_partition_for(id, tc->n_partitions));
    }
    if (err != KERR_NONE) {
        reply_init(tc, msg, err, -1, -1);
        return;
    }
    txn_meta_t *m = e->m;
    bool expected = req->producer_id >= 0;
    if (m->pending != TXN_NO_PENDING) {
        err = KERR_CONCURRENT_TRANSACTIONS;
    } else if (expected && !valid_producer(m, req->producer_id, req->producer_epoch)) {
        err = KERR_PRODUCER_FENCED;
    } else if (m->state == TXN_PREPARE_COMMIT || m->state == TXN_PREPARE_ABORT) {
        err = KERR_CONCURRENT_TRANSACTIONS;
    } else if (m->state == TXN_ONGOING) {
        /* The open transaction is aborted under a bumped epoch first; the caller retries
         * and gets the epoch after it. */
        msg_ref(msg);
        fence(tc, e, msg, "InitProducerId by a new instance");
        return;
    } else {
        txn_transit_t t;
        if (txn_epoch_exhausted(m->producer_epoch) &&
            (!expected || req->producer_epoch == m->producer_epoch)) {
            int64_t pid = pids_generate(tc->b, &err);
            if (err == KERR_NONE)
                err = txn_prepare_rotate(m, pid, req->txn_timeout_ms, expected,
                                         tcoord_now_ms(tc), &t);
        } else {
            err = txn_prepare_increment_epoch(m, req->txn_timeout_ms, expected,
                                              req->producer_epoch, tcoord_now_ms(tc), &t);
        }
        if (err == KERR_NONE) {
            msg_ref(msg);
            tcache_append(tc, e, TAP_INIT, &t, msg, "InitProducerId", -1, -1, false);
            return;
        }
    }
    reply_init(tc, msg, err, -1, -1);
}

/* ---- AddPartitionsToTxn, AddOffsetsToTxn ---- */

/* handleAddPartitionsToTransaction. */
static void add_partitions(tcoord_t *tc, msg_t *msg, const char *id, int64_t pid,
                           int16_t epoch, const txn_tps_t *parts, const char *reason)
{
    tentry_t *e;
    int16_t err = !id || !*id ? KERR_INVALID_REQUEST : tcache_lookup(tc, id, &e);
    txn_meta_t *m = err == KERR_NONE && e ? e->m : NULL;
    if (err == KERR_NONE && (!m || m->producer_id != pid))
        err = KERR_INVALID_PRODUCER_ID_MAPPING;
    else if (err == KERR_NONE && m->producer_epoch != epoch)
        err = KERR_PRODUCER_FENCED;
    else if (err == KERR_NONE && (m->pending != TXN_NO_PENDING ||
                                  m->state == TXN_PREPARE_COMMIT ||
                                  m->state == TXN_PREPARE_ABORT))
        err = KERR_CONCURRENT_TRANSACTIONS;
    if (err == KERR_NONE && m->state == TXN_ONGOING) {
        bool all = true; /* already in the transaction: nothing to write */
        for (int32_t i = 0; i < parts->n && all; i++)
            all = txn_tps_has(&m->parts, parts->v[i].topic, parts->v[i].partition);
        if (all) {
            reply_error(tc, msg, KERR_NONE);
            return;
        }
    }
    if (err == KERR_NONE) {
        txn_transit_t t;
        err = txn_prepare_add_partitions(m, parts, tcoord_now_ms(tc), &t);
        if (err == KERR_NONE) {
            msg_ref(msg);
            tcache_append(tc, e, TAP_ADD, &t, msg, reason, -1, -1, false);
            return;
        }
    }
    reply_error(tc, msg, err);
}

static void handle_add_partitions(tcoord_t *tc, msg_t *msg)
{
    const add_parts_txn_t *req = msg->body;
    /* KafkaApis: a partition of an unknown topic fails the request; the others are
     * OPERATION_NOT_ATTEMPTED. */
    bool unknown = false;
    for (int32_t i = 0; i < req->n; i++)
        unknown |= !md_find_partition(&tc->b->img, req->parts[i].topic, req->parts[i].partition);
    if (unknown) {
        add_parts_txn_t *r = add_parts_txn_copy(req);
        for (int32_t i = 0; i < r->n; i++)
            r->parts[i].error = md_find_partition(&tc->b->img, r->parts[i].topic,
                                                  r->parts[i].partition)
                                    ? KERR_OPERATION_NOT_ATTEMPTED
                                    : KERR_UNKNOWN_TOPIC_OR_PARTITION;
        reply(tc, msg, r, &add_parts_txn_resp_ops);
        return;
    }
    txn_tps_t parts = { 0 };
    for (int32_t i = 0; i < req->n; i++)
        txn_tps_add(&parts, req->parts[i].topic, req->parts[i].partition);
    add_partitions(tc, msg, req->transactional_id, req->producer_id, req->producer_epoch, &parts,
                   "AddPartitionsToTxn");
    txn_tps_free(&parts);
}

/* The group's __consumer_offsets partition joins the transaction. */
static void handle_add_offsets(tcoord_t *tc, msg_t *msg)
{
    const txn_req_t *req = msg->body;
    txn_tps_t parts = { 0 };
    txn_tps_add(&parts, world_intern(tc->b->w, OFFSETS_TOPIC),
                gcoord_partition_for(req->group ? req->group : "", tc->offsets_partitions));
    add_partitions(tc, msg, req->transactional_id, req->producer_id, req->producer_epoch, &parts,
                   "AddOffsetsToTxn");
    txn_tps_free(&parts);
}

/* FindCoordinator(TRANSACTION): the leader of the id's __transaction_state partition. */
static void handle_find(tcoord_t *tc, msg_t *m)
{
    const find_coord_t *req = m->body;
    find_coord_t *r = proto_calloc(1, sizeof *r);
    r->key = gp_strdup(req->key);
    r->key_type = req->key_type;
    r->broker_id = r->node = -1;
    const md_partition_t *reg =
        req->key && *req->key
            ? md_find_partition(&tc->b->img, TXN_STATE_TOPIC,
                                tcoord_partition_for(req->key, tc->n_partitions))
            : NULL;
    if (!req->key || !*req->key) {
        r->error = KERR_INVALID_REQUEST;
    } else if (!reg || reg->leader == MD_NO_LEADER || reg->leader > tc->b->n_peers) {
        r->error = KERR_COORDINATOR_NOT_AVAILABLE;
    } else {
        r->broker_id = reg->leader;
        r->node = tc->b->peers[reg->leader - 1];
    }
    reply(tc, m, r, &find_coord_resp_ops);
}

void tcoord_handle(tcoord_t *tc, msg_t *m)
{
    switch (m->api) {
    case API_FIND_COORDINATOR:
        handle_find(tc, m);
        break;
    case API_INIT_PRODUCER_ID:
        handle_init(tc, m);
        break;
    case API_ADD_PARTITIONS_TO_TXN:
        handle_add_partitions(tc, m);
        break;
    case API_ADD_OFFSETS_TO_TXN:
        handle_add_offsets(tc, m);
        break;
    case API_END_TXN:
        handle_end(tc, m);
        break;
    default:
        break;
    }
}

/* ---- transaction timeouts ---- */

/* abortTimedOutTransactions: every Ongoing transaction past its timeout is fenced and
 * aborted. Routine: a background task, every cleanup interval. */
static void cleanup_task(void *ctx, void *unused, int64_t arg)
{
    tcoord_t *tc = ctx;
    int64_t now = tcoord_now_ms(tc);
    for (int32_t i = 0; i < tc->n_ids; i++) {
        tentry_t *e = tc->ids[i];
        txn_meta_t *m = e->m;
        if (m->state != TXN_ONGOING || m->pending != TXN_NO_PENDING ||
            m->start_ms + m->timeout_ms >= now)
            continue;
        int16_t err;
        if (!broker_led(tc->b, TXN_STATE_TOPIC, e->partition, &err))
            continue;
        cJSON *ev = tcoord_trace_id(tc, "txn_timeout", m);
        if (ev) {
            trace_add_int(ev, "start_ms", m->start_ms);
            trace_add_int(ev, "timeout_ms", m->timeout_ms);
            trace_add_int(ev, "age_ms", now - m->start_ms);
            world_emit(tc->b->w, ev);
        }
        char *id = gp_strdup(m->id);
        fence(tc, e, NULL, "transaction timed out");
        /* the abort may have changed the table: find our place again */
        bool found;
        i = tcache_index(tc, id, &found) - (found ? 0 : 1);
        free(id);
    }
    node_timer_bg(tc->b->node, tc->cleanup_us, cleanup_task, tc, NULL, 0);
}

void tcoord_response(tcoord_t *tc, const msg_t *m)
{
    tmark_response(tc, m);
}

void tcoord_disconnect(tcoord_t *tc, int32_t peer, uint32_t conn)
{
    tmark_disconnect(tc, peer, conn);
}
