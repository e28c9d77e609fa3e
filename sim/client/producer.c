#include "producer.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hash.h"
#include "../core/net.h"
#include "../kafka/api.h"
#include "../kafka/protocol.h"
#include "metadata.h"

/* A batch on its way: in a partition's deque, in flight, or both done and in flight. */
typedef struct pbatch {
    record_batch_t *b;
    uint32_t *recs;      /* record handles, b->n of them */
    int32_t cap_recs;
    int64_t created, retry_at;
    int32_t attempts;    /* times sent */
    int32_t retries;     /* times re-enqueued */
    bool drained;        /* sent at least once: closed for appends */
    bool in_flight, done;
    struct pbatch *next;
} pbatch_t;

typedef struct pqueue {
    pbatch_t *head, *tail;
    int32_t in_flight;
} pqueue_t;

typedef struct ptopic {
    const char *name;
    int32_t n;
    pqueue_t *qs;
    int32_t sticky;        /* KIP-794: the partition keyless records go to now */
    int64_t sticky_bytes;
} ptopic_t;

typedef struct inflight {
    int32_t corr;
    int32_t node;
    int16_t api;
    ev_handle_t timer;
    pbatch_t **batches;
    int32_t n;
} inflight_t;

typedef struct waiting_rec {
    uint32_t rec;
    int32_t partition;
    bytes_t key, value; /* owned */
    int64_t since;
} waiting_rec_t;

typedef struct flush_waiter {
    size_t upto;
    producer_flush_fn fn;
    void *ctx;
} flush_waiter_t;

struct producer {
    node_t *node;
    world_t *w;
    int16_t acks;
    int64_t linger, backoff, backoff_max, request_timeout, delivery_timeout, max_block;
    int32_t batch_size, retries, max_in_flight, max_request_size;
    client_meta_t meta;
    send_result_t *results;
    size_t n_results, cap_results, first_pending;
    uint64_t pending;
    waiting_rec_t *waiting;
    size_t n_waiting, cap_waiting;
    ptopic_t *topics;
    int32_t n_topics;
    inflight_t *inflight;
    int32_t n_inflight, cap_inflight;
    int32_t next_corr;
    bool run_scheduled;
    ev_handle_t wakeup;
    int64_t wakeup_at;
    flush_waiter_t *flushes;
    int32_t n_flushes;
    bool closed;
    uint32_t *notify;    /* finished records whose listener call is due */
    size_t n_notify, cap_notify;
    bool notifying;
    producer_done_fn done_fn;
    void *done_ctx;
};

static void on_message(node_t *n, msg_t *m);
static void on_crash(node_t *n);
static void sender_run(producer_t *p);
static const node_ops_t producer_ops = { on_message, on_crash, NULL };

static void *grow(void *arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return arr;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    arr = realloc(arr, c * elem);
    if (!arr)
        abort();
    *cap = c;
    return arr;
}

/* ---- construction ---- */

static bool check_config(const config_t *cfg, const char *name, char *err, size_t errlen)
{
    if (config_is_set(cfg, "enable.idempotence") && config_bool(cfg, "enable.idempotence")) {
        snprintf(err, errlen,
                 "producer '%s': enable.idempotence=true is not modelled by this version of "
                 "ksim yet; set enable.idempotence=false",
                 name);
        return false;
    }
    int64_t linger = config_long(cfg, "linger.ms");
    int64_t req = config_int(cfg, "request.timeout.ms");
    int64_t delivery = config_int(cfg, "delivery.timeout.ms");
    if (delivery < linger + req) {
        /* Kafka's ProducerConfig check, in its own words. */
        snprintf(err, errlen,
                 "producer '%s': delivery.timeout.ms should be equal to or larger than "
                 "linger.ms + request.timeout.ms (%lld < %lld + %lld)",
                 name, (long long)delivery, (long long)linger, (long long)req);
        return false;
    }
    return true;
}

static void trace_simplification(producer_t *p, const char *what)
{
    cJSON *ev = world_trace(p->w, p->node, "simplification");
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "what", what);
    world_emit(p->w, ev);
}

producer_t *producer_create(world_t *w, const char *name, const config_t *cfg,
                            const int32_t *bootstrap, int32_t n_bootstrap, char *err,
                            size_t errlen)
{
    if (!check_config(cfg, name, err, errlen))
        return NULL;
    producer_t *p = proto_calloc(1, sizeof *p);
    p->w = w;
    const char *acks = config_str(cfg, "acks");
    p->acks = strcmp(acks, "0") == 0 ? 0 : strcmp(acks, "1") == 0 ? 1 : -1;
    p->linger = config_long(cfg, "linger.ms") * US_PER_MS;
    p->batch_size = config_int(cfg, "batch.size");
    p->retries = config_int(cfg, "retries");
    p->backoff = config_long(cfg, "retry.backoff.ms") * US_PER_MS;
    p->backoff_max = config_long(cfg, "retry.backoff.max.ms") * US_PER_MS;
    if (p->backoff_max < p->backoff)
        p->backoff_max = p->backoff;
    p->request_timeout = (int64_t)config_int(cfg, "request.timeout.ms") * US_PER_MS;
    p->delivery_timeout = (int64_t)config_int(cfg, "delivery.timeout.ms") * US_PER_MS;
    p->max_block = config_long(cfg, "max.block.ms") * US_PER_MS;
    p->max_in_flight = config_int(cfg, "max.in.flight.requests.per.connection");
    p->max_request_size = config_int(cfg, "max.request.size");
    meta_init(&p->meta, bootstrap, n_bootstrap);
    p->node = world_add_node(w, name, ROLE_PRODUCER, &producer_ops, p);
    if (!config_is_set(cfg, "enable.idempotence"))
        trace_simplification(p, "enable.idempotence defaults to true in Kafka 3.9, but this "
                                "version of ksim does not model the idempotent producer yet: "
                                "the producer runs as enable.idempotence=false");
    return p;
}

static void free_batch(pbatch_t *pb)
{
    batch_unref(pb->b);
    free(pb->recs);
    free(pb);
}

static void drop_all(producer_t *p)
{
    for (int32_t t = 0; t < p->n_topics; t++) {
        for (int32_t q = 0; q < p->topics[t].n; q++) {
            pbatch_t *pb = p->topics[t].qs[q].head;
            while (pb) {
                pbatch_t *next = pb->next;
                free_batch(pb);
                pb = next;
            }
            p->topics[t].qs[q] = (pqueue_t){ 0 };
        }
    }
    for (int32_t i = 0; i < p->n_inflight; i++) {
        world_cancel(p->w, p->inflight[i].timer);
        for (int32_t j = 0; j < p->inflight[i].n; j++)
            if (p->inflight[i].batches[j])
                free_batch(p->inflight[i].batches[j]);
        free(p->inflight[i].batches);
    }
    p->n_inflight = 0;
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
    free(p->inflight);
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

/* ---- scheduling the sender ---- */

static void sender_cb(void *a, void *b, int64_t arg)
{
    producer_t *p = a;
    p->run_scheduled = false;
    sender_run(p);
}

static void wakeup_cb(void *a, void *b, int64_t arg)
{
    producer_t *p = a;
    p->wakeup = 0;
    sender_run(p);
}

/* Wakes the sender at once; many sends at one instant share one run. */
static void schedule_run(producer_t *p)
{
    if (p->run_scheduled || !p->node->up)
        return;
    p->run_scheduled = true;
    node_timer(p->node, 0, sender_cb, p, NULL, 0);
}

static void schedule_wakeup(producer_t *p, int64_t at)
{
    if (p->wakeup && p->wakeup_at <= at)
        return;
    if (p->wakeup)
        world_cancel(p->w, p->wakeup);
    p->wakeup_at = at;
    p->wakeup = node_timer(p->node, at - p->w->now, wakeup_cb, p, NULL, 0);
}

/* ---- finishing records ---- */

static void notify_due(producer_t *p)
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

static void finish_record(producer_t *p, uint32_t rec, int64_t offset, int16_t error)
{
    send_result_t *r = &p->results[rec];
    assert(!r->done);
    r->done = true;
    r->offset = error == KERR_NONE ? offset : -1;
    r->error = error;
    p->pending--;
    p->notify = grow(p->notify, &p->cap_notify, p->n_notify + 1, sizeof *p->notify);
    p->notify[p->n_notify++] = rec;
}

static void trace_batch(producer_t *p, const char *kind, const pbatch_t *pb, int64_t base,
                        int16_t error, const char *reason)
{
    cJSON *ev = world_trace(p->w, p->node, kind);
    if (!ev)
        return;
    char tp[256];
    cJSON_AddStringToObject(ev, "tp", tp_name(tp, sizeof tp, pb->b->topic, pb->b->partition));
    trace_add_int(ev, "records", pb->b->n);
    if (strcmp(kind, "batch_done") == 0) {
        trace_add_int(ev, "base_offset", (int64_t)base);
        trace_add_int(ev, "attempts", pb->attempts);
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

static void complete_batch(producer_t *p, pbatch_t *pb, int64_t base, int16_t error,
                           const char *reason)
{
    pb->done = true;
    trace_batch(p, "batch_done", pb, base, error, reason);
    for (int32_t i = 0; i < pb->b->n; i++)
        finish_record(p, pb->recs[i], base >= 0 ? base + i : -1, error);
    if (!pb->in_flight)
        free_batch(pb);
}

/* ---- the accumulator ---- */

/* The accumulator of a topic; n > 0 creates it or grows it to n partitions. */
static ptopic_t *topic_state(producer_t *p, const char *name, int32_t n)
{
    for (int32_t i = 0; i < p->n_topics; i++) {
        if (p->topics[i].name == name) {
            ptopic_t *t = &p->topics[i];
            if (n > t->n) { /* partitions were added */
                t->qs = realloc(t->qs, (size_t)n * sizeof *t->qs);
                if (!t->qs)
                    abort();
                memset(&t->qs[t->n], 0, (size_t)(n - t->n) * sizeof *t->qs);
                t->n = n;
            }
            return t;
        }
    }
    assert(n > 0);
    p->topics = realloc(p->topics, (size_t)(p->n_topics + 1) * sizeof *p->topics);
    if (!p->topics)
        abort();
    ptopic_t *t = &p->topics[p->n_topics++];
    t->name = name;
    t->n = n;
    t->qs = proto_calloc((size_t)n, sizeof *t->qs);
    t->sticky = (int32_t)rng_range(&p->node->rng, 0, n - 1);
    t->sticky_bytes = 0;
    return t;
}

static int32_t choose_partition(producer_t *p, ptopic_t *t, int32_t explicit_p, bytes_t key)
{
    if (explicit_p >= 0)
        return explicit_p;
    if (!bytes_is_null(key))
        return hash_partition_for_key(key.p, (size_t)key.len, t->n);
    return t->sticky;
}

static void append_record(producer_t *p, uint32_t rec, int32_t explicit_p, bytes_t key,
                          bytes_t value)
{
    send_result_t *r = &p->results[rec];
    const meta_topic_t *mt = meta_find(&p->meta, r->topic);
    assert(explicit_p < mt->n);
    ptopic_t *t = topic_state(p, r->topic, mt->n);
    int32_t part = choose_partition(p, t, explicit_p, key);
    r->partition = part;
    pqueue_t *q = &t->qs[part];
    pbatch_t *pb = q->tail;
    int32_t before = 0;
    if (!pb || pb->drained || batch_size_with(pb->b, key, value, r->timestamp) > p->batch_size) {
        if (pb && !pb->drained)
            schedule_run(p); /* the previous batch is full */
        pb = proto_calloc(1, sizeof *pb);
        pb->b = batch_new(r->topic, part);
        pb->created = p->w->now;
        if (q->tail)
            q->tail->next = pb;
        else
            q->head = pb;
        q->tail = pb;
    }
    before = pb->b->size;
    batch_add(pb->b, key, value, r->timestamp);
    size_t cap = (size_t)pb->cap_recs;
    pb->recs = grow(pb->recs, &cap, (size_t)pb->b->n, sizeof *pb->recs);
    pb->cap_recs = (int32_t)cap;
    pb->recs[pb->b->n - 1] = rec;
    if (explicit_p < 0 && bytes_is_null(key)) {
        /* Built-in partitioner: stick to one partition for batch.size bytes. */
        t->sticky_bytes += pb->b->size - before;
        if (t->sticky_bytes >= p->batch_size) {
            t->sticky = (int32_t)rng_range(&p->node->rng, 0, t->n - 1);
            t->sticky_bytes = 0;
        }
    }
    if (pb->b->size >= p->batch_size || p->linger == 0)
        schedule_run(p);
    else
        schedule_wakeup(p, pb->created + p->linger);
}

static bytes_t own_bytes(bytes_t b)
{
    if (bytes_is_null(b))
        return b;
    char *c = malloc((size_t)b.len + 1);
    if (!c)
        abort();
    memcpy(c, b.p, (size_t)b.len);
    c[b.len] = '\0';
    return (bytes_t){ c, b.len };
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

/* Metadata knows the topic and, if one was named, that partition. */
static bool known_partition(const meta_topic_t *mt, int32_t partition)
{
    return mt->n > 0 && partition < mt->n;
}

static bool topic_waiting(const producer_t *p, const char *topic)
{
    for (size_t i = 0; i < p->n_waiting; i++)
        if (p->results[p->waiting[i].rec].topic == topic)
            return true;
    return false;
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
        snprintf(err, errlen, "producer '%s' has crashed", p->node->name);
        return -1;
    }
    if (partition < -1) {
        /* ProducerRecord's constructor refuses it before anything is sent. */
        snprintf(err, errlen, "Invalid partition: %d. Partition number should always be "
                 "non-negative or null.", partition);
        return -1;
    }
    p->results = grow(p->results, &p->cap_results, p->n_results + 1, sizeof *p->results);
    uint32_t rec = (uint32_t)p->n_results++;
    send_result_t *r = &p->results[rec];
    *r = (send_result_t){ world_intern(p->w, topic), partition, -1,
                          timestamp >= 0 ? timestamp : p->w->now, KERR_NONE, false };
    p->pending++;
    trace_record(p, rec, key, value);
    int32_t size = RECORD_BATCH_OVERHEAD + record_size_in_batch(0, 0, key, value);
    if (size > p->max_request_size) {
        finish_record(p, rec, -1, KERR_CLIENT_RECORD_TOO_LARGE);
        notify_due(p);
        return rec;
    }
    const meta_topic_t *mt = meta_want(&p->meta, r->topic);
    if (known_partition(mt, partition) && !topic_waiting(p, r->topic)) {
        append_record(p, rec, partition, key, value);
        notify_due(p);
        return rec;
    }
    /* Kafka's send() waits here for the topic's metadata, or for the partition to
     * appear in it (max.block.ms). */
    p->waiting = grow(p->waiting, &p->cap_waiting, p->n_waiting + 1, sizeof *p->waiting);
    p->waiting[p->n_waiting++] =
        (waiting_rec_t){ rec, partition, own_bytes(key), own_bytes(value), p->w->now };
    schedule_run(p);
    return rec;
}

/* Whether one of the first `n` waiting records is for `topic`. */
static bool topic_waiting_before(const producer_t *p, size_t n, const char *topic)
{
    for (size_t i = 0; i < n; i++)
        if (p->results[p->waiting[i].rec].topic == topic)
            return true;
    return false;
}

/* Records whose topic metadata arrived go to the accumulator, in send order. */
static void drain_waiting(producer_t *p)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->n_waiting; i++) {
        waiting_rec_t wr = p->waiting[i];
        const meta_topic_t *mt = meta_find(&p->meta, p->results[wr.rec].topic);
        if (known_partition(mt, wr.partition) && !topic_waiting_before(p, kept, mt->name)) {
            append_record(p, wr.rec, wr.partition, wr.key, wr.value);
            free((void *)wr.key.p);
            free((void *)wr.value.p);
        } else {
            p->waiting[kept++] = wr;
        }
    }
    p->n_waiting = kept;
}

/* ---- expiry ---- */

static void expire(producer_t *p, int64_t *next)
{
    int64_t now = p->w->now;
    char reason[128];
    for (int32_t t = 0; t < p->n_topics; t++) {
        for (int32_t qi = 0; qi < p->topics[t].n; qi++) {
            pqueue_t *q = &p->topics[t].qs[qi];
            pbatch_t **link = &q->head, *prev = NULL;
            while (*link) {
                pbatch_t *pb = *link;
                int64_t deadline = pb->created + p->delivery_timeout;
                if (now < deadline) {
                    if (deadline < *next)
                        *next = deadline;
                    prev = pb;
                    link = &pb->next;
                    continue;
                }
                *link = pb->next;
                if (q->tail == pb)
                    q->tail = prev;
                snprintf(reason, sizeof reason,
                         "delivery.timeout.ms: %lld ms has passed since batch creation",
                         (long long)((now - pb->created) / US_PER_MS));
                complete_batch(p, pb, -1, KERR_CLIENT_TIMEOUT, reason);
            }
        }
    }
    /* Batches in flight expire too; their late responses are then ignored. */
    for (int32_t i = 0; i < p->n_inflight; i++) {
        for (int32_t j = 0; j < p->inflight[i].n; j++) {
            pbatch_t *pb = p->inflight[i].batches[j];
            int64_t deadline = pb->created + p->delivery_timeout;
            if (pb->done)
                continue;
            if (now >= deadline) {
                snprintf(reason, sizeof reason,
                         "delivery.timeout.ms: %lld ms has passed since batch creation",
                         (long long)((now - pb->created) / US_PER_MS));
                complete_batch(p, pb, -1, KERR_CLIENT_TIMEOUT, reason);
            } else if (deadline < *next) {
                *next = deadline;
            }
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < p->n_waiting; i++) {
        waiting_rec_t wr = p->waiting[i];
        int64_t deadline = wr.since + p->max_block;
        if (now >= deadline) {
            cJSON *ev = world_trace(p->w, p->node, "metadata_timeout");
            if (ev) {
                cJSON_AddStringToObject(ev, "topic", p->results[wr.rec].topic);
                if (wr.partition >= 0)
                    trace_add_int(ev, "partition", wr.partition);
                trace_add_int(ev, "max_block_ms", (int64_t)(p->max_block / US_PER_MS));
                world_emit(p->w, ev);
            }
            finish_record(p, wr.rec, -1, KERR_CLIENT_TIMEOUT);
            free((void *)wr.key.p);
            free((void *)wr.value.p);
            continue;
        }
        if (deadline < *next)
            *next = deadline;
        p->waiting[kept++] = wr;
    }
    p->n_waiting = kept;
}

/* ---- requests in flight ---- */

static int32_t inflight_to(const producer_t *p, int32_t node)
{
    int32_t n = 0;
    for (int32_t i = 0; i < p->n_inflight; i++)
        n += p->inflight[i].node == node;
    return n;
}

static bool node_busy(void *ctx, int32_t node)
{
    return inflight_to(ctx, node) > 0;
}

static bool metadata_in_flight(const producer_t *p)
{
    for (int32_t i = 0; i < p->n_inflight; i++)
        if (p->inflight[i].api == API_METADATA)
            return true;
    return false;
}

static void request_timed_out(void *a, void *b, int64_t corr);

static inflight_t *track(producer_t *p, msg_t *m, int32_t node)
{
    size_t cap = (size_t)p->cap_inflight;
    p->inflight = grow(p->inflight, &cap, (size_t)p->n_inflight + 1, sizeof *p->inflight);
    p->cap_inflight = (int32_t)cap;
    inflight_t *f = &p->inflight[p->n_inflight++];
    memset(f, 0, sizeof *f);
    f->corr = m->corr;
    f->node = node;
    f->api = m->api;
    f->timer = node_timer(p->node, p->request_timeout, request_timed_out, p, NULL, m->corr);
    return f;
}

static int32_t find_inflight(const producer_t *p, int32_t corr)
{
    for (int32_t i = 0; i < p->n_inflight; i++)
        if (p->inflight[i].corr == corr)
            return i;
    return -1;
}

/* Removes entry i and hands back what it tracked. */
static inflight_t untrack(producer_t *p, int32_t i)
{
    inflight_t f = p->inflight[i];
    world_cancel(p->w, f.timer);
    memmove(&p->inflight[i], &p->inflight[i + 1],
            (size_t)(p->n_inflight - i - 1) * sizeof *p->inflight);
    p->n_inflight--;
    return f;
}

static void maybe_request_metadata(producer_t *p, int64_t *next)
{
    if (!p->meta.update_needed || metadata_in_flight(p))
        return;
    int64_t at = p->meta.last_attempt + p->backoff;
    if (p->w->now < at) {
        if (at < *next)
            *next = at;
        return;
    }
    int32_t node = meta_pick_node(&p->meta, &p->node->rng, node_busy, p);
    msg_t *m = meta_request(&p->meta, p->w);
    m->corr = ++p->next_corr;
    track(p, m, node);
    net_send(p->w, p->node, node, m);
}

/* Kafka 3.7+ (KIP-580): exponential backoff with ±20% jitter. */
static int64_t backoff_for(producer_t *p, int32_t retries)
{
    double b = (double)p->backoff;
    for (int32_t i = 1; i < retries && b < (double)p->backoff_max; i++)
        b *= 2;
    if (b > (double)p->backoff_max)
        b = (double)p->backoff_max;
    double jitter = 0.8 + 0.4 * rng_unit(&p->node->rng);
    return (int64_t)(b * jitter);
}

static void reenqueue(producer_t *p, pbatch_t *pb)
{
    ptopic_t *t = topic_state(p, pb->b->topic, 0);
    pqueue_t *q = &t->qs[pb->b->partition];
    pb->next = q->head;
    q->head = pb;
    if (!q->tail)
        q->tail = pb;
}

static void fail_or_retry(producer_t *p, pbatch_t *pb, int16_t error)
{
    bool within = p->w->now < pb->created + p->delivery_timeout;
    if (kerr_retriable(error) && pb->retries < p->retries && within && !p->closed) {
        pb->retries++;
        pb->retry_at = p->w->now + backoff_for(p, pb->retries);
        trace_batch(p, "retry", pb, -1, error, NULL);
        reenqueue(p, pb);
        if (error == KERR_NOT_LEADER_OR_FOLLOWER || error == KERR_UNKNOWN_TOPIC_OR_PARTITION ||
            error == KERR_LEADER_NOT_AVAILABLE || error == KERR_NETWORK_EXCEPTION)
            p->meta.update_needed = true;
        return;
    }
    complete_batch(p, pb, -1, error, NULL);
}

/* ---- draining batches into Produce requests ---- */

static bool sendable(const producer_t *p, const pqueue_t *q, int64_t *next)
{
    const pbatch_t *pb = q->head;
    int64_t now = p->w->now;
    if (!pb)
        return false;
    /* With one request in flight per connection, Kafka mutes a partition in flight. */
    if (p->max_in_flight == 1 && q->in_flight > 0)
        return false;
    if (pb->retry_at > now) {
        if (pb->retry_at < *next)
            *next = pb->retry_at;
        return false;
    }
    bool full = pb->next != NULL || pb->b->size >= p->batch_size;
    if (full || pb->drained || p->n_flushes > 0 || p->closed || now >= pb->created + p->linger)
        return true;
    if (pb->created + p->linger < *next)
        *next = pb->created + p->linger;
    return false;
}

static void send_produce(producer_t *p, int32_t node)
{
    produce_req_t *req = proto_calloc(1, sizeof *req);
    req->acks = p->acks;
    req->timeout_ms = (int32_t)(p->request_timeout / US_PER_MS);
    pbatch_t **taken = NULL;
    int32_t n = 0, size = 0;
    for (int32_t t = 0; t < p->n_topics; t++) {
        ptopic_t *tp = &p->topics[t];
        for (int32_t qi = 0; qi < tp->n; qi++) {
            pqueue_t *q = &tp->qs[qi];
            pbatch_t *pb = q->head;
            if (!pb || meta_leader_node(&p->meta, tp->name, qi) != node)
                continue;
            if (pb->retry_at > p->w->now || (p->max_in_flight == 1 && q->in_flight > 0))
                continue;
            if (n > 0 && size + pb->b->size > p->max_request_size)
                continue;
            q->head = pb->next;
            if (!q->head)
                q->tail = NULL;
            pb->next = NULL;
            pb->drained = true;
            pb->in_flight = true;
            pb->attempts++;
            q->in_flight++;
            size += pb->b->size;
            taken = realloc(taken, (size_t)(n + 1) * sizeof *taken);
            if (!taken)
                abort();
            taken[n++] = pb;
        }
    }
    req->n = n;
    req->parts = proto_calloc((size_t)n, sizeof *req->parts);
    for (int32_t i = 0; i < n; i++)
        req->parts[i] = (produce_part_t){ taken[i]->b->topic, taken[i]->b->partition,
                                          batch_ref(taken[i]->b) };
    msg_t *m = msg_new(p->w, API_PRODUCE, false, req, &produce_req_ops);
    m->corr = ++p->next_corr;
    m->size = size;
    if (p->acks == 0) {
        net_send(p->w, p->node, node, m);
        /* No response will come: the batch is done once it is on the wire. */
        for (int32_t i = 0; i < n; i++) {
            taken[i]->in_flight = false;
            topic_state(p, taken[i]->b->topic, 0)->qs[taken[i]->b->partition].in_flight--;
            complete_batch(p, taken[i], -1, KERR_NONE, NULL);
        }
        free(taken);
        return;
    }
    inflight_t *f = track(p, m, node);
    f->batches = taken;
    f->n = n;
    net_send(p->w, p->node, node, m);
}

static void sender_run(producer_t *p)
{
    if (!p->node->up)
        return;
    int64_t next = INT64_MAX;
    expire(p, &next);
    /* Metadata is wanted only while records wait for it (see also unknown leaders). */
    if (p->n_waiting)
        p->meta.update_needed = true;
    maybe_request_metadata(p, &next);
    /* Which nodes have a sendable partition: in topic, then partition order. */
    int32_t *ready = NULL, n_ready = 0;
    for (int32_t t = 0; t < p->n_topics; t++) {
        for (int32_t qi = 0; qi < p->topics[t].n; qi++) {
            if (!sendable(p, &p->topics[t].qs[qi], &next))
                continue;
            int32_t node = meta_leader_node(&p->meta, p->topics[t].name, qi);
            if (node < 0) {
                p->meta.update_needed = true;
                continue;
            }
            bool seen = false;
            for (int32_t i = 0; i < n_ready; i++)
                seen |= ready[i] == node;
            if (seen)
                continue;
            ready = realloc(ready, (size_t)(n_ready + 1) * sizeof *ready);
            if (!ready)
                abort();
            ready[n_ready++] = node;
        }
    }
    for (int32_t i = 0; i < n_ready; i++)
        if (inflight_to(p, ready[i]) < p->max_in_flight)
            send_produce(p, ready[i]);
    free(ready);
    if (p->meta.update_needed && !metadata_in_flight(p)) {
        int64_t at = p->meta.last_attempt + p->backoff;
        if (at < next)
            next = at > p->w->now ? at : p->w->now;
    }
    if (next != INT64_MAX) {
        schedule_wakeup(p, next);
    } else if (p->wakeup) {
        /* Nothing left to wait for: the world may go idle. */
        world_cancel(p->w, p->wakeup);
        p->wakeup = 0;
    }
    notify_due(p);
}

/* ---- responses ---- */

static pbatch_t *take_batch(inflight_t *f, const char *topic, int32_t partition)
{
    for (int32_t i = 0; i < f->n; i++) {
        pbatch_t *pb = f->batches[i];
        if (pb && pb->b->partition == partition && strcmp(pb->b->topic, topic) == 0) {
            f->batches[i] = NULL;
            return pb;
        }
    }
    return NULL;
}

/* The batch is back from the wire: settle it with the outcome for its partition. */
static void settle(producer_t *p, pbatch_t *pb, int16_t error, int64_t base)
{
    pb->in_flight = false;
    topic_state(p, pb->b->topic, 0)->qs[pb->b->partition].in_flight--;
    if (pb->done) {
        free_batch(pb);
        return;
    }
    if (error == KERR_NONE)
        complete_batch(p, pb, base, KERR_NONE, NULL);
    else
        fail_or_retry(p, pb, error);
}

static void fail_request(producer_t *p, inflight_t *f, int16_t error)
{
    if (f->api == API_METADATA)
        p->meta.update_needed = true;
    for (int32_t i = 0; i < f->n; i++)
        if (f->batches[i])
            settle(p, f->batches[i], error, -1);
    free(f->batches);
}

static void trace_ignored(producer_t *p, const msg_t *m, const char *reason)
{
    cJSON *ev = world_trace(p->w, p->node, "response_ignored");
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "api", api_name(m->api));
    trace_add_int(ev, "corr", m->corr);
    cJSON_AddStringToObject(ev, "reason", reason);
    world_emit(p->w, ev);
}

static void on_message(node_t *n, msg_t *m)
{
    producer_t *p = n->impl;
    int32_t i = m->response ? find_inflight(p, m->corr) : -1;
    if (i < 0 || p->inflight[i].node != m->from) {
        if (m->response)
            trace_ignored(p, m, "no request in flight with this id: its connection was "
                                "closed after a timeout");
        return;
    }
    inflight_t f = untrack(p, i);
    if (m->api == API_METADATA) {
        meta_apply(&p->meta, m->body);
        drain_waiting(p);
    } else if (m->api == API_PRODUCE) {
        const produce_resp_t *resp = m->body;
        for (int32_t k = 0; k < resp->n; k++) {
            const produce_part_resp_t *pr = &resp->parts[k];
            pbatch_t *pb = take_batch(&f, pr->topic, pr->partition);
            if (pb)
                settle(p, pb, pr->error, pr->base_offset);
        }
        /* Partitions the response left out failed. */
        for (int32_t k = 0; k < f.n; k++)
            if (f.batches[k])
                settle(p, f.batches[k], KERR_NETWORK_EXCEPTION, -1);
        free(f.batches);
    }
    schedule_run(p);
    notify_due(p);
}

/* Kafka closes the connection when a request times out: everything else in flight on
 * it fails with a disconnect, and late responses find no request to answer. */
static void request_timed_out(void *a, void *b, int64_t corr)
{
    producer_t *p = a;
    int32_t i = find_inflight(p, (int32_t)corr);
    if (i < 0)
        return;
    int32_t node = p->inflight[i].node;
    cJSON *ev = world_trace(p->w, p->node, "request_timeout");
    if (ev) {
        cJSON_AddStringToObject(ev, "to", world_node(p->w, node)->name);
        cJSON_AddStringToObject(ev, "api", api_name(p->inflight[i].api));
        trace_add_int(ev, "corr", (int64_t)corr);
        trace_add_int(ev, "timeout_ms", (int64_t)(p->request_timeout / US_PER_MS));
        world_emit(p->w, ev);
    }
    inflight_t f = untrack(p, i);
    fail_request(p, &f, KERR_REQUEST_TIMED_OUT);
    for (int32_t k = 0; k < p->n_inflight;) {
        if (p->inflight[k].node == node) {
            inflight_t other = untrack(p, k);
            fail_request(p, &other, KERR_NETWORK_EXCEPTION);
        } else {
            k++;
        }
    }
    schedule_run(p);
    notify_due(p);
}

/* ---- flush, close, crash ---- */

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
    schedule_run(p);
}

void producer_close(producer_t *p)
{
    p->closed = true;
    schedule_run(p);
}

/* The process died: what it held in memory is gone, and so is every pending send. */
static void on_crash(node_t *n)
{
    producer_t *p = n->impl;
    for (int32_t t = 0; t < p->n_topics; t++)
        for (int32_t q = 0; q < p->topics[t].n; q++)
            for (pbatch_t *pb = p->topics[t].qs[q].head; pb; pb = pb->next)
                for (int32_t i = 0; i < pb->b->n; i++)
                    finish_record(p, pb->recs[i], -1, KERR_CLIENT_CRASHED);
    for (int32_t i = 0; i < p->n_inflight; i++)
        for (int32_t j = 0; j < p->inflight[i].n; j++) {
            pbatch_t *pb = p->inflight[i].batches[j];
            if (pb && !pb->done)
                for (int32_t k = 0; k < pb->b->n; k++)
                    finish_record(p, pb->recs[k], -1, KERR_CLIENT_CRASHED);
        }
    for (size_t i = 0; i < p->n_waiting; i++)
        finish_record(p, p->waiting[i].rec, -1, KERR_CLIENT_CRASHED);
    drop_all(p);
    p->run_scheduled = false;
    p->wakeup = 0;
    notify_due(p);
}
