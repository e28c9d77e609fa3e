/* bind_cluster: w:cluster(...) and the cluster object: topics (create_topic) and the
 * read-only inspection an operator has (log, partitions, leader, brokers). Clients made
 * from a cluster (c:producer, c:consumer) live in bind_clients.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "../sim/kafka/cluster.h"

static lcluster_t *check_cluster(lua_State *L, const char *method)
{
    return rt_check_self(L, RT_CLUSTER, method);
}

static const char *check_name(lua_State *L, int idx, const char *what)
{
    if (lua_type(L, idx) != LUA_TSTRING || lua_rawlen(L, idx) == 0)
        luaL_error(L, "%s: the name must be a non-empty string, got %s", what,
                   luaL_typename(L, idx));
    return lua_tostring(L, idx);
}

static int32_t check_partition(lua_State *L, int idx, const char *what)
{
    lua_Integer p = 0;
    if (!rt_tointeger(L, idx, &p))
        luaL_error(L, "%s: the partition must be a whole number >= 0, got %s", what,
                   luaL_typename(L, idx));
    if (p < 0 || p > INT32_MAX)
        luaL_error(L, "%s: the partition must be a whole number >= 0, got %I", what, p);
    return (int32_t)p;
}

int bind_world_cluster(lua_State *L)
{
    rt_check_self(L, RT_WORLD, "cluster");
    rt_t *rt = rt_get(L);
    world_t *w = rt_world(L);
    const char *name = check_name(L, 2, "w:cluster(name, config)");
    lua_settop(L, 3);
    char who[300];
    snprintf(who, sizeof who, "cluster '%s'", name);
    for (int i = 0; i < rt->n_clusters; i++)
        if (strcmp(cluster_name(rt->clusters[i]), name) == 0)
            return luaL_error(L, "%s already exists", who);
    lua_Integer brokers = 1;
    if (lua_istable(L, 3) && lua_getfield(L, 3, "brokers") != LUA_TNIL) {
        if (!rt_tointeger(L, -1, &brokers) || brokers < 1 || brokers > 1000)
            return luaL_error(L, "%s: brokers must be a whole number from 1 to 1000", who);
        lua_pop(L, 1);
    }
    config_t *cfg = rt_new_config(L, &broker_config_schema);
    static const char *const skip[] = { "brokers", NULL };
    rt_apply_config(L, 3, cfg, who, skip);
    char err[1024];
    cluster_t *c = cluster_new(w, name, (int)brokers, cfg, err, sizeof err);
    if (!c)
        return rt_error_from(L, who, err);
    cluster_t **cs = realloc(rt->clusters, (size_t)(rt->n_clusters + 1) * sizeof *cs);
    if (!cs)
        abort();
    rt->clusters = cs;
    rt->clusters[rt->n_clusters++] = c;
    lcluster_t *lc = lua_newuserdatauv(L, sizeof *lc, 0);
    lc->c = c;
    luaL_setmetatable(L, RT_CLUSTER);
    return 1;
}

static int c_create_topic(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "create_topic");
    const char *topic = check_name(L, 2, "c:create_topic(name, config)");
    lua_settop(L, 3);
    char who[300];
    snprintf(who, sizeof who, "topic '%s'", topic);
    config_t *cfg = rt_new_config(L, &topic_config_schema);
    rt_apply_config(L, 3, cfg, who, NULL);
    char err[1024];
    if (!cluster_create_topic(lc->c, topic, cfg, err, sizeof err))
        return rt_error_from(L, who, err);
    return 0;
}

static int c_partitions(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "partitions");
    int32_t n = cluster_partition_count(lc->c, luaL_checkstring(L, 2));
    if (n < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, n);
    return 1;
}

static int c_leader(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "leader");
    const char *topic = luaL_checkstring(L, 2);
    int32_t p = check_partition(L, 3, "c:leader(topic, partition)");
    node_t *n = cluster_broker(lc->c, cluster_leader(lc->c, topic, p));
    if (n)
        lua_pushstring(L, n->name);
    else
        lua_pushnil(L);
    return 1;
}

static int c_brokers(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "brokers");
    int n = cluster_broker_count(lc->c);
    lua_createtable(L, n, 0);
    for (int i = 1; i <= n; i++) {
        lua_pushstring(L, cluster_broker(lc->c, i)->name);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

static void set_int(lua_State *L, const char *k, int64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, k);
}

/* What kafka-dump-log shows for the leader's copy of one partition. */
static int c_log(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "log");
    const char *topic = luaL_checkstring(L, 2);
    int32_t p = check_partition(L, 3, "c:log(topic, partition)");
    char err[512];
    const plog_t *log = cluster_log(lc->c, topic, p, err, sizeof err);
    if (!log)
        return luaL_error(L, "c:log: %s", err);
    lua_createtable(L, (int)log->n, 3);
    for (size_t i = 0; i < log->n; i++) {
        const log_record_t *r = &log->recs[i];
        lua_createtable(L, 0, 10);
        set_int(L, "offset", r->offset);
        rt_push_bytes(L, r->key);
        lua_setfield(L, -2, "key");
        rt_push_bytes(L, r->value);
        lua_setfield(L, -2, "value");
        rt_push_ms(L, r->timestamp);
        lua_setfield(L, -2, "timestamp");
        set_int(L, "producer_id", r->producer_id);
        set_int(L, "producer_epoch", r->producer_epoch);
        set_int(L, "sequence", r->sequence);
        set_int(L, "leader_epoch", r->leader_epoch);
        lua_pushboolean(L, (r->flags & LOG_REC_TRANSACTIONAL) != 0);
        lua_setfield(L, -2, "transactional");
        lua_pushboolean(L, (r->flags & LOG_REC_CONTROL) != 0);
        lua_setfield(L, -2, "control");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    set_int(L, "log_start_offset", log->log_start);
    set_int(L, "log_end_offset", log->leo);
    set_int(L, "high_watermark", log->hw);
    return 1;
}

static int c_name(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "name");
    lua_pushstring(L, cluster_name(lc->c));
    return 1;
}

static int c_tostring(lua_State *L)
{
    lcluster_t *lc = luaL_checkudata(L, 1, RT_CLUSTER);
    lua_pushfstring(L, "cluster '%s'", cluster_name(lc->c));
    return 1;
}

void bind_cluster_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "create_topic", c_create_topic },
        { "producer", bind_cluster_producer },
        { "consumer", bind_cluster_consumer },
        { "log", c_log },
        { "partitions", c_partitions },
        { "leader", c_leader },
        { "brokers", c_brokers },
        { "name", c_name },
        { NULL, NULL },
    };
    rt_new_class(L, RT_CLUSTER, methods, c_tostring);
}
