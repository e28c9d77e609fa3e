/* fetcher: a follower's replica fetcher (Kafka's ReplicaFetcherThread, one per leader
 * broker): Fetch requests for every partition it follows on that leader, appending what
 * comes back, and truncating where the leader says the logs diverge (KIP-101/279/595). */
#include <assert.h>
#include <string.h>

#include "api.h"
#include "broker_internal.h"
#include "protocol.h"

static void fetcher_timer(void *a, void *bb, int64_t leader);

static fetcher_t *fetcher_of(broker_t *b, int32_t leader)
{
    assert(leader >= 1 && leader <= b->n_peers);
    return &b->fetchers[leader - 1];
}

void fetcher_add(broker_t *b, bpartition_t *part)
{
    fetcher_kick(b, part->fetch_from);
}

static bool wants(const broker_t *b, const bpartition_t *part, int32_t leader)
{
    return part->hosted && !part->leading && part->fetch_from == leader &&
           part->fetch_after <= b->w->now;
}

/* Sends a Fetch to `leader` for every partition ready to fetch from it, unless one is
 * already in flight. With all of them backing off, it waits for the first to be ready. */
void fetcher_kick(broker_t *b, int32_t leader)
{
    fetcher_t *f = fetcher_of(b, leader);
    if (f->in_flight || b->state != BROKER_RUNNING)
        return;
    int32_t n = 0;
    int64_t next = INT64_MAX;
    for (int32_t t = 0; t < b->n_topics; t++)
        for (int32_t p = 0; p < b->topics[t].n; p++) {
            const bpartition_t *part = &b->topics[t].parts[p];
            if (wants(b, part, leader))
                n++;
            else if (part->hosted && !part->leading && part->fetch_from == leader &&
                     part->fetch_after < next)
                next = part->fetch_after;
        }
    world_cancel(b->w, f->timer);
    if (n == 0) {
        if (next != INT64_MAX)
            f->timer = node_timer_bg(b->node, next - b->w->now, fetcher_timer, b, NULL, leader);
        return;
    }
    fetch_req_t *req = proto_calloc(1, sizeof *req);
    req->replica_id = b->id;
    req->max_wait_ms = b->fetch_wait_ms;
    req->min_bytes = b->fetch_min_bytes;
    req->max_bytes = b->fetch_response_max_bytes;
    req->parts = proto_calloc((size_t)n, sizeof *req->parts);
    for (int32_t t = 0; t < b->n_topics; t++)
        for (int32_t p = 0; p < b->topics[t].n; p++) {
            const bpartition_t *part = &b->topics[t].parts[p];
            if (!wants(b, part, leader))
                continue;
            req->parts[req->n++] = (fetch_part_t){
                part->topic, part->partition, part->log.leo, b->fetch_max_bytes,
                part->reg.leader_epoch, plog_latest_epoch(&part->log) };
        }
    f->in_flight = true;
    /* replica.socket.timeout.ms: a Fetch without an answer is given up and sent again. */
    f->timer = node_timer_bg(b->node, b->socket_timeout, fetcher_timer, b, NULL, leader);
    msg_t *m = msg_new(b->w, API_FETCH, false, req, &fetch_req_ops);
    /* Asking again for the same offsets after an idle answer is routine. */
    m->bg = f->idle;
    broker_send(b, b->peers[leader - 1], m);
}

static void fetcher_timer(void *a, void *bb, int64_t leader)
{
    broker_t *b = a;
    fetcher_t *f = fetcher_of(b, (int32_t)leader);
    if (f->in_flight) {
        net_close(b->w->net, b->node->id, b->peers[leader - 1]);
        f->in_flight = false;
    }
    fetcher_kick(b, (int32_t)leader);
}

/* `removed` counts records: after cleaning, a log holds fewer records than offsets. */
static void trace_truncate(broker_t *b, const bpartition_t *part, int64_t from, int64_t to,
                           int64_t removed, const char *why)
{
    cJSON *ev = world_trace(b->w, b->node, "truncate");
    if (!ev)
        return;
    trace_add_tp(ev, part->topic, part->partition);
    trace_add_int(ev, "from", from);
    trace_add_int(ev, "to", to);
    trace_add_int(ev, "removed", removed);
    cJSON_AddStringToObject(ev, "reason", why);
    world_emit(b->w, ev);
}

static void truncate_to(broker_t *b, bpartition_t *part, int64_t offset, const char *why)
{
    int64_t from = part->log.leo;
    size_t n = part->log.n;
    plog_truncate(&part->log, offset);
    if (part->log.leo < from) {
        /* UnifiedLog.truncateTo reloads the producer state up to the new end. */
        pstate_rebuild(&part->pstate, &part->log);
        part_update_lso(b, part);
        trace_truncate(b, part, from, part->log.leo, (int64_t)(n - part->log.n), why);
    }
}

/* AbstractFetcherThread.fetchOffsetAndTruncate: the leader's log starts past our end
 * (retention deleted what we lack): start over, empty, at the leader's log start. */
static void start_at_leader_log_start(broker_t *b, bpartition_t *part, int64_t start)
{
    int64_t from = part->log.leo, removed = (int64_t)part->log.n;
    plog_truncate_fully(&part->log, start);
    pstate_rebuild(&part->pstate, &part->log);
    part_update_lso(b, part);
    trace_truncate(b, part, from, start, removed, "behind the leader's log start offset");
}

/* AbstractFetcherThread.getOffsetTruncationState: the leader's epoch and end offset
 * against this log's end offset for that epoch. */
static void diverged(broker_t *b, bpartition_t *part, int32_t leader_epoch, int64_t leader_end)
{
    int32_t mine_epoch;
    int64_t mine_end = plog_epoch_end(&part->log, leader_epoch, &mine_epoch);
    int64_t to = leader_end;
    if (mine_end != LOG_NO_OFFSET && mine_end < to)
        to = mine_end;
    truncate_to(b, part, to, "diverging epoch from the leader");
}

static void append_batches(broker_t *b, bpartition_t *part, const fetch_part_resp_t *pr)
{
    int64_t from = part->log.leo;
    for (int32_t i = 0; i < pr->n_batches; i++) {
        const log_batch_t *batch = &pr->batches[i];
        if (batch->base_offset < part->log.leo)
            continue;
        /* The leader's cleaner may have left gaps between batches, and empty batches. */
        plog_append_copy(&part->log, batch, pr->recs + batch->first);
        pstate_replay(&part->pstate, batch, pr->recs + batch->first);
    }
    if (part->log.leo == from)
        return;
    cJSON *ev = world_trace(b->w, b->node, "replicated");
    if (!ev)
        return;
    trace_add_tp(ev, part->topic, part->partition);
    trace_add_int(ev, "base_offset", from);
    trace_add_int(ev, "last_offset", part->log.leo - 1);
    world_emit(b->w, ev);
}

static void handle_part(broker_t *b, bpartition_t *part, const fetch_part_resp_t *pr)
{
    switch (pr->error) {
    case KERR_NONE:
        break;
    case KERR_OFFSET_OUT_OF_RANGE:
        if (pr->log_start > part->log.leo) {
            start_at_leader_log_start(b, part, pr->log_start);
            return;
        }
        /* The leader's log ends before ours: keep what it has committed and fetch again. */
        truncate_to(b, part, pr->hw, "offset out of range on the leader");
        return;
    default:
        /* Not (yet) the leader, an epoch mismatch: try again after replica.fetch.backoff.ms. */
        part->fetch_after = b->w->now + b->fetch_backoff;
        return;
    }
    if (pr->diverging_epoch >= 0) {
        diverged(b, part, pr->diverging_epoch, pr->diverging_end);
        return;
    }
    append_batches(b, part, pr);
    /* A follower's HW is the leader's (it may go down: a new leader's HW can be behind). */
    if (plog_update_hw(&part->log, pr->hw))
        broker_trace_hw(b, part);
    /* The follower's log start follows the leader's (retention deletes below it). */
    plog_raise_log_start(&part->log, pr->log_start);
    part_update_lso(b, part);
}

void fetcher_response(broker_t *b, const msg_t *m)
{
    int32_t leader = -1;
    for (int32_t i = 0; i < b->n_peers; i++)
        if (b->peers[i] == m->from)
            leader = i + 1;
    if (leader < 0)
        return;
    fetcher_t *f = fetcher_of(b, leader);
    f->in_flight = false;
    f->idle = m->bg;
    world_cancel(b->w, f->timer);
    const fetch_resp_t *resp = m->body;
    for (int32_t i = 0; i < resp->n; i++) {
        const fetch_part_resp_t *pr = &resp->parts[i];
        bpartition_t *part = broker_partition(b, pr->topic, pr->partition);
        /* Only partitions still followed from this leader. */
        if (!part || part->leading || part->fetch_from != leader)
            continue;
        handle_part(b, part, pr);
    }
    fetcher_kick(b, leader);
}

void fetcher_lost(broker_t *b, int32_t leader)
{
    fetcher_t *f = fetcher_of(b, leader);
    if (!f->in_flight)
        return;
    f->in_flight = false;
    f->idle = false;
    world_cancel(b->w, f->timer);
    f->timer = node_timer_bg(b->node, b->fetch_backoff, fetcher_timer, b, NULL, leader);
}

void fetcher_reset(broker_t *b)
{
    for (int32_t i = 0; i < b->n_peers; i++) {
        world_cancel(b->w, b->fetchers[i].timer);
        b->fetchers[i].in_flight = false;
    }
}
