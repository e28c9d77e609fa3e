/* Property tests for sim/client/assignors over random groups (SEEDS=N groups, default
 * 5000; a failure prints its seed). Each group runs through a few rebalances: members
 * come and go, change subscriptions and rejoin with what they got. Checked every time:
 *   - a partition goes to at most one member, and (except cooperative-sticky) every
 *     partition of a subscribed topic goes to someone;
 *   - only to a subscriber, except in the two cases where Kafka itself does otherwise
 *     (see sticky.c and sticky_general.c), which are counted and must be those cases;
 *   - sticky with equal subscriptions: counts differ by at most one, and every member
 *     keeps min(owned, minQuota) of its partitions (nothing moves that need not);
 *   - sticky, any subscriptions: two members whose counts differ by two or more share
 *     no topic (Kafka's verifyValidityAndBalance);
 *   - cooperative-sticky: no partition goes to a new member in the rebalance that
 *     revokes it from its old one, the answer is part of sticky's, and follow-up
 *     rebalances settle on a balanced assignment;
 *   - the same group always gives the same answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/client/assignors/assignor.h"
#include "sim/core/rng.h"
#include "tests/unit/tap.h"

enum { MAXT = 6, MAXP = 24, MAXM = 14 };

typedef struct rgroup {
    assign_topic_t topics[MAXT];
    char names[MAXT][16];
    assign_replicas_t reps[MAXT][MAXP];
    const char *racks[MAXT][MAXP][2];
    assign_member_t members[MAXM];
    char ids[MAXM][16];
    char instances[MAXM][16];
    int32_t subs[MAXM][MAXT];
    assign_tp_t owned[MAXM][MAXT * MAXP];
    assign_group_t g;
    bool racks_on;
} rgroup_t;

static const char *const RACKS[] = { "a", "b", "c" };
static int failures;

static void random_subscription(rng_t *r, rgroup_t *rg, int32_t m, const int32_t *common,
                                int32_t ncommon)
{
    assign_member_t *mb = &rg->members[m];
    mb->ntopics = 0;
    if (common) {
        memcpy(rg->subs[m], common, (size_t)ncommon * sizeof *common);
        mb->ntopics = ncommon;
        return;
    }
    for (int32_t t = 0; t < rg->g.ntopics; t++)
        if (rng_range(r, 0, 2) > 0)
            rg->subs[m][mb->ntopics++] = t;
}

static void random_group(rng_t *r, rgroup_t *rg)
{
    memset(rg, 0, sizeof *rg);
    rg->g.topics = rg->topics;
    rg->g.members = rg->members;
    rg->g.ntopics = (int32_t)rng_range(r, 1, MAXT);
    rg->racks_on = rng_range(r, 0, 3) == 0;
    for (int32_t t = 0; t < rg->g.ntopics; t++) {
        snprintf(rg->names[t], sizeof rg->names[t], "t%d", (int)t);
        rg->topics[t] = (assign_topic_t){ rg->names[t], (int32_t)rng_range(r, 0, 20), NULL };
        for (int32_t p = 0; rg->racks_on && p < rg->topics[t].partitions; p++) {
            int32_t n = (int32_t)rng_range(r, 1, 2);
            for (int32_t i = 0; i < n; i++)
                rg->racks[t][p][i] = RACKS[rng_range(r, 0, 2)];
            rg->reps[t][p] = (assign_replicas_t){ rg->racks[t][p], n };
        }
        if (rg->racks_on)
            rg->topics[t].replicas = rg->reps[t];
    }
    int32_t common[MAXT], ncommon = 0;
    for (int32_t t = 0; t < rg->g.ntopics; t++)
        if (rng_range(r, 0, 1))
            common[ncommon++] = t;
    bool equal = ncommon > 0 && rng_range(r, 0, 1);
    rg->g.nmembers = (int32_t)rng_range(r, 1, MAXM - 4);
    for (int32_t m = 0; m < rg->g.nmembers; m++) {
        snprintf(rg->ids[m], sizeof rg->ids[m], "c%d", (int)m);
        rg->members[m] = (assign_member_t){ .id = rg->ids[m], .topics = rg->subs[m],
                                            .owned = rg->owned[m],
                                            .generation = ASSIGN_NO_GENERATION };
        if (rng_range(r, 0, 4) == 0) {
            snprintf(rg->instances[m], sizeof rg->instances[m], "i%d", (int)(MAXM - m));
            rg->members[m].instance = rg->instances[m];
        }
        if (rg->racks_on && rng_range(r, 0, 4) > 0)
            rg->members[m].rack = RACKS[rng_range(r, 0, 2)];
        random_subscription(r, rg, m, equal ? common : NULL, ncommon);
    }
}

static bool subscribes(const assign_member_t *m, int32_t t)
{
    for (int32_t i = 0; i < m->ntopics; i++)
        if (m->topics[i] == t)
            return true;
    return false;
}

static int32_t owner_of(const assign_group_t *g, int32_t t, int32_t p, int32_t except)
{
    for (int32_t m = 0; m < g->nmembers; m++)
        for (int32_t i = 0; m != except && i < g->members[m].nowned; i++)
            if (g->members[m].owned[i].topic == t && g->members[m].owned[i].partition == p)
                return m;
    return -1;
}

static bool owns(const assign_member_t *m, int32_t t, int32_t p)
{
    for (int32_t i = 0; i < m->nowned; i++)
        if (m->owned[i].topic == t && m->owned[i].partition == p)
            return true;
    return false;
}

static bool all_equal(const assign_group_t *g)
{
    for (int32_t m = 1; m < g->nmembers; m++) {
        if (g->members[m].ntopics != g->members[0].ntopics)
            return false;
        for (int32_t i = 0; i < g->members[m].ntopics; i++)
            if (!subscribes(&g->members[0], g->members[m].topics[i]))
                return false;
    }
    return g->members[0].ntopics > 0;
}

#define CHECK(cond, ...)                                                                    \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            failures++;                                                                     \
            if (failures <= 10)                                                             \
                tap_diag("seed %u, round %d, %s: " #cond, seed, round, assignor);           \
            return;                                                                         \
        }                                                                                   \
    } while (0)

/* Why Kafka may give member m a partition of topic t it does not subscribe to: the
 * constrained path's empty-subscription quirk, or the general path's prevAssignment. */
static bool known_quirk(const assign_group_t *g, const assign_result_t *res, int32_t m,
                        int32_t t, int32_t p)
{
    if ((res->flags & ASSIGN_CONSTRAINED) && g->members[m].ntopics == 0)
        return true;
    int32_t newest = ASSIGN_NO_GENERATION;
    for (int32_t i = 0; i < g->nmembers; i++)
        newest = g->members[i].generation > newest ? g->members[i].generation : newest;
    return (res->flags & ASSIGN_GENERAL) && owns(&g->members[m], t, p) &&
           g->members[m].generation < newest;
}

typedef struct counts {
    int quirks, kafka_errors, runs;
} counts_t;

static counts_t stats;

/* Validity of one answer: partitions exist, at most one member each, subscribers only. */
static void check_valid(unsigned seed, int round, const char *assignor, const assign_group_t *g,
                        const assign_result_t *res)
{
    static uint8_t seen[MAXT][MAXP];
    memset(seen, 0, sizeof seen);
    for (int32_t m = 0; m < g->nmembers; m++)
        for (int64_t k = res->first[m]; k < res->first[m + 1]; k++) {
            assign_tp_t tp = res->tps[k];
            CHECK(tp.topic >= 0 && tp.topic < g->ntopics && tp.partition >= 0 &&
                  tp.partition < g->topics[tp.topic].partitions);
            CHECK(!seen[tp.topic][tp.partition]++);
            if (!subscribes(&g->members[m], tp.topic)) {
                CHECK(strcmp(assignor, "range") && strcmp(assignor, "roundrobin"));
                CHECK(known_quirk(g, res, m, tp.topic, tp.partition));
                stats.quirks++;
            }
        }
    bool coop = strcmp(assignor, "cooperative-sticky") == 0;
    for (int32_t t = 0; !coop && t < g->ntopics; t++) {
        bool subscribed = false;
        for (int32_t m = 0; m < g->nmembers; m++)
            subscribed = subscribed || subscribes(&g->members[m], t);
        for (int32_t p = 0; subscribed && p < g->topics[t].partitions; p++)
            CHECK(seen[t][p]);
    }
}

static int64_t count(const assign_result_t *res, int32_t m)
{
    return res->first[m + 1] - res->first[m];
}

/* Kafka's balance rule: members whose counts differ by two or more share no topic. */
static bool kafka_balanced(const assign_group_t *g, const assign_result_t *res)
{
    for (int32_t a = 0; a < g->nmembers; a++)
        for (int32_t b = 0; b < g->nmembers; b++) {
            if (count(res, a) <= count(res, b) + 1)
                continue;
            for (int64_t i = res->first[a]; i < res->first[a + 1]; i++)
                if (subscribes(&g->members[b], res->tps[i].topic))
                    return false;
        }
    return true;
}

/* Sticky on equal subscriptions without racks and with one owner per partition. */
static void check_sticky_equal(unsigned seed, int round, const char *assignor,
                               const assign_group_t *g, const assign_result_t *res)
{
    int64_t lo = INT64_MAX, hi = 0, total = 0;
    for (int32_t m = 0; m < g->nmembers; m++) {
        lo = count(res, m) < lo ? count(res, m) : lo;
        hi = count(res, m) > hi ? count(res, m) : hi;
        total += count(res, m);
    }
    CHECK(hi - lo <= 1);
    int64_t min_quota = total / g->nmembers;
    for (int32_t m = 0; m < g->nmembers; m++) {
        int64_t kept = 0, owned = 0;
        for (int32_t i = 0; i < g->members[m].nowned; i++)
            owned += subscribes(&g->members[m], g->members[m].owned[i].topic);
        for (int64_t k = res->first[m]; k < res->first[m + 1]; k++)
            kept += owns(&g->members[m], res->tps[k].topic, res->tps[k].partition);
        CHECK(kept >= (owned < min_quota ? owned : min_quota));
    }
}

/* cooperative-sticky against sticky on the same group. */
static void check_cooperative(unsigned seed, int round, const char *assignor,
                              const assign_group_t *g, const assign_result_t *coop,
                              const assign_result_t *sticky, bool racks)
{
    for (int32_t m = 0; m < g->nmembers; m++)
        for (int64_t k = coop->first[m]; k < coop->first[m + 1]; k++) {
            assign_tp_t tp = coop->tps[k];
            bool in_sticky = false;
            for (int64_t j = sticky->first[m]; j < sticky->first[m + 1]; j++)
                in_sticky = in_sticky || (sticky->tps[j].topic == tp.topic &&
                                          sticky->tps[j].partition == tp.partition);
            CHECK(in_sticky);
            /* With racks Kafka may hand over a misplaced partition at once (sticky_constrained.c). */
            if (!racks && !owns(&g->members[m], tp.topic, tp.partition))
                CHECK(owner_of(g, tp.topic, tp.partition, m) < 0);
        }
}

static bool same_result(const assign_result_t *a, const assign_result_t *b)
{
    return a->first[a->nmembers] == b->first[b->nmembers] &&
           memcmp(a->first, b->first, ((size_t)a->nmembers + 1) * sizeof *a->first) == 0 &&
           memcmp(a->tps, b->tps, (size_t)a->first[a->nmembers] * sizeof *a->tps) == 0;
}

static bool single_owners(const assign_group_t *g)
{
    for (int32_t m = 0; m < g->nmembers; m++)
        for (int32_t i = 0; i < g->members[m].nowned; i++)
            if (owner_of(g, g->members[m].owned[i].topic, g->members[m].owned[i].partition, m) >= 0)
                return false;
    return true;
}

static bool run(const char *assignor, const assign_group_t *g, assign_result_t *res)
{
    char err[512];
    if (assign_run(assignor, g, res, err, sizeof err))
        return true;
    if (strncmp(err, "Kafka's sticky assignor throws", 30) != 0) {
        failures++;
        tap_diag("unexpected error: %s", err);
    }
    stats.kafka_errors++;
    return false;
}

/* One rebalance of group rg with every assignor. */
static void check_round(unsigned seed, int round, rgroup_t *rg, assign_result_t *sticky_out)
{
    static const char *const names[] = { "range", "roundrobin", "sticky", "cooperative-sticky" };
    assign_result_t res[4], again;
    bool okr[4];
    bool clean = single_owners(&rg->g);
    for (int k = 0; k < 4; k++) {
        const char *assignor = names[k];
        okr[k] = run(assignor, &rg->g, &res[k]);
        stats.runs++;
        if (!okr[k])
            continue;
        check_valid(seed, round, assignor, &rg->g, &res[k]);
        bool same = run(assignor, &rg->g, &again) && same_result(&res[k], &again);
        if (!same) {
            failures++;
            tap_diag("seed %u: %s gave two answers to one group", seed, assignor);
        }
        assign_result_free(&again);
        if (k == 2 && clean && all_equal(&rg->g) && !rg->racks_on)
            check_sticky_equal(seed, round, assignor, &rg->g, &res[k]);
        if (k == 2 && clean && (res[k].flags & ASSIGN_GENERAL) && !kafka_balanced(&rg->g, &res[k])) {
            failures++;
            tap_diag("seed %u, round %d: sticky left a movable partition", seed, round);
        }
        if (k == 3 && okr[2])
            check_cooperative(seed, round, assignor, &rg->g, &res[3], &res[2], rg->racks_on);
    }
    for (int k = 0; k < 4; k++)
        if (okr[k] && k != 2)
            assign_result_free(&res[k]);
    if (okr[2])
        *sticky_out = res[2];
    else
        memset(sticky_out, 0, sizeof *sticky_out);
}

/* Members rejoin owning what `res` gave them, at generation `gen`. */
static void rejoin(rgroup_t *rg, const assign_result_t *res, int32_t gen)
{
    for (int32_t m = 0; m < rg->g.nmembers; m++) {
        assign_member_t *mb = &rg->members[m];
        mb->nowned = 0;
        for (int64_t k = res->first[m]; k < res->first[m + 1]; k++)
            rg->owned[m][mb->nowned++] = res->tps[k];
        mb->generation = gen;
    }
}

/* The group changes between rebalances: a member leaves, joins or changes topics. */
static void change(rng_t *r, rgroup_t *rg)
{
    int64_t what = rng_range(r, 0, 3);
    int32_t n = rg->g.nmembers;
    if (what == 0 && n > 1) {
        int32_t m = (int32_t)rng_range(r, 0, n - 1);
        rg->members[m] = rg->members[n - 1];
        memcpy(rg->subs[m], rg->subs[n - 1], sizeof rg->subs[m]);
        memcpy(rg->owned[m], rg->owned[n - 1], sizeof rg->owned[m]);
        memmove(rg->ids[m], rg->ids[n - 1], sizeof rg->ids[m]);
        rg->members[m].id = rg->ids[m];
        rg->members[m].topics = rg->subs[m];
        rg->members[m].owned = rg->owned[m];
        rg->g.nmembers--;
    } else if (what == 1 && n < MAXM) {
        snprintf(rg->ids[n], sizeof rg->ids[n], "n%d", (int)rng_range(r, 0, 99999));
        rg->members[n] = (assign_member_t){ .id = rg->ids[n], .topics = rg->subs[n],
                                            .owned = rg->owned[n],
                                            .generation = rg->members[0].generation };
        memcpy(rg->subs[n], rg->subs[0], sizeof rg->subs[n]);
        rg->members[n].ntopics = rg->members[0].ntopics;
        for (int32_t m = 0; m < n; m++)
            if (strcmp(rg->ids[m], rg->ids[n]) == 0)
                return; /* a clash of random ids: skip this join */
        rg->g.nmembers++;
    } else if (what == 2) {
        random_subscription(r, rg, (int32_t)rng_range(r, 0, n - 1), NULL, 0);
    }
}

/* cooperative-sticky's follow-up rebalances settle: within four rounds nothing more is
 * revoked, and then counts differ by at most one on equal subscriptions. */
static void check_convergence(unsigned seed, rgroup_t *rg)
{
    const char *assignor = "cooperative-sticky";
    int round = 0;
    for (; round < 5; round++) {
        assign_result_t res;
        if (!run(assignor, &rg->g, &res))
            return;
        bool revoked = false;
        for (int32_t m = 0; m < rg->g.nmembers; m++)
            for (int32_t i = 0; i < rg->members[m].nowned; i++) {
                bool still = false;
                for (int64_t k = res.first[m]; k < res.first[m + 1]; k++)
                    still = still || (res.tps[k].topic == rg->members[m].owned[i].topic &&
                                      res.tps[k].partition == rg->members[m].owned[i].partition);
                revoked = revoked || !still;
            }
        if (!revoked) {
            bool balanced = !all_equal(&rg->g) || kafka_balanced(&rg->g, &res);
            assign_result_free(&res);
            CHECK(balanced);
            return;
        }
        rejoin(rg, &res, rg->members[0].generation + 1);
        assign_result_free(&res);
    }
    CHECK(round < 5);
}

static void check_group(unsigned seed)
{
    rng_t r;
    rng_seed(&r, seed);
    static rgroup_t rg;
    random_group(&r, &rg);
    for (int round = 0; round < 4; round++) {
        assign_result_t sticky;
        check_round(seed, round, &rg, &sticky);
        if (sticky.first) {
            rejoin(&rg, &sticky, round + 1);
            assign_result_free(&sticky);
        }
        change(&r, &rg);
    }
    if (!rg.racks_on)
        check_convergence(seed, &rg);
}

/* AbstractStickyAssignorTest.testLargeAssignmentWithMultipleConsumersLeavingAndRandomSubscription,
 * smaller: 40 topics, 120 members with random subscriptions, 30 leave. */
static void check_many_leave(unsigned seed)
{
    enum { NT = 40, NM = 120 };
    static assign_topic_t topics[NT];
    static char tnames[NT][16], ids[NM][16];
    static assign_member_t members[NM];
    static int32_t subs[NM][NT];
    static assign_tp_t owned[NM][NT * 10];
    rng_t r;
    rng_seed(&r, seed);
    for (int32_t t = 0; t < NT; t++) {
        snprintf(tnames[t], sizeof tnames[t], "t%02d", (int)t);
        topics[t] = (assign_topic_t){ tnames[t], (int32_t)rng_range(&r, 1, 10), NULL };
    }
    for (int32_t m = 0; m < NM; m++) {
        snprintf(ids[m], sizeof ids[m], "c%03d", (int)m);
        members[m] = (assign_member_t){ .id = ids[m], .topics = subs[m], .owned = owned[m],
                                        .generation = ASSIGN_NO_GENERATION };
        for (int32_t t = 0; t < NT; t++)
            if (rng_range(&r, 0, 3) == 0)
                subs[m][members[m].ntopics++] = t;
    }
    assign_group_t g = { topics, NT, members, NM, 0, false };
    assign_result_t res;
    bool fine = assign_run("sticky", &g, &res, (char[256]){ 0 }, 256) && kafka_balanced(&g, &res);
    for (int32_t m = 0; fine && m < NM; m++) {
        members[m].nowned = 0;
        for (int64_t k = res.first[m]; k < res.first[m + 1]; k++)
            owned[m][members[m].nowned++] = res.tps[k];
        members[m].generation = 1;
    }
    assign_result_free(&res);
    for (int i = 0; fine && i < 30; i++) {
        int32_t m = (int32_t)rng_range(&r, 0, g.nmembers - 1);
        members[m] = members[--g.nmembers];
    }
    fine = fine && assign_run("sticky", &g, &res, (char[256]){ 0 }, 256) && kafka_balanced(&g, &res);
    if (fine)
        assign_result_free(&res);
    else
        tap_diag("seed %u: many members leaving left the group unbalanced", seed);
    failures += !fine;
}

int main(void)
{
    unsigned n = tap_seeds(5000);
    for (unsigned seed = 1; seed <= n; seed++)
        check_group(seed);
    ok(failures == 0, "%u random groups through four rebalances each keep every property", n);
    tap_diag("%d runs, %d answers with Kafka's subscription quirks, %d Kafka exceptions",
             stats.runs, stats.quirks, stats.kafka_errors);
    failures = 0;
    for (unsigned seed = 1; seed <= (n + 99) / 100; seed++)
        check_many_leave(seed);
    ok(failures == 0, "sticky stays balanced when many members of a large group leave");
    return tap_done();
}
