/* bind_faults: w:fault{...}, w:clear_fault(id) and w:fault_hits(id). It turns a Lua fault
 * table (one action plus filters) into the network's fault_spec_t, checking every key
 * and naming the valid ones when something is wrong. */
#include <string.h>
#include <strings.h>

#include "rt.h"
#include "../sim/kafka/api.h"

static const char *const fault_keys[] = {
    "api", "at", "count", "crash", "delay", "dir", "drop", "duplicate", "from", "nth",
    "pause", "probability", "target", "to", "until", NULL,
};

static const char *const actions[] = { "drop", "delay", "duplicate", "crash", "pause", NULL };

#define WHAT "w:fault"

static fault_dir_t check_dir(lua_State *L, int idx, const char *key)
{
    const char *s = lua_type(L, idx) == LUA_TSTRING ? lua_tostring(L, idx) : "";
    if (strcmp(s, "request") == 0)
        return DIR_REQUEST;
    if (strcmp(s, "response") == 0)
        return DIR_RESPONSE;
    if (strcmp(s, "any") == 0)
        return DIR_ANY;
    luaL_error(L, WHAT ": %s must be \"request\", \"response\" or \"any\"", key);
    return DIR_ANY;
}

static int16_t check_api(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, WHAT ": api must be a Kafka API name; valid names: %s", api_all_names());
    const char *name = lua_tostring(L, idx);
    int16_t api = api_parse(name);
    if (api >= 0 && strcmp(name, "Synthetic") != 0)
        return api;
    /* A case-insensitive match is almost certainly what was meant. */
    const char *all = api_all_names();
    for (const char *s = all; *s;) {
        const char *e = strchr(s, ',');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len == strlen(name) && strncasecmp(s, name, len) == 0)
            luaL_error(L, WHAT ": unknown api '%s' (did you mean '%s'?); valid names: %s", name,
                       lua_pushlstring(L, s, len), all);
        if (!e)
            break;
        s = e + 2;
    }
    luaL_error(L, WHAT ": unknown api '%s'; valid names: %s", name, all);
    return -1;
}

static int64_t check_count(lua_State *L, int idx, const char *key)
{
    lua_Integer n = 0;
    if (!rt_tointeger(L, idx, &n) || n < 1)
        luaL_error(L, WHAT ": %s must be a whole number >= 1", key);
    return (int64_t)n;
}

/* Reads the action key (exactly one must be present) into s. */
static void read_action(lua_State *L, int t, fault_spec_t *s, bool *dir_set)
{
    const char *found = NULL;
    for (size_t i = 0; actions[i]; i++) {
        if (lua_getfield(L, t, actions[i]) == LUA_TNIL) {
            lua_pop(L, 1);
            continue;
        }
        if (found)
            luaL_error(L, WHAT ": give exactly one action, not both '%s' and '%s' (one of "
                       "drop, delay, duplicate, crash, pause)", found, actions[i]);
        found = actions[i];
        if (i == 0) {
            fault_spec_init(s, FAULT_DROP);
            if (lua_isboolean(L, -1) && lua_toboolean(L, -1)) {
                s->dir = DIR_ANY;
            } else {
                s->dir = check_dir(L, -1, "drop");
                *dir_set = true;
            }
        } else if (i == 1) {
            fault_spec_init(s, FAULT_DELAY);
            s->delay = rt_check_ms(L, -1, WHAT ": delay", false);
        } else if (i == 2) {
            if (!lua_isboolean(L, -1) || !lua_toboolean(L, -1))
                luaL_error(L, WHAT ": duplicate must be true");
            fault_spec_init(s, FAULT_DUPLICATE);
        } else if (i == 3) {
            fault_spec_init(s, FAULT_CRASH);
            if (lua_type(L, -1) == LUA_TSTRING)
                s->target = rt_check_node(L, -1, WHAT ": crash")->id;
            else if (!lua_isboolean(L, -1) || !lua_toboolean(L, -1))
                luaL_error(L, WHAT ": crash must be true (the receiver) or a node name");
        } else {
            fault_spec_init(s, FAULT_PAUSE);
            s->duration = rt_check_ms(L, -1, WHAT ": pause", false);
        }
        lua_pop(L, 1);
    }
    if (!found)
        luaL_error(L, WHAT " needs an action: one of drop = \"request\"|\"response\"|\"any\", "
                   "delay = ms, duplicate = true, crash = true|\"node\", pause = ms");
}

int bind_world_fault(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "fault");
    world_t *w = rt_world(L);
    if (!lua_istable(L, 2))
        return luaL_error(L, WHAT " takes a table, e.g. w:fault{ drop = \"response\", "
                          "api = \"Produce\", count = 1 }");
    lua_settop(L, 2);
    rt_check_keys(L, 2, WHAT, fault_keys);
    fault_spec_t s;
    bool dir_set = false;
    read_action(L, 2, &s, &dir_set);

    if (lua_getfield(L, 2, "dir") != LUA_TNIL) {
        fault_dir_t d = check_dir(L, -1, "dir");
        if (dir_set && d != s.dir)
            luaL_error(L, WHAT ": drop and dir name different directions");
        s.dir = d;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "api") != LUA_TNIL)
        s.api = check_api(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "from") != LUA_TNIL)
        s.from = rt_check_node(L, -1, WHAT ": from")->id;
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "to") != LUA_TNIL)
        s.to = rt_check_node(L, -1, WHAT ": to")->id;
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "target") != LUA_TNIL) {
        if (s.action != FAULT_CRASH && s.action != FAULT_PAUSE)
            luaL_error(L, WHAT ": target goes with crash or pause only");
        if (s.action == FAULT_CRASH && s.target >= 0)
            luaL_error(L, WHAT ": crash already names its node; leave out target");
        s.target = rt_check_node(L, -1, WHAT ": target")->id;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "nth") != LUA_TNIL)
        s.nth = check_count(L, -1, "nth");
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "count") != LUA_TNIL)
        s.count = check_count(L, -1, "count");
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "probability") != LUA_TNIL) {
        lua_Number p = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : -1;
        if (!(p >= 0 && p <= 1))
            luaL_error(L, WHAT ": probability must be a number between 0 and 1");
        s.probability = p;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "at") != LUA_TNIL)
        s.after = rt_check_ms(L, -1, WHAT ": at", false);
    lua_pop(L, 1);
    if (lua_getfield(L, 2, "until") != LUA_TNIL)
        s.until = rt_check_ms(L, -1, WHAT ": until", false);
    lua_pop(L, 1);
    if (s.until <= s.after)
        luaL_error(L, WHAT ": until must be later than at");
    lua_pushinteger(L, net_add_fault(w->net, &s));
    return 1;
}

static int check_id(lua_State *L, const char *what)
{
    lua_Integer id = 0;
    if (!rt_tointeger(L, 2, &id) || id < 1 || id > INT32_MAX)
        luaL_error(L, "%s: id must be a fault id returned by w:fault", what);
    return (int)id;
}

int bind_world_clear_fault(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "clear_fault");
    world_t *w = rt_world(L);
    lua_pushboolean(L, net_remove_fault(w->net, check_id(L, "w:clear_fault(id)")));
    return 1;
}

int bind_world_fault_hits(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "fault_hits");
    world_t *w = rt_world(L);
    lua_pushinteger(L, (lua_Integer)net_fault_hits(w->net, check_id(L, "w:fault_hits(id)")));
    return 1;
}
