#include "evq.h"

#include <assert.h>
#include <stdlib.h>

#define NIL UINT32_MAX

struct evq_slot {
    event_t ev;
    uint32_t gen;
    uint32_t pos; /* index in heap, or the next free slot when free */
};

void evq_init(evq_t *q)
{
    q->slots = NULL;
    q->heap = NULL;
    q->n = q->cap = 0;
    q->free_head = NIL;
    q->next_seq = 1;
    q->n_foreground = 0;
}

void evq_free(evq_t *q)
{
    free(q->slots);
    free(q->heap);
    evq_init(q);
}

static bool before(const evq_t *q, uint32_t a, uint32_t b)
{
    const event_t *x = &q->slots[a].ev, *y = &q->slots[b].ev;
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void place(evq_t *q, size_t i, uint32_t slot)
{
    q->heap[i] = slot;
    q->slots[slot].pos = (uint32_t)i;
}

static void sift_up(evq_t *q, size_t i)
{
    uint32_t s = q->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(q, s, q->heap[parent]))
            break;
        place(q, i, q->heap[parent]);
        i = parent;
    }
    place(q, i, s);
}

static void sift_down(evq_t *q, size_t i)
{
    uint32_t s = q->heap[i];
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= q->n)
            break;
        size_t c = l;
        if (l + 1 < q->n && before(q, q->heap[l + 1], q->heap[l]))
            c = l + 1;
        if (!before(q, q->heap[c], s))
            break;
        place(q, i, q->heap[c]);
        i = c;
    }
    place(q, i, s);
}

static void grow(evq_t *q)
{
    size_t cap = q->cap ? q->cap * 2 : 256;
    struct evq_slot *slots = realloc(q->slots, cap * sizeof *slots);
    uint32_t *heap = realloc(q->heap, cap * sizeof *heap);
    if (!slots || !heap)
        abort();
    q->slots = slots;
    q->heap = heap;
    for (size_t i = q->cap; i < cap; i++) {
        q->slots[i].gen = 1;
        q->slots[i].pos = (i + 1 < cap) ? (uint32_t)(i + 1) : q->free_head;
    }
    q->free_head = (uint32_t)q->cap;
    q->cap = cap;
}

ev_handle_t evq_push(evq_t *q, const event_t *ev)
{
    if (q->free_head == NIL)
        grow(q);
    uint32_t slot = q->free_head;
    q->free_head = q->slots[slot].pos;
    q->slots[slot].ev = *ev;
    q->slots[slot].ev.seq = q->next_seq++;
    if (!(ev->flags & EV_BACKGROUND))
        q->n_foreground++;
    place(q, q->n, slot);
    q->n++;
    sift_up(q, q->n - 1);
    return ((uint64_t)q->slots[slot].gen << 32) | slot;
}

static void release(evq_t *q, uint32_t slot)
{
    if (!(q->slots[slot].ev.flags & EV_BACKGROUND))
        q->n_foreground--;
    q->slots[slot].gen++;
    if (q->slots[slot].gen == 0)
        q->slots[slot].gen = 1;
    q->slots[slot].pos = q->free_head;
    q->free_head = slot;
}

static void remove_at(evq_t *q, size_t i)
{
    uint32_t slot = q->heap[i];
    q->n--;
    if (i != q->n) {
        place(q, i, q->heap[q->n]);
        if (i > 0 && before(q, q->heap[i], q->heap[(i - 1) / 2]))
            sift_up(q, i);
        else
            sift_down(q, i);
    }
    release(q, slot);
}

bool evq_cancel(evq_t *q, ev_handle_t h)
{
    uint32_t slot = (uint32_t)h;
    uint32_t gen = (uint32_t)(h >> 32);
    if (h == 0 || slot >= q->cap || q->slots[slot].gen != gen)
        return false;
    size_t pos = q->slots[slot].pos;
    if (pos >= q->n || q->heap[pos] != slot)
        return false;
    remove_at(q, pos);
    return true;
}

size_t evq_remove_if(evq_t *q, bool (*drop)(const event_t *ev, void *ctx), void *ctx)
{
    size_t kept = 0, n = q->n;
    for (size_t i = 0; i < n; i++) {
        uint32_t slot = q->heap[i];
        if (drop(&q->slots[slot].ev, ctx))
            release(q, slot);
        else
            place(q, kept++, slot);
    }
    q->n = kept;
    for (size_t i = kept / 2; i-- > 0;)
        sift_down(q, i);
    return n - kept;
}

const event_t *evq_peek(const evq_t *q)
{
    return q->n ? &q->slots[q->heap[0]].ev : NULL;
}

bool evq_pop(evq_t *q, event_t *out)
{
    if (q->n == 0)
        return false;
    *out = q->slots[q->heap[0]].ev;
    remove_at(q, 0);
    return true;
}
