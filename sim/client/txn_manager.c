#include "txn_manager.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../kafka/api.h"
#include "producer_internal.h"

void tm_init(txn_manager_t *tm)
{
    memset(tm, 0, sizeof *tm);
    tm->state = TM_UNINITIALIZED;
    tm->pid = TM_NO_PID;
    tm->epoch = TM_NO_EPOCH;
    tm->txn_coord = -1;
    tm->group_coord = -1;
}

static void free_offsets(txn_manager_t *tm)
{
    free(tm->pending_offsets);
    tm->pending_offsets = NULL;
    tm->n_pending_offsets = 0;
}

void tm_free(txn_manager_t *tm)
{
    for (int32_t t = 0; t < tm->n_topics; t++) {
        for (int32_t p = 0; p < tm->topics[t].n; p++) {
            if (tm->topics[t].parts[p])
                free(tm->topics[t].parts[p]->inflight);
            free(tm->topics[t].parts[p]);
        }
        free(tm->topics[t].parts);
    }
    free(tm->topics);
    free(tm->bumped);
    for (int32_t i = 0; i < tm->n_reqs; i++)
        tm_req_free(tm->reqs[i]);
    free(tm->reqs);
    tm_req_free(tm->inflight);
    tm_result_unref(tm->pending);
    free(tm->group_coord_key);
    free_offsets(tm);
    memset(tm, 0, sizeof *tm);
}

void tm_reset(txn_manager_t *tm)
{
    txn_manager_t keep = *tm;
    tm_free(tm);
    tm_init(tm);
    tm->transactional_id = keep.transactional_id;
    tm->txn_timeout_ms = keep.txn_timeout_ms;
    tm->retry_backoff = keep.retry_backoff;
    tm->on_transition = keep.on_transition;
    tm->transition_ctx = keep.transition_ctx;
}

bool tm_has_pid(const txn_manager_t *tm)
{
    return tm->pid >= 0 && tm->epoch >= 0;
}

static tm_topic_t *topic_for(txn_manager_t *tm, const char *topic, int32_t partition)
{
    tm_topic_t *t = NULL;
    for (int32_t i = 0; i < tm->n_topics && !t; i++)
        if (tm->topics[i].name == topic)
            t = &tm->topics[i];
    if (!t) {
        tm->topics = realloc(tm->topics, (size_t)(tm->n_topics + 1) * sizeof *tm->topics);
        if (!tm->topics)
            abort();
        t = &tm->topics[tm->n_topics++];
        *t = (tm_topic_t){ topic, 0, NULL };
    }
    if (partition >= t->n) {
        int32_t n = partition + 1;
        t->parts = realloc(t->parts, (size_t)n * sizeof *t->parts);
        if (!t->parts)
            abort();
        memset(t->parts + t->n, 0, (size_t)(n - t->n) * sizeof *t->parts);
        t->n = n;
    }
    return t;
}

/* TopicPartitionBookkeeper.getOrCreatePartition: a new entry takes the current id and
 * epoch and starts at sequence 0. */
tm_part_t *tm_part(txn_manager_t *tm, const char *topic, int32_t partition)
{
    tm_topic_t *t = topic_for(tm, topic, partition);
    tm_part_t *e = t->parts[partition];
    if (!e) {
        e = proto_calloc(1, sizeof *e);
        t->parts[partition] = e;
        *e = (tm_part_t){ .topic = topic, .partition = partition, .pid = tm->pid,
                          .epoch = tm->epoch, .next_seq = 0, .last_acked_seq = TM_NO_SEQ };
    }
    return e;
}

static tm_part_t *part_of(txn_manager_t *tm, const pbatch_t *pb)
{
    return tm_part(tm, pb->b->topic, pb->b->partition);
}

static int32_t last_seq(const pbatch_t *pb)
{
    return seq_add(pb->base_seq, pb->b->n - 1);
}

/* ProducerBatch.resetProducerState: the batch will go with a new id, epoch or sequence. */
static void reset_batch(pbatch_t *pb, int64_t pid, int16_t epoch, int32_t seq)
{
    pb->pid = pid;
    pb->epoch = epoch;
    pb->base_seq = seq;
    pb->seq_reset = true;
}

static void remove_inflight(tm_part_t *e, const pbatch_t *pb)
{
    for (int32_t i = 0; i < e->n_inflight; i++) {
        if (e->inflight[i] == pb) {
            memmove(&e->inflight[i], &e->inflight[i + 1],
                    (size_t)(e->n_inflight - i - 1) * sizeof *e->inflight);
            e->n_inflight--;
            return;
        }
    }
}

/* TxnPartitionEntry.startSequencesAtBeginning: the batches in flight are renumbered from
 * 0 under the new id and epoch, in sequence order. */
static void start_at_beginning(txn_manager_t *tm, tm_part_t *e)
{
    int32_t seq = 0;
    for (int32_t i = 0; i < e->n_inflight; i++) {
        reset_batch(e->inflight[i], tm->pid, tm->epoch, seq);
        seq += e->inflight[i]->b->n;
    }
    e->pid = tm->pid;
    e->epoch = tm->epoch;
    e->next_seq = seq;
    e->last_acked_seq = TM_NO_SEQ;
}

static void request_epoch_bump(txn_manager_t *tm, tm_part_t *e)
{
    tm->epoch_bump_required = true;
    e->rewrite = true;
}

static bool is_next_sequence(const tm_part_t *e, int32_t seq)
{
    return (int64_t)seq - e->last_acked_seq == 1;
}

void tm_maybe_resolve_sequences(txn_manager_t *tm)
{
    for (int32_t t = 0; t < tm->n_topics; t++) {
        for (int32_t p = 0; p < tm->topics[t].n; p++) {
            tm_part_t *e = tm->topics[t].parts[p];
            if (!e || !e->unresolved || e->n_inflight > 0)
                continue;
            /* Drained: resolved if what followed the expired batch was acknowledged,
             * otherwise the idempotent producer bumps its epoch, and a transactional one
             * must abort (with an epoch bump: the coordinator supports it). */
            if (!is_next_sequence(e, e->next_seq)) {
                if (tm_is_transactional(tm)) {
                    tm->epoch_bump_required = true;
                    tm_error_t err;
                    tm_error_set(&err, KERR_CLIENT_KAFKA,
                                 "The client hasn't received acknowledgment for some previously "
                                 "sent messages and can no longer retry them. It is safe to "
                                 "abort the transaction and continue.");
                    tm_abortable_error(tm, &err);
                } else {
                    request_epoch_bump(tm, e);
                }
            }
            e->unresolved = false;
        }
    }
}

static void note_bumped(txn_manager_t *tm, tm_part_t *e)
{
    if (tm->n_bumped == tm->cap_bumped) {
        tm->cap_bumped = tm->cap_bumped ? tm->cap_bumped * 2 : 4;
        tm->bumped = realloc(tm->bumped, (size_t)tm->cap_bumped * sizeof *tm->bumped);
        if (!tm->bumped)
            abort();
    }
    tm->bumped[tm->n_bumped++] = e;
}

void tm_bump_epoch_and_reset_id_if_needed(txn_manager_t *tm)
{
    tm->n_bumped = 0;
    if (tm_is_transactional(tm))
        return; /* a transactional producer bumps through InitProducerId */
    if (tm->epoch_bump_required) {
        if (tm->epoch == INT16_MAX) {
            /* resetIdempotentProducerId: the epoch is exhausted, a new id is needed. */
            tm->pid = TM_NO_PID;
            tm->epoch = TM_NO_EPOCH;
            tm->state = TM_UNINITIALIZED;
        } else {
            tm->epoch++;
        }
        for (int32_t t = 0; t < tm->n_topics; t++) {
            for (int32_t p = 0; p < tm->topics[t].n; p++) {
                tm_part_t *e = tm->topics[t].parts[p];
                if (e && e->rewrite) {
                    note_bumped(tm, e);
                    start_at_beginning(tm, e);
                    e->unresolved = false;
                    e->rewrite = false;
                }
            }
        }
        tm->epoch_bump_required = false;
    }
    if (tm->state != TM_INITIALIZING && !tm_has_pid(tm)) {
        tm->state = TM_INITIALIZING;
        tm->init_queued = true;
    }
}

void tm_init_pid_done(txn_manager_t *tm, int64_t pid, int16_t epoch)
{
    tm->pid = pid;
    tm->epoch = epoch;
    tm->state = TM_READY;
    tm->init_queued = false;
    tm->init_in_flight = false;
}

bool tm_should_stop_drain(txn_manager_t *tm, const pbatch_t *first, const char *topic,
                          int32_t partition)
{
    if (!tm_send_allowed(tm, topic, partition) || !tm_has_pid(tm))
        return true;
    tm_part_t *e = tm_part(tm, topic, partition);
    if (first->base_seq == TM_NO_SEQ) {
        /* A new batch waits while older ones of another id or epoch are in flight (it
         * would start at 0 before they finish), or while sequences are unresolved. */
        if (e->n_inflight > 0 && (e->pid != tm->pid || e->epoch != tm->epoch))
            return true;
        if (e->unresolved)
            return true;
    }
    /* A retried batch goes only when it is the first in flight: order is kept by sending
     * one at a time until the retries are through. */
    int32_t first_inflight = e->n_inflight ? e->inflight[0]->base_seq : TM_NO_SEQ;
    return first_inflight != TM_NO_SEQ && first->base_seq != TM_NO_SEQ &&
           first->base_seq != first_inflight;
}

void tm_assign_sequence(txn_manager_t *tm, pbatch_t *pb, const char *topic, int32_t partition)
{
    tm_part_t *e = tm_part(tm, topic, partition);
    /* maybeUpdateProducerIdAndEpoch: a partition left on an older id or epoch starts over
     * at 0 once nothing of it is in flight. */
    if ((e->pid != tm->pid || e->epoch != tm->epoch) && e->n_inflight == 0)
        start_at_beginning(tm, e);
    pb->pid = tm->pid;
    pb->epoch = tm->epoch;
    pb->base_seq = e->next_seq;
    e->next_seq = seq_add(e->next_seq, pb->b->n);
    if (e->n_inflight == e->cap_inflight) {
        e->cap_inflight = e->cap_inflight ? e->cap_inflight * 2 : 8;
        e->inflight = realloc(e->inflight, (size_t)e->cap_inflight * sizeof *e->inflight);
        if (!e->inflight)
            abort();
    }
    /* Kept sorted by base sequence (Kafka's TreeSet). */
    int32_t i = e->n_inflight;
    while (i > 0 && e->inflight[i - 1]->base_seq > pb->base_seq) {
        e->inflight[i] = e->inflight[i - 1];
        i--;
    }
    e->inflight[i] = pb;
    e->n_inflight++;
}

int32_t tm_first_inflight_seq(txn_manager_t *tm, const char *topic, int32_t partition)
{
    tm_part_t *e = tm_part(tm, topic, partition);
    return e->n_inflight ? e->inflight[0]->base_seq : TM_NO_SEQ;
}

void tm_completed(txn_manager_t *tm, pbatch_t *pb)
{
    tm_part_t *e = part_of(tm, pb);
    int32_t last = last_seq(pb);
    if (last > e->last_acked_seq)
        e->last_acked_seq = last;
    remove_inflight(e, pb);
}

void tm_failed(txn_manager_t *tm, pbatch_t *pb, int16_t error, bool adjust_sequences)
{
    tm_part_t *e = part_of(tm, pb);
    remove_inflight(e, pb);
    if (tm_is_transactional(tm)) {
        /* The transaction must abort; the epoch bump that follows restarts every
         * partition's sequences, so none are adjusted here. */
        return;
    }
    /* A gap in the log, or a batch failed for good whose sequence cannot be reused: bump
     * the epoch so the partition starts again at 0 (KIP-360). */
    if (error == KERR_OUT_OF_ORDER_SEQUENCE_NUMBER || adjust_sequences)
        request_epoch_bump(tm, e);
}

bool tm_can_retry(txn_manager_t *tm, pbatch_t *pb, int16_t error)
{
    tm_part_t *e = part_of(tm, pb);
    if (error == KERR_OUT_OF_ORDER_SEQUENCE_NUMBER) {
        /* Not the next batch: an earlier one failed first and this one only followed it;
         * retry and wait to see. */
        if (!e->unresolved && (pb->seq_reset || !is_next_sequence(e, pb->base_seq)))
            return true;
        if (tm_is_transactional(tm))
            return false; /* the batch fails and the transaction must abort */
        /* The next batch was refused: a real gap. Bump the epoch (once the unresolved
         * sequence, if any, is the one right before it) and retry. */
        if (!e->unresolved || pb->base_seq == e->unresolved_next)
            request_epoch_bump(tm, e);
        return true;
    }
    return kerr_retriable(error);
}

void tm_mark_unresolved(txn_manager_t *tm, pbatch_t *pb)
{
    tm_part_t *e = part_of(tm, pb);
    int32_t next = seq_add(last_seq(pb), 1);
    if (!e->unresolved || next > e->unresolved_next)
        e->unresolved_next = next;
    e->unresolved = true;
}
