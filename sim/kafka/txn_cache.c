/* txn_cache: the transaction coordinator's ids in memory (Kafka's TransactionStateManager):
 * the ids of the __transaction_state partitions this broker leads, sorted, with the
 * coordinator epoch each was loaded under; the writes of their changes to the partition's
 * log and their completion when the HW covers them (appendTransactionToLog, acks=-1); the
 * loading of a partition when this broker becomes its leader and the unloading when it
 * stops. What a completed write goes on with is txn_coordinator.c's (tcoord_written). */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hash.h"
#include "../core/sorted.h"
#include "../trace.h"
#include "api.h"
#include "protocol.h"
#include "txn_internal.h"

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

int32_t tcache_index(const tcoord_t *tc, const char *id, bool *found)
{
    id_key_t k = { tc, id };
    return sorted_find(tc->n_ids, id_at, &k, found);
}

tentry_t *tcoord_entry(const tcoord_t *tc, const char *id)
{
    bool found;
    int32_t i = tcache_index(tc, id, &found);
    return found ? tc->ids[i] : NULL;
}

tentry_t *tcache_add(tcoord_t *tc, txn_meta_t *m, int32_t partition)
{
    bool found;
    int32_t i = tcache_index(tc, m->id, &found);
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

bool tcache_is_state_partition(const tcoord_t *tc, const bpartition_t *part)
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

cJSON *tcoord_trace_id(tcoord_t *tc, const char *kind, const txn_meta_t *m)
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
    cJSON *ev = tcoord_trace_id(tc, "txn_state", m);
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "from", txn_state_name(from));
    cJSON_AddStringToObject(ev, "to", txn_state_name(m->state));
    cJSON_AddItemToObject(ev, "partitions", tps_json(&m->parts));
    cJSON_AddStringToObject(ev, "reason", reason);
    world_emit(tc->b->w, ev);
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
void tcache_append(tcoord_t *tc, tentry_t *e, tap_kind_t kind, txn_transit_t *t, msg_t *req,
                   const char *reason, int64_t pid, int16_t epoch, bool fence)
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
    broker_trace_append(tc->b, part);
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
    if (tcache_is_state_partition(tc, part))
        complete_appends(tc);
}

/* updateCacheCallback: the change takes effect (or its pending state is dropped), then the
 * coordinator goes on with the request. Frees a's contents. */
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
    tcoord_written(tc, current ? e : NULL, a, err);
    append_free(tc, a); /* cancels its timeout (the expiry path cleared it already) */
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
    tcache_add(tc, m, p);
}

/* loadTransactionsForTxnTopicPartition: the partition's ids as its log has them; a
 * transaction found in PrepareCommit/PrepareAbort gets its markers sent again under the
 * new coordinator epoch. (PrepareEpochFence is never written, so none is found.) */
void tcache_load(tcoord_t *tc, const bpartition_t *part)
{
    int32_t p = part->partition;
    unload(tc, p);
    tc->loaded_epoch[p] = part->reg.leader_epoch;
    int32_t n = txn_load(&part->log, tc->b->w, load_one, tc);
    cJSON *ev = n ? world_trace(tc->b->w, tc->b->node, "txn_loaded") : NULL;
    cJSON *ids = NULL, *states = NULL, *completing = NULL;
    if (ev) {
        trace_add_tp(ev, TXN_STATE_TOPIC, p);
        trace_add_int(ev, "coordinator_epoch", part->reg.leader_epoch);
        ids = cJSON_AddArrayToObject(ev, "transactional_ids");
        states = cJSON_AddObjectToObject(ev, "states");
        completing = cJSON_AddArrayToObject(ev, "completing");
    }
    for (int32_t i = 0; i < tc->n_ids; i++) {
        tentry_t *e = tc->ids[i];
        if (e->partition != p)
            continue;
        if (ids) {
            cJSON_AddItemToArray(ids, cJSON_CreateString(e->m->id));
            cJSON_AddStringToObject(states, e->m->id, txn_state_name(e->m->state));
        }
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
        int16_t ok = txn_prepare_complete(e->m, tcoord_now_ms(tc), &e->complete);
        assert(ok == KERR_NONE);
        (void)ok;
        tmark_start(tc, e);
    }
}

void tcoord_resigned(tcoord_t *tc, const bpartition_t *part)
{
    if (tcache_is_state_partition(tc, part))
        unload(tc, part->partition);
}

void tcoord_crash(tcoord_t *tc)
{
    forget_all(tc);
}

/* getTransactionState: the id's entry (NULL when this coordinator has none) when this
 * broker leads its partition, else NOT_COORDINATOR. */
int16_t tcache_lookup(tcoord_t *tc, const char *id, tentry_t **e)
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
        tcache_load(tc, part);
    *e = tcoord_entry(tc, id);
    return KERR_NONE;
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
