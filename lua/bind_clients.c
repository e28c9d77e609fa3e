/* bind_clients: the producer, its futures and the consumer as Lua objects. Completions
 * from the engine (a record done, a flush done, a poll answered) are recorded in C and
 * reach Lua only from engine events: a send callback runs as its own event, and waiting
 * tasks are resumed by tasks.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "../sim/client/consumer.h"
#include "../sim/client/producer.h"
#include "../sim/kafka/api.h"
#include "../sim/kafka/cluster.h"

typedef struct lfuture {
    lprod_t *lp;
    uint32_t rec;
} lfuture_t;

/* Its user value 1 holds the assignment, an array of topic_partition_t in a userdata. */
typedef struct lcons {
    consumer_t *c;
    size_t n_assigned;
    bool closed; /* k:close() was called (the engine's consumer does not say) */
} lcons_t;

static bool waiter_ready(void *ctx)
{
    return ((waiter_t *)ctx)->done;
}

/* The shared start of c:producer(name, config) and c:consumer(name, config): checks the
 * name (argument 2), reads the config table (argument 3) and names the client for
 * messages in `who` ("producer 'p1'"). */
static config_t *client_config(lua_State *L, const char *kind, const config_schema_t *schema,
                               const char **name, char *who, size_t n)
{
    char what[64];
    snprintf(what, sizeof what, "c:%s(name, config)", kind);
    if (lua_type(L, 2) != LUA_TSTRING || lua_rawlen(L, 2) == 0)
        luaL_error(L, "%s: the name must be a non-empty string", what);
    *name = lua_tostring(L, 2);
    if (strlen(*name) != lua_rawlen(L, 2))
        luaL_error(L, "%s: the name must not contain NUL bytes", what);
    if (world_find(rt_world(L), *name))
        luaL_error(L, "%s: a node named '%s' already exists (node names are unique in the "
                   "world)", what, *name);
    lua_settop(L, 3);
    snprintf(who, n, "%s '%s'", kind, *name);
    config_t *cfg = rt_new_config(L, schema);
    rt_apply_config(L, 3, cfg, who, NULL);
    return cfg;
}

/* A new table { topic, partition, offset } with room for `fields` fields in all: what a
 * record's metadata and a polled record both start with. */
static void push_position(lua_State *L, const char *topic, int32_t partition, int64_t offset,
                          int fields)
{
    lua_createtable(L, 0, fields);
    lua_pushstring(L, topic);
    lua_setfield(L, -2, "topic");
    lua_pushinteger(L, partition);
    lua_setfield(L, -2, "partition");
    lua_pushinteger(L, (lua_Integer)offset);
    lua_setfield(L, -2, "offset");
}

/* ---- producer ---- */

static void push_metadata(lua_State *L, const lprod_t *lp, uint32_t rec)
{
    const send_result_t *r = producer_result(lp->p, rec);
    push_position(L, r->topic, r->partition, r->offset, 4);
    rt_push_ms(L, r->timestamp);
    lua_setfield(L, -2, "timestamp");
}

static void callback_ev(void *a, void *b, int64_t rec)
{
    (void)b;
    lprod_t *lp = a;
    rt_t *rt = lp->rt;
    if (rt->fatal)
        return;
    lua_State *L = rt->L;
    if (!lua_checkstack(L, 8)) {
        rt_fatal(rt, "%s: Lua stack overflow in a send callback", rt->script);
        return;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, lp->cb_ref);
    lua_rawgeti(L, -1, rec + 1);
    lua_pushnil(L);
    lua_rawseti(L, -3, rec + 1);
    push_metadata(L, lp, (uint32_t)rec);
    int16_t e = producer_result(lp->p, (uint32_t)rec)->error;
    if (e == KERR_NONE)
        lua_pushnil(L);
    else
        lua_pushstring(L, kerr_name(e));
    rt->in_callback++;
    int st = rt_pcall(L, 2, 0);
    rt->in_callback--;
    if (st != LUA_OK) {
        char msg[1800];
        rt_errstr(L, -1, msg, sizeof msg);
        lua_pop(L, 1);
        rt_fatal(rt, "%s (in a send callback of producer '%s')", msg, producer_name(lp->p));
    }
    lua_pop(L, 1);
}

static void schedule_callback(lprod_t *lp, uint32_t rec)
{
    lp->has_cb[rec] = 0;
    world_schedule(lp->rt->w, lp->rt->w->now, callback_ev, lp, NULL, rec);
}

static void on_done(void *ctx, producer_t *p, uint32_t rec)
{
    (void)p;
    lprod_t *lp = ctx;
    if (lp->rt->closing)
        return;
    if (rec < lp->cap_cb && lp->has_cb[rec])
        schedule_callback(lp, rec);
    tasks_poke(lp->rt);
}

int bind_cluster_producer(lua_State *L)
{
    lcluster_t *lc = rt_check_self(L, RT_CLUSTER, "producer");
    rt_t *rt = rt_get(L);
    const char *name;
    char who[300], err[1024];
    config_t *cfg = client_config(L, "producer", &producer_config_schema, &name, who, sizeof who);
    producer_t *p = cluster_producer(lc->c, name, cfg, err, sizeof err);
    if (!p)
        return rt_error_from(L, who, err);
    lprod_t **ps = realloc(rt->prods, (size_t)(rt->n_prods + 1) * sizeof *ps);
    lprod_t *lp = calloc(1, sizeof *lp);
    if (!ps || !lp)
        abort();
    rt->prods = ps;
    rt->prods[rt->n_prods++] = lp;
    lp->rt = rt;
    lp->p = p;
    lua_newtable(L);
    lp->cb_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    producer_on_done(p, on_done, lp);
    lprod_t **ud = lua_newuserdatauv(L, sizeof *ud, 0);
    *ud = lp;
    luaL_setmetatable(L, RT_PRODUCER);
    return 1;
}

static lprod_t *check_prod(lua_State *L, const char *method)
{
    return *(lprod_t **)rt_check_self(L, RT_PRODUCER, method);
}

static void remember_callback(lua_State *L, lprod_t *lp, uint32_t rec, int fn)
{
    if (rec >= lp->cap_cb) {
        size_t cap = lp->cap_cb ? lp->cap_cb : 64;
        while (cap <= rec)
            cap *= 2;
        uint8_t *h = realloc(lp->has_cb, cap);
        if (!h)
            abort();
        memset(h + lp->cap_cb, 0, cap - lp->cap_cb);
        lp->has_cb = h;
        lp->cap_cb = cap;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, lp->cb_ref);
    lua_pushvalue(L, fn);
    lua_rawseti(L, -2, (lua_Integer)rec + 1);
    lua_pop(L, 1);
    lp->has_cb[rec] = 1;
    /* Done already (rejected on the spot): the callback still runs from an event. */
    if (producer_result(lp->p, rec)->done)
        schedule_callback(lp, rec);
}

static int p_send(lua_State *L)
{
    lprod_t *lp = check_prod(L, "send");
    const char *who = producer_name(lp->p);
    const char *topic = luaL_checkstring(L, 2);
    lua_settop(L, 4);
    if (!lua_isnil(L, 4) && !lua_isfunction(L, 4))
        return luaL_error(L, "p:send: the callback must be a function, got %s",
                          luaL_typename(L, 4));
    int32_t partition = -1;
    int64_t ts = -1;
    bytes_t key = BYTES_NULL, value = BYTES_NULL;
    if (lua_type(L, 3) == LUA_TSTRING) {
        value = rt_opt_bytes(L, 3, "p:send: value");
    } else if (lua_istable(L, 3)) {
        static const char *const keys[] = { "key", "partition", "timestamp", "value", NULL };
        rt_check_keys(L, 3, "p:send: record", keys);
        lua_getfield(L, 3, "key");      /* 5 */
        lua_getfield(L, 3, "value");    /* 6 */
        key = rt_opt_bytes(L, 5, "p:send: key");
        value = rt_opt_bytes(L, 6, "p:send: value");
        if (lua_getfield(L, 3, "partition") != LUA_TNIL) {
            lua_Integer part = -1;
            if (!rt_tointeger(L, -1, &part) || part < 0 || part > INT32_MAX)
                return luaL_error(L, "p:send: partition must be a whole number >= 0");
            partition = (int32_t)part;
        }
        if (lua_getfield(L, 3, "timestamp") != LUA_TNIL)
            ts = rt_check_ms(L, -1, "p:send: timestamp", false);
    } else {
        return luaL_error(L, "p:send(topic, record): record must be a table like "
                          "{ key = \"k\", value = \"v\" } (or a value string), got %s",
                          luaL_typename(L, 3));
    }
    char err[512];
    int64_t rec = producer_send(lp->p, topic, partition, key, value, ts, err, sizeof err);
    if (rec < 0) {
        char prefix[300];
        snprintf(prefix, sizeof prefix, "producer '%s'", who);
        return rt_error_from(L, prefix, err);
    }
    if (lua_isfunction(L, 4))
        remember_callback(L, lp, (uint32_t)rec, 4);
    lfuture_t *f = lua_newuserdatauv(L, sizeof *f, 0);
    f->lp = lp;
    f->rec = (uint32_t)rec;
    luaL_setmetatable(L, RT_FUTURE);
    return 1;
}

static int flush_k(lua_State *L, int status, lua_KContext ctx)
{
    waiter_free((waiter_t *)ctx);
    return 0;
}

static void flush_done(void *ctx, producer_t *p)
{
    (void)p;
    waiter_t *wt = ctx;
    wt->done = true;
    tasks_poke(wt->rt);
}

static int p_flush(lua_State *L)
{
    lprod_t *lp = check_prod(L, "flush");
    rt_t *rt = rt_get(L);
    const char *why = rt_cannot_block(L, rt);
    if (why)
        return luaL_error(L, "p:flush() %s", why);
    waiter_t *wt = waiter_new(rt);
    producer_flush(lp->p, flush_done, wt);
    return rt_block(L, "p:flush()", waiter_ready, wt, INT64_MAX, flush_k, (lua_KContext)wt);
}

/* ---- transactions ---- */

/* A transactional call's outcome: the waiter keeps the whole error message. */
static void txn_done(void *ctx, producer_t *p, int16_t error, const char *message)
{
    waiter_t *wt = ctx;
    wt->done = true;
    wt->error = error;
    if (error != KERR_NONE) {
        char buf[600];
        snprintf(buf, sizeof buf, "producer '%s': %s: %s", producer_name(p),
                 producer_exception(error), message);
        size_t n = strlen(buf) + 1;
        free(wt->what);
        wt->what = malloc(n);
        if (!wt->what)
            abort();
        memcpy(wt->what, buf, n);
    }
    tasks_poke(wt->rt);
}

static int txn_k(lua_State *L, int status, lua_KContext ctx)
{
    (void)status;
    waiter_t *wt = (waiter_t *)ctx;
    if (wt->error == KERR_NONE) {
        waiter_free(wt);
        return 0;
    }
    lua_pushstring(L, wt->what);
    waiter_free(wt);
    return lua_error(L);
}

typedef void (*txn_call_fn)(producer_t *p, producer_txn_fn fn, void *ctx);

/* The blocking calls: like p:flush, the task waits for the outcome. */
static int txn_block(lua_State *L, const char *method, const char *what, txn_call_fn call)
{
    lprod_t *lp = check_prod(L, method);
    rt_t *rt = rt_get(L);
    const char *why = rt_cannot_block(L, rt);
    if (why)
        return luaL_error(L, "%s %s", what, why);
    waiter_t *wt = waiter_new(rt);
    call(lp->p, txn_done, wt);
    return rt_block(L, what, waiter_ready, wt, INT64_MAX, txn_k, (lua_KContext)wt);
}

static int p_init_transactions(lua_State *L)
{
    return txn_block(L, "init_transactions", "p:init_transactions()",
                     producer_init_transactions);
}

static int p_commit_transaction(lua_State *L)
{
    return txn_block(L, "commit_transaction", "p:commit_transaction()",
                     producer_commit_transaction);
}

static int p_abort_transaction(lua_State *L)
{
    return txn_block(L, "abort_transaction", "p:abort_transaction()",
                     producer_abort_transaction);
}

static int p_begin_transaction(lua_State *L)
{
    lprod_t *lp = check_prod(L, "begin_transaction");
    char msg[400];
    int16_t err = producer_begin_transaction(lp->p, msg, sizeof msg);
    if (err != KERR_NONE)
        return luaL_error(L, "producer '%s': %s: %s", producer_name(lp->p),
                          producer_exception(err), msg);
    return 0;
}

/* The offsets { {topic=, partition=, offset=}, ... } at `idx`, in a userdata pushed on the
 * stack (collected with it). */
static producer_offset_t *check_offsets(lua_State *L, int idx, int32_t *n)
{
    const char *what = "p:send_offsets_to_transaction(offsets, group_metadata)";
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: offsets must be a list like { { topic = \"in\", partition = 0, "
                   "offset = 42 } }, got %s", what, luaL_typename(L, idx));
    lua_Integer len = luaL_len(L, idx);
    lua_pushnil(L);
    if (len == 0 && lua_next(L, idx)) /* one offset, not a list of them */
        luaL_error(L, "%s: offsets must be a list of offsets: wrap the table as { { topic = "
                   "..., partition = ..., offset = ... } }", what);
    producer_offset_t *v = lua_newuserdatauv(L, (size_t)(len ? len : 1) * sizeof *v, 0);
    static const char *const keys[] = { "offset", "partition", "topic", NULL };
    for (lua_Integer i = 1; i <= len; i++) {
        lua_rawgeti(L, idx, i);
        int e = lua_gettop(L);
        if (!lua_istable(L, e))
            luaL_error(L, "%s: offsets[%d] must be a table", what, (int)i);
        rt_check_keys(L, e, "p:send_offsets_to_transaction: offset", keys);
        lua_getfield(L, e, "topic");
        lua_getfield(L, e, "partition");
        lua_getfield(L, e, "offset");
        lua_Integer part, off;
        if (lua_type(L, e + 1) != LUA_TSTRING || !rt_tointeger(L, e + 2, &part) || part < 0 ||
            part > INT32_MAX || !rt_tointeger(L, e + 3, &off) || off < 0)
            luaL_error(L, "%s: offsets[%d] needs topic (a string), partition and offset "
                       "(whole numbers >= 0)", what, (int)i);
        v[i - 1] = (producer_offset_t){ world_intern(rt_world(L), lua_tostring(L, e + 1)),
                                        (int32_t)part, off };
        lua_settop(L, e - 1);
    }
    *n = (int32_t)len;
    return v;
}

/* group_metadata at `idx`: a plain group id, or k:group_metadata()'s table. Strings stay
 * on the Lua stack (the table is there). */
static producer_group_meta_t check_group_meta(lua_State *L, int idx)
{
    const char *what = "p:send_offsets_to_transaction(offsets, group_metadata)";
    if (lua_type(L, idx) == LUA_TSTRING)
        return (producer_group_meta_t){ lua_tostring(L, idx), "", NULL, -1 };
    if (!lua_istable(L, idx))
        luaL_error(L, "%s: group_metadata must be a group id or a table { group_id = , "
                   "generation_id = , member_id = , group_instance_id = }, got %s", what,
                   luaL_typename(L, idx));
    static const char *const keys[] = { "generation_id", "group_id", "group_instance_id",
                                        "member_id", NULL };
    rt_check_keys(L, idx, "p:send_offsets_to_transaction: group_metadata", keys);
    producer_group_meta_t gm = { NULL, "", NULL, -1 };
    if (lua_getfield(L, idx, "group_id") != LUA_TSTRING)
        luaL_error(L, "%s: group_metadata.group_id must be a string", what);
    gm.group_id = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "member_id") == LUA_TSTRING)
        gm.member_id = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "group_instance_id") == LUA_TSTRING)
        gm.instance_id = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "generation_id") != LUA_TNIL) {
        lua_Integer g;
        if (!rt_tointeger(L, -1, &g) || g < -1 || g > INT32_MAX)
            luaL_error(L, "%s: group_metadata.generation_id must be a whole number", what);
        gm.generation = (int32_t)g;
    }
    lua_pop(L, 1);
    return gm;
}

static int p_send_offsets_to_transaction(lua_State *L)
{
    lprod_t *lp = check_prod(L, "send_offsets_to_transaction");
    const char *what = "p:send_offsets_to_transaction()";
    rt_t *rt = rt_get(L);
    const char *why = rt_cannot_block(L, rt);
    if (why)
        return luaL_error(L, "%s %s", what, why);
    lua_settop(L, 3);
    producer_group_meta_t gm = check_group_meta(L, 3);
    int32_t n;
    producer_offset_t *offsets = check_offsets(L, 2, &n);
    waiter_t *wt = waiter_new(rt);
    producer_send_offsets_to_transaction(lp->p, offsets, n, &gm, txn_done, wt);
    return rt_block(L, what, waiter_ready, wt, INT64_MAX, txn_k, (lua_KContext)wt);
}

/* p:transaction_state() -> "IN_TRANSACTION", ... (the client's TransactionManager). */
static int p_transaction_state(lua_State *L)
{
    lua_pushstring(L, producer_txn_state(check_prod(L, "transaction_state")->p));
    return 1;
}

static int p_close(lua_State *L)
{
    producer_close(check_prod(L, "close")->p);
    return 0;
}

static int p_name(lua_State *L)
{
    lua_pushstring(L, producer_name(check_prod(L, "name")->p));
    return 1;
}

/* p:producer_id() -> id, epoch; nil while the producer has none. */
static int p_producer_id(lua_State *L)
{
    int64_t id;
    int16_t epoch;
    if (!producer_id(check_prod(L, "producer_id")->p, &id, &epoch)) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, id);
    lua_pushinteger(L, epoch);
    return 2;
}

static int p_tostring(lua_State *L)
{
    lprod_t *lp = *(lprod_t **)luaL_checkudata(L, 1, RT_PRODUCER);
    lua_pushfstring(L, "producer '%s'", producer_name(lp->p));
    return 1;
}

/* ---- futures ---- */

static bool future_ready(void *ctx)
{
    const lfuture_t *f = ctx;
    return producer_result(f->lp->p, f->rec)->done;
}

static int future_k(lua_State *L, int status, lua_KContext ctx)
{
    const lfuture_t *f = (const lfuture_t *)ctx;
    int16_t e = producer_result(f->lp->p, f->rec)->error;
    if (e != KERR_NONE) {
        lua_pushnil(L);
        lua_pushstring(L, kerr_name(e));
        return 2;
    }
    push_metadata(L, f->lp, f->rec);
    return 1;
}

static int f_get(lua_State *L)
{
    lfuture_t *f = rt_check_self(L, RT_FUTURE, "get");
    return rt_block(L, "future:get()", future_ready, f, INT64_MAX, future_k, (lua_KContext)f);
}

static int f_done(lua_State *L)
{
    lfuture_t *f = rt_check_self(L, RT_FUTURE, "done");
    lua_pushboolean(L, future_ready(f));
    return 1;
}

static int f_tostring(lua_State *L)
{
    lfuture_t *f = luaL_checkudata(L, 1, RT_FUTURE);
    lua_pushfstring(L, "future (producer '%s', record %d)", producer_name(f->lp->p),
                    (int)f->rec);
    return 1;
}

/* ---- consumer ---- */

int bind_cluster_consumer(lua_State *L)
{
    lcluster_t *lc = rt_check_self(L, RT_CLUSTER, "consumer");
    const char *name;
    char who[300], err[1024];
    config_t *cfg = client_config(L, "consumer", &consumer_config_schema, &name, who, sizeof who);
    consumer_t *c = cluster_consumer(lc->c, name, cfg, err, sizeof err);
    if (!c)
        return rt_error_from(L, who, err);
    lcons_t *ud = lua_newuserdatauv(L, sizeof *ud, 1);
    ud->c = c;
    ud->n_assigned = 0;
    ud->closed = false;
    luaL_setmetatable(L, RT_CONSUMER);
    return 1;
}

static consumer_t *check_cons(lua_State *L, const char *method)
{
    return ((lcons_t *)rt_check_self(L, RT_CONSUMER, method))->c;
}

/* A consumer that must still be open, as Kafka's acquireAndEnsureOpen checks. */
static consumer_t *check_open(lua_State *L, const char *method)
{
    lcons_t *k = rt_check_self(L, RT_CONSUMER, method);
    if (k->closed)
        luaL_error(L, "consumer '%s': This consumer has already been closed.",
                   consumer_name(k->c));
    return k->c;
}

consumer_t *bind_check_consumer(lua_State *L, const char *method)
{
    return check_open(L, method);
}

static int32_t tp_partition(lua_State *L, int idx, const char *what)
{
    lua_Integer p = -1;
    if (!rt_tointeger(L, idx, &p) || p < 0 || p > INT32_MAX)
        luaL_error(L, "%s: the partition must be a whole number >= 0", what);
    return (int32_t)p;
}

static int k_assign(lua_State *L)
{
    consumer_t *c = check_open(L, "assign");
    if (consumer_subscribed(c))
        return luaL_error(L, "consumer '%s': Subscription to topics, partitions and pattern are "
                          "mutually exclusive", consumer_name(c));
    world_t *w = rt_world(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = lua_rawlen(L, 2);
    topic_partition_t *tps = lua_newuserdatauv(L, sizeof *tps * (n ? n : 1), 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        int e = lua_gettop(L);
        if (!lua_istable(L, e))
            return luaL_error(L, "c:assign: entry %d must be {topic, partition} or "
                              "{topic = ..., partition = ...}", (int)i + 1);
        if (lua_rawgeti(L, e, 1) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_getfield(L, e, "topic");
        }
        if (lua_rawgeti(L, e, 2) == LUA_TNIL) {
            lua_pop(L, 1);
            lua_getfield(L, e, "partition");
        }
        if (lua_type(L, e + 1) != LUA_TSTRING)
            return luaL_error(L, "c:assign: entry %d has no topic name", (int)i + 1);
        tps[i].topic = world_intern(w, lua_tostring(L, e + 1));
        tps[i].partition = tp_partition(L, e + 2, "c:assign");
        lua_settop(L, e - 1);
    }
    consumer_assign(c, tps, n);
    lua_pushvalue(L, 3);
    lua_setiuservalue(L, 1, 1);
    ((lcons_t *)lua_touserdata(L, 1))->n_assigned = n;
    return 0;
}

static int cons_error(lua_State *L, consumer_t *c, const char *err)
{
    char who[300];
    snprintf(who, sizeof who, "consumer '%s'", consumer_name(c));
    return rt_error_from(L, who, err);
}

static int k_seek(lua_State *L)
{
    consumer_t *c = check_open(L, "seek");
    const char *topic = luaL_checkstring(L, 2);
    int32_t p = tp_partition(L, 3, "c:seek(topic, partition, offset)");
    lua_Integer offset = -1;
    if (!rt_tointeger(L, 4, &offset) || offset < 0)
        return luaL_error(L, "c:seek: the offset must be a whole number >= 0");
    char err[512];
    if (!consumer_seek(c, topic, p, (int64_t)offset, err, sizeof err))
        return cons_error(L, c, err);
    return 0;
}

static int seek_to(lua_State *L, bool beginning, const char *method)
{
    consumer_t *c = check_open(L, method);
    const char *topic = luaL_checkstring(L, 2);
    int32_t p = tp_partition(L, 3, method);
    char err[512];
    if (!consumer_seek_to(c, topic, p, beginning, err, sizeof err))
        return cons_error(L, c, err);
    return 0;
}

static int k_seek_to_beginning(lua_State *L)
{
    return seek_to(L, true, "seek_to_beginning");
}

static int k_seek_to_end(lua_State *L)
{
    return seek_to(L, false, "seek_to_end");
}

/* Whether the consumer at index 1 has topic-partition in its assignment. */
static bool assigned(lua_State *L, const char *topic, int32_t partition)
{
    const lcons_t *k = lua_touserdata(L, 1);
    lua_getiuservalue(L, 1, 1);
    const topic_partition_t *tps = lua_touserdata(L, -1);
    bool found = false;
    for (size_t i = 0; tps && i < k->n_assigned && !found; i++)
        found = tps[i].partition == partition && strcmp(tps[i].topic, topic) == 0;
    lua_pop(L, 1);
    return found;
}

static int k_position(lua_State *L)
{
    consumer_t *c = check_open(L, "position");
    const char *topic = luaL_checkstring(L, 2);
    int32_t p = tp_partition(L, 3, "c:position(topic, partition)");
    bool group = consumer_subscribed(c);
    if (group ? !consumer_assigned(c, topic, p) : !assigned(L, topic, p))
        return luaL_error(L, "consumer '%s': You can only check the position for partitions "
                          "assigned to this consumer.", consumer_name(c));
    int64_t pos = consumer_position(c, topic, p);
    if (pos < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)pos);
    return 1;
}

static char *copy_bytes(bytes_t b, int32_t *len)
{
    *len = b.len;
    if (bytes_is_null(b))
        return NULL;
    char *c = malloc((size_t)b.len + 1);
    if (!c)
        abort();
    if (b.len > 0)
        memcpy(c, b.p, (size_t)b.len);
    return c;
}

/* Records live only during this call: copy what the poll returns. */
static void poll_done(void *ctx, consumer_t *c, const consumer_record_t *recs, size_t n,
                      int16_t error, const char *what)
{
    waiter_t *wt = ctx;
    world_t *w = wt->rt->w;
    wt->done = true;
    wt->error = error;
    if (error != KERR_NONE) {
        wt->what = strdup(what ? what : kerr_name(error));
        if (!wt->what)
            abort();
    }
    wt->recs = n ? calloc(n, sizeof *wt->recs) : NULL;
    if (n && !wt->recs)
        abort();
    wt->n = n;
    for (size_t i = 0; i < n; i++) {
        wrec_t *r = &wt->recs[i];
        r->topic = world_intern(w, recs[i].topic);
        r->partition = recs[i].partition;
        r->offset = recs[i].offset;
        r->timestamp = recs[i].timestamp;
        r->key = copy_bytes(recs[i].key, &r->key_len);
        r->value = copy_bytes(recs[i].value, &r->value_len);
    }
    tasks_poke(wt->rt);
}

static int poll_k(lua_State *L, int status, lua_KContext ctx)
{
    waiter_t *wt = (waiter_t *)ctx;
    consumer_t *c = ((lcons_t *)lua_touserdata(L, 1))->c;
    if (wt->error != KERR_NONE) {
        const char *what = lua_pushstring(L, wt->what); /* anchored: wt goes now */
        waiter_free(wt);
        return cons_error(L, c, what);
    }
    lua_createtable(L, (int)wt->n, 0);
    for (size_t i = 0; i < wt->n; i++) {
        const wrec_t *r = &wt->recs[i];
        push_position(L, r->topic, r->partition, r->offset, 6);
        rt_push_bytes(L, (bytes_t){ r->key, r->key ? r->key_len : -1 });
        lua_setfield(L, -2, "key");
        rt_push_bytes(L, (bytes_t){ r->value, r->value ? r->value_len : -1 });
        lua_setfield(L, -2, "value");
        rt_push_ms(L, r->timestamp);
        lua_setfield(L, -2, "timestamp");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    waiter_free(wt);
    return 1;
}

static int k_poll(lua_State *L)
{
    consumer_t *c = check_open(L, "poll");
    rt_t *rt = rt_get(L);
    int64_t us = rt_check_ms(L, 2, "c:poll(timeout_ms)", false);
    const char *why = rt_cannot_block(L, rt);
    if (why)
        return luaL_error(L, "c:poll() %s", why);
    /* A dead process's poll would never return; a task polling when it died hears the
     * same from the engine. */
    if (!consumer_node(c)->up)
        return luaL_error(L, "consumer '%s': its process crashed", consumer_name(c));
    if (consumer_polling(c))
        return luaL_error(L, "consumer '%s' is already polling in another task (a Kafka "
                          "consumer is not safe for use by several threads)", consumer_name(c));
    waiter_t *wt = waiter_new(rt);
    consumer_poll(c, us, poll_done, wt);
    return rt_block(L, "c:poll()", waiter_ready, wt, INT64_MAX, poll_k, (lua_KContext)wt);
}

/* Closing twice is allowed, as in Kafka. */
static int k_close(lua_State *L)
{
    lcons_t *k = rt_check_self(L, RT_CONSUMER, "close");
    if (!k->closed)
        consumer_close(k->c);
    k->closed = true;
    return 0;
}

static int k_name(lua_State *L)
{
    lua_pushstring(L, consumer_name(check_cons(L, "name")));
    return 1;
}

static int k_tostring(lua_State *L)
{
    lcons_t *k = luaL_checkudata(L, 1, RT_CONSUMER);
    lua_pushfstring(L, "consumer '%s'", consumer_name(k->c));
    return 1;
}

void bind_clients_open(lua_State *L)
{
    static const luaL_Reg prod[] = {
        { "send", p_send },   { "flush", p_flush },
        { "close", p_close }, { "name", p_name },
        { "producer_id", p_producer_id },
        { "init_transactions", p_init_transactions },
        { "begin_transaction", p_begin_transaction },
        { "send_offsets_to_transaction", p_send_offsets_to_transaction },
        { "commit_transaction", p_commit_transaction },
        { "abort_transaction", p_abort_transaction },
        { "transaction_state", p_transaction_state },
        { NULL, NULL },
    };
    rt_new_class(L, RT_PRODUCER, prod, p_tostring);
    static const luaL_Reg fut[] = {
        { "get", f_get }, { "done", f_done }, { NULL, NULL },
    };
    rt_new_class(L, RT_FUTURE, fut, f_tostring);
    static const luaL_Reg cons[] = {
        { "assign", k_assign },
        { "seek", k_seek },
        { "seek_to_beginning", k_seek_to_beginning },
        { "seek_to_end", k_seek_to_end },
        { "position", k_position },
        { "poll", k_poll },
        { "close", k_close },
        { "name", k_name },
        { NULL, NULL },
    };
    rt_new_class(L, RT_CONSUMER, cons, k_tostring);
}

void bind_clients_free(rt_t *rt)
{
    for (int i = 0; i < rt->n_prods; i++) {
        free(rt->prods[i]->has_cb);
        free(rt->prods[i]);
    }
    free(rt->prods);
    rt->prods = NULL;
    rt->n_prods = 0;
}
