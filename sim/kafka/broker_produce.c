/* broker_produce: the Produce handler: appends to the partitions this broker leads, with
 * acks and min.insync.replicas as Kafka checks them, and the purgatory where acks=all
 * requests wait for the high watermark (Kafka's DelayedProduce). */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "broker_internal.h"
#include "protocol.h"

typedef struct produce_wait {
    produce_resp_t *resp;
    int64_t *required;   /* per partition: the offset the HW must pass; -1 when answered */
    int64_t arrived;
} produce_wait_t;

void broker_trace_append(broker_t *b, const bpartition_t *part)
{
    cJSON *ev = world_trace(b->w, b->node, "append");
    if (!ev)
        return;
    const plog_t *l = &part->log;
    const log_batch_t *batch = &l->batches[l->n_batches - 1];
    trace_add_tp(ev, part->topic, part->partition);
    trace_add_int(ev, "base_offset", batch->base_offset);
    trace_add_int(ev, "last_offset", batch->last_offset);
    trace_add_int(ev, "leader_epoch", batch->leader_epoch);
    if (batch->producer_id >= 0) {
        trace_add_int(ev, "producer_id", batch->producer_id);
        trace_add_int(ev, "producer_epoch", batch->producer_epoch);
        trace_add_int(ev, "base_seq", batch->base_sequence);
    }
    if (batch->flags & LOG_REC_TRANSACTIONAL)
        cJSON_AddTrueToObject(ev, "transactional");
    cJSON *recs = cJSON_AddArrayToObject(ev, "records");
    for (int32_t i = 0; i < batch->n; i++) {
        const log_record_t *r = &l->recs[batch->first + (size_t)i];
        cJSON *o = cJSON_CreateObject();
        trace_add_int(o, "offset", r->offset);
        cJSON_AddItemToObject(o, "key", bytes_json(r->key));
        cJSON_AddItemToObject(o, "value", bytes_json(r->value));
        cJSON_AddItemToArray(recs, o);
    }
    world_emit(b->w, ev);
}

static int32_t maximal_isr_size(const bpartition_t *part)
{
    int32_t n = 0;
    for (int32_t i = 0; i < part->reg.n_replicas; i++)
        n += part_in_maximal_isr(part, part->reg.replicas[i]);
    return n;
}

static void trace_sequence(broker_t *b, const bpartition_t *part, const record_batch_t *batch,
                           const pstate_check_t *c)
{
    cJSON *ev = world_trace(b->w, b->node, c->verdict == PSTATE_DUPLICATE ? "duplicate"
                                                                         : "sequence_rejected");
    if (!ev)
        return;
    trace_add_tp(ev, part->topic, part->partition);
    trace_add_int(ev, "producer_id", batch->producer_id);
    trace_add_int(ev, "producer_epoch", batch->producer_epoch);
    trace_add_int(ev, "first_seq", batch->base_sequence);
    trace_add_int(ev, "last_seq", seq_add(batch->base_sequence, batch->n - 1));
    if (c->verdict == PSTATE_DUPLICATE) {
        trace_add_int(ev, "base_offset", c->duplicate.first_offset);
        trace_add_int(ev, "last_offset", c->duplicate.last_offset);
    } else {
        cJSON_AddStringToObject(ev, "error", kerr_name(c->error));
        trace_add_int(ev, "current_epoch", c->current_epoch);
        trace_add_int(ev, "last_seq_known", c->last_seq);
    }
    cJSON_AddStringToObject(ev, "reason", c->reason);
    world_emit(b->w, ev);
}

/* Kafka 3.6+ (KIP-890 part 1, transaction.partition.verification.enable) first asks the
 * transaction coordinator whether the partition is in the producer's transaction; ksim
 * appends as Kafka before 3.6 did, and says so once per broker. */
static void note_no_verification(broker_t *b)
{
    if (b->verify_noted)
        return;
    b->verify_noted = true;
    cJSON *ev = world_trace(b->w, b->node, "simplification");
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "what",
                            "a transactional batch is appended without asking the transaction "
                            "coordinator whether the partition is in the transaction (KIP-890 "
                            "part 1's verification, Kafka 3.6+, is not modelled)");
    world_emit(b->w, ev);
}

/* Partition.appendRecordsToLeader. A batch of an idempotent producer is checked against
 * the partition's producer state first: a duplicate is answered with the offsets it was
 * written at (*last set), nothing appended. */
static int16_t append_to_leader(broker_t *b, const produce_part_t *pp, int16_t acks,
                                int64_t *base, int64_t *last)
{
    int16_t err;
    bpartition_t *part = broker_led(b, pp->topic, pp->partition, &err);
    if (!part)
        return err;
    /* min.insync.replicas binds acks=all only, and is checked before the append. */
    if (acks == -1 && part->reg.n_isr < part_min_isr(b, part))
        return KERR_NOT_ENOUGH_REPLICAS;
    const record_batch_t *batch = pp->batch;
    if ((err = logmgr_check_append(b, part, batch->recs, batch->n)) != KERR_NONE)
        return err;
    if (batch->producer_id >= 0) {
        pstate_check_t c = pstate_check_sequence(
            &part->pstate, batch->producer_id, batch->producer_epoch, batch->base_sequence,
            seq_add(batch->base_sequence, batch->n - 1));
        if (c.verdict != PSTATE_APPEND) {
            trace_sequence(b, part, batch, &c);
            if (c.verdict == PSTATE_REJECT)
                return c.error;
            *base = c.duplicate.first_offset;
            *last = c.duplicate.last_offset;
            return KERR_NONE;
        }
        bool txn = (batch->flags & LOG_REC_TRANSACTIONAL) != 0;
        if ((c.error = pstate_check_txn(&part->pstate, batch->producer_id, txn)) != KERR_NONE) {
            c.verdict = PSTATE_REJECT;
            c.reason = "a non-transactional batch while the producer's transaction is open";
            trace_sequence(b, part, batch, &c);
            return c.error;
        }
        if (txn)
            note_no_verification(b);
    }
    log_append_t meta = { .producer_id = batch->producer_id,
                          .producer_epoch = batch->producer_epoch,
                          .base_sequence = batch->base_sequence,
                          .leader_epoch = part->reg.leader_epoch,
                          .flags = batch->flags,
                          .size = batch->size };
    *base = plog_append(&part->log, batch->recs, batch->n, &meta);
    *last = *base + batch->n - 1;
    pstate_update(&part->pstate, &part->log.batches[part->log.n_batches - 1]);
    b->m.messages_in += batch->n;
    b->m.bytes_in += batch->size;
    broker_trace_append(b, part);
    part_update_lso(b, part);
    part_maybe_advance_hw(b, part);
    return KERR_NONE;
}

bool produce_replicated(broker_t *b, const char *topic, int32_t partition, int64_t required,
                        int16_t *error)
{
    int16_t err;
    bpartition_t *part = broker_led(b, topic, partition, &err);
    if (!part) {
        *error = KERR_NOT_LEADER_OR_FOLLOWER;
        return true;
    }
    if (part->log.hw < required)
        return false;
    *error = maximal_isr_size(part) < part_min_isr(b, part)
                 ? KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND
                 : KERR_NONE;
    return true;
}

/* One waiting partition: true when done. */
static bool check_part(broker_t *b, produce_part_resp_t *pr, int64_t required)
{
    return produce_replicated(b, pr->topic, pr->partition, required, &pr->error);
}

static bool try_complete(broker_t *b, produce_wait_t *w)
{
    bool done = true;
    for (int32_t i = 0; i < w->resp->n; i++) {
        if (w->required[i] < 0)
            continue;
        if (check_part(b, &w->resp->parts[i], w->required[i]))
            w->required[i] = -1;
        else
            done = false;
    }
    return done;
}

static void respond(broker_t *b, msg_t *m, produce_wait_t *w)
{
    request_time_add(&b->m.produce, b->w->now - w->arrived);
    net_reply(b->w, b->node, m, msg_new(b->w, API_PRODUCE, true, w->resp, &produce_resp_ops));
    free(w->required);
    free(w);
}

static void produce_expired(void *a, void *bb, int64_t arg)
{
    broker_t *b = a;
    for (size_t i = 0; i < b->produces.n; i++) {
        if (b->produces.v[i].req != bb)
            continue;
        produce_wait_t *w = b->produces.v[i].state;
        for (int32_t p = 0; p < w->resp->n; p++)
            if (w->required[p] >= 0)
                w->resp->parts[p].error = KERR_REQUEST_TIMED_OUT;
        respond(b, bb, w);
        delayed_remove(b->w, &b->produces, i);
        return;
    }
}

void produce_handle(broker_t *b, msg_t *m)
{
    const produce_req_t *req = m->body;
    bool valid_acks = req->acks == -1 || req->acks == 0 || req->acks == 1;
    produce_wait_t *w = proto_calloc(1, sizeof *w);
    w->arrived = b->w->now;
    w->resp = proto_calloc(1, sizeof *w->resp);
    w->resp->n = req->n;
    w->resp->parts = proto_calloc((size_t)req->n, sizeof *w->resp->parts);
    w->required = proto_calloc((size_t)req->n, sizeof *w->required);
    for (int32_t i = 0; i < req->n; i++) {
        produce_part_resp_t *pr = &w->resp->parts[i];
        pr->topic = req->parts[i].topic;
        pr->partition = req->parts[i].partition;
        pr->base_offset = -1;
        int64_t last = -1;
        pr->error = valid_acks ? append_to_leader(b, &req->parts[i], req->acks, &pr->base_offset,
                                                  &last)
                               : KERR_INVALID_REQUIRED_ACKS;
        /* A duplicate waits, like the original, until its last offset is replicated. */
        bool waits = req->acks == -1 && pr->error == KERR_NONE;
        w->required[i] = waits ? last + 1 : -1;
    }
    /* The appends may have moved HWs: earlier requests waiting on them go first. */
    produce_try_complete(b);
    fetch_try_complete(b);
    if (req->acks == 0) { /* Kafka sends no response at all */
        produce_resp_ops.free(w->resp);
        free(w->required);
        free(w);
        return;
    }
    if (try_complete(b, w)) {
        respond(b, m, w);
        return;
    }
    ev_handle_t t = node_timer(b->node, (int64_t)req->timeout_ms * US_PER_MS, produce_expired,
                               b, m, 0);
    delayed_add(b->w, &b->produces, m, t, w);
}

void produce_try_complete(broker_t *b)
{
    for (size_t i = 0; i < b->produces.n;) {
        produce_wait_t *w = b->produces.v[i].state;
        if (try_complete(b, w)) {
            respond(b, b->produces.v[i].req, w);
            delayed_remove(b->w, &b->produces, i);
        } else {
            i++;
        }
    }
    /* WriteTxnMarkers appends wait in the same way (Kafka's DelayedProduce). */
    markers_try_complete(b);
}

/* A crash: the waiting requests are gone with the process. */
void produce_fail_all(broker_t *b)
{
    while (b->produces.n) {
        produce_wait_t *w = b->produces.v[b->produces.n - 1].state;
        produce_resp_ops.free(w->resp);
        free(w->required);
        free(w);
        delayed_remove(b->w, &b->produces, b->produces.n - 1);
    }
    markers_fail_all(b);
}
