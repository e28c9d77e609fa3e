#include "world.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

static const char *role_names[] = { "broker", "controller", "producer", "consumer", "app" };

const char *node_role_name(node_role_t r)
{
    return role_names[r];
}

const char *run_status_name(run_status_t s)
{
    static const char *names[] = { "idle", "deadline", "predicate", "time-limit", "event-limit",
                                   "stopped", "stalled" };
    return names[s];
}

world_t *world_new(uint64_t seed, trace_t *trace)
{
    world_t *w = calloc(1, sizeof *w);
    if (!w)
        abort();
    w->seed = seed;
    w->trace = trace;
    evq_init(&w->q);
    w->time_limit = INT64_MAX;
    w->event_limit = UINT64_MAX;
    w->stall_limit = WORLD_STALL_EVENTS;
    rng_stream(&w->rng, seed, "world");
    w->net = net_new(w);
    return w;
}

void world_free(world_t *w)
{
    if (!w)
        return;
    net_free(w->net);
    for (int32_t i = 0; i < w->n_nodes; i++) {
        free(w->nodes[i]->name);
        free(w->nodes[i]->deferred);
        free(w->nodes[i]);
    }
    free(w->nodes);
    for (size_t i = 0; i < w->n_strings; i++)
        free(w->strings[i]);
    free(w->strings);
    evq_free(&w->q);
    free(w);
}

node_t *world_add_node(world_t *w, const char *name, node_role_t role, const node_ops_t *ops,
                       void *impl)
{
    assert(!world_find(w, name) && w->n_nodes < WORLD_MAX_NODES);
    node_t *n = calloc(1, sizeof *n);
    node_t **nodes = realloc(w->nodes, (size_t)(w->n_nodes + 1) * sizeof *nodes);
    if (!n || !nodes)
        abort();
    w->nodes = nodes;
    n->id = w->n_nodes;
    n->name = strdup(name);
    n->role = role;
    n->w = w;
    n->up = true;
    n->ops = ops;
    n->impl = impl;
    rng_stream(&n->rng, w->seed, name);
    w->nodes[w->n_nodes++] = n;
    net_node_added(w->net, n);
    cJSON *ev = world_trace(w, n, "node");
    if (ev) {
        cJSON_AddStringToObject(ev, "role", node_role_name(role));
        trace_add_int(ev, "id", n->id);
        world_emit(w, ev);
    }
    return n;
}

node_t *world_node(const world_t *w, int32_t id)
{
    return (id >= 0 && id < w->n_nodes) ? w->nodes[id] : NULL;
}

node_t *world_find(const world_t *w, const char *name)
{
    for (int32_t i = 0; i < w->n_nodes; i++)
        if (strcmp(w->nodes[i]->name, name) == 0)
            return w->nodes[i];
    return NULL;
}

static ev_handle_t push(world_t *w, int64_t at, ev_fn fn, void *a, void *b, int64_t arg,
                        int32_t node, uint32_t inc, uint32_t flags)
{
    event_t ev = { .t = at < w->now ? w->now : at, .fn = fn, .a = a, .b = b, .arg = arg,
                   .node = node, .inc = inc, .flags = flags };
    return evq_push(&w->q, &ev);
}

ev_handle_t node_timer(node_t *n, int64_t delay, ev_fn fn, void *a, void *b, int64_t arg)
{
    return push(n->w, n->w->now + delay, fn, a, b, arg, n->id, n->inc, 0);
}

ev_handle_t node_timer_bg(node_t *n, int64_t delay, ev_fn fn, void *a, void *b, int64_t arg)
{
    return push(n->w, n->w->now + delay, fn, a, b, arg, n->id, n->inc, EV_BACKGROUND);
}

ev_handle_t world_schedule(world_t *w, int64_t at, ev_fn fn, void *a, void *b, int64_t arg)
{
    return push(w, at, fn, a, b, arg, -1, 0, 0);
}

bool world_cancel(world_t *w, ev_handle_t h)
{
    return evq_cancel(&w->q, h);
}

void node_defer(node_t *n, const event_t *ev)
{
    if (n->n_deferred == n->cap_deferred) {
        n->cap_deferred = n->cap_deferred ? n->cap_deferred * 2 : 16;
        n->deferred = realloc(n->deferred, n->cap_deferred * sizeof *n->deferred);
        if (!n->deferred)
            abort();
    }
    n->deferred[n->n_deferred++] = *ev;
}

static void trace_node_event(world_t *w, node_t *n, const char *kind, const char *why)
{
    cJSON *ev = world_trace(w, n, kind);
    if (!ev)
        return;
    if (why)
        cJSON_AddStringToObject(ev, "reason", why);
    world_emit(w, ev);
}

static bool owned_by(const event_t *ev, void *ctx)
{
    return ev->node == ((const node_t *)ctx)->id;
}

void world_crash(world_t *w, node_t *n, const char *why)
{
    if (!n->up)
        return;
    n->up = false;
    n->paused = false;
    n->inc++;
    /* The dead process's timers go: they must not keep the world busy. */
    evq_remove_if(&w->q, owned_by, n);
    /* What waited for the paused node runs now and finds it dead: its timers vanish,
     * its messages are dropped as undeliverable. */
    for (size_t i = 0; i < n->n_deferred; i++) {
        event_t e = n->deferred[i];
        if (e.node == n->id)
            continue;
        e.t = w->now;
        evq_push(&w->q, &e);
    }
    n->n_deferred = 0;
    trace_node_event(w, n, "crash", why);
    if (n->ops && n->ops->on_crash)
        n->ops->on_crash(n);
    net_node_down(w->net, n);
}

void world_restart(world_t *w, node_t *n)
{
    if (n->up)
        return;
    n->up = true;
    trace_node_event(w, n, "restart", NULL);
    if (n->ops && n->ops->on_restart)
        n->ops->on_restart(n);
}

bool world_pause(world_t *w, node_t *n)
{
    if (!n->up || n->paused)
        return false;
    n->paused = true;
    n->pauses++;
    trace_node_event(w, n, "pause", NULL);
    return true;
}

static void timed_resume(void *a, void *b, int64_t pause)
{
    node_t *n = b;
    if (n->paused && n->pauses == (uint32_t)pause)
        world_resume(a, n);
}

void world_pause_for(world_t *w, node_t *n, int64_t duration)
{
    if (world_pause(w, n))
        world_schedule(w, w->now + duration, timed_resume, w, n, n->pauses);
}

void world_resume(world_t *w, node_t *n)
{
    if (!n->up || !n->paused)
        return;
    n->paused = false;
    cJSON *ev = world_trace(w, n, "resume");
    if (ev) {
        trace_add_int(ev, "held", (int64_t)n->n_deferred);
        world_emit(w, ev);
    }
    /* What waited during the pause runs now, in the order it arrived. */
    for (size_t i = 0; i < n->n_deferred; i++) {
        event_t e = n->deferred[i];
        e.t = w->now;
        evq_push(&w->q, &e);
    }
    n->n_deferred = 0;
}

/* Events of a crashed incarnation vanish without moving the clock. */
static bool stale(const world_t *w, const event_t *ev)
{
    if (ev->node < 0)
        return false;
    const node_t *n = w->nodes[ev->node];
    return !n->up || n->inc != ev->inc;
}

/* Where a run with nothing (foreground) left to do ends: at the deadline if there is one,
 * capped by the time limit; otherwise idle. */
static run_status_t quiet_end(world_t *w, int64_t deadline)
{
    if (deadline == INT64_MAX)
        return RUN_IDLE;
    if (deadline > w->time_limit) {
        w->now = w->now > w->time_limit ? w->now : w->time_limit;
        return RUN_TIME_LIMIT;
    }
    w->now = w->now > deadline ? w->now : deadline;
    return RUN_DEADLINE;
}

run_status_t world_run(world_t *w, int64_t deadline, bool (*pred)(void *), void *ctx)
{
    w->stop = false;
    for (;;) {
        if (pred && pred(ctx))
            return RUN_PREDICATE;
        const event_t *top = evq_peek(&w->q);
        if (top && stale(w, top)) {
            event_t dead;
            evq_pop(&w->q, &dead);
            continue;
        }
        /* Only background timers left: time still passes up to a deadline. */
        bool quiet = !top || evq_foreground(&w->q) == 0;
        if (quiet && (!top || deadline == INT64_MAX || top->t > deadline))
            return quiet_end(w, deadline);
        if (top->t > deadline) {
            w->now = deadline > w->now ? deadline : w->now;
            return RUN_DEADLINE;
        }
        if (top->t > w->time_limit) {
            w->now = w->time_limit > w->now ? w->time_limit : w->now;
            return RUN_TIME_LIMIT;
        }
        if (w->events_run >= w->event_limit)
            return RUN_EVENT_LIMIT;
        event_t ev;
        evq_pop(&w->q, &ev);
        assert(ev.t >= w->now);
        if (ev.t > w->now) {
            w->now = ev.t;
            w->events_at_now = 0;
        } else if (++w->events_at_now >= w->stall_limit) {
            evq_push(&w->q, &ev); /* not run: the stall is reported before it */
            return RUN_STALLED;
        }
        w->events_run++;
        if (ev.node >= 0 && w->nodes[ev.node]->paused) {
            node_defer(w->nodes[ev.node], &ev);
            continue;
        }
        ev.fn(ev.a, ev.b, ev.arg);
        if (w->stop)
            return RUN_STOPPED;
    }
}

void world_stop(world_t *w)
{
    w->stop = true;
}

cJSON *world_trace(world_t *w, const node_t *n, const char *kind)
{
    if (!w->trace)
        return NULL;
    return trace_begin(w->trace, w->now, n ? n->name : "world", kind);
}

void world_emit(world_t *w, cJSON *ev)
{
    if (w->trace)
        trace_emit(w->trace, ev);
}

const char *world_intern(world_t *w, const char *s)
{
    for (size_t i = w->n_strings; i-- > 0;)
        if (strcmp(w->strings[i], s) == 0)
            return w->strings[i];
    if (w->n_strings == w->cap_strings) {
        w->cap_strings = w->cap_strings ? w->cap_strings * 2 : 16;
        w->strings = realloc(w->strings, w->cap_strings * sizeof *w->strings);
        if (!w->strings)
            abort();
    }
    char *c = strdup(s);
    if (!c)
        abort();
    w->strings[w->n_strings++] = c;
    return c;
}
