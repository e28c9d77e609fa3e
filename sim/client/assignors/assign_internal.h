/* assign_internal: what assignor.c prepares for every assignor from a validated group:
 * topics ranked by name, a global index for every partition Kafka would assign, sorted
 * subscriptions, interned racks, and the answer being built. Private to assignors/. */
#ifndef KSIM_ASSIGN_INTERNAL_H
#define KSIM_ASSIGN_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "assignor.h"

typedef struct assign_ctx {
    const assign_group_t *g;
    int32_t nm, nt;
    /* Topics. `live` topics are those in Kafka's partitionsPerTopic: with partitions and
     * at least one subscriber (AbstractPartitionAssignor.assign). Partition p of live
     * topic t has the global index base[t] + p; other topics have base -1. */
    int32_t *rank;    /* position of each topic's name in Java string order */
    int32_t *by_rank; /* the topic at each rank */
    int32_t *hash;    /* each name's String.hashCode */
    uint8_t *live;
    int32_t *base;
    int32_t np;       /* partitions of live topics */
    int32_t *ptopic;  /* topic of each global partition */
    /* Members: subscribed topics sorted by index, sub[sub_first[m] .. sub_first[m+1]). */
    int32_t *sub_first;
    int32_t *sub;
    int32_t *member_rank; /* position of each member id in Java string order */
    /* Racks, interned; built only when some member has a client.rack (Kafka looks at
     * replica racks only then). Global partition g has the distinct non-null racks
     * prack[prack_first[g] .. prack_first[g+1]). member_rack is -1 for none. */
    int32_t *member_rack;
    int32_t nracks;
    int64_t *prack_first;
    int32_t *prack;
    /* The answer: the member of each global partition, -1 for none. */
    int32_t *owner;
    unsigned flags;
    char *err;
    size_t errlen;
} assign_ctx_t;

static inline int32_t assign_gp(const assign_ctx_t *c, int32_t topic, int32_t partition)
{
    return c->base[topic] + partition;
}

/* Whether member m subscribes to topic t. */
bool assign_subscribes(const assign_ctx_t *c, int32_t m, int32_t t);
/* Whether global partition g has a replica on rack r. */
bool assign_on_rack(const assign_ctx_t *c, int32_t g, int32_t r);
/* Whether any member has a rack (and so partition racks were looked at). */
static inline bool assign_has_racks(const assign_ctx_t *c)
{
    return c->prack_first != NULL;
}
/* Members sorted as AbstractPartitionAssignor.MemberInfo.compareTo sorts them: static
 * members first by group.instance.id, then the others by member id. */
void assign_member_info_order(const assign_ctx_t *c, int32_t *order);
/* Writes a message to c->err and returns false (for Kafka's own exceptions). */
bool assign_fail(assign_ctx_t *c, const char *fmt, ...);

/* A stable merge sort of int32 items under a comparison with context. */
typedef int (*assign_cmp_fn)(int32_t a, int32_t b, const void *ctx);
void assign_sort(int32_t *items, size_t n, assign_cmp_fn cmp, const void *ctx);

void *assign_xmalloc(size_t n);
void *assign_xcalloc(size_t n, size_t size);

/* The assignors: each fills c->owner (all -1 on entry) and may set c->flags. */
bool assign_range(assign_ctx_t *c);
bool assign_roundrobin(assign_ctx_t *c);
bool assign_sticky(assign_ctx_t *c, bool cooperative);

#endif
