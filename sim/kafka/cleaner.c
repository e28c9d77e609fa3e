#include "cleaner.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hash.h"

/* ---- the offset map ----
 * Kafka keeps an MD5 of each key; ksim keeps the key itself (pointing into the log's
 * arena, which does not move during a pass) and compares it whole, so two keys never
 * collide. The table grows as keys come, and is "full" at Kafka's capacity. */

typedef struct omap_entry {
    uint64_t hash;
    const char *p;
    int32_t len;
    int64_t offset; /* -1: free slot */
} omap_entry_t;

struct offset_map {
    omap_entry_t *slots;
    size_t cap;  /* a power of two */
    int64_t size, capacity, latest;
};

#define OMAP_BYTES_PER_ENTRY 24 /* SkimpyOffsetMap: 16 bytes of MD5 + an 8-byte offset */

int64_t omap_capacity(int64_t dedupe_buffer_bytes, double load_factor)
{
    /* LogCleaner: one thread's share of the buffer, at most Int.MaxValue bytes. */
    int64_t bytes = dedupe_buffer_bytes < INT32_MAX ? dedupe_buffer_bytes : INT32_MAX;
    return (int64_t)((double)(bytes / OMAP_BYTES_PER_ENTRY) * load_factor);
}

static void omap_alloc(offset_map_t *m, size_t cap)
{
    m->cap = cap;
    m->slots = malloc(cap * sizeof *m->slots);
    if (!m->slots)
        abort();
    for (size_t i = 0; i < cap; i++)
        m->slots[i].offset = -1;
}

offset_map_t *omap_new(int64_t capacity)
{
    offset_map_t *m = calloc(1, sizeof *m);
    if (!m)
        abort();
    m->capacity = capacity;
    m->latest = -1;
    omap_alloc(m, 1024);
    return m;
}

void omap_free(offset_map_t *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m);
}

void omap_clear(offset_map_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        m->slots[i].offset = -1;
    m->size = 0;
    m->latest = -1;
}

static uint64_t key_hash(bytes_t key)
{
    return hash_fnv1a64(key.p, (size_t)key.len);
}

static omap_entry_t *omap_slot(const offset_map_t *m, bytes_t key, uint64_t h)
{
    size_t i = (size_t)h & (m->cap - 1);
    for (;;) {
        omap_entry_t *e = &m->slots[i];
        if (e->offset < 0 ||
            (e->hash == h && e->len == key.len && memcmp(e->p, key.p, (size_t)key.len) == 0))
            return e;
        i = (i + 1) & (m->cap - 1);
    }
}

static void omap_grow(offset_map_t *m)
{
    omap_entry_t *old = m->slots;
    size_t old_cap = m->cap;
    omap_alloc(m, old_cap * 2);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].offset >= 0)
            *omap_slot(m, (bytes_t){ old[i].p, old[i].len }, old[i].hash) = old[i];
    free(old);
}

bool omap_put(offset_map_t *m, bytes_t key, int64_t offset)
{
    assert(!bytes_is_null(key) && offset >= 0);
    /* Cleaner.buildOffsetMapForSegment checks the size before every put. */
    if (m->size >= m->capacity)
        return false;
    if ((size_t)(m->size + 1) * 2 > m->cap)
        omap_grow(m);
    uint64_t h = key_hash(key);
    omap_entry_t *e = omap_slot(m, key, h);
    if (e->offset < 0) {
        *e = (omap_entry_t){ h, key.p, key.len, offset };
        m->size++;
    } else {
        e->offset = offset;
    }
    m->latest = offset;
    return true;
}

int64_t omap_get(const offset_map_t *m, bytes_t key)
{
    if (bytes_is_null(key))
        return -1;
    const omap_entry_t *e = omap_slot(m, key, key_hash(key));
    return e->offset;
}

int64_t omap_latest(const offset_map_t *m)
{
    return m->latest;
}

void omap_update_latest(offset_map_t *m, int64_t offset)
{
    m->latest = offset;
}

int64_t omap_size(const offset_map_t *m)
{
    return m->size;
}

/* ---- the cleanable range ---- */

/* Sum of the sizes of segments [from, to). */
static int64_t segs_bytes(const plog_t *l, size_t from, size_t to)
{
    int64_t bytes = 0;
    for (size_t i = from; i < to; i++)
        bytes += l->segs[i].bytes;
    return bytes;
}

/* Kafka's logSegments(from, to): the segments from the one holding `from` to the last
 * that starts before `to`, as a half-open index range. */
static void segs_between(const plog_t *l, int64_t from, int64_t to, size_t *s0, size_t *s1)
{
    *s0 = *s1 = 0;
    if (from >= to)
        return;
    *s0 = from < l->segs[0].base_offset ? 0 : plog_seg_find(l, from);
    size_t e = *s0;
    while (e < l->n_segs && l->segs[e].base_offset < to)
        e++;
    *s1 = e;
}

void cleaner_range(const plog_t *l, int64_t now, clean_range_t *r)
{
    memset(r, 0, sizeof *r);
    size_t active = l->n_segs - 1;
    int64_t dirty = l->clean_checkpoint < 0 ? l->log_start : l->clean_checkpoint;
    if (dirty < l->log_start || dirty > l->leo)
        dirty = l->log_start;
    r->first_dirty = dirty;
    /* The first uncleanable offset: the last stable offset, the active segment, the first
     * segment within min.compaction.lag.ms of now. */
    int64_t uncleanable = plog_lso(l);
    if (l->segs[active].base_offset < uncleanable)
        uncleanable = l->segs[active].base_offset;
    size_t first_dirty_seg = plog_seg_find(l, dirty);
    if (l->cfg.min_lag_us > 0) {
        for (size_t s = first_dirty_seg; s < active; s++) {
            if (plog_seg_largest_ts(l, s) > now - l->cfg.min_lag_us) {
                if (l->segs[s].base_offset < uncleanable)
                    uncleanable = l->segs[s].base_offset;
                break;
            }
        }
    }
    /* calculateCleanableBytes: the segment holding the uncleanable offset starts it. */
    size_t us = uncleanable >= l->segs[active].base_offset ? active : plog_seg_find(l, uncleanable);
    r->first_uncleanable = l->segs[us].base_offset;
    size_t a, b;
    segs_between(l, -1, dirty, &a, &b);
    r->clean_bytes = segs_bytes(l, a, b);
    int64_t from = dirty < r->first_uncleanable ? dirty : r->first_uncleanable;
    segs_between(l, from, r->first_uncleanable, &a, &b);
    r->cleanable_bytes = segs_bytes(l, a, b);
    int64_t total = r->clean_bytes + r->cleanable_bytes;
    r->ratio = total > 0 ? (double)r->cleanable_bytes / (double)total : 0.0;
    /* LogCleanerManager.maxCompactionDelay: the oldest first batch among the dirty
     * non-active segments against max.compaction.lag.ms. */
    int64_t earliest = INT64_MAX;
    for (size_t s = first_dirty_seg; s < active; s++)
        if (l->segs[s].roll_ts > 0 && l->segs[s].roll_ts < earliest)
            earliest = l->segs[s].roll_ts;
    int64_t until = now - l->cfg.max_lag_us;
    r->compaction_delay = earliest < until ? until - earliest : 0;
}

bool cleaner_wants(const plog_t *l, const clean_range_t *r)
{
    if (r->clean_bytes + r->cleanable_bytes == 0)
        return false;
    return (r->compaction_delay > 0 && r->cleanable_bytes > 0) ||
           r->ratio > l->cfg.min_cleanable_ratio;
}

/* ---- transactions during a pass (Kafka's CleanedTransactionMetadata) ---- */

typedef struct clean_txns {
    pstate_aborted_t *aborted; /* the index's entries for the range, by first offset */
    size_t n_aborted, next;
    struct ongoing_abort {
        int64_t producer_id, marker;
        bool observed;         /* a batch of it was read in this pass */
    } *ab;                     /* aborted transactions begun and not yet at their marker */
    size_t n_ab;
    int64_t *committed;        /* producers with a batch read, not yet at their marker */
    size_t n_committed;
} clean_txns_t;

static int cmp_first_offset(const void *a, const void *b)
{
    int64_t x = ((const pstate_aborted_t *)a)->first_offset;
    int64_t y = ((const pstate_aborted_t *)b)->first_offset;
    return x < y ? -1 : x > y;
}

/* The aborted transactions overlapping [from, upper) (collectAbortedTransactions); at most
 * `batches` producers can be open at once in the batches read. */
static void txns_init(clean_txns_t *t, const pstate_t *ps, int64_t from, int64_t upper,
                      size_t batches)
{
    memset(t, 0, sizeof *t);
    size_t n = ps ? pstate_collect_aborted(ps, from, upper, NULL, 0) : 0;
    t->aborted = calloc(n + 1, sizeof *t->aborted);
    t->ab = calloc(n + 1, sizeof *t->ab);
    t->committed = calloc(batches + 1, sizeof *t->committed);
    if (!t->aborted || !t->ab || !t->committed)
        abort();
    if (n)
        pstate_collect_aborted(ps, from, upper, t->aborted, n);
    /* First offsets are distinct: one transaction starts at each. */
    qsort(t->aborted, n, sizeof *t->aborted, cmp_first_offset);
    t->n_aborted = n;
}

static void txns_free(clean_txns_t *t)
{
    free(t->aborted);
    free(t->ab);
    free(t->committed);
}

/* consumeAbortedTxnsUpTo: the aborted transactions begun by `offset` are now ongoing. */
static void consume_up_to(clean_txns_t *t, int64_t offset)
{
    for (; t->next < t->n_aborted && t->aborted[t->next].first_offset <= offset; t->next++) {
        const pstate_aborted_t *a = &t->aborted[t->next];
        size_t i = 0;
        while (i < t->n_ab && t->ab[i].producer_id != a->producer_id)
            i++;
        if (i == t->n_ab) /* getOrElseUpdate */
            t->ab[t->n_ab++] = (struct ongoing_abort){ a->producer_id, a->last_offset, false };
    }
}

/* onBatchRead: true when the data batch belongs to an aborted transaction. */
static bool txns_on_batch(clean_txns_t *t, const log_batch_t *b)
{
    consume_up_to(t, b->last_offset);
    if (!(b->flags & LOG_REC_TRANSACTIONAL))
        return false;
    for (size_t i = 0; i < t->n_ab; i++)
        if (t->ab[i].producer_id == b->producer_id) {
            t->ab[i].observed = true;
            return true;
        }
    for (size_t i = 0; i < t->n_committed; i++)
        if (t->committed[i] == b->producer_id)
            return false;
    t->committed[t->n_committed++] = b->producer_id;
    return false;
}

/* onControlBatchRead: true when the marker may go (its transaction has no batch left);
 * *forget says an ABORT's index entry goes too. */
static bool txns_on_control(clean_txns_t *t, const plog_t *l, const log_batch_t *b,
                            bool *forget)
{
    *forget = false;
    consume_up_to(t, b->last_offset);
    if (b->n == 0)
        return true; /* emptied by an earlier pass */
    int type = control_marker_type(l->recs[b->first].key);
    if (type == CONTROL_ABORT) {
        for (size_t i = 0; i < t->n_ab; i++) {
            if (t->ab[i].producer_id != b->producer_id)
                continue;
            bool observed = t->ab[i].observed;
            t->ab[i] = t->ab[--t->n_ab];
            *forget = !observed;
            return !observed;
        }
        *forget = true;
        return true;
    }
    if (type == CONTROL_COMMIT) {
        for (size_t i = 0; i < t->n_committed; i++)
            if (t->committed[i] == b->producer_id) {
                t->committed[i] = t->committed[--t->n_committed];
                return false;
            }
        return true;
    }
    return false;
}

/* ---- the pass ---- */

/* Cleaner.buildOffsetMap over [start, end) (end is a segment's base offset), segment by
 * segment, whole batches, stopping when the map is full. A segment read to its end moves
 * the map's latest offset to just below the next segment's base (or end), over any gap
 * the cleaner or a follower's copy left there (buildOffsetMapForSegment); the map's latest
 * offset then says how far this pass goes. */
static void build_map(const plog_t *l, const pstate_t *ps, int64_t start, int64_t end,
                      offset_map_t *map)
{
    omap_clear(map);
    size_t s0, s1;
    segs_between(l, start, end, &s0, &s1);
    size_t bi = plog_find_batch(l, start);
    clean_txns_t txns;
    txns_init(&txns, ps, start, end, l->n_batches);
    for (size_t s = s0; s < s1; s++) {
        for (size_t stop = plog_seg_end_batch(l, s); bi < stop; bi++) {
            const log_batch_t *b = &l->batches[bi];
            /* Markers and the batches of aborted transactions go in no map. */
            bool skip = true, forget;
            if (b->flags & LOG_REC_CONTROL)
                txns_on_control(&txns, l, b, &forget);
            else
                skip = txns_on_batch(&txns, b);
            for (int32_t i = 0; !skip && i < b->n; i++) {
                const log_record_t *rec = &l->recs[b->first + (size_t)i];
                if (bytes_is_null(rec->key) || rec->offset < start)
                    continue;
                if (!omap_put(map, rec->key, rec->offset)) {
                    txns_free(&txns);
                    return;
                }
            }
            if (b->last_offset >= start)
                omap_update_latest(map, b->last_offset);
        }
        omap_update_latest(map, (s + 1 < s1 ? l->segs[s + 1].base_offset : end) - 1);
    }
    txns_free(&txns);
}

/* Cleaner.isBatchLastRecordOfProducer: the batch that ends where an active producer's last
 * batch ends keeps its header even when it keeps no record (BatchRetention.RETAIN_EMPTY),
 * so the producer's state can be rebuilt from the log; a producer whose last entry is a
 * marker (no data batch since its epoch) keeps its markers of that epoch, which carry the
 * epoch that fences its zombies. Producers expired by producer.id.expiration.ms are no
 * longer active: their batches can go. */
static bool last_of_active_producer(const pstate_t *producers, const log_batch_t *b)
{
    if (b->producer_id < 0)
        return false;
    const pstate_entry_t *e = pstate_find(producers, b->producer_id);
    if (!e)
        return false;
    if (e->n > 0)
        return e->b[e->n - 1].last_offset == b->last_offset;
    return (b->flags & LOG_REC_CONTROL) && b->producer_epoch == e->epoch;
}

/* Cleaner.shouldRetainRecord for a v2 batch: anything past the map is kept; a record is
 * kept when it is the latest for its key, and a tombstone only until its batch's delete
 * horizon. Keyless records are dropped. */
static bool retain(const offset_map_t *map, const log_batch_t *b, const log_record_t *rec,
                   int64_t now)
{
    if (rec->offset > omap_latest(map))
        return true;
    if (bytes_is_null(rec->key))
        return false;
    if (rec->offset < omap_get(map, rec->key))
        return false;
    if (!bytes_is_null(rec->value))
        return true;
    return b->delete_horizon < 0 || now < b->delete_horizon;
}

/* Cleaner.groupSegmentsBySize over segments [0, n), by their sizes before cleaning:
 * consecutive segments adding up to at most segment.bytes (and spanning at most 2^31
 * offsets) are rewritten as one. Fills ends[] with each group's last segment. */
static size_t plan_groups(const plog_t *l, size_t n, size_t *ends)
{
    size_t g = 0, s = 0;
    while (s < n) {
        size_t last = s;
        int64_t size = l->segs[s].bytes;
        while (last + 1 < n && size + l->segs[last + 1].bytes <= l->cfg.segment_bytes &&
               (l->segs[last + 1].bytes == 0 ||
                plog_seg_end_offset(l, last + 1) - 1 - l->segs[s].base_offset <= INT32_MAX)) {
            last++;
            size += l->segs[last].bytes;
        }
        ends[g++] = last;
        s = last + 1;
    }
    return g;
}

void clean_result_free(clean_result_t *r)
{
    free(r->removed);
    r->removed = NULL;
}

bool cleaner_clean(plog_t *l, offset_map_t *map, const clean_range_t *r, pstate_t *producers,
                   int64_t now, clean_result_t *out)
{
    memset(out, 0, sizeof *out);
    out->first_dirty = r->first_dirty;
    build_map(l, producers, r->first_dirty, r->first_uncleanable, map);
    int64_t end = omap_latest(map) + 1;
    if (end <= r->first_dirty)
        return false;
    out->end_offset = end;
    out->map_entries = omap_size(map);
    /* The segments rewritten: from the log's first through the one holding end - 1. */
    size_t ns = 0;
    while (ns < l->n_segs && l->segs[ns].base_offset < end)
        ns++;
    assert(ns >= 1 && ns < l->n_segs); /* never the active segment */
    size_t nb = plog_seg_end_batch(l, ns - 1);
    size_t nr = nb < l->n_batches ? l->batches[nb].first : l->n;
    out->segments_before = (int32_t)ns;
    out->first_base = l->segs[0].base_offset;
    out->last_end = plog_seg_end_offset(l, ns - 1);
    out->records_before = (int64_t)nr;
    out->bytes_before = segs_bytes(l, 0, ns);

    bool *keep = calloc(nr + 1, sizeof *keep);
    bool *keep_empty = calloc(nb + 1, sizeof *keep_empty);
    if (!keep || !keep_empty)
        abort();
    /* The transactions of the segments rewritten, from the log's first offset. */
    clean_txns_t txns;
    txns_init(&txns, producers, out->first_base, out->last_end, nb);
    for (size_t bi = 0; bi < nb; bi++) {
        log_batch_t *b = &l->batches[bi];
        /* Cleaner.cleanInto: the batch that ends the round stays too, so that its last
         * offset is not lost. */
        keep_empty[bi] = last_of_active_producer(producers, b) ||
                         b->last_offset + 1 == r->first_uncleanable;
        /* checkBatchRetention: an aborted batch goes whole; a marker whose transaction has
         * no batch left may go once its delete horizon has passed. */
        bool control = (b->flags & LOG_REC_CONTROL) != 0, forget = false;
        bool can_discard = control ? txns_on_control(&txns, l, b, &forget)
                                   : txns_on_batch(&txns, b);
        bool discard = control ? can_discard && b->delete_horizon >= 0 && b->delete_horizon <= now
                               : can_discard;
        if (forget)
            pstate_forget_aborted(producers, b->base_offset);
        bool tombstone_kept = false;
        for (int32_t i = 0; i < b->n; i++) {
            size_t ri = b->first + (size_t)i;
            const log_record_t *rec = &l->recs[ri];
            keep[ri] = !discard && (control || retain(map, b, rec, now));
            if (keep[ri])
                tombstone_kept |= !control && bytes_is_null(rec->value);
            else if (control)
                out->markers_removed++;
            else if (discard)
                out->aborted_removed++;
            else if (bytes_is_null(rec->value) && !bytes_is_null(rec->key) &&
                     rec->offset >= omap_get(map, rec->key))
                out->tombstones_removed++;
        }
        /* MemoryRecords.filterTo: a batch that keeps a tombstone, or a marker whose
         * transaction is gone, gets its delete horizon the first time a cleaning sees it. */
        if ((tombstone_kept || (control && can_discard)) && b->delete_horizon < 0) {
            b->delete_horizon = now + l->cfg.delete_retention_us;
            out->horizons_set++;
        }
    }
    txns_free(&txns);
    out->removed = malloc((nr + 1) * sizeof *out->removed);
    if (!out->removed)
        abort();
    size_t n_removed = 0;
    for (size_t i = 0; i < nr; i++)
        if (!keep[i])
            out->removed[n_removed++] = l->recs[i].offset;
    size_t *ends = malloc(ns * sizeof *ends);
    if (!ends)
        abort();
    size_t groups = plan_groups(l, ns, ends);
    size_t batches_before = l->n_batches;
    plog_rewrite(l, nb, keep, keep_empty);
    for (size_t g = groups; g-- > 0;)
        plog_merge_segments(l, g ? ends[g - 1] + 1 : 0, ends[g]);
    free(ends);
    size_t dropped = batches_before - l->n_batches;
    size_t nb_after = nb - dropped;
    for (size_t bi = 0; bi < nb_after; bi++)
        out->empty_batches += l->batches[bi].n == 0;
    out->records_after = nb_after < l->n_batches ? (int64_t)l->batches[nb_after].first
                                                 : (int64_t)l->n;
    out->segments_after = (int32_t)groups;
    out->bytes_after = segs_bytes(l, 0, (size_t)out->segments_after);
    l->clean_checkpoint = end;
    free(keep);
    free(keep_empty);
    plog_repack(l);
    plog_check(l);
    return true;
}
