#include "broker.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "../core/net.h"
#include "api.h"
#include "broker_internal.h"
#include "controller_api.h"
#include "group_coordinator.h"
#include "group_protocol.h"
#include "protocol.h"
#include "txn_coordinator.h"

static void on_message(node_t *n, msg_t *m);
static void on_crash(node_t *n);
static void on_restart(node_t *n);
static void on_disconnect(node_t *n, int32_t peer, uint32_t conn);
static bool accepts(node_t *n, const msg_t *m);
static const node_ops_t broker_ops = { .on_message = on_message, .on_crash = on_crash,
                                       .on_restart = on_restart, .on_disconnect = on_disconnect,
                                       .accepts = accepts };

static void heartbeat_tick(void *a, void *bb, int64_t inc);
static void isr_tick(void *a, void *bb, int64_t inc);
static void start_tasks(broker_t *b);
static void send_md_fetch(broker_t *b);
static void md_fetch_first(void *a, void *bb, int64_t arg);

broker_t *broker_new(world_t *w, const char *name, int32_t id, int32_t controller,
                     const int32_t *peers, int32_t n_peers, const config_t *cfg)
{
    broker_t *b = proto_calloc(1, sizeof *b);
    b->w = w;
    b->id = id;
    b->controller = controller;
    b->n_peers = n_peers;
    b->peers = proto_calloc((size_t)n_peers, sizeof *b->peers);
    memcpy(b->peers, peers, (size_t)n_peers * sizeof *peers);
    b->fetchers = proto_calloc((size_t)n_peers, sizeof *b->fetchers);
    md_image_init(&b->img, n_peers);
    b->heartbeat_interval = config_duration_us(cfg, "broker.heartbeat.interval.ms");
    b->lag_max = config_duration_us(cfg, "replica.lag.time.max.ms");
    b->fetch_backoff = config_duration_us(cfg, "replica.fetch.backoff.ms");
    b->socket_timeout = config_duration_us(cfg, "replica.socket.timeout.ms");
    b->request_timeout = config_duration_us(cfg, "request.timeout.ms");
    b->fetch_wait_ms = config_int(cfg, "replica.fetch.wait.max.ms");
    b->fetch_min_bytes = config_int(cfg, "replica.fetch.min.bytes");
    b->fetch_max_bytes = config_int(cfg, "replica.fetch.max.bytes");
    b->fetch_response_max_bytes = config_int(cfg, "replica.fetch.response.max.bytes");
    logmgr_init(b, cfg);
    b->pid_expiration = config_duration_us(cfg, "producer.id.expiration.ms");
    b->pid_expiration_check = config_duration_us(cfg, "producer.id.expiration.check.interval.ms");
    b->node = world_add_node(w, name, ROLE_BROKER, &broker_ops, b);
    b->incarnation = 1;
    b->gc = gcoord_new(b, cfg);
    b->tc = tcoord_new(b, cfg);
    return b;
}

void broker_free(broker_t *b)
{
    if (!b)
        return;
    for (int32_t i = 0; i < b->n_topics; i++) {
        for (int32_t p = 0; p < b->topics[i].n; p++)
            if (b->topics[i].parts[p].hosted) {
                plog_free(&b->topics[i].parts[p].log);
                pstate_free(&b->topics[i].parts[p].pstate);
            }
        free(b->topics[i].parts);
    }
    free(b->topics);
    while (b->fetches.n)
        delayed_remove(b->w, &b->fetches, b->fetches.n - 1);
    produce_fail_all(b);
    free(b->fetches.v);
    free(b->produces.v);
    free(b->markers.v);
    free(b->fetchers);
    free(b->peers);
    md_image_free(&b->img);
    gcoord_free(b->gc);
    tcoord_free(b->tc);
    logmgr_free(b);
    free(b);
}

node_t *broker_node(const broker_t *b)
{
    return b->node;
}

int32_t broker_id(const broker_t *b)
{
    return b->id;
}
const broker_counters_t *broker_counters(const broker_t *b)
{
    return &b->m;
}

const struct gcoord *broker_group_coordinator(const broker_t *b)
{
    return b->gc;
}

void request_time_add(request_time_t *t, int64_t us)
{
    t->count++;
    t->total_us += us;
    if (us > t->max_us)
        t->max_us = us;
}

/* ---- partitions ---- */

static btopic_t *find_topic(const broker_t *b, const char *topic)
{
    for (int32_t i = 0; i < b->n_topics; i++)
        if (b->topics[i].name == topic || strcmp(b->topics[i].name, topic) == 0)
            return &b->topics[i];
    return NULL;
}

bpartition_t *broker_partition(const broker_t *b, const char *topic, int32_t p)
{
    btopic_t *t = find_topic(b, topic);
    return t && p >= 0 && p < t->n ? &t->parts[p] : NULL;
}

bpartition_t *broker_led(const broker_t *b, const char *topic, int32_t p, int16_t *err)
{
    bpartition_t *part = broker_partition(b, topic, p);
    if (!part) {
        *err = KERR_UNKNOWN_TOPIC_OR_PARTITION;
        return NULL;
    }
    if (b->state != BROKER_RUNNING || !part->leading) {
        *err = KERR_NOT_LEADER_OR_FOLLOWER;
        return NULL;
    }
    *err = KERR_NONE;
    return part;
}

int32_t broker_min_isr(const broker_t *b, const char *topic)
{
    btopic_t *t = find_topic(b, topic);
    return t ? t->min_isr : 1;
}

const plog_t *broker_log(const broker_t *b, const char *topic, int32_t partition)
{
    bpartition_t *part = broker_partition(b, topic, partition);
    return part && part->hosted ? &part->log : NULL;
}

int32_t broker_under_replicated(const broker_t *b)
{
    int32_t n = 0;
    for (int32_t t = 0; t < b->n_topics; t++)
        for (int32_t p = 0; p < b->topics[t].n; p++) {
            const bpartition_t *part = &b->topics[t].parts[p];
            n += part->leading && part->reg.n_isr < part->reg.n_replicas;
        }
    return n;
}

void broker_trace_hw(broker_t *b, const bpartition_t *part)
{
    cJSON *ev = world_trace(b->w, b->node, "hw");
    if (!ev)
        return;
    trace_add_tp(ev, part->topic, part->partition);
    trace_add_int(ev, "hw", part->log.hw);
    world_emit(b->w, ev);
}

void delayed_add(world_t *w, delayed_list_t *l, msg_t *m, ev_handle_t timer, void *state)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v)
            abort();
    }
    msg_ref(m);
    l->v[l->n++] = (delayed_t){ m, timer, w->now, state };
}

void delayed_remove(world_t *w, delayed_list_t *l, size_t i)
{
    world_cancel(w, l->v[i].timer);
    msg_unref(w, l->v[i].req);
    memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
    l->n--;
}

/* ---- the metadata log ---- */

static void add_topic(broker_t *b, const md_record_t *r)
{
    b->topics = realloc(b->topics, (size_t)(b->n_topics + 1) * sizeof *b->topics);
    if (!b->topics)
        abort();
    btopic_t *t = &b->topics[b->n_topics++];
    t->name = r->topic;
    t->n = r->partitions;
    t->min_isr = r->min_isr;
    t->log = r->log;
    t->parts = proto_calloc((size_t)r->partitions, sizeof *t->parts);
    for (int32_t p = 0; p < r->partitions; p++) {
        t->parts[p].topic = r->topic;
        t->parts[p].partition = p;
        t->parts[p].fetch_from = -1;
    }
}

/* Takes the partition's new registration and the role it gives this broker. */
static void apply_role(broker_t *b, bpartition_t *part, const md_partition_t *reg)
{
    bool was_known = part->known;
    md_partition_t old = part->reg;
    /* An AlterPartition response may have brought a newer registration already. */
    if (was_known && reg->leader_epoch == old.leader_epoch &&
        reg->partition_epoch <= old.partition_epoch)
        return;
    part->reg = *reg;
    part->known = true;
    if (!md_is_replica(reg, b->id) || b->state != BROKER_RUNNING)
        return;
    if (!part->hosted) {
        plog_init(&part->log);
        plog_configure(&part->log, &find_topic(b, part->topic)->log);
        pstate_init(&part->pstate);
        part->hosted = true;
    }
    bool new_epoch = !was_known || reg->leader_epoch != old.leader_epoch;
    if (reg->leader == b->id) {
        if (new_epoch || !part->leading) {
            part_become_leader(b, part);
            gcoord_elected(b->gc, part);
            tcoord_elected(b->tc, part);
        }
        part_alter_settled(b, part);
    } else if (new_epoch || part->leading || part->fetch_from != reg->leader) {
        if (part->leading) {
            gcoord_resigned(b->gc, part);
            tcoord_resigned(b->tc, part);
        }
        part_become_follower(b, part);
    }
}

/* The image takes the record; a topic also gets its partitions' places. */
static void replay(broker_t *b, const md_record_t *r)
{
    md_image_apply(&b->img, r);
    if (r->kind == MD_TOPIC)
        add_topic(b, r);
}

/* Caught up with its own registration: the broker takes the roles its image gives it. */
static void start_serving(broker_t *b)
{
    b->state = BROKER_RUNNING;
    cJSON *ev = world_trace(b->w, b->node, "broker_started");
    if (ev) {
        trace_add_int(ev, "broker_epoch", b->broker_epoch);
        world_emit(b->w, ev);
    }
    for (int32_t t = 0; t < b->n_topics; t++)
        for (int32_t p = 0; p < b->topics[t].n; p++) {
            bpartition_t *part = &b->topics[t].parts[p];
            md_partition_t reg = b->img.topics[t].parts[p];
            part->known = false;
            apply_role(b, part, &reg);
        }
}

/* A batch of the metadata log is replayed whole before the broker acts on it, as KRaft's
 * metadata publisher does: a partition change and the fencing of a follower written
 * together are seen together. Then each changed partition's role is applied, and every
 * partition this broker leads recomputes its HW (a fenced follower no longer holds it). */
static void replay_records(broker_t *b, const md_record_t *recs, int32_t n)
{
    for (int32_t i = 0; i < n; i++)
        replay(b, &recs[i]);
    if (b->state == BROKER_RECOVERY && b->img.offset > b->broker_epoch) {
        start_serving(b);
    } else if (b->state == BROKER_RUNNING) {
        for (int32_t i = 0; i < n; i++) {
            if (recs[i].kind != MD_PARTITION)
                continue;
            bpartition_t *part = broker_partition(b, recs[i].topic, recs[i].partitions);
            assert(part);
            apply_role(b, part, &recs[i].part);
        }
    }
    for (int32_t t = 0; t < b->n_topics; t++)
        for (int32_t p = 0; p < b->topics[t].n; p++)
            if (b->topics[t].parts[p].leading)
                part_maybe_advance_hw(b, &b->topics[t].parts[p]);
    produce_try_complete(b);
    fetch_try_complete(b);
}

void broker_catch_up(broker_t *b, const md_record_t *recs, int64_t n)
{
    if (b->state == BROKER_STARTING) {
        /* Cluster formation: the broker's registration is in the records. */
        b->state = BROKER_RECOVERY;
        b->broker_epoch = INT64_MAX;
        for (int64_t i = 0; i < n; i++)
            if (recs[i].kind == MD_BROKER && recs[i].broker == b->id &&
                recs[i].change == MD_REGISTER)
                b->broker_epoch = recs[i].broker_epoch;
        assert(b->broker_epoch != INT64_MAX);
        start_tasks(b);
    }
    int64_t from = b->img.offset;
    replay_records(b, recs + from, (int32_t)(n - from));
    /* The first fetch goes out when the world runs, from wherever the log then is. */
    if (!b->md_fetching) {
        b->md_fetching = true;
        node_timer_bg(b->node, 0, md_fetch_first, b, NULL, 0);
    }
}

void broker_send(broker_t *b, int32_t node, msg_t *m)
{
    m->corr = ++b->next_corr;
    net_send(b->w, b->node, node, m);
}

/* Routine traffic to the controller. */
static void send_bg(broker_t *b, msg_t *m)
{
    m->bg = true;
    broker_send(b, b->controller, m);
}

/* The controller channel is silent: Kafka's NodeToControllerChannelManager closes the
 * connection on a request timeout, and every request after goes on a new one. */
static void md_fetch_timeout(void *a, void *bb, int64_t corr)
{
    broker_t *b = a;
    if (!b->md_fetching || b->md_fetch_corr != corr)
        return;
    net_close(b->w->net, b->node->id, b->controller);
    send_md_fetch(b);
}

/* A long poll of the metadata log; unanswered after controller.quorum.request.timeout.ms,
 * it is sent again. */
static void send_md_fetch(broker_t *b)
{
    md_fetch_t *f = proto_calloc(1, sizeof *f);
    f->broker_id = b->id;
    f->offset = b->img.offset;
    f->max_wait_ms = MD_FETCH_MAX_WAIT_MS;
    b->md_fetching = true;
    msg_t *m = msg_new(b->w, API_FETCH, false, f, &md_fetch_req_ops);
    send_bg(b, m);
    b->md_fetch_corr = m->corr;
    node_timer_bg(b->node, MD_REQUEST_TIMEOUT_MS * US_PER_MS, md_fetch_timeout, b, NULL, m->corr);
}

static void md_fetch_first(void *a, void *bb, int64_t arg)
{
    send_md_fetch(a);
}

static void md_fetch_retry(void *a, void *bb, int64_t inc)
{
    broker_t *b = a;
    if (!b->md_fetching)
        send_md_fetch(b);
}

static void md_fetch_response(broker_t *b, const msg_t *m)
{
    const md_fetch_t *f = m->body;
    if (!b->md_fetching || m->corr != b->md_fetch_corr)
        return; /* an answer given up on */
    b->md_fetching = false;
    if (f->offset == b->img.offset)
        replay_records(b, f->recs, f->n);
    send_md_fetch(b);
}

/* ---- lifecycle: registration and heartbeats ---- */

static void send_registration(broker_t *b)
{
    broker_registration_t *r = proto_calloc(1, sizeof *r);
    r->broker_id = b->id;
    r->incarnation = b->incarnation;
    msg_t *m = msg_new(b->w, API_BROKER_REGISTRATION, false, r, &registration_req_ops);
    send_bg(b, m);
    b->registration_corr = m->corr;
}

static void send_heartbeat(broker_t *b)
{
    broker_heartbeat_t *h = proto_calloc(1, sizeof *h);
    h->broker_id = b->id;
    h->broker_epoch = b->broker_epoch;
    h->metadata_offset = b->img.offset;
    send_bg(b, msg_new(b->w, API_BROKER_HEARTBEAT, false, h, &heartbeat_req_ops));
}

/* Every broker.heartbeat.interval.ms: a heartbeat, or another registration attempt while
 * the controller has not taken one; and a new metadata fetch if the last one was lost. */
static void heartbeat_tick(void *a, void *bb, int64_t arg)
{
    broker_t *b = a;
    if (b->state == BROKER_STARTING)
        send_registration(b);
    else
        send_heartbeat(b);
    if (!b->md_fetching)
        send_md_fetch(b);
    node_timer_bg(b->node, b->heartbeat_interval, heartbeat_tick, b, NULL, 0);
}

/* Every producer.id.expiration.check.interval.ms: producers silent for
 * producer.id.expiration.ms are forgotten (UnifiedLog.removeExpiredProducers). */
static void pid_expiration_tick(void *a, void *bb, int64_t arg)
{
    broker_t *b = a;
    for (int32_t t = 0; t < b->n_topics; t++) {
        for (int32_t p = 0; p < b->topics[t].n; p++) {
            bpartition_t *part = &b->topics[t].parts[p];
            if (!part->hosted)
                continue;
            size_t gone = pstate_expire(&part->pstate, b->w->now, b->pid_expiration);
            cJSON *ev = gone ? world_trace(b->w, b->node, "producers_expired") : NULL;
            if (ev) {
                trace_add_tp(ev, part->topic, part->partition);
                trace_add_int(ev, "producers", (int64_t)gone);
                trace_add_int(ev, "expiration_ms", b->pid_expiration / US_PER_MS);
                world_emit(b->w, ev);
            }
        }
    }
    node_timer_bg(b->node, b->pid_expiration_check, pid_expiration_tick, b, NULL, 0);
}

/* Kafka's isr-expiration task, every replica.lag.time.max.ms / 2. */
static void isr_tick(void *a, void *bb, int64_t arg)
{
    broker_t *b = a;
    if (b->state == BROKER_RUNNING)
        part_check_isr(b);
    node_timer_bg(b->node, b->lag_max / 2, isr_tick, b, NULL, 0);
}

/* The broker's periodic tasks, started with the process. */
static void start_tasks(broker_t *b)
{
    node_timer_bg(b->node, b->heartbeat_interval, heartbeat_tick, b, NULL, 0);
    node_timer_bg(b->node, b->lag_max / 2, isr_tick, b, NULL, 0);
    node_timer_bg(b->node, b->pid_expiration_check, pid_expiration_tick, b, NULL, 0);
    logmgr_start(b);
}

static void registration_response(broker_t *b, const msg_t *m)
{
    const broker_registration_t *r = m->body;
    /* Only the answer to the latest attempt counts: each one that succeeds writes a new
     * registration with a new broker epoch. */
    if (b->state != BROKER_STARTING || m->corr != b->registration_corr ||
        r->error != KERR_NONE)
        return; /* tried again at the next tick */
    b->state = BROKER_RECOVERY;
    b->broker_epoch = r->broker_epoch;
    if (b->img.offset > b->broker_epoch)
        start_serving(b);
}

/* ---- Metadata and ListOffsets ---- */

static void fill_topic(const md_topic_t *t, metadata_topic_t *out)
{
    out->n = t->n;
    out->partitions = proto_calloc((size_t)t->n, sizeof *out->partitions);
    for (int32_t p = 0; p < t->n; p++) {
        const md_partition_t *reg = &t->parts[p];
        out->partitions[p] = (metadata_partition_t){
            p, reg->leader == MD_NO_LEADER ? KERR_LEADER_NOT_AVAILABLE : KERR_NONE,
            reg->leader, reg->leader_epoch };
    }
}

static void handle_metadata(broker_t *b, msg_t *m)
{
    const metadata_req_t *req = m->body;
    metadata_resp_t *resp = proto_calloc(1, sizeof *resp);
    /* Only unfenced brokers are listed, as KRaft's MetadataCache does. */
    resp->brokers = proto_calloc((size_t)b->n_peers, sizeof *resp->brokers);
    for (int32_t i = 0; i < b->n_peers; i++)
        if (md_unfenced(&b->img, i + 1))
            resp->brokers[resp->n_brokers++] = (metadata_broker_t){ i + 1, b->peers[i] };
    bool all = req->n == 0;
    resp->n = all ? b->img.n_topics : req->n;
    resp->topics = proto_calloc((size_t)resp->n, sizeof *resp->topics);
    for (int32_t i = 0; i < resp->n; i++) {
        metadata_topic_t *out = &resp->topics[i];
        const md_topic_t *t = all ? &b->img.topics[i] : md_find_topic(&b->img, req->topics[i]);
        out->topic = all ? t->name : req->topics[i];
        if (!t) {
            out->error = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        fill_topic(t, out);
    }
    net_reply(b->w, b->node, m, msg_new(b->w, API_METADATA, true, resp, &metadata_resp_ops));
}

static void handle_list_offsets(broker_t *b, msg_t *m)
{
    const list_offsets_t *req = m->body;
    list_offsets_t *resp = proto_calloc(1, sizeof *resp);
    resp->n = req->n;
    resp->parts = proto_calloc((size_t)req->n, sizeof *resp->parts);
    for (int32_t i = 0; i < req->n; i++) {
        list_offsets_part_t *out = &resp->parts[i];
        *out = req->parts[i];
        out->offset = -1;
        bpartition_t *part = broker_led(b, out->topic, out->partition, &out->error);
        if (!part)
            continue;
        /* Consumers see the latest offset as the high watermark (read_committed: the last
         * stable offset); a new leader has none to give until its HW reaches the start of
         * its epoch (fetchOffsetForTimestamp). */
        if (out->timestamp == LIST_OFFSETS_EARLIEST)
            out->offset = part->log.log_start;
        else if (part->log.hw < part->epoch_start)
            out->error = KERR_OFFSET_NOT_AVAILABLE;
        else
            out->offset = req->isolation ? plog_lso(&part->log) : part->log.hw;
    }
    net_reply(b->w, b->node, m,
              msg_new(b->w, API_LIST_OFFSETS, true, resp, &list_offsets_resp_ops));
}

/* ---- dispatch ---- */

/* A starting broker opens its listeners only once it has caught up with the metadata log
 * (BrokerServer.startup): until then requests are refused; answers to its own requests
 * come in on the connections it opened. */
static bool accepts(node_t *n, const msg_t *m)
{
    const broker_t *b = n->impl;
    return m->response || b->state == BROKER_RUNNING;
}

static void on_response(broker_t *b, msg_t *m)
{
    switch (m->api) {
    case API_FETCH:
        if (m->from == b->controller)
            md_fetch_response(b, m);
        else
            fetcher_response(b, m);
        break;
    case API_BROKER_REGISTRATION:
        registration_response(b, m);
        break;
    case API_ALTER_PARTITION:
        part_alter_response(b, m);
        break;
    case API_ALLOCATE_PRODUCER_IDS:
        pids_alloc_response(b, m);
        break;
    case API_WRITE_TXN_MARKERS:
        tcoord_response(b->tc, m);
        break;
    default:
        break;
    }
}

static void on_message(node_t *n, msg_t *m)
{
    broker_t *b = n->impl;
    if (m->response) {
        on_response(b, m);
        return;
    }
    switch (m->api) {
    case API_PRODUCE:
        produce_handle(b, m);
        break;
    case API_FETCH:
        fetch_handle(b, m);
        break;
    case API_LIST_OFFSETS:
        handle_list_offsets(b, m);
        break;
    case API_METADATA:
        handle_metadata(b, m);
        break;
    case API_FIND_COORDINATOR:
        if (((const find_coord_t *)m->body)->key_type == COORD_KEY_TRANSACTION)
            tcoord_handle(b->tc, m);
        else
            gcoord_handle(b->gc, m);
        break;
    case API_JOIN_GROUP:
    case API_SYNC_GROUP:
    case API_HEARTBEAT:
    case API_LEAVE_GROUP:
    case API_OFFSET_COMMIT:
    case API_OFFSET_FETCH:
    case API_TXN_OFFSET_COMMIT:
        gcoord_handle(b->gc, m);
        break;
    case API_INIT_PRODUCER_ID:
        if (((const init_pid_t *)m->body)->transactional_id)
            tcoord_handle(b->tc, m);
        else
            pids_handle_init(b, m);
        break;
    case API_ADD_PARTITIONS_TO_TXN:
    case API_ADD_OFFSETS_TO_TXN:
    case API_END_TXN:
        tcoord_handle(b->tc, m);
        break;
    case API_WRITE_TXN_MARKERS:
        markers_handle(b, m);
        break;
    default:
        break;
    }
}

/* A crash loses the purgatories, the replication state, the producer ids and state and the
 * registration; the logs and the metadata log are on disk and stay. */
static void on_crash(node_t *n)
{
    broker_t *b = n->impl;
    while (b->fetches.n)
        delayed_remove(b->w, &b->fetches, b->fetches.n - 1);
    produce_fail_all(b);
    fetcher_reset(b);
    for (int32_t t = 0; t < b->n_topics; t++)
        for (int32_t p = 0; p < b->topics[t].n; p++) {
            bpartition_t *part = &b->topics[t].parts[p];
            part->leading = false;
            part->pending = false;
            part->fetch_from = -1;
            if (part->hosted)
                pstate_clear(&part->pstate);
        }
    pids_reset(b);
    b->state = BROKER_STARTING;
    b->md_fetching = false;
    gcoord_crash(b->gc);
    tcoord_crash(b->tc);
}

static void on_restart(node_t *n)
{
    broker_t *b = n->impl;
    b->incarnation++;
    /* Producer state is loaded again from the logs (Kafka: snapshots, then the log). */
    for (int32_t t = 0; t < b->n_topics; t++)
        for (int32_t p = 0; p < b->topics[t].n; p++)
            if (b->topics[t].parts[p].hosted) {
                pstate_rebuild(&b->topics[t].parts[p].pstate, &b->topics[t].parts[p].log);
                part_update_lso(b, &b->topics[t].parts[p]);
            }
    send_registration(b);
    send_md_fetch(b);
    start_tasks(b);
}

static void on_disconnect(node_t *n, int32_t peer, uint32_t conn)
{
    broker_t *b = n->impl;
    for (size_t i = 0; i < b->fetches.n;) {
        const msg_t *req = b->fetches.v[i].req;
        if (req->from == peer && req->conn <= conn)
            delayed_remove(b->w, &b->fetches, i);
        else
            i++;
    }
    tcoord_disconnect(b->tc, peer, conn);
    if (peer == b->controller) {
        b->md_fetching = false;
        node_timer_bg(b->node, b->fetch_backoff, md_fetch_retry, b, NULL, 0);
        part_controller_lost(b);
        pids_controller_lost(b);
        return;
    }
    for (int32_t i = 0; i < b->n_peers; i++)
        if (b->peers[i] == peer)
            fetcher_lost(b, i + 1);
}
