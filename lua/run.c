/* run: one scenario run from start to end. It owns the Lua state (a memory-capped
 * allocator, the instruction budget hook), the ksim table's check and print, the trace
 * events the scenario writes itself (header, check, run_end) and ksim_lua_run. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lualib.h>

#include "rt.h"
#include "../sim/kafka/cluster.h"

#define RT_HOOK_STEP 1000

void ksim_run_opts_init(ksim_run_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->seed = KSIM_DEFAULT_SEED;
    o->max_time_us = KSIM_DEFAULT_MAX_TIME_US;
    o->max_instructions = KSIM_DEFAULT_MAX_INSTRUCTIONS;
}

rt_t *rt_get(lua_State *L)
{
    return *(rt_t **)lua_getextraspace(L);
}

void rt_fatal(rt_t *rt, const char *fmt, ...)
{
    if (rt->fatal)
        return;
    rt->fatal = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rt->fatal_msg, sizeof rt->fatal_msg, fmt, ap);
    va_end(ap);
    if (rt->w && rt->in_run)
        world_stop(rt->w);
}

int rt_raise_fatal(lua_State *L, rt_t *rt)
{
    lua_pushstring(L, rt->fatal_msg);
    return lua_error(L);
}

static int tostring_protected(lua_State *L)
{
    luaL_tolstring(L, 1, NULL);
    return 1;
}

void rt_errstr(lua_State *L, int idx, char *buf, size_t n)
{
    idx = lua_absindex(L, idx);
    int t = lua_type(L, idx);
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        lua_pushvalue(L, idx);
        snprintf(buf, n, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return;
    }
    /* Without __tostring the text would be an address, different on every run. */
    if (luaL_getmetafield(L, idx, "__tostring") == LUA_TNIL) {
        snprintf(buf, n, "(error object is a %s value)", luaL_typename(L, idx));
        return;
    }
    lua_pop(L, 1);
    /* A __tostring may error or loop: call it protected. */
    if (!lua_checkstack(L, 3)) {
        snprintf(buf, n, "(error object is a %s value)", luaL_typename(L, idx));
        return;
    }
    lua_pushcfunction(L, tostring_protected);
    lua_pushvalue(L, idx);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING)
        snprintf(buf, n, "%s", lua_tostring(L, -1));
    else
        snprintf(buf, n, "(error object is a %s value)", luaL_typename(L, idx));
    lua_pop(L, 1);
}

/* "file:line" of the nearest Lua function at or above `level` (C functions have no line);
 * false when there is none. */
static bool script_line(lua_State *L, int level, char *buf, size_t n)
{
    lua_Debug ar;
    for (int l = level; lua_getstack(L, l, &ar); l++) {
        lua_getinfo(L, "Sl", &ar);
        if (ar.currentline > 0) {
            snprintf(buf, n, "%s:%d", ar.short_src, ar.currentline);
            return true;
        }
    }
    return false;
}

void rt_where(lua_State *L, int level, char *buf, size_t n)
{
    if (!script_line(L, level, buf, n))
        snprintf(buf, n, "%s", rt_get(L)->script);
}

int rt_msgh(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING && ksim_has_position(lua_tostring(L, 1)))
        return 1;
    char where[256], msg[1800];
    /* Level 1 raised the error: error() itself, a library function or the script. */
    bool found = script_line(L, 1, where, sizeof where);
    if (lua_type(L, 1) == LUA_TSTRING) {
        if (found)
            lua_pushfstring(L, "%s: %s", where, lua_tostring(L, 1));
        return 1;
    }
    rt_errstr(L, 1, msg, sizeof msg);
    if (found)
        lua_pushfstring(L, "%s: %s", where, msg);
    else
        lua_pushstring(L, msg);
    return 1;
}

int rt_pcall(lua_State *L, int nargs, int nresults)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, rt_msgh);
    lua_insert(L, base);
    int st = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return st;
}

void rt_write_header(rt_t *rt)
{
    if (rt->header_written || !rt->o->trace)
        return;
    rt->header_written = true;
    trace_header(rt->o->trace, rt->seed, rt->script);
}

cJSON *rt_event(rt_t *rt, const char *kind)
{
    if (!rt->o->trace)
        return NULL;
    rt_write_header(rt);
    return trace_begin(rt->o->trace, rt->w ? rt->w->now : 0, "world", kind);
}

void rt_add_task(const rt_t *rt, cJSON *ev)
{
    if (ev && rt->current)
        trace_add_text(ev, "task", task_name(rt->current), strlen(task_name(rt->current)));
}

void rt_emit(rt_t *rt, cJSON *ev)
{
    if (ev)
        trace_emit(rt->o->trace, ev);
}

/* ---- the Lua state ---- */

typedef struct mem {
    size_t used, limit;
} mem_t;

static void *rt_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    mem_t *m = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        m->used -= old;
        return NULL;
    }
    if (nsize > old && m->used + (nsize - old) > m->limit)
        return NULL;
    void *np = realloc(ptr, nsize);
    if (!np)
        return NULL;
    m->used = m->used - old + nsize;
    return np;
}

/* Every hook_step instructions, on every thread: a student's endless loop ends here.
 * Once the run is over (an error, or closing), any Lua code still running is stopped. */
static void budget_hook(lua_State *L, lua_Debug *ar)
{
    rt_t *rt = rt_get(L);
    rt->instructions += (uint64_t)rt->hook_step;
    if (!rt->fatal && !rt->closing && rt->instructions <= rt->o->max_instructions)
        return;
    if (!rt->fatal && !rt->closing) {
        char where[256];
        snprintf(where, sizeof where, "%s", rt->script);
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
            snprintf(where, sizeof where, "%s:%d", ar->short_src, ar->currentline);
        char in_task[160] = "";
        if (rt->current)
            snprintf(in_task, sizeof in_task, " (in task '%s')", task_name(rt->current));
        rt_fatal(rt, "%s: instruction budget of %llu exceeded (an endless loop?)%s; raise it "
                 "with --max-instructions", where, (unsigned long long)rt->o->max_instructions,
                 in_task);
    }
    lua_pushstring(L, rt->closing && !rt->fatal ? "the run is over" : rt->fatal_msg);
    lua_error(L);
}

/* ---- ksim.check and print ---- */

static int l_check(lua_State *L)
{
    rt_t *rt = rt_get(L);
    luaL_checkany(L, 1);
    bool ok = lua_toboolean(L, 1);
    char where[256];
    rt_where(L, 1, where, sizeof where);
    char dflt[300];
    snprintf(dflt, sizeof dflt, "check at %s", where);
    const char *msg = luaL_optstring(L, 2, dflt);
    rt->r->checks++;
    if (!ok)
        rt->r->failed++;
    cJSON *ev = rt_event(rt, "check");
    rt_add_task(rt, ev);
    if (ev) {
        cJSON_AddBoolToObject(ev, "ok", ok);
        trace_add_text(ev, "msg", msg, strlen(msg));
        trace_add_text(ev, "where", where, strlen(where));
        rt_emit(rt, ev);
    }
    if (rt->o->on_check)
        rt->o->on_check(rt->o->ctx, ok, msg, where);
    lua_pushboolean(L, ok);
    return 1;
}

static int l_print(lua_State *L)
{
    rt_t *rt = rt_get(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    if (!rt->o->on_print)
        return 0;
    /* One call per line printed. */
    const char *s = lua_tostring(L, -1);
    for (;;) {
        const char *nl = strchr(s, '\n');
        if (!nl) {
            rt->o->on_print(rt->o->ctx, s);
            break;
        }
        lua_pushlstring(L, s, (size_t)(nl - s));
        rt->o->on_print(rt->o->ctx, lua_tostring(L, -1));
        lua_pop(L, 1);
        s = nl + 1;
    }
    return 0;
}

/* ---- the run ---- */

/* Lua reads a leading "#!" line as a comment only in files it loads itself. */
static const char *skip_preamble(const char *buf, size_t *len)
{
    if (*len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        *len -= 3;
    }
    return buf;
}

static int protected_main(lua_State *L)
{
    rt_t *rt = rt_get(L);
    rt_open_sandbox(L, rt);

    lua_newtable(L); /* ksim */
    lua_pushcfunction(L, l_check);
    lua_setfield(L, -2, "check");
    lua_pushliteral(L, "0.1.0");
    lua_setfield(L, -2, "version");
    bind_world_open(L);
    bind_assign_open(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "ksim.loaded"); /* require("ksim") */
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, "ksim");
    lua_pop(L, 1);
    lua_setglobal(L, "ksim");
    lua_pushcfunction(L, l_print);
    lua_setglobal(L, "print");
    bind_cluster_open(L);
    bind_clients_open(L);
    bind_groups_open(L);

    const char *chunkname = lua_pushfstring(L, "@%s", rt->script);
    size_t len = 0;
    char *buf = rt_read_file(rt->o->path, &len);
    if (!buf)
        return luaL_error(L, "cannot read %s: %s", rt->o->path, strerror(errno));
    char *text = (char *)skip_preamble(buf, &len);
    if (len > 0 && text[0] == '#') /* keep the line count: blank the "#!" line only */
        for (size_t i = 0; i < len && text[i] != '\n'; i++)
            text[i] = ' ';
    int st = luaL_loadbufferx(L, text, len, chunkname, "t"); /* returns, never raises */
    free(buf);
    if (st != LUA_OK)
        return lua_error(L);
    lua_remove(L, -2);
    lua_call(L, 0, 0);

    if (rt->fatal)
        return rt_raise_fatal(L, rt);
    /* A script that never asked the world to run gets one run to the end. */
    if (rt->w && !rt->ran) {
        run_status_t s = rt_run_world(L, rt, INT64_MAX, NULL, NULL);
        rt->last_status = run_status_name(s);
    }
    return 0;
}

static void split_path(rt_t *rt, const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    rt->dir = malloc(dlen + 1);
    rt->script = strdup(slash ? slash + 1 : path);
    if (!rt->dir || !rt->script)
        abort();
    memcpy(rt->dir, path, dlen);
    rt->dir[dlen] = '\0';
}

static void run_end(rt_t *rt, const char *status)
{
    cJSON *ev = rt_event(rt, "run_end");
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "status", status);
    trace_add_int(ev, "time", rt->w ? rt->w->now : 0);
    /* A task may wait on purpose (a paused zombie): the run still ends well, but shows it. */
    cJSON *waiting = tasks_waiting(rt);
    if (waiting)
        cJSON_AddItemToObject(ev, "waiting", waiting);
    rt_emit(rt, ev);
}

static void teardown(rt_t *rt)
{
    rt->closing = true;
    rt->current = NULL;
    lua_close(rt->L);
    /* The engine first: freeing it may still report completions to our listeners. */
    for (int i = 0; i < rt->n_clusters; i++)
        cluster_free(rt->clusters[i]);
    free(rt->clusters);
    world_free(rt->w);
    rt->w = NULL;
    bind_clients_free(rt);
    waiters_free_all(rt);
    tasks_free(rt);
    free(rt->dir);
    free(rt->script);
}

int ksim_lua_run(const ksim_run_opts_t *o, ksim_run_result_t *r)
{
    memset(r, 0, sizeof *r);
    rt_t rt;
    memset(&rt, 0, sizeof rt);
    rt.o = o;
    rt.r = r;
    rt.seed = o->seed_given ? o->seed : KSIM_DEFAULT_SEED;
    r->seed = rt.seed;
    if (!o->path) {
        r->error = true;
        snprintf(r->message, sizeof r->message, "no scenario file given");
        return -1;
    }
    split_path(&rt, o->path);
    rt.hook_step = o->max_instructions < RT_HOOK_STEP ? (int)(o->max_instructions ? o->max_instructions : 1)
                                                      : RT_HOOK_STEP;
    mem_t mem = { 0, RT_MEMORY_LIMIT };
    lua_State *L = lua_newstate(rt_alloc, &mem);
    if (!L) {
        r->error = true;
        snprintf(r->message, sizeof r->message, "%s: cannot create a Lua state", rt.script);
        free(rt.dir);
        free(rt.script);
        return -1;
    }
    rt.L = L;
    *(rt_t **)lua_getextraspace(L) = &rt;
    lua_sethook(L, budget_hook, LUA_MASKCOUNT, rt.hook_step);

    lua_pushcfunction(L, protected_main);
    int st = rt_pcall(L, 0, 0);
    if (st != LUA_OK || rt.fatal) {
        r->error = true;
        if (rt.fatal)
            snprintf(r->message, sizeof r->message, "%s", rt.fatal_msg);
        else if (st == LUA_ERRMEM)
            snprintf(r->message, sizeof r->message,
                     "%s: out of memory (a scenario may use at most %zu MiB of Lua memory)",
                     rt.script, RT_MEMORY_LIMIT >> 20);
        else
            rt_errstr(L, -1, r->message, sizeof r->message);
        lua_settop(L, 0);
    }
    run_end(&rt, !r->error ? (rt.last_status ? rt.last_status : "idle")
                 : rt.time_limit_hit ? "time-limit" : "error");
    r->end_time_us = rt.w ? rt.w->now : 0;
    r->seed = rt.seed;
    teardown(&rt);
    return r->error ? -1 : 0;
}
