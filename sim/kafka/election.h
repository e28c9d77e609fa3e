/* election: how the controller changes a partition's registration (Kafka's
 * PartitionChangeBuilder without reassignment or ELR): set a target ISR, keep the leader
 * if it is still valid, otherwise elect the first acceptable ISR member in assignment
 * order, or, with unclean election allowed, the first acceptable replica. */
#ifndef KSIM_ELECTION_H
#define KSIM_ELECTION_H

#include <stdbool.h>
#include <stdint.h>

#include "mdimage.h"

/* Whether a broker may lead (registered and not fenced, as the controller sees it). */
typedef bool (*elect_acceptable_fn)(void *ctx, int32_t broker);

typedef struct elect_result {
    md_partition_t part; /* the registration after the change */
    bool changed;        /* a PartitionChangeRecord is needed */
    bool leader_changed; /* the leader epoch was bumped */
    bool unclean;        /* the leader came from outside the ISR */
} elect_result_t;

/* The change for `cur` towards ISR `target` (n may be 0: an ISR never becomes empty, its
 * last member stays, as KRaft keeps it without ELR). */
elect_result_t elect_change(const md_partition_t *cur, const int32_t *target, int32_t n,
                            bool unclean_allowed, elect_acceptable_fn ok, void *ctx);

/* The ISR without `broker`. Returns the new size. */
int32_t elect_isr_without(const md_partition_t *p, int32_t broker, int32_t *out);

#endif
