/* evq: the event queue. Events run in (time, insertion sequence) order, so equal times
 * run in the order they were scheduled and a run never depends on heap internals.
 * Slots are pooled: pushing and popping do not allocate once the pool has grown. */
#ifndef KSIM_EVQ_H
#define KSIM_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*ev_fn)(void *a, void *b, int64_t arg);

/* A background event (a periodic timer) does not keep the world from being idle. */
#define EV_BACKGROUND 0x1u

typedef struct event {
    int64_t t;      /* virtual time, µs */
    uint64_t seq;   /* insertion sequence: the tie-breaker */
    ev_fn fn;
    void *a, *b;
    int64_t arg;
    int32_t node;   /* owning node id, or -1: the world checks it is alive and running */
    uint32_t inc;   /* owning node's incarnation when scheduled */
    uint32_t flags;
} event_t;

/* A handle names one scheduled event; 0 is never a valid handle. */
typedef uint64_t ev_handle_t;

typedef struct evq {
    struct evq_slot *slots;
    uint32_t *heap; /* slot indices, a binary min-heap */
    size_t n, cap;
    uint32_t free_head;
    uint64_t next_seq;
    size_t n_foreground;
} evq_t;

void evq_init(evq_t *q);
void evq_free(evq_t *q);
ev_handle_t evq_push(evq_t *q, const event_t *ev);
/* Removes a scheduled event; false when it already ran or was cancelled. */
bool evq_cancel(evq_t *q, ev_handle_t h);
/* The earliest event, or NULL when empty. */
const event_t *evq_peek(const evq_t *q);
/* Removes every event for which drop(ev, ctx) is true; returns how many. */
size_t evq_remove_if(evq_t *q, bool (*drop)(const event_t *ev, void *ctx), void *ctx);
bool evq_pop(evq_t *q, event_t *out);
static inline size_t evq_size(const evq_t *q) { return q->n; }
static inline size_t evq_foreground(const evq_t *q) { return q->n_foreground; }

#endif
