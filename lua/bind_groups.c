/* bind_groups: the consumer group API as Lua sees it, in the words of Kafka's Java client:
 * consumer:subscribe(topics, listener), commit_sync(), commit_async(callback),
 * assignment(), and cluster:describe_group(id). A listener call runs as a task of its own
 * started right after the step that caused it, so it may wait (commit_sync), and the member
 * waits for it; commit_async callbacks are queued and run as their own engine event, like
 * send callbacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "../sim/client/consumer.h"
#include "../sim/kafka/api.h"
#include "../sim/kafka/cluster.h"

#define RT_GROUP_CALLS "ksim.group_calls"

/* One consumer's queue of Lua calls waiting for their event; a full userdata kept alive
 * by the registry until the run ends (its user value 1 is the queue, 2 the listener). */
typedef struct gcalls {
    rt_t *rt;
    consumer_t *c;
    int ref;        /* this userdata in the registry */
    bool scheduled;
} gcalls_t;

static bool waiter_done(void *ctx)
{
    return ((waiter_t *)ctx)->done;
}

static const char *const listener_names[] = { "on_partitions_revoked", "on_partitions_assigned",
                                               "on_partitions_lost", NULL };

static void drain_ev(void *a, void *b, int64_t arg)
{
    gcalls_t *g = a;
    int ref = g->ref;
    rt_t *rt = g->rt;
    g->scheduled = false;
    if (rt->fatal || rt->closing)
        return;
    lua_State *L = rt->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, (int)ref);
    lua_getiuservalue(L, -1, 1);
    int q = lua_gettop(L);
    lua_newtable(L);
    lua_setiuservalue(L, q - 1, 1); /* calls queued by these calls wait for the next event */
    lua_Integer n = (lua_Integer)lua_rawlen(L, q);
    for (lua_Integer i = 1; i <= n && !rt->fatal; i++) {
        lua_rawgeti(L, q, i);          /* { fn, arg, what } */
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        rt->in_callback++;
        int st = rt_pcall(L, 1, 0);
        rt->in_callback--;
        if (st != LUA_OK) {
            char msg[1800];
            rt_errstr(L, -1, msg, sizeof msg);
            lua_pop(L, 1);
            lua_rawgeti(L, -1, 3);
            rt_fatal(rt, "%s (in %s of consumer '%s')", msg, lua_tostring(L, -1),
                     consumer_name(g->c));
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

/* Queues fn(arg) (both on the stack top, popped) to run as its own event. */
static void queue_call(gcalls_t *g, const char *what)
{
    int ref = g->ref;
    lua_State *L = g->rt->L;
    lua_createtable(L, 3, 0);
    lua_insert(L, -3);
    lua_rawseti(L, -3, 2);
    lua_rawseti(L, -2, 1);
    lua_pushstring(L, what);
    lua_rawseti(L, -2, 3);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_getiuservalue(L, -1, 1);
    lua_insert(L, -3);
    lua_pop(L, 1);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    lua_pop(L, 1);
    if (!g->scheduled) {
        g->scheduled = true;
        world_schedule(g->rt->w, g->rt->w->now, drain_ev, g, NULL, 0);
    }
}

static void push_tps(lua_State *L, const topic_partition_t *tps, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 2);
        lua_pushstring(L, tps[i].topic);
        lua_setfield(L, -2, "topic");
        lua_pushinteger(L, tps[i].partition);
        lua_setfield(L, -2, "partition");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static int listener_done_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    (void)ctx;
    consumer_listener_done(lua_touserdata(L, lua_upvalueindex(3)),
                           (uint32_t)lua_tointeger(L, lua_upvalueindex(4)));
    return 0;
}

/* The body of a listener task (upvalues: the method, its partitions, the consumer, the
 * incarnation of its process): the call, then the member goes on. */
static int listener_task(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_callk(L, 1, 0, 0, listener_done_k);
    return listener_done_k(L, LUA_OK, 0);
}

/* The engine's rebalance listener: the matching Lua method, if the listener has one, as a
 * task of its own; true (the member waits for it) when there is one. */
static bool on_rebalance(void *ctx, consumer_t *c, consumer_rebalance_t what,
                         const topic_partition_t *tps, size_t n)
{
    gcalls_t *g = ctx;
    rt_t *rt = g->rt;
    if (rt->closing || rt->fatal)
        return false;
    lua_State *L = rt->L;
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->ref);
    lua_getiuservalue(L, -1, 2);
    lua_getfield(L, -1, listener_names[what]);
    /* Java's default onPartitionsLost calls onPartitionsRevoked. */
    if (what == CONSUMER_LOST && lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_getfield(L, -1, listener_names[CONSUMER_REVOKED]);
    }
    if (!lua_isfunction(L, -1)) {
        lua_pop(L, 3);
        return false;
    }
    lua_insert(L, -3);
    lua_pop(L, 2);
    push_tps(L, tps, n);
    lua_pushlightuserdata(L, c);
    lua_pushinteger(L, consumer_node(c)->inc);
    lua_pushcclosure(L, listener_task, 4);
    char name[300];
    snprintf(name, sizeof name, "%s %s", consumer_name(c), listener_names[what]);
    task_spawn(L, rt, name, -1, rt->w->now);
    lua_pop(L, 1);
    return true;
}

static gcalls_t *calls_for(lua_State *L, consumer_t *c)
{
    lua_getfield(L, LUA_REGISTRYINDEX, RT_GROUP_CALLS);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, LUA_REGISTRYINDEX, RT_GROUP_CALLS);
    }
    lua_pushlightuserdata(L, c);
    if (lua_rawget(L, -2) == LUA_TUSERDATA) {
        gcalls_t *g = lua_touserdata(L, -1);
        lua_pop(L, 2);
        return g;
    }
    lua_pop(L, 1);
    gcalls_t *g = lua_newuserdatauv(L, sizeof *g, 2);
    g->rt = rt_get(L);
    g->c = c;
    g->scheduled = false;
    lua_newtable(L);
    lua_setiuservalue(L, -2, 1);
    lua_pushlightuserdata(L, c);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
    g->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    return g;
}

/* consumer:subscribe({"t", ...}, listener) */
static int k_subscribe(lua_State *L)
{
    consumer_t *c = bind_check_consumer(L, "subscribe");
    lua_settop(L, 3);
    luaL_checktype(L, 2, LUA_TTABLE);
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        rt_check_keys(L, 3, "the rebalance listener", listener_names);
    }
    size_t n = lua_rawlen(L, 2);
    const char **topics = lua_newuserdatauv(L, sizeof *topics * (n ? n : 1), 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "c:subscribe: entry %d must be a topic name", (int)i + 1);
        topics[i] = world_intern(rt_world(L), lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    gcalls_t *g = calls_for(L, c);
    lua_rawgeti(L, LUA_REGISTRYINDEX, g->ref);
    if (lua_isnoneornil(L, 3))
        lua_newtable(L);
    else
        lua_pushvalue(L, 3);
    lua_setiuservalue(L, -2, 2);
    lua_pop(L, 1);
    char err[512];
    if (!consumer_subscribe(c, topics, n, on_rebalance, g, err, sizeof err))
        return luaL_error(L, "%s", err);
    return 0;
}

static void commit_sync_done(void *ctx, consumer_t *c, int16_t error, const char *what)
{
    waiter_t *wt = ctx;
    wt->done = true;
    wt->error = error;
    if (error != KERR_NONE) {
        char msg[700];
        snprintf(msg, sizeof msg, "%s: %s", kerr_name(error), what ? what : "");
        wt->what = strdup(msg);
        if (!wt->what)
            abort();
    }
    tasks_poke(wt->rt);
}

static int commit_k(lua_State *L, int status, lua_KContext ctx)
{
    waiter_t *wt = (waiter_t *)ctx;
    consumer_t *c = bind_check_consumer(L, "commit_sync");
    if (wt->error != KERR_NONE) {
        lua_pushfstring(L, "consumer '%s': %s", consumer_name(c), wt->what);
        waiter_free(wt);
        return lua_error(L);
    }
    waiter_free(wt);
    return 0;
}

/* consumer:commit_sync(): commits every assigned partition's position; raises
 * CommitFailedException and friends. */
static int k_commit_sync(lua_State *L)
{
    consumer_t *c = bind_check_consumer(L, "commit_sync");
    rt_t *rt = rt_get(L);
    const char *why = rt_cannot_block(L, rt);
    if (why)
        return luaL_error(L, "c:commit_sync() %s", why);
    waiter_t *wt = waiter_new(rt);
    consumer_commit(c, true, commit_sync_done, wt);
    return rt_block(L, "c:commit_sync()", waiter_done, wt, INT64_MAX, commit_k,
                    (lua_KContext)wt);
}

/* A commit_async in flight: a userdata anchored in the registry until its answer (its
 * user value is the callback), so nothing leaks when the run ends first. */
typedef struct async_ctx {
    gcalls_t *g;
    int self_ref;
} async_ctx_t;

static void commit_async_done(void *ctx, consumer_t *c, int16_t error, const char *what)
{
    async_ctx_t *a = ctx;
    rt_t *rt = a->g->rt;
    if (rt->closing)
        return; /* the Lua state and the anchor go with lua_close */
    lua_State *L = rt->L;
    int self = a->self_ref;
    lua_rawgeti(L, LUA_REGISTRYINDEX, self);
    lua_getiuservalue(L, -1, 1);
    lua_remove(L, -2);
    luaL_unref(L, LUA_REGISTRYINDEX, self); /* a may be collected from here on */
    if (rt->fatal || lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    if (error == KERR_NONE)
        lua_pushnil(L);
    else
        lua_pushfstring(L, "%s: %s", kerr_name(error), what ? what : "");
    queue_call(a->g, "a commit_async callback");
}

/* consumer:commit_async(callback): callback(err) with err nil on success. */
static int k_commit_async(lua_State *L)
{
    consumer_t *c = bind_check_consumer(L, "commit_async");
    lua_settop(L, 2);
    if (!lua_isnil(L, 2))
        luaL_checktype(L, 2, LUA_TFUNCTION);
    gcalls_t *g = calls_for(L, c);
    async_ctx_t *a = lua_newuserdatauv(L, sizeof *a, 1);
    a->g = g;
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, -2, 1);
    a->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    consumer_commit(c, false, commit_async_done, a);
    return 0;
}

/* consumer:group_metadata(): { group_id=, generation_id=, member_id=, group_instance_id= }
 * as Java's KafkaConsumer.groupMetadata() (generation_id -1 and member_id "" until the
 * first join completes), what p:send_offsets_to_transaction takes. */
static int k_group_metadata(lua_State *L)
{
    consumer_t *c = bind_check_consumer(L, "group_metadata");
    consumer_group_metadata_t md;
    if (!consumer_group_metadata(c, &md))
        return luaL_error(L, "consumer '%s': group_metadata: InvalidGroupIdException: To use "
                          "the group management or offset commit APIs, you must provide a "
                          "valid group.id in the consumer configuration.", consumer_name(c));
    lua_createtable(L, 0, 4);
    lua_pushstring(L, md.group_id);
    lua_setfield(L, -2, "group_id");
    lua_pushinteger(L, md.generation);
    lua_setfield(L, -2, "generation_id");
    lua_pushstring(L, md.member_id);
    lua_setfield(L, -2, "member_id");
    if (md.instance_id) {
        lua_pushstring(L, md.instance_id);
        lua_setfield(L, -2, "group_instance_id");
    }
    return 1;
}

/* consumer:assignment(): { {topic=, partition=}, ... } */
static int k_assignment(lua_State *L)
{
    consumer_t *c = bind_check_consumer(L, "assignment");
    size_t n = consumer_assignment(c, NULL, 0);
    topic_partition_t *tps = lua_newuserdatauv(L, sizeof *tps * (n ? n : 1), 0);
    consumer_assignment(c, tps, n);
    push_tps(L, tps, n);
    return 1;
}

/* cluster:describe_group(id), like kafka-consumer-groups.sh --describe. */
int bind_cluster_describe_group(lua_State *L)
{
    lcluster_t *lc = rt_check_self(L, RT_CLUSTER, "describe_group");
    const char *id = luaL_checkstring(L, 2);
    char err[512];
    cJSON *d = cluster_describe_group(lc->c, id, err, sizeof err);
    if (!d)
        return luaL_error(L, "%s", err);
    rt_push_json(L, d);
    cJSON_Delete(d);
    return 1;
}

void bind_groups_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "subscribe", k_subscribe },
        { "commit_sync", k_commit_sync },
        { "commit_async", k_commit_async },
        { "assignment", k_assignment },
        { "group_metadata", k_group_metadata },
        { NULL, NULL },
    };
    luaL_getmetatable(L, RT_CONSUMER);
    lua_getfield(L, -1, "__index");
    luaL_setfuncs(L, methods, 0);
    lua_pop(L, 2);
    luaL_getmetatable(L, RT_CLUSTER);
    lua_getfield(L, -1, "__index");
    lua_pushcfunction(L, bind_cluster_describe_group);
    lua_setfield(L, -2, "describe_group");
    lua_pop(L, 2);
}
