/* compare_group: a consumer group as a history changes it, for one strategy's replay:
 * members in JoinGroup order with their subscriptions, what they own and their
 * generation; each change checked (a member joins once, leaves only if it joined, a topic
 * only grows) with the step and change at fault. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign_internal.h"
#include "compare_internal.h"

static bool bad(compare_group_t *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err->msg, sizeof g->err->msg, fmt, ap);
    va_end(ap);
    g->err->step = g->step;
    g->err->change = g->change;
    g->err->strategy = -1;
    return false;
}

void compare_group_init(compare_group_t *g, const compare_history_t *h, compare_error_t *err)
{
    memset(g, 0, sizeof *g);
    g->h = h;
    g->err = err;
    g->count = assign_xcalloc((size_t)h->ntopics + 1, sizeof *g->count);
    g->stamp = assign_xcalloc((size_t)h->ntopics + 1, sizeof *g->stamp);
    for (int32_t t = 0; t < h->ntopics; t++)
        g->count[t] = h->topics[t].partitions;
}

void compare_group_free(compare_group_t *g)
{
    for (int32_t i = 0; i < g->n; i++)
        free(g->m[i].owned);
    free(g->m);
    free(g->count);
    free(g->stamp);
}

static int32_t find_member(const compare_group_t *g, const char *id)
{
    for (int32_t i = 0; id && i < g->n; i++)
        if (strcmp(g->m[i].id, id) == 0)
            return i;
    return -1;
}

/* A fresh stamp for g->stamp (which is reset when the counter would wrap). */
int32_t compare_group_stamp(compare_group_t *g)
{
    if (g->stamp_now == INT32_MAX) {
        memset(g->stamp, 0, ((size_t)g->h->ntopics + 1) * sizeof *g->stamp);
        g->stamp_now = 0;
    }
    return ++g->stamp_now;
}

static bool check_subscription(compare_group_t *g, const compare_change_t *c)
{
    int32_t s = compare_group_stamp(g);
    for (int32_t i = 0; i < c->ntopics; i++) {
        int32_t t = c->topics[i];
        if (t < 0 || t >= g->h->ntopics)
            return bad(g, "member '%s' subscribes to topic number %d, but the history has %d "
                          "topic%s", c->member, t, g->h->ntopics, g->h->ntopics == 1 ? "" : "s");
        if (g->stamp[t] == s)
            return bad(g, "member '%s' subscribes to '%s' twice", c->member,
                       g->h->topics[t].name);
        g->stamp[t] = s;
    }
    return true;
}

/* Whether member i's subscription is the set c->topics (c checked already). */
static bool same_subscription(compare_group_t *g, int32_t i, const compare_change_t *c)
{
    if (g->m[i].ntopics != c->ntopics)
        return false;
    int32_t s = compare_group_stamp(g);
    for (int32_t k = 0; k < c->ntopics; k++)
        g->stamp[c->topics[k]] = s;
    for (int32_t k = 0; k < g->m[i].ntopics; k++)
        if (g->stamp[g->m[i].topics[k]] != s)
            return false;
    return true;
}

static const char *members_list(const compare_group_t *g, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int32_t i = 0; i < g->n && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "", g->m[i].id);
    return g->n ? buf : "none";
}

static bool join(compare_group_t *g, const compare_change_t *c)
{
    if (!c->member || !c->member[0])
        return bad(g, "a joining member needs an id");
    if (find_member(g, c->member) >= 0)
        return bad(g, "member '%s' is already in the group", c->member);
    if (g->n == COMPARE_MAX_MEMBERS)
        return bad(g, "member '%s' would be member %d, more than ksim compares (%d)", c->member,
                   COMPARE_MAX_MEMBERS + 1, COMPARE_MAX_MEMBERS);
    for (int32_t i = 0; c->instance && i < g->n; i++)
        if (g->m[i].instance && strcmp(g->m[i].instance, c->instance) == 0)
            return bad(g, "group.instance.id '%s' is already used by member '%s'",
                       c->instance, g->m[i].id);
    if (!check_subscription(g, c))
        return false;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->m = realloc(g->m, (size_t)g->cap * sizeof *g->m);
        assert(g->m);
    }
    g->m[g->n++] = (compare_member_t){ .uid = g->next_uid++, .id = c->member,
                                       .instance = c->instance, .rack = c->rack,
                                       .topics = c->topics, .ntopics = c->ntopics,
                                       .generation = ASSIGN_NO_GENERATION };
    return true;
}

static bool known_member(compare_group_t *g, const compare_change_t *c, int32_t *at)
{
    *at = find_member(g, c->member);
    if (*at >= 0)
        return true;
    char list[300];
    return bad(g, "no member '%s' in the group (members: %s)", c->member ? c->member : "",
               members_list(g, list, sizeof list));
}

static void drop_member(compare_group_t *g, int32_t i)
{
    free(g->m[i].owned);
    memmove(&g->m[i], &g->m[i + 1], (size_t)(g->n - i - 1) * sizeof *g->m);
    g->n--;
}

static bool grow_topic(compare_group_t *g, const compare_change_t *c)
{
    if (c->topic < 0 || c->topic >= g->h->ntopics)
        return bad(g, "topic number %d does not exist (the history has %d topic%s)", c->topic,
                   g->h->ntopics, g->h->ntopics == 1 ? "" : "s");
    const char *name = g->h->topics[c->topic].name;
    int32_t now = g->count[c->topic];
    if (c->partitions <= now)
        return bad(g, "topic '%s' has %d partition%s already; partitions can only be added "
                      "(Kafka refuses to go to %d)", name, now, now == 1 ? "" : "s",
                   c->partitions);
    g->count[c->topic] = c->partitions;
    return true;
}

static bool subscribed_by_any(const compare_group_t *g, int32_t t)
{
    for (int32_t i = 0; i < g->n; i++)
        for (int32_t k = 0; k < g->m[i].ntopics; k++)
            if (g->m[i].topics[k] == t)
                return true;
    return false;
}

/* Applies one change; *rebalance is set when it calls for one on its own. */
static bool apply_change(compare_group_t *g, const compare_change_t *c, bool *rebalance)
{
    int32_t at;
    switch (c->kind) {
    case COMPARE_JOIN:
        *rebalance = true;
        return join(g, c);
    case COMPARE_LEAVE:
    case COMPARE_CRASH:
        if (!known_member(g, c, &at))
            return false;
        drop_member(g, at);
        *rebalance = true;
        return true;
    case COMPARE_SUBSCRIBE:
        if (!known_member(g, c, &at) || !check_subscription(g, c))
            return false;
        *rebalance = *rebalance || !same_subscription(g, at, c);
        g->m[at].topics = c->topics;
        g->m[at].ntopics = c->ntopics;
        return true;
    case COMPARE_PARTITIONS:
        return grow_topic(g, c);
    }
    return bad(g, "unknown change kind %d", (int)c->kind);
}

/* Applies a step; -1 on a bad change, else whether the group rebalances. */
int compare_group_apply(compare_group_t *g, int32_t s)
{
    const compare_step_t *st = &g->h->steps[s];
    bool rebalance = false;
    g->step = s;
    g->change = -1;
    if (st->nchanges < 1) {
        bad(g, "a step needs at least one change");
        return -1;
    }
    for (int32_t i = 0; i < st->nchanges; i++) {
        g->change = i;
        if (!apply_change(g, &st->changes[i], &rebalance))
            return -1;
    }
    /* A subscribed topic that grows: the leader sees new metadata and rejoins. */
    for (int32_t i = 0; i < st->nchanges; i++)
        if (st->changes[i].kind == COMPARE_PARTITIONS)
            rebalance = rebalance || subscribed_by_any(g, st->changes[i].topic);
    return rebalance && g->n > 0;
}

static int64_t subscribed_partitions(compare_group_t *g)
{
    int32_t s = compare_group_stamp(g);
    int64_t total = 0;
    for (int32_t i = 0; i < g->n; i++)
        for (int32_t k = 0; k < g->m[i].ntopics; k++)
            if (g->stamp[g->m[i].topics[k]] != s) {
                g->stamp[g->m[i].topics[k]] = s;
                total += g->count[g->m[i].topics[k]];
            }
    return total;
}

/* ---- the first pass: the history itself ---- */

static int cmp_topic_names(int32_t a, int32_t b, const void *ctx)
{
    const assign_topic_t *ts = ctx;
    return strcmp(ts[a].name, ts[b].name);
}

static bool check_topics(const compare_history_t *h, compare_error_t *err)
{
    compare_group_t g;
    compare_group_init(&g, h, err);
    g.step = -1;
    g.change = -1;
    bool ok = true;
    int32_t *by_name = assign_xmalloc(((size_t)h->ntopics + 1) * sizeof *by_name);
    for (int32_t t = 0; ok && t < h->ntopics; t++) {
        by_name[t] = t;
        if (!h->topics[t].name || !h->topics[t].name[0])
            ok = bad(&g, "topic %d has no name", t);
        else if (h->topics[t].partitions < 0)
            ok = bad(&g, "topic '%s' has a negative partition count (%d)", h->topics[t].name,
                     h->topics[t].partitions);
    }
    /* sorted, so that many topics cost n log n comparisons, not n^2 */
    if (ok)
        assign_sort(by_name, (size_t)h->ntopics, cmp_topic_names, h->topics);
    for (int32_t i = 1; ok && i < h->ntopics; i++)
        if (strcmp(h->topics[by_name[i]].name, h->topics[by_name[i - 1]].name) == 0)
            ok = bad(&g, "topic '%s' is listed twice", h->topics[by_name[i]].name);
    free(by_name);
    compare_group_free(&g);
    return ok;
}

/* Checks every step and fills info; base[t] is where topic t's partitions start in a
 * flat index sized for the largest counts the history reaches. */
bool compare_first_pass(const compare_history_t *h, compare_step_info_t *info, int64_t *base,
                        compare_error_t *err)
{
    if (!check_topics(h, err))
        return false;
    compare_group_t g;
    compare_group_init(&g, h, err);
    bool ok = true;
    for (int32_t s = 0; ok && s < h->nsteps; s++) {
        int r = compare_group_apply(&g, s);
        ok = r >= 0;
        info[s] = (compare_step_info_t){ g.n, subscribed_partitions(&g), r > 0 };
    }
    int32_t *most = assign_xmalloc(((size_t)h->ntopics + 1) * sizeof *most);
    compare_largest_counts(h, most);
    base[0] = 0;
    for (int32_t t = 0; t < h->ntopics; t++)
        base[t + 1] = base[t] + most[t];
    if (ok && base[h->ntopics] > ASSIGN_MAX_PARTITIONS) {
        g.step = -1;
        g.change = -1;
        ok = bad(&g, "the topics reach %lld partitions in all, more than ksim assigns (%d)",
                 (long long)base[h->ntopics], ASSIGN_MAX_PARTITIONS);
    }
    free(most);
    compare_group_free(&g);
    return ok;
}

