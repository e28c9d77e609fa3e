/* bind_cluster: w:cluster(...) and the cluster object: topics (create_topic) and the
 * read-only inspection an operator has (log, describe_topic, metrics, partitions, leader,
 * brokers, controller). Clients made
 * from a cluster (c:producer, c:consumer) live in bind_clients.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "../sim/kafka/cleaner.h"
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

/* A broker of the cluster by name (its Kafka id), or a Lua error naming the brokers. */
static int check_broker(lua_State *L, const cluster_t *c, int idx, const char *what)
{
    const char *name = luaL_checkstring(L, idx);
    int id = cluster_broker_id(c, name);
    if (id < 0)
        luaL_error(L, "%s: no broker named '%s' (brokers: %s … %s)", what, name,
                   cluster_broker_name(c, 1), cluster_broker_name(c, cluster_broker_count(c)));
    return id;
}

/* What kafka-dump-log shows for the leader's copy of one partition, or for the replica on
 * the broker named as the third argument. */
static const plog_t *check_log(lua_State *L, const char *method)
{
    lcluster_t *lc = check_cluster(L, method);
    luaL_checkstring(L, 2);
    const char *topic = lua_tostring(L, 2);
    char what[64], what_b[80];
    snprintf(what, sizeof what, "c:%s(topic, partition)", method);
    snprintf(what_b, sizeof what_b, "c:%s(topic, partition, broker)", method);
    int32_t p = check_partition(L, 3, what);
    char err[512];
    const plog_t *log;
    if (lua_isnoneornil(L, 4))
        log = cluster_log(lc->c, topic, p, err, sizeof err);
    else
        log = cluster_replica_log(lc->c, topic, p, check_broker(L, lc->c, 4, what_b), err,
                                  sizeof err);
    if (!log)
        luaL_error(L, "c:%s: %s", method, err);
    return log;
}

static int c_log(lua_State *L)
{
    const plog_t *log = check_log(L, "log");
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
        /* A control record is a transaction marker: "COMMIT" or "ABORT" (else false). */
        int marker = (r->flags & LOG_REC_CONTROL) ? control_marker_type(r->key) : -1;
        if (marker >= 0)
            lua_pushstring(L, marker == CONTROL_COMMIT ? "COMMIT" : "ABORT");
        else
            lua_pushboolean(L, (r->flags & LOG_REC_CONTROL) != 0);
        lua_setfield(L, -2, "control");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    set_int(L, "log_start_offset", log->log_start);
    set_int(L, "log_end_offset", log->leo);
    set_int(L, "high_watermark", log->hw);
    set_int(L, "last_stable_offset", plog_lso(log));
    return 1;
}

/* What kafka-log-dirs and kafka-dump-log show of one replica's log: its segments and
 * the cleaner's view (checkpoint, dirty ratio), for the leader or the named broker. */
static int c_describe_log(lua_State *L)
{
    const plog_t *log = check_log(L, "describe_log");
    clean_range_t r;
    cleaner_range(log, rt_world(L)->now, &r);
    lua_createtable(L, 0, 12);
    lua_pushstring(L, log_config_policy(&log->cfg));
    lua_setfield(L, -2, "cleanup_policy");
    set_int(L, "log_start_offset", log->log_start);
    set_int(L, "log_end_offset", log->leo);
    set_int(L, "high_watermark", log->hw);
    set_int(L, "size", log->bytes);
    set_int(L, "records", (int64_t)log->n);
    set_int(L, "cleaner_checkpoint", log->clean_checkpoint);
    set_int(L, "first_dirty_offset", r.first_dirty);
    set_int(L, "first_uncleanable_offset", r.first_uncleanable);
    lua_pushnumber(L, r.ratio);
    lua_setfield(L, -2, "dirty_ratio");
    lua_createtable(L, (int)log->n_segs, 0);
    for (size_t i = 0; i < log->n_segs; i++) {
        const log_segment_t *g = &log->segs[i];
        size_t b0 = g->first_batch, b1 = plog_seg_end_batch(log, i);
        size_t r0 = b0 < log->n_batches ? log->batches[b0].first : log->n;
        size_t r1 = b1 < log->n_batches ? log->batches[b1].first : log->n;
        lua_createtable(L, 0, 7);
        set_int(L, "base_offset", g->base_offset);
        set_int(L, "end_offset", plog_seg_end_offset(log, i));
        set_int(L, "size", g->bytes);
        set_int(L, "records", (int64_t)(r1 - r0));
        set_int(L, "batches", (int64_t)(b1 - b0));
        int64_t ts = plog_seg_largest_ts(log, i);
        if (ts >= 0) {
            rt_push_ms(L, ts);
            lua_setfield(L, -2, "largest_timestamp");
        }
        lua_pushboolean(L, i + 1 == log->n_segs);
        lua_setfield(L, -2, "active");
        lua_pushboolean(L, plog_seg_end_offset(log, i) <= r.first_dirty && i + 1 < log->n_segs);
        lua_setfield(L, -2, "clean");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "segments");
    return 1;
}

static void push_brokers(lua_State *L, const cluster_t *c, const int32_t *ids, int32_t n)
{
    lua_createtable(L, n, 0);
    for (int32_t i = 0; i < n; i++) {
        lua_pushstring(L, cluster_broker_name(c, ids[i]));
        lua_rawseti(L, -2, i + 1);
    }
}

/* What kafka-topics.sh --describe shows, one table per partition. */
static int c_describe_topic(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "describe_topic");
    const char *topic = luaL_checkstring(L, 2);
    int32_t n = cluster_partition_count(lc->c, topic);
    if (n < 0)
        return luaL_error(L, "c:describe_topic: cluster '%s' has no topic '%s'",
                          cluster_name(lc->c), topic);
    lua_createtable(L, 0, 4);
    lua_pushstring(L, topic);
    lua_setfield(L, -2, "name");
    set_int(L, "partition_count", n);
    lua_createtable(L, n, 0);
    for (int32_t p = 0; p < n; p++) {
        cluster_partition_t d;
        char err[512];
        cluster_describe(lc->c, topic, p, &d, err, sizeof err);
        lua_createtable(L, 0, 10);
        set_int(L, "partition", p);
        if (d.reg.leader >= 0)
            lua_pushstring(L, cluster_broker_name(lc->c, d.reg.leader));
        else
            lua_pushnil(L);
        lua_setfield(L, -2, "leader");
        set_int(L, "leader_epoch", d.reg.leader_epoch);
        set_int(L, "partition_epoch", d.reg.partition_epoch);
        push_brokers(L, lc->c, d.reg.replicas, d.reg.n_replicas);
        lua_setfield(L, -2, "replicas");
        push_brokers(L, lc->c, d.reg.isr, d.reg.n_isr);
        lua_setfield(L, -2, "isr");
        if (d.hw >= 0) {
            set_int(L, "high_watermark", d.hw);
            set_int(L, "log_end_offset", d.leo);
            set_int(L, "lso", d.lso);
        }
        lua_pushboolean(L, d.reg.n_isr < d.reg.n_replicas);
        lua_setfield(L, -2, "under_replicated");
        lua_pushboolean(L, d.reg.leader < 0);
        lua_setfield(L, -2, "offline");
        lua_rawseti(L, -2, p + 1);
    }
    lua_setfield(L, -2, "partitions");
    return 1;
}

static void push_meter(lua_State *L, const char *name, int64_t count, double secs)
{
    lua_createtable(L, 0, 2);
    set_int(L, "count", count);
    lua_pushnumber(L, secs > 0 ? (double)count / secs : 0.0);
    lua_setfield(L, -2, "mean_rate");
    lua_setfield(L, -2, name);
}

static void push_timer(lua_State *L, const char *name, const request_time_t *t)
{
    lua_createtable(L, 0, 3);
    set_int(L, "count", t->count);
    lua_pushnumber(L, t->count ? (double)t->total_us / (double)t->count / 1000.0 : 0.0);
    lua_setfield(L, -2, "mean");
    lua_pushnumber(L, (double)t->max_us / 1000.0);
    lua_setfield(L, -2, "max");
    lua_setfield(L, -2, name);
}

static void push_broker_metrics(lua_State *L, int32_t under, const broker_counters_t *k,
                                double secs)
{
    set_int(L, "UnderReplicatedPartitions", under);
    push_meter(L, "IsrShrinksPerSec", k->isr_shrinks, secs);
    push_meter(L, "IsrExpandsPerSec", k->isr_expands, secs);
    push_meter(L, "MessagesInPerSec", k->messages_in, secs);
    push_meter(L, "BytesInPerSec", k->bytes_in, secs);
    push_meter(L, "BytesOutPerSec", k->bytes_out, secs);
    lua_createtable(L, 0, 3);
    push_timer(L, "Produce", &k->produce);
    push_timer(L, "FetchConsumer", &k->fetch_consumer);
    push_timer(L, "FetchFollower", &k->fetch_follower);
    lua_setfield(L, -2, "TotalTimeMs");
}

static void add_timer(request_time_t *sum, const request_time_t *t)
{
    sum->count += t->count;
    sum->total_us += t->total_us;
    if (t->max_us > sum->max_us)
        sum->max_us = t->max_us;
}

/* Kafka's JMX metrics, summed over the brokers, and per broker under `brokers`. Meters
 * count since the start and rate over virtual time. */
static int c_metrics(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "metrics");
    cluster_metrics_t *m = malloc(sizeof *m);
    if (!m)
        abort();
    cluster_metrics(lc->c, m);
    double secs = (double)rt_world(L)->now / 1e6;
    broker_counters_t sum = { 0 };
    int32_t under = 0;
    for (int i = 0; i < m->n_brokers; i++) {
        const broker_counters_t *k = &m->brokers[i].counters;
        under += m->brokers[i].under_replicated;
        sum.messages_in += k->messages_in;
        sum.bytes_in += k->bytes_in;
        sum.bytes_out += k->bytes_out;
        sum.isr_shrinks += k->isr_shrinks;
        sum.isr_expands += k->isr_expands;
        add_timer(&sum.produce, &k->produce);
        add_timer(&sum.fetch_consumer, &k->fetch_consumer);
        add_timer(&sum.fetch_follower, &k->fetch_follower);
    }
    lua_createtable(L, 0, 12);
    set_int(L, "ActiveControllerCount", m->active_controllers);
    set_int(L, "OfflinePartitionsCount", m->offline_partitions);
    push_broker_metrics(L, under, &sum, secs);
    lua_createtable(L, 0, m->n_brokers);
    for (int i = 0; i < m->n_brokers; i++) {
        lua_createtable(L, 0, 8);
        push_broker_metrics(L, m->brokers[i].under_replicated, &m->brokers[i].counters, secs);
        lua_setfield(L, -2, cluster_broker_name(lc->c, i + 1));
    }
    lua_setfield(L, -2, "brokers");
    free(m);
    return 1;
}

static int c_controller(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "controller");
    lua_pushstring(L, cluster_controller(lc->c)->name);
    return 1;
}

static int c_name(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "name");
    lua_pushstring(L, cluster_name(lc->c));
    return 1;
}

/* cluster:describe_transactions([id]), like kafka-transactions.sh describe
 * --transactional-id id; without an id, like kafka-transactions.sh list. */
static int c_describe_transactions(lua_State *L)
{
    lcluster_t *lc = check_cluster(L, "describe_transactions");
    const char *id = luaL_optstring(L, 2, NULL);
    char err[512];
    cJSON *d = cluster_describe_transactions(lc->c, id, err, sizeof err);
    if (!d)
        return luaL_error(L, "%s", err);
    rt_push_json(L, d);
    cJSON_Delete(d);
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
        { "describe_log", c_describe_log },
        { "partitions", c_partitions },
        { "leader", c_leader },
        { "brokers", c_brokers },
        { "describe_topic", c_describe_topic },
        { "metrics", c_metrics },
        { "controller", c_controller },
        { "name", c_name },
        { "describe_transactions", c_describe_transactions },
        { NULL, NULL },
    };
    rt_new_class(L, RT_CLUSTER, methods, c_tostring);
}
