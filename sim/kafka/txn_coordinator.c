/* txn_coordinator: the broker's transaction coordinator. Requests prepare a change of a
 * transactional id's metadata (txn_state.c), the change is written to the id's
 * __transaction_state partition and takes effect once the HW covers it
 * (TransactionStateManager.appendTransactionToLog with acks=-1); txn_markers.c writes the
 * markers of a transaction being completed. */
#include "txn_coordinator.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hash.h"
#include "../core/sorted.h"
#include "../trace.h"
#include "api.h"
#include "group_coordinator.h"
#include "protocol.h"
#include "txn_internal.h"

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

static int64_t now_ms(const tcoord_t *tc)
{
    return tc->b->w->now / US_PER_MS;
}

tcoord_t *tcoord_new(broker_t *b, const config_t *cfg)
{
    tcoord_t *tc = proto_calloc(1, sizeof *tc);
    tc->b = b;
    tc->n_partitions = config_int(cfg, "transaction.state.log.num.partitions");
    tc->offsets_partitions = config_int(cfg, "offsets.topic.num.partitions");
    tc->max_timeout_ms = config_int(cfg, "transaction.max.timeout.ms");
    tc->cleanup_us =
        config_duration_us(cfg, "transaction.abort.timed.out.transaction.cleanup.interval.ms");
    tc->loaded_epoch = proto_calloc((size_t)tc->n_partitions, sizeof *tc->loaded_epoch);
    for (int32_t i = 0; i < tc->n_partitions; i++)
        tc->loaded_epoch[i] = -1;
    return tc;
}

static void entry_free(tentry_t *e)
{
    txn_meta_free(e->m);
    if (e->marking)
        txn_transit_free(&e->complete);
    txn_tps_free(&e->unsent);
    free(e);
}

static void append_free(tcoord_t *tc, tappend_t *a)
{
    world_cancel(tc->b->w, a->timer);
    if (a->req)
        msg_unref(tc->b->w, a->req);
    txn_transit_free(&a->t);
    free(a->id);
}

/* Everything in memory goes (a crash, or the end of the run). */
static void forget_all(tcoord_t *tc)
{
    tmark_forget(tc, -1);
    for (int32_t i = 0; i < tc->n_appends; i++)
        append_free(tc, &tc->appends[i]);
    free(tc->appends);
    tc->appends = NULL;
    tc->n_appends = 0;
    for (int32_t i = 0; i < tc->n_ids; i++)
        entry_free(tc->ids[i]);
    free(tc->ids);
    tc->ids = NULL;
    tc->n_ids = 0;
    for (int32_t i = 0; i < tc->n_partitions; i++)
        tc->loaded_epoch[i] = -1;
    tc->retry_armed = tc->cleanup_armed = false;
}

void tcoord_free(tcoord_t *tc)
{
    if (!tc)
        return;
    forget_all(tc);
    free(tc->reqs);
    free(tc->loaded_epoch);
    free(tc);
}

int32_t tcoord_partition_for(const char *transactional_id, int32_t partitions)
{
    return hash_kafka_abs(hash_java_string(transactional_id)) % partitions;
}

/* ---- the ids in memory ---- */

typedef struct id_key {
    const tcoord_t *tc;
    const char *id;
} id_key_t;

static int id_at(const void *ctx, int32_t i)
{
    const id_key_t *k = ctx;
    return strcmp(k->tc->ids[i]->m->id, k->id);
}

static int32_t find_index(const tcoord_t *tc, const char *id, bool *found)
{
    id_key_t k = { tc, id };
    return sorted_find(tc->n_ids, id_at, &k, found);
}

tentry_t *tcoord_entry(const tcoord_t *tc, const char *id)
{
    bool found;
    int32_t i = find_index(tc, id, &found);
    return found ? tc->ids[i] : NULL;
}

static tentry_t *add_entry(tcoord_t *tc, txn_meta_t *m, int32_t partition)
{
    bool found;
    int32_t i = find_index(tc, m->id, &found);
    assert(!found);
    tentry_t *e = proto_calloc(1, sizeof *e);
    e->m = m;
    e->partition = partition;
    e->coord_epoch = tc->loaded_epoch[partition];
    tc->ids = realloc(tc->ids, (size_t)(tc->n_ids + 1) * sizeof *tc->ids);
    if (!tc->ids)
        abort();
    memmove(&tc->ids[i + 1], &tc->ids[i], (size_t)(tc->n_ids - i) * sizeof *tc->ids);
    tc->ids[i] = e;
    tc->n_ids++;
    return e;
}

static bool is_state_partition(const tcoord_t *tc, const bpartition_t *part)
{
    return strcmp(part->topic, TXN_STATE_TOPIC) == 0 && part->partition < tc->n_partitions;
}

static void complete_appends(tcoord_t *tc);

static void unload(tcoord_t *tc, int32_t partition)
{
    if (tc->loaded_epoch[partition] < 0)
        return;
    tc->loaded_epoch[partition] = -1;
    tmark_forget(tc, partition);
    for (int32_t i = tc->n_ids - 1; i >= 0; i--)
        if (tc->ids[i]->partition == partition) {
            entry_free(tc->ids[i]);
            memmove(&tc->ids[i], &tc->ids[i + 1], (size_t)(tc->n_ids - i - 1) * sizeof *tc->ids);
            tc->n_ids--;
        }
    complete_appends(tc); /* writes waiting on the partition hear NOT_COORDINATOR */
}

/* ---- trace ---- */

static cJSON *trace_id(tcoord_t *tc, const char *kind, const txn_meta_t *m)
{
    cJSON *ev = world_trace(tc->b->w, tc->b->node, kind);
    if (ev) {
        cJSON_AddStringToObject(ev, "transactional_id", m->id);
        trace_add_int(ev, "producer_id", m->producer_id);
        trace_add_int(ev, "producer_epoch", m->producer_epoch);
    }
    return ev;
}

static cJSON *tps_json(const txn_tps_t *s)
{
    cJSON *a = cJSON_CreateArray();
    for (int32_t i = 0; i < s->n; i++) {
        char name[300];
        snprintf(name, sizeof name, "%s-%d", s->v[i].topic, s->v[i].partition);
        cJSON_AddItemToArray(a, cJSON_CreateString(name));
    }
    return a;
}

/* A change took effect, with the transaction's partitions after it (none once complete). */
static void trace_state(tcoord_t *tc, const txn_meta_t *m, txn_state_t from,
                        const char *reason)
{
    cJSON *ev = trace_id(tc, "txn_state", m);
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "from", txn_state_name(from));
    cJSON_AddStringToObject(ev, "to", txn_state_name(m->state));
    cJSON_AddItemToObject(ev, "partitions", tps_json(&m->parts));
    cJSON_AddStringToObject(ev, "reason", reason);
    world_emit(tc->b->w, ev);
}

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

/* ---- writes to __transaction_state ---- */

static void append_done(tcoord_t *tc, tappend_t *a, int16_t err);

static void append_expired(void *ctx, void *unused, int64_t serial)
{
    tcoord_t *tc = ctx;
    for (int32_t i = 0; i < tc->n_appends; i++)
        if (tc->appends[i].serial == (uint64_t)serial) {
            tappend_t a = tc->appends[i];
            a.timer = 0;
            memmove(&tc->appends[i], &tc->appends[i + 1],
                    (size_t)(tc->n_appends - i - 1) * sizeof a);
            tc->n_appends--;
            /* REQUEST_TIMED_OUT, as the coordinator maps it */
            append_done(tc, &a, KERR_COORDINATOR_NOT_AVAILABLE);
            return;
        }
}

/* appendTransactionToLog: the record goes to the leader's log with acks=-1 and a timeout
 * of the transaction's timeout; the change takes effect when the HW covers it. Takes
 * ownership of *t and of the caller's reference to req. */
static void append_as(tcoord_t *tc, tentry_t *e, tap_kind_t kind, txn_transit_t *t,
                      msg_t *req, const char *reason, int64_t pid, int16_t epoch, bool fence)
{
    tappend_t a = { kind, gp_strdup(e->m->id), e->partition, e->coord_epoch, 0, *t, req,
                    pid, epoch, fence, reason, ++tc->next_serial, 0 };
    int16_t err;
    bpartition_t *part = broker_led(tc->b, TXN_STATE_TOPIC, e->partition, &err);
    if (!part || part->reg.leader_epoch != e->coord_epoch) {
        append_done(tc, &a, KERR_NOT_COORDINATOR);
        return;
    }
    /* NOT_ENOUGH_REPLICAS below transaction.state.log.min.isr, answered as
     * COORDINATOR_NOT_AVAILABLE */
    if (part->reg.n_isr < part_min_isr(tc->b, part)) {
        append_done(tc, &a, KERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    char *key, *value;
    txn_record(e->m->id, t, &key, &value);
    bytes_t k = { key, (int32_t)strlen(key) }, v = { value, (int32_t)strlen(value) };
    log_input_t in = { tc->b->w->now, k, v };
    log_append_t meta = { .producer_id = -1, .producer_epoch = -1, .base_sequence = -1,
                          .leader_epoch = part->reg.leader_epoch,
                          .size = RECORD_BATCH_OVERHEAD + record_size_in_batch(0, 0, k, v) };
    plog_append(&part->log, &in, 1, &meta);
    free(key);
    free(value);
    a.required = part->log.leo;
    a.timer = node_timer(tc->b->node, (int64_t)t->timeout_ms * US_PER_MS, append_expired, tc,
                         NULL, (int64_t)a.serial);
    tc->appends = realloc(tc->appends, (size_t)(tc->n_appends + 1) * sizeof *tc->appends);
    if (!tc->appends)
        abort();
    tc->appends[tc->n_appends++] = a;
    if (part_maybe_advance_hw(tc->b, part))
        fetch_try_complete(tc->b);
    fetch_try_complete(tc->b); /* followers waiting for data */
    complete_appends(tc);
}

static void append(tcoord_t *tc, tentry_t *e, tap_kind_t kind, txn_transit_t *t, msg_t *req,
                   const char *reason)
{
    append_as(tc, e, kind, t, req, reason, -1, -1, false);
}

/* Answers the writes the HW now covers, and those whose partition this broker no longer
 * leads under the same epoch. One at a time: an answer may write again. */
static void complete_appends(tcoord_t *tc)
{
    for (;;) {
        int32_t i;
        int16_t result = KERR_NONE;
        for (i = 0; i < tc->n_appends; i++) {
            tappend_t *a = &tc->appends[i];
            int16_t err;
            bpartition_t *part = broker_led(tc->b, TXN_STATE_TOPIC, a->partition, &err);
            if (!part || part->reg.leader_epoch != a->coord_epoch) {
                result = KERR_NOT_COORDINATOR;
                break;
            }
            if (part->log.hw >= a->required)
                break;
        }
        if (i == tc->n_appends)
            return;
        tappend_t a = tc->appends[i];
        memmove(&tc->appends[i], &tc->appends[i + 1], (size_t)(tc->n_appends - i - 1) * sizeof a);
        tc->n_appends--;
        append_done(tc, &a, result);
    }
}

void tcoord_hw_advanced(tcoord_t *tc, const bpartition_t *part)
{
    if (is_state_partition(tc, part))
        complete_appends(tc);
}

static void end_written(tcoord_t *tc, tentry_t *e, tappend_t *a, int16_t err);

/* updateCacheCallback, then what the request goes on with. Frees a's contents. */
static void append_done(tcoord_t *tc, tappend_t *a, int16_t err)
{
    tentry_t *e = tcoord_entry(tc, a->id);
    bool current = e && e->coord_epoch == a->coord_epoch &&
                   tc->loaded_epoch[e->partition] == a->coord_epoch;
    if (err == KERR_NONE && !current)
        err = KERR_NOT_COORDINATOR;
    if (err == KERR_NONE) {
        txn_state_t from = e->m->state;
        int16_t ok = txn_complete(e->m, &a->t);
        assert(ok == KERR_NONE);
        (void)ok;
        trace_state(tc, e->m, from, a->reason);
    } else if (current && !(a->kind == TAP_COMPLETE && err == KERR_COORDINATOR_NOT_AVAILABLE)) {
        e->m->pending = TXN_NO_PENDING; /* a completion is retried: it stays pending */
    }
    switch (a->kind) {
    case TAP_INIT:
        reply_init(tc, a->req, err, a->t.producer_id, a->t.producer_epoch);
        break;
    case TAP_ADD:
        reply_error(tc, a->req, err);
        break;
    case TAP_END:
        end_written(tc, current ? e : NULL, a, err);
        break;
    case TAP_COMPLETE:
        if (err == KERR_NONE) {
            e->marking = false;
            txn_transit_free(&e->complete);
        } else if (err == KERR_COORDINATOR_NOT_AVAILABLE && current) {
            /* txnLogAppendRetryQueue: written again after a back-off */
            e->completion_retry = true;
            tmark_arm_retry(tc);
        }
        break;
    }
    a->timer = 0;
    append_free(tc, a);
}

void tcoord_write_completion(tcoord_t *tc, tentry_t *e)
{
    txn_transit_t t = e->complete;
    txn_tps_copy(&t.parts, &e->complete.parts);
    e->completion_retry = false;
    append(tc, e, TAP_COMPLETE, &t, NULL, e->commit ? "markers written (commit)"
                                                    : "markers written (abort)");
}

/* ---- loading ---- */

static void load_one(void *ctx, const char *id, const txn_transit_t *t)
{
    tcoord_t *tc = ctx;
    int32_t p = tcoord_partition_for(id, tc->n_partitions);
    txn_meta_t *m = txn_meta_new(id, t->producer_id, t->timeout_ms, t->update_ms);
    m->producer_epoch = t->producer_epoch;
    m->state = t->state;
    txn_tps_copy(&m->parts, &t->parts);
    m->start_ms = t->start_ms;
    add_entry(tc, m, p);
}

/* loadTransactionsForTxnTopicPartition: the partition's ids as its log has them; a
 * transaction found in PrepareCommit/PrepareAbort gets its markers sent again under the
 * new coordinator epoch. (PrepareEpochFence is never written, so none is found.) */
static void load(tcoord_t *tc, const bpartition_t *part)
{
    int32_t p = part->partition;
    unload(tc, p);
    tc->loaded_epoch[p] = part->reg.leader_epoch;
    int32_t n = txn_load(&part->log, tc->b->w, load_one, tc);
    cJSON *ev = n ? world_trace(tc->b->w, tc->b->node, "txn_loaded") : NULL;
    cJSON *ids = NULL, *completing = NULL;
    if (ev) {
        trace_add_tp(ev, TXN_STATE_TOPIC, p);
        trace_add_int(ev, "coordinator_epoch", part->reg.leader_epoch);
        ids = cJSON_AddArrayToObject(ev, "transactional_ids");
        completing = cJSON_AddArrayToObject(ev, "completing");
    }
    for (int32_t i = 0; i < tc->n_ids; i++) {
        tentry_t *e = tc->ids[i];
        if (e->partition != p)
            continue;
        if (ids)
            cJSON_AddItemToArray(ids, cJSON_CreateString(e->m->id));
        if (e->m->state != TXN_PREPARE_COMMIT && e->m->state != TXN_PREPARE_ABORT)
            continue;
        if (completing)
            cJSON_AddItemToArray(completing, cJSON_CreateString(e->m->id));
    }
    if (ev)
        world_emit(tc->b->w, ev);
    for (int32_t i = 0; i < tc->n_ids; i++) {
        tentry_t *e = tc->ids[i];
        if (e->partition != p ||
            (e->m->state != TXN_PREPARE_COMMIT && e->m->state != TXN_PREPARE_ABORT))
            continue;
        e->commit = e->m->state == TXN_PREPARE_COMMIT;
        int16_t ok = txn_prepare_complete(e->m, now_ms(tc), &e->complete);
        assert(ok == KERR_NONE);
        (void)ok;
        tmark_start(tc, e);
    }
}

static void cleanup_task(void *ctx, void *unused, int64_t arg);

void tcoord_elected(tcoord_t *tc, const bpartition_t *part)
{
    if (!is_state_partition(tc, part))
        return;
    load(tc, part);
    if (!tc->cleanup_armed) {
        tc->cleanup_armed = true;
        node_timer_bg(tc->b->node, tc->cleanup_us, cleanup_task, tc, NULL, 0);
    }
}

void tcoord_resigned(tcoord_t *tc, const bpartition_t *part)
{
    if (is_state_partition(tc, part))
        unload(tc, part->partition);
}

void tcoord_crash(tcoord_t *tc)
{
    forget_all(tc);
}

/* getTransactionState: the id's entry (NULL when this coordinator has none) when this
 * broker leads its partition, else NOT_COORDINATOR. */
static int16_t lookup(tcoord_t *tc, const char *id, tentry_t **e)
{
    *e = NULL;
    int32_t p = tcoord_partition_for(id, tc->n_partitions);
    int16_t err;
    bpartition_t *part = broker_led(tc->b, TXN_STATE_TOPIC, p, &err);
    if (!part) {
        unload(tc, p);
        return KERR_NOT_COORDINATOR;
    }
    if (tc->loaded_epoch[p] != part->reg.leader_epoch)
        load(tc, part);
    *e = tcoord_entry(tc, id);
    return KERR_NONE;
}

/* ---- EndTxn ---- */

/* endTransaction: from a client (EndTxn), or the coordinator's own abort of a fenced or
 * timed-out transaction (from_client false, with the bumped epoch). */
static void end_txn(tcoord_t *tc, const char *id, int64_t pid, int16_t epoch, bool commit,
                    bool from_client, msg_t *req, const char *reason)
{
    tentry_t *e;
    int16_t err = lookup(tc, id, &e);
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
            int16_t ok = txn_prepare_end(m, commit, now_ms(tc), &t);
            assert(ok == KERR_NONE);
            (void)ok;
            append_as(tc, e, TAP_END, &t, req, reason, pid, epoch, fence);
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
static void end_written(tcoord_t *tc, tentry_t *e, tappend_t *a, int16_t err)
{
    if (err != KERR_NONE) {
        if (a->epoch_fence && e)
            e->m->failed_epoch_fence = true; /* the epoch was bumped but never handed out */
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
    int16_t ok = txn_prepare_complete(m, now_ms(tc), &e->complete);
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
    cJSON *ev = trace_id(tc, "txn_fenced", m);
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
    if (!*id) {
        reply_init(tc, msg, KERR_INVALID_REQUEST, -1, -1);
        return;
    }
    if (req->txn_timeout_ms <= 0 || req->txn_timeout_ms > tc->max_timeout_ms) {
        reply_init(tc, msg, KERR_INVALID_TRANSACTION_TIMEOUT, -1, -1);
        return;
    }
    tentry_t *e;
    int16_t err = lookup(tc, id, &e);
    if (err == KERR_NONE && !e) {
        int64_t pid = pids_generate(tc->b, &err);
        if (err == KERR_NONE)
            e = add_entry(tc, txn_meta_new(id, pid, req->txn_timeout_ms, now_ms(tc)),
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
                err = txn_prepare_rotate(m, pid, req->txn_timeout_ms, expected, now_ms(tc), &t);
        } else {
            err = txn_prepare_increment_epoch(m, req->txn_timeout_ms, expected,
                                              req->producer_epoch, now_ms(tc), &t);
        }
        if (err == KERR_NONE) {
            msg_ref(msg);
            append(tc, e, TAP_INIT, &t, msg, "InitProducerId");
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
    int16_t err = !id || !*id ? KERR_INVALID_REQUEST : lookup(tc, id, &e);
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
        err = txn_prepare_add_partitions(m, parts, now_ms(tc), &t);
        if (err == KERR_NONE) {
            msg_ref(msg);
            append(tc, e, TAP_ADD, &t, msg, reason);
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
    int64_t now = now_ms(tc);
    for (int32_t i = 0; i < tc->n_ids; i++) {
        tentry_t *e = tc->ids[i];
        txn_meta_t *m = e->m;
        if (m->state != TXN_ONGOING || m->pending != TXN_NO_PENDING ||
            m->start_ms + m->timeout_ms >= now)
            continue;
        int16_t err;
        if (!broker_led(tc->b, TXN_STATE_TOPIC, e->partition, &err))
            continue;
        cJSON *ev = trace_id(tc, "txn_timeout", m);
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
        i = find_index(tc, id, &found) - (found ? 0 : 1);
        free(id);
    }
    node_timer_bg(tc->b->node, tc->cleanup_us, cleanup_task, tc, NULL, 0);
}

/* ---- inspection ---- */

int32_t tcoord_count(const tcoord_t *tc)
{
    return tc->n_ids;
}

const txn_meta_t *tcoord_txn(const tcoord_t *tc, int32_t i)
{
    return i >= 0 && i < tc->n_ids ? tc->ids[i]->m : NULL;
}

const txn_meta_t *tcoord_find(const tcoord_t *tc, const char *id)
{
    const tentry_t *e = tcoord_entry(tc, id);
    return e ? e->m : NULL;
}

void tcoord_response(tcoord_t *tc, const msg_t *m)
{
    tmark_response(tc, m);
}

void tcoord_disconnect(tcoord_t *tc, int32_t peer, uint32_t conn)
{
    tmark_disconnect(tc, peer, conn);
}
