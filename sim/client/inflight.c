#include "inflight.h"

#include <stdlib.h>
#include <string.h>

inflight_t *inflight_add(inflight_table_t *t, node_t *self, const msg_t *m, int32_t node,
                         int64_t timeout, ev_fn on_timeout, void *ctx)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 8;
        t->e = realloc(t->e, (size_t)t->cap * sizeof *t->e);
        if (!t->e)
            abort();
    }
    inflight_t *f = &t->e[t->n++];
    *f = (inflight_t){ m->corr, node, m->api, 0, net_conn(self->w->net, self->id, node), NULL, 0 };
    f->timer = node_timer(self, timeout, on_timeout, ctx, NULL, m->corr);
    return f;
}

int32_t inflight_find(const inflight_table_t *t, int32_t corr)
{
    for (int32_t i = 0; i < t->n; i++)
        if (t->e[i].corr == corr)
            return i;
    return -1;
}

inflight_t inflight_take(inflight_table_t *t, world_t *w, int32_t i)
{
    inflight_t f = t->e[i];
    world_cancel(w, f.timer);
    memmove(&t->e[i], &t->e[i + 1], (size_t)(t->n - i - 1) * sizeof *t->e);
    t->n--;
    return f;
}

int32_t inflight_on_conn(const inflight_table_t *t, int32_t node, uint32_t conn)
{
    for (int32_t i = 0; i < t->n; i++)
        if (t->e[i].node == node && t->e[i].conn <= conn)
            return i;
    return -1;
}

int32_t inflight_count(const inflight_table_t *t, int32_t node, int16_t api)
{
    int32_t n = 0;
    for (int32_t i = 0; i < t->n; i++)
        n += (node < 0 || t->e[i].node == node) && (api < 0 || t->e[i].api == api);
    return n;
}

void inflight_clear(inflight_table_t *t, world_t *w)
{
    for (int32_t i = 0; i < t->n; i++) {
        world_cancel(w, t->e[i].timer);
        free(t->e[i].data);
    }
    t->n = 0;
}

static conn_backoff_t *backoff_of(const inflight_table_t *t, int32_t node)
{
    for (int32_t i = 0; i < t->n_down; i++)
        if (t->down[i].node == node)
            return &t->down[i];
    return NULL;
}

int64_t client_backoff(int64_t initial, int64_t max, int32_t attempts, rng_t *rng)
{
    if (max <= initial)
        return max;
    double term = (double)initial;
    for (int32_t i = 0; i < attempts && term < (double)max; i++)
        term *= 2;
    /* The jitter applies first, then the cap: the wait never exceeds max. */
    double wait = term * (0.8 + 0.4 * rng_unit(rng));
    return wait > (double)max ? max : (int64_t)wait;
}

void inflight_reset(inflight_table_t *t, int32_t node, int64_t now, int64_t base, int64_t max,
                    rng_t *rng)
{
    conn_backoff_t *b = backoff_of(t, node);
    if (!b) {
        t->down = realloc(t->down, (size_t)(t->n_down + 1) * sizeof *t->down);
        if (!t->down)
            abort();
        b = &t->down[t->n_down++];
        *b = (conn_backoff_t){ node, 0, INT64_MIN };
    }
    b->until = now + client_backoff(base, max, b->failures, rng);
    b->failures++;
}

void inflight_answered(inflight_table_t *t, int32_t node)
{
    conn_backoff_t *b = backoff_of(t, node);
    if (b) {
        b->failures = 0;
        b->until = INT64_MIN;
    }
}

int64_t inflight_ready_at(const inflight_table_t *t, int32_t node)
{
    const conn_backoff_t *b = backoff_of(t, node);
    return b ? b->until : INT64_MIN;
}

void inflight_free(inflight_table_t *t, world_t *w)
{
    inflight_clear(t, w);
    free(t->down);
    free(t->e);
    memset(t, 0, sizeof *t);
}
