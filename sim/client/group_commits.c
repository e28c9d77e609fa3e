/* group_commits: the member's offset commits (commitSync, commitAsync, auto-commit and
 * the commit before a rebalance) with Kafka's client-side generation checks and error
 * handling, and the OffsetFetch that starts newly assigned partitions from their
 * committed offsets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kafka/api.h"
#include "consumer_internal.h"
#include "coordinator_internal.h"

void coord_queue_commit(coordinator_t *co, bool sync, bool prepare, consumer_commit_fn fn,
                         void *ctx)
{
    co->commits = realloc(co->commits, (size_t)(co->n_commits + 1) * sizeof *co->commits);
    if (!co->commits)
        abort();
    commit_t *k = &co->commits[co->n_commits++];
    *k = (commit_t){ ++co->next_commit, sync, false, prepare,
                     coord_world(co)->now + co->api_timeout_us, fn, ctx, 0, NULL };
    k->parts = proto_calloc((size_t)co->c->n_parts, sizeof *k->parts);
    for (int32_t i = 0; i < co->c->n_parts; i++) {
        const cpart_t *p = &co->c->parts[i];
        if (p->position >= 0)
            k->parts[k->n++] = (offset_part_t){ p->topic, p->partition, p->position, 0 };
    }
}

void coord_commit_done(coordinator_t *co, int32_t i, int16_t error, const char *what)
{
    commit_t k = co->commits[i];
    memmove(&co->commits[i], &co->commits[i + 1], (size_t)(co->n_commits - i - 1) * sizeof k);
    co->n_commits--;
    free(k.parts);
    if (k.prepare) {
        co->prepare_committed = true;
        consumer_retry_at(co->c, coord_world(co)->now);
    }
    if (k.fn)
        k.fn(k.ctx, co->c, error, what);
}

/* generationIfStable: a member in a rebalance or out of the group cannot commit. */
static bool commit_refused(coordinator_t *co, int16_t *error, const char **what)
{
    if (!co->subscribed || (co->state == M_STABLE && co->generation >= 0 && !co->has_pending))
        return false;
    if (co->rejoin_needed && co->generation >= 0) {
        *error = KERR_CLIENT_REBALANCING;
        *what = "Offset commit cannot be completed since the consumer is undergoing a "
                "rebalance for auto partition assignment. You can try completing the "
                "rebalance by calling poll() and then retry the operation.";
    } else {
        *error = KERR_CLIENT_COMMIT_FAILED;
        *what = "Offset commit cannot be completed since the consumer is not part of an "
                "active group for auto partition assignment; it is likely that the consumer "
                "was kicked out of the group.";
    }
    return true;
}

void coord_commit(coordinator_t *co, bool sync, consumer_commit_fn fn, void *ctx)
{
    int16_t error;
    const char *what;
    if (commit_refused(co, &error, &what)) {
        cJSON *ev = world_trace(coord_world(co), co->c->node, "commit_failed");
        if (ev) {
            cJSON_AddStringToObject(ev, "group", co->group);
            cJSON_AddStringToObject(ev, "error", kerr_name(error));
            world_emit(coord_world(co), ev);
        }
        if (fn)
            fn(ctx, co->c, error, what);
        return;
    }
    coord_queue_commit(co, sync, false, fn, ctx);
    coord_kick_commits(co);
}

void coord_send_commits(coordinator_t *co)
{
    for (int32_t i = 0; i < co->n_commits; i++) {
        commit_t *k = &co->commits[i];
        if (k->in_flight)
            continue;
        if (k->n == 0) {
            coord_commit_done(co, i, KERR_NONE, NULL);
            i--;
            continue;
        }
        offsets_msg_t *r = proto_calloc(1, sizeof *r);
        r->group = gp_strdup(co->group);
        bool member = co->subscribed;
        r->member_id = gp_strdup(member ? co->member_id : "");
        r->instance_id = gp_strdup(member ? co->instance : NULL);
        r->generation = member ? co->generation : -1;
        r->n = k->n;
        r->parts = proto_calloc((size_t)k->n, sizeof *r->parts);
        memcpy(r->parts, k->parts, (size_t)k->n * sizeof *r->parts);
        k->in_flight = true;
        coord_send(co, co->coord_node, API_OFFSET_COMMIT, r, &offset_commit_req_ops, false, k->id);
    }
}

static int32_t find_commit(const coordinator_t *co, uint32_t id)
{
    for (int32_t i = 0; i < co->n_commits; i++)
        if (co->commits[i].id == id)
            return i;
    return -1;
}

/* OffsetCommitResponseHandler. */
void coord_commit_response(coordinator_t *co, uint32_t id, const offsets_msg_t *r)
{
    int32_t i = find_commit(co, id);
    if (i < 0)
        return;
    commit_t *k = &co->commits[i];
    k->in_flight = false;
    int16_t error = !r ? KERR_NETWORK_EXCEPTION : r->n ? r->parts[0].error : r->error;
    char what[400];
    switch (error) {
    case KERR_NONE:
        coord_commit_done(co, i, KERR_NONE, NULL);
        return;
    case KERR_UNKNOWN_MEMBER_ID:
    case KERR_ILLEGAL_GENERATION:
        snprintf(what, sizeof what, "Commit cannot be completed since the group has already "
                 "rebalanced and assigned the partitions to another member (%s)",
                 kerr_name(error));
        coord_reset_generation(co, error == KERR_UNKNOWN_MEMBER_ID, kerr_name(error));
        coord_commit_done(co, i, KERR_CLIENT_COMMIT_FAILED, what);
        return;
    case KERR_FENCED_INSTANCE_ID:
        coord_commit_done(co, i, KERR_FENCED_INSTANCE_ID, FENCED_WHAT);
        return;
    case KERR_REBALANCE_IN_PROGRESS:
        coord_request_rejoin(co);
        coord_commit_done(co, i, KERR_CLIENT_REBALANCING, "Offset commit cannot be completed since "
                    "the consumer group is executing a rebalance at the moment.");
        return;
    default:
        coord_mark_unknown(co, kerr_name(error));
        /* commitSync retries retriable errors until its deadline; commitAsync fails. */
        if (!k->sync || coord_world(co)->now >= k->deadline) {
            snprintf(what, sizeof what, "Offset commit failed with a retriable exception (%s)",
                     kerr_name(error));
            coord_commit_done(co, i, k->sync ? KERR_CLIENT_TIMEOUT : error, what);
            return;
        }
        coord_backoff(co);
        coord_kick_commits(co);
        return;
    }
}

/* ---- committed offsets of newly assigned partitions ---- */

void coord_send_offset_fetch(coordinator_t *co)
{
    offsets_msg_t *r = proto_calloc(1, sizeof *r);
    r->group = gp_strdup(co->group);
    /* KIP-447: the consumer always asks for stable offsets, whatever its isolation.level
     * (ConsumerCoordinator.sendOffsetFetchRequest builds it with requireStable = true). */
    r->require_stable = true;
    r->parts = proto_calloc((size_t)co->c->n_parts, sizeof *r->parts);
    for (int32_t i = 0; i < co->c->n_parts; i++) {
        const cpart_t *p = &co->c->parts[i];
        if (p->need_committed)
            r->parts[r->n++] = (offset_part_t){ p->topic, p->partition, -1, 0 };
    }
    if (!r->n) {
        offset_fetch_req_ops.free(r);
        return;
    }
    co->fetching_offsets = true;
    coord_send(co, co->coord_node, API_OFFSET_FETCH, r, &offset_fetch_req_ops, false, 0);
}

/* OffsetFetchResponseHandler: UNSTABLE_OFFSET_COMMIT on any partition fails the whole
 * fetch with the retriable UnstableOffsetCommitException; fetchCommittedOffsets tries
 * again after retry.backoff.ms. */
static bool unstable(coordinator_t *co, const offsets_msg_t *r)
{
    cJSON *ev = NULL, *parts = NULL;
    bool any = false;
    for (int32_t k = 0; k < r->n; k++) {
        if (r->parts[k].error != KERR_UNSTABLE_OFFSET_COMMIT)
            continue;
        if (!any && (ev = world_trace(coord_world(co), co->c->node, "offsets_unstable"))) {
            cJSON_AddStringToObject(ev, "group", co->group);
            parts = cJSON_AddArrayToObject(ev, "partitions");
        }
        any = true;
        char name[300];
        snprintf(name, sizeof name, "%s-%d", r->parts[k].topic, r->parts[k].partition);
        if (parts)
            cJSON_AddItemToArray(parts, cJSON_CreateString(name));
    }
    if (ev) {
        trace_add_int(ev, "retry_ms", co->c->backoff / 1000);
        world_emit(coord_world(co), ev);
    }
    return any;
}

void coord_offset_fetch_response(coordinator_t *co, const offsets_msg_t *r)
{
    co->fetching_offsets = false;
    if (!r || r->error != KERR_NONE) {
        if (r)
            coord_mark_unknown(co, kerr_name(r->error));
        coord_backoff(co);
        return;
    }
    if (unstable(co, r)) {
        coord_backoff(co);
        return;
    }
    for (int32_t k = 0; k < r->n; k++) {
        for (int32_t i = 0; i < co->c->n_parts; i++) {
            cpart_t *p = &co->c->parts[i];
            if (!p->need_committed || p->partition != r->parts[k].partition ||
                strcmp(p->topic, r->parts[k].topic) != 0)
                continue;
            p->need_committed = false;
            if (r->parts[k].offset >= 0) {
                p->position = r->parts[k].offset;
                consumer_trace_reset(co->c, p, "committed");
            } else {
                p->reset = consumer_auto_reset(co->c);
            }
        }
    }
    consumer_retry_at(co->c, coord_world(co)->now);
}

/* ---- commits outside poll ---- */

static void commit_timer(void *a, void *b, int64_t epoch)
{
    coordinator_t *co = a;
    if ((uint32_t)epoch != co->commit_epoch)
        return;
    co->commit_timer_armed = false;
    coord_kick_commits(co);
}

static void arm_commit_timer(coordinator_t *co, int64_t at)
{
    if (co->commit_timer_armed)
        return;
    co->commit_timer_armed = true;
    int64_t now = coord_world(co)->now;
    node_timer(co->c->node, at > now ? at - now : 0, commit_timer, co, NULL, co->commit_epoch);
}

/* Commits go out whether or not the application polls: Kafka's commitSync drives the
 * network itself. The coordinator is found first; backoffs are waited out. */
void coord_kick_commits(coordinator_t *co)
{
    consumer_t *c = co->c;
    if (!co->n_commits || c->closed || !c->node->up)
        return;
    int64_t now = coord_world(co)->now;
    if (now < co->next_attempt) {
        arm_commit_timer(co, co->next_attempt);
        return;
    }
    if (co->coord_node < 0) {
        coord_send_find(co);
        return;
    }
    int64_t ready = inflight_ready_at(&c->inflight, co->coord_node);
    if (ready > now) {
        arm_commit_timer(co, ready);
        return;
    }
    coord_send_commits(co);
}
