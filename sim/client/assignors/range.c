/* range: Kafka's RangeAssignor. Each topic on its own: its subscribers sorted as MemberInfo
 * sorts them (static members first by group.instance.id, then by member id); with P
 * partitions and C subscribers the first P % C get P / C + 1 partitions, the rest P / C,
 * in contiguous blocks.
 *
 * Rack-aware since Kafka 3.5 (KIP-881): when a topic's subscribers have racks and some of
 * its partitions have replicas on only some racks (TopicAssignmentState's
 * needsRackAwareAssignment), a first pass hands each subscriber, in order, up to its
 * share of the partitions on its own rack; topics with the same subscribers and the same
 * partition count are then kept co-partitioned (partition p of all of them goes to one
 * member whose rack every one of them has). Whatever is left goes out in the plain range
 * way, to the first subscribers with room, lowest partitions first — so blocks are no
 * longer contiguous. */
#include <stdlib.h>
#include <string.h>

#include "assign_internal.h"

/* RangeAssignor.TopicAssignmentState. Unassigned partitions form a linked list in
 * partition order (Kafka's LinkedHashSet). */
typedef struct topic_state {
    int32_t topic, np;
    const int32_t *cons; /* subscribers in MemberInfo order */
    int32_t ncons;
    int32_t per, extra; /* numPartitionsPerConsumer, remainingConsumersWithExtraPartition */
    int32_t *assigned;  /* numAssignedByConsumer, by position in cons */
    int32_t *next, *prev, head;
    int32_t nleft;
    bool racks;         /* partitionRacks is filled (some subscriber has a rack) */
    bool needs_rack_aware;
} topic_state_t;

typedef struct range {
    assign_ctx_t *c;
    int32_t *tcons_first, *tcons; /* subscribers of each topic, MemberInfo order */
    topic_state_t *st;            /* by topic index; only live topics are set up */
} range_t;

static int32_t max_assignable(const topic_state_t *s, int32_t i)
{
    int32_t n = s->per + (s->extra > 0 ? 1 : 0) - s->assigned[i];
    return n > 0 ? n : 0;
}

static void give(range_t *r, topic_state_t *s, int32_t i, int32_t p)
{
    r->c->owner[assign_gp(r->c, s->topic, p)] = s->cons[i];
    if (s->prev[p] >= 0)
        s->next[s->prev[p]] = s->next[p];
    else
        s->head = s->next[p];
    if (s->next[p] >= 0)
        s->prev[s->next[p]] = s->prev[p];
    s->nleft--;
}

/* TopicAssignmentState.onAssigned, after `k` partitions went to subscriber i. */
static void on_assigned(topic_state_t *s, int32_t i, int32_t k)
{
    s->assigned[i] += k;
    if (s->assigned[i] > s->per)
        s->extra--;
}

static bool racks_match(const range_t *r, const topic_state_t *s, int32_t m, int32_t p)
{
    int32_t rack = r->c->member_rack[m];
    return rack < 0 || assign_on_rack(r->c, assign_gp(r->c, s->topic, p), rack);
}

/* RangeAssignor.assignRanges: each subscriber in turn takes, among the unassigned
 * partitions in order, the first ones it may take, up to its share. */
static void assign_ranges(range_t *r, topic_state_t *s, bool match_racks)
{
    for (int32_t i = 0; i < s->ncons && s->nleft > 0; i++) {
        int32_t m = s->cons[i], limit = max_assignable(s, i), taken = 0;
        for (int32_t p = s->head, next; p >= 0 && taken < limit; p = next) {
            next = s->next[p];
            if (match_racks && !racks_match(r, s, m, p))
                continue;
            give(r, s, i, p);
            taken++;
        }
        if (taken > 0)
            on_assigned(s, i, taken);
    }
}

static bool state_takes(const range_t *r, const topic_state_t *s, int32_t i, int32_t p)
{
    return racks_match(r, s, s->cons[i], p) && max_assignable(s, i) > 0;
}

/* RangeAssignor.assignCoPartitionedWithRackMatching over topics g[0..n) that share their
 * subscribers and their partition count. */
static void assign_co_partitioned(range_t *r, const int32_t *g, int32_t n, int32_t partitions)
{
    topic_state_t *first = &r->st[g[0]];
    int32_t *remaining = assign_xmalloc((size_t)first->ncons * sizeof *remaining);
    int32_t nrem = first->ncons;
    for (int32_t i = 0; i < nrem; i++)
        remaining[i] = i;
    for (int32_t p = 0; p < partitions && nrem > 0; p++) {
        int32_t k = 0;
        for (; k < nrem; k++) {
            bool all = true;
            for (int32_t j = 0; all && j < n; j++)
                all = state_takes(r, &r->st[g[j]], remaining[k], p);
            if (all)
                break;
        }
        if (k == nrem)
            continue;
        int32_t i = remaining[k];
        bool more = false;
        for (int32_t j = 0; j < n; j++) {
            give(r, &r->st[g[j]], i, p);
            on_assigned(&r->st[g[j]], i, 1);
        }
        for (int32_t j = 0; j < n; j++)
            more = more || max_assignable(&r->st[g[j]], i) > 0;
        if (!more)
            memmove(remaining + k, remaining + k + 1, (size_t)(--nrem - k) * sizeof *remaining);
    }
    free(remaining);
}

/* AbstractPartitionAssignor.useRackAwareAssignment for one topic. */
static bool needs_rack_aware(range_t *r, topic_state_t *s)
{
    assign_ctx_t *c = r->c;
    uint8_t *crack = assign_xcalloc((size_t)c->nracks + 1, 1);
    uint8_t *prack = assign_xcalloc((size_t)c->nracks + 1, 1);
    bool any = false, overlap = false, uneven = false;
    for (int32_t i = 0; i < s->ncons; i++)
        if (c->member_rack[s->cons[i]] >= 0) {
            crack[c->member_rack[s->cons[i]]] = 1;
            any = 1;
        }
    int32_t base = assign_gp(c, s->topic, 0), nunion = 0;
    for (int32_t p = 0; any && p < s->np; p++)
        for (int64_t k = c->prack_first[base + p]; k < c->prack_first[base + p + 1]; k++) {
            nunion += !prack[c->prack[k]];
            prack[c->prack[k]] = 1;
            overlap = overlap || crack[c->prack[k]];
        }
    /* Each partition's rack set equals the union iff it has as many distinct racks. */
    for (int32_t p = 0; any && p < s->np; p++)
        uneven = uneven || c->prack_first[base + p + 1] - c->prack_first[base + p] != nunion;
    free(crack);
    free(prack);
    return any && overlap && (c->g->prefer_rack_aware || uneven);
}

static void setup_state(range_t *r, int32_t t)
{
    topic_state_t *s = &r->st[t];
    s->topic = t;
    s->np = r->c->g->topics[t].partitions;
    s->cons = r->tcons + r->tcons_first[t];
    s->ncons = r->tcons_first[t + 1] - r->tcons_first[t];
    s->per = s->np / s->ncons;
    s->extra = s->np % s->ncons;
    s->assigned = assign_xcalloc((size_t)s->ncons, sizeof *s->assigned);
    s->next = assign_xmalloc((size_t)s->np * sizeof *s->next);
    s->prev = assign_xmalloc((size_t)s->np * sizeof *s->prev);
    for (int32_t p = 0; p < s->np; p++) {
        s->next[p] = p + 1 < s->np ? p + 1 : -1;
        s->prev[p] = p - 1;
    }
    s->head = 0;
    s->nleft = s->np;
    s->racks = false;
    for (int32_t i = 0; i < s->ncons; i++)
        s->racks = s->racks || r->c->member_rack[s->cons[i]] >= 0;
    s->needs_rack_aware = s->racks && needs_rack_aware(r, s);
}

/* Orders live topics so that those Kafka groups together (same subscribers, same size
 * of partitionRacks) are adjacent: RangeAssignor.assignWithRackMatching's groupingBy. */
static int cmp_groups(int32_t a, int32_t b, const void *ctx)
{
    const range_t *r = ctx;
    const topic_state_t *x = &r->st[a], *y = &r->st[b];
    if (x->ncons != y->ncons)
        return x->ncons < y->ncons ? -1 : 1;
    for (int32_t i = 0; i < x->ncons; i++)
        if (x->cons[i] != y->cons[i])
            return x->cons[i] < y->cons[i] ? -1 : 1;
    int32_t kx = x->racks ? x->np : 0, ky = y->racks ? y->np : 0;
    return (kx > ky) - (kx < ky);
}

static void assign_with_rack_matching(range_t *r, int32_t *topics, int32_t n)
{
    assign_sort(topics, (size_t)n, cmp_groups, r);
    for (int32_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && cmp_groups(topics[i], topics[j], r) == 0; j++)
            ;
        topic_state_t *s = &r->st[topics[i]];
        if (j - i > 1)
            assign_co_partitioned(r, topics + i, j - i, s->racks ? s->np : 0);
        else if (s->needs_rack_aware)
            assign_ranges(r, s, true);
    }
}

/* Subscribers of each live topic, in MemberInfo order. */
static void index_subscribers(range_t *r)
{
    assign_ctx_t *c = r->c;
    int32_t *order = assign_xmalloc((size_t)c->nm * sizeof *order);
    assign_member_info_order(c, order);
    r->tcons_first = assign_xcalloc((size_t)c->nt + 1, sizeof *r->tcons_first);
    for (int32_t m = 0; m < c->nm; m++)
        for (int32_t k = c->sub_first[m]; k < c->sub_first[m + 1]; k++)
            r->tcons_first[c->sub[k] + 1] += c->live[c->sub[k]];
    for (int32_t t = 0; t < c->nt; t++)
        r->tcons_first[t + 1] += r->tcons_first[t];
    r->tcons = assign_xmalloc(((size_t)r->tcons_first[c->nt] + 1) * sizeof *r->tcons);
    int32_t *fill = assign_xmalloc(((size_t)c->nt + 1) * sizeof *fill);
    memcpy(fill, r->tcons_first, (size_t)c->nt * sizeof *fill);
    for (int32_t i = 0; i < c->nm; i++)
        for (int32_t k = c->sub_first[order[i]]; k < c->sub_first[order[i] + 1]; k++)
            if (c->live[c->sub[k]])
                r->tcons[fill[c->sub[k]]++] = order[i];
    free(fill);
    free(order);
}

bool assign_range(assign_ctx_t *c)
{
    range_t r = { .c = c };
    index_subscribers(&r);
    r.st = assign_xcalloc((size_t)c->nt + 1, sizeof *r.st);
    int32_t *topics = assign_xmalloc(((size_t)c->nt + 1) * sizeof *topics), n = 0;
    bool rack_aware = false;
    for (int32_t t = 0; t < c->nt; t++) {
        if (!c->live[t])
            continue;
        setup_state(&r, t);
        rack_aware = rack_aware || r.st[t].needs_rack_aware;
        topics[n++] = t;
    }
    if (rack_aware) {
        c->flags |= ASSIGN_RACK_AWARE;
        assign_with_rack_matching(&r, topics, n);
    }
    for (int32_t i = 0; i < n; i++)
        assign_ranges(&r, &r.st[topics[i]], false);
    for (int32_t i = 0; i < n; i++) {
        topic_state_t *s = &r.st[topics[i]];
        free(s->assigned);
        free(s->next);
        free(s->prev);
    }
    free(topics);
    free(r.st);
    free(r.tcons_first);
    free(r.tcons);
    return true;
}
