/* Unit tests for sim/core/evq: ordering by (time, insertion), cancellation by handle,
 * the foreground count, and a randomized comparison against a sorted reference. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/core/evq.h"
#include "sim/core/rng.h"
#include "tests/unit/tap.h"

static void nop(void *a, void *b, int64_t arg)
{
    (void)a;
    (void)b;
    (void)arg;
}

static ev_handle_t push_at(evq_t *q, int64_t t, int64_t arg, uint32_t flags)
{
    event_t ev = { .t = t, .fn = nop, .arg = arg, .node = -1, .flags = flags };
    return evq_push(q, &ev);
}

static void test_order_by_time(void)
{
    evq_t q;
    evq_init(&q);
    static const int64_t times[] = { 50, 10, 40, 30, 20, 0, 1000000, 7 };
    size_t n = sizeof times / sizeof times[0];
    for (size_t i = 0; i < n; i++)
        push_at(&q, times[i], (int64_t)i, 0);
    is_int(evq_size(&q), n, "the queue counts every pushed event");
    is_int(evq_peek(&q)->t, 0, "peek shows the earliest event");
    is_int(evq_size(&q), n, "peek does not remove the event");

    bool sorted = true;
    int64_t last = INT64_MIN;
    size_t popped = 0;
    event_t ev;
    while (evq_pop(&q, &ev)) {
        if (ev.t < last || times[ev.arg] != ev.t)
            sorted = false;
        last = ev.t;
        popped++;
    }
    ok(sorted && popped == n, "events pop in order of their time, whatever the push order");
    ok(!evq_pop(&q, &ev) && evq_peek(&q) == NULL, "an empty queue pops nothing and peeks NULL");
    evq_free(&q);
}

static void test_ties(void)
{
    evq_t q;
    evq_init(&q);
    /* Equal times interleaved with other times: each group must keep its push order. */
    for (int64_t i = 0; i < 300; i++)
        push_at(&q, (i % 3) * 100, i, 0);
    bool fifo = true;
    int64_t last_t = -1, last_arg = -1;
    event_t ev;
    while (evq_pop(&q, &ev)) {
        if (ev.t == last_t && ev.arg <= last_arg)
            fifo = false;
        if (ev.t < last_t)
            fifo = false;
        last_t = ev.t;
        last_arg = ev.arg;
    }
    ok(fifo, "events at equal times run in the order they were scheduled");
    evq_free(&q);
}

static void test_cancel(void)
{
    evq_t q;
    evq_init(&q);
    ev_handle_t a = push_at(&q, 10, 1, 0);
    ev_handle_t b = push_at(&q, 20, 2, 0);
    ev_handle_t c = push_at(&q, 30, 3, 0);
    (void)a;
    (void)c;
    ok(evq_cancel(&q, b), "cancelling a scheduled event succeeds");
    is_int(evq_size(&q), 2, "cancelling removes one event from the queue");
    ok(!evq_cancel(&q, b), "cancelling the same handle a second time returns false");

    event_t e1, e2, e3;
    bool got1 = evq_pop(&q, &e1), got2 = evq_pop(&q, &e2), got3 = evq_pop(&q, &e3);
    ok(got1 && got2 && !got3 && e1.arg == 1 && e2.arg == 3,
       "cancel removes exactly that event and leaves the others in order");
    ok(!evq_cancel(&q, a), "cancelling an event that already ran returns false");
    ok(!evq_cancel(&q, 0), "handle 0 is never valid");

    /* A freed slot is reused by the next push; the old handle must not reach the new event. */
    ev_handle_t old = push_at(&q, 5, 10, 0);
    ok(evq_cancel(&q, old), "a fresh event can be cancelled");
    ev_handle_t fresh = push_at(&q, 6, 11, 0);
    ok(fresh != old, "a reused slot gets a different handle");
    ok(!evq_cancel(&q, old), "cancelling a handle whose slot was reused returns false");
    event_t ev;
    ok(evq_size(&q) == 1 && evq_pop(&q, &ev) && ev.arg == 11,
       "the event now in the reused slot survives a stale cancel");
    ok(!evq_cancel(&q, ((uint64_t)1 << 32) | 1000000u), "a handle naming a slot never allocated is rejected");

    /* Cancelling an event deep in the heap keeps the heap valid. */
    ev_handle_t h[64];
    for (int i = 0; i < 64; i++)
        h[i] = push_at(&q, (int64_t)((i * 37) % 64), i, 0);
    for (int i = 0; i < 64; i += 3)
        evq_cancel(&q, h[i]);
    bool valid = true;
    int64_t last = -1;
    size_t n = 0;
    while (evq_pop(&q, &ev)) {
        if (ev.t < last || ev.arg % 3 == 0)
            valid = false;
        last = ev.t;
        n++;
    }
    ok(valid && n == 64 - 22, "after cancelling from the middle the rest still pops in order");
    evq_free(&q);
}

static void test_foreground(void)
{
    evq_t q;
    evq_init(&q);
    ev_handle_t f1 = push_at(&q, 10, 0, 0);
    push_at(&q, 5, 0, EV_BACKGROUND);
    push_at(&q, 20, 0, 0);
    ev_handle_t b2 = push_at(&q, 30, 0, EV_BACKGROUND);
    push_at(&q, 40, 0, 0);
    is_int(evq_size(&q), 5, "background events count in the size");
    is_int(evq_foreground(&q), 3, "background events do not count as foreground");
    event_t ev;
    evq_pop(&q, &ev);
    is_int(evq_foreground(&q), 3, "popping a background event leaves the foreground count");
    evq_cancel(&q, f1);
    is_int(evq_foreground(&q), 2, "cancelling a foreground event lowers the foreground count");
    evq_cancel(&q, b2);
    is_int(evq_foreground(&q), 2, "cancelling a background event leaves the foreground count");
    evq_pop(&q, &ev);
    is_int(evq_foreground(&q), 1, "popping a foreground event lowers the foreground count");
    evq_pop(&q, &ev);
    ok(evq_foreground(&q) == 0 && evq_size(&q) == 0, "an emptied queue has no foreground events");
    evq_free(&q);
}

/* ---- randomized comparison with a sorted reference ---- */

/* The reference keeps live events sorted by (time, insertion) in a calendar: one FIFO list
 * per time value. Every live time lies in [now, now + WINDOW], so WINDOW + 1 buckets, taken
 * modulo a power of two, never mix two times. */
#define WINDOW 200
#define N_BUCKETS 256
#define NIL (-1)

typedef struct ref_ev {
    int64_t t;
    uint64_t order; /* our own insertion counter, passed as the event's arg */
    ev_handle_t h;
    bool bg;
    int32_t prev, next; /* bucket list */
    size_t live;        /* index in ref.live */
} ref_ev_t;

typedef struct ref {
    ref_ev_t *ev;       /* every event ever pushed, by insertion order */
    int32_t head[N_BUCKETS], tail[N_BUCKETS];
    int32_t *live;      /* live events, any order: for picking one to cancel */
    size_t n_live;
    size_t fg;
    int64_t now;
} ref_t;

static void ref_init(ref_t *r, long ops)
{
    memset(r, 0, sizeof *r);
    r->ev = calloc((size_t)ops, sizeof *r->ev);
    r->live = calloc((size_t)ops, sizeof *r->live);
    if (!r->ev || !r->live)
        abort();
    for (int i = 0; i < N_BUCKETS; i++)
        r->head[i] = r->tail[i] = NIL;
}

static void ref_free(ref_t *r)
{
    free(r->ev);
    free(r->live);
}

static void ref_push(ref_t *r, int32_t i)
{
    ref_ev_t *e = &r->ev[i];
    int b = (int)(e->t % N_BUCKETS);
    e->prev = r->tail[b];
    e->next = NIL;
    if (r->tail[b] == NIL)
        r->head[b] = i;
    else
        r->ev[r->tail[b]].next = i;
    r->tail[b] = i;
    e->live = r->n_live;
    r->live[r->n_live++] = i;
    r->fg += !e->bg;
}

static void ref_remove(ref_t *r, int32_t i)
{
    ref_ev_t *e = &r->ev[i];
    int b = (int)(e->t % N_BUCKETS);
    if (e->prev == NIL)
        r->head[b] = e->next;
    else
        r->ev[e->prev].next = e->next;
    if (e->next == NIL)
        r->tail[b] = e->prev;
    else
        r->ev[e->next].prev = e->prev;
    int32_t moved = r->live[--r->n_live];
    r->live[e->live] = moved;
    r->ev[moved].live = e->live;
    r->fg -= !e->bg;
}

/* The earliest live event: the head of the first non-empty bucket from now on. */
static int32_t ref_first(ref_t *r)
{
    for (int64_t t = r->now; t <= r->now + WINDOW; t++) {
        int32_t i = r->head[t % N_BUCKETS];
        if (i != NIL) {
            r->now = t;
            return i;
        }
    }
    abort(); /* only called with live events, all within the window */
}

#define DEAD_RING 64

/* Returns 0 on success, or the 1-based index of the first operation that disagreed. */
static long random_run(uint64_t seed, long ops, char *why, size_t whylen)
{
    rng_t rng;
    rng_seed(&rng, seed);
    evq_t q;
    evq_init(&q);
    ref_t ref;
    ref_init(&ref, ops);
    ev_handle_t dead[DEAD_RING] = { 0 };
    size_t n_dead = 0, max_size = 0;
    int32_t pushed = 0;
    long bad = 0;

    for (long i = 1; i <= ops && !bad; i++) {
        /* Three phases: grow the heap, churn it, drain it. */
        int push_pct = i < ops / 3 ? 70 : (i < 2 * ops / 3 ? 50 : 25);
        int64_t roll = rng_range(&rng, 0, 99);
        if (roll < push_pct || ref.n_live == 0) {
            /* Times from a small window make many ties. */
            ref_ev_t *e = &ref.ev[pushed];
            e->t = ref.now + rng_range(&rng, 0, WINDOW);
            e->order = (uint64_t)pushed;
            e->bg = rng_range(&rng, 0, 3) == 0;
            e->h = push_at(&q, e->t, (int64_t)e->order, e->bg ? EV_BACKGROUND : 0);
            ref_push(&ref, pushed++);
        } else if (roll < push_pct + (100 - push_pct) * 2 / 3) {
            event_t ev = { 0 };
            int32_t k = ref_first(&ref);
            const ref_ev_t *want = &ref.ev[k];
            if (!evq_pop(&q, &ev) || ev.t != want->t || (uint64_t)ev.arg != want->order) {
                snprintf(why, whylen, "pop gave t=%lld arg=%lld, want t=%lld arg=%llu",
                         (long long)ev.t, (long long)ev.arg, (long long)want->t,
                         (unsigned long long)want->order);
                bad = i;
            }
            ref_remove(&ref, k);
            dead[n_dead++ % DEAD_RING] = want->h;
        } else if (rng_range(&rng, 0, 4) == 0 && n_dead > 0) {
            size_t n = n_dead < DEAD_RING ? n_dead : DEAD_RING;
            ev_handle_t h = dead[rng_range(&rng, 0, (int64_t)n - 1)];
            if (evq_cancel(&q, h)) {
                snprintf(why, whylen, "cancel of a handle that already ran or was cancelled succeeded");
                bad = i;
            }
        } else {
            int32_t k = ref.live[rng_range(&rng, 0, (int64_t)ref.n_live - 1)];
            if (!evq_cancel(&q, ref.ev[k].h)) {
                snprintf(why, whylen, "cancel of a live handle failed");
                bad = i;
            }
            ref_remove(&ref, k);
            dead[n_dead++ % DEAD_RING] = ref.ev[k].h;
        }
        if (!bad && (evq_size(&q) != ref.n_live || evq_foreground(&q) != ref.fg)) {
            snprintf(why, whylen, "size %zu, want %zu; foreground %zu, want %zu", evq_size(&q),
                     ref.n_live, evq_foreground(&q), ref.fg);
            bad = i;
        }
        if (evq_size(&q) > max_size)
            max_size = evq_size(&q);
    }
    /* Drain what is left: it must come out exactly as the reference says. */
    while (!bad && ref.n_live > 0) {
        event_t ev = { 0 };
        int32_t k = ref_first(&ref);
        if (!evq_pop(&q, &ev) || ev.t != ref.ev[k].t || (uint64_t)ev.arg != ref.ev[k].order) {
            snprintf(why, whylen, "the final drain differs at t=%lld", (long long)ref.ev[k].t);
            bad = ops + 1;
        }
        ref_remove(&ref, k);
    }
    if (!bad && evq_size(&q) != 0) {
        snprintf(why, whylen, "the queue holds %zu events the reference does not", evq_size(&q));
        bad = ops + 1;
    }
    if (!bad && max_size < 1000) {
        snprintf(why, whylen, "the heap never grew past %zu events: the run tests too little",
                 max_size);
        bad = ops + 1;
    }
    ref_free(&ref);
    evq_free(&q);
    return bad;
}

static void test_random(void)
{
    /* Seeds 1..4 by default; SEEDS=N sweeps more. */
    unsigned n = tap_seeds(4), failed = 0;
    for (uint64_t seed = 1; seed <= n; seed++) {
        char why[160] = "";
        long bad = random_run(seed, 100000, why, sizeof why);
        if (bad && failed++ < 5)
            tap_diag("seed %llu: operation %ld: %s", (unsigned long long)seed, bad, why);
    }
    ok(failed == 0, "100000 random pushes, cancels and pops agree with a sorted reference "
                    "(%u seeds)", n);
}

int main(void)
{
    test_order_by_time();
    test_ties();
    test_cancel();
    test_foreground();
    test_random();
    return tap_done();
}
