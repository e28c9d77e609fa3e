/* sticky_constrained: AbstractStickyAssignor.ConstrainedAssignmentBuilder, the fast path
 * when every member has the same subscription. With P partitions and C members,
 * minQuota = P / C, maxQuota = ceil(P / C), and P % C members may reach maxQuota.
 *   1. Members, in the map order of consumerToOwnedPartitions, keep their owned
 *      partitions (sorted by partition, then topic, so a member keeps some of each topic)
 *      up to minQuota, or up to maxQuota while fewer than P % C members have more than
 *      minQuota; the rest is revoked.
 *      With rack-aware assignment only owned partitions on the member's rack count.
 *   2. Rack-aware only: unassigned partitions (sorted by how many members share their
 *      racks) go round-robin to members on their racks, up to the quotas.
 *   3. The rest goes round-robin to members under minQuota (sorted by member id), then
 *      one more each to members at minQuota (the earliest first).
 * Quirk kept: owned partitions dropped in step 1 because of their rack are not counted as
 * revoked, so CooperativeStickyAssignor hands them to their new member at once, in the
 * same rebalance as the old one gives them up. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sticky_internal.h"

typedef struct constrained {
    sticky_t *s;
    assign_ctx_t *c;
    int32_t min_quota, max_quota, expected_over, current_over;
    int32_t *count;
    uint8_t *revoked; /* allRevokedPartitions */
    int32_t *under;   /* unfilledMembersWithUnderMinQuotaPartitions */
    int32_t nunder;
    int32_t *exact;   /* unfilledMembersWithExactlyMinQuotaPartitions: exact[head .. n) */
    int32_t exact_head, nexact;
} constrained_t;

static int32_t exact_size(const constrained_t *k)
{
    return k->nexact - k->exact_head;
}

static void exact_add(constrained_t *k, int32_t m)
{
    k->exact[k->nexact++] = m;
}

static void exact_remove_at(constrained_t *k, int32_t i)
{
    int32_t *at = k->exact + k->exact_head + i;
    memmove(at, at + 1, (size_t)(k->nexact - k->exact_head - i - 1) * sizeof *at);
    k->nexact--;
}

static void under_remove_at(constrained_t *k, int32_t i)
{
    memmove(k->under + i, k->under + i + 1, (size_t)(k->nunder - i - 1) * sizeof *k->under);
    k->nunder--;
}

static void keep(constrained_t *k, int32_t m, int32_t g)
{
    k->c->owner[g] = m;
    k->count[m]++;
}

/* assignNewPartition: a partition that was revoked or claimed twice changes owner. */
static int32_t assign_new(constrained_t *k, int32_t g, int32_t m)
{
    keep(k, m, g);
    if (k->revoked[g] || k->s->multi[g])
        k->s->transfer[g] = m;
    return k->count[m];
}

/* Owned partitions sort by partition number, then topic name (Kafka 3.8+). */
static int cmp_owned(int32_t a, int32_t b, const void *ctx)
{
    const assign_ctx_t *c = ctx;
    int32_t pa = a - c->base[c->ptopic[a]], pb = b - c->base[c->ptopic[b]];
    if (pa != pb)
        return pa < pb ? -1 : 1;
    int32_t ra = c->rank[c->ptopic[a]], rb = c->rank[c->ptopic[b]];
    return (ra > rb) - (ra < rb);
}

static int32_t owned_list(constrained_t *k, int32_t m, int32_t *out)
{
    const sticky_t *s = k->s;
    int32_t n = 0;
    for (int64_t i = s->claim_start[m]; i < s->claim_end[m]; i++) {
        int32_t g = s->claims[i];
        if (s->holder[g] == m && !sticky_racks_mismatch(s, m, g) && !s->multi[g])
            out[n++] = g;
    }
    assign_sort(out, (size_t)n, cmp_owned, k->c);
    return n;
}

/* assignOwnedPartitions */
static void assign_owned(constrained_t *k)
{
    const sticky_t *s = k->s;
    int32_t most = 0;
    for (int32_t m = 0; m < k->c->nm; m++) {
        int32_t n = (int32_t)(s->claim_end[m] - s->claim_start[m]);
        most = n > most ? n : most;
    }
    int32_t *owned = assign_xmalloc(((size_t)most + 1) * sizeof *owned);
    for (int32_t i = 0; i < k->c->nm; i++) {
        int32_t m = s->owned_order[i], n = owned_list(k, m, owned), quota = n;
        if (n < k->min_quota) {
            k->under[k->nunder++] = m;
        } else if (n >= k->max_quota && k->current_over < k->expected_over) {
            if (++k->current_over == k->expected_over)
                k->exact_head = k->nexact; /* clear() */
            quota = k->max_quota;
        } else {
            quota = k->min_quota;
            if (k->current_over < k->expected_over)
                exact_add(k, m);
        }
        for (int32_t j = 0; j < n; j++) {
            if (j < quota)
                keep(k, m, owned[j]);
            else
                k->revoked[owned[j]] = 1;
        }
    }
    free(owned);
}

static int cmp_member_id(int32_t a, int32_t b, const void *ctx)
{
    const int32_t *rank = ctx;
    return (rank[a] > rank[b]) - (rank[a] < rank[b]);
}

static int cmp_num_consumers(int32_t a, int32_t b, const void *ctx)
{
    const int32_t *n = ctx;
    return (n[a] > n[b]) - (n[a] < n[b]);
}

/* RackInfo.nextRackConsumer: the first member from list[first] on (circularly) whose rack
 * has a replica of g, or -1. */
static int32_t next_rack_consumer(const constrained_t *k, int32_t g, const int32_t *list,
                                  int32_t n, int32_t first)
{
    const assign_ctx_t *c = k->c;
    if (c->prack_first[g + 1] == c->prack_first[g])
        return -1;
    for (int32_t i = 0; i < n; i++) {
        int32_t at = (first + i) % n, r = k->s->consumer_rack[list[at]];
        if (r >= 0 && assign_on_rack(c, g, r))
            return at;
    }
    return -1;
}

/* assignRackAwareRoundRobin over list[0..n); returns how many are left, compacted. */
static int32_t assign_rack_aware_round_robin(constrained_t *k, int32_t *list, int32_t n)
{
    int32_t next_index = 0, left = 0;
    for (int32_t j = 0; j < n; j++) {
        int32_t g = list[j], m = -1;
        int32_t at = next_rack_consumer(k, g, k->under, k->nunder, next_index);
        if (at >= 0) {
            m = k->under[at];
            int32_t count = k->count[m] + 1;
            if (count >= k->min_quota) {
                under_remove_at(k, at);
                if (count < k->max_quota)
                    exact_add(k, m);
            } else {
                at++;
            }
            next_index = k->nunder == 0 ? 0 : at % k->nunder;
        } else if (exact_size(k) > 0) {
            at = next_rack_consumer(k, g, k->exact + k->exact_head, exact_size(k), 0);
            if (at >= 0) {
                m = k->exact[k->exact_head + at];
                if (k->count[m] + 1 == k->max_quota)
                    exact_remove_at(k, at);
            }
        }
        if (m >= 0)
            assign_new(k, g, m);
        else
            list[left++] = g;
    }
    return left;
}

/* assignRoundRobin: `next` walks the under-quota members like Kafka's iterator. */
static bool assign_round_robin(constrained_t *k, const int32_t *list, int32_t n)
{
    int32_t next = 0;
    for (int32_t j = 0; j < n; j++) {
        int32_t m;
        bool from_under = true;
        if (next < k->nunder) {
            m = k->under[next++];
        } else if (k->nunder == 0 && exact_size(k) == 0) {
            return assign_fail(k->c, "Kafka's sticky assignor throws IllegalStateException "
                                     "here (no more unfilled consumers to be assigned)");
        } else if (k->nunder == 0) {
            m = k->exact[k->exact_head++];
            from_under = false;
        } else {
            next = 0;
            m = k->under[next++];
        }
        int32_t count = assign_new(k, list[j], m);
        if (count == k->min_quota) {
            assert(from_under); /* members at minQuota never drop back to it */
            under_remove_at(k, --next);
            exact_add(k, m);
        } else if (count == k->max_quota) {
            k->current_over++;
        }
    }
    return true;
}

/* verifyUnfilledMembers */
static bool verify_unfilled(constrained_t *k)
{
    if (k->nunder == 0)
        return true;
    if (k->current_over != k->expected_over)
        return assign_fail(k->c, "Kafka's sticky assignor throws IllegalStateException here "
                                 "(too few members above minQuota, no partitions left)");
    for (int32_t i = 0; i < k->nunder; i++)
        if (k->count[k->under[i]] != k->min_quota)
            return assign_fail(k->c, "Kafka's sticky assignor throws IllegalStateException "
                                     "here (member '%s' is below minQuota, no partitions left)",
                               k->c->g->members[k->under[i]].id);
    return true;
}

/* getUnassignedPartitions, by topic name then partition; then, when Kafka has rack
 * counts, RackInfo.sortPartitionsByRackConsumers (a stable sort by that count). */
static int32_t unassigned(const constrained_t *k, int32_t *list)
{
    const assign_ctx_t *c = k->c;
    int32_t n = 0;
    for (int32_t r = 0; r < c->nt; r++) {
        int32_t t = c->by_rank[r];
        for (int32_t p = 0; c->live[t] && p < c->g->topics[t].partitions; p++)
            if (c->owner[assign_gp(c, t, p)] < 0)
                list[n++] = assign_gp(c, t, p);
    }
    if (k->s->num_consumers)
        assign_sort(list, (size_t)n, cmp_num_consumers, k->s->num_consumers);
    return n;
}

bool sticky_constrained(sticky_t *s)
{
    assign_ctx_t *c = s->c;
    constrained_t k = { .s = s, .c = c };
    k.min_quota = c->np / c->nm;
    k.max_quota = (int32_t)(((int64_t)c->np + c->nm - 1) / c->nm);
    k.expected_over = c->np % c->nm;
    k.count = assign_xcalloc((size_t)c->nm, sizeof *k.count);
    k.revoked = assign_xcalloc((size_t)c->np + 1, 1);
    k.under = assign_xmalloc((size_t)c->nm * sizeof *k.under);
    k.exact = assign_xmalloc(2 * (size_t)c->nm * sizeof *k.exact);
    int32_t *list = assign_xmalloc(((size_t)c->np + 1) * sizeof *list);

    assign_owned(&k);
    int32_t n = unassigned(&k, list);
    assign_sort(k.under, (size_t)k.nunder, cmp_member_id, c->member_rank);
    assign_sort(k.exact + k.exact_head, (size_t)exact_size(&k), cmp_member_id, c->member_rank);
    if (s->racks_on)
        n = assign_rack_aware_round_robin(&k, list, n);
    bool ok = assign_round_robin(&k, list, n) && verify_unfilled(&k);

    free(list);
    free(k.count);
    free(k.revoked);
    free(k.under);
    free(k.exact);
    return ok;
}
