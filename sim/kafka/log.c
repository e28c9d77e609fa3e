#include "log.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

/* Keys and values are copied into fixed chunks that never move, so records can point
 * into them; a value larger than a chunk gets a chunk of its own. */
#define ARENA_CHUNK (256 * 1024)

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    char data[];
};

struct log_arena {
    struct arena_chunk *head;
};

static const char *arena_copy(struct log_arena *a, const char *p, int32_t len)
{
    if (len <= 0)
        return len == 0 ? "" : NULL;
    struct arena_chunk *c = a->head;
    if (!c || c->cap - c->used < (size_t)len) {
        size_t cap = (size_t)len > ARENA_CHUNK ? (size_t)len : ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            abort();
        c->used = 0;
        c->cap = cap;
        c->next = a->head;
        a->head = c;
    }
    char *dst = c->data + c->used;
    memcpy(dst, p, (size_t)len);
    c->used += (size_t)len;
    return dst;
}

static void arena_free(struct log_arena *a)
{
    if (!a)
        return;
    struct arena_chunk *c = a->head;
    while (c) {
        struct arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

static struct log_arena *arena_new(void)
{
    struct log_arena *a = calloc(1, sizeof *a);
    if (!a)
        abort();
    return a;
}

/* Rolls a new, empty active segment at `base` (LocalLog.roll). */
static void seg_push(plog_t *l, int64_t base)
{
    if (l->n_segs == l->cap_segs) {
        l->cap_segs = l->cap_segs ? l->cap_segs * 2 : 8;
        l->segs = realloc(l->segs, l->cap_segs * sizeof *l->segs);
        if (!l->segs)
            abort();
    }
    l->segs[l->n_segs++] = (log_segment_t){ .base_offset = base, .first_batch = l->n_batches,
                                            .roll_ts = -1, .modified = -1 };
}

void plog_init(plog_t *l)
{
    memset(l, 0, sizeof *l);
    l->arena = arena_new();
    l->cfg = log_config_default();
    l->clean_checkpoint = -1;
    l->first_unstable = -1;
    seg_push(l, 0);
}

void plog_configure(plog_t *l, const log_config_t *cfg)
{
    l->cfg = *cfg;
}

void plog_free(plog_t *l)
{
    arena_free(l->arena);
    free(l->recs);
    free(l->batches);
    free(l->epochs);
    free(l->segs);
    memset(l, 0, sizeof *l);
}

/* LogSegment.shouldRoll, before a batch of `size` bytes with max timestamp `max_ts` goes
 * in at `base`: the active segment rolls when the batch would not fit in segment.bytes or
 * segment.ms has passed since its first batch (timestamps, not the clock, decide). */
static void seg_before_append(plog_t *l, int64_t base, int32_t size, int64_t max_ts)
{
    log_segment_t *a = &l->segs[l->n_segs - 1];
    bool full = a->bytes > l->cfg.segment_bytes - size;
    bool aged = a->roll_ts >= 0 && max_ts - a->roll_ts > l->cfg.segment_us;
    if (a->bytes > 0 && (full || aged)) {
        seg_push(l, base);
        a = &l->segs[l->n_segs - 1];
    }
    a->bytes += size;
    if (a->roll_ts < 0)
        a->roll_ts = max_ts;
    if (max_ts > a->modified)
        a->modified = max_ts;
}

static void reserve(plog_t *l, size_t more)
{
    if (l->n + more > l->cap) {
        size_t cap = l->cap ? l->cap : 64;
        while (cap < l->n + more)
            cap *= 2;
        l->recs = realloc(l->recs, cap * sizeof *l->recs);
        if (!l->recs)
            abort();
        l->cap = cap;
    }
    if (l->n_batches == l->cap_batches) {
        l->cap_batches = l->cap_batches ? l->cap_batches * 2 : 32;
        l->batches = realloc(l->batches, l->cap_batches * sizeof *l->batches);
        if (!l->batches)
            abort();
    }
}

int64_t plog_append(plog_t *l, const log_input_t *in, int32_t n, const log_append_t *meta)
{
    assert(n > 0);
    reserve(l, (size_t)n);
    int64_t base = l->leo;
    int64_t max_ts = in[0].timestamp;
    for (int32_t i = 1; i < n; i++)
        if (in[i].timestamp > max_ts)
            max_ts = in[i].timestamp;
    seg_before_append(l, base, meta->size, max_ts);
    log_batch_t *b = &l->batches[l->n_batches];
    *b = (log_batch_t){ .base_offset = base,
                        .last_offset = base + n - 1,
                        .first = l->n,
                        .n = n,
                        .size = meta->size,
                        .producer_id = meta->producer_id,
                        .producer_epoch = meta->producer_epoch,
                        .base_sequence = meta->base_sequence,
                        .last_sequence = meta->base_sequence < 0
                                             ? -1
                                             : seq_add(meta->base_sequence, n - 1),
                        .leader_epoch = meta->leader_epoch,
                        .max_timestamp = max_ts,
                        .delete_horizon = -1,
                        .flags = meta->flags };
    for (int32_t i = 0; i < n; i++) {
        log_record_t *r = &l->recs[l->n++];
        r->offset = base + i;
        r->timestamp = in[i].timestamp;
        r->key = (bytes_t){ arena_copy(l->arena, in[i].key.p, in[i].key.len), in[i].key.len };
        r->value = (bytes_t){ arena_copy(l->arena, in[i].value.p, in[i].value.len),
                              in[i].value.len };
        r->producer_id = meta->producer_id;
        r->producer_epoch = meta->producer_epoch;
        r->sequence = meta->base_sequence < 0 ? -1 : seq_add(meta->base_sequence, i);
        r->leader_epoch = meta->leader_epoch;
        r->batch = (uint32_t)l->n_batches;
        r->flags = meta->flags;
    }
    l->n_batches++;
    l->leo = base + n;
    l->bytes += meta->size;
    plog_assign_epoch(l, meta->leader_epoch, base);
    return base;
}

void plog_append_copy(plog_t *l, const log_batch_t *batch, const log_record_t *recs)
{
    assert(batch->base_offset >= l->leo && batch->last_offset >= batch->base_offset);
    reserve(l, (size_t)batch->n);
    seg_before_append(l, batch->base_offset, batch->size, batch->max_timestamp);
    log_batch_t *b = &l->batches[l->n_batches];
    *b = *batch;
    b->first = l->n;
    for (int32_t i = 0; i < batch->n; i++) {
        log_record_t *r = &l->recs[l->n++];
        *r = recs[i];
        r->key = (bytes_t){ arena_copy(l->arena, recs[i].key.p, recs[i].key.len),
                            recs[i].key.len };
        r->value = (bytes_t){ arena_copy(l->arena, recs[i].value.p, recs[i].value.len),
                              recs[i].value.len };
        r->batch = (uint32_t)l->n_batches;
    }
    l->n_batches++;
    l->leo = b->last_offset + 1;
    l->bytes += b->size;
    plog_assign_epoch(l, batch->n > 0 ? recs[0].leader_epoch : batch->leader_epoch,
                      b->base_offset);
}

static int64_t batches_bytes(const plog_t *l, size_t from, size_t to)
{
    int64_t bytes = 0;
    for (size_t i = from; i < to; i++)
        bytes += l->batches[i].size;
    return bytes;
}

void plog_truncate(plog_t *l, int64_t offset)
{
    size_t bi = plog_find_batch(l, offset);
    if (offset < l->leo) {
        /* Whole batches go; an offset in a gap the cleaner left is the new end itself. */
        int64_t end = bi < l->n_batches && l->batches[bi].base_offset < offset
                          ? l->batches[bi].base_offset
                          : offset;
        l->bytes -= batches_bytes(l, bi, l->n_batches);
        l->n = bi < l->n_batches ? l->batches[bi].first : l->n;
        l->leo = end;
        l->n_batches = bi;
        if (l->hw > l->leo)
            l->hw = l->leo;
        /* UnifiedLog.truncateTo: below the first segment the log starts over; otherwise
         * segments above the new end go, the one holding it shrinks, and the log start
         * comes down to the new end if it was above it. */
        if (l->leo < l->segs[0].base_offset) {
            plog_truncate_fully(l, l->leo);
            return;
        }
        if (l->log_start > l->leo)
            l->log_start = l->leo;
        while (l->n_segs > 1 && l->segs[l->n_segs - 1].base_offset > l->leo)
            l->n_segs--;
        log_segment_t *a = &l->segs[l->n_segs - 1];
        a->bytes = batches_bytes(l, a->first_batch, l->n_batches);
        if (a->first_batch == l->n_batches)
            a->roll_ts = -1;
        if (l->clean_checkpoint > l->leo)
            l->clean_checkpoint = l->leo;
    }
    /* Even with nothing to cut, an epoch started at the log end goes (UnifiedLog.truncateTo:
     * a leader that wrote nothing in its epoch before it lost leadership). */
    while (l->n_epochs && l->epochs[l->n_epochs - 1].start >= l->leo)
        l->n_epochs--;
}

void plog_truncate_fully(plog_t *l, int64_t offset)
{
    l->n = 0;
    l->n_batches = 0;
    l->n_segs = 0;
    l->n_epochs = 0;
    l->bytes = 0;
    l->leo = l->hw = l->log_start = offset;
    l->clean_checkpoint = -1;
    l->first_unstable = -1;
    seg_push(l, offset);
    arena_free(l->arena);
    l->arena = arena_new();
}

void plog_assign_epoch(plog_t *l, int32_t epoch, int64_t start)
{
    if (l->n_epochs && l->epochs[l->n_epochs - 1].epoch >= epoch)
        return;
    if (l->n_epochs == l->cap_epochs) {
        l->cap_epochs = l->cap_epochs ? l->cap_epochs * 2 : 8;
        l->epochs = realloc(l->epochs, l->cap_epochs * sizeof *l->epochs);
        if (!l->epochs)
            abort();
    }
    l->epochs[l->n_epochs++] = (log_epoch_t){ epoch, start };
}

int32_t plog_latest_epoch(const plog_t *l)
{
    return l->n_epochs ? l->epochs[l->n_epochs - 1].epoch : LOG_NO_EPOCH;
}

int64_t plog_epoch_end(const plog_t *l, int32_t epoch, int32_t *out_epoch)
{
    *out_epoch = LOG_NO_EPOCH;
    if (epoch == LOG_NO_EPOCH)
        return LOG_NO_OFFSET;
    if (plog_latest_epoch(l) == epoch) {
        *out_epoch = epoch;
        return l->leo;
    }
    size_t higher = 0; /* the first entry with an epoch above the one asked for */
    while (higher < l->n_epochs && l->epochs[higher].epoch <= epoch)
        higher++;
    if (higher == l->n_epochs)
        return LOG_NO_OFFSET;
    /* Older than every known epoch: Kafka answers with the epoch asked for. */
    *out_epoch = higher ? l->epochs[higher - 1].epoch : epoch;
    return l->epochs[higher].start;
}

size_t plog_find(const plog_t *l, int64_t offset)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->recs[mid].offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t plog_find_batch(const plog_t *l, int64_t offset)
{
    size_t lo = 0, hi = l->n_batches;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->batches[mid].last_offset < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int32_t seq_add(int32_t seq, int32_t n)
{
    return seq > INT32_MAX - n ? n - (INT32_MAX - seq) - 1 : seq + n;
}

/* Zig-zag varint length, as Kafka's ByteUtils.sizeOfVarint/Varlong. */
static int32_t varlong_size(int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    int32_t n = 1;
    while (z >= 0x80) {
        z >>= 7;
        n++;
    }
    return n;
}

int32_t record_size_in_batch(int64_t offset_delta, int64_t timestamp_delta, bytes_t key,
                             bytes_t value)
{
    /* DefaultRecord.sizeInBytes: attributes, deltas, key, value, header count (0). */
    int32_t body = 1 + varlong_size(timestamp_delta) + varlong_size(offset_delta);
    body += bytes_is_null(key) ? 1 : varlong_size(key.len) + key.len;
    body += bytes_is_null(value) ? 1 : varlong_size(value.len) + value.len;
    body += 1;
    return varlong_size(body) + body;
}

/* ---- segments ---- */

size_t plog_seg_end_batch(const plog_t *l, size_t i)
{
    return i + 1 < l->n_segs ? l->segs[i + 1].first_batch : l->n_batches;
}

int64_t plog_seg_end_offset(const plog_t *l, size_t i)
{
    return i + 1 < l->n_segs ? l->segs[i + 1].base_offset : l->leo;
}

int64_t plog_seg_largest_ts(const plog_t *l, size_t i)
{
    int64_t ts = -1;
    for (size_t b = l->segs[i].first_batch; b < plog_seg_end_batch(l, i); b++)
        if (l->batches[b].max_timestamp > ts)
            ts = l->batches[b].max_timestamp;
    return ts >= 0 ? ts : l->segs[i].modified;
}

size_t plog_seg_find(const plog_t *l, int64_t offset)
{
    size_t lo = 0, hi = l->n_segs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->segs[mid].base_offset <= offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

/* LeaderEpochFileCache.truncateFromStart: entries wholly below `offset` go; the one that
 * covers it now starts there. */
static void epochs_truncate_start(plog_t *l, int64_t offset)
{
    size_t k = 0;
    while (k < l->n_epochs && l->epochs[k].start <= offset)
        k++;
    if (k == 0)
        return;
    l->epochs[k - 1].start = offset;
    memmove(l->epochs, l->epochs + (k - 1), (l->n_epochs - (k - 1)) * sizeof *l->epochs);
    l->n_epochs -= k - 1;
}

bool plog_update_hw(plog_t *l, int64_t hw)
{
    if (hw > l->leo)
        hw = l->leo;
    if (hw < l->log_start)
        hw = l->log_start;
    if (hw == l->hw)
        return false;
    l->hw = hw;
    return true;
}

int64_t plog_lso(const plog_t *l)
{
    if (l->first_unstable < 0)
        return l->hw;
    int64_t fu = l->first_unstable < l->log_start ? l->log_start : l->first_unstable;
    return fu < l->hw ? fu : l->hw;
}

void plog_raise_log_start(plog_t *l, int64_t offset)
{
    if (offset > l->hw)
        offset = l->hw;
    if (offset <= l->log_start)
        return;
    l->log_start = offset;
    epochs_truncate_start(l, offset);
}

int64_t plog_delete_segments(plog_t *l, size_t n)
{
    assert(n <= l->n_segs);
    if (n == 0)
        return 0;
    if (n == l->n_segs) /* UnifiedLog.deleteSegments: never leave a log without a segment */
        seg_push(l, l->leo);
    size_t nb = l->segs[n].first_batch;
    size_t nr = nb < l->n_batches ? l->batches[nb].first : l->n;
    int64_t removed = batches_bytes(l, 0, nb);
    memmove(l->recs, l->recs + nr, (l->n - nr) * sizeof *l->recs);
    l->n -= nr;
    memmove(l->batches, l->batches + nb, (l->n_batches - nb) * sizeof *l->batches);
    l->n_batches -= nb;
    for (size_t i = 0; i < l->n_batches; i++)
        l->batches[i].first -= nr;
    for (size_t i = 0; i < l->n; i++)
        l->recs[i].batch -= (uint32_t)nb;
    memmove(l->segs, l->segs + n, (l->n_segs - n) * sizeof *l->segs);
    l->n_segs -= n;
    for (size_t i = 0; i < l->n_segs; i++)
        l->segs[i].first_batch -= nb;
    l->bytes -= removed;
    if (l->segs[0].base_offset > l->log_start) {
        l->log_start = l->segs[0].base_offset;
        epochs_truncate_start(l, l->log_start);
    }
    return removed;
}

/* The size of a batch rewritten with the records it kept (MemoryRecords.filterTo builds a
 * new batch with the same base offset; timestamps count from its first record). */
static int32_t rebuilt_size(const plog_t *l, const log_batch_t *b)
{
    int32_t size = RECORD_BATCH_OVERHEAD;
    for (int32_t i = 0; i < b->n; i++) {
        const log_record_t *r = &l->recs[b->first + (size_t)i];
        int64_t ts_delta = (r->timestamp - l->recs[b->first].timestamp) / 1000;
        size += record_size_in_batch(r->offset - b->base_offset, ts_delta, r->key, r->value);
    }
    return size;
}

void plog_rewrite(plog_t *l, size_t nb, const bool *keep, const bool *keep_empty)
{
    assert(nb <= l->n_batches);
    size_t wr = 0, wb = 0, seg = 0;
    for (size_t bi = 0; bi < l->n_batches; bi++) {
        while (seg < l->n_segs && l->segs[seg].first_batch == bi)
            l->segs[seg++].first_batch = wb;
        log_batch_t b = l->batches[bi];
        size_t first = wr;
        for (size_t r = b.first; r < b.first + (size_t)b.n; r++) {
            if (bi < nb && !keep[r])
                continue;
            l->recs[wr] = l->recs[r];
            l->recs[wr++].batch = (uint32_t)wb;
        }
        int32_t kept = (int32_t)(wr - first);
        if (bi < nb && kept == 0 && !keep_empty[bi])
            continue;
        bool changed = kept != b.n;
        b.first = first;
        b.n = kept;
        if (changed)
            b.size = rebuilt_size(l, &b);
        /* MemoryRecordsBuilder computes a rebuilt batch's max timestamp from the records it
         * kept; an empty header keeps the original. */
        if (changed && kept > 0) {
            b.max_timestamp = l->recs[first].timestamp;
            for (size_t r = first + 1; r < wr; r++)
                if (l->recs[r].timestamp > b.max_timestamp)
                    b.max_timestamp = l->recs[r].timestamp;
        }
        l->batches[wb++] = b;
    }
    while (seg < l->n_segs)
        l->segs[seg++].first_batch = wb;
    l->n = wr;
    l->n_batches = wb;
    l->bytes = 0;
    for (size_t i = 0; i < l->n_segs; i++) {
        log_segment_t *g = &l->segs[i];
        size_t end = plog_seg_end_batch(l, i);
        g->bytes = batches_bytes(l, g->first_batch, end);
        g->roll_ts = g->first_batch < end ? l->batches[g->first_batch].max_timestamp : -1;
        l->bytes += g->bytes;
    }
}

void plog_merge_segments(plog_t *l, size_t first, size_t last)
{
    assert(first <= last && last < l->n_segs);
    if (first == last)
        return;
    log_segment_t *s = &l->segs[first];
    for (size_t i = first + 1; i <= last; i++)
        s->bytes += l->segs[i].bytes;
    s->modified = l->segs[last].modified;
    if (s->roll_ts < 0)
        for (size_t i = first + 1; i <= last && s->roll_ts < 0; i++)
            s->roll_ts = l->segs[i].roll_ts;
    memmove(&l->segs[first + 1], &l->segs[last + 1],
            (l->n_segs - last - 1) * sizeof *l->segs);
    l->n_segs -= last - first;
}

void plog_repack(plog_t *l)
{
    struct log_arena *a = arena_new();
    for (size_t i = 0; i < l->n; i++) {
        log_record_t *r = &l->recs[i];
        r->key.p = arena_copy(a, r->key.p, r->key.len);
        r->value.p = arena_copy(a, r->value.p, r->value.len);
    }
    arena_free(l->arena);
    l->arena = a;
    /* The arrays give back what the cleaner emptied, keeping room to grow. */
    if (l->cap > 64 && l->cap > 4 * l->n) {
        l->cap = l->n * 2 > 64 ? l->n * 2 : 64;
        l->recs = realloc(l->recs, l->cap * sizeof *l->recs);
        if (!l->recs)
            abort();
    }
    if (l->cap_batches > 32 && l->cap_batches > 4 * l->n_batches) {
        l->cap_batches = l->n_batches * 2 > 32 ? l->n_batches * 2 : 32;
        l->batches = realloc(l->batches, l->cap_batches * sizeof *l->batches);
        if (!l->batches)
            abort();
    }
}

void plog_check(const plog_t *l)
{
    assert(l->n_segs >= 1);
    assert(l->log_start <= l->hw && l->hw <= l->leo);
    int64_t bytes = 0;
    for (size_t s = 0; s < l->n_segs; s++) {
        const log_segment_t *g = &l->segs[s];
        size_t end = plog_seg_end_batch(l, s);
        assert(g->first_batch <= end);
        assert(s == 0 || g->base_offset > l->segs[s - 1].base_offset);
        assert(g->bytes == batches_bytes(l, g->first_batch, end));
        for (size_t b = g->first_batch; b < end; b++)
            assert(l->batches[b].base_offset >= g->base_offset &&
                   l->batches[b].last_offset < plog_seg_end_offset(l, s));
        bytes += g->bytes;
    }
    assert(bytes == l->bytes);
    size_t r = 0;
    for (size_t b = 0; b < l->n_batches; b++) {
        const log_batch_t *bt = &l->batches[b];
        assert(bt->first == r && bt->base_offset <= bt->last_offset);
        assert(b == 0 || bt->base_offset > l->batches[b - 1].last_offset);
        for (int32_t i = 0; i < bt->n; i++, r++) {
            assert(l->recs[r].batch == b);
            assert(l->recs[r].offset >= bt->base_offset && l->recs[r].offset <= bt->last_offset);
            assert(r == 0 || l->recs[r].offset > l->recs[r - 1].offset);
        }
    }
    assert(r == l->n);
    assert(l->n_batches == 0 || l->batches[l->n_batches - 1].last_offset < l->leo);
}

void control_marker_key(int16_t type, char *out)
{
    out[0] = out[1] = 0;
    out[2] = (char)((uint16_t)type >> 8);
    out[3] = (char)(type & 0xff);
}

void control_marker_value(int32_t coordinator_epoch, char *out)
{
    uint32_t e = (uint32_t)coordinator_epoch;
    out[0] = out[1] = 0;
    for (int i = 0; i < 4; i++)
        out[2 + i] = (char)(e >> (24 - 8 * i));
}

int control_marker_type(bytes_t key)
{
    if (key.len != CONTROL_KEY_SIZE || !key.p || key.p[0] || key.p[1])
        return -1;
    int type = ((unsigned char)key.p[2] << 8) | (unsigned char)key.p[3];
    return type == CONTROL_ABORT || type == CONTROL_COMMIT ? type : -1;
}

int32_t control_marker_epoch(bytes_t value)
{
    if (value.len != CONTROL_VALUE_SIZE || !value.p)
        return -1;
    uint32_t e = 0;
    for (int i = 0; i < 4; i++)
        e = (e << 8) | (unsigned char)value.p[2 + i];
    return (int32_t)e;
}
