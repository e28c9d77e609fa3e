/* txn_requests: the transactional producer's requests on the wire (Kafka's Sender
 * maybeSendAndPollTransactionalRequest and the TxnRequestHandler subclasses): one request
 * at a time to the coordinator it needs, found first with FindCoordinator; each answer
 * handled as Kafka's client does (done, retried after retry.backoff.ms, a new coordinator
 * lookup, an abortable or a fatal error); and the batches failed when the transaction
 * aborts or the producer is fenced. */

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kafka/api.h"
#include "../kafka/group_protocol.h"
#include "../kafka/txn_protocol.h"
#include "producer_internal.h"

/* ---- failing batches ---- */

static void abort_batch(producer_t *p, pbatch_t *pb, const tm_error_t *e)
{
    tm_failed(&p->tm, pb, e->code, false);
    prod_complete_batch(p, pb, -1, e->code, e->msg);
}

/* RecordAccumulator.abortUndrainedBatches (all: abortBatches, the in-flight ones too,
 * whose late answers are then ignored); records still waiting for metadata fail too. */
void txn_abort_batches(producer_t *p, bool undrained_only, const tm_error_t *e)
{
    for (int32_t t = 0; t < p->n_topics; t++) {
        for (int32_t qi = 0; qi < p->topics[t].n; qi++) {
            pqueue_t *q = &p->topics[t].qs[qi];
            pbatch_t *keep_head = NULL, *keep_tail = NULL;
            for (pbatch_t *pb = q->head, *next; pb; pb = next) {
                next = pb->next;
                pb->next = NULL;
                if (undrained_only && pb->base_seq != TM_NO_SEQ) {
                    if (keep_tail)
                        keep_tail->next = pb;
                    else
                        keep_head = pb;
                    keep_tail = pb;
                    continue;
                }
                abort_batch(p, pb, e);
            }
            q->head = keep_head;
            q->tail = keep_tail;
        }
    }
    if (!undrained_only) {
        for (int32_t i = 0; i < p->inflight.n; i++) {
            pbatch_t **batches = p->inflight.e[i].data;
            if (p->inflight.e[i].api != API_PRODUCE)
                continue;
            for (int32_t j = 0; j < p->inflight.e[i].n; j++)
                if (batches[j] && !batches[j]->done)
                    abort_batch(p, batches[j], e);
        }
    }
    for (size_t i = 0; i < p->n_waiting; i++) {
        prod_finish_record(p, p->waiting[i].rec, -1, e->code);
        free((void *)p->waiting[i].key.p);
        free((void *)p->waiting[i].value.p);
    }
    p->n_waiting = 0;
}

/* ---- requests ---- */

static void reenqueue(producer_t *p, tm_req_t *req)
{
    req->retry = true;
    tm_enqueue(&p->tm, req);
}

/* The coordinator a request goes to: COORD_KEY_*, or -1 for any broker. */
static int8_t coordinator_type(const tm_req_t *req)
{
    switch (req->kind) {
    case TM_REQ_FIND_COORDINATOR:
        return -1;
    case TM_REQ_TXN_OFFSET_COMMIT:
        return COORD_KEY_GROUP;
    default:
        return COORD_KEY_TRANSACTION;
    }
}

static const char *coordinator_key(const producer_t *p, const tm_req_t *req)
{
    return req->kind == TM_REQ_TXN_OFFSET_COMMIT ? req->gm.group_id : p->tm.transactional_id;
}

static void lookup_for(producer_t *p, const tm_req_t *req)
{
    int8_t type = coordinator_type(req);
    if (type >= 0)
        tm_lookup_coordinator(&p->tm, type, coordinator_key(p, req));
}

static msg_t *build(producer_t *p, const tm_req_t *req)
{
    const txn_manager_t *tm = &p->tm;
    switch (req->kind) {
    case TM_REQ_FIND_COORDINATOR: {
        find_coord_t *f = proto_calloc(1, sizeof *f);
        f->key = gp_strdup(req->key);
        f->key_type = req->key_type;
        return msg_new(p->w, API_FIND_COORDINATOR, false, f, &find_coord_req_ops);
    }
    case TM_REQ_INIT_PRODUCER_ID: {
        init_pid_t *r = proto_calloc(1, sizeof *r);
        *r = (init_pid_t){ .transactional_id = tm->transactional_id,
                           .txn_timeout_ms = tm->txn_timeout_ms,
                           .producer_id = req->epoch_bump ? tm->pid : TM_NO_PID,
                           .producer_epoch = req->epoch_bump ? tm->epoch : TM_NO_EPOCH };
        return msg_new(p->w, API_INIT_PRODUCER_ID, false, r, &init_pid_req_ops);
    }
    case TM_REQ_ADD_PARTITIONS: {
        add_parts_txn_t *r = proto_calloc(1, sizeof *r);
        r->transactional_id = gp_strdup(tm->transactional_id);
        r->producer_id = tm->pid;
        r->producer_epoch = tm->epoch;
        r->n = req->n_parts;
        r->parts = proto_calloc((size_t)(req->n_parts ? req->n_parts : 1), sizeof *r->parts);
        for (int32_t i = 0; i < req->n_parts; i++)
            r->parts[i] = (txn_part_t){ req->parts[i]->topic, req->parts[i]->partition, 0 };
        return msg_new(p->w, API_ADD_PARTITIONS_TO_TXN, false, r, &add_parts_txn_req_ops);
    }
    case TM_REQ_ADD_OFFSETS:
    case TM_REQ_END_TXN: {
        txn_req_t *r = proto_calloc(1, sizeof *r);
        r->transactional_id = gp_strdup(tm->transactional_id);
        r->producer_id = tm->pid;
        r->producer_epoch = tm->epoch;
        if (req->kind == TM_REQ_END_TXN) {
            r->commit = req->commit;
            return msg_new(p->w, API_END_TXN, false, r, &end_txn_req_ops);
        }
        r->group = gp_strdup(req->gm.group_id);
        return msg_new(p->w, API_ADD_OFFSETS_TO_TXN, false, r, &add_offsets_txn_req_ops);
    }
    case TM_REQ_TXN_OFFSET_COMMIT: {
        txn_offset_commit_t *r = proto_calloc(1, sizeof *r);
        r->transactional_id = gp_strdup(tm->transactional_id);
        r->group = gp_strdup(req->gm.group_id);
        r->member_id = gp_strdup(req->gm.member_id);
        r->instance_id = gp_strdup(req->gm.instance_id);
        r->producer_id = tm->pid;
        r->producer_epoch = tm->epoch;
        r->generation = req->gm.generation;
        r->n = tm->n_pending_offsets;
        r->parts = proto_calloc((size_t)(r->n ? r->n : 1), sizeof *r->parts);
        for (int32_t i = 0; i < r->n; i++)
            r->parts[i] = (offset_part_t){ tm->pending_offsets[i].topic,
                                           tm->pending_offsets[i].partition,
                                           tm->pending_offsets[i].offset, 0 };
        return msg_new(p->w, API_TXN_OFFSET_COMMIT, false, r, &txn_offset_commit_req_ops);
    }
    }
    abort();
}

/* Sender.maybeSendAndPollTransactionalRequest. True while the sender must not send data:
 * a transactional request is in flight, was just sent, or waits out its back-off (Kafka's
 * sender thread sleeps then). */
static bool maybe_send(producer_t *p, int64_t *next)
{
    txn_manager_t *tm = &p->tm;
    if (tm->inflight)
        return true;
    if ((tm->state == TM_ABORTABLE_ERROR || tm->state == TM_ABORTING_TRANSACTION) &&
        p->pending > 0) {
        tm_error_t e = tm->last_error;
        if (e.code == KERR_NONE)
            tm_error_set(&e, KERR_CLIENT_TXN_ABORTED,
                         "Failing batch since transaction was aborted");
        txn_abort_batches(p, true, &e);
    }
    tm_req_t *req = tm_next_request(tm, p->pending > 0);
    if (!req)
        return false;
    int8_t type = coordinator_type(req);
    int32_t node = type == COORD_KEY_GROUP ? tm->group_coord
                   : type == COORD_KEY_TRANSACTION ? tm->txn_coord
                                                   : sender_least_loaded(p, next);
    if (node < 0) {
        /* maybeFindCoordinatorAndRetry; with no broker ready at all, wait for one. */
        if (type >= 0) {
            lookup_for(p, req);
            sender_wake(p);
        }
        reenqueue(p, req);
        return true;
    }
    int64_t ready = inflight_ready_at(&p->inflight, node);
    if (req->retry && req->not_before == 0)
        req->not_before = p->w->now + req->backoff;
    int64_t at = ready > req->not_before ? ready : req->not_before;
    if (at > p->w->now) {
        tm_enqueue(tm, req);
        if (at < *next)
            *next = at;
        return true;
    }
    req->retry = false;
    req->not_before = 0;
    msg_t *m = build(p, req);
    m->corr = ++p->next_corr;
    sender_track(p, m, node);
    net_send(p->w, p->node, node, m);
    tm->inflight = req;
    tm->inflight_corr = m->corr;
    return true;
}

bool txn_step(producer_t *p, int64_t *next)
{
    txn_manager_t *tm = &p->tm;
    tm_maybe_resolve_sequences(tm);
    if (tm->state == TM_FATAL_ERROR) {
        /* Sender.maybeAbortBatches: nothing more is sent. */
        if (p->pending > 0)
            txn_abort_batches(p, false, &tm->last_error);
        return true;
    }
    return maybe_send(p, next);
}

/* ---- answers ---- */

static void fatal(producer_t *p, tm_req_t *req, int16_t code, const char *fmt, const char *arg)
{
    tm_error_t e;
    tm_error_set(&e, code, fmt, arg);
    tm_result_fail(req->result, &e);
    tm_fatal_error(&p->tm, &e);
}

static void fenced(producer_t *p, tm_req_t *req)
{
    /* INVALID_PRODUCER_EPOCH from an older coordinator means the same. */
    fatal(p, req, KERR_PRODUCER_FENCED, "%s", tm_error_message(KERR_PRODUCER_FENCED));
}

static void abortable(producer_t *p, tm_req_t *req, int16_t code, const char *msg)
{
    tm_error_t e;
    tm_error_set(&e, code, "%s", msg);
    tm_result_fail(req->result, &e);
    tm_abortable_error(&p->tm, &e);
}

/* abortableErrorIfPossible: the coordinator supports an epoch bump (3.9 does). */
static void abortable_bump(producer_t *p, tm_req_t *req, int16_t code)
{
    p->tm.epoch_bump_required = true;
    abortable(p, req, code, tm_error_message(code));
}

static void unexpected(producer_t *p, tm_req_t *req, const char *what, int16_t code)
{
    char msg[200];
    snprintf(msg, sizeof msg, "%s: %s", what, tm_error_message(code));
    fatal(p, req, KERR_CLIENT_KAFKA, "%s", msg);
}

/* The errors every coordinator request treats alike; true when handled (req is then
 * owned elsewhere). */
static bool common_retry(producer_t *p, tm_req_t *req, int16_t error)
{
    if (error == KERR_NOT_COORDINATOR || error == KERR_COORDINATOR_NOT_AVAILABLE) {
        lookup_for(p, req);
        reenqueue(p, req);
        return true;
    }
    if (error == KERR_COORDINATOR_LOAD_IN_PROGRESS || error == KERR_CONCURRENT_TRANSACTIONS) {
        reenqueue(p, req);
        return true;
    }
    return false;
}

/* Returns the request if the caller should free it, NULL when it was queued again. */
static tm_req_t *on_find_coordinator(producer_t *p, tm_req_t *req, const find_coord_t *f)
{
    if (f->error == KERR_NONE) {
        if (req->key_type == COORD_KEY_GROUP)
            p->tm.group_coord = f->node;
        else
            p->tm.txn_coord = f->node;
        tm_result_done(req->result);
        cJSON *ev = world_trace(p->w, p->node, "txn_coordinator_found");
        if (ev) {
            cJSON_AddStringToObject(ev, "key_type",
                                    req->key_type == COORD_KEY_GROUP ? "group" : "transaction");
            cJSON_AddStringToObject(ev, "key", req->key);
            cJSON_AddStringToObject(ev, "coordinator", world_node(p->w, f->node)->name);
            world_emit(p->w, ev);
        }
        return req;
    }
    if (f->error == KERR_COORDINATOR_NOT_AVAILABLE) {
        reenqueue(p, req);
        return NULL;
    }
    char msg[200];
    snprintf(msg, sizeof msg, "Could not find a coordinator with type %s with key %s due to "
             "unexpected error: %s", req->key_type == COORD_KEY_GROUP ? "GROUP" : "TRANSACTION",
             req->key, kerr_name(f->error));
    fatal(p, req, KERR_CLIENT_KAFKA, "%s", msg);
    return req;
}

static void trace_producer_id(producer_t *p)
{
    cJSON *ev = world_trace(p->w, p->node, "producer_id");
    if (!ev)
        return;
    trace_add_int(ev, "producer_id", p->tm.pid);
    trace_add_int(ev, "producer_epoch", p->tm.epoch);
    cJSON_AddStringToObject(ev, "transactional_id", p->tm.transactional_id);
    world_emit(p->w, ev);
}

static tm_req_t *on_init_pid(producer_t *p, tm_req_t *req, const init_pid_t *r)
{
    if (r->error == KERR_NONE) {
        tm_txn_init_done(&p->tm, r->producer_id, r->producer_epoch);
        tm_result_done(req->result);
        trace_producer_id(p);
        return req;
    }
    if (common_retry(p, req, r->error))
        return NULL;
    if (r->error == KERR_INVALID_PRODUCER_EPOCH || r->error == KERR_PRODUCER_FENCED)
        fenced(p, req);
    else
        unexpected(p, req, "Unexpected error in InitProducerIdResponse", r->error);
    return req;
}

static tm_req_t *on_add_partitions(producer_t *p, tm_req_t *req, const add_parts_txn_t *r)
{
    txn_manager_t *tm = &p->tm;
    bool part_errors = false;
    req->backoff = tm->retry_backoff;
    for (int32_t i = 0; i < r->n; i++) {
        int16_t error = r->parts[i].error;
        if (error == KERR_NONE)
            continue;
        if (error == KERR_NOT_COORDINATOR || error == KERR_COORDINATOR_NOT_AVAILABLE) {
            lookup_for(p, req);
            reenqueue(p, req);
            return NULL;
        }
        if (error == KERR_CONCURRENT_TRANSACTIONS) {
            /* The previous transaction is still completing: the first AddPartitions of a
             * transaction retries after 20 ms, not retry.backoff.ms (KAFKA-5482). */
            bool first = true;
            for (int32_t t = 0; t < tm->n_topics; t++)
                for (int32_t q = 0; q < tm->topics[t].n; q++)
                    if (tm->topics[t].parts[q] && tm->topics[t].parts[q]->txn == TM_TP_ADDED)
                        first = false;
            if (first && req->backoff > 20 * US_PER_MS)
                req->backoff = 20 * US_PER_MS;
            reenqueue(p, req);
            return NULL;
        }
        if (error == KERR_COORDINATOR_LOAD_IN_PROGRESS ||
            error == KERR_UNKNOWN_TOPIC_OR_PARTITION) {
            reenqueue(p, req);
            return NULL;
        }
        if (error == KERR_INVALID_PRODUCER_EPOCH || error == KERR_PRODUCER_FENCED) {
            fenced(p, req);
            return req;
        }
        if (error == KERR_INVALID_TXN_STATE) {
            fatal(p, req, KERR_INVALID_TXN_STATE, "%s", tm_error_message(error));
            return req;
        }
        if (error == KERR_UNKNOWN_PRODUCER_ID || error == KERR_INVALID_PRODUCER_ID_MAPPING) {
            abortable_bump(p, req, error);
            return req;
        }
        part_errors = true;
    }
    /* The partitions leave the pending set whatever the outcome: batches of those added
     * may go, and the others are aborted with the transaction. */
    for (int32_t i = 0; i < req->n_parts; i++)
        if (req->parts[i]->txn == TM_TP_PENDING)
            req->parts[i]->txn = part_errors ? TM_TP_NONE : TM_TP_ADDED;
    if (part_errors) {
        abortable(p, req, KERR_CLIENT_KAFKA, "Could not add partitions to transaction due to "
                  "errors");
        return req;
    }
    tm->transaction_started = true;
    tm_result_done(req->result);
    return req;
}

static tm_req_t *on_add_offsets(producer_t *p, tm_req_t *req, const txn_req_t *r)
{
    if (r->error == KERR_NONE) {
        /* The result completes only when the TxnOffsetCommit is through. */
        tm_enqueue(&p->tm, tm_txn_offset_commit_request(&p->tm, req));
        p->tm.transaction_started = true;
        return req;
    }
    if (common_retry(p, req, r->error))
        return NULL;
    if (r->error == KERR_UNKNOWN_PRODUCER_ID || r->error == KERR_INVALID_PRODUCER_ID_MAPPING)
        abortable_bump(p, req, r->error);
    else if (r->error == KERR_INVALID_PRODUCER_EPOCH || r->error == KERR_PRODUCER_FENCED)
        fenced(p, req);
    else
        unexpected(p, req, "Unexpected error in AddOffsetsToTxnResponse", r->error);
    return req;
}

static void drop_pending_offset(txn_manager_t *tm, const char *topic, int32_t partition)
{
    for (int32_t i = 0; i < tm->n_pending_offsets; i++) {
        if (tm->pending_offsets[i].topic == topic && tm->pending_offsets[i].partition == partition) {
            memmove(&tm->pending_offsets[i], &tm->pending_offsets[i + 1],
                    (size_t)(tm->n_pending_offsets - i - 1) * sizeof *tm->pending_offsets);
            tm->n_pending_offsets--;
            return;
        }
    }
}

static tm_req_t *on_txn_offset_commit(producer_t *p, tm_req_t *req, const txn_offset_commit_t *r)
{
    txn_manager_t *tm = &p->tm;
    bool reloaded = false;
    for (int32_t i = 0; i < r->n && !req->result->completed; i++) {
        int16_t error = r->parts[i].error;
        if (error == KERR_NONE) {
            drop_pending_offset(tm, r->parts[i].topic, r->parts[i].partition);
        } else if (error == KERR_COORDINATOR_NOT_AVAILABLE || error == KERR_NOT_COORDINATOR ||
                   error == KERR_REQUEST_TIMED_OUT) {
            if (!reloaded) {
                reloaded = true;
                tm_lookup_coordinator(tm, COORD_KEY_GROUP, req->gm.group_id);
            }
        } else if (error == KERR_UNKNOWN_TOPIC_OR_PARTITION ||
                   error == KERR_COORDINATOR_LOAD_IN_PROGRESS) {
            continue;
        } else if (error == KERR_FENCED_INSTANCE_ID) {
            abortable(p, req, error, tm_error_message(error));
        } else if (error == KERR_UNKNOWN_MEMBER_ID || error == KERR_ILLEGAL_GENERATION) {
            char msg[200];
            snprintf(msg, sizeof msg, "Transaction offset Commit failed due to consumer group "
                     "metadata mismatch: %s", tm_error_message(error));
            abortable(p, req, KERR_CLIENT_COMMIT_FAILED, msg);
        } else if (error == KERR_INVALID_PRODUCER_EPOCH || error == KERR_PRODUCER_FENCED) {
            fatal(p, req, error, "%s", tm_error_message(error));
        } else {
            unexpected(p, req, "Unexpected error in TxnOffsetCommitResponse", error);
        }
    }
    if (req->result->completed) {
        tm->n_pending_offsets = 0;
        return req;
    }
    if (tm->n_pending_offsets == 0) {
        tm_result_done(req->result);
        return req;
    }
    reenqueue(p, req); /* the partitions that failed with a retriable error */
    return NULL;
}

static tm_req_t *on_end_txn(producer_t *p, tm_req_t *req, const txn_req_t *r)
{
    if (r->error == KERR_NONE) {
        tm_complete_transaction(&p->tm);
        tm_result_done(req->result);
        return req;
    }
    if (common_retry(p, req, r->error))
        return NULL;
    if (r->error == KERR_INVALID_PRODUCER_EPOCH || r->error == KERR_PRODUCER_FENCED)
        fenced(p, req);
    else if (r->error == KERR_INVALID_TXN_STATE)
        fatal(p, req, KERR_INVALID_TXN_STATE, "%s", tm_error_message(r->error));
    else if (r->error == KERR_UNKNOWN_PRODUCER_ID || r->error == KERR_INVALID_PRODUCER_ID_MAPPING)
        abortable_bump(p, req, r->error);
    else
        unexpected(p, req, "Unhandled error in EndTxnResponse", r->error);
    return req;
}

bool txn_owns(const producer_t *p, const msg_t *m)
{
    return p->tm.inflight && m->corr == p->tm.inflight_corr;
}

void txn_response(producer_t *p, const msg_t *m)
{
    tm_req_t *req = p->tm.inflight;
    p->tm.inflight = NULL;
    assert(req);
    switch (req->kind) {
    case TM_REQ_FIND_COORDINATOR:
        req = on_find_coordinator(p, req, m->body);
        break;
    case TM_REQ_INIT_PRODUCER_ID:
        req = on_init_pid(p, req, m->body);
        break;
    case TM_REQ_ADD_PARTITIONS:
        req = on_add_partitions(p, req, m->body);
        break;
    case TM_REQ_ADD_OFFSETS:
        req = on_add_offsets(p, req, m->body);
        break;
    case TM_REQ_TXN_OFFSET_COMMIT:
        req = on_txn_offset_commit(p, req, m->body);
        break;
    case TM_REQ_END_TXN:
        req = on_end_txn(p, req, m->body);
        break;
    }
    tm_req_free(req);
    prod_txn_poll(p);
}

/* The connection closed under the request (a reset or a request timeout): find the
 * coordinator again and retry (TxnRequestHandler.onComplete, wasDisconnected). */
void txn_request_lost(producer_t *p, int32_t corr)
{
    tm_req_t *req = p->tm.inflight;
    if (!req || corr != p->tm.inflight_corr)
        return;
    p->tm.inflight = NULL;
    lookup_for(p, req);
    reenqueue(p, req);
}
