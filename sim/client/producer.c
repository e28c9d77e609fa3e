#include "producer.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kafka/api.h"
#include "producer_internal.h"

static void on_crash(node_t *n);
static void on_restart(node_t *n);
static const node_ops_t producer_ops = { .on_message = sender_on_message,
                                          .on_crash = on_crash,
                                          .on_restart = on_restart,
                                          .on_disconnect = sender_on_disconnect };

static int64_t linger_ms(const config_t *cfg)
{
    int64_t linger = config_long(cfg, "linger.ms");
    return linger > INT32_MAX ? INT32_MAX : linger;
}

/* KafkaProducer.configureDeliveryTimeout: linger.ms + request.timeout.ms, capped as an int. */
static int64_t min_delivery_ms(const config_t *cfg)
{
    int64_t sum = linger_ms(cfg) + config_int(cfg, "request.timeout.ms");
    return sum > INT32_MAX ? INT32_MAX : sum;
}

/* ProducerConfig.postProcessAndValidateIdempotenceConfigs: idempotence needs acks=all,
 * retries > 0 and at most 5 requests in flight. Asked for explicitly, a conflict is an
 * error naming the keys; left at its default, idempotence is quietly turned off (3.2+).
 * Sets *idempotent; *why says what turned it off. */
static bool check_idempotence(const config_t *cfg, const char *name, bool *idempotent,
                              const char **why, char *err, size_t errlen)
{
    *idempotent = config_bool(cfg, "enable.idempotence");
    *why = NULL;
    if (!*idempotent)
        return true;
    bool explicit = config_is_set(cfg, "enable.idempotence");
    const char *acks = config_str(cfg, "acks");
    if (config_int(cfg, "retries") == 0)
        *why = "Must set retries to non-zero when using the idempotent producer.";
    else if (strcmp(acks, "all") != 0 && strcmp(acks, "-1") != 0)
        *why = "Must set acks to all in order to use the idempotent producer. Otherwise we "
               "cannot guarantee idempotence.";
    else if (config_int(cfg, "max.in.flight.requests.per.connection") > 5)
        *why = "Must set max.in.flight.requests.per.connection to at most 5 to use the "
               "idempotent producer.";
    if (!*why)
        return true;
    if (explicit) {
        snprintf(err, errlen, "producer '%s': %s (enable.idempotence=true)", name, *why);
        return false;
    }
    *idempotent = false;
    return true;
}

static bool check_config(const config_t *cfg, const char *name, bool idempotent,
                         const char *no_idempotence, char *err, size_t errlen)
{
    /* ProducerConfig: a transactional producer is an idempotent one. The hint names the
     * setting that turned idempotence off. */
    if (config_str(cfg, "transactional.id") && !idempotent) {
        snprintf(err, errlen, "producer '%s': ConfigException: Cannot set a transactional.id "
                 "without also enabling idempotence. (%s)", name,
                 no_idempotence ? no_idempotence : "enable.idempotence=false");
        return false;
    }
    int64_t linger = linger_ms(cfg);
    int64_t req = config_int(cfg, "request.timeout.ms");
    int64_t delivery = config_int(cfg, "delivery.timeout.ms");
    if (config_is_set(cfg, "delivery.timeout.ms") && delivery < min_delivery_ms(cfg)) {
        /* Kafka's ProducerConfig check, in its own words. */
        snprintf(err, errlen,
                 "producer '%s': delivery.timeout.ms should be equal to or larger than "
                 "linger.ms + request.timeout.ms (%lld < %lld + %lld)",
                 name, (long long)delivery, (long long)linger, (long long)req);
        return false;
    }
    return true;
}

static void trace_adjusted(producer_t *p, const char *key, cJSON *value, const char *reason)
{
    cJSON *ev = world_trace(p->w, p->node, "config_adjusted");
    if (!ev) {
        cJSON_Delete(value);
        return;
    }
    cJSON_AddStringToObject(ev, "key", key);
    cJSON_AddItemToObject(ev, "value", value);
    cJSON_AddStringToObject(ev, "reason", reason);
    world_emit(p->w, ev);
}

/* Every client state change in the trace, with the error that caused it. */
static void trace_transition(void *ctx, tm_state_t from, tm_state_t to, const tm_error_t *why)
{
    producer_t *p = ctx;
    cJSON *ev = world_trace(p->w, p->node, "txn_client");
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "producer", p->node->name);
    cJSON_AddStringToObject(ev, "transactional_id", p->tm.transactional_id);
    cJSON_AddStringToObject(ev, "from", tm_state_name(from));
    cJSON_AddStringToObject(ev, "to", tm_state_name(to));
    if (why && why->code != KERR_NONE) {
        cJSON_AddStringToObject(ev, "error", tm_exception_name(why->code));
        cJSON_AddStringToObject(ev, "reason", why->msg);
    }
    world_emit(p->w, ev);
}

producer_t *producer_create(world_t *w, const char *name, const config_t *cfg,
                            const int32_t *bootstrap, int32_t n_bootstrap, char *err,
                            size_t errlen)
{
    bool idempotent;
    const char *no_idempotence;
    if (!check_idempotence(cfg, name, &idempotent, &no_idempotence, err, errlen) ||
        !check_config(cfg, name, idempotent, no_idempotence, err, errlen))
        return NULL;
    producer_t *p = proto_calloc(1, sizeof *p);
    p->idempotent = idempotent;
    tm_init(&p->tm);
    p->w = w;
    const char *acks = config_str(cfg, "acks");
    p->acks = strcmp(acks, "0") == 0 ? 0 : strcmp(acks, "1") == 0 ? 1 : -1;
    p->linger = linger_ms(cfg) * US_PER_MS;
    p->batch_size = config_int(cfg, "batch.size");
    p->retries = config_int(cfg, "retries");
    p->backoff = config_duration_us(cfg, "retry.backoff.ms");
    p->backoff_max = config_duration_us(cfg, "retry.backoff.max.ms");
    p->request_timeout = config_duration_us(cfg, "request.timeout.ms");
    p->delivery_timeout = config_duration_us(cfg, "delivery.timeout.ms");
    int64_t min_delivery = min_delivery_ms(cfg);
    p->max_block = config_duration_us(cfg, "max.block.ms");
    p->reconnect_backoff = config_duration_us(cfg, "reconnect.backoff.ms");
    p->reconnect_backoff_max = config_duration_us(cfg, "reconnect.backoff.max.ms");
    p->max_in_flight = config_int(cfg, "max.in.flight.requests.per.connection");
    p->max_request_size = config_int(cfg, "max.request.size");
    meta_init(&p->meta, bootstrap, n_bootstrap);
    p->node = world_add_node(w, name, ROLE_PRODUCER, &producer_ops, p);
    const char *txn_id = config_str(cfg, "transactional.id");
    if (txn_id) {
        p->tm.transactional_id = world_intern(w, txn_id);
        p->tm.txn_timeout_ms = config_int(cfg, "transaction.timeout.ms");
        p->tm.retry_backoff = p->backoff;
        p->tm.on_transition = trace_transition;
        p->tm.transition_ctx = p;
    }
    if (p->delivery_timeout < min_delivery * US_PER_MS) {
        /* Left at its default, Kafka raises it (with a warning) instead of refusing. */
        p->delivery_timeout = min_delivery * US_PER_MS;
        trace_adjusted(p, "delivery.timeout.ms", cJSON_CreateNumber((double)min_delivery),
                       "at least linger.ms + request.timeout.ms");
    }
    if (no_idempotence)
        trace_adjusted(p, "enable.idempotence", cJSON_CreateFalse(), no_idempotence);
    /* Kafka's Sender thread asks for a producer id in its first run, before any send. */
    if (p->idempotent)
        sender_wake(p);
    return p;
}

static void drop_all(producer_t *p)
{
    for (int32_t t = 0; t < p->n_topics; t++) {
        for (int32_t q = 0; q < p->topics[t].n; q++) {
            pbatch_t *pb = p->topics[t].qs[q].head;
            while (pb) {
                pbatch_t *next = pb->next;
                acc_free_batch(pb);
                pb = next;
            }
            p->topics[t].qs[q] = (pqueue_t){ 0 };
        }
    }
    for (int32_t i = 0; i < p->inflight.n; i++) {
        pbatch_t **batches = p->inflight.e[i].data;
        for (int32_t j = 0; j < p->inflight.e[i].n; j++)
            if (batches[j])
                acc_free_batch(batches[j]);
    }
    inflight_clear(&p->inflight, p->w);
    for (size_t i = 0; i < p->n_waiting; i++) {
        free((void *)p->waiting[i].key.p);
        free((void *)p->waiting[i].value.p);
    }
    p->n_waiting = 0;
}

void producer_free(producer_t *p)
{
    if (!p)
        return;
    drop_all(p);
    for (int32_t t = 0; t < p->n_topics; t++)
        free(p->topics[t].qs);
    free(p->topics);
    inflight_free(&p->inflight, p->w);
    free(p->drain);
    tm_free(&p->tm);
    for (int32_t i = 0; i < p->n_txn_waiters; i++)
        tm_result_unref(p->txn_waiters[i].result);
    free(p->txn_waiters);
    free(p->waiting);
    free(p->results);
    free(p->flushes);
    free(p->notify);
    meta_free(&p->meta);
    free(p);
}

node_t *producer_node(const producer_t *p)
{
    return p->node;
}

const char *producer_name(const producer_t *p)
{
    return p->node->name;
}

const send_result_t *producer_result(const producer_t *p, uint32_t rec)
{
    return rec < p->n_results ? &p->results[rec] : NULL;
}

void producer_on_done(producer_t *p, producer_done_fn fn, void *ctx)
{
    p->done_fn = fn;
    p->done_ctx = ctx;
}

uint64_t producer_pending(const producer_t *p)
{
    return p->pending;
}

bool producer_id(const producer_t *p, int64_t *id, int16_t *epoch)
{
    if (!p->idempotent || !tm_has_pid(&p->tm))
        return false;
    *id = p->tm.pid;
    *epoch = p->tm.epoch;
    return true;
}

void prod_notify(producer_t *p)
{
    /* Listeners may send again, and so finish records or flush: each round takes the
     * list as it is, and a nested call finds the round already running. */
    if (p->notifying)
        return;
    p->notifying = true;
    while (p->n_notify) {
        size_t n = p->n_notify;
        uint32_t *due = malloc(n * sizeof *due);
        if (!due)
            abort();
        memcpy(due, p->notify, n * sizeof *due);
        p->n_notify = 0;
        for (size_t i = 0; i < n; i++)
            if (p->done_fn)
                p->done_fn(p->done_ctx, p, due[i]);
        free(due);
    }
    while (p->first_pending < p->n_results && p->results[p->first_pending].done)
        p->first_pending++;
    for (int32_t i = 0; i < p->n_flushes;) {
        if (p->flushes[i].upto <= p->first_pending) {
            flush_waiter_t f = p->flushes[i];
            memmove(&p->flushes[i], &p->flushes[i + 1],
                    (size_t)(p->n_flushes - i - 1) * sizeof *p->flushes);
            p->n_flushes--;
            f.fn(f.ctx, p);
            i = 0;
        } else {
            i++;
        }
    }
    p->notifying = false;
}

void prod_finish_record(producer_t *p, uint32_t rec, int64_t offset, int16_t error)
{
    send_result_t *r = &p->results[rec];
    assert(!r->done);
    r->done = true;
    r->offset = error == KERR_NONE ? offset : -1;
    r->error = error;
    p->pending--;
    p->notify = prod_grow(p->notify, &p->cap_notify, p->n_notify + 1, sizeof *p->notify);
    p->notify[p->n_notify++] = rec;
}

void prod_trace_batch(producer_t *p, const char *kind, const pbatch_t *pb, int64_t base,
                        int16_t error, const char *reason)
{
    cJSON *ev = world_trace(p->w, p->node, kind);
    if (!ev)
        return;
    trace_add_tp(ev, pb->b->topic, pb->b->partition);
    trace_add_int(ev, "records", pb->b->n);
    if (strcmp(kind, "batch_done") == 0) {
        trace_add_int(ev, "base_offset", (int64_t)base);
        trace_add_int(ev, "attempts", pb->attempts);
    }
    if (pb->base_seq != TM_NO_SEQ) {
        trace_add_int(ev, "producer_id", pb->pid);
        trace_add_int(ev, "producer_epoch", pb->epoch);
        trace_add_int(ev, "base_seq", pb->base_seq);
    }
    cJSON_AddStringToObject(ev, "error", kerr_name(error));
    if (reason)
        cJSON_AddStringToObject(ev, "reason", reason);
    if (strcmp(kind, "retry") == 0) {
        trace_add_int(ev, "attempt", pb->retries);
        cJSON_AddNumberToObject(ev, "backoff_ms", (double)(pb->retry_at - p->w->now) / 1000.0);
    }
    world_emit(p->w, ev);
}

void prod_complete_batch(producer_t *p, pbatch_t *pb, int64_t base, int16_t error,
                           const char *reason)
{
    pb->done = true;
    prod_trace_batch(p, "batch_done", pb, base, error, reason);
    for (int32_t i = 0; i < pb->b->n; i++)
        prod_finish_record(p, pb->recs[i], base >= 0 ? base + i : -1, error);
    if (!pb->in_flight)
        acc_free_batch(pb);
}

void prod_expire_batch(producer_t *p, pbatch_t *pb)
{
    char reason[160];
    snprintf(reason, sizeof reason,
             "Expiring %d record(s) for %s-%d: %lld ms has passed since batch creation",
             pb->b->n, pb->b->topic, pb->b->partition,
             (long long)((p->w->now - pb->created) / US_PER_MS));
    if (p->idempotent) {
        tm_batch_error(&p->tm, KERR_CLIENT_TIMEOUT, reason);
        tm_failed(&p->tm, pb, KERR_CLIENT_TIMEOUT, false);
        /* Sent and retried: whether the broker has it is unknown. */
        if (pb->retries > 0)
            tm_mark_unresolved(&p->tm, pb);
    }
    prod_complete_batch(p, pb, -1, KERR_CLIENT_TIMEOUT, reason);
}

static void trace_record(producer_t *p, uint32_t rec, bytes_t key, bytes_t value)
{
    cJSON *ev = world_trace(p->w, p->node, "record");
    if (!ev)
        return;
    trace_add_int(ev, "rec", rec);
    cJSON_AddStringToObject(ev, "topic", p->results[rec].topic);
    trace_add_int(ev, "partition", p->results[rec].partition);
    cJSON_AddItemToObject(ev, "key", bytes_json(key));
    cJSON_AddItemToObject(ev, "value", bytes_json(value));
    world_emit(p->w, ev);
}

int64_t producer_send(producer_t *p, const char *topic, int32_t partition, bytes_t key,
                      bytes_t value, int64_t timestamp, char *err, size_t errlen)
{
    if (p->closed) {
        snprintf(err, errlen, "producer '%s': Cannot perform operation after producer has "
                 "been closed", p->node->name);
        return -1;
    }
    if (!p->node->up) {
        snprintf(err, errlen, "producer '%s': its process has crashed", p->node->name);
        return -1;
    }
    tm_error_t terr;
    if (!tm_check_send(&p->tm, &terr)) {
        snprintf(err, errlen, "%s: %s", tm_exception_name(terr.code), terr.msg);
        return -1;
    }
    if (partition < -1) {
        /* ProducerRecord's constructor refuses it before anything is sent. */
        snprintf(err, errlen, "Invalid partition: %d. Partition number should always be "
                 "non-negative or null.", partition);
        return -1;
    }
    p->results = prod_grow(p->results, &p->cap_results, p->n_results + 1, sizeof *p->results);
    uint32_t rec = (uint32_t)p->n_results++;
    send_result_t *r = &p->results[rec];
    *r = (send_result_t){ world_intern(p->w, topic), partition, -1,
                          timestamp >= 0 ? timestamp : p->w->now, KERR_NONE, false };
    p->pending++;
    trace_record(p, rec, key, value);
    int32_t size = RECORD_BATCH_OVERHEAD + record_size_in_batch(0, 0, key, value);
    if (size > p->max_request_size) {
        /* doSend's catch (ApiException): a transaction it was part of can only abort. */
        char msg[200];
        snprintf(msg, sizeof msg, "The message is %d bytes when serialized which is larger "
                 "than %d, which is the value of the max.request.size configuration.", (int)size,
                 (int)p->max_request_size);
        tm_batch_error(&p->tm, KERR_CLIENT_RECORD_TOO_LARGE, msg);
        prod_finish_record(p, rec, -1, KERR_CLIENT_RECORD_TOO_LARGE);
        prod_notify(p);
        return rec;
    }
    const meta_topic_t *mt = meta_want(&p->meta, r->topic);
    if (acc_known_partition(mt, partition) && !acc_topic_waiting(p, r->topic)) {
        acc_append(p, rec, partition, key, value);
        prod_notify(p);
        return rec;
    }
    /* Kafka's send() waits here for the topic's metadata, or for the partition to
     * appear in it (max.block.ms). */
    acc_hold(p, rec, partition, key, value);
    sender_wake(p);
    return rec;
}

void producer_flush(producer_t *p, producer_flush_fn fn, void *ctx)
{
    if (p->first_pending >= p->n_results) {
        fn(ctx, p);
        return;
    }
    p->flushes = realloc(p->flushes, (size_t)(p->n_flushes + 1) * sizeof *p->flushes);
    if (!p->flushes)
        abort();
    p->flushes[p->n_flushes++] = (flush_waiter_t){ p->n_results, fn, ctx };
    sender_wake(p);
}

void producer_close(producer_t *p)
{
    p->closed = true;
    sender_wake(p);
}

/* ---- transactions ---- */

const char *producer_exception(int16_t error)
{
    return tm_exception_name(error);
}

const char *producer_txn_state(const producer_t *p)
{
    return tm_state_name(p->tm.state);
}

/* call: the API method the user called; request: the request its result waited for (NULL
 * when the call failed before asking anything). */
static void trace_call(producer_t *p, const char *call, const char *request, int16_t error,
                       const char *msg, int64_t started)
{
    cJSON *ev = world_trace(p->w, p->node, "txn_call");
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "producer", p->node->name);
    cJSON_AddStringToObject(ev, "call", call);
    if (request)
        cJSON_AddStringToObject(ev, "request", request);
    cJSON_AddNumberToObject(ev, "waited_ms", (double)(p->w->now - started) / 1000.0);
    if (error != KERR_NONE) {
        cJSON_AddStringToObject(ev, "error", tm_exception_name(error));
        cJSON_AddStringToObject(ev, "reason", msg);
    }
    world_emit(p->w, ev);
}

static void remove_waiter(producer_t *p, int32_t i)
{
    memmove(&p->txn_waiters[i], &p->txn_waiters[i + 1],
            (size_t)(p->n_txn_waiters - i - 1) * sizeof *p->txn_waiters);
    p->n_txn_waiters--;
}

/* The call's outcome reaches its caller; the result is acknowledged (isAcked). */
static void finish_waiter(producer_t *p, int32_t i, int16_t error, const char *msg)
{
    txn_waiter_t w = p->txn_waiters[i];
    remove_waiter(p, i);
    if (w.timer)
        world_cancel(p->w, w.timer);
    trace_call(p, w.call, w.result->operation, error, msg, w.started);
    if (error != KERR_CLIENT_TIMEOUT)
        tm_result_ack(&p->tm, w.result);
    tm_result_unref(w.result);
    w.fn(w.ctx, p, error, msg);
}

void prod_txn_poll(producer_t *p)
{
    for (int32_t i = 0; i < p->n_txn_waiters;) {
        const tm_result_t *r = p->txn_waiters[i].result;
        if (!r->completed) {
            i++;
            continue;
        }
        tm_error_t e = r->err;
        finish_waiter(p, i, e.code, e.msg);
        i = 0;
    }
}

/* max.block.ms passed: TimeoutException; the result stays pending for the next call. */
static void txn_block_timeout(void *a, void *b, int64_t arg)
{
    producer_t *p = a;
    tm_result_t *r = b;
    for (int32_t i = 0; i < p->n_txn_waiters; i++) {
        if (p->txn_waiters[i].result != r)
            continue;
        p->txn_waiters[i].timer = 0;
        char msg[160];
        snprintf(msg, sizeof msg, "Timeout expired after %lldms while awaiting %s",
                 (long long)(p->max_block / US_PER_MS), r->operation);
        finish_waiter(p, i, KERR_CLIENT_TIMEOUT, msg);
        return;
    }
}

static void txn_fail_waiters(producer_t *p, int16_t code, const char *msg)
{
    while (p->n_txn_waiters)
        finish_waiter(p, 0, code, msg);
}

/* Shared by the blocking calls: fails at once, or waits for r (max.block.ms). */
static void txn_await(producer_t *p, tm_result_t *r, const tm_error_t *err, const char *call,
                      producer_txn_fn fn, void *ctx)
{
    if (!r) {
        trace_call(p, call, NULL, err->code, err->msg, p->w->now);
        fn(ctx, p, err->code, err->msg);
        return;
    }
    p->txn_waiters = realloc(p->txn_waiters,
                             (size_t)(p->n_txn_waiters + 1) * sizeof *p->txn_waiters);
    if (!p->txn_waiters)
        abort();
    ev_handle_t timer = node_timer(p->node, p->max_block, txn_block_timeout, p, r, 0);
    p->txn_waiters[p->n_txn_waiters++] = (txn_waiter_t){ r, fn, ctx, timer, p->w->now, call };
    sender_wake(p);
    prod_txn_poll(p);
}

/* throwIfNoTransactionManager, throwIfProducerClosed. */
static bool txn_usable(producer_t *p, tm_error_t *err)
{
    if (!tm_is_transactional(&p->tm)) {
        tm_error_set(err, KERR_CLIENT_ILLEGAL_STATE, "Cannot use transactional methods without "
                     "enabling transactions by setting the transactional.id configuration "
                     "property");
        return false;
    }
    if (p->closed) {
        tm_error_set(err, KERR_CLIENT_ILLEGAL_STATE, "Cannot perform operation after producer "
                     "has been closed");
        return false;
    }
    if (!p->node->up) {
        tm_error_set(err, KERR_CLIENT_CRASHED, "its process has crashed");
        return false;
    }
    return true;
}

void producer_init_transactions(producer_t *p, producer_txn_fn fn, void *ctx)
{
    tm_error_t err;
    tm_result_t *r = txn_usable(p, &err) ? tm_initialize_transactions(&p->tm, &err) : NULL;
    txn_await(p, r, &err, "init_transactions", fn, ctx);
}

int16_t producer_begin_transaction(producer_t *p, char *msg, size_t msglen)
{
    tm_error_t err;
    if (txn_usable(p, &err) && tm_begin_transaction(&p->tm, &err))
        return KERR_NONE;
    snprintf(msg, msglen, "%s", err.msg);
    return err.code;
}

void producer_send_offsets_to_transaction(producer_t *p, const producer_offset_t *offsets,
                                          int32_t n, const producer_group_meta_t *gm,
                                          producer_txn_fn fn, void *ctx)
{
    tm_error_t err;
    tm_result_t *r = NULL;
    if (!gm || !gm->group_id) {
        tm_error_set(&err, KERR_CLIENT_ILLEGAL_ARGUMENT,
                     "Consumer group metadata could not be null");
    } else if (gm->generation > 0 && (!gm->member_id || !*gm->member_id)) {
        tm_error_set(&err, KERR_CLIENT_ILLEGAL_ARGUMENT, "Passed in group metadata has "
                     "generationId > 0 but member.id is empty");
    } else if (txn_usable(p, &err)) {
        if (n == 0) { /* Kafka sends nothing for no offsets */
            fn(ctx, p, KERR_NONE, "");
            return;
        }
        r = tm_send_offsets(&p->tm, offsets, n, gm, &err);
    }
    txn_await(p, r, &err, "send_offsets_to_transaction", fn, ctx);
}

void producer_commit_transaction(producer_t *p, producer_txn_fn fn, void *ctx)
{
    tm_error_t err;
    tm_result_t *r = txn_usable(p, &err) ? tm_begin_commit(&p->tm, &err) : NULL;
    txn_await(p, r, &err, "commit_transaction", fn, ctx);
}

void producer_abort_transaction(producer_t *p, producer_txn_fn fn, void *ctx)
{
    tm_error_t err;
    tm_result_t *r = txn_usable(p, &err) ? tm_begin_abort(&p->tm, &err) : NULL;
    txn_await(p, r, &err, "abort_transaction", fn, ctx);
}

/* The process died: what it held in memory is gone, and so is every pending send. */
static void on_crash(node_t *n)
{
    producer_t *p = n->impl;
    for (int32_t t = 0; t < p->n_topics; t++)
        for (int32_t q = 0; q < p->topics[t].n; q++)
            for (pbatch_t *pb = p->topics[t].qs[q].head; pb; pb = pb->next)
                for (int32_t i = 0; i < pb->b->n; i++)
                    prod_finish_record(p, pb->recs[i], -1, KERR_CLIENT_CRASHED);
    for (int32_t i = 0; i < p->inflight.n; i++)
        for (int32_t j = 0; j < p->inflight.e[i].n; j++) {
            pbatch_t *pb = ((pbatch_t **)p->inflight.e[i].data)[j];
            if (pb && !pb->done)
                for (int32_t k = 0; k < pb->b->n; k++)
                    prod_finish_record(p, pb->recs[k], -1, KERR_CLIENT_CRASHED);
        }
    for (size_t i = 0; i < p->n_waiting; i++)
        prod_finish_record(p, p->waiting[i].rec, -1, KERR_CLIENT_CRASHED);
    drop_all(p);
    /* Connection backoffs, metadata and close() belonged to the dead process. */
    inflight_free(&p->inflight, p->w);
    meta_reset(&p->meta);
    /* The producer id went with the process: the next one gets a new id. */
    tm_reset(&p->tm);
    txn_fail_waiters(p, KERR_CLIENT_CRASHED, "the producer's process crashed");
    p->closed = false;
    p->run_scheduled = false;
    p->wakeup = 0;
    prod_notify(p);
}

/* A new process: an idempotent producer asks for its new producer id at once. */
static void on_restart(node_t *n)
{
    producer_t *p = n->impl;
    if (p->idempotent)
        sender_wake(p);
}
