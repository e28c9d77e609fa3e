/* sticky_internal: the state that the parts of Kafka's AbstractStickyAssignor share.
 *   sticky.c              member data, allSubscriptionsEqual, RackInfo, the entry point,
 *                         CooperativeStickyAssignor's removal of partitions to revoke first;
 *   sticky_constrained.c  ConstrainedAssignmentBuilder (all subscriptions equal);
 *   sticky_general.c      GeneralAssignmentBuilder (any subscriptions);
 *   sticky_moves.c        PartitionMovements, the general path's memory of moves;
 *   sticky_set.c          the TreeSet of members ordered by load, then member id.
 * Partitions are global indexes (assign_internal.h); members are group indexes. */
#ifndef KSIM_STICKY_INTERNAL_H
#define KSIM_STICKY_INTERNAL_H

#include "assign_internal.h"
#include "java_order.h"

typedef struct sticky {
    assign_ctx_t *c;
    int32_t *order;         /* members in the iteration order of the subscriptions HashMap */
    /* ... and of consumerToOwnedPartitions, a HashMap filled in `order`: the same order
     * unless a tree bin (java_order.h) iterates otherwise than it was filled. */
    int32_t *owned_order;
    int32_t *gen;           /* each member's generation, -1 for none (DEFAULT_GENERATION) */
    int32_t max_generation;
    /* consumerToOwnedPartitions as allSubscriptionsEqual leaves it: member m's claims are
     * claims[claim_start[m] .. claim_end[m]) (live partitions, in its order); it still
     * owns a claim g when holder[g] == m. */
    int64_t *claim_start, *claim_end;
    int32_t *claims;
    int32_t *holder;
    uint8_t *multi; /* partitionsWithMultiplePreviousOwners */
    /* RackInfo: consumer_rack is -1 for every member unless rack-aware assignment is on;
     * num_consumers (numConsumersByPartition) is NULL when Kafka's map is empty. */
    bool racks_on;
    int32_t *consumer_rack;
    int32_t *num_consumers;
    /* partitionsTransferringOwnership of the constrained path: -1 or the new owner. */
    int32_t *transfer;
} sticky_t;

/* RackInfo.racksMismatch: member m has a rack and partition g has no replica there. */
bool sticky_racks_mismatch(const sticky_t *s, int32_t m, int32_t g);

bool sticky_constrained(sticky_t *s);
bool sticky_general(sticky_t *s);

/* ---- sticky_set.c: TreeSet<String>(SubscriptionComparator) ---- */

/* Members ordered by count[m], then member id (member_rank); a treap whose priorities
 * are a fixed hash of the member index, so its shape never depends on addresses. A
 * member's count must not change while it is in the set (Kafka removes, changes, adds). */
typedef struct load_set {
    int32_t root;
    int32_t *left, *right, *parent;
    uint32_t *prio;
    uint8_t *in;
    const int32_t *count, *rank;
} load_set_t;

void load_set_init(load_set_t *s, int32_t nm, const int32_t *count, const int32_t *rank);
void load_set_free(load_set_t *s);
void load_set_add(load_set_t *s, int32_t m);    /* no-op when present */
void load_set_remove(load_set_t *s, int32_t m); /* no-op when absent */
int32_t load_set_first(const load_set_t *s);    /* -1 when empty */
int32_t load_set_last(const load_set_t *s);
int32_t load_set_next(const load_set_t *s, int32_t m); /* -1 after the last */

/* ---- sticky_moves.c: PartitionMovements ---- */

typedef struct moves_pair {
    int32_t topic, src, dst, set; /* set: index into sets, -1 for an empty slot */
} moves_pair_t;

typedef struct moves {
    const assign_ctx_t *c;
    int32_t *src, *dst;   /* partitionMovements: each partition's move, -1 when none */
    int32_t *per_topic;   /* moved partitions per topic (partitionMovementsByTopic) */
    moves_pair_t *slot;   /* open addressing: (topic, src, dst) -> HashSet<TopicPartition> */
    uint32_t nslot, used;
    jorder_map_t *sets;   /* keys: partition numbers */
    int32_t nsets, sets_cap;
} moves_t;

void moves_init(moves_t *mv, const assign_ctx_t *c);
void moves_free(moves_t *mv);
/* getTheActualPartitionToBeMoved: the partition to move instead of g when moving it from
 * old to new would undo an earlier move of another partition of the same topic. */
int32_t moves_actual(const moves_t *mv, int32_t g, int32_t old, int32_t newc);
/* movePartition: records that g goes from old to new. */
void moves_move(moves_t *mv, int32_t g, int32_t old, int32_t newc);

#endif
