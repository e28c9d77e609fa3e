/* util: the helpers every binding shares: milliseconds <-> µs, node look-ups that list
 * the known nodes, Kafka-style config tables, strict option tables, keys and values as
 * bytes, and "did you mean" suggestions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "../sim/core/suggest.h"

/* ±100 years of virtual time is more than any scenario needs and far from overflow. */
#define RT_MAX_MS 3.2e12

int64_t rt_check_ms(lua_State *L, int idx, const char *what, bool allow_negative)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        luaL_error(L, "%s must be a number of milliseconds, got %s", what,
                   luaL_typename(L, idx));
    lua_Number ms = lua_tonumber(L, idx);
    if (!isfinite(ms) || ms > RT_MAX_MS || ms < -RT_MAX_MS)
        luaL_error(L, "%s must be a finite number of milliseconds, got %f", what, ms);
    if (ms < 0 && !allow_negative)
        luaL_error(L, "%s must be at least 0 ms, got %f", what, ms);
    return (int64_t)llround(ms * (lua_Number)US_PER_MS);
}

bool rt_tointeger(lua_State *L, int idx, lua_Integer *out)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        return false;
    int ok = 0;
    lua_Integer v = lua_tointegerx(L, idx, &ok);
    if (ok)
        *out = v;
    return ok;
}

void rt_push_ms(lua_State *L, int64_t us)
{
    if (us % US_PER_MS == 0)
        lua_pushinteger(L, (lua_Integer)(us / US_PER_MS));
    else
        lua_pushnumber(L, (lua_Number)us / (lua_Number)US_PER_MS);
}

world_t *rt_world(lua_State *L)
{
    rt_t *rt = rt_get(L);
    if (!rt->w)
        luaL_error(L, "there is no world yet: call ksim.world{...} first");
    return rt->w;
}

node_t *rt_node_named(lua_State *L, const char *name, const char *what)
{
    world_t *w = rt_world(L);
    node_t *n = world_find(w, name);
    if (n)
        return n;
    const char **names = lua_newuserdatauv(L, sizeof *names * (size_t)(w->n_nodes + 1), 0);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int32_t i = 0; i < w->n_nodes; i++) {
        names[i] = w->nodes[i]->name;
        if (i > 0)
            luaL_addstring(&b, ", ");
        luaL_addstring(&b, w->nodes[i]->name);
    }
    names[w->n_nodes] = NULL;
    if (w->n_nodes == 0)
        luaL_addstring(&b, "(none yet)");
    luaL_pushresult(&b);
    const char *near = rt_suggest(name, names);
    if (near)
        return luaL_error(L, "%s: unknown node '%s' (did you mean '%s'?); known nodes: %s", what,
                          name, near, lua_tostring(L, -1)),
               NULL;
    return luaL_error(L, "%s: unknown node '%s'; known nodes: %s", what, name,
                      lua_tostring(L, -1)),
           NULL;
}

node_t *rt_check_node(lua_State *L, int idx, const char *what)
{
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, "%s must be a node name (a string), got %s", what, luaL_typename(L, idx));
    return rt_node_named(L, lua_tostring(L, idx), what);
}

/* ---- config tables ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* The table's keys, sorted, in a userdata pushed on the stack (strings anchored by the
 * table itself). Non-string keys are an error naming `what`. */
static const char **sorted_keys(lua_State *L, int idx, const char *what, size_t *n)
{
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s: keys must be names (strings), got a %s key", what,
                       luaL_typename(L, -1));
        count++;
    }
    const char **keys = lua_newuserdatauv(L, sizeof *keys * (count ? count : 1), 0);
    size_t i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        keys[i++] = lua_tostring(L, -1);
    }
    qsort(keys, count, sizeof *keys, cmp_str);
    *n = count;
    return keys;
}

/* A config value as Kafka's text form: integers without ".0", booleans as words. */
static const char *value_text(lua_State *L, int idx, const char *who, const char *key,
                              char *buf, size_t n)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        return lua_tostring(L, idx);
    case LUA_TBOOLEAN:
        return lua_toboolean(L, idx) ? "true" : "false";
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            snprintf(buf, n, "%lld", (long long)lua_tointeger(L, idx));
        } else {
            lua_Number d = lua_tonumber(L, idx);
            if (d == floor(d) && fabs(d) < 9e15) {
                snprintf(buf, n, "%.0f", d);
            } else {
                /* The shortest text that reads back as the same double. */
                for (int prec = 15; prec <= 17; prec++) {
                    snprintf(buf, n, "%.*g", prec, d);
                    if (strtod(buf, NULL) == d)
                        break;
                }
            }
        }
        return buf;
    default:
        luaL_error(L, "%s: config '%s' must be a string, number or boolean, got %s", who, key,
                   luaL_typename(L, idx));
        return NULL;
    }
}

void rt_apply_config(lua_State *L, int idx, config_t *c, const char *who,
                     const char *const *skip)
{
    if (lua_isnoneornil(L, idx))
        return;
    idx = lua_absindex(L, idx);
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: the config must be a table of Kafka settings, got %s", who,
                   luaL_typename(L, idx));
    size_t n;
    const char **keys = sorted_keys(L, idx, who, &n);
    char buf[64], err[1024];
    for (size_t i = 0; i < n; i++) {
        if (in_list(keys[i], skip))
            continue;
        lua_getfield(L, idx, keys[i]);
        const char *text = value_text(L, -1, who, keys[i], buf, sizeof buf);
        if (!config_set(c, keys[i], text, err, sizeof err))
            rt_error_from(L, who, err);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static int config_gc(lua_State *L)
{
    config_free(luaL_checkudata(L, 1, "ksim.config"));
    return 0;
}

config_t *rt_new_config(lua_State *L, const config_schema_t *schema)
{
    config_t *c = lua_newuserdatauv(L, sizeof *c, 0);
    config_init(c, schema);
    if (luaL_newmetatable(L, "ksim.config")) {
        lua_pushcfunction(L, config_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return c;
}

void rt_check_keys(lua_State *L, int idx, const char *what, const char *const *valid)
{
    idx = lua_absindex(L, idx);
    size_t n;
    const char **keys = sorted_keys(L, idx, what, &n);
    for (size_t i = 0; i < n; i++) {
        if (in_list(keys[i], valid))
            continue;
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        for (size_t j = 0; valid[j]; j++) {
            if (j > 0)
                luaL_addstring(&b, ", ");
            luaL_addstring(&b, valid[j]);
        }
        luaL_pushresult(&b);
        const char *near = rt_suggest(keys[i], valid);
        if (near)
            luaL_error(L, "%s: unknown key '%s' (did you mean '%s'?); valid keys: %s", what,
                       keys[i], near, lua_tostring(L, -1));
        luaL_error(L, "%s: unknown key '%s'; valid keys: %s", what, keys[i],
                   lua_tostring(L, -1));
    }
    lua_pop(L, 1);
}

int rt_error_from(lua_State *L, const char *who, const char *err)
{
    size_t n = strlen(who);
    if (strncmp(err, who, n) == 0 && err[n] == ':')
        return luaL_error(L, "%s", err);
    return luaL_error(L, "%s: %s", who, err);
}

/* ---- keys and values ---- */

bytes_t rt_opt_bytes(lua_State *L, int idx, const char *what)
{
    int t = lua_type(L, idx);
    if (t == LUA_TNIL || t == LUA_TNONE)
        return BYTES_NULL;
    if (t != LUA_TSTRING && t != LUA_TNUMBER)
        luaL_error(L, "%s must be a string or nil, got %s", what, luaL_typename(L, idx));
    size_t len;
    const char *p = lua_tolstring(L, idx, &len);
    if (len > INT32_MAX)
        luaL_error(L, "%s is too large", what);
    return (bytes_t){ p, (int32_t)len };
}

void rt_push_bytes(lua_State *L, bytes_t b)
{
    if (bytes_is_null(b))
        lua_pushnil(L);
    else
        lua_pushlstring(L, b.p ? b.p : "", (size_t)b.len);
}

/* ---- classes ---- */

void *rt_check_self(lua_State *L, const char *tname, const char *method)
{
    void *p = luaL_testudata(L, 1, tname);
    if (p)
        return p;
    const char *short_name = strchr(tname, '.') ? strchr(tname, '.') + 1 : tname;
    luaL_error(L, "%s: the first argument must be a %s; call it with a colon, as "
               "%s:%s(...), not %s.%s(...)", method, short_name, short_name, method, short_name,
               method);
    return NULL;
}

void rt_new_class(lua_State *L, const char *tname, const luaL_Reg *methods,
                  lua_CFunction tostring)
{
    luaL_newmetatable(L, tname);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    if (tostring) {
        lua_pushcfunction(L, tostring);
        lua_setfield(L, -2, "__tostring");
    }
    lua_pop(L, 1);
}

/* ---- suggestions ---- */

const char *rt_suggest(const char *s, const char *const *names)
{
    size_t n = 0;
    while (names[n])
        n++;
    return suggest_closest(s, names, n);
}

bool ksim_has_position(const char *msg)
{
    /* A chunk of load is named [string "its text"], which may hold colons itself. */
    const char *end = strncmp(msg, "[string \"", 9) == 0 ? strstr(msg, "\"]") : NULL;
    const char *colon = strchr(end ? end : msg, ':');
    if (!colon || colon == msg || colon[1] < '0' || colon[1] > '9')
        return false;
    const char *p = colon + 1;
    while (*p >= '0' && *p <= '9')
        p++;
    return *p == ':' || *p == '\0';
}

/* A JSON value as a Lua value (objects as tables with their keys, arrays as lists). */
void rt_push_json(lua_State *L, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        lua_pushstring(L, v->valuestring);
    } else if (cJSON_IsNumber(v)) {
        if (v->valuedouble == (double)(lua_Integer)v->valuedouble)
            lua_pushinteger(L, (lua_Integer)v->valuedouble);
        else
            lua_pushnumber(L, v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        lua_pushboolean(L, cJSON_IsTrue(v));
    } else if (cJSON_IsArray(v)) {
        lua_createtable(L, cJSON_GetArraySize(v), 0);
        const cJSON *e;
        lua_Integer i = 1;
        cJSON_ArrayForEach(e, v) {
            rt_push_json(L, e);
            lua_rawseti(L, -2, i++);
        }
    } else if (cJSON_IsObject(v)) {
        lua_newtable(L);
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            rt_push_json(L, e);
            lua_setfield(L, -2, e->string);
        }
    } else {
        lua_pushnil(L);
    }
}
