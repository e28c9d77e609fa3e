/* bind_assign: ksim.assign{...}, one of Kafka's assignors on a group from a scenario, and
 * what the assignor bindings share (bind_assign.h): memory that a Lua error cannot leak,
 * and the readers of topics, members and racks. ksim.compare_assignors lives in
 * bind_compare.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind_assign.h"

#define SCRATCH "ksim.assign.scratch"

/* ---- memory an error cannot leak ---- */

static void *checked(void *p)
{
    if (!p) {
        fputs("ksim: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *lassign_keep(lassign_scratch_t *s, void *p)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 32;
        s->p = checked(realloc(s->p, s->cap * sizeof *s->p));
    }
    s->p[s->n++] = p;
    return p;
}

void *lassign_calloc(lassign_scratch_t *s, size_t n, size_t size)
{
    return lassign_keep(s, checked(calloc(n ? n : 1, size ? size : 1)));
}

static int scratch_gc(lua_State *L)
{
    lassign_scratch_t *s = luaL_checkudata(L, 1, SCRATCH);
    for (size_t i = 0; i < s->n; i++)
        free(s->p[i]);
    free(s->p);
    memset(s, 0, sizeof *s);
    return 0;
}

lassign_scratch_t *lassign_scratch(lua_State *L)
{
    lassign_scratch_t *s = lua_newuserdatauv(L, sizeof *s, 0);
    memset(s, 0, sizeof *s);
    if (luaL_newmetatable(L, SCRATCH)) {
        lua_pushcfunction(L, scratch_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return s;
}

/* ---- reading tables (raw: strings stay anchored in the caller's tables) ---- */

int lassign_field(lua_State *L, int idx, const char *key)
{
    idx = lua_absindex(L, idx);
    lua_pushstring(L, key);
    return lua_rawget(L, idx);
}

void lassign_table(lua_State *L, int idx, const char *what)
{
    if (!lua_istable(L, idx))
        luaL_error(L, "%s must be a table, got %s", what, luaL_typename(L, idx));
}

/* The string at idx; an error naming `what` when it holds a NUL byte, where the
 * assignors (C strings) would cut it short. */
static const char *name_at(lua_State *L, int idx, const char *what)
{
    size_t len;
    const char *s = lua_tolstring(L, idx, &len);
    if (strlen(s) != len)
        luaL_error(L, "%s: '%s\\0...' holds a NUL byte, which no name can", what, s);
    return s;
}

const char *lassign_string(lua_State *L, int tbl, const char *key, const char *what,
                              bool required)
{
    int t = lassign_field(L, tbl, key);
    const char *s = t == LUA_TSTRING ? name_at(L, -1, what) : NULL;
    lua_pop(L, 1);
    if ((t != LUA_TSTRING && t != LUA_TNIL) || (required && (!s || !s[0])))
        luaL_error(L, "%s: '%s' must be a %sstring, got %s", what, key,
                   required ? "non-empty " : "", t == LUA_TSTRING ? "an empty string"
                                                                  : lua_typename(L, t));
    return s;
}

int32_t lassign_whole(lua_State *L, int idx, const char *what, lua_Integer min)
{
    lua_Integer v = 0;
    if (!rt_tointeger(L, idx, &v) || v < min || v > INT32_MAX)
        luaL_error(L, "%s must be a whole number >= %d, got %s", what, (int)min,
                   lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx)
                                                   : luaL_typename(L, idx));
    return (int32_t)v;
}

static int cmp_topic(const void *a, const void *b)
{
    return strcmp(((const assign_topic_t *)a)->name, ((const assign_topic_t *)b)->name);
}

/* Sorted by name: Lua's table order changes between runs. */
void lassign_topics(lua_State *L, int tbl, const char *fn, lassign_scratch_t *s,
                    lassign_topics_t *tp)
{
    char what[300];
    snprintf(what, sizeof what, "%s: topics", fn);
    if (lassign_field(L, tbl, "topics") == LUA_TNIL)
        luaL_error(L, "%s is missing (topic name = partition count)", what);
    lassign_table(L, -1, what);
    int idx = lua_gettop(L);
    tp->n = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1))
        tp->n++;
    tp->t = lassign_calloc(s, (size_t)tp->n, sizeof *tp->t);
    int32_t i = 0;
    for (lua_pushnil(L); lua_next(L, idx); lua_pop(L, 1), i++) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "%s: keys are topic names (strings), got a %s key", what,
                       luaL_typename(L, -2));
        const char *name = name_at(L, -2, what);
        snprintf(what, sizeof what, "%s: topics.%s", fn, name);
        tp->t[i] = (assign_topic_t){ name, lassign_whole(L, -1, what, 0), NULL };
    }
    qsort(tp->t, (size_t)tp->n, sizeof *tp->t, cmp_topic);
    lua_pop(L, 1);
}

/* Every topic's partitions (most[t], or its count now) within ASSIGN_MAX_PARTITIONS:
 * checked before anything is allocated per partition. */
static void check_total(lua_State *L, const char *fn, const lassign_topics_t *tp,
                        const int32_t *most)
{
    int64_t total = 0;
    for (int32_t t = 0; t < tp->n; t++)
        total += most ? most[t] : tp->t[t].partitions;
    if (total > ASSIGN_MAX_PARTITIONS)
        luaL_error(L, "%s: the topics %s %I partitions in all, more than ksim assigns (%d)", fn,
                   most ? "reach" : "have", (lua_Integer)total, ASSIGN_MAX_PARTITIONS);
}

static int32_t find_topic(const lassign_topics_t *tp, const char *name)
{
    assign_topic_t key = { name, 0, NULL };
    const assign_topic_t *hit =
        tp->n ? bsearch(&key, tp->t, (size_t)tp->n, sizeof key, cmp_topic) : NULL;
    return hit ? (int32_t)(hit - tp->t) : -1;
}

int32_t lassign_topic(lua_State *L, const lassign_topics_t *tp, const char *name,
                      const char *what)
{
    int32_t t = find_topic(tp, name);
    if (t >= 0)
        return t;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int32_t i = 0; i < tp->n; i++) {
        luaL_addstring(&b, i ? ", " : "");
        luaL_addstring(&b, tp->t[i].name);
    }
    luaL_pushresult(&b);
    return luaL_error(L, "%s: topic '%s' is not in topics (topics: %s)", what, name,
                      tp->n ? lua_tostring(L, -1) : "none");
}

/* A list of topic names at the top of the stack, as topic indexes. */
int32_t *lassign_subscription(lua_State *L, const char *what, const lassign_topics_t *tp,
                                  lassign_scratch_t *s, int32_t *n)
{
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: 'topics' must be a list of topic names, got %s", what,
                   luaL_typename(L, -1));
    *n = (int32_t)lua_rawlen(L, -1);
    int32_t *subs = lassign_calloc(s, (size_t)*n, sizeof *subs);
    for (int32_t i = 0; i < *n; i++) {
        if (lua_rawgeti(L, -1, i + 1) != LUA_TSTRING)
            luaL_error(L, "%s: topics[%d] must be a topic name, got %s", what, i + 1,
                       luaL_typename(L, -1));
        subs[i] = lassign_topic(L, tp, name_at(L, -1, what), what);
        lua_pop(L, 1);
    }
    return subs;
}

/* The racks of np partitions (from `first` on), a list at the top of the stack. */
void lassign_racks(lua_State *L, const char *what, int32_t first, int32_t np,
                       assign_replicas_t *out, lassign_scratch_t *s)
{
    if (!lua_istable(L, -1) || (int32_t)lua_rawlen(L, -1) != np)
        luaL_error(L, "%s must list the racks of each of its %d partitions", what, np);
    for (int32_t p = 0; p < np; p++) {
        lua_rawgeti(L, -1, p + 1);
        if (!lua_istable(L, -1))
            luaL_error(L, "%s: partition %d: the racks of its replicas are a list of names",
                       what, first + p);
        int32_t n = (int32_t)lua_rawlen(L, -1);
        const char **racks = lassign_calloc(s, (size_t)n, sizeof *racks);
        for (int32_t r = 0; r < n; r++) {
            if (lua_rawgeti(L, -1, r + 1) != LUA_TSTRING)
                luaL_error(L, "%s: partition %d: a rack is a string", what, first + p);
            racks[r] = lua_tostring(L, -1);
            lua_pop(L, 1);
        }
        out[p] = (assign_replicas_t){ racks, n };
        lua_pop(L, 1);
    }
}

/* partition_racks = { orders = { {"r1", "r2"}, ... } }; room[t] has space for topic t. */
void lassign_partition_racks(lua_State *L, int tbl, const char *fn, lassign_topics_t *tp,
                                 assign_replicas_t **room, lassign_scratch_t *s)
{
    if (lassign_field(L, tbl, "partition_racks") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    char what[300];
    snprintf(what, sizeof what, "%s: partition_racks", fn);
    lassign_table(L, -1, what);
    for (int32_t t = 0; t < tp->n; t++) {
        if (lassign_field(L, -1, tp->t[t].name) != LUA_TNIL) {
            snprintf(what, sizeof what, "%s: partition_racks.%s", fn, tp->t[t].name);
            lassign_racks(L, what, 0, tp->t[t].partitions, room[t], s);
            tp->t[t].replicas = room[t];
        }
        lua_pop(L, 1);
    }
    for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1))
        if (lua_type(L, -2) != LUA_TSTRING || find_topic(tp, lua_tostring(L, -2)) < 0)
            luaL_error(L, "%s: partition_racks names topic '%s', which is not in topics", fn,
                       lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
    lua_pop(L, 1);
}

/* ---- results ---- */

/* "orders-2" */
static void push_tp(lua_State *L, const lassign_topics_t *tp, assign_tp_t x)
{
    lua_pushfstring(L, "%s-%d", tp->t[x.topic].name, (int)x.partition);
}

/* { C1 = {"orders-0", ...}, ... } for the members of g. */
void lassign_push_tps(lua_State *L, const lassign_topics_t *tp, const char *const *ids,
                      int32_t n, const int64_t *first, const assign_tp_t *tps)
{
    lua_createtable(L, 0, n);
    for (int32_t m = 0; m < n; m++) {
        lua_createtable(L, (int)(first[m + 1] - first[m]), 0);
        for (int64_t k = first[m]; k < first[m + 1]; k++) {
            push_tp(L, tp, tps[k]);
            lua_rawseti(L, -2, (lua_Integer)(k - first[m] + 1));
        }
        lua_setfield(L, -2, ids[m]);
    }
}

/* ---- ksim.assign ---- */

/* An owned partition: "orders-2" or {"orders", 2}, at the top of the stack. */
static assign_tp_t read_owned_one(lua_State *L, const char *what, const lassign_topics_t *tp)
{
    char name[512];
    int32_t p = -1;
    if (lua_type(L, -1) == LUA_TSTRING) {
        const char *s = name_at(L, -1, what), *dash = strrchr(s, '-');
        char *end = NULL;
        long v = dash ? strtol(dash + 1, &end, 10) : -1;
        if (!dash || dash == s || !end || *end || end == dash + 1 || v < 0 || v > INT32_MAX ||
            (size_t)(dash - s) >= sizeof name)
            luaL_error(L, "%s: '%s' is not a partition like \"orders-2\"", what, s);
        snprintf(name, sizeof name, "%.*s", (int)(dash - s), s);
        p = (int32_t)v;
    } else if (lua_istable(L, -1) && lua_rawgeti(L, -1, 1) == LUA_TSTRING) {
        snprintf(name, sizeof name, "%s", name_at(L, -1, what));
        lua_rawgeti(L, -2, 2);
        p = lassign_whole(L, -1, what, 0);
        lua_pop(L, 2);
    } else {
        luaL_error(L, "%s: a partition is \"orders-2\" or {\"orders\", 2}", what);
    }
    return (assign_tp_t){ lassign_topic(L, tp, name, what), p };
}

static void read_owned(lua_State *L, int mt, const char *what, const lassign_topics_t *tp,
                       assign_member_t *m, lassign_scratch_t *s)
{
    if (lassign_field(L, mt, "owned") == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "%s: 'owned' must be a list of partitions, got %s", what,
                   luaL_typename(L, -1));
    m->nowned = (int32_t)lua_rawlen(L, -1);
    assign_tp_t *owned = lassign_calloc(s, (size_t)m->nowned, sizeof *owned);
    for (int32_t i = 0; i < m->nowned; i++) {
        char where[400];
        snprintf(where, sizeof where, "%s: owned[%d]", what, i + 1);
        lua_rawgeti(L, -1, i + 1);
        owned[i] = read_owned_one(L, where, tp);
        lua_pop(L, 1);
    }
    m->owned = owned;
    lua_pop(L, 1);
}

/* members[i] at the top of the stack; `full` for ksim.assign (owned and generation). */
void lassign_member(lua_State *L, const char *fn, int32_t i, const lassign_topics_t *tp,
                        assign_member_t *m, bool full, lassign_scratch_t *s)
{
    static const char *const keys[] = { "id", "topics", "owned", "generation", "instance",
                                        "rack", NULL };
    static const char *const join_keys[] = { "id", "topics", "instance", "rack", NULL };
    char what[300];
    snprintf(what, sizeof what, "%s: members[%d]", fn, i + 1);
    lassign_table(L, -1, what);
    int mt = lua_gettop(L);
    rt_check_keys(L, mt, what, full ? keys : join_keys);
    *m = (assign_member_t){ .generation = ASSIGN_NO_GENERATION };
    m->id = lassign_string(L, mt, "id", what, true);
    m->instance = lassign_string(L, mt, "instance", what, false);
    m->rack = lassign_string(L, mt, "rack", what, false);
    snprintf(what, sizeof what, "%s: member '%s'", fn, m->id);
    if (lassign_field(L, mt, "topics") == LUA_TNIL)
        luaL_error(L, "%s needs 'topics' (the topics it subscribes to)", what);
    m->topics = lassign_subscription(L, what, tp, s, &m->ntopics);
    lua_pop(L, 1);
    if (!full)
        return;
    read_owned(L, mt, what, tp, m, s);
    if (lassign_field(L, mt, "generation") != LUA_TNIL) {
        char where[400];
        snprintf(where, sizeof where, "%s: 'generation'", what);
        m->generation = lassign_whole(L, -1, where, ASSIGN_NO_GENERATION);
    }
    lua_pop(L, 1);
}

assign_replicas_t **lassign_racks_room(lua_State *L, const char *fn, const lassign_topics_t *tp,
                                       const int32_t *most, lassign_scratch_t *s)
{
    check_total(L, fn, tp, most);
    assign_replicas_t **room = lassign_calloc(s, (size_t)tp->n, sizeof *room);
    for (int32_t t = 0; t < tp->n; t++)
        room[t] = lassign_calloc(s, (size_t)(most ? most[t] : tp->t[t].partitions),
                                 sizeof *room[t]);
    return room;
}

static int l_assign(lua_State *L)
{
    static const char *const fn = "ksim.assign";
    static const char *const keys[] = { "assignor", "topics", "members", "partition_racks",
                                        NULL };
    lassign_table(L, 1, "ksim.assign{...}: the group");
    lua_settop(L, 1);
    rt_check_keys(L, 1, fn, keys);
    lassign_scratch_t *s = lassign_scratch(L);
    const char *assignor = lassign_string(L, 1, "assignor", fn, true);
    if (!assign_known(assignor))
        luaL_error(L, "%s: unknown assignor '%s' (known: %s)", fn, assignor, ASSIGN_NAMES);
    lassign_topics_t tp;
    lassign_topics(L, 1, fn, s, &tp);
    if (lassign_field(L, 1, "members") == LUA_TNIL)
        luaL_error(L, "%s: members is missing (a list of members)", fn);
    lassign_table(L, -1, "ksim.assign: members");
    int32_t n = (int32_t)lua_rawlen(L, -1);
    assign_member_t *members = lassign_calloc(s, (size_t)n, sizeof *members);
    const char **ids = lassign_calloc(s, (size_t)n, sizeof *ids);
    for (int32_t i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        lassign_member(L, fn, i, &tp, &members[i], true, s);
        ids[i] = members[i].id;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lassign_partition_racks(L, 1, fn, &tp, lassign_racks_room(L, fn, &tp, NULL, s), s);
    assign_group_t g = { tp.t, tp.n, members, n, 0, false };
    assign_result_t r;
    char err[512];
    if (!assign_run(assignor, &g, &r, err, sizeof err))
        return luaL_error(L, "%s: %s", fn, err);
    lassign_keep(s, r.first);
    lassign_keep(s, r.tps);
    lassign_push_tps(L, &tp, ids, n, r.first, r.tps);
    return 1;
}

void bind_assign_open(lua_State *L)
{
    lua_pushcfunction(L, l_assign);
    lua_setfield(L, -2, "assign");
    lua_pushcfunction(L, bind_compare_assignors);
    lua_setfield(L, -2, "compare_assignors");
}
