/* txn_client: the transactional half of txn_manager.h (Kafka's TransactionManager for a
 * producer with transactional.id): the client states and their legal transitions, errors
 * as the client raises them, the partitions of the transaction, the results the blocking
 * calls wait for, the priority queue of transactional requests, and the API's state
 * changes. The idempotent bookkeeping is in txn_manager.c; the requests on the wire in
 * txn_requests.c. */
#include "txn_manager.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kafka/api.h"
#include "producer_internal.h"

/* ---- transactions: states and errors ---- */

static const char *const state_names[TM_N_STATES] = {
    "UNINITIALIZED",          "INITIALIZING",           "READY",
    "IN_TRANSACTION",         "COMMITTING_TRANSACTION", "ABORTING_TRANSACTION",
    "ABORTABLE_ERROR",        "FATAL_ERROR",
};

const char *tm_state_name(tm_state_t s)
{
    return s < TM_N_STATES ? state_names[s] : "?";
}

bool tm_transition_valid(tm_state_t from, tm_state_t to)
{
    switch (to) {
    case TM_UNINITIALIZED:
        return from == TM_READY || from == TM_ABORTABLE_ERROR;
    case TM_INITIALIZING:
        return from == TM_UNINITIALIZED || from == TM_ABORTING_TRANSACTION;
    case TM_READY:
        return from == TM_INITIALIZING || from == TM_COMMITTING_TRANSACTION ||
               from == TM_ABORTING_TRANSACTION;
    case TM_IN_TRANSACTION:
        return from == TM_READY;
    case TM_COMMITTING_TRANSACTION:
        return from == TM_IN_TRANSACTION;
    case TM_ABORTING_TRANSACTION:
        return from == TM_IN_TRANSACTION || from == TM_ABORTABLE_ERROR;
    case TM_ABORTABLE_ERROR:
        return from == TM_IN_TRANSACTION || from == TM_COMMITTING_TRANSACTION ||
               from == TM_ABORTABLE_ERROR || from == TM_INITIALIZING;
    case TM_FATAL_ERROR:
        return true; /* from anywhere; nothing leaves it */
    default:
        return false;
    }
}

const char *tm_exception_name(int16_t code)
{
    switch (code) {
    case KERR_PRODUCER_FENCED:
        return "ProducerFencedException";
    case KERR_INVALID_PRODUCER_EPOCH:
        return "InvalidProducerEpochException";
    case KERR_TRANSACTION_ABORTABLE:
        return "TransactionAbortableException";
    case KERR_INVALID_TXN_STATE:
        return "InvalidTxnStateException";
    case KERR_UNKNOWN_PRODUCER_ID:
        return "UnknownProducerIdException";
    case KERR_INVALID_PRODUCER_ID_MAPPING:
        return "InvalidPidMappingException";
    case KERR_OUT_OF_ORDER_SEQUENCE_NUMBER:
        return "OutOfOrderSequenceException";
    case KERR_FENCED_INSTANCE_ID:
        return "FencedInstanceIdException";
    case KERR_CONCURRENT_TRANSACTIONS:
        return "ConcurrentTransactionsException";
    case KERR_INVALID_TRANSACTION_TIMEOUT:
        return "InvalidTxnTimeoutException";
    case KERR_NOT_ENOUGH_REPLICAS:
        return "NotEnoughReplicasException";
    case KERR_MESSAGE_TOO_LARGE:
        return "RecordTooLargeException";
    case KERR_REQUEST_TIMED_OUT:
        return "TimeoutException";
    case KERR_NETWORK_EXCEPTION:
        return "NetworkException";
    case KERR_NOT_LEADER_OR_FOLLOWER:
        return "NotLeaderOrFollowerException";
    case KERR_UNKNOWN_TOPIC_OR_PARTITION:
        return "UnknownTopicOrPartitionException";
    default:
        /* Client-side codes are named by their exception already. */
        return code < 0 ? kerr_name(code) : "KafkaException";
    }
}

const char *tm_error_message(int16_t code)
{
    switch (code) {
    case KERR_PRODUCER_FENCED:
        return "There is a newer producer with the same transactionalId which fences the "
               "current one.";
    case KERR_INVALID_PRODUCER_EPOCH:
        return "Producer attempted to produce with an old epoch.";
    case KERR_TRANSACTION_ABORTABLE:
        return "The server encountered an error with the transaction. The client can abort "
               "the transaction to continue using this transactional ID.";
    case KERR_INVALID_TXN_STATE:
        return "The producer attempted a transactional operation in an invalid state.";
    case KERR_UNKNOWN_PRODUCER_ID:
        return "This exception is raised by the broker if it could not locate the producer "
               "metadata associated with the producerId in question.";
    case KERR_INVALID_PRODUCER_ID_MAPPING:
        return "The producer attempted to use a producer id which is not currently assigned "
               "to its transactional id.";
    case KERR_FENCED_INSTANCE_ID:
        return "The broker rejected this static consumer since another consumer with the same "
               "group.instance.id has registered with a different member.id.";
    case KERR_ILLEGAL_GENERATION:
        return "Specified group generation id is not valid.";
    case KERR_UNKNOWN_MEMBER_ID:
        return "The coordinator is not aware of this member.";
    case KERR_INVALID_TRANSACTION_TIMEOUT:
        return "The transaction timeout is larger than the maximum value allowed by the "
               "broker (as configured by transaction.max.timeout.ms).";
    default:
        return kerr_name(code);
    }
}

void tm_error_set(tm_error_t *e, int16_t code, const char *fmt, ...)
{
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

bool tm_is_transactional(const txn_manager_t *tm)
{
    return tm->transactional_id != NULL;
}

bool tm_has_error(const txn_manager_t *tm)
{
    return tm->state == TM_ABORTABLE_ERROR || tm->state == TM_FATAL_ERROR;
}

bool tm_is_completing(const txn_manager_t *tm)
{
    return tm->state == TM_COMMITTING_TRANSACTION || tm->state == TM_ABORTING_TRANSACTION;
}

static void illegal_state(const txn_manager_t *tm, tm_error_t *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void illegal_state(const txn_manager_t *tm, tm_error_t *err, const char *fmt, ...)
{
    (void)tm;
    err->code = KERR_CLIENT_ILLEGAL_STATE;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
}

bool tm_transition(txn_manager_t *tm, tm_state_t to, const tm_error_t *why, tm_error_t *err)
{
    tm_state_t from = tm->state;
    if (!tm_transition_valid(from, to)) {
        illegal_state(tm, err, "TransactionalId %s: Invalid transition attempted from state %s "
                      "to state %s", tm->transactional_id ? tm->transactional_id : "null",
                      tm_state_name(from), tm_state_name(to));
        return false;
    }
    if (to == TM_ABORTABLE_ERROR || to == TM_FATAL_ERROR) {
        assert(why && why->code != KERR_NONE);
        tm->last_error = *why;
    } else {
        tm->last_error = (tm_error_t){ 0 };
    }
    tm->state = to;
    if (tm->on_transition)
        tm->on_transition(tm->transition_ctx, from, to, why);
    return true;
}

/* A transition the client's own logic guarantees legal. */
static void transition_or_die(txn_manager_t *tm, tm_state_t to, const tm_error_t *why)
{
    tm_error_t err;
    bool ok = tm_transition(tm, to, why, &err);
    assert(ok);
    (void)ok;
}

void tm_abortable_error(txn_manager_t *tm, const tm_error_t *e)
{
    /* transitionToAbortableError: an abort under way stays one. */
    if (tm->state == TM_ABORTING_TRANSACTION)
        return;
    tm_error_t err;
    if (!tm_transition(tm, TM_ABORTABLE_ERROR, e, &err))
        tm_fatal_error(tm, &err); /* Kafka 3.9 poisons the state on an invalid transition */
}

void tm_fatal_error(txn_manager_t *tm, const tm_error_t *e)
{
    transition_or_die(tm, TM_FATAL_ERROR, e);
    if (tm->pending)
        tm_result_fail(tm->pending, e);
}

void tm_batch_error(txn_manager_t *tm, int16_t code, const char *msg)
{
    if (!tm_is_transactional(tm) || tm->state == TM_FATAL_ERROR)
        return;
    tm_error_t e;
    tm_error_set(&e, code, "%s", msg ? msg : tm_error_message(code));
    if (code == KERR_PRODUCER_FENCED) {
        tm_fatal_error(tm, &e);
        return;
    }
    /* Any other failed batch makes the transaction abortable, and the abort bumps the
     * epoch (canBumpEpoch: 3.9 coordinators support it). */
    if (!tm_is_completing(tm))
        tm->epoch_bump_required = true;
    tm_abortable_error(tm, &e);
}

bool tm_maybe_fail_with_error(const txn_manager_t *tm, tm_error_t *err)
{
    if (!tm_has_error(tm))
        return false;
    const tm_error_t *last = &tm->last_error;
    if (last->code == KERR_PRODUCER_FENCED) {
        tm_error_set(err, KERR_PRODUCER_FENCED, "Producer with transactionalId '%s' and "
                     "ProducerIdAndEpoch(producerId=%lld, epoch=%d) has been fenced by another "
                     "producer with the same transactionalId", tm->transactional_id,
                     (long long)tm->pid, tm->epoch);
    } else if (last->code == KERR_INVALID_PRODUCER_EPOCH) {
        tm_error_set(err, KERR_INVALID_PRODUCER_EPOCH, "Producer with transactionalId '%s' and "
                     "ProducerIdAndEpoch(producerId=%lld, epoch=%d) attempted to produce with "
                     "an old epoch", tm->transactional_id, (long long)tm->pid, tm->epoch);
    } else if (last->code == KERR_CLIENT_ILLEGAL_STATE) {
        tm_error_set(err, KERR_CLIENT_ILLEGAL_STATE, "Producer with transactionalId '%s' and "
                     "ProducerIdAndEpoch(producerId=%lld, epoch=%d) cannot execute transactional "
                     "method because of previous invalid state transition attempt",
                     tm->transactional_id, (long long)tm->pid, tm->epoch);
    } else {
        tm_error_set(err, KERR_CLIENT_KAFKA, "Cannot execute transactional method because we "
                     "are in an error state (caused by %s: %s)", tm_exception_name(last->code),
                     last->msg);
    }
    return true;
}

/* throwIfPendingState: an earlier blocking call timed out and must be called again. */
static bool pending_state(const txn_manager_t *tm, const char *op, tm_error_t *err)
{
    if (!tm->pending)
        return false;
    illegal_state(tm, err, "Cannot attempt operation `%s` because the previous call to `%s` "
                  "timed out and must be retried", op, tm->pending_op);
    return true;
}

/* ---- transactions: partitions ---- */

bool tm_check_send(const txn_manager_t *tm, tm_error_t *err)
{
    if (!tm_is_transactional(tm))
        return true;
    if (tm_has_error(tm)) {
        tm_error_set(err, KERR_CLIENT_KAFKA, "Cannot perform send because at least one previous "
                     "transactional or idempotent request has failed with errors. (caused by "
                     "%s: %s)", tm_exception_name(tm->last_error.code), tm->last_error.msg);
        return false;
    }
    if (pending_state(tm, "send", err))
        return false;
    if (!tm_has_pid(tm)) {
        illegal_state(tm, err, "Cannot perform a 'send' before completing a call to "
                      "initTransactions when transactions are enabled.");
        return false;
    }
    if (tm->state != TM_IN_TRANSACTION) {
        illegal_state(tm, err, "Cannot call send in state %s", tm_state_name(tm->state));
        return false;
    }
    return true;
}

void tm_maybe_add_partition(txn_manager_t *tm, const char *topic, int32_t partition)
{
    if (!tm_is_transactional(tm))
        return;
    tm_part_t *e = tm_part(tm, topic, partition);
    if (e->txn == TM_TP_NONE)
        e->txn = TM_TP_NEW;
}

bool tm_send_allowed(txn_manager_t *tm, const char *topic, int32_t partition)
{
    if (tm->state == TM_FATAL_ERROR)
        return false;
    return !tm_is_transactional(tm) || tm_part(tm, topic, partition)->txn == TM_TP_ADDED;
}

/* Calls fn on every bookkept partition, in first-use order. */
#define FOR_EACH_PART(tm, e)                                                                \
    for (int32_t t_ = 0; t_ < (tm)->n_topics; t_++)                                         \
        for (int32_t p_ = 0; p_ < (tm)->topics[t_].n; p_++)                                 \
            for (tm_part_t *e = (tm)->topics[t_].parts[p_]; e; e = NULL)

bool tm_has_partitions_to_add(const txn_manager_t *tm)
{
    FOR_EACH_PART(tm, e)
        if (e->txn == TM_TP_NEW || e->txn == TM_TP_PENDING)
            return true;
    return false;
}

static bool has_new_partitions(const txn_manager_t *tm)
{
    FOR_EACH_PART(tm, e)
        if (e->txn == TM_TP_NEW)
            return true;
    return false;
}

/* ---- transactions: results ---- */

static tm_result_t *result_new(const char *operation)
{
    tm_result_t *r = proto_calloc(1, sizeof *r);
    r->refs = 1;
    r->operation = operation;
    return r;
}

static tm_result_t *result_ref(tm_result_t *r)
{
    r->refs++;
    return r;
}

void tm_result_unref(tm_result_t *r)
{
    if (r && --r->refs == 0)
        free(r);
}

void tm_result_done(tm_result_t *r)
{
    if (r->completed)
        return;
    r->completed = true;
    r->err.code = KERR_NONE;
}

void tm_result_fail(tm_result_t *r, const tm_error_t *e)
{
    if (r->completed)
        return;
    r->completed = true;
    r->err = *e;
}

void tm_result_ack(txn_manager_t *tm, tm_result_t *r)
{
    r->acked = true;
    if (tm->pending == r) {
        tm_result_unref(tm->pending);
        tm->pending = NULL;
    }
}

/* handleCachedTransactionRequestResult: the result a timed-out call left for the same
 * operation, or NULL to start anew (*refused: a different operation is pending). */
static tm_result_t *cached_result(txn_manager_t *tm, tm_state_t next, const char *op,
                                  tm_error_t *err, bool *refused)
{
    *refused = false;
    if (!tm->pending)
        return NULL;
    if (tm->pending->acked) {
        tm_result_unref(tm->pending);
        tm->pending = NULL;
        return NULL;
    }
    if (next != tm->pending_state) {
        *refused = pending_state(tm, op, err);
        return NULL;
    }
    return result_ref(tm->pending);
}

static tm_result_t *remember_pending(txn_manager_t *tm, tm_result_t *r, tm_state_t next,
                                     const char *op)
{
    tm_result_unref(tm->pending);
    tm->pending = result_ref(r);
    tm->pending_state = next;
    tm->pending_op = op;
    return r;
}

/* ---- transactions: the request queue ---- */

static const int32_t priorities[] = {
    [TM_REQ_FIND_COORDINATOR] = 0,  [TM_REQ_INIT_PRODUCER_ID] = 1,
    [TM_REQ_ADD_PARTITIONS] = 2,    [TM_REQ_ADD_OFFSETS] = 2,
    [TM_REQ_TXN_OFFSET_COMMIT] = 2, [TM_REQ_END_TXN] = 3,
};
#define PRIORITY_EPOCH_BUMP 4

static tm_req_t *req_new(txn_manager_t *tm, tm_req_kind_t kind, tm_result_t *result)
{
    tm_req_t *r = proto_calloc(1, sizeof *r);
    r->kind = kind;
    r->priority = priorities[kind];
    r->backoff = tm->retry_backoff;
    r->result = result;
    return r;
}

static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d)
        abort();
    memcpy(d, s, n);
    return d;
}

void tm_req_free(tm_req_t *req)
{
    if (!req)
        return;
    tm_result_unref(req->result);
    free(req->key);
    free(req->parts);
    free((char *)req->gm.group_id);
    free((char *)req->gm.member_id);
    free((char *)req->gm.instance_id);
    free(req);
}

void tm_enqueue(txn_manager_t *tm, tm_req_t *req)
{
    if (tm->n_reqs == tm->cap_reqs) {
        tm->cap_reqs = tm->cap_reqs ? tm->cap_reqs * 2 : 8;
        tm->reqs = realloc(tm->reqs, (size_t)tm->cap_reqs * sizeof *tm->reqs);
        if (!tm->reqs)
            abort();
    }
    req->seq = tm->next_seq++;
    tm->reqs[tm->n_reqs++] = req;
}

void tm_lookup_coordinator(txn_manager_t *tm, int8_t key_type, const char *key)
{
    if (key_type == 0 /* COORD_KEY_GROUP */) {
        tm->group_coord = -1;
        free(tm->group_coord_key);
        tm->group_coord_key = dup_or_null(key);
    } else {
        tm->txn_coord = -1;
    }
    tm_req_t *r = req_new(tm, TM_REQ_FIND_COORDINATOR, result_new("FindCoordinator"));
    r->key_type = key_type;
    r->key = dup_or_null(key);
    tm_enqueue(tm, r);
}

/* The queue's head: lowest priority, then first enqueued (Kafka's PriorityQueue does not
 * promise an order among equals; first in, first out is one it may take). */
static int32_t peek(const txn_manager_t *tm)
{
    int32_t best = -1;
    for (int32_t i = 0; i < tm->n_reqs; i++) {
        const tm_req_t *r = tm->reqs[i];
        if (best < 0 || r->priority < tm->reqs[best]->priority ||
            (r->priority == tm->reqs[best]->priority && r->seq < tm->reqs[best]->seq))
            best = i;
    }
    return best;
}

static tm_req_t *take(txn_manager_t *tm, int32_t i)
{
    tm_req_t *r = tm->reqs[i];
    memmove(&tm->reqs[i], &tm->reqs[i + 1], (size_t)(tm->n_reqs - i - 1) * sizeof *tm->reqs);
    tm->n_reqs--;
    return r;
}

/* addPartitionsToTransactionHandler: every new partition becomes pending; the request
 * names all the pending ones. */
static tm_req_t *add_partitions_request(txn_manager_t *tm)
{
    tm_req_t *r = req_new(tm, TM_REQ_ADD_PARTITIONS, result_new("AddPartitionsToTxn"));
    FOR_EACH_PART(tm, e) {
        if (e->txn == TM_TP_NEW)
            e->txn = TM_TP_PENDING;
        if (e->txn == TM_TP_PENDING) {
            r->parts = realloc(r->parts, (size_t)(r->n_parts + 1) * sizeof *r->parts);
            if (!r->parts)
                abort();
            r->parts[r->n_parts++] = e;
        }
    }
    return r;
}

tm_req_t *tm_next_request(txn_manager_t *tm, bool incomplete_batches)
{
    if (has_new_partitions(tm))
        tm_enqueue(tm, add_partitions_request(tm));
    for (;;) {
        int32_t i = peek(tm);
        if (i < 0)
            return NULL;
        /* The EndTxn goes only once every batch of the transaction is done. */
        if (tm->reqs[i]->kind == TM_REQ_END_TXN && incomplete_batches)
            return NULL;
        tm_req_t *r = take(tm, i);
        /* maybeTerminateRequestWithError: in an error state requests fail, except that a
         * FindCoordinator may still go when an abort is expected. */
        if (tm_has_error(tm) &&
            !(tm->state == TM_ABORTABLE_ERROR && r->kind == TM_REQ_FIND_COORDINATOR)) {
            tm_result_fail(r->result, &tm->last_error);
            tm_req_free(r);
            return NULL;
        }
        /* Nothing was added: the coordinator has nothing to end. */
        if (r->kind == TM_REQ_END_TXN && !tm->transaction_started) {
            tm_result_done(r->result);
            if (tm->state != TM_FATAL_ERROR)
                tm_complete_transaction(tm);
            tm_req_free(r);
            continue;
        }
        return r;
    }
}

void tm_complete_transaction(txn_manager_t *tm)
{
    transition_or_die(tm, tm->epoch_bump_required ? TM_INITIALIZING : TM_READY, NULL);
    tm->last_error = (tm_error_t){ 0 };
    tm->epoch_bump_required = false;
    tm->transaction_started = false;
    FOR_EACH_PART(tm, e)
        e->txn = TM_TP_NONE;
}

void tm_txn_init_done(txn_manager_t *tm, int64_t pid, int16_t epoch)
{
    /* After an epoch bump every partition is on an older epoch and restarts at sequence 0
     * with its next batch (resetSequenceNumbers). */
    tm->pid = pid;
    tm->epoch = epoch;
    transition_or_die(tm, TM_READY, NULL);
}

/* ---- transactions: the API's state changes ---- */

static bool ensure_transactional(const txn_manager_t *tm, tm_error_t *err)
{
    if (tm_is_transactional(tm))
        return true;
    illegal_state(tm, err, "Transactional method invoked on a non-transactional producer.");
    return false;
}

static tm_result_t *init_request(txn_manager_t *tm, bool epoch_bump)
{
    tm_result_t *r = result_new("InitProducerId");
    tm_req_t *req = req_new(tm, TM_REQ_INIT_PRODUCER_ID, result_ref(r));
    req->epoch_bump = epoch_bump;
    if (epoch_bump)
        req->priority = PRIORITY_EPOCH_BUMP;
    tm_enqueue(tm, req);
    return r;
}

tm_result_t *tm_initialize_transactions(txn_manager_t *tm, tm_error_t *err)
{
    if (!ensure_transactional(tm, err) || tm_maybe_fail_with_error(tm, err))
        return NULL;
    bool refused;
    tm_result_t *r = cached_result(tm, TM_INITIALIZING, "initTransactions", err, &refused);
    if (r || refused)
        return r;
    if (!tm_transition(tm, TM_INITIALIZING, NULL, err))
        return NULL;
    r = init_request(tm, false);
    return remember_pending(tm, r, TM_INITIALIZING, "initTransactions");
}

bool tm_begin_transaction(txn_manager_t *tm, tm_error_t *err)
{
    return ensure_transactional(tm, err) && !pending_state(tm, "beginTransaction", err) &&
           !tm_maybe_fail_with_error(tm, err) && tm_transition(tm, TM_IN_TRANSACTION, NULL, err);
}

tm_result_t *tm_send_offsets(txn_manager_t *tm, const producer_offset_t *offsets, int32_t n,
                             const producer_group_meta_t *gm, tm_error_t *err)
{
    if (!ensure_transactional(tm, err) || pending_state(tm, "sendOffsetsToTransaction", err) ||
        tm_maybe_fail_with_error(tm, err))
        return NULL;
    if (tm->state != TM_IN_TRANSACTION) {
        tm_error_set(err, KERR_CLIENT_KAFKA, "Cannot send offsets if a transaction is not in "
                     "progress (currentState= %s)", tm_state_name(tm->state));
        return NULL;
    }
    /* The offsets wait here until the AddOffsetsToTxn is through (pendingTxnOffsetCommits);
     * a partition named again takes the newer offset. */
    for (int32_t i = 0; i < n; i++) {
        int32_t j = 0;
        while (j < tm->n_pending_offsets &&
               !(tm->pending_offsets[j].topic == offsets[i].topic &&
                 tm->pending_offsets[j].partition == offsets[i].partition))
            j++;
        if (j == tm->n_pending_offsets) {
            tm->pending_offsets = realloc(tm->pending_offsets,
                                          (size_t)(j + 1) * sizeof *tm->pending_offsets);
            if (!tm->pending_offsets)
                abort();
            tm->n_pending_offsets++;
        }
        tm->pending_offsets[j] = offsets[i];
    }
    tm_result_t *r = result_new("AddOffsetsToTxn");
    tm_req_t *req = req_new(tm, TM_REQ_ADD_OFFSETS, result_ref(r));
    req->gm = (producer_group_meta_t){ dup_or_null(gm->group_id), dup_or_null(gm->member_id),
                                       dup_or_null(gm->instance_id), gm->generation };
    tm_enqueue(tm, req);
    return r;
}

/* The TxnOffsetCommit that follows a successful AddOffsetsToTxn, completing its result. */
tm_req_t *tm_txn_offset_commit_request(txn_manager_t *tm, const tm_req_t *add_offsets)
{
    tm_req_t *req = req_new(tm, TM_REQ_TXN_OFFSET_COMMIT, result_ref(add_offsets->result));
    const producer_group_meta_t *gm = &add_offsets->gm;
    req->gm = (producer_group_meta_t){ dup_or_null(gm->group_id), dup_or_null(gm->member_id),
                                       dup_or_null(gm->instance_id), gm->generation };
    return req;
}

/* beginCompletingTransaction: the partitions still to add, the EndTxn, and with an epoch
 * bump required the InitProducerId after it, whose result the caller waits for. */
static tm_result_t *begin_completing(txn_manager_t *tm, bool commit)
{
    if (has_new_partitions(tm))
        tm_enqueue(tm, add_partitions_request(tm));
    tm_result_t *r = NULL;
    if (tm->last_error.code != KERR_INVALID_PRODUCER_ID_MAPPING) {
        r = result_new("EndTxn");
        tm_req_t *req = req_new(tm, TM_REQ_END_TXN, result_ref(r));
        req->commit = commit;
        tm_enqueue(tm, req);
        if (!tm->epoch_bump_required)
            return r;
        tm_result_unref(r);
    }
    return init_request(tm, true);
}

/* beginCommit and beginAbort. */
static tm_result_t *begin_end(txn_manager_t *tm, bool commit, tm_error_t *err)
{
    tm_state_t next = commit ? TM_COMMITTING_TRANSACTION : TM_ABORTING_TRANSACTION;
    const char *op = commit ? "commitTransaction" : "abortTransaction";
    if (!ensure_transactional(tm, err))
        return NULL;
    bool refused;
    tm_result_t *r = cached_result(tm, next, op, err, &refused);
    if (r || refused)
        return r;
    /* An abortable error allows exactly one thing: the abort. */
    bool abort_after_error = !commit && tm->state == TM_ABORTABLE_ERROR;
    if ((!abort_after_error && tm_maybe_fail_with_error(tm, err)) ||
        !tm_transition(tm, next, NULL, err))
        return NULL;
    if (!commit) {
        /* Nothing more needs adding to a transaction that is being aborted. */
        FOR_EACH_PART(tm, e)
            if (e->txn == TM_TP_NEW)
                e->txn = TM_TP_NONE;
    }
    r = begin_completing(tm, commit);
    return remember_pending(tm, r, next, op);
}

tm_result_t *tm_begin_commit(txn_manager_t *tm, tm_error_t *err)
{
    return begin_end(tm, true, err);
}

tm_result_t *tm_begin_abort(txn_manager_t *tm, tm_error_t *err)
{
    return begin_end(tm, false, err);
}
