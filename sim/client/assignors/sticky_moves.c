/* sticky_moves: AbstractStickyAssignor.PartitionMovements, the general path's record of
 * which partition went from which member to which during one assignment. When a move
 * would send a partition from A to B while another partition of the same topic already
 * went from B to A, Kafka moves that other partition back instead, to keep both members'
 * old partitions. "That other partition" is the first element of a Java
 * HashSet<TopicPartition>, so the sets are java_order maps hashed as TopicPartition. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "sticky_internal.h"

void moves_init(moves_t *mv, const assign_ctx_t *c)
{
    memset(mv, 0, sizeof *mv);
    mv->c = c;
    mv->src = assign_xmalloc(((size_t)c->np + 1) * sizeof *mv->src);
    mv->dst = assign_xmalloc(((size_t)c->np + 1) * sizeof *mv->dst);
    memset(mv->src, 0xff, ((size_t)c->np + 1) * sizeof *mv->src);
    memset(mv->dst, 0xff, ((size_t)c->np + 1) * sizeof *mv->dst);
    mv->per_topic = assign_xcalloc((size_t)c->nt + 1, sizeof *mv->per_topic);
    mv->nslot = 64;
    mv->slot = assign_xmalloc(mv->nslot * sizeof *mv->slot);
    for (uint32_t i = 0; i < mv->nslot; i++)
        mv->slot[i].set = -1;
}

void moves_free(moves_t *mv)
{
    for (int32_t i = 0; i < mv->nsets; i++)
        jorder_map_free(&mv->sets[i]);
    free(mv->sets);
    free(mv->slot);
    free(mv->src);
    free(mv->dst);
    free(mv->per_topic);
}

static uint32_t pair_hash(int32_t topic, int32_t src, int32_t dst)
{
    uint64_t h = (uint64_t)(uint32_t)topic * 0x9e3779b97f4a7c15ull;
    h ^= (uint64_t)(uint32_t)src * 0xc2b2ae3d27d4eb4full;
    h ^= (uint64_t)(uint32_t)dst * 0x165667b19e3779f9ull;
    return (uint32_t)(h ^ (h >> 29));
}

static moves_pair_t *find_slot(moves_pair_t *slot, uint32_t nslot, int32_t t, int32_t s, int32_t d)
{
    for (uint32_t i = pair_hash(t, s, d) & (nslot - 1);; i = (i + 1) & (nslot - 1)) {
        moves_pair_t *p = &slot[i];
        if (p->set < 0 || (p->topic == t && p->src == s && p->dst == d))
            return p;
    }
}

static void grow(moves_t *mv)
{
    moves_pair_t *old = mv->slot;
    uint32_t n = mv->nslot;
    mv->nslot *= 2;
    mv->slot = assign_xmalloc(mv->nslot * sizeof *mv->slot);
    for (uint32_t i = 0; i < mv->nslot; i++)
        mv->slot[i].set = -1;
    for (uint32_t i = 0; i < n; i++)
        if (old[i].set >= 0)
            *find_slot(mv->slot, mv->nslot, old[i].topic, old[i].src, old[i].dst) = old[i];
    free(old);
}

/* The set of partitions of topic t moved from src to dst, NULL when Kafka has none.
 * An emptied set is Kafka's removed map entry: the next add starts a new HashSet. */
static jorder_map_t *pair_set(const moves_t *mv, int32_t t, int32_t src, int32_t dst)
{
    moves_pair_t *p = find_slot(mv->slot, mv->nslot, t, src, dst);
    if (p->set < 0 || mv->sets[p->set].size == 0)
        return NULL;
    return &mv->sets[p->set];
}

static jorder_map_t *pair_set_add(moves_t *mv, int32_t t, int32_t src, int32_t dst)
{
    if (2 * (mv->used + 1) > mv->nslot)
        grow(mv);
    moves_pair_t *p = find_slot(mv->slot, mv->nslot, t, src, dst);
    if (p->set < 0) {
        if (mv->nsets == mv->sets_cap) {
            mv->sets_cap = mv->sets_cap ? 2 * mv->sets_cap : 16;
            mv->sets = realloc(mv->sets, (size_t)mv->sets_cap * sizeof *mv->sets);
            assert(mv->sets);
        }
        *p = (moves_pair_t){ t, src, dst, mv->nsets };
        jorder_map_init(&mv->sets[mv->nsets++], JORDER_DEFAULT_CAPACITY, NULL, NULL);
        mv->used++;
    }
    return &mv->sets[p->set];
}

static int32_t tp_hash(const moves_t *mv, int32_t g)
{
    int32_t t = mv->c->ptopic[g];
    return jorder_tp_hash(mv->c->hash[t], g - mv->c->base[t]);
}

/* removeMovementRecordOfPartition */
static void remove_record(moves_t *mv, int32_t g)
{
    int32_t t = mv->c->ptopic[g];
    jorder_map_t *set = pair_set(mv, t, mv->src[g], mv->dst[g]);
    assert(set);
    jorder_map_remove(set, g - mv->c->base[t], tp_hash(mv, g));
    if (set->size == 0) {
        jorder_map_free(set);
        jorder_map_init(set, JORDER_DEFAULT_CAPACITY, NULL, NULL);
    }
    mv->src[g] = mv->dst[g] = -1;
    mv->per_topic[t]--;
}

/* addPartitionMovementRecord */
static void add_record(moves_t *mv, int32_t g, int32_t src, int32_t dst)
{
    int32_t t = mv->c->ptopic[g];
    mv->src[g] = src;
    mv->dst[g] = dst;
    mv->per_topic[t]++;
    jorder_map_put(pair_set_add(mv, t, src, dst), g - mv->c->base[t], tp_hash(mv, g));
}

void moves_move(moves_t *mv, int32_t g, int32_t old, int32_t newc)
{
    if (mv->src[g] < 0) {
        add_record(mv, g, old, newc);
        return;
    }
    int32_t first_src = mv->src[g];
    assert(mv->dst[g] == old);
    remove_record(mv, g);
    if (first_src != newc) /* not back to where it started */
        add_record(mv, g, first_src, newc);
}

int32_t moves_actual(const moves_t *mv, int32_t g, int32_t old, int32_t newc)
{
    int32_t t = mv->c->ptopic[g];
    if (mv->per_topic[t] == 0)
        return g;
    if (mv->src[g] >= 0) {
        assert(mv->dst[g] == old);
        old = mv->src[g];
    }
    const jorder_map_t *reverse = pair_set(mv, t, newc, old);
    if (!reverse)
        return g;
    return mv->c->base[t] + jorder_map_first(reverse);
}
