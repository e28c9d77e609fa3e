/* assignor: Kafka's consumer-group partition assignors (`range`, `roundrobin`, `sticky`,
 * `cooperative-sticky`) as pure functions from a group to an assignment. A group is what
 * the group leader's ConsumerCoordinator hands its assignor: topics with their partition
 * counts (and the racks of each partition's replicas), and the members in JoinGroup
 * response order with their subscriptions, owned partitions, generation,
 * group.instance.id and client.rack. The answer is Kafka 3.9's, to the partition: member
 * ordering, Java's hash-map iteration order (java_order.h), rack-aware assignment
 * (KIP-881) and Kafka's quirks included.
 *
 * How each assignor orders things (the input order of topics never matters):
 *   range        per topic, on its own: partitions in order, subscribers sorted with
 *                static members first (by group.instance.id), then by member id;
 *   roundrobin   members sorted as for range, in a circle; partitions of all subscribed
 *                topics sorted by topic name, then partition;
 *   sticky,      Kafka's AbstractStickyAssignor: members in the iteration order of a Java
 *   cooperative- HashMap of member ids filled in JoinGroup order; topics sorted by name
 *   sticky       (equal subscriptions) or by number of subscribers, then name (otherwise).
 * Names compare as Java strings (UTF-16 code units: "C10" < "C2", "Z" < "a").
 *
 * Owned partitions and generation: for `sticky` they stand for the StickyAssignor's user
 * data, for `cooperative-sticky` for the subscription's ownedPartitions and generationId
 * fields; `range` and `roundrobin` ignore them. */
#ifndef KSIM_ASSIGNOR_H
#define KSIM_ASSIGNOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A partition: topic is an index into the group's topics. */
typedef struct assign_tp {
    int32_t topic;
    int32_t partition;
} assign_tp_t;

/* The racks of one partition's replicas; a NULL rack is a broker without broker.rack. */
typedef struct assign_replicas {
    const char *const *racks;
    int32_t n;
} assign_replicas_t;

typedef struct assign_topic {
    const char *name;
    int32_t partitions; /* 0: the topic is skipped, as Kafka skips topics without metadata */
    /* One entry per partition, or NULL when the replicas' racks are unknown. */
    const assign_replicas_t *replicas;
} assign_topic_t;

#define ASSIGN_NO_GENERATION (-1)

typedef struct assign_member {
    const char *id;          /* member.id, unique in the group */
    const char *instance;    /* group.instance.id, NULL for a dynamic member */
    const char *rack;        /* client.rack, NULL (or "", as in Kafka) for none */
    const int32_t *topics;   /* subscription: indexes into the group's topics */
    int32_t ntopics;
    const assign_tp_t *owned; /* partitions it owned (its previous assignment) */
    int32_t nowned;
    int32_t generation;      /* generation of that assignment, ASSIGN_NO_GENERATION for none */
} assign_member_t;

typedef struct assign_group {
    const assign_topic_t *topics;
    int32_t ntopics;
    const assign_member_t *members; /* in JoinGroup response order */
    int32_t nmembers;
    /* Two knobs for replaying Kafka's own unit tests; 0 and false for a real group.
     * java_map_capacity: the initial capacity of the Java HashMap of subscriptions that
     * the sticky assignors iterate (0: ConsumerCoordinator's `new HashMap<>()`; Kafka's
     * rack tests build theirs with `new HashMap<>(members)`). prefer_rack_aware: Kafka's
     * test-only AbstractPartitionAssignor.preferRackAwareLogic, which runs the rack-aware
     * code even when every partition has replicas on every rack. */
    int32_t java_map_capacity;
    bool prefer_rack_aware;
} assign_group_t;

/* What the assignor did, for explanations (bits of assign_result_t.flags). */
enum {
    ASSIGN_CONSTRAINED = 1, /* sticky: the fast path for equal subscriptions */
    ASSIGN_GENERAL = 2,     /* sticky: the general path */
    ASSIGN_RACK_AWARE = 4,  /* racks decided where some partitions went */
};

typedef struct assign_result {
    int32_t nmembers;
    /* Member m (group order) gets tps[first[m]] .. tps[first[m + 1] - 1], sorted by topic
     * name (Java order), then partition. */
    int64_t *first;
    assign_tp_t *tps;
    unsigned flags;
} assign_result_t;

#define ASSIGN_NAMES "range, roundrobin, sticky, cooperative-sticky"
#define ASSIGN_MAX_PARTITIONS (1 << 24) /* partitions of all topics of a group, at most */

/* Whether `name` is one of ASSIGN_NAMES (Kafka's own names for the assignors). */
bool assign_known(const char *name);

/* Runs assignor `name` on group g. On success fills *out (free with assign_result_free)
 * and returns true. A group that cannot be assigned (unknown assignor, duplicate member
 * ids, a topic index out of range, an owned partition that does not exist, a negative
 * partition count, …) or that makes Kafka's own assignor throw returns false with a
 * sentence in err. Deterministic: the same group always gives the same answer. */
bool assign_run(const char *name, const assign_group_t *g, assign_result_t *out, char *err,
                size_t errlen);

void assign_result_free(assign_result_t *r);

#endif
