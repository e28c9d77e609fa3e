/* sticky_general: AbstractStickyAssignor.GeneralAssignmentBuilder, for any subscriptions.
 *   1. Members keep the owned partitions of topics they still subscribe to (and, rack-aware,
 *      on their rack); the partitions of members of older generations are remembered as
 *      prevAssignment (the newest older generation wins).
 *   2. Unassigned partitions, topics ordered by number of subscribers then name, each go
 *      to the least loaded subscriber (fewest partitions, then member id), on its rack
 *      first when rack-aware.
 *   3. Topics with one subscriber and members that cannot change are set aside; then
 *      partitions move, one at a time, from a member to a subscriber with at least two
 *      fewer until the assignment is balanced: to its prevAssignment owner when that one
 *      has two fewer, else to the least loaded subscriber. PartitionMovements turns a move
 *      that would undo an earlier one into moving that earlier partition back.
 *   4. If the moves did not improve Kafka's balance score, the assignment before them is
 *      kept (except on a group's first assignment).
 * Quirks kept:
 *   - the prevAssignment shortcut moves a partition to its old owner without checking that
 *     the old owner still subscribes to its topic, so a member can get a partition of a
 *     topic it left; and when that old owner was set aside in step 3, Kafka's assignor
 *     throws a NullPointerException (ksim returns an error saying so);
 *   - when no partition needs revoking, step 3 runs first over the newly assigned
 *     partitions only; the score check of step 4 looks at the second run alone;
 *   - the balance score is a Java int and wraps around in huge groups, as in Kafka. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sticky_internal.h"

typedef struct general {
    sticky_t *s;
    assign_ctx_t *c;
    int32_t *owner;   /* currentPartitionConsumer (c->owner) */
    int32_t *count;   /* sizes of currentAssignment */
    uint8_t *active;  /* still in currentAssignment: not a fixed assignment */
    int32_t *tcons_first, *tcons; /* topic2AllPotentialConsumers */
    int32_t *mt_first, *mt;       /* consumer2AllPotentialTopics */
    int64_t *max_size;            /* getMaxAssignmentSize */
    int32_t *all, nall;           /* sortedAllPartitions */
    int32_t *unassigned, nun;
    int32_t *prev_member, *prev_gen; /* prevAssignment */
    bool revocation_required;
    load_set_t set;   /* sortedCurrentSubscriptions */
    moves_t moves;    /* PartitionMovements */
    int balanced;     /* isBalanced() until the next move; -1 when unknown */
    int32_t *hi;      /* scratch for isBalanced */
} general_t;

static int32_t ncons(const general_t *k, int32_t t)
{
    return k->tcons_first[t + 1] - k->tcons_first[t];
}

/* topic2AllPotentialConsumers (map order) and consumer2AllPotentialTopics. */
static void index_subscriptions(general_t *k)
{
    assign_ctx_t *c = k->c;
    k->tcons_first = assign_xcalloc((size_t)c->nt + 1, sizeof *k->tcons_first);
    k->mt_first = assign_xcalloc((size_t)c->nm + 1, sizeof *k->mt_first);
    k->max_size = assign_xcalloc((size_t)c->nm, sizeof *k->max_size);
    for (int32_t m = 0; m < c->nm; m++) {
        k->mt_first[m + 1] = k->mt_first[m];
        for (int32_t i = c->sub_first[m]; i < c->sub_first[m + 1]; i++)
            if (c->live[c->sub[i]]) {
                k->tcons_first[c->sub[i] + 1]++;
                k->mt_first[m + 1]++;
                k->max_size[m] += c->g->topics[c->sub[i]].partitions;
            }
    }
    for (int32_t t = 0; t < c->nt; t++)
        k->tcons_first[t + 1] += k->tcons_first[t];
    k->tcons = assign_xmalloc(((size_t)k->tcons_first[c->nt] + 1) * sizeof *k->tcons);
    k->mt = assign_xmalloc(((size_t)k->mt_first[c->nm] + 1) * sizeof *k->mt);
    int32_t *fill = assign_xmalloc(((size_t)c->nt + 1) * sizeof *fill);
    memcpy(fill, k->tcons_first, (size_t)c->nt * sizeof *fill);
    for (int32_t i = 0; i < c->nm; i++) {
        int32_t m = k->s->order[i], n = k->mt_first[m];
        for (int32_t j = c->sub_first[m]; j < c->sub_first[m + 1]; j++)
            if (c->live[c->sub[j]]) {
                k->tcons[fill[c->sub[j]]++] = m;
                k->mt[n++] = c->sub[j];
            }
    }
    free(fill);
}

/* TopicComparator: fewer potential consumers first, then by name. */
static int cmp_topics(int32_t a, int32_t b, const void *ctx)
{
    const general_t *k = ctx;
    if (ncons(k, a) != ncons(k, b))
        return ncons(k, a) < ncons(k, b) ? -1 : 1;
    return (k->c->rank[a] > k->c->rank[b]) - (k->c->rank[a] < k->c->rank[b]);
}

static void sorted_all_partitions(general_t *k)
{
    assign_ctx_t *c = k->c;
    int32_t *topics = assign_xmalloc(((size_t)c->nt + 1) * sizeof *topics), n = 0;
    for (int32_t t = 0; t < c->nt; t++)
        if (c->live[t])
            topics[n++] = t;
    assign_sort(topics, (size_t)n, cmp_topics, k);
    k->all = assign_xmalloc(((size_t)c->np + 1) * sizeof *k->all);
    k->nall = 0;
    for (int32_t i = 0; i < n; i++)
        for (int32_t p = 0; p < c->g->topics[topics[i]].partitions; p++)
            k->all[k->nall++] = assign_gp(c, topics[i], p);
    free(topics);
}

/* prepopulateCurrentAssignments: owned partitions of members older than the newest
 * generation, the newest older claim on each partition winning (ties: the first). */
static void prev_assignment(general_t *k)
{
    assign_ctx_t *c = k->c;
    const sticky_t *s = k->s;
    k->prev_member = assign_xmalloc(((size_t)c->np + 1) * sizeof *k->prev_member);
    k->prev_gen = assign_xmalloc(((size_t)c->np + 1) * sizeof *k->prev_gen);
    memset(k->prev_member, 0xff, ((size_t)c->np + 1) * sizeof *k->prev_member);
    for (int32_t i = 0; i < c->nm; i++) {
        int32_t m = s->order[i], gen = s->gen[m];
        if (gen >= s->max_generation)
            continue; /* the newest generation, or none while no one has one */
        for (int32_t j = 0; j < c->g->members[m].nowned; j++) {
            assign_tp_t tp = c->g->members[m].owned[j];
            if (!c->live[tp.topic])
                continue;
            int32_t g = assign_gp(c, tp.topic, tp.partition);
            if (k->prev_member[g] < 0 || gen > k->prev_gen[g]) {
                k->prev_member[g] = m;
                k->prev_gen[g] = gen;
            }
        }
    }
}

/* assignOwnedPartitions: members keep what they still subscribe to (and, rack-aware,
 * what is on their rack); the rest needs revoking. */
static void assign_owned(general_t *k)
{
    const sticky_t *s = k->s;
    for (int32_t m = 0; m < k->c->nm; m++)
        for (int64_t i = s->claim_start[m]; i < s->claim_end[m]; i++) {
            int32_t g = s->claims[i];
            if (s->holder[g] != m)
                continue;
            if (!assign_subscribes(k->c, m, k->c->ptopic[g]) || sticky_racks_mismatch(s, m, g)) {
                k->revocation_required = true;
                continue;
            }
            k->owner[g] = m;
            k->count[m]++;
        }
    k->unassigned = assign_xmalloc(((size_t)k->nall + 1) * sizeof *k->unassigned);
    k->nun = 0;
    for (int32_t i = 0; i < k->nall; i++)
        if (k->owner[k->all[i]] < 0)
            k->unassigned[k->nun++] = k->all[i];
}

static void give(general_t *k, int32_t g, int32_t m)
{
    load_set_remove(&k->set, m);
    k->owner[g] = m;
    k->count[m]++;
    load_set_add(&k->set, m);
}

/* maybeAssignPartition: the least loaded member that subscribes (and, when matching
 * racks, is on a rack of the partition). */
static bool maybe_assign_partition(general_t *k, int32_t g, bool match_racks)
{
    int32_t t = k->c->ptopic[g];
    for (int32_t m = load_set_first(&k->set); m >= 0; m = load_set_next(&k->set, m))
        if (assign_subscribes(k->c, m, t) &&
            (!match_racks || !sticky_racks_mismatch(k->s, m, g))) {
            give(k, g, m);
            return true;
        }
    return false;
}

/* maybeAssign, first on racks when rack-aware, then anywhere. */
static void assign_unassigned(general_t *k)
{
    int32_t *left = assign_xmalloc(((size_t)k->nun + 1) * sizeof *left), n = 0;
    for (int32_t i = 0; i < k->nun; i++)
        if (!k->s->racks_on || !maybe_assign_partition(k, k->unassigned[i], true))
            left[n++] = k->unassigned[i];
    for (int32_t i = 0; i < n; i++)
        maybe_assign_partition(k, left[i], false);
    free(left);
}

/* canConsumerParticipateInReassignment. Before any move a member holds only partitions
 * of its topics, so holding as many as they have means holding all of them. */
static bool can_participate(const general_t *k, int32_t m)
{
    if (k->count[m] < k->max_size[m])
        return true;
    for (int32_t i = k->mt_first[m]; i < k->mt_first[m + 1]; i++)
        if (ncons(k, k->mt[i]) >= 2)
            return true;
    return false;
}

/* Drops partitions of topics with fewer than two subscribers from a list. */
static int32_t drop_fixed_partitions(const general_t *k, int32_t *list, int32_t n)
{
    int32_t left = 0;
    for (int32_t i = 0; i < n; i++)
        if (ncons(k, k->c->ptopic[list[i]]) >= 2)
            list[left++] = list[i];
    return left;
}

/* isBalanced. Past the min/max test, Kafka looks for a member that could take a partition
 * of one of its topics from a member with two more; ksim asks the same per topic: does any
 * owner of one of its partitions have two more than one of its subscribers? */
static bool full_balance_check(general_t *k)
{
    assign_ctx_t *c = k->c;
    for (int32_t t = 0; t < c->nt; t++)
        k->hi[t] = -1;
    for (int32_t g = 0; g < c->np; g++) {
        int32_t m = k->owner[g], t = c->ptopic[g];
        if (m >= 0 && k->active[m] && k->count[m] > k->hi[t])
            k->hi[t] = k->count[m];
    }
    for (int32_t m = load_set_first(&k->set); m >= 0; m = load_set_next(&k->set, m)) {
        if (k->count[m] == k->max_size[m])
            continue;
        for (int32_t i = k->mt_first[m]; i < k->mt_first[m + 1]; i++)
            if (k->hi[k->mt[i]] >= k->count[m] + 2)
                return false;
    }
    return true;
}

static bool is_balanced(general_t *k)
{
    if (k->balanced < 0) {
        assert(load_set_first(&k->set) >= 0);
        int32_t lo = k->count[load_set_first(&k->set)], hi = k->count[load_set_last(&k->set)];
        k->balanced = lo >= hi - 1 || full_balance_check(k);
    }
    return k->balanced;
}

/* processPartitionMovement */
static void process_move(general_t *k, int32_t g, int32_t to)
{
    int32_t from = k->owner[g];
    load_set_remove(&k->set, from);
    load_set_remove(&k->set, to);
    moves_move(&k->moves, g, from, to);
    k->count[from]--;
    k->count[to]++;
    k->owner[g] = to;
    load_set_add(&k->set, to);
    load_set_add(&k->set, from);
    k->balanced = -1;
}

/* reassignPartition(partition, newConsumer) */
static void reassign_to(general_t *k, int32_t g, int32_t to)
{
    process_move(k, moves_actual(&k->moves, g, k->owner[g], to), to);
}

/* reassignPartition(partition): to the least loaded subscriber. */
static void reassign(general_t *k, int32_t g)
{
    int32_t t = k->c->ptopic[g];
    for (int32_t m = load_set_first(&k->set); m >= 0; m = load_set_next(&k->set, m))
        if (assign_subscribes(k->c, m, t)) {
            reassign_to(k, g, m);
            return;
        }
    assert(!"a reassignable partition has a subscriber in the set");
}

/* Whether some subscriber of g's topic (on a rack of g, when `on_racks`) has at least two
 * partitions fewer than g's owner. */
static bool lighter_subscriber(const general_t *k, int32_t g, bool on_racks)
{
    int32_t t = k->c->ptopic[g], owner_count = k->count[k->owner[g]];
    for (int32_t i = k->tcons_first[t]; i < k->tcons_first[t + 1]; i++) {
        int32_t o = k->tcons[i], r = k->s->consumer_rack[o];
        if (on_racks && (r < 0 || !assign_on_rack(k->c, g, r)))
            continue;
        if (owner_count > k->count[o] + 1)
            return true;
    }
    return false;
}

/* One step of performReassignments for partition g: 1 moved, 0 not, -1 Kafka throws. */
static int reassign_one(general_t *k, int32_t g)
{
    int32_t m = k->owner[g], prev = k->prev_member[g];
    assert(m >= 0 && k->active[m]);
    if (prev >= 0) {
        if (!k->active[prev]) {
            assign_fail(k->c, "Kafka's sticky assignor throws NullPointerException here: "
                              "%s-%d's previous owner '%s' takes no part in reassignment",
                        k->c->g->topics[k->c->ptopic[g]].name, g - k->c->base[k->c->ptopic[g]],
                        k->c->g->members[prev].id);
            return -1;
        }
        if (k->count[m] > k->count[prev] + 1) {
            reassign_to(k, g, prev);
            return 1;
        }
    }
    int32_t r = k->s->consumer_rack[m];
    bool on_rack = r >= 0 && assign_on_rack(k->c, g, r);
    if ((on_rack && lighter_subscriber(k, g, true)) || lighter_subscriber(k, g, false)) {
        reassign(k, g);
        return 1;
    }
    return 0;
}

/* performReassignments: passes over the list until a pass moves nothing. */
static int perform_reassignments(general_t *k, const int32_t *list, int32_t n)
{
    bool performed = false, modified;
    do {
        modified = false;
        for (int32_t i = 0; i < n && !is_balanced(k); i++) {
            int moved = reassign_one(k, list[i]);
            if (moved < 0)
                return -1;
            modified = modified || moved;
        }
        performed = performed || modified;
    } while (modified);
    return performed;
}

static int cmp_int(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* getBalanceScore: the sum of |a - b| over pairs of members, in Java int arithmetic
 * (sorted ascending, the i-th size adds size * i minus the sum of the sizes before it;
 * wrapping sums are the same in any order). */
static int32_t balance_score(const general_t *k, const int32_t *count)
{
    int32_t *v = assign_xmalloc((size_t)k->c->nm * sizeof *v), n = 0;
    for (int32_t m = 0; m < k->c->nm; m++)
        if (k->active[m])
            v[n++] = count[m];
    qsort(v, (size_t)n, sizeof *v, cmp_int);
    uint32_t score = 0, below = 0;
    for (int32_t i = 0; i < n; i++) {
        score += (uint32_t)v[i] * (uint32_t)i - below;
        below += (uint32_t)v[i];
    }
    free(v);
    return (int32_t)score;
}

/* balance() */
static bool balance(general_t *k)
{
    assign_ctx_t *c = k->c;
    bool initializing = k->count[load_set_last(&k->set)] == 0;
    assign_unassigned(k);
    for (int32_t g = 0; g < c->np; g++)
        assert(k->owner[g] >= 0);
    k->nall = drop_fixed_partitions(k, k->all, k->nall);
    k->nun = drop_fixed_partitions(k, k->unassigned, k->nun);
    for (int32_t m = 0; m < c->nm; m++)
        if (!can_participate(k, m)) {
            load_set_remove(&k->set, m);
            k->active[m] = 0;
        }
    int32_t *pre_owner = assign_xmalloc(((size_t)c->np + 1) * sizeof *pre_owner);
    int32_t *pre_count = assign_xmalloc((size_t)c->nm * sizeof *pre_count);
    memcpy(pre_owner, k->owner, (size_t)c->np * sizeof *pre_owner);
    memcpy(pre_count, k->count, (size_t)c->nm * sizeof *pre_count);
    int performed = 0;
    if (!k->revocation_required)
        performed = perform_reassignments(k, k->unassigned, k->nun);
    if (performed >= 0)
        performed = perform_reassignments(k, k->all, k->nall);
    bool worse = performed > 0 && balance_score(k, k->count) >= balance_score(k, pre_count);
    if (worse && !initializing) {
        memcpy(k->owner, pre_owner, (size_t)c->np * sizeof *pre_owner);
        memcpy(k->count, pre_count, (size_t)c->nm * sizeof *pre_count);
    }
    free(pre_owner);
    free(pre_count);
    return performed >= 0;
}

bool sticky_general(sticky_t *s)
{
    assign_ctx_t *c = s->c;
    general_t k = { .s = s, .c = c, .owner = c->owner, .balanced = -1 };
    k.count = assign_xcalloc((size_t)c->nm, sizeof *k.count);
    k.active = assign_xmalloc((size_t)c->nm);
    memset(k.active, 1, (size_t)c->nm);
    k.hi = assign_xmalloc(((size_t)c->nt + 1) * sizeof *k.hi);
    index_subscriptions(&k);
    sorted_all_partitions(&k);
    moves_init(&k.moves, c);
    prev_assignment(&k);
    assign_owned(&k);
    load_set_init(&k.set, c->nm, k.count, c->member_rank);
    for (int32_t m = 0; m < c->nm; m++)
        load_set_add(&k.set, m);
    bool ok = balance(&k);
    load_set_free(&k.set);
    moves_free(&k.moves);
    free(k.count);
    free(k.active);
    free(k.hi);
    free(k.tcons_first);
    free(k.tcons);
    free(k.mt_first);
    free(k.mt);
    free(k.max_size);
    free(k.all);
    free(k.unassigned);
    free(k.prev_member);
    free(k.prev_gen);
    return ok;
}
