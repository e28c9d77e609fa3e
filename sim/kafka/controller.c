#include "controller.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/net.h"
#include "api.h"
#include "controller_api.h"
#include "election.h"
#include "protocol.h"

/* What the controller knows of a broker's process beyond the metadata log (volatile). */
typedef struct session {
    int32_t node;
    uint32_t incarnation;
    int64_t last_contact;
    int64_t caught_up_at;   /* metadata offset the broker must reach to be unfenced */
    ev_handle_t expiry;
} session_t;

/* A Fetch of the metadata log waiting for new records. */
typedef struct parked {
    msg_t *req;
    ev_handle_t timer;
} parked_t;

struct controller {
    world_t *w;
    node_t *node;
    md_image_t img;
    md_record_t *log;
    int64_t n_log, cap_log;
    session_t *sessions; /* by broker id - 1 */
    int32_t n_brokers;
    parked_t *parked;
    size_t n_parked, cap_parked;
    int64_t session_timeout; /* µs */
};

static void on_message(node_t *n, msg_t *m);
static void on_crash(node_t *n);
static void on_restart(node_t *n);
static const node_ops_t controller_ops = { .on_message = on_message, .on_crash = on_crash,
                                           .on_restart = on_restart };

controller_t *controller_new(world_t *w, const char *name, int32_t n_brokers,
                             const int32_t *broker_nodes, const config_t *cfg)
{
    controller_t *c = proto_calloc(1, sizeof *c);
    c->w = w;
    c->node = world_add_node(w, name, ROLE_CONTROLLER, &controller_ops, c);
    md_image_init(&c->img, n_brokers);
    c->n_brokers = n_brokers;
    c->sessions = proto_calloc((size_t)n_brokers, sizeof *c->sessions);
    for (int32_t i = 0; i < n_brokers; i++)
        c->sessions[i].node = broker_nodes[i];
    c->session_timeout = config_duration_us(cfg, "broker.session.timeout.ms");
    return c;
}

void controller_free(controller_t *c)
{
    if (!c)
        return;
    md_image_free(&c->img);
    free(c->log);
    free(c->sessions);
    for (size_t i = 0; i < c->n_parked; i++)
        msg_unref(c->w, c->parked[i].req);
    free(c->parked);
    free(c);
}

node_t *controller_node(const controller_t *c)
{
    return c->node;
}

const md_record_t *controller_log(const controller_t *c, int64_t *n)
{
    *n = c->n_log;
    return c->log;
}

const md_image_t *controller_image(const controller_t *c)
{
    return &c->img;
}

static const char *broker_name(const controller_t *c, int32_t id)
{
    if (id < 1 || id > c->n_brokers)
        return NULL;
    return world_node(c->w, c->sessions[id - 1].node)->name;
}

/* ---- the metadata log ---- */

static void answer_parked(controller_t *c);

static void append(controller_t *c, const md_record_t *r)
{
    if (c->n_log == c->cap_log) {
        c->cap_log = c->cap_log ? c->cap_log * 2 : 64;
        c->log = realloc(c->log, (size_t)c->cap_log * sizeof *c->log);
        if (!c->log)
            abort();
    }
    c->log[c->n_log++] = *r;
    md_image_apply(&c->img, r);
}

static cJSON *broker_list_json(const controller_t *c, const int32_t *ids, int32_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (int32_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(broker_name(c, ids[i])));
    return a;
}

static void trace_partition_change(controller_t *c, const char *topic, int32_t p,
                                   const md_partition_t *old, const elect_result_t *res,
                                   const char *reason)
{
    const md_partition_t *now = &res->part;
    if (res->leader_changed) {
        cJSON *ev = world_trace(c->w, c->node, "leader_elected");
        if (ev) {
            trace_add_tp(ev, topic, p);
            if (now->leader == MD_NO_LEADER)
                cJSON_AddNullToObject(ev, "leader");
            else
                cJSON_AddStringToObject(ev, "leader", broker_name(c, now->leader));
            trace_add_int(ev, "leader_epoch", now->leader_epoch);
            cJSON_AddItemToObject(ev, "isr", broker_list_json(c, now->isr, now->n_isr));
            cJSON_AddBoolToObject(ev, "unclean", res->unclean);
            cJSON_AddStringToObject(ev, "reason", reason);
            world_emit(c->w, ev);
        }
    }
    if (old->n_isr != now->n_isr || memcmp(old->isr, now->isr, sizeof old->isr) != 0) {
        cJSON *ev = world_trace(c->w, c->node, "isr_changed");
        if (ev) {
            trace_add_tp(ev, topic, p);
            cJSON_AddItemToObject(ev, "isr", broker_list_json(c, now->isr, now->n_isr));
            cJSON_AddItemToObject(ev, "was", broker_list_json(c, old->isr, old->n_isr));
            cJSON_AddStringToObject(ev, "change", now->n_isr < old->n_isr ? "shrink"
                                                  : now->n_isr > old->n_isr ? "expand"
                                                                            : "replace");
            trace_add_int(ev, "partition_epoch", now->partition_epoch);
            cJSON_AddStringToObject(ev, "reason", reason);
            world_emit(c->w, ev);
        }
    }
}

static void write_partition(controller_t *c, const char *topic, int32_t p,
                            const elect_result_t *res, const char *reason)
{
    md_partition_t old = *md_find_partition(&c->img, topic, p);
    md_record_t r = { .kind = MD_PARTITION, .topic = topic, .partitions = p,
                      .part = res->part };
    append(c, &r);
    trace_partition_change(c, topic, p, &old, res, reason);
}

static void write_broker(controller_t *c, int32_t id, md_broker_change_t change,
                         int64_t epoch, const char *reason)
{
    md_record_t r = { .kind = MD_BROKER, .broker = id, .change = change,
                      .broker_epoch = epoch };
    append(c, &r);
    static const char *const kinds[] = { "broker_registered", "broker_fenced",
                                         "broker_unfenced" };
    cJSON *ev = world_trace(c->w, c->node, kinds[change]);
    if (!ev)
        return;
    cJSON_AddStringToObject(ev, "broker", broker_name(c, id));
    if (change == MD_REGISTER)
        trace_add_int(ev, "broker_epoch", epoch);
    if (reason)
        cJSON_AddStringToObject(ev, "reason", reason);
    world_emit(c->w, ev);
}

/* ---- elections ---- */

typedef struct acceptor {
    controller_t *c;
    int32_t removed, added; /* a broker being fenced, one being unfenced, or -1 */
} acceptor_t;

static bool acceptable(void *ctx, int32_t id)
{
    const acceptor_t *a = ctx;
    return id != a->removed && (id == a->added || md_unfenced(&a->c->img, id));
}

/* Kafka's generateLeaderAndIsrUpdates: with `removed`, every partition whose ISR or
 * leadership holds that broker; with `added`, every leaderless partition it replicates. */
static void update_partitions(controller_t *c, int32_t removed, int32_t added,
                              const char *reason)
{
    acceptor_t acc = { c, removed, added };
    for (int32_t t = 0; t < c->img.n_topics; t++) {
        md_topic_t *topic = &c->img.topics[t];
        for (int32_t p = 0; p < topic->n; p++) {
            md_partition_t *part = &topic->parts[p];
            bool touches = removed >= 0
                               ? md_in_isr(part, removed) || part->leader == removed
                               : part->leader == MD_NO_LEADER && md_is_replica(part, added);
            if (!touches)
                continue;
            int32_t isr[MD_MAX_REPLICAS];
            int32_t n = elect_isr_without(part, removed, isr);
            elect_result_t res = elect_change(part, isr, n, topic->unclean, acceptable, &acc);
            if (res.changed)
                write_partition(c, topic->name, p, &res, reason);
        }
    }
}

static void session_expired(void *a, void *b, int64_t id);

static void touch_session(controller_t *c, int32_t id)
{
    session_t *s = &c->sessions[id - 1];
    s->last_contact = c->w->now;
    world_cancel(c->w, s->expiry);
    s->expiry = node_timer_bg(c->node, c->session_timeout, session_expired, c, NULL, id);
}

static void fence(controller_t *c, int32_t id, const char *reason)
{
    update_partitions(c, id, -1, reason);
    write_broker(c, id, MD_FENCE, c->img.brokers[id - 1].epoch, reason);
}

/* handleBrokerUnfenced: the unfence record, then leaders for the partitions that had
 * none. */
static void unfence(controller_t *c, int32_t id)
{
    write_broker(c, id, MD_UNFENCE, c->img.brokers[id - 1].epoch, NULL);
    update_partitions(c, -1, id, "broker unfenced");
}

static void session_expired(void *a, void *b, int64_t id)
{
    controller_t *c = a;
    if (md_unfenced(&c->img, (int32_t)id))
        fence(c, (int32_t)id, "heartbeat session expired");
    answer_parked(c);
}

/* ---- admin ---- */

void controller_bootstrap(controller_t *c)
{
    for (int32_t id = 1; id <= c->n_brokers; id++) {
        write_broker(c, id, MD_REGISTER, c->n_log, "cluster formation");
        write_broker(c, id, MD_UNFENCE, c->img.brokers[id - 1].epoch, NULL);
        touch_session(c, id);
    }
}

/* The placement of Kafka's AdminUtils.assignReplicasToBrokers without racks over the
 * usable (unfenced) brokers in id order, started at the first with no random shift so
 * that students can predict it. */
static void place_replicas(int32_t p, int32_t rf, const int32_t *usable, int32_t n,
                           int32_t *out)
{
    int32_t first = p % n;
    int32_t shift = n > 1 ? (p / n) % (n - 1) : 0;
    out[0] = usable[first];
    for (int32_t j = 0; j < rf - 1; j++)
        out[j + 1] = usable[(first + 1 + (shift + j) % (n - 1)) % n];
}

bool controller_create_topic(controller_t *c, const char *topic, int32_t partitions,
                             int32_t rf, int32_t min_isr, bool unclean,
                             const log_config_t *log, char *err, size_t errlen)
{
    assert(rf >= 1 && rf <= MD_MAX_REPLICAS);
    if (!c->node->up) {
        /* The admin client would wait for a controller and time out. */
        snprintf(err, errlen, "the controller (%s) is down: CreateTopics cannot complete "
                 "(Kafka's admin client times out: TimeoutException)", c->node->name);
        return false;
    }
    int32_t *usable = proto_calloc((size_t)c->n_brokers, sizeof *usable);
    int32_t n = 0;
    for (int32_t id = 1; id <= c->n_brokers; id++)
        if (md_unfenced(&c->img, id))
            usable[n++] = id;
    if (rf > n) {
        /* KRaft's replica placer, in its own words (INVALID_REPLICATION_FACTOR). */
        snprintf(err, errlen, "Unable to replicate the partition %d time(s): The target "
                 "replication factor of %d cannot be reached because only %d broker(s) are "
                 "registered.", rf, rf, n);
        free(usable);
        return false;
    }
    md_record_t t = { .kind = MD_TOPIC, .topic = topic, .partitions = partitions,
                      .min_isr = min_isr, .unclean = unclean, .log = *log };
    append(c, &t);
    for (int32_t p = 0; p < partitions; p++) {
        md_record_t r = { .kind = MD_PARTITION, .topic = topic, .partitions = p };
        r.part.n_replicas = r.part.n_isr = rf;
        place_replicas(p, rf, usable, n, r.part.replicas);
        memcpy(r.part.isr, r.part.replicas, sizeof r.part.isr);
        r.part.leader = r.part.replicas[0];
        append(c, &r);
    }
    free(usable);
    answer_parked(c);
    return true;
}

/* ---- requests ---- */

/* Every answer is routine background traffic but for metadata records on their way. */
static void reply(controller_t *c, msg_t *req, int16_t api, void *body,
                  const msg_body_ops_t *ops, bool bg)
{
    msg_t *m = msg_new(c->w, api, true, body, ops);
    m->bg = bg;
    net_reply(c->w, c->node, req, m);
}

static void handle_registration(controller_t *c, msg_t *m)
{
    const broker_registration_t *req = m->body;
    broker_registration_t *resp = proto_calloc(1, sizeof *resp);
    *resp = *req;
    int32_t id = req->broker_id;
    if (id < 1 || id > c->n_brokers) {
        resp->error = KERR_BROKER_ID_NOT_REGISTERED;
    } else {
        session_t *s = &c->sessions[id - 1];
        /* ClusterControlManager: another incarnation whose session is alive keeps the id. */
        bool alive = c->img.brokers[id - 1].registered &&
                     c->w->now - s->last_contact < c->session_timeout;
        if (alive && s->incarnation != req->incarnation) {
            resp->error = KERR_DUPLICATE_BROKER_REGISTRATION;
        } else {
            if (md_unfenced(&c->img, id))
                fence(c, id, "registered again");
            s->incarnation = req->incarnation;
            resp->broker_epoch = c->n_log;
            write_broker(c, id, MD_REGISTER, c->n_log, NULL);
            s->caught_up_at = c->n_log;
            touch_session(c, id);
            answer_parked(c);
        }
    }
    reply(c, m, API_BROKER_REGISTRATION, resp, &registration_resp_ops, true);
}

/* ClusterControlManager.checkBrokerEpoch: a broker's request must carry its current
 * broker epoch; one with no registration at all is stale too. */
static int16_t check_broker_epoch(const controller_t *c, int32_t id, int64_t epoch)
{
    const md_broker_t *b = md_broker(&c->img, id);
    return b && b->registered && b->epoch == epoch ? KERR_NONE : KERR_STALE_BROKER_EPOCH;
}

static void handle_heartbeat(controller_t *c, msg_t *m)
{
    const broker_heartbeat_t *req = m->body;
    broker_heartbeat_t *resp = proto_calloc(1, sizeof *resp);
    *resp = *req;
    const md_broker_t *b = md_broker(&c->img, req->broker_id);
    resp->error = check_broker_epoch(c, req->broker_id, req->broker_epoch);
    if (resp->error == KERR_NONE) {
        touch_session(c, req->broker_id);
        /* A fenced broker that has replayed the log up to its registration comes back. */
        if (b->fenced && req->metadata_offset >= c->sessions[req->broker_id - 1].caught_up_at)
            unfence(c, req->broker_id);
        resp->fenced = md_broker(&c->img, req->broker_id)->fenced;
    }
    reply(c, m, API_BROKER_HEARTBEAT, resp, &heartbeat_resp_ops, !resp->error);
    answer_parked(c);
}

/* ReplicationControlManager.validateAlterPartitionData, check for check. */
static int16_t check_alter(const controller_t *c, const alter_partition_t *req,
                           const md_partition_t *cur)
{
    if (!cur)
        return KERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (req->leader_epoch > cur->leader_epoch)
        return KERR_NOT_CONTROLLER; /* a leader ahead of this controller */
    if (req->leader_epoch < cur->leader_epoch)
        return KERR_FENCED_LEADER_EPOCH;
    if (cur->leader != req->broker_id)
        return KERR_INVALID_REQUEST;
    if (req->partition_epoch < cur->partition_epoch)
        return KERR_INVALID_UPDATE_VERSION;
    if (req->partition_epoch > cur->partition_epoch)
        return KERR_NOT_CONTROLLER;
    if (!md_in(req->isr, req->n_isr, req->broker_id))
        return KERR_INVALID_REQUEST;
    for (int32_t i = 0; i < req->n_isr; i++)
        if (!md_is_replica(cur, req->isr[i]))
            return KERR_INVALID_REQUEST;
    /* KIP-841: only unfenced brokers may be in the ISR. */
    for (int32_t i = 0; i < req->n_isr; i++)
        if (!md_unfenced(&c->img, req->isr[i]))
            return KERR_INELIGIBLE_REPLICA;
    return KERR_NONE;
}

static void handle_alter_partition(controller_t *c, msg_t *m)
{
    const alter_partition_t *req = m->body;
    alter_partition_t *resp = proto_calloc(1, sizeof *resp);
    *resp = *req;
    md_topic_t *t = md_find_topic(&c->img, req->topic);
    md_partition_t *cur = md_find_partition(&c->img, req->topic, req->partition);
    resp->error = check_alter(c, req, cur);
    bool changed = false;
    if (resp->error == KERR_NONE) {
        acceptor_t acc = { c, -1, -1 };
        elect_result_t res = elect_change(cur, req->isr, req->n_isr, t->unclean, acceptable, &acc);
        if ((changed = res.changed))
            write_partition(c, t->name, req->partition, &res, "AlterPartition");
        resp->state = *md_find_partition(&c->img, req->topic, req->partition);
    }
    /* The leader hears first; the other brokers through the metadata log. */
    reply(c, m, API_ALTER_PARTITION, resp, &alter_partition_resp_ops, false);
    if (changed)
        answer_parked(c);
}

/* ProducerIdControlManager: the next block of 1000 producer ids for a registered broker,
 * written to the metadata log so that no id is handed out twice. */
static void handle_allocate_pids(controller_t *c, msg_t *m)
{
    const alloc_pids_t *req = m->body;
    alloc_pids_t *resp = proto_calloc(1, sizeof *resp);
    *resp = *req;
    resp->error = check_broker_epoch(c, req->broker_id, req->broker_epoch);
    if (resp->error == KERR_NONE) {
        resp->first = c->img.next_producer_id;
        resp->len = PRODUCER_ID_BLOCK_SIZE;
        md_record_t r = { .kind = MD_PRODUCER_IDS, .broker = req->broker_id,
                          .broker_epoch = req->broker_epoch,
                          .next_producer_id = resp->first + resp->len };
        append(c, &r);
        cJSON *ev = world_trace(c->w, c->node, "producer_ids_allocated");
        if (ev) {
            cJSON_AddStringToObject(ev, "broker", broker_name(c, req->broker_id));
            trace_add_int(ev, "first", resp->first);
            trace_add_int(ev, "last", resp->first + resp->len - 1);
            world_emit(c->w, ev);
        }
    }
    reply(c, m, API_ALLOCATE_PRODUCER_IDS, resp, &alloc_pids_resp_ops, false);
    answer_parked(c);
}

/* ---- the metadata log, fetched by brokers ---- */

#define MD_FETCH_MAX_RECORDS 4096

static void respond_md_fetch(controller_t *c, msg_t *m)
{
    const md_fetch_t *req = m->body;
    md_fetch_t *resp = proto_calloc(1, sizeof *resp);
    *resp = *req;
    resp->recs = NULL;
    int64_t from = req->offset < 0 ? 0 : req->offset > c->n_log ? c->n_log : req->offset;
    int64_t n = c->n_log - from;
    if (n > MD_FETCH_MAX_RECORDS)
        n = MD_FETCH_MAX_RECORDS;
    resp->offset = from;
    resp->n = (int32_t)n;
    if (n) {
        resp->recs = proto_calloc((size_t)n, sizeof *resp->recs);
        memcpy(resp->recs, c->log + from, (size_t)n * sizeof *resp->recs);
    }
    reply(c, m, API_FETCH, resp, &md_fetch_resp_ops, resp->n == 0);
}

static void remove_parked(controller_t *c, size_t i)
{
    msg_unref(c->w, c->parked[i].req);
    memmove(&c->parked[i], &c->parked[i + 1], (c->n_parked - i - 1) * sizeof *c->parked);
    c->n_parked--;
}

static void md_fetch_expired(void *a, void *b, int64_t arg)
{
    controller_t *c = a;
    for (size_t i = 0; i < c->n_parked; i++) {
        if (c->parked[i].req == b) {
            respond_md_fetch(c, b);
            remove_parked(c, i);
            return;
        }
    }
}

/* Answers the waiting fetches that have records to read, in arrival order. */
static void answer_parked(controller_t *c)
{
    for (size_t i = 0; i < c->n_parked;) {
        const md_fetch_t *req = c->parked[i].req->body;
        if (req->offset < c->n_log) {
            world_cancel(c->w, c->parked[i].timer);
            respond_md_fetch(c, c->parked[i].req);
            remove_parked(c, i);
        } else {
            i++;
        }
    }
}

static void handle_md_fetch(controller_t *c, msg_t *m)
{
    const md_fetch_t *req = m->body;
    if (req->offset < c->n_log || req->max_wait_ms <= 0) {
        respond_md_fetch(c, m);
        return;
    }
    if (c->n_parked == c->cap_parked) {
        c->cap_parked = c->cap_parked ? c->cap_parked * 2 : 8;
        c->parked = realloc(c->parked, c->cap_parked * sizeof *c->parked);
        if (!c->parked)
            abort();
    }
    msg_ref(m);
    int64_t wait = (int64_t)req->max_wait_ms * US_PER_MS;
    c->parked[c->n_parked++] = (parked_t){
        m, node_timer_bg(c->node, wait, md_fetch_expired, c, m, 0) };
}

static void on_message(node_t *n, msg_t *m)
{
    controller_t *c = n->impl;
    if (m->response)
        return;
    switch (m->api) {
    case API_BROKER_REGISTRATION:
        handle_registration(c, m);
        break;
    case API_BROKER_HEARTBEAT:
        handle_heartbeat(c, m);
        break;
    case API_ALTER_PARTITION:
        handle_alter_partition(c, m);
        break;
    case API_FETCH:
        handle_md_fetch(c, m);
        break;
    case API_ALLOCATE_PRODUCER_IDS:
        handle_allocate_pids(c, m);
        break;
    default:
        break;
    }
}

static void on_crash(node_t *n)
{
    controller_t *c = n->impl;
    while (c->n_parked)
        remove_parked(c, c->n_parked - 1);
}

/* The log is durable; sessions start afresh, as a newly active controller grants every
 * registered broker a full session before fencing it. */
static void on_restart(node_t *n)
{
    controller_t *c = n->impl;
    for (int32_t id = 1; id <= c->n_brokers; id++)
        if (md_unfenced(&c->img, id))
            touch_session(c, id);
}
