#include "producer_state.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../core/sorted.h"
#include "api.h"

void pstate_init(pstate_t *ps)
{
    memset(ps, 0, sizeof *ps);
}

void pstate_free(pstate_t *ps)
{
    free(ps->e);
    free(ps->ongoing);
    free(ps->unreplicated);
    free(ps->aborted);
    memset(ps, 0, sizeof *ps);
}

void pstate_clear(pstate_t *ps)
{
    ps->n = 0;
    ps->n_ongoing = ps->n_unreplicated = ps->n_aborted = 0;
}

/* Room for one more element in an array of `size`-byte elements. */
static void *reserve(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    *cap = *cap ? *cap * 2 : 4;
    v = realloc(v, *cap * size);
    if (!v)
        abort();
    return v;
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
    ps->e = reserve(ps->e, ps->n, &ps->cap, sizeof *ps->e);
    memmove(&ps->e[i + 1], &ps->e[i], (ps->n - i) * sizeof *ps->e);
    ps->n++;
    ps->e[i] = (pstate_entry_t){ .producer_id = pid, .epoch = PSTATE_NO_EPOCH,
                                 .coordinator_epoch = -1, .txn_first_offset = -1 };
    return &ps->e[i];
}

int16_t pstate_check_txn(const pstate_t *ps, int64_t producer_id, bool transactional)
{
    const pstate_entry_t *e = pstate_find(ps, producer_id);
    return e && e->txn_first_offset >= 0 && !transactional ? KERR_INVALID_TXN_STATE : KERR_NONE;
}

int16_t pstate_check_epoch(const pstate_t *ps, int64_t producer_id, int16_t epoch)
{
    const pstate_entry_t *e = pstate_find(ps, producer_id);
    return e && epoch < e->epoch ? KERR_INVALID_PRODUCER_EPOCH : KERR_NONE;
}

pstate_check_t pstate_check_marker(const pstate_t *ps, int64_t producer_id, int16_t epoch,
                                   int32_t coordinator_epoch)
{
    pstate_check_t c = { .verdict = PSTATE_APPEND, .error = KERR_NONE,
                         .current_epoch = PSTATE_NO_EPOCH, .last_seq = -1,
                         .coordinator_epoch = -1, .reason = "the producer's marker" };
    const pstate_entry_t *e = pstate_find(ps, producer_id);
    if (!e)
        return c;
    c.current_epoch = e->epoch;
    c.coordinator_epoch = e->coordinator_epoch;
    c.last_seq = e->n ? e->b[e->n - 1].last_seq : -1;
    /* Transaction version 0/1 (Kafka 3.9): the marker carries the transaction's epoch, or a
     * newer one after a fencing bump; only an older one is refused. */
    if (epoch < e->epoch) {
        c.verdict = PSTATE_REJECT;
        c.error = KERR_INVALID_PRODUCER_EPOCH;
        c.reason = "marker epoch smaller than the last seen epoch";
    } else if (coordinator_epoch < e->coordinator_epoch) {
        c.verdict = PSTATE_REJECT;
        c.error = KERR_TRANSACTION_COORDINATOR_FENCED;
        c.reason = "coordinator epoch older than the last marker's (a zombie coordinator)";
    }
    return c;
}

/* ProducerStateEntry.maybeUpdateProducerEpoch: a new epoch forgets the old batches. */
static void set_epoch(pstate_entry_t *e, int16_t epoch)
{
    if (e->epoch != epoch) {
        e->epoch = epoch;
        e->n = 0;
    }
}

static void txn_remove(pstate_txn_t *v, size_t *n, size_t i)
{
    memmove(&v[i], &v[i + 1], (*n - i - 1) * sizeof *v);
    (*n)--;
}

void pstate_update(pstate_t *ps, const log_batch_t *batch)
{
    assert(!(batch->flags & LOG_REC_CONTROL));
    if (batch->producer_id < 0)
        return;
    pstate_entry_t *e = entry_for(ps, batch->producer_id);
    set_epoch(e, batch->producer_epoch);
    /* ProducerAppendInfo.appendDataBatch: a transactional batch without an open
     * transaction begins one (ongoing transactions are kept by first offset, and appends
     * come in offset order). */
    if ((batch->flags & LOG_REC_TRANSACTIONAL) && e->txn_first_offset < 0) {
        e->txn_first_offset = batch->base_offset;
        assert(ps->n_ongoing == 0 ||
               ps->ongoing[ps->n_ongoing - 1].first_offset < batch->base_offset);
        ps->ongoing = reserve(ps->ongoing, ps->n_ongoing, &ps->cap_ongoing, sizeof *ps->ongoing);
        ps->ongoing[ps->n_ongoing++] = (pstate_txn_t){ batch->producer_id, batch->base_offset, -1 };
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

/* ProducerStateManager.lastStableOffset(completedTxn): the first open transaction of
 * another producer, else just past the marker. */
static int64_t lso_after(const pstate_t *ps, int64_t pid, int64_t marker)
{
    for (size_t i = 0; i < ps->n_ongoing; i++)
        if (ps->ongoing[i].producer_id != pid)
            return ps->ongoing[i].first_offset;
    return marker + 1;
}

/* completeTxn: from the open transactions to the unreplicated ones (by first offset). */
static void complete_txn(pstate_t *ps, int64_t first, int64_t marker)
{
    size_t i = 0;
    while (i < ps->n_ongoing && ps->ongoing[i].first_offset != first)
        i++;
    assert(i < ps->n_ongoing);
    pstate_txn_t t = ps->ongoing[i];
    t.last_offset = marker;
    txn_remove(ps->ongoing, &ps->n_ongoing, i);
    ps->unreplicated = reserve(ps->unreplicated, ps->n_unreplicated, &ps->cap_unreplicated,
                               sizeof *ps->unreplicated);
    size_t j = ps->n_unreplicated;
    while (j > 0 && ps->unreplicated[j - 1].first_offset > first)
        j--;
    memmove(&ps->unreplicated[j + 1], &ps->unreplicated[j],
            (ps->n_unreplicated - j) * sizeof *ps->unreplicated);
    ps->unreplicated[j] = t;
    ps->n_unreplicated++;
}

void pstate_update_marker(pstate_t *ps, const log_batch_t *batch, int type,
                          int32_t coordinator_epoch)
{
    assert(batch->flags & LOG_REC_CONTROL);
    if (batch->producer_id < 0)
        return;
    pstate_entry_t *e = entry_for(ps, batch->producer_id);
    int64_t marker = batch->base_offset;
    /* Only a transaction with data completes: an empty one leaves no trace (the marker
     * neither moves the LSO nor enters the index). */
    if (e->txn_first_offset >= 0) {
        if (type == CONTROL_ABORT) {
            assert(ps->n_aborted == 0 || ps->aborted[ps->n_aborted - 1].last_offset < marker);
            ps->aborted = reserve(ps->aborted, ps->n_aborted, &ps->cap_aborted,
                                  sizeof *ps->aborted);
            ps->aborted[ps->n_aborted++] = (pstate_aborted_t){
                batch->producer_id, e->txn_first_offset, marker,
                lso_after(ps, batch->producer_id, marker) };
        }
        complete_txn(ps, e->txn_first_offset, marker);
    }
    /* ProducerStateEntry.update(epoch, coordinatorEpoch, timestamp). */
    set_epoch(e, batch->producer_epoch);
    e->coordinator_epoch = coordinator_epoch;
    e->last_timestamp = batch->max_timestamp;
    e->txn_first_offset = -1;
}

void pstate_replay(pstate_t *ps, const log_batch_t *batch, const log_record_t *recs)
{
    if (!(batch->flags & LOG_REC_CONTROL)) {
        pstate_update(ps, batch);
        return;
    }
    if (batch->n == 0)
        return;
    int type = control_marker_type(recs[0].key);
    if (type == CONTROL_ABORT || type == CONTROL_COMMIT)
        pstate_update_marker(ps, batch, type, control_marker_epoch(recs[0].value));
}

void pstate_rebuild(pstate_t *ps, const plog_t *log)
{
    pstate_clear(ps);
    for (size_t i = 0; i < log->n_batches; i++)
        pstate_replay(ps, &log->batches[i], log->recs + log->batches[i].first);
    pstate_hw_updated(ps, log->hw);
}

/* removeUnreplicatedTransactions: those whose marker is below `offset`. */
static void remove_unreplicated(pstate_t *ps, int64_t offset)
{
    size_t kept = 0;
    for (size_t i = 0; i < ps->n_unreplicated; i++)
        if (ps->unreplicated[i].last_offset >= offset)
            ps->unreplicated[kept++] = ps->unreplicated[i];
    ps->n_unreplicated = kept;
}

void pstate_hw_updated(pstate_t *ps, int64_t hw)
{
    remove_unreplicated(ps, hw);
}

void pstate_log_start_moved(pstate_t *ps, int64_t log_start)
{
    remove_unreplicated(ps, log_start);
    size_t gone = 0;
    while (gone < ps->n_aborted && ps->aborted[gone].last_offset < log_start)
        gone++;
    if (gone)
        memmove(ps->aborted, ps->aborted + gone, (ps->n_aborted - gone) * sizeof *ps->aborted);
    ps->n_aborted -= gone;
}

int64_t pstate_first_unstable(const pstate_t *ps)
{
    int64_t fu = ps->n_ongoing ? ps->ongoing[0].first_offset : -1;
    if (ps->n_unreplicated && (fu < 0 || ps->unreplicated[0].first_offset < fu))
        fu = ps->unreplicated[0].first_offset;
    return fu;
}

struct marker_key {
    const pstate_t *ps;
    int64_t offset;
};

static int cmp_marker(const void *ctx, int32_t i)
{
    const struct marker_key *k = ctx;
    int64_t m = k->ps->aborted[i].last_offset;
    return m < k->offset ? -1 : m > k->offset;
}

size_t pstate_collect_aborted(const pstate_t *ps, int64_t from, int64_t upper,
                              pstate_aborted_t *out, size_t max)
{
    size_t n = 0;
    /* The index is by marker offset (one marker per offset): skip those that end before
     * the fetch. */
    struct marker_key key = { ps, from };
    bool found;
    size_t lo = (size_t)sorted_find((int32_t)ps->n_aborted, cmp_marker, &key, &found);
    for (size_t i = lo; i < ps->n_aborted; i++) {
        const pstate_aborted_t *a = &ps->aborted[i];
        if (a->first_offset < upper) {
            if (out && n < max)
                out[n] = *a;
            n++;
        }
        if (a->last_stable_offset >= upper)
            break;
    }
    return n;
}

void pstate_forget_aborted(pstate_t *ps, int64_t marker_offset)
{
    for (size_t i = 0; i < ps->n_aborted; i++) {
        if (ps->aborted[i].last_offset == marker_offset) {
            memmove(&ps->aborted[i], &ps->aborted[i + 1],
                    (ps->n_aborted - i - 1) * sizeof *ps->aborted);
            ps->n_aborted--;
            return;
        }
    }
}

size_t pstate_expire(pstate_t *ps, int64_t now, int64_t expiration)
{
    size_t kept = 0;
    /* isProducerExpired: a producer with an open transaction never expires. */
    for (size_t i = 0; i < ps->n; i++)
        if (ps->e[i].txn_first_offset >= 0 || now - ps->e[i].last_timestamp < expiration)
            ps->e[kept++] = ps->e[i];
    size_t gone = ps->n - kept;
    ps->n = kept;
    return gone;
}
