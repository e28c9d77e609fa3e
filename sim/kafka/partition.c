/* partition: the leader's side of replication for the partitions a broker leads (Kafka's
 * Partition): each follower's fetch state, the high watermark, and ISR changes asked of
 * the controller with AlterPartition. */
#include <assert.h>
#include <string.h>

#include "api.h"
#include "broker_internal.h"
#include "controller_api.h"
#include "group_coordinator.h"
#include "protocol.h"
#include "txn_coordinator.h"

/* Kafka starts a follower outside the ISR at lastCaughtUpTimeMs 0, long ago in wall-clock
 * time; virtual time starts at 0, so "never" needs its own value. */
#define NEVER_CAUGHT_UP INT64_MIN

static void trace_role(broker_t *b, const bpartition_t *part, const char *role)
{
    cJSON *ev = world_trace(b->w, b->node, "role");
    if (!ev)
        return;
    trace_add_tp(ev, part->topic, part->partition);
    cJSON_AddStringToObject(ev, "role", role);
    trace_add_int(ev, "leader_epoch", part->reg.leader_epoch);
    if (part->reg.leader != MD_NO_LEADER)
        cJSON_AddStringToObject(ev, "leader",
                                world_node(b->w, b->peers[part->reg.leader - 1])->name);
    trace_add_int(ev, "leo", part->log.leo);
    trace_add_int(ev, "hw", part->log.hw);
    world_emit(b->w, ev);
}

/* Kafka's Partition.makeLeader: the new epoch starts at the log end; followers' positions
 * are unknown until they fetch, and those in the ISR count as caught up now. */
void part_become_leader(broker_t *b, bpartition_t *part)
{
    part->leading = true;
    part->pending = false;
    part->fetch_from = -1;
    part->epoch_start = part->log.leo;
    plog_assign_epoch(&part->log, part->reg.leader_epoch, part->log.leo);
    part->n_followers = 0;
    for (int32_t i = 0; i < part->reg.n_replicas; i++) {
        int32_t r = part->reg.replicas[i];
        if (r == b->id)
            continue;
        bool in_sync = md_in_isr(&part->reg, r);
        part->followers[part->n_followers++] = (follower_t){
            .broker = r, .leo = -1, .last_caught_up = in_sync ? b->w->now : NEVER_CAUGHT_UP,
            .last_fetch_leader_leo = part->log.leo, .last_fetch_time = b->w->now };
    }
    trace_role(b, part, "leader");
    /* The role event gives the HW; the LSO is taken to be it until told otherwise. */
    part->trace_lso = part->trace_hw = part->log.hw;
    part_update_lso(b, part);
    if (part_maybe_advance_hw(b, part))
        fetch_try_complete(b);
}

void part_become_follower(broker_t *b, bpartition_t *part)
{
    bool was_leading = part->leading;
    part->leading = false;
    part->pending = false;
    part->fetch_from = part->reg.leader;
    part->fetch_after = 0;
    trace_role(b, part, "follower");
    if (was_leading) {
        produce_try_complete(b); /* waiting acks=all requests learn NOT_LEADER_OR_FOLLOWER */
        fetch_try_complete(b);
    }
    if (part->fetch_from != MD_NO_LEADER)
        fetcher_add(b, part);
}

bool part_in_maximal_isr(const bpartition_t *part, int32_t broker)
{
    return md_in_isr(&part->reg, broker) ||
           (part->pending && md_in(part->pending_isr, part->n_pending_isr, broker));
}

static follower_t *find_follower(bpartition_t *part, int32_t broker)
{
    for (int32_t i = 0; i < part->n_followers; i++)
        if (part->followers[i].broker == broker)
            return &part->followers[i];
    return NULL;
}

/* ReplicaState.isCaughtUp. */
static bool caught_up(const broker_t *b, const bpartition_t *part, const follower_t *f)
{
    return f->leo == part->log.leo ||
           (f->last_caught_up != NEVER_CAUGHT_UP && b->w->now - f->last_caught_up <= b->lag_max);
}

int32_t part_min_isr(const broker_t *b, const bpartition_t *part)
{
    int32_t min = broker_min_isr(b, part->topic);
    return min < part->reg.n_replicas ? min : part->reg.n_replicas;
}

/* Partition.maybeIncrementLeaderHW: the smallest log end among the maximal ISR, and among
 * the replicas that caught up and are about to join it (KIP-841). Never moves back, and
 * not at all while the ISR is below min.insync.replicas (Kafka 3.7+, KAFKA-15583). */
bool part_maybe_advance_hw(broker_t *b, bpartition_t *part)
{
    if (part->reg.n_isr < part_min_isr(b, part))
        return false;
    int64_t hw = part->log.leo;
    for (int32_t i = 0; i < part->n_followers; i++) {
        const follower_t *f = &part->followers[i];
        bool waits = part_in_maximal_isr(part, f->broker) ||
                     (caught_up(b, part, f) && md_unfenced(&b->img, f->broker));
        if (waits && f->leo < hw)
            hw = f->leo;
    }
    if (hw <= part->log.hw)
        return false;
    part->log.hw = hw;
    broker_trace_hw(b, part);
    part_update_lso(b, part);
    gcoord_hw_advanced(b->gc, part);
    tcoord_hw_advanced(b->tc, part);
    return true;
}

static void trace_lso(broker_t *b, const bpartition_t *part, int64_t lso)
{
    cJSON *ev = world_trace(b->w, b->node, "lso");
    if (!ev)
        return;
    trace_add_tp(ev, part->topic, part->partition);
    trace_add_int(ev, "lso", lso);
    trace_add_int(ev, "hw", part->log.hw);
    int64_t fu = part->log.first_unstable;
    if (fu >= 0 && fu < part->log.hw) {
        /* The transaction holding it: the earliest open or unreplicated one. */
        const pstate_t *ps = &part->pstate;
        const pstate_txn_t *t = ps->n_ongoing && ps->ongoing[0].first_offset == fu
                                    ? &ps->ongoing[0]
                                    : ps->n_unreplicated ? &ps->unreplicated[0] : NULL;
        if (t) {
            trace_add_int(ev, "producer_id", t->producer_id);
            cJSON_AddStringToObject(ev, "held_by", t->last_offset < 0 ? "open" : "unreplicated");
        }
    }
    world_emit(b->w, ev);
}

/* UnifiedLog.maybeIncrementFirstUnstableOffset after producerStateManager's update. A
 * reader of the trace takes the LSO to move with the HW while they are equal: the event
 * comes only when the LSO goes elsewhere. */
void part_update_lso(broker_t *b, bpartition_t *part)
{
    plog_t *log = &part->log;
    pstate_hw_updated(&part->pstate, log->hw);
    pstate_log_start_moved(&part->pstate, log->log_start);
    log->first_unstable = pstate_first_unstable(&part->pstate);
    int64_t lso = plog_lso(log);
    int64_t seen = part->trace_lso == part->trace_hw ? log->hw : part->trace_lso;
    part->trace_hw = log->hw;
    part->trace_lso = seen;
    if (!part->leading || lso == seen)
        return;
    part->trace_lso = lso;
    trace_lso(b, part, lso);
}

static void alter_expired(void *a, void *bb, int64_t arg);

static void send_alter(broker_t *b, bpartition_t *part, const int32_t *isr, int32_t n)
{
    alter_partition_t *req = proto_calloc(1, sizeof *req);
    req->topic = part->topic;
    req->partition = part->partition;
    req->broker_id = b->id;
    req->leader_epoch = part->reg.leader_epoch;
    req->partition_epoch = part->reg.partition_epoch;
    req->n_isr = n;
    memcpy(req->isr, isr, (size_t)n * sizeof *isr);
    part->pending = true;
    part->n_pending_isr = n;
    memcpy(part->pending_isr, isr, (size_t)n * sizeof *isr);
    /* Unanswered, the change is given up after the socket timeout and asked again. */
    part->pending_timer = node_timer_bg(b->node, b->socket_timeout, alter_expired, b, part,
                                        part->reg.partition_epoch);
    broker_send(b, b->controller,
                msg_new(b->w, API_ALTER_PARTITION, false, req, &alter_partition_req_ops));
}

static void alter_expired(void *a, void *bb, int64_t partition_epoch)
{
    bpartition_t *part = bb;
    if (part->pending && part->reg.partition_epoch == partition_epoch)
        part->pending = false;
}

/* Partition.maybeExpandIsr: a follower outside the ISR that reached the HW and this
 * leader's epoch joins it, if the controller sees it unfenced. */
static void maybe_expand_isr(broker_t *b, bpartition_t *part, const follower_t *f)
{
    if (part->pending || md_in_isr(&part->reg, f->broker) || f->leo < part->log.hw ||
        f->leo < part->epoch_start || !md_unfenced(&b->img, f->broker))
        return;
    int32_t isr[MD_MAX_REPLICAS];
    int32_t n = part->reg.n_isr;
    memcpy(isr, part->reg.isr, (size_t)n * sizeof *isr);
    isr[n++] = f->broker;
    send_alter(b, part, isr, n);
}

/* Replica.updateFetchState, then the ISR and HW consequences. */
void part_follower_fetched(broker_t *b, bpartition_t *part, int32_t broker, int64_t offset)
{
    follower_t *f = find_follower(part, broker);
    if (!f)
        return;
    int64_t now = b->w->now, leo = part->log.leo;
    if (offset >= leo)
        f->last_caught_up = now > f->last_caught_up ? now : f->last_caught_up;
    else if (offset >= f->last_fetch_leader_leo && f->last_fetch_time > f->last_caught_up)
        f->last_caught_up = f->last_fetch_time;
    f->leo = offset;
    f->last_fetch_leader_leo = leo;
    f->last_fetch_time = now;
    maybe_expand_isr(b, part, f);
    if (part_maybe_advance_hw(b, part)) {
        produce_try_complete(b);
        fetch_try_complete(b);
    }
}

/* Partition.maybeShrinkIsr for every partition this broker leads. */
void part_check_isr(broker_t *b)
{
    for (int32_t t = 0; t < b->n_topics; t++) {
        for (int32_t p = 0; p < b->topics[t].n; p++) {
            bpartition_t *part = &b->topics[t].parts[p];
            if (!part->leading || part->pending)
                continue;
            int32_t isr[MD_MAX_REPLICAS];
            int32_t n = 0;
            for (int32_t i = 0; i < part->reg.n_isr; i++) {
                int32_t r = part->reg.isr[i];
                follower_t *f = find_follower(part, r);
                if (r == b->id || !f || caught_up(b, part, f))
                    isr[n++] = r;
            }
            if (n < part->reg.n_isr)
                send_alter(b, part, isr, n);
        }
    }
}

/* The committed registration moved on (a response or the metadata log): nothing is in
 * flight any more, and the HW may move. */
void part_alter_settled(broker_t *b, bpartition_t *part)
{
    if (part->pending) {
        world_cancel(b->w, part->pending_timer);
        part->pending = false;
    }
    if (part_maybe_advance_hw(b, part))
        fetch_try_complete(b);
    produce_try_complete(b);
}

/* Partition.handleAlterPartitionUpdate / handleAlterPartitionError. */
void part_alter_response(broker_t *b, const msg_t *m)
{
    const alter_partition_t *r = m->body;
    bpartition_t *part = broker_partition(b, r->topic, r->partition);
    if (!part || !part->leading || !part->pending || r->leader_epoch != part->reg.leader_epoch)
        return;
    if (r->error == KERR_INELIGIBLE_REPLICA) {
        part_alter_settled(b, part); /* back to the committed ISR at once */
        return;
    }
    /* Other errors (a stale epoch, a newer leader) wait for the metadata log. */
    if (r->error != KERR_NONE || r->state.leader_epoch != part->reg.leader_epoch ||
        r->state.partition_epoch <= part->reg.partition_epoch)
        return;
    if (r->state.n_isr < part->reg.n_isr)
        b->m.isr_shrinks++;
    else
        b->m.isr_expands++;
    part->reg = r->state;
    part_alter_settled(b, part);
}

/* The controller went away: requests to it are lost; changes are asked again later. */
void part_controller_lost(broker_t *b)
{
    for (int32_t t = 0; t < b->n_topics; t++)
        for (int32_t p = 0; p < b->topics[t].n; p++) {
            bpartition_t *part = &b->topics[t].parts[p];
            if (part->pending) {
                world_cancel(b->w, part->pending_timer);
                part->pending = false;
            }
        }
}
