/* bind_compare: ksim.compare_assignors{...}, every assignor over a history of group
 * changes (sim/client/assignors/compare.h), from a scenario: the history read from Lua
 * tables as HISTORY.json is read by `ksim compare-assignors`, and the answer (metrics,
 * settled assignments, each round) built as Lua tables once the comparison is done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bind_assign.h"

/* ---- ksim.compare_assignors: the history ---- */

static const char *const actions[] = { "join",      "leave",    "crash", "add_partitions",
                                       "subscribe", "together", NULL };
enum { A_JOIN, A_LEAVE, A_CRASH, A_PARTITIONS, A_SUBSCRIBE, A_TOGETHER };
static const char *const action_keys[][6] = {
    { "join", "topics", "instance", "rack", "label", NULL },
    { "leave", "label", NULL },
    { "crash", "label", NULL },
    { "add_partitions", "total", "racks", "label", NULL },
    { "subscribe", "topics", "label", NULL },
    { "together", "label", NULL },
};
static const compare_change_kind_t kinds[] = { COMPARE_JOIN, COMPARE_LEAVE, COMPARE_CRASH,
                                               COMPARE_PARTITIONS, COMPARE_SUBSCRIBE };

typedef struct hist {
    const char *fn;
    lassign_scratch_t *s;
    lassign_topics_t tp;
    compare_step_t *steps;
    int32_t nsteps;
    bool has_members;
    compare_strategy_t *st;
    int32_t nst;
} hist_t;

static int action_of(lua_State *L, int idx, const char *what)
{
    int found = -1;
    for (int a = 0; actions[a]; a++) {
        bool has = lassign_field(L, idx, actions[a]) != LUA_TNIL;
        lua_pop(L, 1);
        if (has && found >= 0)
            luaL_error(L, "%s: a change has one action, this one has '%s' and '%s' (changes "
                       "that happen together go in together = {...})", what, actions[found],
                       actions[a]);
        found = has ? a : found;
    }
    if (found < 0) {
        luaL_error(L, "%s: a change needs one of: join, leave, crash, add_partitions, "
                   "subscribe, together", what);
        return 0;
    }
    return found;
}

/* The change at the top of the stack; returns its action. */
static int read_change(lua_State *L, hist_t *h, const char *what, compare_change_t *c,
                       bool top)
{
    lassign_table(L, -1, what);
    int idx = lua_gettop(L);
    int a = action_of(L, idx, what);
    rt_check_keys(L, idx, what, action_keys[a]);
    if (!top && (a == A_TOGETHER || lassign_field(L, idx, "label") != LUA_TNIL))
        luaL_error(L, "%s: %s belongs to a step, not to a change inside together", what,
                   a == A_TOGETHER ? "together" : "a label");
    if (!top)
        lua_pop(L, 1);
    if (a == A_TOGETHER)
        return a;
    *c = (compare_change_t){ .kind = kinds[a] };
    if (a == A_PARTITIONS) {
        c->topic = lassign_topic(L, &h->tp, lassign_string(L, idx, actions[a], what, true), what);
        lassign_field(L, idx, "total");
        c->partitions = lassign_whole(L, -1, "add_partitions: total", 1);
        lua_pop(L, 1);
        return a;
    }
    c->member = lassign_string(L, idx, actions[a], what, true);
    c->instance = a == A_JOIN ? lassign_string(L, idx, "instance", what, false) : NULL;
    c->rack = a == A_JOIN ? lassign_string(L, idx, "rack", what, false) : NULL;
    if (a == A_JOIN || a == A_SUBSCRIBE) {
        if (lassign_field(L, idx, "topics") == LUA_TNIL)
            luaL_error(L, "%s: '%s' needs 'topics'", what, actions[a]);
        c->topics = lassign_subscription(L, what, &h->tp, h->s, &c->ntopics);
        lua_pop(L, 1);
    }
    return a;
}

/* steps[i] at the top of the stack into h->steps[s]. */
static void read_step(lua_State *L, hist_t *h, int32_t i, int32_t s)
{
    char what[300];
    snprintf(what, sizeof what, "%s: steps[%d]", h->fn, i + 1);
    compare_step_t *st = &h->steps[s];
    compare_change_t *one = lassign_calloc(h->s, 1, sizeof *one);
    int a = read_change(L, h, what, one, true);
    st->label = lassign_string(L, -1, "label", what, false);
    if (a != A_TOGETHER) {
        st->changes = one;
        st->nchanges = 1;
        return;
    }
    lassign_field(L, -1, "together");
    if (!lua_istable(L, -1) || lua_rawlen(L, -1) == 0)
        luaL_error(L, "%s: together must be a non-empty list of changes", what);
    st->nchanges = (int32_t)lua_rawlen(L, -1);
    compare_change_t *changes = lassign_calloc(h->s, (size_t)st->nchanges, sizeof *changes);
    for (int32_t j = 0; j < st->nchanges; j++) {
        char where[400];
        snprintf(where, sizeof where, "%s.together[%d]", what, j + 1);
        lua_rawgeti(L, -1, j + 1);
        read_change(L, h, where, &changes[j], false);
        lua_pop(L, 1);
    }
    st->changes = changes;
    lua_pop(L, 1);
}

/* members = {...}: the group that forms first, step 0. */
static void read_first_group(lua_State *L, hist_t *h)
{
    int32_t n = (int32_t)lua_rawlen(L, -1);
    if (!lua_istable(L, -1) || n == 0)
        luaL_error(L, "%s: members must be a non-empty list (the group that forms first)",
                   h->fn);
    compare_change_t *changes = lassign_calloc(h->s, (size_t)n, sizeof *changes);
    for (int32_t i = 0; i < n; i++) {
        assign_member_t m;
        lua_rawgeti(L, -1, i + 1);
        lassign_member(L, h->fn, i, &h->tp, &m, false, h->s);
        changes[i] = (compare_change_t){ COMPARE_JOIN, m.id, m.instance, m.rack, m.topics,
                                         m.ntopics, 0, 0 };
        lua_pop(L, 1);
    }
    h->steps[0] = (compare_step_t){ changes, n, NULL };
}

static void read_steps(lua_State *L, hist_t *h)
{
    bool members = lassign_field(L, 1, "members") != LUA_TNIL;
    int steps_type = lassign_field(L, 1, "steps");
    if (steps_type != LUA_TNIL)
        lassign_table(L, -1, "ksim.compare_assignors: steps");
    int32_t n = steps_type == LUA_TNIL ? 0 : (int32_t)lua_rawlen(L, -1);
    h->has_members = members;
    h->nsteps = (int32_t)members + n;
    if (h->nsteps == 0)
        luaL_error(L, "%s: no members and no steps: nothing happens", h->fn);
    h->steps = lassign_calloc(h->s, (size_t)h->nsteps, sizeof *h->steps);
    for (int32_t i = 0; i < n; i++) {
        lua_rawgeti(L, -1, i + 1);
        read_step(L, h, i, (int32_t)members + i);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (members)
        read_first_group(L, h);
    lua_pop(L, 1);
}

/* The racks of partitions that add_partitions creates, walking the steps again. */
static void read_new_racks(lua_State *L, hist_t *h, assign_replicas_t **room)
{
    int32_t *count = lassign_calloc(h->s, (size_t)h->tp.n, sizeof *count);
    for (int32_t t = 0; t < h->tp.n; t++)
        count[t] = h->tp.t[t].partitions;
    lassign_field(L, 1, "steps");
    for (int32_t i = 0; i + (int32_t)h->has_members < h->nsteps; i++) {
        const compare_step_t *st = &h->steps[i + (int32_t)h->has_members];
        lua_rawgeti(L, -1, i + 1);
        bool together = lassign_field(L, -1, "together") != LUA_TNIL;
        for (int32_t j = 0; j < st->nchanges; j++) {
            const compare_change_t *c = &st->changes[j];
            int32_t t = c->topic, from = count[t];
            if (c->kind != COMPARE_PARTITIONS || c->partitions <= from)
                continue; /* shrinking is the comparison's error to report */
            if (together)
                lua_rawgeti(L, -1, j + 1);
            else
                lua_pushvalue(L, -2);
            if (lassign_field(L, -1, "racks") != LUA_TNIL) {
                char what[300];
                snprintf(what, sizeof what, "%s: steps[%d]: racks", h->fn, i + 1);
                lassign_racks(L, what, from, c->partitions - from, room[t] + from, h->s);
                h->tp.t[t].replicas = room[t];
            }
            lua_pop(L, 2);
            count[t] = c->partitions;
        }
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
}

/* Room for the racks of every partition each topic will have, then the racks. */
static void read_history_racks(lua_State *L, hist_t *h)
{
    int32_t *most = lassign_calloc(h->s, (size_t)h->tp.n, sizeof *most);
    compare_history_t hist = { h->tp.t, h->tp.n, h->steps, h->nsteps };
    compare_largest_counts(&hist, most);
    assign_replicas_t **room = lassign_racks_room(L, h->fn, &h->tp, most, h->s);
    lassign_partition_racks(L, 1, h->fn, &h->tp, room, h->s);
    read_new_racks(L, h, room);
}

static void read_strategies(lua_State *L, hist_t *h)
{
    if (lassign_field(L, 1, "strategies") == LUA_TNIL) {
        h->st = (compare_strategy_t *)compare_default_strategies;
        h->nst = COMPARE_NDEFAULT;
        lua_pop(L, 1);
        return;
    }
    h->nst = (int32_t)lua_rawlen(L, -1);
    if (!lua_istable(L, -1) || h->nst == 0)
        luaL_error(L, "%s: strategies must be a non-empty list of names, like \"range\" or "
                   "\"cooperative-sticky/eager\"", h->fn);
    h->st = lassign_calloc(h->s, (size_t)h->nst, sizeof *h->st);
    for (int32_t k = 0; k < h->nst; k++) {
        char err[300];
        if (lua_rawgeti(L, -1, k + 1) != LUA_TSTRING)
            luaL_error(L, "%s: strategies[%d] must be a name", h->fn, k + 1);
        if (!compare_strategy_parse(lua_tostring(L, -1), &h->st[k], err, sizeof err))
            luaL_error(L, "%s: strategies[%d]: %s", h->fn, k + 1, err);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* ---- ksim.compare_assignors: what the observer saw ---- */

/* A round (round >= 1) or the state a step settled in (round 0). */
typedef struct rec {
    int32_t step, strategy, round, generation, n;
    const char **ids;
    int64_t *first, *rfirst;  /* assigned (round 0: owned) and revoked */
    assign_tp_t *tps, *rtps;
} rec_t;

typedef struct recs {
    lassign_scratch_t *s;
    rec_t *v;
    size_t n, cap;
} recs_t;

static rec_t *rec_new(recs_t *r, int32_t step, int32_t k, const assign_group_t *g)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        rec_t *v = lassign_calloc(r->s, r->cap, sizeof *v);
        if (r->n)
            memcpy(v, r->v, r->n * sizeof *v);
        r->v = v;
    }
    rec_t *x = &r->v[r->n++];
    *x = (rec_t){ .step = step, .strategy = k, .n = g->nmembers };
    x->ids = lassign_calloc(r->s, (size_t)g->nmembers, sizeof *x->ids);
    for (int32_t m = 0; m < g->nmembers; m++)
        x->ids[m] = g->members[m].id;
    return x;
}

static void copy_tps(recs_t *r, int32_t n, const int64_t *first, const assign_tp_t *tps,
                     int64_t **out_first, assign_tp_t **out_tps)
{
    *out_first = lassign_calloc(r->s, (size_t)n + 1, sizeof **out_first);
    memcpy(*out_first, first, ((size_t)n + 1) * sizeof **out_first);
    *out_tps = lassign_calloc(r->s, (size_t)first[n], sizeof **out_tps);
    if (first[n] > 0)
        memcpy(*out_tps, tps, (size_t)first[n] * sizeof **out_tps);
}

static void on_round(void *ctx, const compare_round_t *x)
{
    recs_t *r = ctx;
    rec_t *rec = rec_new(r, x->step, x->strategy, x->group);
    rec->round = x->round;
    rec->generation = x->generation;
    copy_tps(r, rec->n, x->assigned->first, x->assigned->tps, &rec->first, &rec->tps);
    copy_tps(r, rec->n, x->revoked->first, x->revoked->tps, &rec->rfirst, &rec->rtps);
}

static void on_settled(void *ctx, int32_t step, int32_t k, const assign_group_t *g)
{
    recs_t *r = ctx;
    rec_t *rec = rec_new(r, step, k, g);
    rec->first = lassign_calloc(r->s, (size_t)g->nmembers + 1, sizeof *rec->first);
    for (int32_t m = 0; m < g->nmembers; m++)
        rec->first[m + 1] = rec->first[m] + g->members[m].nowned;
    rec->tps = lassign_calloc(r->s, (size_t)rec->first[g->nmembers], sizeof *rec->tps);
    for (int32_t m = 0; m < g->nmembers; m++)
        if (g->members[m].nowned > 0)
            memcpy(rec->tps + rec->first[m], g->members[m].owned,
                   (size_t)g->members[m].nowned * sizeof *rec->tps);
}

/* ---- ksim.compare_assignors: the answer ---- */

static void set_int(lua_State *L, const char *key, int64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, key);
}

static void push_metrics(lua_State *L, const compare_metrics_t *m)
{
    lua_createtable(L, 0, COMPARE_NMETRICS + 2);
    for (int i = 0; i < COMPARE_NMETRICS; i++)
        set_int(L, compare_metric_names[i], compare_metric(m, i));
}

static const char *strategy_name(const hist_t *h, int32_t k, char *buf, size_t n)
{
    return compare_strategy_name(&h->st[k], buf, n);
}

/* steps[s + 1] = { step, label, members, partitions, rebalance, [strategy] = metrics }. */
static void push_steps(lua_State *L, const hist_t *h, const compare_history_t *hist,
                       const compare_result_t *r)
{
    lua_createtable(L, r->nsteps, 0);
    for (int32_t s = 0; s < r->nsteps; s++) {
        char label[300], buf[64];
        lua_createtable(L, 0, 5 + r->nstrategies);
        set_int(L, "step", s + (h->has_members ? 0 : 1));
        lua_pushstring(L, compare_describe_step(hist, s, label, sizeof label));
        lua_setfield(L, -2, "label");
        set_int(L, "members", r->info[s].members);
        set_int(L, "partitions", r->info[s].partitions);
        lua_pushboolean(L, r->info[s].rebalance);
        lua_setfield(L, -2, "rebalance");
        for (int32_t k = 0; k < r->nstrategies; k++) {
            push_metrics(L, compare_at(r, s, k));
            lua_newtable(L);
            lua_setfield(L, -2, "round");
            lua_setfield(L, -2, strategy_name(h, k, buf, sizeof buf));
        }
        lua_rawseti(L, -2, s + 1);
    }
}

/* Puts each record in its step's strategy table (the steps list on the top). */
static void attach(lua_State *L, const hist_t *h, const recs_t *recs)
{
    for (size_t i = 0; i < recs->n; i++) {
        const rec_t *x = &recs->v[i];
        char buf[64];
        lua_rawgeti(L, -1, x->step + 1);
        lua_getfield(L, -1, strategy_name(h, x->strategy, buf, sizeof buf));
        lassign_push_tps(L, &h->tp, x->ids, x->n, x->first, x->tps);
        if (x->round == 0) {
            lua_setfield(L, -2, "assignment");
        } else {
            lua_createtable(L, 0, 3);
            lua_insert(L, -2);
            lua_setfield(L, -2, "assigned");
            lassign_push_tps(L, &h->tp, x->ids, x->n, x->rfirst, x->rtps);
            lua_setfield(L, -2, "revoked");
            set_int(L, "generation", x->generation);
            lua_getfield(L, -2, "round");
            lua_insert(L, -2);
            lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
            lua_pop(L, 1);
        }
        lua_pop(L, 2);
    }
}

static void push_answer(lua_State *L, const hist_t *h, const compare_history_t *hist,
                        const compare_result_t *r, const recs_t *recs)
{
    char buf[64];
    lua_createtable(L, 0, 3);
    lua_createtable(L, h->nst, 0);
    for (int32_t k = 0; k < h->nst; k++) {
        lua_pushstring(L, strategy_name(h, k, buf, sizeof buf));
        lua_rawseti(L, -2, k + 1);
    }
    lua_setfield(L, -2, "strategies");
    push_steps(L, h, hist, r);
    attach(L, h, recs);
    lua_setfield(L, -2, "steps");
    lua_createtable(L, 0, h->nst);
    for (int32_t k = 0; k < h->nst; k++) {
        push_metrics(L, &r->total[k]);
        lua_setfield(L, -2, strategy_name(h, k, buf, sizeof buf));
    }
    lua_setfield(L, -2, "total");
}

static int compare_error(lua_State *L, const hist_t *h, const compare_history_t *hist,
                         const compare_error_t *e)
{
    char label[300], buf[64], where[400] = "topics";
    if (e->step >= 0)
        snprintf(where, sizeof where, "step %d (%s)", e->step + (h->has_members ? 0 : 1),
                 compare_describe_step(hist, e->step, label, sizeof label));
    if (e->strategy >= 0)
        return luaL_error(L, "%s: %s: %s: %s", h->fn, where,
                          strategy_name(h, e->strategy, buf, sizeof buf), e->msg);
    return luaL_error(L, "%s: %s: %s", h->fn, where, e->msg);
}

int bind_compare_assignors(lua_State *L)
{
    static const char *const keys[] = { "topics", "members",         "steps",
                                        "strategies", "partition_racks", NULL };
    hist_t h = { .fn = "ksim.compare_assignors" };
    lassign_table(L, 1, "ksim.compare_assignors{...}: the history");
    lua_settop(L, 1);
    rt_check_keys(L, 1, h.fn, keys);
    h.s = lassign_scratch(L);
    lassign_topics(L, 1, h.fn, h.s, &h.tp);
    read_steps(L, &h);
    read_history_racks(L, &h);
    read_strategies(L, &h);
    compare_history_t hist = { h.tp.t, h.tp.n, h.steps, h.nsteps };
    recs_t recs = { .s = h.s };
    compare_observer_t obs = { on_round, on_settled, &recs };
    compare_result_t r;
    compare_error_t e;
    if (!compare_run(&hist, h.st, h.nst, &obs, &r, &e))
        return compare_error(L, &h, &hist, &e);
    lassign_keep(h.s, r.info);
    lassign_keep(h.s, r.metrics);
    lassign_keep(h.s, r.total);
    push_answer(L, &h, &hist, &r, &recs);
    return 1;
}

