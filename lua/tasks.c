/* tasks: application code in virtual time. A task is a Lua coroutine started by an
 * engine event; a blocking call yields it until what it waits for has happened, and an
 * engine event resumes it. In the main chunk the same calls run the world instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

#define TASK_THREADS_KEY "ksim.task_threads"

typedef enum task_state { TASK_NEW, TASK_RUNNING, TASK_WAITING, TASK_DONE } task_state_t;

struct task {
    int idx;
    char *name;
    lua_State *co;
    int ref;             /* registry ref keeping the thread alive until it ends */
    task_state_t state;
    uint32_t gen;        /* bumped by every block, so a stale wake-up is ignored */
    bool sleeping;       /* waits for the clock (a timer event resumes it) */
    ready_fn ready;      /* otherwise: resumed by a scan once ready(ready_ctx) */
    void *ready_ctx;
    const char *what;    /* the blocking call, for messages */
};

const char *task_name(const task_t *t)
{
    return t->name;
}

cJSON *tasks_waiting(const rt_t *rt)
{
    cJSON *arr = NULL;
    for (int i = 0; i < rt->n_tasks; i++) {
        const task_t *t = rt->tasks[i];
        if (t->state != TASK_WAITING)
            continue;
        if (!arr)
            arr = cJSON_CreateArray();
        cJSON *o = cJSON_CreateObject();
        trace_add_text(o, "task", t->name, strlen(t->name));
        cJSON_AddStringToObject(o, "call", t->what);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

bool task_is_thread(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TTHREAD)
        return false;
    lua_getfield(L, LUA_REGISTRYINDEX, TASK_THREADS_KEY);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return false;
    }
    lua_pushvalue(L, idx);
    bool is = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return is;
}

static void resume(rt_t *rt, task_t *t)
{
    if (rt->fatal || t->state == TASK_DONE)
        return;
    if (t->state == TASK_WAITING && !t->sleeping)
        rt->n_blocked--;
    t->state = TASK_RUNNING;
    t->sleeping = false;
    t->ready = NULL;
    t->ready_ctx = NULL;
    lua_State *co = t->co;
    lua_State *L = rt->L;
    rt->current = t;
    int nres = 0;
    int st = lua_resume(co, L, 0, &nres);
    rt->current = NULL;
    if (st == LUA_YIELD) {
        lua_pop(co, nres);
        if (t->state != TASK_WAITING) {
            char where[256];
            rt_where(co, 0, where, sizeof where);
            rt_fatal(rt, "%s: task '%s' called coroutine.yield(); a task waits with w:sleep(ms), "
                     "p:flush(), future:get() or c:poll(ms)", where, t->name);
        }
        return;
    }
    t->state = TASK_DONE;
    if (st != LUA_OK) {
        char msg[1800], where[256];
        lua_xmove(co, L, 1);
        rt_errstr(L, -1, msg, sizeof msg);
        lua_pop(L, 1);
        if (ksim_has_position(msg)) {
            rt_fatal(rt, "%s (in task '%s')", msg, t->name);
        } else {
            rt_where(co, 0, where, sizeof where);
            rt_fatal(rt, "%s: %s (in task '%s')", where, msg, t->name);
        }
    }
    lua_settop(co, 0);
    luaL_unref(L, LUA_REGISTRYINDEX, t->ref);
    t->ref = LUA_NOREF;
}

static void start_ev(void *a, void *b, int64_t arg)
{
    (void)arg;
    resume(a, b);
}

static void wake_ev(void *a, void *b, int64_t gen)
{
    task_t *t = b;
    if (t->state == TASK_WAITING && t->sleeping && t->gen == (uint32_t)gen)
        resume(a, t);
}

static void scan_ev(void *a, void *b, int64_t arg)
{
    (void)b;
    (void)arg;
    rt_t *rt = a;
    rt->scan_scheduled = false;
    /* Spawn order; tasks spawned meanwhile are new, and the array may move. */
    for (int i = 0; i < rt->n_tasks && !rt->fatal; i++) {
        task_t *t = rt->tasks[i];
        if (t->state == TASK_WAITING && !t->sleeping && t->ready && t->ready(t->ready_ctx))
            resume(rt, t);
    }
}

void tasks_poke(rt_t *rt)
{
    if (!rt->w || rt->scan_scheduled || rt->n_blocked == 0)
        return;
    rt->scan_scheduled = true;
    world_schedule(rt->w, rt->w->now, scan_ev, rt, NULL, 0);
}

void task_spawn(lua_State *L, rt_t *rt, const char *name, int idx, int64_t at)
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TFUNCTION);
    task_t **tasks = realloc(rt->tasks, (size_t)(rt->n_tasks + 1) * sizeof *tasks);
    task_t *t = calloc(1, sizeof *t);
    char *nm = strdup(name);
    if (!tasks || !t || !nm)
        abort();
    rt->tasks = tasks;
    t->idx = rt->n_tasks;
    t->name = nm;
    t->ref = LUA_NOREF;
    rt->tasks[rt->n_tasks++] = t;

    lua_State *co = lua_newthread(L);
    lua_sethook(co, lua_gethook(L), lua_gethookmask(L), lua_gethookcount(L));
    lua_pushvalue(L, idx);
    lua_xmove(L, co, 1);
    if (lua_getfield(L, LUA_REGISTRYINDEX, TASK_THREADS_KEY) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_newtable(L);
        lua_pushliteral(L, "k");
        lua_setfield(L, -2, "__mode");
        lua_setmetatable(L, -2);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, TASK_THREADS_KEY);
    }
    lua_pushvalue(L, -2);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    t->co = co;
    t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    world_schedule(rt->w, at, start_ev, rt, t, 0);
}

void tasks_free(rt_t *rt)
{
    for (int i = 0; i < rt->n_tasks; i++) {
        free(rt->tasks[i]->name);
        free(rt->tasks[i]);
    }
    free(rt->tasks);
    rt->tasks = NULL;
    rt->n_tasks = 0;
}

/* ---- blocking ---- */

const char *rt_cannot_block(lua_State *L, rt_t *rt)
{
    if (rt->closing)
        return "cannot wait: the run is over";
    if (rt->in_callback)
        return "cannot wait inside a callback (send callbacks and run_until conditions run "
               "inside the engine); start a task with w:spawn and wait there";
    if (!rt->w)
        return "needs a world: call ksim.world{...} first";
    if (rt->current) {
        if (L != rt->current->co)
            return "cannot wait inside a coroutine made with coroutine.create or "
                   "coroutine.wrap; call it from the task itself";
        if (!lua_isyieldable(L))
            return "cannot wait here (inside a metamethod, an iterator or a table.sort "
                   "comparator)";
        return NULL;
    }
    if (L != rt->L)
        return "cannot wait inside a coroutine made with coroutine.create or coroutine.wrap";
    if (rt->in_run)
        return "cannot wait here: the world is running";
    return NULL;
}

static void fmt_ms(char *buf, size_t n, int64_t us)
{
    if (us % US_PER_MS == 0)
        snprintf(buf, n, "%lld ms", (long long)(us / US_PER_MS));
    else
        snprintf(buf, n, "%.3f ms", (double)us / US_PER_MS);
}

/* Where the tasks still waiting are, so a time-limit message points at the loop. */
static void describe_waiting(rt_t *rt, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < rt->n_tasks; i++) {
        task_t *t = rt->tasks[i];
        if (t->state != TASK_WAITING)
            continue;
        char where[256];
        rt_where(t->co, 0, where, sizeof where);
        snprintf(buf, n, "; task '%s' was in %s at %s", t->name, t->what, where);
        return;
    }
}

run_status_t rt_run_world(lua_State *L, rt_t *rt, int64_t deadline, bool (*pred)(void *),
                          void *ctx)
{
    if (rt->fatal)
        rt_raise_fatal(L, rt);
    if (rt->in_run)
        luaL_error(L, "the world is already running (a run cannot start inside a task, a "
                   "callback or a finalizer)");
    world_t *w = rt->w;
    rt->in_run = true;
    run_status_t s = world_run(w, deadline, pred, ctx);
    rt->in_run = false;
    rt->last_status = run_status_name(s);
    if (rt->fatal)
        rt_raise_fatal(L, rt);
    bool past_limit = s == RUN_IDLE && deadline != INT64_MAX && deadline > w->time_limit;
    if (s == RUN_TIME_LIMIT || past_limit) {
        char where[256], limit[64], waiting[400];
        rt_where(L, 1, where, sizeof where);
        fmt_ms(limit, sizeof limit, w->time_limit);
        describe_waiting(rt, waiting, sizeof waiting);
        if (past_limit)
            w->now = w->time_limit;
        rt->time_limit_hit = true;
        rt_fatal(rt, "%s: virtual time limit of %s reached (raise it with --max-time)%s", where,
                 limit, waiting);
        rt_raise_fatal(L, rt);
    }
    if (s == RUN_STALLED) {
        char where[256], at[64];
        rt_where(L, 1, where, sizeof where);
        fmt_ms(at, sizeof at, w->now);
        rt_fatal(rt, "%s: the clock stopped at %s: %llu events ran without time passing (an "
                 "endless exchange at zero latency and zero waits?)", where, at,
                 (unsigned long long)w->stall_limit);
        rt_raise_fatal(L, rt);
    }
    if (s == RUN_EVENT_LIMIT) {
        char where[256];
        rt_where(L, 1, where, sizeof where);
        rt_fatal(rt, "%s: the world's event limit was reached", where);
        rt_raise_fatal(L, rt);
    }
    return s;
}

int rt_block(lua_State *L, const char *what, ready_fn ready, void *ctx, int64_t deadline,
             lua_KFunction k, lua_KContext kctx)
{
    rt_t *rt = rt_get(L);
    const char *why = rt_cannot_block(L, rt);
    if (why)
        return luaL_error(L, "%s %s", what, why);
    if (ready && ready(ctx))
        return k(L, LUA_OK, kctx);
    if (rt->current) {
        task_t *t = rt->current;
        t->state = TASK_WAITING;
        t->what = what;
        t->gen++;
        if (!ready) {
            t->sleeping = true;
            world_schedule(rt->w, deadline, wake_ev, rt, t, t->gen);
        } else {
            t->ready = ready;
            t->ready_ctx = ctx;
            rt->n_blocked++;
        }
        return lua_yieldk(L, 0, kctx, k);
    }
    rt_run_world(L, rt, ready ? INT64_MAX : deadline, ready, ctx);
    if (ready && !ready(ctx))
        return luaL_error(L, "%s would wait forever: nothing is left to happen in the world",
                          what);
    return k(L, LUA_OK, kctx);
}

/* ---- waiters ---- */

waiter_t *waiter_new(rt_t *rt)
{
    waiter_t *wt = calloc(1, sizeof *wt);
    if (!wt)
        abort();
    wt->rt = rt;
    wt->next = rt->waiters;
    if (rt->waiters)
        rt->waiters->prev = wt;
    rt->waiters = wt;
    return wt;
}

void waiter_free(waiter_t *wt)
{
    if (!wt)
        return;
    rt_t *rt = wt->rt;
    if (wt->prev)
        wt->prev->next = wt->next;
    else
        rt->waiters = wt->next;
    if (wt->next)
        wt->next->prev = wt->prev;
    for (size_t i = 0; i < wt->n; i++) {
        free(wt->recs[i].key);
        free(wt->recs[i].value);
    }
    free(wt->recs);
    free(wt->what);
    free(wt);
}

void waiters_free_all(rt_t *rt)
{
    while (rt->waiters)
        waiter_free(rt->waiters);
}
