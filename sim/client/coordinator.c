/* coordinator: Kafka 3.9's ConsumerCoordinator / AbstractCoordinator, classic protocol:
 * membership, join and sync, heartbeats. A rebalance's revocation and new assignment are
 * group_rebalance.c, commits group_commits.c. */
#include "coordinator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kafka/api.h"
#include "../kafka/group_protocol.h"
#include "consumer_internal.h"
#include "coordinator_internal.h"

static const struct {
    const char *cls, *name;
    bool cooperative;
} known_assignors[] = {
    { "org.apache.kafka.clients.consumer.RangeAssignor", "range", false },
    { "org.apache.kafka.clients.consumer.RoundRobinAssignor", "roundrobin", false },
    { "org.apache.kafka.clients.consumer.StickyAssignor", "sticky", false },
    { "org.apache.kafka.clients.consumer.CooperativeStickyAssignor", "cooperative-sticky", true },
};
#define N_KNOWN (sizeof known_assignors / sizeof known_assignors[0])

/* partition.assignment.strategy: Kafka's class names (or the assignors' own names). */
static bool parse_assignors(coordinator_t *co, const char *list, char *err, size_t errlen)
{
    char *copy = gp_strdup(list), *save = NULL;
    co->cooperative = true;
    for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        size_t k = 0;
        while (k < N_KNOWN && strcmp(tok, known_assignors[k].cls) != 0 &&
               strcmp(tok, known_assignors[k].name) != 0)
            k++;
        if (k == N_KNOWN || co->n_assignors == 8) {
            snprintf(err, errlen, "Invalid value %s for configuration partition.assignment."
                     "strategy: Class %s cannot be found (known: RangeAssignor, "
                     "RoundRobinAssignor, StickyAssignor, CooperativeStickyAssignor, or "
                     "range, roundrobin, sticky, cooperative-sticky)", list, tok);
            free(copy);
            return false;
        }
        co->assignors[co->n_assignors++] = gp_strdup(known_assignors[k].name);
        co->cooperative = co->cooperative && known_assignors[k].cooperative;
    }
    free(copy);
    if (co->n_assignors == 0) {
        snprintf(err, errlen, "partition.assignment.strategy names no assignor");
        return false;
    }
    return true;
}

coordinator_t *coord_new(consumer_t *c, const char *name, const config_t *cfg, char *err,
                         size_t errlen)
{
    coordinator_t *co = proto_calloc(1, sizeof *co);
    co->c = c;
    if (!parse_assignors(co, config_str(cfg, "partition.assignment.strategy"), err, errlen)) {
        coord_free(co);
        return NULL;
    }
    co->group = gp_strdup(config_str(cfg, "group.id"));
    co->instance = gp_strdup(config_str(cfg, "group.instance.id"));
    const char *cid = config_str(cfg, "client.id");
    co->client_id = gp_strdup(cid && *cid ? cid : name);
    co->session_ms = config_int(cfg, "session.timeout.ms");
    if (config_int(cfg, "heartbeat.interval.ms") >= co->session_ms) {
        /* Kafka's Heartbeat refuses it the same way (IllegalArgumentException). */
        snprintf(err, errlen, "Heartbeat must be set lower than the session timeout "
                 "(heartbeat.interval.ms=%d, session.timeout.ms=%d)",
                 config_int(cfg, "heartbeat.interval.ms"), co->session_ms);
        coord_free(co);
        return NULL;
    }
    co->max_poll_ms = config_int(cfg, "max.poll.interval.ms");
    co->heartbeat_us = config_duration_us(cfg, "heartbeat.interval.ms");
    co->max_poll_us = config_duration_us(cfg, "max.poll.interval.ms");
    co->session_us = config_duration_us(cfg, "session.timeout.ms");
    co->api_timeout_us = config_duration_us(cfg, "default.api.timeout.ms");
    co->auto_commit = config_bool(cfg, "enable.auto.commit");
    co->auto_commit_us = config_duration_us(cfg, "auto.commit.interval.ms");
    co->member_id = gp_strdup("");
    co->generation = -1;
    co->meta_member_id = gp_strdup("");
    co->meta_generation = -1;
    co->coord_node = -1;
    return co;
}

void coord_free(coordinator_t *co)
{
    if (!co)
        return;
    for (int32_t i = 0; i < co->n_commits; i++)
        free(co->commits[i].parts);
    free(co->commits);
    for (int i = 0; i < co->n_assignors; i++)
        free(co->assignors[i]);
    free(co->topics);
    group_tps_free(&co->pending);
    group_tps_free(&co->prepare_keep);
    free(co->group);
    free(co->instance);
    free(co->client_id);
    free(co->member_id);
    free(co->meta_member_id);
    free(co->protocol);
    free(co);
}

void coord_note_join(coordinator_t *co)
{
    co->meta_generation = co->generation;
    free(co->meta_member_id);
    co->meta_member_id = gp_strdup(co->member_id);
}

void coord_group_metadata(const coordinator_t *co, consumer_group_metadata_t *out)
{
    *out = (consumer_group_metadata_t){ co->group, co->meta_member_id, co->instance,
                                        co->meta_generation };
}

bool coord_subscribed(const coordinator_t *co)
{
    return co->subscribed;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void coord_subscribe(coordinator_t *co, const char *const *topics, size_t n,
                     consumer_listener_fn fn, void *ctx)
{
    free(co->topics);
    co->topics = proto_calloc(n, sizeof *co->topics);
    co->n_topics = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = world_intern(co->c->w, topics[i]);
        bool dup = false;
        for (int32_t k = 0; k < co->n_topics && !dup; k++)
            dup = co->topics[k] == t;
        if (!dup)
            co->topics[co->n_topics++] = t;
        meta_want(&co->c->meta, t);
    }
    qsort(co->topics, (size_t)co->n_topics, sizeof *co->topics, str_cmp);
    co->listener = fn;
    co->listener_ctx = ctx;
    co->subscribed = true;
    co->rejoin_needed = true;
    cJSON *ev = world_trace(co->c->w, co->c->node, "subscribe");
    if (ev) {
        cJSON_AddStringToObject(ev, "group", co->group);
        cJSON *t = cJSON_AddArrayToObject(ev, "topics");
        for (int32_t i = 0; i < co->n_topics; i++)
            cJSON_AddItemToArray(t, cJSON_CreateString(co->topics[i]));
        cJSON_AddStringToObject(ev, "protocol", co->cooperative ? "cooperative" : "eager");
        world_emit(co->c->w, ev);
    }
}

/* ---- helpers ---- */

world_t *coord_world(const coordinator_t *co)
{
    return co->c->w;
}

void coord_send(coordinator_t *co, int32_t node, int16_t api, void *body,
                const msg_body_ops_t *ops, bool bg, uint32_t commit)
{
    msg_t *m = msg_new(coord_world(co), api, false, body, ops);
    m->bg = bg;
    req_tag_t *tag = proto_calloc(1, sizeof *tag);
    tag->commit = commit;
    /* A JoinGroup may wait for the whole rebalance: Kafka allows it the rebalance timeout
     * plus 5 s (AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE). */
    int64_t timeout = api == API_JOIN_GROUP ? co->max_poll_us + 5 * US_PER_S : 0;
    consumer_send(co->c, node, m, timeout, tag, 1);
}

static void set_member_id(coordinator_t *co, const char *id)
{
    free(co->member_id);
    co->member_id = gp_strdup(id ? id : "");
}

/* The current assignment as group_tps_t (borrowing the consumer's topics). */
void coord_owned(const coordinator_t *co, group_tps_t *out)
{
    out->n = 0;
    out->v = proto_calloc((size_t)co->c->n_parts, sizeof *out->v);
    for (int32_t i = 0; i < co->c->n_parts; i++)
        out->v[out->n++] = (group_tp_t){ co->c->parts[i].topic, co->c->parts[i].partition };
    group_tps_sort(out);
}

void coord_trace_partitions(coordinator_t *co, const char *kind, const group_tps_t *t,
                             const char *why)
{
    cJSON *ev = world_trace(coord_world(co), co->c->node, kind);
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "group", co->group);
    trace_add_int(ev, "generation", co->generation);
    cJSON_AddItemToObject(ev, "partitions", group_tps_json(t));
    if (why)
        cJSON_AddStringToObject(ev, "reason", why);
    world_emit(coord_world(co), ev);
}

void coord_set_assignment(coordinator_t *co, const group_tps_t *t)
{
    topic_partition_t *tps = proto_calloc((size_t)t->n, sizeof *tps);
    for (int32_t i = 0; i < t->n; i++)
        tps[i] = (topic_partition_t){ t->v[i].topic, t->v[i].partition };
    consumer_assign_group(co->c, tps, (size_t)t->n);
    free(tps);
}

void coord_mark_unknown(coordinator_t *co, const char *why)
{
    if (co->coord_node < 0)
        return;
    cJSON *ev = world_trace(coord_world(co), co->c->node, "coordinator_unknown");
    if (ev) {
        cJSON_AddStringToObject(ev, "group", co->group);
        cJSON_AddStringToObject(ev, "coordinator",
                                world_node(coord_world(co), co->coord_node)->name);
        cJSON_AddStringToObject(ev, "reason", why);
        world_emit(coord_world(co), ev);
    }
    co->coord_node = -1;
}

/* resetStateAndRejoin: the generation is gone (and the member id with it when asked). */
void coord_reset_generation(coordinator_t *co, bool member_id, const char *why)
{
    co->generation = -1;
    free(co->protocol);
    co->protocol = NULL;
    co->state = M_UNJOINED;
    co->rejoin_needed = true;
    co->hb_epoch++;
    co->heartbeat_armed = false;
    if (member_id)
        set_member_id(co, "");
    cJSON *ev = world_trace(coord_world(co), co->c->node, "member_reset");
    if (ev) {
        cJSON_AddStringToObject(ev, "group", co->group);
        cJSON_AddStringToObject(ev, "reason", why);
        world_emit(coord_world(co), ev);
    }
}

void coord_fenced(coordinator_t *co)
{
    consumer_fail_poll(co->c, KERR_FENCED_INSTANCE_ID, FENCED_WHAT);
    consumer_retry_at(co->c, coord_world(co)->now);
}

void coord_request_rejoin(coordinator_t *co)
{
    co->rejoin_needed = true;
    consumer_retry_at(co->c, coord_world(co)->now);
}

void coord_backoff(coordinator_t *co)
{
    co->next_attempt = coord_world(co)->now + co->c->backoff;
    consumer_retry_at(co->c, co->next_attempt);
}

/* ---- heartbeat thread ---- */

static void heartbeat_tick(void *a, void *b, int64_t epoch);

static void arm_heartbeat(coordinator_t *co)
{
    if (co->heartbeat_armed)
        return;
    co->heartbeat_armed = true;
    /* The thread also wakes when the session timer runs out. */
    int64_t delay = co->heartbeat_us, left = co->session_at - coord_world(co)->now;
    if (co->coord_node >= 0 && left > 0 && left < delay)
        delay = left;
    node_timer_bg(co->c->node, delay, heartbeat_tick, co, NULL, co->hb_epoch);
}

/* maybeLeaveGroup: dynamic members tell the coordinator; static ones only stop. */
static void leave_group(coordinator_t *co, const char *why)
{
    if (!co->instance && *co->member_id && co->coord_node >= 0) {
        member_req_t *r = proto_calloc(1, sizeof *r);
        r->group = gp_strdup(co->group);
        r->member_id = gp_strdup(co->member_id);
        r->reason = gp_strdup(why);
        r->generation = co->generation;
        coord_send(co, co->coord_node, API_LEAVE_GROUP, r, &leave_req_ops, false, 0);
    }
    coord_reset_generation(co, true, why);
}

/* The heartbeat thread: every heartbeat.interval.ms while the member has joined; it also
 * finds a lost coordinator and enforces max.poll.interval.ms. */
static void heartbeat_tick(void *a, void *b, int64_t epoch)
{
    coordinator_t *co = a;
    if ((uint32_t)epoch != co->hb_epoch || !co->heartbeat_armed)
        return;
    co->heartbeat_armed = false;
    if (co->c->closed || (co->state != M_STABLE && co->state != M_COMPLETING))
        return;
    int64_t now = coord_world(co)->now;
    /* A listener runs inside Kafka's poll(): the poll interval runs on meanwhile. */
    if (co->c->polling && !co->listening)
        co->last_poll = now;
    if (co->coord_node >= 0 && now >= co->session_at) {
        /* Heartbeat.sessionTimeoutExpired: no heartbeat answer for session.timeout.ms;
         * make sure the coordinator is still the right one. */
        coord_mark_unknown(co, "session timed out without receiving a heartbeat response");
        arm_heartbeat(co);
        return;
    }
    if (now - co->last_poll > co->max_poll_us) {
        cJSON *ev = world_trace(coord_world(co), co->c->node, "poll_timeout");
        if (ev) {
            cJSON_AddStringToObject(ev, "group", co->group);
            trace_add_int(ev, "max_poll_interval_ms", co->max_poll_ms);
            trace_add_int(ev, "since_poll_ms", (now - co->last_poll) / US_PER_MS);
            world_emit(coord_world(co), ev);
        }
        leave_group(co, "consumer poll timeout has expired");
        return;
    }
    if (co->coord_node < 0)
        coord_send_find(co);
    else if (!co->heartbeating && !consumer_node_blocked(co->c, co->coord_node)) {
        member_req_t *r = proto_calloc(1, sizeof *r);
        r->group = gp_strdup(co->group);
        r->member_id = gp_strdup(co->member_id);
        r->instance_id = gp_strdup(co->instance);
        r->generation = co->generation;
        co->heartbeating = true;
        coord_send(co, co->coord_node, API_HEARTBEAT, r, &group_heartbeat_req_ops, true, 0);
    }
    arm_heartbeat(co);
}

static void heartbeat_response(coordinator_t *co, int16_t error)
{
    co->heartbeating = false;
    /* Heartbeat.receiveHeartbeat: an answer (or REBALANCE_IN_PROGRESS) renews the session. */
    if (error == KERR_NONE || error == KERR_REBALANCE_IN_PROGRESS)
        co->session_at = coord_world(co)->now + co->session_us;
    switch (error) {
    case KERR_NONE:
        return;
    case KERR_REBALANCE_IN_PROGRESS:
        if (co->state == M_STABLE)
            coord_request_rejoin(co);
        return;
    case KERR_FENCED_INSTANCE_ID:
        coord_fenced(co);
        return;
    case KERR_ILLEGAL_GENERATION:
    case KERR_UNKNOWN_MEMBER_ID:
        if (co->state == M_COMPLETING)
            return;
        coord_reset_generation(co, error != KERR_ILLEGAL_GENERATION, kerr_name(error));
        consumer_retry_at(co->c, coord_world(co)->now);
        return;
    default:
        coord_mark_unknown(co, kerr_name(error));
        return;
    }
}

/* ---- FindCoordinator ---- */

void coord_send_find(coordinator_t *co)
{
    if (co->finding)
        return;
    co->finding = true;
    find_coord_t *f = proto_calloc(1, sizeof *f);
    f->key = gp_strdup(co->group);
    coord_send(co, consumer_least_loaded(co->c), API_FIND_COORDINATOR, f, &find_coord_req_ops,
               false, 0);
}

static void find_response(coordinator_t *co, const find_coord_t *f)
{
    co->finding = false;
    if (!f || f->error != KERR_NONE) {
        coord_backoff(co);
        coord_kick_commits(co);
        return;
    }
    co->coord_node = f->node;
    co->session_at = coord_world(co)->now + co->session_us; /* resetSessionTimeout */
    cJSON *ev = world_trace(coord_world(co), co->c->node, "coordinator_found");
    if (ev) {
        cJSON_AddStringToObject(ev, "group", co->group);
        cJSON_AddStringToObject(ev, "coordinator", world_node(coord_world(co), f->node)->name);
        world_emit(coord_world(co), ev);
    }
    coord_kick_commits(co);
    consumer_retry_at(co->c, coord_world(co)->now);
}

/* ---- JoinGroup, the leader's assignment, SyncGroup ---- */

static void send_join(coordinator_t *co)
{
    join_req_t *r = proto_calloc(1, sizeof *r);
    r->group = gp_strdup(co->group);
    r->member_id = gp_strdup(co->member_id);
    r->instance_id = gp_strdup(co->instance);
    r->client_id = gp_strdup(co->client_id);
    r->session_timeout_ms = co->session_ms;
    r->rebalance_timeout_ms = co->max_poll_ms;
    r->n_protocols = co->n_assignors;
    r->protocols = proto_calloc((size_t)co->n_assignors, sizeof *r->protocols);
    for (int i = 0; i < co->n_assignors; i++)
        r->protocols[i] = gp_strdup(co->assignors[i]);
    r->sub.n_topics = co->n_topics;
    r->sub.topics = proto_calloc((size_t)co->n_topics, sizeof *r->sub.topics);
    memcpy(r->sub.topics, co->topics, (size_t)co->n_topics * sizeof *r->sub.topics);
    /* KIP-429: the cooperative protocol lists what the member keeps owning. */
    if (co->cooperative) {
        coord_owned(co, &r->sub.owned);
        r->sub.generation = co->generation;
    } else {
        r->sub.generation = -1;
    }
    co->joining = true;
    co->state = M_PREPARING;
    coord_send(co, co->coord_node, API_JOIN_GROUP, r, &join_req_ops, false, 0);
}

static void send_sync(coordinator_t *co, sync_req_t *r)
{
    r->group = gp_strdup(co->group);
    r->member_id = gp_strdup(co->member_id);
    r->instance_id = gp_strdup(co->instance);
    r->generation = co->generation;
    co->syncing = true;
    co->state = M_COMPLETING;
    coord_send(co, co->coord_node, API_SYNC_GROUP, r, &sync_req_ops, false, 0);
}

static void join_response(coordinator_t *co, const join_resp_t *r)
{
    co->joining = false;
    if (!r) {
        co->state = M_UNJOINED;
        coord_request_rejoin(co);
        coord_backoff(co);
        return;
    }
    switch (r->error) {
    case KERR_NONE:
        break;
    case KERR_MEMBER_ID_REQUIRED:
        set_member_id(co, r->member_id);
        send_join(co);
        return;
    case KERR_UNKNOWN_MEMBER_ID:
    case KERR_ILLEGAL_GENERATION:
        coord_reset_generation(co, true, kerr_name(r->error));
        return;
    case KERR_FENCED_INSTANCE_ID:
        co->state = M_UNJOINED;
        coord_fenced(co);
        coord_backoff(co);
        return;
    case KERR_INCONSISTENT_GROUP_PROTOCOL:
    case KERR_INVALID_SESSION_TIMEOUT: {
        char what[300];
        snprintf(what, sizeof what, "JoinGroup failed: %s", kerr_name(r->error));
        co->state = M_UNJOINED;
        consumer_fail_poll(co->c, r->error, what);
        coord_backoff(co); /* the poll ends with the error; the next one tries again */
        return;
    }
    case KERR_REBALANCE_IN_PROGRESS:
        co->state = M_UNJOINED;
        coord_request_rejoin(co);
        return;
    default:
        coord_mark_unknown(co, kerr_name(r->error));
        co->state = M_UNJOINED;
        coord_request_rejoin(co);
        coord_backoff(co);
        return;
    }
    set_member_id(co, r->member_id);
    co->generation = r->generation;
    free(co->protocol);
    co->protocol = gp_strdup(r->protocol);
    /* The heartbeat thread runs from the join answer on (AbstractCoordinator 2.5+), its
     * timers reset (Heartbeat.resetTimeouts). */
    co->session_at = coord_world(co)->now + co->session_us;
    co->hb_epoch++;
    co->heartbeat_armed = false;
    arm_heartbeat(co);
    sync_req_t *s = proto_calloc(1, sizeof *s);
    char err[512];
    /* A Stable group's leader told to skip the assignment sends a plain SyncGroup. */
    if (r->leader && strcmp(r->leader, r->member_id) == 0 && !r->skip_assignment &&
        !coord_leader_assign(co, r, s, err, sizeof err)) {
        /* onLeaderElected threw: the join future fails, no SyncGroup goes out, the poll
         * raises the assignor's error and the next one joins again. */
        sync_req_ops.free(s);
        consumer_fail_poll(co->c, KERR_INVALID_REQUEST, err);
        co->rejoin_needed = true;
        consumer_retry_at(co->c, coord_world(co)->now);
        return;
    }
    send_sync(co, s);
}

static void sync_response(coordinator_t *co, const sync_resp_t *r)
{
    co->syncing = false;
    int16_t error = r ? r->error : KERR_NETWORK_EXCEPTION;
    if (!r)
        coord_backoff(co);
    switch (error) {
    case KERR_NONE:
        co->state = M_STABLE;
        group_tps_free(&co->pending);
        group_tps_copy(&co->pending, &r->tps);
        co->has_pending = true;
        co->rejoin_needed = false;
        consumer_retry_at(co->c, coord_world(co)->now);
        return;
    case KERR_REBALANCE_IN_PROGRESS:
        co->state = M_UNJOINED;
        coord_request_rejoin(co);
        return;
    case KERR_FENCED_INSTANCE_ID:
        co->state = M_UNJOINED;
        coord_request_rejoin(co);
        coord_fenced(co);
        coord_backoff(co);
        return;
    case KERR_UNKNOWN_MEMBER_ID:
    case KERR_ILLEGAL_GENERATION:
        coord_reset_generation(co, error == KERR_UNKNOWN_MEMBER_ID, kerr_name(error));
        return;
    default:
        coord_mark_unknown(co, kerr_name(error));
        co->state = M_UNJOINED;
        coord_request_rejoin(co);
        return;
    }
}

/* ---- the steps of poll ---- */

/* The subscribed topics' partitions are known (a restarted process asks again). */
static bool metadata_ready(const coordinator_t *co)
{
    bool ready = true;
    for (int32_t i = 0; i < co->n_topics; i++) {
        const meta_topic_t *t = meta_want(&co->c->meta, co->topics[i]);
        ready = ready && !(t->n == 0 && t->error == KERR_NONE);
    }
    return ready;
}

void coord_polled(coordinator_t *co)
{
    if (!co->listening)
        co->last_poll = coord_world(co)->now;
}

static bool needs_committed(const coordinator_t *co)
{
    for (int32_t i = 0; i < co->c->n_parts; i++)
        if (co->c->parts[i].need_committed)
            return true;
    return false;
}

/* Manual assignment with a group.id: positions start from the group's committed
 * offsets, as Kafka's refreshCommittedOffsetsIfNeeded does. */
static void step_manual(coordinator_t *co)
{
    if (!needs_committed(co) || co->fetching_offsets)
        return;
    if (co->coord_node < 0)
        coord_send_find(co);
    else if (!consumer_node_blocked(co->c, co->coord_node))
        coord_send_offset_fetch(co);
}

void coord_step(coordinator_t *co)
{
    consumer_t *c = co->c;
    if (c->closed || !c->node->up)
        return;
    coord_kick_commits(co);
    if (!c->polling)
        return;
    if (coord_world(co)->now < co->next_attempt) {
        consumer_retry_at(c, co->next_attempt);
        return;
    }
    if (!co->subscribed) {
        step_manual(co);
        return;
    }
    if (co->coord_node < 0) {
        coord_send_find(co);
        return;
    }
    if (consumer_node_blocked(c, co->coord_node))
        return;
    if (!co->listening)
        co->last_poll = coord_world(co)->now;
    if ((co->has_pending || co->completing) && !co->syncing && !co->joining)
        coord_join_complete(co);
    if (co->listening)
        return; /* the listener runs first: no commit, no OffsetFetch, no JoinGroup */
    if (co->auto_commit && co->state == M_STABLE && !co->rejoin_needed &&
        coord_world(co)->now >= co->next_auto_commit) {
        co->next_auto_commit = coord_world(co)->now + co->auto_commit_us;
        coord_queue_commit(co, false, false, NULL, NULL);
        coord_kick_commits(co);
    }
    if (!co->fetching_offsets && co->state == M_STABLE)
        coord_send_offset_fetch(co);
    if (!co->rejoin_needed || co->joining || co->syncing || co->has_pending || co->completing)
        return;
    if (!metadata_ready(co)) {
        c->meta.update_needed = true;
        return;
    }
    if (coord_join_prepare(co))
        send_join(co);
}

/* ---- answers ---- */

bool coord_owns_api(int16_t api)
{
    switch (api) {
    case API_FIND_COORDINATOR:
    case API_JOIN_GROUP:
    case API_SYNC_GROUP:
    case API_HEARTBEAT:
    case API_LEAVE_GROUP:
    case API_OFFSET_COMMIT:
    case API_OFFSET_FETCH:
        return true;
    default:
        return false;
    }
}

void coord_response(coordinator_t *co, const inflight_t *f, const msg_t *m)
{
    const void *body = m ? m->body : NULL;
    /* A request lost with its connection leaves the coordinator unknown. */
    if (!m && f->node == co->coord_node && f->api != API_FIND_COORDINATOR)
        coord_mark_unknown(co, "the connection to the coordinator was lost");
    switch (f->api) {
    case API_FIND_COORDINATOR:
        find_response(co, body);
        break;
    case API_JOIN_GROUP:
        join_response(co, body);
        break;
    case API_SYNC_GROUP:
        sync_response(co, body);
        break;
    case API_HEARTBEAT:
        heartbeat_response(co, body ? ((const group_resp_t *)body)->error
                                    : KERR_NETWORK_EXCEPTION);
        break;
    case API_OFFSET_COMMIT:
        coord_commit_response(co, ((const req_tag_t *)f->data)->commit, body);
        break;
    case API_OFFSET_FETCH:
        coord_offset_fetch_response(co, body);
        break;
    default:
        break;
    }
}

void coord_close(coordinator_t *co)
{
    if (!co->subscribed)
        return;
    bool member = co->generation >= 0 && *co->member_id && co->state == M_STABLE;
    if (member && co->auto_commit && co->coord_node >= 0) {
        coord_queue_commit(co, false, false, NULL, NULL);
        coord_send_commits(co);
    }
    coord_give_up_all(co, !member, "the consumer is closing");
    leave_group(co, "the consumer is being closed");
}

void coord_crash(coordinator_t *co)
{
    /* A new process owns nothing: its partitions come from its next join. */
    group_tps_t none = { 0 };
    coord_set_assignment(co, &none);
    while (co->n_commits)
        coord_commit_done(co, co->n_commits - 1, KERR_CLIENT_CRASHED, "the process crashed");
    set_member_id(co, "");
    co->generation = -1;
    coord_note_join(co);
    free(co->protocol);
    co->protocol = NULL;
    co->state = M_UNJOINED;
    co->rejoin_needed = true;
    co->coord_node = -1;
    co->finding = co->joining = co->syncing = co->heartbeating = false;
    co->fetching_offsets = co->prepared = co->prepare_committed = co->has_pending = false;
    co->prepare_called = co->prepare_release = co->completing = false;
    co->listening = 0;
    group_tps_free(&co->pending);
    group_tps_free(&co->prepare_keep);
    co->heartbeat_armed = false;
    co->hb_epoch++;
    co->commit_timer_armed = false;
    co->commit_epoch++;
    co->next_attempt = 0;
}
