/* group_unowned: the group coordinator's time-without-owner measure: who owns each
 * partition of a group, since when a partition has had no owner, and the total time
 * partitions waited over every rebalance. Pure: time is passed in. */
#ifndef KSIM_GROUP_UNOWNED_H
#define KSIM_GROUP_UNOWNED_H

#include <stdint.h>

#include <cJSON.h>

#include "group.h"

/* Who owned a partition last. */
typedef struct ownership {
    const char *topic;  /* interned */
    int32_t partition;
    char *owner;        /* NULL: nobody since `since` */
    int64_t since;      /* µs, -1 while owned */
} ownership_t;

typedef struct unowned {
    ownership_t *own;
    int32_t n_own;
    int64_t total_us;   /* over every rebalance */
} unowned_t;

void unowned_free(unowned_t *u);
/* A loaded group: each member owns what its stored assignment gives it. */
void unowned_seed(unowned_t *u, const group_t *g);
/* A restarted static member keeps what its old id owned. */
void unowned_rename(unowned_t *u, const char *old_id, const char *new_id);
/* The member gave up what `kept` does not list (NULL: everything) at `now`. */
void unowned_release(unowned_t *u, const char *member, const group_tps_t *kept, int64_t now);
/* The group's new assignment takes effect at `now`: partitions without an owner get one.
 * Returns the µs they waited in all; each one's wait in ms goes into `parts` (if not NULL)
 * as "topic-partition": ms. */
int64_t unowned_hand_over(unowned_t *u, const group_t *g, int64_t now, cJSON *parts);

#endif
