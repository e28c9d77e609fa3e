/* group_rebalance: the member's side of a rebalance around the JoinGroup
 * (ConsumerCoordinator.onJoinPrepare and onJoinComplete): what is revoked, lost or
 * assigned, the rebalance listener's calls and waiting for them, and the revocation at close. */
#include <stdlib.h>
#include <string.h>

#include "consumer_internal.h"
#include "coordinator_internal.h"

/* A listener call that runs later counts as outstanding until coord_listener_done. */
static void call_listener(coordinator_t *co, consumer_rebalance_t what, const group_tps_t *t)
{
    if (!co->listener)
        return;
    topic_partition_t *tps = proto_calloc((size_t)t->n, sizeof *tps);
    for (int32_t i = 0; i < t->n; i++)
        tps[i] = (topic_partition_t){ t->v[i].topic, t->v[i].partition };
    if (co->listener(co->listener_ctx, co->c, what, tps, (size_t)t->n))
        co->listening++;
    free(tps);
}

bool coord_listening(const coordinator_t *co)
{
    return co->listening > 0;
}

void coord_listener_done(coordinator_t *co)
{
    if (co->listening > 0)
        co->listening--;
    if (co->listening == 0)
        consumer_retry_at(co->c, coord_world(co)->now);
}

/* close: gives up every partition, revoked (or lost without a generation). */
void coord_give_up_all(coordinator_t *co, bool lost, const char *why)
{
    group_tps_t all;
    coord_owned(co, &all);
    if (all.n) {
        coord_trace_partitions(co, lost ? "partitions_lost" : "partitions_revoked", &all, why);
        call_listener(co, lost ? CONSUMER_LOST : CONSUMER_REVOKED, &all);
        group_tps_t none = { 0 };
        coord_set_assignment(co, &none);
    }
    group_tps_free(&all);
}

/* onJoinComplete: the new assignment takes effect (in poll, as Kafka runs it). The
 * revocation comes first, while the member still owns the partitions and can commit
 * them; a listener call that runs later is waited for before the assignment changes. */
void coord_join_complete(coordinator_t *co)
{
    group_tps_t old, revoked = { 0 }, added = { 0 };
    coord_owned(co, &old);
    for (int32_t i = 0; i < old.n; i++)
        if (!group_tps_has(&co->pending, old.v[i].topic, old.v[i].partition))
            group_tps_add(&revoked, old.v[i].topic, old.v[i].partition);
    for (int32_t i = 0; i < co->pending.n; i++)
        if (!group_tps_has(&old, co->pending.v[i].topic, co->pending.v[i].partition))
            group_tps_add(&added, co->pending.v[i].topic, co->pending.v[i].partition);
    if (co->has_pending) {
        co->has_pending = false;
        co->completing = true;
        if (revoked.n) {
            /* Cooperative: only what moves is revoked, then the member rejoins at once so
             * the freed partitions can go to their new owners in a second rebalance. */
            coord_trace_partitions(co, "partitions_revoked", &revoked, "assigned elsewhere");
            call_listener(co, CONSUMER_REVOKED, &revoked);
        }
    }
    if (co->listening == 0) {
        co->completing = false;
        co->prepared = co->prepare_committed = co->prepare_called = false;
        coord_set_assignment(co, &co->pending);
        coord_note_join(co);
        coord_trace_partitions(co, "partitions_assigned", &added, NULL);
        call_listener(co, CONSUMER_ASSIGNED, &added);
        if (revoked.n)
            coord_request_rejoin(co);
        if (co->auto_commit)
            co->next_auto_commit = coord_world(co)->now + co->auto_commit_us;
        group_tps_free(&co->pending);
    }
    group_tps_free(&old);
    group_tps_free(&revoked);
    group_tps_free(&added);
}

/* onJoinPrepare's revocation: eager gives up everything, cooperative only the partitions
 * of topics no longer subscribed, a member without a generation loses everything. The
 * listener hears of it while the member still owns them (Kafka: "so that users can still
 * access the previously owned partitions to commit offsets"); they go when it is done. */
static void prepare_revoke(coordinator_t *co, bool member)
{
    group_tps_t all, gone = { 0 };
    coord_owned(co, &all);
    group_tps_free(&co->prepare_keep);
    co->prepare_keep = (group_tps_t){ 0 };
    for (int32_t i = 0; i < all.n; i++) {
        bool subscribed = false;
        for (int32_t k = 0; k < co->n_topics && !subscribed; k++)
            subscribed = strcmp(co->topics[k], all.v[i].topic) == 0;
        bool keep = member && co->cooperative && subscribed;
        group_tps_add(keep ? &co->prepare_keep : &gone, all.v[i].topic, all.v[i].partition);
    }
    co->prepare_release = gone.n > 0;
    if (gone.n) {
        const char *why = !member        ? "the generation or member id was reset"
                          : !co->cooperative ? "eager protocol: everything is revoked before "
                                               "rejoining"
                                             : "no longer subscribed";
        coord_trace_partitions(co, member ? "partitions_revoked" : "partitions_lost", &gone, why);
        call_listener(co, member ? CONSUMER_REVOKED : CONSUMER_LOST, &gone);
    }
    group_tps_free(&all);
    group_tps_free(&gone);
}

/* onJoinPrepare. False while the auto-commit before the rebalance is in flight or the
 * listener has not run yet. */
bool coord_join_prepare(coordinator_t *co)
{
    if (co->prepared)
        return true;
    bool member = co->generation >= 0 && *co->member_id;
    if (co->auto_commit && member && co->c->n_parts && !co->prepare_committed &&
        !co->prepare_called) {
        for (int32_t i = 0; i < co->n_commits; i++)
            if (co->commits[i].prepare)
                return false;
        coord_queue_commit(co, true, true, NULL, NULL);
        co->commits[co->n_commits - 1].deadline = coord_world(co)->now; /* one attempt */
        coord_send_commits(co);
        return false;
    }
    if (!co->prepare_called) {
        co->prepare_called = true;
        prepare_revoke(co, member);
    }
    if (co->listening)
        return false;
    if (co->prepare_release)
        coord_set_assignment(co, &co->prepare_keep);
    group_tps_free(&co->prepare_keep);
    co->prepare_keep = (group_tps_t){ 0 };
    co->prepare_release = false;
    co->prepared = true;
    return true;
}
