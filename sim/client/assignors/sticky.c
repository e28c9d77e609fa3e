/* sticky: Kafka's StickyAssignor and CooperativeStickyAssignor, both AbstractStickyAssignor
 * (3.9). Goals in order: balance, then keep as many owned partitions where they are.
 *
 * Members are walked in the iteration order of the HashMap<String, Subscription> that
 * ConsumerCoordinator fills in JoinGroup order (java_order.h); that order decides which
 * member keeps an extra partition and which claim on a doubly-owned partition wins.
 *
 * Owned partitions (allSubscriptionsEqual): a claim on a partition nobody claimed yet is
 * kept; a claim from a member of a newer generation takes the partition from the older
 * claimant; a claim from the same generation as the last claimant takes it from
 * everybody (partitionsWithMultiplePreviousOwners) and later claims are compared with
 * that last claimant's generation. Kafka keeps the highest generation seen across calls
 * in the assignor object; ksim's assignor is a pure function, as a fresh
 * AbstractStickyAssignor would be.
 *
 * Quirk kept (allSubscriptionsEqual): the first member whose subscription is not empty
 * sets the subscription everyone is compared with, so members with empty subscriptions
 * that come before it in map order pass as "equal", and the constrained path then hands
 * them partitions of topics they never subscribed to.
 *
 * CooperativeStickyAssignor then removes from the answer every partition that still has
 * to be revoked by another member (the constrained path's partitionsTransferringOwnership,
 * or computePartitionsTransferringOwnership on the general path); it is assigned in the
 * follow-up rebalance. */
#include <stdlib.h>
#include <string.h>

#include "sticky_internal.h"

bool sticky_racks_mismatch(const sticky_t *s, int32_t m, int32_t g)
{
    int32_t r = s->consumer_rack[m];
    return r >= 0 && !assign_on_rack(s->c, g, r);
}

static bool same_topics(const assign_ctx_t *c, int32_t a, int32_t b)
{
    int32_t na = c->sub_first[a + 1] - c->sub_first[a];
    if (na != c->sub_first[b + 1] - c->sub_first[b])
        return false;
    const int32_t *ta = c->sub + c->sub_first[a], *tb = c->sub + c->sub_first[b];
    return memcmp(ta, tb, (size_t)na * sizeof *ta) == 0;
}

/* One claim of member m on live partition g (the loop body of allSubscriptionsEqual);
 * owner_of is allPreviousPartitionsToOwner. */
static void claim(sticky_t *s, int32_t m, int32_t g, int32_t *owner_of, int64_t *nclaims)
{
    int32_t other = owner_of[g];
    if (other >= 0 && s->gen[m] < s->gen[other])
        return; /* the other member's newer generation keeps it */
    if (other >= 0 && s->gen[m] == s->gen[other]) {
        s->multi[g] = 1; /* nobody keeps it: same generation, two owners */
        if (s->holder[g] == other)
            s->holder[g] = -1;
        owner_of[g] = m;
        return;
    }
    s->claims[(*nclaims)++] = g;
    s->holder[g] = m;
    owner_of[g] = m;
}

/* AbstractStickyAssignor.allSubscriptionsEqual, which also resolves owned partitions. */
static bool all_subscriptions_equal(sticky_t *s)
{
    assign_ctx_t *c = s->c;
    const assign_group_t *g = c->g;
    int32_t *owner_of = assign_xmalloc(((size_t)c->np + 1) * sizeof *owner_of);
    memset(owner_of, 0xff, ((size_t)c->np + 1) * sizeof *owner_of);
    int64_t nclaims = 0;
    bool equal = true;
    int32_t reference = -1; /* the member whose topics are `subscribedTopics` */
    s->max_generation = ASSIGN_NO_GENERATION;
    for (int32_t i = 0; i < c->nm; i++) {
        int32_t m = s->order[i];
        if (reference < 0 || c->sub_first[reference + 1] == c->sub_first[reference])
            reference = m;
        else if (equal && !same_topics(c, reference, m))
            equal = false;
        if (s->gen[m] > s->max_generation)
            s->max_generation = s->gen[m];
        s->claim_start[m] = nclaims;
        for (int32_t k = 0; k < g->members[m].nowned; k++) {
            assign_tp_t tp = g->members[m].owned[k];
            if (c->live[tp.topic])
                claim(s, m, assign_gp(c, tp.topic, tp.partition), owner_of, &nclaims);
        }
        s->claim_end[m] = nclaims;
    }
    free(owner_of);
    return equal;
}

/* AbstractPartitionAssignor.useRackAwareAssignment over every partition. */
static bool use_rack_aware(const sticky_t *s, const int32_t *per_rack)
{
    const assign_ctx_t *c = s->c;
    uint8_t *in_union = assign_xcalloc((size_t)c->nracks + 1, 1);
    int32_t nunion = 0;
    bool overlap = false, uneven = false;
    for (int64_t k = 0; k < c->prack_first[c->np]; k++) {
        nunion += !in_union[c->prack[k]];
        in_union[c->prack[k]] = 1;
        overlap = overlap || per_rack[c->prack[k]] > 0;
    }
    for (int32_t g = 0; g < c->np; g++)
        uneven = uneven || c->prack_first[g + 1] - c->prack_first[g] != nunion;
    free(in_union);
    return overlap && (c->g->prefer_rack_aware || uneven);
}

/* AbstractStickyAssignor.RackInfo. Kafka counts the members on each partition's racks
 * (numConsumersByPartition) whenever some member has a rack, even when it then decides
 * against rack-aware assignment; the constrained path sorts by that count either way. */
static void rack_info(sticky_t *s)
{
    assign_ctx_t *c = s->c;
    s->consumer_rack = assign_xmalloc((size_t)c->nm * sizeof *s->consumer_rack);
    for (int32_t m = 0; m < c->nm; m++)
        s->consumer_rack[m] = -1;
    if (!assign_has_racks(c))
        return;
    int32_t *per_rack = assign_xcalloc((size_t)c->nracks + 1, sizeof *per_rack);
    for (int32_t m = 0; m < c->nm; m++)
        if (c->member_rack[m] >= 0)
            per_rack[c->member_rack[m]]++;
    if (c->np > 0) {
        s->num_consumers = assign_xcalloc((size_t)c->np, sizeof *s->num_consumers);
        for (int32_t g = 0; g < c->np; g++)
            for (int64_t k = c->prack_first[g]; k < c->prack_first[g + 1]; k++)
                s->num_consumers[g] += per_rack[c->prack[k]];
    }
    s->racks_on = use_rack_aware(s, per_rack);
    for (int32_t m = 0; s->racks_on && m < c->nm; m++)
        s->consumer_rack[m] = c->member_rack[m];
    free(per_rack);
}

/* CooperativeStickyAssignor.computePartitionsTransferringOwnership and adjustAssignment
 * for the general path: a partition that goes to a member which did not own it, while
 * some other member owned it, waits for the next rebalance. */
static void drop_revoked_elsewhere(sticky_t *s)
{
    assign_ctx_t *c = s->c;
    uint8_t *kept = assign_xcalloc((size_t)c->np + 1, 1);
    uint8_t *revoked = assign_xcalloc((size_t)c->np + 1, 1);
    for (int32_t m = 0; m < c->nm; m++)
        for (int32_t k = 0; k < c->g->members[m].nowned; k++) {
            assign_tp_t tp = c->g->members[m].owned[k];
            if (!c->live[tp.topic])
                continue;
            int32_t g = assign_gp(c, tp.topic, tp.partition);
            if (c->owner[g] == m)
                kept[g] = 1;
            else
                revoked[g] = 1;
        }
    for (int32_t g = 0; g < c->np; g++)
        if (c->owner[g] >= 0 && !kept[g] && revoked[g])
            c->owner[g] = -1;
    free(kept);
    free(revoked);
}

/* CooperativeStickyAssignor.adjustAssignment for the constrained path. */
static void drop_transferring(sticky_t *s)
{
    for (int32_t g = 0; g < s->c->np; g++)
        if (s->transfer[g] >= 0 && s->c->owner[g] == s->transfer[g])
            s->c->owner[g] = -1;
}

static void sticky_free(sticky_t *s)
{
    free(s->order);
    free(s->owned_order);
    free(s->gen);
    free(s->claim_start);
    free(s->claim_end);
    free(s->claims);
    free(s->holder);
    free(s->multi);
    free(s->consumer_rack);
    free(s->num_consumers);
    free(s->transfer);
}

static void member_data(sticky_t *s)
{
    assign_ctx_t *c = s->c;
    const char **ids = assign_xmalloc((size_t)c->nm * sizeof *ids);
    int64_t nowned = 0;
    s->order = assign_xmalloc((size_t)c->nm * sizeof *s->order);
    s->gen = assign_xmalloc((size_t)c->nm * sizeof *s->gen);
    for (int32_t m = 0; m < c->nm; m++) {
        ids[m] = c->g->members[m].id;
        s->gen[m] = c->g->members[m].generation;
        nowned += c->g->members[m].nowned;
    }
    int32_t cap = c->g->java_map_capacity > 0 ? c->g->java_map_capacity : JORDER_DEFAULT_CAPACITY;
    jorder_string_map_order(ids, c->nm, cap, s->order);
    const char **again = assign_xmalloc((size_t)c->nm * sizeof *again);
    int32_t *at = assign_xmalloc((size_t)c->nm * sizeof *at);
    for (int32_t i = 0; i < c->nm; i++)
        again[i] = ids[s->order[i]];
    jorder_string_map_order(again, c->nm, JORDER_DEFAULT_CAPACITY, at);
    s->owned_order = assign_xmalloc((size_t)c->nm * sizeof *s->owned_order);
    for (int32_t i = 0; i < c->nm; i++)
        s->owned_order[i] = s->order[at[i]];
    free(again);
    free(at);
    free(ids);
    s->claim_start = assign_xcalloc((size_t)c->nm, sizeof *s->claim_start);
    s->claim_end = assign_xcalloc((size_t)c->nm, sizeof *s->claim_end);
    s->claims = assign_xmalloc(((size_t)nowned + 1) * sizeof *s->claims);
    s->holder = assign_xmalloc(((size_t)c->np + 1) * sizeof *s->holder);
    memset(s->holder, 0xff, ((size_t)c->np + 1) * sizeof *s->holder);
    s->multi = assign_xcalloc((size_t)c->np + 1, 1);
}

bool assign_sticky(assign_ctx_t *c, bool cooperative)
{
    sticky_t s = { .c = c };
    member_data(&s);
    rack_info(&s);
    bool ok;
    if (all_subscriptions_equal(&s)) {
        c->flags |= ASSIGN_CONSTRAINED;
        s.transfer = assign_xmalloc(((size_t)c->np + 1) * sizeof *s.transfer);
        memset(s.transfer, 0xff, ((size_t)c->np + 1) * sizeof *s.transfer);
        ok = sticky_constrained(&s);
        if (ok && cooperative)
            drop_transferring(&s);
    } else {
        c->flags |= ASSIGN_GENERAL;
        ok = sticky_general(&s);
        if (ok && cooperative)
            drop_revoked_elsewhere(&s);
    }
    if (s.racks_on)
        c->flags |= ASSIGN_RACK_AWARE;
    sticky_free(&s);
    return ok;
}
