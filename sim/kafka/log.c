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

void plog_init(plog_t *l)
{
    memset(l, 0, sizeof *l);
    l->arena = calloc(1, sizeof *l->arena);
    if (!l->arena)
        abort();
}

void plog_free(plog_t *l)
{
    if (l->arena) {
        struct arena_chunk *c = l->arena->head;
        while (c) {
            struct arena_chunk *next = c->next;
            free(c);
            c = next;
        }
        free(l->arena);
    }
    free(l->recs);
    free(l->batches);
    free(l->epochs);
    memset(l, 0, sizeof *l);
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
    log_batch_t *b = &l->batches[l->n_batches];
    b->base_offset = base;
    b->last_offset = base + n - 1;
    b->first = l->n;
    b->n = n;
    b->size = meta->size;
    b->producer_id = meta->producer_id;
    b->producer_epoch = meta->producer_epoch;
    b->base_sequence = meta->base_sequence;
    b->last_sequence = meta->base_sequence < 0 ? -1 : seq_add(meta->base_sequence, n - 1);
    b->flags = meta->flags;
    b->max_timestamp = INT64_MIN;
    for (int32_t i = 0; i < n; i++) {
        log_record_t *r = &l->recs[l->n++];
        r->offset = base + i;
        if (in[i].timestamp > b->max_timestamp)
            b->max_timestamp = in[i].timestamp;
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
    assert(batch->base_offset == l->leo);
    reserve(l, (size_t)batch->n);
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
    if (batch->n > 0)
        plog_assign_epoch(l, recs[0].leader_epoch, b->base_offset);
}

void plog_truncate(plog_t *l, int64_t offset)
{
    size_t bi = plog_find_batch(l, offset);
    if (bi < l->n_batches) {
        for (size_t i = bi; i < l->n_batches; i++)
            l->bytes -= l->batches[i].size;
        l->n = l->batches[bi].first;
        l->leo = l->batches[bi].base_offset;
        l->n_batches = bi;
        if (l->hw > l->leo)
            l->hw = l->leo;
    }
    /* Even with nothing to cut, an epoch started at the log end goes (UnifiedLog.truncateTo:
     * a leader that wrote nothing in its epoch before it lost leadership). */
    while (l->n_epochs && l->epochs[l->n_epochs - 1].start >= l->leo)
        l->n_epochs--;
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
