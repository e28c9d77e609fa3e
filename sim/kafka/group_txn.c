/* group_txn: the group coordinator's transactional offsets (Kafka 3.9 GroupCoordinator
 * handleTxnCommitOffsets / doTxnCommitOffsets, GroupMetadataManager storeOffsets with a
 * producer id and handleTxnCompletion, getOffsets with requireStable). A TxnOffsetCommit
 * appends its offsets as one transactional batch of the producer to the group's
 * __consumer_offsets partition; they stay pending for the producer, invisible to
 * OffsetFetch, until the transaction's marker commits or aborts them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "group_coordinator_internal.h"
#include "group_store.h"
#include "protocol.h"
#include "txn_protocol.h"

/* {"topic-partition": offset, ...} */
static void add_offsets(cJSON *ev, const group_offset_t *v, int32_t n)
{
    cJSON *o = cJSON_AddObjectToObject(ev, "offsets");
    for (int32_t i = 0; i < n; i++) {
        char name[300];
        snprintf(name, sizeof name, "%s-%d", v[i].topic, v[i].partition);
        cJSON_AddItemToObject(o, name, trace_int_item(v[i].offset));
    }
}

/* Every partition not already refused gets `error`. */
static void answer(gcoord_t *gc, msg_t *m, txn_offset_commit_t *r, int16_t error)
{
    for (int32_t i = 0; i < r->n; i++)
        if (r->parts[i].error == KERR_NONE)
            r->parts[i].error = error;
    gcoord_reply(gc, m, API_TXN_OFFSET_COMMIT, r, &txn_offset_commit_resp_ops);
}

/* The offsets are pending for the producer from their append (prepareTxnOffsetCommit,
 * then onTxnOffsetCommitAppend). */
static void stage(gcoord_t *gc, gentry_t *e, const txn_offset_commit_t *req,
                  const txn_offset_commit_t *r, int64_t appended)
{
    for (int32_t i = 0; i < req->n; i++)
        if (r->parts[i].error == KERR_NONE)
            group_txn_stage(e->g, req->producer_id, req->parts[i].topic, req->parts[i].partition,
                        req->parts[i].offset, appended);
    cJSON *ev;
    gcoord_trace_group(gc, "txn_offsets_pending", e->g, &ev);
    if (!ev)
        return;
    if (req->transactional_id)
        cJSON_AddStringToObject(ev, "transactional_id", req->transactional_id);
    trace_add_int(ev, "producer_id", req->producer_id);
    trace_add_int(ev, "producer_epoch", req->producer_epoch);
    trace_add_int(ev, "appended", appended);
    const group_txn_t *t = group_txn_find(e->g, req->producer_id);
    add_offsets(ev, t->v, t->n);
    world_emit(gc->b->w, ev);
}

/* Said once per broker in the trace. */
static void note_no_verification(gcoord_t *gc)
{
    cJSON *note = !gc->noted_verify ? world_trace(gc->b->w, gc->b->node, "simplification")
                                    : NULL;
    gc->noted_verify = true;
    if (!note)
        return;
    cJSON_AddStringToObject(note, "what", "TxnOffsetCommit is written without asking the "
                            "transaction coordinator whether the group's partition is in the "
                            "transaction (KIP-890 part 1, Kafka 3.6+): the client's "
                            "AddOffsetsToTxn is trusted, as before Kafka 3.6");
    world_emit(gc->b->w, note);
}

void gcoord_handle_txn_commit(gcoord_t *gc, msg_t *m)
{
    const txn_offset_commit_t *req = m->body;
    txn_offset_commit_t *r = txn_offset_commit_copy(req);
    /* handleTxnOffsetCommitRequest: a partition the metadata does not know is
     * UNKNOWN_TOPIC_OR_PARTITION; the others go on. */
    int32_t known = 0;
    for (int32_t i = 0; i < r->n; i++) {
        bool exists = md_find_partition(&gc->b->img, r->parts[i].topic, r->parts[i].partition);
        r->parts[i].error = exists ? KERR_NONE : KERR_UNKNOWN_TOPIC_OR_PARTITION;
        known += exists;
    }
    int16_t err;
    /* handleTxnCommitOffsets: a group the coordinator does not know is made (Empty). */
    gentry_t *e = gcoord_coordinate(gc, req->group, true, &err);
    bpartition_t *part = e ? broker_led(gc->b, OFFSETS_TOPIC, e->partition, &err) : NULL;
    if (!part && e)
        err = KERR_NOT_COORDINATOR;
    if (part)
        err = group_check_txn_commit(e->g, req->member_id, req->instance_id, req->generation);
    /* The append passes ProducerAppendInfo.checkProducerEpoch as any coordinator append
     * does: the offsets of a producer fenced meanwhile are refused. */
    if (err == KERR_NONE)
        err = pstate_check_epoch(&part->pstate, req->producer_id, req->producer_epoch);
    /* acks=-1 needs min.insync.replicas in sync (NOT_ENOUGH_REPLICAS, answered as
     * COORDINATOR_NOT_AVAILABLE). */
    if (err == KERR_NONE && part->reg.n_isr < part_min_isr(gc->b, part))
        err = KERR_COORDINATOR_NOT_AVAILABLE;
    if (err != KERR_NONE || known == 0) {
        answer(gc, m, r, err);
        return;
    }
    char **keys = proto_calloc((size_t)known, sizeof *keys);
    char **values = proto_calloc((size_t)known, sizeof *values);
    for (int32_t i = 0, k = 0; i < req->n; i++)
        if (r->parts[i].error == KERR_NONE) {
            gstore_offset_record(e->g->id, &req->parts[i], &keys[k], &values[k]);
            k++;
        }
    int64_t appended = part->log.leo;
    gcoord_append(gc, e->partition, keys, values, known, req->producer_id,
                  req->producer_epoch);
    free(keys);
    free(values);
    note_no_verification(gc);
    stage(gc, e, req, r, appended);
    gcoord_wait_replication(gc, m, r, part, appended);
}

void gcoord_finish_txn_commit(gcoord_t *gc, const waiting_commit_t *w, int16_t error)
{
    const txn_offset_commit_t *req = w->req->body;
    /* failPendingTxnOffsetCommit: an append that did not complete leaves nothing
     * pending (the client retries, maybe with another coordinator). */
    gentry_t *e = gcoord_entry(gc, req->group);
    if (error != KERR_NONE && e)
        for (int32_t i = 0; i < req->n; i++)
            group_txn_fail(e->g, req->producer_id, req->parts[i].topic,
                           req->parts[i].partition);
    answer(gc, w->req, w->resp, error);
    msg_unref(gc->b->w, w->req);
}

bool gcoord_unstable(const gcoord_t *gc, const gentry_t *e, const char *topic,
                     int32_t partition)
{
    if (group_txn_pending(e->g, topic, partition) >= 0)
        return true;
    /* hasPendingOffsetCommitsForTopicPartition also counts a plain commit appended but
     * not yet replicated (pendingOffsetCommits). */
    for (int32_t i = 0; i < gc->n_waiting; i++) {
        const msg_t *m = gc->waiting[i].req;
        const offsets_msg_t *c = m->body;
        if (m->api != API_OFFSET_COMMIT || strcmp(c->group, e->g->id) != 0)
            continue;
        for (int32_t k = 0; k < c->n; k++)
            if (c->parts[k].partition == partition && strcmp(c->parts[k].topic, topic) == 0)
                return true;
    }
    return false;
}

/* Whether the committed offset of o's partition is o itself (not a newer commit). */
static bool took_effect(const group_t *g, const group_offset_t *o)
{
    for (int32_t i = 0; i < g->n_offsets; i++)
        if (g->offsets[i].partition == o->partition && strcmp(g->offsets[i].topic, o->topic) == 0)
            return g->offsets[i].appended == o->appended;
    return false;
}

/* handleTxnCompletion: the marker on partition `partition` completes the producer's
 * pending offsets in every group of the partition that has some. */
void gcoord_txn_completed(gcoord_t *gc, int32_t partition, int64_t producer_id, bool commit)
{
    for (int32_t i = 0; i < gc->n_groups; i++) {
        gentry_t *e = gc->groups[i];
        group_txn_t t;
        if (e->partition != partition || !group_txn_complete(e->g, producer_id, commit, &t))
            continue;
        cJSON *ev;
        gcoord_trace_group(gc, "txn_offsets_completed", e->g, &ev);
        if (ev) {
            trace_add_int(ev, "producer_id", producer_id);
            cJSON_AddStringToObject(ev, "result", commit ? "commit" : "abort");
            add_offsets(ev, t.v, t.n);
            cJSON *sup = NULL;
            for (int32_t k = 0; commit && k < t.n; k++) {
                if (took_effect(e->g, &t.v[k]))
                    continue;
                char name[300];
                snprintf(name, sizeof name, "%s-%d", t.v[k].topic, t.v[k].partition);
                if (!sup)
                    sup = cJSON_AddArrayToObject(ev, "superseded");
                cJSON_AddItemToArray(sup, cJSON_CreateString(name));
            }
            world_emit(gc->b->w, ev);
        }
        group_txn_free(&t);
    }
}
