/* compare_internal: what compare.c and compare_group.c share: a consumer group as one
 * strategy's replay of a history changes it. Private to assignors/. */
#ifndef KSIM_COMPARE_INTERNAL_H
#define KSIM_COMPARE_INTERNAL_H

#include "compare.h"

typedef struct compare_member {
    int32_t uid; /* unique over the history: a member that comes back is a new member */
    const char *id, *instance, *rack;
    const int32_t *topics; /* the subscription, borrowed from the history */
    int32_t ntopics;
    assign_tp_t *owned;
    int32_t nowned, cap;
    int32_t generation;
} compare_member_t;

typedef struct compare_group {
    const compare_history_t *h;
    compare_member_t *m; /* in the order they joined */
    int32_t n, cap, next_uid;
    int32_t *count;     /* each topic's partition count now */
    int32_t *stamp;     /* per topic, for subscription checks */
    int32_t stamp_now;
    int32_t generation; /* the group's: one more per round */
    compare_error_t *err;
    int32_t step, change;
} compare_group_t;

void compare_group_init(compare_group_t *g, const compare_history_t *h, compare_error_t *err);
void compare_group_free(compare_group_t *g);
/* A fresh stamp for g->stamp (reset when the counter would wrap). */
int32_t compare_group_stamp(compare_group_t *g);
/* Applies step s: -1 on a bad change (g->err says why), else whether the group
 * rebalances (a member joins or goes, a subscription changes, a subscribed topic grows,
 * and the group is not empty). */
int compare_group_apply(compare_group_t *g, int32_t s);
/* Checks the whole history and fills info (per step); base[t] is where topic t's
 * partitions start in a flat index sized for the largest counts the history reaches. */
bool compare_first_pass(const compare_history_t *h, compare_step_info_t *info, int64_t *base,
                        compare_error_t *err);

#endif
