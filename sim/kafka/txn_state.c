#include "txn_state.h"

#include <stdlib.h>
#include <string.h>

#include "../core/sorted.h"
#include "../trace.h"
#include "api.h"
#include "group_protocol.h"
#include "protocol.h"

static const char *const names[TXN_N_STATES] = {
    "Empty", "Ongoing", "PrepareCommit", "PrepareAbort",
    "CompleteCommit", "CompleteAbort", "Dead", "PrepareEpochFence",
};

const char *txn_state_name(txn_state_t s)
{
    return s >= 0 && s < TXN_N_STATES ? names[s] : "?";
}

int txn_state_parse(const char *name)
{
    for (int i = 0; name && i < TXN_N_STATES; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

#define BIT(s) (1u << (s))

/* TransactionState.validPreviousStates, as bit sets of the states each may follow. */
static const unsigned valid_previous[TXN_N_STATES] = {
    [TXN_EMPTY] = BIT(TXN_EMPTY) | BIT(TXN_COMPLETE_COMMIT) | BIT(TXN_COMPLETE_ABORT),
    [TXN_ONGOING] = BIT(TXN_ONGOING) | BIT(TXN_EMPTY) | BIT(TXN_COMPLETE_COMMIT) |
                    BIT(TXN_COMPLETE_ABORT),
    [TXN_PREPARE_COMMIT] = BIT(TXN_ONGOING),
    [TXN_PREPARE_ABORT] = BIT(TXN_ONGOING) | BIT(TXN_PREPARE_EPOCH_FENCE),
    [TXN_COMPLETE_COMMIT] = BIT(TXN_PREPARE_COMMIT),
    [TXN_COMPLETE_ABORT] = BIT(TXN_PREPARE_ABORT),
    [TXN_DEAD] = BIT(TXN_EMPTY) | BIT(TXN_COMPLETE_COMMIT) | BIT(TXN_COMPLETE_ABORT),
    [TXN_PREPARE_EPOCH_FENCE] = BIT(TXN_ONGOING),
};

bool txn_state_valid_previous(txn_state_t to, txn_state_t from)
{
    if (to < 0 || to >= TXN_N_STATES || from < 0 || from >= TXN_N_STATES)
        return false;
    return (valid_previous[to] & BIT(from)) != 0;
}

/* ---- partition sets ---- */

static int tp_cmp(const char *ta, int32_t pa, const char *tb, int32_t pb)
{
    int c = strcmp(ta, tb);
    return c ? c : (pa > pb) - (pa < pb);
}

typedef struct tp_key {
    const txn_tps_t *s;
    const char *topic;
    int32_t partition;
} tp_key_t;

static int tp_at(const void *ctx, int32_t i)
{
    const tp_key_t *k = ctx;
    return tp_cmp(k->s->v[i].topic, k->s->v[i].partition, k->topic, k->partition);
}

/* The index of (topic, partition), or where it would go. */
static int32_t tps_find(const txn_tps_t *s, const char *topic, int32_t partition, bool *found)
{
    tp_key_t k = { s, topic, partition };
    return sorted_find(s->n, tp_at, &k, found);
}

void txn_tps_add(txn_tps_t *s, const char *topic, int32_t partition)
{
    bool found;
    int32_t i = tps_find(s, topic, partition, &found);
    if (found)
        return;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = realloc(s->v, (size_t)s->cap * sizeof *s->v);
        if (!s->v)
            abort();
    }
    memmove(&s->v[i + 1], &s->v[i], (size_t)(s->n - i) * sizeof *s->v);
    s->v[i] = (txn_tp_t){ topic, partition };
    s->n++;
}

bool txn_tps_remove(txn_tps_t *s, const char *topic, int32_t partition)
{
    bool found;
    int32_t i = tps_find(s, topic, partition, &found);
    if (!found)
        return false;
    memmove(&s->v[i], &s->v[i + 1], (size_t)(s->n - i - 1) * sizeof *s->v);
    s->n--;
    return true;
}

bool txn_tps_has(const txn_tps_t *s, const char *topic, int32_t partition)
{
    bool found;
    tps_find(s, topic, partition, &found);
    return found;
}

void txn_tps_copy(txn_tps_t *dst, const txn_tps_t *src)
{
    dst->n = dst->cap = src->n;
    dst->v = src->n ? proto_calloc((size_t)src->n, sizeof *dst->v) : NULL;
    if (src->n)
        memcpy(dst->v, src->v, (size_t)src->n * sizeof *dst->v);
}

void txn_tps_free(txn_tps_t *s)
{
    free(s->v);
    *s = (txn_tps_t){ 0 };
}

static bool tps_subset(const txn_tps_t *a, const txn_tps_t *b)
{
    for (int32_t i = 0; i < a->n; i++)
        if (!txn_tps_has(b, a->v[i].topic, a->v[i].partition))
            return false;
    return true;
}

static bool tps_equal(const txn_tps_t *a, const txn_tps_t *b)
{
    return a->n == b->n && tps_subset(a, b);
}

void txn_transit_free(txn_transit_t *t)
{
    txn_tps_free(&t->parts);
}

/* ---- metadata ---- */

txn_meta_t *txn_meta_new(const char *id, int64_t producer_id, int32_t timeout_ms,
                         int64_t now_ms)
{
    txn_meta_t *m = proto_calloc(1, sizeof *m);
    m->id = gp_strdup(id);
    m->producer_id = producer_id;
    m->prev_producer_id = TXN_NO_PRODUCER_ID;
    m->producer_epoch = m->last_epoch = TXN_NO_EPOCH;
    m->timeout_ms = timeout_ms;
    m->state = TXN_EMPTY;
    m->pending = TXN_NO_PENDING;
    m->start_ms = -1;
    m->update_ms = now_ms;
    return m;
}

void txn_meta_free(txn_meta_t *m)
{
    if (!m)
        return;
    free(m->id);
    txn_tps_free(&m->parts);
    free(m);
}

bool txn_epoch_exhausted(int16_t epoch)
{
    return epoch >= INT16_MAX - 1;
}

/* prepareTransitionTo: refuses while a change is pending, an invalid producer id or epoch,
 * and a state that may not follow the current one. Takes ownership of *parts. */
static int16_t prepare(txn_meta_t *m, txn_state_t to, int64_t producer_id, int16_t epoch,
                       int16_t last_epoch, int32_t timeout_ms, txn_tps_t *parts,
                       int64_t start_ms, int64_t update_ms, txn_transit_t *out)
{
    if (m->pending != TXN_NO_PENDING || producer_id < 0 || (to != TXN_DEAD && epoch < 0) ||
        !txn_state_valid_previous(to, m->state)) {
        txn_tps_free(parts);
        return KERR_INVALID_TXN_STATE;
    }
    *out = (txn_transit_t){ producer_id, m->producer_id, epoch, last_epoch, timeout_ms, to,
                            *parts, start_ms, update_ms };
    m->pending = (int)to;
    return KERR_NONE;
}

static txn_tps_t current_parts(const txn_meta_t *m)
{
    txn_tps_t t;
    txn_tps_copy(&t, &m->parts);
    return t;
}

int16_t txn_prepare_to(txn_meta_t *m, txn_state_t to, txn_transit_t *out)
{
    txn_tps_t parts = current_parts(m);
    return prepare(m, to, m->producer_id, m->producer_epoch, m->last_epoch, m->timeout_ms,
                   &parts, m->start_ms, m->update_ms, out);
}

int16_t txn_prepare_increment_epoch(txn_meta_t *m, int32_t timeout_ms, bool has_expected,
                                    int16_t expected_epoch, int64_t now_ms, txn_transit_t *out)
{
    if (txn_epoch_exhausted(m->producer_epoch))
        return KERR_INVALID_TXN_STATE;
    int16_t bumped = (int16_t)(m->producer_epoch + 1), epoch, last;
    if (!has_expected) {
        epoch = bumped;
        last = TXN_NO_EPOCH;
    } else if (m->producer_epoch == TXN_NO_EPOCH || expected_epoch == m->producer_epoch) {
        /* KIP-360: the producer asks to bump the epoch it has (or the metadata was just
         * made, for a producer recovering from UNKNOWN_PRODUCER_ID). */
        epoch = bumped;
        last = m->producer_epoch;
    } else if (expected_epoch == m->last_epoch) {
        /* A retry of the bump whose answer was lost: the same epoch again. */
        epoch = m->producer_epoch;
        last = m->last_epoch;
    } else {
        return KERR_PRODUCER_FENCED;
    }
    txn_tps_t none = { 0 };
    return prepare(m, TXN_EMPTY, m->producer_id, epoch, last, timeout_ms, &none, -1, now_ms,
                   out);
}

int16_t txn_prepare_rotate(txn_meta_t *m, int64_t new_producer_id, int32_t timeout_ms,
                           bool record_last_epoch, int64_t now_ms, txn_transit_t *out)
{
    if (m->state == TXN_ONGOING || m->state == TXN_PREPARE_COMMIT ||
        m->state == TXN_PREPARE_ABORT)
        return KERR_INVALID_TXN_STATE; /* hasPendingTransaction */
    txn_tps_t none = { 0 };
    return prepare(m, TXN_EMPTY, new_producer_id, 0,
                   record_last_epoch ? m->producer_epoch : TXN_NO_EPOCH, timeout_ms, &none, -1,
                   now_ms, out);
}

int16_t txn_prepare_fence(txn_meta_t *m, txn_transit_t *out)
{
    if (m->producer_epoch == INT16_MAX)
        return KERR_INVALID_TXN_STATE; /* the bump would overflow */
    /* A fence whose write failed already bumped the epoch it never handed out. */
    int16_t bumped = m->failed_epoch_fence ? m->producer_epoch : (int16_t)(m->producer_epoch + 1);
    txn_tps_t parts = current_parts(m);
    return prepare(m, TXN_PREPARE_EPOCH_FENCE, m->producer_id, bumped, TXN_NO_EPOCH,
                   m->timeout_ms, &parts, m->start_ms, m->update_ms, out);
}

int16_t txn_prepare_add_partitions(txn_meta_t *m, const txn_tps_t *add, int64_t now_ms,
                                   txn_transit_t *out)
{
    bool starting = m->state == TXN_EMPTY || m->state == TXN_COMPLETE_COMMIT ||
                    m->state == TXN_COMPLETE_ABORT;
    txn_tps_t parts = current_parts(m);
    for (int32_t i = 0; i < add->n; i++)
        txn_tps_add(&parts, add->v[i].topic, add->v[i].partition);
    return prepare(m, TXN_ONGOING, m->producer_id, m->producer_epoch, m->last_epoch,
                   m->timeout_ms, &parts, starting ? now_ms : m->start_ms, now_ms, out);
}

int16_t txn_prepare_end(txn_meta_t *m, bool commit, int64_t now_ms, txn_transit_t *out)
{
    txn_tps_t parts = current_parts(m);
    return prepare(m, commit ? TXN_PREPARE_COMMIT : TXN_PREPARE_ABORT, m->producer_id,
                   m->producer_epoch, m->last_epoch, m->timeout_ms, &parts, m->start_ms, now_ms,
                   out);
}

int16_t txn_prepare_complete(txn_meta_t *m, int64_t now_ms, txn_transit_t *out)
{
    txn_state_t to = m->state == TXN_PREPARE_COMMIT ? TXN_COMPLETE_COMMIT : TXN_COMPLETE_ABORT;
    /* The Prepare* state was written: a fence that failed before is over, the next one
     * bumps again. */
    m->failed_epoch_fence = false;
    txn_tps_t none = { 0 };
    return prepare(m, to, m->producer_id, m->producer_epoch, m->last_epoch, m->timeout_ms,
                   &none, m->start_ms, now_ms, out);
}

static bool same_producer(const txn_meta_t *m, const txn_transit_t *t)
{
    return t->producer_id == m->producer_id && t->producer_epoch == m->producer_epoch;
}

/* validProducerEpochBump: the next epoch, or epoch 0 of a new producer id. */
static bool epoch_bump(const txn_meta_t *m, const txn_transit_t *t)
{
    return t->producer_epoch == m->producer_epoch + 1 ||
           (t->producer_epoch == 0 && t->producer_id != m->producer_id);
}

int16_t txn_complete(txn_meta_t *m, const txn_transit_t *t)
{
    if (m->pending == TXN_NO_PENDING || (txn_state_t)m->pending != t->state)
        return KERR_INVALID_TXN_STATE;
    bool ok;
    switch (t->state) {
    case TXN_EMPTY: /* InitProducerId */
        ok = (m->producer_epoch == t->producer_epoch || epoch_bump(m, t)) && t->parts.n == 0 &&
             t->start_ms == -1;
        break;
    case TXN_ONGOING: /* AddPartitions */
        ok = same_producer(m, t) && tps_subset(&m->parts, &t->parts) &&
             m->timeout_ms == t->timeout_ms;
        break;
    case TXN_PREPARE_COMMIT:
    case TXN_PREPARE_ABORT: /* EndTxn */
        ok = same_producer(m, t) && tps_equal(&m->parts, &t->parts) &&
             m->timeout_ms == t->timeout_ms;
        break;
    case TXN_COMPLETE_COMMIT:
    case TXN_COMPLETE_ABORT: /* after the markers */
        ok = same_producer(m, t) && m->timeout_ms == t->timeout_ms && t->start_ms != -1;
        break;
    default:
        /* PrepareEpochFence gives way to PrepareAbort before anything is written; Dead
         * removes the id instead. */
        ok = false;
        break;
    }
    if (!ok)
        return KERR_INVALID_TXN_STATE;
    m->producer_id = t->producer_id;
    m->prev_producer_id = t->prev_producer_id;
    m->producer_epoch = t->producer_epoch;
    m->last_epoch = t->last_epoch;
    m->timeout_ms = t->timeout_ms;
    txn_tps_free(&m->parts);
    txn_tps_copy(&m->parts, &t->parts);
    m->start_ms = t->start_ms;
    m->update_ms = t->update_ms;
    m->state = t->state;
    m->pending = TXN_NO_PENDING;
    return KERR_NONE;
}

/* ---- records ---- */

void txn_record(const char *id, const txn_transit_t *t, char **key, char **value)
{
    cJSON *k = cJSON_CreateObject();
    cJSON_AddStringToObject(k, "transactional_id", id);
    *key = json_take_text(k);
    cJSON *v = cJSON_CreateObject();
    trace_add_int(v, "producer_id", t->producer_id);
    trace_add_int(v, "producer_epoch", t->producer_epoch);
    trace_add_int(v, "timeout_ms", t->timeout_ms);
    cJSON_AddStringToObject(v, "state", txn_state_name(t->state));
    cJSON *a = cJSON_AddArrayToObject(v, "partitions");
    for (int32_t i = 0; i < t->parts.n; i++) {
        cJSON *tp = cJSON_CreateObject();
        cJSON_AddStringToObject(tp, "topic", t->parts.v[i].topic);
        cJSON_AddNumberToObject(tp, "partition", t->parts.v[i].partition);
        cJSON_AddItemToArray(a, tp);
    }
    trace_add_int(v, "last_update_ms", t->update_ms);
    trace_add_int(v, "start_ms", t->start_ms);
    *value = json_take_text(v);
}

static const char *str(const cJSON *o, const char *name)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

bool txn_record_parse(bytes_t key, bytes_t value, world_t *w, char **id, bool *tombstone,
                      txn_transit_t *out)
{
    if (bytes_is_null(key))
        return false;
    cJSON *k = cJSON_ParseWithLength(key.p, (size_t)key.len);
    const char *tid = str(k, "transactional_id");
    if (!tid) {
        cJSON_Delete(k);
        return false;
    }
    *id = gp_strdup(tid);
    cJSON_Delete(k);
    *tombstone = bytes_is_null(value);
    if (*tombstone)
        return true;
    cJSON *v = cJSON_ParseWithLength(value.p, (size_t)value.len);
    int state = txn_state_parse(str(v, "state"));
    if (!v || state < 0) {
        cJSON_Delete(v);
        free(*id);
        *id = NULL;
        return false;
    }
    /* TransactionLog keeps no previous id or last epoch (Kafka 3.9's value, version 0). */
    *out = (txn_transit_t){ trace_int(v, "producer_id", -1), TXN_NO_PRODUCER_ID,
                            (int16_t)trace_int(v, "producer_epoch", -1), TXN_NO_EPOCH,
                            (int32_t)trace_int(v, "timeout_ms", 0), (txn_state_t)state,
                            { 0 }, trace_int(v, "start_ms", -1),
                            trace_int(v, "last_update_ms", -1) };
    const cJSON *tp;
    cJSON_ArrayForEach(tp, cJSON_GetObjectItemCaseSensitive(v, "partitions")) {
        const char *topic = str(tp, "topic");
        if (topic)
            txn_tps_add(&out->parts, world_intern(w, topic),
                        (int32_t)trace_int(tp, "partition", 0));
    }
    cJSON_Delete(v);
    return true;
}

typedef struct loaded {
    char *id;
    bool live;
    txn_transit_t t;
} loaded_t;

int32_t txn_load(const plog_t *log, world_t *w, txn_load_fn fn, void *ctx)
{
    loaded_t *v = NULL;
    int32_t n = 0;
    for (size_t i = 0; i < log->n; i++) {
        char *id;
        bool tombstone;
        txn_transit_t t = { 0 };
        if (!txn_record_parse(log->recs[i].key, log->recs[i].value, w, &id, &tombstone, &t))
            continue;
        int32_t j = 0;
        while (j < n && strcmp(v[j].id, id) != 0)
            j++;
        if (j == n) {
            v = realloc(v, (size_t)(n + 1) * sizeof *v);
            if (!v)
                abort();
            v[n++] = (loaded_t){ id, false, { 0 } };
        } else {
            free(id);
            txn_transit_free(&v[j].t);
        }
        v[j].live = !tombstone;
        v[j].t = t;
    }
    int32_t live = 0;
    for (int32_t j = 0; j < n; j++) {
        if (v[j].live) {
            fn(ctx, v[j].id, &v[j].t);
            live++;
        }
        txn_transit_free(&v[j].t);
        free(v[j].id);
    }
    free(v);
    return live;
}
