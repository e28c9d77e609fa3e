/* roundrobin: Kafka's RoundRobinAssignor. Members sorted as MemberInfo sorts them (static
 * members first by group.instance.id, then by member id) stand in a circle (Kafka's
 * CircularIterator); the partitions of every subscribed topic, sorted by topic name and
 * partition, go one by one to the next member in the circle that subscribes to the
 * partition's topic. The circle's position carries over from topic to topic, so with
 * unequal subscriptions a member may get far more than another. Kafka 3.9 has no
 * rack-aware round robin (KIP-881 changed range and the sticky assignors only). */
#include <stdlib.h>

#include "assign_internal.h"

bool assign_roundrobin(assign_ctx_t *c)
{
    int32_t *circle = assign_xmalloc((size_t)c->nm * sizeof *circle);
    assign_member_info_order(c, circle);
    int32_t at = 0;
    for (int32_t r = 0; r < c->nt; r++) {
        int32_t t = c->by_rank[r];
        if (!c->live[t])
            continue;
        for (int32_t p = 0; p < c->g->topics[t].partitions; p++) {
            /* A live topic has a subscriber, so this stops within one lap. */
            while (!assign_subscribes(c, circle[at], t))
                at = (at + 1) % c->nm;
            c->owner[assign_gp(c, t, p)] = circle[at];
            at = (at + 1) % c->nm;
        }
    }
    free(circle);
    return true;
}
