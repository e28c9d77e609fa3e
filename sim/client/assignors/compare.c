/* compare: every strategy replays the history on a group of its own (compare_group.c).
 * A first pass checks the history and notes which steps make the group rebalance (the
 * same for every strategy); then each strategy applies the steps, runs its rounds as its
 * protocol does and measures. */
#include "compare.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assign_internal.h"
#include "compare_internal.h"
#include "sim/core/suggest.h"

/* A cooperative rebalance settles in two rounds; more would be an assignor that keeps
 * taking back what it just gave. */
#define MAX_ROUNDS 8

const compare_strategy_t compare_default_strategies[COMPARE_NDEFAULT] = {
    { "range", COMPARE_EAGER },
    { "roundrobin", COMPARE_EAGER },
    { "sticky", COMPARE_EAGER },
    { "cooperative-sticky", COMPARE_COOPERATIVE },
};

const char *compare_protocol_name(compare_protocol_t p)
{
    return p == COMPARE_COOPERATIVE ? "cooperative" : "eager";
}

static bool is_cooperative_sticky(const char *assignor)
{
    return strcmp(assignor, "cooperative-sticky") == 0;
}

/* ConsumerCoordinator picks the highest protocol every assignor supports. */
static compare_protocol_t default_protocol(const char *assignor)
{
    return is_cooperative_sticky(assignor) ? COMPARE_COOPERATIVE : COMPARE_EAGER;
}

/* Whether Kafka lets the assignor run under the protocol. */
static bool supported(const compare_strategy_t *s, char *err, size_t errlen)
{
    if (!assign_known(s->assignor)) {
        snprintf(err, errlen, "unknown assignor '%s' (known: %s)", s->assignor, ASSIGN_NAMES);
        return false;
    }
    if (s->protocol == COMPARE_COOPERATIVE && !is_cooperative_sticky(s->assignor)) {
        snprintf(err, errlen, "%s supports only the eager protocol (Kafka 3.9: its "
                 "supportedProtocols() is [EAGER]; only cooperative-sticky supports "
                 "COOPERATIVE)", s->assignor);
        return false;
    }
    return true;
}

static const char *const assignor_names[] = { "range", "roundrobin", "sticky",
                                              "cooperative-sticky" };

bool compare_strategy_parse(const char *text, compare_strategy_t *out, char *err,
                            size_t errlen)
{
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    const char *name = NULL;
    for (size_t i = 0; i < sizeof assignor_names / sizeof assignor_names[0]; i++)
        if (strlen(assignor_names[i]) == len && strncmp(text, assignor_names[i], len) == 0)
            name = assignor_names[i];
    if (!name) {
        char word[128];
        snprintf(word, sizeof word, "%.*s", (int)len, text);
        const char *near = suggest_closest(word, assignor_names, 4);
        snprintf(err, errlen, "unknown assignor '%s' (%s%s%sknown: %s)", word,
                 near ? "did you mean '" : "", near ? near : "", near ? "'? " : "",
                 ASSIGN_NAMES);
        return false;
    }
    out->assignor = name;
    out->protocol = default_protocol(name);
    if (!slash)
        return true;
    if (strcmp(slash + 1, "eager") == 0) {
        out->protocol = COMPARE_EAGER;
    } else if (strcmp(slash + 1, "cooperative") == 0) {
        out->protocol = COMPARE_COOPERATIVE;
    } else {
        snprintf(err, errlen, "unknown protocol '%s' in '%s' (eager or cooperative)",
                 slash + 1, text);
        return false;
    }
    return supported(out, err, errlen);
}

const char *compare_strategy_name(const compare_strategy_t *s, char *buf, size_t n)
{
    if (s->protocol == default_protocol(s->assignor))
        return s->assignor;
    snprintf(buf, n, "%s/%s", s->assignor, compare_protocol_name(s->protocol));
    return buf;
}

/* ---- describing a step ---- */

static size_t describe_change(const compare_history_t *h, const compare_change_t *c,
                              char *buf, size_t n)
{
    static const char *const verbs[] = { "joins", "leaves", "crashes", "", "subscribes to" };
    if (c->kind == COMPARE_PARTITIONS)
        return (size_t)snprintf(buf, n, "%s grows to %d partition%s",
                                h->topics[c->topic].name, c->partitions,
                                c->partitions == 1 ? "" : "s");
    size_t used = (size_t)snprintf(buf, n, "%s %s", c->member, verbs[c->kind]);
    for (int32_t i = 0; c->kind == COMPARE_SUBSCRIBE && i < c->ntopics && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : " ",
                                 h->topics[c->topics[i]].name);
    if (c->kind == COMPARE_SUBSCRIBE && c->ntopics == 0 && used < n)
        used += (size_t)snprintf(buf + used, n - used, " nothing");
    return used;
}

/* "C1, C2 join" for a step whose changes are all joins (or all leaves, or all crashes). */
static bool describe_alike(const compare_step_t *s, char *buf, size_t n)
{
    static const char *const plural[] = { "join", "leave", "crash" };
    compare_change_kind_t kind = s->changes[0].kind;
    if (s->nchanges < 2 || kind > COMPARE_CRASH)
        return false;
    for (int32_t i = 1; i < s->nchanges; i++)
        if (s->changes[i].kind != kind)
            return false;
    size_t used = 0;
    for (int32_t i = 0; i < s->nchanges && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%s", i ? ", " : "",
                                 s->changes[i].member);
    if (used < n)
        snprintf(buf + used, n - used, " %s", plural[kind]);
    return true;
}

const char *compare_describe_step(const compare_history_t *h, int32_t step, char *buf,
                                  size_t n)
{
    const compare_step_t *s = &h->steps[step];
    buf[0] = '\0';
    if (s->label) {
        snprintf(buf, n, "%s", s->label);
        return buf;
    }
    if (describe_alike(s, buf, n))
        return buf;
    size_t used = 0;
    for (int32_t i = 0; i < s->nchanges && used < n; i++) {
        if (i > 0)
            used += (size_t)snprintf(buf + used, n - used, "; ");
        if (used < n)
            used += describe_change(h, &s->changes[i], buf + used, n - used);
    }
    return buf;
}

void compare_largest_counts(const compare_history_t *h, int32_t *most)
{
    for (int32_t t = 0; t < h->ntopics; t++)
        most[t] = h->topics[t].partitions;
    for (int32_t s = 0; s < h->nsteps; s++)
        for (int32_t j = 0; j < h->steps[s].nchanges; j++) {
            const compare_change_t *c = &h->steps[s].changes[j];
            if (c->kind == COMPARE_PARTITIONS && c->topic >= 0 && c->topic < h->ntopics &&
                c->partitions > most[c->topic])
                most[c->topic] = c->partitions;
        }
}

const char *const compare_metric_names[COMPARE_NMETRICS] = { "min",   "max",     "spread",
                                                             "moved", "revoked", "rounds" };

int64_t compare_metric(const compare_metrics_t *m, int i)
{
    const int64_t v[COMPARE_NMETRICS] = { m->min, m->max, m->spread, m->moved, m->revoked,
                                          m->rounds };
    assert(i >= 0 && i < COMPARE_NMETRICS);
    return v[i];
}

/* ---- rounds ---- */

/* Partitions per member in assign_result_t's layout, built member by member. */
typedef struct tps {
    int64_t *first;
    assign_tp_t *tp;
    int64_t n, cap;
} tps_t;

static void tps_reset(tps_t *l, int32_t nmembers)
{
    free(l->first);
    l->first = assign_xcalloc((size_t)nmembers + 1, sizeof *l->first);
    l->n = 0;
}

static void tps_add(tps_t *l, assign_tp_t tp)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->tp = realloc(l->tp, (size_t)l->cap * sizeof *l->tp);
        assert(l->tp);
    }
    l->tp[l->n++] = tp;
}

static void tps_free(tps_t *l)
{
    free(l->first);
    free(l->tp);
}

/* One strategy's run. */
typedef struct run {
    compare_group_t g;
    const compare_history_t *h;
    compare_strategy_t st;
    int32_t k;
    const compare_observer_t *obs;
    const int64_t *base;
    int32_t *before; /* per flat partition: its owner's uid when the step began, or -1 */
    int32_t *mark;   /* per flat partition: scratch stamps */
    int32_t mark_now;
    assign_topic_t *topics;
    assign_member_t *members;
    int32_t members_cap;
    tps_t pre;       /* cooperative: revoked before joining */
    tps_t revoked;
} run_t;

static int64_t flat(const run_t *r, assign_tp_t tp)
{
    return r->base[tp.topic] + tp.partition;
}

static int32_t next_mark(run_t *r)
{
    if (r->mark_now == INT32_MAX) {
        memset(r->mark, 0, ((size_t)r->base[r->h->ntopics] + 1) * sizeof *r->mark);
        r->mark_now = 0;
    }
    return ++r->mark_now;
}

static bool owned_reported(const run_t *r)
{
    /* EAGER: ownedPartitions is empty; StickyAssignor's user data has the old assignment. */
    return r->st.protocol == COMPARE_COOPERATIVE || strcmp(r->st.assignor, "sticky") == 0;
}

/* The group as its members describe themselves in JoinGroup. */
static assign_group_t group_view(run_t *r, bool with_owned)
{
    compare_group_t *g = &r->g;
    if (g->n > r->members_cap) {
        r->members_cap = g->n * 2;
        free(r->members);
        r->members = assign_xmalloc((size_t)r->members_cap * sizeof *r->members);
    }
    for (int32_t t = 0; t < r->h->ntopics; t++) {
        r->topics[t] = r->h->topics[t];
        r->topics[t].partitions = g->count[t];
    }
    for (int32_t i = 0; i < g->n; i++) {
        const compare_member_t *m = &g->m[i];
        r->members[i] = (assign_member_t){ m->id, m->instance, m->rack, m->topics, m->ntopics,
                                           with_owned ? m->owned : NULL,
                                           with_owned ? m->nowned : 0, m->generation };
    }
    return (assign_group_t){ r->topics, r->h->ntopics, r->members, g->n, 0, false };
}

/* COOPERATIVE onJoinPrepare: a member revokes the partitions of topics it left. */
static void revoke_unsubscribed(run_t *r)
{
    compare_group_t *g = &r->g;
    tps_reset(&r->pre, g->n);
    for (int32_t i = 0; i < g->n; i++) {
        compare_member_t *m = &g->m[i];
        int32_t s = compare_group_stamp(g), kept = 0;
        for (int32_t k = 0; k < m->ntopics; k++)
            g->stamp[m->topics[k]] = s;
        for (int32_t k = 0; k < m->nowned; k++) {
            if (g->stamp[m->owned[k].topic] == s)
                m->owned[kept++] = m->owned[k];
            else
                tps_add(&r->pre, m->owned[k]);
        }
        m->nowned = kept;
        r->pre.first[i + 1] = r->pre.n;
    }
}

/* What each member revokes in the round: eager, all it had; cooperative, what it revoked
 * before joining and what it owned but was not given. Returns the post-round count. */
static int64_t collect_revoked(run_t *r, const assign_result_t *res, bool first_round)
{
    compare_group_t *g = &r->g;
    bool coop = r->st.protocol == COMPARE_COOPERATIVE;
    int64_t after = 0;
    tps_reset(&r->revoked, g->n);
    for (int32_t i = 0; i < g->n; i++) {
        const compare_member_t *m = &g->m[i];
        for (int64_t k = coop && first_round ? r->pre.first[i] : 0;
             coop && first_round && k < r->pre.first[i + 1]; k++)
            tps_add(&r->revoked, r->pre.tp[k]);
        int32_t s = next_mark(r);
        for (int64_t k = res->first[i]; coop && k < res->first[i + 1]; k++)
            r->mark[flat(r, res->tps[k])] = s;
        for (int32_t k = 0; k < m->nowned; k++)
            if (!coop || r->mark[flat(r, m->owned[k])] != s) {
                tps_add(&r->revoked, m->owned[k]);
                after += coop;
            }
        r->revoked.first[i + 1] = r->revoked.n;
    }
    return after;
}

static void take_assignment(run_t *r, const assign_result_t *res)
{
    compare_group_t *g = &r->g;
    g->generation++;
    for (int32_t i = 0; i < g->n; i++) {
        compare_member_t *m = &g->m[i];
        int32_t n = (int32_t)(res->first[i + 1] - res->first[i]);
        if (n > m->cap) {
            m->cap = n;
            free(m->owned);
            m->owned = assign_xmalloc((size_t)n * sizeof *m->owned);
        }
        if (n > 0)
            memcpy(m->owned, res->tps + res->first[i], (size_t)n * sizeof *m->owned);
        m->nowned = n;
        m->generation = g->generation;
    }
}

/* One JoinGroup/SyncGroup round; *again when a member revoked something after it. */
static bool round_once(run_t *r, int32_t round, compare_metrics_t *mt, bool *again)
{
    if (round == 1 && r->st.protocol == COMPARE_COOPERATIVE)
        revoke_unsubscribed(r);
    assign_group_t view = group_view(r, owned_reported(r));
    assign_result_t res;
    compare_error_t *err = r->g.err;
    if (!assign_run(r->st.assignor, &view, &res, err->msg, sizeof err->msg)) {
        err->step = r->g.step;
        err->change = -1;
        err->strategy = r->k;
        return false;
    }
    int64_t after = collect_revoked(r, &res, round == 1);
    mt->revoked += r->revoked.n;
    mt->rounds = round;
    *again = after > 0;
    if (r->obs && r->obs->round) {
        assign_result_t rev = { view.nmembers, r->revoked.first, r->revoked.tp, 0 };
        compare_round_t info = { .step = r->g.step, .strategy = r->k, .round = round,
                                 .generation = r->g.generation + 1, .group = &view,
                                 .assigned = &res, .revoked = &rev };
        r->obs->round(r->obs->ctx, &info);
    }
    take_assignment(r, &res);
    assign_result_free(&res);
    return true;
}

static bool rebalance(run_t *r, compare_metrics_t *mt)
{
    bool again = true;
    for (int32_t round = 1; again; round++) {
        if (round > MAX_ROUNDS) {
            compare_error_t *err = r->g.err;
            snprintf(err->msg, sizeof err->msg, "%s was still revoking partitions after %d "
                     "rounds", r->st.assignor, MAX_ROUNDS);
            err->step = r->g.step;
            err->change = -1;
            err->strategy = r->k;
            return false;
        }
        if (!round_once(r, round, mt, &again))
            return false;
    }
    return true;
}

/* ---- measuring ---- */

static void remember_owners(run_t *r)
{
    for (int64_t f = 0; f < r->base[r->h->ntopics]; f++)
        r->before[f] = -1;
    for (int32_t i = 0; i < r->g.n; i++)
        for (int32_t k = 0; k < r->g.m[i].nowned; k++)
            r->before[flat(r, r->g.m[i].owned[k])] = r->g.m[i].uid;
}

static void measure(const run_t *r, compare_metrics_t *mt)
{
    for (int32_t i = 0; i < r->g.n; i++) {
        const compare_member_t *m = &r->g.m[i];
        if (i == 0 || m->nowned < mt->min)
            mt->min = m->nowned;
        if (i == 0 || m->nowned > mt->max)
            mt->max = m->nowned;
        for (int32_t k = 0; k < m->nowned; k++) {
            int32_t was = r->before[flat(r, m->owned[k])];
            mt->moved += was >= 0 && was != m->uid;
        }
    }
    mt->spread = mt->max - mt->min;
}

static void add_total(compare_metrics_t *total, const compare_metrics_t *mt, bool members,
                      bool first)
{
    total->moved += mt->moved;
    total->revoked += mt->revoked;
    total->rounds += mt->rounds;
    if (!members)
        return;
    total->min = first || mt->min < total->min ? mt->min : total->min;
    total->max = first || mt->max > total->max ? mt->max : total->max;
    total->spread = mt->spread > total->spread ? mt->spread : total->spread;
}

static bool run_strategy(run_t *r, compare_result_t *out)
{
    bool seen_members = false;
    compare_metrics_t *total = &out->total[r->k];
    for (int32_t s = 0; s < r->h->nsteps; s++) {
        compare_metrics_t *mt = (compare_metrics_t *)compare_at(out, s, r->k);
        remember_owners(r);
        int rb = compare_group_apply(&r->g, s);
        assert(rb >= 0); /* the first pass checked every change */
        if (rb > 0 && !rebalance(r, mt))
            return false;
        measure(r, mt);
        add_total(total, mt, r->g.n > 0, !seen_members);
        seen_members = seen_members || r->g.n > 0;
        if (r->obs && r->obs->settled) {
            assign_group_t view = group_view(r, true);
            r->obs->settled(r->obs->ctx, s, r->k, &view);
        }
    }
    return true;
}

static bool run_one(const compare_history_t *h, const compare_strategy_t *st, int32_t k,
                    const compare_observer_t *obs, const int64_t *base, compare_result_t *out,
                    compare_error_t *err)
{
    run_t r = { .h = h, .st = *st, .k = k, .obs = obs, .base = base };
    compare_group_init(&r.g, h, err);
    size_t nflat = (size_t)base[h->ntopics] + 1;
    r.before = assign_xmalloc(nflat * sizeof *r.before);
    r.mark = assign_xcalloc(nflat, sizeof *r.mark);
    r.topics = assign_xmalloc(((size_t)h->ntopics + 1) * sizeof *r.topics);
    bool ok = run_strategy(&r, out);
    compare_group_free(&r.g);
    free(r.before);
    free(r.mark);
    free(r.topics);
    free(r.members);
    tps_free(&r.pre);
    tps_free(&r.revoked);
    return ok;
}

bool compare_run(const compare_history_t *h, const compare_strategy_t *strategies,
                 int32_t nstrategies, const compare_observer_t *obs, compare_result_t *out,
                 compare_error_t *err)
{
    memset(out, 0, sizeof *out);
    *err = (compare_error_t){ -1, -1, -1, "" };
    out->nsteps = h->nsteps;
    out->nstrategies = nstrategies;
    out->info = assign_xcalloc((size_t)h->nsteps + 1, sizeof *out->info);
    out->metrics = assign_xcalloc((size_t)h->nsteps * (size_t)nstrategies + 1,
                                  sizeof *out->metrics);
    out->total = assign_xcalloc((size_t)nstrategies + 1, sizeof *out->total);
    int64_t *base = assign_xmalloc(((size_t)h->ntopics + 1) * sizeof *base);
    bool ok = true;
    for (int32_t k = 0; ok && k < nstrategies; k++) {
        ok = supported(&strategies[k], err->msg, sizeof err->msg);
        err->strategy = ok ? -1 : k;
    }
    ok = ok && compare_first_pass(h, out->info, base, err);
    for (int32_t k = 0; ok && k < nstrategies; k++)
        ok = run_one(h, &strategies[k], k, obs, base, out, err);
    free(base);
    if (!ok)
        compare_result_free(out);
    return ok;
}

void compare_result_free(compare_result_t *r)
{
    free(r->info);
    free(r->metrics);
    free(r->total);
    memset(r, 0, sizeof *r);
}
