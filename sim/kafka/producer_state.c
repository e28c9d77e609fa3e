#include "producer_state.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

void pstate_init(pstate_t *ps)
{
    memset(ps, 0, sizeof *ps);
}

void pstate_free(pstate_t *ps)
{
    free(ps->e);
    memset(ps, 0, sizeof *ps);
}

void pstate_clear(pstate_t *ps)
{
    ps->n = 0;
}

/* Index of the entry for `pid`, or where it would go. */
static size_t lower_bound(const pstate_t *ps, int64_t pid)
{
    size_t lo = 0, hi = ps->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ps->e[mid].producer_id < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const pstate_entry_t *pstate_find(const pstate_t *ps, int64_t producer_id)
{
    size_t i = lower_bound(ps, producer_id);
    return i < ps->n && ps->e[i].producer_id == producer_id ? &ps->e[i] : NULL;
}

/* ProducerAppendInfo.inSequence */
static bool in_sequence(int32_t last_seq, int32_t next_seq)
{
    return (int64_t)next_seq == (int64_t)last_seq + 1 || (next_seq == 0 && last_seq == INT32_MAX);
}

pstate_check_t pstate_check_sequence(const pstate_t *ps, int64_t producer_id, int16_t epoch,
                                     int32_t first_seq, int32_t last_seq)
{
    pstate_check_t c = { .verdict = PSTATE_APPEND, .error = KERR_NONE,
                         .current_epoch = PSTATE_NO_EPOCH, .last_seq = -1 };
    const pstate_entry_t *e = pstate_find(ps, producer_id);
    if (!e) {
        /* No state (a new producer, or one expired or removed with the log's head): since
         * Kafka 2.5 any sequence is accepted. */
        c.reason = "no state for this producer id: any sequence is accepted";
        return c;
    }
    c.current_epoch = e->epoch;
    c.last_seq = e->n ? e->b[e->n - 1].last_seq : -1;
    /* ProducerStateEntry.findDuplicateBatch: same epoch, same first and last sequence. */
    if (epoch == e->epoch) {
        for (int32_t i = 0; i < e->n; i++) {
            if (e->b[i].first_seq == first_seq && e->b[i].last_seq == last_seq) {
                c.verdict = PSTATE_DUPLICATE;
                c.duplicate = e->b[i];
                c.reason = "duplicate of a retained batch";
                return c;
            }
        }
    }
    if (epoch < e->epoch) {
        c.verdict = PSTATE_REJECT;
        c.error = KERR_INVALID_PRODUCER_EPOCH;
        c.reason = "epoch smaller than the last seen epoch";
        return c;
    }
    if (epoch != e->epoch) {
        if (first_seq != 0 && e->epoch != PSTATE_NO_EPOCH) {
            c.verdict = PSTATE_REJECT;
            c.error = KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
            c.reason = "invalid sequence number for new epoch: a new epoch starts at 0";
        } else {
            c.reason = "a new epoch starting at sequence 0";
        }
        return c;
    }
    if (!in_sequence(c.last_seq, first_seq)) {
        /* Wrap-aware: sequences up to half the space behind the oldest retained batch
         * count as older, the rest as a gap after the last. */
        uint32_t behind = (uint32_t)e->b[0].first_seq - (uint32_t)first_seq;
        c.verdict = PSTATE_REJECT;
        c.error = KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
        c.reason = behind > 0 && behind <= (uint32_t)INT32_MAX
                       ? "out of order sequence number: older than the retained batches"
                       : "out of order sequence number: a gap after the last sequence";
        return c;
    }
    c.reason = "the next sequence";
    return c;
}

static pstate_entry_t *entry_for(pstate_t *ps, int64_t pid)
{
    size_t i = lower_bound(ps, pid);
    if (i < ps->n && ps->e[i].producer_id == pid)
        return &ps->e[i];
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 4;
        ps->e = realloc(ps->e, ps->cap * sizeof *ps->e);
        if (!ps->e)
            abort();
    }
    memmove(&ps->e[i + 1], &ps->e[i], (ps->n - i) * sizeof *ps->e);
    ps->n++;
    ps->e[i] = (pstate_entry_t){ .producer_id = pid, .epoch = PSTATE_NO_EPOCH };
    return &ps->e[i];
}

void pstate_update(pstate_t *ps, const log_batch_t *batch)
{
    if (batch->producer_id < 0 || (batch->flags & LOG_REC_CONTROL))
        return;
    pstate_entry_t *e = entry_for(ps, batch->producer_id);
    /* ProducerStateEntry.maybeUpdateProducerEpoch: a new epoch forgets the old batches. */
    if (e->epoch != batch->producer_epoch) {
        e->epoch = batch->producer_epoch;
        e->n = 0;
    }
    if (e->n == PSTATE_BATCHES) {
        memmove(&e->b[0], &e->b[1], (PSTATE_BATCHES - 1) * sizeof e->b[0]);
        e->n--;
    }
    e->b[e->n++] = (pstate_batch_t){ batch->base_sequence, batch->last_sequence,
                                     batch->base_offset, batch->last_offset,
                                     batch->max_timestamp };
    e->last_timestamp = batch->max_timestamp;
}

void pstate_rebuild(pstate_t *ps, const plog_t *log)
{
    pstate_clear(ps);
    for (size_t i = 0; i < log->n_batches; i++)
        pstate_update(ps, &log->batches[i]);
}

size_t pstate_expire(pstate_t *ps, int64_t now, int64_t expiration)
{
    size_t kept = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (now - ps->e[i].last_timestamp < expiration)
            ps->e[kept++] = ps->e[i];
    size_t gone = ps->n - kept;
    ps->n = kept;
    return gone;
}
