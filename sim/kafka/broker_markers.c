/* broker_markers: WriteTxnMarkers as a partition leader handles it (KafkaApis.
 * handleWriteTxnMarkersRequest): for each producer's entry and each of its partitions, a
 * control batch (COMMIT or ABORT) after the producer-state checks of appendEndTxnMarker,
 * appended with acks=all; the request waits here until the HW passes every marker (or
 * request.timeout.ms), and a marker on a __consumer_offsets partition then completes the
 * group coordinator's pending transactional offsets. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "broker_internal.h"
#include "group_coordinator.h"
#include "protocol.h"
#include "txn_protocol.h"

typedef struct marker_wait {
    write_markers_t *resp;
    int64_t *required;  /* per partition of every entry, in order: the offset the HW must
                         * reach; -1 when answered */
    bool *completed;    /* per entry: its partitions are all answered */
} marker_wait_t;

/* A marker event with the entry's fields (NULL when the trace is off). */
static cJSON *marker_event(broker_t *b, const char *kind, const bpartition_t *part,
                           const txn_marker_entry_t *e)
{
    cJSON *ev = world_trace(b->w, b->node, kind);
    if (!ev)
        return NULL;
    trace_add_tp(ev, part->topic, part->partition);
    trace_add_int(ev, "producer_id", e->producer_id);
    trace_add_int(ev, "producer_epoch", e->producer_epoch);
    cJSON_AddStringToObject(ev, "result", e->commit ? "commit" : "abort");
    trace_add_int(ev, "coordinator_epoch", e->coordinator_epoch);
    return ev;
}

static void trace_rejected(broker_t *b, const bpartition_t *part, const txn_marker_entry_t *e,
                           const pstate_check_t *c)
{
    cJSON *ev = marker_event(b, "txn_marker_rejected", part, e);
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "error", kerr_name(c->error));
    trace_add_int(ev, "current_epoch", c->current_epoch);
    trace_add_int(ev, "current_coordinator_epoch", c->coordinator_epoch);
    cJSON_AddStringToObject(ev, "reason", c->reason);
    world_emit(b->w, ev);
}

static void trace_marker(broker_t *b, const bpartition_t *part, const txn_marker_entry_t *e,
                         int64_t offset)
{
    cJSON *ev = marker_event(b, "txn_marker", part, e);
    if (!ev)
        return;
    /* The control record's type, as kafka-dump-log names it. */
    cJSON_AddStringToObject(ev, "control", e->commit ? "COMMIT" : "ABORT");
    trace_add_int(ev, "offset", offset);
    trace_add_int(ev, "leader_epoch", part->reg.leader_epoch);
    world_emit(b->w, ev);
}

/* One partition's marker: ReplicaManager.appendRecords with acks=-1 and the coordinator as
 * origin. Sets *offset to the marker's offset when appended. */
static int16_t append_marker(broker_t *b, const txn_marker_entry_t *e, const char *topic,
                             int32_t partition, int64_t *offset)
{
    int16_t err;
    bpartition_t *part = broker_partition(b, topic, partition);
    if (!part || !part->hosted)
        return KERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (!(part = broker_led(b, topic, partition, &err)))
        return err;
    if (part->reg.n_isr < part_min_isr(b, part))
        return KERR_NOT_ENOUGH_REPLICAS;
    pstate_check_t c = pstate_check_marker(&part->pstate, e->producer_id, e->producer_epoch,
                                           e->coordinator_epoch);
    if (c.verdict == PSTATE_REJECT) {
        trace_rejected(b, part, e, &c);
        return c.error;
    }
    int type = e->commit ? CONTROL_COMMIT : CONTROL_ABORT;
    char key[CONTROL_KEY_SIZE], value[CONTROL_VALUE_SIZE];
    control_marker_key((int16_t)type, key);
    control_marker_value(e->coordinator_epoch, value);
    log_input_t rec = { b->w->now, { key, CONTROL_KEY_SIZE }, { value, CONTROL_VALUE_SIZE } };
    log_append_t meta = { .producer_id = e->producer_id,
                          .producer_epoch = e->producer_epoch,
                          .base_sequence = -1,
                          .leader_epoch = part->reg.leader_epoch,
                          .flags = LOG_REC_CONTROL | LOG_REC_TRANSACTIONAL,
                          .size = RECORD_BATCH_OVERHEAD +
                                  record_size_in_batch(0, 0, rec.key, rec.value) };
    *offset = plog_append(&part->log, &rec, 1, &meta);
    pstate_update_marker(&part->pstate, &part->log.batches[part->log.n_batches - 1], type,
                         e->coordinator_epoch);
    trace_marker(b, part, e, *offset);
    part_update_lso(b, part);
    part_maybe_advance_hw(b, part);
    return KERR_NONE;
}

/* The entry's partitions are all answered: the group coordinator learns of the markers
 * written on its partitions (GroupCoordinator.onTransactionCompleted), then the entry
 * counts as done. */
static void complete_entry(broker_t *b, const txn_marker_entry_t *e)
{
    for (int32_t p = 0; p < e->n; p++)
        if (e->parts[p].error == KERR_NONE && strcmp(e->parts[p].topic, OFFSETS_TOPIC) == 0)
            gcoord_txn_completed(b->gc, e->parts[p].partition, e->producer_id, e->commit);
}

/* True when every partition of every entry is answered. */
static bool try_complete(broker_t *b, marker_wait_t *w)
{
    bool done = true;
    int32_t k = 0;
    for (int32_t i = 0; i < w->resp->n; i++) {
        txn_marker_entry_t *e = &w->resp->entries[i];
        bool entry_done = true;
        for (int32_t p = 0; p < e->n; p++, k++) {
            if (w->required[k] < 0)
                continue;
            if (produce_replicated(b, e->parts[p].topic, e->parts[p].partition, w->required[k],
                                   &e->parts[p].error))
                w->required[k] = -1;
            else
                entry_done = false;
        }
        if (entry_done && !w->completed[i]) {
            w->completed[i] = true;
            complete_entry(b, e);
        }
        done &= entry_done;
    }
    return done;
}

static void wait_free(marker_wait_t *w)
{
    free(w->required);
    free(w->completed);
    free(w);
}

static void respond(broker_t *b, msg_t *m, marker_wait_t *w)
{
    net_reply(b->w, b->node, m,
              msg_new(b->w, API_WRITE_TXN_MARKERS, true, w->resp, &write_markers_resp_ops));
    wait_free(w);
}

static void markers_expired(void *a, void *bb, int64_t arg)
{
    broker_t *b = a;
    for (size_t i = 0; i < b->markers.n; i++) {
        if (b->markers.v[i].req != bb)
            continue;
        marker_wait_t *w = b->markers.v[i].state;
        int32_t k = 0;
        for (int32_t j = 0; j < w->resp->n; j++) {
            txn_marker_entry_t *e = &w->resp->entries[j];
            for (int32_t p = 0; p < e->n; p++, k++)
                if (w->required[k] >= 0)
                    e->parts[p].error = KERR_REQUEST_TIMED_OUT;
            /* maybeSendResponseCallback: the markers that did succeed still complete
             * their groups' offsets; the coordinator resends only the others. */
            if (!w->completed[j]) {
                w->completed[j] = true;
                complete_entry(b, e);
            }
        }
        respond(b, bb, w);
        delayed_remove(b->w, &b->markers, i);
        return;
    }
}

void markers_handle(broker_t *b, msg_t *m)
{
    const write_markers_t *req = m->body;
    marker_wait_t *w = proto_calloc(1, sizeof *w);
    w->resp = write_markers_copy(req);
    int32_t total = 0;
    for (int32_t i = 0; i < req->n; i++)
        total += req->entries[i].n;
    w->required = proto_calloc((size_t)total + 1, sizeof *w->required);
    w->completed = proto_calloc((size_t)req->n + 1, sizeof *w->completed);
    int32_t k = 0;
    for (int32_t i = 0; i < req->n; i++) {
        txn_marker_entry_t *e = &w->resp->entries[i];
        for (int32_t p = 0; p < e->n; p++, k++) {
            int64_t offset = -1;
            e->parts[p].error = append_marker(b, e, e->parts[p].topic, e->parts[p].partition,
                                              &offset);
            w->required[k] = e->parts[p].error == KERR_NONE ? offset + 1 : -1;
        }
    }
    /* The appends may have moved HWs: requests waiting on them go first. */
    produce_try_complete(b);
    fetch_try_complete(b);
    if (try_complete(b, w)) {
        respond(b, m, w);
        return;
    }
    ev_handle_t t = node_timer(b->node, b->request_timeout, markers_expired, b, m, 0);
    delayed_add(b->w, &b->markers, m, t, w);
}

void markers_try_complete(broker_t *b)
{
    for (size_t i = 0; i < b->markers.n;) {
        marker_wait_t *w = b->markers.v[i].state;
        if (try_complete(b, w)) {
            respond(b, b->markers.v[i].req, w);
            delayed_remove(b->w, &b->markers, i);
        } else {
            i++;
        }
    }
}

void markers_fail_all(broker_t *b)
{
    while (b->markers.n) {
        marker_wait_t *w = b->markers.v[b->markers.n - 1].state;
        write_markers_resp_ops.free(w->resp);
        wait_free(w);
        delayed_remove(b->w, &b->markers, b->markers.n - 1);
    }
}
