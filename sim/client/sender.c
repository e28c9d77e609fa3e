/* sender: the producer's Sender: Produce and Metadata requests in flight per broker,
 * responses, retries with backoff, request timeouts, connection resets and the reconnect
 * backoff that follows them. */

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/net.h"
#include "../kafka/api.h"
#include "producer_internal.h"

static void request_timed_out(void *a, void *b, int64_t corr);

/* Batches in flight expire too (delivery.timeout.ms); their late responses are then
 * ignored. */
static void expire_in_flight(producer_t *p, int64_t *next)
{
    int64_t now = p->w->now;
    for (int32_t i = 0; i < p->inflight.n; i++) {
        pbatch_t **batches = p->inflight.e[i].data;
        for (int32_t j = 0; j < p->inflight.e[i].n; j++) {
            pbatch_t *pb = batches[j];
            int64_t deadline = pb->created + p->delivery_timeout;
            if (pb->done)
                continue;
            if (now >= deadline)
                prod_expire_batch(p, pb);
            else if (deadline < *next) {
                *next = deadline;
            }
        }
    }
}

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
void sender_wake(producer_t *p)
{
    if (p->run_scheduled || !p->node->up)
        return;
    p->run_scheduled = true;
    node_timer(p->node, 0, sender_cb, p, NULL, 0);
}

void sender_wake_at(producer_t *p, int64_t at)
{
    if (p->wakeup && p->wakeup_at <= at)
        return;
    if (p->wakeup)
        world_cancel(p->w, p->wakeup);
    p->wakeup_at = at;
    /* With no record pending and no transactional call waiting (one that timed out keeps
     * its request going, as Kafka's does), the producer's retries are background work:
     * they do not keep a run alive. */
    bool idle = p->pending == 0 && p->n_txn_waiters == 0;
    p->wakeup = (idle ? node_timer_bg : node_timer)(p->node, at - p->w->now, wakeup_cb, p,
                                                    NULL, 0);
}

static bool node_blocked(const producer_t *p, int32_t node)
{
    return inflight_ready_at(&p->inflight, node) > p->w->now;
}

/* For meta_pick_node: requests in flight to the node, or -1 while it backs off. */
static int32_t node_load(void *ctx, int32_t node)
{
    const producer_t *p = ctx;
    return node_blocked(p, node) ? -1 : inflight_count(&p->inflight, node, -1);
}

/* NetworkClient.leastLoadedNode for a request that may go to any broker; -1 while every
 * broker is backing off after a reset (then *next says when the chosen one may). */
int32_t sender_least_loaded(producer_t *p, int64_t *next)
{
    int32_t node = meta_pick_node(&p->meta, &p->node->rng, node_load, p);
    if (!node_blocked(p, node))
        return node;
    int64_t at = inflight_ready_at(&p->inflight, node);
    if (at < *next)
        *next = at;
    return -1;
}

inflight_t *sender_track(producer_t *p, const msg_t *m, int32_t node)
{
    return inflight_add(&p->inflight, p->node, m, node, p->request_timeout, request_timed_out,
                        p);
}

static void maybe_request_metadata(producer_t *p, int64_t *next)
{
    if (!p->meta.update_needed || inflight_count(&p->inflight, -1, API_METADATA) > 0)
        return;
    int64_t at = p->meta.last_attempt + p->backoff;
    if (p->w->now < at) {
        if (at < *next)
            *next = at;
        return;
    }
    int32_t node = sender_least_loaded(p, next);
    if (node < 0)
        return;
    msg_t *m = meta_request(&p->meta, p->w);
    m->corr = ++p->next_corr;
    sender_track(p, m, node);
    net_send(p->w, p->node, node, m);
}


/* Sender.canRetry: within delivery.timeout.ms and retries, and an error Kafka retries (with
 * idempotence, as TransactionManager.canRetry decides). */
static bool can_retry(producer_t *p, pbatch_t *pb, int16_t error)
{
    if (pb->done || p->w->now >= pb->created + p->delivery_timeout || pb->retries >= p->retries)
        return false;
    return p->idempotent ? tm_can_retry(&p->tm, pb, error) : kerr_retriable(error);
}

static void retry(producer_t *p, pbatch_t *pb, int16_t error)
{
    /* As Sender.canRetry: a closed producer still retries what it has. */
    pb->retry_at = p->w->now + client_backoff(p->backoff, p->backoff_max, pb->retries,
                                              &p->node->rng);
    pb->retries++;
    prod_trace_batch(p, "retry", pb, -1, error, NULL);
    acc_reenqueue(p, pb);
    if (error == KERR_NOT_LEADER_OR_FOLLOWER || error == KERR_UNKNOWN_TOPIC_OR_PARTITION ||
        error == KERR_LEADER_NOT_AVAILABLE || error == KERR_NETWORK_EXCEPTION)
        p->meta.update_needed = true;
}

/* The Sender's completeBatch for an answered batch: done, retried or failed. A batch that
 * expired meanwhile is already done for its records: a late success still tells the
 * transaction manager its sequence was written, a late failure is ignored (Sender.failBatch
 * acts only when the batch completes, KAFKA-14831). */
static void complete_batch(producer_t *p, pbatch_t *pb, int16_t error, int64_t base)
{
    if (error != KERR_NONE && can_retry(p, pb, error)) {
        retry(p, pb, error);
        return;
    }
    if (error == KERR_DUPLICATE_SEQUENCE_NUMBER) {
        /* Older brokers' answer to a duplicate whose offset is no longer known: success
         * without an offset. */
        error = KERR_NONE;
        base = -1;
    }
    if (p->idempotent) {
        if (error == KERR_NONE) {
            tm_completed(&p->tm, pb);
        } else if (!pb->done) { /* sequences are reused only if retries were left */
            tm_batch_error(&p->tm, error, NULL);
            tm_failed(&p->tm, pb, error, pb->retries < p->retries);
        }
    }
    if (pb->done)
        acc_free_batch(pb);
    else
        prod_complete_batch(p, pb, base, error, NULL);
}

/* Sends the queued InitProducerId to the least loaded broker (an idempotent producer needs
 * no coordinator). True while one is in flight: Kafka's Sender sends no data meanwhile. */
static bool maybe_send_init_pid(producer_t *p, int64_t *next)
{
    txn_manager_t *tm = &p->tm;
    if (tm->init_in_flight)
        return true;
    if (!tm->init_queued)
        return false;
    if (p->w->now < tm->init_not_before) {
        if (tm->init_not_before < *next)
            *next = tm->init_not_before;
        return false;
    }
    int32_t node = sender_least_loaded(p, next);
    if (node < 0)
        return false;
    init_pid_t *req = proto_calloc(1, sizeof *req);
    *req = (init_pid_t){ .transactional_id = NULL, .txn_timeout_ms = INT32_MAX,
                         .producer_id = TM_NO_PID, .producer_epoch = TM_NO_EPOCH };
    msg_t *m = msg_new(p->w, API_INIT_PRODUCER_ID, false, req, &init_pid_req_ops);
    m->corr = ++p->next_corr;
    sender_track(p, m, node);
    net_send(p->w, p->node, node, m);
    tm->init_in_flight = true;
    return true;
}

/* A failed InitProducerId goes again after retry.backoff.ms (TxnRequestHandler.reenqueue). */
static void init_pid_failed(producer_t *p)
{
    p->tm.init_in_flight = false;
    p->tm.init_not_before = p->w->now + p->backoff;
}

static void init_pid_response(producer_t *p, const init_pid_t *r)
{
    if (r->error != KERR_NONE) {
        /* The broker's only refusal of an idempotent producer is retriable: its block of
         * producer ids is not there yet. */
        assert(kerr_retriable(r->error));
        init_pid_failed(p);
        return;
    }
    tm_init_pid_done(&p->tm, r->producer_id, r->producer_epoch);
    cJSON *ev = world_trace(p->w, p->node, "producer_id");
    if (ev) {
        trace_add_int(ev, "producer_id", r->producer_id);
        trace_add_int(ev, "producer_epoch", r->producer_epoch);
        world_emit(p->w, ev);
    }
}

/* The client-side epoch bump (KIP-360), in the trace with the partitions it renumbered. */
static void trace_bump(producer_t *p)
{
    cJSON *ev = world_trace(p->w, p->node, "epoch_bump");
    if (!ev)
        return;
    const txn_manager_t *tm = &p->tm;
    trace_add_int(ev, "producer_id", tm->pid);
    trace_add_int(ev, "producer_epoch", tm->epoch);
    cJSON *parts = cJSON_AddArrayToObject(ev, "partitions");
    for (int32_t i = 0; i < tm->n_bumped; i++)
        cJSON_AddItemToArray(parts, tp_json(tm->bumped[i]->topic, tm->bumped[i]->partition));
    cJSON_AddStringToObject(ev, "reason",
                            tm_has_pid(tm) ? "sequences restart at 0 under a new epoch"
                                           : "epoch exhausted: a new producer id is needed");
    world_emit(p->w, ev);
}

/* Sender.runOnce's transaction manager steps; true while an InitProducerId is out. */
static bool idempotence_step(producer_t *p, int64_t *next)
{
    tm_maybe_resolve_sequences(&p->tm);
    tm_bump_epoch_and_reset_id_if_needed(&p->tm);
    if (p->tm.n_bumped)
        trace_bump(p);
    return maybe_send_init_pid(p, next);
}

/* Sends one Produce with what may go to `node`; false when nothing could. */
static bool send_produce(producer_t *p, int32_t node)
{
    pbatch_t **taken;
    int32_t size;
    int32_t n = acc_drain(p, node, &taken, &size);
    if (n == 0) {
        free(taken);
        return false;
    }
    produce_req_t *req = proto_calloc(1, sizeof *req);
    req->acks = p->acks;
    req->timeout_ms = (int32_t)(p->request_timeout / US_PER_MS);
    req->n = n;
    req->parts = proto_calloc((size_t)n, sizeof *req->parts);
    for (int32_t i = 0; i < n; i++) {
        pbatch_t *pb = taken[i];
        if (p->idempotent)
            pb->b = batch_with_producer(pb->b, pb->pid, pb->epoch, pb->base_seq);
        req->parts[i] = (produce_part_t){ pb->b->topic, pb->b->partition, batch_ref(pb->b) };
    }
    msg_t *m = msg_new(p->w, API_PRODUCE, false, req, &produce_req_ops);
    m->corr = ++p->next_corr;
    m->size = size;
    if (p->acks == 0) {
        m->oneway = true;
        net_send(p->w, p->node, node, m);
        /* No response will come: the batch is done once it is on the wire. */
        for (int32_t i = 0; i < n; i++) {
            taken[i]->in_flight = false;
            acc_topic(p, taken[i]->b->topic, 0)->qs[taken[i]->b->partition].in_flight--;
            prod_complete_batch(p, taken[i], -1, KERR_NONE, NULL);
        }
        free(taken);
        return true;
    }
    inflight_t *f = sender_track(p, m, node);
    f->data = taken;
    f->n = n;
    net_send(p->w, p->node, node, m);
    return true;
}

/* The nodes that lead a partition whose batch may go now, in topic then partition order. */
static int32_t ready_nodes(producer_t *p, int32_t *ready, int64_t *next)
{
    int32_t n_ready = 0;
    for (int32_t t = 0; t < p->n_topics; t++) {
        for (int32_t qi = 0; qi < p->topics[t].n; qi++) {
            if (!acc_sendable(p, &p->topics[t].qs[qi], next))
                continue;
            int32_t node = meta_leader_node(&p->meta, p->topics[t].name, qi);
            if (node < 0) {
                p->meta.update_needed = true;
                continue;
            }
            bool seen = false;
            for (int32_t i = 0; i < n_ready; i++)
                seen |= ready[i] == node;
            if (!seen)
                ready[n_ready++] = node;
        }
    }
    return n_ready;
}

void sender_run(producer_t *p)
{
    if (!p->node->up)
        return;
    int64_t next = INT64_MAX;
    acc_expire(p, &next);
    expire_in_flight(p, &next);
    /* Metadata is wanted while records wait for it or a leader is unknown, or after an
     * error or a lost connection, but only while records are pending at all; a due update
     * goes out before any Produce, as NetworkClient does. */
    if (p->n_waiting)
        p->meta.update_needed = true;
    if (p->pending == 0)
        p->meta.update_needed = false;
    maybe_request_metadata(p, &next);
    bool init_pending = tm_is_transactional(&p->tm) ? txn_step(p, &next)
                        : p->idempotent && idempotence_step(p, &next);
    /* As Sender.runOnce, which loops while nodes are ready: each ready node gets requests
     * until max.in.flight.requests.per.connection or nothing more may go. */
    int32_t *ready = malloc((size_t)p->w->n_nodes * sizeof *ready);
    if (!ready)
        abort();
    for (bool sent = !init_pending; sent;) {
        sent = false;
        int32_t n_ready = ready_nodes(p, ready, &next);
        for (int32_t i = 0; i < n_ready; i++) {
            if (node_blocked(p, ready[i])) {
                int64_t at = inflight_ready_at(&p->inflight, ready[i]);
                if (at < next)
                    next = at;
            } else if (inflight_count(&p->inflight, ready[i], -1) < p->max_in_flight) {
                sent |= send_produce(p, ready[i]);
            }
        }
    }
    free(ready);
    maybe_request_metadata(p, &next);
    if (next != INT64_MAX) {
        sender_wake_at(p, next);
    } else if (p->wakeup) {
        /* Nothing left to wait for: the world may go idle. */
        world_cancel(p->w, p->wakeup);
        p->wakeup = 0;
    }
    prod_notify(p);
    prod_txn_poll(p);
}

static pbatch_t *take_batch(inflight_t *f, const char *topic, int32_t partition)
{
    pbatch_t **batches = f->data;
    for (int32_t i = 0; i < f->n; i++) {
        pbatch_t *pb = batches[i];
        if (pb && pb->b->partition == partition && strcmp(pb->b->topic, topic) == 0) {
            batches[i] = NULL;
            return pb;
        }
    }
    return NULL;
}

/* The batch is back from the wire: settle it with the outcome for its partition. */
static void settle(producer_t *p, pbatch_t *pb, int16_t error, int64_t base)
{
    pb->in_flight = false;
    acc_topic(p, pb->b->topic, 0)->qs[pb->b->partition].in_flight--;
    complete_batch(p, pb, error, base);
}

static void fail_request(producer_t *p, inflight_t *f, int16_t error)
{
    if (f->api == API_METADATA)
        p->meta.update_needed = true;
    if (tm_is_transactional(&p->tm))
        txn_request_lost(p, f->corr);
    else if (f->api == API_INIT_PRODUCER_ID)
        init_pid_failed(p);
    pbatch_t **batches = f->data;
    for (int32_t i = 0; i < f->n; i++)
        if (batches[i])
            settle(p, batches[i], error, -1);
    free(batches);
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

void sender_on_message(node_t *n, msg_t *m)
{
    producer_t *p = n->impl;
    int32_t i = m->response ? inflight_find(&p->inflight, m->corr) : -1;
    if (i < 0 || p->inflight.e[i].node != m->from) {
        if (m->response)
            trace_ignored(p, m, "no request in flight with this id: its connection was "
                                "closed (a timeout or a reset)");
        return;
    }
    inflight_t f = inflight_take(&p->inflight, p->w, i);
    inflight_answered(&p->inflight, m->from);
    if (txn_owns(p, m)) {
        txn_response(p, m);
    } else if (m->api == API_METADATA) {
        meta_apply(&p->meta, m->body);
        acc_drain_waiting(p);
    } else if (m->api == API_INIT_PRODUCER_ID) {
        init_pid_response(p, m->body);
    } else if (m->api == API_PRODUCE) {
        const produce_resp_t *resp = m->body;
        for (int32_t k = 0; k < resp->n; k++) {
            const produce_part_resp_t *pr = &resp->parts[k];
            pbatch_t *pb = take_batch(&f, pr->topic, pr->partition);
            if (pb)
                settle(p, pb, pr->error, pr->base_offset);
        }
        /* Partitions the response left out failed. */
        fail_request(p, &f, KERR_NETWORK_EXCEPTION);
    }
    sender_wake(p);
    prod_notify(p);
}

/* Connection `conn` to `node` is gone (Kafka's NetworkClient closed it after a request
 * timeout, or TCP reset it): every request sent on it fails with `error`, and reconnecting
 * backs off. */
static void connection_lost(producer_t *p, int32_t node, uint32_t conn, int16_t error)
{
    int32_t i;
    while ((i = inflight_on_conn(&p->inflight, node, conn)) >= 0) {
        inflight_t f = inflight_take(&p->inflight, p->w, i);
        fail_request(p, &f, error);
    }
    inflight_reset(&p->inflight, node, p->w->now, p->reconnect_backoff, p->reconnect_backoff_max,
                   &p->node->rng);
    p->meta.update_needed = true;
    sender_wake(p);
    prod_notify(p);
}

/* Kafka closes the connection when a request times out: every request in flight on it
 * fails as timed out (KAFKA-14317), and late responses find no request to answer. */
static void request_timed_out(void *a, void *b, int64_t corr)
{
    producer_t *p = a;
    int32_t i = inflight_find(&p->inflight, (int32_t)corr);
    if (i < 0)
        return;
    const inflight_t *f = &p->inflight.e[i];
    int32_t node = f->node;
    cJSON *ev = world_trace(p->w, p->node, "request_timeout");
    if (ev) {
        cJSON_AddStringToObject(ev, "to", world_node(p->w, node)->name);
        cJSON_AddStringToObject(ev, "api", api_name(f->api));
        trace_add_int(ev, "corr", (int64_t)corr);
        trace_add_int(ev, "timeout_ms", (int64_t)(p->request_timeout / US_PER_MS));
        world_emit(p->w, ev);
    }
    uint32_t conn = net_conn(p->w->net, p->node->id, node);
    net_close(p->w->net, p->node->id, node);
    connection_lost(p, node, conn, KERR_REQUEST_TIMED_OUT);
}

void sender_on_disconnect(node_t *n, int32_t peer, uint32_t conn)
{
    connection_lost(n->impl, peer, conn, KERR_NETWORK_EXCEPTION);
}
