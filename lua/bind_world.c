/* bind_world: ksim.world and the world object: the clock (now, sleep, run, run_for,
 * run_until), tasks (spawn, at), link latencies, node actions (crash, restart, pause,
 * resume, partition, heal) and notes. Faults live in bind_faults.c, clusters in bind_cluster.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"

/* ---- latency specs ---- */

static void two_numbers(lua_State *L, int idx, const char *what, const char *k1, const char *k2,
                        int64_t *a, int64_t *b)
{
    if (!lua_istable(L, idx))
        luaL_error(L, "%s must be a table {%s, %s} in ms", what, k1, k2);
    idx = lua_absindex(L, idx);
    if (lua_rawgeti(L, idx, 1) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_getfield(L, idx, k1);
    }
    *a = rt_check_ms(L, -1, what, false);
    if (lua_rawgeti(L, idx, 2) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_getfield(L, idx, k2);
    }
    *b = rt_check_ms(L, -1, what, false);
    lua_pop(L, 2);
}

latency_t rt_check_latency(lua_State *L, int idx, const char *what)
{
    idx = lua_absindex(L, idx);
    latency_t l = { LAT_FIXED, 0, 0 };
    if (lua_type(L, idx) == LUA_TNUMBER) {
        l.a = rt_check_ms(L, idx, what, false);
        return l;
    }
    if (!lua_istable(L, idx))
        luaL_error(L, "%s must be a number of ms, {uniform = {min, max}} or "
                   "{normal = {mean, sd}}, got %s", what, luaL_typename(L, idx));
    static const char *const keys[] = { "fixed", "normal", "uniform", NULL };
    rt_check_keys(L, idx, what, keys);
    int found = 0;
    if (lua_getfield(L, idx, "fixed") != LUA_TNIL) {
        l.a = rt_check_ms(L, -1, what, false);
        found++;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "uniform") != LUA_TNIL) {
        l.kind = LAT_UNIFORM;
        two_numbers(L, -1, "uniform latency", "min", "max", &l.a, &l.b);
        if (l.a > l.b)
            luaL_error(L, "%s: uniform latency needs min <= max", what);
        found++;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "normal") != LUA_TNIL) {
        l.kind = LAT_NORMAL;
        two_numbers(L, -1, "normal latency", "mean", "sd", &l.a, &l.b);
        found++;
    }
    lua_pop(L, 1);
    if (found != 1)
        luaL_error(L, "%s needs exactly one of fixed, uniform or normal", what);
    return l;
}

/* ---- ksim.world ---- */

static const char *seed_text(uint64_t seed, char *buf, size_t n)
{
    snprintf(buf, n, "%llu", (unsigned long long)seed);
    return buf;
}

static uint64_t check_seed(lua_State *L, int idx)
{
    lua_Integer s;
    if (rt_tointeger(L, idx, &s)) {
        if (s < 0)
            luaL_error(L, "ksim.world: seed must be at least 0, got %I", s);
        return (uint64_t)s;
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *text = lua_tostring(L, idx);
        char *end;
        errno = 0;
        unsigned long long v = strtoull(text, &end, 10);
        if (*text >= '0' && *text <= '9' && *end == '\0' && errno == 0)
            return (uint64_t)v;
    }
    luaL_error(L, "ksim.world: seed must be a whole number (or a string of digits for seeds "
               "above 2^63), got %s", luaL_typename(L, idx));
    return 0;
}

static int l_world(lua_State *L)
{
    rt_t *rt = rt_get(L);
    if (rt->w)
        return luaL_error(L, "ksim.world can only be called once: a scenario has one world");
    lua_settop(L, 1);
    if (lua_isnil(L, 1)) {
        lua_newtable(L);
        lua_replace(L, 1);
    }
    if (!lua_istable(L, 1))
        return luaL_error(L, "ksim.world takes a table, e.g. ksim.world{ seed = 42 }");
    static const char *const keys[] = { "latency", "seed", NULL };
    rt_check_keys(L, 1, "ksim.world", keys);
    char text[32];
    uint64_t seed = rt->seed;
    if (lua_getfield(L, 1, "seed") != LUA_TNIL) {
        uint64_t s = check_seed(L, -1);
        if (!rt->o->seed_given) /* --seed wins over the script */
            seed = s;
    }
    lua_pop(L, 1);
    bool has_latency = lua_getfield(L, 1, "latency") != LUA_TNIL;
    latency_t lat = { LAT_FIXED, 0, 0 };
    if (has_latency)
        lat = rt_check_latency(L, -1, "ksim.world: latency");
    lua_pop(L, 1);
    if (rt->header_written && seed != rt->seed)
        return luaL_error(L, "ksim.world must come before any ksim.check: the trace already "
                          "started with seed %s", seed_text(rt->seed, text, sizeof text));
    rt->seed = seed;
    rt->r->seed = seed;
    rt_write_header(rt);
    rt->w = world_new(seed, rt->o->trace);
    rt->w->time_limit = rt->o->max_time_us;
    if (has_latency)
        net_set_default_latency(rt->w->net, lat);
    rt_reseed_math(L, seed);
    lua_newuserdatauv(L, 1, 0);
    luaL_setmetatable(L, RT_WORLD);
    return 1;
}

/* ---- the clock ---- */

static int sleep_k(lua_State *L, int status, lua_KContext ctx)
{
    return 0;
}

static int do_sleep(lua_State *L, int idx, const char *what)
{
    world_t *w = rt_world(L);
    int64_t us = rt_check_ms(L, idx, what, false);
    return rt_block(L, what, NULL, NULL, w->now + us, sleep_k, 0);
}

static int l_sleep(lua_State *L)
{
    return do_sleep(L, 1, "ksim.sleep(ms)");
}

static int w_sleep(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "sleep");
    return do_sleep(L, 2, "w:sleep(ms)");
}

static int w_now(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "now");
    rt_push_ms(L, rt_world(L)->now);
    return 1;
}

static int w_seed(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "seed");
    rt_world(L);
    uint64_t seed = rt_get(L)->seed;
    /* From 2^63 on, a Lua integer would turn negative: the digits, as a string. */
    char text[32];
    if (seed <= (uint64_t)LUA_MAXINTEGER)
        lua_pushinteger(L, (lua_Integer)seed);
    else
        lua_pushstring(L, seed_text(seed, text, sizeof text));
    return 1;
}

static rt_t *check_main(lua_State *L, const char *what)
{
    rt_t *rt = rt_get(L);
    rt_world(L);
    if (rt->current)
        luaL_error(L, "%s can only be called from the main chunk, not from task '%s' (a task "
                   "waits with w:sleep, p:flush, future:get or c:poll)", what,
                   task_name(rt->current));
    if (rt->in_callback || rt->in_run || L != rt->L)
        luaL_error(L, "%s can only be called from the main chunk (not from a callback or a "
                   "coroutine)", what);
    rt->ran = true;
    return rt;
}

static int w_run(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "run");
    rt_t *rt = check_main(L, "w:run()");
    lua_pushstring(L, run_status_name(rt_run_world(L, rt, INT64_MAX, NULL, NULL)));
    return 1;
}

static int w_run_for(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "run_for");
    rt_t *rt = check_main(L, "w:run_for()");
    int64_t us = rt_check_ms(L, 2, "w:run_for(ms)", false);
    lua_pushstring(L, run_status_name(rt_run_world(L, rt, rt->w->now + us, NULL, NULL)));
    return 1;
}

typedef struct until {
    rt_t *rt;
    lua_State *L;
    int fn;
} until_t;

/* Checked after every event: a plain call, like a callback (it cannot wait). */
static bool until_pred(void *ctx)
{
    until_t *u = ctx;
    rt_t *rt = u->rt;
    if (rt->fatal)
        return true;
    lua_State *L = u->L;
    lua_pushvalue(L, u->fn);
    rt->in_callback++;
    int st = rt_pcall(L, 0, 1);
    rt->in_callback--;
    if (st != LUA_OK) {
        char msg[1800];
        rt_errstr(L, -1, msg, sizeof msg);
        lua_pop(L, 1);
        rt_fatal(rt, "%s (in the w:run_until condition)", msg);
        return true;
    }
    bool ok = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return ok;
}

static int w_run_until(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "run_until");
    rt_t *rt = check_main(L, "w:run_until()");
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int64_t deadline = INT64_MAX;
    if (!lua_isnoneornil(L, 3))
        deadline = rt->w->now + rt_check_ms(L, 3, "w:run_until(fn, max_ms)", false);
    until_t u = { rt, L, 2 };
    lua_pushstring(L, run_status_name(rt_run_world(L, rt, deadline, until_pred, &u)));
    return 1;
}

/* ---- tasks ---- */

static int w_spawn(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "spawn");
    rt_t *rt = rt_get(L);
    world_t *w = rt_world(L);
    char auto_name[32];
    const char *name = auto_name;
    int fn = 3;
    if (lua_type(L, 2) == LUA_TFUNCTION) {
        snprintf(auto_name, sizeof auto_name, "task-%d", rt->n_tasks + 1);
        fn = 2;
    } else if (lua_type(L, 2) == LUA_TSTRING && lua_rawlen(L, 2) > 0) {
        name = lua_tostring(L, 2);
    } else {
        return luaL_error(L, "w:spawn takes a task name and a function: "
                          "w:spawn(\"app\", function() ... end)");
    }
    if (lua_type(L, fn) != LUA_TFUNCTION)
        return luaL_error(L, "w:spawn('%s', fn): fn must be a function, got %s", name,
                          luaL_typename(L, fn));
    task_spawn(L, rt, name, fn, w->now);
    return 0;
}

static int w_at(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "at");
    rt_t *rt = rt_get(L);
    world_t *w = rt_world(L);
    int64_t at = rt_check_ms(L, 2, "w:at(ms, fn)", false);
    if (at < w->now)
        return luaL_error(L, "w:at(%f, ...): that time has passed (now is %f ms); use w:spawn "
                          "to act now", (double)at / US_PER_MS, (double)w->now / US_PER_MS);
    char auto_name[48];
    const char *name = auto_name;
    int fn = 4;
    if (lua_type(L, 3) == LUA_TFUNCTION) {
        if (at % US_PER_MS == 0)
            snprintf(auto_name, sizeof auto_name, "at-%lldms", (long long)(at / US_PER_MS));
        else
            snprintf(auto_name, sizeof auto_name, "at-%.3fms", (double)at / US_PER_MS);
        fn = 3;
    } else if (lua_type(L, 3) == LUA_TSTRING && lua_rawlen(L, 3) > 0) {
        name = lua_tostring(L, 3);
    }
    if (lua_type(L, fn) != LUA_TFUNCTION)
        return luaL_error(L, "w:at takes a time in ms and a function: "
                          "w:at(1500, function() ... end)");
    task_spawn(L, rt, name, fn, at);
    return 0;
}

/* ---- latency, node actions ---- */

static bool opt_flag(lua_State *L, int idx, const char *what, const char *flag)
{
    if (lua_isnoneornil(L, idx))
        return false;
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: options must be a table like {%s = true}", what, flag);
    const char *keys[] = { flag, NULL };
    rt_check_keys(L, idx, what, keys);
    lua_getfield(L, idx, flag);
    bool on = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return on;
}

static int w_latency(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "latency");
    world_t *w = rt_world(L);
    node_t *from = rt_check_node(L, 2, "w:latency(from, to, spec)");
    node_t *to = rt_check_node(L, 3, "w:latency(from, to, spec)");
    latency_t l = rt_check_latency(L, 4, "w:latency: spec");
    net_set_link_latency(w->net, from->id, to->id, l);
    if (opt_flag(L, 5, "w:latency", "both"))
        net_set_link_latency(w->net, to->id, from->id, l);
    return 0;
}

static int w_crash(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "crash");
    node_t *n = rt_check_node(L, 2, "w:crash(name)");
    world_crash(rt_world(L), n, "w:crash");
    return 0;
}

static int w_restart(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "restart");
    node_t *n = rt_check_node(L, 2, "w:restart(name)");
    world_restart(rt_world(L), n);
    return 0;
}

static int w_pause(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "pause");
    world_t *w = rt_world(L);
    node_t *n = rt_check_node(L, 2, "w:pause(name)");
    int64_t us = lua_isnoneornil(L, 3) ? 0 : rt_check_ms(L, 3, "w:pause(name, ms)", false);
    if (us > 0)
        world_pause_for(w, n, us);
    else
        world_pause(w, n);
    return 0;
}

static int w_resume(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "resume");
    node_t *n = rt_check_node(L, 2, "w:resume(name)");
    world_resume(rt_world(L), n);
    return 0;
}

/* A side of a partition: a node name or an array of them, as node ids in a userdata. */
static int32_t *side(lua_State *L, int idx, const char *what, size_t *n)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        int32_t *ids = lua_newuserdatauv(L, sizeof *ids, 0);
        ids[0] = rt_check_node(L, idx, what)->id;
        *n = 1;
        return ids;
    }
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: each side is a list of node names, e.g. {\"broker-1\", \"p1\"}", what);
    size_t len = lua_rawlen(L, idx);
    if (len == 0)
        luaL_error(L, "%s: a side of a partition cannot be empty", what);
    int32_t *ids = lua_newuserdatauv(L, sizeof *ids * len, 0);
    for (size_t i = 0; i < len; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i + 1);
        ids[i] = rt_check_node(L, -1, what)->id;
        lua_pop(L, 1);
    }
    *n = len;
    return ids;
}

static int w_partition(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "partition");
    world_t *w = rt_world(L);
    /* The options first: side() pushes its id arrays onto the stack. */
    bool oneway = opt_flag(L, 4, "w:partition", "oneway");
    size_t na, nb;
    int32_t *a = side(L, 2, "w:partition(a, b)", &na);
    int32_t *b = side(L, 3, "w:partition(a, b)", &nb);
    lua_pushinteger(L, net_partition(w->net, a, na, b, nb, oneway));
    return 1;
}

static int w_heal(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "heal");
    world_t *w = rt_world(L);
    lua_Integer id = 0;
    if (!lua_isnoneornil(L, 2) && (!rt_tointeger(L, 2, &id) || id < 1 || id > INT32_MAX))
        return luaL_error(L, "w:heal(id): id must be a partition id returned by w:partition "
                          "(or nothing, to heal every partition)");
    net_heal(w->net, (int)id);
    return 0;
}

static int w_note(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "note");
    rt_t *rt = rt_get(L);
    rt_world(L);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    cJSON *ev = rt_event(rt, "note");
    rt_add_task(rt, ev);
    if (ev) {
        /* Notes are the user's text: whatever is not text shows as U+FFFD. */
        trace_add_text(ev, "text", text, len);
        rt_emit(rt, ev);
    }
    return 0;
}

static int w_tostring(lua_State *L)
{
    rt_t *rt = rt_get(L);
    char text[32];
    lua_pushfstring(L, "world (seed %s)", seed_text(rt->seed, text, sizeof text));
    return 1;
}

void bind_world_open(lua_State *L)
{
    lua_pushcfunction(L, l_world);
    lua_setfield(L, -2, "world");
    lua_pushcfunction(L, l_sleep);
    lua_setfield(L, -2, "sleep");
    static const luaL_Reg methods[] = {
        { "now", w_now },
        { "seed", w_seed },
        { "sleep", w_sleep },
        { "run", w_run },
        { "run_for", w_run_for },
        { "run_until", w_run_until },
        { "spawn", w_spawn },
        { "at", w_at },
        { "latency", w_latency },
        { "cluster", bind_world_cluster },
        { "fault", bind_world_fault },
        { "clear_fault", bind_world_clear_fault },
        { "fault_hits", bind_world_fault_hits },
        { "crash", w_crash },
        { "restart", w_restart },
        { "pause", w_pause },
        { "resume", w_resume },
        { "partition", w_partition },
        { "heal", w_heal },
        { "note", w_note },
        { NULL, NULL },
    };
    rt_new_class(L, RT_WORLD, methods, w_tostring);
}
