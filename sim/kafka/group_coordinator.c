/* group_coordinator: the broker's side of the classic group protocol. The state machine
 * is group.c; this file ties it to the network, the timers and the __consumer_offsets log
 * (group_store.c writes and reads the records). */
#include "group_coordinator.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/hash.h"
#include "api.h"
#include "broker_internal.h"
#include "group_store.h"
#include "group_coordinator_internal.h"
#include "group_unowned.h"
#include "protocol.h"
#include "txn_protocol.h"

static void io_join_done(void *ctx, const group_t *g, const gmember_t *m, void *req,
                         int16_t error, const char *member_id);
static void io_sync_done(void *ctx, const group_t *g, const gmember_t *m, void *req,
                         int16_t error);
static void io_new_member_id(void *ctx, const char *client_id, char *out, size_t n);
static void io_state_changed(void *ctx, const group_t *g, group_state_t from, const char *why);
static void io_member_joined(void *ctx, const group_t *g, const gmember_t *m);
static void io_member_renamed(void *ctx, const group_t *g, const char *old_id, const gmember_t *m);
static void io_member_removed(void *ctx, const group_t *g, const gmember_t *m, const char *why);
static void io_store(void *ctx, const group_t *g);
static void io_drop(void *ctx, void *req);

gcoord_t *gcoord_new(broker_t *b, const config_t *cfg)
{
    gcoord_t *gc = proto_calloc(1, sizeof *gc);
    gc->b = b;
    gc->n_partitions = config_int(cfg, "offsets.topic.num.partitions");
    gc->initial_delay_us = config_duration_us(cfg, "group.initial.rebalance.delay.ms");
    gc->min_session_ms = config_int(cfg, "group.min.session.timeout.ms");
    gc->max_session_ms = config_int(cfg, "group.max.session.timeout.ms");
    gc->commit_timeout_us = config_duration_us(cfg, "offsets.commit.timeout.ms");
    gc->loaded_epoch = proto_calloc((size_t)gc->n_partitions, sizeof *gc->loaded_epoch);
    for (int32_t i = 0; i < gc->n_partitions; i++)
        gc->loaded_epoch[i] = -1;
    gc->io = (group_io_t){ gc, io_join_done, io_sync_done, io_new_member_id, io_state_changed,
                           io_member_joined, io_member_renamed, io_member_removed, io_store,
                           io_drop };
    return gc;
}

int32_t gcoord_partition_for(const char *group, int32_t partitions)
{
    return hash_kafka_abs(hash_java_string(group)) % partitions;
}

static void entry_free(gentry_t *e)
{
    unowned_free(&e->unowned);
    group_free(e->g);
    free(e);
}

/* Pending requests die with the process: their connections are reset. */
static void drop_pending(gcoord_t *gc, gentry_t *e)
{
    group_t *g = e->g;
    for (int32_t i = 0; i < g->n_members; i++) {
        gmember_t *m = g->members[i];
        if (m->join_ctx)
            msg_unref(gc->b->w, m->join_ctx);
        if (m->sync_ctx)
            msg_unref(gc->b->w, m->sync_ctx);
        m->join_ctx = m->sync_ctx = NULL;
    }
}

/* The waiting commits die with the process (or the coordinator). */
static void drop_waiting(gcoord_t *gc)
{
    for (int32_t i = 0; i < gc->n_waiting; i++) {
        world_cancel(gc->b->w, gc->waiting[i].timer);
        const msg_body_ops_t *ops = gc->waiting[i].req->api == API_TXN_OFFSET_COMMIT
                                        ? &txn_offset_commit_resp_ops : &offset_commit_resp_ops;
        msg_unref(gc->b->w, gc->waiting[i].req);
        ops->free(gc->waiting[i].resp);
    }
    free(gc->waiting);
    gc->waiting = NULL;
    gc->n_waiting = 0;
}

void gcoord_free(gcoord_t *gc)
{
    if (!gc)
        return;
    drop_waiting(gc);
    for (int32_t i = 0; i < gc->n_groups; i++) {
        drop_pending(gc, gc->groups[i]);
        entry_free(gc->groups[i]);
    }
    free(gc->groups);
    free(gc->loaded_epoch);
    free(gc);
}

void gcoord_trace_group(gcoord_t *gc, const char *kind, const group_t *g, cJSON **out)
{
    *out = world_trace(gc->b->w, gc->b->node, kind);
    if (*out)
        cJSON_AddStringToObject(*out, "group", g->id);
}

/* ---- groups in memory ---- */

gentry_t *gcoord_entry(const gcoord_t *gc, const char *group)
{
    for (int32_t i = 0; i < gc->n_groups; i++)
        if (strcmp(gc->groups[i]->g->id, group) == 0)
            return gc->groups[i];
    return NULL;
}

static gentry_t *add_entry(gcoord_t *gc, const char *group, int32_t partition)
{
    gentry_t *e = proto_calloc(1, sizeof *e);
    e->g = group_new(group, gc->initial_delay_us);
    e->partition = partition;
    e->serial = ++gc->next_serial;
    e->timer_at = INT64_MAX;
    gc->groups = realloc(gc->groups, (size_t)(gc->n_groups + 1) * sizeof *gc->groups);
    if (!gc->groups)
        abort();
    gc->groups[gc->n_groups++] = e;
    return e;
}

static void remove_entry(gcoord_t *gc, int32_t i)
{
    gentry_t *e = gc->groups[i];
    gc->current = e;
    group_unload(e->g, &gc->io);
    gc->current = NULL;
    world_cancel(gc->b->w, e->timer);
    memmove(&gc->groups[i], &gc->groups[i + 1],
            (size_t)(gc->n_groups - i - 1) * sizeof *gc->groups);
    gc->n_groups--;
    entry_free(e);
}

static void complete_commits(gcoord_t *gc);

static void unload(gcoord_t *gc, int32_t partition)
{
    if (gc->loaded_epoch[partition] < 0)
        return;
    gc->loaded_epoch[partition] = -1;
    int32_t n = 0;
    for (int32_t i = gc->n_groups - 1; i >= 0; i--)
        if (gc->groups[i]->partition == partition) {
            remove_entry(gc, i);
            n++;
        }
    complete_commits(gc); /* commits waiting on the partition hear NOT_COORDINATOR */
    cJSON *ev = world_trace(gc->b->w, gc->b->node, "groups_unloaded");
    if (ev) {
        trace_add_tp(ev, OFFSETS_TOPIC, partition);
        trace_add_int(ev, "groups", n);
        world_emit(gc->b->w, ev);
    }
}

static void rearm(gcoord_t *gc, gentry_t *e);

/* gstore_load's way to find or make a group of the partition being loaded. */
static group_t *load_group(void *ctx, const char *group, int32_t partition)
{
    gentry_t *e = gcoord_entry(ctx, group);
    if (!e)
        e = add_entry(ctx, group, partition);
    return e->g;
}

static void load(gcoord_t *gc, const bpartition_t *part)
{
    int32_t p = part->partition;
    for (int32_t i = gc->n_groups - 1; i >= 0; i--)
        if (gc->groups[i]->partition == p)
            remove_entry(gc, i);
    gc->loaded_epoch[p] = part->reg.leader_epoch;
    int32_t first = gc->n_groups;
    int64_t n_offsets = gstore_load(&part->log, p, load_group, gc, gc->b->w);
    bool loaded = n_offsets > 0 || gc->n_groups > first;
    cJSON *ev = loaded ? world_trace(gc->b->w, gc->b->node, "groups_loaded") : NULL;
    cJSON *names = NULL;
    if (ev) {
        trace_add_tp(ev, OFFSETS_TOPIC, p);
        names = cJSON_AddArrayToObject(ev, "groups");
        trace_add_int(ev, "offsets", n_offsets);
    }
    for (int32_t i = first; i < gc->n_groups; i++) {
        gentry_t *e = gc->groups[i];
        group_restart_sessions(e->g, gc->b->w->now);
        unowned_seed(&e->unowned, e->g);
        if (names)
            cJSON_AddItemToArray(names, cJSON_CreateString(e->g->id));
        rearm(gc, e);
    }
    if (ev)
        world_emit(gc->b->w, ev);
}

static bool is_offsets_partition(const gcoord_t *gc, const bpartition_t *part)
{
    return strcmp(part->topic, OFFSETS_TOPIC) == 0 && part->partition < gc->n_partitions;
}

void gcoord_elected(gcoord_t *gc, const bpartition_t *part)
{
    if (is_offsets_partition(gc, part))
        load(gc, part);
}

void gcoord_resigned(gcoord_t *gc, const bpartition_t *part)
{
    if (is_offsets_partition(gc, part))
        unload(gc, part->partition);
}

void gcoord_crash(gcoord_t *gc)
{
    drop_waiting(gc);
    while (gc->n_groups) {
        gentry_t *e = gc->groups[gc->n_groups - 1];
        drop_pending(gc, e);
        entry_free(e);
        gc->n_groups--;
    }
    for (int32_t i = 0; i < gc->n_partitions; i++)
        gc->loaded_epoch[i] = -1;
}

gentry_t *gcoord_coordinate(gcoord_t *gc, const char *group, bool create, int16_t *err)
{
    if (!group || !*group) {
        *err = KERR_INVALID_REQUEST;
        return NULL;
    }
    int32_t p = gcoord_partition_for(group, gc->n_partitions);
    bpartition_t *part = broker_led(gc->b, OFFSETS_TOPIC, p, err);
    if (!part) {
        *err = KERR_NOT_COORDINATOR;
        unload(gc, p);
        return NULL;
    }
    if (gc->loaded_epoch[p] != part->reg.leader_epoch)
        load(gc, part);
    gentry_t *e = gcoord_entry(gc, group);
    if (!e && create)
        e = add_entry(gc, group, p);
    if (!e)
        *err = KERR_UNKNOWN_MEMBER_ID;
    return e;
}

/* ---- timers ---- */

static void group_timer(void *a, void *bb, int64_t serial)
{
    gcoord_t *gc = a;
    for (int32_t i = 0; i < gc->n_groups; i++) {
        gentry_t *e = gc->groups[i];
        if (e->serial != (uint64_t)serial)
            continue;
        e->timer = 0;
        e->timer_at = INT64_MAX;
        int16_t err;
        if (!broker_led(gc->b, OFFSETS_TOPIC, e->partition, &err)) {
            unload(gc, e->partition);
            return;
        }
        gc->current = e;
        group_tick(e->g, &gc->io, gc->b->w->now);
        gc->current = NULL;
        rearm(gc, e);
        return;
    }
}

/* One timer per group, at its next deadline. Session expiry is routine (background); a
 * join barrier's deadline is work the world waits for. */
static void rearm(gcoord_t *gc, gentry_t *e)
{
    int64_t at = group_next_deadline(e->g);
    if (at == e->timer_at)
        return;
    world_cancel(gc->b->w, e->timer);
    e->timer = 0;
    e->timer_at = at;
    if (at == INT64_MAX)
        return;
    int64_t delay = at > gc->b->w->now ? at - gc->b->w->now : 0;
    bool joining = e->g->state == GROUP_PREPARING_REBALANCE && at == e->g->join_at;
    e->timer = joining ? node_timer(gc->b->node, delay, group_timer, gc, NULL, (int64_t)e->serial)
                       : node_timer_bg(gc->b->node, delay, group_timer, gc, NULL,
                                       (int64_t)e->serial);
}

/* The new assignment takes effect: partitions without an owner get one, and the time
 * they waited is traced. */
static void hand_over(gcoord_t *gc, gentry_t *e)
{
    const group_t *g = e->g;
    cJSON *ev;
    gcoord_trace_group(gc, "unowned", g, &ev);
    cJSON *parts = ev ? cJSON_AddObjectToObject(ev, "partitions") : NULL;
    int64_t total = unowned_hand_over(&e->unowned, g, gc->b->w->now, parts);
    if (!ev)
        return;
    trace_add_int(ev, "generation", g->generation);
    cJSON_AddNumberToObject(ev, "total_ms", (double)total / 1000.0);
    if (cJSON_GetArraySize(parts) > 0)
        world_emit(gc->b->w, ev);
    else
        cJSON_Delete(ev);
}

/* ---- group_io ---- */

void gcoord_reply(gcoord_t *gc, msg_t *m, int16_t api, void *body, const msg_body_ops_t *ops)
{
    net_reply(gc->b->w, gc->b->node, m, msg_new(gc->b->w, api, true, body, ops));
}

static void io_join_done(void *ctx, const group_t *g, const gmember_t *m, void *req,
                         int16_t error, const char *member_id)
{
    gcoord_t *gc = ctx;
    msg_t *rq = req;
    join_resp_t *r = proto_calloc(1, sizeof *r);
    r->error = error;
    r->member_id = gp_strdup(member_id);
    r->generation = -1;
    if (error == KERR_NONE) {
        r->generation = g->generation;
        r->protocol = gp_strdup(g->protocol);
        r->leader = gp_strdup(g->leader);
        bool leader = g->leader && strcmp(g->leader, m->id) == 0;
        r->skip_assignment = m->skip_assignment;
        /* Only the leader learns the members and their subscriptions, in join order. */
        if (leader) {
            r->n_members = g->n_members;
            r->members = proto_calloc((size_t)g->n_members, sizeof *r->members);
            for (int32_t i = 0; i < g->n_members; i++) {
                r->members[i].member_id = gp_strdup(g->members[i]->id);
                r->members[i].instance_id = gp_strdup(g->members[i]->instance);
                group_sub_copy(&r->members[i].sub, &g->members[i]->sub);
            }
        }
    }
    gcoord_reply(gc, rq, API_JOIN_GROUP, r, &join_resp_ops);
    msg_unref(gc->b->w, rq);
}

static void io_sync_done(void *ctx, const group_t *g, const gmember_t *m, void *req,
                         int16_t error)
{
    gcoord_t *gc = ctx;
    msg_t *rq = req;
    sync_resp_t *r = proto_calloc(1, sizeof *r);
    r->error = error;
    if (error == KERR_NONE)
        group_tps_copy(&r->tps, &m->assignment);
    gcoord_reply(gc, rq, API_SYNC_GROUP, r, &sync_resp_ops);
    msg_unref(gc->b->w, rq);
}

static void io_drop(void *ctx, void *req)
{
    gcoord_t *gc = ctx;
    msg_unref(gc->b->w, req);
}

/* Java's Uuid.randomUuid().toString() shape, from the broker's own stream. */
static void io_new_member_id(void *ctx, const char *client_id, char *out, size_t n)
{
    gcoord_t *gc = ctx;
    rng_t *r = &gc->b->node->rng;
    uint64_t hi = rng_next(r), lo = rng_next(r);
    hi = (hi & ~0xf000ULL) | 0x4000ULL;
    lo = (lo & ~(0xc000ULL << 48)) | (0x8000ULL << 48);
    snprintf(out, n, "%s-%08llx-%04llx-%04llx-%04llx-%012llx", client_id,
             (unsigned long long)(hi >> 32), (unsigned long long)((hi >> 16) & 0xffff),
             (unsigned long long)(hi & 0xffff), (unsigned long long)(lo >> 48),
             (unsigned long long)(lo & 0xffffffffffffULL));
}

static void io_state_changed(void *ctx, const group_t *g, group_state_t from, const char *why)
{
    gcoord_t *gc = ctx;
    cJSON *ev;
    gcoord_trace_group(gc, "group_state", g, &ev);
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "from", group_state_name(from));
    cJSON_AddStringToObject(ev, "to", group_state_name(g->state));
    trace_add_int(ev, "generation", g->generation);
    if (g->protocol && g->state != GROUP_PREPARING_REBALANCE)
        cJSON_AddStringToObject(ev, "protocol", g->protocol);
    if (g->leader && g->state == GROUP_COMPLETING_REBALANCE)
        cJSON_AddStringToObject(ev, "leader", g->leader);
    if (why)
        cJSON_AddStringToObject(ev, "reason", why);
    world_emit(gc->b->w, ev);
}

static void io_member_joined(void *ctx, const group_t *g, const gmember_t *m)
{
    gcoord_t *gc = ctx;
    cJSON *ev;
    gcoord_trace_group(gc, "member_joined", g, &ev);
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "member", m->id);
    if (m->instance)
        cJSON_AddStringToObject(ev, "instance_id", m->instance);
    world_emit(gc->b->w, ev);
}

/* The partitions a restarted static member owned stay its own under the new id. */
static void io_member_renamed(void *ctx, const group_t *g, const char *old_id, const gmember_t *m)
{
    gcoord_t *gc = ctx;
    if (gc->current)
        unowned_rename(&gc->current->unowned, old_id, m->id);
}

static void io_member_removed(void *ctx, const group_t *g, const gmember_t *m, const char *why)
{
    gcoord_t *gc = ctx;
    if (gc->current)
        unowned_release(&gc->current->unowned, m->id, NULL, gc->b->w->now);
    cJSON *ev;
    gcoord_trace_group(gc, "member_removed", g, &ev);
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "member", m->id);
    cJSON_AddStringToObject(ev, "reason", why);
    world_emit(gc->b->w, ev);
}

/* Writes records to the group's __consumer_offsets partition as one batch, of producer
 * `producer_id` (-1: none) and transactional with one; frees the texts. An OffsetCommit's
 * answer waits for the followers (handle_commit); a stored group does not (said once per
 * broker in the trace). */
void gcoord_append(gcoord_t *gc, int32_t p, char **keys, char **values, int32_t n,
                         int64_t producer_id, int16_t producer_epoch)
{
    int16_t err;
    bpartition_t *part = broker_led(gc->b, OFFSETS_TOPIC, p, &err);
    log_input_t *in = proto_calloc((size_t)n, sizeof *in);
    int32_t size = RECORD_BATCH_OVERHEAD;
    for (int32_t i = 0; i < n; i++) {
        bytes_t k = { keys[i], (int32_t)strlen(keys[i]) };
        bytes_t v = { values[i], (int32_t)strlen(values[i]) };
        in[i] = (log_input_t){ gc->b->w->now, k, v };
        size += record_size_in_batch(i, 0, k, v);
    }
    if (part) {
        /* The coordinator writes a transactional batch with sequence 0, as
         * GroupMetadataManager.storeOffsets builds it. */
        bool txn = producer_id >= 0;
        log_append_t meta = { .producer_id = producer_id, .producer_epoch = producer_epoch,
                              .base_sequence = txn ? 0 : -1,
                              .leader_epoch = part->reg.leader_epoch,
                              .flags = txn ? LOG_REC_TRANSACTIONAL : 0, .size = size };
        plog_append(&part->log, in, n, &meta);
        broker_trace_append(gc->b, part);
        /* The partition's producer state learns of the open transaction from the batch
         * header (its last stable offset waits for the marker). */
        pstate_update(&part->pstate, &part->log.batches[part->log.n_batches - 1]);
        part_update_lso(gc->b, part);
        if (part_maybe_advance_hw(gc->b, part))
            fetch_try_complete(gc->b);
        fetch_try_complete(gc->b);
    }
    for (int32_t i = 0; i < n; i++) {
        free(keys[i]);
        free(values[i]);
    }
    free(in);
}

static void append(gcoord_t *gc, int32_t p, char *key, char *value)
{
    gcoord_append(gc, p, &key, &value, 1, -1, -1);
}

static void io_store(void *ctx, const group_t *g)
{
    gcoord_t *gc = ctx;
    gentry_t *e = gc->current;
    assert(e && e->g == g);
    char *key, *value;
    gstore_group_record(g, &key, &value);
    append(gc, e->partition, key, value);
    cJSON *note = !gc->noted_append ? world_trace(gc->b->w, gc->b->node, "simplification")
                                    : NULL;
    gc->noted_append = true;
    if (note) {
        cJSON_AddStringToObject(note, "what", "the group coordinator goes on as soon as its own "
                                "__consumer_offsets log has the group's metadata; Kafka waits "
                                "until the followers have it too (acks=all), as ksim does for "
                                "offset commits");
        world_emit(gc->b->w, note);
    }
    if (g->state == GROUP_EMPTY)
        return;
    cJSON *ev;
    gcoord_trace_group(gc, "group_assignment", g, &ev);
    if (ev) {
        trace_add_int(ev, "generation", g->generation);
        cJSON_AddStringToObject(ev, "protocol", g->protocol ? g->protocol : "");
        cJSON *a = cJSON_AddObjectToObject(ev, "assignment");
        for (int32_t i = 0; i < g->n_members; i++)
            cJSON_AddItemToObject(a, g->members[i]->id, group_tps_json(&g->members[i]->assignment));
        world_emit(gc->b->w, ev);
    }
    hand_over(gc, e);
}

/* ---- requests ---- */

/* FindCoordinator: the leader of the group's __consumer_offsets partition. */
static void handle_find(gcoord_t *gc, msg_t *m)
{
    const find_coord_t *req = m->body;
    find_coord_t *r = proto_calloc(1, sizeof *r);
    r->key = gp_strdup(req->key);
    r->broker_id = r->node = -1;
    int32_t p = gcoord_partition_for(req->key ? req->key : "", gc->n_partitions);
    const md_partition_t *reg = md_find_partition(&gc->b->img, OFFSETS_TOPIC, p);
    if (!reg || reg->leader == MD_NO_LEADER || reg->leader > gc->b->n_peers) {
        r->error = KERR_COORDINATOR_NOT_AVAILABLE;
    } else {
        r->broker_id = reg->leader;
        r->node = gc->b->peers[reg->leader - 1];
    }
    gcoord_reply(gc, m, API_FIND_COORDINATOR, r, &find_coord_resp_ops);
}

static void handle_join(gcoord_t *gc, msg_t *m)
{
    const join_req_t *req = m->body;
    int16_t err;
    bool new_member = !req->member_id || !*req->member_id;
    if (req->session_timeout_ms < gc->min_session_ms ||
        req->session_timeout_ms > gc->max_session_ms) {
        msg_ref(m);
        io_join_done(gc, NULL, NULL, m, KERR_INVALID_SESSION_TIMEOUT, req->member_id);
        return;
    }
    gentry_t *e = gcoord_coordinate(gc, req->group, new_member, &err);
    if (!e) {
        msg_ref(m);
        io_join_done(gc, NULL, NULL, m, err, req->member_id);
        return;
    }
    if (req->member_id && *req->member_id)
        unowned_release(&e->unowned, req->member_id, &req->sub.owned, gc->b->w->now);
    group_join_args_t a = { req->member_id, req->instance_id, req->client_id,
                            req->session_timeout_ms, req->rebalance_timeout_ms,
                            req->n_protocols, req->protocols, &req->sub };
    msg_ref(m);
    gc->current = e;
    group_join(e->g, &gc->io, &a, m, gc->b->w->now);
    gc->current = NULL;
    rearm(gc, e);
}

static void handle_sync(gcoord_t *gc, msg_t *m)
{
    const sync_req_t *req = m->body;
    int16_t err;
    gentry_t *e = gcoord_coordinate(gc, req->group, false, &err);
    msg_ref(m);
    if (!e) {
        io_sync_done(gc, NULL, NULL, m, err);
        return;
    }
    gc->current = e;
    group_sync(e->g, &gc->io, req->member_id, req->instance_id, req->generation, req->v, req->n,
               m, gc->b->w->now);
    gc->current = NULL;
    rearm(gc, e);
}

static void handle_member_req(gcoord_t *gc, msg_t *m)
{
    const member_req_t *req = m->body;
    int16_t err;
    gentry_t *e = gcoord_coordinate(gc, req->group, false, &err);
    if (e) {
        gc->current = e;
        if (m->api == API_HEARTBEAT)
            err = group_heartbeat(e->g, &gc->io, req->member_id, req->instance_id,
                                  req->generation, gc->b->w->now);
        else
            err = group_leave(e->g, &gc->io, req->member_id, req->instance_id, gc->b->w->now);
        gc->current = NULL;
        rearm(gc, e);
    }
    group_resp_t *r = proto_calloc(1, sizeof *r);
    r->error = err;
    msg_t *resp = msg_new(gc->b->w, m->api, true, r, &group_resp_ops);
    /* A routine heartbeat's answer is background traffic; an error is news. */
    resp->bg = m->bg && err == KERR_NONE;
    net_reply(gc->b->w, gc->b->node, m, resp);
}

static offsets_msg_t *offsets_answer(const offsets_msg_t *req)
{
    offsets_msg_t *r = proto_calloc(1, sizeof *r);
    r->n = req->n;
    r->parts = proto_calloc((size_t)req->n, sizeof *r->parts);
    memcpy(r->parts, req->parts, (size_t)req->n * sizeof *r->parts);
    return r;
}

static void trace_commit(gcoord_t *gc, const group_t *g, const offsets_msg_t *req)
{
    cJSON *ev;
    gcoord_trace_group(gc, "offset_commit", g, &ev);
    if (!ev)
        return;
    if (req->member_id && *req->member_id)
        cJSON_AddStringToObject(ev, "member", req->member_id);
    trace_add_int(ev, "generation", req->generation);
    cJSON *o = cJSON_AddObjectToObject(ev, "offsets");
    for (int32_t i = 0; i < req->n; i++) {
        char name[300];
        snprintf(name, sizeof name, "%s-%d", req->parts[i].topic, req->parts[i].partition);
        cJSON_AddItemToObject(o, name, trace_int_item(req->parts[i].offset));
    }
    world_emit(gc->b->w, ev);
}

/* Answers waiting commit i with `error`; NONE stores its offsets in the group first
 * (the cache takes a commit once its append succeeded, as Kafka's storeOffsets does). */
static void finish_commit(gcoord_t *gc, int32_t i, int16_t error)
{
    waiting_commit_t w = gc->waiting[i];
    memmove(&gc->waiting[i], &gc->waiting[i + 1],
            (size_t)(gc->n_waiting - i - 1) * sizeof w);
    gc->n_waiting--;
    world_cancel(gc->b->w, w.timer);
    if (w.req->api == API_TXN_OFFSET_COMMIT) {
        gcoord_finish_txn_commit(gc, &w, error);
        return;
    }
    const offsets_msg_t *req = w.req->body;
    offsets_msg_t *resp = w.resp;
    gentry_t *e = error == KERR_NONE ? gcoord_entry(gc, req->group) : NULL;
    if (error == KERR_NONE && !e)
        error = KERR_NOT_COORDINATOR;
    if (e) {
        /* One record per batch: part k was appended at appended + k. */
        for (int32_t k = 0; k < req->n; k++)
            group_commit(e->g, req->parts[k].topic, req->parts[k].partition,
                         req->parts[k].offset, w.appended + k);
        trace_commit(gc, e->g, req);
    }
    for (int32_t k = 0; k < resp->n; k++)
        resp->parts[k].error = error;
    gcoord_reply(gc, w.req, API_OFFSET_COMMIT, resp, &offset_commit_resp_ops);
    msg_unref(gc->b->w, w.req);
}

/* Answers the waiting commits whose records the HW now covers, and those whose partition
 * this broker no longer leads under the same epoch (NOT_COORDINATOR). */
static void complete_commits(gcoord_t *gc)
{
    for (int32_t i = 0; i < gc->n_waiting;) {
        waiting_commit_t *w = &gc->waiting[i];
        int16_t err;
        bpartition_t *part = broker_led(gc->b, OFFSETS_TOPIC, w->partition, &err);
        if (!part || part->reg.leader_epoch != w->epoch)
            finish_commit(gc, i, KERR_NOT_COORDINATOR);
        else if (part->log.hw >= w->required)
            finish_commit(gc, i, KERR_NONE);
        else
            i++;
    }
}

void gcoord_hw_advanced(gcoord_t *gc, const bpartition_t *part)
{
    if (is_offsets_partition(gc, part))
        complete_commits(gc);
}

static void commit_expired(void *a, void *bb, int64_t serial)
{
    gcoord_t *gc = a;
    for (int32_t i = 0; i < gc->n_waiting; i++)
        if (gc->waiting[i].serial == (uint64_t)serial) {
            gc->waiting[i].timer = 0;
            finish_commit(gc, i, KERR_REQUEST_TIMED_OUT);
            return;
        }
}

/* The commit's records, appended from `appended` on, wait for the HW to cover them. */
void gcoord_wait_replication(gcoord_t *gc, msg_t *m, void *resp, const bpartition_t *part,
                             int64_t appended)
{
    msg_ref(m);
    gc->waiting = realloc(gc->waiting, (size_t)(gc->n_waiting + 1) * sizeof *gc->waiting);
    if (!gc->waiting)
        abort();
    uint64_t serial = ++gc->next_serial;
    gc->waiting[gc->n_waiting++] = (waiting_commit_t){
        m, resp, part->partition, part->reg.leader_epoch, appended, part->log.leo, serial,
        node_timer(gc->b->node, gc->commit_timeout_us, commit_expired, gc, NULL,
                   (int64_t)serial) };
    complete_commits(gc);
}

static void handle_commit(gcoord_t *gc, msg_t *m)
{
    const offsets_msg_t *req = m->body;
    offsets_msg_t *r = offsets_answer(req);
    int16_t err;
    /* handleCommitOffsets: only a commit without a generation makes a new group; one
     * with a generation comes from a group this coordinator does not know. */
    gentry_t *e = gcoord_coordinate(gc, req->group, req->generation < 0, &err);
    if (!e && err == KERR_UNKNOWN_MEMBER_ID)
        err = KERR_ILLEGAL_GENERATION;
    bpartition_t *part = e ? broker_led(gc->b, OFFSETS_TOPIC, e->partition, &err) : NULL;
    if (e && part) {
        gc->current = e;
        err = group_check_commit(e->g, req->member_id, req->instance_id, req->generation,
                                 gc->b->w->now);
        gc->current = NULL;
        rearm(gc, e);
        /* acks=-1 needs min.insync.replicas in sync (NOT_ENOUGH_REPLICAS, which the
         * coordinator answers as COORDINATOR_NOT_AVAILABLE). */
        if (err == KERR_NONE && part->reg.n_isr < part_min_isr(gc->b, part))
            err = KERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (err != KERR_NONE) {
        for (int32_t i = 0; i < r->n; i++)
            r->parts[i].error = err;
        gcoord_reply(gc, m, API_OFFSET_COMMIT, r, &offset_commit_resp_ops);
        return;
    }
    int64_t appended = part->log.leo;
    for (int32_t i = 0; i < req->n; i++) {
        char *key, *value;
        gstore_offset_record(e->g->id, &req->parts[i], &key, &value);
        append(gc, e->partition, key, value);
    }
    gcoord_wait_replication(gc, m, r, part, appended);
}

static void handle_offset_fetch(gcoord_t *gc, msg_t *m)
{
    const offsets_msg_t *req = m->body;
    offsets_msg_t *r = offsets_answer(req);
    int16_t err;
    gentry_t *e = gcoord_coordinate(gc, req->group, false, &err);
    if (!e && err == KERR_UNKNOWN_MEMBER_ID)
        err = KERR_NONE; /* an unknown group has no offsets */
    r->error = err;
    for (int32_t i = 0; i < r->n; i++) {
        offset_part_t *o = &r->parts[i];
        o->error = err;
        o->offset = e ? group_committed(e->g, o->topic, o->partition) : -1;
        /* getOffsets (KIP-447): the consumer waits for offsets in flight. */
        if (e && req->require_stable && gcoord_unstable(gc, e, o->topic, o->partition)) {
            o->error = KERR_UNSTABLE_OFFSET_COMMIT;
            o->offset = -1;
        }
    }
    gcoord_reply(gc, m, API_OFFSET_FETCH, r, &offset_fetch_resp_ops);
}

void gcoord_handle(gcoord_t *gc, msg_t *m)
{
    switch (m->api) {
    case API_FIND_COORDINATOR:
        handle_find(gc, m);
        break;
    case API_JOIN_GROUP:
        handle_join(gc, m);
        break;
    case API_SYNC_GROUP:
        handle_sync(gc, m);
        break;
    case API_HEARTBEAT:
    case API_LEAVE_GROUP:
        handle_member_req(gc, m);
        break;
    case API_OFFSET_COMMIT:
        handle_commit(gc, m);
        break;
    case API_OFFSET_FETCH:
        handle_offset_fetch(gc, m);
        break;
    case API_TXN_OFFSET_COMMIT:
        gcoord_handle_txn_commit(gc, m);
        break;
    default:
        break;
    }
}

const group_t *gcoord_group(const gcoord_t *gc, const char *group)
{
    const gentry_t *e = gcoord_entry(gc, group);
    return e ? e->g : NULL;
}

int64_t gcoord_unowned_us(const gcoord_t *gc, const char *group)
{
    const gentry_t *e = gcoord_entry(gc, group);
    return e ? e->unowned.total_us : 0;
}
