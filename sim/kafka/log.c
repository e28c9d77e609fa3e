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
    for (int32_t i = 0; i < n; i++) {
        log_record_t *r = &l->recs[l->n++];
        r->offset = base + i;
        r->timestamp = in[i].timestamp;
        r->key = (bytes_t){ arena_copy(l->arena, in[i].key.p, in[i].key.len), in[i].key.len };
        r->value = (bytes_t){ arena_copy(l->arena, in[i].value.p, in[i].value.len),
                              in[i].value.len };
        r->producer_id = meta->producer_id;
        r->producer_epoch = meta->producer_epoch;
        r->sequence = meta->base_sequence < 0 ? -1 : meta->base_sequence + i;
        r->leader_epoch = meta->leader_epoch;
        r->batch = (uint32_t)l->n_batches;
        r->flags = meta->flags;
    }
    l->n_batches++;
    l->leo = base + n;
    l->bytes += meta->size;
    return base;
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
