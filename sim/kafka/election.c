#include "election.h"

#include <string.h>

static bool valid_leader(const int32_t *isr, int32_t n, int32_t r, elect_acceptable_fn ok,
                         void *ctx)
{
    return r != MD_NO_LEADER && md_in(isr, n, r) && ok(ctx, r);
}

static bool same_ids(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
    return na == nb && memcmp(a, b, (size_t)na * sizeof *a) == 0;
}

elect_result_t elect_change(const md_partition_t *cur, const int32_t *target, int32_t n,
                            bool unclean_allowed, elect_acceptable_fn ok, void *ctx)
{
    elect_result_t r = { .part = *cur };
    md_partition_t *p = &r.part;
    int32_t leader = MD_NO_LEADER;
    if (valid_leader(target, n, cur->leader, ok, ctx))
        leader = cur->leader; /* the current leader still qualifies: no election */
    for (int32_t i = 0; leader == MD_NO_LEADER && i < cur->n_replicas; i++)
        if (valid_leader(target, n, cur->replicas[i], ok, ctx))
            leader = cur->replicas[i];
    for (int32_t i = 0; leader == MD_NO_LEADER && unclean_allowed && i < cur->n_replicas; i++) {
        if (ok(ctx, cur->replicas[i])) {
            leader = cur->replicas[i];
            r.unclean = true;
        }
    }
    if (leader != cur->leader) {
        p->leader = leader;
        p->leader_epoch++;
        r.leader_changed = true;
    }
    if (r.unclean) {
        /* An unclean leader becomes the whole ISR: what the others had is gone. */
        p->n_isr = 1;
        p->isr[0] = leader;
    } else if (n > 0 && !same_ids(target, n, cur->isr, cur->n_isr)) {
        p->n_isr = n;
        memcpy(p->isr, target, (size_t)n * sizeof *target);
    }
    r.changed = r.leader_changed || !same_ids(p->isr, p->n_isr, cur->isr, cur->n_isr);
    if (r.changed)
        p->partition_epoch++;
    return r;
}

int32_t elect_isr_without(const md_partition_t *p, int32_t broker, int32_t *out)
{
    int32_t n = 0;
    for (int32_t i = 0; i < p->n_isr; i++)
        if (p->isr[i] != broker)
            out[n++] = p->isr[i];
    return n;
}
