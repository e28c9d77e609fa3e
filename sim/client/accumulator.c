/* accumulator: the producer's RecordAccumulator: batches per partition, the partitioner,
 * records waiting for metadata, and which batches are ready to go. */

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hash.h"
#include "../kafka/api.h"
#include "producer_internal.h"

void acc_free_batch(pbatch_t *pb)
{
    batch_unref(pb->b);
    free(pb->recs);
    free(pb);
}

/* The accumulator of a topic; n > 0 creates it or grows it to n partitions. */
ptopic_t *acc_topic(producer_t *p, const char *name, int32_t n)
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

void acc_append(producer_t *p, uint32_t rec, int32_t explicit_p, bytes_t key,
                          bytes_t value)
{
    send_result_t *r = &p->results[rec];
    const meta_topic_t *mt = meta_find(&p->meta, r->topic);
    assert(explicit_p < mt->n);
    ptopic_t *t = acc_topic(p, r->topic, mt->n);
    int32_t part = choose_partition(p, t, explicit_p, key);
    r->partition = part;
    /* The sender adds the partition to the transaction before its batches may go. */
    tm_maybe_add_partition(&p->tm, r->topic, part);
    pqueue_t *q = &t->qs[part];
    pbatch_t *pb = q->tail;
    bool new_batch = !pb || pb->drained ||
                     batch_size_with(pb->b, key, value, r->timestamp) > p->batch_size;
    if (new_batch) {
        if (pb && !pb->drained)
            sender_wake(p); /* the previous batch is full */
        pb = proto_calloc(1, sizeof *pb);
        pb->b = batch_new(r->topic, part);
        if (tm_is_transactional(&p->tm))
            pb->b->flags |= LOG_REC_TRANSACTIONAL;
        pb->created = p->w->now;
        pb->pid = TM_NO_PID;
        pb->epoch = TM_NO_EPOCH;
        pb->base_seq = TM_NO_SEQ;
        if (q->tail)
            q->tail->next = pb;
        else
            q->head = pb;
        q->tail = pb;
    }
    /* What this record added, batch header included for a new batch (appendedBytes). */
    int32_t before = new_batch ? 0 : pb->b->size;
    batch_add(pb->b, key, value, r->timestamp);
    size_t cap = (size_t)pb->cap_recs;
    pb->recs = prod_grow(pb->recs, &cap, (size_t)pb->b->n, sizeof *pb->recs);
    pb->cap_recs = (int32_t)cap;
    pb->recs[pb->b->n - 1] = rec;
    if (explicit_p < 0 && bytes_is_null(key)) {
        /* BuiltInPartitioner.updatePartitionInfo: switch after batch.size bytes once the
         * partition's batches are full (no half-empty batch left behind), or after twice
         * batch.size whatever. */
        t->sticky_bytes += pb->b->size - before;
        bool all_full = q->head != q->tail || pb->b->size >= p->batch_size;
        if ((t->sticky_bytes >= p->batch_size && all_full) ||
            t->sticky_bytes >= 2 * (int64_t)p->batch_size) {
            t->sticky = (int32_t)rng_range(&p->node->rng, 0, t->n - 1);
            t->sticky_bytes = 0;
        }
    }
    if (pb->b->size >= p->batch_size || p->linger == 0)
        sender_wake(p);
    else
        sender_wake_at(p, pb->created + p->linger);
}

/* Metadata knows the topic and, if one was named, that partition. */
bool acc_known_partition(const meta_topic_t *mt, int32_t partition)
{
    return mt->n > 0 && partition < mt->n;
}

bool acc_topic_waiting(const producer_t *p, const char *topic)
{
    for (size_t i = 0; i < p->n_waiting; i++)
        if (p->results[p->waiting[i].rec].topic == topic)
            return true;
    return false;
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
void acc_drain_waiting(producer_t *p)
{
    size_t kept = 0;
    for (size_t i = 0; i < p->n_waiting; i++) {
        waiting_rec_t wr = p->waiting[i];
        const meta_topic_t *mt = meta_find(&p->meta, p->results[wr.rec].topic);
        if (acc_known_partition(mt, wr.partition) && !topic_waiting_before(p, kept, mt->name)) {
            acc_append(p, wr.rec, wr.partition, wr.key, wr.value);
            free((void *)wr.key.p);
            free((void *)wr.value.p);
        } else {
            p->waiting[kept++] = wr;
        }
    }
    p->n_waiting = kept;
}

void acc_expire(producer_t *p, int64_t *next)
{
    int64_t now = p->w->now;
    /* As RecordAccumulator.expiredBatches: batches wait in creation order, so each queue
     * is looked at only up to its first batch still within delivery.timeout.ms. */
    for (int32_t t = 0; t < p->n_topics; t++) {
        for (int32_t qi = 0; qi < p->topics[t].n; qi++) {
            pqueue_t *q = &p->topics[t].qs[qi];
            while (q->head) {
                pbatch_t *pb = q->head;
                int64_t deadline = pb->created + p->delivery_timeout;
                if (now < deadline) {
                    if (deadline < *next)
                        *next = deadline;
                    break;
                }
                q->head = pb->next;
                if (!q->head)
                    q->tail = NULL;
                prod_expire_batch(p, pb);
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
            /* doSend's catch (ApiException): the transaction can only abort now. */
            char msg[200];
            snprintf(msg, sizeof msg, "Topic %s not present in metadata after %lld ms.",
                     p->results[wr.rec].topic, (long long)(p->max_block / US_PER_MS));
            tm_batch_error(&p->tm, KERR_CLIENT_TIMEOUT, msg);
            prod_finish_record(p, wr.rec, -1, KERR_CLIENT_TIMEOUT);
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

void acc_reenqueue(producer_t *p, pbatch_t *pb)
{
    ptopic_t *t = acc_topic(p, pb->b->topic, 0);
    pqueue_t *q = &t->qs[pb->b->partition];
    /* RecordAccumulator.insertInSequenceOrder: with idempotence a retried batch goes in
     * front of every queued batch with a higher sequence or none, behind lower ones. */
    pbatch_t **at = &q->head;
    if (p->idempotent)
        while (*at && (*at)->base_seq != TM_NO_SEQ && (*at)->base_seq < pb->base_seq)
            at = &(*at)->next;
    pb->next = *at;
    *at = pb;
    if (!pb->next)
        q->tail = pb;
}

bool acc_sendable(const producer_t *p, const pqueue_t *q, int64_t *next)
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
    /* A transaction being committed or aborted sends what it has at once. */
    if (full || pb->drained || p->n_flushes > 0 || p->closed || now >= pb->created + p->linger ||
        tm_is_completing(&p->tm))
        return true;
    if (pb->created + p->linger < *next)
        *next = pb->created + p->linger;
    return false;
}

void acc_hold(producer_t *p, uint32_t rec, int32_t partition, bytes_t key, bytes_t value)
{
    p->waiting = prod_grow(p->waiting, &p->cap_waiting, p->n_waiting + 1, sizeof *p->waiting);
    p->waiting[p->n_waiting++] =
        (waiting_rec_t){ rec, partition, bytes_dup(key), bytes_dup(value), p->w->now };
}

/* Where draining for `node` starts next time (RecordAccumulator's drainIndex). */
static int32_t *drain_index(producer_t *p, int32_t node)
{
    if (node >= p->n_drain) {
        int32_t n = p->w->n_nodes > node ? p->w->n_nodes : node + 1;
        p->drain = realloc(p->drain, (size_t)n * sizeof *p->drain);
        if (!p->drain)
            abort();
        memset(p->drain + p->n_drain, 0, (size_t)(n - p->n_drain) * sizeof *p->drain);
        p->n_drain = n;
    }
    return &p->drain[node];
}

int32_t acc_drain(producer_t *p, int32_t node, pbatch_t ***out, int32_t *size)
{
    /* The partitions this node leads, in topic then partition order. */
    int32_t n_parts = 0;
    for (int32_t t = 0; t < p->n_topics; t++)
        for (int32_t qi = 0; qi < p->topics[t].n; qi++)
            n_parts += meta_leader_node(&p->meta, p->topics[t].name, qi) == node;
    pqueue_t **qs = malloc((size_t)(n_parts ? n_parts : 1) * sizeof *qs);
    pbatch_t **taken = malloc((size_t)(n_parts ? n_parts : 1) * sizeof *taken);
    if (!qs || !taken)
        abort();
    int32_t k = 0;
    for (int32_t t = 0; t < p->n_topics; t++)
        for (int32_t qi = 0; qi < p->topics[t].n; qi++)
            if (meta_leader_node(&p->meta, p->topics[t].name, qi) == node)
                qs[k++] = &p->topics[t].qs[qi];
    /* As drainBatchesForOneNode: partitions take turns from where the last round stopped,
     * one batch each; draining stops at the first batch that would pass max.request.size,
     * or that idempotence holds back. */
    int32_t n = 0;
    *size = 0;
    int32_t *idx = drain_index(p, node);
    int32_t i = n_parts ? *idx % n_parts : 0;
    for (int32_t visited = 0; visited < n_parts; visited++, i = (i + 1) % n_parts) {
        *idx = i;
        pqueue_t *q = qs[i];
        pbatch_t *pb = q->head;
        if (!pb || pb->retry_at > p->w->now || (p->max_in_flight == 1 && q->in_flight > 0))
            continue;
        if (n > 0 && *size + pb->b->size > p->max_request_size)
            break;
        if (p->idempotent && tm_should_stop_drain(&p->tm, pb, pb->b->topic, pb->b->partition))
            break;
        q->head = pb->next;
        if (!q->head)
            q->tail = NULL;
        pb->next = NULL;
        if (p->idempotent && pb->base_seq == TM_NO_SEQ)
            tm_assign_sequence(&p->tm, pb, pb->b->topic, pb->b->partition);
        pb->drained = true;
        pb->in_flight = true;
        pb->attempts++;
        q->in_flight++;
        *size += pb->b->size;
        taken[n++] = pb;
    }
    free(qs);
    *out = taken;
    return n;
}
