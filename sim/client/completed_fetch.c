#include "completed_fetch.h"

#include <stdlib.h>

/* The answer's aborted transactions by first offset (the consumer's priority queue). */
static fetch_aborted_t *by_first_offset(const fetch_part_resp_t *pr)
{
    fetch_aborted_t *a = proto_calloc((size_t)pr->n_aborted + 1, sizeof *a);
    for (int32_t i = 0; i < pr->n_aborted; i++) {
        int32_t j = i;
        while (j > 0 && a[j - 1].first_offset > pr->aborted[i].first_offset) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = pr->aborted[i];
    }
    return a;
}

/* The producers whose aborted transaction is being skipped (a handful at most). */
typedef struct pid_set {
    int64_t *v;
    size_t n;
} pid_set_t;

static bool set_has(const pid_set_t *s, int64_t pid)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == pid)
            return true;
    return false;
}

static void set_remove(pid_set_t *s, int64_t pid)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == pid) {
            s->v[i] = s->v[--s->n];
            return;
        }
}

/* containsAbortMarker: a control batch whose record is an ABORT marker. */
static bool abort_marker(const fetch_part_resp_t *pr, const log_batch_t *b)
{
    return (b->flags & LOG_REC_CONTROL) && b->n > 0 &&
           control_marker_type(pr->recs[b->first].key) == CONTROL_ABORT;
}

size_t cfetch_select(const fetch_part_resp_t *pr, bool read_committed, int64_t position,
                     int32_t *out)
{
    bool any_aborted = read_committed && pr->n_aborted > 0;
    fetch_aborted_t *ab = any_aborted ? by_first_offset(pr) : NULL;
    pid_set_t aborted = { any_aborted ? proto_calloc((size_t)pr->n_aborted, sizeof(int64_t))
                                      : NULL, 0 };
    int32_t next = 0;
    size_t n = 0;
    for (int32_t bi = 0; bi < pr->n_batches; bi++) {
        const log_batch_t *b = &pr->batches[bi];
        if (any_aborted && b->producer_id >= 0) {
            /* consumeAbortedTransactionsUpTo(batch.lastOffset) */
            for (; next < pr->n_aborted && ab[next].first_offset <= b->last_offset; next++)
                if (!set_has(&aborted, ab[next].producer_id))
                    aborted.v[aborted.n++] = ab[next].producer_id;
            if (abort_marker(pr, b))
                set_remove(&aborted, b->producer_id);
            else if ((b->flags & LOG_REC_TRANSACTIONAL) && set_has(&aborted, b->producer_id))
                continue; /* isBatchAborted: skipped whole */
        }
        if (b->flags & LOG_REC_CONTROL)
            continue; /* control records are not returned to the user */
        for (int32_t i = 0; i < b->n; i++) {
            size_t ri = b->first + (size_t)i;
            if (pr->recs[ri].offset >= position)
                out[n++] = (int32_t)ri;
        }
    }
    free(aborted.v);
    free(ab);
    return n;
}
